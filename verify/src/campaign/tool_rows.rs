//! Rows that shell out to cargo: loom, shuttle, proptest, fuzz, Miri.

use std::path::Path;
use std::time::Duration;

use super::{exec, loom_depth, model_stats, prereq, Ctx, Done, Level, Task};

/// `(stem, first doc line)` of the test files in `dir` ending in `suffix`.
fn test_files(dir: &Path, suffix: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".rs")?;
            if !stem.ends_with(suffix) {
                return None;
            }
            let text = std::fs::read_to_string(e.path()).ok()?;
            let doc = first_sentence(&text).unwrap_or_else(|| format!("{stem} passes"));
            Some((stem.to_string(), doc))
        })
        .collect();
    files.sort();
    files
}

/// The first sentence of a file's `//!` docs (the row's property).
fn first_sentence(text: &str) -> Option<String> {
    let para: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("//!"))
        .map_while(|l| l.strip_prefix("//!"))
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    let para = para.join(" ");
    let end = para.find(". ").map_or(para.len(), |i| i + 1);
    let mut s = para[..end].trim_end_matches('.').to_string();
    if s.chars().count() > 200 {
        s = s.chars().take(197).collect::<String>() + "...";
    }
    (!s.is_empty()).then_some(s)
}

fn env(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// A SKIPPED placeholder row (kept in the report so a gap is visible).
fn skipped(kind: &'static str, area: &str, property: &str, checker: &str, reason: String) -> Task {
    Task {
        kind,
        area: area.into(),
        property: property.into(),
        checker: checker.into(),
        bound: "-".into(),
        run: Box::new(move |_| Done::skipped(reason)),
    }
}

/// Model rows for `models/tests/*_<feature>.rs`: one row per file; at
/// `--deep` each loom model on its own, as deep as its budget allows
/// ([`loom_depth`]).
fn model_rows(
    ctx: &Ctx,
    feature: &'static str,
    checker: &str,
    bound: String,
    vars: Vec<(String, String)>,
) -> Vec<Task> {
    let files = test_files(
        &ctx.root.join("models").join("tests"),
        &format!("_{feature}"),
    );
    if files.is_empty() {
        let reason = format!("no models/tests/*_{feature}.rs yet");
        return vec![skipped(
            feature,
            "-",
            &format!("{feature} models"),
            checker,
            reason,
        )];
    }
    let deep_loom = feature == "loom" && ctx.opts.level == Level::Deep;
    files
        .into_iter()
        .map(|(stem, doc)| {
            // The first word: `list_snapshot_loom` is about the list.
            let area = stem.split('_').next().unwrap_or(&stem).to_string();
            let script = format!(
                "cargo test --release --features {feature} -p xikernel-models --test {stem}"
            );
            let vars = vars.clone();
            let run: Box<dyn FnOnce(&Ctx) -> Done> = if deep_loom {
                Box::new(move |ctx: &Ctx| loom_depth::run(ctx, &stem))
            } else {
                Box::new(move |ctx: &Ctx| {
                    // The harness reports each model's executions / schedules.
                    let stats = ctx.out.join("stats").join(format!("{stem}.tsv"));
                    let _ = std::fs::create_dir_all(ctx.out.join("stats"));
                    let _ = std::fs::remove_file(&stats);
                    let mut vars = vars;
                    vars.push(("XIKERNEL_MODEL_STATS".into(), stats.display().to_string()));
                    let done = ctx.run_cmd(&stem, &script, &vars, ctx.opts.timeout);
                    ctx.models
                        .borrow_mut()
                        .extend(model_stats::read(&stats, &stem));
                    done
                })
            };
            Task {
                kind: feature,
                area,
                property: doc,
                checker: checker.into(),
                bound: bound.clone(),
                run,
            }
        })
        .collect()
}

pub fn loom(ctx: &Ctx) -> Vec<Task> {
    if ctx.opts.level == Level::Deep {
        let budget = ctx.opts.loom_budget.as_secs();
        return model_rows(
            ctx,
            "loom",
            "loom, each model alone",
            format!("no bound if it ends within {budget} s, else the largest bound that does"),
            Vec::new(),
        );
    }
    let bound = ctx.opts.level.pick(2, 3, 4);
    let vars = env(&[("LOOM_MAX_PREEMPTIONS", bound.to_string())]);
    model_rows(
        ctx,
        "loom",
        "loom (exhaustive, bounded)",
        format!("preemptions <= {bound}"),
        vars,
    )
}

pub fn shuttle(ctx: &Ctx) -> Vec<Task> {
    // Quick = the harness default (CI's), so its rows double as mutation baselines.
    let iters = ctx.opts.level.pick(1000, 3000, 20000);
    let mut vars = env(&[("SHUTTLE_ITERATIONS", iters.to_string())]);
    if ctx.opts.seed_given {
        vars.push(("SHUTTLE_SEED".into(), ctx.opts.seed.to_string()));
    }
    let bound = format!("{iters} random + {iters} PCT schedules");
    model_rows(ctx, "shuttle", "shuttle (random + PCT)", bound, vars)
}

pub fn proptest(ctx: &Ctx) -> Vec<Task> {
    let cases = ctx.opts.level.pick(256, 2048, 20000);
    let files = test_files(&ctx.root.join("verify").join("tests"), "");
    let seed = ctx.opts.seed;
    files
        .into_iter()
        .map(|(stem, doc)| {
            let area = stem.split('_').next().unwrap_or("verify").to_string();
            let script = format!("cargo test --release -p xikernel-verify --test {stem}");
            let vars = env(&[
                ("PROPTEST_CASES", cases.to_string()),
                ("PROPTEST_RNG_SEED", seed.to_string()),
            ]);
            let checker = if stem.contains("conformance") {
                "proptest vs reference model"
            } else {
                "cargo test"
            };
            Task {
                kind: "proptest",
                area,
                property: doc,
                checker: checker.into(),
                bound: format!("{cases} cases"),
                run: Box::new(move |ctx: &Ctx| {
                    ctx.run_cmd(
                        &format!("proptest-{stem}"),
                        &script,
                        &vars,
                        ctx.opts.timeout,
                    )
                }),
            }
        })
        .collect()
}

pub fn fuzz(ctx: &Ctx) -> Vec<Task> {
    const CHECKER: &str = "cargo-fuzz (libFuzzer, no sanitizer)";
    let property = "fuzz targets: no panic, crash or failed assertion";
    if !ctx.root.join("fuzz").join("Cargo.toml").exists() {
        return vec![skipped(
            "fuzz",
            "xidata",
            property,
            CHECKER,
            "no fuzz/ crate yet".into(),
        )];
    }
    if let Err(reason) = ctx.prereqs.check(prereq::CARGO_FUZZ, &ctx.root) {
        return vec![skipped("fuzz", "xidata", property, CHECKER, reason)];
    }
    let targets: Vec<String> = exec::output("cargo fuzz list", &ctx.root)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    if targets.is_empty() {
        return vec![skipped(
            "fuzz",
            "xidata",
            property,
            CHECKER,
            "cargo fuzz list found no targets".into(),
        )];
    }
    let secs = ctx.opts.level.pick(10, 30, 600);
    let mut tasks = Vec::new();
    for t in targets {
        let area = t.split('_').next().unwrap_or("fuzz").to_string();
        // Replay first (regressions in the corpus), then explore.
        let replay = format!("mkdir -p fuzz/corpus/{t} && cargo fuzz run --sanitizer none {t} fuzz/corpus/{t} -- -runs=0");
        // New inputs go to the first corpus directory: keep them out of the
        // tree (fuzz/corpus/<t> is read as seeds only).
        let explore = format!(
            "mkdir -p target/verify/fuzz-corpus/{t} && cargo fuzz run --sanitizer none {t} \
             target/verify/fuzz-corpus/{t} fuzz/corpus/{t} -- -max_total_time={secs}"
        );
        let t2 = t.clone();
        tasks.push(Task {
            kind: "fuzz",
            area: area.clone(),
            property: format!("{t}: corpus replays clean"),
            checker: CHECKER.into(),
            bound: "whole corpus, -runs=0".into(),
            run: Box::new(move |ctx: &Ctx| {
                ctx.run_cmd(&format!("fuzz-replay-{t2}"), &replay, &[], ctx.opts.timeout)
            }),
        });
        let timeout = Duration::from_secs(secs + 300);
        tasks.push(Task {
            kind: "fuzz",
            area,
            property: format!("{t}: no crash"),
            checker: CHECKER.into(),
            bound: format!("{secs} s"),
            run: Box::new(move |ctx: &Ctx| {
                ctx.run_cmd(&format!("fuzz-{t}"), &explore, &[], timeout)
            }),
        });
    }
    tasks
}

/// Test files whose names mark them as long randomized suites: under Miri
/// (~1000x slower) they take most of the run while exercising the same
/// unsafe paths as the basic tests, so only `--deep` runs them there.
const MIRI_SLOW_SUFFIXES: &[&str] = &["_proptest", "_stress", "_props"];

/// `--test` arguments for Miri at this level (`None`: every test), and the
/// bound text. Discovered from `core/tests/*.rs`, so a new test file is
/// included without editing this list.
fn miri_selection(ctx: &Ctx) -> (Option<String>, String) {
    if ctx.opts.level == Level::Deep {
        return (None, "every test binary".into());
    }
    let all = test_files(&ctx.root.join("core").join("tests"), "");
    let (slow, fast): (Vec<_>, Vec<_>) = all
        .into_iter()
        .map(|(stem, _)| stem)
        .partition(|stem| MIRI_SLOW_SUFFIXES.iter().any(|s| stem.ends_with(s)));
    let args: String = fast.iter().map(|t| format!(" --test {t}")).collect();
    let bound = format!(
        "lib + {} test binaries; skipped here, run by --deep: {}",
        fast.len(),
        if slow.is_empty() {
            "none".to_string()
        } else {
            slow.join(", ")
        }
    );
    (Some(format!(" --lib{args}")), bound)
}

pub fn miri(ctx: &Ctx) -> Vec<Task> {
    const CHECKER: &str = "Miri (UB, data races, leaks)";
    let property = "xikernel unit and integration tests are free of UB";
    if ctx.opts.level == Level::Quick {
        let reason = "not in --quick (CI runs its own Miri subset; the default campaign runs more)"
            .to_string();
        return vec![skipped("miri", "core", property, CHECKER, reason)];
    }
    if let Err(reason) = ctx.prereqs.check(prereq::MIRI, &ctx.root) {
        return vec![skipped("miri", "core", property, CHECKER, reason)];
    }
    let (targets, bound) = miri_selection(ctx);
    vec![Task {
        kind: "miri",
        area: "core".into(),
        property: property.into(),
        checker: CHECKER.into(),
        bound: format!("{bound} (8 proptest cases, Stacked Borrows)"),
        run: Box::new(move |ctx: &Ctx| {
            let timeout = ctx.opts.timeout.max(Duration::from_secs(1200));
            // Isolation off: proptest's failure persistence calls getcwd
            // (host access only; UB detection is unchanged). Few proptest
            // cases: Miri runs ~1000x slower, the point is the unsafe paths.
            let vars = env(&[
                ("MIRIFLAGS", "-Zmiri-disable-isolation".into()),
                ("PROPTEST_CASES", "8".into()),
            ]);
            let script = format!(
                "cargo +nightly miri test -p xikernel --no-fail-fast{}",
                targets.unwrap_or_default()
            );
            ctx.run_cmd("miri", &script, &vars, timeout)
        }),
    },
    Task {
        kind: "miri",
        area: "ipc".into(),
        property: "the shared-memory queue's algorithm (model region, real threads, crashes) is free of UB and data races".into(),
        checker: CHECKER.into(),
        bound: "ipc/tests/model_threads.rs (memfd/mmap/futex are not emulated by Miri)".into(),
        run: Box::new(move |ctx: &Ctx| {
            let timeout = ctx.opts.timeout.max(Duration::from_secs(1200));
            let vars = env(&[("MIRIFLAGS", "-Zmiri-strict-provenance".into())]);
            let script = "cargo +nightly miri test -p xikernel-ipc --test model_threads";
            ctx.run_cmd("miri-ipc", script, &vars, timeout)
        }),
    }]
}

/// The shared-memory queue's multi-process crash soak: forked producers and
/// consumers SIGKILLed at random moments and replaced; exactly-once save
/// the counted in-flight of killed consumers, no checksum failure, no hang.
pub fn soak(ctx: &Ctx) -> Vec<Task> {
    const PROPERTY: &str = "ipc queue: real processes SIGKILLed at random; every completed push received once (save counted in-flight), no torn message, no hang";
    const CHECKER: &str = "crash soak (fork + SIGKILL)";
    if ctx.opts.level == Level::Quick {
        let reason = "not in --quick (CI runs its own 30 s soak)".to_string();
        return vec![skipped("soak", "ipc", PROPERTY, CHECKER, reason)];
    }
    let secs = ctx.opts.level.pick(30, 120, 600);
    let script = format!(
        "cargo run --release -p xikernel-ipc --example crash_soak -- --seconds {secs} --seed {}",
        ctx.opts.seed
    );
    vec![Task {
        kind: "soak",
        area: "ipc".into(),
        property: PROPERTY.into(),
        checker: CHECKER.into(),
        bound: format!("{secs} s"),
        run: Box::new(move |ctx: &Ctx| {
            ctx.run_cmd("soak-ipc", &script, &[], Duration::from_secs(secs + 600))
        }),
    }]
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_model_file_declares_its_feature() {
        // models/Cargo.toml gives each model file `required-features`, so
        // `cargo test --workspace` does not print an empty block for it; a
        // file missing there would compile to an empty test binary.
        let root = crate::campaign::workspace_root();
        let manifest = std::fs::read_to_string(root.join("models").join("Cargo.toml")).unwrap();
        for feature in ["loom", "shuttle"] {
            for (stem, _) in
                super::test_files(&root.join("models").join("tests"), &format!("_{feature}"))
            {
                let entry =
                    format!("[[test]]\nname = \"{stem}\"\nrequired-features = [\"{feature}\"]");
                assert!(
                    manifest.contains(&entry),
                    "models/Cargo.toml lacks:\n{entry}"
                );
            }
        }
    }
}
