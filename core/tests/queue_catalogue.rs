//! The kernel-level queue cases of the behavioural catalogue
//! (`cpython-xi-semantics.md` §6.1-§6.3), one test per case, named
//! `q<NN>_<upstream test>`. Interpreters are simulated by ids; "destroying"
//! one is `clear_interpreter` (`interp_lifecycle.rs` does it through the
//! interpreter registry). Cases that need a Python runtime are listed in
//! `docs/queues.md` with the reason.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

#[path = "channel_common.rs"]
mod common;
#[path = "queue_common/mod.rs"]
mod qc;

use std::thread;
use std::time::Duration;

use qc::{fresh, get, put_ops, Got, DEFAULTS};
use xikernel::channel::UnboundOp::{Error as UError, Remove, Replace};
use xikernel::interp::{InterpId, MAIN};
use xikernel::queue::{resolve, QueueError::*, QueueErrorClass, QueueId};
use xikernel::wait::Wait;

const SUB: InterpId = InterpId(1);
const SUB2: InterpId = InterpId(2);

#[test]
fn q02_create_destroy() {
    let (q, l) = fresh();
    let qid = q.create(2, DEFAULTS).unwrap();
    assert_eq!(qid, QueueId(1), "ids start at 1");
    q.destroy(qid).unwrap();
    assert!(q.list_all().is_empty());
    assert_eq!(get(&q, qid), Err(NotFound(qid)));
    assert_eq!(q.destroy(qid), Err(NotFound(qid)));
    assert_eq!(q.create(2, DEFAULTS).unwrap(), QueueId(2), "never reused");
    l.assert_all_released_once();
}

#[test]
fn q03_not_destroyed() {
    // Dropping the registry (runtime finalisation) releases what is left,
    // silently.
    let (q, l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    put_ops(&q, &l, qid, &[(MAIN, "a", Replace), (SUB, "b", Remove)]);
    drop(q);
    assert_eq!(l.live(), 0);
    l.assert_all_released_once();
}

#[test]
fn q04_bind_release_typical() {
    let (q, _l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    q.bind(qid).unwrap();
    q.release(qid).unwrap();
    assert_eq!(q.len(qid), Err(NotFound(qid)));
    assert!(q.list_all().is_empty());
}

#[test]
fn q05_bind_too_much() {
    let (q, _l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    q.bind(qid).unwrap();
    q.bind(qid).unwrap();
    q.release(qid).unwrap();
    q.destroy(qid).unwrap();
    assert!(q.list_all().is_empty());
}

#[test]
fn q06_bind_release_nested() {
    let (q, _l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    q.bind(qid).unwrap();
    q.bind(qid).unwrap();
    q.release(qid).unwrap();
    assert_eq!(q.len(qid), Ok(0), "one binding left");
    q.release(qid).unwrap();
    assert!(q.list_all().is_empty());
}

#[test]
fn q07_release_without_binding() {
    let (q, _l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    let e = q.release(qid).unwrap_err();
    assert_eq!(e, NeverBound(qid));
    assert_eq!(e.class(), QueueErrorClass::QueueError);
    assert_eq!(e.to_string(), "queue 1 never bound");
}

#[test]
fn q08_create_maxsize_verbatim() {
    let (q, _l) = fresh();
    for m in [0, 3, 100, -10] {
        let qid = q.create(m, DEFAULTS).unwrap();
        assert_eq!(q.maxsize(qid), Ok(m));
        assert_eq!(q.defaults(qid), Ok(DEFAULTS));
    }
    // list_all: newest first, with defaults.
    let ids: Vec<u64> = q.list_all().iter().map(|(id, _)| id.0).collect();
    assert_eq!(ids, [4, 3, 2, 1]);
}

#[test]
fn q10_id_type() {
    let (q, _l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    let _: u64 = qid.0;
}

#[test]
fn q11_custom_id() {
    let (q, _l) = fresh();
    let e = get(&q, QueueId(1_000_000)).unwrap_err();
    assert_eq!(e.to_string(), "queue 1000000 not found");
    assert_eq!(e.class(), QueueErrorClass::QueueNotFoundError);
}

#[test]
fn q14_empty() {
    let (q, l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    assert_eq!(q.len(qid), Ok(0));
    put_ops(&q, &l, qid, &[(MAIN, "a", Replace)]);
    assert_eq!(q.len(qid), Ok(1));
    assert_eq!(get(&q, qid), Ok(Got::Item("a")));
    assert_eq!(q.len(qid), Ok(0));
}

#[test]
fn q15_full() {
    let (q, l) = fresh();
    let qid = q.create(3, DEFAULTS).unwrap();
    let mut seen = vec![];
    for tag in ["a", "b", "c"] {
        seen.push(q.is_full(qid).unwrap());
        put_ops(&q, &l, qid, &[(MAIN, tag, Replace)]);
    }
    seen.push(q.is_full(qid).unwrap());
    for _ in 0..3 {
        get(&q, qid).unwrap();
        seen.push(q.is_full(qid).unwrap());
    }
    assert_eq!(seen, [false, false, false, true, false, false, false]);
    // Unbounded queues are never full (CPython 3.13.0 says they are).
    for m in [0, -1] {
        let qid = q.create(m, DEFAULTS).unwrap();
        assert_eq!(q.is_full(qid), Ok(false));
    }
}

#[test]
fn q16_qsize() {
    let (q, l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    let mut sizes = vec![q.len(qid).unwrap()];
    let mut step = |put: bool| {
        if put {
            q.try_push(MAIN, qid, l.item("x"), Replace).unwrap();
        } else {
            get(&q, qid).unwrap();
        }
        sizes.push(q.len(qid).unwrap());
    };
    for put in [
        true, true, true, false, true, false, false, false, true, false,
    ] {
        step(put);
    }
    assert_eq!(sizes, [0, 1, 2, 3, 2, 3, 2, 1, 0, 1, 0]);
}

#[test]
fn q17_put_get_main_fifo() {
    let (q, l) = fresh();
    const TAGS: [&str; 20] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
        "17", "18", "19",
    ];
    for maxsize in [0, 20, 5000] {
        let qid = q.create(maxsize, DEFAULTS).unwrap();
        for t in TAGS {
            put_ops(&q, &l, qid, &[(MAIN, t, Replace)]);
        }
        for t in TAGS {
            assert_eq!(get(&q, qid), Ok(Got::Item(t)));
        }
    }
    l.assert_all_released_once();
}

#[test]
fn q18_put_timeout() {
    let (q, l) = fresh();
    let qid = q.create(2, DEFAULTS).unwrap();
    put_ops(&q, &l, qid, &[(MAIN, "a", Replace), (MAIN, "b", Replace)]);
    let t = Duration::from_millis(100);
    assert_eq!(
        q.push_wait(MAIN, qid, l.item("c"), Replace, Wait::timeout(t))
            .map_err(|e| e.error()),
        Err(Timeout(qid))
    );
    get(&q, qid).unwrap();
    q.push_wait(MAIN, qid, l.item("c"), Replace, Wait::timeout(t))
        .unwrap();
    drop(q);
    l.assert_all_released_once();
}

#[test]
fn q19_put_nowait() {
    let (q, l) = fresh();
    // The bounded list (maxsize > RING_LIMIT) takes 10k puts: too slow for
    // Miri, which still checks the ring case.
    let sizes: &[i64] = if cfg!(miri) { &[2] } else { &[2, 10_000] };
    for &maxsize in sizes {
        let qid = q.create(maxsize, DEFAULTS).unwrap();
        for _ in 0..maxsize {
            q.try_push(MAIN, qid, l.item("x"), Replace).unwrap();
        }
        let e = q
            .try_push(MAIN, qid, l.item("y"), Replace)
            .unwrap_err()
            .error();
        assert_eq!(e, Full(qid));
        assert_eq!(e.class(), QueueErrorClass::QueueFull);
        get(&q, qid).unwrap();
        q.try_push(MAIN, qid, l.item("y"), Replace).unwrap();
    }
    drop(q);
    l.assert_all_released_once();
}

#[test]
fn q22_get_timeout_and_nowait() {
    let (q, _l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    let t = Duration::from_millis(100);
    assert_eq!(got(q.pop_wait(qid, Wait::timeout(t))), Err(Timeout(qid)));
    let e = get(&q, qid).unwrap_err();
    assert_eq!(e.class(), QueueErrorClass::QueueEmpty);
    assert_eq!(e.to_string(), "queue 1 is empty");
}

use qc::got;

#[test]
fn q27_cleared_default_unbound() {
    let (q, l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    put_ops(&q, &l, qid, &[(SUB, "spam", Replace)]);
    q.clear_interpreter(SUB);
    assert_eq!(l.live(), 0, "data released at the destroy");
    assert_eq!(q.len(qid), Ok(1));
    assert_eq!(get(&q, qid), Ok(Got::Unbound(Replace)));
    assert_eq!(q.len(qid), Ok(0));
    assert_eq!(get(&q, qid), Err(Empty(qid)));
}

#[test]
fn q28_cleared_unbound_error() {
    let (q, l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    put_ops(&q, &l, qid, &[(SUB, "spam", UError)]);
    q.clear_interpreter(SUB);
    assert_eq!(q.len(qid), Ok(1));
    let r = resolve(qid, q.try_pop(qid).unwrap());
    assert_eq!(r.map(|_| ()), Err(ItemInterpreterDestroyed(qid)));
    assert_eq!(q.len(qid), Ok(0));
    assert_eq!(get(&q, qid), Err(Empty(qid)));
}

#[test]
fn q29_cleared_unbound_remove() {
    let (q, l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    put_ops(&q, &l, qid, &[(SUB, "spam", Remove), (SUB, "eggs", Remove)]);
    q.clear_interpreter(SUB);
    assert_eq!(q.len(qid), Ok(0));
    put_ops(
        &q,
        &l,
        qid,
        &[
            (MAIN, "ham", Remove),
            (SUB2, "spam", Remove),
            (SUB2, "eggs", Remove),
            (MAIN, "42", Remove),
        ],
    );
    q.clear_interpreter(SUB2);
    assert_eq!(q.len(qid), Ok(2));
    assert_eq!(get(&q, qid), Ok(Got::Item("ham")));
    assert_eq!(get(&q, qid), Ok(Got::Item("42")));
    assert_eq!(get(&q, qid), Err(Empty(qid)));
    l.assert_all_released_once();
}

#[test]
fn q30_cleared_mixed() {
    let (q, l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    let ops = [Replace, UError, Replace, Remove, Replace];
    for (i, op) in ops.into_iter().enumerate() {
        put_ops(&q, &l, qid, &[(SUB, ["a", "b", "c", "d", "e"][i], op)]);
    }
    assert_eq!(q.len(qid), Ok(5));
    q.clear_interpreter(SUB);
    assert_eq!(q.len(qid), Ok(4));
    let seq: Vec<_> = (0..4).map(|_| get(&q, qid).unwrap()).collect();
    assert_eq!(
        seq,
        [
            Got::Unbound(Replace),
            Got::Unbound(UError),
            Got::Unbound(Replace),
            Got::Unbound(Replace)
        ]
    );
    l.assert_all_released_once();
}

#[test]
fn q31_cleared_multiple() {
    let (q, l) = fresh();
    let qid = q.create(0, DEFAULTS).unwrap();
    let (i1, i2) = (SUB, SUB2);
    put_ops(
        &q,
        &l,
        qid,
        &[
            (i1, "1", Replace),
            (i2, "2", UError),
            (i1, "3", Replace),
            (i2, "4", Replace),
            (i1, "5", Remove),
            (i2, "6", Replace),
            (i1, "7", UError),
            (i2, "8", Replace),
            (i1, "9", Remove),
            (i2, "10", Remove),
        ],
    );
    assert_eq!(q.len(qid), Ok(10));
    assert_eq!(get(&q, qid), Ok(Got::Item("1")));
    assert_eq!(get(&q, qid), Ok(Got::Item("2")));
    assert_eq!(q.len(qid), Ok(8));
    q.clear_interpreter(i1);
    assert_eq!(q.len(qid), Ok(6));
    assert_eq!(get(&q, qid), Ok(Got::Unbound(Replace))); // 3
    assert_eq!(get(&q, qid), Ok(Got::Item("4")));
    assert_eq!(q.len(qid), Ok(4));
    q.clear_interpreter(i2);
    assert_eq!(q.len(qid), Ok(3));
    assert_eq!(get(&q, qid), Ok(Got::Unbound(Replace))); // 6
    assert_eq!(get(&q, qid), Ok(Got::Unbound(UError))); // 7
    assert_eq!(get(&q, qid), Ok(Got::Unbound(Replace))); // 8
    assert_eq!(get(&q, qid), Err(Empty(qid)));
    l.assert_all_released_once();
}

#[test]
fn q32_put_get_different_threads() {
    let (q, l) = fresh();
    let q = std::sync::Arc::new(q);
    let qid = q.create(0, DEFAULTS).unwrap();
    let q2 = q.clone();
    let consumer = thread::spawn(move || {
        (0..100)
            .map(|_| got(q2.pop_wait(qid, Wait::forever())).unwrap())
            .collect::<Vec<_>>()
    });
    for _ in 0..100 {
        q.try_push(SUB, qid, l.item("x"), Replace).unwrap();
    }
    assert_eq!(consumer.join().unwrap(), vec![Got::Item("x"); 100]);
    l.assert_all_released_once();
}
