//! Group 4: CPython-style channels and queues by id and through a bound
//! handle, against a plain channel and the raw ring; and whether two threads
//! on two different channels (queues) contend.
//!
//! Every operation of [`Channels`] looks the id up in the table (table lock,
//! `Arc` clone) and then works under the channel's own lock; a *bound
//! handle* is what a runtime gets when it keeps the `Arc` of the entry and
//! skips the lookup. `Queues` has one ([`QueueHandle`]); `Channels` has
//! none yet, so its handle row uses the same two-level [`Table`] with a
//! `Mutex<VecDeque>` entry: the cost of the lookup is the difference.

use crate::run::{timed, wall, Backoff};
use std::collections::VecDeque;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use xikernel::__private::table::Table;
use xikernel::channel::{ChannelId, Channels, Received, UnboundOp};
use xikernel::interp::InterpId;
use xikernel::queue::{QueueDefaults, QueueHandle, QueueId, Queues};
use xikernel::Ring;

/// Send and non-blocking receive on one of a few lanes (a lane is a channel
/// id, a handle or a queue: two lanes may share one).
pub trait Lanes: Sync {
    const NAME: &'static str;
    fn send(&self, lane: usize, v: u64);
    fn recv(&self, lane: usize) -> Option<u64>;
}

/// `Channels` by id; `shared`: both lanes use channel 0.
#[derive(Debug)]
pub struct ById<const SHARED: bool> {
    chans: Channels<u64>,
    ids: [ChannelId; 2],
}

impl<const SHARED: bool> Default for ById<SHARED> {
    fn default() -> Self {
        let chans = Channels::new();
        let a = chans.create(UnboundOp::Remove).expect("fresh registry");
        let b = if SHARED {
            a
        } else {
            chans.create(UnboundOp::Remove).expect("fresh registry")
        };
        Self { chans, ids: [a, b] }
    }
}

const ME: InterpId = InterpId(0);

impl<const SHARED: bool> Lanes for ById<SHARED> {
    const NAME: &'static str = if SHARED {
        "xikernel_one_channel"
    } else {
        "xikernel_two_channels"
    };
    #[inline]
    fn send(&self, lane: usize, v: u64) {
        self.chans
            .send(ME, self.ids[lane], v, UnboundOp::Remove)
            .expect("open channel");
    }
    #[inline]
    fn recv(&self, lane: usize) -> Option<u64> {
        match self.chans.try_recv(ME, self.ids[lane]) {
            Ok(Received::Item(v)) => Some(v),
            _ => None,
        }
    }
}

/// Handles bound once from a [`Table`] of `Mutex<VecDeque>` entries.
#[derive(Debug)]
pub struct Bound {
    handles: [Arc<Mutex<VecDeque<u64>>>; 2],
}

impl Default for Bound {
    fn default() -> Self {
        let table = Table::new(0);
        let (_, a) = table
            .insert_with(|_| Mutex::new(VecDeque::new()))
            .expect("fresh table");
        Self {
            handles: [a.clone(), a],
        }
    }
}

impl Lanes for Bound {
    const NAME: &'static str = "xikernel_table_bound_handle";
    #[inline]
    fn send(&self, lane: usize, v: u64) {
        self.handles[lane]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(v);
    }
    #[inline]
    fn recv(&self, lane: usize) -> Option<u64> {
        self.handles[lane]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }
}

/// crossbeam-channel, unbounded; `SHARED`: one channel for both lanes.
#[derive(Debug)]
pub struct Crossbeam<const SHARED: bool> {
    lanes: [(
        crossbeam_channel::Sender<u64>,
        crossbeam_channel::Receiver<u64>,
    ); 2],
}

impl<const SHARED: bool> Default for Crossbeam<SHARED> {
    fn default() -> Self {
        let a = crossbeam_channel::unbounded();
        let b = if SHARED {
            a.clone()
        } else {
            crossbeam_channel::unbounded()
        };
        Self { lanes: [a, b] }
    }
}

impl<const SHARED: bool> Lanes for Crossbeam<SHARED> {
    const NAME: &'static str = if SHARED {
        "crossbeam_one_channel"
    } else {
        "crossbeam_two_channels"
    };
    #[inline]
    fn send(&self, lane: usize, v: u64) {
        self.lanes[lane].0.send(v).expect("receiver alive");
    }
    #[inline]
    fn recv(&self, lane: usize) -> Option<u64> {
        self.lanes[lane].1.try_recv().ok()
    }
}

/// Capacity of the bounded queues (CPython's `maxsize`).
const QUEUE_MAXSIZE: i64 = 1024;
const DEFAULTS: QueueDefaults = QueueDefaults {
    fmt: 0,
    unbound: UnboundOp::Remove,
};

/// `Queues` by id; `SHARED`: both lanes use one queue.
#[derive(Debug)]
pub struct QueueById<const SHARED: bool> {
    queues: Queues<u64>,
    ids: [QueueId; 2],
}

impl<const SHARED: bool> Default for QueueById<SHARED> {
    fn default() -> Self {
        let queues = Queues::new();
        let make = || {
            queues
                .create(QUEUE_MAXSIZE, DEFAULTS)
                .expect("fresh registry")
        };
        let a = make();
        let b = if SHARED { a } else { make() };
        Self {
            queues,
            ids: [a, b],
        }
    }
}

impl<const SHARED: bool> Lanes for QueueById<SHARED> {
    const NAME: &'static str = if SHARED {
        "xikernel_one_queue"
    } else {
        "xikernel_two_queues"
    };
    #[inline]
    fn send(&self, lane: usize, v: u64) {
        self.queues
            .try_push(ME, self.ids[lane], v, UnboundOp::Remove)
            .expect("room in the queue");
    }
    #[inline]
    fn recv(&self, lane: usize) -> Option<u64> {
        match self.queues.try_pop(self.ids[lane]) {
            Ok(Received::Item(v)) => Some(v),
            _ => None,
        }
    }
}

/// A bound [`QueueHandle`] of one queue. The handle borrows its registry,
/// which is leaked so that both live in one value (one small registry per
/// benchmark setup).
#[derive(Debug)]
pub struct QueueBound {
    handle: QueueHandle<'static, u64>,
}

impl Default for QueueBound {
    fn default() -> Self {
        let queues: &'static Queues<u64> = Box::leak(Box::new(Queues::new()));
        let id = queues
            .create(QUEUE_MAXSIZE, DEFAULTS)
            .expect("fresh registry");
        let handle = queues.handle(id).expect("just created");
        Self { handle }
    }
}

impl Lanes for QueueBound {
    const NAME: &'static str = "xikernel_queue_handle";
    #[inline]
    fn send(&self, _: usize, v: u64) {
        self.handle
            .try_push(ME, v, UnboundOp::Remove)
            .expect("room in the queue");
    }
    #[inline]
    fn recv(&self, _: usize) -> Option<u64> {
        match self.handle.try_pop() {
            Ok(Received::Item(v)) => Some(v),
            _ => None,
        }
    }
}

/// The raw ring the queues are built on (one ring for every lane).
#[derive(Debug)]
pub struct RawRing(Ring<u64>);

impl Default for RawRing {
    fn default() -> Self {
        Self(Ring::new(QUEUE_MAXSIZE as usize))
    }
}

impl Lanes for RawRing {
    const NAME: &'static str = "xikernel_raw_ring";
    #[inline]
    fn send(&self, _: usize, v: u64) {
        self.0.try_push(v).expect("room in the ring");
    }
    #[inline]
    fn recv(&self, _: usize) -> Option<u64> {
        self.0.try_pop().ok()
    }
}

/// One thread, one lane: `iters` send + recv pairs on an otherwise empty
/// lane. Panics if an item does not come back.
pub fn pair<L: Lanes>(l: &L, iters: u64) -> Duration {
    let start = Instant::now();
    for k in 0..iters {
        l.send(0, k);
        assert_eq!(l.recv(0), Some(k), "{}: item lost", L::NAME);
    }
    start.elapsed()
}

/// Two threads, thread `i` on lane `i`, each doing `iters / 2` send+recv
/// pairs (a pair per criterion iteration). On a shared lane a thread may
/// receive the other's item; every item is accounted for at the end.
pub fn two_threads<L: Lanes>(l: &L, iters: u64) -> Duration {
    let per = iters.div_ceil(2);
    let barrier = Barrier::new(2);
    let (elapsed, got) = thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|lane| {
                let barrier = &barrier;
                s.spawn(move || timed(barrier, || worker(l, lane, per)))
            })
            .collect();
        let mut got = 0;
        let elapsed = wall(workers.into_iter().map(|w| {
            let (n, start, end) = w.join().expect("worker panicked");
            got += n;
            (start, end)
        }));
        (elapsed, got)
    });
    let mut rest = 0;
    for lane in 0..2 {
        while l.recv(lane).is_some() {
            rest += 1;
        }
    }
    assert_eq!(got + rest, 2 * per, "{}: items lost or duplicated", L::NAME);
    elapsed
}

/// One thread's share of [`two_threads`]: the number of items it received.
fn worker<L: Lanes>(l: &L, lane: usize, per: u64) -> u64 {
    let mut got = 0u64;
    let mut backoff = Backoff::default();
    for k in 0..per {
        l.send(lane, k);
        if l.recv(lane).is_some() {
            got += 1;
        } else {
            // The other thread took ours (shared lane).
            backoff.snooze();
        }
    }
    got
}
