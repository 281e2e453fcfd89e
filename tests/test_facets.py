"""Facet entries from a backend's counts: order, Vietnamese labels, selections (search/facets.py).

The counts are given as a backend hands them over (``FacetCounts``), so every rule of the entries
is checked on its own, whatever the corpus holds.
"""

from __future__ import annotations

from search.backend import FacetCounts
from search.facets import facet_items
from search.request import SearchRequest

COUNTS = FacetCounts(
    year={2019: 4, 2021: 7, 0: 2, 2020: 1},
    month={201908: 4, 202001: 1, 202104: 5, 202112: 2, 0: 2},
    category={"Thể thao": 3, "": 2, "Giáo dục": 3, "Kinh doanh": 5},
    source={"vnexpress.net": 6, "": 1},
)


def entry(value, label, count, selected=False) -> dict:
    return {"value": value, "label": label, "count": count, "selected": selected}


def test_entries_order_newest_years_and_months_first_labels_most_frequent_first():
    assert facet_items(COUNTS, SearchRequest()) == {
        "year": [entry("2021", "2021", 7), entry("2020", "2020", 1), entry("2019", "2019", 4),
                 entry("none", "Không rõ ngày", 2)],
        "month": [entry("2021-12", "Tháng 12/2021", 2), entry("2021-04", "Tháng 4/2021", 5),
                  entry("2020-01", "Tháng 1/2020", 1), entry("2019-08", "Tháng 8/2019", 4)],
        # Equal counts: in label order.
        "category": [entry("Kinh doanh", "Kinh doanh", 5), entry("Giáo dục", "Giáo dục", 3),
                     entry("Thể thao", "Thể thao", 3), entry("none", "Chưa phân loại", 2)],
        "source": [entry("vnexpress.net", "vnexpress.net", 6), entry("none", "Không rõ nguồn", 1)],
    }


def test_selected_values_are_flagged():
    request = SearchRequest(year="2021", month="2021-04", categories=("Thể thao", "none"), sources=("vnexpress.net",))
    items = facet_items(COUNTS, request)
    assert items["year"] == [entry("2021", "2021", 7, True), entry("2020", "2020", 1), entry("2019", "2019", 4),
                             entry("none", "Không rõ ngày", 2)]
    assert [i["value"] for i in items["month"] if i["selected"]] == ["2021-04"]
    assert [i["value"] for i in items["category"] if i["selected"]] == ["Thể thao", "none"]
    assert [i["value"] for i in items["source"] if i["selected"]] == ["vnexpress.net"]


def test_with_a_year_chosen_the_months_are_those_of_that_year():
    items = facet_items(COUNTS, SearchRequest(year="2021"))
    assert items["month"] == [entry("2021-12", "Tháng 12/2021", 2), entry("2021-04", "Tháng 4/2021", 5)]
    undated = facet_items(COUNTS, SearchRequest(year="none"))
    assert [i["value"] for i in undated["month"]] == ["2021-12", "2021-04", "2020-01", "2019-08"]
    assert undated["year"][-1] == entry("none", "Không rõ ngày", 2, True)


def test_without_a_year_only_the_last_twelve_months_with_results_are_listed():
    months = {2020 * 100 + m: m for m in range(1, 13)} | {201912: 1, 201911: 1}
    items = facet_items(FacetCounts(year={2020: 78, 2019: 2}, month=months, category={}, source={}), SearchRequest())
    assert [i["value"] for i in items["month"]] == [f"2020-{m:02d}" for m in range(12, 0, -1)]


def test_a_selected_value_without_results_is_listed_first_with_no_articles():
    request = SearchRequest(year="2018", month="2018-03", categories=("Pháp luật",), sources=("tuoitre.vn",))
    items = facet_items(COUNTS, request)
    assert items["year"][0] == entry("2018", "2018", 0, True) and len(items["year"]) == 5
    assert items["month"][0] == entry("2018-03", "Tháng 3/2018", 0, True)
    assert items["category"][0] == entry("Pháp luật", "Pháp luật", 0, True) and len(items["category"]) == 5
    assert items["source"][0] == entry("tuoitre.vn", "tuoitre.vn", 0, True)
    months = facet_items(COUNTS, SearchRequest(month="2018-03"))["month"]
    assert [(i["value"], i["count"], i["selected"]) for i in months] == [
        ("2018-03", 0, True), ("2021-12", 2, False), ("2021-04", 5, False), ("2020-01", 1, False),
        ("2019-08", 4, False)]


def test_undated_and_unlabelled_entries_appear_only_when_counted_or_selected_with_their_labels():
    counts = FacetCounts(year={2021: 3}, month={202104: 3}, category={"Thể thao": 3}, source={"vnexpress.net": 3})
    items = facet_items(counts, SearchRequest())
    assert [i["value"] for i in items["year"]] == ["2021"]
    assert [i["value"] for i in items["category"]] == ["Thể thao"]
    chosen = facet_items(counts, SearchRequest(year="none", categories=("none",), sources=("none",)))
    assert chosen["year"] == [entry("2021", "2021", 3), entry("none", "Không rõ ngày", 0, True)]
    assert chosen["category"] == [entry("none", "Chưa phân loại", 0, True), entry("Thể thao", "Thể thao", 3)]
    assert chosen["source"] == [entry("none", "Không rõ nguồn", 0, True), entry("vnexpress.net", "vnexpress.net", 3)]
    assert facet_items(FacetCounts(year={}, month={}, category={}, source={}), SearchRequest()) == {
        "year": [], "month": [], "category": [], "source": []}
