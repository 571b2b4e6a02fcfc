//! The checker's own proof: hand-written histories with known answers, and
//! real concurrent runs of a correct queue (must pass) and of planted-bug
//! queues (must be caught, with a small counterexample).

#![cfg(not(feature = "shuttle"))] // std threads and types; the shuttle runs are `lin-shuttle`

use xikernel_verify::history::History;
use xikernel_verify::lin::queue_spec::{QOp, QRet};
use xikernel_verify::lin::{check, Verdict};
use xikernel_verify::planted::{Bug, BuggyQueue, LockedRing, ShardedQueue};
use xikernel_verify::reference::list::RefList;
use xikernel_verify::reference::ring::RefRing;
use xikernel_verify::stress::{stress, RoundConfig};

use QOp::*;
use QRet::*;

/// Builds a history from `(thread, op, ret, call, return)` rows on key 0.
fn h(rows: &[(usize, QOp, QRet, u64, u64)]) -> History<QOp, QRet> {
    let mut h = History::new();
    for &(t, op, ret, c, r) in rows {
        h.push(t, 0, op, ret, c, r);
    }
    h
}

fn list_ok(rows: &[(usize, QOp, QRet, u64, u64)]) -> bool {
    check(&RefList::<u64>::new(), &h(rows)).is_linearizable()
}

#[test]
fn sequential_fifo_is_linearizable() {
    assert!(list_ok(&[
        (0, Push(1), Pushed, 0, 1),
        (0, Push(2), Pushed, 2, 3),
        (1, Pop, Popped(1), 4, 5),
        (1, Pop, Popped(2), 6, 7),
        (1, Pop, Empty, 8, 9),
    ]));
}

#[test]
fn sequential_lifo_is_not() {
    assert!(!list_ok(&[
        (0, Push(1), Pushed, 0, 1),
        (0, Push(2), Pushed, 2, 3),
        (1, Pop, Popped(2), 4, 5),
    ]));
}

#[test]
fn overlapping_pushes_may_linearize_either_way() {
    // Push(1) and Push(2) overlap: popping 2 first is fine.
    assert!(list_ok(&[
        (0, Push(1), Pushed, 0, 5),
        (1, Push(2), Pushed, 1, 3),
        (2, Pop, Popped(2), 6, 7),
        (2, Pop, Popped(1), 8, 9),
    ]));
}

#[test]
fn pop_overlapping_a_push_may_see_it() {
    assert!(list_ok(&[
        (0, Push(7), Pushed, 0, 10),
        (1, Pop, Popped(7), 2, 4)
    ]));
    assert!(list_ok(&[
        (0, Push(7), Pushed, 0, 10),
        (1, Pop, Empty, 2, 4),
        (1, Pop, Popped(7), 11, 12)
    ]));
}

#[test]
fn pop_before_push_invoked_is_not() {
    // The pop returned before the push was invoked.
    assert!(!list_ok(&[
        (1, Pop, Popped(7), 0, 1),
        (0, Push(7), Pushed, 2, 3)
    ]));
}

#[test]
fn empty_after_completed_push_is_not() {
    assert!(!list_ok(&[
        (0, Push(1), Pushed, 0, 1),
        (1, Pop, Empty, 2, 3)
    ]));
}

#[test]
fn duplicate_and_lost_items_are_not() {
    assert!(!list_ok(&[
        (0, Push(1), Pushed, 0, 1),
        (0, Push(2), Pushed, 2, 3),
        (1, Pop, Popped(1), 4, 8),
        (2, Pop, Popped(1), 5, 9),
        (2, Pop, Empty, 10, 11),
    ]));
}

#[test]
fn close_rules() {
    // Items pushed before close drain, then Closed.
    assert!(list_ok(&[
        (0, Push(1), Pushed, 0, 1),
        (0, Close, Closed(true), 2, 3),
        (1, Push(2), PushClosed, 4, 5),
        (1, Pop, Popped(1), 6, 7),
        (1, Pop, PopClosed, 8, 9),
    ]));
    // Closed reported while an item is still queued: wrong.
    assert!(!list_ok(&[
        (0, Push(1), Pushed, 0, 1),
        (0, Close, Closed(true), 2, 3),
        (1, Pop, PopClosed, 4, 5)
    ]));
    // Two closers: exactly one wins.
    assert!(list_ok(&[
        (0, Close, Closed(false), 0, 5),
        (1, Close, Closed(true), 1, 3)
    ]));
    assert!(!list_ok(&[
        (0, Close, Closed(true), 0, 5),
        (1, Close, Closed(true), 1, 3)
    ]));
}

#[test]
fn ring_full_and_force_push() {
    let ring = |rows: &[(usize, QOp, QRet, u64, u64)]| {
        check(&RefRing::<u64>::new(1), &h(rows)).is_linearizable()
    };
    assert!(ring(&[
        (0, Push(1), Pushed, 0, 1),
        (0, Push(2), Full, 2, 3),
        (0, ForcePush(3), Forced(Some(1)), 4, 5),
        (1, Pop, Popped(3), 6, 7),
    ]));
    // Full while empty is wrong; overlapping a push it is fine.
    assert!(!ring(&[(0, Push(1), Full, 0, 1)]));
    assert!(ring(&[
        (0, Push(1), Pushed, 0, 9),
        (1, Push(2), Full, 2, 3)
    ]));
    // force_push must evict the oldest.
    assert!(!ring(&[
        (0, Push(1), Pushed, 0, 1),
        (0, ForcePush(2), Forced(None), 2, 3)
    ]));
}

#[test]
fn keys_are_checked_independently() {
    // Each key alone is fine; interleaving across keys does not matter.
    let mut hist = History::new();
    hist.push(0, 1, Push(1), Pushed, 0, 1);
    hist.push(1, 2, Pop, Empty, 2, 3);
    hist.push(1, 1, Pop, Popped(1), 4, 5);
    assert!(check(&RefList::<u64>::new(), &hist).is_linearizable());
    // A bad key is reported by its id.
    hist.push(0, 2, Push(9), Pushed, 6, 7);
    hist.push(1, 2, Pop, Empty, 8, 9);
    match check(&RefList::<u64>::new(), &hist) {
        Verdict::NotLinearizable(cx) => assert_eq!(cx.key, 2),
        v => panic!("expected a failure on key 2, got {v:?}"),
    }
}

#[test]
fn counterexample_is_minimal() {
    // A long good prefix, then a lost item; the counterexample keeps only
    // what explains the failure.
    let mut rows = Vec::new();
    let mut t = 0;
    for v in 0..20 {
        rows.push((0, Push(v), Pushed, t, t + 1));
        rows.push((1, Pop, Popped(v), t + 2, t + 3));
        rows.push((2, Pop, Empty, t + 4, t + 5));
        t += 6;
    }
    rows.push((0, Push(100), Pushed, t, t + 1));
    rows.push((1, Pop, Empty, t + 2, t + 3));
    match check(&RefList::<u64>::new(), &h(&rows)) {
        Verdict::NotLinearizable(cx) => {
            assert_eq!(cx.original_len, 62);
            let ops: Vec<_> = cx.minimal.ops.iter().map(|o| (o.op, o.ret)).collect();
            assert_eq!(ops, vec![(Push(100), Pushed), (Pop, Empty)], "{cx}");
        }
        v => panic!("expected a failure, got {v:?}"),
    }
}

const CFG: RoundConfig = RoundConfig {
    threads: 4,
    ops_per_thread: 100,
    close: true,
};

#[test]
fn correct_concurrent_queue_passes() {
    for cap in [1, 3, 64] {
        let r = stress(
            || LockedRing::new(cap),
            |_| RefRing::<u64>::new(cap),
            CFG,
            20,
            1,
        );
        assert!(
            r.passed(),
            "cap {cap}: {} inconclusive, {:?}",
            r.inconclusive,
            r.failure
        );
    }
}

/// Runs the planted bug until the checker catches it; the bugs need real
/// contention, so give it a generous number of rounds (it takes a few; the
/// loop stops at the first catch).
fn must_catch(name: &str, make: impl Fn() -> Box<dyn xikernel_verify::stress::QueueUnderTest>) {
    let cfg = RoundConfig {
        close: false,
        ..CFG
    };
    struct B(Box<dyn xikernel_verify::stress::QueueUnderTest>);
    impl xikernel_verify::stress::QueueUnderTest for B {
        fn apply(&self, op: QOp) -> QRet {
            self.0.apply(op)
        }
    }
    let r = stress(|| B(make()), |_| RefList::<u64>::new(), cfg, 1000, 42);
    match r.failure {
        Some((seed, Verdict::NotLinearizable(cx))) => {
            eprintln!("{name}: caught in round {} (seed {seed}):\n{cx}", r.rounds);
            assert!(cx.minimal.len() <= 8, "counterexample not small:\n{cx}");
        }
        other => panic!("{name}: not caught in {} rounds: {other:?}", r.rounds),
    }
}

#[test]
fn catches_racy_peek_loss_and_duplication() {
    must_catch("racy-peek", || Box::new(BuggyQueue::new(Bug::RacyPeek)));
}

#[test]
fn catches_spurious_empty_under_contention() {
    must_catch("spurious-empty", || {
        Box::new(BuggyQueue::new(Bug::SpuriousEmpty))
    });
}

#[test]
fn catches_multi_producer_reordering() {
    must_catch("sharded", || Box::new(ShardedQueue::new()));
}

#[test]
fn kernel_list_is_linearizable() {
    let r = stress(
        xikernel::List::<u64>::new,
        |_| RefList::<u64>::new(),
        CFG,
        20,
        7,
    );
    assert!(
        r.passed(),
        "{} inconclusive, {:?}",
        r.inconclusive,
        r.failure
    );
}

#[test]
fn kernel_ring_is_linearizable() {
    for cap in [1, 2, 16] {
        let r = stress(
            || xikernel::Ring::<u64>::new(cap),
            |_| RefRing::<u64>::new(cap),
            CFG,
            20,
            7,
        );
        assert!(
            r.passed(),
            "cap {cap}: {} inconclusive, {:?}",
            r.inconclusive,
            r.failure
        );
    }
}

#[test]
fn kernel_queues_are_linearizable_per_id() {
    use xikernel_verify::stress::QueuesUnderTest;
    let caps = [1, 3];
    let cfg = RoundConfig {
        close: false,
        ..CFG
    };
    let r = stress(
        || QueuesUnderTest::new(&caps),
        |key| RefRing::<u64>::new(caps[key as usize]),
        cfg,
        20,
        7,
    );
    assert!(r.passed(), "{r:?}");
}
