"""Values typed on the command line, as in ``graphc check net.py --at x=1,-1``.

A value is a number, a comma-separated vector or a nested list of numbers. Like a claim,
its text is never evaluated: ``ast.parse`` builds a tree, number literals, signs, lists and
tuples are read from it, and any other number is read by the claims' allowlist reader
(``graphc.symbolic.reader.number``), so ``w=sqrt(2)/2`` is fed exactly what it stands for.
Anything else is a ClaimError that quotes the text.

>>> parse_assignments(["x=1,-1", "W=[[1, 2], [3, 4]]", "w=sqrt(2)/2"])
{'x': [1, -1], 'W': [[1, 2], [3, 4]], 'w': sqrt(2)/2}
"""

import ast
import math

from ..symbolic.guards import MAX_DEPTH, Reject, check_text, claim_error
from ..symbolic.reader import number

_VALUE = ("a value is a number (1, -0.5, 1e-3, sqrt(2)/2, log(3)), a comma-separated vector "
          "(1,-1) or a nested list ([[1, 2], [3, 4]])")


def _number_or_list(node, text, depth=0):
    """Python numbers and lists from a value's tree: literals, unary +/-, lists, tuples;
    any other number exact (SymPy; an integer as a Python int) by the allowlist reader."""
    if depth > MAX_DEPTH:
        raise Reject(f"it nests more than {MAX_DEPTH} levels deep")
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_number_or_list(item, text, depth + 1) for item in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        value = _number_or_list(node.operand, text, depth + 1)
        if isinstance(value, list):
            raise Reject("a sign goes on a number, not on a list")
        return -value if isinstance(node.op, ast.USub) else value
    if not isinstance(node, ast.Constant):
        return _exact(ast.get_source_segment(text, node))
    if type(node.value) in (int, float):
        if isinstance(node.value, float) and not math.isfinite(node.value):
            raise Reject("the number is too large for a float")
        if isinstance(node.value, int) and abs(node.value) >= 2 ** 63:
            raise Reject("the integer is too large; write it as a float, like 1e20")
        return node.value
    raise Reject(_VALUE)


def _exact(text):
    try:
        value = number(text)
    except Reject as err:
        raise Reject(f"{err.reason.split('; ')[0]}; {_VALUE}") from None
    return int(value) if value.is_Integer else value


def _shape(value):
    """The shape of nested lists, or Reject when they are ragged (NumPy needs a box)."""
    if not isinstance(value, list):
        return ()
    shapes = [_shape(item) for item in value]
    if any(s != shapes[0] for s in shapes):
        raise Reject("the nested lists have different lengths")
    return (len(value),) + (shapes[0] if shapes else ())


def _value(text):
    check_text(text, "value")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        column = None if err.offset is None else len(text) - len(text.lstrip()) + err.offset - 1
        raise Reject(err.msg or "invalid syntax", column) from None
    except (RecursionError, MemoryError, ValueError):
        raise Reject("it is too complex to read") from None
    value = _number_or_list(tree.body, text.strip())
    _shape(value)
    return value


def parse_value(text):
    """A number or nested list of numbers from a command-line text; floats stay floats.

    >>> parse_value("0.5"), parse_value("1,-1"), parse_value("[[1, 2], [3, 4e-3]]")
    (0.5, [1, -1], [[1, 2], [3, 0.004]])
    >>> parse_value("pi/4"), parse_value("[sqrt(2)/2, 1/3]")
    (pi/4, [sqrt(2)/2, 1/3])
    """
    try:
        return _value(text)
    except Reject as err:
        raise claim_error("value", text, err) from None


def parse_assignments(pairs):
    """``["x=1,-1", "y=1"]`` -> ``{"x": [1, -1], "y": 1}``, in the order given.

    >>> parse_assignments(["x=1,-1", " y = 0.5 "])
    {'x': [1, -1], 'y': 0.5}
    """
    if isinstance(pairs, str):
        raise TypeError("parse_assignments takes a list of 'name=value' strings, not a str")
    values = {}
    for pair in pairs:
        try:
            name, value = _assignment(pair, values)
        except Reject as err:
            raise claim_error("assignment", pair, err) from None
        values[name] = value
    return values


def _assignment(pair, seen):
    check_text(pair, "assignment")
    left, sign, text = pair.partition("=")
    name = left.strip()
    if not sign or not name:
        raise Reject("write it as name=value, like x=1,-1")
    if name in seen:
        raise Reject(f"{name!r} is given a value twice")
    try:
        return name, _value(text)
    except Reject as err:       # point into the whole pair, not just its value
        column = None if err.column is None else err.column + len(left) + 1
        raise Reject(err.reason, column) from None
