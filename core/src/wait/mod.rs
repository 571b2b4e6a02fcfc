//! The blocking toolkit (std): one deadline type, one interruption
//! mechanism, one park helper, and blocking queues built on them.
//!
//! - [`Deadline`]: when a blocking call gives up (never, after a
//!   `Duration`, at an `Instant`).
//! - [`Interrupt`]: how a runtime cuts a wait short — a check it supplies
//!   ([`Every`]), run every period of parking with no kernel lock held
//!   (CPython runs its signal handlers there), or an [`InterruptToken`]
//!   another thread trips.
//! - [`Wait`]: a deadline plus an optional interrupt, which every blocking
//!   call takes, and the park helper: [`Wait::park_limit`] says how long
//!   the next park may last, [`Wait::after_park`] runs the interrupt check.
//!   A call that stops ends with [`WaitError`] (`Timeout` or
//!   `Interrupted`) after one last attempt, and hands back what it carried.
//! - [`Notifier`]: the wake-up primitive every kernel waiter parks on
//!   (queues, registry queues, channels): no lost wake-up, free when
//!   nobody sleeps.
//!
//! [`Blocking<Q>`] wraps any [`TryQueue`] (the ring, the list, or a
//! runtime's own queue) and adds waiting operations that sleep until the
//! opposite operation or [`close`](Blocking::close) wakes them:
//!
//! - no polling: a sleeper is woken by the operation that made progress
//!   possible, never by a timer (CPython's wrappers poll every 10 ms);
//! - timeouts are honoured to the precision of the OS (`Duration`, not
//!   CPython's whole seconds), and a timed-out waiter always makes one last
//!   attempt, so a wake-up that raced its deadline is never lost;
//! - the fast path stays lock-free: an operation that succeeds at once
//!   touches no lock, and waking costs a fence and one load when nobody
//!   sleeps ([`Notifier`]);
//! - a waiter spins and yields briefly (bounded) before it parks, since a
//!   running partner usually makes progress sooner than a park and wake-up
//!   round trip.
//!
//! Two notifiers, one per waiter kind: `not_empty` for poppers (signalled
//! by every successful push) and `not_full` for pushers (signalled by every
//! successful pop of a bounded queue). One item or slot wakes one waiter
//! (`notify_one`); `close` wakes all of them. Poppers then drain the queue
//! and see `Closed` once it is empty; pushers get their value back in
//! `PushError::Closed`.
//!
//! ```no_run
//! // (`no_run`: doctests also build under the `loom` feature, whose types
//! // only work inside a model; `core/tests/wait_blocking.rs` runs this.)
//! use std::sync::Arc;
//! use std::time::Duration;
//! use xikernel::wait::BlockingRing;
//! use xikernel::PopError;
//!
//! let q = Arc::new(BlockingRing::with_capacity(8));
//! let rx = q.clone();
//! let consumer = std::thread::spawn(move || {
//!     let mut got = Vec::new();
//!     while let Ok(v) = rx.pop() {
//!         got.push(v); // sleeps while empty, drains after close
//!     }
//!     got
//! });
//! for i in 0..100 {
//!     q.push(i).unwrap(); // sleeps while full
//! }
//! q.close();
//! assert_eq!(consumer.join().unwrap(), (0..100).collect::<Vec<_>>());
//! assert_eq!(q.pop_timeout(Duration::from_millis(1)), Err(PopError::Closed));
//! ```
//!
//! ## Without `std`
//!
//! This module needs `std` for `Condvar` and `Instant`; the protocol does
//! not. A `no_std` runtime that has its own way to park a task keeps the
//! non-blocking `Ring`/`List` (always available) and rebuilds this small
//! layer on its primitive: a waiter count bumped *before* a `fence(SeqCst)`
//! and a final poll under the runtime's wait-queue lock, and wakers that
//! make progress, fence, check the count and only then take that lock and
//! wake (the [`Notifier`] docs carry the proof it must preserve; the
//! `wait_loom` models are the template to re-check it). A green-thread
//! runtime can equally drive the non-blocking queues directly and wake its
//! tasks itself.
//!
//! ## What proves it
//!
//! loom models of lost wake-ups and of both fences (on the real `Ring` and
//! `List`, each fence weakened in turn must fail them), shuttle models
//! with many threads racing `close` for exactly-once delivery, tests of
//! timeouts and interruption with real threads, and a catalogue of planted
//! bugs that those checks must catch.

mod deadline;
mod interrupt;
mod notifier;
mod park;
mod queues;

pub use deadline::Deadline;
pub use interrupt::{Every, Interrupt, InterruptToken};
pub use notifier::Notifier;
pub use park::{Wait, WaitError};
pub use queues::{BlockingList, BlockingRing};

use core::time::Duration;

use crate::error::{PopError, PushError};

/// A non-blocking MPMC queue the blocking layer can wait on.
///
/// Implementations must be linearizable and follow the kernel's close rule:
/// after `close`, pushes fail with `Closed`, pops drain what is left and
/// then fail with `Closed`.
///
/// ```
/// use std::collections::VecDeque;
/// use std::sync::Mutex;
/// use xikernel::{Blocking, PopError, PushError, TryQueue};
///
/// /// A runtime's own queue, made blocking by the kernel's layer.
/// #[derive(Default)]
/// struct Mine(Mutex<(VecDeque<u8>, bool)>);
/// impl TryQueue for Mine {
///     type Item = u8;
///     const BOUNDED: bool = false;
///     fn try_push(&self, v: u8) -> Result<(), PushError<u8>> {
///         let mut g = self.0.lock().unwrap();
///         if g.1 { return Err(PushError::Closed(v)); }
///         g.0.push_back(v);
///         Ok(())
///     }
///     fn try_pop(&self) -> Result<u8, PopError> {
///         let mut g = self.0.lock().unwrap();
///         g.0.pop_front().ok_or(if g.1 { PopError::Closed } else { PopError::Empty })
///     }
///     fn close(&self) -> bool { !std::mem::replace(&mut self.0.lock().unwrap().1, true) }
///     fn is_closed(&self) -> bool { self.0.lock().unwrap().1 }
/// }
///
/// let q = Blocking::new(Mine::default());
/// q.push(1).unwrap();
/// q.close();
/// assert_eq!((q.pop(), q.pop()), (Ok(1), Err(PopError::Closed)));
/// ```
pub trait TryQueue {
    /// The element type.
    type Item;

    /// False for unbounded queues: pushes never wait, so pops skip waking
    /// pushers altogether. Must be true if `try_push` can ever return
    /// `Full` (else a pusher waiting for room would never be woken).
    const BOUNDED: bool;

    /// Pushes without waiting; the value comes back on `Full` or `Closed`.
    fn try_push(&self, value: Self::Item) -> Result<(), PushError<Self::Item>>;

    /// Pops without waiting.
    fn try_pop(&self) -> Result<Self::Item, PopError>;

    /// Closes the queue; true if this call closed it.
    fn close(&self) -> bool;

    /// Whether the queue has been closed.
    fn is_closed(&self) -> bool;
}

/// A queue with blocking, time-limited and non-blocking operations; see the
/// [module docs](self).
///
/// Share it with `Arc<Blocking<Q>>`. Use only its methods to push and pop:
/// an operation on [`queue()`](Self::queue) directly wakes nobody.
///
/// ```
/// use std::time::Duration;
/// use xikernel::{Blocking, PopError, PushError, Ring};
/// let q = Blocking::new(Ring::new(1));
/// q.push('a').unwrap();
/// assert!(matches!(q.push_timeout('b', Duration::from_millis(1)), Err(PushError::Timeout('b'))));
/// assert_eq!(q.pop_timeout(Duration::ZERO), Ok('a'));
/// assert_eq!(q.pop_timeout(Duration::ZERO), Err(PopError::Timeout));
/// ```
#[derive(Debug, Default)]
pub struct Blocking<Q> {
    queue: Q,
    /// Poppers wait here; signalled after each successful push and on close.
    not_empty: Notifier,
    /// Pushers wait here; signalled after each successful pop of a bounded
    /// queue and on close.
    not_full: Notifier,
}

impl<Q: TryQueue> Blocking<Q> {
    /// Wraps `queue`.
    pub fn new(queue: Q) -> Self {
        Self {
            queue,
            not_empty: Notifier::new(),
            not_full: Notifier::new(),
        }
    }

    /// The wrapped queue (for `len`, `capacity` and the like).
    pub fn queue(&self) -> &Q {
        &self.queue
    }

    /// Unwraps the queue.
    pub fn into_inner(self) -> Q {
        self.queue
    }

    /// Pushes without waiting, waking a sleeping popper on success.
    #[inline]
    pub fn try_push(&self, value: Q::Item) -> Result<(), PushError<Q::Item>> {
        self.queue.try_push(value)?;
        self.pushed();
        Ok(())
    }

    /// Pops without waiting, waking a sleeping pusher on success.
    #[inline]
    pub fn try_pop(&self) -> Result<Q::Item, PopError> {
        let value = self.queue.try_pop()?;
        self.popped();
        Ok(value)
    }

    /// Pushes, waiting as long as the queue is full. Fails only with
    /// `Closed` (value handed back).
    pub fn push(&self, value: Q::Item) -> Result<(), PushError<Q::Item>> {
        self.push_wait(value, Wait::forever())
    }

    /// Pushes, waiting at most `timeout` while the queue is full;
    /// `Timeout` (value handed back) when it ran out. A zero timeout is one
    /// attempt.
    pub fn push_timeout(
        &self,
        value: Q::Item,
        timeout: Duration,
    ) -> Result<(), PushError<Q::Item>> {
        self.push_wait(value, Wait::timeout(timeout))
    }

    /// Pushes, waiting while the queue is full as `wait` allows: `Timeout`
    /// or `Interrupted` hand the value back.
    pub fn push_wait(&self, value: Q::Item, wait: Wait<'_>) -> Result<(), PushError<Q::Item>> {
        let outcome = self
            .not_full
            .wait_with(wait, value, |v| match self.queue.try_push(v) {
                Err(PushError::Full(v)) => Err(v),
                done => Ok(done),
            });
        match outcome {
            Ok(Ok(())) => {
                self.pushed();
                Ok(())
            }
            Ok(Err(e)) => Err(e),
            Err((v, WaitError::Interrupted)) => Err(PushError::Interrupted(v)),
            Err((v, _)) => Err(PushError::Timeout(v)),
        }
    }

    /// Pops, waiting as long as the queue is empty. Fails only with
    /// `Closed`, once the queue is closed and drained.
    pub fn pop(&self) -> Result<Q::Item, PopError> {
        self.pop_wait(Wait::forever())
    }

    /// Pops, waiting at most `timeout` while the queue is empty; `Timeout`
    /// when it ran out. A zero timeout is one attempt.
    pub fn pop_timeout(&self, timeout: Duration) -> Result<Q::Item, PopError> {
        self.pop_wait(Wait::timeout(timeout))
    }

    /// Pops, waiting while the queue is empty as `wait` allows.
    pub fn pop_wait(&self, wait: Wait<'_>) -> Result<Q::Item, PopError> {
        let outcome = self
            .not_empty
            .wait_with(wait, (), |()| match self.queue.try_pop() {
                Err(PopError::Empty) => Err(()),
                done => Ok(done),
            });
        match outcome {
            Ok(Ok(value)) => {
                self.popped();
                Ok(value)
            }
            Ok(Err(e)) => Err(e),
            Err(((), WaitError::Interrupted)) => Err(PopError::Interrupted),
            Err(((), _)) => Err(PopError::Timeout),
        }
    }

    /// Closes the queue and wakes every sleeper: poppers drain what is left,
    /// pushers get `Closed`. True if this call closed it.
    pub fn close(&self) -> bool {
        let closed = self.queue.close();
        // Unconditionally: a racing `close` that lost may return before the
        // winner's wake-ups, but each caller's own wake-up is complete.
        self.not_empty.notify_all();
        self.not_full.notify_all();
        closed
    }

    /// Whether the queue has been closed.
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// An item arrived: one popper can make progress.
    #[inline]
    fn pushed(&self) {
        self.not_empty.notify_one();
    }

    /// A slot freed up: one pusher can make progress.
    #[inline]
    fn popped(&self) {
        if Q::BOUNDED {
            self.not_full.notify_one();
        }
    }
}
