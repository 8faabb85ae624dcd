"""visualize: graphc's graphs drawn with Graphviz, as on the lecture slides.

>>> import graphc as gc, visualize
>>> g = gc.Graph("sigmoid neuron")
>>> x, w, y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
>>> loss = gc.bce(gc.sigmoid((w @ x).named("z")).named("yhat"), y).named("loss")
>>> d = visualize.draw(loss, view="gradflow", at={"x": [1, -1], "w": [1, 2], "y": 1})
>>> visualize.export(d, "neuron.svg")          # doctest: +SKIP
PosixPath('neuron.svg')

Views: "forward" (the graph), "backward" (with the gradient nodes autodiff added),
"gradflow" (what flows back along each edge); ``draw_error`` draws a ShapeError;
``steps`` writes backprop frame by frame (a multi-page PDF, numbered SVGs, or an animated
GIF or PNG) for slides. For slides, both take ``rankdir``, ``slide=True`` (16:9), ``dpi``
(a PNG's) and ``grads="params"``; a large gradient flow is drawn one box per scope
(``collapse=None``), and past 300 nodes every view collapses scopes and repeated blocks
(``tanh x 9,999``); ``steps`` of more than 200 frames needs ``frames=range(...)``; a bad
option raises ``OptionError``, a ValueError naming the option.
A diagram is a ``graphviz.Digraph`` (it displays itself in Jupyter); ``export`` writes
SVG, PNG, PDF, DOT or TikZ (``.tex``, ``to_tikz``). Drawing never changes the user's graph.
graphc never imports this package: graphc.display finds visualize.present (the notebook
pictures and the report) through the entry point pyproject.toml registers.
"""

from .views import VIEWS, draw
from .export import RenderError, export, render
from .shape_error import draw_error
from .gradflow import EdgeFlow, Flow, edge_styles, flow
from .steps import frames, steps
from .tikz import to_tikz
from .style import OptionError

__all__ = ["draw", "draw_error", "export", "render", "RenderError", "VIEWS",
           "flow", "edge_styles", "Flow", "EdgeFlow", "steps", "frames", "to_tikz",
           "OptionError"]
