//! Blocking the Python way: `timeout=` arguments, and waits that release
//! the GIL and run the signal handlers while they sleep.
//!
//! The queue's blocking calls take a `Wait` (the kernel's blocking
//! toolkit: a deadline plus an interruption check run with no lock of the
//! queue held). [`blocking`] hands them the binding's: the check re-takes
//! the GIL and runs `PyErr_CheckSignals` (Ctrl-C's `KeyboardInterrupt`,
//! or any handler's exception, stops the call having done nothing); the
//! sleep itself is the segment's futex, woken by the other side at once.

use core::time::Duration;

use pyo3_ffi as ffi;
use pyo3_ffi::PyObject;
use xikernel_ipc::{Deadline, Wait};
use xikernel_py::ffi::{PyErrSet, PyResult};

/// A `timeout` argument: `None` (or absent) waits forever; a number of
/// seconds (fractions kept) otherwise. A negative timeout is an expired
/// one, as `multiprocessing.Queue` treats it (its semaphore and `poll`
/// clamp it to zero).
///
/// # Safety
/// GIL held; `t` NULL or a live object.
pub unsafe fn deadline_arg(t: *mut PyObject) -> PyResult<Deadline> {
    // SAFETY: `t` is NULL or a borrowed argument (caller).
    unsafe {
        if t.is_null() || t == ffi::Py_None() {
            return Ok(Deadline::never());
        }
        let secs = ffi::PyFloat_AsDouble(t);
        if secs == -1.0 && !ffi::PyErr_Occurred().is_null() {
            return Err(PyErrSet);
        }
        if secs.is_nan() {
            return Err(xikernel_py::ffi::value_error("timeout must not be NaN"));
        }
        let d = Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(Duration::MAX);
        Ok(Deadline::after(d))
    }
}

/// A `block` argument (truthiness, as `multiprocessing` tests it).
///
/// # Safety
/// GIL held; `b` NULL (= True) or a live object.
pub unsafe fn bool_arg(b: *mut PyObject, default: bool) -> PyResult<bool> {
    if b.is_null() {
        return Ok(default);
    }
    // SAFETY: live object (caller); PyObject_IsTrue returns -1 + error.
    match unsafe { ffi::PyObject_IsTrue(b) } {
        -1 => Err(PyErrSet),
        v => Ok(v != 0),
    }
}

/// Runs `op` with the GIL released until `deadline`, interruptible by
/// signal handlers (the binding's one blocking helper,
/// `xikernel_py::interp::wait_interruptibly`: handlers run every
/// `SIGNAL_PERIOD` of parking, in the main interpreter). If a handler
/// raised, its exception is set and `op` normally returns its
/// `Interrupted` error, having done nothing; if `op`'s last attempt
/// succeeded anyway, the success wins and the exception is dropped (an
/// item taken out of the queue must not be lost), as CPython does when a
/// send completed meanwhile.
///
/// # Safety
/// GIL held on entry; `op` touches no Python object.
pub unsafe fn blocking<T, E>(
    deadline: Deadline,
    op: impl FnOnce(Wait<'_>) -> Result<T, E>,
) -> Result<T, E> {
    // SAFETY: caller's contract.
    let (r, raised) = unsafe { xikernel_py::interp::wait_interruptibly(deadline.remaining(), op) };
    if raised && r.is_ok() {
        // SAFETY: GIL held again; the handler's exception is set.
        unsafe { ffi::PyErr_Clear() };
    }
    r
}
