"""The backend seam: what a search backend implements, and what crosses the seam.

vnsearch is two layers.  Above the seam, shared by every backend: request validation
(``search.request``), query parsing (``search.parse``), result shaping — hits, snippets and
highlighting from the stored text (``search.results``), facet entries and their Vietnamese
labels (``search.facets``), notices — and the suggestions built from term statistics ("did
you mean", ``search.suggest``; autocomplete, ``search.autocomplete``).  Below it, a
``Backend`` stores the articles and matches, ranks, filters, sorts, pages and counts.

The first backend is the embedded Whoosh index (``search.whoosh_backend.WhooshBackend``);
``search.engine.SearchEngine`` is the service the web app and the command line hold, over
any backend.  A second backend (a SphinxQL cluster, say) implements ``Backend`` and its
``TermStatistics``; it never builds a hit, a snippet, a label or an error message.

The contract, in short:

* ``search(request, query)`` runs a parsed query with the request's filters, order and page
  and returns ``Matches``: the matching mode, the total, the page's stored articles with
  their scores, and (when ``request.facets``) the facet counts.
* ``document(doc_id)`` returns one live article's stored fields, or None.
* ``statistics()`` returns ``TermStatistics`` of a consistent view of the index: document
  frequencies, the title syllables, the top articles of a query, title completions.
* ``health()`` returns the live document count and the last reindex.
* ``reindex(sources, ...)`` brings the backend in step with its sources.

Optional hooks, looked up with ``getattr``: ``verify_after_failure()`` (returns the integrity
problems found after a failed read, ``search.integrity``), ``snapshot()`` (the Whoosh snapshot
that related articles, ``search.related``, read; a backend without it shows no related
articles), both by ``SearchEngine``, and ``view()`` (a backend answering from one consistent
view of the index, used by ``search.results.search`` for one request: its query
understanding, search and suggestions then read the same view and share what it read).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NotRequired, Protocol, TypedDict

from search.parse import ParsedQuery, Syllable
from search.request import SearchRequest

if TYPE_CHECKING:
    from search.index import ReindexReport

# Matching modes a backend reports (see ``Matches.matching``).
MATCHING_MODES = ("all", "most", "any")


class StoredArticle(TypedDict, total=False):
    """An article's stored fields as a backend returns them (absent fields read as None)."""

    id: str
    title: str
    title_derived: bool
    body: str
    url: str | None
    published: str | None  # ISO 8601 with UTC offset
    category: str | None
    source: str | None
    portal: str | None


@dataclass
class FacetCounts:
    """Counts of the matched live articles per facet value, each facet without its own filter.

    The year and month counts ignore the year and month filters (the month counts only the
    month filter); the category counts ignore the category filter, the source counts the
    source filter.  Every other filter (dates, query ``category:``/``source:``) applies.
    """

    # {year: count}, 0 counting the undated articles.
    year: dict[int, int]
    # {year * 100 + month: count}, 0 counting the undated articles.
    month: dict[int, int]
    # {category: count}, "" counting the articles without one.
    category: dict[str, int]
    # {source: count}, "" counting the articles without one.
    source: dict[str, int]


class TermStatistics(Protocol):
    """What suggestions read from the index: one consistent view, cheap calls.

    Terms are index terms: lower-cased, canonical tone (``search.text.normalize_term``), or
    folded (``search.text.fold``); compounds joined by ``_`` (``chinh_tri``).

    Optional: ``same_top(query, documents) -> bool``, whether ``top_documents(query)`` are those
    articles in that order, which a backend may tell without ranking or reading them (the embedded
    index: ``SnapshotView.same_top``); "did you mean" compares ids of ``top_documents`` otherwise.
    """

    def doc_frequency(self, term: str, fieldname: str) -> int:
        """Return how many articles hold term in a field ("title" or "body")."""

    def title_syllables(self) -> list[tuple[str, int]]:
        """Return every folded single-syllable title term with its document frequency, sorted by term."""

    def top_documents(self, query: str | ParsedQuery) -> list[StoredArticle]:
        """Return the first page (10) of a relevance search of query (text, or already parsed and
        understood), without filters."""

    def pair_documents(self, pairs: Sequence[tuple[str, str]], limit: int, scanned: int) -> list[StoredArticle]:
        """Return, for every pair of folded terms, up to limit live articles whose body writes them
        side by side, found among at most scanned articles holding them (a sample, in any order:
        "did you mean" reads how they write the pair), every pair's together."""

    def phrase_frequency(self, terms: Sequence[str], most: int | None = None) -> int:
        """Return how many articles hold the folded terms in a row in their title or body (deleted
        ones included where the frequencies count them; estimated from a sample on a large index).
        With most, the caller needs only know whether more than most do: the count may then be any
        number above most when it is above, and any from the count up to most when it is not."""

    def title_candidates(self, words: Sequence[Syllable], prefixes: Sequence[str] | None,
                         limit: int, phrase: bool = False) -> list[StoredArticle]:
        """Return up to limit live articles for autocomplete, best first.

        With phrase, an article qualifies when its title holds words in a row followed by one
        of the prefixes' terms (folded), or its title was derived from the body's first sentence
        (``title_derived``) and the body starts with the words (within its first 40 words; the
        caller checks the derived title itself for the prefix).  Up to limit titles, starting
        with the phrase first, then up to limit derived titles.  Without phrase:

        An article qualifies when its title holds every one of words (folded) and, unless
        prefixes is None, at least one of the prefixes' terms (folded title syllables).  Rank
        by BM25 over the title: each word folded, plus its exact form when typed with
        accents, plus ``Ranking.prefix_weight`` times each prefix term's; ties newest first.
        """


@dataclass
class Matches:
    """What a backend's search found: the page asked for, the total and the facet counts."""

    # "all" (every group matched), "most" (a long query: a share of its words matched) or
    # "any" (too few matched every word: any word matched, articles holding all first).
    matching: str
    # Live articles matching the query and every filter.
    total: int
    # The requested page's stored articles, in order, and their scores (same length).
    documents: list[StoredArticle]
    scores: list[float]
    # Facet counts over the matches (None when the request asked for no facets).
    facets: FacetCounts | None
    # The statistics of the very view that answered (for "did you mean").
    statistics: TermStatistics
    # The tier the set was answered from (one of ``search.request.TIERS``), and whether accents were kept ("exact") or
    # dropped because no article held them as typed ("folded").
    tier: str = "all"
    accents: str = "exact"
    # {wider tier: how many more live articles, within the filters, it would add}.
    wider: dict[str, int] = field(default_factory=dict)
    # True when part of the index did not answer (a cluster node down): the counts and the
    # page then cover only the parts that did.
    partial: bool = False
    # True when a relevance page was ordered from its pool's most promising articles alone (a long
    # question's pool of most of a large index: ``Ranking.scored_pool_share``).
    ranked_cut: bool = False


class BackendHealth(TypedDict):
    """The state of a backend, for ``/healthz``."""

    documents: int  # live articles
    last_reindex: str | None  # ISO 8601
    generation: str  # what is being served (an index generation, a cluster version)
    status: NotRequired[str]  # "degraded" when part of the backend is down ("ok" when absent)
    nodes: NotRequired[list[dict]]  # per node of a cluster: node, shard, state, documents or error


Progress = Callable[[str, int, int], None]


class Backend(Protocol):
    """A search backend: stores articles; matches, ranks, filters, sorts, pages and counts.

    Matching (``ParsedQuery``, ``request.match``), in tiers (``search.matching``): a syllable
    typed with accents matches its exact form, one typed without its folded form (all
    folded when the exact forms find nothing); ``together``: every group matches (one of its
    clauses) and the plain words stand within 2n syllables; ``all``: every group matches (a
    clause's syllables in the title or the body, ``title:`` clauses in the title, quoted
    clauses as a phrase); ``most``: half of the words; ``auto`` answers from the tightest tier
    that finds something; no excluded clause may match; ``query.categories`` and
    ``query.sources`` are loose label filters (folded words in a row).  An empty query with
    filters lists articles.  Order: ``relevance`` (score, times the freshness of the best articles
    when a short query names a time: ``search.recency``; then document order), ``newest`` /
    ``oldest`` (publication time, undated last, then score).  Filters: ``request.date_from``,
    ``date_to``, ``year`` (``"none"``: undated), ``month``, ``categories`` and ``sources``
    (exact; ``"none"``: without one).
    """

    def search(self, request: SearchRequest, query: ParsedQuery) -> Matches:
        """Run a parsed query with the request's filters, order and page."""

    def document(self, doc_id: str) -> StoredArticle | None:
        """Return the stored fields of the live article with an id, or None."""

    def statistics(self) -> TermStatistics:
        """Return the term statistics of the current view of the index."""

    def health(self) -> BackendHealth:
        """Return the live article count and when the backend was last reindexed."""

    def reindex(self, sources: Iterable[str] = (), *, full: bool = False, lock_timeout: float = 60.0,
                procs: int | None = None, progress: Progress | None = None,
                max_article_bytes: int | None = None) -> ReindexReport:
        """Bring the backend in step with its sources (remembered ones when none are given)."""
