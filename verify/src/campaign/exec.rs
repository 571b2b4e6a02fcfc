//! Running a campaign step as a child process: output to a log file, a
//! timeout that kills the whole process group, and a failure excerpt.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::progress;

/// How a child process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    Success,
    Failure(Option<i32>),
    TimedOut,
    /// Killed early because its output showed this line (see [`run_sh`]'s
    /// `stop`): e.g. the first failing test of a mutant.
    Stopped(String),
    /// It could not be started (message).
    NotStarted(String),
}

/// A finished child: how it ended and where its output is.
#[derive(Debug)]
pub struct Run {
    pub exit: Exit,
    pub log: PathBuf,
}

impl Run {
    /// The lines worth showing in a report: shuttle's failing schedule,
    /// panics and failed assertions, then the log's last lines.
    pub fn excerpt(&self, tail: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let mut out: Vec<&str> = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if out.len() >= 12 {
                break;
            }
            if l.contains("failing schedule:") {
                // shuttle prints the schedule two lines below, in quotes.
                out.extend(lines.iter().skip(i).take(4).copied());
            } else if l.contains("panicked at")
                || l.contains("error[")
                || l.starts_with("error:")
                || l.contains("FAILED")
            {
                out.push(l);
            }
        }
        out.push("...");
        out.extend(lines.iter().skip(lines.len().saturating_sub(tail)).copied());
        out.join("\n")
    }

    /// What ran: the last `summary: ` line of our own tools, the
    /// `test result:` totals of cargo test, or libFuzzer's `Done N runs in S
    /// second(s)`.
    pub fn test_summary(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        if let Some(l) = text.lines().rev().find_map(|l| l.strip_prefix("summary: ")) {
            return l.to_string();
        }
        if !text.lines().any(|l| l.starts_with("test result:")) {
            return text
                .lines()
                .rev()
                .find(|l| l.starts_with("Done ") && l.contains(" runs in "))
                .unwrap_or_default()
                .to_string();
        }
        let (mut passed, mut failed) = (0usize, 0usize);
        for l in text.lines().filter(|l| l.starts_with("test result:")) {
            let num = |word: &str| {
                l.split(';')
                    .find(|p| p.contains(word))
                    .and_then(|p| {
                        p.split_whitespace()
                            .rev()
                            .nth(1)
                            .and_then(|n| n.parse::<usize>().ok())
                    })
                    .unwrap_or(0)
            };
            passed += num(" passed");
            failed += num(" failed");
        }
        format!("{passed} passed, {failed} failed")
    }
}

/// Runs `script` with `sh -c` in `dir`, extra `env`, output to `log`.
/// If `stop` accepts a line of the output, the process group is killed
/// there and the run ends as [`Exit::Stopped`]. Meanwhile the row's
/// status ([`progress`]) follows the log, after `status`.
pub fn run_sh(
    script: &str,
    dir: &Path,
    env: &[(String, String)],
    log: &Path,
    timeout: Duration,
    stop: Option<&dyn Fn(&str) -> bool>,
    status: &str,
) -> Run {
    let start = Instant::now();
    let finish = |exit| Run {
        exit,
        log: log.to_path_buf(),
    };
    if let Some(parent) = log.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let out = match File::create(log) {
        Ok(f) => f,
        Err(e) => {
            return finish(Exit::NotStarted(format!(
                "cannot create {}: {e}",
                log.display()
            )))
        }
    };
    let err = match out.try_clone() {
        Ok(f) => f,
        Err(e) => return finish(Exit::NotStarted(e.to_string())),
    };
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        // Own process group, so a timeout kills cargo *and* the test binary.
        .process_group(0);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return finish(Exit::NotStarted(e.to_string())),
    };
    // `--` is essential: procps' `kill -KILL -<pid>` parses the group as an
    // option and signals pid -1, i.e. every process we may kill.
    let kill = |child: &mut std::process::Child| {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--"])
            .arg(format!("-{}", child.id()))
            .status();
        let _ = child.wait();
    };
    let mut scanned = 0;
    let mut watch = progress::LogWatch::new(log, progress::stats_file(env), status.to_string());
    let mut polls = 0u32;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return finish(Exit::Success),
            Ok(Some(status)) => return finish(Exit::Failure(status.code())),
            Ok(None) if start.elapsed() > timeout => {
                kill(&mut child);
                return finish(Exit::TimedOut);
            }
            Ok(None) => {
                if let Some(stop) = stop {
                    if let Some(line) = new_line_matching(log, &mut scanned, stop) {
                        kill(&mut child);
                        return finish(Exit::Stopped(line));
                    }
                }
                if polls % 20 == 0 {
                    watch.poll();
                }
                polls = polls.wrapping_add(1);
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => return finish(Exit::NotStarted(e.to_string())),
        }
    }
}

/// The first complete line of `log` after byte `scanned` that `pred`
/// accepts; advances `scanned` past the complete lines looked at.
fn new_line_matching(
    log: &Path,
    scanned: &mut usize,
    pred: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let bytes = std::fs::read(log).ok()?;
    let fresh = bytes.get(*scanned..)?;
    let complete = fresh.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    *scanned += complete;
    String::from_utf8_lossy(&fresh[..complete])
        .lines()
        .find(|l| pred(l))
        .map(String::from)
}

/// Whether `script` exits 0 (quietly; for probing optional tools).
pub fn probe(script: &str, dir: &Path) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Output of `script` (stdout, trimmed), if it succeeded.
pub fn output(script: &str, dir: &Path) -> Option<String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
