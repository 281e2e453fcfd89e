"""The search service of one process, over a backend (the embedded Whoosh index by default).

``SearchEngine`` is what the web app and the command line hold.  Its backend
(``search.backend.Backend``) matches, ranks, filters and counts; the engine shapes what the
backend returns into the result dicts (``search.results``), the autocomplete suggestions
(``search.autocomplete``) and the health report, the same for every backend.
"""

from __future__ import annotations

from pathlib import Path

from search import abbreviations, autocomplete, results
from search.backend import Backend
from search.integrity import IndexDamaged
from search.ranking import DEFAULT_RANKING, Ranking
from search.reader import Snapshot
from search.related import MAX_RELATED, related_articles
from search.request import QueryError, SearchRequest
from search.result_types import Article, Completions, Health, SearchResult
from search.store import IndexMissing
from search.whoosh_backend import SnapshotView, WhooshBackend


class SearchEngine:
    """Search an index directory (or another backend), keeping up with reindexes."""

    def __init__(self, index_dir: str | Path | None = None, refresh_seconds: float = 1.0,
                 ranking: Ranking = DEFAULT_RANKING, backend: Backend | None = None, synonyms: str | None = None,
                 postings_cache_mb: int | None = None):
        """Raise OSError or UnicodeDecodeError when the synonyms file cannot be read."""
        if backend is None and index_dir is None:
            raise ValueError("SearchEngine needs an index directory or a backend")
        self.ranking = ranking
        # The shipped abbreviation dictionary plus the operator's file (--synonyms).
        self.abbreviations = abbreviations.load(synonyms or None)
        self.backend: Backend = backend if backend is not None else WhooshBackend(
            index_dir, refresh_seconds, ranking, postings_cache_mb)

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a search (see ``search.results.search``)."""
        return self._guarded(lambda: results.search(self.backend, request, self.ranking, self.abbreviations))

    def suggest(self, prefix: str, limit: int = autocomplete.MAX_COMPLETIONS) -> Completions:
        """Return completions for what has been typed so far."""
        return self._guarded(lambda: autocomplete.complete(self.backend.statistics(), prefix, limit))

    def article(self, doc_id: str, q: str = "", match: str = "auto") -> Article | None:
        """Return a whole article by id (query words marked as the match tier found them), or None."""
        return self._guarded(lambda: results.article(self.backend, doc_id, q, match))

    def related(self, doc_id: str, limit: int = MAX_RELATED) -> list[dict]:
        """Return up to limit articles sharing the most distinctive words of doc_id (embedded index only)."""
        snapshot = getattr(self.backend, "snapshot", None)
        return related_articles(snapshot(), doc_id, limit) if snapshot else []

    def health(self) -> Health:
        """Return the document count and when the index was last reindexed."""
        return self._guarded(lambda: results.health(self.backend))

    def _guarded(self, call):
        """Run call(); when it fails and the backend then finds its index damaged, report that instead."""
        try:
            return call()
        except (QueryError, IndexDamaged, IndexMissing):
            raise
        except Exception as error:
            verify = getattr(self.backend, "verify_after_failure", None)
            problems = verify() if verify is not None else []
            if problems:
                raise IndexDamaged(getattr(self.backend, "index_dir", ""), problems) from error
            raise

    def snapshot(self) -> Snapshot:
        """Return the Whoosh backend's current snapshot (for tests and benchmarks)."""
        return self.backend.snapshot()

    @staticmethod
    def exists(index_dir: str | Path) -> bool:
        """Tell whether there is an index to open at index_dir."""
        return WhooshBackend.exists(index_dir)


def open_engine(index_dir: str | Path, backend_url: str = "", refresh_seconds: float = 1.0,
                ranking: Ranking = DEFAULT_RANKING, synonyms: str | None = None,
                postings_cache_mb: int | None = None) -> SearchEngine:
    """Return the engine over a SphinxQL cluster when a backend URL is given, else over index_dir."""
    if not backend_url:
        return SearchEngine(index_dir, refresh_seconds, ranking, synonyms=synonyms, postings_cache_mb=postings_cache_mb)
    from search.cluster_backend import ClusterBackend  # imported late: the embedded index needs none of it

    return SearchEngine(ranking=ranking, backend=ClusterBackend(backend_url, str(index_dir), ranking),
                        synonyms=synonyms)


def search_snapshot(snapshot: Snapshot, request: SearchRequest, ranking: Ranking = DEFAULT_RANKING) -> SearchResult:
    """Run a search on one fixed snapshot of a Whoosh index (see ``search.results.search``)."""
    return results.search(SnapshotView(snapshot, ranking), request, ranking)
