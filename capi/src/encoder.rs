//! The codec's streaming encoder for C hosts (`xik_encoder`): one call per
//! value, in document order, finished into a buffer the host owns.

use xikernel::xidata::{Writer, MAX_DEPTH};

use crate::status::{check, non_null, xik_status};

/// A streaming encoder of one xidata value (opaque). Create with
/// `xik_encoder_new`, append values (a tuple with `xik_encoder_tuple(n)` is
/// followed by exactly `n` values), then `xik_encoder_finish`.
///
/// Thread-safety: an encoder may move between threads but is used by one
/// thread at a time; distinct encoders are independent.
///
/// ```
/// use xikernel_capi::*;
/// let mut enc = std::ptr::null_mut();
/// let mut buf = xik_buffer { size: std::mem::size_of::<xik_buffer>(), data: std::ptr::null_mut(), len: 0 };
/// // SAFETY: every pointer is valid as each call documents.
/// unsafe {
///     assert_eq!(xik_encoder_new(&mut enc), xik_status::XIK_OK);
///     assert_eq!(xik_encoder_tuple(enc, 2), xik_status::XIK_OK);
///     assert_eq!(xik_encoder_int(enc, 7), xik_status::XIK_OK);
///     assert_eq!(xik_encoder_str(enc, b"x".as_ptr(), 1), xik_status::XIK_OK);
///     assert_eq!(xik_encoder_int(enc, 8), xik_status::XIK_ERR_INVALID); // complete
///     assert_eq!(xik_encoder_finish(enc, &mut buf), xik_status::XIK_OK);
///     assert_eq!(std::slice::from_raw_parts(buf.data, buf.len), b"XI\x01\x08\x02\x02\x0e\x06\x01x");
///     assert_eq!(xik_buffer_free(&mut buf), xik_status::XIK_OK);
/// }
/// ```
#[allow(non_camel_case_types)]
#[derive(Debug)]
pub struct xik_encoder {
    /// The bytes so far, header included.
    out: Vec<u8>,
    /// Scratch for one value: [`Writer`] writes a header on creation, so
    /// each call writes into `scratch` and appends what follows the header.
    scratch: Vec<u8>,
    /// Items still owed by each open tuple, innermost last.
    open: Vec<usize>,
    /// The top-level value is complete: no more values are accepted.
    done: bool,
}

/// A buffer the library allocated and the host owns (size-prefixed: set
/// `size = sizeof(xik_buffer)`); given back with `xik_buffer_free`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct xik_buffer {
    /// `sizeof(xik_buffer)` as the host compiled it; set by the host.
    pub size: usize,
    /// The bytes (NULL when empty or freed).
    pub data: *mut u8,
    /// Number of bytes at `data`.
    pub len: usize,
}

impl xik_encoder {
    /// Appends one value written by `write`, if the structure allows one
    /// more; a tuple start (`opens = Some(n)`) opens a level.
    fn value(
        &mut self,
        opens: Option<usize>,
        write: impl FnOnce(&mut Writer<'_>),
    ) -> Result<(), xik_status> {
        if self.done || (opens.is_some() && self.open.len() >= MAX_DEPTH) {
            return Err(xik_status::XIK_ERR_INVALID);
        }
        self.scratch.clear();
        let mut w = Writer::new(&mut self.scratch);
        write(&mut w);
        let header = xikernel::xidata::MAGIC.len() + 1;
        self.out.extend_from_slice(&self.scratch[header..]);
        if let Some(top) = self.open.last_mut() {
            *top -= 1;
        }
        if let Some(n) = opens {
            self.open.push(n);
        }
        self.close_complete();
        Ok(())
    }

    /// Pops every tuple that has all its items; marks the value done when
    /// none is left open.
    fn close_complete(&mut self) {
        while self.open.last() == Some(&0) {
            self.open.pop();
        }
        self.done = self.open.is_empty();
    }
}

/// Creates an encoder in `*out` (free it with `xik_encoder_free`, or
/// consume it with a successful `xik_encoder_finish`).
///
/// Thread-safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xik_encoder_new(out: *mut *mut xik_encoder) -> xik_status {
    check(|| {
        non_null(out)?;
        let mut enc = xik_encoder {
            out: Vec::new(),
            scratch: Vec::new(),
            open: Vec::new(),
            done: false,
        };
        Writer::new(&mut enc.out);
        // SAFETY: checked non-NULL; the caller guarantees it is writable.
        unsafe { *out = Box::into_raw(Box::new(enc)) };
        Ok(())
    })
}

/// Frees an encoder that was not finished (NULL is accepted).
///
/// Thread-safety: any thread, not concurrently with another use of `enc`.
///
/// # Safety
/// `enc` is NULL or an encoder from `xik_encoder_new`, not freed or
/// finished before.
#[no_mangle]
pub unsafe extern "C" fn xik_encoder_free(enc: *mut xik_encoder) -> xik_status {
    check(|| {
        if !enc.is_null() {
            // SAFETY: from Box::into_raw in xik_encoder_new, not freed
            // before (the caller's promise).
            drop(unsafe { Box::from_raw(enc) });
        }
        Ok(())
    })
}

/// Runs `f` on the encoder behind `enc`.
///
/// # Safety
/// `enc` is NULL or a live encoder no other thread is using.
unsafe fn with(
    enc: *mut xik_encoder,
    f: impl FnOnce(&mut xik_encoder) -> Result<(), xik_status>,
) -> xik_status {
    check(|| {
        non_null(enc)?;
        // SAFETY: non-NULL, live and not shared (the caller's promise).
        f(unsafe { &mut *enc })
    })
}

/// `len` bytes at `data` (`data` may be NULL when `len` is 0).
///
/// # Safety
/// `data` is NULL or valid for reads of `len` bytes for `'a`.
unsafe fn bytes<'a>(data: *const u8, len: usize) -> Result<&'a [u8], xik_status> {
    if len == 0 {
        return Ok(&[]);
    }
    non_null(data)?;
    // SAFETY: non-NULL and readable for `len` bytes (the caller's promise).
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Appends `None`. `XIK_ERR_INVALID` if the value is already complete.
///
/// Thread-safety: the thread using `enc` (see `xik_encoder`).
///
/// # Safety
/// `enc` is NULL or a live encoder.
#[no_mangle]
pub unsafe extern "C" fn xik_encoder_none(enc: *mut xik_encoder) -> xik_status {
    // SAFETY: forwarded from the caller.
    unsafe { with(enc, |e| e.value(None, |w| w.none())) }
}

/// Appends a bool (`b` non-zero is true).
///
/// Thread-safety: the thread using `enc`.
///
/// # Safety
/// `enc` is NULL or a live encoder.
#[no_mangle]
pub unsafe extern "C" fn xik_encoder_bool(enc: *mut xik_encoder, b: bool) -> xik_status {
    // SAFETY: forwarded from the caller.
    unsafe { with(enc, |e| e.value(None, |w| w.bool(b))) }
}

/// Appends an int in `int64_t` range.
///
/// Thread-safety: the thread using `enc`.
///
/// # Safety
/// `enc` is NULL or a live encoder.
#[no_mangle]
pub unsafe extern "C" fn xik_encoder_int(enc: *mut xik_encoder, i: i64) -> xik_status {
    // SAFETY: forwarded from the caller.
    unsafe { with(enc, |e| e.value(None, |w| w.int(i))) }
}

/// Appends any int as sign and little-endian magnitude (`len` bytes at
/// `magnitude_le`, zero top bytes allowed; NULL only with `len` 0). Values
/// in `int64_t` range take the small form, as the format requires.
///
/// Thread-safety: the thread using `enc`.
///
/// # Safety
/// `enc` is NULL or a live encoder; `magnitude_le` NULL or readable for
/// `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn xik_encoder_bigint(
    enc: *mut xik_encoder,
    negative: bool,
    magnitude_le: *const u8,
    len: usize,
) -> xik_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        with(enc, |e| {
            let mag = bytes(magnitude_le, len)?;
            e.value(None, |w| w.int_from_sign_magnitude(negative, mag))
        })
    }
}

/// Appends a float (bit-exact).
///
/// Thread-safety: the thread using `enc`.
///
/// # Safety
/// `enc` is NULL or a live encoder.
#[no_mangle]
pub unsafe extern "C" fn xik_encoder_float(enc: *mut xik_encoder, f: f64) -> xik_status {
    // SAFETY: forwarded from the caller.
    unsafe { with(enc, |e| e.value(None, |w| w.float(f))) }
}

/// Appends a str: `len` bytes of UTF-8 at `utf8` (NULL only with `len`
/// 0); `XIK_ERR_INVALID` if they are not UTF-8.
///
/// Thread-safety: the thread using `enc`.
///
/// # Safety
/// `enc` is NULL or a live encoder; `utf8` NULL or readable for `len`
/// bytes.
#[no_mangle]
pub unsafe extern "C" fn xik_encoder_str(
    enc: *mut xik_encoder,
    utf8: *const u8,
    len: usize,
) -> xik_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        with(enc, |e| {
            let s =
                std::str::from_utf8(bytes(utf8, len)?).map_err(|_| xik_status::XIK_ERR_INVALID)?;
            e.value(None, |w| w.str(s))
        })
    }
}

/// Appends bytes (`len` at `data`, NULL only with `len` 0).
///
/// Thread-safety: the thread using `enc`.
///
/// # Safety
/// `enc` is NULL or a live encoder; `data` NULL or readable for `len`
/// bytes.
#[no_mangle]
pub unsafe extern "C" fn xik_encoder_bytes(
    enc: *mut xik_encoder,
    data: *const u8,
    len: usize,
) -> xik_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        with(enc, |e| {
            let b = bytes(data, len)?;
            e.value(None, |w| w.bytes(b))
        })
    }
}

/// Starts a tuple of `n` items: the next `n` values are its items (no end
/// call: the count closes it). `XIK_ERR_INVALID` beyond 1024 levels.
///
/// Thread-safety: the thread using `enc`.
///
/// # Safety
/// `enc` is NULL or a live encoder.
#[no_mangle]
pub unsafe extern "C" fn xik_encoder_tuple(enc: *mut xik_encoder, n: usize) -> xik_status {
    // SAFETY: forwarded from the caller.
    unsafe { with(enc, |e| e.value(Some(n), |w| w.tuple(n))) }
}

/// Moves the encoding into `*out` (set `out->size` first) and frees the
/// encoder. `XIK_ERR_INVALID` (encoder kept, still to be freed) unless
/// exactly one complete value was appended.
///
/// Thread-safety: the thread using `enc`.
///
/// # Safety
/// `enc` is NULL or a live encoder; `out` NULL or a writable `xik_buffer`
/// with `size` set.
#[no_mangle]
pub unsafe extern "C" fn xik_encoder_finish(
    enc: *mut xik_encoder,
    out: *mut xik_buffer,
) -> xik_status {
    check(|| {
        non_null(enc)?;
        // SAFETY: NULL or a xik_buffer with `size` set (the caller's promise).
        unsafe { crate::item::check_sized(out) }?;
        // SAFETY: non-NULL and live (the caller's promise).
        if !unsafe { &*enc }.done {
            return Err(xik_status::XIK_ERR_INVALID);
        }
        // SAFETY: from Box::into_raw in xik_encoder_new; consumed here once.
        let enc = unsafe { Box::from_raw(enc) };
        let bytes = enc.out.into_boxed_slice();
        let len = bytes.len();
        // Ownership goes to the host until xik_buffer_free.
        let data = Box::into_raw(bytes).cast::<u8>();
        // SAFETY: checked non-NULL and large enough; fields written one by
        // one so the host's `size` stays.
        unsafe {
            (*out).data = data;
            (*out).len = len;
        }
        Ok(())
    })
}

/// Gives back a buffer from `xik_encoder_finish` and sets `data` to NULL
/// and `len` to 0 (a second call is harmless).
///
/// Thread-safety: any thread, not concurrently with another use of `buf`.
///
/// # Safety
/// `buf` is NULL or a `xik_buffer` filled by this library whose `data` /
/// `len` the host has not changed.
#[no_mangle]
pub unsafe extern "C" fn xik_buffer_free(buf: *mut xik_buffer) -> xik_status {
    check(|| {
        // SAFETY: NULL or a xik_buffer with `size` set (the caller's promise).
        unsafe { crate::item::check_sized(buf) }?;
        // SAFETY: checked non-NULL and large enough.
        let b = unsafe { &mut *buf };
        if !b.data.is_null() {
            let slice = std::ptr::slice_from_raw_parts_mut(b.data, b.len);
            // SAFETY: `data`/`len` came from Box::into_raw of a Box<[u8]>
            // in xik_encoder_finish and were not freed (freed => NULL).
            drop(unsafe { Box::from_raw(slice) });
        }
        b.data = std::ptr::null_mut();
        b.len = 0;
        Ok(())
    })
}
