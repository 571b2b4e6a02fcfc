//! Command-line options of `cargo verify`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How hard the campaign looks. Quick is CI's (about 5 minutes on 2 cores),
/// default about 15 minutes, deep as long as it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Quick,
    Default,
    Deep,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Quick => "quick",
            Level::Default => "default",
            Level::Deep => "deep",
        }
    }

    /// The wall-clock budget on 2 cores (`None`: as long as it takes).
    pub fn budget(self) -> Option<Duration> {
        match self {
            Level::Quick => Some(Duration::from_secs(5 * 60)),
            Level::Default => Some(Duration::from_secs(15 * 60)),
            Level::Deep => None,
        }
    }

    /// Picks the value for this level.
    pub fn pick<T>(self, quick: T, default: T, deep: T) -> T {
        match self {
            Level::Quick => quick,
            Level::Default => default,
            Level::Deep => deep,
        }
    }
}

/// Parsed options.
#[derive(Clone, Debug)]
pub struct Options {
    pub level: Level,
    /// Row filters: a row runs if its kind or area matches any (empty: all).
    pub only: Vec<String>,
    pub seed: u64,
    /// Whether `--seed` was given (then it is also passed to shuttle).
    pub seed_given: bool,
    /// Extra copies of the markdown report.
    pub out: Vec<PathBuf>,
    /// Per-command timeout.
    pub timeout: Duration,
    /// `--deep`: how long one loom model may run at one depth.
    pub loom_budget: Duration,
}

impl Options {
    /// The report's file stem: `report`, or for `--only` a report of its
    /// own (`report-only-loom+ring`), so a partial run never overwrites the
    /// full campaign's report.
    pub fn report_stem(&self) -> String {
        if self.only.is_empty() {
            return "report".into();
        }
        let joined: String = self
            .only
            .join("+")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "+-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("report-only-{joined}")
    }

    pub fn selects(&self, kind: &str, area: &str) -> bool {
        self.only.is_empty()
            || self.only.iter().any(|o| {
                let o = if o == "mutation" {
                    "mutations"
                } else {
                    o.as_str()
                };
                // `kind:area` (e.g. `loom:ring`) needs both.
                match o.split_once(':') {
                    Some((k, a)) => k == kind && a == area,
                    None => o == kind || o == area,
                }
            })
    }
}

pub const USAGE: &str = "\
usage: cargo verify [--quick | --deep] [--only <area>]... [--seed <u64>] [--out <file.md>]
                    [--timeout <secs>] [--loom-budget <secs>]

  --quick          CI budget (~5 min on 2 cores): CI loom bound, few iterations,
                   one mutation per catalogue file, no Miri
  (default)        ~15 min: loom bound 3, thousands of shuttle schedules, a seeded
                   sample of 2 mutations per catalogue file, Miri on the fast tests
  --deep           each loom model exhaustive (no preemption bound) if it ends within
                   --loom-budget, else at the largest bound that does; long fuzzing,
                   many more iterations, every mutation, Miri on every test
  --only <area>    run only rows of this kind (loom, shuttle, lin, proptest, fuzz,
                   miri, soak, mutations) or area (ring, list, channel, python, ...), or
                   both as kind:area (loom:ring); repeatable
  --seed <u64>     seed for stress rounds, proptest and shuttle (replay a failure)
  --out <file.md>  also write the markdown report there (e.g. docs/verification-report.md)
  --timeout <s>    per-command timeout (default 600)
  --loom-budget <s>  --deep: time one loom model may take at one depth (default 60)

Rows whose prerequisite is missing (CPython 3.13, nightly Miri, cargo-fuzz) are
SKIPPED with the reason. Progress goes to stderr (a line at least every 30 s),
results and the summary to stdout. Writes target/verify/report.md and .json
(with --only: target/verify/report-only-<areas>.md and .json); exits 1 if any
row failed, 2 on a usage error.";

/// Parses `args` (without the program name).
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut opts = Options {
        level: Level::Default,
        only: Vec::new(),
        seed: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() ^ u64::from(d.subsec_nanos())),
        seed_given: false,
        out: Vec::new(),
        timeout: Duration::from_secs(600),
        loom_budget: Duration::from_secs(60),
    };
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--quick" => opts.level = Level::Quick,
            "--deep" => opts.level = Level::Deep,
            "--only" => opts.only.push(value("--only")?),
            "--seed" => {
                opts.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?;
                opts.seed_given = true;
            }
            "--out" => opts.out.push(PathBuf::from(value("--out")?)),
            "--timeout" => {
                let s: u64 = value("--timeout")?
                    .parse()
                    .map_err(|e| format!("--timeout: {e}"))?;
                opts.timeout = Duration::from_secs(s.max(1));
            }
            "--loom-budget" => {
                let s: u64 = value("--loom-budget")?
                    .parse()
                    .map_err(|e| format!("--loom-budget: {e}"))?;
                opts.loom_budget = Duration::from_secs(s.max(1));
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::parse_args;

    fn opts(args: &[&str]) -> super::Options {
        parse_args(args.iter().map(|s| s.to_string())).unwrap()
    }

    #[test]
    fn only_selects_by_kind_area_or_both() {
        let o = opts(&["--only", "loom:ring", "--only", "python"]);
        assert!(o.selects("loom", "ring"));
        assert!(!o.selects("loom", "list"));
        assert!(!o.selects("shuttle", "ring"));
        assert!(o.selects("mutations", "python"));
        assert!(opts(&[]).selects("anything", "at-all"));
    }

    #[test]
    fn a_partial_run_has_its_own_report() {
        assert_eq!(opts(&[]).report_stem(), "report");
        assert_eq!(
            opts(&["--only", "loom:ring", "--only", "x/y"]).report_stem(),
            "report-only-loom_ring+x_y"
        );
        assert!(parse_args(["--loom-budget".to_string()]).is_err());
    }
}
