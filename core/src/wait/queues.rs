//! [`TryQueue`] for the kernel's own queues, and the blocking aliases.

use super::{Blocking, TryQueue};
use crate::error::{PopError, PushError};
use crate::list::List;
use crate::ring::Ring;

/// A bounded MPMC queue with blocking operations: `push` waits while full.
///
/// ```
/// use xikernel::BlockingRing;
/// let q = BlockingRing::with_capacity(2);
/// assert!(BlockingRing::<u8>::try_with_capacity(0).is_none()); // zero: `None` (or a panic from `with_capacity`)
/// q.push(1).unwrap();
/// assert_eq!(q.force_push(2), Ok(None));
/// assert_eq!(q.force_push(3), Ok(Some(1))); // full: the oldest comes back
/// ```
pub type BlockingRing<T> = Blocking<Ring<T>>;

/// An unbounded MPMC queue with blocking operations: only `pop` ever waits.
///
/// ```
/// use xikernel::BlockingList;
/// let q = BlockingList::unbounded();
/// for i in 0..1000 { q.push(i).unwrap(); } // never waits
/// assert_eq!(q.pop(), Ok(0));
/// ```
pub type BlockingList<T> = Blocking<List<T>>;

/// `TryQueue` by delegation to the queue's inherent methods.
macro_rules! try_queue {
    ($queue:ident, bounded = $bounded:expr) => {
        impl<T> TryQueue for $queue<T> {
            type Item = T;
            const BOUNDED: bool = $bounded;

            #[inline]
            fn try_push(&self, value: T) -> Result<(), PushError<T>> {
                $queue::try_push(self, value)
            }

            #[inline]
            fn try_pop(&self) -> Result<T, PopError> {
                $queue::try_pop(self)
            }

            fn close(&self) -> bool {
                $queue::close(self)
            }

            fn is_closed(&self) -> bool {
                $queue::is_closed(self)
            }
        }
    };
}

try_queue!(Ring, bounded = true);
try_queue!(List, bounded = false);

impl<T> BlockingRing<T> {
    /// A blocking ring of `capacity` items.
    ///
    /// # Panics
    ///
    /// On a capacity [`Ring::try_new`] refuses (zero, too large, not
    /// allocatable), like [`Ring::new`]; use
    /// [`try_with_capacity`](Self::try_with_capacity) to get `None`.
    pub fn with_capacity(capacity: usize) -> Self {
        Blocking::new(Ring::new(capacity))
    }

    /// A blocking ring of `capacity` items, or `None` for a capacity
    /// [`Ring::try_new`] refuses.
    pub fn try_with_capacity(capacity: usize) -> Option<Self> {
        Ring::try_new(capacity).map(Blocking::new)
    }

    /// Pushes without waiting, overwriting the oldest item when full (see
    /// [`Ring::force_push`]); wakes a sleeping popper. Fails only on a
    /// closed ring.
    pub fn force_push(&self, value: T) -> Result<Option<T>, PushError<T>> {
        let displaced = self.queue.force_push(value)?;
        // Also when an item was displaced: the count did not grow, but a
        // popper may have parked after emptying the ring meanwhile.
        self.pushed();
        Ok(displaced)
    }
}

impl<T> BlockingList<T> {
    /// An empty blocking unbounded queue.
    pub fn unbounded() -> Self {
        Blocking::new(List::new())
    }
}
