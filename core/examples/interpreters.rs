//! A small multi-"interpreter" program embedding the kernel the way a
//! language runtime does (see `docs/vendoring.md`):
//!
//! - each interpreter is a thread with its own state, registered in
//!   [`Interpreters`] and made current with [`enter`];
//! - values cross as codec-encoded [`XiData`] through a queue and a
//!   channel; data released outside its owner is routed to the owner's
//!   pending-release queue, which the owner drains (CPython's pending
//!   calls);
//! - an interpreter is destroyed mid-stream, and its queued items show the
//!   three unbound policies (REMOVE, ERROR, REPLACE).
//!
//! Run: `cargo run -p xikernel --example interpreters`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use xikernel::channel::{Channels, Received, UnboundOp};
use xikernel::interp::{enter, InterpId, Interpreters, MAIN};
use xikernel::queue::{resolve, QueueDefaults, QueueError, QueueId, Queues};
use xikernel::wait::Wait;
// `std::sync::Arc` under std; the facade's name keeps the example building
// when a test run turns on a model-checker feature.
use xikernel::__private::sync::Arc;
use xikernel::xidata::{DecodeOptions, Value, XiData};

/// What the runtime wraps: one registry of each kind.
struct Runtime {
    interps: Arc<Interpreters>,
    queues: Queues<XiData>,
    channels: Channels<XiData>,
    /// Releases that ran, for the summary.
    releases: Arc<AtomicUsize>,
}

impl Runtime {
    fn new() -> Arc<Self> {
        let interps = Arc::new(Interpreters::new().with_pending_signal(Box::new(|owner| {
            println!("  (release queued for interp {owner})")
        })));
        Arc::new(Runtime {
            queues: Queues::new().with_release(Interpreters::router(&interps)),
            channels: Channels::new().with_release(Interpreters::router(&interps)),
            interps,
            releases: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Encodes `v` in the current interpreter (it becomes the owner).
    fn share(&self, v: &Value) -> XiData {
        let me = self.interps.get_current();
        let n = self.releases.clone();
        let hook = Box::new(move |_owner: InterpId| {
            n.fetch_add(1, Ordering::Relaxed);
        });
        XiData::encode(v, me, Some(hook)).expect("shareable value")
    }

    /// The receiver's `new_object` + release: decode here, release in the
    /// owner.
    fn take(&self, data: XiData) -> Value {
        let v = data.decode(&DecodeOptions::default()).expect("valid bytes");
        self.interps.release_data(data, self.interps.get_current());
        v
    }
}

/// Interpreter 1: squares every number it receives on `cmds` and puts
/// `(n, n*n)` on `results`, until the channel is closed.
fn squarer(rt: Arc<Runtime>, me: InterpId, cmds: xikernel::ChannelId, results: QueueId) {
    let _current = enter(me);
    rt.interps.set_running(me, true).unwrap();
    while let Ok(Received::Item(data)) = rt.channels.recv_wait(me, cmds, Wait::forever()) {
        let Value::Int(n) = rt.take(data) else {
            continue;
        };
        let out = rt.share(&Value::Tuple(vec![Value::Int(n), Value::Int(n * n)]));
        rt.queues
            .push_wait(me, results, out, UnboundOp::Replace, Wait::forever())
            .unwrap();
        // The eval loop's pending-call check.
        rt.interps.run_pending(me).unwrap();
    }
    rt.interps.set_running(me, false).unwrap();
    rt.interps.run_pending(me).unwrap();
}

fn main() {
    let rt = Runtime::new();
    let defaults = QueueDefaults {
        fmt: 0,
        unbound: UnboundOp::Replace,
    };
    let results = rt.queues.create(16, defaults).unwrap();
    let cmds = rt.channels.create(UnboundOp::Replace).unwrap();

    let sq = rt.interps.create().unwrap();
    let doomed = rt.interps.create().unwrap();
    println!("interpreters: {:?}", rt.interps.list_all());

    let worker = {
        let rt = rt.clone();
        thread::spawn(move || squarer(rt, sq, cmds, results))
    };

    // Main sends work.
    for n in [3, 4] {
        rt.channels
            .send(MAIN, cmds, rt.share(&Value::Int(n)), UnboundOp::Replace)
            .unwrap();
    }

    // The doomed interpreter puts one item per policy after the squarer's
    // results (a runtime would not poll; this only makes the order stable),
    // then stops running.
    while rt.queues.len(results).unwrap() < 2 {
        thread::sleep(Duration::from_millis(1));
    }
    {
        let rt = rt.clone();
        thread::spawn(move || {
            let _current = enter(doomed);
            rt.interps.set_running(doomed, true).unwrap();
            for (s, op) in [
                ("removed", UnboundOp::Remove),
                ("error", UnboundOp::Error),
                ("replaced", UnboundOp::Replace),
            ] {
                let data = rt.share(&Value::from(s));
                rt.queues.try_push(doomed, results, data, op).unwrap();
            }
            rt.interps.set_running(doomed, false).unwrap();
        })
        .join()
        .unwrap();
    }

    println!("count before destroy: {}", rt.queues.len(results).unwrap());
    rt.interps
        .destroy(doomed, &[&rt.queues, &rt.channels])
        .unwrap();
    println!(
        "count after destroying interp {doomed}: {} (the REMOVE item vanished)",
        rt.queues.len(results).unwrap()
    );

    loop {
        match rt.queues.try_pop(results) {
            Ok(got) => match resolve(results, got) {
                Ok(Some(data)) => {
                    let owner = data.owner();
                    println!("get -> {:?} (owner {owner})", rt.take(data));
                }
                Ok(None) => println!("get -> UNBOUND (owner destroyed, REPLACE)"),
                Err(e @ QueueError::ItemInterpreterDestroyed(_)) => println!("get -> error: {e}"),
                Err(e) => panic!("{e}"),
            },
            Err(QueueError::Empty(_)) => break,
            Err(e) => panic!("{e}"),
        }
    }

    // Shut down: closing the channel ends the squarer, which drains the
    // releases main routed to it.
    rt.channels.close(cmds, xikernel::End::Both, true).unwrap();
    worker.join().unwrap();
    rt.interps.destroy(sq, &[&rt.queues, &rt.channels]).unwrap();
    rt.queues.destroy(results).unwrap();
    rt.channels.destroy(cmds).unwrap();
    // Main's own eval-loop check: the ints it shared were released by the
    // squarer and queued here.
    println!(
        "main ran {} pending releases",
        rt.interps.run_pending(MAIN).unwrap()
    );
    println!(
        "interpreters: {:?}; releases run: {} (one per value shared)",
        rt.interps.list_all(),
        rt.releases.load(Ordering::Relaxed)
    );
}
