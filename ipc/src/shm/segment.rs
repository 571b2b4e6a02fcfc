//! The shared-memory segment: a sealed memfd, mapped shared, read through
//! the [`Region`] trait.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ptr::NonNull;
use std::time::Duration;

use rustix::fs::{
    fcntl_add_seals, fcntl_get_seals, fstat, ftruncate, memfd_create, MemfdFlags, SealFlags,
};
use rustix::mm::{mmap, munmap, MapFlags, ProtFlags};
use rustix::thread::futex;
use xikernel::__private::sync::AtomicU32;

use crate::error::SegmentError;
use crate::layout::{Control, HEADER_SIZE, MAX_CAPACITY, MAX_ITEMS, MIN_CAPACITY};
use crate::region::Region;

use super::owner;

/// The seals every segment carries: its size can never change, so a
/// mapping of it never faults (SIGBUS) on a shrunk file.
const SEALS: SealFlags = SealFlags::GROW
    .union(SealFlags::SHRINK)
    .union(SealFlags::SEAL);

/// A mapped queue segment.
#[derive(Debug)]
pub struct Segment {
    fd: OwnedFd,
    base: NonNull<u8>,
    map_len: usize,
    /// Validated copies of the header's sizes (never re-read).
    capacity: usize,
    max_items: u32,
}

// SAFETY: the mapping is shared memory accessed only through atomics (the
// header) and through copies the protocol orders (the data area); the
// pointer is valid from any thread until `drop`.
unsafe impl Send for Segment {}
// SAFETY: as above: every access through `&Segment` is an atomic operation
// or a copy into or out of bytes the protocol gives to the caller alone.
unsafe impl Sync for Segment {}

impl Segment {
    /// Creates a segment with a data area of `capacity` bytes (rounded up to
    /// a multiple of 8) holding at most `max_items` messages.
    pub fn create(capacity: usize, max_items: usize) -> Result<Self, SegmentError> {
        let capacity = capacity
            .checked_next_multiple_of(8)
            .filter(|c| (MIN_CAPACITY..=MAX_CAPACITY).contains(c))
            .ok_or(SegmentError::InvalidConfig(
                "capacity must be 16 B ..= 1 GiB",
            ))?;
        let max_items = u32::try_from(max_items)
            .ok()
            .filter(|m| (1..=MAX_ITEMS).contains(m))
            .ok_or(SegmentError::InvalidConfig("max_items must be 1 ..= 2^30"))?;
        let fd = memfd_create(
            "xikernel-ipc",
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )?;
        let total = HEADER_SIZE + capacity;
        // A fresh memfd is zero-filled: every header word starts at 0.
        ftruncate(&fd, total as u64)?;
        fcntl_add_seals(&fd, SEALS)?;
        let (base, map_len) = map(&fd, total)?;
        let seg = Segment {
            fd,
            base,
            map_len,
            capacity,
            max_items,
        };
        seg.control().init_meta(capacity, max_items);
        Ok(seg)
    }

    /// Opens a segment another process created (an fd inherited or received
    /// over a socket). Checks the seals, the magic, the version, the sizes
    /// and the header's checksum.
    pub fn open(fd: OwnedFd) -> Result<Self, SegmentError> {
        let seals = fcntl_get_seals(&fd)?;
        if !seals.contains(SealFlags::GROW | SealFlags::SHRINK) {
            return Err(SegmentError::NotSealed);
        }
        let len = u64::try_from(fstat(&fd)?.st_size).unwrap_or(0);
        if len < HEADER_SIZE as u64 {
            return Err(SegmentError::Truncated {
                len,
                needed: HEADER_SIZE as u64,
            });
        }
        // Map the header alone first: the file's length is not trusted.
        let (hbase, hlen) = map(&fd, HEADER_SIZE)?;
        // SAFETY: `hbase` maps HEADER_SIZE >= size_of::<Control>() bytes,
        // page aligned, of a file that cannot shrink (sealed); `Control` is
        // all atomics, valid for any bit pattern.
        let checked = unsafe { hbase.cast::<Control>().as_ref() }.check_meta(len);
        // SAFETY: unmapping our own mapping, no reference into it survives.
        unsafe { munmap(hbase.as_ptr().cast(), hlen) }?;
        let (capacity, max_items) = checked?;
        let (base, map_len) = map(&fd, HEADER_SIZE + capacity)?;
        Ok(Segment {
            fd,
            base,
            map_len,
            capacity,
            max_items,
        })
    }

    /// The segment's file descriptor.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    fn data(&self) -> *mut u8 {
        // SAFETY: the mapping is HEADER_SIZE + capacity bytes long.
        unsafe { self.base.as_ptr().add(HEADER_SIZE) }
    }
}

/// Maps `len` bytes of `fd` shared, read-write.
fn map(fd: &OwnedFd, len: usize) -> Result<(NonNull<u8>, usize), SegmentError> {
    // SAFETY: a fresh mapping at an address the kernel picks: it aliases no
    // Rust object. The file is sealed against shrinking, so every byte of
    // it stays backed.
    let p = unsafe {
        mmap(
            std::ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::SHARED,
            fd,
            0,
        )
    }?;
    let p = NonNull::new(p.cast::<u8>()).ok_or(SegmentError::InvalidConfig("null mapping"))?;
    Ok((p, len))
}

impl Drop for Segment {
    fn drop(&mut self) {
        // SAFETY: our mapping; `&mut self` means no reference into it lives.
        // An error cannot be reported from drop and leaks only the mapping.
        let _ = unsafe { munmap(self.base.as_ptr().cast(), self.map_len) };
    }
}

// SAFETY: `control` points at the page-aligned header of a mapping that
// lives as long as `self`; `capacity` is the validated length of the data
// area that follows it, which `read`/`write` never exceed (checked).
unsafe impl Region for Segment {
    fn control(&self) -> &Control {
        // SAFETY: the header page is mapped for our life; `Control` is
        // repr(C) atomics (valid for any bits, same layout as integers) and
        // fits in HEADER_SIZE (asserted in layout.rs); the page is aligned.
        unsafe { self.base.cast::<Control>().as_ref() }
    }

    fn capacity(&self) -> usize {
        self.capacity
    }

    fn max_items(&self) -> u32 {
        self.max_items
    }

    fn write(&self, off: usize, src: &[u8]) {
        assert!(off <= self.capacity && src.len() <= self.capacity - off);
        // SAFETY: in bounds (checked above). The protocol gives these bytes
        // to this producer alone (beyond `tail`, before `head + capacity`,
        // under the producer lock); another process breaking the protocol
        // can only make us copy garbage, never outside the mapping.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), self.data().add(off), src.len()) }
    }

    fn read(&self, off: usize, dst: &mut [u8]) {
        assert!(off <= self.capacity && dst.len() <= self.capacity - off);
        // SAFETY: in bounds (checked above); the bytes are published (before
        // `tail`, Acquire) and no producer writes them until our `head`
        // store; `dst` is the caller's and does not overlap the mapping.
        unsafe { std::ptr::copy_nonoverlapping(self.data().add(off), dst.as_mut_ptr(), dst.len()) }
    }

    fn wait(&self, word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> bool {
        let ts = timeout.map(|t| rustix::time::Timespec {
            tv_sec: t.as_secs().min(i64::MAX as u64) as i64,
            tv_nsec: t.subsec_nanos().into(),
        });
        // Shared (not PRIVATE): the word is in memory other processes map.
        // EAGAIN (the word moved), ETIMEDOUT and EINTR all mean "look again".
        futex::wait(word, futex::Flags::empty(), expected, ts.as_ref())
            == Err(rustix::io::Errno::TIMEDOUT)
    }

    fn wake(&self, word: &AtomicU32, n: u32) {
        let _ = futex::wake(word, futex::Flags::empty(), n);
    }

    fn me(&self) -> u64 {
        owner::me()
    }

    fn alive(&self, owner: u64) -> bool {
        owner::alive(owner)
    }
}
