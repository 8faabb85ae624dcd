"""The graphc command line, run as a user runs it: its help and version by the real
``graphc`` program, the other commands by ``graphc.cli.main`` in this process
(cmdline.graphc_in_process), which a real process would only start more slowly."""

import sys

import numpy as np
import pytest

from cmdline import ROOT, graphc, graphc_in_process, run
from graphs import compute_of

SIG = 1.0 / (1.0 + np.exp(1.0))
NO_GRAPHC_DEPS = ("import sys; [sys.modules.__setitem__(m, None) for m in "
                  "('sympy', 'networkx', 'graphviz', 'graphc')]; ")


def test_help_and_version():
    result = graphc("--help")
    assert result.returncode == 0
    assert "compile" in result.stdout
    result = graphc("--version")
    assert result.returncode == 0 and result.stdout.strip() == "graphc 0.1.0"
    result = graphc("compile", "--help")
    assert result.returncode == 0 and "OUT.py" in result.stdout


def test_compile_writes_a_standalone_module(tmp_path):
    out = tmp_path / "neuron_generated.py"
    result = graphc_in_process("compile", "examples/neuron.py", "-o", out)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stderr and "dloss_dw" in result.stderr
    assert result.stdout == ""
    code = (NO_GRAPHC_DEPS + "import numpy as np; import neuron_generated as m; "
            "print(m.OUTPUTS); print(*np.ravel(m.run(x=[1, -1], w=[1, 2], y=1)[1]))")
    result = run([sys.executable, "-c", code], cwd=tmp_path)  # -c: the cwd is on sys.path
    assert result.returncode == 0, result.stderr
    names, grads = result.stdout.strip().splitlines()
    assert names == "('loss', 'dloss_dw')"
    np.testing.assert_allclose([float(v) for v in grads.split()], [SIG - 1, 1 - SIG],
                               atol=1e-12)


def test_compile_to_standard_output_and_replace_an_existing_file(tmp_path):
    result = graphc_in_process("compile", "examples/mlp.py")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "tests" / "golden" / "examples" / "mlp.py").read_text()
    assert result.stdout.startswith('"""') and "import numpy as np" in result.stdout
    assert "standard output" in result.stderr
    out = tmp_path / "mlp.py"
    out.write_text("old")
    assert graphc_in_process("compile", "examples/mlp.py", "-o", out).returncode == 0
    assert out.read_text() == result.stdout


def test_the_loss_is_the_one_unused_scalar_when_no_variable_is_named_loss(tmp_path):
    source = tmp_path / "net.py"
    source.write_text("import graphc as gc\ng = gc.Graph('n')\nx = g.input('x', shape=(3,))\n"
                      "v = g.param('v', shape=(3,))\nobjective = gc.sum(gc.tanh(v * x))\n")
    result = graphc_in_process("compile", source)
    assert result.returncode == 0, result.stderr
    # the outputs are named by FILE's variable, as the other commands name them
    assert "computing objective, dobjective_dv" in result.stderr


@pytest.mark.parametrize("text,message", [
    ("raise RuntimeError('boom')", "failed to load: RuntimeError: boom"),
    ("x = (", "failed to load: SyntaxError"),
    ("import graphc as gc\n", "expected one gc.Graph"),
    ("import graphc as gc\ng = gc.Graph()\na = g.input('a')\nb = gc.exp(a)\nc = gc.log(a)\n",
     "cannot tell which node is the loss"),
    ("import graphc as gc\ng = gc.Graph()\na = g.input('a', shape=(2,))\n"
     "loss = a @ g.input('b', shape=(3,))\n", "inner dimensions 2 and 3 differ"),
])
def test_a_file_that_fails_gives_one_line_and_status_2(tmp_path, text, message):
    source = tmp_path / "bad.py"
    source.write_text(text)
    result = graphc_in_process("compile", source)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bad_usage_gives_status_2(tmp_path):
    assert graphc_in_process("compile").returncode == 2
    assert graphc_in_process("frobnicate").returncode == 2
    result = graphc_in_process("compile", tmp_path / "missing.py")
    assert result.returncode == 2 and "no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_file_is_not_run_as_main(tmp_path):
    source = tmp_path / "net.py"
    source.write_text((ROOT / "examples" / "neuron.py").read_text()
                      + "\nif __name__ == '__main__':\n    raise SystemExit('ran as main')\n")
    result = graphc_in_process("compile", source, "-o", tmp_path / "out.py")
    assert result.returncode == 0, result.stderr


def test_the_loss_is_found_though_its_own_gradient_uses_it(tmp_path):
    path = tmp_path / "squash.py"
    path.write_text("import graphc as gc\ng = gc.Graph('squash')\nx, w = g.input('x'), "
                    "g.param('w')\nout = gc.sigmoid(w * x)\n(dw,) = gc.grad(out, [w])\n")
    result = graphc_in_process("grad", path)  # sigmoid's gradient reads out: a gradient use of it
    assert result.returncode == 0, result.stderr
    assert result.stdout == "dout/dw = x*(1 - sigmoid(w*x))*sigmoid(w*x)\n"


def test_compile_of_the_mlp_reads_like_the_slide():
    """No variable named after a node id, no np.transpose line, and every gradient line
    says which rule it computes (beside it, or on the line above)."""
    from graphs import load
    result = graphc_in_process("compile", "examples/mlp.py")
    assert result.returncode == 0, result.stderr
    compute = compute_of(result.stdout)
    module = load("mlp")
    unnamed = [n.name for n in module.g if not n.record.named]  # add7, count13, ...
    assert unnamed and not [name for name in unnamed if name in compute]
    lines = compute.splitlines()
    assert not [line for line in lines if "np.transpose" in line]
    assert "W2.T" in compute and "H.T @ dloss_dlogits" in compute
    assert "dloss_dlogits = softmax_minus_one_hot / logits.shape[0]" in compute
    start = next(i for i, line in enumerate(lines) if "loss = " in line) + 1
    for i in range(start, len(lines)):
        line = lines[i].strip()
        if not line or line.startswith(("del ", "#", "return", '"')):  # '"': a wrapped call
            continue
        above = lines[i - 1].strip()
        comment = line.split("  # ")[1] if "  # " in line else above[2:] * above.startswith("#")
        assert comment.startswith(("d", "relu'", "in the gradient")), line
    assert "# d(H @ W2)/dH = ct @ W2.T" in compute and "# relu'(add) = step(add)" in compute


def test_compile_of_the_neuron_folds_the_count_and_fuses_bce_into_sigmoid():
    result = graphc_in_process("compile", "examples/neuron.py")
    compute = compute_of(result.stdout)
    assert "count" not in compute
    assert "dloss_dz = yhat - y  # d bce(sigmoid(z), y)/dz = yhat - y" in compute
