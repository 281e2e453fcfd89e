"""Suggestions: "did you mean" (accents restored, typos corrected) and autocomplete.

Accents are restored from the index's own text: the top documents for an unaccented query
hold the words it matched, with their accents; the spelling most often found (counting
double where neighbouring query words match side by side) is the suggestion, so
``ha noi cam xe xang`` becomes ``hà nội cấm xe xăng``.  Typos are corrected towards a syllable
one edit away that the index holds far more often.
"""

from __future__ import annotations

import itertools
import string
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable

from search.backend import StoredArticle, TermStatistics
from search.highlight import HighlightSpec, compile_spec
from search.parse import ParsedQuery, Syllable, parse_query
from search.ranking import DEFAULT_RANKING, Ranking
from search.text import TONE_MARKS, VOWELS, fold, normalize_term

# A neighbour must be this many times more frequent than the typed syllable to replace it.
TYPO_RATIO = 20
TYPO_MIN_DF = 5
# A typo's neighbour counts this many times the documents of each word it forms with the
# next or previous query syllable.
COMPOUND_WEIGHT = 20
_ALPHABET = string.ascii_lowercase + string.digits
_VIETNAMESE_ALPHABET = _ALPHABET + "đ" + "".join(
    unicodedata.normalize("NFC", vowel + tone) for vowel in VOWELS for tone in TONE_MARKS
) + "ăâêôơư"


def did_you_mean(statistics: TermStatistics, parsed: ParsedQuery, documents: list[StoredArticle], total: int,
                 ranking: Ranking = DEFAULT_RANKING) -> str | None:
    """Return a better query (accents restored, typos fixed) when there is one, else None.

    documents are the top articles the query found (total in all), in order.
    """
    syllables = parsed.syllables
    if not syllables or parsed.excluded or any(c.field for c in parsed.clauses):
        return None
    corrections = _typo_corrections(statistics, syllables, total, ranking)
    text = _replace(parsed.text, corrections) if corrections else parsed.text
    if corrections:
        documents = statistics.top_documents(text)
    if not parsed.accented:
        corrected = parse_query(text)
        restored = _restore_accents(corrected.syllables, documents)
        text = _replace(text, restored)
    return text if text != parsed.text else None


def _replace(text: str, replacements: dict[Syllable, str]) -> str:
    """Return text with the given syllables (by offset) replaced, keeping initial capitals."""
    out, cursor = [], 0
    for syllable in sorted(replacements, key=lambda s: s.start):
        if syllable.start < cursor or syllable.start < 0:
            continue
        word = replacements[syllable]
        if syllable.raw[:1].isupper():
            word = word[:1].upper() + word[1:]
        out.append(text[cursor : syllable.start] + word)
        cursor = syllable.end
    return "".join(out) + text[cursor:]


def _restore_accents(syllables: list[Syllable], documents: list[StoredArticle]) -> dict[Syllable, str]:
    """Return the most likely accented form of each unaccented syllable, read from documents."""
    wanted = [s for s in syllables if not s.accented]
    pattern = compile_spec(HighlightSpec(words=tuple(s.folded for s in wanted)))
    if pattern is None:
        return {}
    order = [s.folded for s in syllables]
    pairs = set(itertools.pairwise(order))
    in_context: dict[str, Counter] = defaultdict(Counter)
    alone: dict[str, Counter] = defaultdict(Counter)
    for document in documents:
        for text in (document.get("title") or "", document.get("body") or ""):
            _vote(text, pattern, pairs, in_context, alone)
    chosen = {}
    for syllable in wanted:
        # A spelling seen next to the query's neighbouring word beats any seen alone:
        # "chỉ thị" decides "thi" even where "thi" (exam) is more frequent on its own.
        votes = in_context[syllable.folded] or alone[syllable.folded]
        if votes:
            form = votes.most_common(1)[0][0]
            if form != syllable.exact:
                chosen[syllable] = form
    return chosen


def _vote(text: str, pattern, pairs: set[tuple[str, str]], in_context: dict, alone: dict) -> None:
    """Count the spellings of matched words in text, apart for words matched side by side."""
    previous = None
    for match in pattern.finditer(text):
        form = normalize_term(match.group())
        folded = fold(form)
        alone[folded][form] += 1
        if previous and text[previous[2] : match.start()].isspace() and (previous[0], folded) in pairs:
            in_context[previous[0]][previous[1]] += 1
            in_context[folded][form] += 1
        previous = (folded, form, match.end())


def _typo_corrections(statistics: TermStatistics, syllables: list[Syllable], total: int,
                      ranking: Ranking) -> dict[Syllable, str]:
    """Return a correction for each syllable that is rare while a close spelling is frequent."""
    corrections = {}
    frequency = _frequencies(statistics)  # one cache for the query: typos share neighbours
    for index, syllable in enumerate(syllables):
        term = syllable.folded
        df = statistics.doc_frequency(term, "body") + statistics.doc_frequency(term, "title")
        if df and (df >= TYPO_MIN_DF or total >= ranking.typo_trusted_total):
            continue
        if not term.isalpha() or len(term) < 2:
            continue
        before = syllables[index - 1].folded if index else None
        after = syllables[index + 1].folded if index + 1 < len(syllables) else None
        best = _best_neighbour(frequency, syllable, before, after)
        if best and best[1] >= max(TYPO_MIN_DF, TYPO_RATIO * (df + 1)):
            corrections[syllable] = best[0]
    return corrections


def _best_neighbour(frequency: Callable[[str], int], syllable: Syllable, before: str | None,
                    after: str | None) -> tuple[str, float] | None:
    """Return the likeliest spelling one edit away, and its weight (frequency, and more when it
    makes a word the index knows with a neighbouring query syllable, as "giáo dục")."""
    word, alphabet = (syllable.exact, _VIETNAMESE_ALPHABET) if syllable.accented else (syllable.folded, _ALPHABET)
    best = None
    for candidate in _edits(word, alphabet):
        df = frequency(candidate)
        if not df:
            continue
        folded = fold(candidate)
        compounds = (frequency(f"{before}_{folded}") if before else 0) + (
            frequency(f"{folded}_{after}") if after else 0)
        weight = df + COMPOUND_WEIGHT * compounds
        if best is None or (weight, candidate) > (best[1], best[0]):
            best = (candidate, weight)
    return best


def _edits(word: str, alphabet: str = _ALPHABET) -> set[str]:
    """Return every string one deletion, swap, replacement or insertion away from word."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in alphabet]
    inserts = [a + c + b for a, b in splits for c in alphabet]
    return set(deletes + swaps + replaces + inserts) - {word}


def _frequencies(statistics: TermStatistics) -> Callable[[str], int]:
    """Return a function giving a term's document frequency in bodies (a hash lookup each)."""
    cache: dict[str, int] = {}

    def frequency(term: str) -> int:
        if term not in cache:
            cache[term] = statistics.doc_frequency(term, "body")
        return cache[term]

    return frequency
