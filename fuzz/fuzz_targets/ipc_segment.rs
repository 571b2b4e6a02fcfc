//! Arbitrary bytes as a shared-memory queue segment, then arbitrary
//! operations on it: opening never panics and rejects what is not an
//! intact segment with a typed error; operations on an opened segment
//! whose shared words are arbitrary never panic, never read or write
//! outside the mapping (ASan on nightly), never allocate more than the
//! queue's capacity, and never hang (blocking calls get an expired
//! deadline).
//!
//! Input: `mode` byte, then either a whole file image (mode even) or a
//! fresh queue's sizes plus patches of its shared words (mode odd: most
//! inputs then open, so the operations get exercised), then operations.
//!
//! The two lock words are cleared after opening: a lock word naming a live
//! process that never releases it (say pid 1 with init's start time) is
//! indistinguishable from a slow owner and waited for, by design (docs/
//! ipc.md, "what is not guaranteed"); the liveness check has its own tests.
#![no_main]

use std::io::Write;
use std::os::fd::OwnedFd;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use xikernel_ipc::__private::HEADER_SIZE;
use xikernel_ipc::{Batch, Deadline, Queue};

fn sealed(bytes: &[u8]) -> Option<OwnedFd> {
    use rustix::fs::{fcntl_add_seals, memfd_create, MemfdFlags, SealFlags};
    let fd = memfd_create("fuzz", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING).ok()?;
    std::fs::File::from(fd.try_clone().ok()?).write_all(bytes).ok()?;
    fcntl_add_seals(&fd, SealFlags::GROW | SealFlags::SHRINK | SealFlags::SEAL).ok()?;
    Some(fd)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (q, ops) = if mode % 2 == 0 {
        // A whole file: bounded so the fuzzer does not waste time on size.
        let n = rest.len().min(HEADER_SIZE + 4096);
        let Some(fd) = sealed(&rest[..n]) else { return };
        match Queue::from_fd(fd) {
            Ok(q) => (q, &rest[n..]),
            Err(_) => return,
        }
    } else {
        if rest.len() < 3 {
            return;
        }
        let cap = 16 + usize::from(rest[0]) * 8;
        let items = 1 + usize::from(rest[1] % 16);
        let q = Queue::create(cap, items).expect("valid sizes");
        // Patches: (word index, value) pairs over the shared words.
        let npatch = usize::from(rest[2] % 8);
        let mut p = &rest[3..];
        for _ in 0..npatch {
            if p.len() < 9 {
                break;
            }
            let v = u64::from_le_bytes(p[1..9].try_into().unwrap());
            let c = q.__control();
            match p[0] % 8 {
                0 => c.prod.pos.store(v, Relaxed),
                1 => c.cons.pos.store(v, Relaxed),
                2 => c.wake.closed.store(v as u32, Relaxed),
                3 => c.wake.not_empty_waiters.store(v as u32, Relaxed),
                4 => c.wake.not_full_waiters.store(v as u32, Relaxed),
                5 => c.prod.lock_waiters.store(v as u32, Relaxed),
                6 => c.cons.lock_seq.store(v as u32, Relaxed),
                _ => c.wake.not_empty_seq.store(v as u32, Relaxed),
            }
            p = &p[9..];
        }
        // Random data-area contents, through a second handle (by fd).
        let fd = q.try_clone_fd().unwrap();
        let mut f = std::fs::File::from(fd);
        let take = p.len().min(q.capacity()) / 2;
        let _ = std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(HEADER_SIZE as u64));
        let _ = f.write_all(&p[..take]);
        (q, &p[take..])
    };
    q.__control().prod.lock.store(0, Relaxed);
    q.__control().cons.lock.store(0, Relaxed);
    let past = Deadline::after(Duration::ZERO);
    let mut batch = Batch::new();
    let mut buf = [0u8; 64];
    for (i, &op) in ops.iter().enumerate().take(64) {
        let len = usize::from(op >> 3) * 7;
        let payload = vec![i as u8; len];
        match op % 8 {
            0 => drop(q.try_push(&payload)),
            1 => {
                if let Ok(m) = q.try_pop() {
                    assert!(m.len() <= q.max_message());
                }
            }
            2 => {
                if let Ok(n) = q.try_pop_many(&mut batch, 1 + len % 5) {
                    assert_eq!(batch.len(), n);
                }
            }
            3 => {
                if let Ok(n) = q.try_pop_into(&mut buf) {
                    assert!(n <= buf.len());
                }
            }
            4 => drop(q.push_many(&[&payload, &payload[..len / 2]], past)),
            5 => drop(q.pop(past)),
            6 => assert!(q.len() <= q.max_items()),
            _ => drop(q.close()),
        }
    }
});
