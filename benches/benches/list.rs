//! Group 2: the unbounded list against crossbeam's SegQueue, concurrent-queue
//! unbounded, crossbeam-channel unbounded and std's `channel`.

use criterion::{criterion_group, criterion_main, Criterion};
use xikernel_benches::config::{criterion, throughput_groups, PairOf};
use xikernel_benches::queues::each_unbounded;
use xikernel_benches::run::Shape;

fn list(c: &mut Criterion) {
    let shape = |producers, consumers| Shape {
        cap: None,
        producers,
        consumers,
        burst: None,
    };
    let groups = [("list_spsc", shape(1, 1)), ("list_mpmc2x2", shape(2, 2))];
    throughput_groups(c, |v| each_unbounded(v), &groups);
    let mut g = c.benchmark_group("list_pair");
    each_unbounded(&mut PairOf {
        group: &mut g,
        cap: None,
    });
    g.finish();
}

criterion_group! { name = benches; config = criterion(); targets = list }
criterion_main!(benches);
