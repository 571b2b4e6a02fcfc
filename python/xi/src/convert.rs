//! Python object ⇄ kernel XI data.
//!
//! The codec (`xikernel::xidata`) carries what it can describe without the
//! sender's objects: `None`, `bool`, `int` of **any** size (CPython 3.13
//! refuses ints beyond 64 bits), `float` bit-exact (NaN payloads too),
//! `str` (generalized UTF-8, so lone surrogates survive), `bytes`, and
//! `tuple`s of those. Types are matched **exactly**, as CPython's registry
//! does: a `bytes` or `int` subclass is not shareable.
//!
//! Anything else goes to CPython's own cross-interpreter data
//! ([`crate::crossinterp`]): memoryview (zero-copy), registered heap types
//! such as `Queue` and channel ends, and CPython's `NotShareableError`
//! (message and class identical to native) for the rest. Such a value is
//! written as an extension value ([`NATIVE_TAG`], payload = index into
//! [`Shared::natives`]), so it may sit inside a codec tuple.
//!
//! A [`Shared`] is `Send` and needs no GIL to move or to drop when it has
//! no natives (pure codec bytes, released anywhere); natives are released
//! in their owner by CPython itself (pending calls).

use core::ffi::c_int;
use core::ptr;

use pyo3_ffi as ffi;
use pyo3_ffi::PyObject;
use xikernel::xidata::{self, DecodeOptions, Event, Events, PyString, StrRef, Writer, XiData};

use crate::crossinterp::NativeXid;
use crate::ffi::{Owned, PyErrSet, PyResult};

/// Extension tag of a CPython-native datum inside our bytes
/// (`"XN"` for *xikernel native*; payload: u32 little-endian index).
pub const NATIVE_TAG: u64 = 0x584e;

/// Deepest tuple nesting the codec carries; deeper subtrees go native.
const MAX_DEPTH: usize = xidata::DEFAULT_MAX_DEPTH;

/// One shared value: codec bytes plus the CPython data they reference.
#[derive(Debug)]
pub struct Shared {
    pub data: XiData,
    pub natives: Vec<NativeXid>,
}

impl Shared {
    /// The interpreter that produced the value.
    pub fn owner(&self) -> xikernel::InterpId {
        self.data.owner()
    }
}

/// Converts `obj` in the current interpreter (`owner`).
///
/// # Safety
/// The GIL is held and `obj` is live.
pub unsafe fn to_shared(obj: *mut PyObject, owner: xikernel::InterpId) -> PyResult<Shared> {
    let mut bytes = Vec::with_capacity(32);
    let mut natives = Vec::new();
    {
        let mut w = Writer::new(&mut bytes);
        // SAFETY: caller's contract.
        unsafe { write_obj(&mut w, obj, Some(&mut natives), 0)? };
    }
    Ok(Shared {
        data: XiData::new(bytes, owner, None),
        natives,
    })
}

/// Appends the codec encoding of `obj` to `out` (header included) if
/// every part of it is a codec type (`None`, `bool`, `int`, `float`,
/// `str`, `bytes`, tuples of them): `Ok(true)`. Otherwise `Ok(false)`,
/// with `out` back at its length and no exception set, so the caller can
/// pick another encoding (the `multiprocessing` drop-in pickles the value
/// instead: between processes there is no CPython cross-interpreter data).
/// Decode with [`decode_codec`].
///
/// # Safety
/// The GIL is held and `obj` is live.
pub unsafe fn encode_codec(obj: *mut PyObject, out: &mut Vec<u8>) -> PyResult<bool> {
    let start = out.len();
    let done = {
        let mut w = Writer::new(out);
        // SAFETY: caller's contract.
        unsafe { write_obj(&mut w, obj, None, 0) }
    };
    match done {
        Ok(true) => Ok(true),
        other => {
            out.truncate(start);
            other
        }
    }
}

/// Writes `obj`; `Ok(false)` if a part of it is not a codec type and
/// `natives` is `None` (nothing else to turn it into).
///
/// # Safety
/// GIL held, `obj` live.
unsafe fn write_obj(
    w: &mut Writer<'_>,
    obj: *mut PyObject,
    mut natives: Option<&mut Vec<NativeXid>>,
    depth: usize,
) -> PyResult<bool> {
    // SAFETY (whole body): `obj` is live and the GIL is held (caller), so
    // reading its type and its immutable contents is sound; tuples,
    // str and bytes are immutable, so the borrowed buffers stay valid for
    // the copy into `w`.
    unsafe {
        let tp = ffi::Py_TYPE(obj);
        if obj == ffi::Py_None() {
            w.none();
        } else if tp == &raw mut ffi::PyBool_Type {
            w.bool(obj == ffi::Py_True());
        } else if tp == &raw mut ffi::PyLong_Type {
            write_int(w, obj)?;
        } else if tp == &raw mut ffi::PyFloat_Type {
            w.float(ffi::PyFloat_AS_DOUBLE(obj));
        } else if tp == &raw mut ffi::PyUnicode_Type {
            write_str(w, obj)?;
        } else if tp == &raw mut ffi::PyBytes_Type {
            let p = ffi::PyBytes_AS_STRING(obj).cast::<u8>();
            let n = ffi::PyBytes_Size(obj) as usize;
            w.bytes(core::slice::from_raw_parts(p, n));
        } else if tp == &raw mut ffi::PyTuple_Type && depth < MAX_DEPTH {
            let n = ffi::PyTuple_GET_SIZE(obj);
            w.tuple(n as usize);
            for i in 0..n {
                let item = ffi::PyTuple_GET_ITEM(obj, i);
                if !write_obj(w, item, natives.as_deref_mut(), depth + 1)? {
                    return Ok(false);
                }
            }
        } else {
            let Some(natives) = natives else {
                return Ok(false);
            };
            let x = NativeXid::get(obj)?;
            let idx = u32::try_from(natives.len())
                .map_err(|_| crate::ffi::overflow_error("too many objects in one value"))?;
            natives.push(x);
            w.ext(NATIVE_TAG, &idx.to_le_bytes());
        }
    }
    Ok(true)
}

/// `Py_ASNATIVEBYTES_LITTLE_ENDIAN`.
const LITTLE_ENDIAN: c_int = 1;

/// # Safety
/// GIL held, `obj` an exact int.
unsafe fn write_int(w: &mut Writer<'_>, obj: *mut PyObject) -> PyResult<()> {
    let mut overflow: c_int = 0;
    // SAFETY: `obj` is an int; no error is possible except overflow.
    let v = unsafe { ffi::PyLong_AsLongLongAndOverflow(obj, &mut overflow) };
    if overflow == 0 {
        w.int(v);
        return Ok(());
    }
    // Two's complement, little-endian, then sign + magnitude.
    // SAFETY: with a NULL buffer and size 0, PyLong_AsNativeBytes only
    // returns the size it needs (or -1 + error).
    let need = unsafe { ffi::PyLong_AsNativeBytes(obj, ptr::null_mut(), 0, LITTLE_ENDIAN) };
    if need < 0 {
        return Err(PyErrSet);
    }
    let mut buf = vec![0u8; need as usize];
    // SAFETY: `buf` has exactly `need` writable bytes.
    let r = unsafe { ffi::PyLong_AsNativeBytes(obj, buf.as_mut_ptr().cast(), need, LITTLE_ENDIAN) };
    if r < 0 {
        return Err(PyErrSet);
    }
    let negative = overflow < 0;
    if negative {
        // magnitude = -x = !x + 1 (two's complement negation).
        let mut carry = true;
        for b in &mut buf {
            let (nb, c) = (!*b).overflowing_add(u8::from(carry));
            *b = nb;
            carry = c;
        }
    }
    w.int_from_sign_magnitude(negative, &buf);
    Ok(())
}

/// # Safety
/// GIL held, `obj` an exact str.
unsafe fn write_str(w: &mut Writer<'_>, obj: *mut PyObject) -> PyResult<()> {
    // SAFETY: `obj` is a str; for ASCII strings the canonical data buffer
    // is UTF-8 already (one byte per code point below 0x80).
    unsafe {
        let n = ffi::PyUnicode_GET_LENGTH(obj) as usize;
        if ffi::PyUnicode_IS_ASCII(obj) != 0 {
            let p = ffi::PyUnicode_DATA(obj).cast::<u8>();
            w.str(core::str::from_utf8_unchecked(core::slice::from_raw_parts(
                p, n,
            )));
            return Ok(());
        }
        let kind = ffi::PyUnicode_KIND(obj);
        let data = ffi::PyUnicode_DATA(obj);
        let cps = (0..n).map(|i| match kind {
            1 => u32::from(*data.cast::<u8>().add(i)),
            2 => u32::from(*data.cast::<u16>().add(i)),
            _ => *data.cast::<u32>().add(i),
        });
        // The kernel's own generalized UTF-8 writer (lone surrogates kept).
        match PyString::from_code_points(cps) {
            Ok(s) => {
                w.py_str(s.as_ref());
                Ok(())
            }
            Err(_) => Err(crate::ffi::value_error("string has an invalid code point")),
        }
    }
}

/// Builds the value in the current interpreter. The caller still owns
/// `shared` and releases it afterwards (dropping it).
///
/// # Safety
/// The GIL is held.
pub unsafe fn from_shared(shared: &Shared) -> PyResult<Owned> {
    // SAFETY: caller's contract.
    unsafe { decode(shared.data.bytes(), &shared.natives) }
}

/// Builds the value [`encode_codec`] wrote into `bytes` (untrusted: any
/// input is a `ValueError` or a value, never UB); a native reference in
/// it is corrupt data here.
///
/// # Safety
/// The GIL is held.
pub unsafe fn decode_codec(bytes: &[u8]) -> PyResult<Owned> {
    // SAFETY: caller's contract.
    unsafe { decode(bytes, &[]) }
}

/// # Safety
/// The GIL is held.
unsafe fn decode(bytes: &[u8], natives: &[NativeXid]) -> PyResult<Owned> {
    let opts = DecodeOptions::default();
    let mut ev = Events::new(bytes, &opts).map_err(|e| decode_error(&e))?;
    // Open tuples: (tuple, next index, length).
    let mut stack: Vec<(Owned, isize, isize)> = Vec::new();
    loop {
        let e = ev.next_event().map_err(|e| decode_error(&e))?;
        let Some(e) = e else {
            return Err(crate::ffi::value_error("truncated cross-interpreter data"));
        };
        // SAFETY: GIL held (caller); each constructor returns a new
        // reference or NULL + error.
        let obj = unsafe {
            match e {
                Event::None => crate::ffi::none(),
                Event::Bool(b) => crate::ffi::boolean(b),
                Event::Int(i) => crate::ffi::int(i)?,
                Event::BigInt(b) => big_int(b.negative, b.magnitude)?,
                Event::Float(f) => Owned::from_new(ffi::PyFloat_FromDouble(f))?,
                Event::Str(s) => new_str(s)?,
                Event::Bytes(b) => Owned::from_new(ffi::PyBytes_FromStringAndSize(
                    b.as_ptr().cast(),
                    b.len() as ffi::Py_ssize_t,
                ))?,
                Event::TupleStart(n) => {
                    // A count beyond the input cannot be honest (each item
                    // takes at least one byte): refuse before allocating.
                    if n > bytes.len() {
                        return Err(crate::ffi::value_error("corrupt cross-interpreter data"));
                    }
                    let t = Owned::from_new(ffi::PyTuple_New(n as ffi::Py_ssize_t))?;
                    // Every tuple gets a frame, the empty one too: the
                    // decoder reports its `TupleEnd` like any other, which
                    // must close it and not the tuple around it.
                    stack.push((t, 0, n as isize));
                    continue;
                }
                Event::TupleEnd => match stack.pop() {
                    Some((t, i, n)) if i == n => t,
                    _ => return Err(crate::ffi::value_error("corrupt cross-interpreter data")),
                },
                Event::Ext { tag, payload } if tag == NATIVE_TAG => {
                    let idx = <[u8; 4]>::try_from(payload)
                        .map(u32::from_le_bytes)
                        .ok()
                        .and_then(|i| natives.get(i as usize));
                    match idx {
                        Some(x) => x.new_object()?,
                        None => {
                            return Err(crate::ffi::value_error("corrupt cross-interpreter data"))
                        }
                    }
                }
                _ => {
                    return Err(crate::ffi::value_error(
                        "unsupported value in cross-interpreter data",
                    ))
                }
            }
        };
        match stack.last_mut() {
            None => return Ok(obj),
            Some((t, i, n)) => {
                if *i >= *n {
                    return Err(crate::ffi::value_error("corrupt cross-interpreter data"));
                }
                // SAFETY: `t` is a fresh tuple of length `n` we own, slot
                // `i < n` is still empty; SET_ITEM steals `obj`.
                unsafe { ffi::PyTuple_SET_ITEM(t.as_ptr(), *i, obj.into_ptr()) };
                *i += 1;
            }
        }
    }
}

fn decode_error(e: &xidata::DecodeError) -> PyErrSet {
    crate::ffi::value_error(&format!("corrupt cross-interpreter data: {e}"))
}

/// # Safety
/// GIL held.
unsafe fn big_int(negative: bool, magnitude: &[u8]) -> PyResult<Owned> {
    // SAFETY: the buffer is `magnitude`; the unsigned little-endian read
    // returns a new int or NULL + error; negation likewise.
    unsafe {
        let m = Owned::from_new(ffi::PyLong_FromUnsignedNativeBytes(
            magnitude.as_ptr().cast(),
            magnitude.len(),
            LITTLE_ENDIAN,
        ))?;
        if negative {
            Owned::from_new(ffi::PyNumber_Negative(m.as_ptr()))
        } else {
            Ok(m)
        }
    }
}

/// # Safety
/// GIL held.
unsafe fn new_str(s: StrRef<'_>) -> PyResult<Owned> {
    // SAFETY: for UTF-8 text the pointer/length pair is valid UTF-8;
    // otherwise a UCS-4 buffer of exactly `cps.len()` code points
    // (surrogates are allowed in a Python str built from kind 4 data).
    unsafe {
        if let Some(t) = s.as_str() {
            if t.is_ascii() {
                // ASCII: a compact ASCII str is its bytes, so copy them in
                // (PyUnicode_FromStringAndSize would run its UTF-8 decoder,
                // the largest cost of decoding a small tuple). A fresh str
                // of maxchar 127 has exactly `len` bytes of data.
                let o = Owned::from_new(ffi::PyUnicode_New(t.len() as ffi::Py_ssize_t, 127))?;
                core::ptr::copy_nonoverlapping(
                    t.as_ptr(),
                    ffi::PyUnicode_DATA(o.as_ptr()).cast::<u8>(),
                    t.len(),
                );
                return Ok(o);
            }
            return Owned::from_new(ffi::PyUnicode_FromStringAndSize(
                t.as_ptr().cast(),
                t.len() as ffi::Py_ssize_t,
            ));
        }
        let cps: Vec<u32> = s.code_points().collect();
        Owned::from_new(ffi::PyUnicode_FromKindAndData(
            4,
            cps.as_ptr().cast(),
            cps.len() as ffi::Py_ssize_t,
        ))
    }
}
