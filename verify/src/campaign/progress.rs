//! Signs of life: while a row runs, a line on stderr at least every
//! [`INTERVAL`] with the seconds so far and what the row is doing (models
//! done of the binary's total, loom executions or shuttle schedules of the
//! model running, rounds checked, libFuzzer's run count).
//!
//! The status is one global string: a row's runner sets it (an in-process
//! row directly, a child process through [`LogWatch`]), the heartbeat
//! thread only reads it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest silence while a row runs (the issue asks for one line at
/// least every 30 s).
pub const INTERVAL: Duration = Duration::from_secs(20);

static STATUS: Mutex<String> = Mutex::new(String::new());

/// Replaces the running row's status.
pub fn set(status: impl Into<String>) {
    if let Ok(mut s) = STATUS.lock() {
        *s = status.into();
    }
}

fn get() -> String {
    STATUS.lock().map(|s| s.clone()).unwrap_or_default()
}

/// Prints the status every [`INTERVAL`] until dropped.
pub struct Heartbeat {
    stop: Arc<(Mutex<bool>, std::sync::Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Heartbeat {
    pub fn start() -> Self {
        set("");
        let stop = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
        let s = Arc::clone(&stop);
        let started = Instant::now();
        let thread = std::thread::spawn(move || {
            let (lock, cv) = &*s;
            let Ok(mut stopped) = lock.lock() else { return };
            // The flag is checked before every wait: a row that ends before
            // this thread first takes the lock must not cost an INTERVAL.
            while !*stopped {
                let Ok((g, timeout)) = cv.wait_timeout(stopped, INTERVAL) else {
                    return;
                };
                stopped = g;
                if *stopped || !timeout.timed_out() {
                    continue;
                }
                let status = get();
                let sep = if status.is_empty() { "" } else { ": " };
                eprintln!(
                    "        ... {:.0} s{sep}{status}",
                    started.elapsed().as_secs_f64()
                );
            }
        });
        Heartbeat {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        let (lock, cv) = &*self.stop;
        if let Ok(mut s) = lock.lock() {
            *s = true;
        }
        cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Follows a child's log (and the models' statistics file, if any) and
/// turns them into a status line.
pub struct LogWatch {
    log: PathBuf,
    stats: Option<PathBuf>,
    prefix: String,
    offset: u64,
    /// `running N tests` of the binary running now.
    tests_in_binary: usize,
    done_in_binary: usize,
    binaries: usize,
    last_line: String,
    compiling: Option<String>,
}

/// Whether a stats env var was given among `env`: its file.
pub fn stats_file(env: &[(String, String)]) -> Option<PathBuf> {
    env.iter()
        .find(|(k, _)| k == "XIKERNEL_MODEL_STATS")
        .map(|(_, v)| PathBuf::from(v))
}

impl LogWatch {
    pub fn new(log: &Path, stats: Option<PathBuf>, prefix: String) -> Self {
        LogWatch {
            log: log.to_path_buf(),
            stats,
            prefix,
            offset: 0,
            tests_in_binary: 0,
            done_in_binary: 0,
            binaries: 0,
            last_line: String::new(),
            compiling: None,
        }
    }

    /// Reads what the log gained and publishes the status.
    pub fn poll(&mut self) {
        self.read_new();
        let mut parts: Vec<String> = Vec::new();
        if !self.prefix.is_empty() {
            parts.push(self.prefix.clone());
        }
        if self.binaries == 0 {
            if let Some(c) = &self.compiling {
                parts.push(format!("building ({c})"));
            } else if !self.last_line.is_empty() {
                parts.push(shorten(&self.last_line));
            }
        } else {
            let which = if self.binaries > 1 {
                format!(" of test binary {}", self.binaries)
            } else {
                String::new()
            };
            parts.push(format!(
                "{}/{} tests done{which}",
                self.done_in_binary, self.tests_in_binary
            ));
        }
        if let Some(live) = self.live_model() {
            parts.push(live);
        }
        set(parts.join(", "));
    }

    fn read_new(&mut self) {
        use std::io::{Read, Seek, SeekFrom};
        let Ok(mut f) = std::fs::File::open(&self.log) else {
            return;
        };
        if f.seek(SeekFrom::Start(self.offset)).is_err() {
            return;
        }
        let mut buf = Vec::new();
        // At most 4 MiB per poll: a chatty child must not stall the campaign.
        if f.by_ref().take(4 << 20).read_to_end(&mut buf).is_err() {
            return;
        }
        let complete = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        self.offset += complete as u64;
        for line in String::from_utf8_lossy(&buf[..complete]).lines() {
            self.line(line.trim_end());
        }
    }

    fn line(&mut self, l: &str) {
        if let Some(n) = l
            .strip_prefix("running ")
            .and_then(|r| r.strip_suffix(" tests").or(r.strip_suffix(" test")))
            .and_then(|n| n.parse().ok())
        {
            self.binaries += 1;
            self.tests_in_binary = n;
            self.done_in_binary = 0;
        } else if l.starts_with("test ")
            && (l.ends_with(" ok") || l.ends_with(" FAILED") || l.ends_with(" ignored"))
        {
            self.done_in_binary += 1;
        } else if let Some(c) = l.trim_start().strip_prefix("Compiling ") {
            self.compiling = Some(c.split_whitespace().next().unwrap_or("").to_string());
        }
        if !l.trim().is_empty() {
            self.last_line = l.trim().to_string();
        }
        // libFuzzer: `#123456 pulse cov: ...` / `#200000 NEW ...`.
        if l.starts_with('#') && l.contains(" cov: ") {
            self.compiling = None;
            self.last_line = l.split(" cov:").next().unwrap_or(l).to_string() + " runs";
        }
    }

    /// The model running now, from the harness's `<stats>.live` file
    /// (`models/src/stats.rs`).
    fn live_model(&self) -> Option<String> {
        let stats = self.stats.as_ref()?;
        let mut live = stats.clone().into_os_string();
        live.push(".live");
        let text = std::fs::read_to_string(PathBuf::from(live)).ok()?;
        let f: Vec<&str> = text.trim_end().split('\t').collect();
        let [kind, test, _bound, runs, ms] = f[..] else {
            return None;
        };
        let what = if kind == "loom" {
            "executions"
        } else {
            "schedules"
        };
        let secs = ms.parse::<u64>().unwrap_or(0) / 1000;
        Some(format!("{test}: {runs} {what} in {secs} s"))
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 90 {
        s.chars().take(87).collect::<String>() + "..."
    } else {
        s.to_string()
    }
}
