//! Property tests: round trips (bit-exact), canonicity on mutated inputs,
//! the streaming and owned decoders agreeing, exact size reporting.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use proptest::prelude::*;
use xikernel::xidata::{
    decode, encode_to_slice, encoded_len, to_vec, DecodeOptions, Event, Events, ExceptionSnapshot,
    ExtValue, PyString, Value,
};

fn pystr() -> impl Strategy<Value = PyString> {
    // Plain text, any scalar, and lone surrogates / surrogate pairs.
    let cp = prop_oneof![
        4 => 0x20u32..0x7f,
        2 => 0u32..0x11_0000,
        1 => 0xd800u32..0xe000,
    ];
    prop::collection::vec(cp, 0..12).prop_map(|cps| PyString::from_code_points(cps).unwrap())
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        any::<f64>(),
        Just(-0.0),
        Just(f64::NAN)
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::None),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<i128>().prop_map(Value::from),
        (any::<bool>(), prop::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(neg, mag)| Value::int_from_sign_magnitude(neg, mag)),
        float().prop_map(Value::Float),
        (float(), float()).prop_map(|(r, i)| Value::Complex(r, i)),
        pystr().prop_map(Value::Str),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
        (any::<u64>(), prop::collection::vec(any::<u8>(), 0..8))
            .prop_map(|(tag, payload)| Value::Ext(ExtValue { tag, payload })),
        (
            pystr(),
            pystr(),
            pystr(),
            pystr(),
            pystr(),
            prop::option::of(pystr())
        )
            .prop_map(|(type_name, qualname, module, msg, formatted, traceback)| {
                Value::from(ExceptionSnapshot {
                    type_name,
                    qualname,
                    module,
                    msg,
                    formatted,
                    traceback,
                })
            }),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    // Smaller trees under Miri, which runs ~1000x slower.
    let (depth, nodes) = if cfg!(miri) { (2, 8) } else { (5, 64) };
    leaf().prop_recursive(depth, nodes, 6, |inner| {
        prop::collection::vec(inner, 0..6).prop_map(Value::Tuple)
    })
}

/// Events -> counts of each kind, to compare the decoders without sharing code.
fn event_count(bytes: &[u8]) -> Result<usize, xikernel::xidata::DecodeError> {
    let mut n = 0;
    for e in Events::new(bytes, &DecodeOptions::default())? {
        if !matches!(e?, Event::TupleEnd) {
            n += 1;
        }
    }
    Ok(n)
}

fn node_count(v: &Value) -> usize {
    match v {
        Value::Tuple(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        _ => 1,
    }
}

/// 512 cases natively; a handful under Miri, which also forbids the
/// file-based failure persistence (no `getcwd` under isolation).
fn config() -> ProptestConfig {
    if cfg!(miri) {
        ProptestConfig {
            cases: 6,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    } else {
        ProptestConfig {
            cases: 512,
            ..ProptestConfig::default()
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn round_trip_is_bit_exact(v in value()) {
        let bytes = to_vec(&v).unwrap();
        prop_assert_eq!(encoded_len(&v).unwrap(), bytes.len());
        let back = decode(&bytes).unwrap();
        prop_assert_eq!(&back, &v);
        prop_assert_eq!(to_vec(&back).unwrap(), bytes.clone());
        prop_assert_eq!(event_count(&bytes).unwrap(), node_count(&v));
        let mut buf = vec![0u8; bytes.len() + 3];
        prop_assert_eq!(encode_to_slice(&v, &mut buf).unwrap(), bytes.len());
        prop_assert_eq!(&buf[..bytes.len()], &bytes[..]);
    }

    /// Mutate a valid encoding: whatever is accepted re-encodes to the same
    /// bytes (canonical), and both decoders agree on accept/reject.
    #[test]
    fn mutated_inputs_are_canonical_or_rejected(
        v in value(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..4),
    ) {
        let mut bytes = to_vec(&v).unwrap();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                2 if i < bytes.len() => { bytes.remove(i); }
                _ => bytes.truncate(i),
            }
        }
        let owned = decode(&bytes);
        let streamed = event_count(&bytes);
        match &owned {
            Ok(back) => {
                prop_assert_eq!(to_vec(back).unwrap(), bytes);
                prop_assert_eq!(streamed, Ok(node_count(back)));
            }
            Err(e) => {
                prop_assert!(e.offset <= bytes.len());
                prop_assert_eq!(streamed, Err(*e));
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = b"XI\x01".to_vec();
        bytes.extend(body);
        if let Ok(v) = decode(&bytes) {
            prop_assert_eq!(to_vec(&v).unwrap(), bytes);
        }
    }
}
