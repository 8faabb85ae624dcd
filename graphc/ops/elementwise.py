"""Element-wise ops, each defined by its SymPy scalar formula.

No op here has a hand-written gradient: ``elementwise_vjp`` differentiates the formula with
``sympy.diff`` and emits one ``elementwise`` node computing ``ct * df/da_i``, in which any
copy of the op's own formula is replaced by the op's output (so sigmoid's gradient reads
``ct*out*(1 - out)``, as on the slides). Gradients sum over broadcast dimensions.
"""

import functools

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from ..errors import GraphError
from .. import shapes
from .registry import OpDef, TestSpec, get, register
from .scalar import (FUNCTIONS, NUMPY_FUNCTIONS, arg, clip, leaky_relu, np_erf, np_leaky_relu,
                     np_relu, np_sigmoid, np_step, relu, safe_branches,
                     sigmoid, step, unknown_functions, where)

#: The cotangent flowing into the op, and the op's own output, in gradient formulas.
CT = sp.Symbol("ct", real=True)
OUT = sp.Symbol("out", real=True)


def infer_elementwise(name, float_only):
    def infer(attrs, args):
        shape = shapes.broadcast(args, name)
        dtype = shapes.promote(args, name)
        return shape, (shapes.float_of(dtype) if float_only else dtype)
    return infer


def formula(opdef, attrs, n):
    """The op's scalar formula over the operand symbols a0 .. a{n-1}."""
    return opdef.scalar(*[arg(i) for i in range(n)], **attrs)


@functools.lru_cache(maxsize=4096)
def derivative(name, attr_items, n, i):
    """d f/d a_i of op ``name``'s formula (attributes as sorted items), with any copy of f
    itself written as OUT, the op's output (sigmoid's reads ``out*(1 - out)``); a power's
    is ``b*a**(b - 1)``, never a quotient by ``a``."""
    f = formula(get(name), dict(attr_items), n)
    # sign's derivative, abs's second, is 2*DiracDelta: 0 away from the kink, and 0 at it
    # too, as PyTorch takes it
    d = sp.diff(f, arg(i)).replace(sp.DiracDelta, lambda *args: sp.S.Zero)
    d = d.replace(_power_log, _zero_at_zero_base)
    if f.is_Atom:
        return d
    combined = sp.powsimp(d)  # pow's b*a**b/a as b*a**(b - 1): finite at a = 0
    if len(_divisors(combined)) < len(_divisors(d)):
        return combined
    return d.xreplace({f: OUT})  # exact subtrees only: subs() would rewrite x**(b-1)


def _power_log(term):
    """A product holding u ** v and log(u): d(u ** v)/dv, nan at u = 0 (0 * -inf)."""
    if not term.is_Mul:
        return False
    logs = {f.args[0] for f in term.args if isinstance(f, sp.log)}
    return any(f.is_Pow and f.base in logs for f in term.args)


def _zero_at_zero_base(term):
    """d(u ** v)/dv = u ** v log(u), taken as 0 at u = 0 for v >= 0, as PyTorch does
    (u ** v is 0 or 1 there, and stays so as v moves); -inf for v < 0 (inf times log(0))."""
    u, v = next((f.base, f.exp) for f in term.args
                if f.is_Pow and sp.log(f.base) in term.args)
    at_zero = term.xreplace({f: sp.S.One for f in term.args if f.is_Pow and f.base == u}
                            | {sp.log(u): -sp.oo})  # the other factors times -inf
    return sp.Piecewise((term, sp.Ne(u, 0)), (sp.S.Zero, v >= 0), (at_zero, True))


def _divisors(expr):
    return sp.denom(expr).free_symbols


def elementwise_vjp(b, node, ct, needs):
    """d f(a0, ..., an)/d a_i = sympy.diff(f, a_i), times ct, summed to a_i's shape."""
    operands = node.operands
    items = tuple(sorted(node.attrs.items()))
    grads = []
    for i, x in enumerate(operands):
        g = CT * derivative(node.op, items, len(operands), i) if needs[i] else sp.S.Zero
        if g == 0:
            grads.append(None)
            continue
        mapping = {CT: ct, OUT: node, **{arg(k): v for k, v in enumerate(operands)}}
        grads.append(b.sum_to(b.ew(g, mapping), x))
    return grads


def define(name, scalar, reference, test, doc, arity=1, float_only=True, numpy="{formula}",
           helpers=()):
    """Register an element-wise op from its SymPy formula and its NumPy implementation.

    ``numpy`` is its code template (see templates.py); by default the formula is printed.
    """
    _check_symbols(name, scalar, arity)
    return register(OpDef(
        name=name, family="elementwise", arity=arity, infer=infer_elementwise(name, float_only),
        reference=lambda attrs, *xs: reference(*xs), vjp=elementwise_vjp, test=test,
        doc=doc, scalar=scalar, numpy=numpy, helpers=helpers))


def define_from_expr(name, expr, args=None, doc=None):
    """Register a user's element-wise op from a SymPy expression of its ``args`` (its free
    symbols, by name, when not given): gradient, code and formula all follow from it."""
    if not (isinstance(name, str) and name.isidentifier() and name.isascii()):
        raise GraphError(f"an op name must be a plain identifier, got {name!r}")
    expr = sp.sympify(expr)
    args = sorted(expr.free_symbols, key=str) if args is None else list(args)
    _check_functions(f"element-wise op {name!r}", expr)
    stray = sorted(str(s) for s in expr.free_symbols - set(args))
    if stray or not args:
        raise GraphError(f"element-wise op {name!r}: formula {expr} uses "
                         f"{', '.join(stray) or 'no symbol'}; its arguments are "
                         f"{', '.join(map(str, args)) or 'none'}")
    canonical = expr.xreplace({a: arg(i) for i, a in enumerate(args)})
    return define(
        name, lambda *xs: canonical.xreplace({arg(i): x for i, x in enumerate(xs)}),
        lambda *xs: _reference_expr({"expr": canonical}, *xs),
        TestSpec(inputs=tuple(_float((3, 4)) for _ in args)),
        doc or f"{name}({', '.join(map(str, args))}) = {expr}", arity=len(args))


def _check_symbols(name, scalar, arity):
    """GraphError when the op's formula uses symbols other than its operands."""
    expr = sp.sympify(scalar(*[arg(i) for i in range(arity)]))
    _check_functions(f"element-wise op {name!r}", expr)
    stray = sorted(str(s) for s in expr.free_symbols - {arg(i) for i in range(arity)})
    if stray:
        raise GraphError(f"element-wise op {name!r}: formula {expr} uses "
                         f"{', '.join(stray)}, which are not its operands "
                         f"(a0 .. a{arity - 1})")


def _check_functions(what, expr):
    """GraphError naming ``what`` when ``expr`` holds a function graphc cannot compute
    (an undefined ``sp.Function("f")``, a user's class): refused before any use."""
    unknown = unknown_functions(expr)
    if unknown:
        names = ", ".join(ascii(n) for n in unknown)
        raise GraphError(f"{what}: its formula uses the undefined function(s) {names}; a "
                         f"formula may use SymPy's functions and graphc's "
                         f"({', '.join(sorted(f.__name__ for f in FUNCTIONS.values()))})")


def _float(shape, lo=-2.0, hi=2.0):
    return ("float", shape, lo, hi)


def _nonzero(shape, lo=0.2, hi=2.0):
    return ("nonzero", shape, lo, hi)


_PAIR = TestSpec(inputs=(_float((3, 4)), _float((4,))))

define("add", lambda a, b: a + b, np.add, _PAIR, "a + b", arity=2, float_only=False,
       numpy="{0} + {1}")
define("sub", lambda a, b: a - b, np.subtract, _PAIR, "a - b", arity=2, float_only=False,
       numpy="{0} - {1}")
define("mul", lambda a, b: a * b, np.multiply, _PAIR, "a * b", arity=2, float_only=False,
       numpy="{0} * {1}")
define("div", lambda a, b: a / b, np.true_divide,
       TestSpec(inputs=(_float((3, 4)), _nonzero((4,), 0.5, 2.0))), "a / b", arity=2,
       numpy="{0} / {1}")
define("pow", lambda a, b: a ** b, np.power,
       TestSpec(inputs=(_float((3, 4), 0.5, 2.0), _float((), 1.0, 3.0))), "a ** b",
       arity=2, float_only=False, numpy="{0} ** {1}")
define("neg", lambda a: -a, np.negative, TestSpec(inputs=(_float((3, 4)),)), "-a",
       float_only=False, numpy="-{0}")
define("exp", sp.exp, np.exp, TestSpec(inputs=(_float((3, 4)),)), "e ** a",
       numpy="np.exp({0})")
define("log", sp.log, np.log, TestSpec(inputs=(_float((3, 4), 0.5, 3.0),)),
       "natural logarithm", numpy="np.log({0})")
define("abs", sp.Abs, np.abs, TestSpec(inputs=(_nonzero((3, 4)),)),
       "|a|; abs'(0) = 0", float_only=False, numpy="np.abs({0})")
define("sigmoid", sigmoid, np_sigmoid, TestSpec(inputs=(_float((3, 4), -3.0, 3.0),)),
       "1 / (1 + exp(-a)); sigmoid' = sigmoid (1 - sigmoid)",
       numpy="np_sigmoid({0})", helpers=(np_sigmoid,))  # exp(-logaddexp(0, -a)): no overflow
define("tanh", sp.tanh, np.tanh, TestSpec(inputs=(_float((3, 4)),)), "hyperbolic tangent",
       numpy="np.tanh({0})")
define("relu", relu, np_relu, TestSpec(inputs=(_nonzero((3, 4)),)),
       "max(a, 0); relu'(0) = 0", float_only=False, numpy="np.maximum({0}, 0)")
define("step", step, np_step, TestSpec(inputs=(_nonzero((3, 4)),), grad=False),
       "the perceptron's step: 1 if a > 0 else 0; its derivative is 0 everywhere, so "
       "gc.grad through it is an error (the perceptron has its own update rule)")


def _prepare_slope(attrs, args):
    slope = attrs.get("slope", 0.01)
    if isinstance(slope, bool) or not isinstance(slope, (int, float, np.integer, np.floating)) \
            or not np.isfinite(slope):
        raise GraphError(f"leaky_relu of {args[0].name!r}: slope must be a finite number, "
                         f"got {slope!r}")
    return {"slope": float(slope)}


def _exact_slope(slope):
    """The slope as the decimal it prints as (0.01 is 1/100), so exact values stay exact."""
    return sp.Rational(repr(float(slope)))


register(OpDef(
    name="leaky_relu", family="elementwise", arity=1, attrs=("slope",),
    defaults={"slope": 0.01}, prepare=_prepare_slope,
    infer=infer_elementwise("leaky_relu", True),
    scalar=lambda a, slope: leaky_relu(a, _exact_slope(slope)),
    reference=lambda attrs, x: np_leaky_relu(x, attrs["slope"]),
    vjp=elementwise_vjp, numpy="{formula}",
    test=TestSpec(inputs=(_nonzero((3, 4)),), attrs={"slope": 0.1}),
    doc="a if a > 0 else slope a (slope 0.01 by default); its derivative at 0 is the "
        "slope, as in PyTorch"))


# ---- sqrt, square, sign, maximum, minimum, where, clip, gelu, silu (issue 14) ---------------
# Kinks and ties as in PyTorch: sign'(0) = 0 (sign's derivative is 0 everywhere, so gc.grad
# through it is an error, as through step); maximum and minimum send half the gradient to
# each side of a tie (SymPy's Max' is Heaviside(a - b), Heaviside(0) = 1/2); clip passes
# the gradient at x == lo and x == hi.

define("sqrt", sp.sqrt, np.sqrt, TestSpec(inputs=(_float((3, 4), 0.5, 3.0),)),
       "square root, for a >= 0 (nan below, as in NumPy); sqrt' = 1 / (2 sqrt(a))",
       numpy="np.sqrt({0})")
define("square", lambda a: a ** 2, np.square, TestSpec(inputs=(_float((3, 4)),)), "a ** 2",
       float_only=False, numpy="np.square({0})")
define("sign", sp.sign, np.sign, TestSpec(inputs=(_nonzero((3, 4)),), grad=False),
       "-1, 0 or 1 (sign(0) = 0); its derivative is 0 everywhere (0 at 0 too, as PyTorch "
       "takes it), so gc.grad through it is an error, as through step",
       float_only=False, numpy="np.sign({0})")
define("maximum", sp.Max, np.maximum, _PAIR,
       "the larger of a and b, broadcast; at a tie each gets half the gradient (as PyTorch)",
       arity=2, float_only=False, numpy="np.maximum({0}, {1})")
define("minimum", sp.Min, np.minimum, _PAIR,
       "the smaller of a and b, broadcast; at a tie each gets half the gradient (as PyTorch)",
       arity=2, float_only=False, numpy="np.minimum({0}, {1})")
define("gelu", lambda a: a * (1 + sp.erf(a / sp.sqrt(2))) / 2,
       lambda x: _reference_expr({"expr": _GELU}, x), TestSpec(inputs=(_float((3, 4), -3, 3),)),
       "a Phi(a) = a (1 + erf(a / sqrt(2))) / 2, the exact form (PyTorch's default); erf is "
       "np_erf, shipped in the generated module (NumPy has none)", helpers=(np_erf,))
define("silu", lambda a: a * sigmoid(a), lambda x: x * np_sigmoid(x),
       TestSpec(inputs=(_float((3, 4), -3, 3),)), "a sigmoid(a), also called swish",
       helpers=(np_sigmoid,))


def _infer_where(attrs, args):
    """The broadcast shape of all three; the dtype of a and b (the condition's is no part
    of the value: a float condition does not widen float32 branches)."""
    shape = shapes.broadcast(args, "where")
    return shape, shapes.promote(args[1:], "where")


register(OpDef(
    name="where", family="elementwise", arity=3, infer=_infer_where,
    scalar=where, reference=lambda attrs, c, a, b: np.where(c, a, b), vjp=elementwise_vjp,
    numpy="{formula}", nondiff=(0,),
    test=TestSpec(inputs=(("labels", (3, 4), 2), _float((3, 4)), _float((4,)))),
    doc="where(cond, a, b): a where cond is nonzero, else b, broadcast; the gradient goes to "
        "a where cond holds, to b elsewhere, none to cond"))


def _prepare_clip(attrs, args):
    name = args[0].name
    ends = {}
    for key in ("lo", "hi"):
        v = attrs.get(key)
        ok = v is None or (isinstance(v, (int, float, np.integer, np.floating))
                           and not isinstance(v, bool) and np.isfinite(v))
        if not ok:
            raise GraphError(f"clip of {name!r}: {key} must be a finite number or None, got "
                             f"{v!r}")
        ends[key] = None if v is None else float(v)
    if ends["lo"] is None and ends["hi"] is None:
        raise GraphError(f"clip of {name!r}: give lo, hi or both (both are None)")
    if None not in ends.values() and ends["lo"] > ends["hi"]:
        raise GraphError(f"clip of {name!r}: lo {ends['lo']!r} is above hi {ends['hi']!r}")
    return ends


def _clip_formula(a, lo, hi):
    return clip(a, -sp.oo if lo is None else _exact_slope(lo),
                sp.oo if hi is None else _exact_slope(hi))


register(OpDef(
    name="clip", family="elementwise", arity=1, attrs=("lo", "hi"),
    defaults={"lo": None, "hi": None}, prepare=_prepare_clip,
    infer=infer_elementwise("clip", True), scalar=_clip_formula,
    reference=lambda attrs, x: np.clip(x, attrs["lo"], attrs["hi"]).astype(
        shapes.float_of(str(np.asarray(x).dtype))),
    vjp=elementwise_vjp, numpy="{formula}",
    test=TestSpec(inputs=(_float((3, 4)),), attrs={"lo": -1.0, "hi": 1.5}),
    doc="x limited to [lo, hi] (either may be None: no limit there); the gradient is 1 for "
        "lo <= x <= hi, the ends included, as PyTorch's clamp, and 0 outside"))


# The generic element-wise op: any SymPy formula over a0 .. a{n-1}. Gradients are made of
# it, fused element-wise regions are made of it, and so are users' own element-wise ops.

@functools.lru_cache(maxsize=4096)
def _lambdified(expr, n):
    _check_functions("elementwise", expr)  # no name of a function may run as code
    symbols = [arg(i) for i in range(n)]
    printer = NumPyPrinter({  # as lambdify's own, but an unknown function is an error
        "fully_qualified_modules": False, "inline": True, "allow_unknown_functions": False,
        "user_functions": {name: name for name in NUMPY_FUNCTIONS}})
    return sp.lambdify(symbols, safe_branches(expr), modules=[NUMPY_FUNCTIONS, "numpy"],
                       printer=printer)


@functools.lru_cache(maxsize=4096)
def _free_symbols(expr):
    """``expr.free_symbols``, which SymPy walks the whole formula for on every call."""
    return frozenset(expr.free_symbols)  # cached: nobody may change it


def _infer_expr(attrs, args):
    expr = attrs.get("expr")
    if not isinstance(expr, sp.Expr):
        raise GraphError(f"elementwise: 'expr' must be a SymPy expression, got {expr!r}")
    _check_functions("elementwise", expr)
    allowed = {arg(i) for i in range(len(args))}
    stray = sorted(str(s) for s in _free_symbols(expr) - allowed)
    if stray:
        raise GraphError(f"elementwise: formula {expr} uses {', '.join(stray)}, which are "
                         f"not operands (a0 .. a{len(args) - 1})")
    return infer_elementwise("elementwise", True)(attrs, args)


_GELU = arg(0) * (1 + sp.erf(arg(0) / sp.sqrt(2))) / 2


def _reference_expr(attrs, *xs):
    out = _lambdified(attrs["expr"], len(xs))(*xs)
    # A formula may leave an operand out (a0 * 2 over a0, a1): the shape is still theirs.
    return np.broadcast_to(out, np.broadcast_shapes(*[np.shape(x) for x in xs]))


register(OpDef(
    name="elementwise", family="elementwise", arity=None, infer=_infer_expr,
    reference=_reference_expr, vjp=elementwise_vjp, attrs=("expr",),
    scalar=lambda *symbols, expr: expr, numpy="{formula}",
    test=TestSpec(inputs=(_float((3,)), _float((2, 3))),
                  attrs={"expr": arg(0) * sigmoid(arg(1)) + arg(0) ** 2 * sp.tanh(arg(1))}),
    doc="any element-wise formula of its operands a0, a1, ... (gradients, fused regions)"))
