//! Sequential reference model of CPython's queues (`_interpqueues`,
//! reference §2), the oracle for `tests/queue_conformance.rs`.
//!
//! Written from the spec, not from the kernel: CPython's representation (a
//! linked list of items with a count, a refcount per queue, ids from 1),
//! minus the two 3.13 defects the kernel fixes (`is_full` of unbounded
//! queues; the lost put after a removed last item cannot happen in a
//! `VecDeque`). Items are tokens; the model reports which tokens an
//! operation released without delivering them.

use std::collections::{BTreeMap, VecDeque};

use xikernel::channel::UnboundOp;
use xikernel::interp::InterpId;
use xikernel::queue::{QueueDefaults, QueueError, QueueId};

#[derive(Clone, Debug)]
struct RefItem {
    /// `None` once neutered by its owner's destruction.
    token: Option<u64>,
    owner: InterpId,
    op: UnboundOp,
}

#[derive(Clone, Debug)]
struct RefQueue {
    maxsize: i64,
    defaults: QueueDefaults,
    refcount: u64,
    items: VecDeque<RefItem>,
}

/// What a get yields in the model.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RefGot {
    Token(u64),
    Unbound(UnboundOp),
}

/// The model.
#[derive(Clone, Debug)]
pub struct RefQueues {
    next_id: u64,
    queues: BTreeMap<u64, RefQueue>,
    /// Tokens the last operation released without delivering them.
    pub released: Vec<u64>,
}

impl Default for RefQueues {
    fn default() -> Self {
        Self {
            next_id: 1,
            queues: BTreeMap::new(),
            released: Vec::new(),
        }
    }
}

impl RefQueues {
    fn queue(&mut self, qid: QueueId) -> Result<&mut RefQueue, QueueError> {
        self.queues.get_mut(&qid.0).ok_or(QueueError::NotFound(qid))
    }

    pub fn create(&mut self, maxsize: i64, defaults: QueueDefaults) -> QueueId {
        self.released.clear();
        let id = self.next_id;
        self.next_id += 1;
        self.queues.insert(
            id,
            RefQueue {
                maxsize,
                defaults,
                refcount: 0,
                items: VecDeque::new(),
            },
        );
        QueueId(id)
    }

    pub fn destroy(&mut self, qid: QueueId) -> Result<(), QueueError> {
        self.released.clear();
        let q = self
            .queues
            .remove(&qid.0)
            .ok_or(QueueError::NotFound(qid))?;
        self.released
            .extend(q.items.into_iter().filter_map(|i| i.token));
        Ok(())
    }

    /// Newest first.
    pub fn list_all(&self) -> Vec<(QueueId, QueueDefaults)> {
        self.queues
            .iter()
            .rev()
            .map(|(&id, q)| (QueueId(id), q.defaults))
            .collect()
    }

    pub fn put(
        &mut self,
        owner: InterpId,
        qid: QueueId,
        token: u64,
        op: UnboundOp,
    ) -> Result<(), QueueError> {
        self.released.clear();
        let r = self.queue(qid).and_then(|q| {
            if q.maxsize > 0 && q.items.len() as i64 >= q.maxsize {
                return Err(QueueError::Full(qid));
            }
            q.items.push_back(RefItem {
                token: Some(token),
                owner,
                op,
            });
            Ok(())
        });
        if r.is_err() {
            self.released.push(token);
        }
        r
    }

    pub fn get(&mut self, qid: QueueId) -> Result<RefGot, QueueError> {
        self.released.clear();
        let q = self.queue(qid)?;
        let item = q.items.pop_front().ok_or(QueueError::Empty(qid))?;
        Ok(match item.token {
            Some(t) => RefGot::Token(t),
            None => RefGot::Unbound(item.op),
        })
    }

    pub fn bind(&mut self, qid: QueueId) -> Result<(), QueueError> {
        self.released.clear();
        self.queue(qid)?.refcount += 1;
        Ok(())
    }

    pub fn release(&mut self, qid: QueueId) -> Result<(), QueueError> {
        self.released.clear();
        let q = self.queue(qid)?;
        if q.refcount == 0 {
            return Err(QueueError::NeverBound(qid));
        }
        q.refcount -= 1;
        if q.refcount == 0 {
            self.destroy(qid)?;
        }
        Ok(())
    }

    pub fn len(&mut self, qid: QueueId) -> Result<usize, QueueError> {
        Ok(self.queue(qid)?.items.len())
    }

    pub fn maxsize(&mut self, qid: QueueId) -> Result<i64, QueueError> {
        Ok(self.queue(qid)?.maxsize)
    }

    /// Fixed semantics (gh-135698): full only if bounded and at the bound.
    pub fn is_full(&mut self, qid: QueueId) -> Result<bool, QueueError> {
        let q = self.queue(qid)?;
        Ok(q.maxsize > 0 && q.items.len() as i64 >= q.maxsize)
    }

    /// `owner` was destroyed: reference §2.8, item by item in FIFO order.
    pub fn clear_interpreter(&mut self, owner: InterpId) {
        self.released.clear();
        for q in self.queues.values_mut() {
            let mut kept = VecDeque::new();
            for mut item in q.items.drain(..) {
                if item.owner == owner && item.token.is_some() {
                    self.released.extend(item.token.take());
                    if item.op == UnboundOp::Remove {
                        continue;
                    }
                }
                kept.push_back(item);
            }
            q.items = kept;
        }
    }
}
