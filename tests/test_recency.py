"""A short query naming a time ("giá vàng hôm nay") ranks newer articles first, on both backends."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import numpy as np
import pytest

from search import abbreviations
from search.engine import SearchEngine, open_engine
from search.parse import ParsedQuery, parse_query
from search.ranking import DEFAULT_RANKING
from search.recency import (
    RECENCY_WORDS,
    SECONDS_A_DAY,
    freshness,
    join_time_words,
    recency_word,
    stamps_of,
    time_groups,
    wants_recent,
)
from search.request import SearchRequest
from search.understand import Vocabulary, understand
from tests.helpers import FIXTURES, fixture_engines

GOLD = FIXTURES / "gold_prices.jsonl"
# The fixture's articles (24h.com.vn, news corpus), oldest first: the first says "hôm nay" only of silver,
# 300 words after "giá vàng"; the others write "giá vàng hôm nay" in their titles.
OLDER = "ldh-00542fb12d6116ba281eb1903c855b23"  # 2026-01-31 "Giá vàng miếng giảm 9 triệu đồng mỗi lượng"
DAY_4 = "ldh-3f16b5f7d41aa03c03c425ae0379afa1"  # 2026-02-04 "Chốt giá vàng hôm nay ngày 4/2 ..."
DAY_6 = "ldh-b9643134355fc1230ca12ca9450c4e1b"  # 2026-02-06 "Giá vàng hôm nay 6-2: Sụt giảm mạnh"
DAY_7 = "ldh-6758e9b308e3cc63b00d3db53c279437"  # 2026-02-07 "Giá vàng hôm nay 7-2: Bật tăng trở lại"
DAY_8 = "ldh-a0ed2777705a80e1e1c1a11abac8b5ff"  # 2026-02-08 "Giá vàng hôm nay 8/2/2026: ..."
NO_RECENCY = replace(DEFAULT_RANKING, recency_weight=0.0)
NOTICE = "Truy vấn có “hôm nay”: bài mới hơn được xếp trước."


# The rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", [
    "giá vàng hôm nay", "gia vang hom nay", "GIÁ VÀNG HÔM NAY", "Giá vàng HOM NAY",
    unicodedata.normalize("NFD", "giá vàng hôm nay"), '"giá vàng hôm nay"', "hôm nay giá vàng",
    "giá vàng hôm nay OR hôm qua", "title:hôm nay",
])
def test_a_short_query_holding_hom_nay_asks_for_the_newest(q):
    assert recency_word(parse_query(q), DEFAULT_RANKING) == "hôm nay"


@pytest.mark.parametrize("q, word", [(words, words) for words in RECENCY_WORDS] + [
    ("bao moi nhat", "mới nhất"), ("tin tuc gan day", "gần đây"), ("iphone mới đây", "mới đây")])
def test_every_word_of_time_is_read_with_or_without_its_accents(q, word):
    assert recency_word(parse_query(q), DEFAULT_RANKING) == word


@pytest.mark.parametrize("q", [
    "giá vàng", "nay hôm giá vàng", "hôm giá vàng nay",  # not side by side
    "giá vàng hòm nay", "giá vàng hôm này",  # accents typed are accents meant: not "hôm nay"
    "hôm nay tôi bị sốt và ho có cần xét nghiệm covid không",  # a question tells a story
    "giá vàng -hôm nay", '-"hôm nay" giá vàng',  # excluded words are no order
    "", "hôm", "nay",
])
def test_a_query_without_a_word_of_time_side_by_side_or_a_long_one_keeps_its_relevance_order(q):
    assert recency_word(parse_query(q), DEFAULT_RANKING) is None
    assert not wants_recent(parse_query(q), DEFAULT_RANKING)


def test_eight_words_are_short_enough_and_nine_are_a_question():
    eight, nine = "giá vàng miếng SJC hôm nay tăng mạnh", "giá vàng miếng SJC hôm nay tăng hay giảm"
    assert [len(q.split()) for q in (eight, nine)] == [8, 9]
    assert (wants_recent(parse_query(eight), DEFAULT_RANKING), wants_recent(parse_query(nine), DEFAULT_RANKING)) == \
        (True, False)


def shapes(groups) -> list[list[tuple[str, bool, bool]]]:
    """Return groups as (syllables, phrase, joined) of each clause."""
    return [[(" ".join(s.exact for s in c.syllables), c.phrase, c.joined) for c in group] for group in groups]


def test_a_word_of_time_typed_apart_is_joined_into_one_phrase_and_is_the_querys_time_group():
    groups = join_time_words(parse_query("giá vàng hom nay").groups)
    assert shapes(groups) == [[("giá", False, False)], [("vàng", False, False)], [("hom nay", True, True)]]
    assert time_groups(ParsedQuery("giá vàng hom nay", groups)) == {2}
    assert shapes(join_time_words(parse_query("mới nhất giá vàng hôm nay").groups)) == [
        [("mới nhất", True, True)], [("giá", False, False)], [("vàng", False, False)], [("hôm nay", True, True)]]
    # Whatever follows it: a quoted phrase.
    assert shapes(join_time_words(parse_query('hôm nay "giá vàng"').groups)) == [
        [("hôm nay", True, True)], [("giá vàng", True, False)]]


@pytest.mark.parametrize("q", ['giá vàng "hôm nay"', "title:hôm nay", "hôm OR hom nay", "giá vàng hôm này",
                               '"giá vàng hôm nay"', "hôm giá nay"])
def test_a_word_of_time_quoted_in_a_field_with_another_spelling_or_not_one_is_left_as_typed(q):
    parsed = parse_query(q)
    assert join_time_words(parsed.groups) == parsed.groups
    assert time_groups(parsed) == set()


def test_understanding_joins_the_words_of_time_of_a_short_query_alone(engine_of):
    vocabulary = Vocabulary(engine_of("embedded").backend.statistics())
    short = understand(parse_query("giá vàng hôm nay tăng mạnh"), vocabulary, abbreviations.load()).parsed
    long = understand(parse_query("hôm nay giá vàng miếng SJC tăng hay giảm"), vocabulary, abbreviations.load()).parsed
    assert shapes(short.groups)[2] == [("hôm nay", True, True)] and time_groups(short) == {2}
    assert len(long.groups) == 9 and time_groups(long) == set()


def test_a_weight_of_zero_turns_the_reading_off():
    assert not wants_recent(parse_query("giá vàng hôm nay"), NO_RECENCY)


def test_a_word_of_time_read_from_telex_counts(engine_of):
    engine = engine_of("embedded")
    vocabulary = Vocabulary(engine.backend.statistics())
    understood = understand(parse_query("gias vangf hoom nay"), vocabulary, engine.abbreviations)
    assert recency_word(understood.parsed, DEFAULT_RANKING) == "hôm nay"


# Freshness ------------------------------------------------------------------------------------


def test_freshness_halves_the_boost_every_half_life_before_the_newest_and_undated_articles_get_the_floor():
    newest = 1_770_000_000
    stamps = np.array([newest, newest - 2 * SECONDS_A_DAY, newest - 4 * SECONDS_A_DAY, 0, newest - SECONDS_A_DAY])
    assert freshness(stamps, DEFAULT_RANKING).tolist() == pytest.approx([1.0, 0.75, 0.625, 0.5, 0.5 + 0.5 * 0.5 ** 0.5])
    ranking = replace(DEFAULT_RANKING, recency_weight=0.2, recency_half_life_days=4.0)
    assert freshness(stamps, ranking).tolist() == pytest.approx(
        [1.0, 0.8 + 0.2 * 0.5 ** 0.5, 0.9, 0.8, 0.8 + 0.2 * 0.5 ** 0.25])


def test_freshness_of_undated_articles_alone_changes_nothing():
    assert freshness(np.zeros(3, dtype=np.int64), DEFAULT_RANKING).tolist() == [1.0, 1.0, 1.0]


def test_an_article_of_the_first_second_of_1970_is_dated_and_an_undated_one_beside_it_is_not():
    # The index stores an article of 1970-01-01T00:00:00Z as 1 (its floor): 0 alone means undated.
    assert freshness(np.array([1, 0]), DEFAULT_RANKING).tolist() == [1.0, 0.5]


def test_the_stamps_of_stored_articles_are_the_index_timestamps():
    articles = [{"published": "2026-02-08T00:38:07+00:00"}, {"published": None}, {},
                {"published": "2026-02-08T07:38:07+07:00"}, {"published": "1970-01-01T00:00:00+00:00"}]
    assert stamps_of(articles).tolist() == [1_770_511_087, 0, 0, 1_770_511_087, 1]


# Ranked on both backends ----------------------------------------------------------------------


@pytest.fixture(scope="module", params=["embedded", "cluster"])
def backend(request) -> str:
    """Return the backend the module's ranking tests run on."""
    return request.param


@pytest.fixture(scope="module")
def engine_of(tmp_path_factory):
    """Return a function giving an engine over tests/fixtures/gold_prices.jsonl on a backend (clusters
    are started once, stopped with the module)."""
    with fixture_engines(tmp_path_factory.mktemp("recency"), [str(GOLD)]) as engine:
        yield engine


def page(engine: SearchEngine, q: str, **params) -> dict:
    """Return the first page of a search, its ids, total, facets and notices."""
    result = engine.search(SearchRequest.from_params({"q": q, **params}))
    return {"ids": [hit["id"] for hit in result["hits"]], "total": result["total"], "facets": result["facets"],
            "notices": result["notices"]}


@pytest.mark.parametrize("q", ["giá vàng hôm nay", "gia vang hom nay", "gias vangf hoom nay"])
def test_todays_gold_price_comes_first_and_the_days_before_follow_newest_first(engine_of, backend, q):
    recent, relevance = page(engine_of(backend), q), page(engine_of(backend, NO_RECENCY), q)
    assert recent["ids"] == [DAY_8, DAY_7, DAY_6, DAY_4, OLDER]
    assert relevance["ids"][0] == DAY_4  # by relevance alone the 4th's closing price, the longest on gold, wins
    assert NOTICE in recent["notices"] and NOTICE not in relevance["notices"]


def test_the_weight_of_time_changes_the_order_alone_not_the_set_its_total_or_its_facets(engine_of, backend):
    recent, relevance = page(engine_of(backend), "giá vàng hôm nay"), page(engine_of(backend, NO_RECENCY),
                                                                          "giá vàng hôm nay")
    assert (recent["total"], recent["facets"], sorted(recent["ids"])) == \
        (relevance["total"], relevance["facets"], sorted(relevance["ids"]))


def test_a_word_of_time_stands_anywhere_in_the_article_not_beside_the_subject(engine_of, backend):
    # The article of 31 January writes "giá vàng" in its title and "hôm nay" 300 words on, of silver.
    assert page(engine_of(backend), "giá vàng hôm nay")["total"] == 5
    # Quoted, it is a phrase the reader typed, kept close to the others as before.
    assert page(engine_of(backend), 'giá vàng "hôm nay"')["ids"] == [DAY_8, DAY_7, DAY_6, DAY_4]
    assert page(engine_of(backend), '"giá vàng hôm nay"')["ids"] == [DAY_8, DAY_7, DAY_6, DAY_4]  # in a row


@pytest.fixture(scope="module")
def demo_engine(backend, request) -> SearchEngine:
    """Return an engine over the demo corpus on the module's backend."""
    if backend == "cluster":
        return open_engine("", request.getfixturevalue("demo_cluster").url)
    return SearchEngine(request.getfixturevalue("demo_index"))


def test_a_word_of_time_is_its_syllables_in_a_row_and_a_subject_without_it_is_what_the_wider_tier_keeps(demo_engine):
    # The demo's Harvard article writes "hôm" and "nay" apart, never "hôm nay": the article holding every
    # word is none, and the wider tier keeps the subject's articles, not the 14 that say "hôm nay".
    harvard = ["unc-news_education_001"]
    assert page(demo_engine, "Harvard hôm")["ids"] == page(demo_engine, "Harvard nay")["ids"] == harvard
    assert page(demo_engine, "hôm nay")["total"] == 14
    result = demo_engine.search(SearchRequest(q="Harvard hôm nay"))
    assert (result["tier"], result["total"], [hit["id"] for hit in result["hits"]]) == \
        ("most", 1, harvard)


def test_a_query_without_a_word_of_time_ranks_by_relevance_alone(engine_of, backend):
    assert page(engine_of(backend), "giá vàng") == page(engine_of(backend, NO_RECENCY), "giá vàng")


def test_another_order_than_relevance_is_kept_and_says_nothing_of_time(engine_of, backend):
    oldest = page(engine_of(backend), "giá vàng hôm nay", sort="oldest")
    assert oldest["ids"] == [OLDER, DAY_4, DAY_6, DAY_7, DAY_8] and NOTICE not in oldest["notices"]
