//! Cancel tokens and the translation of `(timeout_ns, cancel)` into a
//! kernel [`Wait`].

use std::time::Duration;

use xikernel::wait::{InterruptToken, Wait};

use crate::status::{check, non_null, xik_status};

/// Opaque: a token another thread trips to end the blocking calls that
/// were given it (`XIK_ERR_CANCELLED`). A wait notices the trip within the
/// token's period. Stays tripped until `xik_cancel_reset`.
#[allow(non_camel_case_types)]
#[derive(Debug)]
pub struct xik_cancel {
    token: InterruptToken,
}

/// Runs `f` with the wait that `timeout_ns` (negative: forever) and
/// `cancel` (NULL: not cancellable) describe.
///
/// # Safety
/// `cancel` is NULL or a live token.
pub(crate) unsafe fn with_wait<R>(
    timeout_ns: i64,
    cancel: *const xik_cancel,
    f: impl FnOnce(Wait<'_>) -> R,
) -> R {
    let wait = match u64::try_from(timeout_ns) {
        Ok(ns) => Wait::timeout(Duration::from_nanos(ns)),
        Err(_) => Wait::forever(),
    };
    // SAFETY: the caller passes NULL or a live token that outlives the
    // call; a clone shares its flag, so trips reach this wait.
    match unsafe { cancel.as_ref() } {
        Some(c) => {
            let mut token = c.token.clone();
            f(wait.interruptible(&mut token))
        }
        None => f(wait),
    }
}

/// Creates an untripped token, checked every `period_ns` of waiting (0: 1
/// millisecond), and stores it in `*out`.
///
/// Thread-safety: any thread.
///
/// # Safety
/// `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xik_cancel_new(period_ns: u64, out: *mut *mut xik_cancel) -> xik_status {
    check(|| {
        non_null(out)?;
        let period = match period_ns {
            0 => Duration::from_millis(1),
            ns => Duration::from_nanos(ns),
        };
        let c = Box::new(xik_cancel {
            token: InterruptToken::new(period),
        });
        // SAFETY: checked non-NULL; the caller made it writable.
        unsafe { *out = Box::into_raw(c) };
        Ok(())
    })
}

/// Trips the token: every blocking call using it ends with
/// `XIK_ERR_CANCELLED` (within one period), now and until reset.
///
/// Thread-safety: any thread, concurrently with the waits using the token.
///
/// # Safety
/// `cancel` is NULL or a live token.
#[no_mangle]
pub unsafe extern "C" fn xik_cancel_trip(cancel: *const xik_cancel) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live token, as the caller guarantees.
        let c = unsafe { cancel.as_ref() }.ok_or(xik_status::XIK_ERR_NULL)?;
        c.token.trip();
        Ok(())
    })
}

/// Untrips the token.
///
/// Thread-safety: any thread.
///
/// # Safety
/// `cancel` is NULL or a live token.
#[no_mangle]
pub unsafe extern "C" fn xik_cancel_reset(cancel: *const xik_cancel) -> xik_status {
    check(|| {
        // SAFETY: NULL or a live token, as the caller guarantees.
        let c = unsafe { cancel.as_ref() }.ok_or(xik_status::XIK_ERR_NULL)?;
        c.token.reset();
        Ok(())
    })
}

/// Frees the token.
///
/// Thread-safety: once no call is using it (every wait it was given has
/// returned) and no other thread will trip it.
///
/// # Safety
/// `cancel` is NULL or a live token not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn xik_cancel_free(cancel: *mut xik_cancel) -> xik_status {
    check(|| {
        non_null(cancel)?;
        // SAFETY: `cancel` came from `Box::into_raw` in `xik_cancel_new`
        // and the caller gives it up.
        drop(unsafe { Box::from_raw(cancel) });
        Ok(())
    })
}
