"""Search behaviour on the demo corpus (session `engine`) and on a tiny index with exact control.

Expected result sets are computed independently of the engine: a plain regex-and-unidecode
tokenizer over the stored article text (the "oracle"), never copied from a previous run.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from datetime import date, datetime

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unidecode import unidecode

import search.parse
import search.text
from search.engine import SearchEngine
from search.index import reindex
from search.matching import LONG_QUERY_SHARE, MOST_SHARE
from search.ranking import DEFAULT_RANKING
from search.request import MAX_PAGE_SIZE, QueryError, SearchRequest
from tests.helpers import DEMO_ARTICLES, FIXTURES, PORTAL_ID, write_jsonl

DEMO_IDS = [a["id"] for a in DEMO_ARTICLES] + [PORTAL_ID]
RESULT_KEYS = {"query", "total", "page", "size", "pages", "sort", "matching", "match", "tier", "accents", "wider",
               "took_ms", "suggestion", "notices", "hits", "facets", "filters", "limited", "partial", "corrected"}
HIT_KEYS = {"id", "title", "title_html", "title_derived", "url", "published", "category", "source", "portal",
            "snippet", "score"}
FALLBACK_NOTICE = "Không đủ kết quả chứa tất cả các từ: hiển thị cả kết quả chứa một phần các từ."


# Helpers and the oracle ----------------------------------------------------------------------


def folded_syllables(text: str) -> list[str]:
    """Independent tokenizer: runs of letters/digits, accents stripped, lower-cased."""
    return [unidecode(word).lower() for word in re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text))]


def has_phrase(words: list[str], tokens: list[str]) -> bool:
    n = len(words)
    return any(tokens[i : i + n] == words for i in range(len(tokens) - n + 1))


def run(engine: SearchEngine, q: str = "", **params) -> dict:
    return engine.search(SearchRequest.from_params({"q": q, **params}))


def ids(result: dict) -> list[str]:
    return [hit["id"] for hit in result["hits"]]


def all_hits(engine: SearchEngine, q: str = "", **params) -> list[dict]:
    """Every hit of a query, page after page (size 50)."""
    hits, page = [], 1
    while True:
        result = run(engine, q, size=MAX_PAGE_SIZE, page=page, **params)
        hits.extend(result["hits"])
        if page >= result["pages"]:
            return hits
        page += 1


@pytest.fixture(scope="module")
def corpus(engine) -> dict[str, dict]:
    """{id: {"title": folded syllables, "body": folded syllables, "stored": article}} of the demo index."""
    found = {}
    for doc_id in DEMO_IDS:
        article = engine.article(doc_id)
        assert article is not None, doc_id
        found[doc_id] = {"title": folded_syllables(article["title"]), "body": folded_syllables(article["body"]),
                         "stored": article}
    return found


def oracle(corpus, words=(), phrase=None, without=(), title_only=False, compounds=()) -> set[str]:
    """Ids of the documents holding every word (and the phrase, and each of compounds in a row), none
    of `without`."""
    matched = set()
    for doc_id, doc in corpus.items():
        fields = [doc["title"]] if title_only else [doc["title"], doc["body"]]
        everything = [t for f in fields for t in f]
        if not all(w in everything for w in words):
            continue
        if phrase and not any(has_phrase(phrase, f) for f in fields):
            continue
        if not all(any(has_phrase(c, f) for f in fields) for c in compounds):
            continue
        if any(w in doc["title"] + doc["body"] for w in without):
            continue
        matched.add(doc_id)
    return matched


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> SearchEngine:
    """An index of tests/fixtures/tiny.jsonl (nine short articles cut from the demo corpus)."""
    index_dir = tmp_path_factory.mktemp("tiny") / "index"
    report = reindex(index_dir, [str(FIXTURES / "tiny.jsonl")], procs=1)
    assert report.added == 9 and not report.rejected
    return SearchEngine(index_dir)


# Accents --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accented, unaccented, exact_id, other_id",
    [("bán", "ban", "ban-sell", "ban-table"), ("bàn", "ban", "ban-table", "ban-sell"),
     ("Nẵng", "nang", "da-nang", "sunshine"), ("nắng", "nang", "sunshine", "da-nang")],
)
def test_accented_query_ranks_articles_with_exactly_those_accents_first(tiny, accented, unaccented, exact_id, other_id):
    with_accents = ids(run(tiny, accented))
    assert with_accents[0] == exact_id
    assert other_id not in with_accents  # accents typed are accents meant
    without_accents = ids(run(tiny, unaccented))
    assert {exact_id, other_id} <= set(without_accents)


def test_exact_accents_overturn_the_folded_ranking(tiny):
    # Folded, the article saying "bàn" three times beats the one saying "bán" once; typed
    # with accents, only "bán" matches.
    assert ids(run(tiny, "ban"))[:2] == ["ban-table", "ban-sell"]
    assert ids(run(tiny, "bán")) == ["ban-sell"]
    assert ids(run(tiny, "nang"))[:2] == ["sunshine", "da-nang"]
    assert ids(run(tiny, "Nẵng")) == ["da-nang"]


@pytest.mark.parametrize(
    "variants",
    [
        ["hoà bình", "hòa bình", "HOÀ BÌNH", "Hòa Bình", "hoa\u0300 bi\u0300nh", "ho\u0300a bi\u0300nh"],
        ["sức khoẻ", "sức khỏe", "SỨC KHỎE", "su\u031b\u0301c kho\u0309e", "su\u031b\u0301c khoe\u0309"],
        ["thuỷ điện", "thủy điện", "Thủy Điện", "thu\u0309y đie\u0323\u0302n", "thuy\u0309 đie\u0323\u0302n"],
        ["bộ chính trị", "Bộ Chính trị", "BỘ CHÍNH TRỊ", "bo\u0323\u0302 chi\u0301nh tri\u0323"],
    ],
)
def test_nfd_capitalised_and_other_tone_placement_queries_give_identical_results(engine, variants):
    results = [run(engine, q, size=50) for q in variants]
    first = results[0]
    assert first["total"] > 0
    for variant, result in zip(variants, results):
        ranked = [(h["id"], h["score"]) for h in result["hits"]]
        assert ranked == [(h["id"], h["score"]) for h in first["hits"]], variant
        assert result["total"] == first["total"], variant


def test_nfd_stored_article_is_found_by_any_spelling(tiny):
    for q in ("Hoà Bình", "hòa bình", "hoa binh", unicodedata.normalize("NFD", "Trương Hòa Bình")):
        result = run(tiny, q)
        assert ids(result)[0] == "nfd-hoa-binh", q
    hit = run(tiny, "Trương Hòa Bình")["hits"][0]
    assert hit["title"] == "Phó Thủ tướng Trương Hòa Bình yêu cầu làm rõ"
    assert unicodedata.is_normalized("NFC", hit["title"])


@pytest.mark.parametrize("accented, unaccented, compounds", [
    ("hà nội", "ha noi", []), ("bộ chính trị", "bo chinh tri", [["chinh", "tri"]]),
    ("đà nẵng", "da nang", [["da", "nang"]]), ("điện thoại", "dien thoai", [["dien", "thoai"]])])
def test_unaccented_query_finds_every_accented_form(engine, corpus, accented, unaccented, compounds):
    # In the all-words tier (its compound words in a row: "hà nội" is read as an abbreviation's long
    # form, a phrase); the accented query finds those with its own accents among them.
    words = folded_syllables(unaccented)
    expected = oracle(corpus, words, compounds=compounds)
    assert {h["id"] for h in all_hits(engine, unaccented, match="all")} == expected
    with_accents = {h["id"] for h in all_hits(engine, accented, match="all")}
    assert with_accents and with_accents <= expected


def test_unaccented_query_puts_the_portal_article_first(engine):
    result = run(engine, "chi thi 05 bo chinh tri")
    assert ids(result)[0] == PORTAL_ID


def test_query_time_never_calls_pyvi(engine, monkeypatch):
    def no_pyvi(text):
        raise AssertionError("pyvi must not run at query time")

    monkeypatch.setattr(search.text, "pyvi_joins", no_pyvi)
    result = run(engine, "Bộ Chính trị họp ở Hà Nội")
    assert result["total"] > 0
    assert engine.suggest("Hà Nộ")["suggestions"]


# Query syntax --------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ['"bộ chính trị"', '"bo chinh tri"', '"Bộ Chính Trị"'])
def test_quoted_phrase_matches_only_articles_holding_the_phrase(engine, corpus, q):
    expected = oracle(corpus, phrase=["bo", "chinh", "tri"])
    assert PORTAL_ID in expected and len(expected) < len(oracle(corpus, ["bo", "chinh", "tri"]))
    assert {h["id"] for h in all_hits(engine, q)} == expected


@pytest.mark.parametrize("q", ['"bộ chính trị"', "mayweather mcgregor"], ids=["phrase", "two-rare-words"])
def test_query_whose_results_all_hold_every_word_reports_all_words_matching(engine, corpus, q):
    # Fewer than five results, but every one holds the whole query: nothing was relaxed,
    # so there must be no "showing results with only some of the words" notice.
    result = run(engine, q)
    words = folded_syllables(q)
    expected = oracle(corpus, words, phrase=words if q.startswith('"') else None)
    assert 0 < len(expected) < 5
    assert set(ids(result)) == expected
    assert result["matching"] == "all"
    assert FALLBACK_NOTICE not in result["notices"]


@pytest.mark.parametrize(
    "q, words, without",
    [("covid -mỹ", ["covid"], ["my"]), ("covid -my", ["covid"], ["my"]), ("ha noi -bong", ["ha", "noi"], ["bong"])],
)
def test_minus_word_excludes_articles_holding_it(engine, corpus, q, words, without):
    expected = oracle(corpus, words, without=without)
    assert 0 < len(expected) < len(oracle(corpus, words))
    assert {h["id"] for h in all_hits(engine, q, match="all")} == expected


def test_minus_phrase_excludes_only_articles_holding_the_phrase(engine, corpus):
    covid = oracle(corpus, ["covid"])
    with_phrase = oracle(corpus, ["covid"], phrase=["vac", "xin"])
    assert with_phrase
    assert {h["id"] for h in all_hits(engine, 'covid -"vắc xin"')} == covid - with_phrase


@pytest.mark.parametrize("q", ["covid -hà nội", "covid -ha noi", 'covid -"hà nội"'])
def test_minus_before_a_word_of_two_syllables_excludes_articles_holding_the_word(engine, corpus, q):
    # "hà nội" is one word to the index: left out whole, not "hà" out and "nội" required.
    covid = oracle(corpus, ["covid"])
    expected = covid - oracle(corpus, phrase=["ha", "noi"])
    assert len(covid) > len(expected) > len(covid - oracle(corpus, ["ha"]))
    assert {h["id"] for h in all_hits(engine, q)} == expected


@pytest.mark.parametrize("q, written", [
    ("200k", [["200", "000"]]), ("200 k", [["200", "000"]]),
    ("5tr", [["5", "trieu"]]), ("1tr3", [["1", "3", "trieu"]]), ("1,3tr", [["1", "3", "trieu"]]),
])
def test_an_amount_in_shorthand_finds_the_articles_writing_it_out(engine, corpus, q, written):
    # No article of the demo corpus types "200k" or "5tr": they write "200.000" and "5 triệu".
    typed = folded_syllables(q)
    expected = set().union(*(oracle(corpus, phrase=phrase) for phrase in written))
    assert expected and not oracle(corpus, phrase=typed)
    assert {h["id"] for h in all_hits(engine, q)} == expected


def test_an_amount_the_articles_write_in_shorthand_is_searched_as_typed(engine, corpus):
    # "1K" stands in the demo corpus about as often as "1.000": it is no shorthand of theirs.
    result = run(engine, "1k")
    assert set(ids(result)) == oracle(corpus, ["1k"]) != set()
    assert result["notices"] == []


@pytest.mark.parametrize("q, meant", [("hà nộiii", "hà nội"), ("covidddd", "covid"), ("giá vàngggg", "giá vàng")])
def test_a_word_typed_with_a_letter_held_down_finds_what_the_word_finds(engine, q, meant):
    result = run(engine, q)
    assert {h["id"] for h in all_hits(engine, q)} == {h["id"] for h in all_hits(engine, meant)} != set()
    assert result["notices"][0].startswith("Đã đọc “")


@pytest.mark.parametrize("q, said, written", [
    ("29 tháng 10", ["29", "thang", "10"], ["29", "10"]), ("29 thang 10", ["29", "thang", "10"], ["29", "10"]),
    ("tháng 10 năm 2020", ["thang", "10", "nam", "2020"], ["10", "2020"]),
])
def test_a_date_said_in_words_finds_the_articles_writing_it_with_slashes(engine, corpus, q, said, written):
    # The demo corpus writes "29/10" seven times and "29 tháng 10" once; "tháng 10/2020", never "năm".
    found = {h["id"] for h in all_hits(engine, q)}
    assert found == oracle(corpus, phrase=written) | oracle(corpus, phrase=said)
    assert len(found) > len(oracle(corpus, phrase=said))


def writing_number(corpus, number: str) -> set[str]:
    """Ids of the documents writing a number as typed: not inside a longer number ("350.000" is not
    the end of "1.350.000"), but maybe as a part of a date ("1/3" of "1/3/2021").  Not glued to a unit
    either: the syllables of "1,3kg" are "1" and "3kg", and the number's last syllable is searched."""
    pattern = re.compile(r"(?<![\w.,:/])(?:[0-9]+/)*" + re.escape(number) + r"(?!\w|[.,:][0-9])")
    return {doc_id for doc_id, doc in corpus.items()
            if pattern.search(doc["stored"]["title"] or "") or pattern.search(doc["stored"]["body"])}


@pytest.mark.parametrize("q, other", [
    ("1/3", "1,3"),  # a date is not a decimal, nor the other way round
    ("1,3", "1/3"),
    ("350.000", "1.350.000"),  # not the end of a larger number
    ("15/2", "15,2"),
])
def test_a_number_written_with_separators_finds_the_articles_writing_it_so(engine, corpus, q, other):
    found = {h["id"] for h in all_hits(engine, q)}
    assert found == writing_number(corpus, q) != set()
    # The syllables alone find more: the articles writing the other number too.
    assert writing_number(corpus, other) - found
    assert oracle(corpus, phrase=[s.folded for s in search.parse.syllables_of(q)]) > found


@pytest.mark.parametrize("q, dated", [("24/10", "unc-news_society_006"), ("10/2020", "unc-news_society_006"),
                                      ("24/2", "unc-news_business_004")])
def test_a_day_and_month_or_a_month_and_year_find_the_articles_writing_them_in_a_whole_date(engine, corpus, q, dated):
    # unc-news_society_006 writes "24/10/2020" and never "24/10" alone; unc-news_business_004 "24/2/2022".
    found = {h["id"] for h in all_hits(engine, q)}
    assert dated in found and found == writing_number(corpus, q)


def test_or_matches_articles_holding_either_side(engine, corpus):
    expected = oracle(corpus, ["covid"]) | oracle(corpus, phrase=["khung", "long"])
    result_ids = {h["id"] for h in all_hits(engine, 'covid OR "khủng long"')}
    assert result_ids == expected
    assert len(expected) > len(oracle(corpus, ["covid"]))


@pytest.mark.parametrize("q", ["học sinh OR sinh viên", "hoc sinh OR sinh vien", '"học sinh" OR "sinh viên"'])
def test_or_between_words_of_two_syllables_matches_articles_holding_either_word(engine, corpus, q):
    # The index holds "học sinh" and "sinh viên" as words (pyvi's compounds): OR parts the words, not
    # "học (sinh OR sinh) viên" (articles holding "học", "sinh" and "viên").
    pupils, students = oracle(corpus, phrase=["hoc", "sinh"]), oracle(corpus, phrase=["sinh", "vien"])
    assert pupils - students and students - pupils
    assert {h["id"] for h in all_hits(engine, q)} == pupils | students


def test_title_prefix_restricts_a_word_to_titles(engine, corpus):
    expected = oracle(corpus, ["covid"], title_only=True)
    hits = all_hits(engine, "title:covid")
    assert {h["id"] for h in hits} == expected
    assert len(expected) < len(oracle(corpus, ["covid"]))
    assert all("covid" in folded_syllables(h["title"]) for h in hits)


def test_title_prefix_applies_to_phrases_and_exclusions(engine, corpus):
    assert {h["id"] for h in all_hits(engine, 'title:"bo chinh tri"')} == oracle(
        corpus, phrase=["bo", "chinh", "tri"], title_only=True) == {PORTAL_ID}
    expected = oracle(corpus, ["covid"]) - oracle(corpus, ["covid"], title_only=True)
    assert {h["id"] for h in all_hits(engine, "covid -title:covid")} == expected


@pytest.mark.parametrize("typed", ["kiengiang", "KIENGIANG", "vpubnd.kiengiang.gov.vn", '"kiengiang gov"'])
def test_source_prefix_keeps_only_articles_from_that_source(engine, corpus, typed):
    words = ["bo", "chinh", "tri"]
    assert {h["id"] for h in all_hits(engine, f"source:{typed} bộ chính trị")} == {PORTAL_ID}
    assert PORTAL_ID in oracle(corpus, words) and len(oracle(corpus, words)) > 1


def test_source_prefix_typed_loosely_matches_whole_words_of_the_source(engine, corpus):
    dantri = {i for i in oracle(corpus, ["bo", "chinh", "tri"], compounds=[["chinh", "tri"]])
              if corpus[i]["stored"]["source"] == "dantri.com.vn"}
    hits = all_hits(engine, "source:dantri bo chinh tri", match="all")
    assert dantri and {h["id"] for h in hits} == dantri and {h["source"] for h in hits} == {"dantri.com.vn"}
    # A word cut short is not a source's word: "dant" names no source.
    assert run(engine, "source:dant bo chinh tri")["total"] == 0
    # The typed source narrows the year facet too, like the source filter does.
    facets = run(engine, "source:kiengiang")["facets"]
    assert [(i["value"], i["count"]) for i in facets["year"]] == [("2019", 1)]


def test_category_prefix_filters_by_category(engine, corpus):
    hits = all_hits(engine, 'category:"thể thao" bong da', match="all")
    expected = {i for i in oracle(corpus, ["bong", "da"], compounds=[["bong", "da"]])
                if corpus[i]["stored"]["category"] == "Thể thao"}
    assert {h["id"] for h in hits} == expected
    assert expected and {h["category"] for h in hits} == {"Thể thao"}
    # Typed without accents it filters the same way.
    assert {h["id"] for h in all_hits(engine, "category:\"the thao\" bong da", match="all")} == expected


def test_adjacent_query_words_rank_above_scattered_ones(tiny):
    for q in ("điện thoại", "dien thoai"):
        assert ids(run(tiny, q, match="all"))[:2] == ["adjacent", "scattered"], q
        assert ids(run(tiny, q)) == ["adjacent"], q  # the words together


def test_most_words_tier_lists_articles_with_every_word_first(engine, corpus):
    q = "nielsen thuong hieu"
    every_word = oracle(corpus, ["nielsen", "thuong", "hieu"])
    assert 0 < len(every_word) < 5
    # Few articles hold every word, but they are the answer; the rest is one parameter away.
    narrow = run(engine, q, size=50)
    assert set(ids(narrow)) == every_word and narrow["matching"] == "all"
    result = run(engine, q, size=50, match="most")
    assert result["matching"] == "any" and result["tier"] == "most"
    assert set(ids(result)[: len(every_word)]) == every_word
    two_words = {i for i in corpus if sum(w in corpus[i]["title"] + corpus[i]["body"]
                                          for w in ["nielsen", "thuong", "hieu"]) >= 2}
    assert result["total"] == len(two_words) == narrow["total"] + narrow["wider"]["most"]


def test_any_word_fallback_when_no_article_holds_every_word(engine, corpus):
    result = run(engine, "vinamilk tesla")
    assert oracle(corpus, ["vinamilk", "tesla"]) == set()
    assert result["matching"] == "any" and result["notices"] == [FALLBACK_NOTICE]
    assert set(ids(result)) == oracle(corpus, ["vinamilk"]) | oracle(corpus, ["tesla"])


def test_query_matching_nothing_returns_no_hits(engine):
    result = run(engine, "qwxzv")
    assert (result["total"], result["hits"], result["pages"]) == (0, [], 1)


def test_empty_query_lists_every_article(engine):
    result = run(engine, "")
    assert result["total"] == len(DEMO_IDS)


# Other forms of the words (abbreviations) ---------------------------------------------------


def bm25_idf(documents: int, holding: int) -> float:
    """Return BM25's inverse document frequency."""
    return math.log(1.0 + (documents - holding + 0.5) / (holding + 0.5))


def test_an_article_found_through_an_abbreviation_scores_on_the_scale_of_the_words_typed(engine, corpus):
    # "huấn luyện viên" also searches its abbreviation "HLV". An article writing only "HLV" scores
    # what it scores for "hlv", scaled by the ratio of their idf: the words typed (a phrase
    # counting once) over the abbreviation.
    long_form, short_form = ["huan", "luyen", "vien"], ["hlv"]
    holding_long = oracle(corpus, phrase=long_form)
    holding_short = oracle(corpus, words=short_form) - holding_long
    assert len(holding_short) >= 5 and holding_long
    ratio = bm25_idf(len(corpus), len(holding_long)) / bm25_idf(len(corpus), len(oracle(corpus, words=short_form)))
    typed = {hit["id"]: hit["score"] for hit in all_hits(engine, "huấn luyện viên")}
    abbreviated = {hit["id"]: hit["score"] for hit in all_hits(engine, "hlv")}
    assert set(typed) == set(abbreviated) == holding_long | holding_short
    assert {doc_id: typed[doc_id] / abbreviated[doc_id] for doc_id in holding_short} == pytest.approx(
        dict.fromkeys(holding_short, ratio), rel=1e-3)


# Document references -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> SearchEngine:
    """An index of tiny.jsonl and references.jsonl: an article citing "Nghị định 100" and one
    citing "Nghị định 91/2020" a sentence after a fine of "100 triệu đồng"."""
    index_dir = tmp_path_factory.mktemp("references") / "index"
    report = reindex(index_dir, [str(FIXTURES / "tiny.jsonl"), str(FIXTURES / "references.jsonl")], procs=1)
    assert report.added == 11 and not report.rejected
    return SearchEngine(index_dir)


@pytest.mark.parametrize("q", ["nghị định 100", "nghi dinh 100", "Nghị định số 100", "NGHỊ ĐỊNH 100"])
def test_a_number_after_a_kind_of_document_ranks_the_article_citing_that_document_first(references, q):
    result = run(references, q)
    # Both hold the words within the together window; only one cites Nghị định 100.
    assert ids(result) == ["nd100-cited", "nd91-100-trieu"]


@pytest.mark.parametrize("q", ["nghị định 99", "nghi dinh 99"])
def test_an_article_citing_a_document_with_so_before_its_number_ranks_above_one_with_the_number_elsewhere(
        tmp_path, q):
    # A demo article citing "Nghị định số 99/2019/NĐ-CP" (its other "Nghị định 99" made "Nghị định
    # này"), and the same article with the two numbers swapped: "Luật ... số 99/2018" and "Nghị
    # định số 34/2019". Both hold the same words as often, in articles of the same length.
    [article] = [a for a in DEMO_ARTICLES if a["id"] == "unc-news_education_008"]
    body = article["body"].replace("Nghị định 99 mà", "Nghị định này mà")
    cites = dict(article, id="cites", body=body)
    swapped = body.replace("sửa đổi số 34/2018/QH14 và Nghị định số 99/2019",
                           "sửa đổi số 99/2018/QH14 và Nghị định số 34/2019")
    assert swapped != body and len(swapped) == len(body)
    # Written first, the other article would come first on equal scores.
    source = write_jsonl(tmp_path / "articles.jsonl", [dict(article, id="elsewhere", body=swapped), cites])
    reindex(tmp_path / "index", [str(source)], procs=1)
    result = run(SearchEngine(tmp_path / "index"), q)
    assert ids(result) == ["cites", "elsewhere"]
    # All else equal, the citation adds the reference weight times the mean idf of the kind's
    # last syllable and the number (each in both articles).
    both = bm25_idf(2, 2)
    assert result["hits"][0]["score"] - result["hits"][1]["score"] == pytest.approx(
        DEFAULT_RANKING.reference_weight * (both + both) / 2, abs=2e-4)


def test_a_reference_with_its_number_elsewhere_ranks_as_before(references):
    assert ids(run(references, "nghị định 91")) == ["nd91-100-trieu"]
    assert ids(run(references, "100 triệu đồng")) == ["nd91-100-trieu"]


# Facets and filters ------------------------------------------------------------------------


def test_facet_counts_are_computed_over_the_whole_result_set(engine):
    q = "việt nam"
    result = run(engine, q)
    hits = all_hits(engine, q)
    assert len(hits) == result["total"] > MAX_PAGE_SIZE
    facets = result["facets"]
    years = Counter((h["published"] or "none")[:4] for h in hits)
    months = Counter(h["published"][:7] for h in hits if h["published"])
    assert {i["value"]: i["count"] for i in facets["year"]} == dict(years)
    assert {i["value"]: i["count"] for i in facets["month"]} == dict(months)
    assert {i["value"]: i["count"] for i in facets["category"]} == dict(Counter(h["category"] for h in hits))
    assert {i["value"]: i["count"] for i in facets["source"]} == dict(Counter(h["source"] for h in hits))
    assert sum(i["count"] for i in facets["year"]) == result["total"]
    assert not any(i["selected"] for name in facets for i in facets[name])


def facet_order(counts: Counter) -> list[tuple[str, int]]:
    """Return (value, count) pairs the way label facets list them: most frequent first, then by name."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


@pytest.mark.parametrize("q", ["việt nam", "bộ chính trị", "covid"])
def test_label_facets_list_the_most_frequent_value_first(engine, q):
    hits = all_hits(engine, q, match="all")  # the all-words tier: several articles per label
    facets = run(engine, q, match="all")["facets"]
    for name in ("category", "source"):
        counts = Counter(h[name] for h in hits)
        assert [(i["value"], i["count"]) for i in facets[name]] == facet_order(counts), name
    assert len({i["count"] for i in facets["source"]}) > 1 or q == "covid"
    assert len({i["count"] for i in facets["category"]}) > 1


def test_year_and_month_facets_list_the_newest_first(engine):
    facets = run(engine, "", year="2020")["facets"]
    years = [i["value"] for i in facets["year"]]
    months = [i["value"] for i in facets["month"]]
    assert years == sorted({a["published"][:4] for a in DEMO_ARTICLES} | {"2019"}, reverse=True)
    assert months == sorted({a["published"][:7] for a in DEMO_ARTICLES}, reverse=True) and len(months) > 1


def test_selected_year_is_flagged_and_narrows_the_other_facets(engine):
    result = run(engine, "việt nam", year="2019")
    assert ids(result) == [PORTAL_ID] and result["total"] == 1
    facets = result["facets"]
    assert [(i["value"], i["selected"]) for i in facets["year"]] == [("2020", False), ("2019", True)]
    assert facets["category"] == [{"value": "Hoạt động của Đảng - Đoàn thể", "label": "Hoạt động của Đảng - Đoàn thể",
                                   "count": 1, "selected": False}]
    assert facets["source"] == [{"value": "vpubnd.kiengiang.gov.vn", "label": "vpubnd.kiengiang.gov.vn",
                                 "count": 1, "selected": False}]
    assert result["filters"]["year"] == "2019"


def test_year_facet_counts_stay_the_same_when_a_year_is_selected(engine):
    # The year facet ignores its own filter: choosing 2019 (1 result) must not change the
    # count shown for 2020, nor switch the query to any-word matching.
    unfiltered = run(engine, "việt nam")
    filtered = run(engine, "việt nam", year="2019")
    assert unfiltered["matching"] == "all"
    assert [(i["value"], i["count"]) for i in filtered["facets"]["year"]] == [
        (i["value"], i["count"]) for i in unfiltered["facets"]["year"]
    ]
    assert filtered["matching"] == "all" and filtered["notices"] == []


def test_month_facet_lists_the_months_of_the_selected_year(engine):
    result = run(engine, "", year="2020", month="10")
    months = [(i["value"], i["selected"]) for i in result["facets"]["month"]]
    published = Counter(a["published"][:7] for a in DEMO_ARTICLES)
    assert months == [(m, m == "2020-10") for m in sorted(published, reverse=True)]
    assert result["total"] == published["2020-10"]
    assert [(i["value"], i["count"]) for i in run(engine, "", year="2019")["facets"]["month"]] == [("2019-08", 1)]


def test_selected_category_is_flagged_and_narrows_year_counts(engine):
    result = run(engine, "", category="Thể thao")
    sport = [a for a in DEMO_ARTICLES if a["category"] == "Thể thao"]
    assert result["total"] == len(sport)
    expected = dict(Counter(a["published"][:4] for a in sport))
    assert {i["value"]: i["count"] for i in result["facets"]["year"]} == expected
    selected = [i["value"] for i in result["facets"]["category"] if i["selected"]]
    assert selected == ["Thể thao"]


def test_undated_articles_are_counted_and_filtered_as_none(tiny):
    result = run(tiny, "")
    year = {i["value"]: i["count"] for i in result["facets"]["year"]}
    assert year == {"2021": 1, "2020": 7, "none": 1}
    assert result["facets"]["year"][-1]["value"] == "none"
    undated = run(tiny, "", year="none")
    assert ids(undated) == ["undated"]
    assert [i["selected"] for i in undated["facets"]["year"] if i["value"] == "none"] == [True]


@pytest.mark.parametrize("low, high", [
    ("2020-11-01", "2020-11-30"), ("2019-01-01", "2020-09-30"), ("2020-10-02", None)])
def test_date_range_filter_keeps_articles_published_within_it(engine, low, high):
    hits = all_hits(engine, "", **{"from": low, **({"to": high} if high else {})})
    low_day = date.fromisoformat(low)
    high_day = date.fromisoformat(high) if high else date.max
    dates = {a["id"]: date.fromisoformat(a["published"][:10]) for a in DEMO_ARTICLES}
    dates[PORTAL_ID] = date(2019, 8, 21)
    expected = {i for i, d in dates.items() if low_day <= d <= high_day}
    assert expected and {h["id"] for h in hits} == expected


def demo_days() -> dict[str, date]:
    """Return each demo article's publication day (Vietnam time, as the corpus writes it)."""
    days = {a["id"]: date.fromisoformat(a["published"][:10]) for a in DEMO_ARTICLES}
    days[PORTAL_ID] = date(2019, 8, 21)
    return days


def test_date_range_includes_articles_published_on_its_first_and_last_day(engine):
    days = demo_days()
    busiest, count = Counter(days.values()).most_common(1)[0]
    one_day = {h["id"] for h in all_hits(engine, "", **{"from": busiest.isoformat(), "to": busiest.isoformat()})}
    assert count > 1 and one_day == {i for i, d in days.items() if d == busiest}
    distinct = sorted(set(days.values()))
    low, high = distinct[1], distinct[-2]  # both days on which articles were published
    hits = all_hits(engine, "", **{"from": low.isoformat(), "to": high.isoformat()})
    assert {h["id"] for h in hits} == {i for i, d in days.items() if low <= d <= high}
    assert {date.fromisoformat(h["published"][:10]) for h in hits} >= {low, high}


@pytest.mark.parametrize(
    "params, predicate",
    [
        ({"year": "2020"}, lambda a: a["published"].startswith("2020")),
        ({"month": "2020-10"}, lambda a: a["published"].startswith("2020-10")),
        ({"category": "Du lịch"}, lambda a: a["category"] == "Du lịch"),
        ({"category": ["Du lịch", "Khoa học"]}, lambda a: a["category"] in ("Du lịch", "Khoa học")),
        ({"source": "dantri.com.vn"}, lambda a: a["source"] == "dantri.com.vn"),
    ],
)
def test_filters_keep_exactly_the_matching_articles(engine, params, predicate):
    expected = {a["id"] for a in DEMO_ARTICLES if predicate(a)}
    assert {h["id"] for h in all_hits(engine, "", **params)} == expected


def test_source_filter_selects_the_portal_article(engine):
    assert ids(run(engine, "", source="vpubnd.kiengiang.gov.vn")) == [PORTAL_ID]


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sort_by_date_orders_every_page(engine, sort):
    hits = all_hits(engine, "việt nam", sort=sort)
    moments = [datetime.fromisoformat(h["published"]) for h in hits]
    assert moments == sorted(moments, reverse=sort == "newest")
    assert len(hits) == run(engine, "việt nam")["total"]


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_undated_articles_sort_last(tiny, sort):
    result = run(tiny, "", sort=sort)
    assert ids(result)[-1] == "undated"
    dated = [datetime.fromisoformat(h["published"]) for h in result["hits"][:-1]]
    assert dated == sorted(dated, reverse=sort == "newest")


def test_page_two_continues_page_one_without_overlap(engine):
    first = run(engine, "việt nam", size=10, page=1)
    second = run(engine, "việt nam", size=10, page=2)
    both = run(engine, "việt nam", size=20, page=1)
    assert not set(ids(first)) & set(ids(second))
    assert ids(first) + ids(second) == ids(both)
    assert first["pages"] == math.ceil(first["total"] / 10)
    assert (second["page"], second["size"]) == (2, 10)


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_date_sorted_page_two_continues_page_one(engine, sort):
    first = run(engine, "việt nam", size=7, page=1, sort=sort)
    second = run(engine, "việt nam", size=7, page=2, sort=sort)
    assert ids(first) + ids(second) == ids(run(engine, "việt nam", size=14, sort=sort))


def test_articles_without_category_or_source_are_counted_and_filtered_as_none(tmp_path):
    records = [
        {"id": "no-label", "title": "Mùa thu ở Mù Cang Chải",
         "body": "Cái lạnh se se rất ngọt và êm dịu, dễ chịu vô cùng."},
        {"id": "labelled", "title": "Mùa thu Tú Lệ", "category": "Du lịch", "source": "dantri.com.vn",
         "body": "Dẫu là sáng sớm nắng hửng vàng ươm hay chiều xuống nắng như mật rót đều vô cùng tuyệt vời."},
    ]
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    reindex(tmp_path / "ix", [str(path)], procs=1)
    engine = SearchEngine(tmp_path / "ix")
    facets = run(engine, "vô cùng")["facets"]
    assert {(i["value"], i["count"]) for i in facets["category"]} == {("none", 1), ("Du lịch", 1)}
    assert {(i["value"], i["count"]) for i in facets["source"]} == {("none", 1), ("dantri.com.vn", 1)}
    assert ids(run(engine, "vô cùng", category="none")) == ["no-label"]
    assert ids(run(engine, "vô cùng", source="none")) == ["no-label"]


def test_passages_without_titles_get_finite_scores_in_rank_order(tmp_path):
    # A corpus of passages ({id, title: "", text}) has no indexed title at all.
    passages = [{"id": a["id"], "title": "", "text": a["body"]} for a in DEMO_ARTICLES[:8]]
    path = tmp_path / "passages.jsonl"
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in passages), encoding="utf-8")
    reindex(tmp_path / "ix", [str(path)], procs=1)
    engine = SearchEngine(tmp_path / "ix")
    for q in ("thương hiệu việt nam", "vinamilk", "xe điện"):
        result = run(engine, q)
        assert result["hits"], q
        scores = [h["score"] for h in result["hits"]]
        assert all(math.isfinite(s) for s in scores), (q, scores)
        assert scores == sorted(scores, reverse=True), q
        json.dumps(result, allow_nan=False)


def test_page_past_the_end_is_empty(engine):
    result = run(engine, "vinamilk", page=5)
    assert result["total"] == 1 and result["hits"] == []


def test_page_size_is_capped_at_fifty(engine):
    assert SearchRequest.from_params({"size": "500"}).size == 50
    result = run(engine, "", size="500")
    assert result["size"] == 50 and len(result["hits"]) == 50
    assert run(engine, "", size="50")["size"] == 50 and run(engine, "", size="49")["size"] == 49


@pytest.mark.parametrize(
    "params, param",
    [
        ({"page": "-1"}, "page"), ({"page": "0"}, "page"), ({"page": "hai"}, "page"), ({"size": "0"}, "size"),
        ({"from": "2019-13-45"}, "from"), ({"to": "hôm qua"}, "to"), ({"sort": "bogus"}, "sort"),
        ({"month": "13"}, "month"), ({"year": "2020", "month": "13"}, "month"), ({"month": "2020-00"}, "month"),
        ({"year": "năm ngoái"}, "year"), ({"year": "20201"}, "year"),
    ],
)
def test_bad_parameters_raise_query_error_naming_the_parameter(params, param):
    with pytest.raises(QueryError) as error:
        SearchRequest.from_params(params)
    assert error.value.param == param
    assert param in error.value.message


@pytest.mark.parametrize(
    "params, as_text",
    [({"q": 2020}, {"q": "2020"}), ({"q": ["covid", 19]}, {"q": "covid"}), ({"page": 2}, {"page": "2"}),
     ({"size": 20}, {"size": "20"}), ({"year": 2020}, {"year": "2020"}),
     ({"year": 2020, "month": 10}, {"year": "2020", "month": "10"}), ({"sort": ["newest"]}, {"sort": "newest"})],
)
def test_non_text_parameter_values_are_used_as_their_text(engine, params, as_text):
    request = SearchRequest.from_params(params)
    assert request == SearchRequest.from_params(as_text)
    result, expected = engine.search(request), engine.search(SearchRequest.from_params(as_text))
    assert set(result) == RESULT_KEYS
    assert (ids(result), result["total"], result["filters"]) == (ids(expected), expected["total"], expected["filters"])


def test_a_fractional_page_number_is_rejected_with_query_error():
    with pytest.raises(QueryError) as error:
        SearchRequest.from_params({"page": 1.5})
    assert error.value.param == "page" and "1.5" in error.value.message


# Fuzzing ------------------------------------------------------------------------------------

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
query_text = st.one_of(
    st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " \"-:_()&<>'!?.,/\\\t\n\x00\x01\x7f\u0301\u0323😀🇻🇳",
            max_size=80),
    st.lists(st.sampled_from(["OR", "-", '"', "title:", "category:", "source:", "-\"", "bộ", "chính", "trị",
                              "ha", "noi", "Nẵng", "😀", "\x00", ":", "_", "hòa", "x" * 300]),
             max_size=12).map(" ".join),
    st.text(max_size=400),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=query_text)
def test_any_query_text_returns_a_well_formed_result(engine, q):
    result = engine.search(SearchRequest(q=q))
    assert set(result) == RESULT_KEYS
    assert result["total"] >= 0 and len(result["hits"]) <= result["size"]
    assert result["matching"] in ("all", "most", "any")
    for hit in result["hits"]:
        assert set(hit) == HIT_KEYS
        # Whatever the query holds, the snippet and title are escaped text with <mark> tags only.
        title = BeautifulSoup(hit["title_html"], "html.parser")
        assert {tag.name for tag in title.find_all(True)} <= {"mark"} and title.get_text() == hit["title"]
        assert {tag.name for tag in BeautifulSoup(hit["snippet"], "html.parser").find_all(True)} <= {"mark"}


param_value = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(min_value=-5, max_value=3000).map(str),
    st.sampled_from(["1", "2", "50", "51", "newest", "oldest", "relevance", "2020", "none", "2020-10", "10",
                     "2019-08-21", "2020-13-01", "0", "-1", " 3 ", "１", "٣", "2020-1"]),
)
params_strategy = st.dictionaries(
    st.sampled_from(["q", "page", "size", "sort", "from", "to", "year", "month", "category", "source"]),
    st.one_of(param_value, st.lists(param_value, max_size=3)),
    max_size=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=params_strategy)
def test_random_parameters_either_search_or_raise_query_error(engine, params):
    try:
        request = SearchRequest.from_params(params)
    except QueryError as error:
        assert error.param in ("page", "size", "sort", "from", "to", "year", "month")
        return
    assert 1 <= request.size <= MAX_PAGE_SIZE and request.page >= 1
    result = engine.search(request)
    assert set(result) == RESULT_KEYS


def test_a_long_question_matches_articles_holding_only_some_of_its_words(engine, corpus):
    # No article holds every word of a question ("nhỉ", "không"…); requiring them all would
    # find nothing, so questions match on a share of their words and rank by score alone.
    q = "Vinamilk có lọt vào top thương hiệu hàng đầu châu Á hay không nhỉ"
    result = run(engine, q)
    assert result["matching"] == "most"
    assert result["hits"][0]["id"] == "unc-news_business_001"
    words = set(folded_syllables(q))
    typed = set(re.findall(r"[^\W_]+", q.lower()))  # no oa/oe/uy syllable: one tone placement
    # The result set (total, facets, newest first) is the articles holding half of the words,
    # with the accents typed; relevance ranks those holding a fifth, folded, and its pages
    # hold as many articles as the total.

    def held(doc: dict) -> int:
        written = set(re.findall(r"[^\W_]+", f'{doc["stored"]["title"]} {doc["stored"]["body"]}'.lower()))
        folded = set(doc["title"] + doc["body"])
        return sum(w in written or (w.isascii() and w in folded) for w in typed)

    half = {i for i, doc in corpus.items() if held(doc) >= math.ceil(MOST_SHARE * len(typed))}
    fifth = {i for i, doc in corpus.items()
             if len(words & set(doc["title"] + doc["body"])) >= math.ceil(LONG_QUERY_SHARE * len(words))}
    ranked = all_hits(engine, q)
    assert result["total"] == len(half) == len(ranked) == len({h["id"] for h in ranked})
    assert {h["id"] for h in ranked} <= fifth and half < fifth
    assert {h["id"] for h in all_hits(engine, q, sort="newest")} == half
    assert sum(item["count"] for item in result["facets"]["year"]) == len(half)
    assert oracle(corpus, words) == set() and 0 < len(half) < len(DEMO_IDS)
    assert FALLBACK_NOTICE not in result["notices"]
