"""The parts of the result dict that need no index: notices, active filters, what snippets mark.

search/results.py builds them for every backend; the searches themselves are tested in
test_search.py and test_api.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from search.highlight import HighlightSpec
from search.parse import parse_query
from search.request import SearchRequest
from search.results import active_filters, highlight_spec, limits_reached, notices

PARTIAL = "Một phần chỉ mục tạm thời không phản hồi: kết quả và số lượng có thể chưa đầy đủ."
TYPOS = "Truy vấn có quá nhiều từ lạ: chỉ kiểm tra chính tả vài từ đầu tiên."
FOLDED = "Không có bài nào chứa các từ với đúng dấu đã gõ: hiển thị kết quả không phân biệt dấu."
SOME_WORDS = "Không đủ kết quả chứa tất cả các từ: hiển thị cả kết quả chứa một phần các từ."


def test_a_plain_query_answered_as_typed_brings_no_notice():
    assert notices(parse_query("bộ chính trị"), "all") == []
    assert notices(parse_query("bộ chính trị"), "most") == []


def test_every_notice_in_order_when_everything_happened():
    parsed = parse_query("học sinh " * 200, max_terms=1)
    assert parsed.truncated and parsed.terms_cut
    assert notices(parsed, "any", ["terms", "typo_correction"], "folded", asked=False, partial=True) == [
        PARTIAL, f"Truy vấn quá dài: chỉ dùng {len(parsed.text)} ký tự đầu.",
        "Truy vấn có quá nhiều từ: chỉ tìm 1 từ đầu tiên.", TYPOS, FOLDED, SOME_WORDS]


def test_the_some_words_notice_is_left_out_when_the_reader_chose_the_tier():
    assert notices(parse_query("thanh nien dot tu"), "any", asked=True) == []
    assert notices(parse_query("thanh nien dot tu"), "any") == [SOME_WORDS]
    assert notices(parse_query("bo chinh tri"), "all", accents="folded") == [FOLDED]


def test_the_terms_notice_counts_the_distinct_words_searched():
    parsed = parse_query("bộ chính trị bộ hà nội", max_terms=3)
    assert notices(parsed, "all", ["terms"]) == ["Truy vấn có quá nhiều từ: chỉ tìm 3 từ đầu tiên."]


def test_limits_reached_names_each_bound_the_query_reached():
    assert limits_reached(parse_query("bộ chính trị"), False) == []
    assert limits_reached(parse_query("bộ chính trị"), True) == ["typo_correction"]
    assert limits_reached(parse_query("bộ chính trị hà nội", max_terms=2), True) == ["terms", "typo_correction"]


def test_active_filters_are_plain_values_and_none_when_unset():
    assert active_filters(SearchRequest()) == {"from": None, "to": None, "year": None, "month": None,
                                               "category": [], "source": []}
    request = SearchRequest(date_from=date(2019, 8, 1), date_to=date(2019, 8, 31), year="2019", month="2019-08",
                            categories=("Thể thao",), sources=("vnexpress.net", "none"))
    assert active_filters(request) == {"from": "2019-08-01", "to": "2019-08-31", "year": "2019", "month": "2019-08",
                                       "category": ["Thể thao"], "source": ["vnexpress.net", "none"]}


@pytest.mark.parametrize("q, tier, accents, spec", [
    # In the together tier plain words are marked only within their window (2 per syllable).
    ("bộ chính trị", "together", "exact", HighlightSpec(("bộ", "chính", "trị"), (), 6)),
    ("bộ chính trị", "all", "exact", HighlightSpec(("bộ", "chính", "trị"), (), 0)),
    # Answered folded: the accents typed are not required any more.
    ("bộ chính trị", "together", "folded", HighlightSpec(("bo", "chinh", "tri"), (), 6)),
    ('"hà nội" covid', "together", "exact", HighlightSpec(("covid",), (("hà", "nội"),), 6)),
    ('"hà nội" covid', "all", "folded", HighlightSpec(("covid",), (("ha", "noi"),), 0)),
    # A title: word or an OR is not part of the together run: no window.
    ("title:covid hà nội", "together", "exact", HighlightSpec(("covid", "hà", "nội"), (), 0)),
    ("covid OR cúm", "together", "exact", HighlightSpec(("covid", "cúm"), (), 0)),
])
def test_snippets_mark_the_terms_as_the_tier_and_accents_matched_them(q, tier, accents, spec):
    assert highlight_spec(parse_query(q), tier, accents) == spec
