"""Benchmarks xikernel.interpreters.InterpreterPoolExecutor against
concurrent.futures' ThreadPoolExecutor and ProcessPoolExecutor (CPython
3.13.0, this machine's default start method for processes: fork).

Each round starts one child process per implementation, in alternating
order (so the machine's noise hits all alike); a child measures every
case for its implementation; the report gives the median and the minimum
over the rounds of each case, and the targets of issue #17:

- CPU-bound: ``TASKS`` calls of a pure-Python loop over 2 workers (pool
  already started). Target: the interpreter pool at least 1.7x faster than
  the thread pool (which the GIL serialises).
- Per-task overhead of a trivial function (``noop(i) -> i``): wall time per
  task of ``list(pool.map(noop, range(N)))`` (chunksize 1, so one task per
  item: the pools' own cost, pipelined), and the round trip of one
  ``submit(noop, i).result()`` at a time (latency). Target: the map figure
  at most a third of the process pool's.
- Start-up: from the constructor to the first result of a 2-worker pool,
  and the ``shutdown(wait=True)`` after it.

Usage: python3 python/bench_pool.py [--rounds N] [--quick] [--markdown FILE]
with CPython 3.13 after ``bash python/build.sh`` (each child gets
python/build and python/ first on PYTHONPATH); ``--markdown`` replaces
the table between the markers in FILE (docs/python-interpreters.md).
"""

# Only cheap imports at the top: the workers of every pool import this
# module (to find `cpu` and `noop`), and that is part of their start-up.
import os
import sys
import time

WORKERS = 2


def cpu(n):
    """The CPU-bound task: a pure-Python loop (the GIL's worst case)."""
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


def noop(x):
    return x


def _executor(kind):
    if kind == "interpreters":
        from xikernel.interpreters import InterpreterPoolExecutor

        return InterpreterPoolExecutor(WORKERS)
    import concurrent.futures as cf

    if kind == "threads":
        return cf.ThreadPoolExecutor(WORKERS)
    return cf.ProcessPoolExecutor(WORKERS)


def _warm(ex):
    # Start both workers and import what the cases use.
    list(ex.map(cpu, [10_000] * (4 * WORKERS)))


def child(kind, scale):
    import json

    out = {}
    # Start-up: constructor to first result; then shutdown.
    t = time.perf_counter()
    ex = _executor(kind)
    ex.submit(noop, 1).result()
    out["startup: first result (ms)"] = (time.perf_counter() - t) * 1e3
    t = time.perf_counter()
    ex.shutdown(wait=True)
    out["startup: shutdown (ms)"] = (time.perf_counter() - t) * 1e3

    with _executor(kind) as ex:
        _warm(ex)
        n = int(1_000_000 * scale)
        tasks = 8
        import resource

        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t = time.perf_counter()
        res = list(ex.map(cpu, [n] * tasks))
        wall = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        out["cpu-bound: 8 tasks (s)"] = wall
        # Cores this process got meanwhile (CPU time / wall time): the
        # thread pool cannot pass 1 (the GIL), the interpreter pool can
        # reach 2 if the machine has 2 free cores. A process pool's work is
        # in its children, not counted here (0).
        cpu_s = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        out["cpu-bound: cores used (this process)"] = cpu_s / wall if kind != "processes" else 0.0
        assert res == [cpu(n)] * tasks if scale < 0.05 else len(res) == tasks

        n = int(20_000 * scale) or 100
        list(ex.map(noop, range(200)))
        t = time.perf_counter()
        res = list(ex.map(noop, range(n)))
        out["per task: map, chunksize 1 (us)"] = (time.perf_counter() - t) / n * 1e6
        assert res == list(range(n))

        n = int(3_000 * scale) or 50
        t = time.perf_counter()
        for i in range(n):
            ex.submit(noop, i).result()
        out["per task: submit+result round trip (us)"] = (time.perf_counter() - t) / n * 1e6
    print(json.dumps(out))


KINDS = ("interpreters", "threads", "processes")


def main():
    import argparse
    import json
    import subprocess

    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="smoke: tiny sizes, 1 round")
    ap.add_argument("--markdown", help="write the table to this file (between markers)")
    a = ap.parse_args()
    scale = 0.02 if a.quick else 1.0
    rounds = 1 if a.quick else a.rounds
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(here, "build"), here] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    data = {k: [] for k in KINDS}
    load = []
    for r in range(rounds):
        order = KINDS[r % 3 :] + KINDS[: r % 3]
        for kind in order:
            load.append(os.getloadavg()[0])
            p = subprocess.run(
                [sys.executable, "-c", f"import bench_pool; bench_pool.child({kind!r}, {scale})"],
                env=env,
                cwd=here,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if p.returncode != 0:
                sys.exit(f"{kind} child failed:\n{p.stderr}")
            data[kind].append(json.loads(p.stdout.strip().splitlines()[-1]))
        print(f"round {r + 1}/{rounds} done (load {os.getloadavg()[0]:.2f})", file=sys.stderr)
    table = report(data, rounds, load)
    print(table)
    if a.markdown:
        write_markdown(a.markdown, table)


def _stats(data, kind, case):
    import statistics

    xs = [d[case] for d in data[kind]]
    return statistics.median(xs), min(xs)


def report(data, rounds, load):
    cases = list(data["interpreters"][0])
    lines = [
        f"CPython {sys.version.split()[0]}, {WORKERS} workers, {rounds} rounds "
        f"(one child process per pool per round, alternating); median (min). "
        f"Load average (1 min) while it ran: {min(load):.2f} to {max(load):.2f} "
        f"on {os.cpu_count()} cores.",
        "",
        "| case | interpreters (xikernel) | ThreadPoolExecutor | ProcessPoolExecutor |",
        "|---|---|---|---|",
    ]
    for c in cases:
        cells = []
        for k in KINDS:
            med, lo = _stats(data, k, c)
            cells.append(f"{med:,.3f} ({lo:,.3f})" if med < 10 else f"{med:,.1f} ({lo:,.1f})")
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    lines += ["", "| target | measured (medians) | measured (mins) | |", "|---|---|---|---|"]

    def ratio(case, a, b):
        return [_stats(data, a, case)[i] / _stats(data, b, case)[i] for i in (0, 1)]

    r = ratio("cpu-bound: 8 tasks (s)", "threads", "interpreters")
    met = r[0] >= 1.7
    lines.append(
        f"| CPU-bound: interpreters >= 1.7x the thread pool | {r[0]:.2f}x | {r[1]:.2f}x | "
        f"{'met' if met else 'missed'} |"
    )
    r = ratio("per task: map, chunksize 1 (us)", "interpreters", "processes")
    met = r[0] <= 1 / 3
    lines.append(
        f"| per-task overhead (map): interpreters <= 1/3 of the process pool's | "
        f"{r[0]:.2f} of it | {r[1]:.2f} of it | {'met' if met else 'missed'} |"
    )
    r = ratio("per task: submit+result round trip (us)", "interpreters", "processes")
    lines.append(
        f"| (same, round trip, not a target) | {r[0]:.2f} of it | {r[1]:.2f} of it | |"
    )
    return "\n".join(lines)


BEGIN, END = "<!-- bench_pool.py table: begin -->", "<!-- bench_pool.py table: end -->"


def write_markdown(path, table):
    with open(path) as f:
        text = f.read()
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        sys.exit(f"{path} has no {BEGIN} ... {END} markers")
    with open(path, "w") as f:
        f.write(f"{head}{BEGIN}\n{table}\n{END}{tail}")


if __name__ == "__main__":
    main()
