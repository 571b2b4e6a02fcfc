//! Channel errors, with CPython's exception classes and messages.

use core::fmt;

use super::ChannelId;

/// Why a channel operation failed. `Display` gives CPython's message and
/// [`class`](ChannelError::class) the exception class it raises, so a runtime
/// binding can map errors one to one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ChannelError {
    /// No channel with this id (never created, or destroyed).
    NotFound(ChannelId),
    /// The channel is closed (or closing, for senders).
    Closed(ChannelId),
    /// The calling interpreter released this end of the channel.
    AlreadyClosed(ChannelId),
    /// A blocked sender's item was discarded by a (forced) close or destroy.
    HasClosed(ChannelId),
    /// Non-blocking receive found no item.
    Empty(ChannelId),
    /// Unforced close with items still queued.
    NotEmpty(ChannelId),
    /// Every channel id has been used.
    IdsExhausted,
    /// A blocking call reached its timeout.
    Timeout,
}

/// The Python exception class CPython raises for an error.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ErrorClass {
    /// `ChannelError(RuntimeError)`, the base of the four below.
    ChannelError,
    ChannelNotFoundError,
    ChannelClosedError,
    ChannelEmptyError,
    ChannelNotEmptyError,
    /// The builtin `TimeoutError` (not a `ChannelError`).
    TimeoutError,
}

impl ErrorClass {
    /// The class name, as Python spells it.
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::ChannelError => "ChannelError",
            ErrorClass::ChannelNotFoundError => "ChannelNotFoundError",
            ErrorClass::ChannelClosedError => "ChannelClosedError",
            ErrorClass::ChannelEmptyError => "ChannelEmptyError",
            ErrorClass::ChannelNotEmptyError => "ChannelNotEmptyError",
            ErrorClass::TimeoutError => "TimeoutError",
        }
    }

    /// Whether `except ChannelError` catches it.
    pub fn is_channel_error(self) -> bool {
        self != ErrorClass::TimeoutError
    }
}

impl ChannelError {
    pub fn class(&self) -> ErrorClass {
        match self {
            ChannelError::NotFound(_) => ErrorClass::ChannelNotFoundError,
            ChannelError::Closed(_)
            | ChannelError::AlreadyClosed(_)
            | ChannelError::HasClosed(_) => ErrorClass::ChannelClosedError,
            ChannelError::Empty(_) => ErrorClass::ChannelEmptyError,
            ChannelError::NotEmpty(_) => ErrorClass::ChannelNotEmptyError,
            ChannelError::IdsExhausted => ErrorClass::ChannelError,
            ChannelError::Timeout => ErrorClass::TimeoutError,
        }
    }
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelError::NotFound(c) => write!(f, "channel {c} not found"),
            ChannelError::Closed(c) => write!(f, "channel {c} is closed"),
            ChannelError::AlreadyClosed(c) => write!(f, "channel {c} is already closed"),
            ChannelError::HasClosed(c) => write!(f, "channel {c} has closed"),
            ChannelError::Empty(c) => write!(f, "channel {c} is empty"),
            ChannelError::NotEmpty(c) => {
                write!(
                    f,
                    "channel {c} may not be closed if not empty (try force=True)"
                )
            }
            ChannelError::IdsExhausted => f.write_str("failed to get a channel ID"),
            ChannelError::Timeout => f.write_str("timed out"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ChannelError {}

/// What happens to an item when the interpreter that sent it is destroyed
/// before it is received (CPython's `UNBOUND_*` constants).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u8)]
pub enum UnboundOp {
    /// The item disappears from the channel.
    Remove = 1,
    /// The item stays; receiving it reports `ItemInterpreterDestroyed`.
    Error = 2,
    /// The item stays; receiving it yields the `UNBOUND` marker.
    Replace = 3,
}

/// An `unboundop` outside {1, 2, 3} (CPython: `ValueError: unsupported
/// unboundop N`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct UnsupportedUnboundOp(pub i64);

impl fmt::Display for UnsupportedUnboundOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unsupported unboundop {}", self.0)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UnsupportedUnboundOp {}

impl TryFrom<i64> for UnboundOp {
    type Error = UnsupportedUnboundOp;

    fn try_from(raw: i64) -> Result<Self, UnsupportedUnboundOp> {
        match raw {
            1 => Ok(UnboundOp::Remove),
            2 => Ok(UnboundOp::Error),
            3 => Ok(UnboundOp::Replace),
            _ => Err(UnsupportedUnboundOp(raw)),
        }
    }
}
