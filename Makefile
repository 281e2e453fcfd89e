# The two commands of the README: `make run` (serve the demo corpus) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INDEX ?= index
PORT ?= 8000

# axe-core (the accessibility checker the browser tests inject), installed by npm in here.
AXE := tests/.axe/node_modules/axe-core/axe.min.js
AXE_VERSION := ^4.10

.PHONY: run test test-fast lint coverage mutation chromium sphinxsearch axe bench clean

# What serving needs: the package and its runtime dependencies only.
$(VENV)/.serving: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("vnsearch needs Python >= 3.11, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

# What the tests need on top: pytest, hypothesis, playwright, schemathesis...
$(VENV)/.installed: $(VENV)/.serving
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

# Index the bundled demo corpus (only when the index is empty), then serve it.
run: $(VENV)/.serving
	@if [ ! -e "$(INDEX)/current" ]; then $(VENV)/bin/vnsearch reindex --index "$(INDEX)" vnsearch/demo/articles.jsonl vnsearch/demo/portal || [ $$? = 1 ]; fi
	@$(VENV)/bin/vnsearch serve --index "$(INDEX)" --port $(PORT)

# Every test: unit, API, server, fault and browser tests (browser tests need Debian's chromium,
# the search-cluster tests Debian's sphinxsearch, the accessibility checks npm's axe-core).
test: $(VENV)/.installed chromium sphinxsearch axe lint
	$(PY) -m pytest

axe: $(AXE)

$(AXE):
	@command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		echo "installing Debian's npm for axe-core" && DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; } || \
		{ echo "The accessibility tests need npm: run 'sudo apt-get install npm'."; exit 1; }
	npm install --silent --no-audit --no-fund --prefix tests/.axe axe-core@$(AXE_VERSION)

# Lint: pyflakes, pycodestyle, bugbear, pyupgrade, simplify and ruff's rules (pyproject.toml).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

# The quick loop while developing: unit tests only (no processes, servers, faults or browser).
test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -m "not slow"

# Line coverage of search/, web/ and vnsearch/ over every test, in every process the tests start
# (settings in pyproject.toml's [tool.coverage.*]); fails under 95%.
coverage: $(VENV)/.installed chromium sphinxsearch axe
	rm -f .coverage .coverage.*
	COVERAGE_FILE=$(CURDIR)/.coverage $(PY) -m coverage run -m pytest -q -p no:randomly
	$(PY) -m coverage combine --quiet
	$(PY) -m coverage report

# Mutation testing (tools/mutation.py, docs/mutation-equivalent.txt): MODULES is one or more
# search/ modules, `all`, or `templates` (the templates' escaping). Niced; takes minutes per module.
MODULES ?= all
mutation: $(VENV)/.mutation
	$(PY) tools/mutation.py $(MODULES)

$(VENV)/.mutation: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[test,mutation]"
	touch $@

# The browser tests drive $(CHROMIUM) (tests/test_browser.py looks at the same path).
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The browser tests need Chromium: run 'sudo apt-get install chromium' (they are skipped without it)."; \
	fi

sphinxsearch:
	@if command -v searchd >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's sphinxsearch for the search-cluster tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sphinxsearch >/dev/null; \
	else \
		echo "The search-cluster tests need searchd: run 'sudo apt-get install sphinxsearch' (they are skipped without it)."; \
	fi

bench: $(VENV)/.installed
	$(PY) bench/bench_index.py
	$(PY) bench/bench_retrieval.py
	$(PY) bench/bench_latency.py
	$(PY) bench/bench_http.py
	$(PY) bench/bench_integrity.py

clean:
	rm -rf $(VENV) .pytest_cache tests/.axe .coverage .coverage.* mutants
