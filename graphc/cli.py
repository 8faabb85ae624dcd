"""The ``graphc`` command.

    graphc compile FILE [-o OUT.py]

FILE is a Python file that builds one ``gc.Graph``. It is loaded as a module (not as
``__main__``, so its own ``if __name__ == "__main__":`` block does not run). Its loss is the
node bound to the module variable ``loss``, or else the one scalar node that nothing uses.
Exit status: 0 on success, 2 for bad usage or a FILE that fails to load, with a one-line
message and no traceback.
"""

import argparse
import importlib.util
import sys
from pathlib import Path

from . import __version__
from .autodiff import grad
from .errors import GraphcError
from .graph import Graph, Node


class UsageError(Exception):
    """A one-line message for the user; the command exits with status 2."""


def load(path):
    """Run the Python file ``path`` as a module and return its namespace."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    spec = importlib.util.spec_from_file_location(f"graphc_file_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # a user's file may fail in any way; report it in one line
        raise UsageError(f"{path}: failed to load: {type(err).__name__}: {err}") from None
    return vars(module)


def find_loss(namespace, path):
    """The node bound to ``loss``, or else the graph's one scalar node that nothing uses."""
    if isinstance(namespace.get("loss"), Node):
        return namespace["loss"]
    graphs = {id(v): v for v in namespace.values() if isinstance(v, Graph)}
    if len(graphs) != 1:
        raise UsageError(f"{path}: expected one gc.Graph and a variable named 'loss', found "
                         f"{len(graphs)} graphs and no 'loss'")
    graph = next(iter(graphs.values()))
    ends = [n for n in graph if n.shape == () and n.role == "op" and not n.users]
    if len(ends) != 1:
        names = ", ".join(repr(n.name) for n in ends) or "none"
        raise UsageError(f"{path}: cannot tell which node is the loss (scalar outputs: "
                         f"{names}); bind it to a variable named 'loss'")
    return ends[0]


def gradients(loss):
    """The gradient of ``loss`` for every parameter, reusing those the file already took."""
    graph = loss.graph
    taken = {n._data["grad_of"][1]: n for n in graph
             if n._data.get("grad_of", (None,))[0] == loss.id}
    missing = [p for p in graph.params if p.id not in taken]
    fresh = dict(zip((p.id for p in missing), grad(loss, missing) if missing else []))
    return [taken[p.id] if p.id in taken else fresh[p.id] for p in graph.params]


def cmd_compile(args):
    from .compiler import compile as compile_nodes
    loss = find_loss(load(args.file), args.file)
    nodes = [loss] + gradients(loss)
    function = compile_nodes(nodes)
    names = ", ".join(n.name for n in nodes)
    if args.output:
        written = function.save(args.output)
        print(f"graphc: wrote {written} computing {names}", file=sys.stderr)
    else:
        sys.stdout.write(function.source)
        print(f"graphc: wrote the module computing {names} to standard output",
              file=sys.stderr)
    return 0


def parser():
    top = argparse.ArgumentParser(
        prog="graphc",
        description="Neural networks as computational graphs: gradients, NumPy code, "
                    "diagrams.")
    top.add_argument("--version", action="version", version=f"graphc {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    comp = sub.add_parser(
        "compile", help="write the NumPy module computing a file's loss and gradients",
        description="Generate a standalone NumPy module (it imports only numpy) that "
                    "computes FILE's loss and the gradient of every parameter.")
    comp.add_argument("file", metavar="FILE", help="a Python file that builds one gc.Graph")
    comp.add_argument("-o", "--output", metavar="OUT.py",
                      help="where to write the module (default: standard output)")
    comp.set_defaults(run=cmd_compile)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (UsageError, GraphcError, OSError) as err:
        print(f"graphc: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
