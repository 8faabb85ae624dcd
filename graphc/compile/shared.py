"""Common subexpressions of an element-wise formula: the costly pieces it repeats, each
computed once, as a statement of its own before the formula's line (freed after it).

SymPy's ``cse`` finds every subexpression that occurs twice (a deterministic order, and
symbols a{n}, a{n+1}, ... after the operands a0 ... a{n-1}); one is shared when the work
it saves is clearly worth the array its variable keeps. A NumPy expression computes into
the temporaries it made (``a * np.exp(z)`` into ``np.exp(z)``'s buffer), which a named
``exp_z`` it cannot, so each shared piece costs about one more fresh array; measured on
1000 x 1000 float64 (NumPy 2.4, a compiled function called again and again), a fresh
array costs one to two ``np.exp`` passes (its page faults), and sharing one ``np.exp``
(softplus' ``exp(z)/(exp(z) + 1)``) or ``np.tanh`` and ``np.exp`` measured from 0.87x to
1.25x the time, by the state of the heap. So a piece is shared when ``cost`` of it
times the copies it saves is more than ``ARRAY`` passes: a sigmoid (``np_sigmoid``, about
16 passes) twice, 0.55-0.73x the time on swish-like gradients; not an exp, tanh, sqrt or
power twice. An operand, a number, a sum, product, negation or scaling of those, a mask
``step(z)`` or a relu is never shared (cost 0). A reciprocal 1/b, or a cheap function of
a costly piece, shares that piece instead, so a quotient stays a division and a mask a
mask.

>>> from graphc.ops.scalar import arg, sigmoid
>>> z = arg(0)
>>> common(z * sigmoid(z) * (1 - sigmoid(z)) + sigmoid(z), 1)
((sigmoid(a0),), a0*a1*(1 - a1) + a1)
>>> common(sp.exp(z) / (sp.exp(z) + 1), 1)  # one np.exp saved: less than ARRAY
((), exp(a0)/(exp(a0) + 1))
"""

import functools
import itertools

import sympy as sp

from ..ops.scalar import arg, leaky_relu, maximum, relu, sigmoid, step

#: What computing a node once costs, in passes of a vectorised exp over its size (see the
#: module's text): a function by its class, else FUNCTION; a power by its exponent.
COST = {sigmoid: 16.0, leaky_relu: 1.0, step: 0.0, relu: 0.0, maximum: 0.0, sp.Abs: 0.0,
        sp.sign: 0.0}
FUNCTION = 1.0  # exp, log, tanh, sin, ...: one pass of a vectorised transcendental
POWER = {-1: 0.0, 2: 0.0, sp.S.Half: 1.0}  # a division, a square, a sqrt; others 2.0
ARRAY = 2.0  # what a shared piece must save: the fresh array it costs, with a margin


def cost(expr):
    """What computing ``expr`` once costs, in passes of a vectorised exp over its size.

    >>> from graphc.ops.scalar import arg
    >>> cost(sp.exp(arg(0)) + arg(1) ** 2), cost(arg(0) ** sp.Rational(3, 2) + sp.tanh(arg(1)))
    (1.0, 3.0)
    """
    return sum(_cost_of(e) for e in sp.preorder_traversal(expr))


def _cost_of(e):
    if e.is_Pow:
        return POWER.get(e.exp, 2.0)
    if isinstance(e, sp.Function):
        return COST.get(type(e), FUNCTION)
    return 0.0


@functools.lru_cache(maxsize=4096)
def common(expr, n):
    """(pieces, reduced): the pieces of ``expr`` (over a0 ... a{n-1}) worth sharing, piece
    ``i`` written a{n+i} in the pieces after it and in ``reduced``, which is ``expr`` over
    them; ((), expr) where none is (cached: every layer repeats its formulas)."""
    if cost(expr) <= ARRAY:  # the common case: nothing could pay, so no cse at all
        return (), expr
    found, (reduced,) = sp.cse(expr, symbols=(arg(i) for i in itertools.count(n)),
                               order="canonical")
    kept = _worth(found, reduced)
    pieces, ours = [], {}  # ours: each symbol of cse's as written over the pieces
    for symbol, sub in found:
        sub = sub.xreplace(ours)
        ours[symbol] = _share(sub, pieces, n) if symbol in kept else sub
    reduced = reduced.xreplace(ours)
    full = {}  # each piece's symbol as what it stands for, over the operands only
    for i, piece in enumerate(pieces):
        full[arg(n + i)] = piece.xreplace(full)
    if not pieces or reduced.xreplace(full) != expr:  # cse gave another form: keep ours
        return (), expr
    return tuple(pieces), reduced


def _worth(found, reduced):
    """The symbols of cse's ``found`` worth a variable: decided from the outermost in, each
    by the copies it saves where the outer ones not kept are written out."""
    subs, kept, rejected, full = dict(found), [], set(), {}
    for symbol, sub in found:  # costs over the operands: every inner piece written out
        full[symbol] = sub.xreplace(full)
    for symbol, _ in reversed(found):
        system = [reduced] + [subs[k] for k in kept]
        uses = sum(_uses(e, symbol, rejected, subs) for e in system)
        if cost(full[symbol]) * (uses - 1) > ARRAY:
            kept.append(symbol)
        else:
            rejected.add(symbol)
    return set(kept)


def _uses(expr, symbol, rejected, subs):
    """How often ``expr`` reads ``symbol``, a rejected symbol counting as its formula."""
    total, stack = 0, [expr]
    while stack:
        e = stack.pop()
        if e == symbol:
            total += 1
        elif e in rejected:
            stack.append(subs[e])
        elif e.args:
            stack.extend(e.args)
    return total


def _share(sub, pieces, n):
    """``sub``, a subexpression worth sharing, as it is written: a new piece (a symbol
    a{n+i}), or through a reciprocal or a cheap function its costly arguments shared."""
    if cost(sub) == 0:
        return sub
    top = 0.0 if sub.is_Pow and sub.exp == -1 else _cost_of(sub) if isinstance(
        sub, sp.Function) else None
    if top == 0.0:
        return sub.func(*[_share(a, pieces, n) for a in sub.args])
    if sub not in pieces:
        pieces.append(sub)
    return arg(n + pieces.index(sub))


def hint(piece, texts):
    """What a shared piece's variable is named after: its function and operand
    (``sigmoid_z``, ``sqrt_v``), else ``common``."""
    if piece.is_Pow:
        head = "sqrt" if piece.exp == sp.S.Half else "pow"
    elif isinstance(piece, sp.Function):
        head = type(piece).__name__.lower()
    else:
        return "common"
    first = piece.args[0]
    text = texts[int(first.name[1:])] if first.is_Symbol else ""
    return f"{head}_{text}" if text.isidentifier() else head
