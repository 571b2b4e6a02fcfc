//! `xik_queue_*`: CPython `_interpqueues` semantics over byte payloads.

use xikernel::{InterpId, QueueDefaults, QueueId, UnboundOp};

use crate::cancel::{with_wait, xik_cancel};
use crate::item::{check_sized, write_received, xik_item, Payload};
use crate::ready::Kind;
use crate::registry::{registry, xik_registry};
use crate::status::{check, non_null, xik_status};

/// `XIK_UNBOUND_*` as given by the host: 0 picks `default`.
pub(crate) fn unbound_op(raw: i32, default: UnboundOp) -> Result<UnboundOp, xik_status> {
    match raw {
        0 => Ok(default),
        n => UnboundOp::try_from(i64::from(n)).map_err(|_| xik_status::XIK_ERR_INVALID),
    }
}

/// The item disappears when its interpreter is cleared.
pub const XIK_UNBOUND_REMOVE: i32 = 1;
/// The item stays and is received as `XIK_ITEM_UNBOUND_ERROR`.
pub const XIK_UNBOUND_ERROR: i32 = 2;
/// The item stays and is received as `XIK_ITEM_UNBOUND_REPLACE`.
pub const XIK_UNBOUND_REPLACE: i32 = 3;

/// Creates a queue holding at most `maxsize` items (`<= 0`: unbounded)
/// whose puts default to `unbound` (`XIK_UNBOUND_*`, 0: REPLACE); stores
/// its id in `*out`. It starts with no binding: it lives until
/// `xik_queue_destroy`, or until the binding count returns to 0.
///
/// Thread-safety: any thread.
///
/// # Safety
/// `reg` is NULL or a live handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xik_queue_create(
    reg: *const xik_registry,
    maxsize: i64,
    unbound: i32,
    out: *mut u64,
) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        non_null(out)?;
        let defaults = QueueDefaults {
            fmt: 0,
            unbound: unbound_op(unbound, UnboundOp::Replace)?,
        };
        let q = r.queues.create(maxsize, defaults)?;
        // SAFETY: checked non-NULL; the caller made it writable.
        unsafe { *out = q.0 };
        Ok(())
    })
}

/// Destroys the queue whatever its bindings: its items go to the
/// release callback (on this thread), blocked callers get
/// `XIK_ERR_NOT_FOUND`.
///
/// Thread-safety: any thread, concurrently with every other call.
///
/// # Safety
/// `reg` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn xik_queue_destroy(reg: *const xik_registry, qid: u64) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        let res = r.queues.destroy(QueueId(qid)).map(drop);
        r.ready.signal(Kind::Queue, qid);
        Ok(res?)
    })
}

/// Adds a binding (a reference held by one interpreter's object).
///
/// Thread-safety: any thread, concurrently with every other call.
///
/// # Safety
/// `reg` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn xik_queue_bind(reg: *const xik_registry, qid: u64) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        r.queues.bind(QueueId(qid)).map(drop).map_err(Into::into)
    })
}

/// Drops a binding; the last one destroys the queue.
/// `XIK_ERR_NEVER_BOUND` without a matching bind.
///
/// Thread-safety: any thread, concurrently with every other call.
///
/// # Safety
/// `reg` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn xik_queue_release(reg: *const xik_registry, qid: u64) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        let res = r.queues.release(QueueId(qid)).map(drop);
        r.ready.signal(Kind::Queue, qid);
        Ok(res?)
    })
}

/// Closes the queue: puts fail with `XIK_ERR_CLOSED`, gets drain what
/// is left and then fail with `XIK_ERR_CLOSED`; blocked callers wake.
///
/// Thread-safety: any thread, concurrently with every other call.
///
/// # Safety
/// `reg` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn xik_queue_close(reg: *const xik_registry, qid: u64) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        let res = r.queues.close(QueueId(qid)).map(drop);
        r.ready.signal(Kind::Queue, qid);
        Ok(res?)
    })
}

/// Stores the number of items (unbound ERROR / REPLACE ones included) in
/// `*out`.
///
/// Thread-safety: any thread; the count may be stale by the time it is
/// read.
///
/// # Safety
/// `reg` is NULL or a live handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xik_queue_len(
    reg: *const xik_registry,
    qid: u64,
    out: *mut usize,
) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        non_null(out)?;
        let n = r.queues.len(QueueId(qid))?;
        // SAFETY: checked non-NULL; the caller made it writable.
        unsafe { *out = n };
        Ok(())
    })
}

/// Puts a copy of `len` bytes at `data`, owned by interpreter `interp`,
/// with unbound policy `unbound` (`XIK_UNBOUND_*`, 0: the queue's
/// default). `timeout_ns`: 0 = do not wait (`XIK_ERR_FULL`), negative =
/// wait as long as the queue is full, positive = at most that long
/// (`XIK_ERR_TIMEOUT`). `cancel` (may be NULL) ends the wait from another
/// thread (`XIK_ERR_CANCELLED`). On any error nothing was stored and the
/// release callback is not called: `data` is still only the host's.
///
/// Thread-safety: any thread, concurrently with every other call.
///
/// # Safety
/// `reg` is NULL or a live handle; `data` is NULL or readable for `len`
/// bytes (NULL is refused even with `len == 0`); `cancel` is NULL or a live
/// token.
#[no_mangle]
pub unsafe extern "C" fn xik_queue_put(
    reg: *const xik_registry,
    interp: u64,
    qid: u64,
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
        let qid = QueueId(qid);
        let op = unbound_op(unbound, r.queues.defaults(qid)?.unbound)?;
        // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
        let item = unsafe { Payload::copy_from(data, len, interp) };
        let interp = InterpId(interp);
        let res = if timeout_ns == 0 {
            r.queues.try_push(interp, qid, item, op)
        } else {
            // SAFETY: NULL or a live token, as the caller guarantees.
            unsafe {
                with_wait(timeout_ns, cancel, |w| {
                    r.queues.push_wait(interp, qid, item, op, w)
                })
            }
        };
        // A failed put hands the copy back: dropping it is right, the host
        // still owns its original.
        res.map_err(|e| e.error())?;
        r.ready.signal(Kind::Queue, qid.0);
        Ok(())
    })
}

/// Gets the oldest item into `*out` (size-prefixed; set `out->size`).
/// `timeout_ns` and `cancel` as for `xik_queue_put` (0: `XIK_ERR_EMPTY`
/// at once). On `XIK_OK`, `out->kind` says whether it is a live item (then
/// the host owns `out->data` until `xik_item_free`) or an unbound one.
///
/// Thread-safety: any thread, concurrently with every other call.
///
/// # Safety
/// `reg` is NULL or a live handle; `out` is NULL or a writable `xik_item`
/// with `size` set; `cancel` is NULL or a live token.
#[no_mangle]
pub unsafe extern "C" fn xik_queue_get(
    reg: *const xik_registry,
    qid: u64,
    timeout_ns: i64,
    cancel: *const xik_cancel,
    out: *mut xik_item,
) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live handle, as the caller guarantees.
        let r = unsafe { registry(reg) }?;
        // SAFETY: NULL or a xik_item with `size` set, as documented.
        unsafe { check_sized(out) }?;
        let qid = QueueId(qid);
        let got = if timeout_ns == 0 {
            r.queues.try_pop(qid)
        } else {
            // SAFETY: NULL or a live token, as the caller guarantees.
            unsafe { with_wait(timeout_ns, cancel, |w| r.queues.pop_wait(qid, w)) }
        }?;
        // SAFETY: `out` passed check_sized and is writable.
        unsafe { write_received(out, got) };
        Ok(())
    })
}
