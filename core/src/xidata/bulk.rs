//! Copying a decoded payload out of the message without the 4K-aliasing
//! stall.
//!
//! An owned decode copies each str / bytes payload into a fresh `Vec`.
//! Where malloc puts that `Vec` is up to the heap: a 64 KiB output placed
//! right after the 64 KiB message it came from lands 9 bytes past the
//! payload modulo 4096 (the chunk header minus the payload's offset), and
//! glibc's forward memcpy then runs ~20x slower on this CPU (Zen 3; Intel
//! has the same hazard): each load of `src + k + d` looks, by its low 12
//! address bits, like the store to `dst + k` still in flight, and waits for
//! it. Measured (64 KiB, 16-byte aligned dst, forward memcpy vs the
//! backward copy below): d = 9: 37 us vs 2.5 us; d = 25: 30 us vs 1.7 us;
//! d >= 41: 1.5 us both.
//!
//! A backward copy turns the hazard around (each load then trails the
//! stores it could be confused with by 4096 - d bytes), so we pick the
//! direction from the distance: forward memcpy normally, 64-byte blocks
//! from the end when `dst` sits just past `src` modulo 4096. One pass
//! either way; nothing is zeroed first.

use alloc::vec::Vec;

/// Payloads shorter than this are copied forward regardless: the stall
/// needs a long run of in-flight stores.
const BULK: usize = 4096;
/// Forward copies stall when `(dst - src) mod 4096` is below this (measured
/// up to 25, clean from 41; a margin on top).
const WINDOW: usize = 64;
const BLOCK: usize = 64;

/// `src` copied into a new exactly sized vector, in one pass.
#[inline]
pub(crate) fn to_vec(src: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(src.len());
    let d = (v.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize) % 4096;
    if src.len() < BULK || d >= WINDOW {
        v.extend_from_slice(src);
    } else {
        copy_backward(&mut v, src);
    }
    v
}

#[cold]
fn copy_backward(v: &mut Vec<u8>, src: &[u8]) {
    let n = src.len();
    let dst = &mut v.spare_capacity_mut()[..n];
    let mut d_blocks = dst.rchunks_exact_mut(BLOCK);
    let mut s_blocks = src.rchunks_exact(BLOCK);
    for (d, s) in (&mut d_blocks).zip(&mut s_blocks) {
        // SAFETY: (1) `d` and `s` are both exactly BLOCK bytes long (exact
        // chunks), `d` is spare capacity of a vector we own exclusively and
        // `s` a shared slice of other memory (the message), so the ranges
        // are valid, non-overlapping, and `u8` has no alignment needs.
        unsafe { core::ptr::copy_nonoverlapping(s.as_ptr(), d.as_mut_ptr().cast::<u8>(), BLOCK) };
    }
    let (d, s) = (d_blocks.into_remainder(), s_blocks.remainder());
    // SAFETY: (2) the remainders of two equally long slices chunked alike
    // have the same length (< BLOCK); validity and disjointness as in (1).
    unsafe { core::ptr::copy_nonoverlapping(s.as_ptr(), d.as_mut_ptr().cast::<u8>(), s.len()) };
    // SAFETY: (3) the blocks and the remainder cover `dst[..n]` exactly
    // once, so the first `n <= capacity` bytes are initialised.
    unsafe { v.set_len(n) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions_copy_exactly() {
        for n in [0, 1, 63, 64, 65, 4095, 4096, 4097, 70_001] {
            let src: Vec<u8> = (0..n).map(|i| (i * 7 + 3) as u8).collect();
            assert_eq!(to_vec(&src), src);
            let mut v = Vec::with_capacity(n);
            copy_backward(&mut v, &src);
            assert_eq!(v, src);
        }
    }
}
