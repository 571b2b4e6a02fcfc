//! The kernel-level channel cases of the behavioural catalogue
//! (`cpython-xi-semantics.md` §6.4 and §6.5), one test per case, named
//! `c<NN>_<upstream test>`. Interpreters are simulated by ids; "destroying"
//! one is `clear_interpreter`. Cases that need a Python runtime are listed
//! in `docs/catalogue.md` with the reason.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

#[path = "channel_common.rs"]
mod common;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{got, Got, Ledger, Tracked};
use xikernel::channel::{
    ChannelError::{self, *},
    ChannelId, Channels, End, ErrorClass, Received, UnboundOp,
    UnboundOp::{Error as UError, Remove, Replace},
};
use xikernel::interp::{InterpId, MAIN};

const I1: InterpId = InterpId(1);
const I2: InterpId = InterpId(2);
const I3: InterpId = InterpId(3);

fn fresh() -> (Channels<Tracked>, Arc<Ledger>) {
    (Channels::new(), Ledger::new())
}

/// Sends `tag` from `who` without waiting.
fn send(
    ch: &Channels<Tracked>,
    l: &Arc<Ledger>,
    who: InterpId,
    cid: ChannelId,
    tag: &'static str,
) -> Result<(), ChannelError> {
    ch.send(who, cid, l.item(tag), Replace)
}

fn send_op(
    ch: &Channels<Tracked>,
    l: &Arc<Ledger>,
    who: InterpId,
    cid: ChannelId,
    tag: &'static str,
    op: UnboundOp,
) {
    ch.send(who, cid, l.item(tag), op).unwrap();
}

fn recv(ch: &Channels<Tracked>, who: InterpId, cid: ChannelId) -> Result<Got, ChannelError> {
    got(ch.recv(who, cid))
}

/// Asserts that both directions of `cid` report the channel closed.
fn assert_closed(ch: &Channels<Tracked>, l: &Arc<Ledger>, cid: ChannelId) {
    assert_eq!(send(ch, l, MAIN, cid, "late"), Err(Closed(cid)));
    assert_eq!(recv(ch, MAIN, cid), Err(Closed(cid)));
    assert!(ch.get_info(MAIN, cid).unwrap().closed);
}

// ---------------------------------------------------------------- §6.4

#[test]
fn c35_list_all() {
    let (ch, _) = fresh();
    assert!(ch.list_all().is_empty());
    let created: Vec<_> = (0..3).map(|_| ch.create(Replace).unwrap()).collect();
    let mut listed: Vec<_> = ch.list_all().into_iter().map(|(c, _)| c).collect();
    assert_eq!(listed.first(), created.last(), "newest first");
    listed.sort();
    assert_eq!(listed, created);
}

#[test]
fn c37_is_closed() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "spam").unwrap();
    recv(&ch, MAIN, cid).unwrap();
    ch.close(cid, End::Recv, false).unwrap();
    let info = ch.get_info(MAIN, cid).unwrap();
    // RecvChannel.is_closed = closed; SendChannel.is_closed = closed or closing.
    assert!(info.closed && !info.open);
}

#[test]
fn c39_send_recv_main() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "spam").unwrap();
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("spam")));
    l.assert_all_released_once();
}

#[test]
fn c41_send_recv_different_threads() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..2 {
                assert!(matches!(ch.recv_wait(I1, cid, None), Ok(Received::Item(_))));
            }
        });
        ch.send_wait(MAIN, cid, l.item("a"), Replace, None).unwrap();
        ch.send_wait(MAIN, cid, l.item("b"), Replace, None).unwrap();
    });
    l.assert_all_released_once();
}

#[test]
fn c42_recv_nowait_with_default() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    assert_eq!(
        got(ch.recv_or(MAIN, cid, l.item("default"))),
        Ok(Got::Item("default"))
    );
}

#[test]
fn c43_recv_timeout() {
    let (ch, _) = fresh();
    let cid = ch.create(Replace).unwrap();
    // Fractional timeouts are honoured (CPython truncates to whole seconds).
    let t = std::time::Instant::now();
    assert_eq!(
        got(ch.recv_wait(MAIN, cid, Some(Duration::from_millis(50)))),
        Err(Timeout)
    );
    assert!(t.elapsed() >= Duration::from_millis(50));
    assert_eq!(Timeout.class(), ErrorClass::TimeoutError);
}

#[test]
fn c44_ops_on_nonexistent_channel() {
    let (ch, l) = fresh();
    let cid = ChannelId(1_000_000);
    assert_eq!(recv(&ch, MAIN, cid), Err(NotFound(cid)));
    assert_eq!(got(ch.recv_or(MAIN, cid, l.item("d"))), Err(NotFound(cid)));
    assert_eq!(send(&ch, &l, MAIN, cid, "spam"), Err(NotFound(cid)));
    assert_eq!(
        ch.send_wait(MAIN, cid, l.item("spam"), Replace, None),
        Err(NotFound(cid))
    );
    assert_eq!(NotFound(cid).to_string(), "channel 1000000 not found");
    l.assert_all_released_once();
}

#[test]
fn c45_recv_nowait_empty() {
    let (ch, _) = fresh();
    let cid = ch.create(Replace).unwrap();
    let err = recv(&ch, MAIN, cid).unwrap_err();
    assert_eq!(err, Empty(cid));
    assert_eq!(err.class(), ErrorClass::ChannelEmptyError);
    assert_eq!(err.to_string(), "channel 0 is empty");
}

#[test]
fn c46_recv_nowait_default_sequence() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    let r = |ch: &Channels<Tracked>| got(ch.recv_or(MAIN, cid, l.item("default")));
    assert_eq!(r(&ch), Ok(Got::Item("default")));
    for tag in ["None", "1", "spam", "eggs"] {
        send(&ch, &l, MAIN, cid, tag).unwrap();
    }
    for tag in ["None", "1", "spam", "eggs", "default"] {
        assert_eq!(r(&ch), Ok(Got::Item(tag)));
    }
    l.assert_all_released_once();
}

/// Main associates itself first (send + recv a dummy), as the upstream
/// tests do, so destroying the sender does not close the channel.
fn associated_channel(ch: &Channels<Tracked>, l: &Arc<Ledger>) -> ChannelId {
    let cid = ch.create(Replace).unwrap();
    send(ch, l, MAIN, cid, "dummy").unwrap();
    recv(ch, MAIN, cid).unwrap();
    cid
}

#[test]
fn c48_send_cleared_with_subinterpreter_replace() {
    let (ch, l) = fresh();
    let cid = associated_channel(&ch, &l);
    send_op(&ch, &l, I1, cid, "spam", Replace);
    ch.clear_interpreter(I1);
    assert_eq!(ch.get_count(cid), Ok(1));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Unbound(Replace)));
    assert_eq!(recv(&ch, MAIN, cid), Err(Empty(cid)));
    l.assert_all_released_once();
}

#[test]
fn c49_send_cleared_with_subinterpreter_error() {
    let (ch, l) = fresh();
    let cid = associated_channel(&ch, &l);
    send_op(&ch, &l, I1, cid, "spam", UError);
    ch.clear_interpreter(I1);
    assert_eq!(ch.get_count(cid), Ok(1));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Unbound(UError)));
    assert_eq!(ch.get_count(cid), Ok(0));
    assert_eq!(recv(&ch, MAIN, cid), Err(Empty(cid)));
}

#[test]
fn c50_send_cleared_with_subinterpreter_remove() {
    let (ch, l) = fresh();
    let cid = associated_channel(&ch, &l);
    send_op(&ch, &l, I1, cid, "spam", Remove);
    ch.clear_interpreter(I1);
    assert_eq!(ch.get_count(cid), Ok(0));
    let (ch, l) = fresh();
    let cid = associated_channel(&ch, &l);
    send_op(&ch, &l, MAIN, cid, "ham", Remove);
    send_op(&ch, &l, I1, cid, "spam", Remove);
    send_op(&ch, &l, I1, cid, "eggs", Remove);
    send_op(&ch, &l, MAIN, cid, "42", Remove);
    ch.clear_interpreter(I1);
    assert_eq!(ch.get_count(cid), Ok(2));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("ham")));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("42")));
    l.assert_all_released_once();
}

#[test]
fn c51_send_cleared_with_subinterpreter_mixed() {
    let (ch, l) = fresh();
    let cid = associated_channel(&ch, &l);
    for (tag, op) in [
        ("1", Replace),
        ("2", UError),
        ("3", Replace),
        ("4", Remove),
        ("5", Replace),
    ] {
        send_op(&ch, &l, I1, cid, tag, op);
    }
    assert_eq!(ch.get_count(cid), Ok(5));
    ch.clear_interpreter(I1);
    assert_eq!(ch.get_count(cid), Ok(4));
    for (want, left) in [(Replace, 3), (UError, 2), (Replace, 1), (Replace, 0)] {
        assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Unbound(want)));
        assert_eq!(ch.get_count(cid), Ok(left));
    }
    l.assert_all_released_once();
}

#[test]
fn c52_send_cleared_with_subinterpreter_multiple() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "1").unwrap();
    assert_eq!(recv(&ch, I1, cid), Ok(Got::Item("1")));
    send_op(&ch, &l, I1, cid, "2", Replace);
    send_op(&ch, &l, I1, cid, "obj1", Remove);
    assert_eq!(recv(&ch, I2, cid), Ok(Got::Item("2")));
    assert_eq!(recv(&ch, I2, cid), Ok(Got::Item("obj1")));
    assert_eq!(ch.get_count(cid), Ok(0));
    send(&ch, &l, MAIN, cid, "3").unwrap();
    send_op(&ch, &l, I1, cid, "4", Replace);
    send_op(&ch, &l, I1, cid, "5", Remove);
    send_op(&ch, &l, I1, cid, "6", Replace);
    send_op(&ch, &l, I2, cid, "7", UError);
    send_op(&ch, &l, I2, cid, "obj1", UError);
    send_op(&ch, &l, I2, cid, "obj2", Remove);
    send_op(&ch, &l, I2, cid, "8", Replace);
    send_op(&ch, &l, I1, cid, "9", Remove);
    send_op(&ch, &l, I1, cid, "10", Replace);
    assert_eq!(ch.get_count(cid), Ok(10));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("3")));
    assert_eq!(ch.get_count(cid), Ok(9));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("4")));
    assert_eq!(ch.get_count(cid), Ok(8));
    ch.clear_interpreter(I1);
    assert_eq!(ch.get_count(cid), Ok(6));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Unbound(Replace)));
    assert_eq!(ch.get_count(cid), Ok(5));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("7")));
    assert_eq!(ch.get_count(cid), Ok(4));
    ch.clear_interpreter(I2);
    assert_eq!(ch.get_count(cid), Ok(3));
    for (want, left) in [(UError, 2), (Replace, 1), (Replace, 0)] {
        assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Unbound(want)));
        assert_eq!(ch.get_count(cid), Ok(left));
    }
    l.assert_all_released_once();
}

// ---------------------------------------------------------------- §6.5

#[test]
fn c54_end_resolution() {
    assert_eq!(End::from_flags(true, false), End::Send);
    assert_eq!(End::from_flags(false, true), End::Recv);
    assert_eq!(End::from_flags(true, true), End::Both);
    assert_eq!(End::from_flags(false, false), End::Both);
}

#[test]
fn c58_missing_channel_not_found() {
    let (ch, _) = fresh();
    assert_eq!(
        ch.get_info(MAIN, ChannelId(10)),
        Err(NotFound(ChannelId(10)))
    );
    assert_eq!(
        NotFound(ChannelId(10)).class(),
        ErrorClass::ChannelNotFoundError
    );
}

#[test]
fn c62_create_sequential_global_ids() {
    let (ch, _) = fresh();
    let a = ch.create(Replace).unwrap();
    let b = ch.create(Replace).unwrap();
    assert_eq!((a, b), (ChannelId(0), ChannelId(1)));
    ch.destroy(b).unwrap();
    // Created "from another interpreter": ids are global and never reused.
    assert_eq!(ch.create(Replace), Ok(ChannelId(2)));
}

#[test]
fn c62_ids_exhausted_is_typed() {
    let ch: Channels<Tracked> = Channels::with_id_range(0, 1);
    ch.create(Replace).unwrap();
    ch.create(Replace).unwrap();
    let err = ch.create(Replace).unwrap_err();
    assert_eq!(err, IdsExhausted);
    assert_eq!(err.class(), ErrorClass::ChannelError);
    assert_eq!(err.to_string(), "failed to get a channel ID");
}

#[test]
fn c63_list_interpreters() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    assert_eq!(ch.list_interpreters(cid, true), Ok(vec![]));
    assert_eq!(ch.list_interpreters(cid, false), Ok(vec![]));
    send(&ch, &l, MAIN, cid, "send").unwrap();
    assert_eq!(ch.list_interpreters(cid, true), Ok(vec![MAIN]));
    recv(&ch, I1, cid).unwrap();
    assert_eq!(ch.list_interpreters(cid, false), Ok(vec![I1]));
    // multiple
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "a").unwrap();
    send(&ch, &l, I1, cid, "b").unwrap();
    recv(&ch, I2, cid).unwrap();
    recv(&ch, I3, cid).unwrap();
    assert_eq!(ch.list_interpreters(cid, true), Ok(vec![MAIN, I1]));
    assert_eq!(ch.list_interpreters(cid, false), Ok(vec![I2, I3]));
}

#[test]
fn c64_list_interpreters_destroyed() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "a").unwrap();
    send(&ch, &l, I1, cid, "b").unwrap();
    ch.clear_interpreter(I1);
    assert_eq!(ch.list_interpreters(cid, true), Ok(vec![MAIN]));
}

#[test]
fn c65_list_interpreters_released() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "a").unwrap();
    recv(&ch, I1, cid).unwrap();
    send(&ch, &l, MAIN, cid, "b").unwrap();
    recv(&ch, I2, cid).unwrap();
    ch.release(MAIN, cid, End::Send).unwrap();
    assert_eq!(ch.list_interpreters(cid, true), Ok(vec![]));
    ch.release(I2, cid, End::Recv).unwrap();
    assert_eq!(ch.list_interpreters(cid, false), Ok(vec![I1]));
}

#[test]
fn c66_list_interpreters_closed() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "a").unwrap();
    ch.close(cid, End::Both, true).unwrap();
    assert_eq!(ch.list_interpreters(cid, true), Err(Closed(cid)));
    assert_eq!(ch.list_interpreters(cid, false), Err(Closed(cid)));
    l.assert_all_released_once();
}

#[test]
fn c67_list_interpreters_closed_send_end() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "a").unwrap();
    ch.close(cid, End::Send, false).unwrap();
    assert_eq!(ch.list_interpreters(cid, true), Err(Closed(cid)));
    assert_eq!(ch.list_interpreters(cid, false), Ok(vec![]));
}

#[test]
fn c68_allowed_types_round_trip_opaquely() {
    // The kernel never looks inside items: any payload type round-trips.
    let ch: Channels<Box<dyn std::any::Any + Send>> = Channels::new();
    let cid = ch.create(Replace).unwrap();
    ch.send(MAIN, cid, Box::new(()), Replace).unwrap();
    ch.send(MAIN, cid, Box::new("spam"), Replace).unwrap();
    ch.send(MAIN, cid, Box::new(42i64), Replace).unwrap();
    let next = || match ch.recv(MAIN, cid).unwrap() {
        Received::Item(b) => b,
        Received::Unbound(_) => unreachable!(),
    };
    assert!(next().is::<()>());
    assert_eq!(next().downcast_ref::<&str>(), Some(&"spam"));
    assert_eq!(next().downcast_ref::<i64>(), Some(&42));
}

#[test]
fn c70_send_recv_same_and_different_interpreters() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, I1, cid, "same").unwrap();
    assert_eq!(recv(&ch, I1, cid), Ok(Got::Item("same")));
    send(&ch, &l, I1, cid, "cross").unwrap();
    assert_eq!(recv(&ch, I2, cid), Ok(Got::Item("cross")));
    // cross-interpreter + cross-thread with a blocking send
    thread::scope(|s| {
        s.spawn(|| {
            ch.send_wait(I1, cid, l.item("thread"), Replace, None)
                .unwrap()
        });
        assert_eq!(got(ch.recv_wait(MAIN, cid, None)), Ok(Got::Item("thread")));
    });
    l.assert_all_released_once();
}

#[test]
fn c71_send_recv_errors_and_defaults() {
    let (ch, l) = fresh();
    assert_eq!(
        send(&ch, &l, MAIN, ChannelId(10), "x"),
        Err(NotFound(ChannelId(10)))
    );
    let cid = ch.create(Replace).unwrap();
    assert_eq!(recv(&ch, MAIN, cid), Err(Empty(cid)));
    send(&ch, &l, MAIN, cid, "spam").unwrap();
    assert_eq!(
        got(ch.recv_or(MAIN, cid, l.item("d"))),
        Ok(Got::Item("spam"))
    );
    assert_eq!(got(ch.recv_or(MAIN, cid, l.item("d"))), Ok(Got::Item("d")));
}

#[test]
fn c72_only_associated_sender_destroyed() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, I1, cid, "spam").unwrap();
    ch.clear_interpreter(I1);
    let err = recv(&ch, MAIN, cid).unwrap_err();
    assert_eq!(err.to_string(), format!("channel {cid} is closed"));
    assert_eq!(err.class(), ErrorClass::ChannelClosedError);
    l.assert_all_released_once();
}

#[test]
fn c73_sender_destroyed_main_also_sent() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, I1, cid, "spam").unwrap();
    send(&ch, &l, MAIN, cid, "eggs").unwrap();
    ch.clear_interpreter(I1);
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Unbound(Replace)));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("eggs")));
    assert_eq!(
        recv(&ch, MAIN, cid).unwrap_err().to_string(),
        "channel 0 is empty"
    );
}

#[test]
fn c75_blocking_send_returns_once_received() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    thread::scope(|s| {
        let sender = s.spawn(|| ch.send_wait(MAIN, cid, l.item("spam"), Replace, None));
        // With or without the sender already waiting: poll until it is queued.
        while ch.get_count(cid) != Ok(1) {
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
    let r = ch.send_wait(
        MAIN,
        cid,
        l.item("spam"),
        Replace,
        Some(Duration::from_millis(100)),
    );
    assert_eq!(r, Err(Timeout));
    assert_eq!(r.unwrap_err().to_string(), "timed out");
    assert_eq!(recv(&ch, MAIN, cid), Err(Empty(cid)), "item withdrawn");
    assert_eq!(l.live(), 0, "withdrawn item released");
    // timeout 0 with a blocking send: immediate TimeoutError
    assert_eq!(
        ch.send_wait(MAIN, cid, l.item("zero"), Replace, Some(Duration::ZERO)),
        Err(Timeout)
    );
    // with a receiver: success
    thread::scope(|s| {
        s.spawn(|| ch.recv_wait(I1, cid, None).map(drop).unwrap());
        let r = ch.send_wait(
            MAIN,
            cid,
            l.item("eggs"),
            Replace,
            Some(Duration::from_secs(60)),
        );
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
            let sender = s.spawn(|| ch.send_wait(MAIN, cid, l.item("spam"), Replace, timeout));
            while ch.get_count(cid) != Ok(1) {
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
    assert_eq!(ch.get_count(cid), Ok(3));
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
    let info = ch.get_info(MAIN, cid).unwrap();
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
