//! Errors shared by the non-blocking queues ([`Ring`](crate::ring::Ring) and
//! [`List`](crate::list::List)) and the blocking layer.

use core::fmt;

/// A push that did not happen; the value is handed back, never dropped.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PushError<T> {
    /// The queue held `capacity` items (bounded queues only).
    Full(T),
    /// The queue was closed before this push.
    Closed(T),
}

impl<T> PushError<T> {
    /// The value that was not pushed.
    pub fn into_inner(self) -> T {
        match self {
            PushError::Full(v) | PushError::Closed(v) => v,
        }
    }

    pub fn is_full(&self) -> bool {
        matches!(self, PushError::Full(_))
    }

    pub fn is_closed(&self) -> bool {
        matches!(self, PushError::Closed(_))
    }
}

impl<T> fmt::Debug for PushError<T> {
    // No `T: Debug` bound: the payload is the caller's, the kind is ours.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Full(_) => f.write_str("Full(..)"),
            PushError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Full(_) => f.write_str("push to a full queue"),
            PushError::Closed(_) => f.write_str("push to a closed queue"),
        }
    }
}

/// A pop that found nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PopError {
    /// No item was available (the queue is still open).
    Empty,
    /// The queue is closed and fully drained: no item will ever arrive.
    Closed,
}

impl fmt::Display for PopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PopError::Empty => f.write_str("pop from an empty queue"),
            PopError::Closed => f.write_str("pop from a closed and drained queue"),
        }
    }
}

#[cfg(feature = "std")]
impl<T> std::error::Error for PushError<T> {}
#[cfg(feature = "std")]
impl std::error::Error for PopError {}
