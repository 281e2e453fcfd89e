"""The search service of one process: the index opened once, refreshed when a reindex commits.

``SearchEngine`` is what the web app and the command line hold.  It hands out snapshots
(immutable views of the index) and checks, at most every ``refresh_seconds``, whether a
reindex committed or swapped in a new generation; if so the next request gets a new
snapshot, while requests in flight finish on the old one.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from whoosh import index as whoosh_index

from search import autocomplete, highlight
from search.index import current_generation, open_generation, read_meta
from search.parse import parse_query
from search.query import DEFAULT_RANKING, Ranking, SearchRequest, _highlight_spec, search
from search.reader import SegmentData, Snapshot


class SearchEngine:
    """Search an index directory, keeping up with reindexes."""

    def __init__(self, index_dir: str | Path, refresh_seconds: float = 1.0, ranking: Ranking = DEFAULT_RANKING):
        self.index_dir = Path(index_dir)
        self.refresh_seconds = refresh_seconds
        self.ranking = ranking
        self._lock = threading.Lock()
        self._segments: dict[str, SegmentData] = {}
        self._snapshot: Snapshot | None = None
        self._generation_dir: Path | None = None
        self._checked = 0.0

    def snapshot(self) -> Snapshot:
        """Return the current snapshot, opening a newer one if the index changed."""
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - self._checked < self.refresh_seconds:
            return snapshot
        with self._lock:
            if self._snapshot is None or self._stale():
                self._open()
            self._checked = time.monotonic()
            return self._snapshot

    def _stale(self) -> bool:
        """Tell whether the live generation or its last commit differs from the snapshot's."""
        return current_generation(self.index_dir) != self._generation_dir or not self._snapshot.is_current()

    def _open(self) -> None:
        """Open the live generation as a new snapshot, reusing unchanged segments."""
        ix = open_generation(self.index_dir)
        snapshot = Snapshot(ix, self._segments)
        for key in list(self._segments):
            if key not in snapshot.segment_keys:
                del self._segments[key]
        self._snapshot = snapshot
        self._generation_dir = Path(ix.storage.folder)

    def search(self, request: SearchRequest) -> dict:
        """Run a search (see ``search.query.search``)."""
        return search(self.snapshot(), request, self.ranking)

    def suggest(self, prefix: str, limit: int = autocomplete.MAX_COMPLETIONS) -> dict:
        """Return completions for what has been typed so far."""
        return autocomplete.complete(self.snapshot(), prefix, limit)

    def article(self, doc_id: str, q: str = "") -> dict | None:
        """Return a whole article by id (query words marked when q is given), or None."""
        snapshot = self.snapshot()
        docnum = snapshot.document_number(doc_id)
        if docnum is None:
            return None
        stored = snapshot.stored(docnum)
        spec = _highlight_spec(parse_query(q))
        return {
            "id": stored.get("id"),
            "title": stored.get("title") or "",
            "title_html": highlight.highlight_all(stored.get("title") or "", spec),
            "title_derived": bool(stored.get("title_derived")),
            "url": stored.get("url"),
            "published": stored.get("published"),
            "category": stored.get("category"),
            "source": stored.get("source"),
            "portal": stored.get("portal"),
            "body": stored.get("body") or "",
            "body_html": highlight.highlight_all(stored.get("body") or "", spec),
        }

    def health(self) -> dict:
        """Return the document count and when the index was last reindexed."""
        snapshot = self.snapshot()
        meta = read_meta(Path(snapshot.folder))
        return {
            "status": "ok",
            "documents": snapshot.live_count,
            "last_reindex": meta.get("last_reindex"),
            "generation": Path(snapshot.folder).name,
        }

    @staticmethod
    def exists(index_dir: str | Path) -> bool:
        """Tell whether there is an index to open at index_dir."""
        generation = current_generation(index_dir)
        return generation is not None and whoosh_index.exists_in(str(generation))
