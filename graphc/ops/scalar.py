"""The lecture's named functions as SymPy Function classes, and their NumPy forms.

Each class states its own derivative once, in terms of itself, so ``sympy.diff`` of any
composition stays in lecture form (``sigmoid' = sigmoid (1 - sigmoid)``). At kinks the
derivative follows PyTorch: relu'(0) = 0, step'(x) = 0.
"""

import numpy as np
import sympy as sp


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


#: NumPy implementations of the functions above, by SymPy name (for ``lambdify``).
NUMPY_FUNCTIONS = {
    "sigmoid": np_sigmoid,
    "relu": np_relu,
    "step": np_step,
    "maximum": np.maximum,
    "leaky_relu": np_leaky_relu,
}

#: How generated code writes each of them, by SymPy name: a template over the arguments
#: ({0}, {1}) and the helpers whose source the generated module then defines.
NUMPY_TEMPLATES = {
    "sigmoid": ("np_sigmoid({0})", (np_sigmoid,)),   # stable in both tails
    "relu": ("np.maximum({0}, 0)", ()),
    "step": ("np.heaviside({0}, 0)", ()),            # step(0) = 0
    "maximum": ("np.maximum({0}, {1})", ()),
    "leaky_relu": ("np_leaky_relu({0}, {1})", (np_leaky_relu,)),
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
}

#: The functions a formula may use besides SymPy's own (exp, log, tanh, Abs, sign, ...).
FUNCTIONS = {"sigmoid": sigmoid, "relu": relu, "step": step, "maximum": maximum,
             "leaky_relu": leaky_relu}

_SYMBOLS = {}


def arg(i):
    """The symbol of operand ``i`` in an element-wise formula: a0, a1, ... (real)."""
    if i not in _SYMBOLS:
        _SYMBOLS[i] = sp.Symbol(f"a{i}", real=True)
    return _SYMBOLS[i]
