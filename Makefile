# `make run` and `make test` are the two commands; everything else serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test install lint typecheck test-sqlite test-postgres bench clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Tocsin needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/tocsin migrate
	$(BIN)/tocsin serve

test: lint typecheck test-sqlite test-postgres

lint: $(INSTALLED)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(INSTALLED)
	$(BIN)/mypy

test-sqlite: $(INSTALLED)
	TOCSIN_TEST_DATABASE=sqlite $(BIN)/pytest

test-postgres: $(INSTALLED)
	TOCSIN_TEST_DATABASE=postgresql TOCSIN_TEST_POSTGRES_URL=$(POSTGRES_URL) $(BIN)/pytest

bench: $(INSTALLED)
	$(BIN)/python bench/ping_throughput.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
