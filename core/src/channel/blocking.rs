//! Blocking send-and-wait and receive (std only), on the toolkit of
//! [`wait`](crate::wait).
//!
//! Both park on one of the channel's [`Notifier`](crate::wait::Notifier)s
//! and poll the channel state under its lock: the notifier's protocol (a
//! registered waiter polls once more before it parks; a waker notifies
//! after its change, with the channel lock released) means a wake-up can
//! be early but never lost. A poll never wakes anyone itself: what it
//! changed (a received item's sender to wake) is carried out after the
//! wait returns, since notifying under a notifier's lock could deadlock.
//!
//! The notifier spins and yields briefly before it parks: handing over to
//! a parked receiver costs the sender a futex wake, and with the retry a
//! 2-thread send / `recv_wait` stream ran ~5x faster here (2.1-3.1 us ->
//! 0.3-0.55 us per item).

use super::state::{Effects, Outcome};
use super::{ChannelError, ChannelId, Channels, Received, SendError, UnboundOp};
use crate::owner::InterpId;
use crate::wait::{Wait, WaitError};

impl<T> Channels<T> {
    /// Sends `item` and blocks until a receiver has taken **this** item.
    ///
    /// * When `wait` ends first (deadline or interruption) the item is
    ///   withdrawn and handed back in `Timeout` / `Interrupted`, unless it
    ///   was received in the meantime (then the send succeeded). A zero
    ///   timeout withdraws at once unless a receiver was faster.
    /// * If the item is discarded (forced close, release of the last end,
    ///   destroy) the call fails with `HasClosed` ("channel N has closed");
    ///   the item went through the registry's release function.
    ///
    /// ```
    /// use std::time::Duration;
    /// use xikernel::{Channels, SendError, UnboundOp, MAIN};
    ///
    /// let chans = Channels::new();
    /// let c = chans.create(UnboundOp::Replace).unwrap();
    /// // Nobody receives: the item comes back after the timeout.
    /// let err = chans
    ///     .send_wait(MAIN, c, 7, UnboundOp::Replace, Duration::from_millis(1).into())
    ///     .unwrap_err();
    /// assert!(matches!(err, SendError::Timeout(_, 7)));
    /// assert_eq!(chans.len(c), Ok(0));
    /// ```
    pub fn send_wait(
        &self,
        interp: InterpId,
        cid: ChannelId,
        item: T,
        unbound: UnboundOp,
        wait: Wait<'_>,
    ) -> Result<(), SendError<T>> {
        let chan = match self.lookup(cid) {
            Ok(chan) => chan,
            Err(_) => return Err(SendError::NotFound(cid, item)),
        };
        let mut st = chan.state.lock();
        let mut fx = Effects::new();
        let sent = st.send(cid, interp, item, unbound, true, &mut fx);
        self.finish(&chan, st, fx);
        let id = sent?;
        let waited = chan
            .taken
            .wait_with(wait, (), |()| chan.state.lock().take_outcome(id).ok_or(()));
        let stop = match waited {
            Ok(outcome) => return outcome_result(cid, outcome),
            Err(((), stop)) => stop,
        };
        // Expired or interrupted: take the item back, unless a receiver
        // (or a close) settled it first.
        let mut st = chan.state.lock();
        let mut fx = Effects::new();
        let r = match st.withdraw(id, &mut fx) {
            Ok(outcome) => outcome_result(cid, outcome),
            Err(Some(item)) => Err(match stop {
                WaitError::Interrupted => SendError::Interrupted(cid, item),
                _ => SendError::Timeout(cid, item),
            }),
            // Its owner (this sender's interpreter) was destroyed while it
            // waited: the data is gone already.
            Err(None) => Err(SendError::HasClosed(cid)),
        };
        self.finish(&chan, st, fx);
        r
    }

    /// Receives, blocking until an item arrives, the channel closes or is
    /// destroyed, or `wait` ends (`Timeout` / `Interrupted`, nothing taken).
    ///
    /// ```
    /// use std::time::Duration;
    /// use xikernel::wait::Wait;
    /// use xikernel::{ChannelError, Channels, Received, UnboundOp, MAIN};
    ///
    /// let chans = std::sync::Arc::new(Channels::new());
    /// let c = chans.create(UnboundOp::Replace).unwrap();
    /// let tx = chans.clone();
    /// let t = std::thread::spawn(move || tx.send(MAIN, c, "hi", UnboundOp::Replace).unwrap());
    /// assert_eq!(chans.recv_wait(MAIN, c, Wait::forever()), Ok(Received::Item("hi")));
    /// t.join().unwrap();
    /// assert_eq!(
    ///     chans.recv_wait(MAIN, c, Duration::ZERO.into()),
    ///     Err(ChannelError::Timeout(c))
    /// );
    /// ```
    pub fn recv_wait(
        &self,
        interp: InterpId,
        cid: ChannelId,
        wait: Wait<'_>,
    ) -> Result<Received<T>, ChannelError> {
        let chan = self.lookup(cid)?;
        let waited = chan.items.wait_with(wait, (), |()| {
            let mut st = chan.state.lock();
            let mut fx = Effects::new();
            match st.recv(cid, interp, &mut fx) {
                Err(ChannelError::Empty(_)) => Err(()),
                // Done: the effects are carried out once the wait has left
                // the notifier's lock (see the module docs).
                r => Ok((r, fx)),
            }
        });
        match waited {
            Ok((r, fx)) => {
                chan.wake(&fx);
                self.release_all(fx);
                r
            }
            Err(((), WaitError::Interrupted)) => Err(ChannelError::Interrupted(cid)),
            Err(((), _)) => Err(ChannelError::Timeout(cid)),
        }
    }
}

fn outcome_result<T>(cid: ChannelId, outcome: Outcome) -> Result<(), SendError<T>> {
    match outcome {
        Outcome::Received => Ok(()),
        Outcome::Discarded => Err(SendError::HasClosed(cid)),
    }
}
