//! The status every `xik_` function returns, and the guard that keeps a
//! panic from unwinding into C.

use std::panic::{catch_unwind, AssertUnwindSafe};

use xikernel::{ChannelError, QueueError};

/// The result of every `xik_` call. `XIK_OK` is 0; everything else is an
/// error and leaves the output pointers untouched.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum xik_status {
    /// Success.
    XIK_OK = 0,
    /// A required pointer argument was NULL.
    XIK_ERR_NULL = 1,
    /// A Rust panic was caught at the boundary (a kernel bug): the call had
    /// no effect the host can rely on.
    XIK_ERR_INTERNAL = 2,
    /// An argument is out of range (an unbound policy outside 0..=3, a
    /// struct whose `size` is too small for this ABI version).
    XIK_ERR_INVALID = 3,
    /// No queue / channel with this id (never created, or destroyed).
    XIK_ERR_NOT_FOUND = 4,
    /// A non-blocking get / recv found nothing.
    XIK_ERR_EMPTY = 5,
    /// A non-blocking put found the queue at its bound.
    XIK_ERR_FULL = 6,
    /// The queue / channel is closed.
    XIK_ERR_CLOSED = 7,
    /// A blocking call reached its deadline.
    XIK_ERR_TIMEOUT = 8,
    /// A blocking call was cancelled through its `xik_cancel` token.
    XIK_ERR_CANCELLED = 9,
    /// `xik_queue_release` without a matching `xik_queue_bind`.
    XIK_ERR_NEVER_BOUND = 10,
    /// Every id has been used.
    XIK_ERR_IDS_EXHAUSTED = 11,
    /// The calling interpreter already released this end of the channel.
    XIK_ERR_END_RELEASED = 12,
    /// A blocked send's item was discarded by a forced close or destroy.
    XIK_ERR_HAS_CLOSED = 13,
    /// An unforced channel close while items are still queued.
    XIK_ERR_NOT_EMPTY = 14,
    /// A kernel error this ABI version has no code for.
    XIK_ERR_OTHER = 15,
    /// Not available on this platform (readiness fds off Linux).
    XIK_ERR_UNSUPPORTED = 16,
    /// The decoder rejected the input (not a canonical xidata encoding);
    /// `xik_decoder_error_offset` says where.
    XIK_ERR_MALFORMED = 17,
}

impl From<QueueError> for xik_status {
    fn from(e: QueueError) -> Self {
        use xik_status::*;
        match e {
            QueueError::NotFound(_) => XIK_ERR_NOT_FOUND,
            QueueError::Empty(_) => XIK_ERR_EMPTY,
            QueueError::Full(_) => XIK_ERR_FULL,
            QueueError::Closed(_) => XIK_ERR_CLOSED,
            QueueError::Timeout(_) => XIK_ERR_TIMEOUT,
            QueueError::Interrupted(_) => XIK_ERR_CANCELLED,
            QueueError::NeverBound(_) => XIK_ERR_NEVER_BOUND,
            QueueError::IdsExhausted => XIK_ERR_IDS_EXHAUSTED,
            // `#[non_exhaustive]`: a newer kernel error (and the
            // wrapper-level ItemInterpreterDestroyed, which this ABI
            // reports as an item kind instead) maps here.
            _ => XIK_ERR_OTHER,
        }
    }
}

impl From<ChannelError> for xik_status {
    fn from(e: ChannelError) -> Self {
        use xik_status::*;
        match e {
            ChannelError::NotFound(_) => XIK_ERR_NOT_FOUND,
            ChannelError::Closed(_) => XIK_ERR_CLOSED,
            ChannelError::AlreadyClosed(_) => XIK_ERR_END_RELEASED,
            ChannelError::HasClosed(_) => XIK_ERR_HAS_CLOSED,
            ChannelError::Empty(_) => XIK_ERR_EMPTY,
            ChannelError::NotEmpty(_) => XIK_ERR_NOT_EMPTY,
            ChannelError::IdsExhausted => XIK_ERR_IDS_EXHAUSTED,
            ChannelError::Timeout(_) => XIK_ERR_TIMEOUT,
            ChannelError::Interrupted(_) => XIK_ERR_CANCELLED,
            _ => XIK_ERR_OTHER,
        }
    }
}

/// Runs the body of an `extern "C"` function: a panic becomes
/// `XIK_ERR_INTERNAL` instead of unwinding into C (undefined behaviour).
///
/// `AssertUnwindSafe`: after a caught panic the host is told the call
/// failed; the kernel's own state stays consistent because its locks are
/// not poisoned into UB (a poisoned std lock panics again, which this
/// guard catches again).
pub(crate) fn guard(body: impl FnOnce() -> xik_status) -> xik_status {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(xik_status::XIK_ERR_INTERNAL)
}

/// `Err(XIK_ERR_NULL)` if `p` is NULL; lets bodies use `?`-style early
/// returns through [`check`].
pub(crate) fn non_null<T>(p: *const T) -> Result<(), xik_status> {
    if p.is_null() {
        Err(xik_status::XIK_ERR_NULL)
    } else {
        Ok(())
    }
}

/// Runs `body` inside [`guard`], flattening `Result<(), xik_status>`.
pub(crate) fn check(body: impl FnOnce() -> Result<(), xik_status>) -> xik_status {
    guard(|| match body() {
        Ok(()) => xik_status::XIK_OK,
        Err(s) => s,
    })
}
