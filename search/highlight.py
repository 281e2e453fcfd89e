"""Snippets: mark the query's words in the ORIGINAL accented text, escape everything else.

No analysis runs here (and no pyvi): each folded query syllable becomes a regular expression
that matches every accented spelling of it (``bo`` matches ``Bộ``, ``bò``, ``BỎ``), so a scan of
the stored text finds the words that matched, with their exact offsets, at C speed.  Quoted
phrases become one expression spanning the phrase, so only the phrase is marked.

A term of a spec is either folded (ASCII: every accented spelling matches) or exact (typed
with diacritics: only that spelling matches, in any case and either tone placement), so an
accented query marks only the forms it matched.  With a ``window`` the marks are kept only
where every term of the spec stands within that many syllables, the way the "together" tier
matched (``search.matching``): ``bộ chính trị`` marks "Bộ Chính trị", not "cán bộ".
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from unidecode import unidecode

from search.text import SYLLABLE_RE, fold, normalize_term

FRAGMENT_CHARS = 180
MAX_FRAGMENTS = 3
LEAD_CHARS = 220
MAX_SPANS_CONSIDERED = 400
ELLIPSIS = " … "
_WORD_EDGE_BEFORE = r"(?<![^\W_])"
_WORD_EDGE_AFTER = r"(?![^\W_])"
_BETWEEN_SYLLABLES = r"[\W_]+"


def _letter_classes() -> dict[str, str]:
    """Map each ASCII letter to a regex class of every Latin letter that folds to it."""
    classes: dict[str, set[str]] = {}
    for codepoint in list(range(0x41, 0x7B)) + list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        char = chr(codepoint)
        if not char.isalpha() or unicodedata.normalize("NFC", char) != char:
            continue
        folded = unidecode(char).lower()
        if len(folded) == 1 and folded.isascii() and folded.isalpha():
            # Single letters only: U+1E9A upper-cases to "A" + U+02BE, which would then match as an "a".
            classes.setdefault(folded, set()).update(c for c in (char, char.lower(), char.upper()) if len(c) == 1)
    return {letter: "[" + "".join(sorted(chars)) + "]" for letter, chars in classes.items()}


_LETTER_CLASSES = _letter_classes()
# The characters of each letter's class.
_LETTER_CHARS = {letter: frozenset(cls[1:-1]) for letter, cls in _LETTER_CLASSES.items()}
# Which characters of the Basic Multilingual Plane are letters or digits (``[^\\W_]``).
_ALNUM = np.array([chr(code).isalnum() for code in range(0x10000)], dtype=bool)


def syllable_pattern(folded: str) -> str:
    """Return a regex matching any spelling (accents, case) of one folded syllable."""
    if folded.isascii():
        return "".join(_LETTER_CLASSES.get(ch, re.escape(ch)) for ch in folded)
    return "(?i:" + re.escape(folded) + ")"


@dataclass(frozen=True)
class HighlightSpec:
    """What to mark: single terms and phrases (tuples of terms), optionally only close together.

    A term is a folded syllable (any accents match) or an exact one (only its accents match).
    """

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    window: int = 0
    # The words a snippet chooses its fragments by, when not all of them (``anchored_words``): a
    # long query's rarest.  Every word and phrase is still marked inside the fragments.
    anchors: tuple[str, ...] = ()

    def __post_init__(self):
        # The hash the dataclass would compute on every call, computed once: the caches of matches
        # (``_matched_terms``) hash the spec for each spelling a body writes, all fifty words of a
        # long query each time.  The same value.
        object.__setattr__(self, "_hash", hash((self.words, self.phrases, self.window, self.anchors)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self):
        """Pickle the fields alone: another process hashes strings otherwise."""
        return HighlightSpec, (self.words, self.phrases, self.window, self.anchors)

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)


def _is_exact(term: str) -> bool:
    """Tell whether a spec term asks for its exact spelling (it was typed with diacritics)."""
    return fold(term) != term


@lru_cache(maxsize=512)
def compile_spec(spec: HighlightSpec) -> re.Pattern | None:
    """Return one regex matching every phrase and word of a spec (phrases first), accents aside.

    When every word and phrase folds to ASCII (nearly always), the regex begins with the class of
    every letter a match can begin with (``_led_by_first_letters``): ``re`` then skips the
    characters outside it without trying a match there, half the time of a body's scan.  It
    matches what the plain alternation (``alternation_pattern``) matches, span for span.
    """
    branches = _first_letter_branches(spec)
    if branches is not None:
        return re.compile(_led_by_first_letters(branches)) if branches else None
    alternation = alternation_pattern(spec)
    return re.compile(alternation) if alternation else None


def alternation_pattern(spec: HighlightSpec) -> str:
    """Return the regex source of a spec as a plain alternation between word edges ('' for nothing)."""
    alternatives = [_BETWEEN_SYLLABLES.join(syllable_pattern(fold(s)) for s in phrase) for phrase in spec.phrases]
    folded_words = {fold(w) for w in spec.words}
    alternatives += [syllable_pattern(w) for w in sorted(folded_words, key=len, reverse=True) if not w.isascii()]
    ascii_words = [w for w in folded_words if w.isascii()]
    if ascii_words:
        alternatives.append(_trie_pattern(ascii_words))
    if not alternatives:
        return ""
    return _WORD_EDGE_BEFORE + "(?:" + "|".join(alternatives) + ")" + _WORD_EDGE_AFTER


def _first_letter_branches(spec: HighlightSpec) -> list[tuple[str, str]] | None:
    """Return the alternatives of ``alternation_pattern``, in its order, each split into its first
    character and the regex of the rest: the phrases, then the first letters of the words' tree.
    None when a word or syllable does not fold to ASCII letters and digits (or is empty)."""
    branches = []
    for phrase in spec.phrases:
        syllables = [fold(s) for s in phrase]
        if not syllables or not all(s and s.isascii() for s in syllables):
            return None
        rest = [syllable_pattern(s) for s in syllables[1:]]
        branches.append((syllables[0][0], _BETWEEN_SYLLABLES.join([syllable_pattern(syllables[0][1:]), *rest])))
    folded_words = {fold(w) for w in spec.words}
    if not all(w and w.isascii() for w in folded_words):
        return None
    tree = _word_tree(folded_words)
    # The tree's first branches, as ``_branch_pattern`` orders them (the root never ends a word).
    branches += [(ch, _branch_pattern(child)) for ch, child in sorted(tree.items())]
    return branches


def _led_by_first_letters(branches: list[tuple[str, str]]) -> str:
    """Return the regex of ``alternation_pattern`` written to start with a character class.

    ``(?<![^\\W_])(?:F1R1|F2R2|...)`` (Fi one character's class, Ri the rest) becomes
    ``[F1F2...](?<![^\\W_].)(?:(?<=F1)R1|(?<=F2)R2|...)``: the first character is taken by the class
    of them all, the word edge is looked for before it, and each branch looks back at it to see
    whether it begins there, in the same order.  At each place it tries what the alternation tries,
    so it finds the same matches; a pattern that starts with a class lets ``re`` search for the
    next character in it at C speed instead of trying every place.
    """
    firsts = [_LETTER_CLASSES.get(ch, re.escape(ch)) for ch, _ in branches]
    chars = sorted({c for ch, _ in branches for c in _LETTER_CHARS.get(ch, ch)})
    union = "[" + "".join(re.escape(c) for c in chars) + "]"
    alternatives = "|".join(f"(?<={first}){rest}" for first, (_, rest) in zip(firsts, branches, strict=True))
    return union + r"(?<![^\W_](?s:.))(?:" + alternatives + ")" + _WORD_EDGE_AFTER


def _trie_pattern(words: list[str]) -> str:
    """Return a regex matching any spelling of any of the folded ASCII words, as a tree of their
    shared beginnings (``b(?:o|a(?:n|o))``): the scan tries each letter once at each place, not
    each word.  It matches what the words' alternation matches: a letter class matches one
    character, and with a word edge on both sides only the word of the text's length can match."""
    return _branch_pattern(_word_tree(words))


def _word_tree(words) -> dict:
    """Return the words as a tree of their letters ({letter: subtree}, "" where a word ends)."""
    tree: dict = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return tree


def _branch_pattern(node: dict, classes: dict[str, str] = _LETTER_CLASSES) -> str:
    """Return the regex of a node of ``_trie_pattern``'s tree (its end, "", optional), each letter
    written as its class in classes (by default every spelling of it; none: the letter itself)."""
    branches = [classes.get(ch, re.escape(ch)) + _branch_pattern(child, classes)
                for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    inner = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return "(?:" + inner + ")?" if "" in node else inner


@lru_cache(maxsize=512)
def _accepted(spec: HighlightSpec) -> tuple[dict[str, frozenset | None], dict[tuple[str, ...], list]]:
    """Return {folded word: exact forms wanted, None for any} and {folded phrase: [its terms]}."""
    words: dict[str, frozenset | None] = {}
    for term in spec.words:
        folded = fold(term)
        if not _is_exact(term) or words.get(folded, frozenset()) is None:
            words[folded] = None
        else:
            words[folded] = words.get(folded, frozenset()) | {term}
    phrases: dict[tuple[str, ...], list] = {}
    for phrase in spec.phrases:
        phrases.setdefault(tuple(fold(t) for t in phrase), []).append(phrase)
    return words, phrases


@lru_cache(maxsize=8192)
def _matched_terms(found: str, spec: HighlightSpec) -> tuple[str, ...] | None:
    """Return the spec terms a regex match stands for, or None when its accents were not asked for."""
    words, phrases = _accepted(spec)
    syllables = [normalize_term(s) for s in SYLLABLE_RE.findall(unicodedata.normalize("NFC", found))]
    folded = tuple(fold(s) for s in syllables)
    for phrase in phrases.get(folded, []):
        if all(not _is_exact(t) or t == s for t, s in zip(phrase, syllables)):
            return phrase
    if len(syllables) == 1 and folded[0] in words:
        wanted = words[folded[0]]
        if wanted is None:
            return folded
        if syllables[0] in wanted:
            return (syllables[0],)
    return None


@lru_cache(maxsize=256)
def compile_prefix(folded_prefix: str) -> re.Pattern:
    """Return a regex matching the start of any word whose folded form begins with the prefix."""
    return re.compile(_WORD_EDGE_BEFORE + syllable_pattern(folded_prefix))


def match_spans(text: str, spec: HighlightSpec) -> list[tuple[int, int]]:
    """Return the (start, end) of every match of ``compile_spec(spec)`` in text, in order: the spans
    its ``finditer`` finds.

    When the spec's words and phrases are ASCII letters and digits (nearly always), the text is
    searched folded: each character replaced by the ASCII letter it folds to (``_folded_text``: as
    long as the text, so the offsets are the same), the spec's words looked for as plain letters,
    tried only after a space (``_folded_pattern``).  The letter classes' regex tries a match at
    nearly every letter of a body for a long query (its first letters are most of the alphabet),
    and compiling it costs ~10 ms for a pasted paragraph's words; this one is tried at each word's
    start, with a plain comparison per letter, and compiles in a twentieth of that.
    """
    if not text:
        return []
    folded_pattern = _folded_pattern(spec)
    folded = _folded_text(text) if folded_pattern is not None else None
    if folded is not None:
        return [(match.start(), match.end() - 1) for match in folded_pattern.finditer(folded)]
    pattern = compile_spec(spec)
    return [] if pattern is None else [match.span() for match in pattern.finditer(text)]


def _fold_table() -> np.ndarray:
    """Return each character of the Basic Multilingual Plane as ``_folded_text`` writes it: a letter
    of a ``_LETTER_CLASSES`` class as that class's ASCII letter, an ASCII digit as itself, any other
    letter or digit as "#" (in no spec word: only its word edges count), anything else as a space."""
    table = np.full(0x10000, ord(" "), dtype=np.uint32)
    table[_ALNUM] = ord("#")
    for letter, chars in _LETTER_CHARS.items():
        table[[ord(char) for char in chars]] = ord(letter)
    table[[ord(digit) for digit in "0123456789"]] = [ord(digit) for digit in "0123456789"]
    return table


def _folded_text(text: str) -> str | None:
    """Return text with each character written as ``_fold_table`` says, between two spaces (so the
    folded text's character i + 1 is the text's character i); None when the text holds a character
    beyond U+FFFF (the regex of letter classes searches it then)."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if len(codes) and int(codes.max()) >= len(_FOLDED):
        return None
    return " " + _FOLDED[codes].tobytes().decode("utf-32-le") + " "


_FOLDED = _fold_table()


@lru_cache(maxsize=512)
def _folded_pattern(spec: HighlightSpec) -> re.Pattern | None:
    """Return the regex of a spec over ``_folded_text``: what ``alternation_pattern`` matches, its
    alternatives in its order (the phrases, then the tree of the words), each led by a space and
    followed by one (the word edges: a letter or digit of the text is never a space there); a
    match's span is the text's span one on.  None when a word or a phrase's syllable is not ASCII
    letters and digits (its letters' classes are asked of the text itself then)."""
    words = {fold(w) for w in spec.words}
    phrases = [[fold(s) for s in phrase] for phrase in spec.phrases]
    plain = lambda term: bool(_PLAIN_TERM.fullmatch(term))  # noqa: E731
    if not all(map(plain, words)) or not all(phrase and all(map(plain, phrase)) for phrase in phrases):
        return None
    alternatives = [" +".join(phrase) for phrase in phrases]
    if words:
        alternatives.append(_branch_pattern(_word_tree(words), {}))
    return re.compile(" (?:" + "|".join(alternatives) + ")(?= )") if alternatives else None


_PLAIN_TERM = re.compile("[a-z0-9]+")


def find_matches(text: str, spec: HighlightSpec) -> list[tuple[int, int]]:
    """Return the (start, end) spans of text that the spec marks, adjacent words merged."""
    found = []  # (start, end, terms)
    seen: dict[str, tuple[str, ...] | None] = {}  # a text repeats its words: each spelling checked once
    for start, end in match_spans(text, spec):
        written = text[start:end]
        if written not in seen:
            seen[written] = _matched_terms(written, spec)
        terms = seen[written]
        if terms is not None:
            found.append((start, end, terms))
    if spec.window:
        found = _close_together(text, found, spec)
    spans: list[tuple[int, int]] = []
    for start, end, _ in found:
        between = text[spans[-1][1] : start] if spans else ""
        if between and between.strip(" \t\u00a0") == "" and spec.words:
            spans[-1] = (spans[-1][0], end)  # "Bộ Chính trị": one mark, not three
        else:
            spans.append((start, end))
    return spans


def _close_together(text: str, found: list, spec: HighlightSpec) -> list:
    """Keep the matches that lie in a run of spec.window syllables holding every term of the spec."""
    needed = {fold(t) if not _is_exact(t) else t for t in spec.words}
    needed.update(t for phrase in spec.phrases for t in phrase)
    if len(needed) < 2 or not found:
        return found
    numbers = _syllable_numbers(text, [start for start, _, _ in found])
    if len(found) >= CLOSE_TOGETHER_ARRAYS:
        keep = _runs_kept(numbers, [terms for _, _, terms in found], needed, spec.window)
    else:
        placed = list(zip(numbers, (terms for _, _, terms in found)))
        keep = [False] * len(found)
        for first, (position, _) in enumerate(placed):
            held, last = set(), first
            while last < len(placed) and placed[last][0] - position < spec.window:
                held.update(placed[last][1])
                last += 1
            if needed <= held:
                keep[first:last] = [True] * (last - first)
    return [m for m, kept in zip(found, keep) if kept]


# Matches of a text from which ``_close_together`` finds its runs with arrays instead of a loop over
# each match's run (an article's body with a common word: hundreds of matches).
CLOSE_TOGETHER_ARRAYS = 24


def _runs_kept(numbers: list[int], matched: list[tuple[str, ...]], needed: set[str], window: int) -> list[bool]:
    """Return which matches (their syllable numbers, ascending, and the terms each stands for) lie in a
    run that starts at a match and spans fewer than window syllables, holding every needed term:
    what ``_close_together``'s loop keeps, with one array a needed term (how many matches hold it so far)."""
    places = np.asarray(numbers, dtype=np.int64)
    first = np.arange(len(places))
    last = np.searchsorted(places, places + window, side="left")  # each run's end: the first match too far
    index = {term: at for at, term in enumerate(needed)}
    holds = np.zeros((len(index), len(places) + 1), dtype=np.int32)
    pairs = [(index[term], at + 1) for at, terms in enumerate(matched) for term in terms if term in index]
    if pairs:
        rows, columns = zip(*pairs)
        holds[list(rows), list(columns)] = 1
    holds = np.cumsum(holds, axis=1)
    complete = ((holds[:, last] - holds[:, first]) > 0).all(axis=0)
    edges = np.zeros(len(places) + 1, dtype=np.int64)
    np.add.at(edges, first[complete], 1)
    np.add.at(edges, last[complete], -1)
    return (np.cumsum(edges[:-1]) > 0).tolist()


def _syllable_numbers(text: str, offsets: list[int]) -> list[int]:
    """Return the number of the syllable (0 for the first of the text) that starts at or before each
    of offsets: what ``bisect_right`` on the starts of ``SYLLABLE_RE``'s matches gives.

    A syllable starts at a letter or digit (``[^\\W_]``: ``str.isalnum``) that does not follow one;
    a table of which characters are, looked up with numpy, finds them without listing every
    syllable of an article's body (thousands) as regex matches.
    """
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if len(codes) and int(codes.max()) >= len(_ALNUM):
        starts = [m.start() for m in SYLLABLE_RE.finditer(text)]
        return [bisect_right(starts, at) - 1 for at in offsets]
    word = _ALNUM[codes]
    starts = np.flatnonzero(word[1:] & ~word[:-1]) + 1
    if len(word) and word[0]:
        starts = np.concatenate(([0], starts))
    return (np.searchsorted(starts, offsets, side="right") - 1).tolist()




def mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """Return text[start:end] HTML-escaped, with <mark> around the spans inside it."""
    end = len(text) if end is None else end
    out, cursor = [], start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        out.append(html.escape(text[cursor:span_start], quote=False))
        out.append("<mark>" + html.escape(text[span_start:span_end], quote=False) + "</mark>")
        cursor = span_end
    out.append(html.escape(text[cursor:end], quote=False))
    return "".join(out)


def highlight_all(text: str, spec: HighlightSpec) -> str:
    """Return the whole text escaped, with every match marked (titles, article pages)."""
    return mark(text, find_matches(text, spec))


def snippet(text: str, spec: HighlightSpec) -> str:
    """Return up to three fragments of text around its best matches, escaped and marked.

    A spec with anchors (a long query's rarest words) chooses the fragments by the anchors' matches
    alone, and marks every word of the spec inside them: with fifty words nearly every word of a
    body matches, and finding, sorting and weighing hundreds of matches a body was a sixth of a
    pasted paragraph's page.  When no anchor is in the text, every word chooses.
    """
    anchored = find_matches(text, HighlightSpec(spec.anchors)) if spec.anchors and not spec.window else []
    if anchored:
        windows = _best_windows(text, anchored, fill=True)
        fragments = [_marked_fragment(text, start, end, spec) for start, end in windows]
    else:
        spans = find_matches(text, spec)
        if not spans:
            return _lead(text)
        windows = _best_windows(text, spans)
        fragments = [mark(text, spans, start, end).replace("\n", " ") for start, end in windows]
    lead = "…" if windows[0][0] > 0 else ""
    tail = "…" if windows[-1][1] < len(text) else ""
    return lead + ELLIPSIS.join(fragments) + tail


def _marked_fragment(text: str, start: int, end: int, spec: HighlightSpec) -> str:
    """Return text[start:end] escaped, with the spec's matches inside it marked.

    A fragment begins at a word's start and ends at a word's end (``_window``), so its words are
    matched as in the whole text; a phrase running over its edge is not marked in it.
    """
    fragment = text[start:end]
    return mark(fragment, find_matches(fragment, spec)).replace("\n", " ")


def anchored_words(words: tuple[str, ...], frequency: Callable[[str], int], count: int) -> tuple[str, ...]:
    """Return the count words of a spec that the fewest articles hold (frequency: of a folded word),
    the first typed first among equals, in the order typed."""
    distinct = list(dict.fromkeys(words))
    rarest = sorted(range(len(distinct)), key=lambda at: (frequency(fold(distinct[at])), at))[:count]
    return tuple(distinct[at] for at in sorted(rarest))


def _lead(text: str) -> str:
    """Return the escaped opening of a text, cut at a word."""
    if len(text) <= LEAD_CHARS:
        return html.escape(text, quote=False).replace("\n", " ")
    cut = text[:LEAD_CHARS].rsplit(" ", 1)[0]
    return html.escape(cut, quote=False).replace("\n", " ") + "…"


def _best_windows(text: str, spans: list[tuple[int, int]], fill: bool = False) -> list[tuple[int, int]]:
    """Pick up to three non-overlapping windows that cover the most distinct matched words (with fill,
    then the most matches once every word is covered: an anchored snippet's few words).

    Each round takes the first span whose window (the spans starting within ``FRAGMENT_CHARS``)
    brings the most words not yet covered, then the most matches; spans overlapping a window chosen
    are left out.  The spans are tried from the window with the most distinct words down, and a round
    stops once no window left can bring more than the best found (its words not yet covered are at
    most its distinct words): a long query's body holds hundreds of spans, of which a round reads few.
    """
    spans = spans[:MAX_SPANS_CONSIDERED]
    words = [text[s:e].lower() for s, e in spans]
    starts = [s for s, _ in spans]
    ends = [e for _, e in spans]
    # The words of the window starting at each span: (distinct ones, how many).
    ahead = [(set(inside), len(inside)) for inside in
             (words[index : bisect_right(starts, start + FRAGMENT_CHARS - 1)] for index, start in enumerate(starts))]
    # The spans by their window's (distinct words, matches), the most first, the first span first among equals.
    ranked = sorted(range(len(spans)), key=lambda index: (-len(ahead[index][0]), -ahead[index][1], index))
    blocked = [False] * len(spans)
    chosen: list[tuple[int, int]] = []
    covered: set[str] = set()
    for _ in range(MAX_FRAGMENTS):
        best, best_gain = None, (0, 0)
        for index in ranked:
            distinct, count = ahead[index]
            if (len(distinct), count) < best_gain:
                break  # no window further down brings more
            if blocked[index]:
                continue
            gain = (len(distinct - covered) if covered else len(distinct), count)
            if gain > best_gain or (gain == best_gain and best is not None and index < best):
                best, best_gain = index, gain
        if best is None or (chosen and best_gain[0] == 0 and not fill):
            break
        window = _window(text, spans[best])
        # The span crossing the window's end, if any (spans do not overlap: the last starting before it).
        last = bisect_left(starts, window[1]) - 1
        if last >= 0 and ends[last] > window[1]:
            window = (window[0], ends[last])
        if any(window[0] < w_end and window[1] > w_start for w_start, w_end in chosen):
            break
        chosen.append(window)
        # The spans the window overlaps are out; those inside it are covered.
        first = bisect_right(ends, window[0])
        overlapping = range(first, bisect_left(starts, window[1]))
        for index in overlapping:
            blocked[index] = True
        covered.update(words[index] for index in overlapping if starts[index] >= window[0] and ends[index] <= window[1])
    return sorted(chosen)


def _window(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """Return a window of about FRAGMENT_CHARS around a match, widened to whole words."""
    start = max(0, span[0] - FRAGMENT_CHARS // 4)
    end = min(len(text), start + FRAGMENT_CHARS)
    sentence_start = text.rfind(". ", start, span[0])
    if sentence_start != -1:
        start = sentence_start + 2
        end = min(len(text), start + FRAGMENT_CHARS)
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, max(end, span[1])
