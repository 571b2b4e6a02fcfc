//! Real processes: the test binary re-executes itself as a child (a role in
//! an environment variable, the segment's descriptor inherited), and the
//! parent SIGKILLs children in the middle of their pushes and pops.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::Duration;

use xikernel_ipc::{Deadline, PopError, Queue};

const ROLE: &str = "XIK_IPC_TEST_ROLE";
const FD: &str = "XIK_IPC_TEST_FD";

/// The child's entry point: does nothing unless run as a child.
#[test]
fn child_entry() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let fd: i32 = std::env::var(FD).unwrap().parse().unwrap();
    // SAFETY: the parent left this descriptor open for us, and nothing else
    // in this process owns it.
    let q = Queue::from_fd(unsafe { OwnedFd::from_raw_fd(fd) }).unwrap();
    match role.as_str() {
        "produce_10000" => {
            for i in 0..10_000u32 {
                q.push(&message(i, 1 + i as usize % 300), Deadline::never())
                    .unwrap();
            }
        }
        "produce_forever" => {
            for i in 0.. {
                q.push(&message(i, 16 * 1024 + i as usize % 999), Deadline::never())
                    .unwrap();
            }
        }
        "consume_forever" => {
            let mut buf = vec![0; q.max_message()];
            loop {
                let n = q.pop_into(&mut buf, Deadline::never()).unwrap();
                check(&buf[..n]);
            }
        }
        other => panic!("unknown role {other}"),
    }
}

/// `seq`, then bytes derived from it, then a checksum of everything before.
fn message(seq: u32, len: usize) -> Vec<u8> {
    let mut m = seq.to_le_bytes().to_vec();
    m.extend((0..len).map(|k| (seq as usize * 31 + k) as u8));
    let sum = m
        .iter()
        .fold(0u32, |a, &b| a.wrapping_mul(31).wrapping_add(b.into()));
    m.extend_from_slice(&sum.to_le_bytes());
    m
}

/// Checks a message's checksum; returns its sequence number.
fn check(m: &[u8]) -> u32 {
    assert!(m.len() >= 8, "short message");
    let (body, sum) = m.split_at(m.len() - 4);
    let want = body
        .iter()
        .fold(0u32, |a, &b| a.wrapping_mul(31).wrapping_add(b.into()));
    assert_eq!(
        u32::from_le_bytes(sum.try_into().unwrap()),
        want,
        "checksum"
    );
    u32::from_le_bytes(body[..4].try_into().unwrap())
}

fn spawn(q: &Queue, role: &str) -> Child {
    let fd = q.try_clone_fd().unwrap();
    let raw = fd.as_raw_fd();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env(FD, raw.to_string())
        .stdout(std::process::Stdio::null());
    // SAFETY: between fork and exec the closure only makes one system call
    // (async-signal-safe), clearing close-on-exec on the inherited fd.
    unsafe {
        cmd.pre_exec(move || {
            // SAFETY: `raw` is open in the child (a copy of the parent's).
            let fd = std::os::fd::BorrowedFd::borrow_raw(raw);
            rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::empty())?;
            Ok(())
        });
    }
    let child = cmd.spawn().unwrap();
    drop(fd);
    child
}

#[test]
fn a_child_produces_the_parent_consumes() {
    let q = Queue::create(4096, 64).unwrap();
    let mut child = spawn(&q, "produce_10000");
    for i in 0..10_000 {
        let m = q.pop(Deadline::after(Duration::from_secs(60))).unwrap();
        assert_eq!(check(&m), i);
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(q.try_pop(), Err(PopError::Empty));
}

#[test]
fn killed_producers_leave_no_torn_message() {
    let q = Queue::create(64 * 1024, 1024).unwrap();
    for round in 0..8u64 {
        let mut child = spawn(&q, "produce_forever");
        let mut next = 0;
        // Let it fill and refill the ring a few times, then kill it
        // wherever it is (often mid-copy of a 16 KiB message, lock held).
        let until = std::time::Instant::now() + Duration::from_millis(20 + round * 7);
        while std::time::Instant::now() < until {
            if let Ok(m) = q.pop(Deadline::after(Duration::from_millis(5))) {
                assert_eq!(check(&m), next);
                next += 1;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // What it published is intact and in order; nothing after.
        while let Ok(m) = q.try_pop() {
            assert_eq!(check(&m), next);
            next += 1;
        }
        // The queue still works (taking the producer lock over if the
        // child died holding it).
        q.push(&message(7, 10), Deadline::never()).unwrap();
        assert_eq!(check(&q.try_pop().unwrap()), 7);
    }
}

#[test]
fn killed_consumers_do_not_stall_the_queue() {
    let q = Queue::create(64 * 1024, 1024).unwrap();
    let mut seq = 0;
    for round in 0..8u64 {
        let mut child = spawn(&q, "consume_forever");
        let until = std::time::Instant::now() + Duration::from_millis(20 + round * 7);
        while std::time::Instant::now() < until {
            let _ = q.push(
                &message(seq, 16 * 1024),
                Deadline::after(Duration::from_millis(5)),
            );
            seq += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // Whatever is left is intact; the consumer lock is usable again.
        while let Ok(m) = q.try_pop() {
            check(&m);
        }
        q.try_push(&message(1, 1)).unwrap();
        assert_eq!(check(&q.try_pop().unwrap()), 1);
    }
}
