"""Shared fixtures: the demo corpus indexed once per test session, embedded and in a cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.engine import SearchEngine
from search.index import reindex

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "vnsearch" / "demo"
DEMO_SOURCES = [str(DEMO / "articles.jsonl"), str(DEMO / "portal")]
PORTAL_ID = "kiengiang-2019-08-21-chi-thi-05.txt"


@pytest.fixture(scope="session")
def demo_index(tmp_path_factory) -> Path:
    """Return the directory of an index of the demo corpus (200 news articles + the portal one)."""
    index_dir = tmp_path_factory.mktemp("demo") / "index"
    report = reindex(index_dir, DEMO_SOURCES, procs=1)
    assert report.added == 201 and not report.rejected
    return index_dir


@pytest.fixture(scope="session")
def engine(demo_index) -> SearchEngine:
    """Return a search engine over the demo index."""
    return SearchEngine(demo_index)


@pytest.fixture(scope="session")
def demo_cluster(tmp_path_factory):
    """Return a running two-node searchd cluster holding the demo corpus (see tests/sphinx_cluster.py)."""
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
