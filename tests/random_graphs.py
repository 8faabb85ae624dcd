"""Random graphs over every registered op (a Hypothesis strategy), and the one check each
graph goes through: build, first and second gradients (gc.grad twice), an optimisation
level, gc.compile, the standalone module saved and imported without graphc, the reference
interpreter and gc.evaluate, and both gradients against float64 central differences.

Each step of a graph applies one op of the registry. Its operands, shapes and attributes
come from the op's TestSpec (tests/opspecs.py draws the same entries), or from a table of
variants that draws other shapes and attributes for the ops where that is simple. An
operand is a fresh input, or a node already built, fitted to the shape asked for (reshape,
slice, tile) and, for an op with a domain (log, sqrt, the base of pow, probabilities),
mapped into it by ``lo + (hi - lo) * sigmoid(v)``. Class labels are always fresh inputs.

Kinks (relu, abs, max, clip, hinge, ...) are found by the numbers, for every op alike: a
line through the point that crosses a kink has one-sided differences that disagree, and
then that derivative is not compared with finite differences (the rest of the check runs).
"""

import importlib.util
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hypothesis import note
from hypothesis import strategies as st

import graphc as gc
from graphc.interpret import reference
from graphc.ops import all_ops

from opspecs import draw as draw_entry

#: Every op the registry holds with a TestSpec (a test elsewhere fails for one without).
OPS = [op for op in all_ops() if op.test is not None]
SHAPES = [(), (2,), (3,), (2, 3), (3, 1), (2, 1, 3)]
UNARY = ("abs", "exp", "log", "sigmoid", "tanh", "relu", "neg", "sqrt", "square", "sign",
         "step", "gelu", "silu", "leaky_relu", "clip", "identity", "zeros_like")
BINARY = ("add", "sub", "mul", "div", "maximum", "minimum")
REDUCE = ("sum", "mean", "max", "min", "prod", "logsumexp", "var", "std")
H = 1e-6  # the finite-difference step, along a direction of unit largest entry
EXAMPLES, SEED = 200, 16  # what `make test` runs (tests/test_random_graphs.py)
PER_OP = 2  # of them, graphs that start with each registered op


@dataclass
class Case:
    """A random graph: its leaves' TestSpec entries (by name), the steps' op nodes, in order."""

    graph: gc.Graph
    leaves: dict = field(default_factory=dict)
    steps: list = field(default_factory=list)
    fixed: set = field(default_factory=set)  # float inputs not differentiated

    def floats(self):
        """The float inputs, which the gradients are taken with respect to (not labels, nor
        targets of +-1)."""
        return [self.graph.node(n) for n, e in self.leaves.items()
                if e[0] != "labels" and e[2] != e[3] and n not in self.fixed]

    def out(self):
        """The last float node, the one the loss is built from."""
        floats = [n for n in self.steps if n.dtype.startswith("float")]
        return floats[-1] if floats else self.floats()[0]

    def feeds(self, seed):
        rng = np.random.default_rng(seed)
        return {name: draw_entry(entry, rng).astype("int64" if entry[0] == "labels" else
                                                     "float64")
                for name, entry in self.leaves.items()}


# ---- variants: other shapes and attributes than the TestSpec's ------------------------------

def _float(shape, lo=-2.0, hi=2.0):
    return ("float", shape, lo, hi)


def _unary(opdef, draw):
    entry = opdef.test.inputs[0]
    return (entry[:1] + (draw(st.sampled_from(SHAPES)),) + entry[2:],), dict(opdef.test.attrs)


def _binary(opdef, draw):
    a = draw(st.sampled_from(SHAPES))
    b = draw(st.sampled_from([a, a[1:], a[-1:], (), tuple(1 for _ in a)]))
    if draw(st.booleans()):
        a, b = b, a
    first, second = opdef.test.inputs
    return (first[:1] + (a,) + first[2:], second[:1] + (b,) + second[2:]), {}


def _reduce(opdef, draw):
    shape = draw(st.sampled_from([s for s in SHAPES if s]))
    axis = draw(st.sampled_from([None] + list(range(-len(shape), len(shape)))))
    attrs = {"axis": axis, "keepdims": draw(st.booleans())}
    if opdef.name in ("var", "std"):
        attrs["ddof"] = draw(st.sampled_from([0, 1]))
        if min(shape) < 2 and attrs["ddof"]:  # at least two elements along every axis
            shape = tuple(max(2, d) for d in shape)
    return (_float(shape),), attrs


def _softmax(opdef, draw):
    shape = draw(st.sampled_from([s for s in SHAPES if s]))
    return (_float(shape),), {"axis": draw(st.integers(-len(shape), len(shape) - 1))}


def _transpose(opdef, draw):
    shape = draw(st.sampled_from([(2, 3), (2, 1, 3)]))
    return (_float(shape),), {"axes": tuple(draw(st.permutations(range(len(shape)))))}


def _matmul(opdef, draw):
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    a, b = draw(st.sampled_from([((m, k), (k, n)), ((k,), (k, n)), ((m, k), (k,)),
                                 ((k,), (k,)), ((2, m, k), (k, n))]))
    return (_float(a), _float(b)), {}


VARIANTS = {**{name: _unary for name in UNARY}, **{name: _binary for name in BINARY},
            **{name: _reduce for name in REDUCE}, "softmax": _softmax,
            "log_softmax": _softmax, "transpose": _transpose, "matmul": _matmul}


# ---- the strategy -------------------------------------------------------------------------

def fit(node, shape):
    """``node`` reshaped, sliced and tiled to ``shape`` (the same node when it fits)."""
    if node.shape == shape:
        return node
    n, m = int(np.prod(node.shape)), int(np.prod(shape))
    flat = gc.reshape(node, (n,)) if node.shape != (n,) else node
    if m > n:
        flat = gc.tile(flat, (-(-m // n),))
    if flat.shape[0] != m:
        flat = flat[:m]
    return gc.reshape(flat, shape) if shape != (m,) else flat


def into_domain(node, entry):
    """``node`` mapped into the entry's interval when the op needs one (log, sqrt, ...)."""
    kind, _, lo, hi = entry
    if kind == "nonzero" or (lo <= -1.0 and hi >= 1.0):
        return node
    return lo + (hi - lo) * gc.sigmoid(node)


def _operand(case, entry, draw, differentiable=True):
    """A fresh input for the entry, or a float node of the graph fitted into it; a fresh
    input, not differentiated, for an op without gradient (``differentiable=False``)."""
    pool = [n for n in case.floats() + case.steps if n.dtype.startswith("float")]
    fixed = entry[0] == "labels" or entry[2] == entry[3]  # labels, targets of +-1
    if fixed or not pool or not differentiable or draw(st.integers(0, 3)) == 0:
        name = f"x{len(case.leaves)}"
        case.leaves[name] = entry
        if not differentiable:
            case.fixed.add(name)
        dtype = "int64" if entry[0] == "labels" else "float64"
        return case.graph.input(name, shape=entry[1], dtype=dtype)
    return into_domain(fit(draw(st.sampled_from(pool)), entry[1]), entry)


@st.composite
def random_graph(draw, ops=OPS, max_steps=4, first=None):
    """A Case: 1 to ``max_steps`` ops drawn from ``ops`` (all registered ops by default),
    the first of them ``first`` when one is given (an OpDef)."""
    case = Case(gc.Graph("random"))
    case.leaves["x0"] = _float(draw(st.sampled_from(SHAPES)))
    case.graph.input("x0", shape=case.leaves["x0"][1])
    for step in range(draw(st.integers(1, max_steps))):
        opdef = first if step == 0 and first is not None else draw(st.sampled_from(ops))
        variant = VARIANTS.get(opdef.name)
        entries, attrs = (variant(opdef, draw) if variant and draw(st.booleans()) else
                          (opdef.test.inputs, dict(opdef.test.attrs)))
        operands = [_operand(case, e, draw, opdef.vjp is not None) for e in entries]
        case.steps.append(case.graph.apply(opdef.name, operands, attrs))
    return case


# ---- the check ----------------------------------------------------------------------------

@dataclass
class Built:
    """What a case computes: the loss, s = sum_i <v_i, dloss/dx_i>, their gradients."""

    wrt: list
    loss: gc.Node
    s: gc.Node
    firsts: list
    seconds: list
    v: list = field(default_factory=list)  # s = sum_i sum(v_i * d_i) + sum_i sum(e_i x_i x_i)
    e: list = field(default_factory=list)

    def nodes(self):
        return [self.loss, self.s] + self.firsts + self.seconds


def weights(rng, shape):
    return rng.uniform(0.5, 1.5, size=shape)


def total(terms):
    s = terms[0]
    for t in terms[1:]:
        s = s + t
    return s


def differentiate(case, seed):
    """Built for ``case``: loss = sum(w * out * out) + sum_i sum(c_i * x_i), the linear part
    so that every input gets a gradient (never only through a step); then gc.grad of the
    loss, and gc.grad of s, a weighted sum of those gradients (a Hessian-vector product)
    plus sum_i sum(e_i * x_i * x_i), for the same reason."""
    rng = np.random.default_rng(seed + 1)
    out, wrt = case.out(), case.floats()
    loss = total([gc.sum(out * out * weights(rng, out.shape))] +
                 [gc.sum(x * weights(rng, x.shape)) for x in wrt])
    firsts = gc.grad(loss, wrt)
    v, e = [weights(rng, d.shape) for d in firsts], [weights(rng, x.shape) for x in wrt]
    s = total([gc.sum(d * vi) for d, vi in zip(firsts, v)] +
              [gc.sum(x * x * ei) for x, ei in zip(wrt, e)])
    return Built(wrt, loss, s, firsts, second_gradients(case, s, wrt), v, e)


#: The ops whose second derivative is not supported (TestSpec second=False): gc.grad says so.
NO_SECOND = {op.name for op in OPS if not op.test.second}


def second_gradients(case, s, wrt):
    """gc.grad(s, wrt); [] where the graph holds an op of NO_SECOND and gc.grad says that
    its second derivative is not supported (the message names the op and the node)."""
    try:
        return gc.grad(s, wrt)
    except gc.DifferentiationError as err:
        named = [op for op in NO_SECOND if f"second derivative of op {op!r} (node " in
                 str(err)]
        if not named or named[0] not in {n.record.op for n in case.graph}:
            raise
        note(f"not supported, as expected: {err}")
        return []


def close(actual, expected, what, rtol=1e-9, atol=1e-9):
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape, f"{what}: output {i} has shape {a.shape}, not {e.shape}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"{what}: output {i}")


def standalone(f, tmp):
    """The module ``f`` saves, imported from ``tmp`` with graphc made unimportable."""
    path = f.save(Path(tempfile.mkdtemp(dir=tmp)) / "random_graph_module.py")  # fresh: no
    # bytecode cached for an earlier module of the same name, size and time
    saved = {k: v for k, v in sys.modules.items() if k == "graphc" or k.startswith("graphc.")}
    for k in saved:
        del sys.modules[k]
    sys.modules["graphc"] = None  # an `import graphc` in the module raises ImportError
    try:
        spec = importlib.util.spec_from_file_location("random_graph_module", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        del sys.modules["graphc"]
        sys.modules.update(saved)
    return module


def directional(fun, feeds, names, direction, h=H):
    """(central difference of fun along direction, whether fun is smooth along it): a kink
    or a jump within h shows as one-sided differences that disagree."""
    def at(t):
        return fun({**feeds, **{n: feeds[n] + t * direction[n] for n in names}})
    lo, mid, hi = at(-h), at(0.0), at(h)
    central, forward, backward = (hi - lo) / (2 * h), (hi - mid) / h, (mid - lo) / h
    return central, abs(forward - backward) <= 1e-5 * (1.0 + abs(central))


def against_differences(f, built, feeds, rng):
    """Both gradients against central differences along a random direction; the number of
    derivatives skipped at a kink (0, 1 or 2)."""
    names = [x.name for x in built.wrt]
    direction = {n: rng.uniform(-1.0, 1.0, size=np.shape(feeds[n])) for n in names}
    values = f(**feeds)
    k = len(names)
    skipped = 0
    for which, grads in ((0, values[2:2 + k]), (1, values[2 + k:]))[:1 + bool(built.seconds)]:
        numeric, smooth = directional(lambda at: float(f(**at)[which]), feeds, names,
                                      direction)
        if not smooth:
            skipped += 1
            continue
        analytic = sum(float(np.sum(g * direction[n])) for g, n in zip(grads, names))
        assert abs(analytic - numeric) <= 1e-5 * (1.0 + abs(analytic) + abs(numeric)), (
            f"{'first' if which == 0 else 'second'} derivative along a random direction: "
            f"gradient gives {analytic!r}, central differences {numeric!r}")
    return skipped


def singular(case, feeds):
    """Whether a std node has (close to) no spread: its derivative there is 0/0 (NaN, as in
    PyTorch), a point where std is not differentiable, like abs at 0."""
    stds = [n for n in case.steps if n.record.op == "std"]
    return any(np.min(v) < 1e-6 for v in reference(stds, feeds)) if stds else False


def check(case, seed, opt, tmp=None, debug=False, against=None):
    """Every check of one random graph; returns the number of derivatives skipped at kinks.
    ``tmp``: a folder to save the standalone module in and import it from (None: skip);
    ``debug``: compile with the graph verified after every pass; ``against(case, built,
    feeds, values)``: a further check of the compiled values where both derivatives were
    smooth (``make fuzz`` passes PyTorch's)."""
    note(str(case.graph))
    note(f"seed {seed}, opt {opt}")
    built = differentiate(case, seed)
    nodes, feeds = built.nodes(), case.feeds(seed)
    expected = reference(nodes, feeds, float64=True)
    close(gc.evaluate(nodes, at=feeds), expected, "gc.evaluate", rtol=1e-7, atol=1e-8)
    f = gc.compile(nodes, unused="ignore", opt=opt, debug=debug)
    close(f(**feeds), expected, f"gc.compile(opt={opt})", rtol=1e-7, atol=1e-8)
    if tmp is not None:
        module = standalone(f, tmp)
        close(module.run(**feeds), f(**feeds), "the standalone module", rtol=0, atol=0)
    if singular(case, feeds):
        return 2
    skipped = against_differences(f, built, feeds, np.random.default_rng(seed + 2))
    if against is not None and not skipped:  # smooth there: another library's gradients
        against(case, built, feeds, f(**feeds))
    return skipped
