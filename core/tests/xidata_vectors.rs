//! Golden vectors (`verify/vectors/xidata.txt`, produced from real Python
//! values by the independent reference in `verify/python/`): every accepted
//! vector decodes to its described value and re-encodes to the same bytes,
//! through both decoders; every rejection has the spec's reason and offset.
//!
//! `XIDATA_EXTRA_VECTORS=<file>` checks more vectors in the same format
//! (CI: `python3 verify/python/xidata_ref.py random 3000`);
//! `XIDATA_DUMP=<file>` writes Rust-encoded random vectors for the Python
//! reference to check (`xidata_ref.py check <file>`).
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

mod xidata_common;
use xidata_common::{hex, parse, show, unhex};
use xikernel::xidata::{
    decode, encode_to_slice, encoded_len, to_vec, DecodeOptions, Event, Events, Value,
};

const GOLDEN: &str = include_str!("../../verify/vectors/xidata.txt");

/// Rebuilds a value from the streaming decoder, independently of `decode`.
fn via_events(bytes: &[u8]) -> Value {
    let mut stack: Vec<Vec<Value>> = Vec::new();
    for ev in Events::new(bytes, &DecodeOptions::default()).unwrap() {
        let v = match ev.unwrap() {
            Event::TupleStart(_) => {
                stack.push(Vec::new());
                continue;
            }
            Event::TupleEnd => Value::Tuple(stack.pop().unwrap()),
            scalar => scalar.to_value().expect("scalar event"),
        };
        match stack.last_mut() {
            Some(top) => top.push(v),
            None => return v,
        }
    }
    panic!("no value")
}

fn check(text: &str, origin: &str) -> (usize, usize) {
    let (mut ok, mut err) = (0, 0);
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{origin}:{}", i + 1);
        let mut parts = line.splitn(3, ' ');
        let (kind, bytes, rest) = (
            parts.next().unwrap(),
            unhex(parts.next().unwrap()),
            parts.next().unwrap(),
        );
        match kind {
            "ok" => {
                let want = parse(rest);
                assert_eq!(show(&want), rest, "{at}: notation not canonical");
                assert_eq!(decode(&bytes).as_ref(), Ok(&want), "{at}");
                assert_eq!(via_events(&bytes), want, "{at}: streaming decoder");
                assert_eq!(hex(&to_vec(&want).unwrap()), hex(&bytes), "{at}: encode");
                assert_eq!(encoded_len(&want), Ok(bytes.len()), "{at}");
                let mut buf = vec![0u8; bytes.len()];
                assert_eq!(encode_to_slice(&want, &mut buf), Ok(bytes.len()));
                assert_eq!(buf, bytes, "{at}: encode_to_slice");
                ok += 1;
            }
            "err" => {
                let (name, off) = rest.split_once(' ').unwrap();
                let e = decode(&bytes).expect_err(&at);
                let got = format!("{:?}", e.kind);
                let got = got.split('(').next().unwrap();
                assert_eq!((got, e.offset), (name, off.parse().unwrap()), "{at}");
                // The streaming decoder fails the same way.
                let streamed = Events::new(&bytes, &DecodeOptions::default())
                    .and_then(|evs| evs.collect::<Result<Vec<_>, _>>());
                assert_eq!(streamed.err(), Some(e), "{at}: streaming decoder");
                err += 1;
            }
            _ => panic!("{at}: bad line"),
        }
    }
    (ok, err)
}

#[test]
fn golden_vectors() {
    let (ok, err) = check(GOLDEN, "verify/vectors/xidata.txt");
    assert!(
        ok >= 40 && err >= 35,
        "golden file truncated: {ok} ok, {err} err"
    );
}

#[test]
fn extra_vectors_from_env() {
    let Ok(path) = std::env::var("XIDATA_EXTRA_VECTORS") else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let (ok, _) = check(&text, &path);
    assert!(ok > 0, "{path} has no vectors");
    eprintln!("{path}: {ok} Python-encoded vectors agree");
}

/// A small deterministic generator of values (xorshift), for the dump.
fn random_value(s: &mut u64, depth: u32) -> Value {
    let mut next = || {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    };
    let k = next() % if depth < 3 { 10 } else { 8 };
    let n = next();
    match k {
        0 => Value::None,
        1 => Value::Bool(n & 1 == 1),
        2 => Value::Int((n as i64) >> (n % 64)),
        3 => Value::from(((n as i128) << 64 | next() as i128) >> (n % 60)),
        4 => Value::Float(f64::from_bits(n)),
        5 => Value::Str(
            xikernel::xidata::PyString::from_code_points(
                (0..n % 6).map(|i| ((n >> (i * 8)) as u32).wrapping_mul(4099) % 0x11_0000),
            )
            .unwrap(),
        ),
        6 => Value::Bytes(n.to_le_bytes()[..(n % 9) as usize].to_vec()),
        7 => Value::Complex(f64::from_bits(n), f64::from_bits(n.rotate_left(7))),
        _ => Value::Tuple((0..n % 4).map(|_| random_value(s, depth + 1)).collect()),
    }
}

#[test]
fn dump_rust_vectors_for_python() {
    let Ok(path) = std::env::var("XIDATA_DUMP") else {
        return;
    };
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = String::new();
    for _ in 0..3000 {
        let v = random_value(&mut s, 0);
        out += &format!("ok {} {}\n", hex(&to_vec(&v).unwrap()), show(&v));
    }
    std::fs::write(&path, out).unwrap();
}
