//! Shared harness for the loom and shuttle models in `tests/`.
//!
//! Every model goes through `loom_model` or `shuttle_check`, so that the
//! bounds CI uses are set in one place and can be raised from the
//! environment for the verification campaign:
//!
//! | variable                | default | meaning |
//! |-------------------------|---------|---------|
//! | `LOOM_MAX_PREEMPTIONS`  | 2       | loom preemption bound (read by loom) |
//! | `SHUTTLE_ITERATIONS`    | 1000    | schedules per shuttle scheduler |
//! | `SHUTTLE_PCT_DEPTH`     | 3       | PCT bug depth |
//! | `SHUTTLE_SEED`          | random  | fixed seed for both schedulers (`cargo verify --seed`) |
//! | `XIKERNEL_LOOM_UNBOUNDED` | unset | `1`: no preemption bound (loom's plain DPOR explores every execution; wins over `LOOM_MAX_PREEMPTIONS`) |
//! | `XIKERNEL_MODEL_STATS`  | unset   | file that receives each model's executions / schedules ([`stats`]) |
//!
//! `LOOM_MAX_PREEMPTIONS=100` is *not* "no bound": with any bound loom adds
//! conservative backtracking points (bounded DPOR) and explores more
//! executions than without one, so `cargo verify --deep` asks for
//! exhaustiveness with `XIKERNEL_LOOM_UNBOUNDED=1`.
//!
//! Models are compiled only with their feature; without one this crate is
//! empty, so `cargo test --workspace` stays fast.

pub mod stats;

/// Default loom preemption bound: small enough that CI fits, large enough to
/// reach the bugs the mutation check plants (see `docs/orderings.md`).
pub const DEFAULT_LOOM_PREEMPTIONS: usize = 2;

/// Runs `f` under loom with the default preemption bound unless
/// `LOOM_MAX_PREEMPTIONS` (or `XIKERNEL_LOOM_UNBOUNDED`) overrides it.
#[cfg(feature = "loom")]
pub fn loom_model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    // Builder::new() reads LOOM_MAX_PREEMPTIONS itself.
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(DEFAULT_LOOM_PREEMPTIONS);
    }
    if unbounded() {
        builder.preemption_bound = None;
    }
    let bound = builder
        .preemption_bound
        .map_or("none".to_string(), |b| b.to_string());
    check_counted(&builder, bound, f);
}

/// Like [`loom_model`], but never explores more than `cap` preemptions,
/// whatever `LOOM_MAX_PREEMPTIONS` or `XIKERNEL_LOOM_UNBOUNDED` ask for.
///
/// For models where two threads spin (yielding) on a third thread's progress:
/// loom 0.7 may then let the spinners yield to each other until it gives up
/// with "exceeded maximum number of branches" (tokio-rs/loom#398), which
/// happens at bound 3 for the list models that use this. The cap keeps the
/// deeper campaign meaningful for every other model; the capped ones state
/// their cap next to the call.
#[cfg(feature = "loom")]
pub fn loom_model_capped<F>(cap: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    let asked = if unbounded() {
        usize::MAX
    } else {
        builder.preemption_bound.unwrap_or(DEFAULT_LOOM_PREEMPTIONS)
    };
    builder.preemption_bound = Some(asked.min(cap));
    let bound = if asked > cap {
        format!("cap={cap}")
    } else {
        asked.to_string()
    };
    check_counted(&builder, bound, f);
}

/// Whether `XIKERNEL_LOOM_UNBOUNDED=1` asks for no preemption bound.
#[cfg(feature = "loom")]
fn unbounded() -> bool {
    std::env::var("XIKERNEL_LOOM_UNBOUNDED").is_ok_and(|v| v == "1")
}

/// Runs the model, counting its executions for [`stats`].
#[cfg(feature = "loom")]
fn check_counted<F>(builder: &loom::model::Builder, bound: String, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let counter = stats::Counter::new("loom", bound);
    let c = counter.clone();
    builder.check(move || {
        c.tick();
        f();
    });
    counter.finish();
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Iterations per shuttle scheduler (`SHUTTLE_ITERATIONS`, default 1000).
pub fn shuttle_iterations() -> usize {
    env_usize("SHUTTLE_ITERATIONS", 1000)
}

/// Runs `f` under shuttle's random scheduler and then its PCT scheduler.
/// A failure panics with shuttle's replayable schedule in the message.
#[cfg(feature = "shuttle")]
pub fn shuttle_check<F>(f: F)
where
    F: Fn() + Send + Sync + 'static,
{
    let iterations = shuttle_iterations();
    let depth = env_usize("SHUTTLE_PCT_DEPTH", 3);
    let counter = stats::Counter::new("shuttle", "-".into());
    let c = counter.clone();
    let f = std::sync::Arc::new(move || {
        c.tick();
        f();
    });
    let g = f.clone();
    // `cargo verify --seed N` sets SHUTTLE_SEED: the same seed gives the
    // same schedules, so a failing campaign run can be replayed.
    match std::env::var("SHUTTLE_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        Some(seed) => {
            shuttle::check_random_with_seed(move || f(), seed, iterations);
            let pct = shuttle::scheduler::PctScheduler::new_from_seed(seed, depth, iterations);
            shuttle::Runner::new(pct, Default::default()).run(move || g());
        }
        None => {
            shuttle::check_random(move || f(), iterations);
            shuttle::check_pct(move || g(), iterations, depth);
        }
    }
    counter.finish();
}
