//! The byte reader both decoders share: header, tags, length prefixes and
//! every scalar. [`Events`](super::Events) and the owned decoder differ only
//! in how they track tuples, so they cannot disagree on what a value is or
//! on which error (and offset) a bad input gets.

use super::bigint::{self, BigIntRef};
use super::decode::{DecodeOptions, Event};
use super::error::{DecodeError, DecodeErrorKind as K};
use super::exception::ExceptionRef;
use super::pystr::StrRef;
use super::registry::Registry;
use super::varint::{read_varint, unzigzag};
use super::{tag, MAGIC, MAX_DEPTH, VERSION};
use alloc::boxed::Box;

#[derive(Debug)]
pub(super) struct Reader<'a, 'r> {
    input: &'a [u8],
    pos: usize,
    max_depth: usize,
    registry: Option<&'r Registry>,
}

impl<'a, 'r> Reader<'a, 'r> {
    /// Checks the header and positions the reader on the value.
    #[inline]
    pub(super) fn new(input: &'a [u8], opts: &DecodeOptions<'r>) -> Result<Self, DecodeError> {
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
        })
    }

    /// Byte offset of the next unread byte.
    #[inline]
    pub(super) fn offset(&self) -> usize {
        self.pos
    }

    /// The top-level value is complete: the input must end here.
    #[inline]
    pub(super) fn finish(&self) -> Result<(), DecodeError> {
        if self.pos != self.input.len() {
            return Err(DecodeError::new(K::TrailingBytes, self.pos));
        }
        Ok(())
    }

    /// The next value's tag and its offset.
    #[inline(always)]
    pub(super) fn tag(&mut self) -> Result<(u8, usize), DecodeError> {
        let at = self.pos;
        let Some(&t) = self.input.get(at) else {
            return Err(DecodeError::new(K::UnexpectedEnd, at));
        };
        self.pos += 1;
        Ok((t, at))
    }

    /// The item count of a tuple whose tag (at `at`) was just read, inside
    /// `depth` open tuples.
    #[inline]
    pub(super) fn tuple_len(&mut self, depth: usize, at: usize) -> Result<usize, DecodeError> {
        if depth >= self.max_depth {
            return Err(DecodeError::new(K::DepthLimitExceeded, at));
        }
        // Every item takes at least one byte.
        self.read_len()
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
    fn take_f64(&mut self) -> Result<f64, DecodeError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(f64::from_bits(u64::from_le_bytes(a)))
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

    /// Any value but a tuple, whose tag `t` (at `at`) was just read.
    #[inline(always)]
    pub(super) fn scalar(&mut self, t: u8, at: usize) -> Result<Event<'a>, DecodeError> {
        Ok(match t {
            tag::NONE => Event::None,
            tag::BOOL => Event::Bool(self.read_flag()?),
            tag::INT => Event::Int(unzigzag(read_varint(self.input, &mut self.pos)?)),
            tag::BIGINT => self.read_bigint(at)?,
            tag::FLOAT => Event::Float(self.take_f64()?),
            tag::COMPLEX => Event::Complex(self.take_f64()?, self.take_f64()?),
            tag::STR => Event::Str(self.read_str()?),
            tag::BYTES => {
                let n = self.read_len()?;
                Event::Bytes(self.take(n)?)
            }
            tag::EXT => self.read_ext(at)?,
            tag::EXCEPTION => self.read_exception()?,
            // Tuples are framed by the callers (`tuple_len`).
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

    #[inline(never)]
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

    #[inline(never)]
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

    #[inline(never)]
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
