# The two commands of the README: `make run` (serve the demo corpus) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INDEX ?= index
PORT ?= 8000

.PHONY: run test test-fast chromium sphinxsearch bench clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("vnsearch needs Python >= 3.11, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

# Index the bundled demo corpus (only when the index is empty), then serve it.
run: $(VENV)/.installed
	@if [ ! -e "$(INDEX)/current" ]; then $(VENV)/bin/vnsearch reindex --index "$(INDEX)" vnsearch/demo/articles.jsonl vnsearch/demo/portal || [ $$? = 1 ]; fi
	$(VENV)/bin/vnsearch serve --index "$(INDEX)" --port $(PORT)

# Every test: unit, API, server, fault and browser tests (browser tests need Debian's chromium,
# the search-cluster tests Debian's sphinxsearch).
test: $(VENV)/.installed chromium sphinxsearch
	$(PY) -m pytest

# The quick loop while developing: unit tests only (no processes, servers, faults or browser).
test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -m "not slow"

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

clean:
	rm -rf $(VENV) .pytest_cache
