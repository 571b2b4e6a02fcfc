//! What a channel stores, and how `ChannelID` and the wrapper's channel
//! ends cross interpreters.
//!
//! An [`Item`] is the skeleton's [`Shared`]: codec bytes (None, bool, ints
//! of any size, floats bit-exact, str, bytes, tuples) plus CPython-native
//! data for the rest (memoryview, `ChannelID`, channel ends, queues). It
//! needs no GIL to move or drop: natives dropped where no thread state is
//! attached (inside our blocking calls) are released by the next
//! [`release_deferred`].
//!
//! `ChannelID` and the ends are registered in CPython's XID registry, so
//! they cross `Interpreter.prepare_main`, our channels and `_interpqueues`.
//! A `ChannelID` in transit holds one count of its channel (CPython holds
//! a strong reference to the sending object instead), dropped by the XID's
//! `free`, which CPython runs in the sending interpreter.

use core::ffi::{c_int, c_void};
use core::ptr;

use pyo3_ffi::*;
use xikernel::channel::ChannelId;
use xikernel_py::convert::{self, Shared};
use xikernel_py::crossinterp::{self, RawXid};

use crate::cid::{self, ChannelIdObject, BOTH, SEND};
use crate::global;
use crate::state::State;

pub(crate) type Item = Shared;

/// The sender's side (`NotShareableError` as CPython for the rest).
///
/// # Safety
/// GIL held.
pub(crate) unsafe fn from_object(obj: *mut PyObject, owner: xikernel::InterpId) -> Option<Item> {
    // SAFETY: caller's contract.
    unsafe { convert::to_shared(obj, owner).ok() }
}

/// The receiver's side: a new object in the current interpreter (null with
/// an exception on failure); the item is released either way.
///
/// # Safety
/// GIL held.
pub(crate) unsafe fn into_object(it: Item) -> *mut PyObject {
    // SAFETY: caller's contract.
    let r = unsafe { convert::from_shared(&it) };
    drop(it);
    match r {
        Ok(obj) => obj.into_ptr(),
        Err(_) => ptr::null_mut(),
    }
}

/// Releases the natives parked by GIL-less drops.
///
/// # Safety
/// GIL held.
pub(crate) unsafe fn release_deferred() {
    // SAFETY: caller's contract.
    unsafe { crossinterp::drain_deferred() }
}

// ------------------------------------------------ ChannelID / ends as XID

/// `struct _channelid_xid`, plus whether it holds a transit count.
struct CidXid {
    cid: i64,
    end: c_int,
    resolve: c_int,
    counted: bool,
}

/// `ChannelID`'s getdata: (cid, end, resolve) and a transit count.
unsafe extern "C" fn cid_shared(
    tstate: *mut PyThreadState,
    obj: *mut PyObject,
    xid: *mut RawXid,
) -> c_int {
    // SAFETY: (1) CPython calls this with the GIL held for an instance of
    // the type we registered (a `ChannelIdObject`); `xid` is its struct.
    unsafe {
        let o = &*obj.cast::<ChannelIdObject>();
        // A forced id of a missing channel has nothing to keep alive.
        let counted = global::get().add_ref(ChannelId(o.cid as u64)).is_ok();
        let shared = Box::into_raw(Box::new(CidXid {
            cid: o.cid,
            end: o.end,
            resolve: o.resolve,
            counted,
        }));
        crossinterp::init(tstate, xid, shared.cast(), cid_from_xid, Some(cid_free));
    }
    0
}

/// The XID's `free`: in the sending interpreter, GIL held.
unsafe extern "C" fn cid_free(shared: *mut c_void) {
    // SAFETY: (2) `shared` is the box `cid_shared` leaked, freed once.
    let x = unsafe { Box::from_raw(shared.cast::<CidXid>()) };
    if x.counted {
        global::get().drop_ref(ChannelId(x.cid as u64));
    }
}

unsafe extern "C" fn cid_from_xid(xid: *mut RawXid) -> *mut PyObject {
    // SAFETY: (3) called by `_PyCrossInterpreterData_NewObject` with the
    // GIL held on a struct `cid_shared` filled (and not yet freed).
    unsafe {
        let x = &*crossinterp::data(xid).cast::<CidXid>();
        let Some(module) = State::current() else {
            return ptr::null_mut();
        };
        // Like CPython, the resolve flag is not carried to the new id.
        let obj = cid::new_or_raise(
            module,
            State::of(module).cid_type,
            x.cid,
            x.end,
            false,
            false,
        );
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
unsafe fn end_object(
    module: *mut PyObject,
    cidobj: *mut PyObject,
    end: c_int,
) -> Option<*mut PyObject> {
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
            PyErr_SetString(
                PyExc_RuntimeError,
                c"channel end types not registered".as_ptr(),
            );
            return None;
        }
        let obj = PyObject_CallOneArg(cls, cidobj);
        (!obj.is_null()).then_some(obj)
    }
}

/// A channel end's XID: its `_id`'s, rebuilt as the same end type.
unsafe extern "C" fn end_shared(
    tstate: *mut PyThreadState,
    obj: *mut PyObject,
    xid: *mut RawXid,
) -> c_int {
    // SAFETY: (4) GIL held; `_id` of the wrapper's end is a `ChannelID`
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
        let r = cid_shared(tstate, cidobj, xid);
        Py_DECREF(cidobj);
        if r < 0 {
            return -1;
        }
        (*xid).new_object = Some(end_from_xid);
    }
    0
}

unsafe extern "C" fn end_from_xid(xid: *mut RawXid) -> *mut PyObject {
    // SAFETY: (5) as `cid_from_xid`.
    unsafe {
        let x = &*crossinterp::data(xid).cast::<CidXid>();
        let Some(module) = State::current() else {
            return ptr::null_mut();
        };
        let obj = cid::new_or_raise(
            module,
            State::of(module).cid_type,
            x.cid,
            x.end,
            false,
            false,
        );
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
    match unsafe { crossinterp::register_class(cls, cid_shared) } {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

/// # Safety
/// GIL held; `cls` was registered by us.
pub(crate) unsafe fn unregister(cls: *mut PyTypeObject) {
    // SAFETY: forwarded preconditions; "not registered" is benign.
    unsafe { crossinterp::unregister_class(cls) };
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
pub(crate) unsafe fn register_end_types(
    st: &mut State,
    send: *mut PyObject,
    recv: *mut PyObject,
) -> c_int {
    // SAFETY: GIL held; each type is referenced before it is registered.
    unsafe {
        unregister_end_types(st);
        st.send_type = Py_NewRef(send);
        st.recv_type = Py_NewRef(recv);
        if crossinterp::register_class(send.cast(), end_shared).is_err() {
            crate::state::clear_ref(&mut st.send_type);
            crate::state::clear_ref(&mut st.recv_type);
            return -1;
        }
        if crossinterp::register_class(recv.cast(), end_shared).is_err() {
            unregister_end_types(st);
            return -1;
        }
    }
    0
}
