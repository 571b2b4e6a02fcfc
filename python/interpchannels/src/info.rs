//! `ChannelInfo`: CPython's struct sequence, 8 fields in the tuple and 8
//! more as attributes, filled from the kernel's `ChannelInfo`.

use core::ffi::c_char;
use core::ptr;

use pyo3_ffi::*;
use xikernel::channel::ChannelInfo;

macro_rules! field {
    ($name:literal, $doc:literal) => {
        PyStructSequence_Field {
            name: $name.as_ptr(),
            doc: $doc.as_ptr(),
        }
    };
}

static mut FIELDS: [PyStructSequence_Field; 17] = [
    field!(c"open", c"both ends are open"),
    field!(c"closing", c"send is closed, recv is non-empty"),
    field!(c"closed", c"both ends are closed"),
    field!(c"count", c"queued objects"),
    field!(c"num_interp_send", c"interpreters bound to the send end"),
    field!(
        c"num_interp_send_released",
        c"interpreters bound to the send end and released"
    ),
    field!(c"num_interp_recv", c"interpreters bound to the send end"),
    field!(
        c"num_interp_recv_released",
        c"interpreters bound to the send end and released"
    ),
    field!(c"num_interp_both", c"interpreters bound to both ends"),
    field!(
        c"num_interp_both_released",
        c"interpreters bound to both ends and released_from_both"
    ),
    field!(
        c"num_interp_both_send_released",
        c"interpreters bound to both ends and released_from_the send end"
    ),
    field!(
        c"num_interp_both_recv_released",
        c"interpreters bound to both ends and released_from_the recv end"
    ),
    field!(
        c"send_associated",
        c"current interpreter is bound to the send end"
    ),
    field!(
        c"send_released",
        c"current interpreter *was* bound to the send end"
    ),
    field!(
        c"recv_associated",
        c"current interpreter is bound to the recv end"
    ),
    field!(
        c"recv_released",
        c"current interpreter *was* bound to the recv end"
    ),
    PyStructSequence_Field {
        name: ptr::null(),
        doc: ptr::null(),
    },
];

static mut DESC: PyStructSequence_Desc = PyStructSequence_Desc {
    name: c"_interpchannels.ChannelInfo".as_ptr(),
    doc: c"ChannelInfo\n\nA named tuple of a channel's state.".as_ptr() as *const c_char,
    fields: ptr::null_mut(),
    n_in_sequence: 8,
};

/// A new (per-module) `ChannelInfo` heap type.
///
/// # Safety
/// GIL held.
pub(crate) unsafe fn new_type() -> *mut PyTypeObject {
    // SAFETY: (1) the GIL serialises module execs, so the one-time pointer
    // store never races; the descriptor and fields are 'static and only
    // read by CPython.
    unsafe {
        let desc = ptr::addr_of_mut!(DESC);
        (*desc).fields = ptr::addr_of_mut!(FIELDS).cast();
        PyStructSequence_NewType(desc)
    }
}

/// Builds a `ChannelInfo` (null with an exception on failure).
///
/// # Safety
/// GIL held; `cls` is our `ChannelInfo` type.
pub(crate) unsafe fn new(cls: *mut PyTypeObject, i: &ChannelInfo) -> *mut PyObject {
    let bools = |b: bool| -> *mut PyObject {
        // SAFETY: GIL held; the singletons are immortal.
        unsafe { Py_NewRef(if b { Py_True() } else { Py_False() }) }
    };
    let count = |n: usize| -> *mut PyObject {
        // SAFETY: GIL held.
        unsafe { PyLong_FromSize_t(n) }
    };
    let values = [
        bools(i.open),
        bools(i.closing),
        bools(i.closed),
        count(i.count),
        count(i.num_interp_send),
        count(i.num_interp_send_released),
        count(i.num_interp_recv),
        count(i.num_interp_recv_released),
        count(i.num_interp_both),
        count(i.num_interp_both_released),
        count(i.num_interp_both_send_released),
        count(i.num_interp_both_recv_released),
        bools(i.send_associated),
        bools(i.send_released),
        bools(i.recv_associated),
        bools(i.recv_released),
    ];
    // SAFETY: (2) GIL held; each value is a new reference handed to the
    // sequence (which steals it) or released on failure.
    unsafe {
        let obj = PyStructSequence_New(cls);
        let failed = obj.is_null() || values.iter().any(|v| v.is_null());
        if failed {
            for v in values {
                if !v.is_null() {
                    Py_DECREF(v);
                }
            }
            if !obj.is_null() {
                Py_DECREF(obj);
            }
            return ptr::null_mut();
        }
        for (pos, v) in values.into_iter().enumerate() {
            PyStructSequence_SetItem(obj, pos as Py_ssize_t, v);
        }
        obj
    }
}
