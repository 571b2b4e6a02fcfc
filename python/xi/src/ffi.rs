//! Small safe wrappers over raw `pyo3-ffi`: an owned reference, error
//! raising, argument parsing.
//!
//! Every function here must be called with an attached thread state (the
//! calling interpreter's GIL held); they are `unsafe` where that, or a
//! pointer's validity, is the caller's obligation. Errors follow CPython's
//! convention: a function that fails has set the Python exception and
//! returns [`PyErrSet`], so callers propagate with `?` and return NULL / -1
//! at the C boundary.

use core::ffi::{c_char, CStr};
use core::ptr::{self, NonNull};

use pyo3_ffi as ffi;
use pyo3_ffi::PyObject;

/// A Python exception has been set in the current thread state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PyErrSet;

/// Result of a Python-facing operation: the exception is already set.
pub type PyResult<T> = Result<T, PyErrSet>;

/// A strong reference, released (`Py_DECREF`) on drop.
///
/// Dropping one requires the GIL of the interpreter that owns the object:
/// an `Owned` therefore never crosses interpreters (it is neither `Send`
/// nor `Sync`, being a raw-pointer wrapper).
#[derive(Debug)]
pub struct Owned(NonNull<PyObject>);

impl Owned {
    /// Takes over a new reference; NULL means the call that produced it
    /// failed and set an exception.
    ///
    /// # Safety
    /// `p` is NULL or a new (owned) reference, and the GIL is held.
    #[inline]
    pub unsafe fn from_new(p: *mut PyObject) -> PyResult<Self> {
        NonNull::new(p).map(Owned).ok_or(PyErrSet)
    }

    /// Takes a new reference to a borrowed object.
    ///
    /// # Safety
    /// `p` is a valid object and the GIL is held.
    #[inline]
    pub unsafe fn from_borrowed(p: NonNull<PyObject>) -> Self {
        // SAFETY: the caller guarantees `p` is live and the GIL is held.
        unsafe { ffi::Py_INCREF(p.as_ptr()) };
        Owned(p)
    }

    #[inline]
    pub fn as_ptr(&self) -> *mut PyObject {
        self.0.as_ptr()
    }

    /// Hands the reference to the caller (e.g. a C function's result).
    #[inline]
    pub fn into_ptr(self) -> *mut PyObject {
        let p = self.0.as_ptr();
        core::mem::forget(self);
        p
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: we own one reference (constructor contracts) and an
        // `Owned` only lives on threads holding its interpreter's GIL (it
        // is !Send and is created and dropped inside Python calls).
        unsafe { ffi::Py_DECREF(self.0.as_ptr()) }
    }
}

/// `Py_None` as a new reference.
#[inline]
pub fn none() -> Owned {
    // SAFETY: Py_None is immortal and always valid; the GIL is held by
    // every caller of this module.
    unsafe { Owned::from_borrowed(NonNull::new_unchecked(ffi::Py_None())) }
}

/// `True` / `False` as a new reference.
#[inline]
pub fn boolean(b: bool) -> Owned {
    // SAFETY: the bool singletons are immortal.
    unsafe {
        Owned::from_borrowed(NonNull::new_unchecked(if b {
            ffi::Py_True()
        } else {
            ffi::Py_False()
        }))
    }
}

/// A Python int from an i64.
pub fn int(v: i64) -> PyResult<Owned> {
    // SAFETY: PyLong_FromLongLong returns a new reference or NULL + error.
    unsafe { Owned::from_new(ffi::PyLong_FromLongLong(v)) }
}

/// A Python str from UTF-8 text.
pub fn str(s: &str) -> PyResult<Owned> {
    // SAFETY: the pointer/length pair describes `s`, valid UTF-8.
    unsafe {
        Owned::from_new(ffi::PyUnicode_FromStringAndSize(
            s.as_ptr().cast(),
            s.len() as ffi::Py_ssize_t,
        ))
    }
}

/// Builds a tuple, consuming the items.
pub fn tuple<const N: usize>(items: [Owned; N]) -> PyResult<Owned> {
    // SAFETY: PyTuple_New returns a new reference or NULL + error; each
    // PyTuple_SET_ITEM steals one reference into a fresh tuple slot.
    unsafe {
        let t = Owned::from_new(ffi::PyTuple_New(N as ffi::Py_ssize_t))?;
        for (i, item) in items.into_iter().enumerate() {
            ffi::PyTuple_SET_ITEM(t.as_ptr(), i as ffi::Py_ssize_t, item.into_ptr());
        }
        Ok(t)
    }
}

/// Raises `exc` (a class) with a message.
///
/// # Safety
/// GIL held; `exc` is a live exception class.
pub unsafe fn raise(exc: *mut PyObject, msg: &str) -> PyErrSet {
    match str(msg) {
        // SAFETY: caller's contract; the message is a valid str.
        Ok(m) => unsafe { ffi::PyErr_SetObject(exc, m.as_ptr()) },
        Err(e) => return e,
    }
    PyErrSet
}

/// Raises `exc` by calling it with one message argument and setting the
/// resulting instance (CPython's `handle_queue_error`: the class may be a
/// Python-level subclass whose constructor matters).
///
/// # Safety
/// GIL held; `exc` is a live exception class.
pub unsafe fn raise_instance(exc: *mut PyObject, msg: &str) -> PyErrSet {
    let Ok(m) = str(msg) else { return PyErrSet };
    // SAFETY: caller's contract; PyObject_CallOneArg returns a new
    // reference or NULL + error.
    unsafe {
        let Ok(inst) = Owned::from_new(ffi::PyObject_CallOneArg(exc, m.as_ptr())) else {
            return PyErrSet;
        };
        ffi::PyErr_SetObject(exc, inst.as_ptr());
    }
    PyErrSet
}

pub fn type_error(msg: &str) -> PyErrSet {
    // SAFETY: a live exception-class static; every caller holds the GIL.
    unsafe { raise(ffi::PyExc_TypeError, msg) }
}

pub fn value_error(msg: &str) -> PyErrSet {
    // SAFETY: a live exception-class static; every caller holds the GIL.
    unsafe { raise(ffi::PyExc_ValueError, msg) }
}

pub fn overflow_error(msg: &str) -> PyErrSet {
    // SAFETY: a live exception-class static; every caller holds the GIL.
    unsafe { raise(ffi::PyExc_OverflowError, msg) }
}

pub fn runtime_error(msg: &str) -> PyErrSet {
    // SAFETY: a live exception-class static; every caller holds the GIL.
    unsafe { raise(ffi::PyExc_RuntimeError, msg) }
}

pub fn memory_error() -> PyErrSet {
    // SAFETY: sets MemoryError; always returns NULL.
    unsafe { ffi::PyErr_NoMemory() };
    PyErrSet
}

/// `type(obj).__name__` (`tp_name`, as C's `%.100s` formats print it).
///
/// # Safety
/// `obj` is a live object.
pub unsafe fn type_name(obj: *mut PyObject) -> String {
    // SAFETY: every type has a NUL-terminated tp_name.
    let name = unsafe { CStr::from_ptr((*ffi::Py_TYPE(obj)).tp_name) };
    let s = name.to_string_lossy();
    s.chars().take(100).collect()
}

/// `repr(obj)` as Rust text (`%R`); on failure the error is cleared and a
/// placeholder returned, since this only feeds messages.
///
/// # Safety
/// `obj` is a live object.
pub unsafe fn repr(obj: *mut PyObject) -> String {
    // SAFETY: PyObject_Repr returns a new reference or NULL + error.
    let r = unsafe { Owned::from_new(ffi::PyObject_Repr(obj)) };
    let text = r.ok().and_then(|r| {
        let mut n: ffi::Py_ssize_t = 0;
        // SAFETY: `r` is a str; the UTF-8 buffer lives as long as `r`.
        let p = unsafe { ffi::PyUnicode_AsUTF8AndSize(r.as_ptr(), &mut n) };
        (!p.is_null()).then(|| {
            // SAFETY: CPython guarantees `n` valid UTF-8 bytes at `p`.
            let b = unsafe { core::slice::from_raw_parts(p.cast::<u8>(), n as usize) };
            String::from_utf8_lossy(b).into_owned()
        })
    });
    text.unwrap_or_else(|| {
        // SAFETY: clearing whatever the failed repr raised.
        unsafe { ffi::PyErr_Clear() };
        "<object>".into()
    })
}

/// Parses `METH_VARARGS | METH_KEYWORDS` arguments as CPython's
/// `PyArg_ParseTupleAndKeywords` with a format of `O`s: `names` are the
/// keyword names, the first `required` are mandatory; the rest default to
/// NULL. Messages are CPython's own (it does the parsing).
///
/// # Safety
/// `args` is a tuple and `kwargs` NULL or a dict (what CPython passes).
pub unsafe fn parse_args<const N: usize>(
    fname: &CStr,
    args: *mut PyObject,
    kwargs: *mut PyObject,
    names: [&CStr; N],
    required: usize,
) -> PyResult<[*mut PyObject; N]> {
    debug_assert!(required <= N && N <= 6);
    // Format: "O" * required, "|", "O" * rest, ":" fname.
    let mut fmt = Vec::with_capacity(N + 2 + fname.to_bytes().len() + 1);
    for i in 0..N {
        if i == required {
            fmt.push(b'|');
        }
        fmt.push(b'O');
    }
    fmt.push(b':');
    fmt.extend_from_slice(fname.to_bytes());
    fmt.push(0);
    let mut kw: [*const c_char; 7] = [ptr::null(); 7];
    for (slot, n) in kw.iter_mut().zip(names.iter()) {
        *slot = n.as_ptr();
    }
    let mut out = [ptr::null_mut::<PyObject>(); N];
    let mut o = [ptr::null_mut::<PyObject>(); 6];
    // SAFETY: the format has exactly N `O` units, each matched by one
    // `*mut *mut PyObject` out-pointer (extra ones are ignored); `kw` is a
    // NULL-terminated array of N NUL-terminated names; `fmt` is
    // NUL-terminated; `args`/`kwargs` per the caller's contract. `O`
    // yields borrowed references valid for the duration of the call.
    let ok = unsafe {
        let p = o.as_mut_ptr();
        ffi::PyArg_ParseTupleAndKeywords(
            args,
            kwargs,
            fmt.as_ptr().cast(),
            kw.as_ptr(),
            p,
            p.add(1),
            p.add(2),
            p.add(3),
            p.add(4),
            p.add(5),
        )
    };
    if ok == 0 {
        return Err(PyErrSet);
    }
    out.copy_from_slice(&o[..N]);
    Ok(out)
}

/// Vectorcall arguments of a `METH_FASTCALL | METH_KEYWORDS` function.
#[derive(Debug, Clone, Copy)]
pub struct FastArgs {
    pub args: *const *mut PyObject,
    pub nargsf: ffi::Py_ssize_t,
    pub kwnames: *mut PyObject,
}

impl FastArgs {
    /// Parses like [`parse_args`]: the common call (positional only, a
    /// valid count) without building a tuple or dict; anything else
    /// (keywords, a wrong count) through CPython's own parser, so messages
    /// stay CPython's.
    ///
    /// # Safety
    /// The fields are what CPython passed to the function; GIL held.
    pub unsafe fn parse<const N: usize>(
        &self,
        fname: &CStr,
        names: [&CStr; N],
        required: usize,
    ) -> PyResult<[*mut PyObject; N]> {
        // SAFETY: caller's contract: `args` holds `nargs` positional
        // arguments followed by one value per name in `kwnames` (a tuple
        // or NULL), all borrowed for the duration of the call.
        unsafe {
            let nargs = ffi::PyVectorcall_NARGS(self.nargsf as usize) as usize;
            if self.kwnames.is_null() && nargs >= required && nargs <= N {
                let mut out = [ptr::null_mut(); N];
                out[..nargs].copy_from_slice(core::slice::from_raw_parts(self.args, nargs));
                return Ok(out);
            }
            let (t, d) = self.to_tuple_dict()?;
            let dp = d.as_ref().map_or(ptr::null_mut(), Owned::as_ptr);
            // The borrowed results stay valid: the tuple and dict only
            // borrowed what the caller keeps alive anyway.
            parse_args(fname, t.as_ptr(), dp, names, required)
        }
    }

    /// The classic `(args, kwargs)` pair (kwargs `None` when there are no
    /// keywords), for handing the call to CPython's own parser.
    ///
    /// # Safety
    /// As [`parse`](Self::parse).
    pub unsafe fn to_tuple_dict(&self) -> PyResult<(Owned, Option<Owned>)> {
        // SAFETY: as in `parse`: `args` holds the positional arguments then
        // one value per name in `kwnames`, borrowed for the call; the new
        // tuple and dict take their own references.
        unsafe {
            let nargs = ffi::PyVectorcall_NARGS(self.nargsf as usize) as usize;
            let nkw = if self.kwnames.is_null() {
                0
            } else {
                ffi::PyTuple_GET_SIZE(self.kwnames) as usize
            };
            let t = Owned::from_new(ffi::PyTuple_New(nargs as ffi::Py_ssize_t))?;
            for i in 0..nargs {
                let a = *self.args.add(i);
                ffi::Py_INCREF(a);
                ffi::PyTuple_SET_ITEM(t.as_ptr(), i as ffi::Py_ssize_t, a);
            }
            if nkw == 0 {
                return Ok((t, None));
            }
            let d = Owned::from_new(ffi::PyDict_New())?;
            for i in 0..nkw {
                let k = ffi::PyTuple_GET_ITEM(self.kwnames, i as ffi::Py_ssize_t);
                if ffi::PyDict_SetItem(d.as_ptr(), k, *self.args.add(nargs + i)) < 0 {
                    return Err(PyErrSet);
                }
            }
            Ok((t, Some(d)))
        }
    }
}

/// CPython's `idarg_int64_converter`: `__index__` objects (bool too),
/// non-negative, at most `i64::MAX`; messages use `label` ("queue ID").
///
/// # Safety
/// `arg` is a live object.
pub unsafe fn id_arg(arg: *mut PyObject, label: &str) -> PyResult<i64> {
    // SAFETY: `arg` is live (caller); the index protocol calls are safe
    // with the GIL held.
    unsafe {
        if ffi::PyIndex_Check(arg) == 0 {
            return Err(type_error(&format!(
                "{label} must be an int, got {}",
                type_name(arg)
            )));
        }
        let mut overflow: core::ffi::c_int = 0;
        let id = ffi::PyLong_AsLongLongAndOverflow(arg, &mut overflow);
        if id == -1 && !ffi::PyErr_Occurred().is_null() {
            return Err(PyErrSet);
        }
        if id == -1 && overflow == 1 {
            return Err(overflow_error(&format!(
                "max {label} is {}, got {}",
                i64::MAX,
                repr(arg)
            )));
        }
        if id < 0 {
            return Err(value_error(&format!(
                "{label} must be a non-negative int, got {}",
                repr(arg)
            )));
        }
        Ok(id)
    }
}

/// A C `Py_ssize_t` argument (`n` format): `TypeError` for non-ints,
/// `OverflowError` beyond the range, CPython's messages.
///
/// # Safety
/// `arg` is a live object.
pub unsafe fn ssize_arg(arg: *mut PyObject) -> PyResult<i64> {
    // SAFETY: `arg` is live; PyNumber_Index returns a new int reference or
    // NULL + TypeError; PyLong_AsSsize_t raises CPython's OverflowError.
    unsafe {
        let i = Owned::from_new(ffi::PyNumber_Index(arg))?;
        let v = ffi::PyLong_AsSsize_t(i.as_ptr());
        if v == -1 && !ffi::PyErr_Occurred().is_null() {
            return Err(PyErrSet);
        }
        Ok(v as i64)
    }
}

/// An `int` argument (`i` format, C int).
///
/// # Safety
/// `arg` is a live object.
pub unsafe fn int_arg(arg: *mut PyObject) -> PyResult<i64> {
    // SAFETY: `arg` is live; PyLong_AsLong raises on failure.
    unsafe {
        if ffi::PyFloat_Check(arg) != 0 {
            return Err(type_error(
                "'float' object cannot be interpreted as an integer",
            ));
        }
        let v = ffi::PyLong_AsLong(arg);
        if v == -1 && !ffi::PyErr_Occurred().is_null() {
            return Err(PyErrSet);
        }
        if v > i64::from(i32::MAX) || v < i64::from(i32::MIN) {
            return Err(overflow_error(if v > 0 {
                "signed integer is greater than maximum"
            } else {
                "signed integer is less than minimum"
            }));
        }
        Ok(v)
    }
}

/// Converts a `PyResult<Owned>` into a C return value.
#[inline]
pub fn ret(r: PyResult<Owned>) -> *mut PyObject {
    match r {
        Ok(o) => o.into_ptr(),
        Err(PyErrSet) => ptr::null_mut(),
    }
}
