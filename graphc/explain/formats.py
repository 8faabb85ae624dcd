"""The formats of a backprop trace: text, Markdown, HTML, LaTeX and CSV.

A trace (graphc/explain/trace.py) is plain data, its rows keyed by node ids; these
functions only print it, reading node names from the rows as they go.
"""

import csv
import html
import io
import re

import numpy as np
import sympy as sp

from .. import text
from ..graph import Node
from ..shapes import fmt
from ..symbolic.latex import name_latex, to_latex

#: Exact values are computed by default when no value in the trace has more elements.
EXACT_LIMIT = 16

#: The widest line the text of a trace has: a longer title wraps, a value cell past
#: ``VALUE_WIDTH`` columns is abbreviated as NumPy summarises arrays, then to shape and norm.
LINE_WIDTH = 199
VALUE_WIDTH = 80

#: What each backward step is; the text and Markdown explain vjp and sum where they occur.
STEPS = {
    "upstream": "the gradient of the loss with respect to the node",
    "local": "the derivative of the node with respect to an operand",
    "product": "upstream * local: what flows back along the edge",
    "vjp": "vector-Jacobian product, along a tensor edge whose local derivative is a "
           "Jacobian",
    "sum": "a node that fans out gets the sum of what flows back along its edges",
}


def plain(trace):
    """The trace as plain text: two aligned tables, forward and backward."""
    lines = _wrapped(_title(trace)) + ([trace.note] if trace.note else []) + ["", FORWARD_TITLE]
    lines += text.table([FORWARD_HEADER] + [_forward_cells(r) for r in trace.forward],
                        indent="  ")
    lines += ["", BACKWARD_TITLE] + [f"  {line}" for line in _legend(trace)]
    lines += text.table([BACKWARD_HEADER] + [_backward_cells(r) for r in trace.backward],
                        indent="  ")
    return text.unpaired("\n".join(lines))  # a lone surrogate as \udc80: it prints


def markdown(trace):
    """Two Markdown tables, forward and backward."""
    lines = [f"**{md_text(_title(trace))}**"] + ([f"*{md_text(trace.note)}*"] if trace.note
                                                   else [])
    lines += ["", f"*{FORWARD_TITLE}*", ""]
    lines += _md_table(FORWARD_HEADER, [_forward_cells(r) for r in trace.forward], (2, 3))
    lines += ["", f"*{BACKWARD_TITLE}*", ""] + [f"- {line}" for line in _legend(trace)]
    lines += [""] if _legend(trace) else []
    lines += _md_table(BACKWARD_HEADER, [_backward_cells(r) for r in trace.backward], (4, 5))
    return text.unpaired("\n".join(lines))


def hypertext(trace):
    """Two HTML tables, forward and backward (``graphc.text.html_table``), under the title
    and the note: what a trace shows in a notebook."""
    parts = [f"<p><b>{html.escape(_title(trace))}</b></p>"]
    parts += [f"<p><i>{html.escape(trace.note)}</i></p>"] if trace.note else []
    parts.append(text.html_table(FORWARD_HEADER, [_forward_cells(r) for r in trace.forward],
                                 caption=FORWARD_TITLE))
    parts.append(text.html_table(BACKWARD_HEADER,
                                 [_backward_cells(r) for r in trace.backward],
                                 caption=BACKWARD_TITLE, notes=_legend(trace)))
    return text.unpaired("\n".join(parts))


def comma_separated(trace):
    """One CSV row per line of the trace: section, node, step, edge, label, formula,
    exact, value (a forward row's step is its op); every exact value, every digit. A
    cell of text that starts like a spreadsheet formula (``=``, ``+``, ``-``, ``@``) starts
    with a single quote (``'-w*x``), as OWASP advises; numbers stay numbers (``-0.5``).
    Rows end in ``\\r\\n``, as RFC 4180 has them (Python's csv then quotes a name holding
    a lone ``\\r``, which it leaves bare when rows end in ``\\n``).

    Where values are numbers for a reason (``trace.note``), the first row after the header
    is ``note,,,,,<the note>,,``: section "note", the text in the formula column, so the
    value column stays numbers for a reader that filters on the section (no comment lines,
    which ``csv`` and pandas do not skip by default)."""
    out = io.StringIO()
    writer = csv.writer(out)  # rows end in \r\n (RFC 4180), so a \r in a name is quoted
    rows = [("section", "node", "step", "edge", "label", "formula", "exact", "value")]
    rows += [("note", "", "", "", "", trace.note, "", "")] if trace.note else []
    rows += [("forward", r.node, r.op, "", r.node, _expr_text(r.formula),
              _expr_text(r.exact), text.exact(r.value)) for r in trace.forward]
    rows += [("backward", r.node, r.step, r.edge, r.label, _backward_formula(r),
              _expr_text(r.exact), text.exact(r.value)) for r in trace.backward]
    writer.writerows(map(text.spreadsheet_cell, row) for row in rows)
    return text.unpaired(out.getvalue())


def _wrapped(line, width=LINE_WIDTH):
    """``line`` broken after the commas between the values of the point (outside brackets)
    into lines of at most ``width`` columns where it can be, the later ones indented."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(line):
        depth += (char in "[(<") - (char in "])>")
        if char == "," and depth == 0:
            parts.append(line[start:i + 1])
            start = i + 2
    parts.append(line[start:])
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += " " + part
        else:
            lines.append("  " + part)
    return lines


def value_text(value, width=VALUE_WIDTH):
    """A value as a trace's cell shows it: ``text.value``, or past ``width`` columns with
    one element at each end of each axis, or else its shape and norm (``text.brief``)."""
    shown = text.value(value)
    if len(shown) <= width:
        return shown
    shown = text.array(value, threshold=0, edgeitems=1)
    return shown if len(shown) <= width else text.brief(value)


def _title(trace):
    return f"Backprop trace of {trace.loss}" + (f" at {trace.at}" if trace.at else "")


FORWARD_HEADER = ("node", "op", "formula", "exact", "value")
BACKWARD_HEADER = ("node", "step", "edge", "derivative", "formula", "exact", "value")
FORWARD_TITLE = "Forward, in topological order"
BACKWARD_TITLE = "Backward, from the loss; along each edge, upstream * local = product"


def _legend(trace):
    steps = {r.step for r in trace.backward}
    return [f"{step}: {STEPS[step]}" for step in ("vjp", "sum") if step in steps]


def _forward_cells(row):
    return (row.node, row.op, _expr_text(row.formula), _exact_cell(row.exact),
            value_text(row.value))


def _backward_cells(row):
    return (row.node, row.step, row.edge, row.label, _backward_formula(row),
            _exact_cell(row.exact), value_text(row.value))


def _exact_cell(exact, width=VALUE_WIDTH):
    """An exact value in a text or Markdown cell; past ``width`` columns, its length only
    (``to_csv`` has every digit)."""
    shown = _expr_text(_shown(exact))
    return shown if len(shown) <= width else f"<{len(shown)} characters: see to_csv>"


def _shown(exact):
    """An exact value as the text, Markdown and LaTeX show it: not for a large tensor."""
    if isinstance(exact, sp.NDimArray) and len(exact) > EXACT_LIMIT:
        return None
    return exact


def _backward_formula(row):
    if row.step == "product":
        return f"d{row.of}/d{row.node} * d{row.node}/d{row.wrt}"
    if row.step == "sum" and row.formula is None:
        return "the sum of what flows back to it (above)"
    return _expr_text(row.formula)


def _expr_text(expr):
    return "" if expr is None else str(expr)


def _exact_feed(value):
    """Whether a feed holds texts or SymPy values (shown as they are, ``sqrt(2)/2``)."""
    if isinstance(value, (list, tuple)):
        return any(map(_exact_feed, value))
    return isinstance(value, (str, sp.Basic))


def at_text(at):
    """``x1=1, w1=2``: the point a trace is taken at, arrays over 16 elements (or over 60
    columns) by shape."""
    parts = []
    for key, value in (at or {}).items():
        name = key.name if isinstance(key, Node) else str(key)
        a = np.asarray(value, dtype=object if _exact_feed(value) else None)
        shown = "" if a.size > EXACT_LIMIT else text.value(a) if a.dtype != object else \
            np.array2string(a, separator=", ", formatter={"all": str})
        shown = shown if 0 < len(shown) <= 60 else f"<array {fmt(a.shape)}>"
        parts.append(f"{name}={shown}")
    return ", ".join(parts)


def _md_table(header, rows, code):
    """Markdown table lines; the columns in ``code`` are shown as code."""
    def cell(i, text):
        return md_code(text) if text and i in code else md_text(text)
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell(i, c) for i, c in enumerate(r)) + " |" for r in rows]
    return lines


def md_text(text):
    r"""Text for Markdown, in a table's cell or not: ``|`` escaped (it would end the cell),
    ``&`` and ``<`` as HTML entities, since Markdown renders inline HTML and entities (a
    node named ``<img src=x>`` shows as its name, not as an image). ``>`` stays: with no
    ``<`` it opens no tag, and ``w -> loss`` reads as it did.

    >>> md_text("a|b <img>")
    'a\\|b &lt;img>'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|")


def md_code(text):
    """Text as Markdown code: ``|`` escaped (GitHub's tables end a cell at it, even in
    code), ``< > &`` left as they are (code shows them; an entity would show as itself),
    between backticks longer than any run of them in ``text``."""
    fence = "`" * (1 + max((len(run) for run in re.findall("`+", text)), default=0))
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    escaped = text.replace("|", "\\|")
    return f"{fence}{pad}{escaped}{pad}{fence}"


# ---- LaTeX ------------------------------------------------------------------------------------

def latex(trace):
    """A LaTeX ``tabular`` of the forward pass and an ``align*`` of the backward pass, in
    the lecture's notation (``graphc.symbolic.latex``); a note on why values are numbers
    is an italic paragraph above them."""
    tex = _Tex(trace.ranks)
    lines = [f"% {text.visible(_title(trace))}"]  # a newline in a name stays in the comment
    lines += [r"\noindent\textit{" + _tex_text(trace.note) + "}", ""] if trace.note else []
    lines += [r"\begin{tabular}{lllll}", r"\hline", r"node & op & formula & exact & value \\",
              r"\hline"]
    for r in trace.forward:
        cells = (_math(tex.name(r.node)), _tex_text(r.op), _math(tex.expr(r.formula)),
                 _math(tex.expr(_shown(r.exact))), _math(_value_latex(r.value)))
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\hline", r"\end{tabular}", "", r"\begin{align*}"]
    lines += [_backward_latex(tex, r) + r" \\" for r in trace.backward]
    if trace.backward:
        lines[-1] = lines[-1][:-3]
    lines.append(r"\end{align*}")
    return "\n".join(lines)


class _Tex:
    """Names and expressions of a trace as LaTeX, told the rank of each step's symbol."""

    def __init__(self, ranks):
        self.ranks = ranks

    def name(self, name):
        return name_latex(name)

    def expr(self, expr):
        return "" if expr is None else to_latex(expr, self.ranks)

    def partial(self, of, wrt):
        return rf"\frac{{\partial {self.name(of)}}}{{\partial {self.name(wrt)}}}"


def _backward_latex(tex, row):
    """One line of the align*: the derivative, = its formula, = its exact value."""
    parts = [tex.partial(row.of, row.wrt) + " &"]
    if row.step == "product":
        parts.append("= " + tex.partial(row.of, row.node) + " " + tex.partial(row.node, row.wrt))
    elif row.formula is not None:
        parts.append("= " + tex.expr(row.formula))
    exact = _shown(row.exact)
    if exact is not None:
        parts.append("= " + tex.expr(exact))
    if exact is None or not getattr(exact, "is_Rational", False):
        parts.append(r"\approx " + _value_latex(row.value))
    note = row.edge + (", vector-Jacobian product" if row.step == "vjp" else "")
    if note:
        parts.append(r"&& \text{" + _tex_text(note) + "}")
    return " ".join(parts)


def _value_latex(value):
    a = np.asarray(value)
    if a.ndim == 0:
        return text.value(a)
    return r"\texttt{" + _tex_text(text.value(a)) + "}"


def _math(text):
    return f"${text}$" if text else ""


_TEX = {"\\": r"\textbackslash{}", "_": r"\_", "&": r"\&", "%": r"\%", "#": r"\#",
        "$": r"\$", "{": r"\{", "}": r"\}", "^": r"\^{}", "~": r"\~{}", "->": r"$\to$",
        "--": "-{}-", "<": r"\textless{}", ">": r"\textgreater{}"}


def _tex_text(words):
    """Plain text for LaTeX: its special characters escaped, ``->`` an arrow, ``--`` two
    hyphens (not a dash), ``<`` and ``>`` themselves (not the ¡ and ¿ of the OT1 font), a
    newline or a lone surrogate as ``\\n`` or ``\\udc80`` (``text.visible``)."""
    return re.sub(r"->|--|[\\_&%#$\{\}^~<>]", lambda m: _TEX[m.group(0)],
                  text.visible(words))
