"""examples/regularisation.py: plain, early-stopped, weight-decayed and dropout training on
12 noisy samples, checked on the numbers it prints and its plot."""

import pytest
from cmdline import python_in_process

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    out = tmp_path_factory.mktemp("regularisation")
    result = python_in_process("examples/regularisation.py", out)
    assert result.returncode == 0, result.stderr
    return result.stdout, out


def rows(stdout):
    """The table's rows by run name: the cells after the name."""
    table = {}
    for line in stdout.splitlines()[2:6]:
        name, cells = line[:17].strip(), line[17:].split()
        table[name] = cells
    return table


def test_the_table_shows_overfitting_and_what_helps(printed):
    table = rows(printed[0])
    assert table["plain"] == ["1000", "0.0773", "0.2562", "0.2011", "(780)"]
    assert table["early stopping"] == ["72", "0.1381", "0.2243", "0.2020", "(52)"]
    assert table["weight decay 0.01"] == ["1000", "0.1301", "0.2015", "0.2015", "(1000)"]
    assert table["dropout 0.2"] == ["1000", "0.2261", "0.3828", "0.2350", "(726)"]
    # the plain run overfits: its training loss is the lowest, its final validation worse
    # than its best; the penalty ends at its best
    assert float(table["plain"][1]) < min(float(table[k][1]) for k in table if k != "plain")
    assert float(table["plain"][2]) > float(table["plain"][3])


def test_early_stopping_says_why_and_which_params_it_keeps(printed):
    stdout = printed[0]
    assert ("early stopping: the validation loss did not improve by more than 0 for 20 "
            "epochs (best at epoch 52), after epoch 72") in stdout
    assert "keeps the params of epoch 52 (h.best_params); h.params are those of epoch 72" \
        in stdout


def test_the_plot_goes_into_the_folder_given(printed):
    pytest.importorskip("matplotlib")
    stdout, out = printed
    path = out / "regularisation_plain.png"
    assert f"the plain run's curves are in {path}" in stdout
    assert path.read_bytes().startswith(PNG_SIGNATURE)
