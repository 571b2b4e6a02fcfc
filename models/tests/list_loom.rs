#![cfg(feature = "loom")]
//! loom models of `List` (blocks of 2 slots under model checking, so every
//! model below crosses block boundaries and exercises block reclamation).
//!
//! Use-after-free and leaks of blocks are caught by the list itself under
//! loom (retired blocks + tracked cells, see `core/src/list/block.rs`); the
//! models check FIFO, exactly-once delivery, Empty/Closed and visibility.
//!
//! Run: `cargo test --release --features loom -p xikernel-models --test list_loom`

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use xikernel::List;
use xikernel::{PopError, PushError};
use xikernel_models::{loom_model, loom_model_capped};

/// Value `seq` of producer `p`.
fn tag(p: usize, seq: usize) -> usize {
    p * 100 + seq
}

/// Pops everything left (the list must be quiescent).
fn drain(list: &List<usize>) -> (Vec<usize>, PopError) {
    let mut out = Vec::new();
    loop {
        match list.try_pop() {
            Ok(v) => out.push(v),
            Err(e) => return (out, e),
        }
    }
}

/// Asserts that `got` holds each `tag(p, 0..n)` exactly once and that each
/// producer's values appear in order.
fn assert_exactly_once_fifo(got: &[usize], producers: usize, n: usize) {
    for p in 0..producers {
        let mine: Vec<usize> = got.iter().copied().filter(|v| v / 100 == p).collect();
        let want: Vec<usize> = (0..n).map(|s| tag(p, s)).collect();
        assert_eq!(mine, want, "producer {p}: lost, duplicated or reordered");
    }
    assert_eq!(got.len(), producers * n);
}

/// Single attempts (no retry loops): a model stays small, and Empty is
/// checked exactly when it is reported.
fn pop_attempts(list: &List<usize>, attempts: usize) -> Vec<usize> {
    let mut got = Vec::new();
    for _ in 0..attempts {
        match list.try_pop() {
            Ok(v) => got.push(v),
            Err(PopError::Empty) => {}
            Err(PopError::Closed) => panic!("never closed"),
            Err(e) => unreachable!("not reported here: {e}"),
        }
    }
    got
}

/// Runs `f` on a clone of the list in a new loom thread.
fn spawn_on<T, R>(
    list: &Arc<List<T>>,
    f: impl FnOnce(&List<T>) -> R + Send + 'static,
) -> thread::JoinHandle<R>
where
    T: Send + 'static,
    R: Send + 'static,
{
    let list = list.clone();
    thread::spawn(move || f(&list))
}

/// Drains what is left and checks exactly-once delivery of `tag(0, 0..n)`
/// over all threads (each thread checked its own order, if it matters).
fn finish_unordered(list: &List<usize>, mut got: Vec<usize>, n: usize) {
    got.extend(drain(list).0);
    got.sort_unstable();
    assert_exactly_once_fifo(&got, 1, n);
}

#[test]
fn spsc_fifo_across_blocks() {
    loom_model(|| {
        let list = Arc::new(List::new());
        let producer = spawn_on(&list, |l| {
            for s in 0..3 {
                l.try_push(tag(0, s)).unwrap();
            }
        });
        let mut got = pop_attempts(&list, 3);
        producer.join().unwrap();
        let (rest, end) = drain(&list);
        assert_eq!(end, PopError::Empty);
        got.extend(rest);
        assert_exactly_once_fifo(&got, 1, 3);
    });
}

#[test]
fn two_producers_one_consumer() {
    // Capped at 2: both spin on a third thread at bound 3 (loom#398).
    loom_model_capped(2, || {
        let list = Arc::new(List::new());
        let producers: Vec<_> = (0..2)
            .map(|p| {
                spawn_on(&list, move |l| {
                    l.try_push(tag(p, 0)).unwrap();
                    l.try_push(tag(p, 1)).unwrap();
                })
            })
            .collect();
        let mut got = pop_attempts(&list, 2);
        for p in producers {
            p.join().unwrap();
        }
        got.extend(drain(&list).0);
        assert_exactly_once_fifo(&got, 2, 2);
    });
}

#[test]
fn one_producer_two_consumers() {
    // One value is queued up front; the producer adds the second, which
    // takes the first block's last slot, so it installs the next block while
    // a consumer pops; then the producer pops too. Whichever consumer reads
    // the last slot waits for the value and the install, switches the head
    // to the new block and frees the old one.
    //
    // First written with two consumer threads and a third push; neither
    // that nor two consumer threads with two values finished unbounded
    // within 20 s (two consumers spinning on one producer multiply loom's
    // schedules); with the producer as the second consumer it is exhaustive.
    loom_model(|| {
        let list = Arc::new(List::new());
        list.try_push(tag(0, 0)).unwrap();
        let consumer = spawn_on(&list, |l| pop_attempts(l, 1));
        list.try_push(tag(0, 1)).unwrap();
        let mut got = pop_attempts(&list, 1);
        got.extend(consumer.join().unwrap());
        finish_unordered(&list, got, 2);
    });
}

#[test]
fn consumer_order_follows_the_producer() {
    // A consumer popping twice sees the producer's values in order while a
    // second consumer takes some of them.
    // Capped at 2: the consumers spin on the producer at bound 3 (loom#398).
    loom_model_capped(2, || {
        let list = Arc::new(List::new());
        let producer = spawn_on(&list, |l| {
            for s in 0..3 {
                l.try_push(tag(0, s)).unwrap();
            }
        });
        let other = spawn_on(&list, |l| pop_attempts(l, 1));
        let mut got = pop_attempts(&list, 2);
        assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
        producer.join().unwrap();
        got.extend(other.join().unwrap());
        finish_unordered(&list, got, 3);
    });
}

#[test]
fn empty_exactly_when_empty() {
    // A value pushed before the pop starts (in happens-before) is never
    // reported Empty; a pop racing the push may see either.
    loom_model(|| {
        let list = Arc::new(List::new());
        let flag = Arc::new(AtomicUsize::new(0));
        let producer = {
            let (list, flag) = (list.clone(), flag.clone());
            thread::spawn(move || {
                list.try_push(tag(0, 0)).unwrap();
                list.try_push(tag(0, 1)).unwrap();
                flag.store(1, Ordering::Release);
            })
        };
        let pushed = flag.load(Ordering::Acquire) == 1;
        let mut got: Vec<usize> = list.try_pop().into_iter().collect();
        if pushed {
            assert_eq!(got, [tag(0, 0)], "a completed push was reported Empty");
            assert_eq!(list.try_pop(), Ok(tag(0, 1)));
            assert_eq!(list.try_pop(), Err(PopError::Empty));
            got.push(tag(0, 1));
        }
        producer.join().unwrap();
        let (rest, end) = drain(&list);
        assert_eq!(end, PopError::Empty);
        got.extend(rest);
        assert_exactly_once_fifo(&got, 1, 2);
    });
}

#[test]
fn block_freed_while_slots_are_read() {
    // Two consumers read the two slots of the first block at once: the one
    // that reads the last slot starts freeing the block while the other may
    // still be reading (the DESTROY hand-over). A free under a reader is
    // reported by the list's liveness cell.
    loom_model(|| {
        let list = Arc::new(List::new());
        for s in 0..3 {
            list.try_push(tag(0, s)).unwrap();
        }
        let consumers: Vec<_> = (0..2)
            .map(|_| spawn_on(&list, |l| l.try_pop().unwrap()))
            .collect();
        let got = consumers.into_iter().map(|c| c.join().unwrap()).collect();
        finish_unordered(&list, got, 3);
    });
}

// `close_races_push` and `close_races_pop` were one model (a closer, a
// pusher and a popper) that did not finish unbounded within 20 s; each
// property needs only the closer and one other thread.

#[test]
fn close_races_push() {
    // Closer writes DATA then closes; a pusher races it. A pusher that
    // observes Closed (is_closed or a refused push) sees DATA; an accepted
    // push is drained before Closed, and no push succeeds after close.
    loom_model(|| {
        let list = Arc::new(List::new());
        let data = Arc::new(AtomicUsize::new(0));
        list.try_push(tag(0, 0)).unwrap();
        let closer = {
            let (list, data) = (list.clone(), data.clone());
            thread::spawn(move || {
                data.store(1, Ordering::Relaxed);
                assert!(list.close());
            })
        };
        let pusher = {
            let (list, data) = (list.clone(), data.clone());
            thread::spawn(move || {
                if list.is_closed() {
                    assert_eq!(data.load(Ordering::Relaxed), 1, "pre-close write unseen");
                }
                match list.try_push(tag(0, 1)) {
                    Ok(()) => true,
                    Err(PushError::Closed(v)) => {
                        assert_eq!(v, tag(0, 1));
                        assert_eq!(data.load(Ordering::Relaxed), 1, "pre-close write unseen");
                        false
                    }
                    Err(PushError::Full(_)) => unreachable!(),
                    Err(e) => unreachable!("not reported here: {e}"),
                }
            })
        };
        closer.join().unwrap();
        let accepted = pusher.join().unwrap();
        let (got, end) = drain(&list);
        assert_eq!(end, PopError::Closed, "drained then Closed");
        assert!(list.try_push(9).is_err(), "no push after close");
        assert_exactly_once_fifo(&got, 1, 1 + accepted as usize);
    });
}

#[test]
fn close_races_pop() {
    // Closer writes DATA then closes; a popper races it on a list holding
    // one value. The value comes out before Closed, and a popper that sees
    // Closed sees DATA.
    loom_model(|| {
        let list = Arc::new(List::new());
        let data = Arc::new(AtomicUsize::new(0));
        list.try_push(tag(0, 0)).unwrap();
        let closer = {
            let (list, data) = (list.clone(), data.clone());
            thread::spawn(move || {
                data.store(1, Ordering::Relaxed);
                assert!(list.close());
            })
        };
        let popper = {
            let (list, data) = (list.clone(), data.clone());
            thread::spawn(move || {
                let mut got = Vec::new();
                for _ in 0..2 {
                    match list.try_pop() {
                        Ok(v) => got.push(v),
                        Err(PopError::Empty) => assert!(!got.is_empty(), "Empty before the value"),
                        Err(PopError::Closed) => {
                            assert_eq!(got.len(), 1, "Closed before the value");
                            assert_eq!(data.load(Ordering::Relaxed), 1, "pre-close write unseen");
                        }
                        Err(e) => unreachable!("not reported here: {e}"),
                    }
                }
                got
            })
        };
        closer.join().unwrap();
        let mut got = popper.join().unwrap();
        let (rest, end) = drain(&list);
        assert_eq!(end, PopError::Closed, "drained then Closed");
        got.extend(rest);
        assert_exactly_once_fifo(&got, 1, 1);
    });
}

#[test]
fn close_while_the_next_block_is_installed() {
    // The producer reserves the last slot of the first block (and must then
    // install the next one) while the list is closed: the install keeps the
    // close bit and the consumer drains both values, then sees Closed.
    loom_model(|| {
        let list = Arc::new(List::new());
        list.try_push(tag(0, 0)).unwrap();
        let producer = spawn_on(&list, |l| l.try_push(tag(0, 1)).is_ok());
        let closer = spawn_on(&list, |l| l.close());
        let first = list.try_pop();
        assert_eq!(first, Ok(tag(0, 0)));
        let accepted = producer.join().unwrap();
        assert!(closer.join().unwrap());
        let (rest, end) = drain(&list);
        assert_eq!(end, PopError::Closed);
        assert_eq!(rest.len(), accepted as usize);
        assert!(list.try_push(9).is_err());
    });
}

/// Counts its drops in a loom atomic.
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn drop_of_a_non_empty_list_drops_each_value_once() {
    // The last Arc (and so the drop) may be in either thread, racing pops.
    loom_model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let list = Arc::new(List::new());
        for _ in 0..4 {
            assert!(list.try_push(Counted(drops.clone())).is_ok());
        }
        let consumer = spawn_on(&list, |l| {
            drop(l.try_pop().ok());
            drop(l.try_pop().ok());
        });
        drop(list.try_pop().ok());
        drop(list);
        consumer.join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 4);
    });
}

#[test]
fn empty_is_linearisable_across_two_lists() {
    // Store-buffering shape: each thread pushes to one list, then pops the
    // other. If both pops reported Empty, each pop would have missed a push
    // that precedes it in every total order: not linearisable. The pop's
    // SeqCst fence (with the SeqCst reservations) forbids it.
    loom_model(|| {
        let a = Arc::new(List::new());
        let b = Arc::new(List::new());
        let other = {
            let (a, b) = (a.clone(), b.clone());
            thread::spawn(move || {
                b.try_push(1).unwrap();
                a.try_pop()
            })
        };
        a.try_push(1).unwrap();
        let mine = b.try_pop();
        let theirs = other.join().unwrap();
        assert!(
            !(mine == Err(PopError::Empty) && theirs == Err(PopError::Empty)),
            "both pops missed a completed push"
        );
    });
}
