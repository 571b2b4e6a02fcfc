//! Blocking push / pop (std), as `interpreters.Queue` users expect, on the
//! toolkit of [`wait`](crate::wait): block, time out, be interrupted.
//!
//! Waiters sleep on the queue's [`Notifier`](crate::wait::Notifier)s and are
//! woken by the opposite operation (a put wakes one getter, a get of a
//! bounded queue one putter) or by close / destroy / an interpreter clear
//! (all) — never by a timer (CPython's wrapper polls every 10 ms and
//! truncates the timeout to whole seconds). The Notifier polls once more
//! after the deadline or an interruption, so a wake-up that raced either is
//! not lost.

use super::store::Item;
use super::{PushKind, QueueError, QueueId, QueuePushError, Queues};
use crate::owner::{InterpId, Received, UnboundOp};
use crate::wait::{Wait, WaitError};

impl<T> Queues<T> {
    /// Appends `item`, waiting while the queue is full as `wait` allows.
    /// On error the item comes back: `Timeout` / `Interrupted` when the
    /// wait ended, `Closed` / `NotFound` if the queue was closed /
    /// destroyed meanwhile.
    ///
    /// ```
    /// use std::time::Duration;
    /// use xikernel::{QueueDefaults, QueuePushError, Queues, UnboundOp, MAIN};
    ///
    /// let queues = Queues::new();
    /// let q = queues.create(1, QueueDefaults::default()).unwrap();
    /// queues.try_push(MAIN, q, 'a', UnboundOp::Replace).unwrap();
    /// let err = queues
    ///     .push_wait(MAIN, q, 'b', UnboundOp::Replace, Duration::from_millis(1).into())
    ///     .unwrap_err();
    /// assert!(matches!(err, QueuePushError::Timeout(_, 'b')));
    /// ```
    pub fn push_wait(
        &self,
        interp: InterpId,
        qid: QueueId,
        item: T,
        unbound: UnboundOp,
        wait: Wait<'_>,
    ) -> Result<(), QueuePushError<T>> {
        let q = match self.lookup(qid) {
            Ok(q) => q,
            Err(_) => return Err(QueuePushError::NotFound(qid, item)),
        };
        let item = Item::new(interp, unbound, item);
        let r = q
            .not_full
            .wait_with(wait, item, |item| match q.put_quiet(item) {
                Ok(()) => Ok(Ok(())),
                Err((PushKind::Full(_), item)) => Err(item),
                Err(refused) => Ok(Err(refused)),
            });
        match r {
            Ok(Ok(())) => {
                q.after_put();
                Ok(())
            }
            Ok(Err((kind, item))) => Err(kind.with(item)),
            Err((item, WaitError::Interrupted)) => {
                Err(QueuePushError::Interrupted(qid, item.into_data()))
            }
            Err((item, _)) => Err(QueuePushError::Timeout(qid, item.into_data())),
        }
    }

    /// Pops the oldest item, waiting while the queue is empty as `wait`
    /// allows: `Timeout` / `Interrupted` when the wait ended, `Closed` once
    /// a closed queue is drained, `NotFound` if it is destroyed.
    ///
    /// ```
    /// use xikernel::wait::Wait;
    /// use xikernel::{QueueDefaults, QueueError, Queues, Received, UnboundOp, MAIN};
    ///
    /// let queues = std::sync::Arc::new(Queues::new());
    /// let q = queues.create(0, QueueDefaults::default()).unwrap();
    /// let tx = queues.clone();
    /// let t = std::thread::spawn(move || {
    ///     tx.try_push(MAIN, q, 42, UnboundOp::Replace).unwrap();
    ///     tx.close(q).unwrap();
    /// });
    /// assert_eq!(queues.pop_wait(q, Wait::forever()), Ok(Received::Item(42)));
    /// assert_eq!(queues.pop_wait(q, Wait::forever()), Err(QueueError::Closed(q)));
    /// t.join().unwrap();
    /// ```
    pub fn pop_wait(&self, qid: QueueId, wait: Wait<'_>) -> Result<Received<T>, QueueError> {
        let q = self.lookup(qid)?;
        let r = q.not_empty.wait_with(wait, (), |()| match q.get_quiet() {
            Err(QueueError::Empty(_)) => Err(()),
            r => Ok(r),
        });
        match r {
            Ok(r) => {
                if r.is_ok() {
                    q.after_get();
                }
                r
            }
            Err(((), WaitError::Interrupted)) => Err(QueueError::Interrupted(qid)),
            Err(((), _)) => Err(QueueError::Timeout(qid)),
        }
    }
}
