"""The diagrams committed under docs/ (shown in the README) are what the code draws now."""

import importlib.util
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import visualize
from cmdline import run

DOCS = Path(__file__).resolve().parent.parent / "docs"
SVG = "{http://www.w3.org/2000/svg}"


def texts(svg):
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_the_readmes_diagrams_are_current():
    spec = importlib.util.spec_from_file_location("docs_diagrams", DOCS / "diagrams.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, diagram in module.diagrams().items():
        committed = (DOCS / name).read_bytes()
        assert texts(committed) == texts(visualize.render(diagram, "svg")), \
            f"docs/{name} is stale: run python docs/diagrams.py"
    assert "-3.718 x 0.1966 = -0.7311" in texts((DOCS / "neuron_gradflow.svg").read_bytes())
    readme = (DOCS.parent / "README.md").read_text()
    assert "docs/neuron_gradflow.svg" in readme


def test_the_readme_lists_every_example_with_its_command():
    readme = (DOCS.parent / "README.md").read_text()
    for path in sorted((DOCS.parent / "examples").glob("*.py")):
        assert f"`python examples/{path.name}`" in readme, f"README lacks {path.name}"


def test_the_readmes_op_table_lists_every_public_op_in_its_familys_row():
    """Every registered op that graphc exports as gc.NAME is named in the op table, in the
    row of its family (the table's families are the registry's, in words)."""
    import graphc as gc
    readme = (DOCS.parent / "README.md").read_text()
    table = readme[readme.index("## Ops"):readme.index("Notes for the lectures")]
    rows = {line.split("|")[1].strip(): line for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| family")}
    words = {"elementwise": "element-wise", "linalg": "linear algebra", "reduce": "reductions",
             "losses": "losses (shape `()`)", "conv": "conv, pool", "pool": "conv, pool"}
    for op in gc.ops.all_ops():
        if op.name in gc.__all__:
            row = rows[words.get(op.family, op.family)]
            assert f"gc.{op.name}" in row, f"the {op.family} row lacks gc.{op.name}"


def readme_block(marker):
    """The lines of the README's fenced code block that holds ``marker``, dedented."""
    readme = (DOCS.parent / "README.md").read_text()
    for block in readme.split("```python")[1:]:
        text = block.split("```")[0]
        if marker in text:
            return [line.strip() for line in text.strip().splitlines()]
    raise AssertionError(f"README has no python block with {marker!r}")


def test_the_readmes_softplus_block_prints_what_it_shows():
    """Run the block as a user would (after the neuron's scalar ``z``), in a fresh process
    (an op name is registered once a process), and compare each ``expr  # shown`` line."""
    lines = readme_block('gc.elementwise_op("softplus"')
    shown = [(line.split("#")[0].strip(), line.split("#")[1].split(", which")[0].strip())
             for line in lines if line.startswith("gc.formula(")]
    assert [text for _, text in shown] == [
        "exp(z)/(exp(z) + 1)", "exp(w1*x1 + w2*x2)/(exp(w1*x1 + w2*x2) + 1)"]
    setup = ["import sympy as sp", "import graphc as gc", "g = gc.Graph()",
             "x1, x2, w1, w2 = g.input('x1'), g.input('x2'), g.param('w1'), g.param('w2')",
             "z = (w1 * x1 + w2 * x2).named('z')"]
    body = [line for line in lines if not line.startswith("gc.formula(")]
    prints = [f"print({expr})" for expr, _ in shown]
    result = run([sys.executable, "-c", "\n".join(setup + body + prints)])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [text for _, text in shown]
