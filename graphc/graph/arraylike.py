"""How a ``Node`` answers NumPy and Python's sized-object protocol.

A node has no value while the graph is built, so NumPy's functions cannot run on it; what
they can do is say which graphc function builds the same thing. NumPy's arithmetic with an
array on the left (``np.ones(2) + x``, ``np.float32(2) * x``) builds the op, with the array
as a constant, exactly as the reflected operator (``x.__radd__``) does; every other ufunc
(``np.exp(x)``) and every NumPy function (``np.sum(x)``) raises a TypeError naming the
graphc function to use.

>>> import graphc as gc
>>> x = gc.Graph().input("x", shape=(2, 3))
>>> x.size, x.ndim, len(x)
(6, 2, 2)
"""

import math

from ..errors import ShapeError
from ..shapes import fmt

#: NumPy ufuncs that are Python operators -> the graphc op they build.
OPERATORS = {"add": "add", "subtract": "sub", "multiply": "mul", "true_divide": "div",
             "divide": "div", "power": "pow", "matmul": "matmul"}

#: NumPy's name -> graphc's, where they differ (np.amax is gc.max, np.dot is gc.matmul).
RENAMED = {"amax": "max", "amin": "min", "absolute": "abs", "fabs": "abs",
           "concatenate": "concat", "dot": "matmul", "negative": "neg", "subtract": "sub",
           "multiply": "mul", "true_divide": "div", "divide": "div", "power": "pow"}

#: How the same thing reads on a node, where it has a method or an operator ({0}, {1}:
#: the operands' names).
SPELLED = {"sum": "{0}.sum()", "mean": "{0}.mean()", "max": "{0}.max()",
           "min": "{0}.min()", "reshape": "{0}.reshape(...)", "abs": "abs({0})",
           "transpose": "{0}.T", "matmul": "{0} @ {1}", "add": "{0} + {1}",
           "sub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0} / {1}", "pow": "{0} ** {1}",
           "neg": "-{0}"}

GENERIC = "graphc nodes are not arrays: use graphc's functions (gc.exp, gc.sum, ...)"


def size(node):
    """The number of elements of ``node``, an int. A named dimension makes it unknown
    until the graph runs: a ShapeError then, since a symbolic count would only fail
    later, farther from the line that asked (``range(x.size)``, ``np.zeros(x.size)``)."""
    named = [d for d in node.shape if isinstance(d, str)]
    if named:
        raise ShapeError(f"node {node.name!r} {fmt(node.shape)}: its size is unknown until "
                         f"the graph runs (named dimension {named[0]}); multiply the known "
                         f"dimensions of {node.name}.shape instead")
    return math.prod(node.shape)


def length(node):
    """``len(node)``: its first dimension, as NumPy's ``len`` of an array."""
    if not node.shape:
        raise TypeError(f"len() of unsized object: node {node.name!r} is a scalar, shape ()")
    first = node.shape[0]
    if isinstance(first, str):
        raise TypeError(f"len() of node {node.name!r} {fmt(node.shape)}: its first dimension "
                        f"{first} is named, so its length is known only when the graph runs")
    return first


def ufunc(node, func, method, inputs, kwargs):
    """What ``Node.__array_ufunc__`` does: Python's arithmetic operators with a NumPy
    array or scalar on the left build the op; anything else raises a TypeError. A node on
    the left means NumPy's function was called by name (``np.matmul(x, y)``): Python's own
    operator never comes here then, so the message says which one to write."""
    op = OPERATORS.get(func.__name__)
    if op is None or method != "__call__" or kwargs or inputs[0] is node:
        raise refusal(func.__name__ if method == "__call__" else f"{func.__name__}.{method}",
                      inputs, writes="out" in kwargs)
    return node.graph.apply(op, inputs)


def numpy_name(func):
    """A NumPy function's name as a user writes it after ``np.``: ``linalg.norm`` for
    np.linalg.norm (a public submodule), ``sum`` for np.sum (whatever module defines it)."""
    module = getattr(func, "__module__", None) or "numpy"
    sub = module.split(".", 1)[1] if module.startswith("numpy.") else ""
    public = sub and not any(part.startswith("_") or part == "core" for part in sub.split("."))
    return f"{sub}.{func.__name__}" if public else func.__name__


def refusal(numpy_name, args, writes=False):
    """The TypeError for NumPy's ``numpy_name`` given graphc nodes among ``args``: it
    names the graphc function (and method or operator) that builds the same thing."""
    from . import build  # build imports this module's user, Node: loaded on first use
    from .graph import Node
    names = [a.name if isinstance(a, Node) else "..." for a in args] or ["x"]
    if writes:
        return TypeError(f"np.{numpy_name} cannot write a graph node into a NumPy array "
                         f"(out=...): nodes have no values until the graph runs; build "
                         f"a new node instead: {SPELLED.get(OPERATORS.get(numpy_name), '')}"
                         .format(*names, *names).rstrip(": "))
    name = RENAMED.get(numpy_name, numpy_name)
    if not callable(getattr(build, name, None)) or name.startswith("_"):
        return TypeError(f"np.{numpy_name} got a graphc node: {GENERIC}")
    usage = f"gc.{name}({', '.join(names)})"
    if name in SPELLED:
        usage += f" (or {SPELLED[name].format(*names, *names)})"
    return TypeError(f"np.{numpy_name} got a graphc node, which has no value until the graph "
                     f"runs: use {usage}")
