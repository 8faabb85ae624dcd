"""The benchmark script runs and checks itself; its timings are read by people, never
asserted here (speed and memory are measured in benchmarks/, as ratios)."""

import json
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
    rows = {line.split()[0]: line.split()[-1] for line in result.stdout.splitlines()
            if line.startswith("  ") and " ms " in line}
    assert rows["neuron"] == "exact" and rows["lstm_cell"] == rows["rnn_sequence"] == "numbers"


def test_workload_benchmark_checks_each_workload_and_writes_every_row_kind(tmp_path):
    out = tmp_path / "bench.json"
    result = run([sys.executable, "benchmarks/bench_workloads.py", "--quick", "--only",
                  "neuron,mlp_small_f32", "--chains", "10", "100", "--json", str(out)])
    assert result.returncode == 0, result.stderr
    for name in ("neuron", "mlp_small_f32"):
        assert any(line.startswith(f"check: {name}: graphc opt=0 checked")
                   and line.endswith(": OK") for line in result.stdout.splitlines())
    data = json.loads(out.read_text())
    assert [w["name"] for w in data["workloads"]] == ["neuron", "mlp_small_f32"]
    for workload in data["workloads"]:
        assert [r["kind"] for r in workload["rows"]] == data["kinds"]
        for row in workload["rows"]:  # a time, or a note saying why there is none
            assert (row["median_s"] is None) == (row["note"] is not None), row
    assert "hand-written NumPy" in data["kinds"]
    assert [c["layers"] for c in data["chains"]] == [10, 100]
    assert "BLAS thread" in result.stdout
    assert data["machine"]["cpus_used"] == 1  # one BLAS thread pins the run to one CPU


def test_workload_benchmark_leaves_no_json_when_a_check_fails(tmp_path):
    out = tmp_path / "bench.json"
    result = run([sys.executable, "-c", "import sys; sys.path.insert(0, 'benchmarks'); "
                  "import handwritten; handwritten.HEADS['bce'] = lambda z, y: (0.0, z); "
                  "import bench_workloads; bench_workloads.main(['--quick', '--only', "
                  f"'neuron', '--chains', '--json', {str(out)!r}])"])
    assert result.returncode != 0
    assert "neuron: graphc opt=0 checked vs hand-written NumPy: loss" in result.stderr
    assert not out.exists()
