//! Group 3: blocking-pop wake-up latency (push -> parked consumer returns)
//! against crossbeam-channel, std's `sync_channel` and flume.

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use std::time::Duration;
use xikernel_benches::blocking::{
    wakeup_latency, BlockingFlavor, CrossbeamBlocking, FlumeBlocking, StdBlocking,
};
use xikernel_benches::config::criterion;
use xikernel_benches::ours::OurBlocking;

fn one<F: BlockingFlavor>(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    g.bench_function(F::NAME, |b| b.iter_custom(wakeup_latency::<F>));
}

fn blocking(c: &mut Criterion) {
    let mut g = c.benchmark_group("blocking_wakeup");
    // Each measured microsecond costs ~100 µs of sleep (the park gap): keep
    // the measured time short.
    g.sampling_mode(criterion::SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(300));
    one::<OurBlocking>(&mut g);
    one::<CrossbeamBlocking>(&mut g);
    one::<StdBlocking>(&mut g);
    one::<FlumeBlocking>(&mut g);
    g.finish();
}

criterion_group! { name = benches; config = criterion(); targets = blocking }
criterion_main!(benches);
