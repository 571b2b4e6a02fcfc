"""Benchmarks xikernel's `_interpqueues` against CPython 3.13's own, in one
run with the same Python: each round starts one child process per
implementation (alternating, so machine noise hits both alike); each child
measures every case; the report gives per-case medians and minimums over
the rounds and the ratio native / ours (> 1: ours is faster).

Cases:
- put+get pair from one interpreter (low-level calls) for a small int, a
  10-char str, 1 KiB bytes, a tuple of 8 small values;
- cross-interpreter throughput: a producer sub-interpreter thread puts
  small ints, the main interpreter gets them (native: retry on QueueEmpty
  at once, the fastest it can do; ours: `get_wait`, blocking);
- wake-up latency of a blocked get: a sub-interpreter thread puts a
  timestamp after a pause (native: the wrapper's `Queue.get(timeout)`,
  which polls every 10 ms; ours: `get_wait`);
- for reference, the wake-up of a `threading.Event` between two threads
  (the floor the OS and the GIL set on this machine).

Usage: python bench.py [--rounds N] [--quick] [--markdown]
(run by `python/bench.sh`, which points one child at python/build).
"""

import json
import os
import statistics
import subprocess
import sys
import time

CHILD = r"""
import json, statistics, sys, threading, time
import _interpqueues as q
from test.support import interpreters
from test.support.interpreters import queues as Q

scale = float(sys.argv[1])
out = {"kernel": getattr(q, "_kernel", lambda: "native")()}

def pair(value, n):
    qid = q.create(0, 0, 3)
    put, get = q.put, q.get
    for _ in range(1000):
        put(qid, value, 0, 3); get(qid)
    t = time.perf_counter_ns()
    for _ in range(n):
        put(qid, value, 0, 3); get(qid)
    dt = time.perf_counter_ns() - t
    q.destroy(qid)
    return dt / n

n = int(200_000 * scale)
out["pair: small int"] = pair(12345, n)
out["pair: 10-char str"] = pair("abcdefghij", n)
out["pair: 1 KiB bytes"] = pair(bytes(range(256)) * 4, n)
out["pair: tuple of 8"] = pair((1, 2.5, "ab", b"cd", None, True, -7, (3,)), n)

# Cross-interpreter throughput: producer sub-interpreter -> main.
items = int(300_000 * scale)
qid = q.create(0, 0, 3)
sub = interpreters.create()
sub.prepare_main(qid=qid, items=items)
producer = threading.Thread(target=sub.exec, args=(
    "import _interpqueues as q\nput = q.put\nfor i in range(items): put(qid, i, 0, 3)",))
wait = getattr(q, "get_wait", None)
t = time.perf_counter_ns()
producer.start()
got = 0
if wait is not None:
    while got < items:
        wait(qid, 10); got += 1
else:
    get = q.get
    while got < items:
        try:
            get(qid)
        except Q.QueueEmpty:
            continue
        got += 1
dt = time.perf_counter_ns() - t
producer.join()
out["sub->main throughput (items/s)"] = items / (dt / 1e9)
q.destroy(qid)

# Wake-up latency of a blocked get.
queue = Q.create(syncobj=True)
sub.prepare_main(queue=queue)
lat = []
for _ in range(max(5, int(30 * scale))):
    th = threading.Thread(target=sub.exec, args=(
        "import time\ntime.sleep(0.005)\nqueue.put(time.perf_counter_ns())",))
    th.start()
    if wait is not None:
        stamp = wait(queue.id, 10)[0]
    else:
        stamp = queue.get(timeout=10)
    lat.append(time.perf_counter_ns() - stamp)
    th.join()
out["wake-up latency (us)"] = statistics.median(lat) / 1000
sub.close()

# Floor for comparison: the OS/GIL wake-up of a threading.Event between
# two threads of one interpreter (the same in both children).
ev, box, lat = threading.Event(), [], []
def setter():
    time.sleep(0.005); box.append(time.perf_counter_ns()); ev.set()
for _ in range(max(5, int(30 * scale))):
    ev.clear(); box.clear()
    th = threading.Thread(target=setter); th.start()
    ev.wait(10)
    lat.append(time.perf_counter_ns() - box[0]); th.join()
out["reference: threading.Event wake-up (us)"] = statistics.median(lat) / 1000
print(json.dumps(out))
"""

HIGHER_IS_BETTER = {"sub->main throughput (items/s)"}


def child(build, scale):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if build:
        env["PYTHONPATH"] = build
    r = subprocess.run([sys.executable, "-c", CHILD, str(scale)], env=env,
                       capture_output=True, text=True, timeout=600)
    if r.returncode:
        raise SystemExit(f"benchmark child failed:\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    args = sys.argv[1:]
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 7
    scale = 0.05 if "--quick" in args else 1.0
    if "--quick" in args:
        rounds = 1
    build = os.path.join(os.path.dirname(os.path.abspath(__file__)), "build")
    runs = {"native": [], "xikernel": []}
    for r in range(rounds):
        for label, b in (("native", None), ("xikernel", build)) if r % 2 == 0 else \
                (("xikernel", build), ("native", None)):
            res = child(b, scale)
            assert res.pop("kernel") == label, "python/build did not shadow the native module"
            runs[label].append(res)
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    cases = list(runs["native"][0])
    lines = [f"CPython {sys.version.split()[0]}, {rounds} rounds (alternating processes); "
             "median (best) per case; ratio = native / ours for times, ours / native for "
             "throughput (> 1: ours is better)", "",
             "| case | native | xikernel | ratio (medians) | ratio (best) |",
             "|---|---|---|---|---|"]
    for c in cases:
        nat = [x[c] for x in runs["native"]]
        our = [x[c] for x in runs["xikernel"]]
        hib = c in HIGHER_IS_BETTER
        best = max if hib else min
        mn, mo = statistics.median(nat), statistics.median(our)
        ratio = mo / mn if hib else mn / mo
        bn, bo = best(nat), best(our)
        bratio = bo / bn if hib else bn / bo
        unit = "" if hib or "(us)" in c else " ns"
        fmt = (lambda v: f"{v:,.0f}") if hib else (lambda v: f"{v:,.1f}")
        lines.append(f"| {c} | {fmt(mn)}{unit} ({fmt(best(nat))}) | "
                     f"{fmt(mo)}{unit} ({fmt(best(our))}) | {ratio:.2f}x | {bratio:.2f}x |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
