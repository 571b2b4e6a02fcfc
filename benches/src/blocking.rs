//! Wake-up latency of a blocking pop: the time from a push to the parked
//! consumer's `pop` returning.
//!
//! The producer sleeps ~100 µs before each push, long enough for the consumer
//! to finish any spin phase and really park, then sends the push time
//! (ns since a shared base `Instant`); the consumer subtracts it from the
//! time its `pop` returned. Only those latencies are summed and reported,
//! not the sleeps.

use std::hint::black_box;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// A queue with a blocking pop.
pub trait BlockingFlavor {
    const NAME: &'static str;
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    /// A queue with room for at least a few items.
    fn build() -> (Self::Tx, Self::Rx);
    fn send(tx: &Self::Tx, v: u64);
    /// Blocks until an item arrives; `None` once the producer is gone.
    fn recv(rx: &Self::Rx) -> Option<u64>;
    /// Tells a parked consumer that nothing more will come.
    fn close(tx: Self::Tx);
}

/// How long the producer leaves the consumer alone before each push.
pub const PARK_GAP: Duration = Duration::from_micros(100);

/// Sum of `iters` wake-up latencies through a fresh `F`.
pub fn wakeup_latency<F: BlockingFlavor>(iters: u64) -> Duration {
    let (tx, rx) = F::build();
    let base = Instant::now();
    let consumer = thread::spawn(move || {
        let (mut total, mut n) = (Duration::ZERO, 0u64);
        while let Some(sent) = F::recv(&rx) {
            let now = base.elapsed();
            total += now.saturating_sub(Duration::from_nanos(sent));
            n += 1;
        }
        (total, n)
    });
    for _ in 0..iters {
        thread::sleep(PARK_GAP);
        F::send(&tx, black_box(base.elapsed().as_nanos() as u64));
    }
    F::close(tx);
    let (total, n) = consumer.join().expect("consumer panicked");
    assert_eq!(n, iters, "{}: wake-ups lost", F::NAME);
    total
}

/// crossbeam-channel, bounded.
#[derive(Debug)]
pub struct CrossbeamBlocking;

impl BlockingFlavor for CrossbeamBlocking {
    const NAME: &'static str = "crossbeam_channel";
    type Tx = crossbeam_channel::Sender<u64>;
    type Rx = crossbeam_channel::Receiver<u64>;
    fn build() -> (Self::Tx, Self::Rx) {
        crossbeam_channel::bounded(1024)
    }
    fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).expect("receiver alive");
    }
    fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
    fn close(tx: Self::Tx) {
        drop(tx)
    }
}

/// std's `sync_channel`.
#[derive(Debug)]
pub struct StdBlocking;

impl BlockingFlavor for StdBlocking {
    const NAME: &'static str = "std_sync_channel";
    type Tx = mpsc::SyncSender<u64>;
    type Rx = mpsc::Receiver<u64>;
    fn build() -> (Self::Tx, Self::Rx) {
        mpsc::sync_channel(1024)
    }
    fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).expect("receiver alive");
    }
    fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
    fn close(tx: Self::Tx) {
        drop(tx)
    }
}

/// flume, bounded.
#[derive(Debug)]
pub struct FlumeBlocking;

impl BlockingFlavor for FlumeBlocking {
    const NAME: &'static str = "flume";
    type Tx = flume::Sender<u64>;
    type Rx = flume::Receiver<u64>;
    fn build() -> (Self::Tx, Self::Rx) {
        flume::bounded(1024)
    }
    fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).expect("receiver alive");
    }
    fn recv(rx: &Self::Rx) -> Option<u64> {
        rx.recv().ok()
    }
    fn close(tx: Self::Tx) {
        drop(tx)
    }
}
