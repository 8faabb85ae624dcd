"""The op registry: one ``OpDef`` per op, holding everything about it.

An op's ``vjp`` is handed a builder (``b``) with ``b.op(name, *operands, **attrs)``,
``b.ew(expr, {symbol: node})``, ``b.sum_to(x, like)`` (undo broadcasting) and
``b.const(value)``, and node handles that support
arithmetic operators, so this package never imports the graph module.
"""

from dataclasses import dataclass, field
from typing import Callable

from ..errors import GraphError
from .templates import check_template


@dataclass(frozen=True)
class TestSpec:
    """How the test suite exercises an op.

    ``inputs`` gives one entry per operand: ``("float", shape, low, high)`` for values drawn
    uniformly, ``("labels", shape, classes)`` for integer class labels. ``grad`` is False for
    ops whose output carries no gradient (the suite then checks their values only);
    ``second`` is False for an op whose second derivative is not checked (its doc says why).
    """

    inputs: tuple
    attrs: dict = field(default_factory=dict)
    tol: float = 1e-6
    grad: bool = True
    second: bool = True


@dataclass(frozen=True)
class OpDef:
    """Everything about one op. See ARCHITECTURE.md, "The op contract"."""

    name: str
    family: str                 # elementwise, linalg, reduce, shape, nn, losses, conv, pool
    arity: int | None           # None: one or more operands
    infer: Callable             # (attrs, [Arg]) -> (shape, dtype); raises ShapeError
    reference: Callable         # (attrs, *arrays) -> array: plain NumPy, the oracle
    vjp: Callable | None        # (b, node, ct, needs) -> [node | None]; None: no gradient
    test: TestSpec | None
    doc: str
    scalar: Callable | None = None   # element-wise: (*symbols, **attrs) -> SymPy expr
    #                                  (a mean loss: its formula per element, over (p, y))
    attrs: tuple = ()                # the attribute names the op accepts
    defaults: dict = field(default_factory=dict)
    nondiff: tuple = ()              # operand slots that carry no gradient (shape-only)
    prepare: Callable | None = None  # (attrs, [Arg]) -> attrs, checked and normalized
    # The formula in matrix notation: (attrs, operand shapes, *operand formulas) -> SymPy;
    # element-wise ops need none (their scalar formula is applied to the operands).
    notation: Callable | None = None
    # The exact value: (attrs, *object arrays of SymPy numbers) -> object array; None: the
    # element-wise formula, else ``reference`` (NumPy's structural functions take objects).
    exact: Callable | None = None
    numpy: str | Callable | None = None  # code template, see templates.py: "np.matmul({0}, {1})",
    #                                      or (attrs, operand shapes) -> template
    helpers: tuple = ()              # functions the template calls; modules copy their source
    # The gradient rule of each operand slot as a one-line identity, printed as the comment
    # of generated code: "d({0} @ {1})/d{0} = ct @ {1}.T" ({0}, {1}: the operands' names,
    # {out}: the node's own, ct: what flows back into it); or (attrs, operand shapes) ->
    # such a tuple. Element-wise ops need none: theirs is derived from the formula.
    rules: tuple | Callable = ()
    # "view": a cheap expression of its operand (x.T, a reshape) that generated code writes
    # into its single consumer; "shape": a number read from the operands' shapes (a count).
    view: str | None = None


_REGISTRY = {}


def register(opdef):
    """Add ``opdef`` to the registry; a name registered twice is an error."""
    if opdef.name in _REGISTRY:
        raise GraphError(f"op {opdef.name!r} is already registered")
    if isinstance(opdef.numpy, str):  # checked now, so a typo fails at import, not in a module
        check_template(opdef.name, opdef.numpy, opdef.arity, opdef.helpers)
    _REGISTRY[opdef.name] = opdef
    return opdef


def get(name):
    """The OpDef called ``name``; GraphError listing the known ops if there is none."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise GraphError(f"unknown op {name!r}; known ops: {known}") from None


def all_ops():
    """Every registered OpDef, sorted by name."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
