//! Process-global kernel state, per-interpreter module state, error
//! mapping.

use core::ffi::{c_int, c_void, CStr};
use std::sync::OnceLock;

use pyo3_ffi as ffi;
use pyo3_ffi::PyObject;
use xikernel::queue::QueueErrorClass;
use xikernel::{InterpId, QueueError, Queues};
use xikernel_py::convert::Shared;
use xikernel_py::ffi::{Owned, PyErrSet, PyResult};
use xikernel_py::{crossinterp, interp, module};

/// One queued value: the shared data and CPython 3.13's per-item `fmt`
/// (the wrapper's "pickled or shared" flag, stored and echoed back).
#[derive(Debug)]
pub struct Item {
    pub shared: Shared,
    pub fmt: i64,
}

/// Every queue of the process, shared by all interpreters. Released items
/// are dropped: codec bytes need no interpreter, native data is routed to
/// its owner by CPython.
pub fn queues() -> &'static Queues<Item> {
    static QUEUES: OnceLock<Queues<Item>> = OnceLock::new();
    QUEUES.get_or_init(Queues::new)
}

/// Per-interpreter module state (CPython's `module_state`).
#[repr(C)]
pub struct State {
    /// The wrapper's `Queue` class (registered by `_register_heap_types`).
    pub queue_type: *mut PyObject,
    pub queue_error: *mut PyObject,
    pub queue_not_found: *mut PyObject,
    /// The wrapper's `QueueEmpty` / `QueueFull` (registered by it).
    pub queue_empty: *mut PyObject,
    pub queue_full: *mut PyObject,
}

impl State {
    fn slots(&mut self) -> [*mut *mut PyObject; 5] {
        [
            &mut self.queue_type,
            &mut self.queue_error,
            &mut self.queue_not_found,
            &mut self.queue_empty,
            &mut self.queue_full,
        ]
    }
}

/// # Safety
/// `m` is one of our module objects.
pub unsafe fn get(m: *mut PyObject) -> *mut State {
    // SAFETY: caller's contract (our def's m_size is size_of::<State>()).
    unsafe { module::state::<State>(m) }
}

/// Module exec: exception classes, the at-exit hook.
///
/// # Safety
/// GIL held, `m` a fresh module object from our def.
pub unsafe fn init(m: *mut PyObject) -> PyResult<()> {
    crossinterp::check_version()?;
    queues();
    // SAFETY: GIL held, `m` live; the state is zeroed by CPython.
    unsafe {
        let st = &mut *get(m);
        let qe = module::add_exception(
            m,
            c"test.support.interpreters.QueueError",
            Some(c"Indicates that a queue-related error happened."),
            ffi::PyExc_RuntimeError,
        )?;
        let nf = module::add_exception(
            m,
            c"test.support.interpreters.QueueNotFoundError",
            None,
            qe.as_ptr(),
        )?;
        st.queue_error = qe.into_ptr();
        st.queue_not_found = nf.into_ptr();
        interp::on_exit(clear_interpreter)?;
    }
    Ok(())
}

fn clear_interpreter(id: InterpId) {
    queues().clear_interpreter(id);
}

/// # Safety
/// CPython's GC calls it with our module and a valid visitor.
pub unsafe extern "C" fn traverse(
    m: *mut PyObject,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: CPython calls traverse on our module with a valid visitor;
    // the state may be NULL before exec ran.
    unsafe {
        let st = get(m);
        if st.is_null() {
            return 0;
        }
        for slot in (*st).slots() {
            if !(*slot).is_null() {
                let r = visit(*slot, arg);
                if r != 0 {
                    return r;
                }
            }
        }
    }
    0
}

/// # Safety
/// CPython calls it (GC or dealloc) with the GIL held and our module.
pub unsafe extern "C" fn clear(m: *mut PyObject) -> c_int {
    // SAFETY: GIL held (GC or module dealloc); each slot owns a reference.
    unsafe {
        let st = get(m);
        if st.is_null() {
            return 0;
        }
        if !(*st).queue_type.is_null() {
            crossinterp::unregister_class((*st).queue_type.cast());
        }
        for slot in (*st).slots() {
            module::set_slot(slot, None);
        }
    }
    0
}

/// # Safety
/// CPython calls it at deallocation of our module, GIL held.
pub unsafe extern "C" fn free(m: *mut c_void) {
    // SAFETY: same as `clear`, at module deallocation.
    unsafe { clear(m.cast()) };
}

/// Imports a wrapper module, which registers `Queue`, `QueueEmpty`,
/// `QueueFull` in this interpreter, when none has yet (a queue arriving in
/// a fresh sub-interpreter, or an error raised before any import).
///
/// `preferred` is the module of the `Queue` class a queue was sent as:
/// importing it first makes the queue arrive as the same wrapper's object
/// (a queue sent by `xikernel.queues` stays one; one sent by CPython's
/// wrapper stays CPython's). Then CPython 3.13's order
/// (`interpreters.queues`, `test.support.interpreters.queues`), then the
/// `xikernel` package's `xikernel.queues` (for Pythons without the `test`
/// package). Stops at the first import that registers a type.
///
/// # Safety
/// GIL held.
pub unsafe fn ensure_highlevel_loaded(m: *mut PyObject, preferred: Option<&CStr>) -> PyResult<()> {
    const FALLBACK: [&CStr; 3] = [
        c"interpreters.queues",
        c"test.support.interpreters.queues",
        c"xikernel.queues",
    ];
    // SAFETY: GIL held; `m` our module (its state slots are live or NULL).
    unsafe {
        for name in preferred.into_iter().chain(FALLBACK) {
            if module::import(name).is_err() {
                ffi::PyErr_Clear();
            }
            if !(*get(m)).queue_type.is_null() {
                return Ok(());
            }
        }
    }
    Err(xikernel_py::ffi::runtime_error(
        "no queue wrapper (interpreters.queues, test.support.interpreters.queues, xikernel.queues) registered its types",
    ))
}

/// Raises `e` as CPython 3.13 does (`handle_queue_error`).
///
/// # Safety
/// GIL held, `m` our module.
pub unsafe fn raise(m: *mut PyObject, e: QueueError) -> PyErrSet {
    let msg = e.to_string();
    // SAFETY: GIL held; state slots hold live classes or NULL.
    unsafe {
        let st = get(m);
        let slot: *mut *mut PyObject = match e.class() {
            QueueErrorClass::QueueNotFoundError => &mut (*st).queue_not_found,
            QueueErrorClass::QueueEmpty => &mut (*st).queue_empty,
            QueueErrorClass::QueueFull => &mut (*st).queue_full,
            _ => &mut (*st).queue_error,
        };
        if (*slot).is_null() && ensure_highlevel_loaded(m, None).is_err() {
            return PyErrSet;
        }
        let cls = match module::get_slot(slot) {
            Some(c) => c,
            // Not registered even after importing the wrapper: the base.
            None => match module::get_slot(&(*st).queue_error) {
                Some(c) => c,
                None => return xikernel_py::ffi::runtime_error(&msg),
            },
        };
        xikernel_py::ffi::raise_instance(cls.as_ptr(), &msg)
    }
}

/// `raise` for a `Result`.
///
/// # Safety
/// GIL held, `m` our module.
pub unsafe fn check<T>(m: *mut PyObject, r: Result<T, QueueError>) -> PyResult<T> {
    // SAFETY: caller's contract.
    r.map_err(|e| unsafe { raise(m, e) })
}

/// Our module object in the current interpreter (for callbacks that get
/// none: cross-interpreter `new_object`), imported if need be. CPython
/// 3.13 raises "module not imported yet" instead, so
/// `prepare_main(queue=q)` fails on an interpreter that never imported
/// the queues module; importing it is what the caller meant.
///
/// # Safety
/// GIL held.
pub unsafe fn current_module() -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        match module::imported(c"_interpqueues") {
            Some(m) => Ok(m),
            None => module::import(c"_interpqueues"),
        }
    }
}
