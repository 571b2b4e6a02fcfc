//! [`Deadline`]: when a blocking call gives up.

use core::time::Duration;

use crate::sync::Instant;

/// When a blocking call gives up: never, or at an instant of the monotonic
/// clock.
///
/// A timeout too large for the clock means "never" (no panic), so any
/// `Duration` a caller passes is valid. Every blocking call of the kernel
/// (and of the shared-memory queue) takes one, through [`Wait`](super::Wait).
///
/// ```
/// use std::time::{Duration, Instant};
/// use xikernel::wait::Deadline;
///
/// let never = Deadline::never();
/// assert_eq!(never.remaining(), None);
/// assert!(!never.is_expired());
///
/// let soon = Deadline::after(Duration::from_secs(60));
/// assert!(soon.remaining().unwrap() <= Duration::from_secs(60));
///
/// let past = Deadline::at(Instant::now());
/// assert!(past.is_expired());
/// assert_eq!(past.remaining(), Some(Duration::ZERO));
///
/// // `u64::MAX` seconds overflow the clock: that is "never".
/// assert_eq!(Deadline::after(Duration::MAX), Deadline::never());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No deadline: wait until woken.
    pub const fn never() -> Self {
        Deadline(None)
    }

    /// `timeout` from now ([`never`](Self::never) if that overflows the
    /// clock). A zero timeout is already expired: one attempt, no waiting.
    pub fn after(timeout: Duration) -> Self {
        Deadline(Instant::now().checked_add(timeout))
    }

    /// At `instant`.
    pub const fn at(instant: Instant) -> Self {
        Deadline(Some(instant))
    }

    /// `None` waits forever, `Some(t)` is [`after(t)`](Self::after) (the
    /// shape of CPython's `timeout=None` arguments).
    pub fn from_timeout(timeout: Option<Duration>) -> Self {
        timeout.map_or(Self::never(), Self::after)
    }

    /// The instant, or `None` for [`never`](Self::never).
    pub fn instant(&self) -> Option<Instant> {
        self.0
    }

    /// Time left: `None` when there is no deadline, `Some(ZERO)` once it
    /// has passed.
    pub fn remaining(&self) -> Option<Duration> {
        self.0
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// Whether the deadline has passed (never true for
    /// [`never`](Self::never)).
    pub fn is_expired(&self) -> bool {
        self.0.is_some_and(|at| Instant::now() >= at)
    }
}

impl From<Duration> for Deadline {
    fn from(timeout: Duration) -> Self {
        Deadline::after(timeout)
    }
}

impl From<Instant> for Deadline {
    fn from(instant: Instant) -> Self {
        Deadline::at(instant)
    }
}

impl From<Option<Duration>> for Deadline {
    fn from(timeout: Option<Duration>) -> Self {
        Deadline::from_timeout(timeout)
    }
}
