//! Where popped messages go: a caller's buffer, a fresh `Vec`, or a
//! [`Batch`] that holds many messages in two allocations.

/// A destination for popped messages.
pub trait Sink {
    /// Room for the next message, of `len` bytes; `None` if it does not fit
    /// (the message then stays first in the queue and the pop stops).
    fn slot(&mut self, len: usize) -> Option<&mut [u8]>;
}

/// Into a caller's buffer: one message.
#[derive(Debug)]
pub struct BufSink<'a> {
    pub buf: &'a mut [u8],
    pub len: Option<usize>,
}

impl Sink for BufSink<'_> {
    fn slot(&mut self, len: usize) -> Option<&mut [u8]> {
        if self.len.is_some() || len > self.buf.len() {
            return None;
        }
        self.len = Some(len);
        Some(&mut self.buf[..len])
    }
}

/// Into a new `Vec`: one message.
#[derive(Debug, Default)]
pub struct VecSink(pub Option<Vec<u8>>);

impl Sink for VecSink {
    fn slot(&mut self, len: usize) -> Option<&mut [u8]> {
        if self.0.is_some() {
            return None;
        }
        // `len` was checked against the queue's capacity: bounded.
        Some(self.0.insert(vec![0; len]))
    }
}

/// Many popped messages in one buffer (what `pop_many` fills); reuse it
/// across calls to avoid allocating.
///
/// ```
/// use xikernel_ipc::Batch;
/// let batch = Batch::new();
/// assert!(batch.is_empty());
/// assert_eq!(batch.iter().count(), 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of messages held.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True if it holds no message.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`-th message.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.data[start..end])
    }

    /// The messages, oldest first.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.len()).map(move |i| self.get(i).unwrap_or_default())
    }

    /// Forgets the messages (keeps the allocations).
    pub fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }
}

impl Sink for Batch {
    fn slot(&mut self, len: usize) -> Option<&mut [u8]> {
        let start = self.data.len();
        // Bounded: a batch holds at most one queue's worth of bytes.
        self.data.resize(start + len, 0);
        self.ends.push(start + len);
        Some(&mut self.data[start..])
    }
}
