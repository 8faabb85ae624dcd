"""What refuses a user's text, shared by the claim parser and the ``--at`` value parser.

The size limits (``MAX_*``); ``Reject``, which a parser raises with a reason and a column,
and ``claim_error``, which turns it into the ClaimError that quotes the text; the text
check every parser runs first (one short line, no control characters); and the size
guards that refuse arithmetic before SymPy spends seconds on it (numbers too large,
powers and roots too large, trees too big).

>>> import sympy as sp
>>> power(sp.Integer(2), sp.Integer(10))
1024
>>> print(claim_error("claim", "1/0", Reject("it divides by zero", 2)))
claim '1/0': it divides by zero
    1/0
      ^
"""

import math
import unicodedata

import sympy as sp

from ..errors import ClaimError

#: The longest text accepted, in characters.
MAX_LENGTH = 1000
#: The largest |exponent| a power may have when it is a number (2**10000 would be slow).
MAX_EXPONENT = 1000
#: The largest number, in bits, a claim may build: about 10**330, past float64's range.
MAX_NUMBER_BITS = 1100
#: The most bits of numbers under roots in one product: SymPy merges sqrt(a)*sqrt(b) into
#: sqrt(a*b) and then factors a*b, which takes seconds past a few thousand bits.
MAX_ROOT_BITS = 512
#: How deeply a formula may nest (the walker recurses once per level).
MAX_DEPTH = 200
#: The most nodes a result may have as a tree: sigmoid'(x) holds x twice, so nested primes
#: double it, and anything that walks the tree (printing, lambdify) would never finish.
MAX_NODES = 5000


class Reject(Exception):
    """Why a text is refused, and where (a column); the public function quotes the text."""

    def __init__(self, reason, column=None):
        super().__init__(reason)
        self.reason, self.column = reason, column


def claim_error(what, text, err, offset=0):
    """The ClaimError for ``err``, quoting ``text`` and pointing under the column if known.

    ``offset`` is where the refused part starts in ``text`` (the right side of a claim).

    >>> str(claim_error("value", "1 2", Reject("invalid syntax")))
    "value '1 2': invalid syntax"
    """
    shown = text if len(text) <= 120 else text[:117] + "..."
    message = f"{what} {shown!r}: {err.reason}"
    if err.column is not None and len(text) <= 120 and text.isprintable():
        message += f"\n    {text}\n    {' ' * (offset + err.column)}^"
    return ClaimError(message)


def check_text(text, kind="claim"):
    """Refuse what is not a short, one-line string before any parsing.

    >>> check_text("x = 1")
    >>> check_text("  ", "formula")
    Traceback (most recent call last):
    graphc.symbolic.guards.Reject: the formula is empty
    """
    if not isinstance(text, str):
        raise TypeError(f"a {kind} must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise Reject(f"it is {len(text)} characters long; at most {MAX_LENGTH} are accepted")
    for column, char in enumerate(text):
        if char != "\t" and unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            raise Reject("a line break or control character is not allowed", column)
    if not text.strip():
        raise Reject(f"the {kind} is empty")


# ---- size guards ---------------------------------------------------------------------------

def number_bits(number):
    """The size of a SymPy Rational in bits (of its larger part).

    >>> number_bits(sp.Rational(1, 1024))
    11
    """
    return max(abs(number.p).bit_length(), number.q.bit_length())


def check_size(expr):
    """Refuse a result holding a number over MAX_NUMBER_BITS: later steps would crawl."""
    for term in (expr.args if expr.is_Add else (expr,)):
        coeff = term.as_coeff_Mul()[0]
        if coeff.is_Rational and number_bits(coeff) > MAX_NUMBER_BITS:
            raise Reject(f"a number in it is too large (over {MAX_NUMBER_BITS} bits)")
    return expr


def _is_root(factor):
    """A number under a non-integer power, such as sqrt(2) or 3**(2/3)."""
    return (factor.is_Pow and factor.base.is_Rational and factor.exp.is_Rational
            and not factor.exp.is_Integer)


def _log2(expr):
    """About log2 of the size of a product's numbers: 2**1000 * sqrt(3) -> 1000.8."""
    total = 0.0
    for factor in (expr.args if expr.is_Mul else (expr,)):
        number, power = (factor.base, abs(factor.exp)) if _is_root(factor) else (factor, 1)
        if number.is_Rational and number != 0:
            total += math.log2(max(abs(number.p), number.q)) * power
    return total


def _root_bits(expr):
    return sum(number_bits(f.base) for f in (expr.args if expr.is_Mul else (expr,))
               if _is_root(f))


def multiply(a, b):
    """a * b, refused first when the numbers under roots would be slow to factor."""
    if _root_bits(a) + _root_bits(b) > MAX_ROOT_BITS:
        raise Reject(f"the numbers under roots in it are too large (over {MAX_ROOT_BITS} bits)")
    return a * b


def divide(a, b):
    """a / b, refused for an exact zero ``b`` and by the checks of multiply and power."""
    if b == 0:
        raise Reject("it divides by zero")
    return multiply(a, power(b, sp.S.NegativeOne))


def power(base, exponent):
    """base ** exponent, refused first when SymPy would build a huge number.

    >>> power(sp.Integer(10), sp.Integer(400))
    Traceback (most recent call last):
    graphc.symbolic.guards.Reject: a power in it is too large (over 1100 bits)
    """
    if exponent.is_Number:
        if abs(exponent) > MAX_EXPONENT:
            raise Reject(f"an exponent over {MAX_EXPONENT} in absolute value is not allowed")
        if _log2(base) * abs(exponent) > MAX_NUMBER_BITS:
            raise Reject(f"a power in it is too large (over {MAX_NUMBER_BITS} bits)")
        if exponent.is_Rational and not exponent.is_Integer and _log2(base) > MAX_ROOT_BITS:
            raise Reject(f"a root of a number over {MAX_ROOT_BITS} bits is not allowed")
        if base == 0 and exponent < 0:
            raise Reject("it divides by zero")
    result = base ** exponent
    if result.is_Pow and result.exp.is_Number and abs(result.exp) > MAX_EXPONENT:
        raise Reject(f"an exponent over {MAX_EXPONENT} in absolute value is not allowed")
    return result


def tree_size(expr, sizes):
    """How many nodes ``expr`` has as a tree, counting each shared subexpression once.

    ``sizes`` caches the sizes found so far, so a caller can pass the same dict each time.

    >>> x = sp.Symbol("x")
    >>> tree_size(x + 1, {})
    3
    """
    if expr not in sizes:
        sizes[expr] = 1 + sum(tree_size(arg, sizes) for arg in expr.args)
    return sizes[expr]
