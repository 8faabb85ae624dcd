"""The probes of tests/bad_input_table.py: each tries one bad input of
../shared/BAD_INPUTS.md as a user would, and returns what it got (or raises)."""

import ast
import contextlib
import json
import os
import subprocess
import sys
import warnings
from xml.etree import ElementTree

import networkx as nx
import numpy as np
import sympy as sp

import graphc as gc
import visualize
from graphc.files import write_atomic
from graphc.ops import elementwise, registry
from graphc.ops.scalar import arg, step
from test_codegen import depth


def graph():
    return gc.Graph("t")


def networkx_graph(nodes, edges):
    """A MultiDiGraph of {key: attrs} nodes and (u, v, slot) edges."""
    G = nx.MultiDiGraph()
    for key, attrs in nodes.items():
        G.add_node(key, **attrs)
    for u, v, slot in edges:
        G.add_edge(u, v, slot=slot)
    return G


def classifier(labels_dtype="int64"):
    g = graph()
    z = g.input("z", shape=("N", 3))
    y = g.input("y", shape=("N",), dtype=labels_dtype)
    return g, z, y, gc.cross_entropy(z, y).named("loss")


@contextlib.contextmanager
def private_registry():
    """Ops registered inside vanish after it."""
    saved = dict(registry._REGISTRY)
    try:
        yield
    finally:
        registry._REGISTRY.clear()
        registry._REGISTRY.update(saved)


def caught_warnings(action):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return [str(w.message) for w in caught]


# ---- Graph structure -----------------------------------------------------------------


def cycle(tmp):
    return gc.Graph.from_networkx(networkx_graph(
        {0: dict(op="input", name="x", shape=(2,)), 1: dict(op="add", name="u"),
         2: dict(op="neg", name="v")}, [(0, 1, 0), (2, 1, 1), (1, 2, 0)]))


def self_loop(tmp):
    return gc.Graph.from_networkx(networkx_graph({"k": dict(op="neg", name="loop")},
                                                 [("k", "k", 0)]))


def saved_cycle(tmp):
    g = graph()
    gc.exp(g.input("x", shape=(2,))).named("e")
    path = g.save(tmp / "m.json")
    path.write_text(path.read_text().replace('"from": 0', '"from": 1'))
    return gc.load(path)


def wrong_arity(tmp):
    g = graph()
    x = g.input("x", shape=(2,))
    return g.apply("add", [x], name="v")


def unknown_op(tmp):
    return gc.Graph.from_networkx(networkx_graph(
        {"u": dict(op="input", shape=(2,)), "v": dict(op="frobnicate")}, [("u", "v", 0)]))


def slot_twice(tmp):
    return gc.Graph.from_networkx(networkx_graph(
        {"p": dict(op="input", shape=(2,)), "q": dict(op="input", shape=(2,)),
         "r": dict(op="mul")}, [("p", "r", 0), ("q", "r", 0)]))


def slot_order(tmp):
    G = nx.MultiDiGraph()
    G.add_node("a", op="input", shape=())
    G.add_node("b", op="input", shape=())
    G.add_node("d", op="sub")
    G.add_edge("b", "d", slot=1)  # added first: adjacency order would make b - a
    G.add_edge("a", "d", slot=0)
    g = gc.Graph.from_networkx(G)
    return float(gc.evaluate(g.node("d"), at={"a": 5.0, "b": 2.0}))


def missing_slot(tmp):
    return gc.Graph.from_networkx(networkx_graph(
        {"u": dict(op="input", shape=(2,)), "v": dict(op="add")}, [("u", "v", 1)]))


def duplicate_name(tmp):
    g = graph()
    g.input("x")
    return g.input("x")


def sanitised_names(tmp):
    g = graph()
    names = ["a b", "a_b", "a-b", "def", "np", "print", "a\nb"]
    outs = [(g.input(n) * (i + 1)).named(f"out {n}") for i, n in enumerate(names)]
    f = gc.compile(outs)
    return f(**{n: 1.0 for n in names}), f.source


def unused_input(tmp, leaf="input"):
    g = graph()
    x, _ = g.input("x"), getattr(g, leaf)("spare")
    out = (x * 2).named("out")
    said = caught_warnings(lambda: gc.compile(out, unused="warn"))
    try:
        gc.compile(out, unused="error")
    except gc.GraphError as err:
        return said, str(err)
    return said, None


def unused_param(tmp):
    return unused_input(tmp, "param")


def output_is_input(tmp, leaf="input"):
    g = graph()
    x = getattr(g, leaf)("x", shape=(3,))
    fed = np.array([1.0, 2.0, 3.0])
    out = gc.compile(x)(x=fed)
    return out, fed


def output_is_param(tmp):
    return output_is_input(tmp, "param")


def changed_after_compile(tmp):
    g = graph()
    x = g.input("x")
    y = (x * 2).named("y")
    f = gc.compile(y)
    (y + 100).named("later")
    g.rename(x, "z")
    return float(f(x=3.0))


# ---- Shapes and dtypes ---------------------------------------------------------------


def matmul_inner(tmp):
    g = graph()
    return (g.input("a", shape=(3, 4)) @ g.input("b", shape=(5, 2))).named("z")


def no_broadcast(tmp):
    g = graph()
    return (g.input("a", shape=(3,)) + g.input("b", shape=(4,))).named("s")


def conv_kernel_too_large(tmp):
    g = graph()
    x, w = g.input("x", shape=(1, 1, 3, 3)), g.param("w", shape=(2, 1, 5, 5))
    return gc.conv2d(x, w).named("c")


def conv_channels(tmp):
    g = graph()
    x, w = g.input("x", shape=(1, 3, 8, 8)), g.param("w", shape=(2, 4, 3, 3))
    return gc.conv2d(x, w).named("c")


def axis_out_of_range(tmp):
    g = graph()
    return gc.sum(g.input("x", shape=(2, 3)), axis=2).named("s")


def zero_stride(tmp):
    g = graph()
    x, w = g.input("x", shape=(1, 1, 5, 5)), g.param("w", shape=(1, 1, 3, 3))
    return gc.conv2d(x, w, stride=0).named("c")


def negative_padding(tmp):
    g = graph()
    x, w = g.input("x", shape=(1, 1, 5, 5)), g.param("w", shape=(1, 1, 3, 3))
    return gc.conv2d(x, w, padding=-1).named("c")


def loss_broadcast(tmp):
    g = graph()
    return gc.mse(g.input("p", shape=("N",)), g.input("t", shape=("N", 1)))


def size_one_shapes(tmp):
    g = graph()
    shapes = [g.input(n, shape=s).shape for n, s in [("a", ()), ("b", (1,)), ("c", (1, 1))]]
    try:
        gc.grad(gc.sum(g.node("b"), axis=()).named("notscalar"), [g.node("b")])
    except gc.DifferentiationError:
        return shapes, "refused"
    return shapes, "accepted"


def labels_out_of_range(tmp):
    g, z, y, loss = classifier()
    return gc.evaluate(loss, at={"z": np.zeros((2, 3)), "y": [0, 3]})


def labels_not_indices(tmp):
    g = graph()
    return gc.cross_entropy(g.input("z", shape=("N", 3)), g.input("t", shape=("N", 2)))


def grad_of_integer_input(tmp):
    g, z, y, loss = classifier()
    return gc.grad(loss, [z, y])


def float32_cast(tmp):
    g = graph()
    x = g.input("x", shape=(2,), dtype="float32")
    return gc.compile((x * 2).named("y"))(x=np.array([1.0, 2.0]))


def ragged_feed(tmp):
    g = graph()
    x = g.input("x", shape=(2, 2))
    return gc.evaluate((x * 2).named("y"), at={"x": [[1.0, 2.0], [3.0]]})


def object_feed(tmp):
    g = graph()
    x = g.input("x", shape=(2,))
    return gc.evaluate((x * 2).named("y"), at={"x": np.array([1.0, 2.0], dtype=object)})


# ---- Feeds and calls -----------------------------------------------------------------


def feed_graph():
    g = graph()
    x = g.input("x", shape=("N", 3))
    w = g.param("weights", shape=(3,))
    return g, x, w, gc.sum(x @ w).named("loss")


def missing_feed(tmp):
    g, x, w, loss = feed_graph()
    return gc.compile(loss)(x=np.ones((2, 3)))


def unknown_feed(tmp):
    g, x, w, loss = feed_graph()
    return gc.compile(loss)(x=np.ones((2, 3)), weights=np.ones(3), weight=np.ones(3))


def wrong_shape_feed(tmp):
    g, x, w, loss = feed_graph()
    return gc.compile(loss)(x=np.ones((2, 4)), weights=np.ones(3))


def named_dimension(tmp):
    g = graph()
    a, b = g.input("a", shape=("N",)), g.input("b", shape=("N",))
    return gc.compile(gc.sum(a * b).named("dot"))(a=np.ones(2), b=np.ones(3))


def read_only_feeds(tmp):
    g, x, w, loss = feed_graph()
    f = gc.compile([loss, *gc.grad(loss, [w])])
    feeds = {"x": np.arange(6.0).reshape(2, 3), "weights": np.array([1.0, -1.0, 2.0])}
    for v in feeds.values():
        v.flags.writeable = False
    return [f(**feeds) for _ in range(2)], feeds


def standalone_module(tmp):
    g, x, w, loss = feed_graph()
    path = gc.compile(loss).save(tmp / "standalone.py")
    namespace = {"__name__": "standalone"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 (our own code)
    try:
        namespace["run"](x=np.ones((2, 4)), weights=np.ones(3))
    except Exception as err:  # noqa: BLE001 (which class it is is what the row checks)
        return type(err), str(err), "import graphc" in path.read_text()
    return None


def non_finite_feeds(tmp):
    g = graph()
    x = g.input("x", shape=(3,))
    with np.errstate(all="ignore"):
        return gc.compile((x + 1).named("y"))(x=np.array([np.nan, np.inf, -np.inf]))


# ---- Differentiation -----------------------------------------------------------------


def non_scalar_loss(tmp):
    g = graph()
    v = g.input("v", shape=(3,))
    return gc.grad((v * 2).named("out"), [v])


def unconnected(tmp):
    g = graph()
    v, u = g.input("v", shape=(3,)), g.param("u", shape=(2, 2))
    loss = gc.sum(v * v).named("loss")
    zero = gc.evaluate(gc.grad(loss, [u])[0], at={"v": np.ones(3), "u": np.ones((2, 2))})
    try:
        gc.grad(loss, [u], unused="error")
    except gc.DifferentiationError as err:
        return zero, str(err)
    return zero, None


def no_gradient_op(tmp):
    with private_registry():
        registry.register(registry.OpDef(
            name="floor_nograd", family="elementwise", arity=1,
            infer=lambda attrs, args: (tuple(args[0].shape), args[0].dtype),
            reference=lambda attrs, x: np.floor(x), vjp=None, test=None, doc="floor"))
        g = graph()
        x = g.input("x", shape=(3,))
        floored = g.apply("floor_nograd", [x], name="floored")
        return gc.grad(gc.sum(floored).named("loss"), [x])


def kinks(tmp):
    g = graph()
    x = g.input("x", shape=(3,))
    at = {"x": [-1.0, 0.0, 1.0]}
    relu, absolute = (gc.evaluate(gc.grad(gc.sum(op(x)).named(f"l{i}"), x), at=at)
                      for i, op in enumerate((gc.relu, gc.abs)))
    return relu.tolist(), absolute.tolist()


def max_ties(tmp):
    g = graph()
    x = g.input("x", shape=(4,))
    tied = gc.grad(gc.max(x).named("m"), x)
    p = g.input("p", shape=(1, 1, 2, 2))
    pooled = gc.grad(gc.sum(gc.max_pool2d(p, 2)).named("pm"), p)
    values = gc.evaluate([tied, pooled], at={"x": [1.0, 3.0, 3.0, 0.0],
                                             "p": np.full((1, 1, 2, 2), 2.0)})
    return values[0].tolist(), values[1].ravel().tolist()


def perceptron_step(tmp):
    """The step's gradient (0 everywhere, as its formula's), and what gc.grad says when
    asked to train through gc.step."""
    g = graph()
    x = g.input("x", shape=(3,))
    fired = g.apply("elementwise", [x], {"expr": step(arg(0))}, name="fired")
    loss = gc.sum(fired * 3.0).named("loss")
    zero = gc.evaluate(gc.grad(loss, [x])[0], at={"x": [-1.0, 0.0, 1.0]}).tolist()
    try:
        gc.grad(gc.sum(gc.step(x)).named("trained"), [x])
    except gc.DifferentiationError as err:
        return zero, str(err)
    return zero, None


def fan_out(tmp):
    g = graph()
    a = g.input("a")
    d1 = gc.grad((a * a * a).named("cube"), a)
    d2 = gc.grad(d1, a)
    return [float(v) for v in gc.evaluate([gc.grad((a + a).named("twice"), a), d1, d2],
                                          at={"a": 3.0})]


def foreign_symbols(tmp):
    with private_registry():
        k = sp.Symbol("k", real=True)
        test = registry.TestSpec(inputs=(("float", (3,), -1.0, 1.0),))
        return elementwise.define("scaled", lambda a: k * a, lambda a: 2 * a, test, "k a")


# ---- Numbers -------------------------------------------------------------------------


def huge_logits(tmp):
    g = graph()
    z, y = g.input("z", shape=(1, 3)), g.input("y", shape=(1,), dtype="int64")
    loss = gc.cross_entropy(z, y).named("loss")
    s = g.input("s")
    b = gc.bce(gc.sigmoid(s), g.input("t")).named("b")
    f = gc.compile([gc.softmax(z), loss, *gc.grad(loss, [z]), b, *gc.grad(b, [s])])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        return f(z=np.array([[1000.0, 0.0, -1000.0]]), y=np.array([2]), s=-800.0, t=1.0)


def clamped_bce(tmp):
    g = graph()
    p, t = g.input("p", shape=(2,)), g.input("t", shape=(2,))
    return float(gc.compile(gc.bce(p, t).named("b"))(p=np.array([0.0, 1.0]),
                                                     t=np.array([1.0, 0.0])))


def no_bare_exp(tmp):
    g = graph()
    z, y = g.input("z", shape=(2, 3)), g.input("y", shape=(2,), dtype="int64")
    loss = gc.cross_entropy(z, y).named("loss")
    source = gc.compile([loss, gc.sigmoid(z), *gc.grad(loss, [z])]).source
    return source


def guarded_power(tmp):
    """d(x ** y)/dy at x = 0 (log(x) guarded: 0, as PyTorch) under np.errstate(all="raise")."""
    g = graph()
    x, y = g.input("x", shape=(3,)), g.input("y", shape=(3,))
    dy = gc.grad(gc.sum(x ** y).named("loss"), [y])[0]
    with np.errstate(all="raise"):
        return gc.compile(dy)(x=np.array([0.0, 0.0, 2.0]), y=np.array([2.0, 0.5, 3.0]))


# ---- Scale ---------------------------------------------------------------------------


def long_chain(tmp):
    g = graph()
    v = x = g.input("x", shape=(2,))
    for _ in range(10_000):
        v = gc.tanh(v) * 1.0001
    loss = gc.sum(v).named("loss")
    dx = gc.grad(loss, [x])[0]
    f = gc.compile([loss, dx])
    nesting = depth(ast.parse(f.source))
    return f(x=np.array([0.1, -0.2])), nesting, visualize.draw(loss).source


def wide_weight(tmp):
    g = graph()
    x, w = g.input("x", shape=("N", 784)), g.param("w", shape=(784, 256))
    loss = gc.mean(gc.sigmoid(x @ w)).named("loss")
    return gc.formula(gc.grad(loss, [w])[0]), gc.compile(gc.grad(loss, [w])).source


# ---- Names, code and files -----------------------------------------------------------


HOSTILE = "x\n__import__('os').system('touch hacked') #"


def hostile_code(tmp):
    g = graph()
    x = g.input(HOSTILE)
    lam = g.input("lambda")
    f = gc.compile((x * lam).named("np"))
    return f(**{HOSTILE: 2.0, "lambda": 3.0}), f.source


def hostile_claim(tmp):
    g = graph()
    x = g.input("x")
    loss = (x * 2).named("loss")
    return gc.check(loss, at={"x": 1.0}, claims={"loss": "__import__('os').getcwd()"})


HTML_NAME = '<b>x</b>" URL="http://e" image="/etc/passwd'


def hostile_dot(tmp):
    """The SVG's element kinds, the name, and the SVG's texts."""
    g = graph()
    x = g.input(HTML_NAME)
    svg = visualize.draw(gc.exp(x).named("e")).pipe(format="svg")
    root = ElementTree.fromstring(svg)
    tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
    return tags, HTML_NAME, [t.text for t in root.iter() if t.text]


def saved_with_code(tmp):
    g = graph()
    x = g.input("x", shape=(2,))
    gc.exp(x).named("e")
    path = g.save(tmp / "m.json")
    path.write_text(path.read_text().replace('"schema"', '"__reduce__": "os.system", "schema"'))
    return gc.load(path)


def atomic_write(tmp):
    """A write that fails halfway (every file graphc writes goes through write_atomic)."""
    target = tmp / "m.py"
    target.write_text("old\n")

    def half_then_fail(f):
        f.write(b"half")
        raise OSError("disk full")
    try:
        write_atomic(target, half_then_fail)
    except OSError:
        pass
    return target.read_text(), sorted(p.name for p in tmp.iterdir())


def killed_writer(tmp):
    """A temporary file a killed writer left (its process gone), then the next write."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp / f".m.py.{dead}.0123abcd.tmp"
    stale.write_text("half a module")
    os.utime(stale, (0, 0))
    write_atomic(tmp / "m.py", lambda f: f.write(b"whole\n"))
    return (tmp / "m.py").read_text(), sorted(p.name for p in tmp.iterdir())


def slow_dot(tmp):
    g = graph()
    d = visualize.draw(gc.exp(g.input("x", shape=(2,))).named("e"))
    return visualize.export(d, tmp / "e.svg", timeout=0.0001)


def saved_format(tmp):
    """The saved JSON's schema and version, and an .npz holding a pickled object array
    read back."""
    g = graph()
    g.const("c", [1.0, 2.0])
    path = g.save(tmp / "m.json")
    doc = json.loads(path.read_text())
    np.savez(tmp / "m.npz", value0=np.array([{"a": 1}], dtype=object))
    try:
        gc.load(path)
    except gc.SavedGraphError as err:
        return doc["schema"], doc["version"], str(err)
    return doc["schema"], doc["version"], None
