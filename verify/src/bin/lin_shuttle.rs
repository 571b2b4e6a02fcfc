//! `lin-shuttle`: recorded histories under shuttle's schedulers, checked for
//! linearizability (see `xikernel_verify::shuttle_lin`). Run by
//! `cargo verify`; by hand:
//!
//! ```text
//! cargo run --release --features shuttle -p xikernel-verify --bin lin-shuttle -- \
//!     run <target> <schedules per scheduler> <seed> [--expect-catch]
//! cargo run ... -- replay <target> <encoded schedule>
//! ```
//!
//! The last line of a run is `summary: ...` (the campaign's row note). Exit
//! status: 0 if the result is the expected one (kernel and control:
//! linearizable; planted bugs with `--expect-catch`: caught), 1 otherwise.

use std::process::exit;

use xikernel_verify::shuttle_lin::{self, Target, TARGETS};

const BIN: &str = "cargo run --release --features shuttle -p xikernel-verify --bin lin-shuttle --";

fn usage() -> ! {
    let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    eprintln!(
        "usage: lin-shuttle run <target> <schedules> <seed> [--expect-catch]\n       \
         lin-shuttle replay <target> <schedule>\ntargets: {}",
        names.join(", ")
    );
    exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let target = |name: &str| Target::parse(name).unwrap_or_else(|| usage());
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["replay", name, schedule] => {
            shuttle_lin::replay(target(name), schedule);
            println!("summary: the schedule passes (not reproduced)");
        }
        ["run", name, n, seed, ref rest @ ..] => {
            let expect_catch = match rest {
                [] => false,
                ["--expect-catch"] => true,
                _ => usage(),
            };
            let (Ok(n), Ok(seed)) = (n.parse::<usize>(), seed.parse::<u64>()) else {
                usage()
            };
            exit(run(name, target(name), n, seed, expect_catch))
        }
        _ => usage(),
    }
}

fn run(name: &str, target: Target, n: usize, seed: u64, expect_catch: bool) -> i32 {
    let dir = std::env::temp_dir().join(format!("lin-shuttle-{}", std::process::id()));
    let r = shuttle_lin::run(target, n, seed, dir.clone());
    let _ = std::fs::remove_dir_all(&dir);
    match (r.failure, expect_catch) {
        (None, false) if r.inconclusive * 20 > r.schedules => {
            println!(
                "summary: FAILED: {} of {} schedules exceeded the search budget",
                r.inconclusive, r.schedules
            );
            1
        }
        (None, false) => {
            println!(
                "summary: {} schedules ({n} random + {n} PCT, seed {seed}), {} ops checked, \
                 largest history {} ops, {} inconclusive",
                r.schedules, r.ops, r.largest, r.inconclusive
            );
            0
        }
        (None, true) => {
            println!(
                "summary: NOT CAUGHT in {} schedules (seed {seed})",
                r.schedules
            );
            1
        }
        (Some(f), _) => {
            println!("{}", f.counterexample.trim_end());
            let schedule = f
                .schedule
                .as_deref()
                .unwrap_or("(not persisted; see shuttle's output above)");
            println!("replay: {BIN} replay {name} {schedule}");
            println!(
                "or the whole run: {BIN} run {name} {n} {seed}{}",
                if expect_catch { " --expect-catch" } else { "" }
            );
            let verdict = match (expect_catch, f.history_ops) {
                (true, _) => "CAUGHT",
                // No history: the schedule panicked before the check
                // (shuttle's deadlock report, or a worker's assertion).
                (false, 0) => "FAILED: a schedule panicked (deadlock or assertion, see above)",
                (false, _) => "FAILED: not linearizable",
            };
            println!(
                "summary: {verdict} in schedule {} of the {} scheduler (seed {seed}), \
                 minimal counterexample {} of {} ops",
                f.schedule_index, f.scheduler, f.minimal_ops, f.history_ops
            );
            i32::from(!expect_catch)
        }
    }
}
