//! Sequential, obviously-correct reference models: the oracles for proptest
//! conformance and linearizability checking.

pub mod channel;
pub mod list;
pub mod queue;
pub mod ring;
