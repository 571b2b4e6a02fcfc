//! `cargo test-all` (alias in `.cargo/config.toml`): `cargo test --workspace`
//! with its output passed through, closed by one line that totals every
//! `test result:` block (`total: N passed, M failed`), so a reader does not
//! add up a few dozen blocks by eye. Extra arguments go to `cargo test`
//! (`cargo test-all -- --nocapture`). Exits with cargo's status.
//!
//! The loom and shuttle models are not in this run: each model file needs
//! its feature (`models/Cargo.toml`), and `cargo verify` runs them.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode, Stdio};

fn main() -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut child = match Command::new(&cargo)
        .args(["test", "--workspace"])
        .args(std::env::args().skip(1))
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cargo test-all: cannot run {cargo}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut total = Totals::default();
    let stdout = std::io::stdout();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            total.add(&line);
            let mut lock = stdout.lock();
            let _ = writeln!(lock, "{line}");
        }
    }
    let status = child.wait();
    let ok = status.as_ref().is_ok_and(|s| s.success());
    println!();
    println!(
        "cargo test-all: {} test binaries and doc-test runs{}",
        total.blocks,
        if ok {
            ""
        } else {
            " (cargo test did not finish cleanly: see above)"
        }
    );
    // The closing line, alone: `N passed, M failed[, K skipped]`.
    let skipped = if total.ignored > 0 {
        format!(", {} skipped", total.ignored)
    } else {
        String::new()
    };
    println!(
        "total: {} passed, {} failed{skipped}",
        total.passed, total.failed
    );
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1).max(1)),
        Err(_) => ExitCode::from(2),
    }
}

#[derive(Default)]
struct Totals {
    blocks: usize,
    passed: usize,
    failed: usize,
    ignored: usize,
}

impl Totals {
    /// Adds libtest's `test result: ok. 3 passed; 0 failed; 1 ignored; ...`.
    fn add(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("test result: ") else {
            return;
        };
        self.blocks += 1;
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(what), Some(n)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<usize>() else { continue };
            match what {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}
