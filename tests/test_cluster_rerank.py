"""The cluster's second stage: vnsearch's scoring of the engine's best articles (``search.cluster_rerank``).

The in-memory index of the candidates must find every term where the index analyzer puts it;
the IDF is the whole cluster's; on the demo cluster (real searchd nodes) a reranked search
keeps the engine's set and one order across pages, and finds a title typed without accents
first, as the embedded index does.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from search.cluster_rerank import CandidateContext, CandidateSnapshot, _read_points, rerank
from search.engine import SearchEngine, open_engine
from search.execute import idf_of
from search.parse import Clause, ParsedQuery, parse_query, syllables_of
from search.ranking import DEFAULT_RANKING
from search.request import SearchRequest
from search.sphinxql import document_key, shard_of
from search.text import COMPOUND_JOINER, SYLLABLE_RE, VietnameseAnalyzer, fold, is_numeral
from tests.helpers import DEMO_ARTICLES

AVERAGE = {"title": 12.0, "body": 400.0}


def analyzer_positions(texts: list[str]) -> dict[str, dict[int, list[int]]]:
    """Return {term: {document: positions}} of texts as the index analyzer reads them (no compounds, and no
    number written with separators: the engine requires those, the second stage scores syllables)."""
    found: dict[str, dict[int, list[int]]] = {}
    for number, text in enumerate(texts):
        for term, positions in VietnameseAnalyzer().term_positions(text, mode="query").items():
            if not is_numeral(term):
                found.setdefault(term, {})[number] = positions
    return found


def candidate_positions(snapshot: CandidateSnapshot, field: str, terms) -> dict[str, dict[int, list[int]]]:
    """Return {term: {document: positions}} from the candidates' postings."""
    found = {}
    for term in terms:
        postings = snapshot.postings(field, term)
        found[term] = {int(doc): postings.all_positions[start : start + int(freq)].tolist()
                       for doc, start, freq in zip(postings.ids, postings.starts, postings.freqs)}
    return found


@pytest.mark.parametrize("field", ["title", "body"])
def test_the_candidates_postings_hold_every_term_where_the_index_analyzer_puts_it(field):
    articles = DEMO_ARTICLES[:40]
    expected = analyzer_positions([article[field] for article in articles])
    snapshot = CandidateSnapshot(articles, AVERAGE)
    assert candidate_positions(snapshot, field, expected) == expected
    assert snapshot.lengths[field].tolist() == [len(SYLLABLE_RE.findall(a[field])) for a in articles]


def test_a_compound_stands_where_its_syllables_stand_in_a_row_within_one_article():
    articles = [{"title": "Bộ Chính trị họp", "body": "Chính phủ trị an. Ông nói chính trị là việc chung."},
                {"title": "Lãnh đạo Bộ Chính", "body": "trị an tốt"}]
    snapshot = CandidateSnapshot(articles, AVERAGE)
    compound = COMPOUND_JOINER.join(["chinh", "tri"])
    assert candidate_positions(snapshot, "title", [compound]) == {compound: {0: [1]}}
    assert candidate_positions(snapshot, "body", [compound]) == {compound: {0: [6]}}


def test_a_compound_no_article_of_the_cluster_holds_scores_nothing():
    # The syllables stand in a row, but the index's segmenter never joined them anywhere.
    articles = [{"title": "Tiêm vaccine mũi ba", "body": "Người dân tiêm vaccine"}]
    compound = COMPOUND_JOINER.join(["tiem", "vaccine"])
    known = CandidateContext(CandidateSnapshot(articles, AVERAGE), DEFAULT_RANKING, 100, {compound: 3})
    unknown = CandidateContext(CandidateSnapshot(articles, AVERAGE), DEFAULT_RANKING, 100, {"tiem": 3})
    assert [len(known.postings(field, compound)) for field in ("title", "body")] == [1, 1]
    assert [len(unknown.postings(field, compound)) for field in ("title", "body")] == [0, 0]


def test_a_derived_title_is_not_searched_as_a_title():
    articles = [{"title": "Hà Nội mưa to", "title_derived": True, "body": "Hà Nội mưa to suốt đêm"}]
    snapshot = CandidateSnapshot(articles, AVERAGE)
    assert len(snapshot.postings("title", fold("nội"))) == 0
    assert len(snapshot.postings("body", fold("nội"))) == 1


def test_the_idf_is_the_whole_clusters_not_the_candidates():
    # Two articles of equal length, each holding one of the query's words: the one holding the
    # word fewer articles of the cluster hold comes first, whichever word that is.
    articles = [{"title": "Giá vàng", "body": "Giá vàng hôm nay tăng nhẹ"},
                {"title": "Giá xăng", "body": "Giá xăng hôm nay tăng nhẹ"}]
    parsed = parse_query("vang xang")
    rare_gold = rerank(parsed, articles, DEFAULT_RANKING, 10_000, {"vang": 5, "xang": 900}, AVERAGE)
    rare_petrol = rerank(parsed, articles, DEFAULT_RANKING, 10_000, {"vang": 900, "xang": 5}, AVERAGE)
    assert np.argsort(-rare_gold).tolist() == [0, 1]
    assert np.argsort(-rare_petrol).tolist() == [1, 0]


def test_a_term_the_pages_statistics_lack_is_counted_by_the_cluster_once_and_never_below_the_candidates():
    asked = []

    def more(term: str) -> int:
        asked.append(term)
        return 40

    snapshot = CandidateSnapshot([{"title": "Giá vàng", "body": "Giá xăng"}], AVERAGE)
    context = CandidateContext(snapshot, DEFAULT_RANKING, 1000, {"vang": 5}, more)
    assert context.term_idf("vang", 1) == idf_of(1000, 5)  # the page's count: the cluster is not asked
    assert [context.term_idf("xang", 1), context.term_idf("xang", 1)] == [idf_of(1000, 40)] * 2
    assert asked == ["xang"]
    # Held by more candidates than the count says (a count read before a write): the candidates' number.
    assert context.term_idf("vang", 9) == idf_of(1000, 9)
    alone = CandidateContext(snapshot, DEFAULT_RANKING, 1000, {})
    assert [alone.term_idf("xang", 0), alone.term_idf("xang", 2)] == [idf_of(1000, 0), idf_of(1000, 2)]
    assert CandidateContext(snapshot, DEFAULT_RANKING, 0, {}).term_idf("xang", 0) == idf_of(1, 0)


def test_a_phrases_idf_is_the_clusters_count_and_never_below_the_candidates_holding_it():
    asked = []

    def phrases(clause: Clause) -> int:
        asked.append(" ".join(s.folded for s in clause.syllables))
        return 40

    snapshot = CandidateSnapshot([{"title": "Giá vàng", "body": "Giá vàng tăng"}, {"title": "", "body": "giá vàng"},
                                  {"title": "Vàng", "body": "giá xăng, vàng"}], AVERAGE)
    gold = Clause(syllables_of("gia vang"), phrase=True)
    assert CandidateContext(snapshot, DEFAULT_RANKING, 1000, {}, phrases=phrases).phrase_idf(gold) == idf_of(1000, 40)
    assert asked == ["gia vang"]
    # Counted below the candidates holding it (a count from before a write), or not given: the candidates' 2.
    assert CandidateContext(snapshot, DEFAULT_RANKING, 1000, {}, phrases=lambda clause: 1).phrase_idf(gold) == \
        CandidateContext(snapshot, DEFAULT_RANKING, 1000, {}).phrase_idf(gold) == idf_of(1000, 2)
    # A phrase no candidate holds, not counted: none of the cluster's articles; an empty cluster counts as one.
    nowhere = Clause(syllables_of("vang xang"), phrase=True)
    assert CandidateContext(snapshot, DEFAULT_RANKING, 1000, {}).phrase_idf(nowhere) == idf_of(1000, 0)
    assert CandidateContext(snapshot, DEFAULT_RANKING, 0, {}).phrase_idf(nowhere) == idf_of(1, 0)


def test_a_rerank_weighs_another_reading_by_the_clusters_count_of_a_typed_phrase():
    # "huấn luyện viên park" typed, "hlv park" its other reading: the typed word weighs the other reading by
    # the idf of its syllables in a row, counted over the cluster, not over the two candidates: an article
    # writing "HLV" scores more where fewer of the cluster's articles write the long form.
    articles = [{"title": "HLV Park dự khán", "body": "HLV Park Hang Seo dự khán trận đấu"},
                {"title": "Huấn luyện viên Park", "body": "Huấn luyện viên Park Hang Seo nói"}]
    typed = Clause(syllables_of("huấn luyện viên"))  # as query understanding reads it: a word, "HLV" its other form
    parsed = ParsedQuery("huấn luyện viên park", groups=[
        [typed, Clause(syllables_of("HLV"), alternative=True)], [Clause(syllables_of("park"))]])
    counted = [rerank(parsed, articles, DEFAULT_RANKING, 10_000, {"hlv": 50, "park": 20}, AVERAGE,
                      phrases=lambda clause, found=found: found) for found in (2, 400)]
    assert counted[0][0] > counted[1][0] and counted[0][1] == counted[1][1]


def test_a_rerank_asks_the_cluster_for_a_words_count_and_puts_the_articles_holding_every_word_first():
    articles = [{"title": "Giá xăng", "body": "Giá xăng xăng xăng tăng, xăng lại tăng"},
                {"title": "Vàng và xăng", "body": "Giá vàng và giá xăng hôm nay"}]
    parsed = parse_query("vang xang")
    counted = rerank(parsed, articles, DEFAULT_RANKING, 10_000, {"vang": 5, "xang": 900}, AVERAGE)
    asked = rerank(parsed, articles, DEFAULT_RANKING, 10_000, {"vang": 5}, AVERAGE, more=lambda term: 900)
    held = rerank(parsed, articles, DEFAULT_RANKING, 10_000, {"vang": 5}, AVERAGE)
    assert asked.tolist() == counted.tolist() != held.tolist()
    # Marked as holding every word (a short query answered from the most tier), an article scores more.
    every = rerank(parsed, articles, DEFAULT_RANKING, 10_000, {"vang": 5, "xang": 900}, AVERAGE,
                   all_words=np.array([False, True]))
    assert every[0] == counted[0] and every[1] > counted[1]


def test_a_code_point_beyond_the_latin_tables_is_a_letter_as_python_reads_it_and_folds_to_itself():
    points = np.array([ord("中"), ord("a"), ord(" "), ord("ệ"), ord("‐")], dtype=np.uint32)
    is_letter, folded = _read_points(points)
    assert is_letter.dtype == np.bool_ and is_letter.tolist() == [True, True, False, True, False]
    assert folded.tolist() == [ord("中"), ord("a"), ord(" "), ord("e"), ord("‐")]


def test_a_nul_in_a_stored_text_is_taken_out_and_an_empty_term_is_found_nowhere():
    # NUL ends each candidate's text in the field's one string: one inside a text is dropped, joining
    # its neighbours as the text without it would.
    snapshot = CandidateSnapshot([{"title": "", "body": "Hà\x00Nội mưa"}, {"body": "Hà Nội"}], AVERAGE)
    assert snapshot.lengths["body"].tolist() == [2, 2]
    assert candidate_positions(snapshot, "body", ["hanoi", "ha"]) == {"hanoi": {0: [0]}, "ha": {1: [0]}}
    nowhere = snapshot.fields["body"]._syllables("")
    assert (nowhere.dtype, nowhere.tolist()) == (np.int64, [])


def test_a_compound_typed_with_accents_is_found_nowhere_its_syllables_stand_only_without_them():
    snapshot = CandidateSnapshot([{"title": "", "body": "chinh tri va kinh te"}], AVERAGE)
    compound = COMPOUND_JOINER.join(["chính", "trị"])
    assert candidate_positions(snapshot, "body", [compound, COMPOUND_JOINER.join(["chinh", "tri"])]) == {
        compound: {}, COMPOUND_JOINER.join(["chinh", "tri"]): {0: [0]}}


def test_the_candidates_arrays_are_typed_as_the_embedded_index_scores_them():
    # BM25F sums float32 frequencies and lengths on the embedded index: the same types give the same scores.
    snapshot = CandidateSnapshot([{"title": "Giá vàng", "body": "Giá vàng hôm nay, giá vàng"}], AVERAGE)
    postings = snapshot.postings("body", "vang")
    assert (postings.ids.dtype, postings.freqs.dtype, postings.all_positions.dtype) == (np.int64, np.float32, np.int64)
    assert snapshot.lengths["body"].dtype == np.float32 and postings.freqs.tolist() == [2.0]
    exact = snapshot.postings("body", "vàng")
    assert (exact.ids.tolist(), exact.freqs.tolist(), exact.ids.dtype) == ([0], [2.0], np.int64)


def test_a_missing_or_derived_title_and_a_missing_body_hold_no_syllable_and_averages_are_at_least_one():
    articles = [{"title": "Hà Nội", "title_derived": True, "body": "Hà Nội mưa"}, {"body": None}, {"title": None}]
    snapshot = CandidateSnapshot(articles, {"title": 0.5})
    assert [snapshot.lengths["title"].tolist(), snapshot.lengths["body"].tolist()] == [[0, 0, 0], [3, 0, 0]]
    assert snapshot.average_length == {"title": 1.0, "body": 1.0}
    assert CandidateSnapshot(articles, {"title": 1.5, "body": 400.0}).average_length == {"title": 1.5, "body": 400.0}


# On the demo cluster -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster_engine(demo_cluster) -> SearchEngine:
    """Return a search engine over the demo corpus on the cluster."""
    return open_engine("", demo_cluster.url)


def unaccented(text: str) -> str:
    """Return text as typed without diacritics."""
    return " ".join(fold(word) for word in text.split())


def first_ids(engine: SearchEngine, request: SearchRequest) -> list[str]:
    """Return the ids of a page's hits."""
    return [hit["id"] for hit in engine.search(request)["hits"]]


def first_hundred(engine: SearchEngine, request: SearchRequest) -> list[str]:
    """Return the ids of the first two pages of 50."""
    return [i for page in (1, 2) for i in first_ids(engine, replace(request, size=50, page=page))]


QUESTION = "Người dân Việt Nam có nên mua vàng hay gửi tiền vào ngân hàng trong năm nay không"


@pytest.mark.parametrize("q", ["viet nam", "người dân", QUESTION])
def test_the_pages_of_a_reranked_search_follow_one_order_and_reorder_only_each_shards_best(demo_cluster, q):
    reranked, engine_order = open_engine("", demo_cluster.url), open_engine("", demo_cluster.url)
    reranked.backend.rerank_depth, engine_order.backend.rerank_depth = (10, 40), (0, 0)  # the demo is small
    request = SearchRequest(q=q, snippets=False, facets=False, suggest=False)
    whole = first_hundred(reranked, request)
    pages = [first_ids(reranked, replace(request, size=4, page=page)) for page in range(1, 21)]
    assert [i for page in pages for i in page] == whole[:80]
    unchanged = first_hundred(engine_order, request)
    each = reranked.backend._shard_depth(reranked.backend.plan(parse_query(q)))
    assert each == (20 if q == QUESTION else 10)  # the depth shared out over 2 shards, at least a page
    # Reranked: each shard's best articles in the engine's order, whatever the other shard holds.
    best = [doc_id for shard in (0, 1)
            for doc_id in [i for i in unchanged if shard_of(document_key(i), 2) == shard][:each]]
    rest = [i for i in unchanged if i not in best]
    assert len(whole) > len(best)
    assert (set(whole[: len(best)]), whole[len(best) :]) == (set(best), rest[: len(whole) - len(best)])


def test_a_title_typed_without_accents_finds_its_article_first_as_in_the_embedded_index(engine, cluster_engine):
    titles = [a for a in DEMO_ARTICLES if len(a["title"].split()) >= 4][:60]
    firsts = {}
    for name, searched in (("embedded", engine), ("cluster", cluster_engine)):
        firsts[name] = [first_ids(searched, SearchRequest(q=unaccented(a["title"]), size=10, snippets=False,
                                                           facets=False, suggest=False))[:1] for a in titles]
    expected = [[a["id"]] for a in titles]
    assert firsts["cluster"] == firsts["embedded"] == expected


@pytest.mark.parametrize("texts", [
    ["Hòa bình, khỏe mạnh; thủy lợi. HOÀ BÌNH: hoà, Hoàng hôn và hoàng hòa", "Thuỷ thủ khoẻ"],
    ["emoji 😀 hòa 😀 Thủy", "x²³ 5km² hóa"],  # code points beyond the plane; digits
])
def test_every_term_is_found_where_the_analyzer_puts_it_whatever_the_tone_marks(texts):
    # Old-style tone marks ("hòa") are found as the analyzer's canonical form ("hoà"), but not in a
    # closed syllable ("hoàng"); code points beyond the plane change nothing.
    articles = [{"title": text, "body": text} for text in texts]
    expected = analyzer_positions(texts)
    snapshot = CandidateSnapshot(articles, AVERAGE)
    assert candidate_positions(snapshot, "body", expected) == expected
    assert snapshot.lengths["body"].tolist() == [len(SYLLABLE_RE.findall(text)) for text in texts]
    assert candidate_positions(snapshot, "body", ["hoà"])["hoà"] == expected["hoà"] and expected["hoà"]


@pytest.mark.parametrize("text", ["ΟΔΟΣ.Α ΣΟΦΟΣ Σ hòa Hà Nội", "İstanbul İİ hòa Hà Nội", "Hà Nội 😀 HÒA"])
def test_a_text_is_read_as_its_lower_case_form_even_where_lower_casing_depends_on_the_context(text):
    # A capital sigma is a final sigma at a word's end only; "İ" lower-cases into two code points.
    terms = {term for word in text.lower().split() for term in (word, fold(word), word.replace("σ", "ς"))}
    terms |= {"hoà", "ha", "noi", "nội", "οδος", "οδοσ"}
    as_typed = CandidateSnapshot([{"title": text, "body": text}], AVERAGE)
    lowered = CandidateSnapshot([{"title": text.lower(), "body": text.lower()}], AVERAGE)
    assert candidate_positions(as_typed, "body", terms) == candidate_positions(lowered, "body", terms)
    syllables = SYLLABLE_RE.findall(text.lower())
    assert candidate_positions(as_typed, "body", ["σοφος", "hoà"]) == {
        "σοφος": {0: [syllables.index("σοφος")]} if "Σ" in text else {}, "hoà": {0: [syllables.index("hòa")]}}
