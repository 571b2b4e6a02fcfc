//! One queue's items: a lock-free ring (bounded) or list (unbounded, or
//! bounded beyond [`RING_LIMIT`]) of [`Item`]s, behind the maintenance
//! [`Gate`].

use alloc::vec::Vec;

use super::gate::Gate;
use crate::channel::UnboundOp;
use crate::error::{PopError, PushError};
use crate::interp::InterpId;
use crate::list::List;
use crate::ring::Ring;
use crate::sync::{AtomicUsize, Ordering};

/// Largest `maxsize` backed by a preallocated ring. A larger bound would
/// preallocate memory nobody may ever use (`maxsize` is caller input), so
/// those queues use the list plus an admission counter.
pub const RING_LIMIT: usize = 4096;

/// A queued item: its owner, its unbound policy and its data (`None` once
/// the owner was destroyed and the policy is ERROR or REPLACE).
#[derive(Debug)]
pub(super) struct Item<T> {
    pub(super) owner: InterpId,
    pub(super) unbound: UnboundOp,
    pub(super) data: Option<T>,
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

pub(super) enum PutError<T> {
    Full(Item<T>),
    Closed(Item<T>),
}

pub(super) struct Store<T> {
    gate: Gate,
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
    pub(super) fn put(&self, item: Item<T>) -> Result<(), PutError<T>> {
        let _pass = self.gate.enter();
        self.push_raw(item)
    }

    fn push_raw(&self, item: Item<T>) -> Result<(), PutError<T>> {
        match &self.backing {
            Backing::Ring(ring) => ring.try_push(item).map_err(|e| match e {
                PushError::Full(i) => PutError::Full(i),
                PushError::Closed(i) => PutError::Closed(i),
            }),
            Backing::List {
                list,
                max,
                admitted,
            } => {
                let bounded = *max != usize::MAX;
                if bounded && !reserve(admitted, *max) {
                    return Err(PutError::Full(item));
                }
                list.try_push(item).map_err(|e| {
                    if bounded {
                        // Relaxed: an admission count only (see `reserve`).
                        admitted.fetch_sub(1, Ordering::Relaxed);
                    }
                    PutError::Closed(e.into_inner())
                })
            }
        }
    }

    /// Pops the oldest item without waiting.
    #[inline]
    pub(super) fn get(&self) -> Result<Item<T>, PopError> {
        let _pass = self.gate.enter();
        self.pop_raw()
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

    pub(super) fn is_closed(&self) -> bool {
        match &self.backing {
            Backing::Ring(ring) => ring.is_closed(),
            Backing::List { list, .. } => list.is_closed(),
        }
    }

    /// Closes the store (the queue is destroyed): later puts fail, gets
    /// drain. Returns whether this call closed it.
    pub(super) fn close(&self) -> bool {
        match &self.backing {
            Backing::Ring(ring) => ring.close(),
            Backing::List { list, .. } => list.close(),
        }
    }

    /// Takes every item out (after `close`), oldest first.
    pub(super) fn drain(&self) -> Vec<Item<T>> {
        let _pass = self.gate.enter();
        let mut out = Vec::new();
        while let Ok(item) = self.pop_raw() {
            out.push(item);
        }
        out
    }

    /// Applies `owner`'s destruction: every item it owns loses its data
    /// (handed to `release`); REMOVE items vanish, the others stay in place.
    /// Everything else keeps its order. Returns how many items vanished.
    ///
    /// Runs with the gate closed, so no put or get sees the store while it
    /// is taken apart and rebuilt.
    pub(super) fn clear_interpreter(&self, owner: InterpId, mut release: impl FnMut(T)) -> usize {
        let excl = self.gate.exclusive();
        let mut kept = Vec::new();
        let mut removed = 0;
        while let Ok(mut item) = self.pop_raw() {
            if item.owner == owner {
                if let Some(data) = item.data.take() {
                    release(data);
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
            if let Err(PutError::Closed(item) | PutError::Full(item)) = self.push_raw(item) {
                stranded.push(item);
            }
        }
        drop(excl);
        for item in stranded {
            if let Some(data) = item.data {
                release(data);
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
