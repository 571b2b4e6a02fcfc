"""Random-call smoke test of the xikernel `_interpchannels`: thousands of
calls with random (often invalid) arguments, keywords and channel ids,
with channel ends crossing a sub-interpreter, in child processes so that
a crash (the worst outcome in CPython's suite) fails the test instead of
killing the runner. Every call must return or raise; none may crash.

Run by python/run-cpython-tests.sh with python/build first on PYTHONPATH.
"""

import os
import subprocess
import sys
import unittest

import _interpchannels as _c

SCRIPT = r'''
import _interpchannels as c, random, sys, gc
from test.support import interpreters
rng = random.Random(int(sys.argv[1]))
sub = interpreters.create()
ids = [c.create(rng.choice([1,2,3])) for _ in range(3)]
pool = lambda: rng.choice([0, 1, 2, -1, 2**63, 2**64, 1.5, "x", b"y", None, True, (1, 2), [], object(),
                           rng.choice(ids), rng.choice(ids).send, rng.choice(ids).recv, 10**6, bytearray(b"ab"), memoryview(b"cd")])
fns = ["create", "destroy", "list_all", "list_interpreters", "send", "send_buffer", "recv", "close",
       "release", "get_count", "get_info", "get_channel_defaults", "_channel_id", "recv_wait"]
kws = ["send", "recv", "force", "blocking", "timeout", "default", "unboundop", "_resolve"]
for n in range(4000):
    f = getattr(c, rng.choice(fns))
    args = [pool() for _ in range(rng.randint(0, 3))]
    kw = {k: rng.choice([True, False, 0, 0.001, None, 1, 3]) for k in rng.sample(kws, rng.randint(0, 2))}
    if f.__name__ in ("send", "send_buffer", "recv_wait"):
        kw["timeout"] = 0.001 if kw.get("blocking", True) else None
        if kw["timeout"] is None: del kw["timeout"]
    try:
        r = f(*args, **kw)
        if f.__name__ == "create": ids.append(r)
    except Exception:
        pass
    if n % 500 == 0:
        try:
            cid = rng.choice(ids)
            sub.prepare_main(cid=cid, s=cid.send)
            sub.exec("import _interpchannels as c\ntry:\n c.send(cid, (1, s), blocking=False)\n c.recv(cid, None)\nexcept Exception: pass")
        except Exception:
            pass
    if len(ids) > 50: ids = ids[-10:]
sub.close()
del ids; gc.collect()
print("ok", len(c.list_all()))
'''


def setUpModule():
    if getattr(_c, "_kernel", lambda: "native")() != "xikernel":
        raise unittest.SkipTest("python/build is not first on PYTHONPATH")


class FuzzTests(unittest.TestCase):
    def test_random_calls_never_crash(self):
        for seed in range(8):
            with self.subTest(seed=seed):
                r = subprocess.run([sys.executable, "-c", SCRIPT, str(seed)],
                                   env=dict(os.environ), capture_output=True,
                                   text=True, timeout=120)
                self.assertEqual(r.returncode, 0, r.stderr[-2000:])
                self.assertTrue(r.stdout.startswith("ok"), r.stdout + r.stderr[-2000:])


if __name__ == "__main__":
    unittest.main()
