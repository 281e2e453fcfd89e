"""The second stage of a relevance page on the cluster: vnsearch's own scoring of the engine's best.

The engine matches, counts and ranks every article (the first stage).  Its best articles
(``search.cluster_backend.RERANK_DEPTH`` of a query, ``QUESTION_RERANK_DEPTH`` of a question)
come back with their stored title and body, and are scored again as the embedded index scores
its own top articles (``search.execute.relevance``: BM25F of each query syllable with length
normalisation, the bonus of syllables typed with accents, compounds, the proximity bonus of
adjacent query words), over a small in-memory index of those articles (``CandidateSnapshot``)
with the whole cluster's statistics: the number of articles, the average field lengths and each
keyword's document count (the page's ``SHOW META``).  The stored text is not segmented again
(pyvi would cost more than the search): a compound word (``chinh_tri``) the cluster holds is
counted wherever its syllables stand in a row.  The set, the counts, the facets and the other
orders stay the engine's.

The text is read as arrays of code points (no Python loop over syllables): lower case, folded
by a table from code point to letter (as ``search.text.fold``), or with canonical tone marks (as
``search.text.normalize_term``); a term's syllables are found by comparing code points.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from functools import cache, lru_cache

import numpy as np

from search.codec import Postings
from search.execute import QueryContext, idf_of, phrase_count, relevance
from search.parse import Clause, ParsedQuery
from search.ranking import Ranking
from search.text import COMPOUND_JOINER, canonical_tones, fold

# Code points with a table entry: Latin, Latin-1, Latin Extended and Vietnamese letters.
_TABLE_SIZE = 0x2000
_END = "\x00"
# The code points the per-character tables cover (a text holding others is read the general way).
_PLANE = 0x10000
_CAPITAL_SIGMA = 0x3A3


@cache
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """Return (is a syllable character, folded code point) for every code point below _TABLE_SIZE."""
    letters = np.zeros(_TABLE_SIZE, dtype=bool)
    folded = np.arange(_TABLE_SIZE, dtype=np.uint32)
    for point in range(_TABLE_SIZE):
        char = chr(point)
        letters[point] = char.isalnum()  # search.text.SYLLABLE_RE: [^\W_]+
        if point >= 0x80 and letters[point]:
            ascii_form = fold(char)
            if len(ascii_form) == 1 and ascii_form.isascii():
                folded[point] = ord(ascii_form)
    return letters, folded


@cache
def _plane_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return, for every code point of the Basic Multilingual Plane as ``str.lower()`` makes it: (is a
    syllable character, folded code point), and True where lower-casing is not one code point for one
    on its own (``İ`` makes two; a capital sigma depends on the letters around it)."""
    lowered = [chr(point).lower() for point in range(_PLANE)]
    irregular = np.array([len(lower) != 1 for lower in lowered], dtype=bool)
    irregular[_CAPITAL_SIGMA] = True
    points = np.array([ord(lower) if len(lower) == 1 else 0 for lower in lowered], dtype=np.uint32)
    letter_of, folded_of = _read_points(points)
    return letter_of, folded_of.astype(np.uint32), irregular


def _read_points(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (is a syllable character, folded code point) of each lower-case code point."""
    letters, folded_table = _tables()
    small = points < _TABLE_SIZE
    inside = np.where(small, points, 0)
    is_letter = np.where(small, letters[inside], False)
    others = np.flatnonzero(~small)
    if len(others):  # other scripts
        is_letter[others] = [chr(p).isalnum() for p in points[others]]
    return is_letter, np.where(small, folded_table[inside], points)


@lru_cache(maxsize=100_000)
def _canonical(syllable: str) -> str:
    """Return a syllable of lower-case NFC text with canonical tone marks (``canonical_tones``)."""
    return canonical_tones(syllable)


def _code_points(text: str) -> np.ndarray:
    """Return the code points of text."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _head(length, first, second):
    """Return a syllable's length and first two code points (0: none) as one number (arrays or ints)."""
    return (np.asarray(length, dtype=np.int64) << 42) | (np.asarray(first, dtype=np.int64) << 21) | second


class _Field:
    """One field of every candidate, as code points: where each syllable starts, its length, its document."""

    def __init__(self, texts: Sequence[str]):
        # Documents end with a NUL each (a character no stored text holds: it is taken out).
        text = "".join(unicodedata.normalize("NFC", t.replace(_END, "")) + _END for t in texts)
        units = np.frombuffer(text.encode("utf-16-le"), dtype=np.uint16)
        letter_of, folded_of, irregular = _plane_tables()
        if len(units) == len(text) and not irregular[units].any():
            # Every code point in the plane, each lower-cased on its own: the tables read the text
            # as str.lower() makes it, without making it (syllables are lower-cased when looked at).
            self._text, points = text, units
            is_letter, self.folded = letter_of[units], folded_of[units]
        else:  # rare: code points beyond the plane, or lower-casing that depends on the context
            self._text = text.lower()
            points = _code_points(self._text)
            is_letter, self.folded = _read_points(points)
        rises = is_letter.copy()
        rises[1:] &= ~is_letter[:-1]
        falls = is_letter.copy()
        falls[:-1] &= ~is_letter[1:]
        self.starts = np.flatnonzero(rises)
        self.syllable_lengths = np.flatnonzero(falls) + 1 - self.starts
        self.doc = np.searchsorted(np.flatnonzero(points == ord(_END)), self.starts)
        first = np.searchsorted(self.doc, np.arange(len(texts)))
        self.position = np.arange(len(self.starts)) - first[self.doc]
        self.lengths = np.bincount(self.doc, minlength=len(texts)).astype(np.float32)
        self._head_cache: np.ndarray | None = None

    @property
    def _heads(self) -> np.ndarray:
        """Return each folded syllable's length and first two code points in one number (one comparison a lookup)."""
        if self._head_cache is None:
            points = self.folded
            second = np.where(self.syllable_lengths > 1, points[np.minimum(self.starts + 1, len(points) - 1)], 0)
            self._head_cache = _head(self.syllable_lengths, points[self.starts], second)
        return self._head_cache

    def _syllables(self, term: str) -> np.ndarray:
        """Return the (ascending) numbers of the syllables whose folded code points spell term."""
        wanted = _code_points(term)
        if not len(wanted):
            return np.zeros(0, dtype=np.int64)
        second = int(wanted[1]) if len(wanted) > 1 else 0
        found = np.flatnonzero(self._heads == ((len(wanted) << 42) | (int(wanted[0]) << 21) | second))
        for offset in range(2, len(wanted)):
            found = found[self.folded[self.starts[found] + offset] == wanted[offset]]
        return found

    def _exact_syllables(self, term: str) -> np.ndarray:
        """Return the (ascending) numbers of the syllables that are term with canonical tone marks.

        Only the syllables spelt as term is once folded can be (a tone mark moves, letters stay):
        those few are put in canonical form one by one, as ``canonical_tones`` puts the whole text
        (its old-style pairs never straddle two syllables, and a syllable's end reads as its text's end).
        """
        _, folded_table = _tables()
        folded = "".join(chr(folded_table[ord(char)]) if ord(char) < _TABLE_SIZE else char for char in term)
        found = self._syllables(folded)
        if not len(found):
            return found
        text, starts, lengths = self._text, self.starts, self.syllable_lengths
        kept = [number for number in found.tolist()
                if _canonical(text[starts[number] : starts[number] + lengths[number]].lower()) == term]
        return np.array(kept, dtype=np.int64)

    def postings(self, term: str) -> Postings:
        """Return the postings of a term (folded when ASCII, else exact) in this field.

        A compound word (``chinh_tri``) stands where its syllables stand in a row: where the
        index's segmenter would most often have joined them.
        """
        lookup = self._syllables if term.isascii() else self._exact_syllables
        parts = term.split(COMPOUND_JOINER)
        hits = lookup(parts[0])
        for offset, part in enumerate(parts[1:], start=1):
            following = np.intersect1d(hits + offset, lookup(part), assume_unique=True)
            hits = following[self.doc[following] == self.doc[following - offset]] - offset
        if not len(hits):
            return Postings.empty()
        docs = self.doc[hits]  # ascending
        starts = np.flatnonzero(np.concatenate(([True], docs[1:] != docs[:-1])))
        freqs = np.diff(np.append(starts, len(docs)))
        return Postings(docs[starts].astype(np.int64), freqs.astype(np.float32), self.position[hits].astype(np.int64),
                        starts.astype(np.int64))


class CandidateSnapshot:
    """The engine's candidates as a snapshot ``search.execute.QueryContext`` can score."""

    def __init__(self, articles: Sequence[dict], average_length: dict[str, float]):
        titles = ["" if a.get("title_derived") else a.get("title") or "" for a in articles]
        self.fields = {"title": _Field(titles), "body": _Field([a.get("body") or "" for a in articles])}
        self.doc_count = len(articles)
        self.lengths = {name: field.lengths for name, field in self.fields.items()}
        self.average_length = {name: max(1.0, average_length.get(name, 1.0)) for name in self.fields}
        self._postings: dict[tuple[str, str], Postings] = {}

    def postings(self, fieldname: str, term: str) -> Postings:
        """Return a term's postings in a field of the candidates."""
        key = (fieldname, term)
        if key not in self._postings:
            self._postings[key] = self.fields[fieldname].postings(term)
        return self._postings[key]

    def doc_frequency(self, fieldname: str, term: str) -> int:
        """Return how many candidates hold a term in a field."""
        return len(self.postings(fieldname, term))


class CandidateContext(QueryContext):
    """A query context over the candidates whose IDF is the whole cluster's."""

    def __init__(self, snapshot: CandidateSnapshot, ranking: Ranking, articles: int, frequencies: dict[str, int],
                 more: Callable[[str], int] | None = None, phrases: Callable[[Clause], int] | None = None):
        super().__init__(snapshot, ranking)
        self.articles = articles
        self.frequencies = frequencies
        # The document frequency of a term the page's statistics lack (the folded syllables of a
        # query matched with its accents: its MATCH names only the exact forms).
        self.more = more
        # The articles of the cluster holding a clause's syllables in a row, folded (a reading's weight).
        self.phrases = phrases

    def postings(self, fieldname: str, term: str) -> Postings:
        """Return a term's postings among the candidates; none for a compound no article of the cluster
        holds (the index's segmenter never joined those syllables: the embedded index has no such term)."""
        if COMPOUND_JOINER in term and not self.frequencies.get(term):
            return Postings.empty()
        return super().postings(fieldname, term)

    def term_idf(self, term: str, held: int) -> float:
        """Return a term's IDF over the whole cluster (held: candidates holding it, a lower bound)."""
        known = self.frequencies.get(term)
        if known is None and self.more is not None:
            known = self.frequencies[term] = self.more(term)
        return idf_of(max(self.articles, 1), max(known or 0, held))

    def phrase_idf(self, clause: Clause) -> float:
        """Return the idf of a clause's syllables in a row over the whole cluster (the candidates holding
        them: a lower bound), as the embedded index weighs a query's readings: over the candidates alone,
        "huấn luyện viên" held by all 11 weighed its reading "HLV" a third of what the embedded index does."""
        held = phrase_count(self, clause)
        known = self.phrases(clause) if self.phrases is not None else 0
        return idf_of(max(self.articles, 1), max(known, held))


def rerank(parsed: ParsedQuery, articles: Sequence[dict], ranking: Ranking, total: int,
           frequencies: dict[str, int], average_length: dict[str, float],
           all_words: np.ndarray | None = None, more: Callable[[str], int] | None = None,
           phrases: Callable[[Clause], int] | None = None) -> np.ndarray:
    """Return vnsearch's relevance of each article (the engine's best, in its order) for a query.

    total and frequencies are the cluster's article count and {term: articles holding it}; more
    gives the count of a term frequencies lack, phrases the cluster's articles holding a clause's
    syllables in a row (folded); all_words marks the articles holding every word
    when a short query is answered from the most tier (they come first, as the embedded index
    puts them).  Each article's score depends on it and the cluster alone, not on the other
    candidates.
    """
    context = CandidateContext(CandidateSnapshot(articles, average_length), ranking, total, frequencies, more, phrases)
    return relevance(context, parsed, all_words)
