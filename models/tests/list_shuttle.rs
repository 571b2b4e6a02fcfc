#![cfg(feature = "shuttle")]
//! shuttle models of `List`: many threads and hundreds of operations per
//! schedule, random and PCT schedulers. shuttle treats atomics as SeqCst,
//! so these hunt logic races (lost or duplicated values, a push slipping in
//! after close, a consumer stuck on a block switch); loom covers orderings.
//!
//! Run: `cargo test --release --features shuttle -p xikernel-models --test list_shuttle`

use std::collections::HashSet;

use shuttle::sync::atomic::{AtomicUsize, Ordering};
use shuttle::sync::Arc;
use shuttle::thread;
use xikernel::List;
use xikernel::{PopError, PushError};
use xikernel_models::shuttle_check;

const SEQ_BITS: usize = 16;

fn tag(p: usize, seq: usize) -> usize {
    p << SEQ_BITS | seq
}

fn untag(v: usize) -> (usize, usize) {
    (v >> SEQ_BITS, v & ((1 << SEQ_BITS) - 1))
}

/// Per-consumer check: each producer's values arrive in increasing order.
fn check_order(got: &[usize], producers: usize) {
    let mut next = vec![0; producers];
    for &v in got {
        let (p, seq) = untag(v);
        assert!(seq >= next[p], "producer {p}: {seq} after {}", next[p]);
        next[p] = seq + 1;
    }
}

/// Global check: every accepted value exactly once.
fn check_exactly_once(all: &[usize], accepted: &[usize]) {
    let set: HashSet<usize> = all.iter().copied().collect();
    assert_eq!(set.len(), all.len(), "a value was delivered twice");
    let expected: usize = accepted.iter().sum();
    assert_eq!(all.len(), expected, "a value was lost");
    for (p, &n) in accepted.iter().enumerate() {
        for seq in 0..n {
            assert!(set.contains(&tag(p, seq)), "lost {p}/{seq}");
        }
    }
}

#[test]
fn mpmc_two_by_two_hundreds_of_ops() {
    mpmc(2, 2, 2);
}

#[test]
fn mpmc_three_slot_blocks_three_consumers() {
    // With 3-slot blocks a reader that takes over a block's destruction may
    // have to hand it on again (the multi-hop hand-over): the list's leak
    // check and double-free assertion on retired blocks see that each block
    // is freed exactly once (loom checks the orderings of the hand-over, in
    // `list_handover_loom`).
    mpmc(1, 3, 3);
}

/// `producers` threads push 60 values each while `consumers` threads pop
/// them all, on a list with `block_cap` values per block.
fn mpmc(producers: usize, consumers: usize, block_cap: usize) {
    const PER: usize = 60;
    shuttle_check(move || {
        let list = Arc::new(List::with_block_cap(block_cap));
        let taken = Arc::new(AtomicUsize::new(0));
        let producer_threads: Vec<_> = (0..producers)
            .map(|p| {
                let list = list.clone();
                thread::spawn(move || {
                    for seq in 0..PER {
                        list.try_push(tag(p, seq)).unwrap();
                    }
                })
            })
            .collect();
        let consumer_threads: Vec<_> = (0..consumers)
            .map(|_| {
                let (list, taken) = (list.clone(), taken.clone());
                thread::spawn(move || {
                    let mut got = Vec::new();
                    while taken.load(Ordering::Relaxed) < producers * PER {
                        match list.try_pop() {
                            Ok(v) => {
                                taken.fetch_add(1, Ordering::Relaxed);
                                got.push(v);
                            }
                            Err(PopError::Empty) => thread::yield_now(),
                            Err(PopError::Closed) => unreachable!(),
                            Err(e) => unreachable!("not reported here: {e}"),
                        }
                    }
                    check_order(&got, producers);
                    got
                })
            })
            .collect();
        for p in producer_threads {
            p.join().unwrap();
        }
        let all: Vec<usize> = consumer_threads
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        check_exactly_once(&all, &vec![PER; producers]);
        assert_eq!(list.len(), 0);
        assert_eq!(list.try_pop(), Err(PopError::Empty));
    });
}

#[test]
fn close_mid_stream_three_producers_two_consumers() {
    const PRODUCERS: usize = 3;
    shuttle_check(|| {
        let list = Arc::new(List::new());
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let list = list.clone();
                thread::spawn(move || {
                    for seq in 0.. {
                        match list.try_push(tag(p, seq)) {
                            Ok(()) => {}
                            Err(PushError::Closed(v)) => {
                                assert_eq!(v, tag(p, seq));
                                assert!(list.is_closed());
                                return seq; // number accepted
                            }
                            Err(PushError::Full(_)) => unreachable!(),
                            Err(e) => unreachable!("not reported here: {e}"),
                        }
                        if seq == 200 {
                            // Bounded: close normally lands well before.
                            list.close();
                        }
                    }
                    unreachable!()
                })
            })
            .collect();
        let closer = {
            let list = list.clone();
            thread::spawn(move || {
                for _ in 0..20 {
                    thread::yield_now();
                }
                list.close();
            })
        };
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let list = list.clone();
                thread::spawn(move || {
                    let mut got = Vec::new();
                    loop {
                        match list.try_pop() {
                            Ok(v) => got.push(v),
                            Err(PopError::Empty) => thread::yield_now(),
                            Err(PopError::Closed) => break,
                            Err(e) => unreachable!("not reported here: {e}"),
                        }
                    }
                    // Closed is final.
                    assert_eq!(list.try_pop(), Err(PopError::Closed));
                    check_order(&got, PRODUCERS);
                    got
                })
            })
            .collect();
        let accepted: Vec<usize> = producers.into_iter().map(|p| p.join().unwrap()).collect();
        closer.join().unwrap();
        let all: Vec<usize> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        check_exactly_once(&all, &accepted);
        assert!(list.try_push(0).is_err());
    });
}

/// Counts drops in a shuttle atomic.
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn drop_races_consumers() {
    // Four threads push and pop; the last one out drops the list with
    // values still queued: every value is dropped exactly once.
    shuttle_check(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let list = Arc::new(List::new());
        let workers: Vec<_> = (0..4)
            .map(|i| {
                let (list, drops) = (list.clone(), drops.clone());
                thread::spawn(move || {
                    for _ in 0..25 {
                        list.try_push(Counted(drops.clone())).unwrap();
                        if i % 2 == 0 {
                            drop(list.try_pop().ok());
                        }
                    }
                })
            })
            .collect();
        drop(list);
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(drops.load(Ordering::Relaxed), 100);
    });
}
