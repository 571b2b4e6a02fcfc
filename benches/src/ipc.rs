//! Harness of the `ipc` bench: the shared-memory queue (`xikernel-ipc`)
//! between processes, against a Unix socket pair and a pipe (what
//! `multiprocessing` uses), with in-process crossbeam-channel as the
//! ceiling and a raw futex ping-pong as the wake-up floor.
//!
//! Peer processes are this bench binary re-executed with a role in the
//! environment ([`child_main`] runs first in `main` and never returns for a
//! child); descriptors are inherited (close-on-exec cleared between fork
//! and exec). A peer lives for one bench function; `iter_custom` drives
//! it through a control pipe: "`n` messages" down, one ack byte back.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use rustix::thread::futex;
use xikernel_ipc::{Batch, Deadline, Queue};

const ROLE: &str = "XIK_IPC_BENCH_ROLE";
const FDS: &str = "XIK_IPC_BENCH_FDS";
const SIZE: &str = "XIK_IPC_BENCH_SIZE";

/// Messages per `push_many` / `pop_many` / batched write in batched rows.
pub const BATCH: usize = 64;

/// A transport under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// `xikernel_ipc::Queue`, one message per call.
    Shm,
    /// `xikernel_ipc::Queue`, `push_many`/`pop_many` of [`BATCH`].
    ShmBatched,
    /// A `socketpair(AF_UNIX, SOCK_STREAM)`, length-prefixed frames.
    Socket,
    /// A pipe, length-prefixed frames (writes of one frame <= PIPE_BUF are
    /// atomic, so several producers may share it for small messages).
    Pipe,
    /// A pipe, [`BATCH`] frames per write.
    PipeBatched,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Shm => "xikernel_ipc",
            Transport::ShmBatched => "xikernel_ipc_batched",
            Transport::Socket => "unix_socket",
            Transport::Pipe => "pipe",
            Transport::PipeBatched => "pipe_batched",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Transport::Shm => "shm",
            Transport::ShmBatched => "shmb",
            Transport::Socket => "sock",
            Transport::Pipe => "pipe",
            Transport::PipeBatched => "pipeb",
        }
    }

    fn from_code(c: &str) -> Self {
        match c {
            "shm" => Transport::Shm,
            "shmb" => Transport::ShmBatched,
            "sock" => Transport::Socket,
            "pipe" => Transport::Pipe,
            _ => Transport::PipeBatched,
        }
    }

    fn is_shm(self) -> bool {
        matches!(self, Transport::Shm | Transport::ShmBatched)
    }
}

/// The queue every shared-memory row uses: 4 MiB, 64 Ki messages.
fn queue() -> Queue {
    Queue::create(4 << 20, 1 << 16).expect("queue")
}

/// A pipe, as `(read, write)`.
fn pipe() -> (File, File) {
    let (r, w) = rustix::pipe::pipe().expect("pipe");
    (File::from(r), File::from(w))
}

fn frame(size: usize) -> Vec<u8> {
    let mut f = (size as u32).to_le_bytes().to_vec();
    f.resize(4 + size, 0xA5);
    f
}

/// Sends `n` messages of `size` bytes.
fn send(t: Transport, q: Option<&Queue>, w: Option<&mut File>, n: u64, size: usize) {
    let msg = vec![0xA5u8; size];
    match t {
        Transport::Shm => {
            let q = q.expect("queue");
            for _ in 0..n {
                q.push(&msg, Deadline::never()).expect("push");
            }
        }
        Transport::ShmBatched => {
            let q = q.expect("queue");
            let refs = vec![&msg[..]; BATCH];
            let mut left = n as usize;
            while left > 0 {
                let k = left.min(BATCH);
                q.push_many(&refs[..k], Deadline::never())
                    .expect("push_many");
                left -= k;
            }
        }
        Transport::Socket | Transport::Pipe => {
            let w = w.expect("writer");
            let f = frame(size);
            for _ in 0..n {
                w.write_all(&f).expect("write");
            }
        }
        Transport::PipeBatched => {
            let w = w.expect("writer");
            let f = frame(size);
            let many: Vec<u8> = f.iter().copied().cycle().take(f.len() * BATCH).collect();
            let mut left = n as usize;
            while left > 0 {
                let k = left.min(BATCH);
                w.write_all(&many[..k * f.len()]).expect("write");
                left -= k;
            }
        }
    }
}

/// Receives `n` messages (of any size up to the queue's maximum).
struct Receiver {
    t: Transport,
    q: Option<Queue>,
    r: Option<BufReader<File>>,
    buf: Vec<u8>,
    batch: Batch,
}

impl Receiver {
    fn recv(&mut self, n: u64) {
        let mut left = n as usize;
        while left > 0 {
            match self.t {
                Transport::Shm => {
                    let q = self.q.as_ref().expect("queue");
                    q.pop_into(&mut self.buf, Deadline::never()).expect("pop");
                    left -= 1;
                }
                Transport::ShmBatched => {
                    let q = self.q.as_ref().expect("queue");
                    left -= q
                        .pop_many(&mut self.batch, left.min(BATCH), Deadline::never())
                        .expect("pop_many");
                }
                _ => {
                    let r = self.r.as_mut().expect("reader");
                    let mut len = [0u8; 4];
                    r.read_exact(&mut len).expect("read");
                    let len = u32::from_le_bytes(len) as usize;
                    r.read_exact(&mut self.buf[..len]).expect("read");
                    left -= 1;
                }
            }
        }
    }
}

fn read_u64(r: &mut File) -> Option<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b).ok()?;
    Some(u64::from_le_bytes(b))
}

fn take_fd(fds: &[RawFd], i: usize) -> OwnedFd {
    // SAFETY: the parent left these descriptors open for this child and
    // nothing else in it owns them.
    unsafe { OwnedFd::from_raw_fd(fds[i]) }
}

/// Runs the child role if this process is a bench peer (never returns
/// then); returns at once otherwise. Call first in `main`.
pub fn child_main() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let fds: Vec<RawFd> = std::env::var(FDS)
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.parse().ok())
        .collect();
    let size: usize = std::env::var(SIZE)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    let (kind, code) = role.split_once(':').unwrap_or((&role, "shm"));
    let t = Transport::from_code(code);
    let mut ctl = File::from(take_fd(&fds, 0));
    match kind {
        // Consumer: receive `n`, ack, repeat.
        "consumer" => {
            let mut ack = File::from(take_fd(&fds, 1));
            let data = take_fd(&fds, 2);
            let mut rx = Receiver {
                t,
                q: t.is_shm()
                    .then(|| Queue::from_fd(data.try_clone().expect("dup")).expect("open")),
                r: (!t.is_shm()).then(|| BufReader::with_capacity(1 << 16, File::from(data))),
                buf: vec![0; 4 << 20],
                batch: Batch::new(),
            };
            while let Some(n) = read_u64(&mut ctl) {
                rx.recv(n);
                ack.write_all(&[1]).expect("ack");
            }
        }
        // Producer: send `n`, repeat (the parent counts what it receives).
        "producer" => {
            let data = take_fd(&fds, 1);
            let q = t
                .is_shm()
                .then(|| Queue::from_fd(data.try_clone().expect("dup")).expect("open"));
            let mut w = (!t.is_shm()).then(|| File::from(data));
            while let Some(n) = read_u64(&mut ctl) {
                send(t, q.as_ref(), w.as_mut(), n, size);
            }
        }
        // Ping-pong on two queues: pop one, push it back.
        "echo" => {
            let q1 = Queue::from_fd(take_fd(&fds, 1)).expect("open");
            let q2 = Queue::from_fd(take_fd(&fds, 2)).expect("open");
            let mut buf = [0u8; 64];
            while let Ok(n) = q1.pop_into(&mut buf, Deadline::never()) {
                if q2.push(&buf[..n], Deadline::never()).is_err() {
                    break;
                }
            }
        }
        // Ping-pong on a raw futex word in a shared memfd.
        "futex" => {
            let word = FutexWord::open(take_fd(&fds, 1));
            // `v` is the last value this side wrote: the next wait is for
            // a change from it. (Waiting for a change from the parent's
            // value instead returned at once on our own answer and let the
            // two sides race each other's writes until both slept.)
            let mut v = 0u32;
            loop {
                // Wait for the parent's odd value, answer with the next even.
                let got = word.wait_change(v);
                if got == u32::MAX {
                    break;
                }
                v = got.wrapping_add(1);
                word.set(v);
            }
        }
        other => panic!("unknown bench role {other}"),
    }
    std::process::exit(0);
}

fn spawn(role: &str, fds: &[RawFd], size: usize) -> Child {
    let list: Vec<String> = fds.iter().map(|f| f.to_string()).collect();
    let mut cmd = Command::new(std::env::current_exe().expect("current exe"));
    cmd.env(ROLE, role)
        .env(FDS, list.join(","))
        .env(SIZE, size.to_string());
    let keep = fds.to_vec();
    // SAFETY: between fork and exec the closure only makes system calls
    // (async-signal-safe): it clears close-on-exec on the inherited fds.
    unsafe {
        cmd.pre_exec(move || {
            for &fd in &keep {
                // SAFETY: open in the child (copies of the parent's).
                let b = std::os::fd::BorrowedFd::borrow_raw(fd);
                rustix::io::fcntl_setfd(b, rustix::io::FdFlags::empty())?;
            }
            Ok(())
        });
    }
    cmd.spawn().expect("spawn bench peer")
}

/// One producer (this process) and one consumer process.
pub struct Pair {
    child: Child,
    t: Transport,
    size: usize,
    q: Option<Queue>,
    w: Option<File>,
    ctl: File,
    ack: File,
}

impl Pair {
    pub fn new(t: Transport, size: usize) -> Self {
        let (ctl_r, ctl) = pipe();
        let (ack, ack_w) = pipe();
        let (q, w, data): (Option<Queue>, Option<File>, OwnedFd) = match t {
            Transport::Shm | Transport::ShmBatched => {
                let q = queue();
                let fd = q.try_clone_fd().expect("dup");
                (Some(q), None, fd)
            }
            Transport::Socket => {
                let (a, b) = UnixStream::pair().expect("socketpair");
                (None, Some(File::from(OwnedFd::from(a))), OwnedFd::from(b))
            }
            Transport::Pipe | Transport::PipeBatched => {
                let (r, w) = pipe();
                (None, Some(w), OwnedFd::from(r))
            }
        };
        let fds = [ctl_r.as_raw_fd(), ack_w.as_raw_fd(), data.as_raw_fd()];
        let child = spawn(&format!("consumer:{}", t.code()), &fds, size);
        Pair {
            child,
            t,
            size,
            q,
            w,
            ctl,
            ack,
        }
    }

    /// Time to push `iters` messages and have the other process pop them.
    pub fn run(&mut self, iters: u64) -> Duration {
        let start = Instant::now();
        self.ctl.write_all(&iters.to_le_bytes()).expect("ctl");
        send(self.t, self.q.as_ref(), self.w.as_mut(), iters, self.size);
        let mut b = [0u8; 1];
        self.ack.read_exact(&mut b).expect("ack");
        start.elapsed()
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `k` producer processes, this process consuming.
pub struct Fan {
    children: Vec<Child>,
    ctls: Vec<File>,
    rx: Receiver,
}

impl Fan {
    /// `None` if `t` cannot be shared by several writers for `size`.
    pub fn new(t: Transport, size: usize, k: usize) -> Option<Self> {
        if !t.is_shm() && (t != Transport::Pipe || size + 4 > 4096) {
            return None;
        }
        let (q, r, data) = if t.is_shm() {
            let q = queue();
            let fd = q.try_clone_fd().expect("dup");
            (Some(q), None, fd)
        } else {
            let (r, w) = pipe();
            (
                None,
                Some(BufReader::with_capacity(1 << 16, r)),
                OwnedFd::from(w),
            )
        };
        let mut children = Vec::new();
        let mut ctls = Vec::new();
        for _ in 0..k {
            let (ctl_r, ctl) = pipe();
            let fds = [ctl_r.as_raw_fd(), data.as_raw_fd()];
            children.push(spawn(&format!("producer:{}", t.code()), &fds, size));
            ctls.push(ctl);
        }
        let rx = Receiver {
            t,
            q,
            r,
            buf: vec![0; 4 << 20],
            batch: Batch::new(),
        };
        Some(Fan { children, ctls, rx })
    }

    /// Time for the producers to push about `iters` messages in all and
    /// this process to pop them (scaled to exactly `iters`).
    pub fn run(&mut self, iters: u64) -> Duration {
        let k = self.ctls.len() as u64;
        let per = iters.div_ceil(k).max(1);
        let start = Instant::now();
        for c in &mut self.ctls {
            c.write_all(&per.to_le_bytes()).expect("ctl");
        }
        self.rx.recv(per * k);
        start.elapsed().mul_f64(iters as f64 / (per * k) as f64)
    }
}

impl Drop for Fan {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The in-process ceiling: crossbeam-channel between two threads, with the
/// same message sizes (an allocation and a copy per message, as ours pays
/// a copy in and a copy out).
pub fn crossbeam_pair(iters: u64, size: usize) -> Duration {
    let (tx, rx) = crossbeam_channel::bounded::<Vec<u8>>(1024);
    let consumer = std::thread::spawn(move || {
        for _ in 0..iters {
            std::hint::black_box(rx.recv().expect("recv"));
        }
    });
    let msg = vec![0xA5u8; size];
    let start = Instant::now();
    for _ in 0..iters {
        tx.send(msg.clone()).expect("send");
    }
    consumer.join().expect("consumer");
    start.elapsed()
}

/// Ping-pong through two queues and an echo process: one-way wake-up
/// latency of a blocked pop across processes is half a round trip.
pub struct PingPong {
    child: Child,
    q1: Queue,
    q2: Queue,
}

impl PingPong {
    pub fn new() -> Self {
        let (q1, q2) = (queue(), queue());
        let (f1, f2) = (
            q1.try_clone_fd().expect("dup"),
            q2.try_clone_fd().expect("dup"),
        );
        let (ctl_r, _ctl) = pipe();
        let child = spawn(
            "echo:shm",
            &[ctl_r.as_raw_fd(), f1.as_raw_fd(), f2.as_raw_fd()],
            0,
        );
        PingPong { child, q1, q2 }
    }

    /// `iters` round trips; returns half their time.
    pub fn run(&mut self, iters: u64) -> Duration {
        let mut buf = [0u8; 8];
        let start = Instant::now();
        for i in 0..iters {
            self.q1
                .push(&i.to_le_bytes(), Deadline::never())
                .expect("push");
            self.q2.pop_into(&mut buf, Deadline::never()).expect("pop");
        }
        start.elapsed() / 2
    }
}

impl Default for PingPong {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for PingPong {
    fn drop(&mut self) {
        self.q1.close();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A futex word in a shared memfd (the floor for wake-up latency).
struct FutexWord {
    _fd: OwnedFd,
    ptr: *const AtomicU32,
}

impl FutexWord {
    fn create() -> Self {
        use rustix::fs::{ftruncate, memfd_create, MemfdFlags};
        let fd = memfd_create("futex", MemfdFlags::CLOEXEC).expect("memfd");
        ftruncate(&fd, 4096).expect("ftruncate");
        Self::open(fd)
    }

    fn open(fd: OwnedFd) -> Self {
        use rustix::mm::{mmap, MapFlags, ProtFlags};
        // SAFETY: a fresh shared mapping of a 4 KiB file that is never
        // truncated or unmapped while `self` lives (the word is only used
        // through `&AtomicU32`, valid for any bits, page aligned).
        let p = unsafe {
            mmap(
                std::ptr::null_mut(),
                4096,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                &fd,
                0,
            )
        }
        .expect("mmap");
        FutexWord {
            _fd: fd,
            ptr: p.cast(),
        }
    }

    fn word(&self) -> &AtomicU32 {
        // SAFETY: see `open`; the mapping outlives `self` (never unmapped).
        unsafe { &*self.ptr }
    }

    fn set(&self, v: u32) {
        self.word().store(v, Ordering::Release);
        let _ = futex::wake(self.word(), futex::Flags::empty(), 1);
    }

    /// Sleeps until the word differs from `old`; returns the new value.
    fn wait_change(&self, old: u32) -> u32 {
        loop {
            let v = self.word().load(Ordering::Acquire);
            if v != old {
                return v;
            }
            let _ = futex::wait(self.word(), futex::Flags::empty(), old, None);
        }
    }
}

/// Raw futex ping-pong between two processes, measured as [`PingPong`].
pub struct FutexPingPong {
    child: Child,
    word: FutexWord,
    v: u32,
}

impl FutexPingPong {
    pub fn new() -> Self {
        let word = FutexWord::create();
        let fd = word._fd.try_clone().expect("dup");
        let (ctl_r, _ctl) = pipe();
        let child = spawn("futex:shm", &[ctl_r.as_raw_fd(), fd.as_raw_fd()], 0);
        FutexPingPong { child, word, v: 0 }
    }

    pub fn run(&mut self, iters: u64) -> Duration {
        let start = Instant::now();
        for _ in 0..iters {
            // Odd to the child, which answers with the next (even) value.
            self.v = self.v.wrapping_add(1);
            if self.v == u32::MAX {
                self.v = 1;
            }
            self.word.set(self.v);
            self.v = self.word.wait_change(self.v);
        }
        start.elapsed() / 2
    }
}

impl Default for FutexPingPong {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for FutexPingPong {
    fn drop(&mut self) {
        self.word.set(u32::MAX);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
