//! The sync facade: the **only** module that names atomics, cells, locks and
//! threads.
//!
//! Every other module imports its primitives from here, so one feature flag
//! swaps the whole kernel onto a model checker:
//!
//! | feature   | atomics / cells / Arc        | locks, condvars, threads |
//! |-----------|------------------------------|--------------------------|
//! | (none)    | `core` / `alloc`             | spin lock (no condvar)   |
//! | `std`     | `core` / `alloc`             | `std::sync`, `std::thread` |
//! | `loom`    | `loom::sync`, `loom::cell`   | `loom::sync`, `loom::thread` |
//! | `shuttle` | `shuttle::sync`, cell shim   | `shuttle::sync`, `shuttle::thread` |
//!
//! The wrappers below paper over the small API differences (poisoning,
//! `UnsafeCell` access) so that code written against this module compiles
//! unchanged under all four.
//!
//! Spin loops must go through [`Backoff`]: under a model checker a spinning
//! thread that never yields would starve the schedule (loom reports it as a
//! livelock, shuttle never terminates), so there every `snooze` yields.

#[cfg(all(feature = "loom", feature = "shuttle"))]
compile_error!("features `loom` and `shuttle` are mutually exclusive: enable at most one");

/// True when a model checker replaces the primitives. Code may shrink sizes
/// (e.g. list block length) under it so that models stay tractable.
pub const MODEL_CHECKING: bool = cfg!(any(feature = "loom", feature = "shuttle"));

// ---------------------------------------------------------------------------
// Atomics, Arc, threads
// ---------------------------------------------------------------------------

#[cfg(feature = "loom")]
mod imp {
    pub use loom::sync::atomic;
    pub use loom::sync::Arc;
    pub use loom::sync::MutexGuard;
    pub(super) use loom::sync::{Condvar as RawCondvar, Mutex as RawMutex};
    pub use loom::thread;
}

#[cfg(all(feature = "shuttle", not(feature = "loom")))]
mod imp {
    pub use shuttle::sync::atomic;
    pub use shuttle::sync::Arc;
    pub use shuttle::sync::MutexGuard;
    pub(super) use shuttle::sync::{Condvar as RawCondvar, Mutex as RawMutex};
    pub use shuttle::thread;
}

#[cfg(all(feature = "std", not(any(feature = "loom", feature = "shuttle"))))]
mod imp {
    pub use alloc::sync::Arc;
    pub use core::sync::atomic;
    pub use std::sync::MutexGuard;
    pub(super) use std::sync::{Condvar as RawCondvar, Mutex as RawMutex};
    pub use std::thread;
}

#[cfg(not(any(feature = "std", feature = "loom", feature = "shuttle")))]
mod imp {
    pub use super::spin::SpinGuard as MutexGuard;
    pub(super) use super::spin::SpinMutex as RawMutex;
    pub use alloc::sync::Arc;
    pub use core::sync::atomic;
}

/// 64-bit atomics exist only where the target has them (not on thumbv7em).
#[cfg(target_has_atomic = "64")]
pub use imp::atomic::AtomicU64;
pub use imp::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicUsize, Ordering};
#[cfg(feature = "std")]
pub use imp::thread;
pub use imp::Arc;

// ---------------------------------------------------------------------------
// UnsafeCell with loom's closure API everywhere
// ---------------------------------------------------------------------------

#[cfg(feature = "loom")]
pub use loom::cell::UnsafeCell;

/// `core::cell::UnsafeCell` with loom's `with`/`with_mut` API, so code that
/// touches cell contents is written once and tracked by loom when it runs
/// under loom.
#[cfg(not(feature = "loom"))]
#[derive(Debug, Default)]
#[repr(transparent)]
pub struct UnsafeCell<T: ?Sized>(core::cell::UnsafeCell<T>);

#[cfg(not(feature = "loom"))]
impl<T> UnsafeCell<T> {
    #[inline(always)]
    pub const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    #[inline(always)]
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

#[cfg(not(feature = "loom"))]
impl<T: ?Sized> UnsafeCell<T> {
    /// Runs `f` with a shared raw pointer to the contents.
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with an exclusive raw pointer to the contents.
    #[inline(always)]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

// ---------------------------------------------------------------------------
// Mutex (poison-free) and Condvar
// ---------------------------------------------------------------------------

/// A mutual-exclusion lock that ignores poisoning: the kernel's critical
/// sections keep their invariants even when a caller's code panics
/// (item drops run outside locks), so a poisoned lock is still consistent.
#[derive(Debug, Default)]
pub struct Mutex<T>(imp::RawMutex<T>);

pub use imp::MutexGuard;

impl<T> Mutex<T> {
    pub fn new(value: T) -> Self {
        Self(imp::RawMutex::new(value))
    }

    #[inline]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        #[cfg(any(feature = "std", feature = "loom", feature = "shuttle"))]
        {
            self.0.lock().unwrap_or_else(|poison| poison.into_inner())
        }
        #[cfg(not(any(feature = "std", feature = "loom", feature = "shuttle")))]
        {
            self.0.lock()
        }
    }
}

/// A condition variable (std / model checkers only: `no_std` runtimes plug
/// their own notifier into the blocking layer).
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub struct Condvar(imp::RawCondvar);

#[cfg(feature = "std")]
impl Condvar {
    pub fn new() -> Self {
        Self(imp::RawCondvar::new())
    }

    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.0.wait(guard).unwrap_or_else(|p| p.into_inner())
    }

    /// Waits at most `dur`; returns the guard and whether the wait timed out.
    /// (Under loom a timed wait never times out: models use untimed waits.)
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        dur: core::time::Duration,
    ) -> (MutexGuard<'a, T>, bool) {
        let (g, r) = self
            .0
            .wait_timeout(guard, dur)
            .unwrap_or_else(|p| p.into_inner());
        (g, r.timed_out())
    }

    pub fn notify_one(&self) {
        self.0.notify_one()
    }

    pub fn notify_all(&self) {
        self.0.notify_all()
    }
}

/// Monotonic clock for deadlines (the checkers do not model time).
#[cfg(feature = "std")]
pub use std::time::Instant;

// ---------------------------------------------------------------------------
// Spin lock for bare no_std builds
// ---------------------------------------------------------------------------

/// The bare-`no_std` spin lock, exposed under loom only: `models/tests/
/// spin_loom.rs` checks it there (it is the kernel's only lock that no other
/// model would ever run, since `std` and the checkers bring their own).
#[cfg(feature = "loom")]
pub use spin::{SpinGuard, SpinMutex};

// Compiled where it is the lock (no `std`, no checker) and under loom, which
// checks its orderings; its atomics and cell come from this facade, so under
// loom they are loom's.
#[cfg(any(feature = "loom", not(any(feature = "std", feature = "shuttle"))))]
mod spin {
    use core::ops::{Deref, DerefMut};

    use super::{AtomicBool, Ordering, UnsafeCell};

    /// Test-and-test-and-set lock used when no OS lock exists.
    #[derive(Debug, Default)]
    pub struct SpinMutex<T> {
        locked: AtomicBool,
        value: UnsafeCell<T>,
    }

    // SAFETY: the lock hands out at most one `&mut T` at a time (the
    // Acquire/Release pair on `locked` orders accesses), exactly as
    // `std::sync::Mutex`, so sharing needs only `T: Send`.
    unsafe impl<T: Send> Sync for SpinMutex<T> {}
    // SAFETY: moving the lock moves the `T`, which is `Send`.
    unsafe impl<T: Send> Send for SpinMutex<T> {}

    /// Holds the lock; unlocks on drop.
    #[allow(missing_debug_implementations)]
    pub struct SpinGuard<'a, T> {
        lock: &'a SpinMutex<T>,
        /// Under loom, the tracked access to the value, held for the whole
        /// critical section (so loom checks each section against every
        /// other one) and ended just before the unlock store.
        #[cfg(feature = "loom")]
        access: core::mem::ManuallyDrop<loom::cell::MutPtr<T>>,
    }

    impl<T> SpinMutex<T> {
        pub fn new(value: T) -> Self {
            Self {
                locked: AtomicBool::new(false),
                value: UnsafeCell::new(value),
            }
        }

        pub fn lock(&self) -> SpinGuard<'_, T> {
            // Acquire on success: everything the previous holder wrote before
            // its Release unlock is visible to us (`spin_loom` fails if it is
            // weakened: `sync/spin-lock-acquire`).
            while self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                // Relaxed: only a hint to retry; the CAS above synchronises.
                while self.locked.load(Ordering::Relaxed) {
                    // A spin hint; a yield under loom, which must schedule
                    // the holder.
                    super::yield_now();
                }
            }
            SpinGuard {
                lock: self,
                #[cfg(feature = "loom")]
                access: core::mem::ManuallyDrop::new(self.value.get_mut()),
            }
        }
    }

    impl<T> SpinGuard<'_, T> {
        fn ptr(&self) -> *mut T {
            #[cfg(feature = "loom")]
            {
                self.access.with(|p| p)
            }
            #[cfg(not(feature = "loom"))]
            {
                self.lock.value.with_mut(|p| p)
            }
        }
    }

    impl<T> Deref for SpinGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: the guard exists only while `locked` is held by us, so
            // no other guard (and no other reference to the value) exists.
            unsafe { &*self.ptr() }
        }
    }

    impl<T> DerefMut for SpinGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            // SAFETY: as in `deref`, and `&mut self` makes this unique.
            unsafe { &mut *self.ptr() }
        }
    }

    impl<T> Drop for SpinGuard<'_, T> {
        fn drop(&mut self) {
            // End the tracked access before another thread can lock.
            // SAFETY: dropped exactly once, here; never used afterwards.
            #[cfg(feature = "loom")]
            unsafe {
                core::mem::ManuallyDrop::drop(&mut self.access)
            };
            // Release: publishes our writes to the next Acquire in `lock`
            // (`spin_loom` fails if it is weakened: `sync/spin-unlock-release`).
            self.lock.locked.store(false, Ordering::Release);
        }
    }
}

// ---------------------------------------------------------------------------
// Spinning and cache padding
// ---------------------------------------------------------------------------

/// Exponential backoff for CAS retry loops and short waits.
///
/// Under a model checker every step yields, so the checker can schedule the
/// thread we are waiting for.
#[derive(Debug, Default)]
pub struct Backoff {
    step: u32,
}

impl Backoff {
    const SPIN_LIMIT: u32 = 6;
    const YIELD_LIMIT: u32 = 10;

    #[inline]
    pub const fn new() -> Self {
        Self { step: 0 }
    }

    /// Backs off after a failed CAS (contention, not waiting on progress).
    #[inline]
    pub fn spin(&mut self) {
        if MODEL_CHECKING {
            yield_now();
            return;
        }
        for _ in 0..1u32 << self.step.min(Self::SPIN_LIMIT) {
            core::hint::spin_loop();
        }
        if self.step <= Self::SPIN_LIMIT {
            self.step += 1;
        }
    }

    /// Backs off while waiting for another thread to make progress (e.g. a
    /// slot being written); yields to the OS once spinning stops paying.
    #[inline]
    pub fn snooze(&mut self) {
        if MODEL_CHECKING || self.step > Self::SPIN_LIMIT {
            yield_now();
        } else {
            for _ in 0..1u32 << self.step {
                core::hint::spin_loop();
            }
        }
        if self.step <= Self::YIELD_LIMIT {
            self.step += 1;
        }
    }

    /// True once backing off has reached the point where blocking (parking)
    /// is better than spinning.
    #[inline]
    pub fn is_completed(&self) -> bool {
        self.step > Self::YIELD_LIMIT
    }
}

/// Yields to the scheduler (the model checker's, under loom/shuttle).
#[inline]
pub fn yield_now() {
    #[cfg(feature = "std")]
    imp::thread::yield_now();
    #[cfg(not(feature = "std"))]
    core::hint::spin_loop();
}

/// Pads and aligns a value to the length of a cache line pair, so that
/// producer-side and consumer-side indices never share a line (adjacent-line
/// prefetch on x86_64 pulls pairs of 64-byte lines).
#[derive(Debug, Default)]
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), repr(align(128)))]
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    repr(align(64))
)]
pub struct CachePadded<T>(pub T);

impl<T> core::ops::Deref for CachePadded<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}
