//! A bounded, lock-free, multi-producer multi-consumer ring that can be
//! closed.
//!
//! The algorithm is Dmitry Vyukov's bounded MPMC queue as refined by
//! crossbeam's `ArrayQueue` (sequence-stamped slots) and crossbeam-channel's
//! `array` flavor (a *mark bit* in the tail index means "closed"), with three
//! differences that matter to its users:
//!
//! - **close is one atomic RMW on the tail** (`fetch_or` of the mark bit), so
//!   a push either claimed its slot before the close (and is drained) or sees
//!   the bit and fails with [`PushError::Closed`]; it can never slip in after.
//!   Pops drain what is left and only then report [`PopError::Closed`];
//!   everything written before `close` is visible to whoever observes the
//!   closed state (push, pop, [`is_closed`](Ring::is_closed)).
//! - **minimal orderings, no `SeqCst`**: every ordering of the ring is the
//!   weakest its loom models accept (each non-`Relaxed` one, weakened one
//!   step, is caught; `docs/orderings.md`, `## ring`, names the model; the
//!   kernel's knowingly stronger orderings are all elsewhere, listed at the
//!   top of that file). In particular the
//!   full/empty decisions do not pay for a `fence(SeqCst)` (an `mfence` on
//!   x86) as `ArrayQueue` does. The price: ring operations are linearizable
//!   with respect to happens-before but do not join the single total order
//!   of `SeqCst` operations, so code that does Dekker-style reasoning across
//!   a ring and another atomic ("push, then check the sleeper count") must
//!   put a `fence(SeqCst)` on both sides itself — as `wait` does.
//! - **no panics, no unbounded allocation**: [`Ring::try_new`] returns `None`
//!   for a zero, absurd or unallocatable capacity; push and pop never
//!   allocate; `Drop` drops every remaining item exactly once even when one
//!   of their destructors panics.
//!
//! # Bit layout
//!
//! With `cap` the capacity, `mark_bit = (cap + 1).next_power_of_two()` and
//! `one_lap = 2 * mark_bit`:
//!
//! ```text
//! head:  [ lap ............ | 0    | index ]   index < cap; mark never set
//! tail:  [ lap ............ | mark | index ]   mark = closed (sticky)
//! stamp: [ lap ............ | 0    | index or index + 1 ]
//!          bits >= log2(one_lap)  ^ mark_bit   bits < log2(mark_bit)
//! ```
//!
//! A *position* `lap | index` names one use of slot `index`. A slot whose
//! stamp equals position `p` is empty and awaits the push of `p`; a stamp of
//! `p + 1` means it holds the item pushed at `p`, awaiting its pop, which
//! stores `p + one_lap` (the next lap's position for the same slot). Because
//! `index + 1 <= cap < mark_bit`, a stamp never has the mark bit set, and
//! laps wrap (with `wrapping_add`) without ever colliding with it.
//! [`Ring::try_new`] keeps at least [`MIN_LAP_BITS`] lap bits so that an ABA on
//! a stale index needs a thread to sleep through `2^MIN_LAP_BITS` full laps.
//!
//! # Progress
//!
//! As in `ArrayQueue`, a push or pop that finds its slot claimed by another
//! thread but not yet published (or freed) waits for it with [`Backoff`]
//! (spin, then yield); nothing else ever waits, and nothing allocates. A
//! `force_push` on a full ring is a pop of the oldest item fused with a
//! push: between its head CAS and its tail RMW, `len` reads `cap - 1`.
//!
//! # Orderings, in one paragraph
//!
//! Slot ownership passes through the stamps: a push's `Acquire` stamp load
//! pairs with the previous pop's `Release` stamp store (the old value was
//! moved out before we overwrite it), a pop's `Acquire` stamp load pairs with
//! the push's `Release` stamp store (the value is written before it is read).
//! The head/tail CASes only arbitrate between threads of the same side, so
//! they are `Release` merely to keep [`len`](Ring::len) snapshots consistent.
//! The mark bit is set with `AcqRel` and observed through a relaxed load
//! followed, only when the bit is set, by `fence(Acquire)`; all writes to the
//! tail are RMWs, so they extend the close's release sequence.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;
use core::mem::MaybeUninit;

use crate::error::{PopError, PushError};
use crate::sync::{fence, AtomicUsize, Backoff, CachePadded, Ordering, UnsafeCell};

/// Lap bits [`Ring::try_new`] always leaves above the mark bit (it refuses
/// capacities that would leave fewer).
pub const MIN_LAP_BITS: u32 = 8;

/// One cell of the ring.
struct Slot<T> {
    /// The position this slot is waiting for (see the module docs).
    stamp: AtomicUsize,
    /// Initialised exactly when `stamp == position + 1` for the position at
    /// the ring's head side (i.e. between the push's and the pop's stamp
    /// stores).
    value: UnsafeCell<MaybeUninit<T>>,
}

/// A bounded lock-free MPMC ring that can be closed: Vyukov's
/// sequence-stamped slots (as crossbeam's `ArrayQueue`), with the closed
/// mark in the tail index, so no push slips in after `close`, and pops
/// drain what is left before they report `Closed`. Any capacity >= 1.
///
/// ```
/// use xikernel::Ring;
/// use xikernel::{PopError, PushError};
///
/// let r = Ring::new(2);
/// assert_eq!(r.try_push('a'), Ok(()));
/// assert_eq!(r.try_push('b'), Ok(()));
/// assert!(matches!(r.try_push('c'), Err(PushError::Full('c'))));
/// assert_eq!(r.force_push('c'), Ok(Some('a'))); // overwrote the oldest
/// assert!(r.close());
/// assert!(matches!(r.try_push('d'), Err(PushError::Closed('d'))));
/// assert_eq!(r.try_pop(), Ok('b')); // closing keeps items drainable
/// assert_eq!(r.try_pop(), Ok('c'));
/// assert_eq!(r.try_pop(), Err(PopError::Closed));
/// ```
pub struct Ring<T> {
    /// Next position to pop; written only by pops (and `force_push`).
    head: CachePadded<AtomicUsize>,
    /// Next position to push, plus the sticky closed mark.
    tail: CachePadded<AtomicUsize>,
    /// `cap` slots; slot `i` starts with stamp `i` (empty, lap 0).
    buffer: Box<[Slot<T>]>,
    /// Capacity (`buffer.len()`), kept next to the other constants.
    cap: usize,
    /// `{ lap: 1, mark: 0, index: 0 }`.
    one_lap: usize,
    /// The closed bit of `tail`; `mark_bit - 1` masks an index.
    mark_bit: usize,
    /// The ring owns `T`s (drop check).
    _marker: PhantomData<T>,
}

// SAFETY: a `Ring<T>` only moves `T` values between threads (a value pushed
// on one thread is popped, overwritten or dropped on another); it never hands
// out `&T`, so `T: Send` is enough both to send the ring and to share it.
// The slots' `UnsafeCell`s are accessed exclusively as argued at each access.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: see `Send` above.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    /// Creates a ring holding at most `capacity` items.
    ///
    /// # Panics
    ///
    /// If `capacity` is zero or unusable (see [`Ring::try_new`]), like
    /// `ArrayQueue::new`. Use `try_new` to get `None` instead.
    pub fn new(capacity: usize) -> Self {
        match Self::try_new(capacity) {
            Some(ring) => ring,
            None => panic!("Ring capacity must be in 1..=max and allocatable, got {capacity}"),
        }
    }

    /// Creates a ring holding at most `capacity` items, or `None` when
    /// `capacity` is zero, leaves fewer than [`MIN_LAP_BITS`] lap bits in a
    /// `usize`, or its buffer cannot be allocated (size overflow or
    /// allocation failure). Never panics, never aborts on these.
    pub fn try_new(capacity: usize) -> Option<Self> {
        if capacity == 0 {
            return None;
        }
        let mark_bit = capacity.checked_add(1)?.checked_next_power_of_two()?;
        let one_lap = mark_bit.checked_mul(2)?;
        if one_lap > usize::MAX >> MIN_LAP_BITS {
            return None;
        }
        let mut slots = Vec::new();
        slots.try_reserve_exact(capacity).ok()?;
        slots.extend((0..capacity).map(|i| Slot {
            stamp: AtomicUsize::new(i),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }));
        Some(Self {
            head: CachePadded(AtomicUsize::new(0)),
            tail: CachePadded(AtomicUsize::new(0)),
            buffer: slots.into_boxed_slice(),
            cap: capacity,
            one_lap,
            mark_bit,
            _marker: PhantomData,
        })
    }

    /// The position after `pos` (same lap, next index, or next lap index 0).
    #[inline(always)]
    fn next(&self, pos: usize) -> usize {
        let index = pos & (self.mark_bit - 1);
        if index + 1 < self.cap {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    /// The slot of position `pos` (which must carry no mark bit).
    #[inline(always)]
    fn slot(&self, pos: usize) -> &Slot<T> {
        let index = pos & (self.mark_bit - 1);
        debug_assert!(index < self.cap);
        // SAFETY: (1) every position is built by `next` from 0, which keeps
        // the index part below `cap` (it resets to 0 when `index + 1 == cap`),
        // and the mask drops lap and mark bits, so `index < cap ==
        // buffer.len()`.
        unsafe { self.buffer.get_unchecked(index) }
    }

    /// True iff `tail` carries the closed mark. When it does, the `Acquire`
    /// fence makes every write that preceded `close` (and any later tail RMW,
    /// which continue its release sequence) visible to the caller.
    #[inline(always)]
    fn observe_closed(&self, tail: usize) -> bool {
        if tail & self.mark_bit == 0 {
            return false;
        }
        // Pairs with the Release half of `close`'s fetch_or; weakening it
        // breaks `ring_loom::close_visibility_*`.
        fence(Ordering::Acquire);
        true
    }

    /// Pushes `value`, or returns it as `Full` / `Closed`.
    ///
    /// Never allocates. Lock-free: it only waits (spinning, then yielding)
    /// while another thread is between claiming a slot and publishing it.
    #[inline]
    pub fn try_push(&self, value: T) -> Result<(), PushError<T>> {
        self.push(value, false).map(|_| ())
    }

    /// Pushes `value`; when the ring is full, overwrites exactly the oldest
    /// item and returns it as `Ok(Some(oldest))`. Returns `Err(Closed(value))`
    /// on a closed ring (never `Full`).
    #[inline]
    pub fn force_push(&self, value: T) -> Result<Option<T>, PushError<T>> {
        self.push(value, true)
    }

    /// The shared push loop; `force` selects what happens when the slot still
    /// holds the previous lap's item (report `Full`, or overwrite it).
    #[inline(always)]
    fn push(&self, mut value: T, force: bool) -> Result<Option<T>, PushError<T>> {
        let mut backoff = Backoff::new();
        // Relaxed: only a guess; the stamp check below validates it.
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if self.observe_closed(tail) {
                return Err(PushError::Closed(value));
            }
            let slot = self.slot(tail);
            let new_tail = self.next(tail);
            // Acquire: pairs with the Release stamp store of the pop that
            // moved the previous lap's item out, so our write below cannot
            // race with its read (loom: `spsc_*`, `mpmc_*` fail on a data race).
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == tail {
                // The slot is free for position `tail`: claim it. Release only
                // keeps `len` snapshots consistent (loom: `len_snapshot_push`);
                // a marked tail makes this fail, so no push follows a close.
                match self.tail.compare_exchange_weak(
                    tail,
                    new_tail,
                    Ordering::Release,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: (2) the stamp said position `tail` is free
                        // (its previous value was moved out before the pop's
                        // Release store we acquired) and our successful CAS
                        // makes us the only claimant of `tail`; no pop reads
                        // the slot until we store `tail + 1` below.
                        // SAFETY: (2) above.
                        slot.value
                            .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
                        // Release: publishes the value to the pop that
                        // acquires this stamp (loom: `spsc_*` fails).
                        slot.stamp.store(tail + 1, Ordering::Release);
                        return Ok(None);
                    }
                    Err(current) => {
                        tail = current;
                        backoff.spin();
                    }
                }
            } else if stamp.wrapping_add(self.one_lap) == tail + 1 {
                // The slot still holds the item pushed one lap ago.
                if force {
                    match self.overwrite(value, tail, new_tail, slot) {
                        Ok(old) => return Ok(Some(old)),
                        Err(v) => value = v,
                    }
                } else {
                    // Relaxed: `head` can only be stale towards "full", and
                    // the pop that would make it current has not yet stored
                    // the stamp we just read, so it overlaps us.
                    let head = self.head.load(Ordering::Relaxed);
                    if head.wrapping_add(self.one_lap) == tail {
                        return Err(PushError::Full(value));
                    }
                }
                backoff.spin();
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // Another push or pop of this slot is in flight (or our tail
                // is stale): wait for it to publish.
                backoff.snooze();
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// The `force_push` full path: pops the oldest item (position
    /// `tail - one_lap`) by moving the head past it, then reuses its slot for
    /// `value` at position `tail`. Returns the old item, or `Err(value)`
    /// untouched when the ring is no longer full at `tail` (the caller
    /// retries).
    #[inline(never)]
    fn overwrite(&self, value: T, tail: usize, new_tail: usize, slot: &Slot<T>) -> Result<T, T> {
        let head = tail.wrapping_sub(self.one_lap);
        let new_head = new_tail.wrapping_sub(self.one_lap);
        // Succeeds only if the ring is still full at exactly `tail`: then the
        // item at `head` is the oldest and no pop can take it any more (pops
        // CAS the same head). Release: a `len` that acquires our new head
        // then reads a tail no older than the `tail` we read (read-read
        // coherence through this release; no Acquire is needed on our tail
        // load), so it cannot pair the new head with an older tail (loom:
        // `len_snapshot_force_push`).
        if self
            .head
            .compare_exchange(head, new_head, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            return Err(value);
        }
        // We own position `tail`'s slot; no push can claim `tail` before the
        // slot's stamp reads `tail`, and pops of `tail` wait for `tail + 1`,
        // so moving the tail now is safe. `fetch_add` (not a store, as in
        // ArrayQueue) keeps a concurrent close's mark bit; Release for `len`.
        self.tail
            .fetch_add(new_tail.wrapping_sub(tail), Ordering::Release);
        // SAFETY: (3) the slot holds the item pushed at `head` (its stamp read
        // `head + 1`, acquired from that push's Release store, so the value is
        // initialised and visible), our head CAS removed it from every pop's
        // reach, and no push can claim the slot until we store its stamp. The
        // old item moves out and `value` moves in: each is owned exactly once.
        // SAFETY: (3) above.
        let old = slot
            .value
            .with_mut(|p| unsafe { core::ptr::replace(p, MaybeUninit::new(value)).assume_init() });
        // Release: publishes the new value to its pop (loom: `force_push_*`).
        slot.stamp.store(tail + 1, Ordering::Release);
        Ok(old)
    }

    /// Pops the oldest item, or `Empty`; on a closed ring `Closed` once it
    /// is drained. Never allocates; waits only like [`try_push`](Self::try_push).
    #[inline]
    pub fn try_pop(&self) -> Result<T, PopError> {
        let mut backoff = Backoff::new();
        // Relaxed: only a guess; the stamp check below validates it.
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let slot = self.slot(head);
            // Acquire: pairs with the push's Release stamp store, so the value
            // is initialised and visible (loom: `spsc_*` fails on a race).
            let seq = slot.stamp.load(Ordering::Acquire);
            if seq == head + 1 {
                let new_head = self.next(head);
                // Release only keeps `len` snapshots consistent (loom:
                // `len_snapshot_pop`).
                match self.head.compare_exchange_weak(
                    head,
                    new_head,
                    Ordering::Release,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: (4) stamp `head + 1` means the push of
                        // `head` wrote the value before its Release store,
                        // which we acquired; our CAS made us the only pop of
                        // `head` (a `force_push` would have to win the same
                        // CAS), and no push touches the slot until we store
                        // the next lap's stamp below.
                        // SAFETY: (4) above.
                        let value = slot.value.with(|p| unsafe { p.read().assume_init() });
                        // Release: our read happens before the next lap's
                        // push writes (loom: `spsc_*` fails on a race).
                        slot.stamp
                            .store(head.wrapping_add(self.one_lap), Ordering::Release);
                        return Ok(value);
                    }
                    Err(current) => {
                        head = current;
                        backoff.spin();
                    }
                }
            } else if seq == head {
                // Empty, or a push claimed `head` and is still writing.
                // Relaxed: a push that happened-before us has moved the tail
                // past `head` in our view (coherence), so "tail == head" can
                // only be stale towards a push that overlaps us.
                let tail = self.tail.load(Ordering::Relaxed);
                if tail & !self.mark_bit == head {
                    return Err(if self.observe_closed(tail) {
                        PopError::Closed
                    } else {
                        PopError::Empty
                    });
                }
                backoff.spin();
                head = self.head.load(Ordering::Relaxed);
            } else {
                // A pop or push of this slot is in flight, or `head` is stale.
                backoff.snooze();
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }

    /// Closes the ring: later pushes fail with `Closed`, pops drain the items
    /// already in it and then report `Closed`. Idempotent; returns `true` iff
    /// this call closed it.
    pub fn close(&self) -> bool {
        // Release: everything before the close is visible to whoever observes
        // the mark (`observe_closed`); Acquire: a loser (`false`) sees the
        // winner's prior writes too (loom: `close_visibility_*`).
        let tail = self.tail.fetch_or(self.mark_bit, Ordering::AcqRel);
        tail & self.mark_bit == 0
    }

    /// Whether [`close`](Self::close) has been called. When `true`, every
    /// write made before the close is visible to the caller.
    pub fn is_closed(&self) -> bool {
        // Relaxed + the fence in `observe_closed` when set.
        self.observe_closed(self.tail.load(Ordering::Relaxed))
    }

    /// The number of items. Exact when no operation is in flight; under
    /// concurrency, a value the ring held at some point during the call.
    pub fn len(&self) -> usize {
        loop {
            // Acquire (both): the tail's writer saw the pops that freed its
            // slot, and the head's writer saw the push it consumed, so with
            // the re-check the snapshot satisfies head <= tail <= head + cap
            // (loom: `len_snapshot_*`).
            let tail = self.tail.load(Ordering::Acquire) & !self.mark_bit;
            let head = self.head.load(Ordering::Acquire);
            // Relaxed: coherence alone makes it see any tail write that
            // happened before the head value we read.
            if self.tail.load(Ordering::Relaxed) & !self.mark_bit == tail {
                return self.distance(head, tail);
            }
        }
    }

    /// Items between positions `head` and `tail` of a consistent snapshot.
    #[inline]
    fn distance(&self, head: usize, tail: usize) -> usize {
        let hix = head & (self.mark_bit - 1);
        let tix = tail & (self.mark_bit - 1);
        if hix < tix {
            tix - hix
        } else if hix > tix {
            self.cap - hix + tix
        } else if tail == head {
            0
        } else {
            self.cap
        }
    }

    /// `len() == 0` (same caveats under concurrency).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len() == capacity()` (same caveats under concurrency).
    pub fn is_full(&self) -> bool {
        self.len() == self.cap
    }

    /// The maximum number of items.
    pub fn capacity(&self) -> usize {
        self.cap
    }
}

/// Drops the items of a ring from a guard, so that when one item's `Drop`
/// panics the guard's own `drop` (run during unwinding) drops the rest
/// before the panic continues. (A second panicking item aborts, as for
/// `Vec`.)
struct DropRemaining<'a, T> {
    slots: &'a [Slot<T>],
    next: usize,
    left: usize,
}

impl<T> DropRemaining<'_, T> {
    fn run(&mut self) {
        while self.left > 0 {
            let slot = &self.slots[self.next];
            // Advance first: if this drop panics, the guard resumes after it.
            self.next = if self.next + 1 == self.slots.len() {
                0
            } else {
                self.next + 1
            };
            self.left -= 1;
            // SAFETY: (5) the guard covers exactly the `len` slots from the
            // head index, which hold initialised items (no operation is in
            // flight: `Ring::drop` has `&mut self`), and each index is visited
            // once because `next`/`left` advance before the drop.
            slot.value.with_mut(|p| unsafe { (*p).assume_init_drop() });
        }
    }
}

impl<T> Drop for DropRemaining<'_, T> {
    fn drop(&mut self) {
        self.run();
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        if !core::mem::needs_drop::<T>() {
            return;
        }
        // `&mut self`: every operation has finished and happened-before us,
        // so Relaxed loads see the final indices.
        let tail = self.tail.load(Ordering::Relaxed) & !self.mark_bit;
        let head = self.head.load(Ordering::Relaxed);
        let mut guard = DropRemaining {
            slots: &self.buffer,
            next: head & (self.mark_bit - 1),
            left: self.distance(head, tail),
        };
        guard.run();
    }
}

impl<T> fmt::Debug for Ring<T> {
    // No `T: Debug` bound: items are not shown (reading them would race).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ring")
            .field("len", &self.len())
            .field("capacity", &self.cap)
            .field("closed", &self.is_closed())
            .finish()
    }
}
