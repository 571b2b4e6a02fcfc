//! The codec's streaming decoder for C hosts (`xik_decoder`): a pull
//! iterator of events over the host's buffer, each checked as the Rust
//! [`Events`] checks it; malformed input is a status, never a crash.

use xikernel::xidata::{DecodeError, DecodeOptions, Event, Events};

use crate::item::check_sized;
use crate::status::{check, non_null, xik_status};

/// What `xik_decoder_next` found.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum xik_event_kind {
    /// The value is complete (no bytes trail it); no more events.
    XIK_EVENT_END = 0,
    /// `None`.
    XIK_EVENT_NONE = 1,
    /// A bool in `i` (0 or 1).
    XIK_EVENT_BOOL = 2,
    /// An int in `int64_t` range in `i`.
    XIK_EVENT_INT = 3,
    /// An int outside `int64_t` range: sign in `negative`, little-endian
    /// magnitude in `data` / `len` (trimmed).
    XIK_EVENT_BIGINT = 4,
    /// A float in `f`.
    XIK_EVENT_FLOAT = 5,
    /// A complex: real part in `f`, imaginary in `f_imag`.
    XIK_EVENT_COMPLEX = 6,
    /// A str in `data` / `len`: generalized UTF-8 (CPython strs may hold
    /// lone surrogates, encoded as UTF-8 would encode their code points).
    XIK_EVENT_STR = 7,
    /// Bytes in `data` / `len`.
    XIK_EVENT_BYTES = 8,
    /// A tuple of `len` items begins; its items follow, then
    /// `XIK_EVENT_TUPLE_END`. The count was checked against the remaining
    /// input, but nested tuples may each claim the same bytes: allocate
    /// from counts only while the open tuples owe no more items than the
    /// buffer has bytes left.
    XIK_EVENT_TUPLE_START = 9,
    /// The innermost open tuple is complete.
    XIK_EVENT_TUPLE_END = 10,
    /// An extension value: type tag in `u`, payload in `data` / `len`.
    XIK_EVENT_EXT = 11,
    /// An exception snapshot: its formatted one-liner in `data` / `len`
    /// (generalized UTF-8); this ABI version exposes no other field.
    XIK_EVENT_EXCEPTION = 12,
}

/// One decoded event (size-prefixed: set `size = sizeof(xik_event)`).
/// `data` points into the host's input buffer: valid while that buffer
/// is. Fields the kind does not use are zero / NULL.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct xik_event {
    /// `sizeof(xik_event)` as the host compiled it; set by the host.
    pub size: usize,
    /// What was found.
    pub kind: xik_event_kind,
    /// Sign of a big int.
    pub negative: bool,
    /// Bool or int value.
    pub i: i64,
    /// Extension tag.
    pub u: u64,
    /// Float value, or a complex's real part.
    pub f: f64,
    /// A complex's imaginary part.
    pub f_imag: f64,
    /// Bytes of a str, bytes, big int magnitude, extension payload.
    pub data: *const u8,
    /// Number of bytes at `data`; a tuple's item count.
    pub len: usize,
}

/// A streaming decoder over a host buffer (opaque). Thread-safety: it may
/// move between threads but is used by one thread at a time; distinct
/// decoders are independent.
#[allow(non_camel_case_types)]
#[derive(Debug)]
pub struct xik_decoder {
    /// `'static` stands for "until `xik_decoder_free`": the host keeps the
    /// buffer alive and unchanged until then (the documented contract).
    events: Events<'static, 'static>,
    /// Byte offset of the rejection, once the input was rejected.
    error_at: Option<usize>,
}

/// Checks the header of the `len` bytes at `data` and creates a decoder in
/// `*out`. `XIK_ERR_MALFORMED` if the header is wrong (offset 0..3).
///
/// Thread-safety: any thread.
///
/// # Safety
/// `data` is NULL or readable for `len` bytes, and stays readable and
/// unchanged until `xik_decoder_free` (events point into it); `out` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xik_decoder_new(
    data: *const u8,
    len: usize,
    out: *mut *mut xik_decoder,
) -> xik_status {
    check(|| {
        non_null(data)?;
        non_null(out)?;
        // SAFETY: readable for `len` bytes until xik_decoder_free (the
        // caller's promise), which is as long as the decoder lives.
        let input: &'static [u8] = unsafe { std::slice::from_raw_parts(data, len) };
        let events = Events::new(input, &DecodeOptions::default())
            .map_err(|_| xik_status::XIK_ERR_MALFORMED)?;
        let dec = Box::new(xik_decoder {
            events,
            error_at: None,
        });
        // SAFETY: checked non-NULL; writable (the caller's promise).
        unsafe { *out = Box::into_raw(dec) };
        Ok(())
    })
}

/// Frees a decoder (NULL is accepted); the host's buffer is its own.
///
/// Thread-safety: any thread, not concurrently with another use of `dec`.
///
/// # Safety
/// `dec` is NULL or a decoder from `xik_decoder_new`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn xik_decoder_free(dec: *mut xik_decoder) -> xik_status {
    check(|| {
        if !dec.is_null() {
            // SAFETY: from Box::into_raw in xik_decoder_new, not freed
            // before (the caller's promise).
            drop(unsafe { Box::from_raw(dec) });
        }
        Ok(())
    })
}

/// Stores the next event in `*out` (set `out->size` first):
/// `XIK_EVENT_END` once the value is complete. `XIK_ERR_MALFORMED` if the
/// input is rejected here (then every later call too; see
/// `xik_decoder_error_offset`).
///
/// Thread-safety: the thread using `dec`.
///
/// # Safety
/// `dec` is NULL or a live decoder whose buffer is still valid; `out` NULL
/// or a writable `xik_event` with `size` set.
#[no_mangle]
pub unsafe extern "C" fn xik_decoder_next(
    dec: *mut xik_decoder,
    out: *mut xik_event,
) -> xik_status {
    check(|| {
        non_null(dec)?;
        // SAFETY: NULL or a xik_event with `size` set (the caller's promise).
        unsafe { check_sized(out) }?;
        // SAFETY: non-NULL, live and not shared (the caller's promise).
        let d = unsafe { &mut *dec };
        if d.error_at.is_some() {
            return Err(xik_status::XIK_ERR_MALFORMED);
        }
        let event = match d.events.next_event() {
            Ok(e) => e,
            Err(DecodeError { offset, .. }) => {
                d.error_at = Some(offset);
                return Err(xik_status::XIK_ERR_MALFORMED);
            }
        };
        // SAFETY: checked non-NULL and large enough.
        unsafe { fill(&mut *out, event) };
        Ok(())
    })
}

/// Writes `e` into the host's event, every field but `size`.
fn fill(out: &mut xik_event, e: Option<Event<'static>>) {
    use xik_event_kind::*;
    let (mut negative, mut i, mut u, mut f, mut f_imag) = (false, 0i64, 0u64, 0.0, 0.0);
    let (mut data, mut len): (*const u8, usize) = (std::ptr::null(), 0);
    let mut slice = |s: &[u8]| {
        data = s.as_ptr();
        len = s.len();
    };
    let kind = match e {
        None => XIK_EVENT_END,
        Some(Event::None) => XIK_EVENT_NONE,
        Some(Event::Bool(b)) => {
            i = i64::from(b);
            XIK_EVENT_BOOL
        }
        Some(Event::Int(v)) => {
            i = v;
            XIK_EVENT_INT
        }
        Some(Event::BigInt(b)) => {
            negative = b.negative;
            slice(b.magnitude);
            XIK_EVENT_BIGINT
        }
        Some(Event::Float(v)) => {
            f = v;
            XIK_EVENT_FLOAT
        }
        Some(Event::Complex(re, im)) => {
            (f, f_imag) = (re, im);
            XIK_EVENT_COMPLEX
        }
        Some(Event::Str(s)) => {
            slice(s.as_bytes());
            XIK_EVENT_STR
        }
        Some(Event::Bytes(b)) => {
            slice(b);
            XIK_EVENT_BYTES
        }
        Some(Event::TupleStart(n)) => {
            len = n;
            XIK_EVENT_TUPLE_START
        }
        Some(Event::TupleEnd) => XIK_EVENT_TUPLE_END,
        Some(Event::Ext { tag, payload }) => {
            u = tag;
            slice(payload);
            XIK_EVENT_EXT
        }
        Some(Event::Exception(x)) => {
            slice(x.formatted.as_bytes());
            XIK_EVENT_EXCEPTION
        }
    };
    out.kind = kind;
    out.negative = negative;
    out.i = i;
    out.u = u;
    out.f = f;
    out.f_imag = f_imag;
    out.data = data;
    out.len = len;
}

/// Stores in `*out` the byte offset (from the start of the buffer) where
/// the input was rejected; `XIK_ERR_INVALID` if it was not.
///
/// Thread-safety: the thread using `dec`.
///
/// # Safety
/// `dec` is NULL or a live decoder; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xik_decoder_error_offset(
    dec: *const xik_decoder,
    out: *mut usize,
) -> xik_status {
    check(|| {
        non_null(dec)?;
        non_null(out)?;
        // SAFETY: non-NULL and live (the caller's promise).
        let at = unsafe { &*dec }
            .error_at
            .ok_or(xik_status::XIK_ERR_INVALID)?;
        // SAFETY: checked non-NULL; writable (the caller's promise).
        unsafe { *out = at };
        Ok(())
    })
}
