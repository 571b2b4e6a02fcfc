//! The kernel-level channel cases of the behavioural catalogue, part 2:
//! §6.5 blocking send, close and release (`cpython-xi-semantics.md`),
//! one test per case, named
//! `c<NN>_<upstream test>`. Interpreters are simulated by ids; "destroying"
//! one is `clear_interpreter`. Cases that need a Python runtime are listed
//! in `docs/catalogue.md` with the reason.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

#[path = "channel_common.rs"]
mod common;

use std::thread;
use std::time::Duration;

use common::{assert_closed, fresh, recv, send, Got, Tracked};
use xikernel::channel::{
    ChannelError::*, ChannelId, Channels, End, ErrorClass, UnboundOp::Replace,
};
use xikernel::interp::{InterpId, MAIN};
use xikernel::wait::Wait;

const I1: InterpId = InterpId(1);
const I2: InterpId = InterpId(2);

#[test]
fn c75_blocking_send_returns_once_received() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    thread::scope(|s| {
        let sender = s.spawn(|| {
            ch.send_wait(MAIN, cid, l.item("spam"), Replace, Wait::forever())
                .map_err(|e| e.error())
        });
        // With or without the sender already waiting: poll until it is queued.
        while ch.len(cid) != Ok(1) {
            thread::yield_now();
        }
        assert_eq!(recv(&ch, I1, cid), Ok(Got::Item("spam")));
        assert_eq!(sender.join().unwrap(), Ok(()));
    });
}

#[test]
fn c76_blocking_send_timeout_withdraws() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    let r = ch
        .send_wait(
            MAIN,
            cid,
            l.item("spam"),
            Replace,
            Wait::timeout(Duration::from_millis(100)),
        )
        .map_err(|e| e.error());
    assert_eq!(r, Err(Timeout(cid)));
    assert_eq!(r.unwrap_err().to_string(), "timed out");
    assert_eq!(recv(&ch, MAIN, cid), Err(Empty(cid)), "item withdrawn");
    assert_eq!(l.live(), 0, "withdrawn item released");
    // timeout 0 with a blocking send: immediate TimeoutError
    assert_eq!(
        ch.send_wait(
            MAIN,
            cid,
            l.item("zero"),
            Replace,
            Wait::timeout(Duration::ZERO)
        )
        .map_err(|e| e.error()),
        Err(Timeout(cid))
    );
    // with a receiver: success
    thread::scope(|s| {
        s.spawn(|| ch.recv_wait(I1, cid, Wait::forever()).map(drop).unwrap());
        let r = ch
            .send_wait(
                MAIN,
                cid,
                l.item("eggs"),
                Replace,
                Wait::timeout(Duration::from_secs(60)),
            )
            .map_err(|e| e.error());
        assert_eq!(r, Ok(()));
    });
    l.assert_all_released_once();
}

#[test]
fn c77_force_close_wakes_blocked_sender() {
    for timeout in [None, Some(Duration::from_secs(60))] {
        let (ch, l) = fresh();
        let cid = ch.create(Replace).unwrap();
        thread::scope(|s| {
            let sender = s.spawn(|| {
                ch.send_wait(MAIN, cid, l.item("spam"), Replace, Wait::from(timeout))
                    .map_err(|e| e.error())
            });
            while ch.len(cid) != Ok(1) {
                thread::yield_now();
            }
            ch.close(cid, End::Both, true).unwrap();
            let err = sender.join().unwrap().unwrap_err();
            assert_eq!(err, HasClosed(cid));
            assert_eq!(err.class(), ErrorClass::ChannelClosedError);
            assert_eq!(err.to_string(), "channel 0 has closed");
        });
        l.assert_all_released_once();
    }
}

#[test]
fn c78_close_after_use_seen_everywhere() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "spam").unwrap();
    recv(&ch, MAIN, cid).unwrap();
    ch.close(cid, End::Both, false).unwrap();
    assert_closed(&ch, &l, cid);
    for other in [I1, I2] {
        assert_eq!(send(&ch, &l, other, cid, "x"), Err(Closed(cid)));
        assert_eq!(recv(&ch, other, cid), Err(Closed(cid)));
    }
    assert_eq!(
        ch.close(cid, End::Both, false),
        Err(Closed(cid)),
        "closing twice"
    );
    l.assert_all_released_once();
}

#[test]
fn c79_close_empty_any_combination() {
    for (send_f, recv_f) in [(false, false), (true, false), (false, true), (true, true)] {
        let (ch, l) = fresh();
        let cid = ch.create(Replace).unwrap();
        send(&ch, &l, MAIN, cid, "spam").unwrap();
        recv(&ch, MAIN, cid).unwrap();
        ch.close(cid, End::from_flags(send_f, recv_f), false)
            .unwrap();
        assert_closed(&ch, &l, cid);
    }
}

#[test]
fn c80_close_with_pending_items() {
    let (ch, l) = fresh();
    let setup = |ch: &Channels<Tracked>| {
        let cid = ch.create(Replace).unwrap();
        send(ch, &l, MAIN, cid, "spam").unwrap();
        send(ch, &l, MAIN, cid, "ham").unwrap();
        cid
    };
    // close() -> NotEmpty, channel still usable
    let cid = setup(&ch);
    let err = ch.close(cid, End::Both, false).unwrap_err();
    assert_eq!(err, NotEmpty(cid));
    assert_eq!(
        err.to_string(),
        format!("channel {cid} may not be closed if not empty (try force=True)")
    );
    send(&ch, &l, MAIN, cid, "eggs").unwrap();
    assert_eq!(ch.len(cid), Ok(3));
    // close(recv) -> NotEmpty, succeeds after draining
    let cid = setup(&ch);
    assert_eq!(ch.close(cid, End::Recv, false), Err(NotEmpty(cid)));
    recv(&ch, MAIN, cid).unwrap();
    recv(&ch, MAIN, cid).unwrap();
    ch.close(cid, End::Recv, false).unwrap();
    assert_closed(&ch, &l, cid);
    // close(send) -> closing: sends fail, receivers drain, then closed
    let cid = setup(&ch);
    ch.close(cid, End::Send, false).unwrap();
    let info = ch.info(MAIN, cid).unwrap();
    assert!(info.closing && !info.open && !info.closed);
    assert_eq!(send(&ch, &l, MAIN, cid, "x"), Err(Closed(cid)));
    assert_eq!(recv(&ch, I1, cid), Ok(Got::Item("spam")));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("ham")));
    assert_eq!(recv(&ch, MAIN, cid), Err(Closed(cid)));
    // close(send, recv) -> NotEmpty
    let cid = setup(&ch);
    assert_eq!(
        ch.close(cid, End::from_flags(true, true), false),
        Err(NotEmpty(cid))
    );
    drop(ch);
    l.assert_all_released_once();
}

#[test]
fn c80_closing_send_twice_and_recv_close_while_closing() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "spam").unwrap();
    ch.close(cid, End::Send, false).unwrap();
    assert_eq!(ch.close(cid, End::Send, false), Err(Closed(cid)));
    assert_eq!(ch.close(cid, End::Recv, false), Err(NotEmpty(cid)));
    ch.close(cid, End::Send, true).unwrap();
    assert_closed(&ch, &l, cid);
    l.assert_all_released_once();
}

#[test]
fn c81_force_close_with_items() {
    for end in [End::Recv, End::Send, End::Both] {
        let (ch, l) = fresh();
        let cid = ch.create(Replace).unwrap();
        send(&ch, &l, MAIN, cid, "spam").unwrap();
        send(&ch, &l, MAIN, cid, "ham").unwrap();
        ch.close(cid, end, true).unwrap();
        assert_eq!(l.live(), 0, "the forced close released both items");
        assert_closed(&ch, &l, cid);
        l.assert_all_released_once();
    }
}

#[test]
fn c82_close_never_used() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    ch.close(cid, End::Both, false).unwrap();
    assert_closed(&ch, &l, cid);
}

#[test]
fn c83_force_close_by_unassociated_interp() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "spam").unwrap();
    ch.close(cid, End::Both, true).unwrap(); // performed "in" I1: close takes no interp
    assert_closed(&ch, &l, cid);
    assert_eq!(ch.close(cid, End::Both, false), Err(Closed(cid)));
}

#[test]
fn c84_force_close_after_sends_and_one_recv() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    for t in ["spam", "ham", "eggs"] {
        send(&ch, &l, MAIN, cid, t).unwrap();
    }
    recv(&ch, MAIN, cid).unwrap();
    ch.close(cid, End::Both, true).unwrap();
    assert_closed(&ch, &l, cid);
    l.assert_all_released_once();
}

#[test]
fn c85_list_interpreters_errors() {
    let (ch, _) = fresh();
    assert_eq!(
        ch.list_interpreters(ChannelId(1000), true),
        Err(NotFound(ChannelId(1000)))
    );
    let cid = ch.create(Replace).unwrap();
    ch.close(cid, End::Both, false).unwrap();
    assert_eq!(ch.list_interpreters(cid, false), Err(Closed(cid)));
}

#[test]
fn c86_release_single_user() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "spam").unwrap();
    recv(&ch, MAIN, cid).unwrap();
    ch.release(MAIN, cid, End::Both).unwrap();
    assert_closed(&ch, &l, cid);
}

#[test]
fn c87_release_multiple_users() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, I1, cid, "spam").unwrap();
    assert_eq!(recv(&ch, I2, cid), Ok(Got::Item("spam")));
    ch.release(I2, cid, End::Both).unwrap();
    ch.release(I1, cid, End::Both).unwrap();
    assert_closed(&ch, &l, cid);
}

#[test]
fn c88_release_no_kwargs_is_both() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "spam").unwrap();
    recv(&ch, MAIN, cid).unwrap();
    ch.release(MAIN, cid, End::from_flags(false, false))
        .unwrap();
    assert_closed(&ch, &l, cid);
}

#[test]
fn c89_release_multiple_times() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "spam").unwrap();
    recv(&ch, MAIN, cid).unwrap();
    ch.release(MAIN, cid, End::Both).unwrap();
    assert_eq!(ch.release(MAIN, cid, End::Both), Err(Closed(cid)));
}

#[test]
fn c90_release_with_unused_items() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "spam").unwrap();
    send(&ch, &l, MAIN, cid, "ham").unwrap();
    ch.release(MAIN, cid, End::Both).unwrap();
    assert_eq!(recv(&ch, MAIN, cid), Err(Closed(cid)));
    assert_eq!(l.live(), 0, "stranded items are released at the close");
}

#[test]
fn c91_release_never_used() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    ch.release(MAIN, cid, End::Both).unwrap();
    assert_closed(&ch, &l, cid);
}

#[test]
fn c92_release_by_unassociated_interp() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "spam").unwrap();
    ch.release(I1, cid, End::Both).unwrap();
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("spam")));
    ch.release(MAIN, cid, End::Both).unwrap();
    assert_eq!(send(&ch, &l, MAIN, cid, "eggs"), Err(Closed(cid)));
}

#[test]
fn c93_close_if_unassociated() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, I1, cid, "spam").unwrap();
    ch.release(I1, cid, End::Both).unwrap();
    assert_eq!(recv(&ch, MAIN, cid), Err(Closed(cid)));
    l.assert_all_released_once();
}

#[test]
fn c94_release_partially() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "None").unwrap();
    recv(&ch, MAIN, cid).unwrap();
    send(&ch, &l, MAIN, cid, "spam").unwrap();
    ch.release(MAIN, cid, End::Send).unwrap();
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("spam")));
}

#[test]
fn c95_used_multiple_times_by_single_user() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    for t in ["spam", "spam", "spam"] {
        send(&ch, &l, MAIN, cid, t).unwrap();
    }
    recv(&ch, MAIN, cid).unwrap();
    ch.release(MAIN, cid, End::Both).unwrap();
    assert_closed(&ch, &l, cid);
    l.assert_all_released_once();
}
