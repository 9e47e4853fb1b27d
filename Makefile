# predledger: `make demo` runs the demo, `make test` runs every check. Both set up .venv first.
PYTHON ?= python3
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check lint install browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 \
		| { grep -v '^WARNING: Location' || true; }
	touch $(STAMP)

install: $(STAMP)

# The dashboard tests drive Debian's Chromium; install it when missing (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		command -v apt-get >/dev/null 2>&1 && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium is not installed: browser tests will be skipped (apt-get install chromium)"; }

demo: install
	$(BIN)/predledger demo

CHECK_PATHS := $(wildcard src tests benchmarks)

check: install
	$(BIN)/ruff format --check $(CHECK_PATHS)
	$(BIN)/ruff check $(CHECK_PATHS)
	$(BIN)/mypy

test: install check
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
