//! Opening segments: intact ones by fd, and every way a file can be wrong
//! (a typed error, never UB, a panic or a hang); a corrupted shared state
//! is reported by the operations, which then do nothing.

use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::Ordering::Relaxed;

use rustix::fs::{fcntl_add_seals, memfd_create, MemfdFlags, SealFlags};
use xikernel_ipc::__private::{pack, HEADER_SIZE};
use xikernel_ipc::{PopError, PushError, Queue, SegmentError};

fn sealed_file(bytes: &[u8]) -> OwnedFd {
    let fd = memfd_create("test", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING).unwrap();
    std::fs::File::from(fd.try_clone().unwrap())
        .write_all(bytes)
        .unwrap();
    fcntl_add_seals(&fd, SealFlags::GROW | SealFlags::SHRINK | SealFlags::SEAL).unwrap();
    fd
}

/// The bytes of a fresh segment's file.
fn image(q: &Queue) -> Vec<u8> {
    let mut f = std::fs::File::from(q.try_clone_fd().unwrap());
    let mut v = Vec::new();
    std::io::Read::read_to_end(&mut f, &mut v).unwrap();
    v
}

#[test]
fn open_by_fd_shares_the_queue() {
    let a = Queue::create(1024, 16).unwrap();
    let b = Queue::from_fd(a.try_clone_fd().unwrap()).unwrap();
    assert_eq!((b.capacity(), b.max_items()), (1024, 16));
    a.try_push(b"across").unwrap();
    assert_eq!(b.try_pop().unwrap(), b"across");
}

#[test]
fn fd_passes_over_a_unix_socket() {
    let (s1, s2) = UnixStream::pair().unwrap();
    let a = Queue::create(1024, 16).unwrap();
    a.send_fd(&s1).unwrap();
    let b = Queue::recv_fd(&s2).unwrap();
    b.try_push(b"via SCM_RIGHTS").unwrap();
    assert_eq!(a.try_pop().unwrap(), b"via SCM_RIGHTS");
    drop(s1);
    assert!(matches!(Queue::recv_fd(&s2), Err(SegmentError::Io(_))));
}

#[test]
fn capacity_rounds_up_and_limits_hold() {
    assert_eq!(Queue::create(17, 1).unwrap().capacity(), 24);
    assert!(matches!(
        Queue::create(8, 1),
        Err(SegmentError::InvalidConfig(_))
    ));
    assert!(matches!(
        Queue::create(64, 0),
        Err(SegmentError::InvalidConfig(_))
    ));
    assert!(matches!(
        Queue::create(usize::MAX, 1),
        Err(SegmentError::InvalidConfig(_))
    ));
    assert!(matches!(
        Queue::create((1 << 30) + 8, 1),
        Err(SegmentError::InvalidConfig(_))
    ));
}

#[test]
fn wrong_files_are_typed_errors() {
    let good = image(&Queue::create(64, 4).unwrap());
    assert!(Queue::from_fd(sealed_file(&good)).is_ok());
    // Not sealed: a plain memfd with the right bytes.
    let fd = memfd_create("plain", MemfdFlags::CLOEXEC).unwrap();
    std::fs::File::from(fd.try_clone().unwrap())
        .write_all(&good)
        .unwrap();
    assert!(matches!(Queue::from_fd(fd), Err(SegmentError::NotSealed)));
    // Too short for a header.
    assert!(matches!(
        Queue::from_fd(sealed_file(&good[..100])),
        Err(SegmentError::Truncated { len: 100, .. })
    ));
    // Shorter than the header says.
    assert!(matches!(
        Queue::from_fd(sealed_file(&good[..HEADER_SIZE + 8])),
        Err(SegmentError::Truncated { .. })
    ));
    // Bad magic, version, checksum.
    let mut bad = good.clone();
    bad[0] ^= 1;
    assert!(matches!(
        Queue::from_fd(sealed_file(&bad)),
        Err(SegmentError::NotASegment)
    ));
    let mut bad = good.clone();
    bad[8] = 9;
    assert!(matches!(
        Queue::from_fd(sealed_file(&bad)),
        Err(SegmentError::Version { found: 9 })
    ));
    let mut bad = good.clone();
    bad[16] ^= 0x40; // capacity
    assert!(matches!(
        Queue::from_fd(sealed_file(&bad)),
        Err(SegmentError::Corrupted(_))
    ));
    // Not a file at all.
    let (s, _peer) = UnixStream::pair().unwrap();
    assert!(Queue::from_fd(s.as_fd().try_clone_to_owned().unwrap()).is_err());
}

#[test]
fn corrupted_positions_are_reported_not_trusted() {
    let q = Queue::create(64, 4).unwrap();
    q.try_push(b"abc").unwrap();
    let c = q.__control();
    let good_tail = c.prod.pos.load(Relaxed);
    for bad in [
        pack(1, 1000),
        pack(7, 16),
        pack(0, 16),
        pack(2, 200),
        pack(0, 128),
    ] {
        c.prod.pos.store(bad, Relaxed);
        assert!(
            matches!(q.try_pop(), Err(PopError::Corrupted(_))),
            "{bad:#x}"
        );
        assert!(
            matches!(q.try_push(b"x"), Err(PushError::Corrupted(_))),
            "{bad:#x}"
        );
        assert_eq!(q.len(), 0);
    }
    // Consistent counts, but the record (3 bytes: 16 with its header)
    // overruns the 8 bytes published.
    c.prod.pos.store(pack(1, 8), Relaxed);
    assert!(matches!(q.try_pop(), Err(PopError::Corrupted(_))));
    c.prod.pos.store(good_tail, Relaxed);
    // A record header that is not one.
    let mut f = std::fs::File::from(q.try_clone_fd().unwrap());
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(HEADER_SIZE as u64)).unwrap();
    f.write_all(&[0xFF; 8]).unwrap();
    assert!(matches!(q.try_pop(), Err(PopError::Corrupted(_))));
    // A well-formed header claiming more than was published.
    let mut h = [0u8; 8];
    h[..4].copy_from_slice(&40u32.to_le_bytes());
    h[4..].copy_from_slice(&(!40u32).to_le_bytes());
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(HEADER_SIZE as u64)).unwrap();
    f.write_all(&h).unwrap();
    assert!(matches!(q.try_pop(), Err(PopError::Corrupted(_))));
}

#[test]
fn a_dead_owners_locks_are_taken_over() {
    // A process that has exited (and been reaped): its identity is dead.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    let dead = (u64::from(pid) << 32) | 12345;
    let q = Queue::create(256, 8).unwrap();
    q.try_push(b"before").unwrap();
    let c = q.__control();
    // The dead producer held the lock and had written half a record past
    // the tail: it must be discarded, never read.
    c.prod.lock.store(dead, Relaxed);
    c.cons.lock.store(dead, Relaxed);
    let mut f = std::fs::File::from(q.try_clone_fd().unwrap());
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(HEADER_SIZE as u64 + 16)).unwrap();
    f.write_all(&[0xAB; 32]).unwrap();
    assert_eq!(q.try_pop().unwrap(), b"before");
    assert_eq!(q.try_pop(), Err(PopError::Empty));
    q.try_push(b"after").unwrap();
    assert_eq!(q.try_pop().unwrap(), b"after");
    assert_eq!(q.recoveries(), 2);
    // A lock word naming no process at all is free too.
    c.prod.lock.store(u64::MAX, Relaxed);
    q.try_push(b"x").unwrap();
}
