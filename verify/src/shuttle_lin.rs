//! Linearizability under shuttle: the stress workloads of [`crate::stress`]
//! run inside shuttle's random and PCT schedulers, and every schedule's
//! history is checked against the reference model.
//!
//! Why both this and the std-thread rounds: the OS interleaves real threads
//! as it likes (wide, but not replayable, and on 2 cores rarely in the
//! narrow windows), while shuttle picks every context switch at the
//! kernel's atomics and locks from a seed. A failure here is a *schedule*:
//! it replays exactly (`lin-shuttle replay <target> <schedule>`, or the same
//! `--seed`). Shuttle runs all atomics as SeqCst, so this finds logic races
//! (lost, duplicated, reordered items, wrong Full/Empty/Closed), not
//! ordering bugs; loom and Miri cover those.
//!
//! The recorder's clock stays a plain `std` atomic (a model-friendly
//! counter): shuttle runs one thread at a time, so the stamps follow the
//! real order exactly, and taking a stamp is not a scheduling point, so an
//! operation's interval is exactly the span of its own shuttle steps. That
//! keeps histories as tight as the execution allows; the linearization
//! point of each call still lies inside its interval, so the check is sound.
//!
//! The workload of a schedule (which thread pushes, pops or closes what) is
//! drawn from shuttle's own random source, so it is part of the schedule and
//! a replay reproduces it too.

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use shuttle::rand::{thread_rng, RngCore};
use shuttle::scheduler::{PctScheduler, RandomScheduler};
use shuttle::{Config, FailurePersistence, Runner};

use crate::history::{Clock, History};
use crate::lin::channel_spec::ChannelSpec;
use crate::lin::queue_spec::{QOp, QRet};
use crate::lin::{check_with, Model, Verdict, DEFAULT_MAX_STATES};
use crate::planted::{Bug, BuggyQueue, LockedRing, ShardedQueue};
use crate::reference::list::RefList;
use crate::reference::ring::RefRing;
use crate::stress::{drain, worker, QueueUnderTest, QueuesUnderTest, RoundConfig};
use crate::stress_channel::{self, ChannelRound, ChannelUnderTest, Waits};

/// PCT's bug depth (as the models' harness: `SHUTTLE_PCT_DEPTH` default).
const PCT_DEPTH: usize = 3;

/// Capacities of the registry queues of the `queues` target (key = index).
pub const QUEUE_CAPS: [usize; 2] = [1, 2];

/// What runs under shuttle: the kernel's queues (must pass) and the
/// checker's controls (a correct queue must pass, planted bugs must be
/// caught).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Ring(usize),
    List,
    /// Two registry queues by id, checked per id.
    Queues,
    /// One registry channel: send / recv / send-and-wait / close / release.
    Channel,
    /// The mutex-protected reference ring.
    Control,
    Planted(Bug),
    Sharded,
}

/// Every target with its command-line name.
pub const TARGETS: &[(&str, Target)] = &[
    ("ring1", Target::Ring(1)),
    ("ring2", Target::Ring(2)),
    ("list", Target::List),
    ("queues", Target::Queues),
    ("channel", Target::Channel),
    ("control", Target::Control),
    ("racy-peek", Target::Planted(Bug::RacyPeek)),
    ("spurious-empty", Target::Planted(Bug::SpuriousEmpty)),
    ("sharded", Target::Sharded),
];

impl Target {
    pub fn parse(name: &str) -> Option<Target> {
        TARGETS.iter().find(|(n, _)| *n == name).map(|&(_, t)| t)
    }

    /// Whether the checker must reject it (a planted bug).
    pub fn is_planted(self) -> bool {
        matches!(self, Target::Planted(_) | Target::Sharded)
    }

    /// Small rounds: shuttle explores interleavings of few operations far
    /// better than it explores many operations.
    pub fn round(self) -> RoundConfig {
        RoundConfig {
            threads: 3,
            ops_per_thread: 6,
            // Registry queues have no close; the planted bugs are about
            // items, as in the std-thread controls.
            close: matches!(self, Target::Ring(_) | Target::List | Target::Control),
        }
    }
}

/// Totals of a run, kept outside the model (plain std atomics).
static SCHEDULES: AtomicUsize = AtomicUsize::new(0);
static OPS: AtomicUsize = AtomicUsize::new(0);
static LARGEST: AtomicUsize = AtomicUsize::new(0);
static INCONCLUSIVE: AtomicUsize = AtomicUsize::new(0);
/// The first failing schedule's counterexample: (text, minimal ops, ops).
static FAILURE: Mutex<Option<(String, usize, usize)>> = Mutex::new(None);

/// One schedule: fresh queue, `cfg.threads` shuttle threads, the drain, the
/// check. Panics (failing the schedule) on a non-linearizable history.
fn one_schedule<Q, M>(make: fn() -> Q, model: fn(u64) -> M, cfg: RoundConfig)
where
    Q: QueueUnderTest + Send + Sync + 'static,
    M: Model<Op = QOp, Ret = QRet>,
{
    let seed = thread_rng().next_u64();
    let queue = Arc::new(make());
    let clock = Arc::new(Clock::new());
    let handles: Vec<_> = (0..cfg.threads)
        .map(|t| {
            let (queue, clock) = (Arc::clone(&queue), Arc::clone(&clock));
            shuttle::thread::spawn(move || worker(&*queue, &clock, cfg, t, seed))
        })
        .collect();
    let mut logs: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("worker panicked"))
        .collect();
    logs.push(drain(&*queue, &clock, cfg));
    judge(model, History::from_logs(logs), seed);
}

/// Counts a schedule's history and checks it. Panics (failing the
/// schedule) if it is not linearizable.
fn judge<M: Model>(model: impl Fn(u64) -> M, history: History<M::Op, M::Ret>, seed: u64) {
    SCHEDULES.fetch_add(1, Ordering::Relaxed);
    OPS.fetch_add(history.len(), Ordering::Relaxed);
    LARGEST.fetch_max(history.len(), Ordering::Relaxed);
    match check_with(model, &history, DEFAULT_MAX_STATES) {
        Verdict::Linearizable => {}
        Verdict::Inconclusive { .. } => {
            INCONCLUSIVE.fetch_add(1, Ordering::Relaxed);
        }
        Verdict::NotLinearizable(cx) => {
            let text = cx.to_string();
            let mut first = FAILURE.lock().unwrap_or_else(|e| e.into_inner());
            first.get_or_insert((text.clone(), cx.minimal.len(), cx.original_len));
            panic!("history not linearizable under shuttle (workload seed {seed}):\n{text}");
        }
    }
}

/// One schedule of the channel workload (`stress_channel`): 3 workers of 6
/// calls, waits that end only by a receive or a close (shuttle's timed
/// waits never time out), the drain, the check.
fn channel_schedule() {
    let cfg = ChannelRound {
        threads: 3,
        ops_per_thread: 6,
        waits: Waits::UntilSettled,
    };
    let seed = thread_rng().next_u64();
    let ch = Arc::new(ChannelUnderTest::new());
    let clock = Arc::new(Clock::new());
    let handles: Vec<_> = (0..cfg.threads)
        .map(|t| {
            let (ch, clock) = (Arc::clone(&ch), Arc::clone(&clock));
            shuttle::thread::spawn(move || stress_channel::worker(&ch, &clock, cfg, t, seed))
        })
        .collect();
    let mut logs: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("worker panicked"))
        .collect();
    logs.push(stress_channel::drain(&ch, &clock, cfg));
    judge(|_| ChannelSpec::new(), History::from_logs(logs), seed);
}

/// The schedule body of `target`, as shuttle wants it.
fn body(target: Target) -> Box<dyn Fn() + Send + Sync> {
    let cfg = target.round();
    match target {
        Target::Ring(cap) => Box::new(move || {
            // fn pointers: the capacity is fixed per target.
            match cap {
                1 => one_schedule(|| xikernel::Ring::<u64>::new(1), |_| RefRing::new(1), cfg),
                _ => one_schedule(|| xikernel::Ring::<u64>::new(2), |_| RefRing::new(2), cfg),
            }
        }),
        Target::List => {
            Box::new(move || one_schedule(xikernel::List::<u64>::new, |_| RefList::new(), cfg))
        }
        Target::Queues => Box::new(move || {
            one_schedule(
                || QueuesUnderTest::new(&QUEUE_CAPS),
                |key| RefRing::new(QUEUE_CAPS[key as usize]),
                cfg,
            )
        }),
        Target::Channel => Box::new(channel_schedule),
        Target::Control => {
            Box::new(move || one_schedule(|| LockedRing::new(2), |_| RefRing::new(2), cfg))
        }
        Target::Planted(Bug::RacyPeek) => Box::new(move || {
            one_schedule(|| BuggyQueue::new(Bug::RacyPeek), |_| RefList::new(), cfg)
        }),
        Target::Planted(Bug::SpuriousEmpty) => Box::new(move || {
            one_schedule(
                || BuggyQueue::new(Bug::SpuriousEmpty),
                |_| RefList::new(),
                cfg,
            )
        }),
        Target::Sharded => {
            Box::new(move || one_schedule(ShardedQueue::new, |_| RefList::new(), cfg))
        }
    }
}

/// Runs one seeded scheduler over the schedule body with a config.
type RunScheduler = dyn FnOnce(Config, Arc<dyn Fn() + Send + Sync>);

/// A failing schedule.
#[derive(Debug)]
pub struct Failure {
    /// "random" or "PCT".
    pub scheduler: &'static str,
    /// 1-based index of the failing schedule in its scheduler's run.
    pub schedule_index: usize,
    /// The minimal counterexample, printed.
    pub counterexample: String,
    pub minimal_ops: usize,
    pub history_ops: usize,
    /// Shuttle's encoded schedule (`lin-shuttle replay <target> <it>`).
    pub schedule: Option<String>,
}

/// What a run found.
#[derive(Debug)]
pub struct RunReport {
    pub schedules: usize,
    pub ops: usize,
    pub largest: usize,
    pub inconclusive: usize,
    pub failure: Option<Failure>,
}

/// Runs `iterations` random and then `iterations` PCT schedules of
/// `target`, both seeded by `seed`; stops at the first failing schedule.
/// Failing schedules are persisted under `schedule_dir`.
pub fn run(target: Target, iterations: usize, seed: u64, schedule_dir: PathBuf) -> RunReport {
    let _ = std::fs::create_dir_all(&schedule_dir);
    let config = || {
        let mut c = Config::new();
        c.failure_persistence = FailurePersistence::File(Some(schedule_dir.clone()));
        c
    };
    let f: Arc<dyn Fn() + Send + Sync> = Arc::from(body(target));
    // Runs one scheduler; `Some(failure)` if a schedule failed.
    let attempt = |name: &'static str, scheduler: Box<RunScheduler>| {
        let before = SCHEDULES.load(Ordering::Relaxed);
        let g = Arc::clone(&f);
        if panic::catch_unwind(AssertUnwindSafe(|| scheduler(config(), g))).is_ok() {
            return None;
        }
        let (counterexample, minimal_ops, history_ops) = FAILURE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_else(|| ("(a worker panicked; see the log)".into(), 0, 0));
        Some(Failure {
            scheduler: name,
            schedule_index: SCHEDULES.load(Ordering::Relaxed) - before + 1,
            counterexample,
            minimal_ops,
            history_ops,
            schedule: newest_schedule(&schedule_dir),
        })
    };
    let failure = attempt(
        "random",
        Box::new(move |c, g| {
            let s = RandomScheduler::new_from_seed(seed, iterations);
            Runner::new(s, c).run(move || g());
        }),
    )
    .or_else(|| {
        attempt(
            "PCT",
            Box::new(move |c, g| {
                let s = PctScheduler::new_from_seed(seed, PCT_DEPTH, iterations);
                Runner::new(s, c).run(move || g());
            }),
        )
    });
    RunReport {
        schedules: SCHEDULES.load(Ordering::Relaxed),
        ops: OPS.load(Ordering::Relaxed),
        largest: LARGEST.load(Ordering::Relaxed),
        inconclusive: INCONCLUSIVE.load(Ordering::Relaxed),
        failure,
    }
}

/// The most recently written schedule file's contents.
fn newest_schedule(dir: &std::path::Path) -> Option<String> {
    let newest = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()?;
    std::fs::read_to_string(newest.1)
        .ok()
        .map(|s| s.split_whitespace().collect())
}

/// Re-runs one encoded schedule of `target` (panics again if it fails).
pub fn replay(target: Target, schedule: &str) {
    let f = body(target);
    shuttle::replay(f, schedule);
}
