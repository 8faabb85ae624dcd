"""The lecture's named functions as SymPy Function classes, and their NumPy forms.

Each class states its own derivative once, in terms of itself, so ``sympy.diff`` of any
composition stays in lecture form (``sigmoid' = sigmoid (1 - sigmoid)``). At kinks the
derivative follows PyTorch: relu'(0) = 0, step'(x) = 0.
"""

import functools

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef


class sigmoid(sp.Function):
    """The logistic function 1 / (1 + exp(-x))."""

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.S.Half
        return None

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        text = rf"\sigma\left({printer.doprint(self.args[0])}\right)"
        return f"{text}^{{{exp}}}" if exp else text


class step(sp.Function):
    """The perceptron's step: 1 if x > 0 else 0. Its derivative is 0 everywhere we use it."""

    @classmethod
    def eval(cls, x):
        if x.is_extended_positive:
            return sp.S.One
        if x.is_extended_nonpositive:
            return sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _eval_is_real(self):
        return self.args[0].is_real


class relu(sp.Function):
    """max(x, 0); relu'(x) = step(x), so relu'(0) = 0 as in PyTorch."""

    @classmethod
    def eval(cls, x):
        if x.is_extended_nonnegative:
            return x
        if x.is_extended_nonpositive:
            return sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        return step(self.args[0])

    def _latex(self, printer, exp=None):
        text = rf"\operatorname{{ReLU}}\left({printer.doprint(self.args[0])}\right)"
        return f"{text}^{{{exp}}}" if exp else text

    def _eval_is_real(self):
        return self.args[0].is_real


class leaky_relu(sp.Function):
    """x if x > 0 else slope x; leaky_relu'(x) = step(x) + slope (1 - step(x)), so the
    derivative at 0 is the slope, as in PyTorch."""

    @classmethod
    def eval(cls, x, slope):
        if x.is_extended_nonnegative:
            return x
        if x.is_extended_negative:
            return slope * x
        return None

    def fdiff(self, argindex=1):
        x, slope = self.args
        if argindex == 1:
            return step(x) + slope * (1 - step(x))
        return x * (1 - step(x))

    def _latex(self, printer, exp=None):
        inner = ", ".join(printer.doprint(a) for a in self.args)
        text = rf"\operatorname{{LeakyReLU}}\left({inner}\right)"
        return f"{text}^{{{exp}}}" if exp else text

    def _eval_is_real(self):
        return self.args[0].is_real and self.args[1].is_real


class maximum(sp.Function):
    """Element-wise max of two values; used to clamp (a log at -100, a denominator at eps)."""

    @classmethod
    def eval(cls, a, b):
        if (a - b).is_extended_nonnegative:
            return a
        if (a - b).is_extended_negative:
            return b
        return None

    def fdiff(self, argindex=1):
        a, b = self.args
        return step(a - b) if argindex == 1 else step(b - a)

    def _eval_is_real(self):
        return self.args[0].is_real and self.args[1].is_real


# ---- where, clip, erf: the element-wise ops of issue 14 -------------------------------------

class where(sp.Function):
    """where(c, a, b): a where c is nonzero, else b, as ``np.where``; its derivative is
    where(c, 1, 0) for a, where(c, 0, 1) for b and 0 for the condition."""

    nargs = 3

    @classmethod
    def eval(cls, c, a, b):
        if c.is_zero:
            return b
        if c.is_zero is False:
            return a
        if a == b:
            return a
        return None

    def fdiff(self, argindex=1):
        c = self.args[0]
        return {1: sp.S.Zero, 2: where(c, 1, 0), 3: where(c, 0, 1)}[argindex]

    def _eval_is_real(self):
        return self.args[1].is_real and self.args[2].is_real


class clip(sp.Function):
    """clip(x, lo, hi): x limited to [lo, hi] (lo = -oo or hi = oo: no limit there). Its
    derivative is 1 for lo <= x <= hi, the ends included, as in PyTorch's clamp, else 0."""

    nargs = 3

    @classmethod
    def eval(cls, x, lo, hi):
        if (x - lo).is_extended_negative:
            return lo
        if (x - hi).is_extended_positive:
            return hi
        if (x - lo).is_extended_nonnegative and (x - hi).is_extended_nonpositive:
            return x
        return None

    def fdiff(self, argindex=1):
        """Heaviside(x - lo, 1) Heaviside(hi - x, 1) for x: 1 for lo <= x <= hi (H(0) = 1);
        lo's is 1 for x < lo, hi's 1 for x > hi."""
        x, lo, hi = self.args
        if argindex == 1:
            inside = [sp.Heaviside(x - lo, 1) if lo != -sp.oo else sp.S.One,
                      sp.Heaviside(hi - x, 1) if hi != sp.oo else sp.S.One]
            return inside[0] * inside[1]
        end = lo - x if argindex == 2 else x - hi
        return sp.Heaviside(end, 0) if abs(self.args[argindex - 1]) != sp.oo else sp.S.Zero

    def _eval_is_real(self):
        return self.args[0].is_real

    def _sympystr(self, printer):
        x, lo, hi = self.args  # None for no limit, as np.clip and gc.clip are called
        ends = ["None" if abs(e) == sp.oo else printer.doprint(e) for e in (lo, hi)]
        return f"clip({printer.doprint(x)}, {ends[0]}, {ends[1]})"

    def _latex(self, printer, exp=None):
        inner = ", ".join(printer.doprint(a) for a in self.args)
        text = rf"\operatorname{{clip}}\left({inner}\right)"
        return f"{text}^{{{exp}}}" if exp else text


def np_sigmoid(x):
    """exp(-log(1 + exp(-x))): no overflow for any x, accurate in both tails."""
    return np.exp(-np.logaddexp(0.0, -x))


def np_relu(x):
    return np.maximum(x, 0)


def np_step(x):
    return np.heaviside(x, 0)


def np_leaky_relu(x, slope):
    """x where x > 0, else slope * x (in x's dtype for a Python float slope)."""
    return np.where(x > 0, x, slope * x)


def np_erf(x):
    """The error function for NumPy, which lacks it (SciPy is not a dependency), within
    1e-15 of math.erf everywhere; about 35 ns an element (some 50 passes of np.exp), a
    third of np.vectorize(math.erf)'s 95 ns: for |x| < 2.5 the series 2/sqrt(pi) exp(-x**2)
    sum 2**n x**(2n+1) / (1*3*...*(2n+1)), whose terms are all positive (no cancellation),
    else 1 - erfc(x) by erfc's continued fraction (no overflow, no division by 0). The
    interpreter and generated modules run this same function. Computed in float64; a
    float32 input gives float32."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    a = np.abs(x.astype(np.float64))
    out = np.empty_like(a)
    near = a < 2.5
    v = a[near]
    z = v * v
    coeffs = [1.0]  # 2**n / (1*3*...*(2n+1)); the 40th term is below 1e-17 of the sum
    for n in range(1, 40):
        coeffs.append(coeffs[-1] * 2.0 / (2 * n + 1))
    total = np.full_like(z, coeffs[-1])
    for c in coeffs[-2::-1]:
        total = total * z + c
    out[near] = v * total * np.exp(-z) * 1.1283791670955126  # 2 / sqrt(pi)
    far = a[~near]  # nan and inf too
    fraction = far  # erfc(x) = exp(-x**2) / (sqrt(pi) (x + 1/2 / (x + 1 / (x + 3/2 / ...))))
    for k in range(40, 0, -1):
        fraction = far + (0.5 * k) / fraction
    out[~near] = 1.0 - np.exp(-far * far) / (1.7724538509055159 * fraction)
    return (np.sign(x) * out).astype(dtype)


def np_heaviside(x, at_zero=0.5):
    """SymPy's Heaviside: 0 below 0, 1 above, ``at_zero`` at 0 (1/2 by default)."""
    return np.heaviside(x, at_zero)



def _where_text(c, a, b):
    """where(c, 1, 0), a gradient's mask, as ``(c != 0)``: a product with it keeps the
    other factor's dtype, where np.where(c, 1, 0) would make it int64 (float64 after)."""
    masks = {("1", "0"): f"({c} != 0)", ("0", "1"): f"({c} == 0)"}
    return masks.get((a, b), f"np.where({c}, {a}, {b})")

#: NumPy implementations of the functions above, by SymPy name (for ``lambdify``).
NUMPY_FUNCTIONS = {
    "sigmoid": np_sigmoid,
    "relu": np_relu,
    "step": np_step,
    "maximum": np.maximum,
    "leaky_relu": np_leaky_relu,
    "where": np.where,
    "clip": np.clip,
    "erf": np_erf,
    "Heaviside": np_heaviside,
}

#: How generated code writes each of them, by SymPy name: a template over the arguments
#: ({0}, {1}) and the helpers whose source the generated module then defines.
NUMPY_TEMPLATES = {
    "sigmoid": ("np_sigmoid({0})", (np_sigmoid,)),   # stable in both tails
    "relu": ("np.maximum({0}, 0)", ()),
    "step": ("np.heaviside({0}, 0)", ()),            # step(0) = 0
    "maximum": ("np.maximum({0}, {1})", ()),
    "leaky_relu": ("np_leaky_relu({0}, {1})", (np_leaky_relu,)),
    "where": (lambda c, a, b: _where_text(c, a, b), ()),  # nonzero is true
    "clip": ("np.clip({0}, {1}, {2})", ()),         # no limit: -np.inf, np.inf
    "erf": ("np_erf({0})", (np_erf,)),
    "Heaviside": (lambda x, h=None: f"np.heaviside({x}, {h or 0.5})", ()),  # H(0) = 1/2
    # SymPy's Max and Min of any number of arguments (Max(a, Max(b, c)) is Max(a, b, c))
    "Max": (lambda *xs: functools.reduce(lambda a, b: f"np.maximum({a}, {b})", xs), ()),
    "Min": (lambda *xs: functools.reduce(lambda a, b: f"np.minimum({a}, {b})", xs), ()),
}

#: How the Python-float path of tiny static shapes (``compile/tiny.py``, opt=2) writes them
#: with ``math``, by SymPy name: math raises where NumPy would give inf or nan (exp(1000)),
#: and that path then leaves the call to NumPy, so the form need not be stable.
MATH_TEMPLATES = {
    "sigmoid": "1 / (1 + math.exp(-{0}))",
    "relu": "max({0}, 0.0)",                  # x first: max(nan, 0.0) is nan, as in NumPy
    "step": "(1.0 if {0} > 0 else 0.0)",      # step(0) = 0
    "maximum": "max({0}, {1})",
    "leaky_relu": "({0} if {0} > 0 else {1} * {0})",
    "where": "({1} if {0} else {2})",
    "clip": "min(max({0}, {1}), {2})",
    "erf": "math.erf({0})",
}

#: The functions a formula may use besides SymPy's own (exp, log, tanh, Abs, sign, ...).
FUNCTIONS = {"sigmoid": sigmoid, "relu": relu, "step": step, "maximum": maximum,
             "leaky_relu": leaky_relu, "where": where, "clip": clip}

#: graphc's functions a formula may hold, beside SymPy's own.
KNOWN = frozenset(FUNCTIONS.values()) | {sp.erf, sp.Heaviside}


def unknown_functions(expr):
    """The names of the functions in ``expr`` that are neither SymPy's own nor graphc's
    (``sp.Function("f")``, a class of the user's): NumPy cannot compute them, and their
    names must never reach ``lambdify``, which would run them as code.

    >>> unknown_functions(sp.Function("f")(arg(0)) + sigmoid(arg(0)))
    ['f']
    """
    return list(_unknown(sp.sympify(expr)))


@functools.lru_cache(maxsize=4096)
def _unknown(expr):
    names = set()
    for f in sp.sympify(expr).atoms(sp.Function):
        kind = type(f)
        if kind in KNOWN:
            continue
        if isinstance(f, AppliedUndef) or not kind.__module__.startswith("sympy."):
            names.add(kind.__name__)
    return tuple(sorted(names))


@functools.lru_cache(maxsize=4096)
def safe_branches(expr):
    """``expr`` with each branch of a Piecewise computed on safe input: a symbol its
    condition reads is replaced by ``where(cond, symbol, v)``, ``v`` a number at which the
    condition holds, so the branch never sees input its guard keeps out (np.select and
    np.where compute every branch on every element).

    >>> t = arg(0)
    >>> safe_branches(sp.Piecewise((sp.log(t), t > 0), (0, True)))
    Piecewise((log(where(a0 > 0, a0, 1)), a0 > 0), (0, True))
    """
    if not expr.has(sp.Piecewise):
        return expr
    return expr.replace(lambda e: isinstance(e, sp.Piecewise), _safe_piecewise)


def _safe_piecewise(piecewise):
    safe = []
    for value, cond in piecewise.args:
        point = _inside(cond) if cond not in (sp.true, sp.false) else None
        if point:
            value = value.xreplace({s: where(cond, s, v) for s, v in point.items()})
        safe.append((value, cond))
    return sp.Piecewise(*safe)


def _inside(cond):
    """A point {symbol: number} at which ``cond`` holds, tried among small numbers and
    the numbers next to those it compares with; None when none is found."""
    symbols = sorted(cond.free_symbols, key=str)
    numbers = sorted({n for n in cond.atoms(sp.Number) if n.is_finite}, key=float)
    candidates = [sp.S.One, sp.S.Zero, -sp.S.One, sp.Integer(2), sp.S.Half, -sp.Integer(2)]
    candidates += [n + d for n in numbers for d in (1, -1, 0, sp.S.Half, -sp.S.Half)]
    for v in candidates:
        point = {s: v for s in symbols}
        if symbols and cond.xreplace(point) is sp.true:
            return point
    return None


_SYMBOLS = {}


def arg(i):
    """The symbol of operand ``i`` in an element-wise formula: a0, a1, ... (real)."""
    if i not in _SYMBOLS:
        _SYMBOLS[i] = sp.Symbol(f"a{i}", real=True)
    return _SYMBOLS[i]
