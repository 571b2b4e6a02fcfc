//! Cross-interpreter data: a canonical, versioned, bounded wire format for
//! the values CPython shares between interpreters, and more.
//!
//! ```
//! use xikernel::xidata::{decode, to_vec, Value};
//!
//! let v = Value::from((1, "two", vec![3u8], None::<i32>));
//! let bytes = to_vec(&v).unwrap();
//! assert_eq!(&bytes[..2], b"XI");
//! assert_eq!(decode(&bytes).unwrap(), v);
//! ```
//!
//! - [`Value`] is the owned model: None, bool, ints of any size
//!   ([`BigInt`] beyond i64), bit-exact floats and complex, [`PyString`]
//!   (code points incl. lone surrogates, stored as generalized UTF-8), bytes,
//!   tuples, extension values resolved through a [`Registry`], and
//!   [`ExceptionSnapshot`]s.
//! - [`encode`] / [`encode_to_slice`] write into the caller's buffer;
//!   [`encoded_len`] gives the exact size first; [`Writer`] writes the same
//!   bytes straight from a runtime's own objects.
//! - [`Events`] is the streaming decoder: a pull iterator of [`Event`]s
//!   borrowing strings and bytes from the input, so a runtime builds its
//!   own objects directly; [`decode`] builds a [`Value`] from the same
//!   events.
//! - [`XiData`] is the record queues and channels store: bytes, owner id,
//!   exactly-once release hook.
//!
//! Trade-offs: the format favours one encoding per value (the decoder
//! rejects every alternative spelling, so `encode(decode(b)) == b` for all
//! accepted `b`) and a decode that validates in one forward pass without
//! recursion, over compactness tricks (no interning, no length-free
//! strings). Ints use zigzag varints (small ints are 2 bytes incl. tag),
//! strings and bytes are length-prefixed and copied with one memcpy.

mod bigint;
mod bulk;
mod decode;
mod encode;
mod error;
mod exception;
mod owned;
mod pystr;
mod reader;
mod record;
mod registry;
mod value;
pub(crate) mod varint;

pub use bigint::{BigInt, BigIntRef};
pub use decode::{DecodeOptions, Event, Events};
pub use encode::{encode, encode_to_slice, encoded_len, to_vec, Writer};
pub use error::{DecodeError, DecodeErrorKind, EncodeError};
pub use exception::{format_oneliner, ExceptionRef, ExceptionSnapshot};
pub use owned::{decode, decode_with};
pub use pystr::{PyString, StrRef};
pub use record::{ReleaseHook, XiData};
pub use registry::{ExtType, Registry, RegistryError, Validator};
pub use value::{ExtValue, Value};

/// First two bytes of every encoding.
pub const MAGIC: [u8; 2] = *b"XI";
/// The format version this codec reads and writes.
pub const VERSION: u8 = 1;
/// Default tuple nesting limit of the decoder.
pub const DEFAULT_MAX_DEPTH: usize = 128;
/// Hard nesting limit: the encoder refuses deeper values and decoder
/// options are clamped to it (keeps recursive drops of decoded values and
/// the encoder's recursion well inside any thread's stack).
pub const MAX_DEPTH: usize = 1024;

/// Value tags (first byte of every value).
pub mod tag {
    /// `None`; no payload.
    pub const NONE: u8 = 0x00;
    /// bool; one byte, 0 or 1.
    pub const BOOL: u8 = 0x01;
    /// i64-range int; zigzag varint.
    pub const INT: u8 = 0x02;
    /// Other int; varint `len << 1 | negative`, then `len` magnitude bytes LE.
    pub const BIGINT: u8 = 0x03;
    /// float; 8 bytes, IEEE-754 binary64 bits LE.
    pub const FLOAT: u8 = 0x04;
    /// complex; 16 bytes: real bits LE, imag bits LE.
    pub const COMPLEX: u8 = 0x05;
    /// str; varint length, generalized UTF-8.
    pub const STR: u8 = 0x06;
    /// bytes; varint length, bytes.
    pub const BYTES: u8 = 0x07;
    /// tuple; varint count, items.
    pub const TUPLE: u8 = 0x08;
    /// extension; varint type tag, varint length, payload.
    pub const EXT: u8 = 0x09;
    /// exception snapshot; 5 strs, flag byte, optional str.
    pub const EXCEPTION: u8 = 0x0a;
}
