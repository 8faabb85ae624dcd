r"""A diagram as TikZ for LaTeX slides, written from Graphviz's own layout.

No dot2tex: ``dot -Tjson`` (through ``visualize.export.render``, the one place dot runs)
gives every node's centre, width, height, shape and colours, every edge's B-spline, and
where each label sits; this module writes them out as TikZ. The result is a standalone
LaTeX file (``\documentclass[tikz]{standalone}``): ``pdflatex neuron.tex`` makes a PDF
cropped to the diagram, and a beamer deck takes it with
``\usepackage{standalone}`` + ``\includestandalone[width=\linewidth]{neuron}`` (the deck's
preamble then needs ``\usepackage{tikz}`` and
``\usetikzlibrary{arrows.meta,shapes.geometric}``). The colours are defined inside the
``tikzpicture``, so the picture needs nothing from this file's preamble but the libraries.

Every graph node is a ``\node`` named by its DOT id (``n0``, ``n1``, ...) at its
coordinate (1 unit = 1bp, dot's point), its label lines as dot prints them, LaTeX-escaped;
every edge is a ``\draw`` along its spline (``.. controls ..``) ending in the arrow, with
the DOT ids of its ends in a comment (``% n0 -> n3``), and its label a ``\node`` at the
place dot put it. A slide diagram (``size``: dot scales its SVG, not its -Tjson) is drawn in
a scope scaled to the slide, 960 x 540 bp. The same diagram gives the same text.

>>> print(to_tikz(visualize.draw(g)))          # doctest: +SKIP
\documentclass[tikz]{standalone}
...
"""

import json
import re
import unicodedata

import graphviz

from graphc.text import number

from .export import INSTALL, RenderError, render

PREAMBLE = [
    r"\documentclass[tikz]{standalone}",
    r"\usepackage[T1]{fontenc}",
    r"\usepackage{helvet}  % dot measured its labels in Helvetica",
    r"\usetikzlibrary{arrows.meta,shapes.geometric}",
]

#: TikZ shape of each dot node shape; None: text only, no outline (plaintext).
SHAPES = {
    "box": "rectangle", "rect": "rectangle", "rectangle": "rectangle",
    "square": "rectangle", "box3d": "rectangle", "note": "rectangle", "tab": "rectangle",
    "folder": "rectangle", "component": "rectangle",
    "ellipse": "ellipse", "oval": "ellipse",
    "circle": "circle", "doublecircle": "circle", "point": "circle",
    "diamond": "diamond",
    "plaintext": None, "plain": None, "none": None,
}

#: arrows.meta tip of each dot arrowhead; "" draws none.
ARROWS = {
    "normal": "Latex[length=10bp, width=8bp]",
    "vee": "Stealth[length=10bp, width=8bp]",
    "empty": "Latex[open, length=10bp, width=8bp]",
    "onormal": "Latex[open, length=10bp, width=8bp]",
    "dot": "Circle[length=8bp]",
    "odot": "Circle[open, length=8bp]",
    "tee": "Bar[width=8bp]",
    "none": "",
}

#: LaTeX for the characters TeX reads as commands, in text, and for < and >, which T1
#: fonts print but join into a ligature when doubled (``<<`` prints as a guillemet).
TEX_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "&": r"\&", "%": r"\%",
    "$": r"\$", "#": r"\#", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}",
}

#: Characters pdflatex has no text glyph for, as TeX math (``\ensuremath``), one a row.
MATH_SYMBOLS = {
    "×": r"\times", "·": r"\cdot", "⋅": r"\cdot", "−": "-", "±": r"\pm", "÷": r"\div",
    "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx", "∈": r"\in",
    "→": r"\rightarrow", "←": r"\leftarrow", "↔": r"\leftrightarrow", "⇒": r"\Rightarrow",
    "∂": r"\partial", "∇": r"\nabla", "∑": r"\sum", "∏": r"\prod", "∫": r"\int",
    "√": r"\surd", "∞": r"\infty", "∘": r"\circ", "⊙": r"\odot", "⊗": r"\otimes",
    "°": r"^{\circ}", "…": r"\ldots", "‖": r"\|",
}
#: Text characters written as commands (they are not a letter plus an accent).
TEX_TEXT = {
    "ß": r"\ss{}", "æ": r"\ae{}", "Æ": r"\AE{}", "œ": r"\oe{}", "Œ": r"\OE{}", "ø": r"\o{}",
    "Ø": r"\O{}", "ł": r"\l{}", "Ł": r"\L{}", "ı": r"\i{}", "đ": r"\dj{}", "Đ": r"\DJ{}",
    "“": r"\textquotedblleft{}", "”": r"\textquotedblright{}", "‘": r"\textquoteleft{}",
    "’": r"\textquoteright{}", "–": r"\textendash{}", "—": r"\textemdash{}", "\u00a0": "~",
}
#: TeX's accent command for each Unicode combining mark (``ŷ`` is ``\^{y}``).
ACCENTS = {
    "\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=", "\u0306": "u",
    "\u0307": ".", "\u0308": '"', "\u030a": "r", "\u030b": "H", "\u030c": "v", "\u0323": "d",
    "\u0327": "c", "\u0328": "k",
}
#: Pairs T1 fonts join into one glyph (``--`` a dash, ``''`` a quote, ``,,`` a low quote,
#: ``!````/``?```` inverted marks): an empty group between them keeps both.
_LIGATURE = re.compile(r"(?<=-)(?=-)|(?<=')(?=')|(?<=`)(?=`)|(?<=,)(?=,)|(?<=[!?])(?=`)")

#: The Greek capitals TeX has a command for; the others look like Latin capitals.
GREEK_CAPITALS = {"gamma", "delta", "theta", "lambda", "xi", "pi", "sigma", "upsilon",
                  "phi", "psi", "omega"}
GREEK_LATIN = {"eta": "H", "chi": "X", "rho": "P"}  # the rest: the first letter (Alpha: A)

#: The colour names dot may use when a diagram sets none; graphc's own are all hex.
NAMED_COLORS = {"black": "000000", "white": "FFFFFF", "red": "FF0000", "blue": "0000FF",
                "green": "00FF00", "gray": "C0C0C0", "grey": "C0C0C0",
                "lightgrey": "D3D3D3", "lightgray": "D3D3D3"}

TEX_LIMIT = 16383  # the largest dimension TeX can hold, in pt: a picture must fit in it

_HEX = re.compile(r"#([0-9a-fA-F]{6})([0-9a-fA-F]{2})?$")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*$")


def to_tikz(diagram):
    r"""The TikZ picture of ``diagram`` (a ``graphviz.Digraph``, as ``visualize.draw``
    returns) as the text of a standalone LaTeX file, laid out by Graphviz's dot.

    Raises RenderError without the dot program (saying how to install Graphviz) or for a
    diagram too large for TeX.

    >>> tex = to_tikz(visualize.draw(g))             # doctest: +SKIP
    >>> tex.splitlines()[0]                          # doctest: +SKIP
    '\\documentclass[tikz]{standalone}'
    """
    try:
        data = render(diagram, "json")
    except graphviz.ExecutableNotFound:
        raise RenderError(f"cannot write TikZ: Graphviz's dot program was not found; "
                          f"{INSTALL}") from None
    return from_layout(data)


def from_layout(data):
    """The standalone LaTeX file for dot's ``-Tjson`` output ``data`` (bytes or text)."""
    layout = json.loads(data)
    objects = layout.get("objects", [])
    clusters = [o for o in objects if "bb" in o]
    nodes = {o["_gvid"]: o for o in objects if "bb" not in o and "pos" in o}
    colors = Colors()
    factor = _slide_scale(layout)
    box = _bounding_box(layout, factor, scopes=bool(clusters))
    body = [line for c in clusters for line in _cluster(c, colors)]
    body += [line for n in nodes.values() for line in _graph_node(n, colors)]
    body += [line for e in layout.get("edges", []) for line in _edge(e, nodes, colors)]
    body += _label_node(layout, colors, default_size=14)
    if factor:  # text, lines and arrows scaled too, as dot scales the SVG
        body = [rf"\begin{{scope}}[transform canvas={{scale={number(factor, 6)}}}]", *body,
                r"\end{scope}"]
    header = [f"% {_comment(layout.get('label', layout.get('name', '')))}",
              "% TikZ written by graphc from Graphviz's layout (dot -Tjson); "
              "compile with pdflatex"]
    return "\n".join(header + PREAMBLE + [
        r"\begin{document}", r"\begin{tikzpicture}[x=1bp, y=1bp, line width=1bp]",
        *colors.definitions(), box, *body,
        r"\end{tikzpicture}", r"\end{document}", ""])


def tex_escape(text):
    r"""``text`` as LaTeX text that pdflatex takes with T1 fonts and no extra package.

    The TeX specials and ``< >`` are written as commands; Greek letters (a node named
    ``θ``), sub- and superscripts (``x₁``) and math symbols (``× ≤ → ∂ ∑``, MATH_SYMBOLS)
    as math; accented letters with TeX's accents (``ŷ`` as ``\^{y}``); other compatibility
    forms by their plain letters (``ﬁ`` as ``fi``); pairs that T1 fonts join (``--``,
    ``''``, ``,,``) kept apart. Any other character is shown as its code point,
    ``[U+2603]``, so that pdflatex never stops at a character it has not set up.

    >>> tex_escape("d_loss 50% θ x₁ x<<1")
    'd\\_loss 50\\% \\ensuremath{\\theta} x\\ensuremath{_{1}} x\\textless{}\\textless{}1'
    """
    return _LIGATURE.sub("{}", "".join(_char(ch) for ch in str(text)))


def _char(ch):
    """One character as LaTeX (see ``tex_escape``)."""
    if ch in TEX_SPECIALS:
        return TEX_SPECIALS[ch]
    if " " <= ch <= "~":
        return ch
    if ch in MATH_SYMBOLS:
        return rf"\ensuremath{{{MATH_SYMBOLS[ch]}}}"
    return (TEX_TEXT.get(ch) or _greek(ch) or _script(ch) or _accented(ch) or _folded(ch)
            or f"[U+{ord(ch):04X}]")


def _script(ch):
    """A sub- or superscript digit, sign or letter (``₁``, ``²``, ``ⁿ``) as math."""
    kind, _, code = unicodedata.decomposition(ch).partition(" ")
    mark = {"<sub>": "_", "<super>": "^"}.get(kind)
    base = chr(int(code, 16)) if mark and " " not in code else ""
    base = "-" if base == "−" else base
    return rf"\ensuremath{{{mark}{{{base}}}}}" if re.fullmatch(r"[0-9A-Za-z+\-=()]", base) \
        else None


def _accented(ch):
    """A letter with one accent (``é``, ``ŷ``, ``č``) as TeX's accent on the plain letter."""
    parts = unicodedata.normalize("NFD", ch)
    if len(parts) != 2 or parts[1] not in ACCENTS or not parts[0].isascii():
        return None
    return rf"\{ACCENTS[parts[1]]}{{{parts[0]}}}"


def _folded(ch):
    """A compatibility form (``ﬁ``, full-width ``Ａ``, ``µ``) by what it stands for, when
    that can be written; None otherwise (NFKD is idempotent, so this recursion stops)."""
    folded = unicodedata.normalize("NFKD", ch)
    if folded == ch:
        return None
    parts = [_char(c) for c in folded if not unicodedata.combining(c)]
    return None if not parts or any(p.startswith("[U+") for p in parts) else "".join(parts)


def _greek(ch):
    """A Greek letter as TeX math (``\\ensuremath{\\alpha}``), or None for any other
    character; a capital TeX has no command for (Alpha) is its Latin twin."""
    name = unicodedata.name(ch, "")
    match = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER (FINAL )?([A-Z]+)", name)
    if match is None:
        return None
    small, final, letter = match[1] == "SMALL", match[2], match[3].lower()
    letter = {"lamda": "lambda"}.get(letter, letter)
    if small:
        command = "varsigma" if final else letter
        return "o" if letter == "omicron" else rf"\ensuremath{{\{command}}}"
    if letter in GREEK_CAPITALS:
        return rf"\ensuremath{{\{letter.capitalize()}}}"
    return GREEK_LATIN.get(letter, letter[0].upper())


class Colors:
    """The colours a picture uses, each defined once as ``gcRRGGBB`` (by its hex value,
    so the same diagram gives the same names)."""

    def __init__(self):
        self.used = set()

    def __call__(self, value):
        """The xcolor name of the dot colour ``value``, or None (none, transparent)."""
        value = str(value or "").split(":")[0].split(";")[0].strip()
        match = _HEX.match(value)
        if match and match.group(2) == "00":
            return None  # fully transparent
        hex_ = match.group(1).upper() if match else NAMED_COLORS.get(value.lower())
        if hex_ is None:
            return None
        self.used.add(hex_)
        return f"gc{hex_}"

    def definitions(self):
        return [rf"\definecolor{{gc{h}}}{{HTML}}{{{h}}}" for h in sorted(self.used)]


def _slide_scale(layout):
    """How much dot's ``size`` shrinks (or with ``!`` grows) the layout, as the SVG and PDF
    show it; None without a size. dot's -Tjson coordinates are the layout's own, unscaled,
    so the picture is scaled by this (``transform canvas``: text and lines too, as in the
    SVG; TikZ does not see that scaling, so the bounding box is given scaled)."""
    if "size" not in layout:
        return None
    width, height = (float(v) * 72 for v in layout["size"].rstrip("!").split(",")[:2])
    x0, y0, x1, y1 = _box(layout)
    factor = min(width / max(x1 - x0, 1e-9), height / max(y1 - y0, 1e-9))
    return factor if layout["size"].endswith("!") else min(factor, 1.0)


def _box(layout):
    return tuple(float(v) for v in layout.get("bb", "0,0,0,0").split(","))


def _bounding_box(layout, factor, scopes):
    """The picture's size: dot's bounding box (a ``viewport``'s width and height in bp,
    the drawing centred, as dot writes the page of a slide), checked against TeX's
    largest dimension, and scaled by ``factor`` as the drawing is."""
    x0, y0, x1, y1 = _box(layout)
    if max(abs(x0), abs(y0), abs(x1), abs(y1)) > TEX_LIMIT:
        hint = ("collapse=True draws one box per scope" if scopes else "draw a part of it "
                "(draw(node) draws what node depends on) or try rankdir='TB'")
        raise RenderError(f"the diagram is {number(x1 - x0)} x {number(y1 - y0)} bp, too "
                          f"large for TeX (at most {TEX_LIMIT} pt): draw fewer nodes; "
                          f"{hint}")
    if factor and "viewport" in layout:
        width, height = (float(v) / factor for v in layout["viewport"].split(",")[:2])
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        x0, y0, x1, y1 = cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2
    if factor:
        x0, y0, x1, y1 = (v * factor for v in (x0, y0, x1, y1))
    return rf"\path[use as bounding box] {_xy(x0, y0)} rectangle {_xy(x1, y1)};"


def _cluster(cluster, colors):
    """A scope's box (dot's cluster) and its label."""
    x0, y0, x1, y1 = (float(v) for v in cluster["bb"].split(","))
    styles = _styles(cluster.get("style", ""))
    opts = [f"draw={colors(cluster.get('pencolor') or cluster.get('color')) or 'black'}"]
    if "rounded" in styles:
        opts.append("rounded corners=6bp")
    if "filled" in styles:
        fill = colors(cluster.get("fillcolor") or cluster.get("color"))
        opts += [f"fill={fill}"] if fill else []
    opts += [s for s in ("dashed", "dotted") if s in styles]
    return [rf"\draw[{', '.join(opts)}] {_xy(x0, y0)} rectangle {_xy(x1, y1)};",
            *_label_node(cluster, colors, default_size=14)]


def _graph_node(node, colors):
    """One graph node: ``\\node[shape, size, colours] (n3) at (x, y) {label};``."""
    styles = _styles(node.get("style", ""))
    if "invis" in styles:
        return []
    shape = SHAPES.get(node.get("shape", "ellipse"), "rectangle")
    width, height = (float(node.get(k, 0)) for k in ("width", "height"))
    opts = [shape or "rectangle", f"minimum width={number(width)}in",
            f"minimum height={number(height)}in", "inner sep=0pt", "align=center",
            _font(node, 14)]
    line = colors(node.get("color") or "black")
    opts.append(f"draw={line}" if shape and line else "draw=none")
    if "filled" in styles:
        fill = colors(node.get("fillcolor") or node.get("color") or "lightgrey")
        opts += [f"fill={fill}"] if fill else []
    opts += _line_styles(node, styles)
    if shape and int(node.get("peripheries", 1) or 1) > 1:
        opts.append("double, double distance=2bp")
    if shape == "rectangle" and "rounded" in styles:
        opts.append("rounded corners=6bp")
    text = colors(node.get("fontcolor"))
    opts += [f"text={text}"] if text else []
    x, y = _point(node["pos"])
    return [rf"\node[{', '.join(opts)}] ({_tikz_name(node)}) at {_xy(x, y)} "
            rf"{{{_node_text(node)}}};"]


def _edge(edge, nodes, colors):
    """One edge: ``\\draw`` along its spline, the arrow at the head, then its label."""
    styles = _styles(edge.get("style", ""))
    if "invis" in styles or "pos" not in edge:
        return []
    opts = [f"draw={colors(edge.get('color') or 'black') or 'black'}"]
    opts += _line_styles(edge, styles)
    ends = f"{_tikz_name(nodes[edge['tail']])} -> {_tikz_name(nodes[edge['head']])}"
    lines = []
    for spline in edge["pos"].split(";"):
        start, points, end = _spline(spline)
        tips = ARROWS.get(edge.get("arrowtail", "normal"), ARROWS["normal"]) if start else ""
        tip = ARROWS.get(edge.get("arrowhead", "normal"), ARROWS["normal"]) if end else ""
        arrow = [f"{_tip(tips)}-{_tip(tip)}"] if tips or tip else []
        pieces = [_xy(*start)] if start else []
        pieces += [" .. ".join(_segments(points))] + ([_xy(*end)] if end else [])
        path = " -- ".join(pieces)
        lines.append(rf"\draw[{', '.join(opts + arrow)}] {path}; % {ends}")
    return lines + _label_node(edge, colors, default_size=14)


def _tip(tip):
    return f"{{{tip}}}" if tip else ""


def _spline(text):
    """dot's ``pos`` of one spline: (start arrow point or None, B-spline points, end arrow
    point or None); ``e,x,y`` marks the arrowhead's tip, ``s,x,y`` the arrowtail's."""
    start = end = None
    points = []
    for token in text.split():
        if token.startswith("s,"):
            start = _point(token[2:])
        elif token.startswith("e,"):
            end = _point(token[2:])
        else:
            points.append(_point(token))
    return start, points, end


def _segments(points):
    """A cubic B-spline (1 + 3k points) as TikZ: ``p0 .. controls p1 and p2 .. p3 ...``."""
    parts = [_xy(*points[0])]
    for i in range(1, len(points) - 2, 3):
        a, b, c = points[i:i + 3]
        parts.append(f"controls {_xy(*a)} and {_xy(*b)} .. {_xy(*c)}")
    return parts


def _label_node(obj, colors, default_size):
    """The label of a graph, cluster or edge: a ``\\node`` without a name at ``lp``."""
    lines = _lines(obj)
    if "lp" not in obj or not lines:
        return []
    opts = ["align=center", "inner sep=0pt", _font(obj, default_size)]
    text = colors(obj.get("fontcolor"))
    opts += [f"text={text}"] if text else []
    return [rf"\node[{', '.join(opts)}] at {_xy(*_point(obj['lp']))} {{{_node_text(obj)}}};"]


def _lines(obj):
    """A label's lines as dot prints them (its text drawing operations), else the label
    split at dot's ``\\n``."""
    shown = [op["text"] for op in obj.get("_ldraw_", []) if op.get("op") == "T"]
    if shown:
        return shown
    label = obj.get("label", "")
    return [] if label in ("", "\\N") else [line.replace('\\"', '"').replace("\\\\", "\\")
                                            for line in label.split("\\n")]


def _node_text(obj):
    r"""A label as node text: lines escaped and joined by ``\\`` (``{}`` keeps a line that
    starts with ``[`` or ``*`` from being read as ``\\``'s option)."""
    escaped = [tex_escape(line) for line in _lines(obj)]
    return r"\\".join("{}" + e if e.lstrip().startswith(("[", "*")) else e for e in escaped)


def _font(obj, default_size):
    """dot's font size as LaTeX's, the line spacing as dot's (about 1.1 times the size)."""
    size = float(obj.get("fontsize", default_size))
    return rf"font={{\sffamily\fontsize{{{number(size)}bp}}{{{number(size * 1.1, 3)}bp}}" \
           r"\selectfont}"


def _line_styles(obj, styles):
    """Line width (dot's penwidth, ``bold`` as 2) and dashes of a node or an edge."""
    width = float(obj.get("penwidth", 2 if "bold" in styles else 1))
    return [f"line width={number(width)}bp"] + [s for s in ("dashed", "dotted")
                                                 if s in styles]


def _styles(style):
    return {s.strip() for s in str(style).split(",")}


def _tikz_name(node):
    """The TikZ name of a graph node: its DOT id (graphc generates ``n0``, ``n1``, ...)."""
    name = node.get("name", "")
    return name if _NAME.match(name) else f"node{node['_gvid']}"


def _point(text):
    x, y = text.split(",")[:2]
    return float(x), float(y)


def _xy(x, y):
    """A coordinate to a thousandth of a point (never in exponent notation)."""
    return f"({number(round(x, 3), 7)}, {number(round(y, 3), 7)})"


def _comment(text):
    """Text for a LaTeX comment: on one line, escapes shown as dot's ``\\n``."""
    return " ".join(str(text).replace("\\n", " / ").split())
