#![cfg(feature = "loom")]
//! Releasing a receive end while receivers are parked on the channel
//! (loom, preemption bound from `LOOM_MAX_PREEMPTIONS`, default 2).
//!
//! Two defects of the first channel implementation, each a deadlock here
//! (every wait is untimed, and loom never times one out):
//!
//! - the releasing interpreter's own parked receiver was never told its
//!   end closed (`release_wakes_own_parked_receiver`);
//! - a send's single wake-up could go to that receiver, which then failed
//!   with `AlreadyClosed` and left the item to nobody while another
//!   interpreter's receiver slept on (`send_after_release_reaches_the_other_receiver`).
//!
//! Planted as `channel/release-wakes-no-receiver` (the old code) in
//! `verify/mutations/channel.toml`.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use loom::thread;
use xikernel::channel::{ChannelError, ChannelId, Channels, End, Received, UnboundOp};
use xikernel::interp::{InterpId, MAIN};
use xikernel::wait::Wait;
use xikernel_models::loom_model;

const A: InterpId = InterpId(1);
const B: InterpId = InterpId(2);
const OP: UnboundOp = UnboundOp::Replace;

/// An item that counts its drops.
struct Item(Arc<AtomicUsize>);

impl Drop for Item {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn spawn_recv(
    chans: &Arc<Channels<Item>>,
    who: InterpId,
    cid: ChannelId,
) -> thread::JoinHandle<Result<bool, ChannelError>> {
    let c = chans.clone();
    thread::spawn(move || {
        c.recv_wait(who, cid, Wait::forever())
            .map(|r| matches!(r, Received::Item(_)))
    })
}

#[test]
fn release_wakes_own_parked_receiver() {
    loom_model(|| {
        let chans = Arc::new(Channels::<Item>::new());
        let cid = chans.create(OP).unwrap();
        // Another interpreter keeps an end open, so the release below does
        // not close the channel (which would wake everyone anyway).
        assert_eq!(
            chans.try_recv(B, cid).map(drop),
            Err(ChannelError::Empty(cid))
        );
        let ra = spawn_recv(&chans, A, cid);
        // Associates A's receive end if its receiver has not yet (then the
        // receiver fails at once); else it is parked and must be woken.
        chans.release(A, cid, End::Recv).unwrap();
        assert_eq!(ra.join().unwrap(), Err(ChannelError::AlreadyClosed(cid)));
    });
}

#[test]
fn send_after_release_reaches_the_other_receiver() {
    loom_model(|| {
        let chans = Arc::new(Channels::<Item>::new());
        let cid = chans.create(OP).unwrap();
        let drops = Arc::new(AtomicUsize::new(0));
        // B's receive end is associated first, so that A's release never
        // closes the channel.
        assert_eq!(
            chans.try_recv(B, cid).map(drop),
            Err(ChannelError::Empty(cid))
        );
        let ra = spawn_recv(&chans, A, cid);
        let rb = spawn_recv(&chans, B, cid);
        chans.release(A, cid, End::Recv).unwrap();
        chans
            .send(MAIN, cid, Item(drops.clone()), OP)
            .map_err(|e| e.error())
            .unwrap();
        let a = ra.join().unwrap();
        if a == Ok(true) {
            // A took the item before its release: B is still waiting, and
            // a close ends it.
            chans.close(cid, End::Both, true).unwrap();
            assert_eq!(rb.join().unwrap(), Err(ChannelError::Closed(cid)));
        } else {
            assert_eq!(a, Err(ChannelError::AlreadyClosed(cid)));
            assert_eq!(rb.join().unwrap(), Ok(true), "the item reaches B");
        }
        assert_eq!(drops.load(SeqCst), 1, "delivered, then dropped once");
    });
}
