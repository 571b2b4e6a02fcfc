//! The owned value model: everything CPython 3.13 shares between
//! interpreters, plus ints of any size, complex, extension values and
//! exception snapshots.

use super::bigint::{self, BigInt};
use super::exception::ExceptionSnapshot;
use super::pystr::PyString;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

/// A value that crosses interpreters.
///
/// Every `Value` has exactly one encoding and every accepted encoding
/// decodes to exactly one `Value`: ints that fit `i64` are always
/// [`Int`](Value::Int) (the [`BigInt`] type cannot hold them), and equality
/// compares floats **bit-exactly** (`NaN == NaN` with the same payload,
/// `0.0 != -0.0`), so `decode(encode(v)) == v` holds for every value.
///
/// ```
/// use xikernel::xidata::Value;
/// assert_eq!(Value::from(3u32), Value::Int(3));
/// assert_eq!(Value::from(u64::MAX).as_i128(), Some(u64::MAX as i128)); // beyond i64: a BigInt
/// assert_eq!(Value::from(None::<bool>), Value::None);
/// assert_eq!(Value::from((1, "a")), Value::Tuple(vec![Value::Int(1), Value::from("a")]));
/// assert_eq!(Value::from(vec![0u8, 1]), Value::Bytes(vec![0, 1]));
/// assert_ne!(Value::from(0.0), Value::from(-0.0)); // bit-exact
/// ```
#[derive(Debug, Clone)]
pub enum Value {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An int in `i64` range.
    Int(i64),
    /// An int outside `i64` range.
    BigInt(BigInt),
    /// A float, bit-exact.
    Float(f64),
    /// A complex `(real, imag)`, bit-exact.
    Complex(f64, f64),
    /// A str; may hold lone surrogates.
    Str(PyString),
    /// A bytes object.
    Bytes(Vec<u8>),
    /// A tuple.
    Tuple(Vec<Value>),
    /// A registered extension type's value: `{type tag, payload}`.
    Ext(ExtValue),
    /// A captured exception.
    Exception(Box<ExceptionSnapshot>),
}

/// An extension value: the tag names a type in a
/// [`Registry`](super::Registry); the payload is that type's own encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtValue {
    /// Registered type tag.
    pub tag: u64,
    /// Opaque payload.
    pub payload: Vec<u8>,
}

impl Value {
    /// The int with the given sign and little-endian magnitude, as
    /// [`Int`](Value::Int) when it fits `i64`, else [`BigInt`](Value::BigInt).
    /// Zero top bytes are trimmed; "negative zero" is zero.
    pub fn int_from_sign_magnitude(negative: bool, magnitude_le: Vec<u8>) -> Self {
        match BigInt::new_unchecked_range(negative, magnitude_le) {
            Ok(b) => Value::BigInt(b),
            Err(small) => Value::Int(small),
        }
    }

    /// The int as i128 if it is one and fits.
    pub fn as_i128(&self) -> Option<i128> {
        match self {
            Value::Int(v) => Some(i128::from(*v)),
            Value::BigInt(b) => b.to_i128(),
            _ => None,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (None, None) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (BigInt(a), BigInt(b)) => a == b,
            (Float(a), Float(b)) => a.to_bits() == b.to_bits(),
            (Complex(ar, ai), Complex(br, bi)) => {
                ar.to_bits() == br.to_bits() && ai.to_bits() == bi.to_bits()
            }
            (Str(a), Str(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (Tuple(a), Tuple(b)) => a == b,
            (Ext(a), Ext(b)) => a == b,
            (Exception(a), Exception(b)) => a == b,
            _ => false,
        }
    }
}

/// Bit-exact equality is reflexive (NaN equals itself).
impl Eq for Value {}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<i128> for Value {
    fn from(v: i128) -> Self {
        match i64::try_from(v) {
            Ok(small) => Value::Int(small),
            Err(_) => {
                let (neg, mag) = bigint::i128_parts(v);
                Value::int_from_sign_magnitude(neg, mag)
            }
        }
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.into())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v.into())
    }
}

impl From<PyString> for Value {
    fn from(v: PyString) -> Self {
        Value::Str(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.to_vec())
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Tuple(v)
    }
}

/// Integers of every width: `Int` (or `BigInt` beyond `i64`).
macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::from(i128::from(v))
            }
        }
    )*};
}
from_int!(i8, i16, i32, u8, u16, u32, u64);

impl From<isize> for Value {
    fn from(v: isize) -> Self {
        // isize is at most 64 bits on every supported target.
        Value::from(v as i64)
    }
}

impl From<usize> for Value {
    fn from(v: usize) -> Self {
        // usize is at most 64 bits on every supported target.
        Value::from(v as u64)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float(f64::from(v))
    }
}

impl From<char> for Value {
    fn from(v: char) -> Self {
        let mut buf = [0u8; 4];
        Value::from(&*v.encode_utf8(&mut buf))
    }
}

/// `bytes`.
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

/// `None`, or the value.
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::None, Into::into)
    }
}

/// `None` (Python's unit).
impl From<()> for Value {
    fn from((): ()) -> Self {
        Value::None
    }
}

/// Tuples of up to 8 values.
macro_rules! from_tuple {
    ($($name:ident),+) => {
        impl<$($name: Into<Value>),+> From<($($name,)+)> for Value {
            #[allow(non_snake_case)]
            fn from(($($name,)+): ($($name,)+)) -> Self {
                Value::Tuple(alloc::vec![$($name.into()),+])
            }
        }
    };
}
from_tuple!(A);
from_tuple!(A, B);
from_tuple!(A, B, C);
from_tuple!(A, B, C, D);
from_tuple!(A, B, C, D, E);
from_tuple!(A, B, C, D, E, F);
from_tuple!(A, B, C, D, E, F, G);
from_tuple!(A, B, C, D, E, F, G, H);

impl From<ExceptionSnapshot> for Value {
    fn from(v: ExceptionSnapshot) -> Self {
        Value::Exception(Box::new(v))
    }
}
