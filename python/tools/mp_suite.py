"""CPython 3.13's own multiprocessing queue and pool tests
(`test._test_multiprocessing`), as a unittest module, run against
`multiprocessing`'s classes or, with ``XIKERNEL_MP_TESTS=ours`` in the
environment, against ``xikernel.mp``'s.

"Ours" replaces, before the test classes are made, the test mixin's
``Queue``, ``JoinableQueue`` and ``Pool`` (what ``self.Queue()`` etc. call)
and ``multiprocessing``'s module-level ``Queue``, ``SimpleQueue``,
``JoinableQueue`` and ``Pool`` (what tests calling them directly get): the
context's own methods stay ``multiprocessing``'s, as ``xikernel.mp``'s
contexts leave everything but the queues and the pool to it. The
replacement happens at import, so a spawned or forkserver child (which
re-imports this module to unpickle its target) gets ours too.

``XIKERNEL_MP_START`` picks the start method (default ``fork``).
Run by python/tools/cpython_mp_tests.py.
"""

import os
import unittest

import multiprocessing
from test import _test_multiprocessing as T

OURS = os.environ.get("XIKERNEL_MP_TESTS") == "ours"
START = os.environ.get("XIKERNEL_MP_START", "fork")

if OURS:
    from xikernel import mp

    T.ProcessesMixin.Queue = staticmethod(mp.Queue)
    T.ProcessesMixin.JoinableQueue = staticmethod(mp.JoinableQueue)
    T.ProcessesMixin.Pool = staticmethod(mp.Pool)
    multiprocessing.Queue = mp.Queue
    multiprocessing.SimpleQueue = mp.SimpleQueue
    multiprocessing.JoinableQueue = mp.JoinableQueue
    multiprocessing.Pool = mp.Pool

T.install_tests_in_module_dict(globals(), START, only_type="processes")

#: The queue and pool test classes (the rest of the file tests locks,
#: managers, connections, ...: nothing of ours).
KEEP = {
    "WithProcessesTestQueue",
    "WithProcessesTestPool",
    "WithProcessesTestPoolWorkerErrors",
    "WithProcessesTestPoolWorkerLifetime",
    "TestSimpleQueue",
}

for _name, _obj in list(globals().items()):
    if (isinstance(_obj, type) and issubclass(_obj, unittest.TestCase)
            and _name not in KEEP):
        del globals()[_name]

if __name__ == "__main__":
    unittest.main()
