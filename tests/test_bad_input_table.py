"""Runs every row of tests/bad_input_table.py (one promise of BAD_INPUTS.md each) and holds
the README's table of what bad input gets equal to the one made from the rows."""

import pytest

import graphc as gc
from bad_input_table import README, ROWS, Holds, Raises, readme_table


@pytest.mark.parametrize("row", ROWS, ids=[r.bad_input for r in ROWS])
def test_the_promise_holds(row, tmp_path):
    if isinstance(row.expect, Raises):
        with pytest.raises(row.expect.error) as excinfo:
            row.probe(tmp_path)
        assert isinstance(excinfo.value, gc.GraphcError)
        message = str(excinfo.value)
        missing = [w for w in row.expect.words if w not in message]
        assert not missing, f"{message!r} lacks {missing}"
        assert "Traceback" not in message
    else:
        assert isinstance(row.expect, Holds)
        got = row.probe(tmp_path)
        assert row.expect.test(got), got


def test_every_section_of_bad_inputs_has_rows():
    sections = {r.section for r in ROWS}
    assert len(sections) == 7
    assert len(ROWS) >= 45


def test_the_readme_table_is_made_from_the_rows():
    text = README.read_text(encoding="utf-8")
    assert readme_table() in text, "run: .venv/bin/python tests/bad_input_table.py"
