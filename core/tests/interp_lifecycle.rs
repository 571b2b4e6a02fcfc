//! The interpreter registry: lifecycle, running mark, current-interpreter
//! hook, destroy applying unbound policies to queues and channels, and
//! release routing (exactly once, in the owner or by the kernel).
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use xikernel::channel::{Channels, Received, UnboundOp::*};
use xikernel::interp::{enter, thread_current, InterpError, InterpId, Interpreters, Whence, MAIN};
use xikernel::queue::{QueueDefaults, Queues};
use xikernel::xidata::XiData;

/// An XiData whose release hook records `(owner, releasing thread's interp)`.
fn datum(owner: InterpId, log: &Arc<Mutex<Vec<(InterpId, InterpId)>>>) -> XiData {
    let log = log.clone();
    XiData::new(
        vec![1, 2, 3],
        owner,
        Some(Box::new(move |o| {
            log.lock().unwrap().push((o, thread_current()))
        })),
    )
}

#[test]
fn main_create_list_whence() {
    let it = Interpreters::new();
    assert_eq!(it.get_main(), MAIN);
    assert_eq!(it.get_current(), MAIN);
    assert_eq!(it.is_running(MAIN), Ok(true));
    let a = it.create().unwrap();
    let b = it.create().unwrap();
    assert_eq!((a, b), (InterpId(1), InterpId(2)));
    assert_eq!(
        it.list_all(),
        [
            (MAIN, Whence::Runtime),
            (a, Whence::Stdlib),
            (b, Whence::Stdlib)
        ]
    );
    assert_eq!(it.is_running(a), Ok(false));
    it.destroy(a, &[]).unwrap();
    assert_eq!(
        it.list_all(),
        [(MAIN, Whence::Runtime), (b, Whence::Stdlib)]
    );
    assert_eq!(it.create().unwrap(), InterpId(3), "ids are never reused");
    let e = it.whence(a).unwrap_err();
    assert!(e.is_not_found());
    assert_eq!(e.to_string(), "unrecognized interpreter ID 1");
}

#[test]
fn destroy_refuses_current_and_running() {
    let it = Interpreters::new();
    assert_eq!(it.destroy(MAIN, &[]), Err(InterpError::Current(MAIN)));
    let a = it.create().unwrap();
    {
        let _in_a = enter(a);
        assert_eq!(it.get_current(), a);
        assert_eq!(it.destroy(a, &[]), Err(InterpError::Current(a)));
        assert_eq!(it.destroy(MAIN, &[]), Err(InterpError::Running(MAIN)));
    }
    assert_eq!(it.get_current(), MAIN);
    it.set_running(a, true).unwrap();
    assert_eq!(it.set_running(a, true), Err(InterpError::AlreadyRunning(a)));
    let e = it.destroy(a, &[]).unwrap_err();
    assert_eq!(
        (e, e.to_string().as_str()),
        (InterpError::Running(a), "interpreter running")
    );
    it.set_running(a, false).unwrap();
    it.destroy(a, &[]).unwrap();
    assert_eq!(it.destroy(a, &[]), Err(InterpError::NotFound(a)));
    assert_eq!(it.set_running(a, true), Err(InterpError::NotFound(a)));
}

#[test]
fn current_hook_overrides_thread_local() {
    let it = Interpreters::new().with_current_hook(Box::new(|| InterpId(7)));
    assert_eq!(it.get_current(), InterpId(7));
}

#[test]
fn destroy_unbinds_queue_and_channel_items() {
    let it = Interpreters::new();
    let sub = it.create().unwrap();
    let queues: Queues<u32> = Queues::new();
    let chans: Channels<u32> = Channels::new();
    let d = QueueDefaults {
        fmt: 0,
        unbound: Replace,
    };
    let qid = queues.create(0, d).unwrap();
    let cid = chans.create(Replace).unwrap();
    queues.try_push(MAIN, qid, 1, Replace).unwrap();
    queues.try_push(sub, qid, 2, Remove).unwrap();
    queues.try_push(sub, qid, 3, Error).unwrap();
    chans.send(MAIN, cid, 10, Replace).unwrap(); // main keeps the channel open
    assert!(matches!(chans.try_recv(MAIN, cid), Ok(Received::Item(10))));
    chans.send(sub, cid, 11, Replace).unwrap();
    it.destroy(sub, &[&queues, &chans]).unwrap();
    assert_eq!(queues.len(qid), Ok(2));
    assert!(matches!(queues.try_pop(qid), Ok(Received::Item(1))));
    assert!(matches!(queues.try_pop(qid), Ok(Received::Unbound(Error))));
    assert!(matches!(
        chans.try_recv(MAIN, cid),
        Ok(Received::Unbound(Replace))
    ));
}

#[test]
fn release_routing_in_owner_pending_or_kernel() {
    let it = Arc::new(Interpreters::new());
    let log = Arc::new(Mutex::new(Vec::new()));
    let sub = it.create().unwrap();
    let other = it.create().unwrap();

    // Released by its owner: inline.
    it.release_data(datum(sub, &log), sub);
    assert_eq!(log.lock().unwrap().len(), 1);

    // Released elsewhere: queued for the owner, run when the owner drains.
    it.release_data(datum(sub, &log), other);
    assert_eq!(log.lock().unwrap().len(), 1);
    assert_eq!(it.pending_count(sub), Ok(1));
    {
        let _in_sub = enter(sub);
        assert_eq!(it.run_pending(sub), Ok(1));
    }
    assert_eq!(log.lock().unwrap()[1], (sub, sub), "ran in the owner");

    // Pending when the owner is destroyed: the kernel releases it.
    it.release_data(datum(sub, &log), other);
    it.destroy(sub, &[]).unwrap();
    assert_eq!(log.lock().unwrap().len(), 3);

    // Owner gone: released at once by the caller.
    it.release_data(datum(sub, &log), other);
    assert_eq!(log.lock().unwrap().len(), 4);
}

#[test]
fn queue_router_releases_each_datum_once() {
    let signals = Arc::new(AtomicUsize::new(0));
    let s2 = signals.clone();
    let it = Arc::new(Interpreters::new().with_pending_signal(Box::new(move |_| {
        s2.fetch_add(1, Ordering::Relaxed);
    })));
    let log = Arc::new(Mutex::new(Vec::new()));
    let sub = it.create().unwrap();
    let queues = Queues::new().with_release(Interpreters::router(&it));
    let d = QueueDefaults {
        fmt: 0,
        unbound: Replace,
    };
    let qid = queues.create(1, d).unwrap();
    queues
        .try_push(sub, qid, datum(sub, &log), Replace)
        .unwrap();
    // A refused put hands sub's datum back to main, which routes its
    // release to sub.
    let refused = queues
        .try_push(MAIN, qid, datum(sub, &log), Replace)
        .unwrap_err()
        .into_inner();
    it.release_data(refused, MAIN);
    assert_eq!(it.pending_count(sub), Ok(1));
    assert_eq!(signals.load(Ordering::Relaxed), 1);
    // Destroying sub releases its pending datum and its queued datum.
    it.destroy(sub, &[&queues]).unwrap();
    assert_eq!(log.lock().unwrap().len(), 2);
    assert!(matches!(
        queues.try_pop(qid),
        Ok(Received::Unbound(Replace))
    ));
    queues.destroy(qid).unwrap();
    assert_eq!(log.lock().unwrap().len(), 2, "nothing released twice");
}

#[test]
fn routed_channel_items_release_in_their_owner() {
    use xikernel::channel::End;
    let it = Arc::new(Interpreters::new());
    let log = Arc::new(Mutex::new(Vec::new()));
    let sub = it.create().unwrap();
    let chans: Channels<XiData> = Channels::new().with_release(Interpreters::router(&it));
    let cid = chans.create(Replace).unwrap();
    chans.send(sub, cid, datum(sub, &log), Replace).unwrap();
    // Main force-closes: the stranded datum is queued for sub, not
    // released in main.
    chans.close(cid, End::Both, true).unwrap();
    assert!(log.lock().unwrap().is_empty());
    assert_eq!(it.pending_count(sub), Ok(1));
    let _in_sub = enter(sub);
    assert_eq!(it.run_pending(sub), Ok(1));
    assert_eq!(*log.lock().unwrap(), [(sub, sub)]);
}
