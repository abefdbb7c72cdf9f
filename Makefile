# shequflow — `make run` serves the app, `make test` runs every check. Both bootstrap a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install db run test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

db: install
	$(BIN)/shequflow db upgrade

run: db
	$(BIN)/shequflow seed-demo
	$(BIN)/shequflow serve

lint: install
	$(BIN)/ruff check workflows engine web tests bench
	$(BIN)/ruff format --check workflows engine web tests bench
	$(BIN)/mypy workflows engine web
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format workflows engine web tests bench
	$(BIN)/ruff check --fix workflows engine web tests bench

test: lint
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

bench: install
	$(PY) -m bench.engine_overhead
	$(PY) -m bench.step_flatness

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
