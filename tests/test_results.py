"""The parts of the result dict that need no index: notices, active filters, what snippets mark.

search/results.py builds them for every backend; the searches themselves are tested in
test_search.py and test_api.py.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime

import pytest

from search.highlight import HighlightSpec
from search.parse import parse_query
from search.request import SearchRequest
from search.results import active_filters, highlight_spec, limits_reached, notices
from tests.helpers import PORTAL_ID

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


# The article page's dict, on the demo index ------------------------------------------------

ARTICLE_KEYS = ["id", "title", "title_html", "title_derived", "url", "published", "category", "source", "portal",
                "body", "body_html"]


def body_marks(article: dict) -> list[str]:
    return [html.unescape(m) for m in re.findall(r"<mark>(.*?)</mark>", article["body_html"], re.DOTALL)]


def test_an_article_without_a_query_is_its_stored_fields_escaped_and_unmarked(engine):
    article = engine.article(PORTAL_ID)
    stored = engine.snapshot().stored(engine.snapshot().document_number(PORTAL_ID))
    assert list(article) == ARTICLE_KEYS
    assert {key: article[key] for key in ("id", "title", "url", "published", "category", "source", "portal", "body")} \
        == {key: stored.get(key) for key in ("id", "title", "url", "published", "category", "source", "portal", "body")}
    assert article["title_derived"] is False
    assert article["body_html"] == html.escape(article["body"], quote=False)
    assert article["title_html"] == html.escape(article["title"], quote=False)
    assert engine.article("no-such-article") is None


def test_an_article_marks_the_query_words_together_first_then_anywhere(engine):
    phrase_count = body_marks(engine.article(PORTAL_ID, q='"bộ chính trị"')).count("Bộ Chính trị")
    assert phrase_count > 1
    for match in ("auto", "together"):
        assert body_marks(engine.article(PORTAL_ID, q="bộ chính trị", match=match)) == ["Bộ Chính trị"] * phrase_count
    anywhere = engine.article(PORTAL_ID, q="bộ chính trị", match="all")
    assert "cán <mark>bộ</mark>" in anywhere["body_html"] and len(body_marks(anywhere)) > phrase_count
    assert body_marks(engine.article(PORTAL_ID, q="bộ chính trị", match="most")) == body_marks(anywhere)


def test_an_article_marks_other_accents_when_the_typed_ones_are_not_in_it(engine):
    article = engine.article(PORTAL_ID, q="bồ chính trí")
    assert body_marks(article) == body_marks(engine.article(PORTAL_ID, q="bộ chính trị"))
    assert engine.article(PORTAL_ID, q="tesla")["body_html"] == html.escape(article["body"], quote=False)


def test_an_article_asked_in_the_together_tier_marks_words_anywhere_when_they_are_not_together(engine):
    # "gương" and "Kiên Giang" are both in the portal article, never within a run of six syllables.
    together = body_marks(engine.article(PORTAL_ID, q="gương Kiên Giang", match="together"))
    assert together == body_marks(engine.article(PORTAL_ID, q="gương Kiên Giang", match="all"))
    assert "gương" in together and "Kiên Giang" in together


def test_health_reports_status_live_articles_last_reindex_and_generation(engine, demo_index):
    health = engine.health()
    assert list(health) == ["status", "documents", "last_reindex", "generation"]
    assert (health["status"], health["documents"]) == ("ok", 201)
    assert (demo_index / "current").resolve().name == health["generation"]
    assert datetime.fromisoformat(health["last_reindex"]).tzinfo is not None
