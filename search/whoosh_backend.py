"""The embedded Whoosh backend: an index directory, opened once, refreshed when a reindex commits.

``WhooshBackend`` implements ``search.backend.Backend``.  It hands out snapshots (immutable
views of the index) and checks, at most every ``refresh_seconds``, whether a reindex
committed or swapped in a new generation; if so the next request gets a new snapshot, while
requests in flight finish on the old one.  Each request runs on a ``SnapshotView``: one
snapshot and one query context, so a search and its "did you mean" read the same index and
share decoded posting lists.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from search import index as reindexing
from search import store
from search.backend import BackendHealth, Matches, Progress, StoredArticle
from search.documents import DEFAULT_MAX_ARTICLE_BYTES
from search.execute import QueryContext, order_page, run_match
from search.filtering import combine, facet_counts, filter_masks, label_mask
from search.integrity import IndexDamaged, Problem, Verifier
from search.parse import ParsedQuery, Syllable, parse_query
from search.ranking import DEFAULT_RANKING, Ranking
from search.reader import SegmentData, Snapshot
from search.request import SearchRequest

_TITLE = ("title",)


class SnapshotView:
    """One request's view of one snapshot: the backend operations and the term statistics."""

    def __init__(self, snapshot: Snapshot, ranking: Ranking = DEFAULT_RANKING):
        self.snapshot = snapshot
        self.ranking = ranking
        self.context = QueryContext(snapshot, ranking)

    def search(self, request: SearchRequest, query: ParsedQuery) -> Matches:
        """Run a parsed query with the request's filters, order and page."""
        snapshot, ctx = self.snapshot, self.context
        masks = filter_masks(snapshot, request)
        if query.categories:
            masks["query_category"] = label_mask(snapshot.category_names, snapshot.category, query.categories, False)
        if query.sources:
            masks["query_source"] = label_mask(snapshot.source_names, snapshot.source, query.sources, False)
        matching, matched, scores, idfs = run_match(ctx, query)
        base = matched & snapshot.live
        results = base & combine(masks, ctx.size)
        docs, doc_scores = order_page(ctx, query, results, scores, idfs, request)
        return Matches(
            matching=matching,
            total=int(results.sum()),
            documents=[snapshot.stored(d) for d in docs],
            scores=[float(score) for score in doc_scores],
            facets=facet_counts(snapshot, base, masks) if request.facets else None,
            statistics=self,
        )

    def document(self, doc_id: str) -> StoredArticle | None:
        """Return the stored fields of the live article with an id, or None."""
        docnum = self.snapshot.document_number(doc_id)
        return None if docnum is None else self.snapshot.stored(docnum)

    def statistics(self) -> SnapshotView:
        """Return this view: it answers the term statistics too."""
        return self

    def health(self) -> BackendHealth:
        """Return the live article count and when the index was last reindexed."""
        folder = Path(self.snapshot.folder)
        meta = store.read_meta(folder)
        return {"documents": self.snapshot.live_count, "last_reindex": meta.get("last_reindex"),
                "generation": folder.name}

    # Term statistics ------------------------------------------------------------------

    def doc_frequency(self, term: str, fieldname: str) -> int:
        """Return how many articles (deleted ones included) hold term in a field."""
        return self.snapshot.doc_frequency(fieldname, term)

    def title_syllables(self) -> list[tuple[str, int]]:
        """Return every folded title syllable with its document frequency, sorted."""
        return self.snapshot.title_syllables()

    def top_documents(self, query: str) -> list[StoredArticle]:
        """Return the first page of a relevance search of query, without filters."""
        parsed = parse_query(query)
        ctx = self.context
        _, matched, scores, idfs = run_match(ctx, parsed)
        docs, _ = order_page(ctx, parsed, matched & self.snapshot.live, scores, idfs, SearchRequest(q=query))
        return [self.snapshot.stored(d) for d in docs]

    def title_candidates(self, words: Sequence[Syllable], prefixes: Sequence[str] | None,
                         limit: int) -> list[StoredArticle]:
        """Return up to limit live articles whose titles hold words and a prefix term, best first."""
        snapshot, ctx = self.snapshot, self.context
        scores = np.zeros(ctx.size, dtype=np.float64)
        mask = snapshot.live.copy()
        for syllable in words:
            mask &= ctx.docs_with(syllable.folded, _TITLE)
            self._add_title_score(scores, syllable.folded, 1.0)
            if syllable.accented:
                self._add_title_score(scores, syllable.exact, 1.0)
        if prefixes is not None:
            prefixed = np.zeros(ctx.size, dtype=bool)
            for term in prefixes:
                prefixed |= ctx.docs_with(term, _TITLE)
                self._add_title_score(scores, term, self.ranking.prefix_weight)
            mask &= prefixed
        docs = np.flatnonzero(mask)
        order = np.lexsort((-snapshot.timestamp[docs], -scores[docs]))[:limit]
        return [snapshot.stored(d) for d in docs[order]]

    def _add_title_score(self, scores: np.ndarray, term: str, weight: float) -> None:
        """Add a term's BM25 title score, times weight, to scores."""
        ids, values, _ = self.context.bm25f(term, _TITLE)
        scores[ids] += weight * values  # times 1.0 is exact: plain words score as before


class WhooshBackend:
    """The Whoosh index of a directory as a ``Backend``, keeping up with reindexes."""

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
        if (self._snapshot is not None or self._damage) and time.monotonic() - self._checked < self.refresh_seconds:
            return  # another thread refreshed meanwhile, or the damage was found just now
        folder = store.linked_generation(self.index_dir)
        self._damage = self._verifier.problems(folder) if folder is not None else []
        if not self._damage and (self._snapshot is None or self._stale()):
            self._open()
        self._checked = time.monotonic()

    def verify_after_failure(self) -> list[Problem]:
        """Checksum every file of the live generation again (a read failed); return the problems."""
        with self._lock:
            self._verifier.forget()
            folder = store.linked_generation(self.index_dir)
            problems = self._verifier.problems(folder) if folder is not None else []
            if problems:
                self._damage, self._checked = problems, time.monotonic()
            return problems

    def _stale(self) -> bool:
        """Tell whether the live generation or its last commit differs from the snapshot's."""
        return store.current_generation(self.index_dir) != self._generation_dir or not self._snapshot.is_current()

    def _open(self) -> None:
        """Open the live generation as a new snapshot, reusing unchanged segments."""
        ix = store.open_generation(self.index_dir)
        snapshot = Snapshot(ix, self._segments)
        for key in list(self._segments):
            if key not in snapshot.segment_keys:
                del self._segments[key]
        self._snapshot = snapshot
        self._generation_dir = Path(ix.storage.folder)

    def view(self) -> SnapshotView:
        """Return a view of the current snapshot for one request."""
        return SnapshotView(self.snapshot(), self.ranking)

    def search(self, request: SearchRequest, query: ParsedQuery) -> Matches:
        """Run a parsed query on the current snapshot."""
        return self.view().search(request, query)

    def document(self, doc_id: str) -> StoredArticle | None:
        """Return the stored fields of the live article with an id, or None."""
        return self.view().document(doc_id)

    def statistics(self) -> SnapshotView:
        """Return the term statistics of the current snapshot."""
        return self.view()

    def health(self) -> BackendHealth:
        """Return the live article count and when the index was last reindexed."""
        return self.view().health()

    def reindex(self, sources: Iterable[str] = (), *, full: bool = False, lock_timeout: float = 60.0,
                procs: int | None = None, progress: Progress | None = None,
                max_article_bytes: int | None = None, repair: bool = False) -> reindexing.ReindexReport:
        """Bring the index in step with its sources (see ``search.index.reindex``)."""
        return reindexing.reindex(self.index_dir, sources, full=full, lock_timeout=lock_timeout, procs=procs,
                                  progress=progress, max_article_bytes=max_article_bytes or DEFAULT_MAX_ARTICLE_BYTES,
                                  repair=repair)

    @staticmethod
    def exists(index_dir: str | Path) -> bool:
        """Tell whether there is an index to open at index_dir."""
        generation = store.current_generation(index_dir)
        return generation is not None and whoosh_index.exists_in(str(generation))

