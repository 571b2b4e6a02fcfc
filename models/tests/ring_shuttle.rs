#![cfg(feature = "shuttle")]
//! shuttle models of `Ring` (run: `cargo test --release --features shuttle
//! -p xikernel-models --test ring_shuttle`): 4-5 threads and hundreds of
//! operations per schedule, under shuttle's random and PCT schedulers.
//! shuttle makes every atomic SeqCst, so these find logic races, lost items,
//! livelocks and deadlocks; the orderings are loom's job (`ring_loom`).

mod ring_common;

use ring_common::{drain, Counted};
use xikernel::__private::sync::{thread, yield_now, Arc, AtomicUsize, Ordering};
use xikernel::Ring;
use xikernel::{PopError, PushError};
use xikernel_models::shuttle_check;

/// Pops until `Closed`; returns the values (tagged `1000 * producer + seq`).
fn consume_until_closed(ring: &Ring<usize>) -> Vec<usize> {
    let mut got = Vec::new();
    loop {
        match ring.try_pop() {
            Ok(v) => got.push(v),
            Err(PopError::Empty) => yield_now(),
            Err(PopError::Closed) => return got,
            Err(e) => unreachable!("not reported here: {e}"),
        }
    }
}

/// Checks per-producer FIFO within one consumer's sequence.
fn assert_fifo(seq: &[usize]) {
    for p in 0..4 {
        let mine: Vec<_> = seq.iter().filter(|&&v| v / 1000 == p).collect();
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "producer {p}: {seq:?}"
        );
    }
}

/// 2 producers x 60 items through a capacity-3 ring to 2 consumers;
/// producers retry on Full, `main` closes after they finish. Every item
/// arrives exactly once, in per-producer order, and consumers stop.
#[test]
fn mpmc_exchange_then_close() {
    shuttle_check(|| {
        let ring = Arc::new(Ring::new(3));
        let producers: Vec<_> = (0..2)
            .map(|p| {
                let ring = ring.clone();
                thread::spawn(move || {
                    for seq in 0..60 {
                        let mut v = 1000 * p + seq;
                        loop {
                            match ring.try_push(v) {
                                Ok(()) => break,
                                Err(PushError::Full(back)) => {
                                    v = back;
                                    yield_now();
                                }
                                Err(PushError::Closed(_)) => panic!("closed early"),
                                Err(e) => unreachable!("not reported here: {e}"),
                            }
                        }
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let ring = ring.clone();
                thread::spawn(move || consume_until_closed(&ring))
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        assert!(ring.close());
        let mut all = Vec::new();
        for c in consumers {
            let got = c.join().unwrap();
            assert_fifo(&got);
            all.extend(got);
        }
        all.sort_unstable();
        let want: Vec<_> = (0..2)
            .flat_map(|p| (0..60).map(move |s| 1000 * p + s))
            .collect();
        assert_eq!(all, want);
    });
}

/// 3 producers push until refused while a closer closes mid-stream and a
/// consumer drains: every accepted item is popped exactly once, every
/// refused one came back as `Closed`, nothing is accepted after a refusal.
#[test]
fn close_racing_traffic() {
    shuttle_check(|| {
        let ring = Arc::new(Ring::new(2));
        let producers: Vec<_> = (0..3)
            .map(|p| {
                let ring = ring.clone();
                thread::spawn(move || {
                    let mut accepted = Vec::new();
                    for seq in 0..100 {
                        match ring.try_push(1000 * p + seq) {
                            Ok(()) => accepted.push(1000 * p + seq),
                            Err(PushError::Full(_)) => yield_now(),
                            Err(PushError::Closed(v)) => {
                                assert_eq!(v, 1000 * p + seq);
                                assert!(ring.is_closed());
                                // Sticky: no later push is accepted either.
                                assert!(ring.try_push(v).unwrap_err().is_closed());
                                break;
                            }
                            Err(e) => unreachable!("not reported here: {e}"),
                        }
                    }
                    accepted
                })
            })
            .collect();
        let consumer = {
            let ring = ring.clone();
            thread::spawn(move || consume_until_closed(&ring))
        };
        let closer = {
            let ring = ring.clone();
            thread::spawn(move || {
                for _ in 0..20 {
                    yield_now();
                }
                ring.close()
            })
        };
        let mut accepted: Vec<_> = producers
            .into_iter()
            .flat_map(|p| p.join().unwrap())
            .collect();
        assert!(closer.join().unwrap());
        let mut got = consume_until_closed(&ring);
        got.extend(consumer.join().unwrap());
        got.sort_unstable();
        accepted.sort_unstable();
        assert_eq!(got, accepted);
    });
}

/// SPSC with single attempts and hand-off counters (as in `ring_loom`):
/// `Full` only when the ring really held `cap` items, `Empty` only when
/// every completed push had been consumed; FIFO and exactly-once overall.
#[test]
fn spsc_full_empty_exact() {
    shuttle_check(|| {
        let cap = 2;
        let ring = Arc::new(Ring::new(cap));
        let pushed = Arc::new(AtomicUsize::new(0));
        let popped = Arc::new(AtomicUsize::new(0));
        let producer = {
            let (ring, pushed, popped) = (ring.clone(), pushed.clone(), popped.clone());
            thread::spawn(move || {
                let mut accepted = Vec::new();
                for v in 0..200 {
                    let before = popped.load(Ordering::SeqCst);
                    match ring.try_push(v) {
                        Ok(()) => {
                            accepted.push(v);
                            pushed.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(PushError::Full(_)) => {
                            assert!(accepted.len() - before >= cap, "false Full")
                        }
                        Err(PushError::Closed(_)) => panic!("never closed"),
                        Err(e) => unreachable!("not reported here: {e}"),
                    }
                }
                accepted
            })
        };
        let mut got = Vec::new();
        for _ in 0..200 {
            let before = pushed.load(Ordering::SeqCst);
            match ring.try_pop() {
                Ok(v) => {
                    got.push(v);
                    popped.fetch_add(1, Ordering::SeqCst);
                }
                Err(PopError::Empty) => assert!(before <= got.len(), "false Empty"),
                Err(PopError::Closed) => panic!("never closed"),
                Err(e) => unreachable!("not reported here: {e}"),
            }
        }
        let accepted = producer.join().unwrap();
        got.extend(drain(&ring).0);
        assert_eq!(got, accepted);
    });
}

/// Two force-pushers, a plain pusher and a popper hammer a capacity-2 ring
/// that is dropped non-empty by the last thread holding it: every value is
/// dropped exactly once (popped, overwritten, refused, or left in the ring).
#[test]
fn force_push_traffic_drops_each_once() {
    force_push_traffic(false);
}

/// The same with a closer racing the force-pushers: the close is never lost
/// (ArrayQueue's plain tail store in `force_push` would erase the mark).
#[test]
fn force_push_traffic_with_close() {
    force_push_traffic(true);
}

fn force_push_traffic(close: bool) {
    shuttle_check(move || {
        let drops = Arc::new(AtomicUsize::new(0));
        let ring = Arc::new(Ring::new(2));
        let mut handles = Vec::new();
        for _ in 0..2 {
            let (ring, drops) = (ring.clone(), drops.clone());
            handles.push(thread::spawn(move || {
                for _ in 0..50 {
                    match ring.force_push(Counted(drops.clone())) {
                        Ok(old) => drop(old),
                        Err(refused) => {
                            assert!(close && refused.is_closed());
                            drop(refused);
                        }
                    }
                }
            }));
        }
        if close {
            let ring = ring.clone();
            handles.push(thread::spawn(move || {
                for _ in 0..10 {
                    yield_now();
                }
                assert!(ring.close());
            }));
        }
        {
            let (ring, drops) = (ring.clone(), drops.clone());
            handles.push(thread::spawn(move || {
                for _ in 0..50 {
                    drop(ring.try_push(Counted(drops.clone())));
                }
            }));
        }
        {
            let ring = ring.clone();
            handles.push(thread::spawn(move || {
                for _ in 0..50 {
                    drop(ring.try_pop());
                }
            }));
        }
        let check = close.then(|| ring.clone());
        drop(ring);
        for h in handles {
            h.join().unwrap();
        }
        if let Some(ring) = check {
            assert!(ring.is_closed(), "close lost");
        }
        assert_eq!(drops.load(Ordering::SeqCst), 150);
    });
}
