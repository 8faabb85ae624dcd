"""examples/batchnorm_mlp.py: gradients through batch norm and layer norm check, and the
running statistics follow PyTorch's update."""

import re

import numpy as np
import pytest

import graphc as gc

from cmdline import python_in_process
from graphs import load


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("batchnorm")
    result = python_in_process("examples/batchnorm_mlp.py", out_dir)
    assert result.returncode == 0, result.stderr
    return result.stdout, out_dir


def vector(out, label, after):
    text = out.split(after, 1)[1]
    return np.array(re.search(label + r" +\[([^\]]*)\]", text).group(1).split(), float)


def test_the_gradients_check(run):
    out = run[0]
    assert "gradcheck (central differences, float64, tolerance 1e-06): PASS" in out
    for name in ("W1", "gamma1", "beta1", "gamma2", "beta2", "W3", "X"):
        assert re.search(rf"^  {name} .* ok$", out, re.M), name


def test_the_running_statistics_after_one_batch_are_pytorchs(run):
    module = load("batchnorm_mlp")
    z = gc.compile([module.z1], unused="ignore")(**module.AT)[0]
    out = run[0]
    first = "after batch 1"
    np.testing.assert_allclose(vector(out, "running_mean", first), 0.1 * z.mean(axis=0),
                               atol=1e-4)
    np.testing.assert_allclose(vector(out, "running_var", first),
                               0.9 + 0.1 * z.var(axis=0, ddof=1), atol=1e-4)
    assert "unbiased var(z1): yes" in out


def test_the_running_statistics_approach_the_datas(run):
    out = run[0]
    mean, var = vector(out, "running_mean", "after 50"), vector(out, "running_var", "after 50")
    data_mean = vector(out, "mean", "over all 400")
    data_var = vector(out, "var", "over all 400")
    assert np.all(np.abs(mean - data_mean) < 0.5 * np.sqrt(data_var))
    assert np.all(np.abs(var / data_var - 1) < 0.5)
    assert f"is in {run[1] / 'batchnorm_mlp.svg'}" in out
