//! [`Wait`]: the one park helper — a [`Deadline`] plus an optional
//! [`Interrupt`], and the two questions every blocking loop asks them.

use core::fmt;
use core::time::Duration;

use super::{Deadline, Interrupt};

/// Why a blocking call ended without completing.
///
/// ```
/// use std::time::Duration;
/// use xikernel::wait::{Notifier, Wait, WaitError};
/// let n = Notifier::new();
/// let r = n.wait_with(Wait::timeout(Duration::ZERO), 7, |s| Err::<(), _>(s));
/// assert_eq!(r, Err((7, WaitError::Timeout)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum WaitError {
    /// The deadline passed (after one last attempt).
    Timeout,
    /// The [`Interrupt`] said so (after one last attempt).
    Interrupted,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WaitError::Timeout => "timed out",
            WaitError::Interrupted => "interrupted",
        })
    }
}

impl core::error::Error for WaitError {}

/// How long a blocking call may wait, and whether something may cut it
/// short: every blocking call of the kernel takes one.
///
/// `From` conversions cover the common cases: a [`Deadline`], a `Duration`
/// (a timeout) or an `Option<Duration>` (`None` = forever).
///
/// It is also the park helper for a waiter that parks on its own
/// primitive (a futex in shared memory, a runtime's scheduler): the loop
/// is always the same.
///
/// ```
/// use std::time::Duration;
/// use xikernel::wait::{Wait, WaitError};
///
/// // A waiter on its own primitive: here a sleep stands in for the park.
/// fn wait_for(mut ready: impl FnMut() -> bool, mut wait: Wait<'_>) -> Result<(), WaitError> {
///     loop {
///         if ready() {
///             return Ok(());
///         }
///         match wait.park_limit() {
///             // Expired: `ready` was just polled once more, give up.
///             Err(e) => return Err(e),
///             // Park at most `limit` (`None`: until woken)...
///             Ok(limit) => std::thread::sleep(limit.unwrap_or(Duration::from_millis(1))),
///         }
///         // ...then, holding no lock, let the runtime interrupt.
///         wait.after_park()?;
///     }
/// }
///
/// let mut n = 0;
/// assert_eq!(wait_for(|| { n += 1; n == 3 }, Wait::forever()), Ok(()));
/// assert_eq!(wait_for(|| false, Duration::from_millis(2).into()), Err(WaitError::Timeout));
/// ```
pub struct Wait<'a> {
    deadline: Deadline,
    interrupt: Option<&'a mut dyn Interrupt>,
}

impl<'a> Wait<'a> {
    /// Until the operation can complete.
    pub fn forever() -> Self {
        Self::until(Deadline::never())
    }

    /// At most `timeout` (zero: one attempt).
    pub fn timeout(timeout: Duration) -> Self {
        Self::until(Deadline::after(timeout))
    }

    /// Until `deadline`.
    pub fn until(deadline: Deadline) -> Self {
        Self {
            deadline,
            interrupt: None,
        }
    }

    /// Also ends when `interrupt` says so (checked every
    /// [`Interrupt::period`] of parking, with no kernel lock held).
    pub fn interruptible(self, interrupt: &'a mut dyn Interrupt) -> Wait<'a> {
        Wait {
            deadline: self.deadline,
            interrupt: Some(interrupt),
        }
    }

    /// The deadline.
    pub fn deadline(&self) -> Deadline {
        self.deadline
    }

    /// Whether the deadline has passed.
    pub fn is_expired(&self) -> bool {
        self.deadline.is_expired()
    }

    /// How long the next park may last: `Ok(None)` until woken,
    /// `Ok(Some(d))` at most `d` (the time left, capped at the interrupt
    /// period), `Err(Timeout)` once the deadline has passed. Ask it after
    /// an attempt failed, so that the last attempt follows the deadline.
    pub fn park_limit(&self) -> Result<Option<Duration>, WaitError> {
        let left = self.deadline.remaining();
        if left == Some(Duration::ZERO) {
            return Err(WaitError::Timeout);
        }
        let period = self.interrupt.as_ref().and_then(|i| i.period());
        Ok(match (left, period) {
            (Some(l), Some(p)) => Some(l.min(p)),
            (l, p) => l.or(p),
        })
    }

    /// Call after a park that ended without a wake-up (its limit elapsed),
    /// **holding no lock**: runs the interrupt check, `Err(Interrupted)`
    /// if it fires. Then attempt the operation once more either way.
    pub fn after_park(&mut self) -> Result<(), WaitError> {
        match &mut self.interrupt {
            Some(i) => {
                if i.is_interrupted() {
                    Err(WaitError::Interrupted)
                } else {
                    Ok(())
                }
            }
            None => Ok(()),
        }
    }

    /// Whether an interrupt is attached (a park must then be timed).
    pub fn is_interruptible(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|i| i.period().is_some())
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("deadline", &self.deadline)
            .field("interruptible", &self.is_interruptible())
            .finish()
    }
}

impl From<Deadline> for Wait<'_> {
    fn from(deadline: Deadline) -> Self {
        Wait::until(deadline)
    }
}

impl From<Duration> for Wait<'_> {
    fn from(timeout: Duration) -> Self {
        Wait::timeout(timeout)
    }
}

impl From<Option<Duration>> for Wait<'_> {
    fn from(timeout: Option<Duration>) -> Self {
        Wait::until(Deadline::from_timeout(timeout))
    }
}
