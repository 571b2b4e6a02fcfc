//! Multi-threaded stress of `List` on real threads: 4 producers / 4
//! consumers, per-producer FIFO, exactly-once delivery, close racing
//! pushes, and memory reclamation (a counting global allocator).
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use xikernel::List;
use xikernel::{PopError, PushError};

/// Counts live heap bytes so that tests can check memory is reclaimed.
struct Counting;
static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Memory tests must not overlap with the allocation-heavy MPMC test.
static SERIAL: Mutex<()> = Mutex::new(());

const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;
const PER_PRODUCER: usize = if cfg!(miri) { 200 } else { 250_000 };

/// Producer id in the high bits, sequence number in the low bits.
fn tag(producer: usize, seq: usize) -> usize {
    producer << 40 | seq
}

#[test]
fn mpmc_fifo_per_producer_exactly_once() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let list = Arc::new(List::new());
    let done = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(PRODUCERS + CONSUMERS));

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (list, done, start) = (list.clone(), done.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for seq in 0..PER_PRODUCER {
                    list.try_push(tag(p, seq)).unwrap();
                }
                done.fetch_add(1, Ordering::Release);
            })
        })
        .collect();

    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let (list, done, start) = (list.clone(), done.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let mut seen = [0usize; PRODUCERS]; // next expected seq per producer
                let mut got = Vec::new();
                loop {
                    match list.try_pop() {
                        Ok(v) => {
                            let (p, seq) = (v >> 40, v & ((1 << 40) - 1));
                            assert!(seq >= seen[p], "producer {p}: {seq} after {}", seen[p]);
                            seen[p] = seq + 1;
                            got.push(v);
                        }
                        Err(PopError::Empty) => {
                            if done.load(Ordering::Acquire) == PRODUCERS && list.is_empty() {
                                break;
                            }
                            thread::yield_now();
                        }
                        Err(e) => unreachable!("never closed: {e}"),
                    }
                }
                got
            })
        })
        .collect();

    for p in producers {
        p.join().unwrap();
    }
    let mut all: Vec<usize> = consumers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert_eq!(
        all.len(),
        PRODUCERS * PER_PRODUCER,
        "lost or duplicated values"
    );
    all.sort_unstable();
    let expected = (0..PRODUCERS).flat_map(|p| (0..PER_PRODUCER).map(move |s| tag(p, s)));
    assert!(all.iter().copied().eq(expected), "a value was duplicated");
    assert_eq!(list.try_pop(), Err(PopError::Empty));
}

#[test]
fn close_races_pushes_nothing_lost() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let rounds = if cfg!(miri) { 2 } else { 200 };
    for _ in 0..rounds {
        let list = Arc::new(List::new());
        let accepted = Arc::new(AtomicUsize::new(0));
        let go = Arc::new(AtomicBool::new(false));
        let producers: Vec<_> = (0..3)
            .map(|p| {
                let (list, accepted, go) = (list.clone(), accepted.clone(), go.clone());
                thread::spawn(move || {
                    while !go.load(Ordering::Acquire) {
                        std::hint::spin_loop();
                    }
                    for seq in 0.. {
                        match list.try_push(tag(p, seq)) {
                            Ok(()) => {
                                accepted.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(PushError::Closed(v)) => {
                                assert_eq!(v, tag(p, seq), "the value is handed back");
                                return;
                            }
                            Err(e) => unreachable!("unbounded: {e}"),
                        }
                    }
                })
            })
            .collect();
        go.store(true, Ordering::Release);
        for _ in 0..100 {
            std::hint::spin_loop();
        }
        assert!(list.close());
        for p in producers {
            p.join().unwrap();
        }
        // Drain: exactly the accepted values, FIFO per producer, then Closed.
        let mut next = [0usize; 3];
        let mut drained = 0;
        loop {
            match list.try_pop() {
                Ok(v) => {
                    let (p, seq) = (v >> 40, v & ((1 << 40) - 1));
                    assert_eq!(seq, next[p]);
                    next[p] += 1;
                    drained += 1;
                }
                Err(e) => {
                    assert_eq!(e, PopError::Closed);
                    break;
                }
            }
        }
        assert_eq!(drained, accepted.load(Ordering::Relaxed));
    }
}

#[test]
fn memory_is_reclaimed_in_a_long_push_pop_loop() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let iterations = if cfg!(miri) { 1_000 } else { 5_000_000 };
    let list = List::new();
    // Warm up with a small backlog, then measure.
    for i in 0..100u64 {
        list.try_push(i).unwrap();
    }
    let before = LIVE_BYTES.load(Ordering::Relaxed);
    for i in 0..iterations {
        list.try_push(i).unwrap();
        list.try_pop().unwrap();
    }
    let after = LIVE_BYTES.load(Ordering::Relaxed);
    // Each block is ~0.5 KiB: a leak of one block per 31 pushes would show
    // as tens of MiB. Allow a couple of blocks of slack.
    assert!(
        after - before <= 2048,
        "live heap grew by {} bytes over {iterations} push/pop pairs",
        after - before
    );
    drop(list);
}

#[test]
fn backlog_is_freed_when_popped_and_dropped() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let n = if cfg!(miri) { 500 } else { 200_000 };
    let baseline = LIVE_BYTES.load(Ordering::Relaxed);
    let list = List::new();
    for i in 0..n {
        list.try_push(i).unwrap();
    }
    let full = LIVE_BYTES.load(Ordering::Relaxed);
    assert!(full - baseline >= (n * 8) as isize);
    for i in 0..n {
        assert_eq!(list.try_pop(), Ok(i));
    }
    let drained = LIVE_BYTES.load(Ordering::Relaxed);
    assert!(
        drained - baseline <= 2048,
        "popped blocks freed: {}",
        drained - baseline
    );
    // Drop of a non-empty list frees everything.
    for i in 0..n {
        list.try_push(i).unwrap();
    }
    drop(list);
    // Slack for the test harness's own allocations in other threads.
    let left = LIVE_BYTES.load(Ordering::Relaxed) - baseline;
    assert!(left <= 2048, "drop freed the backlog: {left} bytes left");
}
