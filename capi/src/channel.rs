//! `xik_channel_*`: CPython `_interpchannels` semantics over byte payloads.

use xikernel::{ChannelId, End, InterpId, UnboundOp};

use crate::cancel::{with_wait, xik_cancel};
use crate::item::{check_sized, write_received, xik_item, Payload};
use crate::queue::unbound_op;
use crate::ready::Kind;
use crate::registry::{registry, xik_registry};
use crate::status::{check, non_null, xik_status};

/// The send end.
pub const XIK_END_SEND: i32 = 1;
/// The receive end.
pub const XIK_END_RECV: i32 = 2;
/// Both ends.
pub const XIK_END_BOTH: i32 = 3;

fn end(raw: i32) -> Result<End, xik_status> {
    match raw {
        XIK_END_SEND => Ok(End::Send),
        XIK_END_RECV => Ok(End::Recv),
        XIK_END_BOTH => Ok(End::Both),
        _ => Err(xik_status::XIK_ERR_INVALID),
    }
}

/// Creates a channel whose sends default to `unbound` (`XIK_UNBOUND_*`, 0:
/// REPLACE); stores its id in `*out`.
///
/// Thread-safety: any thread.
///
/// # Safety
/// `reg` is NULL or a live handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xik_channel_create(
    reg: *const xik_registry,
    unbound: i32,
    out: *mut u64,
) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        non_null(out)?;
        let c = r
            .channels
            .create(unbound_op(unbound, UnboundOp::Replace)?)?;
        // SAFETY: checked non-NULL; the caller made it writable.
        unsafe { *out = c.0 };
        Ok(())
    })
}

/// Destroys the channel: its items go to the release callback (on this
/// thread), blocked callers wake with an error.
///
/// Thread-safety: any thread, concurrently with every other call.
///
/// # Safety
/// `reg` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn xik_channel_destroy(reg: *const xik_registry, cid: u64) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        let res = r.channels.destroy(ChannelId(cid));
        r.ready.signal(Kind::Channel, cid);
        Ok(res?)
    })
}

/// Closes end `end` (`XIK_END_*`) of the channel for everyone. Unforced
/// with items queued: closing the send end lets receivers drain first,
/// anything else is `XIK_ERR_NOT_EMPTY`. Forced: items go to the release
/// callback.
///
/// Thread-safety: any thread, concurrently with every other call.
///
/// # Safety
/// `reg` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn xik_channel_close(
    reg: *const xik_registry,
    cid: u64,
    end_: i32,
    force: bool,
) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        let res = r.channels.close(ChannelId(cid), end(end_)?, force);
        r.ready.signal(Kind::Channel, cid);
        Ok(res?)
    })
}

/// Releases interpreter `interp`'s end(s) (`XIK_END_*`); the channel
/// closes once no interpreter has an open end.
///
/// Thread-safety: any thread, concurrently with every other call.
///
/// # Safety
/// `reg` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn xik_channel_release(
    reg: *const xik_registry,
    interp: u64,
    cid: u64,
    end_: i32,
) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        let res = r
            .channels
            .release(InterpId(interp), ChannelId(cid), end(end_)?);
        r.ready.signal(Kind::Channel, cid);
        Ok(res?)
    })
}

/// Stores the number of queued items in `*out`.
///
/// Thread-safety: any thread; the count may be stale by the time it is
/// read.
///
/// # Safety
/// `reg` is NULL or a live handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xik_channel_len(
    reg: *const xik_registry,
    cid: u64,
    out: *mut usize,
) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        non_null(out)?;
        let n = r.channels.len(ChannelId(cid))?;
        // SAFETY: checked non-NULL; the caller made it writable.
        unsafe { *out = n };
        Ok(())
    })
}

/// Sends a copy of `len` bytes at `data`, owned by interpreter `interp`,
/// with unbound policy `unbound` (0: the channel's default). `timeout_ns`
/// 0: queue it and return at once (channels are unbounded); negative:
/// wait until a receiver took it; positive: wait at most that long, then
/// withdraw it (`XIK_ERR_TIMEOUT`; `XIK_OK` if it was received meanwhile).
/// `cancel` (may be NULL) ends the wait the same way (`XIK_ERR_CANCELLED`).
/// On any error nothing stays queued and `data` is still only the host's.
///
/// Thread-safety: any thread, concurrently with every other call.
///
/// # Safety
/// `reg` is NULL or a live handle; `data` is NULL or readable for `len`
/// bytes; `cancel` is NULL or a live token.
#[no_mangle]
pub unsafe extern "C" fn xik_channel_send(
    reg: *const xik_registry,
    interp: u64,
    cid: u64,
    data: *const u8,
    len: usize,
    unbound: i32,
    timeout_ns: i64,
    cancel: *const xik_cancel,
) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        non_null(data)?;
        let cid = ChannelId(cid);
        let op = unbound_op(unbound, r.channels.defaults(cid)?)?;
        // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
        let item = unsafe { Payload::copy_from(data, len, interp) };
        let interp = InterpId(interp);
        let res = if timeout_ns == 0 {
            r.channels.send(interp, cid, item, op)
        } else {
            // SAFETY: NULL or a live token, as the caller guarantees.
            unsafe {
                with_wait(timeout_ns, cancel, |w| {
                    r.channels.send_wait(interp, cid, item, op, w)
                })
            }
        };
        // A failed send hands the copy back (or it is gone already): the
        // host still owns its original.
        res.map_err(|e| e.error())?;
        r.ready.signal(Kind::Channel, cid.0);
        Ok(())
    })
}

/// Receives the oldest item into `*out` as interpreter `interp`
/// (size-prefixed; set `out->size`). `timeout_ns` and `cancel` as for
/// `xik_queue_get` (0: `XIK_ERR_EMPTY` at once).
///
/// Thread-safety: any thread, concurrently with every other call.
///
/// # Safety
/// `reg` is NULL or a live handle; `out` is NULL or a writable `xik_item`
/// with `size` set; `cancel` is NULL or a live token.
#[no_mangle]
pub unsafe extern "C" fn xik_channel_recv(
    reg: *const xik_registry,
    interp: u64,
    cid: u64,
    timeout_ns: i64,
    cancel: *const xik_cancel,
    out: *mut xik_item,
) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        // SAFETY: NULL or a xik_item with `size` set, as documented.
        unsafe { check_sized(out) }?;
        let (interp, cid) = (InterpId(interp), ChannelId(cid));
        let got = if timeout_ns == 0 {
            r.channels.try_recv(interp, cid)
        } else {
            // SAFETY: NULL or a live token, as the caller guarantees.
            unsafe { with_wait(timeout_ns, cancel, |w| r.channels.recv_wait(interp, cid, w)) }
        }?;
        // SAFETY: `out` passed check_sized and is writable.
        unsafe { write_received(out, got) };
        Ok(())
    })
}
