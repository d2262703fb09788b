# The two commands of the README's quick start: `make run` and `make test`.
# Both create .venv in the repo root with the project installed there.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test test-fast check bench lock

# requirements.lock pins every package to the version CI tested (a constraints file:
# the project itself is still installed editable from pyproject.toml).
$(STAMP): pyproject.toml requirements.lock
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -c requirements.lock -e ".[test]"
	touch $(STAMP)

## Regenerate requirements.lock from the installed .venv (after changing dependencies).
lock: $(STAMP)
	{ echo "# The versions CI tested (Python 3.11): \`make\` installs with these as constraints."; \
	  echo "# Regenerate after changing dependencies: make lock"; \
	  $(VENV)/bin/python -m pip freeze --exclude-editable | grep -v '^pacer-harvester'; } > requirements.lock

## Set up, then run one nightly harvest (of the bundled sandbox: the shipped config watches no court).
run: $(STAMP)
	$(VENV)/bin/harvester run

## Set up, then run the whole test suite.
test: $(STAMP)
	$(VENV)/bin/python -m pytest

## The fast in-process layer only (under a minute): no whole harvests, no subprocesses.
test-fast: $(STAMP)
	$(VENV)/bin/python -m pytest -m "not e2e"

## Lint and type-check (ruff and mypy, configured in pyproject.toml).
check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

## Set up, then run every benchmark and print its figures.
bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(VENV)/bin/python $$b || exit 1; done
