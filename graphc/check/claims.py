"""Parsing a student's backprop claims: ``d loss/d w1 = sigmoid(-1) - 1``.

The left side names what the claim is about (a derivative or a node's value, see
``parse_key``); the right side is a formula read by ``graphc.symbolic.reader``, the one
allowlist reader (never ``eval``). Anything refused is a ``ClaimError`` that quotes the claim.

>>> import sympy as sp
>>> names = {n: sp.Symbol(n) for n in ["loss", "z", "yhat", "y"]}
>>> key, expr, rhs = parse_claim("d loss/d z = yhat - y", names)
>>> key, expr
(Key(kind='grad', of='loss', wrt='z'), -y + yhat)
>>> parse_expression("relu'(3) + 0.1", {})
11/10
"""

from dataclasses import dataclass, field
from typing import NamedTuple

import sympy as sp

from ..symbolic.guards import Reject, check_text, claim_error
from ..symbolic.reader import did_you_mean, expression, lookup, parse_expression
from ..symbolic.tensors import named_part

__all__ = ["Claim", "Key", "parse_claim", "parse_expression", "parse_key"]

_D_PREFIXES = ("d", "∂", "𝜕")   # d loss/d w1, ∂loss/∂w1 (plain and mathematical italic)


@dataclass(frozen=True)
class Key:
    """What a claim is about: kind "grad" (d ``of`` / d ``wrt``) or "value" (node ``of``)."""

    kind: str
    of: str
    wrt: str | None = None
    #: The 0-based component of ``wrt`` (a gradient) or ``of`` (a value), if one is meant.
    index: tuple | None = field(default=None, repr=False)
    #: How a lecture name was read: "w1 read as w[0]", else "".
    reading: str = field(default="", repr=False, compare=False)

    def __str__(self):
        part = "" if self.index is None else "[" + ", ".join(map(str, self.index)) + "]"
        if self.kind == "grad":
            return f"d {self.of}/d {self.wrt}{part}"
        return self.of + part


class Claim(NamedTuple):
    """A parsed claim line: what it is about, its value as SymPy, and its right-hand text."""

    key: Key
    expr: sp.Expr
    rhs: str


# ---- the left-hand side --------------------------------------------------------------------

def _differential(part, names):
    """The node name in one half of ``d loss/d w1``: "d loss", "dloss", "∂loss", "d(loss)"."""
    text = part.strip()
    if not text.startswith(_D_PREFIXES):
        raise Reject(f"{text!r} should start with d or ∂, as in d loss/d w1")
    rest = text[1:].strip()
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1].strip()
    if not rest:
        raise Reject(f"{text!r} needs a node name after the d, as in d loss/d w1")
    # "d_loss" reads as d(_loss) or d(loss): take the reading that names a node.
    readings = [rest] + ([rest[1:]] if rest.startswith("_") else [])
    for reading in readings:
        found = named_part(reading, names)
        if found is not None:
            return found
    raise Reject(f"unknown name {rest!r} in {text!r}{did_you_mean(rest, list(names))}")


def _split_derivative_name(text, names):
    """(of, wrt) for a derivative name ``dloss_dw1``; None when no split names two nodes."""
    if not text.startswith("d"):
        return None
    splits = [(text[1:i], text[i + 2:]) for i in range(1, len(text) - 1)
              if text[i:i + 2] == "_d" and text[1:i] in names and text[i + 2:] in names]
    if len(splits) > 1:
        options = " or ".join(f"d {of}/d {wrt}" for of, wrt in splits)
        raise Reject(f"{text!r} is ambiguous: write {options}")
    return splits[0] if splits else None


def _key(text, names):
    check_text(text, "left side")
    text = text.strip()
    if "/" in text:
        numerator, _, denominator = text.partition("/")
        if "/" in denominator:
            raise Reject("the left side has more than one '/'; write d loss/d w1")
        of, of_index, _ = _differential(numerator, names)
        if of_index is not None:
            raise Reject(f"differentiate a scalar node, not a component: d {of}/d ...")
        wrt, index, reading = _differential(denominator, names)
        return Key("grad", of, wrt, index, reading)
    named = named_part(text, names)
    if named is not None:       # a node name, even one that looks like dloss_dw1
        return Key("value", named[0], None, named[1], named[2])
    split = _split_derivative_name(text, names)
    if split:
        return Key("grad", *split)
    if not text.isidentifier():
        raise Reject("the left side should be a node name or a derivative like d loss/d w1")
    raise Reject(f"unknown name {text!r}{did_you_mean(text, list(names))}")


def parse_key(text, names):
    """The Key of a claim's left side: a derivative (``d loss/d w1``) or a node's value.

    Derivatives may be written ``d loss/d w1``, ``dloss/dw1``, ``∂loss/∂w1`` or as the name
    ``dloss_dw1`` (unless a node has that name: then it is that node's value).

    >>> names = {"loss": sp.Symbol("loss"), "w1": sp.Symbol("w1")}
    >>> parse_key("∂loss/∂w1", names), parse_key("dloss_dw1", names)
    (Key(kind='grad', of='loss', wrt='w1'), Key(kind='grad', of='loss', wrt='w1'))
    >>> parse_key(" loss ", names)
    Key(kind='value', of='loss', wrt=None)
    """
    try:
        return _key(text, names)
    except Reject as err:
        raise claim_error("claim", text, err) from None


def _equals_signs(text):
    """Where the claim's ``=`` signs are: those outside brackets (``sum(x, axis=0)``'s is
    an argument of the formula)."""
    depth, signs = 0, []
    for i, char in enumerate(text):
        depth += (char in "([{") - (char in ")]}")
        if char == "=" and depth <= 0:
            signs.append(i)
    return signs


def parse_claim(text, names):
    """A claim line ``left = formula`` as Claim(key, expr, rhs), a tuple of three.

    >>> names = {"loss": sp.Symbol("loss"), "w1": sp.Symbol("w1")}
    >>> key, expr, rhs = parse_claim("d loss/d w1 = sigmoid(-1) - 1", names)
    >>> str(key), expr, rhs
    ('d loss/d w1', -1 + sigmoid(-1), 'sigmoid(-1) - 1')
    """
    try:
        check_text(text, "claim")
        signs = _equals_signs(text)
        if len(signs) != 1:
            found = "no '='" if not signs else f"{len(signs)} '=' signs"
            raise Reject(f"a claim needs exactly one '=', as in d loss/d w1 = yhat - y; "
                         f"found {found}")
        left, right = text[:signs[0]], text[signs[0] + 1:]
        key = _key(left, names)
        try:
            expr = expression(right, lookup(names))
        except Reject as err:
            raise claim_error("claim", text, err, offset=len(left) + 1) from None
    except Reject as err:
        raise claim_error("claim", text, err) from None
    return Claim(key, expr, right.strip())


