# shequflow — `make run` serves the app, `make test` runs every check. Both bootstrap a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NPM_STAMP := node_modules/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install db run test lint format bench mutants clean browser-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Front-end assets (bpmn-js, dmn-js, chart.js) from npm with the lock file; the app serves them (no CDN).
$(NPM_STAMP): package.json package-lock.json
	command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm)
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

# Browser tests drive Debian's chromium (never a downloaded browser) and need CJK fonts.
browser-deps:
	@command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "noto sans cjk\|wqy" || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk)

install: $(STAMP) $(NPM_STAMP)

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

test: lint browser-deps
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

mutants: install  ## break each reliability property on purpose; its tests must fail (tests/mutants.py)
	$(PY) -m tests.mutants

bench: install
	$(PY) -m bench.engine_overhead
	$(PY) -m bench.step_flatness
	$(PY) -m bench.state_size

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .mypy_cache .ruff_cache
