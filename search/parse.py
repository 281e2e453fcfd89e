"""Parse what people type into a search box into clauses of normalised syllables.

Syntax: words (all should match), ``"exact phrase"``, ``-excluded`` (word or phrase),
``a OR b``, and ``title:`` / ``category:`` / ``source:`` prefixes.  Anything else is text:
unbalanced quotes, lone operators, symbols and emoji never raise; a query longer than the
cap is cut at a word boundary and the cut is reported, and so is a query of more distinct
syllables than ``Ranking.max_query_terms`` (its later words are left out) or than
``Ranking.max_searched_terms`` (its commonest words are left out: ``keep_rarest``).  A word of
time typed apart in a short query ("hôm nay", "mới nhất") is one phrase (``search.recency``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from search.categories import category_filter
from search.ranking import DEFAULT_RANKING
from search.recency import is_short, join_time_words
from search.text import NUMERAL_RE, NUMERAL_SEPARATORS, SYLLABLE_RE, fold, nfc, normalize_term

MAX_QUERY_CHARS = 256
FIELD_NAMES = ("title", "category", "source")
_TOKEN_RE = re.compile(
    r'(?P<neg>-)?(?:(?P<field>title|category|source):)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))|(?P<quote>")',
    re.IGNORECASE,
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A document's number as administrative texts write it: a number, then numbers and letter codes
# parted by "/" or "-" ("15/2021/QĐ-TTg", "05-CT/TW", "219/QĐ-BYT"); ``is_reference`` tells it from
# a number over a unit ("111/phút", "5/mm").
_REFERENCE_RE = re.compile(r"\d+(?:[/-]\d+)*(?:[/-][^\W\d_]+\d*)+(?:[/-](?:\d+|[^\W\d_]+\d*))*")
_REFERENCE_PART_RE = re.compile(r"[/-]")
# A code: two letters or more, then maybe the number of a term of office ("QH15": the 15th National Assembly).
_CODE_RE = re.compile(r"[^\W\d_]{2,}\d*")


@dataclass(frozen=True)
class Syllable:
    """One query syllable in its three forms."""

    raw: str
    exact: str
    folded: str
    start: int = field(default=-1, compare=False)
    end: int = field(default=-1, compare=False)
    # The separator typed between this syllable and the next when it can bind a number's digit
    # groups ("21/8", "3.500.000": ``text.NUMERAL_SEPARATORS``); "" otherwise.
    link: str = field(default="", compare=False)

    def __post_init__(self):
        # The hash the dataclass would compute on every call, computed once: a long query's readings,
        # pairs and tiers hash its syllables thousands of times a page.  The same value, so sets and
        # dicts of syllables iterate as before.
        object.__setattr__(self, "_hash", hash((self.raw, self.exact, self.folded)))

    def __hash__(self) -> int:
        return self._hash

    def __getstate__(self) -> dict:
        """Return the fields to pickle: not the hash, which another process computes otherwise."""
        return {name: value for name, value in self.__dict__.items() if name != "_hash"}

    def __setstate__(self, state: dict) -> None:
        """Restore a pickled syllable, its hash computed in this process."""
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self.__post_init__()

    @property
    def accented(self) -> bool:
        """Tell whether the syllable was typed with diacritics."""
        return self.exact != self.folded

    @classmethod
    def of(cls, raw: str, start: int = -1, link: str = "") -> Syllable:
        """Normalise a raw syllable (NFC, lower case, canonical tone) and fold it."""
        exact = normalize_term(raw)
        return cls(raw, exact, fold(exact), start, start + len(raw) if start >= 0 else -1, link)


@dataclass
class Clause:
    """Syllables that must all match: as a phrase when quoted; in one field when prefixed."""

    syllables: list[Syllable]
    phrase: bool = False
    field: str | None = None
    # Added by query understanding (another spelling of a typed clause), not typed.
    alternative: bool = False
    # A phrase because its syllables were typed as one word ("TP.HCM", "05-CT/TW"), not quoted.
    joined: bool = False
    # An alternative read from VNI keys of a word the index also holds ("ban2" -> "bàn"): its
    # reading never outranks the word as typed.
    decoded: bool = False
    # Typed as a document's number ("15/2021/QĐ-TTg", "05-CT/TW"): it names one document, so the
    # wider tiers keep it required (``search.matching.is_required``).
    reference: bool = False
    # Typed in quotes, one word or several: searched exactly as typed, never as another form (an
    # abbreviation's, a split, a unit apart) and kept in every tier (``search.matching.is_required``).
    quoted: bool = False

    @property
    def numerals(self) -> tuple[str, ...]:
        """Return the numbers written with separators the clause spells ("21/8", "3.500.000"), each
        indexed whole: the syllables alone would also match "21,8" or the end of "13.500.000"."""
        if not any(syllable.link for syllable in self.syllables):
            return ()
        text = "".join(syllable.raw + (syllable.link or " ") for syllable in self.syllables)
        # A number whose next part was cut off (``_within_terms``: the text ends with its separator) is
        # no number as typed.
        cut_at = len(text) - 1 if text[-1] in NUMERAL_SEPARATORS else None
        return tuple(match.group() for match in NUMERAL_RE.finditer(text) if match.end() != cut_at)


@dataclass
class ParsedQuery:
    """A query as clauses: every group must match (one of its clauses), none of the excluded."""

    text: str
    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    truncated: bool = False
    terms_cut: bool = False
    # The words left out as the commonest of a long query (``keep_rarest``), in query order.
    common_cut: list[str] = field(default_factory=list)
    # Plain syllables typed in a row that the index holds as one word ("chính trị", "nhật bản"), found by
    # query understanding (``search.understand.compounds_of``): the together and all tiers keep each in a row.
    compounds: list[list[Syllable]] = field(default_factory=list)

    @property
    def clauses(self) -> list[Clause]:
        """Return every positive clause, in query order."""
        return [clause for group in self.groups for clause in group]

    @property
    def syllables(self) -> list[Syllable]:
        """Return every positive syllable, in query order."""
        return [s for clause in self.clauses for s in clause.syllables]

    @property
    def typed(self) -> ParsedQuery:
        """Return the query without the alternatives query understanding added (its words as read)."""
        groups = [[c for c in group if not c.alternative] for group in self.groups]
        return ParsedQuery(self.text, groups, self.excluded, self.categories, self.sources, self.truncated,
                           compounds=self.compounds)

    @property
    def is_empty(self) -> bool:
        """Tell whether the query has nothing to match (filters alone may still apply)."""
        return not self.groups

    @property
    def accented(self) -> bool:
        """Tell whether any positive syllable was typed with diacritics."""
        return any(s.accented for s in self.syllables)


def clean_query(text: str, limit: int = MAX_QUERY_CHARS) -> tuple[str, bool]:
    """Return the query in NFC without control characters, cut to limit; tell if it was cut."""
    text = _CONTROL_RE.sub(" ", nfc(text or "")).strip()
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    # Back to the last whitespace of any kind (a pasted text's tabs and newlines separate words too).
    if not text[limit].isspace() and len(cut.split(maxsplit=1)) > 1:
        cut = cut.rsplit(maxsplit=1)[0]
    return cut.strip(), True


def syllables_of(text: str, offset: int = 0) -> list[Syllable]:
    """Return the syllables of a piece of text, with offsets shifted by offset and the separators
    that bind a number's digit groups."""
    matches = list(SYLLABLE_RE.finditer(text))
    return [Syllable.of(match.group(), offset + match.start(), _link(text, match, following))
            for match, following in zip(matches, [*matches[1:], None])]


def _link(text: str, match: re.Match, following: re.Match | None) -> str:
    """Return the one separator between a syllable and the next when it can bind a number, else ""."""
    if following is None or following.start() != match.end() + 1:
        return ""
    separator = text[match.end()]
    return separator if separator in NUMERAL_SEPARATORS else ""


def parse_query(text: str, limit: int = MAX_QUERY_CHARS,
                max_terms: int = DEFAULT_RANKING.max_query_terms) -> ParsedQuery:
    """Parse a search-box query, keeping at most max_terms distinct syllables; never raises."""
    cleaned, truncated = clean_query(text, limit)
    parsed = ParsedQuery(cleaned, truncated=truncated)
    join_next = False
    seen: set[str] = set()  # the folded syllables of the clauses kept so far
    for match in _TOKEN_RE.finditer(cleaned):
        if match.group("quote"):
            continue  # an unbalanced quote: ignore the mark, keep the words
        group = "phrase" if match.group("phrase") is not None else "word"
        content, offset = match.group(group), match.start(group)
        fieldname = (match.group("field") or "").lower() or None
        if match.group("word") == "OR" and not fieldname and not match.group("neg"):
            join_next = bool(parsed.groups)
            continue
        clause = _clause(parsed, content, offset, fieldname, quoted=group == "phrase")
        if clause is not None:
            clause = _within_terms(parsed, clause, max_terms, seen)
        if clause is None:
            continue
        if match.group("neg"):
            clause.phrase = clause.phrase or len(clause.syllables) > 1
            parsed.excluded.append(clause)
        elif join_next:
            parsed.groups[-1].append(clause)
        else:
            parsed.groups.append([clause])
        join_next = False
    if is_short(parsed):
        parsed.groups = join_time_words(parsed.groups)
    return parsed


def _clause(parsed: ParsedQuery, content: str, offset: int, fieldname: str | None, quoted: bool) -> Clause | None:
    """Build the clause of one token, or record a category/source filter; None when empty."""
    if fieldname in ("category", "source"):
        value = " ".join(content.split())
        if value:
            if fieldname == "category":
                parsed.categories.append(category_filter(value))
            else:
                parsed.sources.append(value)
        return None
    syllables = syllables_of(content, offset)
    if not syllables:
        return None
    # The word without the punctuation around it: "(68/NQ-CP)," is the number 68/NQ-CP.
    word = content[syllables[0].start - offset : syllables[-1].end - offset]
    return Clause(syllables, phrase=quoted and len(syllables) > 1, field=fieldname,
                  reference=not quoted and is_reference(word), quoted=quoted)


def unquoted_text(text: str) -> str | None:
    """Return a query with the quotes taken off its quoted words, or None when it quotes none (an
    excluded phrase and a field's keep theirs: ``-"hà nội"`` is one phrase left out)."""
    parts, end = [], 0
    for match in _TOKEN_RE.finditer(text):
        if match.group("phrase") is not None and not match.group("neg") and not match.group("field"):
            # Spaced: '"vàng"sjc' is two words, as parsed.
            parts.append(f'{text[end : match.start()]} {match.group("phrase")} ')
            end = match.end()
    return " ".join(("".join(parts) + text[end:]).split()) if parts else None


def is_reference(word: str) -> bool:
    """Tell whether a word is a document's number: "15/2021/QĐ-TTg", "05-CT/TW", "16/NQ-CP",
    "1234/UBND", "31/2024/QH15"; not a number over a unit ("111/phút", "5/mm") or a date ("15/8/2021").

    Its shape (``_REFERENCE_RE``, with a "/") and one sign of a code: two letter codes, a year,
    or a code typed in capitals.
    """
    if "/" not in word or not _REFERENCE_RE.fullmatch(word):
        return False
    parts = _REFERENCE_PART_RE.split(word)
    codes = [part for part in parts if _CODE_RE.fullmatch(part)]
    year = any(len(part) == 4 and part.isdigit() and part[:2] in ("19", "20") for part in parts[1:])
    return bool(codes) and (len(codes) >= 2 or year or any(code.isupper() for code in codes))


def _within_terms(parsed: ParsedQuery, clause: Clause, max_terms: int, seen: set[str]) -> Clause | None:
    """Return clause cut to the syllables that keep the query within max_terms distinct ones
    (seen: those of the clauses kept before it, updated)."""
    if parsed.terms_cut:
        return None
    kept = []
    for syllable in clause.syllables:
        if syllable.folded not in seen and len(seen) >= max_terms:
            parsed.terms_cut = True  # later words are left out, so the cut is a prefix of the query
            break
        seen.add(syllable.folded)
        kept.append(syllable)
    if not kept:
        return None
    clause.syllables = kept
    clause.phrase = clause.phrase and len(kept) > 1
    return clause


def keep_rarest(parsed: ParsedQuery, budget: int, frequency: Callable[[str], int],
                postings: int | None = None, keep: int = 1) -> ParsedQuery:
    """Return the query without its commonest plain words when it holds more than budget distinct
    syllables (frequency: how many articles hold a term), or when the postings it reads are more
    than postings (None: no such bound) -- but never fewer than keep distinct syllables for the
    postings bound.  The postings read are the articles holding each folded syllable, plus, for
    a syllable typed with accents, those holding each form it was typed in (matched and scored as
    typed too: ``có`` reads ``có`` and ``co``).

    A query's cost is linear in its distinct syllables, and the commonest ones cost the most (the
    longest posting lists) for the least (an idf near zero): a pasted paragraph keeps its
    distinctive words.  Only single-syllable words outside quotes, OR and ``title:`` are left
    out, the commonest first (the later of equally common ones); the cut words are recorded in
    ``common_cut`` as first typed (lower case).
    """
    distinct = dict.fromkeys(s.folded for s in parsed.syllables)
    if len(distinct) <= budget and (postings is None or len(distinct) <= keep):
        return parsed
    fixed = {s.folded for group in parsed.groups for clause in group if not _droppable(group, clause)
             for s in clause.syllables}
    droppable = [folded for folded in distinct if folded not in fixed]
    order = sorted(range(len(droppable)), key=lambda i: (-frequency(droppable[i]), -i))
    cut = max(0, len(distinct) - budget)
    if postings is not None:
        # A syllable typed with accents is read twice: as typed and folded (``search.matching``).
        accented: dict[str, set[str]] = {}
        for syllable in parsed.syllables:
            if syllable.accented and syllable.exact != syllable.folded:
                accented.setdefault(syllable.folded, set()).add(syllable.exact)

        def read(folded: str) -> int:
            return frequency(folded) + sum(frequency(exact) for exact in accented.get(folded, ()))

        # A typed form is held by at most the articles holding its folded syllable: a query within the
        # bound counted so needs no look-up of its typed forms.
        most = sum((1 + len(accented.get(folded, ()))) * frequency(folded) for folded in distinct)
        held = 0 if not cut and most <= postings else (
            sum(read(folded) for folded in distinct) - sum(read(droppable[i]) for i in order[:cut]))
        while cut < len(order) and held > postings and len(distinct) - cut > keep:
            held -= read(droppable[order[cut]])
            cut += 1
    if not cut:
        return parsed
    dropped = {droppable[i] for i in order[:cut]}
    groups = [group for group in parsed.groups
              if not (_droppable(group, group[0]) and group[0].syllables[0].folded in dropped)]
    first = {}
    for syllable in parsed.syllables:
        first.setdefault(syllable.folded, syllable.exact)
    return replace(parsed, groups=groups, common_cut=[first[folded] for folded in distinct if folded in dropped])


def _droppable(group: list[Clause], clause: Clause) -> bool:
    """Tell whether a clause is a plain word keep_rarest may leave out: one syllable, alone in its
    group, not quoted, in no field."""
    return (len(group) == 1 and len(clause.syllables) == 1 and not clause.phrase and not clause.quoted
            and clause.field is None)


def folded_label(text: str) -> str:
    """Return a label (category, source) folded for loose comparison with what was typed."""
    return " ".join(fold(normalize_term(s)) for s in SYLLABLE_RE.findall(unicodedata.normalize("NFC", text)))
