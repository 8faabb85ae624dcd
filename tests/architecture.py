"""Checkers for the architecture's rules, read from source with ``ast`` (nothing is imported).

``import_violations(root)`` holds the import tiers of ARCHITECTURE.md; ``budget_violations(root)``
holds the budgets (lines per file, lines per function, columns per line);
``evaluator_violations(root)`` holds "one evaluator". Each takes the folder
that holds ``graphc/`` and ``visualize/`` and returns one line per violation, ``path:line ...``.
"""

import ast
import re
from pathlib import Path

PACKAGES = ("graphc", "visualize")

# (dotted name, group): a row covers its module and every module under it, and the longest
# row that covers a module gives its group. The bare "graphc" row covers graphc/__init__.py
# alone, so that a new graphc module fails until it is given a row of its own.
MODULE_GROUPS = [
    ("graphc.errors", "base"),  # GraphcError and its subclasses
    ("graphc.text", "base"),  # tables and number formats every report shares
    ("graphc.files", "base"),  # atomic writes
    ("graphc.display", "base"),  # the notebook and report hooks, found by entry point
    ("graphc.shapes", "base"),  # shape and dtype algebra
    ("graphc.ops", "ops"),  # the op registry and the op families
    ("graphc.graph", "graph"),  # THE IR every stage reads
    ("graphc.autodiff", "autodiff"),  # pipeline stage 1: reverse mode
    ("graphc.passes", "passes"),  # pipeline stage 2: graph -> graph rewrites
    ("graphc.compile", "compile"),  # pipeline stage 3: program -> NumPy module
    ("graphc.interpret", "interpret"),  # the one evaluator
    ("graphc.symbolic", "interpret"),  # formulas and exact values: rule tables of interpret
    ("graphc.explain", "explain"),  # consumer: the backprop trace
    ("graphc.check", "check"),  # consumer: claims, check, gradcheck
    ("graphc.train", "train"),  # consumer: optimisers, the loop
    ("graphc.evaluate", "evaluate"),  # consumer shared by the others: gc.evaluate
    ("graphc", "api"),  # graphc/__init__.py: the public API
    ("graphc.__main__", "main"),  # python -m graphc
    ("graphc.cli", "cli"),  # the graphc command: the application layer
    ("visualize", "visualize"),  # Graphviz views, on top of graphc's public API
]

PIPELINE = ("base", "ops", "graph", "autodiff", "passes", "compile", "interpret")
GRAPHC = PIPELINE + ("explain", "check", "train", "evaluate", "api")

# group -> the groups it may import, besides its own.
ALLOWED = {
    "base": (),  # errors, text, files, shapes import only each other
    "ops": ("base",),  # an op's vjp is handed the builder, so ops needs no graph
    "graph": ("base", "ops"),  # the IR knows the op registry
    "autodiff": ("base", "ops", "graph"),  # first stage: nothing later
    "passes": ("base", "ops", "graph", "autodiff"),  # may use earlier stages
    "compile": ("base", "ops", "graph", "autodiff", "passes"),  # compile runs the passes
    "interpret": ("base", "ops", "graph"),  # interpret and symbolic import no stage
    "explain": PIPELINE + ("evaluate",),  # consumers: the pipeline, interpret, evaluate
    "check": PIPELINE + ("evaluate",),  # ... and never another consumer
    "train": PIPELINE + ("evaluate",),  # ... (train compiles and runs the pipeline)
    "evaluate": PIPELINE,  # the consumer the others share: no other consumer
    "api": GRAPHC,  # the public API re-exports everything but the command (and __main__)
    "main": GRAPHC + ("cli",),  # python -m graphc runs the command: its one way in
    "cli": GRAPHC + ("visualize",),  # the top: may draw
    # visualize: the public API and the consumers' products, never passes, compile or cli
    "visualize": ("base", "ops", "graph", "autodiff", "interpret", "explain", "evaluate", "api"),
}


def _covers(row, name):
    return name == row or (row != "graphc" and name.startswith(row + "."))


def group_of(name):
    """The group of a dotted module name, or None when no row covers it."""
    rows = [row for row in MODULE_GROUPS if _covers(row[0], name)]
    return max(rows, key=lambda row: len(row[0]))[1] if rows else None


def sources(root):
    """Every .py file under root/graphc and root/visualize, sorted, as paths under root."""
    root = Path(root)
    return sorted(p.relative_to(root) for pkg in PACKAGES for p in (root / pkg).rglob("*.py"))


def module_name(path):
    """graphc/ops/nn.py -> graphc.ops.nn; graphc/ops/__init__.py -> graphc.ops."""
    parts = list(Path(path).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _base(node, name, is_package):
    """The module a from-import names: absolute, or resolved against the file's package."""
    if not node.level:
        return node.module
    package = name.split(".") if is_package else name.split(".")[:-1]
    package = package[:len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


def imports(tree, name, is_package, modules):
    """(line, module) for every import in a parsed file, at any depth, in source order."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _base(node, name, is_package)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((node.lineno, sub if sub in modules else base))
    return sorted({(line, m) for line, m in found if m.split(".")[0] in PACKAGES})


def _violation(path, line, target, group):
    """The message for one import, or None when its tier allows it."""
    wanted = group_of(target)
    if wanted is None:
        return f"{path}:{line} imports {target}, which is in no group"
    if wanted == group or wanted in ALLOWED[group]:
        return None
    allowed = ", ".join(ALLOWED[group]) or "only its own group"
    return f"{path}:{line} imports {target} ({group} may import {allowed})"


def import_violations(root):
    """One line per import against the tiers, and per module that is in no group."""
    root = Path(root)
    paths = sources(root)
    modules = {module_name(p) for p in paths}
    problems = []
    for path in paths:
        name, is_package = module_name(path), path.name == "__init__.py"
        group = group_of(name)
        if group is None:
            problems.append(f"{path.as_posix()}:1 {name} is in no group (give it a row)")
            continue
        tree = ast.parse((root / path).read_text(encoding="utf-8"), str(path))
        for line, target in imports(tree, name, is_package, modules):
            problem = _violation(path.as_posix(), line, target, group)
            problems += [problem] if problem else []
    return problems


MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 40
MAX_COLUMNS = 100


def _file_budget(path, text):
    """Violations of one file's budgets: its length, its functions, its lines."""
    lines = text.splitlines()
    problems = []
    if len(lines) > MAX_FILE_LINES:
        problems.append(f"{path}:{MAX_FILE_LINES + 1} file has {len(lines)} lines "
                        f"(at most {MAX_FILE_LINES})")
    functions = [node for node in ast.walk(ast.parse(text, path))
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for node in sorted(functions, key=lambda node: node.lineno):
        length = node.end_lineno - node.lineno + 1
        if length > MAX_FUNCTION_LINES:
            problems.append(f"{path}:{node.lineno} function {node.name} has {length} lines "
                            f"(at most {MAX_FUNCTION_LINES})")
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_COLUMNS:
            problems.append(f"{path}:{number} line has {len(line)} columns "
                            f"(at most {MAX_COLUMNS})")
    return problems


def budget_violations(root):
    """One line per file, function or line over its budget, under root/graphc and visualize."""
    root = Path(root)
    problems = []
    for path in sources(root):
        problems += _file_budget(path.as_posix(), (root / path).read_text(encoding="utf-8"))
    return problems


def _private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def defined_names(tree):
    """The ``_``-names a module defines: functions, classes, names it assigns or binds, and
    attributes it assigns (``self._x = ...``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            names.add(node.id if isinstance(node, ast.Name) else node.attr)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return {name for name in names if _private(name)}


def _uses(tree, name, is_package):
    """(line, name) for each ``_``-name a module imports from graphc or visualize, or reads
    as an attribute (``x._y``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = _base(node, name, is_package) or ""
            if base.split(".")[0] in PACKAGES:
                yield from ((node.lineno, a.name) for a in node.names if _private(a.name))
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            yield node.lineno, node.attr


def private_violations(root):
    """One line per use of a ``_``-name that another module of the tree defines and this
    module does not: each module keeps its own private names to itself."""
    root = Path(root)
    trees = {p: ast.parse((root / p).read_text(encoding="utf-8"), str(p)) for p in sources(root)}
    own = {p: defined_names(tree) for p, tree in trees.items()}
    everywhere = set().union(*own.values()) if own else set()
    problems = []
    for path, tree in trees.items():
        for line, used in sorted(set(_uses(tree, module_name(path), path.name == "__init__.py"))):
            if used in everywhere and used not in own[path]:
                problems.append(f"{path.as_posix()}:{line} uses {used}, private to another "
                                f"module")
    return problems


# ---- one evaluator ----------------------------------------------------------------------------

#: The modules that may run an op's own evaluation rules (reference, exact, notation): the
#: interpreter and its rule tables, and constant folding, which computes one node at a time.
EVALUATORS = ("graphc/interpret.py", "graphc/symbolic/", "graphc/passes/fold.py")
_RULE_CALL = re.compile(r"\b(?:opdef|ops\.get\([^()]*\))\.(reference|exact|notation)\(")


def evaluator_violations(root):
    """``path:line: ... calls an op's <rule>`` for each module outside EVALUATORS (and
    outside graphc/ops/, where the rules live) that evaluates ops itself."""
    found = []
    for path in sources(root):
        rel = path.as_posix()
        if rel.startswith(("graphc/ops/",) + EVALUATORS):
            continue
        for number, line in enumerate((Path(root) / path).read_text().splitlines(), 1):
            match = _RULE_CALL.search(line)
            if match:
                found.append(f"{rel}:{number}: calls an op's {match.group(1)}; evaluate "
                             f"through graphc.interpret")
    return found
