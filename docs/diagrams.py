"""Make the diagrams the README shows, from examples/neuron.py at the slide's point.

    .venv/bin/python docs/diagrams.py        (or PYTHONPATH=. python3 docs/diagrams.py)

tests/test_docs.py checks that the committed SVGs still say what this script draws.
"""

import importlib.util
from pathlib import Path

import visualize

DOCS = Path(__file__).resolve().parent
VIEWS = ("forward", "gradflow")


def neuron():
    path = DOCS.parent / "examples" / "neuron.py"
    spec = importlib.util.spec_from_file_location("example_neuron", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def diagrams():
    """The README's diagrams, by file name."""
    m = neuron()
    targets = {"forward": m.g, "gradflow": m.loss}
    return {f"neuron_{view}.svg": visualize.draw(targets[view], view=view, at=m.AT)
            for view in VIEWS}


def main():
    for name, diagram in diagrams().items():
        print(f"wrote {visualize.export(diagram, DOCS / name)}")


if __name__ == "__main__":
    main()
