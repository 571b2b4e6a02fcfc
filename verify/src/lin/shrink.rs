//! Shrinking a non-linearizable history to a minimal counterexample.

use std::collections::BTreeSet;

use super::search::{linearize, SearchOutcome};
use super::Model;
use crate::history::History;

fn fails<M: Model>(init: &M, h: &History<M::Op, M::Ret>, max_states: usize) -> bool {
    matches!(
        linearize(init, h, max_states),
        SearchOutcome::NotLinearizable { .. }
    )
}

/// Greedily drops value groups (see [`Model::tags`]), then single untagged operations,
/// while the history stays non-linearizable, until nothing more can go.
/// `history` must be non-linearizable; the result is a sub-history of it
/// from which no single group or operation can be removed.
pub fn shrink<M: Model>(
    init: &M,
    history: &History<M::Op, M::Ret>,
    max_states: usize,
) -> History<M::Op, M::Ret> {
    let mut h = history.clone();
    h.ops.sort_by_key(|o| o.call);
    loop {
        let before = h.len();
        // 1. Whole value groups, so a pop never outlives its push.
        let groups: BTreeSet<u64> = h.ops.iter().flat_map(|o| M::tags(&o.op, &o.ret)).collect();
        for tag in groups {
            let mut trial = h.clone();
            trial.ops.retain(|o| !M::tags(&o.op, &o.ret).contains(&tag));
            if trial.len() < h.len() && fails(init, &trial, max_states) {
                h = trial;
            }
        }
        // 2. Single untagged operations (a tagged one alone would leave a pop
        //    of a value nobody pushed: trivially failing, and useless).
        let mut i = 0;
        while i < h.len() {
            if !M::tags(&h.ops[i].op, &h.ops[i].ret).is_empty() {
                i += 1;
                continue;
            }
            let mut trial = h.clone();
            trial.ops.remove(i);
            if fails(init, &trial, max_states) {
                h = trial;
            } else {
                i += 1;
            }
        }
        if h.len() == before {
            return h;
        }
    }
}
