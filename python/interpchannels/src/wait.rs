//! Blocking calls: the GIL is released (`PyEval_SaveThread`) while the
//! thread parks on the kernel's condition variable, so a receiver in
//! another interpreter wakes it directly (CPython 3.13 parks a blocking
//! sender on a lock too, but its receivers poll every 10 ms).
//!
//! Signals: the waits go through `xikernel_py::interp::wait_interruptibly`,
//! which runs Python's signal handlers every `SIGNAL_PERIOD` in the main
//! interpreter (the one period of every blocking call of both modules). If
//! a handler raises (Ctrl-C), the call withdraws its item and fails with
//! that exception, unless the item was received meanwhile: then, as in
//! CPython, the send succeeds and the exception is dropped.

use core::ffi::{c_int, c_longlong};
use core::ptr;
use core::time::Duration;

use pyo3_ffi::*;
use xikernel::channel::{ChannelError, ChannelId, Received, UnboundOp};
use xikernel::interp::InterpId;

use crate::errors;
use crate::global;
use crate::item::{self, Item};

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
        xikernel_py::interp::wait_interruptibly(timeout, |w| {
            chans.send_wait(interp, cid, it, op, w)
        })
    };
    // SAFETY: GIL held again.
    unsafe {
        item::release_deferred();
        match r {
            Ok(()) => {
                if interrupted {
                    // Received after all: the send succeeded (CPython too).
                    PyErr_Clear();
                }
                Py_NewRef(Py_None())
            }
            Err(e) => {
                // A withdrawn item comes back: released here, GIL held.
                let (e, item) = e.into_parts();
                drop(item);
                match e {
                    // A signal handler raised: its exception is set.
                    ChannelError::Interrupted(_) => ptr::null_mut(),
                    e => {
                        if interrupted {
                            PyErr_Clear();
                        }
                        errors::raise(module, e)
                    }
                }
            }
        }
    }
}

/// Blocking receive (our `recv_wait`), woken by the sender. `Err(None)`:
/// a signal handler raised (its exception is set).
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
        xikernel_py::interp::wait_interruptibly(timeout, |w| chans.recv_wait(interp, cid, w))
    };
    // SAFETY: GIL held again.
    unsafe { item::release_deferred() };
    match r {
        Err(ChannelError::Interrupted(_)) => Err(None),
        r => {
            if interrupted {
                // SAFETY: GIL held again.
                unsafe { PyErr_Clear() };
            }
            r.map_err(Some)
        }
    }
}
