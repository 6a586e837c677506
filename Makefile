# `make run` and `make test` are the two commands; everything else serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: `make run` installs what running needs, `make test` (and `make install`)
# the development tools too. Installing those also satisfies `run`, so `make run`
# after `make test` installs nothing, and `make test` after `make run` adds only them.
RUNTIME := $(VENV)/.installed-run
INSTALLED := $(VENV)/.installed-dev
POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

CHROMIUM := /usr/bin/chromium

.PHONY: run test test-fast install browser lint typecheck contracts test-sqlite test-postgres bench clean \
	package package-check

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Tocsin needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME)

$(INSTALLED): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(RUNTIME) $(INSTALLED)

install: $(INSTALLED)

# The browser tests drive Debian's Chromium; without apt-get they skip (and fail under CI).
browser:
	@test -x $(CHROMIUM) || ! command -v apt-get >/dev/null || \
		{ apt-get install -y chromium >/dev/null 2>&1 || \
		  { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; } || \
		  echo "could not install chromium: the browser tests will skip"; }

run: $(RUNTIME)
	$(BIN)/tocsin migrate
	$(BIN)/tocsin serve

test: lint typecheck contracts test-sqlite test-postgres

lint: $(INSTALLED)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(INSTALLED)
	$(BIN)/mypy

# The layers and their independence, as pyproject.toml's import-linter contracts say.
contracts: $(INSTALLED)
	$(BIN)/lint-imports

test-sqlite: $(INSTALLED) browser
	TOCSIN_TEST_DATABASE=sqlite $(BIN)/pytest

test-postgres: $(INSTALLED) browser
	TOCSIN_TEST_DATABASE=postgresql TOCSIN_TEST_POSTGRES_URL=$(POSTGRES_URL) $(BIN)/pytest

# The inner loop: unit and store tests on SQLite, no server processes, no browser.
test-fast: $(INSTALLED)
	TOCSIN_TEST_DATABASE=sqlite $(BIN)/pytest -q -m "unit or store"

# The wheel, into dist/, built as the Dockerfile builds it (scripts/package.py).
package: $(INSTALLED)
	$(BIN)/python scripts/package.py build dist

# `pipx install` of the wheel, then migrate, serve and a ping from what pipx installed.
# Needs PyPI (pipx and every dependency are downloaded), so it is not part of `make test`,
# which tests the same wheel offline.
package-check: $(INSTALLED)
	TOCSIN_PACKAGE_CHECK=pipx $(BIN)/pytest -q -rs tests/e2e/test_packaging.py

bench: $(INSTALLED)
	$(BIN)/python bench/ping_throughput.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis dist
