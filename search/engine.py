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
from search.index import current_generation, linked_generation, open_generation, read_meta
from search.integrity import IndexDamaged, Problem, Verifier
from search.parse import parse_query
from search.query import DEFAULT_RANKING, QueryError, Ranking, SearchRequest, _highlight_spec, search
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
        self._verifier = Verifier()
        self._damage: list[Problem] = []

    def snapshot(self) -> Snapshot:
        """Return the current snapshot, opening a newer one if the index changed.

        Raises IndexDamaged while the live generation fails its checks (verified again every
        ``refresh_seconds``, so a repaired or swapped-in index is served without a restart).
        """
        if self._snapshot is None or time.monotonic() - self._checked >= self.refresh_seconds:
            with self._lock:
                self._refresh()
        if self._damage:
            raise IndexDamaged(self.index_dir, self._damage)
        return self._snapshot

    def _refresh(self) -> None:
        """Verify the live generation and open it when it changed (under the lock)."""
        if self._snapshot is not None and time.monotonic() - self._checked < self.refresh_seconds:
            return  # another thread refreshed meanwhile
        if self._damage and time.monotonic() - self._checked < self.refresh_seconds:
            return
        folder = linked_generation(self.index_dir)
        self._damage = self._verifier.problems(folder) if folder is not None else []
        if not self._damage and (self._snapshot is None or self._stale()):
            self._open()
        self._checked = time.monotonic()

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
        return self._guarded(lambda snapshot: search(snapshot, request, self.ranking))

    def suggest(self, prefix: str, limit: int = autocomplete.MAX_COMPLETIONS) -> dict:
        """Return completions for what has been typed so far."""
        return self._guarded(lambda snapshot: autocomplete.complete(snapshot, prefix, limit))

    def _guarded(self, call):
        """Run call(snapshot); when it fails, checksum every file again and report damage found."""
        snapshot = self.snapshot()
        try:
            return call(snapshot)
        except (QueryError, IndexDamaged):
            raise
        except Exception as error:
            with self._lock:
                self._verifier.forget()
                folder = linked_generation(self.index_dir)
                problems = self._verifier.problems(folder) if folder is not None else []
                if problems:
                    self._damage, self._checked = problems, time.monotonic()
            if problems:
                raise IndexDamaged(self.index_dir, problems) from error
            raise

    def article(self, doc_id: str, q: str = "") -> dict | None:
        """Return a whole article by id (query words marked when q is given), or None."""
        return self._guarded(lambda snapshot: self._article(snapshot, doc_id, q))

    def _article(self, snapshot: Snapshot, doc_id: str, q: str) -> dict | None:
        """Return a whole article of a snapshot by id, or None."""
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
