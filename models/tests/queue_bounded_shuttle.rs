#![cfg(feature = "shuttle")]
//! queue: blocking puts and gets on a bounded queue above RING_LIMIT (list plus admission counter) never exceed maxsize, lose, duplicate or reorder an item, or miss a wake-up.
//!
//! Under the model checkers `RING_LIMIT` is 3, so `maxsize` 4 is backed by
//! the list and bounded by the admission counter (`core/src/queue/store.rs`).
//! Two putters block on the full queue, two getters on the empty one, and
//! an observer checks the count against the bound while they run; shuttle
//! reports a missed wake-up as a deadlock.
//!
//! Run: `cargo test --release --features shuttle -p xikernel-models --test queue_bounded_shuttle`

use std::sync::Arc;

use shuttle::thread;
use xikernel::__private::RING_LIMIT;
use xikernel::channel::{Received, UnboundOp};
use xikernel::interp::MAIN;
use xikernel::queue::{QueueDefaults, Queues};
use xikernel::wait::Wait;
use xikernel_models::shuttle_check;

/// The smallest list-backed bound.
const MAX: usize = RING_LIMIT + 1;
const PUTTERS: usize = 2;
const GETTERS: usize = 2;
/// Items per putter: together twice the bound, so the putters block.
const PER: usize = MAX;

const D: QueueDefaults = QueueDefaults {
    fmt: 0,
    unbound: UnboundOp::Replace,
};

#[test]
fn blocking_puts_and_gets_stay_within_maxsize() {
    assert_eq!(PUTTERS * PER % GETTERS, 0);
    shuttle_check(|| {
        let q: Arc<Queues<(usize, usize)>> = Arc::new(Queues::new());
        let qid = q.create(MAX as i64, D).unwrap();
        let putters: Vec<_> = (0..PUTTERS)
            .map(|p| {
                let q = q.clone();
                thread::spawn(move || {
                    for seq in 0..PER {
                        q.push_wait(MAIN, qid, (p, seq), UnboundOp::Replace, Wait::forever())
                            .unwrap();
                    }
                })
            })
            .collect();
        let getters: Vec<_> = (0..GETTERS)
            .map(|_| {
                let q = q.clone();
                thread::spawn(move || {
                    let mut got = Vec::new();
                    for _ in 0..PUTTERS * PER / GETTERS {
                        match q.pop_wait(qid, Wait::forever()).unwrap() {
                            Received::Item(v) => got.push(v),
                            Received::Unbound(op) => panic!("unbound marker {op:?}"),
                        }
                    }
                    // Each putter's items in put order, as this getter saw them.
                    for p in 0..PUTTERS {
                        let mine: Vec<_> = got.iter().filter(|v| v.0 == p).collect();
                        assert!(mine.windows(2).all(|w| w[0].1 < w[1].1), "{mine:?}");
                    }
                    got
                })
            })
            .collect();
        // The count never exceeds the bound, whenever it is read: the list
        // holds no more items than the counter admitted.
        for _ in 0..PER {
            let n = q.len(qid).unwrap();
            assert!(n <= MAX, "{n} items in a queue of maxsize {MAX}");
            thread::yield_now();
        }
        for p in putters {
            p.join().unwrap();
        }
        let mut all: Vec<(usize, usize)> = getters
            .into_iter()
            .flat_map(|g| g.join().unwrap())
            .collect();
        all.sort_unstable();
        let want: Vec<_> = (0..PUTTERS)
            .flat_map(|p| (0..PER).map(move |s| (p, s)))
            .collect();
        assert_eq!(all, want, "each item exactly once");
        assert_eq!(q.len(qid), Ok(0));
    });
}
