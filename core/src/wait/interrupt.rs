//! [`Interrupt`]: how a runtime cuts a blocking call short, and the two
//! ready-made kinds: a check it supplies ([`Every`]) and a token another
//! thread trips ([`InterruptToken`]).

use core::fmt;
use core::time::Duration;

use crate::sync::{Arc, AtomicBool, Ordering};

/// A runtime's way to end a blocking call early.
///
/// A parked waiter wakes every [`period`](Self::period) (if any), leaves
/// every kernel lock, and asks [`is_interrupted`](Self::is_interrupted).
/// On `true` the call ends with an `Interrupted` error that hands back the
/// item a push or send was carrying — unless a last attempt, made right
/// after the check, completes the operation: then the call succeeds and
/// the runtime decides what to do with its interruption (CPython: a send
/// that was received is a success, the signal's exception is dropped).
///
/// The check runs with no kernel lock held, so it may run arbitrary
/// runtime code (CPython re-takes the GIL and runs signal handlers). It is
/// only consulted between parks: a wake-up never waits for it, and an
/// operation that completes at once never calls it.
///
/// ```
/// use std::time::Duration;
/// use xikernel::wait::{Every, Interrupt};
///
/// let mut calls = 0;
/// let mut check = Every::new(Duration::from_millis(20), || {
///     calls += 1;
///     calls == 3
/// });
/// assert_eq!(check.period(), Some(Duration::from_millis(20)));
/// assert!(!check.is_interrupted());
/// assert!(!check.is_interrupted());
/// assert!(check.is_interrupted());
/// ```
pub trait Interrupt {
    /// The longest a waiter stays parked between two checks; `None`: never
    /// checks (the wait cannot be interrupted).
    fn period(&self) -> Option<Duration>;

    /// Whether the wait should end now. Called with no kernel lock held.
    fn is_interrupted(&mut self) -> bool;
}

/// A check the runtime supplies: `check()` every `period` of parking.
///
/// ```
/// use std::time::Duration;
/// use xikernel::wait::{Every, Wait};
/// use xikernel::{BlockingRing, PopError};
///
/// let q = BlockingRing::<u8>::with_capacity(1);
/// let mut checks = 0;
/// // A runtime's check (CPython: run the signal handlers), every 1 ms parked.
/// let mut check = Every::new(Duration::from_millis(1), || {
///     checks += 1;
///     checks == 2
/// });
/// assert_eq!(q.pop_wait(Wait::forever().interruptible(&mut check)), Err(PopError::Interrupted));
/// ```
pub struct Every<F> {
    period: Duration,
    check: F,
}

impl<F: FnMut() -> bool> Every<F> {
    /// Runs `check` after each `period` a waiter spends parked.
    pub fn new(period: Duration, check: F) -> Self {
        Self { period, check }
    }
}

impl<F: FnMut() -> bool> Interrupt for Every<F> {
    fn period(&self) -> Option<Duration> {
        Some(self.period)
    }

    fn is_interrupted(&mut self) -> bool {
        (self.check)()
    }
}

impl<F> fmt::Debug for Every<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Every")
            .field("period", &self.period)
            .finish_non_exhaustive()
    }
}

/// A token another thread trips to interrupt every wait it is passed to.
///
/// A waiter notices the trip within one `period` of parking (the token
/// does not know which notifier the waiter sleeps on, so it cannot wake it
/// directly). Clones share the flag. Once tripped it stays tripped until
/// [`reset`](Self::reset).
///
/// ```
/// use std::time::Duration;
/// use xikernel::wait::{InterruptToken, Wait};
/// use xikernel::{BlockingRing, PopError};
///
/// let q = BlockingRing::<u32>::with_capacity(1);
/// let mut token = InterruptToken::new(Duration::from_millis(1));
/// let stopper = token.clone();
/// let t = std::thread::spawn(move || stopper.trip());
/// // Blocks (empty, no deadline) until the other thread trips the token.
/// assert_eq!(q.pop_wait(Wait::forever().interruptible(&mut token)), Err(PopError::Interrupted));
/// t.join().unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct InterruptToken {
    tripped: Arc<AtomicBool>,
    period: Duration,
}

impl InterruptToken {
    /// An untripped token, checked every `period` of parking.
    pub fn new(period: Duration) -> Self {
        Self {
            tripped: Arc::new(AtomicBool::new(false)),
            period,
        }
    }

    /// Interrupts every wait using this token (or a clone), now and later.
    pub fn trip(&self) {
        // Relaxed: the flag publishes no data; a waiter only needs to see
        // it eventually (within a period), which coherence guarantees.
        self.tripped.store(true, Ordering::Relaxed);
    }

    /// Whether [`trip`](Self::trip) was called since the last reset.
    pub fn is_tripped(&self) -> bool {
        // Relaxed: see `trip`.
        self.tripped.load(Ordering::Relaxed)
    }

    /// Untrips the token.
    pub fn reset(&self) {
        // Relaxed: see `trip`.
        self.tripped.store(false, Ordering::Relaxed);
    }
}

impl Interrupt for InterruptToken {
    fn period(&self) -> Option<Duration> {
        Some(self.period)
    }

    fn is_interrupted(&mut self) -> bool {
        self.is_tripped()
    }
}
