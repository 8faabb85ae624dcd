"""The diagrams committed under docs/ (shown in the README) are what the code draws now."""

import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path

import visualize

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
