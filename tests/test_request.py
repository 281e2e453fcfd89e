"""The search request: parameters read, checked, defaulted and written back as URL parameters.

No index is needed: these are the rules every backend relies on (search/request.py).
"""

from __future__ import annotations

from datetime import date

import pytest

from search.request import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, QueryError, SearchRequest

EVERY_PARAMETER = {"q": "bo chinh tri", "page": "2", "size": "20", "sort": "newest", "from": "2019-01-01",
                   "to": "2019-12-31", "year": "2019", "month": "8", "category": ["Thể thao", "Giáo dục"],
                   "source": ["vnexpress.net"], "match": "all", "correct": "0"}


def test_every_parameter_is_read_into_the_request():
    assert SearchRequest.from_params(EVERY_PARAMETER) == SearchRequest(
        q="bo chinh tri", page=2, size=20, sort="newest", date_from=date(2019, 1, 1), date_to=date(2019, 12, 31),
        year="2019", month="2019-08", categories=("Thể thao", "Giáo dục"), sources=("vnexpress.net",), match="all",
        correct=False)


def test_missing_or_empty_parameters_take_their_defaults():
    defaults = SearchRequest(q="", page=1, size=DEFAULT_PAGE_SIZE, sort="relevance", match="auto")
    assert SearchRequest.from_params({}) == defaults
    empty = {key: "" for key in ("q", "page", "size", "sort", "from", "to", "year", "month", "match", "correct")}
    assert SearchRequest.from_params(empty) == defaults
    assert SearchRequest.from_params({key: None for key in empty}) == defaults
    assert SearchRequest.from_params({"category": [None, "Thể thao"], "source": None}).categories == ("Thể thao",)


def test_request_written_as_url_parameters_reads_back_the_same():
    request = SearchRequest.from_params(EVERY_PARAMETER)
    assert request.params() == {
        "q": "bo chinh tri", "sort": "newest", "match": "all", "from": "2019-01-01", "to": "2019-12-31",
        "year": "2019", "month": "2019-08", "category": ["Thể thao", "Giáo dục"], "source": ["vnexpress.net"],
        "size": 20, "page": 2, "correct": "0"}
    assert SearchRequest.from_params(request.params()) == request


def test_url_parameters_leave_defaults_out_and_apply_changes():
    assert SearchRequest().params() == {}
    assert SearchRequest(q="covid").params(page=3, sort="oldest") == {"q": "covid", "sort": "oldest", "page": 3}
    assert SearchRequest(q="covid", page=3, match="most").params(page=1, match="auto") == {"q": "covid"}
    assert SearchRequest(q="covid", correct=False).params(correct=True) == {"q": "covid"}
    assert SearchRequest.from_params({"correct": "1"}) == SearchRequest()


@pytest.mark.parametrize("text, number", [("1", 1), (" 7 ", 7), (str(MAX_PAGE), MAX_PAGE)])
def test_page_numbers_from_one_to_the_last_page_allowed_are_read(text, number):
    assert SearchRequest.from_params({"page": text}).page == number


@pytest.mark.parametrize("params, message", [
    ({"page": "0"}, "'page' must be between 1 and 1000, not 0"),
    ({"page": str(MAX_PAGE + 1)}, "'page' must be between 1 and 1000, not 1001"),
    ({"page": "hai"}, "'page' must be a whole number, not 'hai'"),
    ({"page": "9" * 60}, "'page' must be between 1 and 1000, not " + "9" * 60),
    ({"size": "x" * 60}, "'size' must be a whole number, not '" + "x" * 40 + "'"),
    ({"size": "0"}, "'size' must be at least 1, not 0"),
    ({"sort": "bogus"}, "'sort' must be one of relevance, newest, oldest, not 'bogus'"),
    ({"match": "x" * 60}, "'match' must be one of auto, together, all, most, not '" + "x" * 40 + "'"),
    ({"correct": "yes"}, "'correct' must be one of 1, 0, not 'yes'"),
    ({"from": "2019-13-45"}, "'from' must be a date as YYYY-MM-DD, not '2019-13-45'"),
    ({"to": "y" * 60}, "'to' must be a date as YYYY-MM-DD, not '" + "y" * 40 + "'"),
    ({"year": "năm ngoái"}, "'year' must be a year such as 2021 (or 'none'), not 'năm ngoái'"),
    ({"year": "z" * 60}, "'year' must be a year such as 2021 (or 'none'), not '" + "z" * 40 + "'"),
    ({"month": "13"}, "'month' must be YYYY-MM (or 1-12 with a year), not '13'"),
    ({"month": "m" * 60}, "'month' must be YYYY-MM (or 1-12 with a year), not '" + "m" * 40 + "'"),
])
def test_a_bad_parameter_is_named_with_what_it_must_be_and_the_value_cut_to_forty_characters(params, message):
    with pytest.raises(QueryError) as error:
        SearchRequest.from_params(params)
    assert (error.value.param, error.value.message, str(error.value)) == (next(iter(params)), message, message)


def test_page_size_above_the_cap_is_lowered_to_it():
    assert SearchRequest.from_params({"size": str(MAX_PAGE_SIZE + 1)}).size == MAX_PAGE_SIZE
    assert SearchRequest.from_params({"size": " 1 "}).size == 1


@pytest.mark.parametrize("text, year", [("2021", "2021"), (" 2021 ", "2021"), ("none", "none"), ("0999", "0999")])
def test_a_year_is_four_digits_or_none(text, year):
    assert SearchRequest.from_params({"year": text}).year == year


@pytest.mark.parametrize("text", ["21", "20211", "none2", "202a"])
def test_other_years_are_refused(text):
    with pytest.raises(QueryError):
        SearchRequest.from_params({"year": text})


@pytest.mark.parametrize("params, month", [
    ({"month": "2021-4"}, "2021-04"), ({"month": " 2021-12 "}, "2021-12"), ({"month": "2021-01"}, "2021-01"),
    ({"year": "2021", "month": "4"}, "2021-04"), ({"year": "2021", "month": "12"}, "2021-12"),
    ({"year": "2020", "month": "2021-03"}, "2021-03"),
])
def test_a_month_is_year_and_month_or_a_month_number_of_the_chosen_year(params, month):
    assert SearchRequest.from_params(params).month == month


@pytest.mark.parametrize("params", [
    {"month": "4"}, {"year": "none", "month": "4"}, {"year": "2021", "month": "0"}, {"year": "2021", "month": "13"},
    {"month": "2021-00"}, {"month": "2021-13"}, {"month": "2021-4-1"}, {"year": "2021", "month": "x4"},
])
def test_a_month_without_its_year_or_out_of_range_is_refused(params):
    with pytest.raises(QueryError) as error:
        SearchRequest.from_params(params)
    assert error.value.param == "month"


def test_repeated_parameters_take_the_first_value_except_categories_and_sources():
    request = SearchRequest.from_params({"q": ("covid", "vắc xin"), "page": ["3", "4"], "category": ("A", "B"),
                                         "source": ["x", 5]})
    assert (request.q, request.page, request.categories, request.sources) == ("covid", 3, ("A", "B"), ("x", "5"))
