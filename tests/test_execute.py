"""The embedded backend's ranking arithmetic on the demo index: where words stand in a row, and
the inverse document frequencies that weigh a query's readings and its proximity bonus.

Expected values come from an independent tokenizer over the stored articles (regex words,
unidecode folding), never from a previous run.
"""

from __future__ import annotations

import collections
import itertools
import math
import re
import unicodedata
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
from unidecode import unidecode

from search import abbreviations, execute, matching
from search.cluster_rerank import CandidateContext, CandidateSnapshot
from search.engine import SearchEngine
from search.execute import (
    QueryContext,
    Scope,
    _best_of,
    _chain,
    _commonest,
    _counted_phrase,
    _highest_bm25f,
    _idf_sum,
    _once_held,
    _pairs_idf,
    _promising_count,
    _score_bounds,
    _scores,
    _sum_sorted,
    _syllable_idf,
    _union_count,
    phrase_keys,
    phrase_starts,
    promising,
    reachable,
    relevance,
)
from search.index import reindex
from search.matching import LONG_QUERY_WORDS
from search.parse import Clause, ParsedQuery, parse_query, syllables_of
from search.ranking import DEFAULT_RANKING
from search.reader import PostingsCache
from search.request import SearchRequest
from search.schema import TEXT_FIELDS
from search.understand import Vocabulary, understand
from search.whoosh_backend import WhooshBackend
from tests.helpers import DEMO_ARTICLES, write_jsonl


def folded_words(text: str) -> list[str]:
    """Independent tokenizer: runs of letters/digits, accents stripped, lower-cased."""
    return [unidecode(word).lower() for word in re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text))]


@pytest.fixture(scope="module")
def context(engine):
    """Return one request's query context over the demo index."""
    return engine.backend.view().context


@pytest.fixture(scope="module")
def fields(context) -> dict[int, dict[str, list[str]]]:
    """{doc number: {"title": folded words, "body": folded words}} of every live demo document."""
    snapshot = context.snapshot
    return {int(doc): {name: folded_words(snapshot.stored(doc)[name]) for name in ("title", "body")}
            for doc in np.flatnonzero(snapshot.live)}


def first_run(words: list[str], terms: list[str]) -> int | None:
    """Return where terms first stand in a row in words (None: nowhere)."""
    n = len(terms)
    return next((i for i in range(len(words) - n + 1) if words[i : i + n] == terms), None)


def bm25_idf(documents: int, holding: int) -> float:
    """Return BM25's inverse document frequency."""
    return math.log(1.0 + (documents - holding + 0.5) / (holding + 0.5))


def holding(fields, terms: list[str]) -> int:
    """Return how many documents hold terms in a row in their title or body."""
    return sum(1 for doc in fields.values() if any(first_run(doc[f], terms) is not None for f in ("title", "body")))


@pytest.mark.parametrize("fieldname, terms", [
    ("title", ["bo", "chinh", "tri"]),
    ("body", ["chinh", "tri"]),
    ("title", ["viet", "nam"]),
    ("body", ["viet", "nam"]),
    ("body", ["ho", "chi", "minh"]),
])
def test_words_in_a_row_are_found_at_their_first_position_in_each_document(context, fields, fieldname, terms):
    expected = {doc: first_run(words[fieldname], terms) for doc, words in fields.items()}
    expected = {doc: start for doc, start in expected.items() if start is not None}
    assert expected
    docs, starts = phrase_starts(phrase_keys(context, fieldname, terms, np.array(sorted(fields))))
    assert dict(zip(docs.tolist(), starts.tolist())) == expected


def test_words_standing_in_the_same_documents_but_never_in_that_order_are_found_nowhere(context, fields):
    terms = ["nam", "viet"]
    both = [doc for doc, words in fields.items() if {"nam", "viet"} <= set(words["body"])]
    assert len(both) > 10 and not any(first_run(fields[doc]["body"], terms) is not None for doc in both)
    docs, starts = phrase_starts(phrase_keys(context, "body", terms, np.array(both)))
    assert (docs.tolist(), starts.tolist()) == ([], [])


def test_words_in_a_row_are_looked_for_only_in_the_documents_given(context, fields):
    terms = ["chinh", "tri"]
    every = sorted(doc for doc, words in fields.items() if first_run(words["body"], terms) is not None)
    some = np.array(every[::2])
    docs, _ = phrase_starts(phrase_keys(context, "body", terms, some))
    assert docs.tolist() == some.tolist()


def test_every_pairs_count_in_a_row_taken_at_once_is_each_pairs_own_count(context, fields):
    # A long query's pairs are counted in one pass (adjacent_pair_counts): each pair's counts in
    # each of the docs given (in no order) are those the independent tokenizer finds, and those
    # adjacent_counts_of finds pair by pair.
    words = folded_words(DEMO_ARTICLES[3]["body"])[:60]
    pairs = [*dict.fromkeys(itertools.pairwise(words)), ("nam", "viet"), ("qwxzv", "nam"), ("chinh", "tri")]
    docs = np.random.default_rng(5).permutation(sorted(fields))[:150]
    for fieldname in TEXT_FIELDS:
        counts = matching.adjacent_pair_counts(context, fieldname, pairs, docs)
        expected = [[sum(pair == found for found in itertools.pairwise(fields[doc][fieldname])) for doc in docs]
                    for pair in pairs]
        assert counts.tolist() == expected, fieldname
        for pair, row in zip(pairs, counts):
            assert np.array_equal(row, matching.adjacent_counts_of(context, fieldname, list(pair), docs))
    body = matching.adjacent_pair_counts(context, "body", pairs, docs)
    assert (body > 0).any(axis=1).sum() > 20 and body.max() > 1  # found in many documents, some more than once
    assert matching.adjacent_pair_counts(context, "body", pairs, docs[:0]).shape == (len(pairs), 0)


def test_another_forms_syllables_are_one_run_of_proximity_and_typed_words_or_a_two_syllable_form_stay_pairs():
    form = Clause(syllables_of("ủy ban nhân dân"), phrase=True, alternative=True)
    coach = Clause(syllables_of("huấn luyện viên"), phrase=True, alternative=True)  # a form of three
    reading = ParsedQuery("ubnd tp hcm họp", groups=[
        [form], [Clause(syllables_of("tp hcm"), phrase=True, alternative=True)], [Clause(syllables_of("họp"))],
        [Clause(syllables_of("ủy ban nhân dân"))], [form], [coach]])  # typed in full after; the form again
    chain, steps = execute._chain(reading)
    assert " ".join(s.folded for s in chain) == \
        "uy ban nhan dan tp hcm hop uy ban nhan dan uy ban nhan dan huan luyen vien"
    uy = chain[0].exact  # "uỷ": one tone placement for both
    run = ((uy, "ban", "nhân", "dân"), "uy", "ban", "nhan", "dan")
    assert [(first is None, key) for first, _, key in steps] == [
        (True, run),  # the form: its whole run, once for both places it stands
        (False, (("dân", "tp"), "dan", "tp")), (False, (("tp", "hcm"), "tp", "hcm")),  # two syllables: a pair
        (False, (("hcm", "họp"), "hcm", "hop")), (False, (("họp", uy), "hop", "uy")),
        (False, ((uy, "ban"), "uy", "ban")), (False, (("ban", "nhân"), "ban", "nhan")),  # typed: its pairs
        (False, (("nhân", "dân"), "nhan", "dan")), (False, (("dân", uy), "dan", "uy")),
        (False, (("dân", "huấn"), "dan", "huan")), (True, (("huấn", "luyện", "viên"), "huan", "luyen", "vien"))]


def test_a_runs_bonus_is_its_pairs_bonus_where_it_stands_whole_and_less_where_its_pairs_stand_apart(demo_index):
    # "Bộ Giáo dục và Đào tạo" (2 demo articles) and its pairs: "giáo dục", "đào tạo" stand in many more.
    ctx = uncached_context(demo_index)
    syllables = syllables_of("bộ giáo dục và đào tạo")
    terms, folded = tuple(s.exact for s in syllables), tuple(s.folded for s in syllables)
    idfs = {word: 1.0 + 0.25 * at for at, word in enumerate(folded)}
    docs = np.arange(ctx.size)
    run = execute._pair_bonus(ctx, terms, folded, docs, idfs, 10.0)
    pairs = [execute._pair_bonus(ctx, pair, fold, docs, idfs, 10.0)
             for pair, fold in zip(itertools.pairwise(terms), itertools.pairwise(folded))]
    for field, name in enumerate(TEXT_FIELDS):
        counts = [matching.adjacent_counts_of(ctx, name, list(pair), docs) for pair in itertools.pairwise(terms)]
        whole = matching.adjacent_counts_of(ctx, name, list(terms), docs)
        alone = np.all([count == whole for count in counts], axis=0)  # each pair stands only in the run
        summed = np.sum([bonus[field] for bonus in pairs], axis=0)
        np.testing.assert_allclose(run[field][alone], summed[alone], rtol=1e-12)
        assert (run[field] <= summed + 1e-9).all()
        assert (run[field][~alone] < summed[~alone]).all() and (~alone).sum() >= 2
    assert [(run[field] > 0).sum() for field in range(2)] == [0, 2]  # no title holds it whole, two bodies do


# A pasted paragraph's beginning and end (its words far apart: a question, not a passage found whole).
PASTED = DEMO_ARTICLES[3]["body"][:150] + " " + DEMO_ARTICLES[3]["body"][-150:]


@pytest.mark.parametrize("q", [
    PASTED,  # a pasted paragraph
    unidecode(PASTED),  # and without accents: more readings, folded pairs
    "hlv park hang seo nói gì về đội tuyển việt nam",  # the readings of an abbreviation
    "quy định của nghị định số 99 về giáo dục",  # a pair naming a document
    "thông tư 26 áp dụng từ khi nào",  # a question
])
def test_a_querys_proximity_bonus_counted_pair_by_pair_is_the_same_to_the_last_bit(demo_index, monkeypatch, q):
    # _proximity counts every pair of every reading at once; when that does not fit it counts
    # them one by one (``matching.adjacent_pair_counts`` -> None).  Both give the same bonus,
    # bit for bit, each in a context of its own (nothing read shared).
    asked = []
    original = execute._proximity

    def remembered(ctx, parsed, docs, idfs):
        asked.append((parsed, docs, idfs))
        return original(ctx, parsed, docs, idfs)

    monkeypatch.setattr(execute, "_proximity", remembered)
    SearchEngine(demo_index).search(SearchRequest(q=q, size=10))
    monkeypatch.undo()
    parsed, docs, idfs = asked[0]
    assert len(docs) > 10
    counted = []  # the pairs counted one by one
    pair_bonus = execute._pair_bonus
    monkeypatch.setattr(execute, "_pair_bonus", lambda *args: counted.append(args[1]) or pair_bonus(*args))
    at_once = execute._proximity(uncached_context(demo_index), parsed, docs, idfs)
    # Every pair of every reading counted at once; a run of another form's syllables ("huấn luyện
    # viên" for "hlv") is counted by itself.
    assert [terms for terms in counted if len(terms) == 2] == []
    counted.clear()
    monkeypatch.setattr(matching, "adjacent_pair_counts", lambda *args: None)
    one_by_one = execute._proximity(uncached_context(demo_index), parsed, docs, idfs)
    assert at_once.tobytes() == one_by_one.tobytes() and (at_once > 0).sum() > 3
    assert len(counted) == len(set(counted)) > 3  # each pair once, shared by the readings


@pytest.mark.parametrize("syllable", ["hlv", "chinh", "tri", "vinamilk", "qwxzv"])
def test_a_syllables_idf_counts_the_documents_holding_it_in_title_or_body(context, fields, syllable):
    assert _syllable_idf(context, syllable) == pytest.approx(bm25_idf(len(fields), holding(fields, [syllable])))


def test_the_idf_of_several_syllables_is_each_ones_own(context, fields):
    # Each syllable's idf is its own, whatever was asked for before it in the same context.
    for syllable in ["hlv", "chinh", "hlv", "vinamilk"]:
        assert _syllable_idf(context, syllable) == pytest.approx(bm25_idf(len(fields), holding(fields, [syllable])))


def test_a_querys_summed_idf_counts_its_distinct_words_and_each_phrase_once(context, fields):
    documents = len(fields)
    parsed = parse_query('"huấn luyện viên" hlv HLV chính')
    expected = (bm25_idf(documents, holding(fields, ["huan", "luyen", "vien"]))
                + bm25_idf(documents, holding(fields, ["hlv"])) + bm25_idf(documents, holding(fields, ["chinh"])))
    assert _idf_sum(context, parsed) == pytest.approx(expected)


# A unit (a quoted phrase, a word of inner punctuation) typed twice is one word, as a syllable is.
@pytest.mark.parametrize("q, once", [
    ('"huấn luyện viên" chính "Huấn Luyện Viên"', '"huấn luyện viên" chính'),
    ("tế-xã chính tế-xã", "tế-xã chính"),
])
def test_a_unit_typed_twice_counts_once_in_the_querys_summed_idf(context, q, once):
    assert _idf_sum(context, parse_query(once)) > _idf_sum(context, parse_query("chính")) > 0
    assert _idf_sum(context, parse_query(q)) == _idf_sum(context, parse_query(once))


def test_a_multi_syllable_word_or_a_quoted_phrase_counts_the_documents_holding_its_folded_syllables_in_a_row(
        context, fields):
    # "tế-xã" (as in "kinh tế-xã hội") is one word of two syllables: its idf counts the documents
    # holding "te xa" in a row, not both anywhere; a quoted phrase typed with accents counts the
    # documents holding it with any accents ("đối với" and "đời với" alike).
    documents = len(fields)
    anywhere = sum(1 for doc in fields.values() if {"te", "xa"} <= set(doc["title"] + doc["body"]))
    assert holding(fields, ["te", "xa"]) < anywhere
    expected = bm25_idf(documents, holding(fields, ["te", "xa"])) + bm25_idf(documents, holding(fields, ["doi", "voi"]))
    assert _idf_sum(context, parse_query('tế-xã "đối với"')) == pytest.approx(expected)


# "Việt Nẫm": an accent no article writes, counted folded as every phrase count is.
@pytest.mark.parametrize("q", ['"việt nam"', '"Việt Nẫm"'])
def test_a_phrase_held_by_more_articles_than_its_sample_is_counted_in_an_even_sample_and_scaled(
        context, fields, monkeypatch, q):
    # The documents holding both "viet" and "nam" are more than a sample of 7: the count is the
    # share of 7 of them, evenly spaced in doc-number order, holding the words in a row, times all
    # of them; with a sample as large as they are, the count is exact.
    clause = parse_query(q).clauses[0]
    both = sorted(doc for doc, words in fields.items() if {"viet", "nam"} <= set(words["title"] + words["body"]))
    in_a_row = {doc for doc in both if holding({doc: fields[doc]}, ["viet", "nam"])}
    assert len(both) > 7 and 0 < len(in_a_row) < len(both)
    sample = [both[at] for at in np.linspace(0, len(both) - 1, 7).astype(int)]
    monkeypatch.setattr(execute, "PHRASE_COUNT_SAMPLE", 7)
    assert _counted_phrase(context, clause) == round(len(in_a_row.intersection(sample)) * len(both) / 7)
    monkeypatch.setattr(execute, "PHRASE_COUNT_SAMPLE", len(both))
    assert _counted_phrase(context, clause) == len(in_a_row)


def test_a_phrases_count_is_kept_among_a_snapshots_statistics_and_counted_in_the_query_over_candidates(
        demo_index, fields, monkeypatch):
    # A statistic that reads positions: counted once for every query of a snapshot, kept among the
    # statistics of its postings cache (which postings do not evict); the cluster's candidates have no
    # cache, and count it in the query.
    expected = holding(fields, ["viet", "nam"])
    backend = WhooshBackend(demo_index, postings_cache_mb=64)
    first, second = backend.view().context, backend.view().context
    cache = first.snapshot.postings_cache
    assert execute.phrase_frequency(first, ["viet", "nam"]) == expected
    assert cache.statistics_size == PostingsCache.ENTRY_OVERHEAD + np.array([expected]).nbytes  # that count alone
    assert first.snapshot.kept(("phrase count", ("viet", "nam"), TEXT_FIELDS))[0].tolist() == [expected]
    monkeypatch.setattr(execute, "_counted_phrase", lambda *args: pytest.fail("a kept phrase count counted again"))
    assert execute.phrase_frequency(second, ["viet", "nam"]) == expected
    monkeypatch.undo()
    articles = [{"title": "Việt Nam", "body": "đội tuyển Việt Nam thắng"}, {"title": "Nam Định", "body": "việt vị"}]
    candidates = QueryContext(CandidateSnapshot(articles, {"title": 2.0, "body": 3.0}), DEFAULT_RANKING)
    assert execute.phrase_frequency(candidates, ["viet", "nam"]) == 1


def test_a_querys_pair_idf_sums_the_mean_idf_of_each_distinct_adjacent_pair(context, fields):
    documents = len(fields)
    idf = {s: bm25_idf(documents, holding(fields, [s])) for s in ("chinh", "tri", "bo")}
    # "chính trị chính trị" holds the pairs (chinh, tri) twice and (tri, chinh) once; a field's
    # words stand in no pair.
    parsed = parse_query("bộ chính trị chính trị title:bo")
    pairs = dict.fromkeys(itertools.pairwise(["bo", "chinh", "tri", "chinh", "tri"]))
    assert _pairs_idf(context, _chain(parsed)[0]) == pytest.approx(sum((idf[a] + idf[b]) / 2 for a, b in pairs))
    assert _pairs_idf(context, _chain(parse_query("chính"))[0]) == 0.0


def proximity_bonus(engine: SearchEngine, q: str, doc_id: str) -> float:
    """Return what the proximity bonus adds to a document's score: its score by relevance minus its
    score in date order (which ranks by the base scores alone)."""
    scores = [{h["id"]: h["score"] for h in engine.search(SearchRequest.from_params({"q": q, "sort": sort}))["hits"]}
              for sort in ("relevance", "newest")]
    return scores[0][doc_id] - scores[1][doc_id]


def test_query_words_in_a_row_in_a_title_earn_each_pairs_mean_idf_times_the_title_weight_less_for_a_question(
        tmp_path):
    # A demo title ("Gỡ khó vay vốn cho doanh nghiệp nhỏ ...") over another article's body, which
    # holds no two of its words in a row, and a third article, so that the words' idf differ.
    titled = dict(DEMO_ARTICLES[9], body=DEMO_ARTICLES[22]["body"])
    other = DEMO_ARTICLES[0]
    reindex(tmp_path / "index", [str(write_jsonl(tmp_path / "articles.jsonl", [titled, other]))], procs=1)
    engine = SearchEngine(tmp_path / "index")
    texts = [folded_words(a["title"]) + folded_words(a["body"]) for a in (titled, other)]
    title, body = folded_words(titled["title"]), folded_words(titled["body"])
    assert not set(itertools.pairwise(title)) & set(itertools.pairwise(body))
    idf = {word: bm25_idf(2, sum(word in text for text in texts)) for word in title}
    assert len(set(idf.values())) > 1
    ranking = DEFAULT_RANKING
    for size, weight in [(LONG_QUERY_WORDS - 1, ranking.title_proximity_weight),
                         (LONG_QUERY_WORDS, ranking.question_title_proximity_weight)]:
        words = title[:size]
        expected = weight * sum((idf[a] + idf[b]) / 2 for a, b in itertools.pairwise(words))
        q = " ".join(titled["title"].split()[:size])
        assert proximity_bonus(engine, q, titled["id"]) == pytest.approx(expected, abs=2e-4), q


def test_a_pair_typed_with_accents_earns_its_title_bonus_only_where_it_stands_with_those_accents(tmp_path):
    # Folding merges "thuốc lá" (tobacco) and "thuộc lá": only the title writing the accents typed
    # earns the bonus of the pair in a row.  Both articles hold both words (apart) in their body.
    body = DEMO_ARTICLES[22]["body"] + "\nNgười hút thuốc thì lá phổi yếu đi."
    assert not {("thuoc", "la")} & set(itertools.pairwise(folded_words(body)))
    articles = [dict(DEMO_ARTICLES[9], id="tobacco", title="Cấm thuốc lá điện tử từ năm sau", body=body),
                dict(DEMO_ARTICLES[9], id="other-accents", title="Cấm thuộc lá điện tử từ năm sau", body=body)]
    reindex(tmp_path / "index", [str(write_jsonl(tmp_path / "articles.jsonl", articles))], procs=1)
    engine = SearchEngine(tmp_path / "index")
    expected = DEFAULT_RANKING.title_proximity_weight * bm25_idf(2, 2)  # both words in both articles
    assert {doc_id: proximity_bonus(engine, "thuốc lá", doc_id) for doc_id in ("tobacco", "other-accents")} == (
        pytest.approx({"tobacco": expected, "other-accents": 0.0}, abs=2e-4))


def test_query_words_in_a_row_in_a_body_earn_a_saturated_bonus_normalised_by_the_body_length(engine, context, fields):
    # In the body each occurrence of the pair counts, BM25-saturated and normalised by the body's
    # length; in the title it counts once.
    snapshot, ranking = context.snapshot, DEFAULT_RANKING
    idf = sum(bm25_idf(len(fields), holding(fields, [word])) for word in ("chinh", "tri")) / 2
    expected = {}
    for doc, words in fields.items():
        count = sum(pair == ("chinh", "tri") for pair in itertools.pairwise(words["body"]))
        length = snapshot.lengths["body"][doc] / snapshot.average_length["body"]
        tf = count / (1 - ranking.body_b + ranking.body_b * length)
        in_title = first_run(words["title"], ["chinh", "tri"]) is not None
        in_body = ranking.proximity_weight * tf * (ranking.k1 + 1) / (tf + ranking.k1)
        expected[snapshot.stored(doc)["id"]] = idf * (ranking.title_proximity_weight * in_title + in_body)
    scores = [{hit["id"]: hit["score"] for page in range(1, 6) for hit in engine.search(SearchRequest.from_params(
        {"q": "chinh tri", "size": "50", "sort": sort, "page": str(page)}))["hits"]}
        for sort in ("relevance", "newest")]
    found = sorted(scores[0])
    lengths = {snapshot.lengths["body"][doc] for doc in fields if snapshot.stored(doc)["id"] in scores[0]}
    assert len(found) > 10 and len(lengths) > 5 and all(expected[doc_id] > 0 for doc_id in found)
    assert {doc_id: scores[0][doc_id] - scores[1][doc_id] for doc_id in found} == pytest.approx(
        {doc_id: expected[doc_id] for doc_id in found}, abs=2e-4)

def test_only_the_top_articles_by_base_score_are_reranked_by_proximity(demo_index):
    # With a rerank depth of ten, the first page of ten holds the ten best base scores (those of
    # the date order, which ranks by them alone), in their order with the proximity bonus added.
    engine = SearchEngine(demo_index, ranking=replace(DEFAULT_RANKING, rerank_depth=10))
    q = "cho biết"
    by_date = engine.search(SearchRequest.from_params({"q": q, "sort": "newest", "size": "50"}))
    assert by_date["total"] > 20
    base = {hit["id"]: hit["score"] for page in range(1, by_date["pages"] + 1) for hit in engine.search(
        SearchRequest.from_params({"q": q, "sort": "newest", "size": "50", "page": str(page)}))["hits"]}
    best = sorted(base, key=lambda doc_id: -base[doc_id])[:10]
    assert base[best[9]] > sorted(base.values())[-11]  # no tie at the cut
    page = engine.search(SearchRequest.from_params({"q": q, "size": "10"}))["hits"]
    assert {hit["id"] for hit in page} == set(best)
    assert all(hit["score"] >= base[hit["id"]] for hit in page)
    assert [hit["score"] for hit in page] == sorted((hit["score"] for hit in page), reverse=True)


def test_a_long_query_is_reranked_to_its_own_depth_a_short_one_to_the_rerank_depth(demo_index, monkeypatch):
    # A pasted paragraph (at least long_query_syllables distinct syllables) gets its proximity bonus in
    # its long_query_rerank_depth best articles; a shorter query in its rerank_depth best.
    engine = SearchEngine(demo_index, ranking=replace(DEFAULT_RANKING, rerank_depth=30, long_query_rerank_depth=10))
    reranked = []
    proximity = execute._proximity
    monkeypatch.setattr(execute, "_proximity", lambda ctx, parsed, docs, idfs: reranked.append(len(docs)) or proximity(
        ctx, parsed, docs, idfs))
    words = list(dict.fromkeys(re.findall(r"[^\W_]+", DEMO_ARTICLES[0]["body"].lower())))
    # Words from the article's beginning and end: never together, so a question (its wider pool reranked).
    for q, depth in ((" ".join(words[:25] + words[-25:]), 10), (" ".join(words[:5] + words[-1:]), 30)):
        reranked.clear()
        assert execute.rerank_depth(engine.ranking, parse_query(q)) == depth
        result = engine.search(SearchRequest(q=q, size=10))
        assert result["total"] > depth and set(reranked) == {depth}, (q, result["total"], reranked)
        assert result["hits"][0]["id"] == DEMO_ARTICLES[0]["id"]


@pytest.mark.parametrize("q", ["giá vàng thế giới", "bóng đá việt nam"])
def test_in_the_most_tier_the_articles_holding_every_word_come_first(engine, q):
    holding_all = engine.search(SearchRequest.from_params({"q": q, "match": "all", "size": "50"}))
    every = {hit["id"] for hit in holding_all["hits"]}
    most = engine.search(SearchRequest.from_params({"q": q, "match": "most", "size": "50"}))
    assert most["tier"] == "most" and 0 < len(every) == holding_all["total"] < min(most["total"], 50)
    assert {hit["id"] for hit in most["hits"][: len(every)]} == every


def bm25f(snapshot, words_of: dict[int, dict[str, list[str]]], word: str) -> dict[int, float]:
    """{doc number: BM25F score} of a word over title and body, from the words of each document."""
    ranking = DEFAULT_RANKING
    weights = {"title": (ranking.title_weight, ranking.title_b), "body": (ranking.body_weight, ranking.body_b)}
    scores = {}
    for doc, words in words_of.items():
        lengths = {name: snapshot.lengths[name][doc] / snapshot.average_length[name] for name in weights}
        tf = sum(weight * words[name].count(word) / (1 - b + b * lengths[name])
                 for name, (weight, b) in weights.items())
        if tf:
            scores[doc] = tf * (ranking.k1 + 1) / (tf + ranking.k1)
    idf = bm25_idf(len(words_of), len(scores))
    return {doc: idf * value for doc, value in scores.items()}


# A word in one document, one in a few (both few postings, scored over their own ids) and a common one.
@pytest.mark.parametrize("word", ["vinamilk", "samsung", "cho"])
def test_a_one_word_querys_score_is_bm25f_over_title_and_body(engine, context, fields, word):
    snapshot = context.snapshot
    expected = {snapshot.stored(doc)["id"]: value for doc, value in bm25f(snapshot, fields, word).items()}
    pages = [engine.search(SearchRequest.from_params({"q": word, "size": "50", "sort": "newest", "page": str(n)}))
             for n in range(1, 6)]
    assert pages[0]["total"] == len(expected) <= 250
    assert {hit["id"]: hit["score"] for page in pages for hit in page["hits"]} == pytest.approx(expected, abs=1e-4)


def test_an_accented_words_score_is_its_bm25f_as_typed_plus_a_share_of_its_bm25f_folded(engine, context, fields):
    # "thuốc" (11 demo articles) folds to "thuoc", written by 70 ("thuộc" mostly): folding merges
    # distinct words, so the folded form counts at accented_folded_weight only.
    snapshot, ranking = context.snapshot, DEFAULT_RANKING
    stored = {doc: snapshot.stored(doc) for doc in fields}
    typed = {doc: {name: re.findall(r"[^\W_]+", unicodedata.normalize("NFC", article[name]).lower())
                   for name in ("title", "body")} for doc, article in stored.items()}
    exact, loose = bm25f(snapshot, typed, "thuốc"), bm25f(snapshot, fields, "thuoc")
    assert 0 < len(exact) < len(loose)
    expected = {snapshot.stored(doc)["id"]: ranking.exact_weight * value + ranking.accented_folded_weight * loose[doc]
                for doc, value in exact.items()}
    result = engine.search(SearchRequest.from_params({"q": "thuốc", "size": "50", "sort": "newest"}))
    assert result["total"] == len(expected)
    assert {hit["id"]: hit["score"] for hit in result["hits"]} == pytest.approx(expected, abs=1e-4)


def test_a_word_typed_again_inside_a_quoted_phrase_adds_nothing_to_the_scores(engine):
    # Each term's part is added once however often the query names it: "việt" before "việt nam"
    # neither counts twice nor stops the phrase's next word ("nam") from counting.
    def scores(q: str) -> tuple[int, dict[str, float]]:
        result = engine.search(SearchRequest.from_params({"q": q, "size": "50", "sort": "newest"}))
        return result["total"], {hit["id"]: hit["score"] for hit in result["hits"]}

    alone = scores('"việt nam"')
    assert alone[0] > 50
    assert scores('việt "việt nam"') == alone


def test_a_word_no_article_holds_adds_nothing_to_the_scores_of_the_words_after_it(engine):
    # "qxzw" is in no article: the most tier finds the articles holding "bóng đá", each scored as
    # "bóng đá" alone scores it (the compound "bong_da" counted though "qxzw_bong" is not indexed).
    def scores(q: str) -> dict[str, float]:
        result = engine.search(SearchRequest.from_params({"q": q, "size": "50", "sort": "newest"}))
        return {hit["id"]: hit["score"] for hit in result["hits"]}

    with_unknown, alone = scores("qxzw bóng đá"), scores("bóng đá")
    common = set(with_unknown) & set(alone)
    assert len(common) > 2
    assert {i: with_unknown[i] for i in common} == pytest.approx({i: alone[i] for i in common}, abs=1e-4)


def test_what_a_query_context_remembers_is_read_only(context):
    first, second = context.remember(("test", "pair"), lambda: (np.zeros(3), np.ones(2)))
    single = context.remember(("test", "one"), lambda: np.zeros(3))
    assert not (first.flags.writeable or second.flags.writeable or single.flags.writeable)
    with pytest.raises(ValueError):
        single[0] = 1.0


@pytest.mark.parametrize("q, match, tier", [("chính trị", "auto", "together"), ("giá vàng trong nước", "auto", "all"),
                                            ("giá vàng tăng mạnh", "most", "most")])
def test_the_relevance_of_each_article_is_the_score_its_search_ranks_it_by(engine, q, match, tier):
    # What a cluster's rerank computes for the engine's best articles: the embedded index's own
    # score, proximity bonus included, with the articles holding every word first in the most tier.
    result = engine.search(SearchRequest(q=q, match=match, size=10, snippets=False, facets=False, suggest=False))
    view = engine.backend.view()
    parsed = understand(parse_query(q), Vocabulary(view.statistics()), abbreviations.load()).parsed
    context = view.context
    every = matching.all_words(context, parsed) & context.snapshot.live if match == "most" else None
    scores = relevance(context, parsed, every)
    number = {context.snapshot.stored(doc)["id"]: doc for doc in np.flatnonzero(context.snapshot.live)}
    assert result["tier"] == tier and len(result["hits"]) == min(10, result["total"]) > 2
    assert [round(float(scores[number[hit["id"]]]), 4) for hit in result["hits"]] == [
        hit["score"] for hit in result["hits"]]


# Scoring within a scope: a query's page is ordered from a pool of articles, and only they need a
# score.  The demo index is far smaller than SCOPED_MIN_POSTINGS, so these tests lower it to 0.


@pytest.fixture
def scoped(monkeypatch):
    """Score within a scope whatever the size of the index and of the pool."""
    monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", 0)
    monkeypatch.setattr(execute, "SCOPED_MAX_SHARE", 1.0)


def uncached_context(demo_index):
    """Return a new query context over the demo index, without a postings cache (nothing scored before)."""
    return WhooshBackend(demo_index, postings_cache_mb=0).view().context


def understood(demo_index, q: str):
    """Return q parsed and understood over the demo index's vocabulary (its readings: Telex, abbreviations)."""
    return understand(parse_query(q), Vocabulary(SearchEngine(demo_index).backend.view().statistics()),
                      abbreviations.load()).parsed


@pytest.mark.parametrize("term, fields", [("cho", TEXT_FIELDS), ("nam", TEXT_FIELDS), ("thuoc", TEXT_FIELDS),
                                          ("viet_nam", TEXT_FIELDS), ("nam", ("title",)), ("hà", TEXT_FIELDS)])
# 1/17 and 1/20: scopes of 12 and 11 documents, whose double is the 24 titles holding "nam" and just below it.
@pytest.mark.parametrize("share", [0.02, 0.2, 1 / 17, 1 / 20])
def test_a_terms_scores_within_a_scope_are_its_whole_scores_of_the_scopes_documents(demo_index, scoped, term, fields,
                                                                                     share):
    context = uncached_context(demo_index)
    size = context.size
    # Every few documents, whether they hold the term or not (few: the sparse sums; more: the dense ones).
    within = np.zeros(size, dtype=bool)
    within[:: max(1, round(1 / share))] = True
    scope = Scope(within)
    slots, values, idf = context.scoped_bm25f(term, fields, scope)
    # A scope smaller than half of the postings scores its documents alone: the whole term is not scored.
    whole_scored = ("bm25f", term, fields) in context._computed
    ids, whole, whole_idf = context.bm25f(term, fields)
    assert len(ids) > 4 * len(slots) > 0
    assert whole_scored == (len(scope.docs) * 2 >= sum(len(context.postings(n, term)) for n in fields))
    assert idf == whole_idf > 0
    inside = within[ids]
    assert scope.docs[slots].tolist() == ids[inside].tolist()
    assert values.tolist() == whole[inside].tolist()  # the very same numbers, not close ones


@pytest.mark.parametrize("term, fields", [("ngay", TEXT_FIELDS), ("nam", TEXT_FIELDS), ("nguoi", ("body",))])
def test_a_terms_scores_in_a_wide_scope_holding_few_of_its_documents_are_its_whole_scores_of_them(
        demo_index, scoped, monkeypatch, term, fields):
    # A scope of many documents holding few of a common term's: its frequencies are summed over
    # the few alone (``_scoped_bm25f``'s sparse sums), each at its own place in the scope.
    context = uncached_context(demo_index)
    ids, whole, whole_idf = QueryContext(context.snapshot, DEFAULT_RANKING).bm25f(term, fields)
    holders = ids[[1, len(ids) // 2]]
    others = np.setdiff1d(np.arange(context.size), ids)[:31]
    within = np.zeros(context.size, dtype=bool)
    within[others] = within[holders] = True
    scope = Scope(within)
    assert sum(len(context.postings(name, term)) for name in fields) > 2 * len(scope.docs)
    assert len(scope.docs) > 16 * 2
    # Exactly the smallest count of postings scored within a scope.
    monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", sum(len(context.postings(name, term)) for name in fields))
    slots, values, idf = context.scoped_bm25f(term, fields, scope)
    assert ("bm25f", term, fields) not in context._computed  # scored within the scope alone
    assert scope.docs[slots].tolist() == holders.tolist()
    assert (values.tolist(), idf) == (whole[[1, len(ids) // 2]].tolist(), whole_idf)


def test_a_field_weighed_zero_scores_no_document_within_a_scope_either(demo_index, scoped):
    # A field of weight 0 gives its documents no term frequency: the whole term scores none of them,
    # and neither does a scope (a wide one holding few of them), whose scores are then the whole term's
    # picked: only postings that all score are summed within a scope.
    context = QueryContext(uncached_context(demo_index).snapshot, replace(DEFAULT_RANKING, body_weight=0.0))
    holders = context.postings("body", "nam").ids
    assert len(holders) > 2 * 33
    within = np.zeros(context.size, dtype=bool)
    within[np.setdiff1d(np.arange(context.size), holders)[:31]] = within[holders[[1, 20]]] = True
    slots, values, _ = context.scoped_bm25f("nam", ("body",), Scope(within))
    assert ("bm25f", "nam", ("body",)) in context._computed  # its postings may not score: the whole term
    assert (slots.tolist(), values.tolist()) == ([], [])
    assert context.bm25f("nam", ("body",))[0].tolist() == []


def test_a_context_over_the_clusters_candidates_weighs_a_term_by_the_clusters_count_of_its_articles(scoped):
    # The candidates are a page's worth of the cluster's articles: a term's idf is the whole cluster's,
    # from its count of articles holding the term, within a scope as over every candidate.
    articles = [{"title": f"Tin {n}", "body": "giá vàng tăng" if n % 3 else "thời tiết"} for n in range(60)]
    snapshot = CandidateSnapshot(articles, {"title": 2.0, "body": 3.0})
    context = CandidateContext(snapshot, DEFAULT_RANKING, 10_000, {"gia": 700})
    ids, scores, idf = context.bm25f("gia", TEXT_FIELDS)
    assert idf == execute.idf_of(10_000, 700) and len(ids) == 40
    within = np.zeros(60, dtype=bool)
    within[[0, 3, 4, 6, 9]] = True  # two holders of five: scored in the scope alone
    scoped = CandidateContext(snapshot, DEFAULT_RANKING, 10_000, {"gia": 700})
    slots, values, scoped_idf = scoped.scoped_bm25f("gia", TEXT_FIELDS, Scope(within))
    assert ("bm25f", "gia", TEXT_FIELDS) not in scoped._computed
    assert (slots.tolist(), values.tolist(), scoped_idf) == ([2], [scores[ids.tolist().index(4)]], idf)


def no_frequencies_computed(*args):
    raise AssertionError("a term frequency computed where the whole term's scores were kept")


@pytest.mark.parametrize("kept_by", ["snapshot", "query"])
def test_scores_within_a_scope_come_from_the_whole_terms_scores_when_the_snapshot_or_the_query_keeps_them(
        demo_index, scoped, monkeypatch, kept_by):
    # Picked from the whole term's scores that the snapshot's postings cache or this query kept, not
    # computed again from the scope's postings.
    if kept_by == "snapshot":
        backend = WhooshBackend(demo_index, postings_cache_mb=64)
        first, second = backend.view().context, backend.view().context
    else:
        first = second = uncached_context(demo_index)
    ids, whole, idf = first.bm25f("cho", TEXT_FIELDS)
    within = np.zeros(first.size, dtype=bool)
    within[ids[:3]] = True
    monkeypatch.setattr(QueryContext, "_field_frequencies", no_frequencies_computed)
    slots, values, scoped_idf = second.scoped_bm25f("cho", TEXT_FIELDS, Scope(within))
    assert values.tolist() == whole[:3].tolist() and scoped_idf == idf and len(slots) == 3


def test_a_snapshots_length_norms_are_computed_once_for_all_its_queries(demo_index):
    backend = WhooshBackend(demo_index, postings_cache_mb=64)
    first, second = backend.view().context, backend.view().context
    snapshot = first.snapshot
    norms = first._length_norms("body", 0.75)
    assert second._length_norms("body", 0.75) is norms and first._length_norms("body", 0.5) is not norms
    assert norms.tolist() == (1.0 - 0.75 + 0.75 * snapshot.lengths["body"] / snapshot.average_length["body"]).tolist()


def test_a_context_whose_snapshot_keeps_nothing_scores_and_normalises_in_the_query_alone(scoped):
    # The cluster's candidates (search.cluster_rerank) have no postings cache: the query keeps what it computed.
    articles = [{"title": "Giá vàng tăng", "body": "Giá vàng hôm nay tăng mạnh"}, {"title": "Xăng",
                "body": "Giá xăng dầu giảm, giá gas giảm"}, {"title": "Bóng đá", "body": "Đội tuyển thắng"}]
    snapshot = CandidateSnapshot(articles, {"title": 3.0, "body": 5.0})
    context = QueryContext(snapshot, DEFAULT_RANKING)
    norms = context._length_norms("body", 0.75)
    assert context._length_norms("body", 0.75) is norms
    assert norms.tolist() == (1.0 - 0.75 + 0.75 * snapshot.lengths["body"] / 5.0).tolist()
    within = np.array([False, True, True])
    slots, values, idf = context.scoped_bm25f("gia", TEXT_FIELDS, Scope(within))
    ids, scores, whole_idf = QueryContext(snapshot, DEFAULT_RANKING).bm25f("gia", TEXT_FIELDS)
    assert (slots.tolist(), values.tolist(), idf) == ([0], scores[1:].tolist(), whole_idf)
    assert ids.tolist() == [0, 1] and (scores > 0).all()


def test_the_count_of_documents_holding_a_scoped_term_is_kept_for_the_snapshots_next_queries(demo_index, scoped):
    backend = WhooshBackend(demo_index, postings_cache_mb=64)
    first, second = backend.view().context, backend.view().context
    within = np.zeros(first.size, dtype=bool)
    within[::50] = True
    slots, values, idf = first.scoped_bm25f("nam", TEXT_FIELDS, Scope(within))
    holding = len(np.union1d(first.postings("title", "nam").ids, first.postings("body", "nam").ids))
    snapshot = first.snapshot
    assert snapshot.kept(("holding", "nam", TEXT_FIELDS)) == (holding,) and holding < sum(
        len(first.postings(name, "nam")) for name in TEXT_FIELDS)  # titles and bodies counted once
    # Among the statistics (which postings do not evict), a number costing what an int64 holds.
    assert snapshot.postings_cache.statistics_size == PostingsCache.ENTRY_OVERHEAD + 8
    assert ("bm25f", "nam", TEXT_FIELDS) not in first._computed  # scored within the scope alone
    # The next query reads the count kept, and scores as the first did.
    again = second.scoped_bm25f("nam", TEXT_FIELDS, Scope(within))
    assert (again[0].tolist(), again[1].tolist(), again[2]) == (slots.tolist(), values.tolist(), idf)
    assert idf == second.bm25f("nam", TEXT_FIELDS)[2]


@pytest.mark.parametrize("q, expected", [
    ("nghị định 100", {("định", "100"): ["định", "100"]}),
    ("nghị định số 100", {("số", "100"): ["định", "100"]}),
    ("nghi dinh 100", {("dinh", "100"): ["dinh", "100"]}),  # typed without accents: folded terms
    ("luật 2013 về đất đai", {("luật", "2013"): ["luật", "2013"]}),  # a number second in the query
    ("thông tư 05 và quyết định số 7", {("tư", "05"): ["tư", "05"], ("số", "7"): ["định", "7"]}),
    ("nhà số 5 phố huế", {}),  # "số" without a kind of document before it: a house number
    ("100 người", {}),
])
def test_a_querys_pairs_naming_a_document_give_its_kind_and_number_as_index_terms(q, expected):
    chain, _ = _chain(parse_query(q))
    found = execute._references(chain)
    assert {(first.exact, second.exact): terms for (first, second), terms in found.items()} == expected


def test_a_scope_is_inside_another_when_every_document_of_it_is_one_of_the_others():
    def scope(*docs):
        within = np.zeros(20, dtype=bool)
        within[list(docs)] = True
        return Scope(within)

    wider = scope(1, 5, 9)
    assert scope(5).inside(wider) and scope(1, 5, 9).inside(wider) and scope(9).inside(wider)
    assert not scope(5, 12).inside(wider)  # a document after the wider scope's last
    assert not scope(7).inside(scope(5)) and scope(5).inside(scope(5))
    assert not scope(1, 5, 9, 12).inside(wider) and not scope(0).inside(wider)
    assert scope().inside(scope()) and scope().inside(wider) and not wider.inside(scope())


@pytest.mark.parametrize("distinct, long", [(39, False), (40, True)])
def test_a_query_of_the_long_query_syllables_or_more_is_reranked_to_the_long_querys_depth(distinct, long):
    # Distinct folded syllables: "Mười" and "muoi" are one, so repeating words adds none.
    syllables = [f"tu{n}" for n in range(distinct)]
    parsed = parse_query(" ".join(syllables + syllables[:5]))
    assert DEFAULT_RANKING.long_query_syllables == 40
    expected = DEFAULT_RANKING.long_query_rerank_depth if long else DEFAULT_RANKING.rerank_depth
    assert execute.rerank_depth(DEFAULT_RANKING, parsed) == expected


def test_a_readings_weight_is_the_typed_words_idf_over_its_own_capped_at_one_for_a_decoded_reading():
    # Each syllable's idf read from the context's memo (``_syllable_idf``): below 1, as for words most
    # articles hold.
    ctx = SimpleNamespace(syllable_idfs={"cua": 0.5, "ban": 0.2, "nha": 0.3})
    reading = parse_query("của")
    assert execute._reading_weight(ctx, reading, 0.25) == 0.25 / 0.5
    assert execute._reading_weight(ctx, reading, 2.0) == 4.0  # a spelling of rarer words typed
    decoded = replace(reading, groups=[[replace(reading.clauses[0], decoded=True)]])
    assert execute._reading_weight(ctx, decoded, 2.0) == 1.0 and execute._reading_weight(ctx, decoded, 0.25) == 0.5
    chain = parse_query("ban nha cua").syllables
    assert execute._pairs_weight(ctx, 0.15, chain) == 0.15 / ((0.2 + 0.3) / 2 + (0.3 + 0.5) / 2)


@pytest.mark.parametrize("q, mode, kept", [("bong da", "auto", True), ("bong da", "all", False),
                                         ("bong da", "together", False), ("bong da -viet", "auto", False)])
def test_only_an_unaccented_querys_answer_in_auto_without_exclusions_is_kept_for_the_contexts_next_queries(
        demo_index, q, mode, kept):
    # "Did you mean" then finds the same query's answer with accents among it: another mode's set, or
    # one narrowed by an exclusion, is not that answer.
    ctx = uncached_context(demo_index)
    parsed = parse_query(q)
    matched = execute.match_query(ctx, parsed, mode)
    assert matched.mask.any()
    key = ("answer", matching.folded_key(parsed))
    assert ctx.remembers(key) == kept and (ctx.recalled(key) is not None) == kept
    if kept:
        assert ctx.recalled(key).tolist() == matched.mask.tolist()


@pytest.mark.parametrize("pair_by_pair", [False, True], ids=["pairs at once", "pair by pair"])
@pytest.mark.parametrize("q", ["hlv park hang seo", "ubnd tphcm nghị định 100"])
def test_a_querys_proximity_is_its_best_readings_bonus_weighed_by_the_typed_pairs_idf_over_its_own(
        demo_index, monkeypatch, q, pair_by_pair):
    if pair_by_pair:  # pairs that do not fit one pass are counted one by one (``_count_pairs``)
        monkeypatch.setattr(matching, "adjacent_pair_counts", lambda *args: None)
    parsed, every, ctx, docs, idfs = readings_to_pair(demo_index, q)
    assert len(every) >= 2
    bonus = execute._proximity(ctx, parsed, docs, idfs)
    alone = uncached_context(demo_index)
    typed_pairs = execute._pairs_idf(alone, execute._chain(every[0])[0])
    expected = proximity_alone(alone, every[0], docs, idfs)
    for reading in every[1:]:
        weight = typed_pairs / execute._pairs_idf(alone, execute._chain(reading)[0])
        weighed = proximity_alone(alone, reading, docs, idfs) * weight
        expected = np.maximum(expected, weighed)
    assert bonus.any() and bonus.tolist() == expected.tolist()
    # Another set of documents in the same context: its own lengths and bonuses.
    fewer = docs[::3]
    assert execute._proximity(ctx, parsed, fewer, idfs).tolist() == expected[::3].tolist()


def test_a_scope_finds_its_documents_among_doc_numbers_by_either_search():
    ids = np.arange(0, 150, 7)  # 22 doc numbers
    few, many = np.zeros(150, dtype=bool), np.zeros(150, dtype=bool)
    few[[14, 36]] = True  # fewer than an eighth of the ids: a binary search each in them
    many[[0, 3, 4, 5, 7, 55, 100, 140, 149]] = True  # a look-up per id
    for within in (few, many):
        scope = Scope(within)
        slots, rows = scope.rows(ids)
        assert ids[rows].tolist() == scope.docs[slots].tolist() == sorted(set(ids) & set(np.flatnonzero(within)))
    assert Scope(few).rows(ids)[1].tolist() == [2] and Scope(many).rows(ids)[1].tolist() == [0, 1, 20]
    assert Scope(many).slots(np.array([0, 1, 7, 140, 149])).tolist() == [0, -1, 4, 7, 8]
    assert Scope(few).spread(np.array([1.5, 2.5])).tolist() == [1.5 if i == 14 else 2.5 if i == 36 else 0.0
                                                                for i in range(150)]


@pytest.mark.parametrize("first, second", [([1, 4, 9], [2, 4, 8, 9, 10]), ([1, 2], [3, 4]), ([5], [5]),
                                           ([0, 7, 100], []), ([3, 6, 9, 12], [1, 3, 12, 13, 200])])
def test_the_documents_holding_a_term_in_title_or_body_are_counted_once(first, second):
    arrays = [np.array(first, dtype=np.int64), np.array(second, dtype=np.int64)]
    assert _union_count(arrays) == len(set(first) | set(second)) == _union_count(arrays[::-1])
    assert _union_count(arrays[:1]) == len(first)
    assert _union_count([*arrays, np.array([999])]) == len(set(first) | set(second) | {999})


def reference_frequencies(context, term: str, fields: tuple[str, ...]) -> tuple[list[int], list[float]]:
    """Return (docs, BM25F frequency) of a term the plain way: an array of the index's size, each
    field's weighted, length-normalised frequencies added into it, the documents where it is not 0."""
    ranking = context.ranking
    weights = {"title": (ranking.title_weight, ranking.title_b), "body": (ranking.body_weight, ranking.body_b)}
    tf = np.zeros(context.size, dtype=np.float64)
    for name in fields:
        postings = context.postings(name, term)
        weight, b = weights[name]
        lengths = context.snapshot.lengths[name][postings.ids]
        tf[postings.ids] += weight * postings.freqs / (1.0 - b + b * lengths / context.snapshot.average_length[name])
    docs = np.flatnonzero(tf)
    return docs.tolist(), tf[docs].tolist()


@pytest.mark.parametrize("ranking", [DEFAULT_RANKING, replace(DEFAULT_RANKING, title_weight=0.0)],
                         ids=["default", "titles weigh nothing"])
@pytest.mark.parametrize("merged_from", [0, 1 << 40], ids=["merged", "summed in an array"])
def test_a_terms_frequencies_are_those_an_index_size_array_sums_whichever_way_they_are_summed(
        demo_index, monkeypatch, ranking, merged_from):
    # The demo index is small: MERGED_MIN_DOCUMENTS is set so that every term is merged, or none.
    monkeypatch.setattr(execute, "MERGED_MIN_DOCUMENTS", merged_from)
    context = WhooshBackend(demo_index, postings_cache_mb=0, ranking=ranking).view().context
    checked = 0
    for term in ["cho", "nam", "thuoc", "hà", "nội", "viet_nam", "bóng", "đá", "corona", "park"]:
        for fields in (TEXT_FIELDS, ("title",), ("body",)):
            found = [(name, p) for name in fields if len(p := context.postings(name, term))]
            if not found:
                continue
            ids, tf = context._term_frequencies(found)
            docs, expected = reference_frequencies(context, term, fields)
            assert ids.tolist() == docs and tf.tolist() == expected  # the very same numbers
            checked += 1
    titles, bodies = context.postings("title", "cho").ids, context.postings("body", "cho").ids
    # Some documents hold "cho" in their title alone, some in their body alone, some in both.
    assert set(titles) - set(bodies) and set(bodies) - set(titles) and set(titles) & set(bodies)
    assert checked >= 25
    if ranking.title_weight == 0.0:  # a title alone scores nothing: its documents are left out
        assert not len(context._term_frequencies([("title", context.postings("title", "nam"))])[0])
        found = [(name, context.postings(name, "cho")) for name in TEXT_FIELDS]
        assert context._term_frequencies(found)[0].tolist() == bodies.tolist()


def test_a_small_index_sums_a_terms_frequencies_in_an_array_and_a_large_one_merges_them(demo_index, monkeypatch):
    context = uncached_context(demo_index)
    found = [(name, context.postings(name, "cho")) for name in TEXT_FIELDS]
    calls = []
    monkeypatch.setattr(execute, "_sum_sorted", lambda *args: calls.append(args) or _sum_sorted(*args))
    for minimum, merged in ((context.size, True), (context.size + 1, False)):
        calls.clear()
        monkeypatch.setattr(execute, "MERGED_MIN_DOCUMENTS", minimum)
        context._term_frequencies(found)
        assert bool(calls) == merged


@pytest.mark.parametrize("first, second", [([1, 4, 9], [2, 4, 8, 9, 10]), ([1, 2], [3, 4]), ([5], [5]),
                                           ([0, 7, 100], []), ([3, 6, 9, 12], [1, 3, 12, 13, 200]),
                                           ([0, 1, 2, 3], [2])])
def test_two_fields_frequencies_are_summed_over_the_union_of_their_documents(first, second):
    values = {doc: 0.5 + doc / 3 for doc in first}
    more = {doc: 1.0 / (doc + 3) for doc in second}
    title = (np.array(first, dtype=np.int64), np.array([values[d] for d in first]))
    body = (np.array(second, dtype=np.int64), np.array([more[d] for d in second], dtype=np.float32))
    union = sorted(set(first) | set(second))
    # One addition per document held by both, in float64: a + b == b + a, so either order gives it.
    expected = [values.get(d, 0.0) + float(np.float32(more.get(d, 0.0))) for d in union]
    for ids, summed in (_sum_sorted(*title, *body), _sum_sorted(*body, *title)):
        assert ids.tolist() == union and summed.dtype == np.float64
        assert summed.tolist() == expected


SCOPED_REQUESTS = [
    {"q": "giá vàng hôm nay"}, {"q": "gia vang hom nay"}, {"q": "bóng đá Việt Nam"}, {"q": "\"Hà Nội\""},
    {"q": "Bộ Chính trị"}, {"q": "thuốc"}, {"q": "cho"}, {"q": "UBND TP.HCM"}, {"q": "hlv park hang seo"},
    {"q": "giá vàng tăng mạnh", "match": "most"}, {"q": "qxzw bóng đá"}, {"q": "bóng đá -việt"},
    {"q": "Làm thế nào để phòng tránh lây nhiễm virus corona khi đi làm"},
    {"q": "việt nam", "sort": "newest"}, {"q": "việt nam", "sort": "oldest", "page": "2"},
    {"q": "việt nam", "page": "3", "size": "5"}, {"q": "việt nam", "category": "Thể thao"},
    {"q": "nam", "date_from": "2020-10-01", "date_to": "2020-10-02"},
    # An accent no article writes: its exact form held nowhere, its folded one everywhere.
    {"q": "Việt Nẫm"},
]


# ASCII ids: mutmut collects the tests in one pytest run and names them to another in the same
# process, which no longer found ids escaped from a function's non-ASCII ones.
@pytest.mark.parametrize("params", SCOPED_REQUESTS,
                         ids=lambda params: unidecode("&".join(f"{k}={v}" for k, v in params.items())))
def test_a_search_scoring_only_its_pool_answers_exactly_as_one_scoring_every_posting(demo_index, monkeypatch, params):
    # The total, the facets and the wider tiers count the whole set; the page's scores are the same
    # numbers: a pool scored alone changes nothing a reader sees.
    request = SearchRequest.from_params(params)
    answers = []
    for minimum, share in ((0, 1.0), (0, 0.25), (1 << 40, 0.25)):
        monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", minimum)
        monkeypatch.setattr(execute, "SCOPED_MAX_SHARE", share)
        result = SearchEngine(backend=WhooshBackend(demo_index, postings_cache_mb=0)).search(request)
        answers.append({key: value for key, value in result.items() if key != "took_ms"})
    assert answers[0]["total"] > 0
    assert answers[0] == answers[1] == answers[2]


@pytest.mark.parametrize("smallest, share, scoped", [(201, 67 / 201, True), (202, 67 / 201, False),
                                                     (201, 66 / 201, False)])
def test_a_pool_is_scored_within_a_scope_from_the_smallest_index_and_up_to_the_largest_share(
        demo_index, monkeypatch, smallest, share, scoped):
    # The demo index holds 201 articles: 67 of them are exactly a share of 67/201.
    monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", smallest)
    monkeypatch.setattr(execute, "SCOPED_MAX_SHARE", share)
    context = uncached_context(demo_index)
    within = np.zeros(context.size, dtype=bool)
    within[:67] = True
    assert context.size == 201 and share * context.size in (66, 67)  # these shares times 201 are exact
    execute._scores(context, parse_query("việt nam"), None, within)
    kept = [scope.docs.tolist() for scope in context._scopes]
    assert kept == ([list(range(67))] if scoped else [])


def test_a_pool_is_scored_alone_while_its_terms_postings_are_many(demo_index, monkeypatch):
    # "việt nam" in one category: its few articles are scored, not the hundred holding "nam".
    monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", 50)
    view = WhooshBackend(demo_index, postings_cache_mb=0).view()
    result = SearchEngine(backend=view).search(SearchRequest.from_params({"q": "việt nam", "category": "Thể thao"}))
    context = view.context
    scored_whole = {key[1] for key in context._computed if key[0] == "bm25f"}
    scoped = {key[2] for key in context._computed if key[0] == "scoped bm25f"}
    assert len(context.postings("body", "nam")) >= 50 and 0 < result["total"] < 25
    assert {"nam", "viet"} <= scoped and "nam" not in scored_whole and "viet" not in scored_whole


# A long question's pool holding most of a large index is ranked in its most promising articles alone
# (``Ranking.scored_pool_share``).  The demo index is small: the tests lower SCOPED_MIN_POSTINGS, the
# rerank depths and the share, so that a question's page ranks a few of its pool.

CUT_RANKING = replace(DEFAULT_RANKING, rerank_depth=5, long_query_rerank_depth=5, scored_pool_share=0.05,
                      scored_pool_min_articles=0)
RANKED_CUT_NOTICE = "Truy vấn dài khớp với phần lớn các bài: chỉ xếp hạng những bài chứa nhiều từ của truy vấn nhất."
# What a page counts over the whole set: the ranking's cut changes none of it ("did you mean" reads the
# first page's articles: it may write a word as they do).
COUNTED_KEYS = ("query", "total", "pages", "matching", "tier", "accents", "wider", "facets")


def cut_search(demo_index, request: SearchRequest, share: float, **overrides) -> dict:
    """Return the demo index's answer to request under CUT_RANKING with this scored pool share."""
    ranking = replace(CUT_RANKING, scored_pool_share=share, **overrides)
    return SearchEngine(backend=WhooshBackend(demo_index, ranking=ranking, postings_cache_mb=0),
                        ranking=ranking).search(request)


@pytest.mark.parametrize("accented", [False, True])
def test_a_long_questions_page_ranks_only_its_most_promising_articles_and_says_so(demo_index, monkeypatch, accented):
    monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", 0)
    q = question_pair()[accented]
    cut = cut_search(demo_index, SearchRequest(q=q), 0.05)
    whole = cut_search(demo_index, SearchRequest(q=q), 0.0)
    ranked = cut_search(demo_index, SearchRequest(q=q, size=50), 0.0)
    assert {k: cut[k] for k in COUNTED_KEYS} == {k: whole[k] for k in COUNTED_KEYS}
    assert (cut["limited"], whole["limited"]) == (["ranked_articles"], [])
    assert RANKED_CUT_NOTICE in cut["notices"] and RANKED_CUT_NOTICE not in whole["notices"]
    assert cut["total"] >= 50 and len(cut["hits"]) == 10
    # Each article shown scores what it scores in the whole pool, and they come in the whole pool's
    # order, the best first: those left out only make room for the next promising ones.
    scores = {hit["id"]: hit["score"] for hit in ranked["hits"]}
    shown = [hit["id"] for hit in cut["hits"]]
    assert [hit["score"] for hit in cut["hits"]] == [scores[doc] for doc in shown]
    assert shown == [doc for doc in scores if doc in shown] and shown[0] == whole["hits"][0]["id"]
    assert shown != [hit["id"] for hit in whole["hits"]]
    # "Did you mean" reads the query's first relevance page as the page itself ranks it.
    view = WhooshBackend(demo_index, ranking=CUT_RANKING, postings_cache_mb=0).view()
    assert [stored["id"] for stored in view.top_documents(q)] == shown


def test_top_documents_of_a_long_question_whose_pool_the_view_knows_rank_it_as_its_page(demo_index, monkeypatch):
    # The view searched the question unaccented: its accented twin's pool is known, not matched again.
    monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", 0)
    plain, accented = question_pair()
    page = [hit["id"] for hit in cut_search(demo_index, SearchRequest(q=accented), 0.05)["hits"]]
    view = WhooshBackend(demo_index, ranking=CUT_RANKING, postings_cache_mb=0).view()
    SearchEngine(backend=view, ranking=CUT_RANKING).search(SearchRequest(q=plain))
    parsed = parse_query(accented)
    assert execute.known_question_pool(view.context, parsed) is not None
    assert [stored["id"] for stored in view.top_documents(parsed)] == page


@pytest.mark.parametrize("params", [{"sort": "newest"}, {"sort": "oldest"}, {"page": "6"}])
def test_a_long_questions_page_is_not_cut_in_date_order_nor_when_it_reaches_past_the_share(demo_index, monkeypatch,
                                                                                           params):
    # In date order every article of the pool is placed by its date; a page past the share's articles
    # (6 x 10 of the 201 articles' quarter, 51) would rank every article anyway.  ("Did you mean" reads
    # the articles of the query's first relevance page, whose ranking is cut.)
    monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", 0)
    request = SearchRequest.from_params({"q": question_pair()[0], **params})
    answers = [{k: v for k, v in cut_search(demo_index, request, share).items() if k not in ("took_ms", "suggestion")}
               for share in (0.05, 0.0)]
    assert answers[0] == answers[1] and answers[0]["hits"] and answers[0]["limited"] == []


def test_how_many_articles_of_a_large_pool_are_scored_is_a_share_of_the_index_below_a_quarter():
    question, short = parse_query("bộ chính trị ban hành chỉ thị về phòng chống dịch"), parse_query("bộ chính trị")
    ranking = replace(DEFAULT_RANKING, scored_pool_share=1 / 16, scored_pool_min_articles=1000)
    context = lambda size, **changes: SimpleNamespace(size=size, ranking=replace(ranking, **changes))  # noqa: E731
    assert _promising_count(context(1000), question, 10) == 63
    assert _promising_count(context(1000), question, 200) == 200
    assert _promising_count(context(999), question, 10) is None  # a smaller index scores its pools whole
    assert _promising_count(context(1000), question, None) is None  # the caller reads every score
    assert _promising_count(context(1000), short, 10) is None
    assert _promising_count(context(1000, scored_pool_share=0.0), question, 10) is None
    assert _promising_count(context(1000, scored_pool_share=0.25), question, 10) is None  # a quarter: scoped
    assert _promising_count(context(1000), question, 249) == 249
    assert _promising_count(context(1000), question, 250) is None


@pytest.mark.parametrize("share, smallest", [(0.05, 202), (0.25, 0)])
def test_a_long_questions_pool_is_ranked_whole_in_a_smaller_index_or_when_a_share_is_not_below_a_quarter(
        demo_index, monkeypatch, share, smallest):
    # The demo index holds 201 articles; a quarter of them is 50.25, and a share of 0.25 keeps 51.
    monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", 0)
    request = SearchRequest(q=question_pair()[0])
    answers = [{k: v for k, v in cut_search(demo_index, request, s, scored_pool_min_articles=m).items()
                if k != "took_ms"} for s, m in ((share, smallest), (0.0, 0), (0.05, 0))]
    assert answers[0] == answers[1] != answers[2] and answers[0]["limited"] == []


@pytest.mark.parametrize("q", ["nam", "của", "việt nam"], ids=["nam", "cua", "viet-nam"])
def test_a_short_querys_pool_is_ranked_whole_however_large(demo_index, monkeypatch, q):
    # Its articles rank by how often its words stand in them and in their titles, not by holding them.
    monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", 0)
    answers = [{k: v for k, v in cut_search(demo_index, SearchRequest(q=q), share).items() if k != "took_ms"}
               for share in (0.05, 0.0)]
    assert answers[0] == answers[1] and answers[0]["limited"] == [] and answers[0]["total"] > 201 / 4


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_a_date_ordered_page_places_the_articles_of_one_date_by_relevance(engine, sort):
    hits = engine.search(SearchRequest(q="hà nội", sort=sort, size=50))["hits"]
    days = [hit["published"] for hit in hits]
    assert days == sorted(days, reverse=sort == "newest") and len(set(days)) < len(days) - 5
    for day in set(days):
        scores = [hit["score"] for hit in hits if hit["published"] == day]
        assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("q", ["nam", "việt nam", "hà nội"], ids=["nam", "viet-nam", "ha-noi"])
def test_a_page_as_deep_as_its_rerank_depth_holds_its_best_articles(demo_index, q):
    # (``argpartition(-base, depth - 2)`` passes too: numpy leaves the tenth best in place on arrays this
    # small; docs/mutation-equivalent.txt.)
    # Without proximity bonuses the rerank keeps each score: the ten best are the first ten of fifty.
    ranking = replace(DEFAULT_RANKING, rerank_depth=10, proximity_weight=0.0, title_proximity_weight=0.0,
                      question_title_proximity_weight=0.0, reference_weight=0.0)
    engine = SearchEngine(backend=WhooshBackend(demo_index, ranking=ranking), ranking=ranking)
    ten, fifty = (engine.search(SearchRequest(q=q, size=size))["hits"] for size in (10, 50))
    assert len(fifty) > 30 and [hit["id"] for hit in ten] == [hit["id"] for hit in fifty[:10]]


def test_the_best_of_a_pool_are_its_highest_values_ties_taken_by_document_number():
    values = np.array([5, 3, 5, 1, 3, 9, 3], dtype=np.uint16)
    within = np.array([True, True, True, True, True, False, True])
    assert _best_of(values, within, 3).dtype == bool
    assert np.flatnonzero(_best_of(values, within, 3)).tolist() == [0, 1, 2]
    assert np.flatnonzero(_best_of(values, within, 4)).tolist() == [0, 1, 2, 4]
    assert np.flatnonzero(_best_of(values, within, 2)).tolist() == [0, 2]
    assert _best_of(values, within, 6) is within and _best_of(values, within, 7) is within


def test_an_articles_promise_is_what_a_word_held_once_in_its_body_scores_over_the_words_idf(demo_index):
    # BM25F of a word an article holds once, in its body alone: idf x the article's length factor.
    context = uncached_context(demo_index)
    factor = _once_held(context)
    checked = 0
    for term in ("thuoc", "vinamilk", "bong", "chinh", "ha"):
        ids, scores, idf = context.bm25f(term, TEXT_FIELDS)
        body = context.postings("body", term)
        once = set(body.ids[body.freqs == 1].tolist()) - set(context.postings("title", term).ids.tolist())
        for doc, score in zip(ids.tolist(), scores.tolist()):
            if doc in once:
                assert score / idf == pytest.approx(float(factor[doc]), rel=1e-6)
                checked += 1
    assert checked >= 20 and len(set(np.round(factor, 3).tolist())) > 50 and factor.dtype == np.float32


def test_an_articles_promise_is_computed_once_for_every_query_of_a_snapshot(demo_index):
    backend = WhooshBackend(demo_index)
    first, second = backend.view().context, backend.view().context
    assert first is not second and first.snapshot is second.snapshot
    assert _once_held(first) is _once_held(second)


@pytest.mark.parametrize("q", ["nam", "hà nội"], ids=["nam", "ha-noi"])
def test_the_most_promising_holders_of_the_same_words_are_the_shortest_articles(demo_index, q):
    # Each holds every word of the query: BM25F favours the shortest, whose words stand the densest.
    context = uncached_context(demo_index)
    parsed = parse_query(q)
    holding = np.ones(context.size, dtype=bool)
    for syllable in parsed.syllables:
        holding &= context.docs_with(syllable.folded, TEXT_FIELDS)
    chosen = np.flatnonzero(promising(context, parsed, holding, 10))
    lengths = context.snapshot.lengths["body"]
    assert len(chosen) == 10 < int(holding.sum())
    assert lengths[chosen].max() <= lengths[holding & ~np.isin(np.arange(context.size), chosen)].min()


# Of a long question's promising articles, those that cannot reach its page, whatever its commonest
# words add, are not scored with them (``reachable``, MaxScore).

# Telex keys of the marks of Vietnamese letters (decomposed): the letter's own after it, the tone at the
# word's end.
TELEX_LETTER_MARKS = {"\u0306": "w", "\u031b": "w"}
TELEX_TONES = {"\u0300": "f", "\u0301": "s", "\u0309": "r", "\u0303": "x", "\u0323": "j"}


def telex_question() -> str:
    """Return the accented question of ``question_pair`` typed in Telex without an input method."""
    words = []
    for word in question_pair()[1].lower().split():
        typed, tone = "", ""
        for letter in unicodedata.normalize("NFD", word.replace("đ", "dd")):
            if letter == "\u0302":  # circumflex: the vowel typed twice
                typed += typed[-1]
            else:
                typed += TELEX_LETTER_MARKS.get(letter, "") if not letter.isascii() else letter
                tone = TELEX_TONES.get(letter, tone)
        words.append(typed + tone)
    return " ".join(words)


def pruned_search(demo_index, monkeypatch, q: str, share: float) -> tuple[dict, list[tuple[int, int]]]:
    """Return the demo index's answer to q with a fifth of its articles promising and the commonest terms
    holding share of its postings left to their bound, and each ``reachable`` call's (articles, kept)."""
    monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", 0)
    monkeypatch.setattr(execute, "DEFERRED_POSTINGS_SHARE", share)
    kept = []
    monkeypatch.setattr(execute, "reachable", lambda ctx, parsed, within, best: (
        chosen := reachable(ctx, parsed, within, best), kept.append((int(within.sum()), int(chosen.sum()))))[0])
    answer = cut_search(demo_index, SearchRequest(q=q, size=10), 0.2)
    return {key: value for key, value in answer.items() if key != "took_ms"}, kept


def long_question(which: str) -> str:
    """Return the demo's long question unaccented, accented, typed in Telex, or read ten ways (with two
    abbreviations)."""
    plain, accented = question_pair()
    return {"plain": plain, "accented": accented, "telex": telex_question(), "two readings": plain + " hlv",
            "readings": plain + " ubnd tphcm"}[which]


@pytest.mark.parametrize("which", ["plain", "accented", "telex", "readings"])
def test_a_long_questions_page_is_the_same_when_its_commonest_words_are_left_to_their_bound(
        demo_index, monkeypatch, which):
    q = long_question(which)
    whole, none_left = pruned_search(demo_index, monkeypatch, q, 0.0)
    pruned, kept = pruned_search(demo_index, monkeypatch, q, 0.6)
    assert pruned == whole and whole["limited"] == ["ranked_articles"] and len(whole["hits"]) == 10
    # 41 promising articles (a fifth of 201), and the page's best 10: some could not reach them (its
    # "did you mean" ranks its suggestion likewise).
    assert {within for within, _ in none_left + kept} == {41} and all(chosen == 41 for _, chosen in none_left)
    assert all(10 <= chosen < 41 for _, chosen in kept) and len(kept) == len(none_left)


@pytest.mark.parametrize("which", ["plain", "accented", "telex", "two readings", "readings"],
                         ids=["plain", "accented", "telex", "two-readings", "readings"])
def test_a_questions_score_bounds_hold_each_articles_score_between_them(demo_index, which):
    parsed = understood(demo_index, long_question(which))
    context = uncached_context(demo_index)
    within = np.zeros(context.size, dtype=bool)
    within[::2] = True
    terms = {key: spec for reading in matching.context_readings(context, parsed)
             for key, spec in execute._part_terms(context, reading).items()}
    deferred = _commonest(context, terms, 0.6)
    lower, upper = _score_bounds(context, parsed, Scope(within), deferred)
    scores = _scores(uncached_context(demo_index), parsed, None, within)[0][within]
    assert deferred and len(terms) > len(deferred)
    assert (lower <= scores * (1 + 1e-12)).all() and (scores <= upper).all()
    # The deferred terms' scores are left out of the lower bound, and their highest values added to the upper.
    assert (lower < scores).sum() > 20 and (upper > scores).all()
    # Each reading's bounds are weighed as its scores are: a Telex question is read decoded.
    readings = matching.context_readings(context, parsed)
    assert len(readings) == {"readings": 10, "two readings": 2}.get(which, 1)
    if len(readings) == 1:  # read one way, each article's bounds are apart by the deferred parts' highest values
        highest = sum(weight * _highest_bm25f(context, term, fields) for key, (term, fields, weight) in terms.items()
                      if key in deferred)
        assert upper - lower == pytest.approx(np.full(len(lower), highest), rel=1e-12) and highest > 0.5
    assert [s.exact for s in parsed.typed.syllables][:4] == (["năm", "vinamilk", "đã", "vượt"] if which in (
        "accented", "telex") else ["nam", "vinamilk", "da", "vuot"])


@pytest.mark.parametrize("which", ["plain", "accented", "telex", "readings"])
def test_the_bounds_name_every_part_a_readings_scores_add(demo_index, which):
    # And a compound of syllables no article writes side by side, which scores nothing.
    parsed = understood(demo_index, long_question(which))
    context = uncached_context(demo_index)
    for reading in matching.context_readings(context, parsed):
        named = execute._part_terms(context, reading)
        added = execute._reading_parts(context, reading)[0]
        assert list(added) == [key for key in named if key in added]
        assert all(key[0] == "compound" and not context.doc_frequency("body", named[key][0])
                   for key in set(named) - set(added))
        accented = any(syllable.accented for syllable in reading.syllables)
        assert {key[0] for key in added} == ({"folded", "exact", "compound"} if accented else {"folded", "compound"})


@pytest.mark.parametrize("best", [1, 10, 30])
def test_the_articles_a_question_can_rank_among_its_best_hold_its_best_and_its_ties(demo_index, best):
    parsed = understood(demo_index, question_pair()[1])
    context = uncached_context(demo_index)
    within = np.ones(context.size, dtype=bool)
    chosen = reachable(context, parsed, within, best)
    scores = _scores(uncached_context(demo_index), parsed, None, within)[0]
    last = np.sort(scores)[-best]
    assert chosen.dtype == bool and not (chosen & ~within).any()
    assert chosen[scores >= last].all() and chosen.sum() < context.size


def test_a_pool_no_larger_than_its_best_or_without_common_terms_is_kept_whole(demo_index, monkeypatch):
    parsed = understood(demo_index, question_pair()[1])
    context = uncached_context(demo_index)
    within = np.zeros(context.size, dtype=bool)
    within[:30] = True
    assert reachable(context, parsed, within, 30) is within
    monkeypatch.setattr(execute, "DEFERRED_POSTINGS_SHARE", 0.0)
    assert reachable(context, parsed, within, 10) is within


def test_the_commonest_terms_left_to_their_bound_hold_at_most_the_share_of_the_postings():
    held = {"a": 50, "b": 30, "c": 15, "d": 5, "e": 15}
    context = SimpleNamespace(doc_frequency=lambda name, term: held[term] if name == "body" else 0)
    terms = {(term,): (term, ("title", "body"), 1.0) for term in held}
    assert _commonest(context, terms, 50 / 115) == {("a",)}
    assert _commonest(context, terms, 0.6) == {("a",)}  # a and b hold 80 of 115 postings, over 69
    assert _commonest(context, terms, 80 / 115) == {("a",), ("b",)}
    assert _commonest(context, terms, 95 / 115) == {("a",), ("b",), ("c",)}  # c before e: ties by key
    assert _commonest(context, terms, 0.4) == set() and _commonest(context, terms, 1.0) == set(terms)


def test_a_terms_highest_bm25f_is_above_every_articles_score(demo_index):
    # Its idf from its commonest field's count: the articles holding it anywhere are at least as many.
    context = uncached_context(demo_index)
    for term in ("thuoc", "vinamilk", "bong", "chinh", "ha", "nam"):
        ids, scores, idf = context.bm25f(term, TEXT_FIELDS)
        held = max(len(context.postings(name, term)) for name in TEXT_FIELDS)
        highest = _highest_bm25f(context, term, TEXT_FIELDS)
        assert highest == pytest.approx(math.log(1 + (201 - held + 0.5) / (held + 0.5)) * (DEFAULT_RANKING.k1 + 1))
        assert len(ids) and scores.max() < highest and idf * (DEFAULT_RANKING.k1 + 1) <= highest
    assert _highest_bm25f(context, "xyzzyq", TEXT_FIELDS) == 0.0


# "Did you mean" searches the page's query with its accents restored: its answer is found among the
# page's, its pool scored from the page's scores.


def question_pair() -> tuple[str, str]:
    """Return (an unaccented question, the same question with its accents) from a demo article's body:
    its first and last words, apart (words standing together answer from there, not as a question)."""
    for article in DEMO_ARTICLES:
        words = [w for w in re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", article["body"]))]
        words = words[:5] + words[-4:]
        if len({unidecode(w).lower() for w in words}) >= LONG_QUERY_WORDS + 1 and any(
                unidecode(w) != w for w in words):
            return " ".join(unidecode(w).lower() for w in words), " ".join(words)
    raise AssertionError("no demo article starts with a question's worth of words")


def spy_on_among(monkeypatch) -> list[bool]:
    """Return the list that records, for each ``matching.match`` call, whether it matched among an answer."""
    restricted = []
    match = matching.match
    monkeypatch.setattr(matching, "match", lambda ctx, parsed, mode="auto", among=None, read=None: (
        restricted.append(among is not None), match(ctx, parsed, mode, among, read))[1])
    return restricted


@pytest.mark.parametrize("plain, accented, smaller", [
    ("hieu dung", "hiểu đúng", True),  # fewer articles hold the words with these accents
    ("sung sot voi", "sửng sốt với", False),  # the same articles
    # Unaccented answers of more than a sixteenth of the index: each accented word is looked up in the
    # whole index, then kept among the answer (``_docs_among``).
    ("nguoi dan", "người dân", True),
    ("da", "đá", True),
    ("bo giao", "Bộ giáo", True),
    ("sung sot", "sửng sột", False),  # no article with these accents: answered folded, from the same set
    ("xyzzy qwerty", "xỳzzy qwẻrty", False),  # nothing found either way
    # A word of several syllables, not quoted (read by query understanding beside its abbreviation).
    ("tong bi thu", "tổng bí thư", True),
    (None, None, None),  # a question: its pool is a fifth of its words, folded
])
def test_an_accented_query_matched_among_its_unaccented_answer_has_the_answer_it_has_alone(
        demo_index, monkeypatch, plain, accented, smaller):
    question = plain is None
    if question:
        plain, accented = question_pair()
    context = uncached_context(demo_index)
    restricted = spy_on_among(monkeypatch)
    page = execute.match_query(context, understood(demo_index, plain))
    reused = execute.match_query(context, understood(demo_index, accented), answer_only=True)
    alone = execute.match_query(uncached_context(demo_index), understood(demo_index, accented))
    assert restricted == [False, True, False]
    assert (reused.tier, reused.accents, reused.question) == (alone.tier, alone.accents, alone.question)
    assert reused.mask.tolist() == alone.mask.tolist()
    assert (reused.ranked is None) == (alone.ranked is None) == (not alone.question) == (not question)
    if alone.ranked is not None:
        assert reused.ranked.tolist() == alone.ranked.tolist() and alone.ranked.any()
    # The tiers counted beside the answer hold what they hold alone, among the unaccented answer.
    for tier in ("together", "all", "most"):
        assert reused.tiers[tier].tolist() == (alone.tiers[tier] & page.mask).tolist(), tier
    # The accented answer is part of the unaccented one: the same set, or strictly fewer articles.
    assert not (alone.mask & ~page.mask).any()
    assert (alone.mask.sum() < page.mask.sum()) == bool(smaller)


def test_an_accented_query_answered_from_its_words_apart_beyond_the_unaccented_answer_is_matched_whole(demo_index):
    # "viet nam mua" is answered from its words together ("Việt Nam mùa"); with accents, from its words as
    # typed apart (no article writes them in a row: ``matching._answer``), held by articles beyond that answer.
    context = uncached_context(demo_index)
    page = execute.match_query(context, understood(demo_index, "viet nam mua"))
    reused = execute.match_query(context, understood(demo_index, "việt nam mưa"), answer_only=True)
    alone = execute.match_query(uncached_context(demo_index), understood(demo_index, "việt nam mưa"))
    assert (page.tier, page.accents, reused.tier, reused.accents) == ("together", "exact", "all", "exact")
    assert reused.mask.tolist() == alone.mask.tolist() and (alone.mask & ~page.mask).any()
    assert {t: reused.tiers[t].tolist() for t in ("together", "all", "most")} == {
        t: alone.tiers[t].tolist() for t in ("together", "all", "most")}


def test_only_a_query_read_for_its_answer_alone_and_differing_by_accents_is_matched_among_another(
        demo_index, monkeypatch):
    context = uncached_context(demo_index)
    restricted = spy_on_among(monkeypatch)
    execute.match_query(context, parse_query("hieu dung"))
    # Another word, another phrase, a page (its wider tiers are counted): matched on their own.
    execute.match_query(context, parse_query("hiểu đúng về"), answer_only=True)
    execute.match_query(context, parse_query('"hiểu đúng"'), answer_only=True)
    page = execute.match_query(context, parse_query("hiểu đúng"))
    assert restricted == [False, False, False, False]
    alone = execute.match_query(uncached_context(demo_index), parse_query("hiểu đúng"))
    assert {t: page.tiers[t].tolist() for t in ("together", "all", "most")} == {
        t: alone.tiers[t].tolist() for t in ("together", "all", "most")}


def test_an_answer_found_among_the_documents_read_alone_is_not_kept_for_another_query(demo_index, monkeypatch):
    # A date range's together tier holds that range alone: "did you mean" must not match the query with
    # its accents among it.
    context = uncached_context(demo_index)
    restricted = spy_on_among(monkeypatch)
    odd = np.arange(context.size) % 2 == 1
    narrowed = execute.match_query(context, parse_query("bo giao"), read=odd)
    reused = execute.match_query(context, parse_query("Bộ giáo"), answer_only=True)
    alone = execute.match_query(uncached_context(demo_index), parse_query("Bộ giáo"))
    assert restricted == [False, False, False]  # the last: the accented query matched in a context of its own
    assert reused.mask.tolist() == alone.mask.tolist() and (alone.mask & ~odd).any()
    assert not (narrowed.mask & ~odd).any() and narrowed.mask.any()


@pytest.mark.parametrize("term", ["cho", "nam", "hà", "viet_nam"])
def test_a_term_scored_in_a_scope_is_scored_in_a_scope_it_holds_by_picking_its_documents(
        demo_index, scoped, monkeypatch, term):
    context = uncached_context(demo_index)
    size = context.size
    wide, narrow, elsewhere = (np.zeros(size, dtype=bool) for _ in range(3))
    wide[::2], narrow[::6], elsewhere[::5] = True, True, True  # narrow within wide; elsewhere not
    scope = Scope(wide)
    context.keep_scope(scope)
    context.scoped_bm25f(term, TEXT_FIELDS, scope)
    computed = []
    compute = context._scoped_bm25f
    monkeypatch.setattr(context, "_scoped_bm25f", lambda *args: computed.append(args[2]) or compute(*args))
    for within in (narrow, elsewhere):
        inner = Scope(within)
        got = context.scoped_bm25f(term, TEXT_FIELDS, inner)
        alone = uncached_context(demo_index).scoped_bm25f(term, TEXT_FIELDS, Scope(within))
        assert (got[0].tolist(), got[1].tolist(), got[2]) == (alone[0].tolist(), alone[1].tolist(), alone[2])
        assert len(got[0]) > 0 and got[1].dtype == alone[1].dtype
    # The narrow scope's scores were picked from the wide one's; the other scope's computed.
    assert [c.docs.tolist() for c in computed] == [np.flatnonzero(elsewhere).tolist()]


def test_an_accented_questions_pool_is_the_fifth_of_its_words_when_the_unaccented_answer_holds_them(demo_index):
    from search.whoosh_backend import relevance_pool

    plain, accented = question_pair()
    context = uncached_context(demo_index)
    assert execute.known_question_pool(context, parse_query(accented)) is None  # nothing matched yet
    execute.match_query(context, parse_query(plain))
    known = execute.known_question_pool(context, parse_query(accented))
    alone = execute.match_query(uncached_context(demo_index), parse_query(accented))
    assert alone.question and known is not None and known.tolist() == relevance_pool(alone).tolist()
    assert known.sum() > alone.mask.sum() > 0
    # Not a question, or typed unaccented: matched.
    assert execute.known_question_pool(context, parse_query(plain)) is None
    execute.match_query(context, parse_query("hieu dung"))
    assert execute.known_question_pool(context, parse_query("hiểu đúng")) is None


def test_an_accented_question_whose_unaccented_answer_holds_fewer_than_a_fifth_of_its_words_is_matched(demo_index):
    # The unaccented answer recalled holds an article outside the question's fifth (an answer from a
    # tier of OR groups can): the accented question's pool is not known, so it is matched.
    plain, accented = question_pair()
    key = matching.folded_key(parse_query(plain))
    matched = execute.match_query(uncached_context(demo_index), parse_query(plain))
    fifth = matched.ranked  # the fifth of its words, folded (the answer is part of it)
    answer = matched.mask.copy()
    answer[np.flatnonzero(~fifth)[0]] = True
    context = uncached_context(demo_index)
    context.remember(("answer", key), lambda: answer)
    context.remember(("at least", key, matching.LONG_QUERY_SHARE), lambda: fifth)
    assert matched.question and matched.ranked is not None and execute.known_question_pool(
        context, parse_query(accented)) is None
    context = uncached_context(demo_index)
    context.remember(("answer", key), lambda: matched.mask.copy())
    context.remember(("at least", key, matching.LONG_QUERY_SHARE), lambda: fifth)
    assert execute.known_question_pool(context, parse_query(accented)).tolist() == fifth.tolist()


@pytest.mark.parametrize("q", [
    "hlv park hang seo nói gì về đội tuyển việt nam tại sea games ở tphcm",  # abbreviations: a dozen readings
    "hlv va ubnd tphcm cung cac so nganh",  # and without accents
    unidecode(DEMO_ARTICLES[3]["body"][:300]) + " hlv tphcm ubnd",  # a pasted paragraph among them
])
@pytest.mark.parametrize("kept_share", [10**9, 0], ids=["carried over", "never carried"])
def test_each_readings_scores_summed_from_what_it_shares_with_the_one_before_are_summed_from_scratch(
        demo_index, monkeypatch, q, kept_share):
    # _scores sums each reading's own parts onto the sum of the first parts it shares with the reading
    # before (when they hold enough postings; here always, or never): each reading's scores are the
    # shared parts' sum plus its own parts added one by one from scratch, to the last bit.
    monkeypatch.setattr(execute, "SUM_KEPT_SHARE", kept_share)
    ctx = uncached_context(demo_index)
    parsed = understood(demo_index, q)
    every = matching.readings(parsed, matching.reading_limit(parsed, ctx.ranking))
    assert len(every) >= 4
    parts = [execute._reading_parts(ctx, reading)[0] for reading in every]
    shared = set(parts[0]).intersection(*parts[1:])
    common = execute._sum_parts(ctx.size, parts[0], shared)
    summed = list(execute._reading_sums(common, parts, shared))
    for reading_parts, scores in zip(parts, summed):
        expected = common.copy()
        for key, (ids, values) in reading_parts.items():
            if key not in shared:
                expected[ids] += values
        assert scores.tobytes() == expected.tobytes()
    assert len({scores.tobytes() for scores in summed}) > 1
    assert any(execute._common_start([k for k in a if k not in shared], [k for k in b if k not in shared])
               for a, b in itertools.pairwise(parts))  # readings that start alike: sums carried over


def readings_to_pair(demo_index, q: str):
    """Return (q understood, its readings, a new query context, every live document, its syllables' idfs)."""
    parsed = understood(demo_index, q)
    ctx = uncached_context(demo_index)
    idfs = execute._scores(ctx, parsed, None)[1]
    every = matching.readings(parsed, matching.reading_limit(parsed, DEFAULT_RANKING))
    return parsed, every, ctx, np.flatnonzero(ctx.snapshot.live), idfs


def proximity_alone(ctx, reading, docs: np.ndarray, idfs: dict,
                    title_weight: float = DEFAULT_RANKING.title_proximity_weight) -> np.ndarray:
    """Return one reading's proximity bonus of docs, each of its pairs' bonuses added from scratch."""
    bonus = np.zeros(len(docs), dtype=np.float64)
    for step in execute._proximity_steps(*execute._chain(reading)):
        execute._add_pair_bonus(ctx, step, bonus, docs, idfs, {}, title_weight)
    return bonus


def test_a_pair_naming_a_document_adds_the_reference_weight_times_its_mean_idf_where_it_is_cited(demo_index):
    # "chỉ thị 05": the portal article cites Chỉ thị 05.  Each syllable's idf as given (distinct ones).
    ctx = uncached_context(demo_index)
    docs = np.flatnonzero(ctx.snapshot.live)
    (key, cited), = [step for step in execute._proximity_steps(*execute._chain(parse_query("chỉ thị 05"))) if step[1]]
    assert cited == ("thị", "05")
    idfs = {"chi": 1.0, "thi": 2.0, "05": 6.0}
    citing, plain = np.zeros(len(docs)), np.zeros(len(docs))
    execute._add_pair_bonus(ctx, (key, cited), citing, docs, idfs, {}, 10.0)
    execute._add_pair_bonus(ctx, (key, None), plain, docs, idfs, {}, 10.0)
    cites = execute._cites(ctx, list(cited), docs)
    assert cites.sum() == 1
    plain += DEFAULT_RANKING.reference_weight * (2.0 + 6.0) / 2.0 * cites
    assert citing.tolist() == plain.tolist()


def test_carried_sums_keep_a_sum_only_for_a_list_after_it_and_copy_each_once(monkeypatch):
    # With no worth_keeping test, the sum of the first steps a list shares with the next is always kept
    # (a, b for the second list; a for the third); the last list, with none after it, keeps nothing.
    owns = [["a", "b", "c"], ["a", "b", "d"], ["a", "e", "f"], ["g"]]
    values = {key: (np.array([ord(key) - 97]), np.array([float(ord(key))])) for key in "abcdefg"}
    added = []

    def add(total, at, key):
        added.append((at, key))
        total[values[key][0]] += values[key][1]

    start = np.zeros(8).view(CountedScores)
    counted = []
    CountedScores.copies = 0
    for own, total in zip(owns, execute._carried_sums(start, owns, add)):
        counted.append(CountedScores.copies)
        CountedScores.copies = 0
        expected = np.zeros(8)
        for key in own:
            expected[values[key][0]] += values[key][1]
        assert np.asarray(total).tolist() == expected.tolist()
    assert counted == [2, 1, 1, 1]
    assert added == [(0, "a"), (0, "b"), (0, "c"), (1, "d"), (2, "a"), (2, "e"), (2, "f"), (3, "g")]


class CountedScores(np.ndarray):
    """Scores that count the postings' additions into them and the copies made of them."""

    additions = 0
    copies = 0

    def __setitem__(self, key, value):
        CountedScores.additions += 1
        super().__setitem__(key, value)

    def copy(self, *args, **kwargs):
        CountedScores.copies += 1
        return super().copy(*args, **kwargs)


# Readings' own parts (named by letters; "s" is shared by all), with how many postings each part holds.
READING_OWNS = {
    "a branch of the first parts": ([["a", "b", "c"], ["a", "b", "d"], ["a", "e", "f"]], {"a": 1, "b": 1}),
    "a prefix kept by the second": ([["a", "b"], ["a", "c", "d"], ["a", "c", "e"]], {"a": 2, "b": 1, "c": 2}),
    "a whole reading the next's": ([["a", "b"], ["a", "b", "c"]], {"a": 1, "b": 1}),
    "a whole reading kept before": ([["a", "b", "c"], ["a", "b"], ["a", "b", "d"]], {"a": 1, "b": 1}),
}


@pytest.mark.parametrize("owns, kept_share, additions, copies", [
    ("a branch of the first parts", 4, [3, 1, 3], [2, 1, 1]),
    ("a branch of the first parts", 0, [3, 3, 3], [1, 1, 1]),
    ("a prefix kept by the second", 4, [2, 2, 1], [2, 2, 1]),
    ("a prefix kept by the second", 0, [2, 3, 3], [1, 1, 1]),
    ("a whole reading the next's", 4, [2, 1], [2, 1]),
    ("a whole reading the next's", 0, [2, 3], [1, 1]),
    ("a whole reading kept before", 4, [3, 0, 1], [2, 1, 1]),
    ("a whole reading kept before", 0, [3, 2, 3], [1, 1, 1]),
])
def test_a_readings_first_parts_are_summed_once_for_the_next_reading_when_their_postings_pass_the_share(
        monkeypatch, owns, kept_share, additions, copies):
    # The first parts a reading shares with the next are kept summed for it (one copy) when they hold
    # at least a SUM_KEPT_SHARE-th of the scores' size in postings (8 scores: 2 postings at the share
    # of 4); the next adds only its parts after them, and the one after it only what it does not share
    # with the sums kept.  The values are each reading's own sum, whichever way.
    monkeypatch.setattr(execute, "SUM_KEPT_SHARE", kept_share)
    own_keys, postings = READING_OWNS[owns]
    rng = np.random.default_rng(7)
    arrays = {key: (np.arange(postings.get(key, 3)) * 2 + len(key), rng.random(postings.get(key, 3)))
              for key in {"s", *itertools.chain(*own_keys)}}
    parts = [{key: arrays[key] for key in ["s", *keys]} for keys in own_keys]
    common = np.zeros(8).view(CountedScores)
    common[arrays["s"][0]] += arrays["s"][1]
    counted = []
    CountedScores.additions = CountedScores.copies = 0
    for reading, scores in zip(parts, execute._reading_sums(common, parts, {"s"})):
        counted.append((CountedScores.additions, CountedScores.copies))
        CountedScores.additions = CountedScores.copies = 0
        expected = np.asarray(common).copy()
        for key in list(reading)[1:]:
            expected[reading[key][0]] += reading[key][1]
        assert np.asarray(scores).tobytes() == expected.tobytes()
    assert counted == list(zip(additions, copies))


@pytest.mark.parametrize("q", [
    "hlv park hang seo nói gì về đội tuyển việt nam tại sea games ở tphcm",
    unidecode(DEMO_ARTICLES[3]["body"][:300]) + " hlv tphcm ubnd",
])
def test_a_querys_readings_look_each_syllable_and_compound_up_once_and_keep_each_readings_own_parts(
        demo_index, monkeypatch, q):
    # A pasted paragraph's dozen readings share all but a few words: _scores looks each syllable's and
    # compound's weighted scores up once for all of them, and each reading's parts (keys, their order,
    # values, idfs) are those it gets looked up alone.
    parsed = understood(demo_index, q)
    every = matching.readings(parsed, matching.reading_limit(parsed, DEFAULT_RANKING))
    assert len(every) >= 4
    looked_up: dict = {}
    ctx = uncached_context(demo_index)
    together = [execute._reading_parts(ctx, reading, None, looked_up) for reading in every]
    for reading, (parts, idfs) in zip(every, together):
        alone, alone_idfs = execute._reading_parts(uncached_context(demo_index), reading)
        assert list(parts) == list(alone) and idfs == alone_idfs
        assert all(parts[key][0].tobytes() == ids.tobytes() and parts[key][1].tobytes() == values.tobytes()
                   for key, (ids, values) in alone.items())
    calls: collections.Counter = collections.Counter()
    weighted = execute._weighted

    def counted(ctx, term, fields, weight, scope=None):
        calls[term, fields, weight] += 1
        return weighted(ctx, term, fields, weight, scope)

    monkeypatch.setattr(execute, "_weighted", counted)
    execute._scores(uncached_context(demo_index), parsed, None)
    assert calls and max(calls.values()) == 1


@pytest.mark.parametrize("q", [
    "hlv park hang seo nói gì về đội tuyển việt nam tại sea games ở tphcm",
    'title:"hội đồng nhân dân" ubnd "giá vàng thế giới hôm nay" covid-19 tp.hcm',
    unidecode(DEMO_ARTICLES[3]["body"][:300]) + " hlv tphcm ubnd",
])
def test_a_readings_compounds_are_each_clauses_runs_of_its_syllables_then_every_pair_outside_a_field(demo_index, q):
    # The compounds a reading's scores look up: in each clause, every run of 2 to query_compound_syllables
    # of its folded syllables (searched in the clause's fields), then every two syllables in a row of the
    # words outside a field (title and body), each once, in that order.
    parsed = understood(demo_index, q)
    longest = DEFAULT_RANKING.query_compound_syllables
    for reading in matching.readings(parsed, matching.reading_limit(parsed, DEFAULT_RANKING)):
        expected = []
        for clause in reading.clauses:
            words = [s.folded for s in clause.syllables]
            expected += [("_".join(words[start:start + size]), ("title",) if clause.field == "title" else TEXT_FIELDS)
                         for size in range(2, longest + 1) for start in range(len(words) - size + 1)]
        chain = [s.folded for clause in reading.clauses if not clause.field for s in clause.syllables]
        expected += [(f"{a}_{b}", TEXT_FIELDS) for a, b in itertools.pairwise(chain)]
        assert execute._compounds(reading, longest) == list(dict.fromkeys(expected))
    assert any(len(clause.syllables) > longest for clause in parsed.clauses)


def test_a_querys_readings_are_listed_once_per_context_for_its_tiers_scores_and_proximity(demo_index, monkeypatch):
    # A page's match, scores and proximity each go through the query's readings: they are listed once
    # per query context, the list readings gives; another query of the same context has its own.
    listed = []
    original = matching.readings

    def counted(parsed, limit=matching.MAX_READINGS):
        listed.append(parsed)
        return original(parsed, limit)

    monkeypatch.setattr(matching, "readings", counted)
    q = unidecode(DEMO_ARTICLES[3]["body"][:300]) + " hlv tphcm ubnd"
    SearchEngine(demo_index).search(SearchRequest(q=q, size=10, correct=False))
    assert len(listed) == 1
    parsed, other = understood(demo_index, q), understood(demo_index, "hlv park hang seo")
    ctx = uncached_context(demo_index)
    every = matching.context_readings(ctx, parsed)
    assert every == original(parsed, matching.reading_limit(parsed, DEFAULT_RANKING)) and len(every) >= 4
    assert matching.context_readings(ctx, parsed) is every
    assert matching.context_readings(ctx, other) == original(other, matching.reading_limit(other, DEFAULT_RANKING))


@pytest.mark.parametrize("q", ["tphcm", "viet nam", "hlv park hang seo"])
def test_each_reading_looks_for_its_words_together_only_in_the_candidates_no_reading_before_found(
        demo_index, monkeypatch, q):
    # The together tier holds the candidates where any reading's words stand together: each reading
    # searches only those the readings before it did not find, and the tier is the union of what each
    # reading finds among every candidate.
    parsed = understood(demo_index, q)
    every = matching.readings(parsed, matching.reading_limit(parsed, DEFAULT_RANKING))
    assert len(every) >= 2
    candidates = uncached_context(demo_index).snapshot.live.copy()
    expected = np.zeros(len(candidates), dtype=bool)
    for reading in every:
        expected |= matching._together(uncached_context(demo_index), reading, False, candidates)
    assert expected.any()
    looked: list[tuple[np.ndarray, np.ndarray]] = []
    alone = matching._together

    def recorded(ctx, reading, exact, among):
        looked.append((among.copy(), found := alone(ctx, reading, exact, among)))
        return found

    monkeypatch.setattr(matching, "_together", recorded)
    assert (matching.together(uncached_context(demo_index), parsed, False, candidates) == expected).all()
    assert len(looked) == len(every)
    for at, (among, _) in enumerate(looked):
        assert not any((among & found).any() for _, found in looked[:at])


@pytest.mark.parametrize("q", [
    "hlv park hang seo nói gì về đội tuyển việt nam tại sea games ở tphcm",
    unidecode(DEMO_ARTICLES[3]["body"][:300]) + " hlv tphcm ubnd",
    "hlv ubnd tphcm theo nghị định số 99 và nghị định 100 của chính phủ",  # pairs naming documents
])
def test_each_readings_proximity_carried_over_from_the_reading_before_is_its_bonus_summed_from_scratch(demo_index, q):
    # _proximity adds to each reading's bonus only the pairs after those it shares with the reading before:
    # each bonus is that reading's alone (``proximity_alone``), to the last bit, with fewer pairs added.
    _, every, ctx, docs, idfs = readings_to_pair(demo_index, q)
    assert len(every) >= 4
    chains = [execute._chain(reading) for reading in every]
    added = []
    add = execute._add_pair_bonus

    def counted(*args):
        added.append(args[1])
        add(*args)

    addends: dict = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(execute, "_add_pair_bonus", counted)
        carried = list(execute._readings_proximity(ctx, chains, docs, idfs, addends, 10.0))
    for reading, bonus in zip(every, carried):
        alone = proximity_alone(uncached_context(demo_index), reading, docs, idfs, 10.0)
        assert bonus.tobytes() == alone.tobytes()
    assert len({bonus.tobytes() for bonus in carried}) > 1 and any(bonus.any() for bonus in carried)
    assert len(added) < sum(len(pairs) for _, pairs in chains)


def test_the_readings_weights_and_pairs_read_each_syllables_idf_kept_once_per_query_context(demo_index, fields):
    # Every reading of a long query weighs its words and pairs by their idf: each syllable's idf is kept
    # once in the query context (a thousand asks a page), that of the documents holding it.
    parsed = understood(demo_index, "hlv park hang seo nói gì về đội tuyển việt nam tại sea games ở tphcm")
    ctx = uncached_context(demo_index)
    execute._scores(ctx, parsed, None)
    execute._proximity(ctx, parsed, np.flatnonzero(ctx.snapshot.live), {})
    assert {s.folded for reading in matching.readings(parsed) for s in reading.syllables} <= set(ctx.syllable_idfs)
    for folded, idf in ctx.syllable_idfs.items():
        assert idf == pytest.approx(bm25_idf(len(fields), holding(fields, [folded]))), folded
        assert _syllable_idf(ctx, folded) is idf


def test_the_length_normalisation_kept_for_a_snapshot_is_each_fields_and_each_bs_own(context):
    # Each field's normalisation of every document is computed once for the snapshot, kept under its
    # field and b: contexts of other rankings over the same snapshot read their own.
    snapshot = context.snapshot
    assert snapshot.postings_cache is not None
    docs = np.flatnonzero(snapshot.live)
    freqs = np.arange(1, len(docs) + 1, dtype=np.float32) % 7 + 1
    for title_b, body_b in ((0.75, 0.3), (0.3, 0.75), (0.75, 0.3)):
        ctx = QueryContext(snapshot, replace(DEFAULT_RANKING, title_b=title_b, body_b=body_b))
        for name, b in (("title", title_b), ("body", body_b)):
            weight = ctx.weights[name][0]
            expected = weight * freqs / (1.0 - b + b * snapshot.lengths[name][docs] / snapshot.average_length[name])
            got = ctx._field_frequencies(name, docs, freqs)
            assert got.dtype == expected.dtype == np.float32 and np.array_equal(got, expected), (name, b)


def test_a_phrase_count_reads_a_numbers_syllables_not_its_separators(demo_index):
    # The idf a clause in a row weighs by counts its syllables, as the cluster's second stage does: "1/3"
    # (3 demo articles) and "1,3" (6) both count the articles holding "1" and "3" in a row.
    context = WhooshBackend(demo_index, postings_cache_mb=0).view().context
    counts = [execute.phrase_count(context, parse_query(q).clauses[0]) for q in ("1/3", "1,3", '"1 3"')]
    assert counts[0] == counts[1] == counts[2] >= 9
