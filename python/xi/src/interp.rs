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
//! - **Blocking.** [`allow_threads`] detaches the thread state
//!   (`PyEval_SaveThread`) around a kernel wait, so other threads of the
//!   same interpreter run while we sleep on the kernel's real wake-up.

use core::ffi::c_void;

use pyo3_ffi as ffi;
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
