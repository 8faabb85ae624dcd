"""Layers as helpers (``gc.nn``): plain functions that add named params and ops to a graph.

Not a module system: each helper declares its parameters with ``g.param`` under the names
the lectures use and builds ordinary registry ops inside a scope, so every layer is one
cluster in diagrams, and its formula, gradient and generated code are those of the ops it
is made of. Parameters get the default initializers (Xavier weights, zero biases):
``g.initial_params(seed)`` draws them, as the examples do.

>>> import graphc as gc
>>> g = gc.Graph("mlp")
>>> X = g.input("X", shape=("N", 4))
>>> logits = gc.nn.mlp(g, X, [8, 3])
>>> [p.name for p in g.params], logits.shape
(['W1', 'b1', 'W2', 'b2'], ('N', 3))
"""

from .. import ops
from ..errors import GraphError, ShapeError
from ..shapes import fmt
from . import build
from .graph import Node


def dense(g, x, out, act=None, name="1"):
    """A fully connected layer, ``act(x @ W1 + b1)``, in scope ``layer1``.

    ``x`` is (in,) or a batch (..., in); the weight ``W{name}`` is (in, out), so a batch
    reads ``X @ W1 + b1`` as in the lectures' matrix notation (examples/mlp.py), and the
    bias ``b{name}`` is (out,). The sum is named ``z{name}``. ``act``: None (no
    activation), a function (``gc.relu``) or the name of an element-wise op ("relu",
    "sigmoid", "tanh", ...). Returns the layer's output node.

    >>> h = gc.nn.dense(g, X, 8, act="relu")              # doctest: +SKIP
    """
    where = f"gc.nn.dense(name={name!r})"
    fan_in = _last_dim(x, where)
    activation = _activation(act, where)
    _free(g, where, f"W{name}", f"b{name}", f"z{name}")
    with g.scope(f"layer{name}"):
        W = g.param(f"W{name}", shape=(fan_in, _size(out, "out", where)))
        b = g.param(f"b{name}", shape=(out,))
        return activation((x @ W + b).named(f"z{name}"))


def conv(g, x, filters, kernel, stride=1, padding=0, act=None, name="1"):
    """A convolution layer, ``act(conv2d(x, W1, b1))``, in scope ``conv1``.

    ``x`` is (N, C, H, W); the weight ``W{name}`` is (filters, C, k, k) (``kernel`` an int
    k or a pair (kh, kw)), the bias ``b{name}`` (filters,); ``stride`` and ``padding`` are
    gc.conv2d's. The convolution is named ``z{name}``; ``act`` as for ``dense``.

    >>> h = gc.nn.conv(g, images, 8, 3, padding=1, act="relu", name="1")  # doctest: +SKIP
    """
    where = f"gc.nn.conv(name={name!r})"
    if not isinstance(x, Node) or len(x.shape) < 3 or isinstance(x.shape[-3], str):
        raise ShapeError(f"{where}: x must be a node of shape (N, C, H, W) with a known "
                         f"channel count C, got {_show(x)}")
    pair = (kernel, kernel) if isinstance(kernel, int) else kernel
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ShapeError(f"{where}: kernel must be an int k or a pair (kh, kw), got {kernel!r}")
    kh, kw = pair
    activation = _activation(act, where)
    _free(g, where, f"W{name}", f"b{name}", f"z{name}")
    with g.scope(f"conv{name}"):
        shape = (_size(filters, "filters", where), x.shape[-3], _size(kh, "kernel", where),
                 _size(kw, "kernel", where))
        W = g.param(f"W{name}", shape=shape)
        b = g.param(f"b{name}", shape=(filters,))
        z = build.conv2d(x, W, b, stride=stride, padding=padding).named(f"z{name}")
        return activation(z)


def mlp(g, x, sizes, act="relu"):
    """Dense layers 1, 2, ... of ``sizes`` (their output sizes), each but the LAST followed
    by ``act``: the last gives scores (logits) for a loss such as gc.cross_entropy, which
    applies its own softmax. Params W1, b1, W2, b2, ...; scopes layer1, layer2, ...

    >>> logits = gc.nn.mlp(g, X, [8, 3])                  # doctest: +SKIP
    """
    if not isinstance(sizes, (list, tuple)) or not sizes:
        raise GraphError(f"gc.nn.mlp: sizes must list each layer's output size, such as "
                         f"[8, 3], got {sizes!r}")
    for i, out in enumerate(sizes, start=1):
        x = dense(g, x, out, act=act if i < len(sizes) else None, name=str(i))
    return x


def _activation(act, where):
    """The function ``act`` names: None (identity), a function, or an element-wise op."""
    if act is None:
        return lambda z: z
    if callable(act):
        return act
    choices = sorted(op.name for op in ops.all_ops()
                     if op.family == "elementwise" and op.arity == 1)
    if act not in choices:
        raise GraphError(f"{where}: act {act!r} is not an element-wise op; use None, a "
                         f"function such as gc.relu, or one of {', '.join(choices)}")
    return lambda z: z.graph.apply(act, [z])


def _last_dim(x, where):
    if not isinstance(x, Node) or not x.shape or isinstance(x.shape[-1], str):
        raise ShapeError(f"{where}: x must be a node whose last dimension (its features) "
                         f"is a known size, got {_show(x)}")
    return x.shape[-1]


def _size(n, what, where):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ShapeError(f"{where}: {what} must be a positive int, got {n!r}")
    return n


def _free(g, where, *names):
    """Fail before building anything if a name the layer gives is taken."""
    taken = [n for n in names if n in g]
    if taken:
        raise GraphError(f"{where}: graph {g.name!r} already has a node {taken[0]!r}; give "
                         f"this layer another name= (each layer's names must be unique)")


def _show(x):
    return f"{x.name!r} {fmt(x.shape)}" if isinstance(x, Node) else repr(x)


def rnn(g, xs, hidden, h0=None, name=""):
    """A recurrent layer unrolled over the steps of ``xs``, as in the lecture (seed 002):

        a(t) = b + W s(t-1) + U x(t),    s(t) = tanh(a(t))

    with the same ``W{name}`` (hidden, hidden), ``U{name}`` (hidden, D) and ``b{name}``
    (hidden,) at every step, so their gradients sum what flows back from each step. Step t
    is built in scope ``step{t}`` (``"{name} step{t}"`` for a named layer), its nodes named
    ``a{t}`` and ``s{t}`` (``a{name}_{t}``). ``xs``: a list of step inputs (D,), or one
    node (T, D) whose row t-1 is x(t). s(0) is ``h0``, else zeros (a constant ``s0``).
    Returns [s(1), ..., s(T)]; an output layer (o = c + V s) is yours to add.

    >>> states = gc.nn.rnn(g, x, hidden=4)                # doctest: +SKIP
    """
    where = f"gc.nn.rnn(name={name!r})"
    steps, width = _step_inputs(xs, where)
    hidden = _size(hidden, "hidden", where)
    labels = [_label(k, name, t) for t in range(1, steps + 1) for k in "as"]
    starts = [_label("s", name, 0)] if h0 is None else []
    _free(g, where, f"W{name}", f"U{name}", f"b{name}", *starts, *labels)
    W = g.param(f"W{name}", shape=(hidden, hidden))
    U = g.param(f"U{name}", shape=(hidden, width))
    b = g.param(f"b{name}", shape=(hidden,))
    s = _initial(g, h0, _label("s", name, 0), hidden)
    states = []
    for t in range(1, steps + 1):
        with g.scope(_step_scope(name, t)):
            a = (b + W @ s + U @ xs[t - 1]).named(_label("a", name, t))
            s = build.tanh(a).named(_label("s", name, t))
        states.append(s)
    return states


#: The LSTM's gates (examples/lstm_cell.py): letter -> activation.
GATES = {"i": build.sigmoid, "f": build.sigmoid, "o": build.sigmoid, "g": build.tanh}


def lstm(g, xs, hidden, h0=None, c0=None, name=""):
    """An LSTM unrolled over the steps of ``xs``, each step the cell of examples/lstm_cell.py
    (seed 002, after Olah), with [h, x] the previous hidden state and the input stacked:

        i, f, o = sigmoid(W_i [h, x] + b_i), sigmoid(W_f ...), sigmoid(W_o ...)
        g = tanh(W_g [h, x] + b_g),   c(t) = f * c(t-1) + i * g,   h(t) = o * tanh(c(t))

    The params ``W_i{name}`` ... (hidden, hidden + D) and ``b_i{name}`` ... (hidden,) are
    shared by every step; step t is in scope ``step{t}``, its nodes named hx, i, f, o, g,
    c and h with the step number (``h3``). ``xs`` as for ``rnn``; h(0) and c(0) are ``h0``
    and ``c0``, else zeros. Returns ``(hs, cs)``: [h(1), ..., h(T)] and [c(1), ..., c(T)].

    >>> hs, cs = gc.nn.lstm(g, x, hidden=3)               # doctest: +SKIP
    """
    where = f"gc.nn.lstm(name={name!r})"
    steps, width = _step_inputs(xs, where)
    hidden = _size(hidden, "hidden", where)
    params = [f"{p}_{k}{name}" for k in GATES for p in "Wb"]
    labels = [_label(k, name, t) for t in range(1, steps + 1) for k in ("hx", *GATES, "c", "h")]
    starts = [_label(k, name, 0) for k, v in (("h", h0), ("c", c0)) if v is None]
    _free(g, where, *params, *starts, *labels)
    weights = {k: (g.param(f"W_{k}{name}", shape=(hidden, hidden + width)),
                   g.param(f"b_{k}{name}", shape=(hidden,))) for k in GATES}
    h = _initial(g, h0, _label("h", name, 0), hidden)
    c = _initial(g, c0, _label("c", name, 0), hidden)
    hs, cs = [], []
    for t in range(1, steps + 1):
        with g.scope(_step_scope(name, t)):
            hx = build.concat([h, xs[t - 1]]).named(_label("hx", name, t))
            gate = {k: act(W @ hx + b).named(_label(k, name, t))
                    for k, act in GATES.items() for W, b in [weights[k]]}
            c = (gate["f"] * c + gate["i"] * gate["g"]).named(_label("c", name, t))
            h = (gate["o"] * build.tanh(c)).named(_label("h", name, t))
        hs.append(h)
        cs.append(c)
    return hs, cs


def _step_inputs(xs, where):
    """``(T, D)`` of a list of (D,) step inputs or of one (T, D) node."""
    if isinstance(xs, Node):
        if len(xs.shape) != 2 or any(isinstance(d, str) for d in xs.shape):
            raise ShapeError(f"{where}: xs must be a (T, D) node of known sizes or a list of "
                             f"(D,) nodes, got {_show(xs)}")
        return xs.shape
    xs = list(xs) if isinstance(xs, (list, tuple)) else None
    shapes = {x.shape if isinstance(x, Node) else None for x in xs or [None]}
    if len(shapes) != 1 or None in shapes or len(next(iter(shapes))) != 1:
        raise ShapeError(f"{where}: xs must be a non-empty list of step inputs of one shape "
                         f"(D,), or one (T, D) node; got shapes "
                         f"{', '.join(sorted(map(str, shapes)))}")
    return len(xs), _size(next(iter(shapes))[0], "D", where)


def _initial(g, given, label, hidden):
    """The state before step 1: the node ``given``, or a zero constant named ``label``."""
    return given if given is not None else g.const(label, [0.0] * hidden)


def _label(letter, name, t):
    return f"{letter}{t}" if not name else f"{letter}{name}_{t}"


def _step_scope(name, t):
    return f"step{t}" if not name else f"{name} step{t}"
