//! The module functions, with CPython 3.13's signatures (parsed by
//! `PyArg_ParseTupleAndKeywords` with CPython's own format strings, so
//! argument errors read the same) and results.

use core::ffi::{c_int, c_void};
use core::ptr;

use pyo3_ffi::*;
use xikernel::channel::{ChannelError, End, UnboundOp};
use xikernel_py::interp;

use crate::cid::{self, cid_converter, CidArg, BOTH, RECV, SEND};
use crate::errors::{self, set_error};
use crate::global;
use crate::info;
use crate::item;
use crate::state::State;

type Converter = unsafe extern "C" fn(*mut PyObject, *mut c_void) -> c_int;
const CONVERT: Converter = cid_converter;

/// A keyword list for `PyArg_ParseTupleAndKeywords`.
macro_rules! kwlist {
    ($($name:literal),*) => {
        [$($name.as_ptr(),)* core::ptr::null::<core::ffi::c_char>()]
    };
}

/// `unboundop` as CPython checks it.
///
/// # Safety
/// GIL held.
unsafe fn unbound_op(op: c_int) -> Option<UnboundOp> {
    match UnboundOp::try_from(op as i64) {
        Ok(op) => Some(op),
        Err(e) => {
            // SAFETY: GIL held.
            unsafe { set_error(PyExc_ValueError, &e.to_string()) };
            None
        }
    }
}

/// `None`, or the error raised.
///
/// # Safety
/// GIL held; `module` is ours.
unsafe fn none_or_raise(module: *mut PyObject, r: Result<(), ChannelError>) -> *mut PyObject {
    // SAFETY: GIL held.
    unsafe {
        match r {
            Ok(()) => Py_NewRef(Py_None()),
            Err(e) => errors::raise(module, e),
        }
    }
}

/// Parses a lone `cid` argument.
///
/// # Safety
/// GIL held; `module` is ours.
unsafe fn parse_cid(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
    fmt: &core::ffi::CStr,
) -> Option<CidArg> {
    let kw = kwlist!(c"cid");
    let mut cid = CidArg::new(module);
    // SAFETY: the format has one `O&` matching the converter and data.
    let ok = unsafe {
        PyArg_ParseTupleAndKeywords(
            args,
            kwds,
            fmt.as_ptr(),
            kw.as_ptr(),
            CONVERT,
            &mut cid as *mut CidArg,
        )
    };
    (ok != 0).then_some(cid)
}

unsafe extern "C" fn create(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: (1) CPython calls module functions with the GIL held and
    // `module` = our module; the format matches the out-pointers.
    unsafe {
        let kw = kwlist!(c"unboundop");
        let mut op: c_int = 0;
        if PyArg_ParseTupleAndKeywords(
            args,
            kwds,
            c"i:create".as_ptr(),
            kw.as_ptr(),
            &mut op as *mut c_int,
        ) == 0
        {
            return ptr::null_mut();
        }
        let Some(op) = unbound_op(op) else {
            return ptr::null_mut();
        };
        let g = global::get();
        let cid = match g.create(op) {
            Ok(cid) => cid,
            Err(e) => return errors::raise(module, e),
        };
        let obj = cid::new_or_raise(
            module,
            State::of(module).cid_type,
            cid.0 as i64,
            BOTH,
            false,
            false,
        );
        if obj.is_null() {
            let _ = g.destroy(cid);
        }
        obj
    }
}

unsafe extern "C" fn destroy(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: (2) as (1).
    unsafe {
        let Some(cid) = parse_cid(module, args, kwds, c"O&:channel_destroy") else {
            return ptr::null_mut();
        };
        none_or_raise(module, global::get().destroy(cid.id()))
    }
}

unsafe extern "C" fn list_all(module: *mut PyObject, _: *mut PyObject) -> *mut PyObject {
    // SAFETY: (3) as (1); list items are new references the list steals.
    unsafe {
        let all = global::get().channels.list_all();
        let list = PyList_New(all.len() as Py_ssize_t);
        if list.is_null() {
            return list;
        }
        let cls = State::of(module).cid_type;
        for (i, (cid, op)) in all.into_iter().enumerate() {
            let obj = cid::new_or_raise(module, cls, cid.0 as i64, BOTH, false, false);
            if obj.is_null() {
                Py_DECREF(list);
                return obj;
            }
            let item = Py_BuildValue(c"(Ni)".as_ptr(), obj, op as c_int);
            if item.is_null() {
                Py_DECREF(list);
                return item;
            }
            PyList_SET_ITEM(list, i as Py_ssize_t, item);
        }
        list
    }
}

unsafe extern "C" fn list_interpreters(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: (4) as (1).
    unsafe {
        let kw = kwlist!(c"cid", c"send");
        let mut cid = CidArg::new(module);
        let mut send: c_int = 0;
        if PyArg_ParseTupleAndKeywords(
            args,
            kwds,
            c"O&$p:channel_list_interpreters".as_ptr(),
            kw.as_ptr(),
            CONVERT,
            &mut cid as *mut CidArg,
            &mut send as *mut c_int,
        ) == 0
        {
            return ptr::null_mut();
        }
        let ids = match global::get()
            .channels
            .list_interpreters(cid.id(), send != 0)
        {
            Ok(ids) => ids,
            Err(e) => return errors::raise(module, e),
        };
        let list = PyList_New(ids.len() as Py_ssize_t);
        if list.is_null() {
            return list;
        }
        for (i, id) in ids.into_iter().enumerate() {
            let v = PyLong_FromLongLong(id.0 as i64);
            if v.is_null() {
                Py_DECREF(list);
                return v;
            }
            PyList_SET_ITEM(list, i as Py_ssize_t, v);
        }
        list
    }
}

mod transfer;
use transfer::{recv, recv_wait, send, send_buffer};

/// Parses `(cid, *, send=False, recv=False, force=False)`.
///
/// # Safety
/// As (1).
unsafe fn parse_ends(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
    fmt: &core::ffi::CStr,
) -> Option<(CidArg, bool, bool, bool)> {
    let kw = kwlist!(c"cid", c"send", c"recv", c"force");
    let mut cid = CidArg::new(module);
    let (mut send, mut recv, mut force): (c_int, c_int, c_int) = (0, 0, 0);
    // SAFETY: GIL held; the format matches the out-pointers.
    let ok = unsafe {
        PyArg_ParseTupleAndKeywords(
            args,
            kwds,
            fmt.as_ptr(),
            kw.as_ptr(),
            CONVERT,
            &mut cid as *mut CidArg,
            &mut send as *mut c_int,
            &mut recv as *mut c_int,
            &mut force as *mut c_int,
        )
    };
    (ok != 0).then_some((cid, send != 0, recv != 0, force != 0))
}

unsafe extern "C" fn close(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: (9) as (1).
    unsafe {
        let Some((cid, send, recv, force)) =
            parse_ends(module, args, kwds, c"O&|$ppp:channel_close")
        else {
            return ptr::null_mut();
        };
        let end = End::from_flags(send, recv);
        none_or_raise(module, global::get().channels.close(cid.id(), end, force))
    }
}

unsafe extern "C" fn release(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: (10) as (1). `force` is accepted and ignored, as in CPython.
    unsafe {
        let Some((cid, send, recv, _force)) =
            parse_ends(module, args, kwds, c"O&|$ppp:channel_release")
        else {
            return ptr::null_mut();
        };
        let end = End::from_flags(send, recv);
        none_or_raise(
            module,
            global::get()
                .channels
                .release(interp::current(), cid.id(), end),
        )
    }
}

unsafe extern "C" fn get_count(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: (11) as (1).
    unsafe {
        let Some(cid) = parse_cid(module, args, kwds, c"O&:get_count") else {
            return ptr::null_mut();
        };
        match global::get().channels.len(cid.id()) {
            Ok(n) => PyLong_FromSize_t(n),
            Err(e) => errors::raise(module, e),
        }
    }
}

unsafe extern "C" fn get_info(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: (12) as (1).
    unsafe {
        let Some(cid) = parse_cid(module, args, kwds, c"O&:_get_info") else {
            return ptr::null_mut();
        };
        match global::get().channels.info(interp::current(), cid.id()) {
            Ok(i) => info::new(State::of(module).info_type, &i),
            Err(e) => errors::raise(module, e),
        }
    }
}

unsafe extern "C" fn get_channel_defaults(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: (13) as (1).
    unsafe {
        let Some(cid) = parse_cid(module, args, kwds, c"O&:get_channel_defaults") else {
            return ptr::null_mut();
        };
        match global::get().channels.defaults(cid.id()) {
            Ok(op) => PyLong_FromLong(op as core::ffi::c_long),
            Err(e) => errors::raise(module, e),
        }
    }
}

unsafe extern "C" fn channel_id(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: (14) as (1).
    unsafe {
        let kw = kwlist!(c"id", c"send", c"recv", c"force", c"_resolve");
        let mut cid = CidArg::new(module);
        let (mut send, mut recv, mut force, mut resolve): (c_int, c_int, c_int, c_int) =
            (-1, -1, 0, 0);
        if PyArg_ParseTupleAndKeywords(
            args,
            kwds,
            c"O&|$pppp:ChannelID.__new__".as_ptr(),
            kw.as_ptr(),
            CONVERT,
            &mut cid as *mut CidArg,
            &mut send as *mut c_int,
            &mut recv as *mut c_int,
            &mut force as *mut c_int,
            &mut resolve as *mut c_int,
        ) == 0
        {
            return ptr::null_mut();
        }
        // -1 = not given.
        let end = match (send, recv) {
            (0, 0) => {
                set_error(PyExc_ValueError, "'send' and 'recv' cannot both be False");
                return ptr::null_mut();
            }
            (1, 1) => BOTH,
            (1, _) => SEND,
            (_, 1) => RECV,
            _ => cid.end,
        };
        cid::new_or_raise(
            module,
            State::of(module).cid_type,
            cid.cid,
            end,
            force != 0,
            resolve != 0,
        )
    }
}

unsafe extern "C" fn register_end_types(
    module: *mut PyObject,
    args: *mut PyObject,
    kwds: *mut PyObject,
) -> *mut PyObject {
    // SAFETY: (15) as (1).
    unsafe {
        let kw = kwlist!(c"send", c"recv");
        let (mut send, mut recv): (*mut PyObject, *mut PyObject) =
            (ptr::null_mut(), ptr::null_mut());
        if PyArg_ParseTupleAndKeywords(
            args,
            kwds,
            c"OO:_register_end_types".as_ptr(),
            kw.as_ptr(),
            &mut send as *mut *mut PyObject,
            &mut recv as *mut *mut PyObject,
        ) == 0
        {
            return ptr::null_mut();
        }
        if PyType_Check(send) == 0 {
            set_error(PyExc_TypeError, "expected a type for 'send'");
            return ptr::null_mut();
        }
        if PyType_Check(recv) == 0 {
            set_error(PyExc_TypeError, "expected a type for 'recv'");
            return ptr::null_mut();
        }
        if item::register_end_types(State::of(module), send, recv) < 0 {
            return ptr::null_mut();
        }
        Py_NewRef(Py_None())
    }
}

unsafe extern "C" fn kernel(_: *mut PyObject, _: *mut PyObject) -> *mut PyObject {
    // SAFETY: (16) GIL held (module function).
    unsafe { PyUnicode_FromString(c"xikernel".as_ptr()) }
}

use xikernel_py::module::{method as kw_method, method_fast as fast_method};

static mut METHODS: [PyMethodDef; 17] = [
    kw_method(c"create", create, c"channel_create(unboundop) -> cid\n\nCreate a new cross-interpreter channel and return a unique generated ID."),
    kw_method(c"destroy", destroy, c"channel_destroy(cid)\n\nClose and finalize the channel.  Afterward attempts to use the channel\nwill behave as though it never existed."),
    PyMethodDef {
        ml_name: c"list_all".as_ptr(),
        ml_meth: PyMethodDefPointer { PyCFunction: list_all },
        ml_flags: METH_NOARGS,
        ml_doc: c"channel_list_all() -> [cid]\n\nReturn the list of all IDs for active channels.".as_ptr(),
    },
    kw_method(c"list_interpreters", list_interpreters, c"channel_list_interpreters(cid, *, send) -> [id]\n\nReturn the list of all interpreter IDs associated with an end of the channel.\n\nThe 'send' argument should be a boolean indicating whether to use the send or\nreceive end."),
    fast_method(c"send", send, c"channel_send(cid, obj, *, blocking=True, timeout=None)\n\nAdd the object's data to the channel's queue.\nBy default this waits for the object to be received."),
    fast_method(c"send_buffer", send_buffer, c"channel_send_buffer(cid, obj, *, blocking=True, timeout=None)\n\nAdd the object's buffer to the channel's queue.\nBy default this waits for the object to be received."),
    fast_method(c"recv", recv, c"channel_recv(cid, [default]) -> (obj, unboundop)\n\nReturn a new object from the data at the front of the channel's queue.\n\nIf there is nothing to receive then raise ChannelEmptyError, unless\na default value is provided.  In that case return it."),
    kw_method(c"recv_wait", recv_wait, c"recv_wait(cid, timeout=None) -> (obj, unboundop)\n\nxikernel extension: like recv(), but wait (GIL released, woken by the\nsender) until an item arrives; TimeoutError after 'timeout' seconds."),
    kw_method(c"close", close, c"channel_close(cid, *, send=None, recv=None, force=False)\n\nClose the channel for all interpreters.\n\nIf the channel is empty then the keyword args are ignored and both\nends are immediately closed.  Otherwise, if 'force' is True then\nall queued items are released and both ends are immediately\nclosed.\n\nIf the channel is not empty *and* 'force' is False then following\nhappens:\n\n * recv is True (regardless of send):\n   - raise ChannelNotEmptyError\n * recv is None and send is None:\n   - raise ChannelNotEmptyError\n * send is True and recv is not True:\n   - fully close the 'send' end\n   - close the 'recv' end to interpreters not already receiving\n   - fully close it once empty\n\nClosing an already closed channel results in a ChannelClosedError.\n\nOnce the channel's ID has no more ref counts in any interpreter\nthe channel will be destroyed."),
    kw_method(c"release", release, c"channel_release(cid, *, send=None, recv=None, force=True)\n\nClose the channel for the current interpreter.  'send' and 'recv'\n(bool) may be used to indicate the ends to close.  By default both\nends are closed.  Closing an already closed end is a noop."),
    kw_method(c"get_count", get_count, c"get_count(cid)\n\nReturn the number of items in the channel."),
    kw_method(c"get_info", get_info, c"get_info(cid)\n\nReturn details about the channel."),
    kw_method(c"get_channel_defaults", get_channel_defaults, c"get_channel_defaults(cid)\n\nReturn the channel's default values, set when it was created."),
    PyMethodDef {
        ml_name: c"_channel_id".as_ptr(),
        ml_meth: PyMethodDefPointer { PyCFunctionWithKeywords: channel_id },
        ml_flags: METH_VARARGS | METH_KEYWORDS,
        ml_doc: ptr::null(),
    },
    PyMethodDef {
        ml_name: c"_register_end_types".as_ptr(),
        ml_meth: PyMethodDefPointer { PyCFunctionWithKeywords: register_end_types },
        ml_flags: METH_VARARGS | METH_KEYWORDS,
        ml_doc: ptr::null(),
    },
    PyMethodDef {
        ml_name: c"_kernel".as_ptr(),
        ml_meth: PyMethodDefPointer { PyCFunction: kernel },
        ml_flags: METH_NOARGS,
        ml_doc: c"_kernel() -> 'xikernel' (this module is xikernel's, not CPython's)".as_ptr(),
    },
    PyMethodDef::zeroed(),
];

/// The method table for the module definition.
pub(crate) fn method_table() -> *mut PyMethodDef {
    ptr::addr_of_mut!(METHODS).cast()
}
