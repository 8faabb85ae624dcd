"""The memory plan of generated code: when each temporary is freed, and (at ``opt=2``) which
results are computed in place, in the buffer of a temporary that dies on the same line.

Freeing: ``del`` after a temporary's last read (``last_uses``). Reuse (``Reuse``): a
forward statement (``ROLES`` says why not a gradient's) whose outermost operation is
element-wise (``a + b``, ``np.tanh(z)``, ``np.maximum(z, 0)``, a formula such as
``np.tanh(2 * z - 1)``) is written in place into one of its operands when that operand
provably is a *donor*:

- a buffer this function made and nobody else can see: the result of an operator or a
  ufunc, or of a call in ``NEW_ARRAYS``, of a shape other than ``()`` (a full reduction
  gives a NumPy scalar, not a buffer), and read by no statement whose result may share
  its memory (a view not written into its consumer, a reshape, ``broadcast_to``, a helper
  that may return its input): so never a feed, an output, a constant, or a view of one;
- dead after this statement (its last read), of the result's shape and dtype, so the
  operation neither broadcasts beyond it nor casts.

The in-place form is an augmented operator (``z1 += b1``, cheaper than ``out=`` for small
arrays: no keywords to parse) or ``out=`` for a ufunc; a formula becomes the steps along
its left spine (``(softmax - one_hot) / N``: ``-=`` then ``/=``), allowed only where the
donor is read once, so no later step reads what an earlier one overwrote.

>>> steps("(s - t) / n", "s", "d")
['d -= t', 'd /= n']
>>> steps("np.maximum(z, 0)", "z", "h")
['np.maximum(h, 0, out=h)']
>>> steps("(s - t) / s", "s", "d") is None  # the second step would read what -= wrote
True
"""

import ast
import textwrap

import numpy as np

from .. import ops
from . import layout

#: Python operators with an in-place form: (augmented operator, commutative). A
#: commutative one may take its donor from the right (``b1 + z`` as ``z += b1``): IEEE
#: addition and multiplication give the same bits either way round. ``@`` has none: a
#: product cannot be written over one of its own operands.
AUGMENTED = {
    ast.Add: ("+=", True),
    ast.Sub: ("-=", False),
    ast.Mult: ("*=", True),
    ast.Div: ("/=", False),
    ast.Pow: ("**=", False),
}

#: The roles of the results computed in place: the forward pass's. Measured (unchecked
#: call, interleaved): writing gradients in place (``dh *= (z > 0)``, ``dh *= 1 - h ** 2``)
#: gained nothing on the small MLPs and the 50-layer chain and made the ReLU MLPs 3-5%
#: slower: the backward pass frees and allocates blocks of one size in a rhythm the heap
#: already recycles, and reuse changed which freed blocks later allocations find, adding
#: page faults (mnist 744 -> 808 a call, wide 2576 -> 3111).
ROLES = ("op",)

#: Calls, besides operators and NumPy ufuncs, that always return a new array of their own
#: (".name": the method of that name on any array).
NEW_ARRAYS = {
    "np.sum": "a reduction allocates its result (a copy even for axis=())",
    ".sum": "the method, the same (x.sum(axis=0))",
    "np.mean": "a reduction allocates its result",
    "np.max": "a reduction allocates its result",
    "np.concatenate": "concatenation copies",
    "np.zeros": "a new array",
    "np_sigmoid": "np.exp(...) of a new array",
    "_np_softmax": "e / np.sum(e, ...): a new array",
    "np_log_softmax": "shifted - np.log(...): a new array",
    "_np_one_hot": "(labels[..., None] == ...).astype(dtype): astype copies",
}


def last_uses(program, env, printed):
    """``{statement: variables whose last read it is}`` (the memory plan: each temporary is
    freed after its last use); a view written into its consumer is read there."""
    by_name = {e.name: e for e in program.equations}
    last = {}
    for e in printed:
        for name in reads(e, env, by_name):
            last[name] = e.name
    frees, outputs = {}, set(program.outputs)
    for name, at in last.items():  # equations only: feeds and constants are never freed
        if name in by_name and name not in outputs:
            frees.setdefault(at, []).append(name)
    order = {e.name: i for i, e in enumerate(printed)}
    return {at: sorted(names, key=order.__getitem__) for at, names in frees.items()}


def reads(e, env, by_name):
    """The variables statement ``e`` reads: its operands, and through a view written into
    it (``W2.T``) the view's operands."""
    def through(name):
        if name not in env.inlined:
            return [name]
        return [r for u in by_name[name].operands for r in through(u)]
    return [r for u in e.operands for r in through(u)]


class Reuse:
    """The reuse plan of one ``compute``, made statement by statement as it is printed:
    which variables hold a buffer only this function can see (``owned``).

    ``statement`` gives a statement's lines in place when a donor dies on it (else None);
    every printed statement passes through ``statement`` or ``record``, in order.
    """

    def __init__(self, program, env):
        self.env = env
        self.by_name = {e.name: e for e in program.equations}
        self.owned = set()  # names of equations whose value is such a buffer

    def statement(self, e, ident, text, comment, dead):
        """The lines computing ``e`` as ``text`` in the buffer of a donor among ``dead``
        (names whose last read this is), or None where none qualifies."""
        tree = _parse(text)
        donor, found = self._donor(e, tree, text, ident, dead)
        self.record(e, bool(found) or _new_array(tree, e))
        if not found:
            return None
        note = f"reuses {donor}'s buffer"
        if len(found) == 1 and not found[0].startswith(ident + " "):  # one ufunc call
            (call,) = _steps(tree, text, donor, donor)
            return layout.statement(ident, call, _joined(comment, note), indent=4)
        lines = layout.statement(ident, donor, _joined(comment, note), indent=4)
        if len(lines) > 1:  # the rule on the lines above; the reuse beside the statement
            lines = [f"# {row}" for row in textwrap.wrap(comment, layout.WIDTH - 6,
                                                          break_on_hyphens=False)]
            lines.append(f"{ident} = {donor}  # {note}")
        for s in found:
            lines += layout.wrap(s, layout.WIDTH - 4, s.index("=") + 2)
        return lines

    def _donor(self, e, tree, text, ident, dead):
        """(the donor's variable, the steps) for the first donor among ``dead`` that
        qualifies, or (None, None)."""
        if tree is None or e.shape == () or e.role not in ROLES:
            return None, None
        for name in dead:
            value = self.env.values[name]
            if name in self.owned and (value.shape, value.dtype) == (e.shape, e.dtype):
                found = _steps(tree, text, value.ident, ident)
                if found:
                    return value.ident, found
        return None, None

    def record(self, e, new):
        """Note statement ``e``: its value is a buffer of its own if ``new``; an operand it
        reads stops being one unless ``e``'s value cannot share memory with it."""
        if not (new or ops.get(e.op).view == "shape"):  # a count reads a shape, not data
            self.owned.difference_update(reads(e, self.env, self.by_name))
        if new and e.shape != ():
            self.owned.add(e.name)


def steps(text, donor, target):
    """The in-place statements computing expression ``text`` into the buffer of variable
    ``donor``, written as variable ``target``; None if there are none."""
    return _steps(_parse(text), text, donor, target)


def _steps(tree, text, donor, target):
    found = _spine(tree, text, donor, target) if tree is not None else None
    if not found:
        return None
    return found if len(found) == 1 or _data_reads(tree, donor) == 1 else None


def _spine(node, text, donor, target):
    """Steps down the left spine of ``node`` to the name ``donor``: [] at the donor itself,
    None where the spine ends elsewhere."""
    if isinstance(node, ast.Name):
        return [] if node.id == donor else None
    if isinstance(node, ast.BinOp) and type(node.op) in AUGMENTED:
        op, commutative = AUGMENTED[type(node.op)]
        for inner, other in ((node.left, node.right),) + (
                ((node.right, node.left),) if commutative else ()):
            found = _spine(inner, text, donor, target)
            if found is not None:
                return found + [f"{target} {op} {_operand(other, text)}"]
        return None
    if _ufunc(node) is not None:
        for i, arg in enumerate(node.args):
            found = _spine(arg, text, donor, target)
            if found is not None:
                args = [target if j == i else _source(a, text) for j, a in enumerate(node.args)]
                return found + [f"{_source(node.func, text)}({', '.join(args)}, out={target})"]
    return None


def _joined(comment, note):
    return f"{comment}; {note}" if comment else note


def _data_reads(tree, name):
    """How often expression ``tree`` reads the elements of variable ``name`` (its shape,
    ``x.shape[0]``, ``x.size``, ``np.shape(x)``, is no read of them)."""
    meta = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and n.attr in ("shape", "size", "ndim", "dtype"):
            meta.add(id(n.value))
        elif isinstance(n, ast.Call) and ast.unparse(n.func) == "np.shape" and n.args:
            meta.add(id(n.args[0]))
    return sum(isinstance(n, ast.Name) and n.id == name and id(n) not in meta
               for n in ast.walk(tree))


def _source(node, text):
    return ast.get_source_segment(text, node)


def _operand(node, text):
    """The right side of an augmented assignment, as the printer wrote it; a comparison
    keeps its brackets, as the printer writes masks: ``dh *= (z > 0)``."""
    source = _source(node, text)
    return f"({source})" if isinstance(node, ast.Compare) else source


def _ufunc(node):
    """The NumPy ufunc a call ``np.name(a, b)`` is (one result, no keywords), or None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "np"):
        return None
    f = getattr(np, node.func.attr, None)
    if (isinstance(f, np.ufunc) and f.nout == 1 and len(node.args) == f.nin
            and not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args)):
        return f
    return None


def _new_array(tree, e):
    """True when expression ``tree`` computing ``e`` returns a new array of its own."""
    if tree is None or e.shape == ():
        return False
    if isinstance(tree, (ast.BinOp, ast.UnaryOp)):  # an operator on arrays: a new array
        return True
    return isinstance(tree, ast.Call) and (
        _ufunc(tree) is not None or ast.unparse(tree.func) in NEW_ARRAYS
        or isinstance(tree.func, ast.Attribute) and f".{tree.func.attr}" in NEW_ARRAYS)


def _parse(text):
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
