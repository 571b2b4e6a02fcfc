//! A local stand-in for the kernel's blocking toolkit (`xikernel::wait::
//! Deadline` and its interruption check), with the same shape, until that
//! toolkit lands; then this module becomes a re-export.
//!
//! - [`Deadline`]: when a blocking operation gives up (`Timeout`);
//! - interruption: blocking calls take a check (`FnMut() -> bool`, true =
//!   stop) that runs at most every [`CHECK_PERIOD`] with no lock of the
//!   queue held, so a runtime can run its signal handlers (CPython's
//!   `PyErr_CheckSignals`) while a call sleeps; an interrupted call returns
//!   `Interrupted` and has pushed or popped nothing.

use std::time::{Duration, Instant};

/// How often a blocking call that was given an interruption check runs it.
pub const CHECK_PERIOD: Duration = Duration::from_millis(20);

/// The moment a blocking operation gives up; [`Deadline::NEVER`] waits for
/// as long as it takes.
///
/// ```
/// use std::time::Duration;
/// use xikernel_ipc::Deadline;
/// let d = Deadline::after(Duration::from_millis(5));
/// assert!(d.remaining().unwrap() <= Duration::from_millis(5));
/// assert_eq!(Deadline::NEVER.remaining(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No deadline: wait until the operation can complete (or the queue is
    /// closed, or the call is interrupted).
    pub const NEVER: Deadline = Deadline(None);

    /// `timeout` from now (saturating: a huge timeout is `NEVER`).
    pub fn after(timeout: Duration) -> Self {
        Deadline(Instant::now().checked_add(timeout))
    }

    /// At `instant`.
    pub fn at(instant: Instant) -> Self {
        Deadline(Some(instant))
    }

    /// `None` -> `NEVER`, `Some(t)` -> `after(t)` (Python's `timeout=`).
    pub fn from_timeout(timeout: Option<Duration>) -> Self {
        timeout.map_or(Self::NEVER, Self::after)
    }

    /// The instant, if any.
    pub fn instant(&self) -> Option<Instant> {
        self.0
    }

    /// Time left (zero once passed); `None` for `NEVER`.
    pub fn remaining(&self) -> Option<Duration> {
        self.0.map(|t| t.saturating_duration_since(Instant::now()))
    }

    /// True once the deadline has passed.
    pub fn is_expired(&self) -> bool {
        self.remaining() == Some(Duration::ZERO)
    }
}

impl From<Option<Instant>> for Deadline {
    fn from(at: Option<Instant>) -> Self {
        Deadline(at)
    }
}
