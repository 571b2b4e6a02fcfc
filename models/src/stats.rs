//! What each model explored, for `cargo verify`'s report.
//!
//! loom and shuttle say nothing about how much they explored when a model
//! passes (loom's "Completed in N iterations" goes to a `tracing`
//! subscriber that `Builder::check` does not install). The harness wraps
//! every model in a counter instead: one call of the closure is one
//! execution (loom) or one schedule (shuttle).
//!
//! When `XIKERNEL_MODEL_STATS` names a file, each model appends one line to
//! it when it completes, tab-separated:
//!
//! ```text
//! loom     <test name>  <bound>  <executions>  <milliseconds>
//! shuttle  <test name>  -        <schedules>   <milliseconds>
//! ```
//!
//! `<bound>` is the preemption bound loom used: a number, `none` (no bound:
//! loom explored every execution of the model), or `cap=<k>` for a model
//! that caps its bound whatever was asked. While a model runs, the same
//! fields so far are rewritten about once a second to `<file>.live` (the
//! campaign's sign of life). Without the variable nothing is written.
//! A failing model writes no line: it panics first.

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The environment variable naming the statistics file.
pub const STATS_VAR: &str = "XIKERNEL_MODEL_STATS";

/// Counts the executions of one model and reports them.
pub struct Counter {
    kind: &'static str,
    bound: String,
    test: String,
    path: Option<String>,
    start: Instant,
    // Plain std atomics: loom and shuttle only see their own types, so the
    // counter adds no scheduling points to the model.
    runs: AtomicU64,
    last_live_ms: AtomicU64,
}

impl Counter {
    /// A counter for the model about to run on this (libtest-named) thread.
    pub fn new(kind: &'static str, bound: String) -> Arc<Self> {
        Arc::new(Counter {
            kind,
            bound,
            test: std::thread::current()
                .name()
                .unwrap_or("unnamed")
                .to_string(),
            path: std::env::var(STATS_VAR).ok().filter(|p| !p.is_empty()),
            start: Instant::now(),
            runs: AtomicU64::new(0),
            last_live_ms: AtomicU64::new(0),
        })
    }

    /// Called at the start of every execution / schedule.
    pub fn tick(&self) {
        // Relaxed: a statistic; the models never read it.
        let n = self.runs.fetch_add(1, Ordering::Relaxed) + 1;
        let Some(path) = &self.path else { return };
        let ms = millis(self.start.elapsed());
        let last = self.last_live_ms.load(Ordering::Relaxed);
        if ms >= last + 1000
            && self
                .last_live_ms
                .compare_exchange(last, ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            // Best effort: a missed update only delays the sign of life.
            let _ = std::fs::write(format!("{path}.live"), self.line(n, ms));
        }
    }

    /// Appends the final line (called after the model passed).
    pub fn finish(&self) {
        let Some(path) = &self.path else { return };
        // A finished model is no longer "running" (another one running in
        // parallel rewrites the file within a second).
        let _ = std::fs::remove_file(format!("{path}.live"));
        let line = self.line(
            self.runs.load(Ordering::Relaxed),
            millis(self.start.elapsed()),
        );
        // One short write per line on an O_APPEND file: lines of models
        // running in parallel test threads do not interleave.
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = f.write_all(line.as_bytes());
        }
    }

    fn line(&self, runs: u64, ms: u64) -> String {
        format!(
            "{}\t{}\t{}\t{runs}\t{ms}\n",
            self.kind, self.test, self.bound
        )
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
