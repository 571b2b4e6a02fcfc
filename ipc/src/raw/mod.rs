//! The queue algorithm, over any [`Region`].
//!
//! Two owner locks, one per side. A producer, holding the producer lock,
//! checks room against the consumers' `head`, writes whole records after
//! `tail`, and then stores `tail` once: that store alone publishes (every
//! record of a batch at once). A consumer, holding the consumer lock, reads
//! records after `head` up to the `tail` it loaded, copies them out, and
//! then stores `head` once: that store alone takes them (and gives their
//! bytes back to producers). A process killed anywhere before its single
//! store has changed nothing anyone reads; killed after it, it has done its
//! whole operation. The next process that wants the lock finds the owner
//! dead and takes the lock over: there is nothing to repair.
//! docs/ipc.md has the layout and the step-by-step argument.

pub mod sink;
pub mod sync;

use xikernel::__private::sync::{Backoff, Ordering::*, MODEL_CHECKING};

use crate::error::{Corruption, PopError, PushError};
use crate::layout::{
    decode_record_header, encode_record_header, pack, record_size, unpack, RECORD_HEADER,
};
use crate::region::{Region, Step};
use sink::Sink;
use sync::{lock, notify, sleep_until, unlock, wake, Stop};
use xikernel::wait::Wait;

/// Spins and yields briefly (bounded, a few microseconds) until `ready`:
/// a running partner usually makes progress sooner than a futex sleep and
/// wake-up round trip (as the kernel's blocking layer does). Not under the
/// model checkers, where it would only multiply the schedules.
fn spin_until(ready: impl Fn() -> bool) -> bool {
    if MODEL_CHECKING {
        return false;
    }
    let mut backoff = Backoff::new();
    while !backoff.is_completed() {
        if ready() {
            return true;
        }
        backoff.snooze();
    }
    false
}

/// An operation's failure, or (models only) the participant's crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Raw<E> {
    Err(E),
    Crashed,
}

impl<E> From<E> for Raw<E> {
    fn from(e: E) -> Self {
        Raw::Err(e)
    }
}

fn push_stop(s: Stop) -> Raw<PushError> {
    match s {
        Stop::Timeout => Raw::Err(PushError::Timeout),
        Stop::Interrupted => Raw::Err(PushError::Interrupted),
        Stop::Crashed => Raw::Crashed,
    }
}

fn pop_stop(s: Stop) -> Raw<PopError> {
    match s {
        Stop::Timeout => Raw::Err(PopError::Timeout),
        Stop::Interrupted => Raw::Err(PopError::Interrupted),
        Stop::Crashed => Raw::Crashed,
    }
}

/// A consistent view of the ring: what `tail` and `head` say, validated.
#[derive(Clone, Copy, Debug)]
struct View {
    /// Messages in the ring.
    items: u32,
    /// Bytes in use.
    used: usize,
}

/// The queue algorithm over a region (see the module docs).
#[derive(Debug)]
pub struct RawQueue<R: Region> {
    r: R,
}

impl<R: Region> RawQueue<R> {
    /// Runs the algorithm over `r` (initialised by its creator).
    pub fn new(r: R) -> Self {
        RawQueue { r }
    }

    /// The region.
    pub fn region(&self) -> &R {
        &self.r
    }

    /// The largest message the queue accepts.
    pub fn max_message(&self) -> usize {
        self.r.capacity() - RECORD_HEADER
    }

    fn ring(&self) -> u32 {
        // capacity <= 2^30 (checked at open): fits.
        2 * self.r.capacity() as u32
    }

    /// Checks a pair of position words against each other and the limits.
    fn view(&self, tail: u64, head: u64) -> Result<View, Corruption> {
        let (ti, tb) = unpack(tail);
        let (hi, hb) = unpack(head);
        let ring = self.ring();
        if tb >= ring || hb >= ring {
            return Err(Corruption("position out of range"));
        }
        // Records are 8-byte aligned: this keeps a record header from
        // straddling the end of the data area.
        if tb % 8 != 0 || hb % 8 != 0 {
            return Err(Corruption("position not a multiple of 8"));
        }
        let used = ((tb + ring - hb) % ring) as usize;
        let items = ti.wrapping_sub(hi);
        if used > self.r.capacity() {
            return Err(Corruption("more bytes in use than the capacity"));
        }
        if items > self.r.max_items() {
            return Err(Corruption("more items than max_items"));
        }
        if (items == 0) != (used == 0) || used < items as usize * RECORD_HEADER {
            return Err(Corruption("item count disagrees with bytes in use"));
        }
        Ok(View { items, used })
    }

    /// Messages in the queue (a snapshot; 0 if the segment is corrupted).
    pub fn len(&self) -> usize {
        let c = self.r.control();
        // Acquire: as in pop (a consistent enough pair for a snapshot).
        let (h, t) = (c.cons.pos.load(Acquire), c.prod.pos.load(Acquire));
        self.view(t, h).map_or(0, |v| v.items as usize)
    }

    /// True if the queue holds no message now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `close` has run.
    pub fn is_closed(&self) -> bool {
        // Acquire: pairs with close's Release store.
        self.r.control().wake.closed.load(Acquire) != 0
    }

    /// Closes the queue: later pushes fail with `Closed`; pops drain what is
    /// there, then fail with `Closed`. True if this call closed it.
    pub fn close(&self, w: &mut Wait<'_>) -> Result<bool, Stop> {
        let c = self.r.control();
        // Under the producer lock, so that every push either completed
        // before (and is drained) or sees `closed` and fails.
        lock(&self.r, &c.prod, w)?;
        // Relaxed read: under the lock. Release store: a popper that reads
        // 1 (Acquire) sees every tail published before it.
        let was = c.wake.closed.swap(1, Release);
        unlock(&self.r, &c.prod);
        // Wake every sleeper (unconditionally: close is rare).
        xikernel::__private::sync::fence(SeqCst);
        wake(&self.r, &c.wake.not_empty_seq, u32::MAX);
        wake(&self.r, &c.wake.not_full_seq, u32::MAX);
        Ok(was == 0)
    }

    /// After a push of `n` messages: wakes up to `n` sleeping poppers.
    fn wake_poppers(&self, n: u32) {
        let w = &self.r.control().wake;
        notify(&self.r, &w.not_empty_seq, &w.not_empty_waiters, n);
    }

    /// After a pop: wakes every sleeping pusher (the room may fit any of
    /// their messages, whatever their sizes).
    fn wake_pushers(&self) {
        let w = &self.r.control().wake;
        notify(&self.r, &w.not_full_seq, &w.not_full_waiters, u32::MAX);
    }

    /// Pushes a prefix of `msgs` (as many as fit) under one lock and one
    /// publishing store; `Ok(n)` with `n >= 1`, or why not even the first.
    pub fn try_push_many(&self, msgs: &[&[u8]], w: &mut Wait<'_>) -> Result<usize, Raw<PushError>> {
        let Some(first) = msgs.first() else {
            return Ok(0);
        };
        if first.len() > self.max_message() {
            return Err(Raw::Err(PushError::TooLarge {
                len: first.len(),
                max: self.max_message(),
            }));
        }
        let c = self.r.control();
        lock(&self.r, &c.prod, w).map_err(push_stop)?;
        if self.r.crash(Step::PushLocked) {
            return Err(Raw::Crashed);
        }
        let res = self.push_locked(msgs);
        match res {
            Err(Raw::Crashed) => return Err(Raw::Crashed),
            Ok(_) if self.r.crash(Step::PushPublished) => return Err(Raw::Crashed),
            _ => {}
        }
        unlock(&self.r, &c.prod);
        if let Ok(n) = res {
            if self.r.crash(Step::PushUnlocked) {
                return Err(Raw::Crashed);
            }
            self.wake_poppers(n as u32);
        }
        res
    }

    fn push_locked(&self, msgs: &[&[u8]]) -> Result<usize, Raw<PushError>> {
        let c = self.r.control();
        // Relaxed: `closed` is written under this lock.
        if c.wake.closed.load(Relaxed) != 0 {
            return Err(Raw::Err(PushError::Closed));
        }
        // Relaxed: only the lock holder writes `tail`; the lock (or the
        // liveness check of a dead owner) ordered its last store before us.
        let tail = c.prod.pos.load(Relaxed);
        // Acquire: pairs with pop's Release store of `head`, so the
        // consumers' reads of the bytes we are about to reuse are done.
        let head = c.cons.pos.load(Acquire);
        let view = self.view(tail, head).map_err(PushError::Corrupted)?;
        let (mut items, mut pos) = unpack(tail);
        let (mut n_items, mut used) = (view.items, view.used);
        let mut n = 0;
        for msg in msgs {
            let size = record_size(msg.len());
            if msg.len() > self.max_message()
                || used + size > self.r.capacity()
                || n_items >= self.r.max_items()
            {
                break;
            }
            if self.write_record(pos, msg) {
                return Err(Raw::Crashed);
            }
            pos = (pos + size as u32) % self.ring();
            items = items.wrapping_add(1);
            n_items += 1;
            used += size;
            n += 1;
        }
        if n == 0 {
            return Err(Raw::Err(PushError::Full));
        }
        if self.r.crash(Step::PushCopied) {
            return Err(Raw::Crashed);
        }
        // Release: publishes the records written above to the consumer that
        // loads this `tail` (Acquire). The one publishing store.
        c.prod.pos.store(pack(items, pos), Release);
        Ok(n)
    }

    /// Writes one record at ring position `pos`; true if the model crashed
    /// this participant halfway.
    fn write_record(&self, pos: u32, msg: &[u8]) -> bool {
        let cap = self.r.capacity();
        let off = pos as usize % cap;
        // A record header never straddles the end: offsets and the capacity
        // are multiples of 8.
        self.r.write(off, &encode_record_header(msg.len() as u32));
        let half = msg.len() / 2;
        self.write_wrapped((off + RECORD_HEADER) % cap, &msg[..half]);
        if self.r.crash(Step::PushHalfCopied) {
            return true;
        }
        self.write_wrapped((off + RECORD_HEADER + half) % cap, &msg[half..]);
        false
    }

    fn write_wrapped(&self, off: usize, src: &[u8]) {
        let first = src.len().min(self.r.capacity() - off);
        self.r.write(off, &src[..first]);
        if first < src.len() {
            self.r.write(0, &src[first..]);
        }
    }

    fn read_wrapped(&self, off: usize, dst: &mut [u8]) {
        let first = dst.len().min(self.r.capacity() - off);
        let (a, b) = dst.split_at_mut(first);
        self.r.read(off, a);
        if !b.is_empty() {
            self.r.read(0, b);
        }
    }

    /// Blocking push of all of `msgs`, in order, waiting for room as needed
    /// (one synchronisation per run of messages that fit). `Ok(n)` is
    /// `msgs.len()`; on an error, the first `n` pushed are reported in it.
    pub fn push_many(
        &self,
        msgs: &[&[u8]],
        w: &mut Wait<'_>,
    ) -> Result<(), (usize, Raw<PushError>)> {
        let mut done = 0;
        while done < msgs.len() {
            match self.try_push_many(&msgs[done..], w) {
                Ok(n) => done += n,
                Err(Raw::Err(PushError::Full)) => {
                    let need = record_size(msgs[done].len());
                    self.wait_room(need, w).map_err(|s| (done, push_stop(s)))?;
                }
                Err(e) => return Err((done, e)),
            }
        }
        Ok(())
    }

    /// One sleep until a record of `need` bytes may fit (or close).
    fn wait_room(&self, need: usize, w: &mut Wait<'_>) -> Result<(), Stop> {
        let c = self.r.control();
        let ready = || {
            // Acquire: as in push.
            if c.wake.closed.load(Acquire) != 0 {
                return true;
            }
            let (t, h) = (c.prod.pos.load(Acquire), c.cons.pos.load(Acquire));
            match self.view(t, h) {
                Ok(v) => v.used + need <= self.r.capacity() && v.items < self.r.max_items(),
                Err(_) => true, // let the push report it
            }
        };
        if spin_until(ready) {
            return Ok(());
        }
        let res = sleep_until(
            &self.r,
            &c.wake.not_full_seq,
            &c.wake.not_full_waiters,
            ready,
            w,
        );
        if res.is_err() && ready() {
            // Our wake-up may have been meant for a pusher that can go on.
            notify(
                &self.r,
                &c.wake.not_full_seq,
                &c.wake.not_full_waiters,
                u32::MAX,
            );
        }
        res
    }

    /// Pops up to `max` messages into `sink` under one lock and one
    /// publishing store; `Ok(n)` with `n >= 1`, or why none.
    pub fn try_pop_into(
        &self,
        sink: &mut impl Sink,
        max: usize,
        w: &mut Wait<'_>,
    ) -> Result<usize, Raw<PopError>> {
        let c = self.r.control();
        lock(&self.r, &c.cons, w).map_err(pop_stop)?;
        if self.r.crash(Step::PopLocked) {
            return Err(Raw::Crashed);
        }
        let res = self.pop_locked(sink, max);
        match res {
            Err(Raw::Crashed) => return Err(Raw::Crashed),
            Ok(_) if self.r.crash(Step::PopPublished) => return Err(Raw::Crashed),
            _ => {}
        }
        unlock(&self.r, &c.cons);
        if res.is_ok() {
            if self.r.crash(Step::PopUnlocked) {
                return Err(Raw::Crashed);
            }
            self.wake_pushers();
        }
        res
    }

    fn pop_locked(&self, sink: &mut impl Sink, max: usize) -> Result<usize, Raw<PopError>> {
        let c = self.r.control();
        // Acquire, and before `tail`: if it reads 1, every push published
        // before the close is visible to the `tail` load below.
        let closed = c.wake.closed.load(Acquire) != 0;
        // Relaxed: only the lock holder writes `head` (as `tail` in push).
        let head = c.cons.pos.load(Relaxed);
        // Acquire: pairs with push's publishing Release store: the records
        // up to this tail are fully written.
        let tail = c.prod.pos.load(Acquire);
        let view = self.view(tail, head).map_err(PopError::Corrupted)?;
        if view.items == 0 {
            let e = if closed {
                PopError::Closed
            } else {
                PopError::Empty
            };
            return Err(Raw::Err(e));
        }
        let cap = self.r.capacity();
        let (mut items, mut pos) = unpack(head);
        let (mut left, mut used) = (view.items, view.used);
        let mut n = 0;
        while left > 0 && n < max {
            let off = pos as usize % cap;
            let mut h = [0u8; RECORD_HEADER];
            self.r.read(off, &mut h);
            let len = decode_record_header(&h)
                .ok_or(PopError::Corrupted(Corruption("bad record header")))?
                as usize;
            let size = record_size(len);
            if size > used || (left == 1 && size != used) {
                return Err(Raw::Err(PopError::Corrupted(Corruption(
                    "record overruns the published bytes",
                ))));
            }
            let Some(slot) = sink.slot(len) else {
                if n == 0 {
                    return Err(Raw::Err(PopError::BufferTooSmall { needed: len }));
                }
                break;
            };
            self.read_wrapped((off + RECORD_HEADER) % cap, slot);
            pos = (pos + size as u32) % self.ring();
            items = items.wrapping_add(1);
            left -= 1;
            used -= size;
            n += 1;
        }
        if self.r.crash(Step::PopCopied) {
            return Err(Raw::Crashed);
        }
        // Release: our reads of the records happen before a producer that
        // loads this head (Acquire) overwrites their bytes. The one store
        // that takes the messages.
        c.cons.pos.store(pack(items, pos), Release);
        Ok(n)
    }

    /// Blocking pop of up to `max` messages (at least one).
    pub fn pop_into(
        &self,
        sink: &mut impl Sink,
        max: usize,
        w: &mut Wait<'_>,
    ) -> Result<usize, Raw<PopError>> {
        loop {
            match self.try_pop_into(sink, max, w) {
                Err(Raw::Err(PopError::Empty)) => self.wait_items(w).map_err(pop_stop)?,
                other => return other,
            }
        }
    }

    /// One sleep until the queue may hold a message (or is closed).
    fn wait_items(&self, w: &mut Wait<'_>) -> Result<(), Stop> {
        let c = self.r.control();
        let ready = || {
            // Acquire: as in pop.
            c.wake.closed.load(Acquire) != 0 || c.prod.pos.load(Acquire) != c.cons.pos.load(Acquire)
        };
        if spin_until(ready) {
            return Ok(());
        }
        let res = sleep_until(
            &self.r,
            &c.wake.not_empty_seq,
            &c.wake.not_empty_waiters,
            ready,
            w,
        );
        if res.is_err() && ready() {
            // Pass on a wake-up we may have taken from another popper.
            notify(&self.r, &c.wake.not_empty_seq, &c.wake.not_empty_waiters, 1);
        }
        res
    }
}
