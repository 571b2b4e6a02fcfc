//! Concurrent runs of one channel of the registry (`Channels`), recorded as
//! histories for the linearizability checker against the reference model
//! (`lin::channel_spec`).
//!
//! A round: `threads` workers each perform a seeded random mix of send,
//! recv, send-and-wait and (rarely) release, as one of four interpreters
//! drawn per call; worker 0 also closes the channel once in its second half
//! (a random end, sometimes forced). Then the main thread receives until
//! nothing is left and force-closes the channel, so every item is accounted
//! for: received by someone, or released (dropped) by a recorded call.
//!
//! Items are [`Tok`]s whose `Drop` logs the token in the dropping thread;
//! each recorded response carries the tokens dropped during the call (the
//! kernel drops released items in the calling thread, after unlocking), so
//! a lost, doubled or wrongly released item is a response the model cannot
//! give.
//!
//! Send-and-wait can block. With [`Waits::Timed`] (std threads) it waits
//! zero or 1 ms and may time out, which exercises the withdraw race; with
//! [`Waits::UntilSettled`] (shuttle, whose timed waits never time out) it
//! waits zero or forever, worker 0 never waits forever and its last call
//! is a forced close, which settles every waiting sender.

use std::cell::RefCell;
use std::time::Duration;

use xikernel::channel::{ChannelId, Channels, End, Received};
use xikernel::interp::InterpId;

use crate::history::{Clock, History, ThreadLog};
use crate::lin::channel_spec::{ChOp, ChRet, ChannelSpec, ErrKind, OP};
use crate::lin::{check_with, Verdict, DEFAULT_MAX_STATES};
use crate::stress::{Rng, StressReport, VALUE_STRIDE};

crate::rt::thread_local! {
    /// Tokens dropped by this thread since the last [`take_dropped`].
    static DROPPED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

fn take_dropped() -> Vec<u64> {
    DROPPED.with(|d| std::mem::take(&mut *d.borrow_mut()))
}

/// A channel item. Dropping it means the channel released it.
#[derive(Debug)]
pub struct Tok(u64);

impl Tok {
    /// Unwraps a received item (not a release: nothing is logged).
    fn into_token(self) -> u64 {
        let t = self.0;
        std::mem::forget(self);
        t
    }
}

impl Drop for Tok {
    fn drop(&mut self) {
        DROPPED.with(|d| d.borrow_mut().push(self.0));
    }
}

/// How long send-and-wait waits (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waits {
    /// Zero or 1 ms: timeouts happen (std threads).
    Timed,
    /// Zero or forever; worker 0 ends with a forced close (shuttle).
    UntilSettled,
}

/// Shape of one round.
#[derive(Clone, Copy, Debug)]
pub struct ChannelRound {
    pub threads: usize,
    pub ops_per_thread: usize,
    pub waits: Waits,
}

/// One channel in a fresh registry.
#[derive(Debug)]
pub struct ChannelUnderTest {
    chans: Channels<Tok>,
    cid: ChannelId,
}

impl Default for ChannelUnderTest {
    fn default() -> Self {
        Self::new()
    }
}

impl ChannelUnderTest {
    pub fn new() -> Self {
        let chans = Channels::new();
        let cid = chans.create(OP).expect("a fresh registry has ids");
        ChannelUnderTest { chans, cid }
    }

    /// Runs one non-blocking call (not `SendWait` / `Settle`).
    fn apply(&self, op: ChOp) -> ChRet {
        let (c, cid) = (&self.chans, self.cid);
        debug_assert!(take_dropped().is_empty());
        let r = match op {
            // A refused item comes back and is dropped here, before
            // `take_dropped`: released, as the model says.
            ChOp::Send { who, token } => c.send(who, cid, Tok(token), OP).map_err(|e| e.error()),
            ChOp::Recv { who } => {
                let (r, got) = match c.try_recv(who, cid) {
                    Ok(Received::Item(tok)) => (Ok(()), Some(tok.into_token())),
                    // Never produced: no interpreter is destroyed.
                    Ok(Received::Unbound(_)) => (Ok(()), None),
                    Err(e) => (Err(e), None),
                };
                return ChRet::of(&r, got, take_dropped());
            }
            ChOp::Close { end, force } => c.close(cid, end, force),
            ChOp::Release { who, end } => c.release(who, cid, end),
            ChOp::SendWait { .. } | ChOp::Settle { .. } => {
                unreachable!("send-and-wait is recorded by `send_wait`")
            }
        };
        ChRet::of(&r, None, take_dropped())
    }

    /// Runs a send-and-wait and records it as its enqueue and its outcome
    /// (or only the enqueue, when the send failed before queueing).
    fn send_wait(
        &self,
        log: &mut ThreadLog<ChOp, ChRet>,
        clock: &Clock,
        who: InterpId,
        token: u64,
        timeout: Option<Duration>,
    ) {
        let call = clock.tick();
        let r = self
            .chans
            .send_wait(
                who,
                self.cid,
                Tok(token),
                OP,
                xikernel::wait::Wait::from(timeout),
            )
            .map_err(|e| e.error());
        let ret_at = clock.tick();
        let released = take_dropped();
        let enqueue = ChOp::SendWait { who, token };
        match r {
            Err(ref e) if ErrKind::of(e).before_enqueue() => {
                log.push(0, enqueue, ChRet::of(&r, None, released), call, ret_at);
            }
            _ => {
                let queued = ChRet::Ok {
                    got: None,
                    released: Vec::new(),
                };
                log.push(0, enqueue, queued, call, ret_at);
                let outcome = ChRet::of(&r, None, released);
                log.push(0, ChOp::Settle { token }, outcome, call, ret_at);
            }
        }
    }
}

fn end_of(rng: &mut Rng) -> End {
    [End::Send, End::Recv, End::Both][rng.below(3) as usize]
}

/// One worker of a round (see the module docs).
pub fn worker(
    ch: &ChannelUnderTest,
    clock: &Clock,
    cfg: ChannelRound,
    t: usize,
    seed: u64,
) -> ThreadLog<ChOp, ChRet> {
    let n = cfg.ops_per_thread;
    assert!(n > 0 && n < VALUE_STRIDE as usize);
    let mut rng = Rng::new(seed ^ (t as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
    let close_at = (t == 0).then(|| n / 2 + rng.below(n as u64 / 2 + 1) as usize);
    let final_close = t == 0 && cfg.waits == Waits::UntilSettled;
    let mut log = ThreadLog::new(t);
    let mut next = (t as u64 + 1) * VALUE_STRIDE;
    for i in 0..n {
        let who = InterpId(1 + rng.below(4));
        if final_close && i + 1 == n {
            let op = ChOp::Close {
                end: End::Both,
                force: true,
            };
            log.record(clock, 0, op, |op| ch.apply(*op));
            continue;
        }
        if close_at == Some(i) {
            let op = ChOp::Close {
                end: end_of(&mut rng),
                force: rng.below(3) == 0,
            };
            log.record(clock, 0, op, |op| ch.apply(*op));
            continue;
        }
        // About one release per two workers and round.
        if rng.below(2 * n as u64) == 0 {
            let op = ChOp::Release {
                who,
                end: end_of(&mut rng),
            };
            log.record(clock, 0, op, |op| ch.apply(*op));
            continue;
        }
        match rng.below(10) {
            0..=3 => {
                log.record(clock, 0, ChOp::Recv { who }, |op| ch.apply(*op));
            }
            4..=7 => {
                let op = ChOp::Send { who, token: next };
                next += 1;
                log.record(clock, 0, op, |op| ch.apply(*op));
            }
            _ => {
                let token = next;
                next += 1;
                let timeout = match (cfg.waits, rng.below(2)) {
                    (_, 0) => Some(Duration::ZERO),
                    (Waits::Timed, _) => Some(Duration::from_millis(1)),
                    // Worker 0 settles the others: it must not block.
                    (Waits::UntilSettled, _) if t == 0 => Some(Duration::ZERO),
                    (Waits::UntilSettled, _) => None,
                };
                ch.send_wait(&mut log, clock, who, token, timeout);
            }
        }
    }
    log
}

/// After the workers: receive until nothing is left, then force-close, so
/// every item still queued is released by a recorded call.
pub fn drain(ch: &ChannelUnderTest, clock: &Clock, cfg: ChannelRound) -> ThreadLog<ChOp, ChRet> {
    let mut log = ThreadLog::new(cfg.threads);
    let who = InterpId(1);
    for _ in 0..=cfg.threads * cfg.ops_per_thread {
        let ret = log.record(clock, 0, ChOp::Recv { who }, |op| ch.apply(*op));
        if !matches!(ret, ChRet::Ok { got: Some(_), .. }) {
            break;
        }
    }
    let close = ChOp::Close {
        end: End::Both,
        force: true,
    };
    log.record(clock, 0, close, |op| ch.apply(*op));
    log
}

/// Runs one recorded round with std threads.
pub fn run_round(cfg: ChannelRound, seed: u64) -> History<ChOp, ChRet> {
    let ch = ChannelUnderTest::new();
    let clock = Clock::new();
    let barrier = std::sync::Barrier::new(cfg.threads);
    let mut logs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cfg.threads)
            .map(|t| {
                let (ch, clock, barrier) = (&ch, &clock, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    worker(ch, clock, cfg, t, seed)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect()
    });
    logs.push(drain(&ch, &clock, cfg));
    History::from_logs(logs)
}

/// Runs `rounds` std-thread rounds (round `r` seeded `seed + r`), checking
/// each history; stops at the first non-linearizable one.
pub fn stress(cfg: ChannelRound, rounds: usize, seed: u64) -> StressReport<ChOp, ChRet> {
    let mut report = StressReport {
        rounds: 0,
        operations: 0,
        inconclusive: 0,
        failure: None,
    };
    for r in 0..rounds {
        let round_seed = seed.wrapping_add(r as u64);
        let history = run_round(cfg, round_seed);
        report.rounds += 1;
        report.operations += history.len();
        match check_with(|_| ChannelSpec::new(), &history, DEFAULT_MAX_STATES) {
            Verdict::Linearizable => {}
            Verdict::Inconclusive { .. } => report.inconclusive += 1,
            failure @ Verdict::NotLinearizable(_) => {
                report.failure = Some((round_seed, failure));
                break;
            }
        }
    }
    report
}
