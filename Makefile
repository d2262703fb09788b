# The two commands of the README's quick start: `make run` and `make test`.
# Both create .venv in the repo root with the project installed there.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test bench

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e ".[test]"
	touch $(STAMP)

## Set up, then run one nightly harvest (of the bundled sandbox when no PACER credentials are set).
run: $(STAMP)
	$(VENV)/bin/harvester run

## Set up, then run the whole test suite.
test: $(STAMP)
	$(VENV)/bin/python -m pytest

## Set up, then run every benchmark and print its figures.
bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(VENV)/bin/python $$b || exit 1; done
