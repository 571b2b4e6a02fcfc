//! Python exceptions for the queue's errors, as `multiprocessing` raises
//! them (`queue.Full`/`queue.Empty`, `ValueError` for a closed handle or an
//! item that can never fit, `OSError` for system errors).

use core::ffi::c_int;

use pyo3_ffi::*;
use xikernel_ipc::{PopError, PushError, SegmentError};
use xikernel_py::ffi::{self as pf, PyErrSet};

use crate::shmqueue::KIND_SIMPLE;
use crate::state::State;

/// # Safety
/// GIL held; `slf` live.
pub(crate) unsafe fn closed_error(slf: *mut PyObject, kind: c_int) -> PyErrSet {
    if kind == KIND_SIMPLE {
        // SAFETY: a live exception-class static.
        return unsafe { pf::raise(PyExc_OSError, "handle is closed") };
    }
    // SAFETY: `slf` live; repr only feeds the message.
    let r = unsafe { pf::repr(slf) };
    pf::value_error(&format!("Queue {r} is closed"))
}

pub(crate) fn segment_error(e: SegmentError) -> PyErrSet {
    match e {
        SegmentError::InvalidConfig(why) => pf::value_error(why),
        SegmentError::Io(e) => {
            let msg = e.to_string();
            // SAFETY: a live exception-class static; GIL held by callers.
            unsafe { pf::raise(PyExc_OSError, &msg) }
        }
        e => pf::value_error(&e.to_string()),
    }
}

/// # Safety
/// GIL held.
pub(crate) unsafe fn push_error(st: &State, e: PushError) -> PyErrSet {
    // SAFETY: GIL held; `full` is a live class (set up).
    unsafe {
        match e {
            PushError::Full | PushError::Timeout => {
                PyErr_SetNone(st.full);
                PyErrSet
            }
            // A signal handler raised: its exception is set.
            PushError::Interrupted => PyErrSet,
            PushError::TooLarge { len, max } => pf::value_error(&format!(
                "item of {len} bytes can never fit: the queue's largest message is {max} bytes \
                 (give the queue a larger size=)"
            )),
            PushError::Closed => pf::raise(PyExc_OSError, "the queue segment is closed"),
            e => pf::runtime_error(&e.to_string()),
        }
    }
}

/// # Safety
/// GIL held.
pub(crate) unsafe fn pop_error(st: &State, e: PopError) -> PyErrSet {
    // SAFETY: GIL held; `empty` is a live class (set up).
    unsafe {
        match e {
            PopError::Empty | PopError::Timeout => {
                PyErr_SetNone(st.empty);
                PyErrSet
            }
            PopError::Interrupted => PyErrSet,
            PopError::Closed => pf::raise(PyExc_OSError, "the queue segment is closed"),
            e => pf::runtime_error(&e.to_string()),
        }
    }
}

/// Sets `pushed` on the pending `queue.Full` (how many items went in).
pub(crate) fn note_pushed(n: usize) {
    // SAFETY: GIL held (callers); an exception is set: fetch, normalize,
    // annotate, restore (each call tolerates failures by leaving the
    // exception as it was).
    unsafe {
        let exc = PyErr_GetRaisedException();
        if exc.is_null() {
            return;
        }
        if let Ok(v) = pf::int(n as i64) {
            if PyObject_SetAttrString(exc, c"pushed".as_ptr(), v.as_ptr()) < 0 {
                PyErr_Clear();
            }
        }
        PyErr_SetRaisedException(exc);
    }
}
