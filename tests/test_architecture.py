"""The architecture, held by tests: import tiers and size budgets (ARCHITECTURE.md, STYLE.md).

Imports go one way: base <- ops <- graph <- autodiff <- passes <- compile, interpret beside the
pipeline, the consumers (explain, check, train, evaluate) on top of both, then the public API,
visualize and the cli. A module that imports against its tier, or a module in no tier, fails
here, read with ``ast`` and never imported. Files stay under 500 lines, functions under 40 and
lines under 100 columns. No module uses a ``_``-name that another module defines. Each checker
is also run on a small planted tree, so a checker that stopped seeing violations would fail too.
"""

from pathlib import Path

from architecture import (budget_violations, evaluator_violations, import_violations,
                          private_violations)

ROOT = Path(__file__).resolve().parent.parent


def plant(root, files):
    """Write {relative path: text} under root; returns root."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


TREE = {
    "graphc/__init__.py": "from . import ops\nfrom .compile import printer\n",
    "graphc/errors.py": "class GraphcError(Exception):\n    pass\n",
    "graphc/ops/__init__.py": "from ..errors import GraphcError\nimport numpy\n",
    "graphc/compile/__init__.py": "from graphc import ops\n",
    "graphc/compile/printer.py": "from ..ops import bad\nimport graphc.errors\n",
    "graphc/cli.py": "import visualize\nfrom graphc import compile\n",
    "visualize/__init__.py": "import graphc\nfrom graphc import errors\n",
    "graphc/ops/bad.py": "",
}

OPS_RULE = "(ops may import base)"


def test_real_tree_keeps_the_import_tiers():
    problems = import_violations(ROOT)
    assert not problems, "imports against the tiers:\n" + "\n".join(problems)


def test_real_tree_keeps_the_budgets():
    problems = budget_violations(ROOT)
    assert not problems, "over budget:\n" + "\n".join(problems)


def test_planted_tree_that_keeps_the_tiers_passes(tmp_path):
    assert import_violations(plant(tmp_path, TREE)) == []


def test_absolute_import_against_the_tiers_is_named(tmp_path):
    bad = "import numpy\n\nfrom graphc.compile import printer\n"
    root = plant(tmp_path, {**TREE, "graphc/ops/bad.py": bad})
    assert import_violations(root) == [
        f"graphc/ops/bad.py:3 imports graphc.compile.printer {OPS_RULE}"]


def test_relative_import_against_the_tiers_is_named(tmp_path):
    bad = '"""A bad op."""\n\n\ndef f():\n    from ..compile import printer\n'
    root = plant(tmp_path, {**TREE, "graphc/ops/bad.py": bad})
    assert import_violations(root) == [
        f"graphc/ops/bad.py:5 imports graphc.compile.printer {OPS_RULE}"]


def test_from_package_import_name_is_the_package_unless_a_submodule(tmp_path):
    bad = "from graphc import evaluate\nfrom graphc import compile\n"
    root = plant(tmp_path, {**TREE, "graphc/ops/bad.py": bad})
    assert import_violations(root) == [
        "graphc/ops/bad.py:1 imports graphc (ops may import base)",
        f"graphc/ops/bad.py:2 imports graphc.compile {OPS_RULE}"]


def test_graphc_importing_visualize_is_named(tmp_path):
    root = plant(tmp_path, {**TREE, "graphc/errors.py": "import visualize\n"})
    assert import_violations(root) == [
        "graphc/errors.py:1 imports visualize (base may import only its own group)"]


def test_consumer_importing_another_consumer_is_named(tmp_path):
    files = {"graphc/explain/__init__.py": "from graphc.evaluate import x\nfrom . import t\n",
             "graphc/evaluate.py": "", "graphc/explain/t.py": "",
             "graphc/check/__init__.py": "from graphc.explain import y\n"}
    root = plant(tmp_path, {**TREE, **files})
    assert import_violations(root) == [
        "graphc/check/__init__.py:1 imports graphc.explain (check may import base, ops, graph, "
        "autodiff, passes, compile, interpret, evaluate)"]


def test_module_in_no_group_is_named(tmp_path):
    root = plant(tmp_path, {**TREE, "graphc/stray.py": "import os\n"})
    assert import_violations(root) == [
        "graphc/stray.py:1 graphc.stray is in no group (give it a row)"]


def function(name, lines):
    """A function of exactly `lines` lines."""
    return f"def {name}():\n" + "    x = 1\n" * (lines - 1)


def test_budgets_name_each_file_function_and_line_over(tmp_path):
    files = {"graphc/long.py": "x = 1\n" * 501, "graphc/fn.py": function("big", 41),
             "visualize/wide.py": "\n" + "x = '" + "a" * 95 + "'\n"}
    assert budget_violations(plant(tmp_path, files)) == [
        "graphc/fn.py:1 function big has 41 lines (at most 40)",
        "graphc/long.py:501 file has 501 lines (at most 500)",
        "visualize/wide.py:2 line has 101 columns (at most 100)"]


def test_budgets_allow_exactly_the_limits(tmp_path):
    nested = "def outer():\n    " + function("inner", 38).replace("\n", "\n    ") + "\n"
    files = {"graphc/long.py": "x = 1\n" * 500, "graphc/fn.py": function("ok", 40),
             "graphc/nested.py": nested, "visualize/wide.py": "x = '" + "a" * 94 + "'\n"}
    assert budget_violations(plant(tmp_path, files)) == []


def test_nested_functions_are_counted_on_their_own(tmp_path):
    nested = "def outer():\n    " + function("inner", 41).replace("\n", "\n    ") + "\n"
    assert budget_violations(plant(tmp_path, {"graphc/nested.py": nested})) == [
        "graphc/nested.py:1 function outer has 42 lines (at most 40)",
        "graphc/nested.py:2 function inner has 41 lines (at most 40)"]


def test_real_tree_keeps_private_names_private():
    problems = private_violations(ROOT)
    assert not problems, "private names used across modules:\n" + "\n".join(problems)


def test_a_private_name_used_from_another_module_is_named(tmp_path):
    files = {"graphc/ops/conv.py": "def _windows(x):\n    return x\n",
             "graphc/ops/pool.py": "from .conv import _windows\n",
             "graphc/graph/graph.py": "class Graph:\n    def __init__(self):\n"
                                      "        self._next_id = 0\n",
             "graphc/autodiff.py": "def grad(g):\n    return g._next_id\n",
             "graphc/passes/stable.py": "def rewrite(g):\n    return g.copy()._next_id\n"}
    root = plant(tmp_path, {**TREE, **files})
    assert private_violations(root) == [
        "graphc/autodiff.py:2 uses _next_id, private to another module",
        "graphc/ops/pool.py:1 uses _windows, private to another module",
        "graphc/passes/stable.py:2 uses _next_id, private to another module"]


def test_a_module_may_use_its_own_private_names_and_dunders(tmp_path):
    own = ("class Store:\n    def __init__(self):\n        self._ids = {}\n\n"
           "    def copy(self):\n        other = Store()\n        other._ids = dict(self._ids)\n"
           "        return other.__class__\n")
    root = plant(tmp_path, {**TREE, "graphc/graph/node.py": own,
                            "graphc/graph/graph.py": "import sys\nframe = sys._getframe\n"})
    assert private_violations(root) == []


def test_real_tree_evaluates_ops_only_through_the_interpreter():
    assert not evaluator_violations(ROOT)


def test_a_module_evaluating_ops_itself_is_named(tmp_path):
    plant(tmp_path, {"graphc/explain/trace.py":
                     "def f(opdef, r, x):\n    return opdef.reference(r.attrs, x)\n"})
    assert evaluator_violations(tmp_path) == [
        "graphc/explain/trace.py:2: calls an op's reference; evaluate through graphc.interpret"]


def test_graphc_never_names_visualize_nor_imports_by_name():
    """graphc finds what draws its pictures through the entry point pyproject.toml registers
    (``graphc.display``), so no module of graphc hides an import by name, and only the
    command line (the application layer) names visualize."""
    found = [f"{p.relative_to(ROOT).as_posix()}:{n}"
             for p in sorted((ROOT / "graphc").rglob("*.py"))
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if "import_module(" in line or "__import__(" in line
             or ("visualize" in line and "import" in line and p.name != "cli.py")]
    assert found == []
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '[project.entry-points."graphc.present"]\nvisualize = "visualize.present"' in pyproject
