//! Reference model of [`xikernel::Ring`]: a bounded FIFO with close and
//! `force_push`, written as plainly as possible on a `VecDeque`.
//!
//! It is the oracle for the proptest conformance tests and the sequential
//! specification the linearizability checker replays histories against, so
//! it must be *obviously* right rather than fast. Semantics:
//!
//! - `try_push` fails with `Closed` once closed (checked first), else with
//!   `Full` when `len == capacity`;
//! - `force_push` never reports `Full`: at capacity it evicts and returns the
//!   oldest item;
//! - `try_pop` returns queued items even after `close`; `Closed` only when
//!   closed *and* drained, `Empty` when open and empty;
//! - `close` returns `true` only for the call that closed the queue.

use xikernel::{PopError, PushError};

use super::list::RefList;

/// Bounded FIFO with close; see the module docs. A [`RefList`] plus a bound.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RefRing<T> {
    list: RefList<T>,
    capacity: usize,
}

impl<T> RefRing<T> {
    /// A ring holding at most `capacity` items.
    ///
    /// # Panics
    ///
    /// If `capacity` is zero, like `Ring::new` (use [`RefRing::try_new`]).
    pub fn new(capacity: usize) -> Self {
        Self::try_new(capacity).expect("a ring needs a capacity of at least 1")
    }

    /// `None` for a zero capacity. (`Ring::try_new` also refuses capacities
    /// too large to allocate; the model has no such limit.)
    pub fn try_new(capacity: usize) -> Option<Self> {
        (capacity > 0).then(|| RefRing {
            list: RefList::new(),
            capacity,
        })
    }

    pub fn try_push(&mut self, value: T) -> Result<(), PushError<T>> {
        if !self.list.is_closed() && self.is_full() {
            return Err(PushError::Full(value));
        }
        self.list.try_push(value)
    }

    /// Pushes even when full by evicting the oldest item, which is returned.
    pub fn force_push(&mut self, value: T) -> Result<Option<T>, PushError<T>> {
        if self.list.is_closed() {
            return Err(PushError::Closed(value));
        }
        let evicted = if self.is_full() {
            self.list.try_pop().ok()
        } else {
            None
        };
        self.list.try_push(value).map(|()| evicted)
    }

    pub fn try_pop(&mut self) -> Result<T, PopError> {
        self.list.try_pop()
    }

    /// Closes the ring; `true` if this call closed it.
    pub fn close(&mut self) -> bool {
        self.list.close()
    }

    pub fn is_closed(&self) -> bool {
        self.list.is_closed()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.list.len() == self.capacity
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The queued items, oldest first.
    pub fn items(&self) -> impl Iterator<Item = &T> {
        self.list.items()
    }
}
