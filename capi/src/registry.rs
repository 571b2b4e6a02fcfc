//! The registry handle: one queue registry and one channel registry
//! sharing a release callback, behind an opaque reference-counted pointer.

use std::ffi::c_void;
use std::sync::Arc;

use xikernel::{Channels, InterpId, Queues};

use crate::item::{check_sized, release_fn, xik_release_fn, Payload};
use crate::ready::Ready;
use crate::status::{check, non_null, xik_status};

/// Opaque: the queues and channels of one runtime. Reference-counted:
/// `xik_registry_new` returns one reference, `xik_registry_retain` adds
/// one, `xik_registry_free` drops one; the last drop destroys every queue
/// and channel left (their items go to the release callback).
#[allow(non_camel_case_types)]
#[derive(Debug)]
pub struct xik_registry {
    pub(crate) queues: Queues<Payload>,
    pub(crate) channels: Channels<Payload>,
    pub(crate) ready: Ready,
}

/// Options for `xik_registry_new` (size-prefixed: set `size =
/// sizeof(xik_registry_config)`; zero-initialise the rest you do not use).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct xik_registry_config {
    /// `sizeof(xik_registry_config)` as the host compiled it.
    pub size: usize,
    /// Called for data no receiver gets; NULL: the bytes are just freed.
    pub release: xik_release_fn,
    /// Passed to `release` as is.
    pub release_ctx: *mut c_void,
}

/// Borrows the registry behind a handle.
///
/// # Safety
/// `reg` is NULL or a live handle from `xik_registry_new` /
/// `xik_registry_retain` (the caller holds a reference for the call).
pub(crate) unsafe fn registry<'a>(
    reg: *const xik_registry,
) -> Result<&'a xik_registry, xik_status> {
    non_null(reg)?;
    // SAFETY: a live handle is an `Arc::into_raw` pointer whose reference
    // the caller holds for the duration of the call.
    Ok(unsafe { &*reg })
}

/// Creates a registry and stores a handle (one reference) in `*out`.
///
/// Thread-safety: any thread. The handle may be used from any number of
/// threads at once.
///
/// # Safety
/// `config` points to a `xik_registry_config` whose `size` is set; `out`
/// is writable.
#[no_mangle]
pub unsafe extern "C" fn xik_registry_new(
    config: *const xik_registry_config,
    out: *mut *mut xik_registry,
) -> xik_status {
    check(|| {
        // SAFETY: the caller passes a config with its `size` field set.
        unsafe { check_sized(config) }?;
        non_null(out)?;
        // SAFETY: checked non-NULL and large enough.
        let cfg = unsafe { &*config };
        let mut queues = Queues::new();
        let mut channels = Channels::new();
        if let Some(f) = release_fn(cfg.release, cfg.release_ctx) {
            queues = queues.with_release(f);
        }
        if let Some(f) = release_fn(cfg.release, cfg.release_ctx) {
            channels = channels.with_release(f);
        }
        let reg = Arc::new(xik_registry {
            queues,
            channels,
            ready: Ready::default(),
        });
        // SAFETY: `out` was checked non-NULL; the caller made it writable.
        unsafe { *out = Arc::into_raw(reg).cast_mut() };
        Ok(())
    })
}

/// Adds a reference to the registry (for another thread or component to
/// drop independently).
///
/// Thread-safety: any thread, concurrently with every other call on the
/// handle.
///
/// # Safety
/// `reg` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn xik_registry_retain(reg: *const xik_registry) -> xik_status {
    check(|| {
        non_null(reg)?;
        // SAFETY: a live handle is an `Arc::into_raw` pointer with at least
        // the caller's reference outstanding.
        unsafe { Arc::increment_strong_count(reg) };
        Ok(())
    })
}

/// Drops one reference. The last one destroys every queue and channel
/// still registered; their items go to the release callback on this
/// thread.
///
/// Thread-safety: any thread; the reference dropped must not be used
/// again (other references stay valid).
///
/// # Safety
/// `reg` is NULL or a live handle whose reference the caller gives up.
#[no_mangle]
pub unsafe extern "C" fn xik_registry_free(reg: *const xik_registry) -> xik_status {
    check(|| {
        non_null(reg)?;
        // SAFETY: the caller gives up one of the references counted by the
        // Arc that `xik_registry_new` leaked.
        drop(unsafe { Arc::from_raw(reg) });
        Ok(())
    })
}

/// Interpreter `interp` is being destroyed: in every queue and channel,
/// its items lose their data (through the release callback, `interp` as
/// owner); REMOVE items vanish, ERROR / REPLACE items stay and are
/// received as `XIK_ITEM_UNBOUND_ERROR` / `XIK_ITEM_UNBOUND_REPLACE`.
/// Its channel ends are released.
///
/// Thread-safety: any thread, after every thread of `interp` has stopped
/// calling into the registry (a put on its behalf after the clear is not
/// unbound).
///
/// # Safety
/// `reg` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn xik_registry_clear_interpreter(
    reg: *const xik_registry,
    interp: u64,
) -> xik_status {
    check(|| {
        // SAFETY: the caller passes a live handle (or NULL, refused).
        let r = unsafe { registry(reg) }?;
        r.queues.clear_interpreter(InterpId(interp));
        r.channels.clear_interpreter(InterpId(interp));
        r.ready.signal_all();
        Ok(())
    })
}
