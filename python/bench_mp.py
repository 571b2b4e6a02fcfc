"""Benchmark of xikernel.mp against multiprocessing and faster-fifo, in one
run with one Python: per-item cost of moving items from 1 or 4 producer
processes to the parent, single put/get and batched (put_many/get_many of
100), for a small tuple and 64 KiB of bytes; and Pool.map of a trivial
function over 10^5 items with the default chunksize.

    python -m venv VENV && VENV/bin/pip install faster-fifo   # a peer only
    PYTHONPATH=python/build:python VENV/bin/python python/bench_mp.py \\
        [--reps 9] [--write docs/python-mp.md]

Implementations alternate within each repetition (the machine's load
drifts); each cell is the median over the repetitions (min in the
detailed table). --write replaces the part of the file between the
BENCH markers with the tables, the machine's `uptime` and the targets,
marked met or missed. faster-fifo is skipped if it is not installed.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import multiprocessing

from xikernel import mp as xmp

try:
    import faster_fifo
except ImportError:
    faster_fifo = None

SMALL = (12345, "ten chars!", 3.5)
BIG = b"\xab" * 65536
BATCH = 100
ITEMS = {"small": (SMALL, 20_000), "64k": (BIG, 2_000)}
FORK = multiprocessing.get_context("fork")


def make(impl, item):
    if impl == "mp":
        return multiprocessing.get_context("fork").Queue()
    # Both shared-memory queues get the same 16 MiB (xikernel.mp's default):
    # a fresh segment's pages fault in on first use, as the ring advances.
    if impl == "ff":
        return faster_fifo.Queue(max_size_bytes=xmp.DEFAULT_SIZE)
    return xmp.get_context("fork").Queue()


def producer(impl, q, n, batch, item, go):
    go.wait()
    if batch:
        chunk = [item] * batch
        for _ in range(n // batch):
            q.put_many(chunk, timeout=1e9) if impl == "ff" else q.put_many(chunk)
    else:
        put = q.put
        if impl == "ff":
            for _ in range(n):
                put(item, timeout=1e9)
        else:
            for _ in range(n):
                put(item)


def one_queue_run(impl, producers, batch, item, total):
    q = make(impl, item)
    go = FORK.Event()
    n = total // producers
    procs = [FORK.Process(target=producer, args=(impl, q, n, batch, item, go))
             for _ in range(producers)]
    for p in procs:
        p.start()
    time.sleep(0.05)  # let them reach the start line
    got = 0
    t = time.perf_counter()
    go.set()
    if batch:
        if impl == "ff":
            while got < n * producers:
                got += len(q.get_many(max_messages_to_get=batch, timeout=1e9))
        else:
            while got < n * producers:
                got += len(q.get_many(batch))
    else:
        get = q.get
        if impl == "ff":
            for _ in range(n * producers):
                get(timeout=1e9)
        else:
            for _ in range(n * producers):
                get()
    secs = time.perf_counter() - t
    for p in procs:
        p.join()
    if impl == "mp":
        q.close()
        q.join_thread()
    return secs / (n * producers) * 1e6


def trivial(x):
    return x


def pool_run(pool):
    t = time.perf_counter()
    pool.map(trivial, range(100_000))
    return (time.perf_counter() - t) * 1e3


IMPLS = {"mp": "multiprocessing.Queue", "ff": "faster-fifo", "xi": "xikernel.mp.Queue"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--write", metavar="MD")
    args = ap.parse_args()
    impls = ["mp", "xi"] + (["ff"] if faster_fifo else [])
    cases = [(item, producers, batch)
             for item in ITEMS for producers in (1, 4) for batch in (0, BATCH)]
    res = {}
    pools = {"mp": [], "xi": []}
    up0 = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    with FORK.Pool() as mpool, xmp.get_context("fork").Pool() as xpool:
        pool_objs = {"mp": mpool, "xi": xpool}
        for p in pool_objs.values():
            p.map(trivial, range(1000))
        for rep in range(args.reps):
            order = impls if rep % 2 == 0 else impls[::-1]
            for item, producers, batch in cases:
                obj, total = ITEMS[item]
                for impl in order:
                    if impl == "mp" and batch:
                        continue
                    us = one_queue_run(impl, producers, batch, obj, total)
                    res.setdefault((impl, item, producers, batch), []).append(us)
            for impl in (["mp", "xi"] if rep % 2 == 0 else ["xi", "mp"]):
                pools[impl].append(pool_run(pool_objs[impl]))
            print(f"rep {rep + 1}/{args.reps} done", file=sys.stderr)
    up1 = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    md = report(res, pools, impls, args.reps, up0, up1)
    print(md)
    if args.write:
        text = open(args.write).read()
        a, b = "<!-- BENCH START -->", "<!-- BENCH END -->"
        i, j = text.index(a) + len(a), text.index(b)
        open(args.write, "w").write(text[:i] + "\n" + md + "\n" + text[j:])


def report(res, pools, impls, reps, up0, up1):
    med = {k: statistics.median(v) for k, v in res.items()}
    mn = {k: min(v) for k, v in res.items()}
    lines = [
        f"Python {sys.version.split()[0]}, fork, {os.cpu_count()} CPUs; {reps} repetitions, "
        "implementations alternating; median (min) microseconds per item, the parent "
        "consuming; batched = put_many/get_many of 100.",
        "",
        f"- uptime before: `{up0}`",
        f"- uptime after: `{up1}`",
        "",
        "| item | producers | mode | " + " | ".join(IMPLS[i] for i in impls)
        + " | xikernel vs mp.Queue single |",
        "|---" * (4 + len(impls)) + "|",
    ]
    targets = []
    for item in ITEMS:
        for producers in (1, 4):
            for batch in (0, BATCH):
                cells = []
                for impl in impls:
                    k = (impl, item, producers, batch)
                    cells.append(f"{med[k]:.2f} ({mn[k]:.2f})" if k in med else "—")
                base = med[("mp", item, producers, 0)]
                ratio = base / med[("xi", item, producers, batch)]
                want = 20 if batch else 5
                ok = ratio >= want
                targets.append(ok)
                mode = "batched" if batch else "single"
                lines.append(f"| {item} | {producers} | {mode} | " + " | ".join(cells)
                             + f" | {ratio:.1f}x (target {want}x: {'met' if ok else 'MISSED'}) |")
    pm, px = statistics.median(pools["mp"]), statistics.median(pools["xi"])
    ratio = pm / px
    lines += [
        "",
        "Pool.map(trivial, range(10**5)), default chunksize, "
        f"{os.cpu_count()} workers, milliseconds per map, median (min):",
        "",
        "| multiprocessing.Pool | xikernel.mp.Pool | speed-up |",
        "|---|---|---|",
        f"| {pm:.1f} ({min(pools['mp']):.1f}) | {px:.1f} ({min(pools['xi']):.1f}) | "
        f"{ratio:.2f}x (target 3x: {'met' if ratio >= 3 else 'MISSED'}) |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
