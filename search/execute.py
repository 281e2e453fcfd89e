"""Execution of a query by the embedded Whoosh backend: matching, BM25F, proximity, order.

The plan, all over numpy arrays built from whole posting lists (see ``search.reader``):

1. Match: every query group must match (a clause = syllables that must all occur, folded,
   in the title or body; quoted clauses as a phrase); excluded clauses must not.  When that
   finds too little, fall back to any-word matching, documents matching all words first.
2. Rank: BM25F over title and body for each folded syllable, plus a bonus for the syllables
   typed with accents that occur with exactly those accents, plus the folded compound words
   (``chinh_tri``) the index holds for adjacent query syllables; then the top few hundred are
   re-ranked with a bonus for query words that stand next to each other in the document.

Filters and facet counts are in ``search.filtering``; the result is shaped above the backend
seam (``search.results``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np

from search.codec import Postings
from search.parse import Clause, ParsedQuery
from search.ranking import Ranking
from search.reader import Snapshot
from search.request import SearchRequest
from search.schema import TEXT_FIELDS
from search.text import COMPOUND_JOINER

# All-words matching that finds fewer results than this falls back to any-word matching.
FALLBACK_BELOW = 5
# Queries of this many distinct words are questions: at least this share of them must match.
LONG_QUERY_WORDS = 6
LONG_QUERY_SHARE = 0.2


class QueryContext:
    """What one query run reads, fetched once: postings and the snapshot's statistics."""

    def __init__(self, snapshot: Snapshot, ranking: Ranking):
        self.snapshot = snapshot
        self.ranking = ranking
        self.size = snapshot.doc_count
        self._postings: dict[tuple[str, str], Postings] = {}
        self.weights = {"title": (ranking.title_weight, ranking.title_b), "body": (ranking.body_weight, ranking.body_b)}

    def postings(self, fieldname: str, term: str) -> Postings:
        """Return (and remember) a term's postings in a field."""
        key = (fieldname, term)
        if key not in self._postings:
            self._postings[key] = self.snapshot.postings(fieldname, term)
        return self._postings[key]

    def docs_with(self, term: str, fields: tuple[str, ...]) -> np.ndarray:
        """Return a mask of the documents holding term in any of fields."""
        mask = np.zeros(self.size, dtype=bool)
        for name in fields:
            mask[self.postings(name, term).ids] = True
        return mask

    def bm25f(self, term: str, fields: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, float]:
        """Return (doc ids, BM25F scores, idf) of a term over fields."""
        found = [name for name in fields if len(self.postings(name, term))]
        if not found:
            return _NO_DOCS, _NO_SCORES, 0.0
        tf = np.zeros(self.size, dtype=np.float64)
        for name in found:
            p = self.postings(name, term)
            if len(p):
                weight, b = self.weights[name]
                lengths = self.snapshot.lengths[name][p.ids]
                tf[p.ids] += weight * p.freqs / (1.0 - b + b * lengths / self.snapshot.average_length[name])
        ids = np.flatnonzero(tf)
        idf = _idf(self.size, len(ids))
        k1 = self.ranking.k1
        return ids, idf * tf[ids] * (k1 + 1.0) / (tf[ids] + k1), idf


_NO_DOCS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0, dtype=np.float64)


def _idf(total: int, df: int) -> float:
    """Return the BM25 inverse document frequency."""
    return math.log(1.0 + (total - df + 0.5) / (df + 0.5))


def _fields_of(clause: Clause) -> tuple[str, ...]:
    """Return the fields a clause searches."""
    return (clause.field,) if clause.field == "title" else TEXT_FIELDS


def _clause_mask(ctx: QueryContext, clause: Clause) -> np.ndarray:
    """Return the documents matching a clause: all its syllables, as a phrase if quoted."""
    fields = _fields_of(clause)
    mask = np.ones(ctx.size, dtype=bool)
    for syllable in clause.syllables:
        mask &= ctx.docs_with(syllable.folded, fields)
    if clause.phrase and mask.any():
        mask &= _phrase_docs(ctx, [s.folded for s in clause.syllables], fields, np.flatnonzero(mask))
    return mask


def _phrase_docs(ctx: QueryContext, terms: list[str], fields: tuple[str, ...], docs: np.ndarray) -> np.ndarray:
    """Return a mask of the given documents where terms stand in a row in one field."""
    found = np.zeros(ctx.size, dtype=bool)
    for name in fields:
        counts = _adjacent_counts(ctx, name, terms, docs)
        found[np.flatnonzero(counts)] = True
    return found


def _adjacent_counts(ctx: QueryContext, fieldname: str, terms: list[str], docs: np.ndarray) -> np.ndarray:
    """Return, per document, how often terms occur in a row in a field (only docs looked at)."""
    keys = None
    for offset, term in enumerate(terms):
        postings = ctx.postings(fieldname, term)
        rows = np.flatnonzero(np.isin(postings.ids, docs, assume_unique=True))
        if not len(rows):
            return np.zeros(ctx.size, dtype=np.int32)
        doc_ids, positions = postings.positions(rows)
        term_keys = (doc_ids << 32) | (positions - offset + (1 << 31))
        keys = term_keys if keys is None else np.intersect1d(keys, term_keys, assume_unique=True)
    return np.bincount((keys >> 32).astype(np.int64), minlength=ctx.size).astype(np.int32)


def _match(ctx: QueryContext, parsed: ParsedQuery) -> np.ndarray:
    """Return the documents matching every group of the query and no excluded clause."""
    mask = np.ones(ctx.size, dtype=bool)
    for group in parsed.groups:
        group_mask = np.zeros(ctx.size, dtype=bool)
        for clause in group:
            group_mask |= _clause_mask(ctx, clause)
        mask &= group_mask
    return mask & ~_excluded(ctx, parsed)


def _excluded(ctx: QueryContext, parsed: ParsedQuery) -> np.ndarray:
    """Return the documents matching any excluded clause."""
    mask = np.zeros(ctx.size, dtype=bool)
    for clause in parsed.excluded:
        mask |= _clause_mask(ctx, clause)
    return mask


def _match_any(ctx: QueryContext, parsed: ParsedQuery, share: float = 0.0) -> np.ndarray:
    """Return the documents holding at least share of the query's words (at least one).

    Quoted and field clauses stay required; the other words become optional.
    """
    required = [g for g in parsed.groups if any(c.phrase or c.field for c in g)]
    optional = [c for g in parsed.groups if g not in required for c in g]
    mask = _match(ctx, replace(parsed, groups=required)) if required else ~_excluded(ctx, parsed)
    words = {(s.folded, _fields_of(c)) for c in optional for s in c.syllables}
    if words:
        held = np.zeros(ctx.size, dtype=np.int32)
        for folded, fields in words:
            held += ctx.docs_with(folded, fields)
        mask &= held >= max(1, math.ceil(share * len(words)))
    return mask


def _scores(ctx: QueryContext, parsed: ParsedQuery, all_words: np.ndarray | None) -> tuple[np.ndarray, dict]:
    """Return base relevance scores for every document, and each syllable's idf."""
    scores = np.zeros(ctx.size, dtype=np.float64)
    idfs: dict[str, float] = {}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    weight = ctx.ranking
    for clause in parsed.clauses:
        fields = _fields_of(clause)
        for syllable in clause.syllables:
            if (syllable.exact, fields) in seen:
                continue
            seen.add((syllable.exact, fields))
            ids, values, idfs[syllable.folded] = ctx.bm25f(syllable.folded, fields)
            # A syllable typed with accents counts mostly where it stands with those accents:
            # folding merges distinct words (thuốc / thuộc), which blurs the ranking.
            scores[ids] += weight.accented_folded_weight * values if syllable.accented else values
            if syllable.accented:
                ids, values, idfs[syllable.folded] = ctx.bm25f(syllable.exact, fields)
                scores[ids] += weight.exact_weight * values
    for compound, fields in _compounds(parsed, weight.query_compound_syllables):
        ids, values, _ = ctx.bm25f(compound, fields)
        scores[ids] += weight.compound_weight * values
    if all_words is not None and all_words.any():
        # Any-word fallback: documents holding every word still come first.
        scores[all_words] += scores.max()
    return scores, idfs


def _compounds(parsed: ParsedQuery, longest: int) -> list[tuple[str, tuple[str, ...]]]:
    """Return the folded compound terms (2 to longest adjacent syllables) the query could hold."""
    compounds = []
    for clause in parsed.clauses:
        folded = [s.folded for s in clause.syllables]
        for size in range(2, longest + 1):
            for start in range(len(folded) - size + 1):
                compounds.append((COMPOUND_JOINER.join(folded[start : start + size]), _fields_of(clause)))
    chain = [s.folded for c in parsed.clauses if not c.field for s in c.syllables]
    for start in range(len(chain) - 1):
        compounds.append((COMPOUND_JOINER.join(chain[start : start + 2]), TEXT_FIELDS))
    return list(dict.fromkeys(compounds))


def _proximity(ctx: QueryContext, parsed: ParsedQuery, docs: np.ndarray, idfs: dict[str, float]) -> np.ndarray:
    """Return a bonus for docs where adjacent query words stand next to each other.

    In the title each pair found counts once (a title holding the query's words in a row is
    what known-item searches look for); in the body repeated pairs count with BM25's
    saturation.  Syllables typed with accents are paired in their exact form.
    """
    bonus = np.zeros(len(docs), dtype=np.float64)
    chain = [s for c in parsed.clauses if not c.field for s in c.syllables]
    pairs = list(dict.fromkeys(itertools.pairwise(chain)))
    if not pairs or not len(docs):
        return bonus
    ranking = ctx.ranking
    _, body_b = ctx.weights["body"]
    lengths = ctx.snapshot.lengths["body"][docs] / ctx.snapshot.average_length["body"]
    for first, second in pairs:
        terms = [s.exact if s.accented else s.folded for s in (first, second)]
        idf = (idfs.get(first.folded, 0.0) + idfs.get(second.folded, 0.0)) / 2.0
        in_title = _adjacent_counts(ctx, "title", terms, docs)[docs] > 0
        bonus += ranking.title_proximity_weight * idf * in_title
        tf = _adjacent_counts(ctx, "body", terms, docs)[docs] / (1.0 - body_b + body_b * lengths)
        bonus += ranking.proximity_weight * idf * tf * (ranking.k1 + 1.0) / (tf + ranking.k1)
    return bonus


def order_page(ctx: QueryContext, parsed: ParsedQuery, results: np.ndarray, scores: np.ndarray | None,
           idfs: dict[str, float], request: SearchRequest) -> tuple[np.ndarray, np.ndarray]:
    """Return (doc numbers, scores) of the requested page, in order."""
    docs = np.flatnonzero(results)
    wanted = request.page * request.size
    base = scores[docs] if scores is not None else np.zeros(len(docs))
    if request.sort != "relevance" or scores is None:
        stamps = ctx.snapshot.timestamp[docs]
        dated = stamps > 0
        order_key = np.where(dated, -stamps if request.sort != "oldest" else stamps, np.iinfo(np.int64).max)
        order = np.lexsort((-base, order_key))[:wanted]
        return docs[order][wanted - request.size :], base[order][wanted - request.size :]
    depth = min(len(docs), max(ctx.ranking.rerank_depth, wanted))
    top = np.argpartition(-base, depth - 1)[:depth] if depth < len(docs) else np.arange(len(docs))
    final = base[top] + _proximity(ctx, parsed, docs[top], idfs)
    order = np.lexsort((docs[top], -final))[:wanted][wanted - request.size :]
    return docs[top][order], final[order]


def run_match(ctx: QueryContext, parsed: ParsedQuery):
    """Return (matching mode, matched mask, scores, idfs).

    Modes: "all" words; "most" for questions (LONG_QUERY_WORDS words or more, which their
    answers rarely repeat all of: a LONG_QUERY_SHARE of the words must match, ranked by score
    alone; on train, shares of 0.1-0.3 scored alike, 0.5 lost 0.03 MRR@10); "any"
    word when those find too little, documents holding every word first.  The choice depends
    on the query alone, not on the filters, so selecting a facet never changes other facets.
    """
    if parsed.is_empty:
        return "all", ~_excluded(ctx, parsed), None, {}
    live = ctx.snapshot.live
    if len({s.folded for s in parsed.syllables}) >= LONG_QUERY_WORDS:
        matched = _match_any(ctx, parsed, LONG_QUERY_SHARE)
        mode = "most"
        if int((matched & live).sum()) < FALLBACK_BELOW:
            matched, mode = _match_any(ctx, parsed), "any"
        scores, idfs = _scores(ctx, parsed, None)
        return mode, matched, scores, idfs
    matched = _match(ctx, parsed)
    if int((matched & live).sum()) < FALLBACK_BELOW and len(parsed.syllables) > 1:
        relaxed = _match_any(ctx, parsed) | matched
        if (relaxed & live & ~matched).any():
            scores, idfs = _scores(ctx, parsed, matched)
            return "any", relaxed, scores, idfs
    scores, idfs = _scores(ctx, parsed, None)
    return "all", matched, scores, idfs
