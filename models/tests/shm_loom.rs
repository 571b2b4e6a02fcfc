#![cfg(feature = "loom")]
//! loom models of the shared-memory queue (`xikernel-ipc`), threads
//! standing in for processes: FIFO per producer, full/empty, close/drain,
//! lost wake-ups, and crash points — a participant that stops forever at
//! each step of push and of pop in turn, after which the others finish and
//! the invariants hold.
//!
//! The data area is one loom cell per 8-byte word: a read racing a write
//! (say, a tail published before the copy) is reported by loom itself.
//! Waits are untimed under loom, so a lost wake-up leaves a thread asleep
//! forever and loom reports a deadlock; a dead participant's slice expiry
//! is modelled by its death waking every sleeper (see `model.rs`).
//!
//! Capacity 32 bytes: two records of up to 8 payload bytes.

mod shm_common;

use loom::thread;
use shm_common::*;
use xikernel_ipc::__private::{ModelSegment, Raw, Step};
use xikernel_ipc::{PopError, PushError};
use xikernel_models::loom_model;

/// Two producers (one blocking on a full ring), one consumer: everything
/// arrives once, in order per producer.
#[test]
fn fifo_per_producer_and_no_lost_wakeup() {
    loom_model(|| {
        let seg = ModelSegment::new(32, 2, 3);
        let (a, b) = (handle(&seg, 0, None), handle(&seg, 1, None));
        let pa = thread::spawn(move || {
            push(&a, &msg(0, 0)).unwrap();
            push(&a, &msg(0, 1)).unwrap();
        });
        let pb = thread::spawn(move || push(&b, &msg(1, 0)).unwrap());
        let c = handle(&seg, 2, None);
        let got: Vec<_> = (0..3).map(|_| pop(&c).unwrap()).collect();
        pa.join().unwrap();
        pb.join().unwrap();
        assert_fifo(&got);
        assert_eq!(try_pop(&c), Err(Raw::Err(PopError::Empty)));
    });
}

/// A blocked push is woken by a pop (the not-full wake-up).
#[test]
fn blocked_push_woken_by_pop() {
    loom_model(|| {
        let seg = ModelSegment::new(32, 1, 2);
        let p = handle(&seg, 0, None);
        try_push(&p, &msg(0, 0)).unwrap();
        let t = thread::spawn(move || push(&p, &msg(0, 1)).unwrap());
        let c = handle(&seg, 1, None);
        assert_eq!(decode(&pop(&c).unwrap()), (0, 0));
        t.join().unwrap();
        assert_eq!(decode(&try_pop(&c).unwrap()), (0, 1));
    });
}

/// Full and empty as single attempts racing each other (max one item).
#[test]
fn full_and_empty() {
    loom_model(|| {
        let seg = ModelSegment::new(32, 1, 3);
        let (a, b) = (handle(&seg, 0, None), handle(&seg, 1, None));
        let ta = thread::spawn(move || try_push(&a, &msg(0, 0)));
        let tb = thread::spawn(move || try_push(&b, &msg(1, 0)));
        let c = handle(&seg, 2, None);
        let popped = try_pop(&c);
        let (ra, rb) = (ta.join().unwrap(), tb.join().unwrap());
        let pushed = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
        let fulls = [&ra, &rb]
            .iter()
            .filter(|r| **r == &Err(Raw::Err(PushError::Full)))
            .count();
        assert_eq!(pushed + fulls, 2);
        let (rest, _) = drain(&c);
        let taken = usize::from(popped.is_ok()) + rest.len();
        assert_eq!(taken, pushed, "every push taken once");
        // Full only if the one slot was held at that moment.
        if fulls == 2 {
            panic!("both pushes saw a full queue of one slot");
        }
        if let Err(e) = popped {
            assert_eq!(e, Raw::Err(PopError::Empty));
        }
    });
}

/// Close races a blocked pop and a push: the pop drains what was pushed
/// before the close, then sees `Closed` (never sleeps forever).
#[test]
fn close_wakes_and_drains() {
    loom_model(|| {
        let seg = ModelSegment::new(32, 2, 3);
        let c = handle(&seg, 0, None);
        let consumer = thread::spawn(move || {
            let mut got = Vec::new();
            loop {
                match pop(&c) {
                    Ok(m) => got.push(m),
                    Err(e) => return (got, e),
                }
            }
        });
        let p = handle(&seg, 1, None);
        let producer = thread::spawn(move || try_push(&p, &msg(0, 0)));
        let closer = handle(&seg, 2, None);
        closer.close(&mut xikernel_ipc::Wait::forever()).unwrap();
        let pushed = producer.join().unwrap();
        let (got, end) = consumer.join().unwrap();
        assert_eq!(end, Raw::Err(PopError::Closed));
        match pushed {
            Ok(()) => assert_eq!(got, vec![msg(0, 0)]),
            Err(e) => {
                assert_eq!(e, Raw::Err(PushError::Closed));
                assert!(got.is_empty());
            }
        }
    });
}

/// A producer crashes at `step` of pushing V while another producer
/// pushes A and a consumer waits for A: A arrives exactly once; V arrives
/// exactly once if the crash came after its publishing store, never
/// otherwise, and never torn; afterwards the queue works.
fn producer_crash(step: Step) {
    loom_model(move || {
        let seg = ModelSegment::new(32, 2, 4);
        let victim = handle(&seg, 0, Some(step));
        let other = handle(&seg, 1, None);
        let v = thread::spawn(move || push(&victim, &msg(0, 0)));
        let o = thread::spawn(move || push(&other, &msg(1, 0)));
        let c = handle(&seg, 2, None);
        let mut got = vec![];
        while got.last().map(|m: &Vec<u8>| decode(m)) != Some((1, 0)) {
            got.push(pop(&c).unwrap());
        }
        assert_eq!(v.join().unwrap(), Err(Raw::Crashed));
        o.join().unwrap().unwrap();
        assert!(seg.is_dead(0));
        let after = handle(&seg, 3, None);
        let (rest, _) = drain(&after);
        got.extend(rest);
        let v_count = got.iter().filter(|m| decode(m) == (0, 0)).count();
        assert_eq!(got.iter().filter(|m| decode(m) == (1, 0)).count(), 1);
        assert_eq!(
            v_count,
            usize::from(push_published(step)),
            "{step:?}: {got:?}"
        );
        // Both locks usable by the survivors.
        try_push(&after, &msg(3, 0)).unwrap();
        assert_eq!(decode(&try_pop(&after).unwrap()), (3, 0));
    });
}

/// A consumer crashes at `step` of popping one of two queued messages
/// while a second consumer pops one (waiting for the victim's lock, which
/// it must take over) and a producer adds a third: nothing is duplicated
/// or torn; exactly one message is lost if the crash came after the
/// victim's taking store, none otherwise; afterwards the queue works.
fn consumer_crash(step: Step) {
    loom_model(move || {
        let seg = ModelSegment::new(32, 2, 4);
        let setup = handle(&seg, 3, None);
        try_push(&setup, &msg(0, 0)).unwrap();
        try_push(&setup, &msg(0, 1)).unwrap();
        let victim = handle(&seg, 0, Some(step));
        let v = thread::spawn(move || try_pop(&victim));
        let c2 = handle(&seg, 1, None);
        let c2 = thread::spawn(move || pop(&c2).unwrap());
        let p = handle(&seg, 2, None);
        push(&p, &msg(1, 0)).unwrap();
        // The victim always finds a message (three pushed, one taken by
        // the second consumer), so it always reaches its crash point.
        assert_eq!(v.join().unwrap(), Err(Raw::Crashed));
        let mut got = vec![c2.join().unwrap()];
        got.extend(drain(&setup).0);
        let mut ids: Vec<_> = got.iter().map(|m| decode(m)).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), got.len(), "duplicated: {got:?}");
        assert_eq!(
            got.len(),
            3 - usize::from(pop_taken(step)),
            "{step:?}: {got:?}"
        );
        try_push(&setup, &msg(3, 0)).unwrap();
        assert_eq!(decode(&try_pop(&setup).unwrap()), (3, 0));
    });
}

#[test]
fn crash_push_locked() {
    producer_crash(Step::PushLocked);
}

#[test]
fn crash_push_half_copied() {
    producer_crash(Step::PushHalfCopied);
}

#[test]
fn crash_push_copied() {
    producer_crash(Step::PushCopied);
}

#[test]
fn crash_push_published() {
    producer_crash(Step::PushPublished);
}

#[test]
fn crash_push_unlocked() {
    producer_crash(Step::PushUnlocked);
}

#[test]
fn crash_pop_locked() {
    consumer_crash(Step::PopLocked);
}

#[test]
fn crash_pop_copied() {
    consumer_crash(Step::PopCopied);
}

#[test]
fn crash_pop_published() {
    consumer_crash(Step::PopPublished);
}

#[test]
fn crash_pop_unlocked() {
    consumer_crash(Step::PopUnlocked);
}
