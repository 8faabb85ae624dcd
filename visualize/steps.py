"""Backprop step by step: one frame per backward step, for slides.

Frame k shows the forward graph with the k-th node backprop processes highlighted (from the
loss backwards), its chain-rule products (upstream x local = what flows back) written on
its edges, the edges done so far drawn solid with what flowed along them, and the edges
still to come dotted. A node shows its gradient once every edge out of it is done.

The frames go to a multi-page PDF, a folder of numbered SVGs, or an animation (GIF, or
APNG for ``.png``/``.apng``) made with Pillow (the optional extra ``graphc[frames]``) from
dot's PNGs, padded to one size, looping forever.

>>> visualize.steps(loss, at={"x": [1, -1], "w": [1, 2], "y": 1}, path="neuron.gif")
... # doctest: +SKIP
PosixPath('neuron.gif')
"""

import io
from pathlib import Path

import graphviz

from graphc.errors import GraphError

from .canvas import add_nodes, diagram, edges, node_id
from .gradflow import flow, hidden
from .export import INSTALL, RenderError, export, render, utf8, write_atomic
from .style import FLOW, check_dpi, check_grads, label, layout

CURRENT = {"color": "#c2410c", "penwidth": "3", "style": "filled,bold",
           "fillcolor": "#ffedd5"}
TODO_EDGE = {"color": "#9ca3af", "style": "dotted"}

FRAME_MS = 2000  # how long an animation shows a frame: time to read its chain-rule product
LAST_MS = 5000   # the last frame, the whole backward pass, stays longer before the loop


def frames(loss, at=None, exact=None, *, rankdir="LR", slide=False, dpi=None, grads="all"):
    """The frames of backprop through ``loss``, as ``graphviz.Digraph`` objects; the
    options as ``visualize.draw`` takes them."""
    options = {"rankdir": rankdir, "slide": slide, "dpi": check_dpi(dpi)}
    layout(rankdir, slide)
    check_grads(grads)
    f = flow(loss, at, exact)
    steps_ = order(f)
    if not steps_:
        raise _nothing_flows_back(f)
    return [_frame(f, steps_, i, grads, options) for i in range(len(steps_))]


def _nothing_flows_back(f):
    """The error for a loss backprop takes no step from (a parameter or a constant itself):
    there is no frame to draw, so no file is written."""
    record = f.graph.record(f.loss)
    leaf = {"param": "a parameter", "input": "an input", "const": "a constant"}
    what = (f"is {leaf[record.role]} itself" if record.role in leaf
            else f"({record.op}) depends on no parameter or float input")
    return GraphError(f"no backprop steps to draw: the loss {record.name!r} {what}, so "
                      f"nothing flows back from it; draw a loss computed from parameters")


def order(f):
    """The nodes backprop processes, one a step, from the loss backwards: each node of the
    ``Flow`` ``f`` that sends a gradient back to an operand (the frames' order; the report's
    step slider walks the same one)."""
    return [v for v in reversed(sorted(f.nodes)) if any(e.v == v for e in f.edges)]


def steps(loss, at=None, path="backprop_steps.pdf", exact=None, *, rankdir="LR",
          slide=False, dpi=None, grads="all"):
    """Write the frames of backprop through ``loss``, by ``path``'s suffix: ``.pdf`` a
    multi-page PDF, ``.gif`` an animated GIF, ``.png`` or ``.apng`` an animated PNG, and
    no suffix (or an existing folder) numbered SVGs in that folder (``step_1.svg`` to
    ``step_3.svg``; zero-padded to sort, ``step_01.svg`` to ``step_12.svg``), replacing
    the ``step_*.svg`` of an earlier run. Returns the file's path, or the list of SVG
    paths. GraphError for a loss nothing flows back from (a parameter itself). The user's
    graph is not changed; a file is written whole or not at all. For slides (as
    ``visualize.draw``): ``rankdir``, ``slide=True`` (16:9), ``dpi`` (PNG frames),
    ``grads="params"`` (no gradients of data inputs).

    >>> visualize.steps(loss, at=AT, path="frames.gif")      # doctest: +SKIP
    PosixPath('frames.gif')
    """
    path = Path(path)
    suffix = "" if path.is_dir() else path.suffix.lower()
    if suffix not in WRITERS:
        raise RenderError(f"cannot write backprop frames to {str(path)!r}: unknown suffix "
                          f"{path.suffix!r}; use one of {', '.join(sorted(WRITERS)[1:])}, "
                          f"or a folder (no suffix) for numbered SVGs")
    shots = frames(loss, at, exact, rankdir=rankdir, slide=slide, dpi=dpi, grads=grads)
    return WRITERS[suffix](shots, path)


def _frame(f, order, i, grads, options):
    """The diagram of step ``i``: ``order[i]`` is being processed."""
    current, done = order[i], set(order[:i + 1])
    dot = diagram([f"{f.graph.name}: backprop, step {i + 1} of {len(order)}",
                   f"at {f.graph.record(current).name}: upstream x local = what "
                   f"flows back to each operand"], **options)
    finished = {v for v in f.nodes if _all_done(f, v, done)}
    extra = {v: lines for v, lines in f.gradients.items() if v in finished
             and not (grads == "params" and f.graph.record(v).role == "input")}
    add_nodes(dot, f.graph, f.nodes, f.values, extra=extra, overrides={current: CURRENT})
    by_key = {(e.u, e.v, e.slot): e for e in f.edges}
    for u, v, k in edges(f.graph, f.nodes):
        e = by_key.get((u, v, k))
        if e is None or v not in done or hidden(f, e, grads):
            dot.edge(node_id(u), node_id(v), **TODO_EDGE)
            continue
        bold = {"style": "bold", "fontcolor": "#c2410c"} if v == current else {}
        dot.edge(node_id(u), node_id(v), label=label(e.lines), color=e.color,
                 penwidth=e.penwidth, **FLOW, **bold)  # arrows from the loss back
    return dot


def _all_done(f, v, done):
    """Whether every gradient edge out of ``v`` has been processed (its gradient is whole)."""
    return v in done or all(e.v in done for e in f.edges if e.u == v)


def _svgs(shots, folder):
    """The frames as numbered SVGs in ``folder``; then the ``step_*.svg`` of an earlier run
    not written over now are removed (so a shorter run leaves no stale frames, and a
    failure midway leaves the old ones)."""
    width = len(str(len(shots)))
    written = [export(shot, folder / f"step_{i:0{width}d}.svg") for i, shot in
               enumerate(shots, start=1)]
    for stale in sorted(set(folder.glob("step_*.svg")) - set(written)):
        stale.unlink()
    return written


def _pdf(shots, path):
    """The frames as the pages of one PDF (pypdf joins dot's one-page PDFs)."""
    from pypdf import PdfReader, PdfWriter  # only for PDFs: the SVG frames need no pypdf
    writer = PdfWriter()
    for data in _rendered_frames(shots, path, "pdf"):
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return write_atomic(path, buffer.getvalue())


def _animation(shots, path):
    """The frames as an animated GIF, or PNG (APNG) for ``.png``/``.apng``: dot's PNGs on
    white, centred on the largest frame's size (so nothing jumps or is cut), each shown
    FRAME_MS and the last LAST_MS, looping forever."""
    image = _pillow(path)
    pictures = [image.open(io.BytesIO(data)).convert("RGBA")
                for data in _rendered_frames(shots, path, "png")]
    size = (max(p.width for p in pictures), max(p.height for p in pictures))
    padded = []
    for picture in pictures:
        canvas = image.new("RGB", size, "white")
        canvas.paste(picture, ((size[0] - picture.width) // 2, 0), picture)  # title on top
        padded.append(canvas)
    buffer = io.BytesIO()
    padded[0].save(buffer, format="GIF" if path.suffix.lower() == ".gif" else "PNG",
                   save_all=True, append_images=padded[1:], loop=0,
                   duration=[FRAME_MS] * (len(padded) - 1) + [LAST_MS])
    return write_atomic(path, buffer.getvalue())


def _pillow(path):
    """Pillow's Image module, or a RenderError that says how to install it."""
    try:
        from PIL import Image  # an optional extra: only animations need it
    except ImportError:
        raise RenderError(f"cannot write {str(path)!r}: animated frames need Pillow: "
                          f"pip install graphc[frames]") from None
    return Image


def _rendered_frames(shots, path, fmt):
    """Each frame rendered by dot as ``fmt``; without dot, the DOT sources are written
    beside ``path`` and RenderError says how to install Graphviz."""
    try:
        return [render(shot, fmt) for shot in shots]
    except graphviz.ExecutableNotFound:
        raise _missing_dot(shots, path) from None


#: How ``steps`` writes the frames, by the path's suffix; "" is a folder.
WRITERS = {".pdf": _pdf, ".gif": _animation, ".png": _animation, ".apng": _animation,
           "": _svgs}


def _missing_dot(shots, path):
    """Write the frames' DOT sources beside ``path`` and say how to get Graphviz."""
    folder = path.with_suffix("")
    for i, shot in enumerate(shots, start=1):
        write_atomic(folder / f"step_{i:02d}.dot", utf8(shot.source))
    return RenderError(f"cannot write {str(path)!r}: Graphviz's dot program was not found. "
                       f"The frames' DOT sources are in {str(folder)!r}; {INSTALL}")
