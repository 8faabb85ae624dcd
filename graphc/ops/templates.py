"""NumPy templates: what an op prints as in generated code, checked when it is registered.

A template is one Python expression with placeholders:

  ``{0}``, ``{1}``, ...   the operands' variables (or literals)
  ``{operands}``          all operands, comma-separated (ops of any arity)
  ``{dtype}``             the output dtype as NumPy spells it (``np.float32``)
  ``{formula}``           the op's SymPy formula printed over its operands
  ``{node}``              how messages name the node, as a string literal ending in ": "
                          (``"node 'loss' (cross_entropy of 'z', 'y'): "``): the ``where``
                          a helper's DomainError begins with
  ``{axes}``, ...         the node's attributes, as Python literals

Names in a template are ``np`` and the op's ``helpers`` (functions that generated modules
define); every ``np.x.y`` must exist in NumPy. A typo fails at import:

>>> check_template("matmul", "np.matmull({0}, {1})", 2, ())
Traceback (most recent call last):
...
graphc.errors.GraphError: NumPy template of op 'matmul' uses np.matmull, which NumPy lacks
"""

import ast
import builtins
import functools
import string

import numpy as np

from ..errors import GraphError

#: Placeholders that are not attributes: filled in by the code generator.
SPECIAL = ("operands", "dtype", "formula", "node")


@functools.lru_cache(maxsize=1024)
def fields(template):
    """The placeholder names of ``template``, in order of appearance (cached: the printer
    asks for each statement)."""
    return tuple(f for _, f, _, _ in string.Formatter().parse(template) if f is not None)


def check_template(op, template, arity, helpers):
    """Raise GraphError unless ``template`` is a valid expression for op ``op``."""
    where = f"NumPy template of op {op!r}"
    if not isinstance(template, str) or not template.strip():
        raise GraphError(f"{where} must be a non-empty string, got {template!r}")
    try:
        names = fields(template)
        for _, _, spec, conversion in string.Formatter().parse(template):
            if spec or conversion:
                raise ValueError("no format specs or conversions")
    except ValueError as err:
        raise GraphError(f"{where} {template!r} has a bad placeholder: {err}") from None
    for name in names:
        _check_field(where, name, arity)
    text = template.format(*[f"_arg{i}" for i in range(_count(names))],
                           **{n: f"_field_{n}" for n in names if not n.isdigit()})
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise GraphError(f"{where} {template!r} is not a Python expression: {err.msg}") \
            from None
    _check_names(where, tree, {h.__name__ for h in helpers})


def _count(names):
    return 1 + max((int(n) for n in names if n.isdigit()), default=-1)


def _check_field(where, name, arity):
    if name.isdigit():
        if arity is not None and int(name) >= arity:
            raise GraphError(f"{where} uses operand {{{name}}}, but the op has {arity} "
                             f"operands")
    elif not name.isidentifier():
        raise GraphError(f"{where} has a bad placeholder {{{name}}}: use {{0}}, {{1}}, ..., "
                         f"an attribute name or one of {', '.join(SPECIAL)}")


def _check_names(where, tree, helpers):
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain = _chain(node)
            if chain and chain[0] == "np" and not _in_numpy(chain[1:]):
                raise GraphError(f"{where} uses {'.'.join(chain)}, which NumPy lacks")
        elif isinstance(node, ast.Name):
            ok = (node.id == "np" or node.id in helpers or node.id.startswith("_arg")
                  or node.id.startswith("_field_") or hasattr(builtins, node.id))
            if not ok:
                raise GraphError(f"{where} uses {node.id!r}, which is neither np nor one of "
                                 f"its helpers ({', '.join(sorted(helpers)) or 'none'})")


def _chain(node):
    """``np.multiply.outer`` as ["np", "multiply", "outer"]; None for other expressions."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id] + parts[::-1]


def _in_numpy(attrs):
    obj = np
    for a in attrs:
        if not hasattr(obj, a):
            return False
        obj = getattr(obj, a)
    return True
