//! LEB128 varints with exactly one encoding per value.
//!
//! Unsigned little-endian base-128: seven bits per byte, high bit set on
//! every byte but the last. Canonical means minimal: the last byte is never
//! zero unless it is the only byte, and at most ten bytes carry 64 bits (the
//! tenth may only be 0 or 1). Signed values use zigzag first, so small
//! negative numbers stay short.

use super::error::{DecodeError, DecodeErrorKind};

/// Longest varint: ceil(64 / 7).
pub const MAX_VARINT_LEN: usize = 10;

/// Number of bytes `v` takes.
#[inline]
pub const fn varint_len(v: u64) -> usize {
    // 1 + floor(bits / 7), with bits = 64 - lz and v = 0 taking one byte.
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// The varint bytes of `v`, written into `tmp`.
#[inline]
pub fn varint_bytes(mut v: u64, tmp: &mut [u8; MAX_VARINT_LEN]) -> &[u8] {
    let mut n = 0;
    while v >= 0x80 {
        tmp[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    tmp[n] = v as u8;
    &tmp[..=n]
}

/// Reads a canonical varint at `*pos`, advancing `*pos` past it.
#[inline]
pub fn read_varint(buf: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let start = *pos;
    match buf.get(start) {
        Some(&b) if b < 0x80 => {
            *pos = start + 1;
            Ok(u64::from(b))
        }
        Some(_) => read_varint_slow(buf, pos, start),
        None => Err(DecodeError::new(DecodeErrorKind::UnexpectedEnd, buf.len())),
    }
}

#[inline(never)]
fn read_varint_slow(buf: &[u8], pos: &mut usize, start: usize) -> Result<u64, DecodeError> {
    let mut v: u64 = 0;
    for i in 0..MAX_VARINT_LEN {
        let Some(&b) = buf.get(start + i) else {
            return Err(DecodeError::new(DecodeErrorKind::UnexpectedEnd, buf.len()));
        };
        let low = u64::from(b & 0x7f);
        if i == MAX_VARINT_LEN - 1 && b > 1 {
            // Bits beyond 64 (or a continuation past ten bytes).
            return Err(DecodeError::new(DecodeErrorKind::VarintOverflow, start));
        }
        v |= low << (7 * i);
        if b & 0x80 == 0 {
            if b == 0 {
                // i >= 1 here: a single 0 byte took the fast path.
                return Err(DecodeError::new(DecodeErrorKind::NonCanonicalVarint, start));
            }
            *pos = start + i + 1;
            return Ok(v);
        }
    }
    unreachable_overflow(start)
}

// The loop returns on its tenth byte in every case (b > 1 -> overflow,
// b == 0 -> overlong, b == 1 -> value); this keeps the compiler happy
// without a panic path.
#[cold]
fn unreachable_overflow(start: usize) -> Result<u64, DecodeError> {
    Err(DecodeError::new(DecodeErrorKind::VarintOverflow, start))
}

/// Zigzag: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ...
#[inline]
pub const fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Inverse of [`zigzag`].
#[inline]
pub const fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_match_writer() {
        for v in [0, 1, 127, 128, 16383, 16384, u64::MAX >> 1, u64::MAX] {
            let mut tmp = [0; MAX_VARINT_LEN];
            let out = varint_bytes(v, &mut tmp);
            assert_eq!(out.len(), varint_len(v), "{v}");
            let mut pos = 0;
            assert_eq!(read_varint(out, &mut pos), Ok(v));
            assert_eq!(pos, out.len());
        }
    }

    #[test]
    fn zigzag_round_trips() {
        for v in [0, -1, 1, i64::MIN, i64::MAX, -64, 63, 64] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }
}
