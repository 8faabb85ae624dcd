"""Benchmark: graphc's generated code on the nine workloads of issue 11, beside a
hand-written NumPy version of the same maths and, when importable, PyTorch eager, jax.jit,
HIPS autograd and PyTensor, in one process.

For each workload (workloads.py) it builds the graph with graphc's public API, takes the
gradient of the loss for every param and compiles it at each level of
``graphc.passes.LEVELS``; checks graphc's loss and gradients against the hand-written
NumPy (rtol 1e-10 in float64, 1e-4 in float32; the run fails if they differ) and each peer
against it too; then times forward+backward (one call computing the loss and every
gradient) of every row interleaved, medians of repeats (measure.py), and measures the peak
memory of one call (tracemalloc) of graphc and of the hand-written code. graphc runs
through the checked call ``f(**feeds)`` and, where the CompiledFunction has it,
``f.unchecked(*arrays)``. Then the compile time (build + grad + compile) of chains of
``tanh(h @ W_i)`` layers, and its growth per 10x the layers.

BLAS (and torch, and XLA) run one thread unless ``--threads N``; with one thread the process
is also pinned to one CPU (XLA's CPU runtime keeps a thread pool that its flags do not
stop, so without the pin jax.jit used both cores of a 2-core machine); a table goes to standard
output and the same as JSON to ``--json PATH`` (out/bench.json), written to a temporary
file and renamed, so a failed run leaves no partial file.

    .venv/bin/python benchmarks/bench_workloads.py [--quick] [--only neuron,conv]
"""

import argparse
import os
import sys

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
CHAINS = (10, 100, 1000, 10000)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: 3 repeats, the 1024-2048 MLPs timed once, chains to 1000")
    p.add_argument("--only", help="comma-separated workload names (default: all nine)")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (1)")
    p.add_argument("--repeat", type=int, help="timing repeats (7; --quick 3)")
    p.add_argument("--chains", type=int, nargs="*",
                   help="tanh chain lengths for compile time (10 100 1000 10000)")
    p.add_argument("--json", default="out/bench.json", help="where the JSON goes")
    args = p.parse_args(argv)
    args.repeat = args.repeat or (3 if args.quick else 7)
    if args.chains is None:
        args.chains = [n for n in CHAINS if n <= 1000 or not args.quick]
    args.target = 0.01 if args.quick else 0.2  # seconds per timing repeat
    return args


def set_threads(threads):
    """One BLAS thread (or ``threads``) for NumPy, torch and XLA; before they load."""
    os.environ.update(dict.fromkeys(THREAD_VARS, str(threads)))
    if threads == 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    if threads == 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   " --xla_cpu_multi_thread_eigen=false"
                                   " intra_op_parallelism_threads=1").strip()


def main(argv=None):
    args = parse_args(argv)
    set_threads(args.threads)
    import suite  # NumPy and graphc load here, after the thread variables are set
    return suite.run(args)


if __name__ == "__main__":
    sys.exit(main())
