//! `_interpqueues` for CPython 3.13, backed by `xikernel::Queues`.
//!
//! The same low-level API as CPython 3.13's module (signatures, return
//! values, exception classes and messages), so `test.support.interpreters
//! .queues` runs on it unchanged; plus `get_wait` / `put_wait`, which block
//! on the kernel's real wake-ups with the GIL released (CPython's wrapper
//! polls every 10 ms instead).
//!
//! State: one process-global `Queues` (every interpreter that imports the
//! module shares it), one module object with its own state per interpreter
//! (the wrapper's `Queue` type and `QueueEmpty` / `QueueFull`, which are
//! per-interpreter heap types), and one at-exit hook per importing
//! interpreter that unbinds the items it owns.
//!
//! Deliberate differences from 3.13.0 (CPython bugs, see
//! `docs/cpython.md`): `is_full` is false for unbounded queues; removing an
//! interpreter's last item cannot lose a later put; ints beyond 64 bits are
//! shared instead of raising `OverflowError`.
#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_snake_case)]

mod api;
mod queueobj;
mod state;

use core::ffi::c_int;
use core::ptr;

use pyo3_ffi as ffi;
use pyo3_ffi::PyObject;
use xikernel_py::module;

static mut METHODS: [ffi::PyMethodDef; 17] = api::METHODS;

static mut SLOTS: [ffi::PyModuleDef_Slot; 3] = module::slots(exec);

static mut MODULE_DEF: ffi::PyModuleDef = ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"_interpqueues".as_ptr(),
    m_doc: c"This module provides primitive operations to manage Python interpreters.\nThe 'interpreters' module provides a more convenient interface.".as_ptr(),
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
pub unsafe extern "C" fn PyInit__interpqueues() -> *mut PyObject {
    // SAFETY: MODULE_DEF is a valid static def; CPython initialises its
    // base once and never frees it.
    unsafe { ffi::PyModuleDef_Init(ptr::addr_of_mut!(MODULE_DEF)) }
}

unsafe extern "C" fn exec(m: *mut PyObject) -> c_int {
    // SAFETY: CPython calls exec with the GIL held and a fresh module
    // object created from MODULE_DEF (so its state is a zeroed `State`).
    match unsafe { state::init(m) } {
        Ok(()) => 0,
        Err(_) => -1,
    }
}
