"""The NumPy printer: a Program as the source text of a standalone Python module.

The module imports only NumPy (and difflib, for its messages). ``compute`` holds one
statement per equation, with variables named after the nodes (the user's names, else the
op: ``matmul``, ``matmul_1``), each view (``W2.T``, a reshape, a count read from a shape)
written into its single consumer, ``del`` after each temporary's last use, and a comment
saying what the line is: the op, or for a gradient the rule it computes
(``# d(H @ W2)/dH = ct @ W2.T``); no line passes 100 columns. ``run(**feeds)`` checks the
feeds, computes and returns the outputs. Each op's text comes from its ``numpy`` template;
element-wise formulas are printed by the same printer's SymPy part (``formula.py``),
spaced as the templates are, a costly piece one repeats on a line of its own before it
(``shared.py``). The same Program always gives the same bytes.

>>> import graphc as gc
>>> from graphc.compile.program import lower
>>> g = gc.Graph("g")
>>> x = g.input("x", shape=(3,))
>>> source = generate(lower(g, [gc.exp(x).named("y")]))
>>> [line.strip() for line in source.splitlines() if line.endswith("# exp")]
['y = np.exp(x)  # exp']
"""

import functools
import itertools

import numpy as np

from .. import ops
from ..errors import GraphError
from ..graph import finite
from ..graph.finite import leaf_subject, subject
from ..ops.templates import check_template, fields
from ..shapes import FLOATS, Arg, broadcast
from . import layout, memory, prelude
from .formula import print_formula
from .memory import last_uses
from .names import Namespace
from .rules import Number

FOLD = 8  # operands a line when a variadic op (add_n of 4,000 terms) is printed as a fold


def generate(program, inline=True, reuse=False, floats=None, names=None, finite=False):
    """The source text of the module computing ``program`` (a ``Program``); ``inline``
    writes each view into its single consumer (``H.T @ ct``), else every node is a line;
    ``reuse`` computes a result in place in a temporary that dies on its line, where that
    is provably safe (``memory.Reuse``). ``floats`` (``tiny.compute_source``, at opt=2; or
    a false value) may write a ``compute`` on Python floats for a tiny program; the NumPy
    one is then ``compute_numpy``, which it falls back to. ``names``, a dict, is filled
    with ``{identifier: node name}`` of the variables printed (the report reads it).
    ``finite`` checks each float value compute is fed or computes (``check_finite``)."""
    env = Env(program, inline, reuse)
    env.finite = finite
    fast = floats(program, env) if floats and not finite else None
    body = compute_source(program, env, "compute_numpy" if fast else "compute")
    if names is not None:
        names.update({v.ident: name for name, v in env.values.items() if v.ident})
    if fast:
        body = f"{fast}\n\n\n{body}"
    parts = [prelude.header(fast is not None, finite), _globals(program),
             prelude.errors(finite)]
    if env.arrays:
        parts.append("\n".join(["# The graph's constants (scalars are written where used)."]
                               + [_constant(c, env) for c in env.arrays]))
    parts += [body, prelude.run_source([env.ident(c.name) for c in env.arrays])]
    parts += [f"# Helpers of the ops above, from graphc.ops.\n\n{prelude.function_source(f)}"
              if i == 0 else prelude.function_source(f)
              for i, f in enumerate(env.sorted_helpers())]
    if finite:
        parts.append(prelude.finite_check())
    parts.append(prelude.feed_checks())
    return "\n\n\n".join(p.rstrip("\n") for p in parts) + "\n"


# ---- values and literals ---------------------------------------------------------------------

class Value:
    """What a node is in generated code: a variable, a scalar constant written inline, or
    an expression written into its one consumer (``text``: ``X.T``, ``logits.shape[0]``)."""

    __slots__ = ("ident", "shape", "dtype", "literal", "weak", "text", "view")

    def __init__(self, ident, shape, dtype, literal=None, weak=False):
        self.ident, self.shape, self.dtype = ident, shape, dtype
        self.literal, self.weak, self.text, self.view = literal, weak, None, None


class Env:
    """The names, values and helpers of one module being printed.

    Variables are named after the nodes the user named; an unnamed node after its op
    (``matmul``, ``matmul_1``, in the order they come); a gradient ``d{y}_d{x}`` after
    the variables of y and x, so ``dloss_dadd`` is the gradient of ``add``.
    """

    def __init__(self, program, inline=True, reuse=False):
        self.names = Namespace()
        self.finite = False  # check every float value (generate's ``finite``)
        self.values, self.helpers, self.bases = {}, {}, {}
        self.shared = []  # (variable, text): the pieces the statement being printed shares
        self.arrays = [c for c in program.constants if c.value.ndim > 0]
        self.inlined = inlined(program) if inline else {}
        self.reuse = memory.Reuse(program, self) if reuse else None
        for leaf in program.inputs:
            self.values[leaf.name] = Value(self.names.add(leaf.name), leaf.shape, leaf.dtype)
        for c in program.constants:
            if c.value.ndim > 0:
                self.values[c.name] = Value(self.names.add(c.name, c.base), c.value.shape,
                                            c.dtype)
            else:
                self.values[c.name] = Value(None, (), c.dtype, c.value.item(), c.weak)
        forward = [e for e in program.equations if e.role != "grad"]
        totals = [e for e in program.equations if e.role == "grad" and e.grad_of[:1] != ("",)]
        parts = [e for e in program.equations if e.role == "grad" and e.grad_of[:1] == ("",)]
        for e in forward + totals + parts:  # a total keeps d{y}_d{x}; its parts take _1, _2
            ident = None if e.name in self.inlined else self.names.add(e.name, self._base(e))
            self.values[e.name] = Value(ident, e.shape, e.dtype)
            self.bases[e.name] = ident or e.base

    def _base(self, e):
        if not e.grad_of:
            return e.base
        _, x, y_base, x_base = e.grad_of
        return f"d{y_base}_d{self.bases.get(x, x_base)}"

    def ident(self, name):
        return self.values[name].ident

    def label(self, name):
        """How a comment calls the node ``name``: its variable, or what it is named after."""
        if isinstance(name, Number):
            return name
        value = self.values.get(name)
        if value is not None and value.ident:
            return value.ident
        return self.bases.get(name) or getattr(name, "base", name)

    def use(self, helpers):
        self.helpers.update((h.__name__, h) for h in helpers)

    def sorted_helpers(self):
        return [self.helpers[k] for k in sorted(self.helpers)]


def inlined(program):
    """``{name: consumer}`` for each view (``x.T``, a reshape, a count) that generated code
    writes into its single consumer instead of a line of its own; outputs stay lines."""
    uses, outputs = {}, set(program.outputs)
    for e in program.equations:
        for name in e.operands:
            uses.setdefault(name, []).append(e.name)
    return {e.name: uses[e.name][0] for e in program.equations
            if ops.get(e.op).view and len(uses.get(e.name, ())) == 1
            and e.name not in outputs}


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
    given = _result_name(others) if others else None
    texts, seen = [], []
    for v in values:
        if v.text is not None:  # a view written into its consumer; a count is a Python int
            texts.append(v.text)
            seen.append(1 if v.view == "shape" else np.dtype(v.dtype))
        elif v.literal is None:
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
    named = c.base == c.name and c.name != env.ident(c.name)
    return text + "  # const" + (f" {ascii(c.name)}" if named else "")


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

def compute_source(program, env, name="compute"):
    """The ``compute`` function: one statement per equation, ``del`` after a last use."""
    params = [env.ident(leaf.name) for leaf in program.inputs]
    lines = [wrapped(f"def {name}(", params, "):", ""),
             '    """The OUTPUTS from checked feeds (in the order of INPUTS), a line a step."""']
    printed = [e for e in program.equations if e.name not in env.inlined]
    frees = last_uses(program, env, printed)
    lines += finite_lines(env, [(env.ident(leaf.name), leaf_subject(leaf.role, leaf.name))
                                for leaf in program.inputs if leaf.dtype in FLOATS])
    for e in program.equations:
        if e.name in env.inlined:
            value = env.values[e.name]
            value.text, value.view = inline_text(e, env), ops.get(e.op).view
            continue
        dead = frees.get(e.name, ())
        body = statement(e, env, dead)
        lines += ["    " + line for line in shared_lines(env.shared, env.ident(e.name)) + body]
        if e.dtype in FLOATS:
            lines += finite_lines(env, [(env.ident(e.name), subject(e.site))])
        if e is not printed[-1]:  # freeing just before the return would gain nothing
            names = [env.ident(n) for n in dead] + [ident for ident, _ in env.shared]
            lines += ["    del " + row for row in layout.rows(names, layout.WIDTH - 8)]
        env.shared = []
    results = [output_text(env.values[name]) for name in program.outputs]
    lines.append(wrapped("    return (", results, ")", "    ") if len(results) > 1 else
                 f"    return ({results[0]},)")
    return "\n".join(lines)


def finite_lines(env, checked):
    """``check_finite(y, "node 'y' (log of 'x') produced")`` for each (variable, what it
    is) of ``checked``, where ``env`` checks values; else none."""
    if not env.finite:
        return []
    env.use(finite.FUNCTIONS[1:])  # first_bad: an op's helper (check_finite is printed apart)
    return ["    " + line for ident, what in checked
            for line in layout.wrap(f"check_finite({ident}, {ascii(what)})",
                                    layout.WIDTH - 4, 0)]


def shared_lines(shared, ident):
    """The statements of the pieces a formula shares, before its line (``sigmoid_z =
    np_sigmoid(z)  # common to dloss_dz``); their variables are freed after that line."""
    return [line for piece, text in shared
            for line in layout.statement(piece, text, f"common to {ident}", indent=4,
                                         aside=True)]


def wrapped(start, items, end, indent):
    """``start`` items ``end`` on one line, or wrapped within 100 columns if that is long."""
    line = start + ", ".join(items) + end
    if len(line) <= layout.WIDTH:
        return line
    rows, row = [], indent + "    "
    for item in items:
        if len(row) + len(item) + 2 > layout.WIDTH and row.strip():
            rows.append(row.rstrip())
            row = indent + "    "
        row += item + ", "
    rows.append(row.rstrip())
    return start + "\n" + "\n".join(rows) + "\n" + indent + end


def output_text(value):
    if value.literal is None:
        return value.ident
    return f"np.asarray({number(value.literal)}, dtype=np.{value.dtype})"


def _template(e, opdef, values):
    template = opdef.numpy if opdef.numpy is not None else (
        "{formula}" if opdef.scalar is not None else None)
    if template is None:
        raise GraphError(f"op {e.op!r} (node {e.name!r}) has no NumPy template: give its "
                         f"OpDef numpy='...'")
    if callable(template):  # chosen by the operands' shapes; checked as a fixed one would be
        template = template(dict(e.attrs), [tuple(v.shape) for v in values])
        _check_chosen(e.op, template, opdef.arity, opdef.helpers)
    return template


def expression(e, env):
    """The text computing equation ``e`` from its operands, cast to its dtype."""
    opdef = ops.get(e.op)
    values = [env.values[n] for n in e.operands]
    template = _template(e, opdef, values)
    if any(h.__name__ + "(" in template for h in opdef.helpers):
        env.use(opdef.helpers)  # a template calling none of them (x.shape[0]) needs none
    texts, seen = _operands(values)
    texts = [f"np.asarray({t})" if v.literal is not None and f"{{{i}}}." in template else t
             for i, (t, v) in enumerate(zip(texts, values))]  # a number has no .sum()
    text, kept = _fill(template, opdef, e, texts, env)
    if opdef.view == "shape":
        return text
    text = _cast(text, [seen[i] for i in kept], e.dtype)
    if len(kept) < len(values) and _shape_of([values[i] for i in kept]) != tuple(e.shape):
        # the formula leaves out an operand that gives the result its shape
        shapes = ", ".join(f"np.shape({t})" for t in texts)
        text = f"np.array(np.broadcast_to({text}, np.broadcast_shapes({shapes})))"
    return text


def inline_text(e, env):
    """A view's text as its consumer reads it: an atom, in parentheses if need be."""
    text = expression(e, env)
    return text if layout.is_atom(text) else f"({text})"


def statement(e, env, dead=()):
    """The lines computing equation ``e``: the statement and the comment saying what it is
    (the gradient rule, for a gradient), within 100 columns; in place in the buffer of one
    of ``dead`` (the variables this is the last read of) when ``env`` plans reuse."""
    opdef = ops.get(e.op)
    ident = env.ident(e.name)
    said = comment(e, env, ident)
    values = [env.values[n] for n in e.operands]
    if opdef.arity is None and _foldable(_template(e, opdef, values)):
        if env.reuse is not None:  # a fold of two or more operands is an operator's result
            env.reuse.record(e, len(values) > 1)
        return _fold(_template(e, opdef, values), e, values, ident, said)
    text = expression(e, env)
    if opdef.view == "shape":
        text = f"np.asarray({text}, dtype=np.{e.dtype})"
    if env.reuse is not None:
        lines = env.reuse.statement(e, ident, text, said, dead)
        if lines:
            return lines
    aside = e.role != "grad" and not e.note  # an op's name only: dropped if it does not fit
    return layout.statement(ident, text, said, indent=4, aside=aside)


def comment(e, env, ident):
    """What the line of equation ``e`` (variable ``ident``) says: its op, or for a
    gradient the rule it computes; one ASCII line."""
    if e.rule:
        template, names = e.rule
        text = template.format(*[env.label(n) for n in names])
    elif e.role == "grad":
        text = _total(e, env)
    else:
        text = "" if e.base == e.op or e.op == "elementwise" else e.op
    if e.note:
        text = f"{text} ({e.note})" if text else e.note
    if e.base == e.name and e.name != ident and e.role != "grad":
        text += f" {ascii(e.name)}"  # the user's own name, when the variable differs
    return ascii(text.strip())[1:-1]  # names in a rule are the user's: one ASCII line


def _total(e, env):
    """What a gradient made of no single rule is: a sum, a copy, or zeros."""
    if not e.grad_of:
        return ""
    y, x = e.grad_of[2], env.label(e.grad_of[1])
    return {"add_n": f"d{y}/d{x}: the sum over {x}'s uses",
            "identity": f"d{y}/d{x}: the gradient flowing into {x}",
            "zeros_like": f"{y} does not depend on {x}"}.get(e.op, "")


@functools.lru_cache(maxsize=256)
def _check_chosen(op, template, arity, helpers):
    check_template(op, template, arity, helpers)


def _shape_of(values):
    args = [Arg("", "", tuple(v.shape), v.dtype) for v in values]
    return tuple(broadcast(args, "elementwise")) if args else ()


def _foldable(template):
    return set(fields(template)) == {"0", "1"}


def _fold(template, e, values, ident, comment):
    """A variadic op as a left fold, FOLD operands a statement: bounded nesting for any
    count; the comment goes above the first statement."""
    texts, seen = _operands(values)
    statements, acc, rest = [], texts[0], texts[1:]
    while True:
        chunk, rest = rest[:FOLD - 1], rest[FOLD - 1:]
        for t in chunk:
            acc = template.format(acc, t)
        if not rest:
            break
        statements.append(acc)
        acc = ident
    statements.append(_cast(acc, seen, e.dtype))
    lines = [f"# {comment}"] if comment and len(statements) > 1 else []
    for text in statements:
        last = comment if len(statements) == 1 else ""
        lines += layout.statement(ident, text, last, indent=4)
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
        elif f == "node":  # the helper's errors say where they are, as gc.evaluate's do
            named[f] = ascii(f"{e.site}: ")
        elif f == "formula":
            pieces = itertools.count(len(env.shared))  # a key of its own for each piece
            named[f], kept, helpers, shared = print_formula(
                opdef, attrs, texts,
                lambda hint: env.names.add(("shared", e.name, next(pieces)), hint))
            env.use(helpers)
            env.shared += shared
        elif f in attrs:
            named[f] = _literal(attrs[f])
        else:
            raise GraphError(f"NumPy template of op {e.op!r} uses {{{f}}}, but node "
                             f"{e.name!r} has no attribute {f!r}")
    return template.format(*texts, **named), kept


def _cast(text, seen, dtype):
    """``text`` cast to ``dtype`` where NumPy's own promotion would give another dtype."""
    numpy_dtype = _result_name(seen) if seen else None
    if numpy_dtype == dtype and dtype != "int32":  # NumPy sums int32 as int64
        return text
    return f"np.asarray({text}, dtype=np.{dtype})"


def _result_name(seen):
    """``np.result_type(*seen).name``: dtypes and weak Python numbers (cached, by type too,
    as 1, 1.0 and True are equal keys; a dtype's ``.name`` alone takes microseconds)."""
    return _promoted(tuple((type(s), s) for s in seen))


@functools.lru_cache(maxsize=1024)
def _promoted(typed):
    return np.result_type(*[s for _, s in typed]).name


# ---- the rest of the module ------------------------------------------------------------------

def _globals(program):
    rows = [_literal((leaf.name, leaf.shape, leaf.dtype)) for leaf in program.inputs]
    inputs = "INPUTS = (\n" + "".join(f"    {r},\n" for r in rows) + ")" if rows else \
        "INPUTS = ()"
    return "\n".join([f"GRAPH = {ascii(program.graph)}", inputs,
                      _tuple_line("OUTPUTS", program.outputs),
                      _tuple_line("UNUSED", tuple(leaf.name for leaf in program.unused))
                      + "  # fed names that no output needs: accepted, not used",
                      "PASSED = set()  # shapes of feeds that passed the checks: quick next time"])


def _tuple_line(name, items):
    line = f"{name} = {_literal(tuple(items))}"
    if len(line) <= layout.WIDTH:
        return line
    return f"{name} = (\n" + "".join(f"    {ascii(i)},\n" for i in items) + ")"
