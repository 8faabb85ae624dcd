"""Tables and numbers as every report of graphc prints them: one column aligner and one
set of number formats, so the graph listing, the trace, the check and gradcheck reports,
the summary and the diagrams agree.

>>> print("\\n".join(table([["node", "value"], ["z", number(-1.0)]], indent="  ")))
  node  value
  z     -1
>>> array(np.array([[1.0, 2.5], [3.0, 4.0]]))
'[[1. , 2.5], [3. , 4. ]]'
>>> brief(np.arange(20.0))
'(20,) norm 49.7'
"""

import html
import re

import numpy as np

from .shapes import fmt


def table(rows, align="", indent="", rule=False, widths=()):
    """``rows`` (sequences of strings) as lines in aligned columns.

    Each column is as wide as its widest cell (or ``widths[i]`` if wider) and left-aligned
    unless ``align[i]`` is "r"; cells are two blanks apart, each line starts with
    ``indent`` and loses its trailing blanks. ``rule`` puts dashes under the first row.
    """
    rows = [list(r) for r in rows]
    count = max((len(r) for r in rows), default=0)
    sizes = [max([len(r[i]) for r in rows if i < len(r)] + [_at(widths, i, 0)])
             for i in range(count)]
    lines = [(indent + "  ".join(_cell(c, sizes[i], _at(align, i, "l"))
                                 for i, c in enumerate(r))).rstrip() for r in rows]
    if rule and lines:
        lines.insert(1, indent + "  ".join("-" * w for w in sizes))
    return lines


def _at(seq, i, default):
    return seq[i] if i < len(seq) else default


def _cell(text, width, side):
    return text.rjust(width) if side == "r" else text.ljust(width)


def number(x, digits=6):
    """A number with ``digits`` significant digits (``-0`` written as ``0``); integers and
    booleans in full."""
    value = np.asarray(x)
    if value.dtype.kind not in "fc":
        return str(value.item())
    return f"{float(value.real) + 0.0:.{digits}g}"


def array(a, precision=4, threshold=16, edgeitems=2, separator=", "):
    """An array on one line, ``precision`` digits after the point (None: NumPy's 8),
    summarized past ``threshold`` elements to ``edgeitems`` at each end (``array2string``)."""
    a = np.asarray(a)
    a = a + 0.0 if a.dtype.kind == "f" else a  # no -0.
    text = np.array2string(a, precision=precision, separator=separator,
                           threshold=threshold, edgeitems=edgeitems)
    return " ".join(text.split()).replace("[ ", "[")


def value(x, digits=6):
    """A scalar as ``number``, an array as ``array``: a value in a table."""
    return number(x, digits) if np.ndim(x) == 0 else array(x)


def exact(x):
    """A number or array with every digit (``repr`` of each float): for CSV."""
    a = np.asarray(x)
    return repr(a.item()) if a.ndim == 0 else str(a.tolist())


def brief(x, digits=4, small=8):
    """A value in a few characters: a scalar or a tensor of up to ``small`` elements in
    full, a larger tensor as its shape and norm (for diagrams)."""
    a = np.asarray(x)
    if a.ndim == 0:
        return number(a, digits)
    if a.size <= small:
        return _nested([number(v, digits) for v in a.ravel()], a.shape)
    return f"{fmt(a.shape)} norm {number(norm(a), digits)}"


def _nested(flat, shape):
    """``[[1, 2], [3, 4]]`` from the flat texts of an array of ``shape``."""
    if len(shape) == 1:
        return "[" + ", ".join(flat) + "]"
    step = len(flat) // shape[0] if shape[0] else 0
    rows = [_nested(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]
    return "[" + ", ".join(rows) + "]"


def norm(x):
    """The size of a value: |x| for a scalar, the L2 norm of a tensor."""
    a = np.asarray(x, dtype=float)
    return float(np.sqrt(np.sum(a * a))) if a.size else 0.0


# ---- HTML tables: what the reports show in a notebook --------------------------------------

#: The inline style of each part of an HTML table: no stylesheet, so a table looks the same
#: in Jupyter, in a notebook exported to HTML and on GitHub (which drops <style> blocks).
HTML_STYLE = {
    "table": "border-collapse: collapse; font-family: monospace; font-size: 90%",
    "caption": "caption-side: top; text-align: left; font-weight: bold; padding: 4px 0",
    "th": "border-bottom: 2px solid #6b7280; padding: 2px 10px",
    "td": "border-bottom: 1px solid #e5e7eb; padding: 2px 10px",
    "note": "font-style: italic; margin: 4px 0",
}

#: The colour of a verdict cell, by its class: a claim that holds or a gradcheck that
#: passes in green, a wrong claim or a failed check in red.
VERDICT_STYLE = {
    "holds": "color: #15803d; font-weight: bold",
    "ok": "color: #15803d; font-weight: bold",
    "wrong": "color: #b91c1c; font-weight: bold",
    "fail": "color: #b91c1c; font-weight: bold",
}


def html_table(header, rows, align="", caption="", notes=(), classes=None):
    """An HTML ``<table>`` of ``header`` and ``rows`` (strings, escaped here), styled inline.

    ``align[i]`` "r" right-aligns column i (numbers); ``caption`` is the table's title and
    ``notes`` are paragraphs after it; ``classes`` gives a row's cells their classes
    (``classes(row) -> [class or "" per cell]``), and a verdict class (``VERDICT_STYLE``)
    colours its cell.

    >>> html_table(["claim", "verdict"], [["z", "holds"]],
    ...            classes=lambda row: ["", row[1]]).count("graphc-holds")
    1
    """
    style = HTML_STYLE
    parts = [f'<table class="graphc" style="{style["table"]}">']
    if caption:
        parts.append(f'<caption style="{style["caption"]}">{html.escape(caption)}</caption>')
    parts.append("<thead><tr>" + "".join(_html_cell("th", h, _at(align, i, "l"))
                                         for i, h in enumerate(header)) + "</tr></thead>")
    parts.append("<tbody>")
    for row in rows:
        kinds = classes(row) if classes else ()
        cells = [_html_cell("td", c, _at(align, i, "l"), _at(kinds, i, ""))
                 for i, c in enumerate(row)]
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    parts += [f'<p style="{style["note"]}">{html.escape(n)}</p>' for n in notes if n]
    return "\n".join(parts)


def _html_cell(tag, content, side, kind=""):
    styles = [HTML_STYLE[tag], "text-align: " + ("right" if side == "r" else "left")]
    styles += [VERDICT_STYLE[kind]] if kind in VERDICT_STYLE else []
    attrs = f' class="graphc-{html.escape(kind)}"' if kind else ""
    return f'<{tag}{attrs} style="{"; ".join(styles)}">{html.escape(str(content))}</{tag}>'


# ---- user text in files --------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "n", "\r": "r", "\t": "t"}


def unpaired(text):
    r"""``text`` with each lone surrogate (a name read from undecodable bytes, ``x\udc80``)
    written as its escape, ``\udc80``, so that it shows and encodes as UTF-8.

    >>> unpaired("x\udc80")
    'x\\udc80'
    """
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def visible(text):
    r"""A name as one line of visible text: lone surrogates as ``\udc80`` (``unpaired``)
    and control characters as ``\n``, ``\t``, ``\x07``, ``\x2028``, so that no name breaks a
    line, a comment or a paragraph of what prints it (DOT, LaTeX, CSV).

    >>> visible("a\nb\udc80")
    'a\\nb\\udc80'
    """
    return _CONTROL.sub(lambda m: "\\" + _NAMED.get(m[0], f"x{ord(m[0]):02x}"),
                        unpaired(str(text)))


#: What a spreadsheet runs as a formula when a cell starts with it (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(cell):
    """A CSV cell no spreadsheet runs: text that starts like a formula (``=``, ``+``,
    ``-``, ``@``, a tab or a return) after a single quote, as OWASP advises; a number
    (``-0.25``, ``-inf``) as it is.

    >>> spreadsheet_cell("=HYPERLINK(1)"), spreadsheet_cell("-0.25")
    ("'=HYPERLINK(1)", '-0.25')
    """
    cell = str(cell)
    if not cell.startswith(_FORMULA_START):
        return cell
    try:
        float(cell)
    except ValueError:
        return "'" + cell
    return cell
