//! Random sequential operation sequences on `Ring` against a `VecDeque`
//! reference (capacities 1..=8 and some large ones).
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::collections::VecDeque;

use proptest::prelude::*;
use xikernel::Ring;
use xikernel::{PopError, PushError};

#[derive(Clone, Debug)]
enum Op {
    Push(u32),
    ForcePush(u32),
    Pop,
    Close,
    Inspect,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<u32>().prop_map(Op::Push),
        2 => any::<u32>().prop_map(Op::ForcePush),
        6 => Just(Op::Pop),
        1 => Just(Op::Close),
        2 => Just(Op::Inspect),
    ]
}

fn capacity() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 1usize..=8, 1 => prop::sample::select(vec![15, 16, 17, 100, 1000, 1024])]
}

/// The reference model: a bounded deque plus a closed flag.
struct Model {
    items: VecDeque<u32>,
    cap: usize,
    closed: bool,
}

fn run(cap: usize, ops: &[Op]) {
    let ring = Ring::new(cap);
    let mut m = Model {
        items: VecDeque::new(),
        cap,
        closed: false,
    };
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Op::Push(v) => {
                let got = ring.try_push(v);
                if m.closed {
                    assert_eq!(got, Err(PushError::Closed(v)), "op {i}");
                } else if m.items.len() == m.cap {
                    assert_eq!(got, Err(PushError::Full(v)), "op {i}");
                } else {
                    assert_eq!(got, Ok(()), "op {i}");
                    m.items.push_back(v);
                }
            }
            Op::ForcePush(v) => {
                let got = ring.force_push(v);
                if m.closed {
                    assert_eq!(got, Err(PushError::Closed(v)), "op {i}");
                } else {
                    let old = if m.items.len() == m.cap {
                        m.items.pop_front()
                    } else {
                        None
                    };
                    m.items.push_back(v);
                    assert_eq!(got, Ok(old), "op {i}");
                }
            }
            Op::Pop => {
                let want = match m.items.pop_front() {
                    Some(v) => Ok(v),
                    None if m.closed => Err(PopError::Closed),
                    None => Err(PopError::Empty),
                };
                assert_eq!(ring.try_pop(), want, "op {i}");
            }
            Op::Close => {
                assert_eq!(ring.close(), !m.closed, "op {i}");
                m.closed = true;
            }
            Op::Inspect => {}
        }
        // Every step: the observers agree with the model.
        assert_eq!(ring.len(), m.items.len(), "op {i}");
        assert_eq!(ring.is_empty(), m.items.is_empty(), "op {i}");
        assert_eq!(ring.is_full(), m.items.len() == m.cap, "op {i}");
        assert_eq!(ring.is_closed(), m.closed, "op {i}");
        assert_eq!(ring.capacity(), m.cap);
    }
}

/// Ops per `matches_vecdeque` case.
const OPS: usize = if cfg!(miri) { 40 } else { 300 };

/// Ops per `many_laps` case (Miri runs ~1000x slower).
const LAPS_OPS: usize = if cfg!(miri) { 40 } else { 1000 };

/// 256 cases natively; under Miri 4 cases and no failure file (Miri's
/// isolation forbids `getcwd`).
fn config() -> ProptestConfig {
    if cfg!(miri) {
        ProptestConfig {
            cases: 4,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    } else {
        ProptestConfig::with_cases(256)
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn matches_vecdeque(cap in capacity(), ops in prop::collection::vec(op(), 0..OPS)) {
        run(cap, &ops);
    }

    /// Long runs without close, so that indices wrap many laps.
    #[test]
    fn matches_vecdeque_many_laps(
        cap in 1usize..=8,
        ops in prop::collection::vec(
            prop_oneof![3 => any::<u32>().prop_map(Op::Push),
                        1 => any::<u32>().prop_map(Op::ForcePush),
                        3 => Just(Op::Pop)],
            0..LAPS_OPS),
    ) {
        run(cap, &ops);
    }
}
