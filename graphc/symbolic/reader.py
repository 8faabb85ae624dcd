"""Reading a formula a user typed into SymPy: ``sigmoid(-1) - 1``, ``(yhat - y) * x``.

Text typed by a user is never evaluated. ``ast.parse`` only builds a tree, and a walker
turns the allowed part of it into SymPy: numbers, + - * / ** (``^``) @ .T, the names given
and their components (``w[0]``), lists, ``pi``, ``e``, ``CLAIM_FUNCTIONS`` (element by
element) and the whole-tensor ``TENSOR_FUNCTIONS`` of ``functions.py`` (sum, softmax, ...).
Anything else, and any input too large to build cheaply, is refused, quoting the text.

Here: the rewrites before ``ast.parse``, the walker, ``parse_expression``. Size guards:
``guards.py``; tensors: ``tensors.py``. Claims about a graph (``d loss/d w1 = ...``) are
read by ``graphc.check.claims`` with this reader; exact feeds (``at={'w': 'sqrt(2)/2'}``)
too (``exact.py``).

>>> parse_expression("relu'(3) + 0.1", {})
11/10
"""

import ast
import difflib
import io
import re
import tokenize
import unicodedata

import sympy as sp

from ..ops import scalar
from .guards import (MAX_DEPTH, MAX_EXPONENT, MAX_NODES, MAX_NUMBER_BITS, Reject, check_size,
                     check_text, claim_error, divide, multiply, number_bits, power, tree_size)
from .functions import TENSOR_FUNCTIONS, call, check_arity
from .tensors import array_of, component, elementwise, lecture_component, matmul, transpose

#: The functions a claim may call: the name a user types -> (SymPy function, arity).
CLAIM_FUNCTIONS = {
    "sigmoid": (scalar.sigmoid, 1),
    "sigma": (scalar.sigmoid, 1),      # the slides write σ
    "σ": (scalar.sigmoid, 1),
    "relu": (scalar.relu, 1),
    "step": (scalar.step, 1),
    "exp": (sp.exp, 1),
    "log": (sp.log, 1),                # natural log, as in the lecture
    "ln": (sp.log, 1),
    "tanh": (sp.tanh, 1),
    "abs": (sp.Abs, 1),
    "sqrt": (lambda x: power(x, sp.S.Half), 1),     # x**(1/2), with the size checks
    "max": (scalar.maximum, 2),
}

#: Constants a claim may name, unless the graph has a node of the same name.
CONSTANTS = {"pi": sp.pi, "π": sp.pi, "e": sp.E}

# A prime right after a one-argument function's name (relu'(z)) is its derivative. The
# lecture's ' and the typographic ’ and ′ all count; the call becomes __prime_<name>(...).
_PRIME_PREFIX = "__prime_"
_EXACT_PREFIX = "__exact_"     # a name Python would fold, kept as the graph holds it
_PRIMES = "'’′"
_PRIMED = sorted((n for n, (_, arity) in CLAIM_FUNCTIONS.items() if arity == 1),
                 key=len, reverse=True)
_PRIME_RE = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, _PRIMED)) + f")[{_PRIMES}]")
_FUNCTIONS = [*CLAIM_FUNCTIONS, *TENSOR_FUNCTIONS]
_ALLOWED = ("a claim may use the graph's names, components (w[0], W[0, 1]), lists [a, b], "
            "numbers, + - * / ** ^ @ .T, pi, e, the functions " + ", ".join(CLAIM_FUNCTIONS)
            + " (element by element) and " + ", ".join(TENSOR_FUNCTIONS) + " (of tensors)")


def did_you_mean(name, candidates):
    """'; did you mean 'x'?' when a candidate is close, else a list of a few candidates."""
    candidates = [c for c in candidates if not c.startswith(_PRIME_PREFIX)]
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.5)   # w2 -> w1
    if close:
        return f"; did you mean {close[0]!r}?"
    shown = ", ".join(candidates[:12]) + (", ..." if len(candidates) > 12 else "")
    return f" (known: {shown})" if shown else ""


# ---- rewriting the text before ast.parse ---------------------------------------------------

def _rewrites(text, names=()):
    """The edits (start, end, replacement) that make ``text`` a Python expression.

    Leading blanks go (ast's eval mode would call them an indent), ``f'`` becomes
    ``__prime_f``, each ``^`` operator token becomes ``**``, and each name of ``names``
    that Python would fold (NFKC: full-width ``ｘ`` to ``x``) becomes ``_exact_name(name)``,
    so it is read as the name the graph holds. Edits are kept, not just applied, so an
    error found later can point at the user's own column.
    """
    edits = [(0, len(text) - len(text.lstrip()), "")]
    edits += [(m.start(), m.end(), _PRIME_PREFIX + m[1]) for m in _PRIME_RE.finditer(text)]
    # Find ^ among real tokens (never inside a name or a string); blanking the primes keeps
    # the tokenizer's columns equal to the user's.
    masked = _PRIME_RE.sub(lambda m: m[1] + " ", text)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(masked).readline))
    except (tokenize.TokenError, SyntaxError):
        tokens = []          # ast.parse reports the same problem, with its column
    edits += [(t.start[1], t.end[1], "**") for t in tokens
              if t.type == tokenize.OP and t.string == "^"]
    edits += [(t.start[1], t.end[1], _exact_name(t.string)) for t in tokens
              if t.type == tokenize.NAME and t.string in names and _folded(t.string)]
    return sorted(e for e in edits if e[1] > e[0] or e[2])


def _folded(name):
    """Whether Python reads the identifier ``name`` as another one (NFKC normalisation)."""
    return unicodedata.normalize("NFKC", name) != name


def _exact_name(name):
    """The ASCII identifier that stands for ``name`` in the rewritten text."""
    return _EXACT_PREFIX + name.encode("unicode_escape").hex()


def _apply(text, edits):
    pieces, last = [], 0
    for start, end, new in edits:
        pieces += [text[last:start], new]
        last = end
    return "".join(pieces) + text[last:]


def _user_column(column, edits):
    """Where ``column`` of the rewritten text was in the user's text."""
    shift = 0
    for start, end, new in edits:
        if column < start + shift:
            break
        if column < start + shift + len(new):
            return start
        shift += len(new) - (end - start)
    return column - shift


def _syntax_reject(err, text, edits):
    """A Reject for ast's SyntaxError, without Python's hints that do not apply here."""
    reason = re.sub(r"\s*\(detected at line \d+\)|\. Perhaps you forgot a comma\?", "",
                    err.msg or "invalid syntax")
    if any(q in text for q in _PRIMES + '"'):
        reason += ("; quotes are not allowed, and a prime ' may follow only a function "
                   "name, as in relu'(z) or sigmoid'(z)")
    elif reason.startswith("invalid syntax") or "decimal literal" in reason:
        reason += " (a product needs *: 2*x, not 2x)"   # the usual cause, from the slides
    column = None if err.offset is None else _user_column(max(err.offset - 1, 0), edits)
    return Reject(reason, column)


# ---- the walker ----------------------------------------------------------------------------

# What each refused kind of syntax is called in messages; any other node is named by its type.
_REFUSED = {
    ast.Attribute: "attribute access (.name)", ast.Subscript: "indexing ([...])",
    ast.Lambda: "lambda", ast.IfExp: "conditional expressions (a if c else b)",
    ast.Compare: "comparisons", ast.BoolOp: "and/or", ast.NamedExpr: "assignment (:=)",
    ast.JoinedStr: "f-strings", ast.Starred: "starred arguments (*x)",
    ast.Tuple: "tuples (a comma outside a call)", ast.Set: "sets", ast.Dict: "dicts",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions", ast.Slice: "slices",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
}
_OPERATOR_SIGNS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
                   ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^",
                   ast.Not: "not", ast.Invert: "~"}


_BINARY = {                 # ast operator -> how SymPy builds it
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: multiply,     # refuses products SymPy would factor slowly
    ast.Div: divide,        # refuses an exact zero denominator
    ast.Pow: power,         # refuses huge powers before SymPy computes them
}
_UNARY = {ast.UAdd: lambda a: a, ast.USub: lambda a: -a}


def _operator_rule(rules, op):
    """The rule for ``op``, or a Reject that names its sign (//, %, @, ~, not, ...)."""
    if type(op) not in rules:
        sign = _OPERATOR_SIGNS.get(type(op), type(op).__name__)
        raise Reject(f"the operator {sign} is not allowed; {_ALLOWED}")
    return rules[type(op)]


def _derivative(function):
    """f' as a function of its argument: relu' -> step, sigmoid' -> sigmoid (1 - sigmoid)."""
    t = sp.Dummy("t", real=True)
    slope = sp.diff(function(t), t)
    return lambda x: slope.xreplace({t: x})


class _Walker:
    """Builds SymPy from an ast tree, one rule per allowed node type (``_RULES``)."""

    def __init__(self, source, edits, names):
        self.source, self.edits, self.names = source, edits, names
        self.sizes = {}         # tree sizes of the shared subexpressions seen so far
        self.readings = []      # how lecture names were read: "w1 read as w[0]"

    def build(self, node, depth=0):
        if depth > MAX_DEPTH:
            raise Reject(f"it nests more than {MAX_DEPTH} levels deep", self.column(node))
        rule = self._RULES.get(type(node))
        if rule is None:
            what = _REFUSED.get(type(node), f"{type(node).__name__} expressions")
            raise Reject(f"{what} not allowed; {_ALLOWED}", self.column(node))
        try:
            return rule(self, node, depth + 1)
        except Reject as err:           # the innermost node that knows where it is
            if err.column is None:
                err.column = self.column(node)
            raise

    def column(self, node):
        """The user's column of ``node`` (ast counts UTF-8 bytes; we count characters)."""
        if not hasattr(node, "col_offset"):
            return None
        prefix = self.source.encode("utf-8")[:node.col_offset].decode("utf-8", "ignore")
        return _user_column(len(prefix), self.edits)

    def _constant(self, node, depth):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            what = {str: "strings", bytes: "bytes", complex: "complex numbers"}.get(
                type(value), repr(value))
            raise Reject(f"{what} not allowed; {_ALLOWED}")
        if isinstance(value, int):
            return check_size(sp.Integer(value))
        # A float is read from its own text, so 0.1 is exactly 1/10 and 1e-3 is 1/1000.
        literal = ast.get_source_segment(self.source, node).replace("_", "")
        exponent = re.search(r"[eE]([+-]?\d+)$", literal)
        if exponent and abs(int(exponent[1])) > MAX_EXPONENT:
            raise Reject(f"the number {literal} is too large")
        return check_size(sp.Rational(literal))

    def _name(self, node, depth):
        name = node.id
        if name in self.names:
            return self.names[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        base = name[len(_PRIME_PREFIX):] if name.startswith(_PRIME_PREFIX) else None
        if name in _FUNCTIONS or base in _PRIMED:
            shown = name if base is None else base + "'"
            raise Reject(f"{shown} is a function: call it, as in {shown}(z)")
        read = lecture_component(name, self.names)
        if read is not None:
            self.readings.append(f"{name} read as {read[0]}[{read[1]}]")
            return component(self.names[read[0]], (read[1],))
        hint = did_you_mean(name, [*self.names, *_FUNCTIONS, *CONSTANTS])
        raise Reject(f"unknown name {name!r}{hint}")

    def _binop(self, node, depth):
        rule = None if isinstance(node.op, ast.MatMult) else _operator_rule(_BINARY, node.op)
        left, right = self.build(node.left, depth), self.build(node.right, depth)
        if rule is None:
            return matmul(left, right)
        try:
            return elementwise(lambda a, b: check_size(rule(a, b)), left, right)
        except Reject as err:           # point at what is too large, or the zero
            raise Reject(err.reason, self.column(node.right)) from None

    def _unaryop(self, node, depth):
        return elementwise(_operator_rule(_UNARY, node.op), self.build(node.operand, depth))

    def _attribute(self, node, depth):
        if node.attr != "T":
            raise Reject(f"attribute access (.{node.attr}) not allowed; only .T, the transpose")
        return transpose(self.build(node.value, depth))

    def _subscript(self, node, depth):
        """``w[0]``, ``W[0, 1]``: components, 0-based as in NumPy, by integers only."""
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        index = []
        for part in parts:
            negative = isinstance(part, ast.UnaryOp) and isinstance(part.op, ast.USub)
            number = part.operand if negative else part
            if not (isinstance(number, ast.Constant) and type(number.value) is int):
                raise Reject("an index must be an integer, as in W[0, 1]", self.column(part))
            index.append(-number.value if negative else number.value)
        return component(self.build(node.value, depth), tuple(index))

    def _list(self, node, depth):
        return array_of([self.build(item, depth) for item in node.elts])

    def _call(self, node, depth):
        function, arity, shown = self._callee(node)
        args = list(node.args)
        if shown in TENSOR_FUNCTIONS and [k.arg for k in node.keywords] == ["axis"]:
            args.append(node.keywords[0].value)         # sum(x, axis=0), as graphc prints it
        elif node.keywords:
            raise Reject("keyword arguments (x=1) are not allowed"
                         + ("; only axis=, as in sum(x, axis=0)" if shown in TENSOR_FUNCTIONS
                            else ""))
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise Reject("starred arguments (*x) are not allowed", self.column(arg))
        if shown in TENSOR_FUNCTIONS:
            check_arity(shown, len(args))
            texts = [ast.get_source_segment(self.source, a) for a in args]
            value = call(shown, [self.build(a, depth) for a in args], texts)
            return elementwise(self._applied(lambda v: v), value)    # the same size checks
        if len(args) != arity:
            plural = "s" if arity > 1 else ""
            raise Reject(f"{shown} takes {arity} argument{plural}, got {len(args)}")
        return elementwise(self._applied(function), *(self.build(a, depth) for a in args))

    def _applied(self, function):
        """``function`` on scalars, with the size checks; elementwise maps it over arrays."""
        def apply(*args):
            result = function(*args)
            if tree_size(result, self.sizes) > MAX_NODES:
                raise Reject(f"it grows past {MAX_NODES} terms (nested primes repeat their "
                             "argument)")
            return check_size(result)
        return apply

    def _callee(self, node):
        """(SymPy function, arity, name as typed) of a call; only allowlisted names."""
        if not isinstance(node.func, ast.Name):
            what = "a number" if isinstance(node.func, ast.Constant) else "this"
            raise Reject(f"only the functions {', '.join(_FUNCTIONS)} can be called, "
                         f"not {_REFUSED.get(type(node.func), what)}; a product needs *")
        name = node.func.id
        base = name[len(_PRIME_PREFIX):]
        if name.startswith(_PRIME_PREFIX) and base in _PRIMED:
            return _derivative(CLAIM_FUNCTIONS[base][0]), 1, base + "'"
        if name in CLAIM_FUNCTIONS:
            return (*CLAIM_FUNCTIONS[name], name)
        if name in TENSOR_FUNCTIONS:
            return None, None, name                 # whole tensors: functions.py
        if name in self.names:
            raise Reject(f"{name!r} is a node, not a function; write {name}*(...) for a "
                         "product")
        raise Reject(f"unknown function {name!r}{did_you_mean(name, _FUNCTIONS)}")

    _RULES = {ast.Constant: _constant, ast.Name: _name, ast.BinOp: _binop,
              ast.UnaryOp: _unaryop, ast.Call: _call, ast.Attribute: _attribute,
              ast.Subscript: _subscript, ast.List: _list}




# ---- expressions ---------------------------------------------------------------------------

def lookup(names):
    """The graph's names, with SymPy values, each as the graph holds it (``x``, Cyrillic
    ``х`` and full-width ``ｘ`` are three names; ``expression`` reads each exactly), and as
    Python spells it (NFKC) where no other name is spelt so."""
    table, spelt = {}, {}
    for name, value in names.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = sp.Integer(value) if isinstance(value, int) else sp.Float(value)
        if not isinstance(value, (sp.Expr, sp.NDimArray)):  # the guards read their structure
            raise TypeError(f"names[{name!r}] must be a SymPy expression, "
                            f"got {type(value).__name__}")
        table[str(name)] = value
        spelt.setdefault(unicodedata.normalize("NFKC", str(name)), []).append(value)
    for name, values in spelt.items():
        if name not in table and len(values) == 1:
            table[name] = values[0]
    return table


def expression(text, names):
    """The SymPy value of formula ``text``; Reject with a user column when refused."""
    check_text(text, "formula")
    edits = _rewrites(text, names)
    source = _apply(text, edits)
    names = {**names, **{_exact_name(n): v for n, v in names.items() if _folded(n)}}
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        raise _syntax_reject(err, text, edits) from None
    except (RecursionError, MemoryError, ValueError):
        raise Reject("it is too complex to read") from None
    try:
        expr = _Walker(source, edits, names).build(tree.body)
    except (TypeError, ValueError, AttributeError, IndexError, NotImplementedError) as err:
        raise Reject(f"it cannot be computed ({type(err).__name__}: {err})") from None
    if expr.has(sp.zoo, sp.nan):
        raise Reject("its value is undefined (a division by zero or log(0))")
    for number in expr.atoms(sp.Rational):      # a backstop behind the per-node checks
        if number_bits(number) > MAX_NUMBER_BITS:
            raise Reject(f"a number in it is too large (over {MAX_NUMBER_BITS} bits)")
    return expr


def parse_expression(text, names):
    """The SymPy expression a user's formula means, over the graph's ``names``.

    ``names`` maps each name the text may use to its SymPy value (usually a Symbol).
    Float literals are exact decimals; ``^`` is a power; ``relu'`` and ``sigmoid'`` are
    derivatives. Anything outside the allowlist is a ClaimError quoting the text.

    >>> yhat, y = sp.symbols("yhat y")
    >>> parse_expression("(yhat - y)^2 / 2", {"yhat": yhat, "y": y})
    (-y + yhat)**2/2
    >>> parse_expression("sigma'(0)", {})
    1/4
    """
    try:
        return expression(text, lookup(names))
    except Reject as err:
        raise claim_error("claim", text, err) from None


def number(text):
    """The exact real number ``text`` means, with no names (``sqrt(2)/2``, ``log(3)``,
    ``pi/4``); Reject for anything else."""
    value = expression(text, {})
    if isinstance(value, sp.NDimArray) or not value.is_number:
        raise Reject("it is not one number")
    if value.is_extended_real is not True or not value.is_finite:
        raise Reject(f"{value} is not a finite real number")
    return value


def parse_number(text):
    """``number(text)``, or a ClaimError quoting the value.

    >>> parse_number("sqrt(2)/2"), parse_number("log(3) + 1/2")
    (sqrt(2)/2, 1/2 + log(3))
    """
    try:
        return number(text)
    except Reject as err:
        raise claim_error("value", text, err) from None
