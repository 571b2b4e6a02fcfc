//! In-process rows: std-thread stress runs recorded and checked for
//! linearizability against the reference models, and the checker's own
//! proof (a correct control queue must pass, planted bugs must be caught).

use std::fmt::Write as _;

use super::{Ctx, Done, Outcome, Task};
use crate::lin::queue_spec::{QOp, QRet};
use crate::lin::{Model, Verdict};
use crate::planted::{Bug, BuggyQueue, LockedRing, ShardedQueue};
use xikernel::list::List;
use xikernel::ring::Ring;

use crate::reference::list::RefList;
use crate::reference::ring::RefRing;
use crate::stress::{stress, QueueUnderTest, RoundConfig, StressReport};

const CHECKER: &str = "std threads + Wing-Gong/Lowe";

fn cfg(close: bool) -> RoundConfig {
    RoundConfig {
        threads: 4,
        ops_per_thread: 100,
        close,
    }
}

/// A row that must find every round linearizable.
fn must_pass<Q, M>(
    area: &str,
    property: String,
    rounds: usize,
    make: impl Fn() -> Q + 'static,
    model: impl Fn() -> M + 'static,
) -> Task
where
    Q: QueueUnderTest,
    M: Model<Op = QOp, Ret = QRet>,
{
    let c = cfg(true);
    Task {
        kind: "lin",
        area: area.into(),
        property,
        checker: CHECKER.into(),
        bound: format!(
            "{rounds} rounds x {} threads x {} ops",
            c.threads, c.ops_per_thread
        ),
        run: Box::new(move |ctx: &Ctx| {
            let r = stress(make, model, c, rounds, ctx.opts.seed);
            report_pass(&r)
        }),
    }
}

fn report_pass(r: &StressReport) -> Done {
    let note = format!(
        "{} ops checked, {} rounds inconclusive",
        r.operations, r.inconclusive
    );
    let (outcome, detail) = match &r.failure {
        None if r.too_many_inconclusive() => (
            Outcome::Fail,
            format!(
                "{} of {} rounds exceeded the search budget",
                r.inconclusive, r.rounds
            ),
        ),
        None => (Outcome::Pass, String::new()),
        Some((seed, verdict)) => {
            let mut d =
                format!("round seed {seed} (replay: cargo verify --only lin --seed {seed})\n");
            match verdict {
                Verdict::NotLinearizable(cx) => {
                    let _ = write!(d, "{cx}");
                }
                other => {
                    let _ = write!(d, "{other:?}");
                }
            }
            (Outcome::Fail, d)
        }
    };
    Done {
        outcome,
        note,
        detail,
        log: None,
    }
}

/// A row that must catch the planted bug (non-linearizable history found).
fn must_catch<Q: QueueUnderTest>(
    name: &str,
    what: &str,
    rounds: usize,
    make: impl Fn() -> Q + 'static,
) -> Task {
    let c = RoundConfig {
        close: false,
        ..cfg(false)
    };
    Task {
        kind: "lin",
        area: "checker".into(),
        property: format!("checker catches planted bug `{name}` ({what})"),
        checker: CHECKER.into(),
        bound: format!("up to {rounds} rounds"),
        run: Box::new(move |ctx: &Ctx| {
            let r = stress(make, RefList::<u64>::new, c, rounds, ctx.opts.seed);
            match r.failure {
                Some((seed, Verdict::NotLinearizable(cx))) => Done {
                    outcome: Outcome::Pass,
                    note: format!(
                        "CAUGHT in round {} (seed {seed}), minimal counterexample {} of {} ops",
                        r.rounds,
                        cx.minimal.len(),
                        cx.original_len
                    ),
                    detail: String::new(),
                    log: None,
                },
                other => Done {
                    outcome: Outcome::Fail,
                    note: "NOT CAUGHT".into(),
                    detail: format!("after {} rounds: {other:?}", r.rounds),
                    log: None,
                },
            }
        }),
    }
}

pub fn tasks(ctx: &Ctx) -> Vec<Task> {
    let rounds = ctx.opts.level.pick(40, 300, 3000);
    let mut t = vec![
        must_pass(
            "checker",
            "control: a mutex-protected reference ring is accepted".into(),
            rounds / 4,
            || LockedRing::new(2),
            || RefRing::<u64>::new(2),
        ),
        must_catch("racy-peek", "duplicates and loses items", 1000, || {
            BuggyQueue::new(Bug::RacyPeek)
        }),
        must_catch(
            "spurious-empty",
            "Empty while items are queued",
            1000,
            || BuggyQueue::new(Bug::SpuriousEmpty),
        ),
        must_catch(
            "sharded",
            "reorders across producers",
            1000,
            ShardedQueue::new,
        ),
    ];
    t.extend(kernel_tasks(rounds));
    t
}

/// Stress rows of the kernel's own queues.
fn kernel_tasks(rounds: usize) -> Vec<Task> {
    let mut t = vec![must_pass(
        "list",
        "List: push/pop/close linearizable, nothing lost or duplicated".into(),
        rounds,
        List::<u64>::new,
        RefList::<u64>::new,
    )];
    // Capacity 1 and 2 keep the ring full/empty most of the time (the racy
    // edges); 16 lets laps wrap while items queue up.
    for cap in [1, 2, 16] {
        t.push(must_pass(
            "ring",
            format!("Ring(cap {cap}): push/force_push/pop/close linearizable, nothing lost or duplicated"),
            rounds,
            move || Ring::<u64>::new(cap),
            move || RefRing::<u64>::new(cap),
        ));
    }
    t
}
