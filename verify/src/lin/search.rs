//! Wing–Gong search with Lowe's memoisation, iterative (recorded histories
//! have thousands of operations; recursion would overflow the stack).

use std::collections::HashSet;

use super::Model;
use crate::history::{History, Operation};

/// Result of one search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchOutcome {
    /// A witness: indices into the history (sorted by invocation) in
    /// linearization order.
    Linearizable(Vec<usize>),
    /// No linearization exists. `deepest` is the longest linearizable prefix
    /// the search found (a hint of where it goes wrong).
    NotLinearizable { deepest: usize },
    /// The state budget ran out first.
    Exhausted { states: usize },
}

/// Fixed-size bit set of linearized operations; part of the memo key.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Self {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
    fn flip(&mut self, i: usize) {
        self.0[i / 64] ^= 1 << (i % 64);
    }
}

struct Frame<M> {
    state: M,
    candidates: Vec<usize>,
    next: usize,
}

/// Operations that may be linearized next: not yet linearized and invoked
/// before the earliest response among the operations not yet linearized.
/// `ops` is sorted by invocation, so the scan stops at the first later call.
fn candidates<Op, Ret>(ops: &[Operation<Op, Ret>], done: &Bits, first_open: usize) -> Vec<usize> {
    let min_ret = (first_open..ops.len())
        .filter(|&i| !done.get(i))
        .map(|i| ops[i].ret_at)
        .min()
        .unwrap_or(u64::MAX);
    (first_open..ops.len())
        .take_while(|&i| ops[i].call < min_ret)
        .filter(|&i| !done.get(i))
        .collect()
}

/// Searches for a linearization of `history` (one object) from `init`.
pub fn linearize<M: Model>(
    init: &M,
    history: &History<M::Op, M::Ret>,
    max_states: usize,
) -> SearchOutcome {
    let mut ops: Vec<&Operation<M::Op, M::Ret>> = history.ops.iter().collect();
    ops.sort_by_key(|o| o.call);
    let ops: Vec<Operation<M::Op, M::Ret>> = ops.into_iter().cloned().collect();
    let n = ops.len();

    let mut done = Bits::new(n);
    let mut path: Vec<usize> = Vec::with_capacity(n);
    let mut deepest = 0;
    // Index of the first operation not yet linearized: everything before it
    // is done, so candidate scans start there.
    let mut first_open = 0;
    let mut memo: HashSet<(Bits, M)> = HashSet::new();
    let mut stack = vec![Frame {
        state: init.clone(),
        candidates: candidates(&ops, &done, 0),
        next: 0,
    }];

    while let Some(top) = stack.last_mut() {
        if path.len() == n {
            return SearchOutcome::Linearizable(path);
        }
        let Some(&c) = top.candidates.get(top.next) else {
            // Dead end: undo the operation that led here.
            stack.pop();
            if let Some(last) = path.pop() {
                done.flip(last);
                first_open = first_open.min(last);
            }
            continue;
        };
        top.next += 1;
        let mut state = top.state.clone();
        if state.step(&ops[c].op) != ops[c].ret {
            continue;
        }
        done.flip(c);
        if memo.len() >= max_states {
            return SearchOutcome::Exhausted { states: memo.len() };
        }
        if !memo.insert((done.clone(), state.clone())) {
            done.flip(c);
            continue;
        }
        path.push(c);
        deepest = deepest.max(path.len());
        while first_open < n && done.get(first_open) {
            first_open += 1;
        }
        let candidates = candidates(&ops, &done, first_open);
        stack.push(Frame {
            state,
            candidates,
            next: 0,
        });
    }
    SearchOutcome::NotLinearizable { deepest }
}
