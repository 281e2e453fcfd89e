"""Related articles: the articles that share the most distinctive words of one article.

From the index alone, no second model: the article's stored title and opening are split into
folded syllables and adjacent pairs (pairs count only when the index holds them as compound
words, ``chinh_tri``); the terms that are frequent in the article but rare in the index
(tf x idf, present in at least one other article, in at most MAX_SHARE of them) are its
distinctive words.  Every other live article is scored by how many of those words it holds
and how rare they are (a saturated tf x idf, title words counting double); an article must
share at least MIN_SHARED of them.  Reading ~12 posting lists keeps it to a few milliseconds.
"""

from __future__ import annotations

import math
import weakref
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from search.parse import syllables_of
from search.reader import Snapshot
from search.text import COMPOUND_JOINER

MAX_RELATED = 5
# How many of the article's words are looked up in the other articles.
DISTINCTIVE_TERMS = 12
# Characters of the body read for the article's words (its opening says what it is about).
SCAN_CHARS = 2000
# Body words looked up must occur at least this often in the article (title words always are).
MIN_REPEATS = 2
# A word in more than this share of the articles says little about any of them.
MAX_SHARE = 0.1
# An article must share at least this many distinctive words to count as related.
MIN_SHARED = 2
# Compound words are more specific than syllables; title words say more than body words.
COMPOUND_WEIGHT = 1.5
FIELD_WEIGHTS = (("title", 2.0), ("body", 1.0))
# Document frequencies remembered per snapshot (words recur from article to article).
DF_CACHE_TERMS = 200_000
_DF_CACHE: weakref.WeakKeyDictionary[Snapshot, dict[str, int]] = weakref.WeakKeyDictionary()
# Saturation of a word's count in another article (as in BM25).
K1 = 1.2


@dataclass(frozen=True)
class Term:
    """A distinctive word of the article: the index term and its weight."""

    text: str
    weight: float


def related_articles(snapshot: Snapshot, doc_id: str, limit: int = MAX_RELATED) -> list[dict]:
    """Return up to limit articles related to doc_id as {id, title, published, category, source}."""
    docnum = snapshot.document_number(doc_id)
    if docnum is None:
        return []
    fields = ("id", "title", "published", "category", "source")
    return [{name: snapshot.stored(d).get(name) for name in fields} for d in related_documents(snapshot, docnum, limit)]


def related_documents(snapshot: Snapshot, docnum: int, limit: int = MAX_RELATED) -> list[int]:
    """Return the doc numbers of up to limit live articles related to docnum (never docnum)."""
    terms = distinctive_terms(snapshot, snapshot.stored(docnum))
    if not terms:
        return []
    scores = np.zeros(snapshot.doc_count, dtype=np.float64)
    shared = np.zeros(snapshot.doc_count, dtype=np.int32)
    for term in terms:
        holders = np.zeros(snapshot.doc_count, dtype=bool)
        for fieldname, field_weight in FIELD_WEIGHTS:
            postings = snapshot.postings(fieldname, term.text)
            if len(postings):
                freqs = postings.freqs.astype(np.float64)
                scores[postings.ids] += field_weight * term.weight * freqs / (freqs + K1)
                holders[postings.ids] = True
        shared += holders
    eligible = snapshot.live & (shared >= MIN_SHARED)
    eligible[docnum] = False
    candidates = np.flatnonzero(eligible)
    order = candidates[np.lexsort((candidates, -scores[candidates]))]
    return [int(d) for d in order[:limit]]


def distinctive_terms(snapshot: Snapshot, stored: dict, count: int = DISTINCTIVE_TERMS) -> list[Term]:
    """Return the article's most distinctive index terms, best first."""
    title = _term_counts([s.folded for s in syllables_of(stored.get("title") or "")])
    body = _term_counts([s.folded for s in syllables_of((stored.get("body") or "")[:SCAN_CHARS])])
    counts = title + body
    size = max(1, snapshot.live_count)
    most = max(2, MAX_SHARE * size)
    weighted = []
    # Looking a term up costs ~0.1 ms: only the title's words and the words the text repeats.
    for term in [t for t, tf in counts.items() if t in title or tf >= MIN_REPEATS]:
        tf = counts[term]
        df = _doc_frequency(snapshot, term, most)
        # df counts this article too: 1 means no other article has the word.
        if df < 2 or df > most:
            continue
        idf = math.log(1.0 + size / df)
        weight = idf * (COMPOUND_WEIGHT if COMPOUND_JOINER in term else 1.0)
        weighted.append((tf * weight, term, weight))
    weighted.sort(key=lambda item: (-item[0], item[1]))
    return [Term(term, weight) for _, term, weight in weighted[:count]]


def _doc_frequency(snapshot: Snapshot, term: str, most: float) -> int:
    """Return how many articles hold a term in their title or body (any count above most if more)."""
    known = _DF_CACHE.get(snapshot)
    if known is None or len(known) > DF_CACHE_TERMS:
        known = _DF_CACHE[snapshot] = {}
    if term not in known:
        # The body's count (a lookup, ~0.1 ms) settles the common words; a rarer word's holders
        # are read, as a title word missing from the article's own body counts the article too.
        df = snapshot.doc_frequency("body", term)
        if df <= most:
            df = len(np.union1d(snapshot.postings("title", term).ids, snapshot.postings("body", term).ids))
        known[term] = df
    return known[term]


def _term_counts(folded: list[str]) -> Counter:
    """Count the syllables and adjacent pairs worth looking up (no bare numbers, no one-letter words)."""
    words = [w if len(w) > 1 and not w.isdigit() else "" for w in folded]
    counts = Counter(w for w in words if w)
    counts.update(f"{a}{COMPOUND_JOINER}{b}" for a, b in pairwise(words) if a and b)
    return counts
