"""The backend seam: the service shapes any backend's matches the same way."""

from __future__ import annotations

import pytest

from search.backend import FacetCounts
from search.engine import SearchEngine
from search.facets import facet_items
from search.parse import parse_query
from search.request import SearchRequest
from search.whoosh_backend import SnapshotView, WhooshBackend
from tests.helpers import PORTAL_ID

QUERIES = ["bộ chính trị", "ha noi", "covid OR vaccine", '"chỉ thị 05"', "tien ve -bong"]


def without_timing(result: dict) -> dict:
    return {key: value for key, value in result.items() if key != "took_ms"}


@pytest.mark.parametrize("q", QUERIES)
def test_an_engine_over_one_snapshot_view_answers_as_the_index_directory_does(engine, q):
    fixed = SearchEngine(backend=SnapshotView(engine.snapshot(), engine.ranking))
    request = SearchRequest.from_params({"q": q, "sort": "newest", "size": "5", "page": "1"})
    assert without_timing(fixed.search(request)) == without_timing(engine.search(request))
    assert fixed.suggest(q) == engine.suggest(q)
    assert fixed.health() == engine.health()


def test_an_article_is_read_through_the_backend_with_the_query_marked(engine):
    fixed = SearchEngine(backend=SnapshotView(engine.snapshot()))
    article = fixed.article(PORTAL_ID, q="bo chinh tri")
    assert article == engine.article(PORTAL_ID, q="bo chinh tri")
    assert "<mark>Bộ Chính trị</mark>" in article["title_html"]
    assert fixed.article("no-such-article") is None


def test_facet_counts_cross_the_seam_keyed_by_value_and_cover_every_match(demo_index):
    backend = WhooshBackend(demo_index)
    request = SearchRequest.from_params({"q": "việt nam", "year": "2020"})
    matches = backend.search(request, parse_query(request.q))
    assert isinstance(matches.facets, FacetCounts)
    # The year facet ignores the year filter: it counts every match, the total only 2020's.
    assert sum(matches.facets.year.values()) >= matches.total == matches.facets.year.get(2020, 0)
    assert all(isinstance(name, str) for name in matches.facets.category)
    shaped = facet_items(matches.facets, request)
    assert [item["value"] for item in shaped["year"] if item["selected"]] == ["2020"]
    assert sum(item["count"] for item in shaped["category"]) == matches.total
    assert len(matches.documents) == len(matches.scores) == min(10, matches.total)
    assert matches.matching == "all"


def test_a_search_engine_needs_an_index_directory_or_a_backend():
    with pytest.raises(ValueError):
        SearchEngine()
