"""Execution of a query by the embedded Whoosh backend: matching, BM25F, proximity, order.

The plan, all over numpy arrays built from whole posting lists (see ``search.reader``):

1. Match (``search.matching``): the result set in tiers -- the words together, all words,
   most of the words -- each syllable exact when typed with accents, folded when not.
2. Rank: BM25F over title and body for each folded syllable, plus a bonus for the syllables
   typed with accents that occur with exactly those accents, plus the folded compound words
   (``chinh_tri``) the index holds for adjacent query syllables; then the top few hundred are
   re-ranked with a bonus for query words that stand next to each other in the document.
   Only the pool a page is ordered from needs scores: a term with many postings is scored in
   the pool's documents alone when the pool is small (``Scope``), with the same numbers.

Filters and facet counts are in ``search.filtering``; the result is shaped above the backend
seam (``search.results``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from search import matching
from search.codec import Postings
from search.matching import Matched, adjacent_counts_of, fields_of
from search.parse import Clause, ParsedQuery, Syllable
from search.ranking import Ranking
from search.reader import Snapshot
from search.recency import freshness, wants_recent
from search.request import SearchRequest
from search.schema import TEXT_FIELDS
from search.text import COMPOUND_JOINER
from search.understand import after_document_type

# The word between a kind of document and its number: "Nghị định số 100" (folded).
REFERENCE_NUMBER_WORD = "so"


# A term of fewer postings is scored in every document holding it even when a query wants a few
# documents' scores (``QueryContext.scoped_bm25f``): its scores cost little and are kept for the
# snapshot's next queries.
SCOPED_MIN_POSTINGS = 10_000
SCOPED_MAX_SHARE = 0.25
# A word's idf counts in steps of 1/IDF_UNITS where the articles holding the most of a long question's
# words are chosen (``promising``): ln(600,000) is 13.3, 213 steps.
IDF_UNITS = 16
# In an index of this many articles or more a term's BM25F frequencies are merged from its fields'
# sorted postings (``QueryContext._term_frequencies``); a smaller index sums them in an array, which
# costs less there (bench/README.md, "A term's frequencies merged").
MERGED_MIN_DOCUMENTS = 10_000


class QueryContext:
    """What one query run reads, fetched once: postings, the snapshot's statistics, and what is
    computed from them (a query's readings, and "did you mean"'s searches, share most terms)."""

    def __init__(self, snapshot: Snapshot, ranking: Ranking):
        self.snapshot = snapshot
        self.ranking = ranking
        self.size = snapshot.doc_count
        self._postings: dict[tuple[str, str], Postings] = {}
        self._computed: dict[tuple, object] = {}
        self._scopes: list[Scope] = []
        # Each folded syllable's idf over titles and bodies (``_syllable_idf``), asked for by every reading.
        self.syllable_idfs: dict[str, float] = {}
        # Whether a pool was scored in its most promising articles alone (``_scores``).
        self.ranked_cut = False
        self.weights = {"title": (ranking.title_weight, ranking.title_b), "body": (ranking.body_weight, ranking.body_b)}

    def remember(self, key: tuple, compute):
        """Return compute() for key, computed once for this context (its arrays made read-only)."""
        if key not in self._computed:
            value = compute()
            for array in value if isinstance(value, tuple) else (value,):
                if isinstance(array, np.ndarray):
                    array.flags.writeable = False
            self._computed[key] = value
        return self._computed[key]

    def remembers(self, key: tuple) -> bool:
        """Tell whether this context computed the value of key (``remember``)."""
        return key in self._computed

    def recalled(self, key: tuple):
        """Return what this context remembers under key, or None."""
        return self._computed.get(key)

    def postings(self, fieldname: str, term: str) -> Postings:
        """Return (and remember) a term's postings in a field."""
        key = (fieldname, term)
        if key not in self._postings:
            self._postings[key] = self.snapshot.postings(fieldname, term)
        return self._postings[key]

    def doc_frequency(self, fieldname: str, term: str) -> int:
        """Return how many documents (deleted ones included) hold term in a field: the length of
        its postings when this query read them already, else the index's count."""
        postings = self._postings.get((fieldname, term))
        return len(postings) if postings is not None else self.snapshot.doc_frequency(fieldname, term)

    def holds(self, term: str, fields: tuple[str, ...]) -> bool:
        """Tell whether any document holds term in any of fields."""
        return any(len(self.postings(name, term)) for name in fields)

    def phrase_idf(self, clause: Clause) -> float:
        """Return the idf of a clause's syllables in a row, folded, over the index (``phrase_count``)."""
        return idf_of(self.size, phrase_count(self, clause))

    def docs_with(self, term: str, fields: tuple[str, ...]) -> np.ndarray:
        """Return a (read-only) mask of the documents holding term in any of fields."""
        return self.remember(("docs", term, fields), lambda: self._docs_with(term, fields))

    def _docs_with(self, term: str, fields: tuple[str, ...]) -> np.ndarray:
        """Return a mask of the documents holding term in any of fields."""
        mask = np.zeros(self.size, dtype=bool)
        for name in fields:
            mask[self.postings(name, term).ids] = True
        return mask

    def bm25f(self, term: str, fields: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, float]:
        """Return (doc ids, BM25F scores, idf) of a term over fields (read-only arrays)."""
        return self.remember(("bm25f", term, fields), lambda: self._shared_bm25f(term, fields))

    def _shared_bm25f(self, term: str, fields: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, float]:
        """Return ``_bm25f``, computed once for every query of an index snapshot that keeps it."""
        computed = getattr(self.snapshot, "computed", None)
        if computed is None:  # a cluster's candidates: their own statistics
            return self._bm25f(term, fields)
        return computed(("bm25f", self.ranking, term, fields), lambda: self._bm25f(term, fields))

    def _bm25f(self, term: str, fields: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, float]:
        """Return (doc ids, BM25F scores, idf) of a term over fields."""
        found = [(name, p) for name in fields if len(p := self.postings(name, term))]
        if not found:
            return _NO_DOCS, _NO_SCORES, 0.0
        ids, tf = self._term_frequencies(found)
        idf = self.term_idf(term, len(ids))
        return ids, self._saturated(tf, idf), idf

    def _saturated(self, tf: np.ndarray, idf: float) -> np.ndarray:
        """Return BM25F's scores of term frequencies tf (weighted, length-normalised) for a term of idf."""
        k1 = self.ranking.k1
        return idf * tf * (k1 + 1.0) / (tf + k1)

    def scoped_bm25f(self, term: str, fields: tuple[str, ...], scope: Scope) -> tuple[np.ndarray, np.ndarray, float]:
        """Return (slots in scope.docs, BM25F scores, idf) of a term over fields, for the documents of
        a scope alone: the values ``bm25f`` gives those documents, computed from their postings only
        (read-only arrays, computed once per scope)."""
        compute = lambda: self._narrowed_bm25f(term, fields, scope) or self._scoped_bm25f(term, fields, scope)  # noqa: E731
        return self.remember(("scoped bm25f", scope.key, term, fields), compute)

    def keep_scope(self, scope: Scope) -> None:
        """Make a scope known to this context: a term scored in it is scored in the scopes it holds by
        picking their documents' scores (``_narrowed_bm25f``)."""
        self._scopes.append(scope)

    def _narrowed_bm25f(self, term: str, fields: tuple[str, ...],
                        scope: Scope) -> tuple[np.ndarray, np.ndarray, float] | None:
        """Return ``scoped_bm25f`` of a scope from that of another scope of this context holding every
        document of it, when the term was scored there ("did you mean" searches the page's query
        with accents restored: its pool is part of the page's), else None.  The scores of a document
        are its own (``_scoped_bm25f``): the same values, picked."""
        for wider in reversed(self._scopes):
            kept = self._computed.get(("scoped bm25f", wider.key, term, fields))
            if wider is scope or kept is None or not scope.inside(wider):
                continue
            slots, values, idf = kept
            if not len(slots):
                return kept
            places, rows = scope.rows(wider.docs[slots])
            return places, values[rows], idf
        return None

    def _scoped_bm25f(self, term: str, fields: tuple[str, ...], scope: Scope) -> tuple[np.ndarray, np.ndarray, float]:
        """Return ``scoped_bm25f``: each posting's term frequency as ``_term_frequencies`` computes it,
        element for element, for the scope's rows of the postings; the idf from the count of
        documents holding the term, which is what ``_bm25f`` counts when every posting scores."""
        found = [(name, p) for name in fields if len(p := self.postings(name, term))]
        if not found:
            return _NO_DOCS, _NO_SCORES, 0.0
        whole = self._kept_bm25f(term, fields)
        held = sum(len(p) for _, p in found)
        if whole is None and (held < SCOPED_MIN_POSTINGS or len(scope.docs) * 2 >= held
                              or not all(self._always_scores(name, p) for name, p in found)):
            # A term of few postings, or a scope about as large as them (a question's pool), saves
            # little: the whole term's scores are computed, and kept for the snapshot's next queries.
            whole = self.bm25f(term, fields)
        if whole is not None:
            ids, values, idf = whole
            slots, rows = scope.rows(ids)
            return slots, values[rows], idf
        idf = self.term_idf(term, self._holding_count(term, fields, found))
        rows = [(name, p, *scope.rows(p.ids)) for name, p in found]
        sparse = sum(len(r) for _, _, _, r in rows) * 16 < len(scope.docs)
        slots = np.unique(np.concatenate([s for _, _, s, _ in rows])) if sparse else None
        tf = np.zeros(len(slots) if sparse else len(scope.docs), dtype=np.float64)
        for name, p, at_slots, at_rows in rows:
            at = np.searchsorted(slots, at_slots) if sparse else at_slots
            tf[at] += self._field_frequencies(name, p.ids[at_rows], p.freqs[at_rows])
        if not sparse:
            # The sparse sums hold the scope's postings alone, each of them scoring (``_always_scores``).
            slots = np.flatnonzero(tf)
            tf = tf[slots]
        return slots, self._saturated(tf, idf), idf

    def _holding_count(self, term: str, fields: tuple[str, ...], found: list[tuple[str, Postings]]) -> int:
        """Return how many documents hold term in any of fields (found: its postings in them), counted
        once for every query of an index snapshot that keeps it (a statistic: a binary search of a
        common word's title postings in its body postings, for a single number)."""
        count = lambda: (_union_count([p.ids for _, p in found]),)  # noqa: E731
        computed = getattr(self.snapshot, "computed", None)
        return (count() if computed is None else computed(("holding", term, fields), count, statistic=True))[0]

    def _kept_bm25f(self, term: str, fields: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, float] | None:
        """Return the whole term's ``bm25f`` when this query or the snapshot's cache holds it, else None."""
        key = ("bm25f", term, fields)
        if key in self._computed:
            return self._computed[key]
        kept = getattr(self.snapshot, "kept", None)
        return None if kept is None else kept(("bm25f", self.ranking, term, fields))

    def _always_scores(self, fieldname: str, postings: Postings) -> bool:
        """Tell whether every posting of a field gives its document a term frequency other than 0
        (so the documents holding the term are those its BM25F scores): a positive field weight, a
        length normalisation between 0 and 1, and every posting at least one occurrence."""
        weight, b = self.weights[fieldname]
        return weight > 0 and 0.0 <= b <= 1.0 and bool(postings.freqs.min() > 0)

    def term_idf(self, term: str, held: int) -> float:
        """Return the IDF of a term held by held documents (of this context's)."""
        return idf_of(self.size, held)

    def _term_frequencies(self, found: list[tuple[str, Postings]]) -> tuple[np.ndarray, np.ndarray]:
        """Return (doc ids, BM25F's weighted and length-normalised term frequency) of postings in
        fields, summed field by field (documents whose sum is 0 left out).

        In an index of ``MERGED_MIN_DOCUMENTS`` or more, the fields' sorted doc numbers are merged,
        each document's frequencies added in one addition as an array of them adds them: a common
        word at 600,000 articles filled an array of the index's size and scanned it for its
        documents, for every query that scored it.  A smaller index sums them in an array.
        """
        if self.size < MERGED_MIN_DOCUMENTS:
            return self._summed_term_frequencies(found)
        ids, tf = None, None
        for name, p in found:
            values = self._field_frequencies(name, p.ids, p.freqs)
            ids, tf = (p.ids, values.astype(np.float64)) if ids is None else _sum_sorted(ids, tf, p.ids, values)
        held = tf != 0
        return (ids, tf) if held.all() else (ids[held], tf[held])

    def _field_frequencies(self, fieldname: str, ids: np.ndarray, freqs: np.ndarray) -> np.ndarray:
        """Return BM25F's weighted and length-normalised frequency of postings (ids, freqs) in a field."""
        weight, b = self.weights[fieldname]
        return weight * freqs / self._length_norms(fieldname, b)[ids]

    def _length_norms(self, fieldname: str, b: float) -> np.ndarray:
        """Return BM25F's length normalisation of every document in a field (float32), computed once
        for every query of a snapshot that keeps it: a long query at 600,000 articles normalised the
        millions of postings it scores one operation at a time, each over all of them."""
        snapshot = self.snapshot

        def norms() -> tuple[np.ndarray]:
            # The very operations, in the same types, as on each posting's length: the same values.
            return (1.0 - b + b * snapshot.lengths[fieldname] / snapshot.average_length[fieldname],)

        computed = getattr(snapshot, "computed", None)
        key = ("length norms", fieldname, b)
        return (self.remember(key, norms) if computed is None else computed(key, norms))[0]

    def _summed_term_frequencies(self, found: list[tuple[str, Postings]]) -> tuple[np.ndarray, np.ndarray]:
        """Return ``_term_frequencies`` summed field after field in an array: over the ids alone when
        they are few (a whole-index array costs more than the postings of a rare term), else over
        the whole index, scanned for the documents."""
        sparse = sum(len(p) for _, p in found) * 16 < self.size
        ids = np.unique(np.concatenate([p.ids for _, p in found])) if sparse else None
        tf = np.zeros(len(ids) if sparse else self.size, dtype=np.float64)
        for name, p in found:
            at = np.searchsorted(ids, p.ids) if sparse else p.ids
            tf[at] += self._field_frequencies(name, p.ids, p.freqs)
        if not sparse:
            ids = np.flatnonzero(tf)
            return ids, tf[ids]
        held = tf != 0
        return ids[held], tf[held]


def _sum_sorted(ids: np.ndarray, values: np.ndarray, more_ids: np.ndarray,
                more: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the union of two sorted arrays of distinct doc numbers, and over it values plus more
    (float64; a document in one of them alone keeps its value, one in both gets the sum of the two)."""
    if len(more_ids) > len(ids):
        ids, values, more_ids, more = more_ids, more, ids, values
    at = np.searchsorted(ids, more_ids)
    shared = np.zeros(len(more_ids), dtype=bool)
    inside = at < len(ids)
    shared[inside] = ids[at[inside]] == more_ids[inside]
    summed = values.astype(np.float64)  # a copy
    summed[at[shared]] += more[shared]
    alone = ~shared
    if not alone.any():
        return ids, summed
    return np.insert(ids, at[alone], more_ids[alone]), np.insert(summed, at[alone], more[alone].astype(np.float64))


_NO_DOCS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0, dtype=np.float64)


class Scope:
    """The documents a query's scores are wanted for: the pool its page is ordered from.

    A query's result set and facets count every article it matches, but only the articles its
    page can be drawn from need a score.  At 600,000 articles a common word's BM25F over all its
    postings (hundreds of thousands) cost more than anything else a query does; within a scope
    each term is scored in the scope's documents alone, with the very values the whole term's
    scores hold for them.
    """

    _keys = itertools.count()

    def __init__(self, within: np.ndarray):
        self.docs = np.flatnonzero(within)
        self.size = len(within)
        self.key = next(self._keys)
        self._slot: np.ndarray | None = None
        self._inside: dict[int, bool] = {}

    def inside(self, wider: Scope) -> bool:
        """Tell whether every document of this scope is one of wider's (a binary search each)."""
        if wider.key not in self._inside:
            found = np.minimum(np.searchsorted(wider.docs, self.docs), max(len(wider.docs) - 1, 0))
            self._inside[wider.key] = len(self.docs) <= len(wider.docs) and (
                not len(self.docs) or bool((wider.docs[found] == self.docs).all()))
        return self._inside[wider.key]

    def slots(self, ids: np.ndarray) -> np.ndarray:
        """Return each doc number's place in ``docs`` (-1 for a document outside the scope)."""
        if self._slot is None:
            self._slot = np.full(self.size, -1, dtype=np.int32)
            self._slot[self.docs] = np.arange(len(self.docs))
        return self._slot[ids]

    def rows(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (places in ``docs``, rows of ids) of the scope's documents among sorted doc numbers,
        both ascending: a binary search per document of a small scope in a common word's postings, a
        look-up per posting otherwise."""
        if len(self.docs) * 8 < len(ids):
            found = np.searchsorted(ids, self.docs)
            inside = np.flatnonzero(found < len(ids))
            found = found[inside]
            hit = ids[found] == self.docs[inside]
            return inside[hit], found[hit]
        slots = self.slots(ids)
        rows = np.flatnonzero(slots >= 0)
        return slots[rows], rows

    def spread(self, values: np.ndarray) -> np.ndarray:
        """Return values (one per document of the scope) as an array over every document (0 outside)."""
        spread = np.zeros(self.size, dtype=values.dtype)
        spread[self.docs] = values
        return spread


def _union_count(id_lists: list[np.ndarray]) -> int:
    """Return how many distinct doc numbers one or two sorted arrays of distinct doc numbers hold."""
    if len(id_lists) == 1:
        return len(id_lists[0])
    if len(id_lists) > 2:
        return len(np.unique(np.concatenate(id_lists)))
    small, large = sorted(id_lists, key=len)
    found = np.searchsorted(large, small)
    inside = found < len(large)
    return len(small) + len(large) - int((large[found[inside]] == small[inside]).sum())


def idf_of(total: int, df: int) -> float:
    """Return the BM25 inverse document frequency."""
    return math.log(1.0 + (total - df + 0.5) / (df + 0.5))


def phrase_keys(ctx: QueryContext, fieldname: str, terms: list[str], docs: np.ndarray) -> np.ndarray:
    """Return where terms stand in a row in a field of the given docs, as sorted keys
    ``doc << 32 | (first position + 2**31)`` (see ``phrase_starts``)."""
    keys = None
    for offset, term in enumerate(terms):
        postings = ctx.postings(fieldname, term)
        rows = postings.rows_of(docs)
        if not len(rows):
            return _NO_DOCS
        doc_ids, positions = postings.positions(rows)
        term_keys = (doc_ids << 32) | (positions - offset + (1 << 31))
        keys = term_keys if keys is None else np.intersect1d(keys, term_keys, assume_unique=True)
    return keys


def phrase_starts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (docs, first position of the phrase in each) from ``phrase_keys``."""
    docs, first = np.unique(keys >> 32, return_index=True)
    return docs, (keys[first] & 0xFFFFFFFF) - (1 << 31)


def _scores(ctx: QueryContext, parsed: ParsedQuery, all_words: np.ndarray | None,
            within: np.ndarray | None = None, best: int | None = None) -> tuple[np.ndarray, dict]:
    """Return base relevance scores for every document (its best reading's), and each syllable's idf.

    A reading's score is a sum of per-term parts (``_reading_parts``); the readings of a query
    share most of them, so the shared ones are summed once and each reading adds only its own.
    With within (a mask), only the documents within are scored (the others score 0): what each
    of them scores is what it scores without within.  With best as well (the caller reads the scores of
    within's best articles alone), a pool of more than SCOPED_MAX_SHARE of an index of at least
    ``Ranking.scored_pool_min_articles`` is scored in its ``scored_pool_share`` most promising articles
    alone (``promising``).  The any-word fallback (all_words) lifts the articles holding every word by
    the highest score of all, so it scores every document.
    """
    fallback = all_words is not None and all_words.any()
    # An index of fewer articles than SCOPED_MIN_POSTINGS scores every posting, as it always did; so
    # does a query whose pool holds more than SCOPED_MAX_SHARE of the index (a question's: most
    # of its terms' postings would be scored anyway).
    scope = None
    if within is not None and not fallback and ctx.size >= SCOPED_MIN_POSTINGS:
        scope = Scope(within)
        if len(scope.docs) <= SCOPED_MAX_SHARE * ctx.size:
            ctx.keep_scope(scope)
        else:
            scope = None
            keep = _promising_count(ctx, parsed, best)
            if keep is not None:
                ctx.ranked_cut = True
                return _scores(ctx, parsed, None, reachable(ctx, parsed, promising(ctx, parsed, within, keep), best))
    size = ctx.size if scope is None else len(scope.docs)
    others = matching.context_readings(ctx, parsed)[1:]
    looked_up: dict = {}  # each syllable's and compound's parts, for every reading (they share most)
    typed = parsed.typed
    typed_parts, idfs = _reading_parts(ctx, typed, scope, looked_up)
    other_parts = [_reading_parts(ctx, reading, scope, looked_up) for reading in others]
    shared = set(typed_parts).intersection(*(parts for parts, _ in other_parts)) if others else set()
    common = _sum_parts(size, typed_parts, shared)
    sums = _reading_sums(common, [typed_parts, *(parts for parts, _ in other_parts)], shared)
    scores = next(sums)
    typed_idf = _idf_sum(ctx, typed) if others else 0.0
    for reading, (_, other_idfs), other in zip(others, other_parts, sums):
        other *= _reading_weight(ctx, reading, typed_idf)
        np.maximum(scores, other, out=scores)
        idfs = {**other_idfs, **idfs}
    if fallback:
        # Any-word fallback: documents holding every word still come first.
        scores[all_words] += scores.max()
    return (scores if scope is None else scope.spread(scores)), idfs


def _promising_count(ctx: QueryContext, parsed: ParsedQuery, best: int | None) -> int | None:
    """Return how many articles of a pool too large to score within a scope are scored (``promising``):
    a share of the index, at least the best ones the caller reads; None to score the pool whole.

    Only a question's: a query of a few words ("Hà Nội" in a third of the articles) is ranked by how
    often its words stand in each article and in its title, which holding them says nothing of.
    """
    ranking = ctx.ranking
    if best is None or not ranking.scored_pool_share or ctx.size < ranking.scored_pool_min_articles:
        return None
    if not matching.is_question(parsed):
        return None
    keep = max(best, math.ceil(ranking.scored_pool_share * ctx.size))
    return keep if keep < SCOPED_MAX_SHARE * ctx.size else None


def promising(ctx: QueryContext, parsed: ParsedQuery, within: np.ndarray, keep: int) -> np.ndarray:
    """Return the keep documents of within holding the most of the query's words, each word weighed
    by its idf (its folded syllables, in any reading), ties by document number.

    A long question's pool at 600,000 articles (a fifth of its words) is nearly every article: its
    best articles by BM25F are among those holding most of its rarer words, and only those are scored.
    """
    words = {(s.folded, fields_of(clause)) for group in parsed.groups for clause in group for s in clause.syllables}
    # Each idf in sixteenths, in one byte, summed in four: a masked add of floats costs 25 times more.
    weighted = np.zeros(ctx.size, dtype=np.uint32)
    weight = np.empty(ctx.size, dtype=np.uint8)
    for folded, fields in sorted(words):
        units = min(255, round(IDF_UNITS * _syllable_idf(ctx, folded)))
        np.multiply(ctx.docs_with(folded, fields).view(np.uint8), np.uint8(units), out=weight)
        weighted += weight
    return _best_of(weighted * _once_held(ctx), within, keep)


def reachable(ctx: QueryContext, parsed: ParsedQuery, within: np.ndarray, best: int) -> np.ndarray:
    """Return the documents of within that can score among its best (a mask), found from the query's
    rarer terms alone (MaxScore): those whose score with them, plus the most its commonest terms could
    add, reaches the best-th lower bound.  Their scores are exactly those of within.

    A long question's commonest words (held by a fifth of 600,000 articles and more) hold most of its
    postings and add little to any score: looking each of them up in every promising article is then
    left to the few thousand articles that can still reach the page.
    """
    terms = {key: spec for reading in matching.context_readings(ctx, parsed)
             for key, spec in _part_terms(ctx, reading).items()}
    deferred = _commonest(ctx, terms, DEFERRED_POSTINGS_SHARE)
    scope = Scope(within)
    if len(scope.docs) <= best or not deferred:
        return within
    ctx.keep_scope(scope)  # the rarer terms' scores, computed here, are picked for the articles kept
    lower, upper = _score_bounds(ctx, parsed, scope, deferred)
    threshold = np.partition(lower, len(lower) - best)[len(lower) - best]
    return scope.spread(upper >= threshold * (1.0 - BOUND_SLACK))


# A long question's commonest terms holding together at most this share of its postings are left to
# their bound where ``reachable`` chooses the articles to score.  Measured at 600,000 articles (the
# latency mix's questions and the heavy queries, every page the same): 0.4 / 0.6 / 0.7 / 0.8 cost
# 0.95 / 0.89-0.91 / 0.91-0.93 / 0.99-1.00 of the CPU time without it; two steps (0.8 then 0.6) 0.93
# (bench/README.md, "A question's commonest words scored where they can still count").
DEFERRED_POSTINGS_SHARE = 0.6
# The lower bound a document's upper bound is compared with is lowered by this share: the bounds sum
# the same values in another order than the scores do (a rounding apart).
BOUND_SLACK = 1e-9


def _part_terms(ctx: QueryContext, parsed: ParsedQuery) -> dict[tuple, tuple[str, tuple[str, ...], float]]:
    """Return the terms of a reading's parts (``_reading_parts``): {key: (term, fields, weight)}."""
    ranking = ctx.ranking
    terms: dict[tuple, tuple[str, tuple[str, ...], float]] = {}
    for clause in parsed.clauses:
        fields = fields_of(clause)
        for syllable in clause.syllables:
            for key, term, weight in _syllable_terms(ranking, syllable, fields):
                terms.setdefault(key, (term, fields, 1.0 if weight is None else weight))
    for compound, fields in _compounds(parsed, ranking.query_compound_syllables):
        terms[("compound", compound, fields)] = (compound, fields, ranking.compound_weight)
    return terms


def _commonest(ctx: QueryContext, terms: dict, share: float) -> set[tuple]:
    """Return the keys of the commonest terms holding together at most share of the terms' postings."""
    postings = {key: sum(ctx.doc_frequency(name, term) for name in fields) for key, (term, fields, _) in terms.items()}
    budget, deferred = share * sum(postings.values()), set()
    for key in sorted(postings, key=lambda key: (-postings[key], key)):
        budget -= postings[key]
        if budget < 0:
            break
        deferred.add(key)
    return deferred


def _score_bounds(ctx: QueryContext, parsed: ParsedQuery, scope: Scope,
                  deferred: set[tuple]) -> tuple[np.ndarray, np.ndarray]:
    """Return (lower, upper) bounds of the scores of a scope's documents: each reading's parts but the
    deferred ones summed and weighed as ``_scores`` weighs it, the best reading's; the upper adds each
    deferred part's highest possible value, weight x idf x (k1 + 1), to each reading.  The parts the
    readings share are summed once (``_reading_sums``): a pasted paragraph is read a dozen ways."""
    readings = matching.context_readings(ctx, parsed)
    typed_idf = _idf_sum(ctx, parsed.typed) if len(readings) > 1 else 0.0
    scored: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    parts, bounds = [], []
    for reading in readings:
        own, bound = {}, 0.0
        for key, (term, fields, weight) in _part_terms(ctx, reading).items():
            if key in deferred:
                bound += weight * _highest_bm25f(ctx, term, fields)
                continue
            if key not in scored:
                slots, values, _ = _term_scores(ctx, term, fields, scope)
                scored[key] = (slots, weight * values)
            own[key] = scored[key]
        parts.append(own)
        bounds.append(bound)
    shared = set(parts[0]).intersection(*parts[1:])
    sums = _reading_sums(_sum_parts(len(scope.docs), parts[0], shared), parts, shared)
    lower, upper = np.zeros(len(scope.docs)), np.zeros(len(scope.docs))
    for at, (partial, bound) in enumerate(zip(sums, bounds)):
        weight = _reading_weight(ctx, readings[at], typed_idf) if at else 1.0
        np.maximum(lower, weight * partial, out=lower)
        np.maximum(upper, weight * (partial + bound), out=upper)
    return lower, upper


def _highest_bm25f(ctx: QueryContext, term: str, fields: tuple[str, ...]) -> float:
    """Return more than any document's BM25F score of a term: its idf (from its commonest field's count,
    at most the documents holding it in any) times k1 + 1, which saturation never reaches."""
    held = max(ctx.doc_frequency(name, term) for name in fields)
    return 0.0 if not held else ctx.term_idf(term, held) * (ctx.ranking.k1 + 1.0)


def _once_held(ctx: QueryContext) -> np.ndarray:
    """Return what a word held once in each article's body adds to its BM25F score, over its idf (computed
    once for every query of an index snapshot that keeps it, whose backend has one ranking: 2.4 MB at
    600,000 articles)."""
    def compute() -> tuple[np.ndarray]:
        k1, b = ctx.ranking.k1, ctx.ranking.body_b
        tf = 1.0 / (1.0 - b + b * ctx.snapshot.lengths["body"] / ctx.snapshot.average_length["body"])
        return ((tf * (k1 + 1.0) / (tf + k1)).astype(np.float32),)
    return ctx.snapshot.computed(("once held",), compute)[0]


def _best_of(values: np.ndarray, within: np.ndarray, keep: int) -> np.ndarray:
    """Return a mask of the keep documents of within of the highest values (those tied with the
    last one kept taken by document number)."""
    rows = np.flatnonzero(within)
    if keep >= len(rows):
        return within
    chosen = values[rows]
    last = np.partition(chosen, len(rows) - keep)[len(rows) - keep]
    above = rows[chosen > last]
    tied = rows[chosen == last][: keep - len(above)]
    mask = np.zeros(len(within), dtype=bool)
    mask[above] = True
    mask[tied] = True
    return mask


def _reading_sums(common: np.ndarray, readings_parts: list[dict], shared: set):
    """Return an iterator of each reading's scores before its weight: common (the shared parts' sum)
    plus its own parts (``_reading_parts``, those not shared), added in its parts' order, one new array each.

    A reading's own parts begin with those of the groups before the first it reads otherwise
    (``readings`` goes through the combinations of spellings the last group first): the first parts
    it shares with the next reading are summed once (``_carried_sums``) when they hold enough postings.
    A long query's dozen readings of common words at 600,000 articles added the same millions of
    postings again for each reading.
    """
    owns = [[key for key in parts if key not in shared] for parts in readings_parts]

    def add(scores: np.ndarray, at: int, key: tuple) -> None:
        ids, values = readings_parts[at][key]
        scores[ids] += values

    def worth_keeping(at: int, keys: list) -> bool:
        # Fewer postings than a copy of the scores costs are added again by the next reading.
        return sum(len(readings_parts[at][key][0]) for key in keys) * SUM_KEPT_SHARE >= len(common)

    return _carried_sums(common, owns, add, worth_keeping)


def _carried_sums(start: np.ndarray, owns: list[list], add, worth_keeping=None):
    """Yield, for each list of steps in owns, start plus its steps added in order (``add(total, at,
    step)``: list at's step), one new array each.

    The sum of the first steps a list shares with the next one is kept for it, which adds only the
    rest (the same additions in the same order, so the same values); a list after that adds what it
    does not share with the sums still kept.  worth_keeping(at, steps) tells whether a sum of list
    at's steps is worth a copy kept (default: always).
    """
    kept = [(0, start)]  # (how many first steps, their sum): sums of first steps of the last list's, never changed
    for at, own in enumerate(owns):
        keep = _common_start(own, owns[at + 1]) if at + 1 < len(owns) else 0
        previous = _common_start(owns[at - 1], own) if at else 0
        while kept[-1][0] > previous:
            kept.pop()
        done, begun = kept[-1]
        if worth_keeping is not None and not worth_keeping(at, own[done:keep]):
            keep = done
        total = begun.copy()
        for index in range(done, len(own)):
            if index == keep and keep > done:
                kept.append((keep, total.copy()))
            add(total, at, own[index])
        if keep == len(own) and keep > done:
            kept.append((keep, total.copy()))
        yield total


# A reading's first parts are kept for the next one when they hold more postings than the scores' size
# over this (adding a posting costs a few times what copying a score does).
SUM_KEPT_SHARE = 4


def _common_start(first: list, second: list) -> int:
    """Return how many first items two lists have in common."""
    count = 0
    for one, other in zip(first, second):
        if one != other:
            break
        count += 1
    return count


def _sum_parts(size: int, parts: dict, keys: set) -> np.ndarray:
    """Return the sum of the parts named by keys (size scores), added in the parts' order."""
    scores = np.zeros(size, dtype=np.float64)
    for key, (ids, values) in parts.items():
        if key in keys:
            scores[ids] += values
    return scores


def _reading_parts(ctx: QueryContext, parsed: ParsedQuery, scope: Scope | None = None,
                   looked_up: dict | None = None) -> tuple[dict, dict]:
    """Return what each term adds to the relevance scores of one reading of a query, as
    {key: (doc ids, weighted scores)} in the order they are added, and each syllable's idf;
    within a scope, (places in the scope's docs, weighted scores) of its documents alone.

    looked_up keeps each syllable's and compound's parts for the query's other readings (same scope):
    a pasted paragraph's dozen readings share all but a few words, and looking each of its ~200
    syllables and compounds up again for each reading cost more than its scores' sums.
    """
    parts: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    idfs: dict[str, float] = {}
    looked_up = {} if looked_up is None else looked_up
    for clause in parsed.clauses:
        fields = fields_of(clause)
        for syllable in clause.syllables:
            if ("folded", syllable.exact, fields) in parts:
                continue
            key = (syllable.exact, fields)
            if key not in looked_up:
                looked_up[key] = _syllable_parts(ctx, syllable, fields, scope)
            own, idf = looked_up[key]
            parts.update(own)
            idfs[syllable.folded] = idf
    for compound, fields in _compounds(parsed, ctx.ranking.query_compound_syllables):
        key = ("compound", compound, fields)
        if key not in looked_up:
            looked_up[key] = _compound_part(ctx, compound, fields, scope)
        if looked_up[key] is not None:
            parts[key] = looked_up[key]
    return parts, idfs


def _syllable_parts(ctx: QueryContext, syllable: Syllable, fields: tuple[str, ...],
                    scope: Scope | None) -> tuple[list[tuple[tuple, tuple[np.ndarray, np.ndarray]]], float]:
    """Return a syllable's parts of the scores (``_syllable_terms``), as (key, (doc ids, weighted scores)) in
    the order they are added, and its idf (the exact form's when typed with accents)."""
    terms = _syllable_terms(ctx.ranking, syllable, fields)
    own = [(key, _weighted(ctx, term, fields, weight, scope)) for key, term, weight in terms]
    return own, _term_scores(ctx, terms[-1][1], fields, scope)[2]


def _syllable_terms(ranking: Ranking, syllable: Syllable,
                    fields: tuple[str, ...]) -> list[tuple[tuple, str, float | None]]:
    """Return the (key, term, weight) of a syllable's parts of the scores: folded, then exact when typed
    with accents (weight None: its BM25F scores as they are)."""
    # A syllable typed with accents counts mostly where it stands with those accents:
    # folding merges distinct words (thuốc / thuộc), which blurs the ranking.
    terms = [(("folded", syllable.exact, fields), syllable.folded,
              ranking.accented_folded_weight if syllable.accented else None)]
    if syllable.accented:
        terms.append((("exact", syllable.exact, fields), syllable.exact, ranking.exact_weight))
    return terms


def _compound_part(ctx: QueryContext, compound: str, fields: tuple[str, ...],
                   scope: Scope | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Return a folded compound's part of the scores, or None when one of its syllables is in no
    document of fields (every syllable of an indexed compound is indexed too: unknown words cost nothing)."""
    if not all(ctx.holds(part, fields) for part in compound.split(COMPOUND_JOINER)):
        return None
    return _weighted(ctx, compound, fields, ctx.ranking.compound_weight, scope)


def _term_scores(ctx: QueryContext, term: str, fields: tuple[str, ...],
                 scope: Scope | None) -> tuple[np.ndarray, np.ndarray, float]:
    """Return (doc ids, BM25F scores, idf) of a term; within a scope, of its documents alone (ids
    are then places in the scope's docs)."""
    return ctx.bm25f(term, fields) if scope is None else ctx.scoped_bm25f(term, fields, scope)


def _weighted(ctx: QueryContext, term: str, fields: tuple[str, ...],
              weight: float | None, scope: Scope | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return (doc ids, BM25F scores times weight; as they are for None) of a term, computed once per
    query: every reading of a query adds the same terms' parts (12 readings of a pasted paragraph
    multiplied a common word's scores 12 times)."""
    ids, values, _ = _term_scores(ctx, term, fields, scope)
    if weight is None:
        return ids, values
    key = ("weighted", term, fields, weight, None if scope is None else scope.key)
    return ctx.remember(key, lambda: (ids, weight * values))


def _compounds(parsed: ParsedQuery, longest: int) -> list[tuple[str, tuple[str, ...]]]:
    """Return the folded compound terms (2 to longest adjacent syllables) the query could hold."""
    compounds = []
    for clause in parsed.clauses:
        if len(clause.syllables) < 2:
            continue  # joins nothing of its own: most clauses of a pasted paragraph, read a dozen ways
        folded = [s.folded for s in clause.syllables]
        fields = fields_of(clause)
        for size in range(2, min(longest, len(folded)) + 1):
            for start in range(len(folded) - size + 1):
                compounds.append((COMPOUND_JOINER.join(folded[start : start + size]), fields))
    chain = [s.folded for c in parsed.clauses if not c.field for s in c.syllables]
    compounds += [(COMPOUND_JOINER.join(pair), TEXT_FIELDS) for pair in itertools.pairwise(chain)]
    return list(dict.fromkeys(compounds))


def _proximity(ctx: QueryContext, parsed: ParsedQuery, docs: np.ndarray, idfs: dict[str, float]) -> np.ndarray:
    """Return the proximity bonus of docs under their best reading of the query."""
    addends: dict = {}
    # A title holding a short query's words in a row is what a known-item search looks for; a
    # question's answer rarely repeats its wording in a title.
    in_title = (ctx.ranking.question_title_proximity_weight if matching.is_question(parsed)
                else ctx.ranking.title_proximity_weight)
    others = matching.context_readings(ctx, parsed)[1:]
    chains = [_chain(reading) for reading in (parsed.typed, *others)]
    _count_pairs(ctx, chains, docs, idfs, addends, in_title)
    bonuses = _readings_proximity(ctx, chains, docs, idfs, addends, in_title)
    bonus = next(bonuses)
    typed_pairs = _pairs_idf(ctx, chains[0][0]) if others else 0.0
    for chain, other in zip(chains[1:], bonuses):
        other *= _pairs_weight(ctx, typed_pairs, chain[0])
        np.maximum(bonus, other, out=bonus)
    return bonus


def _readings_proximity(ctx: QueryContext, chains: list[tuple[list[Syllable], list]], docs: np.ndarray,
                        idfs: dict[str, float], addends: dict, title_weight: float):
    """Return an iterator of each reading's proximity bonus of docs (chains: each reading's ``_chain``),
    one new array each: where adjacent query words stand next to each other.

    In the title each pair found counts once (a title holding the query's words in a row is what
    known-item searches look for; title_weight is what it counts); in the body repeated pairs count
    with BM25's saturation.  Syllables typed with accents are paired in their exact form.  addends
    keeps each pair's bonus for the other readings of the query (they share most pairs).

    Readings go through the combinations of spellings the last group first (``readings``), so a
    reading's pairs begin with those of the one before up to the first group it reads otherwise: the
    bonus of the first pairs (and citations) it shares with the next reading is summed once
    (``_carried_sums``).  A pasted paragraph's dozen readings added its fifty pairs' bonuses again for
    each reading.
    """
    steps = [_proximity_steps(chain, pairs) if pairs and len(docs) else [] for chain, pairs in chains]

    def add(bonus: np.ndarray, _: int, step: tuple) -> None:
        _add_pair_bonus(ctx, step, bonus, docs, idfs, addends, title_weight)

    return _carried_sums(np.zeros(len(docs), dtype=np.float64), steps, add)


def _chain(parsed: ParsedQuery) -> tuple[list[Syllable], list[tuple[Syllable | None, Syllable | None, tuple]]]:
    """Return the syllables a reading's proximity pairs (its words outside ``title:`` and the like),
    and its distinct adjacent pairs, each with the key of its bonus in ``_readings_proximity``'s
    addends: the terms paired (a syllable typed with accents in its exact form) and each folded.

    The syllables of another form of a typed word, three or more ("tp hồ chí minh" for "tp hcm"),
    are one run instead of their pairs (``_form_runs``), with None for its first and second."""
    clauses = [c for c in parsed.clauses if not c.field]
    chain = [s for c in clauses for s in c.syllables]
    terms = [_paired_term(s) for s in chain]
    runs = _form_runs(clauses)
    steps: dict = {}  # each distinct pair of syllables (or run's key): its step
    for index, pair in enumerate(itertools.pairwise(chain)):
        if index in runs:
            start, end = runs[index]
            key = (tuple(terms[start:end]), *(s.folded for s in chain[start:end]))
            steps.setdefault(key, (None, None, key))
        elif pair not in steps:
            steps[pair] = (*pair, ((terms[index], terms[index + 1]), pair[0].folded, pair[1].folded))
    return chain, list(steps.values())


def _paired_term(syllable: Syllable) -> str:
    """Return the index term a syllable is paired by: its exact form when typed with accents."""
    return syllable.exact if syllable.accented else syllable.folded


def _form_runs(clauses: list[Clause]) -> dict[int, tuple[int, int]]:
    """Return the pairs (by the chain index of their first syllable) inside another form of a typed
    word of three syllables or more, each with its form's (start, end) in the chain.

    Such a form counts for proximity where it stands whole: "Chủ tịch Hồ Chí Minh" holds two of the
    three pairs of "TP Hồ Chí Minh" and names someone else than "tp hcm" does."""
    runs, start = {}, 0
    for clause in clauses:
        end = start + len(clause.syllables)
        if clause.alternative and clause.phrase and end - start > 2:
            runs.update(dict.fromkeys(range(start, end - 1), (start, end)))
        start = end
    return runs


def _count_pairs(ctx: QueryContext, chains: list[tuple[list[Syllable], list]], docs: np.ndarray,
                 idfs: dict[str, float], addends: dict, title_weight: float) -> None:
    """Put in addends the title and the body bonus of docs (``_pair_bonus``, value for value) of every
    adjacent pair of the readings' words (chains: ``_chain`` of each reading), all pairs counted at
    once (``matching.adjacent_pair_counts``: a pasted paragraph's readings hold a hundred pairs,
    each counted in both fields).  Pairs that do not fit one pass, and runs of a form's syllables, are
    left for ``_add_pair_bonus`` to count one by one."""
    if not len(docs):
        return
    wanted = dict.fromkeys(key for _, pairs in chains for _, _, key in pairs
                           if key not in addends and len(key[0]) == 2)
    held = []
    for key in wanted:
        if ctx.holds(key[0][0], TEXT_FIELDS) and ctx.holds(key[0][1], TEXT_FIELDS):
            held.append(key)
        else:
            addends[key] = ()  # a word in no document stands next to nothing
    if not held:
        return
    title = matching.adjacent_pair_counts(ctx, "title", [key[0] for key in held], docs)
    body = matching.adjacent_pair_counts(ctx, "body", [key[0] for key in held], docs)
    if title is None or body is None:
        return
    ranking = ctx.ranking
    _, body_b = ctx.weights["body"]
    lengths = ctx.remember(("body lengths", docs.tobytes()),
                           lambda: ctx.snapshot.lengths["body"][docs] / ctx.snapshot.average_length["body"])
    # Each pair's mean idf, and the arithmetic of _pair_bonus in its order, pair by pair in rows.
    idf = np.array([(idfs.get(first, 0.0) + idfs.get(second, 0.0)) / 2.0 for _, first, second in held])
    in_title = (title_weight * idf)[:, None] * (title > 0)
    tf = body / (1.0 - body_b + body_b * lengths)
    in_body = (ranking.proximity_weight * idf)[:, None] * tf * (ranking.k1 + 1.0) / (tf + ranking.k1)
    for key, title_row, body_row in zip(held, in_title, in_body):
        addends[key] = (title_row, body_row)


def _reading_weight(ctx: QueryContext, reading: ParsedQuery, typed_idf: float) -> float:
    """Return what scales a reading's scores to the query as typed: the ratio of their words'
    summed idf, so a longer or rarer spelling ("thành phố hồ chí minh" for "tphcm") earns no
    more than the words typed.  A reading of VNI keys of a word the index holds ("ban2" as
    "bàn") earns no more than it scores: the word as typed, where it stands, comes first.
    typed_idf: ``_idf_sum`` of the query as typed (the same for every reading)."""
    weight = typed_idf / max(_idf_sum(ctx, reading), 1e-9)
    return min(weight, 1.0) if any(c.decoded for c in reading.clauses) else weight


def _pairs_weight(ctx: QueryContext, typed_pairs: float, chain: list[Syllable]) -> float:
    """Return what scales a reading's proximity bonus to the query as typed: the ratio of the
    summed idf of their adjacent pairs (typed_pairs: the query's as typed, ``_pairs_idf``; chain: the
    reading's syllables paired, ``_chain``)."""
    return typed_pairs / max(_pairs_idf(ctx, chain), 1e-9)


def _pairs_idf(ctx: QueryContext, syllables: list[Syllable]) -> float:
    """Return the summed mean idf of the adjacent syllable pairs a query's proximity bonus counts
    (syllables: the syllables it pairs, ``_chain``)."""
    chain = [s.folded for s in syllables]
    pairs = dict.fromkeys(itertools.pairwise(chain))
    idf = {folded: _syllable_idf(ctx, folded) for folded in chain}
    return sum((idf[a] + idf[b]) / 2.0 for a, b in pairs)


def _idf_sum(ctx: QueryContext, parsed: ParsedQuery) -> float:
    """Return the summed idf of a query's words: its distinct folded syllables (title or body),
    the words of a multi-syllable clause ("hội đồng nhân dân", "TP.HCM") counting once, as a phrase,
    and once however often it is typed (as a syllable typed twice is one word)."""
    units = {_unit_idf_key(c): c for c in parsed.clauses if len(c.syllables) > 1}
    syllables = {s.folded for c in parsed.clauses if len(c.syllables) == 1 for s in c.syllables}
    return sum(_syllable_idf(ctx, folded) for folded in syllables) + sum(_unit_idf(ctx, c) for c in units.values())


def _unit_idf(ctx: QueryContext, clause: Clause) -> float:
    """Return the idf of a multi-syllable clause as a phrase, folded: computed once per query (every
    reading of a query with alternatives is weighed against the query as typed)."""
    return ctx.remember(_unit_idf_key(clause), lambda: ctx.phrase_idf(clause))


def _unit_idf_key(clause: Clause) -> tuple:
    """Return what decides a multi-syllable clause's idf: its folded syllables and its fields."""
    return ("unit idf", tuple(s.folded for s in clause.syllables), fields_of(clause))


# A phrase's count of articles (its idf, a statistic) is counted among at most this many of the
# articles holding all its syllables, evenly spaced, and scaled to them all: a run of words split by
# query understanding ("honda" -> "hon da", "saudi" -> "sau di") at 600,000 articles otherwise read
# the positions of 150,000-440,000 articles for one idf the first time it was asked (0.45 s for
# "do la"; bench/README.md, "A phrase's count estimated").  An index of up to this many articles
# is always counted exactly.
PHRASE_COUNT_SAMPLE = 20_000


def phrase_frequency(ctx: QueryContext, folded: Sequence[str]) -> int:
    """Return how many documents hold folded syllables in a row in their title or body (the count
    a clause of them weighs its idf by, kept with it)."""
    return phrase_count(ctx, Clause([Syllable(term, term, term) for term in folded], phrase=True))


def phrase_count(ctx: QueryContext, clause: Clause) -> int:
    """Return how many documents hold a clause's syllables in a row, folded: kept for every query
    of a snapshot that keeps it, like BM25F's arrays ("việt nam" at 60,000 articles reads the
    positions of most articles' bodies).  A number written with separators counts as its syllables: the
    idf weighs the words in a row, on either backend (the cluster's candidates hold no number terms)."""
    clause = replace(clause, syllables=[replace(s, link="") for s in clause.syllables])
    count = lambda: (np.array([_counted_phrase(ctx, clause)]),)  # noqa: E731
    computed = getattr(ctx.snapshot, "computed", None)
    key = ("phrase count", tuple(s.folded for s in clause.syllables), fields_of(clause))
    return int((count() if computed is None else computed(key, count, statistic=True))[0][0])


def _counted_phrase(ctx: QueryContext, clause: Clause) -> int:
    """Return how many documents hold a clause's syllables in a row, folded: counted in an even
    sample of ``PHRASE_COUNT_SAMPLE`` of the documents holding them all when they are more."""
    holding = np.flatnonzero(matching.clause_mask(ctx, replace(clause, phrase=False), False))
    if len(holding) <= PHRASE_COUNT_SAMPLE:
        return int(matching.clause_mask(ctx, replace(clause, phrase=True), False).sum())
    sample = holding[np.linspace(0, len(holding) - 1, PHRASE_COUNT_SAMPLE).astype(np.int64)]
    terms = [matching.term(s, False) for s in clause.syllables]
    found = int(matching.phrase_docs(ctx, terms, fields_of(clause), sample).sum())
    return round(found * len(holding) / len(sample))


def _syllable_idf(ctx: QueryContext, folded: str) -> float:
    """Return the idf of a folded syllable over titles and bodies (a term the index lacks: the highest),
    computed once per query context: each of a long query's readings weighs its words and its pairs by
    them (a thousand asks a page)."""
    known = ctx.syllable_idfs.get(folded)
    if known is None:
        known = ctx.syllable_idfs[folded] = ctx.term_idf(folded, int(ctx.docs_with(folded, TEXT_FIELDS).sum()))
    return known


def _proximity_steps(chain: list[Syllable], pairs: list) -> list[tuple[tuple, tuple | None]]:
    """Return what a reading's proximity bonus adds, in order: the key of each of its pairs (``_chain``)
    with the index terms of the document the pair names (``_references``), or None."""
    references = _references(chain)
    return [(key, tuple(references[first, second]) if (first, second) in references else None)
            for first, second, key in pairs]


def _add_pair_bonus(ctx: QueryContext, step: tuple, bonus: np.ndarray, docs: np.ndarray, idfs: dict[str, float],
                    addends: dict, title_weight: float) -> None:
    """Add to bonus one pair's title and body bonus (``_pair_bonus``, kept in addends), and the bonus of
    citing the document the pair names when it does and stands in a row somewhere."""
    key, cited_terms = step
    if key not in addends:
        addends[key] = _pair_bonus(ctx, key[0], key[1:], docs, idfs, title_weight)
    for addend in addends[key]:
        bonus += addend
    if cited_terms is not None and addends[key]:
        cited = ("cites", *cited_terms)
        if cited not in addends:
            idf = (idfs.get(key[1], 0.0) + idfs.get(key[2], 0.0)) / 2.0  # the pair's folded syllables
            addends[cited] = ctx.ranking.reference_weight * idf * _cites(ctx, list(cited_terms), docs)
        bonus += addends[cited]


def _pair_bonus(ctx: QueryContext, terms: tuple[str, ...], folded: tuple[str, ...], docs: np.ndarray,
                idfs: dict[str, float], title_weight: float) -> tuple[np.ndarray, ...]:
    """Return the title and the body bonus of docs for one pair of adjacent query words, or one run of
    a form's syllables (``_chain``), which counts as its pairs would where it stands whole (none when a
    word is in no document: it stands next to nothing)."""
    if not all(ctx.holds(term, TEXT_FIELDS) for term in terms):
        return ()
    ranking = ctx.ranking
    _, body_b = ctx.weights["body"]
    lengths = ctx.remember(("body lengths", docs.tobytes()),
                           lambda: ctx.snapshot.lengths["body"][docs] / ctx.snapshot.average_length["body"])
    idf = sum((idfs.get(first, 0.0) + idfs.get(second, 0.0)) / 2.0 for first, second in itertools.pairwise(folded))
    in_title = adjacent_counts_of(ctx, "title", list(terms), docs) > 0
    tf = adjacent_counts_of(ctx, "body", list(terms), docs) / (1.0 - body_b + body_b * lengths)
    return (title_weight * idf * in_title,
            ranking.proximity_weight * idf * tf * (ranking.k1 + 1.0) / (tf + ranking.k1))


def _references(chain: list[Syllable]) -> dict[tuple[Syllable, Syllable], list[str]]:
    """Return the pairs of a query that name a document, each with the index terms of the
    document's kind (its last syllable) and number: ("định", "100") for "nghị định 100" and for
    "nghị định số 100"."""
    folded = [s.folded for s in chain]
    found = {}
    for i in range(1, len(chain)):
        if not folded[i].isdigit():
            continue
        kind = i - 1 if after_document_type(folded[:i]) else i - 2
        if kind == i - 1 or (folded[i - 1] == REFERENCE_NUMBER_WORD and after_document_type(folded[: i - 1])):
            found[chain[i - 1], chain[i]] = [s.exact if s.accented else s.folded for s in (chain[kind], chain[i])]
    return found


def _cites(ctx: QueryContext, terms: list[str], docs: np.ndarray) -> np.ndarray:
    """Return which docs cite the document named by its kind and number: both in a row, or with
    "số" between ("Nghị định số 100"), in the title or the body."""
    cited = np.zeros(len(docs), dtype=bool)
    for written in (terms, [terms[0], REFERENCE_NUMBER_WORD, terms[1]]):
        for name in TEXT_FIELDS:
            cited |= adjacent_counts_of(ctx, name, written, docs) > 0
    return cited


def order_page(ctx: QueryContext, parsed: ParsedQuery, results: np.ndarray, scores: np.ndarray | None,
           idfs: dict[str, float], request: SearchRequest) -> tuple[np.ndarray, np.ndarray]:
    """Return (doc numbers, scores) of the requested page, in order (a relevance page's best
    articles with their proximity bonus, and their freshness when the query names a time:
    ``search.recency``)."""
    docs = np.flatnonzero(results)
    wanted = request.page * request.size
    base = scores[docs] if scores is not None else np.zeros(len(docs))
    if request.sort != "relevance" or scores is None:
        stamps = ctx.snapshot.timestamp[docs]
        dated = stamps > 0
        order_key = np.where(dated, -stamps if request.sort != "oldest" else stamps, np.iinfo(np.int64).max)
        order = np.lexsort((-base, order_key))[:wanted]
        return docs[order][wanted - request.size :], base[order][wanted - request.size :]
    depth = min(len(docs), page_depth(ctx.ranking, parsed, request))
    top = np.argpartition(-base, depth - 1)[:depth] if depth < len(docs) else np.arange(len(docs))
    final = base[top] + _proximity(ctx, parsed, docs[top], idfs)
    if wants_recent(parsed, ctx.ranking):
        final = final * freshness(ctx.snapshot.timestamp[docs[top]], ctx.ranking)
    order = np.lexsort((docs[top], -final))[:wanted][wanted - request.size :]
    return docs[top][order], final[order]


def page_depth(ranking: Ranking, parsed: ParsedQuery, request: SearchRequest) -> int:
    """Return how many of its best articles a relevance page orders exactly: its rerank depth
    (``rerank_depth``), or the articles up to the page's last when they are more."""
    return max(rerank_depth(ranking, parsed), request.page * request.size)


def rerank_depth(ranking: Ranking, parsed: ParsedQuery) -> int:
    """Return how many of a query's best articles get their proximity bonus: ``long_query_rerank_depth``
    for a query of at least ``long_query_syllables`` distinct syllables, else ``rerank_depth``."""
    long = len({s.folded for s in parsed.syllables}) >= ranking.long_query_syllables
    return ranking.long_query_rerank_depth if long else ranking.rerank_depth


def relevance(ctx: QueryContext, parsed: ParsedQuery, all_words: np.ndarray | None = None) -> np.ndarray:
    """Return the relevance of every document of a context, proximity bonus included (the second
    stage ``order_page`` gives its top documents; a cluster gives the engine's best articles)."""
    scores, idfs = _scores(ctx, parsed, all_words)
    return scores + _proximity(ctx, parsed, np.arange(ctx.size), idfs)


def run_match(ctx: QueryContext, parsed: ParsedQuery, mode: str, scored: Callable[[Matched], np.ndarray],
              read: np.ndarray | None = None, best: int | None = None) -> tuple[Matched, np.ndarray | None, dict]:
    """Return (the matched tiers and set, relevance scores, idfs) of a query.

    The tier depends on the query alone, not on the filters, so selecting a facet never
    changes the other facets.  In the ``most`` tier of a short query the articles holding
    every word still come first.  scored names the documents whose scores are wanted (the pool a
    page is ordered from) from the match: the others then score 0.  read,
    when given, holds every document the caller reads of the tiers (``matching.match``).  best, when
    given, is how many of the scored documents the caller reads the scores of: the best ones (``_scores``).
    """
    matched = match_query(ctx, parsed, mode, read=read)
    return (matched, *score_matched(ctx, parsed, matched, scored, best))


def match_query(ctx: QueryContext, parsed: ParsedQuery, mode: str = "auto", answer_only: bool = False,
                read: np.ndarray | None = None) -> Matched:
    """Return the matched tiers and set of a query (``matching.match``).

    The answer of an unaccented query in ``auto`` is kept for the context's next queries (unless
    found among the documents read alone).  With answer_only (the caller reads the tier answered
    from and the set ranked, not the other tiers' counts), that of the same query with accents
    (every accented form of a word matches it unaccented: "did you mean" searches the page's query
    with its accents restored) is found among its documents.
    """
    key = ("answer", matching.folded_key(parsed)) if mode == "auto" and not parsed.excluded else None
    among = ctx.recalled(key) if key is not None and parsed.accented and answer_only else None
    matched = matching.match(ctx, parsed, mode, among, read)
    if key is not None and not parsed.accented and (read is None or matched.question):
        ctx.remember(key, lambda: matched.mask.copy())
    return matched


def known_question_pool(ctx: QueryContext, parsed: ParsedQuery) -> np.ndarray | None:
    """Return the pool a relevance page of a question with accents is ordered from (``match_query``'s,
    in ``auto``) without matching it, when this context matched the same question unaccented and every
    article of that answer holds a fifth of its words; else None.

    A question's pool is the articles holding a fifth of its words, folded (the same for both), and its
    answer: that with accents is part of the unaccented one (``matching.match``'s among), so part of
    that fifth already.
    """
    if not parsed.accented or parsed.excluded or not matching.is_question(parsed):
        return None
    key = matching.folded_key(parsed)
    answer, fifth = ctx.recalled(("answer", key)), ctx.recalled(("at least", key, matching.LONG_QUERY_SHARE))
    if answer is None or fifth is None or (answer & ~fifth).any():
        return None
    return fifth & ctx.snapshot.live


def score_matched(ctx: QueryContext, parsed: ParsedQuery, matched: Matched, scored: Callable[[Matched], np.ndarray],
                  best: int | None = None) -> tuple[np.ndarray | None, dict]:
    """Return (relevance scores, idfs) of a query's match (``run_match``): of the documents scored(matched)."""
    every = matched.tiers["all"] if matched.tier == "most" and not matched.question else None
    return score_pool(ctx, parsed, every, scored(matched), best)


def score_pool(ctx: QueryContext, parsed: ParsedQuery, every: np.ndarray | None,
               within: np.ndarray | None, best: int | None = None) -> tuple[np.ndarray | None, dict]:
    """Return (relevance scores, idfs) of a query (``_scores``; none for an empty query)."""
    if parsed.is_empty:
        return None, {}
    return _scores(ctx, parsed, every, within, best)
