//! Queue errors, with CPython's exception classes and messages.

use core::fmt;

use super::QueueId;

/// Why a queue operation failed. `Display` gives CPython's message and
/// [`class`](QueueError::class) the exception class, so a binding can map
/// errors one to one. Operations that carry an item fail with
/// [`QueuePushError`], which hands it back.
///
/// ```
/// use xikernel::{QueueDefaults, QueueError, Queues};
///
/// let queues = Queues::<u8>::new();
/// let q = queues.create(1, QueueDefaults::default()).unwrap();
/// assert_eq!(queues.try_pop(q), Err(QueueError::Empty(q)));
/// assert_eq!(QueueError::Empty(q).to_string(), format!("queue {q} is empty"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum QueueError {
    /// No queue with this id (never created, or destroyed).
    NotFound(QueueId),
    /// A get found no item.
    Empty(QueueId),
    /// A put found the queue full.
    Full(QueueId),
    /// The queue was closed ([`Queues::close`](super::Queues::close)): no
    /// more puts; gets see this once it is drained.
    Closed(QueueId),
    /// A blocking call reached its deadline.
    Timeout(QueueId),
    /// A blocking call was interrupted (see
    /// [`Interrupt`](crate::wait::Interrupt)).
    Interrupted(QueueId),
    /// `release` without a matching `bind`.
    NeverBound(QueueId),
    /// Every queue id has been used.
    IdsExhausted,
    /// The item's interpreter was destroyed and its policy is ERROR (the
    /// wrapper-level resolution of `Received::Unbound(UnboundOp::Error)`).
    ItemInterpreterDestroyed(QueueId),
}

/// A put that did not happen, with the item handed back.
///
/// ```
/// use xikernel::{QueueDefaults, QueuePushError, Queues, UnboundOp, MAIN};
///
/// let queues = Queues::new();
/// let q = queues.create(1, QueueDefaults::default()).unwrap();
/// queues.try_push(MAIN, q, "first", UnboundOp::Replace).unwrap();
/// let err = queues.try_push(MAIN, q, "second", UnboundOp::Replace).unwrap_err();
/// assert!(matches!(err, QueuePushError::Full(_, "second")));
/// assert_eq!(err.into_inner(), "second"); // nothing lost
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QueuePushError<T> {
    /// No queue with this id.
    NotFound(QueueId, T),
    /// The queue is at its bound.
    Full(QueueId, T),
    /// The queue was closed.
    Closed(QueueId, T),
    /// A blocking put reached its deadline while the queue stayed full.
    Timeout(QueueId, T),
    /// A blocking put was interrupted while the queue stayed full.
    Interrupted(QueueId, T),
}

impl<T> QueuePushError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            QueuePushError::NotFound(_, t)
            | QueuePushError::Full(_, t)
            | QueuePushError::Closed(_, t)
            | QueuePushError::Timeout(_, t)
            | QueuePushError::Interrupted(_, t) => t,
        }
    }

    /// The error without the item.
    pub fn error(&self) -> QueueError {
        match *self {
            QueuePushError::NotFound(q, _) => QueueError::NotFound(q),
            QueuePushError::Full(q, _) => QueueError::Full(q),
            QueuePushError::Closed(q, _) => QueueError::Closed(q),
            QueuePushError::Timeout(q, _) => QueueError::Timeout(q),
            QueuePushError::Interrupted(q, _) => QueueError::Interrupted(q),
        }
    }

    /// Splits into the error and the item.
    pub fn into_parts(self) -> (QueueError, T) {
        (self.error(), self.into_inner())
    }
}

impl<T> fmt::Debug for QueuePushError<T> {
    // No `T: Debug` bound: the item is the caller's, the error is ours.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QueuePushError({:?})", self.error())
    }
}

impl<T> fmt::Display for QueuePushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error(), f)
    }
}

impl<T> core::error::Error for QueuePushError<T> {}

/// The Python exception class CPython raises for an error.
///
/// ```
/// use xikernel::queue::QueueErrorClass;
/// use xikernel::{QueueError, QueueId};
/// assert_eq!(QueueError::Empty(QueueId(1)).class(), QueueErrorClass::QueueEmpty);
/// assert_eq!(QueueErrorClass::QueueFull.name(), "QueueFull");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum QueueErrorClass {
    /// `QueueError(RuntimeError)`, the base of the others.
    QueueError,
    /// `QueueNotFoundError`.
    QueueNotFoundError,
    /// `QueueEmpty`, also a `queue.Empty`.
    QueueEmpty,
    /// `QueueFull`, also a `queue.Full`.
    QueueFull,
    /// `ItemInterpreterDestroyed`.
    ItemInterpreterDestroyed,
}

impl QueueErrorClass {
    /// The class name, as Python spells it.
    pub fn name(self) -> &'static str {
        match self {
            QueueErrorClass::QueueError => "QueueError",
            QueueErrorClass::QueueNotFoundError => "QueueNotFoundError",
            QueueErrorClass::QueueEmpty => "QueueEmpty",
            QueueErrorClass::QueueFull => "QueueFull",
            QueueErrorClass::ItemInterpreterDestroyed => "ItemInterpreterDestroyed",
        }
    }
}

impl QueueError {
    /// The Python exception class CPython raises for this error. `Timeout`
    /// and `Interrupted` have none of their own (a binding raises
    /// `QueueFull` / `QueueEmpty` for a timed-out put / get and its own
    /// exception for an interruption): they map to the base class.
    pub fn class(&self) -> QueueErrorClass {
        match self {
            QueueError::NotFound(_) => QueueErrorClass::QueueNotFoundError,
            QueueError::Empty(_) => QueueErrorClass::QueueEmpty,
            QueueError::Full(_) => QueueErrorClass::QueueFull,
            QueueError::Closed(_)
            | QueueError::Timeout(_)
            | QueueError::Interrupted(_)
            | QueueError::NeverBound(_)
            | QueueError::IdsExhausted => QueueErrorClass::QueueError,
            QueueError::ItemInterpreterDestroyed(_) => QueueErrorClass::ItemInterpreterDestroyed,
        }
    }
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueError::NotFound(q) => write!(f, "queue {q} not found"),
            QueueError::Empty(q) => write!(f, "queue {q} is empty"),
            QueueError::Full(q) => write!(f, "queue {q} is full"),
            QueueError::Closed(q) => write!(f, "queue {q} is closed"),
            QueueError::Timeout(q) => write!(f, "wait on queue {q} timed out"),
            QueueError::Interrupted(q) => write!(f, "wait on queue {q} interrupted"),
            QueueError::NeverBound(q) => write!(f, "queue {q} never bound"),
            QueueError::IdsExhausted => f.write_str("ran out of queue IDs"),
            QueueError::ItemInterpreterDestroyed(_) => {
                f.write_str("item's original interpreter destroyed")
            }
        }
    }
}

impl core::error::Error for QueueError {}
