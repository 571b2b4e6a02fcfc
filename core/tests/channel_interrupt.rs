//! Interruptible blocking calls: a runtime's periodic check (CPython's
//! signal check) ends a blocked send, receive, push or pop with
//! `Interrupted` (a send's or push's item handed back), and the check runs
//! with no kernel lock held.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

#[path = "channel_common.rs"]
mod common;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{got, Got, Ledger};
use xikernel::__private::lockorder;
use xikernel::channel::{ChannelError::*, Channels, UnboundOp::Replace};
use xikernel::interp::InterpId;
use xikernel::wait::{Every, InterruptToken, Wait};
use xikernel::{QueueDefaults, QueueError, QueuePushError, Queues, Received, SendError};

const I1: InterpId = InterpId(1);
const I2: InterpId = InterpId(2);
const EVERY: Duration = Duration::from_millis(1);
const LONG: Duration = Duration::from_secs(5);

#[test]
fn interrupted_send_withdraws_its_item() {
    let ch = Channels::new();
    let l = Ledger::new();
    let cid = ch.create(Replace).unwrap();
    let mut calls = 0;
    let mut interrupt = Every::new(EVERY, || {
        assert_eq!(lockorder::held_locks(), 0, "check run under a lock");
        calls += 1;
        calls == 3
    });
    // A timeout only so that a broken interruption fails instead of hanging.
    let wait = Wait::timeout(LONG).interruptible(&mut interrupt);
    let r = ch.send_wait(I1, cid, l.item("a"), Replace, wait);
    let Err(SendError::Interrupted(c, item)) = r else {
        panic!("expected Interrupted with the item, got {r:?}");
    };
    assert_eq!((c, item.tag), (cid, "a"), "the item comes back");
    assert_eq!(calls, 3, "checked until it said stop, then no more");
    assert_eq!(ch.len(cid), Ok(0), "the item was withdrawn");
    drop(item);
    l.assert_all_released_once();
}

#[test]
fn timeout_still_applies_while_polling() {
    let ch = Channels::new();
    let l = Ledger::new();
    let cid = ch.create(Replace).unwrap();
    let timeout = Duration::from_millis(20);
    let mut never = Every::new(EVERY, || false);
    let wait = Wait::timeout(timeout).interruptible(&mut never);
    let r = ch.send_wait(I1, cid, l.item("a"), Replace, wait);
    assert!(matches!(r, Err(SendError::Timeout(_, _))), "{r:?}");
    drop(r);
    assert_eq!(ch.len(cid), Ok(0));
    let wait = Wait::timeout(timeout).interruptible(&mut never);
    let r = ch.recv_wait(I2, cid, wait);
    assert_eq!(got(r), Err(Timeout(cid)));
    l.assert_all_released_once();
}

#[test]
fn received_item_beats_the_interruption() {
    let ch = Arc::new(Channels::new());
    let l = Ledger::new();
    let cid = ch.create(Replace).unwrap();
    let c = ch.clone();
    let receiver = thread::spawn(move || got(c.recv_wait(I2, cid, Wait::forever())));
    let mut never = Every::new(EVERY, || false);
    let r = ch.send_wait(
        I1,
        cid,
        l.item("a"),
        Replace,
        Wait::forever().interruptible(&mut never),
    );
    assert!(r.is_ok());
    assert_eq!(receiver.join().unwrap(), Ok(Got::Item("a")));
    l.assert_all_released_once();
}

#[test]
fn interrupted_recv_takes_nothing() {
    let ch = Channels::new();
    let l = Ledger::new();
    let cid = ch.create(Replace).unwrap();
    let mut calls = 0;
    let mut check = Every::new(EVERY, || {
        calls += 1;
        calls == 2
    });
    let r = ch.recv_wait(I2, cid, Wait::timeout(LONG).interruptible(&mut check));
    assert_eq!(got(r), Err(Interrupted(cid)));
    assert_eq!(calls, 2);
    ch.send(I1, cid, l.item("b"), Replace).unwrap();
    let mut always = Every::new(EVERY, || true);
    let r = ch.recv_wait(I2, cid, Wait::forever().interruptible(&mut always));
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
        let mut always = Every::new(Duration::from_secs(60), || true);
        got(c.recv_wait(I2, cid, Wait::forever().interruptible(&mut always)))
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
        let mut never = Every::new(EVERY, || false);
        c.send_wait(
            I1,
            cid,
            item,
            Replace,
            Wait::forever().interruptible(&mut never),
        )
        .map_err(|e| e.error())
    });
    while ch.len(cid) != Ok(1) {
        thread::yield_now();
    }
    ch.close(cid, xikernel::channel::End::Both, true).unwrap();
    assert_eq!(sender.join().unwrap(), Err(HasClosed(cid)));
    l.assert_all_released_once();
}

#[test]
fn interrupted_push_hands_its_item_back() {
    let q = Queues::new();
    let l = Ledger::new();
    let qid = q.create(1, QueueDefaults::default()).unwrap();
    q.try_push(I1, qid, l.item("full"), Replace).unwrap();
    let mut calls = 0;
    let mut check = Every::new(EVERY, || {
        assert_eq!(lockorder::held_locks(), 0, "check run under a lock");
        calls += 1;
        calls == 2
    });
    let wait = Wait::timeout(LONG).interruptible(&mut check);
    let r = q.push_wait(I1, qid, l.item("x"), Replace, wait);
    let Err(QueuePushError::Interrupted(_, item)) = r else {
        panic!("expected Interrupted with the item, got {r:?}");
    };
    assert_eq!(item.tag, "x", "nothing lost");
    assert_eq!(calls, 2);
    assert_eq!(q.len(qid), Ok(1), "nothing duplicated");
    drop(item);
    drop(q);
    l.assert_all_released_once();
}

#[test]
fn interrupted_pop_takes_nothing() {
    let q = Queues::<u8>::new();
    let qid = q.create(0, QueueDefaults::default()).unwrap();
    let mut check = Every::new(EVERY, || true);
    let r = q.pop_wait(qid, Wait::timeout(LONG).interruptible(&mut check));
    assert_eq!(r, Err(QueueError::Interrupted(qid)));
    q.try_push(I1, qid, 9, Replace).unwrap();
    let r = q.pop_wait(qid, Wait::forever().interruptible(&mut check));
    assert_eq!(r, Ok(Received::Item(9)), "an item present is taken first");
}

#[test]
fn a_tripped_token_ends_a_wait_from_another_thread() {
    let q = Arc::new(Queues::<u8>::new());
    let qid = q.create(0, QueueDefaults::default()).unwrap();
    let token = InterruptToken::new(EVERY);
    let (q2, mut t2) = (q.clone(), token.clone());
    let waiter = thread::spawn(move || q2.pop_wait(qid, Wait::forever().interruptible(&mut t2)));
    token.trip();
    assert_eq!(waiter.join().unwrap(), Err(QueueError::Interrupted(qid)));
    assert!(token.is_tripped());
    token.reset();
    assert!(!token.is_tripped());
}
