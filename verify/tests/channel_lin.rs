//! channel: send / recv / send-and-wait / close / release linearizable against the reference model (std threads), and the spec rejects impossible histories.

use xikernel::channel::End;
use xikernel::interp::InterpId;
use xikernel_verify::history::History;
use xikernel_verify::lin::channel_spec::{ChOp, ChRet, ChannelSpec, ErrKind};
use xikernel_verify::lin::{check, Verdict};
use xikernel_verify::stress_channel::{stress, ChannelRound, Waits};

const A: InterpId = InterpId(1);

fn ok(got: Option<u64>, released: &[u64]) -> ChRet {
    ChRet::Ok {
        got,
        released: released.to_vec(),
    }
}

fn err(kind: ErrKind, released: &[u64]) -> ChRet {
    ChRet::Err {
        kind,
        released: released.to_vec(),
    }
}

#[test]
fn concurrent_rounds_are_linearizable() {
    let cfg = ChannelRound {
        threads: 4,
        ops_per_thread: 50,
        waits: Waits::Timed,
    };
    let r = stress(cfg, 8, 7);
    if let Some((seed, Verdict::NotLinearizable(cx))) = &r.failure {
        panic!("round seed {seed}: {cx}");
    }
    assert!(r.failure.is_none(), "{:?}", r.failure);
    assert!(!r.too_many_inconclusive(), "{r:?}");
}

/// A send-and-wait that returned Ok although nobody received its item.
#[test]
fn settle_ok_without_a_receive_is_rejected() {
    let mut h = History::new();
    h.push(
        0,
        0,
        ChOp::SendWait { who: A, token: 5 },
        ok(None, &[]),
        0,
        3,
    );
    h.push(0, 0, ChOp::Settle { token: 5 }, ok(None, &[]), 0, 3);
    h.push(1, 0, ChOp::Recv { who: A }, err(ErrKind::Empty, &[]), 4, 5);
    assert!(matches!(
        check(&ChannelSpec::new(), &h),
        Verdict::NotLinearizable(_)
    ));
}

/// The same call, received concurrently: explainable.
#[test]
fn settle_ok_after_a_concurrent_receive_is_accepted() {
    let mut h = History::new();
    h.push(
        0,
        0,
        ChOp::SendWait { who: A, token: 5 },
        ok(None, &[]),
        0,
        3,
    );
    h.push(0, 0, ChOp::Settle { token: 5 }, ok(None, &[]), 0, 3);
    h.push(1, 0, ChOp::Recv { who: A }, ok(Some(5), &[]), 1, 2);
    assert!(check(&ChannelSpec::new(), &h).is_linearizable());
}

/// A forced close must release the queued item (a lost item otherwise).
#[test]
fn close_that_loses_an_item_is_rejected() {
    let mut h = History::new();
    h.push(0, 0, ChOp::Send { who: A, token: 1 }, ok(None, &[]), 0, 1);
    let close = ChOp::Close {
        end: End::Both,
        force: true,
    };
    h.push(0, 0, close, ok(None, &[]), 2, 3);
    assert!(matches!(
        check(&ChannelSpec::new(), &h),
        Verdict::NotLinearizable(_)
    ));
    let mut good = History::new();
    good.push(0, 0, ChOp::Send { who: A, token: 1 }, ok(None, &[]), 0, 1);
    good.push(0, 0, close, ok(None, &[1]), 2, 3);
    assert!(check(&ChannelSpec::new(), &good).is_linearizable());
}

/// A timed-out send-and-wait takes its item back: a later receive cannot
/// get it.
#[test]
fn withdrawn_item_cannot_be_received_later() {
    let mut h = History::new();
    h.push(
        0,
        0,
        ChOp::SendWait { who: A, token: 9 },
        ok(None, &[]),
        0,
        3,
    );
    h.push(
        0,
        0,
        ChOp::Settle { token: 9 },
        err(ErrKind::Timeout, &[9]),
        0,
        3,
    );
    h.push(1, 0, ChOp::Recv { who: A }, ok(Some(9), &[]), 4, 5);
    assert!(matches!(
        check(&ChannelSpec::new(), &h),
        Verdict::NotLinearizable(_)
    ));
}
