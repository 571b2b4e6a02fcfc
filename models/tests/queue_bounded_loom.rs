#![cfg(feature = "loom")]
//! queue: a bounded queue above RING_LIMIT (a list plus an admission counter) never holds more than maxsize items, and a get frees a place.
//!
//! Queues with `maxsize > RING_LIMIT` store items in the unbounded `List`
//! and bound it with an admission counter (`core/src/queue/store.rs`): a
//! put reserves a place before pushing, a get gives it back. Under the
//! model checkers `RING_LIMIT` is 3, so `maxsize` 4 reaches that path with
//! a handful of items (in production it takes 4097).
//!
//! Run: `cargo test --release --features loom -p xikernel-models --test queue_bounded_loom`

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use loom::thread;
use xikernel::__private::RING_LIMIT;
use xikernel::channel::UnboundOp;
use xikernel::interp::MAIN;
use xikernel::queue::{QueueDefaults, QueueError, QueueId, Queues};
use xikernel_models::loom_model;

/// The smallest list-backed bound.
const MAX: usize = RING_LIMIT + 1;

const D: QueueDefaults = QueueDefaults {
    fmt: 0,
    unbound: UnboundOp::Replace,
};

/// An item that counts its drops (a drop is its release or delivery).
struct Item(Arc<AtomicUsize>);

impl Drop for Item {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A queue of bound `MAX` holding `n` items, and the items' drop counter.
fn queue_with(n: usize) -> (Arc<Queues<Item>>, QueueId, Arc<AtomicUsize>) {
    let q = Arc::new(Queues::new());
    let qid = q.create(MAX as i64, D).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    for _ in 0..n {
        put(&q, qid, &drops).unwrap();
    }
    (q, qid, drops)
}

/// Puts one item; a refused item is handed back and dropped here.
fn put(q: &Queues<Item>, qid: QueueId, drops: &Arc<AtomicUsize>) -> Result<(), QueueError> {
    q.try_push(MAIN, qid, Item(drops.clone()), UnboundOp::Replace)
        .map_err(|e| e.error())
}

#[test]
fn two_puts_race_for_the_last_place() {
    // One place left: exactly one of two racing puts takes it, the other
    // is refused Full; a get then frees a place for a third put.
    loom_model(|| {
        let (q, qid, drops) = queue_with(MAX - 1);
        let other = {
            let (q, drops) = (q.clone(), drops.clone());
            thread::spawn(move || put(&q, qid, &drops))
        };
        let mine = put(&q, qid, &drops);
        let theirs = other.join().unwrap();
        let results = [mine, theirs];
        let accepted = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(accepted, 1, "the last place went to {accepted} puts");
        for r in &results {
            assert!(matches!(r, Ok(()) | Err(QueueError::Full(_))), "{r:?}");
        }
        assert_eq!(q.len(qid), Ok(MAX));
        drop(q.try_pop(qid).unwrap());
        assert_eq!(put(&q, qid, &drops), Ok(()), "the get freed a place");
        assert_eq!(q.len(qid), Ok(MAX));
        q.destroy(qid).unwrap();
        // MAX + 2 items made (one refused), each dropped exactly once.
        assert_eq!(drops.load(SeqCst), MAX + 2);
    });
}

#[test]
fn put_races_get_on_a_full_queue() {
    // Full: a put racing a get succeeds if the get's place came back first,
    // else is refused; either way the queue never holds more than MAX, and
    // the place of a refused put is still there afterwards.
    loom_model(|| {
        let (q, qid, drops) = queue_with(MAX);
        let putter = {
            let (q, drops) = (q.clone(), drops.clone());
            thread::spawn(move || put(&q, qid, &drops))
        };
        drop(q.try_pop(qid).unwrap());
        let accepted = putter.join().unwrap().is_ok();
        let count = q.len(qid).unwrap();
        assert_eq!(count, MAX - 1 + usize::from(accepted));
        if !accepted {
            assert_eq!(put(&q, qid, &drops), Ok(()), "a place was lost");
        }
        assert_eq!(put(&q, qid, &drops).unwrap_err(), QueueError::Full(qid));
        q.destroy(qid).unwrap();
        let made = MAX + 2 + usize::from(!accepted);
        assert_eq!(drops.load(SeqCst), made, "each item dropped exactly once");
    });
}
