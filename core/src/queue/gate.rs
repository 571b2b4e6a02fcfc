//! The maintenance gate: lets the rare interpreter-destroy path rewrite a
//! queue's lock-free store while no put or get is inside it.
//!
//! One word: the high bit says "maintenance", the rest count the operations
//! inside. An operation enters with one `fetch_add` and leaves with one
//! `fetch_sub` (two uncontended RMWs on the queue's own line, no lock); a
//! maintainer sets the bit and waits for the count to drain, then has the
//! store to itself. Operations that meet the bit back out and wait (spin,
//! then yield) until it clears: maintenance is short (one pass over the
//! items) and happens once per destroyed interpreter.
//!
//! No operation ever blocks while inside the gate (blocking put/get park
//! outside it), so a maintainer's wait always ends.

use crate::sync::{AtomicUsize, Backoff, Ordering};

const MAINT: usize = 1 << (usize::BITS - 1);

#[derive(Debug)]
pub(super) struct Gate {
    state: AtomicUsize,
}

/// An operation inside the gate; leaving is its drop.
#[derive(Debug)]
pub(super) struct Pass<'a>(&'a Gate);

/// Exclusive use of the store; reopening is its drop.
#[derive(Debug)]
pub(super) struct Exclusive<'a>(&'a Gate);

impl Gate {
    pub(super) fn new() -> Self {
        Self {
            state: AtomicUsize::new(0),
        }
    }

    fn wait_open(&self) {
        let mut backoff = Backoff::new();
        // Relaxed: only a hint to stop waiting; the RMW that follows in the
        // caller is what orders (Acquire).
        while self.state.load(Ordering::Relaxed) & MAINT != 0 {
            backoff.snooze();
        }
    }

    #[inline]
    pub(super) fn enter(&self) -> Pass<'_> {
        loop {
            // Acquire: pairs with the Release of `Exclusive::drop`, so the
            // maintainer's rewrite of the store is visible to this
            // operation. Weakened to Relaxed: `queue_loom` sees a get read a
            // slot the maintainer refilled (data race / lost item).
            let s = self.state.fetch_add(1, Ordering::Acquire);
            if s & MAINT == 0 {
                return Pass(self);
            }
            // Relaxed: we touched nothing; the maintainer only needs the
            // count to come back down (RMWs keep it exact).
            self.state.fetch_sub(1, Ordering::Relaxed);
            self.wait_open();
        }
    }

    /// Waits for every operation inside to leave and keeps new ones out.
    /// Maintainers exclude each other too.
    pub(super) fn exclusive(&self) -> Exclusive<'_> {
        loop {
            // Relaxed: the Acquire load below reads this RMW's value or a
            // later one, all in the release sequences of every earlier
            // `Pass::drop` and `Exclusive::drop`, so it synchronizes with
            // them (a maintainer after another one sees its rewrite).
            let s = self.state.fetch_or(MAINT, Ordering::Relaxed);
            if s & MAINT == 0 {
                break;
            }
            self.wait_open();
        }
        let mut backoff = Backoff::new();
        // Acquire: pairs with every `Pass::drop` Release (a chain of RMWs
        // continues each release sequence), so all their accesses to the
        // store happen before ours. Weakened: `queue_loom` sees the
        // maintainer drain while a put is still writing.
        while self.state.load(Ordering::Acquire) & !MAINT != 0 {
            backoff.snooze();
        }
        Exclusive(self)
    }
}

impl Drop for Pass<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release: our store accesses happen before a maintainer's
        // (pairs with the Acquire load in `exclusive`).
        self.0.state.fetch_sub(1, Ordering::Release);
    }
}

impl Drop for Exclusive<'_> {
    fn drop(&mut self) {
        // Release: the rewritten store is visible to the next operation
        // (pairs with the Acquire of `enter`).
        self.0.state.fetch_and(!MAINT, Ordering::Release);
    }
}
