//! Typed errors of the queue and the segment, on the kernel's conventions:
//! `#[non_exhaustive]`, `Display` + `std::error::Error`, `Timeout` its own
//! variant, and nothing lost on failure (a failed push has copied nothing
//! the consumers can see: the caller still holds its bytes; a failed pop
//! has taken nothing out of the queue).

use core::fmt;
use std::io;

/// What a consistency check found wrong in a segment's shared state: the
/// segment was written by something that does not follow the protocol (or
/// memory was corrupted). The operation did nothing; nothing is read or
/// written outside the segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Corruption(pub(crate) &'static str);

impl Corruption {
    /// Which check failed.
    pub fn reason(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "corrupted queue segment: {}", self.0)
    }
}

impl std::error::Error for Corruption {}

/// A push that did not happen. The queue took nothing: the message is still
/// the caller's (the API borrows it), so nothing is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PushError {
    /// No room (in bytes or in items) right now.
    Full,
    /// The queue was closed before this push.
    Closed,
    /// The message can never fit: refused at once, whatever the queue holds.
    TooLarge {
        /// The message's length in bytes.
        len: usize,
        /// The largest message this queue accepts.
        max: usize,
    },
    /// The deadline passed before there was room.
    Timeout,
    /// The interruption check asked to stop.
    Interrupted,
    /// The segment's shared state is inconsistent.
    Corrupted(Corruption),
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Full => f.write_str("push to a full queue"),
            PushError::Closed => f.write_str("push to a closed queue"),
            PushError::TooLarge { len, max } => {
                write!(
                    f,
                    "message of {len} bytes exceeds the queue's maximum of {max}"
                )
            }
            PushError::Timeout => f.write_str("push timed out"),
            PushError::Interrupted => f.write_str("push interrupted"),
            PushError::Corrupted(c) => c.fmt(f),
        }
    }
}

impl std::error::Error for PushError {}

/// A pop that took nothing out of the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PopError {
    /// Nothing to take right now (the queue is open).
    Empty,
    /// The queue is closed and drained: nothing will ever arrive.
    Closed,
    /// The deadline passed while the queue was empty.
    Timeout,
    /// The interruption check asked to stop.
    Interrupted,
    /// The caller's buffer is shorter than the next message, which stays
    /// first in the queue.
    BufferTooSmall {
        /// The next message's length.
        needed: usize,
    },
    /// The segment's shared state is inconsistent.
    Corrupted(Corruption),
}

impl fmt::Display for PopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PopError::Empty => f.write_str("pop from an empty queue"),
            PopError::Closed => f.write_str("pop from a closed and drained queue"),
            PopError::Timeout => f.write_str("pop timed out"),
            PopError::Interrupted => f.write_str("pop interrupted"),
            PopError::BufferTooSmall { needed } => {
                write!(f, "buffer too small for the next message ({needed} bytes)")
            }
            PopError::Corrupted(c) => c.fmt(f),
        }
    }
}

impl std::error::Error for PopError {}

/// Why a segment could not be created or opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum SegmentError {
    /// A system call failed.
    Io(io::Error),
    /// `create` was given sizes outside the supported range.
    InvalidConfig(&'static str),
    /// The file does not start with the queue's magic number.
    NotASegment,
    /// The file is not sealed against growing and shrinking (not a segment
    /// this crate created): mapping it could fault if it were truncated.
    NotSealed,
    /// A segment of another layout version.
    Version {
        /// The version found in the header.
        found: u32,
    },
    /// The file is shorter than its header says (or than a header).
    Truncated {
        /// The file's length.
        len: u64,
        /// The length the header requires.
        needed: u64,
    },
    /// The header is inconsistent (bad checksum, impossible sizes).
    Corrupted(Corruption),
}

impl fmt::Display for SegmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SegmentError::Io(e) => write!(f, "segment I/O error: {e}"),
            SegmentError::InvalidConfig(why) => write!(f, "invalid queue configuration: {why}"),
            SegmentError::NotASegment => f.write_str("not a xikernel queue segment (bad magic)"),
            SegmentError::NotSealed => f.write_str("segment file is not sealed against resizing"),
            SegmentError::Version { found } => {
                write!(f, "unsupported segment layout version {found}")
            }
            SegmentError::Truncated { len, needed } => {
                write!(f, "segment truncated: {len} bytes, header needs {needed}")
            }
            SegmentError::Corrupted(c) => c.fmt(f),
        }
    }
}

impl std::error::Error for SegmentError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SegmentError::Io(e) => Some(e),
            SegmentError::Corrupted(c) => Some(c),
            _ => None,
        }
    }
}

impl From<io::Error> for SegmentError {
    fn from(e: io::Error) -> Self {
        SegmentError::Io(e)
    }
}

impl From<rustix::io::Errno> for SegmentError {
    fn from(e: rustix::io::Errno) -> Self {
        SegmentError::Io(e.into())
    }
}
