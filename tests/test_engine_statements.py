"""What the cluster backend writes for the engine and reads back from it, without a cluster.

search/cluster_backend.py's pure parts: the ranker expression and field weights, the optional part of a
MATCH text (exact forms, compounds), the filters' WHERE conditions, the plans' comparisons, a query's
key, SHOW META read and merged across shards, a batch's counts sent once, the statements of a shard
and of stored text.  test_cluster_matching.py and test_cluster_rerank.py check what these find on a
real searchd cluster; these pin each piece so that a change to one is seen without starting searchd.
"""

from __future__ import annotations

import collections
import re
import threading
import time
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from search import cluster_backend
from search.cluster_backend import (
    DEFAULT_ENGINE_RANKING,
    HELPER_THREADS,
    ClusterBackend,
    ClusterStatistics,
    EngineRanking,
    Labels,
    Plan,
    _answers_most,
    _Batch,
    _compounds,
    _found,
    _generation,
    _keyword_documents,
    _merged_meta,
    _on_shard,
    _same_page,
    _stored_statement,
    _top_page,
    _warning,
    _with_accents,
    bonus_match,
    escape_literal,
    filter_conditions,
    match_text,
    query_key,
)
from search.cluster_query import question_pool_text
from search.documents import DEFAULT_MAX_ARTICLE_BYTES
from search.parse import parse_query
from search.ranking import DEFAULT_RANKING
from search.request import TIERS, SearchRequest
from search.sphinxql import (
    STORED_COLUMNS,
    WRITE_TIMEOUT_S,
    BackendError,
    document_key,
    label_code,
    stored_fields,
)

EXACT = "@(title_exact,body_exact)"
COMPOUND = "@(title_compound,body_compound)"
FIELDS_ALL = "@(title_exact,body_exact,title_fold,body_fold)"
MEAN_TF = "if(sum_idf>0,tf_idf/sum_idf,1)"
SATURATED = f"sum_idf*{MEAN_TF}*2.2/({MEAN_TF}+1.2)"
LCS = "+200*sum((lcs-1)*if(user_weight>=3,4,1))"


# The ranker expression ---------------------------------------------------------------------


def test_a_querys_expression_saturates_each_fields_mean_frequency_and_divides_the_bodys_part_by_its_length():
    # As a 60k cluster's page sent it (bench/README.md): body length 695.8, title length 7.2 syllables.
    assert DEFAULT_ENGINE_RANKING.expression(695.8, average_title=7.2) == (
        f"(1000*sum(if(user_weight>=3,0,{SATURATED}*user_weight)))/sqrt(0.2+body_fold_len/695.8)"
        f"+1000*sum(if(user_weight>=3,{SATURATED}*user_weight,0))/(1-0+0*title_fold_len/7.2){LCS}")


def test_a_questions_expression_weighs_idf_alone_and_adds_the_engines_bm25_to_the_bodys_part():
    assert DEFAULT_ENGINE_RANKING.expression(420.04, question=True, average_title=12.96) == (
        "(1000*sum(if(user_weight>=3,0,sum_idf*user_weight))+3*bm25)/sqrt(0.2+body_fold_len/420.0)"
        "+1000*sum(if(user_weight>=3,sum_idf*user_weight,0))/(1-0+0*title_fold_len/13.0)" + LCS)


def test_an_expression_lifting_articles_that_hold_every_word_adds_its_bonus_past_their_count():
    assert DEFAULT_ENGINE_RANKING.expression(500.0, 10_000_000, 3, average_title=10.0).endswith(
        f"{LCS}+if(doc_word_count>=3,10000000,0)")
    assert "doc_word_count" not in DEFAULT_ENGINE_RANKING.expression(500.0, 0, 3)


def test_an_expression_without_a_title_average_or_a_word_count_takes_one_title_syllable_and_no_word():
    expression = DEFAULT_ENGINE_RANKING.expression(500.0, 7)
    assert "title_fold_len/1.0)" in expression and expression.endswith(f"{LCS}+if(doc_word_count>=0,7,0)")


def test_averages_below_one_syllable_are_taken_as_one():
    expression = DEFAULT_ENGINE_RANKING.expression(0.4, average_title=0.0)
    assert "body_fold_len/1.0)" in expression and "title_fold_len/1.0)" in expression


def test_the_expressions_knobs_are_written_where_they_count():
    ranking = EngineRanking(title_weight=5, k1=2.0, question_bm25_weight=7, length_floor=0.5, title_lcs=6,
                            body_lcs=2, lcs_scale=300, title_b=0.25)
    mean_tf = MEAN_TF
    assert ranking.expression(100.0, average_title=8.0) == (
        f"(1000*sum(if(user_weight>=5,0,sum_idf*{mean_tf}*3/({mean_tf}+2)*user_weight)))/sqrt(0.5+body_fold_len/100.0)"
        f"+1000*sum(if(user_weight>=5,sum_idf*{mean_tf}*3/({mean_tf}+2)*user_weight,0))"
        "/(1-0.25+0.25*title_fold_len/8.0)+300*sum((lcs-1)*if(user_weight>=5,6,2))")
    assert ranking.expression(100.0, question=True).startswith(
        "(1000*sum(if(user_weight>=5,0,sum_idf*user_weight))+7*bm25)/sqrt(0.5+body_fold_len/100.0)")


def test_without_the_title_apart_every_fields_part_is_divided_by_the_bodys_length():
    assert EngineRanking(title_apart=0).expression(300.0) == (
        f"(1000*sum({SATURATED}*user_weight))/sqrt(0.2+body_fold_len/300.0){LCS}")
    assert EngineRanking(title_apart=0).expression(300.0, question=True) == (
        f"(1000*sum(sum_idf*user_weight)+3*bm25)/sqrt(0.2+body_fold_len/300.0){LCS}")


def test_field_weights_give_titles_their_weight_times_the_exact_and_compound_weights():
    assert DEFAULT_ENGINE_RANKING.field_weights() == (
        "title_fold=3,body_fold=1,title_exact=3,body_exact=1,title_compound=3,body_compound=1,every=0")
    assert EngineRanking(title_weight=5, body_weight=2, exact_weight=3, compound_weight=4).field_weights() == (
        "title_fold=5,body_fold=2,title_exact=15,body_exact=6,title_compound=20,body_compound=8,every=0")


# The MATCH text's optional part --------------------------------------------------------------


@pytest.mark.parametrize("query, optional, compounds_only", [
    ("bộ chính trị",
     f"({EXACT} bộ) | ({EXACT} chính) | ({EXACT} trị) | ({COMPOUND} bo_chinh | chinh_tri)",
     f"({COMPOUND} bo_chinh | chinh_tri)"),
    # A phrase's compounds, and those across it and the next words; its accented syllables in one part.
    ('"chính trị" hà nội',
     f"({EXACT} chính | trị) | ({EXACT} hà) | ({EXACT} nội) | ({COMPOUND} chinh_tri | tri_ha | ha_noi)",
     f"({COMPOUND} chinh_tri | tri_ha | ha_noi)"),
    # A title clause: its exact forms in the title alone, its compounds its own (none across it).
    ('title:"việt nam" bóng đá',
     f"(@title_exact việt) | ({EXACT} bóng) | ({EXACT} đá) | ({COMPOUND} viet_nam | bong_da)",
     f"({COMPOUND} viet_nam | bong_da)"),
    # Typed without accents: compounds alone.
    ("bo chinh tri", f"({COMPOUND} bo_chinh | chinh_tri)", f"({COMPOUND} bo_chinh | chinh_tri)"),
    ("việt", f"({EXACT} việt)", ""),
    ("a", "", ""),
])
def test_the_optional_part_scores_the_accents_typed_and_the_compounds_of_adjacent_syllables(query, optional,
                                                                                           compounds_only):
    parsed = parse_query(query)
    assert bonus_match(parsed) == optional
    assert bonus_match(parsed, exact_forms=False) == compounds_only


def test_an_exact_form_the_engine_would_split_is_looked_up_folded():
    # "ș" (U+0219) is outside the engine's charset table: the exact field holds the folded token.
    parsed = parse_query("București")
    assert bonus_match(parsed) == f"({EXACT} bucuresti)"
    assert _with_accents("T", parsed.syllables) == "(T) MAYBE (@title_exact bucuresti)"


def test_compounds_are_two_and_three_syllables_long_within_a_clause_and_two_across_clauses():
    assert _compounds(parse_query('"ban chấp hành trung ương"')) == [
        "ban_chap", "chap_hanh", "hanh_trung", "trung_uong", "ban_chap_hanh", "chap_hanh_trung", "hanh_trung_uong"]
    # A word with inner punctuation is one clause of two syllables; numbers pair as words do.
    assert _compounds(parse_query("covid-19 9,5 tỷ")) == ["covid_19", "9_5", "19_9", "5_ty"]
    assert _compounds(parse_query("hà nội hà nội")) == ["ha_noi", "noi_ha"]


def test_a_match_text_holds_the_tiers_part_then_the_optional_part_then_the_exclusions():
    parsed = parse_query("bo chinh tri -hà")
    assert match_text(parsed, "POSITIVE", True) == (
        f"(POSITIVE) MAYBE (({COMPOUND} bo_chinh | chinh_tri)) -({EXACT} hà)")
    assert match_text(parsed, "POSITIVE", False, bonus=False) == "POSITIVE -(@(title_fold,body_fold) ha)"
    assert match_text(parse_query("việt"), "POSITIVE", True, exact_forms=False) == "POSITIVE"
    assert match_text(parse_query("việt"), "POSITIVE", True) == f"(POSITIVE) MAYBE (({EXACT} việt))"
    # No word to score: the tier's part and the exclusions alone.
    assert match_text(parse_query("-việt"), "EVERY", True) == f"EVERY -({EXACT} việt)"


def test_accents_typed_are_added_to_a_text_as_a_title_bonus():
    accented = parse_query("Hà Nội mở rộng").syllables
    assert _with_accents("T", accented) == "(T) MAYBE (@title_exact hà | nội | mở | rộng)"
    assert _with_accents("T", parse_query("ha noi").syllables) == "T"


def test_a_literal_escapes_backslashes_then_quotes():
    assert escape_literal(r"it's a \ back\'slash") == r"it\'s a \\ back\\\'slash"


# Filters -----------------------------------------------------------------------------------------


def _labels(categories: list[str], sources: list[str]) -> Labels:
    labels = Labels()
    labels.categories, labels.sources = categories, sources
    return labels


def test_every_active_filter_is_a_condition_of_its_own_facet():
    request = SearchRequest(q="x", date_from=date(2021, 3, 4), date_to=date(2022, 11, 30), year="2021",
                            month="2021-03", categories=["Thể thao", "none"], sources=["VnExpress"])
    assert filter_conditions(request, Labels(), parse_query("x")) == {
        "date": "day BETWEEN 20210304 AND 20221130",
        "year": "year = 2021",
        "month": "month = 202103",
        "category": f"category_crc IN ({','.join(map(str, sorted([label_code('Thể thao'), label_code('')])))})",
        "source": f"source_crc IN ({label_code('VnExpress')})",
    }


def test_an_open_date_range_runs_from_the_first_or_to_the_last_day_and_the_undated_year_is_zero():
    labels, parsed = Labels(), parse_query("x")
    assert filter_conditions(SearchRequest(q="x", date_from=date(2020, 1, 9)), labels, parsed) == {
        "date": "day BETWEEN 20200109 AND 99991231"}
    assert filter_conditions(SearchRequest(q="x", date_to=date(2019, 12, 31)), labels, parsed) == {
        "date": "day BETWEEN 1 AND 20191231"}
    assert filter_conditions(SearchRequest(q="x", year="none"), labels, parsed) == {"year": "year = 0"}
    assert filter_conditions(SearchRequest(q="x"), labels, parsed) == {}


def test_a_querys_category_and_source_match_the_labels_holding_their_words_in_a_row():
    labels = _labels(["Thể thao", "Bóng đá quốc tế", "Thời sự"], ["Báo Chính phủ", "VnExpress"])
    parsed = parse_query("category:bong-da source:chinh-phu giá vàng")
    assert parsed.categories and parsed.sources
    assert filter_conditions(SearchRequest(q=parsed.text), labels, parsed) == {
        "query_category": f"category_crc IN ({label_code('Bóng đá quốc tế')})",
        "query_source": f"source_crc IN ({label_code('Báo Chính phủ')})",
    }
    # A label no category holds: a condition nothing meets (not every article).
    unknown = parse_query("category:khong-co")
    assert filter_conditions(SearchRequest(q=unknown.text), labels, unknown) == {
        "query_category": f"category_crc IN ({label_code(chr(0) + 'no label')})"}


def test_loose_labels_hold_every_typed_words_folded_in_a_row_as_whole_words():
    names = ["Thể thao", "Bóng đá quốc tế", "Bóng đá Việt Nam", "Văn hóa", "Thao trường"]
    assert Labels.loose(names, ["bong da"]) == ["Bóng đá quốc tế", "Bóng đá Việt Nam"]
    assert Labels.loose(names, ["bong da", "viet nam"]) == ["Bóng đá Việt Nam"]
    assert Labels.loose(names, ["thao"]) == ["Thể thao", "Thao trường"]
    assert Labels.loose(names, ["da quoc"]) == ["Bóng đá quốc tế"]
    assert Labels.loose(names, ["tha"]) == []
    assert Labels.loose(names, [""]) == []


def test_labels_start_empty_with_averages_of_one_and_no_generation():
    assert vars(Labels()) == {"categories": [], "sources": [], "average_length": 1.0, "average_title": 1.0,
                              "articles": 0, "live_articles": 0, "loaded": 0.0, "generation": None, "whole": True}


# Plans ---------------------------------------------------------------------------------------------


def _plan(tier: str = "all", accents: str = "exact", question: bool = False, **fields) -> Plan:
    return Plan(tier=tier, accents=accents, texts={"all": "A", "most": "M"}, question=question, **fields)


def test_a_plans_matching_is_all_words_but_in_its_most_tier():
    assert [_plan(tier).matching for tier in ("together", "all")] == ["all", "all"]
    assert _plan("most").matching == "any" and _plan("most", question=True).matching == "most"
    assert _plan(accents="exact").exact and not _plan(accents="folded").exact


def test_a_questions_result_set_is_its_most_tier_unless_its_words_stand_together_in_auto_mode():
    assert _answers_most(_plan("all", question=True), "auto")
    assert not _answers_most(_plan("together", question=True), "auto")
    assert _answers_most(_plan("together", question=True, guessed=True), "auto")
    assert not _answers_most(_plan("all", question=True), "all")
    assert not _answers_most(_plan("all"), "auto")


def test_a_guessed_page_is_the_counted_plans_when_its_accents_texts_and_answer_are_the_same():
    assert _same_page(_plan("all"), _plan("all"), "auto")
    assert not _same_page(_plan("together"), _plan("all"), "auto")
    assert not _same_page(_plan("all"), _plan("all", accents="folded"), "auto")
    assert not _same_page(_plan("all"), _plan("all", found=False), "auto")
    assert not _same_page(_plan("all"), Plan("all", "exact", {"all": "B"}, False), "auto")
    # A question answered from its most tier either way: the tier does not decide its page.
    assert _same_page(_plan("together", question=True, guessed=True), _plan("all", question=True), "auto")
    assert not _same_page(_plan("together", question=True, guessed=True), _plan("together", question=True), "auto")


def test_only_a_first_default_page_by_relevance_in_auto_mode_without_filters_is_the_top_page():
    assert _top_page(SearchRequest(q="x"))
    others = [dict(page=2), dict(size=20), dict(sort="newest"), dict(match="all"), dict(date_from=date(2021, 1, 1)),
              dict(date_to=date(2021, 1, 1)), dict(year="2021"), dict(month="2021-01"), dict(categories=["Thể thao"]),
              dict(sources=["VnExpress"])]
    assert [_top_page(SearchRequest(q="x", **other)) for other in others] == [False] * len(others)


def test_a_querys_key_is_its_normalised_words_not_how_they_were_typed():
    assert query_key(parse_query("Bán  nhà 3")) == query_key(parse_query("bán nhà 3"))
    keys = {query_key(parse_query(q)) for q in ("bán nhà 3", "ban nha 3", '"bán nhà" 3', "title:bán nhà 3",
                                                 "bán nhà 3 -hà", "bán nhà 3 category:the-thao",
                                                 "bán nhà 3 source:vnexpress", "nhà bán 3")}
    assert len(keys) == 8


# SHOW META -----------------------------------------------------------------------------------------


def test_show_meta_gives_the_total_found_and_each_keywords_documents():
    meta = [("total", "10"), ("total_found", "1234"), ("time", "0.012"), ("keyword[0]", "bo"), ("docs[0]", "50"),
            ("hits[0]", "70"), ("keyword[1]", "chinh_tri"), ("docs[1]", "7"), ("hits[1]", "9")]
    assert _found(meta) == 1234 and _found([]) == 0
    assert _keyword_documents(dict(meta)) == {"bo": 50, "chinh_tri": 7}
    assert _keyword_documents({"keyword[0]": "x"}) == {"x": 0}


@pytest.mark.parametrize("warning, missing", [
    ("", False),
    ("agent 127.0.0.1:9312: connect() failed: 111, Connection refused", True),
    ("index shard1: agent query timed out", True),
    ("quorum threshold too high (words=2, thresh=3); replacing quorum operator with AND operator", False),
    # The quorum's own warning beside a shard that failed: the failure counts.
    ("quorum threshold too high (words=2, thresh=3); agent 127.0.0.1:9312: connection closed", True),
    ("remote agent lost", True),
    ("quorum threshold too high (words=2, thresh=3); agent 127.0.0.1:9312: connect() failed", True),
    ("quorum threshold too high (words=2, thresh=3); remote agent lost", True),
    ("quorum threshold too high (words=2, thresh=3); index shard1: query timed out", True),
    ("quorum threshold too high (words=2, thresh=3); agent: connection refused", True),
])
def test_a_warning_means_a_shard_did_not_answer_unless_it_is_only_the_quorums(warning, missing):
    assert _warning([("total", "0"), ("warning", warning)]) is missing
    assert _warning({"warning": warning}) is missing


def test_a_generation_is_the_first_value_read_or_none():
    assert _generation([('{"generation": 3}',)]) == '{"generation": 3}' and _generation([]) is None


def test_the_shards_metas_merge_into_the_distributed_indexs():
    shard0 = [("total", "3"), ("total_found", "120"), ("time", "0.004"), ("keyword[0]", "bo"), ("docs[0]", "40"),
              ("hits[0]", "55"), ("keyword[1]", "chinh"), ("docs[1]", "20"), ("hits[1]", "21")]
    shard1 = [("warning", "agent lost"), ("total", "2"), ("total_found", "80"), ("time", "0.017"),
              ("keyword[0]", "chinh"), ("docs[0]", "11"), ("hits[0]", "13"), ("keyword[1]", "tri"), ("docs[1]", "5"),
              ("hits[1]", "6")]
    shard2 = [("warning", "agent lost"), ("total_found", "1"), ("time", "")]
    shard3 = [("warning", "timed out"), ("total_found", "0")]
    assert _merged_meta([shard0, shard1, shard2, shard3], 5) == [
        ("warning", "agent lost; timed out"), ("total", "5"), ("total_found", "201"), ("time", "0.017"),
        ("keyword[0]", "bo"), ("docs[0]", "40"), ("hits[0]", "55"),
        ("keyword[1]", "chinh"), ("docs[1]", "31"), ("hits[1]", "34"),
        ("keyword[2]", "tri"), ("docs[2]", "5"), ("hits[2]", "6"),
    ]
    assert _merged_meta([[("total_found", "7")]], 0) == [("total", "0"), ("total_found", "7"), ("time", "0.000")]
    # A meta missing its counts (a shard that sent a warning alone) adds nothing.
    assert _merged_meta([[("warning", "agent lost"), ("keyword[0]", "bo")], [("total_found", "3"), ("time", "0.5"),
                         ("keyword[0]", "bo"), ("docs[0]", "2"), ("hits[0]", "4")]], 1) == [
        ("warning", "agent lost"), ("total", "1"), ("total_found", "3"), ("time", "0.500"),
        ("keyword[0]", "bo"), ("docs[0]", "2"), ("hits[0]", "4")]
    assert _merged_meta([], 0) == [("total", "0"), ("total_found", "0"), ("time", "0.000")]


# Statements ---------------------------------------------------------------------------------------


def test_a_statement_of_the_distributed_index_is_asked_of_a_shard_by_name():
    statement = "SELECT id FROM articles WHERE MATCH('articles') LIMIT 1"
    assert _on_shard(statement, "shard1") == "SELECT id FROM shard1 WHERE MATCH('articles') LIMIT 1"
    for wrong in ("SELECT id FROM shard0 LIMIT 1", "SELECT id FROM articles LIMIT 1; SELECT id FROM articles LIMIT 1"):
        with pytest.raises(ValueError, match="not one statement of the distributed index"):
            _on_shard(wrong, "shard1")
    long = "SELECT id FROM shard0 WHERE MATCH('" + "x" * 100 + "')"
    with pytest.raises(ValueError) as raised:
        _on_shard(long, "shard1")
    assert str(raised.value) == f"not one statement of the distributed index: {long[:80]!r}"


def test_stored_text_is_read_by_key_with_a_queue_of_exactly_those_keys():
    assert _stored_statement("shard0", [12, -5, 7]) == (
        "SELECT id, doc_id, title, title_derived, body, url, published, category, source, portal FROM shard0 "
        "WHERE id IN (12,-5,7) LIMIT 3 OPTION max_matches=3", None)


def test_a_batch_sends_each_count_once_and_tells_where_its_show_meta_is():
    batch = _Batch([("PAGE", None), ("SHOW META", None)])
    assert batch.add([("GROUP", None), ("SHOW META", None)]) == 2
    assert batch.count(" WHERE A") == 5 and batch.count(" WHERE A") == 5
    # Whether it finds anything: a count already there answers; else a count stopping at its first match.
    assert batch.count(" WHERE A", exists=True) == 5
    assert batch.count(" WHERE B", exists=True) == 7 and batch.count(" WHERE B", exists=True) == 7
    assert batch.count(" WHERE B") == 9
    batch.counted_at(" WHERE C", 3)
    batch.counted_at(" WHERE A", 3)
    assert batch.count(" WHERE C") == 3 and batch.count(" WHERE A") == 5
    assert batch.statements == [
        ("PAGE", None), ("SHOW META", None), ("GROUP", None), ("SHOW META", None),
        ("SELECT id FROM articles WHERE A LIMIT 0 OPTION ranker=none, max_matches=1", None), ("SHOW META", None),
        ("SELECT id FROM articles WHERE B LIMIT 0 OPTION ranker=none, max_matches=1, cutoff=1", None),
        ("SHOW META", None),
        ("SELECT id FROM articles WHERE B LIMIT 0 OPTION ranker=none, max_matches=1", None), ("SHOW META", None),
    ]
    assert _Batch().statements == [] and _Batch().add([]) == 0


# A page's statements -------------------------------------------------------------------------------

STORED = "doc_id, title, title_derived, body, url, published, category, source, portal"
THREE = f"({EXACT} bộ) ({EXACT} chính) ({EXACT} trị)"
BONUS = f"({COMPOUND} bo_chinh | chinh_tri)"
WEIGHTS = "field_weights=(title_fold=3,body_fold=1,title_exact=3,body_exact=1,title_compound=3,body_compound=1,every=0)"


def _options(expression: str) -> str:
    return f"ranker=expr('{expression}'), idf='plain,tfidf_unnormalized', {WEIGHTS}"


QUERY_OPTIONS = _options(DEFAULT_ENGINE_RANKING.expression(400.0, average_title=12.0))


@pytest.fixture
def backend():
    """A two-node backend that never reaches a node: its labels given, any round trip a failure."""
    made = ClusterBackend("sphinxql://127.0.0.1:1,127.0.0.1:2")
    labels = _labels(["Thể thao"], ["VnExpress"])
    labels.average_length, labels.average_title = 400.0, 12.0
    made.labels = lambda: labels

    def run(statements):
        raise AssertionError(f"a round trip: {statements}")

    made.run = run
    return made


def _page(backend, query: str, tier: str = "all", question: bool = False, wide: bool = False, **asked):
    parsed = parse_query(query)
    plan = Plan(tier, "exact", backend._plan_texts(parsed, "auto")[0]["exact"], question)
    request = SearchRequest(q=query, **asked)
    conditions = filter_conditions(request, backend.labels(), parsed)
    return backend._page_statements(parsed, plan, plan.texts[tier], conditions, request, wide=wide)


def test_a_first_relevance_page_asks_each_shards_best_articles_with_their_stored_text(backend):
    assert _page(backend, "bộ chính trị") == [
        (f"SELECT WEIGHT() AS score, {STORED}, IF(published_ts = 0, 1, 0) AS undated, id % 2 AS shard FROM articles "
         f"WHERE MATCH('({THREE}) MAYBE ({BONUS})') GROUP 10 BY shard WITHIN GROUP ORDER BY WEIGHT() DESC, id ASC "
         f"ORDER BY WEIGHT() DESC, id ASC LIMIT 20 OPTION max_matches=20, {QUERY_OPTIONS}", None),
        ("SHOW META", None)]


def test_a_relevance_page_past_the_shards_best_also_asks_the_engines_rows_to_its_end(backend):
    statements = _page(backend, "bộ chính trị", page=2)
    assert statements[:2] == _page(backend, "bộ chính trị")
    assert statements[2:] == [
        (f"SELECT WEIGHT() AS score, {STORED}, IF(published_ts = 0, 1, 0) AS undated FROM articles "
         f"WHERE MATCH('({THREE}) MAYBE ({BONUS})') ORDER BY WEIGHT() DESC, id ASC LIMIT 0, 20 "
         f"OPTION max_matches=20, {QUERY_OPTIONS}", None),
        ("SHOW META", None)]


@pytest.mark.parametrize("sort, order", [
    ("newest", "published_ts DESC, WEIGHT() DESC, id ASC"),
    ("oldest", "undated ASC, published_ts ASC, WEIGHT() DESC, id ASC"),
])
def test_a_page_by_date_is_the_engines_rows_from_its_offset(backend, sort, order):
    assert _page(backend, "bộ chính trị", sort=sort, page=3, size=5) == [
        (f"SELECT WEIGHT() AS score, {STORED}, IF(published_ts = 0, 1, 0) AS undated FROM articles "
         f"WHERE MATCH('({THREE}) MAYBE ({BONUS})') ORDER BY {order} LIMIT 10, 5 "
         f"OPTION max_matches=15, {QUERY_OPTIONS}", None),
        ("SHOW META", None)]


def test_a_wide_page_asks_the_first_matches_keys_and_facet_values_without_stored_text(backend):
    assert _page(backend, "bộ chính trị", wide=True) == [
        ("SELECT WEIGHT() AS score, id, month, category, source, id % 2 AS shard FROM articles "
         f"WHERE MATCH('({THREE}) MAYBE ({BONUS})') ORDER BY WEIGHT() DESC, id ASC LIMIT 400 "
         f"OPTION max_matches=400, {QUERY_OPTIONS}", None),
        ("SHOW META", None)]
    backend.one_match_rows = 25
    assert "LIMIT 25 OPTION max_matches=25," in _page(backend, "bộ chính trị", wide=True)[0][0]


def test_the_most_tier_of_a_query_lifts_the_articles_holding_every_word_instead_of_an_optional_part(backend):
    most = f'{FIELDS_ALL} "bộ chính trị"/2'
    lifted = _options(DEFAULT_ENGINE_RANKING.expression(400.0, 10_000_000, 3, average_title=12.0))
    assert _page(backend, "bộ chính trị", tier="most")[0] == (
        f"SELECT WEIGHT() AS score, {STORED}, IF(published_ts = 0, 1, 0) AS undated, id % 2 AS shard FROM articles "
        f"WHERE MATCH('({most})') GROUP 10 BY shard WITHIN GROUP ORDER BY WEIGHT() DESC, id ASC "
        f"ORDER BY WEIGHT() DESC, id ASC LIMIT 20 OPTION max_matches=20, {lifted}", None)


def test_a_questions_page_ranks_its_deeper_best_with_compounds_alone_after_its_filters(backend):
    most = f'{FIELDS_ALL} "bộ chính trị"/2'
    asked = _options(DEFAULT_ENGINE_RANKING.expression(400.0, question=True, average_title=12.0))
    assert _page(backend, "bộ chính trị", tier="most", question=True, year="2021", categories=["Thể thao"])[0] == (
        f"SELECT WEIGHT() AS score, {STORED}, IF(published_ts = 0, 1, 0) AS undated, id % 2 AS shard FROM articles "
        f"WHERE MATCH('(({most})) MAYBE ({BONUS})') AND year = 2021 AND category_crc IN ({label_code('Thể thao')}) "
        "GROUP 30 BY shard WITHIN GROUP ORDER BY WEIGHT() DESC, id ASC ORDER BY WEIGHT() DESC, id ASC LIMIT 60 "
        f"OPTION max_matches=60, {asked}", None)
    backend.question_exact_forms = True
    assert f"MAYBE (({EXACT} bộ) | ({EXACT} chính) | ({EXACT} trị) | {BONUS})" in _page(
        backend, "bộ chính trị", tier="most", question=True)[0][0]


def test_an_empty_querys_page_is_every_article_newest_first_unranked(backend):
    assert _page(backend, "") == [
        (f"SELECT WEIGHT() AS score, {STORED}, IF(published_ts = 0, 1, 0) AS undated FROM articles "
         "ORDER BY published_ts DESC, id ASC LIMIT 0, 10 OPTION max_matches=10, ranker=none", None),
        ("SHOW META", None)]


def test_each_shards_best_are_the_rerank_depth_shared_out_and_at_least_a_page(backend):
    query, question = Plan("all", "exact", {}, False), Plan("most", "exact", {}, True)
    assert (backend._shard_depth(query), backend._shard_depth(question)) == (10, 30)
    backend.rerank_depth = (41, 7)
    assert (backend._shard_depth(query), backend._shard_depth(question)) == (21, 10)
    three = ClusterBackend("sphinxql://127.0.0.1:1,127.0.0.1:2,127.0.0.1:3", rerank_depth=(100, 0))
    assert (three._shard_depth(query), three._depth(question)) == (34, 0)


def test_only_a_relevance_page_of_words_with_a_rerank_depth_is_reranked(backend):
    parsed, plan = parse_query("bộ chính trị"), Plan("all", "exact", {}, False)
    assert backend._reranked(parsed, plan, SearchRequest(q="x"))
    assert not backend._reranked(parsed, plan, SearchRequest(q="x", sort="newest"))
    assert not backend._reranked(parse_query(""), plan, SearchRequest(q=""))
    backend.rerank_depth = (1, 60)
    assert backend._reranked(parsed, plan, SearchRequest(q="x"))
    backend.rerank_depth = (0, 60)
    assert not backend._reranked(parsed, plan, SearchRequest(q="x"))
    assert backend._best_only(_page(backend, "bộ chính trị", sort="relevance", page=1)) is False
    backend.rerank_depth = (10, 60)
    assert backend._best_only(_page(backend, "bộ chính trị"))
    assert not backend._best_only(_page(backend, "bộ chính trị", page=2))
    assert not backend._best_only(_page(backend, "bộ chính trị", wide=True))


# Facets and counts ---------------------------------------------------------------------------------


def test_each_facet_is_counted_with_every_filter_but_its_own(backend):
    parsed = parse_query("bộ chính trị")
    plan = Plan("all", "exact", {}, False)
    conditions = {"year": "year = 2021", "month": "month = 202103", "category": "category_crc IN (1)",
                  "source": "source_crc IN (2)", "date": "day BETWEEN 1 AND 2"}

    def grouped(attribute: str, kept: str) -> tuple[str, None]:
        return (f"SELECT {attribute}, COUNT(*) AS n FROM articles WHERE MATCH('{THREE}') AND {kept} "
                f"GROUP BY {attribute} LIMIT 1000 OPTION max_matches=1000, ranker=none", None)

    assert backend._facet_statements(parsed, plan, THREE, conditions) == [
        grouped("year", "category_crc IN (1) AND source_crc IN (2) AND day BETWEEN 1 AND 2"),
        grouped("month", "year = 2021 AND category_crc IN (1) AND source_crc IN (2) AND day BETWEEN 1 AND 2"),
        grouped("category", "year = 2021 AND month = 202103 AND source_crc IN (2) AND day BETWEEN 1 AND 2"),
        grouped("source", "year = 2021 AND month = 202103 AND category_crc IN (1) AND day BETWEEN 1 AND 2"),
        ("SHOW META", None)]


def test_one_grouping_counts_every_facet_in_a_queue_of_the_groups_the_last_reindex_recorded(backend):
    parsed, plan = parse_query("bộ chính trị"), Plan("all", "exact", {}, False)

    def grouping(queue: int) -> list[tuple[str, None]]:
        return [(f"SELECT month, category, source, COUNT(*) AS n FROM articles WHERE MATCH('{THREE}') AND "
                 f"day BETWEEN 1 AND 2 GROUP BY month, category, source LIMIT {queue} "
                 f"OPTION max_matches={queue}, ranker=none", None), ("SHOW META", None)]

    assert backend._grouped_facet_statements(parsed, plan, THREE, {"date": "day BETWEEN 1 AND 2"}) == grouping(20000)
    for record, queue in (('{"facet_groups": 1967}', 1967), ('{"facet_groups": 25000}', 20000),
                          ('{"facet_groups": 0}', 20000), ('{"documents": 5}', 20000), ("not json", 20000),
                          ("[1, 2]", 20000), ('{"facet_groups": 12}', 12), ('{"facet_groups": 1}', 1)):
        backend._cache.observe(record)
        assert backend._grouped_facet_statements(parsed, plan, THREE, {"date": "day BETWEEN 1 AND 2"}) == \
            grouping(queue), record


def test_the_facets_are_summed_from_the_groups_unless_the_engine_found_more_groups_than_it_sent():
    rows = [(202103, "Thời sự", "VnExpress", 5), (202103, "Thể thao", "VnExpress", 2),
            (202011, "Thời sự", "Báo Chính phủ", 4), (0, "", "VnExpress", 1)]
    facets, counted = ClusterBackend._grouped_facets([rows, [("total_found", "4")]])
    assert counted == 12
    assert (facets.year, facets.month, facets.category, facets.source) == (
        {2021: 7, 2020: 4, 0: 1}, {202103: 7, 202011: 4, 0: 1}, {"Thời sự": 9, "Thể thao": 2, "": 1},
        {"VnExpress": 8, "Báo Chính phủ": 4})
    assert ClusterBackend._grouped_facets([rows, [("total_found", "5")]]) == (None, 0)


def test_the_facets_are_read_from_one_grouping_each():
    facets = ClusterBackend._facets([[(2021, 3), (0, 1)], [(202103, 3)], [("Thời sự", 4)], [("VnExpress", 2)],
                                     [("total_found", "1")]])
    assert (facets.year, facets.month, facets.category, facets.source) == (
        {2021: 3, 0: 1}, {202103: 3}, {"Thời sự": 4}, {"VnExpress": 2})


def test_a_count_asks_for_no_row_and_a_queue_of_one_stopping_at_the_first_match_when_existence_is_enough():
    assert ClusterBackend._count_statements(" WHERE X") == [
        ("SELECT id FROM articles WHERE X LIMIT 0 OPTION ranker=none, max_matches=1", None), ("SHOW META", None)]
    assert ClusterBackend._count_statements("", exists=True) == [
        ("SELECT id FROM articles LIMIT 0 OPTION ranker=none, max_matches=1, cutoff=1", None), ("SHOW META", None)]
    assert ClusterBackend._existence_only(parse_query("Vậy tôi có cần tiêm mũi thứ ba không ạ?"), "auto")
    assert not ClusterBackend._existence_only(parse_query("Vậy tôi có cần tiêm mũi thứ ba không ạ?"), "all")
    assert not ClusterBackend._existence_only(parse_query("bộ chính trị"), "auto")


# Round trips, with nodes that answer what the test says ---------------------------------------------


class FakeNodes:
    """Answers a backend's statements per node: answer(node number, statements) gives the results, or
    raises; every call is recorded (the helper threads' too)."""

    def __init__(self, answer):
        self.answer = answer
        self.calls: list[tuple[int, list[str]]] = []
        self._lock = threading.Lock()

    def __call__(self, node, statements):
        with self._lock:
            self.calls.append((node.number, [text for text, _ in statements]))
        return self.answer(node.number, [text for text, _ in statements])


def _talking(answer, nodes: int = 2) -> tuple[ClusterBackend, FakeNodes]:
    made = ClusterBackend("sphinxql://" + ",".join(f"127.0.0.1:{port}" for port in range(1, nodes + 1)))
    fake = FakeNodes(answer)
    made.cluster.run = fake
    return made, fake


def _statements(*texts: str) -> list[tuple[str, None]]:
    return [(text, None) for text in texts]


def test_statements_go_to_the_first_node_that_answers_and_a_node_that_failed_is_tried_last():
    def answer(node, texts):
        if node == 0:
            raise BackendError("cannot reach search node 127.0.0.1:1 (shard0): connection refused")
        return [[(node, text)] for text in texts]

    made, fake = _talking(answer)
    assert made.run(_statements("A", "B")) == [[(1, "A")], [(1, "B")]]
    assert made.run(_statements("C")) == [[(1, "C")]]
    # Node 0 failed a moment ago: the second run asks node 1 first.
    assert fake.calls == [(0, ["A", "B"]), (1, ["A", "B"]), (1, ["C"])]


def test_a_run_no_node_answers_names_every_failure_and_a_syntax_error_is_raised_at_once():
    def down(node, texts):
        raise BackendError(f"node {node} down")

    made, _ = _talking(down)
    with pytest.raises(BackendError, match=r"^no search node answers: node 0 down; node 1 down$"):
        made.run(_statements("A"))

    def refused(node, texts):
        raise BackendError("search node failed: sphinxql: syntax error, unexpected ')'")

    made, fake = _talking(refused)
    with pytest.raises(BackendError, match=r"^no search node answers: search node failed: sphinxql: syntax error"):
        made.run(_statements("A"))
    # Every node refuses it alike; none is taken for down.
    assert fake.calls == [(0, ["A"]), (1, ["A"])] and made._failed == {}


def test_a_batch_is_cut_into_parts_the_nodes_run_at_once_a_lone_statement_joining_the_part_before():
    made, fake = _talking(lambda node, texts: [[(node, text)] for text in texts], nodes=3)
    results = made.run_split(_statements("P", "M", "F1", "F2", "C", "D"), 2, 4)
    assert results == [[(0, "P")], [(0, "M")], [(1, "F1")], [(1, "F2")], [(2, "C")], [(2, "D")]]
    assert sorted(fake.calls) == [(0, ["P", "M"]), (1, ["F1", "F2"]), (2, ["C", "D"])]
    fake.calls.clear()
    results = made.run_split(_statements("P", "M", "F1", "F2", "C", "D"), 2, 4, 5)
    assert results == [[(0, "P")], [(0, "M")], [(1, "F1")], [(1, "F2")], [(1, "C")], [(1, "D")]]
    assert sorted(fake.calls) == [(0, ["P", "M"]), (1, ["F1", "F2", "C", "D"])]
    # A node recently failed is left out: the others share the parts.
    made._failed[1] = time.monotonic()
    fake.calls.clear()
    assert made.run_split(_statements("P", "M", "F1", "F2"), 2) == [[(0, "P")], [(0, "M")], [(2, "F1")], [(2, "F2")]]
    # With one node left, it runs the whole batch.
    made._failed[2] = time.monotonic()
    fake.calls.clear()
    assert made.run_split(_statements("P", "M", "F1", "F2"), 2) == [[(0, "P")], [(0, "M")], [(0, "F1")],
                                                                     [(0, "F2")]]
    assert fake.calls == [(0, ["P", "M", "F1", "F2"])]


def test_a_part_whose_node_fails_is_run_again_on_a_node_that_answers():
    def answer(node, texts):
        if node == 1 and "F" in texts:
            raise BackendError("cannot reach search node 127.0.0.1:2 (shard1): timed out")
        return [[(node, text)] for text in texts]

    made, fake = _talking(answer)
    first = lambda results: [[("first", *results[0][0])], results[1]]  # noqa: E731
    assert made.run_split(_statements("P", "M", "F", "N"), 2, first=first) == [
        [("first", 0, "P")], [(0, "M")], [(0, "F")], [(0, "N")]]
    assert sorted(fake.calls) == [(0, ["F", "N"]), (0, ["P", "M"]), (1, ["F", "N"])]


def _wide(shard_rows: dict[int, list[tuple]], found: dict[int, int], warning: str = ""):
    """Answer a wide page asked of each shard: its rows (score, key, month, category, source, shard)."""
    def answer(node, texts):
        assert texts == [f"SELECT WEIGHT() AS score, id FROM shard{node} WHERE MATCH('x') LIMIT 3", "SHOW META"]
        meta = [("total", str(len(shard_rows[node]))), ("total_found", str(found[node])), ("time", "0.010")]
        return [shard_rows[node], [("warning", warning), *meta] if warning and node == 1 else meta]

    return answer


def test_a_wide_page_asked_of_each_shard_is_merged_by_weight_then_key_and_its_metas_summed():
    rows = {0: [(90, 7, 1, "a", "s", 0), (50, 3, 1, "a", "s", 0), (50, 9, 1, "a", "s", 0)],
            1: [(90, 4, 1, "a", "s", 1), (60, 8, 1, "a", "s", 1)]}
    made, fake = _talking(_wide(rows, {0: 12, 1: 2}, warning="agent lost"))
    merged = made._each_shard(_statements("SELECT WEIGHT() AS score, id FROM articles WHERE MATCH('x') LIMIT 3",
                                          "SHOW META"), 3)()
    assert merged == [
        [(90, 4, 1, "a", "s", 1), (90, 7, 1, "a", "s", 0), (60, 8, 1, "a", "s", 1)],
        [("warning", "agent lost"), ("total", "3"), ("total_found", "14"), ("time", "0.010")]]
    assert sorted(call[0] for call in fake.calls) == [0, 1]


def test_stored_text_is_asked_of_each_shards_own_node_beside_the_other_statements():
    def answer(node, texts):
        grouping = [[("G", node)], [("M", node)]] if len(texts) > 1 else []
        return [[(key, f"text {key}") for key in KEYS[node]], *grouping]

    KEYS = {0: [8, 2], 1: [5]}
    made, fake = _talking(answer)
    chosen = [(90, 8, 0, "", "", 0), (80, 5, 0, "", "", 1), (70, 2, 0, "", "", 0)]
    assert made._fetch_stored(chosen, _statements("GROUPING", "SHOW META")) == [
        [(8, "text 8"), (2, "text 2"), (5, "text 5")], [("G", 0)], [("M", 0)]]
    assert sorted(fake.calls) == [
        (0, [_stored_statement("shard0", [8, 2])[0], "GROUPING", "SHOW META"]),
        (1, [_stored_statement("shard1", [5])[0]])]


def test_stored_text_goes_through_the_distributed_index_when_a_node_failed_recently_or_fails_now():
    made, fake = _talking(lambda node, texts: [[(8, "t")], [(5, "u")]][: len(texts)])
    made._failed[1] = time.monotonic()
    chosen = [(90, 8, 0, "", "", 0), (80, 5, 0, "", "", 1)]
    assert made._fetch_stored(chosen, []) == [[(8, "t")]]
    assert fake.calls == [(0, [_stored_statement("articles", [8, 5])[0]])]

    def shard1_down(node, texts):
        if node == 1:
            raise BackendError("cannot reach search node 127.0.0.1:2 (shard1): connection refused")
        return [[(8, "t"), (5, "u")]] if texts[0].count(" FROM articles ") else [[(8, "t")]]

    made, fake = _talking(shard1_down)
    assert made._fetch_stored(chosen, []) == [[(8, "t"), (5, "u")]]
    assert fake.calls[-1] == (0, [_stored_statement("articles", [8, 5])[0]])


def _stored_or_named(gone: frozenset = frozenset()):
    """Answer stored-text statements with each key's text (but keys gone), any other with its own name."""
    def answer(node, texts):
        results = []
        for text in texts:
            if text.startswith("SELECT id, doc_id"):
                keys = [int(key) for key in text[text.index(" IN (") + 5 : text.index(")")].split(",")]
                results.append([(key, f"text {key}") for key in keys if key not in gone])
            else:
                results.append([(text, node)])
        return results

    return answer


def _rows(shard: int, keys: range, month: int = 202101) -> list[tuple]:
    return [(1000 - key, key, month, "Thời sự", "VnExpress", shard) for key in keys]


PAGES = _statements("PAGE", "SHOW META")
FACETS = _statements("GROUPING", "GROUPING META")
QUERY_PLAN = Plan("all", "exact", {}, False)


def test_a_wide_page_holding_every_match_counts_the_facets_from_its_rows_and_fetches_the_stored_text():
    rows = [*_rows(0, range(1, 3)), *_rows(1, range(3, 4), month=202012)]
    made, fake = _talking(_stored_or_named())
    meta = [("warning", "agent lost"), ("total", "3"), ("total_found", "3")]
    assert made._wide_results([rows, meta], PAGES, FACETS, QUERY_PLAN) == [
        [(999, "text 1"), (998, "text 2"), (997, "text 3")], meta,
        [(202101, "Thời sự", "VnExpress", 2), (202012, "Thời sự", "VnExpress", 1)],
        [("total_found", "2"), ("warning", "agent lost")]]
    assert sorted(fake.calls) == [(0, [_stored_statement("shard0", [1, 2])[0]]),
                                  (1, [_stored_statement("shard1", [3])[0]])]


def test_a_wide_page_short_of_every_match_fetches_each_shards_best_beside_the_facets_grouping():
    rows = sorted([*_rows(0, range(0, 24, 2)), *_rows(1, range(1, 24, 2))], key=lambda row: -row[0])
    made, fake = _talking(_stored_or_named())
    meta = [("total", "24"), ("total_found", "500")]
    results = made._wide_results([rows, meta], PAGES, FACETS, QUERY_PLAN)
    best = [key for key in range(24) if key < 20]  # each shard's first ten in the page's order
    assert results == [[(1000 - key, f"text {key}") for key in sorted(best, key=lambda key: (key % 2, key))], meta,
                       [("GROUPING", 0)], [("GROUPING META", 0)]]
    assert sorted(fake.calls) == [(0, [_stored_statement("shard0", list(range(0, 20, 2)))[0], "GROUPING",
                                       "GROUPING META"]),
                                  (1, [_stored_statement("shard1", list(range(1, 20, 2)))[0]])]


def test_a_wide_page_missing_some_of_a_shards_best_asks_the_page_itself_with_the_grouping():
    rows = [*_rows(0, range(0, 12)), *_rows(1, range(12, 15))]  # shard 1 may hold more than its three
    made, fake = _talking(_stored_or_named())
    results = made._wide_results([rows, [("total_found", "40")]], PAGES, FACETS, QUERY_PLAN)
    assert results == [[("PAGE", 0)], [("SHOW META", 0)], [("GROUPING", 0)], [("GROUPING META", 0)]]
    assert fake.calls == [(0, ["PAGE", "SHOW META", "GROUPING", "GROUPING META"])]


def test_a_wide_page_whose_article_went_since_asks_the_page_again():
    rows = [*_rows(0, range(1, 3)), *_rows(1, range(3, 4))]
    made, fake = _talking(_stored_or_named(gone=frozenset({3})))
    results = made._wide_results([rows, [("total_found", "3")]], PAGES, FACETS, QUERY_PLAN)
    assert results == [[("PAGE", 0)], [("SHOW META", 0)], [(202101, "Thời sự", "VnExpress", 3)],
                       [("total_found", "1")]]
    assert fake.calls[-1] == (0, ["PAGE", "SHOW META"])


def test_an_empty_wide_page_asks_nothing_more():
    made, fake = _talking(_stored_or_named())
    assert made._wide_results([[], [("total_found", "0")]], PAGES, FACETS, QUERY_PLAN) == [
        [], [("total_found", "0")], [], [("total_found", "0")]]
    assert fake.calls == []


# Plans and health ------------------------------------------------------------------------------------


def _counting(found: dict[str, int], warning: str = ""):
    """Answer each count by its MATCH text (the number found, 0 when not listed), and SHOW META after it."""
    def answer(node, texts):
        results = []
        for text in texts:
            if text == "SHOW META":
                results.append([*([("warning", warning)] if warning else []), ("total", "0"),
                                ("total_found", str(results[-1][0][0]))])
            else:
                inside = text[text.index("MATCH('") + 7 : text.index("')")]
                results.append([(found.get(inside.replace("\\'", "'"), 0),)])
        return results

    return answer


TOGETHER_EXACT = f'{EXACT} "bộ chính trị"~4'
TOGETHER_FOLDED = '@(title_fold,body_fold) "bo chinh tri"~4'
ALL_EXACT = f"({EXACT} bộ) ({EXACT} chính) ({EXACT} trị)"
ALL_FOLDED = "(@(title_fold,body_fold) bo) (@(title_fold,body_fold) chinh) (@(title_fold,body_fold) tri)"
IN_A_ROW_FOLDED = f'{ALL_FOLDED} (@(title_fold,body_fold) "bo chinh tri")'


def test_a_plan_is_the_tightest_tier_finding_articles_as_typed_then_folded_counted_in_one_round_trip():
    made, fake = _talking(_counting({f"({TOGETHER_FOLDED})": 3, ALL_EXACT: 2, ALL_FOLDED: 9, IN_A_ROW_FOLDED: 1}))
    parsed = parse_query("bộ chính trị")
    plan = made.plan(parsed)
    assert (plan.tier, plan.accents, plan.found, plan.guessed, plan.counts) == (
        "together", "folded", True, False, {"together": 3, "all": 9, "most": 0})
    assert plan.texts == made._plan_texts(parsed, "auto")[0]["folded"]
    # Six counts and whether some article writes the words in a row, folded, each with its SHOW META.
    assert len(fake.calls) == 1 and len(fake.calls[0][1]) == 14


def test_the_words_in_a_row_are_counted_right_after_the_tightest_tier_without_the_excluded_words_folded():
    made = ClusterBackend("sphinxql://127.0.0.1:1")
    texts = made._plan_texts(parse_query("bộ chính trị -hà"), "auto")[1]
    assert list(texts)[:4] == [("together", "exact"), (cluster_backend.IN_A_ROW, "folded"), ("all", "exact"),
                               ("together", "folded")]
    assert texts[cluster_backend.IN_A_ROW, "folded"] == f"{IN_A_ROW_FOLDED} -(@(title_fold,body_fold) ha)"
    # A tier asked for, or a query without accents, has no such count.
    for q, mode in (("bộ chính trị", "all"), ("bo chinh tri", "auto")):
        assert cluster_backend.IN_A_ROW not in {tier for tier, _ in made._plan_texts(parse_query(q), mode)[1]}


def test_a_plan_takes_the_words_as_typed_apart_before_the_words_together_folded_that_no_article_writes_in_a_row():
    made, fake = _talking(_counting({f"({TOGETHER_FOLDED})": 3, ALL_EXACT: 2, ALL_FOLDED: 9}))
    plan = made.plan(parse_query("bộ chính trị"))
    assert (plan.tier, plan.accents, plan.found, plan.counts) == ("all", "exact", True, {"together": 0, "all": 2,
                                                                                         "most": 0})
    # Without an article holding the words as typed, the words together folded answer, in a row or not.
    made, fake = _talking(_counting({f"({TOGETHER_FOLDED})": 3, ALL_FOLDED: 9}))
    plan = made.plan(parse_query("bộ chính trị"))
    assert (plan.tier, plan.accents, plan.counts) == ("together", "folded", {"together": 3, "all": 9, "most": 0})
    # Kept until a reindex commits: the next search of the query asks nothing.
    assert made.plan(parse_query("Bộ  Chính Trị")) is plan and len(fake.calls) == 1


def test_a_plan_that_finds_nothing_is_the_all_tier_as_typed_found_false():
    made, _ = _talking(_counting({}))
    plan = made.plan(parse_query("bộ chính trị"))
    assert (plan.tier, plan.accents, plan.found, plan.counts) == ("all", "exact", False, {"together": 0, "all": 0,
                                                                                        "most": 0})
    made, _ = _talking(_counting({}))
    plan = made.plan(parse_query("bộ chính trị"), "together")
    assert (plan.tier, plan.accents, plan.found) == ("together", "exact", False)


def test_a_plan_counted_with_a_shard_missing_is_the_tightest_tier_as_typed_and_not_kept():
    made, fake = _talking(_counting({ALL_FOLDED: 9}, warning="agent 127.0.0.1:2: connect() failed"))
    plan = made.plan(parse_query("bộ chính trị"))
    assert (plan.tier, plan.accents, plan.guessed, plan.counts) == ("together", "exact", True, None)
    made.plan(parse_query("bộ chính trị"))
    assert len(fake.calls) == 2


def test_a_questions_plan_asks_only_whether_each_tier_finds_articles():
    question = parse_query("Vậy tôi có cần tiêm mũi thứ ba không ạ?")
    made, fake = _talking(_counting({}))
    plan = made.plan(question)
    assert plan.question and plan.counts is None and plan.found is False
    assert all(text.endswith("max_matches=1, cutoff=1") for text in fake.calls[0][1] if text != "SHOW META")


def test_health_reports_each_nodes_articles_and_is_degraded_while_one_is_down():
    record = '{"last_reindex": "2026-12-05T14:00:00+07:00", "documents": 12}'

    def answer(node, texts):
        if node == 1:
            raise BackendError("cannot reach search node 127.0.0.1:2 (shard1): connection refused")
        if texts[0].startswith("SELECT value FROM vnsearch_meta"):
            return [[(record,)]]
        assert texts == ["SELECT id FROM shard0 LIMIT 0", "SHOW META"]
        return [[], [("total", "0"), ("total_found", "12"), ("time", "0.000")]]

    made, _ = _talking(answer)
    assert made.health() == {
        "documents": 12, "last_reindex": "2026-12-05T14:00:00+07:00", "generation": "sphinxql://127.0.0.1:1,127.0.0.1:2",
        "status": "degraded",
        "nodes": [{"node": "127.0.0.1:1", "shard": "shard0", "state": "up", "documents": 12},
                  {"node": "127.0.0.1:2", "shard": "shard1", "state": "down",
                   "error": "cannot reach search node 127.0.0.1:2 (shard1): connection refused"}]}


def test_health_is_ok_when_every_node_answers_and_reads_the_record_of_a_node_holding_one():
    def answer(node, texts):
        if texts[0].startswith("SELECT value FROM vnsearch_meta"):
            return [[] if node == 0 else [('{"last_reindex": "2026-12-01T08:00:00+07:00"}',)]]
        return [[], [("total_found", str(5 + node))]]

    made, _ = _talking(answer)
    health = made.health()
    assert (health["documents"], health["status"], health["last_reindex"]) == (11, "ok", "2026-12-01T08:00:00+07:00")
    assert [node["documents"] for node in health["nodes"]] == [5, 6]
    made, _ = _talking(lambda node, texts: [[]] if "vnsearch_meta" in texts[0] else [[], [("total_found", "0")]])
    assert made.health()["last_reindex"] is None


@pytest.mark.parametrize("refusal", ["sphinxql: syntax error, unexpected ')' near ')'",
                                     "index articles: parse error: query is non-computable"])
def test_a_statement_the_engine_refuses_is_raised_at_once_and_no_node_is_taken_for_down(refusal):
    def answer(node, texts):
        if any(text.startswith("SELECT bad") for text in texts):
            raise BackendError(f"search node 127.0.0.1:{node + 1} (shard{node}) failed: {refusal}")
        return [[(node, text)] for text in texts]

    made, fake = _talking(answer)
    with pytest.raises(BackendError, match=refusal[:12]):
        made._run_on(made.cluster.nodes[0], _statements("SELECT bad"))
    with pytest.raises(BackendError, match=refusal[:12]):
        made.run_split(_statements("SELECT bad", "SHOW META", "F", "G"), 2)
    with pytest.raises(BackendError, match=refusal[:12]):
        made._fetch_stored([(1, 4, 0, "", "", 0), (1, 5, 0, "", "", 1)], _statements("SELECT bad"))
    assert made._failed == {}
    # Each refused once, never asked again of another node or of the distributed index.
    assert [texts for _, texts in fake.calls].count(["SELECT bad", "SHOW META"]) == 1
    assert not any(_stored_statement("articles", [4, 5])[0] in texts for _, texts in fake.calls)


def test_a_node_that_answers_again_is_no_longer_taken_for_down():
    made, _ = _talking(lambda node, texts: [[(node, text)] for text in texts])
    made._failed[0] = time.monotonic() - 60
    assert made._run_on(made.cluster.nodes[0], _statements("A")) == [[(0, "A")]]
    assert made._failed == {}


def test_the_page_part_whose_node_fails_is_run_again_on_another_node():
    calls = {"P": 0}

    def answer(node, texts):
        if node == 0 and texts[0] == "P":
            calls["P"] += 1
            raise BackendError("cannot reach search node 127.0.0.1:1 (shard0): timed out")
        return [[(node, text)] for text in texts]

    made, _ = _talking(answer)
    assert made.run_split(_statements("P", "M", "F", "G"), 2) == [[(1, "P")], [(1, "M")], [(1, "F")], [(1, "G")]]
    assert calls["P"] == 1 and 0 in made._failed


def test_a_wide_page_split_from_its_batch_keeps_the_first_rows_of_the_shards_merged():
    rows = {0: [(90, 7, 1, "a", "s", 0), (50, 3, 1, "a", "s", 0)],
            1: [(80, 4, 1, "a", "s", 1), (60, 8, 1, "a", "s", 1)]}
    wide = _wide(rows, {0: 2, 1: 2})

    def answer(node, texts):
        return wide(node, texts) if texts[0].startswith("SELECT WEIGHT()") else [[(node, text)] for text in texts]

    made, _ = _talking(answer)
    page = _statements("SELECT WEIGHT() AS score, id FROM articles WHERE MATCH('x') LIMIT 3", "SHOW META")
    results = made.run_split([*page, *_statements("C", "D")], 2, each_shard=3)
    assert results[0] == [(90, 7, 1, "a", "s", 0), (80, 4, 1, "a", "s", 1), (60, 8, 1, "a", "s", 1)]
    assert dict(results[1])["total_found"] == "4" and results[2:] == [[(1, "C")], [(1, "D")]]


def test_stored_text_of_a_shard_the_backend_does_not_name_is_read_through_the_distributed_index():
    made, fake = _talking(lambda node, texts: [[(9, "t")]])
    assert made._fetch_stored([(1, 9, 0, "", "", 2)], []) == [[(9, "t")]]
    assert fake.calls == [(0, [_stored_statement("articles", [9])[0]])]


def test_a_backends_helper_threads_are_made_once_a_process_named_and_bounded():
    made, _ = _talking(lambda node, texts: [])
    helpers = made._helpers()
    assert made._helpers() is helpers and helpers._max_workers == HELPER_THREADS
    assert helpers.submit(lambda: threading.current_thread().name).result().startswith("vnsearch-node")


def test_an_empty_querys_plan_is_every_article_as_typed_never_kept_and_counted_by_no_round_trip():
    made, fake = _talking(_counting({}))
    parsed = parse_query("-hà category:the-thao")
    assert made._kept_plan(parsed, "auto") == (Plan("all", "exact", made._query_texts(parsed, "auto")[0]["exact"],
                                                    False), False)
    assert made.plan(parsed) == Plan("all", "exact", {tier: "@every vnsearchdoc" for tier in TIERS}, False)
    assert fake.calls == []


def test_a_plan_whose_counts_were_all_sent_with_the_page_asks_nothing_more():
    made, fake = _talking(_counting({}))
    parsed = parse_query("bo chinh tri")
    keys = list(made._plan_texts(parsed, "auto")[1])
    earlier = [[("total_found", str(found))] for found in (0, 5, 7)]
    plan, kept = made._plan(parsed, "auto", (earlier, {key: at for key, at in zip(keys, range(3))}))
    assert (plan.tier, plan.accents, plan.counts, kept, fake.calls) == ("all", "exact", {"together": 0, "all": 5,
                                                                                          "most": 7}, False, [])


def test_the_tightest_plan_of_a_mode_is_that_modes_tier_as_typed():
    made, _ = _talking(_counting({}))
    for mode, tier in (("auto", "together"), ("all", "all"), ("most", "most")):
        plan = made._tightest(parse_query("bộ chính trị"), mode)
        assert (plan.tier, plan.accents, plan.guessed, plan.question) == (tier, "exact", True, False)


def test_the_texts_of_the_last_queries_are_kept_up_to_their_bound_then_dropped_together():
    made, _ = _talking(_counting({}))
    for number in range(256):
        made._plan_texts(parse_query(f"từ {number}"), "auto")
    assert len(made._texts) == 256
    made._plan_texts(parse_query("từ mới"), "auto")
    assert len(made._texts) == 1


def test_a_record_is_read_from_the_next_node_when_one_is_down_and_health_reads_the_reindex_record():
    asked = []

    def answer(node, texts):
        asked.append((node, texts))
        if node == 0:
            raise BackendError("cannot reach search node 127.0.0.1:1 (shard0): connection refused")
        if texts == ["SELECT value FROM vnsearch_meta WHERE id = 1"]:
            return [[('{"last_reindex": "2026-12-05T09:00:00+07:00"}',)]]
        if texts == ["SELECT value FROM vnsearch_meta WHERE id = 7"]:
            return [[("[3, 4]",)]]
        return [[], [("total", "0")]]  # a SHOW META without total_found: no article counted

    made, _ = _talking(answer)
    assert made._read_meta(7) == [3, 4]
    assert isinstance(made._failed[0], float)
    assert made.run(_statements("SELECT x")) == [[], [("total", "0")]]  # node 1 first: node 0 failed just now
    assert asked[-1][0] == 1
    health = made.health()
    assert (health["documents"], health["last_reindex"], health["status"]) == (0, "2026-12-05T09:00:00+07:00",
                                                                                "degraded")
    assert health["nodes"][1] == {"node": "127.0.0.1:2", "shard": "shard1", "state": "up", "documents": 0}


def test_health_reads_no_last_reindex_from_a_record_that_is_not_one():
    made, _ = _talking(lambda node, texts: [[("[1, 2]",)]] if "vnsearch_meta" in texts[0] else
                       [[], [("total_found", "3")]])
    assert made.health()["last_reindex"] is None


def _article_rows(*doc_ids: str) -> list[tuple]:
    return [(doc_id, f"Tiêu đề {doc_id}", 0, "Nội dung.", "https://example.vn/" + doc_id, "2026-12-01T08:00:00+07:00",
             "Thời sự", "", "") for doc_id in doc_ids]


def test_an_article_is_read_by_its_key_and_its_own_id_among_the_rows_of_that_key():
    def answer(node, texts):
        assert texts == [f"SELECT {', '.join(STORED_COLUMNS)} FROM articles WHERE id = {document_key('bai-1')}",
                         "SHOW META"]
        return [_article_rows("khac", "bai-1"), [("total_found", "2")]]

    made, _ = _talking(answer)
    assert made.document("bai-1") == {
        "id": "bai-1", "title": "Tiêu đề bai-1", "title_derived": False, "body": "Nội dung.",
        "url": "https://example.vn/bai-1", "published": "2026-12-01T08:00:00+07:00", "category": "Thời sự",
        "source": None, "portal": None}


def test_an_article_not_found_is_none_unless_a_shard_did_not_answer():
    made, _ = _talking(lambda node, texts: [_article_rows("khac"), [("total_found", "1")]])
    assert made.document("bai-1") is None
    made, _ = _talking(lambda node, texts: [[], [("warning", "agent 127.0.0.1:2: connect() failed"),
                                                 ("total_found", "0")]])
    with pytest.raises(BackendError, match=r"^a search node did not answer: article 'bai-1' may be on it$"):
        made.document("bai-1")
    made, _ = _talking(lambda node, texts: [_article_rows("bai-1"), [("warning", "agent lost"), ("total_found", "1")]])
    assert made.document("bai-1")["id"] == "bai-1"


# Word statistics ----------------------------------------------------------------------------------------


def _keywords(per_node: dict[int, dict[str, int]], down: tuple[int, ...] = (), calls: list | None = None):
    """Answer CALL KEYWORDS with each node's documents per term (qpos, tokenized, normalized, docs, hits)."""
    def answer(node, texts):
        if calls is not None:
            calls.append((node, texts))
        if node in down:
            raise BackendError(f"cannot reach search node 127.0.0.1:{node + 1} (shard{node}): connection refused")
        (text,) = texts
        words = text[len("CALL KEYWORDS('") : text.index("', '")].split()
        assert text.endswith(f"', 'shard{node}', 1)")
        return [[(str(at + 1), word, word, str(per_node[node].get(word, 0)), "0") for at, word in enumerate(words)]]

    return answer


def test_a_words_documents_are_summed_over_every_shards_dictionary_and_kept():
    calls = []
    made, _ = _talking(_keywords({0: {"bo": 40, "chinh": 7}, 1: {"bo": 35}}, calls=calls))
    assert made.keyword_documents(["bo", "chinh", "bo", "tri", "a-b"]) == {"a-b": 0, "bo": 75, "chinh": 7, "tri": 0}
    assert sorted(calls) == [(0, ["CALL KEYWORDS('bo chinh tri', 'shard0', 1)"]),
                             (1, ["CALL KEYWORDS('bo chinh tri', 'shard1', 1)"])]
    assert made.keyword_documents(["chinh", "bo"]) == {"chinh": 7, "bo": 75} and len(calls) == 2
    assert made._kept_documents("bo") == 75 and made._kept_documents("moi") is None


def test_with_a_shard_down_a_words_documents_are_the_whole_clusters_kept_or_scaled_and_not_kept():
    calls = []
    made, _ = _talking(_keywords({0: {"bo": 40, "tri": 5}, 1: {}}, down=(1,), calls=calls))
    labels = _labels([], [])
    labels.articles, labels.live_articles, labels.whole = 300, 100, False
    made.labels = lambda: labels
    made._whole.put("tri", 12)  # what the whole cluster said earlier
    assert made.keyword_documents(["bo", "tri"]) == {"bo": 120, "tri": 12}
    assert made._cache.get(("df", "bo")) is None
    labels.whole = True  # labels read while every shard answered: the live count as it is
    assert made.keyword_documents(["bo"]) == {"bo": 40}


def test_without_statistics_in_the_dictionarys_answer_the_documents_come_from_a_searchs_meta():
    terms = [f"tu{number}" for number in range(101)]

    def answer(node, texts):
        if texts[0].startswith("CALL KEYWORDS"):
            return [[("1", "tu0", "tu0")]]  # an engine giving no documents
        assert texts == [
            f"SELECT id FROM articles WHERE MATCH('{' | '.join(terms[:100])}') LIMIT 0 OPTION ranker=none, "
            "max_matches=1, cutoff=1", "SHOW META",
            "SELECT id FROM articles WHERE MATCH('tu100') LIMIT 0 OPTION ranker=none, max_matches=1, cutoff=1",
            "SHOW META"]
        return [[], [("keyword[0]", "tu3"), ("docs[0]", "9")], [], [("keyword[0]", "tu100"), ("docs[0]", "4")]]

    made, _ = _talking(answer)
    counted = made.keyword_documents(terms)
    assert (counted["tu3"], counted["tu100"], counted["tu0"]) == (9, 4, 0) and len(counted) == 101
    assert made._kept_documents("tu3") == 9


def test_every_node_down_for_the_dictionary_asks_the_search_which_fails_clearly():
    made, _ = _talking(_keywords({0: {}, 1: {}}, down=(0, 1)))
    with pytest.raises(BackendError, match=r"^no search node answers"):
        made.keyword_documents(["bo"])


def test_a_search_counting_words_with_a_shard_down_gives_the_whole_clusters_documents():
    def answer(node, texts):
        if texts[0].startswith("CALL KEYWORDS"):
            return [[("1", "bo", "bo")]]
        return [[], [("warning", "agent lost"), ("keyword[0]", "bo"), ("docs[0]", "30")]]

    made, _ = _talking(answer)
    labels = _labels([], [])
    labels.articles, labels.live_articles, labels.whole = 90, 30, False
    made.labels = lambda: labels
    assert made.keyword_documents(["bo"]) == {"bo": 90} and made._cache.get(("df", "bo")) is None


def test_a_refused_keywords_call_is_raised_and_a_node_down_gives_none():
    def answer(node, texts):
        if node == 0:
            raise BackendError("search node failed: sphinxql: syntax error, unexpected $end")
        raise BackendError("cannot reach search node 127.0.0.1:2 (shard1): timed out")

    made, _ = _talking(answer)
    with pytest.raises(BackendError, match="syntax error"):
        made._keywords_on(made.cluster.nodes[0], "bo")
    assert made._keywords_on(made.cluster.nodes[1], "bo") is None


def test_words_read_ahead_are_kept_when_every_node_answered_and_waited_for_not_asked_again():
    calls, gate = [], threading.Event()
    keywords = _keywords({0: {"bo": 2}, 1: {"bo": 3, "tri": 1}}, calls=calls)

    def answer(node, texts):
        gate.wait(5)
        return keywords(node, texts)

    made, _ = _talking(answer)
    made._cache.put(("df", "chinh"), 8)
    reading = made.read_keyword_documents(["bo", "chinh", "tri", "bo", "x y"])
    assert reading.terms == ["bo", "tri"] and set(made._reading) == {"bo", "tri"}
    assert made.read_keyword_documents(["bo", "chinh"]) is None  # being read, or kept
    gate.set()
    assert made.keyword_documents(["tri", "chinh"]) == {"tri": 1, "chinh": 8}
    assert len(calls) == 2 and made._reading == {} and made._kept_documents("bo") == 5


def _read_ahead_and_settled(made: ClusterBackend, terms: list[str]):
    """Read terms ahead, wait for every node's answer and for the reading to be done with; return it."""
    reading = made.read_keyword_documents(terms)
    for call in reading.asked:
        call.result()
    deadline = time.monotonic() + 5
    while made._reading and time.monotonic() < deadline:
        time.sleep(0.01)
    return reading


def test_words_read_ahead_that_nobody_waits_for_are_counted_when_the_last_node_answers():
    made, _ = _talking(_keywords({0: {"bo": 2}, 1: {"bo": 3}}))
    _read_ahead_and_settled(made, ["bo"])
    assert made._reading == {} and made._cache.get(("df", "bo")) == 5


def test_words_read_ahead_while_every_node_is_down_are_let_go_and_asked_again_when_needed():
    made, _ = _talking(_keywords({0: {}, 1: {}}, down=(0, 1)))
    reading = _read_ahead_and_settled(made, ["bo"])
    assert made._reading == {} and reading._counted is None


def test_a_pages_keyword_statistics_are_kept_while_the_cluster_is_whole():
    made, _ = _talking(_keywords({0: {}, 1: {}}))
    labels = _labels([], [])
    meta = {"keyword[0]": "bo", "docs[0]": "40", "keyword[1]": "tri", "docs[1]": "3"}
    assert made._frequencies(meta, labels) == {"bo": 40, "tri": 3} and made._kept_documents("tri") == 3
    labels.articles, labels.live_articles, labels.whole = 20, 10, False
    assert made._frequencies({**meta, "keyword[2]": "moi", "docs[2]": "4", "warning": "agent lost"}, labels) == {
        "bo": 40, "tri": 3, "moi": 8}
    assert made._kept_documents("moi") is None


def test_the_title_vocabulary_is_the_last_reindexs_record_reread_every_few_seconds():
    records = {"now": '[["bo", 3], ["tri", 1]]'}

    def answer(node, texts):
        assert texts == ["SELECT value FROM vnsearch_meta WHERE id = 2"]
        return [[(records["now"],)]]

    made, fake = _talking(answer)
    assert made.vocabulary() == [("bo", 3), ("tri", 1)]
    records["now"] = '{"not": "a list"}'
    assert made.vocabulary() == [("bo", 3), ("tri", 1)] and len(fake.calls) == 1
    made._vocabulary = (time.monotonic() - 6, made._vocabulary[1])
    assert made.vocabulary() == [] and len(fake.calls) == 2


def test_dictionary_rows_of_four_columns_hold_the_documents_and_a_word_no_shard_lists_has_none():
    def answer(node, texts):
        return [[("1", "bo", "bo", "6")]]  # docs without hits; "tri" listed by no shard

    made, fake = _talking(answer)
    assert made.keyword_documents(["bo", "tri"]) == {"bo": 12, "tri": 0}
    assert all(texts[0].startswith("CALL KEYWORDS") for _, texts in fake.calls)


def test_a_keywords_call_refused_as_a_parse_error_is_raised_too():
    def answer(node, texts):
        raise BackendError("search node failed: index shard0: parse error: unexpected ')'")

    made, _ = _talking(answer)
    with pytest.raises(BackendError, match="parse error"):
        made._keywords_on(made.cluster.nodes[0], "bo")


def test_words_of_two_readings_in_flight_are_each_taken_from_their_own_reading():
    gate = threading.Event()
    keywords = _keywords({0: {"bo": 2, "tri": 4}, 1: {"bo": 3, "tri": 5}})

    def answer(node, texts):
        gate.wait(5)
        return keywords(node, texts)

    made, _ = _talking(answer)
    first, second = made.read_keyword_documents(["bo"]), made.read_keyword_documents(["tri"])
    assert (first.terms, second.terms) == (["bo"], ["tri"])
    gate.set()
    assert made.keyword_documents(["bo", "tri"]) == {"bo": 5, "tri": 9}


def test_words_read_ahead_are_counted_only_once_every_node_answered_no_helper_waiting_for_the_others():
    gates = {0: threading.Event(), 1: threading.Event()}
    answered = threading.Event()
    keywords = _keywords({0: {"bo": 2}, 1: {"bo": 3}})

    def answer(node, texts):
        gates[node].wait(5)
        if node == 0:
            answered.set()
        return keywords(node, texts)

    made, _ = _talking(answer)
    reading = made.read_keyword_documents(["bo"])
    gates[0].set()
    reading.asked[0].result()
    assert answered.wait(5)
    time.sleep(0.05)
    # Node 1 has not answered: nobody is counting yet (the count would hold the reading's lock, waiting).
    assert reading._lock.acquire(blocking=False)
    reading._lock.release()
    assert made._reading == {"bo": reading}
    gates[1].set()
    assert made.keyword_documents(["bo"]) == {"bo": 5}


def test_words_read_ahead_while_every_node_is_down_log_no_error(caplog):
    made, _ = _talking(_keywords({0: {}, 1: {}}, down=(0, 1)))
    with caplog.at_level("DEBUG"):
        _read_ahead_and_settled(made, ["bo"])
        time.sleep(0.05)
    assert made._reading == {} and [record.getMessage() for record in caplog.records] == []


# The cluster's term statistics (search.backend.TermStatistics) ----------------------------------------

TITLES = (f"SELECT {', '.join(STORED_COLUMNS)}, WEIGHT() AS score FROM articles WHERE MATCH('{{text}}') AND "
          "title_derived = {derived} ORDER BY score DESC, published_ts DESC LIMIT {limit} OPTION "
          "ranker=expr('1000*sum(sum_idf*user_weight)'), idf='plain,tfidf_unnormalized', "
          "field_weights=(title_fold=1,title_exact=1,body_fold=1)")


def _titled(found: dict[str, list[str]]):
    """Answer each title search with the articles listed for its MATCH text (a score after each row)."""
    def answer(node, texts):
        (text,) = texts
        inside = text[text.index("MATCH('") + 7 : text.index("') AND")].replace("\\'", "'")
        return [[(*row, 1000) for row in _article_rows(*found.get(inside, []))]]

    return answer


def test_title_candidates_hold_the_typed_words_and_one_of_the_prefixs_expansions_in_the_title():
    made, fake = _talking(_titled({"(@title_fold ha noi (@title_fold mo | moi)) MAYBE (@title_exact hà | nội)":
                                   ["a", "b"]}))
    statistics = made.statistics()
    words = parse_query("hà nội").syllables
    assert [a["id"] for a in statistics.title_candidates(words, ["mo", "moi", "a-b"], 5)] == ["a", "b"]
    assert fake.calls == [(0, [TITLES.format(
        text="(@title_fold ha noi (@title_fold mo | moi)) MAYBE (@title_exact hà | nội)", derived=0, limit=5)])]
    assert statistics.title_candidates(words, ["a-b"], 5) == [] and len(fake.calls) == 1
    assert [a["id"] for a in statistics.title_candidates([], ["mo"], 5)] == []
    assert fake.calls[-1][1] == [TITLES.format(text="(@title_fold mo)", derived=0, limit=5)]
    statistics.title_candidates(parse_query("ha noi").syllables, None, 2)
    assert fake.calls[-1][1] == [TITLES.format(text="@title_fold ha noi", derived=0, limit=2)]


def test_title_candidates_of_a_phrase_put_titles_starting_with_it_first_then_derived_titles():
    starting, anywhere = '((@title_fold "^ha noi mo") | (@title_fold "^ha noi moi"))', \
        '((@title_fold "ha noi mo") | (@title_fold "ha noi moi"))'
    body_starting, body_anywhere = '((@body_fold[40] "^ha noi"))', '((@body_fold[40] "ha noi"))'
    accents = " MAYBE (@title_exact hà | nội)"
    made, fake = _talking(_titled({starting + accents: ["c", "a"], anywhere + accents: ["a", "b", "d"],
                                   body_starting + accents: ["e"], body_anywhere + accents: ["f", "e"]}))
    found = made.statistics().title_candidates(parse_query("hà nội").syllables, ["mo", "moi"], 3, phrase=True)
    assert [a["id"] for a in found] == ["c", "a", "b", "e", "f"]
    assert [texts[0] for _, texts in fake.calls] == [
        TITLES.format(text=starting + accents, derived=0, limit=3),
        TITLES.format(text=anywhere + accents, derived=0, limit=3),
        TITLES.format(text=body_starting + accents, derived=1, limit=3),
        TITLES.format(text=body_anywhere + accents, derived=1, limit=3)]


def test_title_candidates_of_a_prefix_alone_look_in_derived_titles_for_its_first_expansions():
    made, fake = _talking(_titled({}))
    expansions = [f"m{letter}" for letter in "abcdef"]
    made.statistics().title_candidates([], expansions, 4, phrase=True)
    body = " | ".join(f'(@body_fold[40] "^{term}")' for term in expansions[:3])
    assert fake.calls[2][1] == [TITLES.format(text=body, derived=1, limit=4)]
    made.statistics().title_candidates(parse_query("ha noi").syllables, None, 4, phrase=True)
    assert fake.calls[4][1] == [TITLES.format(text='(@title_fold "^ha noi")', derived=0, limit=4)]


def test_articles_writing_each_pair_side_by_side_are_asked_in_one_round_trip_each_once():
    def answer(node, texts):
        return [_article_rows("a", "b"), _article_rows("b", "c")][: len(texts)]

    made, fake = _talking(answer)
    found = made.statistics().pair_documents([("ha", "noi"), ("a-b", "x"), ("bo", "tri")], 2, 100)
    assert [a["id"] for a in found] == ["a", "b", "c"]
    assert fake.calls == [(0, [
        f"SELECT {', '.join(STORED_COLUMNS)} FROM articles WHERE MATCH('@body_fold \"ha noi\"') LIMIT 2 "
        "OPTION ranker=none, cutoff=2",
        f"SELECT {', '.join(STORED_COLUMNS)} FROM articles WHERE MATCH('@body_fold \"bo tri\"') LIMIT 2 "
        "OPTION ranker=none, cutoff=2"])]
    assert made.statistics().pair_documents([("a-b", "x")], 2, 100) == [] and len(fake.calls) == 1


def test_a_phrases_articles_are_counted_once_a_request_and_a_word_the_engine_cannot_hold_counts_none():
    def answer(node, texts):
        assert texts == ["SELECT id FROM articles WHERE MATCH('(@(title_fold,body_fold) \"ha noi\")') LIMIT 0 "
                         "OPTION ranker=none, max_matches=1", "SHOW META"]
        return [[], [("total_found", "17")]]

    made, fake = _talking(answer)
    statistics = made.statistics()
    assert statistics.phrase_frequency(["ha", "noi"]) == 17 and statistics.phrase_frequency(("ha", "noi")) == 17
    assert statistics.phrase_frequency(["ha", "a-b"]) == 0 and len(fake.calls) == 1
    # Kept for the generation: another request's statistics ask no count.
    assert made.statistics().phrase_frequency(["ha", "noi"]) == 17 and len(fake.calls) == 1


def test_a_terms_articles_are_given_as_the_bodys_frequency_once_a_request():
    calls = []
    made, _ = _talking(_keywords({0: {"bo": 4}, 1: {"bo": 5}}, calls=calls))
    labels = _labels([], [])
    labels.articles = 1234
    made.labels = lambda: labels
    statistics = made.statistics()
    assert (statistics.doc_frequency("bo", "body"), statistics.doc_frequency("bo", "title")) == (9, 0)
    made._cache.clear()
    assert statistics.doc_frequency("bo", "body") == 9 and len(calls) == 2
    assert statistics.document_count() == 1234
    statistics.prefetch(["bo", "tri"])  # "bo" is this request's already: only "tri" is read
    assert made.keyword_documents(["tri"]) == {"tri": 0}
    assert sorted(texts[0] for _, texts in calls[2:]) == ["CALL KEYWORDS('tri', 'shard0', 1)",
                                                          "CALL KEYWORDS('tri', 'shard1', 1)"]


def test_a_reindex_writes_through_a_cluster_of_its_own_with_the_write_timeout_and_forgets_what_was_kept(monkeypatch):
    import search.cluster_index

    asked = []

    def reindex_cluster(cluster, lock_dir, sources, **options):
        asked.append((cluster.url, cluster.read_timeout, lock_dir, list(sources), options))
        if options["full"]:
            raise BackendError("a shard is down")
        return "report"

    monkeypatch.setattr(search.cluster_index, "reindex_cluster", reindex_cluster)
    made = ClusterBackend("sphinxql://127.0.0.1:1,127.0.0.1:2", lock_dir="/tmp/vnsearch-lock")
    made._cache.put(("df", "bo"), 3)
    made._top.put("key", ("page",))
    progress = object()
    assert made.reindex(["a.jsonl"], lock_timeout=5.0, procs=2, progress=progress) == "report"
    assert asked == [("sphinxql://127.0.0.1:1,127.0.0.1:2", WRITE_TIMEOUT_S, "/tmp/vnsearch-lock", ["a.jsonl"],
                      {"full": False, "lock_timeout": 5.0, "procs": 2, "progress": progress,
                       "max_article_bytes": DEFAULT_MAX_ARTICLE_BYTES})]
    assert made._cache.get(("df", "bo")) is None and made._top.get("key") is None
    made._cache.put(("df", "bo"), 3)
    made._top.put("key", ("page",))
    with pytest.raises(BackendError, match="a shard is down"):
        made.reindex(full=True, max_article_bytes=1000)
    assert asked[-1][3:] == ([], {"full": True, "lock_timeout": 60.0, "procs": None, "progress": None,
                                  "max_article_bytes": 1000})
    assert made._cache.get(("df", "bo")) is None and made._top.get("key") is None


def test_a_plans_tiers_are_counted_without_filters_in_one_round_trip_and_no_tier_asks_nothing():
    made, fake = _talking(_counting({TOGETHER_FOLDED.join("()"): 4, ALL_FOLDED: 11}))
    parsed = parse_query("bộ chính trị")
    plan = Plan("together", "folded", made._plan_texts(parsed, "auto")[0]["folded"], False)
    assert made._counts(parsed, plan, ["together", "all"]) == {"together": 4, "all": 11}
    assert fake.calls == [(0, [f"SELECT id FROM articles WHERE MATCH('({TOGETHER_FOLDED})') LIMIT 0 OPTION "
                                "ranker=none, max_matches=1", "SHOW META",
                                f"SELECT id FROM articles WHERE MATCH('{ALL_FOLDED}') LIMIT 0 OPTION "
                                "ranker=none, max_matches=1", "SHOW META"])]
    assert made._counts(parsed, plan, []) == {} and len(fake.calls) == 1


def test_a_tier_is_large_when_its_few_words_are_each_held_by_more_than_two_thousand_articles():
    made, fake = _talking(_counting({}))
    parsed = parse_query("bộ đội")
    exact = Plan("all", "exact", {}, False)
    for token, documents in (("bộ", 2001), ("đội", 2500), ("bo", 10), ("doi", 9000)):
        made._cache.put(("df", token), documents)
    assert made._large_tier(parsed, exact)  # the words as typed are the plan's
    assert not made._large_tier(parsed, Plan("all", "folded", {}, False))
    made._cache.put(("df", "bộ"), 2000)
    assert not made._large_tier(parsed, exact)
    assert not made._large_tier(parse_query("bộ đội biên"), exact)  # "biên" neither kept nor being read
    assert not made._large_tier(parse_query("a b c"), exact)  # more than two words
    assert fake.calls == []


# The page's order: the shards' best reranked by vnsearch, then the engine's order -----------------------


def _best_row(score: int, doc_id: str, shard: int = 0) -> tuple:
    return (score, *_article_rows(doc_id)[0], 0, shard)


def _recording_rerank(monkeypatch, scores: list[float]) -> dict:
    """Replace the cluster's rerank by one giving scores in the order of the articles it is handed."""
    seen: dict = {}

    def rerank(parsed, articles, ranking, total, frequencies, averages, all_words=None, more=None, phrases=None):
        seen.update(query=parsed.text, ids=[article["id"] for article in articles], total=total,
                    frequencies=frequencies, averages=averages,
                    all_words=None if all_words is None else all_words.tolist(), ranking=ranking, more=more("tri"),
                    phrases=phrases)
        return np.array(scores[: len(articles)])

    monkeypatch.setattr(cluster_backend, "rerank", rerank)
    return seen


def test_the_shards_best_are_handed_to_the_rerank_in_the_engines_order_then_ordered_by_its_scores(monkeypatch):
    seen = _recording_rerank(monkeypatch, [1.0, 3.0, 2.0])
    made, _ = _talking(_keywords({0: {"tri": 2}, 1: {"tri": 5}}))
    labels = _labels([], [])
    labels.articles, labels.average_title, labels.average_length = 500, 12.0, 400.0
    made.labels = lambda: labels
    # Tied by weight, "a" and "c" go by their ids' keys (their titles' keys would order them the other way).
    tied = sorted(["a", "c"], key=document_key)
    assert tied != sorted(["a", "c"], key=lambda doc_id: document_key(f"Tiêu đề {doc_id}"))
    best = [_best_row(300, "b"), _best_row(500, "c", 1), _best_row(500, "a")]
    meta = [("keyword[0]", "bo"), ("docs[0]", "40")]
    rows, scores = made._ordered(parse_query("bộ chính trị"), QUERY_PLAN, SearchRequest(q="bộ chính trị"), [best, meta])
    assert seen == {"query": "bộ chính trị", "ids": [*tied, "b"], "total": 500, "frequencies": {"bo": 40},
                    "averages": {"title": 12.0, "body": 400.0}, "all_words": None, "ranking": made.ranking, "more": 7,
                    "phrases": made.phrase_documents}  # the cluster's count of a word's syllables in a row
    assert [row[1] for row in rows] == [tied[1], "b", tied[0]] and scores == [3.0, 2.0, 1.0]


def test_in_the_most_tier_of_a_query_the_rerank_is_told_which_articles_hold_every_word(monkeypatch):
    seen = _recording_rerank(monkeypatch, [2.0, 1.0])
    made, _ = _talking(_keywords({0: {}, 1: {}}))
    made.labels = lambda: _labels([], [])
    best = [_best_row(10_000_500, "a"), _best_row(900, "b")]
    most = Plan("most", "exact", {}, False)
    made._ordered(parse_query("bộ chính trị"), most, SearchRequest(q="x"), [best, []])
    assert seen["all_words"] == [True, False]
    made._ordered(parse_query("bộ chính trị"), Plan("most", "exact", {}, True), SearchRequest(q="x"), [best, []])
    assert seen["all_words"] is None  # a question's most tier is its pool, not a lift
    made._ordered(parse_query("bộ chính trị"), most, SearchRequest(q="x"), [[_best_row(10_000_000, "a"),
                                                                             _best_row(9_999_999, "b")], []])
    assert seen["all_words"] == [True, False]
    made._ordered(parse_query("bộ chính trị"), most, SearchRequest(q="x"), [[_best_row(900, "b")], []])
    assert seen["all_words"] is None  # nobody holds every word: no lift to tell
    made._ordered(parse_query("bộ chính trị"), QUERY_PLAN, SearchRequest(q="x"), [best, []])
    assert seen["all_words"] is None  # only the most tier's weights carry the lift


def test_a_page_past_the_shards_best_continues_with_the_engines_rows_not_among_them(monkeypatch):
    _recording_rerank(monkeypatch, [1.0, 2.0])
    made, _ = _talking(_keywords({0: {}, 1: {}}))
    made.labels = lambda: _labels([], [])
    best = [_best_row(900, "a"), _best_row(800, "b")]
    engine = [_best_row(900, "a"), _best_row(700, "c"), _best_row(600, "d")]
    request = SearchRequest(q="x", page=2, size=2)
    rows, scores = made._ordered(parse_query("bộ chính trị"), QUERY_PLAN, request, [best, [], engine, []])
    assert [row[1] for row in rows] == ["c", "d"] and scores == [0.7, 0.6]


def test_an_unranked_page_keeps_the_engines_order_and_scores_by_its_weight():
    made, _ = _talking(_keywords({0: {}, 1: {}}))
    rows = [_best_row(2500, "a"), _best_row(1000, "b")]
    newest = SearchRequest(q="x", sort="newest")
    assert made._ordered(parse_query("bộ chính trị"), QUERY_PLAN, newest, [rows, []]) == (rows, [2.5, 1.0])
    assert made._ordered(parse_query(""), QUERY_PLAN, SearchRequest(q=""), [rows, []]) == (rows, [0.0, 0.0])


# Whole searches, against an engine stand-in ----------------------------------------------------------

_MATCH = re.compile(r"MATCH\('((?:[^'\\]|\\.)*)'\)")


class Engine:
    """A searchd stand-in answering every statement of a search: a MATCH finds the articles the test gives
    its positive part (the text before its optional part and its excluded words; any other finds none), keys
    0..39 otherwise; an article's weight falls as its key grows.  warn(statement) is the warning of the
    SHOW META after it ("": none); the facets' grouping returns at most max_groups rows (its SHOW META
    counts all)."""

    def __init__(self, found: dict[str, list[int]], shards: int = 2, warn=lambda text: "", max_groups: int = 10**6):
        self.found, self.shards, self.warn, self.max_groups = found, shards, warn, max_groups
        self.generation = "1"
        self.calls: list[tuple[int, list[str]]] = []
        self._lock = threading.Lock()

    @staticmethod
    def article(key: int) -> dict:
        year = 2020 + key % 2
        return {"key": key, "doc_id": f"a{key}", "title": f"Tiêu đề {key}", "title_derived": 0, "body": f"Bài {key}",
                "url": "", "published": f"{year}-0{1 + key % 3}-15", "category": ["Thời sự", "Thể thao"][key % 2],
                "source": "VnExpress", "portal": "", "month": year * 100 + 1 + key % 3, "year": year,
                "score": 10_000 - key}

    def __call__(self, node, statements):
        texts = [text for text, _ in statements]
        with self._lock:
            self.calls.append((node.number, texts))
        results: list[list[tuple]] = []
        found = 0
        for text in texts:
            if text == "SHOW META":  # of the statement before it
                warning = self.warn(texts[len(results) - 1])
                results.append([*([("warning", warning)] if warning else []), ("total", str(len(results[-1]))),
                                ("total_found", str(found))])
            else:
                rows, found = self._answer(text)
                results.append(rows)
        return results

    def _matched(self, text: str) -> list[dict]:
        match = _MATCH.search(text)
        keys = range(40) if match is None else self.found.get(self._positive(match.group(1)), [])
        shard = re.search(r" FROM shard(\d+)", text)
        return [self.article(key) for key in sorted(keys) if shard is None or key % self.shards == int(shard[1])]

    @staticmethod
    def _positive(text: str) -> str:
        text = text.replace("\\'", "'").replace("\\\\", "\\")
        if ") MAYBE (" in text:
            return text[1 : text.index(") MAYBE (")]
        return text.split(" -(@")[0]  # without its excluded words

    def _answer(self, text: str) -> tuple[list[tuple], int]:
        """Return a statement's rows and the number its SHOW META says it found."""
        if text.startswith("SELECT value FROM vnsearch_meta"):
            return [(self.generation,)], 1
        if text.startswith("SELECT AVG("):
            return [(400.0, 10.0, 40)], 1
        if text.startswith("SELECT id, doc_id"):
            keys = [int(key) for key in text[text.index(" IN (") + 5 : text.index(")")].split(",")]
            return [(key, *(self.article(key)[column] for column in STORED_COLUMNS)) for key in keys], len(keys)
        matched = self._matched(text)
        grouped = re.search(r" GROUP BY ([a-z, ]+?) (?:LIMIT|ORDER)", text)
        if grouped:
            columns = [column.strip() for column in grouped[1].split(",")]
            groups = collections.Counter(tuple(a[column] for column in columns) for a in matched)
            most = self.max_groups if len(columns) > 1 else len(groups)  # the facets' grouping, or one facet
            return [(*value, n) for value, n in sorted(groups.items())][:most], len(groups)
        offset, size = (int(part or 0) for part in re.search(r" LIMIT (?:(\d+), )?(\d+)", text).groups())
        if text.startswith("SELECT id FROM"):
            return [], len(matched)
        if text.startswith("SELECT WEIGHT() AS score, id,"):  # the wide page
            return [(a["score"], a["key"], a["month"], a["category"], a["source"], a["key"] % self.shards)
                    for a in matched][offset : offset + size], len(matched)
        if " GROUP " not in text:
            return [self._row(a) for a in matched][offset : offset + size], len(matched)
        each = int(re.search(r" GROUP (\d+) BY shard", text)[1])
        best = [a for shard in range(self.shards)
                for a in [a for a in matched if a["key"] % self.shards == shard][:each]]
        return [(*self._row(a), a["key"] % self.shards) for a in sorted(best, key=lambda a: a["key"])], len(matched)

    @staticmethod
    def _row(article: dict) -> tuple:
        """Return an article's row of a page: its weight, stored columns and undated flag."""
        return (article["score"], *(article[column] for column in STORED_COLUMNS), 0)

    @classmethod
    def stored(cls, key: int) -> dict:
        """Return an article's stored fields as a search gives them."""
        return stored_fields({column: cls.article(key)[column] for column in STORED_COLUMNS})


def _kind(statement: str) -> str:
    """Name a statement of a search by what it asks."""
    for start, kind in (("SHOW META", "meta"), ("SELECT value FROM vnsearch_meta", "generation"),
                        ("SELECT id, doc_id", "stored"), ("SELECT id FROM", "count"),
                        ("SELECT WEIGHT() AS score, id,", "wide page"), ("SELECT month, category, source", "grouping")):
        if statement.startswith(start):
            return kind
    if statement.startswith("SELECT WEIGHT()"):
        return "best" if " GROUP " in statement else "page"
    return "facet " + statement.split()[1].rstrip(",")


def _searching(query: str, found: dict[tuple[str, str], int], nodes: int = 2, **settings):
    """Return a backend on an engine stand-in whose tiers (tier, accents) find the articles 0..n-1 (and
    "pool": a question's pool), its engine (labels already read, no call recorded), and the parsed query."""
    made = ClusterBackend("sphinxql://" + ",".join(f"127.0.0.1:{port}" for port in range(1, nodes + 1)))
    for name, value in settings.items():
        setattr(made, name, value)
    parsed = parse_query(query)
    forms = made._plan_texts(parsed, "auto")[0]
    texts = {(tier, accents): text for accents in forms for tier, text in forms[accents].items()}
    texts["pool"] = question_pool_text(parsed, forms["exact"]["most"])
    engine = Engine({texts[asked]: list(range(n)) for asked, n in found.items()}, shards=nodes)
    made.cluster.run = engine
    made.labels()
    engine.calls.clear()
    return made, engine, parsed


def _parts(engine: Engine) -> list[list[str]]:
    """Return the round trips' parts the engine was asked, each as its statements' kinds, sorted."""
    return sorted([_kind(text) for text in texts] for _, texts in engine.calls)


@pytest.fixture
def engine_order(monkeypatch):
    """Rerank the shards' best in the engine's order (vnsearch's own scores are test_cluster_rerank.py's)."""
    monkeypatch.setattr(cluster_backend, "rerank",
                        lambda parsed, articles, *args, **kwargs: np.arange(len(articles), 0, -1, dtype=float))


TIERS_FOUND = {("together", "exact"): 3, ("all", "exact"): 8, ("most", "exact"): 12}


@pytest.mark.parametrize("parts, expected", [
    (3, [["count", "meta"], ["count", "meta", "generation"], ["stored"], ["stored"], ["stored"],
         ["wide page", "meta"], ["wide page", "meta"], ["wide page", "meta"]]),
    (2, [["count", "meta", "count", "meta", "generation"], ["stored"], ["stored"], ["stored"],
         ["wide page", "meta"], ["wide page", "meta"], ["wide page", "meta"]]),
])
def test_a_first_page_asks_each_shard_for_its_wide_page_and_the_counts_in_as_many_parts_as_set(engine_order, parts,
                                                                                               expected):
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND, nodes=3, batch_parts=parts)
    found = made.search(SearchRequest(q="bộ chính trị"), parsed)
    assert (found.total, found.tier, found.wider, [d["id"] for d in found.documents]) == (
        3, "together", {"all": 5, "most": 9}, ["a0", "a1", "a2"])
    assert _parts(engine) == expected


@pytest.mark.parametrize("parts, expected", [
    (3, [["best", "meta"], ["count", "meta", "count", "meta", "generation"], ["grouping", "meta"]]),
    (2, [["best", "meta"], ["grouping", "meta", "count", "meta", "count", "meta", "generation"]]),
])
def test_a_page_not_matched_once_goes_on_one_node_its_facets_on_another_and_its_counts_on_a_third(engine_order,
                                                                                                 parts, expected):
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND, nodes=3, batch_parts=parts, one_match_rows=0)
    found = made.search(SearchRequest(q="bộ chính trị"), parsed)
    assert (found.total, found.wider, [d["id"] for d in found.documents]) == (
        3, {"all": 5, "most": 9}, ["a0", "a1", "a2"])
    assert found.facets.year == {2020: 2, 2021: 1}
    assert _parts(engine) == expected


QUESTION = "Vậy tôi có cần tiêm mũi thứ ba không ạ?"
AGENT_LOST = "index shard1: agent 127.0.0.1:2: connect() failed"


def _ids(found) -> list[str]:
    return [document["id"] for document in found.documents]


def test_a_questions_plan_only_asks_whether_each_tier_finds_something_a_querys_counts_them(engine_order):
    made, engine, parsed = _searching(QUESTION, {("most", "exact"): 6, "pool": 20})
    found = made.search(SearchRequest(q=QUESTION), parsed)
    assert (found.total, found.matching, found.tier, found.accents, found.wider, _ids(found)) == (
        6, "most", "most", "exact", {}, ["a0", "a1", "a2", "a3", "a4", "a5"])
    counts = [text for _, texts in engine.calls for text in texts if _kind(text) == "count"]
    assert [text.split(" OPTION ")[1] for text in counts] == ["ranker=none, max_matches=1, cutoff=1"] * 5
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND)
    made.search(SearchRequest(q="bộ chính trị"), parsed)
    counts = [text for _, texts in engine.calls for text in texts if _kind(text) == "count"]
    assert [text.split(" OPTION ")[1] for text in counts] == ["ranker=none, max_matches=1"] * 2


def test_a_question_found_only_without_its_accents_keeps_the_page_it_asked_and_asks_its_facets_again(engine_order):
    made, engine, parsed = _searching(QUESTION, {("most", "folded"): 6, "pool": 20})
    found = made.search(SearchRequest(q=QUESTION), parsed)
    assert (found.total, found.matching, found.accents, _ids(found)) == (
        6, "most", "folded", ["a0", "a1", "a2", "a3", "a4", "a5"])
    # The second round trip (the counts chose the folded forms) asks no page: a question ranks its pool either way,
    # even when a warning kept the pool's page from being kept.
    assert [_kind(text) for text in engine.calls[-1][1]] == ["grouping", "meta", "generation"]
    assert sum(_kind(text) == "best" for _, texts in engine.calls for text in texts) == 1
    made, engine, parsed = _searching(QUESTION, {("most", "folded"): 6, "pool": 20})
    engine.warn = lambda text: AGENT_LOST if _kind(text) == "best" else ""
    found = made.search(SearchRequest(q=QUESTION), parsed)
    assert (found.total, found.partial, found.accents) == (6, True, "folded")
    assert sum(_kind(text) == "best" for _, texts in engine.calls for text in texts) == 1


@pytest.mark.parametrize("query", [QUESTION, QUESTION + " -covid"])
def test_a_question_no_article_holds_half_of_answers_from_its_pool_and_says_any(engine_order, query):
    # With a word excluded, the pool is a fifth of the words or the most tier (the engine finds it by that text).
    made, _, parsed = _searching(query, {"pool": 20})
    found = made.search(SearchRequest(q=query), parsed)
    assert (found.total, found.matching, found.tier, _ids(found)) == (
        20, "any", "most", [f"a{key}" for key in range(10)])
    assert found.facets.year == {2020: 10, 2021: 10}


def test_a_questions_pool_keeps_its_answers_tier_beside_its_fifth_of_words_when_it_excludes_a_word(engine_order):
    made, _, parsed = _searching(QUESTION + " -covid", {("most", "exact"): 6, "pool": 20})
    found = made.search(SearchRequest(q=QUESTION + " -covid"), parsed)
    # The engine finds the page's articles only by the pool's text (a fifth of the words | the most tier).
    assert (found.total, _ids(found)) == (6, ["a0", "a1", "a2", "a3", "a4", "a5"])


def test_a_questions_pages_stop_at_its_total_though_its_pool_ranks_more(engine_order):
    made, _, parsed = _searching(QUESTION, {("most", "exact"): 6, "pool": 20})
    assert [_ids(made.search(SearchRequest(q=QUESTION, page=page, size=5), parsed)) for page in (1, 2, 3)] == [
        ["a0", "a1", "a2", "a3", "a4"], ["a5"], []]


def test_a_warning_in_the_facets_grouping_marks_the_page_partial_its_total_still_the_articles_grouped(engine_order):
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND, one_match_rows=0)
    engine.warn = lambda text: AGENT_LOST if _kind(text) == "grouping" else ""
    found = made.search(SearchRequest(q="bộ chính trị"), parsed)
    assert (found.total, found.partial, _ids(found)) == (3, True, ["a0", "a1", "a2"])
    assert (found.facets.year, found.facets.category) == ({2020: 2, 2021: 1}, {"Thời sự": 2, "Thể thao": 1})


@pytest.mark.parametrize("warned", ["", "facet source"])
def test_too_many_groups_for_one_grouping_counts_each_facet_apart_and_reads_its_warning(engine_order, warned):
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND, one_match_rows=0)
    engine.max_groups, engine.warn = 1, lambda text: AGENT_LOST if _kind(text) == warned else ""
    found = made.search(SearchRequest(q="bộ chính trị"), parsed)
    assert (found.total, found.partial) == (3, bool(warned))
    assert (found.facets.year, found.facets.month, found.facets.category, found.facets.source) == (
        {2020: 2, 2021: 1}, {202001: 1, 202102: 1, 202003: 1}, {"Thời sự": 2, "Thể thao": 1}, {"VnExpress": 3})


@pytest.mark.parametrize("warned", ["", "facet source"])
def test_a_facet_filter_counts_each_facet_in_its_own_grouping_and_reads_their_warning(engine_order, warned):
    # The stand-in ignores the filter: each facet counts the tier's three articles.
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND)
    engine.warn = lambda text: AGENT_LOST if _kind(text) == warned else ""
    for sort in ("relevance", "newest", "newest"):  # the last with its plan kept: a batch of few statements
        engine.calls.clear()
        found = made.search(SearchRequest(q="bộ chính trị", categories=["Thời sự"], sort=sort, match="most"), parsed)
        assert (found.total, found.facets.year, found.facets.category, found.facets.source, found.partial) == (
            12, {2020: 6, 2021: 6}, {"Thời sự": 6, "Thể thao": 6}, {"VnExpress": 12}, bool(warned))
    assert _parts(engine) == [["facet year", "facet month", "facet category", "facet source", "meta", "generation"],
                              ["page", "meta"]]


@pytest.mark.parametrize("warned", ["best", "page"])
def test_a_warning_on_either_page_of_a_page_past_the_shards_best_marks_it_partial(engine_order, warned):
    made, engine, parsed = _searching("bộ chính trị", {("together", "exact"): 30})
    engine.warn = lambda text: AGENT_LOST if _kind(text) == warned else ""
    found = made.search(SearchRequest(q="bộ chính trị", page=2, size=10), parsed)
    assert (found.total, found.partial, _ids(found)) == (30, True, [f"a{key}" for key in range(10, 20)])


def test_a_questions_pool_page_with_a_warning_is_not_kept_and_is_asked_again(engine_order):
    request = SearchRequest(q=QUESTION, page=4, size=10)
    made, engine, parsed = _searching(QUESTION, {("most", "exact"): 45, "pool": 50})
    engine.warn = lambda text: AGENT_LOST if _kind(text) == "page" else ""
    found = made.search(request, parsed)
    assert (found.total, found.partial, _ids(found)) == (45, True, [f"a{key}" for key in range(30, 40)])
    engine.calls.clear()
    assert made.search(request, parsed).partial
    assert _parts(engine) == [["best", "meta"], ["page", "meta", "grouping", "meta", "generation"]]
    # Whole, it is kept: the same page again asks for no page.
    engine.warn = lambda text: ""
    made.search(request, parsed)
    engine.calls.clear()
    assert (made.search(request, parsed).partial, [[_kind(text) for text in texts] for _, texts in engine.calls]) == (
        False, [["grouping", "meta", "generation"]])


def test_a_reindex_since_a_plan_was_kept_is_seen_by_the_next_search_which_plans_again(engine_order):
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND)
    assert made.search(SearchRequest(q="bộ chính trị"), parsed).tier == "together"
    texts = made._plan_texts(parsed, "auto")[1]
    engine.found[texts["together", "exact"]] = []
    engine.generation = "2"
    found = made.search(SearchRequest(q="bộ chính trị"), parsed)
    assert (found.tier, found.total, found.wider) == ("all", 8, {"most": 4})


def test_a_reindex_since_a_questions_pool_page_was_kept_asks_it_again_for_the_same_question_unaccented(engine_order):
    made, engine, parsed = _searching(QUESTION, {("most", "exact"): 6, "pool": 20})
    assert _ids(made.search(SearchRequest(q=QUESTION), parsed))[:2] == ["a0", "a1"]
    unaccented = parse_query("Vay toi co can tiem mui thu ba khong a?")
    texts = made._plan_texts(unaccented, "auto")[1]
    engine.found[texts["most", "exact"]] = list(range(5, 11))
    engine.found[question_pool_text(unaccented, texts["most", "exact"])] = list(range(5, 25))
    engine.generation = "2"
    found = made.search(SearchRequest(q="Vay toi co can tiem mui thu ba khong a?"), unaccented)
    assert (found.total, _ids(found)) == (6, ["a5", "a6", "a7", "a8", "a9", "a10"])


# The cluster's labels ---------------------------------------------------------------------------------


def _labelling(averages: tuple, warning: str = "", record: str | None = None):
    """Answer the labels' statements: two categories, one source, the averages' row given, and (with a
    warning: a shard is down) the last reindex's record."""
    def answer(node, texts):
        if texts[0].startswith("SELECT value FROM vnsearch_meta"):  # the reindex record's id is 1
            return [[(record,)] if record is not None and texts[0].endswith(" WHERE id = 1") else []]
        meta = [*([("warning", warning)] if warning else []), ("total", "1"), ("total_found", "1")]
        return [[("Thời sự", 5), ("Thể thao", 2)], [("VnExpress", 7)], [averages], meta]

    return answer


def _labels_read(made: ClusterBackend) -> tuple:
    labels = made.labels()
    return (labels.categories, labels.sources, labels.average_length, labels.average_title, labels.articles,
            labels.live_articles, labels.whole)


def test_labels_are_the_clusters_categories_sources_average_lengths_and_articles():
    made, _ = _talking(_labelling((420.5, 12.25, 7)))
    assert _labels_read(made) == (["Thời sự", "Thể thao"], ["VnExpress"], 420.5, 12.25, 7, 7, True)
    made, _ = _talking(_labelling((None, None, None)))  # an empty cluster averages nothing
    assert _labels_read(made) == (["Thời sự", "Thể thao"], ["VnExpress"], 1.0, 1.0, 0, 0, True)


@pytest.mark.parametrize("record, averages", [
    ('{"average_body": 500.0, "average_title": 11.5, "documents": 20}', (500.0, 11.5, 20)),
    # A record written before titles were averaged: the live shards' title average.
    ('{"average_body": 500.0, "documents": 20}', (500.0, 12.25, 20)),
    # A record without the averages or the articles, or not a record: the live shards' figures.
    ('{"documents": 20}', (420.5, 12.25, 7)),
    ('{"average_body": 500.0}', (420.5, 12.25, 7)),
    ("[1, 2]", (420.5, 12.25, 7)),
    (None, (420.5, 12.25, 7)),
])
def test_labels_read_with_a_shard_down_take_the_whole_clusters_figures_from_the_last_reindexs_record(record,
                                                                                                     averages):
    made, _ = _talking(_labelling((420.5, 12.25, 7), warning=AGENT_LOST, record=record))
    assert _labels_read(made) == (["Thời sự", "Thể thao"], ["VnExpress"], *averages, 7, False)


def test_labels_read_whole_are_kept_when_a_later_read_finds_a_shard_down():
    answers = {"now": _labelling((420.5, 12.25, 7))}
    made, _ = _talking(lambda node, texts: answers["now"](node, texts))
    whole = made.labels()
    answers["now"] = _labelling((300.0, 9.0, 3), warning=AGENT_LOST)
    whole.loaded -= cluster_backend.LABELS_MAX_AGE_S + 1  # old enough to be read again
    assert made.labels() is whole and _labels_read(made)[2:] == (420.5, 12.25, 7, 7, True)


def test_a_search_hands_on_the_reranked_scores_its_statistics_and_keeps_its_first_page_for_did_you_mean(engine_order):
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND)
    found = made.search(SearchRequest(q="bộ chính trị"), parsed)
    assert (found.matching, found.scores, found.statistics.backend) == ("all", [3.0, 2.0, 1.0], made)
    engine.calls.clear()
    assert [d["id"] for d in made.top_documents(parsed)] == ["a0", "a1", "a2"] and engine.calls == []
    # The search that finds it again (its plan kept) asks for no wider count: the plan holds them.
    assert made.search(SearchRequest(q="bộ chính trị", facets=False), parsed).wider == {"all": 5, "most": 9}
    assert _parts(engine) == [["best", "meta"], ["count", "meta", "generation"]]  # the total alone


def test_a_first_page_with_a_shard_down_is_not_kept_for_did_you_mean_and_counts_its_wider_tiers_again(engine_order):
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND)
    made.search(SearchRequest(q="bộ chính trị", page=2), parsed)  # the plan kept, with the whole cluster's counts
    texts = made._plan_texts(parsed, "auto")[0]["exact"]
    engine.found[texts["all"]], engine.found[texts["most"]] = list(range(6)), list(range(7))  # a shard's articles gone
    engine.warn = lambda text: AGENT_LOST if _kind(text) in ("wide page", "best") else ""
    found = made.search(SearchRequest(q="bộ chính trị"), parsed)
    assert (found.total, found.partial, found.wider) == (3, True, {"all": 3, "most": 4})
    engine.calls.clear()
    engine.warn = lambda text: ""
    assert [d["id"] for d in made.top_documents(parsed)] == ["a0", "a1", "a2"] and engine.calls != []


def test_a_kept_pool_page_of_a_question_is_dropped_when_a_shard_goes_down_and_the_page_asked_again(engine_order):
    made, engine, parsed = _searching(QUESTION, {("most", "exact"): 6, "pool": 20})
    made.search(SearchRequest(q=QUESTION), parsed)
    engine.warn = lambda text: AGENT_LOST if _kind(text) in ("best", "grouping") else ""
    engine.calls.clear()
    found = made.search(SearchRequest(q=QUESTION), parsed)
    assert (found.total, found.partial, _ids(found)) == (6, True, ["a0", "a1", "a2", "a3", "a4", "a5"])
    # The kept rows were read first, then, a shard missing, asked again.
    assert _parts(engine) == [["best", "meta"], ["grouping", "meta", "generation"], ["grouping", "meta", "generation"]]


def test_a_question_answered_from_the_tier_it_guessed_takes_one_round_trip(engine_order):
    made, engine, parsed = _searching(QUESTION, {("most", "exact"): 6, "pool": 20})
    made.search(SearchRequest(q=QUESTION), parsed)
    assert _parts(engine) == [["best", "meta"], ["generation", *["count", "meta"] * 5], ["grouping", "meta"]]


def test_a_query_found_only_folded_asks_its_folded_counts_once_with_its_new_page(engine_order):
    made, engine, parsed = _searching("bộ chính trị", {("together", "folded"): 4, ("all", "folded"): 6,
                                                     ("most", "folded"): 9})
    found = made.search(SearchRequest(q="bộ chính trị"), parsed)
    assert (found.total, found.accents, found.wider, _ids(found)) == (
        4, "folded", {"all": 2, "most": 5}, ["a0", "a1", "a2", "a3"])
    counted = [text for _, texts in engine.calls for text in texts if _kind(text) == "count"]
    # The exact forms' two, the folded forms' three, and whether some article writes the words in a row.
    assert len(counted) == len(set(counted)) == 6


def test_without_facets_a_search_asks_no_grouping(engine_order):
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND, one_match_rows=0)
    found = made.search(SearchRequest(q="bộ chính trị", facets=False), parsed)
    assert (found.total, found.facets) == (3, None)
    assert not any(_kind(text).startswith(("grouping", "facet")) for _, texts in engine.calls for text in texts)


@pytest.mark.parametrize("settings, parts", [
    # A queue of one row: the first page is still matched once (its wide page holds the shards' first rows).
    ({"one_match_rows": 1}, ["wide page", "meta"]),
    # The wide page through the distributed index: one statement on one node.
    ({"wide_each_shard": False}, ["wide page", "meta"]),
])
def test_the_one_match_settings_choose_how_a_first_page_is_asked(engine_order, settings, parts):
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND, **settings)
    found = made.search(SearchRequest(q="bộ chính trị"), parsed)
    assert (found.total, _ids(found)) == (3, ["a0", "a1", "a2"])
    wide = [[_kind(text) for text in texts] for _, texts in engine.calls if _kind(texts[0]) == "wide page"]
    assert wide == ([parts, parts] if settings == {"one_match_rows": 1} else [parts])
    assert ("FROM articles" in engine.calls[0][1][0]) == (settings == {"wide_each_shard": False})


def test_a_wide_page_short_of_a_shards_best_asks_the_page_and_the_facets_grouping(engine_order):
    made, engine, parsed = _searching("bộ chính trị", {("together", "exact"): 40}, one_match_rows=12)
    found = made.search(SearchRequest(q="bộ chính trị"), parsed)
    assert (found.total, _ids(found), found.facets.year) == (40, [f"a{key}" for key in range(10)], {2020: 20, 2021: 20})
    assert [[_kind(text) for text in texts] for _, texts in engine.calls][-1] == ["best", "meta", "grouping", "meta"]


def test_a_category_named_in_the_query_is_read_loosely_from_the_clusters_labels_into_the_page(engine_order):
    made, engine, parsed = _searching("bộ chính trị category:the thao", TIERS_FOUND)
    assert made.search(SearchRequest(q="bộ chính trị category:the thao"), parsed).total == 3
    pages = [text for _, texts in engine.calls for text in texts if _kind(text) == "wide page"]
    assert len(pages) == 2 and all(f" AND category_crc IN ({label_code('Thể thao')}) " in text for text in pages)


def test_labels_are_read_again_once_a_reindex_committed_since_they_were():
    made, fake = _talking(_labelling((420.5, 12.25, 7)))
    made._cache.observe("1")
    made.labels()
    made._cache.observe("2")  # a search read the generation of a reindex since
    made.labels()
    assert [texts[0].split(" FROM ")[0] for _, texts in fake.calls] == ["SELECT category, COUNT(*)"] * 2


# A query's top articles ("did you mean" reads them) -----------------------------------------------


def test_a_querys_top_articles_are_its_tightest_tiers_page_asked_alone_then_kept_with_its_plan(engine_order):
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND)
    top = made.top_documents(parsed)
    assert [d["id"] for d in top] == ["a0", "a1", "a2"] and top == [Engine.stored(key) for key in range(3)]
    assert _parts(engine) == [["best", "meta", "generation"]]  # no count, no facet
    engine.calls.clear()
    assert made.top_documents(parsed) == top and engine.calls == []  # kept
    assert made._kept_plan(parsed, "auto") == (Plan("together", "exact", made._plan_texts(parsed, "auto")[0]["exact"],
                                                    False, guessed=True), True)
    # Its next search takes the plan kept, and counts the wider tiers (the plan kept holds no count).
    found = made.search(SearchRequest(q="bộ chính trị", facets=False), parsed)
    assert (found.total, found.wider, _ids(found)) == (3, {"all": 5, "most": 9}, ["a0", "a1", "a2"])
    assert _parts(engine)[-1] == ["count", "meta", "count", "meta", "count", "meta", "generation"]


@pytest.mark.parametrize("query, found, ids, pages", [
    # Nothing as typed in the tightest tier: the query searched whole (the all tier's page), that page not sent again.
    ("bộ chính trị", {("all", "exact"): 2, ("most", "exact"): 5}, ["a0", "a1"], 2),
    # A question, and an empty query: searched whole at once.
    (QUESTION, {("most", "exact"): 4, "pool": 9}, ["a0", "a1", "a2", "a3"], 1),
    ("", {}, [f"a{key}" for key in range(10)], 1),
])
def test_a_querys_top_articles_are_searched_whole_when_its_tightest_page_cannot_tell(engine_order, query, found, ids,
                                                                                    pages):
    made, engine, parsed = _searching(query, found)
    top = made.top_documents(parsed)
    assert [d["id"] for d in top] == ids
    assert not any(_kind(text).startswith(("grouping", "facet")) for _, texts in engine.calls for text in texts)
    asked = [text for _, texts in engine.calls for text in texts if _kind(text) in ("best", "page")]
    assert len(asked) == len(set(asked)) == pages
    engine.calls.clear()
    assert made.top_documents(parsed) == top and engine.calls == []


def test_a_querys_top_articles_with_a_shard_missing_are_searched_whole_and_not_kept(engine_order):
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND)
    engine.warn = lambda text: AGENT_LOST  # every SHOW META: a shard is missing
    asked = []
    for _ in range(2):
        engine.calls.clear()
        assert [d["id"] for d in made.top_documents(parsed)] == ["a0", "a1", "a2"]
        asked.append(_parts(engine))
    # The tightest page alone, then the query searched whole (that page not sent again): nothing kept.
    assert asked[0] == asked[1] == [["best", "meta", "generation"], [*["count", "meta"] * 3, "generation"]]
    assert made._kept_plan(parsed, "auto") == (None, False)


def test_the_statistics_top_articles_of_a_text_are_those_of_its_parse_bounded_by_the_rankings_terms(engine_order):
    made, _, parsed = _searching("bộ chính", {("together", "exact"): 3})
    made.ranking = replace(made.ranking, max_query_terms=2)
    statistics = ClusterStatistics(made)
    assert [d["id"] for d in statistics.top_documents("bộ chính trị")] == ["a0", "a1", "a2"]
    assert statistics.top_documents(parsed) == made.top_documents(parsed) == statistics.top_documents("bộ chính")


def test_a_querys_top_articles_stay_kept_across_other_searches_of_the_same_generation(engine_order):
    made, engine, parsed = _searching("bộ chính trị category:the thao", TIERS_FOUND)
    top = made.top_documents(parsed)
    assert [d["id"] for d in top] == ["a0", "a1", "a2"]
    pages = [text for _, texts in engine.calls for text in texts if _kind(text) == "best"]
    assert len(pages) == 1 and f" AND category_crc IN ({label_code('Thể thao')}) " in pages[0]
    made.search(SearchRequest(q="bộ chính trị", page=2), parse_query("bộ chính trị"))  # reads the same generation
    engine.calls.clear()
    assert made.top_documents(parsed) == top and engine.calls == []


def test_a_backend_searches_with_the_search_timeout_its_ranking_and_without_a_questions_exact_forms():
    made = ClusterBackend("sphinxql://127.0.0.1:1,127.0.0.1:2")
    assert (made.cluster.read_timeout, made.ranking, made.question_exact_forms) == (
        cluster_backend.SEARCH_TIMEOUT_S, DEFAULT_RANKING, False)


def test_a_querys_excluded_words_are_written_with_each_forms_accents():
    forms, texts = ClusterBackend._query_texts(parse_query("bộ chính trị -hà"), "auto")
    assert texts["all", "exact"] == forms["exact"]["all"] + " -(@(title_exact,body_exact) hà)"
    assert texts["all", "folded"] == forms["folded"]["all"] + " -(@(title_fold,body_fold) ha)"


def test_labels_with_a_shard_missing_are_read_again_sooner_than_whole_ones():
    made, fake = _talking(_labelling((420.5, 12.25, 7)))
    made.labels().loaded -= cluster_backend.REFRESH_S + 1  # older than a refresh, younger than the longest age
    made.labels()
    assert len(fake.calls) == 1
    made._labels.whole = False
    made.labels()
    assert len(fake.calls) == 2


def test_a_search_reading_a_reindexs_generation_drops_the_top_articles_and_whole_frequencies_kept(engine_order):
    made, engine, parsed = _searching("bộ chính trị", TIERS_FOUND)
    made.top_documents(parsed)
    made._keep_frequencies({"bo": 40})
    engine.generation = "2"
    made.search(SearchRequest(q="bộ chính trị", page=2), parsed)
    assert made._whole.get("bo") is None
    engine.calls.clear()
    assert [d["id"] for d in made.top_documents(parsed)] == ["a0", "a1", "a2"] and engine.calls != []


def test_an_excluded_word_is_written_with_the_plans_accents():
    parsed = parse_query("bộ chính trị -hà")
    assert ClusterBackend._where(parsed, Plan("all", "exact", {}, False), "X", []) == (
        " WHERE MATCH('X -(@(title_exact,body_exact) hà)')")
    assert ClusterBackend._where(parsed, Plan("all", "folded", {}, False), "X", []) == (
        " WHERE MATCH('X -(@(title_fold,body_fold) ha)')")


def test_a_page_answered_from_the_folded_forms_scores_the_accents_typed_in_its_optional_part():
    made, _, parsed = _searching("bộ chính trị", TIERS_FOUND)
    forms = made._plan_texts(parsed, "auto")[0]
    page = made._page_statements(parsed, Plan("together", "folded", forms["folded"], False),
                                 forms["folded"]["together"], {}, SearchRequest(q="bộ chính trị", sort="newest"))
    assert f"MATCH('({forms['folded']['together']}) MAYBE (({EXACT} bộ) | ({EXACT} chính) | ({EXACT} trị) | " in (
        page[0][0].replace("\\'", "'"))


def test_a_words_documents_being_read_are_taken_from_the_reading_unless_kept_already():
    made = ClusterBackend("sphinxql://127.0.0.1:1,127.0.0.1:2")

    class Read:
        def counts(self):
            return {"bo": 7, "tri": 9}

    made._reading.update(bo=Read(), tri=Read())
    made._cache.put(("df", "tri"), 5)
    assert [made._kept_documents(term) for term in ("bo", "tri", "chinh")] == [7, 5, None]
    assert not made._large_tier(parse_query(""), Plan("all", "exact", {}, False))  # no word: no tier to weigh
