"""Filters and facet counts over the columns of a demo index snapshot (search/filtering.py).

Each mask is compared with what the articles' own stored fields say (date, category, source),
read from the same snapshot.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np
import pytest

from search.filtering import combine, facet_counts, filter_masks, label_mask
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
    masks = filter_masks(snapshot, SearchRequest(categories=(category, "none"), sources=("vnexpress.net",)))
    assert selected(masks["category"], stored) == {a["id"] for a in stored if (a.get("category") or "") in
                                                   (category, "")}
    assert selected(masks["source"], stored) == {a["id"] for a in stored if a.get("source") == "vnexpress.net"}
    assert filter_masks(snapshot, SearchRequest()) == {}


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
    request = SearchRequest(year="2020", categories=(stored[0].get("category") or "none",))
    masks = filter_masks(snapshot, request)
    counts = facet_counts(snapshot, snapshot.live.copy(), masks)
    in_category = [a for a in stored if (a.get("category") or "") == (stored[0].get("category") or "")]
    in_year = [a for a in stored if day_of(a).startswith("2020-")]
    assert counts.year == dict(Counter(int(day_of(a)[:4] or 0) for a in in_category))
    assert counts.month == dict(Counter(int(day_of(a)[:7].replace("-", "") or 0) for a in in_category))
    assert counts.category == dict(Counter(a.get("category") or "" for a in in_year))
    assert counts.source == dict(Counter(a.get("source") or "" for a in in_year if a in in_category))
    nothing = facet_counts(snapshot, np.zeros(snapshot.doc_count, dtype=bool), masks)
    assert (nothing.year, nothing.month, nothing.category, nothing.source) == ({}, {}, {}, {})
