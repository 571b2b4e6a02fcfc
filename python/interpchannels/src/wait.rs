//! Blocking calls: the GIL is released (`PyEval_SaveThread`) while the
//! thread parks on the kernel's condition variable, so a receiver in
//! another interpreter wakes it directly (CPython 3.13 parks a blocking
//! sender on a lock too, but its receivers poll every 10 ms).
//!
//! Signals: only the main thread of the main interpreter runs Python signal
//! handlers, so only there does the wait wake every [`SIGNAL_POLL`] to run
//! `PyErr_CheckSignals` with the GIL. If a handler raises (Ctrl-C), the
//! call withdraws its item and fails with that exception, unless the item
//! was received meanwhile: then, as in CPython, the send succeeds and the
//! exception is dropped.

use core::ffi::{c_int, c_longlong};
use core::ptr;
use core::time::Duration;

use pyo3_ffi::*;
use xikernel::channel::{ChannelError, ChannelId, Received, UnboundOp};
use xikernel::interp::InterpId;

use crate::errors;
use crate::global;
use crate::item::{self, Item};

/// How often a wait that can receive signals checks for them.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

extern "C" {
    /// CPython 3.13 (`pycore_pythread.h`, exported for `_interpchannels`):
    /// parses a `timeout=` argument with the exact errors CPython raises;
    /// the result is a `PyTime_t` in nanoseconds, negative = no timeout.
    fn PyThread_ParseTimeoutArg(
        arg: *mut PyObject,
        blocking: c_int,
        timeout: *mut c_longlong,
    ) -> c_int;
}

/// Parses `timeout` like CPython: `Err(())` with an exception set.
///
/// # Safety
/// GIL held; `arg` is null or an object.
pub(crate) unsafe fn parse_timeout(
    arg: *mut PyObject,
    blocking: bool,
) -> Result<Option<Duration>, ()> {
    let mut ns: c_longlong = 0;
    // SAFETY: GIL held; `ns` is a valid out-pointer.
    if unsafe { PyThread_ParseTimeoutArg(arg, blocking as c_int, &mut ns) } < 0 {
        return Err(());
    }
    Ok((ns >= 0).then(|| Duration::from_nanos(ns as u64)))
}

/// Runs `wait` with the GIL released; `interrupt` (GIL re-taken) checks
/// for signals when this thread can receive them. Returns the result and
/// whether a signal handler raised (its exception is then set).
///
/// # Safety
/// GIL held by the calling thread.
unsafe fn without_gil<R>(wait: impl FnOnce(Option<&mut dyn FnMut() -> bool>) -> R) -> (R, bool) {
    // SAFETY: GIL held: both are plain reads of the current interpreter.
    let signals = unsafe { PyInterpreterState_Get() == PyInterpreterState_Main() };
    let mut interrupted = false;
    // SAFETY: GIL held; it is re-taken with the same thread state before
    // any Python API use (in `check` and after `wait`).
    let mut ts = unsafe { PyEval_SaveThread() };
    let r = {
        let mut check = || {
            // SAFETY: `ts` is this thread's state, saved above; the GIL
            // is released again before the kernel re-locks the channel.
            unsafe {
                PyEval_RestoreThread(ts);
                interrupted = PyErr_CheckSignals() < 0;
                ts = PyEval_SaveThread();
            }
            interrupted
        };
        wait(if signals { Some(&mut check) } else { None })
    };
    // SAFETY: re-takes the GIL released above.
    unsafe {
        PyEval_RestoreThread(ts);
        item::release_deferred();
    }
    (r, interrupted)
}

/// Blocking `send`: returns once this item was received.
///
/// # Safety
/// GIL held; `module` is ours.
pub(crate) unsafe fn send(
    module: *mut PyObject,
    interp: InterpId,
    cid: ChannelId,
    it: Item,
    op: UnboundOp,
    timeout: Option<Duration>,
) -> *mut PyObject {
    let chans = &global::get().channels;
    // SAFETY: GIL held (precondition).
    let (r, interrupted) = unsafe {
        without_gil(|check| match check {
            Some(check) => {
                chans.send_wait_interruptible(interp, cid, it, op, timeout, SIGNAL_POLL, check)
            }
            None => chans.send_wait(interp, cid, it, op, timeout),
        })
    };
    // SAFETY: GIL held again.
    unsafe {
        match r {
            Ok(()) => {
                if interrupted {
                    // Received after all: the send succeeded (CPython too).
                    PyErr_Clear();
                }
                Py_NewRef(Py_None())
            }
            Err(ChannelError::Timeout) if interrupted => ptr::null_mut(),
            Err(e) => {
                if interrupted {
                    PyErr_Clear();
                }
                errors::raise(module, e)
            }
        }
    }
}

/// Blocking receive (our `recv_wait`), woken by the sender.
///
/// # Safety
/// GIL held; `module` is ours.
pub(crate) unsafe fn recv(
    interp: InterpId,
    cid: ChannelId,
    timeout: Option<Duration>,
) -> Result<Received<Item>, Option<ChannelError>> {
    let chans = &global::get().channels;
    // SAFETY: GIL held (precondition).
    let (r, interrupted) = unsafe {
        without_gil(|check| match check {
            Some(check) => chans.recv_wait_interruptible(interp, cid, timeout, SIGNAL_POLL, check),
            None => chans.recv_wait(interp, cid, timeout),
        })
    };
    match r {
        Err(ChannelError::Timeout) if interrupted => Err(None),
        Err(e) => {
            if interrupted {
                // SAFETY: GIL held again.
                unsafe { PyErr_Clear() };
            }
            Err(Some(e))
        }
        Ok(v) => {
            if interrupted {
                // SAFETY: GIL held again.
                unsafe { PyErr_Clear() };
            }
            Ok(v)
        }
    }
}
