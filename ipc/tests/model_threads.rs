//! The algorithm over the model region with real threads: what Miri runs
//! (`cargo +nightly miri test -p xikernel-ipc --test model_threads`; the
//! shared-memory segment needs memfd/mmap/futex, which Miri does not
//! emulate). Miri checks every access to the data words and header for
//! races and UB while threads push, pop, batch and crash.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

use std::thread;

use xikernel_ipc::__private::{ModelSegment, Raw, RawQueue, Step, VecSink};
use xikernel_ipc::{Batch, PopError, Wait};

/// Small under Miri (slow), larger natively.
const N: u8 = if cfg!(miri) { 8 } else { 200 };

fn msg(p: u8, i: u8) -> Vec<u8> {
    let mut m = vec![p, i];
    m.extend((0..i % 19).map(|k| p ^ i ^ k));
    m
}

fn check(m: &[u8]) -> (u8, u8) {
    assert_eq!(m, &msg(m[0], m[1])[..], "torn message");
    (m[0], m[1])
}

#[test]
fn threads_push_pop_batches_exactly_once() {
    let seg = ModelSegment::new(96, 4, 4);
    let producers: Vec<_> = (0..2u8)
        .map(|p| {
            let q = RawQueue::new(ModelSegment::view(&seg, p as usize, None));
            thread::spawn(move || {
                for i in (0..N).step_by(2) {
                    let (a, b) = (msg(p, i), msg(p, i + 1));
                    q.push_many(&[&a, &b], &mut Wait::forever()).unwrap();
                }
            })
        })
        .collect();
    let consumer = {
        let q = RawQueue::new(ModelSegment::view(&seg, 2, None));
        thread::spawn(move || {
            let mut last = [None::<u8>; 2];
            let mut batch = Batch::new();
            let mut count = 0;
            loop {
                batch.clear();
                match q.pop_into(&mut batch, 3, &mut Wait::forever()) {
                    Ok(_) => {}
                    Err(Raw::Err(PopError::Closed)) => return count,
                    Err(e) => panic!("{e:?}"),
                }
                for m in batch.iter() {
                    let (p, i) = check(m);
                    assert!(last[p as usize].is_none_or(|l| l < i), "FIFO");
                    last[p as usize] = Some(i);
                    count += 1;
                }
            }
        })
    };
    for t in producers {
        t.join().unwrap();
    }
    let closer = RawQueue::new(ModelSegment::view(&seg, 3, None));
    closer.close(&mut Wait::forever()).unwrap();
    assert_eq!(consumer.join().unwrap(), 2 * N as usize);
}

/// A thread crashes at each step in turn while holding or near a lock; the
/// survivors finish (taking the dead thread's lock over) and every
/// published message arrives intact exactly once.
#[test]
fn crash_at_every_step() {
    for step in Step::ALL {
        let seg = ModelSegment::new(64, 4, 3);
        let producer_victim = matches!(
            step,
            Step::PushLocked
                | Step::PushHalfCopied
                | Step::PushCopied
                | Step::PushPublished
                | Step::PushUnlocked
        );
        let setup = RawQueue::new(ModelSegment::view(&seg, 2, None));
        setup
            .try_push_many(&[&msg(9, 0)], &mut Wait::forever())
            .unwrap();
        let victim = RawQueue::new(ModelSegment::view(&seg, 0, Some(step)));
        let v = thread::spawn(move || {
            if producer_victim {
                victim
                    .push_many(&[&msg(0, 7)], &mut Wait::forever())
                    .map_err(|(_, e)| e)
                    .map(drop)
            } else {
                let mut s = VecSink(None);
                victim
                    .try_pop_into(&mut s, 1, &mut Wait::forever())
                    .map(drop)
                    .map_err(|_| Raw::Crashed)
            }
        });
        let other = RawQueue::new(ModelSegment::view(&seg, 1, None));
        other
            .push_many(&[&msg(1, 1)], &mut Wait::forever())
            .unwrap();
        assert_eq!(v.join().unwrap(), Err(Raw::Crashed), "{step:?}");
        let mut got = Vec::new();
        loop {
            let mut s = VecSink(None);
            match other.try_pop_into(&mut s, 1, &mut Wait::forever()) {
                Ok(_) => got.push(check(&s.0.unwrap())),
                Err(Raw::Err(PopError::Empty)) => break,
                Err(e) => panic!("{step:?}: {e:?}"),
            }
        }
        got.sort_unstable();
        let mut want = vec![(1, 1)];
        if !(matches!(step, Step::PopPublished | Step::PopUnlocked)) {
            want.push((9, 0));
        }
        if matches!(step, Step::PushPublished | Step::PushUnlocked) {
            want.push((0, 7));
        }
        want.sort_unstable();
        assert_eq!(got, want, "{step:?}");
    }
}
