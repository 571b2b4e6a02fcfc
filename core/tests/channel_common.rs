//! Shared by the channel test files (`#[path]`-included): items whose
//! release is observable.
#![allow(dead_code)]
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use xikernel::__private::lockorder;
use xikernel::channel::{
    ChannelError, ChannelId, Channels, Received, UnboundOp, UnboundOp::Replace,
};
use xikernel::interp::{InterpId, MAIN};

/// Records every item created and how many times each was dropped.
#[derive(Default, Debug)]
pub struct Ledger {
    inner: Mutex<(u64, BTreeMap<u64, usize>)>,
}

/// An item: a tag for assertions plus a unique id for the ledger.
#[derive(Debug)]
pub struct Tracked {
    pub tag: &'static str,
    pub id: u64,
    ledger: Arc<Ledger>,
}

impl Ledger {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    pub fn item(self: &Arc<Self>, tag: &'static str) -> Tracked {
        let mut g = self.inner.lock().unwrap();
        let id = g.0;
        g.0 += 1;
        g.1.insert(id, 0);
        Tracked {
            tag,
            id,
            ledger: self.clone(),
        }
    }

    /// Number of items dropped so far.
    pub fn dropped(&self) -> usize {
        self.inner
            .lock()
            .unwrap()
            .1
            .values()
            .filter(|&&n| n > 0)
            .count()
    }

    /// Number of items created and not dropped yet.
    pub fn live(&self) -> usize {
        self.inner
            .lock()
            .unwrap()
            .1
            .values()
            .filter(|&&n| n == 0)
            .count()
    }

    /// Every item ever created was dropped exactly once.
    pub fn assert_all_released_once(&self) {
        let g = self.inner.lock().unwrap();
        for (id, &n) in &g.1 {
            assert_eq!(n, 1, "item {id} dropped {n} times");
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        // Item drops are caller code: never under a kernel lock.
        assert_eq!(
            lockorder::held_locks(),
            0,
            "item dropped under a kernel lock"
        );
        *self
            .ledger
            .inner
            .lock()
            .unwrap()
            .1
            .get_mut(&self.id)
            .unwrap() += 1;
    }
}

/// What a receive produced, without the item's identity.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Got {
    Item(&'static str),
    Unbound(UnboundOp),
}

pub fn got(r: Result<Received<Tracked>, ChannelError>) -> Result<Got, ChannelError> {
    r.map(|r| match r {
        Received::Item(t) => Got::Item(t.tag),
        Received::Unbound(op) => Got::Unbound(op),
    })
}

// ------------------------------------------------- catalogue helpers

pub fn fresh() -> (Channels<Tracked>, Arc<Ledger>) {
    (Channels::new(), Ledger::new())
}

/// Sends `tag` from `who` without waiting.
pub fn send(
    ch: &Channels<Tracked>,
    l: &Arc<Ledger>,
    who: InterpId,
    cid: ChannelId,
    tag: &'static str,
) -> Result<(), ChannelError> {
    ch.send(who, cid, l.item(tag), Replace)
        .map_err(|e| e.error())
}

/// Sends each `(who, tag, unbound op)` in order, without waiting.
pub fn send_ops(
    ch: &Channels<Tracked>,
    l: &Arc<Ledger>,
    cid: ChannelId,
    items: &[(InterpId, &'static str, UnboundOp)],
) {
    for &(who, tag, op) in items {
        ch.send(who, cid, l.item(tag), op).unwrap();
    }
}

/// CPython's `recv(cid, default)`: the default instead of `Empty` (a
/// closed channel still fails). Binding-level, so not in the kernel.
pub fn recv_or(
    ch: &Channels<Tracked>,
    who: InterpId,
    cid: ChannelId,
    default: Tracked,
) -> Result<Received<Tracked>, ChannelError> {
    match ch.try_recv(who, cid) {
        Err(ChannelError::Empty(_)) => Ok(Received::Item(default)),
        r => r,
    }
}

pub fn recv(ch: &Channels<Tracked>, who: InterpId, cid: ChannelId) -> Result<Got, ChannelError> {
    got(ch.try_recv(who, cid))
}

/// Asserts that both directions of `cid` report the channel closed.
pub fn assert_closed(ch: &Channels<Tracked>, l: &Arc<Ledger>, cid: ChannelId) {
    assert_eq!(
        send(ch, l, MAIN, cid, "late"),
        Err(ChannelError::Closed(cid))
    );
    assert_eq!(recv(ch, MAIN, cid), Err(ChannelError::Closed(cid)));
    assert!(ch.info(MAIN, cid).unwrap().closed);
}

/// Main associates itself first (send + recv a dummy), as the upstream
/// tests do, so destroying the sender does not close the channel.
pub fn associated_channel(ch: &Channels<Tracked>, l: &Arc<Ledger>) -> ChannelId {
    let cid = ch.create(Replace).unwrap();
    send(ch, l, MAIN, cid, "dummy").unwrap();
    recv(ch, MAIN, cid).unwrap();
    cid
}
