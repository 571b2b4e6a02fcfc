//! Errors shared by the non-blocking queues ([`Ring`](crate::Ring) and
//! [`List`](crate::List)) and the blocking layer
//! ([`Blocking`](crate::Blocking)).

use core::fmt;

/// A push that did not happen; the value is handed back, never dropped.
///
/// ```
/// use xikernel::{PushError, Ring};
///
/// let ring = Ring::new(1);
/// ring.try_push("a").unwrap();
/// let err = ring.try_push("b").unwrap_err();
/// assert!(err.is_full());
/// assert_eq!(err.to_string(), "push to a full queue");
/// assert_eq!(err.into_inner(), "b"); // nothing lost
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushError<T> {
    /// The queue held `capacity` items (bounded queues only).
    Full(T),
    /// The queue was closed before this push.
    Closed(T),
    /// A blocking push reached its deadline while the queue stayed full.
    Timeout(T),
    /// A blocking push was interrupted while the queue stayed full.
    Interrupted(T),
}

impl<T> PushError<T> {
    /// The value that was not pushed.
    pub fn into_inner(self) -> T {
        match self {
            PushError::Full(v)
            | PushError::Closed(v)
            | PushError::Timeout(v)
            | PushError::Interrupted(v) => v,
        }
    }

    /// Whether the queue was full.
    pub fn is_full(&self) -> bool {
        matches!(self, PushError::Full(_))
    }

    /// Whether the queue was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, PushError::Closed(_))
    }

    /// Whether a blocking push timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, PushError::Timeout(_))
    }
}

impl<T> fmt::Debug for PushError<T> {
    // No `T: Debug` bound: the payload is the caller's, the kind is ours.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Full(_) => f.write_str("Full(..)"),
            PushError::Closed(_) => f.write_str("Closed(..)"),
            PushError::Timeout(_) => f.write_str("Timeout(..)"),
            PushError::Interrupted(_) => f.write_str("Interrupted(..)"),
        }
    }
}

impl<T> fmt::Display for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Full(_) => f.write_str("push to a full queue"),
            PushError::Closed(_) => f.write_str("push to a closed queue"),
            PushError::Timeout(_) => f.write_str("push timed out on a full queue"),
            PushError::Interrupted(_) => f.write_str("push interrupted on a full queue"),
        }
    }
}

/// A pop that found nothing.
///
/// ```
/// use xikernel::{List, PopError};
///
/// let list = List::<u8>::new();
/// assert_eq!(list.try_pop(), Err(PopError::Empty));
/// list.close();
/// assert_eq!(list.try_pop(), Err(PopError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PopError {
    /// No item was available (the queue is still open).
    Empty,
    /// The queue is closed and fully drained: no item will ever arrive.
    Closed,
    /// A blocking pop reached its deadline while the queue stayed empty.
    Timeout,
    /// A blocking pop was interrupted while the queue stayed empty.
    Interrupted,
}

impl fmt::Display for PopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PopError::Empty => f.write_str("pop from an empty queue"),
            PopError::Closed => f.write_str("pop from a closed and drained queue"),
            PopError::Timeout => f.write_str("pop timed out on an empty queue"),
            PopError::Interrupted => f.write_str("pop interrupted on an empty queue"),
        }
    }
}

impl<T> core::error::Error for PushError<T> {}
impl core::error::Error for PopError {}
