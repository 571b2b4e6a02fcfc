//! One adapter per queue, so a single runner measures ours and every peer.
//!
//! The runner only needs non-blocking `try_send` / `try_recv` on owned
//! endpoints: that is the common denominator of lock-free queues (one shared
//! object), channels (sender/receiver halves) and rtrb (SPSC halves). The
//! blocking paths are measured separately (`benches/blocking.rs`), so the
//! throughput groups compare the queues, not the parking strategies.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The producing half of a queue under test.
pub trait Tx: Send + 'static {
    /// Non-blocking push; the value comes back when the queue is full.
    fn try_send(&mut self, v: u64) -> Result<(), u64>;
}

/// The consuming half of a queue under test.
pub trait Rx: Send + 'static {
    /// Non-blocking pop; `None` when nothing is available.
    fn try_recv(&mut self) -> Option<u64>;
}

/// A queue implementation under test.
pub trait Flavor {
    /// The bench id used in reports (`<group>/<NAME>`).
    const NAME: &'static str;
    type Tx: Tx;
    type Rx: Rx;
    /// A queue with `cap` slots (`None`: unbounded) and that many endpoints,
    /// or `None` when the flavor cannot be built that way (rtrb is SPSC,
    /// std's receiver is single-consumer, a queue with no unbounded form).
    fn build(cap: Option<usize>, producers: usize, consumers: usize) -> Option<Endpoints<Self>>;
}

/// The producers' and consumers' endpoints of one queue.
pub type Endpoints<F> = (Vec<<F as Flavor>::Tx>, Vec<<F as Flavor>::Rx>);

// ---------------------------------------------------------------------------
// Shared-object queues: every endpoint is an `Arc` of the same queue.
// ---------------------------------------------------------------------------

/// A queue used through `&self` from every thread.
pub trait SharedQueue: Send + Sync + Sized + 'static {
    const NAME: &'static str;
    fn bounded(cap: usize) -> Option<Self>;
    fn unbounded() -> Option<Self>;
    fn push(&self, v: u64) -> Result<(), u64>;
    fn pop(&self) -> Option<u64>;
}

/// Adapter: a [`SharedQueue`] as a [`Flavor`] whose endpoints are `Arc`s.
#[derive(Debug)]
pub struct Shared<Q>(pub Arc<Q>);

impl<Q: SharedQueue> Tx for Shared<Q> {
    #[inline]
    fn try_send(&mut self, v: u64) -> Result<(), u64> {
        self.0.push(v)
    }
}

impl<Q: SharedQueue> Rx for Shared<Q> {
    #[inline]
    fn try_recv(&mut self) -> Option<u64> {
        self.0.pop()
    }
}

impl<Q: SharedQueue> Flavor for Shared<Q> {
    const NAME: &'static str = Q::NAME;
    type Tx = Shared<Q>;
    type Rx = Shared<Q>;
    fn build(cap: Option<usize>, producers: usize, consumers: usize) -> Option<Endpoints<Self>> {
        let q = Arc::new(match cap {
            Some(c) => Q::bounded(c)?,
            None => Q::unbounded()?,
        });
        let txs = (0..producers).map(|_| Shared(q.clone())).collect();
        let rxs = (0..consumers).map(|_| Shared(q.clone())).collect();
        Some((txs, rxs))
    }
}

impl SharedQueue for crossbeam_queue::ArrayQueue<u64> {
    const NAME: &'static str = "crossbeam_ArrayQueue";
    fn bounded(cap: usize) -> Option<Self> {
        Some(Self::new(cap))
    }
    fn unbounded() -> Option<Self> {
        None
    }
    #[inline]
    fn push(&self, v: u64) -> Result<(), u64> {
        crossbeam_queue::ArrayQueue::push(self, v)
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        crossbeam_queue::ArrayQueue::pop(self)
    }
}

impl SharedQueue for crossbeam_queue::SegQueue<u64> {
    const NAME: &'static str = "crossbeam_SegQueue";
    fn bounded(_: usize) -> Option<Self> {
        None
    }
    fn unbounded() -> Option<Self> {
        Some(Self::new())
    }
    #[inline]
    fn push(&self, v: u64) -> Result<(), u64> {
        crossbeam_queue::SegQueue::push(self, v);
        Ok(())
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        crossbeam_queue::SegQueue::pop(self)
    }
}

impl SharedQueue for concurrent_queue::ConcurrentQueue<u64> {
    const NAME: &'static str = "concurrent_queue";
    fn bounded(cap: usize) -> Option<Self> {
        Some(Self::bounded(cap))
    }
    fn unbounded() -> Option<Self> {
        Some(Self::unbounded())
    }
    #[inline]
    fn push(&self, v: u64) -> Result<(), u64> {
        concurrent_queue::ConcurrentQueue::push(self, v).map_err(|e| e.into_inner())
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        concurrent_queue::ConcurrentQueue::pop(self).ok()
    }
}

/// The baseline every lock-free queue must beat.
#[derive(Debug)]
pub struct MutexDeque {
    cap: usize,
    q: Mutex<VecDeque<u64>>,
}

impl SharedQueue for MutexDeque {
    const NAME: &'static str = "Mutex_VecDeque";
    fn bounded(cap: usize) -> Option<Self> {
        let q = Mutex::new(VecDeque::with_capacity(cap));
        Some(Self { cap, q })
    }
    fn unbounded() -> Option<Self> {
        let q = Mutex::new(VecDeque::new());
        Some(Self { cap: usize::MAX, q })
    }
    #[inline]
    fn push(&self, v: u64) -> Result<(), u64> {
        let mut q = self.q.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() >= self.cap {
            return Err(v);
        }
        q.push_back(v);
        Ok(())
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        self.q.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
    }
}

/// Calls `visit` once per bounded flavor: ours first, then every peer.
pub trait Visit {
    fn visit<F: Flavor>(&mut self);
}

/// Every bounded queue: ours and the peers of the ring groups.
pub fn each_bounded(v: &mut impl Visit) {
    v.visit::<Shared<crate::ours::OurRing>>();
    v.visit::<Shared<crossbeam_queue::ArrayQueue<u64>>>();
    v.visit::<Shared<concurrent_queue::ConcurrentQueue<u64>>>();
    v.visit::<Shared<MutexDeque>>();
    v.visit::<Rtrb>();
    v.visit::<CrossbeamChannel>();
    v.visit::<Flume>();
    v.visit::<Kanal>();
    v.visit::<StdSync>();
}

/// Every unbounded queue: ours and the peers of the list groups.
pub fn each_unbounded(v: &mut impl Visit) {
    v.visit::<Shared<crate::ours::OurList>>();
    v.visit::<Shared<crossbeam_queue::SegQueue<u64>>>();
    v.visit::<Shared<concurrent_queue::ConcurrentQueue<u64>>>();
    v.visit::<CrossbeamChannel>();
    v.visit::<StdChannel>();
}

// ---------------------------------------------------------------------------
// Split-endpoint queues.
// ---------------------------------------------------------------------------

/// Implements [`Flavor`] for a channel whose halves are `Clone` (MPMC) or
/// single-consumer (`mpsc: true`): one marker type per channel crate.
macro_rules! channel_flavor {
    ($marker:ident, $name:literal, $tx:ty, $rx:ty, mpsc: $mpsc:literal,
     bounded: $bounded:expr, unbounded: $unbounded:expr) => {
        #[doc = concat!("Marker for the `", $name, "` channel.")]
        #[derive(Debug)]
        pub struct $marker;

        impl Flavor for $marker {
            const NAME: &'static str = $name;
            type Tx = $tx;
            type Rx = $rx;
            fn build(
                cap: Option<usize>,
                producers: usize,
                consumers: usize,
            ) -> Option<Endpoints<Self>> {
                if $mpsc && consumers > 1 {
                    return None;
                }
                let bounded: Option<fn(usize) -> ($tx, $rx)> = $bounded;
                let unbounded: Option<fn() -> ($tx, $rx)> = $unbounded;
                let (tx, rx) = match cap {
                    Some(c) => bounded?(c),
                    None => unbounded?(),
                };
                let txs = (0..producers).map(|_| tx.clone()).collect();
                let rxs = clone_n(rx, consumers);
                Some((txs, rxs))
            }
        }
    };
}

/// `n` clones of `rx` (std's receiver is only ever asked for one).
fn clone_n<R: CloneOrMove>(rx: R, n: usize) -> Vec<R> {
    let mut v: Vec<R> = (1..n).map(|_| rx.clone_or_move()).collect();
    v.push(rx);
    v
}

/// `Clone` for the MPMC receivers; std's receiver is never cloned
/// ([`Flavor::build`] refuses more than one consumer for it).
trait CloneOrMove: Sized {
    fn clone_or_move(&self) -> Self;
}

impl<T> CloneOrMove for crossbeam_channel::Receiver<T> {
    fn clone_or_move(&self) -> Self {
        self.clone()
    }
}
impl<T> CloneOrMove for flume::Receiver<T> {
    fn clone_or_move(&self) -> Self {
        self.clone()
    }
}
impl<T> CloneOrMove for kanal::Receiver<T> {
    fn clone_or_move(&self) -> Self {
        self.clone()
    }
}
impl<T> CloneOrMove for std::sync::mpsc::Receiver<T> {
    fn clone_or_move(&self) -> Self {
        unreachable!("std's receiver is single-consumer; build() refuses consumers > 1")
    }
}

channel_flavor!(CrossbeamChannel, "crossbeam_channel",
    crossbeam_channel::Sender<u64>, crossbeam_channel::Receiver<u64>, mpsc: false,
    bounded: Some(crossbeam_channel::bounded), unbounded: Some(crossbeam_channel::unbounded));
channel_flavor!(Flume, "flume", flume::Sender<u64>, flume::Receiver<u64>, mpsc: false,
    bounded: Some(flume::bounded), unbounded: Some(flume::unbounded));
channel_flavor!(Kanal, "kanal", kanal::Sender<u64>, kanal::Receiver<u64>, mpsc: false,
    bounded: Some(kanal::bounded), unbounded: Some(kanal::unbounded));
channel_flavor!(StdSync, "std_sync_channel",
    std::sync::mpsc::SyncSender<u64>, std::sync::mpsc::Receiver<u64>, mpsc: true,
    bounded: Some(std::sync::mpsc::sync_channel), unbounded: None);
channel_flavor!(StdChannel, "std_channel",
    StdSender, std::sync::mpsc::Receiver<u64>, mpsc: true,
    bounded: None, unbounded: Some(std_unbounded));

impl Tx for crossbeam_channel::Sender<u64> {
    #[inline]
    fn try_send(&mut self, v: u64) -> Result<(), u64> {
        crossbeam_channel::Sender::try_send(self, v).map_err(|e| e.into_inner())
    }
}
impl Rx for crossbeam_channel::Receiver<u64> {
    #[inline]
    fn try_recv(&mut self) -> Option<u64> {
        crossbeam_channel::Receiver::try_recv(self).ok()
    }
}
impl Tx for flume::Sender<u64> {
    #[inline]
    fn try_send(&mut self, v: u64) -> Result<(), u64> {
        flume::Sender::try_send(self, v).map_err(|e| e.into_inner())
    }
}
impl Rx for flume::Receiver<u64> {
    #[inline]
    fn try_recv(&mut self) -> Option<u64> {
        flume::Receiver::try_recv(self).ok()
    }
}
impl Tx for kanal::Sender<u64> {
    #[inline]
    fn try_send(&mut self, v: u64) -> Result<(), u64> {
        match kanal::Sender::try_send(self, v) {
            Ok(true) => Ok(()),
            _ => Err(v),
        }
    }
}
impl Rx for kanal::Receiver<u64> {
    #[inline]
    fn try_recv(&mut self) -> Option<u64> {
        kanal::Receiver::try_recv(self).ok().flatten()
    }
}
impl Tx for std::sync::mpsc::SyncSender<u64> {
    #[inline]
    fn try_send(&mut self, v: u64) -> Result<(), u64> {
        std::sync::mpsc::SyncSender::try_send(self, v).map_err(|e| match e {
            std::sync::mpsc::TrySendError::Full(v)
            | std::sync::mpsc::TrySendError::Disconnected(v) => v,
        })
    }
}
impl Rx for std::sync::mpsc::Receiver<u64> {
    #[inline]
    fn try_recv(&mut self) -> Option<u64> {
        std::sync::mpsc::Receiver::try_recv(self).ok()
    }
}

/// std's unbounded sender (a newtype: the bounded one is `SyncSender`).
#[derive(Debug, Clone)]
pub struct StdSender(std::sync::mpsc::Sender<u64>);

fn std_unbounded() -> (StdSender, std::sync::mpsc::Receiver<u64>) {
    let (tx, rx) = std::sync::mpsc::channel();
    (StdSender(tx), rx)
}

impl Tx for StdSender {
    #[inline]
    fn try_send(&mut self, v: u64) -> Result<(), u64> {
        self.0.send(v).map_err(|e| e.0)
    }
}

/// rtrb: wait-free SPSC, only ever one producer and one consumer.
#[derive(Debug)]
pub struct Rtrb;

impl Flavor for Rtrb {
    const NAME: &'static str = "rtrb";
    type Tx = rtrb::Producer<u64>;
    type Rx = rtrb::Consumer<u64>;
    fn build(cap: Option<usize>, producers: usize, consumers: usize) -> Option<Endpoints<Self>> {
        if producers != 1 || consumers != 1 {
            return None;
        }
        let (tx, rx) = rtrb::RingBuffer::new(cap?);
        Some((vec![tx], vec![rx]))
    }
}

impl Tx for rtrb::Producer<u64> {
    #[inline]
    fn try_send(&mut self, v: u64) -> Result<(), u64> {
        self.push(v).map_err(|rtrb::PushError::Full(v)| v)
    }
}
impl Rx for rtrb::Consumer<u64> {
    #[inline]
    fn try_recv(&mut self) -> Option<u64> {
        self.pop().ok()
    }
}
