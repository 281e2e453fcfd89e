"""Vietnamese text analysis: normalisation, syllable tokens, folding and word segmentation.

The pipeline that indexes a text field is::

    SyllableTokenizer() | NormalizeFilter() | CompoundFilter() | FoldFilter()

* ``SyllableTokenizer`` splits NFC text into syllables (runs of letters and digits) with
  positions and character offsets into the text it was given, so highlighting can mark the
  original accented words.  At index time it asks pyvi which syllables form one word.
* ``NormalizeFilter`` lower-cases and moves the tone mark to the vowel the "new style"
  convention picks (``hòa`` -> ``hoà``, ``thủy`` -> ``thuỷ``, ``khỏe`` -> ``khoẻ``), so both
  spellings are one term.
* ``CompoundFilter`` adds a term for every multi-syllable word (``chính_trị``) at the
  position of its first syllable.
* ``FoldFilter`` adds the accent-free form of every term (``chinh_tri``, ``đ`` -> ``d``)
  at the same position and offsets, so one field answers queries typed with or without
  diacritics.
* ``NumeralFilter`` adds a number written with separators as one term (``21/8/2020``,
  ``3.500.000``, ``1,5``) at its first syllable's position, with the dates it holds
  (``21/8``, ``8/2020``): the syllables alone cannot tell "21/8" from "21,8", nor "500.000"
  from the end of "3.500.000".

The classes are pickled into the index schema by Whoosh: keep them here and keep their names.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import defaultdict
from functools import cache, lru_cache

from unidecode import unidecode
from whoosh.analysis import CompositeAnalyzer, Filter, Token, Tokenizer

# Tone marks as combining characters: huyền, sắc, ngã, hỏi, nặng.
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
VOWELS = "aăâeêioôơuưy"
# Vowels carrying a quality mark (breve, circumflex, horn) take the tone when present.
MARKED_VOWELS = "ăâêôơư"
# Open two-vowel rhymes whose tone sits on the second vowel in the new style.
SECOND_VOWEL_RHYMES = ("oa", "oe", "uy")
COMPOUND_JOINER = "_"
# Words of up to this many syllables get a compound term in the index (the query looks up
# fewer: ``Ranking.query_compound_syllables``).
MAX_COMPOUND_SYLLABLES = 5

SYLLABLE_RE = re.compile(r"[^\W_]+")
# Old-style tone placement in an open oa / oe / uy rhyme ("hòa", "khỏe", "thủy"): the only
# spelling difference common in real text, fixed before pyvi (whose lexicon is new style).
_OLD_STYLE_RE = re.compile(r"[òóỏõọÒÓỎÕỌ][aeAE]|[ùúủũụÙÚỦŨỤ][yY]")
_LETTER_AFTER_RE = re.compile(r"[^\W\d_]")
_NON_ALNUM_ASCII_RE = re.compile(r"[^0-9a-z_]+")
# A number written with separators between its digit groups, not inside a word: a date
# ("21/8/2020"), a number in thousands ("3.500.000"), a decimal ("1,5"), a time ("10:30").  A
# hyphen is no separator here: articles write ranges with it ("4-5"), readers type it loosely.
NUMERAL_SEPARATORS = ".,:/"
NUMERAL_RE = re.compile(rf"(?<![^\W_])[0-9]+(?:[{re.escape(NUMERAL_SEPARATORS)}][0-9]+)+")
# A number of more slash-separated parts than this is indexed whole and by neighbouring pairs.
MAX_NUMERAL_PARTS = 4


def nfc(text: str) -> str:
    """Return text in Unicode normal form C."""
    return unicodedata.normalize("NFC", text)


def _vowel_cluster(lower: str, index: int) -> tuple[int, int]:
    """Return the bounds of the run of vowels around position index of a toneless word."""
    start = index
    while start > 0 and lower[start - 1] in VOWELS:
        start -= 1
    end = index + 1
    while end < len(lower) and lower[end] in VOWELS:
        end += 1
    # In "qu" and "gi" onsets the u / i belong to the consonant, not the rhyme.
    if start == 1 and end - start > 1 and lower[:2] in ("qu", "gi"):
        start = 2
    return start, end


def _tone_slot(cluster: str, closed: bool) -> int:
    """Return the index in a vowel cluster that carries the tone in the new style."""
    marked = [i for i, ch in enumerate(cluster) if ch in MARKED_VOWELS]
    if marked:
        return marked[-1]
    if len(cluster) == 1:
        return 0
    if closed:
        return len(cluster) - 1
    if len(cluster) == 2:
        return 1 if cluster in SECOND_VOWEL_RHYMES else 0
    return 1


@lru_cache(maxsize=300_000)
def canonical_tone(word: str) -> str:
    """Return word (NFC) with its tone mark on the vowel the new-style convention picks."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in TONE_MARKS]
    if len(tones) != 1:
        return nfc(word)
    marked_at = decomposed.index(tones[0])
    bare = nfc(decomposed[:marked_at] + decomposed[marked_at + 1 :])
    # The toned letter is the one the mark followed; find it in the toneless NFC word.
    letter_index = len(nfc(decomposed[:marked_at])) - 1
    lower = bare.lower()
    if letter_index < 0 or lower[letter_index] not in VOWELS:
        return nfc(word)
    start, end = _vowel_cluster(lower, letter_index)
    slot = start + _tone_slot(lower[start:end], closed=end < len(lower))
    return bare[:slot] + nfc(bare[slot] + tones[0]) + bare[slot + 1 :]


def canonical_tones(text: str) -> str:
    """Return NFC text with old-style tone marks of open rhymes moved to new style; lengths are kept."""
    text = nfc(text)

    def new_style(match: re.Match) -> str:
        end = match.end()
        if end < len(text) and _LETTER_AFTER_RE.match(text, end):
            return match.group()  # a closed syllable ("hoàng"): both styles agree
        return canonical_tone(match.group())

    return _OLD_STYLE_RE.sub(new_style, text)


@lru_cache(maxsize=300_000)
def fold(term: str) -> str:
    """Return term without diacritics, lower-cased ASCII (đ -> d).

    Other scripts are transliterated by unidecode (``Москва`` -> ``moskva``); text it cannot
    transliterate is kept, lower-cased.
    """
    if term.isascii():
        return term.lower()
    folded = _NON_ALNUM_ASCII_RE.sub("", unidecode(term).lower())
    return folded or term.lower()


@lru_cache(maxsize=300_000)
def normalize_term(term: str) -> str:
    """Return the exact (accented) index form of one syllable: lower case, canonical tone."""
    return canonical_tone(term.lower())


@cache
def pyvi_tokenizer():
    """Load pyvi's tokenizer once per process, leaving no temporary file behind."""
    from pyvi import ViTokenizer  # imported late: loading pyvi's model takes a second

    # Unpickling pyvi's CRF writes the model to a new /tmp/model*.crfsuite that nothing ever
    # deletes (600 KB per process: a cron reindex would fill /tmp).  Open the tagger, which
    # reads the whole file, then remove the file.
    model = ViTokenizer.ViTokenizer.model
    modelfile = getattr(model, "modelfile", None)  # sklearn-crfsuite's FileResource
    if getattr(modelfile, "auto", False):
        model.tagger_  # noqa: B018  (opening the tagger is the point)
        modelfile.cleanup()
    return ViTokenizer


def pyvi_joins(text: str) -> list[bool]:
    """Return, per syllable of text, whether pyvi joins it to the previous syllable as one word."""
    # pyvi's lexicon uses new-style tones; canonical tones keep lengths and syllable runs.
    segmented = pyvi_tokenizer().tokenize(canonical_tones(text))
    # pyvi's output is the text's tokens joined by " " or "_", so the k-th syllable run of
    # the output is the k-th syllable run of the text; the separators tell the words.
    separators = SYLLABLE_RE.split(segmented)[1:-1]
    return [False] + [COMPOUND_JOINER in sep and " " not in sep for sep in separators]


class SyllableTokenizer(Tokenizer):
    """Split NFC text into syllables; at index time mark which ones pyvi joins into words."""

    def __init__(self, segment: bool = True):
        self.segment = segment

    def __eq__(self, other):
        return self.__class__ is other.__class__ and self.segment == other.segment

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        joins = pyvi_joins(value) if self.segment and mode == "index" else []
        matches = list(SYLLABLE_RE.finditer(value))
        numerals_at = defaultdict(list)
        for start, numeral in numeral_terms(value):
            numerals_at[start].append(numeral)
        if len(joins) != len(matches):
            joins = [False] * len(matches)  # pyvi saw other syllables: index without compounds
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        for index, match in enumerate(matches):
            token.text = match.group()
            token.joined = joins[index]
            token.numerals = numerals_at.get(match.start(), ())
            if keeporiginal:
                token.original = token.text
            token.pos = start_pos + index
            token.startchar = start_char + match.start()
            token.endchar = start_char + match.end()
            yield token


class NormalizeFilter(Filter):
    """Lower-case each syllable and put its tone mark on the canonical vowel (one cached lookup)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = normalize_term(token.text)
            yield token


class CompoundFilter(Filter):
    """After each multi-syllable word, add its joined form at its first syllable's position."""

    def __call__(self, tokens):
        compound = Token(positions=True, chars=True, boost=1.0)
        word: list[str] = []
        for token in tokens:
            if token.joined:
                word.append(token.text)
                compound.endchar = token.endchar
            else:
                if 1 < len(word) <= MAX_COMPOUND_SYLLABLES:
                    yield _word_token(compound, word)
                word = [token.text]
                compound.pos, compound.startchar = token.pos, token.startchar
            yield token
        if 1 < len(word) <= MAX_COMPOUND_SYLLABLES:
            yield _word_token(compound, word)


def _word_token(compound: Token, word: list[str]) -> Token:
    """Give the compound token (holding its first syllable's place) the whole word's text."""
    compound.text = COMPOUND_JOINER.join(word)
    return compound


class FoldFilter(Filter):
    """Pass each token on, then its accent-free form when that differs.

    With ``exact_compounds=False`` a compound word keeps only its folded form: exact compound
    terms would cost a sixth of all postings, and the exact syllables already rank accents.
    """

    def __init__(self, exact_compounds: bool = False):
        self.exact_compounds = exact_compounds

    def __call__(self, tokens):
        keep_compounds = self.exact_compounds
        for token in tokens:
            folded = fold(token.text)
            if folded == token.text:
                yield token
                continue
            if keep_compounds or COMPOUND_JOINER not in token.text:
                yield token
            token.text = folded
            yield token


def numeral_terms(text: str) -> list[tuple[int, str]]:
    """Return (character offset, term) of each number written with separators in text and its parts.

    A number's slash-separated parts are its date's parts, so every run of them is a term
    ("21/8/2020": "21/8", "8/2020" and the whole); dots, commas and colons bind a part's digits
    into one number ("3.500.000" has no term "500.000").
    """
    terms = []
    for match in NUMERAL_RE.finditer(text):
        parts = match.group().split("/")
        starts = list(itertools.accumulate((len(part) + 1 for part in parts[:-1]), initial=match.start()))
        for first, last in _numeral_spans(parts):
            terms.append((starts[first], "/".join(parts[first : last + 1])))
    return terms


def _numeral_spans(parts: list[str]) -> list[tuple[int, int]]:
    """Return the (first, last) part indexes of a number's terms: runs of parts, and a part of its own
    when it holds a separator."""
    count = len(parts)
    longest = count if count <= MAX_NUMERAL_PARTS else 2
    spans = [(first, first + size - 1) for size in range(2, longest + 1) for first in range(count - size + 1)]
    if count > longest:
        spans.append((0, count - 1))
    return spans + [(index, index) for index, part in enumerate(parts) if not part.isdigit()]


def is_numeral(term: str) -> bool:
    """Tell whether an index term is a number written with separators (no syllable holds one)."""
    return not term.isalnum() and any(separator in term for separator in NUMERAL_SEPARATORS)


class NumeralFilter(Filter):
    """After the syllable a number written with separators begins at, add the number's terms there."""

    def __call__(self, tokens):
        for token in tokens:
            yield token
            numerals, token.numerals = getattr(token, "numerals", ()), ()
            for numeral in numerals:
                token.text, token.endchar = numeral, token.startchar + len(numeral)
                yield token


class VietnameseAnalyzer(CompositeAnalyzer):
    """The index pipeline, with a fast path that groups its terms by position for indexing.

    Run as a pipeline it yields Token objects like any Whoosh analyzer.  ``term_positions``
    computes the same terms and positions in one loop over cached per-syllable forms: the
    generator stack costs more than pyvi itself at index time.  Tests hold the two equal.
    """

    def __init__(self):
        super().__init__(SyllableTokenizer(), NormalizeFilter(), CompoundFilter(), FoldFilter(), NumeralFilter())

    def term_positions(self, text: str, mode: str = "index") -> dict[str, list[int]]:
        """Return {term: positions} for text, as running the pipeline would give them."""
        syllables = SYLLABLE_RE.findall(text)
        joins = pyvi_joins(text) if mode == "index" else []
        if len(joins) != len(syllables):
            joins = [False] * len(syllables)
        positions: dict[str, list[int]] = defaultdict(list)
        word: list[str] = []
        start = 0
        for index, (syllable, joined) in enumerate(zip(syllables, joins)):
            exact, folded = term_forms(syllable)
            if exact != folded:
                positions[exact].append(index)
            positions[folded].append(index)
            if joined:
                word.append(folded)
                continue
            if 1 < len(word) <= MAX_COMPOUND_SYLLABLES:
                positions[COMPOUND_JOINER.join(word)].append(start)
            word, start = [folded], index
        if 1 < len(word) <= MAX_COMPOUND_SYLLABLES:
            positions[COMPOUND_JOINER.join(word)].append(start)
        _add_numerals(text, positions)
        return positions


def _add_numerals(text: str, positions: dict[str, list[int]]) -> None:
    """Add the terms of the numbers written with separators in text at their first syllables' positions."""
    numerals = numeral_terms(text)
    if not numerals:
        return
    index_at = {match.start(): index for index, match in enumerate(SYLLABLE_RE.finditer(text))}
    for start, numeral in numerals:
        positions[numeral].append(index_at[start])


_TERM_FORMS: dict[str, tuple[str, str]] = {}


def term_forms(syllable: str) -> tuple[str, str]:
    """Return the (exact, folded) index terms of one raw syllable, cached."""
    forms = _TERM_FORMS.get(syllable)
    if forms is None:
        exact = normalize_term(syllable)
        forms = _TERM_FORMS[syllable] = (exact, fold(exact))
    return forms


def index_analyzer() -> VietnameseAnalyzer:
    """Return the analyzer that indexes title and body text."""
    return VietnameseAnalyzer()
