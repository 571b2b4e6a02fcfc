//! The mutation audit: every planted bug in `verify/mutations/*.toml`,
//! applied alone to a scratch copy of the workspace, must make its `check`
//! fail.
//!
//! One scratch copy (`target/verify/mutants/work`, the tracked and untracked
//! non-ignored files of the workspace) is made per campaign and reused: each
//! mutation edits one file, runs its check, and restores the file. Keeping
//! the path fixed and the target directory shared
//! (`target/verify/mutants-target`) means each check rebuilds only the
//! mutated crate, which is what keeps the audit affordable on 2 cores.
//!
//! Before any mutation, each distinct `check` runs once on the *unmutated*
//! copy (the baseline): a check that fails anyway (a typo'd test name, a
//! broken model) would otherwise make every mutation look caught. A row of
//! this campaign that already passed the identical command with the
//! harnesses' default settings counts as its baseline.
//!
//! Verdicts: check fails -> CAUGHT (pass), unless the mutant does not even
//! compile (fail: not a planted bug); check passes -> SURVIVED (fail,
//! unless `expect = "survives"` with a `justification`); `find` not found
//! exactly once -> STALE (fail); check times out -> TIMEOUT (fail, unless
//! `expect = "hang"`, for a planted lost wake-up that only a hang can show).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::exec::{self, Exit};
use super::model_stats::{self, Twin};
use super::{prereq, Ctx, Done, Level, Outcome, Task};

/// One catalogue entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mutation {
    pub id: String,
    pub file: String,
    pub find: String,
    pub replace: String,
    pub check: String,
    pub why: String,
    /// "caught" (default), "survives" or "hang".
    pub expect: String,
    pub justification: String,
    /// "default": always audited by the default campaign (not only when the
    /// seeded sample picks it); empty otherwise.
    pub tier: String,
    /// A prerequisite of `check` beyond stable Rust ([`prereq::KNOWN`]);
    /// without it here the entry is SKIPPED, not failed. Empty: none.
    pub requires: String,
    /// The catalogue file it came from.
    pub source: String,
}

/// Parses one catalogue file.
pub fn parse(text: &str, source: &str) -> Result<Vec<Mutation>, String> {
    let table: toml::Table = text.parse().map_err(|e| format!("{source}: {e}"))?;
    let Some(list) = table.get("mutation") else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or(format!("{source}: `mutation` must be [[mutation]] tables"))?;
    let mut out = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let t = entry
            .as_table()
            .ok_or(format!("{source}: mutation #{} is not a table", i + 1))?;
        let get = |k: &str, required: bool| -> Result<String, String> {
            match t.get(k) {
                Some(v) => v.as_str().map(String::from).ok_or(format!(
                    "{source}: mutation #{}: `{k}` must be a string",
                    i + 1
                )),
                None if required => Err(format!("{source}: mutation #{}: missing `{k}`", i + 1)),
                None => Ok(String::new()),
            }
        };
        let m = Mutation {
            id: get("id", true)?,
            file: get("file", true)?,
            find: get("find", true)?,
            replace: get("replace", true)?,
            check: get("check", true)?,
            why: get("why", false)?,
            expect: match get("expect", false)?.as_str() {
                "" => "caught".into(),
                e @ ("caught" | "survives" | "hang") => e.into(),
                other => {
                    return Err(format!(
                        "{source}: mutation #{}: unknown expect {other:?}",
                        i + 1
                    ))
                }
            },
            justification: get("justification", false)?,
            tier: match get("tier", false)?.as_str() {
                t @ ("" | "default") => t.into(),
                other => {
                    return Err(format!(
                        "{source}: mutation #{}: unknown tier {other:?} (only \"default\")",
                        i + 1
                    ))
                }
            },
            requires: match get("requires", false)?.as_str() {
                r if r.is_empty() || prereq::KNOWN.contains(&r) => r.into(),
                other => {
                    return Err(format!(
                        "{source}: mutation #{}: unknown requires {other:?} (one of {:?})",
                        i + 1,
                        prereq::KNOWN
                    ))
                }
            },
            source: source.into(),
        };
        if m.expect == "survives" && m.justification.trim().is_empty() {
            return Err(format!(
                "{source}: {}: expect = \"survives\" needs a justification",
                m.id
            ));
        }
        if m.find == m.replace {
            return Err(format!(
                "{source}: {}: find and replace are identical",
                m.id
            ));
        }
        out.push(m);
    }
    Ok(out)
}

/// All catalogue files, sorted; parse errors are returned per file.
fn catalogue(root: &Path) -> Vec<(String, Result<Vec<Mutation>, String>)> {
    let dir = root.join("verify").join("mutations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let parsed = std::fs::read_to_string(&p)
                .map_err(|e| e.to_string())
                .and_then(|t| parse(&t, &format!("verify/mutations/{name}")));
            (name, parsed)
        })
        .collect()
}

/// The scratch workspace, created on first use.
struct Scratch {
    dir: PathBuf,
    target: PathBuf,
    ready: Option<Result<(), String>>,
    /// Baseline result per check command, and its log.
    baselines: BTreeMap<String, (bool, Option<PathBuf>)>,
}

fn copy_workspace(root: &Path, dir: &Path) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("clearing {}: {e}", dir.display()))?;
    }
    let files = exec::output("git ls-files -z --cached --others --exclude-standard", root)
        .ok_or("git ls-files failed (is the workspace a git checkout?)")?;
    for f in files.split('\0').filter(|f| !f.is_empty()) {
        let (src, dst) = (root.join(f), dir.join(f));
        if !src.is_file() {
            continue; // deleted in the work tree
        }
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::copy(&src, &dst).map_err(|e| format!("copying {f}: {e}"))?;
    }
    Ok(())
}

/// Seeds the mutants' target directory with the workspace's release build:
/// registry dependencies hash the same in any target directory, so they are
/// reused instead of rebuilt (minutes on 2 cores); the scratch copy's own
/// crates live at another path, hash differently and never collide.
fn seed_target(root: &Path, target: &Path) -> Result<(), String> {
    // The release directory this binary was built into (`cargo verify`
    // builds in release), which honours CARGO_TARGET_DIR; else the default.
    let release = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .filter(|dir| dir.ends_with("release"))
        .unwrap_or_else(|| root.join("target").join("release"));
    if target.join("release").exists() || !release.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(target).map_err(|e| e.to_string())?;
    let cp = format!("cp -a '{}' '{}'", release.display(), target.display());
    if exec::probe(&cp, root) {
        Ok(())
    } else {
        Err(format!("`{cp}` failed"))
    }
}

impl Scratch {
    fn ensure(&mut self, root: &Path) -> Result<(), String> {
        let (dir, target) = (&self.dir, &self.target);
        self.ready
            .get_or_insert_with(|| {
                copy_workspace(root, dir).and_then(|()| seed_target(root, target))
            })
            .clone()
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![("CARGO_TARGET_DIR".into(), self.target.display().to_string())]
    }
}

fn done(outcome: Outcome, note: impl Into<String>, detail: String, log: Option<PathBuf>) -> Done {
    Done {
        outcome,
        note: note.into(),
        detail,
        log,
    }
}

/// Applies `m` in the scratch copy, runs its check, restores the file.
fn run_one(ctx: &Ctx, s: &mut Scratch, m: &Mutation) -> Done {
    if let Err(e) = s.ensure(&ctx.root) {
        return done(Outcome::Fail, "NO SCRATCH COPY", e, None);
    }
    let path = s.dir.join(&m.file);
    let Ok(original) = std::fs::read_to_string(&path) else {
        return done(
            Outcome::Fail,
            "STALE",
            format!("{} does not exist", m.file),
            None,
        );
    };
    let hits = original.matches(&m.find).count();
    if hits != 1 {
        let detail = format!(
            "`find` occurs {hits} times in {} (must be exactly once): {:?}",
            m.file, m.find
        );
        return done(Outcome::Fail, "STALE", detail, None);
    }
    let (baseline_ok, baseline_log) = match s.baselines.get(&m.check) {
        Some((ok, log)) => (*ok, log.clone()),
        // This campaign already ran the same command with the same settings
        // on the same tree (a loom row at the CI bound, say) and it passed.
        None if ctx.passed_covering_defaults(&m.check) => (true, None),
        None => {
            let log = ctx.log_path(&format!("baseline-{}", m.id));
            let ok = exec::run_sh(
                &m.check,
                &s.dir,
                &s.env(),
                &log,
                ctx.opts.timeout,
                None,
                "baseline (unmutated copy)",
            )
            .exit
                == Exit::Success;
            s.baselines.insert(m.check.clone(), (ok, Some(log.clone())));
            (ok, Some(log))
        }
    };
    if !baseline_ok {
        let detail = format!(
            "`{}` fails without the mutation (in {})",
            m.check,
            s.dir.display()
        );
        return done(Outcome::Fail, "BASELINE FAILS", detail, baseline_log);
    }
    let timeout = ctx.opts.timeout;
    if let Err(e) = std::fs::write(&path, original.replacen(&m.find, &m.replace, 1)) {
        return done(Outcome::Fail, "NOT APPLIED", e.to_string(), None);
    }
    // The first failing test decides: stop there instead of running the
    // rest of a long model binary.
    let run = exec::run_sh(
        &m.check,
        &s.dir,
        &s.env(),
        &ctx.log_path(&format!("mutant-{}", m.id)),
        timeout,
        Some(&is_failed_test_line),
        "the mutant",
    );
    if let Err(e) = std::fs::write(&path, &original) {
        // Later mutations would run on a corrupted copy: force a fresh one.
        s.ready = None;
        return done(Outcome::Fail, "NOT RESTORED", e.to_string(), Some(run.log));
    }
    let replay = format!(
        "replay: apply {} in {} ({} -> {}) and run `{}`\nlog: {}",
        m.id,
        m.file,
        m.find,
        m.replace,
        m.check,
        run.log.display()
    );
    let secs = timeout.as_secs();
    let caught = match (&run.exit, m.expect.as_str()) {
        (Exit::Failure(_), "survives") | (Exit::Stopped(_), "survives") => false,
        (Exit::Failure(_), _) => !does_not_compile(&run.log),
        (Exit::Stopped(_), _) => true,
        (Exit::TimedOut, "hang") => true,
        _ => false,
    };
    let file = model_stats::test_file_of(&m.check);
    // A twin counts for the area of the model file that checks it (the
    // `sync/` spin-lock twins for `spin_loom`, the `ipc/` ones for
    // `shm_loom`), else for its catalogue area.
    let area = file
        .as_deref()
        .filter(|f| f.ends_with("_loom") || f.ends_with("_shuttle"))
        .and_then(|f| f.split('_').next())
        .map_or_else(|| area_of(&m.id), String::from);
    ctx.twins.borrow_mut().push(Twin {
        id: m.id.clone(),
        area,
        file,
        // The first failing test: where the run was stopped, or (a check
        // that ended before the poll saw it) the log's first FAILED line.
        caught_by: match &run.exit {
            Exit::Stopped(line) => model_stats::failed_test_of(line),
            Exit::Failure(_) => std::fs::read_to_string(&run.log)
                .ok()
                .and_then(|t| t.lines().find_map(model_stats::failed_test_of)),
            _ => None,
        },
        caught,
    });
    match (&run.exit, m.expect.as_str()) {
        (Exit::Failure(_), _) if does_not_compile(&run.log) => done(
            Outcome::Fail,
            "MUTANT DOES NOT COMPILE: not a planted bug",
            replay,
            Some(run.log),
        ),
        (Exit::Failure(_), "survives") => done(
            Outcome::Fail,
            "CAUGHT but expected to survive: update the catalogue",
            replay,
            Some(run.log),
        ),
        (Exit::Failure(_), _) => done(Outcome::Pass, "CAUGHT", String::new(), Some(run.log)),
        (Exit::Stopped(_), "survives") => done(
            Outcome::Fail,
            "CAUGHT but expected to survive: update the catalogue",
            replay,
            Some(run.log),
        ),
        (Exit::Stopped(line), _) => done(
            Outcome::Pass,
            format!("CAUGHT ({})", line.trim()),
            String::new(),
            Some(run.log),
        ),
        (Exit::Success, "survives") => done(
            Outcome::Pass,
            format!("SURVIVES (justified: {})", m.justification),
            String::new(),
            Some(run.log),
        ),
        (Exit::Success, _) => done(
            Outcome::Fail,
            "SURVIVED: no model catches it",
            replay,
            Some(run.log),
        ),
        (Exit::TimedOut, "hang") => done(
            Outcome::Pass,
            format!("CAUGHT (hang, timeout {secs}s)"),
            String::new(),
            Some(run.log),
        ),
        (Exit::TimedOut, _) => done(
            Outcome::Fail,
            format!("TIMEOUT after {secs}s"),
            replay,
            Some(run.log),
        ),
        (Exit::NotStarted(e), _) => done(Outcome::Fail, "NOT STARTED", e.clone(), Some(run.log)),
    }
}

/// The area of a catalogue id (`ring/push-stamp-release` -> `ring`).
pub fn area_of(id: &str) -> String {
    id.split('/').next().unwrap_or("-").to_string()
}

/// How many catalogue entries each area has.
pub fn catalogue_counts(root: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for m in catalogue(root)
        .into_iter()
        .filter_map(|(_, m)| m.ok())
        .flatten()
    {
        *counts.entry(area_of(&m.id)).or_insert(0) += 1;
    }
    counts
}

/// libtest's progress line of a failed test: `test name ... FAILED`.
fn is_failed_test_line(line: &str) -> bool {
    line.starts_with("test ") && line.trim_end().ends_with(" ... FAILED")
}

/// How many seed-chosen mutations per catalogue file the default campaign
/// audits besides the first and the `tier = "default"` ones.
pub const DEFAULT_SEEDED_PER_FILE: usize = 1;

/// Indices of the mutations of one catalogue file that run at `level`:
/// quick takes the first; default the first, every `tier = "default"` entry
/// and [`DEFAULT_SEEDED_PER_FILE`] seed-chosen others; deep takes all.
fn sample(mutations: &[Mutation], level: Level, seed: u64, file: &str) -> Vec<usize> {
    let n = mutations.len();
    match level {
        Level::Deep => return (0..n).collect(),
        Level::Quick => return (0..n.min(1)).collect(),
        Level::Default => {}
    }
    let mut picked: Vec<usize> = (0..n)
        .filter(|&i| i == 0 || mutations[i].tier == "default")
        .collect();
    let mut rest: Vec<usize> = (0..n).filter(|i| !picked.contains(i)).collect();
    // Per file, so adding a catalogue does not reshuffle the others (FNV-1a).
    let file_hash = file.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = crate::stress::Rng::new(seed ^ file_hash);
    for _ in 0..DEFAULT_SEEDED_PER_FILE.min(rest.len()) {
        let i = rng.below(rest.len() as u64) as usize;
        picked.push(rest.swap_remove(i));
    }
    picked.sort_unstable();
    picked
}

/// A mutant rejected by the compiler proves nothing about the models.
fn does_not_compile(log: &Path) -> bool {
    std::fs::read_to_string(log).is_ok_and(|t| t.contains("error: could not compile"))
}

/// The report's line on how much of the catalogue `audited` rows cover.
pub fn audit_note(ctx: &Ctx, audited: usize) -> Option<String> {
    let total: usize = catalogue(&ctx.root)
        .iter()
        .map(|(_, m)| m.as_ref().map_or(0, Vec::len))
        .sum();
    if total == 0 {
        return None;
    }
    if audited >= total {
        return Some(format!("mutation audit: all {total} catalogue mutations"));
    }
    let how = match ctx.opts.level {
        Level::Quick => "the first of each catalogue file".to_string(),
        _ => format!(
            "per catalogue file the first, those marked `tier = \"default\"` and \
             {DEFAULT_SEEDED_PER_FILE} chosen by the seed; another `--seed` picks others"
        ),
    };
    let only = if ctx.opts.only.is_empty() {
        ""
    } else {
        ", after `--only`"
    };
    Some(format!(
        "mutation audit: {audited} of {total} catalogue mutations ({how}{only}); \
         `cargo verify --deep` audits all {total}"
    ))
}

pub fn tasks(ctx: &Ctx) -> Vec<Task> {
    let scratch = Rc::new(RefCell::new(Scratch {
        dir: ctx.out.join("mutants").join("work"),
        target: ctx.out.join("mutants-target"),
        ready: None,
        baselines: BTreeMap::new(),
    }));
    let mut tasks = Vec::new();
    let mut ids = BTreeMap::new();
    let catalogue = catalogue(&ctx.root);
    if catalogue.is_empty() {
        tasks.push(Task {
            kind: "mutations",
            area: "-".into(),
            property: "planted bugs are caught".into(),
            checker: "mutation audit".into(),
            bound: "-".into(),
            run: Box::new(|_| Done::skipped("no verify/mutations/*.toml yet")),
        });
    }
    for (file, parsed) in catalogue {
        let mutations = match parsed {
            Ok(m) => m,
            Err(e) => {
                tasks.push(Task {
                    kind: "mutations",
                    area: file.trim_end_matches(".toml").into(),
                    property: format!("{file} parses"),
                    checker: "mutation audit".into(),
                    bound: "-".into(),
                    run: Box::new(move |_| done(Outcome::Fail, "MALFORMED", e, None)),
                });
                continue;
            }
        };
        let chosen = sample(&mutations, ctx.opts.level, ctx.opts.seed, &file);
        let chosen: Vec<Mutation> = chosen.into_iter().map(|i| mutations[i].clone()).collect();
        for m in chosen {
            let duplicate = ids.insert(m.id.clone(), ()).is_some();
            let s = Rc::clone(&scratch);
            let area = area_of(&m.id);
            tasks.push(Task {
                kind: "mutations",
                area,
                property: format!("`{}` caught: {}", m.id, m.why),
                checker: m.check.clone(),
                bound: "1 mutant".into(),
                run: Box::new(move |ctx: &Ctx| {
                    if duplicate {
                        return done(
                            Outcome::Fail,
                            "DUPLICATE ID",
                            format!("{} appears twice", m.id),
                            None,
                        );
                    }
                    if !m.requires.is_empty() {
                        if let Err(reason) = ctx.prereqs.check(&m.requires, &ctx.root) {
                            return Done::skipped(reason);
                        }
                    }
                    run_one(ctx, &mut s.borrow_mut(), &m)
                }),
            });
        }
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::{parse, sample, Level, DEFAULT_SEEDED_PER_FILE};

    #[test]
    fn default_sample_is_seeded_and_keeps_first_and_tiered() {
        let entry = |id: &str, tier: &str| {
            format!(
                "[[mutation]]\nid='{id}'\nfile='f'\nfind='x'\nreplace='y'\ncheck='c'\ntier='{tier}'\n"
            )
        };
        let text: String = (0..10)
            .map(|i| entry(&format!("a/{i}"), if i == 7 { "default" } else { "" }))
            .collect();
        let m = parse(&text, "t").unwrap();
        assert_eq!(sample(&m, Level::Quick, 1, "t"), vec![0]);
        assert_eq!(sample(&m, Level::Deep, 1, "t").len(), 10);
        let a = sample(&m, Level::Default, 1, "t");
        assert!(a.contains(&0) && a.contains(&7));
        assert_eq!(a.len(), 2 + DEFAULT_SEEDED_PER_FILE);
        assert_eq!(a, sample(&m, Level::Default, 1, "t"));
        let few = parse(&entry("b/0", ""), "t").unwrap();
        assert_eq!(sample(&few, Level::Default, 9, "t"), vec![0]);
        // Different seeds reach every entry eventually.
        let mut seen = [false; 10];
        for seed in 0..200 {
            for i in sample(&m, Level::Default, seed, "t") {
                seen[i] = true;
            }
        }
        assert!(seen.iter().all(|&s| s));
        assert!(parse(&entry("c/0", "deep"), "t").is_err());
    }

    #[test]
    fn parses_the_documented_format() {
        let text = r#"
[[mutation]]
id = "ring/push-stamp-release"
file = "core/src/ring.rs"
find = "stamp.store(tail + 1, Ordering::Release)"
replace = "stamp.store(tail + 1, Ordering::Relaxed)"
check = "cargo test --release --features loom -p xikernel-models --test ring_loom"
why = "a consumer may read the slot before the value written into it"

[[mutation]]
id = "ring/x"
file = "core/src/ring.rs"
find = '''a "quoted"
multi-line'''
replace = "b"
check = "true"
expect = "survives"
justification = "because"
"#;
        let m = parse(text, "t.toml").unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].expect, "caught");
        assert_eq!(m[1].find, "a \"quoted\"\nmulti-line");
        assert_eq!(m[1].expect, "survives");
    }

    #[test]
    fn every_python_check_declares_its_prerequisite() {
        // Without `requires`, a machine lacking CPython 3.13 would report
        // these entries as BASELINE FAILS instead of SKIPPED.
        let root = crate::campaign::workspace_root();
        for (file, parsed) in super::catalogue(&root) {
            for m in parsed.unwrap_or_else(|e| panic!("{file}: {e}")) {
                let needs_python = m.check.contains("python/") || m.check.contains("python3");
                if needs_python {
                    assert_eq!(
                        m.requires, "cpython3.13",
                        "{}: its check runs CPython; add requires = \"cpython3.13\"",
                        m.id
                    );
                }
            }
        }
        let bad =
            "[[mutation]]\nid='a'\nfile='f'\nfind='x'\nreplace='y'\ncheck='c'\nrequires='py'\n";
        assert!(parse(bad, "t").unwrap_err().contains("unknown requires"));
    }

    #[test]
    fn rejects_bad_entries() {
        let missing = "[[mutation]]\nid = \"a/b\"\nfile = \"x\"\n";
        assert!(parse(missing, "t").unwrap_err().contains("missing `find`"));
        let unjustified =
            "[[mutation]]\nid='a'\nfile='f'\nfind='x'\nreplace='y'\ncheck='c'\nexpect='survives'\n";
        assert!(parse(unjustified, "t")
            .unwrap_err()
            .contains("justification"));
        assert!(parse("not toml [", "t").is_err());
    }
}
