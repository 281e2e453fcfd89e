"""Autocomplete: titles that start matching what has been typed, with or without accents.

The words typed so far must occur in the title; the last, unfinished word is a prefix,
expanded to the most frequent title syllables that start with it (folded, so ``ha no``
finds "Hà Nội").  Only title postings are read, which are small: cheap on every keystroke.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left

from search import highlight
from search.backend import TermStatistics
from search.parse import clean_query, syllables_of
from search.result_types import Completions

MAX_COMPLETIONS = 8
MAX_PREFIX_EXPANSIONS = 24
MAX_INPUT_CHARS = 120
# Best-scoring titles re-ordered by how literally they hold the typed text.
CANDIDATES = 40


def complete(statistics: TermStatistics, text: str, limit: int = MAX_COMPLETIONS) -> Completions:
    """Return up to limit titles completing text, best first."""
    cleaned, _ = clean_query(text, MAX_INPUT_CHARS)
    syllables = syllables_of(cleaned)
    result: Completions = {"query": cleaned, "suggestions": []}
    if not syllables or limit < 1:
        return result
    finished = bool(text) and not text[-1].isalnum()
    words, prefix = (syllables, None) if finished else (syllables[:-1], syllables[-1])
    expansions = None if prefix is None else title_terms_starting(statistics.title_syllables(), prefix.folded)
    candidates = statistics.title_candidates(words, expansions, CANDIDATES)
    typed = " ".join(s.folded for s in syllables)
    candidates.sort(key=lambda stored: _closeness(stored.get("title") or "", typed), reverse=True)
    spec = highlight.HighlightSpec(words=tuple(s.folded for s in words))
    seen = set()
    for stored in candidates:
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


def title_terms_starting(syllables: list[tuple[str, int]], prefix: str) -> list[str]:
    """Return the most frequent folded title syllables (sorted (term, df) pairs) starting with prefix."""
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
