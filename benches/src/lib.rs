//! Shared harness for the criterion benches of xikernel against its peers.
//!
//! Every bench target (`benches/*.rs`) runs our type and each peer **in the
//! same process, the same run, back to back**, under the same bench id
//! scheme `<group>/<impl>`, so the report (`src/bin/report.rs`) can turn
//! criterion's medians into ratios. On the shared 2-vCPU KVM machines the
//! absolute numbers drift by up to 3x between runs; the ratios between
//! neighbours in one run are what survives.
//!
//! - [`queues`]: one adapter per queue (ours and peers) behind the
//!   [`queues::Flavor`] trait, so one runner measures all of them;
//! - [`run`]: the threaded throughput runner (SPSC, MPMC, burst) and its
//!   backoff, identical for every implementation;
//! - [`config`]: criterion settings sized so the whole suite stays within
//!   ~15 minutes here, while `cargo bench -p xikernel-benches -- --test`
//!   runs each bench once.

pub mod blocking;
pub mod channels;
pub mod codec;
pub mod config;
pub mod ipc;
pub mod ours;
pub mod queues;
pub mod report;
pub mod run;
