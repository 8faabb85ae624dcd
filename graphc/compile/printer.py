"""The NumPy printer: a Program as the source text of a standalone Python module.

The module imports only NumPy (and difflib, for its messages). ``compute`` holds one
statement per equation, ``var = <template>  # op``, with variables named after the nodes;
``run(**feeds)`` checks the feeds, computes and returns the outputs. Each op's text comes
from its ``numpy`` template; element-wise formulas are printed by SymPy's NumPy printer.
The same Program always gives the same bytes.

>>> import graphc as gc
>>> from graphc.compile.program import lower
>>> g = gc.Graph("g")
>>> x = g.input("x", shape=(3,))
>>> source = generate(lower(g, [gc.exp(x).named("y")]))
>>> [line.strip() for line in source.splitlines() if line.endswith("# exp")]
['y = np.exp(x)  # exp']
"""

import functools
import re

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from .. import ops
from ..errors import GraphError
from ..ops.scalar import NUMPY_TEMPLATES, arg
from ..ops.templates import check_template, fields
from ..shapes import Arg, broadcast
from . import prelude
from .names import Namespace

FOLD = 8  # operands a line when a variadic op (add_n of 4,000 terms) is printed as a fold


def generate(program):
    """The source text of the module computing ``program`` (a ``Program``)."""
    env = Env(program)
    body = compute_source(program, env)
    parts = [prelude.HEADER, _globals(program), prelude.ERRORS]
    if env.arrays:
        parts.append("\n".join(["# The graph's constants (scalars are written where used)."]
                               + [_constant(c, env) for c in env.arrays]))
    parts += [body, prelude.run_source([env.ident(c.name) for c in env.arrays])]
    parts += [f"# Helpers of the ops above, from graphc.ops.\n\n{prelude.function_source(f)}"
              if i == 0 else prelude.function_source(f)
              for i, f in enumerate(env.sorted_helpers())]
    parts.append(prelude.feed_checks())
    return "\n\n\n".join(p.rstrip("\n") for p in parts) + "\n"


# ---- values and literals ---------------------------------------------------------------------

class Value:
    """What a node is in generated code: a variable, or a scalar constant written inline."""

    __slots__ = ("ident", "shape", "dtype", "literal", "weak")

    def __init__(self, ident, shape, dtype, literal=None, weak=False):
        self.ident, self.shape, self.dtype = ident, shape, dtype
        self.literal, self.weak = literal, weak


class Env:
    """The names, values and helpers of one module being printed."""

    def __init__(self, program):
        self.names = Namespace()
        self.values = {}
        self.helpers = {}
        self.arrays = [c for c in program.constants if c.value.ndim > 0]
        for leaf in program.inputs:
            self.values[leaf.name] = Value(self.names.add(leaf.name), leaf.shape, leaf.dtype)
        for c in program.constants:
            if c.value.ndim > 0:
                self.values[c.name] = Value(self.names.add(c.name), c.value.shape, c.dtype)
            else:
                self.values[c.name] = Value(None, (), c.dtype, c.value.item(), c.weak)
        for e in program.equations:
            self.values[e.name] = Value(self.names.add(e.name), e.shape, e.dtype)

    def ident(self, name):
        return self.values[name].ident

    def use(self, helpers):
        self.helpers.update((h.__name__, h) for h in helpers)

    def sorted_helpers(self):
        return [self.helpers[k] for k in sorted(self.helpers)]


def number(v):
    """A Python int or float as source: ``2``, ``-0.5``, ``np.inf``, ``np.nan``."""
    if isinstance(v, (bool, np.bool_)):
        return repr(int(v))
    if isinstance(v, (int, np.integer)):
        return repr(int(v))
    v = float(v)
    if np.isnan(v):
        return "np.nan"
    if np.isinf(v):
        return "np.inf" if v > 0 else "-np.inf"
    return repr(v)


def _atom(text):
    return f"({text})" if text.startswith("-") else text


def _operands(values):
    """Each operand's text, and what NumPy sees of it (a dtype, or a weak Python number).

    A scalar constant is written inline: bare when it came from a plain number, or when a
    bare number gives its dtype both alone (float64, int64) and with the other operands;
    else typed, np.float32(0.5), so that NumPy sees the dtype the graph gave it.
    """
    others = [v.dtype for v in values if v.literal is None]
    given = np.result_type(*others).name if others else None
    texts, seen = [], []
    for v in values:
        if v.literal is None:
            texts.append(v.ident)
            seen.append(np.dtype(v.dtype))
        elif v.weak or (v.dtype in ("float64", "int64") and given in (None, v.dtype)):
            texts.append(_atom(number(v.literal)))
            seen.append(v.literal)
        else:
            texts.append(f"np.{v.dtype}({number(v.literal)})")
            seen.append(np.dtype(v.dtype))
    return texts, seen


def _constant(c, env):
    """A module-level constant: ``w0 = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float64)``."""
    start = f"{env.ident(c.name)} = np.array("
    if c.value.size == 0:
        text = f"{env.ident(c.name)} = np.zeros({_literal(c.value.shape)}, dtype=np.{c.dtype})"
    else:
        text = f"{start}{_nested(c.value.tolist(), len(start))}, dtype=np.{c.dtype})"
    return text + "  # const" + _aka(c.name, env.ident(c.name))


def _nested(items, indent):
    """Nested lists of numbers, a row a line, eight numbers a line at most."""
    if not isinstance(items[0], list):
        rows = [", ".join(number(v) for v in items[i:i + 8]) for i in range(0, len(items), 8)]
    else:
        rows = [_nested(row, indent + 1) for row in items]
    return "[" + (",\n" + " " * (indent + 1)).join(rows) + "]"


def _literal(value):
    """An attribute value (or shape) as a Python literal; strings are written with ascii()."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return repr(None if value is None else bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _atom(number(value))
    if isinstance(value, str):
        return ascii(value)
    if isinstance(value, tuple):
        inner = ", ".join(_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    raise GraphError(f"cannot write the attribute value {value!r} into generated code")


# ---- statements ------------------------------------------------------------------------------

def compute_source(program, env):
    """The ``compute`` function: one statement per equation, ``del`` after a last use."""
    params = [env.ident(leaf.name) for leaf in program.inputs]
    lines = [_wrapped("def compute(", params, "):", ""),
             '    """The OUTPUTS from checked feeds (in the order of INPUTS); one line a node."""']
    last = len(program.equations) - 1
    for i, e in enumerate(program.equations):
        lines += ["    " + line for line in statement(e, env)]
        if i < last:  # freeing just before the return would gain nothing
            names = [env.ident(n) for n in e.frees]
            lines += ["    del " + ", ".join(names[k:k + FOLD]) for k in range(0, len(names), FOLD)]
    results = [_output(env.values[name]) for name in program.outputs]
    lines.append(_wrapped("    return (", results, ")", "    ") if len(results) > 1 else
                 f"    return ({results[0]},)")
    return "\n".join(lines)


def _wrapped(start, items, end, indent):
    """``start`` items ``end`` on one line, or wrapped within 88 columns if that is long."""
    line = start + ", ".join(items) + end
    if len(line) <= 88:
        return line
    rows, row = [], indent + "    "
    for item in items:
        if len(row) + len(item) + 2 > 88 and row.strip():
            rows.append(row.rstrip())
            row = indent + "    "
        row += item + ", "
    rows.append(row.rstrip())
    return start + "\n" + "\n".join(rows) + "\n" + indent + end


def _output(value):
    if value.literal is None:
        return value.ident
    return f"np.asarray({number(value.literal)}, dtype=np.{value.dtype})"


def statement(e, env):
    """The lines computing equation ``e``."""
    opdef = ops.get(e.op)
    template = opdef.numpy if opdef.numpy is not None else (
        "{formula}" if opdef.scalar is not None else None)
    if template is None:
        raise GraphError(f"op {e.op!r} (node {e.name!r}) has no NumPy template: give its "
                         f"OpDef numpy='...'")
    env.use(opdef.helpers)
    values = [env.values[n] for n in e.operands]
    if callable(template):  # chosen by the operands' shapes; checked as a fixed one would be
        template = template(dict(e.attrs), [tuple(v.shape) for v in values])
        _check_chosen(e.op, template, opdef.arity, opdef.helpers)
    ident = env.ident(e.name)
    note = f" ({e.note})" if e.note else ""
    comment = f"  # {e.op}{note}{_aka(e.name, ident)}"
    if opdef.arity is None and _foldable(template):
        return _fold(template, e, values, ident, comment)
    texts, seen = _operands(values)
    text, kept = _fill(template, opdef, e, texts, env)
    text = _cast(text, [seen[i] for i in kept], e.dtype)
    if len(kept) < len(values) and _shape_of([values[i] for i in kept]) != tuple(e.shape):
        # the formula leaves out an operand that gives the result its shape
        shapes = ", ".join(f"np.shape({t})" for t in texts)
        text = f"np.array(np.broadcast_to({text}, np.broadcast_shapes({shapes})))"
    return [f"{ident} = {text}{comment}"]


@functools.lru_cache(maxsize=256)
def _check_chosen(op, template, arity, helpers):
    check_template(op, template, arity, helpers)


def _shape_of(values):
    args = [Arg("", "", tuple(v.shape), v.dtype) for v in values]
    return tuple(broadcast(args, "elementwise")) if args else ()


def _aka(name, ident):
    """The node's own name, when its variable differs; ascii() keeps a comment one line."""
    return "" if name == ident else f" {ascii(name)}"


def _foldable(template):
    return set(fields(template)) == {"0", "1"}


def _fold(template, e, values, ident, comment):
    """A variadic op as a left fold, FOLD operands a line: bounded nesting for any count."""
    texts, seen = _operands(values)
    lines, acc, rest = [], texts[0], texts[1:]
    while True:
        chunk, rest = rest[:FOLD - 1], rest[FOLD - 1:]
        for t in chunk:
            acc = template.format(acc, t)
        if not rest:
            break
        lines.append(f"{ident} = {acc}{comment}" + (", continued" if lines else ""))
        acc = ident
    lines.append(f"{ident} = {_cast(acc, seen, e.dtype)}{comment}"
                 + (", continued" if lines else ""))
    return lines


def _fill(template, opdef, e, texts, env):
    """The template filled in, and which operands the text still uses."""
    attrs = dict(e.attrs)
    named, kept = {}, list(range(len(texts)))
    for f in fields(template):
        if f.isdigit() or f in named:
            continue
        if f == "operands":
            named[f] = ", ".join(texts)
        elif f == "dtype":
            named[f] = f"np.{e.dtype}"
        elif f == "formula":
            named[f], kept, helpers = print_formula(opdef, attrs, texts)
            env.use(helpers)
        elif f in attrs:
            named[f] = _literal(attrs[f])
        else:
            raise GraphError(f"NumPy template of op {e.op!r} uses {{{f}}}, but node "
                             f"{e.name!r} has no attribute {f!r}")
    return template.format(*texts, **named), kept


def _cast(text, seen, dtype):
    """``text`` cast to ``dtype`` where NumPy's own promotion would give another dtype."""
    numpy_dtype = np.result_type(*seen).name if seen else None
    if numpy_dtype == dtype and dtype != "int32":  # NumPy sums int32 as int64
        return text
    return f"np.asarray({text}, dtype=np.{dtype})"


# ---- the rest of the module ------------------------------------------------------------------

def _globals(program):
    rows = [_literal((leaf.name, leaf.shape, leaf.dtype)) for leaf in program.inputs]
    inputs = "INPUTS = (\n" + "".join(f"    {r},\n" for r in rows) + ")" if rows else \
        "INPUTS = ()"
    return "\n".join([f"GRAPH = {ascii(program.graph)}", inputs,
                      _tuple_line("OUTPUTS", program.outputs),
                      _tuple_line("UNUSED", tuple(leaf.name for leaf in program.unused))
                      + "  # fed names that no output needs: accepted, not used"])


def _tuple_line(name, items):
    line = f"{name} = {_literal(tuple(items))}"
    if len(line) <= 88:
        return line
    return f"{name} = (\n" + "".join(f"    {ascii(i)},\n" for i in items) + ")"


# ---- element-wise formulas, by a subclass of SymPy's NumPy printer --------------------------
#
# Operand symbols a0, a1, ... become the operands' variables; ``numpy.`` becomes ``np.``;
# floats keep every digit (``repr``); the lecture's functions are written stably (sigmoid as
# ``np_sigmoid``, exp(-logaddexp(0, -x)), never a bare exp of an unbounded value).

_TOKEN = re.compile("\x00([0-9]+)\x00")  # an operand's place in printed text


class FormulaPrinter(NumPyPrinter):
    """SymPy's NumPyPrinter, writing ``np.``, exact floats and the lecture's functions."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "allow_unknown_functions": False})
        self.helpers = {}

    def _module_format(self, fqn, register=True):
        text = super()._module_format(fqn, register)
        return "np." + text[len("numpy."):] if text.startswith("numpy.") else text

    def _print_Symbol(self, expr):
        match = re.fullmatch(r"a([0-9]+)", expr.name)
        if match is None:
            raise GraphError(f"formula uses {expr.name!r}, which is not an operand a0, a1, ...")
        return f"\x00{match.group(1)}\x00"

    def _print_Float(self, expr):
        return repr(float(expr))  # all 17 digits: SymPy's own 15 would change the value


def _function_printer(name):
    template, helpers = NUMPY_TEMPLATES[name]

    def _print(self, expr):
        self.helpers.update((h.__name__, h) for h in helpers)
        return template.format(*[self._print(a) for a in expr.args])
    return _print


for _name in NUMPY_TEMPLATES:  # _print_sigmoid, _print_relu, ...: SymPy dispatches by class
    setattr(FormulaPrinter, f"_print_{_name}", _function_printer(_name))


@functools.lru_cache(maxsize=4096)
def formula_text(expr):
    """``expr`` printed with operand i as ``\\x00i\\x00``, and the helpers it calls."""
    printer = FormulaPrinter()
    try:
        text = printer.doprint(expr)
    except NotImplementedError:  # SymPy's printer has no NumPy for some function
        text = None
    imports = set(printer.module_imports) - {"numpy"}
    if text is None or getattr(printer, "_not_supported", None) or imports or "\n" in text:
        raise GraphError(f"the formula {expr} uses functions NumPy lacks; generated code "
                         f"cannot compute it")
    helpers = tuple(printer.helpers[k] for k in sorted(printer.helpers))
    return text, helpers


def print_expr(expr, texts):
    """``expr`` over a0, a1, ... written with ``texts[i]`` for a{i}: (text, kept, helpers),
    ``kept`` being the operands the text still uses."""
    text, helpers = formula_text(expr)
    kept = sorted({int(i) for i in _TOKEN.findall(text)})
    return _TOKEN.sub(lambda m: texts[int(m.group(1))], text), kept, helpers


def print_formula(opdef, attrs, texts):
    """An element-wise op's formula over its operands' texts (see ``print_expr``).

    An operand written as the literal 1 (a gradient's seed) is put into the formula, where
    SymPy drops it exactly: ``1*(p - y)/n`` prints as ``(p - y)/n``.
    """
    expr = sp.sympify(opdef.scalar(*[arg(i) for i in range(len(texts))], **attrs))
    ones = {arg(i): sp.S.One for i, t in enumerate(texts) if t in ("1", "1.0")}
    if ones:
        expr = expr.xreplace(ones)
    return print_expr(expr, texts)
