//! In-process rows: std-thread stress runs recorded and checked for
//! linearizability against the reference models, and the checker's own
//! proof (a correct control queue must pass, planted bugs must be caught).

use std::fmt::Write as _;

use super::{progress, Ctx, Done, Outcome, Task};
use crate::lin::queue_spec::{QOp, QRet};
use crate::lin::{Model, Verdict};
use crate::planted::{Bug, BuggyQueue, LockedRing, ShardedQueue};
use xikernel::List;
use xikernel::Ring;

use crate::reference::list::RefList;
use crate::reference::ring::RefRing;
use crate::stress::{stress, QueueUnderTest, QueuesUnderTest, RoundConfig, StressReport};
use crate::stress_channel::{self, ChannelRound, Waits};

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
    model: impl Fn(u64) -> M + 'static,
) -> Task
where
    Q: QueueUnderTest,
    M: Model<Op = QOp, Ret = QRet>,
{
    must_pass_cfg(area, property, rounds, cfg(true), make, model)
}

/// [`must_pass`] with an explicit round shape.
fn must_pass_cfg<Q, M>(
    area: &str,
    property: String,
    rounds: usize,
    c: RoundConfig,
    make: impl Fn() -> Q + 'static,
    model: impl Fn(u64) -> M + 'static,
) -> Task
where
    Q: QueueUnderTest,
    M: Model<Op = QOp, Ret = QRet>,
{
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
            let r = in_chunks(rounds, ctx.opts.seed, |n, seed| {
                stress(&make, &model, c, n, seed)
            });
            report_pass(&r)
        }),
    }
}

/// `run(n, seed)` (a stress function: round `r` has seed `seed + r`) in
/// chunks of rounds, publishing the progress between them (the campaign's
/// sign of life). The rounds and a failure's replay seed are the same as in
/// one call.
fn in_chunks<Op, Ret>(
    rounds: usize,
    seed: u64,
    run: impl Fn(usize, u64) -> StressReport<Op, Ret>,
) -> StressReport<Op, Ret> {
    const CHUNK: usize = 10;
    let mut total = StressReport {
        rounds: 0,
        operations: 0,
        inconclusive: 0,
        failure: None,
    };
    while total.rounds < rounds && total.failure.is_none() {
        let n = CHUNK.min(rounds - total.rounds);
        let r = run(n, seed.wrapping_add(total.rounds as u64));
        total.rounds += r.rounds;
        total.operations += r.operations;
        total.inconclusive += r.inconclusive;
        total.failure = r.failure;
        progress::set(format!(
            "{}/{rounds} rounds, {} operations checked",
            total.rounds, total.operations
        ));
    }
    total
}

fn report_pass<Op: std::fmt::Debug, Ret: std::fmt::Debug>(r: &StressReport<Op, Ret>) -> Done {
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
            let r = in_chunks(rounds, ctx.opts.seed, |n, seed| {
                stress(&make, |_| RefList::<u64>::new(), c, n, seed)
            });
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
            |_| RefRing::<u64>::new(2),
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
    t.extend(shuttle_tasks(ctx.opts.level.pick(500, 10_000, 100_000)));
    t
}

const SHUTTLE_CHECKER: &str = "shuttle (random + PCT) + Wing-Gong/Lowe";

/// Rows that record histories under shuttle (`lin-shuttle`, built with the
/// `shuttle` feature): `n` random + `n` PCT schedules per row.
fn shuttle_tasks(n: usize) -> Vec<Task> {
    let rows: [(&str, &str, &str); 9] = [
        ("ring", "ring1", "Ring(cap 1) under shuttle: push/force_push/pop/close linearizable in every schedule"),
        ("ring", "ring2", "Ring(cap 2) under shuttle: push/force_push/pop/close linearizable in every schedule"),
        ("list", "list", "List under shuttle: push/pop/close linearizable in every schedule"),
        ("queue", "queues", "Queues by id under shuttle: put/get linearizable per queue id in every schedule"),
        ("channel", "channel", "Channel under shuttle: send/recv/send-and-wait/close/release linearizable in every schedule, every item received or released once"),
        ("checker", "control", "control under shuttle: a mutex-protected reference ring is accepted"),
        ("checker", "racy-peek", "checker catches planted bug `racy-peek` under shuttle, with a replayable schedule"),
        ("checker", "spurious-empty", "checker catches planted bug `spurious-empty` under shuttle, with a replayable schedule"),
        ("checker", "sharded", "checker catches planted bug `sharded` under shuttle, with a replayable schedule"),
    ];
    rows.into_iter()
        .map(|(area, target, property)| {
            let planted = !matches!(
                target,
                "ring1" | "ring2" | "list" | "queues" | "channel" | "control"
            );
            let bound = if planted {
                format!("up to {n} random + {n} PCT schedules")
            } else {
                format!("{n} random + {n} PCT schedules x 3 threads x 6 ops")
            };
            let target = target.to_string();
            Task {
                kind: "lin",
                area: area.into(),
                property: property.into(),
                checker: SHUTTLE_CHECKER.into(),
                bound,
                run: Box::new(move |ctx: &Ctx| shuttle_row(ctx, &target, n, planted)),
            }
        })
        .collect()
}

fn shuttle_row(ctx: &Ctx, target: &str, n: usize, planted: bool) -> Done {
    let script = format!(
        "cargo run --release --features shuttle -p xikernel-verify --bin lin-shuttle -- run {target} {n} {}{}",
        ctx.opts.seed,
        if planted { " --expect-catch" } else { "" }
    );
    let mut done = ctx.run_cmd(
        &format!("lin-shuttle-{target}"),
        &script,
        &[],
        ctx.opts.timeout,
    );
    if planted && done.outcome == Outcome::Pass {
        // The evidence: the counterexample and how to replay it (the last
        // report of the binary, after shuttle's own output).
        let log = done
            .log
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok());
        let text = log.unwrap_or_default();
        let from = text.rfind("\nnot linearizable:").map_or(0, |i| i + 1);
        done.detail = text[from..]
            .lines()
            .filter(|l| !l.starts_with("summary: "))
            .chain([format!("or: cargo verify --only lin --seed {}", ctx.opts.seed).as_str()])
            .collect::<Vec<_>>()
            .join("\n");
    }
    done
}

/// Stress rows of the kernel's own queues.
fn kernel_tasks(rounds: usize) -> Vec<Task> {
    let mut t = vec![must_pass(
        "list",
        "List: push/pop/close linearizable, nothing lost or duplicated".into(),
        rounds,
        List::<u64>::new,
        |_| RefList::<u64>::new(),
    )];
    // Capacity 1 and 2 keep the ring full/empty most of the time (the racy
    // edges); 16 lets laps wrap while items queue up.
    for cap in [1, 2, 16] {
        t.push(must_pass(
            "ring",
            format!("Ring(cap {cap}): push/force_push/pop/close linearizable, nothing lost or duplicated"),
            rounds,
            move || Ring::<u64>::new(cap),
            move |_| RefRing::<u64>::new(cap),
        ));
    }
    t.push(must_pass_cfg(
        "queue",
        format!("Queues by id (maxsize {QUEUE_CAPS:?}): put/get linearizable per queue id, nothing lost or duplicated"),
        rounds,
        RoundConfig { close: false, ..cfg(false) },
        || QueuesUnderTest::new(&QUEUE_CAPS),
        |key| RefRing::<u64>::new(QUEUE_CAPS[key as usize]),
    ));
    t.push(Task {
        kind: "lin",
        area: "channel".into(),
        property: "Channel: send/recv/send-and-wait (timed)/close/release linearizable, every item received or released once".into(),
        checker: CHECKER.into(),
        bound: format!("{rounds} rounds x 4 threads x 100 ops"),
        run: Box::new(move |ctx: &Ctx| {
            let c = ChannelRound {
                threads: 4,
                ops_per_thread: 100,
                waits: Waits::Timed,
            };
            report_pass(&in_chunks(rounds, ctx.opts.seed, |n, seed| {
                stress_channel::stress(c, n, seed)
            }))
        }),
    });
    t
}

/// Capacities of the registry queues in the `Queues` rows (key = index).
const QUEUE_CAPS: [usize; 2] = [1, 3];
