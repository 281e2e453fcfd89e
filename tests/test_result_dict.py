"""What ``search.results.search`` hands on to the result dict on the demo corpus: the bounds a page
reached (``limited`` and their notices), the highlighting by the page's own tier and accents, the
shard-down flag, and the time it took.

The searches' sets and rankings are tested in test_search.py and test_api.py; this module checks
the dict's parts that come from ``search()`` itself (mutation testing runs it with test_results.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

import pytest
from unidecode import unidecode

from search import execute, results
from search.backend import Matches
from search.engine import SearchEngine
from search.matching import LONG_QUERY_WORDS
from search.ranking import DEFAULT_RANKING
from search.request import SearchRequest
from tests.helpers import DEMO_ARTICLES, MARK_RE

SOME_WORDS = "Không đủ kết quả chứa tất cả các từ: hiển thị cả kết quả chứa một phần các từ."
PARTIAL = "Một phần chỉ mục tạm thời không phản hồi: kết quả và số lượng có thể chưa đầy đủ."
QUESTION = ("Tôi muốn hỏi về việc làm thế nào để có thể được hỗ trợ khi tôi bị mất việc làm trong năm nay "
            "không ạ?")


@pytest.fixture(scope="module")
def engine(demo_index) -> SearchEngine:
    return SearchEngine(demo_index)


def page(engine: SearchEngine, q: str, ranking=None) -> dict:
    """Return the result dict of a query on the demo index (with another ranking when given)."""
    searcher = engine if ranking is None else SearchEngine(engine.backend.index_dir, ranking=ranking)
    return searcher.search(SearchRequest(q=q))


def marked_words(result: dict) -> list[str]:
    """Return the lower-case NFC words every hit's title and snippet mark."""
    marked = [m for hit in result["hits"] for m in MARK_RE.findall(hit["title_html"] + hit["snippet"])]
    return [unicodedata.normalize("NFC", word.lower()) for text in marked for word in text.split()]


def test_took_ms_is_the_search_s_own_time_in_milliseconds_to_two_decimals(engine, monkeypatch):
    calls = []

    def clock() -> float:
        calls.append(None)
        return 100.0 if len(calls) == 1 else 100.0123456  # started, then every later reading

    monkeypatch.setattr(results.time, "perf_counter", clock)
    assert page(engine, "lãi suất")["took_ms"] == 12.35


def test_a_long_query_over_the_postings_bound_leaves_out_its_commonest_words_and_says_so(engine):
    query = " ".join(article["title"] for article in DEMO_ARTICLES[:6])
    # A bound of 2 postings (0.01 an article, read from the index's statistics): below any word's.
    bounded = replace(DEFAULT_RANKING, searched_postings_per_article=0.01, min_searched_postings=0)
    result = page(engine, query, bounded)
    cut = re.search(r"bỏ qua (\d+) từ thông dụng nhất \(((?:“[^”]+”, ){5})…\)", " ".join(result["notices"]))
    assert result["limited"] == ["common_words"] and cut is not None and int(cut.group(1)) > 5
    # It still keeps LONG_QUERY_WORDS of them, the rarest, which its one article holds and shows.
    assert result["total"] == 1 and len({unidecode(word) for word in marked_words(result)}) == LONG_QUERY_WORDS
    # Within the default bounds the same query searches every word it holds.
    unbounded = page(engine, query)
    assert unbounded["limited"] == [] and not any("thông dụng" in notice for notice in unbounded["notices"])


def test_ten_common_words_over_the_postings_bound_keep_long_query_words_of_them(engine):
    query = "và của là được có cho trong với các một"  # ten words, each of one syllable
    result = page(engine, query, replace(DEFAULT_RANKING, searched_postings_per_article=0.01, min_searched_postings=0))
    cut = re.search(r"bỏ qua (\d+) từ thông dụng nhất", " ".join(result["notices"]))
    assert result["limited"] == ["common_words"] and int(cut.group(1)) == len(query.split()) - LONG_QUERY_WORDS


def test_a_query_read_more_ways_than_its_bound_says_so(engine):
    assert page(engine, "UBND TP.HCM")["limited"] == []
    assert page(engine, "UBND TP.HCM", replace(DEFAULT_RANKING, max_reading_syllables=2))["limited"] == ["readings"]


def test_a_long_query_s_suggestion_is_offered_unsearched_and_says_so_a_short_one_s_is_searched(engine):
    short = page(engine, "lai xuat ngan hang")
    assert (short["suggestion"], short["limited"]) == ("lãi xuất ngân hàng", [])
    # Searched with its accents restored, this one finds the page's own top articles: nothing to suggest.
    assert page(engine, "bo chinh tri")["suggestion"] is None
    words = " ".join(unidecode(article["title"]).lower() for article in DEMO_ARTICLES[10:20])
    long = page(engine, ("lai xuat ngan hang " + words)[:250])
    assert long["suggestion"].startswith("lại xuất ngân hàng") and long["limited"] == ["common_words", "suggestion"]


def test_a_question_ranked_in_its_most_promising_articles_says_so(engine, monkeypatch):
    monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", 0)  # the demo index is far below it
    shallow = replace(DEFAULT_RANKING, scored_pool_min_articles=0, rerank_depth=10, long_query_rerank_depth=10)
    assert page(engine, QUESTION)["limited"] == []
    result = page(engine, QUESTION, shallow)
    assert result["limited"] == ["ranked_articles"] and result["notices"] == [
        "Truy vấn dài khớp với phần lớn các bài: chỉ xếp hạng những bài chứa nhiều từ của truy vấn nhất."]


def test_one_article_found_by_some_of_the_words_brings_the_some_words_notice(engine):
    result = page(engine, "vinamilk xyzabc")
    assert (result["total"], result["matching"], result["notices"]) == (1, "any", [SOME_WORDS])


def test_a_page_answered_together_marks_its_words_where_they_stand_together(engine):
    result = page(engine, "Bộ Chính trị")
    assert result["tier"] == "together" and len(result["hits"]) == 3
    assert all("<mark>bộ chính trị</mark>" in hit["snippet"].lower() for hit in result["hits"])


def test_a_page_answered_with_the_accents_typed_marks_no_other_accents(engine):
    result = page(engine, "thí sinh")
    assert result["accents"] == "exact" and result["hits"]
    assert set(marked_words(result)) == {"thí", "sinh"}


def test_a_shard_down_is_reported_with_its_notice_first(engine):
    class PartialView:
        """The embedded index's view, as a cluster with a shard down answers: partial."""

        def __init__(self, view):
            self.inner = view

        def __getattr__(self, name: str):
            return getattr(self.inner, name)

        def view(self):
            return self

        def search(self, request: SearchRequest, parsed) -> Matches:
            return replace(self.inner.search(request, parsed), partial=True)

    result = results.search(PartialView(engine.backend.view()), SearchRequest(q="vinamilk xyzabc"))
    assert (result["partial"], result["notices"]) == (True, [PARTIAL, SOME_WORDS])


def test_a_long_query_s_snippets_show_its_rarest_words(engine):
    # A spec of more than ANCHORED_TERMS words anchors each snippet on its ANCHOR_WORDS rarest words,
    # counted here by a plain tokenizer over the demo corpus (ties at the last one included).
    word = re.compile(r"\w+")
    corpus = [set(word.findall(unidecode(a["title"] + " " + a.get("body", "")).lower())) for a in DEMO_ARTICLES]
    held = lambda w: sum(w in words for words in corpus)  # noqa: E731
    shown = 0
    for first in range(0, 40, 4):
        query = " ".join(article["title"] for article in DEMO_ARTICLES[first:first + 3])
        words = sorted(set(word.findall(unidecode(query).lower())), key=held)
        assert len(words) > results.ANCHOR_WORDS
        rarest = {w for w in words if held(w) <= held(words[results.ANCHOR_WORDS - 1])}
        for hit in page(engine, query)["hits"]:
            marked = {unidecode(w).lower() for text in MARK_RE.findall(hit["snippet"]) for w in word.findall(text)}
            assert marked & rarest, (query, hit["snippet"])
            shown += 1
    assert shown >= 30
