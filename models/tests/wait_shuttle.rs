#![cfg(feature = "shuttle")]
//! shuttle models of the blocking layer: producers and consumers that block
//! on a small bounded queue (and on an unbounded one), racing `close`, with
//! hundreds of operations per execution. A lost wake-up leaves a thread
//! parked forever, which shuttle reports as a deadlock; every value is
//! either popped exactly once or handed back to its producer by `Closed`.
//!
//! Shuttle treats every atomic as SeqCst: these models find logic races and
//! lost wake-ups, `wait_loom` finds the ordering bugs.

use shuttle::sync::Arc;
use shuttle::thread;
use xikernel::wait::{Blocking, TryQueue};
use xikernel::List;
use xikernel::Ring;
use xikernel::{PopError, PushError};
use xikernel_models::shuttle_check;

fn ring(capacity: usize) -> Arc<Blocking<Ring<u32>>> {
    Arc::new(Blocking::new(Ring::new(capacity)))
}

const PRODUCERS: u32 = 2;
const CONSUMERS: usize = 2;
const PER_PRODUCER: u32 = 60;

/// 2 producers (blocking `push` and `push_timeout` alternately), 2
/// consumers (blocking `pop` / `pop_timeout` until `Closed`), and `close`
/// either after the producers finish (`early_close == false`: everything is
/// delivered) or from a fifth thread racing them.
fn mixed<Q>(q: Arc<Blocking<Q>>, early_close: bool)
where
    Q: TryQueue<Item = u32> + Send + Sync + 'static,
{
    let long = std::time::Duration::from_secs(3600);
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || {
                let mut returned = Vec::new();
                for i in 0..PER_PRODUCER {
                    let v = p * PER_PRODUCER + i;
                    let r = if i % 2 == 0 {
                        q.push(v)
                    } else {
                        q.push_timeout(v, long)
                    };
                    match r {
                        Ok(()) => {}
                        Err(PushError::Closed(back)) => returned.push(back),
                        Err(PushError::Full(_)) => panic!("untimed push reported Full"),
                        Err(e) => unreachable!("not reported here: {e}"),
                    }
                }
                returned
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|c| {
            let q = q.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                loop {
                    let r = if c == 0 { q.pop() } else { q.pop_timeout(long) };
                    match r {
                        Ok(v) => got.push(v),
                        Err(e) => {
                            assert_eq!(e, PopError::Closed);
                            return got;
                        }
                    }
                }
            })
        })
        .collect();
    let closer = early_close.then(|| {
        let q = q.clone();
        thread::spawn(move || {
            thread::yield_now();
            q.close()
        })
    });
    let mut accounted: Vec<u32> = Vec::new();
    for p in producers {
        accounted.extend(p.join().unwrap());
    }
    if !early_close {
        assert!(accounted.is_empty(), "a push failed before close");
    }
    q.close();
    for c in consumers {
        accounted.extend(c.join().unwrap());
    }
    if let Some(closer) = closer {
        closer.join().unwrap();
    }
    accounted.sort_unstable();
    let expected: Vec<u32> = (0..PRODUCERS * PER_PRODUCER).collect();
    assert_eq!(accounted, expected, "an item was lost or duplicated");
    assert_eq!(q.try_pop(), Err(PopError::Closed));
}

#[test]
fn blocking_mpmc_capacity_1_then_close() {
    shuttle_check(|| mixed(ring(1), false));
}

#[test]
fn blocking_mpmc_capacity_2_racing_close() {
    shuttle_check(|| mixed(ring(2), true));
}

#[test]
fn blocking_mpmc_unbounded_racing_close() {
    shuttle_check(|| mixed(Arc::new(Blocking::new(List::new())), true));
}

/// Close with no consumer left: only `close` can wake the parked pushers.
#[test]
fn close_wakes_parked_pushers() {
    shuttle_check(|| {
        let q = ring(1);
        q.try_push(0).unwrap();
        let pushers: Vec<_> = (1..4)
            .map(|v| {
                let q = q.clone();
                thread::spawn(move || q.push(v))
            })
            .collect();
        q.close();
        for (v, p) in (1..4).zip(pushers) {
            assert!(matches!(p.join().unwrap(), Err(PushError::Closed(b)) if b == v));
        }
        assert_eq!(q.pop(), Ok(0));
        assert_eq!(q.pop(), Err(PopError::Closed));
    });
}
