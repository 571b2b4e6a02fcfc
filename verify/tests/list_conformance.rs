//! list: List<T> behaves exactly like the reference RefList on any sequence of operations, and drops every item exactly once

#![cfg(not(feature = "shuttle"))] // std threads and types; the shuttle runs are `lin-shuttle`

mod common;

use common::{all_dropped_once, same_refusal, Ledger, Tracked};
use proptest::prelude::*;
use xikernel::List;
use xikernel_verify::reference::list::RefList;

#[derive(Clone, Copy, Debug)]
enum Op {
    Push,
    /// Push this many (crosses the list's block boundaries quickly).
    PushMany(u8),
    Pop,
    Close,
    Observe,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => Just(Op::Push),
        2 => (0u8..80).prop_map(Op::PushMany),
        10 => Just(Op::Pop),
        1 => Just(Op::Close),
        3 => Just(Op::Observe),
    ]
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let ledger = Ledger::new();
    let list = List::new();
    let mut model = RefList::new();
    let push = |list: &List<Tracked>, model: &mut RefList<u32>| -> Result<(), TestCaseError> {
        let item = ledger.make();
        let id = item.id;
        match (list.try_push(item), model.try_push(id)) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(r), Err(m)) => same_refusal(r, m),
            (r, m) => Err(TestCaseError::fail(format!(
                "push {id}: list {r:?}, model {m:?}"
            ))),
        }
    };
    for &op in ops {
        match op {
            Op::Push => push(&list, &mut model)?,
            Op::PushMany(n) => {
                for _ in 0..n {
                    push(&list, &mut model)?;
                }
            }
            Op::Pop => {
                let real = list.try_pop().map(|t| t.id);
                prop_assert_eq!(real, model.try_pop());
            }
            Op::Close => prop_assert_eq!(list.close(), model.close()),
            Op::Observe => {
                prop_assert_eq!(list.len(), model.len());
                prop_assert_eq!(list.is_empty(), model.is_empty());
                prop_assert_eq!(list.is_closed(), model.is_closed());
            }
        }
    }
    all_dropped_once(list, &ledger)
}

proptest! {
    #[test]
    fn list_matches_reference(ops in proptest::collection::vec(op(), 0..300)) {
        run(&ops)?;
    }
}

#[test]
fn drop_accounting_sees_a_leak() {
    // The ledger itself must be able to fail: a forgotten item is reported.
    let ledger = Ledger::new();
    let item = ledger.make();
    std::mem::forget(item);
    assert_eq!(ledger.not_dropped_once(), vec![(0, 0)]);
}
