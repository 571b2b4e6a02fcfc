#![cfg(feature = "loom")]
//! list snapshots: `len` and `is_empty` report a count the list held during the call, and see the operations they count.
//!
//! `List::len` and `List::is_empty` read the head and tail indices while
//! other threads move them. Two properties (docs/orderings.md `## list`):
//!
//! - **bounded by what was pushed and popped**: with one writer thread,
//!   whose operations give the list a sequence of sizes, a snapshot reports
//!   one of those sizes (never a head from after a pop paired with a tail
//!   from before the push it consumed, nor the reverse);
//! - **what a snapshot counts happened before it**: a snapshot that counts
//!   a push (or a pop) sees what the pushing (popping) thread wrote before
//!   it, as any Acquire load of the index would.
//!
//! Each model pins one of the snapshot loads (which one: the table in
//! docs/orderings.md; `list/*-relaxed` in `verify/mutations/list.toml`).
//! As in `ring_loom`'s `len_snapshot_*`, the observer is spawned last:
//! loom 0.7 runs spawned threads in order and its DPOR does not reorder a
//! load before another thread's load-then-CAS of the same atomic, so a
//! first-running observer would only ever see initial values.
//!
//! Run: `cargo test --release --features loom -p xikernel-models --test list_snapshot_loom`

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use xikernel::List;
use xikernel_models::loom_model;

/// A list holding `0..prefill`, a side word (0), one writer thread running
/// `writer`, then an observer running `observe`.
fn snapshot_model(
    prefill: usize,
    writer: fn(&List<usize>, &AtomicUsize),
    observe: fn(&List<usize>, &AtomicUsize),
) {
    loom_model(move || {
        let list = Arc::new(List::new());
        for v in 0..prefill {
            list.try_push(v).unwrap();
        }
        let side = Arc::new(AtomicUsize::new(0));
        let w = {
            let (list, side) = (list.clone(), side.clone());
            thread::spawn(move || writer(&list, &side))
        };
        let o = {
            let (list, side) = (list.clone(), side.clone());
            thread::spawn(move || observe(&list, &side))
        };
        w.join().unwrap();
        o.join().unwrap();
    });
}

/// One item; the writer pops it, then pushes another: the list held 1, 0,
/// 1, so `len` is never 2 (the push's new tail with the head from before
/// the pop).
#[test]
fn len_after_pop_then_push() {
    snapshot_model(
        1,
        |l, _| {
            assert_eq!(l.try_pop(), Ok(0));
            l.try_push(1).unwrap();
        },
        |l, _| {
            let len = l.len();
            assert!(len <= 1, "impossible len {len} (held 1, 0, 1)");
        },
    );
}

/// One item; the writer writes the side word, then pops it. A `len` of 0
/// counted that pop, so it sees the side word.
#[test]
fn len_sees_the_pop_it_counts() {
    snapshot_model(
        1,
        |l, side| {
            side.store(1, Ordering::Relaxed);
            assert_eq!(l.try_pop(), Ok(0));
        },
        |l, side| {
            if l.len() == 0 {
                assert_eq!(side.load(Ordering::Relaxed), 1, "len counted an unseen pop");
            }
        },
    );
}

/// Two items (the second block's first position is the tail, stored by the
/// block install's Release `fetch_add`); the writer pushes one, then pops
/// two, switching the head into the second block: the list held 2, 3, 2, 1,
/// so `is_empty` is never true (the new head with the tail from before the
/// push; loom lets a SeqCst load return an older store only when that store
/// is not SeqCst, hence the install store as the stale tail).
#[test]
fn is_empty_after_push_then_two_pops() {
    snapshot_model(
        2,
        |l, _| {
            l.try_push(2).unwrap();
            assert_eq!(l.try_pop(), Ok(0));
            assert_eq!(l.try_pop(), Ok(1));
        },
        |l, _| assert!(!l.is_empty(), "is_empty on a list that held 2, 3, 2, 1"),
    );
}

/// Empty; the writer writes the side word, then pushes. An `is_empty` of
/// false counted that push, so it sees the side word.
#[test]
fn is_empty_sees_the_push_it_counts() {
    snapshot_model(
        0,
        |l, side| {
            side.store(1, Ordering::Relaxed);
            l.try_push(0).unwrap();
        },
        |l, side| {
            if !l.is_empty() {
                assert_eq!(
                    side.load(Ordering::Relaxed),
                    1,
                    "is_empty counted an unseen push"
                );
            }
        },
    );
}
