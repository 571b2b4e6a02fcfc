//! Shared by the xidata integration tests: the golden-vector S-expression
//! notation of `docs/wire-format.md` and a bit-exact value printer.
#![allow(dead_code)]

use xikernel::xidata::{ExceptionSnapshot, ExtValue, PyString, Value};

pub fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "-".into();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    assert!(s.len() % 2 == 0, "odd hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

enum Tok<'a> {
    Open,
    Close,
    Atom(&'a str),
}

fn tokens(s: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start();
        let Some(c) = rest.chars().next() else {
            return out;
        };
        match c {
            '(' => {
                out.push(Tok::Open);
                rest = &rest[1..];
            }
            ')' => {
                out.push(Tok::Close);
                rest = &rest[1..];
            }
            _ => {
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
                    .unwrap_or(rest.len());
                out.push(Tok::Atom(&rest[..end]));
                rest = &rest[end..];
            }
        }
    }
}

enum Arg<'a> {
    Atom(&'a str),
    Val(Value),
}

/// Parses one `(form ...)` of the golden-vector notation.
pub fn parse(s: &str) -> Value {
    let toks = tokens(s);
    let mut pos = 0;
    let v = form(&toks, &mut pos);
    assert_eq!(pos, toks.len(), "trailing tokens in {s}");
    v
}

fn form(toks: &[Tok<'_>], pos: &mut usize) -> Value {
    let (Tok::Open, Tok::Atom(head)) = (&toks[*pos], &toks[*pos + 1]) else {
        panic!("bad form")
    };
    *pos += 2;
    let mut args = Vec::new();
    loop {
        match &toks[*pos] {
            Tok::Close => break,
            Tok::Open => args.push(Arg::Val(form(toks, pos))),
            Tok::Atom(a) => {
                args.push(Arg::Atom(a));
                *pos += 1;
            }
        }
    }
    *pos += 1;
    build(head, args)
}

fn atom<'a>(a: &Arg<'a>) -> &'a str {
    match a {
        Arg::Atom(s) => s,
        Arg::Val(_) => panic!("expected an atom"),
    }
}

fn bits(a: &Arg<'_>) -> f64 {
    f64::from_bits(u64::from_str_radix(atom(a), 16).unwrap())
}

fn pystr(v: Value) -> PyString {
    match v {
        Value::Str(s) => s,
        other => panic!("expected str, got {other:?}"),
    }
}

fn build(head: &str, args: Vec<Arg<'_>>) -> Value {
    match head {
        "none" => Value::None,
        "bool" => Value::Bool(atom(&args[0]) == "1"),
        "int" => parse_int(atom(&args[0])),
        "float" => Value::Float(bits(&args[0])),
        "complex" => Value::Complex(bits(&args[0]), bits(&args[1])),
        "str" => Value::Str(
            PyString::from_code_points(
                args.iter()
                    .map(|a| u32::from_str_radix(atom(a), 16).unwrap()),
            )
            .unwrap(),
        ),
        "bytes" => Value::Bytes(args.first().map_or(Vec::new(), |a| unhex(atom(a)))),
        "tuple" => Value::Tuple(
            args.into_iter()
                .map(|a| match a {
                    Arg::Val(v) => v,
                    Arg::Atom(s) => panic!("atom {s} in tuple"),
                })
                .collect(),
        ),
        "ext" => Value::Ext(ExtValue {
            tag: atom(&args[0]).parse().unwrap(),
            payload: unhex(atom(&args[1])),
        }),
        "exc" => {
            let mut vals = args.into_iter().map(|a| match a {
                Arg::Val(v) => v,
                Arg::Atom(s) => panic!("atom {s} in exc"),
            });
            let mut next = || pystr(vals.next().unwrap());
            let (type_name, qualname, module, msg, formatted) =
                (next(), next(), next(), next(), next());
            let traceback = match vals.next().unwrap() {
                Value::None => None,
                v => Some(pystr(v)),
            };
            Value::from(ExceptionSnapshot {
                type_name,
                qualname,
                module,
                msg,
                formatted,
                traceback,
            })
        }
        _ => panic!("unknown form {head}"),
    }
}

/// Decimal of any size -> Value::Int / Value::BigInt (via sign + magnitude).
pub fn parse_int(s: &str) -> Value {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let mut mag: Vec<u8> = Vec::new(); // little-endian
    for d in digits.bytes() {
        let mut carry = u32::from(d - b'0');
        for b in mag.iter_mut() {
            let x = u32::from(*b) * 10 + carry;
            *b = x as u8;
            carry = x >> 8;
        }
        while carry > 0 {
            mag.push(carry as u8);
            carry >>= 8;
        }
    }
    Value::int_from_sign_magnitude(neg, mag)
}

fn magnitude_to_decimal(mag: &[u8]) -> String {
    let mut m: Vec<u8> = mag.iter().rev().copied().collect(); // big-endian
    let mut digits = Vec::new();
    while m.iter().any(|&b| b != 0) {
        let mut rem = 0u32;
        for b in m.iter_mut() {
            let x = (rem << 8) | u32::from(*b);
            *b = (x / 10) as u8;
            rem = x % 10;
        }
        digits.push(b'0' + rem as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap()
}

fn str_form(s: &PyString) -> String {
    let mut out = String::from("(str");
    for cp in s.code_points() {
        out += &format!(" {cp:x}");
    }
    out + ")"
}

/// The canonical notation of `v` (what the Python reference prints).
pub fn show(v: &Value) -> String {
    match v {
        Value::None => "(none)".into(),
        Value::Bool(b) => format!("(bool {})", u8::from(*b)),
        Value::Int(i) => format!("(int {i})"),
        Value::BigInt(b) => {
            format!(
                "(int {}{})",
                if b.is_negative() { "-" } else { "" },
                magnitude_to_decimal(b.magnitude())
            )
        }
        Value::Float(f) => format!("(float {:016x})", f.to_bits()),
        Value::Complex(r, i) => format!("(complex {:016x} {:016x})", r.to_bits(), i.to_bits()),
        Value::Str(s) => str_form(s),
        Value::Bytes(b) if b.is_empty() => "(bytes)".into(),
        Value::Bytes(b) => format!("(bytes {})", hex(b)),
        Value::Tuple(items) => {
            let mut out = String::from("(tuple");
            for item in items {
                out.push(' ');
                out += &show(item);
            }
            out + ")"
        }
        Value::Ext(e) => format!("(ext {} {})", e.tag, hex(&e.payload)),
        Value::Exception(e) => {
            let mut out = String::from("(exc");
            for s in [&e.type_name, &e.qualname, &e.module, &e.msg, &e.formatted] {
                out.push(' ');
                out += &str_form(s);
            }
            out.push(' ');
            out += &e.traceback.as_ref().map_or("(none)".into(), str_form);
            out + ")"
        }
    }
}
