# The README's commands: `make run`, `make test` and `make test-fast`. Everything else is a
# step of those.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
VENDOR := static/vendor

.PHONY: run test test-fast install install-dev assets chromium migrate lint clean

run: install assets
	$(BIN)/sparki db upgrade
	$(BIN)/sparki up

# ruff check and ruff format --check, then the whole suite on SQLite and PostgreSQL in parallel.
test: install-dev assets chromium
	$(BIN)/python scripts/run_tests.py

# The fast lane for local work: SQLite only, no browser (e2e) and no real processes (slow).
test-fast: install-dev assets
	SPARKI_TEST_DB=sqlite $(BIN)/python -m pytest -q -m "not e2e and not slow"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

# The Python SDK (sdk/python) is installed too: tests/sdk drive it against a live server.
$(DEVSTAMP): $(STAMP) pyproject.toml sdk/python/pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q -e ./sdk/python
	touch $@

install: $(STAMP)

install-dev: $(DEVSTAMP)

# Front-end assets come from the npm registry at the versions pinned in package-lock.json.
assets: $(VENDOR)/.stamp

$(VENDOR)/.stamp: package.json package-lock.json
	SCARF_ANALYTICS=false npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/swagger-ui
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/htmx-ext-sse/dist/sse.min.js $(VENDOR)/htmx-ext-sse.min.js
	cp node_modules/@picocss/pico/css/pico.min.css $(VENDOR)/pico.min.css
	cp node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/swagger-ui-bundle.js \
	   node_modules/swagger-ui-dist/swagger-ui-standalone-preset.js $(VENDOR)/swagger-ui/
	touch $@

# Debian's chromium drives the end-to-end tests; Playwright cannot download its own browser here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed and apt is not usable: end-to-end tests will be skipped"; fi; }

migrate: install
	$(BIN)/sparki db upgrade

lint: install-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules $(VENDOR)
