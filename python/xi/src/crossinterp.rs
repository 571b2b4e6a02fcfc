//! CPython 3.13's own cross-interpreter data (`_PyCrossInterpreterData`),
//! for the objects our codec does not encode but CPython can share:
//! memoryview, registered heap types (`Queue`, channel ends), and the
//! registry that makes our own types shareable through
//! `Interpreter.prepare_main`.
//!
//! **Bound to CPython 3.13 exactly.** These are private (`_Py*`) symbols
//! exported by the 3.13 binary (`nm -D libpython3.13.so | grep
//! CrossInterpreter`); the struct layout is `struct _xid` from 3.13's
//! `Include/internal/pycore_crossinterp.h`. 3.14 renamed all of them
//! (`_PyXIData_*`) and changed the layout; [`check_version`] refuses to
//! load the module on anything but 3.13 rather than corrupting memory.
//!
//! Lifecycle of a [`NativeXid`] (all in `_PyCrossInterpreterData`'s terms):
//! `new` (raw-allocated by CPython, owner unset) → `get` in the owner (its
//! GIL held: fills `data`/`obj`/`interpid`) → any number of `new_object`
//! calls, each in the calling interpreter → exactly one release
//! (`_PyCrossInterpreterData_ReleaseAndRawFree`), from any interpreter:
//! CPython runs the type's free function **in the owner**, inline if the
//! caller is the owner, else as a pending call there, and then frees the
//! struct. If the owner is gone CPython frees the struct and reports an
//! error that we swallow (the payload's Python object died with its
//! interpreter); the kernel's unbound-items hook releases an item's data
//! before its owner goes away precisely so that this does not happen.

use core::ffi::{c_int, c_void};
use core::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use pyo3_ffi as ffi;
use pyo3_ffi::{PyInterpreterState, PyObject, PyThreadState, PyTypeObject};

use crate::ffi::{PyErrSet, PyResult};

/// `xid_newobjectfunc`.
pub type NewObjectFunc = unsafe extern "C" fn(*mut RawXid) -> *mut PyObject;
/// `xid_freefunc`.
pub type FreeFunc = unsafe extern "C" fn(*mut c_void);
/// `crossinterpdatafunc`: fills an XID for an instance of a registered type.
pub type GetDataFunc =
    unsafe extern "C" fn(*mut PyThreadState, *mut PyObject, *mut RawXid) -> c_int;

/// `struct _xid` (3.13 layout; see the module docs).
#[repr(C)]
#[derive(Debug)]
pub struct RawXid {
    pub data: *mut c_void,
    pub obj: *mut PyObject,
    pub interpid: i64,
    pub new_object: Option<NewObjectFunc>,
    pub free: Option<FreeFunc>,
}

extern "C" {
    fn _PyCrossInterpreterData_New() -> *mut RawXid;
    fn _PyCrossInterpreterData_Init(
        data: *mut RawXid,
        interp: *mut PyInterpreterState,
        shared: *mut c_void,
        obj: *mut PyObject,
        new_object: NewObjectFunc,
    );
    fn _PyObject_GetCrossInterpreterData(obj: *mut PyObject, data: *mut RawXid) -> c_int;
    fn _PyObject_CheckCrossInterpreterData(obj: *mut PyObject) -> c_int;
    fn _PyCrossInterpreterData_NewObject(data: *mut RawXid) -> *mut PyObject;
    fn _PyCrossInterpreterData_ReleaseAndRawFree(data: *mut RawXid) -> c_int;
    fn _PyCrossInterpreterData_RegisterClass(cls: *mut PyTypeObject, f: GetDataFunc) -> c_int;
    fn _PyCrossInterpreterData_UnregisterClass(cls: *mut PyTypeObject) -> c_int;
}

/// Refuses anything but CPython 3.13 (the layout above is 3.13's).
pub fn check_version() -> PyResult<()> {
    // SAFETY: Py_Version is a read-only exported constant.
    let v = unsafe { ffi::Py_Version };
    if (v >> 16) == 0x030d {
        Ok(())
    } else {
        // SAFETY: a live exception-class static; module exec holds the GIL.
        Err(unsafe {
            crate::ffi::raise(
                ffi::PyExc_ImportError,
                "xikernel's CPython binding is built for CPython 3.13 only",
            )
        })
    }
}

/// One filled `_PyCrossInterpreterData`, owned: released exactly once,
/// by [`release`](Self::release) or on drop.
///
/// It is `Send`: the struct holds only an owner id, a raw payload and
/// function pointers, and CPython routes the release to the owner.
/// The release needs *some* attached thread state (CPython looks the owner
/// up and schedules the pending call from the current thread); a drop
/// without one is deferred to the next [`drain_deferred`].
#[derive(Debug)]
pub struct NativeXid(NonNull<RawXid>);

// SAFETY: see the type docs: the pointee is plain data plus C function
// pointers, accessed by one owner at a time (this handle is unique), and
// every operation that touches Python objects routes to the owner
// interpreter itself.
unsafe impl Send for NativeXid {}
// SAFETY: `&NativeXid` only exposes the pointer value and `owner()`, a
// read of an integer field that nobody writes after `get`.
unsafe impl Sync for NativeXid {}

impl NativeXid {
    /// `_PyObject_GetCrossInterpreterData(obj)` in the current
    /// interpreter: CPython's `NotShareableError` (3.13: a `ValueError`,
    /// message `"<obj> does not support cross-interpreter data"`) if its
    /// type is not registered.
    ///
    /// # Safety
    /// The GIL is held and `obj` is live.
    pub unsafe fn get(obj: *mut PyObject) -> PyResult<Self> {
        // SAFETY: CPython allocates a zeroed struct with the raw allocator
        // (interpid -1) or returns NULL after setting MemoryError.
        let raw = unsafe { _PyCrossInterpreterData_New() };
        let raw = NonNull::new(raw).ok_or(PyErrSet)?;
        // SAFETY: `raw` is a fresh struct, `obj` live, GIL held. On
        // failure CPython leaves the struct empty (nothing to release), so
        // freeing it raw is all that remains.
        if unsafe { _PyObject_GetCrossInterpreterData(obj, raw.as_ptr()) } != 0 {
            // SAFETY: empty struct from `_PyCrossInterpreterData_New`.
            unsafe { ffi::PyMem_RawFree(raw.as_ptr().cast()) };
            return Err(PyErrSet);
        }
        Ok(Self(raw))
    }

    /// The owning interpreter's id.
    pub fn owner(&self) -> i64 {
        // SAFETY: the struct is live while `self` is; `interpid` was
        // written by `get` before `self` existed and is never written again.
        unsafe { (*self.0.as_ptr()).interpid }
    }

    /// A new object in the current interpreter (`new_object`).
    ///
    /// # Safety
    /// The GIL is held.
    pub unsafe fn new_object(&self) -> PyResult<crate::ffi::Owned> {
        // SAFETY: the struct was filled by `get` and is not released yet.
        unsafe { crate::ffi::Owned::from_new(_PyCrossInterpreterData_NewObject(self.0.as_ptr())) }
    }

    /// Releases the datum in its owner and frees the struct. Errors (the
    /// owner is gone) are swallowed, preserving any exception already set.
    pub fn release(self) {
        let p = self.0.as_ptr();
        core::mem::forget(self);
        release_raw(p);
    }
}

/// Data dropped on a thread with no attached thread state (e.g. a kernel
/// wait that refused an item while the GIL was released): released by the
/// next [`drain_deferred`], since CPython may not be touched without one.
static DEFERRED: Mutex<Vec<Deferred>> = Mutex::new(Vec::new());
static HAS_DEFERRED: AtomicBool = AtomicBool::new(false);

struct Deferred(*mut RawXid);
// SAFETY: as for `NativeXid` (plain data routed to its owner by CPython).
unsafe impl Send for Deferred {}

/// Releases data whose drop happened detached. Cheap when there is none
/// (one relaxed load); modules call it at the start of each operation.
///
/// # Safety
/// GIL held.
pub unsafe fn drain_deferred() {
    // Relaxed: a hint; the mutex orders the list itself. A datum pushed
    // concurrently is drained by a later call.
    if !HAS_DEFERRED.load(Ordering::Relaxed) {
        return;
    }
    let list = {
        let mut g = DEFERRED.lock().unwrap_or_else(|e| e.into_inner());
        HAS_DEFERRED.store(false, Ordering::Relaxed);
        core::mem::take(&mut *g)
    };
    for d in list {
        release_raw(d.0);
    }
}

fn release_raw(p: *mut RawXid) {
    // SAFETY: `PyThreadState_GetUnchecked` may be called without the GIL.
    if unsafe { ffi::PyThreadState_GetUnchecked() }.is_null() {
        DEFERRED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Deferred(p));
        HAS_DEFERRED.store(true, Ordering::Relaxed);
        return;
    }
    // SAFETY: a thread state is attached (its GIL held); `p` is a filled
    // struct we exclusively own; CPython frees it in all cases. The saved
    // exception is restored so a release never clobbers an error in flight.
    unsafe {
        let saved = ffi::PyErr_GetRaisedException();
        if _PyCrossInterpreterData_ReleaseAndRawFree(p) < 0 {
            ffi::PyErr_Clear();
        }
        ffi::PyErr_SetRaisedException(saved);
    }
}

impl Drop for NativeXid {
    fn drop(&mut self) {
        release_raw(self.0.as_ptr());
    }
}

/// `_PyObject_CheckCrossInterpreterData`: is `type(obj)` registered?
///
/// # Safety
/// The GIL is held and `obj` is live.
pub unsafe fn is_registered(obj: *mut PyObject) -> bool {
    // SAFETY: caller's contract; the check only reads the registry. A miss
    // sets an exception that we clear.
    unsafe {
        if _PyObject_CheckCrossInterpreterData(obj) == 0 {
            true
        } else {
            ffi::PyErr_Clear();
            false
        }
    }
}

/// Fills `xid` for a registered type's getdata function:
/// `_PyCrossInterpreterData_Init` (owner = `tstate`'s interpreter) plus a
/// free function for `shared`.
///
/// # Safety
/// Called from a [`GetDataFunc`] with its arguments; `shared` is what
/// `new_object` and `free` expect.
pub unsafe fn init(
    tstate: *mut PyThreadState,
    xid: *mut RawXid,
    shared: *mut c_void,
    new_object: NewObjectFunc,
    free: Option<FreeFunc>,
) {
    // SAFETY: caller's contract: `xid` is the struct CPython passed to
    // the getdata function, `tstate` the current thread state.
    unsafe {
        let interp = ffi::PyThreadState_GetInterpreter(tstate);
        _PyCrossInterpreterData_Init(xid, interp, shared, core::ptr::null_mut(), new_object);
        (*xid).free = free;
    }
}

/// Reads the `shared` pointer back in `new_object` / `free`.
///
/// # Safety
/// `xid` is a filled struct.
pub unsafe fn data(xid: *mut RawXid) -> *mut c_void {
    // SAFETY: caller's contract.
    unsafe { (*xid).data }
}

/// Registers a heap type in the current interpreter's XID registry
/// (`_PyCrossInterpreterData_RegisterClass`; registering twice counts).
///
/// # Safety
/// The GIL is held and `cls` is a live type.
pub unsafe fn register_class(cls: *mut PyTypeObject, f: GetDataFunc) -> PyResult<()> {
    // SAFETY: caller's contract.
    if unsafe { _PyCrossInterpreterData_RegisterClass(cls, f) } < 0 {
        return Err(PyErrSet);
    }
    Ok(())
}

/// Drops one registration of `cls` (`_PyCrossInterpreterData_UnregisterClass`).
/// Returns whether it was registered.
///
/// # Safety
/// The GIL is held and `cls` is a live type.
pub unsafe fn unregister_class(cls: *mut PyTypeObject) -> bool {
    // SAFETY: caller's contract; returns 1 if found, 0 if not, -1 error.
    let r = unsafe { _PyCrossInterpreterData_UnregisterClass(cls) };
    if r < 0 {
        // SAFETY: GIL held.
        unsafe { ffi::PyErr_Clear() };
    }
    r > 0
}
