//! Concurrent queues for checking the checker: one correct control and
//! three with bugs that only show under concurrency. The linearizability
//! checker must pass the control and catch each bug from a real run
//! (`tests/lin_checker.rs`, and the campaign's `lin` rows), under std
//! threads and under shuttle (their locks come from [`crate::rt`]).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::lin::queue_spec::{QOp, QRet};
use crate::reference::ring::RefRing;
use crate::rt::{yield_now, Mutex, TryLockError};
use crate::stress::{QueueUnderTest, VALUE_STRIDE};

/// Correct: the reference ring behind a mutex. Linearizable by construction
/// (every operation is one critical section); the checker must accept it.
#[derive(Debug)]
pub struct LockedRing(Mutex<RefRing<u64>>);

impl LockedRing {
    pub fn new(capacity: usize) -> Self {
        LockedRing(Mutex::new(RefRing::new(capacity)))
    }
}

impl QueueUnderTest for LockedRing {
    fn apply(&self, op: QOp) -> QRet {
        let mut q = self.0.lock().unwrap();
        match op {
            QOp::Push(v) => QRet::of_push(q.try_push(v)),
            QOp::ForcePush(v) => QRet::of_force(q.force_push(v)),
            QOp::Pop => QRet::of_pop(q.try_pop()),
            QOp::Close => QRet::Closed(q.close()),
        }
    }
    fn has_force_push(&self) -> bool {
        true
    }
}

/// The bug a planted queue carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    /// `pop` peeks the front, unlocks, relocks and removes whatever is at
    /// the front then: two racing pops return the same item and lose one.
    RacyPeek,
    /// `pop` uses `try_lock` and reports `Empty` when the lock is contended,
    /// although the queue holds items.
    SpuriousEmpty,
}

/// An unbounded mutex queue with a planted [`Bug`].
#[derive(Debug)]
pub struct BuggyQueue {
    bug: Bug,
    inner: Mutex<(VecDeque<u64>, bool)>,
}

impl BuggyQueue {
    pub fn new(bug: Bug) -> Self {
        BuggyQueue {
            bug,
            inner: Mutex::new((VecDeque::new(), false)),
        }
    }

    fn pop(&self) -> QRet {
        let peeked = match self.bug {
            Bug::RacyPeek => {
                let q = self.inner.lock().unwrap();
                match q.0.front() {
                    Some(&v) => v,
                    None if q.1 => return QRet::PopClosed,
                    None => return QRet::Empty,
                }
            }
            Bug::SpuriousEmpty => {
                let mut q = match self.inner.try_lock() {
                    Ok(q) => q,
                    Err(TryLockError::WouldBlock) => return QRet::Empty,
                    Err(TryLockError::Poisoned(e)) => e.into_inner(),
                };
                return match q.0.pop_front() {
                    Some(v) => QRet::Popped(v),
                    None if q.1 => QRet::PopClosed,
                    None => QRet::Empty,
                };
            }
        };
        // The window of the check-then-act race.
        yield_now();
        self.inner.lock().unwrap().0.pop_front();
        QRet::Popped(peeked)
    }
}

impl QueueUnderTest for BuggyQueue {
    fn apply(&self, op: QOp) -> QRet {
        match op {
            QOp::Push(v) | QOp::ForcePush(v) => {
                let mut q = self.inner.lock().unwrap();
                if q.1 {
                    return QRet::PushClosed;
                }
                q.0.push_back(v);
                if self.bug == Bug::SpuriousEmpty {
                    // Hold the lock a little longer: the contention the bug
                    // needs then shows up within a few rounds even on a
                    // loaded machine.
                    yield_now();
                }
                QRet::Pushed
            }
            QOp::Pop => self.pop(),
            QOp::Close => QRet::Closed(!std::mem::replace(&mut self.inner.lock().unwrap().1, true)),
        }
    }
}

/// Reorders under multi-producer use: each producer's items go to one of
/// two FIFO shards and `pop` alternates between shards. FIFO per producer
/// holds, global FIFO does not (a realistic "sharded for speed" bug).
#[derive(Debug, Default)]
pub struct ShardedQueue {
    shards: [Mutex<VecDeque<u64>>; 2],
    cursor: AtomicUsize,
    closed: Mutex<bool>,
}

impl ShardedQueue {
    pub fn new() -> Self {
        Self::default()
    }
}

impl QueueUnderTest for ShardedQueue {
    fn apply(&self, op: QOp) -> QRet {
        match op {
            QOp::Push(v) | QOp::ForcePush(v) => {
                // The closed lock is held across the push so close is exact.
                let closed = self.closed.lock().unwrap();
                if *closed {
                    return QRet::PushClosed;
                }
                // Values carry their producer (see `stress::VALUE_STRIDE`).
                self.shards[(v / VALUE_STRIDE) as usize % 2]
                    .lock()
                    .unwrap()
                    .push_back(v);
                QRet::Pushed
            }
            QOp::Pop => {
                let closed = self.closed.lock().unwrap();
                // Relaxed: the cursor only spreads pops, it orders nothing.
                let first = self.cursor.fetch_add(1, Ordering::Relaxed) % 2;
                for s in [first, 1 - first] {
                    if let Some(v) = self.shards[s].lock().unwrap().pop_front() {
                        return QRet::Popped(v);
                    }
                }
                if *closed {
                    QRet::PopClosed
                } else {
                    QRet::Empty
                }
            }
            QOp::Close => {
                let mut closed = self.closed.lock().unwrap();
                QRet::Closed(!std::mem::replace(&mut *closed, true))
            }
        }
    }
}
