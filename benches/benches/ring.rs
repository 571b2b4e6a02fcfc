//! Group 1: the bounded ring against crossbeam's ArrayQueue, concurrent-queue,
//! a `Mutex<VecDeque>`, rtrb (SPSC only), crossbeam-channel, flume, kanal
//! and std's `sync_channel`.
//!
//! Throughput in items/s (time per item) for SPSC, MPMC 2x2 and 1x1 bursts of
//! 64, each at capacity 1024 and 16, plus the uncontended push+pop pair.

use criterion::{criterion_group, criterion_main, Criterion};
use xikernel_benches::config::{criterion, throughput_groups, PairOf};
use xikernel_benches::queues::each_bounded;
use xikernel_benches::run::Shape;

fn shape(cap: usize, producers: usize, consumers: usize, burst: Option<u64>) -> Shape {
    Shape {
        cap: Some(cap),
        producers,
        consumers,
        burst,
    }
}

fn ring(c: &mut Criterion) {
    let groups = [
        ("ring_spsc_cap1024", shape(1024, 1, 1, None)),
        ("ring_spsc_cap16", shape(16, 1, 1, None)),
        ("ring_mpmc2x2_cap1024", shape(1024, 2, 2, None)),
        ("ring_mpmc2x2_cap16", shape(16, 2, 2, None)),
        ("ring_burst64_cap1024", shape(1024, 1, 1, Some(64))),
        ("ring_burst64_cap16", shape(16, 1, 1, Some(64))),
    ];
    throughput_groups(c, |v| each_bounded(v), &groups);
    let mut g = c.benchmark_group("ring_pair_cap1024");
    each_bounded(&mut PairOf {
        group: &mut g,
        cap: Some(1024),
    });
    g.finish();
}

criterion_group! { name = benches; config = criterion(); targets = ring }
criterion_main!(benches);
