//! The shared-memory queue between processes (`xikernel-ipc`): push+pop
//! across two processes for 64 B and 64 KiB messages, one and several
//! producers, one message per call and batched, against a Unix socket pair
//! and a pipe, with in-process crossbeam-channel as the ceiling; and the
//! wake-up latency of a blocked pop across processes against a raw futex
//! ping-pong measured in the same run. Targets (docs/benchmarks.md): 64 B
//! throughput >= 10x a pipe's and within 3x of crossbeam; wake-up latency
//! within 20 µs of the futex ping-pong.
//!
//! `main` first lets a re-executed copy of this binary run as a peer
//! process (`ipc::child_main`).

use criterion::{Criterion, Throughput};
use xikernel_benches::config::criterion;
use xikernel_benches::ipc::{
    child_main, crossbeam_pair, Fan, FutexPingPong, Pair, PingPong, Transport,
};

const SIZES: [(usize, &str); 2] = [(64, "64B"), (64 * 1024, "64KiB")];

fn pairs(c: &mut Criterion) {
    for (size, label) in SIZES {
        let mut g = c.benchmark_group(format!("ipc_pair_{label}"));
        g.throughput(Throughput::Elements(1));
        for t in [
            Transport::Shm,
            Transport::ShmBatched,
            Transport::Socket,
            Transport::Pipe,
            Transport::PipeBatched,
        ] {
            let mut pair = Pair::new(t, size);
            g.bench_function(t.name(), |b| b.iter_custom(|iters| pair.run(iters)));
        }
        g.finish();
        // The ceiling in its own group, so the report can hold each target.
        let mut g = c.benchmark_group(format!("ipc_ceiling_{label}"));
        g.throughput(Throughput::Elements(1));
        let mut pair = Pair::new(Transport::Shm, size);
        g.bench_function(Transport::Shm.name(), |b| {
            b.iter_custom(|iters| pair.run(iters))
        });
        g.bench_function("crossbeam_channel_in_process", |b| {
            b.iter_custom(|iters| crossbeam_pair(iters, size))
        });
        g.finish();
    }
}

fn fans(c: &mut Criterion) {
    const PRODUCERS: usize = 3;
    for (size, label) in SIZES {
        let mut g = c.benchmark_group(format!("ipc_fan{PRODUCERS}_{label}"));
        g.throughput(Throughput::Elements(1));
        for t in [Transport::Shm, Transport::ShmBatched, Transport::Pipe] {
            // A pipe shared by several writers keeps frames whole only up to
            // PIPE_BUF: no 64 KiB row for it.
            if let Some(mut fan) = Fan::new(t, size, PRODUCERS) {
                g.bench_function(t.name(), |b| b.iter_custom(|iters| fan.run(iters)));
            }
        }
        g.finish();
    }
}

fn wakeup(c: &mut Criterion) {
    let mut g = c.benchmark_group("ipc_wakeup");
    let mut ours = PingPong::new();
    g.bench_function("xikernel_ipc", |b| b.iter_custom(|iters| ours.run(iters)));
    let mut futex = FutexPingPong::new();
    g.bench_function("futex_pingpong", |b| {
        b.iter_custom(|iters| futex.run(iters))
    });
    g.finish();
}

fn main() {
    child_main();
    let mut c = criterion();
    pairs(&mut c);
    fans(&mut c);
    wakeup(&mut c);
    c.final_summary();
}
