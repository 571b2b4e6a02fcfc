//! Encoder: `Value` -> canonical bytes, into a `Vec<u8>` or a slice.
//!
//! [`encoded_len`] walks the value once and gives the exact size, so
//! [`encode`] reserves once and the slice form can refuse a short buffer
//! before writing anything. Payload bytes are copied with one
//! `extend_from_slice` each (memcpy).

use super::error::EncodeError;
use super::exception::ExceptionSnapshot;
use super::pystr::StrRef;
use super::value::Value;
use super::varint::{varint_bytes, varint_len, zigzag, MAX_VARINT_LEN};
use super::{tag, MAGIC, MAX_DEPTH, VERSION};
use alloc::vec::Vec;

/// Exact size of `v`'s encoding, header included.
/// Fails only if `v` nests tuples deeper than [`MAX_DEPTH`].
pub fn encoded_len(v: &Value) -> Result<usize, EncodeError> {
    Ok(MAGIC.len() + 1 + value_len(v, 0)?)
}

/// Appends the encoding of `v` to `out`; returns the number of bytes written.
pub fn encode(v: &Value, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
    let n = encoded_len(v)?;
    out.reserve(n);
    write_all(v, out);
    Ok(n)
}

/// The encoding of `v` in a new, exactly sized vector.
pub fn to_vec(v: &Value) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode(v, &mut out)?;
    Ok(out)
}

/// Writes the encoding of `v` at the start of `out`; returns its length.
/// Nothing is written if `out` is too short.
pub fn encode_to_slice(v: &Value, out: &mut [u8]) -> Result<usize, EncodeError> {
    let needed = encoded_len(v)?;
    let Some(dst) = out.get_mut(..needed) else {
        return Err(EncodeError::BufferTooSmall { needed });
    };
    let mut sink = SliceSink { buf: dst, pos: 0 };
    write_all(v, &mut sink);
    debug_assert_eq!(sink.pos, needed);
    Ok(needed)
}

fn write_all<S: Sink>(v: &Value, s: &mut S) {
    s.put(&MAGIC);
    s.byte(VERSION);
    write_value(v, s);
}

#[inline]
fn str_len(len: usize) -> usize {
    varint_len(len as u64) + len
}

fn exception_len(e: &ExceptionSnapshot) -> usize {
    let fields = [&e.type_name, &e.qualname, &e.module, &e.msg, &e.formatted];
    let strs: usize = fields.iter().map(|s| str_len(s.as_bytes().len())).sum();
    strs + 1
        + e.traceback
            .as_ref()
            .map_or(0, |t| str_len(t.as_bytes().len()))
}

fn value_len(v: &Value, depth: usize) -> Result<usize, EncodeError> {
    Ok(1 + match v {
        Value::None => 0,
        Value::Bool(_) => 1,
        Value::Int(i) => varint_len(zigzag(*i)),
        Value::BigInt(b) => {
            let n = b.magnitude().len();
            varint_len(((n as u64) << 1) | 1) + n
        }
        Value::Float(_) => 8,
        Value::Complex(..) => 16,
        Value::Str(s) => str_len(s.as_bytes().len()),
        Value::Bytes(b) => str_len(b.len()),
        Value::Tuple(items) => {
            if depth >= MAX_DEPTH {
                return Err(EncodeError::DepthLimitExceeded);
            }
            let mut n = varint_len(items.len() as u64);
            for item in items {
                n += value_len(item, depth + 1)?;
            }
            n
        }
        Value::Ext(e) => varint_len(e.tag) + str_len(e.payload.len()),
        Value::Exception(e) => exception_len(e),
    })
}

/// Destination of the writer; both impls are infallible because the size
/// was checked first.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
    fn byte(&mut self, b: u8);
    #[inline]
    fn varint(&mut self, v: u64) {
        if v < 0x80 {
            return self.byte(v as u8);
        }
        let mut tmp = [0u8; MAX_VARINT_LEN];
        self.put(varint_bytes(v, &mut tmp));
    }
    #[inline]
    fn lp(&mut self, bytes: &[u8]) {
        self.varint(bytes.len() as u64);
        self.put(bytes);
    }
    // One method per value kind, shared by `write_value` and `Writer`.
    #[inline]
    fn w_int(&mut self, i: i64) {
        self.byte(tag::INT);
        self.varint(zigzag(i));
    }
    /// `mag` trimmed and outside i64 range (the caller checked).
    #[inline]
    fn w_bigint(&mut self, negative: bool, mag: &[u8]) {
        self.byte(tag::BIGINT);
        self.varint(((mag.len() as u64) << 1) | u64::from(negative));
        self.put(mag);
    }
    #[inline]
    fn w_float(&mut self, f: f64) {
        self.byte(tag::FLOAT);
        self.put(&f.to_bits().to_le_bytes());
    }
    #[inline]
    fn w_complex(&mut self, re: f64, im: f64) {
        self.byte(tag::COMPLEX);
        self.put(&re.to_bits().to_le_bytes());
        self.put(&im.to_bits().to_le_bytes());
    }
    #[inline]
    fn w_tagged(&mut self, t: u8, bytes: &[u8]) {
        self.byte(t);
        self.lp(bytes);
    }
    #[inline]
    fn w_ext(&mut self, ext_tag: u64, payload: &[u8]) {
        self.byte(tag::EXT);
        self.varint(ext_tag);
        self.lp(payload);
    }
}

impl Sink for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    #[inline]
    fn byte(&mut self, b: u8) {
        self.push(b);
    }
}

struct SliceSink<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Sink for SliceSink<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        // `encoded_len` sized `buf` exactly, so this always succeeds; the
        // checked form keeps the encoder free of panic paths regardless.
        if let Some(dst) = self.buf.get_mut(self.pos..self.pos + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        self.pos += bytes.len();
    }
    #[inline]
    fn byte(&mut self, b: u8) {
        self.put(&[b]);
    }
}

fn write_value<S: Sink>(v: &Value, s: &mut S) {
    match v {
        Value::None => s.byte(tag::NONE),
        Value::Bool(b) => s.put(&[tag::BOOL, u8::from(*b)]),
        Value::Int(i) => s.w_int(*i),
        Value::BigInt(b) => s.w_bigint(b.is_negative(), b.magnitude()),
        Value::Float(f) => s.w_float(*f),
        Value::Complex(re, im) => s.w_complex(*re, *im),
        Value::Str(p) => s.w_tagged(tag::STR, p.as_bytes()),
        Value::Bytes(b) => s.w_tagged(tag::BYTES, b),
        Value::Tuple(items) => {
            s.byte(tag::TUPLE);
            s.varint(items.len() as u64);
            for item in items {
                write_value(item, s);
            }
        }
        Value::Ext(e) => s.w_ext(e.tag, &e.payload),
        Value::Exception(e) => {
            s.byte(tag::EXCEPTION);
            for f in [&e.type_name, &e.qualname, &e.module, &e.msg, &e.formatted] {
                s.lp(f.as_bytes());
            }
            match &e.traceback {
                None => s.byte(0),
                Some(t) => {
                    s.byte(1);
                    s.lp(t.as_bytes());
                }
            }
        }
    }
}

/// A streaming encoder for runtimes that serialise their own objects
/// directly, without building a [`Value`] first. It writes the header on
/// creation and one value per call; `tuple(n)` must be followed by exactly
/// `n` values. Misuse (a wrong count, several top-level values, nesting
/// deeper than the reader allows) cannot cause UB: it only produces bytes
/// that decoders reject. For a given value it writes exactly what
/// [`encode`] writes.
///
/// ```
/// use xikernel::xidata::{decode, Value, Writer};
/// let mut out = Vec::new();
/// let mut w = Writer::new(&mut out);
/// w.tuple(2);
/// w.int(1);
/// w.str("one");
/// assert_eq!(decode(&out).unwrap(), Value::from((1, "one")));
/// ```
#[derive(Debug)]
pub struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Writer<'a> {
    /// Appends the header to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        Self { out }
    }

    /// `None`.
    pub fn none(&mut self) {
        self.out.push(tag::NONE);
    }

    /// A bool.
    pub fn bool(&mut self, b: bool) {
        self.out.extend_from_slice(&[tag::BOOL, u8::from(b)]);
    }

    /// An int in `i64` range.
    pub fn int(&mut self, i: i64) {
        self.out.w_int(i);
    }

    /// Any int, as sign + little-endian magnitude (zero top bytes allowed;
    /// i64-range values take the small form, as canonicity requires).
    pub fn int_from_sign_magnitude(&mut self, negative: bool, magnitude_le: &[u8]) {
        let n = magnitude_le
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i + 1);
        let mag = &magnitude_le[..n];
        if let Some(small) = super::bigint::fits_i64(negative, mag) {
            return self.int(small);
        }
        self.out.w_bigint(negative, mag);
    }

    /// A float (bit-exact).
    pub fn float(&mut self, f: f64) {
        self.out.w_float(f);
    }

    /// A complex.
    pub fn complex(&mut self, re: f64, im: f64) {
        self.out.w_complex(re, im);
    }

    /// A str without surrogates.
    pub fn str(&mut self, s: &str) {
        self.out.w_tagged(tag::STR, s.as_bytes());
    }

    /// Any CPython str (validated generalized UTF-8).
    pub fn py_str(&mut self, s: StrRef<'_>) {
        self.out.w_tagged(tag::STR, s.as_bytes());
    }

    /// Bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        self.out.w_tagged(tag::BYTES, b);
    }

    /// Starts a tuple of `len` items; write them next.
    pub fn tuple(&mut self, len: usize) {
        self.out.push(tag::TUPLE);
        self.out.varint(len as u64);
    }

    /// An extension value.
    pub fn ext(&mut self, tag: u64, payload: &[u8]) {
        self.out.w_ext(tag, payload);
    }

    /// A whole [`Value`] (e.g. an exception snapshot) in place.
    pub fn value(&mut self, v: &Value) -> Result<(), EncodeError> {
        let n = value_len(v, 0)?;
        self.out.reserve(n);
        write_value(v, self.out);
        Ok(())
    }
}
