"""The loop each worker sub-interpreter runs (never imported by the main one).

The main interpreter's worker thread calls :func:`setup` then :func:`run`
through ``_interpreters.exec``; while they run, the thread is inside this
sub-interpreter, holding its GIL, not the main one's. ``run`` takes tasks
with ``_interpqueues.get_wait``, which waits for the kernel's wake-up with
the GIL released: an idle worker costs no CPU and no polling.

An ``Exception`` raised by a task is sent back and the loop goes on. Any
other ``BaseException`` (``SystemExit``, ``KeyboardInterrupt``) is sent back
too and then ends the loop by escaping it: ``_interpreters.exec`` returns
the error to the worker thread, which destroys this interpreter and starts
a fresh one. A task that exits its interpreter gets a new one, as a process
pool's worker that exits gets a new process.
"""

import importlib
import sys

import _interpqueues

from . import wire

_state = None


class _State:
    __slots__ = (
        "tq", "rq", "ctlq", "main", "main_name", "fns", "current", "unanswered",
        "lock", "set_exc", "clear", "fired",
    )

    def __init__(self, cfg):
        self.tq = cfg["tq"]
        self.rq = cfg["rq"]
        self.ctlq = cfg["ctlq"]
        self.main = cfg["main"]
        self.main_name = None  # set once the script is loaded as __mp_main__
        self.fns = {}  # (module, qualname) -> callable
        self.current = None  # tid of the task running (interrupts aim at it)
        self.unanswered = None  # tid of the task taken whose answer is not put yet
        # Interrupts (see _watch): `lock` orders the watchdog's "a task is
        # running, raise in it" against the loop's "the task is over".
        import _thread

        self.lock = _thread.allocate_lock()
        self.set_exc = None  # ctypes' PyThreadState_SetAsyncExc, once needed
        self.clear = None
        self.fired = False  # an async KeyboardInterrupt may be pending


def setup(cfg):
    """Checks the queues module, then runs the pool's initializer."""
    global _state
    if getattr(_interpqueues, "_kernel", lambda: None)() != "xikernel":
        raise ImportError(
            "the worker imported CPython's own _interpqueues, not xikernel's "
            f"({getattr(_interpqueues, '__file__', 'built in')}); the main "
            "interpreter's sys.path does not reach xikernel's modules"
        )
    _state = _State(cfg)
    init = cfg["init"]
    if isinstance(init, str):
        exec(init, sys.modules["__main__"].__dict__)
    elif init is not None:
        fn, args = wire.loads(init, _main_alias)
        fn(*args)


def _main_alias():
    """Loads the main interpreter's script as ``__mp_main__`` (once)."""
    st = _state
    if st.main_name is None:
        if st.main is None:
            raise AttributeError(
                "the task refers to __main__, but the main interpreter's "
                "__main__ is not a file a worker can load (REPL or -c): "
                "define the function in a module, or submit it as source text"
            )
        import runpy
        import types

        kind, where = st.main
        if kind == "path":
            ns = runpy.run_path(where, run_name="__mp_main__")
        else:
            ns = runpy.run_module(where, run_name="__mp_main__", alter_sys=True)
        mod = sys.modules.get("__mp_main__")
        if mod is None or mod.__dict__ is not ns:
            mod = types.ModuleType("__mp_main__")
            mod.__dict__.update(ns)
            sys.modules["__mp_main__"] = mod
        st.main_name = "__mp_main__"
    return st.main_name


def _resolve(fn):
    """The callable a task names: cached import by reference, or a pickle."""
    if type(fn) is bytes:
        return wire.loads(fn, _main_alias)
    found = _state.fns.get(fn)
    if found is None:
        module, qualname = fn
        if module == "__main__":
            module = _main_alias()
        found = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
        _state.fns[fn] = found
    return found


def _args(args):
    if type(args) is bytes:
        pos, kw = wire.loads(args, _main_alias)
        return pos, kw
    pos, kw = args
    return (pos or ()), (dict(kw) if kw else None)


def _run_task(kind, fn, args):
    if kind == wire.CALL:
        f = _resolve(fn)
        pos, kw = _args(args)
        return f(*pos, **kw) if kw else f(*pos)
    if kind == wire.CHUNK:
        f = _resolve(fn)
        rows = wire.loads(args, _main_alias) if type(args) is bytes else args
        return tuple([f(*a) for a in rows])
    if kind == wire.SCRIPT:
        exec(fn, sys.modules["__main__"].__dict__)
        return None
    raise ValueError(f"unknown task kind {kind!r}")


def _send(item):
    _interpqueues.put(_state.rq, item, wire.FMT, wire.UNBOUND_ERROR)


def _send_result(tid, res):
    if wire.is_codec_value(res):
        _send((tid, wire.OK, res))
    else:
        try:
            data = wire.dumps(res)
        except BaseException as e:
            _send((tid, wire.RAISED, wire.describe_exception(e)))
            return
        _send((tid, wire.PICKLED, data))


def _watch(st, loop_ident):
    """The worker's second thread: the pool's interrupt, as Ctrl-C would be.

    Signals reach only the main interpreter's main thread, so when the
    main interpreter gets a KeyboardInterrupt while it waits for the pool
    (see interpreters.py), it puts the id of a queue on this worker's
    control queue and this thread raises KeyboardInterrupt in the running
    task, as the SIGINT a terminal sends to a process pool's children
    would, then acknowledges on that queue. It blocks in a kernel wait
    meanwhile (no polling); None ends it.

    An asynchronous exception is raised when its thread next checks (in
    Python code, not during a C call), so it may still be pending when the
    task ends: under `st.lock`, this thread raises only while a task runs,
    and the loop, as soon as the task is over and before anything that
    checks for pending exceptions (no Python call, no loop back: inline in
    ``_loop``), cancels one that is still pending. So it can only surface
    inside the task, never in the loop's own code.
    """
    get_wait = _interpqueues.get_wait
    while True:
        ackq = get_wait(st.ctlq)[0]
        if ackq is None:
            return
        with st.lock:
            if st.current is None:
                # Between tasks: nothing to interrupt.
                _interpqueues.put(ackq, False, wire.FMT, wire.UNBOUND_REMOVE)
                continue
            if st.set_exc is None:
                import ctypes

                f = ctypes.pythonapi.PyThreadState_SetAsyncExc
                f.argtypes = (ctypes.c_ulong, ctypes.py_object)
                f.restype = ctypes.c_int
                # The loop calls f(*st.clear): NULL clears a pending one.
                st.clear = (loop_ident, ctypes.py_object())
                st.set_exc = f
            st.set_exc(loop_ident, KeyboardInterrupt)
            st.fired = True
            _interpqueues.put(ackq, True, wire.FMT, wire.UNBOUND_REMOVE)


def run():
    """Takes tasks until a ``None`` arrives; see the module's docstring."""
    import threading

    st = _state
    get_wait = _interpqueues.get_wait
    tq = st.tq
    watchdog = threading.Thread(target=_watch, args=(st, threading.get_ident()))
    watchdog.start()
    try:
        _loop(st, get_wait, tq)
    finally:
        # The interpreter can be destroyed only when it runs no other
        # thread: stop the watchdog whatever happened.
        _interpqueues.put(st.ctlq, None, wire.FMT, wire.UNBOUND_REMOVE)
        watchdog.join()


def _loop(st, get_wait, tq):
    try:
        while True:
            item = get_wait(tq)[0]
            if item is None:
                return
            tid, kind, fn, args = item
            del item
            st.unanswered = st.current = tid
            try:
                res = _run_task(kind, fn, args)
            except BaseException as e:
                # Inline, first thing (see _watch): the task is over.
                with st.lock:
                    st.current = None
                    if st.fired:
                        st.fired = False
                        st.set_exc(*st.clear)
                # skip_frames=2: this loop and _run_task are the pool's frames.
                _send((tid, wire.RAISED, wire.describe_exception(e, 2)))
                st.unanswered = None
                if not isinstance(e, Exception):
                    raise  # SystemExit and friends end this interpreter
            else:
                with st.lock:  # as above
                    st.current = None
                    if st.fired:
                        st.fired = False
                        st.set_exc(*st.clear)
                del fn, args
                _send_result(tid, res)
                del res
                st.unanswered = None
    except BaseException as e:
        # Something escaped the loop. If the task it ran was not answered
        # yet, answer it now so that its future does not wait forever.
        if st.unanswered is not None:
            try:
                _send((st.unanswered, wire.RAISED, wire.describe_exception(e)))
                st.unanswered = None
            except BaseException:
                pass
        raise


def post_mortem(pmq):
    """Run by the worker thread after ``run`` died: which task is unanswered?

    Puts that task's tid on ``pmq`` (-1 if none), so that the main
    interpreter can answer it even if the loop's own last-ditch report
    (the ``except`` in ``run``) could not be sent.
    """
    st = _state
    tid = -1
    if st is not None and st.unanswered is not None:
        tid = st.unanswered
    _interpqueues.put(pmq, tid, wire.FMT, wire.UNBOUND_REMOVE)
