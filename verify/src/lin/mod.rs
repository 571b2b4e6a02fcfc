//! Linearizability checking of recorded histories against a sequential
//! reference model.
//!
//! The search (`search`) is Wing & Gong's, with Lowe's memoisation: a state
//! of the search is (set of operations already linearized, model state), and
//! a state seen once is never explored again. An operation may be linearized
//! next only if it was invoked before every not-yet-linearized operation
//! returned (it is *minimal* in the real-time order). Histories are first
//! split per object key (P-compositionality: a history is linearizable iff
//! each object's sub-history is), which keeps every search small.
//!
//! A failure is reported as a **minimal counterexample**: the failing
//! sub-history is shrunk ([`shrink`]) by dropping whole value groups (a push
//! together with the pop that returned its value) and then single operations,
//! while it stays non-linearizable. What is left is a handful of operations a
//! human can check by hand.
//!
//! The search is exponential in the worst case (linearizability checking is
//! NP-complete); a state budget turns a runaway search into
//! [`Verdict::Inconclusive`], which callers treat as a failure of the run, never as
//! a pass.

pub mod channel_spec;
pub mod queue_spec;
mod search;
mod shrink;

use std::collections::BTreeMap;
use std::fmt::{self, Debug};
use std::hash::Hash;

use crate::history::History;

pub use search::{linearize, SearchOutcome};
pub use shrink::shrink;

/// A sequential, deterministic specification.
pub trait Model: Clone + Eq + Hash + Debug {
    type Op: Clone + Debug;
    type Ret: Clone + Debug + PartialEq;

    /// Applies `op` and returns the response the sequential object gives.
    fn step(&mut self, op: &Self::Op) -> Self::Ret;

    /// The values an operation carries. Operations sharing a tag are kept or
    /// dropped together while shrinking a counterexample (the push of 5 and
    /// the pop that returned 5), so the shrunk history still makes sense.
    fn tags(_op: &Self::Op, _ret: &Self::Ret) -> Vec<u64> {
        Vec::new()
    }
}

/// Default cap on explored search states per key.
pub const DEFAULT_MAX_STATES: usize = 2_000_000;

/// Result of checking a whole history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict<Op, Ret> {
    Linearizable,
    NotLinearizable(Counterexample<Op, Ret>),
    /// The search exceeded its state budget on `key`: no verdict.
    Inconclusive {
        key: u64,
        ops: usize,
        states: usize,
    },
}

impl<Op, Ret> Verdict<Op, Ret> {
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable)
    }
}

/// A non-linearizable sub-history, shrunk to a minimal one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample<Op, Ret> {
    /// The object whose sub-history failed.
    pub key: u64,
    /// Number of operations on `key` in the recorded history.
    pub original_len: usize,
    /// A minimal failing sub-history: removing any one value group or
    /// operation from it makes it linearizable.
    pub minimal: History<Op, Ret>,
}

impl<Op: Debug, Ret: Debug> fmt::Display for Counterexample<Op, Ret> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "not linearizable: key {} ({} operations); minimal counterexample ({} operations):",
            self.key,
            self.original_len,
            self.minimal.len()
        )?;
        write!(f, "{}", self.minimal)
    }
}

/// Splits a history per key (P-compositionality).
pub fn partition<Op: Clone, Ret: Clone>(
    history: &History<Op, Ret>,
) -> BTreeMap<u64, History<Op, Ret>> {
    let mut parts: BTreeMap<u64, History<Op, Ret>> = BTreeMap::new();
    for o in &history.ops {
        parts.entry(o.key).or_default().ops.push(o.clone());
    }
    parts
}

/// Checks `history`, every key starting from `init`.
pub fn check<M: Model>(init: &M, history: &History<M::Op, M::Ret>) -> Verdict<M::Op, M::Ret> {
    check_with(|_| init.clone(), history, DEFAULT_MAX_STATES)
}

/// Checks `history` per key; `init(key)` gives each object's initial state;
/// `max_states` bounds the search per key.
pub fn check_with<M: Model>(
    init: impl Fn(u64) -> M,
    history: &History<M::Op, M::Ret>,
    max_states: usize,
) -> Verdict<M::Op, M::Ret> {
    for (key, part) in partition(history) {
        let model = init(key);
        match linearize(&model, &part, max_states) {
            SearchOutcome::Linearizable(_) => {}
            SearchOutcome::Exhausted { states } => {
                return Verdict::Inconclusive {
                    key,
                    ops: part.len(),
                    states,
                }
            }
            SearchOutcome::NotLinearizable { .. } => {
                let minimal = shrink(&model, &part, max_states);
                return Verdict::NotLinearizable(Counterexample {
                    key,
                    original_len: part.len(),
                    minimal,
                });
            }
        }
    }
    Verdict::Linearizable
}
