//! Unit tests for every rejection and API error of the codec, the registry
//! and the XI-data record. (The golden vectors pin the same rejections
//! against the spec; these add the ones that need options or a registry.)
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use xikernel::xidata::{
    decode, decode_with, encode, encode_to_slice, encoded_len, tag, to_vec, DecodeErrorKind as K,
    DecodeOptions, EncodeError, Event, Events, ExceptionSnapshot, ExtValue, PyString, Registry,
    RegistryError, Value, XiData, MAX_DEPTH,
};
use xikernel::InterpId;

fn doc(body: &[u8]) -> Vec<u8> {
    let mut d = b"XI\x01".to_vec();
    d.extend_from_slice(body);
    d
}

fn err(bytes: &[u8]) -> (K, usize) {
    let e = decode(bytes).unwrap_err();
    (e.kind, e.offset)
}

#[test]
fn header_errors() {
    assert_eq!(err(b""), (K::UnexpectedEnd, 0));
    assert_eq!(err(b"XY\x01\x00"), (K::BadMagic, 0));
    assert_eq!(err(b"XI\x07\x00"), (K::UnsupportedVersion(7), 2));
    assert_eq!(err(b"XI\x01"), (K::UnexpectedEnd, 3));
}

#[test]
fn scalar_errors() {
    assert_eq!(err(&doc(&[0x42])), (K::UnknownTag(0x42), 3));
    assert_eq!(err(&doc(&[tag::BOOL, 9])), (K::InvalidBool(9), 4));
    assert_eq!(
        err(&doc(&[tag::INT, 0x80, 0x00])),
        (K::NonCanonicalVarint, 4)
    );
    assert_eq!(
        err(&doc(&[
            tag::INT,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0x02
        ])),
        (K::VarintOverflow, 4)
    );
    assert_eq!(
        err(&doc(&[tag::BIGINT, 0x10, 1, 0, 0, 0, 0, 0, 0, 0])),
        (K::NonCanonicalBigInt, 3)
    );
    assert_eq!(err(&doc(&[tag::STR, 2, 0xed, 0xa0])), (K::InvalidString, 5));
    assert_eq!(err(&doc(&[tag::BYTES, 9])), (K::LengthTooLarge, 4));
    assert_eq!(err(&doc(&[tag::NONE, tag::NONE])), (K::TrailingBytes, 4));
}

#[test]
fn depth_limit_is_configurable() {
    let mut v = Value::Tuple(vec![]);
    for _ in 0..9 {
        v = Value::Tuple(vec![v]);
    }
    let bytes = to_vec(&v).unwrap(); // depth 10
    let opts = |max_depth| DecodeOptions {
        max_depth,
        registry: None,
    };
    assert_eq!(decode_with(&bytes, &opts(10)), Ok(v.clone()));
    let e = decode_with(&bytes, &opts(9)).unwrap_err();
    assert_eq!((e.kind, e.offset), (K::DepthLimitExceeded, 3 + 2 * 9));
    assert_eq!(
        decode_with(&to_vec(&Value::None).unwrap(), &opts(0)),
        Ok(Value::None)
    );
    assert_eq!(
        decode_with(&bytes, &opts(0)).unwrap_err().kind,
        K::DepthLimitExceeded
    );
    // Huge settings are clamped to MAX_DEPTH: no unbounded recursion anywhere.
    let mut deep = b"XI\x01".to_vec();
    deep.extend(
        std::iter::repeat([tag::TUPLE, 1])
            .take(MAX_DEPTH + 1)
            .flatten(),
    );
    deep.extend([tag::NONE]);
    assert_eq!(
        decode_with(&deep, &opts(usize::MAX)).unwrap_err().kind,
        K::DepthLimitExceeded
    );
}

#[test]
fn encoder_refuses_too_deep_and_short_buffers() {
    let mut v = Value::None;
    for _ in 0..=MAX_DEPTH {
        v = Value::Tuple(vec![v]);
    }
    assert_eq!(encoded_len(&v), Err(EncodeError::DepthLimitExceeded));
    let mut out = Vec::new();
    assert_eq!(encode(&v, &mut out), Err(EncodeError::DepthLimitExceeded));
    assert!(out.is_empty());
    let small = Value::from("hello");
    let mut buf = [0xaau8; 8];
    assert_eq!(
        encode_to_slice(&small, &mut buf),
        Err(EncodeError::BufferTooSmall { needed: 10 })
    );
    assert_eq!(buf, [0xaa; 8], "nothing written on failure");
    // Tear down the deep value iteratively-enough (1025 levels drop fine).
    drop(v);
}

#[test]
fn extension_registry() {
    fn two_bytes(p: &[u8]) -> bool {
        p.len() == 2
    }
    let reg = Registry::new();
    reg.register(7, "demo.Point", Some(two_bytes)).unwrap();
    assert_eq!(
        reg.register(7, "other", None),
        Err(RegistryError::TagInUse("demo.Point".into()))
    );
    assert_eq!(
        reg.register(8, "demo.Point", None),
        Err(RegistryError::NameInUse(7))
    );
    assert_eq!(reg.by_name("demo.Point").map(|t| t.tag), Some(7));
    assert_eq!(reg.by_tag(7).map(|t| t.name), Some("demo.Point".into()));

    let opts = DecodeOptions {
        registry: Some(&reg),
        ..Default::default()
    };
    let ok = to_vec(&Value::Ext(ExtValue {
        tag: 7,
        payload: vec![1, 2],
    }))
    .unwrap();
    let bad = to_vec(&Value::Ext(ExtValue {
        tag: 7,
        payload: vec![1],
    }))
    .unwrap();
    let unknown = to_vec(&Value::Tuple(vec![Value::Ext(ExtValue {
        tag: 9,
        payload: vec![],
    })]))
    .unwrap();
    assert!(decode_with(&ok, &opts).is_ok());
    let e = decode_with(&bad, &opts).unwrap_err();
    assert_eq!((e.kind, e.offset), (K::InvalidExtensionPayload(7), 3));
    let e = decode_with(&unknown, &opts).unwrap_err();
    assert_eq!((e.kind, e.offset), (K::UnknownExtension(9), 5));
    // Without a registry, extension values pass through opaquely.
    assert!(decode(&unknown).is_ok());
    assert!(reg.unregister(7).is_some());
    assert!(reg.unregister(7).is_none());
    assert_eq!(
        decode_with(&ok, &opts).unwrap_err().kind,
        K::UnknownExtension(7)
    );
    Registry::global()
        .register(u64::MAX, "xikernel.test", None)
        .unwrap();
    assert!(Registry::global().by_tag(u64::MAX).is_some());
}

#[test]
fn lying_lengths_do_not_allocate() {
    // A tuple claiming 2^62 items, a str claiming 2^62 bytes: rejected from
    // the length alone, before any allocation.
    let big = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
    for t in [tag::TUPLE, tag::STR, tag::BYTES] {
        let mut d = doc(&[t]);
        d.extend(big);
        assert_eq!(err(&d), (K::LengthTooLarge, 4));
    }
    // A plausible count, honest or not: the decoder reserves it only while
    // the bytes that remain could hold that many items.
    let mut d = doc(&[tag::TUPLE, 0xe8, 0x07]); // 1000 items claimed
    d.extend(std::iter::repeat(tag::NONE).take(999));
    d.push(tag::NONE);
    assert!(decode(&d).is_ok());
    // 1000 items claimed, 1000 bytes present, but they hold one item.
    let mut d = doc(&[tag::TUPLE, 0xe8, 0x07, tag::BYTES, 0xe5, 0x07]); // 997 bytes
    d.extend(std::iter::repeat(0).take(997));
    assert_eq!(err(&d), (K::UnexpectedEnd, d.len()));
}

#[test]
fn ints_pick_their_form_and_convert() {
    assert_eq!(Value::from(5i128), Value::Int(5));
    assert_eq!(Value::from(i64::MIN as i128), Value::Int(i64::MIN));
    let big = Value::from(i128::MIN);
    assert!(matches!(big, Value::BigInt(_)));
    assert_eq!(big.as_i128(), Some(i128::MIN));
    assert_eq!(Value::from(i128::MAX).as_i128(), Some(i128::MAX));
    // Zero top bytes and negative zero normalise.
    assert_eq!(
        Value::int_from_sign_magnitude(true, vec![0, 0, 0]),
        Value::Int(0)
    );
    assert_eq!(
        Value::int_from_sign_magnitude(true, vec![0, 0, 0, 0, 0, 0, 0, 0x80, 0]),
        Value::Int(i64::MIN)
    );
    let v = Value::int_from_sign_magnitude(false, vec![0xff; 20]);
    assert_eq!(v.as_i128(), None);
    assert_eq!(decode(&to_vec(&v).unwrap()), Ok(v));
}

#[test]
fn events_borrow_from_the_input() {
    let v = Value::Tuple(vec![
        Value::from("abc"),
        Value::Bytes(vec![1, 2, 3]),
        Value::Str(PyString::from_code_points([0xd800]).unwrap()),
    ]);
    let bytes = to_vec(&v).unwrap();
    let range = bytes.as_ptr_range();
    let events: Vec<_> = Events::new(&bytes, &DecodeOptions::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(events.len(), 5);
    let Event::Str(s) = &events[1] else { panic!() };
    assert_eq!(s.as_str(), Some("abc"));
    assert!(range.contains(&s.as_bytes().as_ptr()));
    let Event::Bytes(b) = &events[2] else {
        panic!()
    };
    assert!(range.contains(&b.as_ptr()));
    let Event::Str(s) = &events[3] else { panic!() };
    assert_eq!(
        (s.as_str(), s.code_points().collect::<Vec<_>>()),
        (None, vec![0xd800])
    );
    assert_eq!(events[4], Event::TupleEnd);
    // An error ends the stream.
    let mut evs = Events::new(b"XI\x01\x08\x02\x00\xff", &DecodeOptions::default()).unwrap();
    assert_eq!(evs.next(), Some(Ok(Event::TupleStart(2))));
    assert_eq!(evs.next(), Some(Ok(Event::None)));
    assert!(matches!(evs.next(), Some(Err(_))));
    assert_eq!(evs.next(), None);
}

#[test]
fn exception_snapshot_formats_like_cpython() {
    let e = ExceptionSnapshot::new(
        "KeyError".into(),
        "KeyError".into(),
        "builtins".into(),
        "'k'".into(),
        None,
    );
    assert_eq!(e.formatted.as_str(), Some("KeyError: 'k'"));
    let e = ExceptionSnapshot::new(
        "JSONDecodeError".into(),
        "JSONDecodeError".into(),
        "json.decoder".into(),
        "bad".into(),
        Some("tb".into()),
    );
    assert_eq!(
        e.formatted.as_str(),
        Some("json.decoder.JSONDecodeError: bad")
    );
    let e2 = ExceptionSnapshot::new(
        "E".into(),
        "Outer.E".into(),
        "__main__".into(),
        "".into(),
        None,
    );
    assert_eq!(e2.formatted.as_str(), Some("Outer.E"));
    let v = Value::from(e);
    assert_eq!(decode(&to_vec(&v).unwrap()), Ok(v));
}

fn counting_hook(count: &Arc<AtomicUsize>) -> Option<xikernel::xidata::ReleaseHook> {
    let c = count.clone();
    Some(Box::new(move |owner| {
        assert_eq!(owner, InterpId(42));
        c.fetch_add(1, Ordering::SeqCst);
    }))
}

#[test]
fn record_releases_exactly_once() {
    let count = Arc::new(AtomicUsize::new(0));
    let rec = XiData::encode(&Value::from("x"), InterpId(42), counting_hook(&count)).unwrap();
    assert_eq!(rec.owner(), InterpId(42));
    assert_eq!(rec.decode(&DecodeOptions::default()), Ok(Value::from("x")));
    assert!(!rec.is_released());
    assert!(rec.release());
    assert!(!rec.release());
    assert!(rec.is_released());
    drop(rec);
    assert_eq!(count.load(Ordering::SeqCst), 1);

    // Dropped without an explicit release: the drop releases.
    drop(XiData::encode(&Value::None, InterpId(42), counting_hook(&count)).unwrap());
    assert_eq!(count.load(Ordering::SeqCst), 2);

    // Shared between threads: one winner.
    let rec = Arc::new(XiData::new(
        to_vec(&Value::None).unwrap(),
        InterpId(42),
        counting_hook(&count),
    ));
    let wins: usize = (0..4)
        .map(|_| {
            let r = rec.clone();
            std::thread::spawn(move || usize::from(r.release()))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .sum();
    assert_eq!(wins, 1);
    drop(rec);
    assert_eq!(count.load(Ordering::SeqCst), 3);
    let rec = XiData::encode(&Value::Int(1), InterpId(42), counting_hook(&count)).unwrap();
    assert_eq!(rec.into_bytes(), b"XI\x01\x02\x02");
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[test]
fn writer_matches_the_value_encoder() {
    use xikernel::xidata::Writer;
    let exc = ExceptionSnapshot::new("E".into(), "E".into(), "m".into(), "x".into(), None);
    let v = Value::Tuple(vec![
        Value::None,
        Value::Bool(true),
        Value::Int(-5),
        Value::int_from_sign_magnitude(true, vec![1, 0, 0, 0, 0, 0, 0, 0, 1]),
        Value::Int(i64::MIN),
        Value::Float(-0.0),
        Value::Complex(1.0, f64::NAN),
        Value::from("é"),
        Value::Str(PyString::from_code_points([0xdc00]).unwrap()),
        Value::Bytes(vec![1, 2]),
        Value::Tuple(vec![]),
        Value::Ext(ExtValue {
            tag: 3,
            payload: vec![9],
        }),
        Value::from(exc.clone()),
    ]);
    let mut out = Vec::new();
    let mut w = Writer::new(&mut out);
    w.tuple(13);
    w.none();
    w.bool(true);
    w.int(-5);
    w.int_from_sign_magnitude(true, &[1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
    w.int_from_sign_magnitude(true, &[0, 0, 0, 0, 0, 0, 0, 0x80]);
    w.float(-0.0);
    w.complex(1.0, f64::NAN);
    w.str("é");
    w.py_str(PyString::from_code_points([0xdc00]).unwrap().as_ref());
    w.bytes(&[1, 2]);
    w.tuple(0);
    w.ext(3, &[9]);
    w.value(&Value::from(exc)).unwrap();
    assert_eq!(out, to_vec(&v).unwrap());
    assert_eq!(decode(&out), Ok(v));
}

#[test]
fn deep_values_fit_a_small_stack() {
    // The decoders do not recurse; the encoder and `Drop` recurse once per
    // tuple level: at the hard limit that must fit a small thread stack
    // (debug frames included).
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            let mut bytes = b"XI\x01".to_vec();
            bytes.extend(
                std::iter::repeat([tag::TUPLE, 1])
                    .take(MAX_DEPTH - 1)
                    .flatten(),
            );
            bytes.extend([tag::TUPLE, 0]);
            let opts = DecodeOptions {
                max_depth: MAX_DEPTH,
                registry: None,
            };
            let v = decode_with(&bytes, &opts).unwrap();
            assert_eq!(to_vec(&v).unwrap(), bytes);
        })
        .unwrap()
        .join()
        .unwrap();
}
