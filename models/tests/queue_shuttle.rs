#![cfg(feature = "shuttle")]
//! Randomised schedules of several interpreters putting and getting on
//! several queues while one of them is destroyed (shuttle: random + PCT
//! schedulers, deadlock detection on). Checked after every run:
//!
//! * every item is released exactly once (delivered and dropped by its
//!   getter, or released by the kernel), never twice;
//! * nothing is lost: every item a surviving interpreter put is delivered
//!   (no lost put after a REMOVE, CPython 3.13's bug);
//! * per getter, items of one producer on one queue come out in put order;
//! * after the destroy, no item of the destroyed interpreter comes out
//!   live, and no REMOVE item comes out at all as a marker;
//! * `get_count` equals what a final drain finds;
//! * a blocked getter is always woken (shuttle reports a deadlock).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use shuttle::rand::{thread_rng, Rng};
use shuttle::thread;
use xikernel::channel::{Received, UnboundOp};
use xikernel::interp::{InterpId, Interpreters, MAIN};
use xikernel::queue::{QueueDefaults, QueueError, QueueId, Queues};
use xikernel::wait::Wait;
use xikernel_models::shuttle_check;

const D: QueueDefaults = QueueDefaults {
    fmt: 0,
    unbound: UnboundOp::Replace,
};
const OPS: [UnboundOp; 3] = [UnboundOp::Remove, UnboundOp::Error, UnboundOp::Replace];

#[derive(Default)]
struct Ledger {
    next: AtomicUsize,
    /// Drops per item id.
    drops: Mutex<BTreeMap<usize, usize>>,
    /// Items successfully put, by id: (owner, queue).
    stored: Mutex<BTreeMap<usize, (InterpId, QueueId)>>,
    /// Ids delivered live.
    delivered: Mutex<Vec<usize>>,
}

struct Item {
    id: usize,
    owner: InterpId,
    seq: usize,
    ledger: Arc<Ledger>,
}

impl Item {
    fn new(ledger: &Arc<Ledger>, owner: InterpId, seq: usize) -> Self {
        let id = ledger.next.fetch_add(1, SeqCst);
        ledger.drops.lock().unwrap().insert(id, 0);
        Item {
            id,
            owner,
            seq,
            ledger: ledger.clone(),
        }
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        *self.ledger.drops.lock().unwrap().get_mut(&self.id).unwrap() += 1;
    }
}

struct World {
    queues: Arc<Queues<Item>>,
    qids: Vec<QueueId>,
    ledger: Arc<Ledger>,
}

/// What one getter saw: (producer, queue) -> last seq, checking order.
#[derive(Default)]
struct Seen(BTreeMap<(InterpId, QueueId), usize>);

impl World {
    fn record(&self, seen: &mut Seen, qid: QueueId, r: Received<Item>) {
        match r {
            Received::Item(item) => {
                let key = (item.owner, qid);
                if let Some(&last) = seen.0.get(&key) {
                    assert!(item.seq > last, "FIFO broken for {key:?}");
                }
                seen.0.insert(key, item.seq);
                self.ledger.delivered.lock().unwrap().push(item.id);
            }
            Received::Unbound(op) => {
                assert_ne!(op, UnboundOp::Remove, "a REMOVE item came out");
            }
        }
    }
}

/// Interpreter `me` does `n` random puts and gets on the world's queues.
fn worker(w: &World, me: InterpId, n: usize) {
    let mut rng = thread_rng();
    let mut seen = Seen::default();
    for seq in 0..n {
        let qid = w.qids[rng.gen_range(0..w.qids.len())];
        if rng.gen_bool(0.6) {
            let op = OPS[rng.gen_range(0..3)];
            let item = Item::new(&w.ledger, me, seq);
            let id = item.id;
            match w.queues.try_push(me, qid, item, op).map_err(|e| e.error()) {
                Ok(()) => {
                    w.ledger.stored.lock().unwrap().insert(id, (me, qid));
                }
                Err(e) => assert_eq!(e, QueueError::Full(qid)),
            }
        } else {
            match w.queues.try_pop(qid) {
                Ok(r) => w.record(&mut seen, qid, r),
                Err(e) => assert_eq!(e, QueueError::Empty(qid)),
            }
        }
    }
}

#[test]
fn interpreters_destroyed_while_others_put_and_get() {
    shuttle_check(|| {
        let interps = Arc::new(Interpreters::new());
        let ids: Vec<InterpId> = (0..3).map(|_| interps.create().unwrap()).collect();
        let (victim, feeder) = (ids[0], ids[1]);
        let queues = Arc::new(Queues::new());
        let qids = vec![queues.create(2, D).unwrap(), queues.create(0, D).unwrap()];
        let w = Arc::new(World {
            queues: queues.clone(),
            qids,
            ledger: Arc::default(),
        });
        // A dedicated unbounded queue fed only by a survivor, drained by a
        // blocking getter: a lost wake-up leaves it parked.
        let feed = queues.create(0, D).unwrap();
        const FEED: usize = 3;

        let victim_thread = {
            let w = w.clone();
            thread::spawn(move || worker(&w, victim, 4))
        };
        let survivors: Vec<_> = ids[1..]
            .iter()
            .map(|&me| {
                let w = w.clone();
                thread::spawn(move || {
                    worker(&w, me, 4);
                    if me == feeder {
                        for seq in 0..FEED {
                            let item = Item::new(&w.ledger, me, 100 + seq);
                            w.queues
                                .try_push(me, feed, item, UnboundOp::Replace)
                                .unwrap();
                        }
                    }
                })
            })
            .collect();
        let blocking_getter = {
            let w = w.clone();
            thread::spawn(move || {
                for _ in 0..FEED {
                    match w.queues.pop_wait(feed, Wait::forever()).unwrap() {
                        Received::Item(item) => w.ledger.delivered.lock().unwrap().push(item.id),
                        Received::Unbound(op) => panic!("feed item unbound ({op:?})"),
                    }
                }
            })
        };
        // The victim's runtime stops running it, then it is destroyed while
        // the survivors keep going.
        victim_thread.join().unwrap();
        interps.destroy_from(MAIN, victim, &[&*queues]).unwrap();
        for s in survivors {
            s.join().unwrap();
        }
        blocking_getter.join().unwrap();

        // Drain: counts right, nothing of the victim still live.
        let mut seen = Seen::default();
        for &qid in &w.qids {
            let left = queues.len(qid).unwrap();
            let mut n = 0;
            while let Ok(r) = queues.try_pop(qid) {
                if let Received::Item(item) = &r {
                    assert_ne!(item.owner, victim, "victim's item still live");
                }
                w.record(&mut seen, qid, r);
                n += 1;
            }
            assert_eq!(n, left, "get_count matches the drain");
        }
        // Nothing a survivor stored is lost.
        let delivered = w.ledger.delivered.lock().unwrap().clone();
        for (id, (owner, _)) in w.ledger.stored.lock().unwrap().iter() {
            if *owner != victim {
                assert!(delivered.contains(id), "item {id} of {owner} lost");
            }
        }
        let mut sorted = delivered.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), delivered.len(), "an item delivered twice");
        drop(delivered);
        let ledger = w.ledger.clone();
        drop(w);
        drop(queues);
        for (id, n) in ledger.drops.lock().unwrap().iter() {
            assert_eq!(*n, 1, "item {id} released {n} times");
        }
    });
}
