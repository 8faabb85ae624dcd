"""Notation: LaTeX as the lecture writes it (Hadamard, transposes, dot products, upright
names) and named constants that stay symbols in formulas, their values shown beside."""

import re
import subprocess
import sys

import numpy as np
import sympy as sp

import graphc as gc
from graphc import symbolic

from cmdline import ROOT, graphc
from graphs import load


def tensors():
    g = gc.Graph()
    A, B = g.input("A", shape=(2, 2)), g.input("B", shape=(2, 2))
    x, w = g.input("x", shape=(3,)), g.param("w", shape=(3,))
    return g, A, B, x, w


def test_latex_tells_elementwise_from_matrix_products():
    g, A, B, x, w = tensors()
    assert gc.latex(A * B) == r"A \odot B"
    assert gc.latex(A @ B) == r"A B"
    assert gc.latex(x @ x) == r"x^{\top} x"
    assert gc.latex(gc.sigmoid(w @ x)) == r"\sigma\left(w^{\top} x\right)"
    assert gc.latex(A.T @ B) == r"A^{\top} B"
    assert gc.latex(A * (A @ B)) == r"A \odot \left(A B\right)"
    assert gc.latex(-2 * A * B) == r"- 2 A \odot B"


def test_latex_keeps_juxtaposition_for_products_with_scalars():
    g, A, B, x, w = tensors()
    a, b = g.input("a"), g.input("b")
    assert gc.latex(a * b) == r"a b"
    assert gc.latex(a * A) == r"A a"
    assert gc.latex(gc.sum(w * x) * a) == r"a \operatorname{sum}\left(w \odot x\right)"
    p = gc.softmax(x)
    assert gc.latex(p[0] * x) == r"x \operatorname{softmax}\left(x\right)\left[0\right]"


def test_the_mlp_gradient_writes_the_step_as_a_hadamard_product():
    mlp = load("mlp")
    delta = (r"\frac{- \operatorname{onehot}\left(\mathrm{labels}\right) + "
             r"\operatorname{softmax}\left(\mathrm{logits}\right)}{N}")
    assert gc.latex(mlp.GRADS[2]) == rf"H^{{\top}} \left({delta}\right)"
    assert gc.latex(mlp.GRADS[0]) == (
        rf"X^{{\top}} \left(\left(\left({delta}\right) W_{{2}}^{{\top}}\right) \odot "
        r"\operatorname{step}{\left(b_{1} + X W_{1} \right)}\right)")


def test_names_of_more_than_one_letter_are_upright():
    g = gc.Graph()
    yhat, y, sigma = g.input("yhat"), g.input("y"), g.input("sigma")
    loss = ((yhat - y) ** 2).named("loss")
    assert gc.latex(loss * g.input("scale")) == \
        r"\mathrm{scale} \left(- y + \hat{y}\right)^{2}"
    assert gc.latex(sigma * g.input("W2")) == r"W_{2} \sigma"


def test_latex_needs_no_latex_parser():
    code = ("import sys; sys.modules['sympy.parsing.latex'] = None\n"
            "import graphc as gc\ng = gc.Graph()\nA = g.input('A', shape=(2, 2))\n"
            "print(gc.latex(A * A.T))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == r"A \odot A^{\top}"


def test_named_constants_stay_symbols_with_their_value_beside():
    g, A, B, x, w = tensors()
    sqrt_d = g.const("sqrt_d", np.sqrt(8))
    scores = A / sqrt_d
    assert gc.formula(scores) == sp.Symbol("A", real=True) / sp.Symbol("sqrt_d", real=True)
    assert str(gc.formula(scores)) == "A/sqrt_d"
    assert symbolic.formula_text(scores) == "A/sqrt_d, where sqrt_d = 2.82843"
    assert [(n.name, v) for n, v in symbolic.where(scores, gc.formula(scores))] == [
        ("sqrt_d", "2.82843")]
    assert gc.latex(scores) == \
        r"\frac{A}{\mathrm{sqrt}_{d}}, \quad \text{where } \mathrm{sqrt}_{d} = 2.82843"
    (dA,) = gc.grad(gc.sum(scores), [A])
    assert "sqrt_d" in str(gc.formula(dA))
    # keep=() expands everything, named constants to their values
    assert gc.formula(scores, keep=()) == sp.Symbol("A", real=True) / sp.Rational(
        repr(float(np.sqrt(8))))


def test_unnamed_constants_stay_numbers():
    g, A, B, x, w = tensors()
    a = g.input("a")
    assert str(gc.formula(a * g.literal(0.5) + a ** 2 + 3)) == "a**2 + a/2 + 3"
    assert symbolic.formula_text(a * 2) == "2*a"


def test_graphc_grad_prints_named_constants_beside(tmp_path):
    path = tmp_path / "scaled.py"
    path.write_text("import numpy as np\nimport graphc as gc\ng = gc.Graph('s')\n"
                    "x, w = g.input('x'), g.param('w')\n"
                    "loss = (w * x / g.const('sqrt_d', np.sqrt(8))).named('loss')\n")
    result = graphc("grad", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["dloss/dw = x/sqrt_d, where sqrt_d = 2.82843"]


# ---- names with TeX's special characters ----------------------------------------------------

HOSTILE = ["y_%$#{}~^\\", "a&b", "50%", "#1", "$x$", "~t", "x_{1}", "a\\b", "c}{", "q^{"]


def bare_specials(latex):
    """What a LaTeX text has that TeX would take as markup: a brace that does not balance,
    or one of ``% $ # & ~`` (or a ``^``/``_`` not opening a group) outside an escape or a
    command. Empty for text that reads in MathJax and LaTeX."""
    rest = re.sub(r"\\[A-Za-z]+|\\[^A-Za-z]", "", latex)  # commands and escapes
    depth, found = 0, []
    for i, char in enumerate(rest):
        depth += (char == "{") - (char == "}")
        if depth < 0 or char in "%$#&~" or char in "^_" and rest[i + 1:i + 2] != "{":
            found.append(char)
            depth = max(depth, 0)
    return found + ["{"] * depth


def test_names_with_tex_specials_are_escaped_in_latex():
    for name in HOSTILE:
        g = gc.Graph()
        a, w = g.input(name), g.param("w")
        loss = gc.sigmoid(a * w).named("loss")
        (dw,) = gc.grad(loss, [w])
        for latex in (symbolic.name_latex(name), gc.latex(loss), gc.latex(dw)):
            assert bare_specials(latex) == [], (name, latex)
    assert symbolic.name_latex("y_%") == r"y_{\%}"
    assert symbolic.name_latex("a&b") == r"\mathrm{a\&b}"
    assert symbolic.name_latex("y_%$#{}~^\\") == r"y^{{\backslash}}_{\%\$\#\{\}{\sim}}"


def test_ordinary_names_read_as_before():
    expected = {"w1": "w_{1}", "yhat": r"\hat{y}", "loss": r"\mathrm{loss}", "x_1": "x_{1}",
                "W2": "W_{2}", "h_out": "h_{out}", "sqrt_d": r"\mathrm{sqrt}_{d}",
                "x^2": "x^{2}", "theta": r"\theta", "alpha_1": r"\alpha_{1}",
                "dz1": r"\mathrm{dz}_{1}", "a__b": "a^{b}", "Ω": "Ω"}
    assert {name: symbolic.name_latex(name) for name in expected} == expected
    assert all(bare_specials(latex) == [] for latex in expected.values())
