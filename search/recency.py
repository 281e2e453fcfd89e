"""Read "the latest" into a short query: "giá vàng hôm nay" wants today's price, not the best
match of any day.

A short query (``MAX_WORDS`` syllables typed at most) holding a word of time such as ``hôm nay``,
``mới nhất`` or ``gần đây`` (typed with or without accents, or read from Telex) is ranked with its
articles' freshness: each relevance score of the page's reranked articles is multiplied by
``1 - w + w * 0.5 ** (age / half_life)`` (``Ranking.recency_weight``, ``recency_half_life_days``),
age counted in days before the newest dated article among them (an archive's "today" is its newest
article, not the clock's), undated articles as old as any.  The words still match as typed, but a
word of time typed apart is no part of the words the together tier keeps close (``time_groups``):
"bóng chuyền hôm nay" is the articles holding "bóng chuyền" together and "hôm nay" anywhere; the
most tier leaves it out (``search.matching.required_groups``: "Harvard hôm nay" is about Harvard).  A
longer query (a question: "hôm nay tôi bị sốt ...") tells a story, and its time words are not an
order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from search.dates import timestamp_of
from search.text import fold, normalize_term

if TYPE_CHECKING:  # the parser joins words of time (``join_time_words``): it imports this module
    from search.parse import Clause, ParsedQuery, Syllable
    from search.ranking import Ranking

# A query of more distinct syllables typed than this is a question, not a subject and a time.
MAX_WORDS = 8
SECONDS_A_DAY = 86_400
# Words of time that ask for the newest articles (in a short query: in a question they tell a story).
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
    if ranking.recency_weight <= 0 or not is_short(parsed):
        return None
    return next((word for first, second in _adjacent_syllables(parsed)
                 if (word := _recency_pair(first, second)) is not None), None)


def is_short(parsed: ParsedQuery) -> bool:
    """Tell whether a query holds words and at most ``MAX_WORDS`` distinct syllables typed."""
    return bool(parsed.groups) and len({s.folded for s in parsed.typed.syllables}) <= MAX_WORDS


def time_groups(parsed: ParsedQuery) -> set[int]:
    """Return the numbers of the groups that are a word of time joined by ``join_time_words``."""
    return {number for number, group in enumerate(parsed.groups)
            if len(group) == 1 and _is_time_word(group[0])}


def join_time_words(groups: list[list[Clause]]) -> list[list[Clause]]:
    """Return a short query's groups with each word of time typed apart ("hôm", "nay": two groups of one
    plain syllable, not quoted, no field, no other spelling) joined into one phrase: its syllables stand
    in a row, anywhere in the article."""
    single = [len(group) == 1 and len(group[0].syllables) == 1 and not group[0].field and not group[0].phrase
              and not group[0].quoted for group in groups]
    joined, number = [], 0
    while number < len(groups):
        pair = groups[number : number + 2]
        if len(pair) == 2 and all(single[number : number + 2]) \
                and _recency_pair(_first(pair[0][0]), _first(pair[1][0])) is not None:
            syllables = [pair[0][0].syllables[0], pair[1][0].syllables[0]]
            joined.append([replace(pair[0][0], syllables=syllables, phrase=True, joined=True)])
            number += 2
            continue
        joined.append(groups[number])
        number += 1
    return joined


def _is_time_word(clause: Clause) -> bool:
    """Tell whether a clause is a word of time joined from words typed apart (``join_time_words``)."""
    return (clause.joined and clause.phrase and not clause.field and len(clause.syllables) == 2
            and _recency_pair(*clause.syllables) is not None)


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
    return np.array([timestamp_of(_published(article)) for article in articles])


def _published(article: dict) -> datetime | None:
    """Return a stored article's publication time (stored in ISO 8601), or None."""
    published = article.get("published")
    return datetime.fromisoformat(published) if published else None
