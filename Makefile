# The two commands that work on a fresh clone:
#   make test   - create .venv, install, check PostgreSQL and Redis, run the whole test suite
#   make dev    - run the whole system locally (embedded PostgreSQL and Redis when there are none)
# For people working on the code:
#   make check        - the quick lane: unit tests, lint, type check, the docs site built strictly (under a minute)
#   make docs-serve   - the documentation site on http://127.0.0.1:8000
#   make test-clocks  - the whole suite under other dates (a Saturday, a Sunday, a DST change, a month's end)
#   make test-busy    - the whole suite with one core kept busy by another process
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test dev bench services venv lint typecheck docs docs-serve check test-clocks test-busy clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

services:
	@bash scripts/services.sh

test: $(STAMP) services
	$(PY) -m pytest $(PYTEST_ARGS)

# PostgreSQL and Redis are started when the machine has them; without them propfirm dev uses embedded ones.
dev: $(STAMP)
	@bash scripts/services.sh --optional
	$(VENV)/bin/propfirm dev $(DEV_ARGS)

bench: $(STAMP) services
	$(VENV)/bin/propfirm bench

lint: $(STAMP)
	$(VENV)/bin/ruff check layers functions tests bench infra

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# the documentation site (docs/, mkdocs.yml): built strictly, so a broken link or page fails
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

docs-serve: $(STAMP)
	$(VENV)/bin/mkdocs serve

# unit tests need neither PostgreSQL nor Redis
check: lint typecheck docs
	$(PY) -m pytest -q tests/unit -m "not slow" $(PYTEST_ARGS)

test-clocks: $(STAMP) services
	PY=$(PY) bash scripts/test-clocks.sh $(CLOCKS)

test-busy: $(STAMP) services
	PY=$(PY) bash scripts/test-busy.sh

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
