"""Result building, shared by every backend: hits, snippets, notices, the result dict.

``search`` is the one function that turns a request into the plain result dict: it parses
the query, asks the backend for the matches, then marks titles and snippets in the stored
text (``search.highlight``), builds the facet entries (``search.facets``), the notices and
the "did you mean" suggestion (``search.suggest``).  The JSON endpoint returns that dict; the
HTML template renders it.
"""

from __future__ import annotations

import math
import time

from search import highlight, suggest
from search.backend import Backend, Matches, StoredArticle
from search.facets import facet_items
from search.parse import ParsedQuery, parse_query
from search.ranking import DEFAULT_RANKING, Ranking
from search.request import SearchRequest
from search.result_types import Article, Filters, Health, Hit, SearchResult, ShownFields


def search(backend: Backend, request: SearchRequest, ranking: Ranking = DEFAULT_RANKING) -> SearchResult:
    """Run a search on a backend and return the result as a plain dict (the JSON API's body)."""
    started = time.perf_counter()
    parsed = parse_query(request.q)
    matches = backend.search(request, parsed)
    spec = highlight_spec(parsed)
    result: SearchResult = {
        "query": parsed.text,
        "total": matches.total,
        "page": request.page,
        "size": request.size,
        "pages": max(1, math.ceil(matches.total / request.size)),
        "sort": request.sort,
        "matching": matches.matching,
        "took_ms": 0.0,
        "suggestion": _suggestion(matches, parsed, request, ranking),
        "notices": notices(parsed, matches.matching, matches.partial),
        "hits": [hit(s, score, spec, request.snippets) for s, score in zip(matches.documents, matches.scores)],
        "facets": facet_items(matches.facets, request) if matches.facets is not None else {},
        "filters": active_filters(request),
        "partial": matches.partial,
    }
    result["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def _suggestion(matches: Matches, parsed: ParsedQuery, request: SearchRequest, ranking: Ranking) -> str | None:
    """Return a "did you mean" query, or None."""
    if not request.suggest:
        return None
    return suggest.did_you_mean(matches.statistics, parsed, matches.documents, matches.total, ranking)


def highlight_spec(parsed: ParsedQuery) -> highlight.HighlightSpec:
    """Return what snippets should mark for a query."""
    words = tuple(s.folded for c in parsed.clauses if not c.phrase for s in c.syllables)
    phrases = tuple(tuple(s.folded for s in c.syllables) for c in parsed.clauses if c.phrase)
    return highlight.HighlightSpec(words, phrases)


def hit(stored: StoredArticle, score: float, spec: highlight.HighlightSpec, snippets: bool) -> Hit:
    """Return one result entry from a document's stored fields."""
    title_html = highlight.highlight_all(title_of(stored), spec) if snippets else highlight.mark(title_of(stored), [])
    return {
        **_shown_fields(stored, title_html),
        "snippet": highlight.snippet(stored.get("body") or "", spec) if snippets else "",
        "score": round(float(score), 4),
    }


def title_of(stored: StoredArticle) -> str:
    """Return an article's title ('' when it has none)."""
    return stored.get("title") or ""


def _shown_fields(stored: StoredArticle, title_html: str) -> ShownFields:
    """Return the fields a hit and an article page share, in the API's order."""
    return {
        "id": stored.get("id"),
        "title": title_of(stored),
        "title_html": title_html,
        "title_derived": bool(stored.get("title_derived")),
        "url": stored.get("url"),
        "published": stored.get("published"),
        "category": stored.get("category"),
        "source": stored.get("source"),
        "portal": stored.get("portal"),
    }


def article(backend: Backend, doc_id: str, q: str = "") -> Article | None:
    """Return a whole article by id (the words of q marked when given), or None."""
    stored = backend.document(doc_id)
    if stored is None:
        return None
    spec = highlight_spec(parse_query(q))
    body = stored.get("body") or ""
    return {
        **_shown_fields(stored, highlight.highlight_all(title_of(stored), spec)),
        "body": body,
        "body_html": highlight.highlight_all(body, spec),
    }


def health(backend: Backend) -> Health:
    """Return the live article count and when the index was last reindexed."""
    state = backend.health()
    health: Health = {
        "status": state.get("status", "ok"),
        "documents": state["documents"],
        "last_reindex": state["last_reindex"],
        "generation": state["generation"],
    }
    if "nodes" in state:
        health["nodes"] = state["nodes"]
    return health


def notices(parsed: ParsedQuery, matching: str, partial: bool = False) -> list[str]:
    """Return what the reader should know about how the query was taken."""
    messages = []
    if partial:
        messages.append("Một phần chỉ mục tạm thời không phản hồi: kết quả và số lượng có thể chưa đầy đủ.")
    if parsed.truncated:
        messages.append(f"Truy vấn quá dài: chỉ dùng {len(parsed.text)} ký tự đầu.")
    if matching == "any":
        messages.append("Không đủ kết quả chứa tất cả các từ: hiển thị cả kết quả chứa một phần các từ.")
    return messages


def active_filters(request: SearchRequest) -> Filters:
    """Return the active filters as plain values."""
    return {
        "from": request.date_from.isoformat() if request.date_from else None,
        "to": request.date_to.isoformat() if request.date_to else None,
        "year": request.year,
        "month": request.month,
        "category": list(request.categories),
        "source": list(request.sources),
    }
