//! [`Notifier`]: the wake-up primitive of the blocking layer (its docs
//! carry the protocol and the proof that no wake-up is lost).

use super::{Wait, WaitError};
use crate::sync::{fence, AtomicUsize, Backoff, Condvar, Mutex, Ordering, MODEL_CHECKING};

/// The wake-up primitive of the blocking layer.
///
/// A waiter count, a `Mutex<()>` and a `Condvar`. Waking is free when nobody
/// sleeps: [`Notifier::notify_one`] is a `SeqCst` fence and one load of the
/// count, no lock, no syscall. Only when the count is non-zero does the waker
/// take the lock (to serialise against a waiter that is between its last
/// check and its `Condvar::wait`) and signal.
///
/// ## Why no lost wake-up (the Dekker argument)
///
/// Let *X* be the state a waiter polls (an item in the queue, a free slot,
/// the closed bit) and *C* the waiter count `sleepers`.
///
/// ```text
/// waker                               waiter (holds `lock` throughout)
/// (1) make X true   (queue op)        (a) C += 1            (Relaxed RMW)
/// (2) fence(SeqCst)                   (b) fence(SeqCst)
/// (3) if C == 0 { return }            (c) poll X            (queue op)
/// (4) lock; unlock; notify            (d) if !X { Condvar::wait (unlocks) }
/// ```
///
/// The two fences are totally ordered in the single order *S* of `SeqCst`
/// operations ([atomics.fences] / [atomics.order] p4, C++20):
///
/// - (2) before (b) in *S*: the write of *X* in (1) is sequenced before (2)
///   and the read of *X* in (c) after (b), so (c) reads (1) or a later
///   value — the waiter sees *X* and does not sleep (if a third thread
///   consumed *X* meanwhile, there is nothing to wake it for).
/// - (b) before (2) in *S*: symmetrically (3) reads (a) or a later value of
///   *C*. *C* only changes by RMWs, and this waiter's decrement happens only
///   when it leaves, so (3) reads a value that still counts it unless it has
///   already left — and then it did not need waking. So (4) runs, and it
///   cannot take `lock` before the waiter releases it inside
///   `Condvar::wait`: the notification reaches a waiter that is waiting.
///
/// Either the waiter sees *X* or the waker sees the waiter. A waiter stays
/// counted across its spurious wake-ups and re-checks (it holds `lock`
/// during every re-check), so the argument covers every round, not only the
/// first. A loom model fails when either fence is weakened.
///
/// ## Why a `Condvar` and not a list of parked threads
///
/// A waiter only reaches the slow path after polling and spinning failed,
/// i.e. when it is about to make a futex syscall anyway; the uncontended
/// `Mutex` around it costs two atomics next to that. A `Condvar` is
/// modelled by loom and shuttle as-is, needs no `unsafe` and no per-waiter
/// allocation, and its timed wait gives sub-millisecond deadlines. An
/// explicit list of parked threads (crossbeam's `SyncWaker`; intrusive in
/// tokio's `Notify`) would buy FIFO fairness among waiters and targeted
/// wake-ups of mixed waiter kinds; the blocking queue keeps one `Notifier`
/// per waiter kind instead, so `notify_one` never wakes the wrong kind.
///
/// ## `notify_one` and departing waiters
///
/// A waiter woken by `notify_one` always polls again before it leaves —
/// also when its deadline has passed — so a notification is never wasted on
/// a waiter that times out while the item it announced sits unclaimed: that
/// waiter takes the item itself.
///
/// ## Use
///
/// Waiters call [`wait_until`](Self::wait_until) (or
/// [`wait_with`](Self::wait_with)) with a condition; whoever makes the
/// condition true calls [`notify_one`](Self::notify_one) or
/// [`notify_all`](Self::notify_all) *after* making it true.
#[derive(Debug, Default)]
pub struct Notifier {
    /// Waiters between their registration and their departure (see the
    /// type docs: changed only under `lock`, read by wakers without it).
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    cond: Condvar,
}

impl Notifier {
    /// A notifier with no waiters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Wakes one waiter, if any. Call it after making a condition true that
    /// one waiter can consume (one item, one free slot).
    #[inline]
    pub fn notify_one(&self) {
        if self.has_sleepers() {
            self.notify_slow(false);
        }
    }

    /// Wakes every waiter (e.g. after closing).
    #[inline]
    pub fn notify_all(&self) {
        if self.has_sleepers() {
            self.notify_slow(true);
        }
    }

    /// The waker half of the Dekker protocol: steps (2) and (3).
    #[inline]
    fn has_sleepers(&self) -> bool {
        // (2) SeqCst: orders the caller's write of the condition before the
        // load of `sleepers` (store-load order, which Release/Acquire do not
        // give). Weakened, a waker reads a stale 0 while the waiter reads a
        // stale condition: wait_loom fails with a deadlock.
        fence(Ordering::SeqCst); // dekker: waker side

        // (3) Relaxed: the fence above does the ordering; the lock taken in
        // `notify_slow` orders everything after.
        self.sleepers.load(Ordering::Relaxed) != 0
    }

    #[cold]
    fn notify_slow(&self, all: bool) {
        // Taking the lock waits out a waiter that registered but has not yet
        // released the lock inside `Condvar::wait`. Signalling after the
        // unlock spares the woken thread from blocking on our lock.
        drop(self.lock.lock());
        if all {
            self.cond.notify_all();
        } else {
            self.cond.notify_one();
        }
    }

    /// Blocks until `condition()` returns true or `wait` ends it. Returns
    /// the last result of `condition`; it is always called once more after
    /// the last wake-up, time-out or interruption.
    pub fn wait_until(&self, wait: Wait<'_>, mut condition: impl FnMut() -> bool) -> bool {
        self.wait_with(wait, (), |()| if condition() { Ok(()) } else { Err(()) })
            .is_ok()
    }

    /// Blocks until `poll` completes or `wait` ends (deadline passed or
    /// interrupted), threading a state through the attempts.
    ///
    /// `poll(state)` returns `Ok(r)` when done or `Err(state)` to keep
    /// waiting (this hands a value that could not be pushed back to the
    /// caller without an `Option` dance). Returns `Ok(r)`, or the state and
    /// why the wait ended once a last poll after the deadline or the
    /// interruption failed too.
    ///
    /// `poll` runs first without any lock, then (after registering) under
    /// this notifier's internal lock, which is what closes the window
    /// between the last poll and parking. So `poll` must not block, must not
    /// notify this same notifier, and must not take a lock that a thread
    /// may hold while it notifies this notifier (lock order: notifier lock
    /// before anything `poll` takes). The interrupt check runs with the
    /// internal lock released.
    pub fn wait_with<S, R>(
        &self,
        mut wait: Wait<'_>,
        state: S,
        mut poll: impl FnMut(S) -> Result<R, S>,
    ) -> Result<R, (S, WaitError)> {
        let mut state = match poll(state) {
            Ok(r) => return Ok(r),
            Err(s) => s,
        };
        if wait.is_expired() {
            return Err((state, WaitError::Timeout));
        }
        // Spin, then yield a few times before parking (as crossbeam-channel
        // does): a partner that is running, or that a yield lets run on an
        // oversubscribed machine, usually completes far below the cost of a
        // park and of the wake-up syscall it forces on the partner. Bounded
        // (about 130 pause instructions and 4 yields), so not busy-waiting.
        // Skipped under the checkers, where it only adds branches.
        if !MODEL_CHECKING {
            let mut backoff = Backoff::new();
            while !backoff.is_completed() {
                backoff.snooze();
                state = match poll(state) {
                    Ok(r) => return Ok(r),
                    Err(s) => s,
                };
            }
        }
        let mut guard = self.lock.lock();
        // Declared after `guard`, so dropped before it: deregisters under
        // the lock, also if `poll` panics.
        let registration = Registration::new(&self.sleepers);
        // (b) SeqCst: pairs with the waker's fence (type docs). Weakened,
        // the poll below may miss an item whose waker saw no sleeper.
        fence(Ordering::SeqCst); // dekker: waiter side
        let mut stop = None;
        let result = loop {
            state = match poll(state) {
                Ok(r) => break Ok(r),
                Err(s) => s,
            };
            // The poll above was the last one after a stop.
            if let Some(e) = stop {
                break Err((state, e));
            }
            guard = match wait.park_limit() {
                Err(e) => break Err((state, e)),
                Ok(None) => self.cond.wait(guard),
                Ok(Some(limit)) => {
                    let (g, timed_out) = self.cond.wait_timeout(guard, limit);
                    if timed_out && wait.is_interruptible() {
                        // Still registered, so a waker that comes meanwhile
                        // takes the lock and signals; the poll that follows
                        // re-locking sees its progress either way.
                        drop(g);
                        stop = wait.after_park().err();
                        self.lock.lock()
                    } else {
                        g
                    }
                }
            };
        };
        drop(registration);
        drop(guard);
        result
    }
}

/// A waiter's place in `Notifier::sleepers` (steps (a) and departure).
struct Registration<'a>(&'a AtomicUsize);

impl<'a> Registration<'a> {
    #[inline]
    fn new(sleepers: &'a AtomicUsize) -> Self {
        // (a) Relaxed RMW: the waiter's fence right after orders it before
        // its poll; RMWs keep the count exact however wakers read it.
        sleepers.fetch_add(1, Ordering::Relaxed);
        Self(sleepers)
    }
}

impl Drop for Registration<'_> {
    #[inline]
    fn drop(&mut self) {
        // Relaxed: a waker that still sees us only takes a needless lock.
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(all(test, not(any(feature = "loom", feature = "shuttle"))))]
mod tests {
    use super::*;
    use core::time::Duration;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    #[test]
    fn panicking_condition_deregisters() {
        let n = Notifier::new();
        let mut calls = 0;
        let r = catch_unwind(AssertUnwindSafe(|| {
            n.wait_until(Wait::forever(), || {
                calls += 1;
                // Fail the unlocked polls, panic in the registered one.
                let registered = n.sleepers.load(Ordering::Relaxed) == 1;
                assert!(!registered, "condition panics while registered");
                false
            })
        }));
        assert!(r.is_err());
        assert!(calls > 1);
        assert_eq!(n.sleepers.load(Ordering::Relaxed), 0);
        // The lock is usable again (not held by the unwound waiter).
        assert!(!n.wait_until(Wait::timeout(Duration::ZERO), || false));
    }
}
