r"""How diagrams look: one table of colours and shapes, label text, and DOT-safe escaping.

Every view draws a node with ``node_attrs`` and ``node_lines``, so a parameter looks the
same in the forward graph, the backward graph and the gradient flow. Op colours come from
the op's family in graphc's registry (elementwise, linalg, reduce, shape, nn, losses, conv,
pool): the same vocabulary the registry and the tests use.

Labels are plain text, never HTML: ``label(lines)`` escapes each line (backslashes,
quotes, control characters shown as visible ``\n`` or ``\x07``) and marks the result so
the graphviz package never reads ``<x>`` as an HTML label.

>>> print(label(["a\nb", "matmul"]))
a\\nb\nmatmul
"""

import math

import graphviz

from graphc import ops
from graphc.graph import Node
from graphc.graph.graph import elementwise_expr
from graphc.shapes import fmt
from graphc.text import brief, visible

FONT = "Helvetica"

#: Fill colour of an op node, by its registry family; one row per family.
FAMILY_COLORS = {
    "elementwise": "#dbeafe",  # blue: sigmoid, add, mul, ...
    "linalg": "#dcfce7",       # green: matmul, outer
    "reduce": "#fef3c7",       # amber: sum, mean, count, argmax
    "shape": "#ede9fe",        # violet: transpose, reshape, concat, getitem, sum_to, ...
    "nn": "#ffe4e6",           # rose: softmax, log_softmax, accuracy, one_hot
    "losses": "#ffedd5",       # peach: cross_entropy, bce(_with_logits), mse, mae, (squared_)hinge
    "conv": "#e0f2fe",         # sky: conv2d and its input and weight gradients
    "pool": "#ccfbf1",         # teal: max_pool2d, avg_pool2d and their gradients
}
UNKNOWN_FAMILY = "#f3f4f6"

#: Node attributes by role: the slides' inputs, parameters, constants, ops, gradients.
ROLE_STYLES = {
    "input": {"shape": "box", "style": "filled", "fillcolor": "#ffffff"},
    # a parameter is what training changes: a doubled, filled box
    "param": {"shape": "box", "style": "filled,bold", "fillcolor": "#fde68a",
              "peripheries": "2"},
    "const": {"shape": "plaintext", "fontsize": "10", "fontcolor": "#4b5563"},
    "op": {"shape": "ellipse", "style": "filled"},
    "grad": {"shape": "box", "style": "rounded,filled,dashed", "fillcolor": "#fee2e2",
             "color": "#b91c1c", "fontcolor": "#7f1d1d", "class": "grad"},
}

GRAD_COLOR = "#b91c1c"
#: A dashed tie from a gradient node to the forward node it is the gradient of.
TIE = {"style": "dashed", "color": GRAD_COLOR, "arrowhead": "odot", "constraint": "false",
       "class": "tie"}
ERROR_COLOR = "#dc2626"
#: An edge that carries no gradient (from a constant, an integer label).
NO_FLOW = {"style": "dotted", "color": "#9ca3af", "dir": "none", "class": "noflow"}
#: An edge carrying a gradient, its arrow pointing the way the gradient flows (back).
FLOW = {"dir": "back", "class": "flow"}
#: An edge whose gradient is not shown (``grads="params"``: into a data input).
HIDDEN_FLOW = {"color": "#9ca3af", "dir": "none", "class": "hidden"}
CLUSTER = {"style": "rounded", "color": "#9ca3af", "fontcolor": "#374151",
           "class": "scope"}
#: A node a diagram points at (``draw(..., highlight=node)``): a thick red outline.
HIGHLIGHT = {"color": "#dc2626", "penwidth": "3"}
SCOPE_BOX = {"shape": "box3d", "style": "filled", "fillcolor": "#f3f4f6", "class": "scope"}

#: Gradient size, pale (vanishing) to dark (large), on a log scale across one diagram.
MAGNITUDE_COLORS = ("#d4d4d8", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d",
                    "#a50f15", "#67000d")
MIN_WIDTH, MAX_WIDTH = 0.5, 6.0
MIN_DECADES = 3      # the narrowest log10 range the colours and widths are spread over
LABEL_WIDTH = 48     # characters of a formula shown before it is cut with "..."
SMALL_TENSOR = 8     # tensors up to this many elements are shown in full
DIGITS = 4           # significant digits of a number in a diagram

#: The directions a diagram may run in (Graphviz ``rankdir``): left to right is the default.
RANKDIRS = ("LR", "TB", "BT", "RL")
#: Which gradients the gradient flow shows: every float node's, or only the parameters'
#: (the gradients of data inputs such as x and y are hidden; they are not trained).
GRADS = ("all", "params")
#: A 16:9 slide, 960 x 540 pt: dot spreads the layout to fill 13.333 x 7.5 inches
#: (``ratio="fill"``), then the title is added and the whole scaled down to fit ``size``,
#: so it comes out a little narrower or lower than 16:9; ``viewport`` (in points) then
#: sets the page to exactly 960 x 540, the drawing centred on it, undistorted, uncut;
#: ``margin`` 0, or a PDF's page would get dot's half inch around it.
SLIDE = {"size": "13.333,7.5", "ratio": "fill", "viewport": "960,540", "margin": "0"}
#: The resolution of a PNG (a projector shows 72 or 96 dpi as blurry); SVG and PDF stay in
#: points, 72 to the inch, since Graphviz would scale them by dpi / 72 too.
PNG_DPI = 200
MAX_DPI = 1200       # beyond this, a slide-sized PNG takes hundreds of megabytes


# ---- text -----------------------------------------------------------------------------------

def escape(text):
    r"""``text`` as literal DOT escString content: every control character (newline
    included) and lone surrogate shown as visible text such as ``\n`` or ``\udc80``
    (``graphc.text.visible``), then ``\`` doubled and ``"`` escaped, so dot prints each
    backslash rather than reading a break."""
    return visible(text).replace("\\", "\\\\").replace('"', '\\"')


def label(lines):
    """Lines of plain text as one DOT label: each escaped, joined by dot's ``\\n``."""
    return graphviz.nohtml("\\n".join(escape(line) for line in lines))


def short(text, width=LABEL_WIDTH):
    """``text`` on one line, cut to ``width`` characters with ``...``."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 3] + "..."


def value_text(value):
    """A scalar or small tensor in full, 4 digits a number; a large tensor as its shape
    and norm (``graphc.text.brief``)."""
    return brief(value, DIGITS, SMALL_TENSOR)


def op_text(graph, v):
    """What a node computes, in a few words: ``sigmoid``, ``sum axis=0``, or an
    element-wise gradient's formula over its operands' names."""
    record = graph.record(v)
    if record.op == "elementwise":
        return short(elementwise_expr(Node(graph, v)))
    shown = [f"{k}={val}" for k, val in sorted(record.attrs.items())
             if val is not False and val is not None and val != ()]
    return short(" ".join([record.op] + shown))


class OptionError(ValueError):
    """An option of a drawing out of range or not one of its choices (``dpi=0``,
    ``rankdir="LEFT"``); ``option`` is the option's name (the command line shows it as
    ``--dpi``).

    >>> OptionError("dpi", "dpi must be ...").option
    'dpi'
    """

    def __init__(self, option, message):
        super().__init__(message)
        self.option = option


# ---- layout ---------------------------------------------------------------------------------

def layout(rankdir="LR", slide=False):
    """The graph attributes of a diagram's direction and size, checked: ``rankdir`` one of
    RANKDIRS; ``slide=True`` fits it into a 16:9 slide (``SLIDE``).

    >>> layout("TB", slide=True)["viewport"]
    '960,540'
    """
    if rankdir not in RANKDIRS:
        raise OptionError("rankdir", f"rankdir must be one of "
                          f"{', '.join(map(repr, RANKDIRS))}; got {rankdir!r}")
    if not isinstance(slide, bool):
        raise OptionError("slide", f"slide must be True or False; got {slide!r}")
    return {"rankdir": rankdir, **(SLIDE if slide else {})}


def check_dpi(dpi):
    """``dpi`` (the resolution of a PNG), checked: None means PNG_DPI. Below 1 dot per
    inch dot writes an empty PNG; above MAX_DPI a slide takes hundreds of megabytes."""
    if dpi is None:
        return PNG_DPI
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not 1 <= dpi <= MAX_DPI:
        raise OptionError("dpi", f"dpi must be a number of dots per inch from 1 to "
                          f"{MAX_DPI} (default {PNG_DPI}); got {dpi!r}")
    return dpi


def check_grads(grads):
    """``grads``, checked: one of GRADS."""
    if grads not in GRADS:
        raise OptionError("grads", f"grads must be one of {', '.join(map(repr, GRADS))}; "
                          f"got {grads!r}")
    return grads


# ---- nodes ----------------------------------------------------------------------------------

def family(op):
    """The registry family of ``op`` (None for leaves)."""
    if op in ("input", "param", "const"):
        return None
    return ops.get(op).family


def node_attrs(record, output=False):
    """The DOT attributes of a node (its NodeRecord; without its label), from its role and
    op family.

    >>> import graphc as gc
    >>> g = gc.Graph()
    >>> node_attrs((g.input("a", shape=(2,)) @ g.input("b", shape=(2,))).record)["fillcolor"]
    '#dcfce7'
    """
    attrs = dict(ROLE_STYLES[record.role])
    if record.role == "op":
        attrs["fillcolor"] = FAMILY_COLORS.get(family(record.op), UNKNOWN_FAMILY)
    if output and record.role == "op":
        attrs["peripheries"] = "2"  # an output (the loss): doubled, as on the slides
    return attrs


def node_lines(graph, v, value=None, extra=()):
    """A node's label lines: name, op, shape (and dtype unless float64), its value, and
    any ``extra`` lines (a gradient, the edge a contribution flows back along)."""
    record = graph.record(v)
    if record.op == "const":
        return _const_lines(record, extra)
    lines = [record.name, op_text(graph, v), fmt(record.shape)]
    if record.dtype != "float64":
        lines[-1] += f" {record.dtype}"
    if value is not None:
        lines.append(f"= {value_text(value)}")
    return lines + list(extra)


def _const_lines(record, extra):
    value = f"{value_text(record.value)}"
    if not record.named:  # a plain number in an expression: just the number
        return [value] + list(extra)
    return [record.name, f"const {fmt(record.shape)}", f"= {value}"] + list(extra)


# ---- gradient size --------------------------------------------------------------------------

def magnitude(size, lo, hi):
    """``(colour, penwidth)`` of an edge carrying a gradient of norm ``size``, placed on
    the log10 scale from ``lo`` to ``hi`` (the smallest and largest nonzero log10 norms of
    the diagram). Zero is the palest and thinnest; inf or NaN is drawn as an error.

    >>> magnitude(1.0, -3.0, 0.0)
    ('#67000d', '6.00')
    """
    if not math.isfinite(size):
        return ERROR_COLOR, f"{MAX_WIDTH:.2f}"
    if size <= 0:
        t = 0.0
    else:
        t = 1.0 if hi <= lo else min(max((math.log10(size) - lo) / (hi - lo), 0.0), 1.0)
    color = MAGNITUDE_COLORS[min(int(t * len(MAGNITUDE_COLORS)), len(MAGNITUDE_COLORS) - 1)]
    return color, f"{MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * t:.2f}"


def scale(sizes):
    """``(lo, hi)``: the log10 range of the nonzero finite ``sizes``, at least
    ``MIN_DECADES`` wide, so gradients within a factor of ten do not look vanishing."""
    logs = [math.log10(s) for s in sizes if s is not None and s > 0 and math.isfinite(s)]
    if not logs:
        return (0.0, 0.0)
    return (min(min(logs), max(logs) - MIN_DECADES), max(logs))
