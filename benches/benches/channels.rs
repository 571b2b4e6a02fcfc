//! Group 4: channels, queues and the table. `queues_pair` /
//! `queues_contention`: the same shapes over CPython-style queues by id and
//! through a bound handle, against the raw ring they are built on.
//! Channels: `channels_pair`: one thread, send+recv
//! by id vs a bound handle vs crossbeam-channel. `channels_contention`: two
//! threads on one channel vs on two different channels (does the table make
//! different channels contend?), with crossbeam-channel for scale.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use xikernel_benches::channels::{
    pair, two_threads, Bound, ById, Crossbeam, Lanes, QueueBound, QueueById, RawRing,
};
use xikernel_benches::config::{criterion, threaded_group};

fn one_pair<L: Lanes + Default>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    let l = L::default();
    g.bench_function(name, |b| b.iter_custom(|n| pair(&l, n)));
}

fn contended<L: Lanes + Default>(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.bench_function(L::NAME, |b| {
        b.iter_custom(|n| {
            let l = L::default();
            two_threads(&l, n)
        })
    });
}

fn channels(c: &mut Criterion) {
    let mut g = c.benchmark_group("channels_pair");
    one_pair::<ById<true>>(&mut g, "xikernel_channel_by_id");
    one_pair::<Bound>(&mut g, "xikernel_table_bound_handle");
    one_pair::<Crossbeam<true>>(&mut g, "crossbeam_channel");
    one_pair::<RawRing>(&mut g, "xikernel_raw_ring");
    g.finish();

    let mut g = c.benchmark_group("queues_pair");
    one_pair::<QueueById<true>>(&mut g, "xikernel_queue_by_id");
    one_pair::<QueueBound>(&mut g, "xikernel_queue_handle");
    one_pair::<RawRing>(&mut g, "xikernel_raw_ring");
    one_pair::<Crossbeam<true>>(&mut g, "crossbeam_channel");
    g.finish();

    let mut g = threaded_group(c, "channels_contention");
    contended::<ById<false>>(&mut g);
    contended::<ById<true>>(&mut g);
    contended::<Crossbeam<false>>(&mut g);
    contended::<Crossbeam<true>>(&mut g);
    g.finish();

    let mut g = threaded_group(c, "queues_contention");
    contended::<QueueById<false>>(&mut g);
    contended::<QueueById<true>>(&mut g);
    g.finish();
}

criterion_group! { name = benches; config = criterion(); targets = channels }
criterion_main!(benches);
