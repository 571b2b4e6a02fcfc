//! The decoders' allocation bound, measured: a counting global allocator
//! records the peak of live heap bytes while one input is decoded, and the
//! peak divided by the input's length must stay within
//! [`BYTES_PER_INPUT_BYTE`], the figure `docs/wire-format.md` states.
//!
//! The inputs are the adversarial shapes the format allows (nested tuple
//! headers whose counts each claim the same trailing bytes, counts just
//! over the reservation, exceptions, empty tuples...) plus a seeded random
//! search over headers and scalars. Most of them are invalid: a decoder
//! allocates while it reads and only fails at the end, and that is exactly
//! where a lying count used to pay off. Print the worst input with
//! `cargo test -p xikernel --test xidata_alloc_bound -- --nocapture`.
//!
//! Its own test binary: the global allocator would count for every test
//! linked with it. Counting is per thread, so the harness's own threads do
//! not disturb a measurement.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use xikernel::xidata::{decode_with, tag, DecodeOptions, Events, MAX_DEPTH};

/// The bound `docs/wire-format.md` states: peak live heap bytes per input
/// byte, for any input, with any depth limit up to [`MAX_DEPTH`].
const BYTES_PER_INPUT_BYTE: usize = 64;

struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grow(n: usize) {
    // `try_with`: the allocator may run while thread-locals are torn down.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + n;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn shrink(n: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(n)));
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        // SAFETY: `ptr`/`layout` come from this allocator, i.e. from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Counted as a move (new block while the old one is still live): the
        // worst a growing `Vec` can cost, whatever the system allocator does.
        grow(new_size);
        shrink(layout.size());
        // SAFETY: the caller's contract for `realloc` is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Peak live heap bytes of decoding `input` both ways (owned tree, and the
/// streaming decoder), at the hard depth limit.
fn peak(input: &[u8]) -> usize {
    let opts = DecodeOptions {
        max_depth: MAX_DEPTH,
        registry: None,
    };
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    drop(decode_with(input, &opts));
    let owned = PEAK.with(Cell::get) - base;
    PEAK.with(|p| p.set(base));
    if let Ok(events) = Events::new(input, &opts) {
        events.for_each(drop);
    }
    let streaming = PEAK.with(Cell::get) - base;
    owned.max(streaming)
}

const HEADER: [u8; 3] = [0x58, 0x49, 0x01];

fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// `depth` nested tuple headers, each claiming `claim` items, then
/// `filler` one-byte values (`None`).
fn nested(depth: usize, claim: u64, filler: usize) -> Vec<u8> {
    let mut v = HEADER.to_vec();
    for _ in 0..depth {
        v.push(tag::TUPLE);
        varint(claim, &mut v);
    }
    v.resize(v.len() + filler, tag::NONE);
    v
}

/// An exception snapshot with empty strings (7 bytes) repeated `n` times
/// inside a tuple that claims them.
fn exceptions(n: usize) -> Vec<u8> {
    let mut v = HEADER.to_vec();
    v.push(tag::TUPLE);
    varint(n as u64, &mut v);
    for _ in 0..n {
        v.extend_from_slice(&[tag::EXCEPTION, 0, 0, 0, 0, 0, 0]);
    }
    v
}

struct Worst {
    ratio: f64,
    what: String,
    len: usize,
    peak: usize,
}

fn measure(worst: &mut [Worst; 2], what: impl FnOnce() -> String, input: &[u8]) {
    let p = peak(input);
    // Valid inputs are tracked apart: what an honest document costs.
    let valid = decode_with(
        input,
        &DecodeOptions {
            max_depth: MAX_DEPTH,
            registry: None,
        },
    )
    .is_ok();
    let worst = &mut worst[usize::from(valid)];
    let ratio = p as f64 / input.len() as f64;
    if ratio > worst.ratio {
        *worst = Worst {
            ratio,
            what: what(),
            len: input.len(),
            peak: p,
        };
    }
}

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random inputs made of the pieces that cost memory: tuple headers with
/// counts near what the rest can back, empty tuples, exceptions, big
/// counts, `None`s.
fn random_input(rng: &mut Rng) -> Vec<u8> {
    let mut v = HEADER.to_vec();
    let pieces = 1 + rng.below(400);
    for _ in 0..pieces {
        match rng.below(6) {
            0..=2 => {
                v.push(tag::TUPLE);
                let claim = match rng.below(4) {
                    0 => rng.below(4),
                    1 => 60 + rng.below(8),
                    2 => rng.below(200),
                    _ => rng.below(5000),
                };
                varint(claim, &mut v);
            }
            3 => v.extend_from_slice(&[tag::EXCEPTION, 0, 0, 0, 0, 0, 0]),
            _ => {
                let n = rng.below(100) as usize;
                v.resize(v.len() + n, tag::NONE);
            }
        }
    }
    v
}

#[test]
fn decoding_allocates_within_the_documented_bound() {
    let mut worst = [(); 2].map(|()| Worst {
        ratio: 0.0,
        what: String::new(),
        len: 0,
        peak: 0,
    });
    let claims = [
        0u64, 1, 2, 3, 4, 5, 7, 8, 15, 16, 31, 32, 63, 64, 65, 100, 127, 128, 129, 200, 1000, 5000,
    ];
    for depth in [1usize, 2, 3, 8, 9, 64, 128, 512, MAX_DEPTH - 1, MAX_DEPTH] {
        for &claim in &claims {
            // Just enough trailing bytes for the innermost claim to pass its
            // length check, and a few other amounts around it.
            for filler in [claim as usize, claim as usize + 1, 2 * claim as usize, 1, 0] {
                let input = nested(depth, claim, filler);
                measure(
                    &mut worst,
                    || {
                        format!(
                            "{depth} nested tuple headers claiming {claim} items, {filler} Nones"
                        )
                    },
                    &input,
                );
            }
        }
    }
    for n in [1usize, 2, 8, 63, 64, 65, 1000] {
        let mut flat = HEADER.to_vec();
        flat.push(tag::TUPLE);
        varint(n as u64, &mut flat);
        let mut singles = flat.clone();
        flat.resize(flat.len() + n, tag::NONE);
        measure(&mut worst, || format!("tuple of {n} Nones"), &flat);
        for _ in 0..n {
            singles.extend_from_slice(&[tag::TUPLE, 1, tag::NONE]);
        }
        measure(&mut worst, || format!("tuple of {n} 1-tuples"), &singles);
        measure(
            &mut worst,
            || format!("tuple of {n} empty exceptions"),
            &exceptions(n),
        );
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2000 {
        let input = random_input(&mut rng);
        measure(
            &mut worst,
            || format!("random input {:02x?}", input),
            &input,
        );
    }
    let [invalid, valid] = &worst;
    for (w, kind) in [(valid, "valid"), (invalid, "invalid")] {
        println!(
            "worst {kind} input: {:.1} bytes per input byte ({} bytes peak for {} input bytes): {}",
            w.ratio, w.peak, w.len, w.what
        );
        assert!(
            w.ratio <= BYTES_PER_INPUT_BYTE as f64,
            "{:.1} bytes per input byte > {BYTES_PER_INPUT_BYTE} ({} bytes peak for {} input bytes): {}",
            w.ratio,
            w.peak,
            w.len,
            w.what
        );
    }
}
