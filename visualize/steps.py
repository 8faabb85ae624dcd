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
from graphc.graph import Node, walk
from graphc.graph.walk import can_carry_gradient, fed, on_paths, upstream
from graphc.shapes import FLOATS

from .canvas import add_nodes, diagram, edges, node_id, outputs
from .collapse import COLLAPSE_ALL, collapsed
from .gradflow import flow, hidden, sketch
from .export import INSTALL, RenderError, export, render, utf8, write_atomic
from .style import (FLOW, GRAD_COLOR, SCOPE_BOX, OptionError, check_dpi, check_grads, label,
                    layout)

CURRENT = {"color": "#c2410c", "penwidth": "3", "style": "filled,bold",
           "fillcolor": "#ffedd5"}
TODO_EDGE = {"color": "#9ca3af", "style": "dotted"}

FRAME_MS = 2000  # how long an animation shows a frame: time to read its chain-rule product
LAST_MS = 5000   # the last frame, the whole backward pass, stays longer before the loop


#: The most frames ``steps`` and ``frames`` draw unless told which (``frames=``).
MAX_FRAMES = 200


def frames(loss, at=None, exact=None, *, rankdir="LR", slide=False, dpi=None, grads="all",
           frames=None):
    """The frames of backprop through ``loss``, as ``graphviz.Digraph`` objects; the
    options as ``visualize.draw`` takes them; ``frames``: which steps (a ``range`` or a
    ``slice`` of step indices, from 0), as ``steps`` takes it. Past ``MAX_FRAMES`` steps,
    ``frames`` must say which (OptionError otherwise). A graph of more
    than ``COLLAPSE_ALL`` nodes is traced as a sketch: each edge shows its gradient's value
    (with ``at``), not its chain-rule product, and each frame is collapsed but for the
    step's node and its neighbours."""
    options = {"rankdir": rankdir, "slide": slide, "dpi": check_dpi(dpi)}
    layout(rankdir, slide)
    check_grads(grads)
    if frames is None and isinstance(loss, Node):
        _few_enough(loss)
    big = isinstance(loss, Node) and len(upstream(loss.graph, [loss.id])) > COLLAPSE_ALL
    f = sketch(loss, at) if big else flow(loss, at, exact)
    steps_ = order(f)
    if not steps_:
        raise _nothing_flows_back(f)
    chosen = _chosen(steps_, frames, f)
    users = {}
    for e in f.edges:
        users.setdefault(e.u, set()).add(e.v)
    return [_frame(f, steps_, i, grads, options, users) for i in chosen]


def _few_enough(loss):
    """Before any tracing: OptionError if backprop through ``loss`` takes more than
    ``MAX_FRAMES`` steps (each op node with an operand a gradient reaches is one)."""
    graph = loss.graph
    carries = can_carry_gradient(graph)
    reached = on_paths(graph, fed(graph, upstream(graph, [loss.id]), FLOATS), loss.id,
                       carries)
    n = sum(1 for v in reached if any(u in reached for u in graph.operands(v)))
    if n > MAX_FRAMES:
        raise _too_many(loss.name, n)


def _too_many(name, n):
    return OptionError("frames", f"backprop through {name!r} takes {n:,} steps, more than "
                       f"{MAX_FRAMES} frames: choose a range, e.g. frames=range(0, 50) "
                       f"(graphc steps --frames 0:50), or draw the whole flow as one "
                       f"diagram: visualize.draw(loss, view='gradflow') (collapse=None "
                       f"collapses it)")


def _chosen(steps_, only, f):
    """The step indices to draw: all of them, or those of ``only`` (checked)."""
    n, name = len(steps_), f.graph.record(f.loss).name
    if only is None:
        if n > MAX_FRAMES:
            raise _too_many(name, n)
        return range(n)
    if not isinstance(only, (range, slice)):
        raise OptionError("frames", f"frames must be a range or a slice of step indices "
                          f"(0 to {n - 1}), e.g. frames=range(0, 50); got {only!r}")
    chosen = range(n)[only] if isinstance(only, slice) else only
    if not chosen or chosen[0] < 0 or chosen[-1] >= n or len(chosen) > MAX_FRAMES:
        raise OptionError("frames", f"frames={only!r} must choose 1 to {MAX_FRAMES} of the "
                          f"{n:,} steps of backprop through {name!r} (indices 0 to {n - 1})")
    return chosen


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
    ``Flow`` ``f`` that sends a gradient back to an operand, in reverse walk order (the
    frames' order; the report's step slider walks the same one)."""
    senders = {e.v for e in f.edges}
    return [v for v in reversed(f.nodes) if v in senders]


def steps(loss, at=None, path="backprop_steps.pdf", exact=None, *, rankdir="LR",
          slide=False, dpi=None, grads="all", frames=None):
    """Write the frames of backprop through ``loss``, by ``path``'s suffix: ``.pdf`` a
    multi-page PDF, ``.gif`` an animated GIF, ``.png`` or ``.apng`` an animated PNG, and
    no suffix (or an existing folder) numbered SVGs in that folder (``step_1.svg`` to
    ``step_3.svg``; zero-padded to sort, ``step_01.svg`` to ``step_12.svg``), replacing
    the ``step_*.svg`` of an earlier run. Returns the file's path, or the list of SVG
    paths. GraphError for a loss nothing flows back from (a parameter itself). The user's
    graph is not changed; a file is written whole or not at all. For slides (as
    ``visualize.draw``): ``rankdir``, ``slide=True`` (16:9), ``dpi`` (PNG frames),
    ``grads="params"`` (no gradients of data inputs). ``frames``: which steps to draw, a
    ``range`` or ``slice`` of step indices from 0 (``frames=range(0, 50)``: the first 50);
    past ``MAX_FRAMES`` (200) steps it is needed, and an OptionError says so.

    >>> visualize.steps(loss, at=AT, path="frames.gif")      # doctest: +SKIP
    PosixPath('frames.gif')
    """
    path = Path(path)
    suffix = "" if path.is_dir() else path.suffix.lower()
    if suffix not in WRITERS:
        raise RenderError(f"cannot write backprop frames to {str(path)!r}: unknown suffix "
                          f"{path.suffix!r}; use one of {', '.join(sorted(WRITERS)[1:])}, "
                          f"or a folder (no suffix) for numbered SVGs")
    shots = _frames(loss, at, exact, rankdir=rankdir, slide=slide, dpi=dpi, grads=grads,
                    frames=frames)
    return WRITERS[suffix](shots, path)


_frames = frames  # for steps, whose option ``frames`` hides the function


def _frame(f, order, i, grads, options, users):
    """The diagram of step ``i``: ``order[i]`` is being processed; ``users``: id -> the
    nodes its gradient edges go to."""
    current, done = order[i], set(order[:i + 1])
    head = [f"{f.graph.name}: backprop, step {i + 1} of {len(order)}",
            f"at {f.graph.record(current).name}: upstream x local = what "
            f"flows back to each operand"]
    if len(f.nodes) > COLLAPSE_ALL:
        return _collapsed_frame(f, current, done, head, options)
    dot = diagram(head, **options)
    finished = {v for v in f.nodes if v in done or users.get(v, set()) <= done}
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


def _collapsed_frame(f, current, done, head, options):
    """The frame of a big graph: the node being processed and its neighbours drawn
    alone, the rest collapsed (``visualize.collapse``); a bundle of edges solid once
    backprop has gone along all of them."""
    graph = f.graph
    near = {current, *graph.operands(current), *walk.forward_users(graph, current)}
    boxes = collapsed(graph, f.nodes, runs=True, apart=near & set(f.nodes))
    dot = diagram(head + [boxes.note(len(f.nodes), "the step's node and its neighbours "
                                                    "drawn alone")], **options)
    where = boxes.where
    for box, _, lines in boxes.boxes:
        dot.node(box, label=label(lines), **SCOPE_BOX)
    alone = [v for v in f.nodes if where[v] == node_id(v)]
    add_nodes(dot, graph, alone, f.values, overrides={current: CURRENT},
              out=outputs(graph, f.nodes))
    by_key = {(e.u, e.v, e.slot): e for e in f.edges}
    bundles = {}
    for u, v, k in edges(graph, f.nodes):
        if where[u] != where[v]:
            e = by_key.get((u, v, k))
            bundles.setdefault((where[u], where[v]), []).append(
                e if e is not None and v in done else None)
    for (a, b), flows in bundles.items():
        if any(e is None for e in flows):
            dot.edge(a, b, **TODO_EDGE)
        else:
            one = flows[0] if len(flows) == 1 else None
            text = list(one.lines) if one else [f"{len(flows)} edges"]
            dot.edge(a, b, label=label(text), color=one.color if one else GRAD_COLOR,
                     penwidth=one.penwidth if one else "1.50", **FLOW)
    return dot


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
