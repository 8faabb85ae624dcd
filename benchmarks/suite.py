"""What bench_workloads.py runs, once the thread variables are set: each workload checked,
timed and measured; the tanh chains compiled; the report printed and the JSON written."""

import contextlib
import gc as pygc
import json
import os
import platform
import time

import numpy as np

import graphc as gc
from graphc.files import write_atomic
from graphc.passes import LEVELS
import peers
import report
import workloads
from measure import peak_memory, time_interleaved

HAND = "hand-written NumPy"
CALLS = ("checked", "unchecked")
KINDS = tuple(f"graphc opt={level} {call}" for level in LEVELS for call in CALLS) + (
    HAND,) + tuple(peers.PEERS.values())
RTOL = {"float64": 1e-10, "float32": 1e-4}  # graphc against the hand-written NumPy
PEER_RTOL = {"float64": 1e-8, "float32": 1e-3}  # other libraries sum in their own order


def run(args):
    """The whole benchmark; returns the exit status."""
    chosen = _chosen(args.only)
    found, missing = peers.available()
    result = {"machine": machine(args.threads, found), "quick": args.quick,
              "repeat": args.repeat, "levels": list(LEVELS), "kinds": list(KINDS),
              "skipped": missing, "workloads": [], "chains": []}
    report.header(result)
    for w in chosen:
        result["workloads"].append(run_workload(w, args, found))
    result["chains"] = run_chains(args.chains, 1 if args.quick else 3)
    report.chains(result["chains"])
    report.summary(result)
    write_atomic(args.json, lambda f: f.write(json.dumps(result, indent=1).encode()))
    print(f"\nJSON: {args.json}")
    return 0


def _chosen(only):
    if not only:
        return workloads.WORKLOADS
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in workloads.BY_NAME]
    if unknown:
        raise SystemExit(f"unknown workload {unknown[0]!r}; known: "
                         f"{', '.join(workloads.BY_NAME)}")
    return [workloads.BY_NAME[n] for n in names]


def machine(threads, found):
    """CPU model, cores, Python, NumPy and its BLAS, threads, the peers' versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "blas": f"{blas.get('name')} {blas.get('version')}",
            "threads": threads, "cpus_used": _cpus_used(),
            "graphc": getattr(gc, "__version__", "?"),
            "peers": {name: version for name, (_, version) in found.items()}}


def _cpus_used():
    """How many CPUs this process may run on (1 when bench_workloads pinned it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


# ---- one workload ---------------------------------------------------------------------------

def compile_graphc(w):
    """({level: CompiledFunction}, {"grad": s, level: compile seconds}) for workload ``w``:
    its first build and compile in this process (graphc's and SymPy's caches hold only
    what the workloads before it derived), with Python's collector paused."""
    with collector_paused():
        start = time.perf_counter()
        loss, params = workloads.build(w)
        grads = gc.grad(loss, params)
        seconds = {"grad": time.perf_counter() - start}  # build + grad
        fs = {}
        for level in LEVELS:
            start = time.perf_counter()
            fs[level] = gc.compile([loss] + grads, opt=level)
            seconds[level] = time.perf_counter() - start
    return fs, seconds


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic collector off, as timeit does: its passes cost in proportion to the
    whole process's heap (torch and jax loaded make it large), not to graphc's work."""
    pygc.collect()
    pygc.disable()
    try:
        yield
    finally:
        pygc.enable()


def graphc_rows(fs, feeds):
    """{kind: callable}: every level's checked call, and its unchecked call on the feeds
    checked once."""
    rows = {}
    for level, f in fs.items():
        rows[f"graphc opt={level} checked"] = lambda f=f: f(**feeds)
        arrays = f.check(**feeds)
        rows[f"graphc opt={level} unchecked"] = lambda f=f, a=arrays: f.unchecked(*a)
    return rows


def run_workload(w, args, found):
    """Check, time and measure workload ``w``; prints its table, returns its record."""
    feeds = workloads.feeds(w)
    fs, compile_s = compile_graphc(w)
    rows = {**graphc_rows(fs, feeds), HAND: (lambda h=workloads.hand(w): h(feeds))}
    setup = _peer_rows(w, feeds, args.threads, found, rows)
    expected = rows[HAND]()
    check(w, {k: f for k, f in rows.items() if k.startswith("graphc") and f},
          expected, RTOL[w.dtype], "graphc")
    check(w, {peers.PEERS[p]: rows[peers.PEERS[p]] for p in found}, expected,
          PEER_RTOL[w.dtype], "peers")
    timed = {k: f for k, f in rows.items() if f is not None}
    repeat, target = (1, 0.0) if args.quick and w.big else (args.repeat, args.target)
    stats = time_interleaved(timed, repeat, target)
    memory = {k: peak_memory(f) for k, f in timed.items()
              if k == HAND or k.startswith("graphc")}  # others' allocators are not traced
    record = _record(w, stats, memory, compile_s, setup, repeat)
    report.workload(record)
    return record


def _peer_rows(w, feeds, threads, found, rows):
    """Adds a row per peer (None when not importable); returns their setup seconds."""
    setup = {}
    for peer, kind in peers.PEERS.items():
        rows[kind] = None
        if peer in found:
            rows[kind], setup[kind] = peers.prepare(peer, w, feeds, threads)
    return setup


def check(w, funcs, expected, rtol, what):
    """Each of ``funcs`` against the hand-written loss and gradients, before any timing;
    raises AssertionError naming the row and the output that differ."""
    if not funcs:
        return
    names = ("loss",) + w.params
    for kind, f in funcs.items():
        for name, e, a in zip(names, expected, f(), strict=True):
            a, e = np.asarray(a), np.asarray(e)
            assert what != "graphc" or a.dtype == e.dtype, (
                f"{w.name}: {kind}: {name} is {a.dtype}, not {e.dtype}")
            np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * np.max(np.abs(e)),
                                       err_msg=f"{w.name}: {kind} vs {HAND}: {name}")
    print(f"check: {w.name}: {', '.join(funcs)} == {HAND} (loss and "
          f"{len(w.params)} gradients, rtol {rtol:g}): OK")


def _record(w, stats, memory, compile_s, setup, repeat):
    hand = stats[HAND][0]
    rows = []
    for kind in KINDS:
        seconds, spread, calls = stats.get(kind, (None, None, None))
        note = None if seconds is not None else "not importable"
        rows.append({"kind": kind, "median_s": seconds, "ratio": seconds and seconds / hand,
                     "spread": spread, "calls": calls, "peak_bytes": memory.get(kind),
                     "setup_s": setup.get(kind), "note": note})
    return {"name": w.name, "label": w.label, "dtype": w.dtype, "repeat": repeat,
            "grad_s": compile_s["grad"],
            "compile_s": {str(level): compile_s[level] for level in LEVELS}, "rows": rows}


# ---- compile time of tanh chains ---------------------------------------------------------------

def compile_chain(layers):
    """(build + grad seconds, compile seconds, graph nodes) of ``layers`` tanh(h @ W_i)."""
    with collector_paused():
        start = time.perf_counter()
        g = gc.Graph(f"chain{layers}")
        h = g.input("h", shape=(4, 8))
        ws = [g.param(f"W{i}", shape=(8, 8)) for i in range(layers)]
        for W in ws:
            h = gc.tanh(h @ W)
        loss = gc.sum(h).named("loss")
        grads = gc.grad(loss, ws)
        middle = time.perf_counter()
        gc.compile([loss] + grads)
        end = time.perf_counter()
    return middle - start, end - middle, g.nx.number_of_nodes()


def run_chains(lengths, repeat):
    """[{layers, nodes, build_grad_s, compile_s, total_s, growth}], medians of ``repeat``."""
    compile_chain(10)  # warm-up: SymPy derives and caches tanh's derivative once
    rows = []
    for layers in lengths:
        runs = sorted((compile_chain(layers) for _ in range(repeat if layers <= 1000 else 1)),
                      key=lambda r: r[0] + r[1])
        grad_s, compile_s, nodes = runs[len(runs) // 2]
        total = grad_s + compile_s
        growth = total / rows[-1]["total_s"] if rows else None
        rows.append({"layers": layers, "nodes": nodes, "build_grad_s": grad_s,
                     "compile_s": compile_s, "total_s": total, "growth": growth,
                     "growth_of_layers": layers / rows[-1]["layers"] if rows else None})
    return rows
