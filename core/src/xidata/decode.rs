//! Decoder: a streaming, borrowing event reader ([`Events`]) and the owned
//! decoder ([`decode`]) built on it, so the two cannot disagree.
//!
//! Bounds, whatever the input claims:
//! - every length prefix is checked against the bytes that remain before
//!   anything is sliced or allocated (a tuple of `n` items needs `n` bytes);
//! - the owned decoder pre-allocates at most [`PREALLOC_ITEMS`] slots per
//!   tuple and grows from real items, so memory stays within a constant
//!   factor of the input (`size_of::<Value>()` x 2 per input byte at worst);
//! - tuple nesting is limited by [`DecodeOptions::max_depth`] (at most
//!   [`MAX_DEPTH`](super::MAX_DEPTH)); no recursion anywhere, so the stack
//!   is bounded too.

use super::bigint::{self, BigIntRef};
use super::error::{DecodeError, DecodeErrorKind as K};
use super::exception::ExceptionRef;
use super::pystr::StrRef;
use super::registry::Registry;
use super::value::{ExtValue, Value};
use super::varint::{read_varint, unzigzag};
use super::{tag, DEFAULT_MAX_DEPTH, MAGIC, MAX_DEPTH, VERSION};
use alloc::boxed::Box;
use alloc::vec::Vec;

/// Most tuple slots the owned decoder reserves up front; larger tuples grow
/// as their items actually arrive (a lying count cannot make it allocate).
pub const PREALLOC_ITEMS: usize = 64;

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
/// everything the owned decoder checks (it *is* the owned decoder's
/// front end). After the last event of the top-level value it has also
/// verified that no bytes trail; after an error it yields nothing more.
#[derive(Debug)]
pub struct Events<'a, 'r> {
    input: &'a [u8],
    pos: usize,
    max_depth: usize,
    registry: Option<&'r Registry>,
    /// Remaining item counts of the open tuples.
    counts: Stack<usize>,
    state: State,
}

impl<'a, 'r> Events<'a, 'r> {
    /// Checks the header and positions the reader on the value.
    #[inline]
    pub fn new(input: &'a [u8], opts: &DecodeOptions<'r>) -> Result<Self, DecodeError> {
        for (i, &m) in MAGIC.iter().enumerate() {
            match input.get(i) {
                None => return Err(DecodeError::new(K::UnexpectedEnd, i)),
                Some(&b) if b != m => return Err(DecodeError::new(K::BadMagic, 0)),
                Some(_) => {}
            }
        }
        match input.get(MAGIC.len()) {
            None => return Err(DecodeError::new(K::UnexpectedEnd, MAGIC.len())),
            Some(&v) if v != VERSION => {
                return Err(DecodeError::new(K::UnsupportedVersion(v), MAGIC.len()))
            }
            Some(_) => {}
        }
        Ok(Self {
            input,
            pos: MAGIC.len() + 1,
            max_depth: opts.max_depth.min(MAX_DEPTH),
            registry: opts.registry,
            counts: Stack::default(),
            state: State::Running,
        })
    }

    /// Byte offset of the next unread byte.
    #[inline]
    pub fn offset(&self) -> usize {
        self.pos
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
        let event = self.read_value()?;
        if let Event::TupleStart(_) = event {
            // Completion is reported by its TupleEnd.
        } else {
            self.value_done()?;
        }
        Ok(event)
    }

    /// Called when a complete value was read: at top level, the input must
    /// end here.
    #[inline]
    fn value_done(&mut self) -> Result<(), DecodeError> {
        if self.counts.len == 0 {
            if self.pos != self.input.len() {
                return Err(DecodeError::new(K::TrailingBytes, self.pos));
            }
            self.state = State::Done;
        }
        Ok(())
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        match self.input.get(self.pos..self.pos + n) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(DecodeError::new(K::UnexpectedEnd, self.input.len())),
        }
    }

    #[inline]
    fn take_8(&mut self) -> Result<[u8; 8], DecodeError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// A length prefix, checked against the remaining input.
    #[inline]
    fn read_len(&mut self) -> Result<usize, DecodeError> {
        let at = self.pos;
        let n = read_varint(self.input, &mut self.pos)?;
        if n > self.remaining() as u64 {
            return Err(DecodeError::new(K::LengthTooLarge, at));
        }
        Ok(n as usize)
    }

    #[inline]
    fn read_str(&mut self) -> Result<StrRef<'a>, DecodeError> {
        let n = self.read_len()?;
        let at = self.pos;
        let bytes = self.take(n)?;
        StrRef::new(bytes).map_err(|i| DecodeError::new(K::InvalidString, at + i))
    }

    #[inline(always)]
    fn read_value(&mut self) -> Result<Event<'a>, DecodeError> {
        let at = self.pos;
        let Some(&t) = self.input.get(at) else {
            return Err(DecodeError::new(K::UnexpectedEnd, at));
        };
        self.pos += 1;
        Ok(match t {
            tag::NONE => Event::None,
            tag::BOOL => Event::Bool(self.read_flag()?),
            tag::INT => Event::Int(unzigzag(read_varint(self.input, &mut self.pos)?)),
            tag::BIGINT => self.read_bigint(at)?,
            tag::FLOAT => Event::Float(f64::from_bits(u64::from_le_bytes(self.take_8()?))),
            tag::COMPLEX => {
                let re = f64::from_bits(u64::from_le_bytes(self.take_8()?));
                Event::Complex(re, f64::from_bits(u64::from_le_bytes(self.take_8()?)))
            }
            tag::STR => Event::Str(self.read_str()?),
            tag::BYTES => {
                let n = self.read_len()?;
                Event::Bytes(self.take(n)?)
            }
            tag::TUPLE => {
                if self.counts.len >= self.max_depth {
                    return Err(DecodeError::new(K::DepthLimitExceeded, at));
                }
                // Every item takes at least one byte.
                let n = self.read_len()?;
                self.counts.push(n);
                Event::TupleStart(n)
            }
            tag::EXT => self.read_ext(at)?,
            tag::EXCEPTION => self.read_exception()?,
            other => return Err(DecodeError::new(K::UnknownTag(other), at)),
        })
    }

    #[inline]
    fn read_flag(&mut self) -> Result<bool, DecodeError> {
        let at = self.pos;
        match self.take(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(DecodeError::new(K::InvalidBool(b), at)),
        }
    }

    fn read_bigint(&mut self, at: usize) -> Result<Event<'a>, DecodeError> {
        let head_at = self.pos;
        let head = read_varint(self.input, &mut self.pos)?;
        let n = head >> 1;
        if n > self.remaining() as u64 {
            return Err(DecodeError::new(K::LengthTooLarge, head_at));
        }
        let negative = head & 1 == 1;
        let magnitude = self.take(n as usize)?;
        if !bigint::is_canonical(negative, magnitude) {
            return Err(DecodeError::new(K::NonCanonicalBigInt, at));
        }
        Ok(Event::BigInt(BigIntRef {
            negative,
            magnitude,
        }))
    }

    fn read_ext(&mut self, at: usize) -> Result<Event<'a>, DecodeError> {
        let tag = read_varint(self.input, &mut self.pos)?;
        let n = self.read_len()?;
        let payload = self.take(n)?;
        if let Some(reg) = self.registry {
            reg.check(tag, payload)
                .map_err(|k| DecodeError::new(k, at))?;
        }
        Ok(Event::Ext { tag, payload })
    }

    fn read_exception(&mut self) -> Result<Event<'a>, DecodeError> {
        let type_name = self.read_str()?;
        let qualname = self.read_str()?;
        let module = self.read_str()?;
        let msg = self.read_str()?;
        let formatted = self.read_str()?;
        let traceback = if self.read_flag()? {
            Some(self.read_str()?)
        } else {
            None
        };
        Ok(Event::Exception(Box::new(ExceptionRef {
            type_name,
            qualname,
            module,
            msg,
            formatted,
            traceback,
        })))
    }
}

impl<'a> Iterator for Events<'a, '_> {
    type Item = Result<Event<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_event().transpose()
    }
}

/// Decodes one value with the default options (depth
/// [`DEFAULT_MAX_DEPTH`](super::DEFAULT_MAX_DEPTH), extensions opaque).
pub fn decode(input: &[u8]) -> Result<Value, DecodeError> {
    decode_with(input, &DecodeOptions::default())
}

/// Decodes one value into an owned tree.
pub fn decode_with(input: &[u8], opts: &DecodeOptions<'_>) -> Result<Value, DecodeError> {
    let mut events = Events::new(input, opts)?;
    let mut open: Stack<Vec<Value>> = Stack::default();
    loop {
        let Some(event) = events.next_event()? else {
            // Unreachable: the reader reports the top value's completion
            // with its last event. Kept as an error, not a panic.
            return Err(DecodeError::new(K::UnexpectedEnd, events.offset()));
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
        match open.top() {
            Some(parent) => parent.push(value),
            None => return Ok(value),
        }
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
            Event::Bytes(b) => Value::Bytes(b.to_vec()),
            Event::Ext { tag, payload } => Value::Ext(ExtValue {
                tag: *tag,
                payload: payload.to_vec(),
            }),
            Event::Exception(e) => Value::Exception(Box::new(e.to_snapshot())),
        })
    }
}

// Moving events is on the hot path: keep them small.
const _: () = assert!(core::mem::size_of::<Event<'static>>() <= 32);
