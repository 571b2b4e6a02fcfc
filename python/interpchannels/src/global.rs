//! Process-global state: the kernel's channel registry, shared by every
//! interpreter that imports the module, and the id-object counts that make
//! a channel die with its last `ChannelID` (CPython's `objcount`).
//!
//! CPython keeps a `_channelref` per channel with the number of live
//! `ChannelID` objects (in any interpreter, plus those in transit, which
//! hold a strong reference to the sending object). When it drops to 0 the
//! ref is removed and the channel freed, items and all. Here the counts
//! live beside the kernel registry, under their own lock:
//!
//! * an entry exists exactly while the channel is in the kernel registry
//!   (created here; removed by `destroy` or the last id object's drop);
//! * `add_ref` on a missing entry is "channel N not found", as in CPython,
//!   so a `ChannelID` is never made for a destroyed channel unless forced;
//! * the kernel `destroy` runs after the entry is gone and the refs lock is
//!   released (it drops items, whose release may call back into Python).
//!
//! Unlike CPython, a forced id (`_channel_id(n, force=True)` for a missing
//! channel) holds no count and so never decrements one it did not add.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};

use xikernel::channel::{ChannelError, ChannelId, Channels, UnboundOp};

use crate::item::Item;

pub(crate) struct Global {
    pub channels: Channels<Item>,
    refs: Mutex<HashMap<u64, usize>>,
}

static GLOBAL: OnceLock<Global> = OnceLock::new();

pub(crate) fn get() -> &'static Global {
    GLOBAL.get_or_init(|| Global {
        channels: Channels::new(),
        refs: Mutex::new(HashMap::new()),
    })
}

impl Global {
    fn refs(&self) -> MutexGuard<'_, HashMap<u64, usize>> {
        // Nothing panics under this lock; recover from poison anyway.
        self.refs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates a channel with no id reference yet: the caller makes the
    /// first `ChannelID` at once (CPython has the same short window).
    pub fn create(&self, op: UnboundOp) -> Result<ChannelId, ChannelError> {
        let cid = self.channels.create(op)?;
        self.refs().insert(cid.0, 0);
        Ok(cid)
    }

    /// One more id object for `cid` (`NotFound` if the channel is gone).
    pub fn add_ref(&self, cid: ChannelId) -> Result<(), ChannelError> {
        match self.refs().get_mut(&cid.0) {
            Some(n) => {
                *n += 1;
                Ok(())
            }
            None => Err(ChannelError::NotFound(cid)),
        }
    }

    /// An id object for `cid` died: the last one destroys the channel.
    pub fn drop_ref(&self, cid: ChannelId) {
        let last = {
            let mut refs = self.refs();
            match refs.get_mut(&cid.0) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                Some(_) => {
                    refs.remove(&cid.0);
                    true
                }
                // Destroyed explicitly meanwhile.
                None => false,
            }
        };
        if last {
            // Already unlinked from the counts: nobody else destroys it.
            let _ = self.channels.destroy(cid);
        }
    }

    /// `destroy(cid)`: the channel goes even with live id objects, whose
    /// later drops then find no entry.
    pub fn destroy(&self, cid: ChannelId) -> Result<(), ChannelError> {
        self.refs().remove(&cid.0);
        self.channels.destroy(cid)
    }
}
