//! Values on the wire: the kernel's codec for what it carries, pickle
//! (protocol 5, `multiprocessing`'s `ForkingPickler`) for everything else.
//!
//! One message is one value. Its first bytes say which encoding: the
//! codec's header starts with `XI` (`xikernel::xidata::MAGIC`), a protocol
//! 2+ pickle with `\x80`. No tag byte is added, so a pickle is pushed
//! straight from the pickler's buffer.
//!
//! The codec is tried first (`encode_codec`), and gives up without an
//! exception on the first part of the value it does not carry (a list, a
//! `bytes` subclass, ...); the whole value is then pickled, so a value is
//! never split between the two encodings.

use pyo3_ffi as ffi;
use pyo3_ffi::PyObject;
use xikernel_py::convert;
use xikernel_py::ffi::{Owned, PyErrSet, PyResult};

use crate::state::State;

/// One encoded value, ready to push.
pub enum Encoded {
    Codec(Vec<u8>),
    /// The pickler's result, exported as a buffer (released on drop).
    Pickled(PickleBuf),
}

impl Encoded {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Encoded::Codec(v) => v,
            Encoded::Pickled(p) => p.bytes(),
        }
    }
}

/// A buffer export of the pickler's result (a `bytes` or a `memoryview`).
///
/// Dropping it releases the export and the object: it must be dropped with
/// the GIL held. Reading its bytes needs no GIL (nobody else holds the
/// object, so nothing resizes it).
pub struct PickleBuf {
    view: ffi::Py_buffer,
    _obj: Owned,
}

impl PickleBuf {
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: a successful PyBUF_SIMPLE export: `len` readable bytes at
        // `buf`, valid until the export is released (in drop).
        unsafe { core::slice::from_raw_parts(self.view.buf.cast::<u8>(), self.view.len as usize) }
    }
}

impl Drop for PickleBuf {
    fn drop(&mut self) {
        // SAFETY: the export was made by PyObject_GetBuffer and is released
        // once; the GIL is held (type contract).
        unsafe { ffi::PyBuffer_Release(&mut self.view) }
    }
}

/// Encodes `obj` (see the module docs).
///
/// # Safety
/// GIL held; `obj` live.
pub unsafe fn encode(st: &State, obj: *mut PyObject) -> PyResult<Encoded> {
    // A top-level bytes value is sized exactly (header, tag and length fit
    // in 16 bytes): growing a Vec by doubling to 64 KiB would copy the
    // payload a dozen times.
    // SAFETY: GIL held; `obj` live; the size of an exact bytes object.
    let cap = unsafe {
        if ffi::PyBytes_CheckExact(obj) != 0 {
            ffi::PyBytes_Size(obj) as usize + 16
        } else {
            64
        }
    };
    let mut out = Vec::with_capacity(cap);
    // SAFETY: caller's contract.
    if unsafe { convert::encode_codec(obj, &mut out)? } {
        return Ok(Encoded::Codec(out));
    }
    // SAFETY: GIL held; `dumps` is the callable `_setup` installed; the
    // result is a new reference or NULL + error; GetBuffer fills `view` or
    // fails with an error set.
    unsafe {
        let p = Owned::from_new(ffi::PyObject_CallOneArg(st.dumps, obj))?;
        let mut view: ffi::Py_buffer = core::mem::zeroed();
        if ffi::PyObject_GetBuffer(p.as_ptr(), &mut view, ffi::PyBUF_SIMPLE) < 0 {
            return Err(PyErrSet);
        }
        let buf = PickleBuf { view, _obj: p };
        if buf.bytes().first() != Some(&0x80) {
            return Err(xikernel_py::ffi::value_error(
                "the pickler must write protocol 2 or later",
            ));
        }
        Ok(Encoded::Pickled(buf))
    }
}

/// Builds the value a message holds (untrusted bytes: a corrupt message is
/// a `ValueError` or whatever the unpickler raises, never UB).
///
/// # Safety
/// GIL held.
pub unsafe fn decode(st: &State, msg: &[u8]) -> PyResult<Owned> {
    if msg.first() == Some(&0x80) {
        // A copy, not a memoryview over `msg`: an unpickler (any
        // `__reduce__` it calls) could keep an export that would outlive
        // our buffer.
        // SAFETY: GIL held; the pointer/length pair describes `msg`; each
        // call returns a new reference or NULL + error.
        unsafe {
            let b = Owned::from_new(ffi::PyBytes_FromStringAndSize(
                msg.as_ptr().cast(),
                msg.len() as ffi::Py_ssize_t,
            ))?;
            Owned::from_new(ffi::PyObject_CallOneArg(st.loads, b.as_ptr()))
        }
    } else {
        // SAFETY: GIL held.
        unsafe { convert::decode_codec(msg) }
    }
}
