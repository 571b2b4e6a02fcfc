//! The XI-data record: what queues and channels store. Encoded bytes, the
//! owning interpreter's id, and a release hook that runs exactly once.
//!
//! CPython's `_PyCrossInterpreterData` must be released in its owner (a
//! pending call when another interpreter drops it). Here the bytes are
//! self-contained, so releasing only tells the owner's runtime it may drop
//! whatever it pinned for the value (e.g. a buffer export). The hook gets
//! the owner id so it can route the call; it runs on the releasing thread.
//!
//! Exactly once: the first [`XiData::release`] (or the drop, if nobody
//! released) wins a `swap` on `released` and alone takes the hook.

use super::decode::{DecodeOptions, Events};
use super::encode::to_vec;
use super::error::{DecodeError, EncodeError};
use super::owned::decode_with;
use super::value::Value;
use crate::owner::InterpId;
use crate::sync::{AtomicBool, Ordering, UnsafeCell};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

/// Called once with the owner id when the record is released.
pub type ReleaseHook = Box<dyn FnOnce(InterpId) + Send + 'static>;

/// Encoded value + owner + exactly-once release.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use xikernel::xidata::{DecodeOptions, Value, XiData};
/// use xikernel::InterpId;
///
/// let released = Arc::new(AtomicUsize::new(0));
/// let r = released.clone();
/// let hook = Box::new(move |owner: InterpId| {
///     assert_eq!(owner, InterpId(2));
///     r.fetch_add(1, Ordering::Relaxed);
/// });
/// let data = XiData::encode(&Value::from("hi"), InterpId(2), Some(hook)).unwrap();
/// assert_eq!(data.owner(), InterpId(2));
/// assert_eq!(data.decode(&DecodeOptions::default()).unwrap(), Value::from("hi"));
/// assert!(data.release());
/// assert!(!data.release()); // exactly once
/// drop(data);
/// assert_eq!(released.load(Ordering::Relaxed), 1);
/// ```
pub struct XiData {
    bytes: Vec<u8>,
    owner: InterpId,
    released: AtomicBool,
    hook: UnsafeCell<Option<ReleaseHook>>,
}

// SAFETY: `hook` is the only field without its own synchronisation. It is
// written once by `new` (before `&self` can exist elsewhere) and afterwards
// accessed only by the single caller whose `released.swap(true)` returned
// `false` (see `release`), so no two threads ever touch it concurrently;
// the hook moves to that thread, which `ReleaseHook: Send` permits. All
// other fields are read-only or atomic.
// SAFETY: (summary) exactly one thread ever touches `hook` after `new`.
unsafe impl Sync for XiData {}

impl XiData {
    /// Wraps already-encoded bytes (not re-validated: decode them to check).
    pub fn new(bytes: Vec<u8>, owner: InterpId, hook: Option<ReleaseHook>) -> Self {
        Self {
            bytes,
            owner,
            released: AtomicBool::new(false),
            hook: UnsafeCell::new(hook),
        }
    }

    /// Encodes `value` for the interpreter `owner`.
    pub fn encode(
        value: &Value,
        owner: InterpId,
        hook: Option<ReleaseHook>,
    ) -> Result<Self, EncodeError> {
        Ok(Self::new(to_vec(value)?, owner, hook))
    }

    /// The encoded bytes.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The owning interpreter's id.
    #[inline]
    pub fn owner(&self) -> InterpId {
        self.owner
    }

    /// Decodes the payload into a fresh owned value (the receiver's
    /// `new_object`).
    pub fn decode(&self, opts: &DecodeOptions<'_>) -> Result<Value, DecodeError> {
        decode_with(&self.bytes, opts)
    }

    /// A streaming reader over the payload.
    pub fn events<'r>(&self, opts: &DecodeOptions<'r>) -> Result<Events<'_, 'r>, DecodeError> {
        Events::new(&self.bytes, opts)
    }

    /// Whether the record was released.
    pub fn is_released(&self) -> bool {
        // Relaxed: a hint only; no data is read on the strength of it.
        self.released.load(Ordering::Relaxed)
    }

    /// Releases the record: the first call runs the hook (if any) and
    /// returns `true`; every later call, from any thread, returns `false`.
    pub fn release(&self) -> bool {
        // Relaxed suffices: exactly-once comes from the atomicity of the
        // read-modify-write (one total order on `released`), and the hook
        // was stored before the record was shared, which already
        // happens-before any call here. If the swap is replaced by a load
        // followed by a store, `xidata_loom::release_is_exactly_once`
        // runs the hook twice.
        if self.released.swap(true, Ordering::Relaxed) {
            return false;
        }
        // SAFETY: we won the swap, so we are the only accessor of `hook`
        // from now on (see the `Sync` impl).
        let hook = self.hook.with_mut(|p| unsafe { (*p).take() });
        if let Some(hook) = hook {
            hook(self.owner);
        }
        true
    }

    /// Takes the bytes out, releasing the record first (for a runtime that
    /// wants the buffer without a copy after decoding elsewhere).
    pub fn into_bytes(mut self) -> Vec<u8> {
        self.release();
        core::mem::take(&mut self.bytes)
    }
}

impl Drop for XiData {
    /// An unreleased record releases itself, so no hook is ever lost.
    fn drop(&mut self) {
        self.release();
    }
}

impl fmt::Debug for XiData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XiData")
            .field("owner", &self.owner)
            .field("len", &self.bytes.len())
            .field("released", &self.is_released())
            .finish()
    }
}
