"""The search page's forgiving reading of its parameters (the JSON API answers 400 for the same ones)."""

from __future__ import annotations

from datetime import date

from search.request import SearchRequest
from web.forgiving import DATE_HINT, page_request


def test_a_blank_date_is_no_date_and_says_nothing():
    read = page_request({"q": ["bão"], "from": ["   "], "to": [""]})
    assert (read.search, read.notices, read.date_errors, read.typed_dates) == (SearchRequest(q="bão"), [], {}, {})


def test_a_reversed_range_is_swapped_and_said_and_an_equal_one_is_kept_silently():
    read = page_request({"from": ["31/12/2020"], "to": ["1/1/2020"]})
    assert (read.search.date_from, read.search.date_to) == (date(2020, 1, 1), date(2020, 12, 31))
    assert read.notices == ["Ngày bắt đầu sau ngày kết thúc nên đã đổi chỗ: từ 01/01/2020 đến 31/12/2020."]
    assert read.typed_dates == {}  # the boxes show the swapped dates, not the typed ones
    same = page_request({"from": ["5/6/2020"], "to": ["2020-06-05"]})
    assert (same.search.date_from, same.search.date_to, same.notices) == (date(2020, 6, 5), date(2020, 6, 5), [])
    assert same.typed_dates == {"from": "5/6/2020", "to": "2020-06-05"}


def test_a_parameter_without_its_own_notice_gets_the_general_one_naming_it():
    read = page_request({"q": ["bão"], "match": ["gần-nhau"]})
    assert read.search == SearchRequest(q="bão")
    assert read.notices == ["Tham số “match” có giá trị “gần-nhau” không dùng được nên đang dùng mặc định."]


def test_a_long_date_that_is_not_one_is_quoted_to_40_characters():
    typed = "ngày mai hoặc ngày kia hoặc tuần sau nữa cũng được"
    read = page_request({"from": [typed]})
    assert read.date_errors == {"from": f"“{typed[:40]}” không phải là ngày. {DATE_HINT}"}
    assert read.notices == [f"Ngày “{typed[:40]}” không dùng được nên chưa lọc từ ngày đó."]
    assert read.search == SearchRequest()
