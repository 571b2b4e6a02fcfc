//! Per-module (so per-interpreter) state: the heap types, exception
//! classes and the wrapper's end types. Everything here is a Python object
//! of one interpreter; nothing is shared between interpreters.

use core::ffi::{c_int, c_void};
use core::ptr;

use pyo3_ffi::*;

use crate::{cid, errors, global, info, item};

/// The module state block (`m_size` bytes, zeroed by CPython).
#[repr(C)]
pub(crate) struct State {
    /// `SendChannel` / `RecvChannel`, registered by the wrapper.
    pub send_type: *mut PyObject,
    pub recv_type: *mut PyObject,
    pub info_type: *mut PyTypeObject,
    pub cid_type: *mut PyTypeObject,
    pub exc: errors::Exceptions,
}

impl State {
    /// The state of `module` (one of ours). Never keep the reference
    /// across a call that may run Python code (which may change the state,
    /// e.g. `_register_end_types` during an import): re-read it after.
    ///
    /// # Safety
    /// `module` is a live module created from our definition; GIL held.
    pub(crate) unsafe fn of<'a>(module: *mut PyObject) -> &'a mut State {
        // SAFETY: our modules' state blocks are `State`s (m_size), and the
        // GIL serialises every access to them.
        unsafe { &mut *PyModule_GetState(module).cast::<State>() }
    }

    /// The state of the current interpreter's `_interpchannels`, importing
    /// it if needed (XID `new_object` callbacks run where it may not be).
    /// Returns the module (a new reference).
    ///
    /// # Safety
    /// GIL held.
    pub(crate) unsafe fn current() -> Option<*mut PyObject> {
        // SAFETY: plain C-API calls with the GIL held; the module returned
        // by the import is ours (same name, and we shadow the native one).
        unsafe {
            let module = PyImport_ImportModule(c"_interpchannels".as_ptr());
            if module.is_null() {
                return None;
            }
            if PyModule_GetDef(module) != crate::module_def() {
                Py_DECREF(module);
                PyErr_SetString(
                    PyExc_RuntimeError,
                    c"_interpchannels is not xikernel's".as_ptr(),
                );
                return None;
            }
            Some(module)
        }
    }

    /// `Py_mod_exec`.
    ///
    /// # Safety
    /// GIL held; `module` is fresh and its state zeroed.
    pub(crate) unsafe fn init(module: *mut PyObject) -> c_int {
        global::get();
        // SAFETY: C-API calls with the GIL held on our fresh module; on
        // failure the partially filled state is cleared by `m_clear`/`m_free`.
        unsafe {
            let st = State::of(module);
            if errors::Exceptions::init(module, &mut st.exc) < 0 {
                return -1;
            }
            st.info_type = info::new_type();
            if st.info_type.is_null() || PyModule_AddType(module, st.info_type) < 0 {
                return -1;
            }
            st.cid_type = cid::new_type(module);
            if st.cid_type.is_null() || PyModule_AddType(module, st.cid_type) < 0 {
                return -1;
            }
            if item::register_cid_type(st.cid_type) < 0 {
                return -1;
            }
            // Channels drop this interpreter's items and ends when it goes.
            if xikernel_py::interp::on_exit(clear_interpreter).is_err() {
                return -1;
            }
        }
        0
    }

    /// # Safety
    /// GC traverse of our module, GIL held.
    pub(crate) unsafe fn traverse(
        module: *mut PyObject,
        visit: visitproc,
        arg: *mut c_void,
    ) -> c_int {
        // SAFETY: the state may be absent before exec ran; every pointer
        // is null or a strong reference we own.
        unsafe {
            let raw = PyModule_GetState(module).cast::<State>();
            if raw.is_null() {
                return 0;
            }
            let st = &*raw;
            let mut objs = vec![
                st.send_type,
                st.recv_type,
                st.info_type.cast(),
                st.cid_type.cast(),
            ];
            objs.extend(st.exc.all());
            for o in objs {
                if !o.is_null() {
                    let r = visit(o, arg);
                    if r != 0 {
                        return r;
                    }
                }
            }
        }
        0
    }

    /// Drops every reference (idempotent: `m_clear` then `m_free`).
    ///
    /// # Safety
    /// Our module, GIL held.
    pub(crate) unsafe fn clear(module: *mut PyObject) {
        // SAFETY: every pointer is null or a strong reference we own; each
        // is nulled as it is released, so a second call does nothing.
        unsafe {
            let raw = PyModule_GetState(module).cast::<State>();
            if raw.is_null() {
                return;
            }
            let st = &mut *raw;
            item::unregister_end_types(st);
            if !st.cid_type.is_null() {
                item::unregister(st.cid_type);
            }
            for p in [&mut st.send_type, &mut st.recv_type] {
                clear_ref(p);
            }
            clear_ref(&mut *ptr::addr_of_mut!(st.info_type).cast::<*mut PyObject>());
            clear_ref(&mut *ptr::addr_of_mut!(st.cid_type).cast::<*mut PyObject>());
            st.exc.clear();
        }
    }
}

/// `Py_CLEAR`.
///
/// # Safety
/// `*p` is null or a strong reference owned by the caller; GIL held.
pub(crate) unsafe fn clear_ref(p: &mut *mut PyObject) {
    let old = core::mem::replace(p, ptr::null_mut());
    if !old.is_null() {
        // SAFETY: the caller owned this reference.
        unsafe { Py_DECREF(old) };
    }
}

/// The interpreter is finalising (its GIL held): its items are unbound
/// under their policies and its channel ends closed.
fn clear_interpreter(id: xikernel::interp::InterpId) {
    global::get().channels.clear_interpreter(id);
}
