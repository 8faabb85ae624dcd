"""Suite-wide reporting: how many random graphs tests/test_random_graphs.py ran, and from
which seed, so that a failure can be replayed (`make test` shows it under the results)."""

from random_graphs import EXAMPLES, SEED


def pytest_terminal_summary(terminalreporter):
    ran = [r for rs in terminalreporter.stats.values() for r in rs
           if getattr(r, "when", None) == "call" and "test_random_graphs.py::test_random_graphs_"
           in getattr(r, "nodeid", "")]
    if ran:
        terminalreporter.write_line(f"random graphs: {EXAMPLES}, seed {SEED} "
                                    f"(tests/random_graphs.py; `make fuzz` runs thousands)")
