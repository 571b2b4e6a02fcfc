//! Blocks: the unit of allocation and reclamation of [`List`](super::List).
//!
//! A block holds `BLOCK_CAP` slots. Each slot carries three state bits:
//!
//! - `WRITE`: the producer that reserved the slot has written its value;
//! - `READ`: the consumer that reserved the slot has moved the value out;
//! - `DESTROY`: the consumer that read the *last* slot wanted to free the
//!   block but found this slot still being read, and handed the job over.
//!
//! Reclamation is cooperative and needs no epochs or hazard pointers: the
//! consumer of the last slot starts [`Block::destroy`]; it walks the other
//! slots and frees the block only if every one is `READ`. The first slot
//! still being read gets `DESTROY` instead, and its reader, on setting
//! `READ`, sees the bit and continues the walk from the next slot. Exactly
//! one thread frees each block, and only after every access to it.
//!
//! Under a model checker (`loom`, `shuttle`) a freed block is *retired*, not
//! deallocated: every later access asserts that it is not retired, and under
//! loom the retire is a tracked write that races with any unordered read, so
//! a use after free is a reported bug instead of undefined behaviour. The
//! list deallocates retired blocks when it is dropped, after checking that
//! each one was retired exactly once (a leak check).

use alloc::boxed::Box;
use core::mem::MaybeUninit;

use crate::sync::{AtomicPtr, AtomicUsize, Backoff, Ordering, UnsafeCell, MODEL_CHECKING};

/// Set in a slot's state once its value is written.
const WRITE: usize = 1;
/// Set once the value has been moved out.
const READ: usize = 2;
/// Set by a destroyer that found the slot still being read.
const DESTROY: usize = 4;

/// Slots allocated per block. Models use tiny blocks so that block
/// transitions are explored; how many of them a list uses is its
/// [`Geometry`].
pub(super) const BLOCK_CAP: usize = if MODEL_CHECKING { 3 } else { 31 };

/// How many slots of each block a list uses, and so its lap: `cap() + 1`
/// indices per block, the last of which holds no value (a tail or head
/// parked on it means "the next block is being installed").
///
/// Outside model checking this is the constant [`BLOCK_CAP`] (zero-sized,
/// so `%` and `/` by the lap stay constant shifts on the hot path). Under a
/// model checker a list uses 2 slots by default, so that every small model
/// crosses block boundaries, or 3: the smallest block in which the destroy
/// hand-over can take more than one hop (the reader of slot 0 takes over
/// and must walk on past it while slot 1 is still being read).
#[derive(Clone, Copy, Debug)]
pub(super) struct Geometry {
    #[cfg(any(feature = "loom", feature = "shuttle"))]
    cap: usize,
}

impl Geometry {
    /// Every slot outside model checking; 2 of the 3 under a model checker.
    pub(super) const DEFAULT: Self = Self {
        #[cfg(any(feature = "loom", feature = "shuttle"))]
        cap: 2,
    };

    /// A model's choice of `cap` slots per block (2 or 3).
    #[cfg(any(feature = "loom", feature = "shuttle"))]
    pub(super) fn with_cap(cap: usize) -> Self {
        assert!(
            (2..=BLOCK_CAP).contains(&cap),
            "list blocks hold 2..={BLOCK_CAP} values under model checking"
        );
        Self { cap }
    }

    /// Values per block.
    #[inline(always)]
    pub(super) fn cap(self) -> usize {
        #[cfg(any(feature = "loom", feature = "shuttle"))]
        {
            self.cap
        }
        #[cfg(not(any(feature = "loom", feature = "shuttle")))]
        {
            BLOCK_CAP
        }
    }

    /// Indices per block: the values plus the lap end.
    #[inline(always)]
    pub(super) fn lap(self) -> usize {
        self.cap() + 1
    }
}

/// One value cell and its state bits.
pub(super) struct Slot<T> {
    value: UnsafeCell<MaybeUninit<T>>,
    state: AtomicUsize,
}

impl<T> Slot<T> {
    #[cfg(any(feature = "loom", feature = "shuttle"))]
    fn new() -> Self {
        Self {
            value: UnsafeCell::new(MaybeUninit::uninit()),
            state: AtomicUsize::new(0),
        }
    }

    /// Writes the value and publishes it to the slot's reader.
    ///
    /// # Safety
    /// The caller reserved this slot (won the tail CAS for its index), so it
    /// is the only writer and no reader touches the value before `WRITE`.
    #[inline]
    pub(super) unsafe fn write(&self, value: T) {
        // SAFETY: exclusive by the caller's reservation (see above).
        self.value
            .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
        // Release: the reader's Acquire on `WRITE` (in `read`) must see the
        // value bytes. Weakening it lets a consumer read an unwritten slot
        // (list_loom: loom reports the unsynchronised cell access).
        self.state.fetch_or(WRITE, Ordering::Release);
    }

    /// Waits for the value, then moves it out.
    ///
    /// # Safety
    /// The caller reserved this slot for reading (won the head CAS for its
    /// index), so it is the only reader and reads it once.
    #[inline]
    pub(super) unsafe fn read(&self) -> T {
        let mut backoff = Backoff::new();
        // Acquire: pairs with the Release in `write` (list_loom fails if
        // weakened). The producer has reserved the slot and cannot fail
        // before writing, so this wait is short and always ends.
        while self.state.load(Ordering::Acquire) & WRITE == 0 {
            backoff.snooze();
        }
        // SAFETY: `WRITE` is set, so the value is initialised and published;
        // we are its only reader (caller's reservation).
        self.value.with(|p| unsafe { p.read().assume_init() })
    }

    /// Marks the value as moved out; returns true if a destroyer handed the
    /// block over to us (we must continue destruction).
    #[inline]
    pub(super) fn mark_read(&self) -> bool {
        // Release: our read of the value (and all our accesses to the block)
        // happen before the destroyer's Acquire sees `READ` and frees the
        // block. Acquire: if `DESTROY` is set we continue the destroyer's
        // walk and must see what it saw. Weakening either lets the block be
        // freed under a reader (list_loom: retired-block access).
        self.state.fetch_or(READ, Ordering::AcqRel) & DESTROY != 0
    }

    /// Moves the value out of a slot known to be written and unread.
    ///
    /// # Safety
    /// Exclusive access (`&mut List` in drop) and the slot lies between
    /// head and tail of a quiescent list, so it is initialised.
    pub(super) unsafe fn take_owned(&self) -> T {
        // SAFETY: see the function contract.
        self.value.with_mut(|p| unsafe { p.read().assume_init() })
    }
}

/// A segment of `BLOCK_CAP` slots plus the link to the next segment.
pub(super) struct Block<T> {
    /// The next block; null until the producer that reserved our last slot
    /// installs it.
    pub(super) next: AtomicPtr<Block<T>>,
    slots: [Slot<T>; BLOCK_CAP],
    live: Liveness,
}

impl<T> Block<T> {
    /// Allocates an empty block.
    #[cfg(not(any(feature = "loom", feature = "shuttle")))]
    pub(super) fn alloc() -> Box<Self> {
        use alloc::alloc::{alloc_zeroed, handle_alloc_error, Layout};
        let layout = Layout::new::<Self>();
        // SAFETY: `layout` has a non-zero size (the block holds an
        // `AtomicPtr`), as `alloc_zeroed` requires.
        let ptr = unsafe { alloc_zeroed(layout) }.cast::<Self>();
        if ptr.is_null() {
            handle_alloc_error(layout);
        }
        // SAFETY: [1] all-zero bytes are a valid empty block: a null
        // `AtomicPtr`, zero `AtomicUsize` states, `MaybeUninit` values (any
        // bytes) and a zero-sized `Liveness`; [2] the memory comes from the
        // global allocator with `Layout::new::<Self>()`, as `Box` requires.
        // One zeroing `calloc` beats building 31 slots and copying them.
        unsafe { Box::from_raw(ptr) }
    }

    /// Allocates an empty block (model checkers' atomics are not plain
    /// bytes, so they are constructed).
    #[cfg(any(feature = "loom", feature = "shuttle"))]
    pub(super) fn alloc() -> Box<Self> {
        Box::new(Self {
            next: AtomicPtr::new(core::ptr::null_mut()),
            slots: core::array::from_fn(|_| Slot::new()),
            live: Liveness::new(),
        })
    }

    /// The slot at `offset`.
    ///
    /// # Safety
    /// `this` points to a block that is not yet freed, and `offset < BLOCK_CAP`.
    #[inline]
    pub(super) unsafe fn slot<'a>(this: *const Self, offset: usize) -> &'a Slot<T> {
        // SAFETY: live block by the caller's contract.
        let block = unsafe { &*this };
        block.live.check();
        debug_assert!(offset < BLOCK_CAP);
        // SAFETY: `offset < BLOCK_CAP` by the caller's contract.
        unsafe { block.slots.get_unchecked(offset) }
    }

    /// Waits until the producer that reserved our last slot installs the
    /// next block, and returns it.
    pub(super) fn wait_next(&self) -> *mut Self {
        self.live.check();
        let mut backoff = Backoff::new();
        loop {
            // Acquire: pairs with the installer's Release store, so that the
            // new block's contents (and its own `next`) are initialised for
            // us. The installer already won its CAS and cannot fail before
            // storing, so the wait ends.
            let next = self.next.load(Ordering::Acquire);
            if !next.is_null() {
                return next;
            }
            backoff.snooze();
        }
    }

    /// Whether the block has a successor already (a hint for `HAS_NEXT`).
    ///
    /// # Safety
    /// `this` points to a live block whose initialisation we have seen.
    #[inline]
    pub(super) unsafe fn has_next(this: *const Self) -> bool {
        // SAFETY: the caller's contract.
        let block = unsafe { &*this };
        // Under loom this read also checks that the block's creation
        // happens-before us (the `wait_next` Acquire).
        block.live.check();
        // Relaxed: a hint only; a stale null just makes the next pop read
        // the tail.
        !block.next.load(Ordering::Relaxed).is_null()
    }

    /// Starts or continues destruction from slot `start`: frees the block
    /// unless some slot in `start..cap - 1` is still being read, in which
    /// case that slot's reader takes over (`cap`: the list's values per
    /// block).
    ///
    /// # Safety
    /// Called by the reader of the last slot (`start == 0`) or by a reader
    /// that found `DESTROY` on slot `start - 1`; the block is not freed
    /// yet; `cap <= BLOCK_CAP`.
    pub(super) unsafe fn destroy(this: *mut Self, start: usize, cap: usize) {
        // The last slot needs no mark: its reader is the one who started.
        for i in start..cap - 1 {
            // SAFETY: the block is live (contract) and `i < cap <= BLOCK_CAP`.
            let slot = unsafe { Self::slot(this, i) };
            // Acquire (both): seeing `READ` means the reader's accesses to
            // the block happened before our free. AcqRel on the RMW: Release
            // hands our view to the reader that will continue. Weakening
            // either frees the block under a reader (list_loom).
            if slot.state.load(Ordering::Acquire) & READ == 0
                && slot.state.fetch_or(DESTROY, Ordering::AcqRel) & READ == 0
            {
                return;
            }
        }
        // SAFETY: every slot is `READ` and the last slot's reader started
        // the walk: no thread will touch the block again.
        unsafe { Self::free(this) };
    }

    /// Frees a block no thread will access again (retires it under a model
    /// checker, see the module docs).
    ///
    /// # Safety
    /// `this` came from [`Block::alloc`] via `Box::into_raw`, was published
    /// in the list, and no thread accesses it afterwards.
    pub(super) unsafe fn free(this: *mut Self) {
        if MODEL_CHECKING {
            // SAFETY: still allocated (retired blocks are freed at list drop).
            unsafe { (*this).live.retire() };
        } else {
            // SAFETY: the contract; `Box` uses the allocation's layout.
            drop(unsafe { Box::from_raw(this) });
        }
    }

    /// Deallocates the chain of retired blocks starting at `first`
    /// (model checking only), asserting that each one was retired: a block
    /// that was never freed is a leak.
    ///
    /// # Safety
    /// Exclusive access; `first` is the list's first block or null.
    #[cfg(any(feature = "loom", feature = "shuttle"))]
    pub(super) unsafe fn dealloc_retired(mut block: *mut Self) {
        while !block.is_null() {
            // SAFETY: retired blocks stay allocated until here; the chain
            // links every block ever published, each once.
            let boxed = unsafe { Box::from_raw(block) };
            // (Not while unwinding from another failure: a second panic
            // would abort and hide the first report.)
            assert!(
                boxed.live.is_retired() || std::thread::panicking(),
                "list: a block was never freed (leak)"
            );
            block = boxed.next.load(Ordering::Relaxed);
        }
    }
}

/// Use-after-free and leak detector for model checking (see module docs).
#[cfg(any(feature = "loom", feature = "shuttle"))]
struct Liveness(UnsafeCell<bool>);

#[cfg(any(feature = "loom", feature = "shuttle"))]
impl Liveness {
    fn new() -> Self {
        Self(UnsafeCell::new(false))
    }

    /// A tracked read: races with an unordered `retire` under loom.
    fn check(&self) {
        // SAFETY: loom/shuttle cell; a racing `retire` is reported by loom.
        let retired = self.0.with(|p| unsafe { *p });
        assert!(!retired, "list: block accessed after it was freed");
    }

    fn retire(&self) {
        self.0.with_mut(|p| {
            // SAFETY: as in `check`.
            unsafe {
                assert!(!*p, "list: block freed twice");
                *p = true;
            }
        });
    }

    fn is_retired(&self) -> bool {
        // SAFETY: called with exclusive access at list drop.
        self.0.with(|p| unsafe { *p })
    }
}

/// Zero-sized stand-in outside model checking.
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
struct Liveness;

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
impl Liveness {
    #[inline(always)]
    fn check(&self) {}

    #[inline(always)]
    fn retire(&self) {}
}
