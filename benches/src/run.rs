//! The threaded runners, identical for every [`Flavor`].
//!
//! One criterion iteration is **one item** going from a producer to a
//! consumer; `iter_custom` hands us the iteration count, we spawn the
//! threads once for all of them, line them up on a barrier and time from the
//! first worker leaving the barrier to the last one finishing, each worker
//! reading the clock itself ([`timed`]): on an oversubscribed machine the
//! spawning thread may be descheduled for most of the run, so its clock
//! would under-count. Thread start-up is outside the timed region and
//! the per-sample item counts are in the millions, so the result is the
//! steady-state cost per item.
//!
//! Every waiting loop (queue full, queue empty) goes through the same
//! [`Backoff`]: a short exponential spin, then `yield_now`. That matters on
//! the 2-vCPU machines, where 2 producers + 2 consumers oversubscribe the
//! cores and a pure spinner would burn the quantum its peer needs.

use crate::queues::{Flavor, Rx, Tx};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

/// Exponential spin, then yield (the same policy for every implementation).
#[derive(Debug, Default)]
pub struct Backoff {
    step: u32,
}

impl Backoff {
    const SPIN_LIMIT: u32 = 6;

    #[inline]
    pub fn snooze(&mut self) {
        if self.step <= Self::SPIN_LIMIT {
            for _ in 0..1u32 << self.step {
                std::hint::spin_loop();
            }
            self.step += 1;
        } else {
            thread::yield_now();
        }
    }

    #[inline]
    pub fn reset(&mut self) {
        self.step = 0;
    }
}

/// The shape of a throughput run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Slots; `None` for unbounded queues.
    pub cap: Option<usize>,
    pub producers: usize,
    pub consumers: usize,
    /// `Some(n)` (single producer only): push a burst of `n` items, then wait
    /// until the consumer has drained it before the next burst — a runtime
    /// handing over batches of work. It exercises the empty -> full -> empty
    /// edges instead of the steady state.
    pub burst: Option<u64>,
}

/// Runs `f` after `barrier`, returning its result and the span it ran in.
pub fn timed<R>(barrier: &Barrier, f: impl FnOnce() -> R) -> (R, Instant, Instant) {
    barrier.wait();
    let start = Instant::now();
    let r = f();
    (r, start, Instant::now())
}

/// From the earliest start to the latest end of `spans` (zero if none).
pub fn wall(spans: impl IntoIterator<Item = (Instant, Instant)>) -> Duration {
    let mut spans = spans.into_iter();
    let Some((mut first, mut last)) = spans.next() else {
        return Duration::ZERO;
    };
    for (s, e) in spans {
        first = first.min(s);
        last = last.max(e);
    }
    last - first
}

/// Keeps the consumers' shared counter off the producers' cache lines.
#[repr(align(128))]
struct Padded(AtomicU64);

/// Moves `items` items through a fresh queue of flavor `F` shaped as
/// `shape`; returns the wall time of the workers (see [`wall`]), or `None`
/// when `F` cannot take that shape.
///
/// Panics if an item is lost or duplicated (the checksum is verified), so a
/// broken queue cannot produce a flattering number.
pub fn throughput<F: Flavor>(shape: Shape, items: u64) -> Option<Duration> {
    let Shape {
        cap,
        producers,
        consumers,
        burst,
    } = shape;
    assert!(
        burst.is_none() || producers == 1,
        "bursts need a single producer"
    );
    let (txs, rxs) = F::build(cap, producers, consumers)?;
    let per = items.div_ceil(producers as u64).max(1);
    let total = per * producers as u64;
    let consumed = Padded(AtomicU64::new(0));
    let checksum = AtomicU64::new(0);
    let barrier = Barrier::new(producers + consumers);
    let elapsed = thread::scope(|s| {
        let (consumed, checksum, barrier) = (&consumed.0, &checksum, &barrier);
        let mut handles = Vec::new();
        for tx in txs {
            handles.push(s.spawn(move || timed(barrier, || produce(tx, per, burst, consumed))));
        }
        for rx in rxs {
            handles
                .push(s.spawn(move || timed(barrier, || consume(rx, total, consumed, checksum))));
        }
        wall(handles.into_iter().map(|h| {
            let ((), start, end) = h.join().expect("bench thread panicked");
            (start, end)
        }))
    });
    let expected = producers as u64 * (per * (per - 1) / 2);
    assert_eq!(
        checksum.into_inner(),
        expected,
        "{}: items lost or duplicated",
        F::NAME
    );
    Some(elapsed)
}

fn produce<T: Tx>(mut tx: T, n: u64, burst: Option<u64>, consumed: &AtomicU64) {
    let mut backoff = Backoff::default();
    for k in 0..n {
        let mut v = k;
        while let Err(back) = tx.try_send(v) {
            v = back;
            backoff.snooze();
        }
        backoff.reset();
        if let Some(b) = burst {
            if (k + 1) % b == 0 || k + 1 == n {
                // Acquire pairs with the consumer's AcqRel flush: the whole
                // burst has been taken out before the next one starts.
                while consumed.load(Ordering::Acquire) < k + 1 {
                    backoff.snooze();
                }
                backoff.reset();
            }
        }
    }
}

fn consume<R: Rx>(mut rx: R, total: u64, consumed: &AtomicU64, checksum: &AtomicU64) {
    let mut backoff = Backoff::default();
    let (mut local, mut sum) = (0u64, 0u64);
    loop {
        if let Some(v) = rx.try_recv() {
            sum = sum.wrapping_add(black_box(v));
            local += 1;
            backoff.reset();
            continue;
        }
        // Publish only when the queue looks empty: one shared RMW per run
        // of pops, not per item, so the counter does not dominate.
        if local > 0 {
            consumed.fetch_add(local, Ordering::AcqRel);
            local = 0;
        }
        if consumed.load(Ordering::Acquire) >= total {
            break;
        }
        backoff.snooze();
    }
    checksum.fetch_add(sum, Ordering::Relaxed);
}

/// The uncontended pair: one push then one pop on the same thread, with the
/// queue otherwise empty. Returns the closure to time.
pub fn pair<F: Flavor>(cap: Option<usize>) -> Option<impl FnMut() -> Option<u64>> {
    let (mut txs, mut rxs) = F::build(cap, 1, 1)?;
    let (mut tx, mut rx) = (txs.pop()?, rxs.pop()?);
    Some(move || {
        // A full or broken queue shows up as `None` in the test run's output
        // via the assert in the bench; it cannot happen with a drained queue.
        tx.try_send(black_box(1)).ok()?;
        rx.try_recv()
    })
}
