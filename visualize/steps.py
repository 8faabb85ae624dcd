"""Backprop step by step: one frame per backward step, for slides.

Frame k shows the forward graph with the k-th node backprop processes highlighted (from the
loss backwards), its chain-rule products (upstream x local = what flows back) written on
its edges, the edges done so far drawn solid with what flowed along them, and the edges
still to come dotted. A node shows its gradient once every edge out of it is done.

>>> visualize.steps(loss, at={"x": [1, -1], "w": [1, 2], "y": 1}, path="neuron.pdf")
... # doctest: +SKIP
PosixPath('neuron.pdf')
"""

import io
from pathlib import Path

import graphviz

from .canvas import add_nodes, diagram, edges, node_id
from .gradflow import flow
from .export import INSTALL, RenderError, export, render, write_atomic
from .style import label

CURRENT = {"color": "#c2410c", "penwidth": "3", "style": "filled,bold",
           "fillcolor": "#ffedd5"}
TODO_EDGE = {"color": "#9ca3af", "style": "dotted"}


def frames(loss, at=None, exact=None):
    """The frames of backprop through ``loss``, as ``graphviz.Digraph`` objects."""
    f = flow(loss, at, exact)
    steps_ = order(f)
    return [_frame(f, steps_, i) for i in range(len(steps_))]


def order(f):
    """The nodes backprop processes, one a step, from the loss backwards: each node of the
    ``Flow`` ``f`` that sends a gradient back to an operand (the frames' order; the report's
    step slider walks the same one)."""
    return [v for v in reversed(sorted(f.nodes)) if any(e.v == v for e in f.edges)]


def steps(loss, at=None, path="backprop_steps.pdf", exact=None):
    """Write the frames of backprop through ``loss``: a multi-page PDF when ``path`` ends
    in ``.pdf``, else numbered SVGs (``step_01.svg``, ...) in the folder ``path``. Returns
    the PDF's path, or the list of SVG paths. The user's graph is not changed."""
    shots = frames(loss, at, exact)
    path = Path(path)
    if path.suffix.lower() == ".pdf":
        return _pdf(shots, path)
    width = len(str(len(shots)))
    return [export(shot, path / f"step_{i:0{width}d}.svg") for i, shot in
            enumerate(shots, start=1)]


def _frame(f, order, i):
    """The diagram of step ``i``: ``order[i]`` is being processed."""
    current, done = order[i], set(order[:i + 1])
    dot = diagram([f"{f.graph.name}: backprop, step {i + 1} of {len(order)}",
                   f"at {f.graph.record(current).name}: upstream x local = what "
                   f"flows back to each operand"])
    finished = {v for v in f.nodes if _all_done(f, v, done)}
    extra = {v: lines for v, lines in f.gradients.items() if v in finished}
    add_nodes(dot, f.graph, f.nodes, f.values, extra=extra, overrides={current: CURRENT})
    by_key = {(e.u, e.v, e.slot): e for e in f.edges}
    for u, v, k in edges(f.graph, f.nodes):
        e = by_key.get((u, v, k))
        if e is None or v not in done:
            dot.edge(node_id(u), node_id(v), **TODO_EDGE)
            continue
        bold = {"style": "bold", "fontcolor": "#c2410c"} if v == current else {}
        dot.edge(node_id(u), node_id(v), label=label(e.lines), color=e.color,
                 penwidth=e.penwidth, **bold)
    return dot


def _all_done(f, v, done):
    """Whether every gradient edge out of ``v`` has been processed (its gradient is whole)."""
    return v in done or all(e.v in done for e in f.edges if e.u == v)


def _pdf(shots, path):
    """The frames as the pages of one PDF (pypdf joins dot's one-page PDFs)."""
    from pypdf import PdfReader, PdfWriter  # only for PDFs: the SVG frames need no pypdf
    writer = PdfWriter()
    for i, shot in enumerate(shots, start=1):
        try:
            data = render(shot, "pdf")
        except graphviz.ExecutableNotFound:
            raise _missing_dot(shots, path) from None
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return write_atomic(path, buffer.getvalue())


def _missing_dot(shots, path):
    """Write the frames' DOT sources beside ``path`` and say how to get Graphviz."""
    folder = path.with_suffix("")
    for i, shot in enumerate(shots, start=1):
        write_atomic(folder / f"step_{i:02d}.dot", shot.source.encode("utf-8"))
    return RenderError(f"cannot write {str(path)!r}: Graphviz's dot program was not found. "
                       f"The frames' DOT sources are in {str(folder)!r}; {INSTALL}")
