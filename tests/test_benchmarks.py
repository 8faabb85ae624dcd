"""The benchmark script runs and checks itself; its timings are read by people, never
asserted here (speed and memory are measured in benchmarks/, as ratios)."""

import sys

from cmdline import run


def test_mlp_benchmark_runs_quick_and_checks_generated_code_against_hand_written():
    result = run([sys.executable, "benchmarks/bench_mlp.py", "--quick"])
    assert result.returncode == 0, result.stderr
    assert ("check: generated code == hand-written NumPy (loss and 4 gradients, "
            "rtol 1e-10): OK") in result.stdout


def test_formula_benchmark_runs_and_prints_matrix_notation():
    result = run([sys.executable, "benchmarks/bench_formulas.py"])
    assert result.returncode == 0, result.stderr
    assert "dloss/dW1 at width 1024: X.T @ (" in result.stdout
