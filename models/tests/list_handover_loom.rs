#![cfg(feature = "loom")]
//! list: with 3-slot blocks, a block's destruction handed on from reader to reader (multi-hop) frees it exactly once and never under a reader.
//!
//! loom models of the list's block reclamation with 3-slot blocks.
//! The reader of a block's last slot starts freeing it; the first slot it
//! finds still being read gets `DESTROY`, and that slot's reader continues
//! the walk from the next slot (`core/src/list/block.rs`). With the 2-slot
//! blocks of the other list models the walk has one slot to look at, so a
//! reader that takes over never walks on. With 3 slots it does: the reader
//! of slot 0 takes over while slot 1 is still being read, marks it, and
//! hands the block on a second time. A free under a reader (or a block
//! never freed) is reported by the list's own liveness cell and leak check
//! under loom.
//!
//! Run: `cargo test --release --features loom -p xikernel-models --test list_handover_loom`

use loom::sync::Arc;
use loom::thread;
use xikernel::List;
use xikernel_models::{loom_model, loom_model_capped};

/// Values per block in these models: the smallest block with a multi-hop
/// hand-over.
const CAP: usize = 3;

#[test]
fn three_readers_of_one_block_hand_its_destruction_on() {
    // The block's three values are queued up front (the third push installs
    // the next block); three consumers each pop one, so all three slots can
    // be read at once and every order of finishing is explored: the
    // last-slot reader frees at once, or hands over to slot 0's reader,
    // which frees or hands over again to slot 1's.
    loom_model(|| {
        let list = Arc::new(List::with_block_cap(CAP));
        for v in 0..CAP {
            list.try_push(v).unwrap();
        }
        let others: Vec<_> = (0..CAP - 1)
            .map(|_| {
                let list = list.clone();
                thread::spawn(move || list.try_pop().unwrap())
            })
            .collect();
        let mut got = vec![list.try_pop().unwrap()];
        got.extend(others.into_iter().map(|t| t.join().unwrap()));
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2], "each value exactly once");
        assert!(list.is_empty());
    });
}

#[test]
fn hand_over_while_the_next_block_is_written() {
    // Three readers of the first block race a producer writing into the
    // second: the hand-over runs while the block it leaves is being
    // written. The main thread is the third reader.
    // Capped at 3 for the campaign's time: 90 s at bound 3 here, and the
    // bug this file is for is found at bound 2 by the model above.
    loom_model_capped(3, || {
        let list = Arc::new(List::with_block_cap(CAP));
        for v in 0..CAP {
            list.try_push(v).unwrap();
        }
        let readers: Vec<_> = (0..CAP - 1)
            .map(|_| {
                let list = list.clone();
                thread::spawn(move || list.try_pop().unwrap())
            })
            .collect();
        let producer = {
            let list = list.clone();
            thread::spawn(move || list.try_push(CAP).unwrap())
        };
        let mut got = vec![list.try_pop().unwrap()];
        got.extend(readers.into_iter().map(|t| t.join().unwrap()));
        producer.join().unwrap();
        while let Ok(v) = list.try_pop() {
            got.push(v);
        }
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2, 3], "each value exactly once");
    });
}
