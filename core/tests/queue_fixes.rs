//! Where we deliberately differ from CPython 3.13 (its bugs, reference
//! §2.10), and the release / wake-up guarantees beyond the catalogue.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

#[path = "channel_common.rs"]
mod common;
#[path = "queue_common/mod.rs"]
mod qc;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use qc::{fresh, get, got, put_ops, Got, DEFAULTS};
use xikernel::__private::RING_LIMIT;
use xikernel::channel::UnboundOp::{Remove, Replace};
use xikernel::interp::{InterpId, MAIN};
use xikernel::queue::{QueueError::*, QueueId, Queues};
use xikernel::wait::Wait;

const SUB: InterpId = InterpId(1);

/// CPython 3.13 loses C here (its tail pointer dangles after A's REMOVE).
#[test]
fn remove_of_last_item_loses_no_later_put() {
    for maxsize in [0, 3, RING_LIMIT as i64 + 1] {
        let (q, l) = fresh();
        let qid = q.create(maxsize, DEFAULTS).unwrap();
        put_ops(&q, &l, qid, &[(MAIN, "A", Replace), (SUB, "B", Remove)]);
        q.clear_interpreter(SUB);
        assert_eq!(q.len(qid), Ok(1));
        put_ops(&q, &l, qid, &[(MAIN, "C", Replace)]);
        assert_eq!(q.len(qid), Ok(2));
        assert_eq!(get(&q, qid), Ok(Got::Item("A")));
        assert_eq!(get(&q, qid), Ok(Got::Item("C")));
        assert_eq!(q.len(qid), Ok(0));
        drop(q);
        l.assert_all_released_once();
    }
}

/// A REMOVE frees its place in a bounded queue at once.
#[test]
fn remove_frees_capacity() {
    // Filling the bounded list takes RING_LIMIT puts: too slow for Miri.
    let sizes: &[i64] = if cfg!(miri) {
        &[2]
    } else {
        &[2, RING_LIMIT as i64 + 1]
    };
    for &maxsize in sizes {
        let (q, l) = fresh();
        let qid = q.create(maxsize, DEFAULTS).unwrap();
        for _ in 0..maxsize {
            q.try_push(SUB, qid, l.item("s"), Remove).unwrap();
        }
        assert_eq!(q.is_full(qid), Ok(true));
        q.clear_interpreter(SUB);
        assert_eq!(q.is_full(qid), Ok(false));
        for _ in 0..maxsize {
            q.try_push(MAIN, qid, l.item("m"), Remove).unwrap();
        }
        assert_eq!(q.len(qid), Ok(maxsize as usize));
        drop(q);
        l.assert_all_released_once();
    }
}

#[test]
fn failed_puts_release_their_item() {
    let (q, l) = fresh();
    let qid = q.create(1, DEFAULTS).unwrap();
    put_ops(&q, &l, qid, &[(MAIN, "a", Replace)]);
    assert_eq!(
        q.try_push(MAIN, qid, l.item("b"), Replace)
            .map_err(|e| e.error()),
        Err(Full(qid))
    );
    assert_eq!(
        q.try_push(MAIN, QueueId(99), l.item("c"), Replace)
            .map_err(|e| e.error()),
        Err(NotFound(QueueId(99)))
    );
    assert_eq!(l.live(), 1);
    q.destroy(qid).unwrap();
    assert_eq!(l.live(), 0);
    l.assert_all_released_once();
}

#[test]
fn release_fn_sees_owner() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let q: Queues<u32> = Queues::new().with_release(Box::new(move |d, owner| {
        s2.lock().unwrap().push((d, owner))
    }));
    let qid = q.create(0, DEFAULTS).unwrap();
    q.try_push(SUB, qid, 7, Replace).unwrap();
    q.try_push(MAIN, qid, 8, Replace).unwrap();
    q.clear_interpreter(SUB);
    q.destroy(qid).unwrap();
    assert_eq!(*seen.lock().unwrap(), [(7, SUB), (8, MAIN)]);
}

#[test]
fn ids_exhausted() {
    let q: Queues<u32> = Queues::with_id_range(1, 2);
    q.create(0, DEFAULTS).unwrap();
    q.create(0, DEFAULTS).unwrap();
    let e = q.create(0, DEFAULTS).unwrap_err();
    assert_eq!(e, IdsExhausted);
    assert_eq!(e.to_string(), "ran out of queue IDs");
}

#[test]
fn huge_maxsize_allocates_nothing_up_front() {
    let q: Queues<u32> = Queues::new();
    let qid = q.create(i64::MAX, DEFAULTS).unwrap();
    q.try_push(MAIN, qid, 1, Replace).unwrap();
    assert_eq!(q.is_full(qid), Ok(false));
}

#[test]
fn blocked_get_woken_by_put_and_by_destroy() {
    let (q, l) = fresh();
    let q = Arc::new(q);
    let qid = q.create(0, DEFAULTS).unwrap();
    let q2 = q.clone();
    let h = thread::spawn(move || got(q2.pop_wait(qid, Wait::forever())));
    thread::sleep(Duration::from_millis(20));
    q.try_push(MAIN, qid, l.item("x"), Replace).unwrap();
    assert_eq!(h.join().unwrap(), Ok(Got::Item("x")));

    let q2 = q.clone();
    let h = thread::spawn(move || got(q2.pop_wait(qid, Wait::forever())));
    thread::sleep(Duration::from_millis(20));
    q.destroy(qid).unwrap();
    assert_eq!(h.join().unwrap(), Err(NotFound(qid)));
}

#[test]
fn blocked_put_woken_by_get_destroy_and_remove() {
    let (q, l) = fresh();
    let q = Arc::new(q);
    for how in 0..3 {
        let qid = q.create(1, DEFAULTS).unwrap();
        q.try_push(SUB, qid, l.item("a"), Remove).unwrap();
        let (q2, l2) = (q.clone(), l.clone());
        let h = thread::spawn(move || {
            q2.push_wait(MAIN, qid, l2.item("b"), Replace, Wait::forever())
                .map_err(|e| e.error())
        });
        thread::sleep(Duration::from_millis(20));
        match how {
            0 => drop(q.try_pop(qid).unwrap()),
            1 => q.destroy(qid).unwrap(),
            _ => q.clear_interpreter(SUB),
        }
        let expect = if how == 1 { Err(NotFound(qid)) } else { Ok(()) };
        assert_eq!(h.join().unwrap(), expect);
    }
    drop(q);
    l.assert_all_released_once();
}

#[test]
fn fractional_timeouts_are_honoured() {
    let (q, _l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    let t0 = Instant::now();
    assert_eq!(
        got(q.pop_wait(qid, Wait::timeout(Duration::from_millis(150)))),
        Err(Timeout(qid))
    );
    // Not truncated to 0 s as CPython's wrapper does. No upper bound: the
    // machine may be slow.
    assert!(t0.elapsed() >= Duration::from_millis(150));
}

#[test]
fn handle_skips_lookup_and_sees_destroy() {
    let q: Queues<u32> = Queues::new();
    let qid = q.create(0, DEFAULTS).unwrap();
    let h = q.handle(qid).unwrap();
    h.try_push(MAIN, 5, Replace).unwrap();
    assert!(matches!(
        h.try_pop(),
        Ok(xikernel::channel::Received::Item(5))
    ));
    q.release(qid).unwrap(); // the handle's binding: destroys it
    assert_eq!(h.try_pop().map(|_| ()), Err(NotFound(qid)));
    let e = h.try_push(MAIN, 6, Replace).unwrap_err();
    assert_eq!(e.error(), NotFound(qid));
    assert_eq!(e.into_inner(), 6, "the item comes back");
    drop(h); // its binding is gone already: nothing to release
}

#[test]
fn dropping_a_handle_releases_its_binding() {
    let q: Queues<u32> = Queues::new();
    let qid = q.create(0, DEFAULTS).unwrap();
    q.bind(qid).unwrap();
    let h = q.handle(qid).unwrap();
    drop(h);
    assert_eq!(q.len(qid), Ok(0), "one binding left: alive");
    q.release(qid).unwrap();
    assert_eq!(
        q.len(qid),
        Err(NotFound(qid)),
        "the last release destroyed it"
    );
}

#[test]
fn close_drains_then_reports_closed() {
    let (q, l) = fresh();
    let qid = q.create(3, DEFAULTS).unwrap();
    q.try_push(MAIN, qid, l.item("a"), Replace).unwrap();
    q.try_push(SUB, qid, l.item("b"), Remove).unwrap();
    assert_eq!(q.close(qid), Ok(true));
    assert_eq!(q.close(qid), Ok(false));
    let e = q.try_push(MAIN, qid, l.item("late"), Replace).unwrap_err();
    assert_eq!(e.error(), Closed(qid));
    assert_eq!(e.into_inner().tag, "late");
    // An interpreter destroyed after the close still has its items unbound.
    q.clear_interpreter(SUB);
    assert_eq!(got(q.try_pop(qid)), Ok(Got::Item("a")));
    assert_eq!(got(q.try_pop(qid)), Err(Closed(qid)));
    assert_eq!(q.is_closed(qid), Ok(true));
    drop(q);
    l.assert_all_released_once();
}

#[test]
fn finalisation_releases_through_the_release_fn() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let q: Queues<u32> = Queues::new().with_release(Box::new(move |d, owner| {
        s2.lock().unwrap().push((d, owner))
    }));
    let qid = q.create(2, DEFAULTS).unwrap();
    q.try_push(SUB, qid, 1, Replace).unwrap();
    drop(q);
    assert_eq!(*seen.lock().unwrap(), [(1, SUB)]);
}
