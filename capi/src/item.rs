//! Items as the host sees them: byte payloads copied in, owned buffers
//! handed out, and the release callback for data no receiver gets.

use std::ffi::c_void;

use xikernel::{InterpId, ReleaseFn, UnboundOp};

use crate::status::{check, non_null, xik_status};

/// What a registry stores: the host's bytes (a copy) and the interpreter
/// that put or sent them.
#[derive(Debug)]
pub(crate) struct Payload {
    pub(crate) bytes: Box<[u8]>,
    pub(crate) owner: u64,
}

impl Payload {
    /// Copies `len` bytes from `data`.
    ///
    /// # Safety
    /// `data` is non-NULL and valid for reads of `len` bytes.
    pub(crate) unsafe fn copy_from(data: *const u8, len: usize, owner: u64) -> Self {
        // SAFETY: the caller guarantees `data` points to `len` readable
        // bytes (non-NULL was checked by the caller as well).
        let src = unsafe { std::slice::from_raw_parts(data, len) };
        Payload {
            bytes: src.into(),
            owner,
        }
    }
}

/// What a get / recv produced.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum xik_item_kind {
    /// A live item: `data` / `len` hold its bytes, `owner` its interpreter.
    XIK_ITEM_DATA = 0,
    /// The item's interpreter was destroyed and its policy is ERROR: no
    /// data (CPython raises `ItemInterpreterDestroyed`).
    XIK_ITEM_UNBOUND_ERROR = 2,
    /// The item's interpreter was destroyed and its policy is REPLACE: no
    /// data (CPython returns the `UNBOUND` marker).
    XIK_ITEM_UNBOUND_REPLACE = 3,
}

/// A received item (size-prefixed: set `size = sizeof(xik_item)` before
/// passing it). On `XIK_OK` with kind `XIK_ITEM_DATA`, `data` is a buffer
/// the host owns and must give back with `xik_item_free` (not `free`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct xik_item {
    /// `sizeof(xik_item)` as the host compiled it; set by the host.
    pub size: usize,
    /// Live item or the policy of an unbound one.
    pub kind: xik_item_kind,
    /// The bytes (NULL unless kind is `XIK_ITEM_DATA`).
    pub data: *mut u8,
    /// Number of bytes at `data`.
    pub len: usize,
    /// The interpreter that put or sent the item (0 unless live).
    pub owner: u64,
}

/// Checks a host-provided size-prefixed struct: non-NULL and at least as
/// large as this ABI version's layout.
///
/// # Safety
/// `p` is NULL or points to a readable `usize` (the `size` field, which
/// every size-prefixed struct of this ABI has first).
pub(crate) unsafe fn check_sized<T>(p: *const T) -> Result<(), xik_status> {
    non_null(p)?;
    // SAFETY: non-NULL, and the caller guarantees the first field, a
    // `usize`, is readable; reading only it works for a host struct of an
    // older, smaller layout too.
    let size = unsafe { std::ptr::read(p.cast::<usize>()) };
    if size < std::mem::size_of::<T>() {
        return Err(xik_status::XIK_ERR_INVALID);
    }
    Ok(())
}

/// Fills `out` from a kernel receive result.
///
/// # Safety
/// `out` passed [`check_sized`] and is writable.
pub(crate) unsafe fn write_received(out: *mut xik_item, r: xikernel::Received<Payload>) {
    let (kind, data, len, owner) = match r {
        xikernel::Received::Item(p) => {
            let len = p.bytes.len();
            // Ownership goes to the host until xik_item_free.
            let data = Box::into_raw(p.bytes).cast::<u8>();
            (xik_item_kind::XIK_ITEM_DATA, data, len, p.owner)
        }
        xikernel::Received::Unbound(op) => {
            let kind = match op {
                UnboundOp::Error => xik_item_kind::XIK_ITEM_UNBOUND_ERROR,
                // REMOVE items never reach a receiver; REPLACE is the rest.
                _ => xik_item_kind::XIK_ITEM_UNBOUND_REPLACE,
            };
            (kind, std::ptr::null_mut(), 0, 0)
        }
    };
    // SAFETY: the caller checked `out` (non-NULL, large enough); fields are
    // written one by one so the host's `size` stays as it set it.
    unsafe {
        (*out).kind = kind;
        (*out).data = data;
        (*out).len = len;
        (*out).owner = owner;
    }
}

/// Gives back the buffer of an item returned by `xik_queue_get` /
/// `xik_channel_recv`, and sets `data` to NULL and `len` to 0 (so a second
/// call is harmless). An item without data is accepted and left as is.
///
/// Thread-safety: any thread (not only the one that received the item);
/// not concurrently with another use of the same `xik_item`.
///
/// # Safety
/// `item` is NULL or a `xik_item` filled by this library whose `data` /
/// `len` the host has not changed.
#[no_mangle]
pub unsafe extern "C" fn xik_item_free(item: *mut xik_item) -> xik_status {
    check(|| {
        // SAFETY: the caller passes a xik_item (or NULL, refused here).
        unsafe { check_sized(item) }?;
        // SAFETY: checked non-NULL and large enough just above.
        let it = unsafe { &mut *item };
        if !it.data.is_null() {
            let slice = std::ptr::slice_from_raw_parts_mut(it.data, it.len);
            // SAFETY: `data`/`len` came from `Box::into_raw` of a
            // `Box<[u8]>` in `write_received` and were not freed before
            // (a freed item has `data == NULL`).
            drop(unsafe { Box::from_raw(slice) });
        }
        it.data = std::ptr::null_mut();
        it.len = 0;
        Ok(())
    })
}

/// Called for data no receiver will get (left in a destroyed queue or a
/// force-closed channel, the items of an interpreter being cleared, every
/// item still registered when the last registry reference is dropped):
/// `ctx` as registered, the item's bytes (valid only during the call; the
/// library frees them afterwards) and its owner interpreter.
///
/// It runs on the thread whose call discarded the data, outside every
/// kernel lock, once per item. Routing the release to the owner
/// interpreter (inline if it is current there, deferred otherwise) is the
/// host's job, as CPython's `_PyCrossInterpreterData_ReleaseAndRawFree`
/// does. It may call `xik_` functions, except freeing the registry it
/// belongs to.
#[allow(non_camel_case_types)]
pub type xik_release_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, data: *const u8, len: usize, owner: u64)>;

/// The host's callback and context, callable from any thread.
struct HostRelease {
    f: unsafe extern "C" fn(*mut c_void, *const u8, usize, u64),
    ctx: *mut c_void,
}

// SAFETY: the header documents that the callback and `release_ctx` are
// used from any thread that calls into the registry; the host promises
// they are thread-safe when it registers them.
unsafe impl Send for HostRelease {}
// SAFETY: as for Send: the host promises concurrent calls are fine.
unsafe impl Sync for HostRelease {}

impl HostRelease {
    fn call(&self, p: &Payload, owner: InterpId) {
        // SAFETY: the host registered `f` for exactly this call shape and
        // promised it may be called from any thread with `ctx`; the bytes
        // are valid for the duration of the call.
        unsafe { (self.f)(self.ctx, p.bytes.as_ptr(), p.bytes.len(), owner.0) };
    }
}

/// The kernel's [`ReleaseFn`] for a host callback (or `None`: plain drop).
pub(crate) fn release_fn(f: xik_release_fn, ctx: *mut c_void) -> Option<ReleaseFn<Payload>> {
    let host = HostRelease { f: f?, ctx };
    // A method call, not field uses: the closure must capture the whole
    // (Send + Sync) struct, not its raw-pointer fields.
    Some(Box::new(move |p: Payload, owner: InterpId| {
        host.call(&p, owner)
    }))
}
