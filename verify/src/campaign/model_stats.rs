//! What each loom and shuttle model explored, read from the statistics
//! file the model harness writes (`models/src/stats.rs`), and which
//! planted twins the mutation audit saw caught: the data of the report's
//! per-property tables.

use std::path::Path;

/// How deep a model was explored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Depth {
    /// loom without a preemption bound: every execution (up to loom's own
    /// reductions, see `docs/verification.md`).
    Exhaustive,
    /// loom at this preemption bound.
    Bound(usize),
    /// loom at this bound because the model caps it whatever is asked.
    Capped(usize),
    /// shuttle: random + PCT schedules.
    Schedules,
}

impl Depth {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Depth::Exhaustive),
            "-" => Some(Depth::Schedules),
            _ => match s.strip_prefix("cap=") {
                Some(k) => k.parse().ok().map(Depth::Capped),
                None => s.parse().ok().map(Depth::Bound),
            },
        }
    }

    pub fn text(&self) -> String {
        match self {
            Depth::Exhaustive => "exhaustive".into(),
            Depth::Bound(k) => format!("bound {k}"),
            Depth::Capped(k) => format!("bound {k} (capped by the model)"),
            Depth::Schedules => "random + PCT".into(),
        }
    }

    /// Orders depths for merging two runs of one test: the shallower wins.
    fn rank(&self) -> usize {
        match self {
            Depth::Exhaustive => usize::MAX,
            Depth::Bound(k) | Depth::Capped(k) => *k,
            Depth::Schedules => 0,
        }
    }
}

/// One model's result in this campaign.
#[derive(Clone, Debug)]
pub struct ModelStat {
    /// `loom` or `shuttle`.
    pub kind: String,
    /// The test file's stem (`ring_loom`).
    pub file: String,
    pub test: String,
    pub depth: Depth,
    /// Executions (loom) or schedules (shuttle).
    pub runs: u64,
    pub millis: u64,
    /// Why a `--deep` model stayed bounded (empty otherwise).
    pub reason: String,
}

impl ModelStat {
    /// The area of the kernel: the file's first word (`ring_loom`,
    /// `list_snapshot_loom` -> `ring`, `list`), as for the campaign's rows.
    pub fn area(&self) -> &str {
        self.file.split('_').next().unwrap_or(&self.file)
    }
}

/// Parses a statistics file; lines of one test (a test that runs two
/// models) are merged: runs and time add up, the shallower depth stands.
pub fn read(path: &Path, file: &str) -> Vec<ModelStat> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out: Vec<ModelStat> = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let [kind, test, bound, runs, ms] = f[..] else {
            continue;
        };
        let (Some(depth), Ok(runs), Ok(millis)) = (Depth::parse(bound), runs.parse(), ms.parse())
        else {
            continue;
        };
        if let Some(m) = out.iter_mut().find(|m| m.test == test && m.kind == kind) {
            m.runs += runs;
            m.millis += millis;
            if depth.rank() < m.depth.rank() {
                m.depth = depth;
            }
            continue;
        }
        out.push(ModelStat {
            kind: kind.into(),
            file: file.into(),
            test: test.into(),
            depth,
            runs,
            millis,
            reason: String::new(),
        });
    }
    out.sort_by(|a, b| a.test.cmp(&b.test));
    out
}

/// A planted twin the audit ran in this campaign.
#[derive(Clone, Debug)]
pub struct Twin {
    pub id: String,
    pub area: String,
    /// The model file its check runs (`--test X`), if any.
    pub file: Option<String>,
    /// The test that failed first on the mutant (libtest's `FAILED` line).
    pub caught_by: Option<String>,
    pub caught: bool,
}

/// `X` of the first `--test X` in a command.
pub fn test_file_of(check: &str) -> Option<String> {
    let mut words = check.split_whitespace();
    while let Some(w) = words.next() {
        if w == "--test" {
            return words.next().map(String::from);
        }
    }
    None
}

/// `name` of libtest's `test name ... FAILED`.
pub fn failed_test_of(line: &str) -> Option<String> {
    line.trim()
        .strip_prefix("test ")?
        .strip_suffix(" ... FAILED")
        .map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_merges_the_harness_lines() {
        let dir = std::env::temp_dir().join(format!("xik-stats-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("s.tsv");
        std::fs::write(
            &p,
            "loom\tb\tnone\t10\t5\nloom\ta\t3\t7\t1\nloom\ta\tnone\t5\t2\nshuttle\tc\t-\t2000\t9\nbad line\n",
        )
        .unwrap();
        let m = read(&p, "ring_loom");
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].test.as_str(), m[0].runs, m[0].millis), ("a", 12, 3));
        assert_eq!(m[0].depth, Depth::Bound(3));
        assert_eq!(m[1].depth, Depth::Exhaustive);
        assert_eq!(m[2].depth, Depth::Schedules);
        assert_eq!(m[0].area(), "ring");
        assert_eq!(Depth::parse("cap=2"), Some(Depth::Capped(2)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn names_the_file_and_the_failed_test() {
        let c = "cargo test --release --features loom -p xikernel-models --test list_loom clear_";
        assert_eq!(test_file_of(c).as_deref(), Some("list_loom"));
        assert_eq!(test_file_of("bash python/build.sh"), None);
        assert_eq!(
            failed_test_of("test spsc_capacity_3 ... FAILED").as_deref(),
            Some("spsc_capacity_3")
        );
        assert_eq!(failed_test_of("test x ... ok"), None);
    }
}
