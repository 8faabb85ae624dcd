"""examples/universal_approximation.py: sin fitted by one hidden layer of 1, 4, 16 units."""

import pytest

from cmdline import python_in_process

ROWS = ["units  params  final loss (mse)  max |error|",
        "    1       4          0.070444       0.7061",
        "    4      13          0.004138       0.1605",
        "   16      49          0.000500       0.0412"]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    out = tmp_path_factory.mktemp("universal_approximation")
    result = python_in_process("examples/universal_approximation.py", out)
    assert result.returncode == 0, result.stderr
    return out, result.stdout.splitlines()


def test_the_final_loss_falls_as_the_layer_widens(printed):
    _, lines = printed
    start = lines.index(ROWS[0])
    assert lines[start:start + len(ROWS)] == ROWS   # fixed seeds: the same numbers each run
    losses = [float(row.split()[2]) for row in ROWS[1:]]
    assert losses == sorted(losses, reverse=True) and losses[-1] < losses[0] / 100
    params = [int(row.split()[1]) for row in ROWS[1:]]
    assert params == [3 * k + 1 for k in (1, 4, 16)]   # W1, b1, W2 (k each) and b2
    assert "total parameters: 49 (weights and biases)" in lines


def test_writes_the_plot_of_the_fits(printed):
    from PIL import Image
    out, lines = printed
    path = out / "universal_approximation.png"
    assert f"The fits are in {path}" in lines
    with Image.open(path) as image:
        assert image.format == "PNG"
