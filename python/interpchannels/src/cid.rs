//! `ChannelID`: a channel id plus an end (`send` / `recv` / `both`), usable
//! as an int, not instantiable from Python (`_channel_id` makes them).
//!
//! Each unforced object holds one count in [`global`](crate::global): the
//! channel is destroyed when the last one dies. Behaviour (repr, equality
//! with ints and other numbers, hashing, `.end`, `.send` / `.recv`) is
//! CPython 3.13's, tested by `test__interpchannels.ChannelIDTests`.

use core::ffi::{c_char, c_int, c_void};
use core::ptr;

use pyo3_ffi::*;
use xikernel::channel::{ChannelError, ChannelId};

use crate::errors;
use crate::global;
use crate::state::State;

/// `CHANNEL_SEND` / `CHANNEL_BOTH` / `CHANNEL_RECV`.
pub(crate) const SEND: c_int = 1;
pub(crate) const BOTH: c_int = 0;
pub(crate) const RECV: c_int = -1;

#[repr(C)]
pub(crate) struct ChannelIdObject {
    ob_base: PyObject,
    pub cid: i64,
    pub end: c_int,
    /// Rebuild the wrapper's end type when received (`_resolve=True`).
    pub resolve: c_int,
    /// Holds a count (false for a forced id of a missing channel).
    counted: c_int,
}

static mut GETSETS: [PyGetSetDef; 4] = [
    PyGetSetDef {
        name: c"end".as_ptr(),
        get: Some(get_end),
        set: None,
        doc: c"'send', 'recv', or 'both'".as_ptr(),
        closure: ptr::null_mut(),
    },
    PyGetSetDef {
        name: c"send".as_ptr(),
        get: Some(get_end),
        set: None,
        doc: c"the 'send' end of the channel".as_ptr(),
        closure: &SEND as *const c_int as *mut c_void,
    },
    PyGetSetDef {
        name: c"recv".as_ptr(),
        get: Some(get_end),
        set: None,
        doc: c"the 'recv' end of the channel".as_ptr(),
        closure: &RECV as *const c_int as *mut c_void,
    },
    PyGetSetDef {
        name: ptr::null(),
        get: None,
        set: None,
        doc: ptr::null(),
        closure: ptr::null_mut(),
    },
];

/// Builds the (per-module) `ChannelID` heap type.
///
/// # Safety
/// GIL held; `module` is ours.
pub(crate) unsafe fn new_type(module: *mut PyObject) -> *mut PyTypeObject {
    let mut slots = [
        (Py_tp_dealloc, dealloc as *mut c_void),
        (
            Py_tp_doc,
            c"A channel ID identifies a channel and may be used as an int.".as_ptr() as *mut c_void,
        ),
        (Py_tp_repr, repr as *mut c_void),
        (Py_tp_str, str as *mut c_void),
        (Py_tp_hash, hash as *mut c_void),
        (Py_tp_richcompare, richcompare as *mut c_void),
        (Py_tp_getset, ptr::addr_of_mut!(GETSETS).cast()),
        (Py_nb_int, int as *mut c_void),
        (Py_nb_index, int as *mut c_void),
        (0, ptr::null_mut()),
    ]
    .map(|(slot, pfunc)| PyType_Slot { slot, pfunc });
    let mut spec = PyType_Spec {
        name: c"_interpchannels.ChannelID".as_ptr(),
        basicsize: core::mem::size_of::<ChannelIdObject>() as c_int,
        itemsize: 0,
        flags: (Py_TPFLAGS_DEFAULT
            | Py_TPFLAGS_BASETYPE
            | Py_TPFLAGS_DISALLOW_INSTANTIATION
            | Py_TPFLAGS_IMMUTABLETYPE) as _,
        slots: slots.as_mut_ptr(),
    };
    // SAFETY: the spec and slots are valid for the call (CPython copies
    // what it keeps; the getset table and strings are 'static).
    unsafe { PyType_FromModuleAndSpec(module, &mut spec, ptr::null_mut()).cast() }
}

/// Makes a `ChannelID` of type `cls`. Unforced, it fails with `NotFound`
/// if the channel is gone; forced, it then holds no count.
///
/// # Safety
/// GIL held; `cls` is our `ChannelID` type (or a subclass).
pub(crate) unsafe fn new(
    cls: *mut PyTypeObject,
    cid: i64,
    end: c_int,
    force: bool,
    resolve: bool,
) -> Result<*mut PyObject, ChannelError> {
    let id = ChannelId(cid as u64);
    let counted = match global::get().add_ref(id) {
        Ok(()) => true,
        Err(ChannelError::NotFound(_)) if force => false,
        Err(e) => return Err(e),
    };
    // SAFETY: GIL held; a fresh object of `cls` has our layout.
    unsafe {
        let obj = PyType_GenericAlloc(cls, 0);
        if obj.is_null() {
            if counted {
                global::get().drop_ref(id);
            }
            return Ok(ptr::null_mut());
        }
        let o = obj.cast::<ChannelIdObject>();
        (*o).cid = cid;
        (*o).end = end;
        (*o).resolve = resolve as c_int;
        (*o).counted = counted as c_int;
        Ok(obj)
    }
}

/// `new` with kernel errors raised (null on error).
///
/// # Safety
/// As [`new`]; `module` is ours.
pub(crate) unsafe fn new_or_raise(
    module: *mut PyObject,
    cls: *mut PyTypeObject,
    cid: i64,
    end: c_int,
    force: bool,
    resolve: bool,
) -> *mut PyObject {
    // SAFETY: forwarded preconditions.
    unsafe {
        match new(cls, cid, end, force, resolve) {
            Ok(obj) => obj,
            Err(e) => errors::raise(module, e),
        }
    }
}

/// Our module, found from one of our types (a borrowed reference).
///
/// # Safety
/// GIL held.
pub(crate) unsafe fn module_of(obj: *mut PyObject) -> *mut PyObject {
    // SAFETY: GIL held; the type's MRO leads to our module's types.
    unsafe { PyType_GetModuleByDef(Py_TYPE(obj), crate::module_def()) }
}

/// Whether `obj` is a `ChannelID` of `module`.
///
/// # Safety
/// GIL held; `module` is ours.
pub(crate) unsafe fn check(
    module: *mut PyObject,
    obj: *mut PyObject,
) -> Option<&'static ChannelIdObject> {
    // SAFETY: a successful type check means our layout; the object
    // outlives the caller's use (it is borrowed from the caller's args).
    unsafe {
        let cls = State::of(module).cid_type;
        if !cls.is_null() && PyObject_TypeCheck(obj, cls) != 0 {
            Some(&*obj.cast::<ChannelIdObject>())
        } else {
            None
        }
    }
}

unsafe extern "C" fn dealloc(obj: *mut PyObject) {
    // SAFETY: (1) CPython deallocates one of our objects with the GIL held;
    // fields are read before the memory is freed; the heap type's
    // reference held by the instance is released after (as CPython does).
    unsafe {
        let o = &*obj.cast::<ChannelIdObject>();
        let (cid, counted) = (o.cid, o.counted != 0);
        let tp = Py_TYPE(obj);
        let free: Option<freefunc> = core::mem::transmute(PyType_GetSlot(tp, Py_tp_free));
        if let Some(free) = free {
            free(obj.cast());
        }
        Py_DECREF(tp.cast());
        if counted {
            // May destroy the channel (its items are released here, with
            // the GIL held).
            global::get().drop_ref(ChannelId(cid as u64));
        }
    }
}

unsafe extern "C" fn repr(obj: *mut PyObject) -> *mut PyObject {
    // SAFETY: (2) one of our objects, GIL held.
    unsafe {
        let o = &*obj.cast::<ChannelIdObject>();
        let name = PyType_GetName(Py_TYPE(obj));
        if name.is_null() {
            return name;
        }
        let fmt: &[u8] = match o.end {
            SEND => b"%U(%lld, send=True)\0",
            RECV => b"%U(%lld, recv=True)\0",
            _ => b"%U(%lld)\0",
        };
        let r = PyUnicode_FromFormat(
            fmt.as_ptr().cast::<c_char>(),
            name,
            o.cid as core::ffi::c_longlong,
        );
        Py_DECREF(name);
        r
    }
}

unsafe extern "C" fn str(obj: *mut PyObject) -> *mut PyObject {
    // SAFETY: (3) one of our objects, GIL held.
    unsafe {
        let s = (*obj.cast::<ChannelIdObject>()).cid.to_string();
        PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as Py_ssize_t)
    }
}

unsafe extern "C" fn int(obj: *mut PyObject) -> *mut PyObject {
    // SAFETY: (4) one of our objects, GIL held.
    unsafe { PyLong_FromLongLong((*obj.cast::<ChannelIdObject>()).cid) }
}

unsafe extern "C" fn hash(obj: *mut PyObject) -> Py_hash_t {
    // SAFETY: (5) one of our objects, GIL held: hash(int(cid)), as CPython.
    unsafe {
        let i = int(obj);
        if i.is_null() {
            return -1;
        }
        let h = PyObject_Hash(i);
        Py_DECREF(i);
        h
    }
}

unsafe extern "C" fn richcompare(
    obj: *mut PyObject,
    other: *mut PyObject,
    op: c_int,
) -> *mut PyObject {
    // SAFETY: (6) `obj` is one of ours, GIL held; `other` is any object.
    unsafe {
        if op != Py_EQ && op != Py_NE {
            return Py_NewRef(Py_NotImplemented());
        }
        let module = module_of(obj);
        if module.is_null() {
            return ptr::null_mut();
        }
        let me = &*obj.cast::<ChannelIdObject>();
        let equal = if let Some(o) = check(module, other) {
            o.end == me.end && o.cid == me.cid
        } else if PyLong_Check(other) != 0 {
            let mut overflow = 0;
            let v = PyLong_AsLongLongAndOverflow(other, &mut overflow);
            if v == -1 && !PyErr_Occurred().is_null() {
                return ptr::null_mut();
            }
            overflow == 0 && v >= 0 && v == me.cid
        } else if PyNumber_Check(other) != 0 {
            let i = int(obj);
            if i.is_null() {
                return i;
            }
            let r = PyObject_RichCompare(i, other, op);
            Py_DECREF(i);
            return r;
        } else {
            return Py_NewRef(Py_NotImplemented());
        };
        let truth = (op == Py_EQ) == equal;
        Py_NewRef(if truth { Py_True() } else { Py_False() })
    }
}

unsafe extern "C" fn get_end(obj: *mut PyObject, closure: *mut c_void) -> *mut PyObject {
    // SAFETY: (7) `obj` is one of ours, GIL held; `closure` is null or
    // points at the 'static SEND / RECV constants.
    unsafe {
        let me = &*obj.cast::<ChannelIdObject>();
        if !closure.is_null() {
            let end = *closure.cast::<c_int>();
            let module = module_of(obj);
            if module.is_null() {
                return ptr::null_mut();
            }
            return new_or_raise(module, Py_TYPE(obj), me.cid, end, true, me.resolve != 0);
        }
        let name: &core::ffi::CStr = match me.end {
            SEND => c"send",
            RECV => c"recv",
            _ => c"both",
        };
        PyUnicode_InternFromString(name.as_ptr())
    }
}

/// The `O&` converter for a channel id argument: a `ChannelID` (its end is
/// kept) or any `__index__` object, with CPython's errors.
#[repr(C)]
pub(crate) struct CidArg {
    pub module: *mut PyObject,
    pub cid: i64,
    pub end: c_int,
}

impl CidArg {
    pub(crate) fn new(module: *mut PyObject) -> Self {
        Self {
            module,
            cid: 0,
            end: BOTH,
        }
    }

    pub(crate) fn id(&self) -> ChannelId {
        ChannelId(self.cid as u64)
    }
}

/// # Safety
/// Called by `PyArg_ParseTupleAndKeywords` with `data` pointing at a
/// [`CidArg`] whose module is ours, GIL held.
pub(crate) unsafe extern "C" fn cid_converter(arg: *mut PyObject, data: *mut c_void) -> c_int {
    // SAFETY: see the function's contract.
    unsafe {
        let out = &mut *data.cast::<CidArg>();
        if let Some(o) = check(out.module, arg) {
            out.cid = o.cid;
            out.end = o.end;
            return 1;
        }
        if PyIndex_Check(arg) == 0 {
            PyErr_Format(
                PyExc_TypeError,
                c"channel ID must be an int, got %.100s".as_ptr(),
                (*Py_TYPE(arg)).tp_name,
            );
            return 0;
        }
        let v = PyLong_AsLongLong(arg);
        if v == -1 && !PyErr_Occurred().is_null() {
            return 0;
        }
        if v < 0 {
            PyErr_Format(
                PyExc_ValueError,
                c"channel ID must be a non-negative int, got %R".as_ptr(),
                arg,
            );
            return 0;
        }
        out.cid = v;
        out.end = BOTH;
        1
    }
}
