"""How the benchmarks measure: interleaved timing (medians of repeats, as timeit does) and
the peak memory of one call (tracemalloc). Shared by bench_mlp.py and bench_workloads.py."""

import statistics
import time
import timeit
import tracemalloc


def time_interleaved(funcs, repeat, target):
    """Per function of ``funcs`` (name -> callable): (median seconds per call, slowest /
    fastest repeat, calls per repeat).

    Like timeit: each repeat times ``number`` calls back to back (garbage collection off);
    the functions take turns inside every repeat, starting from a different one each
    time, so drifts of the machine hit them all alike. ``number`` is chosen per function
    so that one repeat takes about ``target`` seconds (one call at least).
    """
    numbers = {name: _calls_for(f, target) for name, f in funcs.items()}
    samples = {name: [] for name in funcs}
    names = list(funcs)
    for r in range(repeat):
        for name in names[r % len(names):] + names[:r % len(names)]:
            seconds = timeit.Timer(funcs[name]).timeit(numbers[name])
            samples[name].append(seconds / numbers[name])
    return {name: (statistics.median(s), max(s) / min(s), numbers[name])
            for name, s in samples.items()}


def _calls_for(f, target):
    f()  # warm up: first-call costs (caches, page faults) are not what we measure
    start = time.perf_counter()
    f()
    return max(1, int(target / max(time.perf_counter() - start, 1e-9)))


def peak_memory(f):
    """Peak bytes newly allocated during one call of ``f`` (after a warm-up call), as
    tracemalloc sees them: Python objects and NumPy buffers, outputs included."""
    f()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        f()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def size_text(nbytes):
    """Bytes as KiB or MiB, right-aligned in 12 columns."""
    return (f"{nbytes / 2**20:>8.2f} MiB" if nbytes >= 2**20
            else f"{nbytes / 2**10:>8.1f} KiB")
