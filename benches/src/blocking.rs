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

/// A [`BlockingFlavor`] for a channel crate whose `send`/`recv` block and
/// whose dropped sender disconnects the receiver.
macro_rules! blocking_channel {
    ($marker:ident, $name:literal, $tx:ty, $rx:ty, $build:expr) => {
        #[doc = concat!("`", $name, "` with room for 1024 items.")]
        #[derive(Debug)]
        pub struct $marker;

        impl BlockingFlavor for $marker {
            const NAME: &'static str = $name;
            type Tx = $tx;
            type Rx = $rx;
            fn build() -> (Self::Tx, Self::Rx) {
                $build(1024)
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
    };
}

blocking_channel!(
    CrossbeamBlocking,
    "crossbeam_channel",
    crossbeam_channel::Sender<u64>,
    crossbeam_channel::Receiver<u64>,
    crossbeam_channel::bounded
);
blocking_channel!(
    StdBlocking,
    "std_sync_channel",
    mpsc::SyncSender<u64>,
    mpsc::Receiver<u64>,
    mpsc::sync_channel
);
blocking_channel!(
    FlumeBlocking,
    "flume",
    flume::Sender<u64>,
    flume::Receiver<u64>,
    flume::bounded
);
