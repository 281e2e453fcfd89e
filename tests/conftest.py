"""Shared fixtures: an index built once per test session from the bundled demo corpus."""

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
