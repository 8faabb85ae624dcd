"""`make fuzz`: many more random graphs than `make test` runs, at every optimisation level,
each compiled with `debug=True` (the graph verified after every pass) and compared with the
reference interpreter on the graph as written, through the checked and the unchecked call.

    .venv/bin/python tests/fuzz_codegen.py [EXAMPLES]
"""

import sys

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

import graphc as gc
import test_codegen


def check(case, seed, opt):
    f, feeds = test_codegen.agrees_with_the_oracle(case, seed, opt, debug=True)
    for checked, fast in zip(f(**feeds), f.unchecked(*f.check(**feeds)), strict=True):
        np.testing.assert_array_equal(checked, fast)


def main(examples):
    fuzz = settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))(
        given(test_codegen.random_graph(), st.integers(0, 2 ** 16),
              st.sampled_from(gc.passes.LEVELS))(check))
    fuzz()
    print(f"fuzz: {examples} random graphs agree with the reference interpreter")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
