# The two commands a fresh machine needs: `make demo` and `make test`; `make fuzz` and
# `make bench` run longer.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test docs fuzz bench setup dot browser clean

setup: $(STAMP) dot browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Graphviz's `dot` program comes from the system package manager, installed only when missing.
dot:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "Installing Graphviz (the dot program)..."; \
	  SUDO=$$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo); \
	  if command -v apt-get >/dev/null 2>&1; then \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq graphviz >/dev/null; \
	  elif command -v brew >/dev/null 2>&1; then brew install graphviz; \
	  elif command -v dnf >/dev/null 2>&1; then $$SUDO dnf install -y graphviz; \
	  else echo "Please install Graphviz (https://graphviz.org/download/)"; exit 1; fi; }

# The report test drives a real browser: Debian's chromium and chromium-driver, installed
# only when missing (elsewhere, install Chromium and its chromedriver by hand).
browser:
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || { \
	  echo "Installing Chromium and chromedriver (for the browser test)..."; \
	  SUDO=$$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo); \
	  if command -v apt-get >/dev/null 2>&1; then \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  elif command -v brew >/dev/null 2>&1; then brew install --cask chromium chromedriver; \
	  elif command -v dnf >/dev/null 2>&1; then $$SUDO dnf install -y chromium chromedriver; \
	  else echo "Please install Chromium and chromedriver"; exit 1; fi; }

demo: setup
	$(BIN)/python examples/neuron.py out

# One pytest-xdist worker a core; --dist loadfile keeps each test file, and so its
# module-scoped fixtures (a notebook kernel, a browser), in one worker.
test: setup
	$(BIN)/python -m pytest -q -n auto --dist loadfile

# The pictures the README shows (diagrams, the report's screenshot, taken by the browser
# test's own code) and the example notebook with its outputs, made anew.
docs: setup
	$(BIN)/python docs/diagrams.py
	$(BIN)/python docs/lecture_notebook.py
	$(BIN)/python tests/browser.py docs/neuron_report.png

# Longer than the suite: thousands of random graphs against the reference interpreter, then
# thousands of every registered op, first and second order, from a random seed it prints
# (and against torch.autograd where PyTorch is installed).
fuzz: setup
	cd tests && ../$(BIN)/python fuzz_codegen.py 2000
	cd tests && ../$(BIN)/python fuzz_random_graphs.py 2000

# graphc against hand-written NumPy (and PyTorch, jax, autograd, PyTensor when installed:
# benchmarks/README.md); a few minutes, never part of `make test`. BENCH_ARGS=--quick
bench: setup
	$(BIN)/python benchmarks/bench_workloads.py --json out/bench.json $(BENCH_ARGS)
	$(BIN)/python benchmarks/bench_formulas.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/bench_scale.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis out
