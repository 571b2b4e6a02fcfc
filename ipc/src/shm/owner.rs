//! Process identity and liveness, for the owner locks.
//!
//! An owner is `pid << 32 | tag`, where `tag` is the low 32 bits of the
//! process's start time (field 22 of `/proc/<pid>/stat`, in clock ticks
//! since boot). A pid reused by a later process has another start time, so
//! a dead owner is never mistaken for the live newcomer (a collision needs
//! the same pid *and* a start time equal modulo 2^32 ticks: 497 days at
//! 100 Hz).
//!
//! A process is dead when `/proc/<pid>/stat` is gone, shows another start
//! time, or shows it a zombie (`Z`/`X`: its memory is already released, it
//! writes nothing more). Without a readable `/proc` (hidepid, another pid
//! namespace) we fall back to `kill(pid, 0)`, which cannot see pid reuse.
//! A stopped (`SIGSTOP`) process is alive: others wait for it.

use std::io::Read;

use rustix::process::{getpid, test_kill_process, Pid};
use xikernel::__private::sync::{AtomicPtr, AtomicU64, Ordering::*};

/// Cached identity of this process (0 = not yet computed), with the pid it
/// was computed for: a forked child has another pid and recomputes. Used
/// only where the wipe-on-fork page below is unavailable (Linux < 4.14):
/// it costs a `getpid` system call per lock acquisition.
static CACHED: AtomicU64 = AtomicU64::new(0);

/// A private page advised `MADV_WIPEONFORK` holding this process's
/// identity: a forked child sees it zeroed and recomputes, so the fast path
/// is one load, no system call. Null until first use; `usize::MAX` if the
/// kernel refused the advice.
static WIPE_PAGE: AtomicPtr<AtomicU64> = AtomicPtr::new(core::ptr::null_mut());

fn wipe_page() -> Option<&'static AtomicU64> {
    // Acquire: pairs with the Release publication below (the page is
    // mapped and advised before its address is visible).
    let mut p = WIPE_PAGE.load(Acquire);
    if p.is_null() {
        p = map_wipe_page();
        if let Err(other) = WIPE_PAGE.compare_exchange(core::ptr::null_mut(), p, Release, Acquire) {
            // Another thread won; ours leaks one page (first use only).
            p = other;
        }
    }
    if p as usize == usize::MAX {
        return None;
    }
    // SAFETY: a page mapped for the life of the process (never unmapped),
    // page aligned, holding one AtomicU64 (valid for any bits, zero-filled).
    Some(unsafe { &*p })
}

fn map_wipe_page() -> *mut AtomicU64 {
    use rustix::mm::{madvise, mmap_anonymous, Advice, MapFlags, ProtFlags};
    const FAILED: *mut AtomicU64 = usize::MAX as *mut AtomicU64;
    // SAFETY: a fresh private anonymous page at an address the kernel
    // picks: it aliases nothing.
    let Ok(p) = (unsafe {
        mmap_anonymous(
            core::ptr::null_mut(),
            4096,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE,
        )
    }) else {
        return FAILED;
    };
    // SAFETY: advising our own fresh mapping.
    if unsafe { madvise(p, 4096, Advice::LinuxWipeOnFork) }.is_err() {
        return FAILED;
    }
    p.cast()
}

fn compute() -> u64 {
    let pid = getpid().as_raw_pid() as u32;
    let tag = stat(pid).map_or(0, |s| s.start as u32);
    (u64::from(pid) << 32) | u64::from(tag)
}

/// This process's owner identity.
pub fn me() -> u64 {
    if let Some(page) = wipe_page() {
        // Relaxed: a pure function of the process; a forked child's copy
        // of the page is zero, so a nonzero value is this process's.
        let id = page.load(Relaxed);
        if id != 0 {
            return id;
        }
        let id = compute();
        page.store(id, Relaxed);
        return id;
    }
    let pid = getpid().as_raw_pid() as u32;
    // Relaxed: the cache is a pure function of the pid, any value read is
    // either ours or rejected by the pid check.
    let cached = CACHED.load(Relaxed);
    if cached >> 32 == u64::from(pid) {
        return cached;
    }
    let id = compute();
    CACHED.store(id, Relaxed);
    id
}

/// Whether the process `owner` names may still run.
pub fn alive(owner: u64) -> bool {
    if owner == me() {
        return true;
    }
    let pid = (owner >> 32) as u32;
    let tag = owner as u32;
    let Some(p) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        // Not a pid at all (a corrupted lock word): nobody owns it.
        return false;
    };
    match stat(pid) {
        Some(s) => s.start as u32 == tag && !matches!(s.state, b'Z' | b'X'),
        // With a working /proc, no entry means gone. Without one, ask the
        // kernel whether the pid exists (blind to pid reuse).
        None if std::fs::metadata("/proc/self/stat").is_ok() => false,
        None => test_kill_process(p) != Err(rustix::io::Errno::SRCH),
    }
}

struct Stat {
    state: u8,
    start: u64,
}

/// Parses `/proc/<pid>/stat` (the command name may contain spaces and
/// parentheses: fields are counted after the last `)`).
fn stat(pid: u32) -> Option<Stat> {
    let mut f = std::fs::File::open(format!("/proc/{pid}/stat")).ok()?;
    let mut buf = [0u8; 1024];
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return None,
        }
    }
    let text = std::str::from_utf8(&buf[..n]).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    // Field 3 is the state; field 22 the start time (19 further on).
    let state = *fields.next()?.as_bytes().first()?;
    let start = fields.nth(18)?.parse().ok()?;
    Some(Stat { state, start })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn me_is_alive_and_stable() {
        let id = me();
        assert_ne!(id, 0);
        assert_eq!(id >> 32, getpid().as_raw_pid() as u64);
        assert_eq!(me(), id);
        assert!(alive(id));
    }

    #[test]
    fn other_start_time_is_dead() {
        // Our pid with a start time that is not ours: a reused pid.
        let id = me() ^ 1;
        assert!(!alive(id));
        assert!(!alive(0));
        assert!(!alive(u64::MAX));
    }

    #[test]
    fn parent_is_alive() {
        let ppid = rustix::process::getppid().unwrap().as_raw_pid() as u32;
        let s = stat(ppid).unwrap();
        assert!(alive((u64::from(ppid) << 32) | (s.start as u32 as u64)));
    }
}
