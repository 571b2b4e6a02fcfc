//! Typed errors of the codec. Every rejection names the byte offset (from
//! the start of the input, header included) where the problem was found.

use core::fmt;

/// Why a decode was rejected. Stable: the golden vectors and the Python
/// reference use the same names (the format specification's list of
/// rejections).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The first two bytes are not `b"XI"`.
    BadMagic,
    /// The version byte is not one this decoder implements.
    UnsupportedVersion(u8),
    /// The input ended inside the header or a value.
    UnexpectedEnd,
    /// A byte that is not a known value tag.
    UnknownTag(u8),
    /// A varint longer than needed, or longer than 64 bits.
    NonCanonicalVarint,
    /// A varint whose value exceeds 64 bits.
    VarintOverflow,
    /// A length prefix larger than the bytes that remain.
    LengthTooLarge,
    /// A bool byte other than 0 or 1 (also used for the exception's
    /// "has traceback" flag).
    InvalidBool(u8),
    /// A big int that fits in i64, has a zero top byte, or a bad sign byte.
    NonCanonicalBigInt,
    /// A string that is not generalized UTF-8 (see "Strings").
    InvalidString,
    /// Tuples nested deeper than the configured limit.
    DepthLimitExceeded,
    /// An extension tag absent from the registry given to the decoder.
    UnknownExtension(u64),
    /// The registry's validator refused an extension payload.
    InvalidExtensionPayload(u64),
    /// Bytes left after the one top-level value.
    TrailingBytes,
}

/// A rejected input: what was wrong and where.
///
/// ```
/// use xikernel::xidata::{decode, DecodeErrorKind};
/// let err = decode(b"XX\x01\x00").unwrap_err();
/// assert_eq!(err.kind, DecodeErrorKind::BadMagic);
/// assert_eq!(err.offset, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecodeError {
    /// The reason.
    pub kind: DecodeErrorKind,
    /// Byte offset from the start of the input where the fault begins.
    pub offset: usize,
}

impl DecodeError {
    #[cold]
    pub(crate) fn new(kind: DecodeErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMagic => f.write_str("bad magic (expected \"XI\")"),
            Self::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            Self::UnexpectedEnd => f.write_str("unexpected end of input"),
            Self::UnknownTag(t) => write!(f, "unknown value tag 0x{t:02x}"),
            Self::NonCanonicalVarint => f.write_str("overlong varint"),
            Self::VarintOverflow => f.write_str("varint exceeds 64 bits"),
            Self::LengthTooLarge => f.write_str("length prefix exceeds remaining input"),
            Self::InvalidBool(b) => write!(f, "bool byte {b} is neither 0 nor 1"),
            Self::NonCanonicalBigInt => f.write_str("non-canonical big int"),
            Self::InvalidString => f.write_str("string is not generalized UTF-8"),
            Self::DepthLimitExceeded => f.write_str("nesting depth limit exceeded"),
            Self::UnknownExtension(t) => write!(f, "unknown extension tag {t}"),
            Self::InvalidExtensionPayload(t) => {
                write!(f, "payload rejected by extension type {t}")
            }
            Self::TrailingBytes => f.write_str("trailing bytes after the value"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DecodeError {}

/// Why an encode failed. Encoding a [`Value`](super::Value) can only fail on
/// resources: the value itself is always representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeError {
    /// The value nests tuples deeper than [`MAX_DEPTH`](super::MAX_DEPTH):
    /// no conforming decoder would accept it.
    DepthLimitExceeded,
    /// The destination slice is shorter than the encoding (`needed` bytes).
    BufferTooSmall {
        /// The exact encoded size.
        needed: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DepthLimitExceeded => f.write_str("value nests deeper than MAX_DEPTH"),
            Self::BufferTooSmall { needed } => {
                write!(f, "buffer too small ({needed} bytes needed)")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for EncodeError {}
