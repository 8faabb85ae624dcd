"""Every example runs as a user runs it, and its numbers are right."""

import sys

import numpy as np

from cmdline import run
from graphs import compute_of, load

SIG = 1.0 / (1.0 + np.exp(1.0))




def test_neuron_example_prints_the_slides_numbers_and_writes_its_module(tmp_path):
    out_dir = tmp_path / "out"  # not there yet, as in a fresh clone's `make demo`
    result = run([sys.executable, "examples/neuron.py", str(out_dir)])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"= {-np.log(SIG):.10f}" in out and f"= {SIG - 1:.10f}" in out
    assert f"({SIG - 1:.10f}, {1 - SIG:.10f})" in out
    assert "PASS" in out
    assert f"is in {out_dir / 'neuron_generated.py'}" in out
    for view in ("forward", "backward", "gradflow"):
        diagram = out_dir / f"neuron_{view}.svg"
        assert f"A diagram of the neuron is in {diagram}" in out
        assert diagram.read_text().lstrip().startswith("<?xml")
    report = out_dir / "neuron_report.html"
    assert f"The backprop report is in {report} (open it in a browser" in out
    assert 'id="gc-data"' in report.read_text()
    source = (out_dir / "neuron_generated.py").read_text()
    assert "dloss_dz = yhat - y  # d bce(sigmoid(z), y)/dz = yhat - y" in out  # fused, folded
    assert compute_of(source).strip() in out


def test_neuron_example_through_compiled_code_to_1e_12():
    neuron = load("neuron")
    import graphc as gc
    loss, dw = gc.compile([neuron.loss, neuron.dloss_dw])(**neuron.AT)
    assert abs(loss - (-np.log(SIG))) < 1e-12
    np.testing.assert_allclose(dw, [SIG - 1, 1 - SIG], rtol=0, atol=1e-12)


def test_mlp_example_gradients_check_and_training_reduces_the_loss():
    mlp = load("mlp")
    import graphc as gc
    report = gc.gradcheck(mlp.loss, mlp.PARAMS, at={**mlp.batch(), **mlp.initial_params()})
    assert report, str(report)
    losses, params = mlp.train()
    assert losses[-1] < 0.1 * losses[0]
    f = gc.compile([mlp.logits], unused="ignore")
    for n in (1, 5, 40):  # the same code for any batch size
        data = mlp.batch(n=n, seed=3)
        (logits,) = f(X=data["X"], **params)
        assert logits.shape == (n, 3)
    (logits,) = f(X=mlp.batch(n=60, seed=4)["X"], **params)
    assert np.mean(logits.argmax(axis=1) == mlp.batch(n=60, seed=4)["labels"]) > 0.9


def test_mlp_example_runs():
    result = run([sys.executable, "examples/mlp.py"])
    assert result.returncode == 0, result.stderr
    assert "PASS" in result.stdout and "step  99" in result.stdout
