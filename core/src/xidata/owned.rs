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

use super::decode::{DecodeOptions, Event, Events};
use super::error::{DecodeError, DecodeErrorKind};
use super::value::Value;
use alloc::vec::Vec;

/// Decodes one value with the default options (depth
/// [`DEFAULT_MAX_DEPTH`](super::DEFAULT_MAX_DEPTH), extensions opaque).
pub fn decode(input: &[u8]) -> Result<Value, DecodeError> {
    decode_with(input, &DecodeOptions::default())
}

/// Decodes one value into an owned tree.
///
/// Allocation is bounded by construction: a tuple reserves exactly its
/// count, and only while the open tuples together owe no more items than
/// bytes remain (each item takes at least one byte). Every live slot then
/// stands for its own input byte: a decoded value's first byte, an open
/// tuple's tag, or a byte still to come, so the tree never holds more than
/// one `Value` per input byte. Tuples never grow either: a valid count is
/// reserved in full.
pub fn decode_with(input: &[u8], opts: &DecodeOptions<'_>) -> Result<Value, DecodeError> {
    let mut events = Events::new(input, opts)?;
    let mut open: Vec<Vec<Value>> = Vec::new();
    // Items the open tuples still owe after the one being read: the sum of
    // their remaining counts.
    let mut owed: usize = 0;
    loop {
        let Some(event) = events.next_event()? else {
            // Unreachable: the reader reports the top value's completion
            // with its last event. Kept as an error, not a panic.
            return Err(unexpected_end(&events));
        };
        if !open.is_empty() && !matches!(event, Event::TupleEnd) {
            // This event starts one of the innermost tuple's items.
            owed -= 1;
        }
        let value = match event {
            Event::TupleStart(n) => {
                // Each length is checked against the remaining bytes on its
                // own, so nested headers may each claim the same trailing
                // bytes; together they cannot all be honest. Such an input
                // is certainly rejected later, so build nothing more and let
                // the stream report the error it meets first.
                let remaining = input.len() - events.offset();
                if n.saturating_add(owed) > remaining {
                    drop(open);
                    return Err(first_error(events));
                }
                owed += n;
                open.push(Vec::with_capacity(n));
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

/// Reads on, building nothing, to the error an input that owes more items
/// than it has bytes must meet: the same error, at the same offset, as a
/// decoder that built the tree would report.
#[cold]
fn first_error(mut events: Events<'_, '_>) -> DecodeError {
    loop {
        match events.next_event() {
            Ok(Some(_)) => {}
            Err(e) => return e,
            // Unreachable (each owed item needs a byte), but an error.
            Ok(None) => return unexpected_end(&events),
        }
    }
}

fn unexpected_end(events: &Events<'_, '_>) -> DecodeError {
    DecodeError::new(DecodeErrorKind::UnexpectedEnd, events.offset())
}
