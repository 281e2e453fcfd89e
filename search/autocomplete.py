"""Autocomplete: titles holding what has been typed as a phrase prefix, and query completions.

What has been typed is a phrase prefix: its finished words in a row, then a word starting
with the unfinished one, expanded to the most frequent title syllables that start with it
(folded, so ``kien gi`` finds "Kiên Giang" and ``ha no`` "Hà Nội").  Titles derived from the
body's first sentence count (marked ``derived``).  Titles starting with the phrase come first.
The same titles give the query completions: the typed phrase as the titles write it, its last
word completed (``gia xa`` -> "giá xăng"), most frequent first.  Only title postings (and the
first words of bodies with derived titles) are read: cheap on every keystroke.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import Counter

from search import highlight
from search.backend import TermStatistics
from search.parse import clean_query, syllables_of
from search.result_types import Completions

MAX_COMPLETIONS = 8
MAX_PREFIX_EXPANSIONS = 24
MAX_INPUT_CHARS = 120
# Titles read for each keystroke: the best are shown, all vote for the query completions.
CANDIDATES = 40
MAX_QUERY_COMPLETIONS = 3
# A completed phrase is offered as a query when this many titles hold it.
MIN_PHRASE_TITLES = 2


def complete(statistics: TermStatistics, text: str, limit: int = MAX_COMPLETIONS) -> Completions:
    """Return up to limit titles completing text as a phrase prefix, best first, and query completions."""
    cleaned, _ = clean_query(text, MAX_INPUT_CHARS)
    syllables = syllables_of(cleaned)
    result: Completions = {"query": cleaned, "suggestions": [], "completions": []}
    if not syllables or limit < 1:
        return result
    finished = bool(text) and not text[-1].isalnum()
    words, prefix = (syllables, None) if finished else (syllables[:-1], syllables[-1])
    expansions = None if prefix is None else title_terms_starting(statistics.title_syllables(), prefix.folded)
    typed = [s.folded for s in words]
    spec = highlight.HighlightSpec(words=tuple(typed))
    phrases = _Phrases()
    seen = set()
    for stored in statistics.title_candidates(words, expansions, CANDIDATES, phrase=True):
        title = stored.get("title") or ""
        span = phrase_span(title, typed, prefix.folded if prefix else None)
        if span is None:
            continue  # a derived title shorter than the body's words matched
        phrases.add(title, span)
        if title.lower() in seen or len(result["suggestions"]) >= limit:
            continue
        seen.add(title.lower())
        result["suggestions"].append({
            "text": title,
            "html": _mark_prefix(title, spec, prefix.folded if prefix else None),
            "id": stored.get("id"),
            "derived": bool(stored.get("title_derived")),
        })
    result["completions"] = _completions(phrases, cleaned, MAX_QUERY_COMPLETIONS)
    return result


def phrase_span(title: str, typed: list[str], prefix: str | None) -> tuple[int, int] | None:
    """Return the character span of the first run of title words that holds the typed words in a
    row, then a word starting with prefix (folded comparison), or None."""
    matches = syllables_of(title)
    size = len(typed) + (1 if prefix else 0)
    for start in range(len(matches) - size + 1):
        run = matches[start : start + size]
        if [s.folded for s in run[: len(typed)]] == typed and (
                prefix is None or run[-1].folded.startswith(prefix)):
            return run[0].start, run[-1].end
    return None


class _Phrases:
    """The phrases titles hold where they match what was typed, counted by their folded words,
    with how each word is spelled and capitalised away from a title's start."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.spellings: dict[str, Counter] = {}
        self.capitals: dict[str, list[list[int]]] = {}

    def add(self, title: str, span: tuple[int, int]) -> None:
        """Count the words of a title's matched span."""
        words = title[span[0] : span[1]].split()
        key = fold_text(" ".join(words))
        self.counts[key] += 1
        self.spellings.setdefault(key, Counter())[" ".join(w.lower() for w in words)] += 1
        votes = self.capitals.setdefault(key, [[0, 0, 0] for _ in words])
        for index, word in enumerate(words[: len(votes)]):
            votes[index][2] += word.isupper() and len(word) > 1  # an acronym wherever it stands
            if index or span[0]:  # a title's first word is capitalised whatever it is
                votes[index][0] += word[:1].isupper()
                votes[index][1] += 1

    def best(self, limit: int) -> list[tuple[str, int]]:
        """Return the most frequent phrases, spelled and capitalised as the titles mostly write them."""
        out = []
        for key, count in self.counts.most_common(limit):
            words = self.spellings[key].most_common(1)[0][0].split()
            votes = self.capitals[key]
            capitalised = [2 * up > seen for up, seen, _ in votes]
            # A word only ever seen first in a title takes the case of a name it starts ("Hà Nội").
            for index in range(len(capitalised) - 1):
                if not votes[index][1]:
                    capitalised[index] = capitalised[index + 1]
            words = [w.upper() if 2 * votes[i][2] > count else w[:1].upper() + w[1:] if capitalised[i] else w
                     for i, w in enumerate(words)]
            out.append((" ".join(words), count))
        return out


def _completions(phrases: _Phrases, typed: str, limit: int) -> list[dict]:
    """Return the most frequent completed phrases (found in two titles at least), as queries."""
    out = []
    for phrase, count in phrases.best(limit + 1):
        if count < MIN_PHRASE_TITLES or len(out) >= limit:
            break
        if phrase == typed:
            continue
        out.append({"text": phrase, "html": highlight.mark(phrase, [(0, len(phrase))]), "count": count})
    return out


def fold_text(text: str) -> str:
    """Return text's syllables folded, joined by spaces."""
    return " ".join(s.folded for s in syllables_of(text))


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
