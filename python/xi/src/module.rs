//! Module-definition helpers for multi-phase initialisation (PEP 489):
//! each interpreter that imports the module gets its own module object and
//! per-module state (so it loads in sub-interpreters with their own GIL,
//! `Py_mod_multiple_interpreters = Py_MOD_PER_INTERPRETER_GIL_SUPPORTED`),
//! while the kernel state is a process-global `static` in each cdylib.
//!
//! A module writes its `PyModuleDef`, method table and slots as `static
//! mut`s (CPython mutates the def's base when initialising it) and uses
//! [`slots`] to get the standard slot list.

use core::ffi::{c_void, CStr};
use core::ptr::{self, NonNull};

use pyo3_ffi as ffi;
use pyo3_ffi::PyObject;

use crate::ffi::{Owned, PyErrSet, PyResult};

/// The slot list every xikernel module uses: its exec function, and the
/// per-interpreter-GIL promise (we keep no per-interpreter state outside
/// the module object, and the kernel is thread-safe).
pub const fn slots(
    exec: unsafe extern "C" fn(*mut PyObject) -> core::ffi::c_int,
) -> [ffi::PyModuleDef_Slot; 3] {
    [
        ffi::PyModuleDef_Slot {
            slot: ffi::Py_mod_exec,
            value: exec as *mut c_void,
        },
        ffi::PyModuleDef_Slot {
            slot: ffi::Py_mod_multiple_interpreters,
            value: ffi::Py_MOD_PER_INTERPRETER_GIL_SUPPORTED,
        },
        ffi::PyModuleDef_Slot {
            slot: 0,
            value: ptr::null_mut(),
        },
    ]
}

/// A `METH_VARARGS | METH_KEYWORDS` method entry.
pub const fn method(
    name: &'static CStr,
    f: ffi::PyCFunctionWithKeywords,
    doc: &'static CStr,
) -> ffi::PyMethodDef {
    ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionWithKeywords: f,
        },
        ml_flags: ffi::METH_VARARGS | ffi::METH_KEYWORDS,
        ml_doc: doc.as_ptr(),
    }
}

/// A `METH_FASTCALL | METH_KEYWORDS` method entry (parse with
/// [`FastArgs::parse`](crate::ffi::FastArgs::parse)).
pub const fn method_fast(
    name: &'static CStr,
    f: ffi::PyCFunctionFastWithKeywords,
    doc: &'static CStr,
) -> ffi::PyMethodDef {
    ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFastWithKeywords: f,
        },
        ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
        ml_doc: doc.as_ptr(),
    }
}

/// A `METH_NOARGS` method entry.
pub const fn method_noargs(
    name: &'static CStr,
    f: ffi::PyCFunction,
    doc: &'static CStr,
) -> ffi::PyMethodDef {
    ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer { PyCFunction: f },
        ml_flags: ffi::METH_NOARGS,
        ml_doc: doc.as_ptr(),
    }
}

/// The module's state, `m_size` bytes zeroed by CPython at creation.
///
/// # Safety
/// `module` is a module object created from a def whose `m_size` is
/// `size_of::<S>()`, and `S` is valid when zeroed (pointer fields).
pub unsafe fn state<S>(module: *mut PyObject) -> *mut S {
    // SAFETY: caller's contract.
    unsafe { ffi::PyModule_GetState(module).cast() }
}

/// Creates an exception class `qualname` (`"pkg.Name"`) deriving from
/// `base`, and adds it to `module` under its short name. Returns a new
/// reference for the module state.
///
/// # Safety
/// GIL held, `module` and `base` live.
pub unsafe fn add_exception(
    module: *mut PyObject,
    qualname: &CStr,
    doc: Option<&CStr>,
    base: *mut PyObject,
) -> PyResult<Owned> {
    // SAFETY: caller's contract; PyErr_NewExceptionWithDoc returns a new
    // reference or NULL + error; PyModule_AddType takes its own reference.
    unsafe {
        let exc = Owned::from_new(ffi::PyErr_NewExceptionWithDoc(
            qualname.as_ptr(),
            doc.map_or(ptr::null(), CStr::as_ptr),
            base,
            ptr::null_mut(),
        ))?;
        if ffi::PyModule_AddType(module, exc.as_ptr().cast()) < 0 {
            return Err(PyErrSet);
        }
        Ok(exc)
    }
}

/// Adds an int constant.
///
/// # Safety
/// GIL held, `module` live.
pub unsafe fn add_int(module: *mut PyObject, name: &CStr, v: i64) -> PyResult<()> {
    // SAFETY: caller's contract.
    if unsafe { ffi::PyModule_AddIntConstant(module, name.as_ptr(), v as core::ffi::c_long) } < 0 {
        return Err(PyErrSet);
    }
    Ok(())
}

/// `sys.modules[name]` of the current interpreter, if imported
/// (CPython's `_get_current_module`, used from callbacks that get no
/// module argument, e.g. cross-interpreter `new_object`).
///
/// # Safety
/// GIL held.
pub unsafe fn imported(name: &CStr) -> Option<Owned> {
    // SAFETY: GIL held; PyImport_GetModule returns a new reference, or
    // NULL with or without an error (cleared: "not imported" is the answer).
    unsafe {
        let n = crate::ffi::str(name.to_str().ok()?).ok()?;
        let m = ffi::PyImport_GetModule(n.as_ptr());
        if m.is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        Owned::from_new(m).ok()
    }
}

/// Imports a module by name (`import name`).
///
/// # Safety
/// GIL held.
pub unsafe fn import(name: &CStr) -> PyResult<Owned> {
    // SAFETY: GIL held; new reference or NULL + error.
    unsafe { Owned::from_new(ffi::PyImport_ImportModule(name.as_ptr())) }
}

/// Stores `new` (a new reference) in a state slot, dropping the old one.
///
/// # Safety
/// GIL held; `slot` points into a live module state.
pub unsafe fn set_slot(slot: *mut *mut PyObject, new: Option<Owned>) {
    // SAFETY: caller's contract; the old value is a reference the state
    // owned (or NULL).
    unsafe {
        let old = core::mem::replace(&mut *slot, new.map_or(ptr::null_mut(), Owned::into_ptr));
        if let Some(old) = NonNull::new(old) {
            drop(Owned::from_new(old.as_ptr()));
        }
    }
}

/// A borrowed slot value as a new reference.
///
/// # Safety
/// GIL held; `slot` points into a live module state.
pub unsafe fn get_slot(slot: *const *mut PyObject) -> Option<Owned> {
    // SAFETY: caller's contract; a non-NULL slot holds a live reference.
    unsafe { NonNull::new(*slot).map(|p| Owned::from_borrowed(p)) }
}
