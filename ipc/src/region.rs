//! What the queue algorithm needs from the memory it runs in.
//!
//! The algorithm ([`crate::raw`]) is written once against this trait. The
//! real implementation is an mmap'd memfd segment (`shm`), with futexes and
//! process liveness from the OS; the model implementation
//! ([`crate::model`]) holds the same header in facade atomics and the data
//! in facade cells, so loom, shuttle and Miri run the algorithm with
//! threads standing in for processes.

use std::time::Duration;

use xikernel::__private::sync::AtomicU32;

use crate::layout::Control;

/// A step of push or pop at which a model may stop a participant forever
/// (a crash point). The real segment never stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Push: the producer lock is held, nothing written.
    PushLocked,
    /// Push: part of the record (header and half the payload) is written.
    PushHalfCopied,
    /// Push: the whole record is written, the tail not yet stored.
    PushCopied,
    /// Push: the tail is stored (published), the lock still held.
    PushPublished,
    /// Push: the lock is released, sleepers not yet woken.
    PushUnlocked,
    /// Pop: the consumer lock is held, nothing read.
    PopLocked,
    /// Pop: the record is copied out, the head not yet stored.
    PopCopied,
    /// Pop: the head is stored (the message is taken), the lock still held.
    PopPublished,
    /// Pop: the lock is released, sleepers not yet woken.
    PopUnlocked,
}

impl Step {
    /// Every step, in the order push then pop reach them.
    pub const ALL: [Step; 9] = [
        Step::PushLocked,
        Step::PushHalfCopied,
        Step::PushCopied,
        Step::PushPublished,
        Step::PushUnlocked,
        Step::PopLocked,
        Step::PopCopied,
        Step::PopPublished,
        Step::PopUnlocked,
    ];
}

/// The memory and OS services the algorithm runs on.
///
/// # Safety
///
/// Implementations promise that `control()` and the data area stay valid
/// for the region's life, and that `capacity()` is the data area's length
/// (validated, not re-read from shared memory): the algorithm trusts it
/// for bounds, and `write`/`read` are only called with
/// `off + len <= capacity()`.
pub unsafe trait Region {
    /// The header words.
    fn control(&self) -> &Control;
    /// Length of the data area in bytes (a multiple of 8).
    fn capacity(&self) -> usize;
    /// Most messages the queue holds at once.
    fn max_items(&self) -> u32;
    /// Copies `src` into the data area at `off`.
    fn write(&self, off: usize, src: &[u8]);
    /// Copies the data area at `off` into `dst`.
    fn read(&self, off: usize, dst: &mut [u8]);
    /// Sleeps while `*word == expected`, at most `timeout` (`None`:
    /// forever); may return early (spuriously). True if the timeout ran
    /// out (rather than a wake-up, a changed word or a signal).
    fn wait(&self, word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> bool;
    /// Wakes up to `n` sleepers of `word`.
    fn wake(&self, word: &AtomicU32, n: u32);
    /// This participant's identity: nonzero, unique among live
    /// participants and never reused by a later one.
    fn me(&self) -> u64;
    /// Whether the participant `owner` (a value `me()` returned somewhere)
    /// may still run. False only if it never will again; its writes to the
    /// region are then visible to the caller (the check synchronizes).
    fn alive(&self, owner: u64) -> bool;
    /// Models only: true to stop this participant forever at `step`.
    #[inline(always)]
    fn crash(&self, _step: Step) -> bool {
        false
    }
}
