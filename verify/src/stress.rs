//! Concurrent std-thread runs of a queue, recorded as histories for the
//! linearizability checker.
//!
//! A round: `threads` workers start together on a barrier and each performs
//! a seeded random mix of push / force_push / pop (values unique, see
//! [`VALUE_STRIDE`]), one worker may close the
//! queue near its end; then the main thread drains the queue. The drain is
//! part of the history, so a lost item shows up as a final `Empty`/`Closed`
//! that the model cannot explain, and a duplicate as a second pop of a value.

use std::sync::Barrier;

use crate::history::{Clock, History, ThreadLog};
use crate::lin::queue_spec::{QOp, QRet};
use crate::lin::{check_with, Model, Verdict};

/// Values pushed by worker `t` are `(t + 1) * VALUE_STRIDE + seq`: unique,
/// and readable in a counterexample (`3000017` = worker 2, 17th push).
pub const VALUE_STRIDE: u64 = 1_000_000;

/// A concurrent queue (or several, by key) driven by [`QOp`]s.
pub trait QueueUnderTest: Sync {
    fn apply(&self, op: QOp) -> QRet;
    /// Whether `QOp::ForcePush` may be generated.
    fn has_force_push(&self) -> bool {
        false
    }
    /// How many independent objects (keys `0..keys()`) the workload spreads
    /// over; each is checked on its own (P-compositionality).
    fn keys(&self) -> u64 {
        1
    }
    /// Applies `op` to object `key`.
    fn apply_at(&self, key: u64, op: QOp) -> QRet {
        debug_assert_eq!(key, 0, "a single queue has only key 0");
        self.apply(op)
    }
}

impl QueueUnderTest for xikernel::List<u64> {
    fn apply(&self, op: QOp) -> QRet {
        match op {
            QOp::Push(v) => QRet::of_push(self.try_push(v)),
            // Never generated: a list has no force_push.
            QOp::ForcePush(_) => unreachable!("List has no force_push"),
            QOp::Pop => QRet::of_pop(self.try_pop()),
            QOp::Close => QRet::Closed(self.close()),
        }
    }
}

impl QueueUnderTest for xikernel::Ring<u64> {
    fn apply(&self, op: QOp) -> QRet {
        match op {
            QOp::Push(v) => QRet::of_push(self.try_push(v)),
            QOp::ForcePush(v) => QRet::of_force(self.force_push(v)),
            QOp::Pop => QRet::of_pop(self.try_pop()),
            QOp::Close => QRet::Closed(self.close()),
        }
    }
    fn has_force_push(&self) -> bool {
        true
    }
}

/// Queues of the registry addressed by id: key `k` is the `k`-th queue
/// created, of capacity `maxsizes[k]`, and every queue is checked on its own
/// against [`RefRing`](crate::reference::ring::RefRing) (P-compositionality
/// per queue id). There is no close on a registry queue: the workload must
/// run with `close: false`.
pub struct QueuesUnderTest {
    queues: xikernel::Queues<u64>,
    ids: Vec<xikernel::QueueId>,
}

impl QueuesUnderTest {
    /// One queue per entry of `maxsizes` (each >= 1: bounded).
    pub fn new(maxsizes: &[usize]) -> Self {
        let queues = xikernel::Queues::new();
        let defaults = xikernel::QueueDefaults {
            fmt: 0,
            unbound: xikernel::UnboundOp::Remove,
        };
        let ids = maxsizes
            .iter()
            .map(|&m| {
                let maxsize = i64::try_from(m.max(1)).unwrap_or(i64::MAX);
                queues
                    .create(maxsize, defaults)
                    .expect("fresh registry has ids")
            })
            .collect();
        QueuesUnderTest { queues, ids }
    }
}

impl QueueUnderTest for QueuesUnderTest {
    fn apply(&self, op: QOp) -> QRet {
        self.apply_at(0, op)
    }
    fn keys(&self) -> u64 {
        self.ids.len() as u64
    }
    /// Errors other than Full/Empty (NotFound, ...) map to responses the
    /// model never gives without a close, so the checker reports them.
    fn apply_at(&self, key: u64, op: QOp) -> QRet {
        use xikernel::{QueueError, Received};
        let qid = self.ids[key as usize];
        match op {
            QOp::Push(v) | QOp::ForcePush(v) => {
                match self
                    .queues
                    .try_push(xikernel::MAIN, qid, v, xikernel::UnboundOp::Remove)
                {
                    Ok(()) => QRet::Pushed,
                    Err(xikernel::QueuePushError::Full(..)) => QRet::Full,
                    Err(_) => QRet::PushClosed,
                }
            }
            QOp::Pop => match self.queues.try_pop(qid) {
                Ok(Received::Item(v)) => QRet::Popped(v),
                Err(QueueError::Empty(_)) => QRet::Empty,
                Ok(Received::Unbound(_)) | Err(_) => QRet::PopClosed,
            },
            // Not generated (`close: false`); never explainable.
            QOp::Close => QRet::Closed(false),
        }
    }
}

/// Shape of one round.
#[derive(Clone, Copy, Debug)]
pub struct RoundConfig {
    pub threads: usize,
    pub ops_per_thread: usize,
    /// Whether worker 0 closes the queue at a random point of its last half.
    pub close: bool,
}

/// splitmix64: a tiny, good-enough PRNG with a replayable seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// One worker of a round: a seeded random mix of operations on `queue`,
/// each recorded between two stamps of `clock`. Worker 0 closes the queue
/// at a random point of its second half if `cfg.close`.
pub fn worker<Q: QueueUnderTest + ?Sized>(
    queue: &Q,
    clock: &Clock,
    cfg: RoundConfig,
    t: usize,
    seed: u64,
) -> ThreadLog<QOp, QRet> {
    let force = queue.has_force_push();
    let keys = queue.keys();
    let mut rng = Rng::new(seed ^ (t as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
    let close_at = (cfg.close && t == 0)
        .then(|| cfg.ops_per_thread / 2 + rng.below(cfg.ops_per_thread as u64 / 2 + 1) as usize);
    let mut log = ThreadLog::new(t);
    assert!(cfg.ops_per_thread < VALUE_STRIDE as usize);
    let mut next = (t as u64 + 1) * VALUE_STRIDE;
    for i in 0..cfg.ops_per_thread {
        let op = if close_at == Some(i) {
            QOp::Close
        } else {
            match rng.below(20) {
                0..=8 => QOp::Pop,
                9..=10 if force => QOp::ForcePush(next),
                _ => QOp::Push(next),
            }
        };
        if matches!(op, QOp::Push(_) | QOp::ForcePush(_)) {
            next += 1;
        }
        // Only multi-object queues draw a key: single queues keep the
        // random sequence (and so the replay of old seeds) unchanged.
        let key = if keys > 1 { rng.below(keys) } else { 0 };
        log.record(clock, key, op, |op| queue.apply_at(key, *op));
    }
    log
}

/// After the workers: pops every object until it reports nothing (bounded,
/// in case a bug makes a queue produce items forever). Part of the history,
/// so a lost item shows up as an unexplainable final `Empty`/`Closed`.
pub fn drain<Q: QueueUnderTest + ?Sized>(
    queue: &Q,
    clock: &Clock,
    cfg: RoundConfig,
) -> ThreadLog<QOp, QRet> {
    let mut log = ThreadLog::new(cfg.threads);
    let bound = cfg.threads * cfg.ops_per_thread + 1;
    for key in 0..queue.keys() {
        for _ in 0..=bound {
            let ret = log.record(clock, key, QOp::Pop, |op| queue.apply_at(key, *op));
            if !matches!(ret, QRet::Popped(_)) {
                break;
            }
        }
    }
    log
}

/// Runs one recorded round on `queue` with std threads and returns its
/// history.
pub fn run_round<Q: QueueUnderTest>(queue: &Q, cfg: RoundConfig, seed: u64) -> History<QOp, QRet> {
    let clock = Clock::new();
    let barrier = Barrier::new(cfg.threads);
    let mut logs: Vec<ThreadLog<QOp, QRet>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cfg.threads)
            .map(|t| {
                let (clock, barrier) = (&clock, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    worker(queue, clock, cfg, t, seed)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect()
    });
    logs.push(drain(queue, &clock, cfg));
    History::from_logs(logs)
}

/// Outcome of a stress campaign of many rounds.
#[derive(Debug)]
pub struct StressReport<Op = QOp, Ret = QRet> {
    pub rounds: usize,
    pub operations: usize,
    /// Rounds whose search ran out of budget (no verdict; see
    /// [`StressReport::too_many_inconclusive`]).
    pub inconclusive: usize,
    /// The first non-linearizable round's seed and verdict, if any.
    pub failure: Option<(u64, Verdict<Op, Ret>)>,
}

impl<Op, Ret> StressReport<Op, Ret> {
    /// A rare round can defeat the search (a preempted operation overlapping
    /// hundreds of others); more than 5% of rounds means the workload is too
    /// big for the checker and the run proves little: a failure.
    pub fn too_many_inconclusive(&self) -> bool {
        self.inconclusive * 20 > self.rounds
    }

    /// Neither a violation nor too many rounds without a verdict.
    pub fn passed(&self) -> bool {
        self.failure.is_none() && !self.too_many_inconclusive()
    }
}

/// Runs `rounds` rounds, each on a fresh queue from `make`, checking every
/// object `key` of each history against `model(key)`; stops at the first
/// non-linearizable round.
/// Round `r` uses seed `seed + r`: the workload replays exactly, the
/// interleaving does not (that is what shuttle is for).
pub fn stress<Q, M>(
    make: impl Fn() -> Q,
    model: impl Fn(u64) -> M,
    cfg: RoundConfig,
    rounds: usize,
    seed: u64,
) -> StressReport
where
    Q: QueueUnderTest,
    M: Model<Op = QOp, Ret = QRet>,
{
    let mut report = StressReport {
        rounds: 0,
        operations: 0,
        inconclusive: 0,
        failure: None,
    };
    for r in 0..rounds {
        let round_seed = seed.wrapping_add(r as u64);
        let queue = make();
        let history = run_round(&queue, cfg, round_seed);
        report.rounds += 1;
        report.operations += history.len();
        match check_with(&model, &history, crate::lin::DEFAULT_MAX_STATES) {
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
