//! Blocking the Python way: `timeout=` arguments, and waits that release
//! the GIL and run the signal handlers while they sleep.
//!
//! The queue's blocking calls take a `Wait` (a deadline plus an
//! interruption check that runs at least every `SIGNAL_PERIOD` with no lock
//! of the queue held). Here the check re-attaches the thread state, runs
//! `PyErr_CheckSignals` (Ctrl-C's `KeyboardInterrupt`, or any handler's
//! exception, stops the call having done nothing) and detaches again; the
//! sleep itself is the segment's futex, woken by the other side at once.

use core::cell::Cell;
use core::time::Duration;

use pyo3_ffi as ffi;
use pyo3_ffi::PyObject;
use xikernel_ipc::{Deadline, Every, Wait};
use xikernel_py::ffi::{PyErrSet, PyResult};
use xikernel_py::interp::SIGNAL_PERIOD;

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

/// Runs `op` with the GIL released; `op`'s `Wait` stops at `deadline` or
/// when a signal handler raised (the exception is then set and `op`
/// returns its `Interrupted` error, which the caller maps to
/// [`PyErrSet`]).
///
/// # Safety
/// GIL held on entry; `op` touches no Python object.
pub unsafe fn blocking<T>(deadline: Deadline, op: impl FnOnce(Wait<'_>) -> T) -> T {
    // SAFETY: GIL held (caller): detach our thread state.
    let ts = Cell::new(unsafe { ffi::PyEval_SaveThread() });
    let mut check = Every::new(SIGNAL_PERIOD, || {
        // SAFETY: `ts` is this thread's detached state; re-attaching it
        // takes the GIL, under which signal handlers may run; then we
        // detach again before going back to sleep.
        unsafe {
            ffi::PyEval_RestoreThread(ts.get());
            let stop = ffi::PyErr_CheckSignals() < 0;
            ts.set(ffi::PyEval_SaveThread());
            stop
        }
    });
    let r = op(Wait::until(deadline).interruptible(&mut check));
    // SAFETY: re-attach the state detached above (the GIL is ours again
    // when this returns, as the caller expects).
    unsafe { ffi::PyEval_RestoreThread(ts.get()) };
    r
}
