//! The report's per-property view: for each area of the kernel, how deep
//! loom went (exhaustive or bound k, executions), how many shuttle
//! schedules and linearizability rounds ran, and which planted twins were
//! caught; then one line per loom and per shuttle model. A reader sees at a
//! glance what is proven at which size.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::model_stats::{Depth, ModelStat, Twin};
use super::{mutations, Ctx, Outcome, Row};

/// `1234567` -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn loom_depths(models: &[&ModelStat]) -> String {
    let exhaustive = models
        .iter()
        .filter(|m| m.depth == Depth::Exhaustive)
        .count();
    let mut bounds: Vec<String> = models
        .iter()
        .filter_map(|m| match m.depth {
            Depth::Bound(k) | Depth::Capped(k) => Some(k),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|k| {
            let n = models
                .iter()
                .filter(|m| matches!(m.depth, Depth::Bound(j) | Depth::Capped(j) if j == k))
                .count();
            format!("{n} at bound {k}")
        })
        .collect();
    if exhaustive > 0 {
        bounds.insert(0, format!("{exhaustive} exhaustive"));
    }
    bounds.join(", ")
}

fn twins_caught_by<'a>(twins: &'a [Twin], m: &ModelStat) -> Vec<&'a str> {
    twins
        .iter()
        .filter(|t| t.caught && t.file.as_deref() == Some(m.file.as_str()))
        .filter(|t| t.caught_by.as_deref() == Some(m.test.as_str()))
        .map(|t| t.id.as_str())
        .collect()
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The markdown sections (empty if the run checked nothing they describe).
pub fn markdown(ctx: &Ctx, rows: &[Row]) -> String {
    let models = ctx.models.borrow();
    let twins = ctx.twins.borrow();
    let catalogue = mutations::catalogue_counts(&ctx.root);
    let lin: Vec<&Row> = rows
        .iter()
        .filter(|r| r.kind == "lin" && r.outcome == Outcome::Pass)
        .collect();
    let mut areas: BTreeSet<String> = models.iter().map(|m| m.area().to_string()).collect();
    areas.extend(lin.iter().map(|r| r.area.clone()));
    areas.extend(twins.iter().map(|t| t.area.clone()));
    if areas.is_empty() {
        return String::new();
    }
    let mut s = String::new();
    let _ = writeln!(s, "\n## At a glance: what is checked, at which size\n");
    let _ = writeln!(
        s,
        "Per area, from this run: loom models and how deep each went (exhaustive = no \
         preemption bound), the executions loom explored, shuttle schedules, \
         linearizability rows, and the planted twins the mutation audit ran. Passed \
         rows only.\n"
    );
    let _ = writeln!(
        s,
        "| area | loom models | loom depth | loom executions | shuttle models, schedules | linearizability | planted twins |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for area in &areas {
        let loom: Vec<&ModelStat> = models
            .iter()
            .filter(|m| m.kind == "loom" && m.area() == area)
            .collect();
        let shuttle: Vec<&ModelStat> = models
            .iter()
            .filter(|m| m.kind == "shuttle" && m.area() == area)
            .collect();
        let execs: u64 = loom.iter().map(|m| m.runs).sum();
        let schedules: u64 = shuttle.iter().map(|m| m.runs).sum();
        let lin_rows: Vec<&&Row> = lin.iter().filter(|r| &r.area == area).collect();
        let lin_text = if lin_rows.is_empty() {
            "-".to_string()
        } else {
            let bounds: BTreeSet<&str> = lin_rows.iter().map(|r| r.bound.as_str()).collect();
            format!(
                "{} rows: {}",
                lin_rows.len(),
                bounds.into_iter().collect::<Vec<_>>().join("; ")
            )
        };
        let ran: Vec<&Twin> = twins.iter().filter(|t| &t.area == area).collect();
        let caught = ran.iter().filter(|t| t.caught).count();
        let in_catalogue = catalogue.get(area).copied().unwrap_or(0);
        let in_catalogue = if in_catalogue == 0 {
            String::new()
        } else {
            format!(", {in_catalogue} in catalogue `{area}`")
        };
        let twins_text = if in_catalogue.is_empty() && ran.is_empty() {
            "-".to_string()
        } else if ran.is_empty() {
            format!("none run here{in_catalogue}")
        } else {
            format!("{caught} of {} run caught{in_catalogue}", ran.len())
        };
        let _ = writeln!(
            s,
            "| {area} | {} | {} | {} | {} | {} | {} |",
            if loom.is_empty() {
                "-".into()
            } else {
                loom.len().to_string()
            },
            if loom.is_empty() {
                "-".into()
            } else {
                loom_depths(&loom)
            },
            if loom.is_empty() {
                "-".into()
            } else {
                thousands(execs)
            },
            if shuttle.is_empty() {
                "-".into()
            } else {
                format!("{}, {}", shuttle.len(), thousands(schedules))
            },
            cell(&lin_text),
            twins_text
        );
    }
    model_tables(&mut s, &models, &twins);
    s
}

fn model_tables(s: &mut String, models: &[ModelStat], twins: &[Twin]) {
    let loom: Vec<&ModelStat> = models.iter().filter(|m| m.kind == "loom").collect();
    if !loom.is_empty() {
        let _ = writeln!(s, "\n## Loom models: depth and executions\n");
        let _ = writeln!(
            s,
            "One line per model (a `#[test]` of `models/tests/*_loom.rs`). *Exhaustive*: \
             loom explored every execution, with no preemption bound; *bound k*: every \
             execution with at most k preemptions; the reason says why a `--deep` run \
             stayed bounded. Twins: planted bugs of this run whose first failing test \
             was this model.\n"
        );
        let _ = writeln!(
            s,
            "| file | model | depth | executions | time | why bounded | twins caught here |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|");
        for m in loom {
            let t = twins_caught_by(twins, m);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.1} s | {} | {} |",
                m.file,
                m.test,
                m.depth.text(),
                thousands(m.runs),
                m.millis as f64 / 1000.0,
                if m.reason.is_empty() {
                    "-".to_string()
                } else {
                    cell(&m.reason)
                },
                if t.is_empty() {
                    "-".to_string()
                } else {
                    t.join(", ")
                }
            );
        }
    }
    let shuttle: Vec<&ModelStat> = models.iter().filter(|m| m.kind == "shuttle").collect();
    if !shuttle.is_empty() {
        let _ = writeln!(s, "\n## Shuttle models: schedules\n");
        let _ = writeln!(s, "| file | model | schedules | time | twins caught here |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for m in shuttle {
            let t = twins_caught_by(twins, m);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.1} s | {} |",
                m.file,
                m.test,
                thousands(m.runs),
                m.millis as f64 / 1000.0,
                if t.is_empty() {
                    "-".to_string()
                } else {
                    t.join(", ")
                }
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
