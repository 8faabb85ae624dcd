"""The lecture neuron end to end in a Jupyter notebook: writes examples/lecture_notebook.ipynb.

    .venv/bin/python docs/lecture_notebook.py [PATH]   (PATH: examples/lecture_notebook.ipynb)

It lives beside docs/diagrams.py, not in examples/, because every examples/*.py is a graph
file that the tests compile.

The notebook is built here cell by cell (nbformat), executed in a fresh python3 kernel
(nbclient, ipykernel) and stored with its outputs: the graph's diagram, a node and a
gradient node, the backprop trace, claims checked (one right derivation, one slip), a
gradient check, the parameter summary, the generated code and a short training run with
its loss curve. What varies between runs (execution times, kernel versions, cell ids) is
fixed or dropped, and the file is written atomically. tests/test_notebook.py runs the same
code and compares its outputs with the stored ones, MIME type by MIME type.
"""

import copy
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from graphc.files import write_atomic

ROOT = Path(__file__).resolve().parent.parent
STORED = ROOT / "examples" / "lecture_notebook.ipynb"
TIMEOUT = 120  # seconds a cell may take

SETUP = '''\
import numpy as np
import graphc as gc

g = gc.Graph("sigmoid neuron")
x = g.input("x", shape=(2,))
w = g.param("w", shape=(2,))
y = g.input("y")
z = (w @ x).named("z")
yhat = gc.sigmoid(z).named("yhat")
loss = gc.bce(yhat, y).named("loss")
dloss_dz, dloss_dw = gc.grad(loss, [z, w])
at = {"x": [1, -1], "w": [1, 2], "y": 1}   # the slide's point'''

TRAIN = '''\
history = gc.train(loss, {"w": np.array([1.0, 2.0])}, {"x": [1, -1], "y": 1},
                   epochs=8, lr=1.0, progress=False)
history'''

#: The cells: (id, "markdown" or "code", source). Each object is the last expression of
#: its cell, so the notebook shows it by its rich display.
CELLS = (
    ("title", "markdown", "# The lecture's sigmoid neuron, end to end\n\n"
     "Made by `python docs/lecture_notebook.py`, which executes it and stores it with "
     "its outputs. At the slide's point x = (1, -1), w = (1, 2), y = 1 the gradient is "
     "dl/dw1 = sigma(-1) - 1."),
    ("setup", "code", SETUP),
    ("graph-md", "markdown", "The graph shows itself as its diagram (SVG), its listing "
     "as text:"),
    ("graph", "code", "g"),
    ("node-md", "markdown", "A node shows the graph around it, the node highlighted; a "
     "gradient node also its formula as LaTeX:"),
    ("node", "code", "z"),
    ("gradient", "code", "dloss_dw"),
    ("explain-md", "markdown", "The backprop trace, step by step, as HTML tables:"),
    ("explain", "code", "gc.explain(loss, at=at)"),
    ("check-md", "markdown", "Your own derivation, checked claim by claim; then a slip, "
     "named:"),
    ("check", "code", 'gc.check(loss, {"d loss/d z": "yhat - y", '
     '"d loss/d w1": "sigma(-1) - 1"}, at=at)'),
    ("slip", "code", 'gc.check(loss, ["d loss/d w1 = (yhat - y) / (yhat * (1 - yhat))"], '
     'at=at)'),
    ("gradcheck", "code", "gc.gradcheck(loss, [w], at=at)"),
    ("summary", "code", "g.summary()"),
    ("compile-md", "markdown", "The generated NumPy code:"),
    ("compile", "code", "f = gc.compile([loss, dloss_dw])\nf"),
    ("train-md", "markdown", "Training a few epochs; the history shows its loss curve:"),
    ("train", "code", TRAIN),
)


def notebook():
    """The notebook of ``CELLS``, not yet executed, with fixed cell ids."""
    nb = nbformat.v4.new_notebook()
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb.cells = [make[kind](source, id=cell_id) for cell_id, kind, source in CELLS]
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"},
                   "language_info": {"name": "python"}}
    return nb


def execute(nb, cwd, timeout=TIMEOUT):
    """``nb`` executed in a fresh python3 kernel of this Python, in the folder ``cwd``; the
    kernel imports graphc from this checkout (its root first on PYTHONPATH)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}},
                            # no warning, on every run, that local TCP is unencrypted
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])
    client.execute(env=env)
    return normalized(nb)


def normalized(nb):
    """``nb`` without what changes from run to run: execution times and kernel details in
    the metadata; execution counts numbered 1, 2, ... in cell order."""
    nb = copy.deepcopy(nb)
    nb.metadata = notebook().metadata
    count = 0
    for cell in nb.cells:
        cell.metadata = {}
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            for out in cell.outputs:
                if "execution_count" in out:
                    out.execution_count = count
    return nb


def regenerate(path=STORED, timeout=TIMEOUT):
    """Build, execute and write the notebook to ``path`` (atomically); returns the path."""
    path = Path(path)
    nb = execute(notebook(), path.parent if path.parent.exists() else ROOT, timeout)
    text = nbformat.writes(nb) + "\n"
    return write_atomic(path, lambda f: f.write(text.encode("utf-8")))


def outputs(nb):
    """Cell id -> its outputs, each ``{MIME type: what to compare}``: texts as they are, an
    SVG as the texts it shows (its ids may differ between Graphviz versions), a PNG as
    present; a stream as ``{"stream/<name>": text}``, an error as its name and value."""
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            found[cell.id] = [_comparable(out) for out in cell.outputs]
    return found


def _comparable(out):
    if out.output_type == "stream":
        return {f"stream/{out.name}": out.text}
    if out.output_type == "error":
        return {"error": f"{out.ename}: {out.evalue}"}
    shown = {}
    for mime, data in out.data.items():
        if mime == "image/svg+xml":
            shown[mime] = svg_texts(data)
        elif mime.startswith("image/"):
            shown[mime] = "an image"
        else:
            shown[mime] = data
    return shown


def svg_texts(svg):
    """The text of every <title> and <text> element of an SVG, in document order."""
    root = ET.fromstring(svg if isinstance(svg, str) else "".join(svg))
    return [el.text or "" for el in root.iter()
            if el.tag.rsplit("}", 1)[-1] in ("title", "text")]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    path = regenerate(Path(argv[0]) if argv else STORED)
    print(f"The lecture notebook, executed, is in {path}")


if __name__ == "__main__":
    main()
