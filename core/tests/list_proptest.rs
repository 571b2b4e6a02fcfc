//! `List` against a `VecDeque` reference, including close.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::collections::VecDeque;

use proptest::prelude::*;
use xikernel::List;
use xikernel::{PopError, PushError};

#[derive(Debug, Clone)]
enum Op {
    Push(u32),
    /// Push this many values at once (crosses 31-slot blocks quickly).
    PushMany(u8),
    Pop,
    /// Pop up to this many values.
    PopMany(u8),
    Close,
}

/// Miri is ~1000x slower: fewer, shorter cases there.
const MAX_OPS: usize = if cfg!(miri) { 30 } else { 200 };

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => any::<u32>().prop_map(Op::Push),
        3 => any::<u8>().prop_map(Op::PushMany),
        10 => Just(Op::Pop),
        3 => any::<u8>().prop_map(Op::PopMany),
        1 => Just(Op::Close),
    ]
}

/// The reference: a deque and a closed flag.
#[derive(Default)]
struct Model {
    items: VecDeque<u32>,
    closed: bool,
}

impl Model {
    fn push(&mut self, v: u32) -> Result<(), PushError<u32>> {
        if self.closed {
            return Err(PushError::Closed(v));
        }
        self.items.push_back(v);
        Ok(())
    }

    fn pop(&mut self) -> Result<u32, PopError> {
        match self.items.pop_front() {
            Some(v) => Ok(v),
            None if self.closed => Err(PopError::Closed),
            None => Err(PopError::Empty),
        }
    }
}

fn check(list: &List<u32>, model: &Model) {
    assert_eq!(list.len(), model.items.len());
    assert_eq!(list.is_empty(), model.items.is_empty());
    assert_eq!(list.is_closed(), model.closed);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        // Miri's isolation forbids the persistence file's `getcwd`.
        failure_persistence: if cfg!(miri) {
            None
        } else {
            ProptestConfig::default().failure_persistence
        },
        ..ProptestConfig::default()
    })]

    #[test]
    fn matches_vecdeque(ops in proptest::collection::vec(op(), 0..MAX_OPS)) {
        let list = List::new();
        let mut model = Model::default();
        let mut counter = 0u32;
        for op in ops {
            match op {
                Op::Push(v) => prop_assert_eq!(list.try_push(v), model.push(v)),
                Op::PushMany(n) => {
                    for _ in 0..n {
                        counter = counter.wrapping_add(1);
                        prop_assert_eq!(list.try_push(counter), model.push(counter));
                    }
                }
                Op::Pop => prop_assert_eq!(list.try_pop(), model.pop()),
                Op::PopMany(n) => {
                    for _ in 0..n {
                        prop_assert_eq!(list.try_pop(), model.pop());
                    }
                }
                Op::Close => {
                    prop_assert_eq!(list.close(), !model.closed);
                    model.closed = true;
                }
            }
            check(&list, &model);
        }
        // Dropping the list with the model's leftovers is covered by Miri
        // and list_basic's drop counters.
    }
}
