//! proptest conformance: random sequences of queue operations from several
//! simulated interpreters, run against the kernel (`Queues`) and the
//! sequential reference (`xikernel_verify::reference::queue`). After every
//! step the results, the tokens released, and the observable state
//! (`list_all`, per queue `get_count` / `is_full` / `get_maxsize`) agree.
//! Both backings are exercised: small `maxsize` (ring), 0 / negative
//! (unbounded list) and above `RING_LIMIT` (bounded list).

#![cfg(not(feature = "shuttle"))] // std threads and types; the shuttle runs are `lin-shuttle`

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use xikernel::__private::RING_LIMIT;
use xikernel::channel::{Received, UnboundOp};
use xikernel::interp::InterpId;
use xikernel::queue::{QueueDefaults, QueueError, QueueId, Queues};
use xikernel::wait::Wait;
use xikernel_verify::reference::queue::{RefGot, RefQueues};

/// A kernel item: a token that logs its drop.
struct Token(u64, Arc<Mutex<Vec<u64>>>);

impl Drop for Token {
    fn drop(&mut self) {
        self.1.lock().unwrap().push(self.0);
    }
}

const INTERPS: u64 = 3;
const QUEUE_IDS: u64 = 4;

#[derive(Clone, Debug)]
enum Op {
    Create(i64, UnboundOp),
    Destroy(u64),
    Put(u64, u64, UnboundOp),
    PutWaitZero(u64, u64, UnboundOp),
    Get(u64),
    GetWaitZero(u64),
    Bind(u64),
    Release(u64),
    ClearInterpreter(u64),
}

fn unbound() -> impl Strategy<Value = UnboundOp> {
    prop_oneof![
        Just(UnboundOp::Remove),
        Just(UnboundOp::Error),
        Just(UnboundOp::Replace)
    ]
}

fn maxsize() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0i64), Just(-3), 1i64..4, Just(RING_LIMIT as i64 + 1),]
}

fn op() -> impl Strategy<Value = Op> {
    let i = 0..INTERPS;
    let q = 1..=QUEUE_IDS;
    prop_oneof![
        2 => (maxsize(), unbound()).prop_map(|(m, u)| Op::Create(m, u)),
        1 => q.clone().prop_map(Op::Destroy),
        8 => (i.clone(), q.clone(), unbound()).prop_map(|(i, q, u)| Op::Put(i, q, u)),
        1 => (i.clone(), q.clone(), unbound()).prop_map(|(i, q, u)| Op::PutWaitZero(i, q, u)),
        6 => q.clone().prop_map(Op::Get),
        1 => q.clone().prop_map(Op::GetWaitZero),
        2 => q.clone().prop_map(Op::Bind),
        2 => q.prop_map(Op::Release),
        2 => i.prop_map(Op::ClearInterpreter),
    ]
}

fn got(r: Received<Token>) -> RefGot {
    match r {
        Received::Item(t) => RefGot::Token(t.0),
        Received::Unbound(op) => RefGot::Unbound(op),
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let kernel: Queues<Token> = Queues::new();
    let mut model = RefQueues::default();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut next = 0u64;
    let zero = Some(Duration::ZERO);
    for op in ops {
        log.lock().unwrap().clear();
        match op {
            Op::Create(m, u) => {
                let d = QueueDefaults { fmt: 7, unbound: u };
                prop_assert_eq!(kernel.create(m, d), Ok(model.create(m, d)));
            }
            Op::Destroy(q) => {
                prop_assert_eq!(kernel.destroy(QueueId(q)), model.destroy(QueueId(q)))
            }
            Op::Put(i, q, u) | Op::PutWaitZero(i, q, u) => {
                next += 1;
                let t = Token(next, log.clone());
                let (who, qid) = (InterpId(i), QueueId(q));
                let waits = !matches!(op, Op::Put(..));
                let k = if waits {
                    kernel.push_wait(who, qid, t, u, Wait::from(zero))
                } else {
                    kernel.try_push(who, qid, t, u)
                };
                // A refused item comes back; dropping it here counts as
                // the release the model records.
                let k = k.map_err(|e| e.error());
                let m = match model.put(who, qid, next, u) {
                    // A zero-timeout blocking put times out instead.
                    Err(QueueError::Full(q)) if waits => Err(QueueError::Timeout(q)),
                    m => m,
                };
                prop_assert_eq!(k, m);
            }
            Op::Get(q) | Op::GetWaitZero(q) => {
                let waits = !matches!(op, Op::Get(_));
                let k = if waits {
                    kernel.pop_wait(QueueId(q), Wait::from(zero))
                } else {
                    kernel.try_pop(QueueId(q))
                };
                // Compare before the delivered token is dropped (a
                // delivered token is not "released by the kernel").
                let k = k.map(got);
                let m = match model.get(QueueId(q)) {
                    // A zero-timeout blocking get times out instead.
                    Err(QueueError::Empty(q)) if waits => Err(QueueError::Timeout(q)),
                    m => m,
                };
                prop_assert_eq!(k, m);
                log.lock().unwrap().clear();
            }
            Op::Bind(q) => prop_assert_eq!(kernel.bind(QueueId(q)), model.bind(QueueId(q))),
            Op::Release(q) => {
                prop_assert_eq!(kernel.release(QueueId(q)), model.release(QueueId(q)))
            }
            Op::ClearInterpreter(i) => {
                kernel.clear_interpreter(InterpId(i));
                model.clear_interpreter(InterpId(i));
            }
        }
        let mut released = std::mem::take(&mut *log.lock().unwrap());
        released.sort_unstable();
        let mut expected = model.released.clone();
        expected.sort_unstable();
        prop_assert_eq!(released, expected, "released tokens differ after {:?}", op);
        prop_assert_eq!(kernel.list_all(), model.list_all());
        for q in 1..=QUEUE_IDS {
            let qid = QueueId(q);
            prop_assert_eq!(kernel.len(qid), model.len(qid));
            prop_assert_eq!(kernel.is_full(qid), model.is_full(qid));
            prop_assert_eq!(kernel.maxsize(qid), model.maxsize(qid));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn kernel_matches_reference(ops in prop::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}
