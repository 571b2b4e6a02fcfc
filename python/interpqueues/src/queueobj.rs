//! The wrapper's `Queue` objects as CPython cross-interpreter data, so
//! `Interpreter.prepare_main(queue=q)` and `q.put(q2)` work: the datum is
//! the queue id plus one **binding**, taken when the datum is made and
//! dropped when it is released, so a queue cannot vanish in transit
//! (CPython 3.13's `_queueobj_shared`). The receiving side calls its own
//! interpreter's registered `Queue(qid)`, which returns that
//! interpreter's per-id singleton. The datum also names the module of the
//! class the queue was sent as, so an interpreter that has no wrapper yet
//! imports that one (an `xikernel.queues.Queue` arrives as one, a CPython
//! wrapper's queue as CPython's).

use core::ffi::{c_int, c_void, CStr};
use std::ffi::CString;

use pyo3_ffi as ffi;
use pyo3_ffi::{PyObject, PyThreadState};
use xikernel::QueueId;
use xikernel_py::crossinterp::{self, RawXid};
use xikernel_py::ffi::{id_arg, Owned, PyErrSet, PyResult};
use xikernel_py::module;

use crate::state;

/// `crossinterpdatafunc` for the registered `Queue` type.
///
/// # Safety
/// CPython calls it in the owner, GIL held, with a live object and the struct to fill.
pub unsafe extern "C" fn queueobj_shared(
    tstate: *mut PyThreadState,
    obj: *mut PyObject,
    xid: *mut RawXid,
) -> c_int {
    // SAFETY: CPython calls getdata in the owner with its GIL held, a live
    // `obj` and the struct to fill.
    match unsafe { shared(tstate, obj, xid) } {
        Ok(()) => 0,
        Err(PyErrSet) => -1,
    }
}

/// # Safety
/// As `queueobj_shared`.
unsafe fn shared(tstate: *mut PyThreadState, obj: *mut PyObject, xid: *mut RawXid) -> PyResult<()> {
    // SAFETY: GIL held; `obj` live.
    let qid = unsafe {
        let id = Owned::from_new(ffi::PyObject_GetAttrString(obj, c"_id".as_ptr()))?;
        id_arg(id.as_ptr(), "queue ID")?
    };
    let qid = QueueId(qid as u64);
    // SAFETY: GIL held.
    let m = unsafe { state::current_module()? };
    // SAFETY: GIL held, `m` our module.
    unsafe { state::check(m.as_ptr(), state::queues().bind(qid))? };
    let sent = Sent {
        qid: qid.0,
        // SAFETY: GIL held; `obj` live.
        wrapper: unsafe { class_module(obj) },
    };
    let raw = Box::into_raw(Box::new(sent)).cast::<c_void>();
    // SAFETY: called from getdata with its arguments; `raw` is what
    // `from_xid` and `free_xid` expect (a boxed `Sent`).
    unsafe { crossinterp::init(tstate, xid, raw, from_xid, Some(free_xid)) };
    Ok(())
}

/// The datum: the queue (one binding held) and its sender's wrapper module.
struct Sent {
    qid: u64,
    wrapper: Option<CString>,
}

/// `type(obj).__module__`, if it is a str without NULs (else None: the
/// receiver then falls back to the default wrapper order).
///
/// # Safety
/// GIL held; `obj` live.
unsafe fn class_module(obj: *mut PyObject) -> Option<CString> {
    // SAFETY: GIL held; `obj` live, so its type is too; a failed lookup
    // leaves an error we clear (the module name is only a preference).
    unsafe {
        let name = ffi::PyObject_GetAttrString(ffi::Py_TYPE(obj).cast(), c"__module__".as_ptr());
        let Ok(name) = Owned::from_new(name) else {
            ffi::PyErr_Clear();
            return None;
        };
        let mut n: ffi::Py_ssize_t = 0;
        let p = ffi::PyUnicode_AsUTF8AndSize(name.as_ptr(), &mut n);
        if p.is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        // SAFETY: CPython's UTF-8 buffer of `n` bytes, alive with `name`.
        let bytes = core::slice::from_raw_parts(p.cast::<u8>(), n as usize);
        CString::new(bytes).ok()
    }
}

/// Releases the binding (in the owner; CPython routes it there).
///
/// # Safety
/// CPython calls it once per datum, in the owner, with the `Box<u64>` of `shared`.
unsafe extern "C" fn free_xid(raw: *mut c_void) {
    // SAFETY: `raw` is the Box<Sent> made in `shared`, freed exactly once
    // (CPython calls `free` once per datum).
    let sent = unsafe { Box::from_raw(raw.cast::<Sent>()) };
    // Already destroyed: nothing to drop (as CPython, no warning).
    let _ = state::queues().release(QueueId(sent.qid));
}

/// `new_object`: `Queue(qid)` in the receiving interpreter.
///
/// # Safety
/// CPython calls it with the GIL held and a struct filled by `shared`.
unsafe extern "C" fn from_xid(xid: *mut RawXid) -> *mut PyObject {
    // SAFETY: CPython calls new_object with the GIL held and the filled
    // struct, whose data is our boxed `Sent` (alive until `free_xid`).
    xikernel_py::ffi::ret(unsafe {
        let sent = &*crossinterp::data(xid).cast::<Sent>();
        new_queue(sent.qid, sent.wrapper.as_deref())
    })
}

/// # Safety
/// GIL held.
unsafe fn new_queue(qid: u64, wrapper: Option<&CStr>) -> PyResult<Owned> {
    // SAFETY: GIL held; state slots hold live classes or NULL.
    unsafe {
        let m = state::current_module()?;
        let st = state::get(m.as_ptr());
        if (*st).queue_type.is_null() {
            state::ensure_highlevel_loaded(m.as_ptr(), wrapper)?;
        }
        let Some(cls) = module::get_slot(&(*st).queue_type) else {
            return Err(xikernel_py::ffi::runtime_error("queue type not registered"));
        };
        let id = xikernel_py::ffi::int(qid as i64)?;
        Owned::from_new(ffi::PyObject_CallOneArg(cls.as_ptr(), id.as_ptr()))
    }
}

/// `_register_heap_types`' type half: (re)registers `queuetype`, first
/// dropping a previous registration (what makes reloading the wrapper
/// module work).
///
/// # Safety
/// GIL held, `m` our module, `queuetype` a type.
pub unsafe fn set_queue_type(m: *mut PyObject, queuetype: *mut PyObject) -> PyResult<()> {
    // SAFETY: GIL held; state slots hold live references or NULL.
    unsafe {
        let st = state::get(m);
        if !(*st).queue_type.is_null() {
            crossinterp::unregister_class((*st).queue_type.cast());
            module::set_slot(&mut (*st).queue_type, None);
        }
        crossinterp::register_class(queuetype.cast(), queueobj_shared)?;
        let t = Owned::from_borrowed(core::ptr::NonNull::new_unchecked(queuetype));
        module::set_slot(&mut (*st).queue_type, Some(t));
    }
    Ok(())
}
