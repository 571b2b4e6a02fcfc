//! `ChannelError(RuntimeError)` and its subclasses, and the mapping from
//! kernel errors (whose `Display` is CPython's message) to them.

use core::ffi::c_int;
use std::ffi::CString;

use pyo3_ffi::*;
use xikernel::channel::{ChannelError, ErrorClass};

use crate::state::{clear_ref, State};

/// The module's exception classes (strong references).
#[repr(C)]
pub(crate) struct Exceptions {
    pub base: *mut PyObject,
    pub not_found: *mut PyObject,
    pub closed: *mut PyObject,
    pub empty: *mut PyObject,
    pub not_empty: *mut PyObject,
}

impl Exceptions {
    /// Creates the classes and adds them to `module`.
    ///
    /// # Safety
    /// GIL held; `module` is ours and `self` is its zeroed state.
    pub(crate) unsafe fn init(module: *mut PyObject, exc: &mut Exceptions) -> c_int {
        // SAFETY: C-API calls with the GIL held; each new class is stored
        // (owned by the state) before the next one is created.
        unsafe {
            exc.base = new_exception(module, c"_interpchannels.ChannelError", PyExc_RuntimeError);
            if exc.base.is_null() {
                return -1;
            }
            let base = exc.base;
            for (slot, name) in [
                (&mut exc.not_found, c"_interpchannels.ChannelNotFoundError"),
                (&mut exc.closed, c"_interpchannels.ChannelClosedError"),
                (&mut exc.empty, c"_interpchannels.ChannelEmptyError"),
                (&mut exc.not_empty, c"_interpchannels.ChannelNotEmptyError"),
            ] {
                *slot = new_exception(module, name, base);
                if slot.is_null() {
                    return -1;
                }
            }
        }
        0
    }

    pub(crate) fn all(&self) -> [*mut PyObject; 5] {
        [
            self.base,
            self.not_found,
            self.closed,
            self.empty,
            self.not_empty,
        ]
    }

    /// # Safety
    /// GIL held; the pointers are null or owned.
    pub(crate) unsafe fn clear(&mut self) {
        for p in [
            &mut self.base,
            &mut self.not_found,
            &mut self.closed,
            &mut self.empty,
            &mut self.not_empty,
        ] {
            // SAFETY: each is null or a reference the state owns.
            unsafe { clear_ref(p) };
        }
    }
}

/// # Safety
/// GIL held.
unsafe fn new_exception(
    module: *mut PyObject,
    name: &core::ffi::CStr,
    base: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: C-API calls with the GIL held; `PyModule_AddType` takes its
    // own reference, ours goes to the state.
    unsafe {
        let cls = PyErr_NewException(name.as_ptr(), base, core::ptr::null_mut());
        if cls.is_null() {
            return cls;
        }
        if PyModule_AddType(module, cls.cast()) < 0 {
            Py_DECREF(cls);
            return core::ptr::null_mut();
        }
        cls
    }
}

/// Raises `err` as CPython would; returns null for the caller to return.
///
/// # Safety
/// GIL held; `module` is ours.
pub(crate) unsafe fn raise(module: *mut PyObject, err: ChannelError) -> *mut PyObject {
    // SAFETY: the state is ours; the classes are live while the module is.
    unsafe {
        let exc = &State::of(module).exc;
        let cls = match err.class() {
            ErrorClass::ChannelNotFoundError => exc.not_found,
            ErrorClass::ChannelClosedError => exc.closed,
            ErrorClass::ChannelEmptyError => exc.empty,
            ErrorClass::ChannelNotEmptyError => exc.not_empty,
            ErrorClass::TimeoutError => PyExc_TimeoutError,
            // ErrorClass::ChannelError, and any class a newer kernel adds.
            _ => exc.base,
        };
        set_error(cls, &err.to_string());
    }
    core::ptr::null_mut()
}

/// `PyErr_SetString` with a Rust message.
///
/// # Safety
/// GIL held; `cls` is an exception class.
pub(crate) unsafe fn set_error(cls: *mut PyObject, msg: &str) {
    // Messages come from our own Display impls: no interior NULs.
    let msg = CString::new(msg).unwrap_or_default();
    // SAFETY: GIL held; both pointers are valid for the call.
    unsafe { PyErr_SetString(cls, msg.as_ptr()) };
}
