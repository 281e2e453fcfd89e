"""The backend seam: the service shapes any backend's matches the same way."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from search import abbreviations, execute, store, whoosh_backend
from search import reader as reader_module
from search.backend import FacetCounts
from search.engine import SearchEngine, open_engine, search_snapshot
from search.facets import facet_items
from search.index import reindex
from search.integrity import IndexDamaged, Problem
from search.parse import parse_query, syllables_of
from search.ranking import DEFAULT_RANKING
from search.request import QueryError, SearchRequest
from search.settings import setting_value
from search.store import IndexBusy, current_generation, read_meta
from search.whoosh_backend import OPEN_ATTEMPTS, SnapshotView, WhooshBackend
from search.writer import open_writer
from tests.helpers import (
    DEMO_ARTICLES,
    PORTAL_ID,
    counts,
    flip_middle_byte,
    make_source,
    write_jsonl,
    writer_lock_held,
)

QUERIES = ["bộ chính trị", "ha noi", "covid OR vaccine", '"chỉ thị 05"', "tien ve -bong"]


def without_timing(result: dict) -> dict:
    return {key: value for key, value in result.items() if key != "took_ms"}


@pytest.mark.parametrize("q", QUERIES)
def test_an_engine_over_one_snapshot_view_answers_as_the_index_directory_does(engine, q):
    fixed = SearchEngine(backend=SnapshotView(engine.snapshot(), engine.ranking))
    request = SearchRequest.from_params({"q": q, "sort": "newest", "size": "5", "page": "1"})
    assert without_timing(fixed.search(request)) == without_timing(engine.search(request))
    assert fixed.suggest(q) == engine.suggest(q)
    assert fixed.health() == engine.health()


def test_an_article_is_read_through_the_backend_with_the_query_marked(engine):
    fixed = SearchEngine(backend=SnapshotView(engine.snapshot()))
    article = fixed.article(PORTAL_ID, q="bo chinh tri")
    assert article == engine.article(PORTAL_ID, q="bo chinh tri")
    assert "<mark>Bộ Chính trị</mark>" in article["title_html"]
    assert fixed.article("no-such-article") is None


def test_facet_counts_cross_the_seam_keyed_by_value_and_cover_every_match(demo_index):
    backend = WhooshBackend(demo_index)
    request = SearchRequest.from_params({"q": "việt nam", "year": "2020"})
    matches = backend.search(request, parse_query(request.q))
    assert isinstance(matches.facets, FacetCounts)
    # The year facet ignores the year filter: it counts every match, the total only 2020's.
    assert sum(matches.facets.year.values()) >= matches.total == matches.facets.year.get(2020, 0)
    assert all(isinstance(name, str) for name in matches.facets.category)
    shaped = facet_items(matches.facets, request)
    assert [item["value"] for item in shaped["year"] if item["selected"]] == ["2020"]
    assert sum(item["count"] for item in shaped["category"]) == matches.total
    assert len(matches.documents) == len(matches.scores) == min(10, matches.total)
    assert matches.matching == "all"


def test_a_search_engine_needs_an_index_directory_or_a_backend():
    with pytest.raises(ValueError) as refused:
        SearchEngine()
    assert str(refused.value) == "SearchEngine needs an index directory or a backend"


RANKING = replace(DEFAULT_RANKING, k1=0.5, title_weight=1.0)  # scores other than the default's


def operator_synonyms(tmp_path) -> str:
    """Return an operator's synonyms file holding one entry the shipped dictionary lacks."""
    path = tmp_path / "synonyms.txt"
    path.write_text("BOCT | bộ chính trị\n", encoding="utf-8")
    return str(path)


def test_open_engine_passes_its_settings_to_the_embedded_index_or_the_cluster(demo_index, tmp_path):
    synonyms = operator_synonyms(tmp_path)
    shipped = len(abbreviations.load().entries)
    assert SearchEngine(demo_index).backend.refresh_seconds == 1.0
    plain = open_engine(demo_index)
    assert (plain.ranking, plain.backend.refresh_seconds, len(plain.abbreviations.entries),
            plain.backend.postings_cache.budget >> 20) == (DEFAULT_RANKING, 1.0, shipped,
                                                     setting_value("postings_cache_mb", None))
    embedded = open_engine(demo_index, "", 7.5, RANKING, synonyms, postings_cache_mb=3)
    assert (type(embedded.backend), embedded.backend.index_dir, embedded.ranking, embedded.backend.ranking,
            embedded.backend.refresh_seconds, len(embedded.abbreviations.entries),
            embedded.backend.postings_cache.budget) == (
        WhooshBackend, demo_index, RANKING, RANKING, 7.5, shipped + 1, 3 * 1024 * 1024)
    url = "sphinxql://127.0.0.1:9,127.0.0.1:10"  # nothing is asked of the nodes before a search
    cluster = open_engine(tmp_path / "lock", url, ranking=RANKING, synonyms=synonyms)
    assert (type(cluster.backend).__name__, cluster.backend.cluster.url, cluster.backend.lock_dir,
            cluster.ranking, cluster.backend.ranking, len(cluster.abbreviations.entries)) == (
        "ClusterBackend", url, str(tmp_path / "lock"), RANKING, RANKING, shipped + 1)


def test_an_engine_searches_with_its_ranking_and_the_operators_synonyms(demo_index, tmp_path):
    engine = SearchEngine(demo_index, ranking=RANKING, synonyms=operator_synonyms(tmp_path))
    request = SearchRequest(q="BOCT", snippets=False, suggest=False)
    assert engine.search(request)["total"] > 0 and SearchEngine(demo_index, synonyms="").search(request)["total"] == 0
    request = SearchRequest(q="bộ chính trị", size=5)
    ranked, default = engine.search(request), SearchEngine(demo_index).search(request)
    assert [h["score"] for h in ranked["hits"]] != [h["score"] for h in default["hits"]]
    plain = SearchEngine(demo_index, ranking=RANKING)  # the shipped dictionary, as search_snapshot reads
    assert without_timing(search_snapshot(plain.snapshot(), request, RANKING)) == without_timing(plain.search(request))
    few_words = replace(RANKING, max_query_terms=2)  # read by the search itself, not only by the backend
    long = SearchRequest(q="bộ chính trị ban hành chỉ thị", size=5)
    assert "terms" in search_snapshot(plain.snapshot(), long, few_words)["limited"]
    assert "terms" not in search_snapshot(plain.snapshot(), long, RANKING)["limited"]


def test_an_engines_article_without_a_query_suggest_with_a_limit_related_and_exists(engine):
    assert engine.article(PORTAL_ID) == engine.article(PORTAL_ID, q="", match="auto")
    assert "<mark>" not in engine.article(PORTAL_ID)["title_html"]
    every, two = engine.suggest("ha"), engine.suggest("ha", limit=2)
    assert len(every["suggestions"]) > 2 and two["suggestions"] == every["suggestions"][:2]
    assert SearchEngine.exists(engine.backend.index_dir) and not SearchEngine.exists(engine.backend.index_dir / "x")
    assert SearchEngine(backend=SimpleNamespace()).related(PORTAL_ID) == []  # a backend without snapshots (cluster)


class FailingBackend:
    """A backend whose searches fail, and whose check after a failure finds what it is given."""

    def __init__(self, error: Exception, problems: list, index_dir: str | None = "/srv/news-index"):
        self.error, self.problems, self.verified = error, problems, 0
        if index_dir is not None:  # a backend may have no folder to name
            self.index_dir = index_dir

    def statistics(self):
        raise self.error

    def verify_after_failure(self):
        self.verified += 1
        return self.problems


def test_a_failed_search_names_a_damaged_index_when_the_backend_then_finds_damage():
    damage = [Problem("MAIN_x.pst", "checksum", "CRC32 mismatch")]
    with pytest.raises(IndexDamaged) as damaged:
        SearchEngine(backend=FailingBackend(RuntimeError("short read"), damage)).search(SearchRequest(q="hà nội"))
    assert (damaged.value.index_dir, damaged.value.problems, str(damaged.value.__cause__)) == (
        "/srv/news-index", damage, "short read")
    sound = FailingBackend(RuntimeError("short read"), [])
    with pytest.raises(RuntimeError, match="short read"):
        SearchEngine(backend=sound).search(SearchRequest(q="hà nội"))
    assert sound.verified == 1
    refused = FailingBackend(QueryError("q", "bad query"), damage)
    with pytest.raises(QueryError):
        SearchEngine(backend=refused).search(SearchRequest(q="hà nội"))
    assert refused.verified == 0  # a bad query says nothing about the index
    unnamed = FailingBackend(OSError("disk gone"), damage, index_dir=None)
    with pytest.raises(IndexDamaged) as damaged_unnamed:
        SearchEngine(backend=unnamed).search(SearchRequest(q="hà nội"))
    assert damaged_unnamed.value.index_dir == ""
    cannot_verify = SimpleNamespace(statistics=unnamed.statistics)  # no verify_after_failure at all
    with pytest.raises(OSError, match="disk gone"):
        SearchEngine(backend=cannot_verify).search(SearchRequest(q="hà nội"))


def titles_holding(view: SnapshotView, folded: list[str], prefixes: list[str] | None) -> set[str]:
    """Return the ids of the live articles whose own title holds every folded word and, unless
    prefixes is None, one of them (read from the stored titles, not the index)."""
    snapshot = view.snapshot
    found = set()
    for number in range(snapshot.doc_count):
        stored = snapshot.stored(number)
        syllables = {s.folded for s in syllables_of(stored.get("title") or "")}
        if (snapshot.live[number] and not stored.get("title_derived") and set(folded) <= syllables
                and (prefixes is None or syllables & set(prefixes))):
            found.add(stored["id"])
    return found


@pytest.mark.parametrize("typed, prefixes", [("ngân hàng", None), ("giá", ["vang", "xang"]), ("hà", ["noi"])])
def test_title_candidates_without_phrase_hold_every_word_folded_and_a_prefix_term(demo_index, typed, prefixes):
    view = WhooshBackend(demo_index).view()
    words = syllables_of(typed)
    every = view.title_candidates(words, prefixes, 200)
    assert every and {stored["id"] for stored in every} == titles_holding(view, [w.folded for w in words], prefixes)
    assert [stored["id"] for stored in view.title_candidates(words, prefixes, 2)] == [s["id"] for s in every[:2]]


def title_score(view: SnapshotView, terms: list[tuple[str, float]]) -> dict[int, float]:
    """Return {doc number: the sum of each (term, weight)'s BM25 title score times its weight}."""
    scores: dict[int, float] = {}
    for term, weight in terms:
        ids, values, _ = view.context.bm25f(term, ("title",))
        for doc, value in zip(ids.tolist(), values.tolist()):
            scores[doc] = scores.get(doc, 0.0) + weight * value
    return scores


@pytest.mark.parametrize("typed, prefixes", [("ngân hàng", None), ("việt nam", None), ("học sinh", None),
                                             ("hà", ["noi"]), ("giá", ["vang", "xang"]),
                                             ("biden", ["dac", "len", "tai", "tro"])])
def test_title_candidates_without_phrase_rank_by_title_bm25_of_the_words_their_accents_and_prefixes(
        demo_index, typed, prefixes):
    view = WhooshBackend(demo_index).view()
    words = syllables_of(typed)
    terms = [(w.folded, 1.0) for w in words] + [(w.exact, 1.0) for w in words if w.exact != w.folded]
    scores = title_score(view, terms + [(term, DEFAULT_RANKING.prefix_weight) for term in prefixes or []])
    numbers = {view.snapshot.stored(doc)["id"]: doc for doc in scores}
    found = [stored["id"] for stored in view.title_candidates(words, prefixes, 200)]
    assert found == sorted(found, key=lambda doc_id: (-scores[numbers[doc_id]],
                                                      -int(view.snapshot.timestamp[numbers[doc_id]])))
    assert len(found) > 1 and len({scores[numbers[doc_id]] for doc_id in found}) > 1


def phrase_start(title: str, folded: list[str], prefixes: list[str]) -> int | None:
    """Return where the folded words, then one of prefixes, first stand in a row in a title (read from
    its text, not the index); None: nowhere."""
    syllables = [s.folded for s in syllables_of(title)]
    for start in range(len(syllables) - len(folded)):
        if syllables[start : start + len(folded)] == folded and syllables[start + len(folded)] in prefixes:
            return start
    return None


# "ban", "hoc": a title the phrase begins comes before a better-scored one where it starts at position 1;
# "biden": the typed word's score and the prefix terms' order the titles differently.
# "tỷ": the typed word's score as typed (with its accent) orders the titles differently from its folded one.
@pytest.mark.parametrize("typed, prefixes", [("hà", ["noi"]), ("việt", ["nam"]), ("", ["ha"]), ("", ["ban"]),
                                             ("", ["hoc"]), ("biden", ["dac", "len", "tai", "tro"]),
                                             ("tỷ", ["do", "doan", "doanh", "doc", "doi", "don", "dong", "dot"])])
def test_title_candidates_of_a_phrase_are_the_titles_holding_it_those_it_begins_first_then_by_bm25_then_newest(
        demo_index, typed, prefixes):
    view = WhooshBackend(demo_index).view()
    snapshot, words = view.snapshot, syllables_of(typed)
    folded = [w.folded for w in words]
    # Summed in the backend's order (each word folded, then as typed), so that equal scores stay equal.
    terms = [term for w in words for term in [(w.folded, 1.0)] + ([(w.exact, 1.0)] if w.exact != w.folded else [])]
    scores = title_score(view, terms + [(term, DEFAULT_RANKING.prefix_weight) for term in prefixes])
    found = view.title_candidates(words, prefixes, 200, phrase=True)
    live = [snapshot.stored(n) for n in range(snapshot.doc_count) if snapshot.live[n]]
    holding = {stored["id"] for stored in live if phrase_start(stored.get("title") or "", folded, prefixes) is not None}
    assert {stored["id"] for stored in found} == holding
    numbers = [snapshot.document_number(stored["id"]) for stored in found]
    starts = [phrase_start(stored["title"], folded, prefixes) for stored in found]
    order = [(start > 0, -scores[n], -int(snapshot.timestamp[n])) for start, n in zip(starts, numbers)]
    assert order == sorted(order)
    assert len(found) > 3 and [stored["id"] for stored in view.title_candidates(words, prefixes, 3, phrase=True)] == [
        stored["id"] for stored in found[:3]]


def test_the_embedded_backends_health_gives_its_live_articles_last_reindex_and_generation(demo_index):
    generation = current_generation(demo_index)
    assert WhooshBackend(demo_index).health() == {
        "documents": 201, "last_reindex": read_meta(generation)["last_reindex"], "generation": generation.name}


def test_the_embedded_backends_reindex_passes_its_sources_and_every_option_to_the_index(tmp_path):
    source = make_source(tmp_path, count=2)
    backend = WhooshBackend(tmp_path / "ix", refresh_seconds=0)
    phases = []
    # The portal page is a little over 7 KB, the two news lines smaller.
    first = backend.reindex([str(source)], procs=1, max_article_bytes=7000,
                            progress=lambda phase, done, total: phases.append(phase))
    [rejection] = first.rejected
    assert (counts(first), rejection.path, first.sources) == (
        (2, 0, 0, 0, 1), str(source / "portal" / PORTAL_ID), [str(source)])
    assert {"index", "commit"} <= set(phases)
    # Remembered sources, the default size limit, and a full rebuild asked for.
    rebuilt = backend.reindex(full=True, procs=1)
    assert (rebuilt.full, counts(rebuilt), rebuilt.documents) == (True, (3, 0, 0, 0, 0), 3)
    assert backend.health()["documents"] == 3
    damaged = current_generation(tmp_path / "ix")
    flip_middle_byte(max(damaged.glob("*.pst"), key=lambda path: path.stat().st_size))
    with pytest.raises(IndexDamaged):
        backend.reindex(procs=1)
    with writer_lock_held(tmp_path / "ix"), pytest.raises(IndexBusy, match=r"; gave up after 0\.2 s$"):
        backend.reindex(procs=1, repair=True, lock_timeout=0.2)  # its own timeout, not the default minute
    repaired = backend.reindex(procs=1, repair=True)
    assert (repaired.full, counts(repaired), repaired.replaced_damaged) == (True, (3, 0, 0, 0, 0), damaged.name)


def test_the_embedded_backend_checksums_every_file_again_after_a_failed_read_and_then_refuses_the_index(
        index_copy, tmp_path):
    backend = WhooshBackend(index_copy, refresh_seconds=3600)
    assert backend.snapshot().live_count == 201 and backend.verify_after_failure() == []
    postings = max(current_generation(index_copy).glob("*.pst"), key=lambda path: path.stat().st_size)
    # Damage that keeps the file's size, time and inode: only a checksum of every file again finds it.
    before = postings.stat()
    flip_middle_byte(postings)
    os.utime(postings, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert backend.snapshot().live_count == 201  # verified an hour ago: not checked again
    [problem] = backend.verify_after_failure()
    assert (problem.file, problem.kind) == (postings.name, "checksum")
    with pytest.raises(IndexDamaged) as refused:
        backend.snapshot()
    assert refused.value.problems == [problem]
    assert WhooshBackend(tmp_path / "nothing").verify_after_failure() == []


def test_a_question_no_article_half_answers_is_matched_on_any_of_its_words_through_the_backend(demo_index):
    q = "bộ chính trị qzxwa qzxwb qzxwc qzxwd qzxwe"  # eight words: no article holds four
    matches = WhooshBackend(demo_index).search(SearchRequest(q=q), parse_query(q))
    assert (matches.matching, matches.tier, matches.wider) == ("any", "most", {}) and matches.total > 0
    # A question some articles half answer (its words nowhere together) is matched on most of them.
    asked = "bộ chính trị chỉ thị 05 kiên giang"
    answered = WhooshBackend(demo_index).search(SearchRequest(q=asked), parse_query(asked))
    assert (answered.matching, answered.tier, answered.wider) == ("most", "most", {}) and answered.total > 0


def test_title_candidates_leave_out_an_article_deleted_but_still_in_its_segment(tmp_path):
    source = make_source(tmp_path, count=4, portal=False)
    backend = WhooshBackend(tmp_path / "ix", refresh_seconds=0)
    backend.reindex([str(source)], procs=1)
    write_jsonl(source / "news.jsonl", DEMO_ARTICLES[1:4])  # "Vinamilk lọt Top 1.000 thương hiệu ..." deleted
    assert counts(backend.reindex(procs=1)) == (0, 0, 1, 3, 0)
    view = backend.view()
    assert (view.snapshot.doc_count, view.snapshot.live_count) == (4, 3)
    words = syllables_of("Vinamilk lọt")
    assert view.title_candidates(words, ["top"], 10, phrase=True) == []
    assert view.title_candidates(words, ["top"], 10) == []
    assert view.search(SearchRequest(q="vinamilk"), parse_query("vinamilk")).total == 0


@pytest.mark.parametrize("q", ["bộ chính trị", "ha noi", "giá vàng hôm nay tăng mạnh"])
def test_top_documents_of_a_query_typed_or_parsed_are_its_first_relevance_page(engine, q):
    view = engine.backend.view()
    first_page = [hit["id"] for hit in engine.search(SearchRequest(q=q))["hits"]]
    assert first_page and [stored["id"] for stored in view.top_documents(q)] == first_page
    assert [stored["id"] for stored in view.top_documents(parse_query(q))] == first_page


def test_the_embedded_backend_keeps_the_decoded_segments_its_reindexes_left_alone_and_their_cached_postings(
        tmp_path):
    source = make_source(tmp_path, count=2, portal=False)
    backend = WhooshBackend(tmp_path / "ix", refresh_seconds=0, postings_cache_mb=16)
    backend.reindex([str(source)], procs=1)
    [(first_key, first)] = [(data.key, data) for _, _, data in backend.snapshot().leaves]
    backend.search(SearchRequest(q="vinamilk"), parse_query("vinamilk"))
    held = backend.postings_cache.keys()  # a list: the cache is no mapping
    cached = {key for key in held if key[0] == first_key}
    assert cached
    for count in (3, 4):  # each incremental reindex adds an article in a segment of its own
        write_jsonl(source / "news.jsonl", DEMO_ARTICLES[:count])
        assert counts(backend.reindex(procs=1))[:2] == (1, 0)
        segments = {data.key: data for _, _, data in backend.snapshot().leaves}
        assert len(segments) == count - 1 and segments[first_key] is first  # read once, not again
        assert cached <= set(backend.postings_cache.keys())  # kept for the next searches
    assert backend.snapshot() is backend.snapshot()  # nothing changed since: not opened again


def test_top_documents_of_a_typed_query_keep_as_many_words_as_the_views_ranking_allows(demo_index):
    ranking = replace(DEFAULT_RANKING, max_query_terms=2)
    q = "bộ chính trị chỉ thị 05"
    view = WhooshBackend(demo_index, ranking=ranking).view()
    first_page = [hit["id"] for hit in SearchEngine(demo_index, ranking=ranking).search(SearchRequest(q=q))["hits"]]
    assert [stored["id"] for stored in view.top_documents(q)] == first_page
    assert first_page == [stored["id"] for stored in view.top_documents(parse_query("bộ chính"))]
    assert first_page != [stored["id"] for stored in view.top_documents(parse_query(q))]


def test_a_postings_cache_budget_of_nothing_keeps_no_cache_and_searches_alike(demo_index):
    uncached, cached = WhooshBackend(demo_index, postings_cache_mb=0), WhooshBackend(demo_index, postings_cache_mb=1)
    assert (uncached.postings_cache, cached.postings_cache.budget) == (None, 1024 * 1024)
    request, parsed = SearchRequest(q="bộ chính trị"), parse_query("bộ chính trị")
    assert [d["id"] for d in uncached.search(request, parsed).documents] == [
        d["id"] for d in cached.search(request, parsed).documents]


def test_the_backend_names_the_tier_and_accents_it_answered_from_the_wider_tiers_counts_and_facets_when_asked(
        demo_index):
    backend = WhooshBackend(demo_index)

    def total(q: str, match: str) -> int:
        return backend.search(SearchRequest(q=q, match=match), parse_query(q)).total

    # A query answered with its accents folded counts its wider tiers folded too.
    for q, tier, accents, counted in [("bộ chính trị", "together", "exact", "bộ chính trị"),
                                      ("bộ chính trí", "together", "folded", "bo chinh tri"),
                                      ("ngân hàng covid", "all", "exact", "ngân hàng covid")]:
        matches = backend.search(SearchRequest(q=q), parse_query(q))
        wider_tiers = ("all", "most")[("together", "all").index(tier):]
        wider = {name: total(counted, name) - matches.total for name in wider_tiers}
        assert (matches.matching, matches.tier, matches.accents, matches.wider) == ("all", tier, accents, wider)
        assert matches.total > 0 and isinstance(matches.facets, FacetCounts)
        assert backend.search(SearchRequest(q=q, facets=False), parse_query(q)).facets is None


@pytest.mark.parametrize("scoped", [False, True])
def test_a_questions_relevance_pages_are_ranked_from_its_wider_pool_and_hold_as_many_articles_as_its_total(
        demo_index, monkeypatch, scoped):
    if scoped:  # as in an index of 10,000 articles or more: only the pool the page is ordered from is scored
        monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", 0)
    q = "chưa xóa sổ trạm về tiền tránh bẫy"  # two titles' words: no article holds them together
    backend = WhooshBackend(demo_index)
    first = backend.search(SearchRequest(q=q), parse_query(q))
    newest = backend.search(SearchRequest(q=q, sort="newest"), parse_query(q))
    assert 0 < first.total == newest.total == len(first.documents) == len(newest.documents) < 10
    # Articles holding a fifth of its words rank among those holding half of them, which the total counts.
    assert {d["id"] for d in first.documents} != {d["id"] for d in newest.documents}
    second = backend.search(SearchRequest(q=q, page=2), parse_query(q))
    assert (second.total, second.documents) == (first.total, [])


@pytest.fixture()
def rankings(monkeypatch) -> list[int]:
    """Count the first pages the embedded backend ranks (``order_page`` calls)."""
    ranked = []
    order_page = whoosh_backend.order_page
    monkeypatch.setattr(whoosh_backend, "order_page", lambda *args: ranked.append(1) or order_page(*args))
    return ranked


def test_same_top_tells_a_querys_first_page_without_ranking_when_its_result_set_decides(demo_index, monkeypatch,
                                                                                          rankings):
    view, parsed = WhooshBackend(demo_index).view(), parse_query("bộ chính trị")
    top = view.top_documents(parsed)
    matched = view.search(SearchRequest(q="bộ chính trị", size=100), parsed)
    assert matched.total <= 100  # every article of its result set below
    outsider = next(d for d in view.top_documents(parse_query("giá vàng"))
                    if d["id"] not in {found["id"] for found in matched.documents})
    looked_up = []
    lookup = view.snapshot.document_number
    monkeypatch.setattr(view.snapshot, "document_number", lambda doc_id: looked_up.append(doc_id) or lookup(doc_id))
    rankings.clear()
    assert len(top) > 2 and view.same_top(parsed, top) and not view.same_top(parsed, top[::-1])
    assert (looked_up, len(rankings)) == ([], 2)  # the articles it returned are known by number
    # Fewer than its page, or one outside its result set: told without ranking.
    assert not view.same_top(parsed, top[:-1]) and not view.same_top(parsed, [*top[:-1], outsider])
    assert not view.same_top(parsed, [{"id": "no-such-article"}, *top[1:]])
    assert len(rankings) == 2 and looked_up == ["no-such-article"]  # the outsider was returned by this view too
    fresh = WhooshBackend(demo_index).view()  # knows no article yet: looks their ids up
    assert fresh.same_top(parsed, top) and not fresh.same_top(parsed, [*top[:-1], {"id": "no-such-article"}])


def test_a_question_with_accents_is_ranked_from_the_pool_of_its_unaccented_search_without_matching_again(
        demo_index, monkeypatch):
    plain, accented = "chua xoa so tram ve tien tranh bay", "chưa xóa sổ trạm về tiền tránh bẫy"
    view = WhooshBackend(demo_index).view()
    view.search(SearchRequest(q=plain), parse_query(plain))
    matched = []
    match_query = whoosh_backend.match_query
    monkeypatch.setattr(whoosh_backend, "match_query",
                        lambda *args, **kw: matched.append(1) or match_query(*args, **kw))
    top = [d["id"] for d in view.top_documents(accented)]
    assert matched == [] and top == [d["id"] for d in WhooshBackend(demo_index).view().top_documents(accented)]


def test_the_embedded_backend_refuses_a_damaged_index_keeps_damage_found_for_its_refresh_period_and_serves_a_repair(
        index_copy):
    postings = max(current_generation(index_copy).glob("*.pst"), key=lambda path: path.stat().st_size)
    sound = postings.read_bytes()
    flip_middle_byte(postings)
    patient, prompt = WhooshBackend(index_copy, refresh_seconds=3600), WhooshBackend(index_copy, refresh_seconds=0)
    for backend in (patient, prompt):
        with pytest.raises(IndexDamaged) as refused:
            backend.snapshot()
        assert (refused.value.index_dir, [(p.file, p.kind) for p in refused.value.problems]) == (
            str(index_copy), [(postings.name, "checksum")])
    postings.write_bytes(sound)
    assert prompt.snapshot().live_count == 201  # repaired: served at its next check, without a restart
    with pytest.raises(IndexDamaged):
        patient.snapshot()  # found damaged a moment ago: not checked again before its refresh period ends


def engine_with_a_new_segment(index_dir: Path, tmp_path: Path) -> SearchEngine:
    """Return an engine that opened the index, then a reindex added a segment its next snapshot opens."""
    engine = SearchEngine(index_dir, refresh_seconds=0)
    assert engine.search(SearchRequest(q="bộ chính trị"))["total"] > 0
    source = write_jsonl(tmp_path / "added.jsonl", [{"id": "added-1", "title": "Bài thêm", "body": "Nội dung zyxwv."}])
    reindex(index_dir, [str(source)], procs=1)
    return engine


def test_a_snapshot_opened_while_a_reindex_merges_its_segments_away_reads_the_newer_index(index_copy, tmp_path,
                                                                                           monkeypatch):
    engine = engine_with_a_new_segment(index_copy, tmp_path)
    opened, merged = reader_module.SegmentData.__init__, []

    def merged_first(data, leaf, folder):
        # A reindex commits between the snapshot's reading the table of contents and its opening the new
        # segment's files: it merges every segment into one and deletes theirs (an HTTP 500 once).
        if not merged:
            merged.append(leaf.segment().segid)
            open_writer(store.open_generation(index_copy), 0, procs=1).commit(optimize=True)
        opened(data, leaf, folder)

    monkeypatch.setattr(reader_module.SegmentData, "__init__", merged_first)
    result = engine.search(SearchRequest(q="zyxwv"))
    assert (result["total"], [h["id"] for h in result["hits"]], len(merged)) == (1, ["added-1"], 1)
    assert len(engine.snapshot().leaves) == 1  # the merged segment, read from the newer table


def test_a_table_of_segments_deleted_while_the_index_opens_is_read_again(index_copy, tmp_path, monkeypatch):
    engine = engine_with_a_new_segment(index_copy, tmp_path)
    opened, tried = store.open_generation, []

    def deleted_first(index_dir):
        # A commit deletes the tables before its own: the one just listed is gone when read.
        tried.append(index_dir)
        if len(tried) == 1:
            raise FileNotFoundError(f"{index_dir}/current/_MAIN_1.toc")
        return opened(index_dir)

    monkeypatch.setattr(store, "open_generation", deleted_first)
    result = engine.search(SearchRequest(q="zyxwv"))
    assert (result["total"], [h["id"] for h in result["hits"]], len(tried)) == (1, ["added-1"], 2)


@pytest.mark.parametrize("committing, attempts", [(False, 1), (True, OPEN_ATTEMPTS)])
def test_a_segment_file_missing_is_read_again_only_while_reindexes_commit_and_at_most_three_times(
        index_copy, tmp_path, monkeypatch, committing, attempts):
    engine = engine_with_a_new_segment(index_copy, tmp_path)
    tried = []

    def missing(data, leaf, folder):
        tried.append(leaf.segment().segid)
        if committing:  # another reindex, adding nothing, commits a newer table each time
            open_writer(store.open_generation(index_copy), 0, procs=1).commit()
        raise FileNotFoundError(f"{folder}/{leaf.segment().segid}.pst")

    monkeypatch.setattr(reader_module.SegmentData, "__init__", missing)
    with pytest.raises(FileNotFoundError):
        engine.snapshot()
    assert OPEN_ATTEMPTS == 3 and len(tried) == attempts
