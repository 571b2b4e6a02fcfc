//! Blocking `put` / `get` with optional timeouts (std), as
//! `interpreters.Queue` users expect: block, time out with `Full` / `Empty`.
//!
//! Waiters sleep on the queue's [`Notifier`](crate::wait::Notifier)s and are
//! woken by the opposite operation (a put wakes one getter, a get of a
//! bounded queue one putter) or by destroy / an interpreter clear (all) —
//! never by a timer (CPython's wrapper polls every 10 ms and truncates the
//! timeout to whole seconds). The Notifier polls once more after the
//! deadline, so a wake-up that raced the timeout is not lost.

use core::time::Duration;

use super::store::Item;
use super::{QueueError, QueueId, Queues};
use crate::channel::{Received, UnboundOp};
use crate::interp::InterpId;
use crate::sync::Instant;

/// `None` waits forever; a timeout too large for the clock too (no panic).
fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|d| Instant::now().checked_add(d))
}

impl<T> Queues<T> {
    /// Appends `item`, waiting while the queue is full: `Full` once
    /// `timeout` (`None` = forever) expires, `NotFound` if it is destroyed.
    /// On error the item is released.
    pub fn put_wait(
        &self,
        interp: InterpId,
        qid: QueueId,
        item: T,
        unbound: UnboundOp,
        timeout: Option<Duration>,
    ) -> Result<(), QueueError> {
        let deadline = deadline(timeout);
        let item = Item {
            owner: interp,
            unbound,
            data: Some(item),
        };
        let q = match self.lookup(qid) {
            Ok(q) => q,
            Err(e) => {
                self.release_item(item);
                return Err(e);
            }
        };
        let r = q
            .not_full
            .wait_with(deadline, item, |item| match q.put_quiet(item) {
                Ok(()) => Ok(Ok(())),
                Err((QueueError::Full(_), item)) => Err(item),
                Err((e, item)) => Ok(Err((e, item))),
            });
        match r {
            Ok(Ok(())) => {
                q.after_put();
                Ok(())
            }
            Ok(Err((e, item))) => {
                self.release_item(item);
                Err(e)
            }
            Err(item) => {
                self.release_item(item);
                Err(QueueError::Full(qid))
            }
        }
    }

    /// Pops the oldest item, waiting while the queue is empty: `Empty` once
    /// `timeout` (`None` = forever) expires, `NotFound` if it is destroyed.
    pub fn get_wait(
        &self,
        qid: QueueId,
        timeout: Option<Duration>,
    ) -> Result<Received<T>, QueueError> {
        let deadline = deadline(timeout);
        let q = self.lookup(qid)?;
        let r = q
            .not_empty
            .wait_with(deadline, (), |()| match q.get_quiet() {
                Err(QueueError::Empty(_)) => Err(()),
                r => Ok(r),
            })
            .unwrap_or(Err(QueueError::Empty(qid)));
        if r.is_ok() {
            q.after_get();
        }
        r
    }
}
