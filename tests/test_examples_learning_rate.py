"""examples/learning_rate.py: gradient descent on seed 004's 1-D loss, three rates.

By hand: L(w) = 1/2 (2 w - 1)^2 and w - 0.5 shrinks by 1 - 4 alpha each step from
w = 1, so after k steps L = 1/2 (1 - 4 alpha)^(2 k) and w = 0.5 + 0.5 (1 - 4 alpha)^k."""

import sys

import pytest

from cmdline import python_in_process
from graphs import load


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    out = tmp_path_factory.mktemp("learning_rate")
    result = python_in_process("examples/learning_rate.py", out)
    assert result.returncode == 0, result.stderr
    return out, result.stdout.splitlines()


def test_prints_the_loss_per_step_as_computed_by_hand(printed):
    _, lines = printed
    start = lines.index("step      small (0.01)        good (0.1)   too large (0.6)")
    rows = [line.split() for line in lines[start + 1:start + 12]]
    for k, row in enumerate(rows):
        assert int(row[0]) == k
        for text, alpha in zip(row[1:], [0.01, 0.1, 0.6]):
            assert float(text) == pytest.approx(0.5 * (1 - 4 * alpha) ** (2 * k), rel=1e-5)
    assert rows[1][1:] == ["0.4608", "0.18", "0.98"]


def test_says_slow_converging_and_diverging(printed):
    _, lines = printed
    assert ("alpha = 0.01 (small): loss 0.5 -> 0.221001 after 10 steps, w = 0.832416: "
            "slow") in lines
    assert ("alpha = 0.1 (good): loss 0.5 -> 1.82808e-05 after 10 steps, w = 0.503023: "
            "converging") in lines
    assert ("alpha = 0.6 (too large): loss 0.5 -> 418.341 after 10 steps, w = 14.9627: "
            "diverging") in lines


def test_writes_the_plot(printed):
    from PIL import Image
    out, lines = printed
    path = out / "learning_rate.png"
    assert f"The loss curves are in {path}" in lines
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] > 100


def test_the_slides_step_and_the_plot_skipped_without_matplotlib(tmp_path, monkeypatch):
    example = load("learning_rate")
    losses, w = example.descend(0.1, steps=1)
    assert w == pytest.approx(0.8) and losses == pytest.approx([0.5, 0.18])  # one_d.py's step
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)   # import raises ImportError
    message = example.plot({n: example.descend(a) for n, a in example.RATES.items()}, tmp_path)
    assert message.startswith("matplotlib is not installed") and not list(tmp_path.iterdir())
