//! Writes `docs/benchmarks.md` (and its chart) from criterion's output.
//!
//! ```text
//! cargo bench -p xikernel-benches            # the real run (~10 min here)
//! cargo run --release -p xikernel-benches --bin report [-- --criterion DIR --out FILE --note TEXT]
//! ```
//!
//! Defaults: `<workspace>/target/criterion` (or `$CARGO_TARGET_DIR/criterion`),
//! `<workspace>/docs/benchmarks.md`, chart beside it as `benchmarks.svg`, and
//! the hand-written analysis from `benches/analysis.md`.

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use xikernel_benches::report::{load, render, Context};

fn sh(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "?".into())
}

fn main() -> ExitCode {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().map(PathBuf::from).unwrap_or(manifest);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let mut criterion = target.join("criterion");
    let mut out = root.join("docs").join("benchmarks.md");
    let mut notes = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--criterion", Some(v)) => criterion = v.into(),
            ("--out", Some(v)) => out = v.into(),
            ("--note", Some(v)) => notes.push(v),
            _ => {
                eprintln!("usage: report [--criterion DIR] [--out FILE.md] [--note TEXT]...");
                return ExitCode::from(2);
            }
        }
    }
    let groups = match load(&criterion) {
        Ok(g) if !g.is_empty() => g,
        Ok(_) => {
            eprintln!(
                "no criterion results under {}: run `cargo bench -p xikernel-benches` first",
                criterion.display()
            );
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("reading {}: {e}", criterion.display());
            return ExitCode::FAILURE;
        }
    };
    let chart = out.with_extension("svg");
    let mut preamble = format!(
        "Generated {} on `{}` ({} CPUs, {}), load average at report time {}.\n",
        sh("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        sh("uname", &["-srm"]),
        sh("nproc", &[]),
        sh("rustc", &["-V"]),
        std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
    );
    preamble.push_str("Run: `cargo bench -p xikernel-benches` then `cargo run --release -p xikernel-benches --bin report`.\n");
    for n in notes {
        preamble.push_str(&format!("\n{n}\n"));
    }
    let ctx = Context {
        preamble,
        analysis: std::fs::read_to_string(root.join("benches").join("analysis.md"))
            .unwrap_or_default(),
        chart_file: chart
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let (md, svg) = render(&groups, &ctx);
    if let Some(dir) = out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = std::fs::write(&out, md).and_then(|_| std::fs::write(&chart, svg)) {
        eprintln!("writing {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    println!(
        "wrote {} and {} ({} groups)",
        out.display(),
        chart.display(),
        groups.len()
    );
    ExitCode::SUCCESS
}
