//! CPython `_interpqueues` semantics with a lock-free hot path.
//!
//! A [`Queues`] registry maps [`QueueId`]s (from 1, never reused) to
//! queues on the two-level-locked [`Table`]. Unlike channels, queue items
//! need no per-item identity, so a queue's items live in the lock-free
//! [`Ring`](crate::ring::Ring) (bounded) or [`List`](crate::list::List)
//! (unbounded): after the table lookup, `put` and `get` take **no lock** —
//! through a [`QueueHandle`] not even the lookup.
//!
//! ## Unbound items: the maintenance gate
//!
//! When an interpreter is destroyed, every queue must apply each of its
//! items' policy at once (CPython's observable behaviour: a REMOVE item
//! vanishes and `get_count` drops immediately; ERROR / REPLACE items stay in
//! place, still counted, and come out as [`Received::Unbound`]). A lock-free
//! ring cannot unlink an item in its middle, so the destroy path closes the
//! queue's *gate* (`gate.rs`), drains the store, filters it and refills it in
//! order. The alternatives we rejected:
//!
//! - *lazy per-item marks* (a get skips a dead REMOVE item): `get_count`
//!   and `is_full` must drop immediately, so the ring would hold dead items
//!   that a bounded queue's capacity still pays for; with repeated destroys
//!   nothing bounds how many.
//! - *a per-queue lock* (CPython's): every put/get would serialise.
//!
//! The price of the gate: two uncontended RMWs on the queue's gate word per
//! operation, and a brief stall of that queue's operations during an
//! interpreter destroy (rare, and proportional to the queue's length).
//! CPython 3.13 loses the put that follows a removed last item (its tail
//! pointer dangles, reference §2.10); rebuilding the store cannot.
//!
//! ## Release
//!
//! Every item is handed to exactly one `get`, or released exactly once
//! through the registry's release function ([`Queues::with_release`]):
//! items a failed put could not store, items left at destroy, data of items
//! whose owner was destroyed. The default just drops them;
//! [`Interpreters::router`](crate::interp::Interpreters::router) routes
//! [`XiData`](crate::xidata::XiData) to its owner's pending-release queue.
//! The release function never runs under a kernel lock.
//!
//! ## Deliberate differences from CPython 3.13
//!
//! `is_full` is false for unbounded queues (`maxsize <= 0`); a removed last
//! item loses no later put; blocking calls are woken by the opposite
//! operation (no 10 ms polling) and honour fractional timeouts.

mod error;
mod gate;
mod store;

#[cfg(feature = "std")]
mod blocking;

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

pub use self::error::{QueueError, QueueErrorClass};
pub use self::store::RING_LIMIT;
use self::store::{Item, PutError, Store};
use crate::channel::{Received, UnboundOp};
use crate::error::PopError;
use crate::interp::InterpId;
use crate::lockorder::{OrderedMutex, Rank};
use crate::sync::Arc;
use crate::table::Table;
#[cfg(feature = "std")]
use crate::wait::Notifier;

/// A queue id: from 1, monotonic, never reused.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct QueueId(pub u64);

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A queue's defaults, reported by `list_all` and `get_queue_defaults`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct QueueDefaults {
    /// CPython 3.13's `fmt`: an opaque int, stored and echoed back.
    pub fmt: i64,
    /// The unbound policy a binding applies when a put names none.
    pub unbound: UnboundOp,
}

/// Releases an item's data that no `get` will hand out: `(data, owner)`.
pub type ReleaseFn<T> = Box<dyn Fn(T, InterpId) + Send + Sync>;

/// Binding count; `dying` once a release brought it to 0.
#[derive(Debug, Default)]
struct Refs {
    count: usize,
    dying: bool,
}

struct Queue<T> {
    id: QueueId,
    /// As given (negative and 0 mean unbounded, reported verbatim).
    maxsize: i64,
    defaults: QueueDefaults,
    store: Store<T>,
    refs: OrderedMutex<Refs>,
    /// Getters waiting for an item or a destroy.
    #[cfg(feature = "std")]
    not_empty: Notifier,
    /// Putters waiting for a free place or a destroy (bounded only).
    #[cfg(feature = "std")]
    not_full: Notifier,
}

impl<T> Queue<T> {
    fn new(id: QueueId, maxsize: i64, defaults: QueueDefaults) -> Self {
        let bound = usize::try_from(maxsize).ok().filter(|&n| n > 0);
        Self {
            id,
            maxsize,
            defaults,
            store: Store::new(bound),
            refs: OrderedMutex::new(Rank::ENTRY, Refs::default()),
            #[cfg(feature = "std")]
            not_empty: Notifier::new(),
            #[cfg(feature = "std")]
            not_full: Notifier::new(),
        }
    }

    fn bounded(&self) -> bool {
        self.maxsize > 0
    }

    fn dead(&self) -> Result<(), QueueError> {
        if self.store.is_closed() {
            Err(QueueError::NotFound(self.id))
        } else {
            Ok(())
        }
    }

    /// One put attempt, then the wake-up.
    #[inline]
    fn try_put(&self, item: Item<T>) -> Result<(), (QueueError, Item<T>)> {
        self.put_quiet(item)?;
        self.after_put();
        Ok(())
    }

    /// One put attempt without the wake-up (the blocking layer notifies
    /// after leaving its own notifier's lock: notifying the other notifier
    /// while holding one could deadlock with a waiter doing the opposite).
    #[inline]
    fn put_quiet(&self, item: Item<T>) -> Result<(), (QueueError, Item<T>)> {
        match self.store.put(item) {
            Ok(()) => Ok(()),
            Err(PutError::Full(i)) => Err((QueueError::Full(self.id), i)),
            Err(PutError::Closed(i)) => Err((QueueError::NotFound(self.id), i)),
        }
    }

    #[inline]
    fn after_put(&self) {
        #[cfg(feature = "std")]
        self.not_empty.notify_one();
    }

    /// One get attempt, then the wake-up.
    #[inline]
    fn try_get(&self) -> Result<Received<T>, QueueError> {
        let r = self.get_quiet()?;
        self.after_get();
        Ok(r)
    }

    #[inline]
    fn get_quiet(&self) -> Result<Received<T>, QueueError> {
        match self.store.get() {
            Ok(item) => Ok(match item.data {
                Some(data) => Received::Item(data),
                None => Received::Unbound(item.unbound),
            }),
            Err(PopError::Empty) => Err(QueueError::Empty(self.id)),
            Err(PopError::Closed) => Err(QueueError::NotFound(self.id)),
        }
    }

    #[inline]
    fn after_get(&self) {
        #[cfg(feature = "std")]
        if self.bounded() {
            self.not_full.notify_one();
        }
    }

    fn wake_all(&self) {
        #[cfg(feature = "std")]
        {
            self.not_empty.notify_all();
            self.not_full.notify_all();
        }
    }
}

/// The queue registry. See the module docs.
pub struct Queues<T> {
    table: Table<Queue<T>>,
    release: Option<ReleaseFn<T>>,
}

impl<T> fmt::Debug for Queues<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queues")
            .field("table", &self.table)
            .finish()
    }
}

impl<T> Default for Queues<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Queues<T> {
    /// An empty registry (ids from 1, like CPython) that drops released data.
    pub fn new() -> Self {
        Self::with_id_range(1, crate::table::MAX_ID)
    }

    /// A registry handing out only ids `first..=last` (to test exhaustion).
    pub fn with_id_range(first: u64, last: u64) -> Self {
        Self {
            table: Table::with_id_range(first, last),
            release: None,
        }
    }

    /// Releases data through `release` instead of dropping it (e.g.
    /// [`Interpreters::router`](crate::interp::Interpreters::router)).
    pub fn with_release(mut self, release: ReleaseFn<T>) -> Self {
        self.release = Some(release);
        self
    }

    fn release_data(&self, data: T, owner: InterpId) {
        match &self.release {
            Some(f) => f(data, owner),
            None => drop(data),
        }
    }

    fn release_item(&self, item: Item<T>) {
        if let Some(data) = item.data {
            self.release_data(data, item.owner);
        }
    }

    fn lookup(&self, qid: QueueId) -> Result<Arc<Queue<T>>, QueueError> {
        self.table.get(qid.0).ok_or(QueueError::NotFound(qid))
    }

    /// Creates a queue; `maxsize <= 0` means unbounded. Refcount starts at 0.
    pub fn create(&self, maxsize: i64, defaults: QueueDefaults) -> Result<QueueId, QueueError> {
        self.table
            .insert_with(|id| Queue::new(QueueId(id), maxsize, defaults))
            .map(|(id, _)| QueueId(id))
            .map_err(|_| QueueError::IdsExhausted)
    }

    /// Destroys the queue whatever its refcount: remaining items are
    /// released, blocked callers and later calls get `NotFound`.
    pub fn destroy(&self, qid: QueueId) -> Result<(), QueueError> {
        let q = self.table.remove(qid.0).ok_or(QueueError::NotFound(qid))?;
        self.kill(&q);
        Ok(())
    }

    fn kill(&self, q: &Queue<T>) {
        // The close is the linearisation point: a put either got in before
        // (and is drained here) or fails with NotFound.
        q.store.close();
        for item in q.store.drain() {
            self.release_item(item);
        }
        q.wake_all();
    }

    /// Every queue with its defaults, newest first as in CPython.
    pub fn list_all(&self) -> Vec<(QueueId, QueueDefaults)> {
        let mut all: Vec<_> = self
            .table
            .snapshot()
            .into_iter()
            .map(|(id, q)| (QueueId(id), q.defaults))
            .collect();
        all.reverse();
        all
    }

    /// Appends `item`, owned by `interp`, without waiting. On error the item
    /// is released.
    pub fn put(
        &self,
        interp: InterpId,
        qid: QueueId,
        item: T,
        unbound: UnboundOp,
    ) -> Result<(), QueueError> {
        let item = Item {
            owner: interp,
            unbound,
            data: Some(item),
        };
        let r = match self.lookup(qid) {
            Ok(q) => q.try_put(item),
            Err(e) => Err((e, item)),
        };
        r.map_err(|(e, item)| {
            self.release_item(item);
            e
        })
    }

    /// Pops the oldest item without waiting: the data, or the policy of an
    /// item whose owner was destroyed (ERROR or REPLACE; see [`resolve`]).
    pub fn get(&self, qid: QueueId) -> Result<Received<T>, QueueError> {
        self.lookup(qid)?.try_get()
    }

    /// Adds a binding.
    pub fn bind(&self, qid: QueueId) -> Result<(), QueueError> {
        let q = self.lookup(qid)?;
        let mut refs = q.refs.lock();
        if refs.dying {
            return Err(QueueError::NotFound(qid));
        }
        q.dead()?;
        refs.count += 1;
        Ok(())
    }

    /// Drops a binding; the last one destroys the queue. `NeverBound` if
    /// the count is already 0.
    pub fn release(&self, qid: QueueId) -> Result<(), QueueError> {
        let q = self.lookup(qid)?;
        let mut refs = q.refs.lock();
        if refs.dying {
            return Err(QueueError::NotFound(qid));
        }
        q.dead()?;
        if refs.count == 0 {
            return Err(QueueError::NeverBound(qid));
        }
        refs.count -= 1;
        if refs.count > 0 {
            return Ok(());
        }
        // No bind can revive it now (`dying`); unlink, unless an explicit
        // destroy already did (then it kills the queue).
        refs.dying = true;
        drop(refs);
        if let Some(q) = self.table.remove(qid.0) {
            self.kill(&q);
        }
        Ok(())
    }

    /// The `maxsize` given at creation, verbatim.
    pub fn get_maxsize(&self, qid: QueueId) -> Result<i64, QueueError> {
        Ok(self.lookup(qid)?.maxsize)
    }

    pub fn get_queue_defaults(&self, qid: QueueId) -> Result<QueueDefaults, QueueError> {
        Ok(self.lookup(qid)?.defaults)
    }

    /// Full only if bounded and at its bound (CPython 3.13 says an empty
    /// unbounded queue is full).
    pub fn is_full(&self, qid: QueueId) -> Result<bool, QueueError> {
        let q = self.lookup(qid)?;
        q.dead()?;
        Ok(q.bounded() && q.store.len() as u64 >= q.maxsize as u64)
    }

    /// Number of items, neutered (ERROR / REPLACE) ones included.
    pub fn get_count(&self, qid: QueueId) -> Result<usize, QueueError> {
        let q = self.lookup(qid)?;
        q.dead()?;
        Ok(q.store.len())
    }

    /// `interp` is being destroyed: in every queue, its items lose their
    /// data (released); REMOVE items vanish, ERROR / REPLACE items stay.
    pub fn clear_interpreter(&self, interp: InterpId) {
        for (_, q) in self.table.snapshot() {
            // Nothing to rebuild in an empty queue: the destroyed
            // interpreter's threads have stopped, so none of its puts can
            // still be arriving, and every earlier one is visible here.
            if q.store.len() == 0 {
                continue;
            }
            let mut released = Vec::new();
            let removed = q
                .store
                .clear_interpreter(interp, |data| released.push(data));
            for data in released {
                self.release_data(data, interp);
            }
            if removed > 0 {
                // Places freed: every blocked putter may proceed.
                #[cfg(feature = "std")]
                q.not_full.notify_all();
            }
        }
    }

    /// A bound handle whose put/get skip the table lookup. It adds a
    /// binding, which dropping the handle does not undo: call
    /// [`release`](Self::release) as CPython's `Queue.__del__` does.
    pub fn handle(&self, qid: QueueId) -> Result<QueueHandle<T>, QueueError> {
        self.bind(qid)?;
        Ok(QueueHandle {
            queue: self.lookup(qid)?,
        })
    }

    /// Number of queues.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

impl<T> Drop for Queues<T> {
    /// Runtime finalisation: every queue still registered is destroyed, so
    /// its items go through the release function (routed), not a bare drop.
    fn drop(&mut self) {
        for (_, q) in self.table.drain() {
            self.kill(&q);
        }
    }
}

/// A counted reference to one queue: put/get without any lookup or lock.
pub struct QueueHandle<T> {
    queue: Arc<Queue<T>>,
}

impl<T> fmt::Debug for QueueHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("QueueHandle").field(&self.queue.id).finish()
    }
}

impl<T> QueueHandle<T> {
    pub fn id(&self) -> QueueId {
        self.queue.id
    }

    /// Appends without waiting. On failure the item is dropped here (an
    /// [`XiData`](crate::xidata::XiData) releases itself on drop); use
    /// [`Queues::put`] for routed releases.
    #[inline]
    pub fn put(&self, interp: InterpId, item: T, unbound: UnboundOp) -> Result<(), QueueError> {
        let item = Item {
            owner: interp,
            unbound,
            data: Some(item),
        };
        self.queue.try_put(item).map_err(|(e, _item)| e)
    }

    /// Pops without waiting.
    #[inline]
    pub fn get(&self) -> Result<Received<T>, QueueError> {
        self.queue.try_get()
    }
}

/// The wrapper-level view of a get (CPython's `Queue.get`): the data, `None`
/// for the `UNBOUND` marker (REPLACE), or `ItemInterpreterDestroyed` (ERROR).
pub fn resolve<T>(qid: QueueId, r: Received<T>) -> Result<Option<T>, QueueError> {
    match r {
        Received::Item(data) => Ok(Some(data)),
        Received::Unbound(UnboundOp::Error) => Err(QueueError::ItemInterpreterDestroyed(qid)),
        // REMOVE items never come out; treat one like REPLACE if it did.
        Received::Unbound(_) => Ok(None),
    }
}
