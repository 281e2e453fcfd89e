"""The timeline of a result set: a bar a year (a month once a year is chosen), from the date facets alone."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from search.request import SearchRequest
from web.app import create_app
from web.timeline import bars


@pytest.fixture(scope="module")
def context(demo_index):
    """Hold a request context of the app over the demo index, for url_for."""
    app = create_app({"INDEX_DIR": str(demo_index)})
    with app.test_request_context("/"):
        yield


def item(value: str, label: str, count: int, selected: bool = False) -> dict:
    """Return a facet item as the search returns it."""
    return {"value": value, "label": label, "count": count, "selected": selected}


def drawn(timeline: dict) -> dict:
    """Return a timeline with each bar's URL as its query parameters."""
    return {**timeline, "bars": [{**bar, "url": bar["url"] and parse_qs(urlsplit(bar["url"]).query)}
                                 for bar in timeline["bars"]]}


def test_a_bar_a_year_oldest_first_with_the_empty_years_between(context):
    facets = {"year": [item("2021", "2021", 600), item("2018", "2018", 3), item("2020", "2020", 1200),
                       item("none", "Không rõ ngày", 5)]}
    assert drawn(bars(SearchRequest(q="bão"), facets)) == {"title": "Số kết quả theo năm", "unit": "year", "bars": [
        {"short": "2018", "text": "Năm 2018: 3 kết quả", "count": 3, "step": 1, "selected": False,
         "url": {"q": ["bão"], "year": ["2018"]}},  # a bar with results is never flat
        {"short": "2019", "text": "Năm 2019: 0 kết quả", "count": 0, "step": 0, "selected": False, "url": None},
        {"short": "2020", "text": "Năm 2020: 1.200 kết quả", "count": 1200, "step": 20, "selected": False,
         "url": {"q": ["bão"], "year": ["2020"]}},
        {"short": "2021", "text": "Năm 2021: 600 kết quả", "count": 600, "step": 10, "selected": False,
         "url": {"q": ["bão"], "year": ["2021"]}},
    ]}


@pytest.mark.parametrize("first, last, labels", [
    (2015, 2020, ["2015", "2016", "2017", "2018", "2019", "2020"]),  # six years: four digits
    (2009, 2015, ["'09", "'10", "'11", "'12", "'13", "'14", "'15"]),  # seven: their last two
    (2004, 2015, [f"'{year % 100:02d}" for year in range(2004, 2016)]),  # twelve
    (2003, 2015, ["", "", "'05", "", "", "", "", "'10", "", "", "", "", ""]),  # thirteen: one in five, not at the ends
    (2004, 2020, [f"'{year % 100:02d}" if year % 5 == 0 and year < 2020 else "" for year in range(2004, 2021)]),
    (1966, 2025, [f"'{year % 100:02d}" if year % 5 == 0 and year < 2025 else "" for year in range(1966, 2026)]),
    (1966, 2026, [f"'{year % 100:02d}" if year % 10 == 0 else "" for year in range(1966, 2027)]),  # 61: one in ten
    (1950, 2015, [f"'{year % 100:02d}" if year % 10 == 0 and year > 1950 else "" for year in range(1950, 2016)]),  # 66
    (1800, 2026, [f"'{year % 100:02d}" if year % 25 == 0 and year > 1800 else "" for year in range(1800, 2027)]),
    # A date far off (a crawler's default, year 800): one in a hundred years however many they are.
    (800, 2026, [f"'{year % 100:02d}" if year % 100 == 0 and year > 800 else "" for year in range(800, 2027)]),
])
def test_years_are_labelled_as_many_as_fit_under_the_bars(context, first, last, labels):
    facets = {"year": [item(str(first), str(first), 2), item(str(last), str(last), 4)]}
    timeline = bars(SearchRequest(q="bão"), facets)
    assert [bar["short"] for bar in timeline["bars"]] == labels
    assert [bar["text"] for bar in timeline["bars"]] == [  # each bar still names its whole year
        f"Năm {year}: {dict([(first, 2), (last, 4)]).get(year, 0)} kết quả" for year in range(first, last + 1)]


def test_a_chosen_year_shows_its_twelve_months(context):
    request = SearchRequest(q="bão", year="2020", month="2020-03")
    facets = {"year": [item("2020", "2020", 21, True)],
              "month": [item("2020-03", "Tháng 3/2020", 7, True), item("2020-11", "Tháng 11/2020", 14)]}
    timeline = drawn(bars(request, facets))
    assert (timeline["title"], timeline["unit"]) == ("Số kết quả theo tháng năm 2020", "month")
    assert [(bar["short"], bar["text"], bar["step"], bar["selected"]) for bar in timeline["bars"]] == [
        (str(month), f"Tháng {month}/2020: {count} kết quả", step, month == 3)
        for month, count, step in [(m, {3: 7, 11: 14}.get(m, 0), {3: 10, 11: 20}.get(m, 0)) for m in range(1, 13)]]
    urls = {bar["short"]: bar["url"] for bar in timeline["bars"] if bar["url"]}
    assert urls == {"3": {"q": ["bão"], "year": ["2020"]},  # chosen: the bar takes the month off
                    "11": {"q": ["bão"], "year": ["2020"], "month": ["2020-11"]}}


def test_undated_chosen_or_nothing_dated_draws_the_years_or_nothing(context):
    facets = {"year": [item("2019", "2019", 2)], "month": [item("2019-05", "Tháng 5/2019", 2)]}
    assert bars(SearchRequest(q="bão", year="none"), facets)["unit"] == "year"
    assert bars(SearchRequest(q="bão"), {"year": [item("none", "Không rõ ngày", 4)]}) is None
    assert bars(SearchRequest(q="bão"), {}) is None
    assert bars(SearchRequest(q="bão", year="2019"), {}) is None
