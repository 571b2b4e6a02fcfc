//! Queue operations as checker events, and the reference queues as
//! [`Model`]s. One vocabulary serves Ring, List and the planted-bug queues.

use xikernel::{PopError, PushError};

use super::Model;
use crate::reference::list::RefList;
use crate::reference::ring::RefRing;

/// A queue operation (values are unique per history).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QOp {
    Push(u64),
    ForcePush(u64),
    Pop,
    Close,
}

/// A queue response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QRet {
    Pushed,
    Full,
    PushClosed,
    /// `force_push` succeeded, evicting this item if any.
    Forced(Option<u64>),
    Popped(u64),
    Empty,
    PopClosed,
    /// `close()`'s result: whether this call closed the queue.
    Closed(bool),
}

impl QRet {
    pub fn of_push(r: Result<(), PushError<u64>>) -> Self {
        match r {
            Ok(()) => QRet::Pushed,
            Err(PushError::Full(_)) => QRet::Full,
            // Closed (the non-blocking queues report nothing else).
            Err(_) => QRet::PushClosed,
        }
    }

    pub fn of_force(r: Result<Option<u64>, PushError<u64>>) -> Self {
        match r {
            Ok(evicted) => QRet::Forced(evicted),
            Err(PushError::Full(_)) => QRet::Full,
            Err(_) => QRet::PushClosed,
        }
    }

    pub fn of_pop(r: Result<u64, PopError>) -> Self {
        match r {
            Ok(v) => QRet::Popped(v),
            Err(PopError::Empty) => QRet::Empty,
            // Closed (the non-blocking queues report nothing else).
            Err(_) => QRet::PopClosed,
        }
    }
}

fn queue_tags(op: &QOp, ret: &QRet) -> Vec<u64> {
    let mut tags = Vec::new();
    if let QOp::Push(v) | QOp::ForcePush(v) = op {
        tags.push(*v);
    }
    if let QRet::Popped(v) | QRet::Forced(Some(v)) = ret {
        tags.push(*v);
    }
    tags
}

impl Model for RefRing<u64> {
    type Op = QOp;
    type Ret = QRet;

    fn step(&mut self, op: &QOp) -> QRet {
        match *op {
            QOp::Push(v) => QRet::of_push(self.try_push(v)),
            QOp::ForcePush(v) => QRet::of_force(self.force_push(v)),
            QOp::Pop => QRet::of_pop(self.try_pop()),
            QOp::Close => QRet::Closed(self.close()),
        }
    }

    fn tags(op: &QOp, ret: &QRet) -> Vec<u64> {
        queue_tags(op, ret)
    }
}

impl Model for RefList<u64> {
    type Op = QOp;
    type Ret = QRet;

    fn step(&mut self, op: &QOp) -> QRet {
        match *op {
            QOp::Push(v) => QRet::of_push(self.try_push(v)),
            // A list has no force_push; the op is not generated for lists and
            // a recorded one can never be explained.
            QOp::ForcePush(_) => QRet::Full,
            QOp::Pop => QRet::of_pop(self.try_pop()),
            QOp::Close => QRet::Closed(self.close()),
        }
    }

    fn tags(op: &QOp, ret: &QRet) -> Vec<u64> {
        queue_tags(op, ret)
    }
}
