//! Shared by the queue test files (`#[path]`-included next to
//! `channel_common.rs`, whose `Ledger` / `Tracked` items they reuse).
#![allow(dead_code)]
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::sync::Arc;

use super::common::{Ledger, Tracked};
use xikernel::channel::{Received, UnboundOp};
use xikernel::interp::InterpId;
use xikernel::queue::{QueueDefaults, QueueError, QueueId, Queues};

pub const DEFAULTS: QueueDefaults = QueueDefaults {
    fmt: 0,
    unbound: UnboundOp::Replace,
};

/// What a get produced, without the item's identity.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Got {
    Item(&'static str),
    Unbound(UnboundOp),
}

pub fn fresh() -> (Queues<Tracked>, Arc<Ledger>) {
    (Queues::new(), Ledger::new())
}

pub fn got(r: Result<Received<Tracked>, QueueError>) -> Result<Got, QueueError> {
    r.map(|r| match r {
        Received::Item(t) => Got::Item(t.tag),
        Received::Unbound(op) => Got::Unbound(op),
    })
}

pub fn get(q: &Queues<Tracked>, qid: QueueId) -> Result<Got, QueueError> {
    got(q.try_pop(qid))
}

/// Puts each `(who, tag, unbound op)` in order, without waiting.
pub fn put_ops(
    q: &Queues<Tracked>,
    l: &Arc<Ledger>,
    qid: QueueId,
    items: &[(InterpId, &'static str, UnboundOp)],
) {
    for &(who, tag, op) in items {
        q.try_push(who, qid, l.item(tag), op).unwrap();
    }
}
