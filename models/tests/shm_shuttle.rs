#![cfg(feature = "shuttle")]
//! shuttle models of the shared-memory queue (`xikernel-ipc`): three
//! producers and two consumers (threads standing in for processes) on a
//! small ring, blocking pushes and pops in single and batch form, `close`
//! after the producers, and in most runs one participant crashing at a
//! random step of a random one of its operations. After every run: every
//! completed push received exactly once, a crashed producer's message
//! received exactly when its publishing store happened, a crashed
//! consumer losing at most the messages of the pop it died in (one, or
//! one batch) and only after its taking store, nothing torn,
//! FIFO per producer in each consumer's sequence, and no participant
//! blocked forever (shuttle reports a deadlock).
//!
//! Shuttle treats every atomic as SeqCst: these models find logic races,
//! lost wake-ups and missing recoveries; `shm_loom` finds ordering bugs.

mod shm_common;

use shm_common::*;
use shuttle::rand::{thread_rng, RngCore};
use shuttle::thread;
use xikernel_ipc::__private::{ModelSegment, Raw, RawQueue, Step};
use xikernel_ipc::{Batch, PopError, Wait};
use xikernel_models::shuttle_check;

const PRODUCERS: usize = 3;
const CONSUMERS: usize = 2;
const PER_PRODUCER: u8 = 6;

/// Who crashes where: participant, step, which occurrence of the step.
type Crash = Option<(usize, Step, usize)>;

fn pick_crash() -> Crash {
    let mut rng = thread_rng();
    if rng.next_u32() % 5 == 0 {
        return None;
    }
    let who = rng.next_u32() as usize % (PRODUCERS + CONSUMERS);
    let steps: Vec<Step> = Step::ALL
        .into_iter()
        .filter(|s| is_push_step(*s) == (who < PRODUCERS))
        .collect();
    let step = steps[rng.next_u32() as usize % steps.len()];
    Some((who, step, rng.next_u32() as usize % 3))
}

fn run(batched: bool) {
    let crash = pick_crash();
    let seg = ModelSegment::new(64, 3, PRODUCERS + CONSUMERS + 1);
    let view = |who: usize| {
        let (step, nth) = match crash {
            Some((w, s, n)) if w == who => (Some(s), n),
            _ => (None, 0),
        };
        RawQueue::new(ModelSegment::view_nth(&seg, who, step, nth))
    };
    // Producer p pushes its messages (in pairs when batched); returns how
    // many completed and whether it crashed.
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let q = view(p);
            thread::spawn(move || {
                let mut done = 0u8;
                while done < PER_PRODUCER {
                    let n = if batched { 2 } else { 1 };
                    let msgs: Vec<Vec<u8>> = (done..done + n).map(|i| msg(p as u8, i)).collect();
                    let refs: Vec<&[u8]> = msgs.iter().map(|m| &m[..]).collect();
                    match q.push_many(&refs, &mut Wait::forever()) {
                        Ok(()) => done += n,
                        Err((k, Raw::Crashed)) => return (done + k as u8, true),
                        Err((_, e)) => panic!("producer {p}: {e:?}"),
                    }
                }
                (done, false)
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|c| {
            let q = view(PRODUCERS + c);
            thread::spawn(move || {
                let mut got = Vec::new();
                let mut batch = Batch::new();
                loop {
                    let r = if batched {
                        batch.clear();
                        pop_many(&q, &mut batch, 2)
                            .map(|_| got.extend(batch.iter().map(<[u8]>::to_vec)))
                    } else {
                        pop(&q).map(|m| got.push(m))
                    };
                    match r {
                        Ok(()) => {}
                        Err(Raw::Err(PopError::Closed)) => return (got, None),
                        // Died holding what it had copied out (lost if its
                        // taking store happened).
                        Err(Raw::Crashed) => return (got, Some(batch.len().max(1))),
                        Err(e) => panic!("consumer {c}: {e:?}"),
                    }
                }
            })
        })
        .collect();
    let pushed: Vec<(u8, bool)> = producers.into_iter().map(|t| t.join().unwrap()).collect();
    let closer = view(PRODUCERS + CONSUMERS);
    closer.close(&mut Wait::forever()).unwrap();
    let results: Vec<(Vec<Vec<u8>>, Option<usize>)> =
        consumers.into_iter().map(|t| t.join().unwrap()).collect();
    // A crashed consumer's remaining messages are drained by the other;
    // if the crash left messages behind after both stopped, drain them.
    let (rest, end) = drain(&closer);
    assert_eq!(end, Raw::Err(PopError::Closed));
    let mut all: Vec<(u8, u8)> = Vec::new();
    for (got, _) in &results {
        assert_fifo(got);
        all.extend(got.iter().map(|m| decode(m)));
    }
    assert_fifo(&rest);
    all.extend(rest.iter().map(|m| decode(m)));
    all.sort_unstable();
    let len = all.len();
    all.dedup();
    assert_eq!(all.len(), len, "a message was received twice");
    // What must have arrived, per producer.
    // Messages a crashed consumer took with it (its whole last batch).
    let lost = match crash {
        Some((w, step, _)) if w >= PRODUCERS && pop_taken(step) => {
            results[w - PRODUCERS].1.unwrap_or(0)
        }
        _ => 0,
    };
    let consumer_lost = lost > 0;
    let mut want = 0;
    for (p, &(done, crashed)) in pushed.iter().enumerate() {
        let got: Vec<u8> = all.iter().filter(|m| m.0 == p as u8).map(|m| m.1).collect();
        // Completed pushes, plus what the crashed call published if it
        // got that far: one message, or a prefix of its batch (the ones
        // that fit), at least one.
        let published = match crash {
            Some((w, step, _)) if w == p && crashed && push_published(step) => {
                let most = if batched { done + 2 } else { done + 1 };
                let n = (got.len() as u8).clamp(done + 1, most);
                assert!(
                    consumer_lost || got.len() as u8 == n,
                    "p{p}: {got:?} crash {crash:?}"
                );
                n
            }
            _ => done,
        };
        let published = published.min(PER_PRODUCER);
        want += published as usize;
        // Everything received is a prefix of what was published, in order,
        // less at most one message a crashed consumer took.
        assert!(
            got.iter().all(|&i| i < published),
            "unpublished message received: p{p} {got:?}"
        );
        if !consumer_lost {
            assert_eq!(
                got.len(),
                published as usize,
                "p{p}: {got:?} crash {crash:?}"
            );
        }
    }
    let expect = want - lost;
    assert_eq!(len, expect, "crash {crash:?}");
}

fn pop_many(q: &Q, batch: &mut Batch, max: usize) -> Result<usize, Raw<PopError>> {
    q.pop_into(batch, max, &mut Wait::forever())
}

#[test]
fn producers_consumers_with_a_random_crash() {
    shuttle_check(|| run(false));
}

#[test]
fn batches_with_a_random_crash() {
    shuttle_check(|| run(true));
}
