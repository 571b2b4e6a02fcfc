//! Queue errors, with CPython's exception classes and messages.

use core::fmt;

use super::QueueId;

/// Why a queue operation failed. `Display` gives CPython's message and
/// [`class`](QueueError::class) the exception class, so a binding can map
/// errors one to one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum QueueError {
    /// No queue with this id (never created, or destroyed).
    NotFound(QueueId),
    /// `get` found no item (or a blocking get timed out).
    Empty(QueueId),
    /// `put` found the queue full (or a blocking put timed out).
    Full(QueueId),
    /// `release` without a matching `bind`.
    NeverBound(QueueId),
    /// Every queue id has been used.
    IdsExhausted,
    /// The item's interpreter was destroyed and its policy is ERROR (the
    /// wrapper-level resolution of `Received::Unbound(UnboundOp::Error)`).
    ItemInterpreterDestroyed(QueueId),
}

/// The Python exception class CPython raises for an error.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum QueueErrorClass {
    /// `QueueError(RuntimeError)`, the base of the others.
    QueueError,
    QueueNotFoundError,
    /// Also a `queue.Empty`.
    QueueEmpty,
    /// Also a `queue.Full`.
    QueueFull,
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
    pub fn class(&self) -> QueueErrorClass {
        match self {
            QueueError::NotFound(_) => QueueErrorClass::QueueNotFoundError,
            QueueError::Empty(_) => QueueErrorClass::QueueEmpty,
            QueueError::Full(_) => QueueErrorClass::QueueFull,
            QueueError::NeverBound(_) | QueueError::IdsExhausted => QueueErrorClass::QueueError,
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
            QueueError::NeverBound(q) => write!(f, "queue {q} never bound"),
            QueueError::IdsExhausted => f.write_str("ran out of queue IDs"),
            QueueError::ItemInterpreterDestroyed(_) => {
                f.write_str("item's original interpreter destroyed")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for QueueError {}
