//! Integers beyond i64: sign + little-endian magnitude bytes.
//!
//! No arithmetic is needed: a runtime converts to its own bignum with one
//! `from_bytes`-style call (CPython: `int.from_bytes(mag, "little")`). The
//! invariant that makes the format canonical lives in the type: a
//! [`BigInt`] never holds a value that fits in `i64` (those are
//! [`Value::Int`](super::Value::Int)), and its magnitude has no zero top byte.

use alloc::vec::Vec;

/// An integer outside `i64`'s range. Construct through
/// [`Value::int_from_sign_magnitude`](super::Value::int_from_sign_magnitude)
/// or `From<i128>` on [`Value`](super::Value).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BigInt {
    negative: bool,
    magnitude: Vec<u8>,
}

/// A borrowed [`BigInt`] as the streaming decoder yields it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BigIntRef<'a> {
    /// Whether the value is negative.
    pub negative: bool,
    /// Little-endian magnitude, top byte non-zero, at least 8 bytes.
    pub magnitude: &'a [u8],
}

/// Length of `mag` without its zero top bytes.
fn trimmed_len(mag: &[u8]) -> usize {
    mag.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)
}

/// The magnitude as u64 when it has at most 8 significant bytes.
fn small_magnitude(mag: &[u8]) -> Option<u64> {
    if mag.len() > 8 {
        return None;
    }
    let mut le = [0u8; 8];
    le[..mag.len()].copy_from_slice(mag);
    Some(u64::from_le_bytes(le))
}

/// The i64 a trimmed (sign, magnitude) denotes, if it fits.
pub(crate) fn fits_i64(negative: bool, mag: &[u8]) -> Option<i64> {
    let m = small_magnitude(mag)?;
    if negative {
        if m <= 1 << 63 {
            Some((m as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(m).ok()
    }
}

/// Canonical check used by the decoder: no zero top byte, not an i64.
pub(crate) fn is_canonical(negative: bool, mag: &[u8]) -> bool {
    mag.last().is_some_and(|&b| b != 0) && fits_i64(negative, mag).is_none()
}

impl BigInt {
    /// `Some` when the (trimmed) value does not fit in `i64`.
    pub(crate) fn new_unchecked_range(negative: bool, mut magnitude: Vec<u8>) -> Result<Self, i64> {
        magnitude.truncate(trimmed_len(&magnitude));
        match fits_i64(negative, &magnitude) {
            Some(v) => Err(v),
            None => Ok(Self {
                negative,
                magnitude,
            }),
        }
    }

    /// Whether the value is negative.
    #[inline]
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Little-endian magnitude (top byte non-zero, at least 8 bytes).
    #[inline]
    pub fn magnitude(&self) -> &[u8] {
        &self.magnitude
    }

    /// Borrowed view.
    #[inline]
    pub fn as_ref(&self) -> BigIntRef<'_> {
        BigIntRef {
            negative: self.negative,
            magnitude: &self.magnitude,
        }
    }

    /// The value as i128 when it fits (the runtime's second fast path).
    pub fn to_i128(&self) -> Option<i128> {
        self.as_ref().to_i128()
    }
}

impl BigIntRef<'_> {
    /// The value as i128 when it fits.
    pub fn to_i128(&self) -> Option<i128> {
        if self.magnitude.len() > 16 {
            return None;
        }
        let mut le = [0u8; 16];
        le[..self.magnitude.len()].copy_from_slice(self.magnitude);
        let m = u128::from_le_bytes(le);
        if self.negative {
            if m <= 1 << 127 {
                Some((m as i128).wrapping_neg())
            } else {
                None
            }
        } else {
            i128::try_from(m).ok()
        }
    }

    /// An owned copy.
    pub fn to_owned(&self) -> BigInt {
        BigInt {
            negative: self.negative,
            magnitude: self.magnitude.to_vec(),
        }
    }
}

/// Sign and trimmed magnitude of an i128.
pub(crate) fn i128_parts(v: i128) -> (bool, Vec<u8>) {
    let bytes = v.unsigned_abs().to_le_bytes();
    (v < 0, bytes[..trimmed_len(&bytes)].to_vec())
}
