//! The owned decoder: bytes -> [`Value`], built from the streaming
//! decoder's events so the two cannot disagree.
//!
//! A recursive-descent variant over the shared reader was tried (fewer
//! instructions under callgrind) and measured ~1.5x *slower* on the tuple
//! groups: the per-level frame and the `Result<Value>` returns cost more
//! than the 32-byte events. Owned decode time is dominated by allocation
//! (one per str / bytes / tuple) and the value's drop, see
//! `benches/analysis.md`. Nesting uses a heap stack of open tuples, so the
//! decoder does not recurse.

use super::decode::{DecodeOptions, Event, Events, PREALLOC_ITEMS};
use super::error::{DecodeError, DecodeErrorKind};
use super::value::Value;
use alloc::vec::Vec;

/// Decodes one value with the default options (depth
/// [`DEFAULT_MAX_DEPTH`](super::DEFAULT_MAX_DEPTH), extensions opaque).
pub fn decode(input: &[u8]) -> Result<Value, DecodeError> {
    decode_with(input, &DecodeOptions::default())
}

/// Decodes one value into an owned tree.
pub fn decode_with(input: &[u8], opts: &DecodeOptions<'_>) -> Result<Value, DecodeError> {
    let mut events = Events::new(input, opts)?;
    let mut open: Vec<Vec<Value>> = Vec::new();
    loop {
        let Some(event) = events.next_event()? else {
            // Unreachable: the reader reports the top value's completion
            // with its last event. Kept as an error, not a panic.
            return Err(DecodeError::new(
                DecodeErrorKind::UnexpectedEnd,
                events.offset(),
            ));
        };
        let value = match event {
            Event::TupleStart(n) => {
                open.push(Vec::with_capacity(n.min(PREALLOC_ITEMS)));
                continue;
            }
            Event::TupleEnd => Value::Tuple(open.pop().unwrap_or_default()),
            // Scalars always have a value; `None` cannot happen here.
            scalar => scalar.to_value().unwrap_or(Value::None),
        };
        match open.last_mut() {
            Some(parent) => parent.push(value),
            None => return Ok(value),
        }
    }
}
