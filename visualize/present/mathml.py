"""Presentation MathML that is safe to put into a page: every text node escaped, every
element and attribute one of MathML's.

SymPy's MathML printer writes its text nodes raw (so that it can write entities such as
``&pi;``), so a node named ``<img src=x onerror=...>`` came out as markup. Here the printer
gets each symbol's name escaped and makes minidom's own text nodes, which read that text
back as HTML text (entities and all) and are written escaped: what they hold is
characters, never markup. The result is then parsed, and an element or attribute outside
the allowlists is refused. The page's script rebuilds the formula from the same
allowlists (shipped in the page's data), so the browser creates only MathML elements.

>>> import sympy
>>> formula(sympy.Symbol("a<b") ** 2)
'<math><msup><mi>a&lt;b</mi><mn>2</mn></msup></math>'
"""

import html
import xml.etree.ElementTree as ET
from xml.dom import minidom
from xml.sax.saxutils import escape

from sympy import Symbol
from sympy.printing.mathml import MathMLPresentationPrinter

#: The presentation elements a formula may hold (MathML Core and what SymPy prints).
ELEMENTS = ("math", "mi", "mn", "mo", "ms", "mtext", "mspace", "mrow", "mfrac", "msqrt",
            "mroot", "mstyle", "merror", "mpadded", "mphantom", "mfenced", "menclose",
            "msub", "msup", "msubsup", "munder", "mover", "munderover", "mmultiscripts",
            "mprescripts", "none", "mtable", "mtr", "mtd")
#: The attributes those elements may carry (none takes a URL or a script).
ATTRIBUTES = ("mathvariant", "stretchy", "fence", "separator", "separators", "open",
              "close", "form", "lspace", "rspace", "linethickness", "columnalign",
              "rowalign", "notation", "accent", "accentunder", "displaystyle",
              "scriptlevel", "movablelimits", "largeop", "symmetric", "bevelled")


class UnsafeMathML(ValueError):
    """The printer made an element or attribute outside the allowlists."""


class _Printer(MathMLPresentationPrinter):
    """SymPy's presentation printer with minidom's escaping text nodes, each handed its text
    unescaped; symbols' names come in escaped, so a name such as ``a&lt;`` stays those
    characters while SymPy's own entities (``&#x2062;``, ``&pi;``) become theirs."""

    def __init__(self, settings=None):
        super().__init__(settings)
        plain = minidom.Document.createTextNode  # SymPy replaced it with a raw one
        self.dom.createTextNode = lambda data: plain(self.dom, html.unescape(data))

    def _print_Symbol(self, sym, style="plain"):
        return super()._print_Symbol(Symbol(html.escape(sym.name)), style)


def formula(expr):
    """``expr`` as a ``<math>`` element in presentation MathML, as checked XML text; raises
    UnsafeMathML (or SymPy's error for an expression it cannot print)."""
    return checked(f"<math>{_Printer().doprint(expr)}</math>")


def text(words):
    """``words`` as MathML text (``<math><mtext>...</mtext></math>``), escaped."""
    return f"<math><mtext>{escape(words)}</mtext></math>"


def checked(source):
    """``source`` if it is XML whose elements and attributes are all in the allowlists."""
    try:
        root = ET.fromstring(source)
    except ET.ParseError as err:  # a SyntaxError: say it as the others are said
        raise UnsafeMathML(f"MathML that is not XML ({err})") from None
    for element in root.iter():
        if element.tag not in ELEMENTS:
            raise UnsafeMathML(f"MathML may not hold {element.tag!r}")
        for name in element.attrib:
            if name not in ATTRIBUTES:
                raise UnsafeMathML(f"MathML's <{element.tag}> may not carry {name!r}")
    return source
