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

use crate::layout::Side;
use crate::region::Region;
use xikernel::wait::{Wait, WaitError};

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

/// The next sleep's limit: at most `cap`, the time left before the
/// deadline and the interrupt's period; `Timeout` once the deadline has
/// passed (the caller has just made its attempt).
fn limit(w: &Wait<'_>, cap: Option<Duration>) -> Result<Option<Duration>, Stop> {
    let t = w.park_limit().map_err(stop)?;
    Ok(match (t, cap) {
        (Some(t), Some(c)) => Some(t.min(c)),
        (t, c) => t.or(c),
    })
}

fn stop(e: WaitError) -> Stop {
    match e {
        WaitError::Interrupted => Stop::Interrupted,
        _ => Stop::Timeout,
    }
}

/// Sleeps on `word` (while it holds `seen`) for at most `cap`, within `w`'s
/// deadline; runs the interrupt check (no lock held) when the sleep ran out
/// rather than being woken.
fn park<R: Region>(
    r: &R,
    word: &AtomicU32,
    seen: u32,
    cap: Option<Duration>,
    w: &mut Wait<'_>,
) -> Result<(), Stop> {
    let t = limit(w, cap)?;
    if r.wait(word, seen, t) {
        w.after_park().map_err(stop)?;
    }
    Ok(())
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
            park(r, &side.lock_seq, seen, Some(LIVENESS_SLICE), w).map(|()| false)
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
        park(r, seq, seen, cap, w)
    };
    waiters.fetch_sub(1, Relaxed);
    res
}
