"""Read "the latest" into a short query: "giá vàng hôm nay" wants today's price, not the best
match of any day.

A short query (``Ranking.recency_max_words`` words at most) holding a word of time such as
``hôm nay``, ``mới nhất`` or ``gần đây`` (typed with or without accents, or read from Telex) is
ranked with its articles' freshness: each relevance score of the page's reranked articles is
multiplied by ``1 - w + w * 0.5 ** (age / half_life)``, age counted in days before the newest
dated article among them (an archive's "today" is its newest article, not the clock's), undated
articles as old as any.  The words still match as typed: the result set, its total and its facets
are the same; only the relevance order changes.  A longer query (a question: "hôm nay tôi bị
sốt ...") tells a story, and its time words are not an order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np

from search.matching import word_count
from search.parse import Clause, ParsedQuery, Syllable
from search.ranking import Ranking
from search.text import fold, normalize_term

SECONDS_A_DAY = 86_400
# Words of time that ask for the newest articles.  Not "năm nay" or "hiện nay" alone in a
# question: those are sorted out by the query's length.
RECENCY_WORDS = (
    "hôm nay", "hôm qua", "mới nhất", "gần đây", "mới đây", "hiện nay", "năm nay", "tuần này",
    "tháng này", "sáng nay", "trưa nay", "chiều nay", "tối nay", "đêm nay", "đêm qua",
)
_RECENCY_PAIRS = {tuple(normalize_term(s) for s in words.split()): words for words in RECENCY_WORDS}


def wants_recent(parsed: ParsedQuery, ranking: Ranking) -> bool:
    """Tell whether a query asks for the newest articles: a short query with a word of time."""
    return recency_word(parsed, ranking) is not None


def recency_word(parsed: ParsedQuery, ranking: Ranking) -> str | None:
    """Return the first word of time of a short query (as ``RECENCY_WORDS`` spells it), or None."""
    if ranking.recency_weight <= 0 or not parsed.groups or word_count(parsed) > ranking.recency_max_words:
        return None
    return next((word for first, second in _adjacent_syllables(parsed)
                 if (word := _recency_pair(first, second)) is not None), None)


def _adjacent_syllables(parsed: ParsedQuery) -> list[tuple[Syllable, Syllable]]:
    """Return every pair of syllables typed (or read) side by side: within a clause, and from the end
    of a group's clause to the start of the next group's."""
    pairs = [pair for clause in parsed.clauses for pair in zip(clause.syllables, clause.syllables[1:])]
    for group, following in zip(parsed.groups, parsed.groups[1:]):
        pairs += [(_last(clause), _first(after)) for clause in group for after in following]
    return pairs


def _last(clause: Clause) -> Syllable:
    """Return a clause's last syllable."""
    return clause.syllables[-1]


def _first(clause: Clause) -> Syllable:
    """Return a clause's first syllable."""
    return clause.syllables[0]


def _recency_pair(first: Syllable, second: Syllable) -> str | None:
    """Return the word of time two syllables spell (accents as typed, any accents when typed without), or None."""
    return next((words for (word, after), words in _RECENCY_PAIRS.items()
                 if _spells(first, word) and _spells(second, after)), None)


def _spells(syllable: Syllable, exact: str) -> bool:
    """Tell whether a query syllable is a word's syllable: its exact form when typed with accents."""
    return syllable.exact == exact if syllable.accented else syllable.folded == fold(exact)


def freshness(stamps: np.ndarray, ranking: Ranking) -> np.ndarray:
    """Return each article's factor of freshness from its publication time (seconds; 0 undated)."""
    dated = stamps > 0
    if not dated.any():
        return np.ones(len(stamps))
    age_days = (stamps[dated].max() - stamps) / SECONDS_A_DAY
    decay = np.where(dated, 0.5 ** (age_days / ranking.recency_half_life_days), 0.0)
    return 1 - ranking.recency_weight + ranking.recency_weight * decay


def stamps_of(articles: Sequence[dict]) -> np.ndarray:
    """Return the publication times (seconds; 0 undated) of stored articles, as the index keeps them."""
    return np.array([_stamp(article.get("published")) for article in articles], dtype=np.int64)


def _stamp(published: str | None) -> int:
    """Return the index's timestamp of an ISO 8601 publication time (0 when there is none)."""
    return max(1, int(datetime.fromisoformat(published).timestamp())) if published else 0
