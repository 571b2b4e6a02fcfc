//! `_xikernel_mp.ShmQueue`: one process's handle on a queue segment, with
//! `multiprocessing.Queue`'s methods. `xikernel.mp` subclasses it.
//!
//! An object is created empty (`ShmQueue()`, so Python subclasses need no
//! special `__new__`) and opened once, by `_create` (a new segment) or
//! `_attach` (a descriptor received from the parent: fork, spawn,
//! forkserver). `close` is per handle, as in `multiprocessing`: this
//! process stops using the queue, the others are not affected (the
//! segment's own close is not used; it would end the queue for everyone).
//!
//! Every operation is a bounded attempt with the GIL held first (a lock
//! spin and a check for room or a message), then, if it must wait, the
//! same operation with the GIL released until the deadline ([`blocking`]).
//! A non-blocking call never sleeps on a lock either: a lock held by a
//! stopped process makes it raise `Full`/`Empty` rather than wait.

use core::ffi::{c_int, c_void};
use core::ptr;
use core::time::Duration;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use pyo3_ffi::*;
use xikernel_ipc::{Batch, Deadline, PopError, PushError, Queue};
use xikernel_py::ffi::{self as pf, FastArgs, Owned, PyErrSet, PyResult};

use crate::errors::{closed_error, note_pushed, pop_error, push_error, segment_error};
use crate::spin::spin;
use crate::state::{self, State};
use crate::value::{self, Encoded};
use crate::wait::{blocking, bool_arg, deadline_arg};

/// Most items a queue can hold (the segment's limit, 2^30); a `maxsize`
/// of 0 (unbounded, as `multiprocessing` means it) or beyond uses it.
const MAX_ITEMS: usize = 1 << 30;

/// What a closed handle raises: kind 0, `multiprocessing.Queue`'s
/// `ValueError("Queue <repr> is closed")`; kind 1 (`SimpleQueue`), its
/// closed pipe's `OSError("handle is closed")`.
pub(crate) const KIND_SIMPLE: c_int = 1;

#[repr(C)]
pub struct ShmQueueObject {
    ob_base: PyObject,
    /// `Box::into_raw`; NULL until `_create` / `_attach`.
    q: *mut Queue,
    closed: c_int,
    kind: c_int,
    /// A put succeeded through this handle (`multiprocessing`'s `empty()`
    /// raises on a closed queue only once it was used: its feeder thread
    /// closed the pipe then).
    used: c_int,
    /// Items allowed (`maxsize`, or [`MAX_ITEMS`]).
    maxsize: Py_ssize_t,
    /// `get_many`'s buffer, kept between calls (`Box::into_raw`, or NULL
    /// while a call uses it or before the first): a fresh one would fault
    /// in its pages on every call, which dominates batches of large items.
    /// Bounded: a batch never holds more than the queue's capacity.
    batch: *mut Batch,
}

macro_rules! fast {
    ($name:ident, $body:ident) => {
        /// # Safety
        /// CPython calls it with the GIL held, one of our objects and vectorcall arguments.
        unsafe extern "C" fn $name(
            slf: *mut PyObject,
            args: *const *mut PyObject,
            nargsf: Py_ssize_t,
            kwnames: *mut PyObject,
        ) -> *mut PyObject {
            // SAFETY: CPython calls methods with the GIL held, `slf` an
            // instance of our type (or a subclass) and vectorcall arguments.
            unsafe {
                pf::ret($body(
                    slf,
                    FastArgs {
                        args,
                        nargsf,
                        kwnames,
                    },
                ))
            }
        }
    };
}

macro_rules! noargs {
    ($name:ident, $body:ident) => {
        /// # Safety
        /// CPython calls it with the GIL held and one of our objects.
        unsafe extern "C" fn $name(slf: *mut PyObject, _: *mut PyObject) -> *mut PyObject {
            // SAFETY: as in `fast!`.
            unsafe { pf::ret($body(slf)) }
        }
    };
}

const fn m_fast(
    name: &'static core::ffi::CStr,
    f: PyCFunctionFastWithKeywords,
    doc: &'static core::ffi::CStr,
) -> PyMethodDef {
    xikernel_py::module::method_fast(name, f, doc)
}

const fn m_none(
    name: &'static core::ffi::CStr,
    f: PyCFunction,
    doc: &'static core::ffi::CStr,
) -> PyMethodDef {
    xikernel_py::module::method_noargs(name, f, doc)
}

static mut METHODS: [PyMethodDef; 17] = [
    m_fast(c"_create", create, c"_create(size, maxsize, kind)\n\nOpen this handle on a new segment of `size` bytes holding at most `maxsize` items (0: unbounded)."),
    m_fast(c"_attach", attach, c"_attach(fd, maxsize, kind)\n\nOpen this handle on the segment `fd` refers to (the handle owns the descriptor)."),
    m_fast(c"put", put, c"put(obj, block=True, timeout=None)\n\nPut obj into the queue; raise queue.Full if there is no room before the timeout (or at once if block is false)."),
    m_fast(c"get", get, c"get(block=True, timeout=None)\n\nRemove and return the oldest item; raise queue.Empty if none arrives before the timeout (or at once if block is false)."),
    m_fast(c"put_nowait", put_nowait, c"put_nowait(obj)\n\nput(obj, False)."),
    m_none(c"get_nowait", get_nowait, c"get_nowait()\n\nget(False)."),
    m_fast(c"put_many", put_many, c"put_many(items, block=True, timeout=None)\n\nPut every item of the iterable, in order, paying one synchronisation per run that fits. On queue.Full, the exception's `pushed` says how many (a prefix) were put."),
    m_fast(c"get_many", get_many, c"get_many(max_items=None, block=True, timeout=None) -> list\n\nRemove and return up to max_items items (all that are there if None), oldest first, waiting only for the first."),
    m_none(c"qsize", qsize, c"qsize()\n\nApproximate number of items in the queue."),
    m_none(c"empty", empty, c"empty()\n\nTrue if the queue is empty now."),
    m_none(c"full", full, c"full()\n\nTrue if the queue holds maxsize items now."),
    m_none(c"close", close, c"close()\n\nThis process will use the handle no more (the queue itself stays open for the others)."),
    m_none(c"_reopen", reopen, c"_reopen()\n\nUndo close() (multiprocessing resets a queue's closed flag in a forked child)."),
    m_none(c"_fileno", fileno, c"_fileno() -> int\n\nThe segment's descriptor (for multiprocessing.reduction.DupFd)."),
    m_none(c"_info", info, c"_info() -> (capacity, max_message, maxsize, closed, recoveries)"),
    m_none(c"_opened", opened, c"_opened() -> bool"),
    PyMethodDef::zeroed(),
];

/// Adds `ShmQueue` to the module.
///
/// # Safety
/// GIL held; `m` is our module.
pub unsafe fn add_type(m: *mut PyObject) -> PyResult<()> {
    let mut slots = [
        (Py_tp_dealloc, dealloc as *mut c_void),
        (Py_tp_new, PyType_GenericNew as *mut c_void),
        (
            Py_tp_doc,
            c"A handle on a shared-memory queue segment (the base of xikernel.mp's queues)."
                .as_ptr() as *mut c_void,
        ),
        (Py_tp_methods, ptr::addr_of_mut!(METHODS).cast()),
        (0, ptr::null_mut()),
    ]
    .map(|(slot, pfunc)| PyType_Slot { slot, pfunc });
    let mut spec = PyType_Spec {
        name: c"_xikernel_mp.ShmQueue".as_ptr(),
        basicsize: core::mem::size_of::<ShmQueueObject>() as c_int,
        itemsize: 0,
        flags: (Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_IMMUTABLETYPE) as _,
        slots: slots.as_mut_ptr(),
    };
    // SAFETY: GIL held; the spec and slots are valid for the call (CPython
    // copies what it keeps; the method table is 'static); AddType takes its
    // own reference.
    unsafe {
        let tp = Owned::from_new(PyType_FromModuleAndSpec(m, &mut spec, ptr::null_mut()))?;
        if PyModule_AddType(m, tp.as_ptr().cast()) < 0 {
            return Err(PyErrSet);
        }
    }
    Ok(())
}

unsafe extern "C" fn dealloc(obj: *mut PyObject) {
    // SAFETY: CPython deallocates one of our objects (or a subclass's,
    // through subtype_dealloc) with the GIL held; the queue box is ours
    // and freed once; the heap type's reference held by the instance is
    // released after (our base is a heap type, so subtype_dealloc leaves
    // that to us).
    unsafe {
        let o = &mut *obj.cast::<ShmQueueObject>();
        if !o.q.is_null() {
            drop(Box::from_raw(o.q));
            o.q = ptr::null_mut();
        }
        if !o.batch.is_null() {
            drop(Box::from_raw(o.batch));
            o.batch = ptr::null_mut();
        }
        let tp = Py_TYPE(obj);
        let free: Option<freefunc> = core::mem::transmute(PyType_GetSlot(tp, Py_tp_free));
        if let Some(free) = free {
            free(obj.cast());
        }
        Py_DECREF(tp.cast());
    }
}

/// The object's fields.
///
/// # Safety
/// `slf` is one of our objects; the GIL is held.
unsafe fn obj<'a>(slf: *mut PyObject) -> &'a mut ShmQueueObject {
    // SAFETY: CPython only calls our methods on instances of our type.
    unsafe { &mut *slf.cast::<ShmQueueObject>() }
}

/// The open queue, after the closed-handle check.
///
/// # Safety
/// GIL held; `slf` ours. The returned reference is valid while `slf` is
/// alive (the box is freed only in dealloc, and the caller holds `slf`).
unsafe fn queue<'a>(slf: *mut PyObject) -> PyResult<&'a Queue> {
    // SAFETY: caller's contract.
    unsafe {
        let o = obj(slf);
        if o.q.is_null() {
            return Err(pf::value_error("queue handle is not open"));
        }
        if o.closed != 0 {
            return Err(closed_error(slf, o.kind));
        }
        Ok(&*o.q)
    }
}

/// A deadline that has passed: the first, GIL-held attempt of every
/// operation spins for a lock at most, and never sleeps.
fn now() -> Deadline {
    Deadline::after(Duration::ZERO)
}

/// # Safety
/// GIL held; `a` NULL or live.
unsafe fn maxsize_kind(maxsize: *mut PyObject, kind: *mut PyObject) -> PyResult<(usize, c_int)> {
    // SAFETY: borrowed arguments.
    unsafe {
        let n = pf::ssize_arg(maxsize)?;
        let k = pf::int_arg(kind)? as c_int;
        let items = if n <= 0 {
            MAX_ITEMS
        } else {
            (n as usize).min(MAX_ITEMS)
        };
        Ok((items, k))
    }
}

/// # Safety
/// GIL held; `slf` ours.
unsafe fn open(slf: *mut PyObject, q: Queue, items: usize, kind: c_int) -> PyResult<Owned> {
    // SAFETY: caller's contract.
    let o = unsafe { obj(slf) };
    if !o.q.is_null() {
        return Err(pf::value_error("queue handle is already open"));
    }
    o.q = Box::into_raw(Box::new(q));
    o.kind = kind;
    o.maxsize = items as Py_ssize_t;
    o.closed = 0;
    o.used = 0;
    Ok(pf::none())
}

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn create_impl(slf: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held; borrowed arguments.
    unsafe {
        let [size, maxsize, kind] = a.parse(c"_create", [c"size", c"maxsize", c"kind"], 3)?;
        let size = pf::ssize_arg(size)?;
        if size <= 0 {
            return Err(pf::value_error("size must be a positive number of bytes"));
        }
        let (items, kind) = maxsize_kind(maxsize, kind)?;
        let q = Queue::create(size as usize, items).map_err(segment_error)?;
        open(slf, q, items, kind)
    }
}
fast!(create, create_impl);

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn attach_impl(slf: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held; borrowed arguments.
    unsafe {
        let [fd, maxsize, kind] = a.parse(c"_attach", [c"fd", c"maxsize", c"kind"], 3)?;
        let fd = pf::int_arg(fd)?;
        if fd < 0 {
            return Err(pf::value_error("bad file descriptor"));
        }
        let (items, kind) = maxsize_kind(maxsize, kind)?;
        if !obj(slf).q.is_null() {
            return Err(pf::value_error("queue handle is already open"));
        }
        // SAFETY: the caller hands us this descriptor (DupFd.detach()
        // returned it for us alone): owning it is our contract.
        let fd = OwnedFd::from_raw_fd(fd as i32);
        let q = Queue::from_fd(fd).map_err(segment_error)?;
        open(slf, q, items, kind)
    }
}
fast!(attach, attach_impl);

/// Encodes `obj`, checking up front that it can ever fit.
///
/// # Safety
/// GIL held.
unsafe fn encode_for(st: &State, q: &Queue, obj: *mut PyObject) -> PyResult<Encoded> {
    // SAFETY: caller's contract.
    let e = unsafe { value::encode(st, obj)? };
    // SAFETY: GIL held.
    unsafe { fits(st, q, e) }
}

/// `e` if it can ever fit in `q`, else `ValueError` at once.
///
/// # Safety
/// GIL held.
unsafe fn fits(st: &State, q: &Queue, e: Encoded) -> PyResult<Encoded> {
    let len = e.bytes().len();
    if len > q.max_message() {
        // SAFETY: GIL held.
        return Err(unsafe {
            push_error(
                st,
                PushError::TooLarge {
                    len,
                    max: q.max_message(),
                },
            )
        });
    }
    Ok(e)
}

/// # Safety
/// GIL held; `slf` ours.
unsafe fn put_one(
    slf: *mut PyObject,
    item: *mut PyObject,
    block: bool,
    deadline: Deadline,
) -> PyResult<Owned> {
    // SAFETY: caller's contract.
    unsafe {
        let q = queue(slf)?;
        let st = state::of(slf)?;
        let e = match value::encode(st, item) {
            Ok(e) => e,
            Err(err) if obj(slf).kind != KIND_SIMPLE => return feeder_error(slf, item, err),
            Err(err) => return Err(err),
        };
        let e = fits(st, q, e)?;
        let msg = e.bytes();
        let mut r = q.push(msg, now());
        if r == Err(PushError::Timeout) && block {
            let len = q.len();
            if spin(|| q.len() != len) {
                r = q.push(msg, now());
            }
            if r == Err(PushError::Timeout) {
                r = blocking(deadline, |w| q.push(msg, w));
            }
        }
        // `e` (a pickle's buffer export) is dropped here, GIL held.
        r.map_err(|err| push_error(st, err))?;
        obj(slf).used = 1;
        Ok(pf::none())
    }
}

/// A value that cannot be pickled: `multiprocessing.Queue.put` returns
/// normally and its feeder thread later hands the error to
/// `self._on_queue_feeder_error(e, obj)` (which prints it; subclasses
/// override it), dropping the item. Same here, synchronously.
///
/// # Safety
/// GIL held; the pickler's exception is set.
unsafe fn feeder_error(slf: *mut PyObject, item: *mut PyObject, _: PyErrSet) -> PyResult<Owned> {
    // SAFETY: GIL held; the raised exception is taken (a new reference)
    // and passed to the hook; each call returns a new reference or NULL +
    // error.
    unsafe {
        let exc = Owned::from_new(PyErr_GetRaisedException())?;
        let name = pf::str("_on_queue_feeder_error")?;
        let args = [slf, exc.as_ptr(), item];
        Owned::from_new(PyObject_VectorcallMethod(
            name.as_ptr(),
            args.as_ptr(),
            3,
            ptr::null_mut(),
        ))?;
        Ok(pf::none())
    }
}

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn put_impl(slf: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held; borrowed arguments.
    unsafe {
        let [item, block, timeout] = a.parse(c"put", [c"obj", c"block", c"timeout"], 1)?;
        let block = bool_arg(block, true)?;
        let deadline = if block { deadline_arg(timeout)? } else { now() };
        put_one(slf, item, block, deadline)
    }
}
fast!(put, put_impl);

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn put_nowait_impl(slf: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held; borrowed arguments.
    unsafe {
        let [item] = a.parse(c"put_nowait", [c"obj"], 1)?;
        put_one(slf, item, false, now())
    }
}
fast!(put_nowait, put_nowait_impl);

/// # Safety
/// GIL held; `slf` ours.
unsafe fn get_one(slf: *mut PyObject, block: bool, deadline: Deadline) -> PyResult<Owned> {
    // SAFETY: caller's contract.
    unsafe {
        let q = queue(slf)?;
        let st = state::of(slf)?;
        let mut r = q.pop(now());
        if r == Err(PopError::Timeout) && block {
            if spin(|| !q.is_empty()) {
                r = q.pop(now());
            }
            if r == Err(PopError::Timeout) {
                r = blocking(deadline, |w| q.pop(w));
            }
        }
        let msg = r.map_err(|e| pop_error(st, e))?;
        value::decode(st, &msg)
    }
}

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn get_impl(slf: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held; borrowed arguments.
    unsafe {
        let [block, timeout] = a.parse(c"get", [c"block", c"timeout"], 0)?;
        let block = bool_arg(block, true)?;
        let deadline = if block { deadline_arg(timeout)? } else { now() };
        get_one(slf, block, deadline)
    }
}
fast!(get, get_impl);

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn get_nowait_impl(slf: *mut PyObject) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe { get_one(slf, false, now()) }
}
noargs!(get_nowait, get_nowait_impl);

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn put_many_impl(slf: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held; borrowed arguments; the sequence's items are
    // borrowed from the list PySequence_Fast made, which we hold.
    unsafe {
        let [items, block, timeout] = a.parse(c"put_many", [c"items", c"block", c"timeout"], 1)?;
        let block = bool_arg(block, true)?;
        let deadline = if block { deadline_arg(timeout)? } else { now() };
        let q = queue(slf)?;
        let st = state::of(slf)?;
        let seq = Owned::from_new(PySequence_Fast(
            items,
            c"put_many() needs an iterable".as_ptr(),
        ))?;
        let n = PySequence_Fast_GET_SIZE(seq.as_ptr());
        let items = PySequence_Fast_ITEMS(seq.as_ptr());
        let mut enc = Vec::with_capacity(n as usize);
        for i in 0..n {
            enc.push(encode_for(st, q, *items.add(i as usize))?);
        }
        let msgs: Vec<&[u8]> = enc.iter().map(Encoded::bytes).collect();
        let mut done = 0;
        let r = match q.push_many(&msgs, now()) {
            Ok(()) => Ok(()),
            Err(e) if e.error == PushError::Timeout && block => {
                done = e.pushed;
                let len = q.len();
                let mut r = Err(e);
                if spin(|| q.len() != len) {
                    r = q.push_many(&msgs[done..], now());
                    if let Err(e) = r {
                        done += e.pushed;
                    }
                }
                match r {
                    Err(e) if e.error == PushError::Timeout => {
                        blocking(deadline, |w| q.push_many(&msgs[done..], w))
                    }
                    Err(e) => Err(xikernel_ipc::PushManyError { pushed: 0, ..e }),
                    Ok(()) => Ok(()),
                }
            }
            Err(e) => Err(e),
        };
        drop(msgs);
        match r {
            Ok(()) => Ok(pf::none()),
            Err(e) => {
                let err = push_error(st, e.error);
                if matches!(e.error, PushError::Full | PushError::Timeout) {
                    note_pushed(done + e.pushed);
                }
                Err(err)
            }
        }
    }
}
fast!(put_many, put_many_impl);

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn get_many_impl(slf: *mut PyObject, a: FastArgs) -> PyResult<Owned> {
    // SAFETY: GIL held; borrowed arguments.
    unsafe {
        let [max, block, timeout] =
            a.parse(c"get_many", [c"max_items", c"block", c"timeout"], 0)?;
        let block = bool_arg(block, true)?;
        let deadline = if block { deadline_arg(timeout)? } else { now() };
        let q = queue(slf)?;
        let st = state::of(slf)?;
        let max = if max.is_null() || max == Py_None() {
            q.max_items()
        } else {
            let m = pf::ssize_arg(max)?;
            if m <= 0 {
                return Err(pf::value_error("max_items must be positive"));
            }
            (m as usize).min(q.max_items())
        };
        // Taken out of the object (another thread's get_many, while this
        // one sleeps with the GIL released, makes its own), put back after.
        let kept = core::mem::replace(&mut obj(slf).batch, ptr::null_mut());
        let mut batch = if kept.is_null() {
            Box::default()
        } else {
            Box::from_raw(kept)
        };
        let r = match q.pop_many(&mut batch, max, now()) {
            Err(PopError::Timeout) if block => {
                blocking(deadline, |w| q.pop_many(&mut batch, max, w))
            }
            r => r,
        };
        r.map_err(|e| pop_error(st, e))?;
        let list = Owned::from_new(PyList_New(batch.len() as Py_ssize_t))?;
        for (i, msg) in batch.iter().enumerate() {
            // A message that does not decode is lost either way (it left
            // the queue); the rest of the batch is dropped with it, after
            // the error, as a failed `get` would have dropped one.
            let v = value::decode(st, msg)?;
            PyList_SET_ITEM(list.as_ptr(), i as Py_ssize_t, v.into_ptr());
        }
        let o = obj(slf);
        if o.batch.is_null() {
            o.batch = Box::into_raw(batch);
        }
        Ok(list)
    }
}
fast!(get_many, get_many_impl);

/// The open queue, closed handle or not (`qsize`/`full` read
/// `multiprocessing`'s semaphore, which `close` leaves alone).
///
/// # Safety
/// As [`queue`].
unsafe fn any_queue<'a>(slf: *mut PyObject) -> PyResult<&'a Queue> {
    // SAFETY: caller's contract.
    unsafe {
        let o = obj(slf);
        if o.q.is_null() {
            return Err(pf::value_error("queue handle is not open"));
        }
        Ok(&*o.q)
    }
}

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn qsize_impl(slf: *mut PyObject) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe { pf::int(any_queue(slf)?.len() as i64) }
}
noargs!(qsize, qsize_impl);

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn empty_impl(slf: *mut PyObject) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        let o = obj(slf);
        if o.q.is_null() {
            return Err(pf::value_error("queue handle is not open"));
        }
        // `multiprocessing.Queue.empty()` polls its pipe: it works on a
        // closed queue never used, and raises once the feeder closed it.
        if o.closed != 0 && (o.kind == KIND_SIMPLE || o.used != 0) {
            return Err(pf::raise(PyExc_OSError, "handle is closed"));
        }
        Ok(pf::boolean((*o.q).is_empty()))
    }
}
noargs!(empty, empty_impl);

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn full_impl(slf: *mut PyObject) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        let q = any_queue(slf)?;
        Ok(pf::boolean(q.len() >= obj(slf).maxsize as usize))
    }
}
noargs!(full, full_impl);

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn close_impl(slf: *mut PyObject) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe { obj(slf).closed = 1 };
    Ok(pf::none())
}
noargs!(close, close_impl);

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn reopen_impl(slf: *mut PyObject) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe { obj(slf).closed = 0 };
    Ok(pf::none())
}
noargs!(reopen, reopen_impl);

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn fileno_impl(slf: *mut PyObject) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        let o = obj(slf);
        if o.q.is_null() {
            return Err(pf::value_error("queue handle is not open"));
        }
        pf::int(i64::from((*o.q).as_raw_fd()))
    }
}
noargs!(fileno, fileno_impl);

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn info_impl(slf: *mut PyObject) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        let o = obj(slf);
        if o.q.is_null() {
            return Err(pf::value_error("queue handle is not open"));
        }
        let q = &*o.q;
        pf::tuple([
            pf::int(q.capacity() as i64)?,
            pf::int(q.max_message() as i64)?,
            pf::int(o.maxsize as i64)?,
            pf::boolean(o.closed != 0),
            pf::int(q.recoveries() as i64)?,
        ])
    }
}
noargs!(info, info_impl);

/// # Safety
/// GIL held; `slf` is one of our `ShmQueue` objects (only the `fast!` /
/// `noargs!` wrappers call it, from the type's method table).
unsafe fn opened_impl(slf: *mut PyObject) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe { Ok(pf::boolean(!obj(slf).q.is_null())) }
}
noargs!(opened, opened_impl);
