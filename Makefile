# habeas — two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROFILE ?= bilateral-fee-2025

.PHONY: demo test fuzz load lint install dev system-libs system-deps clean

$(BIN)/python:
	@scripts/ensure-python.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

## demo: set up, load the demo scenario on embedded SQLite, serve http://127.0.0.1:8000
##       (the demo first, on an empty log, so its 2025 story is recorded in 2025: §12.2)
##       (notifications go to a local mail sink, shown at /notifications/mail)
demo: install system-libs
	$(BIN)/habeas init
	$(BIN)/habeas demo
	$(BIN)/habeas init --profile $(PROFILE)
	$(BIN)/habeas serve --mail-sink

## system-libs: Debian's Pango and HarfBuzz for PDF invoices (installed as root when missing)
system-libs:
	@scripts/ensure-system.sh

## system-deps: those, and Debian's chromium for the browser tests
system-deps:
	@scripts/ensure-system.sh --browser

## lint: ruff, mypy and the layering contract (pyproject.toml [tool.importlinter], ADR 0024)
lint: dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# with_postgres runs a command with PostgreSQL started (or loudly absent) for the tests.
with_postgres = pg_url=$$(scripts/ensure-postgres.sh) || exit 1; \
	if [ -n "$$pg_url" ]; then export HABEAS_TEST_PG_URL="$$pg_url" HABEAS_REQUIRE_PG=1; fi;

## test: install, make sure chromium and PostgreSQL are there, lint, run every test with
##       branch coverage (the run fails under COVERAGE_FLOOR per cent; docs/testing.md)
COVERAGE_FLOOR ?= 93
test: dev system-deps lint
	@$(with_postgres) $(BIN)/pytest -n auto --dist worksteal --durations=20 \
		--cov=habeas --cov-branch --cov-report=term:skip-covered \
		--cov-fail-under=$(COVERAGE_FLOOR)

## fuzz: the API fuzzed deeper than `make test` does (FUZZ_EXAMPLES per operation and
##       kind of input, on SQLite and PostgreSQL)
FUZZ_EXAMPLES ?= 300
fuzz: dev
	@$(with_postgres) HABEAS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -n auto tests/api/test_fuzz.py

## load: bench/load.py, a mixed workload against `habeas serve` on SQLite and PostgreSQL
load: dev
	@$(with_postgres) $(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) habeas.db habeas.db-wal habeas.db-shm .habeas .pytest_cache .mypy_cache \
		.coverage .coverage.*
