//! Moving objects: `send`, `send_buffer`, `recv` (vectorcall, with a fast
//! path for the common argument shapes and CPython's parser for the rest)
//! and the blocking `recv_wait` extension.

use core::ffi::c_int;
use core::ptr;

use pyo3_ffi::*;
use xikernel::channel::{ChannelError, Received, UnboundOp};
use xikernel_py::ffi::FastArgs;
use xikernel_py::interp;

use super::{none_or_raise, unbound_op, CONVERT};
use crate::cid::{cid_converter, CidArg};
use crate::errors;
use crate::global;
use crate::item::{self, Item};
use crate::wait;

/// Parsed `send` / `send_buffer` arguments.
struct SendArgs {
    cid: CidArg,
    obj: *mut PyObject,
    op: c_int,
    blocking: bool,
    timeout: *mut PyObject,
}

/// What the vectorcall fast path made of a call.
enum Fast<T> {
    Parsed(T),
    /// Anything unusual: CPython's own parser decides (and words errors).
    Fallback,
    /// An exception is set.
    Error,
}

/// `send(cid, obj[, unboundop], *, blocking, timeout)` without building a
/// tuple and a dict: positional `cid`, `obj`, an exact-int `unboundop`,
/// and the keywords `blocking` / `timeout` (or `unboundop`). Every other
/// shape goes to CPython's parser.
///
/// # Safety
/// GIL held; `a` is what CPython passed; `module` is ours.
unsafe fn fast_send(module: *mut PyObject, a: &FastArgs) -> Fast<SendArgs> {
    // SAFETY: `args` holds `nargs` positional values then one per name in
    // `kwnames`, all borrowed for the call (vectorcall protocol).
    unsafe {
        let nargs = PyVectorcall_NARGS(a.nargsf as usize) as usize;
        if !(2..=3).contains(&nargs) {
            return Fast::Fallback;
        }
        let mut out = SendArgs {
            cid: CidArg::new(module),
            obj: *a.args.add(1),
            op: UnboundOp::Replace as c_int,
            blocking: true,
            timeout: ptr::null_mut(),
        };
        let mut op_arg = (nargs == 3).then(|| *a.args.add(2));
        let mut blocking_arg = None;
        let nkw = if a.kwnames.is_null() {
            0
        } else {
            PyTuple_GET_SIZE(a.kwnames) as usize
        };
        for k in 0..nkw {
            let name = PyTuple_GET_ITEM(a.kwnames, k as Py_ssize_t);
            let value = *a.args.add(nargs + k);
            if PyUnicode_CompareWithASCIIString(name, c"blocking".as_ptr()) == 0 {
                blocking_arg = Some(value);
            } else if PyUnicode_CompareWithASCIIString(name, c"timeout".as_ptr()) == 0 {
                out.timeout = value;
            } else if nargs == 2
                && PyUnicode_CompareWithASCIIString(name, c"unboundop".as_ptr()) == 0
            {
                op_arg = Some(value);
            } else {
                return Fast::Fallback;
            }
        }
        if let Some(op) = op_arg {
            if PyLong_CheckExact(op) == 0 {
                return Fast::Fallback;
            }
            let mut overflow = 0;
            let v = PyLong_AsLongAndOverflow(op, &mut overflow);
            match c_int::try_from(v) {
                Ok(v) if overflow == 0 => out.op = v,
                _ => return Fast::Fallback,
            }
        }
        if cid_converter(*a.args, (&mut out.cid as *mut CidArg).cast()) == 0 {
            return Fast::Error;
        }
        if let Some(b) = blocking_arg {
            match PyObject_IsTrue(b) {
                t if t < 0 => return Fast::Error,
                t => out.blocking = t != 0,
            }
        }
        Fast::Parsed(out)
    }
}

/// `send` / `send_buffer` through CPython's parser.
///
/// # Safety
/// GIL held; `args` a tuple, `kwds` null or a dict; `module` is ours.
unsafe fn parse_send(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
    fmt: &core::ffi::CStr,
) -> Option<SendArgs> {
    let kw = kwlist!(c"cid", c"obj", c"unboundop", c"blocking", c"timeout");
    let mut cid = CidArg::new(module);
    let mut obj: *mut PyObject = ptr::null_mut();
    let mut op: c_int = UnboundOp::Replace as c_int;
    let mut blocking: c_int = 1;
    let mut timeout: *mut PyObject = ptr::null_mut();
    // SAFETY: GIL held; the format matches the out-pointers.
    let ok = unsafe {
        PyArg_ParseTupleAndKeywords(
            args,
            kwds,
            fmt.as_ptr(),
            kw.as_ptr(),
            CONVERT,
            &mut cid as *mut CidArg,
            &mut obj as *mut *mut PyObject,
            &mut op as *mut c_int,
            &mut blocking as *mut c_int,
            &mut timeout as *mut *mut PyObject,
        )
    };
    (ok != 0).then_some(SendArgs {
        cid,
        obj,
        op,
        blocking: blocking != 0,
        timeout,
    })
}

/// `send` and `send_buffer`: the fast path, else CPython's parser.
///
/// # Safety
/// As (1), with vectorcall arguments.
unsafe fn send_impl(
    module: *mut PyObject,
    a: FastArgs,
    fmt: &core::ffi::CStr,
    buffer: bool,
) -> *mut PyObject {
    // SAFETY: GIL held; `a` is what CPython passed.
    unsafe {
        let parsed = match fast_send(module, &a) {
            Fast::Parsed(p) => p,
            Fast::Error => return ptr::null_mut(),
            Fast::Fallback => {
                let Ok((t, d)) = a.to_tuple_dict() else {
                    return ptr::null_mut();
                };
                let dp = d.as_ref().map_or(ptr::null_mut(), |d| d.as_ptr());
                match parse_send(module, t.as_ptr(), dp, fmt) {
                    Some(p) => p,
                    None => return ptr::null_mut(),
                }
            }
        };
        send_parsed(module, parsed, buffer)
    }
}

/// # Safety
/// GIL held; `module` is ours; the objects in `p` are borrowed from the call.
unsafe fn send_parsed(module: *mut PyObject, p: SendArgs, buffer: bool) -> *mut PyObject {
    // SAFETY: GIL held; `p.obj` and `p.timeout` are live for the call.
    unsafe {
        let Some(op) = unbound_op(p.op) else {
            return ptr::null_mut();
        };
        let Ok(timeout) = wait::parse_timeout(p.timeout, p.blocking) else {
            return ptr::null_mut();
        };
        item::release_deferred();
        let interp = interp::current();
        let it = if buffer {
            let view = PyMemoryView_FromObject(p.obj);
            if view.is_null() {
                return view;
            }
            let it = item::from_object(view, interp);
            Py_DECREF(view);
            it
        } else {
            item::from_object(p.obj, interp)
        };
        let Some(it) = it else {
            return ptr::null_mut();
        };
        if p.blocking {
            wait::send(module, interp, p.cid.id(), it, op, timeout)
        } else {
            none_or_raise(
                module,
                global::get()
                    .channels
                    .send(interp, p.cid.id(), it, op)
                    .map_err(|e| e.error()),
            )
        }
    }
}

pub(super) unsafe extern "C" fn send(
    module: *mut PyObject,
    args: *const *mut PyObject,
    nargsf: Py_ssize_t,
    kwnames: *mut PyObject,
) -> *mut PyObject {
    let a = FastArgs {
        args,
        nargsf,
        kwnames,
    };
    // SAFETY: (5) as (1), with vectorcall arguments.
    unsafe { send_impl(module, a, c"O&O|i$pO:channel_send", false) }
}

pub(super) unsafe extern "C" fn send_buffer(
    module: *mut PyObject,
    args: *const *mut PyObject,
    nargsf: Py_ssize_t,
    kwnames: *mut PyObject,
) -> *mut PyObject {
    let a = FastArgs {
        args,
        nargsf,
        kwnames,
    };
    // SAFETY: (6) as (1), with vectorcall arguments.
    unsafe { send_impl(module, a, c"O&O|i$pO:channel_send_buffer", true) }
}

/// `(obj, None)` for an item, `(None, op)` for an unbound one.
///
/// # Safety
/// GIL held.
unsafe fn received(r: Received<Item>) -> *mut PyObject {
    // SAFETY: GIL held; `N` steals the new reference.
    unsafe {
        match r {
            Received::Item(it) => {
                let obj = item::into_object(it);
                if obj.is_null() {
                    return obj;
                }
                Py_BuildValue(c"(NO)".as_ptr(), obj, Py_None())
            }
            Received::Unbound(op) => Py_BuildValue(c"(Oi)".as_ptr(), Py_None(), op as c_int),
        }
    }
}

pub(super) unsafe extern "C" fn recv(
    module: *mut PyObject,
    args: *const *mut PyObject,
    nargsf: Py_ssize_t,
    kwnames: *mut PyObject,
) -> *mut PyObject {
    let a = FastArgs {
        args,
        nargsf,
        kwnames,
    };
    // SAFETY: (7) as (1), with vectorcall arguments: `args` holds `nargs`
    // borrowed positional values (no keywords on the fast path).
    unsafe {
        let nargs = PyVectorcall_NARGS(a.nargsf as usize) as usize;
        let mut cid = CidArg::new(module);
        let mut dflt: *mut PyObject = ptr::null_mut();
        if a.kwnames.is_null() && (1..=2).contains(&nargs) {
            if cid_converter(*a.args, (&mut cid as *mut CidArg).cast()) == 0 {
                return ptr::null_mut();
            }
            if nargs == 2 {
                dflt = *a.args.add(1);
            }
        } else {
            let Ok((t, d)) = a.to_tuple_dict() else {
                return ptr::null_mut();
            };
            let dp = d.as_ref().map_or(ptr::null_mut(), |d| d.as_ptr());
            let kw = kwlist!(c"cid", c"default");
            if PyArg_ParseTupleAndKeywords(
                t.as_ptr(),
                dp,
                c"O&|O:channel_recv".as_ptr(),
                kw.as_ptr(),
                CONVERT,
                &mut cid as *mut CidArg,
                &mut dflt as *mut *mut PyObject,
            ) == 0
            {
                return ptr::null_mut();
            }
        }
        match global::get().channels.try_recv(interp::current(), cid.id()) {
            Ok(r) => received(r),
            Err(ChannelError::Empty(_)) if !dflt.is_null() => {
                Py_BuildValue(c"(OO)".as_ptr(), dflt, Py_None())
            }
            Err(e) => errors::raise(module, e),
        }
    }
}

pub(super) unsafe extern "C" fn recv_wait(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: (8) as (1).
    unsafe {
        let kw = kwlist!(c"cid", c"timeout");
        let mut cid = CidArg::new(module);
        let mut timeout: *mut PyObject = ptr::null_mut();
        if PyArg_ParseTupleAndKeywords(
            args,
            kwds,
            c"O&|O:recv_wait".as_ptr(),
            kw.as_ptr(),
            CONVERT,
            &mut cid as *mut CidArg,
            &mut timeout as *mut *mut PyObject,
        ) == 0
        {
            return ptr::null_mut();
        }
        let Ok(timeout) = wait::parse_timeout(timeout, true) else {
            return ptr::null_mut();
        };
        match wait::recv(interp::current(), cid.id(), timeout) {
            Ok(r) => received(r),
            Err(Some(e)) => errors::raise(module, e),
            Err(None) => ptr::null_mut(),
        }
    }
}
