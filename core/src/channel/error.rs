//! Channel errors, with CPython's exception classes and messages.

use core::fmt;

use super::ChannelId;

/// Why a channel operation failed. `Display` gives CPython's message and
/// [`class`](ChannelError::class) the exception class it raises, so a runtime
/// binding can map errors one to one. Operations that carry an item fail
/// with [`SendError`], which hands it back.
///
/// ```
/// use xikernel::{ChannelError, ChannelId, Channels, MAIN};
///
/// let chans = Channels::<u8>::new();
/// let err = chans.try_recv(MAIN, ChannelId(42)).unwrap_err();
/// assert_eq!(err, ChannelError::NotFound(ChannelId(42)));
/// assert_eq!(err.to_string(), "channel 42 not found");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
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
    /// A blocking call reached its deadline.
    Timeout(ChannelId),
    /// A blocking call was interrupted (see [`Interrupt`](crate::wait::Interrupt)).
    Interrupted(ChannelId),
}

/// A send that did not happen, with the item handed back.
///
/// ```
/// use xikernel::{ChannelId, Channels, SendError, UnboundOp, MAIN};
///
/// let chans = Channels::new();
/// let err = chans.send(MAIN, ChannelId(9), "item", UnboundOp::Replace).unwrap_err();
/// assert!(matches!(err, SendError::NotFound(ChannelId(9), "item")));
/// assert_eq!(err.into_inner(), Some("item"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SendError<T> {
    /// No channel with this id.
    NotFound(ChannelId, T),
    /// The channel is closed or closing.
    Closed(ChannelId, T),
    /// The sending interpreter released its send end.
    AlreadyClosed(ChannelId, T),
    /// `send_wait` reached its deadline before a receiver took the item
    /// (which was withdrawn).
    Timeout(ChannelId, T),
    /// `send_wait` was interrupted before a receiver took the item (which
    /// was withdrawn).
    Interrupted(ChannelId, T),
    /// `send_wait` only: the item was discarded before anyone received it
    /// (a forced close, the release of the last end, a destroy, its
    /// owner's destruction), and released like every discarded item,
    /// through the registry's release function.
    HasClosed(ChannelId),
}

impl<T> SendError<T> {
    /// The item, if it came back (all but `HasClosed`).
    pub fn into_inner(self) -> Option<T> {
        match self {
            SendError::NotFound(_, t)
            | SendError::Closed(_, t)
            | SendError::AlreadyClosed(_, t)
            | SendError::Timeout(_, t)
            | SendError::Interrupted(_, t) => Some(t),
            SendError::HasClosed(_) => None,
        }
    }

    /// The error without the item.
    pub fn error(&self) -> ChannelError {
        match *self {
            SendError::NotFound(c, _) => ChannelError::NotFound(c),
            SendError::Closed(c, _) => ChannelError::Closed(c),
            SendError::AlreadyClosed(c, _) => ChannelError::AlreadyClosed(c),
            SendError::Timeout(c, _) => ChannelError::Timeout(c),
            SendError::Interrupted(c, _) => ChannelError::Interrupted(c),
            SendError::HasClosed(c) => ChannelError::HasClosed(c),
        }
    }

    /// Splits into the error and the item (if it came back).
    pub fn into_parts(self) -> (ChannelError, Option<T>) {
        (self.error(), self.into_inner())
    }
}

impl<T> fmt::Debug for SendError<T> {
    // No `T: Debug` bound: the item is the caller's, the error is ours.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SendError({:?})", self.error())
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error(), f)
    }
}

impl<T> core::error::Error for SendError<T> {}

/// The Python exception class CPython raises for an error.
///
/// ```
/// use xikernel::channel::ErrorClass;
/// use xikernel::{ChannelError, ChannelId};
/// let class = ChannelError::AlreadyClosed(ChannelId(3)).class();
/// assert_eq!(class, ErrorClass::ChannelClosedError);
/// assert_eq!(class.name(), "ChannelClosedError");
/// assert!(!ErrorClass::TimeoutError.is_channel_error());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
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
    /// The Python exception class CPython raises for this error
    /// (`Interrupted` maps to `TimeoutError`; a runtime raises its own
    /// interruption instead).
    pub fn class(&self) -> ErrorClass {
        match self {
            ChannelError::NotFound(_) => ErrorClass::ChannelNotFoundError,
            ChannelError::Closed(_)
            | ChannelError::AlreadyClosed(_)
            | ChannelError::HasClosed(_) => ErrorClass::ChannelClosedError,
            ChannelError::Empty(_) => ErrorClass::ChannelEmptyError,
            ChannelError::NotEmpty(_) => ErrorClass::ChannelNotEmptyError,
            ChannelError::IdsExhausted => ErrorClass::ChannelError,
            ChannelError::Timeout(_) | ChannelError::Interrupted(_) => ErrorClass::TimeoutError,
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
            ChannelError::Timeout(_) => f.write_str("timed out"),
            ChannelError::Interrupted(c) => write!(f, "wait on channel {c} interrupted"),
        }
    }
}

impl core::error::Error for ChannelError {}
