"""Query understanding: rewrite the words of a parsed query into what to search, before matching.

Between the parser and matching, each positive clause of the query goes through six rules, the
first five decided by the index's own statistics (so a word the articles use is never rewritten):

1. **Telex and VNI.** A word that is not a Vietnamese syllable but decodes to one
   (``Vieetj`` -> ``Việt``, ``no65i`` -> ``nội``, see ``search.telex``) is searched as the decoded
   syllable, typed with accents, when the index holds that syllable and not the word typed
   (its d read as đ when the index writes the syllable only with đ: ``doongf`` -> ``đồng``; also
   searched with đ when it writes both and the query types đ nowhere: ``dooij`` -> ``dội``, ``đội``).
   Once one word is Telex beyond doubt, the query's other words that decode are also searched
   as their syllables (alternatives) when the index holds those far more often (``soong``).
   A query typed all in capitals (caps lock on) is read the same: ``HAF NOOIJ`` -> ``HÀ NỘI``.
   A word the index lacks typed with a letter held down (``nộiii``) is read without the repeats.
   A syllable spelled with i where the press writes y, or the other way round (``kĩ`` / ``kỹ``,
   ``lí`` / ``lý``, ``Mĩ`` / ``Mỹ``, ``qui`` / ``quy``), is also searched as the spelling the index
   holds more often, its accents as typed.
2. **Numbers and references.** A word with inner punctuation (``TP.HCM``, ``05-CT/TW``,
   ``100/2019/NĐ-CP``, ``21/8/2019``) is searched as a phrase; a number is also searched with
   and without thousands separators (``1000`` = ``1.000``) and leading zeros (``05`` = ``5``); an
   amount in shorthand as the articles write it out (``500k`` = "500 nghìn", "500.000"); a date said
   in words as the articles write it (``30 tháng 4`` = ``30/4``).
3. **Run-together words.** A word the index barely knows that splits into syllables it knows
   well (``hanoi`` -> ``ha noi``, ``covid19`` -> ``covid 19``) is also searched split, as a phrase.
4. **Abbreviations.** A form of the abbreviation dictionary (``UBND``, ``ủy ban nhân dân``)
   is also searched as every other form of its entry.
5. **Words typed apart.** Two words the index holds far more often joined than in a row
   (``chat gpt`` -> ``chatgpt``, ``face book`` -> ``facebook``) are also searched joined.
6. **Words of time.** In a short query, a word of time typed apart (``hôm nay``, ``mới nhất``:
   ``search.recency``) is one phrase, which the together tier lets stand anywhere.

Alternatives are added as clauses of the same group (any one may match) marked
``alternative``: ranking pairs and compounds only from the words as understood.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from search.abbreviations import MAX_FORM_SYLLABLES, Abbreviations, form_key
from search.backend import TermStatistics
from search.matching import is_question
from search.parse import Clause, ParsedQuery, Syllable, syllables_of
from search.recency import is_short, join_time_words
from search.spelling import edits
from search.telex import decode, is_folded_syllable, is_syllable, split_tone
from search.text import COMPOUND_JOINER, MAX_COMPOUND_SYLLABLES, fold, nfc

# A split word's pieces must be this many times more frequent in the index than the word typed.
REWRITE_RATIO = 20
# Pieces of a split word must each be in at least this many titles.
SPLIT_MIN_DF = 3
# Two words typed apart are also searched as the word they make when at least this many times as many
# articles hold that word as those whose segmenter joined the two as one word of their own ("ti vi": 18
# news articles write "tivi", one "ti vi"; "vi vo": 29 "Vivo", 2 "vì vợ" joined).  Typed apart
# (``bench_apart.py``, seeds 11 / 12 / 13 / 14 of 1,500), MRR@10 at 20: 0.880 / 0.881 / 0.923 / 0.903;
# 15: 0.885 / 0.881 / 0.926 / 0.903; 10: 0.888 / 0.885 / 0.926 / 0.904, where one unaccented title
# fragment of 1,500 had "vi vo" joined ("chuyện vì vợ Trấn Thành"), none at 15 or 20.
JOIN_RATIO = 15
# Pairs of words typed apart whose joined word the index holds, checked a query ("face book": Facebook).
MAX_JOIN_COUNTS = 4
# A code typed apart from its number ("u 23": U23) has at most this many letters.
MAX_CODE_LETTERS = 3
MIN_SPLIT_CHARS = 4
# Words the index holds that the title syllables cannot split, split by the syllables of every field
# (``_rare_word_split``): at most this long, and this many a query.
MAX_RARE_SPLIT_CHARS = 16
MAX_RARE_SPLITS = 4
# A word no article holds, whose syllables no article writes in a row, one edit away from a word this
# many articles hold is that word mistyped, not words run together (as ``suggest.TYPO_MIN_DF``).
TYPO_NEIGHBOUR_DF = 5
MAX_PIECE_CHARS = 8
# A word no article holds may be words of another language run together ("realmadrid"): their
# pieces are at most this long ("manchester").
MAX_WORD_PIECE_CHARS = 12
# Of its splits into such words, the likeliest this many are asked whether some article holds them in a row.
HELD_SPLITS_ASKED = 3
# What each extra piece costs a split, in log frequency: fewer, longer syllables win.
PIECE_COST = 8.0
# Kinds of legal documents, folded: a number after one is a document number ("Chỉ thị 05").
DOCUMENT_TYPES = frozenset({
    "chi thi", "nghi dinh", "quyet dinh", "thong tu", "nghi quyet", "cong van", "ket luan", "quy dinh",
    "huong dan", "thong bao", "to trinh", "ke hoach", "phap lenh", "luat", "dieu",
})
_LETTERS_DIGITS_RE = re.compile(r"[^\W\d_]+|\d+")
# The kind of a document its number's code names, folded code -> the kind as articles write it
# ("05-CT/TW": chỉ thị, "15/2021/QĐ-TTg": quyết định, "08-QĐi/TW": the Party's quy định).
DOCUMENT_CODES = {
    "nq": "nghị quyết", "nd": "nghị định", "qd": "quyết định", "ct": "chỉ thị", "tt": "thông tư",
    "kl": "kết luận", "cv": "công văn", "hd": "hướng dẫn", "tb": "thông báo", "kh": "kế hoạch",
    "qdi": "quy định",
}
# The Party's central bodies in a document's number, each way of writing them -> the other.
CENTRAL = {"tw": "tư", "tư": "tw"}
# Onsets after which an open rhyme is spelled i or y alike (``kĩ``/``kỹ``, ``tỉ``/``tỷ``, ``quí``/``quý``):
# on 6,000 news articles both spellings of these are written, after any other onset one alone (``vi``
# and ``Vy`` are two words).
I_Y_ONSETS = frozenset({"h", "k", "l", "m", "s", "t", "qu"})
_I_Y_SWAP = str.maketrans("iyIY", "yiYI")


class Vocabulary:
    """The term statistics the rules read: document frequencies and the title syllables.

    Wraps a backend's ``TermStatistics``; the title syllables become a dict once per index
    view (the backend builds their list when it opens the index), never per query.
    """

    def __init__(self, statistics: TermStatistics):
        self.statistics = statistics
        self.syllables = _syllable_map(statistics.title_syllables())
        self._frequencies: dict[str, int] = {}

    def frequency(self, term: str) -> int:
        """Return how many documents hold term in their title or body (cached for the query)."""
        if term not in self._frequencies:
            self._frequencies[term] = self.statistics.doc_frequency(term, "body") + self.statistics.doc_frequency(
                term, "title")
        return self._frequencies[term]

    def phrase_frequency(self, terms: list[str], most: int | None = None) -> int:
        """Return how many documents hold the folded terms in a row in their title or body; with most, any
        number above most when it is above most, else any from it up to most (a backend whose counts are
        searches may stop there, or answer with a bound it reads cheaper)."""
        return self.statistics.phrase_frequency(terms, most)

    def prefetch_phrases(self, asked: Iterable[tuple[list[str], int]]) -> None:
        """Let a backend whose counts are round trips count runs of terms (each with its bound, as
        ``phrase_frequency``) together."""
        prefetch = getattr(self.statistics, "prefetch_phrases", None)
        if prefetch is not None:
            prefetch(asked)

    def prefetch(self, terms: Iterable[str]) -> None:
        """Let a backend whose lookups are round trips read the frequencies of terms together."""
        prefetch = getattr(self.statistics, "prefetch", None)
        if prefetch is not None:
            prefetch(terms)


# The dicts of the last few title-syllable lists seen, by identity (the list is kept alive).
_SYLLABLE_MAPS: dict[int, tuple[list, dict[str, int]]] = {}
_MAX_SYLLABLE_MAPS = 4
_MAPS_LOCK = threading.Lock()


def _syllable_map(syllables: list[tuple[str, int]]) -> dict[str, int]:
    """Return {folded title syllable: titles holding it} for a backend's list, built once per list."""
    cached = _SYLLABLE_MAPS.get(id(syllables))
    if cached is not None and cached[0] is syllables:
        return cached[1]
    mapping = dict(syllables)
    with _MAPS_LOCK:
        while len(_SYLLABLE_MAPS) >= _MAX_SYLLABLE_MAPS:
            _SYLLABLE_MAPS.pop(next(iter(_SYLLABLE_MAPS)))
        _SYLLABLE_MAPS[id(syllables)] = (syllables, mapping)
    return mapping


@dataclass
class Understood:
    """A query as understood: what to search, what to tell the reader, and the words rewritten."""

    parsed: ParsedQuery
    # The query as parsed, before understanding.
    original: ParsedQuery | None = None
    notices: list[str] = field(default_factory=list)
    # Typed syllable -> the text it was read as (a decoded or split form), for "did you mean".
    rewrites: dict[Syllable, str] = field(default_factory=dict)
    decoded: bool = False
    # A decoded Telex/VNI syllable with d -> the same with đ, also searched (``_crossed_alternatives``).
    crossed: dict[str, str] = field(default_factory=dict)
    # Words the rare-word split looked up (``_rare_word_split``), bounded a query.
    rare_splits: int = 0
    # The query is typed all in capitals (caps lock on): a word in capitals may be Telex or VNI keys.
    capitals: bool = False
    # A syllable as typed -> its other spelling of i / y, also searched (``_spelling_alternatives``).
    spellings: dict[str, str] = field(default_factory=dict)
    # A word typed with a letter held down -> the word searched (``_unstretched``).
    stretched: dict[str, str] = field(default_factory=dict)

    def rewritten_text(self) -> str:
        """Return the query as typed with its Telex/VNI words decoded and run-together words split."""
        return rewrite_text(self.parsed.text, self.rewrites)


def also_searched(forms: list[str], typed: str) -> str:
    """Return the notice of other forms searched for words as typed ("Tìm cả “X”, “Y” cho “z”.")."""
    return f"Tìm cả {', '.join(f'“{form}”' for form in forms)} cho “{typed}”."


def rewrite_text(text: str, replacements: dict[Syllable, str]) -> str:
    """Return text with the given syllables of it replaced wherever they stand, keeping initial capitals.

    Syllables are equal whatever their offsets, so a word written twice is one key of replacements:
    each of its places in text is replaced (restoring "toi co toi" gave "tôi có toi").
    """
    placed = {syllable for syllable in replacements if syllable.start >= 0}
    return rewrite_places(text, [(s, replacements[s]) for s in syllables_of(text) if s in placed])


def rewrite_places(text: str, replacements: list[tuple[Syllable, str]]) -> str:
    """Return text with each given syllable of it (by its offsets in text) replaced by its word, keeping
    initial capitals (a word typed all in capitals in capitals); a syllable without offsets, or starting
    inside one replaced before it, is left out."""
    out, cursor = [], 0
    for syllable, word in sorted((r for r in replacements if r[0].start >= 0), key=lambda r: r[0].start):
        if syllable.start < cursor:
            continue
        if len(syllable.raw) > 1 and syllable.raw.isupper():
            word = word.upper()  # typed all in capitals ("HANOI", "GIAS XAWNG"): kept so
        elif syllable.raw[:1].isupper():
            word = word[:1].upper() + word[1:]
        before = text[cursor : syllable.start]
        # An empty replacement is a word joined to the one before it ("chat gpt" -> "chatgpt").
        out.append((before if word else before.rstrip()) + word)
        cursor = syllable.end
    return "".join(out) + text[cursor:]


def understand(parsed: ParsedQuery, vocabulary: Vocabulary, abbreviations: Abbreviations) -> Understood:
    """Return the query with Telex/VNI decoded, numbers, splits and abbreviations as alternatives."""
    understood = Understood(parsed, parsed, capitals=_in_capitals(parsed))
    if parsed.is_empty:
        return understood
    vocabulary.prefetch([term for s in parsed.syllables for term in (s.folded, s.exact)]
                        + [Syllable.of(v).exact for v in map(spelling_variant, (s.raw for s in parsed.syllables)) if v]
                        + _compound_names(parsed))
    parsed = _excluded_words(parsed, vocabulary, abbreviations, understood)
    groups, before = [], []
    typist = _types_telex(parsed, vocabulary, understood.capitals)
    crossing = not _types_crossed_d(parsed, understood.capitals)
    for group in _read_amounts(_or_words(parsed, vocabulary, abbreviations, understood), vocabulary, understood,
                               parsed):
        groups.append(_understand_group(group, before, vocabulary, understood, typist, crossing))
        before += [s.folded for s in group[0].syllables]
    if understood.decoded:
        read = rewrite_text(parsed.text, {s: t for s, t in understood.rewrites.items() if " " not in t})
        understood.notices.insert(0, f"Đã hiểu cách gõ Telex/VNI: tìm “{read}”.")
    # Said first: the words the other notices name are those read.
    understood.notices[0:0] = [f"Đã đọc “{typed}” là “{word}”." for typed, word in understood.stretched.items()]
    if understood.crossed:
        also = ", ".join(f"“{form}”" for form in understood.crossed.values())
        understood.notices.insert(1, f"Chữ “d” gõ không có “dd” có thể là “đ”: tìm cả {also}.")
    groups = _expand_abbreviations(groups, abbreviations, understood, parsed)
    groups = _read_dates(groups, vocabulary, understood, parsed)
    groups = _read_units(groups, vocabulary, parsed)
    groups = _read_times(groups, vocabulary, understood, parsed)
    groups = _read_ordinals(groups, vocabulary, understood)
    groups = _join_apart(groups, vocabulary, understood, parsed)
    # After the words typed apart are joined, so that "mi lan" is read as Milan and as "my lan".
    groups = [group + _spelling_alternatives(group[0], vocabulary, understood) for group in groups]
    for typed, variant in understood.spellings.items():
        understood.notices.append(also_searched([variant], typed))
    if is_short(parsed):
        groups = join_time_words(groups)
    understood.parsed = replace(parsed, groups=groups, compounds=compounds_of(groups, parsed.text, vocabulary))
    return understood


# A compound word (``text.MAX_COMPOUND_SYLLABLES``) is one the index holds when the segmenter joined its
# syllables in at least this many articles, and in one in OR_WORD_SHARE of those writing them in a row
# (as for OR's sides): it parts some words it knows ("động đất" joined in 9 of the 40 news articles
# writing it in a row) and joins others by mistake ("việt cơ", 5 of 61: mostly "Việt có").
COMPOUND_MIN_ARTICLES = 2
# The longest compound looked up in a query (the segmenter rarely joins more syllables).
QUERY_COMPOUND_SYLLABLES = 3


def _compound_names(parsed: ParsedQuery) -> list[str]:
    """Return the folded compounds of the syllables typed one after the other in a query that is no question,
    read with its other words (``compounds_of`` asks those of its plain runs: a backend whose lookups are round
    trips has them by then)."""
    if is_question(parsed):
        return []
    folded = [s.folded for s in parsed.syllables]
    return [COMPOUND_JOINER.join(folded[at : at + size]) for size in range(2, QUERY_COMPOUND_SYLLABLES + 1)
            for at in range(len(folded) - size + 1)]


def compounds_of(groups: list[list[Clause]], text: str, vocabulary: Vocabulary) -> list[list[Syllable]]:
    """Return the compound words among the plain syllables typed in a row (``plain_runs``) of a query
    that is no question (whose tiers seldom answer): in each run, the words the index holds
    (``_held_word``) that segment it best (``_segmented``)."""
    found: list[list[Syllable]] = []
    if is_question(ParsedQuery(text, groups)):
        return found
    for run in plain_runs(groups, text):
        spans = [(start, start + size) for size in range(2, QUERY_COMPOUND_SYLLABLES + 1)
                 for start in range(len(run) - size + 1)]
        names = {span: [s.folded for s in run[span[0] : span[1]]] for span in spans}
        vocabulary.prefetch(COMPOUND_JOINER.join(name) for name in names.values())
        vocabulary.prefetch_phrases((name, most) for name in names.values() if _is_joined(name, vocabulary)
                                    and (most := _written_bound(name, vocabulary)))
        held = {span: _held_word(name, vocabulary) for span, name in names.items()}
        found += [run[start:end] for start, end in _segmented(len(run), held)]
    return found


def _held_word(folded: list[str], vocabulary: Vocabulary) -> int:
    """Return how many articles hold folded syllables as one word, 0 unless that makes it a word the index
    holds (``COMPOUND_MIN_ARTICLES``, and OR's share: ``_joined_often``)."""
    if not _is_joined(folded, vocabulary):
        return 0  # the articles writing it in a row are not counted
    return _joined_often(folded, vocabulary)


def _is_joined(folded: list[str], vocabulary: Vocabulary) -> bool:
    """Tell whether the segmenter joined folded syllables in enough articles (``COMPOUND_MIN_ARTICLES``)."""
    return vocabulary.frequency(COMPOUND_JOINER.join(folded)) >= COMPOUND_MIN_ARTICLES


def _segmented(size: int, held: dict[tuple[int, int], int]) -> list[tuple[int, int]]:
    """Return the spans of a run of size syllables to keep whole: of the spans held as words (held: the
    articles holding each, 0 for none), none overlapping, those of the greatest sum of log(articles)
    ("thị trường học": "thị trường", not "trường học"; "đề nghị định cư": "đề nghị" and "định cư", not
    "nghị định" between them)."""
    best: list[tuple[float, list[tuple[int, int]]]] = [(0.0, [])] * (size + 1)
    for start in range(size - 1, -1, -1):
        best[start] = best[start + 1]
        for (first, end), articles in held.items():
            if first == start and articles:
                weight = math.log(articles) + best[end][0]
                if weight > best[start][0]:
                    best[start] = (weight, [(start, end), *best[end][1]])
    return best[0][1]


def plain_runs(groups: list[list[Clause]], text: str) -> list[list[Syllable]]:
    """Return the runs of syllables each typed as a plain word (``_one_plain_syllable``), one after the
    other with only spaces between them, of two syllables or more."""
    runs: list[list[Syllable]] = [[]]
    for group in groups:
        syllable = group[0].syllables[0] if len(group) == 1 and _one_plain_syllable(group[0]) else None
        last = runs[-1][-1] if runs[-1] else None
        if syllable is None or (last is not None and not text[last.end : syllable.start].isspace()):
            runs.append([])
        if syllable is not None:
            runs[-1].append(syllable)
    return [run for run in runs if len(run) > 1]


# An operand of OR is a compound the index holds when at least one in this many of the articles writing
# its syllables in a row (folded) hold it as one word: "đóng cửa" 137 of 622 ("đồng của" folds alike),
# "bộ đội" 43 of 206, "học sinh" 270 of 281; not "giá vàng" (0 of 68), "Phú Trọng" (6 of 41: pyvi parts
# the name), "Nguyễn Đình" 26 of 174 (6,000 news articles).
OR_WORD_SHARE = 5


def _excluded_words(parsed: ParsedQuery, vocabulary: Vocabulary, abbreviations: Abbreviations,
                    understood: Understood) -> ParsedQuery:
    """Return the query with each word after a minus grown over the plain words typed after it that make
    one word with it (``_one_word``): "covid -hà nội" leaves out the articles holding "hà nội", not
    those holding "hà" while "nội" is required.  A notice says what is left out."""
    if not parsed.excluded:
        return parsed
    groups, excluded = list(parsed.groups), []
    for clause in parsed.excluded:
        after = next((at for at, group in enumerate(groups) if group[0].syllables[0].start > clause.syllables[-1].end),
                     len(groups))
        following = list(itertools.takewhile(lambda group: len(group) == 1, groups[after:]))
        read = _Operands([clause, *(group[0] for group in following)], parsed.text, vocabulary, abbreviations,
                         understood)
        size = read.word_size(read.plain_run(range(len(following) + 1)), last=False)
        if size > 1:
            del groups[after : after + size - 1]
            clause = _word_clause([clause.syllables[0], *(group[0].syllables[0] for group in following[: size - 1])])
            understood.notices.append(f"Loại các bài có “{_as_typed(parsed.text, clause.syllables)}”.")
        excluded.append(clause)
    return replace(parsed, groups=groups, excluded=excluded)


def _or_words(parsed: ParsedQuery, vocabulary: Vocabulary, abbreviations: Abbreviations,
              understood: Understood) -> list[list[Clause]]:
    """Return the query's groups with each operand of OR read as the word it ends or begins: the parser
    binds OR to the syllables beside it, and "bóng đá OR bóng chuyền" is either sport, not "bóng
    (đá OR bóng) chuyền" (``_Operands.sizes``).  A notice says how operands grown so were read."""
    groups = parsed.groups
    if all(len(group) < 2 for group in groups):
        return groups
    clauses = [clause for group in groups for clause in group]
    ors, at = [], 0  # the places of the clauses typed after an OR
    for group in groups:
        ors += range(at + 1, at + len(group))
        at += len(group)
    read = _Operands(clauses, parsed.text, vocabulary, abbreviations, understood)
    units: list[tuple[int, int, bool]] = []  # (first clause, past the last, typed after an OR)
    cursor = 0
    for place in ors:
        fixed = bool(units) and units[-1][1] == place  # the operand after the OR before is this one's too
        left, right = read.sizes(units[-1][0] if fixed else cursor, place, fixed)
        if not fixed:
            units += [(i, i + 1, False) for i in range(cursor, place - left)] + [(place - left, place, False)]
        units.append((place, place + right, True))
        cursor = place + right
    units += [(i, i + 1, False) for i in range(cursor, len(clauses))]
    out = []
    for first, past, after_or in units:
        clause = clauses[first] if past - first == 1 else _word_clause([c.syllables[0] for c in clauses[first:past]])
        if after_or:
            out[-1].append(clause)
        else:
            out.append([clause])
    if any(past - first > 1 for first, past, _ in units):
        for group in (g for g in out if len(g) > 1):
            words = " hoặc ".join(f"“{_as_typed(parsed.text, clause.syllables)}”" for clause in group)
            understood.notices.append(f"Tìm {words}.")
    return out


@dataclass
class _Operands:
    """What reads the words beside an operator (OR, a minus): the query's clauses in the order typed, its
    text, the index's words.

    The plain words beside an OR are read moving away from it (``plain_run``): before it, the nearest
    first; each part of such a run is checked as a word in the order typed (``_typed``).
    """

    clauses: list[Clause]
    text: str
    vocabulary: Vocabulary
    abbreviations: Abbreviations
    understood: Understood

    def sizes(self, start: int, place: int, fixed: bool) -> tuple[int, int]:
        """Return how many clauses the operands of the OR before clauses[place] hold, before it (within
        clauses[start:place]; with fixed, all of them) and after it (up to the next OR, which no run of
        plain words crosses): as the reader typed them alike (``_alike``), else each the word beside OR
        (``word_size``), and a side that is no word as long as the other when it can be without parting
        a word (``_mirrored``: "xu phat OR the cong", the name "Thế Công", which the index parts)."""
        before = self.plain_run(range(place - 1, start - 1, -1))
        after = self.plain_run(range(place, len(self.clauses)))
        alike = self._alike(before, after, place - start if fixed else 0)
        if alike:
            return alike, alike
        left = place - start if fixed else self.word_size(before, last=True)
        right = self.word_size(after, last=False)
        if right == 1:
            right = self._mirrored(after, left, last=False)
        elif left == 1 and not fixed:
            left = self._mirrored(before, right, last=True)
        return left, right

    def _alike(self, before: list[Syllable], after: list[Syllable], fixed: int) -> int:
        """Return how many words each side holds when the reader typed both alike: as many plain words
        (the most there are, two or more; fixed: that many, the operand before being set), the same word
        first or last ("giá vàng OR giá bạc", "nhà ở OR đất ở", "bóng đá nam OR bóng đá nữ"); else 0."""
        longest = min(len(before), len(after))
        for size in ([fixed] if 2 <= fixed <= longest else []) if fixed else range(longest, 1, -1):
            left, right = _typed(before, size, last=True), after[:size]
            if left[0].folded == right[0].folded or left[-1].folded == right[-1].folded:
                return size
        return 0

    def word_size(self, run: list[Syllable], last: bool) -> int:
        """Return how many syllables of run (beside OR) the longest word beside OR holds (``_one_word``),
        1 when none is."""
        for size in range(len(run), 1, -1):
            if _one_word(_typed(run, size, last), self.vocabulary, self.abbreviations, self.understood):
                return size
        return 1

    def _mirrored(self, run: list[Syllable], size: int, last: bool) -> int:
        """Return size when run (beside OR) holds that many plain words and the word beyond them makes no
        word with the farthest of them ("bóng đá OR tennis Việt Nam" keeps "tennis": "Việt Nam" is one
        word); else 1 (and 1 for a size of 1)."""
        if len(run) < size:
            return 1
        beyond = run[size - 1 : size + 1]
        if len(beyond) == 2 and _one_word(_typed(beyond, 2, last), self.vocabulary, self.abbreviations,
                                          self.understood):
            return 1
        return size

    def plain_run(self, places: Iterable[int]) -> list[Syllable]:
        """Return the syllables of the plain one-syllable clauses at places (moving away from OR) up to
        the first that is not one, or stands across more than spaces from the one before it."""
        run: list[Syllable] = []
        for place in places:
            clause = self.clauses[place]
            if len(run) == MAX_COMPOUND_SYLLABLES or not _one_plain_syllable(clause):
                break
            syllable = clause.syllables[0]
            if run and not self.text[min(syllable.end, run[-1].end) : max(syllable.start, run[-1].start)].isspace():
                break
            run.append(syllable)
        return run


def _typed(run: list[Syllable], size: int, last: bool) -> list[Syllable]:
    """Return the first size syllables of a run read moving away from OR, in the order typed (last: the
    run stands before OR, nearest first)."""
    return run[:size][::-1] if last else run[:size]


def _one_plain_syllable(clause: Clause) -> bool:
    """Tell whether a clause is one syllable typed as a plain word (no quotes, field or alternative)."""
    return (len(clause.syllables) == 1 and not clause.quoted and not clause.field and not clause.alternative
            and not clause.reference)


def _one_word(syllables: list[Syllable], vocabulary: Vocabulary, abbreviations: Abbreviations,
              understood: Understood) -> bool:
    """Tell whether syllables in a row are one word (``_operand_run``)."""
    folded = [s.folded for s in syllables]
    if abbreviations.lookup(tuple(folded)):
        return True
    if not understood.capitals and all(s.raw[:1].isupper() for s in syllables):
        return True
    return _joined_often(folded, vocabulary) > 0


def _joined_often(folded: list[str], vocabulary: Vocabulary) -> int:
    """Return how many articles hold folded syllables as one word when at least one in OR_WORD_SHARE of those
    writing them in a row do, else 0 (the articles writing them are counted only when some join them)."""
    joined = vocabulary.frequency(COMPOUND_JOINER.join(folded))
    most = _written_bound(folded, vocabulary)
    if not most:
        return joined
    written = vocabulary.phrase_frequency(folded, most)
    return joined if 0 < written <= most else 0


def _written_bound(folded: list[str], vocabulary: Vocabulary) -> int:
    """Return the most articles that may write folded syllables in a row for them to stay a word the index
    holds (OR_WORD_SHARE times those joining them), 0 when they need not be counted: none join them, or
    fewer articles hold the rarest syllable (no more can write them in a row)."""
    most = vocabulary.frequency(COMPOUND_JOINER.join(folded)) * OR_WORD_SHARE
    return 0 if min(vocabulary.frequency(syllable) for syllable in folded) <= most else most


def _word_clause(syllables: list[Syllable]) -> Clause:
    """Return the clause of a word of several syllables: its syllables in a row, as one typed word."""
    return Clause(syllables, phrase=True, joined=True)


def _understand_group(group: list[Clause], before: list[str], vocabulary: Vocabulary,
                      understood: Understood, typist: bool, crossing: bool) -> list[Clause]:
    """Return a group with its clauses decoded and their number and split alternatives added."""
    clauses = []
    for clause in group:
        clause = _decode_clause(clause, vocabulary, understood)
        clauses.append(clause)
        if crossing:
            clauses += _crossed_alternatives(clause, vocabulary, understood)
        also = _keyed_alternatives(clause, vocabulary, understood, typist)
        clauses += also
        clauses += _number_alternatives(clause, before)
        clauses += _reference_alternatives(clause, before, vocabulary, understood)
        if not also:
            clauses += _split_alternatives(clause, vocabulary, understood)
    return clauses


def _decode_clause(clause: Clause, vocabulary: Vocabulary, understood: Understood) -> Clause:
    """Return the clause with Telex/VNI words read as the syllables they stand for."""
    syllables = []
    for syllable in clause.syllables:
        decoded = telex_reading(syllable.raw, vocabulary, understood.capitals)
        read = Syllable.of(decoded) if decoded else None
        if read and _unknown_but_decoded_known(vocabulary, read.exact, syllable.folded):
            understood.rewrites[syllable] = decoded
            understood.decoded = True
            syllable = replace(read, start=syllable.start, end=syllable.end)
        elif (word := _unstretched(syllable, vocabulary, understood.capitals)) is not None:
            understood.rewrites[syllable] = understood.stretched[syllable.raw] = word
            syllable = replace(Syllable.of(word), start=syllable.start, end=syllable.end)
        syllables.append(syllable)
    # Several syllables in one typed word ("TP.HCM", "05-CT/TW", "1.000") stand together: the
    # parser makes one clause of each typed word, so an unquoted clause is one word.
    joined = len(syllables) > 1 and not clause.phrase
    return replace(clause, syllables=syllables, phrase=len(syllables) > 1, joined=joined or clause.joined)


def _unstretched(syllable: Syllable, vocabulary: Vocabulary, capitals: bool) -> str | None:
    """Return a word the index lacks, typed with a letter held down (three times or more in a row:
    ``nộiii``, ``quáaaa``, ``đẹppp``), as the word the index holds once each such run is one letter
    (else two: ``Brooooklyn``), as typed or read as Telex (``haaaf``); else None.

    No Vietnamese syllable holds a letter three times in a row, and a reader stretching a word means the
    word: "hà nộiii" found the 2,160 articles holding "hà" or "nội" and nothing else.
    """
    runs = ["".join(run) for _, run in itertools.groupby(syllable.raw, key=lambda ch: fold(ch).casefold())]
    if not any(len(run) >= 3 and run.isalpha() for run in runs) or vocabulary.frequency(syllable.folded):
        return None
    for keep in (1, 2):
        word = "".join(_held_down(run, keep) if run.isalpha() else run for run in runs)
        if vocabulary.frequency(Syllable.of(word).exact):
            return word
        decoded = telex_reading(word, vocabulary, capitals)
        if decoded and vocabulary.frequency(Syllable.of(decoded).exact):
            return decoded
    return None


def _held_down(run: str, keep: int) -> str:
    """Return a run of one letter as at most keep of it, those typed with marks first (``áaaa``: ``á``)."""
    return "".join(sorted(run, key=lambda ch: fold(ch) == ch)[:keep]) if len(run) >= 3 else run


def _in_capitals(parsed: ParsedQuery) -> bool:
    """Tell whether the query is typed all in capitals, a word of two letters at least (caps lock on)."""
    letters = [ch for ch in parsed.text if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def _types_telex(parsed: ParsedQuery, vocabulary: Vocabulary, capitals: bool) -> bool:
    """Tell whether some word of the query is Telex beyond doubt: unknown, and a known syllable decoded."""
    for syllable in parsed.syllables:
        decoded = telex_reading(syllable.raw, vocabulary, capitals)
        if decoded and _unknown_but_decoded_known(vocabulary, Syllable.of(decoded).exact, syllable.folded):
            return True
    return False


def _keyed_alternatives(clause: Clause, vocabulary: Vocabulary, understood: Understood,
                        typist: bool) -> list[Clause]:
    """Return the decoded syllable of a VNI or Telex word the index barely holds, as an alternative.

    Digits inside a word are VNI's tone and letter keys far more often than a word of the
    articles: ``ban2`` stands in the index only through a scoreboard or a link, ``bàn`` in two
    thousand articles.  Letters are Telex keys only in a query typed in Telex (``soong`` is a
    loanword of a few articles, but ``sông`` beside ``xuoongs``).  The word typed is still
    searched (``Ba2`` is a credit rating).
    """
    if len(clause.syllables) != 1 or clause.quoted:
        return []
    syllable = clause.syllables[0]
    keyed = typist or any(ch.isdigit() for ch in syllable.raw)
    decoded = telex_reading(syllable.raw, vocabulary, understood.capitals) if keyed else None
    if not decoded:
        return []
    read = Syllable.of(decoded)
    if vocabulary.frequency(read.exact) <= REWRITE_RATIO * vocabulary.frequency(syllable.folded):
        return []
    understood.rewrites[syllable] = decoded
    understood.decoded = True
    return [_decoded_alternative(clause, read)]


def _decoded_alternative(clause: Clause, read: Syllable) -> Clause:
    """Return a one-word clause's other reading as an alternative in its place and field (marked decoded:
    the reading earns no more than it scores, ``execute._reading_weight``)."""
    typed = clause.syllables[0]
    return Clause([replace(read, start=typed.start, end=typed.end)], field=clause.field, alternative=True,
                  decoded=True)


def telex_reading(word: str, vocabulary: Vocabulary, capitals: bool) -> str | None:
    """Return the syllable a Telex or VNI word stands for (``decode``; a word in capitals too when
    capitals: the query is typed in them), its d read as đ when the index holds the syllable with đ
    and never with d.

    Typists without an input method often leave out đ's second key (``doongf`` for ``đồng``,
    ``deens`` for ``đến``): no article writes "dồng", and the word was searched as typed, for nothing.
    A syllable the articles write with d (``dầu``, ``diện``, ``dà``) is read as typed.
    """
    decoded = decode(word, capitals)
    if not decoded or decoded[0] not in "dD" or vocabulary.frequency(Syllable.of(decoded).exact):
        return decoded
    crossed = ("đ" if decoded[0] == "d" else "Đ") + decoded[1:]
    return crossed if vocabulary.frequency(Syllable.of(crossed).exact) else decoded


def _types_crossed_d(parsed: ParsedQuery, capitals: bool) -> bool:
    """Tell whether the query types đ somewhere (đ itself, or a word of Telex dd or VNI d9 keys): its
    typist's d is a d.  A dd of a word that is no Telex ("Buddha", "add") says nothing."""
    return any("đ" in s.raw.lower() or "đ" in (decode(s.raw, capitals) or "").lower() for s in parsed.syllables)


def _crossed_alternatives(clause: Clause, vocabulary: Vocabulary, understood: Understood) -> list[Clause]:
    """Return a word decoded from Telex or VNI with d, as written with đ, as an alternative when the
    index holds it (a query typing đ nowhere: ``_types_crossed_d``).

    Its typist may have left out đ's second key, or meant d: ``dooij tuyeenr vieetj nam`` is "dội
    tuyển việt nam" letter for letter, which one article of 6,000 writes, and "đội tuyển việt nam"
    for nearly everybody.  Both are searched, the accents typed still meant; the one as typed is the
    query's own reading (``gias daauf``, oil prices, still ranks "giá dầu" first).
    """
    if len(clause.syllables) != 1 or clause.quoted:
        return []
    syllable = clause.syllables[0]
    if syllable.exact[:1] != "d" or not any(typed.start == syllable.start for typed in understood.rewrites):
        return []
    crossed = Syllable.of("đ" + syllable.exact[1:])
    if not vocabulary.frequency(crossed.exact):
        return []
    understood.crossed[syllable.exact] = crossed.exact
    return [_decoded_alternative(clause, crossed)]


def spelling_variant(word: str) -> str | None:
    """Return a syllable spelled with its open rhyme's i as y or its y as i, where both are written
    (``kĩ`` -> ``kỹ``, ``Lý`` -> ``Lí``, ``qui`` -> ``quy``), tone and capitals kept; else None."""
    bare = split_tone(word)[0]
    if bare[-1:] not in ("i", "y") or bare[:-1] not in I_Y_ONSETS:
        return None
    return nfc(unicodedata.normalize("NFD", word).translate(_I_Y_SWAP))


def _spelling_alternatives(clause: Clause, vocabulary: Vocabulary, understood: Understood) -> list[Clause]:
    """Return a clause with its syllables spelled with their i as y or their y as i
    (``spelling_variant``) where the index holds that spelling in more articles than the one typed,
    as an alternative (none when no syllable is); a word joined by understanding is left as it is.

    The school's rule writes i after a consonant (``kĩ thuật``, ``lí do``, ``Mĩ``, ``tỉ lệ``), the
    press mostly y (``kỹ thuật``: 1,071 of 6,000 news articles, ``kĩ`` 31): a reader who learnt
    the first found a handful of articles.  Only the rarer spelling typed asks for the other, so
    the common queries read as before.  Accents typed are kept: the same tone, another letter.  Two
    words typed apart read as one (``mi lan``: Milan) are also read respelled ("Mỹ Lan").  In quotes too
    (``"kĩ thuật"``: "kỹ thuật"): the other spelling is the same word, as the other tone placement is.
    """
    if clause.phrase and not clause.quoted:
        return []
    respelled = [_respelled(syllable, vocabulary, understood) for syllable in clause.syllables]
    if not any(respelled):
        return []
    syllables = [replace(Syllable.of(variant), start=typed.start, end=typed.end) if variant else typed
                 for typed, variant in zip(clause.syllables, respelled)]
    return [Clause(syllables, phrase=clause.phrase, field=clause.field, alternative=True)]


def _respelled(syllable: Syllable, vocabulary: Vocabulary, understood: Understood) -> str | None:
    """Return a syllable's other spelling of i / y when the index holds it in more articles (and, typed
    without accents, beside a neighbour: ``_written_beside``), noted in understood; else None."""
    variant = spelling_variant(syllable.raw)
    if variant is None:
        return None
    read = Syllable.of(variant)
    if vocabulary.frequency(read.exact) <= vocabulary.frequency(syllable.exact):
        return None
    if not syllable.accented and not _written_beside(vocabulary, syllable, read, understood.original):
        return None
    understood.spellings[syllable.raw] = variant
    return variant


def _written_beside(vocabulary: Vocabulary, syllable: Syllable, read: Syllable, parsed: ParsedQuery) -> bool:
    """Tell whether the articles write a syllable typed without accents in its other spelling beside
    a word the query types next to it more often than as typed (``ki thuat``: "kỹ thuật").

    Without accents a syllable is as often a name or a word of another language (``Mi 4``, ``hi``),
    which no spelling rule rewrites: only its neighbours tell.
    """
    typed = sorted((s for s in parsed.syllables if s.start >= 0), key=lambda s: s.start)
    before = [s.folded for s in typed if s.end <= syllable.start][-1:]
    after = [s.folded for s in typed if s.start >= syllable.end][:1]
    for left, right in ((before, []), ([], after)):
        if (left or right) and vocabulary.phrase_frequency([*left, read.folded, *right]) > (
                vocabulary.phrase_frequency([*left, syllable.folded, *right])):
            return True
    return False


def _unknown_but_decoded_known(vocabulary: Vocabulary, decoded: str, typed: str) -> bool:
    """Tell whether the index lacks the typed word but holds the syllable it decodes to.

    A word the articles use is never rewritten as Telex, however rare: English ``moon``, ``sex``,
    ``teen`` are Telex for ``môn``, ``sẽ``, ``tên`` letter for letter.
    """
    return vocabulary.frequency(typed) == 0 and vocabulary.frequency(decoded) > 0


# Numbers and references ---------------------------------------------------------------------


def _number_alternatives(clause: Clause, before: list[str]) -> list[Clause]:
    """Return the clause with its numbers written the other ways (separators, leading zeros)."""
    if not any(s.folded.isdigit() for s in clause.syllables):
        return []
    variants = []
    number = clause.syllables[0].folded
    if len(clause.syllables) == 1 and len(number) == 1 and after_document_type(before):
        variants.append(f"0{number}")  # "chỉ thị 5" is written "Chỉ thị 05"
    joined = _joined_thousands(clause)
    if joined:
        variants.append(joined)
    for syllable in clause.syllables:
        if syllable.folded.isdigit() and len(syllable.folded) >= 4 and len(clause.syllables) == 1 and not is_year(
                syllable.folded):
            variants.append(_thousands(syllable))
    for write in (_without_zeros, _with_zeros):
        words = [write(s, clause) for s in clause.syllables]
        if words != [s.folded for s in clause.syllables]:
            # With the separators typed: "21/08" is a date, "21 08" also the decimal "21,08".
            variants.append("".join(word + (s.link or " ") for word, s in zip(words, clause.syllables)).strip())
    alternatives = []
    for text in dict.fromkeys(variants):
        syllables = syllables_of(text)
        alternatives.append(Clause(syllables, phrase=len(syllables) > 1, field=clause.field, alternative=True))
    return alternatives


def _reference_alternatives(clause: Clause, before: list[str], vocabulary: Vocabulary,
                            understood: Understood) -> list[Clause]:
    """Return a document's number also as the articles cite the document, each writing some article
    holds: its kind and number (``05-CT/TW`` -> "chỉ thị 05", ``168/2024/NĐ-CP`` -> "nghị định
    168/2024"), and with the Party's central bodies written the other way (``29-NQ/TW`` -> ``29/NQ-TƯ``).

    Articles name a document by its kind and number far more often than by its whole number: the
    whole number typed found none of the news articles citing "Chỉ thị 05".  A kind the code does
    not name (``1234/UBND``, ``31/2024/QH15``) adds nothing.  The kind typed before the number
    ("quyết định số 281/QĐ-TTg", before: the folded syllables before it) goes without a notice.
    """
    if not clause.reference or clause.alternative:
        return []
    parts = [s.folded for s in clause.syllables]
    number = clause.syllables[0].raw
    year = parts[1] if len(parts) > 2 and is_year(parts[1]) else None
    code = next(p for p in parts[1:] if not p.isdigit())  # a document's number has a code (``is_reference``)
    cited = []
    kind = DOCUMENT_CODES.get(code)
    if kind and number.isdigit():
        # "Chỉ thị 05" and "Chỉ thị 5", "Chỉ thị số 05" alike.
        first = clause.syllables[0]
        numbers = dict.fromkeys([number, _without_zeros(first, clause), _with_zeros(first, clause)])
        cited = [f"{kind}{said} {n}{f'/{year}' if year else ''}" for n in numbers for said in ("", " số")]
        cited = [text for text in cited if vocabulary.phrase_frequency([s.folded for s in syllables_of(text)])]
    if cited and not _kind_typed(before, kind):
        typed = _as_typed((understood.original or understood.parsed).text, clause.syllables)
        understood.notices.append(also_searched(cited[:1], typed))
    # The issuer "TW" (trung ương) is as often written "TƯ": the same number, no notice.  Not "TU", which
    # is a province's Party committee (tỉnh ủy: "05-NQ/TU").
    if any(s.exact in CENTRAL for s in clause.syllables):
        other = [CENTRAL.get(s.exact, s.raw) for s in clause.syllables]
        if vocabulary.phrase_frequency([fold(word) for word in other]):
            cited.append(" ".join(other))
    return [Clause(syllables_of(text), phrase=True, field=clause.field, alternative=True) for text in cited]


def _kind_typed(before: list[str], kind: str) -> bool:
    """Tell whether folded syllables end with a kind of document, "số" (number) after it or not."""
    words = [fold(word) for word in kind.split()]
    return before[-len(words):] == words or before[-len(words) - 1:] == [*words, "so"]


def after_document_type(before: list[str]) -> bool:
    """Tell whether folded syllables end with the name of a kind of legal document ("chi thi")."""
    return " ".join(before[-2:]) in DOCUMENT_TYPES or " ".join(before[-1:]) in DOCUMENT_TYPES


def is_year(number: str) -> bool:
    """Tell whether digits read as a year rather than an amount: 1901 to 2099, round hundreds
    excepted ("2021" is a year, never "2.021"; "2000 tỷ" may be "2.000 tỷ")."""
    return len(number) == 4 and number[:2] in ("19", "20") and not number.endswith("00")


def _joined_thousands(clause: Clause) -> str | None:
    """Return "1000" for a typed "1.000" (a number whose groups of three were separated by dots or
    spaces), else None: "4/100" is no thousands, nor the decimal "4,100"."""
    parts = [s.folded for s in clause.syllables]
    if len(parts) > 1 and clause.phrase and all(p.isdigit() for p in parts) and len(parts[0]) <= 3 and all(
            len(p) == 3 for p in parts[1:]) and not parts[0].startswith("0") and all(
            s.link in (".", "") for s in clause.syllables):
        return "".join(parts)
    return None


def _thousands(syllable: Syllable) -> str:
    """Return a number with its thousands separated by dots, as Vietnamese text writes it."""
    return f"{int(syllable.folded):,}".replace(",", ".")


def _without_zeros(syllable: Syllable, clause: Clause) -> str:
    """Return a number without its leading zeros ("05" -> "5")."""
    text = syllable.folded
    return str(int(text)) if text.isdigit() and len(text) == 2 and text.startswith("0") else text


def _with_zeros(syllable: Syllable, clause: Clause) -> str:
    """Return a one-digit day or month of a date ("21/8/2019", "4/2021"), or the one-digit number of a
    document ("5-CT/TW", written "05-CT/TW"), with its leading zero."""
    text = syllable.folded
    parts = [s.folded for s in clause.syllables]
    is_date = clause.phrase and all(p.isdigit() for p in parts) and (
        (len(parts) == 2 and len(parts[0]) <= 2 and (len(parts[1]) <= 2 or is_year(parts[1])))
        or (len(parts) == 3 and all(len(p) <= 2 for p in parts[:2]) and len(parts[2]) == 4))
    numbered = clause.reference and syllable == clause.syllables[0]
    return f"0{text}" if (is_date or numbered) and text.isdigit() and len(text) == 1 and text != "0" else text


# Amounts typed in shorthand ---------------------------------------------------------------

# An amount typed in shorthand: up to three digits (a decimal part or not), then k (nghìn: a thousand)
# or tr (triệu: a million), the decimal also typed after the unit ("1tr5" is 1,5 triệu).
_AMOUNT_RE = re.compile(r"(\d{1,3})(?:[.,](\d{1,2}))?(k|tr)(\d{1,2})?")
# A unit of the shorthand -> (the zeros it stands for, the words the articles write it as).
AMOUNT_UNITS = {"k": (3, ("nghìn", "ngàn")), "tr": (6, ("triệu",))}


def _read_amounts(groups: Iterable[list[Clause]], vocabulary: Vocabulary, understood: Understood,
                  parsed: ParsedQuery) -> list[list[Clause]]:
    """Return the groups with each amount typed in shorthand (``500k``, ``10tr``, ``10 tr``, ``1tr5``)
    joined to the forms the articles write it in ("500 nghìn", "500.000"; "1,5 triệu", "1.500.000").

    Readers type an amount as they say it, articles write it out: "500k" stands in 3 of 6,000 news
    articles, "500.000" in 186.  The forms are searched beside the shorthand when the articles hold
    them ``REWRITE_RATIO`` times more often than it: "5K" (the pandemic's five rules) and "24K" gold
    are written so, and stay what they are.
    """
    groups, out, index = list(groups), [], 0
    while index < len(groups):
        apart = _amount_apart(groups, index)
        if apart is not None and (forms := _amount_forms(apart, vocabulary, understood, parsed.text)):
            primary = Clause(apart)  # one word, as any typed (``_decode_clause``)
            out.append([primary, *_amount_clauses(forms, primary)])
            index += 2
            continue
        per = _amount_per_unit(groups[index], parsed.text)
        if per is not None and (forms := _amount_forms(per[0], vocabulary, understood, parsed.text)):
            amount = Clause(per[0], field=groups[index][0].field)
            out += [[amount, *_amount_clauses(forms, amount)], [Clause(per[1], field=amount.field)]]
            index += 1
            continue
        group = list(groups[index])
        for clause in groups[index]:
            if not _quoted(clause):
                group += _amount_clauses(_amount_forms(clause.syllables, vocabulary, understood, parsed.text), clause)
        out.append(group)
        index += 1
    return out


def _amount_per_unit(group: list[Clause], text: str) -> tuple[list[Syllable], list[Syllable]] | None:
    """Return (the amount's syllables, the unit's) of an amount in shorthand typed per unit as one word
    ("50k/kg", "100k/người"), alone in its group; else None.  The articles write "50.000 đồng/kg": the
    amount is read on its own, the unit stays a word of the query."""
    clause = group[0]
    if len(group) != 1 or _quoted(clause) or len(clause.syllables) < 2:
        return None
    start = clause.syllables[0].start
    match = re.fullmatch(r"(\d[\d.,]*(?:k|tr)\d*)/\w.*", text[start : clause.syllables[-1].end].lower())
    if match is None:
        return None
    amount = [s for s in clause.syllables if s.end <= start + match.end(1)]
    return amount, clause.syllables[len(amount):]


def _amount_apart(groups: list[list[Clause]], index: int) -> list[Syllable] | None:
    """Return the syllables of a number and its unit of shorthand typed apart ("10 tr", "1,5 k") from a
    group on, each alone in its group (as parsed: no alternatives yet), unquoted and in no field (a field's
    prefix stands between them: "title:10 title:tr" is no amount); else None."""
    pair = groups[index : index + 2]
    if len(pair) < 2 or any(len(group) != 1 or _quoted(group[0]) or group[0].field for group in pair):
        return None
    number, unit = pair[0][0], pair[1][0]
    if not all(s.folded.isdecimal() for s in number.syllables) or unit.syllables[0].folded not in AMOUNT_UNITS:
        return None
    return number.syllables + unit.syllables


def _amount_clauses(forms: list[str], typed: Clause) -> list[Clause]:
    """Return the written forms of an amount as alternatives of the clause typed (each a phrase once read
    as typed words are: ``_decode_clause``)."""
    return [Clause(syllables_of(form), field=typed.field, alternative=True) for form in forms]


def _amount_forms(syllables: list[Syllable], vocabulary: Vocabulary, understood: Understood, text: str) -> list[str]:
    """Return the forms the articles write an amount in shorthand in (``_written_amounts``), said in a
    notice, when the typed syllables are one; else []."""
    typed = " ".join(text[syllables[0].start : syllables[-1].end].split())
    match = _AMOUNT_RE.fullmatch(typed.replace(" ", "").lower())
    forms = _written_amounts(match, [s.folded for s in syllables], vocabulary) if match else []
    if forms:
        understood.notices.append(also_searched(forms, typed))
    return forms


def _written_amounts(match: re.Match, folded: list[str], vocabulary: Vocabulary) -> list[str]:
    """Return the forms the articles write an amount in shorthand in ("1,5 triệu", "1.500.000"), each
    some article holds, when together they are held ``REWRITE_RATIO`` times more often than as typed."""
    whole, decimal, unit, after = match.groups()
    if decimal and after:
        return []  # "1,5tr5" is no amount
    decimal = decimal or after
    zeros, words = AMOUNT_UNITS[unit]
    number = f"{int(whole)},{decimal}" if decimal else str(int(whole))
    value = int(whole) * 10**zeros + (int(decimal) * 10 ** (zeros - len(decimal)) if decimal else 0)
    forms = [f"{number} {word}" for word in words] + [f"{value:,}".replace(",", ".")]
    held = {form: vocabulary.phrase_frequency([s.folded for s in syllables_of(form)]) for form in forms}
    as_typed = vocabulary.frequency(folded[0]) if len(folded) == 1 else vocabulary.phrase_frequency(folded)
    if sum(held.values()) <= REWRITE_RATIO * as_typed:
        return []
    return [form for form in forms if held[form]]


# Dates said in words -----------------------------------------------------------------------

# After a day and a month, these words make a length of time, not a date ("9 tháng 10 ngày", "6 tháng 1 lần").
DURATION_WORDS = frozenset({"ngay", "lan"})


def _read_dates(groups: list[list[Clause]], vocabulary: Vocabulary, understood: Understood,
                parsed: ParsedQuery) -> list[list[Clause]]:
    """Return the groups with each date said in words ("30 tháng 4", "2 tháng 9 năm 1945", "tháng 4 năm
    2021") joined to the ways the articles write it ("30/4", "2/9/1945", "4/2021"), each some article holds.

    Articles write a date with slashes: "30/4" stands 494 times in 6,000 news articles, "30 tháng 4" never,
    and the words typed found 3 articles.  The words typed are still searched, in a row (one word, unquoted).
    """
    out, index = [], 0
    while index < len(groups):
        size, forms = _date_at([getattr(_plain_syllable(group, groups[index]), "exact", None)
                                for group in groups[index : index + 5]])
        written = [form for form in forms if vocabulary.phrase_frequency(form.split("/"))]
        if not written:
            out.append(groups[index])
            index += 1
            continue
        syllables = [group[0].syllables[0] for group in groups[index : index + size]]
        primary = Clause(syllables, phrase=True, field=groups[index][0].field, joined=True)
        out.append([primary, *(Clause(syllables_of(form), phrase=True, field=primary.field, alternative=True)
                               for form in written)])
        typed = " ".join(parsed.text[syllables[0].start : syllables[-1].end].split())
        understood.notices.append(also_searched(written, typed))
        index += size
    return out


def _date_at(words: list[str | None]) -> tuple[int, list[str]]:
    """Return (words spanned, the date's written forms) of a date said in words starting a run of words:
    "D tháng M" (not a length of time), "D tháng M năm Y" or "tháng M năm Y"; else (0, [])."""
    w = (words + [None] * 5)[:5]
    if _numbered(w[0], 31) and w[1] in ("tháng", "thang") and _numbered(w[2], 12):
        if w[3] in ("năm", "nam") and _year(w[4]):
            return 5, _slashed(w[0], w[2], w[4])
        return (0, []) if w[3] is not None and fold(w[3]) in DURATION_WORDS else (3, _slashed(w[0], w[2]))
    if w[0] in ("tháng", "thang") and _numbered(w[1], 12) and w[2] in ("năm", "nam") and _year(w[3]):
        return 4, _slashed(w[1], w[3])
    return 0, []


def _numbered(word: str | None, highest: int) -> bool:
    """Tell whether a word is a day's or a month's number: one or two digits, 1 to highest."""
    return word is not None and word.isdecimal() and len(word) <= 2 and 1 <= int(word) <= highest


def _year(word: str | None) -> bool:
    """Tell whether a word is a year of a date: four digits, 1900 to 2099."""
    return word is not None and word.isdecimal() and len(word) == 4 and word[:2] in ("19", "20")


def _slashed(*numbers: str) -> list[str]:
    """Return a date's numbers (day, month, year; or month, year) with slashes, without and with the day's
    and the month's leading zeros."""
    short = [str(int(n)) for n in numbers]  # a year has no leading zero
    return list(dict.fromkeys(["/".join(short), "/".join(n.zfill(2) for n in short)]))


# Numbers with a unit, glued on or apart ----------------------------------------------------

# Units articles write after a number, glued on ("20km", "128GB", "500.000đ") about as often as apart
# ("20 km"): of length, area, mass, volume, data, frequency, power and money (lower-cased, as typed; hours are
# read with the times of day, ``_read_times``).
UNITS = frozenset({
    "km", "m", "cm", "mm", "nm", "km2", "m2", "km²", "m²", "ha", "kg", "g", "mg", "mcg", "l", "ml",
    "gb", "tb", "mb", "kb", "mah", "hz", "khz", "mhz", "ghz", "w", "kw", "mw", "gw", "kwh", "v", "kv",
    "usd", "vnd", "vnđ", "đ",
})
# Units also written as a word: "500.000đ" is "500.000 đồng" (960 times a number is followed by "đồng" in
# 6,000 news articles, 13 by "đ"), and that word typed after a number is the unit ("500.000 đồng" also
# "500.000đ").
UNIT_WORDS = {"đ": "đồng", "vnđ": "đồng", "vnd": "đồng"}
_WORD_UNITS = {word: tuple(unit for unit, said in UNIT_WORDS.items() if said == word) for word in UNIT_WORDS.values()}
# A number and a unit glued on, as typed ("20km", "1,5kg", "500.000đ").
_GLUED_UNIT_RE = re.compile(r"(\d+(?:[.,]\d+)*)([^\W\d_]+)")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")


def _read_units(groups: list[list[Clause]], vocabulary: Vocabulary, parsed: ParsedQuery) -> list[list[Clause]]:
    """Return the groups with each number and its unit (``UNITS``) searched glued on and apart alike.

    "20km" is also searched as "20 km" and "20 km" as "20km", each form where some article holds it:
    articles write both (6,000 news articles: "20km" in 11, "20 km" in 9).  A number and its unit typed
    apart are one amount: they are searched in a row (one word, unquoted), not anywhere in an article.
    """
    out, index = [], 0
    while index < len(groups):
        if _unit_apart(groups, index, parsed.text):
            out.append(_joined_unit(groups[index], groups[index + 1], vocabulary, parsed.text))
            index += 2
            continue
        group = groups[index]
        match = _GLUED_UNIT_RE.fullmatch(_span_text(parsed.text, group[0].syllables))
        if not _quoted(group[0]) and match and match.group(2).lower() in UNITS:
            number, unit = match.group(1), match.group(2).lower()
            forms = [f"{number} {match.group(2)}", *([f"{number} {UNIT_WORDS[unit]}"] if unit in UNIT_WORDS else [])]
            group = group + _held_forms(forms, group, vocabulary)
        out.append(group)
        index += 1
    return out


def _unit_apart(groups: list[list[Clause]], index: int, text: str) -> bool:
    """Tell whether a number and a unit are typed apart from a group on ("20 km", "1,5 kg"), each
    unquoted and in the same field."""
    pair = groups[index : index + 2]
    # A group's other clauses must be its forms: an operand of OR ("km OR dặm") is no unit.
    if len(pair) < 2 or any(_quoted(group[0]) or not all(c.alternative for c in group[1:]) for group in pair):
        return False
    number, unit = pair[0][0], pair[1][0]
    return (number.field == unit.field and len(unit.syllables) == 1 and _unit_typed(unit.syllables[0]) is not None
            and bool(_NUMBER_RE.fullmatch(_span_text(text, number.syllables))))


def _unit_typed(syllable: Syllable) -> str | None:
    """Return the unit (``UNITS``) or the unit's word (``UNIT_WORDS``, typed with its accents or none) a
    syllable is, else None."""
    if syllable.exact in UNITS:
        return syllable.exact
    return next((word for word in _WORD_UNITS if _typed_as(syllable, Syllable.of(word))), None)


def _joined_unit(number: list[Clause], unit: list[Clause], vocabulary: Vocabulary, text: str) -> list[Clause]:
    """Return the group of a number typed apart from its unit: the two in a row (each of the number's forms
    before each of the unit's: "100 USD", "100 đô la Mỹ"), and glued on and in words where some article
    holds it so ("500.000 đ": "500.000đ", "500.000 đồng"; "500.000 đồng": "500.000đ")."""
    primary = Clause(number[0].syllables + unit[0].syllables, phrase=True, field=unit[0].field, joined=True)
    forms = [Clause(n.syllables + u.syllables, phrase=True, field=primary.field, alternative=True)
             for n, u in itertools.product(number, unit) if n.alternative or u.alternative]
    typed, said = _span_text(text, number[0].syllables), _unit_typed(unit[0].syllables[0])
    others = ([typed + unit[0].syllables[0].raw, *([f"{typed} {UNIT_WORDS[said]}"] if said in UNIT_WORDS else [])]
              if said in UNITS else [typed + short for short in _WORD_UNITS[said]])
    return [primary, *forms, *_held_forms(others, [primary, *forms], vocabulary)]


def _span_text(text: str, syllables: list[Syllable]) -> str:
    """Return the query's text from a run of syllables' first to its last."""
    return text[syllables[0].start : syllables[-1].end]


def _held_forms(forms: list[str], group: list[Clause], vocabulary: Vocabulary) -> list[Clause]:
    """Return the forms not yet in a group that some article holds (their syllables in a row), as
    alternatives of its clause typed."""
    searched = {tuple(s.folded for s in clause.syllables) for clause in group}
    clauses = [Clause(syllables, phrase=len(syllables) > 1, field=group[0].field, alternative=True)
               for syllables in map(syllables_of, forms)]
    return [clause for clause in clauses if tuple(s.folded for s in clause.syllables) not in searched
            and vocabulary.phrase_frequency([s.folded for s in clause.syllables])]


# Times of day and hours --------------------------------------------------------------------

# An hour or a time of day typed as one word: "20h", "8h30", "8:30".
_GLUED_TIME_RE = re.compile(r"(\d{1,2})[hH](\d\d)?|(\d{1,2}):(\d\d)")
# The words of an hour typed apart: "20 giờ", "8 giờ 30", "20 h".
HOUR_WORDS = ("giờ", "h")


def _read_times(groups: list[list[Clause]], vocabulary: Vocabulary, understood: Understood,
                parsed: ParsedQuery) -> list[list[Clause]]:
    """Return the groups with each hour or time of day also searched as articles write it: "20h" and "20
    giờ"; "8h30", "08h30", "8 giờ 30", "8:30" and "08:30" (6,000 news articles: "20h" and the like 853 times,
    "20 giờ" 508; "8h30" 479, "08h30" 13, "8:30" 120, "08:30" 15, "8 giờ 30" 47), each some article holds,
    with a notice.

    Typed apart, the words are one time: searched in a row (one word, unquoted).
    """
    out, index = [], 0
    while index < len(groups):
        time = _time_at(groups, index, parsed.text)
        if time is None:
            out.append(groups[index])
            index += 1
            continue
        size, hour, minute = time
        syllables = [s for group in groups[index : index + size] for s in group[0].syllables]
        group = groups[index] if size == 1 else [Clause(syllables, phrase=True, field=groups[index][0].field,
                                                        joined=True)]
        hour, zero = str(int(hour)), hour.zfill(2)  # "0h30" and "00:30", "8:30" and "08:30", "8h30" and "08h30"
        forms = ([f"{hour}h{minute}", f"{zero}h{minute}", f"{hour} giờ {minute}", f"{hour}:{minute}",
                  f"{zero}:{minute}"] if minute else [f"{hour}h", f"{hour} giờ"])
        written = _held_forms(list(dict.fromkeys(forms)), group, vocabulary)
        out.append(group + written)
        if written:
            typed = " ".join(parsed.text[syllables[0].start : syllables[-1].end].split())
            understood.notices.append(also_searched([_form_text(clause) for clause in written], typed))
        index += size
    return out


def _form_text(clause: Clause) -> str:
    """Return the text of a form made from a string (``syllables_of``): its syllables and their links."""
    return "".join(s.raw + (s.link or " ") for s in clause.syllables).strip()


def _time_at(groups: list[list[Clause]], index: int, text: str) -> tuple[int, str, str] | None:
    """Return (groups spanned, the hour, its minutes or "") of an hour or a time of day from a group on:
    typed as one word ("20h", "8h30", "8:30") or apart ("20 giờ", "8 giờ 30", "20 h"), plain words in one
    field; else None."""
    clause = groups[index][0]
    if _quoted(clause):
        return None
    match = _GLUED_TIME_RE.fullmatch(_span_text(text, clause.syllables))
    if match:
        hour, minute = (match.group(1), match.group(2) or "") if match.group(1) else match.group(3, 4)
        return (1, hour, minute) if _a_time(hour, minute) else None
    words = [_plain_syllable(group, groups[index]) for group in groups[index : index + 3]] + [None, None]
    if words[0] is None or not words[0].exact.isdecimal() or len(words[0].exact) > 2:
        return None
    if not any(_typed_as(words[1], word) for word in map(Syllable.of, HOUR_WORDS)):
        return None
    minute = words[2].exact if words[2] is not None and len(words[2].exact) == 2 and words[2].exact.isdecimal() else ""
    return (3 if minute else 2, words[0].exact, minute) if _a_time(words[0].exact, minute) else None


def _a_time(hour: str, minute: str) -> bool:
    """Tell whether an hour and its minutes ("" for none) are a time of day: 0 to 24, 00 to 59."""
    return int(hour) <= 24 and (not minute or int(minute) < 60)


# Numbers of an order, in Roman numerals or not --------------------------------------------

# Words before the number of a quarter, a Party term or congress, a century, a session, a class or a
# chapter, which articles write in Roman numerals about as often as not (6,000 news articles: "quý III"
# 222 times, "quý 3" 102; "khóa XIII" 77, "khóa 13" 44; "thế kỷ XX" 29, "thế kỷ 20" 62), as written;
# the longer first ("kỳ họp thứ" before "kỳ họp").
ORDINAL_WORDS = ("kỳ họp thứ", "quý", "khóa", "đại hội", "thế kỷ", "thế kỉ", "lần thứ", "hạng", "kỳ họp", "chương",
                 "phần")
# The highest number read both ways (a century, a congress, a term: XXI, XIV, XV).
MAX_ORDINAL = 39
_ROMAN_ONES = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX")
# After "thứ" an order is also said in words, first to ninth ("lần thứ hai": 267 times a number after "lần
# thứ" is a word, 156 a numeral, 22 a Roman one); "mười" is left out, the start of "mười một" as well.
ORDINAL_NAMES = ("nhất", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín")
# Words that go on a number said in words ("hai mươi", "ba trăm"; "hai năm" is two years): a name
# before one is no order.
_NUMBER_GOES_ON = frozenset({"muoi", "tram", "nghin", "ngan", "trieu", "ty", "ti", "linh", "le", "nam"})


def roman(number: int) -> str:
    """Return a number from 1 to MAX_ORDINAL in Roman numerals."""
    return "X" * (number // 10) + _ROMAN_ONES[number % 10]


_ROMAN_NUMBERS = {roman(number): number for number in range(1, MAX_ORDINAL + 1)}
# Each word of order and each name as syllables with canonical tone marks, and folded.
_ORDINAL_SYLLABLES = [tuple(syllables_of(word)) for word in ORDINAL_WORDS]
_NAME_SYLLABLES = [syllables_of(name)[0] for name in ORDINAL_NAMES]
# The first syllable of every word of order, folded: a group starting none of them is passed at once
# (a pasted paragraph's forty-odd words each tried every word of order).
_ORDINAL_FIRSTS = frozenset(word[0].folded for word in _ORDINAL_SYLLABLES)


def _read_ordinals(groups: list[list[Clause]], vocabulary: Vocabulary, understood: Understood) -> list[list[Clause]]:
    """Return the groups with each number after a word of order (``ORDINAL_WORDS``) joined to its other
    numerals: "quý 3" is also searched as "quý III", "khóa XIII" as "khóa 13", "lần thứ 2" as "lần thứ
    hai" and "lần thứ II", each where some article holds it.

    The words typed are still searched, in a row (one word, unquoted).  Only after such a word is a
    number read so: "3" alone is not "III".
    """
    out, index = [], 0
    while index < len(groups):
        size, others = _ordinal_at(groups, index) or (0, [])
        syllables = [group[0].syllables[0] for group in groups[index : index + size]]
        forms = [" ".join([*(s.raw for s in syllables[:-1]), other]) for other in others]
        written = [form for form in forms if vocabulary.phrase_frequency([s.folded for s in syllables_of(form)])]
        if not written:
            out.append(groups[index])
            index += 1
            continue
        primary = Clause(syllables, phrase=True, field=groups[index][0].field, joined=True)
        out.append([primary, *(Clause(syllables_of(form), phrase=True, field=primary.field, alternative=True)
                               for form in written)])
        understood.notices.append(also_searched(written, " ".join(s.raw for s in syllables)))
        index += size
    return out


def _ordinal_at(groups: list[list[Clause]], index: int) -> tuple[int, list[str]] | None:
    """Return (words spanned, the number's other numerals) of a word of order and a number from a group on,
    each a plain word in the same field ("quý 3": III; "lần thứ hai": 2, II); else None."""
    if groups[index][0].syllables[:1] and groups[index][0].syllables[0].folded not in _ORDINAL_FIRSTS:
        return None  # typed as no word of order starts (``_typed_as`` reads a folded syllable alike)
    typed = [_plain_syllable(group, groups[index]) for group in groups[index : index + 5]]
    for word in _ORDINAL_SYLLABLES:
        number = typed[len(word)] if len(typed) > len(word) else None
        if number is None or not all(_typed_as(s, w) for s, w in zip(typed, word, strict=False)):
            continue
        named = word[-1].folded == "thu"
        after = typed[len(word) + 1] if len(typed) > len(word) + 1 else None
        value = _ordinal_value(number, named and (after is None or after.folded not in _NUMBER_GOES_ON))
        if value:
            forms = [str(value), roman(value), *([ORDINAL_NAMES[value - 1]] if named and value <= 9 else [])]
            return len(word) + 1, [form for form in forms if fold(form) != number.folded]
    return None


def _ordinal_value(number: Syllable, named: bool) -> int:
    """Return the order a syllable typed after a word of order writes (a number, a Roman numeral or, when
    named, a name: "hai"), 1 to MAX_ORDINAL; else 0."""
    if number.exact.isdecimal():
        return int(number.exact) if 1 <= int(number.exact) <= MAX_ORDINAL else 0
    if number.raw.upper() in _ROMAN_NUMBERS:
        return _ROMAN_NUMBERS[number.raw.upper()]
    return next((order for order, name in enumerate(_NAME_SYLLABLES, 1) if named and _typed_as(number, name)), 0)


def _plain_syllable(group: list[Clause], first: list[Clause]) -> Syllable | None:
    """Return the one syllable a group's typed clause holds, unquoted, in the field of the first group's
    and no operand of OR; else None."""
    clause = group[0]
    if len(clause.syllables) != 1 or clause.quoted or clause.field != first[0].field:
        return None
    if not all(other.alternative for other in group[1:]):
        return None
    return clause.syllables[0]


def _typed_as(typed: Syllable | None, word: Syllable) -> bool:
    """Tell whether a syllable typed is a word's: as written, or without accents."""
    return typed is not None and (typed.exact == word.exact or typed.exact == typed.folded == word.folded)


# Run-together words -----------------------------------------------------------------------


def _split_alternatives(clause: Clause, vocabulary: Vocabulary, understood: Understood) -> list[Clause]:
    """Return each run-together word of a one-word clause split into the syllables it holds."""
    if len(clause.syllables) != 1 or clause.quoted:
        return []
    syllable = clause.syllables[0]
    # One Vietnamese syllable is a word, never two run together ("nhuệ" is not "nhu e"); an amount in
    # shorthand ("500k") is read as one (``_read_amounts``).
    if is_folded_syllable(syllable.exact) or _AMOUNT_RE.fullmatch(syllable.folded):
        return []
    # Typed with accents, one syllable and its last letter again ("hòaa"): a typo, for "did you mean".
    typed = syllable.raw.lower()
    if syllable.accented and typed[-1:] == typed[-2:-1] and is_folded_syllable(typed[:-1]):
        return []
    pieces = _split_pieces(syllable.folded, vocabulary, understood)
    if pieces is None or _bounced(pieces, vocabulary):
        undoubled = _undoubled_split(syllable.folded, vocabulary, understood)
        pieces = pieces if undoubled is None else undoubled
    if not pieces:
        return []
    text = " ".join(pieces)
    understood.rewrites.setdefault(syllable, text)
    understood.notices.append(f"Đã tách “{syllable.raw}” thành “{text}”.")
    return [Clause(syllables_of(text), phrase=True, field=clause.field, alternative=True)]


def _split_pieces(word: str, vocabulary: Vocabulary, understood: Understood) -> list[str] | None:
    """Return the pieces a run-together word (no Vietnamese syllable) is split into, or None."""
    pieces = split_word(word, vocabulary.syllables)
    if pieces is None:
        return (_letter_split(word, vocabulary) or _short_split(word, vocabulary)
                or _rare_word_split(word, vocabulary, understood) or _held_words_split(word, vocabulary, understood))
    if not vocabulary.frequency(word):
        return _split_held_in_a_row(word, pieces, vocabulary, understood)
    if not _letters_and_digits(pieces) and not _split_meant(pieces, vocabulary.frequency(word), vocabulary):
        return None
    return pieces


def _bounced(pieces: list[str], vocabulary: Vocabulary) -> bool:
    """Tell whether a split ends with one letter that ends the piece before it too ("covid d", "tiet t",
    "ha noi i"), which fewer than SPLIT_MIN_DF articles write after that piece: a last letter typed twice
    ("chua a" is "chưa ạ", a question's last word)."""
    return (len(pieces) > 1 and len(pieces[-1]) == 1 and pieces[-2].endswith(pieces[-1])
            and vocabulary.phrase_frequency(pieces[-2:]) < SPLIT_MIN_DF)


def _undoubled_split(word: str, vocabulary: Vocabulary, understood: Understood) -> list[str] | None:
    """Return the split of a word no article holds whose last letter is typed twice (a slip: "hanoii",
    "bongdaa") as the word without it splits, into pieces every one of which the index holds; [] when
    the rest is one syllable or a word the index holds that splits no such way ("khoee", "covidd": a typo,
    for "did you mean"); None otherwise ("...bhoacc", the end of a question run together, is "... b hoặc c")."""
    if len(word) <= MIN_SPLIT_CHARS or word[-1] != word[-2] or not word[-1].isalpha() or vocabulary.frequency(word):
        return None
    rest = word[:-1]
    if is_folded_syllable(rest):
        return []
    pieces = _split_pieces(rest, vocabulary, understood)
    if pieces and all(p.isdigit() or vocabulary.frequency(p) for p in pieces):
        return pieces
    return [] if vocabulary.frequency(rest) else None


def _split_meant(pieces: list[str], typed: int, vocabulary: Vocabulary) -> bool:
    """Tell whether a run-together word (held by typed documents) reads as its pieces: each far more
    frequent than the word and, for a word the index holds, the pieces standing in a row far more
    often than it ("hanoi": "hà nội"), not a name made of syllables ("biden": "bị đến", "data")."""
    # A split holds letters: digits in a row are one piece, and one piece is no split (``split_word``).
    rarest = min(vocabulary.frequency(p) for p in pieces if not p.isdigit())
    if rarest < REWRITE_RATIO * typed:
        return False
    return not typed or vocabulary.phrase_frequency(pieces) >= REWRITE_RATIO * typed


def _letter_split(word: str, vocabulary: Vocabulary) -> list[str] | None:
    """Return a word split after its first letter where the index holds that letter and the rest in a
    row far more often than the word ("vleague": V.League, "kpop": K-pop), or None."""
    first, rest = word[:1], word[1:]
    # ``split_word`` never cuts one consonant off the front: only the letter standing in a row with
    # the rest in the index's text tells a "V.League" from a word that merely starts with v.
    if len(word) < MIN_SPLIT_CHARS or not word.isascii() or not first.isalpha() or first in "aeiouy":
        return None
    tail = split_word(rest, vocabulary.syllables) or ([rest] if vocabulary.frequency(rest) else None)
    if tail is None:
        return None
    pieces = [first, *tail]
    needed = max(SPLIT_MIN_DF, REWRITE_RATIO * vocabulary.frequency(word))
    return pieces if vocabulary.phrase_frequency(pieces) >= needed else None


def _short_split(word: str, vocabulary: Vocabulary) -> list[str] | None:
    """Return a word shorter than MIN_SPLIT_CHARS cut between its letters and its digits ("vf3": the
    articles write "VF 3") where no article holds it and some hold the two in a row, or None."""
    runs = _LETTERS_DIGITS_RE.findall(word)
    if len(word) >= MIN_SPLIT_CHARS or len(runs) != 2 or not word.isascii() or vocabulary.frequency(word):
        return None
    return runs if vocabulary.phrase_frequency(runs) else None


def _rare_word_split(word: str, vocabulary: Vocabulary, understood: Understood) -> list[str] | None:
    """Return a word some articles hold split into Vietnamese syllables the articles' text holds,
    where few titles hold them ("vacxin": "vắc", in 2 titles, is in 168 articles), and the pieces
    stand in a row far more often than the word (``_split_meant``); else None."""
    if (not MIN_SPLIT_CHARS <= len(word) <= MAX_RARE_SPLIT_CHARS or not word.isascii() or not word.isalpha()
            or understood.rare_splits >= MAX_RARE_SPLITS or not vocabulary.frequency(word)):
        return None
    understood.rare_splits += 1
    substrings = (word[start:end] for start in range(len(word))
                  for end in range(start + 2, min(len(word), start + MAX_PIECE_CHARS) + 1))
    candidates = list(dict.fromkeys(piece for piece in substrings if is_folded_syllable(piece)))
    vocabulary.prefetch(candidates)
    pieces = _split_letters(word, {piece: vocabulary.frequency(piece) for piece in candidates})
    if pieces is None or len(pieces) < 2 or not _split_meant(pieces, vocabulary.frequency(word), vocabulary):
        return None
    return pieces


def _split_held_in_a_row(word: str, pieces: list[str], vocabulary: Vocabulary,
                         understood: Understood) -> list[str] | None:
    """Return the split of a word no article holds: the title syllables' pieces where some article
    holds them in a row, else its split into words of any field that some article does hold in a row
    ("sarscov2": "sars cov 2", not "sarscov 2"), else None for a typo of a word the articles hold
    (``_typo_of_held_word``: "mesi" is Messi, not "me si"), else the syllables' pieces still."""
    if understood.rare_splits >= MAX_RARE_SPLITS or vocabulary.phrase_frequency(pieces):
        return pieces
    held = _held_words_split(word, vocabulary, understood)
    if held is None and _typo_of_held_word(word, vocabulary, understood):
        return None
    return held or pieces


def _typo_of_held_word(word: str, vocabulary: Vocabulary, understood: Understood) -> bool:
    """Tell whether a word no article holds is one edit away from a word at least TYPO_NEIGHBOUR_DF
    articles hold ("haland": Haaland, "neyma": Neymar): a typo, left whole for "did you mean"."""
    # Letters and digits run together are cut apart as typed ("i131", "covid19"), never a typo.
    if (understood.rare_splits >= MAX_RARE_SPLITS or len(word) > MAX_RARE_SPLIT_CHARS or not word.isascii()
            or not word.isalpha()):
        return False
    understood.rare_splits += 1
    neighbours = edits(word)
    vocabulary.prefetch(neighbours)
    return any(vocabulary.frequency(neighbour) >= TYPO_NEIGHBOUR_DF for neighbour in neighbours)


def _held_words_split(word: str, vocabulary: Vocabulary, understood: Understood) -> list[str] | None:
    """Return a word no article holds split into words the articles hold, of any language
    ("realmadrid": "real madrid", "euro2024": "euro 2024"), where some article holds them in a row;
    else None.  Letters and digits are cut apart; each run of letters is split by its pieces' document
    frequencies in every field (``_best_splits``), any piece an article holds."""
    if (not MIN_SPLIT_CHARS <= len(word) <= MAX_RARE_SPLIT_CHARS or not word.isascii() or not word.isalnum()
            or understood.rare_splits >= MAX_RARE_SPLITS or vocabulary.frequency(word)):
        return None
    understood.rare_splits += 1
    runs = _LETTERS_DIGITS_RE.findall(word)
    candidates = list(dict.fromkeys(run[start:end] for run in runs if run.isalpha() for start in range(len(run))
                                    for end in range(start + 1, min(len(run), start + MAX_WORD_PIECE_CHARS) + 1)))
    vocabulary.prefetch(candidates)
    frequencies = {piece: vocabulary.frequency(piece) for piece in candidates}
    # The likeliest split is often common syllables ("sars co v 2": "có", and "v" as a model's
    # letter), which no article writes in a row: the next likeliest are asked too.
    splits = [(0.0, [])]
    for run in runs:
        # Any word an article holds is a piece ("madrid" in two articles): the run in a row decides.
        options = [(0.0, [run])] if run.isdigit() else _best_splits(run, frequencies, MAX_WORD_PIECE_CHARS,
                                                                     HELD_SPLITS_ASKED, least=1)
        splits = sorted(((score + more, pieces + added) for score, pieces in splits for more, added in options),
                        key=lambda split: -split[0])[:HELD_SPLITS_ASKED]
    return next((pieces for _, pieces in splits if len(pieces) > 1 and vocabulary.phrase_frequency(pieces)), None)


def _letters_and_digits(pieces: list[str]) -> bool:
    """Tell whether a split only cut letters from digits ("covid19", "iphone15")."""
    return len(pieces) == 2 and pieces[0].isalpha() != pieces[1].isalpha()


def split_word(word: str, syllables: dict[str, int]) -> list[str] | None:
    """Return the likeliest split of a run-together word into known syllables, or None.

    Letters and digits are cut apart first (``covid19``); runs of letters are split by dynamic
    programming over the title syllables, maximising the summed log frequency less a cost per
    piece, every piece known from at least SPLIT_MIN_DF titles.
    """
    if len(word) < MIN_SPLIT_CHARS or not word.isascii():
        return None
    pieces = []
    for run in _LETTERS_DIGITS_RE.findall(word):
        if run.isdigit():
            pieces.append(run)
            continue
        # A run no split reads stays whole: beside digits it is a piece ("xyz19"), alone it is no split.
        pieces += _split_letters(run, syllables) or [run]
    return pieces if len(pieces) > 1 else None


def _split_letters(run: str, syllables: dict[str, int]) -> list[str] | None:
    """Return the best split of a run of letters into known syllables (itself when known), or None."""
    splits = _best_splits(run, syllables, MAX_PIECE_CHARS, 1)
    return splits[0][1] if splits else None


def _best_splits(run: str, syllables: dict[str, int], longest: int, count: int,
                 least: int = SPLIT_MIN_DF) -> list[tuple[float, list[str]]]:
    """Return up to count splits of a run of letters into syllables held by at least least documents,
    each with its score, best first: the pieces' summed log frequency less PIECE_COST a piece."""
    best: list[list[tuple[float, list[str]]]] = [[] for _ in range(len(run) + 1)]
    best[0] = [(0.0, [])]
    for end in range(1, len(run) + 1):
        found = []
        for start in range(max(0, end - longest), end):
            if not best[start]:
                continue
            piece = run[start:end]
            df = syllables.get(piece, 0)
            # One letter is a piece only as a vowel word ("a") or a model's letter at the end ("galaxyz").
            if df < least or (len(piece) == 1 and piece not in "aeiouy" and (end < len(run) or start < 4)):
                continue
            found += [(score + math.log(df) - PIECE_COST, [*pieces, piece]) for score, pieces in best[start]]
        # Sorted stably: of splits scoring the same, the one found first (its last piece the longest).
        best[end] = sorted(found, key=lambda split: -split[0])[:count]
    return best[len(run)]


# Words typed apart ------------------------------------------------------------------------


def _join_apart(groups: list[list[Clause]], vocabulary: Vocabulary, understood: Understood,
                parsed: ParsedQuery) -> list[list[Clause]]:
    """Return the groups with each two words typed apart that the index holds as one word ("chat gpt":
    ChatGPT, "sam sung": Samsung) made one group, searched as typed or joined (two Vietnamese
    syllables only in a short query: a question's are its words, "ti me" is "ti mẹ", not "time")."""
    out: list[list[Clause]] = []
    index, counted = 0, 0
    apart = _Apart(parsed.text, is_question(parsed))
    vocabulary.prefetch(_joined_words(groups, apart))
    while index < len(groups):
        pair = _apart_pair(groups, index, apart)
        word = "".join(s.folded for s in pair or ())
        # Each pair whose joined word the index holds costs a count of the pair's runs: a long query
        # (a pasted paragraph) counts those of its first MAX_JOIN_COUNTS such pairs alone.
        held = bool(pair) and _held_joined(word, vocabulary)
        counted += held
        if (not held or counted > MAX_JOIN_COUNTS or not _join_meant(word, pair, vocabulary)
                or _parts_a_word(groups, index, word, vocabulary, apart.text)):
            out.append(groups[index])
            index += 1
            continue
        out.append([Clause(pair), Clause(syllables_of(word), alternative=True)])
        understood.rewrites.setdefault(pair[0], word)
        understood.rewrites.setdefault(pair[1], "")
        understood.notices.append(f"Đã ghép “{pair[0].raw} {pair[1].raw}” thành “{word}”.")
        index += 2
    return out


@dataclass(frozen=True)
class _Apart:
    """What tells two words typed apart: the query's text (what stands between them), and whether
    it is a question."""

    text: str
    question: bool


def _apart_pair(groups: list[list[Clause]], index: int, apart: _Apart) -> list[Syllable] | None:
    """Return the two syllables of two plain one-word groups in a row that could be one word typed
    apart (two letters or more each, typed without accents, only spaces between them, in no field; in
    a question, not both Vietnamese syllables), or None."""
    if index + 1 >= len(groups) or any(len(g) != 1 for g in groups[index : index + 2]):
        return None
    first, second = groups[index][0], groups[index + 1][0]
    # A field prefix stands between two words of a field ("title:face title:book"): none is typed apart.
    if any(c.quoted or c.alternative or c.field or len(c.syllables) != 1 for c in (first, second)):
        return None
    pair = [first.syllables[0], second.syllables[0]]
    # A letter alone is a word of its own beside another: "siêu vi B" (hepatitis B) is no "VIB";
    # so is a number, but after a code of a few letters ("u 23": U23, "b 12": B12).
    words = all(len(s.folded) >= 2 and not s.folded.isdigit() for s in pair)
    if any(s.accented for s in pair) or not (words or _code_and_number(pair)):
        return None
    # A comma or a quote between two words parts them.
    if not apart.text[pair[0].end : pair[1].start].isspace():
        return None
    # In a question (a sentence typed without accents) two Vietnamese syllables are two words, even
    # where they make one of another language ("ti me" is "ti mẹ", not "time"; "mo dem" "mô đệm").
    return None if apart.question and all(is_folded_syllable(s.folded) for s in pair) else pair


def _code_and_number(pair: list[Syllable]) -> bool:
    """Tell whether two words are a code of at most MAX_CODE_LETTERS letters and a number ("u 23")."""
    code, number = pair[0].folded, pair[1].folded
    return code.isascii() and code.isalpha() and len(code) <= MAX_CODE_LETTERS and number.isdigit()


def _joined_words(groups: list[list[Clause]], apart: _Apart) -> list[str]:
    """Return the word each pair of groups that could be one word typed apart would make."""
    pairs = (_apart_pair(groups, index, apart) for index in range(len(groups) - 1))
    return ["".join(s.folded for s in pair) for pair in pairs if pair]


def _parts_a_word(groups: list[list[Clause]], index: int, word: str, vocabulary: Vocabulary, text: str) -> bool:
    """Tell whether joining the pair of groups at index would part a word: the syllable typed before it
    and its first, or its second and the syllable typed after it (only spaces between), are pyvi's word
    in more articles than hold the joined word ("vi vo chong": "vợ chồng", not "Vivo")."""
    for first, second in ((index - 1, index), (index + 1, index + 2)):
        if first < 0 or second >= len(groups):
            continue
        one, other = groups[first][0].syllables, groups[second][0].syllables
        # The neighbour's syllable next to the pair, and the pair's.
        before, after = one[-1], other[0]
        if text[before.end : after.start].isspace() and vocabulary.frequency(
                COMPOUND_JOINER.join((before.folded, after.folded))) > vocabulary.frequency(word):
            return True
    return False


def _held_joined(word: str, vocabulary: Vocabulary) -> bool:
    """Tell whether the index holds a joined word in SPLIT_MIN_DF articles and it is no Vietnamese
    syllable ("to an" is no "toàn")."""
    return not is_folded_syllable(word) and vocabulary.frequency(word) >= SPLIT_MIN_DF


def _join_meant(word: str, pair: list[Syllable], vocabulary: Vocabulary) -> bool:
    """Tell whether two words typed apart read as the one word they make: held by JOIN_RATIO times
    as many articles as hold the two as one word of their own, pyvi's compound ("chat gpt": 5 articles
    write "ChatGPT", none "Chat GPT"; "ha noi" is one word "Hà Nội" far more often than "hanoi" is
    written), and by no fewer than hold them in a row.  Not 20 times those: where the two are no word of
    their own, their runs stand across two words ("mo di": "Modi" in 20 articles, the two in a row in 13,
    never one word)."""
    folded = [s.folded for s in pair]
    joined = vocabulary.frequency(word)
    if joined < JOIN_RATIO * vocabulary.frequency(COMPOUND_JOINER.join(folded)):
        return False
    return joined >= vocabulary.phrase_frequency(folded)


# Abbreviations ----------------------------------------------------------------------------

# What may stand between the words of a form as typed: spaces, and the dots, hyphens, slashes and
# ampersands of "TP.HCM", "e-mail", "CT/TW", "KH&CN".
_FORM_MARKS_RE = re.compile(r"[\s.\-/&]")


def _expand_abbreviations(groups: list[list[Clause]], abbreviations: Abbreviations,
                          understood: Understood, parsed: ParsedQuery) -> list[list[Clause]]:
    """Return the groups with every dictionary form found joined to its other forms (a loanword's
    only in a short query; parsed: the query as parsed, whose text names a form as typed)."""
    out: list[list[Clause]] = []
    short = is_short(parsed)
    index = 0
    while index < len(groups):
        match = _longest_form(groups, index, abbreviations, short)
        if match is None:
            out.append(groups[index])
            index += 1
            continue
        size, key = match
        typed = [c for g in groups[index : index + size] for c in g if not c.alternative]
        syllables = [s for c in typed for s in c.syllables]
        # One typed word keeps what it was ("TP.HCM": joined, one word; a quoted phrase: quoted);
        # several typed words ("thành phố hồ chí minh") become one unquoted word.
        alone = typed[0] if size == 1 else None
        primary = Clause(syllables, phrase=alone.phrase if alone else False, field=typed[0].field,
                         joined=alone.joined if alone else False)
        group = [primary] + [c for g in groups[index : index + size] for c in g if c.alternative]
        forms = [form for form in abbreviations.alternatives(key, short) if not _ordinary_form(form)]
        for form in forms:
            form_syllables = syllables_of(form)
            group.append(Clause(form_syllables, phrase=len(form_syllables) > 1, field=primary.field, alternative=True))
        if any(len(form_key(form)) > len(key) for form in forms):
            # Said for an abbreviation typed; a long form typed takes its abbreviation silently.
            typed_text = _as_typed(parsed.text, syllables)
            understood.notices.append(also_searched(forms, typed_text))
        out.append(group)
        index += size
    return out


def _as_typed(text: str, syllables: list[Syllable]) -> str:
    """Return the words of a form as the reader typed them ("TP.HCM", "e-mail", spaces made one), or its
    syllables apart when the text between them holds more than the marks inside a word."""
    span = text[syllables[0].start : syllables[-1].end]
    if _FORM_MARKS_RE.sub("", span) != "".join(s.raw for s in syllables):
        return " ".join(s.raw for s in syllables)
    return " ".join(span.split())


def _longest_form(groups: list[list[Clause]], index: int, abbreviations: Abbreviations, short: bool):
    """Return (groups spanned, key) of the longest dictionary form starting at a group (a loanword's
    only in a short query), or None."""
    keys: list[str] = []
    best = None
    for size in range(1, MAX_FORM_SYLLABLES + 1):
        if index + size > len(groups):
            break
        typed = [c for c in groups[index + size - 1] if not c.alternative]
        if len(typed) != 1 or (size > 1 and typed[0].field) or _quoted(typed[0]):
            break
        first = typed[0]
        keys += [s.folded for s in first.syllables]
        if len(keys) > MAX_FORM_SYLLABLES:
            break
        if abbreviations.lookup(tuple(keys), short) and not _ordinary_word(first, size, keys, abbreviations):
            best = (size, tuple(keys))
        if not abbreviations.extends(tuple(keys)):
            break  # no form is longer: a pasted paragraph's every word looked up six syllables on
    return best


def _quoted(clause: Clause) -> bool:
    """Tell whether the reader quoted a clause: searched exactly as typed, never as another form
    ("trung ương" in quotes is not also "TW", nor ``"UBND"`` "ủy ban nhân dân"; ``TP.HCM`` still is)."""
    return clause.quoted


def _ordinary_form(form: str) -> bool:
    """Tell whether a form is one Vietnamese syllable ("TƯ"): searched for another form, it would
    find the ordinary word in every article ("tư duy", "đầu tư"), as the index ignores case."""
    key = form_key(form)
    return len(key) == 1 and is_syllable(key[0])


def _ordinary_word(clause: Clause, size: int, keys: list[str], abbreviations: Abbreviations) -> bool:
    """Tell whether a one-syllable form is typed as an ordinary word ("tu" is "từ", "tư", "tự"...,
    not "TƯ"): a Vietnamese syllable not written exactly as one of the dictionary's forms."""
    if size != 1 or len(keys) != 1 or not is_syllable(keys[0]):
        return False
    raw = clause.syllables[0].raw
    return not any(raw == form for entry in abbreviations.lookup(tuple(keys)) for form in entry.forms)
