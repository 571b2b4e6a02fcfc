//! The lock-order checker (debug builds): inversions panic before they can
//! deadlock, and the channel code never calls out under a lock.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

#[path = "channel_common.rs"]
mod common;

use std::sync::{Arc, Mutex};

use common::Ledger;
use xikernel::__private::lockorder::{held_locks, OrderedMutex, Rank, ENABLED};
use xikernel::channel::{Channels, End, UnboundOp};
use xikernel::interp::MAIN;
use xikernel::wait::Wait;

#[test]
fn checker_is_enabled_exactly_in_debug_builds() {
    assert_eq!(ENABLED, cfg!(debug_assertions));
}

#[test]
fn table_then_entry_is_legal() {
    let table = OrderedMutex::new(Rank::TABLE, ());
    let entry = OrderedMutex::new(Rank::ENTRY, ());
    let t = table.lock();
    let e = entry.lock();
    assert_eq!(held_locks(), if ENABLED { 2 } else { 0 });
    drop(t); // out-of-order unlock is fine
    drop(e);
    assert_eq!(held_locks(), 0);
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the checker exists in debug builds only"
)]
#[should_panic(expected = "lock order violation")]
fn table_while_holding_entry_panics() {
    let table = OrderedMutex::new(Rank::TABLE, ());
    let entry = OrderedMutex::new(Rank::ENTRY, ());
    let _e = entry.lock();
    let _t = table.lock();
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the checker exists in debug builds only"
)]
#[should_panic(expected = "lock order violation")]
fn two_entry_locks_panic() {
    let a = OrderedMutex::new(Rank::ENTRY, ());
    let b = OrderedMutex::new(Rank::ENTRY, ());
    let _a = a.lock();
    let _b = b.lock();
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the checker exists in debug builds only"
)]
fn relocking_the_same_lock_panics_instead_of_deadlocking() {
    // In a helper thread, so that a checker that misses it fails this test
    // with a timeout instead of hanging the test binary.
    let a = Arc::new(OrderedMutex::new(Rank::ENTRY, ()));
    let (tx, rx) = std::sync::mpsc::channel();
    let helper = std::thread::spawn(move || {
        let r = std::panic::catch_unwind(|| {
            let _a = a.lock();
            let _again = a.lock();
        });
        let msg = r.err().and_then(|e| e.downcast_ref::<String>().cloned());
        let _ = tx.send(msg);
    });
    let msg = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("re-locking deadlocked: the checker did not catch it");
    assert!(msg.is_some_and(|m| m.contains("lock order violation")));
    helper.join().unwrap();
}

/// An item whose `Drop` re-enters the registry: it works only because
/// items are released after every kernel lock is dropped.
struct Reentrant {
    chans: Arc<Channels<Reentrant>>,
    log: Arc<Mutex<Vec<usize>>>,
}

impl Drop for Reentrant {
    fn drop(&mut self) {
        assert_eq!(held_locks(), 0);
        self.log.lock().unwrap().push(self.chans.list_all().len());
    }
}

#[test]
fn item_drops_may_reenter_the_registry() {
    let chans = Arc::new(Channels::new());
    let log = Arc::new(Mutex::new(Vec::new()));
    let cid = chans.create(UnboundOp::Replace).unwrap();
    let item = || Reentrant {
        chans: chans.clone(),
        log: log.clone(),
    };
    chans.send(MAIN, cid, item(), UnboundOp::Replace).unwrap();
    chans.send(MAIN, cid, item(), UnboundOp::Replace).unwrap();
    chans.close(cid, End::Both, true).unwrap(); // releases both
    chans
        .send(MAIN, cid, item(), UnboundOp::Replace)
        .unwrap_err(); // rejected item
    let cid = chans.create(UnboundOp::Replace).unwrap();
    chans.send(MAIN, cid, item(), UnboundOp::Replace).unwrap();
    chans.destroy(cid).unwrap();
    assert_eq!(*log.lock().unwrap(), [1, 1, 1, 1]);
}

#[test]
fn every_channel_operation_releases_its_locks() {
    let chans = Channels::new();
    let l = Ledger::new();
    let cid = chans.create(UnboundOp::Replace).unwrap();
    chans
        .send(MAIN, cid, l.item("a"), UnboundOp::Replace)
        .unwrap();
    let _ = chans.info(MAIN, cid);
    let _ = chans.list_interpreters(cid, true);
    let _ = chans.try_recv(MAIN, cid);
    let _ = chans.recv_wait(MAIN, cid, Wait::timeout(std::time::Duration::ZERO));
    chans.clear_interpreter(MAIN);
    assert_eq!(held_locks(), 0);
}
