"""Every promise of ../shared/BAD_INPUTS.md as one row: the bad input, what the user gets,
and a probe (tests/bad_input_probes.py) that tries it. A row expects either an error (its
class, and words its message must contain) or a property of what the probe returns.
tests/test_bad_input_table.py runs every row and holds the README's table "What bad input
gets" equal to the one ``readme_table()`` makes from these rows; to write it anew:

    .venv/bin/python tests/bad_input_table.py
"""

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

import graphc as gc
import visualize
import bad_input_probes as p

README = Path(__file__).resolve().parent.parent / "README.md"
START = "<!-- bad-inputs: made by tests/bad_input_table.py from its rows -->"
END = "<!-- bad-inputs: end -->"


@dataclass(frozen=True)
class Raises:
    """The probe raises ``error`` (a GraphcError) whose message holds every word."""
    error: type
    words: tuple = ()


@dataclass(frozen=True)
class Holds:
    """What the probe returns passes ``test`` (a predicate; it may assert)."""
    test: Callable


@dataclass(frozen=True)
class Row:
    section: str
    bad_input: str
    outcome: str
    probe: Callable  # probe(tmp_path) -> a value, or raises
    expect: object


def _same(a, b):
    return np.array_equal(np.asarray(a), np.asarray(b))


def _exp_only_of_bounded_values(source):
    """Every np.exp in the module takes a log-softmax (<= 0) or -logaddexp(0, -x) (<= 0),
    and nothing silences NumPy's warnings."""
    arguments = re.findall(r"np\.exp\((.*?)\)", source)
    bounded = {"log_softmax", "shifted", "-np.logaddexp(0.0, -x"}
    return (arguments and set(arguments) <= bounded and "seterr" not in source
            and "filterwarnings" not in source)


STRUCTURE = "Graph structure"
SHAPES = "Shapes and dtypes"
FEEDS = "Feeds and calls"
GRADS = "Differentiation"
NUMBERS = "Numbers"
SCALE = "Scale"
NAMES = "Names, code and files"

ROWS = [
    Row(STRUCTURE, "a cycle built with NetworkX", "`GraphError` naming the cycle as a path",
        p.cycle, Raises(gc.GraphError, ("cycle", " -> "))),
    Row(STRUCTURE, "a self-loop", "`GraphError` naming the node",
        p.self_loop, Raises(gc.GraphError, ("cycle", "'loop' -> 'loop'"))),
    Row(STRUCTURE, "a cycle in a saved graph", "`SavedGraphError` naming the cycle as a path",
        p.saved_cycle, Raises(gc.SavedGraphError, ("m.json", "cycle", "'e' -> 'e'"))),
    Row(STRUCTURE, "an op with the wrong number of operands",
        "`GraphError` saying what the op takes",
        p.wrong_arity, Raises(gc.GraphError, ("'v'", "'add' takes 2 operands, got 1"))),
    Row(STRUCTURE, "an operand slot missing", "`GraphError` listing the slots expected",
        p.missing_slot, Raises(gc.GraphError, ("'v'", "add", "[0, 1]", "got [1]"))),
    Row(STRUCTURE, "an unknown op", "`GraphError` listing the known ops",
        p.unknown_op, Raises(gc.GraphError, ("'v'", "frobnicate", "matmul"))),
    Row(STRUCTURE, "an operand slot given twice", "`GraphError` listing the slots expected",
        p.slot_twice, Raises(gc.GraphError, ("'r'", "mul", "slot 0", "[0, 1]"))),
    Row(STRUCTURE, "edges added in another order than their slots",
        "operands in slot order", p.slot_order, Holds(lambda v: v == 3.0)),
    Row(STRUCTURE, "a duplicate node name", "`GraphError` naming it",
        p.duplicate_name, Raises(gc.GraphError, ("'x'",))),
    Row(STRUCTURE, "names that sanitise alike, keywords, builtins, `np`",
        "distinct valid identifiers", p.sanitised_names,
        Holds(lambda r: [float(v) for v in r[0]] == [1.0, 2, 3, 4, 5, 6, 7])),
    Row(STRUCTURE, "an input no output needs", "a warning, or `GraphError` on request",
        p.unused_input, Holds(lambda r: any("'spare'" in w for w in r[0])
                              and r[1] is not None and "'spare'" in r[1])),
    Row(STRUCTURE, "a parameter no output needs", "a warning, or `GraphError` on request",
        p.unused_param, Holds(lambda r: any("param 'spare'" in w for w in r[0])
                              and r[1] is not None and "param 'spare'" in r[1])),
    Row(STRUCTURE, "an output that is an input", "a copy of the feed",
        p.output_is_input, Holds(lambda r: _same(*r) and not np.shares_memory(*r))),
    Row(STRUCTURE, "an output that is a parameter", "a copy of the value fed",
        p.output_is_param, Holds(lambda r: _same(*r) and not np.shares_memory(*r))),
    Row(STRUCTURE, "a graph changed (grown, renamed) after `compile`",
        "the function computes what was compiled",
        p.changed_after_compile, Holds(lambda v: v == 6.0)),
    Row(SHAPES, "matmul with inner dimensions that differ", "`ShapeError` with both shapes",
        p.matmul_inner, Raises(gc.ShapeError, ("matmul", "'a' (3, 4)", "'b' (5, 2)", "4 and 5"))),
    Row(SHAPES, "element-wise shapes that do not broadcast", "`ShapeError` with both shapes",
        p.no_broadcast, Raises(gc.ShapeError, ("add", "'a' (3,)", "'b' (4,)"))),
    Row(SHAPES, "a conv kernel larger than the padded input", "`ShapeError` with the sizes",
        p.conv_kernel_too_large, Raises(gc.ShapeError, ("conv2d", "kernel (5, 5)",
                                                          "padded input (3, 3)"))),
    Row(SHAPES, "conv channel counts that differ", "`ShapeError` with both counts",
        p.conv_channels, Raises(gc.ShapeError, ("conv2d", "3", "4"))),
    Row(SHAPES, "an axis out of range", "`ShapeError` with the axis and the shape",
        p.axis_out_of_range, Raises(gc.ShapeError, ("sum", "axis 2", "(2, 3)"))),
    Row(SHAPES, "a stride of 0", "`ShapeError` naming the stride",
        p.zero_stride, Raises(gc.ShapeError, ("conv2d", "'x' (1, 1, 5, 5)", "stride (0, 0)"))),
    Row(SHAPES, "negative padding", "`ShapeError` naming the padding",
        p.negative_padding, Raises(gc.ShapeError, ("conv2d", "padding"))),
    Row(SHAPES, "a loss of `(N,)` and `(N, 1)`", "`ShapeError` unless `broadcast=True`",
        p.loss_broadcast, Raises(gc.ShapeError, ("mse", "(N, N)", "broadcast=True"))),
    Row(SHAPES, "`()`, `(1,)` and `(1, 1)`", "three shapes; a loss must be `()`",
        p.size_one_shapes, Holds(lambda r: r == ([(), (1,), (1, 1)], "refused"))),
    Row(SHAPES, "a class label out of `[0, C)`", "`DomainError` naming the label",
        p.labels_out_of_range, Raises(gc.DomainError, ("'loss'", "label 3", "[0, 3)"))),
    Row(SHAPES, "labels neither indices nor one-hot", "`ShapeError` with the shapes",
        p.labels_not_indices, Raises(gc.ShapeError, ("cross_entropy", "(N, 3)", "(N, 2)"))),
    Row(SHAPES, "a gradient with respect to integer labels", "`DTypeError` naming them",
        p.grad_of_integer_input, Raises(gc.DTypeError, ("'y'", "int64"))),
    Row(SHAPES, "a float64 feed into a float32 graph", "cast to float32",
        p.float32_cast, Holds(lambda v: v.dtype == np.float32 and _same(v, [2.0, 4.0]))),
    Row(SHAPES, "a ragged list as a feed", "`FeedError` naming the input",
        p.ragged_feed, Raises(gc.FeedError, ("'x'",))),
    Row(SHAPES, "an object array as a feed", "`FeedError` naming the input",
        p.object_feed, Raises(gc.FeedError, ("'x'", "dtype object"))),
    Row(FEEDS, "a missing feed", "`FeedError` naming the input and its shape",
        p.missing_feed, Raises(gc.FeedError, ("'weights'", "(3,)"))),
    Row(FEEDS, "a feed for a name that is not an input", "`FeedError` with a did-you-mean",
        p.unknown_feed, Raises(gc.FeedError, ("'weight'", "'weights'"))),
    Row(FEEDS, "a feed of the wrong shape", "`FeedError` with both shapes",
        p.wrong_shape_feed, Raises(gc.FeedError, ("'x'", "(2, 4)", "(N, 3)"))),
    Row(FEEDS, "a feed contradicting a named dimension", "`FeedError` naming both inputs",
        p.named_dimension, Raises(gc.FeedError, ("'a'", "'b'", "N"))),
    Row(FEEDS, "read-only feeds, called twice", "feeds untouched, the same result each time",
        p.read_only_feeds, Holds(lambda r: all(_same(a, b) for a, b in zip(*r[0])))),
    Row(FEEDS, "a bad feed to a saved standalone module",
        "`ValueError` with the same message, no graphc import", p.standalone_module,
        Holds(lambda r: r[0] is ValueError and "'x'" in r[1] and "(2, 4)" in r[1]
              and not r[2])),
    Row(FEEDS, "NaN or inf in feeds", "IEEE results",
        p.non_finite_feeds, Holds(lambda v: np.isnan(v[0]) and list(v[1:]) == [np.inf, -np.inf])),
    Row(GRADS, "a non-scalar loss", "`DifferentiationError` with the hint to reduce it",
        p.non_scalar_loss, Raises(gc.DifferentiationError, ("'out'", "gc.sum(out)"))),
    Row(GRADS, "a node the loss does not depend on", "zeros, or an error on request",
        p.unconnected, Holds(lambda r: _same(r[0], np.zeros((2, 2))) and "'u'" in r[1])),
    Row(GRADS, "an op without a gradient", "`DifferentiationError` naming the op",
        p.no_gradient_op, Raises(gc.DifferentiationError, ("'floor_nograd'", "no gradient"))),
    Row(GRADS, "relu and abs at their kinks", "relu'(0) = 0, abs'(0) = 0",
        p.kinks, Holds(lambda r: r == ([0.0, 0.0, 1.0], [-1.0, 0.0, 1.0]))),
    Row(GRADS, "ties in a max and in max pooling",
        "shared evenly; pooling picks the first maximum", p.max_ties,
        Holds(lambda r: r == ([0.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]))),
    Row(GRADS, "the perceptron's step", "gradient 0; `gc.grad` through `gc.step` says so",
        p.perceptron_step, Holds(lambda r: r[0] == [0.0, 0.0, 0.0] and "'trained'" in r[1]
                                 and "derivative is 0 everywhere" in r[1])),
    Row(GRADS, "fan-out and second derivatives", "`a + a` has gradient 2; d2 of a^3 is 6a",
        p.fan_out, Holds(lambda v: v == [2.0, 27.0, 18.0])),
    Row(GRADS, "a custom op with symbols that are not its inputs",
        "`GraphError` when it is registered",
        p.foreign_symbols, Raises(gc.GraphError, ("'scaled'", "uses k", "not its operands"))),
    Row(NUMBERS, "logits of 1000 and a sigmoid of -800", "finite values and gradients",
        p.huge_logits, Holds(lambda vs: all(np.all(np.isfinite(v)) for v in vs))),
    Row(NUMBERS, "bce of a probability of 0 or 1", "its log clamped at -100 (as PyTorch)",
        p.clamped_bce, Holds(lambda v: v == 100.0)),
    Row(NUMBERS, "softmax, sigmoid, cross entropy in generated code",
        "no bare `exp` of an unbounded value, no silenced warnings", p.no_bare_exp,
        Holds(_exp_only_of_bounded_values)),
    Row(NUMBERS, "a derivative guarded by a condition, at its guard",
        "the input made safe first: d(x ** y)/dy = 0 at x = 0, no floating-point error",
        p.guarded_power, Holds(lambda v: v.tolist() == [0.0, 0.0, 8 * np.log(2.0)])),
    Row(SCALE, "a 10,000-node chain", "builds, differentiates, compiles, draws",
        p.long_chain, Holds(lambda r: np.all(np.isfinite(r[0][1])) and r[1] < 40
                            and "digraph" in r[2])),
    Row(SCALE, "a 784 x 256 weight", "one symbol, not 200,704",
        p.wide_weight, Holds(lambda r: str(r[0]) == "x.T @ ((1 - sigmoid(x @ w))*sigmoid(x @ w)/(256*N))"
                   and "784" in r[1] and len(r[1]) < 10_000)),
    Row(NAMES, "a name holding a newline and code, keywords, `np`",
        "sanitised identifiers; the code never runs", p.hostile_code,
        Holds(lambda r: float(r[0]) == 6.0 and "\n__import__" not in r[1])),
    Row(NAMES, "a claim holding code", "`ClaimError`; claims are never evaluated",
        p.hostile_claim, Raises(gc.ClaimError, ("__import__",))),
    Row(NAMES, "a name holding HTML and DOT attributes", "a quoted, escaped label",
        p.hostile_dot, Holds(lambda r: r[0] == {"svg", "g", "title", "polygon", "text", "ellipse", "path"}
                             and r[1] in r[2])),
    Row(NAMES, "a saved graph with unknown keys", "`SavedGraphError`; no code runs",
        p.saved_with_code, Raises(gc.SavedGraphError, ("m.json", "__reduce__"))),
    Row(NAMES, "a diagram `dot` takes too long to lay out",
        "`visualize.RenderError` naming the timeout", p.slow_dot,
        Raises(visualize.RenderError, ("longer than 0.0001 s", "draw fewer nodes"))),
    Row(NAMES, "a saved graph's arrays holding Python objects",
        "`SavedGraphError`: arrays load without pickle", p.saved_format,
        Holds(lambda r: r[:2] == ("graphc.graph", 1) and "pickle" in r[2])),
    Row(NAMES, "a temporary file a killed writer left", "removed by the next write",
        p.killed_writer, Holds(lambda r: r == ("whole\n", ["m.py"]))),
    Row(NAMES, "a write that fails halfway", "the old file, and no temporary left",
        p.atomic_write, Holds(lambda r: r == ("old\n", ["m.py"]))),
]


def readme_table():
    """The README's section body: one table per section of BAD_INPUTS.md."""
    lines = [START]
    for section in dict.fromkeys(r.section for r in ROWS):
        lines += ["", f"**{section}**", "", "| Bad input | What you get |", "| --- | --- |"]
        lines += [f"| {r.bad_input} | {r.outcome} |" for r in ROWS if r.section == section]
    return "\n".join(lines + ["", END])


def rewrite_readme():
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    README.write_text(head + readme_table() + tail, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(rewrite_readme())
