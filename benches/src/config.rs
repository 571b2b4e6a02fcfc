//! Criterion settings and the registration helpers every bench target uses.
//!
//! Sized for the 2-vCPU machines: 15 samples (the minimum that made ratios
//! repeatable here), short warm-up, 1.5 s of measurement per bench, so the
//! whole suite runs in about 10 minutes. `cargo bench -p xikernel-benches --
//! --test` ignores all of this and runs every bench once.

use crate::queues::{Flavor, Visit};
use crate::run::{pair, throughput, Shape};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::time::Duration;

/// The project-wide criterion configuration (command-line flags still win).
pub fn criterion() -> Criterion {
    Criterion::default()
        .sample_size(15)
        .warm_up_time(Duration::from_millis(400))
        .measurement_time(Duration::from_millis(1500))
        .without_plots()
        .configure_from_args()
}

/// A group for threaded runs: flat sampling (every sample the same size, as
/// each one spawns threads) and throughput in items.
pub fn threaded_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(1));
    g
}

/// Registers `F`'s throughput in `shape` under `<group>/<F::NAME>`; a flavor
/// that cannot take the shape is skipped (and so absent from the report).
pub fn bench_throughput<F: Flavor>(g: &mut BenchmarkGroup<'_, WallTime>, shape: Shape) {
    if F::build(shape.cap, shape.producers, shape.consumers).is_none() {
        return;
    }
    g.bench_function(F::NAME, |b| {
        b.iter_custom(|iters| throughput::<F>(shape, iters).expect("shape checked above"))
    });
}

/// Registers `F`'s uncontended push+pop pair under `<group>/<F::NAME>`.
pub fn bench_pair<F: Flavor>(g: &mut BenchmarkGroup<'_, WallTime>, cap: Option<usize>) {
    let Some(mut op) = pair::<F>(cap) else { return };
    g.bench_function(F::NAME, |b| {
        b.iter(|| {
            let v = black_box(op());
            assert_eq!(v, Some(1), "{}: push+pop on an empty queue failed", F::NAME);
        })
    });
}

/// A [`Visit`]or registering each flavor's throughput in one shape.
pub struct ThroughputOf<'g, 'c> {
    pub group: &'g mut BenchmarkGroup<'c, WallTime>,
    pub shape: Shape,
}

impl Visit for ThroughputOf<'_, '_> {
    fn visit<F: Flavor>(&mut self) {
        bench_throughput::<F>(self.group, self.shape);
    }
}

/// A [`Visit`]or registering each flavor's uncontended pair.
pub struct PairOf<'g, 'c> {
    pub group: &'g mut BenchmarkGroup<'c, WallTime>,
    pub cap: Option<usize>,
}

impl Visit for PairOf<'_, '_> {
    fn visit<F: Flavor>(&mut self) {
        bench_pair::<F>(self.group, self.cap);
    }
}

/// Registers the throughput groups `<prefix>_<shape>` for each shape, over
/// the flavors `each` visits.
pub fn throughput_groups(
    c: &mut Criterion,
    each: fn(&mut ThroughputOf<'_, '_>),
    groups: &[(&str, Shape)],
) {
    for &(name, shape) in groups {
        let mut g = threaded_group(c, name);
        each(&mut ThroughputOf {
            group: &mut g,
            shape,
        });
        g.finish();
    }
}
