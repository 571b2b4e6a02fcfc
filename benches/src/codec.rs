//! The codec cases: each value as our [`Value`] and as the serde-derived
//! [`PValue`] the postcard and bincode peers encode.
//!
//! The peers get a *dynamic* value enum mirroring ours, not a static Rust
//! struct: a runtime moving Python objects does not know their types at
//! compile time, so tags are part of the job for every codec. Bytes go
//! through `serde_bytes` so the peers copy them in one piece too.

use serde::{Deserialize, Serialize};
use xikernel::xidata::Value;

/// The dynamic value the serde peers encode (our model minus the variants no
/// case uses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PValue {
    None,
    Bool(bool),
    Int(i64),
    /// Sign and little-endian magnitude, as ours.
    BigInt(bool, #[serde(with = "serde_bytes")] Vec<u8>),
    Float(f64),
    Str(String),
    Bytes(#[serde(with = "serde_bytes")] Vec<u8>),
    Tuple(Vec<PValue>),
}

/// One benchmarked value.
#[derive(Debug, Clone)]
pub struct Case {
    /// Group suffix: `codec_encode_<name>` / `codec_decode_<name>`.
    pub name: &'static str,
    pub ours: Value,
    pub peer: PValue,
}

fn case(name: &'static str, ours: Value, peer: PValue) -> Case {
    Case { name, ours, peer }
}

fn tuple(ours: Vec<Value>, peer: Vec<PValue>) -> (Value, PValue) {
    (Value::Tuple(ours), PValue::Tuple(peer))
}

/// The values: small int, i64, 2**200, f64, 10-char str, 1 KiB str,
/// 64 KiB bytes, a tuple of 8 mixed small values, a tuple nested 3 deep.
pub fn cases() -> Vec<Case> {
    let mut two_200 = vec![0u8; 26];
    two_200[25] = 1;
    let s1k: String = "0123456789abcdef".repeat(64);
    // Not all zeros, so no layer can get away with a memset.
    let b64k: Vec<u8> = (0..65536u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let (t8, p8) = tuple(
        vec![
            Value::Int(1),
            Value::Int(-2),
            Value::Float(3.5),
            "ab".into(),
            Value::Bytes(b"xy".to_vec()),
            Value::Bool(true),
            Value::None,
            Value::Int(1000),
        ],
        vec![
            PValue::Int(1),
            PValue::Int(-2),
            PValue::Float(3.5),
            PValue::Str("ab".into()),
            PValue::Bytes(b"xy".to_vec()),
            PValue::Bool(true),
            PValue::None,
            PValue::Int(1000),
        ],
    );
    // (1, "ab", (2.5, None, (True, b"cd", -3))): depth 3, 9 leaves.
    let (in2, pin2) = tuple(
        vec![
            Value::Bool(true),
            Value::Bytes(b"cd".to_vec()),
            Value::Int(-3),
        ],
        vec![
            PValue::Bool(true),
            PValue::Bytes(b"cd".to_vec()),
            PValue::Int(-3),
        ],
    );
    let (in1, pin1) = tuple(
        vec![Value::Float(2.5), Value::None, in2],
        vec![PValue::Float(2.5), PValue::None, pin2],
    );
    let (n3, pn3) = tuple(
        vec![Value::Int(1), "ab".into(), in1],
        vec![PValue::Int(1), PValue::Str("ab".into()), pin1],
    );
    vec![
        case("small_int", Value::Int(7), PValue::Int(7)),
        case(
            "i64",
            Value::Int(-1_234_567_890_123_456_789),
            PValue::Int(-1_234_567_890_123_456_789),
        ),
        case(
            "bigint_2pow200",
            Value::int_from_sign_magnitude(false, two_200.clone()),
            PValue::BigInt(false, two_200),
        ),
        case(
            "f64",
            Value::Float(std::f64::consts::PI),
            PValue::Float(std::f64::consts::PI),
        ),
        case(
            "str10",
            "abcdefghij".into(),
            PValue::Str("abcdefghij".into()),
        ),
        case("str1k", s1k.as_str().into(), PValue::Str(s1k)),
        case("bytes64k", Value::Bytes(b64k.clone()), PValue::Bytes(b64k)),
        case("tuple8", t8, p8),
        case("nested3", n3, pn3),
    ]
}
