//! `cargo verify`: the verification campaign.
//!
//! One command re-runs the evidence: loom models (deeper than CI), shuttle
//! models (random + PCT, many iterations), std stress runs checked for
//! linearizability, proptest conformance, codec fuzzing and corpus replay,
//! Miri, and the mutation audit. Each property becomes one row of the report
//! (`target/verify/report.md` and `.json`): property, checker,
//! bound/iterations, result, time; the report then shows per property how
//! deep loom went, how many shuttle schedules and linearizability rounds
//! ran, and which planted twins were caught. Any failed row makes the exit
//! status non-zero; a row whose prerequisite is missing is SKIPPED with the
//! reason, never PASSED. Progress (with a line at least every 30 s) goes to
//! stderr, results and the summary to stdout. See `docs/verification.md`.

pub mod cli;
mod coverage;
mod exec;
mod lin_rows;
mod loom_depth;
mod model_stats;
mod mutations;
mod prereq;
mod progress;
mod report;
mod tool_rows;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use cli::{parse_args, Level, Options};

/// What a row found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// Failed; the detail says why (and how to replay).
    Fail,
    /// Not run; the reason.
    Skipped(String),
}

/// One line of the report.
#[derive(Clone, Debug)]
pub struct Row {
    /// Which part of the campaign: loom, shuttle, lin, proptest, fuzz, miri,
    /// mutation.
    pub kind: &'static str,
    /// Which part of the kernel: ring, list, channel, ... (or `checker`).
    pub area: String,
    pub property: String,
    pub checker: String,
    pub bound: String,
    pub outcome: Outcome,
    /// Short result text (e.g. "CAUGHT", "12 passed"), shown with the outcome.
    pub note: String,
    pub time: Duration,
    /// Failure details (excerpt, replay command), printed below the table.
    pub detail: String,
    pub log: Option<PathBuf>,
}

/// A planned row: described up front (for the progress display), run later.
pub struct Task {
    pub kind: &'static str,
    pub area: String,
    pub property: String,
    pub checker: String,
    pub bound: String,
    pub run: Box<dyn FnOnce(&Ctx) -> Done>,
}

/// What running a task produced.
pub struct Done {
    pub outcome: Outcome,
    pub note: String,
    pub detail: String,
    pub log: Option<PathBuf>,
}

impl Done {
    pub fn skipped(reason: impl Into<String>) -> Self {
        Done {
            outcome: Outcome::Skipped(reason.into()),
            note: String::new(),
            detail: String::new(),
            log: None,
        }
    }
}

/// Shared state for running tasks.
pub struct Ctx {
    pub opts: Options,
    /// Workspace root.
    pub root: PathBuf,
    /// `target/verify` under the root.
    pub out: PathBuf,
    /// Commands that passed in this campaign, with their extra environment.
    passed: RefCell<Vec<(String, Env)>>,
    /// Lines for the report's header (e.g. which mutations were sampled).
    pub notes: RefCell<Vec<String>>,
    /// Which optional tools this machine has.
    pub prereqs: prereq::Prereqs,
    /// What each loom / shuttle model explored.
    pub models: RefCell<Vec<model_stats::ModelStat>>,
    /// The planted twins audited, and which test caught each.
    pub twins: RefCell<Vec<model_stats::Twin>>,
}

/// Extra environment of a command.
pub type Env = Vec<(String, String)>;

/// Whether a run with the extra environment `(var, value)` checks at least
/// what the harness checks with `var` unset: a loom bound >= the default 2
/// explores a superset of its executions; more shuttle schedules, or a fixed
/// seed, run the same (correct) models longer.
fn covers_default(var: &str, value: &str) -> bool {
    let at_least = |min: u64| value.parse::<u64>().is_ok_and(|v| v >= min);
    match var {
        "LOOM_MAX_PREEMPTIONS" => at_least(2),
        "SHUTTLE_ITERATIONS" => at_least(1000),
        "SHUTTLE_SEED" => true,
        // Only records what the models explored.
        "XIKERNEL_MODEL_STATS" => true,
        _ => false,
    }
}

impl Ctx {
    /// Whether `script` passed here with settings at least as strict as the
    /// harnesses' defaults (then it would pass with the defaults too).
    pub fn passed_covering_defaults(&self, script: &str) -> bool {
        self.passed
            .borrow()
            .iter()
            .any(|(s, env)| s == script && env.iter().all(|(k, v)| covers_default(k, v)))
    }

    /// Adds a line to the report's header.
    pub fn note(&self, line: impl Into<String>) {
        self.notes.borrow_mut().push(line.into());
    }

    pub fn log_path(&self, name: &str) -> PathBuf {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.out.join("logs").join(format!("{safe}.log"))
    }

    /// Runs a cargo (or other) command for a row in the workspace root.
    pub fn run_cmd(
        &self,
        name: &str,
        script: &str,
        env: &[(String, String)],
        timeout: Duration,
    ) -> Done {
        let run = exec::run_sh(
            script,
            &self.root,
            env,
            &self.log_path(name),
            timeout,
            None,
            "",
        );
        let env_prefix: String = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
        let replay = format!("replay: {env_prefix}{script}\nlog: {}", run.log.display());
        let (outcome, note, detail) = match &run.exit {
            exec::Exit::Success => {
                self.passed
                    .borrow_mut()
                    .push((script.to_string(), env.to_vec()));
                (Outcome::Pass, run.test_summary(), String::new())
            }
            exec::Exit::Failure(code) => (
                Outcome::Fail,
                format!("exit {}", code.map_or("signal".into(), |c| c.to_string())),
                format!("{replay}\n{}", run.excerpt(15)),
            ),
            exec::Exit::TimedOut => (
                Outcome::Fail,
                format!("timeout after {}s", timeout.as_secs()),
                format!("{replay}\n{}", run.excerpt(15)),
            ),
            exec::Exit::Stopped(line) => (
                Outcome::Fail,
                "stopped".into(),
                format!("{replay}\nstopped at: {line}"),
            ),
            exec::Exit::NotStarted(e) => (
                Outcome::Fail,
                "not started".into(),
                format!("{replay}\n{e}"),
            ),
        };
        Done {
            outcome,
            note,
            detail,
            log: Some(run.log),
        }
    }
}

/// The workspace root (the directory holding the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("verify/ is inside the workspace")
        .to_path_buf()
}

/// Plans, runs and reports the campaign; returns the process exit code.
pub fn run(opts: Options) -> i32 {
    let root = workspace_root();
    let out = root.join("target").join("verify");
    let _ = std::fs::create_dir_all(out.join("logs"));
    let ctx = Ctx {
        opts,
        root,
        out,
        passed: RefCell::new(Vec::new()),
        notes: RefCell::new(Vec::new()),
        prereqs: prereq::Prereqs::default(),
        models: RefCell::new(Vec::new()),
        twins: RefCell::new(Vec::new()),
    };

    let mut tasks = Vec::new();
    tasks.extend(tool_rows::loom(&ctx));
    tasks.extend(tool_rows::shuttle(&ctx));
    tasks.extend(lin_rows::tasks(&ctx));
    tasks.extend(tool_rows::proptest(&ctx));
    tasks.extend(tool_rows::fuzz(&ctx));
    tasks.extend(tool_rows::miri(&ctx));
    tasks.extend(tool_rows::soak(&ctx));
    tasks.extend(mutations::tasks(&ctx));
    let tasks: Vec<Task> = tasks
        .into_iter()
        .filter(|t| ctx.opts.selects(t.kind, &t.area))
        .collect();
    let audited = tasks.iter().filter(|t| t.kind == "mutations").count();
    if let Some(note) = mutations::audit_note(&ctx, audited) {
        ctx.note(note);
    }

    println!(
        "cargo verify: {} rows, level {}, seed {} (replay with --seed {})",
        tasks.len(),
        ctx.opts.level.name(),
        ctx.opts.seed,
        ctx.opts.seed
    );
    let started = Instant::now();
    report::load_at_start();
    let n = tasks.len();
    // An empty INCOMPLETE report right away: fixes the commit it describes.
    let _ = report::write(&ctx, &[], started.elapsed(), n);
    let mut rows = Vec::with_capacity(n);
    for (i, task) in tasks.into_iter().enumerate() {
        let title = format!(
            "[{:>2}/{n}] {:<9} {:<10} {}",
            i + 1,
            task.kind,
            task.area,
            task.property
        );
        // Progress on stderr, results on stdout: `cargo verify > log`
        // keeps the results and the summary.
        eprintln!("{title} ({}) ...", task.bound);
        let t0 = Instant::now();
        let done = {
            let _alive = progress::Heartbeat::start();
            (task.run)(&ctx)
        };
        let row = Row {
            kind: task.kind,
            area: task.area,
            property: task.property,
            checker: task.checker,
            bound: task.bound,
            outcome: done.outcome,
            note: done.note,
            time: t0.elapsed(),
            detail: done.detail,
            log: done.log,
        };
        let what = match &row.outcome {
            Outcome::Skipped(reason) => format!("SKIPPED: {reason}"),
            _ => format!("{} {}", report::outcome_text(&row), row.note),
        };
        println!(
            "{title}\n        {} [{:.1}s, total {:.0}s]",
            what.trim_end(),
            row.time.as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
        if row.outcome == Outcome::Fail {
            print!("{}", indent(&failure_text(&row)));
        }
        rows.push(row);
        if i + 1 < n {
            // Best effort: the final write below reports errors.
            let _ = report::write(&ctx, &rows, started.elapsed(), n - i - 1);
        }
    }
    let failed = rows.iter().filter(|r| r.outcome == Outcome::Fail).count();
    match report::write(&ctx, &rows, started.elapsed(), 0) {
        Ok(paths) => {
            for p in paths {
                println!("report: {}", p.display());
            }
        }
        Err(e) => {
            eprintln!("cargo verify: cannot write the report: {e}");
            return 2;
        }
    }
    println!("{}", report::summary(&rows, started.elapsed()));
    if failed > 0 {
        1
    } else {
        0
    }
}

/// What the console shows of a failed row: its detail, then (unless the
/// detail has it already) the log's path and last lines.
fn failure_text(row: &Row) -> String {
    let mut s = row.detail.trim_end().to_string();
    if let Some(log) = &row.log {
        let path = log.display().to_string();
        if !s.contains(&path) {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(12)..];
            if !s.is_empty() {
                s.push('\n');
            }
            s.push_str(&format!("log: {path}\nlast lines:\n{}", tail.join("\n")));
        }
    }
    s
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("        | {l}\n")).collect()
}
