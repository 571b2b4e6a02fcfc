//! One queue's items: a lock-free ring (bounded) or list (unbounded, or
//! bounded beyond [`RING_LIMIT`]) of [`Item`]s, behind the maintenance
//! [`Gate`].
//!
//! Two ways to stop puts, kept apart: `close` (the owner's "no more
//! items": gets drain, then see `Closed`) is a flag read inside the gate,
//! so the interpreter-destroy path can still rebuild a closed queue; a
//! destroy closes the ring or list itself (`kill`), after which nothing
//! is ever stored again.

use alloc::vec::Vec;

use super::gate::Gate;
use crate::error::{PopError, PushError};
use crate::list::List;
use crate::owner::{InterpId, UnboundOp};
use crate::ring::Ring;
use crate::sync::{AtomicBool, AtomicUsize, Ordering, MODEL_CHECKING};

/// Largest `maxsize` backed by a preallocated ring. A larger bound would
/// preallocate memory nobody may ever use (`maxsize` is caller input), so
/// those queues use the list plus an admission counter.
///
/// 3 under a model checker, so that the models reach the bounded list with
/// a handful of items (`maxsize` 4) while those of `maxsize` 1..=3 keep
/// running on the ring.
pub const RING_LIMIT: usize = if MODEL_CHECKING { 3 } else { 4096 };

/// A queued item: its owner, its unbound policy and its data (`None` once
/// the owner was destroyed and the policy is ERROR or REPLACE).
#[derive(Debug)]
pub(super) struct Item<T> {
    pub(super) owner: InterpId,
    pub(super) unbound: UnboundOp,
    pub(super) data: Option<T>,
}

impl<T> Item<T> {
    pub(super) fn new(owner: InterpId, unbound: UnboundOp, data: T) -> Self {
        Self {
            owner,
            unbound,
            data: Some(data),
        }
    }

    /// The data of an item a put could not store (it always has its data:
    /// only the owner's destruction takes it, on items already stored).
    pub(super) fn into_data(self) -> T {
        match self.data {
            Some(d) => d,
            None => unreachable!("a refused put's item has its data"),
        }
    }
}

// One per queue, inside its `Arc`: the padding of the list's cache-padded
// indices costs bytes per queue, boxing it would cost a pointer chase per
// operation.
#[allow(clippy::large_enum_variant)]
enum Backing<T> {
    Ring(Ring<Item<T>>),
    List {
        list: List<Item<T>>,
        /// `usize::MAX` when unbounded.
        max: usize,
        /// Items admitted (bounded only): a put reserves a place here
        /// before pushing, so concurrent puts can never exceed `max`.
        admitted: AtomicUsize,
    },
}

/// Why the store refused an item.
pub(super) enum Refused<T> {
    Full(Item<T>),
    /// `close`d: no more puts.
    Closed(Item<T>),
    /// Destroyed (`kill`ed).
    Dead(Item<T>),
}

/// Why the store had no item.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum NoItem {
    Empty,
    /// `close`d and drained.
    Closed,
    /// Destroyed.
    Dead,
}

pub(super) struct Store<T> {
    gate: Gate,
    /// Set by `close` with the gate held exclusively; read inside the gate.
    closed: AtomicBool,
    backing: Backing<T>,
}

impl<T> core::fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Store").field("gate", &self.gate).finish()
    }
}

impl<T> Store<T> {
    /// `bound`: `None` for unbounded.
    pub(super) fn new(bound: Option<usize>) -> Self {
        let backing = match bound {
            Some(n) if n <= RING_LIMIT => match Ring::try_new(n) {
                Some(ring) => Backing::Ring(ring),
                None => Self::list(n),
            },
            Some(n) => Self::list(n),
            None => Self::list(usize::MAX),
        };
        Self {
            gate: Gate::new(),
            closed: AtomicBool::new(false),
            backing,
        }
    }

    fn list(max: usize) -> Backing<T> {
        Backing::List {
            list: List::new(),
            max,
            admitted: AtomicUsize::new(0),
        }
    }

    /// Appends without waiting. Lock-free: the gate plus one ring/list push.
    #[inline]
    pub(super) fn put(&self, item: Item<T>) -> Result<(), Refused<T>> {
        let _pass = self.gate.enter();
        // Relaxed: `close` stores it with the gate held exclusively, and
        // the gate's Release (reopening) / Acquire (`enter`) order it
        // before this load; a put inside the gate keeps `close` waiting.
        if self.closed.load(Ordering::Relaxed) {
            return Err(Refused::Closed(item));
        }
        self.push_raw(item)
    }

    fn push_raw(&self, item: Item<T>) -> Result<(), Refused<T>> {
        match &self.backing {
            Backing::Ring(ring) => ring.try_push(item).map_err(|e| match e {
                PushError::Full(i) => Refused::Full(i),
                e => Refused::Dead(e.into_inner()),
            }),
            Backing::List {
                list,
                max,
                admitted,
            } => {
                let bounded = *max != usize::MAX;
                if bounded && !reserve(admitted, *max) {
                    return Err(Refused::Full(item));
                }
                list.try_push(item).map_err(|e| {
                    if bounded {
                        // Relaxed: an admission count only (see `reserve`).
                        admitted.fetch_sub(1, Ordering::Relaxed);
                    }
                    Refused::Dead(e.into_inner())
                })
            }
        }
    }

    /// Pops the oldest item without waiting.
    #[inline]
    pub(super) fn get(&self) -> Result<Item<T>, NoItem> {
        let _pass = self.gate.enter();
        match self.pop_raw() {
            Ok(item) => Ok(item),
            // Relaxed: as in `put`; no put can land between the pop and
            // this load while we hold the pass and the flag is set.
            Err(PopError::Empty) if self.closed.load(Ordering::Relaxed) => Err(NoItem::Closed),
            Err(PopError::Empty) => Err(NoItem::Empty),
            Err(_) => Err(NoItem::Dead),
        }
    }

    fn pop_raw(&self) -> Result<Item<T>, PopError> {
        match &self.backing {
            Backing::Ring(ring) => ring.try_pop(),
            Backing::List {
                list,
                max,
                admitted,
            } => {
                let item = list.try_pop()?;
                if *max != usize::MAX {
                    // Relaxed: the place is free again; the list pop itself
                    // publishes the item's removal.
                    admitted.fetch_sub(1, Ordering::Relaxed);
                }
                Ok(item)
            }
        }
    }

    /// Number of items (neutered ones included), as of one instant.
    pub(super) fn len(&self) -> usize {
        let _pass = self.gate.enter();
        match &self.backing {
            Backing::Ring(ring) => ring.len(),
            Backing::List { list, .. } => list.len(),
        }
    }

    /// Whether the queue was destroyed.
    pub(super) fn is_dead(&self) -> bool {
        match &self.backing {
            Backing::Ring(ring) => ring.is_closed(),
            Backing::List { list, .. } => list.is_closed(),
        }
    }

    /// Stops puts (they fail with `Closed`); gets drain what is left, then
    /// see `Closed`. Returns whether this call closed it.
    pub(super) fn close(&self) -> bool {
        // Exclusive, so that no put is between its check of the flag and
        // its push: every put either landed before (and is drained) or
        // sees the flag.
        let _excl = self.gate.exclusive();
        // Relaxed: ordered for the next operation by the gate (see `put`).
        !self.closed.swap(true, Ordering::Relaxed)
    }

    /// Whether [`close`](Self::close) was called.
    pub(super) fn is_closed(&self) -> bool {
        // Relaxed: a snapshot for reporting; nothing is read on its
        // strength.
        self.closed.load(Ordering::Relaxed)
    }

    /// Closes the backing ring or list (the queue is destroyed): later
    /// puts fail, gets drain. Returns whether this call closed it.
    pub(super) fn kill(&self) -> bool {
        match &self.backing {
            Backing::Ring(ring) => ring.close(),
            Backing::List { list, .. } => list.close(),
        }
    }

    /// Takes every item out (after `kill`), oldest first.
    pub(super) fn drain(&self) -> Vec<Item<T>> {
        let _pass = self.gate.enter();
        let mut out = Vec::new();
        while let Ok(item) = self.pop_raw() {
            out.push(item);
        }
        out
    }

    /// Applies `owner`'s destruction: every item it owns loses its data
    /// (handed to `release` with `owner`); REMOVE items vanish, the others
    /// stay in place. Everything else keeps its order. Returns how many
    /// items vanished.
    ///
    /// Runs with the gate closed, so no put or get sees the store while it
    /// is taken apart and rebuilt. Only a concurrent destroy (which closes
    /// the backing without the gate) can refuse the refill: those items
    /// are released with **their own** owners.
    pub(super) fn clear_interpreter(
        &self,
        owner: InterpId,
        mut release: impl FnMut(T, InterpId),
    ) -> usize {
        let excl = self.gate.exclusive();
        let mut kept = Vec::new();
        let mut removed = 0;
        while let Ok(mut item) = self.pop_raw() {
            if item.owner == owner {
                if let Some(data) = item.data.take() {
                    release(data, owner);
                    if item.unbound == UnboundOp::Remove {
                        removed += 1;
                        continue;
                    }
                }
            }
            kept.push(item);
        }
        let mut stranded = Vec::new();
        for item in kept {
            // The store held these a moment ago and nobody else is inside,
            // so only a concurrent destroy (close) can refuse them.
            if let Err(Refused::Dead(item) | Refused::Full(item) | Refused::Closed(item)) =
                self.push_raw(item)
            {
                stranded.push(item);
            }
        }
        drop(excl);
        for item in stranded {
            if let Some(data) = item.data {
                release(data, item.owner);
            }
        }
        removed
    }
}

/// Reserves one place below `max`. Relaxed: the counter orders nothing, its
/// RMW atomicity alone keeps concurrent puts within the bound.
fn reserve(admitted: &AtomicUsize, max: usize) -> bool {
    let mut n = admitted.load(Ordering::Relaxed);
    loop {
        if n >= max {
            return false;
        }
        match admitted.compare_exchange_weak(n, n + 1, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return true,
            Err(now) => n = now,
        }
    }
}
