//! One channel's state machine: items, ends and open -> closing -> closed.
//!
//! Everything here runs under the channel's entry lock and is purely
//! sequential. Side effects that must not happen under the lock (dropping
//! items, which runs caller code; waking threads) are collected in
//! [`Effects`] and carried out by the caller once the lock is released.
//!
//! ```text
//!            close(send) with items          last item received / withdrawn
//!   Open ------------------------------> Closing ----------------------------> Closed
//!     |   close(empty or force), release of the last open end, destroy          ^
//!     +-----------------------------------------------------------------------+
//! ```
//! `Closing` also goes straight to `Closed` on a forced close, a release of
//! the last open end, or destroy.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use super::ends::{ChannelInfo, Ends};
use super::{ChannelError, ChannelId, End, SendError};
use crate::owner::{InterpId, Received, UnboundOp};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Status {
    Open,
    Closing,
    Closed,
}

/// How a blocking sender's wait ended (recorded for waiting items only).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Outcome {
    Received,
    Discarded,
}

#[derive(Debug)]
struct Item<T> {
    /// Identity for send-and-wait: CPython uses the item's address.
    id: u64,
    owner: InterpId,
    /// `None` once the owner was destroyed (ERROR / REPLACE items).
    data: Option<T>,
    unbound: UnboundOp,
    /// A sender is blocked until this item is received.
    waiting: bool,
}

/// Who to wake once the lock is dropped.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Default)]
pub(super) enum Wake {
    #[default]
    None,
    One,
    All,
}

/// Work deferred until after the entry lock is released.
#[derive(Debug)]
pub(super) struct Effects<T> {
    /// Items released by this operation, with their owners: released
    /// outside the lock.
    pub(super) discarded: Vec<(T, InterpId)>,
    pub(super) wake_receivers: Wake,
    pub(super) wake_senders: bool,
}

impl<T> Effects<T> {
    pub(super) fn new() -> Self {
        Self {
            discarded: Vec::new(),
            wake_receivers: Wake::None,
            wake_senders: false,
        }
    }

    fn wake_receivers(&mut self, w: Wake) {
        self.wake_receivers = self.wake_receivers.max(w);
    }
}

#[derive(Debug)]
pub(super) struct State<T> {
    pub(super) status: Status,
    /// Unlinked from the table by `destroy`: every later use is NotFound.
    pub(super) dead: bool,
    items: VecDeque<Item<T>>,
    next_item: u64,
    ends: Ends,
    /// Outcomes for blocked senders, keyed by item id; each sender removes
    /// its own.
    outcomes: BTreeMap<u64, Outcome>,
}

impl<T> State<T> {
    pub(super) fn new() -> Self {
        Self {
            status: Status::Open,
            dead: false,
            items: VecDeque::new(),
            next_item: 0,
            ends: Ends::default(),
            outcomes: BTreeMap::new(),
        }
    }

    /// The checks every operation starts with after locking.
    fn check_open(&self, cid: ChannelId) -> Result<(), ChannelError> {
        if self.dead {
            Err(ChannelError::NotFound(cid))
        } else if self.status == Status::Closed {
            Err(ChannelError::Closed(cid))
        } else {
            Ok(())
        }
    }

    /// Appends `data`; returns the item id. On error `data` comes back.
    pub(super) fn send(
        &mut self,
        cid: ChannelId,
        interp: InterpId,
        data: T,
        unbound: UnboundOp,
        waiting: bool,
        fx: &mut Effects<T>,
    ) -> Result<u64, SendError<T>> {
        if self.dead {
            return Err(SendError::NotFound(cid, data));
        }
        if self.status != Status::Open {
            return Err(SendError::Closed(cid, data));
        }
        if let Err(e) = self.ends.associate(cid, interp, true) {
            debug_assert_eq!(e, ChannelError::AlreadyClosed(cid));
            return Err(SendError::AlreadyClosed(cid, data));
        }
        let id = self.next_item;
        // u64 item ids cannot wrap in practice (one per send).
        self.next_item = self.next_item.wrapping_add(1);
        self.items.push_back(Item {
            id,
            owner: interp,
            data: Some(data),
            unbound,
            waiting,
        });
        fx.wake_receivers(Wake::One);
        Ok(id)
    }

    /// Pops the oldest item for `interp`.
    pub(super) fn recv(
        &mut self,
        cid: ChannelId,
        interp: InterpId,
        fx: &mut Effects<T>,
    ) -> Result<Received<T>, ChannelError> {
        self.check_open(cid)?;
        self.ends.associate(cid, interp, false)?;
        let item = self.items.pop_front().ok_or(ChannelError::Empty(cid))?;
        if item.waiting {
            self.outcomes.insert(item.id, Outcome::Received);
            fx.wake_senders = true;
        }
        self.settle(fx);
        Ok(match item.data {
            Some(data) => Received::Item(data),
            None => Received::Unbound(item.unbound),
        })
    }

    /// A closing channel whose last item is gone becomes closed.
    fn settle(&mut self, fx: &mut Effects<T>) {
        if self.status == Status::Closing && self.items.is_empty() {
            self.close_now(fx);
        }
    }

    /// Closes at once: every queued item is released exactly once (outside
    /// the lock), every blocked sender learns its item was discarded, and
    /// every blocked thread is woken.
    fn close_now(&mut self, fx: &mut Effects<T>) {
        self.status = Status::Closed;
        for item in self.items.drain(..) {
            if item.waiting {
                self.outcomes.insert(item.id, Outcome::Discarded);
            }
            fx.discarded.extend(item.data.map(|d| (d, item.owner)));
        }
        fx.wake_receivers(Wake::All);
        fx.wake_senders = true;
    }

    /// `close(send, recv, force)`: see the module docs.
    pub(super) fn close(
        &mut self,
        cid: ChannelId,
        end: End,
        force: bool,
        fx: &mut Effects<T>,
    ) -> Result<(), ChannelError> {
        self.check_open(cid)?;
        if !force && !self.items.is_empty() {
            return match (end, self.status) {
                // Closing the send end twice is an error, as in CPython.
                (End::Send, Status::Closing) => Err(ChannelError::Closed(cid)),
                (End::Send, _) => {
                    self.status = Status::Closing;
                    Ok(())
                }
                _ => Err(ChannelError::NotEmpty(cid)),
            };
        }
        self.close_now(fx);
        Ok(())
    }

    /// Releases `interp`'s ends; the channel closes once no end is open.
    pub(super) fn release(
        &mut self,
        cid: ChannelId,
        interp: InterpId,
        end: End,
        fx: &mut Effects<T>,
    ) -> Result<(), ChannelError> {
        self.check_open(cid)?;
        self.ends.release(interp, end);
        if end != End::Send {
            // The releasing interpreter's parked receivers must learn that
            // their end is closed, and only a wake-up tells them: without
            // it they sleep out their timeout, and the next send's
            // `notify_one` may go to one of them, which then fails and
            // leaves the item to nobody (a lost wake-up for the others).
            fx.wake_receivers(Wake::All);
        }
        if !self.ends.any_open() {
            self.close_now(fx);
        }
        Ok(())
    }

    /// `interp` is being destroyed: unbind the items it sent and close its
    /// ends (CPython's `_channel_clear_interpreter`).
    pub(super) fn clear_interpreter(&mut self, interp: InterpId, fx: &mut Effects<T>) {
        if self.dead || self.status == Status::Closed {
            return;
        }
        let outcomes = &mut self.outcomes;
        self.items.retain_mut(|item| {
            if item.owner != interp || item.data.is_none() {
                return true;
            }
            fx.discarded.extend(item.data.take().map(|d| (d, interp)));
            if item.unbound != UnboundOp::Remove {
                return true;
            }
            if item.waiting {
                outcomes.insert(item.id, Outcome::Discarded);
                fx.wake_senders = true;
            }
            false
        });
        self.ends.clear_interpreter(interp);
        if !self.ends.any_open() {
            self.close_now(fx);
        } else {
            self.settle(fx);
        }
    }

    /// Unlinked from the table: close and mark dead.
    pub(super) fn kill(&mut self, fx: &mut Effects<T>) {
        self.dead = true;
        self.close_now(fx);
    }

    /// A blocked sender's result, once there is one.
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(super) fn take_outcome(&mut self, item: u64) -> Option<Outcome> {
        self.outcomes.remove(&item)
    }

    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    /// A blocked sender gave up: take its item back unless it was received
    /// (or discarded) meanwhile, in which case that outcome wins (`Ok`).
    /// `Err(data)`: withdrawn (`None` if its owner was destroyed meanwhile).
    pub(super) fn withdraw(
        &mut self,
        item: u64,
        fx: &mut Effects<T>,
    ) -> Result<Outcome, Option<T>> {
        if let Some(outcome) = self.take_outcome(item) {
            return Ok(outcome);
        }
        let mut data = None;
        if let Some(pos) = self.items.iter().position(|i| i.id == item) {
            data = self.items.remove(pos).and_then(|it| it.data);
            self.settle(fx);
        }
        Err(data)
    }

    pub(super) fn count(&self, cid: ChannelId) -> Result<usize, ChannelError> {
        self.check_open(cid)?;
        Ok(self.items.len())
    }

    pub(super) fn list_interpreters(
        &self,
        cid: ChannelId,
        send: bool,
    ) -> Result<Vec<InterpId>, ChannelError> {
        self.check_open(cid)?;
        if send && self.status == Status::Closing {
            return Err(ChannelError::Closed(cid));
        }
        Ok(self.ends.interpreters(send))
    }

    /// `get_info` works on closed channels (all counters 0 then).
    pub(super) fn info(&self, cid: ChannelId, me: InterpId) -> Result<ChannelInfo, ChannelError> {
        if self.dead {
            return Err(ChannelError::NotFound(cid));
        }
        let mut info = ChannelInfo {
            open: self.status == Status::Open,
            closing: self.status == Status::Closing,
            closed: self.status == Status::Closed,
            ..ChannelInfo::default()
        };
        if !info.closed {
            info.count = self.items.len();
            self.ends.fill_info(me, &mut info);
        }
        Ok(info)
    }
}
