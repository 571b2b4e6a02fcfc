//! The public queue: the algorithm over a mapped segment.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::error::{Corruption, PopError, PushError, SegmentError};
use crate::raw::sink::{Batch, BufSink, VecSink};
use crate::raw::{Raw, RawQueue};
use crate::region::Region;
use crate::shm::fdpass;
use crate::shm::segment::Segment;
use xikernel::wait::Wait;

/// A bounded MPMC queue of byte messages in shared memory, between
/// processes, robust to any of them being killed at any instruction (see
/// the [crate docs](crate)).
///
/// Every process holds its own `Queue` on the same segment: the creator's,
/// a forked child's (inherited: the mapping and the descriptor survive
/// `fork`), or one opened with [`Queue::from_fd`] from a descriptor passed
/// over a Unix socket ([`Queue::send_fd`] / [`Queue::recv_fd`]).
///
/// ```
/// use xikernel_ipc::{Deadline, PopError, Queue};
/// let q = Queue::create(4096, 64).unwrap();
/// q.try_push(b"hello").unwrap();
/// q.push(b"world", Deadline::never()).unwrap();
/// assert_eq!(q.len(), 2);
/// assert_eq!(q.try_pop().unwrap(), b"hello");
/// let mut buf = [0u8; 16];
/// let n = q.pop_into(&mut buf, Deadline::never()).unwrap();
/// assert_eq!(&buf[..n], b"world");
/// q.close();
/// assert_eq!(q.try_pop(), Err(PopError::Closed));
/// ```
#[derive(Debug)]
pub struct Queue {
    raw: RawQueue<Segment>,
}

/// A blocking `push_many` that stopped early: the first `pushed` messages
/// are in the queue, the rest are not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PushManyError {
    /// How many messages (a prefix) were pushed.
    pub pushed: usize,
    /// Why the next one was not.
    pub error: PushError,
}

impl core::fmt::Display for PushManyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} (after {} messages)", self.error, self.pushed)
    }
}

impl std::error::Error for PushManyError {}

fn push_err(e: Raw<PushError>) -> PushError {
    match e {
        Raw::Err(e) => e,
        // The real segment never crashes itself.
        Raw::Crashed => PushError::Corrupted(Corruption("crash point outside a model")),
    }
}

fn pop_err(e: Raw<PopError>) -> PopError {
    match e {
        Raw::Err(e) => e,
        Raw::Crashed => PopError::Corrupted(Corruption("crash point outside a model")),
    }
}

impl Queue {
    /// Creates a queue in a new segment: `bytes` of message storage (each
    /// message takes 8 bytes of header plus its length rounded up to 8),
    /// at most `max_items` messages.
    pub fn create(bytes: usize, max_items: usize) -> Result<Self, SegmentError> {
        Ok(Queue {
            raw: RawQueue::new(Segment::create(bytes, max_items)?),
        })
    }

    /// Opens the queue in the segment `fd` refers to (checked: a file that
    /// is not an intact segment of this version is an error, never UB).
    pub fn from_fd(fd: OwnedFd) -> Result<Self, SegmentError> {
        Ok(Queue {
            raw: RawQueue::new(Segment::open(fd)?),
        })
    }

    /// Sends this queue's descriptor over the Unix socket `sock`; the peer
    /// opens it with [`Queue::recv_fd`].
    pub fn send_fd(&self, sock: impl AsFd) -> io::Result<()> {
        fdpass::send_fd(sock, self.as_fd())
    }

    /// Receives a queue sent with [`Queue::send_fd`] over `sock`.
    pub fn recv_fd(sock: impl AsFd) -> Result<Self, SegmentError> {
        Self::from_fd(fdpass::recv_fd(sock)?)
    }

    /// A new descriptor for the segment (e.g. to pass to an exec'd child;
    /// it is close-on-exec like every descriptor this crate makes).
    pub fn try_clone_fd(&self) -> io::Result<OwnedFd> {
        self.as_fd().try_clone_to_owned()
    }

    /// Bytes of message storage.
    pub fn capacity(&self) -> usize {
        self.raw.region().capacity()
    }

    /// Most messages held at once.
    pub fn max_items(&self) -> usize {
        self.raw.region().max_items() as usize
    }

    /// The longest message accepted; longer ones fail at once with
    /// [`PushError::TooLarge`].
    pub fn max_message(&self) -> usize {
        self.raw.max_message()
    }

    /// Messages in the queue now (a snapshot).
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// True if the queue holds no message now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the queue is closed.
    pub fn is_closed(&self) -> bool {
        self.raw.is_closed()
    }

    /// Closes the queue: pushes fail with `Closed`, pops drain what is
    /// left, then fail with `Closed`; every sleeper is woken. True if this
    /// call closed it.
    pub fn close(&self) -> bool {
        // Waits only for the producer lock (held for a copy, or taken over
        // from a dead owner within a slice).
        self.raw.close(&mut Wait::forever()).unwrap_or(false)
    }

    /// The header words (tests, fuzzing, the soak: not a stable API).
    #[doc(hidden)]
    pub fn __control(&self) -> &crate::layout::Control {
        self.raw.region().control()
    }

    /// How many times a lock was taken over from a dead process.
    pub fn recoveries(&self) -> u64 {
        let c = self.raw.region().control();
        // Relaxed: statistics.
        u64::from(c.prod.recoveries.load(std::sync::atomic::Ordering::Relaxed))
            + u64::from(c.cons.recoveries.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Pushes `msg` if there is room now.
    pub fn try_push(&self, msg: &[u8]) -> Result<(), PushError> {
        self.raw
            .try_push_many(&[msg], &mut Wait::forever())
            .map(drop)
            .map_err(push_err)
    }

    /// Pushes `msg`, sleeping while the queue is full, until `wait`'s
    /// deadline (then `Timeout`) or its interruption check says stop.
    pub fn push<'a>(&self, msg: &[u8], wait: impl Into<Wait<'a>>) -> Result<(), PushError> {
        self.raw
            .push_many(&[msg], &mut wait.into())
            .map_err(|(_, e)| push_err(e))
    }

    /// Pushes as many of `msgs` as fit now (a prefix), paying one
    /// synchronisation for all of them: `Ok(n)`, `n >= 1` (or 0 if `msgs`
    /// is empty), or why not even the first.
    pub fn try_push_many(&self, msgs: &[&[u8]]) -> Result<usize, PushError> {
        self.raw
            .try_push_many(msgs, &mut Wait::forever())
            .map_err(push_err)
    }

    /// Pushes all of `msgs` in order, sleeping for room as needed (one
    /// synchronisation per run of messages that fit).
    pub fn push_many<'a>(
        &self,
        msgs: &[&[u8]],
        wait: impl Into<Wait<'a>>,
    ) -> Result<(), PushManyError> {
        self.raw
            .push_many(msgs, &mut wait.into())
            .map_err(|(pushed, e)| PushManyError {
                pushed,
                error: push_err(e),
            })
    }

    /// Pops the oldest message if there is one.
    pub fn try_pop(&self) -> Result<Vec<u8>, PopError> {
        let mut sink = VecSink(None);
        self.raw
            .try_pop_into(&mut sink, 1, &mut Wait::forever())
            .map_err(pop_err)?;
        sink.0.ok_or(PopError::Empty)
    }

    /// Pops the oldest message into `buf`, returning its length; a message
    /// longer than `buf` stays queued (`BufferTooSmall`).
    pub fn try_pop_into(&self, buf: &mut [u8]) -> Result<usize, PopError> {
        let mut sink = BufSink { buf, len: None };
        self.raw
            .try_pop_into(&mut sink, 1, &mut Wait::forever())
            .map_err(pop_err)?;
        sink.len.ok_or(PopError::Empty)
    }

    /// Pops the oldest message, sleeping while the queue is empty.
    pub fn pop<'a>(&self, wait: impl Into<Wait<'a>>) -> Result<Vec<u8>, PopError> {
        let mut sink = VecSink(None);
        self.raw
            .pop_into(&mut sink, 1, &mut wait.into())
            .map_err(pop_err)?;
        sink.0.ok_or(PopError::Empty)
    }

    /// Pops the oldest message into `buf`, sleeping while the queue is
    /// empty; returns its length.
    pub fn pop_into<'a>(
        &self,
        buf: &mut [u8],
        wait: impl Into<Wait<'a>>,
    ) -> Result<usize, PopError> {
        let mut sink = BufSink { buf, len: None };
        self.raw
            .pop_into(&mut sink, 1, &mut wait.into())
            .map_err(pop_err)?;
        sink.len.ok_or(PopError::Empty)
    }

    /// Replaces `batch`'s contents with up to `max` messages available now,
    /// paying one synchronisation for all; `Ok(n)`, `n >= 1`.
    pub fn try_pop_many(&self, batch: &mut Batch, max: usize) -> Result<usize, PopError> {
        batch.clear();
        if max == 0 {
            return Ok(0);
        }
        self.raw
            .try_pop_into(batch, max, &mut Wait::forever())
            .map_err(pop_err)
    }

    /// Like [`try_pop_many`](Self::try_pop_many), sleeping while the queue
    /// is empty (returns as soon as at least one message is there).
    pub fn pop_many<'a>(
        &self,
        batch: &mut Batch,
        max: usize,
        wait: impl Into<Wait<'a>>,
    ) -> Result<usize, PopError> {
        batch.clear();
        if max == 0 {
            return Ok(0);
        }
        self.raw
            .pop_into(batch, max, &mut wait.into())
            .map_err(pop_err)
    }
}

impl AsFd for Queue {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.raw.region().fd()
    }
}

impl AsRawFd for Queue {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}
