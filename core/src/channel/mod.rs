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
//! to exactly one receiver, back to its sender (a failed send), or released
//! exactly once through the registry's [`ReleaseFn`] with its owner, always
//! **outside** the channel lock (it is the caller's code).
//!
//! Blocking (`std` only) parks on two [`Notifier`]s
//! per channel, one for receivers waiting for items and one for senders
//! waiting for their item to be taken, and takes a
//! [`Wait`](crate::wait::Wait): real wake-ups, no polling, fractional
//! timeouts, interruption. CPython polls every 10 ms and truncates receive
//! timeouts to whole seconds; we do neither.
//!
//! ```
//! use xikernel::{ChannelError, Channels, End, InterpId, Received, UnboundOp, MAIN};
//!
//! let chans = Channels::new();
//! let c = chans.create(UnboundOp::Replace).unwrap();
//! chans.send(MAIN, c, "ping", UnboundOp::Replace).unwrap();
//! assert_eq!(chans.len(c), Ok(1));
//! assert_eq!(chans.try_recv(InterpId(1), c), Ok(Received::Item("ping")));
//! assert_eq!(chans.try_recv(InterpId(1), c), Err(ChannelError::Empty(c)));
//! chans.close(c, End::Both, false).unwrap();
//! assert_eq!(chans.try_recv(InterpId(1), c), Err(ChannelError::Closed(c)));
//! ```
//!
//! Deliberate differences from CPython 3.13 (its bugs, reference §3.10):
//! releasing an end twice is idempotent; no channel state is read without
//! the channel lock (`list_interpreters`, `get_info`); `list_all` works with
//! closed channels; items stranded by a close are released at the close.

mod ends;
mod error;
mod state;

#[cfg(feature = "std")]
mod blocking;

use alloc::vec::Vec;
use core::fmt;

#[doc(no_inline)]
pub use crate::owner::{Received, UnboundOp, UnsupportedUnboundOp};
pub use ends::ChannelInfo;
pub use error::{ChannelError, ErrorClass, SendError};

#[cfg(feature = "std")]
use self::state::Wake;
use self::state::{Effects, State};
use crate::lockorder::{OrderedGuard, OrderedMutex, Rank};
use crate::owner::{ClearInterpreter, InterpId, ReleaseFn};
use crate::sync::Arc;
use crate::table::{Table, MAX_ID};
#[cfg(feature = "std")]
use crate::wait::Notifier;

/// A channel id: `u64`, from 0, monotonic, never reused.
///
/// ```
/// use xikernel::{ChannelId, Channels, UnboundOp};
/// let chans = Channels::<u8>::new();
/// assert_eq!(chans.create(UnboundOp::Replace), Ok(ChannelId(0))); // from 0, never reused
/// assert_eq!(ChannelId(7).to_string(), "7");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ChannelId(pub u64);

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Which end(s) a `close` or `release` applies to.
///
/// ```
/// use xikernel::End;
/// assert_eq!(End::from_flags(true, false), End::Send);
/// assert_eq!(End::from_flags(false, false), End::Both);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum End {
    /// The sending end.
    Send,
    /// The receiving end.
    Recv,
    /// Both ends.
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

/// One channel: its default unbound policy (immutable, so `list_all` needs
/// no entry lock) and its state under the entry lock.
struct Channel<T> {
    default_unbound: UnboundOp,
    state: OrderedMutex<State<T>>,
    /// Receivers waiting for an item or a close.
    #[cfg(feature = "std")]
    items: Notifier,
    /// Blocking senders waiting for their item's outcome.
    #[cfg(feature = "std")]
    taken: Notifier,
}

impl<T> Channel<T> {
    fn new(default_unbound: UnboundOp) -> Self {
        Self {
            default_unbound,
            state: OrderedMutex::new(Rank::ENTRY, State::new()),
            #[cfg(feature = "std")]
            items: Notifier::new(),
            #[cfg(feature = "std")]
            taken: Notifier::new(),
        }
    }

    /// Wakes whoever the operation made runnable. Call it with the channel
    /// lock released: a waiter polls under its notifier's lock and then
    /// takes the channel lock, so notifying under the channel lock could
    /// deadlock against it.
    #[cfg_attr(not(feature = "std"), allow(unused_variables))]
    fn wake(&self, fx: &Effects<T>) {
        // Notifying after unlocking cannot lose a wake-up: the state change
        // was made under the lock, and every waiter re-checks it after
        // registering with the notifier (the Notifier's protocol).
        #[cfg(feature = "std")]
        {
            match fx.wake_receivers {
                Wake::None => {}
                Wake::One => self.items.notify_one(),
                Wake::All => self.items.notify_all(),
            }
            if fx.wake_senders {
                self.taken.notify_all();
            }
        }
    }
}

/// The channel registry: CPython's `_interpchannels` on a two-level-locked
/// table. See the [module docs](self).
///
/// ```
/// use std::sync::Arc;
/// use xikernel::wait::Wait;
/// use xikernel::{Channels, InterpId, Received, UnboundOp};
///
/// let chans = Arc::new(Channels::new());
/// let c = chans.create(UnboundOp::Replace).unwrap();
/// let tx = chans.clone();
/// // Send-and-wait: returns once interpreter 2 has taken *this* item.
/// let sender = std::thread::spawn(move || tx.send_wait(InterpId(1), c, "job", UnboundOp::Replace, Wait::forever()));
/// assert_eq!(chans.recv_wait(InterpId(2), c, Wait::forever()), Ok(Received::Item("job")));
/// assert!(sender.join().unwrap().is_ok());
/// ```
pub struct Channels<T> {
    table: Table<Channel<T>>,
    release: Option<ReleaseFn<T>>,
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
    /// An empty registry that drops released data; ids start at 0 like
    /// CPython's.
    pub fn new() -> Self {
        Self::with_id_range(0, MAX_ID)
    }

    /// A registry handing out only ids `first..=last` (to test exhaustion).
    pub fn with_id_range(first: u64, last: u64) -> Self {
        Self {
            table: Table::with_id_range(first, last),
            release: None,
        }
    }

    /// Releases discarded data through `release` (with its owner) instead
    /// of dropping it; see [`ReleaseFn`].
    pub fn with_release(mut self, release: ReleaseFn<T>) -> Self {
        self.release = Some(release);
        self
    }

    fn lookup(&self, cid: ChannelId) -> Result<Arc<Channel<T>>, ChannelError> {
        self.table.get(cid.0).ok_or(ChannelError::NotFound(cid))
    }

    /// Unlocks, wakes whoever the operation made runnable, and only then
    /// releases the discarded items (the release function is the caller's
    /// code and may take other locks).
    fn finish(&self, chan: &Channel<T>, guard: OrderedGuard<'_, State<T>>, fx: Effects<T>) {
        drop(guard);
        chan.wake(&fx);
        self.release_all(fx);
    }

    fn release_all(&self, fx: Effects<T>) {
        for (data, owner) in fx.discarded {
            match &self.release {
                Some(f) => f(data, owner),
                None => drop(data),
            }
        }
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
        self.finish(&chan, st, fx);
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
    /// released, blocked senders fail with `HasClosed`, blocked receivers
    /// and later calls with `NotFound`.
    pub fn destroy(&self, cid: ChannelId) -> Result<(), ChannelError> {
        let chan = self
            .table
            .remove(cid.0)
            .ok_or(ChannelError::NotFound(cid))?;
        let mut st = chan.state.lock();
        let mut fx = Effects::new();
        st.kill(&mut fx);
        self.finish(&chan, st, fx);
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

    /// Queues `item`, owned by `interp`, and returns at once (channels are
    /// unbounded). On error the item comes back in the [`SendError`].
    pub fn send(
        &self,
        interp: InterpId,
        cid: ChannelId,
        item: T,
        unbound: UnboundOp,
    ) -> Result<(), SendError<T>> {
        let chan = match self.lookup(cid) {
            Ok(chan) => chan,
            Err(_) => return Err(SendError::NotFound(cid, item)),
        };
        let mut st = chan.state.lock();
        let mut fx = Effects::new();
        let r = st
            .send(cid, interp, item, unbound, false, &mut fx)
            .map(drop);
        self.finish(&chan, st, fx);
        r
    }

    /// Receives without waiting: `Empty` if there is nothing.
    pub fn try_recv(&self, interp: InterpId, cid: ChannelId) -> Result<Received<T>, ChannelError> {
        self.with_state(cid, |st, fx| st.recv(cid, interp, fx))
    }

    /// `close(send, recv, force)`. Unforced with items: closing the send end
    /// starts draining (`closing`), anything else is `NotEmpty`. Otherwise
    /// the channel closes at once, releasing every item and waking every
    /// blocked thread with `ChannelClosedError`.
    pub fn close(&self, cid: ChannelId, end: End, force: bool) -> Result<(), ChannelError> {
        self.with_state(cid, |st, fx| st.close(cid, end, force, fx))
    }

    /// Closes only `interp`'s `end`(s); the channel closes when no
    /// interpreter has an open end left. Idempotent per end. Wakes the
    /// receivers parked on the channel, so that `interp`'s own learn their
    /// end is closed.
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
    pub fn len(&self, cid: ChannelId) -> Result<usize, ChannelError> {
        self.with_state(cid, |st, _| st.count(cid))
    }

    /// The channel's [`ChannelInfo`] as seen from `interp`.
    pub fn info(&self, interp: InterpId, cid: ChannelId) -> Result<ChannelInfo, ChannelError> {
        self.with_state(cid, |st, _| st.info(cid, interp))
    }

    /// The channel's default unbound policy.
    pub fn defaults(&self, cid: ChannelId) -> Result<UnboundOp, ChannelError> {
        Ok(self.lookup(cid)?.default_unbound)
    }

    /// `interp` is being destroyed: in every channel, its items are removed
    /// (REMOVE) or unbound (ERROR / REPLACE), their data released, and its
    /// ends closed.
    pub fn clear_interpreter(&self, interp: InterpId) {
        // Snapshot first: the table lock is never held while an entry is
        // locked (CPython nests them here; we need not).
        for (_, chan) in self.table.snapshot() {
            let mut st = chan.state.lock();
            let mut fx = Effects::new();
            st.clear_interpreter(interp, &mut fx);
            self.finish(&chan, st, fx);
        }
    }

    /// Number of channels in the registry (closed ones included).
    pub fn channel_count(&self) -> usize {
        self.table.len()
    }
}

impl<T> ClearInterpreter for Channels<T> {
    fn clear_interpreter(&self, interp: InterpId) {
        Channels::clear_interpreter(self, interp)
    }
}

impl<T> Drop for Channels<T> {
    /// Runtime finalisation: every channel still registered is destroyed,
    /// so its items go through the release function, not a bare drop.
    fn drop(&mut self) {
        for (_, chan) in self.table.drain() {
            let mut st = chan.state.lock();
            let mut fx = Effects::new();
            st.kill(&mut fx);
            self.finish(&chan, st, fx);
        }
    }
}
