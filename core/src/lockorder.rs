//! A lockdep-style lock-order checker for the kernel's blocking locks.
//!
//! Every kernel lock is an [`OrderedMutex`] with a [`Rank`]. A thread may
//! only acquire a lock whose rank is strictly greater than the rank of every
//! lock it already holds; anything else panics *before* blocking, so a
//! potential deadlock shows up as a test failure with a message instead of a
//! hang that only happens under an unlucky schedule. Equal ranks are
//! forbidden too: no code path may hold two entry locks (or two tables) at
//! once.
//!
//! The ranks in use and why they make the kernel deadlock-free are in
//! `docs/lock-order.md`.
//!
//! # Cost
//! The checker is compiled only with `debug_assertions` and `std` (it needs a
//! per-thread stack of held locks, i.e. a thread-local) and outside the model
//! checkers. Everywhere else [`OrderedMutex`] is a plain [`Mutex`] plus a
//! rank that is never read: the guard's bookkeeping token is a zero-sized
//! type without `Drop`, so release builds pay nothing.
//!
//! Under loom and shuttle the checker is a no-op (their thread-locals differ
//! from std's, and their threads are not OS threads); there the lock order is
//! proved by the models themselves, which report any deadlock they reach.

use core::fmt;
use core::ops::{Deref, DerefMut};

#[cfg(feature = "std")]
use crate::sync::Condvar;
use crate::sync::{Mutex, MutexGuard};

/// The position of a lock in the global acquisition order: a thread may only
/// take locks in strictly increasing rank.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Rank(pub u8);

impl Rank {
    /// A registry's table lock: lookup, insert, remove, snapshot.
    pub const TABLE: Rank = Rank(10);
    /// One registry entry's state lock (a channel's items, ends, status).
    pub const ENTRY: Rank = Rank(20);

    fn name(self) -> &'static str {
        match self {
            Rank::TABLE => "table",
            Rank::ENTRY => "entry",
            _ => "other",
        }
    }
}

impl fmt::Display for Rank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

#[cfg(all(
    debug_assertions,
    feature = "std",
    not(any(feature = "loom", feature = "shuttle"))
))]
mod imp {
    use super::Rank;
    use std::cell::RefCell;
    use std::vec::Vec;

    std::thread_local! {
        /// Locks held by this thread, in acquisition order: (rank, address).
        static HELD: RefCell<Vec<(Rank, usize)>> = const { RefCell::new(Vec::new()) };
    }

    /// Records one held lock; removes the record when dropped.
    #[derive(Debug)]
    pub(super) struct Token {
        rank: Rank,
        addr: usize,
    }

    /// Panics if taking a lock of `rank` now could deadlock.
    pub(super) fn check(rank: Rank, addr: usize) {
        // `try_with`: during thread teardown the stack may be gone; then no
        // kernel code runs on this thread any more that could nest locks.
        let _ = HELD.try_with(|held| {
            let held = held.borrow();
            if let Some(&(top, top_addr)) = held.iter().max_by_key(|(r, _)| *r) {
                if top >= rank {
                    panic!(
                        "lock order violation: acquiring {rank} lock {addr:#x} while \
                         holding {top} lock {top_addr:#x} (see docs/lock-order.md)"
                    );
                }
            }
        });
    }

    pub(super) fn acquired(rank: Rank, addr: usize) -> Token {
        let _ = HELD.try_with(|held| held.borrow_mut().push((rank, addr)));
        Token { rank, addr }
    }

    pub(super) fn held() -> usize {
        HELD.try_with(|held| held.borrow().len()).unwrap_or(0)
    }

    impl Drop for Token {
        fn drop(&mut self) {
            let _ = HELD.try_with(|held| {
                let mut held = held.borrow_mut();
                // Guards may be dropped out of order: remove this one.
                if let Some(i) = held.iter().rposition(|&e| e == (self.rank, self.addr)) {
                    held.remove(i);
                }
            });
        }
    }
}

#[cfg(not(all(
    debug_assertions,
    feature = "std",
    not(any(feature = "loom", feature = "shuttle"))
)))]
mod imp {
    use super::Rank;

    /// Zero-sized and without `Drop`: the release-build guard is exactly a
    /// `MutexGuard`.
    #[derive(Debug)]
    pub(super) struct Token;

    #[inline(always)]
    pub(super) fn check(_: Rank, _: usize) {}

    #[inline(always)]
    pub(super) fn acquired(_: Rank, _: usize) -> Token {
        Token
    }

    #[inline(always)]
    pub(super) fn held() -> usize {
        0
    }
}

/// True when this build checks the lock order (debug, std, no model checker).
pub const ENABLED: bool = cfg!(all(
    debug_assertions,
    feature = "std",
    not(any(feature = "loom", feature = "shuttle"))
));

/// Number of kernel locks the current thread holds (always 0 when the
/// checker is disabled). Tests use it to prove that caller code such as an
/// item's `Drop` never runs under a kernel lock.
pub fn held_locks() -> usize {
    imp::held()
}

/// A [`Mutex`] with a place in the global lock order.
#[derive(Debug)]
pub struct OrderedMutex<T> {
    rank: Rank,
    inner: Mutex<T>,
}

impl<T> OrderedMutex<T> {
    pub fn new(rank: Rank, value: T) -> Self {
        Self {
            rank,
            inner: Mutex::new(value),
        }
    }

    pub fn rank(&self) -> Rank {
        self.rank
    }

    /// Locks, first checking (debug builds) that this respects the order.
    #[inline]
    pub fn lock(&self) -> OrderedGuard<'_, T> {
        let addr = self as *const Self as usize;
        imp::check(self.rank, addr);
        let guard = self.inner.lock();
        OrderedGuard {
            token: imp::acquired(self.rank, addr),
            guard,
        }
    }
}

/// The guard of an [`OrderedMutex`]; unlocks (and forgets the record) on drop.
pub struct OrderedGuard<'a, T> {
    // Declared first so the record goes before the lock is released: a
    // thread never believes it holds fewer locks than it does.
    #[allow(dead_code)] // kept for its `Drop` (debug builds)
    token: imp::Token,
    guard: MutexGuard<'a, T>,
}

impl<T> fmt::Debug for OrderedGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderedGuard").finish_non_exhaustive()
    }
}

#[cfg(feature = "std")]
impl<'a, T> OrderedGuard<'a, T> {
    /// Blocks on `cv`, releasing the lock while waiting. The thread keeps its
    /// record: it takes no other lock while parked.
    pub fn wait(self, cv: &Condvar) -> Self {
        let OrderedGuard { token, guard } = self;
        let guard = cv.wait(guard);
        OrderedGuard { token, guard }
    }

    /// Like [`wait`](Self::wait) but for at most `dur`; returns whether the
    /// wait timed out.
    pub fn wait_timeout(self, cv: &Condvar, dur: core::time::Duration) -> (Self, bool) {
        let OrderedGuard { token, guard } = self;
        let (guard, timed_out) = cv.wait_timeout(guard, dur);
        (OrderedGuard { token, guard }, timed_out)
    }
}

impl<T> Deref for OrderedGuard<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for OrderedGuard<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}
