//! Multi-threaded stress of `Ring`: 4 producers x 4 consumers, per-producer
//! FIFO and exactly-once delivery; close racing live traffic; force_push
//! racing pops; drop counting of whatever is left.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use xikernel::__private::sync::Backoff;
use xikernel::Ring;
use xikernel::{PopError, PushError};

const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;

/// Items per producer: 4 x 250k = 1M per capacity natively (capacity 1,
/// where every exchange is a hand-off between 8 threads on 2 cores, gets a
/// fifth of that to stay under ~10 s in debug builds), tiny under Miri.
fn per_producer(cap: usize) -> usize {
    if cfg!(miri) {
        50
    } else if cap == 1 {
        50_000
    } else {
        250_000
    }
}

/// Pops until `Closed`, checking per-producer FIFO; returns what it got, as
/// one `Vec` of sequence numbers per producer.
fn consume(ring: &Ring<(usize, usize)>) -> Vec<Vec<usize>> {
    let mut got = vec![Vec::new(); PRODUCERS];
    let mut backoff = Backoff::new();
    loop {
        match ring.try_pop() {
            Ok((p, seq)) => {
                if let Some(&last) = got[p].last() {
                    assert!(seq > last, "producer {p}: {seq} popped after {last}");
                }
                got[p].push(seq);
                backoff = Backoff::new();
            }
            Err(PopError::Empty) => backoff.snooze(),
            Err(PopError::Closed) => return got,
            Err(e) => unreachable!("{e}"),
        }
    }
}

/// Runs the 4x4 exchange at `cap`, pushing with `try_push` (retrying on
/// Full), closing after the producers finish; checks exactly-once delivery.
fn exchange(cap: usize) {
    let n = per_producer(cap);
    let ring = Arc::new(Ring::new(cap));
    let start = Arc::new(Barrier::new(PRODUCERS + CONSUMERS));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (ring, start) = (ring.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let mut backoff = Backoff::new();
                for seq in 0..n {
                    let mut item = (p, seq);
                    loop {
                        match ring.try_push(item) {
                            Ok(()) => break,
                            Err(PushError::Full(back)) => {
                                item = back;
                                backoff.snooze();
                            }
                            Err(e) => panic!("closed early: {e}"),
                        }
                    }
                    backoff = Backoff::new();
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let (ring, start) = (ring.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                consume(&ring)
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    assert!(ring.close());
    let mut seen = vec![vec![0u8; n]; PRODUCERS];
    for c in consumers {
        for (p, seqs) in c.join().unwrap().into_iter().enumerate() {
            for s in seqs {
                seen[p][s] += 1;
            }
        }
    }
    for (p, counts) in seen.iter().enumerate() {
        for (s, &c) in counts.iter().enumerate() {
            assert_eq!(c, 1, "cap {cap}: item ({p}, {s}) delivered {c} times");
        }
    }
    assert!(ring.is_empty());
}

#[test]
fn exchange_4x4_capacity_1() {
    exchange(1);
}

#[test]
fn exchange_4x4_capacity_3() {
    exchange(3);
}

#[test]
fn exchange_4x4_capacity_1024() {
    exchange(1024);
}

/// Close while producers are still pushing: every item whose push returned
/// `Ok` is popped exactly once, every refused one came back as `Closed`.
#[test]
fn close_racing_pushes_loses_nothing() {
    let rounds = if cfg!(miri) { 2 } else { 200 };
    for round in 0..rounds {
        let ring = Arc::new(Ring::new(1 + round % 7));
        let accepted = Arc::new(AtomicUsize::new(0));
        let producers: Vec<_> = (0..3)
            .map(|p| {
                let (ring, accepted) = (ring.clone(), accepted.clone());
                thread::spawn(move || {
                    for seq in 0.. {
                        match ring.try_push((p, seq)) {
                            Ok(()) => {
                                accepted.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(PushError::Full(_)) => thread::yield_now(),
                            Err(PushError::Closed(v)) => {
                                assert_eq!(v, (p, seq));
                                return;
                            }
                            Err(e) => unreachable!("{e}"),
                        }
                    }
                })
            })
            .collect();
        let consumer = {
            let ring = ring.clone();
            thread::spawn(move || consume(&ring))
        };
        thread::yield_now();
        ring.close();
        for p in producers {
            p.join().unwrap();
        }
        let got: usize = consumer.join().unwrap().iter().map(Vec::len).sum();
        assert_eq!(got, accepted.load(Ordering::Relaxed), "round {round}");
    }
}

/// Counts drops; every value is created once, so drops == created means
/// nothing was leaked or dropped twice.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// force_push from two threads racing two poppers: every value is either
/// popped, returned as overwritten, or dropped with the ring — exactly once.
#[test]
fn force_push_racing_pops_drops_each_value_once() {
    let n = if cfg!(miri) { 100 } else { 50_000 };
    for cap in [1, 2, 5] {
        let drops = Arc::new(AtomicUsize::new(0));
        let ring = Arc::new(Ring::new(cap));
        let pushers: Vec<_> = (0..2)
            .map(|_| {
                let (ring, drops) = (ring.clone(), drops.clone());
                thread::spawn(move || {
                    for _ in 0..n {
                        // An overwritten item is returned and dropped here.
                        drop(ring.force_push(Counted(drops.clone())).unwrap());
                    }
                })
            })
            .collect();
        let poppers: Vec<_> = (0..2)
            .map(|_| {
                let ring = ring.clone();
                thread::spawn(move || {
                    let mut popped = 0usize;
                    for _ in 0..n {
                        if ring.try_pop().is_ok() {
                            popped += 1;
                        }
                    }
                    popped
                })
            })
            .collect();
        for p in pushers {
            p.join().unwrap();
        }
        for p in poppers {
            p.join().unwrap();
        }
        assert!(ring.len() <= cap);
        drop(Arc::try_unwrap(ring).expect("sole owner"));
        assert_eq!(drops.load(Ordering::Relaxed), 2 * n, "cap {cap}");
    }
}
