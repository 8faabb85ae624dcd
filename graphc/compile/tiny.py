"""The printer of tiny static shapes (opt=2): ``compute`` element by element on Python
floats and ``math``, for a Program whose every shape is static and small (the lecture
neuron, micrograd-style scalar graphs), where NumPy's cost per call on arrays of a few
elements is most of the time.

Each value is an object array of SymPy atoms, one per element: a variable (``z1_0_0``) or
a number. An element-wise op applies its formula to each element of its broadcast
operands; a structural op (matmul, sum, transpose, ...) runs its exact-value rule
(``OpDef.exact``, else ``reference``: NumPy's structural functions take object arrays) on
them, so a view costs nothing (its elements are its operand's); a mean loss sums its
formula per element, in the stable form. Each element that is not an atom already is one
statement, printed by SymPy's Python printer (``math.exp``) spaced as the NumPy printer
spaces, under the comment the NumPy line would carry.

Where floats and NumPy would part, ``compute`` hands the call to the NumPy code,
``compute_numpy``: math raises (OverflowError for exp(1000), ValueError for log(0),
ZeroDivisionError) where NumPy gives inf or nan, and a call whose feeds or outputs are
not all finite is recomputed by NumPy too, so those results and their warnings are
NumPy's. (An intermediate that overflows to inf inside an otherwise finite call, as in
sigmoid(x * x) at x = 1e200, gives the same output without NumPy's overflow warning.)
Only float64
programs take the path (float32 would round differently; integer labels feed ops it does
not cover); any other program, or one with an op of no float form here, returns None and
keeps the NumPy code: the path is an optimisation, never a refusal.

>>> import graphc as gc
>>> from graphc.compile.printer import Env
>>> from graphc.compile.program import lower
>>> g = gc.Graph("g")
>>> x, w = g.input("x", shape=(2,)), g.param("w", shape=(2,))
>>> program = lower(g, [gc.tanh(x @ w).named("y")])
>>> for line in compute_source(program, Env(program)).splitlines()[5:10]:
...     print(line)
        [x_0, x_1] = x.tolist()  # x as floats
        [w_0, w_1] = w.tolist()  # w as floats
        matmul = w_0 * x_0 + w_1 * x_1
        y = math.tanh(matmul)  # tanh
        if math.isfinite(x_0 + x_1 + w_0 + w_1 + y):  # else NumPy's inf or nan
"""

import math

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import log1p
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter

from .. import ops
from ..ops.elementwise import formula
from ..ops.scalar import MATH_TEMPLATES, arg
from . import layout
from .formula import FormulaPrinter, factored
from .printer import comment, output_text, wrapped

MAX_ELEMENTS = 16  # the most elements of any one value: inputs, constants, equations
MAX_TOTAL = 256    # the most elements of all equations together (a statement each at most)
INDENT = " " * 8   # the body sits inside a try

#: Structural ops: computed by their exact-value rule on the arrays of elements.
STRUCTURAL = frozenset({"matmul", "outer", "transpose", "reshape", "concat", "getitem",
                        "index_put", "sum", "mean", "count", "sum_to", "broadcast_like",
                        "identity", "zeros_like", "add_n"})

#: Mean losses, by op: the formula per element over (a0, a1) where the op's own one is not
#: stable on floats, else None (its ``scalar``).
LOSSES = {
    # bce of the logits: max(z, 0) - z y + log(1 + exp(-|z|)), as its NumPy template
    "bce_with_logits": sp.Max(arg(0), 0) - arg(0) * arg(1) + log1p(sp.exp(-sp.Abs(arg(0)))),
    "bce_clamped": None,  # its logs clamped at -100 (math.log(0) raises: NumPy's then)
    "mse": None,
    "mae": None,
}

#: Mean losses whose targets (operand 1) must lie in [0, 1]: compute checks them on floats
#: and hands a call with one outside to NumPy, whose helper says which (``check_unit``).
UNIT_TARGETS = frozenset({"bce_with_logits", "bce_clamped"})

#: What math raises where NumPy gives inf or nan; compute then hands the call to NumPy.
FALLBACK = "(OverflowError, ValueError, ZeroDivisionError)"

_BAD = (sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I)  # a formula SymPy evaluated to no float


class NoFloats(Exception):
    """A step of the program has no float form here: the module keeps the NumPy code."""


# ---- which programs take the path ----------------------------------------------------------

def applies(program):
    """True when every input, constant and equation of ``program`` is float64 (constants:
    or int64), of static shape with at most MAX_ELEMENTS elements, MAX_TOTAL in all, and
    every op has a float form here."""
    leaves = [*program.inputs, *program.equations]
    if any(v.dtype != "float64" or _size(v.shape) is None for v in leaves):
        return False
    if any(c.dtype not in ("float64", "int64") or c.value.size > MAX_ELEMENTS
           for c in program.constants):
        return False
    if sum(_size(e.shape) for e in program.equations) > MAX_TOTAL:
        return False
    return all(_covered(e.op) for e in program.equations)


def _size(shape):
    """The number of elements of a static ``shape`` within MAX_ELEMENTS, else None."""
    if not all(isinstance(d, int) for d in shape):
        return None
    n = math.prod(shape)
    return n if n <= MAX_ELEMENTS else None


def _covered(op):
    opdef = ops.get(op)
    return op in STRUCTURAL or op in LOSSES or (
        opdef.family == "elementwise" and opdef.scalar is not None)


# ---- the float printer ---------------------------------------------------------------------

class FloatPrinter(PythonCodePrinter):
    """SymPy's Python printer (``math.exp``), spaced as the NumPy printer spaces products
    and quotients; ``texts`` gives the text of a symbol that is not a variable (a constant)."""

    _print_Mul = FormulaPrinter._print_Mul  # one home for the spacing: (p - y) / n
    _factor = FormulaPrinter._factor        # a step beside a value as the mask (x > 0)

    def __init__(self, texts):
        super().__init__({"fully_qualified_modules": True, "allow_unknown_functions": False})
        self.texts = texts

    def _print_Symbol(self, expr):
        return self.texts.get(expr, expr.name)

    def _print_Float(self, expr):
        return repr(float(expr))  # all 17 digits

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.base, expr.exp
        if exp.is_Rational and exp.is_negative:
            return self._print_Mul(sp.Mul(sp.S.One, expr, evaluate=False))
        if exp == sp.S.Half:
            return f"math.sqrt({self._print(base)})"
        if exp.is_Integer:  # a float to an int power is never complex
            return f"{self.parenthesize(base, PRECEDENCE['Pow'], strict=True)} ** {exp}"
        # math.pow raises for a negative base, where ** would give a complex number
        return f"math.pow({self._print(base)}, {self._print(exp)})"

    def atom(self, expr):
        text = self._print(expr)
        return text if layout.is_atom(text) else f"({text})"


def _math_printer(template):
    def _print(self, expr):
        return template.format(*[self.atom(a) for a in expr.args])
    return _print


for _name, _template in MATH_TEMPLATES.items():  # _print_sigmoid, ...: dispatch by class
    setattr(FloatPrinter, f"_print_{_name}", _math_printer(_template))


def print_float(expr, texts):
    """``expr`` as Python on floats; NoFloats where SymPy's printer has no math form."""
    printer = FloatPrinter(texts)
    try:
        text = printer.doprint(expr)
    except NotImplementedError:
        raise NoFloats(str(expr)) from None
    if printer._not_supported or set(printer.module_imports) - {"math"} or "\n" in text:
        raise NoFloats(str(expr))
    return text


# ---- the steps: arrays of elements ---------------------------------------------------------

def elements(e, arrays):
    """The elements of equation ``e`` (an object array of SymPy expressions of its shape)
    from its operands' arrays of elements."""
    opdef, attrs = ops.get(e.op), dict(e.attrs)
    if e.op in LOSSES:
        f = LOSSES[e.op] if LOSSES[e.op] is not None else opdef.scalar(arg(0), arg(1))
        terms = _map(f, arrays).ravel()
        out = np.array(sp.Add(*terms) / len(terms), dtype=object)
    elif e.op in STRUCTURAL:
        rule = opdef.exact or opdef.reference
        out = np.asarray(rule(attrs, *arrays), dtype=object)
    else:
        out = _map(formula(opdef, attrs, len(arrays)), arrays)
    if out.shape != tuple(e.shape):
        raise NoFloats(f"{e.op} gave {out.shape}, not {e.shape}")
    return out


def _map(f, arrays):
    """Formula ``f`` over a0, a1, ... at each element of the broadcast ``arrays``."""
    spread = np.broadcast_arrays(*arrays)
    out = np.empty(spread[0].shape, dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = f.xreplace({arg(i): a[idx] for i, a in enumerate(spread)})
    return out


def _element_name(ident, idx, suffix=""):
    """``z1_0_1`` for element (0, 1) of z1; a scalar is its variable (``suffix``: ``x_f``,
    the float of a scalar feed ``x``, which stays the array)."""
    return ident + "".join(f"_{i}" for i in idx) if idx else ident + suffix


class Floats:
    """The statements of one ``compute`` on floats: the elements of every value, the
    lines, and the texts of constants' elements."""

    def __init__(self, program, env):
        self.program, self.env = program, env
        self.values, self.texts, self.lines = {}, {}, []
        self.unit = []  # the texts of the elements that must lie in [0, 1] (bce targets)

    def symbol(self, key, base):
        return sp.Symbol(self.env.names.add(key, base), real=True)

    def feed(self, leaf):
        """``[[X_0_0, X_0_1]] = X.tolist()``: a feed's elements as floats."""
        ident = self.env.ident(leaf.name)
        shape = tuple(leaf.shape)
        syms = np.empty(shape, dtype=object)
        for idx in np.ndindex(shape):
            syms[idx] = self.symbol((leaf.name, idx), _element_name(ident, idx, "_f"))
        self.values[leaf.name] = syms
        target = str(np.vectorize(str, otypes=[object])(syms).tolist()).replace("'", "")
        line = f"{target} = {ident}.{'tolist' if shape else 'item'}()  # {ident} as floats"
        self.lines += layout.wrap(line, layout.WIDTH - len(INDENT), 0)

    def constant(self, c):
        """A constant's elements: integers as SymPy integers (exact), others as texts."""
        out = np.empty(c.value.shape, dtype=object)
        for idx in np.ndindex(c.value.shape):
            v = c.value[idx].item()
            if float(v).is_integer() and abs(v) < 2 ** 53:
                out[idx] = sp.Integer(int(v))
            else:  # a symbol no identifier can be (they never start with "_")
                out[idx] = sp.Symbol(f"_const{len(self.texts)}", real=True)
                self.texts[out[idx]] = _float_text(v)
        self.values[c.name] = out

    def step(self, e, comment):
        """The statements of equation ``e``, an element a line, the comment on the first;
        an element that is an atom (a view's, a number) is no line."""
        if e.op in UNIT_TARGETS:
            self.targets(self.values[e.operands[1]])
        out = np.array(elements(e, [self.values[n] for n in e.operands]), dtype=object)
        ident = self.env.ident(e.name) or self.env.label(e.name)
        aside = e.role != "grad" and not e.note
        for idx in np.ndindex(out.shape):
            expr = sp.sympify(out[idx])
            if expr.has(*_BAD):
                raise NoFloats(f"{e.name}: {expr}")
            if not expr.is_Atom:  # a scalar equation's float is its variable itself
                own = idx == () and self.env.ident(e.name) is not None
                out[idx] = sym = (sp.Symbol(ident, real=True) if own else
                                  self.symbol((e.name, idx), _element_name(ident, idx)))
                text = print_float(factored(expr), self.texts)  # (a + b + c) / 3: one division
                self.lines += layout.statement(sym.name, text, comment, indent=len(INDENT),
                                               aside=aside)
                comment = ""
            else:
                out[idx] = expr
        self.values[e.name] = out

    def targets(self, elements):
        """Note the elements of a bce's targets, which must lie in [0, 1]: a number outside
        leaves the call to NumPy's code always (NoFloats), which raises the error."""
        for x in elements.flat:
            if x.is_Number and not 0 <= x <= 1:
                raise NoFloats(f"target {x} outside [0, 1]")
            if not x.is_Number:
                self.unit.append(print_float(x, self.texts))

    def condition(self, terms):
        """``if math.isfinite(...)`` over ``terms``, and the bce targets in [0, 1]."""
        unit = list(dict.fromkeys(self.unit))
        parts = [f"math.isfinite({' + '.join(terms)})"] if terms else []
        if len(unit) == 1:
            parts.append(f"0 <= {unit[0]} <= 1")
        elif unit:  # a nan among them makes an output nan: NumPy's code then
            parts.append(f"0 <= min({', '.join(unit)}) and max({', '.join(unit)}) <= 1")
        return " and ".join(parts)

    def results(self):
        """The lines from the check of the outputs to the return: each output array filled
        from its elements (a scalar as a NumPy float, as NumPy's own code gives one), a
        feed or constant as the NumPy code returns it."""
        equations = {e.name for e in self.program.equations}
        fills, results, done = [], [], set()
        # the feeds too: SymPy takes the floats for finite (x * 0 is 0), as they then are
        terms = [x.name for leaf in self.program.inputs for x in self.values[leaf.name].flat]
        for name in self.program.outputs:
            if name not in equations:
                results.append(output_text(self.env.values[name]))
                continue
            elems, ident = self.values[name], self.env.ident(name)
            texts = [print_float(x, self.texts) for x in elems.flat]
            results.append(f"np.float64({texts[0]})" if elems.ndim == 0 else ident)
            if name in done:
                continue
            done.add(name)
            terms += [t for x, t in zip(elems.flat, texts) if not x.is_Number]
            if elems.ndim:
                fills.append(f"{ident} = np.empty({tuple(elems.shape)})")
                fills += [f"{ident}[{', '.join(map(str, idx))}] = {t}"
                          for idx, t in zip(np.ndindex(elems.shape), texts)]
        ret = (wrapped("return (", results, ")", "") if len(results) > 1 else
               f"return ({results[0]},)").splitlines()
        if not terms and not self.unit:
            return fills + ret
        width = layout.WIDTH - len(INDENT)
        check = layout.wrap(f"if {self.condition(terms)}:", width, 3)
        note = "  # else NumPy's inf or nan" + (", or its error" if self.unit else "")
        if len(check[-1] + note) <= width:
            check[-1] += note
        return check + ["    " + line for line in fills + ret]


def compute_source(program, env):
    """The ``compute`` of ``program`` on Python floats, handing the call to the NumPy
    code's ``compute_numpy`` where floats would part from it; None where the program is
    not tiny (see ``applies``) or a step has no float form. ``env`` is the NumPy printer's
    (``printer.Env``): the same variable names, and each element's added to them."""
    if not applies(program):
        return None
    floats = Floats(program, env)
    try:
        for leaf in program.inputs:
            floats.feed(leaf)
        for c in program.constants:
            floats.constant(c)
        for e in program.equations:
            floats.step(e, comment(e, env, env.ident(e.name)))
        tail = floats.results()
    except NoFloats:
        return None
    params = [env.ident(leaf.name) for leaf in program.inputs]
    return "\n".join([
        wrapped("def compute(", params, "):", ""),
        '    """The OUTPUTS from checked feeds (in the order of INPUTS) on Python floats, a line',
        "    an element; compute_numpy's where math raises or a feed or an output is not",
        '    finite (NumPy then gives inf or nan, and its warnings)' + (
            '; or a bce target is not in [0, 1]\n    (NumPy\'s code then says which)."""'
            if floats.unit else '."""'),
        "    try:"]
        + [INDENT + line for line in floats.lines + tail]
        + [f"    except {FALLBACK}:", "        pass  # math raises where NumPy gives inf or nan",
           wrapped("    return compute_numpy(", params, ")", "    ")])


def _float_text(v):
    """A constant element as Python: ``0.5``, ``(-2.5)``, ``math.inf``, ``math.nan``."""
    if math.isnan(v):
        return "math.nan"
    if math.isinf(v):
        return "math.inf" if v > 0 else "(-math.inf)"
    return repr(float(v)) if v >= 0 else f"({float(v)!r})"
