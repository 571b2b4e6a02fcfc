//! Recording concurrent histories: invocation and response events stamped by
//! one cheap global clock.
//!
//! Each thread records into its own [`ThreadLog`] (no sharing on the hot
//! path); the only shared word is the [`Clock`], bumped once before the call
//! and once after the response. Two stamps from one `fetch_add` counter are
//! totally ordered and consistent with real time: if operation A's response
//! stamp is smaller than B's invocation stamp, A really returned before B was
//! invoked, which is all the linearizability checker needs.
//!
//! The clock is a std atomic even under shuttle: shuttle runs its threads one
//! at a time, so the counter is exact there too, and keeping it out of the
//! model checker's view does not hide any interleaving of the queue itself.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// The global clock of one recorded run.
#[derive(Debug, Default)]
pub struct Clock(AtomicU64);

impl Clock {
    pub const fn new() -> Self {
        Clock(AtomicU64::new(0))
    }

    /// A fresh, unique stamp. SeqCst: stamps must be totally ordered with
    /// respect to each other *and* to the operations they bracket; the RMW on
    /// one location gives the total order, SeqCst keeps a stamp from being
    /// reordered with the (possibly Relaxed) accesses of the recorded call.
    pub fn tick(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst)
    }
}

/// One completed operation: what was called, what it returned, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<Op, Ret> {
    /// Recording thread (for display only).
    pub thread: usize,
    /// Object the operation acts on (queue/channel id); histories are checked
    /// per key (P-compositionality).
    pub key: u64,
    pub op: Op,
    pub ret: Ret,
    /// Clock stamp taken just before the call.
    pub call: u64,
    /// Clock stamp taken just after the response; always `> call`.
    pub ret_at: u64,
}

/// A recorded history: completed operations in any order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History<Op, Ret> {
    pub ops: Vec<Operation<Op, Ret>>,
}

impl<Op, Ret> Default for History<Op, Ret> {
    fn default() -> Self {
        History { ops: Vec::new() }
    }
}

impl<Op, Ret> History<Op, Ret> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Merges per-thread logs into one history, sorted by invocation.
    pub fn from_logs(logs: impl IntoIterator<Item = ThreadLog<Op, Ret>>) -> Self {
        let mut ops: Vec<_> = logs.into_iter().flat_map(|l| l.ops).collect();
        ops.sort_by_key(|o| o.call);
        History { ops }
    }

    /// Adds an operation by hand (checker tests): `call < ret_at` required.
    pub fn push(&mut self, thread: usize, key: u64, op: Op, ret: Ret, call: u64, ret_at: u64) {
        assert!(
            call < ret_at,
            "an operation must return after it was invoked"
        );
        self.ops.push(Operation {
            thread,
            key,
            op,
            ret,
            call,
            ret_at,
        });
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

impl<Op: fmt::Debug, Ret: fmt::Debug> fmt::Display for History<Op, Ret> {
    /// One line per operation, by invocation time:
    /// `t1 key 0 [  3,   7] Push(5) -> Ok`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ops: Vec<_> = self.ops.iter().collect();
        ops.sort_by_key(|o| o.call);
        for o in ops {
            writeln!(
                f,
                "  t{:<2} key {:<3} [{:>6}, {:>6}] {:?} -> {:?}",
                o.thread, o.key, o.call, o.ret_at, o.op, o.ret
            )?;
        }
        Ok(())
    }
}

/// The operations one thread completed, in program order.
#[derive(Debug)]
pub struct ThreadLog<Op, Ret> {
    thread: usize,
    ops: Vec<Operation<Op, Ret>>,
}

impl<Op, Ret> ThreadLog<Op, Ret> {
    pub fn new(thread: usize) -> Self {
        ThreadLog {
            thread,
            ops: Vec::new(),
        }
    }

    /// Records an operation whose stamps the caller took (a call recorded
    /// as several operations with one interval, e.g. send-and-wait).
    pub fn push(&mut self, key: u64, op: Op, ret: Ret, call: u64, ret_at: u64) {
        debug_assert!(call < ret_at);
        self.ops.push(Operation {
            thread: self.thread,
            key,
            op,
            ret,
            call,
            ret_at,
        });
    }

    /// Runs `call` between two clock stamps and records `op -> ret`.
    pub fn record(
        &mut self,
        clock: &Clock,
        key: u64,
        op: Op,
        call: impl FnOnce(&Op) -> Ret,
    ) -> &Ret {
        let start = clock.tick();
        let ret = call(&op);
        let end = clock.tick();
        self.ops.push(Operation {
            thread: self.thread,
            key,
            op,
            ret,
            call: start,
            ret_at: end,
        });
        &self.ops.last().expect("just pushed").ret
    }
}
