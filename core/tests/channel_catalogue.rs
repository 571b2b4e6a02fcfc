//! The kernel-level channel cases of the behavioural catalogue
//! (`cpython-xi-semantics.md` §6.4 and §6.5), one test per case, named
//! `c<NN>_<upstream test>`. Interpreters are simulated by ids; "destroying"
//! one is `clear_interpreter`. Cases that need a Python runtime are listed
//! in `docs/catalogue.md` with the reason.
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

#[path = "channel_common.rs"]
mod common;

use std::thread;
use std::time::Duration;

use common::{associated_channel, fresh, got, recv, send, send_ops, Got, Tracked};
use xikernel::channel::{
    ChannelError::*,
    ChannelId, Channels, End, ErrorClass, Received,
    UnboundOp::{Error as UError, Remove, Replace},
};
use xikernel::interp::{InterpId, MAIN};
use xikernel::wait::Wait;

const I1: InterpId = InterpId(1);
const I2: InterpId = InterpId(2);
const I3: InterpId = InterpId(3);

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
    let info = ch.info(MAIN, cid).unwrap();
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
                assert!(matches!(
                    ch.recv_wait(I1, cid, Wait::forever()),
                    Ok(Received::Item(_))
                ));
            }
        });
        ch.send_wait(MAIN, cid, l.item("a"), Replace, Wait::forever())
            .unwrap();
        ch.send_wait(MAIN, cid, l.item("b"), Replace, Wait::forever())
            .unwrap();
    });
    l.assert_all_released_once();
}

#[test]
fn c42_recv_nowait_with_default() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    assert_eq!(
        got(common::recv_or(&ch, MAIN, cid, l.item("default"))),
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
        got(ch.recv_wait(MAIN, cid, Wait::timeout(Duration::from_millis(50)))),
        Err(Timeout(cid))
    );
    assert!(t.elapsed() >= Duration::from_millis(50));
    assert_eq!(Timeout(ChannelId(0)).class(), ErrorClass::TimeoutError);
}

#[test]
fn c44_ops_on_nonexistent_channel() {
    let (ch, l) = fresh();
    let cid = ChannelId(1_000_000);
    assert_eq!(recv(&ch, MAIN, cid), Err(NotFound(cid)));
    assert_eq!(
        got(common::recv_or(&ch, MAIN, cid, l.item("d"))),
        Err(NotFound(cid))
    );
    assert_eq!(send(&ch, &l, MAIN, cid, "spam"), Err(NotFound(cid)));
    assert_eq!(
        ch.send_wait(MAIN, cid, l.item("spam"), Replace, Wait::forever())
            .map_err(|e| e.error()),
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
    let r = |ch: &Channels<Tracked>| got(common::recv_or(ch, MAIN, cid, l.item("default")));
    assert_eq!(r(&ch), Ok(Got::Item("default")));
    for tag in ["None", "1", "spam", "eggs"] {
        send(&ch, &l, MAIN, cid, tag).unwrap();
    }
    for tag in ["None", "1", "spam", "eggs", "default"] {
        assert_eq!(r(&ch), Ok(Got::Item(tag)));
    }
    l.assert_all_released_once();
}

#[test]
fn c48_send_cleared_with_subinterpreter_replace() {
    let (ch, l) = fresh();
    let cid = associated_channel(&ch, &l);
    send_ops(&ch, &l, cid, &[(I1, "spam", Replace)]);
    ch.clear_interpreter(I1);
    assert_eq!(ch.len(cid), Ok(1));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Unbound(Replace)));
    assert_eq!(recv(&ch, MAIN, cid), Err(Empty(cid)));
    l.assert_all_released_once();
}

#[test]
fn c49_send_cleared_with_subinterpreter_error() {
    let (ch, l) = fresh();
    let cid = associated_channel(&ch, &l);
    send_ops(&ch, &l, cid, &[(I1, "spam", UError)]);
    ch.clear_interpreter(I1);
    assert_eq!(ch.len(cid), Ok(1));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Unbound(UError)));
    assert_eq!(ch.len(cid), Ok(0));
    assert_eq!(recv(&ch, MAIN, cid), Err(Empty(cid)));
}

#[test]
fn c50_send_cleared_with_subinterpreter_remove() {
    let (ch, l) = fresh();
    let cid = associated_channel(&ch, &l);
    send_ops(&ch, &l, cid, &[(I1, "spam", Remove)]);
    ch.clear_interpreter(I1);
    assert_eq!(ch.len(cid), Ok(0));
    let (ch, l) = fresh();
    let cid = associated_channel(&ch, &l);
    send_ops(
        &ch,
        &l,
        cid,
        &[
            (MAIN, "ham", Remove),
            (I1, "spam", Remove),
            (I1, "eggs", Remove),
            (MAIN, "42", Remove),
        ],
    );
    ch.clear_interpreter(I1);
    assert_eq!(ch.len(cid), Ok(2));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("ham")));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("42")));
    l.assert_all_released_once();
}

#[test]
fn c51_send_cleared_with_subinterpreter_mixed() {
    let (ch, l) = fresh();
    let cid = associated_channel(&ch, &l);
    let items = [
        ("1", Replace),
        ("2", UError),
        ("3", Replace),
        ("4", Remove),
        ("5", Replace),
    ];
    send_ops(&ch, &l, cid, &items.map(|(tag, op)| (I1, tag, op)));
    assert_eq!(ch.len(cid), Ok(5));
    ch.clear_interpreter(I1);
    assert_eq!(ch.len(cid), Ok(4));
    for (want, left) in [(Replace, 3), (UError, 2), (Replace, 1), (Replace, 0)] {
        assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Unbound(want)));
        assert_eq!(ch.len(cid), Ok(left));
    }
    l.assert_all_released_once();
}

#[test]
fn c52_send_cleared_with_subinterpreter_multiple() {
    let (ch, l) = fresh();
    let cid = ch.create(Replace).unwrap();
    send(&ch, &l, MAIN, cid, "1").unwrap();
    assert_eq!(recv(&ch, I1, cid), Ok(Got::Item("1")));
    send_ops(&ch, &l, cid, &[(I1, "2", Replace), (I1, "obj1", Remove)]);
    assert_eq!(recv(&ch, I2, cid), Ok(Got::Item("2")));
    assert_eq!(recv(&ch, I2, cid), Ok(Got::Item("obj1")));
    assert_eq!(ch.len(cid), Ok(0));
    send(&ch, &l, MAIN, cid, "3").unwrap();
    send_ops(
        &ch,
        &l,
        cid,
        &[
            (I1, "4", Replace),
            (I1, "5", Remove),
            (I1, "6", Replace),
            (I2, "7", UError),
            (I2, "obj1", UError),
            (I2, "obj2", Remove),
            (I2, "8", Replace),
            (I1, "9", Remove),
            (I1, "10", Replace),
        ],
    );
    assert_eq!(ch.len(cid), Ok(10));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("3")));
    assert_eq!(ch.len(cid), Ok(9));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("4")));
    assert_eq!(ch.len(cid), Ok(8));
    ch.clear_interpreter(I1);
    assert_eq!(ch.len(cid), Ok(6));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Unbound(Replace)));
    assert_eq!(ch.len(cid), Ok(5));
    assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Item("7")));
    assert_eq!(ch.len(cid), Ok(4));
    ch.clear_interpreter(I2);
    assert_eq!(ch.len(cid), Ok(3));
    for (want, left) in [(UError, 2), (Replace, 1), (Replace, 0)] {
        assert_eq!(recv(&ch, MAIN, cid), Ok(Got::Unbound(want)));
        assert_eq!(ch.len(cid), Ok(left));
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
    assert_eq!(ch.info(MAIN, ChannelId(10)), Err(NotFound(ChannelId(10))));
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
    let next = || match ch.try_recv(MAIN, cid).unwrap() {
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
            ch.send_wait(I1, cid, l.item("thread"), Replace, Wait::forever())
                .map_err(|e| e.error())
                .unwrap()
        });
        assert_eq!(
            got(ch.recv_wait(MAIN, cid, Wait::forever())),
            Ok(Got::Item("thread"))
        );
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
        got(common::recv_or(&ch, MAIN, cid, l.item("d"))),
        Ok(Got::Item("spam"))
    );
    assert_eq!(
        got(common::recv_or(&ch, MAIN, cid, l.item("d"))),
        Ok(Got::Item("d"))
    );
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
