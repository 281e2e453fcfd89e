"""Shared fixtures (the demo corpus indexed once per session, embedded and in a cluster) and rules.

Rules that apply to every test, also to tests added later:
- ``slow``: tests that start processes or servers, break disks, or drive the browser are
  marked slow, by module, fixture, name or the calls in their own code (SLOW_* below), so
  ``make test-fast`` (``pytest -m "not slow"``) is the quick loop of unit tests.
- With VNSEARCH_REQUIRE_ALL=1 (set by .ci/run) a skipped test is reported as a failure:
  CI never skips silently.
"""

from __future__ import annotations

import inspect
import os
import shutil
import sys
from pathlib import Path

import pytest

from search.engine import SearchEngine
from search.index import reindex
from tests.helpers import DEMO, DEMO_SOURCES, PORTAL_ID, REQUIRE_ALL_ENV, ROOT  # noqa: F401 (DEMO, PORTAL_ID, ROOT: old imports)

# tools/mutation.py points this at a demo index it built once (read-only for the tests).
PREBUILT_DEMO_INDEX_ENV = "VNSEARCH_TEST_DEMO_INDEX"
# And this at the URL of a demo cluster it started once (the tests only search it).
PREBUILT_DEMO_CLUSTER_ENV = "VNSEARCH_TEST_DEMO_CLUSTER"


class PrebuiltCluster:
    """A demo cluster another process started: its URL alone (what the tests that search it read)."""

    def __init__(self, url: str):
        self.url = url

# Test modules whose every test starts processes, servers or a browser (a name starting with one
# of these, so test_faults_disk.py or test_server_cluster.py count too).
SLOW_MODULE_PREFIXES = ("test_server", "test_faults", "test_browser", "test_cluster", "test_sphinx",
                        "test_fuzz", "test_bad_input", "test_integrity")
# Fixtures that start a server, a browser or mount a file system: any test using one is slow.
SLOW_FIXTURES = {"server", "browser", "own_index", "small_disk", "live_server", "cluster", "demo_cluster",
                 "searchd"}
# Single tests elsewhere that run real processes or big indexes (module::name prefix).
SLOW_TESTS = (
    "test_cli.py::test_vnsearch_module_runs_as_a_program",
    "test_cli.py::test_reindex_on_a_terminal",
    "test_index.py::test_parallel_reindex",
    "test_index.py::test_many_small_reindexes",
    "test_integrity.py::test_server_",
    "test_index.py::test_reindex_while_another_process_holds_the_lock",
    "test_index.py::test_reindex_waits_for_a_lock",
    "test_text.py::test_a_killed_indexer",
    "test_text.py::test_term_positions_equal_the_analyzer_pipeline_on_every_demo_article",
)


# Calls that start a process or a server: a test function whose own code makes one is slow.
SLOW_CALLS = ("running_server(", "start_server(", "run_reindex(", "subprocess.", "Popen(", "pty.openpty(")


def starts_processes(item: pytest.Item) -> bool:
    """Tell whether the test function's own code starts a process or a server."""
    function = getattr(item, "function", None)
    try:
        source = inspect.getsource(function) if function else ""
    except (OSError, TypeError):
        return False
    return any(call in source for call in SLOW_CALLS)


def runs_on_the_cluster(item: pytest.Item) -> bool:
    """Tell whether a test is the cluster case of a test parametrised over both backends (it needs searchd)."""
    callspec = getattr(item, "callspec", None)
    return callspec is not None and any(value == "cluster" for value in callspec.params.values())


def is_slow(item: pytest.Item) -> bool:
    """Tell whether a collected test starts processes, servers, disks or a browser."""
    module = Path(str(item.fspath)).name
    if module.startswith(SLOW_MODULE_PREFIXES):
        return True
    if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or runs_on_the_cluster(item):
        return True
    return f"{module}::{item.name}".startswith(SLOW_TESTS) or starts_processes(item)


def pytest_collection_modifyitems(config, items):
    """Mark slow tests (see the module docstring)."""
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)


# Module-level dicts that memoise a pure function, cleared with the lru_caches below.
MEMO_DICTS = (("search.text", "_TERM_FORMS"), ("search.understand", "_SYLLABLE_MAPS"))


def pytest_sessionstart(session):
    """Start every test session with empty memo caches in search/ (lru_caches, memo dicts).

    Mutation testing (tools/mutation.py) runs each mutant's tests in a process forked from one
    that already ran them unmutated: a result cached there would hide the mutant.
    """
    for name, module in list(sys.modules.items()):
        if name.startswith("search.") and module is not None:
            for value in vars(module).values():
                if hasattr(value, "cache_clear"):
                    value.cache_clear()
    for name, attribute in MEMO_DICTS:
        if name in sys.modules:
            getattr(sys.modules[name], attribute).clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Report a skipped test as failed when every test is required to run (CI)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and os.environ.get(REQUIRE_ALL_ENV) == "1":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but every test must run here ({REQUIRE_ALL_ENV}=1): {reason}"


@pytest.fixture(scope="session")
def demo_index(tmp_path_factory) -> Path:
    """Return the directory of an index of the demo corpus (200 news articles + the portal one)."""
    if os.environ.get(PREBUILT_DEMO_INDEX_ENV):
        # Mutation testing of query-side modules (tools/mutation.py) builds it once for every mutant.
        return Path(os.environ[PREBUILT_DEMO_INDEX_ENV])
    index_dir = tmp_path_factory.mktemp("demo") / "index"
    report = reindex(index_dir, DEMO_SOURCES, procs=1)
    assert report.added == 201 and not report.rejected
    return index_dir


@pytest.fixture()
def index_copy(demo_index, tmp_path) -> Path:
    """Return a private copy of the demo index that a test may damage."""
    copy = tmp_path / "index"
    shutil.copytree(demo_index, copy, symlinks=True)
    return copy


@pytest.fixture(scope="session")
def engine(demo_index) -> SearchEngine:
    """Return a search engine over the demo index."""
    return SearchEngine(demo_index)


@pytest.fixture(scope="session")
def demo_cluster(tmp_path_factory):
    """Return a running two-node searchd cluster holding the demo corpus (see tests/sphinx_cluster.py)."""
    if os.environ.get(PREBUILT_DEMO_CLUSTER_ENV):
        # Mutation testing of the cluster's query side (tools/mutation.py) starts it once for every mutant.
        yield PrebuiltCluster(os.environ[PREBUILT_DEMO_CLUSTER_ENV])
        return
    from search.cluster_index import reindex_cluster
    from search.sphinxql import Cluster
    from tests.sphinx_cluster import running_cluster

    directory = tmp_path_factory.mktemp("cluster")
    with running_cluster(directory / "nodes") as cluster:
        report = reindex_cluster(Cluster(cluster.url), directory / "lock", DEMO_SOURCES, procs=1)
        assert report.added == 201 and not report.rejected
        yield cluster


@pytest.fixture(scope="module", params=["embedded", "cluster"])
def app_config(request, demo_index) -> dict:
    """Return the web app's configuration over the demo corpus, once per backend."""
    config = {"INDEX_DIR": str(demo_index)}
    if request.param == "cluster":
        config["BACKEND"] = request.getfixturevalue("demo_cluster").url
    return config
