//! [`Routed`]: an [`XiData`] that releases itself *in its owner* when
//! dropped, for containers that drop what they discard (channels, a
//! runtime's own collections) rather than calling a release function.

use core::fmt;

use super::Interpreters;
use crate::sync::Arc;
use crate::xidata::XiData;

/// An [`XiData`] plus the registry that routes its release: dropping it
/// calls [`Interpreters::release_data`] with the dropping thread's current
/// interpreter. `Channels<Routed>` thus releases stranded items (forced
/// close, destroy) in their owners, like `Queues::with_release(router)`.
pub struct Routed {
    data: Option<XiData>,
    interps: Arc<Interpreters>,
}

impl Routed {
    pub fn new(data: XiData, interps: &Arc<Interpreters>) -> Self {
        Self {
            data: Some(data),
            interps: interps.clone(),
        }
    }

    /// The data (always present until [`into_inner`](Self::into_inner)).
    pub fn data(&self) -> Option<&XiData> {
        self.data.as_ref()
    }

    /// Takes the data out; the caller becomes responsible for releasing it.
    pub fn into_inner(mut self) -> Option<XiData> {
        self.data.take()
    }
}

impl Drop for Routed {
    fn drop(&mut self) {
        if let Some(data) = self.data.take() {
            self.interps.release_data(data, self.interps.get_current());
        }
    }
}

impl fmt::Debug for Routed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Routed").field(&self.data).finish()
    }
}
