//! `_xikernel_mp` for CPython 3.13: the native half of `xikernel.mp`, the
//! `multiprocessing` drop-in on the crash-robust shared-memory queue
//! (`xikernel-ipc`).
//!
//! One type, `ShmQueue`: a handle on one queue segment, with
//! `multiprocessing.Queue`'s methods (`put`/`get` with `block` and
//! `timeout`, the `_nowait` forms, `qsize`/`empty`/`full`, a per-handle
//! `close`) plus `put_many`/`get_many`. `xikernel.mp`'s `Queue`,
//! `SimpleQueue` and `JoinableQueue` subclass it in Python, so the hot
//! calls are C calls with no Python frame in between.
//!
//! Values: the kernel's codec (`xikernel_py::convert::encode_codec`) for
//! what it carries, pickle protocol 5 (`multiprocessing`'s
//! `ForkingPickler`) for the rest; a message says which by its first bytes
//! (the codec's `XI` header, pickle's `\x80`). See the `value` module.
//!
//! Blocking calls sleep on the segment's futexes with the GIL released and
//! run the signal handlers at least every `SIGNAL_PERIOD` (the `wait` module).
//!
//! State: per-interpreter module state holds `queue.Full`, `queue.Empty`
//! and the pickler's `dumps`/`loads`, installed by `xikernel.mp` through
//! `_setup` (the module imports nothing itself).
#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_snake_case)]

mod errors;
mod shmqueue;
mod spin;
mod state;
mod value;
mod wait;

use core::ffi::c_int;
use core::ptr;

use pyo3_ffi as ffi;
use pyo3_ffi::PyObject;
use xikernel_py::module;

static mut METHODS: [ffi::PyMethodDef; 2] = [
    module::method_fast(
        c"_setup",
        state::setup,
        c"_setup(full, empty, dumps, loads)\n\nInstall queue.Full, queue.Empty and the pickler used for values the codec does not carry.",
    ),
    ffi::PyMethodDef::zeroed(),
];

static mut SLOTS: [ffi::PyModuleDef_Slot; 3] = module::slots(exec);

pub(crate) static mut MODULE_DEF: ffi::PyModuleDef = ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"_xikernel_mp".as_ptr(),
    m_doc: c"The shared-memory queue under xikernel.mp (multiprocessing drop-in).".as_ptr(),
    m_size: core::mem::size_of::<state::State>() as ffi::Py_ssize_t,
    m_methods: ptr::addr_of_mut!(METHODS).cast(),
    m_slots: ptr::addr_of_mut!(SLOTS).cast(),
    m_traverse: Some(state::traverse),
    m_clear: Some(state::clear),
    m_free: Some(state::free),
};

/// The module's init function (multi-phase: returns the def).
///
/// # Safety
/// Called by CPython's import machinery with the GIL held.
#[no_mangle]
pub unsafe extern "C" fn PyInit__xikernel_mp() -> *mut PyObject {
    // SAFETY: MODULE_DEF is a valid static def; CPython initialises its
    // base once and never frees it.
    unsafe { ffi::PyModuleDef_Init(ptr::addr_of_mut!(MODULE_DEF)) }
}

unsafe extern "C" fn exec(m: *mut PyObject) -> c_int {
    // SAFETY: CPython calls exec with the GIL held and a fresh module
    // object created from MODULE_DEF (its state zeroed).
    match unsafe { shmqueue::add_type(m) } {
        Ok(()) => 0,
        Err(_) => -1,
    }
}
