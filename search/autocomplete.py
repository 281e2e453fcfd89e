"""Autocomplete: titles that start matching what has been typed, with or without accents.

The words typed so far must occur in the title; the last, unfinished word is a prefix,
expanded to the most frequent title syllables that start with it (folded, so ``ha no``
finds "Hà Nội").  Only title postings are read, which are small: cheap on every keystroke.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left

import numpy as np

from search import highlight
from search.parse import clean_query, syllables_of
from search.query import DEFAULT_RANKING, _Context

MAX_COMPLETIONS = 8
MAX_PREFIX_EXPANSIONS = 24
MAX_INPUT_CHARS = 120
# Best-scoring titles re-ordered by how literally they hold the typed text.
CANDIDATES = 40


def complete(snapshot, text: str, limit: int = MAX_COMPLETIONS) -> dict:
    """Return up to limit titles completing text, best first."""
    cleaned, _ = clean_query(text, MAX_INPUT_CHARS)
    syllables = syllables_of(cleaned)
    result = {"query": cleaned, "suggestions": []}
    if not syllables or limit < 1:
        return result
    finished = bool(text) and not text[-1].isalnum()
    words, prefix = (syllables, None) if finished else (syllables[:-1], syllables[-1])
    ctx = _Context(snapshot, DEFAULT_RANKING)
    scores = np.zeros(ctx.size, dtype=np.float64)
    mask = snapshot.live.copy()
    for syllable in words:
        mask &= ctx.docs_with(syllable.folded, ("title",))
        ids, values, _ = ctx.bm25f(syllable.folded, ("title",))
        scores[ids] += values
        if syllable.accented:
            ids, values, _ = ctx.bm25f(syllable.exact, ("title",))
            scores[ids] += values
    if prefix is not None:
        mask &= _prefix_docs(ctx, prefix.folded, scores)
    docs = np.flatnonzero(mask)
    if not len(docs):
        return result
    order = np.lexsort((-snapshot.timestamp[docs], -scores[docs]))[:CANDIDATES]
    typed = " ".join(s.folded for s in syllables)
    candidates = [(snapshot.stored(d), float(scores[d])) for d in docs[order]]
    candidates.sort(key=lambda item: _closeness(item[0].get("title") or "", typed), reverse=True)
    spec = highlight.HighlightSpec(words=tuple(s.folded for s in words))
    seen = set()
    for stored, _ in candidates:
        title = stored.get("title") or ""
        if title.lower() in seen:
            continue
        seen.add(title.lower())
        result["suggestions"].append({
            "text": title,
            "html": _mark_prefix(title, spec, prefix.folded if prefix else None),
            "id": stored.get("id"),
        })
        if len(result["suggestions"]) >= limit:
            break
    return result


def _closeness(title: str, typed: str) -> int:
    """Rank a title by how literally it holds what was typed: at its start, in a row, or not."""
    folded = " ".join(s.folded for s in syllables_of(title))
    if folded.startswith(typed):
        return 2
    return 1 if f" {typed}" in f" {folded}" else 0


def _prefix_docs(ctx: _Context, prefix: str, scores: np.ndarray) -> np.ndarray:
    """Return the docs whose title holds a syllable starting with prefix; add its score."""
    mask = np.zeros(ctx.size, dtype=bool)
    for term in title_terms_starting(ctx.snapshot, prefix):
        mask |= ctx.docs_with(term, ("title",))
        ids, values, _ = ctx.bm25f(term, ("title",))
        scores[ids] += 0.5 * values
    return mask


def title_terms_starting(snapshot, prefix: str) -> list[str]:
    """Return the most frequent folded title syllables starting with prefix."""
    syllables = snapshot.title_syllables()
    start = bisect_left(syllables, (prefix,))
    matching = []
    for term, df in syllables[start:]:
        if not term.startswith(prefix):
            break
        matching.append((df, term))
    return [term for _, term in heapq.nlargest(MAX_PREFIX_EXPANSIONS, matching)]


def _mark_prefix(title: str, spec: highlight.HighlightSpec, prefix: str | None) -> str:
    """Return the title escaped, marking typed words and the start of the word being typed."""
    spans = highlight.find_matches(title, spec)
    if prefix:
        pattern = highlight.compile_prefix(prefix)
        spans += [(m.start(), m.end()) for m in pattern.finditer(title)]
        spans = _merge(sorted(spans))
    return highlight.mark(title, spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return sorted spans with overlaps joined."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
