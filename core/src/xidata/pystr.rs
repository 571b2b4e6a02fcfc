//! Strings as CPython sees them: any sequence of code points U+0000..U+10FFFF,
//! lone surrogates included.
//!
//! Wire form: *generalized UTF-8* — every code point encoded independently
//! in its shortest UTF-8 form, surrogates U+D800..U+DFFF as the three bytes
//! `ED A0..BF 80..BF` (Python's `s.encode("utf-8", "surrogatepass")`).
//! A surrogate *pair* stays two 3-byte sequences, so `'\ud83d\ude00'` and
//! `'\U0001f600'` (different Python strings) have different encodings.
//! WTF-8 was rejected for exactly this reason: it must fuse such pairs, which
//! would make the codec lossy for CPython.
//!
//! Valid UTF-8 is the common case and is checked with `core::str::from_utf8`
//! (memcpy-class speed); only inputs that fail it take the byte-wise path.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Checks `bytes` as generalized UTF-8. `Ok(true)` when it is also plain
/// UTF-8, `Ok(false)` when it holds surrogates, `Err(i)` with the offset of
/// the first byte of the bad sequence otherwise.
#[inline]
pub(crate) fn validate(bytes: &[u8]) -> Result<bool, usize> {
    match core::str::from_utf8(bytes) {
        Ok(_) => Ok(true),
        Err(e) => validate_slow(bytes, e.valid_up_to()).map(|()| false),
    }
}

#[inline(never)]
fn validate_slow(bytes: &[u8], mut i: usize) -> Result<(), usize> {
    while i < bytes.len() {
        let b0 = bytes[i];
        // (length, allowed range of the second byte) per RFC 3629 table 3-7,
        // except that ED admits A0..BF (the surrogates).
        let (len, lo, hi) = match b0 {
            0x00..=0x7f => {
                i += 1;
                continue;
            }
            0xc2..=0xdf => (2, 0x80, 0xbf),
            0xe0 => (3, 0xa0, 0xbf),
            0xe1..=0xef => (3, 0x80, 0xbf),
            0xf0 => (4, 0x90, 0xbf),
            0xf1..=0xf3 => (4, 0x80, 0xbf),
            0xf4 => (4, 0x80, 0x8f),
            _ => return Err(i),
        };
        let Some(seq) = bytes.get(i..i + len) else {
            return Err(i);
        };
        if !(lo..=hi).contains(&seq[1]) || seq[2..].iter().any(|&b| b & 0xc0 != 0x80) {
            return Err(i);
        }
        i += len;
    }
    Ok(())
}

/// Decodes generalized UTF-8 known to be valid into code points.
fn code_points(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let mut i = 0;
    core::iter::from_fn(move || {
        let b0 = u32::from(*bytes.get(i)?);
        let (len, init) = match b0 {
            0..=0x7f => (1, b0),
            0xc0..=0xdf => (2, b0 & 0x1f),
            0xe0..=0xef => (3, b0 & 0x0f),
            _ => (4, b0 & 0x07),
        };
        let cp = bytes[i + 1..i + len]
            .iter()
            .fold(init, |acc, &b| (acc << 6) | u32::from(b & 0x3f));
        i += len;
        Some(cp)
    })
}

/// Appends the generalized UTF-8 form of one code point; `false` if it is
/// above U+10FFFF.
fn push_code_point(out: &mut Vec<u8>, cp: u32) -> bool {
    match cp {
        0..=0x7f => out.push(cp as u8),
        0x80..=0x7ff => out.extend_from_slice(&[0xc0 | (cp >> 6) as u8, 0x80 | (cp & 0x3f) as u8]),
        0x800..=0xffff => out.extend_from_slice(&[
            0xe0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
        0x1_0000..=0x10_ffff => out.extend_from_slice(&[
            0xf0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3f) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
        _ => return false,
    }
    true
}

/// A borrowed CPython string (generalized UTF-8, validated).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StrRef<'a> {
    bytes: &'a [u8],
    utf8: bool,
}

impl<'a> StrRef<'a> {
    /// Validates `bytes` as generalized UTF-8 (`Err(offset)` of the bad sequence).
    pub fn new(bytes: &'a [u8]) -> Result<Self, usize> {
        validate(bytes).map(|utf8| Self { bytes, utf8 })
    }

    /// The string as `&str` when it has no surrogates (the common case).
    #[inline]
    pub fn as_str(&self) -> Option<&'a str> {
        if self.utf8 {
            // SAFETY: `utf8` is true only when these exact bytes passed
            // `core::str::from_utf8` (`validate`) or came from a `String`/
            // `&str`; the fields are private and never mutated afterwards.
            Some(unsafe { core::str::from_utf8_unchecked(self.bytes) })
        } else {
            None
        }
    }

    /// The generalized UTF-8 bytes.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Whether the string is plain UTF-8 (no surrogates).
    #[inline]
    pub fn is_utf8(&self) -> bool {
        self.utf8
    }

    /// The code points, surrogates included.
    pub fn code_points(&self) -> impl Iterator<Item = u32> + 'a {
        code_points(self.bytes)
    }

    /// An owned copy.
    pub fn to_owned(&self) -> PyString {
        PyString {
            bytes: super::bulk::to_vec(self.bytes),
            utf8: self.utf8,
        }
    }
}

/// An owned CPython string: code points U+0000..U+10FFFF, lone surrogates
/// allowed. Stored as generalized UTF-8, so [`as_str`](Self::as_str) is free
/// for ordinary strings.
///
/// ```
/// use xikernel::xidata::{decode, to_vec, PyString, Value};
/// // A lone surrogate, as CPython's str allows, survives the round trip.
/// let s = PyString::from_code_points([0x61, 0xDC80]).unwrap();
/// assert_eq!(s.as_str(), None); // not valid UTF-8
/// let v = Value::Str(s);
/// assert_eq!(decode(&to_vec(&v).unwrap()).unwrap(), v);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PyString {
    bytes: Vec<u8>,
    utf8: bool,
}

impl PyString {
    /// From generalized UTF-8 bytes (`Err(offset)` of the first bad sequence).
    pub fn from_generalized_utf8(bytes: Vec<u8>) -> Result<Self, usize> {
        validate(&bytes).map(|utf8| Self { bytes, utf8 })
    }

    /// From code points; `Err(index)` of the first one above U+10FFFF.
    pub fn from_code_points<I: IntoIterator<Item = u32>>(cps: I) -> Result<Self, usize> {
        let cps = cps.into_iter();
        let mut bytes = Vec::with_capacity(cps.size_hint().0);
        let mut utf8 = true;
        for (i, cp) in cps.enumerate() {
            if !push_code_point(&mut bytes, cp) {
                return Err(i);
            }
            utf8 &= !(0xd800..=0xdfff).contains(&cp);
        }
        Ok(Self { bytes, utf8 })
    }

    /// Borrowed view.
    #[inline]
    pub fn as_ref(&self) -> StrRef<'_> {
        StrRef {
            bytes: &self.bytes,
            utf8: self.utf8,
        }
    }

    /// `&str` when there are no surrogates.
    #[inline]
    pub fn as_str(&self) -> Option<&str> {
        self.as_ref().as_str()
    }

    /// The generalized UTF-8 bytes (the wire payload).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The code points, surrogates included.
    pub fn code_points(&self) -> impl Iterator<Item = u32> + '_ {
        code_points(&self.bytes)
    }
}

impl From<String> for PyString {
    fn from(s: String) -> Self {
        Self {
            bytes: s.into_bytes(),
            utf8: true,
        }
    }
}

impl From<&str> for PyString {
    fn from(s: &str) -> Self {
        Self {
            bytes: s.as_bytes().to_vec(),
            utf8: true,
        }
    }
}

fn debug_code_points(cps: impl Iterator<Item = u32>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    use fmt::Write;
    f.write_char('"')?;
    for cp in cps {
        match char::from_u32(cp) {
            Some(c) => {
                for e in c.escape_debug() {
                    f.write_char(e)?;
                }
            }
            None => write!(f, "\\u{{{cp:x}}}")?,
        }
    }
    f.write_char('"')
}

impl fmt::Debug for StrRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_code_points(self.code_points(), f)
    }
}

impl fmt::Debug for PyString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_code_points(self.code_points(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrogates_are_kept_apart() {
        let pair = PyString::from_code_points([0xd83d, 0xde00]).unwrap();
        let astral = PyString::from_code_points([0x1f600]).unwrap();
        assert_ne!(pair.as_bytes(), astral.as_bytes());
        assert_eq!(pair.as_bytes(), &[0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]);
        assert_eq!(pair.as_str(), None);
        assert_eq!(astral.as_str(), Some("\u{1f600}"));
        assert_eq!(pair.code_points().collect::<Vec<_>>(), [0xd83d, 0xde00]);
        assert_eq!(
            PyString::from_generalized_utf8(pair.as_bytes().to_vec()),
            Ok(pair)
        );
    }

    #[test]
    fn rejects_overlong_and_out_of_range() {
        for bad in [
            &[0xc0, 0x80][..],
            &[0xe0, 0x80, 0x80],
            &[0xf4, 0x90, 0x80, 0x80],
            &[0x80],
            &[0xed, 0xa0],
        ] {
            assert_eq!(validate(bad), Err(0), "{bad:x?}");
        }
        assert_eq!(validate(b"ab\xff"), Err(2));
        assert_eq!(PyString::from_code_points([0x110000]), Err(0));
    }
}
