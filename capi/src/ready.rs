//! Readiness file descriptors (Linux eventfds) for event-loop hosts that
//! must not block: the fd of a queue or channel becomes readable after
//! every put / send through this library, and on close, destroy, release
//! and interpreter clears, i.e. whenever a get / recv may have something
//! new to say (an item, `XIK_ERR_CLOSED`, `XIK_ERR_NOT_FOUND`, an unbound
//! marker).

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::sync::RwLock;

use crate::registry::{registry, xik_registry};
use crate::status::{check, non_null, xik_status};

/// Which registry an id belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Kind {
    Queue,
    Channel,
}

/// The eventfds handed out, by queue / channel. They stay open until the
/// registry's last reference is dropped (closing one under a host's
/// epoll would silently unregister it, so a destroyed queue's fd stays
/// readable instead).
#[derive(Debug, Default)]
pub(crate) struct Ready {
    fds: RwLock<HashMap<(Kind, u64), File>>,
}

impl Ready {
    /// Makes the fd of `(kind, id)` readable, if one was handed out.
    pub(crate) fn signal(&self, kind: Kind, id: u64) {
        let fds = self.fds.read().unwrap_or_else(|e| e.into_inner());
        if let Some(mut f) = fds.get(&(kind, id)) {
            // Adds 1 to the counter. The only possible failure is a
            // counter at its maximum (EAGAIN): it is readable already.
            let _ = f.write(&1u64.to_ne_bytes());
        }
    }

    /// Makes every fd readable (an interpreter clear may have turned items
    /// anywhere into unbound markers).
    pub(crate) fn signal_all(&self) {
        let fds = self.fds.read().unwrap_or_else(|e| e.into_inner());
        for mut f in fds.values() {
            let _ = f.write(&1u64.to_ne_bytes());
        }
    }

    fn fd(&self, kind: Kind, id: u64) -> Result<i32, xik_status> {
        use std::os::fd::AsRawFd;
        let mut fds = self.fds.write().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = fds.get(&(kind, id)) {
            return Ok(f.as_raw_fd());
        }
        let f = new_eventfd()?;
        let raw = f.as_raw_fd();
        fds.insert((kind, id), f);
        Ok(raw)
    }
}

#[cfg(target_os = "linux")]
fn new_eventfd() -> Result<File, xik_status> {
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::raw::{c_int, c_uint};
    extern "C" {
        // glibc / musl: int eventfd(unsigned int initval, int flags);
        fn eventfd(initval: c_uint, flags: c_int) -> c_int;
    }
    // EFD_CLOEXEC | EFD_NONBLOCK (Linux's values, every architecture
    // that uses the generic O_ flags, which is all Rust's Linux targets but
    // alpha/sparc/parisc/mips, where the library is untested).
    const FLAGS: c_int = 0o2000000 | 0o4000;
    // SAFETY: a plain syscall wrapper taking integers.
    let fd = unsafe { eventfd(0, FLAGS) };
    if fd < 0 {
        return Err(xik_status::XIK_ERR_OTHER);
    }
    // SAFETY: `fd` is a fresh descriptor that nothing else owns.
    Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
}

#[cfg(not(target_os = "linux"))]
fn new_eventfd() -> Result<File, xik_status> {
    Err(xik_status::XIK_ERR_UNSUPPORTED)
}

/// # Safety
/// `reg` is NULL or a live handle; `out` is NULL or writable.
unsafe fn ready_fd(reg: *const xik_registry, kind: Kind, id: u64, out: *mut i32) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as this function's caller
        // guarantees.
        let r = unsafe { registry(reg) }?;
        non_null(out)?;
        match kind {
            Kind::Queue => r.queues.len(xikernel::QueueId(id)).map(drop)?,
            Kind::Channel => r.channels.len(xikernel::ChannelId(id)).map(drop)?,
        }
        let fd = r.ready.fd(kind, id)?;
        // SAFETY: checked non-NULL; the caller made it writable.
        unsafe { *out = fd };
        Ok(())
    })
}

/// Stores in `*out` a non-blocking eventfd (Linux) that becomes readable
/// whenever a get on queue `qid` may have something new to return: after
/// every put, close, destroy, release and interpreter clear. Use: poll it,
/// `read` 8 bytes to reset it, then call `xik_queue_get` with `timeout_ns
/// = 0` until `XIK_ERR_EMPTY`. Each call returns the same fd; it belongs
/// to the library (do not close it) and stays open until the registry's
/// last reference is dropped. `XIK_ERR_UNSUPPORTED` off Linux.
///
/// Thread-safety: any thread, concurrently with every other call.
///
/// # Safety
/// `reg` is NULL or a live handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xik_queue_ready_fd(
    reg: *const xik_registry,
    qid: u64,
    out: *mut i32,
) -> xik_status {
    // SAFETY: forwarded: the caller guarantees what `ready_fd` needs.
    unsafe { ready_fd(reg, Kind::Queue, qid, out) }
}

/// As `xik_queue_ready_fd`, for channel `cid` (readable after every send,
/// close, destroy, release and interpreter clear; drain with
/// `xik_channel_recv` and `timeout_ns = 0`).
///
/// Thread-safety: any thread, concurrently with every other call.
///
/// # Safety
/// `reg` is NULL or a live handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xik_channel_ready_fd(
    reg: *const xik_registry,
    cid: u64,
    out: *mut i32,
) -> xik_status {
    // SAFETY: forwarded: the caller guarantees what `ready_fd` needs.
    unsafe { ready_fd(reg, Kind::Channel, cid, out) }
}
