"""gc.check hardened (issue 16): claims with huge numbers, look-alike names, unbounded
proofs, and long chains each answer with bounded work, or are refused with a clear message."""

import pytest
import sympy as sp

import graphc as gc
from graphc.check.claims import parse_expression
from graphc.errors import ClaimError, ExactBudgetError
from graphc.symbolic.exact import expression_size

from cmdline import graphc_in_process


def _sigmoid_loss():
    g = gc.Graph()
    z = g.input("z", shape=())
    return gc.sigmoid(z).named("loss")


# ---- huge numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize("claimed", ["tanh(10**10)", "sigmoid(10**10) - 1", "sigmoid(1e20)",
                                     "exp(-10**20)", "tanh(10**10) - sigmoid(10**10)"])
def test_a_claim_with_huge_arguments_is_judged_wrong(claimed):
    report = gc.check(_sigmoid_loss(), at={"z": 0.}, claims={"loss": claimed})
    (result,) = report.results
    assert not report and not result.holds
    assert result.how.startswith(("proved wrong", "differs"))
    assert result.derived == sp.Rational(1, 2)


def test_a_huge_claim_within_the_tolerance_holds_numerically():
    report = gc.check(_sigmoid_loss(), at={"z": 0.}, claims={"loss": "1/2 + exp(-10**20)"})
    assert report and report.results[0].how == "numerically, to 1e-09"


def test_a_claim_too_large_to_evaluate_is_refused_naming_it():
    with pytest.raises(ClaimError) as err:
        gc.check(_sigmoid_loss(), at={"z": 0.}, claims={"loss": "exp(exp(exp(exp(10))))"})
    message = str(err.value)
    assert "claim loss" in message and "exp(exp(exp(exp(10))))" in message
    assert "too large to evaluate" in message


@pytest.mark.parametrize("key, claimed", [
    ("loss", "(z + 1)**1000"),
    ("loss", "tanh(tanh(tanh(tanh(tanh(z)))))**50"),
    ("d loss/d z", "(z + 1)**1000 - z**1000"),
    ("d loss/d z", "tanh(tanh(tanh(tanh(tanh(z)))))**50"),
])
def test_formula_claims_with_large_powers_are_judged_wrong(key, claimed):
    report = gc.check(_sigmoid_loss(), claims={key: claimed})
    (result,) = report.results
    assert not result.holds and result.how.startswith("differs")


def test_a_true_formula_claim_with_a_large_power_still_holds():
    report = gc.check(_sigmoid_loss(), claims={"loss": "sigmoid(z) + (z + 1)**1000 - "
                                                       "(1 + z)**1000"})
    assert report and report.results[0].how == "proved symbolically"


# ---- look-alike names -----------------------------------------------------------------------

def _look_alikes():
    g = gc.Graph()
    latin, cyrillic, wide = g.input("x"), g.input("\u0445"), g.input("\uff58")
    return (latin + 10 * cyrillic + 100 * wide).named("loss")


def test_look_alike_names_are_told_apart():
    loss = _look_alikes()
    claim = "loss = x + 10*\u0445 + 100*\uff58"
    at = {"x": 1, "\u0445": 2, "\uff58": 3}
    assert gc.check(loss, [claim], at=at).results[0].holds
    assert gc.check(loss, [claim]).results[0].how == "proved symbolically"
    wrong = gc.check(loss, ["loss = \uff58 + 10*\u0445 + 100*x"], at=at)
    assert wrong.results[0].how == "proved wrong: off by -198"


def test_the_reader_matches_names_exactly():
    names = {n: sp.Symbol(n) for n in ["x", "\u0445", "\uff58"]}
    assert parse_expression("\uff58", names) == sp.Symbol("\uff58")
    assert parse_expression("x - \uff58", names) == sp.Symbol("x") - sp.Symbol("\uff58")
    # a name the graph holds only in its NFKC form is still found, as Python reads it
    assert parse_expression("\uff59 + 1", {"y": sp.Symbol("y")}) == sp.Symbol("y") + 1


# ---- proofs with a budget -------------------------------------------------------------------

def _chain(n, named=False):
    g = gc.Graph()
    v = x = g.input("x", shape=())
    for i in range(n):
        v = gc.sigmoid(v)
        if named:
            v = v.named(f"s{i + 1}")
    return x, v.named("loss") if not named else v


def test_a_wrong_gradient_of_a_deep_chain_is_found_without_simplify():
    _, loss = _chain(5)
    report = gc.check(loss, {"d loss/d x": "1"}, at={"x": 0.1})
    assert not report and report.results[0].how.startswith(("proved wrong", "differs"))


def test_a_true_gradient_of_a_deep_chain_holds():
    _, s5 = _chain(5, named=True)
    claimed = "*".join(f"s{i}*(1 - s{i})" for i in range(5, 0, -1))
    report = gc.check(s5, {"d s5/d x": claimed}, at={"x": 0.1})
    assert report, str(report)


# ---- long chains ----------------------------------------------------------------------------

def test_exact_values_of_a_long_chain_refuse_naming_the_budget():
    x, loss = _chain(300)
    with pytest.raises(ExactBudgetError) as err:
        gc.evaluate(loss, at={"x": 0.1}, exact=True)
    message = str(err.value)
    assert "exact=False" in message and "budget of exact values" in message


def test_check_of_a_300_chain_in_exact_mode_falls_back_to_numbers():
    _, loss = _chain(300)
    report = gc.check(loss, {"loss": "0.659046068407407", "d loss/d x": "1"},
                      at={"x": 0.1}, exact=True)
    assert report.note.startswith("numeric values:")
    assert [r.holds for r in report.results] == [True, False]


def test_check_of_a_10000_chain():
    _, loss = _chain(10_000)
    report = gc.check(loss, {"loss": "0.659046068407407", "d loss/d x": "1"}, at={"x": 0.1})
    assert [r.holds for r in report.results] == [True, False]
    assert report.first_wrong.key == "d loss/d x" and report.first_wrong.slip == ""
    assert "100 levels of nesting (the budget of exact values)" in report.note
    assert "first wrong step: d loss/d x" in str(report)


def test_expression_size_is_bounded_on_deep_trees():
    v = sp.Symbol("x")
    for _ in range(5000):
        v = sp.exp(v)
    assert expression_size(v, 100) == 101


def test_the_command_line_checks_a_long_chain(tmp_path):
    net = tmp_path / "chain.py"
    net.write_text("import graphc as gc\n"
                   "g = gc.Graph()\n"
                   "v = x = g.input('x', shape=())\n"
                   "for _ in range(2000):\n"
                   "    v = gc.sigmoid(v)\n"
                   "loss = v.named('loss')\n"
                   "claims = {'d loss/d x': '1'}\n")
    done = graphc_in_process("check", net, "--at", "x=0.1")
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == 1 and "first wrong step: d loss/d x" in done.stdout
    assert "numeric values" in done.stdout
    done = graphc_in_process("check", net)            # no point: formulas 4,000 ops deep
    assert "Traceback" not in done.stdout + done.stderr and done.returncode == 2
    assert "'dloss_dx' is 4000 ops deep" in done.stderr and "--at" in done.stderr


def test_claims_without_a_point_on_a_long_chain_ask_for_one():
    _, loss = _chain(300)
    with pytest.raises(ClaimError, match=r"'loss' is 300 ops deep, past the 100 .* give a "
                                         r"point \(at="):
        gc.check(loss, {"loss": "1/2"})
