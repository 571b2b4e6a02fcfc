#![cfg(feature = "loom")]
//! loom models of the blocking layer (`xikernel::wait`): no lost wake-up
//! between a push and a parked pop (bounded at capacity 1, and unbounded), a
//! parked push woken by a pop, and close racing a parked pop / push.
//!
//! Under loom timed waits never time out, so every wait here is untimed: a
//! lost wake-up leaves a thread parked forever and loom reports a deadlock.
//!
//! The queues are small lock-free stand-ins with the ring's and the list's
//! contract (Acquire loads that may be stale, AcqRel RMWs): a stand-in built
//! on a `Mutex` would order the waker and the waiter through the lock and
//! hide a weakened fence of the sleeper protocol.

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use xikernel::wait::{Blocking, TryQueue};
use xikernel::{PopError, PushError};
use xikernel_models::loom_model;

const CLOSED: usize = 1 << (usize::BITS - 1);

/// A bounded queue of capacity 1 holding a `usize < CLOSED - 1`: the state
/// word is `CLOSED | (value + 1)`, 0 in the low bits when empty.
#[derive(Default)]
struct Slot(AtomicUsize);

/// An unbounded queue of identical tokens (the list stand-in): the state
/// word is `CLOSED | count`.
#[derive(Default)]
struct Tokens(AtomicUsize);

/// One CAS loop for both stand-ins: `step(state)` returns the new state or
/// the error to report.
fn update<E>(
    word: &AtomicUsize,
    mut step: impl FnMut(usize) -> Result<usize, E>,
) -> Result<usize, E> {
    let mut s = word.load(Ordering::Acquire);
    loop {
        let next = step(s)?;
        match word.compare_exchange(s, next, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Ok(s),
            Err(actual) => s = actual,
        }
    }
}

fn close_word(word: &AtomicUsize) -> bool {
    word.fetch_or(CLOSED, Ordering::AcqRel) & CLOSED == 0
}

impl TryQueue for Slot {
    type Item = usize;
    const BOUNDED: bool = true;

    fn try_push(&self, v: usize) -> Result<(), PushError<usize>> {
        update(&self.0, |s| match (s & CLOSED != 0, s & !CLOSED) {
            (true, _) => Err(PushError::Closed(v)),
            (false, 0) => Ok(v + 1),
            (false, _) => Err(PushError::Full(v)),
        })
        .map(drop)
    }

    fn try_pop(&self) -> Result<usize, PopError> {
        let old = update(&self.0, |s| match (s & CLOSED != 0, s & !CLOSED) {
            (closed, 0) => Err(if closed {
                PopError::Closed
            } else {
                PopError::Empty
            }),
            _ => Ok(s & CLOSED),
        })?;
        Ok((old & !CLOSED) - 1)
    }

    fn close(&self) -> bool {
        close_word(&self.0)
    }

    fn is_closed(&self) -> bool {
        self.0.load(Ordering::Acquire) & CLOSED != 0
    }
}

impl TryQueue for Tokens {
    type Item = usize;
    const BOUNDED: bool = false;

    fn try_push(&self, v: usize) -> Result<(), PushError<usize>> {
        update(&self.0, |s| {
            if s & CLOSED != 0 {
                Err(PushError::Closed(v))
            } else {
                Ok(s + 1)
            }
        })
        .map(drop)
    }

    fn try_pop(&self) -> Result<usize, PopError> {
        update(&self.0, |s| match (s & CLOSED != 0, s & !CLOSED) {
            (closed, 0) => Err(if closed {
                PopError::Closed
            } else {
                PopError::Empty
            }),
            _ => Ok(s - 1),
        })
        .map(|_| 1)
    }

    fn close(&self) -> bool {
        close_word(&self.0)
    }

    fn is_closed(&self) -> bool {
        self.0.load(Ordering::Acquire) & CLOSED != 0
    }
}

fn spawn<Q, R>(
    q: &Arc<Blocking<Q>>,
    f: impl FnOnce(&Blocking<Q>) -> R + Send + 'static,
) -> thread::JoinHandle<R>
where
    Q: TryQueue + Send + Sync + 'static,
    R: Send + 'static,
{
    let q = q.clone();
    thread::spawn(move || f(&q))
}

/// A parked pop is woken by a push (1 producer, 1 consumer).
fn push_wakes_parked_pop<Q>()
where
    Q: TryQueue<Item = usize> + Default + Send + Sync + 'static,
{
    loom_model(|| {
        let q = Arc::new(Blocking::new(Q::default()));
        let consumer = spawn(&q, |q| q.pop());
        q.push(1).unwrap();
        assert_eq!(consumer.join().unwrap(), Ok(1));
        assert_eq!(q.try_pop(), Err(PopError::Empty));
    });
}

#[test]
fn push_wakes_parked_pop_capacity_1() {
    push_wakes_parked_pop::<Slot>();
}

#[test]
fn push_wakes_parked_pop_unbounded() {
    push_wakes_parked_pop::<Tokens>();
}

#[test]
fn try_push_wakes_parked_pop() {
    loom_model(|| {
        let q = Arc::new(Blocking::new(Slot::default()));
        let consumer = spawn(&q, |q| q.pop());
        q.try_push(3).unwrap();
        assert_eq!(consumer.join().unwrap(), Ok(3));
    });
}

#[test]
fn pop_wakes_parked_push() {
    loom_model(|| {
        let q = Arc::new(Blocking::new(Slot::default()));
        q.try_push(1).unwrap();
        let producer = spawn(&q, |q| q.push(2).map_err(|e| e.into_inner()));
        assert_eq!(q.pop(), Ok(1));
        assert_eq!(producer.join().unwrap(), Ok(()));
        assert_eq!(q.try_pop(), Ok(2));
    });
}

#[test]
fn close_wakes_parked_pop_after_drain() {
    loom_model(|| {
        let q = Arc::new(Blocking::new(Slot::default()));
        let consumer = spawn(&q, |q| (q.pop(), q.pop()));
        q.push(1).unwrap();
        assert!(q.close());
        assert_eq!(consumer.join().unwrap(), (Ok(1), Err(PopError::Closed)));
    });
}

#[test]
fn close_wakes_parked_push() {
    loom_model(|| {
        let q = Arc::new(Blocking::new(Slot::default()));
        q.try_push(1).unwrap();
        let producer = spawn(&q, |q| q.push(2));
        assert!(q.close());
        match producer.join().unwrap() {
            Err(PushError::Closed(2)) => {}
            other => panic!("expected Closed(2), got {other:?}"),
        }
        // The item queued before close is still drained.
        assert_eq!(q.pop(), Ok(1));
        assert_eq!(q.pop(), Err(PopError::Closed));
    });
}

/// Two parked poppers; `wake` (run by main) must wake both, and each pop
/// returns `expected`.
fn two_parked_pops(wake: fn(&Blocking<Tokens>), expected: Result<usize, PopError>) {
    loom_model(move || {
        let q = Arc::new(Blocking::new(Tokens::default()));
        let a = spawn(&q, |q| q.pop());
        let b = spawn(&q, |q| q.pop());
        wake(&q);
        assert_eq!(a.join().unwrap(), expected);
        assert_eq!(b.join().unwrap(), expected);
    });
}

/// Two pushes, two `notify_one`s: each must reach a different sleeper.
#[test]
fn two_pushes_wake_two_parked_pops() {
    two_parked_pops(|q| (0..2).for_each(|_| q.push(1).unwrap()), Ok(1));
}

/// Close must wake *every* parked popper (`notify_all`, not `notify_one`).
#[test]
fn close_wakes_two_parked_pops() {
    two_parked_pops(
        |q| {
            q.close();
        },
        Err(PopError::Closed),
    );
}

/// Close must wake *every* parked pusher.
#[test]
fn close_wakes_two_parked_pushes() {
    loom_model(|| {
        let q = Arc::new(Blocking::new(Slot::default()));
        q.try_push(0).unwrap();
        let a = spawn(&q, |q| q.push(1).map_err(|e| e.is_closed()));
        let b = spawn(&q, |q| q.push(2).map_err(|e| e.is_closed()));
        q.close();
        assert_eq!(a.join().unwrap(), Err(true));
        assert_eq!(b.join().unwrap(), Err(true));
    });
}
