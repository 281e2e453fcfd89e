"""The parts of the result dict that need no index: notices, active filters, what snippets mark.

search/results.py builds them for every backend; the searches themselves are tested in
test_search.py and test_api.py.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import replace
from datetime import date, datetime

import pytest

from search import abbreviations, highlight, results
from search.backend import Matches
from search.highlight import HighlightSpec
from search.parse import keep_rarest, parse_query
from search.ranking import DEFAULT_RANKING
from search.request import QueryError, SearchRequest
from search.results import (
    ANCHOR_WORDS,
    ANCHORED_TERMS,
    _corrected,
    absence_notices,
    absent_references,
    active_filters,
    health,
    highlight_spec,
    limits_reached,
    notices,
    postings_bound,
    request_view,
    title_of,
)
from search.understand import Understood, Vocabulary, understand
from tests.helpers import DEMO_ARTICLES, PORTAL_ID

PARTIAL = "Một phần chỉ mục tạm thời không phản hồi: kết quả và số lượng có thể chưa đầy đủ."
TYPOS = "Truy vấn có quá nhiều từ lạ: chỉ kiểm tra chính tả vài từ đầu tiên."
FOLDED = "Không có bài nào chứa các từ với đúng dấu đã gõ: hiển thị kết quả không phân biệt dấu."
FOLDED_TOGETHER = "Không có bài nào chứa các từ đứng gần nhau với đúng dấu đã gõ: hiển thị kết quả không phân biệt dấu."
SOME_WORDS = "Không đủ kết quả chứa tất cả các từ: hiển thị cả kết quả chứa một phần các từ."


def test_a_plain_query_answered_as_typed_brings_no_notice():
    assert notices(parse_query("bộ chính trị"), "all") == []
    assert notices(parse_query("bộ chính trị"), "most") == []


def test_every_notice_in_order_when_everything_happened():
    parsed = parse_query("học sinh " * 200, max_terms=1)
    assert parsed.truncated and parsed.terms_cut
    limited = ["terms", "typo_correction", "readings", "suggestion", "ranked_articles"]
    assert notices(parsed, "any", limited, "folded", asked=False, partial=True) == [
        PARTIAL, f"Truy vấn quá dài: chỉ dùng {len(parsed.text)} ký tự đầu.",
        "Truy vấn có quá nhiều từ: chỉ tìm 1 từ đầu tiên.", TYPOS,
        "Truy vấn có nhiều cách hiểu: chỉ xét vài cách hiểu đầu tiên.",
        "Truy vấn dài: gợi ý “Có phải bạn muốn tìm” chưa được tìm thử.",
        "Truy vấn dài khớp với phần lớn các bài: chỉ xếp hạng những bài chứa nhiều từ của truy vấn nhất.",
        FOLDED, SOME_WORDS]


def test_the_some_words_notice_is_left_out_when_the_reader_chose_the_tier_or_nothing_was_found():
    assert notices(parse_query("thanh nien dot tu"), "any", asked=True) == []
    assert notices(parse_query("thanh nien dot tu"), "any", found=False) == []
    assert notices(parse_query("thanh nien dot tu"), "any") == [SOME_WORDS]
    assert notices(parse_query("bo chinh tri"), "all", accents="folded") == [FOLDED]


def test_the_folded_notice_says_what_no_article_holds_with_the_accents_typed_the_words_or_them_together():
    # Answered from the words together with other accents, some articles may hold the words as typed apart.
    assert notices(parse_query("bồ chính trí"), "all", accents="folded", tier="together") == [FOLDED_TOGETHER]
    assert notices(parse_query("bồ chính trí"), "all", accents="folded", tier="all") == [FOLDED]
    assert notices(parse_query("bồ chính trí"), "all", accents="exact", tier="together") == []


def test_the_terms_notice_counts_the_distinct_words_searched():
    parsed = parse_query("bộ chính trị bộ hà nội", max_terms=3)
    assert notices(parsed, "all", ["terms"]) == ["Truy vấn có quá nhiều từ: chỉ tìm 3 từ đầu tiên."]


def test_a_query_over_the_budget_leaves_out_its_commonest_words_and_keeps_the_rest_in_order():
    parsed = parse_query("của các bộ và chính trị là của các Hà Nội")
    holding = {"cua": 90, "cac": 80, "va": 70, "la": 60, "bo": 5, "chinh": 5, "tri": 3, "ha": 9, "noi": 9}
    cut = keep_rarest(parsed, 5, lambda w: holding.get(w, 0))
    assert [s.exact for s in cut.syllables] == ["bộ", "chính", "trị", "hà", "nội"]
    assert cut.common_cut == ["của", "các", "và", "là"]
    assert (cut.text, parsed.common_cut, len(parsed.syllables)) == (parsed.text, [], 11)


def test_a_quoted_word_over_the_budget_is_kept_as_words_in_quotes_always_are():
    parsed = parse_query('"của" các bộ và chính trị là "các" Hà Nội')
    holding = {"cua": 90, "cac": 80, "va": 70, "la": 60, "bo": 5, "chinh": 5, "tri": 3, "ha": 9, "noi": 9}
    cut = keep_rarest(parsed, 7, lambda w: holding.get(w, 0))
    # "các" is quoted once: the syllable is kept wherever it stands, as a phrase's syllables are.
    assert [s.exact for s in cut.syllables] == ["của", "các", "bộ", "chính", "trị", "các", "hà", "nội"]
    assert cut.common_cut == ["và", "là"]


def test_a_query_within_the_budget_is_left_as_it_is():
    parsed = parse_query("của các bộ và chính trị")
    assert keep_rarest(parsed, 6, {"cua": 90}.get) is parsed
    assert keep_rarest(parsed, 5, lambda w: 90 if w == "cua" else 0).common_cut == ["của"]


def test_a_question_over_the_postings_budget_leaves_out_its_commonest_words_down_to_keep():
    parsed = parse_query("của các bộ và chính trị là hà nội")
    holding = {"cua": 90, "cac": 80, "va": 70, "la": 60, "bo": 5, "chinh": 5, "tri": 3, "ha": 9, "noi": 9}
    frequency = lambda w: holding.get(w, 0)  # noqa: E731
    # 331 postings in all: "của" and "các" go (161 left), "và" too (91), then "là" (31 <= 40).
    cut = keep_rarest(parsed, 48, frequency, postings=40, keep=2)
    assert cut.common_cut == ["của", "các", "và", "là"]
    assert [s.exact for s in cut.syllables] == ["bộ", "chính", "trị", "hà", "nội"]
    # Never fewer than keep distinct syllables, whatever they hold.
    assert [s.exact for s in keep_rarest(parsed, 48, frequency, postings=1, keep=6).syllables] == [
        "bộ", "chính", "trị", "là", "hà", "nội"]
    # Within the budget, or no more syllables than keep: left as it is.
    assert keep_rarest(parsed, 48, frequency, postings=331, keep=2) is parsed
    assert keep_rarest(parsed, 48, frequency, postings=1, keep=9) is parsed
    # Both bounds: the count first ("của", "các"), then the postings ("và": 91 -> 21).
    assert keep_rarest(parsed, 7, frequency, postings=100, keep=2).common_cut == ["của", "các", "và"]


def test_a_word_typed_with_accents_counts_the_postings_of_both_its_forms_against_the_postings_budget():
    # "của" is read as typed and folded ("cua"): both lists count; a word typed without accents, once.
    holding = {"cua": 90, "của": 80, "cac": 80, "các": 70, "va": 70, "và": 60, "la": 60, "là": 50,
               "bo": 5, "bộ": 4, "chinh": 5, "chính": 4, "tri": 3, "trị": 2, "ha": 9, "hà": 8, "noi": 9, "nội": 8}
    frequency = lambda w: holding.get(w, 0)  # noqa: E731
    accented, plain = parse_query("của các bộ và chính trị là hà nội"), parse_query("cua cac bo va chinh tri la ha noi")
    # Folded, 331 postings in all; with the typed forms 331 + 286 = 617.
    assert keep_rarest(plain, 48, frequency, postings=331, keep=2) is plain
    cut = keep_rarest(accented, 48, frequency, postings=331, keep=2)
    # "của" goes (617 - 170 = 447), then "các" (297 <= 331).
    assert cut.common_cut == ["của", "các"]
    assert keep_rarest(accented, 48, frequency, postings=617, keep=2) is accented
    # Within the bound even if each typed form held all its folded syllable holds (2 x 331): not looked up.
    asked = []
    assert keep_rarest(accented, 48, lambda w: asked.append(w) or frequency(w), postings=662, keep=2) is accented
    assert asked and all(w.isascii() for w in asked)
    # Typed twice with other accents ("có" and "cỏ"), a syllable counts each form it is typed in.
    twice = parse_query("có cỏ bộ chính trị hà nội")
    forms = {"co": 100, "có": 90, "cỏ": 10}
    assert keep_rarest(twice, 48, lambda w: forms.get(w, 0), postings=150, keep=2).common_cut == ["có"]
    assert keep_rarest(twice, 48, lambda w: forms.get(w, 0), postings=200, keep=2) is twice


def test_quoted_words_field_words_or_groups_and_joined_words_are_never_left_out():
    parsed = parse_query('"của dân" title:là và OR các covid-19 bộ chính trị hà nội của')
    holding = {"cua": 90, "la": 80, "va": 70, "cac": 60, "covid": 50, "19": 40, "ha": 20}
    cut = keep_rarest(parsed, 11, lambda w: holding.get(w, 0))
    # Of the 12 distinct syllables, only the plain single words may go: "hà" is the commonest of them
    # ("của" also stands in the quotes, so it stays).
    assert cut.common_cut == ["hà"]
    assert [[" ".join(s.exact for s in c.syllables) for c in group] for group in cut.groups] == [
        ["của dân"], ["là"], ["và", "các"], ["covid 19"], ["bộ"], ["chính"], ["trị"], ["nội"], ["của"]]


def test_of_equally_common_words_the_later_is_left_out_first():
    parsed = parse_query("của các bộ chính trị")
    holding = {"cua": 50, "cac": 50, "bo": 5, "chinh": 5, "tri": 3}
    assert keep_rarest(parsed, 4, lambda w: holding.get(w, 0)).common_cut == ["các"]
    assert keep_rarest(parsed, 3, lambda w: holding.get(w, 0)).common_cut == ["của", "các"]


def test_the_postings_bound_keeps_one_syllable_unless_told_otherwise():
    parsed = parse_query("của các bộ")
    holding = {"cua": 90, "cac": 80, "bo": 5}
    cut = keep_rarest(parsed, 48, lambda w: holding.get(w, 0), postings=0)
    assert ([s.exact for s in cut.syllables], cut.common_cut) == (["bộ"], ["của", "các"])


def test_a_query_of_no_more_syllables_than_keep_is_left_as_it_is_without_a_look_up():
    parsed = parse_query("của các")
    asked = []
    assert keep_rarest(parsed, 48, lambda w: asked.append(w) or 90, postings=0, keep=2) is parsed
    assert asked == []


def test_words_no_article_holds_are_kept_under_a_postings_bound_of_zero():
    parsed = parse_query("xyzq qwzx")
    assert keep_rarest(parsed, 48, lambda w: 0, postings=0, keep=1) is parsed


def test_when_every_plain_word_is_left_out_the_quoted_ones_stay_whatever_they_hold():
    # The plain words go, the commonest first; the quoted phrase still holds more than the bound.
    parsed = parse_query('"bộ chính" trị hà')
    holding = {"bo": 90, "chinh": 80, "tri": 70, "ha": 60}
    cut = keep_rarest(parsed, 48, lambda w: holding.get(w, 0), postings=10, keep=1)
    assert (cut.common_cut, [[" ".join(s.exact for s in c.syllables) for c in group] for group in cut.groups]) == (
        ["trị", "hà"], [["bộ chính"]])


def test_the_common_words_notice_names_the_first_five_words_left_out():
    assert notices(parse_query("bộ chính trị"), "all", ["common_words"], common=["của", "là"]) == [
        "Truy vấn dài: bỏ qua 2 từ thông dụng nhất (“của”, “là”)."]
    words = ["của", "là", "và", "các", "được", "có"]
    assert notices(parse_query("bộ chính trị"), "all", ["common_words"], common=words) == [
        "Truy vấn dài: bỏ qua 6 từ thông dụng nhất (“của”, “là”, “và”, “các”, “được”, …)."]
    assert notices(parse_query("bộ chính trị"), "all", ["common_words"], common=words[:5]) == [
        "Truy vấn dài: bỏ qua 5 từ thông dụng nhất (“của”, “là”, “và”, “các”, “được”)."]


def test_limits_reached_names_each_bound_the_query_reached():
    assert limits_reached(parse_query("bộ chính trị"), False) == []
    assert limits_reached(parse_query("bộ chính trị"), True) == ["typo_correction"]
    assert limits_reached(parse_query("bộ chính trị hà nội", max_terms=2), True) == ["terms", "typo_correction"]
    assert limits_reached(parse_query("bộ chính trị"), False, True) == ["readings"]
    assert limits_reached(parse_query("bộ chính trị", max_terms=2), True, True) == [
        "terms", "typo_correction", "readings"]
    assert limits_reached(parse_query("bộ chính trị", max_terms=2), True, True, True, True) == [
        "terms", "common_words", "typo_correction", "readings", "suggestion"]
    assert limits_reached(parse_query("bộ chính trị"), False, False, True) == ["suggestion"]
    assert limits_reached(parse_query("bộ chính trị"), False, ranked=True) == ["ranked_articles"]
    assert limits_reached(parse_query("bộ chính trị", max_terms=2), True, True, True, True, True) == [
        "terms", "common_words", "typo_correction", "readings", "suggestion", "ranked_articles"]


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


# The result dict of a search, on the demo index -------------------------------------------------


def searched(engine, q: str, **params) -> dict:
    return engine.search(SearchRequest.from_params({"q": q, **params}))


def test_a_search_result_holds_every_key_in_order_with_the_request_and_the_match(engine):
    result = searched(engine, "bộ chính trị")
    assert list(result) == ["query", "total", "page", "size", "pages", "sort", "matching", "match", "tier", "accents",
                            "wider", "took_ms", "suggestion", "notices", "hits", "facets", "filters", "limited",
                            "partial", "corrected"]
    assert {key: value for key, value in result.items() if key not in ("took_ms", "hits", "facets", "wider")} == {
        "query": "bộ chính trị", "total": 3, "page": 1, "size": 10, "pages": 1, "sort": "relevance",
        "matching": "all", "match": "auto", "tier": "together", "accents": "exact", "suggestion": None,
        "notices": [], "filters": active_filters(SearchRequest()), "limited": [], "partial": False, "corrected": None}
    assert len(result["hits"]) == 3 and result["took_ms"] > 0 and list(result["facets"]) == [
        "year", "month", "category", "source"]
    # The words are marked with the accents typed (and only within their window: test_highlight.py).
    shown = "".join(h["title_html"] + h["snippet"] for h in result["hits"])
    marked = {word for m in re.findall(r"<mark>(.*?)</mark>", shown) for word in m.lower().split()}
    assert marked == {"bộ", "chính", "trị"}


@pytest.mark.parametrize("size, pages", [(10, 1), (3, 1), (2, 2), (1, 3)])
def test_pages_are_the_total_divided_by_the_page_size_rounded_up(engine, size, pages):
    result = searched(engine, "bộ chính trị", size=size, sort="newest")
    assert (result["total"], result["size"], result["pages"], result["sort"]) == (3, size, pages, "newest")


def test_a_search_finding_nothing_has_one_empty_page(engine):
    result = searched(engine, "qxz", page=2, match="all")
    assert (result["total"], result["page"], result["pages"], result["hits"], result["match"]) == (0, 2, 1, [], "all")


def test_the_default_abbreviation_dictionary_is_used(engine):
    assert searched(engine, "UBND")["notices"] == ["Tìm cả “ủy ban nhân dân” cho “UBND”."]


def test_a_query_of_many_unknown_words_reports_the_typo_correction_bound(engine):
    result = searched(engine, "qxz " * 30)
    assert result["limited"] == ["typo_correction"] and TYPOS in result["notices"]


def test_a_telex_query_is_suggested_spelled_out(engine):
    assert searched(engine, "Coong Phuwowngj")["suggestion"] == "Công Phượng"


def test_a_telex_query_typed_in_capitals_finds_what_it_finds_in_small_letters(engine):
    typed = searched(engine, "chir thij 05 booj chinhs trij")
    shouted = searched(engine, "CHIR THIJ 05 BOOJ CHINHS TRIJ")
    assert typed["total"] > 0 and shouted["hits"][0]["id"] == "kiengiang-2019-08-21-chi-thi-05.txt"
    assert [h["id"] for h in shouted["hits"]] == [h["id"] for h in typed["hits"]]
    assert (shouted["total"], shouted["facets"]) == (typed["total"], typed["facets"])


def test_the_query_term_bound_comes_from_the_engine_ranking(demo_index):
    from search.engine import SearchEngine
    from search.ranking import Ranking

    result = SearchEngine(demo_index, ranking=Ranking(max_query_terms=2)).search(SearchRequest(q="bộ chính trị họp"))
    assert result["limited"] == ["terms"] and "Truy vấn có quá nhiều từ: chỉ tìm 2 từ đầu tiên." in result["notices"]


def test_an_article_in_the_all_tier_marks_only_the_accents_typed(engine):
    article = engine.article(PORTAL_ID, q="bộ chính trị", match="all")
    assert {m.lower() for m in body_marks(article)} == {"bộ", "chính", "bộ chính trị", "chính trị"}
    assert body_marks(engine.article(PORTAL_ID, q="tesla", match="all")) == []
    assert body_marks(engine.article(PORTAL_ID, q="tesla", match="most")) == []


def test_a_search_asked_without_suggestion_neither_suggests_nor_checks_spelling(engine):
    assert searched(engine, "Coong Phuwowngj")["suggestion"] == "Công Phượng"
    quiet = engine.search(SearchRequest(q="Coong Phuwowngj", suggest=False))
    assert quiet["suggestion"] is None and quiet["total"] == searched(engine, "Coong Phuwowngj")["total"]
    unknown = engine.search(SearchRequest(q="qxz " * 30, suggest=False))
    assert (unknown["suggestion"], unknown["limited"]) == (None, [])


@pytest.mark.parametrize("params", [{}, {"page": "2"}, {"size": "5"}, {"size": "50"}, {"sort": "newest"},
                                    {"year": "2019"}, {"category": "Thể thao"}])
def test_the_page_the_order_and_the_filters_never_change_the_suggestion(engine, params):
    assert searched(engine, "Coong Phuwowngj", **params)["suggestion"] == "Công Phượng"


def test_hits_without_snippets_keep_the_stored_fields_and_an_unmarked_title(engine):
    result = engine.search(SearchRequest(q="bộ chính trị", snippets=False))
    snapshot = engine.snapshot()
    for found in result["hits"]:
        stored = snapshot.stored(snapshot.document_number(found["id"]))
        assert list(found) == ["id", "title", "title_html", "title_derived", "url", "published", "category", "source",
                               "portal", "snippet", "score"]
        assert {key: found[key] for key in ("id", "title", "url", "published", "category", "source", "portal")} == {
            key: stored.get(key) for key in ("id", "title", "url", "published", "category", "source", "portal")}
        assert found["title_html"] == html.escape(found["title"], quote=False) and found["snippet"] == ""
        assert found["title_derived"] is bool(stored.get("title_derived"))
        assert isinstance(found["score"], float) and found["score"] == round(found["score"], 4) > 0
    marked = engine.search(SearchRequest(q="bộ chính trị"))["hits"]
    assert [h["id"] for h in marked] == [h["id"] for h in result["hits"]]
    assert all("<mark>" in h["snippet"] for h in marked)


@pytest.mark.parametrize(("tier", "expected"), [
    ("together", HighlightSpec(("bộ",), (("chính", "trị"),), 6)),
    ("all", HighlightSpec(("bộ",), (("chính", "trị"),))),
    ("most", HighlightSpec(("bộ", "chính", "trị"))),  # the syllables counted one by one
])
def test_a_compound_word_is_marked_whole_in_the_tiers_that_keep_it_in_a_row(tier, expected):
    parsed = parse_query("bộ chính trị")
    parsed = replace(parsed, compounds=[parsed.syllables[1:3]])
    assert highlight_spec(parsed, tier) == expected


def test_the_some_words_notice_follows_the_tier_asked_for_and_the_folded_notice_the_accents(engine):
    # No article holds both words: the answer comes from the "most" tier.
    assert searched(engine, "vinamilk tesla")["notices"] == [SOME_WORDS]
    assert searched(engine, "vinamilk tesla", match="most")["notices"] == []
    assert searched(engine, "bồ chính trí")["notices"] == [FOLDED_TOGETHER]
    # Some articles hold "bồ", "chính" and "trí" apart; none the word "chính trí" with those accents
    # (the all tier keeps a compound in a row), so the all tier asked for is answered folded too.
    assert [searched(engine, "bồ chính trí", match="all")[key] for key in ("accents", "notices")] == [
        "folded", [FOLDED]]


def test_an_article_without_a_title_is_shown_with_its_derived_title_and_says_so(tmp_path):
    from search.engine import SearchEngine
    from search.index import reindex
    from tests.helpers import FIXTURES

    reindex(tmp_path / "index", [str(FIXTURES / "derived_titles.jsonl")], procs=1)
    engine = SearchEngine(tmp_path / "index")
    article = engine.article("derived-cong-nghe")
    assert article["title_derived"] is True and article["title"].startswith("Một hãng công nghệ Trung Quốc")
    hit = next(h for h in searched(engine, "kuaishou")["hits"] if h["id"] == "derived-cong-nghe")
    assert hit["title_derived"] is True


def test_a_search_asked_without_facets_has_none(engine):
    result = engine.search(SearchRequest(q="bộ chính trị", facets=False))
    assert result["facets"] == {} and result["total"] == 3


# Correction: a query that finds nothing shows its "did you mean" query's results ----------------


def ids(result: dict) -> list[str]:
    return [h["id"] for h in result["hits"]]


def found_for(engine, q: str, **params) -> dict:
    return engine.search(SearchRequest.from_params({"q": q, "size": "50", **params}))


@pytest.mark.parametrize("typed, searched", [
    ("xuohg", "xuống"), ("qaun ly", "quản lý"), ("nguoj viet nam", "người Việt Nam")])
def test_a_query_no_article_holds_is_answered_by_its_suggestion_and_says_so(engine, typed, searched):
    result, better = found_for(engine, typed), found_for(engine, searched)
    assert better["total"] > 0 and better["matching"] == "all"
    assert result["corrected"] == {"typed": typed, "searched": searched} and result["suggestion"] is None
    assert (result["query"], result["total"], ids(result), result["facets"]) == (
        typed, better["total"], ids(better), better["facets"])
    assert result["notices"][0] == f"Không có bài nào chứa đủ các từ “{typed}”: hiển thị kết quả cho “{searched}”."
    as_typed = found_for(engine, typed, correct="0")
    assert as_typed["corrected"] is None and as_typed["suggestion"] == searched
    assert as_typed["total"] == 0 or as_typed["matching"] == "any"


def test_correction_keeps_the_filters_and_never_replaces_a_query_that_finds_its_words(engine):
    filtered = found_for(engine, "xuohg", year="2020", category="Thể thao")
    assert filtered["corrected"] == {"typed": "xuohg", "searched": "xuống"}
    assert ids(filtered) == ids(found_for(engine, "xuống", year="2020", category="Thể thao"))
    assert all(h["category"] == "Thể thao" and h["published"].startswith("2020") for h in filtered["hits"])
    # Found as typed (accents restored by did-you-mean, not by correction).
    found = found_for(engine, "chinh tri")
    assert found["corrected"] is None and found["suggestion"] == "chính trị" and found["total"] > 0
    # A tier asked for is answered as asked.
    assert found_for(engine, "xuohg", match="all")["corrected"] is None


def test_a_long_query_is_never_searched_a_second_time_as_its_suggestion(engine):
    nine = "nguoj xuohg chusn qaun ly hoc sinj covdi nma"
    eight = nine.rsplit(" ", 1)[0]
    assert found_for(engine, eight)["corrected"] is not None
    long = found_for(engine, nine)
    assert long["corrected"] is None and long["suggestion"] is not None


def test_the_correct_parameter_takes_1_or_0():
    assert SearchRequest.from_params({"q": "x"}).correct is True
    assert SearchRequest.from_params({"q": "x", "correct": "0"}).params() == {"q": "x", "correct": "0"}
    with pytest.raises(QueryError) as error:
        SearchRequest.from_params({"q": "x", "correct": "no"})
    assert error.value.param == "correct"


def test_a_long_querys_snippets_are_anchored_by_its_rarest_words_a_short_ones_by_every_word():
    # A pasted paragraph (more than ANCHORED_TERMS distinct words) chooses its snippets' fragments by its
    # ANCHOR_WORDS rarest words, in the order typed; a covid question of the latency mix by every word.
    body = DEMO_ARTICLES[0]["body"]
    words = list(dict.fromkeys(w.lower() for w in re.findall(r"[^\W_]+", body)))
    counts = Counter(highlight.fold(w.lower()) for article in DEMO_ARTICLES
                     for w in re.findall(r"[^\W_]+", article["body"]))
    long_query = parse_query(" ".join(words[:ANCHORED_TERMS + 8]))
    spec = highlight_spec(long_query, "most", "exact", counts.__getitem__)
    distinct = list(dict.fromkeys(spec.words))
    rarest = sorted(distinct, key=lambda w: (counts[highlight.fold(w)], distinct.index(w)))[:ANCHOR_WORDS]
    assert spec.anchors == tuple(w for w in distinct if w in rarest)
    assert len(spec.anchors) == ANCHOR_WORDS and spec.words == highlight_spec(long_query, "most").words
    assert highlight_spec(long_query, "most").anchors == ()  # no frequencies (an article page): none
    short_query = parse_query(" ".join(words[:ANCHORED_TERMS]))
    assert highlight_spec(short_query, "most", "exact", counts.__getitem__).anchors == ()


def test_a_querys_quoted_phrases_count_toward_anchoring_its_snippets_as_its_words_do():
    # Distinct words and quoted phrases together past ANCHORED_TERMS anchor the snippets.
    body = DEMO_ARTICLES[0]["body"]
    words = list(dict.fromkeys(w.lower() for w in re.findall(r"[^\W_]+", body) if w.isalpha()))
    counts = Counter(highlight.fold(w.lower()) for article in DEMO_ARTICLES
                     for w in re.findall(r"[^\W_]+", article["body"]))
    phrases = " ".join(f'"{first} {second}"' for first, second in zip(words[40:46:2], words[41:47:2], strict=True))
    for count, anchored in ((ANCHORED_TERMS - 3, False), (ANCHORED_TERMS - 2, True)):
        spec = highlight_spec(parse_query(" ".join(words[:count]) + " " + phrases), "most", "exact",
                              counts.__getitem__)
        assert (len(set(spec.words)), len(spec.phrases)) == (count, 3)
        assert bool(spec.anchors) is anchored


def test_a_slip_in_accents_typed_is_suggested_from_the_page_answered_without_them(engine):
    # How the page answered (without the accents typed: no article writes "bóng đa") is what
    # "did you mean" reads the slip by.
    result = found_for(engine, "bóng đa")
    assert (result["accents"], result["suggestion"], result["corrected"]) == ("folded", "bóng đá", None)


def test_did_you_mean_is_handed_the_pages_articles_only_when_they_are_the_querys_own_first_ten(engine, monkeypatch):
    # Otherwise (a filter, a later page, another order, fewer than ten) it reads the query's own first ten.
    handed = []
    correct = results.suggest.correct_query
    monkeypatch.setattr(results.suggest, "correct_query",
                        lambda *args, **kwargs: handed.append(args[2]) or correct(*args, **kwargs))
    first = found_for(engine, "viet nam")
    ten = found_for(engine, "viet nam", size="10")
    for params in ({"category": "Giải trí"}, {"page": "2"}, {"sort": "newest"}, {"size": "9"}):
        found_for(engine, "viet nam", **params)
    assert [None if documents is None else [d["id"] for d in documents] for documents in handed] == [
        [hit["id"] for hit in first["hits"]], [hit["id"] for hit in ten["hits"]], None, None, None, None]
    assert len(ten["hits"]) == 10 < len(first["hits"])


class Runs:
    """Term statistics holding given runs of folded syllables (each in some articles); it notes what is asked."""

    def __init__(self, *runs: str):
        self.runs, self.asked = {tuple(run.split()) for run in runs}, []

    def phrase_frequency(self, terms: list[str], most: int | None = None) -> int:
        self.asked.append(" ".join(terms))
        return int(tuple(terms) in self.runs)


def understood(engine, q: str) -> Understood:
    """Return q understood on the demo index (a document number's other writing added)."""
    return understand(parse_query(q), Vocabulary(engine.backend.statistics()), abbreviations.load())


@pytest.mark.parametrize("held, expected", [
    ((), ["15/2021/QĐ-TTg", "5-CT/TW"]),
    (("15 2021 qd ttg",), ["5-CT/TW"]),
    (("05 ct tw",), ["15/2021/QĐ-TTg"]),  # the number's other writing counts
    (("chi thi 05",), ["15/2021/QĐ-TTg"]),  # and so does a citation by the document's kind the demo holds
    (("5 ct tw", "15 2021 qd ttg"), []),
])
def test_a_document_number_is_absent_when_no_article_holds_any_of_its_writings(engine, held, expected):
    parsed = understood(engine, "quyết định 15/2021/QĐ-TTg (5-CT/TW), ngày 20/4 111/phút").parsed
    statistics = Runs(*held)
    assert absent_references(statistics, parsed) == expected
    # Only the numbers are looked up, folded, each writing until one is held: as typed, with its other
    # number, and cited by its kind where some article cites it so ("chỉ thị 05").
    assert set(statistics.asked) <= {"15 2021 qd ttg", "5 ct tw", "05 ct tw", "chi thi 05"}
    assert absence_notices(statistics, parsed) == [f"Không có bài nào nhắc đến “{n}”." for n in expected]


def test_a_query_without_a_document_number_looks_nothing_up():
    statistics = Runs()
    assert absent_references(statistics, parse_query('bộ chính trị "16/NQ-CP" 20/4/2021')) == []
    assert statistics.asked == []


def test_a_question_finding_nothing_never_says_it_shows_articles_holding_part_of_its_words(engine):
    result = searched(engine, "qxzw qxzv qxzt qxzs qxzr qxzp")
    assert (result["total"], result["matching"]) == (0, "any")
    assert SOME_WORDS not in result["notices"]
    assert SOME_WORDS in searched(engine, "qxzw bóng đá thể thao")["notices"]  # found some: said


def test_a_search_names_the_document_number_no_article_cites(engine):
    assert searched(engine, "quyết định số 15/2021/QĐ-TTg")["notices"] == [
        "Không có bài nào nhắc đến “15/2021/QĐ-TTg”."]


class _Stated:
    """A backend whose health and views are what a test says."""

    def __init__(self, state: dict, view=None):
        self.state = state
        if view is not None:
            self.view = view

    def health(self) -> dict:
        return self.state


def test_health_passes_on_the_backends_status_and_nodes_and_says_ok_when_it_gives_none():
    nodes = [{"node": "127.0.0.1:9306", "shard": "shard0", "state": "down", "documents": None}]
    state = {"status": "degraded", "documents": 7, "last_reindex": "2026-12-05T09:00:00+07:00", "generation": 3,
             "nodes": nodes}
    assert health(_Stated(state)) == state
    plain = {"documents": 7, "last_reindex": None, "generation": 1}
    assert health(_Stated(plain)) == {**plain, "status": "ok"}


def test_a_request_reads_the_backends_view_of_the_index_when_it_has_one():
    viewed = _Stated({})
    assert request_view(_Stated({}, view=lambda: viewed)) is viewed
    alone = _Stated({})
    assert request_view(alone) is alone


def test_the_postings_bound_is_in_proportion_to_the_articles_between_its_floor_and_ceiling():
    class Counted:
        def __init__(self, articles: int):
            self.document_count = lambda: articles

    ranking = DEFAULT_RANKING
    assert postings_bound(ranking, Counted(59_861)) == round(17.0 * 59_861)  # 1,017,637
    assert postings_bound(ranking, Counted(1_000)) == ranking.min_searched_postings
    assert postings_bound(ranking, Counted(10_000_000)) == ranking.max_searched_postings
    assert postings_bound(ranking, object()) == ranking.max_searched_postings  # no count: the ceiling
    assert postings_bound(replace(ranking, searched_postings_per_article=0), Counted(59_861)) == (
        ranking.max_searched_postings)


def test_an_article_without_a_title_has_an_empty_one():
    assert (title_of({"title": None}), title_of({}), title_of({"title": "Hà Nội"})) == ("", "", "Hà Nội")


def test_a_suggestion_is_shown_instead_only_when_it_finds_articles_holding_every_word():
    typed = Matches(matching="any", total=2, documents=[], scores=[], facets=None, statistics=None)
    found = {}

    class Searched:
        def search(self, request, parsed):
            return found["matches"]

    request = SearchRequest(q="xuohg nhaf")
    understood = Understood(parse_query("xuohg nhaf"))
    read = lambda text: Understood(parse_query(text))  # noqa: E731
    found["matches"] = replace(typed, matching="any", total=5)  # some of its words: offered, not shown
    assert _corrected(Searched(), request, understood, typed, "xuống nhà", read) is None
    found["matches"] = replace(typed, matching="all", total=5)
    better, shown = _corrected(Searched(), request, understood, typed, "xuống nhà", read)
    assert (better.parsed.text, shown) == ("xuống nhà", found["matches"])


def test_a_word_of_time_says_newer_articles_come_first_when_something_was_found():
    parsed = parse_query("giá vàng hôm nay")
    assert notices(parsed, "all", recent="hôm nay") == ["Truy vấn có “hôm nay”: bài mới hơn được xếp trước."]
    assert notices(parsed, "any", recent="mới nhất") == [
        SOME_WORDS, "Truy vấn có “mới nhất”: bài mới hơn được xếp trước."]
    assert notices(parsed, "all", recent="hôm nay", found=False) == []
