//! Interruptible blocking calls: a runtime's periodic check (CPython's
//! signal check) ends a blocked send or receive like an expired timeout,
//! and the check runs with no kernel lock held.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

#[path = "channel_common.rs"]
mod common;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{got, Got, Ledger};
use xikernel::channel::{ChannelError::*, Channels, UnboundOp::Replace};
use xikernel::interp::InterpId;
use xikernel::lockorder;

const I1: InterpId = InterpId(1);
const I2: InterpId = InterpId(2);
const EVERY: Duration = Duration::from_millis(1);
const LONG: Option<Duration> = Some(Duration::from_secs(5));

#[test]
fn interrupted_send_withdraws_its_item() {
    let ch = Channels::new();
    let l = Ledger::new();
    let cid = ch.create(Replace).unwrap();
    let mut calls = 0;
    let mut interrupt = || {
        assert_eq!(lockorder::held_locks(), 0, "check run under a lock");
        calls += 1;
        calls == 3
    };
    // A timeout only so that a broken interruption fails instead of hanging.
    let r = ch.send_wait_interruptible(I1, cid, l.item("a"), Replace, LONG, EVERY, &mut interrupt);
    assert_eq!(r, Err(Timeout));
    assert_eq!(calls, 3, "checked until it said stop, then no more");
    assert_eq!(ch.get_count(cid), Ok(0), "the item was withdrawn");
    assert_eq!(l.live(), 0, "and released");
    l.assert_all_released_once();
}

#[test]
fn timeout_still_applies_while_polling() {
    let ch = Channels::new();
    let l = Ledger::new();
    let cid = ch.create(Replace).unwrap();
    let timeout = Some(Duration::from_millis(20));
    let r =
        ch.send_wait_interruptible(I1, cid, l.item("a"), Replace, timeout, EVERY, &mut || false);
    assert_eq!(r, Err(Timeout));
    assert_eq!(ch.get_count(cid), Ok(0));
    let r = ch.recv_wait_interruptible(I2, cid, timeout, EVERY, &mut || false);
    assert_eq!(got(r), Err(Timeout));
    l.assert_all_released_once();
}

#[test]
fn received_item_beats_the_interruption() {
    let ch = Arc::new(Channels::new());
    let l = Ledger::new();
    let cid = ch.create(Replace).unwrap();
    let c = ch.clone();
    let receiver = thread::spawn(move || got(c.recv_wait(I2, cid, None)));
    let r = ch.send_wait_interruptible(I1, cid, l.item("a"), Replace, None, EVERY, &mut || false);
    assert_eq!(r, Ok(()));
    assert_eq!(receiver.join().unwrap(), Ok(Got::Item("a")));
    l.assert_all_released_once();
}

#[test]
fn interrupted_recv_takes_nothing() {
    let ch = Channels::new();
    let l = Ledger::new();
    let cid = ch.create(Replace).unwrap();
    let mut calls = 0;
    let r = ch.recv_wait_interruptible(I2, cid, LONG, EVERY, &mut || {
        calls += 1;
        calls == 2
    });
    assert_eq!(got(r), Err(Timeout));
    assert_eq!(calls, 2);
    ch.send(I1, cid, l.item("b"), Replace).unwrap();
    let r = ch.recv_wait_interruptible(I2, cid, None, EVERY, &mut || true);
    assert_eq!(got(r), Ok(Got::Item("b")), "an item present is taken first");
    l.assert_all_released_once();
}

#[test]
fn polling_recv_is_woken_by_a_send() {
    let ch = Arc::new(Channels::new());
    let l = Ledger::new();
    let cid = ch.create(Replace).unwrap();
    let c = ch.clone();
    let receiver = thread::spawn(move || {
        got(c.recv_wait_interruptible(I2, cid, None, Duration::from_secs(60), &mut || true))
    });
    thread::sleep(Duration::from_millis(20));
    ch.send(I1, cid, l.item("c"), Replace).unwrap();
    assert_eq!(receiver.join().unwrap(), Ok(Got::Item("c")));
    l.assert_all_released_once();
}

#[test]
fn close_ends_an_interruptible_send() {
    let ch = Arc::new(Channels::new());
    let l = Ledger::new();
    let cid = ch.create(Replace).unwrap();
    let c = ch.clone();
    let item = l.item("d");
    let sender = thread::spawn(move || {
        c.send_wait_interruptible(I1, cid, item, Replace, None, EVERY, &mut || false)
    });
    while ch.get_count(cid) != Ok(1) {
        thread::yield_now();
    }
    ch.close(cid, xikernel::channel::End::Both, true).unwrap();
    assert_eq!(sender.join().unwrap(), Err(HasClosed(cid)));
    l.assert_all_released_once();
}
