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
from search.execute import (
    QueryContext,
    known_question_pool,
    match_query,
    order_page,
    page_depth,
    phrase_frequency,
    phrase_keys,
    phrase_starts,
    run_match,
    score_matched,
    score_pool,
)
from search.filtering import combine, facet_counts, filter_masks, label_mask, read_scope
from search.integrity import IndexDamaged, Problem, Verifier
from search.matching import Matched, side_by_side
from search.parse import ParsedQuery, Syllable, parse_query
from search.ranking import DEFAULT_RANKING, Ranking
from search.reader import PostingsCache, SegmentData, Snapshot
from search.request import DEFAULT_PAGE_SIZE, TIERS, SearchRequest
from search.settings import setting_value

_TITLE = ("title",)
# Body positions a title derived from the first sentence can span (120 characters).
DERIVED_TITLE_WORDS = 40
# Prefix terms looked up in bodies when only a prefix has been typed (the most frequent ones).
DERIVED_PREFIX_TERMS = 3


def wider_counts(matched: Matched, filters: np.ndarray, total: int) -> dict[str, int]:
    """Return {tier: how many more articles within the filters it holds} for the wider tiers."""
    wider = TIERS[TIERS.index(matched.tier) + 1 :]
    return {tier: int((matched.tiers[tier] & filters).sum()) - total for tier in wider}


def answer_sets(matched: Matched, sort: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (the result set, the pool the page is ordered from) of a match.

    The result set is what the total, the facets and the newest/oldest pages count: the tier
    answered from, or for a question (``match=auto``) whose words stand together nowhere the ``most``
    tier, whatever the order;
    a question's relevance order ranks a wider pool (a fifth of its words).  When no article
    holds half of a question's words, that pool is the result set (``question_fallback``).
    """
    if matched.ranked is None:
        return matched.mask, matched.mask
    if question_fallback(matched):
        return matched.ranked, matched.ranked
    counted = matched.tiers["most"]
    return counted, matched.ranked if sort == "relevance" else counted


def relevance_pool(matched: Matched) -> np.ndarray:
    """Return the pool a relevance page of a match is ordered from (``answer_sets``), without
    counting the result set of a question (its ``most`` tier)."""
    return matched.mask if matched.ranked is None else matched.ranked


def question_fallback(matched: Matched) -> bool:
    """Tell whether a question found no article holding half of its words (every tier is empty)."""
    return matched.ranked is not None and not matched.mask.any()


class SnapshotView:
    """One request's view of one snapshot: the backend operations and the term statistics."""

    def __init__(self, snapshot: Snapshot, ranking: Ranking = DEFAULT_RANKING):
        self.snapshot = snapshot
        self.ranking = ranking
        self.context = QueryContext(snapshot, ranking)
        self._numbers: dict[str, int] = {}  # the doc number of each article this view returned, by id

    def search(self, request: SearchRequest, query: ParsedQuery) -> Matches:
        """Run a parsed query with the request's filters, order and page."""
        snapshot, ctx = self.snapshot, self.context
        masks = filter_masks(snapshot, request)
        if query.categories:
            masks["query_category"] = label_mask(snapshot.category_names, snapshot.category, query.categories, False)
        if query.sources:
            masks["query_source"] = label_mask(snapshot.source_names, snapshot.source, query.sources, False)
        filters = combine(masks, ctx.size)
        # Only the pool the page is ordered from is scored; the total and facets count the whole set
        # (within the filters every count applies: the together tier is searched there alone).
        # A relevance page reads the scores of its pool's best articles alone; another order, of all.
        best = page_depth(self.ranking, query, request) if request.sort == "relevance" else None
        ctx.ranked_cut = False
        matched, scores, idfs = run_match(ctx, query, request.match,
                                          lambda matched: answer_sets(matched, request.sort)[1] & filters,
                                          read_scope(masks, ctx.size, request.facets), best)
        counted, pool = answer_sets(matched, request.sort)
        docs, doc_scores = order_page(ctx, query, pool & filters, scores, idfs, request)
        total = int((counted & filters).sum())
        # A question's relevance pages, ranked from the wider pool, hold as many articles as its total.
        shown = max(0, total - (request.page - 1) * request.size)
        docs, doc_scores = docs[:shown], doc_scores[:shown]
        question = matched.ranked is not None
        return Matches(
            matching=("any" if question_fallback(matched) else "most") if question else matched.matching,
            total=total,
            documents=self._stored(docs),
            scores=[float(score) for score in doc_scores],
            facets=facet_counts(snapshot, counted, masks) if request.facets else None,
            statistics=self,
            tier="most" if question else matched.tier,
            accents=matched.accents,
            wider={} if question else wider_counts(matched, filters, total),
            ranked_cut=ctx.ranked_cut,
        )

    def view(self) -> SnapshotView:
        """Return this view: it is one request's view already."""
        return self

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
        return self.context.doc_frequency(fieldname, term)

    def pair_documents(self, pairs: Sequence[tuple[str, str]], limit: int, scanned: int) -> list[StoredArticle]:
        """Return, for every pair of folded terms, up to limit live articles writing them side by side
        (found among at most scanned articles holding the rarer, ``matching.side_by_side``), together."""
        docs = [d for first, second in pairs
                for d in side_by_side(self.context, first, second, self.snapshot.live, limit, scanned)]
        return self._stored(list(dict.fromkeys(docs)))

    def phrase_frequency(self, terms: Sequence[str], most: int | None = None) -> int:
        """Return how many articles (deleted ones included) hold the folded terms in a row in their
        title or body, counted among an even sample beyond ``execute.PHRASE_COUNT_SAMPLE`` articles
        holding them all, and kept for the snapshot (a query of them weighs its idf by the same count).
        most changes nothing: the count is cheap and kept whole."""
        return phrase_frequency(self.context, terms)

    def title_syllables(self) -> list[tuple[str, int]]:
        """Return every folded title syllable with its document frequency, sorted."""
        return self.snapshot.title_syllables()

    def document_count(self) -> int:
        """Return how many articles the index numbers (deleted ones included, as the frequencies count)."""
        return self.snapshot.doc_count

    def top_documents(self, query: str | ParsedQuery) -> list[StoredArticle]:
        """Return the first page of a relevance search of query (text or parsed), without filters."""
        parsed = parse_query(query, max_terms=self.ranking.max_query_terms) if isinstance(query, str) else query
        return self._stored(self._top_numbers(parsed))

    def _stored(self, docs) -> list[StoredArticle]:
        """Return the stored fields of docs (doc numbers), each number kept under its article's id."""
        stored = [self.snapshot.stored(d) for d in docs]
        for doc, number in zip(stored, docs):
            self._numbers[doc.get("id")] = int(number)
        return stored

    def same_top(self, query: ParsedQuery, documents: list[StoredArticle]) -> bool:
        """Tell whether ``top_documents(query)`` holds the live articles documents (ids), in their order.

        Known without ranking when one of them is no live article, when the query's result set lacks
        one of them, or holds fewer or more than they are (up to a page): the first page is drawn from
        the live articles of the result set alone.
        """
        numbers = [self._number(d.get("id")) for d in documents]
        if None in numbers:
            return False
        return self._top_numbers(query, numbers) == numbers

    def _number(self, doc_id: str | None) -> int | None:
        """Return the doc number of the live article with an id (None: none), known when this view
        returned it (the index's id lookup costs more than a page's stored fields)."""
        if doc_id in self._numbers:
            return self._numbers[doc_id]
        return None if doc_id is None else self.snapshot.document_number(doc_id)

    def _top_numbers(self, parsed: ParsedQuery, expected: list[int] | None = None) -> list[int] | None:
        """Return the doc numbers of ``top_documents(parsed)``; with expected (doc numbers), None as soon
        as they are known not to be those (one not in the result set, or not as many)."""
        ctx = self.context
        pool = known_question_pool(ctx, parsed)
        matched = match_query(ctx, parsed, answer_only=True) if pool is None else None  # its tier and pool alone
        pool = relevance_pool(matched) if pool is None else pool
        if expected is not None and (len(expected) != min(int(pool.sum()), DEFAULT_PAGE_SIZE)
                                     or not pool[expected].all()):
            return None
        # A question's scores read nothing of its match but the pool (``score_matched``); the page's best
        # alone are read, as a search's first page reads them (a long question's most promising articles).
        request = SearchRequest(q=parsed.text)
        best = page_depth(self.ranking, parsed, request)
        scores, idfs = (score_matched(ctx, parsed, matched, relevance_pool, best) if matched is not None
                        else score_pool(ctx, parsed, None, pool, best))
        docs, _ = order_page(ctx, parsed, pool, scores, idfs, request)
        return docs.tolist()

    def title_candidates(self, words: Sequence[Syllable], prefixes: Sequence[str] | None,
                         limit: int, phrase: bool = False) -> list[StoredArticle]:
        """Return up to limit live articles whose titles hold words and a prefix term, best first.

        With phrase, the words must stand in a row followed by a prefix term, and titles
        derived from the body's first sentence qualify too; titles starting with the phrase
        come first.
        """
        if phrase:
            return self._phrase_candidates(words, prefixes, limit)
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

    def _phrase_candidates(self, words: Sequence[Syllable], prefixes: Sequence[str] | None,
                           limit: int) -> list[StoredArticle]:
        """Return articles whose title (or derived title) holds words in a row, then a prefix term."""
        snapshot, ctx = self.snapshot, self.context
        scores = np.zeros(ctx.size, dtype=np.float64)
        for syllable in words:
            self._add_title_score(scores, syllable.folded, 1.0)
            if syllable.accented:
                self._add_title_score(scores, syllable.exact, 1.0)
        start = np.full(ctx.size, np.iinfo(np.int64).max, dtype=np.int64)
        derived = snapshot.live & (snapshot.lengths["title"] == 0)
        typed = [s.folded for s in words]
        # Only articles holding every typed word can hold the phrase: positions are read for them alone.
        in_title = self._holding(snapshot.live & ~derived, "title", typed)
        expansions = list(prefixes) if prefixes is not None else [None]
        for term in expansions:
            terms = typed + ([term] if term else [])
            if term:
                self._add_title_score(scores, term, self.ranking.prefix_weight)
            self._earliest(start, "title", terms, self._holding(in_title, "title", terms[-1:]))
        # Bodies are long: read the typed words' positions (or the likeliest prefix terms' when
        # nothing else was typed) and leave the word being typed to the caller's check of the
        # derived title itself.
        body_start = np.full(ctx.size, np.iinfo(np.int64).max, dtype=np.int64)
        in_body = self._holding(derived, "body", typed)
        for terms in [typed] if typed else [[term] for term in expansions[:DERIVED_PREFIX_TERMS] if term]:
            self._earliest(body_start, "body", terms, in_body, DERIVED_TITLE_WORDS)
        return self._best(start, scores, limit) + self._best(body_start, scores, limit)

    def _best(self, start: np.ndarray, scores: np.ndarray, limit: int) -> list[StoredArticle]:
        """Return the stored fields of the documents with a start, phrase at position 0 first,
        then by score, then newest."""
        snapshot = self.snapshot
        docs = np.flatnonzero(start < np.iinfo(np.int64).max)
        order = np.lexsort((-snapshot.timestamp[docs], -scores[docs], start[docs] > 0))[:limit]
        return [snapshot.stored(d) for d in docs[order]]

    def _holding(self, mask: np.ndarray, fieldname: str, terms: list[str]) -> np.ndarray:
        """Return mask narrowed to the documents holding every one of terms in a field."""
        mask = mask.copy()
        for term in terms:
            mask &= self.context.docs_with(term, (fieldname,))
        return mask

    def _earliest(self, start: np.ndarray, fieldname: str, terms: list[str], holding: np.ndarray,
                  window: int | None = None) -> None:
        """Lower start[doc] to where terms first stand in a row in a field (within window positions)."""
        docs = np.flatnonzero(holding)
        if not terms or not len(docs):
            return
        found, positions = phrase_starts(phrase_keys(self.context, fieldname, terms, docs))
        if window is not None:
            keep = positions < window
            found, positions = found[keep], positions[keep]
        np.minimum.at(start, found, positions)

    def _add_title_score(self, scores: np.ndarray, term: str, weight: float) -> None:
        """Add a term's BM25 title score, times weight, to scores."""
        ids, values, _ = self.context.bm25f(term, _TITLE)
        scores[ids] += weight * values  # times 1.0 is exact: plain words score as before


# Times a snapshot is opened while reindexes keep committing under it (``WhooshBackend._new_snapshot``).
OPEN_ATTEMPTS = 3


class WhooshBackend:
    """The Whoosh index of a directory as a ``Backend``, keeping up with reindexes."""

    def __init__(self, index_dir: str | Path, refresh_seconds: float = 1.0, ranking: Ranking = DEFAULT_RANKING,
                 postings_cache_mb: int | None = None):
        self.index_dir = Path(index_dir)
        budget = setting_value("postings_cache_mb", postings_cache_mb)
        self.postings_cache = PostingsCache(budget * 1024 * 1024) if budget > 0 else None
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
        ix, snapshot = self._new_snapshot()
        for key in list(self._segments):
            if key not in snapshot.segment_keys:
                del self._segments[key]
        if self.postings_cache is not None:
            self.postings_cache.keep_only(snapshot.segment_keys | {snapshot.cache_key})
        self._snapshot = snapshot
        self._generation_dir = Path(ix.storage.folder)

    def _new_snapshot(self) -> tuple:
        """Return (index, snapshot) of the live generation, read again when a reindex commits while it opens.

        Reading the index's table of contents and opening its segments' files are two steps: a reindex
        committing between them may delete a segment it merged away (an HTTP 500 under live reindexes).
        A file missing while the index stayed as read is damage, left to the caller to report.
        """
        for attempt in range(OPEN_ATTEMPTS):
            ix = generation = None
            try:
                # Opening reads the table too: a commit deletes the tables before its own.
                ix = store.open_generation(self.index_dir)
                generation = ix.latest_generation()
                return ix, Snapshot(ix, self._segments, self.postings_cache)
            except FileNotFoundError:
                if attempt + 1 == OPEN_ATTEMPTS or not self._moved_on(ix, generation):
                    raise

    def _moved_on(self, ix, generation: int | None) -> bool:
        """Tell whether a reindex committed to the index since ix was opened at generation, or swapped in
        another (or the table vanished while being read: ix None)."""
        # A full reindex swaps the link before it deletes the old generation: one deleted is not the current.
        return (ix is None or store.current_generation(self.index_dir) != Path(ix.storage.folder)
                or ix.latest_generation() != generation)

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

