#![cfg(feature = "shuttle")]
//! shuttle models of the blocking layer: producers and consumers that block
//! on a small bounded queue (and on an unbounded one), racing `close`, with
//! hundreds of operations per execution. A lost wake-up leaves a thread
//! parked forever, which shuttle reports as a deadlock; every value is
//! either popped exactly once or handed back to its producer by `Closed`.
//!
//! Shuttle treats every atomic as SeqCst: these models find logic races and
//! lost wake-ups, `wait_loom` finds the ordering bugs.

use std::collections::VecDeque;

use shuttle::sync::{Arc, Mutex};
use shuttle::thread;
use xikernel::wait::{Blocking, TryQueue};
use xikernel::{PopError, PushError};
use xikernel_models::shuttle_check;

/// Stand-in queue with the kernel's close rule; `capacity == usize::MAX`
/// makes it unbounded (pushes never wait).
struct Fifo {
    state: Mutex<(VecDeque<u32>, bool)>,
    capacity: usize,
}

impl Fifo {
    fn blocking(capacity: usize) -> Arc<Blocking<Fifo>> {
        Arc::new(Blocking::new(Fifo {
            state: Mutex::new((VecDeque::new(), false)),
            capacity,
        }))
    }
}

impl TryQueue for Fifo {
    type Item = u32;
    const BOUNDED: bool = true;

    fn try_push(&self, v: u32) -> Result<(), PushError<u32>> {
        let mut s = self.state.lock().unwrap();
        match (s.1, s.0.len() < self.capacity) {
            (true, _) => Err(PushError::Closed(v)),
            (false, false) => Err(PushError::Full(v)),
            (false, true) => {
                s.0.push_back(v);
                Ok(())
            }
        }
    }

    fn try_pop(&self) -> Result<u32, PopError> {
        let mut s = self.state.lock().unwrap();
        let closed = s.1;
        s.0.pop_front().ok_or(if closed {
            PopError::Closed
        } else {
            PopError::Empty
        })
    }

    fn close(&self) -> bool {
        !std::mem::replace(&mut self.state.lock().unwrap().1, true)
    }

    fn is_closed(&self) -> bool {
        self.state.lock().unwrap().1
    }
}

const PRODUCERS: u32 = 2;
const CONSUMERS: usize = 2;
const PER_PRODUCER: u32 = 60;

/// 2 producers (blocking `push` and `push_timeout` alternately), 2
/// consumers (blocking `pop` / `pop_timeout` until `Closed`), and `close`
/// either after the producers finish (`early_close == false`: everything is
/// delivered) or from a fifth thread racing them.
fn mixed(capacity: usize, early_close: bool) {
    let q = Fifo::blocking(capacity);
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
    shuttle_check(|| mixed(1, false));
}

#[test]
fn blocking_mpmc_capacity_2_racing_close() {
    shuttle_check(|| mixed(2, true));
}

#[test]
fn blocking_mpmc_unbounded_racing_close() {
    shuttle_check(|| mixed(usize::MAX, true));
}

/// Close with no consumer left: only `close` can wake the parked pushers.
#[test]
fn close_wakes_parked_pushers() {
    shuttle_check(|| {
        let q = Fifo::blocking(1);
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
