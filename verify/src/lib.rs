//! Reference models, history recording, linearizability checking and the
//! verification campaign for xikernel.
//!
//! - [`reference`](mod@reference): sequential, obviously-correct models (the oracles);
//! - [`history`]: recording invocation/response events from real runs;
//! - [`lin`]: the Wing–Gong/Lowe linearizability checker with minimal
//!   counterexamples;
//! - [`stress`] (queues) and [`stress_channel`] (a channel): concurrent
//!   std-thread runs whose histories are checked, and
//!   [`planted`], queues with deliberate bugs that prove the checker works;
//! - `shuttle_lin` (feature `shuttle`): the same workloads under
//!   shuttle's schedulers, for replayable histories (`lin-shuttle` binary);
//! - [`campaign`]: `cargo verify`.

pub mod campaign;
pub mod history;
pub mod lin;
pub mod planted;
pub mod reference;
pub mod rt;
#[cfg(feature = "shuttle")]
pub mod shuttle_lin;
pub mod stress;
pub mod stress_channel;
