"""Writing diagrams: SVG, PNG, PDF, DOT or TikZ by the file's suffix, atomically.

``dot`` runs through the graphviz package's own command builder and runner, with an
argument list (never a shell) and a timeout. The picture is rendered in memory first and
then written to a temporary file beside the target, renamed into place: an error or a kill
leaves the old file or nothing, never half a file.

>>> path = export(draw(g), "out/neuron.svg")        # doctest: +SKIP
"""

import subprocess
from pathlib import Path

import graphviz
from graphviz.backend import dot_command, execute

from graphc import files
from graphc.errors import GraphcError

from .canvas import png_dpi

#: The formats ``export`` writes, by suffix; "dot" is the DOT source itself, "tex" a
#: standalone TikZ picture written from dot's layout (visualize.tikz).
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot",
           ".tex": "tex"}
TIMEOUT = 60  # seconds dot may take for one picture

INSTALL = ("install Graphviz: apt-get install graphviz / brew install graphviz / "
           "https://graphviz.org/download/")


class RenderError(GraphcError, ValueError):
    """A diagram could not be written: an unknown suffix, dot missing, failing or slow."""


def export(diagram, path, timeout=TIMEOUT):
    """Write ``diagram`` to ``path`` as SVG, PNG, PDF, DOT or TikZ (``.tex``, by its
    suffix); return the path.

    The folder is created. Without Graphviz's ``dot`` program the DOT source is written
    beside it (``out.dot``) and RenderError says so and how to install Graphviz.

    >>> export(visualize.draw(g), "neuron.svg")      # doctest: +SKIP
    PosixPath('neuron.svg')
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise RenderError(f"cannot export to {str(path)!r}: unknown suffix "
                          f"{path.suffix!r}; use one of {', '.join(sorted(FORMATS))}")
    source = _source(diagram)
    if fmt == "dot":
        return write_atomic(path, utf8(source))
    try:
        data = _file_bytes(diagram, fmt, timeout)
    except graphviz.ExecutableNotFound:
        dot_path = write_atomic(path.with_suffix(".dot"), utf8(source))
        rerun = "export again" if fmt == "tex" else f"run: dot -T{fmt} {dot_path} -o {path}"
        raise RenderError(
            f"cannot write {str(path)!r}: Graphviz's dot program was not found. The "
            f"diagram's DOT source is in {str(dot_path)!r}; {INSTALL}; then {rerun}") from None
    return write_atomic(path, data)


def _file_bytes(diagram, fmt, timeout):
    """The file's bytes: dot's output, or for "tex" the TikZ written from dot's layout."""
    if fmt != "tex":
        return render(diagram, fmt, timeout)
    from . import tikz  # tikz runs dot through render above: imported here, not at the top
    return utf8(tikz.from_layout(render(diagram, "json", timeout)))


def render(diagram, fmt="svg", timeout=TIMEOUT):
    """The bytes of ``diagram`` rendered by ``dot`` as ``fmt`` (svg, png, pdf, ...).

    Raises graphviz.ExecutableNotFound without dot, RenderError if dot fails or takes
    longer than ``timeout`` seconds.

    >>> render(visualize.draw(g))[:5]                 # doctest: +SKIP
    b'<?xml'
    """
    source = _source(diagram)
    cmd = dot_command.command(getattr(diagram, "engine", "dot"), fmt)
    if fmt == "png":  # only PNG: Graphviz would scale SVG and PDF by dpi / 72 too
        cmd += [f"-Gdpi={png_dpi(diagram)}"]
    try:
        proc = execute.run_check(cmd, input=utf8(source), capture_output=True,
                                 quiet=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        hint = ("collapse=True draws one box per scope" if "subgraph cluster_" in source
                else "draw a part of it: draw(node) draws what node depends on")
        if "collapsed: " not in source:  # drawn with collapse=False, or by hand
            hint += "; collapse=None (the default) collapses past 300 nodes"
        raise RenderError(f"dot took longer than {timeout} s to render the diagram as "
                          f"{fmt}; draw fewer nodes ({hint})") from None
    except subprocess.CalledProcessError as err:  # graphviz's subclass of it, too
        detail = (err.stderr or b"").decode("utf-8", "replace").strip()
        raise RenderError(f"dot failed (exit status {err.returncode}) rendering the "
                          f"diagram as {fmt}: {detail}") from None
    return proc.stdout


def write_atomic(path, data):
    """Write ``data`` (bytes) to ``path`` through a temporary file renamed into place."""
    return files.write_atomic(path, lambda f: f.write(data))


def utf8(text):
    r"""``text`` as UTF-8; a lone surrogate that reached it as ``\udc80`` (labels show
    them so already: ``style.escape``), never a UnicodeEncodeError."""
    return text.encode("utf-8", "backslashreplace")


def _source(diagram):
    source = getattr(diagram, "source", None)
    if not isinstance(source, str):
        raise TypeError(f"export takes a graphviz diagram (as visualize.draw returns), got "
                        f"{diagram!r}")
    return source
