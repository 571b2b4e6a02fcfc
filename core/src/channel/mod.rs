//! CPython `_interpchannels` semantics on the two-level-locked [`Table`].
//!
//! A [`Channels`] registry maps [`ChannelId`]s to channels. Each operation
//! takes the table lock only to look the channel up (getting a counted
//! handle), then works under that channel's own lock, so operations on
//! different channels never contend beyond the lookup. The interpreter that
//! performs a call is an explicit argument: ends are associated per
//! interpreter and items remember their sender ([`InterpId`]).
//!
//! Items are a generic `T` stored in a per-channel `VecDeque` under the entry
//! lock (not the lock-free ring): send-and-wait needs per-item identity to
//! wait for *its* item and to withdraw it on timeout. Every item is handed
//! to exactly one receiver or dropped exactly once, always **outside** the
//! channel lock (its `Drop` is the caller's code).
//!
//! Blocking (`std` only) uses one `Condvar` for receivers waiting for items
//! and one for senders waiting for their item to be taken: real wake-ups, no
//! polling, fractional timeouts. CPython polls every 10 ms and truncates
//! receive timeouts to whole seconds; we do neither.
//!
//! Deliberate differences from CPython 3.13 (its bugs, reference §3.10):
//! releasing an end twice is idempotent; no channel state is read without
//! the channel lock (`list_interpreters`, `get_info`); `list_all` works with
//! closed channels; items stranded by a close are released at the close.

mod ends;
mod error;
mod state;

use alloc::vec::Vec;
use core::fmt;

pub use ends::ChannelInfo;
pub use error::{ChannelError, ErrorClass, UnboundOp, UnsupportedUnboundOp};

#[cfg(feature = "std")]
use self::state::Wake;
use self::state::{Effects, State};
use crate::interp::InterpId;
use crate::lockorder::{OrderedGuard, OrderedMutex, Rank};
use crate::sync::Arc;
#[cfg(feature = "std")]
use crate::sync::Condvar;
use crate::table::Table;

/// A channel id: `u64`, from 0, monotonic, never reused.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ChannelId(pub u64);

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Which end(s) a `close` or `release` applies to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum End {
    Send,
    Recv,
    Both,
}

impl End {
    /// CPython's keyword flags: exactly one set names that end; none or both
    /// mean both.
    pub fn from_flags(send: bool, recv: bool) -> End {
        match (send, recv) {
            (true, false) => End::Send,
            (false, true) => End::Recv,
            _ => End::Both,
        }
    }
}

/// What a receive yields.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Received<T> {
    /// A live item.
    Item(T),
    /// An item whose sender was destroyed, with its unbound policy
    /// (CPython's `(None, op)`).
    Unbound(UnboundOp),
}

/// One channel: its default unbound policy (immutable, so `list_all` needs
/// no entry lock) and its state under the entry lock.
struct Channel<T> {
    default_unbound: UnboundOp,
    state: OrderedMutex<State<T>>,
    /// Receivers waiting for an item or a close.
    #[cfg(feature = "std")]
    items_cv: Condvar,
    /// Blocking senders waiting for their item's outcome.
    #[cfg(feature = "std")]
    taken_cv: Condvar,
}

impl<T> Channel<T> {
    fn new(default_unbound: UnboundOp) -> Self {
        Self {
            default_unbound,
            state: OrderedMutex::new(Rank::ENTRY, State::new()),
            #[cfg(feature = "std")]
            items_cv: Condvar::new(),
            #[cfg(feature = "std")]
            taken_cv: Condvar::new(),
        }
    }

    /// Unlocks, wakes whoever the operation made runnable, and only then
    /// drops the released items (their `Drop` may take other locks).
    fn finish(&self, guard: OrderedGuard<'_, State<T>>, mut fx: Effects<T>) {
        // Nobody parked (checked under the lock): skip the syscall.
        if guard.recv_waiters == 0 {
            fx.wake_receivers = state::Wake::None;
        }
        if guard.send_waiters == 0 {
            fx.wake_senders = false;
        }
        drop(guard);
        // Notifying after unlocking cannot lose a wake-up: the state change
        // was made under the lock, and every waiter re-checks it under the
        // lock before it parks.
        #[cfg(feature = "std")]
        {
            match fx.wake_receivers {
                Wake::None => {}
                Wake::One => self.items_cv.notify_one(),
                Wake::All => self.items_cv.notify_all(),
            }
            if fx.wake_senders {
                self.taken_cv.notify_all();
            }
        }
        drop(fx.discarded);
    }
}

/// The channel registry. See the module docs.
pub struct Channels<T> {
    table: Table<Channel<T>>,
}

impl<T> fmt::Debug for Channels<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channels")
            .field("table", &self.table)
            .finish()
    }
}

impl<T> Default for Channels<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Channels<T> {
    /// An empty registry; ids start at 0 like CPython's.
    pub fn new() -> Self {
        Self {
            table: Table::new(0),
        }
    }

    /// A registry handing out only ids `first..=last` (to test exhaustion).
    pub fn with_id_range(first: u64, last: u64) -> Self {
        Self {
            table: Table::with_id_range(first, last),
        }
    }

    fn lookup(&self, cid: ChannelId) -> Result<Arc<Channel<T>>, ChannelError> {
        self.table.get(cid.0).ok_or(ChannelError::NotFound(cid))
    }

    /// Looks `cid` up, runs `op` under its lock, then finishes the effects.
    fn with_state<R>(
        &self,
        cid: ChannelId,
        op: impl FnOnce(&mut State<T>, &mut Effects<T>) -> Result<R, ChannelError>,
    ) -> Result<R, ChannelError> {
        let chan = self.lookup(cid)?;
        let mut st = chan.state.lock();
        let mut fx = Effects::new();
        let r = op(&mut st, &mut fx);
        chan.finish(st, fx);
        r
    }

    /// Creates a channel whose items default to `default_unbound`.
    pub fn create(&self, default_unbound: UnboundOp) -> Result<ChannelId, ChannelError> {
        self.table
            .insert_with(|_| Channel::new(default_unbound))
            .map(|(id, _)| ChannelId(id))
            .map_err(|_| ChannelError::IdsExhausted)
    }

    /// Destroys the channel even if it is closed or has items: every item is
    /// released, blocked senders fail with "has closed", blocked receivers
    /// and later calls with `NotFound`.
    pub fn destroy(&self, cid: ChannelId) -> Result<(), ChannelError> {
        let chan = self
            .table
            .remove(cid.0)
            .ok_or(ChannelError::NotFound(cid))?;
        let mut st = chan.state.lock();
        let mut fx = Effects::new();
        st.kill(&mut fx);
        chan.finish(st, fx);
        Ok(())
    }

    /// Every channel (closed ones included) with its default unbound
    /// policy, newest first as in CPython: one consistent snapshot.
    pub fn list_all(&self) -> Vec<(ChannelId, UnboundOp)> {
        let mut all: Vec<_> = self
            .table
            .snapshot()
            .into_iter()
            .map(|(id, chan)| (ChannelId(id), chan.default_unbound))
            .collect();
        all.reverse();
        all
    }

    /// Sends without waiting. On error the item is released (dropped).
    pub fn send(
        &self,
        interp: InterpId,
        cid: ChannelId,
        item: T,
        unbound: UnboundOp,
    ) -> Result<(), ChannelError> {
        self.with_state(cid, |st, fx| {
            st.send(cid, interp, item, unbound, false, fx).map(drop)
        })
    }

    /// Receives without waiting: `Empty` if there is nothing.
    pub fn recv(&self, interp: InterpId, cid: ChannelId) -> Result<Received<T>, ChannelError> {
        self.with_state(cid, |st, fx| st.recv(cid, interp, fx))
    }

    /// Receives without waiting, yielding `default` instead of `Empty`
    /// (a closed channel still fails, as in CPython).
    pub fn recv_or(
        &self,
        interp: InterpId,
        cid: ChannelId,
        default: T,
    ) -> Result<Received<T>, ChannelError> {
        match self.recv(interp, cid) {
            Err(ChannelError::Empty(_)) => Ok(Received::Item(default)),
            r => r,
        }
    }

    /// `close(send, recv, force)`. Unforced with items: closing the send end
    /// starts draining (`closing`), anything else is `NotEmpty`. Otherwise
    /// the channel closes at once, releasing every item and waking every
    /// blocked thread with `ChannelClosedError`.
    pub fn close(&self, cid: ChannelId, end: End, force: bool) -> Result<(), ChannelError> {
        self.with_state(cid, |st, fx| st.close(cid, end, force, fx))
    }

    /// Closes only `interp`'s `end`(s); the channel closes when no
    /// interpreter has an open end left. Idempotent per end.
    pub fn release(&self, interp: InterpId, cid: ChannelId, end: End) -> Result<(), ChannelError> {
        self.with_state(cid, |st, fx| st.release(cid, interp, end, fx))
    }

    /// Interpreters with an open `send` (or recv) end, ascending.
    pub fn list_interpreters(
        &self,
        cid: ChannelId,
        send: bool,
    ) -> Result<Vec<InterpId>, ChannelError> {
        self.with_state(cid, |st, _| st.list_interpreters(cid, send))
    }

    /// Number of queued items.
    pub fn get_count(&self, cid: ChannelId) -> Result<usize, ChannelError> {
        self.with_state(cid, |st, _| st.count(cid))
    }

    /// The channel's [`ChannelInfo`] as seen from `interp`.
    pub fn get_info(&self, interp: InterpId, cid: ChannelId) -> Result<ChannelInfo, ChannelError> {
        self.with_state(cid, |st, _| st.info(cid, interp))
    }

    /// The channel's default unbound policy.
    pub fn get_channel_defaults(&self, cid: ChannelId) -> Result<UnboundOp, ChannelError> {
        Ok(self.lookup(cid)?.default_unbound)
    }

    /// `interp` is being destroyed: in every channel, its items are removed
    /// (REMOVE) or unbound (ERROR / REPLACE), and its ends closed.
    pub fn clear_interpreter(&self, interp: InterpId) {
        // Snapshot first: the table lock is never held while an entry is
        // locked (CPython nests them here; we need not).
        for (_, chan) in self.table.snapshot() {
            let mut st = chan.state.lock();
            let mut fx = Effects::new();
            st.clear_interpreter(interp, &mut fx);
            chan.finish(st, fx);
        }
    }

    /// Number of channels in the registry (closed ones included).
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

#[cfg(feature = "std")]
mod blocking;
