//! A process-wide registry `id -> entry` with two levels of locking.
//!
//! The table lock ([`Rank::TABLE`]) protects only the map and the id
//! counter, and is held only for the lookup, insert or removal itself:
//! lookups hand out a counted handle (`Arc<E>`), and the caller then locks
//! the entry's own state (rank [`Rank::ENTRY`]) *after* the table lock is
//! gone. Operations on different entries therefore contend only for the few
//! instructions of a map lookup, unlike CPython's `_channels` registry,
//! which holds its global mutex across the whole operation (including the
//! payload conversion).
//!
//! The only legal order is table -> entry; since the table lock is never
//! held while calling out, the code never nests them at all (see
//! `docs/lock-order.md`). An entry removed from the map stays alive while
//! handles exist: whoever removes it must mark it dead under its entry lock,
//! and every operation re-checks that mark after locking the entry (the
//! `alive` flag of CPython's queues), which is what makes a lookup that races
//! with a removal safe.
//!
//! Ids are `u64`, allocated from a monotonic counter and never reused; the
//! first id is chosen by the registry (channels start at 0, queues at 1 like
//! CPython). Running out is a typed error, not a wrap-around.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;

use crate::lockorder::{OrderedMutex, Rank};
use crate::sync::Arc;

/// Largest id handed out by default: CPython ids are C `int64_t`.
pub const MAX_ID: u64 = i64::MAX as u64;

/// Errors of the table itself.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TableError {
    /// Every id in the table's range has been used once.
    IdsExhausted,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ran out of ids")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for TableError {}

struct Inner<E> {
    entries: BTreeMap<u64, Arc<E>>,
    /// The next id to hand out; `None` once the range is used up.
    next_id: Option<u64>,
    last_id: u64,
}

/// The registry. See the module docs.
pub struct Table<E> {
    inner: OrderedMutex<Inner<E>>,
}

impl<E> fmt::Debug for Table<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.lock();
        f.debug_struct("Table")
            .field("len", &inner.entries.len())
            .field("next_id", &inner.next_id)
            .finish()
    }
}

impl<E> Table<E> {
    /// A table whose ids start at `first_id` and end at [`MAX_ID`].
    pub fn new(first_id: u64) -> Self {
        Self::with_id_range(first_id, MAX_ID)
    }

    /// A table handing out ids `first_id..=last_id` (tests use small ranges
    /// to reach exhaustion). An empty range is exhausted from the start.
    pub fn with_id_range(first_id: u64, last_id: u64) -> Self {
        let next_id = (first_id <= last_id).then_some(first_id);
        Self {
            inner: OrderedMutex::new(
                Rank::TABLE,
                Inner {
                    entries: BTreeMap::new(),
                    next_id,
                    last_id,
                },
            ),
        }
    }

    /// Allocates the next id and inserts `make(id)` under it.
    ///
    /// `make` runs under the table lock, so it must not lock anything (the
    /// lock-order checker enforces it): it should only build the entry.
    pub fn insert_with(&self, make: impl FnOnce(u64) -> E) -> Result<(u64, Arc<E>), TableError> {
        let mut inner = self.inner.lock();
        let id = inner.next_id.ok_or(TableError::IdsExhausted)?;
        inner.next_id = if id == inner.last_id {
            None
        } else {
            Some(id + 1)
        };
        let entry = Arc::new(make(id));
        inner.entries.insert(id, entry.clone());
        Ok((id, entry))
    }

    /// A counted handle to the entry `id`, if present. The table lock is
    /// released before this returns.
    pub fn get(&self, id: u64) -> Option<Arc<E>> {
        self.inner.lock().entries.get(&id).cloned()
    }

    /// Unlinks `id`; the caller gets the last table-owned handle and must
    /// mark the entry dead under its entry lock.
    pub fn remove(&self, id: u64) -> Option<Arc<E>> {
        self.inner.lock().entries.remove(&id)
    }

    /// A consistent snapshot of every entry, ascending by id: taken under one
    /// table lock, so it is exactly the set of entries at one instant.
    pub fn snapshot(&self) -> Vec<(u64, Arc<E>)> {
        let inner = self.inner.lock();
        inner
            .entries
            .iter()
            .map(|(&id, e)| (id, e.clone()))
            .collect()
    }

    /// Unlinks every entry (runtime finalisation); the caller marks each dead.
    pub fn drain(&self) -> Vec<(u64, Arc<E>)> {
        let mut inner = self.inner.lock();
        core::mem::take(&mut inner.entries).into_iter().collect()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
