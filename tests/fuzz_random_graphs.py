"""`make fuzz`: thousands of random graphs of every registered op (tests/random_graphs.py)
from a random seed, printed first so that a failure can be replayed, each compiled with
``debug=True`` (the graph verified after every pass) and saved and imported standalone.
Where PyTorch is installed (it is optional, and never installed by ``make``), the first and
second gradients of each graph whose ops all have a PyTorch counterpart are also compared
with ``torch.autograd``'s.

    .venv/bin/python tests/fuzz_random_graphs.py [EXAMPLES] [SEED]
"""

import random
import sys
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, seed, settings, strategies as st

import graphc as gc

from random_graphs import check, random_graph

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # optional: the comparison is left out
    torch = None


def _index(index):
    return tuple(slice(*e) if isinstance(e, tuple) else Ellipsis if e == "..." else e
                 for e in index)


def _reduce(fn):
    def apply(attrs, x):  # dim=() would reduce every axis in PyTorch: none here
        if not attrs["axes"]:
            return x
        return fn(x, dim=attrs["axes"], keepdim=attrs.get("keepdims", False))
    return apply


def _loss(fn):
    return lambda attrs, p, y: fn(p, y)


def _table():
    """graphc op -> (attrs, *tensors) -> tensor, for the ops PyTorch has a function for."""
    t = torch
    unary = {"abs": t.abs, "exp": t.exp, "log": t.log, "sigmoid": t.sigmoid, "tanh": t.tanh,
             "relu": t.relu, "neg": t.neg, "sqrt": t.sqrt, "square": t.square,
             "sign": t.sign, "gelu": F.gelu, "silu": F.silu, "identity": lambda x: x,
             "zeros_like": t.zeros_like}
    binary = {"add": t.add, "sub": t.sub, "mul": t.mul, "div": t.div, "pow": t.pow,
              "maximum": t.maximum, "minimum": t.minimum, "matmul": t.matmul,
              "outer": t.outer}
    table = {name: (lambda fn: lambda attrs, *xs: fn(*xs))(fn)
             for name, fn in {**unary, **binary}.items()}
    table.update({
        "sum": _reduce(t.sum), "mean": _reduce(t.mean), "max": _reduce(t.amax),
        "min": _reduce(t.amin), "logsumexp": _reduce(t.logsumexp),
        "prod": lambda a, x: _prod(x, a["axes"], a.get("keepdims", False)),
        "var": lambda a, x: t.var(x, dim=a["axes"], correction=a.get("ddof", 0),
                                  keepdim=a.get("keepdims", False)),
        "std": lambda a, x: t.std(x, dim=a["axes"], correction=a.get("ddof", 0),
                                  keepdim=a.get("keepdims", False)),
        "softmax": lambda a, x: t.softmax(x, dim=a["axis"]),
        "log_softmax": lambda a, x: t.log_softmax(x, dim=a["axis"]),
        "leaky_relu": lambda a, x: F.leaky_relu(x, a["slope"]),
        "clip": lambda a, x: t.clamp(x, a["lo"], a["hi"]),
        "transpose": lambda a, x: x.permute(*a["axes"]),
        "reshape": lambda a, x: x.reshape(a["shape"]),
        "tile": lambda a, x: x.tile(a["reps"]),
        "getitem": lambda a, x: x[_index(a["index"])],
        "concat": lambda a, *xs: t.cat(xs, dim=a["axis"]),
        "stack": lambda a, *xs: t.stack(xs, dim=a["axis"]),
        "add_n": lambda a, *xs: sum(xs[1:], xs[0]),
        "where": lambda a, c, x, y: t.where(c != 0, x, y),
        "mse": _loss(F.mse_loss), "mae": _loss(F.l1_loss),
        "bce_with_logits": _loss(F.binary_cross_entropy_with_logits),
        "cross_entropy": _loss(F.cross_entropy)})
    return table


def _prod(x, axes, keepdims):
    for axis in sorted((a % x.dim() for a in axes), reverse=True):
        x = x.prod(dim=axis, keepdim=keepdims)
    return x


def _forward(case, built, feeds, table):
    """PyTorch's value of every node up to the loss, by id; None if an op has no entry."""
    graph, values = case.graph, {}
    wrt = {x.id for x in built.wrt}
    for node in graph:
        if node.id > built.loss.id:  # the gradients
            continue
        record = node.record
        if record.role in ("input", "param"):
            values[node.id] = torch.tensor(feeds[record.name], requires_grad=node.id in wrt)
        elif record.op == "const":
            values[node.id] = torch.tensor(np.asarray(record.value, dtype=np.float64))
        elif record.op in table:
            operands = [values[o.id] for o in node.operands]
            values[node.id] = table[record.op](record.attrs, *operands)
        else:
            return None
    return values


def against_torch(case, built, feeds, compiled):
    """The compiled first and second gradients against torch.autograd's."""
    values = _forward(case, built, feeds, TABLE)
    if values is None:
        return
    xs = [values[x.id] for x in built.wrt]
    firsts = torch.autograd.grad(values[built.loss.id], xs, create_graph=True)
    k = len(xs)
    for i, d in enumerate(firsts):
        np.testing.assert_allclose(compiled[2 + i], d.detach().numpy(), rtol=1e-7, atol=1e-9,
                                   err_msg=f"first gradient {i} against torch.autograd")
    if not built.seconds:
        return
    s = sum(((d * torch.tensor(v)).sum() for d, v in zip(firsts, built.v)),
            sum((x * x * torch.tensor(e)).sum() for x, e in zip(xs, built.e)))
    for i, h in enumerate(torch.autograd.grad(s, xs, allow_unused=True)):
        expected = np.zeros(np.shape(compiled[2 + k + i])) if h is None else h.numpy()
        np.testing.assert_allclose(compiled[2 + k + i], expected, rtol=1e-7, atol=1e-9,
                                   err_msg=f"second gradient {i} against torch.autograd")


TABLE = _table() if torch is not None else {}


def main(examples, fuzz_seed):
    print(f"fuzz: {examples} random graphs of every registered op, seed {fuzz_seed}; "
          f"PyTorch {'compared' if torch else 'not installed: not compared'}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="graphc-fuzz-"))
    against = against_torch if torch is not None else None

    @seed(fuzz_seed)
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(random_graph(max_steps=6), st.integers(0, 2 ** 16),
           st.sampled_from(gc.passes.LEVELS))
    def fuzz(case, graph_seed, opt):
        check(case, graph_seed, opt, tmp, debug=True, against=against)

    fuzz()
    print(f"fuzz: {examples} random graphs agree (seed {fuzz_seed})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000,
         int(sys.argv[2]) if len(sys.argv) > 2 else random.SystemRandom().randrange(2 ** 32))
