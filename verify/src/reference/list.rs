//! Reference model of [`xikernel::List`]: an unbounded FIFO with close,
//! on a `VecDeque`. Same rules as [`RefRing`](super::ring::RefRing) minus
//! `Full` and `force_push`.

use std::collections::VecDeque;

use xikernel::{PopError, PushError};

/// Unbounded FIFO with close.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RefList<T> {
    items: VecDeque<T>,
    closed: bool,
}

impl<T> RefList<T> {
    pub fn new() -> Self {
        RefList {
            items: VecDeque::new(),
            closed: false,
        }
    }

    /// Fails only with `Closed`.
    pub fn try_push(&mut self, value: T) -> Result<(), PushError<T>> {
        if self.closed {
            return Err(PushError::Closed(value));
        }
        self.items.push_back(value);
        Ok(())
    }

    pub fn try_pop(&mut self) -> Result<T, PopError> {
        match self.items.pop_front() {
            Some(v) => Ok(v),
            None if self.closed => Err(PopError::Closed),
            None => Err(PopError::Empty),
        }
    }

    /// Closes the list; `true` if this call closed it.
    pub fn close(&mut self) -> bool {
        !core::mem::replace(&mut self.closed, true)
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The queued items, oldest first.
    pub fn items(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }
}
