#![cfg(feature = "loom")]
//! spin lock (bare no_std): mutual exclusion, and writes made under or before one critical section are visible to the next.
//!
//! `SpinMutex` is the lock of bare `no_std` builds (`core/src/sync.rs`);
//! `std` builds and the other models use `std`'s or the checker's mutex, so
//! these are the only models that run it. Under loom its atomics are loom's
//! and the guard holds a tracked access to the value for the whole critical
//! section, so two overlapping sections, or a section that does not
//! happen-after the previous one (a weakened lock Acquire or unlock
//! Release), is a loom failure; the assertions below check the same
//! properties through plain values and a Relaxed side channel.
//!
//! Run: `cargo test --release --features loom -p xikernel-models --test spin_loom`

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use xikernel::__private::sync::SpinMutex;
use xikernel_models::loom_model;

/// Two threads increment a counter under the lock (a read, a yield, then
/// the write: a lost update if both are inside at once); the counter ends
/// at 2. Every access is also a tracked loom cell access.
#[test]
fn mutual_exclusion() {
    loom_model(|| {
        let lock = Arc::new(SpinMutex::new(0usize));
        let other = {
            let lock = lock.clone();
            thread::spawn(move || increment(&lock))
        };
        increment(&lock);
        other.join().unwrap();
        assert_eq!(*lock.lock(), 2, "an update was lost: two holders at once");
    });
}

fn increment(lock: &SpinMutex<usize>) {
    let mut g = lock.lock();
    let seen = *g;
    // A scheduling point inside the critical section, where a second holder
    // would get in if the lock let it.
    thread::yield_now();
    *g = seen + 1;
}

/// Message passing through the lock: the first holder writes a Relaxed
/// side value before and a pair inside its section; whoever takes the lock
/// after it (seeing its mark) must see both. Needs the unlock Release and
/// the lock Acquire: nothing else orders the two threads.
#[test]
fn visibility_through_the_lock() {
    loom_model(|| {
        let lock = Arc::new(SpinMutex::new((0usize, 0usize)));
        let side = Arc::new(AtomicUsize::new(0));
        let writer = {
            let (lock, side) = (lock.clone(), side.clone());
            thread::spawn(move || {
                side.store(7, Ordering::Relaxed);
                let mut g = lock.lock();
                *g = (1, 1);
            })
        };
        let g = lock.lock();
        let (a, b) = *g;
        assert_eq!(a, b, "a torn critical section");
        if a == 1 {
            assert_eq!(
                side.load(Ordering::Relaxed),
                7,
                "a write made before the previous holder's section is unseen"
            );
        }
        drop(g);
        writer.join().unwrap();
    });
}
