//! The kernel's view of CPython interpreters.
//!
//! - **Identity.** CPython owns interpreter ids (main is 0, never reused);
//!   the kernel takes them as they are ([`current`]), so no
//!   `xikernel::Interpreters` table is kept: creating and destroying
//!   interpreters stays CPython's job (`_interpreters`).
//! - **Finalisation.** [`on_exit`] registers a per-interpreter at-exit hook
//!   (`PyUnstable_AtExit`, 3.13) where the module calls its registries'
//!   `clear_interpreter`, exactly where CPython's own modules do: every
//!   item the dying interpreter owns loses its data, in that interpreter,
//!   under its GIL, and REMOVE / ERROR / REPLACE apply. A hook is
//!   registered by each module *exec*, i.e. once per interpreter that
//!   imported the module, and only those can own items.
//! - **Release routing.** Codec payloads are plain bytes: releasing them
//!   needs no interpreter. CPython-native data
//!   ([`NativeXid`](crate::crossinterp::NativeXid)) is released by CPython
//!   in its owner (`_PyCrossInterpreterData_ReleaseAndRawFree` schedules a
//!   pending call there when another interpreter drops it).
//! - **Blocking.** [`wait_interruptibly`] detaches the thread state
//!   (`PyEval_SaveThread`) around a kernel wait, so other threads of the
//!   same interpreter run while we sleep on the kernel's real wake-up, and
//!   runs Python's signal handlers every [`SIGNAL_PERIOD`] through the
//!   kernel's interruption mechanism (`xikernel::wait::Interrupt`): every
//!   blocking call of both modules (`put_wait`, `get_wait`, `recv_wait`,
//!   the blocking `send`) waits the same way.

use core::ffi::c_void;
use core::time::Duration;

use pyo3_ffi as ffi;
use xikernel::wait::{Every, Wait};
use xikernel::InterpId;

/// The calling thread's interpreter.
///
/// # Safety
/// A thread state is attached (GIL held).
pub unsafe fn current() -> InterpId {
    // SAFETY: with an attached thread state, PyInterpreterState_Get never
    // fails (it aborts otherwise), and GetID on a live state cannot fail.
    let id = unsafe { ffi::PyInterpreterState_GetID(ffi::PyInterpreterState_Get()) };
    InterpId(id as u64)
}

extern "C" {
    fn PyUnstable_AtExit(
        interp: *mut ffi::PyInterpreterState,
        func: unsafe extern "C" fn(*mut c_void),
        data: *mut c_void,
    ) -> core::ffi::c_int;
}

/// Called in the finalising interpreter (its GIL held) with its id.
pub type ExitHook = fn(InterpId);

/// # Safety
/// CPython calls it at interpreter exit, GIL held, with the `ExitHook` registered by `on_exit`.
unsafe extern "C" fn exit_trampoline(data: *mut c_void) {
    // SAFETY: `data` is the `ExitHook` fn pointer `on_exit` registered
    // (fn pointers round-trip through `*mut c_void` on every platform
    // CPython supports).
    let hook: ExitHook = unsafe { core::mem::transmute::<*mut c_void, ExitHook>(data) };
    // SAFETY: at-exit callbacks run in their interpreter with the GIL held.
    let id = unsafe { current() };
    // Never let a panic unwind into CPython.
    let _ = std::panic::catch_unwind(|| hook(id));
}

/// Runs `hook` when the current interpreter finalises (before its modules
/// are torn down, so objects the items reference are still alive).
///
/// # Safety
/// GIL held.
pub unsafe fn on_exit(hook: ExitHook) -> crate::ffi::PyResult<()> {
    // SAFETY: GIL held; the fn pointer is `'static`.
    let r = unsafe {
        PyUnstable_AtExit(
            ffi::PyInterpreterState_Get(),
            exit_trampoline,
            hook as *mut c_void,
        )
    };
    if r < 0 {
        Err(crate::ffi::PyErrSet)
    } else {
        Ok(())
    }
}

/// Runs `f` with the thread state detached (the GIL released), then
/// re-attaches it. `f` must not touch Python objects.
///
/// # Safety
/// GIL held on entry.
pub unsafe fn allow_threads<R>(f: impl FnOnce() -> R) -> R {
    struct Reattach(*mut ffi::PyThreadState);
    impl Drop for Reattach {
        fn drop(&mut self) {
            // SAFETY: `self.0` is the state `PyEval_SaveThread` returned on
            // this thread; restoring it re-acquires the GIL (also on
            // unwind, so Python never sees a detached caller).
            unsafe { ffi::PyEval_RestoreThread(self.0) }
        }
    }
    // SAFETY: GIL held on entry (caller).
    let _guard = Reattach(unsafe { ffi::PyEval_SaveThread() });
    f()
}

/// How often a blocked call re-takes the GIL to run Python's signal
/// handlers (Ctrl-C). Wake-ups themselves are immediate; this only bounds
/// how late a handler runs. One period for every blocking call.
pub const SIGNAL_PERIOD: Duration = Duration::from_millis(50);

/// Runs the blocking kernel call `f` with the GIL released, giving it a
/// [`Wait`] for `timeout` (`None`: forever).
///
/// Only the main interpreter runs signal handlers (in its main thread), so
/// only there is the wait interruptible: every [`SIGNAL_PERIOD`] of
/// parking the kernel calls back (holding none of its locks), the GIL is
/// re-taken and `PyErr_CheckSignals` runs the handlers; if one raises, its
/// exception stays set and the kernel call ends with its `Interrupted`
/// error (after one last attempt, which may still succeed). Returns `f`'s
/// result and whether a handler raised. If the call succeeded anyway the
/// caller decides whether to keep the exception (CPython drops it when a
/// send was received meanwhile).
///
/// # Safety
/// GIL held on entry; `f` touches no Python object (it runs detached).
pub unsafe fn wait_interruptibly<R>(
    timeout: Option<Duration>,
    f: impl FnOnce(Wait<'_>) -> R,
) -> (R, bool) {
    // The deadline starts now, before giving up the GIL.
    let wait = Wait::from(timeout);
    // SAFETY: GIL held: plain reads of the current interpreter.
    let signals = unsafe { ffi::PyInterpreterState_Get() == ffi::PyInterpreterState_Main() };
    let mut raised = false;
    // SAFETY: GIL held on entry; it is re-taken with the same thread state
    // before any Python API use (in the check and after `f`).
    let mut ts = unsafe { ffi::PyEval_SaveThread() };
    let r = {
        let mut check = Every::new(SIGNAL_PERIOD, || {
            // SAFETY: `ts` is this thread's saved state; the kernel holds
            // no lock while it runs this check, and the GIL is released
            // again before the wait resumes.
            unsafe {
                ffi::PyEval_RestoreThread(ts);
                raised = ffi::PyErr_CheckSignals() < 0;
                ts = ffi::PyEval_SaveThread();
            }
            raised
        });
        if signals {
            f(wait.interruptible(&mut check))
        } else {
            f(wait)
        }
    };
    // SAFETY: re-takes the GIL released above.
    unsafe { ffi::PyEval_RestoreThread(ts) };
    (r, raised)
}
