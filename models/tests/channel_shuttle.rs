#![cfg(feature = "shuttle")]
//! Randomised schedules of many threads doing random mixes of every channel
//! operation on several channels (shuttle: random + PCT schedulers, deadlock
//! detection on). Checked after every run:
//!
//! * every item is released exactly once, and received at most once;
//! * a blocking send succeeded iff its item was received;
//! * a refused send never delivers its item;
//! * every `ChannelInfo` seen is internally consistent;
//! * no thread is left blocked (all joins return; shuttle reports a
//!   deadlock otherwise).
//!
//! Shuttle's timed waits never time out, so blocking calls use either no
//! timeout (ended by a delivery or by the final forced close) or a zero
//! timeout (the withdraw path).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shuttle::rand::{thread_rng, Rng};
use shuttle::thread;
use xikernel::channel::{ChannelError, ChannelId, Channels, End, Received, UnboundOp};
use xikernel::interp::{InterpId, MAIN};
use xikernel::wait::Wait;
use xikernel_models::shuttle_check;

/// Shared bookkeeping for one run.
#[derive(Default)]
struct Ledger {
    created: AtomicUsize,
    dropped: AtomicUsize,
    received: Mutex<BTreeSet<usize>>,
}

struct Item {
    id: usize,
    ledger: Arc<Ledger>,
    /// Set by a receiver before it drops the item.
    received: AtomicBool,
}

impl Item {
    fn new(ledger: &Arc<Ledger>) -> Self {
        Item {
            id: ledger.created.fetch_add(1, SeqCst),
            ledger: ledger.clone(),
            received: AtomicBool::new(false),
        }
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        let prev = self.ledger.dropped.fetch_add(1, SeqCst);
        assert!(
            prev < self.ledger.created.load(SeqCst),
            "more drops than items"
        );
        if self.received.load(SeqCst) {
            assert!(self.ledger.received.lock().unwrap().contains(&self.id));
        }
    }
}

const OPS: [UnboundOp; 3] = [UnboundOp::Remove, UnboundOp::Error, UnboundOp::Replace];

fn any_end(rng: &mut impl Rng) -> End {
    [End::Send, End::Recv, End::Both][rng.gen_range(0..3)]
}

fn on_receive(ledger: &Ledger, r: Result<Received<Item>, ChannelError>) {
    if let Ok(Received::Item(item)) = r {
        assert!(
            ledger.received.lock().unwrap().insert(item.id),
            "item received twice"
        );
        item.received.store(true, SeqCst);
    }
}

/// One random operation by `me` on `cid`. Returns the ids of items whose
/// send was refused or withdrawn (must never be received) and of items a
/// blocking send saw received.
fn random_op(
    chans: &Channels<Item>,
    ledger: &Arc<Ledger>,
    me: InterpId,
    cid: ChannelId,
    may_block: bool,
    never: &mut Vec<usize>,
    must: &mut Vec<usize>,
) {
    let mut rng = thread_rng();
    let op = OPS[rng.gen_range(0..3)];
    // Weighted towards traffic so channels stay open for a while.
    match rng.gen_range(0..30) {
        0..=8 => {
            let item = Item::new(ledger);
            let id = item.id;
            if chans
                .send(me, cid, item, op)
                .map_err(|e| e.error())
                .is_err()
            {
                never.push(id);
            }
        }
        9..=11 => {
            let item = Item::new(ledger);
            let id = item.id;
            let timeout = (!may_block || rng.gen_bool(0.5)).then_some(Duration::ZERO);
            match chans
                .send_wait(me, cid, item, op, Wait::from(timeout))
                .map_err(|e| e.error())
            {
                Ok(()) => must.push(id),
                Err(_) => never.push(id),
            }
        }
        12..=20 => on_receive(ledger, chans.try_recv(me, cid)),
        21..=23 => {
            let timeout = (!may_block || rng.gen_bool(0.5)).then_some(Duration::ZERO);
            on_receive(ledger, chans.recv_wait(me, cid, Wait::from(timeout)));
        }
        24 => {
            let _ = chans.close(cid, any_end(&mut rng), rng.gen_bool(0.5));
        }
        25 => {
            let _ = chans.release(me, cid, any_end(&mut rng));
        }
        26..=28 => {
            if let Ok(i) = chans.info(me, cid) {
                assert_eq!(
                    u8::from(i.open) + u8::from(i.closing) + u8::from(i.closed),
                    1
                );
                assert!(!i.closing || i.count > 0, "closing implies items left");
                assert!(!i.closed || i.count == 0);
            }
            if let Ok(v) = chans.list_interpreters(cid, rng.gen_bool(0.5)) {
                assert!(v.windows(2).all(|w| w[0] < w[1]));
            }
        }
        _ => {
            // Rarely: destroy (blocked threads get NotFound / HasClosed).
            if rng.gen_bool(0.3) {
                let _ = chans.destroy(cid);
            }
        }
    }
}

/// Force-closes every channel still listed: wakes every blocked thread and
/// releases every queued item.
fn close_everything(chans: &Channels<Item>) {
    for (cid, _) in chans.list_all() {
        let _ = chans.close(cid, End::Both, true);
    }
}

fn run(workers: usize, channels: usize, ops: usize) {
    let chans: Arc<Channels<Item>> = Arc::new(Channels::new());
    let ledger = Arc::new(Ledger::default());
    let fixed: Vec<ChannelId> = (0..channels)
        .map(|_| chans.create(UnboundOp::Replace).unwrap())
        .collect();
    let handles: Vec<_> = (0..workers)
        .map(|w| {
            let (chans, ledger, fixed) = (chans.clone(), ledger.clone(), fixed.clone());
            thread::spawn(move || {
                let me = InterpId(w as u64 + 1);
                let (mut never, mut must) = (Vec::new(), Vec::new());
                for _ in 0..ops {
                    let mut rng = thread_rng();
                    // Blocking only on the fixed channels (the final close
                    // reaches them); a fresh channel is used without blocking.
                    if rng.gen_bool(0.15) {
                        let cid = chans.create(UnboundOp::Replace).unwrap();
                        random_op(&chans, &ledger, me, cid, false, &mut never, &mut must);
                    } else {
                        let cid = fixed[rng.gen_range(0..fixed.len())];
                        random_op(&chans, &ledger, me, cid, true, &mut never, &mut must);
                    }
                }
                // This interpreter finalises: unbind its items, close its ends.
                if thread_rng().gen_bool(0.5) {
                    chans.clear_interpreter(me);
                }
                (never, must)
            })
        })
        .collect();
    // Main takes part without blocking, then wakes everybody.
    let (mut never, mut must) = (Vec::new(), Vec::new());
    for _ in 0..ops {
        let cid = fixed[thread_rng().gen_range(0..fixed.len())];
        random_op(&chans, &ledger, MAIN, cid, false, &mut never, &mut must);
    }
    close_everything(&chans);
    for h in handles {
        let (n, m) = h.join().unwrap();
        never.extend(n);
        must.extend(m);
    }
    // Channels created after the first pass may still hold items.
    close_everything(&chans);
    let received = ledger.received.lock().unwrap().clone();
    for id in never {
        assert!(
            !received.contains(&id),
            "refused/withdrawn item {id} was received"
        );
    }
    for id in must {
        assert!(
            received.contains(&id),
            "blocking send of {id} succeeded but nobody received it"
        );
    }
    // Every item is released by now: received ones by their receiver, the
    // rest by the kernel (refused, withdrawn, unbound, discarded).
    assert_eq!(
        ledger.dropped.load(SeqCst),
        ledger.created.load(SeqCst),
        "item leaked"
    );
    for (cid, _) in chans.list_all() {
        assert!(matches!(chans.len(cid), Err(ChannelError::Closed(_))));
    }
}

#[test]
fn random_mixes_four_workers_three_channels() {
    shuttle_check(|| run(4, 3, 12));
}

#[test]
fn random_mixes_four_workers_one_channel() {
    shuttle_check(|| run(4, 1, 10));
}
