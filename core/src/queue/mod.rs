//! CPython `_interpqueues` semantics with a lock-free hot path.
//!
//! ```
//! use xikernel::{InterpId, QueueDefaults, QueueError, Queues, Received, UnboundOp, MAIN};
//!
//! let queues = Queues::new();
//! let q = queues.create(2, QueueDefaults::default()).unwrap();
//! queues.try_push(MAIN, q, 1, UnboundOp::Replace).unwrap();
//! queues.try_push(InterpId(4), q, 2, UnboundOp::Error).unwrap();
//! assert!(queues.is_full(q).unwrap());
//! queues.clear_interpreter(InterpId(4)); // interpreter 4 is destroyed
//! queues.close(q).unwrap(); // no more puts; gets drain
//! assert_eq!(queues.try_pop(q), Ok(Received::Item(1)));
//! assert_eq!(queues.try_pop(q), Ok(Received::Unbound(UnboundOp::Error)));
//! assert_eq!(queues.try_pop(q), Err(QueueError::Closed(q)));
//! ```
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
//! vanishes and the length drops immediately; ERROR / REPLACE items stay in
//! place, still counted, and come out as [`Received::Unbound`]). A lock-free
//! ring cannot unlink an item in its middle, so the destroy path closes the
//! queue's *gate* (`gate.rs`), drains the store, filters it and refills it in
//! order. The alternatives we rejected:
//!
//! - *lazy per-item marks* (a get skips a dead REMOVE item): `len`
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
//! Every item is handed to exactly one get, back to its putter (a failed
//! put returns it in [`QueuePushError`]), or released exactly once through
//! the registry's [`ReleaseFn`] ([`Queues::with_release`]) with its owner:
//! items left at destroy, data of items whose owner was destroyed. The
//! default just drops them;
//! [`Interpreters::router`](crate::Interpreters::router) releases
//! [`XiData`](crate::xidata::XiData) in its owner. The release function
//! never runs under a kernel lock.
//!
//! ## Deliberate differences from CPython 3.13
//!
//! `is_full` is false for unbounded queues (`maxsize <= 0`); a removed last
//! item loses no later put; blocking calls are woken by the opposite
//! operation (no 10 ms polling) and honour fractional timeouts.

mod error;
mod gate;
pub(crate) mod store;

#[cfg(feature = "std")]
mod blocking;

use alloc::vec::Vec;
use core::fmt;

pub use self::error::{QueueError, QueueErrorClass, QueuePushError};
use self::store::{Item, NoItem, Refused, Store};
use crate::lockorder::{OrderedMutex, Rank};
use crate::owner::{ClearInterpreter, InterpId, ReleaseFn};
#[doc(no_inline)]
pub use crate::owner::{Received, UnboundOp};
use crate::sync::Arc;
use crate::table::{Table, MAX_ID};
#[cfg(feature = "std")]
use crate::wait::Notifier;

/// A queue id: from 1, monotonic, never reused.
///
/// ```
/// use xikernel::{QueueDefaults, QueueId, Queues};
/// let queues = Queues::<u8>::new();
/// assert_eq!(queues.create(0, QueueDefaults::default()), Ok(QueueId(1))); // from 1, like CPython
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct QueueId(pub u64);

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A queue's defaults, reported by `list_all` and `defaults`.
///
/// ```
/// use xikernel::{QueueDefaults, UnboundOp};
/// let d = QueueDefaults::default();
/// assert_eq!((d.fmt, d.unbound), (0, UnboundOp::Replace));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct QueueDefaults {
    /// CPython 3.13's `fmt`: an opaque int, stored and echoed back.
    pub fmt: i64,
    /// The unbound policy a binding applies when a put names none.
    pub unbound: UnboundOp,
}

/// Binding count; `dying` once a release brought it to 0, `dead` once the
/// queue was destroyed.
#[derive(Debug, Default)]
struct Refs {
    count: usize,
    dying: bool,
    dead: bool,
}

struct Queue<T> {
    id: QueueId,
    /// As given (negative and 0 mean unbounded, reported verbatim).
    maxsize: i64,
    defaults: QueueDefaults,
    store: Store<T>,
    refs: OrderedMutex<Refs>,
    /// Getters waiting for an item, a close or a destroy.
    #[cfg(feature = "std")]
    not_empty: Notifier,
    /// Putters waiting for a free place, a close or a destroy (bounded
    /// only).
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
        if self.store.is_dead() {
            Err(QueueError::NotFound(self.id))
        } else {
            Ok(())
        }
    }

    /// One put attempt, then the wake-up.
    #[inline]
    fn try_put(&self, item: Item<T>) -> Result<(), QueuePushError<T>> {
        self.put_quiet(item).map_err(|(e, item)| e.with(item))?;
        self.after_put();
        Ok(())
    }

    /// One put attempt without the wake-up (the blocking layer notifies
    /// after leaving its own notifier's lock: notifying the other notifier
    /// while holding one could deadlock with a waiter doing the opposite).
    /// The item-less error comes back with the internal item.
    #[inline]
    fn put_quiet(&self, item: Item<T>) -> Result<(), (PushKind, Item<T>)> {
        match self.store.put(item) {
            Ok(()) => Ok(()),
            Err(Refused::Full(i)) => Err((PushKind::Full(self.id), i)),
            Err(Refused::Closed(i)) => Err((PushKind::Closed(self.id), i)),
            Err(Refused::Dead(i)) => Err((PushKind::NotFound(self.id), i)),
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
            Err(NoItem::Empty) => Err(QueueError::Empty(self.id)),
            Err(NoItem::Closed) => Err(QueueError::Closed(self.id)),
            Err(NoItem::Dead) => Err(QueueError::NotFound(self.id)),
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

/// The item-less half of a [`QueuePushError`] (the store hands back its
/// internal item, the caller gets the data).
#[derive(Clone, Copy, Debug)]
enum PushKind {
    NotFound(QueueId),
    Full(QueueId),
    Closed(QueueId),
}

impl PushKind {
    fn with<T>(self, item: Item<T>) -> QueuePushError<T> {
        // A put's item always has its data: only the destroy path of its
        // owner takes it, and that runs on items already stored.
        let data = item.into_data();
        match self {
            PushKind::NotFound(q) => QueuePushError::NotFound(q, data),
            PushKind::Full(q) => QueuePushError::Full(q, data),
            PushKind::Closed(q) => QueuePushError::Closed(q, data),
        }
    }
}

/// The queue registry: CPython's `_interpqueues` on a two-level-locked
/// table. See the [module docs](self).
///
/// ```
/// use xikernel::{InterpId, QueueDefaults, QueueError, Queues, Received, UnboundOp};
///
/// let queues = Queues::new();
/// let q = queues.create(-1, QueueDefaults::default()).unwrap(); // unbounded
/// queues.bind(q).unwrap();
/// queues.try_push(InterpId(1), q, b"payload".to_vec(), UnboundOp::Remove).unwrap();
/// assert_eq!((queues.len(q), queues.capacity(q), queues.maxsize(q)), (Ok(1), Ok(None), Ok(-1)));
/// assert_eq!(queues.try_pop(q), Ok(Received::Item(b"payload".to_vec())));
/// queues.release(q).unwrap(); // the last binding: the queue is destroyed
/// assert_eq!(queues.try_pop(q), Err(QueueError::NotFound(q)));
/// ```
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
        Self::with_id_range(1, MAX_ID)
    }

    /// A registry handing out only ids `first..=last` (to test exhaustion).
    pub fn with_id_range(first: u64, last: u64) -> Self {
        Self {
            table: Table::with_id_range(first, last),
            release: None,
        }
    }

    /// Releases data through `release` (with its owner) instead of
    /// dropping it; see [`ReleaseFn`].
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
        q.refs.lock().dead = true;
        // The close is the linearisation point: a put either got in before
        // (and is drained here) or fails with NotFound.
        q.store.kill();
        for item in q.store.drain() {
            self.release_item(item);
        }
        q.wake_all();
    }

    /// Closes the queue: puts fail with `Closed` (item handed back), gets
    /// drain what is left and then fail with `Closed`, as the
    /// [`Ring`](crate::Ring) does. Wakes every blocked caller. Returns
    /// whether this call closed it. The queue stays registered until
    /// destroyed or its last binding is released.
    pub fn close(&self, qid: QueueId) -> Result<bool, QueueError> {
        let q = self.lookup(qid)?;
        q.dead()?;
        let closed = q.store.close();
        q.wake_all();
        Ok(closed)
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

    /// Appends `item`, owned by `interp`, without waiting. On error the
    /// item comes back in the [`QueuePushError`].
    pub fn try_push(
        &self,
        interp: InterpId,
        qid: QueueId,
        item: T,
        unbound: UnboundOp,
    ) -> Result<(), QueuePushError<T>> {
        let q = match self.lookup(qid) {
            Ok(q) => q,
            Err(_) => return Err(QueuePushError::NotFound(qid, item)),
        };
        q.try_put(Item::new(interp, unbound, item))
    }

    /// Pops the oldest item without waiting: the data, or the policy of an
    /// item whose owner was destroyed (ERROR or REPLACE; see [`resolve`]).
    pub fn try_pop(&self, qid: QueueId) -> Result<Received<T>, QueueError> {
        self.lookup(qid)?.try_get()
    }

    /// Adds a binding.
    pub fn bind(&self, qid: QueueId) -> Result<(), QueueError> {
        let q = self.lookup(qid)?;
        let mut refs = q.refs.lock();
        if refs.dying || refs.dead {
            return Err(QueueError::NotFound(qid));
        }
        refs.count += 1;
        Ok(())
    }

    /// Drops a binding; the last one destroys the queue. `NeverBound` if
    /// the count is already 0.
    pub fn release(&self, qid: QueueId) -> Result<(), QueueError> {
        let q = self.lookup(qid)?;
        self.unbind(&q)
    }

    fn unbind(&self, q: &Queue<T>) -> Result<(), QueueError> {
        let qid = q.id;
        let mut refs = q.refs.lock();
        if refs.dying || refs.dead {
            return Err(QueueError::NotFound(qid));
        }
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

    /// The `maxsize` given at creation, verbatim (`<= 0`: unbounded).
    pub fn maxsize(&self, qid: QueueId) -> Result<i64, QueueError> {
        Ok(self.lookup(qid)?.maxsize)
    }

    /// The bound, `None` for an unbounded queue.
    pub fn capacity(&self, qid: QueueId) -> Result<Option<usize>, QueueError> {
        let q = self.lookup(qid)?;
        Ok(usize::try_from(q.maxsize).ok().filter(|&n| n > 0))
    }

    /// The queue's defaults.
    pub fn defaults(&self, qid: QueueId) -> Result<QueueDefaults, QueueError> {
        Ok(self.lookup(qid)?.defaults)
    }

    /// Full only if bounded and at its bound (CPython 3.13 says an empty
    /// unbounded queue is full).
    pub fn is_full(&self, qid: QueueId) -> Result<bool, QueueError> {
        let q = self.lookup(qid)?;
        q.dead()?;
        Ok(q.bounded() && q.store.len() as u64 >= q.maxsize as u64)
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self, qid: QueueId) -> Result<bool, QueueError> {
        let q = self.lookup(qid)?;
        q.dead()?;
        Ok(q.store.is_closed())
    }

    /// Number of items, neutered (ERROR / REPLACE) ones included.
    pub fn len(&self, qid: QueueId) -> Result<usize, QueueError> {
        let q = self.lookup(qid)?;
        q.dead()?;
        Ok(q.store.len())
    }

    /// `interp` is being destroyed: in every queue, its items lose their
    /// data (released with `interp` as owner); REMOVE items vanish, ERROR /
    /// REPLACE items stay.
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
                .clear_interpreter(interp, |data, owner| released.push((data, owner)));
            for (data, owner) in released {
                self.release_data(data, owner);
            }
            if removed > 0 {
                // Places freed: every blocked putter may proceed.
                #[cfg(feature = "std")]
                q.not_full.notify_all();
            }
        }
    }

    /// A bound handle whose pushes and pops skip the table lookup. It adds
    /// a binding, which dropping the handle releases (the last release
    /// destroys the queue, as CPython's `Queue.__del__` does).
    ///
    /// ```
    /// use xikernel::{QueueDefaults, QueueError, Queues, Received, UnboundOp, MAIN};
    ///
    /// let queues = Queues::new();
    /// let q = queues.create(0, QueueDefaults::default()).unwrap();
    /// {
    ///     let h = queues.handle(q).unwrap();
    ///     h.try_push(MAIN, "x", UnboundOp::Replace).unwrap();
    ///     assert_eq!(h.try_pop(), Ok(Received::Item("x")));
    /// } // the only binding is released: the queue is destroyed
    /// assert_eq!(queues.len(q), Err(QueueError::NotFound(q)));
    /// ```
    pub fn handle(&self, qid: QueueId) -> Result<QueueHandle<'_, T>, QueueError> {
        let queue = self.lookup(qid)?;
        self.bind(qid)?;
        Ok(QueueHandle {
            queues: self,
            queue,
        })
    }

    /// Number of queues in the registry.
    pub fn queue_count(&self) -> usize {
        self.table.len()
    }
}

impl<T> ClearInterpreter for Queues<T> {
    fn clear_interpreter(&self, interp: InterpId) {
        Queues::clear_interpreter(self, interp)
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

/// A binding to one queue: pushes and pops without any lookup or lock.
/// Dropping it releases the binding (see [`Queues::handle`]).
///
/// ```
/// use xikernel::{QueueDefaults, Queues, Received, UnboundOp, MAIN};
/// let queues = Queues::new();
/// let q = queues.create(4, QueueDefaults::default()).unwrap();
/// let h = queues.handle(q).unwrap(); // binds
/// h.try_push(MAIN, 1u8, UnboundOp::Replace).unwrap();
/// assert_eq!((h.id(), h.try_pop()), (q, Ok(Received::Item(1))));
/// ```
pub struct QueueHandle<'q, T> {
    queues: &'q Queues<T>,
    queue: Arc<Queue<T>>,
}

impl<T> fmt::Debug for QueueHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("QueueHandle").field(&self.queue.id).finish()
    }
}

impl<T> QueueHandle<'_, T> {
    /// The queue's id.
    pub fn id(&self) -> QueueId {
        self.queue.id
    }

    /// Appends without waiting; the item comes back on error.
    #[inline]
    pub fn try_push(
        &self,
        interp: InterpId,
        item: T,
        unbound: UnboundOp,
    ) -> Result<(), QueuePushError<T>> {
        self.queue.try_put(Item::new(interp, unbound, item))
    }

    /// Pops without waiting.
    #[inline]
    pub fn try_pop(&self) -> Result<Received<T>, QueueError> {
        self.queue.try_get()
    }
}

impl<T> Drop for QueueHandle<'_, T> {
    fn drop(&mut self) {
        // Already destroyed: nothing to release.
        let _ = self.queues.unbind(&self.queue);
    }
}

/// The wrapper-level view of a get (CPython's `Queue.get`): the data, `None`
/// for the `UNBOUND` marker (REPLACE), or `ItemInterpreterDestroyed` (ERROR).
///
/// ```
/// use xikernel::queue::resolve;
/// use xikernel::{QueueError, QueueId, Received, UnboundOp};
///
/// let q = QueueId(1);
/// assert_eq!(resolve(q, Received::Item(3)), Ok(Some(3)));
/// assert_eq!(resolve::<i32>(q, Received::Unbound(UnboundOp::Replace)), Ok(None));
/// assert_eq!(
///     resolve::<i32>(q, Received::Unbound(UnboundOp::Error)),
///     Err(QueueError::ItemInterpreterDestroyed(q))
/// );
/// ```
pub fn resolve<T>(qid: QueueId, r: Received<T>) -> Result<Option<T>, QueueError> {
    match r {
        Received::Item(data) => Ok(Some(data)),
        Received::Unbound(UnboundOp::Error) => Err(QueueError::ItemInterpreterDestroyed(qid)),
        // REMOVE items never come out; treat one like REPLACE if it did.
        Received::Unbound(_) => Ok(None),
    }
}
