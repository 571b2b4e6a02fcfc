//! Reading criterion's JSON output.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;

/// One implementation's result in one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Bench {
    pub name: String,
    /// Median point estimate, ns per iteration (per item / per operation).
    pub median_ns: f64,
    /// Fastest sample, ns per iteration.
    pub min_ns: f64,
}

/// A criterion benchmark group: ours and the peers, measured back to back.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    /// Ours (`xikernel*`) first, then the peers, fastest first.
    pub benches: Vec<Bench>,
}

impl Group {
    pub fn get(&self, name: &str) -> Option<&Bench> {
        self.benches.iter().find(|b| b.name == name)
    }
}

/// Every group under `dir` (criterion's output directory, usually
/// `target/criterion`), in the report's order (see `targets::rank`).
pub fn load(dir: &Path) -> io::Result<Vec<Group>> {
    let mut groups: BTreeMap<String, Vec<Bench>> = BTreeMap::new();
    for group_dir in fs::read_dir(dir)? {
        let group_dir = group_dir?.path();
        if !group_dir.is_dir() {
            continue;
        }
        for bench_dir in fs::read_dir(&group_dir)? {
            let new = bench_dir?.path().join("new");
            if let Some((group, bench)) = read_bench(&new)? {
                groups.entry(group).or_default().push(bench);
            }
        }
    }
    let mut out: Vec<Group> = groups
        .into_iter()
        .map(|(name, mut benches)| {
            benches.sort_by(|a, b| {
                let key = |x: &Bench| !x.name.starts_with("xikernel");
                key(a)
                    .cmp(&key(b))
                    .then(a.median_ns.total_cmp(&b.median_ns))
            });
            Group { name, benches }
        })
        .collect();
    out.sort_by_key(|g| (super::targets::rank(&g.name), g.name.clone()));
    Ok(out)
}

/// `(group id, bench)` from one `new/` directory; `None` if it is not a
/// complete criterion result (e.g. a `report/` directory).
fn read_bench(new: &Path) -> io::Result<Option<(String, Bench)>> {
    let read = |f: &str| -> io::Result<Option<Value>> {
        match fs::read_to_string(new.join(f)) {
            Ok(s) => serde_json::from_str(&s).map(Some).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", new.join(f).display()),
                )
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    };
    let (Some(meta), Some(est)) = (read("benchmark.json")?, read("estimates.json")?) else {
        return Ok(None);
    };
    let group = meta["group_id"].as_str().unwrap_or_default().to_string();
    let name = meta["function_id"].as_str().unwrap_or_default().to_string();
    let Some(median_ns) = est["median"]["point_estimate"].as_f64() else {
        return Ok(None);
    };
    let min_ns = read("sample.json")?
        .and_then(|s| min_per_iter(&s))
        .unwrap_or(median_ns);
    Ok(Some((
        group,
        Bench {
            name,
            median_ns,
            min_ns,
        },
    )))
}

/// The fastest sample's time per iteration.
fn min_per_iter(sample: &Value) -> Option<f64> {
    let iters = sample["iters"].as_array()?;
    let times = sample["times"].as_array()?;
    iters
        .iter()
        .zip(times)
        .filter_map(|(i, t)| Some(t.as_f64()? / i.as_f64()?))
        .min_by(f64::total_cmp)
}
