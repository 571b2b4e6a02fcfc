//! The queue's region for the model checkers and Miri: the header in
//! facade atomics, the data area in facade cells (one per 8-byte word, so
//! loom and Miri see a record's words as their own locations and report a
//! read racing a write), futexes emulated with a facade mutex and condvar,
//! and participants ("processes") that are threads, each with a view
//! naming who it is and where (if anywhere) it crashes.
//!
//! A crash: at its [`Step`], the participant's view marks it dead (Release:
//! its writes happen before any liveness check that sees it dead) and it
//! stops: the operation returns `Raw::Crashed` and the thread touches the
//! region no more, like a SIGKILLed process. Dead participants wake no one;
//! the real segment's sleepers wake once per slice to re-check, which the
//! model renders as: a death bumps every futex word and wakes every
//! sleeper (a slice expiring after the death), nothing else ever does.

use std::time::Duration;

use xikernel::__private::sync::{
    Arc, AtomicBool, AtomicU32, Condvar, Mutex, Ordering::*, UnsafeCell,
};

use crate::layout::Control;
use crate::region::{Region, Step};

/// The shared state of a model segment.
#[derive(Debug)]
pub struct ModelSegment {
    control: Control,
    words: Box<[UnsafeCell<[u8; 8]>]>,
    capacity: usize,
    max_items: u32,
    dead: Box<[AtomicBool]>,
    futex: Mutex<()>,
    cond: Condvar,
}

// SAFETY: the cells are accessed only as the queue protocol allows (the
// models check exactly that: loom and Miri report any access that races);
// everything else is atomics and locks.
unsafe impl Sync for ModelSegment {}
// SAFETY: as above; nothing in it is tied to a thread.
unsafe impl Send for ModelSegment {}

impl ModelSegment {
    /// A segment of `capacity` bytes (a multiple of 8, at least 16), at most
    /// `max_items` messages, for `participants` participants.
    pub fn new(capacity: usize, max_items: u32, participants: usize) -> Arc<Self> {
        assert!(capacity >= 16 && capacity % 8 == 0, "model capacity");
        Arc::new(ModelSegment {
            control: Control::new(capacity, max_items),
            words: (0..capacity / 8).map(|_| UnsafeCell::new([0; 8])).collect(),
            capacity,
            max_items,
            dead: (0..participants).map(|_| AtomicBool::new(false)).collect(),
            futex: Mutex::new(()),
            cond: Condvar::new(),
        })
    }

    /// Participant `who`'s view (0-based), crashing at `crash_at` if given.
    pub fn view(this: &Arc<Self>, who: usize, crash_at: Option<Step>) -> ModelRegion {
        Self::view_nth(this, who, crash_at, 0)
    }

    /// Like [`view`](Self::view), crashing the `nth` (0-based) time the
    /// participant reaches `crash_at`.
    pub fn view_nth(
        this: &Arc<Self>,
        who: usize,
        crash_at: Option<Step>,
        nth: usize,
    ) -> ModelRegion {
        assert!(who < this.dead.len(), "participant out of range");
        ModelRegion {
            seg: this.clone(),
            who,
            crash_at,
            skip: std::sync::atomic::AtomicUsize::new(nth),
        }
    }

    /// Whether participant `who` crashed.
    pub fn is_dead(&self, who: usize) -> bool {
        self.dead[who].load(Acquire)
    }

    /// The header (for invariant checks).
    pub fn control(&self) -> &Control {
        &self.control
    }

    fn wake_all(&self) {
        let _g = self.futex.lock();
        self.cond.notify_all();
    }
}

/// One participant's view of a [`ModelSegment`].
#[derive(Debug)]
pub struct ModelRegion {
    seg: Arc<ModelSegment>,
    who: usize,
    crash_at: Option<Step>,
    /// Times `crash_at` is still to be passed before the crash (a plain
    /// std atomic: private to the participant, not part of the model).
    skip: std::sync::atomic::AtomicUsize,
}

impl ModelRegion {
    /// The shared segment.
    pub fn segment(&self) -> &Arc<ModelSegment> {
        &self.seg
    }
}

// SAFETY: `control` and `words` live as long as the `Arc`; `capacity` is
// `words.len() * 8` and every access is bounds-checked by slice indexing.
unsafe impl Region for ModelRegion {
    fn control(&self) -> &Control {
        &self.seg.control
    }

    fn capacity(&self) -> usize {
        self.seg.capacity
    }

    fn max_items(&self) -> u32 {
        self.seg.max_items
    }

    fn write(&self, off: usize, src: &[u8]) {
        let mut done = 0;
        while done < src.len() {
            let (word, at) = ((off + done) / 8, (off + done) % 8);
            let n = (8 - at).min(src.len() - done);
            // SAFETY: the protocol gives these words to this writer alone
            // (the models check it).
            self.seg.words[word].with_mut(|w| unsafe {
                (&mut *w)[at..at + n].copy_from_slice(&src[done..done + n])
            });
            done += n;
        }
    }

    fn read(&self, off: usize, dst: &mut [u8]) {
        let mut done = 0;
        while done < dst.len() {
            let (word, at) = ((off + done) / 8, (off + done) % 8);
            let n = (8 - at).min(dst.len() - done);
            // SAFETY: published words, not written until this reader's head
            // store (the models check it).
            self.seg.words[word]
                .with(|w| dst[done..done + n].copy_from_slice(unsafe { &(&*w)[at..at + n] }));
            done += n;
        }
    }

    fn wait(&self, word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> bool {
        let g = self.seg.futex.lock();
        // Under the emulation lock, like the kernel's futex hash bucket: a
        // waker bumps the word, then takes the lock to notify, so it cannot
        // slip between this check and the sleep.
        if word.load(SeqCst) != expected {
            return false;
        }
        match timeout {
            // The checkers do not model time: an untimed wait is the
            // faithful model (only a death ends a slice early, see above).
            Some(t) if !xikernel::__private::sync::MODEL_CHECKING => {
                self.seg.cond.wait_timeout(g, t).1
            }
            _ => {
                let _g = self.seg.cond.wait(g);
                false
            }
        }
    }

    fn wake(&self, _word: &AtomicU32, _n: u32) {
        // Waking everyone is allowed (futex waiters must tolerate spurious
        // wake-ups) and keeps the emulation to one condvar.
        self.seg.wake_all();
    }

    fn me(&self) -> u64 {
        self.who as u64 + 1
    }

    fn alive(&self, owner: u64) -> bool {
        match (owner as usize)
            .checked_sub(1)
            .and_then(|i| self.seg.dead.get(i))
        {
            // Acquire: pairs with the Release in `crash`.
            Some(d) => !d.load(Acquire),
            None => false,
        }
    }

    fn crash(&self, step: Step) -> bool {
        if self.crash_at != Some(step) {
            return false;
        }
        let left = self.skip.load(std::sync::atomic::Ordering::Relaxed);
        if left > 0 {
            self.skip
                .store(left - 1, std::sync::atomic::Ordering::Relaxed);
            return false;
        }
        // Release: all our writes happen before a check that sees us dead.
        self.seg.dead[self.who].store(true, Release);
        // A slice of every sleeper expires after the death.
        let c = &self.seg.control;
        for w in [
            &c.prod.lock_seq,
            &c.cons.lock_seq,
            &c.wake.not_empty_seq,
            &c.wake.not_full_seq,
        ] {
            w.fetch_add(1, SeqCst);
        }
        self.seg.wake_all();
        true
    }
}
