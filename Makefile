# The two commands that work on a fresh clone:
#   make test   - create .venv, install, check PostgreSQL and Redis, run the whole test suite
#   make dev    - run the whole system locally (embedded PostgreSQL and Redis when there are none), the
#                 dashboards at http://127.0.0.1:8080/app/ (sign-in links printed at start)
# For people working on the code:
#   make check        - the quick lane: unit tests, lint, type check, the docs site built strictly (under a minute)
#   make docs-serve   - the documentation site on http://127.0.0.1:8000
#   make test-clocks  - the whole suite under other dates (a Saturday, a Sunday, a DST change, a month's end)
#   make test-busy    - the whole suite with one core kept busy by another process
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test dev bench services venv web browser screenshots lint typecheck docs docs-serve check test-clocks test-busy clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

services:
	@bash scripts/services.sh

# the dashboards: web/ built into web/dist (Node.js 20+ and npm; the typed client from the API's OpenAPI)
web: $(STAMP)
	@PY=$(PY) bash scripts/web.sh

# the browser the dashboard tests drive (Debian's chromium; installed when missing and run as root)
browser:
	@bash scripts/browser.sh

test: $(STAMP) services web browser
	$(PY) -m pytest $(PYTEST_ARGS)

# PostgreSQL and Redis are started when the machine has them; without them propfirm dev uses embedded ones.
dev: $(STAMP) web
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

# the documentation's screenshots of both dashboards, desktop and phone, taken by the browser tests
screenshots: $(STAMP) services web browser
	PROPFIRM_SCREENSHOTS=1 $(PY) -m pytest -q tests/browser $(PYTEST_ARGS)

test-clocks: $(STAMP) services web browser
	PY=$(PY) bash scripts/test-clocks.sh $(CLOCKS)

test-busy: $(STAMP) services web browser
	PY=$(PY) bash scripts/test-busy.sh

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
