//! ring: Ring<T> behaves exactly like the reference RefRing (try_push, force_push, pop, close, len, full) at every capacity, and drops every item exactly once

#![cfg(not(feature = "shuttle"))] // std threads and types; the shuttle runs are `lin-shuttle`
mod common;

use common::{all_dropped_once, same_refusal, Ledger};
use proptest::prelude::*;
use xikernel::Ring;
use xikernel_verify::reference::ring::RefRing;

#[derive(Clone, Copy, Debug)]
enum Op {
    Push,
    ForcePush,
    Pop,
    Close,
    Observe,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => Just(Op::Push),
        4 => Just(Op::ForcePush),
        10 => Just(Op::Pop),
        1 => Just(Op::Close),
        3 => Just(Op::Observe),
    ]
}

fn run(capacity: usize, ops: &[Op]) -> Result<(), TestCaseError> {
    let ledger = Ledger::new();
    let ring = Ring::new(capacity);
    let mut model = RefRing::new(capacity);
    prop_assert_eq!(ring.capacity(), model.capacity());
    for &op in ops {
        match op {
            Op::Push => {
                let item = ledger.make();
                let id = item.id;
                match (ring.try_push(item), model.try_push(id)) {
                    (Ok(()), Ok(())) => {}
                    (Err(r), Err(m)) => same_refusal(r, m)?,
                    (r, m) => {
                        return Err(TestCaseError::fail(format!(
                            "push {id}: ring {r:?}, model {m:?}"
                        )))
                    }
                }
            }
            Op::ForcePush => {
                let item = ledger.make();
                let id = item.id;
                match (ring.force_push(item), model.force_push(id)) {
                    (Ok(r), Ok(m)) => prop_assert_eq!(r.map(|t| t.id), m),
                    (Err(r), Err(m)) => same_refusal(r, m)?,
                    (r, m) => {
                        let r = r.map(|e| e.map(|t| t.id));
                        return Err(TestCaseError::fail(format!(
                            "force_push {id}: ring {r:?}, model {m:?}"
                        )));
                    }
                }
            }
            Op::Pop => prop_assert_eq!(ring.try_pop().map(|t| t.id), model.try_pop()),
            Op::Close => prop_assert_eq!(ring.close(), model.close()),
            Op::Observe => {
                prop_assert_eq!(ring.len(), model.len());
                prop_assert_eq!(ring.is_empty(), model.is_empty());
                prop_assert_eq!(ring.is_full(), model.is_full());
                prop_assert_eq!(ring.is_closed(), model.is_closed());
            }
        }
    }
    all_dropped_once(ring, &ledger)
}

proptest! {
    #[test]
    fn ring_matches_reference(capacity in prop_oneof![1usize..5, 5usize..70], ops in proptest::collection::vec(op(), 0..300)) {
        run(capacity, &ops)?;
    }
}

#[test]
fn zero_capacity_is_refused_by_both() {
    assert!(Ring::<u32>::try_new(0).is_none());
    assert!(RefRing::<u32>::try_new(0).is_none());
}
