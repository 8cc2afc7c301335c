# The two commands that work on a fresh clone:
#   make test   - create .venv, install, check PostgreSQL and Redis, run the whole test suite
#   make dev    - run the whole system locally (embedded PostgreSQL and Redis when there are none)
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

# PostgreSQL and Redis are started when the machine has them; without them propfirm dev uses embedded ones.
dev: $(STAMP)
	@bash scripts/services.sh --optional
	$(VENV)/bin/propfirm dev $(DEV_ARGS)

bench: $(STAMP) services
	$(VENV)/bin/propfirm bench

lint: $(STAMP)
	$(VENV)/bin/ruff check layers functions tests bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
