"""The search page's links: each keeps the search in its URL and changes one thing (a facet, a filter chip,
a page, an order, a tier), going back to the first page whenever the result set changes."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from search.request import SearchRequest
from web.app import create_app
from web.links import (
    TIGHTEST_LABEL,
    active_filters,
    article_url,
    clear_filters_url,
    facet_url,
    pagination,
    sort_links,
    tier_links,
)

FILTERED = SearchRequest(q="bóng đá", page=3, sort="newest", date_from=date(2020, 1, 1), date_to=date(2021, 6, 30),
                         year="2020", month="2020-05", categories=("Thể thao", "Thời sự"), sources=("Dân trí",))


@pytest.fixture(scope="module")
def context(demo_index):
    """Hold a request context of the app over the demo index, for url_for."""
    app = create_app({"INDEX_DIR": str(demo_index)})
    with app.test_request_context("/"):
        yield


def params(url: str) -> dict[str, list[str]]:
    """Return the query parameters of a search page URL (its path checked)."""
    parts = urlsplit(url)
    assert parts.path == "/"
    return parse_qs(parts.query)


BASE = {"q": ["bóng đá"], "sort": ["newest"], "from": ["2020-01-01"], "to": ["2021-06-30"], "year": ["2020"],
        "month": ["2020-05"], "category": ["Thể thao", "Thời sự"], "source": ["Dân trí"]}


def test_choosing_or_dropping_a_facet_value_keeps_the_rest_and_returns_to_the_first_page(context):
    def facet(name, value, selected, request=FILTERED):
        return params(facet_url(request, name, {"value": value, "selected": selected}))

    assert facet("year", "2021", False) == {k: v for k, v in {**BASE, "year": ["2021"]}.items() if k != "month"}
    assert facet("year", "2020", True) == {k: v for k, v in BASE.items() if k not in ("year", "month")}
    assert facet("month", "2020-05", True) == {k: v for k, v in BASE.items() if k != "month"}
    # A month brings its year along; the undated "month" keeps the year chosen.
    assert facet("month", "2019-12", False) == {**BASE, "year": ["2019"], "month": ["2019-12"]}
    assert facet("month", "none", False) == {**BASE, "month": ["none"]}
    assert facet("category", "Kinh tế", False) == {**BASE, "category": ["Thể thao", "Thời sự", "Kinh tế"]}
    assert facet("category", "Thể thao", True) == {**BASE, "category": ["Thời sự"]}
    assert facet("source", "Dân trí", True) == {k: v for k, v in BASE.items() if k != "source"}
    assert facet("source", "VnExpress", False) == {**BASE, "source": ["Dân trí", "VnExpress"]}


def test_each_active_filter_is_a_chip_whose_link_removes_it_alone(context):
    facets = {"year": [{"value": "2020", "label": "Năm 2020"}],
              "category": [{"value": "Thể thao", "label": "Thể thao (bóng đá)"}],
              "source": [{"value": "Dân trí", "label": "Báo Dân trí"}]}
    chips = [(chip["name"], chip["label"], params(chip["url"])) for chip in active_filters(FILTERED, facets)]
    without = lambda *names: {k: v for k, v in BASE.items() if k not in names}  # noqa: E731
    assert chips == [
        ("Từ ngày", "01/01/2020", without("from")),
        ("Đến ngày", "30/06/2021", without("to")),
        ("Năm", "Năm 2020", without("year", "month")),
        ("Tháng", "05/2020", without("month")),
        ("Chuyên mục", "Thể thao (bóng đá)", {**BASE, "category": ["Thời sự"]}),
        ("Chuyên mục", "Thời sự", {**BASE, "category": ["Thể thao"]}),  # no facet label: the value itself
        ("Nguồn", "Báo Dân trí", without("source")),
    ]
    # Facets not counted (or not holding the value): each chip shows the value itself.
    assert [(chip["name"], chip["label"]) for chip in active_filters(FILTERED, {})] == [
        ("Từ ngày", "01/01/2020"), ("Đến ngày", "30/06/2021"), ("Năm", "2020"), ("Tháng", "05/2020"),
        ("Chuyên mục", "Thể thao"), ("Chuyên mục", "Thời sự"), ("Nguồn", "Dân trí")]
    assert active_filters(SearchRequest(q="bóng đá"), facets) == []


def test_clearing_the_filters_keeps_the_query_and_the_order(context):
    assert params(clear_filters_url(FILTERED)) == {"q": ["bóng đá"], "sort": ["newest"]}


def test_the_order_links_return_to_the_first_page_and_mark_the_current_one(context):
    links = sort_links(FILTERED, has_query=True)
    assert [(link["value"], link["label"], link["current"]) for link in links] == [
        ("relevance", "Liên quan", False), ("newest", "Mới nhất", True), ("oldest", "Cũ nhất", False)]
    assert [params(link["url"]) for link in links] == [
        {k: v for k, v in BASE.items() if k != "sort"}, BASE, {**BASE, "sort": ["oldest"]}]
    # Without a query there is no relevance: the newest come first.
    assert [(link["value"], link["current"]) for link in sort_links(SearchRequest(), has_query=False)] == [
        ("newest", True), ("oldest", False)]


def test_wider_tiers_are_offered_with_their_counts_and_a_widened_search_links_back(context):
    request = SearchRequest(q="bóng đá", page=2)
    links = tier_links(request, {"tier": "together", "wider": {"all": 1234, "most": 0}})
    assert [(link["tier"], link["label"], params(link["url"])) for link in links] == [
        ("all", "Xem thêm 1.234 bài chứa các từ ở xa nhau", {"q": ["bóng đá"], "match": ["all"]})]
    widened = SearchRequest(q="bóng đá", page=2, match="all")
    links = tier_links(widened, {"tier": "all", "wider": {"most": 1}})
    assert [(link["tier"], link["label"], params(link["url"])) for link in links] == [
        ("most", "Xem thêm 1 bài chứa một phần các từ", {"q": ["bóng đá"], "match": ["most"]}),
        ("auto", TIGHTEST_LABEL, {"q": ["bóng đá"]}),
    ]
    # Widened but still answered by the together tier (nothing wider was needed): no way back to offer.
    assert tier_links(SearchRequest(q="bóng đá", match="all"), {"tier": "together"}) == []
    assert tier_links(request, {"tier": "all"}) == []


def page_numbers(request: SearchRequest, pages: int) -> list:
    """Return the pagination's entries as numbers (None for a gap, the current one starred)."""
    found = pagination(request, pages)
    entries = []
    for link in found["pages"]:
        if link.number is None:
            assert link.url is None
            entries.append(None)
        else:
            assert params(link.url) == ({"q": ["x"]} if link.number == 1 else {"q": ["x"], "page": [str(link.number)]})
            entries.append(f"*{link.number}" if link.current else link.number)
    return entries


def test_pagination_shows_the_first_last_and_two_pages_around_the_current_one(context):
    assert page_numbers(SearchRequest(q="x", page=1), 10) == ["*1", 2, 3, None, 10]
    assert page_numbers(SearchRequest(q="x", page=5), 10) == [1, None, 3, 4, "*5", 6, 7, None, 10]
    assert page_numbers(SearchRequest(q="x", page=4), 10) == [1, 2, 3, "*4", 5, 6, None, 10]
    assert page_numbers(SearchRequest(q="x", page=10), 10) == [1, None, 8, 9, "*10"]
    assert page_numbers(SearchRequest(q="x", page=2), 2) == [1, "*2"]
    assert page_numbers(SearchRequest(q="x", page=1), 1) == []
    middle = pagination(SearchRequest(q="x", page=5), 10)
    assert (params(middle["previous"]), params(middle["next"])) == ({"q": ["x"], "page": ["4"]},
                                                                      {"q": ["x"], "page": ["6"]})
    last = pagination(SearchRequest(q="x", page=10), 10)
    assert (params(last["previous"]), last["next"]) == ({"q": ["x"], "page": ["9"]}, None)
    assert pagination(SearchRequest(q="x", page=1), 10)["previous"] is None


@pytest.mark.parametrize("doc_id, path", [
    ("kiengiang/2019/chi-thi-05.txt", "/articles/kiengiang/2019/chi-thi-05.txt"),
    ("a/../b", "/articles/a%2F..%2Fb"),  # a browser would resolve "..": every slash escaped
    ("a//b", "/articles/a%2F%2Fb"),
    ("/a", "/articles/%2Fa"),
])
def test_an_article_link_keeps_its_id_intact_and_the_search_it_came_from(context, doc_id, path):
    url = article_url(SearchRequest(q="chỉ thị 05", page=2), doc_id)
    assert (urlsplit(url).path, parse_qs(urlsplit(url).query)) == (path, {"q": ["chỉ thị 05"], "page": ["2"]})
