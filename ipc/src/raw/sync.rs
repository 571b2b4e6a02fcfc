//! The two synchronisation tools of the queue, both built on futex words
//! in the segment: the owner lock (one word holding its owner, taken over
//! when the owner is dead) and the event count (a sequence word plus a
//! count of sleepers) that blocking pushes and pops sleep on.
//!
//! No lost wake-up, across processes: a sleeper announces itself
//! (`waiters += 1`), then `fence(SeqCst)`, then reads the sequence word and
//! re-checks its condition before `futex_wait(seq, seen)`; a waker makes
//! progress (its publishing store), then `fence(SeqCst)`, then reads the
//! sleeper count and, if nonzero, bumps the sequence word and wakes. By the
//! two fences either the sleeper's re-check sees the progress, or the waker
//! sees the sleeper; in the latter case the bump comes after the sleeper
//! read the sequence word (else the sleeper, acquiring the bump, would
//! have seen the progress), so the kernel's atomic compare in
//! `futex_wait` either refuses to sleep or the wake finds it queued.

use std::time::Duration;

use xikernel::__private::sync::{fence, AtomicU32, Backoff, Ordering::*, MODEL_CHECKING};

use crate::deadline::{Deadline, CHECK_PERIOD};
use crate::layout::Side;
use crate::region::Region;

/// How long a process waiting for a lock sleeps before it checks again
/// whether the owner is alive. A dead process wakes nobody and Linux gives
/// no portable way to sleep on a futex *and* a process exit together
/// (robust futex lists belong to the C library, pidfds cannot be combined
/// with a futex wait), so the wait is sliced: a live owner wakes us at
/// once when it unlocks, a dead one is noticed within one slice.
pub const LIVENESS_SLICE: Duration = Duration::from_millis(10);

/// How long a blocking push or pop sleeps before it re-checks the queue on
/// its own. A waker that is killed between its publishing store and its
/// futex wake leaves sleepers that nothing else wakes; they notice the
/// message (or the room) within one slice. Every other wake-up is
/// immediate: the slice only bounds the cost of a crash.
pub const DATA_SLICE: Duration = Duration::from_millis(100);

/// Why a wait ended without its goal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Timeout,
    Interrupted,
    /// Models only: the participant stopped forever at a crash point.
    Crashed,
}

/// How long a blocking call may wait, and how to ask it to stop: a
/// [`Deadline`] (which converts into a `Wait`) plus, optionally, an
/// interruption check.
///
/// ```
/// use std::time::Duration;
/// use xikernel_ipc::{Deadline, Wait};
/// let mut stop = || false; // e.g. "a signal handler raised"
/// let w = Wait::new(Deadline::after(Duration::from_secs(1))).interruptible(&mut stop);
/// assert!(w.deadline.remaining().is_some());
/// let _forever: Wait<'_> = Deadline::NEVER.into();
/// ```
pub struct Wait<'a> {
    pub deadline: Deadline,
    /// Run at least every [`CHECK_PERIOD`] while sleeping, with no lock of
    /// the queue held; true = stop (`Interrupted`).
    pub check: Option<&'a mut dyn FnMut() -> bool>,
}

impl core::fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Wait")
            .field("deadline", &self.deadline)
            .field("check", &self.check.is_some())
            .finish()
    }
}

impl Wait<'static> {
    /// No deadline, no interruption (the `try_*` calls' lock waits).
    pub fn forever() -> Self {
        Wait::new(Deadline::NEVER)
    }
}

impl<'a> Wait<'a> {
    /// Waits until `deadline`, uninterruptible.
    pub fn new(deadline: Deadline) -> Self {
        Wait {
            deadline,
            check: None,
        }
    }

    /// Also runs `check` at least every [`CHECK_PERIOD`] while sleeping
    /// (with no lock of the queue held); when it returns true the call
    /// stops with `Interrupted`, having pushed or popped nothing.
    pub fn interruptible(mut self, check: &'a mut dyn FnMut() -> bool) -> Self {
        self.check = Some(check);
        self
    }
}

impl From<Deadline> for Wait<'static> {
    fn from(deadline: Deadline) -> Self {
        Wait::new(deadline)
    }
}

impl Wait<'_> {
    /// Runs the interruption check and the deadline; returns how long the
    /// next sleep may last (at most `cap`).
    pub fn slice(&mut self, cap: Option<Duration>) -> Result<Option<Duration>, Stop> {
        let mut t = cap;
        if let Some(check) = self.check.as_mut() {
            if check() {
                return Err(Stop::Interrupted);
            }
            t = Some(t.map_or(CHECK_PERIOD, |c| c.min(CHECK_PERIOD)));
        }
        if let Some(left) = self.deadline.remaining() {
            if left.is_zero() {
                return Err(Stop::Timeout);
            }
            t = Some(t.map_or(left, |c| c.min(left)));
        }
        Ok(t)
    }
}

/// Takes `side`'s lock. A dead owner's lock is taken over (its unpublished
/// work is simply never published: see docs/ipc.md, "crash argument").
pub fn lock<R: Region>(r: &R, side: &Side, w: &mut Wait<'_>) -> Result<(), Stop> {
    let me = r.me();
    let mut backoff = Backoff::new();
    loop {
        // Acquire on success: the previous owner's writes (its position
        // store, its record bytes) happen before ours. Relaxed on failure:
        // we only retry.
        match side.lock.compare_exchange(0, me, Acquire, Relaxed) {
            Ok(_) => return Ok(()),
            Err(_) if !MODEL_CHECKING && !backoff.is_completed() => {
                // Held for a copy at most: spinning usually wins.
                backoff.snooze();
                continue;
            }
            Err(_) => {}
        }
        // Announce ourselves, then look again (see the module docs).
        side.lock_waiters.fetch_add(1, Relaxed);
        fence(SeqCst); // dekker: sleeper side (lock)
        let seen = side.lock_seq.load(Acquire);
        // Relaxed: a hint; the CAS below (Acquire) is what synchronizes.
        let owner = side.lock.load(Relaxed);
        let res = if owner == 0 {
            Ok(false)
        } else if !r.alive(owner) {
            // The owner is dead (and `alive` made its writes visible):
            // take its lock over unless someone else already did.
            // Acquire: as above, for the lock word's last value.
            let won = side
                .lock
                .compare_exchange(owner, me, Acquire, Relaxed)
                .is_ok();
            if won {
                // Relaxed: a statistic.
                side.recoveries.fetch_add(1, Relaxed);
            }
            Ok(won)
        } else {
            w.slice(Some(LIVENESS_SLICE)).map(|t| {
                r.wait(&side.lock_seq, seen, t);
                false
            })
        };
        side.lock_waiters.fetch_sub(1, Relaxed);
        match res {
            Ok(true) => return Ok(()),
            Ok(false) => continue,
            Err(stop) => {
                // We may have consumed a wake-up meant for the next owner:
                // pass it on if the lock is free.
                if side.lock.load(Relaxed) == 0 {
                    notify(r, &side.lock_seq, &side.lock_waiters, 1);
                }
                return Err(stop);
            }
        }
    }
}

/// Releases `side`'s lock and wakes one sleeper, if any.
pub fn unlock<R: Region>(r: &R, side: &Side) {
    // Release: everything we wrote under the lock happens before the next
    // owner's Acquire CAS.
    side.lock.store(0, Release);
    notify(r, &side.lock_seq, &side.lock_waiters, 1);
}

/// The waker's half of the event count: after the store that made progress.
#[inline]
pub fn notify<R: Region>(r: &R, seq: &AtomicU32, waiters: &AtomicU32, n: u32) {
    // SeqCst fence: pairs with the sleeper's (module docs).
    fence(SeqCst); // dekker: waker side
                   // Relaxed: ordered by the fence.
    if waiters.load(Relaxed) != 0 {
        wake(r, seq, n);
    }
}

/// Bumps `seq` and wakes up to `n` sleepers, unconditionally (close).
#[inline]
pub fn wake<R: Region>(r: &R, seq: &AtomicU32, n: u32) {
    // Release: a sleeper that reads the new value (Acquire) sees the
    // progress made before the waker's fence.
    seq.fetch_add(1, Release);
    r.wake(seq, n);
}

/// The sleeper's half: announce, fence, read `seq`, re-check `ready`, sleep
/// one slice unless ready. Returns after one sleep (or at once if ready);
/// the caller retries its operation.
pub fn sleep_until<R: Region>(
    r: &R,
    seq: &AtomicU32,
    waiters: &AtomicU32,
    ready: impl FnOnce() -> bool,
    w: &mut Wait<'_>,
) -> Result<(), Stop> {
    let cap = Some(DATA_SLICE);
    waiters.fetch_add(1, Relaxed);
    // SeqCst fence: pairs with the waker's (module docs).
    fence(SeqCst); // dekker: sleeper side (data)
                   // Acquire: a bump read here carries the progress made before it.
    let seen = seq.load(Acquire);
    let res = if ready() {
        Ok(())
    } else {
        w.slice(cap).map(|t| r.wait(seq, seen, t))
    };
    waiters.fetch_sub(1, Relaxed);
    res
}
