"""examples/check_derivations.py: every worked derivation of the lecture notes checked as a
claim in its lecture's form, and each planted slip diagnosed (issue 12's must-show)."""

import pytest

from cmdline import graphc, graphc_in_process, python_in_process
from graphs import load

EXAMPLE = load("check_derivations")


@pytest.mark.parametrize("title, build, at, claims", EXAMPLE.LECTURES,
                         ids=[lecture[0].split(":")[0] + f" #{i}"
                              for i, lecture in enumerate(EXAMPLE.LECTURES)])
def test_every_claim_of_the_lectures_holds(title, build, at, claims):
    report = EXAMPLE.check_lecture(build, at, claims)
    assert report, f"{title}\n{report}"
    assert len(report.results) == len(claims)


def test_the_lectures_headlines_are_proved_exactly():
    headlines = {"d loss/d w1 = sigma(-1) - 1": 1, "d loss/d Z2 = (P - Y)/N": None}
    for title, build, at, claims in EXAMPLE.LECTURES:
        for claim in claims:
            if claim in headlines:
                report = EXAMPLE.check_lecture(build, at, [claim])
                assert report.results[0].how == "proved symbolically", (title, report)
                headlines[claim] = True
    assert all(v is True for v in headlines.values()), headlines


@pytest.mark.parametrize("build, at, claim, slip", EXAMPLE.SLIPS,
                         ids=[s[2] for s in EXAMPLE.SLIPS])
def test_each_planted_slip_is_wrong_and_diagnosed(build, at, claim, slip):
    report = EXAMPLE.check_lecture(build, at, [claim])
    assert not report
    assert slip in report.first_wrong.slip, report.first_wrong.slip


def test_the_example_prints_each_verdict_and_diagnosis():
    result = python_in_process("examples/check_derivations.py")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("all claims hold") == len(EXAMPLE.LECTURES)
    assert "WRONG" not in out.split("== slips")[0]
    whys = [line for line in out.splitlines() if line.startswith("  why: ")]
    assert len(whys) == len(EXAMPLE.SLIPS)
    for line, (_, _, _, slip) in zip(whys, EXAMPLE.SLIPS):
        assert slip in line


def test_graphc_check_reads_the_files_claims_and_names_a_slip():
    assert graphc("check", "examples/check_derivations.py").returncode == 0
    wrong = graphc_in_process("check", "examples/check_derivations.py",
                              "--claim", "d loss/d w1 = 1 - sigma(-1)")
    assert wrong.returncode == 1
    assert "why: your d loss/d w[0]" in wrong.stdout and "wrong sign" in wrong.stdout


def test_a_files_claims_may_be_a_list_of_lines_and_nothing_else(tmp_path):
    source = tmp_path / "neuron.py"
    source.write_text("import graphc as gc\ng = gc.Graph('n')\nx, w = g.input('x'), "
                      "g.param('w')\nloss = (x * w).named('loss')\nat = {'x': 2, 'w': 1}\n"
                      "claims = ['d loss/d w = x', 'loss = 2']\n")
    assert graphc_in_process("check", source).returncode == 0
    source.write_text(source.read_text().replace("claims = [", "claims = 3 or ["))
    bad = graphc_in_process("check", source)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "'claims' in FILE must be a dict of claim -> value (or a list of claim lines), " \
        "got int 3" in bad.stderr
