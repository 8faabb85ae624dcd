"""The ``graphc`` command.

    graphc compile FILE [-o OUT.py] [--opt N] [--timings] [--check-finite]
    graphc grad FILE [--latex]
    graphc explain FILE [--at name=value ...] [--format text|markdown|latex|csv]
    graphc check FILE [--at name=value ...] [--claim "d loss/d w1 = sigmoid(-1) - 1" ...]
    graphc render FILE --view forward|backward|gradflow [--at name=value ...] -o OUT.svg
                  [--rankdir LR|TB|BT|RL] [--slide] [--dpi N] [--grads all|params]
    graphc steps FILE [--at name=value ...] -o frames.pdf|frames.gif|frames.png|FOLDER
                 [--rankdir LR|TB|BT|RL] [--slide] [--dpi N] [--grads all|params]
    graphc report FILE [--at name=value ...] [--claim CLAIM ...] -o OUT.html

FILE is a Python file that builds one ``gc.Graph``. It is loaded as a module (not as
``__main__``, so its own ``if __name__ == "__main__":`` block does not run). Each node is
also known by the module variable bound to it (``z = w1*x1 + w2*x2`` names that node
``z``, unless it has a name of its own). Its loss is the node bound to ``loss``, or else the
one scalar op node that no forward node uses (a gradient's use does not count). FILE may
define ``at`` (a dict of default values) and ``claims`` (a dict, as ``gc.check`` takes).
Options may come before or after FILE: ``--at`` takes ``name=value`` items up to the next
option, and an item without ``=`` that ends in ``.py`` or names a file is FILE
(``graphc explain --at x1=2 x2=0.5 FILE``). ``explain`` with no point at all (FILE defines
no ``at`` and no ``--at`` is given) says "this file defines no `at`: pass --at".
What FILE prints while loading goes to standard error (``graphc compile`` writes the module
to standard output); a FILE that calls ``sys.exit`` while loading fails to load.
Exit status: 0 on success (for ``check``: every claim holds), 1 when a claim is wrong, 2 for
bad usage or a FILE that fails to load, with a one-line message and no traceback.
"""

import argparse
import contextlib
import importlib.machinery
import importlib.util
import reprlib
import sys
from pathlib import Path

from . import __version__
from .autodiff import differentiate, taken
from .check import check
from .check.values import parse_assignments
from .errors import GraphcError, GraphError
from .graph import Graph, Node, walk
from .graph.io import load as load_saved
from .passes import LEVELS
from .symbolic import formula, formula_text, latex


class UsageError(Exception):
    """A one-line message for the user; the command exits with status 2."""


def load(path):
    """Run the Python file ``path`` as a module and return its namespace; a ``.json``
    FILE is a graph saved by ``Graph.save``, read (never run) by ``graphc.load``: its
    namespace holds just that graph, so its loss is found by the usual rule and the point
    to evaluate at comes from --at."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if path.suffix == ".json":
        return {"graph": load_saved(path)}
    name = f"graphc_file_{path.stem}"
    # the loader named outright: a FILE need not end in .py, and by its suffix alone
    # importlib finds no loader for one that does not
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    try:
        # what FILE prints goes to stderr: stdout may be the module `graphc compile` writes
        with contextlib.redirect_stdout(sys.stderr):
            spec.loader.exec_module(module)
    except SystemExit as err:  # sys.exit() in FILE: graphc has done nothing yet
        raise UsageError(f"{path}: exited while loading (code {err.code!r}); a FILE "
                         f"builds a graph and must not call sys.exit") from None
    except Exception as err:  # a user's file may fail in any way; report it in one line
        raise UsageError(f"{path}: failed to load: {type(err).__name__}: {err}") from None
    return vars(module)


def name_by_variables(namespace):
    """Give each node that has no name of its own the name of its module variable."""
    for variable, value in namespace.items():
        if (isinstance(value, Node) and not value.record.named
                and variable.isidentifier() and not variable.startswith("_")
                and variable not in value.graph):
            value.named(variable)


def loaded(path):
    """The namespace of FILE, its nodes named after their variables, and its loss."""
    namespace = load(path)
    name_by_variables(namespace)
    return namespace, find_loss(namespace, path)


def point(namespace, pairs):
    """The values to evaluate at: FILE's ``at``, overridden by ``--at name=value`` pairs."""
    defaults = namespace.get("at")
    defaults = {} if defaults is None else defaults
    if not hasattr(defaults, "items"):
        raise UsageError(f"'at' in FILE must be a dict of name: value, got {defaults!r}")
    return {**defaults, **parse_assignments(pairs or [])}


def needed_point(namespace, pairs, loss, path):
    """``point`` for a command that must evaluate: with no point at all (FILE defines no
    ``at`` and no ``--at`` was given) a UsageError that says what to pass, rather than a
    missing-feed error; a partial point still names what is missing when it runs."""
    values = point(namespace, pairs)
    fed = walk.fed(loss.graph, walk.upstream(loss.graph, [loss.id]))
    if not values and fed:
        names = ", ".join(loss.graph.record(v).name for v in fed)
        raise UsageError(f"{path}: this file defines no `at`: pass --at NAME=VALUE for "
                         f"each of {names}")
    return values


def find_loss(namespace, path):
    """The node bound to ``loss``, or else the graph's one scalar op node that no forward
    node uses (``graphc.graph.walk.loss_of``)."""
    if isinstance(namespace.get("loss"), Node):
        return namespace["loss"]
    graphs = {id(v): v for v in namespace.values() if isinstance(v, Graph)}
    if len(graphs) != 1:
        raise UsageError(f"{path}: expected one gc.Graph and a variable named 'loss', found "
                         f"{len(graphs)} graphs and no 'loss'")
    graph = next(iter(graphs.values()))
    try:
        return Node(graph, walk.loss_of(graph))
    except GraphError as err:
        raise UsageError(f"{path}: cannot tell which node is the loss: {err}; bind it to a "
                         f"variable named 'loss'") from None


def gradients(loss):
    """The gradient of ``loss`` for every parameter, in order, reusing those the file
    already took."""
    graph, params = loss.graph, [p.id for p in loss.graph.params]
    found = {p: taken(graph, loss.id, p) for p in params}
    missing = [p for p in params if found[p] is None]
    if missing:
        found.update(zip(missing, differentiate(graph, loss.id, missing).results))
    return [Node(graph, found[p]) for p in params]


def cmd_compile(args):
    from .compile import compile as compile_nodes
    namespace, loss = loaded(args.file)  # outputs named by FILE's variables (loss, dloss_dw)
    nodes = [loss] + gradients(loss)
    function = compile_nodes(nodes, opt=args.opt, report=args.timings,
                             check_finite=args.check_finite)
    names = ", ".join(n.name for n in nodes)
    if args.output:
        written = function.save(args.output)
        print(f"graphc: wrote {written} computing {names}", file=sys.stderr)
    else:
        sys.stdout.write(function.source)
        print(f"graphc: wrote the module computing {names} to standard output",
              file=sys.stderr)
    return 0


def cmd_grad(args):
    namespace, loss = loaded(args.file)
    for param, node in zip(loss.graph.params, gradients(loss)):
        text = latex(node) if args.latex else formula_text(node)
        print(f"d{loss.name}/d{param.name} = {text}")
    return 0


def cmd_explain(args):
    from .explain import explain
    namespace, loss = loaded(args.file)
    trace = explain(loss, at=needed_point(namespace, args.at, loss, args.file),
                    exact=args.exact)
    formats = {"text": str, "markdown": type(trace).to_markdown,
               "latex": type(trace).to_latex, "csv": type(trace).to_csv}
    print(formats[args.format](trace))
    return 0


def cmd_check(args):
    namespace, loss = loaded(args.file)
    claims = file_claims(namespace, args.file) + (args.claim or [])
    if not claims:
        raise UsageError(f"{args.file}: no claims to check: give --claim \"d loss/d w = ...\" "
                         f"or define 'claims' in the file")
    values = point(namespace, args.at)
    report = check(loss, claims, at=values or None, exact=args.exact)
    print(report)
    return 0 if report else 1


def file_claims(namespace, path):
    """FILE's ``claims`` as claim lines: a dict (left side: right side) or a list of lines,
    as ``gc.check`` takes them; UsageError for anything else."""
    claims = namespace.get("claims")
    claims = {} if claims is None else claims
    if hasattr(claims, "items"):
        return [f"{k} = {v}" for k, v in claims.items()]
    if isinstance(claims, (list, tuple)) and all(isinstance(c, str) for c in claims):
        return list(claims)
    raise UsageError(f"{path}: 'claims' in FILE must be a dict of claim -> value (or a list "
                     f"of claim lines), got {type(claims).__name__} {reprlib.repr(claims)}")


def cmd_render(args):
    import visualize  # the application layer may draw; graphc's core never does
    namespace, loss = loaded(args.file)
    values = point(namespace, args.at) or None
    target = loss.graph if args.view == "forward" else loss
    drawn = _slide_call(visualize.draw, target, args, view=args.view, at=values)
    path = visualize.export(drawn, args.output)
    print(f"graphc: wrote {path} ({args.view} view of {loss.graph.name!r})", file=sys.stderr)
    return 0


def _slide_call(draw, target, args, **kwargs):
    """``draw(target, ...)`` with the slide options of ``args``; an option out of range
    (``--dpi 0``) is bad usage, said in one line; any other error is the drawing's own."""
    import visualize
    try:
        return draw(target, exact=args.exact, rankdir=args.rankdir, slide=args.slide,
                    dpi=args.dpi, grads=args.grads, **kwargs)
    except visualize.OptionError as err:
        raise UsageError(f"--{err.option}: {err}") from None


def cmd_steps(args):
    import visualize
    namespace, loss = loaded(args.file)
    values = point(namespace, args.at) or None
    written = _slide_call(visualize.steps, loss, args, at=values, path=args.output,
                          frames=args.frames)
    if isinstance(written, list):  # a folder of numbered SVGs
        where = f"{len(written)} SVG frame{'s' * (len(written) != 1)} in {args.output}"
    else:
        where = str(written)
    print(f"graphc: wrote {where} (backprop of {loss.graph.name!r}, step by step)",
          file=sys.stderr)
    return 0


def cmd_report(args):
    from visualize.present.report import checked_path, report  # the application layer may draw
    try:
        checked_path(args.output)  # the one check of the path, gc.report's
    except ValueError as err:
        raise UsageError(f"-o: {err}") from None
    namespace, loss = loaded(args.file)
    claims = file_claims(namespace, args.file) + (args.claim or [])
    values = needed_point(namespace, args.at, loss, args.file)
    path = report(loss, at=values, claims=claims or None, path=args.output,
                  exact=args.exact)
    print(f"graphc: wrote {path} (the backprop report of {loss.name!r} in "
          f"{loss.graph.name!r}: open it in a browser)", file=sys.stderr)
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
    comp.add_argument("--opt", type=int, choices=LEVELS, default=1, metavar="N",
                      help="optimisation level: 0 one statement a step (the teaching "
                           "form), 1 fused and readable (default), 2 the fastest: "
                           "Python floats for tiny static shapes, else computing in "
                           "place in dead temporaries")
    comp.add_argument("--timings", action="store_true",
                      help="print how long each stage of compilation took (standard error)")
    comp.add_argument("--check-finite", action="store_true",
                      help="the module checks every value it computes and raises "
                           "FloatingPointError naming the first node that is nan or inf")
    comp.set_defaults(run=cmd_compile)
    grad_cmd = sub.add_parser(
        "grad", help="print the formulas of the loss's gradients",
        description="Print the formula of the gradient of FILE's loss with respect to every "
                    "parameter, in the graph's names (matrix notation for tensors).")
    grad_cmd.add_argument("file", metavar="FILE", help="a Python file that builds one gc.Graph")
    grad_cmd.add_argument("--latex", action="store_true", help="print LaTeX")
    grad_cmd.set_defaults(run=cmd_grad)
    for cmd in (_add_explain(sub), _add_check(sub), _add_render(sub), _add_steps(sub),
                _add_report(sub)):
        # FILE is optional to argparse only so that it may follow --at: show it as required
        cmd.usage = cmd.format_usage().removeprefix("usage: ").replace("[FILE]", "FILE")
    return top


def _file_command(sub, name, help, description):
    """A subcommand taking FILE and the values to evaluate at (``--at``), in either order:
    FILE is optional to argparse, and ``take_file`` finds it among the ``--at`` items."""
    cmd = sub.add_parser(name, help=help, description=description)
    cmd.add_argument("file", metavar="FILE", nargs="?",
                     help="a Python file that builds one gc.Graph")
    cmd.add_argument("--at", nargs="+", action="extend", metavar="NAME=VALUE", help=AT_HELP)
    mode = cmd.add_mutually_exclusive_group()
    mode.add_argument("--exact", dest="exact", action="store_const", const=True,
                      help="exact values (sigmoid(-1) - 1) even for long decimals, within "
                           "their budget (default: when every value given is exact)")
    mode.add_argument("--numeric", dest="exact", action="store_const", const=False,
                      help="numbers only, no exact values")
    cmd.set_defaults(file_parser=cmd)
    return cmd


AT_HELP = ("values of inputs and parameters, as name=value pairs (a vector: x=1,-1; exact: "
           "w='sqrt(2)/2'), up to the next option; they override the file's 'at'. FILE may "
           "come before or after")


def is_file_item(item):
    """Whether an item of ``--at`` is FILE, which argparse's ``nargs="+"`` swallows when
    FILE follows the items: one without ``=`` that ends in ``.py`` or names a file."""
    return "=" not in item and (item.endswith(".py") or Path(item).is_file())


def take_file(args):
    """Move FILE out of ``args.at`` into ``args.file`` (``graphc explain --at x=2 FILE``);
    bad usage, with argparse's message and status 2, for no FILE or more than one."""
    found = [item for item in args.at or [] if is_file_item(item)]
    files = ([args.file] if args.file is not None else []) + found
    if not files:
        args.file_parser.error("the following arguments are required: FILE")
    if len(files) > 1:
        args.file_parser.error(f"one FILE at a time, got {', '.join(files)}")
    args.file = files[0]
    if args.at is not None:
        args.at = [item for item in args.at if item not in found]


def _add_explain(sub):
    cmd = _file_command(
        sub, "explain", help="the step-by-step backprop trace at a point",
        description="Print the backprop trace of FILE's loss, as the slides lay it out: each "
                    "node's value, then backwards each upstream gradient, local derivative "
                    "and their product.")
    cmd.add_argument("--format", choices=("text", "markdown", "latex", "csv"), default="text")
    cmd.set_defaults(run=cmd_explain)
    return cmd


def _add_render(sub):
    cmd = _file_command(
        sub, "render", help="draw the graph, its gradient graph, or how gradients flow",
        description="Draw FILE's graph with Graphviz: the forward graph, the backward "
                    "(gradient) graph, or the gradient flow on the forward graph. The format "
                    "follows OUT's suffix: .svg, .png, .pdf, .dot or .tex (TikZ). Without the dot "
                    "program, the .dot file is written and the message says how to install "
                    "Graphviz (exit status 2).")
    cmd.add_argument("--view", choices=("forward", "backward", "gradflow"), default="forward")
    cmd.add_argument("-o", "--output", metavar="OUT.svg", required=True,
                     help="the diagram to write: .svg, .png, .pdf, .dot or .tex (a "
                          "standalone TikZ picture for LaTeX)")
    _add_slide_options(cmd)
    cmd.set_defaults(run=cmd_render)
    return cmd


def _add_steps(sub):
    cmd = _file_command(
        sub, "steps", help="backprop frame by frame, for slides: a PDF, an animation or SVGs",
        description="Draw one frame per backward step of FILE's loss (the node being "
                    "processed highlighted, its chain-rule products on its edges, the edges "
                    "done so far solid), at FILE's 'at' or the --at values. OUT's suffix "
                    "chooses: .pdf one page a step, .gif or .png (APNG) an animation "
                    "(needs Pillow: pip install graphc[frames]), no suffix a folder of "
                    "numbered SVGs.")
    cmd.add_argument("-o", "--output", metavar="OUT", required=True,
                     help="frames.pdf, frames.gif, frames.png (or .apng), or a folder")
    cmd.add_argument("--frames", type=frame_range, default=None, metavar="FIRST:STOP",
                     help="which steps to draw, as a Python slice of step indices from 0 "
                          "(0:50 the first 50); needed past 200 steps")
    _add_slide_options(cmd)
    cmd.set_defaults(run=cmd_steps)
    return cmd


def _add_slide_options(cmd):
    """The options of a diagram for slides: direction, 16:9 size, PNG resolution, grads."""
    cmd.add_argument("--rankdir", choices=("LR", "TB", "BT", "RL"), default="LR",
                     help="the direction the diagram runs in (default LR: left to right)")
    cmd.add_argument("--slide", action="store_true", help="fit the diagram into a 16:9 slide")
    cmd.add_argument("--dpi", type=number, default=None, metavar="N",
                     help="the resolution of a PNG in dots per inch (default 200); SVG and "
                          "PDF stay in points")
    cmd.add_argument("--grads", choices=("all", "params"), default="all",
                     help="params: hide the gradients of data inputs such as x and y")


def frame_range(text):
    """``FIRST:STOP`` as a slice of step indices (either end may be left out: ``:50``)."""
    first, sep, stop = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return slice(int(first) if first else None, int(stop) if stop else None)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected FIRST:STOP such as 0:50, got "
                                         f"{text!r}") from None


def number(text):
    """A number as typed: ``-1`` an int (an error then says ``got -1``), ``1.5`` a float."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def _add_check(sub):
    cmd = _file_command(
        sub, "check", help="check hand-derived claims; exit 1 if one is wrong",
        description="Check claims such as \"d loss/d w1 = sigmoid(-1) - 1\" against what graphc "
                    "derives, at the point given (or as formulas without one). Exit status 0 "
                    "when every claim holds, 1 when one is wrong (the first wrong step is "
                    "named), 2 for bad usage.")
    cmd.add_argument("--claim", action="append", metavar="CLAIM",
                     help="a claim such as \"d loss/d w1 = sigmoid(-1) - 1\" (repeatable); "
                          "added to the file's 'claims'")
    cmd.set_defaults(run=cmd_check)
    return cmd


def _add_report(sub):
    cmd = _file_command(
        sub, "report", help="an interactive backprop report: one self-contained HTML page",
        description="Write the backprop report of FILE's loss at a point: the gradient-flow "
                    "diagram (click a node or an edge to see what it computes), a step "
                    "slider walking the backward pass, the generated code linked to the "
                    "diagram, and the verdicts of FILE's claims and --claim. The page "
                    "loads nothing from the network.")
    cmd.add_argument("--claim", action="append", metavar="CLAIM",
                     help="a claim to check, as for graphc check (repeatable)")
    cmd.add_argument("-o", "--output", metavar="OUT.html", required=True,
                     help="the page to write (.html)")
    cmd.set_defaults(run=cmd_report)
    return cmd


def main(argv=None):
    for stream in (sys.stdout, sys.stderr):  # a lone surrogate in a name prints as \udc80
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = parser().parse_args(argv)
    if hasattr(args, "file_parser"):
        take_file(args)
    try:
        return args.run(args)
    except (UsageError, GraphcError, OSError) as err:
        print(f"graphc: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
