#![cfg(feature = "loom")]
//! loom models of `Ring` (run: `cargo test --release --features loom -p
//! xikernel-models --test ring_loom`).
//!
//! Every operation inside a model is a *single attempt* (no retry loops on
//! Full/Empty), so outcomes are checked against what was possible rather
//! than forced: accepted pushes must come out exactly once and in
//! per-producer order, `Full`/`Empty` only when the ring really was full or
//! empty (checked with hand-off counters), `Closed` only after draining, and
//! writes made before `close` visible to whoever observes it. The
//! `len_snapshot_*` models pin the orderings that keep `len` consistent.
//! Which model catches which weakened ordering: `docs/orderings.md`.

mod ring_common;

use ring_common::{drain, Counted};
use xikernel::__private::sync::{thread, Arc, AtomicUsize, Ordering, UnsafeCell};
use xikernel::Ring;
use xikernel::{PopError, PushError};
use xikernel_models::loom_model;

/// One producer, one consumer, single attempts, at capacity `cap`:
/// FIFO, no loss or duplication, and `Full`/`Empty` only when true.
///
/// `pushed`/`popped` count completed operations (incremented after each one
/// returns, Release; read before each attempt, Acquire), so a value read
/// before an attempt is a lower bound of what happened before it:
/// - `Full` needs `accepted - popped_before >= cap`,
/// - `Empty` needs `pushed_before <= consumed`.
///
/// `prefill` items are pushed before the threads start (counted as pushed
/// and accepted), so a model can reach a lap wrap with few racing calls.
fn spsc(cap: usize, prefill: usize, pushes: usize, pops: usize) {
    loom_model(move || {
        let ring = Arc::new(Ring::new(cap));
        for v in 0..prefill {
            ring.try_push(v).unwrap();
        }
        let pushed = Arc::new(AtomicUsize::new(prefill));
        let popped = Arc::new(AtomicUsize::new(0));
        let producer = {
            let (ring, pushed, popped) = (ring.clone(), pushed.clone(), popped.clone());
            thread::spawn(move || {
                let mut accepted: Vec<usize> = (0..prefill).collect();
                for v in prefill..prefill + pushes {
                    let before = popped.load(Ordering::Acquire);
                    match ring.try_push(v) {
                        Ok(()) => {
                            accepted.push(v);
                            pushed.fetch_add(1, Ordering::Release);
                        }
                        Err(PushError::Full(back)) => {
                            assert_eq!(back, v);
                            assert!(accepted.len() - before >= cap, "false Full");
                        }
                        Err(PushError::Closed(_)) => panic!("never closed"),
                        Err(e) => unreachable!("not reported here: {e}"),
                    }
                }
                accepted
            })
        };
        let mut got = Vec::new();
        for _ in 0..pops {
            let before = pushed.load(Ordering::Acquire);
            match ring.try_pop() {
                Ok(v) => {
                    got.push(v);
                    popped.fetch_add(1, Ordering::Release);
                }
                Err(PopError::Empty) => assert!(before <= got.len(), "false Empty"),
                Err(PopError::Closed) => panic!("never closed"),
                Err(e) => unreachable!("not reported here: {e}"),
            }
        }
        let accepted = producer.join().unwrap();
        let (rest, end) = drain(&ring);
        assert_eq!(end, PopError::Empty);
        got.extend(rest);
        assert_eq!(got, accepted, "FIFO, exactly once");
    });
}

// One item queued up front and two racing pushes (not three racing pushes,
// as first written: capacity 2 did not finish unbounded within 20 s and
// capacity 1 took ~18 s): the pushes still wrap into the next lap behind
// the pops (at capacity 1 every push after a pop does).

#[test]
fn spsc_capacity_1() {
    spsc(1, 1, 2, 2);
}

#[test]
fn spsc_capacity_2() {
    spsc(2, 1, 2, 2);
}

/// Capacity 3 (where a lap is not a power of two): two items queued up
/// front, two racing pushes and two pops, so the last push wraps into the
/// next lap exactly when a pop freed slot 0. (Four racing pushes, as first
/// written, did not finish unbounded within 20 s; the prefill keeps the
/// wrap and the lap arithmetic at a fraction of the schedules.)
#[test]
fn spsc_capacity_3() {
    spsc(3, 2, 2, 2);
}

/// Checks that `seq` holds each producer's values in increasing order.
fn assert_per_producer_fifo(seq: &[usize]) {
    for p in 0..2 {
        let mine: Vec<_> = seq.iter().filter(|&&v| v / 10 == p).collect();
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "producer {p}: {seq:?}"
        );
    }
}

/// Two producers (values `10 * p + i`), one consumer.
fn mpsc(cap: usize) {
    loom_model(move || {
        let ring = Arc::new(Ring::new(cap));
        let producers: Vec<_> = (0..2)
            .map(|p| {
                let ring = ring.clone();
                thread::spawn(move || {
                    (0..2)
                        .map(|i| 10 * p + i)
                        .filter(|&v| ring.try_push(v).is_ok())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut got: Vec<_> = (0..2).filter_map(|_| ring.try_pop().ok()).collect();
        let mut accepted: Vec<_> = producers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        got.extend(drain(&ring).0);
        assert_per_producer_fifo(&got);
        got.sort_unstable();
        accepted.sort_unstable();
        assert_eq!(got, accepted, "exactly once");
    });
}

#[test]
fn mpsc_2p1c_capacity_1() {
    mpsc(1);
}

#[test]
fn mpsc_2p1c_capacity_2() {
    mpsc(2);
}

/// One producer, two consumers: each consumer sees increasing values, the
/// union is exactly what was accepted.
///
/// The producer is a spawned thread and `main` is one of the consumers: with
/// the producer as `main`, loom (0.7) explores schedules in which the two
/// consumers, both spinning on the producer's claimed-but-unpublished slot,
/// yield to each other forever and never run the producer again, and
/// reports "exceeded maximum number of branches" (tokio-rs/loom#398).
fn spmc(cap: usize) {
    loom_model(move || {
        let ring = Arc::new(Ring::new(cap));
        let producer = {
            let ring = ring.clone();
            thread::spawn(move || {
                (0..3)
                    .filter(|&v| ring.try_push(v).is_ok())
                    .collect::<Vec<_>>()
            })
        };
        let consumer = {
            let ring = ring.clone();
            thread::spawn(move || {
                (0..2)
                    .filter_map(|_| ring.try_pop().ok())
                    .collect::<Vec<_>>()
            })
        };
        let mine: Vec<_> = (0..2).filter_map(|_| ring.try_pop().ok()).collect();
        let accepted = producer.join().unwrap();
        let mut all = Vec::new();
        for got in [mine, consumer.join().unwrap()] {
            assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
            all.extend(got);
        }
        all.extend(drain(&ring).0);
        all.sort_unstable();
        assert_eq!(all, accepted, "exactly once");
    });
}

#[test]
fn spmc_1p2c_capacity_1() {
    spmc(1);
}

#[test]
fn spmc_1p2c_capacity_2() {
    spmc(2);
}

/// A non-atomic note written before `close`, read by whoever observes the
/// closed state; loom reports a data race if the observation does not
/// synchronise with the close.
struct Note(UnsafeCell<usize>);

impl Note {
    fn new() -> Self {
        Note(UnsafeCell::new(0))
    }
    fn write(&self, v: usize) {
        // SAFETY: called once, by the closing thread, before `close`; every
        // reader runs only after observing that close (which the model
        // checks by reporting any unsynchronised access as a race).
        self.0.with_mut(|p| unsafe { *p = v });
    }
    fn read(&self) -> usize {
        // SAFETY: see `write`.
        self.0.with(|p| unsafe { *p })
    }
}

/// A closer (note, then close) races a pusher and a popper. Pops report
/// `Closed` only once drained; an accepted push is drained exactly once;
/// both the popper and the pusher see the note when they observe `Closed`.
#[test]
fn close_visibility_push_pop() {
    loom_model(|| {
        let ring = Arc::new(Ring::new(1));
        let note = Arc::new(Note::new());
        let closer = {
            let (ring, note) = (ring.clone(), note.clone());
            thread::spawn(move || {
                note.write(42);
                assert!(ring.close());
            })
        };
        let pusher = {
            let (ring, note) = (ring.clone(), note.clone());
            thread::spawn(move || match ring.try_push(7) {
                Ok(()) => true,
                Err(PushError::Closed(7)) => {
                    assert_eq!(note.read(), 42);
                    false
                }
                Err(e) => panic!("{e:?}"),
            })
        };
        let mut popped = Vec::new();
        let mut saw_closed = false;
        for _ in 0..2 {
            match ring.try_pop() {
                Ok(v) => popped.push(v),
                Err(PopError::Closed) => {
                    assert_eq!(note.read(), 42);
                    saw_closed = true;
                    break;
                }
                Err(PopError::Empty) => {}
                Err(e) => unreachable!("not reported here: {e}"),
            }
        }
        closer.join().unwrap();
        let accepted = pusher.join().unwrap();
        let (rest, end) = drain(&ring);
        assert_eq!(end, PopError::Closed);
        assert!(!saw_closed || rest.is_empty(), "Closed before drained");
        popped.extend(rest);
        assert_eq!(popped, if accepted { vec![7] } else { vec![] });
    });
}

/// `is_closed() == true` publishes the closer's prior writes.
#[test]
fn close_visibility_is_closed() {
    loom_model(|| {
        let ring = Arc::new(Ring::<usize>::new(2));
        let note = Arc::new(Note::new());
        let closer = {
            let (ring, note) = (ring.clone(), note.clone());
            thread::spawn(move || {
                note.write(42);
                ring.close();
            })
        };
        if ring.is_closed() {
            assert_eq!(note.read(), 42);
        }
        closer.join().unwrap();
    });
}

/// Two closers: exactly one wins, and the loser (`close() == false`) sees
/// the winner's prior writes.
#[test]
fn close_visibility_loser() {
    loom_model(|| {
        let ring = Arc::new(Ring::<usize>::new(1));
        let notes = Arc::new([Note::new(), Note::new()]);
        let other = {
            let (ring, notes) = (ring.clone(), notes.clone());
            thread::spawn(move || {
                notes[1].write(1);
                if !ring.close() {
                    assert_eq!(notes[0].read(), 10);
                    return false;
                }
                true
            })
        };
        notes[0].write(10);
        let won = ring.close();
        if !won {
            assert_eq!(notes[1].read(), 1);
        }
        assert!(won != other.join().unwrap(), "exactly one winner");
    });
}

/// `force_push` races a popper on a full ring of `0..cap`: every value
/// ends up exactly once (popped, returned as overwritten, or drained), the
/// overwritten one is the oldest not yet popped, order is kept.
fn force_push_vs_pop(cap: usize) {
    loom_model(move || {
        let ring = Arc::new(Ring::new(cap));
        for v in 0..cap {
            ring.try_push(v).unwrap();
        }
        let forcer = {
            let ring = ring.clone();
            thread::spawn(move || ring.force_push(100).unwrap())
        };
        let mut popped: Vec<_> = (0..2).filter_map(|_| ring.try_pop().ok()).collect();
        let old = forcer.join().unwrap();
        let (rest, _) = drain(&ring);
        if let Some(old) = old {
            assert!(old < cap && !popped.contains(&old), "{old}");
            // Everything older than the overwritten item was popped first.
            assert!((0..old).all(|v| popped.contains(&v)), "{old} {popped:?}");
            assert!(rest.iter().all(|&v| v > old));
        }
        popped.extend(rest.iter().copied());
        assert!(popped.windows(2).all(|w| w[0] < w[1]), "{popped:?}");
        popped.extend(old);
        popped.sort_unstable();
        let mut all: Vec<_> = (0..cap).collect();
        all.push(100);
        assert_eq!(popped, all, "exactly once");
        assert!(rest.len() <= cap);
    });
}

#[test]
fn force_push_vs_pop_capacity_1() {
    force_push_vs_pop(1);
}

#[test]
fn force_push_vs_pop_capacity_2() {
    force_push_vs_pop(2);
}

/// `close` races a `force_push` on a full ring: the close is never lost (the
/// overwrite moves the tail with an RMW that keeps the mark bit), the pushed
/// value is either refused or replaces exactly the oldest item.
#[test]
fn close_vs_force_push() {
    loom_model(|| {
        let ring = Arc::new(Ring::new(1));
        ring.try_push(0).unwrap();
        let forcer = {
            let ring = ring.clone();
            thread::spawn(move || ring.force_push(1))
        };
        assert!(ring.close());
        let result = forcer.join().unwrap();
        assert!(ring.is_closed(), "close lost");
        let (rest, end) = drain(&ring);
        assert_eq!(end, PopError::Closed);
        match result {
            Ok(Some(0)) => assert_eq!(rest, vec![1]),
            Err(PushError::Closed(1)) => assert_eq!(rest, vec![0]),
            other => panic!("{other:?}"),
        }
    });
}

/// A non-empty ring is dropped by whichever thread lets go last, while
/// values were pushed, force-pushed and popped concurrently: each value is
/// dropped exactly once (loom also checks the drop's reads of the slots).
#[test]
fn drop_nonempty_drops_each_once() {
    loom_model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let ring = Arc::new(Ring::new(2));
        ring.try_push(Counted(drops.clone())).unwrap();
        let worker = {
            let (ring, drops) = (ring.clone(), drops.clone());
            thread::spawn(move || {
                let _ = ring.try_push(Counted(drops.clone()));
                drop(ring.force_push(Counted(drops)));
            })
        };
        drop(ring.try_pop());
        drop(ring);
        worker.join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 3);
    });
}

// The `len_snapshot_*` models spawn the writers first and the observer
// last: loom (0.7) runs spawned threads in order, and its DPOR does not
// reorder a load before another thread's load-then-CAS of the same atomic,
// so an observer that ran first would only ever see initial values. Running
// last, its loads may return any store coherence and happens-before allow,
// which is exactly what a weakened ordering widens.

/// Fills a ring of `cap` with `0..prefill`, spawns each writer in order and
/// then an observer, which asserts `ok(len)`.
fn len_snapshot(
    cap: usize,
    prefill: usize,
    writers: &'static [fn(&Ring<usize>)],
    ok: fn(usize) -> bool,
) {
    loom_model(move || {
        let ring = Arc::new(Ring::new(cap));
        for v in 0..prefill {
            ring.try_push(v).unwrap();
        }
        let mut threads: Vec<_> = writers
            .iter()
            .map(|&w| {
                let ring = ring.clone();
                thread::spawn(move || w(&ring))
            })
            .collect();
        let observer = ring.clone();
        threads.push(thread::spawn(move || {
            let len = observer.len();
            assert!(ok(len), "impossible len {len}");
        }));
        for t in threads {
            t.join().unwrap();
        }
    });
}

/// Capacity 2 holding one item; a writer pops it then pushes another. The
/// ring held 1, 0, 1 items: `len` must never report 2 (a snapshot pairing
/// the new tail with the old head).
#[test]
fn len_snapshot_push() {
    len_snapshot(
        2,
        1,
        &[|r| {
            assert_eq!(r.try_pop(), Ok(0));
            r.try_push(1).unwrap();
        }],
        |len| len <= 1,
    );
}

/// Capacity 3, empty; a writer pushes then pops. The ring held 0, 1, 0
/// items: `len` must never report 2 (the pop's new head paired with a tail
/// older than the push it consumed).
#[test]
fn len_snapshot_pop() {
    len_snapshot(
        3,
        0,
        &[|r| {
            r.try_push(1).unwrap();
            assert_eq!(r.try_pop(), Ok(1));
        }],
        |len| len <= 1,
    );
}

/// Capacity 2 holding one item; a writer fills it, then force-pushes (which
/// overwrites the oldest item). The ring held 1 or 2 items, never 0: `len`
/// must not pair the force_push's new head with a tail older than the push
/// that filled the ring (which the force_push read, and its Release head
/// CAS carries to whoever acquires the head).
///
/// First written with the push and the force_push in two writer threads (no
/// happens-before between them, so the force_push carries a tail it only
/// read); that model did not finish unbounded within 20 s. With one writer
/// the same Release/Acquire pair is needed (`ring/force-head-cas-release`
/// and `ring/len-head-acquire` are still caught) and the model is
/// exhaustive; the cross-thread read is what `force_push_vs_pop_*` and the
/// linearizability rows exercise.
#[test]
fn len_snapshot_force_push() {
    len_snapshot(
        2,
        1,
        &[|r| {
            r.try_push(1).unwrap();
            assert_eq!(r.force_push(2), Ok(Some(0)));
        }],
        |len| len >= 1,
    );
}

/// A full ring of capacity 3 is force-pushed: it holds 3 items throughout
/// (2 inside the force_push, between its head CAS and its tail update), so
/// `len` must report 2 or 3, never the 1 that pairs the new tail with the
/// old head.
#[test]
fn len_snapshot_force_push_full() {
    len_snapshot(
        3,
        3,
        &[|r| assert_eq!(r.force_push(3), Ok(Some(0)))],
        |len| len == 2 || len == 3,
    );
}
