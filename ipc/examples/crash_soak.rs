//! The multi-process crash soak: `cargo run --release -p xikernel-ipc
//! --example crash_soak -- --seconds N [--producers P] [--consumers C]
//! [--seed S]`.
//!
//! Forks producers and consumers on one queue and, for N seconds, SIGKILLs
//! a random one every few milliseconds (wherever it is: inside a push, a
//! pop, holding a lock, mid-copy of a 64 KiB message) and forks a
//! replacement. Every message carries a global id, its producer, a
//! per-producer sequence number and a checksum. A ledger in shared memory
//! (outside the queue) records, per id, whether its push started and
//! completed and how many times it was received, and per consumer how many
//! messages it may have been holding when killed.
//!
//! At the end (producers told to stop, then the queue closed and drained)
//! it checks: no checksum failed; each consumer saw each producer's
//! messages in order; no id was received twice; every completed push was
//! received, except at most as many as the killed consumers may have been
//! holding (counted); and no process hung (progress is watched throughout,
//! and the final drain has a deadline). Exit status 1 on any failure.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering::*};
use std::time::{Duration, Instant};

use rustix::mm::{mmap_anonymous, MapFlags, ProtFlags};
use rustix::process::{kill_process, waitpid, Pid, Signal, WaitOptions};
use xikernel_ipc::{Batch, Deadline, PopError, Queue};

/// Global ids the ledger can track (2 bytes of shared memory each, paged
/// in as used); producers stop when they run out.
const MAX_IDS: usize = 1 << 26;
const MAX_SLOTS: usize = 64;
/// Queue: 1 MiB of messages, at most 8192 of them.
const QUEUE_BYTES: usize = 1 << 20;
const QUEUE_ITEMS: usize = 8192;
/// A message: gid (8), producer (4), seq (4), payload, checksum (4).
const OVERHEAD: usize = 20;

#[repr(C)]
struct Ledger {
    next_gid: AtomicU64,
    stop: AtomicU32,
    checksum_failures: AtomicU32,
    fifo_violations: AtomicU32,
    received: AtomicU64,
    /// Per consumer slot: how many messages it may hold right now (set
    /// before a pop to the pop's maximum, cleared once they are recorded).
    holding: [AtomicU32; MAX_SLOTS],
}

/// Per gid: 0 = never pushed, 1 = push started, 2 = push completed.
const STARTED: u8 = 1;
const COMPLETED: u8 = 2;

struct Shared {
    ledger: &'static Ledger,
    state: &'static [AtomicU8],
    seen: &'static [AtomicU8],
}

fn shared() -> Shared {
    let len = std::mem::size_of::<Ledger>() + 2 * MAX_IDS;
    // SAFETY: a fresh anonymous shared mapping (zero-filled), never
    // unmapped: the references below live for the whole program and are
    // inherited by every forked child. All of it is atomics, valid zeroed.
    unsafe {
        let p = mmap_anonymous(
            std::ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::SHARED,
        )
        .expect("mmap ledger")
        .cast::<u8>();
        let ledger = &*(p as *const Ledger);
        let base = p.add(std::mem::size_of::<Ledger>()) as *const AtomicU8;
        Shared {
            ledger,
            state: std::slice::from_raw_parts(base, MAX_IDS),
            seen: std::slice::from_raw_parts(base.add(MAX_IDS), MAX_IDS),
        }
    }
}

/// xorshift64*: deterministic per seed, good enough for sizes and timing.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn fnv32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn message(gid: u64, producer: u32, seq: u32, rng: &mut Rng) -> Vec<u8> {
    let r = rng.below(100);
    let payload = if r < 70 {
        rng.below(120) as usize
    } else if r < 95 {
        rng.below(4096) as usize
    } else {
        rng.below(64 * 1024 - OVERHEAD as u64) as usize
    };
    let mut m = Vec::with_capacity(payload + OVERHEAD);
    m.extend_from_slice(&gid.to_le_bytes());
    m.extend_from_slice(&producer.to_le_bytes());
    m.extend_from_slice(&seq.to_le_bytes());
    m.extend((0..payload).map(|k| (gid as usize).wrapping_mul(31).wrapping_add(k) as u8));
    let sum = fnv32(&m);
    m.extend_from_slice(&sum.to_le_bytes());
    m
}

/// `(gid, producer, seq)` of an intact message, or `None`.
fn parse(m: &[u8]) -> Option<(u64, u32, u32)> {
    if m.len() < OVERHEAD {
        return None;
    }
    let (body, sum) = m.split_at(m.len() - 4);
    if fnv32(body) != u32::from_le_bytes(sum.try_into().ok()?) {
        return None;
    }
    Some((
        u64::from_le_bytes(body[..8].try_into().ok()?),
        u32::from_le_bytes(body[8..12].try_into().ok()?),
        u32::from_le_bytes(body[12..16].try_into().ok()?),
    ))
}

fn producer(q: &Queue, sh: &Shared, id: u32, seed: u64) {
    let mut rng = Rng(seed | 1);
    let mut seq = 0u32;
    while sh.ledger.stop.load(Relaxed) == 0 {
        let n = if rng.below(4) == 0 {
            1 + rng.below(8)
        } else {
            1
        };
        let first = sh.ledger.next_gid.fetch_add(n, Relaxed);
        if first + n > MAX_IDS as u64 {
            return;
        }
        let msgs: Vec<Vec<u8>> = (0..n)
            .map(|k| message(first + k, id, seq + k as u32, &mut rng))
            .collect();
        seq += n as u32;
        for k in 0..n {
            // Relaxed: the ledger is read by the parent after every child
            // has been reaped (waitpid orders it).
            sh.state[(first + k) as usize].store(STARTED, Relaxed);
        }
        let refs: Vec<&[u8]> = msgs.iter().map(|m| &m[..]).collect();
        let done = if n == 1 {
            q.push(refs[0], Deadline::never()).map(|()| 1).unwrap_or(0)
        } else {
            match q.push_many(&refs, Deadline::never()) {
                Ok(()) => n as usize,
                Err(e) => e.pushed,
            }
        };
        for k in 0..done {
            sh.state[first as usize + k].store(COMPLETED, Relaxed);
        }
        if done < n as usize {
            return; // closed
        }
    }
}

/// Checks and records one received message.
fn record(sh: &Shared, last: &mut std::collections::HashMap<u32, u32>, m: &[u8]) {
    let Some((gid, producer, seq)) = parse(m) else {
        sh.ledger.checksum_failures.fetch_add(1, Relaxed);
        return;
    };
    if last.get(&producer).is_some_and(|&prev| seq <= prev) {
        sh.ledger.fifo_violations.fetch_add(1, Relaxed);
    }
    last.insert(producer, seq);
    if let Some(c) = sh.seen.get(gid as usize) {
        c.fetch_add(1, Relaxed);
    }
    sh.ledger.received.fetch_add(1, Relaxed);
}

fn consumer(q: &Queue, sh: &Shared, slot: usize, seed: u64) {
    let mut rng = Rng(seed | 1);
    let mut last = std::collections::HashMap::new();
    let mut batch = Batch::new();
    let mut buf = vec![0u8; q.max_message()];
    let holding = &sh.ledger.holding[slot];
    loop {
        let many = rng.below(3) == 0;
        let max = if many { 16 } else { 1 };
        // Before the pop: from its taking store until the messages are
        // recorded, a kill loses up to `max` messages, which the parent
        // then allows for.
        holding.store(max, SeqCst);
        let r = if many {
            q.pop_many(&mut batch, max as usize, Deadline::never())
                .map(|_| {
                    for m in batch.iter() {
                        record(sh, &mut last, m);
                    }
                })
        } else {
            q.pop_into(&mut buf, Deadline::never())
                .map(|n| record(sh, &mut last, &buf[..n]))
        };
        holding.store(0, SeqCst);
        match r {
            Ok(()) => {}
            Err(PopError::Closed) => return,
            Err(e) => panic!("consumer: {e}"),
        }
    }
}

extern "C" {
    // From the C library std already links: no new dependency.
    fn fork() -> i32;
    fn _exit(status: i32) -> !;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Producer,
    Consumer,
}

struct Child {
    pid: Pid,
    role: Role,
    slot: usize,
}

/// Forks a child running `role` on `q`; the child never returns.
fn spawn(q: &Queue, sh: &Shared, role: Role, slot: usize, id: u32, seed: u64) -> Child {
    // SAFETY: this program is single-threaded when it forks (the parent
    // never starts a thread), so the child may run any code; it leaves only
    // through `_exit`.
    let pid = unsafe { fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        match role {
            Role::Producer => producer(q, sh, id, seed),
            Role::Consumer => consumer(q, sh, slot, seed),
        }
        // SAFETY: ends the child without running the parent's exit-time code.
        unsafe { _exit(0) }
    }
    Child {
        pid: Pid::from_raw(pid).expect("child pid"),
        role,
        slot,
    }
}

struct Args {
    seconds: f64,
    producers: usize,
    consumers: usize,
    seed: u64,
}

fn args() -> Args {
    let mut a = Args {
        seconds: 10.0,
        producers: 3,
        consumers: 2,
        seed: 0x5eed,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let val = v.get(i + 1).cloned().unwrap_or_default();
        match v[i].as_str() {
            "--seconds" => a.seconds = val.parse().expect("--seconds N"),
            "--producers" => a.producers = val.parse().expect("--producers P"),
            "--consumers" => a.consumers = val.parse().expect("--consumers C"),
            "--seed" => a.seed = val.parse().expect("--seed S"),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    assert!(a.producers + a.consumers <= MAX_SLOTS && a.producers > 0 && a.consumers > 0);
    a
}

/// Waits for `pid` with a deadline; false if it is still running then.
fn reap(pid: Pid, deadline: Instant) -> bool {
    loop {
        match waitpid(Some(pid), WaitOptions::NOHANG) {
            Ok(Some(_)) | Err(_) => return true,
            Ok(None) if Instant::now() >= deadline => return false,
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

fn main() {
    std::process::exit(run());
}

fn run() -> i32 {
    let a = args();
    let sh = shared();
    let q = Queue::create(QUEUE_BYTES, QUEUE_ITEMS).expect("queue");
    let mut rng = Rng(a.seed | 1);
    let mut next_id = 0u32;
    let mut children: Vec<Child> = Vec::new();
    for slot in 0..a.producers + a.consumers {
        let role = if slot < a.producers {
            Role::Producer
        } else {
            Role::Consumer
        };
        next_id += 1;
        children.push(spawn(&q, &sh, role, slot, next_id, rng.next()));
    }
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(a.seconds);
    let (mut kills, mut allowed_loss) = (0u64, 0u64);
    let mut progress = (sh.ledger.received.load(Relaxed), Instant::now());
    let mut failures = Vec::new();
    while Instant::now() < end {
        std::thread::sleep(Duration::from_micros(500 + rng.below(20_000)));
        let i = rng.below(children.len() as u64) as usize;
        let (pid, role, slot) = (children[i].pid, children[i].role, children[i].slot);
        let _ = kill_process(pid, Signal::KILL);
        let _ = waitpid(Some(pid), WaitOptions::empty());
        kills += 1;
        if role == Role::Consumer {
            // Reaped: its last store to the ledger is visible.
            allowed_loss += u64::from(sh.ledger.holding[slot].swap(0, SeqCst));
        }
        next_id += 1;
        children[i] = spawn(&q, &sh, role, slot, next_id, rng.next());
        let received = sh.ledger.received.load(Relaxed);
        if received != progress.0 {
            progress = (received, Instant::now());
        } else if progress.1.elapsed() > Duration::from_secs(5) {
            failures.push("no message received for 5 s: a process hangs".to_string());
            break;
        }
    }
    // Stop the producers, let the consumers drain, then close.
    sh.ledger.stop.store(1, SeqCst);
    let drain_deadline = Instant::now() + Duration::from_secs(20);
    for c in children.iter().filter(|c| c.role == Role::Producer) {
        if !reap(c.pid, drain_deadline) {
            failures.push(format!(
                "producer {} did not stop: hang",
                c.pid.as_raw_pid()
            ));
            let _ = kill_process(c.pid, Signal::KILL);
        }
    }
    q.close();
    for c in children.iter().filter(|c| c.role == Role::Consumer) {
        if !reap(c.pid, drain_deadline) {
            failures.push(format!(
                "consumer {} did not finish: hang",
                c.pid.as_raw_pid()
            ));
            let _ = kill_process(c.pid, Signal::KILL);
        }
    }
    // Whatever is left (possible only if a consumer hung) is not received.
    let issued = sh.ledger.next_gid.load(SeqCst).min(MAX_IDS as u64) as usize;
    let (mut completed, mut lost, mut dup, mut unpushed_seen) = (0u64, 0u64, 0u64, 0u64);
    for gid in 0..issued {
        let seen = sh.seen[gid].load(SeqCst);
        match sh.state[gid].load(SeqCst) {
            COMPLETED => {
                completed += 1;
                if seen == 0 {
                    lost += 1;
                }
            }
            STARTED => {}
            _ if seen > 0 => unpushed_seen += 1,
            _ => {}
        }
        if seen > 1 {
            dup += 1;
        }
    }
    let l = sh.ledger;
    let checksum = l.checksum_failures.load(SeqCst);
    let fifo = l.fifo_violations.load(SeqCst);
    println!(
        "crash_soak: {:.1} s, {} producers + {} consumers, {} SIGKILLs, {} lock recoveries",
        start.elapsed().as_secs_f64(),
        a.producers,
        a.consumers,
        kills,
        q.recoveries()
    );
    println!(
        "  ids issued {issued}, pushes completed {completed}, received {}, \
         completed-but-lost {lost} (allowed: {allowed_loss} held by killed consumers), \
         duplicates {dup}, never-pushed-but-received {unpushed_seen}, checksum failures {checksum}, \
         FIFO violations {fifo}",
        l.received.load(SeqCst)
    );
    if lost > allowed_loss {
        failures.push(format!(
            "{lost} completed pushes lost, only {allowed_loss} allowed"
        ));
    }
    if dup > 0 {
        failures.push(format!("{dup} messages received twice"));
    }
    if unpushed_seen > 0 {
        failures.push(format!(
            "{unpushed_seen} messages received that were never pushed"
        ));
    }
    if checksum > 0 {
        failures.push(format!("{checksum} checksum failures"));
    }
    if fifo > 0 {
        failures.push(format!("{fifo} FIFO violations"));
    }
    if completed == 0 {
        failures.push("no push completed".into());
    }
    if failures.is_empty() {
        println!("crash_soak: PASS");
        0
    } else {
        for f in &failures {
            println!("crash_soak: FAIL: {f}");
        }
        1
    }
}
