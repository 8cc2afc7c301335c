# The two commands that work on a fresh clone:
#   make test   - create .venv, install, check PostgreSQL and Redis, run the whole test suite
#   make dev    - run the whole system locally on its embedded defaults
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test dev bench services venv lint clean

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

dev: $(STAMP) services
	$(VENV)/bin/propfirm dev

bench: $(STAMP) services
	$(VENV)/bin/propfirm bench

lint: $(STAMP)
	$(VENV)/bin/ruff check layers functions tests bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
