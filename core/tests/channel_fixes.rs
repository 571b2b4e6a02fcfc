//! Regression tests for the CPython 3.13 channel defects we must not copy
//! (reference §3.4, §3.10, §2.10).
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

#[path = "channel_common.rs"]
mod common;

use std::thread;

use common::{got, Got, Ledger, Tracked};
use xikernel::channel::{
    ChannelError::*,
    Channels, End, UnboundOp,
    UnboundOp::{Remove, Replace},
};
use xikernel::interp::{InterpId, MAIN};
use xikernel::wait::Wait;

const I1: InterpId = InterpId(1);
const I2: InterpId = InterpId(2);

/// CPython decrements an open-ends counter on every release, so releasing
/// the same end twice leaves the channel open with no open end.
#[test]
fn releasing_the_same_end_twice_is_idempotent() {
    let ch: Channels<Tracked> = Channels::new();
    let l = Ledger::new();
    let cid = ch.create(Replace).unwrap();
    ch.send(I1, cid, l.item("a"), Replace).unwrap();
    assert_eq!(got(ch.try_recv(I2, cid)), Ok(Got::Item("a")));
    ch.release(I1, cid, End::Send).unwrap();
    ch.release(I1, cid, End::Send).unwrap();
    ch.release(I1, cid, End::Both).unwrap();
    assert!(
        ch.info(MAIN, cid).unwrap().open,
        "I2's recv end is still open"
    );
    ch.release(I2, cid, End::Recv).unwrap();
    let info = ch.info(MAIN, cid).unwrap();
    assert!(info.closed && !info.open, "no open end left: closed");
    assert_eq!(ch.try_recv(I2, cid).map(drop), Err(Closed(cid)));
}

/// CPython's `list_all` dereferenced a closed channel's NULL state.
#[test]
fn list_all_with_closed_channels_that_still_have_handles() {
    let ch: Channels<Tracked> = Channels::new();
    let l = Ledger::new();
    let a = ch.create(Replace).unwrap();
    let b = ch.create(UnboundOp::Error).unwrap();
    ch.send(MAIN, a, l.item("x"), Replace).unwrap();
    ch.close(a, End::Both, true).unwrap();
    ch.release(MAIN, b, End::Both).unwrap();
    assert_eq!(ch.list_all(), [(b, UnboundOp::Error), (a, Replace)]);
    assert!(ch.info(MAIN, a).unwrap().closed);
    ch.destroy(a).unwrap();
    assert_eq!(ch.list_all(), [(b, UnboundOp::Error)]);
}

/// CPython's `list_interpreters` and `get_info` read channel state without
/// the channel lock. Ours only reach it through the lock; race them against
/// every state change (a torn read would show as an impossible info).
#[test]
fn readers_race_with_close_and_destroy() {
    let ch: Channels<Tracked> = Channels::new();
    let l = Ledger::new();
    let rounds = if cfg!(miri) { 5 } else { 300 };
    for _ in 0..rounds {
        let cid = ch.create(Replace).unwrap();
        thread::scope(|s| {
            s.spawn(|| {
                for t in ["a", "b", "c"] {
                    let _ = ch.send(I1, cid, l.item(t), Replace);
                }
                let _ = ch.close(cid, End::Send, false);
                let _ = ch.try_recv(I2, cid);
                let _ = ch.close(cid, End::Both, true);
                let _ = ch.destroy(cid);
            });
            for _ in 0..10 {
                match ch.info(MAIN, cid) {
                    Ok(i) => {
                        assert_eq!(
                            u8::from(i.open) + u8::from(i.closing) + u8::from(i.closed),
                            1
                        );
                        assert!(!i.closed || i.count == 0);
                        assert!(!i.closing || i.count > 0);
                    }
                    Err(e) => assert_eq!(e, NotFound(cid)),
                }
                match ch.list_interpreters(cid, true) {
                    Ok(v) => assert!(v.is_empty() || v == [I1]),
                    Err(e) => assert!(matches!(e, Closed(_) | NotFound(_))),
                }
            }
        });
    }
    drop(ch);
    l.assert_all_released_once();
}

/// CPython's unbound-item removal can leave the queue tail dangling when it
/// removes the last item; a later send is then lost.
#[test]
fn removing_the_last_item_keeps_the_queue_usable() {
    let ch: Channels<Tracked> = Channels::new();
    let l = Ledger::new();
    let cid = ch.create(Replace).unwrap();
    ch.send(MAIN, cid, l.item("A"), Replace).unwrap();
    ch.send(I1, cid, l.item("B"), Remove).unwrap();
    ch.clear_interpreter(I1);
    assert_eq!(ch.len(cid), Ok(1));
    ch.send(MAIN, cid, l.item("C"), Replace).unwrap();
    assert_eq!(got(ch.try_recv(MAIN, cid)), Ok(Got::Item("A")));
    assert_eq!(got(ch.try_recv(MAIN, cid)), Ok(Got::Item("C")));
    assert_eq!(ch.len(cid), Ok(0));
    l.assert_all_released_once();
}

/// A blocked receiver is woken by destroy and reports NotFound; a blocked
/// sender learns its item was discarded.
#[test]
fn destroy_wakes_blocked_threads() {
    let ch: Channels<Tracked> = Channels::new();
    let l = Ledger::new();
    let a = ch.create(Replace).unwrap();
    let b = ch.create(Replace).unwrap();
    thread::scope(|s| {
        let r = s.spawn(|| got(ch.recv_wait(I1, a, Wait::forever())));
        let w = s.spawn(|| {
            ch.send_wait(I2, b, l.item("x"), Replace, Wait::forever())
                .map_err(|e| e.error())
        });
        while ch.len(b) != Ok(1) {
            thread::yield_now();
        }
        // The receiver may not be parked yet: destroy must still reach it.
        ch.destroy(a).unwrap();
        ch.destroy(b).unwrap();
        assert_eq!(r.join().unwrap(), Err(NotFound(a)));
        assert_eq!(w.join().unwrap(), Err(HasClosed(b)));
    });
    l.assert_all_released_once();
}
