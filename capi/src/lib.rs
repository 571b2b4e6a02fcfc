//! # xikernel-capi
//!
//! The C ABI of xikernel, for language runtimes written in C or C++
//! (`include/xikernel.h`, generated from this crate by cbindgen).
//!
//! - **Handles**: a `xik_registry` (one queue registry and one channel
//!   registry, reference-counted) and `xik_cancel` tokens are opaque
//!   pointers; queues and channels are `uint64_t` ids, interpreters the
//!   host's own `uint64_t` ids.
//! - **Items**: byte payloads, copied in; a receive hands the host an
//!   owned buffer it gives back with `xik_item_free`; data nobody receives
//!   goes to the host's release callback with its owner interpreter.
//! - **Codec**: `xik_encoder` appends xidata values one call at a time
//!   and finishes into an owned `xik_buffer`; `xik_decoder` walks a buffer
//!   as `xik_event`s, refusing malformed input with `XIK_ERR_MALFORMED`.
//! - **Discipline**: every function returns `xik_status`, writes outputs
//!   through pointers, refuses NULL (`XIK_ERR_NULL`), and catches panics
//!   (`XIK_ERR_INTERNAL`); structs the host passes start with their
//!   `size`; `xik_version` reports the ABI version.
//!
//! ```
//! use xikernel_capi::*;
//!
//! let cfg = xik_registry_config { size: std::mem::size_of::<xik_registry_config>(), release: None, release_ctx: std::ptr::null_mut() };
//! let mut reg = std::ptr::null_mut();
//! let mut q = 0u64;
//! let mut item = xik_item { size: std::mem::size_of::<xik_item>(), kind: xik_item_kind::XIK_ITEM_DATA, data: std::ptr::null_mut(), len: 0, owner: 0 };
//! // SAFETY: every pointer is valid as each call documents.
//! unsafe {
//!     assert_eq!(xik_registry_new(&cfg, &mut reg), xik_status::XIK_OK);
//!     assert_eq!(xik_queue_create(reg, 0, 0, &mut q), xik_status::XIK_OK);
//!     assert_eq!(xik_queue_put(reg, 1, q, b"hi".as_ptr(), 2, 0, 0, std::ptr::null()), xik_status::XIK_OK);
//!     assert_eq!(xik_queue_get(reg, q, 0, std::ptr::null(), &mut item), xik_status::XIK_OK);
//!     assert_eq!((std::slice::from_raw_parts(item.data, item.len), item.owner), (&b"hi"[..], 1));
//!     assert_eq!(xik_item_free(&mut item), xik_status::XIK_OK);
//!     assert_eq!(xik_registry_free(reg), xik_status::XIK_OK);
//! }
//! ```
#![warn(missing_debug_implementations, rust_2018_idioms)]
#![deny(unsafe_op_in_unsafe_fn)]

mod cancel;
mod channel;
mod decoder;
mod encoder;
mod item;
mod queue;
mod ready;
mod registry;
mod status;

pub use cancel::*;
pub use channel::*;
pub use decoder::*;
pub use encoder::*;
pub use item::{xik_item, xik_item_free, xik_item_kind, xik_release_fn};
pub use queue::*;
pub use ready::{xik_channel_ready_fd, xik_queue_ready_fd};
pub use registry::*;
pub use status::xik_status;

use status::check;

/// This ABI's major version: changes break source or binary compatibility.
pub const XIK_ABI_MAJOR: u32 = 1;
/// This ABI's minor version: additions only.
pub const XIK_ABI_MINOR: u32 = 1;

/// The library's ABI version (size-prefixed: set `size`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct xik_version_info {
    /// `sizeof(xik_version_info)` as the host compiled it.
    pub size: usize,
    /// `XIK_ABI_MAJOR` of the library: a host built against another major
    /// must not use it.
    pub abi_major: u32,
    /// `XIK_ABI_MINOR` of the library: at least the header's for every
    /// call the header declares.
    pub abi_minor: u32,
}

/// Stores the library's ABI version in `*out`.
///
/// Thread-safety: any thread.
///
/// # Safety
/// `out` is NULL or a writable `xik_version_info` with `size` set.
#[no_mangle]
pub unsafe extern "C" fn xik_version(out: *mut xik_version_info) -> xik_status {
    check(|| {
        // SAFETY: NULL or a xik_version_info with `size` set, as documented.
        unsafe { item::check_sized(out) }?;
        // SAFETY: checked non-NULL and large enough; fields written one by
        // one so the host's `size` stays.
        unsafe {
            (*out).abi_major = XIK_ABI_MAJOR;
            (*out).abi_minor = XIK_ABI_MINOR;
        }
        Ok(())
    })
}
