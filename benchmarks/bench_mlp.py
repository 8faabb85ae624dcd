"""Benchmark: graphc's generated code against hand-written NumPy, on a 2-layer MLP.

The network is the one in examples/mlp.py, sized from the command line:

    H = relu(X @ W1 + b1),  logits = H @ W2 + b2,  loss = cross_entropy(logits, labels)

One call computes the loss and the gradients of W1, b1, W2 and b2. Everything is measured
side by side in the same run and reported as ratios (the project's rule; the test suite
holds no timing assertion):

- time per call of the generated code, of a hand-written vectorized NumPy
  forward+backward and of the reference interpreter (gc.evaluate), timed interleaved
  (median of several repeats of many calls each; the interpreter, slower, gets fewer
  calls); torch (CPU, float64, autograd) is an extra row only when it happens to be
  importable, and nothing is installed for it;
- peak memory of one call, measured with tracemalloc (NumPy reports its array buffers
  to it), generated code against hand-written;
- compile time (gc.grad + gc.compile) of chains of tanh(h) * c links of growing length,
  per graph node, to show that it grows linearly.

Before timing anything it checks that the generated code and the hand-written NumPy give
the same loss and gradients (rtol 1e-10), and the interpreter too. BLAS runs one thread
unless OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or MKL_NUM_THREADS is set: on a small shared
machine a multi-threaded BLAS makes single calls swing by 10x.

Run it from the repository root, after `make test` or `make demo` has set up .venv:

    .venv/bin/python benchmarks/bench_mlp.py [--quick]

or with the system Python:

    PYTHONPATH=. python3 benchmarks/bench_mlp.py [--quick] [--batch 256 --inputs 784 ...]
"""

import argparse
import gc as pygc
import os
import platform
import sys
import time

# One BLAS thread unless the environment says otherwise: multi-threaded BLAS on a small,
# shared machine swings by 10x from call to call, and both sides call the same BLAS.
# It must be set before NumPy loads.
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
if not any(var in os.environ for var in THREAD_VARS):
    os.environ.update(dict.fromkeys(THREAD_VARS, "1"))

import numpy as np  # noqa: E402

import graphc as gc  # noqa: E402
from measure import peak_memory, size_text, time_interleaved  # noqa: E402

try:  # an optional peer: an extra column when present, never required
    import torch
except ImportError:
    torch = None

PARAMS = ("W1", "b1", "W2", "b2")
RTOL = 1e-10


# ---- the network, three ways ---------------------------------------------------------------

def build_mlp(inputs, hidden, classes):
    """The MLP graph; returns the loss node and the gradient nodes of PARAMS."""
    g = gc.Graph("mlp_bench")
    X = g.input("X", shape=("N", inputs))
    labels = g.input("labels", shape=("N",), dtype="int64")
    W1, b1 = g.param("W1", shape=(inputs, hidden)), g.param("b1", shape=(hidden,))
    W2, b2 = g.param("W2", shape=(hidden, classes)), g.param("b2", shape=(classes,))
    H = gc.relu(X @ W1 + b1).named("H")
    logits = (H @ W2 + b2).named("logits")
    loss = gc.cross_entropy(logits, labels).named("loss")
    return loss, gc.grad(loss, [W1, b1, W2, b2])


def hand_written(X, labels, W1, b1, W2, b2):
    """Loss and gradients (W1, b1, W2, b2) of the MLP, as a competent person writes them."""
    n = X.shape[0]
    rows = np.arange(n)
    A = X @ W1 + b1
    H = np.maximum(A, 0)
    logits = H @ W2 + b2
    shifted = logits - logits.max(axis=1, keepdims=True)  # stable softmax / log-softmax
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    loss = -np.mean(shifted[rows, labels] - np.log(total[:, 0]))
    dlogits = e / total  # softmax - one_hot, over the batch
    dlogits[rows, labels] -= 1.0
    dlogits /= n
    dH = dlogits @ W2.T
    dH *= A > 0  # relu'(0) = 0
    return loss, X.T @ dH, dH.sum(axis=0), H.T @ dlogits, dlogits.sum(axis=0)


def torch_step(X, labels, W1, b1, W2, b2):
    """The same loss and gradients with torch autograd (CPU, float64); only if importable."""
    x, y = torch.from_numpy(X), torch.from_numpy(labels)
    params = [torch.from_numpy(p).requires_grad_() for p in (W1, b1, W2, b2)]
    w1, c1, w2, c2 = params
    logits = torch.relu(x @ w1 + c1) @ w2 + c2
    loss = torch.nn.functional.cross_entropy(logits, y)
    grads = torch.autograd.grad(loss, params)
    return (loss.detach().numpy(), *(d.numpy() for d in grads))


def make_feeds(n, inputs, hidden, classes, seed=0):
    """Deterministic data and parameters (He-scaled weights, small random biases)."""
    rng = np.random.default_rng(seed)
    return {
        "X": rng.normal(size=(n, inputs)),
        "labels": rng.integers(0, classes, size=n),
        "W1": rng.normal(scale=np.sqrt(2.0 / inputs), size=(inputs, hidden)),
        "b1": rng.normal(scale=0.1, size=hidden),
        "W2": rng.normal(scale=np.sqrt(2.0 / hidden), size=(hidden, classes)),
        "b2": rng.normal(scale=0.1, size=classes),
    }


# ---- checks and measurements ---------------------------------------------------------------

def check_same(expected, actual, what, rtol=RTOL, atol=0.0):
    """assert_allclose on the loss and each gradient, naming the output that differs."""
    for name, e, a in zip(("loss",) + PARAMS, expected, actual):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"{what}: {name}")


def compile_chain(links):
    """Seconds for gc.grad and for gc.compile of a chain of ``links`` tanh(h) * c links,
    and the node count of the graph with its gradient."""
    g = gc.Graph(f"chain{links}")
    x = g.input("x", shape=(16,))
    c = g.const("c", 0.9)
    h = x
    for _ in range(links):
        h = gc.tanh(h) * c
    loss = gc.sum(h).named("loss")
    pygc.collect()
    pygc.disable()  # as timeit does: collector passes depend on the whole process's heap
    try:
        start = time.perf_counter()
        (dx,) = gc.grad(loss, [x])
        middle = time.perf_counter()
        gc.compile([loss, dx])
        end = time.perf_counter()
    finally:
        pygc.enable()
    return middle - start, end - middle, g.nx.number_of_nodes()


# ---- the report ----------------------------------------------------------------------------

def run_mlp(args):
    """Check, then time and measure the MLP's forward+backward; prints the table."""
    start = time.perf_counter()
    loss, grads = build_mlp(args.inputs, args.hidden, args.classes)
    generated = gc.compile([loss] + grads)
    build = time.perf_counter() - start
    print(f"graph: {len(loss.graph.nx)} nodes with gradients; gc.grad + gc.compile "
          f"took {build * 1e3:.0f} ms")
    feeds = make_feeds(args.batch, args.inputs, args.hidden, args.classes)
    funcs = {"hand-written NumPy": lambda: hand_written(**feeds),
             "graphc generated": lambda: generated(**feeds),
             "graphc interpreter": lambda: gc.evaluate([loss] + grads, at=feeds)}
    if torch is not None:
        funcs[f"torch {torch.__version__} (extra)"] = lambda: torch_step(**feeds)
    check_all(funcs)
    stats = time_interleaved(funcs, args.repeat, args.target)
    memory = {name: peak_memory(f) for name, f in funcs.items()
              if not name.startswith("torch")}  # torch's allocator is not traced
    print_mlp_table(stats, memory, args.repeat)


def check_all(funcs):
    """Each implementation against the generated code, before anything is timed."""
    generated = funcs["graphc generated"]()
    check_same(generated, funcs["hand-written NumPy"](), "hand-written vs generated")
    print(f"check: generated code == hand-written NumPy (loss and 4 gradients, "
          f"rtol {RTOL:g}): OK")
    check_same(generated, funcs["graphc interpreter"](), "interpreter vs generated")
    print(f"check: generated code == reference interpreter (rtol {RTOL:g}): OK")
    for name in funcs:
        if name.startswith("torch"):  # another library sums in its own order
            check_same(generated, funcs[name](), f"{name} vs generated", 1e-8, 1e-12)
            print(f"check: generated code == {name} (rtol 1e-8, atol 1e-12): OK")
    print()


def print_mlp_table(stats, memory, repeat):
    hand, gen = stats["hand-written NumPy"][0], stats["graphc generated"][0]
    hand_mem = memory["hand-written NumPy"]
    print(f"forward+backward, one call (loss and 4 gradients): median of {repeat} "
          f"interleaved repeats")
    print(f"  {'':28} {'time/call':>11} {'vs hand':>8} {'vs gen':>7} {'calls':>6} "
          f"{'max/min':>8} {'peak memory':>12} {'vs hand':>8}")
    for name, (seconds, spread, calls) in stats.items():
        mem = memory.get(name)
        mem_cols = (f"{size_text(mem)} {mem / hand_mem:>7.2f}x" if mem is not None
                    else f"{'n/a':>12} {'':>8}")
        print(f"  {name:28} {seconds * 1e3:>8.3f} ms {seconds / hand:>7.2f}x "
              f"{seconds / gen:>6.2f}x {calls:>6} {spread:>7.2f}x {mem_cols}")
    print(f"  generated / hand-written: time {gen / hand:.2f}x, peak memory "
          f"{memory['graphc generated'] / hand_mem:.2f}x; interpreter / generated: "
          f"time {stats['graphc interpreter'][0] / gen:.2f}x\n")


def run_compile(args):
    """Compile times of growing chains; prints the table and the per-node ratio."""
    compile_chain(10)  # warm-up: SymPy derives and caches tanh's derivative once
    rows = [(links, *compile_chain(links)) for links in args.chain]
    print("compile time: gc.grad + gc.compile of sum(chain of tanh(h) * c links), "
          "GC off as in timeit")
    print(f"  {'links':>7} {'graph nodes':>12} {'gc.grad':>10} {'gc.compile':>11} "
          f"{'total':>10} {'per node':>10}")
    for links, grad_s, comp_s, nodes in rows:
        total = grad_s + comp_s
        print(f"  {links:>7} {nodes:>12} {grad_s:>9.3f}s {comp_s:>10.3f}s {total:>9.3f}s "
              f"{total / nodes * 1e6:>7.0f} us")
    per_node = [(g + c) / n for _, g, c, n in rows]
    print(f"  per-node time, largest chain / smallest: {per_node[-1] / per_node[0]:.2f}x "
          f"(1.00x is linear growth; {rows[-1][0] // rows[0][0]}x the links)")


SIZES = {  # option -> (default, --quick)
    "batch": (256, 32), "inputs": (784, 20), "hidden": (256, 16), "classes": (10, 5),
    "repeat": (7, 3), "chain": ([1000, 2000, 4000], [50, 100, 200]),
}


def parse_args(argv=None):
    """Options; --quick changes the defaults of the sizes not given explicitly."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="a tiny size that finishes in a couple of seconds")
    p.add_argument("--batch", type=int, help="batch size N (256)")
    p.add_argument("--inputs", type=int, help="input features (784)")
    p.add_argument("--hidden", type=int, help="hidden units (256)")
    p.add_argument("--classes", type=int, help="classes (10)")
    p.add_argument("--repeat", type=int, help="timing repeats (7)")
    p.add_argument("--chain", type=int, nargs="+",
                   help="chain lengths for compile time (1000 2000 4000)")
    args = p.parse_args(argv)
    for name, (full, quick) in SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    args.target = 0.02 if args.quick else 0.2  # seconds per timing repeat
    return args


def main(argv=None):
    args = parse_args(argv)
    print(f"graphc benchmark: 2-layer MLP, N={args.batch}, {args.inputs} -> {args.hidden} "
          f"-> {args.classes}, float64{' (--quick)' if args.quick else ''}")
    threads = next(f"{var}={os.environ[var]}" for var in THREAD_VARS if var in os.environ)
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, {threads}, "
          f"torch {torch.__version__ if torch else 'not importable'}")
    run_mlp(args)
    run_compile(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
