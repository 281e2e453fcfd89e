"""Filters and facet counts over the columns of a demo index snapshot (search/filtering.py).

Each mask is compared with what the articles' own stored fields say (date, category, source),
read from the same snapshot.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np
import pytest

from search.filtering import FACETED, combine, facet_counts, filter_masks, label_mask, read_scope
from search.request import SearchRequest


@pytest.fixture(scope="module")
def snapshot(engine):
    return engine.snapshot()


@pytest.fixture(scope="module")
def stored(snapshot) -> list[dict]:
    return [snapshot.stored(d) for d in range(snapshot.doc_count)]


def day_of(article: dict) -> str:
    """Return an article's publication day as YYYY-MM-DD ('' when undated)."""
    return (article.get("published") or "")[:10]


def selected(mask: np.ndarray, stored: list[dict]) -> set[str]:
    return {stored[d]["id"] for d in np.flatnonzero(mask)}


def test_the_demo_snapshot_has_articles_of_two_years_and_labelled_ones(stored):
    # Every demo article is dated (the undated case is tested on tiny.jsonl in test_search.py).
    assert Counter(day_of(a)[:4] for a in stored) == {"2020": 200, "2019": 1}
    assert Counter(bool(a.get("category")) for a in stored)[True] > 100


@pytest.mark.parametrize("low, high", [(date(2019, 8, 21), date(2019, 8, 21)), (date(2020, 1, 1), None),
                                       (None, date(2019, 12, 31)), (date(2020, 3, 1), date(2020, 10, 31))])
def test_a_date_range_keeps_the_articles_published_within_it_ends_included(snapshot, stored, low, high):
    masks = filter_masks(snapshot, SearchRequest(date_from=low, date_to=high))
    expected = {a["id"] for a in stored if day_of(a)
                and (low is None or day_of(a) >= low.isoformat()) and (high is None or day_of(a) <= high.isoformat())}
    assert expected and set(masks) == {"date"} and selected(masks["date"], stored) == expected


def test_year_month_and_undated_filters_keep_exactly_those_articles(snapshot, stored):
    year = filter_masks(snapshot, SearchRequest(year="2020"))["year"]
    assert selected(year, stored) == {a["id"] for a in stored if day_of(a).startswith("2020-")}
    month = filter_masks(snapshot, SearchRequest(year="2019", month="2019-08"))
    assert set(month) == {"year", "month"}
    assert selected(month["month"], stored) == {a["id"] for a in stored if day_of(a).startswith("2019-08-")}
    undated = filter_masks(snapshot, SearchRequest(year="none"))["year"]
    assert selected(undated, stored) == {a["id"] for a in stored if not day_of(a)}


def test_category_and_source_filters_match_labels_exactly_and_none_the_unlabelled(snapshot, stored):
    category = Counter(a.get("category") or "" for a in stored).most_common(1)[0][0]
    masks = filter_masks(snapshot, SearchRequest(categories=(category, "none"), sources=("dantri.com.vn",)))
    assert selected(masks["category"], stored) == {a["id"] for a in stored if (a.get("category") or "") in
                                                   (category, "")}
    assert len(selected(masks["source"], stored)) == 200
    assert selected(masks["source"], stored) == {a["id"] for a in stored if a.get("source") == "dantri.com.vn"}
    assert filter_masks(snapshot, SearchRequest()) == {}


def test_category_and_source_filters_take_whole_labels_not_words_of_them(snapshot, stored):
    # The portal article's category is "Hoạt động của Đảng - Đoàn thể", its source vpubnd.kiengiang.gov.vn:
    # the query's category:/source: prefixes match words of them, the filters only whole labels.
    masks = filter_masks(snapshot, SearchRequest(categories=("Đoàn thể",), sources=("kiengiang",)))
    assert not masks["category"].any() and not masks["source"].any()
    assert label_mask(snapshot.category_names, snapshot.category, ["Đoàn thể"], exact=False).sum() == 1


@pytest.fixture(scope="module")
def tiny_snapshot(tmp_path_factory):
    from search.engine import SearchEngine
    from search.index import reindex
    from tests.helpers import FIXTURES

    index_dir = tmp_path_factory.mktemp("tiny-filtering") / "index"
    reindex(index_dir, [str(FIXTURES / "tiny.jsonl")], procs=1)
    return SearchEngine(index_dir).snapshot()


def test_the_undated_filter_keeps_exactly_the_articles_without_a_date(tiny_snapshot):
    stored = [tiny_snapshot.stored(d) for d in range(tiny_snapshot.doc_count)]
    undated = filter_masks(tiny_snapshot, SearchRequest(year="none"))["year"]
    assert selected(undated, stored) == {a["id"] for a in stored if not a.get("published")} == {"undated"}
    counts = facet_counts(tiny_snapshot, tiny_snapshot.live.copy(), {})
    assert counts.year == {2020: 7, 2021: 1, 0: 1} and counts.month[0] == 1


def test_labels_typed_in_the_query_match_whole_words_in_any_case_and_accents():
    names = ["Thể thao", "Thời sự", "Thể thao quốc tế", "", "Giáo dục"]
    codes = np.array([0, 1, 2, 3, 4, 0])
    assert label_mask(names, codes, ["the thao"], exact=False).tolist() == [True, False, True, False, False, True]
    assert label_mask(names, codes, ["THỂ"], exact=False).tolist() == [True, False, True, False, False, True]
    assert label_mask(names, codes, ["thao quoc"], exact=False).tolist() == [False, False, True, False, False, False]
    assert label_mask(names, codes, ["thao q"], exact=False).tolist() == [False] * 6
    assert label_mask(names, codes, [""], exact=False).tolist() == [False] * 6
    assert label_mask(names, codes, ["Thể thao", "none"], exact=True).tolist() == [
        True, False, False, True, False, True]


def test_combine_ands_the_masks_but_those_left_out():
    masks = {"a": np.array([True, True, False]), "b": np.array([True, False, True])}
    assert combine(masks, 3).tolist() == [True, False, False]
    assert combine(masks, 3, ("a",)).tolist() == [True, False, True]
    assert combine({}, 2).tolist() == [True, True]


def test_facets_count_the_result_set_each_without_its_own_filter(snapshot, stored):
    request = SearchRequest(year="2020", month="2020-10", categories=("Thể thao", "Hoạt động của Đảng - Đoàn thể"),
                            sources=("dantri.com.vn",))
    masks = filter_masks(snapshot, request)
    counts = facet_counts(snapshot, snapshot.live.copy(), masks)

    def kept(article: dict, *leave_out: str) -> bool:
        """Whether an article passes every filter of the request but those left out."""
        tests = {"year": day_of(article).startswith("2020-"), "month": day_of(article).startswith("2020-10-"),
                 "category": article.get("category") in request.categories,
                 "source": article.get("source") in request.sources}
        return all(passed for name, passed in tests.items() if name not in leave_out)

    assert counts.year == dict(Counter(int(day_of(a)[:4]) for a in stored if kept(a, "year", "month")))
    assert counts.month == dict(Counter(int(day_of(a)[:7].replace("-", "")) for a in stored if kept(a, "month")))
    assert counts.category == dict(Counter(a.get("category") for a in stored if kept(a, "category")))
    assert counts.source == dict(Counter(a.get("source") for a in stored if kept(a, "source")))
    # Each count differs from the fully filtered one: every leave-out matters here.
    assert len(counts.month) > 1 and len(counts.category) > 1 and sum(counts.year.values()) > counts.month[202010]
    portal_only = facet_counts(snapshot, snapshot.live.copy(),
                               filter_masks(snapshot, SearchRequest(year="2020", sources=("vpubnd.kiengiang.gov.vn",))))
    assert portal_only.source == {"dantri.com.vn": 200}  # the 2020 articles of every source
    assert portal_only.year == {2019: 1}  # the portal article's, whatever year is chosen
    nothing = facet_counts(snapshot, np.zeros(snapshot.doc_count, dtype=bool), masks)
    assert (nothing.year, nothing.month, nothing.category, nothing.source) == ({}, {}, {}, {})


def test_what_a_request_reads_is_every_filter_no_facet_is_counted_without(snapshot, stored):
    # A date range and a query's own category: or source: narrow every count; a facet is counted without
    # its own filter (year and month, category, source), so those narrow what is read only without facets.
    request = SearchRequest(date_from=date(2020, 3, 1), date_to=date(2020, 10, 31), year="2020", month="2020-10",
                            categories=("Xã hội", "Thể thao"), sources=("dantri.com.vn",))
    masks = filter_masks(snapshot, request)
    masks["query_category"] = label_mask(snapshot.category_names, snapshot.category, ["xa hoi"], exact=False)
    size = snapshot.doc_count
    scope = read_scope(masks, size, facets=True)
    assert set(masks) - set(FACETED) == {"date", "query_category"}
    assert selected(scope, stored) == selected(masks["date"] & masks["query_category"], stored)
    assert selected(read_scope(masks, size, facets=False), stored) == selected(combine(masks, size), stored)
    assert 0 < scope.sum() < masks["date"].sum() and combine(masks, size).sum() < scope.sum()
    # Only facet filters, or none: every document may be counted.
    assert read_scope(filter_masks(snapshot, SearchRequest(year="2020", month="2020-10")), size, True) is None
    assert read_scope({}, size, False) is None
    only_year = filter_masks(snapshot, SearchRequest(year="2019"))
    assert selected(read_scope(only_year, size, False), stored) == {a["id"] for a in stored if day_of(a) < "2020"}
