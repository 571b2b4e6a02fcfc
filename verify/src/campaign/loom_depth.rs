//! `cargo verify --deep`'s loom rows: every model of a file on its own,
//! first without a preemption bound (exhaustive), and if that does not end
//! within the per-model budget (`--loom-budget`), at the largest bound that
//! does, with the reason in the report.
//!
//! "No bound" is `XIKERNEL_LOOM_UNBOUNDED=1` (the harness then leaves
//! loom's bound unset), not a large `LOOM_MAX_PREEMPTIONS`: with any bound
//! loom adds conservative backtracking points and explores *more*
//! executions than plain DPOR (`models/src/lib.rs`).

use std::path::PathBuf;

use super::exec::{self, Exit};
use super::model_stats::{self, Depth, ModelStat};
use super::{Ctx, Done, Outcome};

/// The deepest bound tried when no bound is over budget: a guard against a
/// model whose unbounded run times out while every bound is quick.
const MAX_BOUND: usize = 12;

/// What one attempt at one depth gave.
enum Attempt {
    Passed(ModelStat),
    /// Over the budget.
    TooSlow,
    /// loom 0.7 gave up: "exceeded maximum number of branches"
    /// (tokio-rs/loom#398), a limit of the checker, not a finding.
    GaveUp,
    /// A real failure (or the model could not be run): the detail.
    Failed(String, PathBuf),
}

fn script(stem: &str, model: &str) -> String {
    format!(
        "cargo test --release --features loom -p xikernel-models --test {stem} -- --exact {model}"
    )
}

/// The models of `models/tests/<stem>.rs` (libtest's `--list`).
fn list(ctx: &Ctx, stem: &str) -> Result<Vec<String>, Done> {
    let cmd =
        format!("cargo test --release --features loom -p xikernel-models --test {stem} -- --list");
    let log = ctx.log_path(&format!("loom-deep-{stem}-list"));
    let run = exec::run_sh(
        &cmd,
        &ctx.root,
        &[],
        &log,
        ctx.opts.timeout,
        None,
        "listing the models",
    );
    if run.exit != Exit::Success {
        return Err(Done {
            outcome: Outcome::Fail,
            note: "cannot list the models".into(),
            detail: format!("replay: {cmd}\nlog: {}\n{}", log.display(), run.excerpt(15)),
            log: Some(run.log),
        });
    }
    let text = std::fs::read_to_string(&run.log).unwrap_or_default();
    Ok(text
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(String::from)
        .collect())
}

fn attempt(ctx: &Ctx, stem: &str, model: &str, bound: Option<usize>, status: &str) -> Attempt {
    let depth = bound.map_or("unbounded".to_string(), |k| format!("bound{k}"));
    let stats = ctx
        .out
        .join("stats")
        .join(format!("loom-deep-{stem}-{model}-{depth}.tsv").replace("::", "-"));
    let _ = std::fs::create_dir_all(ctx.out.join("stats"));
    let _ = std::fs::remove_file(&stats);
    let mut env = vec![(
        "XIKERNEL_MODEL_STATS".to_string(),
        stats.display().to_string(),
    )];
    match bound {
        None => env.push(("XIKERNEL_LOOM_UNBOUNDED".into(), "1".into())),
        Some(k) => env.push(("LOOM_MAX_PREEMPTIONS".into(), k.to_string())),
    }
    let cmd = script(stem, model);
    let log = ctx.log_path(&format!("loom-deep-{stem}-{model}-{depth}"));
    let run = exec::run_sh(
        &cmd,
        &ctx.root,
        &env,
        &log,
        ctx.opts.loom_budget,
        None,
        status,
    );
    let text = || std::fs::read_to_string(&run.log).unwrap_or_default();
    match run.exit {
        Exit::Success => {
            let found = model_stats::read(&stats, stem)
                .into_iter()
                .find(|m| m.test == model);
            match found {
                Some(m) => Attempt::Passed(m),
                None => Attempt::Failed(
                    format!(
                        "{model} passed but wrote no statistics (is it run through \
                         xikernel_models::loom_model?)\nlog: {}",
                        run.log.display()
                    ),
                    run.log,
                ),
            }
        }
        Exit::TimedOut => Attempt::TooSlow,
        Exit::Failure(_) if text().contains("exceeded maximum number of branches") => {
            Attempt::GaveUp
        }
        _ => {
            let env_prefix: String = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
            Attempt::Failed(
                format!(
                    "replay: {env_prefix}{cmd}\nlog: {}\n{}",
                    run.log.display(),
                    run.excerpt(15)
                ),
                run.log,
            )
        }
    }
}

/// Runs every model of `stem` as deep as the budget allows.
pub fn run(ctx: &Ctx, stem: &str) -> Done {
    let models = match list(ctx, stem) {
        Ok(m) => m,
        Err(done) => return done,
    };
    let budget = ctx.opts.loom_budget.as_secs();
    let n = models.len();
    let (mut exhaustive, mut bounded, mut failures) = (0, Vec::new(), Vec::new());
    let mut last_log = None;
    for (i, model) in models.iter().enumerate() {
        let status = |d: &str| format!("model {}/{n} {model}, {d}", i + 1);
        let why_bounded = match attempt(ctx, stem, model, None, &status("no bound")) {
            Attempt::Passed(mut m) => {
                if m.depth == Depth::Exhaustive {
                    exhaustive += 1;
                } else {
                    m.reason = "the model caps its bound (the reason is next to the call)".into();
                    bounded.push(m.depth.text());
                }
                ctx.models.borrow_mut().push(m);
                continue;
            }
            Attempt::Failed(detail, log) => {
                failures.push(format!("{model} (no bound):\n{detail}"));
                last_log = Some(log);
                continue;
            }
            Attempt::TooSlow => format!("no bound: over the {budget} s budget"),
            Attempt::GaveUp => {
                "no bound: loom gave up (exceeded maximum number of branches, tokio-rs/loom#398)"
                    .to_string()
            }
        };
        // The largest bound that ends within the budget, counting up.
        let mut best: Option<ModelStat> = None;
        let mut stop = String::new();
        for k in 2..=MAX_BOUND {
            match attempt(ctx, stem, model, Some(k), &status(&format!("bound {k}"))) {
                Attempt::Passed(m) => best = Some(m),
                Attempt::TooSlow => {
                    stop = format!("bound {k}: over the budget");
                    break;
                }
                Attempt::GaveUp => {
                    stop = format!("bound {k}: loom gave up (max branches)");
                    break;
                }
                Attempt::Failed(detail, log) => {
                    failures.push(format!("{model} (bound {k}):\n{detail}"));
                    last_log = Some(log);
                    break;
                }
            }
        }
        match best {
            Some(mut m) => {
                m.reason = if stop.is_empty() {
                    format!("{why_bounded}; bounds up to {MAX_BOUND} tried")
                } else {
                    format!("{why_bounded}; {stop}")
                };
                bounded.push(m.depth.text());
                ctx.models.borrow_mut().push(m);
            }
            None if failures.iter().any(|f| f.starts_with(&format!("{model} "))) => {}
            None => failures.push(format!(
                "{model}: not even bound 2 ends within the {budget} s budget ({why_bounded}); \
                 raise --loom-budget"
            )),
        }
    }
    let note = format!(
        "{n} models: {exhaustive} exhaustive{}",
        if bounded.is_empty() {
            String::new()
        } else {
            format!(", {} bounded ({})", bounded.len(), bounded.join(", "))
        }
    );
    if failures.is_empty() {
        Done {
            outcome: Outcome::Pass,
            note,
            detail: String::new(),
            log: None,
        }
    } else {
        Done {
            outcome: Outcome::Fail,
            note: format!("{note}; {} failed", failures.len()),
            detail: failures.join("\n\n"),
            log: last_log,
        }
    }
}
