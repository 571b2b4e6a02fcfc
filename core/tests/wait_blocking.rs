//! std tests of the blocking layer: timeouts are honoured (lower bounds
//! only: no test asserts an upper timing bound), sleepers are woken by the
//! opposite operation and by close, and a 4x4 blocking stress delivers every
//! item exactly once.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use xikernel::wait::{Blocking, BlockingList, BlockingRing, Notifier, TryQueue, Wait};
use xikernel::List;
use xikernel::Ring;
use xikernel::{PopError, PushError};

/// A deliberately simple queue: the blocking layer must not depend on the
/// queue it wraps being lock-free.
struct MutexQueue<T> {
    items: Mutex<(VecDeque<T>, bool)>,
    capacity: usize,
}

impl<T> MutexQueue<T> {
    fn new(capacity: usize) -> Self {
        Self {
            items: Mutex::new((VecDeque::new(), false)),
            capacity,
        }
    }
}

impl<T> TryQueue for MutexQueue<T> {
    type Item = T;
    const BOUNDED: bool = true;

    fn try_push(&self, value: T) -> Result<(), PushError<T>> {
        let mut g = self.items.lock().unwrap();
        if g.1 {
            Err(PushError::Closed(value))
        } else if g.0.len() == self.capacity {
            Err(PushError::Full(value))
        } else {
            g.0.push_back(value);
            Ok(())
        }
    }

    fn try_pop(&self) -> Result<T, PopError> {
        let mut g = self.items.lock().unwrap();
        match g.0.pop_front() {
            Some(v) => Ok(v),
            None if g.1 => Err(PopError::Closed),
            None => Err(PopError::Empty),
        }
    }

    fn close(&self) -> bool {
        !std::mem::replace(&mut self.items.lock().unwrap().1, true)
    }

    fn is_closed(&self) -> bool {
        self.items.lock().unwrap().1
    }
}

/// Long enough that a lost wake-up fails the test instead of hanging CI,
/// never used as an assertion on speed.
const PATIENCE: Duration = Duration::from_secs(30);

/// The queues under test: the kernel's ring and list and a plain
/// `Mutex<VecDeque>` (the layer must not depend on the queue being
/// lock-free).
trait Make: TryQueue<Item = u64> + Send + Sync + Sized + 'static {
    /// `capacity` is ignored by unbounded queues.
    fn make(capacity: usize) -> Self;
}

impl Make for MutexQueue<u64> {
    fn make(capacity: usize) -> Self {
        MutexQueue::new(capacity)
    }
}

impl Make for Ring<u64> {
    fn make(capacity: usize) -> Self {
        Ring::new(capacity)
    }
}

impl Make for List<u64> {
    fn make(_: usize) -> Self {
        List::new()
    }
}

fn queue<Q: Make>(capacity: usize) -> Arc<Blocking<Q>> {
    Arc::new(Blocking::new(Q::make(capacity)))
}

/// One `#[test]` per generic test and queue type.
macro_rules! queue_tests {
    ($module:ident, $queue:ty, [$($test:ident),* $(,)?]) => {
        mod $module {
            $(
                #[test]
                fn $test() {
                    super::$test::<$queue>();
                }
            )*
        }
    };
}

macro_rules! bounded_queue_tests {
    ($module:ident, $queue:ty) => {
        queue_tests!(
            $module,
            $queue,
            [
                pop_timeout_waits_at_least_the_timeout,
                fractional_timeouts_are_not_rounded,
                push_timeout_on_full_returns_the_value,
                zero_and_huge_timeouts,
                sleeping_pop_is_woken_by_push_and_try_push,
                sleeping_push_is_woken_by_pop,
                close_wakes_sleeping_poppers,
                close_wakes_sleeping_pushers,
                blocking_stress_4x4_exactly_once,
            ]
        );
    };
}

bounded_queue_tests!(mutex_queue, super::MutexQueue<u64>);
bounded_queue_tests!(ring, xikernel::Ring<u64>);
queue_tests!(
    list,
    xikernel::List<u64>,
    [
        pop_timeout_waits_at_least_the_timeout,
        fractional_timeouts_are_not_rounded,
        sleeping_pop_is_woken_by_push_and_try_push,
        close_wakes_sleeping_poppers,
        blocking_stress_4x4_exactly_once,
    ]
);

fn pop_timeout_waits_at_least_the_timeout<Q: Make>() {
    let q = queue::<Q>(4);
    let timeout = Duration::from_millis(50);
    let start = Instant::now();
    assert_eq!(q.pop_timeout(timeout), Err(PopError::Timeout));
    assert!(
        start.elapsed() >= timeout,
        "returned after {:?}",
        start.elapsed()
    );
}

fn fractional_timeouts_are_not_rounded<Q: Make>() {
    // CPython truncates 0.9 s to 0 s; we wait the full 0.15 s.
    let q = queue::<Q>(4);
    let timeout = Duration::from_secs_f64(0.15);
    let start = Instant::now();
    assert_eq!(q.pop_timeout(timeout), Err(PopError::Timeout));
    assert!(start.elapsed() >= timeout);
}

fn push_timeout_on_full_returns_the_value<Q: Make>() {
    let q = queue::<Q>(1);
    q.try_push(1).unwrap();
    let timeout = Duration::from_millis(50);
    let start = Instant::now();
    match q.push_timeout(2, timeout) {
        Err(PushError::Timeout(v)) => assert_eq!(v, 2),
        other => panic!("expected Timeout(2), got {other:?}"),
    }
    assert!(start.elapsed() >= timeout);
    assert_eq!(q.try_pop(), Ok(1));
}

fn zero_and_huge_timeouts<Q: Make>() {
    let q = queue::<Q>(1);
    assert_eq!(q.pop_timeout(Duration::ZERO), Err(PopError::Timeout));
    // Not representable as an Instant: waits without deadline, no panic.
    q.push_timeout(7, Duration::MAX).unwrap();
    assert!(q.push_timeout(8, Duration::ZERO).unwrap_err().is_timeout());
    assert_eq!(q.pop_timeout(Duration::MAX), Ok(7));
}

fn sleeping_pop_is_woken_by_push_and_try_push<Q: Make>() {
    for (timed, v) in [(true, 42), (false, 5)] {
        let q = queue::<Q>(1);
        let q2 = q.clone();
        let popper = thread::spawn(move || {
            if timed {
                q2.pop_timeout(PATIENCE)
            } else {
                q2.pop()
            }
        });
        thread::sleep(Duration::from_millis(20));
        // The blocking and the non-blocking push both wake the sleeper.
        if timed { q.push(v) } else { q.try_push(v) }.unwrap();
        assert_eq!(popper.join().unwrap(), Ok(v));
    }
}

fn sleeping_push_is_woken_by_pop<Q: Make>() {
    let q = queue::<Q>(1);
    q.push(1).unwrap();
    let q2 = q.clone();
    let pusher = thread::spawn(move || q2.push_timeout(2, PATIENCE).map_err(|e| e.into_inner()));
    thread::sleep(Duration::from_millis(20));
    assert_eq!(q.pop(), Ok(1));
    assert_eq!(pusher.join().unwrap(), Ok(()));
    assert_eq!(q.try_pop(), Ok(2));
}

fn close_wakes_sleeping_poppers<Q: Make>() {
    let q = queue::<Q>(1);
    let poppers: Vec<_> = (0..3)
        .map(|_| {
            let q = q.clone();
            thread::spawn(move || q.pop_timeout(PATIENCE))
        })
        .collect();
    thread::sleep(Duration::from_millis(30));
    assert!(q.close());
    assert!(!q.close());
    for p in poppers {
        assert_eq!(p.join().unwrap(), Err(PopError::Closed));
    }
    assert!(q.is_closed());
}

fn close_wakes_sleeping_pushers<Q: Make>() {
    let q = queue::<Q>(1);
    q.push(0).unwrap();
    let pushers: Vec<_> = (1..3)
        .map(|i| {
            let q = q.clone();
            thread::spawn(move || q.push_timeout(i, PATIENCE))
        })
        .collect();
    thread::sleep(Duration::from_millis(30));
    assert!(q.close());
    for (i, p) in (1..3).zip(pushers) {
        match p.join().unwrap() {
            Err(PushError::Closed(v)) => assert_eq!(v, i),
            other => panic!("expected Closed({i}), got {other:?}"),
        }
    }
    // Pops drain what was queued before close, then see Closed.
    assert_eq!(q.pop(), Ok(0));
    assert_eq!(q.pop(), Err(PopError::Closed));
}

fn blocking_stress_4x4_exactly_once<Q: Make>() {
    const PRODUCERS: u64 = 4;
    const CONSUMERS: usize = 4;
    let per_producer: u64 = if cfg!(miri) { 20 } else { 20_000 };
    let q = queue::<Q>(2);
    let total = PRODUCERS * per_producer;
    let seen: Arc<Vec<AtomicUsize>> = Arc::new((0..total).map(|_| AtomicUsize::new(0)).collect());

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || {
                for i in 0..per_producer {
                    // Mix the three push flavours.
                    let v = p * per_producer + i;
                    match i % 3 {
                        0 => q.push(v).unwrap(),
                        1 => q.push_timeout(v, PATIENCE).unwrap(),
                        _ => {
                            let mut v = v;
                            while let Err(e) = q.try_push(v) {
                                assert!(e.is_full());
                                v = e.into_inner();
                                thread::yield_now();
                            }
                        }
                    }
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|c| {
            let (q, seen) = (q.clone(), seen.clone());
            thread::spawn(move || {
                let mut last_per_producer = vec![None::<u64>; PRODUCERS as usize];
                loop {
                    let r = if c % 2 == 0 {
                        q.pop()
                    } else {
                        q.pop_timeout(PATIENCE)
                    };
                    let v = match r {
                        Ok(v) => v,
                        Err(e) => {
                            assert_eq!(e, PopError::Closed);
                            return;
                        }
                    };
                    seen[v as usize].fetch_add(1, Ordering::Relaxed);
                    // FIFO per producer as observed by one consumer.
                    let (p, i) = ((v / per_producer) as usize, v % per_producer);
                    assert!(last_per_producer[p].map_or(true, |last| last < i));
                    last_per_producer[p] = Some(i);
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    q.close();
    for c in consumers {
        c.join().unwrap();
    }
    for (v, n) in seen.iter().enumerate() {
        assert_eq!(
            n.load(Ordering::Relaxed),
            1,
            "item {v} delivered wrong number of times"
        );
    }
}

#[test]
fn notifier_wait_until_condition() {
    let n = Arc::new(Notifier::new());
    let flag = Arc::new(AtomicBool::new(false));
    assert!(
        !n.wait_until(Wait::timeout(Duration::from_millis(10)), || flag
            .load(Ordering::Acquire))
    );
    let (n2, f2) = (n.clone(), flag.clone());
    let waiter =
        thread::spawn(move || n2.wait_until(Wait::forever(), || f2.load(Ordering::Acquire)));
    thread::sleep(Duration::from_millis(20));
    flag.store(true, Ordering::Release);
    n.notify_all();
    assert!(waiter.join().unwrap());
}

#[test]
fn ring_aliases_and_force_push() {
    assert!(BlockingRing::<u8>::try_with_capacity(0).is_none());
    let q = Arc::new(BlockingRing::with_capacity(1));
    let q2 = q.clone();
    let popper = thread::spawn(move || q2.pop_timeout(PATIENCE));
    thread::sleep(Duration::from_millis(20));
    // force_push wakes the sleeper like a push.
    assert_eq!(q.force_push(1), Ok(None));
    assert_eq!(popper.join().unwrap(), Ok(1));
    q.try_push(2).unwrap();
    assert_eq!(q.force_push(3), Ok(Some(2)));
    assert_eq!(q.queue().len(), 1);
    q.close();
    assert!(q.force_push(4).unwrap_err().is_closed());
    assert_eq!(q.pop(), Ok(3));

    let l = BlockingList::unbounded();
    l.push(7).unwrap();
    assert_eq!(l.into_inner().try_pop(), Ok(7));
}

/// The module-level example (a doctest there is `no_run`).
#[test]
fn module_example_drains_after_close() {
    let q = Arc::new(BlockingRing::with_capacity(8));
    let rx = q.clone();
    let consumer = thread::spawn(move || {
        let mut got = Vec::new();
        while let Ok(v) = rx.pop() {
            got.push(v);
        }
        got
    });
    for i in 0..100u64 {
        q.push(i).unwrap();
    }
    q.close();
    assert_eq!(consumer.join().unwrap(), (0..100).collect::<Vec<_>>());
    assert_eq!(
        q.pop_timeout(Duration::from_millis(1)),
        Err(PopError::Closed)
    );
}
