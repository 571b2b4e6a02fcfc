//! Sequential reference model of CPython's channels (`_interpchannels`,
//! reference §3), the oracle for `tests/channel_conformance.rs`.
//!
//! Written straight from the spec and deliberately *not* from the kernel's
//! code: CPython's own representation (an `open` flag plus a `closing` mark,
//! separate send / recv end lists) with its rules spelled out one by one,
//! minus the CPython defects the kernel fixes (idempotent release, closed
//! channels listed by `list_all`). Items are plain tokens; the model also
//! reports which tokens an operation must *release* (drop), so a test can
//! check that the kernel releases exactly those, exactly then.

use std::collections::{BTreeMap, VecDeque};

use xikernel::channel::{ChannelError, ChannelId, ChannelInfo, End, UnboundOp};
use xikernel::interp::InterpId;

/// An item: its token (`None` once unbound by its owner's destruction).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct RefItem {
    token: Option<u64>,
    owner: InterpId,
    op: UnboundOp,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct RefChannel {
    default: Option<UnboundOp>,
    /// CPython's `chan->open`; a closed channel has no state left.
    open: bool,
    /// CPython's `chan->closing`: the send end was closed with items left.
    closing: bool,
    queue: VecDeque<RefItem>,
    /// interp -> end open?
    send_ends: BTreeMap<InterpId, bool>,
    recv_ends: BTreeMap<InterpId, bool>,
}

/// What a receive yields in the model.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RefRecv {
    Token(u64),
    Unbound(UnboundOp),
}

/// The model. `Eq + Hash` so that it can be a linearizability-checker
/// state (`lin::channel_spec`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RefChannels {
    next_id: u64,
    channels: BTreeMap<u64, RefChannel>,
    /// Tokens the last operation released (dropped) without delivering.
    released: Vec<u64>,
}

type R<T> = Result<T, ChannelError>;

/// The channel `cid` if it exists and is not closed.
fn live(channels: &mut BTreeMap<u64, RefChannel>, cid: ChannelId) -> R<&mut RefChannel> {
    let ch = channels
        .get_mut(&cid.0)
        .ok_or(ChannelError::NotFound(cid))?;
    if ch.open {
        Ok(ch)
    } else {
        Err(ChannelError::Closed(cid))
    }
}

impl RefChannel {
    fn ends_mut(&mut self, send: bool) -> &mut BTreeMap<InterpId, bool> {
        if send {
            &mut self.send_ends
        } else {
            &mut self.recv_ends
        }
    }

    /// CPython's `_channelends_is_open`, counting ends instead of keeping
    /// counters (so a double release cannot drive a counter negative).
    fn ends_open(&self) -> bool {
        let never_used = self.send_ends.is_empty() && self.recv_ends.is_empty();
        never_used
            || self
                .send_ends
                .values()
                .chain(self.recv_ends.values())
                .any(|&o| o)
    }
}

impl RefChannels {
    pub fn new() -> Self {
        Self::default()
    }

    /// Tokens released by the last operation (in any order).
    pub fn take_released(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.released)
    }

    /// Marks the channel closed and releases its items.
    fn close_fully(released: &mut Vec<u64>, ch: &mut RefChannel) {
        ch.open = false;
        ch.closing = false;
        released.extend(ch.queue.drain(..).filter_map(|i| i.token));
        for open in ch.send_ends.values_mut().chain(ch.recv_ends.values_mut()) {
            *open = false;
        }
    }

    /// Looks up an existing channel that is not closed.
    fn live(&mut self, cid: ChannelId) -> R<&mut RefChannel> {
        live(&mut self.channels, cid)
    }

    pub fn create(&mut self, default: UnboundOp) -> R<ChannelId> {
        let id = self.next_id;
        self.next_id += 1;
        self.channels.insert(
            id,
            RefChannel {
                default: Some(default),
                open: true,
                ..RefChannel::default()
            },
        );
        Ok(ChannelId(id))
    }

    pub fn destroy(&mut self, cid: ChannelId) -> R<()> {
        let mut ch = self
            .channels
            .remove(&cid.0)
            .ok_or(ChannelError::NotFound(cid))?;
        Self::close_fully(&mut self.released, &mut ch);
        Ok(())
    }

    /// Newest first; closed channels included.
    pub fn list_all(&self) -> Vec<(ChannelId, UnboundOp)> {
        self.channels
            .iter()
            .rev()
            .map(|(&id, ch)| (ChannelId(id), ch.default.unwrap_or(UnboundOp::Replace)))
            .collect()
    }

    pub fn send(&mut self, who: InterpId, cid: ChannelId, token: u64, op: UnboundOp) -> R<()> {
        let r = self.try_send(who, cid, token, op);
        if r.is_err() {
            self.released.push(token);
        }
        r
    }

    fn try_send(&mut self, who: InterpId, cid: ChannelId, token: u64, op: UnboundOp) -> R<()> {
        let ch = self.live(cid)?;
        if ch.closing {
            return Err(ChannelError::Closed(cid));
        }
        let end = ch.send_ends.entry(who).or_insert(true);
        if !*end {
            return Err(ChannelError::AlreadyClosed(cid));
        }
        ch.queue.push_back(RefItem {
            token: Some(token),
            owner: who,
            op,
        });
        Ok(())
    }

    /// A blocking send with a zero timeout and no receiver running: if the
    /// send itself succeeds, the item is withdrawn at once (`Timeout`).
    pub fn send_wait_zero(
        &mut self,
        who: InterpId,
        cid: ChannelId,
        token: u64,
        op: UnboundOp,
    ) -> R<()> {
        self.send(who, cid, token, op)?;
        let ch = self.channels.get_mut(&cid.0).expect("just sent");
        let it = ch.queue.pop_back().expect("just queued");
        self.released.extend(it.token);
        Err(ChannelError::Timeout(cid))
    }

    /// A blocking sender gives up (timeout): its item `token`, if still
    /// queued, is taken back and released; a closing channel left empty
    /// closes. Returns whether the item was still queued.
    pub fn withdraw(&mut self, cid: ChannelId, token: u64) -> bool {
        let released = &mut self.released;
        let Some(ch) = self.channels.get_mut(&cid.0) else {
            return false;
        };
        let Some(pos) = ch.queue.iter().position(|i| i.token == Some(token)) else {
            return false;
        };
        ch.queue.remove(pos);
        released.push(token);
        if ch.closing && ch.queue.is_empty() {
            Self::close_fully(released, ch);
        }
        true
    }

    pub fn recv(&mut self, who: InterpId, cid: ChannelId) -> R<RefRecv> {
        let released = &mut self.released;
        let ch = live(&mut self.channels, cid)?;
        let end = ch.recv_ends.entry(who).or_insert(true);
        if !*end {
            return Err(ChannelError::AlreadyClosed(cid));
        }
        let item = ch.queue.pop_front().ok_or(ChannelError::Empty(cid))?;
        if ch.closing && ch.queue.is_empty() {
            Self::close_fully(released, ch);
        }
        Ok(match item.token {
            Some(t) => RefRecv::Token(t),
            None => RefRecv::Unbound(item.op),
        })
    }

    pub fn close(&mut self, cid: ChannelId, end: End, force: bool) -> R<()> {
        let released = &mut self.released;
        let ch = self
            .channels
            .get_mut(&cid.0)
            .ok_or(ChannelError::NotFound(cid))?;
        if !force && end == End::Send && ch.closing {
            return Err(ChannelError::Closed(cid));
        }
        if !ch.open {
            return Err(ChannelError::Closed(cid));
        }
        if !force && !ch.queue.is_empty() {
            if end == End::Send {
                ch.closing = true;
                return Ok(());
            }
            return Err(ChannelError::NotEmpty(cid));
        }
        Self::close_fully(released, ch);
        Ok(())
    }

    pub fn release(&mut self, who: InterpId, cid: ChannelId, end: End) -> R<()> {
        let released = &mut self.released;
        let ch = live(&mut self.channels, cid)?;
        if end != End::Recv {
            ch.ends_mut(true).insert(who, false);
        }
        if end != End::Send {
            ch.ends_mut(false).insert(who, false);
        }
        if !ch.ends_open() {
            Self::close_fully(released, ch);
        }
        Ok(())
    }

    /// Interpreter `who` is destroyed.
    pub fn clear_interpreter(&mut self, who: InterpId) {
        for ch in self.channels.values_mut().filter(|c| c.open) {
            let mut kept = VecDeque::new();
            for mut item in ch.queue.drain(..) {
                if item.owner == who && item.token.is_some() {
                    self.released.extend(item.token.take());
                    if item.op == UnboundOp::Remove {
                        continue;
                    }
                }
                kept.push_back(item);
            }
            ch.queue = kept;
            for ends in [&mut ch.send_ends, &mut ch.recv_ends] {
                if let Some(open) = ends.get_mut(&who) {
                    *open = false;
                }
            }
            if !ch.ends_open() || (ch.closing && ch.queue.is_empty()) {
                Self::close_fully(&mut self.released, ch);
            }
        }
    }

    pub fn len(&mut self, cid: ChannelId) -> R<usize> {
        Ok(self.live(cid)?.queue.len())
    }

    pub fn list_interpreters(&mut self, cid: ChannelId, send: bool) -> R<Vec<InterpId>> {
        let ch = self.live(cid)?;
        if send && ch.closing {
            return Err(ChannelError::Closed(cid));
        }
        let ends = if send { &ch.send_ends } else { &ch.recv_ends };
        Ok(ends.iter().filter(|(_, &o)| o).map(|(&i, _)| i).collect())
    }

    pub fn info(&self, who: InterpId, cid: ChannelId) -> R<ChannelInfo> {
        let ch = self
            .channels
            .get(&cid.0)
            .ok_or(ChannelError::NotFound(cid))?;
        let mut info = ChannelInfo {
            open: ch.open && !ch.closing,
            closing: ch.open && ch.closing,
            closed: !ch.open,
            ..ChannelInfo::default()
        };
        if !ch.open {
            return Ok(info);
        }
        info.count = ch.queue.len();
        // CPython's `_channel_get_info`, loop for loop: count send ends,
        // then move interpreters that also have a recv end into the "both"
        // buckets (with CPython's swapped `both_*_released` names).
        for &open in ch.send_ends.values() {
            if open {
                info.num_interp_send += 1;
            } else {
                info.num_interp_send_released += 1;
            }
        }
        for (interp, &recv_open) in &ch.recv_ends {
            let Some(&send_open) = ch.send_ends.get(interp) else {
                if recv_open {
                    info.num_interp_recv += 1;
                } else {
                    info.num_interp_recv_released += 1;
                }
                continue;
            };
            if send_open {
                info.num_interp_send -= 1;
            } else {
                info.num_interp_send_released -= 1;
            }
            *match (send_open, recv_open) {
                (true, true) => &mut info.num_interp_both,
                (false, false) => &mut info.num_interp_both_released,
                (true, false) => &mut info.num_interp_both_send_released,
                (false, true) => &mut info.num_interp_both_recv_released,
            } += 1;
        }
        let send = ch.send_ends.get(&who).copied();
        let recv = ch.recv_ends.get(&who).copied();
        info.send_associated = send == Some(true);
        info.send_released = send == Some(false);
        info.recv_associated = recv == Some(true);
        info.recv_released = recv == Some(false);
        Ok(info)
    }
}
