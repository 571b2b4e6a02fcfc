//! The module's functions: CPython 3.13's `_interpqueues` API, plus the
//! blocking `get_wait` / `put_wait`.

use core::ffi::CStr;
use core::time::Duration;

use pyo3_ffi as ffi;
use pyo3_ffi::PyObject;
use xikernel::channel::Received;
use xikernel::{QueueDefaults, QueueError, QueueId, UnboundOp};
use xikernel_py::convert;
use xikernel_py::ffi::{self as pf, FastArgs, Owned, PyErrSet, PyResult};
use xikernel_py::{interp, module};

use crate::queueobj;
use crate::state::{self, check, queues, Item};

macro_rules! entry {
    ($name:ident, $body:ident) => {
        /// # Safety
        /// CPython calls it with the GIL held, our module and vectorcall arguments.
        unsafe extern "C" fn $name(
            m: *mut PyObject,
            args: *const *mut PyObject,
            nargsf: ffi::Py_ssize_t,
            kwnames: *mut PyObject,
        ) -> *mut PyObject {
            // SAFETY: CPython calls module functions with the GIL held, our
            // module as `m`, and vectorcall arguments.
            unsafe {
                xikernel_py::crossinterp::drain_deferred();
                pf::ret($body(
                    m,
                    FastArgs {
                        args,
                        nargsf,
                        kwnames,
                    },
                ))
            }
        }
    };
}

pub const METHODS: [ffi::PyMethodDef; 17] = [
    module::method_fast(c"create", create, c"create(maxsize, fmt, unboundop) -> qid\n\nCreate a new cross-interpreter queue and return its unique generated ID.\nIt is a new reference as though bind() had been called on the queue.\n\nThe caller is responsible for calling destroy() for the new queue\nbefore the runtime is finalized."),
    module::method_fast(c"destroy", destroy, c"destroy(qid)\n\nClear and destroy the queue.  Afterward attempts to use the queue\nwill behave as though it never existed."),
    module::method_noargs(c"list_all", list_all, c"list_all() -> [(qid, fmt)]\n\nReturn the list of IDs for all queues.\nEach corresponding default format is also included."),
    module::method_fast(c"put", put, c"put(qid, obj, fmt)\n\nAdd the object's data to the queue."),
    module::method_fast(c"get", get, c"get(qid) -> (obj, fmt)\n\nReturn a new object from the data at the front of the queue.\nThe object's format is also returned.\n\nIf there is nothing to receive then raise QueueEmpty."),
    module::method_fast(c"bind", bind, c"bind(qid)\n\nTake a reference to the identified queue.\nThe queue is not destroyed until there are no references left."),
    module::method_fast(c"release", release, c"release(qid)\n\nRelease a reference to the queue.\nThe queue is destroyed once there are no references left."),
    module::method_fast(c"get_maxsize", get_maxsize, c"get_maxsize(qid)\n\nReturn the maximum number of items in the queue."),
    module::method_fast(c"get_queue_defaults", get_queue_defaults, c"get_queue_defaults(qid)\n\nReturn the queue's default values, set when it was created."),
    module::method_fast(c"is_full", is_full, c"is_full(qid)\n\nReturn true if the queue has a maxsize and has reached it."),
    module::method_fast(c"get_count", get_count, c"get_count(qid)\n\nReturn the number of items in the queue."),
    module::method_fast(c"_register_heap_types", register_heap_types, c"_register_heap_types(queuetype, emptyerror, fullerror)"),
    module::method_fast(c"get_wait", get_wait, c"get_wait(qid, timeout=None) -> (obj, fmt, unboundop)\n\nLike get(), but wait (with the GIL released) until an item arrives;\nraise QueueEmpty once timeout seconds (a float; None = forever) pass.\nxikernel extension: woken by the put itself, no polling; signal\nhandlers run while it waits."),
    module::method_fast(c"put_wait", put_wait, c"put_wait(qid, obj, fmt, unboundop, timeout=None)\n\nLike put(), but wait (with the GIL released) while the queue is full;\nraise QueueFull once timeout seconds pass; signal handlers run while it\nwaits (an exception they raise ends it, the item not put). xikernel extension."),
    module::method_noargs(c"_live_items", live_items, c"_live_items() -> int\n\nItems held by every queue of the process (xikernel extension, for leak checks)."),
    module::method_noargs(c"_kernel", kernel_name, c"_kernel() -> str\n\n'xikernel' (tells this module from CPython's own)."),
    ffi::PyMethodDef::zeroed(),
];

/// # Safety
/// GIL held; `a` CPython's vectorcall arguments.
unsafe fn one_qid(fname: &CStr, a: FastArgs) -> PyResult<QueueId> {
    // SAFETY: CPython's vectorcall arguments (caller).
    unsafe {
        let [q] = a.parse(fname, [c"qid"], 1)?;
        qid_arg(q)
    }
}

/// CPython 3.13's `qidarg_converter` (its label is empty, hence the
/// leading space in "` must be a non-negative int`", kept verbatim).
///
/// # Safety
/// GIL held; `q` a live (borrowed) argument.
unsafe fn qid_arg(q: *mut PyObject) -> PyResult<QueueId> {
    // SAFETY: `q` is a borrowed argument (caller).
    Ok(QueueId(unsafe { pf::id_arg(q, "")? } as u64))
}

fn unboundop(op: i64) -> PyResult<UnboundOp> {
    UnboundOp::try_from(op).map_err(|e| pf::value_error(&e.to_string()))
}

/// # Safety
/// GIL held; `m` is our module and `a` CPython's vectorcall arguments.
unsafe fn create_impl(m: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held; borrowed args.
    unsafe {
        let [ms, fmt, op] = a.parse(c"create", [c"maxsize", c"fmt", c"unboundop"], 3)?;
        let maxsize = pf::ssize_arg(ms)?;
        let fmt = pf::int_arg(fmt)?;
        let unbound = unboundop(pf::int_arg(op)?)?;
        let qid = check(m, queues().create(maxsize, QueueDefaults { fmt, unbound }))?;
        pf::int(qid.0 as i64)
    }
}
entry!(create, create_impl);

/// # Safety
/// GIL held; `m` is our module and `a` CPython's vectorcall arguments.
unsafe fn destroy_impl(m: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        let qid = one_qid(c"destroy", a)?;
        check(m, queues().destroy(qid))?;
    }
    Ok(pf::none())
}
entry!(destroy, destroy_impl);

/// # Safety
/// CPython calls it (METH_NOARGS) with the GIL held.
unsafe extern "C" fn list_all(_m: *mut PyObject, _: *mut PyObject) -> *mut PyObject {
    pf::ret((|| {
        let all = queues().list_all();
        // SAFETY: GIL held (module function); new list of `all.len()`
        // slots, each filled once with a stolen reference.
        unsafe {
            let list = Owned::from_new(ffi::PyList_New(all.len() as ffi::Py_ssize_t))?;
            for (i, (qid, d)) in all.into_iter().enumerate() {
                let t = pf::tuple([
                    pf::int(qid.0 as i64)?,
                    pf::int(d.fmt)?,
                    pf::int(d.unbound as i64)?,
                ])?;
                ffi::PyList_SET_ITEM(list.as_ptr(), i as ffi::Py_ssize_t, t.into_ptr());
            }
            Ok(list)
        }
    })())
}

/// Parses and converts the put arguments (conversion happens here, in the
/// caller's interpreter, before any queue is touched, as CPython does).
///
/// # Safety
/// GIL held; `a` CPython's vectorcall arguments.
unsafe fn put_args(
    fname: &CStr,
    a: FastArgs,
    with_timeout: bool,
) -> PyResult<(QueueId, Item, UnboundOp, Option<Duration>)> {
    // SAFETY: GIL held; borrowed args.
    unsafe {
        let [q, obj, fmt, op, timeout] = if with_timeout {
            a.parse(fname, [c"qid", c"obj", c"fmt", c"unboundop", c"timeout"], 4)?
        } else {
            let [q, obj, fmt, op] = a.parse(fname, [c"qid", c"obj", c"fmt", c"unboundop"], 4)?;
            [q, obj, fmt, op, core::ptr::null_mut()]
        };
        let qid = qid_arg(q)?;
        let fmt = pf::int_arg(fmt)?;
        let unbound = unboundop(pf::int_arg(op)?)?;
        let timeout = timeout_arg(timeout)?;
        let shared = convert::to_shared(obj, interp::current())?;
        Ok((qid, Item { shared, fmt }, unbound, timeout))
    }
}

/// # Safety
/// GIL held; `m` is our module and `a` CPython's vectorcall arguments.
unsafe fn put_impl(m: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held. A refused item is dropped inside the kernel call,
    // with the GIL still held (native data is routed by CPython).
    unsafe {
        let (qid, item, unbound, _) = put_args(c"put", a, false)?;
        let owner = interp::current();
        check(
            m,
            queues()
                .try_push(owner, qid, item, unbound)
                .map_err(|e| e.error()),
        )?;
    }
    Ok(pf::none())
}
entry!(put, put_impl);

/// `(obj, fmt, None)` or `(None, fmt, unboundop)` for an unbound item
/// (whose own fmt died with its data: the queue's default is reported).
///
/// # Safety
/// GIL held (the item's objects are built in the calling interpreter).
unsafe fn received(qid: QueueId, r: Received<Item>) -> PyResult<Owned> {
    match r {
        Received::Item(item) => {
            // SAFETY: GIL held (caller). The item is dropped (released)
            // after the new object exists, also on failure.
            let obj = unsafe { convert::from_shared(&item.shared)? };
            let fmt = item.fmt;
            drop(item);
            pf::tuple([obj, pf::int(fmt)?, pf::none()])
        }
        Received::Unbound(op) => {
            let fmt = queues().defaults(qid).map_or(0, |d| d.fmt);
            pf::tuple([pf::none(), pf::int(fmt)?, pf::int(op as i64)?])
        }
    }
}

/// # Safety
/// GIL held; `m` is our module and `a` CPython's vectorcall arguments.
unsafe fn get_impl(m: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        let qid = one_qid(c"get", a)?;
        let r = check(m, queues().try_pop(qid))?;
        received(qid, r)
    }
}
entry!(get, get_impl);

/// # Safety
/// GIL held; `m` is our module and `a` CPython's vectorcall arguments.
unsafe fn bind_impl(m: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        let qid = one_qid(c"bind", a)?;
        check(m, queues().bind(qid))?;
    }
    Ok(pf::none())
}
entry!(bind, bind_impl);

/// # Safety
/// GIL held; `m` is our module and `a` CPython's vectorcall arguments.
unsafe fn release_impl(m: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        let qid = one_qid(c"release", a)?;
        check(m, queues().release(qid))?;
    }
    Ok(pf::none())
}
entry!(release, release_impl);

/// # Safety
/// GIL held; `m` is our module and `a` CPython's vectorcall arguments.
unsafe fn get_maxsize_impl(m: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        let qid = one_qid(c"get_maxsize", a)?;
        pf::int(check(m, queues().maxsize(qid))?)
    }
}
entry!(get_maxsize, get_maxsize_impl);

/// # Safety
/// GIL held; `m` is our module and `a` CPython's vectorcall arguments.
unsafe fn get_queue_defaults_impl(m: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        let qid = one_qid(c"get_queue_defaults", a)?;
        let d = check(m, queues().defaults(qid))?;
        pf::tuple([pf::int(d.fmt)?, pf::int(d.unbound as i64)?])
    }
}
entry!(get_queue_defaults, get_queue_defaults_impl);

/// # Safety
/// GIL held; `m` is our module and `a` CPython's vectorcall arguments.
unsafe fn is_full_impl(m: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        let qid = one_qid(c"is_full", a)?;
        Ok(pf::boolean(check(m, queues().is_full(qid))?))
    }
}
entry!(is_full, is_full_impl);

/// # Safety
/// GIL held; `m` is our module and `a` CPython's vectorcall arguments.
unsafe fn get_count_impl(m: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        let qid = one_qid(c"get_count", a)?;
        pf::int(check(m, queues().len(qid))? as i64)
    }
}
entry!(get_count, get_count_impl);

/// # Safety
/// GIL held; `m` is our module and `a` CPython's vectorcall arguments.
unsafe fn register_heap_types_impl(m: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held; borrowed args; state slots own their references.
    unsafe {
        let [qt, empty, full] = a.parse(
            c"_register_heap_types",
            [c"queuetype", c"emptyerror", c"fullerror"],
            3,
        )?;
        if ffi::PyType_Check(qt) == 0 {
            return Err(pf::type_error("expected a type for 'queuetype'"));
        }
        if ffi::PyExceptionClass_Check(empty) == 0 {
            return Err(pf::type_error(
                "expected an exception type for 'emptyerror'",
            ));
        }
        if ffi::PyExceptionClass_Check(full) == 0 {
            return Err(pf::type_error("expected an exception type for 'fullerror'"));
        }
        queueobj::set_queue_type(m, qt)?;
        let st = state::get(m);
        let own = |p: *mut PyObject| Owned::from_borrowed(core::ptr::NonNull::new_unchecked(p));
        module::set_slot(&mut (*st).queue_empty, Some(own(empty)));
        module::set_slot(&mut (*st).queue_full, Some(own(full)));
    }
    Ok(pf::none())
}
entry!(register_heap_types, register_heap_types_impl);

/// `None` = forever; else a non-negative number of seconds (fractions kept).
///
/// # Safety
/// GIL held; `t` NULL or a live (borrowed) argument.
unsafe fn timeout_arg(t: *mut PyObject) -> PyResult<Option<Duration>> {
    // SAFETY: `t` is NULL or a borrowed argument.
    unsafe {
        if t.is_null() || t == ffi::Py_None() {
            return Ok(None);
        }
        let secs = ffi::PyFloat_AsDouble(t);
        if secs == -1.0 && !ffi::PyErr_Occurred().is_null() {
            return Err(PyErrSet);
        }
        if secs.is_nan() || secs < 0.0 {
            return Err(pf::value_error("timeout value must be non-negative"));
        }
        Ok(Some(
            Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX),
        ))
    }
}

/// # Safety
/// GIL held; `m` is our module and `a` CPython's vectorcall arguments.
unsafe fn get_wait_impl(m: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held; borrowed args.
    unsafe {
        let [q, t] = a.parse(c"get_wait", [c"qid", c"timeout"], 1)?;
        let qid = qid_arg(q)?;
        let timeout = timeout_arg(t)?;
        // An item already there is taken without giving up the GIL (a
        // detach/re-attach costs more than the get itself).
        match queues().try_pop(qid) {
            Err(QueueError::Empty(_)) => {}
            r => return received(qid, check(m, r)?),
        }
        let (r, raised) = interp::wait_interruptibly(timeout, |w| queues().pop_wait(qid, w));
        let r = match r {
            // A signal handler raised: its exception is set.
            Err(QueueError::Interrupted(_)) => return Err(PyErrSet),
            // The wrapper's `QueueEmpty` ("queue N is empty").
            Err(QueueError::Timeout(q)) => Err(QueueError::Empty(q)),
            r => {
                if raised {
                    // Got an item after all: the pending signal's
                    // exception must not leak into a successful call.
                    ffi::PyErr_Clear();
                }
                r
            }
        };
        received(qid, check(m, r)?)
    }
}
entry!(get_wait, get_wait_impl);

/// # Safety
/// GIL held; `m` is our module and `a` CPython's vectorcall arguments.
unsafe fn put_wait_impl(m: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held while converting and raising; the wait itself runs
    // detached and re-takes the GIL only to run signal handlers. A refused
    // item comes back from the kernel and is dropped here, GIL held.
    unsafe {
        let (qid, item, unbound, timeout) = put_args(c"put_wait", a, true)?;
        let owner = interp::current();
        let (r, raised) = interp::wait_interruptibly(timeout, |w| {
            queues().push_wait(owner, qid, item, unbound, w)
        });
        match r {
            Ok(()) => {
                if raised {
                    // Put after all: nothing to report.
                    ffi::PyErr_Clear();
                }
            }
            Err(e) => {
                let (e, item) = e.into_parts();
                // Not put: released now, in its own interpreter.
                drop(item);
                match e {
                    // A signal handler raised: its exception is set.
                    QueueError::Interrupted(_) => return Err(PyErrSet),
                    // The wrapper's `QueueFull` ("queue N is full").
                    QueueError::Timeout(q) => check(m, Err(QueueError::Full(q)))?,
                    e => check(m, Err(e))?,
                }
            }
        }
    }
    Ok(pf::none())
}
entry!(put_wait, put_wait_impl);

/// # Safety
/// CPython calls it (METH_NOARGS) with the GIL held.
unsafe extern "C" fn live_items(_m: *mut PyObject, _: *mut PyObject) -> *mut PyObject {
    let n: usize = queues()
        .list_all()
        .into_iter()
        .filter_map(|(q, _)| queues().len(q).ok())
        .sum();
    pf::ret(pf::int(n as i64))
}

/// # Safety
/// CPython calls it (METH_NOARGS) with the GIL held.
unsafe extern "C" fn kernel_name(_m: *mut PyObject, _: *mut PyObject) -> *mut PyObject {
    pf::ret(pf::str("xikernel"))
}
