//! Helpers shared by `ring_loom` and `ring_shuttle` (the primitives come
//! from `xikernel::sync`, so they are loom's or shuttle's by feature).

use xikernel::__private::sync::{Arc, AtomicUsize, Ordering};
use xikernel::PopError;
use xikernel::Ring;

/// Pops until `Empty`/`Closed` on a quiescent ring (after all joins).
pub fn drain(ring: &Ring<usize>) -> (Vec<usize>, PopError) {
    let mut out = Vec::new();
    loop {
        match ring.try_pop() {
            Ok(v) => out.push(v),
            Err(e) => return (out, e),
        }
    }
}

/// A value that counts its drops in a shared counter.
pub struct Counted(pub Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}
