"""The shapes of what the service returns, as TypedDicts mirroring ``web/openapi.py``.

Every backend's results end up in these structures (built above the backend seam by
``search.results``, ``search.facets`` and ``search.autocomplete``); the JSON API returns them
as they are and the HTML templates render them.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class ShownFields(TypedDict):
    """The fields of an article that a hit and an article page both show."""

    id: str
    title: str
    title_html: str  # escaped, query words in <mark>
    title_derived: bool
    url: str | None
    published: str | None
    category: str | None
    source: str | None
    portal: str | None


class Hit(ShownFields):
    """One result: the article's fields, its title and snippet marked (HTML), its score."""

    snippet: str
    score: float


class FacetItem(TypedDict):
    """One facet entry: the parameter value selecting it, what to show, its count."""

    value: str
    label: str
    count: int
    selected: bool


class Facets(TypedDict):
    """The facets of a result, each a list of entries."""

    year: list[FacetItem]
    month: list[FacetItem]
    category: list[FacetItem]
    source: list[FacetItem]


# "from" is a Python keyword, hence the functional form.
Filters = TypedDict("Filters", {
    "from": str | None,
    "to": str | None,
    "year": str | None,
    "month": str | None,
    "category": list[str],
    "source": list[str],
})


class Corrected(TypedDict):
    """A query that found nothing, replaced by its "did you mean" query that did."""

    typed: str
    searched: str


class SearchResult(TypedDict):
    """The body of ``GET /api/search`` (``facets`` is empty when they were not asked for)."""

    query: str
    total: int
    page: int
    size: int
    pages: int
    sort: str
    matching: str
    match: str
    tier: str
    accents: str
    wider: dict[str, int]
    took_ms: float
    suggestion: str | None
    notices: list[str]
    hits: list[Hit]
    facets: Facets | dict
    filters: Filters
    limited: list[str]
    partial: bool  # part of the index (a cluster node) did not answer: counts and hits are incomplete
    corrected: Corrected | None  # the results shown are those of the "did you mean" query


class Article(ShownFields):
    """The body of ``GET /api/articles/<id>``: the whole article, the query's words marked."""

    body: str
    body_html: str


class Completion(TypedDict, total=False):
    """One autocomplete suggestion: a title, marked, its article's id, and whether the title
    was derived from the body's first sentence (the web app adds the article's ``url``)."""

    text: str
    html: str
    id: str
    derived: bool
    url: str


class QueryCompletion(TypedDict):
    """A completion of the query itself: a frequent phrase of the titles, and how many hold it."""

    text: str
    html: str
    count: int


class Completions(TypedDict):
    """The body of ``GET /api/suggest``."""

    query: str
    suggestions: list[Completion]
    completions: list[QueryCompletion]


class Health(TypedDict):
    """The body of ``GET /healthz``."""

    status: str  # "ok", or "degraded" when a cluster node is down
    documents: int
    last_reindex: str | None
    generation: str
    nodes: NotRequired[list[dict]]  # a cluster's nodes: address, shard, state ("up"/"down"), documents
