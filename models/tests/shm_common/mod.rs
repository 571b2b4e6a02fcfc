//! Helpers shared by `shm_loom` and `shm_shuttle`: the shared-memory
//! queue's algorithm (`RawQueue`) over the model region, where threads
//! stand in for processes and a crash point stops one forever.
#![allow(dead_code)]

use xikernel::__private::sync::Arc;
use xikernel_ipc::__private::{ModelRegion, ModelSegment, Raw, RawQueue, Step, VecSink};
use xikernel_ipc::{PopError, PushError, Wait};

pub type Q = RawQueue<ModelRegion>;

/// Participant `who`'s queue handle on `seg`, crashing at `crash` if given.
pub fn handle(seg: &Arc<ModelSegment>, who: usize, crash: Option<Step>) -> Q {
    RawQueue::new(ModelSegment::view(seg, who, crash))
}

/// Message `i` of producer `p`: 2 to 4 bytes, self-describing, so a torn
/// or mixed-up message is detected.
pub fn msg(p: u8, i: u8) -> Vec<u8> {
    let mut m = vec![p, i];
    m.extend((0..i % 3).map(|k| p ^ i ^ (k + 0x5A)));
    m
}

/// `(producer, index)` of a received message, checking it is intact.
pub fn decode(m: &[u8]) -> (u8, u8) {
    assert!(m.len() >= 2, "torn message {m:?}");
    let (p, i) = (m[0], m[1]);
    assert_eq!(m, &msg(p, i)[..], "torn or mixed message");
    (p, i)
}

/// Checks FIFO per producer in one consumer's sequence of messages.
pub fn assert_fifo(got: &[Vec<u8>]) {
    let mut last = [None::<u8>; 256];
    for m in got {
        let (p, i) = decode(m);
        assert!(
            last[p as usize].is_none_or(|l| l < i),
            "FIFO per producer: {got:?}"
        );
        last[p as usize] = Some(i);
    }
}

/// Blocking push.
pub fn push(q: &Q, m: &[u8]) -> Result<(), Raw<PushError>> {
    q.push_many(&[m], &mut Wait::forever()).map_err(|(_, e)| e)
}

/// Non-blocking push.
pub fn try_push(q: &Q, m: &[u8]) -> Result<(), Raw<PushError>> {
    q.try_push_many(&[m], &mut Wait::forever()).map(drop)
}

/// Blocking pop.
pub fn pop(q: &Q) -> Result<Vec<u8>, Raw<PopError>> {
    let mut s = VecSink(None);
    q.pop_into(&mut s, 1, &mut Wait::forever())?;
    Ok(s.0.expect("a popped message"))
}

/// Non-blocking pop.
pub fn try_pop(q: &Q) -> Result<Vec<u8>, Raw<PopError>> {
    let mut s = VecSink(None);
    q.try_pop_into(&mut s, 1, &mut Wait::forever())?;
    Ok(s.0.expect("a popped message"))
}

/// Pops until the queue reports why not.
pub fn drain(q: &Q) -> (Vec<Vec<u8>>, Raw<PopError>) {
    let mut got = Vec::new();
    loop {
        match try_pop(q) {
            Ok(m) => got.push(m),
            Err(e) => return (got, e),
        }
    }
}

/// True for the steps after which a push has published its message.
pub fn push_published(step: Step) -> bool {
    matches!(step, Step::PushPublished | Step::PushUnlocked)
}

/// True for the steps after which a pop has taken its message.
pub fn pop_taken(step: Step) -> bool {
    matches!(step, Step::PopPublished | Step::PopUnlocked)
}

/// True for push steps.
pub fn is_push_step(step: Step) -> bool {
    matches!(
        step,
        Step::PushLocked
            | Step::PushHalfCopied
            | Step::PushCopied
            | Step::PushPublished
            | Step::PushUnlocked
    )
}
