//! Per-interpreter channel ends.
//!
//! An interpreter is associated with the send (recv) end of a channel the
//! first time it sends (receives), and stays associated until it releases
//! that end or is destroyed. Entries are never removed, only closed: a
//! released end stays released (a later use fails with "already closed"),
//! and [`ChannelInfo`] reports released ends.
//!
//! Whether the channel is still open is *computed* from the entries
//! ([`Ends::any_open`]) rather than kept in counters, so releasing the same
//! end twice is idempotent. CPython 3.13 decrements a counter per release
//! and can leave a channel open with no open end (reference §3.10).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::{ChannelError, ChannelId, End};
use crate::owner::InterpId;

/// One interpreter's two entries: `None` = never associated, `Some(open)`.
#[derive(Clone, Copy, Default, Debug)]
struct Entry {
    send: Option<bool>,
    recv: Option<bool>,
}

#[derive(Default, Debug)]
pub(super) struct Ends {
    by_interp: BTreeMap<InterpId, Entry>,
}

/// A snapshot of a channel's state, field for field CPython's
/// `_interpchannels.ChannelInfo`. The `*_associated` / `*_released` flags
/// are relative to the interpreter that asked.
///
/// ```
/// use xikernel::{Channels, UnboundOp, MAIN};
/// let chans = Channels::new();
/// let c = chans.create(UnboundOp::Replace).unwrap();
/// chans.send(MAIN, c, 1, UnboundOp::Replace).unwrap();
/// let info = chans.info(MAIN, c).unwrap();
/// assert!(info.open && info.send_associated && !info.recv_associated);
/// assert_eq!((info.count, info.num_interp_send), (1, 1));
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Debug)]
pub struct ChannelInfo {
    /// Neither closed nor closing.
    pub open: bool,
    /// The send end was closed with items left; receivers are draining.
    pub closing: bool,
    pub closed: bool,
    /// Queued items (0 once closed).
    pub count: usize,
    pub num_interp_send: usize,
    pub num_interp_send_released: usize,
    pub num_interp_recv: usize,
    pub num_interp_recv_released: usize,
    pub num_interp_both: usize,
    pub num_interp_both_released: usize,
    /// CPython's name, kept: counts interpreters whose **recv** end was
    /// released while their send end is open.
    pub num_interp_both_send_released: usize,
    /// CPython's name, kept: counts interpreters whose **send** end was
    /// released while their recv end is open.
    pub num_interp_both_recv_released: usize,
    pub send_associated: bool,
    pub send_released: bool,
    pub recv_associated: bool,
    pub recv_released: bool,
}

impl Ends {
    fn side(entry: &mut Entry, send: bool) -> &mut Option<bool> {
        if send {
            &mut entry.send
        } else {
            &mut entry.recv
        }
    }

    /// Associates `interp` with one end on use; fails if it released it.
    pub(super) fn associate(
        &mut self,
        cid: ChannelId,
        interp: InterpId,
        send: bool,
    ) -> Result<(), ChannelError> {
        let side = Self::side(self.by_interp.entry(interp).or_default(), send);
        match *side {
            Some(false) => Err(ChannelError::AlreadyClosed(cid)),
            _ => {
                *side = Some(true);
                Ok(())
            }
        }
    }

    /// Closes `interp`'s entries for `end`, creating closed entries for ends
    /// it never used (so a later use by it fails). Idempotent.
    pub(super) fn release(&mut self, interp: InterpId, end: End) {
        let entry = self.by_interp.entry(interp).or_default();
        if end != End::Recv {
            entry.send = Some(false);
        }
        if end != End::Send {
            entry.recv = Some(false);
        }
    }

    /// Closes the entries `interp` has (it is being destroyed).
    pub(super) fn clear_interpreter(&mut self, interp: InterpId) {
        if let Some(entry) = self.by_interp.get_mut(&interp) {
            for side in [&mut entry.send, &mut entry.recv] {
                if side.is_some() {
                    *side = Some(false);
                }
            }
        }
    }

    /// Open while some end is open, or while no end was ever associated.
    pub(super) fn any_open(&self) -> bool {
        self.by_interp.is_empty()
            || self
                .by_interp
                .values()
                .any(|e| e.send == Some(true) || e.recv == Some(true))
    }

    /// Interpreters with an open entry for one end, ascending.
    pub(super) fn interpreters(&self, send: bool) -> Vec<InterpId> {
        self.by_interp
            .iter()
            .filter(|(_, e)| if send { e.send } else { e.recv } == Some(true))
            .map(|(&id, _)| id)
            .collect()
    }

    /// Fills the counters of `info` exactly as CPython's `_channel_get_info`.
    pub(super) fn fill_info(&self, me: InterpId, info: &mut ChannelInfo) {
        for (&id, e) in &self.by_interp {
            if id == me {
                info.send_associated = e.send == Some(true);
                info.send_released = e.send == Some(false);
                info.recv_associated = e.recv == Some(true);
                info.recv_released = e.recv == Some(false);
            }
            let bucket = match (e.send, e.recv) {
                (None, None) => continue,
                (Some(true), None) => &mut info.num_interp_send,
                (Some(false), None) => &mut info.num_interp_send_released,
                (None, Some(true)) => &mut info.num_interp_recv,
                (None, Some(false)) => &mut info.num_interp_recv_released,
                (Some(true), Some(true)) => &mut info.num_interp_both,
                (Some(false), Some(false)) => &mut info.num_interp_both_released,
                (Some(true), Some(false)) => &mut info.num_interp_both_send_released,
                (Some(false), Some(true)) => &mut info.num_interp_both_recv_released,
            };
            *bucket += 1;
        }
    }
}
