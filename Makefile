# The two commands: `make demo` and `make test`. Both set up .venv on a fresh machine first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# A CPU build of torch: an unpinned `torch` from PyPI is a CUDA build of several GB.
# Override on a GPU machine, e.g. `make test TORCH_SPEC=torch`.
TORCH_SPEC ?= torch==2.13.0

.PHONY: demo test setup bench docs docs-gen readme-rules clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q '$(TORCH_SPEC)'
	$(BIN)/python -m pip install -q -e '.[torch,publish,dev,docs,fast]'
	touch $@

demo: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" bash scripts/demo.sh

test: $(STAMP)
	$(BIN)/ruff check releasekit checks kernels tests scripts benchmarks
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_check.py

# The rule table, one page per rule and the settings reference are generated from the code.
docs-gen: $(STAMP)
	$(BIN)/python scripts/gen_docs.py

readme-rules: docs-gen

# The documentation site, strict: a broken link or anchor fails the build (CI runs it).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis
