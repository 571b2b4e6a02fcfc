//! Helpers shared by the fuzz targets: an `arbitrary` generator of
//! [`Value`]s (kept here so `core` needs no optional dependency) and a
//! rebuild of a value from the streaming decoder.

use arbitrary::{Result, Unstructured};
use xikernel::xidata::{
    DecodeError, DecodeOptions, Event, Events, ExceptionSnapshot, ExtValue, PyString, Value,
};

/// Deepest tuple nesting the generator builds.
const MAX_GEN_DEPTH: u32 = 8;

fn arb_str(u: &mut Unstructured<'_>) -> Result<PyString> {
    let n = u.int_in_range(0..=16)?;
    let mut cps = Vec::with_capacity(n);
    for _ in 0..n {
        cps.push(match u.int_in_range(0..=3)? {
            0 => u.int_in_range(0x20..=0x7e)?,
            1 => u.int_in_range(0xd800..=0xdfff)?,
            _ => u.int_in_range(0..=0x10ffff)?,
        });
    }
    Ok(PyString::from_code_points(cps).unwrap_or_default())
}

/// An arbitrary value, every variant reachable, nesting bounded.
pub fn arb_value(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    let top = if depth >= MAX_GEN_DEPTH { 10 } else { 11 };
    Ok(match u.int_in_range(0..=top)? {
        0 => Value::None,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::Int(u.arbitrary()?),
        3 => Value::from(u.arbitrary::<i128>()?),
        4 => Value::int_from_sign_magnitude(u.arbitrary()?, u.arbitrary()?),
        5 => Value::Float(f64::from_bits(u.arbitrary()?)),
        6 => Value::Complex(
            f64::from_bits(u.arbitrary()?),
            f64::from_bits(u.arbitrary()?),
        ),
        7 => Value::Str(arb_str(u)?),
        8 => Value::Bytes(u.arbitrary()?),
        9 => Value::Ext(ExtValue {
            tag: u.arbitrary()?,
            payload: u.arbitrary()?,
        }),
        10 => Value::from(ExceptionSnapshot {
            type_name: arb_str(u)?,
            qualname: arb_str(u)?,
            module: arb_str(u)?,
            msg: arb_str(u)?,
            formatted: arb_str(u)?,
            traceback: if u.arbitrary()? {
                Some(arb_str(u)?)
            } else {
                None
            },
        }),
        _ => {
            let n = u.int_in_range(0..=8)?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(arb_value(u, depth + 1)?);
            }
            Value::Tuple(items)
        }
    })
}

/// Rebuilds a value from the streaming decoder's events alone.
pub fn via_events(bytes: &[u8]) -> core::result::Result<Value, DecodeError> {
    let mut open: Vec<Vec<Value>> = Vec::new();
    for ev in Events::new(bytes, &DecodeOptions::default())? {
        let ev = ev?;
        if let Event::Str(s) = &ev {
            // The two views of a string must agree.
            if let Some(text) = s.as_str() {
                assert_eq!(text.as_bytes(), s.as_bytes());
                assert!(s.is_utf8());
            }
        }
        let v = match ev {
            Event::TupleStart(_) => {
                open.push(Vec::new());
                continue;
            }
            Event::TupleEnd => Value::Tuple(open.pop().expect("TupleEnd without TupleStart")),
            scalar => scalar.to_value().expect("scalar event"),
        };
        match open.last_mut() {
            Some(top) => top.push(v),
            None => return Ok(v),
        }
    }
    panic!("event stream ended without a complete value")
}
