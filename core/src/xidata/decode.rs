//! The streaming decoder ([`Events`]): a pull iterator of borrowing events.
//!
//! The byte-level reading (header, tags, lengths, scalars) lives in the
//! shared `Reader`; this module frames tuples with a count stack. The owned
//! decoder ([`decode`](super::decode)) is built on these events.
//!
//! Bounds, whatever the input claims:
//! - every length prefix is checked against the bytes that remain before
//!   anything is sliced or allocated (a tuple of `n` items needs `n` bytes);
//! - the owned decoder reserves a tuple's count only while the open tuples
//!   together owe no more items than bytes remain, so its tree holds at
//!   most one `Value` slot per input byte (see [`decode_with`](super::decode_with));
//! - tuple nesting is limited by [`DecodeOptions::max_depth`] (at most
//!   [`MAX_DEPTH`](super::MAX_DEPTH)); no recursion anywhere, so the stack
//!   is bounded too.

use super::bigint::BigIntRef;
use super::bulk;
use super::error::DecodeError;
use super::exception::ExceptionRef;
use super::pystr::StrRef;
use super::reader::Reader;
use super::registry::Registry;
use super::value::{ExtValue, Value};
use super::{tag, DEFAULT_MAX_DEPTH};
use alloc::boxed::Box;
use alloc::vec::Vec;

/// Decoder settings.
#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions<'r> {
    /// Deepest tuple nesting accepted (a lone tuple is depth 1); clamped to
    /// [`MAX_DEPTH`](super::MAX_DEPTH).
    pub max_depth: usize,
    /// When set, every extension tag must be registered there and pass its
    /// validator. When `None`, extension values pass through opaquely (for
    /// relays that only move bytes).
    pub registry: Option<&'r Registry>,
}

impl Default for DecodeOptions<'_> {
    fn default() -> Self {
        Self {
            max_depth: DEFAULT_MAX_DEPTH,
            registry: None,
        }
    }
}

/// One step of the streaming decoder. Strings and bytes borrow the input.
/// Kept at 32 bytes (the rare exception snapshot is boxed) so that moving
/// events around costs little.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// `None`.
    None,
    /// A bool.
    Bool(bool),
    /// An int in `i64` range.
    Int(i64),
    /// An int outside `i64` range.
    BigInt(BigIntRef<'a>),
    /// A float (bit-exact).
    Float(f64),
    /// A complex `(real, imag)`.
    Complex(f64, f64),
    /// A str (generalized UTF-8; `as_str()` is `Some` without surrogates).
    Str(StrRef<'a>),
    /// Bytes.
    Bytes(&'a [u8]),
    /// A tuple of this many items begins; the items follow, then `TupleEnd`.
    ///
    /// The count has been checked against the bytes that remain, but each
    /// tuple on its own: nested headers may each claim the same trailing
    /// bytes (the input is then rejected later). A consumer that allocates
    /// from counts should stop once the open tuples together owe more items
    /// than bytes remain, as [`decode_with`](super::decode_with) does.
    TupleStart(usize),
    /// The innermost open tuple is complete.
    TupleEnd,
    /// An extension value.
    Ext {
        /// Type tag.
        tag: u64,
        /// Payload.
        payload: &'a [u8],
    },
    /// An exception snapshot (boxed: six string views would triple the
    /// size of every event).
    Exception(Box<ExceptionRef<'a>>),
}

/// A stack whose first levels live inline, so that shallow values never
/// allocate for bookkeeping (the decoder's counts and the owned builder's
/// open tuples).
#[derive(Debug, Default)]
struct Stack<T> {
    inline: [T; 8],
    len: usize,
    spill: Vec<T>,
}

impl<T: Default> Stack<T> {
    #[inline]
    fn push(&mut self, v: T) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = v,
            None => self.spill.push(v),
        }
        self.len += 1;
    }
    #[inline]
    fn top(&mut self) -> Option<&mut T> {
        let i = self.len.checked_sub(1)?;
        match self.inline.get_mut(i) {
            Some(slot) => Some(slot),
            None => self.spill.last_mut(),
        }
    }
    #[inline]
    fn pop(&mut self) -> Option<T> {
        let i = self.len.checked_sub(1)?;
        self.len = i;
        match self.inline.get_mut(i) {
            Some(slot) => Some(core::mem::take(slot)),
            None => self.spill.pop(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    Done,
    Failed,
}

/// The streaming decoder: yields [`Event`]s in document order, checking
/// everything the owned decoder checks (both read through one shared
/// reader). After the last event of the top-level value it has also
/// verified that no bytes trail; after an error it yields nothing more.
///
/// ```
/// use xikernel::xidata::{to_vec, DecodeOptions, Event, Events, Value};
/// let bytes = to_vec(&Value::from((7, "x"))).unwrap();
/// let mut ev = Events::new(&bytes, &DecodeOptions::default()).unwrap();
/// assert_eq!(ev.next_event().unwrap(), Some(Event::TupleStart(2)));
/// assert_eq!(ev.next_event().unwrap(), Some(Event::Int(7)));
/// assert!(matches!(ev.next_event().unwrap(), Some(Event::Str(s)) if s.as_str() == Some("x")));
/// assert_eq!(ev.next_event().unwrap(), Some(Event::TupleEnd));
/// assert_eq!(ev.next_event().unwrap(), None);
/// ```
#[derive(Debug)]
pub struct Events<'a, 'r> {
    r: Reader<'a, 'r>,
    /// Remaining item counts of the open tuples.
    counts: Stack<usize>,
    state: State,
}

impl<'a, 'r> Events<'a, 'r> {
    /// Checks the header and positions the reader on the value.
    #[inline]
    pub fn new(input: &'a [u8], opts: &DecodeOptions<'r>) -> Result<Self, DecodeError> {
        Ok(Self {
            r: Reader::new(input, opts)?,
            counts: Stack::default(),
            state: State::Running,
        })
    }

    /// Byte offset of the next unread byte.
    #[inline]
    pub fn offset(&self) -> usize {
        self.r.offset()
    }

    /// The next event; `Ok(None)` once the value is complete.
    #[inline(always)]
    pub fn next_event(&mut self) -> Result<Option<Event<'a>>, DecodeError> {
        if self.state != State::Running {
            return Ok(None);
        }
        match self.step() {
            Ok(e) => Ok(Some(e)),
            Err(e) => {
                self.state = State::Failed;
                Err(e)
            }
        }
    }

    #[inline(always)]
    fn step(&mut self) -> Result<Event<'a>, DecodeError> {
        if let Some(top) = self.counts.top() {
            if *top == 0 {
                self.counts.pop();
                self.value_done()?;
                return Ok(Event::TupleEnd);
            }
            *top -= 1;
        }
        let (t, at) = self.r.tag()?;
        if t == tag::TUPLE {
            let n = self.r.tuple_len(self.counts.len, at)?;
            self.counts.push(n);
            // Completion is reported by its TupleEnd.
            return Ok(Event::TupleStart(n));
        }
        let event = self.r.scalar(t, at)?;
        self.value_done()?;
        Ok(event)
    }

    /// Called when a complete value was read: at top level, the input must
    /// end here.
    #[inline]
    fn value_done(&mut self) -> Result<(), DecodeError> {
        if self.counts.len == 0 {
            self.r.finish()?;
            self.state = State::Done;
        }
        Ok(())
    }
}

impl<'a> Iterator for Events<'a, '_> {
    type Item = Result<Event<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_event().transpose()
    }
}

impl Event<'_> {
    /// The owned value of a scalar event; `None` for `TupleStart` /
    /// `TupleEnd` (tuples are assembled by whoever tracks the nesting).
    #[inline(always)]
    pub fn to_value(&self) -> Option<Value> {
        Some(match self {
            Event::TupleStart(_) | Event::TupleEnd => return None,
            Event::None => Value::None,
            Event::Bool(b) => Value::Bool(*b),
            Event::Int(i) => Value::Int(*i),
            Event::BigInt(b) => Value::BigInt(b.to_owned()),
            Event::Float(f) => Value::Float(*f),
            Event::Complex(re, im) => Value::Complex(*re, *im),
            Event::Str(s) => Value::Str(s.to_owned()),
            Event::Bytes(b) => Value::Bytes(bulk::to_vec(b)),
            Event::Ext { tag, payload } => Value::Ext(ExtValue {
                tag: *tag,
                payload: bulk::to_vec(payload),
            }),
            Event::Exception(e) => Value::Exception(Box::new(e.to_snapshot())),
        })
    }
}

// Moving events is on the hot path: keep them small.
const _: () = assert!(core::mem::size_of::<Event<'static>>() <= 32);
