//! An unbounded, lock-free MPMC queue with close: [`List`].
//!
//! The design is crossbeam's `SegQueue`: values live in a linked list of
//! blocks of 31 slots (under a model checker 2, so that models cross block
//! boundaries, or 3 where a model needs the multi-hop destroy hand-over). Producers reserve an index with one CAS on the
//! tail, consumers with one CAS on the head; the hot path touches one slot
//! and allocates one block per 31 pushes. Blocks are freed cooperatively by
//! their last reader (see [`block`]), so memory is returned as soon as the
//! values are popped, without epochs or hazard pointers.
//!
//! # Indices
//!
//! `head` and `tail` count positions from 0 in steps of `1 << SHIFT`. Each
//! block covers one lap of `cap + 1` positions (`cap` values per block, see
//! `block::Geometry`); the extra position is never a value: an index parked
//! on it means "the next block is being installed", and other threads wait
//! (briefly) for the installer.
//! The low bit is metadata:
//!
//! - in `tail` it is `CLOSED`, as in crossbeam-channel's list flavour. Every
//!   reservation is a CAS that compares the whole tail word, so once
//!   [`List::close`] sets the bit no push can succeed: there is no window in
//!   which a push slips in after close. Only the block installer still adds
//!   to the tail (with `fetch_add`, keeping the bit), to skip the lap's
//!   extra position for a reservation made before close.
//! - in `head` it is `HAS_NEXT`: the head block is not the last one, so a
//!   consumer may skip reading the tail (a shared, contended line).
//!
//! # Trade-offs
//!
//! - Not strictly non-blocking: a consumer that reserved a slot waits for
//!   the producer that reserved it to finish writing (a few instructions,
//!   but a preempted producer stalls it), and threads that reach the end of
//!   a block wait for the next block to be installed. crossbeam, thingbuf
//!   and tokio make the same trade for the speed of one CAS per operation.
//! - Unbounded: memory grows with the backlog. Bounded callers use
//!   [`Ring`](crate::ring::Ring).
//! - `try_pop` reports [`PopError::Empty`] exactly when `head == tail`; a
//!   value whose push has reserved its slot counts as present.
//!
//! # Close, drain, drop
//!
//! After [`List::close`], pushes fail with [`PushError::Closed`] (the value
//! is handed back); pops drain what was pushed before and then report
//! [`PopError::Closed`]. Memory writes made before `close` (by any thread
//! whose push or close precedes it) are visible to a thread that observes
//! `Closed`. Dropping the list drops every remaining value exactly once;
//! if a value's `Drop` panics, the remaining values are still dropped and
//! the blocks freed before the panic resumes (a second panic aborts, as
//! for any unwinding drop).
//!
//! Every atomic operation's ordering is justified inline and listed in
//! `docs/orderings.md` (section `list`), with the model that fails if it is
//! weakened.

mod block;

use core::fmt;
use core::marker::PhantomData;
use core::panic::{RefUnwindSafe, UnwindSafe};
use core::ptr;

use alloc::boxed::Box;

use self::block::{Block, Geometry};
use crate::error::{PopError, PushError};
use crate::sync::{fence, AtomicPtr, AtomicUsize, Backoff, CachePadded, Ordering};

/// Low index bits reserved for metadata.
const SHIFT: usize = 1;
/// One position in index units.
const STEP: usize = 1 << SHIFT;
/// Tail metadata: the list is closed.
const CLOSED: usize = 1;
/// Head metadata: the head block is not the last block.
const HAS_NEXT: usize = 1;

/// A position (head or tail): an index and the block it falls in.
struct Position<T> {
    index: AtomicUsize,
    block: AtomicPtr<Block<T>>,
}

/// An unbounded lock-free multi-producer multi-consumer FIFO queue that can
/// be closed.
///
/// ```
/// use xikernel::List;
/// use xikernel::{PopError, PushError};
///
/// let list = List::new();
/// list.try_push(1).unwrap();
/// list.try_push(2).unwrap();
/// assert!(list.close());
/// assert!(matches!(list.try_push(3), Err(PushError::Closed(3))));
/// assert_eq!(list.try_pop(), Ok(1));
/// assert_eq!(list.try_pop(), Ok(2));
/// assert_eq!(list.try_pop(), Err(PopError::Closed));
/// ```
pub struct List<T> {
    head: CachePadded<Position<T>>,
    tail: CachePadded<Position<T>>,
    /// The first block ever installed: under model checking, freed blocks
    /// are retired, and drop deallocates the whole chain from here.
    #[cfg(any(feature = "loom", feature = "shuttle"))]
    first: AtomicPtr<Block<T>>,
    /// Values per block (a constant, zero-sized, outside model checking).
    geometry: Geometry,
    /// The list owns values of type `T` (drop check).
    _marker: PhantomData<T>,
}

// SAFETY: values move between threads only through the list (each is
// written by one producer and read by one consumer, ordered by the slot's
// WRITE Release/Acquire), so sharing or sending the list only ever sends
// `T`s: `T: Send` suffices, `T: Sync` is not needed (no `&T` is shared).
unsafe impl<T: Send> Send for List<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for List<T> {}

// A panic in the middle of an operation leaves no broken invariant visible
// to other callers: no user code runs while a slot is reserved.
impl<T> UnwindSafe for List<T> {}
impl<T> RefUnwindSafe for List<T> {}

/// The empty-list value (a macro so that `new` can be `const` where the
/// atomics allow it and plain under the model checkers).
macro_rules! empty_list {
    () => {
        List {
            head: CachePadded(Position {
                index: AtomicUsize::new(0),
                block: AtomicPtr::new(ptr::null_mut()),
            }),
            tail: CachePadded(Position {
                index: AtomicUsize::new(0),
                block: AtomicPtr::new(ptr::null_mut()),
            }),
            #[cfg(any(feature = "loom", feature = "shuttle"))]
            first: AtomicPtr::new(ptr::null_mut()),
            geometry: Geometry::DEFAULT,
            _marker: PhantomData,
        }
    };
}

impl<T> List<T> {
    /// Creates an empty, open list. Allocates nothing until the first push.
    #[cfg(not(any(feature = "loom", feature = "shuttle")))]
    pub const fn new() -> Self {
        empty_list!()
    }

    /// Creates an empty, open list (not `const` under the model checkers).
    #[cfg(any(feature = "loom", feature = "shuttle"))]
    pub fn new() -> Self {
        empty_list!()
    }

    /// Model checking only: an empty list whose blocks hold `cap` values,
    /// 2 (as [`new`](List::new)) or 3 (the multi-hop destroy hand-over
    /// becomes reachable; see `models/tests/list_loom.rs`).
    #[cfg(any(feature = "loom", feature = "shuttle"))]
    #[doc(hidden)]
    pub fn with_block_cap(cap: usize) -> Self {
        let mut list = empty_list!();
        list.geometry = Geometry::with_cap(cap);
        list
    }

    /// Appends `value`, or hands it back if the list is closed.
    pub fn try_push(&self, value: T) -> Result<(), PushError<T>> {
        let (cap, lap) = (self.geometry.cap(), self.geometry.lap());
        let mut backoff = Backoff::new();
        let (mut tail, mut block) = self.load_tail();
        // A block allocated ahead of reserving the last slot of a lap, so
        // that threads waiting on the install wait for a few stores only.
        let mut next_block: Option<Box<Block<T>>> = None;

        loop {
            if tail & CLOSED != 0 {
                return Err(PushError::Closed(value));
            }
            let offset = (tail >> SHIFT) % lap;

            // The previous lap's last producer is installing the next block.
            if offset == cap {
                backoff.snooze();
                (tail, block) = self.load_tail();
                continue;
            }

            if offset + 1 == cap && next_block.is_none() {
                next_block = Some(Block::alloc());
            }

            // First push ever: install the first block.
            if block.is_null() {
                let new = Box::into_raw(Block::alloc());
                // Release: publishes the new block's initialisation to the
                // Acquire loads of `tail.block`. Failure: Relaxed, we reload
                // with Acquire below.
                match self.tail.block.compare_exchange(
                    block,
                    new,
                    Ordering::Release,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // Relaxed: consumers use the block only after their
                        // Acquire load of `tail.index` sees our reservation
                        // CAS below (a Release sequenced after this store).
                        self.head.block.store(new, Ordering::Relaxed);
                        self.record_first(new);
                        block = new;
                    }
                    Err(_) => {
                        // SAFETY: `new` came from `Box::into_raw` just above
                        // and was never published.
                        next_block = Some(unsafe { Box::from_raw(new) });
                        (tail, block) = self.load_tail();
                        continue;
                    }
                }
            }

            let new_tail = tail.wrapping_add(STEP);
            // SeqCst: reservations and the consumers' SeqCst fence are in
            // one total order, so "Empty" is linearisable even across lists
            // (see the two-list loom model), and `len` snapshots are
            // consistent. Failure Acquire: as in `load_tail`, for the block
            // loaded next. Comparing the whole word (CLOSED included) is
            // what makes close final.
            match self.tail.index.compare_exchange_weak(
                tail,
                new_tail,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if offset + 1 == cap {
                        // We reserved the lap's last slot: install the next
                        // block and skip the lap's extra position.
                        let next = Box::into_raw(next_block.take().unwrap_or_else(Block::alloc));
                        // Relaxed: producers use the new block only after an
                        // Acquire load of `tail.index` sees the `fetch_add`
                        // below (until then they see our lap-end index and
                        // wait, or fail their CAS), which orders this store
                        // and the block's initialisation before them.
                        self.tail.block.store(next, Ordering::Relaxed);
                        // Release: orders the block's initialisation and the
                        // `tail.block` store before the new index (see
                        // `load_tail`). `fetch_add`, not a store, so that a
                        // concurrent close is kept.
                        self.tail.index.fetch_add(STEP, Ordering::Release);
                        // SAFETY: we reserved a slot of `block`, so it cannot
                        // be freed before that slot is read, which needs
                        // our write below.
                        // Release: the consumer of our slot waits for `next`
                        // with Acquire and then uses the new block.
                        unsafe { (*block).next.store(next, Ordering::Release) };
                    }
                    // SAFETY: [1] `block` is the block of index `tail`: it was
                    // loaded with or after `tail` (Acquire pairing above);
                    // [2] it is live: its slot `offset` is ours and unread;
                    // [3] `offset < cap <= BLOCK_CAP`; [4] our CAS reserved the slot,
                    // so we are its only writer.
                    unsafe { Block::slot(block, offset).write(value) };
                    return Ok(());
                }
                Err(current) => {
                    tail = current;
                    block = self.tail_block();
                    backoff.spin();
                }
            }
        }
    }

    /// Removes the oldest value. Fails with [`PopError::Empty`] when there
    /// is none, or [`PopError::Closed`] when there is none and the list is
    /// closed (no value will ever arrive).
    pub fn try_pop(&self) -> Result<T, PopError> {
        let (cap, lap) = (self.geometry.cap(), self.geometry.lap());
        let mut backoff = Backoff::new();
        let (mut head, mut block) = self.load_head();

        loop {
            let offset = (head >> SHIFT) % lap;

            // Another consumer is switching the head to the next block.
            if offset == cap {
                backoff.snooze();
                (head, block) = self.load_head();
                continue;
            }

            let mut new_head = head.wrapping_add(STEP);

            if new_head & HAS_NEXT == 0 {
                // SeqCst fence: with the SeqCst tail CAS, a push that
                // returned before this pop began is seen (linearisable
                // Empty).
                fence(Ordering::SeqCst);
                // Acquire: a thread that sees CLOSED sees everything written
                // before `close` (and before pushes that preceded it).
                let tail = self.tail.index.load(Ordering::Acquire);

                if head >> SHIFT == tail >> SHIFT {
                    return Err(if tail & CLOSED != 0 {
                        PopError::Closed
                    } else {
                        PopError::Empty
                    });
                }

                // Head and tail in different blocks: later pops may skip
                // reading the tail until the head leaves this block.
                if (head >> SHIFT) / lap != (tail >> SHIFT) / lap {
                    new_head |= HAS_NEXT;
                }
            }

            // The first push has reserved its slot but not yet published
            // the first block.
            if block.is_null() {
                backoff.snooze();
                (head, block) = self.load_head();
                continue;
            }

            // SeqCst: one total order with the reservations and the fence
            // (see `try_push`). Failure Acquire: as in `load_head`.
            match self.head.index.compare_exchange_weak(
                head,
                new_head,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // SAFETY: we reserved slot `offset` of `block` (the block
                    // of index `head`, loaded with or after it); the block
                    // cannot be freed before we mark the slot READ.
                    unsafe {
                        if offset + 1 == cap {
                            // Last slot of the lap: switch the head to the
                            // next block, which the producer of our slot is
                            // installing.
                            let next = (*block).wait_next();
                            let mut next_index = (new_head & !HAS_NEXT).wrapping_add(STEP);
                            if Block::has_next(next) {
                                next_index |= HAS_NEXT;
                            }
                            // Relaxed: consumers use the new block only after
                            // an Acquire load of `head.index` sees the store
                            // below (until then they see the lap-end index and
                            // wait, or fail their CAS).
                            self.head.block.store(next, Ordering::Relaxed);
                            // Release: orders the `head.block` store and, via
                            // our `wait_next` Acquire, the block's
                            // initialisation before the new index.
                            self.head.index.store(next_index, Ordering::Release);
                        }

                        let slot = Block::slot(block, offset);
                        let value = slot.read();

                        if offset + 1 == cap {
                            // We read the last slot: start freeing the block.
                            Block::destroy(block, 0, cap);
                        } else if slot.mark_read() {
                            // The destroyer found us reading: take over.
                            Block::destroy(block, offset + 1, cap);
                        }
                        return Ok(value);
                    }
                }
                Err(current) => {
                    head = current;
                    block = self.head_block();
                    backoff.spin();
                }
            }
        }
    }

    /// Closes the list: later pushes fail, pops drain what is queued and
    /// then report [`PopError::Closed`]. Returns true iff this call closed
    /// it (idempotent).
    pub fn close(&self) -> bool {
        // Release: the closer's earlier writes are visible to any thread
        // that observes CLOSED with Acquire (a failed push, a pop reporting
        // Closed, `is_closed`); list_loom `close_races_push` fails
        // if weakened. No push slips in after close whatever the ordering:
        // every reservation CAS compares the whole tail word (coherence).
        self.tail.index.fetch_or(CLOSED, Ordering::Release) & CLOSED == 0
    }

    /// True once [`close`](List::close) has been called.
    pub fn is_closed(&self) -> bool {
        // Acquire: pairs with `close`, as for the pop that reports Closed.
        self.tail.index.load(Ordering::Acquire) & CLOSED != 0
    }

    /// True if the list holds no value (a snapshot: may be stale at once).
    pub fn is_empty(&self) -> bool {
        // SeqCst: a snapshot consistent with the total order of operations;
        // its Acquire half makes what it counts happen before it
        // (`list_snapshot_loom` fails if either load is Relaxed).
        let head = self.head.index.load(Ordering::SeqCst);
        let tail = self.tail.index.load(Ordering::SeqCst);
        head >> SHIFT == tail >> SHIFT
    }

    /// The number of values in the list (a snapshot: may be stale at once).
    pub fn len(&self) -> usize {
        loop {
            // SeqCst loads: re-reading the tail confirms head and tail are
            // from one instant of the total order. `list_snapshot_loom`
            // fails if the first two are Relaxed; a Relaxed re-read is
            // undetectable (redundant below SeqCst: docs/orderings.md,
            // list, *Snapshots*).
            let tail = self.tail.index.load(Ordering::SeqCst);
            let head = self.head.index.load(Ordering::SeqCst);
            if self.tail.index.load(Ordering::SeqCst) == tail {
                return positions_between(head >> SHIFT, tail >> SHIFT, self.geometry.lap());
            }
        }
    }

    /// The tail index and block, for a push.
    #[inline]
    fn load_tail(&self) -> (usize, *mut Block<T>) {
        // Acquire (index): if we see an index advanced past a lap end, we
        // also see the new tail block stored before it (the installer's
        // Release `fetch_add`, whose release sequence the reservation CASes
        // continue), else we would write into the old block. Also makes the
        // closer's writes visible with `Closed`.
        let index = self.tail.index.load(Ordering::Acquire);
        (index, self.tail_block())
    }

    #[inline]
    fn tail_block(&self) -> *mut Block<T> {
        // Acquire: pairs with the first-block CAS (Release), the one block
        // whose pointer is published before any index moves; later blocks
        // are covered by the Acquire index load (list_loom fails if this is
        // weakened: `list/tail-block-acquire`).
        self.tail.block.load(Ordering::Acquire)
    }

    /// The head index and block, for a pop.
    #[inline]
    fn load_head(&self) -> (usize, *mut Block<T>) {
        // Acquire (index): seeing a head moved into a new block implies
        // seeing the `head.block` stored before it (Release in the switch).
        let index = self.head.index.load(Ordering::Acquire);
        (index, self.head_block())
    }

    #[inline]
    fn head_block(&self) -> *mut Block<T> {
        // Relaxed: unlike the tail block, the head block is always loaded
        // after an Acquire load that synchronises with the store of this
        // pointer: `head.index` (stored after `head.block` in the switch,
        // Release; later head CASes continue its release sequence), or, for
        // the first block, `tail.index` in `try_pop` (the first producer
        // stores `head.block` before its reservation CAS). A null block is
        // re-read after an Acquire index load too. The loom models pass with
        // this load Relaxed; the Acquire index loads are mutated instead.
        self.head.block.load(Ordering::Relaxed)
    }

    /// Under model checking, remembers the first block (see `first`).
    #[inline(always)]
    fn record_first(&self, _block: *mut Block<T>) {
        // Relaxed: read only in drop, which has exclusive access (ordered
        // after this store by whatever handed the list to the dropper).
        #[cfg(any(feature = "loom", feature = "shuttle"))]
        self.first.store(_block, Ordering::Relaxed);
    }

    /// Drops the values still queued and frees the blocks (exclusive
    /// access). Re-entrant: the head is advanced before each value is
    /// dropped, so after a panicking `Drop` a second call continues with
    /// the next value.
    fn drain_owned(&mut self) {
        // Relaxed everywhere: `&mut self` means no other thread accesses the
        // list; the values' publication happened before we got `&mut`.
        let tail = self.tail.index.load(Ordering::Relaxed) & !CLOSED;
        loop {
            let head = self.head.index.load(Ordering::Relaxed) & !HAS_NEXT;
            let block = self.head.block.load(Ordering::Relaxed);
            if head >> SHIFT == tail >> SHIFT {
                break;
            }
            let offset = (head >> SHIFT) % self.geometry.lap();
            self.head
                .index
                .store(head.wrapping_add(STEP), Ordering::Relaxed);
            if offset < self.geometry.cap() {
                // SAFETY: the list is quiescent: every index in head..tail
                // below a lap end is a written, unread slot of a live block.
                let value = unsafe { Block::slot(block, offset).take_owned() };
                drop(value);
            } else {
                // SAFETY: a lap end between head and tail means the next
                // block was installed; this one has no value left.
                unsafe {
                    let next = (*block).next.load(Ordering::Relaxed);
                    self.head.block.store(next, Ordering::Relaxed);
                    Block::free(block);
                }
            }
        }
        let block = self.head.block.swap(ptr::null_mut(), Ordering::Relaxed);
        if !block.is_null() {
            // SAFETY: the last block; nothing refers to it any more.
            unsafe { Block::free(block) };
        }
        #[cfg(any(feature = "loom", feature = "shuttle"))]
        // SAFETY: exclusive access; every block has been retired above or
        // by its last reader.
        unsafe {
            Block::dealloc_retired(self.first.swap(ptr::null_mut(), Ordering::Relaxed));
        }
    }
}

/// Number of values between positions `head` and `tail` (lap ends hold no
/// value), with `lap` indices per block. Works across index wrap-around
/// when `lap` divides the index space.
fn positions_between(head: usize, tail: usize, lap: usize) -> usize {
    // Indices parked on a lap end count as the start of the next lap.
    let fix = |i: usize| {
        if i % lap == lap - 1 {
            i.wrapping_add(1)
        } else {
            i
        }
    };
    let (head, tail) = (fix(head), fix(tail));
    // Rotate so that head falls into lap 0, then remove one lap end per lap.
    let base = head - head % lap;
    let (head, tail) = (head.wrapping_sub(base), tail.wrapping_sub(base));
    // `len` reads a consistent pair, so `head <= tail`; saturate anyway:
    // a snapshot must never panic or wrap.
    tail.saturating_sub(head).saturating_sub(tail / lap)
}

impl<T> Drop for List<T> {
    fn drop(&mut self) {
        /// Finishes the drain if a value's `Drop` panics, then lets the panic
        /// continue.
        struct Resume<'a, T>(&'a mut List<T>);
        impl<T> Drop for Resume<'_, T> {
            fn drop(&mut self) {
                self.0.drain_owned();
            }
        }
        // Under a model checker, a failed model unwinds through here while
        // the checker is tearing down: touching its cells then crashes loom
        // (SIGSEGV) and hides the report. Leak instead; the run has failed.
        #[cfg(any(feature = "loom", feature = "shuttle"))]
        if std::thread::panicking() {
            return;
        }
        let guard = Resume(self);
        guard.0.drain_owned();
        // Normal path: the guard's drain finds nothing left.
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for List<T> {
    // No `T: Debug`: the queue's state is ours, the values are the caller's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("List")
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}
