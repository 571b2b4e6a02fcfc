//! What a channel stores, and how `ChannelID` and the wrapper's channel
//! ends cross interpreters.
//!
//! An [`Item`] owns one CPython `_PyCrossInterpreterData` (3.13 layout)
//! made by the sending interpreter. Releasing it needs a thread state
//! (CPython routes the release to the owner with a pending call); an item
//! dropped where this thread holds no GIL (inside our blocking calls) is
//! parked on a global list and released by the next call that holds one.

use core::ffi::{c_int, c_void};
use core::ptr;
use std::sync::Mutex;

use pyo3_ffi::*;

use crate::cid::{self, ChannelIdObject, BOTH, SEND};
use crate::state::State;

/// `_PyCrossInterpreterData` (CPython 3.13 `pycore_crossinterp.h`).
#[repr(C)]
pub(crate) struct XidData {
    data: *mut c_void,
    obj: *mut PyObject,
    interpid: i64,
    new_object: Option<unsafe extern "C" fn(*mut XidData) -> *mut PyObject>,
    free: Option<unsafe extern "C" fn(*mut c_void)>,
}

type GetData = unsafe extern "C" fn(*mut PyThreadState, *mut PyObject, *mut XidData) -> c_int;

extern "C" {
    fn _PyCrossInterpreterData_New() -> *mut XidData;
    fn _PyCrossInterpreterData_Free(data: *mut XidData);
    fn _PyObject_GetCrossInterpreterData(obj: *mut PyObject, data: *mut XidData) -> c_int;
    fn _PyCrossInterpreterData_NewObject(data: *mut XidData) -> *mut PyObject;
    fn _PyCrossInterpreterData_ReleaseAndRawFree(data: *mut XidData) -> c_int;
    fn _PyCrossInterpreterData_InitWithSize(
        data: *mut XidData,
        interp: *mut PyInterpreterState,
        size: usize,
        obj: *mut PyObject,
        new_object: unsafe extern "C" fn(*mut XidData) -> *mut PyObject,
    ) -> c_int;
    fn _PyCrossInterpreterData_RegisterClass(cls: *mut PyTypeObject, getdata: GetData) -> c_int;
    fn _PyCrossInterpreterData_UnregisterClass(cls: *mut PyTypeObject) -> c_int;
}

/// One queued object: an owned cross-interpreter data record.
pub(crate) struct Item {
    xid: *mut XidData,
}

// SAFETY: the record holds no thread-affine state: its object reference
// is only touched by `_PyCrossInterpreterData_Release*`, which CPython
// runs in the owning interpreter (pending call), and we only call that
// with a thread state (see `Drop`).
unsafe impl Send for Item {}

/// Items dropped on a thread without a thread state, released later.
struct Deferred(Vec<Item>);
static DEFERRED: Mutex<Deferred> = Mutex::new(Deferred(Vec::new()));

impl Item {
    /// The sender's side: CPython's `_PyObject_GetCrossInterpreterData`
    /// (`NotShareableError` for unsupported objects). Null on error.
    ///
    /// # Safety
    /// GIL held.
    pub(crate) unsafe fn from_object(obj: *mut PyObject) -> Option<Item> {
        // SAFETY: GIL held; the record is freed on failure.
        unsafe {
            let xid = _PyCrossInterpreterData_New();
            if xid.is_null() {
                return None;
            }
            if _PyObject_GetCrossInterpreterData(obj, xid) < 0 {
                _PyCrossInterpreterData_Free(xid);
                return None;
            }
            Some(Item { xid })
        }
    }

    /// The receiver's side: a new object in the current interpreter (null
    /// with an exception on failure). The item is released either way.
    ///
    /// # Safety
    /// GIL held.
    pub(crate) unsafe fn into_object(self) -> *mut PyObject {
        // SAFETY: GIL held; the record is live until `self` drops.
        unsafe { _PyCrossInterpreterData_NewObject(self.xid) }
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        // SAFETY: a null thread state means this thread holds no GIL.
        let tstate = unsafe { PyThreadState_GetUnchecked() };
        if tstate.is_null() {
            let xid = core::mem::replace(&mut self.xid, ptr::null_mut());
            let mut d = DEFERRED.lock().unwrap_or_else(|p| p.into_inner());
            d.0.push(Item { xid });
            return;
        }
        if self.xid.is_null() {
            return;
        }
        // SAFETY: GIL held (thread state present). A release whose owner is
        // gone fails with an exception we drop (CPython: XID_IGNORE_EXC);
        // the caller's pending exception, if any, is kept.
        unsafe {
            let saved = PyErr_GetRaisedException();
            if _PyCrossInterpreterData_ReleaseAndRawFree(self.xid) < 0 {
                PyErr_Clear();
            }
            PyErr_SetRaisedException(saved);
        }
    }
}

/// Releases the items parked by GIL-less drops. Call with the GIL held.
pub(crate) fn release_deferred() {
    let items = {
        let mut d = DEFERRED.lock().unwrap_or_else(|p| p.into_inner());
        if d.0.is_empty() {
            return;
        }
        core::mem::take(&mut d.0)
    };
    drop(items);
}

// ------------------------------------------------ ChannelID / ends as XID

/// `struct _channelid_xid`.
#[repr(C)]
struct CidXid {
    cid: i64,
    end: c_int,
    resolve: c_int,
}

/// `ChannelID`'s XID: (cid, end, resolve) plus a strong reference to the
/// sending object, so its count cannot reach 0 while in transit.
unsafe extern "C" fn cid_shared(tstate: *mut PyThreadState, obj: *mut PyObject, data: *mut XidData) -> c_int {
    // SAFETY: (1) CPython calls this with the GIL held for an instance of
    // the type we registered (a `ChannelIdObject`).
    unsafe {
        let interp = PyThreadState_GetInterpreter(tstate);
        let size = core::mem::size_of::<CidXid>();
        if _PyCrossInterpreterData_InitWithSize(data, interp, size, obj, cid_from_xid) < 0 {
            return -1;
        }
        let o = &*obj.cast::<ChannelIdObject>();
        (*data).data.cast::<CidXid>().write(CidXid {
            cid: o.cid,
            end: o.end,
            resolve: o.resolve,
        });
    }
    0
}

unsafe extern "C" fn cid_from_xid(data: *mut XidData) -> *mut PyObject {
    // SAFETY: (2) called by `_PyCrossInterpreterData_NewObject` with the
    // GIL held on a record `cid_shared` filled.
    unsafe {
        let x = &*(*data).data.cast::<CidXid>();
        let Some(module) = State::current() else {
            return ptr::null_mut();
        };
        // Like CPython, the resolve flag is not carried to the new id.
        let obj = cid::new_or_raise(module, State::of(module).cid_type, x.cid, x.end, false, false);
        let obj = if !obj.is_null() && x.end != BOTH && x.resolve != 0 {
            // Prefer the wrapper's end object, fall back to the id.
            match end_object(module, obj, x.end) {
                Some(end) => {
                    Py_DECREF(obj);
                    end
                }
                None => {
                    PyErr_Clear();
                    obj
                }
            }
        } else {
            obj
        };
        Py_DECREF(module);
        obj
    }
}

/// `SendChannel(cid)` / `RecvChannel(cid)`, importing the wrapper if it
/// has not registered its types yet.
///
/// The state is re-read after the import (which runs Python code that
/// registers the types): no reference to it is held across the call.
///
/// # Safety
/// GIL held; `module` is the current interpreter's `_interpchannels`.
unsafe fn end_object(module: *mut PyObject, cidobj: *mut PyObject, end: c_int) -> Option<*mut PyObject> {
    // SAFETY: GIL held; the types are strong references in the state.
    unsafe {
        let pick = || {
            let st = State::of(module);
            if end == SEND {
                st.send_type
            } else {
                st.recv_type
            }
        };
        if pick().is_null() {
            let m = PyImport_ImportModule(c"interpreters.channels".as_ptr());
            let m = if m.is_null() {
                PyErr_Clear();
                PyImport_ImportModule(c"test.support.interpreters.channels".as_ptr())
            } else {
                m
            };
            if m.is_null() {
                return None;
            }
            Py_DECREF(m);
        }
        let cls = pick();
        if cls.is_null() {
            PyErr_SetString(PyExc_RuntimeError, c"channel end types not registered".as_ptr());
            return None;
        }
        let obj = PyObject_CallOneArg(cls, cidobj);
        (!obj.is_null()).then_some(obj)
    }
}

/// A channel end's XID: its `_id`'s, rebuilt as the same end type.
unsafe extern "C" fn end_shared(tstate: *mut PyThreadState, obj: *mut PyObject, data: *mut XidData) -> c_int {
    // SAFETY: (3) GIL held; `_id` of the wrapper's end is a `ChannelID`
    // (checked before it is read as one).
    unsafe {
        let cidobj = PyObject_GetAttrString(obj, c"_id".as_ptr());
        if cidobj.is_null() {
            return -1;
        }
        let module = cid::module_of(cidobj);
        if module.is_null() || cid::check(module, cidobj).is_none() {
            PyErr_Clear();
            Py_DECREF(cidobj);
            PyErr_SetString(PyExc_TypeError, c"expected a ChannelID for '_id'".as_ptr());
            return -1;
        }
        let r = cid_shared(tstate, cidobj, data);
        Py_DECREF(cidobj);
        if r < 0 {
            return -1;
        }
        (*data).new_object = Some(end_from_xid);
    }
    0
}

unsafe extern "C" fn end_from_xid(data: *mut XidData) -> *mut PyObject {
    // SAFETY: (4) as `cid_from_xid`.
    unsafe {
        let x = &*(*data).data.cast::<CidXid>();
        let Some(module) = State::current() else {
            return ptr::null_mut();
        };
        let obj = cid::new_or_raise(module, State::of(module).cid_type, x.cid, x.end, false, false);
        let r = if obj.is_null() {
            obj
        } else {
            let end = end_object(module, obj, x.end).unwrap_or(ptr::null_mut());
            Py_DECREF(obj);
            end
        };
        Py_DECREF(module);
        r
    }
}

/// Registers `ChannelID` with CPython's XID registry.
///
/// # Safety
/// GIL held; `cls` is our `ChannelID` type.
pub(crate) unsafe fn register_cid_type(cls: *mut PyTypeObject) -> c_int {
    // SAFETY: forwarded preconditions.
    unsafe { _PyCrossInterpreterData_RegisterClass(cls, cid_shared) }
}

/// # Safety
/// GIL held; `cls` was registered by us.
pub(crate) unsafe fn unregister(cls: *mut PyTypeObject) {
    // SAFETY: forwarded preconditions; failure (not registered) is benign.
    unsafe {
        if _PyCrossInterpreterData_UnregisterClass(cls) < 0 {
            PyErr_Clear();
        }
    }
}

/// Unregisters and forgets the wrapper's end types (reload, module clear).
///
/// # Safety
/// GIL held; `st` is our module's state.
pub(crate) unsafe fn unregister_end_types(st: &mut State) {
    for p in [&mut st.send_type, &mut st.recv_type] {
        if !p.is_null() {
            // SAFETY: we registered it and own this reference.
            unsafe {
                unregister((*p).cast());
                crate::state::clear_ref(p);
            }
        }
    }
}

/// `_register_end_types(send, recv)`.
///
/// # Safety
/// GIL held; both are types; `st` is our module's state.
pub(crate) unsafe fn register_end_types(st: &mut State, send: *mut PyObject, recv: *mut PyObject) -> c_int {
    // SAFETY: GIL held; each type is referenced before it is registered.
    unsafe {
        unregister_end_types(st);
        st.send_type = Py_NewRef(send);
        st.recv_type = Py_NewRef(recv);
        if _PyCrossInterpreterData_RegisterClass(send.cast(), end_shared) < 0 {
            crate::state::clear_ref(&mut st.send_type);
            crate::state::clear_ref(&mut st.recv_type);
            return -1;
        }
        if _PyCrossInterpreterData_RegisterClass(recv.cast(), end_shared) < 0 {
            unregister_end_types(st);
            return -1;
        }
    }
    0
}
