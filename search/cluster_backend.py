"""The SphinxQL backend: the same search, matched, ranked, filtered and counted by the engine.

A query is matched in the tiers of ``search.matching`` (together, all, most), each tier one
``MATCH`` text (``search.cluster_query``): the tier and the accents are chosen by one batch of
counts without filters, as the embedded index chooses them.  Two optional parts (``MAYBE``) only
add to the score: the syllables typed with accents on the exact fields (when the accents were
folded: as typed they are in the tier's text already), and the compound words (``chinh_tri``) of
adjacent query syllables.  Ranking is an expression of the IDF of the query
words each field holds and of the longest run of query words in a field (``lcs``); each shard
ranks with its own statistics, so IDF is ``plain`` and ties are broken by document key.

One multi-statement round trip then runs the page, ``SHOW META`` (total, warnings), a count of
each wider tier and one ``GROUP BY`` per facet, each facet with every filter but its own; its
three parts (the page; the facets; the counts) go to the nodes at once.  A first relevance page
without facet filters matches its tier once a shard instead: its first rows in the page's order
with their facet values, no stored text (the facets counted from them when they are every match),
asked of each shard on its own node and merged here, then the stored text of each shard's best
articles by key in a second round trip.  A shard that
does not answer turns into a warning in ``SHOW META``: the result is flagged ``partial``.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from search.backend import BackendHealth, FacetCounts, Matches, Progress, StoredArticle
from search.cluster import AGENT_QUERY_TIMEOUT_MS, DISTRIBUTED_INDEX, META_INDEX
from search.cluster_cache import GenerationCache
from search.cluster_query import (
    clause_text,
    distinct_tokens,
    in_a_row_text,
    question_pool_text,
    tier_texts,
    with_excluded,
)
from search.cluster_rerank import rerank
from search.matching import is_question
from search.parse import Clause, ParsedQuery, Syllable, folded_label, parse_query
from search.ranking import DEFAULT_RANKING, Ranking
from search.recency import freshness, stamps_of, wants_recent
from search.request import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, TIERS, UNDATED, SearchRequest
from search.sphinxql import (
    META_ID,
    PLACEHOLDER_TOKEN,
    STORED_COLUMNS,
    VOCABULARY_ID,
    BackendError,
    Cluster,
    NodeAddress,
    document_key,
    engine_token,
    label_code,
    meta_on,
    stored_fields,
)
from search.text import COMPOUND_JOINER
from search.whoosh_backend import DERIVED_PREFIX_TERMS, DERIVED_TITLE_WORDS

MAX_COMPOUND_SYLLABLES = 3
MAX_FACET_VALUES = 1000
# The (month, category, source) groups one statement counts every facet from: the 60k corpus
# has about 2,000; more and the facets are counted one statement each.
MAX_FACET_GROUPS = 20000
# The queue of that grouping is sized to the cluster's own number of groups, which a reindex
# records (``facet_groups``): each shard and the merging node fill and sort a queue of that many
# (20,000 slots instead of the 60k corpus's 2,000: "Hà Nội" 80 -> 58 ms).  A record short of the
# groups a search finds (a reindex still writing) falls back to one statement per facet.
# The filters a facet leaves out of its own counts: with none of them active every facet counts
# the same articles.
_FACET_FILTERS = ("year", "month", "category", "source")
# The ranker's integer weights, brought back to the embedded index's order of magnitude.
SCORE_SCALE = 1000.0
# How long a node that failed is tried last, and how often labels and vocabulary are reread.
NODE_RETRY_S = 5.0
REFRESH_S = 5.0
# The labels (categories, sources, article count, average lengths) are three scans of every article
# (60k: 50-200 ms of the engine's time): reread when a reindex committed (a page's batch reads the
# generation), while a shard is missing from them, and at least this often (a reindex writes its
# articles before it commits).
LABELS_MAX_AGE_S = 60.0
# A search answers in well under a second; a node that does not within this is given up on
# (the next node is asked, and the failed one is tried last for NODE_RETRY_S).  Longer than a
# node waits for another node's shard (agent_query_timeout), so a hung shard gives a partial
# answer, not a failover: over a kept agent connection only that timeout notices a hung node.
SEARCH_TIMEOUT_S = AGENT_QUERY_TIMEOUT_MS / 1000 + 1
KEYWORDS_PER_STATEMENT = 100
# Threads of a serving process that send the other parts of a page's batch to the nodes.
HELPER_THREADS = 16
BATCH_PARTS = 3
# The count deciding whether a query's words together with other accents come before its words as
# typed apart: the articles writing them in a row, folded (``cluster_query.in_a_row_text``).
IN_A_ROW = "in a row"
# A first relevance page without facet filters matches the query once a shard: its first matches in
# the page's order, up to this many, come back without stored text but with their facet values; the
# facets are counted from them when they are every match (title fragments at 60k: 100 of 110 find 400
# articles or fewer), else by the grouping, sent with the second round trip that fetches the stored
# text of each shard's best articles by key.
ONE_MATCH_ROWS = 400
# Those rows are asked of each shard on its own node and merged by vnsearch (``ClusterBackend._each_shard``).
WIDE_EACH_SHARD = True
# A question's page ranks its pool without the exact forms of its accented words
# (``ClusterBackend.question_exact_forms``).
QUESTION_EXACT_FORMS = False
# A first page whose tier likely holds more than that many articles has its grouping sent beside the page
# instead (the page and the grouping at once, on two nodes) rather than after the page's rows: a query of
# at most this many distinct words, each held by more than this many articles (``keyword_documents``, read
# before the page).  At 60k "Hà Nội", "bóng đá", "giá vàng", "covid" in a year find 490-16,000 articles, and
# their grouping followed the page's match (15-50 ms of the 40-110 ms a search); a longer query of common
# words mostly finds a few dozen ("thi đánh giá năng lực": 100 of 33,000).
LARGE_TIER_WORDS = 2
LARGE_TIER_DOCUMENTS = 2000
# The engine's best articles by relevance that vnsearch scores again (``search.cluster_rerank``):
# a short query's article is among the engine's first few (titles and fragments, train split:
# always in its top 3), a question's answer often further down (in its top 10 for 0.39 of the
# train questions, top 60 for 0.55).  Each article costs its stored text's transfer and analysis.
RERANK_DEPTH = 10
QUESTION_RERANK_DEPTH = 60
# Those articles are each shard's best (the depth shared out over the shards, at least a page),
# not the best of the merged order: which articles are scored again then never depends on the
# other shards, so with a shard down the page is the whole cluster's order without its articles.
# What the engine adds to the score of an article holding every word of a short query answered
# from the most tier (they come first, as in the embedded index).
EVERY_WORD_BONUS = 10_000_000
_EXACT_FIELDS = {None: "@(title_exact,body_exact)", "title": "@title_exact"}
# The top articles of queries ("did you mean" reads them) kept per generation: each entry holds a
# page of stored articles (about 50 KB), so far fewer than the plans.
MAX_KEPT_TOP_PAGES = 500
# The rows of the last questions' pool pages, by their statements, kept until a reindex commits: the engine
# ranks a question's whole pool (a fifth of its words: most of the articles at 60k, 0.1-1.5 s of searchd CPU),
# and "did you mean" searches the accented suggestion of a question typed without accents, whose pool page is
# the very same statement (its words folded, the same optional part).  Each entry holds 60 stored articles.
MAX_KEPT_POOL_PAGES = 32
KEPT_QUERY_TEXTS = 256
# Read in every results page's batch: the metadata a reindex writes when it commits.
_GENERATION_STATEMENT = (f"SELECT value FROM {META_INDEX} WHERE id = {META_ID}", None)


@dataclass(frozen=True)
class EngineRanking:
    """The engine's ranking expression knobs.

    Sphinx 2.2.11's ``bm25f()`` and ``bm25a()`` answer a constant on real-time indexes, so
    the expression is built from other factors: the IDF of the distinct query words each field
    holds (``sum_idf``, weighted per field) times BM25's saturation of their mean term frequency
    (``tf_idf / sum_idf``, ``k1``); the body fields' part is divided by the square root of the
    body's length relative to the average (short answers must not lose to long articles), the
    title fields' part is not (a long article must not lose its matching title: full titles
    0.965 -> 0.978 on 100 train queries; normalising it by the title's length instead,
    ``title_b`` 0.4 / 0.75, gave 0.975 / 0.970); plus the longest run of query words in a field
    (``lcs``).  A question (``search.matching.is_question``) is ranked on the
    IDF alone plus the engine's quick BM25 estimate of the whole document (``bm25``: each
    keyword's frequency saturated, no length normalisation), which lifts the answers repeating
    its rarer words but pushes long articles over matching titles in short queries.  Tuned on
    the train split of ``bench/bench_cluster.py``.
    """

    title_weight: int = 3
    body_weight: int = 1
    exact_weight: int = 1
    compound_weight: int = 1
    k1: float = 1.2
    question_bm25_weight: int = 3
    length_floor: float = 0.2
    title_lcs: int = 4
    body_lcs: int = 1
    lcs_scale: int = 200
    # The title fields' part is normalised by the title's length (BM25's b), not by the body's.
    title_b: float = 0.0
    title_apart: int = 1

    def expression(self, average_length: float, bonus_for_all: int = 0, words: int = 0,
                   question: bool = False, average_title: float = 1.0) -> str:
        """Return the ranker expression of a query or a question (optionally lifting documents holding every word)."""
        mean_tf = "if(sum_idf>0,tf_idf/sum_idf,1)"
        idf = "sum_idf" if question else f"sum_idf*{mean_tf}*{self.k1 + 1:g}/({mean_tf}+{self.k1:g})"
        bm25 = f"+{self.question_bm25_weight}*bm25" if question else ""
        length = f"sqrt({self.length_floor}+body_fold_len/{max(average_length, 1.0):.1f})"
        in_title = f"user_weight>={self.title_weight}"
        if self.title_apart:
            title_length = f"(1-{self.title_b:g}+{self.title_b:g}*title_fold_len/{max(average_title, 1.0):.1f})"
            relevance = (f"(1000*sum(if({in_title},0,{idf}*user_weight)){bm25})/{length}"
                         f"+1000*sum(if({in_title},{idf}*user_weight,0))/{title_length}")
        else:
            relevance = f"(1000*sum({idf}*user_weight){bm25})/{length}"
        score = f"{relevance}+{self.lcs_scale}*sum((lcs-1)*if({in_title},{self.title_lcs},{self.body_lcs}))"
        if bonus_for_all:
            score += f"+if(doc_word_count>={words},{bonus_for_all},0)"
        return score

    def field_weights(self) -> str:
        """Return the weight of each field in the expression (user_weight)."""
        title, body = self.title_weight, self.body_weight
        return (f"title_fold={title},body_fold={body},title_exact={title * self.exact_weight},"
                f"body_exact={body * self.exact_weight},title_compound={title * self.compound_weight},"
                f"body_compound={body * self.compound_weight},every=0")


DEFAULT_ENGINE_RANKING = EngineRanking()


# The ranking's optional part -------------------------------------------------------------


def _terms(syllables: Iterable[Syllable], exact: bool = False) -> list[str]:
    """Return the engine tokens of syllables, folded (or exact)."""
    return [engine_token(s.exact, s.folded) if exact else engine_token(s.folded) for s in syllables]


def bonus_match(parsed: ParsedQuery, exact_forms: bool = True) -> str:
    """Return the optional part: exact forms of accented syllables (unless told not to), compounds of
    adjacent syllables."""
    parts = []
    for clause in parsed.clauses:
        accented = [s for s in clause.syllables if s.accented] if exact_forms else []
        if accented:
            parts.append(f"({_EXACT_FIELDS[clause.field if clause.field == 'title' else None]} "
                         f"{' | '.join(_terms(accented, exact=True))})")
    compounds = _compounds(parsed)
    if compounds:
        parts.append(f"(@(title_compound,body_compound) {' | '.join(compounds)})")
    return " | ".join(parts)


def _compounds(parsed: ParsedQuery) -> list[str]:
    """Return the folded compound words (2-3 adjacent syllables) the query could hold."""
    found = []
    for clause in parsed.clauses:
        folded = _terms(clause.syllables)
        for size in range(2, MAX_COMPOUND_SYLLABLES + 1):
            found += [COMPOUND_JOINER.join(folded[i : i + size]) for i in range(len(folded) - size + 1)]
    chain = [t for c in parsed.clauses if not c.field for t in _terms(c.syllables)]
    found += [COMPOUND_JOINER.join(chain[i : i + 2]) for i in range(len(chain) - 1)]
    return [c for c in dict.fromkeys(found) if engine_token(c) == c]


def match_text(parsed: ParsedQuery, positive: str, exact: bool, bonus: bool = True, exact_forms: bool = True) -> str:
    """Return the whole MATCH text: a tier's positive part, the ranking's optional part (with or without the
    exact forms of accented syllables), the exclusions."""
    optional = bonus_match(parsed, exact_forms) if bonus and parsed.groups else ""
    return with_excluded(f"({positive}) MAYBE ({optional})" if optional else positive, parsed, exact)


def escape_literal(text: str) -> str:
    """Return text as the inside of a SphinxQL string literal."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


# Filters -----------------------------------------------------------------------------------


def _day_number(value) -> int:
    """Return a date as the YYYYMMDD number the day attribute holds."""
    return value.year * 10000 + value.month * 100 + value.day


def filter_conditions(request: SearchRequest, labels: Labels, parsed: ParsedQuery) -> dict[str, str]:
    """Return the WHERE conditions of the active filters, by facet they belong to."""
    conditions = {}
    if request.date_from or request.date_to:
        low = _day_number(request.date_from) if request.date_from else 1
        high = _day_number(request.date_to) if request.date_to else 99991231
        conditions["date"] = f"day BETWEEN {low} AND {high}"
    if request.year:
        conditions["year"] = f"year = {0 if request.year == UNDATED else int(request.year)}"
    if request.month:
        year, month = (int(part) for part in request.month.split("-"))
        conditions["month"] = f"month = {year * 100 + month}"
    if request.categories:
        conditions["category"] = _label_in("category_crc", [_exact_label(v) for v in request.categories])
    if request.sources:
        conditions["source"] = _label_in("source_crc", [_exact_label(v) for v in request.sources])
    if parsed.categories:
        conditions["query_category"] = _label_in("category_crc", labels.loose(labels.categories, parsed.categories))
    if parsed.sources:
        conditions["query_source"] = _label_in("source_crc", labels.loose(labels.sources, parsed.sources))
    return conditions


def _exact_label(value: str) -> str:
    """Return the stored label a facet value stands for ("none": no label)."""
    return "" if value == UNDATED else value


def _label_in(attribute: str, labels: list[str]) -> str:
    """Return a condition: the label is one of labels (none: a condition nothing meets)."""
    codes = sorted({label_code(label) for label in labels}) or [label_code("\x00no label")]
    return f"{attribute} IN ({','.join(map(str, codes))})"


class Labels:
    """The distinct categories and sources of the cluster, reread every few seconds."""

    def __init__(self):
        self.categories: list[str] = []
        self.sources: list[str] = []
        self.average_length = 1.0  # words in an article body, on average (for length normalisation)
        self.average_title = 1.0  # and in a title
        self.articles = 0
        # The articles of the shards that answered (all of them unless a shard is down).
        self.live_articles = 0
        self.loaded = 0.0
        # The generation of the cluster's content they were read at (None: none known yet).
        self.generation: str | None = None
        # Whether every shard answered (else the article count and averages are the last reindex's).
        self.whole = True

    @staticmethod
    def loose(names: list[str], typed: list[str]) -> list[str]:
        """Return the labels holding all of a typed label's folded words in a row (as the embedded index does)."""
        wanted = [folded_label(t) for t in typed]
        return [name for name in names
                if all(w and f" {w} " in f" {folded_label(name)} " for w in wanted)]


# The backend ---------------------------------------------------------------------------------


@dataclass
class Plan:
    """How a query is answered: the tier, the accents and every tier's positive MATCH text."""

    tier: str
    accents: str
    texts: dict[str, str]
    question: bool
    # Whether some tier found an article (without filters).
    found: bool = True
    # Each tier's count without filters, with the plan's accents, when every shard answered.
    counts: dict[str, int] | None = None
    # Whether the tier is the tightest taken before (or without) the counts (``_tightest``).
    guessed: bool = False

    @property
    def exact(self) -> bool:
        """Tell whether the accents are kept as typed."""
        return self.accents == "exact"

    @property
    def matching(self) -> str:
        """Return the ``matching`` value of the API: 'all' words, 'most' (a question) or 'any'."""
        if self.tier != "most":
            return "all"
        return "most" if self.question else "any"


def _answers_most(plan: Plan, mode: str) -> bool:
    """Tell whether a plan's result set is its ``most`` tier: a question's in ``auto`` unless its words
    stand together somewhere (as the embedded index answers); a guessed plan (no counts, or a shard's
    missing) takes a question for its ``most`` tier: a question's words rarely stand together."""
    return plan.question and mode == "auto" and (plan.guessed or plan.tier != "together")


def _same_page(guessed: Plan, counted: Plan, mode: str) -> bool:
    """Tell whether a page asked for a guessed plan is the page of the plan the counts chose."""
    most = _answers_most(guessed, mode)
    return (guessed.accents, guessed.found, guessed.texts) == (counted.accents, counted.found, counted.texts) and (
        most == _answers_most(counted, mode)) and (most or guessed.tier == counted.tier)


def _top_page(request: SearchRequest) -> bool:
    """Tell whether a request's page is what ``top_documents`` finds for its query: the first page by
    relevance, answered as the query says (``match=auto``), of the default size, without filters."""
    return (request.page == 1 and request.size == DEFAULT_PAGE_SIZE and request.sort == "relevance"
            and request.match == "auto" and not (request.date_from or request.date_to or request.year
                                                   or request.month or request.categories or request.sources))


def query_key(parsed: ParsedQuery) -> str:
    """Return what a query's page depends on: its clauses' normalised syllables and flags, the excluded
    clauses and the query's labels, not how it was typed ("Bán nhà 3" and "bán  nhà 3" are one query:
    the mix of a "did you mean" suggestion and the query typed in other capitals)."""
    def clause(c: Clause) -> tuple:
        return (tuple((s.exact, s.folded) for s in c.syllables), c.phrase, c.field, c.alternative, c.joined, c.decoded,
                c.numerals, c.quoted)

    return repr(([[clause(c) for c in group] for group in parsed.groups], [clause(c) for c in parsed.excluded],
                 parsed.categories, parsed.sources))


def _found(meta: list[tuple]) -> int:
    """Return the total_found of a SHOW META result."""
    return int(dict(meta).get("total_found", 0))


# A warning about the query (a rewritten quorum), from a shard that answered; a shard that did
# not is named with its failure (connect() failed, timed out, ...).
_QUERY_WARNING = "quorum threshold too high"


def _warning(meta: list[tuple] | dict) -> bool:
    """Tell whether a SHOW META result warns of a shard that did not answer."""
    text = dict(meta).get("warning") or ""
    return bool(text) and not (_QUERY_WARNING in text and not re.search("fail|time|refused|closed|lost", text))


def _keyword_documents(meta: dict) -> dict[str, int]:
    """Return {keyword: documents holding it} from the per-keyword statistics of a SHOW META."""
    return {meta[key]: int(meta.get(f"docs{key[len('keyword'):]}", 0)) for key in meta if key.startswith("keyword[")}


def _generation(rows: list[tuple]) -> str | None:
    """Return the generation of the cluster's content: the metadata record of the last reindex."""
    return rows[0][0] if rows else None


class _Batch:
    """Statements for one round trip, each distinct count sent once."""

    def __init__(self, statements: Iterable[tuple[str, None]] = ()):
        self.statements = list(statements)
        self._counts: dict[str, int] = {}

    def add(self, statements: list[tuple[str, None]]) -> int:
        """Append statements; return the position of the first one's result."""
        self.statements += statements
        return len(self.statements) - len(statements)

    def count(self, where: str, exists: bool = False) -> int:
        """Append a count of what a WHERE clause finds (unless already there); return its SHOW META's position.

        exists: only whether it finds anything is wanted (a count, when there is one, tells that too).
        """
        if where in self._counts:
            return self._counts[where]
        if not exists:
            self._counts[where] = self.add(ClusterBackend._count_statements(where)) + 1
            return self._counts[where]
        if (where, "exists") not in self._counts:
            self._counts[where, "exists"] = self.add(ClusterBackend._count_statements(where, exists=True)) + 1
        return self._counts[where, "exists"]

    def counted_at(self, where: str, position: int) -> None:
        """Note that the result at position will say what a WHERE clause finds (its total_found)."""
        self._counts.setdefault(where, position)


class ClusterBackend:
    """A SphinxQL cluster as a ``search.backend.Backend``."""

    def __init__(self, url: str, lock_dir: str = "index", ranking: Ranking = DEFAULT_RANKING,
                 engine_ranking: EngineRanking = DEFAULT_ENGINE_RANKING,
                 rerank_depth: tuple[int, int] = (RERANK_DEPTH, QUESTION_RERANK_DEPTH)):
        self.cluster = Cluster(url, read_timeout=SEARCH_TIMEOUT_S)
        self.lock_dir = lock_dir
        self.ranking = ranking
        self.engine_ranking = engine_ranking
        # How many of the engine's best articles are reranked: for a query, for a question.
        self.rerank_depth = rerank_depth
        self._failed: dict[int, float] = {}
        self._labels = Labels()
        self._vocabulary: tuple[float, list[tuple[str, int]]] = (0.0, [])
        self._lock = threading.Lock()
        # Tier plans and document frequencies, kept until a reindex commits.
        self._cache = GenerationCache()
        # The document frequencies the whole cluster gave, kept until a reindex commits however old:
        # the statistics of a search a shard misses (see ``_whole_frequencies``).
        self._whole = GenerationCache(max_age=float("inf"))
        # The first page of queries without filters (``top_documents``), kept until a reindex commits.
        self._top = GenerationCache(max_entries=MAX_KEPT_TOP_PAGES)
        # The rows and SHOW METAs of questions' pool pages, by their statements (``MAX_KEPT_POOL_PAGES``).
        self._pool_pages = GenerationCache(max_entries=MAX_KEPT_POOL_PAGES)
        # The MATCH texts of the last queries searched (they depend on the query alone).
        self._texts: dict[tuple[str, str], tuple] = {}
        # The facets' grouping queue, and the generation record it was read from.
        self._queue: tuple[str | None, int] = (None, 0)
        self._pool: tuple[int, ThreadPoolExecutor] | None = None
        # Terms whose document frequencies are being read (``read_keyword_documents``), by term.
        self._reading: dict[str, _Reading] = {}
        # How many parts a page's batch is cut into, sent to the nodes at once: the page, the facets,
        # the counts (2: the page, the rest).  60 first searches at 60k: 3 parts 0.87-0.91x the time of 2.
        self.batch_parts = BATCH_PARTS
        # How many matches of each shard a first relevance page asks for without their stored text, to
        # count the facets from them (0: a page and a grouping, each matching the query).
        self.one_match_rows = ONE_MATCH_ROWS
        # Whether that page is asked of each shard on its own node and merged here (``_each_shard``), not
        # through the distributed index.
        self.wide_each_shard = WIDE_EACH_SHARD
        # Whether a question's page adds the exact forms of its accented words to its optional part: the engine
        # ranks every article of the pool (a fifth of 6-25 words, folded) reading each keyword's hits, and those
        # forms repeat every accented word of the pool (the compounds stay: without them MRR fell).
        self.question_exact_forms = QUESTION_EXACT_FORMS

    # Talking to a node -------------------------------------------------------------------

    def _nodes_in_order(self) -> list[NodeAddress]:
        """Return the nodes to try: recently failed ones last."""
        now = time.monotonic()
        return sorted(self.cluster.nodes, key=lambda n: now - self._failed.get(n.number, -1e9) < NODE_RETRY_S)

    def run(self, statements: list[tuple[str, tuple | None]]) -> list[list[tuple]]:
        """Run statements on the first node that answers (every node serves the whole index)."""
        errors = []
        for node in self._nodes_in_order():
            try:
                return self._run_on(node, statements)
            except BackendError as error:
                errors.append(str(error))
        raise BackendError("no search node answers: " + "; ".join(errors))

    def _run_on(self, node: NodeAddress, statements: list[tuple[str, tuple | None]]) -> list[list[tuple]]:
        """Run statements on one node, noting whether it answered. Raise BackendError."""
        try:
            results = self.cluster.run(node, statements)
        except BackendError as error:
            if "syntax error" in str(error) or "parse error" in str(error):
                raise
            self._failed[node.number] = time.monotonic()
            raise
        self._failed.pop(node.number, None)
        return results

    def run_split(self, statements: list[tuple[str, tuple | None]], *splits: int,
                  first: Callable[[list[list[tuple]]], list[list[tuple]]] | None = None,
                  each_shard: int = 0) -> list[list[tuple]]:
        """Run the parts of statements cut at splits on the nodes at once (part i on node i modulo the
        nodes); return every result in order.

        Every node covers the whole index, so the parts of a page's batch (the page; the facets; the
        counts) are independent searches: the nodes coordinate them side by side.  A part of one
        statement joins the part before it.  With a node recently failed (or one node), one node runs
        them all; a part whose node fails is run again on the nodes that answer.

        first: what the results of the statements before the first split are replaced with, called as
        soon as they come back (while the other parts may still be running).
        each_shard: when not 0, the first part is a wide page and its SHOW META, asked of each shard on its
        own node (``_each_shard``) and merged into the first each_shard rows of the distributed index's.
        """
        def then(results: list[list[tuple]]) -> list[list[tuple]]:
            return results if first is None else [*first(results[: splits[0]]), *results[splits[0] :]]

        now = time.monotonic()
        nodes = [n for n in self.cluster.nodes if now - self._failed.get(n.number, -1e9) >= NODE_RETRY_S]
        parts: list[list[tuple[str, tuple | None]]] = []
        for start, end in zip((0, *splits), (*splits, len(statements))):
            part = statements[start:end]
            if parts and len(part) < 2:  # one statement: not worth a part of its own
                parts[-1] = parts[-1] + part
            elif part:
                parts.append(part)
        if len(nodes) < 2 or len(parts) < 2:
            return then(self.run(statements))
        page = (self._each_shard(parts[0], each_shard) if each_shard and len(nodes) == len(self.cluster.nodes)
                else lambda: self._run_on(nodes[0], parts[0]))
        later = [self._helpers().submit(self._run_on, nodes[number % len(nodes)], part)
                 for number, part in enumerate(parts[1:], start=1)]
        results = then(self._or_any_node(page, parts[0]))
        for call, part in zip(later, parts[1:]):
            results += self._or_any_node(call.result, part)
        return results

    def _each_shard(self, statements: list[tuple[str, None]], rows: int) -> Callable[[], list[list[tuple]]]:
        """Send a wide page (``_page_statements(wide=True)``) and its SHOW META to every shard on its own node
        (the other nodes' in helper threads, at once); return what gives the distributed index's results.

        The distributed index matches each shard on its node too, then the node merging them receives the
        other shard's rows and sorts them with its own: asked directly (60k first searches: a page 13.8 ->
        11.7 ms median, replayed) vnsearch merges them instead, by the page's order (weight, then key), and
        sums the counts and each keyword's documents and hits.  A node that fails raises (the caller asks
        the distributed index on any node).
        """
        nodes = self.cluster.nodes
        asked = [[(_on_shard(statements[0][0], node.shard), None), *statements[1:]] for node in nodes]
        calls = [self._helpers().submit(self._run_on, node, part) for node, part in zip(nodes[1:], asked[1:])]

        def merged() -> list[list[tuple]]:
            answers = [self._run_on(nodes[0], asked[0]), *(call.result() for call in calls)]
            # Each shard's rows come in the page's order: merged, the first rows are the distributed index's.
            merged = heapq.merge(*(answer[0] for answer in answers), key=lambda row: (-row[0], row[1]))
            found = list(itertools.islice(merged, rows))
            return [found, _merged_meta([answer[1] for answer in answers], len(found))]

        return merged

    def _or_any_node(self, call, statements: list[tuple[str, tuple | None]]) -> list[list[tuple]]:
        """Return call()'s results, or, when its node failed, the statements' results from any node."""
        try:
            return call()
        except BackendError as error:
            if "syntax error" in str(error) or "parse error" in str(error):
                raise
            return self.run(statements)

    def _helpers(self) -> ThreadPoolExecutor:
        """Return this process's threads that run batch parts (made after a fork, never inherited)."""
        with self._lock:
            if self._pool is None or self._pool[0] != os.getpid():
                self._pool = (os.getpid(), ThreadPoolExecutor(max_workers=HELPER_THREADS,
                                                              thread_name_prefix="vnsearch-node"))
            return self._pool[1]

    # Searching ---------------------------------------------------------------------------

    def search(self, request: SearchRequest, query: ParsedQuery) -> Matches:
        """Run a parsed query with the request's filters, order and page.

        One round trip when the query's plan is kept (``search.cluster_cache``).  Otherwise the
        plan's counts go in the same round trip as the page of the tightest tier, accents as typed
        (the plan of most queries, and of every search a shard misses); only when the counts
        choose another plan is the page asked again, which costs little: that tier found nothing.
        """
        return self._search(request, query)

    def _search(self, request: SearchRequest, query: ParsedQuery,
                asked: tuple[list[tuple[str, None]], list[list[tuple]]] | None = None) -> Matches:
        """Run a parsed query (see ``search``); asked: page statements already sent, with their results,
        reused when the plan's page is the very same statements (a question's page often is whatever
        the accents counted: it ranks a fifth of its words folded)."""
        conditions = filter_conditions(request, self.labels(), query)
        plan, kept = self._kept_plan(query, request.match)
        guessed = plan is None
        if guessed:
            plan = self._tightest(query, request.match)
        # A question's result set (total, facets, newest/oldest) is the articles holding at
        # least half of its words (the ``most`` tier) unless its words stand together somewhere;
        # by relevance it ranks those holding a fifth, as many as the total, as the embedded index
        # does (``answer_sets``).
        question = _answers_most(plan, request.match)
        # When no article holds half of a question's words, its wider pool is the result set.
        fallback = question and not plan.found
        relaxed = question and request.sort == "relevance" and not fallback
        counted = plan.texts["most"] if question else plan.texts[plan.tier]
        if fallback:
            counted = question_pool_text(query, counted)
        ranked = question_pool_text(query, counted) if relaxed else counted
        wider = () if question else TIERS[TIERS.index(plan.tier) + 1 :]
        pages = self._page_statements(query, plan, ranked, conditions, request)
        batch = _Batch(pages)
        # Without a facet filter one GROUP BY counts every facet, and the articles it groups: its
        # SHOW META is given their number (below), and a count of the same WHERE is not sent.
        grouped = request.facets and not any(key in conditions for key in _FACET_FILTERS)
        facet_statements = (self._grouped_facet_statements if grouped else self._facet_statements)(
            query, plan, counted, conditions) if request.facets else []
        facets_at = batch.add(facet_statements)
        if grouped:
            batch.counted_at(self._where(query, plan, counted, conditions.values()), facets_at + 1)
        # The total: the page's own count, unless it is the shards' best articles alone (its count
        # is of those) or a question's wider pool; then the facets' grouping, else a count.
        if not relaxed and not self._best_only(pages):
            total_at = len(pages) - 1
        else:
            total_at = batch.count(self._where(query, plan, counted, conditions.values()))
        # Without any filter the wider tiers' counts are the plan's own (the same statements).
        known = plan.counts if not conditions and plan.counts and set(wider) <= set(plan.counts) else {}
        wider_at = {tier: batch.count(self._where(query, plan, plan.texts[tier], conditions.values()))
                    for tier in wider if tier not in known}
        generation_at = batch.add([_GENERATION_STATEMENT])
        # The plan's counts with the accents as typed (those also counted as wider tiers are sent
        # once): when the tightest tier finds something they are all the plan needs.  A question's
        # plan only asks whether each finds anything (cheap): the folded forms are asked at once.
        exists = self._existence_only(query, request.match)
        counting = {asked: batch.count(f" WHERE MATCH('{escape_literal(text)}')", exists)
                    for asked, text in self._plan_texts(query, request.match)[1].items()
                    if asked[1] == "exact" or exists} if guessed else {}
        reused = asked is not None and asked[0] == pages
        pool_key = tuple(statement for statement, _ in pages) if relaxed else None
        kept_pool = None if reused or pool_key is None else self._pool_pages.get(pool_key)
        if kept_pool is not None:  # a question's pool ranked by an earlier search (its suggestion's: the same)
            asked, reused = (pages, kept_pool), True
        # The page's match counted for the facets too (one match a shard instead of two): the shards'
        # best articles by weight without their stored text, every match's facet values beside them.
        once = (grouped and not relaxed and not plan.question and not reused and self._best_only(pages)
                and self.one_match_rows > 0 and not self._large_tier(query, plan))
        if reused:
            results = [*asked[1], *self.run(batch.statements[len(pages):])]
        elif once:
            wide = self._page_statements(query, plan, ranked, conditions, request, wide=True)
            # The stored text is fetched as soon as the page's rows are back, beside the counts; the counts
            # in two parts (their first count; the rest) when there are three.
            rest = batch.statements[facets_at + len(facet_statements):]
            results = self.run_split([*wide, *rest], *((2, 4) if self.batch_parts > 2 else (2,)),
                                     first=lambda rows: self._wide_results(rows, pages, facet_statements, plan),
                                     each_shard=self.one_match_rows if self.wide_each_shard else 0)
        else:
            # The page on one node, the facets on another, the counts on a third (round the nodes).
            results = self.run_split(batch.statements, *((2, facets_at + len(facet_statements))
                                                       if self.batch_parts > 2 else (2,)))
        generation = _generation(results[generation_at])
        stale_pool = kept_pool is not None and generation != self._pool_pages.generation
        self._observe(generation)
        if (self._cache.observe(generation) and kept) or stale_pool:
            return self.search(request, query)  # a reindex committed since the plan (or the pool's rows) was kept
        whole_pages = not any(_warning(results[at]) for at in range(1, len(pages), 2))
        if pool_key is not None and kept_pool is None and whole_pages:
            self._pool_pages.put(pool_key, results[: len(pages)])
        facets, facet_metas = None, [facets_at + len(facet_statements) - 1] if request.facets else []
        if grouped:
            facets, grouped_total = self._grouped_facets(results[facets_at : facets_at + 2])
            if facets is None:  # too many groups: one statement per facet
                per_facet = self.run(self._facet_statements(query, plan, counted, conditions))
                facets = self._facets(per_facet)
                grouped_total = sum(facets.year.values())  # each article has one year (0: undated)
                facet_metas, results = [*facet_metas, len(results)], [*results, per_facet[-1]]
            # The grouping's SHOW META now counts the articles (not the groups), its warning kept.
            results[facets_at + 1] = [*(row for row in results[facets_at + 1] if row[0] != "total_found"),
                                      ("total_found", str(grouped_total))]
        if guessed:
            chosen = self._counted_plan(query, request.match, results, counting)
            if chosen is None:  # the tightest tier found nothing as typed: the folded forms decide
                chosen = self._plan(query, request.match, (results, counting))[0]
            if not _same_page(plan, chosen, request.match):  # the plan counted is kept now
                return self._search(request, query, (pages, results[: len(pages)]))
        if request.facets and facets is None:
            facets = self._facets(results[facets_at : facets_at + len(facet_statements)])
        total = _found(results[total_at])
        rows, scores = self._ordered(query, plan, request, results[: len(pages)])
        shown = max(0, total - (request.page - 1) * request.size)
        rows, scores = rows[:shown], scores[:shown]
        metas = [*range(1, len(pages), 2), total_at, *wider_at.values(), *facet_metas]
        partial = any(_warning(results[at]) for at in metas)
        if partial and kept_pool is not None:  # a shard is missing: its articles leave the pool's rows too
            self._pool_pages.clear()
            return self._search(request, query)
        counts = {tier: _found(results[at]) for tier, at in wider_at.items()}
        # The kept counts are the whole cluster's: with a shard down, count what the others hold.
        counts.update(self._counts(query, plan, [t for t in wider if t not in counts]) if partial else known)
        documents = [stored_fields(dict(zip(STORED_COLUMNS, row[1:]))) for row in rows]
        if not partial and _top_page(request):  # what top_documents would find: "did you mean" reads it
            self._top.put(query_key(query), tuple(documents))
        return Matches(
            matching=("any" if fallback else "most") if question else plan.matching,
            total=total,
            documents=documents,
            scores=scores,
            facets=facets,
            statistics=ClusterStatistics(self),
            tier="most" if question else plan.tier,
            accents=plan.accents,
            wider={tier: counts[tier] - total for tier in wider},
            # A shard that did not answer is only a warning: the others' results are still good.
            partial=partial,
        )

    def _large_tier(self, parsed: ParsedQuery, plan: Plan) -> bool:
        """Tell whether a plan's tier likely holds more than ``one_match_rows`` articles (then a first page's
        grouping goes beside it): at most ``LARGE_TIER_WORDS`` distinct words, each held by more than
        ``LARGE_TIER_DOCUMENTS`` articles by the frequencies kept or being read (understanding reads them
        before the page; a word neither is taken as rare, no round trip is made for it)."""
        tokens = distinct_tokens(parsed, plan.exact)
        if not tokens or len(tokens) > LARGE_TIER_WORDS:
            return False
        counts = [self._kept_documents(token) for token in tokens]
        return all(count is not None and count > LARGE_TIER_DOCUMENTS for count in counts)

    def _wide_results(self, sent: list[list[tuple]], pages: list[tuple[str, None]],
                      facet_statements: list[tuple[str, None]], plan: Plan) -> list[list[tuple]]:
        """Return the results of the page and the facets' grouping (rows and SHOW META each), from the wide
        page's (``_page_statements(wide=True)``: its rows and SHOW META, sent).

        The wide page's rows in the page's order hold each shard's own order: its first articles there
        are the shard's best.  A second round trip fetches their stored text by key, with the facets'
        grouping when the rows are not every match (and the page itself when a shard's best are not all
        among them).
        """
        rows, meta = sent[0], sent[1]
        each = self._shard_depth(plan)
        best: dict[int, list[tuple]] = {}
        for row in rows:  # (score, key, month, category, source, shard)
            chosen = best.setdefault(row[5], [])
            if len(chosen) < each:
                chosen.append(row)
        whole = _found(meta) <= len(rows)
        # Fewer than a shard's best among rows that are not every match: the shard may hold more.
        paged = not whole and any(len(best.get(shard, ())) < each for shard in range(len(self.cluster.nodes)))
        chosen = [row for rows_of in best.values() for row in rows_of]
        statements = [*(pages if paged else ()), *(() if whole else facet_statements)]
        if chosen and not paged:
            fetched = self._fetch_stored(chosen, statements)
        else:
            fetched = self.run(statements) if statements else []
        grouping = [] if whole else fetched[-2:]
        if whole:
            groups: dict[tuple, int] = {}
            for row in rows:
                groups[row[2:5]] = groups.get(row[2:5], 0) + 1
            grouping = [[(*key, count) for key, count in groups.items()],
                        [("total_found", str(len(groups))), *(item for item in meta if item[0] == "warning")]]
        if paged:
            return [*fetched[: len(pages)], *grouping]
        stored = {row[0]: row[1:] for row in fetched[0]} if chosen else {}
        if any(row[1] not in stored for row in chosen):  # gone since (a reindex committed): the page itself
            return [*self.run(pages), *grouping]
        return [[(row[0], *stored[row[1]]) for row in chosen], meta, *grouping]

    def _fetch_stored(self, chosen: list[tuple], statements: list[tuple[str, None]]) -> list[list[tuple]]:
        """Return the stored text of the wide page's chosen rows (key, shard: ``row[1]``, ``row[5]``) as one
        result, then the results of statements (run beside it).

        Each shard's rows are asked of the node holding that shard, the nodes at once (through the
        distributed index a fetch took 2.5 ms median at 60k, asked of each shard directly 1.3 ms); when a
        node fails, or one failed recently, every row is asked through the distributed index.
        """
        keys: dict[int, list[int]] = {}
        for row in chosen:
            keys.setdefault(row[5], []).append(row[1])
        now = time.monotonic()
        nodes = [self.cluster.nodes[shard] for shard in keys if shard < len(self.cluster.nodes)]
        if len(nodes) == len(keys) and all(now - self._failed.get(node.number, -1e9) >= NODE_RETRY_S for node in nodes):
            parts = [[_stored_statement(node.shard, keys[node.number])] for node in nodes]
            parts[0] += statements
            try:
                later = [self._helpers().submit(self._run_on, node, part) for node, part in zip(nodes[1:], parts[1:])]
                results = self._run_on(nodes[0], parts[0])
                rows = [*results[0], *(row for call in later for row in call.result()[0])]
                return [rows, *results[1:]]
            except BackendError as error:
                if "syntax error" in str(error) or "parse error" in str(error):
                    raise
        keyed = [key for shard_keys in keys.values() for key in shard_keys]
        return self.run([_stored_statement(DISTRIBUTED_INDEX, keyed), *statements])

    def _observe(self, generation: str | None) -> None:
        """Record the generation a batch read: what was kept for another one is dropped (plans apart)."""
        self._whole.observe(generation)
        self._top.observe(generation)
        self._pool_pages.observe(generation)

    def top_documents(self, parsed: ParsedQuery) -> list[StoredArticle]:
        """Return the first page of a relevance search of a parsed query without filters, kept until a
        reindex commits ("did you mean" reads the top articles of the query and of its suggestion).

        A results page of the query (the first, unfiltered, of the default size) keeps it too.  Without
        a kept plan only the page of the tightest tier with the accents as typed is asked, without the
        plan's counts: when it finds articles that tier is the plan (the counts only choose a wider
        tier when it finds none), kept without its wider counts; else the query is searched whole, its
        page not sent again.
        """
        kept = self._top.get(query_key(parsed))
        if kept is not None:
            return list(kept)
        request = SearchRequest(q=parsed.text, facets=False, snippets=False, suggest=False)
        if parsed.is_empty or is_question(parsed) or self._kept_plan(parsed, request.match)[0] is not None:
            return self._search(request, parsed).documents
        plan = self._tightest(parsed, request.match)
        conditions = filter_conditions(request, self.labels(), parsed)
        pages = self._page_statements(parsed, plan, plan.texts[plan.tier], conditions, request)
        results = self.run([*pages, _GENERATION_STATEMENT])
        self._observe(_generation(results[-1]))
        self._cache.observe(_generation(results[-1]))
        if not results[0] or any(_warning(results[at]) for at in range(1, len(pages), 2)):
            return self._search(request, parsed, (pages, results[: len(pages)])).documents
        self._cache.put(self._plan_key(parsed, request.match), plan)
        rows, _ = self._ordered(parsed, plan, request, results[: len(pages)])
        documents = [stored_fields(dict(zip(STORED_COLUMNS, row[1:]))) for row in rows]
        self._top.put(query_key(parsed), tuple(documents))
        return documents

    def _counts(self, parsed: ParsedQuery, plan: Plan, tiers: list[str]) -> dict[str, int]:
        """Return the count of each of a plan's tiers, without filters (one round trip, none for no tier)."""
        if not tiers:
            return {}
        batch = _Batch()
        metas = {tier: batch.count(self._where(parsed, plan, plan.texts[tier], ())) for tier in tiers}
        results = self.run(batch.statements)
        return {tier: _found(results[at]) for tier, at in metas.items()}

    def _depth(self, plan: Plan) -> int:
        """Return how many of the engine's best articles are reranked for a plan (0: none)."""
        return self.rerank_depth[plan.question]

    def _shard_depth(self, plan: Plan) -> int:
        """Return how many of each shard's best articles are reranked: the depth shared out over the
        shards, at least a page (so a first page of the default size is always among them)."""
        return max(-(-self._depth(plan) // len(self.cluster.nodes)), DEFAULT_PAGE_SIZE)

    def _reranked(self, parsed: ParsedQuery, plan: Plan, request: SearchRequest) -> bool:
        """Tell whether a page's order is the shards' best articles scored again by vnsearch, then the rest."""
        return request.sort == "relevance" and bool(parsed.groups) and self._depth(plan) > 0

    @staticmethod
    def _best_only(pages: list[tuple[str, None]]) -> bool:
        """Tell whether a page's statements are the shards' best articles alone (no page of the engine's order)."""
        return len(pages) == 2 and " GROUP " in pages[0][0]

    def _ordered(self, parsed: ParsedQuery, plan: Plan, request: SearchRequest,
                 pages: list[list[tuple]]) -> tuple[list[tuple], list[float]]:
        """Return the page's rows and scores: the engine's order, or the shards' best articles reranked
        followed by the engine's order of the others.

        pages: the results of ``_page_statements`` (rows and SHOW META; when reranked, the shards'
        best articles first, then, for a page reaching past them, the engine's first rows).
        """
        rows, meta = pages[0], dict(pages[1])
        if not self._reranked(parsed, plan, request):
            return rows, [row[0] / SCORE_SCALE if parsed.groups else 0.0 for row in rows]
        # The engine's order over the shards' best: weight, then document key (its ties).
        best = sorted(rows, key=lambda row: (-row[0], document_key(row[1])))
        chosen = {row[1] for row in best}
        rest = [row for row in (pages[2] if len(pages) > 2 else []) if row[1] not in chosen]
        articles = [stored_fields(dict(zip(STORED_COLUMNS, row[1:]))) for row in best]
        labels = self.labels()
        every = np.array([row[0] >= EVERY_WORD_BONUS for row in best]) if plan.tier == "most" else None
        scores = rerank(parsed, articles, self.ranking, labels.articles, self._frequencies(meta, labels),
                        {"title": labels.average_title, "body": labels.average_length},
                        every if every is not None and every.any() and not plan.question else None,
                        more=lambda term: self.keyword_documents([term])[term], phrases=self.phrase_documents)
        if wants_recent(parsed, self.ranking):
            scores = scores * freshness(stamps_of(articles), self.ranking)
        order = sorted(range(len(best)), key=lambda i: (-scores[i], i))
        ordered = [best[i] for i in order] + rest
        all_scores = [float(scores[i]) for i in order] + [row[0] / SCORE_SCALE for row in rest]
        start = (request.page - 1) * request.size
        return ordered[start : start + request.size], all_scores[start : start + request.size]

    def _frequencies(self, meta: dict, labels: Labels) -> dict[str, int]:
        """Return the articles holding each keyword of a page (its SHOW META), kept while the cluster is
        whole; with a shard down, the whole cluster's (see ``_whole_frequencies``)."""
        counted = _keyword_documents(meta)
        if not _warning(meta):
            self._keep_frequencies(counted)
            return counted
        return self._whole_frequencies(counted, labels)

    def _keep_frequencies(self, counted: dict[str, int]) -> None:
        """Keep document frequencies the whole cluster gave (for searches, and for a shard down later)."""
        for term, count in counted.items():
            self._cache.put(("df", term), count)
            self._whole.put(term, count)

    def _whole_frequencies(self, counted: dict[str, int], labels: Labels) -> dict[str, int]:
        """Return the whole cluster's document frequencies from the counts of the shards that answered.

        The last ones the whole cluster gave this process (kept until a reindex commits), else the
        live count scaled by the share of the articles the live shards hold: shards are drawn by a
        hash of the article id, so each holds a uniform sample.  Scores then stay the whole
        cluster's, and the page the whole cluster's order without the dead shard's articles.
        """
        scale = labels.articles / labels.live_articles if labels.live_articles and not labels.whole else 1.0
        found = {}
        for term, count in counted.items():
            kept = self._whole.get(term)
            found[term] = kept if kept is not None else round(count * scale)
        return found

    def plan(self, parsed: ParsedQuery, mode: str = "auto") -> Plan:
        """Return the tier and accents a query is answered from (see ``search.matching``).

        The tightest tier that finds something, its accents as typed, then folded, before the
        next tier; counted without filters, so selecting a facet never changes the tier.  With a
        shard down, the tightest tier and the accents as typed: a partial answer never widens.
        """
        return self._plan(parsed, mode)[0]

    def _plan(self, parsed: ParsedQuery, mode: str,
              counted: tuple[list[list[tuple]], dict[tuple[str, str], int]] = ([], {})) -> tuple[Plan, bool]:
        """Return the plan of a query and whether it was kept from an earlier search.

        counted: results already holding some of the plan's counts, and the positions of their
        SHOW METAs by (tier, accents); only the others are sent.
        """
        plan, kept = self._kept_plan(parsed, mode)
        if plan is not None:
            return plan, kept
        counting = self._plan_texts(parsed, mode)[1]
        earlier, known = counted
        batch = _Batch()
        exists = self._existence_only(parsed, mode)
        asked = {key: batch.count(f" WHERE MATCH('{escape_literal(text)}')", exists)
                 for key, text in counting.items() if key not in known}
        results = [*earlier, *self.run(batch.statements)] if asked else list(earlier)
        metas = {key: known[key] if key in known else len(earlier) + asked[key] for key in counting}
        return self._counted_plan(parsed, mode, results, metas), False

    def _plan_texts(self, parsed: ParsedQuery, mode: str) -> tuple[dict[str, dict[str, str]],
                                                                     dict[tuple[str, str], str]]:
        """Return a query's tier texts by accents, and the MATCH text of each (tier, accents) the plan counts,
        in the order the plan tries them (a search asks for them several times: the last queries' are kept)."""
        key = (repr(parsed), mode)
        found = self._texts.get(key)
        if found is None:
            if len(self._texts) >= KEPT_QUERY_TEXTS:
                self._texts.clear()
            found = self._texts[key] = self._query_texts(parsed, mode)
        return found

    @staticmethod
    def _query_texts(parsed: ParsedQuery, mode: str) -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], str]]:
        """Return what ``_plan_texts`` returns, computed."""
        forms = {"exact": tier_texts(parsed, True)}
        if parsed.accented:
            forms["folded"] = tier_texts(parsed, False)
        tiers = TIERS if mode == "auto" else (mode,)
        texts = {(tier, accents): with_excluded(forms[accents][tier], parsed, accents == "exact")
                 for tier in tiers for accents in forms}
        row = in_a_row_text(parsed) if mode == "auto" and parsed.accented and not is_question(parsed) else None
        if row is None:
            return forms, texts
        # The words together with other accents are taken before the words as typed apart only when
        # some article writes them in a row (``matching._answer``): counted right after the tightest.
        first, *rest = texts.items()
        apart = ("all", "exact")
        ordered = [first, ((IN_A_ROW, "folded"), with_excluded(row, parsed, False)), (apart, texts[apart])]
        return forms, dict(ordered + [item for item in rest if item[0] != apart])

    def _kept_plan(self, parsed: ParsedQuery, mode: str) -> tuple[Plan | None, bool]:
        """Return a query's kept plan (None when there is none) and whether it was kept."""
        if parsed.is_empty:
            return Plan("all", "exact", tier_texts(parsed, True), is_question(parsed)), False
        kept = self._cache.get(self._plan_key(parsed, mode))
        return kept, kept is not None

    def _plan_key(self, parsed: ParsedQuery, mode: str) -> tuple:
        """Return the key a query's plan is kept under."""
        return ("plan", mode, is_question(parsed), *self._plan_texts(parsed, mode)[1].values())

    def _tightest(self, parsed: ParsedQuery, mode: str) -> Plan:
        """Return the plan of the tightest tier with the accents as typed (what a partial answer uses)."""
        tiers = TIERS if mode == "auto" else (mode,)
        return Plan(tiers[0], "exact", self._plan_texts(parsed, mode)[0]["exact"], is_question(parsed), guessed=True)

    def _counted_plan(self, parsed: ParsedQuery, mode: str, results: list[list[tuple]],
                      metas: dict[tuple[str, str], int]) -> Plan | None:
        """Return the plan the counts choose (kept when every shard answered) from their SHOW METAs' positions.

        None when they cannot tell: the counts of the folded forms are missing and the tightest
        tier found nothing with the accents as typed.
        """
        if any(_warning(results[at]) for at in metas.values()):
            # A shard did not answer: it may hold the tighter tiers' articles, which the counts
            # of the others cannot tell.  The answer is taken from the tightest tier, accents as
            # typed (the whole cluster's choice for 92% of the reader battery and title fragments
            # measured, against 74-84% for the tier the other shards' counts would choose), and
            # is not kept: the shard's articles come back with it.
            return self._tightest(parsed, mode)
        forms, texts = self._plan_texts(parsed, mode)
        question = is_question(parsed)
        found = [asked for asked, at in metas.items() if _found(results[at])]
        if len(metas) < len(texts) and next(iter(texts)) not in found:
            return None
        if found:
            tier, accents = found[0]
            plan = Plan("together" if tier == IN_A_ROW else tier, accents, forms[accents], question)
        else:  # nothing found: the all tier as typed (the tier asked for, in a mode of one tier)
            plan = Plan("all" if mode == "auto" else mode, "exact", forms["exact"], question, found=False)
        if not self._existence_only(parsed, mode):
            plan.counts = {tier: _found(results[at]) for (tier, accents), at in metas.items()
                           if accents == plan.accents and tier != IN_A_ROW}
        self._cache.put(self._plan_key(parsed, mode), plan)
        return plan

    @staticmethod
    def _existence_only(parsed: ParsedQuery, mode: str) -> bool:
        """Tell whether a query's plan needs only to know which tiers find something, not how much: a
        question's answer is its ``most`` tier whatever the tier counted (the tier chooses the accents),
        and it has no wider tiers to count."""
        return mode == "auto" and is_question(parsed)

    @staticmethod
    def _count_statements(where: str, exists: bool = False, cutoff: int = 0) -> list[tuple[str, None]]:
        """Return a SELECT counting what a WHERE clause finds (exists: at least one when it finds any;
        cutoff: each shard stops counting at that many), and its SHOW META."""
        # total_found is exact whatever max_matches is; a queue of 1 instead of the default 1000
        # makes a count of thousands of articles about 20 times cheaper.  cutoff=1 stops each
        # shard at its first match.
        cutoff = ", cutoff=1" if exists else f", cutoff={cutoff}" if cutoff else ""
        return [(f"SELECT id FROM {DISTRIBUTED_INDEX}{where} LIMIT 0 OPTION ranker=none, max_matches=1{cutoff}", None),
                ("SHOW META", None)]

    def _page_statements(self, parsed: ParsedQuery, plan: Plan, positive: str, conditions: dict[str, str],
                         request: SearchRequest, wide: bool = False) -> list[tuple[str, None]]:
        """Return the page's SELECT and its SHOW META; when it is reranked, each shard's best articles
        (``GROUP n BY`` the shard, a document key modulo the shards) and, for a page reaching past the
        fewest of them there can be, the engine's first rows up to the page's end.

        wide: the first ``one_match_rows`` matches in the page's order, each with its key, facet values and
        shard, without stored text (a first relevance page whose facets are counted from them when they
        are every match: ``_wide_results``)."""
        reranked = self._reranked(parsed, plan, request)
        offset = 0 if reranked else (request.page - 1) * request.size
        size = request.page * request.size if reranked else request.size
        # In the most tier of a short query the articles holding every word come first; the
        # optional part is left out there so the engine counts only the query's own words.
        every = plan.tier == "most" and not plan.question
        # A question's page ranks its pool without the exact forms in the optional part (``question_exact_forms``);
        # a query's page with the accents as typed has its accented words on the exact fields already, so the
        # optional part adds the compounds alone (the forms asked again read their hits again).
        where = self._where(parsed, plan, positive, conditions.values(), bonus=not every,
                            exact_forms=self.question_exact_forms if plan.question else not plan.exact)
        ranked = not parsed.is_empty
        order = {
            "relevance": "WEIGHT() DESC, id ASC" if ranked else "published_ts DESC, id ASC",
            "newest": "published_ts DESC, WEIGHT() DESC, id ASC",
            "oldest": "undated ASC, published_ts ASC, WEIGHT() DESC, id ASC",
        }[request.sort]
        ranking = self.engine_ranking
        words = len(distinct_tokens(parsed, plan.exact)) if every else 0
        labels = self.labels()
        expression = ranking.expression(labels.average_length, EVERY_WORD_BONUS if words else 0, words,
                                        question=plan.question, average_title=labels.average_title)
        # Each shard sends its best max_matches rows (stored text included) to the node that
        # merges them: the page is all it needs.
        options = (
            f"ranker=expr('{expression}'), idf='plain,tfidf_unnormalized', field_weights=({ranking.field_weights()})"
            if ranked else "ranker=none")
        columns = f"WEIGHT() AS score, {', '.join(STORED_COLUMNS)}, IF(published_ts = 0, 1, 0) AS undated"
        select = (f"SELECT {columns} FROM {DISTRIBUTED_INDEX}{where} ORDER BY {order} LIMIT {offset}, {size} "
                  f"OPTION max_matches={offset + size}, {options}")
        if not reranked:
            return [(select, None), ("SHOW META", None)]
        shards, each = len(self.cluster.nodes), self._shard_depth(plan)
        if wide:
            rows = self.one_match_rows
            return [(f"SELECT WEIGHT() AS score, id, month, category, source, id % {shards} AS shard "
                     f"FROM {DISTRIBUTED_INDEX}{where} ORDER BY {order} LIMIT {rows} "
                     f"OPTION max_matches={rows}, {options}", None), ("SHOW META", None)]
        best = (f"SELECT {columns}, id % {shards} AS shard FROM {DISTRIBUTED_INDEX}{where} "
                f"GROUP {each} BY shard WITHIN GROUP ORDER BY {order} ORDER BY {order} LIMIT {shards * each} "
                f"OPTION max_matches={shards * each}, {options}")
        return [(best, None), ("SHOW META", None)] + ([(select, None), ("SHOW META", None)] if size > each else [])

    @staticmethod
    def _where(parsed: ParsedQuery, plan: Plan, positive: str, conditions: Iterable[str], bonus: bool = False,
               exact_forms: bool = True) -> str:
        """Return the WHERE clause of a tier's positive MATCH text with the given filter conditions."""
        parts = []
        if parsed.groups or parsed.excluded:
            parts.append(f"MATCH('{escape_literal(match_text(parsed, positive, plan.exact, bonus, exact_forms))}')")
        parts += list(conditions)
        return " WHERE " + " AND ".join(parts) if parts else ""

    def _facet_statements(self, parsed: ParsedQuery, plan: Plan, positive: str,
                          conditions: dict[str, str]) -> list[tuple[str, None]]:
        """Return one GROUP BY per facet, each with every filter but its own."""
        def grouped(attribute: str, leave_out: tuple[str, ...]) -> tuple[str, None]:
            where = self._where(parsed, plan, positive, [c for k, c in conditions.items() if k not in leave_out])
            return (f"SELECT {attribute}, COUNT(*) AS n FROM {DISTRIBUTED_INDEX}{where} GROUP BY {attribute} "
                    f"LIMIT {MAX_FACET_VALUES} OPTION max_matches={MAX_FACET_VALUES}, ranker=none", None)

        return [grouped("year", ("year", "month")), grouped("month", ("month",)), grouped("category", ("category",)),
                grouped("source", ("source",)), ("SHOW META", None)]

    def _grouped_facet_statements(self, parsed: ParsedQuery, plan: Plan, positive: str,
                                  conditions: dict[str, str]) -> list[tuple[str, None]]:
        """Return one GROUP BY of (month, category, source) every facet is counted from (no facet filter active)."""
        where = self._where(parsed, plan, positive, conditions.values())
        queue = self._facet_queue()
        return [(f"SELECT month, category, source, COUNT(*) AS n FROM {DISTRIBUTED_INDEX}{where} "
                 f"GROUP BY month, category, source LIMIT {queue} "
                 f"OPTION max_matches={queue}, ranker=none", None), ("SHOW META", None)]

    def _facet_queue(self) -> int:
        """Return the queue of the facets' grouping: the groups the last reindex recorded, at most MAX_FACET_GROUPS."""
        raw = self._cache.generation
        if raw != self._queue[0]:
            try:
                groups = int(json.loads(raw).get("facet_groups") or 0)
            except (TypeError, ValueError, AttributeError):  # no record yet, or one without the count
                groups = 0
            self._queue = (raw, groups)
        return min(MAX_FACET_GROUPS, self._queue[1]) if self._queue[1] > 0 else MAX_FACET_GROUPS

    @staticmethod
    def _grouped_facets(results: list[list[tuple]]) -> tuple[FacetCounts | None, int]:
        """Return the facet counts and the articles counted, from the (month, category, source) groups.

        None when the engine found more groups than it returned (the counts would be short).
        """
        rows, meta = results
        if _found(meta) > len(rows):
            return None, 0
        facets = FacetCounts(year={}, month={}, category={}, source={})
        for month, category, source, count in rows:
            for counts, value in ((facets.year, month // 100), (facets.month, month),
                                  (facets.category, category), (facets.source, source)):
                counts[value] = counts.get(value, 0) + count
        return facets, sum(row[3] for row in rows)

    @staticmethod
    def _facets(results: list[list[tuple]]) -> FacetCounts:
        """Return the facet counts from the GROUP BY results."""
        year, month, category, source = (dict((value, count) for value, count in rows) for rows in results[:4])
        return FacetCounts(year=year, month=month, category=category, source=source)

    # Other operations ----------------------------------------------------------------------

    def document(self, doc_id: str) -> StoredArticle | None:
        """Return the stored fields of the article with an id, or None."""
        rows, meta = self.run([(f"SELECT {', '.join(STORED_COLUMNS)} FROM {DISTRIBUTED_INDEX} "
                                f"WHERE id = {document_key(doc_id)}", None), ("SHOW META", None)])
        found = [stored_fields(dict(zip(STORED_COLUMNS, row))) for row in rows]
        article = next((article for article in found if article["id"] == doc_id), None)
        if article is None and _warning(meta):  # its shard may be the one that did not answer
            raise BackendError(f"a search node did not answer: article {doc_id!r} may be on it")
        return article

    def labels(self) -> Labels:
        """Return the cluster's categories and sources, article count and average lengths (reread when a
        reindex committed since, every few seconds while a shard is missing from them, else every minute)."""
        if self._labels_stale():
            results = self.run([(f"SELECT category, COUNT(*) FROM {DISTRIBUTED_INDEX} GROUP BY category "
                                 f"LIMIT {MAX_FACET_VALUES} OPTION max_matches={MAX_FACET_VALUES}", None),
                                (f"SELECT source, COUNT(*) FROM {DISTRIBUTED_INDEX} GROUP BY source "
                                 f"LIMIT {MAX_FACET_VALUES} OPTION max_matches={MAX_FACET_VALUES}", None),
                                ("SELECT AVG(body_fold_len), AVG(title_fold_len), COUNT(*) "
                                 f"FROM {DISTRIBUTED_INDEX}", None),
                                ("SHOW META", None)])
            partial = _warning(results[3])
            if partial and self._labels.loaded and self._labels.whole:
                return self._labels  # a shard is down: keep what the whole cluster said (scores stay stable)
            labels = Labels()
            labels.categories = [row[0] for row in results[0]]
            labels.sources = [row[0] for row in results[1]]
            if results[2]:
                labels.average_length = float(results[2][0][0] or 1.0)
                labels.average_title = float(results[2][0][1] or 1.0)
                labels.articles = labels.live_articles = int(results[2][0][2] or 0)
            if partial:  # the whole cluster's statistics as the last reindex recorded them on every node
                labels.whole = False
                recorded = self._read_meta(META_ID)
                if isinstance(recorded, dict) and recorded.get("average_body") and recorded.get("documents"):
                    labels.average_length = float(recorded["average_body"])
                    # A record written before titles were averaged: the live shards' title average.
                    labels.average_title = float(recorded.get("average_title") or labels.average_title)
                    labels.articles = int(recorded["documents"])
            labels.loaded = time.monotonic()
            labels.generation = self._cache.generation
            self._labels = labels
        return self._labels

    def _labels_stale(self) -> bool:
        """Tell whether the labels must be read again."""
        labels, generation = self._labels, self._cache.generation
        if labels.generation is None and labels.loaded:
            labels.generation = generation  # read before any generation was known: it was this one
        age = time.monotonic() - labels.loaded
        return age > (LABELS_MAX_AGE_S if labels.whole else REFRESH_S) or labels.generation != generation

    def vocabulary(self) -> list[tuple[str, int]]:
        """Return the folded title syllables with their frequencies (stored by the last reindex)."""
        loaded, vocabulary = self._vocabulary
        if time.monotonic() - loaded > REFRESH_S:
            stored = self._read_meta(VOCABULARY_ID)
            vocabulary = [tuple(pair) for pair in stored] if isinstance(stored, list) else []
            self._vocabulary = (time.monotonic(), vocabulary)
        return vocabulary

    def _read_meta(self, key: int):
        """Return a metadata record from the first node that holds one (every node keeps a copy)."""
        for node in self._nodes_in_order():
            try:
                record = meta_on(self.cluster, node, key)
            except BackendError:
                self._failed[node.number] = time.monotonic()
                continue
            if record:  # a node added empty holds none until the next reindex
                return record
        return {}

    def forget(self) -> None:
        """Drop the kept plans, word statistics, top articles and pool pages (a query's next search is its first)."""
        self._cache.clear()
        self._top.clear()
        self._pool_pages.clear()

    def keyword_documents(self, terms: Iterable[str]) -> dict[str, int]:
        """Return {term: articles holding it in any field}, kept per generation unless a shard was missing.

        A term being read (``read_keyword_documents``) is waited for, not asked again."""
        found, missing, reading = {}, [], {}
        for term in dict.fromkeys(terms):
            kept = self._cache.get(("df", term))
            if kept is not None:
                found[term] = kept
            elif engine_token(term) != term:
                found[term] = 0  # the engine cannot hold it: no article does
            elif (read := self._reading.get(term)) is not None:
                reading.setdefault(id(read), (read, []))[1].append(term)
            else:
                missing.append(term)
        for read, wanted in reading.values():
            counted = read.counts()
            found.update((term, counted[term]) for term in wanted)
        if missing:
            found.update(self._counted_documents(missing, self._dictionary_counts(missing)))
        return found

    def phrase_documents(self, clause: Clause) -> int:
        """Return the articles holding a clause's syllables in a row, folded (in its field, or any): one count,
        kept per generation unless a shard was missing."""
        return self.phrase_documents_of([(clause, None)])[0]

    def phrase_documents_of(self, asked: Sequence[tuple[Clause, int | None]]) -> list[int]:
        """Return ``phrase_documents`` of each clause, those not kept counted together (the nodes sharing the
        counts).  A clause asked with a bound (most) needs only be told whether more articles than most
        hold it: then it is any number above most when they do, else any number from their count up to
        most (an upper bound read cheaper than the count).

        Query understanding asks whether a short query's syllables typed in a row are a word the index
        holds (``understand._joined_often``).  The articles holding its syllables anywhere in the same
        fields are counted first (no positions read: "trung quoc" 2.5 ms against 6.1 for the phrase, at
        60k articles), which settles most words; the rest are counted in a row, each shard stopping past
        most (a false word's syllables, "phu vang", are in a row in few of the articles holding both).
        """
        counts = [self._kept_phrase(clause, most) for clause, most in asked]
        bounded = [at for at, count in enumerate(counts) if count is None and asked[at][1] is not None]
        anywhere = [(replace(asked[at][0], phrase=False), asked[at][1]) for at in bounded]
        for at, (found, missing_shard) in zip(bounded, self._clause_counts(anywhere)):
            if found <= asked[at][1]:
                counts[at] = self._keep_phrase(asked[at][0], "pf<=", found, missing_shard)
        missing = [at for at, count in enumerate(counts) if count is None]
        in_a_row = [(replace(asked[at][0], phrase=True), asked[at][1]) for at in missing]
        for at, (found, missing_shard) in zip(missing, self._clause_counts(in_a_row)):
            clause, most = asked[at]
            counts[at] = self._keep_phrase(clause, "pf" if most is None or found <= most else "pf>", found,
                                           missing_shard)
        return counts

    def _clause_counts(self, asked: Sequence[tuple[Clause, int | None]]) -> list[tuple[int, bool]]:
        """Return how many articles each clause finds (each shard stopping past most, when given) and whether
        a shard was missing, every count in one round trip (the nodes sharing them)."""
        if not asked:
            return []
        statements = []
        for clause, most in asked:
            where = f" WHERE MATCH('{escape_literal(clause_text(clause, False))}')"
            statements += self._count_statements(where, cutoff=0 if most is None else most + 1)
        metas = self.run_split(statements, *range(2, len(statements), 2))[1::2]
        return [(_found(meta), _warning(meta)) for meta in metas]

    def _kept_phrase(self, clause: Clause, most: int | None) -> int | None:
        """Return a clause's kept count of articles holding it in a row, or, given most, a kept count above
        most (one that stopped early) or a kept upper bound within most; else None."""
        key = (tuple(s.folded for s in clause.syllables), clause.field)
        exact = self._cache.get(("pf", *key))
        if exact is not None or most is None:
            return exact
        beyond, within = self._cache.get(("pf>", *key)), self._cache.get(("pf<=", *key))
        if beyond is not None and beyond > most:
            return beyond
        return within if within is not None and within <= most else None

    def _keep_phrase(self, clause: Clause, kind: str, found: int, missing_shard: bool) -> int:
        """Keep a clause's count of a kind ("pf": exact, "pf>": above the bound asked, "pf<=": an upper
        bound) unless a shard was missing, and return it."""
        if not missing_shard:
            self._cache.put((kind, tuple(s.folded for s in clause.syllables), clause.field), found)
        return found

    def read_keyword_documents(self, terms: Iterable[str]) -> _Reading | None:
        """Start reading the document frequencies of terms neither kept nor being read (one ``CALL KEYWORDS``
        a node, each in a helper thread) and return that reading (None: nothing to read).

        A query's words are read before it is understood, which seldom needs them (a long query's bound,
        an unknown word's split): its page is then sent at once, beside them (``keyword_documents`` waits
        for them when they are needed).
        """
        wanted = [term for term in dict.fromkeys(terms) if self._cache.get(("df", term)) is None
                  and engine_token(term) == term and term not in self._reading]
        if not wanted:
            return None
        text = escape_literal(" ".join(wanted))
        read = _Reading(self, wanted, [self._helpers().submit(self._keywords_on, node, text)
                                       for node in self.cluster.nodes])
        with self._lock:
            for term in wanted:
                self._reading.setdefault(term, read)
        read.count_when_answered()
        return read

    def _kept_documents(self, term: str) -> int | None:
        """Return the articles holding a term when they are kept or being read (waiting for them), else None."""
        kept = self._cache.get(("df", term))
        if kept is None and (read := self._reading.get(term)) is not None:
            kept = read.counts().get(term)
        return kept

    def _counted_documents(self, terms: list[str], counted: tuple[list[int], bool]) -> dict[str, int]:
        """Return {term: articles} from the counts of terms and whether every shard gave them; kept when it did,
        else the whole cluster's (``_whole_frequencies``)."""
        counts, whole = counted
        found = dict(zip(terms, counts))
        if whole:
            self._keep_frequencies(found)
            return found
        return self._whole_frequencies(found, self.labels())

    def _dictionary_counts(self, terms: list[str], asked: list[Future] | None = None) -> tuple[list[int], bool]:
        """Return the documents of each term summed over the shards, and whether every shard answered.

        Each node's shard tells its own counts (``CALL KEYWORDS(text, shard, 1)``: its dictionary's
        statistics, no search), all nodes at once: 1-2 ms a node, where a search of the terms
        (``_searched_counts``) took 20-70 ms at 60k articles.  An engine whose ``CALL KEYWORDS``
        gives no statistics is asked with that search instead.

        asked: each node's ``CALL KEYWORDS`` of terms already sent (``read_keyword_documents``).
        """
        if asked is not None:
            answers = [call.result() for call in asked]
        else:
            text = escape_literal(" ".join(terms))
            nodes = self.cluster.nodes
            calls = [self._helpers().submit(self._keywords_on, node, text) for node in nodes[1:]]
            answers = [self._keywords_on(nodes[0], text)] + [call.result() for call in calls]
        if not any(rows is not None for rows in answers):
            return self._searched_counts(terms)  # every node down: that search says so, or fails over
        if any(rows and len(rows[0]) < 4 for rows in answers if rows is not None):
            return self._searched_counts(terms)  # no statistics in the answer
        documents: dict[str, int] = {}
        for rows in answers:
            for row in rows or ():
                documents[row[2]] = documents.get(row[2], 0) + int(row[3])
        return [documents.get(term, 0) for term in terms], all(rows is not None for rows in answers)

    def _keywords_on(self, node: NodeAddress, text: str) -> list[tuple] | None:
        """Return a node's shard's per-keyword rows of a text (qpos, tokenized, normalized, docs, hits),
        None when the node does not answer."""
        try:
            return self._run_on(node, [(f"CALL KEYWORDS('{text}', '{node.shard}', 1)", None)])[0]
        except BackendError as error:
            if "syntax error" in str(error) or "parse error" in str(error):
                raise
            return None

    def _searched_counts(self, terms: list[str]) -> tuple[list[int], bool]:
        """Return the documents of each term and whether every shard answered, from a search's statistics.

        The engine's per-keyword statistics (``SHOW META``) come from its dictionaries, complete
        however early the search stops (``cutoff=1``): one round trip for any number of terms,
        ``KEYWORDS_PER_STATEMENT`` per statement (a longer OR costs more than the statements).
        """
        statements = []
        for start in range(0, len(terms), KEYWORDS_PER_STATEMENT):
            text = escape_literal(" | ".join(terms[start : start + KEYWORDS_PER_STATEMENT]))
            statements += [(f"SELECT id FROM {DISTRIBUTED_INDEX} WHERE MATCH('{text}') LIMIT 0 "
                            "OPTION ranker=none, max_matches=1, cutoff=1", None), ("SHOW META", None)]
        metas = [dict(meta) for meta in self.run(statements)[1::2]]
        documents = {term: count for meta in metas for term, count in _keyword_documents(meta).items()}
        return [documents.get(term, 0) for term in terms], not any(_warning(meta) for meta in metas)

    def statistics(self) -> ClusterStatistics:
        """Return the term statistics of the cluster."""
        return ClusterStatistics(self)

    def health(self) -> BackendHealth:
        """Return the article count, the last reindex and each node's state."""
        nodes, documents = [], 0
        for node in self.cluster.nodes:
            try:
                results = self.cluster.run(node, [(f"SELECT id FROM {node.shard} LIMIT 0", None), ("SHOW META", None)])
                count = int(dict(results[1]).get("total_found", 0))
                nodes.append({"node": str(node), "shard": node.shard, "state": "up", "documents": count})
                documents += count
            except BackendError as error:
                nodes.append({"node": str(node), "shard": node.shard, "state": "down", "error": str(error)})
        meta = self._read_meta(1)
        down = [n for n in nodes if n["state"] != "up"]
        return {"documents": documents, "last_reindex": meta.get("last_reindex") if isinstance(meta, dict) else None,
                "generation": self.cluster.url, "status": "degraded" if down else "ok", "nodes": nodes}

    def reindex(self, sources: Iterable[str] = (), *, full: bool = False, lock_timeout: float = 60.0,
                procs: int | None = None, progress: Progress | None = None, max_article_bytes: int | None = None):
        """Bring the cluster in step with its sources (see ``search.cluster_index``)."""
        from search.cluster_index import reindex_cluster
        from search.documents import DEFAULT_MAX_ARTICLE_BYTES
        from search.sphinxql import WRITE_TIMEOUT_S

        try:
            return reindex_cluster(Cluster(self.cluster.url, read_timeout=WRITE_TIMEOUT_S), self.lock_dir, sources,
                                   full=full, lock_timeout=lock_timeout, procs=procs, progress=progress,
                                   max_article_bytes=max_article_bytes or DEFAULT_MAX_ARTICLE_BYTES)
        finally:
            self._cache.clear()  # what was kept described the articles before
            self._top.clear()


class _Reading:
    """Document frequencies being read (``ClusterBackend.read_keyword_documents``): counted once, when first
    needed, from each node's answer."""

    def __init__(self, backend: ClusterBackend, terms: list[str], asked: list[Future]):
        self.backend, self.terms, self.asked = backend, terms, asked
        self._counted: dict[str, int] | None = None
        self._lock = threading.Lock()

    def count_when_answered(self) -> None:
        """Count the terms as soon as every node has answered (in the thread of the last answer), so that
        what nobody waits for is kept all the same and the reading is done with."""
        left, lock = [len(self.asked)], threading.Lock()

        def answered(_: Future) -> None:
            with lock:
                left[0] -= 1
                last = left[0] == 0
            if last:
                with contextlib.suppress(BackendError):  # whoever needs them reads them again, and is told
                    self.counts()

        for call in self.asked:
            call.add_done_callback(answered)

    def counts(self) -> dict[str, int]:
        """Return {term: articles holding it} of the terms read (waiting for the nodes' answers)."""
        with self._lock:
            if self._counted is None:
                backend = self.backend
                try:
                    self._counted = backend._counted_documents(self.terms, backend._dictionary_counts(self.terms,
                                                                                                   self.asked))
                finally:
                    with backend._lock:
                        for term in self.terms:
                            if backend._reading.get(term) is self:
                                del backend._reading[term]
            return self._counted


class ClusterStatistics:
    """Term statistics read from the cluster (``search.backend.TermStatistics``), cached per request."""

    def __init__(self, backend: ClusterBackend):
        self.backend = backend
        self._frequencies: dict[str, int] = {}
        self._phrases: dict[tuple[tuple[str, ...], int | None], int] = {}

    def doc_frequency(self, term: str, fieldname: str) -> int:
        """Return how many articles hold term, from the shards' dictionaries (kept per generation).

        The engine counts a keyword's documents over all of an article's fields: that count is
        given as the body's frequency and the title adds nothing, so what callers add up (body +
        title) is the number of articles holding the term anywhere.
        """
        if fieldname != "body":
            return 0
        if term not in self._frequencies:
            self._frequencies.update(self.backend.keyword_documents([term]))
        return self._frequencies[term]

    def document_count(self) -> int:
        """Return how many articles the cluster holds (the whole cluster's, also with a shard down): a long
        query's postings bound is in proportion to it (``search.results.postings_bound``)."""
        return self.backend.labels().articles

    def prefetch(self, terms: Iterable[str]) -> None:
        """Start reading the document frequencies of many terms, one round trip per node beside what follows
        (``doc_frequency`` waits for them when it needs one)."""
        self.backend.read_keyword_documents(term for term in terms if term not in self._frequencies)

    def phrase_frequency(self, terms: Sequence[str], most: int | None = None) -> int:
        """Return how many articles hold the folded terms in a row in their title or body: the backend's
        count (``phrase_documents``: kept per generation unless a shard was missing; query understanding
        asks it of a short query's compound words); a term the engine cannot hold is held by no article.
        With most, a number above most when more articles hold them, else one from their count up to most
        (``phrase_documents_of``)."""
        self.prefetch_phrases([(terms, most)])
        return self._phrases.get((tuple(engine_token(term) for term in terms), most), 0)

    def prefetch_phrases(self, asked: Iterable[tuple[Sequence[str], int | None]]) -> None:
        """Count the articles holding each run of folded terms in a row (with its bound, as
        ``phrase_frequency``), those not counted yet in one round trip."""
        missing = {}
        for terms, most in asked:
            tokens = tuple(engine_token(term) for term in terms)
            if PLACEHOLDER_TOKEN not in tokens and (tokens, most) not in self._phrases:
                missing[tokens, most] = (Clause([Syllable.of(t) for t in terms]), most)
        if missing:
            self._phrases.update(zip(missing, self.backend.phrase_documents_of(list(missing.values()))))

    def title_syllables(self) -> list[tuple[str, int]]:
        """Return every folded title syllable with its document frequency, sorted."""
        return self.backend.vocabulary()

    def top_documents(self, query: str | ParsedQuery) -> list[StoredArticle]:
        """Return the first page of a relevance search of query (text or parsed), without filters."""
        ranking = self.backend.ranking
        parsed = parse_query(query, max_terms=ranking.max_query_terms) if isinstance(query, str) else query
        return self.backend.top_documents(parsed)

    def pair_documents(self, pairs: Sequence[tuple[str, str]], limit: int, scanned: int) -> list[StoredArticle]:
        """Return, for every pair of folded terms, up to limit articles whose body writes them side by
        side, in one round trip.  scanned bounds the embedded index's reading; here each shard stops
        at the first limit articles it finds (``cutoff``)."""
        phrases = [f'@body_fold "{a} {b}"' for a, b in ((engine_token(a), engine_token(b)) for a, b in pairs)
                   if PLACEHOLDER_TOKEN not in (a, b)]
        statements = [(f"SELECT {', '.join(STORED_COLUMNS)} FROM {DISTRIBUTED_INDEX} "
                       f"WHERE MATCH('{escape_literal(phrase)}') LIMIT {limit} "
                       f"OPTION ranker=none, cutoff={limit}", None) for phrase in phrases]
        found = {}
        for rows in self.backend.run(statements) if statements else []:
            for row in rows:
                article = stored_fields(dict(zip(STORED_COLUMNS, row)))
                found.setdefault(article.get("id"), article)
        return list(found.values())

    def title_candidates(self, words: Sequence[Syllable], prefixes: Sequence[str] | None,
                         limit: int, phrase: bool = False) -> list[StoredArticle]:
        """Return up to limit articles whose titles hold words and a prefix term, best first.

        With phrase, the words must stand in a row followed by a prefix term, and titles derived
        from the body's first sentence qualify too (the words within its first
        ``DERIVED_TITLE_WORDS``); titles starting with the phrase come first.
        """
        typed = _terms(words)
        expansions = None if prefixes is None else [t for t in map(engine_token, prefixes) if t != PLACEHOLDER_TOKEN]
        if expansions == []:
            return []
        if not phrase:
            loose = [f"@title_fold {' '.join(typed)}"] if typed else []
            text = " ".join(loose + ([f"(@title_fold {' | '.join(expansions)})"] if expansions else []))
            return self._titles(_with_accents(text, words), "title_derived = 0", limit)
        runs = [" ".join([*typed, term]) for term in expansions] if expansions is not None else [" ".join(typed)]
        in_title = " | ".join(f'(@title_fold "{{start}}{run}")' for run in runs)
        body_runs = [" ".join(typed)] if typed else (expansions or [])[:DERIVED_PREFIX_TERMS]
        in_body = " | ".join(f'(@body_fold[{DERIVED_TITLE_WORDS}] "{{start}}{run}")' for run in body_runs)
        found = []
        for text, derived in ((in_title, 0), (in_body, 1)):
            starting = self._titles(_with_accents(text.format(start="^"), words), f"title_derived = {derived}", limit)
            anywhere = self._titles(_with_accents(text.format(start=""), words), f"title_derived = {derived}", limit)
            found += list({a["id"]: a for a in starting + anywhere}.values())[:limit]
        return found

    def _titles(self, text: str, condition: str, limit: int) -> list[StoredArticle]:
        """Return up to limit articles a MATCH text finds under a condition, by title score, newest first."""
        rows = self.backend.run([(
            f"SELECT {', '.join(STORED_COLUMNS)}, WEIGHT() AS score FROM {DISTRIBUTED_INDEX} "
            f"WHERE MATCH('{escape_literal(text)}') AND {condition} ORDER BY score DESC, published_ts DESC "
            f"LIMIT {limit} OPTION ranker=expr('1000*sum(sum_idf*user_weight)'), "
            "idf='plain,tfidf_unnormalized', field_weights=(title_fold=1,title_exact=1,body_fold=1)", None)])[0]
        return [stored_fields(dict(zip(STORED_COLUMNS, row))) for row in rows]


def _with_accents(text: str, words: Sequence[Syllable]) -> str:
    """Return a MATCH text that also scores the typed words' accents in titles."""
    accented = [s for s in words if s.accented]
    return f"({text}) MAYBE (@title_exact {' | '.join(_terms(accented, exact=True))})" if accented else text


__all__ = ["MAX_PAGE", "MAX_PAGE_SIZE", "ClusterBackend"]


def _on_shard(statement: str, shard: str) -> str:
    """Return a statement of the distributed index as one of a shard's own index."""
    searched = f" FROM {DISTRIBUTED_INDEX} "
    if statement.count(searched) != 1:
        raise ValueError(f"not one statement of the distributed index: {statement[:80]!r}")
    return statement.replace(searched, f" FROM {shard} ")


def _merged_meta(metas: list[list[tuple]], returned: int) -> list[tuple]:
    """Return the SHOW META of a distributed search from its shards': the rows returned, the matches found
    summed, the longest time, each keyword's documents and hits summed, the warnings."""
    found, spent, warnings, keywords = 0, 0.0, [], {}
    for meta in metas:
        values = dict(meta)
        found += int(values.get("total_found", 0))
        spent = max(spent, float(values.get("time", 0) or 0))
        if values.get("warning") and values["warning"] not in warnings:
            warnings.append(values["warning"])
        for key, word in meta:
            if key.startswith("keyword["):
                number = key[len("keyword[") : -1]
                counted = keywords.setdefault(word, [0, 0])
                counted[0] += int(values.get(f"docs[{number}]", 0))
                counted[1] += int(values.get(f"hits[{number}]", 0))
    merged = [("warning", "; ".join(warnings))] if warnings else []
    merged += [("total", str(returned)), ("total_found", str(found)), ("time", f"{spent:.3f}")]
    for number, (word, (docs, hits)) in enumerate(keywords.items()):
        merged += [(f"keyword[{number}]", word), (f"docs[{number}]", str(docs)), (f"hits[{number}]", str(hits))]
    return merged


def _stored_statement(index: str, keys: list[int]) -> tuple[str, None]:
    """Return the statement reading the stored text of articles by key from an index (a shard or all)."""
    return (f"SELECT id, {', '.join(STORED_COLUMNS)} FROM {index} WHERE id IN ({','.join(str(key) for key in keys)}) "
            f"LIMIT {len(keys)} OPTION max_matches={len(keys)}", None)
