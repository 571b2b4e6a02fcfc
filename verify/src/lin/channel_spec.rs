//! Channel operations as checker events, and the reference channel
//! ([`RefChannels`], one channel) as a [`Model`].
//!
//! Every response carries the tokens the call *released* (dropped without
//! delivering): a failed send's own item, the items a close or the release
//! of the last end discards, a withdrawn send-and-wait item. With the
//! received tokens this accounts for every item, so a lost or doubled item
//! is a response the model cannot give.
//!
//! **Send-and-wait** is one call with two effects at two moments: its item
//! is queued, and later the call learns the item's fate. It is recorded as
//! two operations with the call's interval, [`ChOp::SendWait`] (the
//! enqueue: its response is the send's) and [`ChOp::Settle`] (the outcome:
//! received, discarded by a close, or withdrawn on timeout). Both
//! linearize inside the call, the enqueue first (a settle of an unknown
//! token is [`ChRet::Invalid`], a response no call gives), so a history is
//! explained exactly when some order of enqueues, receives, closes and
//! outcomes is.

use std::collections::BTreeMap;

use xikernel::channel::{ChannelError, ChannelId, End, UnboundOp};
use xikernel::interp::InterpId;

use super::Model;
use crate::reference::channel::{RefChannels, RefRecv};

/// The unbound policy every workload item carries (no interpreter is
/// destroyed in these workloads, so it never applies).
pub const OP: UnboundOp = UnboundOp::Replace;

/// A channel operation; tokens are unique per history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChOp {
    Send {
        who: InterpId,
        token: u64,
    },
    Recv {
        who: InterpId,
    },
    Close {
        end: End,
        force: bool,
    },
    Release {
        who: InterpId,
        end: End,
    },
    /// The enqueue half of a send-and-wait.
    SendWait {
        who: InterpId,
        token: u64,
    },
    /// The outcome half of the send-and-wait of `token`.
    Settle {
        token: u64,
    },
}

/// An error, without the channel id (the model's ids are its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrKind {
    NotFound,
    Closed,
    AlreadyClosed,
    HasClosed,
    Empty,
    NotEmpty,
    Timeout,
    Other,
}

impl ErrKind {
    pub fn of(e: &ChannelError) -> Self {
        match e {
            ChannelError::NotFound(_) => ErrKind::NotFound,
            ChannelError::Closed(_) => ErrKind::Closed,
            ChannelError::AlreadyClosed(_) => ErrKind::AlreadyClosed,
            ChannelError::HasClosed(_) => ErrKind::HasClosed,
            ChannelError::Empty(_) => ErrKind::Empty,
            ChannelError::NotEmpty(_) => ErrKind::NotEmpty,
            ChannelError::Timeout(_) => ErrKind::Timeout,
            #[allow(unreachable_patterns)]
            _ => ErrKind::Other,
        }
    }

    /// Errors a send-and-wait reports before its item was queued.
    pub fn before_enqueue(self) -> bool {
        !matches!(self, ErrKind::HasClosed | ErrKind::Timeout)
    }
}

/// A response: the result and the tokens the call released, ascending.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ChRet {
    /// Success; for a receive, the token received.
    Ok {
        got: Option<u64>,
        released: Vec<u64>,
    },
    Err {
        kind: ErrKind,
        released: Vec<u64>,
    },
    /// What the model answers to a settle of a token it never queued: no
    /// real call returns it.
    Invalid,
}

impl ChRet {
    /// From a kernel result and the tokens dropped during the call.
    pub fn of<T>(r: &Result<T, ChannelError>, got: Option<u64>, mut released: Vec<u64>) -> Self {
        released.sort_unstable();
        match r {
            Ok(_) => ChRet::Ok { got, released },
            Err(e) => ChRet::Err {
                kind: ErrKind::of(e),
                released,
            },
        }
    }
}

/// Where a send-and-wait item is, as far as its sender will learn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Fate {
    Queued,
    Received,
    Discarded,
}

/// One channel of [`RefChannels`] plus the fates of the send-and-wait
/// items not settled yet.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChannelSpec {
    chans: RefChannels,
    cid: ChannelId,
    waits: BTreeMap<u64, Fate>,
}

impl Default for ChannelSpec {
    fn default() -> Self {
        Self::new()
    }
}

impl ChannelSpec {
    /// A fresh registry holding one open channel.
    pub fn new() -> Self {
        let mut chans = RefChannels::new();
        let cid = chans.create(OP).expect("a fresh model has ids");
        ChannelSpec {
            chans,
            cid,
            waits: BTreeMap::new(),
        }
    }

    /// The response for `r`, collecting what the step released and updating
    /// the fates of waiting items.
    fn respond<T>(&mut self, r: &Result<T, ChannelError>, got: Option<u64>) -> ChRet {
        let released = self.chans.take_released();
        for t in &released {
            if let Some(f @ Fate::Queued) = self.waits.get_mut(t) {
                *f = Fate::Discarded;
            }
        }
        if let Some(f @ Fate::Queued) = got.and_then(|t| self.waits.get_mut(&t)) {
            *f = Fate::Received;
        }
        ChRet::of(r, got, released)
    }
}

impl Model for ChannelSpec {
    type Op = ChOp;
    type Ret = ChRet;

    fn step(&mut self, op: &ChOp) -> ChRet {
        let cid = self.cid;
        match *op {
            ChOp::Send { who, token } => {
                let r = self.chans.send(who, cid, token, OP);
                self.respond(&r, None)
            }
            ChOp::SendWait { who, token } => {
                let r = self.chans.send(who, cid, token, OP);
                if r.is_ok() {
                    self.waits.insert(token, Fate::Queued);
                }
                self.respond(&r, None)
            }
            ChOp::Recv { who } => {
                let r = self.chans.recv(who, cid);
                let got = match r {
                    Ok(RefRecv::Token(t)) => Some(t),
                    // Never produced: no interpreter is destroyed.
                    Ok(RefRecv::Unbound(_)) | Err(_) => None,
                };
                self.respond(&r, got)
            }
            ChOp::Close { end, force } => {
                let r = self.chans.close(cid, end, force);
                self.respond(&r, None)
            }
            ChOp::Release { who, end } => {
                let r = self.chans.release(who, cid, end);
                self.respond(&r, None)
            }
            ChOp::Settle { token } => match self.waits.remove(&token) {
                None => ChRet::Invalid,
                Some(Fate::Received) => ChRet::Ok {
                    got: None,
                    released: Vec::new(),
                },
                Some(Fate::Discarded) => ChRet::Err {
                    kind: ErrKind::HasClosed,
                    released: Vec::new(),
                },
                Some(Fate::Queued) => {
                    self.chans.withdraw(cid, token);
                    self.respond(&Err::<(), _>(ChannelError::Timeout(cid)), None)
                }
            },
        }
    }

    fn tags(op: &ChOp, ret: &ChRet) -> Vec<u64> {
        let mut tags = Vec::new();
        match *op {
            ChOp::Send { token, .. } | ChOp::SendWait { token, .. } | ChOp::Settle { token } => {
                tags.push(token)
            }
            _ => {}
        }
        match ret {
            ChRet::Ok { got, released } => {
                tags.extend(got);
                tags.extend(released);
            }
            ChRet::Err { released, .. } => tags.extend(released),
            ChRet::Invalid => {}
        }
        tags
    }
}
