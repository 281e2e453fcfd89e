"""Result sets that hold what was typed: accents per syllable, words together, tiers one step away.

Every test runs on both backends: the embedded index and the SphinxQL cluster.

The oracle reads the demo articles with its own tokenizer: a syllable typed with diacritics
must stand with exactly those diacritics (lower case, NFC, either tone placement of open
rhymes), one typed without matches any accented form; "together" = every query syllable
within a run of 2n syllables (n = the query's syllables) in the title or in the body.
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from unidecode import unidecode

from search import abbreviations, matching
from search.cluster_index import reindex_cluster
from search.engine import SearchEngine, open_engine
from search.index import reindex
from search.parse import parse_query
from search.ranking import DEFAULT_RANKING
from search.request import SearchRequest
from search.schema import TEXT_FIELDS
from search.sphinxql import Cluster
from search.text import normalize_term
from search.understand import Vocabulary, understand
from tests.helpers import DEMO, DEMO_ARTICLES, MARK_RE, PORTAL_ID, ROOT, write_jsonl
from tests.sphinx_cluster import running_cluster
from vnsearch.cli import main as cli_main
from web.app import create_app

WIDER_NOTICE_WORDS = "Xem thêm"


# The oracle ----------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Lower-case NFC syllables (runs of letters and digits)."""
    return list(_words(text))


# The oracle reads the same two hundred articles for every test: their syllables, folded forms
# and accepted spellings are worked out once (the oracle was most of this module's CPU time).
@functools.cache
def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text).lower()))


@functools.cache
def folded(word: str) -> str:
    return unidecode(word).lower()


@functools.cache
def typed_forms(syllable: str) -> frozenset[str] | None:
    """The spellings an accented syllable accepts (both tone placements); None: any spelling."""
    if folded(syllable) == syllable:
        return None
    swapped = {"òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ", "òe": "oè", "óe": "oé", "ỏe": "oẻ",
               "õe": "oẽ", "ọe": "oẹ", "ùy": "uỳ", "úy": "uý", "ủy": "uỷ", "ũy": "uỹ", "ụy": "uỵ"}
    forms = {syllable}
    for old, new in swapped.items():
        if syllable.endswith(old):
            forms.add(syllable[: -len(old)] + new)
        if syllable.endswith(new):
            forms.add(syllable[: -len(new)] + old)
    return frozenset(forms)


def holds(word: str, syllable: str) -> bool:
    forms = typed_forms(syllable)
    return folded(word) == folded(syllable) if forms is None else word in forms


def together_in(field: list[str], query: list[str]) -> bool:
    """Whether every query syllable stands within a run of 2n words of the field."""
    width = 2 * len(query)
    held = [[i for i, w in enumerate(field) if holds(w, s)] for s in query]
    # A run holding every syllable holds one starting at its first word that holds one.
    starts = sorted({i for positions in held for i in positions})
    return all(held) and any(all(any(start <= i < start + width for i in positions) for positions in held)
                             for start in starts)


@functools.cache
def together(q: str) -> frozenset[str]:
    """Ids of the demo articles (and the portal article) holding q's words together, as typed."""
    query = words(q)
    found = {a["id"] for a in DEMO_ARTICLES
             if together_in(words(a["title"]), query) or together_in(words(a["body"]), query)}
    portal = (DEMO / "portal" / PORTAL_ID).read_text(encoding="utf-8")
    if together_in(words(portal), query):
        found.add(PORTAL_ID)
    return frozenset(found)


@functools.cache
def everywhere(q: str) -> frozenset[str]:
    """Ids of the demo news articles holding every word of q anywhere (as typed)."""
    query = words(q)
    return frozenset(a["id"] for a in DEMO_ARTICLES
                     if all(any(holds(w, s) for w in words(a["title"] + " " + a["body"])) for s in query))


def in_a_row_in(field: list[str], syllables: list[str]) -> bool:
    """Whether the syllables stand in a row in the field."""
    n = len(syllables)
    return any(all(holds(w, s) for w, s in zip(field[i : i + n], syllables)) for i in range(len(field) - n + 1))


@functools.cache
def apart(q: str, compounds: tuple[str, ...]) -> frozenset[str]:
    """Ids of the demo articles of the all tier: every word of q anywhere, each of compounds in a row in
    the title or the body."""
    texts = {a["id"]: [words(a["title"]), words(a["body"])] for a in DEMO_ARTICLES}
    texts[PORTAL_ID] = [words((DEMO / "portal" / PORTAL_ID).read_text(encoding="utf-8"))]
    return frozenset(i for i, fields in texts.items()
                     if all(any(holds(w, s) for f in fields for w in f) for s in words(q))
                     and all(any(in_a_row_in(f, words(c)) for f in fields) for c in compounds))


TINY = ROOT / "tests" / "fixtures" / "tiny.jsonl"


@pytest.fixture(scope="module", params=["embedded", "cluster"])
def backend(request) -> str:
    """Return the backend the module's tests run on."""
    return request.param


@pytest.fixture(scope="module")
def engine(backend, demo_index, request) -> SearchEngine:
    """The demo corpus, in the embedded index or on the cluster."""
    if backend == "cluster":
        return open_engine("", request.getfixturevalue("demo_cluster").url)
    return SearchEngine(demo_index)


@pytest.fixture(scope="module")
def tiny(backend, tmp_path_factory) -> SearchEngine:
    """tests/fixtures/tiny.jsonl (nine short articles cut from the demo corpus), indexed by the backend."""
    directory = tmp_path_factory.mktemp("tiny-matching")
    if backend == "embedded":
        reindex(directory / "index", [str(TINY)], procs=1)
        yield SearchEngine(directory / "index")
        return
    with running_cluster(directory / "nodes") as cluster:
        reindex_cluster(Cluster(cluster.url), directory / "lock", [str(TINY)], procs=1)
        yield open_engine("", cluster.url)


# Helpers ------------------------------------------------------------------------------------


def run(engine: SearchEngine, q: str, **params) -> dict:
    return engine.search(SearchRequest.from_params({"q": q, **params}))


def every_hit(engine: SearchEngine, q: str, **params) -> list[dict]:
    hits, page = [], 1
    while True:
        result = run(engine, q, size=50, page=page, **params)
        hits.extend(result["hits"])
        if page >= result["pages"]:
            return hits
        page += 1


def marks(fragment: str) -> list[str]:
    return [html.unescape(m) for m in MARK_RE.findall(fragment)]


# Accents and words together ------------------------------------------------------------------


def test_accented_query_returns_only_the_articles_holding_it_portal_first(engine):
    result = run(engine, "Bộ Chính trị")
    hits = every_hit(engine, "Bộ Chính trị")
    expected = together("Bộ Chính trị")
    assert {h["id"] for h in hits} == expected and len(expected) == 3
    assert result["hits"][0]["id"] == PORTAL_ID
    assert (result["tier"], result["accents"], result["matching"], result["total"]) == ("together", "exact", "all", 3)
    for hit in hits:
        article = engine.article(hit["id"])
        assert "bộ chính trị" in " ".join(words(article["title"] + " " + article["body"]))
    years = Counter((h["published"] or "none")[:4] for h in hits)
    assert {i["value"]: i["count"] for i in result["facets"]["year"]} == dict(years)


def test_unaccented_query_returns_the_words_together_in_any_accented_form(engine):
    hits = every_hit(engine, "bo chinh tri")
    assert {h["id"] for h in hits} == together("bo chinh tri")
    # Dozens of articles hold "bò", "chỉnh" and "trì" somewhere: none of them is in the set.
    assert len(everywhere("bo chinh tri")) > 10 * len(hits)
    result = run(engine, "bo chinh tri")
    # Nor in the all tier, which keeps the compound "chinh tri" in a row: a few articles more.
    kept_whole = apart("bo chinh tri", ("chinh tri",)) - {h["id"] for h in hits}
    assert result["tier"] == "together" and 0 < result["wider"]["all"] == len(kept_whole) < 10


@pytest.mark.parametrize(("q", "compounds"), [
    ("chính trị kinh tế", ("chính trị", "kinh tế")),  # together nowhere: answered from the all tier
    ("quan ly nha nuoc", ("quan ly", "nha nuoc")),  # without accents, any accented form in a row
])
def test_the_all_tier_keeps_each_compound_word_in_a_row(engine, q, compounds):
    # Articles holding "chỉnh", "trị", "kinh" and "tế" scattered hold every syllable, not the words.
    result = run(engine, q, match="all")
    kept_whole = apart(q, compounds)
    assert {h["id"] for h in every_hit(engine, q, match="all")} == kept_whole
    assert (result["tier"], result["total"]) == ("all", len(kept_whole))
    assert len(everywhere(q)) > 2 * len(kept_whole) > 0
    # Wider, the most tier holds the articles holding the syllables scattered.
    assert result["wider"]["most"] >= len(everywhere(q) - kept_whole)


@pytest.mark.parametrize("read_every", [None, 2, 0])  # the documents read: all, every other one, none
def test_a_compound_word_is_kept_whole_with_the_accents_typed_within_and_beyond_the_documents_read(
        demo_index, read_every):
    # No article writes "chính trí" with these accents: the tiers find nothing as typed, "Chính trị" folded;
    # 33 articles hold "bộ", "chính" and "trí" apart, 2 of them "chính trị" too.
    parsed = understood(SearchEngine(demo_index), "bộ chính trí")
    assert [[s.raw for s in c] for c in parsed.compounds] == [["chính", "trí"]]
    ctx = fresh_context(demo_index)
    read = None if read_every is None else (np.arange(ctx.size) % 2 == 1 if read_every else np.zeros(ctx.size, bool))
    exact = matching.tier_masks(ctx, parsed, True, ctx.snapshot.live, read=read)
    folded = matching.tier_masks(ctx, parsed, False, ctx.snapshot.live, read=read)
    assert (exact.finds("together"), exact.finds("all"), folded.finds("together"), folded.finds("all")) == (
        False, False, True, True)
    assert matching.all_words(ctx, parsed).sum() == 33


def test_beyond_the_documents_read_the_all_tier_needs_every_word_with_its_compounds_in_a_row(demo_index):
    # One context, none of its documents read: the all tier is searched beyond them, query by query.
    ctx = fresh_context(demo_index)
    none = np.zeros(ctx.size, dtype=bool)
    # The article holding "vinamilk", "chính" and "trị" holds no "chính trị"; others do, without "vinamilk".
    engine = SearchEngine(demo_index)
    apart = matching.tier_masks(ctx, understood(engine, "chính trị vinamilk"), True, ctx.snapshot.live, read=none)
    assert matching.all_words(ctx, understood(engine, "chính trị vinamilk")).any()
    assert (apart.finds("together"), apart.finds("all")) == (False, False)
    kept = matching.tier_masks(ctx, understood(engine, "chính trị kinh tế"), True, ctx.snapshot.live, read=none)
    assert (kept.finds("together"), kept.finds("all")) == (False, True) and not kept["all"].any()


def test_the_all_tier_marks_its_compound_words_whole(engine):
    # Answered from the all tier: a snippet marks "chính trị" and "kinh tế" as words, never their
    # syllables apart.
    marked = [m for h in run(engine, "chính trị kinh tế")["hits"] for m in MARK_RE.findall(h["snippet"])]
    assert marked and {m.lower() for m in marked} <= {"chính trị", "kinh tế"}


def test_query_with_every_word_in_one_article_returns_it_and_offers_the_wider_set(engine):
    result = run(engine, "thanh nien dot tu")
    assert [h["id"] for h in result["hits"]] == ["unc-news_society_002"]
    assert (result["total"], result["tier"], result["wider"]["all"]) == (1, "together", 0)
    assert result["wider"]["most"] > 100
    wider = run(engine, "thanh nien dot tu", match="most")
    assert (wider["tier"], wider["match"], wider["total"]) == ("most", "most", 1 + result["wider"]["most"])
    assert wider["hits"][0]["id"] == "unc-news_society_002"
    assert wider["notices"] == []  # asked for, so no "not enough results" notice


def test_accented_syllable_matches_only_its_accents_and_unaccented_every_form(tiny):
    assert {h["id"] for h in run(tiny, "bán")["hits"]} == {"ban-sell"}
    assert {h["id"] for h in run(tiny, "bàn")["hits"]} == {"ban-table"}
    assert {"ban-sell", "ban-table"} <= {h["id"] for h in run(tiny, "ban")["hits"]}
    # Decided per syllable: "hoa" folded, "Bình" exact (either tone placement of "Hòa").
    assert [h["id"] for h in run(tiny, "Trương hoa Bình")["hits"]] == ["nfd-hoa-binh"]


def test_accented_query_found_nowhere_falls_back_to_folded_and_says_so(engine):
    q = "bồ chính trí"  # no article holds these accents together (two hold them scattered)
    assert not together(q) and everywhere(q)
    result = run(engine, q)
    assert (result["tier"], result["accents"]) == ("together", "folded")
    assert {h["id"] for h in every_hit(engine, q)} == together("bo chinh tri")
    assert any("dấu" in notice for notice in result["notices"])


def published_day(article_id: str) -> str:
    """Return the publication day (YYYY-MM-DD) of a demo article or of the portal article."""
    if article_id == PORTAL_ID:
        return "2019-08-21"
    return next(a["published"][:10] for a in DEMO_ARTICLES if a["id"] == article_id)


def counted(hits: list[dict], name: str) -> dict[str, int]:
    """Return a facet's counts as the hits give them (year, month, category or source)."""
    if name in ("year", "month"):
        return dict(Counter(h["published"][: 4 if name == "year" else 7] for h in hits))
    return dict(Counter(h[name] for h in hits))


@pytest.mark.parametrize("q", ["bo chinh tri", "việt nam", "kinh tế", '"Hà Nội"'])
def test_a_date_range_holds_the_whole_set_s_articles_published_within_it(engine, q):
    # The together tier is searched within the date range alone (every count applies it): the total,
    # the facets and the pages are still those of the whole set's articles published then.
    whole = run(engine, q)
    hits = every_hit(engine, q)
    days = sorted(published_day(h["id"]) for h in hits)
    low, high = days[max(1, len(days) // 4)], days[min(len(days) - 2, 3 * len(days) // 4)]
    within = [h for h in hits if low <= published_day(h["id"]) <= high]
    assert whole["tier"] == "together" and 0 < len(within) < len(hits)
    dated = {"from": low, "to": high}
    result = run(engine, q, **dated)
    assert (result["tier"], result["accents"], result["total"]) == (whole["tier"], whole["accents"], len(within))
    assert {h["id"] for h in every_hit(engine, q, **dated)} == {h["id"] for h in within}
    for name in ("year", "month", "category", "source"):
        assert {i["value"]: i["count"] for i in result["facets"][name]} == counted(within, name), name
    bare = run(engine, q, facets=0, **dated)
    assert ([h["id"] for h in bare["hits"]], bare["total"]) == ([h["id"] for h in result["hits"]], result["total"])
    # A category chosen as well (its facet counts the other categories): within the range still.
    category = result["facets"]["category"][0]["value"]
    chosen = run(engine, q, category=category, **dated)
    assert chosen["total"] == sum(h["category"] == category for h in within)
    assert {i["value"]: i["count"] for i in chosen["facets"]["category"]} == counted(within, "category")


def test_a_date_range_holding_the_words_only_apart_answers_nothing_from_the_same_tier(engine):
    # The tier depends on the query alone: an article elsewhere holds the words together, so a day when
    # they stand only apart finds nothing, and offers the articles holding them all.
    q = "bo chinh tri"
    together_days = {published_day(i) for i in together(q)}
    elsewhere = Counter(published_day(i) for i in apart(q, ("chinh tri",)) if published_day(i) not in together_days)
    day, count = elsewhere.most_common(1)[0]
    result = run(engine, q, **{"from": day, "to": day})
    assert (result["tier"], result["total"], result["hits"]) == ("together", 0, [])
    assert result["wider"]["all"] == count > 0
    assert {i["value"]: i["count"] for i in result["facets"]["year"]} == {}


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_date_sorted_pages_hold_only_articles_with_the_words_together(engine, sort):
    result = run(engine, "việt nam", sort=sort, size=20)
    # "VN" is the abbreviation dictionary's other form of "Việt Nam": its articles belong too.
    expected = together("việt nam") | together("vn")
    assert len(expected) > 20 and result["total"] == len(expected)
    assert all(h["id"] in expected for h in result["hits"])


def test_question_facets_and_date_sorts_never_count_articles_with_under_half_the_words(engine):
    q = "Vinamilk có lọt vào top thương hiệu hàng đầu châu Á hay không nhỉ"
    query = set(words(q))
    newest = every_hit(engine, q, sort="newest")
    for hit in newest:
        article = engine.article(hit["id"])
        held = {s for s in query if any(holds(w, s) for w in words(article["title"] + " " + article["body"]))}
        assert len(held) * 2 >= len(query), hit["id"]
    result = run(engine, q)
    assert result["hits"][0]["id"] == "unc-news_business_001"
    # One set whatever the order: the total, the facets, the newest and the relevance pages.
    assert result["total"] == len(newest) == sum(i["count"] for i in result["facets"]["year"])
    assert run(engine, q, sort="newest")["total"] == result["total"]
    assert len(every_hit(engine, q)) == result["total"]


def test_a_question_no_article_half_answers_counts_its_wider_pool_everywhere(engine):
    q = "bộ chính trị qzxwa qzxwb qzxwc qzxwd qzxwe"  # eight words: no article holds four
    result = run(engine, q)
    assert result["matching"] == "any" and "Không đủ kết quả chứa tất cả các từ" in " ".join(result["notices"])
    newest = every_hit(engine, q, sort="newest")
    assert result["total"] == len(newest) == len(every_hit(engine, q)) == sum(
        i["count"] for i in result["facets"]["year"]) > 0
    query = {folded(w) for w in words(q)}
    for hit in newest:  # a fifth of eight words, in any accented form: two
        article = engine.article(hit["id"])
        assert len(query & {folded(w) for w in words(article["title"] + " " + article["body"])}) >= 2, hit["id"]


def test_a_word_typed_with_inner_punctuation_counts_once_towards_a_question(engine):
    # Five words ("Covid-19" is one), not six syllables: not a question, so the tiers answer.
    result = run(engine, "có ca mắc Covid-19 mới")
    assert (result["tier"], result["matching"]) == ("together", "all")
    assert [h["id"] for h in result["hits"]] == ["unc-news_health_001"] and result["total"] == 1
    # Six words, apart in every article: a question, answered from the articles holding half of them.
    result = run(engine, "ca mắc Covid-19 mới tử vong")
    assert (result["tier"], result["matching"], result["wider"]) == ("most", "most", {})


def test_a_question_whose_words_stand_together_is_answered_from_there_with_the_wider_tiers_offered(engine):
    # Six words, together in one title ("Việt Nam không có ca mắc Covid-19 mới"): the set means
    # what was typed, not the articles holding three of the words.
    q = "không có ca mắc Covid-19 mới"
    result = run(engine, q)
    wider = {tier: run(engine, q, match=tier)["total"] - 1 for tier in ("all", "most")}
    assert (result["tier"], result["matching"], result["total"], result["wider"]) == ("together", "all", 1, wider)
    assert [h["id"] for h in result["hits"]] == [h["id"] for h in every_hit(engine, q, sort="newest")] == [
        "unc-news_health_001"]
    assert sum(i["count"] for i in result["facets"]["year"]) == 1 and 1 < wider["all"] < wider["most"]


# Highlights ---------------------------------------------------------------------------------


def test_highlights_mark_only_the_forms_and_places_that_matched(engine):
    portal = next(h for h in run(engine, "Bộ Chính trị")["hits"] if h["id"] == PORTAL_ID)
    for marked in marks(portal["snippet"]) + marks(portal["title_html"]):
        assert words(marked) == ["bộ", "chính", "trị"], marked
    assert marks(portal["title_html"]) == ["Bộ Chính trị"]  # not the "bộ" of "cán bộ"
    article = engine.article(PORTAL_ID, q="Bộ Chính trị")
    assert "cán <mark>bộ</mark>" not in article["body_html"] and "<mark>Bộ Chính trị</mark>" in article["body_html"]


def test_accented_query_marks_only_its_accents(tiny):
    hit = run(tiny, "bán")["hits"][0]
    assert marks(hit["snippet"]) and all(words(m) == ["bán"] for m in marks(hit["snippet"]))


def test_wider_tier_marks_the_words_wherever_they_stand(engine):
    article = engine.article(PORTAL_ID, q="bộ chính trị", match="all")
    assert "cán <mark>bộ</mark>" in article["body_html"]


def test_snippet_shows_where_the_words_stand_together(engine):
    for hit in run(engine, "xe dien")["hits"]:
        marked = [folded(" ".join(words(m))) for m in marks(hit["snippet"])]
        assert "xe dien" in marked, (hit["id"], hit["snippet"])


# The tier round-trips through the API, the page and the command line -------------------------


@pytest.fixture(scope="module")
def target(backend, demo_index, request) -> list[str]:
    """The command-line options that point at the demo corpus on the module's backend."""
    if backend == "cluster":
        return ["--backend", request.getfixturevalue("demo_cluster").url]
    return ["--index", str(demo_index)]


@pytest.fixture(scope="module")
def client(target):
    option, value = target
    return create_app({"INDEX_DIR" if option == "--index" else "BACKEND": value}).test_client()


@pytest.mark.parametrize("match", ["auto", "together", "all", "most"])
def test_api_takes_and_reports_the_tier(client, match):
    response = client.get("/api/search", query_string={"q": "thanh nien dot tu", "match": match})
    assert response.status_code == 200
    data = response.get_json()
    assert data["match"] == match
    assert data["tier"] == ("together" if match == "auto" else match)
    assert set(data["wider"]) == {"together": {"all", "most"}, "all": {"most"}, "most": set()}[data["tier"]]


def test_api_rejects_an_unknown_tier(client):
    response = client.get("/api/search", query_string={"q": "covid", "match": "some"})
    assert response.status_code == 400
    assert response.get_json()["error"]["param"] == "match"


def test_page_links_to_the_wider_set_and_keeps_the_tier(client):
    soup = BeautifulSoup(client.get("/?q=thanh+nien+dot+tu").get_data(as_text=True), "html.parser")
    link = soup.select_one("a.wider-tier")
    assert link is not None and WIDER_NOTICE_WORDS in link.get_text()
    params = parse_qs(urlsplit(link["href"]).query)
    assert params["match"] == ["most"] and params["q"] == ["thanh nien dot tu"]
    wider = BeautifulSoup(client.get(link["href"]).get_data(as_text=True), "html.parser")
    assert len(wider.select(".hit")) > 1
    for anchor in wider.select(".pagination a, .sort a"):
        assert parse_qs(urlsplit(anchor["href"]).query)["match"] == ["most"]


def test_cli_match_option_round_trips(target):
    runner = CliRunner()
    result = runner.invoke(cli_main, ["search", *target, "--json", "--match", "most", "thanh", "nien", "dot", "tu"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["match"], data["tier"]) == ("most", "most") and data["total"] > 1
    plain = runner.invoke(cli_main, ["search", *target, "thanh", "nien", "dot", "tu"])
    assert "--match most" in plain.stdout


# The together window, syllable by syllable -----------------------------------------------------

FILLER_SYLLABLES = ["và", "cả", "với", "ở"]


@pytest.fixture(scope="module")
def spaced(tmp_path_factory) -> SearchEngine:
    """Articles where "Hà" stands 1 to 5 syllables before "Nội" (embedded index)."""
    path = tmp_path_factory.mktemp("spaced") / "spaced.jsonl"
    records = [{"id": f"gap-{gap}", "title": f"Bản tin số {gap}",
                "body": " ".join(["Hà", *FILLER_SYLLABLES[: gap - 1], "Nội", "Bài."])} for gap in range(1, 6)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    reindex(path.parent / "index", [str(path)], procs=1)
    return SearchEngine(path.parent / "index")


@pytest.mark.parametrize("q", ["hà nội", "ha noi"])
def test_two_words_stand_together_within_a_run_of_four_syllables(spaced, q):
    # Two syllables: a window of 4, so "Hà" and "Nội" at most 3 positions apart.
    assert {h["id"] for h in run(spaced, q, match="together", size=10)["hits"]} == {"gap-1", "gap-2", "gap-3"}
    assert {h["id"] for h in run(spaced, q, match="all", size=10)["hits"]} == {f"gap-{g}" for g in range(1, 6)}


@pytest.fixture(scope="module")
def other_accents(tmp_path_factory) -> SearchEngine:
    """Articles where "Hà" stands before "nói" (another "noi") and "Nội" (embedded index)."""
    path = tmp_path_factory.mktemp("other-accents") / "other.jsonl"
    bodies = {"noi-close-noi-at-edge": "Hà lá nói về Nội Bài.",  # Nội 4 syllables after Hà: not within 4
              "noi-close-noi-inside": "Hà nói về Nội Bài.", "noi-only": "Hà lá nói về nhà."}
    records = [{"id": key, "title": f"Bản tin {n}", "body": body} for n, (key, body) in enumerate(bodies.items())]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    reindex(path.parent / "index", [str(path)], procs=1)
    return path.parent / "index"


def test_accented_words_after_their_folded_forms_stand_together_only_within_the_window(other_accents, monkeypatch):
    # "did you mean" searches "Hà Nội" after the page's "ha noi": the accented words are looked for from the
    # folded runs' starts (never searched again), where "nói" stands close but "Nội" may stand at the edge.
    folded, accented = parse_query("ha noi"), parse_query("Hà Nội")
    searched = []
    window_docs = matching.window_docs
    monkeypatch.setattr(matching, "window_docs", lambda ctx, name, terms, docs, width: (
        searched.append((terms, len(docs))), window_docs(ctx, name, terms, docs, width))[1])
    for candidates in ("every", "in two parts"):
        shared = fresh_context(other_accents)
        every = shared.snapshot.live.copy()
        if candidates == "every":
            matching.together(shared, folded, True, every)
        else:  # the runs looked for in two sets of articles (a date range, then beyond it): starts kept twice
            first = np.arange(shared.size) % 2 == 0
            matching.together(shared, folded, True, every & first)
            matching.together(shared, folded, True, every & ~first)
        searched.clear()
        found = matching.together(shared, accented, True, every)
        assert all(count == 0 for _, count in searched), searched
        alone = matching.together(fresh_context(other_accents), accented, True, every)
        ids = {shared.snapshot.stored(int(d))["id"] for d in np.flatnonzero(found)}
        assert (found == alone).all() and ids == {"noi-close-noi-inside"}, candidates
    folded_found = np.flatnonzero(matching.together(shared, folded, True, every))
    folded_ids = {shared.snapshot.stored(int(d))["id"] for d in folded_found}
    assert folded_ids == {"noi-close-noi-at-edge", "noi-close-noi-inside", "noi-only"}


# The window's runs, read from the index's postings (the embedded index's matching functions) ----


def positions_in(ctx, fieldname: str, name: str) -> dict[int, list[int]]:
    """{doc: positions of a term in a field}, read posting by posting from the index."""
    postings = ctx.postings(fieldname, name)
    found = {}
    for row in range(len(postings)):
        start, count = int(postings.starts[row]), int(postings.freqs[row])
        found[int(postings.ids[row])] = [int(p) for p in postings.all_positions[start : start + count]]
    return found


def runs_within(ctx, fieldname: str, terms: list[str], width: int) -> set[int]:
    """Docs where every term occurs in one run of width positions of the field."""
    held = [positions_in(ctx, fieldname, name) for name in terms]
    docs = set(held[0]).intersection(*held[1:])
    return {doc for doc in docs for start in {p for h in held for p in h[doc]}
            if all(any(start <= q < start + width for q in h[doc]) for h in held)}


def near_the_rarest(ctx, fieldname: str, terms: list[str], width: int) -> set[int]:
    """Docs where an occurrence of terms[0] has one of every other term less than width away."""
    held = [positions_in(ctx, fieldname, name) for name in terms]
    return {doc for doc, rarest in held[0].items()
            if any(all(any(abs(q - p) < width for q in h.get(doc, [])) for h in held[1:]) for p in rarest)}


WINDOW_TERMS = [["chinh", "tri"], ["bo", "chinh", "tri"], ["viet", "nam"], ["gia", "vang", "tang"],
                ["xe", "dien"], ["nam", "viet"], ["covid"]]
WINDOW_WIDTHS = [1, 2, 4, 6, 12]


@pytest.fixture(scope="module")
def demo_context(demo_index):
    """The embedded demo index's query context (what the matching functions read)."""
    return SearchEngine(demo_index).backend.view().context


@pytest.mark.parametrize("fieldname", ["title", "body"])
def test_window_docs_are_those_holding_every_term_within_a_run_of_the_width(demo_context, fieldname):
    every = np.arange(demo_context.size)
    dropped = kept = 0
    for terms in WINDOW_TERMS:
        for width in WINDOW_WIDTHS:
            expected = runs_within(demo_context, fieldname, terms, width)
            assert set(matching.window_docs(demo_context, fieldname, terms, every, width)) == expected, (terms, width)
            # Only the docs asked about: the odd ones.
            odd = every[1::2]
            found = matching.window_docs(demo_context, fieldname, terms, odd, width)
            assert set(found) == {doc for doc in expected if doc % 2}, (terms, width)
            holding = set.intersection(*(set(positions_in(demo_context, fieldname, t)) for t in terms))
            dropped, kept = dropped + len(holding - expected), kept + len(expected)
    assert dropped and kept  # the widths both drop and keep docs holding every term
    assert not len(matching.window_docs(demo_context, fieldname, ["chinh", "qzxw"], every, 12))


ACCENTED_FRAGMENTS = ["Bộ Chính trị", "giá vàng tăng", "xe điện", "Việt Nam", "chỉnh trí", "nam Việt"]


def fresh_context(demo_index):
    """Return a new query context of the demo index (nothing remembered yet)."""
    return SearchEngine(demo_index).backend.view().context


@pytest.mark.parametrize("text", ACCENTED_FRAGMENTS)
def test_together_with_accents_after_the_folded_words_is_what_it_is_alone(demo_index, text):
    # "Did you mean" searches an unaccented query again with accents restored, in the same query context:
    # the folded words' runs found first narrow where the accented ones are looked for.
    accented, unaccented = parse_query(text), parse_query(unidecode(text))
    alone = fresh_context(demo_index)
    every = alone.snapshot.live.copy()
    expected = matching.together(alone, accented, True, every)
    shared = fresh_context(demo_index)
    folded = matching.together(shared, unaccented, True, every)
    assert (matching.together(shared, accented, True, every) == expected).all()
    assert not (expected & ~folded).any()  # a subset of the folded words' runs
    assert (matching.together(shared, unaccented, True, every) == folded).all()  # the runs remembered
    assert (folded == matching.together(alone, unaccented, True, every)).all()
    assert (folded == matching.together(alone, accented, False, every)).all()


@pytest.mark.parametrize("text", ACCENTED_FRAGMENTS)
def test_the_folded_words_runs_are_searched_once_in_a_query_context(demo_index, monkeypatch, text):
    # The folded words' runs are remembered by document looked at: the same words asked again (the
    # accented query's tiers, "did you mean"'s search) search no document a second time.
    unaccented = parse_query(unidecode(text))
    shared = fresh_context(demo_index)
    every = shared.snapshot.live.copy()
    folded = matching.together(shared, unaccented, True, every)
    searched = []
    window_runs = matching._window_runs
    monkeypatch.setattr(matching, "_window_runs", lambda ctx, name, terms, docs, width: (
        searched.append(len(docs)), window_runs(ctx, name, terms, docs, width))[1])
    assert (matching.together(shared, unaccented, True, every) == folded).all()
    assert searched == []
    matching.together(fresh_context(demo_index), unaccented, True, every)
    assert searched == [int(every.sum())] * len(matching.TEXT_FIELDS)  # a new context searches them all


@pytest.mark.parametrize("fieldname", ["title", "body"])
def test_the_accented_words_runs_found_from_the_folded_runs_starts_are_their_own(demo_context, fieldname):
    # Accented words stand where their folded forms do: each of their runs starts where a run of the folded
    # forms starts, so the folded search's starts are where the accented words are looked for.
    every = np.arange(demo_context.size)
    searched = 0
    for text in [*ACCENTED_FRAGMENTS, "Hà Nội cấm xe máy", "bán bàn", "hòa bình"]:
        parsed = parse_query(text)
        accented = list(dict.fromkeys(matching.term(s) for s in parsed.syllables))
        folded = list(dict.fromkeys(s.folded for s in parsed.syllables))
        width = matching.window(parsed)
        docs, starts = matching._window_runs(demo_context, fieldname, folded, every, width)
        assert docs.tolist() == (starts >> 32).tolist() == matching.window_docs(
            demo_context, fieldname, folded, every, width).tolist()
        found = matching.runs_from_starts(demo_context, fieldname, accented, starts, width)
        expected = matching.window_docs(demo_context, fieldname, accented, every, width)
        assert sorted(set(found.tolist())) == sorted(set(expected.tolist())), (text, fieldname)
        assert set(found.tolist()) <= set(docs.tolist())
        searched += len(set(docs.tolist())) - len(set(found.tolist()))
    assert searched  # some folded runs are not accented ones


@pytest.mark.parametrize("text", ['"Bộ Chính trị"', '"Hà Nội"', '"giá vàng"', '"viet nam"', '"chính trị bộ"'])
def test_together_of_one_phrase_is_every_candidate_with_a_run_of_its_words(demo_index, text):
    # The candidates holding the phrase are in without positions read; the others (here every live
    # article, though a page's candidates hold the phrase) are searched for a run of its words.
    ctx = fresh_context(demo_index)
    parsed = parse_query(text)
    every = ctx.snapshot.live.copy()
    terms = list(dict.fromkeys(matching.term(s) for s in parsed.syllables))
    expected = set()
    for name in TEXT_FIELDS:
        expected |= set(matching.window_docs(ctx, name, terms, np.flatnonzero(every), matching.window(parsed)).tolist())
    found = matching.together(ctx, parsed, True, every)
    assert set(np.flatnonzero(found).tolist()) == expected
    phrase = matching.all_words(ctx, parsed, True)
    assert phrase.any() or text == '"chính trị bộ"'
    assert not (phrase & every & ~found).any()


@pytest.mark.parametrize("text", ['"Hà Nội" cấm xe máy', '"giá vàng" tăng mạnh', '"Bộ Chính trị" họp "Hà Nội"',
                                  '"chính trị bộ" họp'])
def test_phrases_are_read_last_and_within_what_can_still_match(demo_index, text):
    # all_words and at_least read a phrase's positions only where the other words leave a chance; what
    # they find is what each clause's own mask over every article gives.
    ctx = fresh_context(demo_index)
    parsed = parse_query(text)
    clauses = {id(clause): clause_alone(demo_index, clause) for group in parsed.groups for clause in group}
    groups = [functools.reduce(np.logical_or, [clauses[id(c)] for c in group]) for group in parsed.groups]
    every = functools.reduce(np.logical_and, groups)
    assert (matching.all_words(ctx, parsed) == every).all()
    odd = np.arange(ctx.size) % 2 == 1
    assert (matching.all_words(fresh_context(demo_index), parsed, True, odd) == (every & odd)).all()
    phrases = [g for g, group in zip(groups, parsed.groups) if group[0].phrase]
    words = [g for g, group in zip(groups, parsed.groups) if not group[0].phrase]
    sizes = []
    for share in (0.5, 0.2, 1.0):
        expected = functools.reduce(np.logical_and, phrases) & (
            np.sum(words, axis=0) >= max(1, math.ceil(share * len(words))))
        found = matching.at_least(fresh_context(demo_index), parsed, True, share)
        assert (found == expected).all(), share
        sizes.append(int(found.sum()))
    assert sizes[1] or text.startswith('"chính trị bộ"')


def clause_alone(demo_index, clause) -> np.ndarray:
    """Return one clause's documents, read in a context of its own over every article."""
    return matching.clause_mask(fresh_context(demo_index), clause, True)


def run_starts(ctx, fieldname: str, terms: list[str], docs, width: int) -> list[int]:
    """The doc of every occurrence of the terms in docs (in the order of their keys ``doc << 32 | position``,
    an occurrence of each term apart) that starts a run of width positions holding every term."""
    held = [positions_in(ctx, fieldname, name) for name in terms]
    wanted = {int(doc) for doc in docs}
    keys = sorted((doc << 32) | p for h in held for doc, places in h.items() if doc in wanted for p in places)
    return [key >> 32 for key in keys
            if all(any(key & 0xFFFFFFFF <= q < (key & 0xFFFFFFFF) + width for q in h.get(key >> 32, [])) for h in held)]


@pytest.mark.parametrize("fieldname", ["title", "body"])
def test_window_docs_lists_each_occurrence_starting_a_run_whichever_term_anchors(demo_context, fieldname, monkeypatch):
    # What window_docs returns, occurrence by occurrence (not only its set of docs), whichever term
    # _near_rarest starts from: the anchor changes what is read, not the runs.
    every = np.arange(demo_context.size)
    listed = 0
    for terms in WINDOW_TERMS:
        held = [demo_context.postings(fieldname, name) for name in terms]
        for width in WINDOW_WIDTHS:
            for docs in (every, every[1::2]):
                expected = run_starts(demo_context, fieldname, terms, docs, width)
                assert matching.window_docs(demo_context, fieldname, terms, docs, width).tolist() == expected
                for order in itertools.permutations(range(len(terms))):
                    monkeypatch.setattr(matching, "anchor_order", lambda held, order=order: list(order))
                    found = matching.window_docs(demo_context, fieldname, terms, docs, width)
                    assert found.tolist() == expected, (terms, width, order)
                    assert found.dtype == np.int64
                monkeypatch.undo()
                listed += len(expected)
        assert matching.anchor_order(held)[0] == min(range(len(terms)), key=lambda i: (held[i].position_count, i))
        for name, postings in zip(terms, held):  # every position of the term in the field, none read
            assert postings.position_count == sum(map(len, positions_in(demo_context, fieldname, name).values()))
    assert listed


def test_near_rarest_keeps_the_docs_where_the_anchor_has_every_other_term_close_enough(demo_context):
    every = np.arange(demo_context.size)
    dropped = kept = 0
    for terms in WINDOW_TERMS:
        held = [demo_context.postings("body", name) for name in terms]
        for width in WINDOW_WIDTHS:
            for order in [None, *itertools.permutations(range(len(terms)))]:
                for docs in (every, every[1::2]):
                    anchor = terms[(matching.anchor_order(held) if order is None else order)[0]]
                    expected = near_the_rarest(demo_context, "body", [anchor] + [t for t in terms if t != anchor],
                                               width) & set(docs.tolist())
                    chosen = None if order is None else list(order)
                    passed, anchors = matching._near_rarest(demo_context, held, docs, width, chosen)
                    assert len(passed) == len(terms)
                    for name, kept_keys in zip(terms, passed):  # every occurrence in those docs, no other
                        places = positions_in(demo_context, "body", name)
                        assert kept_keys.tolist() == sorted((doc << 32) | p for doc in expected for p in places[doc]), (
                            terms, width, order)
                    # The anchor's occurrences there with an occurrence of every other term less than width away.
                    others = [positions_in(demo_context, "body", name) for name in terms if name != anchor]
                    close = sorted((doc << 32) | p for doc in expected
                                   for p in positions_in(demo_context, "body", anchor)[doc]
                                   if all(any(abs(q - p) < width for q in places[doc]) for places in others))
                    assert anchors.tolist() == close, (terms, width, order)
                    # A superset of the docs holding a run, a subset of those holding the anchor.
                    anchored = set(positions_in(demo_context, "body", anchor)) & set(docs.tolist())
                    assert runs_within(demo_context, "body", terms, width) & set(docs.tolist()) <= expected <= anchored
                    dropped += len(anchored - expected)
                    kept += len(expected)
    assert dropped and kept


@pytest.mark.parametrize("text", ["Việt Nam", "viet nam", "giá vàng tăng"])
def test_the_most_tier_is_computed_when_first_asked_and_is_what_at_least_gives(demo_index, text):
    # "Did you mean" searches a restored query for its first page alone: answered from a tighter tier,
    # it never counts the articles holding half of the words.
    ctx = fresh_context(demo_index)
    parsed = parse_query(text)
    matched = matching.match(ctx, parsed)
    assert matched.tier in ("together", "all") and "most" not in matched.tiers
    live = ctx.snapshot.live
    expected = (matching.at_least(fresh_context(demo_index), parsed, matched.accents == "exact", matching.MOST_SHARE)
                & live) | matched.tiers["all"]
    assert (matched.tiers["most"] == expected).all() and "most" in matched.tiers
    assert matched.tiers["most"] is matched.tiers["most"]  # computed once
    with pytest.raises(KeyError, match="any"):  # a tier that does not exist, named
        matched.tiers["any"]


@pytest.mark.parametrize(("text", "accents"), [
    ("Việt Nam", "exact"), ("viet nam", "exact"), ("bồ chính trí", "folded"), ('"Hà Nội"', "exact"),
    ("giá vàng tăng", "exact"),
    ("bộ trưởng", "exact"),  # standing together folded in more articles than with these accents
    ("bộ trương", "folded"),  # together nowhere with these accents, though some articles hold both words
])
def test_the_together_tier_among_the_documents_read_is_its_part_there_and_answers_alike(demo_index, text, accents):
    # Whether the words stand together is searched among the documents read alone; beyond them only to
    # tell whether the tier finds anything, so the tier and the accents answered from stay the query's.
    parsed = parse_query(text)
    whole = matching.match(fresh_context(demo_index), parsed)
    size = whole.mask.size
    none_together = ~whole.tiers["together"]
    for read in (np.arange(size) % 2 == 1, none_together, np.zeros(size, dtype=bool), np.ones(size, dtype=bool)):
        part = matching.match(fresh_context(demo_index), parsed, read=read)
        assert (part.tier, part.accents) == (whole.tier, whole.accents) == ("together", part.accents)
        assert (part.tiers["together"] == (whole.tiers["together"] & read)).all()
        assert (part.tiers["all"] == whole.tiers["all"]).all() and (part.mask == (whole.mask & read)).all()
        assert part.tiers.finds("together") and part.tiers.finds("all")
    assert whole.tiers["together"].any() and not (whole.tiers["together"] & none_together).any()
    assert whole.accents == accents


@pytest.mark.parametrize(("text", "plain"), [
    ('"hà nội" việt nam', "hà nội việt nam"),  # a quoted phrase counts with its words
    ('"hà nội" dân', "hà nội dân"),
    ('title:"hà nội" người dân', "người dân"),  # a title: clause does not
    ('việt nam "hà nội" OR "sài gòn"', "việt nam"),  # nor does a group with OR
])
def test_the_together_tier_is_where_the_plain_words_stand_together_among_the_articles_holding_every_group(
        demo_index, text, plain):
    # A quoted phrase is a run within the window, so the articles holding it alone need no positions
    # read: that holds only when it is the query's one plain group.
    parsed = parse_query(text)
    ctx = fresh_context(demo_index)
    every = matching.all_words(ctx, parsed) & ctx.snapshot.live
    found = matching.together(ctx, parsed, True, every)
    alone = matching.together(ctx, parse_query(plain), True, every)
    assert found.tolist() == alone.tolist()
    # Some articles hold every group with the plain words apart.
    assert found.sum() < every.sum()


@pytest.mark.parametrize(("text", "tier"), [
    ("Bộ Chính trị yêu cầu các cấp ủy làm gì với chỉ thị về công tác cán bộ?", "most"),
    # A demo article's title: its words stand together there, so the question is answered from that tier.
    ("Vietjet nói gì trước phản ánh nơi cách ly của khách về từ Hàn Quốc?", "together"),
])
def test_a_question_s_tiers_are_whole_whatever_is_read(demo_index, text, tier):
    # A question's page falls back to its wider pool when its tier is empty: it is never narrowed.
    parsed = parse_query(text)
    assert matching.is_question(parsed)
    whole = matching.match(fresh_context(demo_index), parsed)
    part = matching.match(fresh_context(demo_index), parsed, read=np.zeros(whole.mask.size, dtype=bool))
    assert whole.mask.any() and (part.tier, part.accents) == (whole.tier, whole.accents) == (tier, "exact")
    for name in ("together", "all", "most"):
        assert (part.tiers[name] == whole.tiers[name]).all(), name
    assert (part.mask == whole.mask).all()
    assert (part.ranked is None) == (whole.ranked is None) == (tier == "together")
    assert whole.ranked is None or (part.ranked == whole.ranked).all()


def test_occurrences_close_to_keys_are_those_a_scan_finds():
    rng = np.random.default_rng(11)
    for _ in range(200):
        docs = rng.integers(0, 6, size=2)
        near = np.unique((rng.integers(0, docs[0] + 1, 40) << 32) | rng.integers(0, 30, 40))
        keys = np.unique((rng.integers(0, docs[1] + 1, rng.integers(1, 40)) << 32) | rng.integers(0, 30, 40)[:1])
        keys = np.unique(np.concatenate((keys, (rng.integers(0, docs[1] + 1, 25) << 32) | rng.integers(0, 30, 25))))
        for width in (1, 2, 4, 12):
            expected = [bool(any(abs(int(k) - int(n)) < width for k in keys)) for n in near]
            assert matching._close(near, keys, width).tolist() == expected


def test_the_keys_two_sorted_arrays_share_are_found_alike_whether_merged_or_searched():
    # Arrays near in size are merged (a long query's tens of thousands of occurrences), a much shorter
    # one is searched in the longer one: either way the values both hold, ascending.
    rng = np.random.default_rng(12)
    for sizes in [(0, 5), (5, 0), (1, 1), (40, 40), (40, 600), (600, 40), (37, 600), (600, 37), (3000, 2500)]:
        for _ in range(20):
            pool = np.unique((rng.integers(0, 50, 4000) << 32) | rng.integers(0, 400, 4000))
            first, second = (np.sort(rng.choice(pool, size, replace=False)) for size in sizes)
            shared = matching._sorted_intersection(first, second)
            assert shared.tolist() == sorted(set(first.tolist()) & set(second.tolist()))
            assert shared.dtype == np.int64


# Readings: a query with spellings added by query understanding, read each way ----------------


def understood(engine: SearchEngine, q: str):
    """Return q parsed and understood as the engine reads it (abbreviations' other spellings added)."""
    view = engine.backend.view()
    return understand(parse_query(q), Vocabulary(view.statistics()), abbreviations.load()).parsed


def spelled(group) -> list[str]:
    """The text of each clause of a group."""
    return [" ".join(s.raw for s in clause.syllables) for clause in group]


def test_a_query_is_read_as_typed_first_then_as_every_combination_of_its_groups_spellings(demo_index):
    parsed = understood(SearchEngine(demo_index), "ubnd tphcm -bóng")
    # "ubnd" is also "ủy ban nhân dân"; "tphcm" "TP HCM", "HCMC", "Thành phố Hồ Chí Minh", "TP Hồ Chí Minh".
    assert [spelled(group) for group in parsed.groups] == [
        ["ubnd", "ủy ban nhân dân"], ["tphcm", "TP HCM", "HCMC", "Thành phố Hồ Chí Minh", "TP Hồ Chí Minh"]]
    every = [list(words) for words in itertools.product(*(spelled(group) for group in parsed.groups))]
    found = matching.readings(parsed, 100)
    assert [[one for group in r.groups for one in spelled(group)] for r in found] == every
    assert all(len(group) == 1 for r in found for group in r.groups)
    assert [r.groups for r in found[1:]] == [[[c] for c in combination] for combination in itertools.islice(
        itertools.product(*(group for group in parsed.groups)), 1, None)]
    assert all(r.excluded == parsed.excluded and spelled(r.excluded) == ["bóng"] for r in found)
    assert matching.readings(parsed, 3) == found[:3] and matching.readings(parsed) == found  # at most twelve
    assert [[one for group in r.groups for one in spelled(group)] for r in matching.readings(
        understood(SearchEngine(demo_index), "bộ chính trị"))] == [["bộ", "chính", "trị"]]


@pytest.mark.parametrize("q, bound, limit, readings", [
    ("ubnd tphcm", 1024, 12, 10),  # two syllables typed: at most twelve readings
    ("ubnd tphcm", 16, 8, 10),  # 16 // 2: the alternatives' syllables do not count
    ("ubnd tphcm", 15, 7, 10),  # rounded down: the eighth reading is cut
    ("ubnd tphcm", 20, 10, 10),  # every reading scored, just: none cut
    ("ubnd tphcm", 1, 1, 10),  # never fewer than the query as typed
    ("hlv clb UBND TP.HCM ĐT", 1024, 12, 40),  # 2 x 2 x 2 x 5 x 1 (the demo corpus reads "ĐT" one way)
    ("hlv clb UBND TP.HCM ĐT", 60, 10, 40),  # six syllables typed (TP.HCM is two)
    ("bộ chính trị", 24, 8, 1),
    ("-bóng", 10, 10, 1),  # nothing to match: no syllable to divide by
])
def test_a_query_scores_at_most_twelve_readings_fewer_when_readings_times_its_syllables_pass_the_bound(
        demo_index, q, bound, limit, readings):
    parsed = understood(SearchEngine(demo_index), q)
    ranking = replace(DEFAULT_RANKING, max_reading_syllables=bound)
    assert matching.reading_limit(parsed, ranking) == limit
    assert len(matching.readings(parsed, 100)) == readings
    assert len(matching.readings(parsed, matching.reading_limit(parsed, ranking))) == min(limit, readings)
    assert matching.readings_cut(parsed, ranking) == (readings > limit)


def test_a_word_typed_twice_is_read_alike_at_each_place(demo_index):
    parsed = understood(SearchEngine(demo_index), "hlv clb hlv ubnd clb")
    assert [spelled(group) for group in parsed.groups] == [
        ["hlv", "huấn luyện viên"], ["clb", "câu lạc bộ"], ["hlv", "huấn luyện viên"], ["ubnd", "ủy ban nhân dân"],
        ["clb", "câu lạc bộ"]]
    # Three words read two ways each: eight readings, not the 32 of its five places read apart, each
    # place of "hlv" (and of "clb") spelt the same; ordered as the three words' combinations.
    found = [[one for group in r.groups for one in spelled(group)] for r in matching.readings(parsed, 100)]
    assert found == [[hlv, clb, hlv, ubnd, clb] for hlv, clb, ubnd in itertools.product(
        ["hlv", "huấn luyện viên"], ["clb", "câu lạc bộ"], ["ubnd", "ủy ban nhân dân"])]
    assert matching.readings_cut(parsed, replace(DEFAULT_RANKING, max_reading_syllables=8 * 5)) is False
    assert matching.readings_cut(parsed, replace(DEFAULT_RANKING, max_reading_syllables=8 * 5 - 1)) is True
    # Placed apart from other words, "hlv" typed alone is still read both ways.
    assert len(matching.readings(understood(SearchEngine(demo_index), "hlv"), 100)) == 2


def test_an_accented_query_stands_together_only_where_its_words_stand_together_with_those_accents(engine):
    q = "biên giới"
    # An article holding "biên" and "giới" apart, and "bien gioi" together only with other accents.
    apart = (everywhere(q) & together("bien gioi")) - together(q)
    assert apart
    result = run(engine, q)
    assert (result["tier"], result["accents"]) == ("together", "exact")
    assert {h["id"] for h in every_hit(engine, q)} == together(q)


def test_one_word_no_article_holds_with_its_accents_is_answered_folded_from_the_together_tier(engine):
    q = "xẽ"  # no article writes "xẽ"; some write "xe"
    assert not together(q) and together("xe")
    result = run(engine, q)
    assert (result["tier"], result["accents"]) == ("together", "folded")
    assert {h["id"] for h in every_hit(engine, q)} == together("xe")


def test_the_together_tier_reads_a_query_only_the_ways_the_readings_bound_lets_it_score(demo_index):
    q = "hlv ole"
    # The demo corpus writes "huấn luyện viên Ole", never "HLV Ole": only the reading of "hlv" as
    # "huấn luyện viên" has the words together.
    expected = together("huấn luyện viên ole")
    assert expected and not together(q)
    read_every_way = SearchEngine(demo_index).search(SearchRequest(q=q))
    assert read_every_way["tier"] == "together" and {h["id"] for h in read_every_way["hits"]} == expected
    # 2 // 2 syllables typed: one reading, the query as typed, is matched together and scored.
    as_typed = SearchEngine(demo_index, ranking=replace(DEFAULT_RANKING, max_reading_syllables=2)).search(
        SearchRequest(q=q))
    assert (as_typed["tier"], as_typed["limited"]) == ("all", ["readings"])
    assert {h["id"] for h in as_typed["hits"]} == expected


@pytest.fixture(scope="module")
def university(tmp_path_factory) -> SearchEngine:
    """Articles writing "ĐH" (the abbreviation dictionary's "đại học"), "đại học" with "DH" unaccented,
    and neither, read one way only (max_reading_syllables=1: the query as typed)."""
    directory = tmp_path_factory.mktemp("university")
    records = [{"id": "dh-accented", "title": "Tuyển sinh ĐH năm nay", "body": "Thí sinh vào ĐH Bách khoa."},
               {"id": "dh-unaccented", "title": "Đại học mở thêm ngành", "body": "Giảng đường ở khu DH cũ."},
               {"id": "other", "title": "Giá vàng", "body": "Giá vàng tăng mạnh."}]
    reindex(directory / "index", [str(write_jsonl(directory / "articles.jsonl", records))], procs=1)
    return SearchEngine(directory / "index", ranking=replace(DEFAULT_RANKING, max_reading_syllables=1))


def test_a_word_typed_with_accents_and_read_one_way_stands_together_only_with_those_accents(university):
    # "đại học" would find both articles; read as typed only, "ĐH" finds the one writing "ĐH", not "DH".
    result = run(university, "ĐH", match="together")
    assert (result["tier"], result["accents"], result["limited"]) == ("together", "exact", ["readings"])
    assert [h["id"] for h in result["hits"]] == ["dh-accented"]
    assert {h["id"] for h in run(university, "ĐH", match="all")["hits"]} == {"dh-accented", "dh-unaccented"}


# The result set's edges (the embedded index's matching) ---------------------------------------


TINY_RECORDS = [json.loads(line) for line in TINY.read_text(encoding="utf-8").splitlines()]
DELETED_ID = "sunshine"


@pytest.fixture(scope="module")
def tiny_less_one(tmp_path_factory) -> SearchEngine:
    """tests/fixtures/tiny.jsonl indexed, then reindexed without one article (deleted, still stored in its
    segment)."""
    directory = tmp_path_factory.mktemp("tiny-less-one")
    source = write_jsonl(directory / "articles.jsonl", TINY_RECORDS)
    reindex(directory / "index", [str(source)], procs=1)
    write_jsonl(source, [r for r in TINY_RECORDS if r["id"] != DELETED_ID])
    assert reindex(directory / "index", [str(source)], procs=1).deleted == 1
    return SearchEngine(directory / "index")


def tiny_holding(syllable: str) -> set[str]:
    """Ids of the live tiny articles holding a syllable (as typed when accented, else in any accented form)."""
    return {r["id"] for r in TINY_RECORDS if r["id"] != DELETED_ID
            and any(holds(w, syllable) for w in words(r["title"] + " " + r["body"]))}


def test_a_search_of_filters_alone_holds_every_live_article_and_none_a_reindex_deleted(tiny_less_one):
    assert not tiny_less_one.backend.view().context.snapshot.live.all()  # the deleted article is still stored
    assert {h["id"] for h in every_hit(tiny_less_one, "")} == {r["id"] for r in TINY_RECORDS} - {DELETED_ID}
    assert (run(tiny_less_one, "")["tier"], run(tiny_less_one, "")["accents"]) == ("all", "exact")


def test_excluding_a_word_typed_with_accents_keeps_the_articles_writing_it_with_other_accents(tiny_less_one):
    live = {r["id"] for r in TINY_RECORDS} - {DELETED_ID}
    assert tiny_holding("bán") == {"ban-sell"} and tiny_holding("ban") == {"ban-sell", "ban-table"}
    assert {h["id"] for h in every_hit(tiny_less_one, "-bán")} == live - tiny_holding("bán")
    assert {h["id"] for h in every_hit(tiny_less_one, "-ban")} == live - tiny_holding("ban")


def test_the_all_tier_of_a_word_typed_with_accents_holds_only_the_articles_with_those_accents(tiny_less_one):
    assert {h["id"] for h in every_hit(tiny_less_one, "bán", match="all")} == tiny_holding("bán")
    assert {h["id"] for h in every_hit(tiny_less_one, "ban", match="all")} == tiny_holding("ban")


@pytest.mark.parametrize("match", ["together", "all", "most"])
def test_a_tier_asked_for_that_finds_nothing_is_the_tier_answered(tiny_less_one, match):
    result = run(tiny_less_one, "qzxwv", match=match)
    assert (result["tier"], result["accents"], result["total"]) == (match, "exact", 0)


def test_an_excluded_word_typed_with_accents_excludes_those_accents_then_every_form_once_folded(demo_index):
    engine = SearchEngine(demo_index)
    # "xe" is found with its accents as typed: "-bán" excludes the articles writing "bán" only.
    assert {h["id"] for h in every_hit(engine, "xe -bán")} == together("xe") - together("bán")
    # No article writes "xẽ": the query is answered folded, the exclusion too ("bàn", "bạn", "bản"...).
    folded_answer = every_hit(engine, "xẽ -bán")
    assert {h["id"] for h in folded_answer} == together("xe") - together("ban")
    assert together("xe") - together("ban") < together("xe") - together("bán")


def test_every_excluded_word_excludes_its_articles_not_only_the_last(demo_index):
    engine = SearchEngine(demo_index)
    with_xe, selling, friend = together("xe"), together("bán"), together("bạn")
    # Each exclusion removes articles the other keeps, so dropping either one would show.
    assert with_xe & selling - friend and with_xe & friend - selling
    assert {h["id"] for h in every_hit(engine, "xe -bán -bạn")} == with_xe - selling - friend
    assert {h["id"] for h in every_hit(engine, "xe -bạn -bán")} == with_xe - selling - friend


def test_a_question_no_article_half_answers_holds_every_article_with_a_fifth_of_its_words_folded(demo_index):
    q = "bộ chính trị qzxwa qzxwb qzxwc qzxwd qzxwe"  # eight words: two of them, in any accented form
    query = {folded(w) for w in words(q)}
    texts = {a["id"]: a["title"] + " " + a["body"] for a in DEMO_ARTICLES}
    texts[PORTAL_ID] = (DEMO / "portal" / PORTAL_ID).read_text(encoding="utf-8")
    expected = {i for i, text in texts.items() if len(query & {folded(w) for w in words(text)}) >= 2}
    engine = SearchEngine(demo_index)
    assert {h["id"] for h in every_hit(engine, q, sort="newest")} == expected
    # Fewer hold two of the words with these accents: the pool is read folded.
    assert len(expected) > len({i for i, text in texts.items()
                                if sum(any(holds(w, s) for w in words(text)) for s in words(q)) >= 2})


# Phrases --------------------------------------------------------------------------------------


def in_a_row(q: str) -> set[str]:
    """Ids of the demo articles (and the portal article) whose title or body holds q's words in a row."""
    query = words(q)

    def holds_phrase(text: str) -> bool:
        field = words(text)
        return any(all(holds(w, s) for w, s in zip(field[i:], query)) for i in range(len(field) - len(query) + 1))

    found = {a["id"] for a in DEMO_ARTICLES if holds_phrase(a["title"]) or holds_phrase(a["body"])}
    if holds_phrase((DEMO / "portal" / PORTAL_ID).read_text(encoding="utf-8")):
        found.add(PORTAL_ID)
    return found


def test_either_of_two_phrases_sharing_a_word_finds_every_article_holding_one(engine):
    first, second = in_a_row("nhà nước"), in_a_row("nước ngoài")
    # The shared "nước" is read for each phrase's own articles: articles holding only one phrase count.
    assert first - second and second - first
    hits = every_hit(engine, '"nhà nước" OR "nước ngoài"')
    assert sorted(h["id"] for h in hits) == sorted(first | second)
    assert sorted(h["id"] for h in every_hit(engine, '"nước ngoài" OR "nhà nước"')) == sorted(first | second)


def test_the_most_tier_keeps_a_quoted_phrase_required(engine):
    # "most" makes plain words optional (here one of "tháng", "tăng" is enough), never a quoted phrase.
    text = {a["id"]: words(a["title"] + " " + a["body"]) for a in DEMO_ARTICLES}
    text[PORTAL_ID] = words((DEMO / "portal" / PORTAL_ID).read_text(encoding="utf-8"))
    expected = {doc for doc in in_a_row("bộ chính trị") if {"tháng", "tăng"} & set(text[doc])}
    hits = every_hit(engine, '"bộ chính trị" tháng tăng', match="most")
    assert sorted(h["id"] for h in hits) == sorted(expected) and expected
    assert len(every_hit(engine, "bộ chính trị tháng tăng", match="most")) > len(expected)


def test_the_most_tier_keeps_a_quoted_word_required(engine):
    # One word in quotes is the reader's as a phrase is: required in every tier, never one of the optional.
    text = {a["id"]: words(a["title"] + " " + a["body"]) for a in DEMO_ARTICLES}
    text[PORTAL_ID] = words((DEMO / "portal" / PORTAL_ID).read_text(encoding="utf-8"))
    expected = {doc for doc, held in text.items() if "covid" in held and {"tháng", "tăng"} & set(held)}
    hits = every_hit(engine, '"covid" tháng tăng', match="most")
    assert sorted(h["id"] for h in hits) == sorted(expected) and expected
    assert len(every_hit(engine, "covid tháng tăng", match="most")) > len(expected)


def test_the_most_tier_keeps_a_document_number_required(engine):
    # Half of the other words ("quyết", "định", "số", "bóng", "đá") would let in every article holding
    # "quyết định" and "số"; a document's number names the one document the reader means.
    text = {a["id"]: set(words(a["title"] + " " + a["body"])) for a in DEMO_ARTICLES}
    expected = {doc for doc in in_a_row("281 qđ ttg") if len({"quyết", "định", "số", "bóng", "đá"} & text[doc]) >= 3}
    result = run(engine, "quyết định số 281/QĐ-TTg bóng đá")
    assert sorted(h["id"] for h in every_hit(engine, "quyết định số 281/QĐ-TTg bóng đá")) == sorted(expected)
    assert (result["tier"], result["total"], expected) == ("most", 1, {"unc-news_education_010"})
    # The same words typed apart are plain words: the most tier holds any three of the eight.
    assert run(engine, "quyết định số 281 QĐ TTg bóng đá")["total"] > 1


def test_a_question_s_result_set_keeps_a_document_number_its_ranking_pool_does_not(engine, backend, demo_index):
    q = "nghị quyết 77/NQ-CP về trường đại học tự chủ thì thế nào"
    result = run(engine, q)
    assert [h["id"] for h in every_hit(engine, q)] == sorted(in_a_row("77 nq cp")) == ["unc-news_education_008"]
    assert (result["tier"], result["matching"], result["total"], result["notices"]) == ("most", "most", 1, [])
    if backend == "embedded":
        # The pool ranks answers, which may not cite the document the question names.
        view = SearchEngine(demo_index).backend.view()
        ctx = view.context
        parsed = understand(parse_query(q), Vocabulary(view.statistics()), abbreviations.load()).parsed
        pool = matching.at_least(ctx, parsed, False, matching.LONG_QUERY_SHARE)
        most = matching.at_least(ctx, parsed, False, matching.MOST_SHARE)
        assert int(most.sum()) == 1 and int(pool.sum()) > 10


def test_documents_numbers_alone_are_held_by_the_articles_citing_any_of_them(engine):
    q = "98/2020/NĐ-CP 99/2019/NĐ-CP"
    expected = in_a_row("98 2020 nđ cp") | in_a_row("99 2019 nđ cp")
    assert sorted(h["id"] for h in every_hit(engine, q)) == sorted(expected) and len(expected) == 2
    assert every_hit(engine, q, match="all") == []


def test_a_number_in_a_field_stays_a_group_of_its_own_and_required_in_a_question_s_pool():
    parsed = parse_query("title:281/QĐ-TTg 98/2020/NĐ-CP 99/2019/NĐ-CP xử phạt")
    texts = lambda groups: [[" ".join(s.exact for s in c.syllables) for c in g] for g in groups]  # noqa: E731
    required, optional = matching.required_groups(parsed)
    assert texts(required) == [["281 qđ ttg"], ["98 2020 nđ cp", "99 2019 nđ cp"]]
    assert texts(optional) == [["xử"], ["phạt"]]
    pool_required, pool_optional = matching.required_groups(parsed, matching.LONG_QUERY_SHARE)
    assert texts(pool_required) == [["281 qđ ttg"]]
    assert texts(pool_optional) == [["98 2020 nđ cp"], ["99 2019 nđ cp"], ["xử"], ["phạt"]]


def test_a_query_of_excluded_words_alone_holds_every_article_but_theirs_in_every_share(demo_index):
    ctx = SearchEngine(demo_index).backend.view().context
    parsed = parse_query("-bộ -tăng")
    expected = ~(ctx.docs_with("bộ", TEXT_FIELDS) | ctx.docs_with("tăng", TEXT_FIELDS))
    folded = ~(ctx.docs_with("bo", TEXT_FIELDS) | ctx.docs_with("tang", TEXT_FIELDS))
    assert 0 < folded.sum() < expected.sum() < ctx.size
    for share in (matching.MOST_SHARE, matching.LONG_QUERY_SHARE):
        assert matching.at_least(ctx, parsed, True, share).tolist() == expected.tolist()
        assert matching.at_least(ctx, parsed, False, share).tolist() == folded.tolist()


def test_the_exact_most_tier_keeps_a_quoted_phrase_with_the_accents_typed(demo_index):
    # No article holds "bồ chính trí"; three hold "bộ chính trị", the same folded.
    ctx = SearchEngine(demo_index).backend.view().context
    parsed = parse_query('"bồ chính trí" tháng tăng')
    assert not matching.at_least(ctx, parsed, True, matching.MOST_SHARE).any()
    assert matching.at_least(ctx, parsed, False, matching.MOST_SHARE).any()


def test_a_question_with_an_excluded_word_is_ranked_from_its_pool_without_those_articles(engine):
    q = "giá vàng tăng mạnh trong tháng qua -bộ"
    result, hits = run(engine, q), every_hit(engine, q)
    assert (result["tier"], result["matching"]) == ("most", "most") and len(hits) == result["total"] > 10
    for hit in hits:
        article = engine.article(hit["id"])
        assert "bộ" not in words(article["title"] + " " + article["body"])


@pytest.mark.parametrize("q", ["quyết định số 15/2021/QĐ-TTg", "98/2020/NĐ-CP 15/2021/QĐ-TTg xử phạt"])
def test_a_document_number_no_article_holds_is_named_in_a_notice(engine, q):
    result = run(engine, q)
    assert result["notices"][-1] == "Không có bài nào nhắc đến “15/2021/QĐ-TTg”."
    # Alone it finds nothing (the most tier keeps it required); beside a number some article cites, that one's.
    cited = in_a_row("98 2020 nđ cp") if "98" in q else set()
    assert sorted(h["id"] for h in every_hit(engine, q)) == sorted(cited)
    assert result["suggestion"] is None
    # Without the number no article cites, half of the other words are everywhere (or the cited number's).
    without = run(engine, q.replace("15/2021/QĐ-TTg", ""), match="most")["total"]
    assert without == len(cited) if cited else without > 10


def test_a_question_citing_a_document_no_article_holds_is_answered_from_its_pool_with_the_notice(engine):
    q = "nghị quyết 15/2021/NQ-CP về trường đại học tự chủ"
    result, without = run(engine, q), run(engine, "nghị quyết về trường đại học tự chủ", match="most")
    assert (result["tier"], result["matching"]) == ("most", "any") and result["total"] > without["total"] > 10
    assert result["notices"][-1] == "Không có bài nào nhắc đến “15/2021/NQ-CP”."


def test_a_document_number_held_apart_from_the_other_words_gets_no_absence_notice(engine):
    result = run(engine, "281/QĐ-TTg bóng đá", match="all")
    # No absence notice; the number is also searched as the demo articles cite the document.
    assert (result["total"], result["notices"]) == (0, ["Tìm cả “quyết định 281” cho “281/QĐ-TTg”."])
    assert run(engine, "281/QĐ-TTg")["total"] == 1


# The most tier, word by word (the embedded index's matching functions) ----------------------


def holds_as(word: str, syllable: str, exact: bool) -> bool:
    """Whether a word of a text holds a query syllable: as typed when exact, else in any accented form."""
    return holds(word, syllable) if exact else folded(word) == folded(syllable)


def holds_in_a_row(field: list[str], syllables: list[str], exact: bool) -> bool:
    """Whether the syllables stand in a row in a field's words."""
    n = len(syllables)
    return any(all(holds_as(w, s, exact) for w, s in zip(field[i : i + n], syllables))
               for i in range(len(field) - n + 1))


def most_tier(articles: dict[str, dict], plain: list[str], joined: list[str], excluded: list[str],
              exact: bool, spellings: dict[str, list[str]] | None = None, share: float = 0.5) -> set[str]:
    """Ids of the articles holding at least half of the words (share of them: a word typed with inner
    punctuation counting once, held where its syllables, or those of one of its other spellings,
    stand in a row in the title or in the body) and none of the excluded words."""
    spellings = spellings or {}
    need = max(1, math.ceil(share * (len(plain) + len(joined))))
    found = set()
    for doc_id, article in articles.items():
        fields = [words(article["title"]), words(article["body"])]
        if any(holds_as(w, s, exact) for field in fields for w in field for s in excluded):
            continue
        held = sum(any(holds_as(w, s, exact) for field in fields for w in field) for s in plain)
        held += sum(any(holds_in_a_row(field, words(form), exact)
                        for form in [word, *spellings.get(word, [])] for field in fields) for word in joined)
        if held >= need:
            found.add(doc_id)
    return found


def at_least_half(engine: SearchEngine, q: str, exact: bool) -> set[str]:
    """Ids of the documents matching's most tier finds for q as the engine reads it (before the live
    mask), accents as typed or folded."""
    view = engine.backend.view()
    parsed = understand(parse_query(q), Vocabulary(view.statistics()), abbreviations.load()).parsed
    mask = matching.at_least(view.context, parsed, exact, matching.MOST_SHARE)
    return {view.context.snapshot.stored(doc)["id"] for doc in np.flatnonzero(mask)}


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "folded"])
def test_the_most_tier_requires_a_quoted_phrase_in_a_row_with_its_accents_as_typed_or_folded(demo_index, exact):
    articles = {a["id"]: a for a in DEMO_ARTICLES}
    articles[PORTAL_ID] = {"title": "", "body": (DEMO / "portal" / PORTAL_ID).read_text(encoding="utf-8")}
    expected = {i for i, a in articles.items()
                if any(holds_in_a_row(words(text), ["biên", "giới"], exact) for text in (a["title"], a["body"]))}
    assert at_least_half(SearchEngine(demo_index), '"biên giới"', exact) == expected
    # One article writes "bien gioi" in a row with other accents only.
    assert len(expected) == (4 if exact else 5)


def demo_and_portal() -> dict[str, dict]:
    """{id: article} of every article of the demo index, the portal one's text as its body."""
    articles = {a["id"]: a for a in DEMO_ARTICLES}
    articles[PORTAL_ID] = {"title": "", "body": (DEMO / "portal" / PORTAL_ID).read_text(encoding="utf-8")}
    return articles


def found_ids(view, mask: np.ndarray) -> set[str]:
    return {view.context.snapshot.stored(doc)["id"] for doc in np.flatnonzero(mask)}


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "folded"])
def test_each_spelling_joined_by_or_matches_with_its_accents_as_typed_or_folded(demo_index, exact):
    """"qxzw OR thuốc": the second spelling of a group matches as the first does, "thuốc" with its
    accents as typed (not "thuộc"), or in every accented form when folded."""
    view = SearchEngine(demo_index).backend.view()
    parsed = parse_query("qxzw OR thuốc")
    assert [len(group) for group in parsed.groups] == [2]
    expected = {i for i, a in demo_and_portal().items()
                if any(holds_as(w, "thuốc", exact) for text in (a["title"], a["body"]) for w in words(text))}
    assert found_ids(view, matching.all_words(view.context, parsed, exact)) == expected
    # 11 demo articles write "thuốc"; 70 write "thuoc" in some accented form ("thuộc" mostly).
    assert len(expected) == (11 if exact else 70)


def test_a_query_of_256_words_finds_every_article_holding_all_of_them(demo_index):
    """The count of the words each article holds is kept in one byte while the query has fewer than
    256 words (and units): 256 of them, one a unit (a word typed with inner punctuation), must not
    wrap to 0 for the article holding them all."""
    articles = demo_and_portal()
    vocabulary = {i: {folded(w) for text in (a["title"], a["body"]) for w in words(text)} for i, a in articles.items()}
    longest = max(vocabulary, key=lambda i: len({w for w in vocabulary[i] if w.isalpha()}))
    chosen = sorted(w for w in vocabulary[longest] if w.isalpha())[:256]
    parsed = parse_query(" ".join(chosen), limit=10_000, max_terms=1_000)
    assert len(parsed.groups) == 256 and not parsed.truncated and not parsed.terms_cut
    last = parsed.groups[-1][0]
    parsed = replace(parsed, groups=[*parsed.groups[:-1], [replace(last, joined=True)]])
    assert sum(matching.is_unit(group) for group in parsed.groups) == 1
    view = SearchEngine(demo_index).backend.view()
    expected = {i for i, held in vocabulary.items() if held.issuperset(chosen)}
    assert longest in expected
    assert found_ids(view, matching.at_least(view.context, parsed, False, 1.0)) == expected


# Two demo articles quoting prices in "đồng/kg", their copies as a crawler keeping ASCII only
# stores them (no diacritics: "dong/kg"), and two articles that never write it.
PER_KG_IDS = ["unc-news_business_012", "unc-news_business_019"]
OTHER_IDS = ["unc-news_education_001", "unc-news_business_001"]


@pytest.fixture(scope="module")
def with_ascii_copies(tmp_path_factory) -> tuple[SearchEngine, dict[str, dict]]:
    """Return an index of the articles above and {id: article} of what it holds."""
    by_id = {a["id"]: a for a in DEMO_ARTICLES}
    articles = {i: by_id[i] for i in PER_KG_IDS + OTHER_IDS}
    for i in PER_KG_IDS:
        articles[i + "-ascii"] = {**by_id[i], "id": i + "-ascii", "title": unidecode(by_id[i]["title"]),
                                  "body": unidecode(by_id[i]["body"])}
    directory = tmp_path_factory.mktemp("ascii-copies")
    reindex(directory / "index", [str(write_jsonl(directory / "articles.jsonl", list(articles.values())))], procs=1)
    return SearchEngine(directory / "index"), articles


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "folded"])
@pytest.mark.parametrize("q, plain, joined, excluded", [
    ("đồng/kg", [], ["đồng/kg"], []),
    ("đồng/kg -quả", [], ["đồng/kg"], ["quả"]),
    ("giá cá hồi đồng/kg", ["giá", "cá", "hồi"], ["đồng/kg"], []),
])
def test_the_most_tier_counts_a_word_typed_with_inner_punctuation_once_with_its_accents_as_typed_or_folded(
        with_ascii_copies, q, plain, joined, excluded, exact):
    engine, articles = with_ascii_copies
    expected = most_tier(articles, plain, joined, excluded, exact)
    assert at_least_half(engine, q, exact) == expected
    if q == "đồng/kg":  # the ASCII copies are found only folded
        assert expected == set(PER_KG_IDS) | ({i + "-ascii" for i in PER_KG_IDS} if not exact else set())


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "folded"])
@pytest.mark.parametrize("q, plain, joined", [
    ("giá nhà TP.HCM tăng", ["giá", "nhà", "tăng"], ["TP.HCM"]),
    ("TP.HCM mưa lớn ngập", ["mưa", "lớn", "ngập"], ["TP.HCM"]),
    # Typed twice, it is still one word, as a plain word typed twice is.
    ("TP.HCM mưa lớn ngập tp.hcm", ["mưa", "lớn", "ngập"], ["TP.HCM"]),
])
def test_the_most_tier_counts_an_abbreviation_typed_with_inner_punctuation_once_in_any_of_its_spellings(
        demo_index, q, plain, joined, exact):
    # "TP.HCM" is one typed word with dictionary spellings ("TPHCM", "Thành phố Hồ Chí Minh"):
    # like "V-League" it is one optional word of the most tier, not a quoted phrase it requires.
    articles = {a["id"]: a for a in DEMO_ARTICLES}
    articles[PORTAL_ID] = {"title": "", "body": (DEMO / "portal" / PORTAL_ID).read_text(encoding="utf-8")}
    spellings = {word: abbreviations.load().alternatives(abbreviations.form_key(word)) for word in joined}
    expected = most_tier(articles, plain, joined, [], exact, spellings)
    assert at_least_half(SearchEngine(demo_index), q, exact) == expected
    assert any(not any(holds_in_a_row(words(a["title"] + " " + a["body"]), words(form), exact)
                       for form in [*joined, *spellings[joined[0]]])
               for doc_id, a in articles.items() if doc_id in expected)


def test_a_word_with_spellings_typed_twice_counts_once_towards_a_question_as_a_plain_word_does(demo_index):
    view = SearchEngine(demo_index).backend.view()
    vocabulary, dictionary = Vocabulary(view.statistics()), abbreviations.load()
    counts = [matching.word_count(understand(parse_query(q), vocabulary, dictionary).parsed)
              for q in ("TP.HCM mưa lớn", "TP.HCM mưa lớn tp.hcm", "TP.HCM mưa lớn mưa", "TP.HCM mưa lớn Tp.Hcm mưa")]
    assert counts == [3, 3, 3, 3]


def recorded_phrase_reads(monkeypatch) -> dict[tuple[str, ...], list[int]]:
    """Return {phrase's terms: the docs its positions were read in, in the order read} from now on."""
    read: dict[tuple[str, ...], list[int]] = {}
    phrase_docs = matching.phrase_docs

    def reading(ctx, terms, fields, docs):
        read.setdefault(tuple(terms), []).extend(int(doc) for doc in docs)
        return phrase_docs(ctx, terms, fields, docs)

    monkeypatch.setattr(matching, "phrase_docs", reading)
    return read


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "folded"])
@pytest.mark.parametrize("share", [matching.LONG_QUERY_SHARE, matching.MOST_SHARE])
@pytest.mark.parametrize("q, joined, partly_read", [
    # "Covid-19" and "TP.HCM": one word each, in any of its spellings.
    ("ca mắc Covid-19 mới tăng nhanh trong tháng qua tại TP.HCM", ["Covid-19", "TP.HCM"], ("covid", "19")),
    # "UBND": one word with a dictionary spelling, the phrase "ủy ban nhân dân".
    ("UBND tỉnh đã làm gì để giúp người dân vượt qua khó khăn", ["UBND"], ("uy", "ban", "nhan", "dan")),
])
def test_a_questions_words_with_inner_punctuation_or_spellings_are_looked_for_only_where_they_could_reach_its_share(
        demo_index, monkeypatch, share, exact, q, joined, partly_read):
    # A phrase's positions are read in every article holding its syllables: a question's words typed
    # with inner punctuation or having other spellings (phrases) are looked for only in the articles
    # they decide (holding too few of its words without them, the share with them); the count is the same.
    plain = [w for w in q.split() if w not in joined]
    view = SearchEngine(demo_index).backend.view()
    parsed = understand(parse_query(q), Vocabulary(view.statistics()), abbreviations.load()).parsed
    assert sum(matching.is_unit(group) for group in parsed.groups) == len(joined)
    assert len(parsed.groups) == len(plain) + len(joined)
    read = recorded_phrase_reads(monkeypatch)
    mask = matching.at_least(view.context, parsed, exact, share)
    articles = demo_and_portal()
    spellings = {word: abbreviations.load().alternatives(abbreviations.form_key(word)) for word in joined}
    expected = most_tier(articles, plain, joined, [], exact, spellings, share)
    assert found_ids(view, mask) == expected and expected
    need = max(1, math.ceil(share * len(parsed.groups)))
    for doc in set().union(*read.values()):  # each is decided by such words: too few words without them
        doc_id = view.context.snapshot.stored(doc)["id"]
        text = words(articles[doc_id]["title"]) + words(articles[doc_id]["body"])
        held = sum(any(holds_as(w, s, exact) for w in text) for s in plain)
        assert held < need <= held + len(joined), doc_id
    terms = next(tuple(matching.term(s, exact) for s in clause.syllables) for group in parsed.groups
                 for clause in group if tuple(s.folded for s in clause.syllables) == partly_read)
    holding = np.logical_and.reduce([view.context.docs_with(name, TEXT_FIELDS) for name in terms])
    # Read in some of the articles holding its syllables (or none: none of them it decides).
    assert set(read.get(terms, ())) <= set(np.flatnonzero(holding))
    if share >= matching.MOST_SHARE:  # not every article holding its syllables
        assert len(set(read.get(terms, ()))) < holding.sum()


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "folded"])
def test_phrases_asked_for_among_overlapping_sets_of_articles_are_read_once_an_article_and_found_in_each_set(
        demo_index, monkeypatch, exact):
    # A question's tiers ask for its phrases among several sets of articles in one query context
    # (at_least for a fifth, then for half of its words): each phrase's positions are read once an
    # article, whichever set asks first, and each ask finds the articles of its set holding it in a row.
    view = SearchEngine(demo_index).backend.view()
    ctx = view.context
    phrases = {("chính", "trị"): parse_query('"chính trị"'), ("việt", "nam"): parse_query('"việt nam"')}
    read = recorded_phrase_reads(monkeypatch)
    articles = demo_and_portal()
    ids = [ctx.snapshot.stored(doc)["id"] for doc in range(ctx.size)]
    numbers = np.arange(ctx.size)
    sets = {"even": numbers % 2 == 0, "first two thirds": numbers < 2 * ctx.size // 3, "all": numbers >= 0}
    found, expected = {}, {}
    for name, within in sets.items():
        for syllables, parsed in phrases.items():
            clause = parsed.groups[0][0]
            found[name, syllables] = found_ids(view, matching.clause_mask(ctx, clause, exact, within))
            expected[name, syllables] = {
                ids[doc] for doc in np.flatnonzero(within)
                if any(holds_in_a_row(words(articles[ids[doc]][field]), list(syllables), exact)
                       for field in ("title", "body"))}
    assert found == expected
    assert all(expected[name, syllables] for name in sets for syllables in phrases)
    assert expected["all", ("chính", "trị")] - expected["all", ("việt", "nam")]
    assert expected["all", ("việt", "nam")] - expected["all", ("chính", "trị")]
    assert {terms: len(docs) - len(set(docs)) for terms, docs in read.items()} == {  # each article read once
        tuple(matching.term(s, exact) for s in parsed.groups[0][0].syllables): 0 for parsed in phrases.values()}


@pytest.fixture(scope="module")
def written_without_accents(tmp_path_factory) -> tuple[SearchEngine, dict[str, dict]]:
    """Return an index of the demo articles quoting prices "đồng/kg", one of them also as a copy
    writing them "dong/kg" (its other "đồng" and "kg" kept), and {id: article} of what it holds."""
    by_id = {a["id"]: a for a in DEMO_ARTICLES}
    articles = {i: by_id[i] for i in PER_KG_IDS + OTHER_IDS}
    copied = by_id["unc-news_business_019"]
    articles["dong-kg"] = {**copied, "id": "dong-kg", "body": copied["body"].replace("đồng/kg", "dong/kg")}
    directory = tmp_path_factory.mktemp("without-accents")
    reindex(directory / "index", [str(write_jsonl(directory / "articles.jsonl", list(articles.values())))], procs=1)
    return SearchEngine(directory / "index"), articles


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "folded"])
def test_a_word_typed_with_inner_punctuation_is_held_with_its_accents_as_typed_where_its_syllables_stand_apart(
        written_without_accents, exact):
    # The copy holds "đồng" and "kg" with these accents, but "đồng/kg" only as "dong/kg": the most
    # tier of the accents as typed does not find it, the folded one does.
    engine, articles = written_without_accents
    text = words(articles["dong-kg"]["title"] + " " + articles["dong-kg"]["body"])
    assert {"đồng", "kg"} <= set(text) and not holds_in_a_row(text, ["đồng", "kg"], True)
    expected = most_tier(articles, [], ["đồng/kg"], [], exact)
    assert at_least_half(engine, "đồng/kg", exact) == expected
    assert expected == set(PER_KG_IDS) | ({"dong-kg"} if not exact else set())


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "folded"])
@pytest.mark.parametrize("q, plain, joined, excluded", [
    ("giá vàng tăng mạnh -bộ", ["giá", "vàng", "tăng", "mạnh"], [], ["bộ"]),
    ("ca mắc Covid-19 mới tăng", ["ca", "mắc", "mới", "tăng"], ["Covid-19"], []),
])
def test_the_most_tier_holds_the_demo_articles_with_half_the_words_and_none_excluded(
        demo_index, q, plain, joined, excluded, exact):
    articles = {a["id"]: a for a in DEMO_ARTICLES}
    portal = (DEMO / "portal" / PORTAL_ID).read_text(encoding="utf-8")
    articles[PORTAL_ID] = {"title": "", "body": portal}
    expected = most_tier(articles, plain, joined, excluded, exact)
    assert at_least_half(SearchEngine(demo_index), q, exact) == expected
    assert 0 < len(expected) < len(articles)


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "folded"])
@pytest.mark.parametrize("q, joined", [
    ("UBND TP.HCM họp về Covid-19 và giá xăng tăng", ["UBND", "TP.HCM", "Covid-19"]),
    ("ca mắc Covid-19 mới tại TP.HCM theo UBND", ["Covid-19", "TP.HCM", "UBND"]),
])
@pytest.mark.parametrize("share", [matching.LONG_QUERY_SHARE, matching.MOST_SHARE])
def test_a_questions_words_with_spellings_are_not_looked_for_where_those_found_already_reach_its_share(
        demo_index, monkeypatch, exact, q, joined, share):
    # at_least looks for a question's units (words with inner punctuation or other spellings: phrases)
    # one after the other, each only in the articles still undecided: an article that the units found
    # so far bring to the share is not read for the next.  The set is what counting every unit gives.
    view = SearchEngine(demo_index).backend.view()
    parsed = understand(parse_query(q), Vocabulary(view.statistics()), abbreviations.load()).parsed
    units = [group for group in parsed.groups if matching.is_unit(group)]
    assert len(units) == len(joined)
    order: list[tuple[int, tuple[str, ...]]] = []  # (doc, phrase terms) as read
    phrase_docs = matching.phrase_docs
    monkeypatch.setattr(matching, "phrase_docs", lambda ctx, terms, fields, docs: (
        order.extend((int(doc), tuple(terms)) for doc in docs), phrase_docs(ctx, terms, fields, docs))[1])
    mask = matching.at_least(view.context, parsed, exact, share)
    plain = [w for w in q.split() if w not in joined]
    articles = demo_and_portal()
    spellings = {word: abbreviations.load().alternatives(abbreviations.form_key(word)) for word in joined}
    assert found_ids(view, mask) == most_tier(articles, plain, joined, [], exact, spellings, share)
    need = max(1, math.ceil(share * len(parsed.groups)))
    unit_of = {tuple(matching.term(s, exact) for s in clause.syllables): at
               for at, group in enumerate(units) for clause in group}
    found_in = {}  # doc: units found in it so far, in the order read
    for doc, terms in order:
        doc_id = view.context.snapshot.stored(doc)["id"]
        text = [words(articles[doc_id][field]) for field in ("title", "body")]
        held = sum(any(holds_as(w, s, exact) for field in text for w in field) for s in plain)
        unit = unit_of[terms]
        before = {u for u in found_in.get(doc, []) if u != unit}
        assert held + len(before) < need, (doc_id, terms)  # still undecided when read
        if any(holds_in_a_row(field, list(terms), exact) for field in text):
            found_in.setdefault(doc, []).append(unit)
    # Articles found holding a unit, and read for another after it (the first found not enough alone).
    assert any(found_in.values()) or share < matching.MOST_SHARE


@pytest.mark.parametrize("fieldname", ["title", "body"])
@pytest.mark.parametrize("cells", [10**9, 0], ids=["counted at once", "one term at a time"])
def test_a_few_docs_are_searched_for_runs_of_many_terms_in_one_pass_with_the_same_starts(
        demo_context, fieldname, cells, monkeypatch):
    # A long query's words together are looked for in the few articles holding all of them: every term's
    # occurrences read at once, without narrowing down term by term (_near_rarest), each occurrence
    # starting a run listed as the search of every doc finds it.
    monkeypatch.setattr(matching, "FEW_WINDOW_CELLS", cells)
    monkeypatch.setattr(matching, "_near_rarest", lambda *args: pytest.fail("narrowed term by term"))
    text = [normalize_term(word) for word in words(DEMO_ARTICLES[3][fieldname])]
    source = next(doc for doc in range(demo_context.size)
                  if [normalize_term(word) for word in words(demo_context.snapshot.stored(doc)[fieldname])] == text)
    listed = 0
    for terms in [list(dict.fromkeys(text[:30])), list(dict.fromkeys(text[2:60])), ["bo", "chinh", "tri"],
                  [*dict.fromkeys(text[:12]), "qzxw"]]:
        for docs in ([source], [source - 1, source, source + 1], list(range(8)), [source, *range(101, 108)]):
            docs = np.array(sorted(set(docs)), dtype=np.int64)
            for width in (2 * len(terms), len(terms) + 1, 6):
                expected = run_starts(demo_context, fieldname, terms, docs, width)
                found = matching.window_docs(demo_context, fieldname, terms, docs, width)
                assert found.tolist() == expected and found.dtype == np.int64, (terms[:3], docs, width)
                listed += len(expected)
    assert listed


def test_a_few_docs_of_an_index_of_many_segments_are_narrowed_down_term_by_term(demo_context, monkeypatch):
    # Reading every term at once costs a few array operations per term and segment: when the terms'
    # postings are joined from more segments than FEW_WINDOW_PARTS each, the few docs are narrowed down
    # term by term as many docs are, with the same starts.
    text = [normalize_term(word) for word in words(DEMO_ARTICLES[3]["body"])]
    source = next(doc for doc in range(demo_context.size)
                  if [normalize_term(word) for word in words(demo_context.snapshot.stored(doc)["body"])] == text)
    terms, docs = list(dict.fromkeys(text[:30])), np.array([0, source], dtype=np.int64)
    expected = run_starts(demo_context, "body", terms, docs, 2 * len(terms))
    assert expected
    narrowed = []
    near_rarest = matching._near_rarest
    monkeypatch.setattr(matching, "_near_rarest",
                        lambda *args, **kwargs: narrowed.append(1) or near_rarest(*args, **kwargs))
    monkeypatch.setattr(matching, "FEW_WINDOW_PARTS", 0)
    assert matching.window_docs(demo_context, "body", terms, docs, 2 * len(terms)).tolist() == expected and narrowed
    monkeypatch.setattr(matching, "FEW_WINDOW_PARTS", 10**6)
    narrowed.clear()
    assert matching.window_docs(demo_context, "body", terms, docs, 2 * len(terms)).tolist() == expected
    assert not narrowed


# Articles writing two words side by side ("did you mean"'s pair lookups) --------------------------


def bodies_with_pair(first: str, second: str) -> set[str]:
    """The oracle: ids of the demo articles whose body writes the two (folded) syllables in a row."""
    return {a["id"] for a in DEMO_ARTICLES if any(
        (folded(x), folded(y)) == (first, second) for x, y in itertools.pairwise(words(a.get("body") or "")))}


@pytest.mark.parametrize("pair", [("toi", "da"), ("ha", "noi"), ("bong", "da"), ("chinh", "tri")])
def test_pair_documents_are_articles_writing_the_two_words_side_by_side(engine, pair):
    written = bodies_with_pair(*pair)
    assert len(written) >= 2, pair
    found = engine.backend.statistics().pair_documents([pair], 3, 4096)
    assert len(found) == min(3, len(written)) and {a["id"] for a in found} <= written
    assert all(a["title"] and a["body"] for a in found)  # whole stored articles, voted by "did you mean"


def test_pair_documents_of_several_pairs_come_together_each_article_once(engine):
    pairs = [("ha", "noi"), ("noi", "bai"), ("zzqx", "noi")]
    found = engine.backend.statistics().pair_documents(pairs, 2, 4096)
    ids = [a["id"] for a in found]
    assert len(ids) == len(set(ids))
    held = [bodies_with_pair(*pair) & set(ids) for pair in pairs]
    assert [len(h) >= min(2, len(bodies_with_pair(*pair))) for h, pair in zip(held, pairs)] == [True, True, True]
    assert set(ids) <= set().union(*(bodies_with_pair(*pair) for pair in pairs))
    assert engine.backend.statistics().pair_documents([("zzqx", "noi")], 2, 4096) == []
    # A pair asked twice: its articles once.
    statistics = engine.backend.statistics()
    once = [a["id"] for a in statistics.pair_documents([("ha", "noi")], 2, 4096)]
    assert [a["id"] for a in statistics.pair_documents([("ha", "noi"), ("ha", "noi")], 2, 4096)] == once


def texts_with_run(articles: list[dict], *syllables: str) -> set[str]:
    """The oracle: ids of the articles whose title or body writes the (folded) syllables in a row."""
    size = len(syllables)
    return {a["id"] for a in articles for text in (a.get("title") or "", a.get("body") or "")
            for written in [[folded(w) for w in words(text)]]
            if any(tuple(written[i : i + size]) == syllables for i in range(len(written) - size + 1))}


@pytest.mark.parametrize("terms", [("viet", "nam"), ("bo", "chinh", "tri"), ("nam", "viet"), ("o", "ba", "ma"),
                                   ("chinh", "tri"), ("tp", "hcm")])
def test_a_phrases_frequency_counts_the_articles_writing_its_syllables_in_a_row(engine, terms):
    # Run-together words are split only where their pieces stand together far more often than the word.
    articles = [*DEMO_ARTICLES, engine.article(PORTAL_ID)]  # the demo index holds the portal article too
    assert engine.backend.statistics().phrase_frequency(list(terms)) == len(texts_with_run(articles, *terms))


def test_side_by_side_reads_live_articles_only_and_no_more_than_it_is_told(demo_index):
    view = SearchEngine(demo_index).backend.view()
    ctx, live = view.context, view.snapshot.live
    every = matching.side_by_side(ctx, "ha", "noi", live, 1000, 10**6)
    assert {view.snapshot.stored(d)["id"] for d in every} == bodies_with_pair("ha", "noi")
    assert every == sorted(every)  # in doc number order: a sample, not a ranking
    assert matching.side_by_side(ctx, "ha", "noi", live, 3, 10**6) == every[:3]
    gone = live.copy()
    gone[every[:2]] = False
    assert matching.side_by_side(ctx, "ha", "noi", gone, 3, 10**6) == every[2:5]
    # Only the first articles holding the rarer word are read: those before the first match hold none.
    rarer = min((ctx.postings("body", t).ids for t in ("ha", "noi")), key=len)
    assert matching.side_by_side(ctx, "ha", "noi", live, 3, int(np.searchsorted(rarer, every[0]))) == []
    assert matching.side_by_side(ctx, "ha", "noi", live, 3, int(np.searchsorted(rarer, every[0])) + 1) == every[:1]


def test_a_word_of_time_is_no_plain_word_of_the_together_tier_and_no_word_of_the_most_tier():
    parsed = parse_query("bóng chuyền hôm nay")
    words = lambda groups: [[" ".join(s.exact for s in c.syllables) for c in g] for g in groups]  # noqa: E731
    assert [s.exact for s in matching.plain_syllables(parsed)] == ["bóng", "chuyền"]
    assert matching.window(parsed) == 4
    assert [words(groups) for groups in matching.required_groups(parsed)] == [[], [["bóng"], ["chuyền"]]]
    alone = parse_query("hôm nay")  # a word of time alone is the query's one word
    assert matching.plain_syllables(alone) == [] and words(matching.required_groups(alone)[1]) == [["hôm nay"]]
    quoted = parse_query('bóng chuyền "hôm nay"')  # the reader's own phrase, kept close
    assert [s.exact for s in matching.plain_syllables(quoted)] == ["bóng", "chuyền", "hôm", "nay"]


@pytest.mark.parametrize(("text", "tier", "accents"), [
    # Together nowhere with these accents, apart in some articles; folded, some articles write them in a
    # row: an accent slipped in a phrase.
    ("bộ trương", "together", "folded"),
    ("bóng đa", "together", "folded"),
    ("bồ chính trí", "together", "folded"),
    # Together only with other accents ("Việt Nam mùa"), never in a row: the words as typed, apart.
    ("việt nam mưa", "all", "exact"),
    ("giá vàng -usd", "all", "exact"),  # together with these accents only in articles the query excludes
    ("thủ tướng mưa", "together", "folded"),  # no article holds the words as typed, even apart
    # A question, its words together with "dẫn" (not in a row: a word left out): questions are seldom
    # written in a row.
    ("hiệu trong và ngoài khác để dân đầu", "together", "folded"),
])
def test_words_together_with_other_accents_come_before_the_words_as_typed_apart_only_when_written_in_a_row(
        demo_index, text, tier, accents):
    parsed = parse_query(text)
    matched = matching.match(fresh_context(demo_index), parsed)
    live = fresh_context(demo_index).snapshot.live
    exact = matching.tier_masks(fresh_context(demo_index), parsed, True, live)
    folded = matching.tier_masks(fresh_context(demo_index), parsed, False, live)
    row = matching.in_a_row(fresh_context(demo_index), parsed, folded["all"])
    assert not exact["together"].any() and folded["together"].any()  # a contest between the two
    assert (matched.tier, matched.accents) == (tier, accents)
    assert (row or matching.is_question(parsed)) == (tier == "together" and exact["all"].any())
    assert matched.mask.tolist() == (exact if accents == "exact" else folded)[tier].tolist()


def test_words_in_a_row_are_the_typed_plain_words_folded_in_consecutive_positions(demo_index):
    ctx = fresh_context(demo_index)
    everything = ctx.snapshot.live
    assert matching.in_a_row(ctx, parse_query("bóng đa"), everything)  # "bóng đá"
    assert matching.in_a_row(ctx, parse_query("bồ chính trí"), everything)  # "Bộ Chính trị"
    assert not matching.in_a_row(ctx, parse_query("trí chính bồ"), everything)  # not in this order
    assert not matching.in_a_row(ctx, parse_query("bóng"), everything)  # one word is no row
    assert not matching.in_a_row(ctx, parse_query("bóng đa"), np.zeros(ctx.size, dtype=bool))  # none looked at


def test_a_tier_asked_for_with_other_accents_is_answered_from_them_whether_or_not_written_in_a_row(demo_index):
    # "việt nam mưa" together only as "Việt Nam mùa", never in a row: auto answers from its words apart,
    # a request for the together tier from those words together.
    parsed = parse_query("việt nam mưa")
    auto = matching.match(fresh_context(demo_index), parsed)
    assert (auto.tier, auto.accents) == ("all", "exact")
    together = matching.match(fresh_context(demo_index), parsed, "together")
    assert (together.tier, together.accents) == ("together", "folded") and together.mask.any()


@pytest.mark.parametrize("read_every", [2, 0])  # every other document, or none
def test_words_apart_beyond_the_unaccented_answer_are_matched_whole_with_the_documents_read(demo_index, read_every):
    # Matched among the unaccented query's answer (its together tier), the words as typed apart lie beyond
    # it: the query is matched in the whole index, with the documents read as asked.
    plain = matching.match(fresh_context(demo_index), parse_query("viet nam mua"))
    parsed = parse_query("việt nam mưa")
    read = np.arange(plain.mask.size) % 2 == 1 if read_every else np.zeros(plain.mask.size, dtype=bool)
    among = matching.match(fresh_context(demo_index), parsed, among=plain.mask, read=read)
    whole = matching.match(fresh_context(demo_index), parsed, read=read)
    assert (plain.tier, among.tier, among.accents) == ("together", "all", "exact")
    assert {t: among.tiers[t].tolist() for t in ("together", "all", "most")} == {
        t: whole.tiers[t].tolist() for t in ("together", "all", "most")}
    assert among.mask.tolist() == whole.mask.tolist() and (among.mask & ~plain.mask).any()
    assert among.mask.tolist() != (whole.mask & read).tolist()  # not only among the documents read
