//! `_interpchannels` for CPython 3.13, backed by xikernel's channels.
//!
//! The low-level API is CPython 3.13's, name for name and message for
//! message (`Modules/_interpchannelsmodule.c`), so the stdlib wrapper
//! `test.support.interpreters.channels` runs on it unchanged:
//!
//! | Python | here |
//! |---|---|
//! | `create`, `destroy`, `list_all`, `send`, `send_buffer`, `recv`, `close`, `release`, `get_count`, `get_info`, `get_channel_defaults`, `list_interpreters`, `_channel_id`, `_register_end_types` | `funcs` |
//! | `ChannelID` (ids refcounted: the channel dies with its last id object) | `cid` |
//! | `ChannelInfo` struct sequence | `info` |
//! | `ChannelError` and its four subclasses | `errors` |
//! | blocking `send` and the extra `recv_wait`: GIL released, kernel wake-ups, signal checks | `wait` |
//! | objects crossing (kernel XI data, CPython's registry for the rest) | `item` |
//!
//! The channels themselves are one process-global `Channels` registry
//! (`global`) shared by every interpreter that imports the module; each
//! import gets its own module object and state (multi-phase init,
//! `Py_MOD_PER_INTERPRETER_GIL_SUPPORTED`).

#![deny(unsafe_op_in_unsafe_fn)]

mod cid;
mod errors;
mod funcs;
mod global;
mod info;
mod item;
mod state;
mod wait;

use core::ffi::{c_int, c_void};
use core::ptr;

use pyo3_ffi::*;

use crate::state::State;

static mut SLOTS: [PyModuleDef_Slot; 3] = xikernel_py::module::slots(module_exec);

static mut MODULE_DEF: PyModuleDef = PyModuleDef {
    m_base: PyModuleDef_HEAD_INIT,
    m_name: c"_interpchannels".as_ptr(),
    m_doc: c"This module provides primitive operations to manage Python interpreters.\nThe 'interpreters' module provides a more convenient interface.".as_ptr(),
    m_size: core::mem::size_of::<State>() as Py_ssize_t,
    m_methods: ptr::null_mut(),
    m_slots: ptr::null_mut(),
    m_traverse: Some(module_traverse),
    m_clear: Some(module_clear),
    m_free: Some(module_free),
};

/// The module definition (also used to find our module from our types).
pub(crate) fn module_def() -> *mut PyModuleDef {
    ptr::addr_of_mut!(MODULE_DEF)
}

/// # Safety
/// Called by CPython's import machinery with the GIL held.
#[no_mangle]
pub unsafe extern "C" fn PyInit__interpchannels() -> *mut PyObject {
    let def = module_def();
    // SAFETY: (1) import runs with the GIL held, and CPython serialises
    // imports of one extension under its import lock, so these plain
    // writes of constant pointers never race a read; every write stores
    // the same values, so a second interpreter's import is harmless too.
    unsafe {
        (*def).m_methods = funcs::method_table();
        (*def).m_slots = ptr::addr_of_mut!(SLOTS).cast();
        PyModuleDef_Init(def)
    }
}

unsafe extern "C" fn module_exec(module: *mut PyObject) -> c_int {
    // SAFETY: (2) CPython calls exec with the GIL held and a fresh module
    // whose state block is zeroed and `size_of::<State>()` bytes long.
    unsafe { State::init(module) }
}

unsafe extern "C" fn module_traverse(
    module: *mut PyObject,
    visit: visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: (3) GC callback with the GIL held on our own module.
    unsafe { State::traverse(module, visit, arg) }
}

unsafe extern "C" fn module_clear(module: *mut PyObject) -> c_int {
    // SAFETY: (4) GC callback with the GIL held on our own module.
    unsafe { State::clear(module) };
    0
}

unsafe extern "C" fn module_free(module: *mut c_void) {
    // SAFETY: (5) called once when the module object is freed, GIL held.
    unsafe { State::clear(module.cast()) };
}
