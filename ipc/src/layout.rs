//! The segment's header: every shared word, at a fixed offset (docs/ipc.md
//! has the table). Every field is an atomic of the sync facade, also the
//! ones written only at creation: another process may write any byte of the
//! segment at any time, so nothing in it is read as plain memory.
//!
//! ```text
//! offset  size  field                 (layout version 1, little endian)
//!    0      8   magic  "XIKIPCQ1"
//!    8      4   version = 1
//!   12      4   header_size = 4096    (the data area starts here)
//!   16      8   capacity (bytes of the data area, multiple of 8)
//!   24      4   max_items
//!   28      4   reserved (0)
//!   32      8   total_size = header_size + capacity
//!   40      8   checksum (FNV-1a 64 of bytes 0..40)
//!  128     64   producer side: lock, tail, lock_seq, lock_waiters, recoveries
//!  256     64   consumer side: lock, head, lock_seq, lock_waiters, recoveries
//!  384     20   wake: not_empty_seq/waiters, not_full_seq/waiters, closed
//! ```

use xikernel::__private::sync::{AtomicU32, AtomicU64, Ordering::Relaxed};

use crate::error::Corruption;

/// "XIKIPCQ1", little endian.
pub const MAGIC: u64 = u64::from_le_bytes(*b"XIKIPCQ1");
/// Bumped whenever a field moves or changes meaning.
pub const VERSION: u32 = 1;
/// Bytes before the data area (one page, so the data area is page aligned).
pub const HEADER_SIZE: usize = 4096;
/// Each message is stored as an 8-byte record header (length and its
/// complement) followed by the payload, padded to a multiple of 8 bytes.
pub const RECORD_HEADER: usize = 8;
/// Largest data area: positions are kept modulo `2 * capacity` in 32 bits.
pub const MAX_CAPACITY: usize = 1 << 30;
/// Smallest data area: one record of up to 8 payload bytes.
pub const MIN_CAPACITY: usize = 16;
/// Item counts are 32-bit wrapping counters: differences stay unambiguous.
pub const MAX_ITEMS: u32 = 1 << 30;

/// The immutable description written once at creation.
#[repr(C, align(128))]
#[derive(Debug)]
pub struct Meta {
    pub magic: AtomicU64,
    pub version: AtomicU32,
    pub header_size: AtomicU32,
    pub capacity: AtomicU64,
    pub max_items: AtomicU32,
    pub reserved: AtomicU32,
    pub total_size: AtomicU64,
    pub checksum: AtomicU64,
}

/// One side of the ring (producers or consumers): its lock and its
/// position. Each side on its own cache-line pair.
#[repr(C, align(128))]
#[derive(Debug)]
pub struct Side {
    /// 0 = free; else the owner's identity (`pid << 32 | start-time tag`).
    pub lock: AtomicU64,
    /// `items << 32 | bytes`: items is a wrapping count of messages,
    /// bytes a position in `[0, 2 * capacity)`. The only word that
    /// publishes: one store makes every record up to it visible (tail) or
    /// hands its bytes back to producers (head).
    pub pos: AtomicU64,
    /// Futex word: bumped by an unlock that finds sleepers.
    pub lock_seq: AtomicU32,
    /// Processes sleeping (or about to) on `lock_seq`.
    pub lock_waiters: AtomicU32,
    /// How many times a dead owner's lock was taken over (statistics).
    pub recoveries: AtomicU32,
    pub reserved: AtomicU32,
}

/// The futex words blocking pushes and pops sleep on.
#[repr(C, align(128))]
#[derive(Debug)]
pub struct Wake {
    pub not_empty_seq: AtomicU32,
    pub not_empty_waiters: AtomicU32,
    pub not_full_seq: AtomicU32,
    pub not_full_waiters: AtomicU32,
    /// 0 = open, 1 = closed (set under the producer lock).
    pub closed: AtomicU32,
}

/// The whole header.
#[repr(C)]
#[derive(Debug)]
pub struct Control {
    pub meta: Meta,
    pub prod: Side,
    pub cons: Side,
    pub wake: Wake,
}

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
const _: () = {
    // The documented offsets (the mmap'd header is cast to `Control`).
    assert!(core::mem::size_of::<Control>() <= HEADER_SIZE);
    assert!(core::mem::offset_of!(Control, prod) == 128);
    assert!(core::mem::offset_of!(Control, cons) == 256);
    assert!(core::mem::offset_of!(Control, wake) == 384);
    assert!(core::mem::offset_of!(Meta, checksum) == 40);
};

impl Side {
    fn new() -> Self {
        Side {
            lock: AtomicU64::new(0),
            pos: AtomicU64::new(0),
            lock_seq: AtomicU32::new(0),
            lock_waiters: AtomicU32::new(0),
            recoveries: AtomicU32::new(0),
            reserved: AtomicU32::new(0),
        }
    }
}

impl Control {
    /// A fresh header (for regions that are not mmap'd: the models).
    pub fn new(capacity: usize, max_items: u32) -> Self {
        let c = Control {
            meta: Meta {
                magic: AtomicU64::new(0),
                version: AtomicU32::new(0),
                header_size: AtomicU32::new(0),
                capacity: AtomicU64::new(0),
                max_items: AtomicU32::new(0),
                reserved: AtomicU32::new(0),
                total_size: AtomicU64::new(0),
                checksum: AtomicU64::new(0),
            },
            prod: Side::new(),
            cons: Side::new(),
            wake: Wake {
                not_empty_seq: AtomicU32::new(0),
                not_empty_waiters: AtomicU32::new(0),
                not_full_seq: AtomicU32::new(0),
                not_full_waiters: AtomicU32::new(0),
                closed: AtomicU32::new(0),
            },
        };
        c.init_meta(capacity, max_items);
        c
    }

    /// Writes the description (creation only, before the segment is shared).
    pub fn init_meta(&self, capacity: usize, max_items: u32) {
        let m = &self.meta;
        // Relaxed: the segment is not shared yet; handing over its fd (fork,
        // SCM_RIGHTS) is a system call, which orders these stores before any
        // other process's first load.
        m.version.store(VERSION, Relaxed);
        m.header_size.store(HEADER_SIZE as u32, Relaxed);
        m.capacity.store(capacity as u64, Relaxed);
        m.max_items.store(max_items, Relaxed);
        m.reserved.store(0, Relaxed);
        m.total_size.store((HEADER_SIZE + capacity) as u64, Relaxed);
        m.checksum.store(self.meta_checksum(), Relaxed);
        m.magic.store(MAGIC, Relaxed);
    }

    fn meta_checksum(&self) -> u64 {
        let m = &self.meta;
        // Relaxed: see `init_meta` / `check_meta`.
        let mut bytes = [0u8; 40];
        bytes[0..8].copy_from_slice(&MAGIC.to_le_bytes());
        bytes[8..12].copy_from_slice(&m.version.load(Relaxed).to_le_bytes());
        bytes[12..16].copy_from_slice(&m.header_size.load(Relaxed).to_le_bytes());
        bytes[16..24].copy_from_slice(&m.capacity.load(Relaxed).to_le_bytes());
        bytes[24..28].copy_from_slice(&m.max_items.load(Relaxed).to_le_bytes());
        bytes[28..32].copy_from_slice(&m.reserved.load(Relaxed).to_le_bytes());
        bytes[32..40].copy_from_slice(&m.total_size.load(Relaxed).to_le_bytes());
        fnv1a(&bytes)
    }

    /// Checks the description against itself and against the file's
    /// length; returns `(capacity, max_items)` on success. The caller keeps
    /// these validated copies and never re-reads them from shared memory.
    pub fn check_meta(&self, file_len: u64) -> Result<(usize, u32), MetaError> {
        let m = &self.meta;
        // Relaxed: the fields were written before the segment was shared
        // (see `init_meta`); a concurrent writer is a corrupter, and every
        // value is validated before use.
        if m.magic.load(Relaxed) != MAGIC {
            return Err(MetaError::Magic);
        }
        let version = m.version.load(Relaxed);
        if version != VERSION {
            return Err(MetaError::Version(version));
        }
        let capacity = m.capacity.load(Relaxed);
        let max_items = m.max_items.load(Relaxed);
        let total = m.total_size.load(Relaxed);
        if m.checksum.load(Relaxed) != self.meta_checksum() {
            return Err(MetaError::Corrupt("header checksum mismatch"));
        }
        if m.header_size.load(Relaxed) as usize != HEADER_SIZE {
            return Err(MetaError::Corrupt("unexpected header size"));
        }
        if !(MIN_CAPACITY as u64..=MAX_CAPACITY as u64).contains(&capacity) || capacity % 8 != 0 {
            return Err(MetaError::Corrupt("capacity out of range"));
        }
        if max_items == 0 || max_items > MAX_ITEMS {
            return Err(MetaError::Corrupt("max_items out of range"));
        }
        if total != HEADER_SIZE as u64 + capacity {
            return Err(MetaError::Corrupt("total size disagrees with capacity"));
        }
        if file_len < total {
            return Err(MetaError::Truncated {
                len: file_len,
                needed: total,
            });
        }
        Ok((capacity as usize, max_items))
    }
}

/// What `check_meta` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaError {
    Magic,
    Version(u32),
    Truncated { len: u64, needed: u64 },
    Corrupt(&'static str),
}

impl From<MetaError> for crate::error::SegmentError {
    fn from(e: MetaError) -> Self {
        use crate::error::SegmentError as E;
        match e {
            MetaError::Magic => E::NotASegment,
            MetaError::Version(found) => E::Version { found },
            MetaError::Truncated { len, needed } => E::Truncated { len, needed },
            MetaError::Corrupt(why) => E::Corrupted(Corruption(why)),
        }
    }
}

/// FNV-1a, 64-bit: a cheap checksum that catches stray writes and wrong
/// files, not an adversary (who can also rewrite the checksum).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Packs a side's position word.
#[inline]
pub fn pack(items: u32, bytes: u32) -> u64 {
    (u64::from(items) << 32) | u64::from(bytes)
}

/// Unpacks a side's position word into `(items, bytes)`.
#[inline]
pub fn unpack(word: u64) -> (u32, u32) {
    ((word >> 32) as u32, word as u32)
}

/// Bytes a message of `len` bytes occupies in the ring.
#[inline]
pub fn record_size(len: usize) -> usize {
    RECORD_HEADER + len.div_ceil(8) * 8
}

/// The record header: the length and its complement (a torn or stray write
/// is caught instead of trusted).
#[inline]
pub fn encode_record_header(len: u32) -> [u8; RECORD_HEADER] {
    let mut h = [0u8; RECORD_HEADER];
    h[..4].copy_from_slice(&len.to_le_bytes());
    h[4..].copy_from_slice(&(!len).to_le_bytes());
    h
}

/// The length in a record header, if the header is well formed.
#[inline]
pub fn decode_record_header(h: &[u8; RECORD_HEADER]) -> Option<u32> {
    let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    let check = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    (check == !len).then_some(len)
}
