//! Single-threaded push+pop pairs for instruction-level profiling with
//! callgrind (this VM has no hardware counters):
//! `valgrind --tool=callgrind target/release/examples/list_pair_profile ours|segqueue [pairs]`.
use crossbeam_queue::SegQueue;
use std::hint::black_box;
use xikernel::List;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "ours".into());
    let pairs: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut sum = 0u64;
    match which.as_str() {
        "ours" => {
            let q = List::new();
            for i in 0..pairs {
                let _ = q.try_push(black_box(i));
                sum = sum.wrapping_add(q.try_pop().unwrap_or(0));
            }
        }
        "segqueue" => {
            let q = SegQueue::new();
            for i in 0..pairs {
                q.push(black_box(i));
                sum = sum.wrapping_add(q.pop().unwrap_or(0));
            }
        }
        other => panic!("unknown queue {other:?}: ours | segqueue"),
    }
    assert_eq!(
        sum,
        pairs * (pairs - 1) / 2,
        "every item popped exactly once"
    );
}
