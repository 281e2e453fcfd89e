"""Matching: which articles a query finds, in tiers from the tightest to the widest.

Accents typed are accents meant: a syllable typed with diacritics matches its exact index
term (NFC, lower case, canonical tone placement, so ``hòa`` = ``hoà``); one typed without
matches the folded term, so every accented form.  The two forms sit at the same positions
in the index (``search.text``), so every tier works on either.

Tiers (``TIERS``), each a subset of the next:

* ``together`` -- every group matches and the query's words stand together: all of them
  within a window of 2n syllables (n = the query's syllables) in the title or in the body.
  A compound such as ``chính trị`` is two adjacent syllables, so it is found as a word, not
  as "chỉnh" and "trì" scattered over the article.  A word of time typed apart in a short
  query (``hôm nay``, ``mới nhất``: ``search.recency``) says when, not what: it may stand anywhere.
* ``all`` -- every group matches anywhere in the article.
* ``most`` -- at least half of the words (quoted and ``title:`` clauses, and a document's number
  such as ``15/2021/QĐ-TTg``, stay required).

In the first two, each compound word of the query (``ParsedQuery.compounds``: syllables typed in a
row that the index holds as one word) stands in a row (``kept_whole``): "động đất nhật bản" finds
"động đất" and "Nhật Bản" apart, not "đất" and "nhật" scattered (nor within the window).

``auto`` answers from the first tier that is not empty; each tier is tried with the accents
as typed, then, when that finds nothing, with every syllable folded (``accents == "folded"``), but
the words together folded come before the words as typed apart only when some article writes them
in a row (``_answer``: an accent slipped in a phrase).  The wider tiers are never mixed in: the
response says how many more articles each would add.
Questions (``LONG_QUERY_WORDS`` distinct words or more) rank the articles holding a fifth of
their words, folded (their answers rarely repeat every word); their facets and date-sorted
pages keep to the tier answered from (at most ``most``: half of the words).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace

import numpy as np

from search.codec import JoinedPostings, occurrence_keys
from search.parse import Clause, ParsedQuery, Syllable
from search.ranking import Ranking
from search.recency import time_groups
from search.request import TIERS
from search.schema import TEXT_FIELDS
from search.text import fold

# Queries of this many distinct words are questions: a fifth of their words rank an article.
LONG_QUERY_WORDS = 6
LONG_QUERY_SHARE = 0.2
MOST_SHARE = 0.5
# The together tier's window: this many syllables per query syllable.
WINDOW_PER_SYLLABLE = 2
# A query matched among a set of documents looks its words up in their postings for those documents
# alone when they are at most this fraction of the index (``_docs_among``).
SPARSE_SHARE = 16
# Readings of a query with alternatives scored (combinations of its groups' spellings), at
# most; a long query gets fewer (``Ranking.max_reading_syllables``).
MAX_READINGS = 12
# Documents holding a pair's rarer term checked at once for the pair in a row (``side_by_side``).
PAIR_CHUNK = 64


@dataclass
class Matched:
    """The outcome of matching: the tier answered from and the set every part of a response uses."""

    tier: str
    accents: str
    mask: np.ndarray  # the result set (live documents, before filters)
    tiers: dict[str, np.ndarray] = field(default_factory=dict)  # every tier of the accents used
    ranked: np.ndarray | None = None  # a wider pool relevance ranking may draw from (questions)
    question: bool = False

    @property
    def matching(self) -> str:
        """Return the ``matching`` value of the API: 'all' words, 'most' (a question) or 'any'."""
        if self.tier != "most":
            return "all"
        return "most" if self.question else "any"


def term(syllable: Syllable, exact: bool = True) -> str:
    """Return the index term a query syllable matches: exact when typed with accents, else folded."""
    return syllable.exact if exact and syllable.accented else syllable.folded


def fields_of(clause: Clause) -> tuple[str, ...]:
    """Return the fields a clause searches."""
    return (clause.field,) if clause.field == "title" else TEXT_FIELDS


def is_question(parsed: ParsedQuery) -> bool:
    """Tell whether a query is a question: LONG_QUERY_WORDS distinct words or more."""
    return word_count(parsed) >= LONG_QUERY_WORDS


def word_count(parsed: ParsedQuery) -> int:
    """Return how many words a query has: its distinct syllables, a group with alternative
    spellings ("thành phố hồ chí minh" or "TP.HCM", added by ``search.understand``) or typed as
    one word with inner punctuation ("V-League") counting as one."""
    plain = {s.folded for g in parsed.groups if not is_unit(g) for c in g for s in c.syllables}
    return len(plain) + len(distinct_units(parsed.groups))


def is_unit(group: list[Clause]) -> bool:
    """Tell whether a group counts as one word however many syllables it has: it has spellings
    added by query understanding, or was typed as one word with inner punctuation."""
    return any(c.alternative or c.joined for c in group)


def distinct_units(groups: list[list[Clause]]) -> list[list[Clause]]:
    """Return the groups that count as one word (``is_unit``), a unit typed twice ("V-League ...
    V-League") once, as a plain word typed twice is one word: it matches the same articles."""
    units: dict[tuple, list[Clause]] = {}
    for group in groups:
        if is_unit(group):
            units.setdefault(_unit_key(group), group)
    return list(units.values())


def _unit_key(group: list[Clause]) -> tuple:
    """Return what decides the articles a group matches: its clauses' syllables (as typed, lower
    case), numbers, fields and kinds; not its capitals."""
    return tuple((tuple(s.exact for s in c.syllables), c.numerals, c.phrase, c.field, c.alternative, c.joined,
                  c.decoded, c.reference, c.quoted) for c in group)


def is_required(group: list[Clause]) -> bool:
    """Tell whether a group stays required in the wider tiers (``at_least``): a phrase the reader
    quoted, a clause in a field, or a document's number ("15/2021/QĐ-TTg" names one document:
    the articles holding the other words without it are about something else)."""
    return _quoted_or_in_field(group) or any(c.reference for c in group if not c.alternative)


def _cites(group: list[Clause]) -> bool:
    """Tell whether a group is required only as a document's number (``is_required``)."""
    return any(c.reference for c in group if not c.alternative) and not _quoted_or_in_field(group)


def _quoted_or_in_field(group: list[Clause]) -> bool:
    """Tell whether a typed clause of a group is a phrase the reader quoted or in a field."""
    # Phrases joined by query understanding ("TP.HCM") are words, not quotes the reader typed.
    return any(c.quoted or c.field for c in group if not c.alternative)


def required_groups(parsed: ParsedQuery, share: float = MOST_SHARE) -> tuple[list[list[Clause]], list[list[Clause]]]:
    """Return (the groups the tier holding share of the words keeps required, the other groups): the
    documents' numbers of a query citing several are one group, held by an article citing any of them.

    A question's pool (a share below MOST_SHARE) keeps no document's number: it ranks answers, and an
    answer may not cite the document its question names (its result set, the ``most`` tier, does).
    A word of time (``search.recency.time_groups``) is neither: "Harvard hôm nay" is about Harvard,
    and no article saying "hôm nay" without it is; the tier of a query of words of time alone holds
    every one of them.
    """
    timed = time_groups(parsed)
    groups = [g for number, g in enumerate(parsed.groups) if number not in timed] or parsed.groups
    required = [g for g in groups if is_required(g) and (share >= MOST_SHARE or not _cites(g))]
    optional = [g for g in groups if g not in required]
    # "Nghị quyết 68/NQ-CP và Quyết định 23/2021/QĐ-TTg": an answer often cites one of the two.
    numbers = [g for g in required if _cites(g)]
    if len(numbers) > 1:
        required = [g for g in required if not _cites(g)] + [[c for g in numbers for c in g]]
    return required, optional


def match(ctx, parsed: ParsedQuery, mode: str = "auto", among: np.ndarray | None = None,
          read: np.ndarray | None = None) -> Matched:
    """Return the result set of a query in the requested mode (see the module docstring).

    among, when given, is the answer of ``auto`` for the query with every syllable folded (the same
    clauses otherwise, nothing excluded: ``folded_key`` equal): the answer of the query in ``auto``
    is then found among those documents alone, and is the same (``tiers_among``).  The tiers other
    than the one answered from then hold only documents among them.

    read, when given, holds every document the caller reads of the tiers (its filters that every
    count applies): the together tier, the one that reads positions, then holds those alone, and is
    searched beyond them only to tell whether it finds anything (which decides the tier).  A
    question's tiers are whole: its page falls back to a wider pool when its tier is empty.
    """
    live = ctx.snapshot.live
    if parsed.is_empty:
        everything = ~excluded(ctx, parsed, True) & live
        return Matched("all", "exact", everything, {t: everything for t in TIERS})
    within = None if among is None else among & live
    read = None if is_question(parsed) else read
    forms = {"exact": tier_masks(ctx, parsed, True, live, within, read)}
    folded = ((lambda: tier_masks(ctx, parsed, False, live, within, read)) if parsed.accented
              else (lambda: forms["exact"]))
    # A question's words are seldom written in a row: its words together, whatever their accents, come first.
    slipped = lambda: is_question(parsed) or in_a_row(ctx, parsed, forms["folded"]["all"])  # noqa: E731
    tier, accents = _answer(forms, folded, mode, slipped)
    if within is not None and tier != "together" and "folded" in forms and forms["folded"].finds("together"):
        # The words as typed, apart, passed over the folded words together: they are beyond the
        # unaccented query's answer (its together tier), so they are matched in the whole index.
        return match(ctx, parsed, mode, None, read)
    tiers = forms[accents]
    matched = Matched(tier, accents, tiers[tier], tiers, question=is_question(parsed))
    # A question whose words stand together somewhere is answered from there, as any query is.
    if matched.question and mode == "auto" and tier != "together":
        # Folded, as before tiers: the ranking (exact accents score higher) sorts them out.
        # Computed once for a query context: "did you mean" ranks the question with its accents
        # restored, whose words folded are the same.
        pool = ctx.remember(("at least", folded_key(parsed), LONG_QUERY_SHARE),
                            lambda: at_least(ctx, parsed, False, LONG_QUERY_SHARE))
        matched.ranked = (pool & live) | matched.mask
    return matched


def _answer(forms: dict[str, dict], folded, mode: str, slipped) -> tuple[str, str]:
    """Return (tier, accents) to answer from: the tightest tier that finds something, exact first.

    A tier is tried with the accents as typed, then, when that finds nothing, folded (the
    folded tiers are computed then, into forms), before the next tier.  The words together
    with other accents are taken before the words as typed apart only when some article writes
    them in a row as typed, or the query is a question (slipped: ``in_a_row``): an accent slipped in
    a phrase ("bóng đa" for "bóng đá").  Otherwise the words as typed, apart, are what was meant
    ("việt nam mưa": "Việt Nam" and "mưa" apart, not "Việt Nam mùa" together).
    """
    for tier in TIERS if mode == "auto" else (mode,):
        if forms["exact"].finds(tier):
            return tier, "exact"
        if "folded" not in forms:
            forms["folded"] = folded()
        if forms["folded"].finds(tier) and (tier != "together" or mode != "auto"
                                            or not forms["exact"].finds("all") or slipped()):
            return tier, "folded"
    return ("all" if mode == "auto" else mode), "exact"


def in_a_row(ctx, parsed: ParsedQuery, candidates: np.ndarray) -> bool:
    """Tell whether any of the candidates writes the query's typed plain words in a row, folded."""
    typed = plain_syllables(parsed.typed)
    return len(typed) > 1 and bool(clause_mask(ctx, Clause(typed, phrase=True), False, candidates).any())


def tier_masks(ctx, parsed: ParsedQuery, exact: bool, live: np.ndarray, within: np.ndarray | None = None,
               read: np.ndarray | None = None) -> Tiers:
    """Return {tier: live documents matching it} with exact or folded accents (the ``most`` tier
    computed when first asked: "did you mean"'s search of a query answered from a tighter tier never
    asks); only those within, when given (live ones): each word looked up in them alone.  With read,
    the together tier holds only the documents read (``match``)."""
    if within is None:
        every = all_words(ctx, parsed, exact) & live
        most = lambda: (at_least(ctx, parsed, exact, MOST_SHARE) & live) | every  # noqa: E731
    else:
        every = all_words(ctx, parsed, exact, within, sparse=True)
        most = lambda: (at_least(ctx, parsed, exact, MOST_SHARE) & within) | every  # noqa: E731
    if read is None:
        kept = kept_whole(ctx, parsed, exact, every)
        return Tiers({"together": together(ctx, parsed, exact, kept), "all": kept}, most=most)
    # Whether words stand together is a matter of each article alone: the tier among the documents
    # read is the whole tier's part there (a date range of a common query: a fraction of its positions).
    # Beyond them it is searched only when it finds nothing among them; so are the compounds in a row
    # of the all tier, when the query has any.
    kept = kept_whole(ctx, parsed, exact, every & read) if parsed.compounds else every
    kept_beyond = lambda: ctx.remember(("kept beyond", id(parsed), exact),  # noqa: E731
                                       lambda: kept_whole(ctx, parsed, exact, every & ~read))
    found = {"together": lambda: together(ctx, parsed, exact, kept_beyond()).any()}
    if parsed.compounds:
        found["all"] = lambda: kept_beyond().any()
    return Tiers({"together": together(ctx, parsed, exact, kept & read), "all": kept}, most=most, found=found)


def kept_whole(ctx, parsed: ParsedQuery, exact: bool, candidates: np.ndarray) -> np.ndarray:
    """Return the candidates holding each of the query's compound words in a row (``ParsedQuery.compounds``:
    "động đất" and "nhật bản", not "đất" and "nhật" scattered over an article): candidates itself when
    the query has none."""
    found = candidates
    for compound in parsed.compounds:
        if not found.any():
            break
        found = clause_mask(ctx, Clause(compound, phrase=True), exact, found)
    return found


def folded_key(parsed: ParsedQuery) -> tuple:
    """Return what matching reads of a query with every syllable folded: two queries of the same key
    differ at most by accents typed (``match``'s among)."""
    def clause(c: Clause) -> tuple:
        return (tuple(s.folded for s in c.syllables), c.phrase, c.field, c.alternative, c.joined, c.decoded,
                c.reference, c.numerals, c.quoted)

    return (tuple(tuple(clause(c) for c in group) for group in parsed.groups),
            tuple(clause(c) for c in parsed.excluded), tuple(parsed.categories), tuple(parsed.sources))


class Tiers(dict):
    """{tier: mask}, the tiers given as functions computed when first asked (then kept).

    found names the tiers whose masks hold only part of what they match (``match``'s read), each with
    a function telling whether the tier finds anything beyond its mask.
    """

    def __init__(self, masks: dict[str, np.ndarray], found: dict | None = None, **later):
        super().__init__(masks)
        self._later = later
        self._found_beyond = found or {}

    def finds(self, tier: str) -> bool:
        """Tell whether a tier matches any document, within its mask or beyond it."""
        if self[tier].any():
            return True
        beyond = self._found_beyond.get(tier)
        return beyond is not None and bool(beyond())

    def __missing__(self, tier: str) -> np.ndarray:
        if tier not in self._later:
            raise KeyError(tier)
        self[tier] = mask = self._later.pop(tier)()
        return mask


# The tiers --------------------------------------------------------------------------------


def clause_mask(ctx, clause: Clause, exact: bool = True, within: np.ndarray | None = None,
                sparse: bool = False) -> np.ndarray:
    """Return the documents matching a clause: all its syllables, as a phrase if quoted, and the
    numbers it writes with separators as written (read-only for a single word); only among the
    documents within when given (a phrase's positions are read in those alone; with sparse, each
    word's postings too, unless this query marked its documents already)."""
    fields = fields_of(clause)
    terms = [term(s, exact) for s in clause.syllables]
    if len(terms) == 1 and not clause.phrase:
        if within is not None:
            return _docs_among(ctx, terms[0], fields, within) if sparse else ctx.docs_with(terms[0], fields) & within
        return ctx.docs_with(terms[0], fields)  # read-only, shared by the query's every use of the word
    mask = np.ones(ctx.size, dtype=bool) if within is None else within.copy()
    for name in (*terms, *clause.numerals):
        if sparse and within is not None:
            mask = _docs_among(ctx, name, fields, mask)
            continue
        mask &= ctx.docs_with(name, fields)
    if clause.phrase and mask.any():
        mask &= _phrase_among(ctx, terms, fields, mask)
    return mask


def _docs_among(ctx, name: str, fields: tuple[str, ...], within: np.ndarray) -> np.ndarray:
    """Return which documents within hold a term in any of fields (``docs_with`` & within): looked up
    in the term's postings for those documents alone, unless this query marked its documents already
    or they are not few (more than 1/``SPARSE_SHARE`` of the index)."""
    docs = np.flatnonzero(within)
    if len(docs) * SPARSE_SHARE >= ctx.size or ctx.remembers(("docs", name, fields)):
        return ctx.docs_with(name, fields) & within
    found = np.zeros(ctx.size, dtype=bool)
    for fieldname in fields:
        postings = ctx.postings(fieldname, name)
        found[postings.ids[postings.rows_of(docs)]] = True
    return found


def _phrase_among(ctx, terms: list[str], fields: tuple[str, ...], candidates: np.ndarray) -> np.ndarray:
    """Return which candidates hold terms in a row in one of fields, reading positions only in the
    candidates this query context has not looked at yet (a question's tiers ask for a phrase among
    several sets of articles; the first ask may be for all of them)."""
    looked, found = ctx.remember(("phrase among", tuple(terms), fields),
                                 lambda: [np.zeros(ctx.size, dtype=bool), np.zeros(ctx.size, dtype=bool)])
    unread = candidates & ~looked
    if unread.any():
        found |= phrase_docs(ctx, terms, fields, np.flatnonzero(unread))
        looked |= unread
    return found & candidates


def all_words(ctx, parsed: ParsedQuery, exact: bool = True, within: np.ndarray | None = None,
              sparse: bool = False) -> np.ndarray:
    """Return the documents matching every group of the query and no excluded clause (only among those
    within, when given; with sparse, each word is looked up in the documents still holding the
    groups before it: ``clause_mask``).

    Groups with a phrase come last: its positions are read only in the documents holding the rest.
    """
    mask = np.ones(ctx.size, dtype=bool) if within is None else within.copy()
    phrased = [any(clause.phrase for clause in group) for group in parsed.groups]
    for at in sorted(range(len(parsed.groups)), key=phrased.__getitem__):
        group = parsed.groups[at]
        if not mask.any():
            return mask  # no document holds the groups so far (a long query soon): the rest cannot add one
        among = mask if phrased[at] or sparse else None
        group_mask = clause_mask(ctx, group[0], exact, among, sparse)
        for clause in group[1:]:
            group_mask = group_mask | clause_mask(ctx, clause, exact, among, sparse)
        mask &= group_mask
    return mask & ~excluded(ctx, parsed, exact)


def excluded(ctx, parsed: ParsedQuery, exact: bool = True) -> np.ndarray:
    """Return the documents matching any excluded clause."""
    mask = np.zeros(ctx.size, dtype=bool)
    for clause in parsed.excluded:
        mask |= clause_mask(ctx, clause, exact)
    return mask


def at_least(ctx, parsed: ParsedQuery, exact: bool, share: float) -> np.ndarray:
    """Return the documents holding at least share of the query's words (at least one).

    Quoted and field clauses (and documents' numbers, but in a question's pool) stay required; the
    other words become optional (``required_groups``).
    """
    required, optional = required_groups(parsed, share)
    # A group with spellings added by query understanding counts as one word, held when any
    # of its clauses matches ("hlv" or "huấn luyện viên"); so does a word typed with inner
    # punctuation ("V-League"), held as a whole.
    units = distinct_units(optional)
    words = {(term(s, exact), fields_of(c)) for g in optional if not is_unit(g) for c in g for s in c.syllables}
    if not (words or units):
        return all_words(ctx, replace(parsed, groups=required), exact) if required else ~excluded(ctx, parsed, exact)
    # One byte a document while it can count every word (a third of the memory traffic of int32).
    held = np.zeros(ctx.size, dtype=np.uint8 if len(words) + len(units) < 256 else np.int32)
    for name, fields in words:
        held += ctx.docs_with(name, fields)
    needed = max(1, math.ceil(share * (len(words) + len(units))))
    possible = held
    if units:
        # Where each unit's syllables are held (a unit holds them wherever it is found).
        could = [_group_mask(ctx, [replace(clause, phrase=False) for clause in group], exact) for group in units]
        possible = held.copy()
        for syllables in could:
            possible += syllables
    # The required phrases are looked for only in the articles that can hold enough words.
    mask = (all_words(ctx, replace(parsed, groups=required), exact, possible >= needed) if required
            else ~excluded(ctx, parsed, exact))
    if units:
        # A unit is often a phrase ("đô la", "V-League", "9,5"), whose positions are read in every
        # article holding its syllables (common ones at 600,000 articles): it is looked for only in
        # the articles it decides, those holding too few words without it but enough with it and
        # every unit left whose syllables they hold (the others are in, or out, whatever it holds).
        # Each unit found settles articles for the next: the units are read from the one whose
        # syllables the fewest articles hold.
        left = possible - held
        for at in sorted(range(len(units)), key=lambda at: int(could[at].sum())):
            undecided = mask & (held < needed) & (held + left >= needed)
            left -= could[at]
            held += _group_mask(ctx, units[at], exact, undecided)
    return mask & (held >= needed)


def _group_mask(ctx, group: list[Clause], exact: bool, within: np.ndarray | None = None) -> np.ndarray:
    """Return the documents (within the given ones) matching any clause of a group."""
    mask = clause_mask(ctx, group[0], exact, within)
    for clause in group[1:]:
        mask = mask | clause_mask(ctx, clause, exact, within)
    return mask


def together(ctx, parsed: ParsedQuery, exact: bool, candidates: np.ndarray) -> np.ndarray:
    """Return the candidates where one reading of the query has its words within its window.

    A query with spellings added by query understanding ("TP.HCM" for "tphcm") has a reading
    per combination of them (``readings``): its words stand together in an article when the
    words of any one reading do.  Each reading looks only in the candidates the readings before
    it did not find (whether a reading's words stand together is a matter of each article alone):
    a long query's dozen readings read every word's positions in the same few articles again.
    """
    found = np.zeros(ctx.size, dtype=bool)
    for reading in context_readings(ctx, parsed):
        found |= _together(ctx, reading, exact, candidates & ~found)
    return found


def readings(parsed: ParsedQuery, limit: int = MAX_READINGS) -> list[ParsedQuery]:
    """Return the ways to read a query: as typed first, then with its groups read as their
    alternatives (the spellings query understanding added: "hlv" for "huấn luyện viên"), every
    combination, at most limit (``reading_limit``); a word typed twice is read alike at each place.

    A document scores as its best reading, so an article writing "HLV Park" ranks as one
    writing "huấn luyện viên Park" for either query.
    """
    typed, places = parsed.typed, _alike_places(parsed)
    choices = _place_choices(parsed, places)
    found = []
    for combination in itertools.islice(itertools.product(*choices), limit):
        chosen = {at: clause for group_places, clause in zip(places, combination) for at in group_places}
        groups = [[chosen[at]] if chosen.get(at) is not None else list(group)
                  for at, group in enumerate(typed.groups)]
        found.append(replace(typed, groups=groups))
    return found


def _alike_places(parsed: ParsedQuery) -> list[list[int]]:
    """Return the places of the query's groups read otherwise, those alike together (the same words
    and alternatives: "hlv" typed twice), in the order each first stands.

    A reader typing an abbreviation twice in a pasted paragraph means it alike both times: reading
    each place apart doubled its combinations (a paragraph's two "hlv" and two "vn", sixteen) and
    the first dozen read its last places alone."""
    places: dict[tuple, list[int]] = {}
    for at, group in enumerate(parsed.groups):
        if any(clause.alternative for clause in group):
            places.setdefault(tuple(_clause_key(clause) for clause in group), []).append(at)
    return list(places.values())


def _clause_key(clause: Clause) -> tuple:
    """Return what a clause reads, apart from where it stands (its syllables' places in the text)."""
    return (tuple(s.exact for s in clause.syllables), clause.phrase, clause.field, clause.alternative,
            clause.joined, clause.decoded, clause.reference, clause.quoted)


def _place_choices(parsed: ParsedQuery, places: list[list[int]]) -> list[list[Clause | None]]:
    """Return the choices of a reading at each of places (``_alike_places``): as typed (None), or one of
    the alternatives of the group standing there first."""
    return [[None] + [clause for clause in parsed.groups[at[0]] if clause.alternative] for at in places]


def context_readings(ctx, parsed: ParsedQuery) -> list[ParsedQuery]:
    """Return ``readings(parsed, reading_limit(parsed, ctx.ranking))``, listed once per query context for
    each parsed query (its tiers, its scores and its proximity each go through them: a pasted paragraph's
    dozen readings of fifty groups cost ~0.1 ms to list).  The query is kept with them: its id names no
    other query while the context lives."""
    return ctx.remember(("readings", id(parsed)),
                        lambda: (parsed, readings(parsed, reading_limit(parsed, ctx.ranking))))[1]


def reading_limit(parsed: ParsedQuery, ranking: Ranking) -> int:
    """Return how many readings of a query are matched and scored: MAX_READINGS, fewer for a long
    query, so that readings x syllables stays within ``ranking.max_reading_syllables`` (each
    reading scores every syllable and pairs every neighbour)."""
    return max(1, min(MAX_READINGS, ranking.max_reading_syllables // max(1, len(parsed.typed.syllables))))


def readings_cut(parsed: ParsedQuery, ranking: Ranking) -> bool:
    """Tell whether a query has more readings than ``reading_limit`` lets it score."""
    combinations = math.prod(map(len, _place_choices(parsed, _alike_places(parsed))))
    return combinations > reading_limit(parsed, ranking)


def _together(ctx, parsed: ParsedQuery, exact: bool, candidates: np.ndarray) -> np.ndarray:
    """Return the candidates where the query's plain words stand within a window of 2n syllables.

    The plain words are those of groups without OR or a ``title:`` prefix, but a word of time
    (``plain_clauses``; quoted phrases count with their words); with fewer than two distinct terms
    every candidate qualifies.
    """
    if not candidates.any():
        return candidates
    chain = plain_syllables(parsed)
    terms = list(dict.fromkeys(term(s, exact) for s in chain))
    if len(terms) < 2:
        # One word ("VN" read for "việt nam"): the candidates holding this reading's words.
        return candidates & all_words(ctx, parsed, exact)
    found = np.zeros(ctx.size, dtype=bool)
    plain = plain_clauses(parsed)
    if len(plain) == 1 and plain[0].phrase:
        # One quoted phrase: its words in a row are a run within the window, so the candidates holding
        # it need no positions read (the phrase's own search read them); the others are searched.
        found = candidates & clause_mask(ctx, plain[0], exact)
        candidates = candidates & ~found
    docs = np.flatnonzero(candidates)
    if not len(docs):
        return found
    width = window(parsed)
    folded = tuple(dict.fromkeys(fold(name) for name in terms))
    for name in TEXT_FIELDS:
        # Which documents hold a run of the folded words in this field, as far as this query context
        # looked (an unaccented query's page, then "did you mean" searching it with accents restored),
        # and where the runs start in the documents whose starts were kept.
        folded_runs = ctx.remember(("runs", name, folded, width), lambda: FoldedRuns(ctx.size))
        if tuple(terms) == folded:
            unread = docs[~folded_runs.looked[docs]]
            if len(unread):
                folded_runs.add(unread, *_window_runs(ctx, name, terms, unread, width))
            found[docs[folded_runs.runs[docs]]] = True
            continue
        # A run of accented words is a run of their folded forms (both stand at the same positions): a
        # document found to hold no run of those holds none of these, and one of these starts where one
        # of those does.
        wanted = docs[folded_runs.runs[docs] | ~folded_runs.looked[docs]]
        started = folded_runs.started[wanted]
        found[runs_from_starts(ctx, name, terms, folded_runs.starts_in(wanted[started]), width)] = True
        found[window_docs(ctx, name, terms, wanted[~started], width)] = True
    return found


class FoldedRuns:
    """What a query context found of the runs of a query's folded words in one field: the documents
    looked at, those holding a run, those whose runs' starts were kept, and those starts (keys)."""

    def __init__(self, size: int):
        self.looked = np.zeros(size, dtype=bool)
        self.runs = np.zeros(size, dtype=bool)
        self.started = np.zeros(size, dtype=bool)
        self._starts: list[np.ndarray] = []

    def add(self, docs: np.ndarray, found: np.ndarray, starts: np.ndarray | None) -> None:
        """Note that docs were looked at: found (docs) hold a run; starts, unless None, start them all."""
        self.runs[found] = True
        self.looked[docs] = True
        if starts is not None:
            self.started[docs] = True
            self._starts.append(starts)

    def starts_in(self, docs: np.ndarray) -> np.ndarray:
        """Return the kept starts (keys) of the runs in docs (documents whose starts were kept): each
        document's in a row, sorted (each ``add`` is of documents not looked at before)."""
        if not len(docs) or not self._starts:
            return _NO_DOCS
        starts = np.concatenate(self._starts) if len(self._starts) > 1 else self._starts[0]
        wanted = np.zeros(len(self.looked), dtype=bool)
        wanted[docs] = True
        return starts[wanted[starts >> 32]]


def runs_from_starts(ctx, fieldname: str, terms: list[str], starts: np.ndarray, width: int) -> np.ndarray:
    """Return the docs (repeated) where every term occurs in the run of width positions from one of
    starts (keys, each document's in a row, sorted): a run of other words at the same positions
    (``window_docs``'s docs, when starts are every occurrence starting a run of the terms' folded forms)."""
    held = [ctx.postings(fieldname, name) for name in terms]
    for index in anchor_order(held):
        if not len(starts):
            break
        kept = starts >> 32
        docs = kept[np.concatenate(([True], kept[1:] != kept[:-1]))]
        starts = _starting_runs(starts, np.sort(held[index].keys(held[index].rows_of(docs)), kind="stable"), width)
    return starts >> 32


def _starting_runs(starts: np.ndarray, keys: np.ndarray, width: int) -> np.ndarray:
    """Return the starts (keys) with an occurrence of keys (sorted) at or after them, less than width after."""
    nearest = np.concatenate((keys, _KEYS_ABOVE))[np.searchsorted(keys, starts)]  # the next at or after
    return starts[nearest - starts < width]


def plain_clauses(parsed: ParsedQuery) -> list[Clause]:
    """Return the clauses of the groups without OR or a ``title:`` prefix, in query order, but a word of
    time typed apart in a short query ("hôm nay": ``search.recency.time_groups``): it says when, not what."""
    timed = time_groups(parsed)
    return [group[0] for number, group in enumerate(parsed.groups)
            if len(group) == 1 and not group[0].field and number not in timed]


def plain_syllables(parsed: ParsedQuery) -> list[Syllable]:
    """Return the syllables of the plain clauses (``plain_clauses``), in query order."""
    return [s for clause in plain_clauses(parsed) for s in clause.syllables]


def window(parsed: ParsedQuery) -> int:
    """Return the together tier's window in syllables (2n for n plain syllables)."""
    return WINDOW_PER_SYLLABLE * len(plain_syllables(parsed))


def window_docs(ctx, fieldname: str, terms: list[str], docs: np.ndarray, width: int) -> np.ndarray:
    """Return the docs where every term occurs in one run of width positions of a field (a doc may
    be listed more than once: once for each occurrence that starts a run, in the order of their keys).

    Positions are read only in the docs holding the terms in this field, each further term's only in
    the docs still passing (``_near_rarest``); common words hold millions of positions at 60k articles.
    In a few docs (``FEW_WINDOW_DOCS``: a long query's articles holding every word, often only the one
    it was pasted from), every term's positions are read at once (``occurrence_keys``) and searched for
    runs directly: narrowing down term by term cost a dozen array operations for each of fifty terms.
    """
    return _window_runs(ctx, fieldname, terms, docs, width)[0]


def _window_runs(ctx, fieldname: str, terms: list[str], docs: np.ndarray,
                 width: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Return ``window_docs`` and the keys of the occurrences starting the runs (sorted; None when a
    few docs were searched at once, ``_runs_in_few``)."""
    held = [ctx.postings(fieldname, name) for name in terms]
    if (len(docs) <= FEW_WINDOW_DOCS and len(held) > 2 and bool((docs[1:] > docs[:-1]).all())
            and _segment_parts(held) <= FEW_WINDOW_PARTS * len(held)):
        return _runs_in_few(held, docs, width), None
    occurrences, anchors = _near_rarest(ctx, held, docs, width)
    if not all(len(keys) for keys in occurrences):
        return _NO_DOCS, _NO_DOCS
    # A run holding every term starts at an occurrence of one of them: try each as the start,
    # dropping those too far from the next occurrence of a term (the rarest first: it drops the most).
    # A run holds an occurrence of the anchor term close to every other term (anchors), less than width
    # after its start: only the occurrences that far before one are tried (common words at 600,000
    # articles: millions of occurrences sorted and searched, most of them nowhere near a run).
    near = np.concatenate((anchors, _KEYS_ABOVE))
    starts = np.sort(np.concatenate([keys[near[np.searchsorted(anchors, keys)] - keys < width]
                                     for keys in occurrences]), kind="stable")
    for keys in sorted(occurrences, key=len):
        starts = _starting_runs(starts, keys, width)
    return starts >> 32, starts


_NO_DOCS = np.zeros(0, dtype=np.int64)
# At most this many docs are searched for runs without narrowing them down term by term first, when the
# terms' postings are in at most this many segments each on average (reading every term at once costs a
# few array operations per term and segment: an index of many segments narrows down term by term).
FEW_WINDOW_DOCS = 8
FEW_WINDOW_PARTS = 2


def _segment_parts(held: list) -> int:
    """Return how many segments' postings the terms' postings (held) are joined from, in all."""
    return sum(len(postings.parts) if isinstance(postings, JoinedPostings) else 1 for postings in held)


def _runs_in_few(held: list, docs: np.ndarray, width: int) -> np.ndarray:
    """Return ``window_docs`` of a few docs (distinct, ascending; held: the terms' postings): every term's
    occurrences read at once, and each occurrence kept when the run of width positions it starts holds
    an occurrence of every term, counted for all of them at once (a running count of each term's
    occurrences over the occurrences in key order): the starts the term-by-term search keeps."""
    if not len(held[anchor_order(held)[0]].rows_of(docs)):
        return _NO_DOCS  # the term with the fewest positions is in none of them (a title, mostly)
    occurrences = occurrence_keys(held, docs)  # place in docs << 32 | position
    if not all(len(keys) for keys in occurrences):
        return _NO_DOCS
    keys = np.concatenate(occurrences)
    order = np.argsort(keys, kind="stable")
    starts = keys[order]
    owner = np.repeat(np.arange(len(held)), [len(k) for k in occurrences])[order]
    if len(held) * len(starts) > FEW_WINDOW_CELLS:
        return _runs_one_term_at_a_time(occurrences, starts, width, docs)
    # held[:, i]: how many occurrences of each term come before the i-th start (in key order).
    counts = np.zeros((len(held), len(starts) + 1), dtype=np.int32)
    counts[owner, np.arange(1, len(starts) + 1)] = 1
    np.cumsum(counts, axis=1, out=counts)
    ends = np.searchsorted(starts, starts + width)  # the first occurrence at or past each run's end
    kept = ((counts[:, ends] - counts[:, np.arange(len(starts))]) > 0).all(axis=0)
    return docs[starts[kept] >> 32].astype(np.int64, copy=False)


def _runs_one_term_at_a_time(occurrences: list[np.ndarray], starts: np.ndarray, width: int,
                             docs: np.ndarray) -> np.ndarray:
    """Return ``_runs_in_few``'s docs by ``window_docs``'s search, one term after the other."""
    for keys in sorted(occurrences, key=len):
        starts = _starting_runs(starts, keys, width)
    return docs[starts >> 32].astype(np.int64, copy=False)


# Beyond this many (terms x occurrences), a few docs' runs are searched one term at a time.
FEW_WINDOW_CELLS = 200_000


def anchor_order(held: list) -> list[int]:
    """Return the order (indexes of held: terms' postings in a field) in which ``_near_rarest`` reads
    the terms: the fewest positions in the field over the whole index first, counted without reading
    a posting (``Postings.position_count``).  Which term anchors changes how much is read, not the
    runs found (every run holds an occurrence of each term)."""
    return sorted(range(len(held)), key=lambda index: held[index].position_count)


def _near_rarest(ctx, held: list, docs: np.ndarray, width: int,
                 order: list[int] | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Return each term's occurrences (sorted keys ``doc << 32 | position``, in the order of held: the
    terms' postings) in those of docs (distinct, ascending) that hold every term and where an occurrence
    of the anchor term (the first of order, ``anchor_order`` by default) has one of every other term
    less than width away, before or after; and those occurrences of the anchor (sorted keys).

    A run holding every term holds an occurrence of the anchor, and every other term's occurrence in it
    is that close: the other docs cannot hold a run.  The anchor's and the next term's rows are looked
    up in docs (those holding both: where their positions are read); each further term's rows and
    positions only in the docs still passing (a doc without the term has none of its occurrences
    close, and drops out): a fragment's commonest words are read in a few of the candidates, not in
    all of them.  A binary search per occurrence of the anchor still passing for each other term; the
    exact search of runs is left to the docs that pass.
    """
    order = anchor_order(held) if order is None else order
    nothing = [_NO_DOCS] * len(held), _NO_DOCS
    anchor = held[order[0]]
    rows = anchor.rows_of(docs)
    if not len(rows):
        return nothing
    if len(held) == 1:
        keys = np.sort(anchor.keys(rows), kind="stable")
        return [keys], keys
    second = held[order[1]]
    second_rows = second.rows_of(anchor.ids[rows])
    if not len(second_rows):
        return nothing
    alive = second.ids[second_rows]
    if len(second_rows) < len(rows):
        # The anchor's rows of the docs holding the second term as well.
        holding = np.zeros(ctx.size, dtype=bool)
        holding[alive] = True
        rows = rows[holding[anchor.ids[rows]]]
    near = np.sort(anchor.keys(rows), kind="stable")  # the anchor's occurrences still close to every term read
    read = {order[0]: near}
    for index in order[1:]:
        postings = held[index]
        found = second_rows if index == order[1] else postings.rows_of(alive)
        keys = np.sort(postings.keys(found), kind="stable")
        read[index] = keys
        if not len(keys):
            return nothing
        near = near[_close(near, keys, width)]
        kept = near >> 32
        alive = kept[np.concatenate(([True], kept[1:] != kept[:-1]))] if len(kept) else _NO_DOCS
        if not len(alive):
            return nothing
    passed = np.zeros(ctx.size, dtype=bool)
    passed[alive] = True
    return [read[index][passed[read[index] >> 32]] for index in range(len(held))], near


# Keys before and after any occurrence's: an occurrence's key is below 2**63 - 2**32 (doc numbers below 2**31).
_KEYS_BELOW = np.array([-(1 << 62)], dtype=np.int64)
_KEYS_ABOVE = np.array([1 << 62], dtype=np.int64)


def _close(near: np.ndarray, keys: np.ndarray, width: int) -> np.ndarray:
    """Return a mask of the keys of near (sorted) with a key of keys (sorted, not empty) less than width
    away, before or after: a binary search each, among keys between two sentinels (no bounds to check)."""
    padded = np.concatenate((_KEYS_BELOW, keys, _KEYS_ABOVE))
    following = np.searchsorted(keys, near) + 1  # the first key >= each of near, in padded
    return (padded[following] - near < width) | (near - padded[following - 1] < width)


def phrase_docs(ctx, terms: list[str], fields: tuple[str, ...], docs: np.ndarray) -> np.ndarray:
    """Return a mask of the given documents where terms stand in a row in one field."""
    found = np.zeros(ctx.size, dtype=bool)
    for name in fields:
        found[docs[adjacent_counts_of(ctx, name, terms, docs) > 0]] = True
    return found


def adjacent_counts_of(ctx, fieldname: str, terms: list[str], docs: np.ndarray) -> np.ndarray:
    """Return how often terms occur in a row in a field of each of docs (distinct doc numbers, in
    their order): no array of the index's size, which a query's many word pairs would each fill.

    Computed once per query context: a query's readings share most of their word pairs.
    """
    key = ("adjacent", fieldname, tuple(terms), docs.tobytes())
    return ctx.remember(key, lambda: _adjacent_counts(ctx, fieldname, terms, docs))


def _adjacent_counts(ctx, fieldname: str, terms: list[str], docs: np.ndarray) -> np.ndarray:
    """Return how often terms occur in a row in a field of each of docs (in their order)."""
    keys = None
    docs_key = docs.tobytes()
    for offset, name in enumerate(terms):
        occurrences = ctx.remember(("occurrences", fieldname, name, docs_key),
                                   lambda name=name: _occurrences(ctx, fieldname, name, docs))
        if not len(occurrences):
            return np.zeros(len(docs), dtype=np.int32)
        term_keys = occurrences + ((1 << 31) - offset)
        keys = term_keys if keys is None else _sorted_intersection(keys, term_keys)
    order = np.argsort(docs, kind="stable")
    counts = np.zeros(len(docs), dtype=np.int32)
    counts[order] = np.bincount(np.searchsorted(docs[order], keys >> 32), minlength=len(docs))
    return counts


def side_by_side(ctx, first: str, second: str, live: np.ndarray, limit: int, scanned: int) -> list[int]:
    """Return up to limit live documents whose body holds two terms in a row, found among the first
    (in doc number order) of at most scanned documents whose body holds the rarer of the two.

    A sample, not a search: "did you mean" reads how such articles write the pair, and common
    syllables' pairs are in thousands of them, so its cost is bounded whatever the index's size.
    """
    rarer, other = sorted((ctx.postings("body", term).ids for term in (first, second)), key=len)
    found: list[int] = []
    start, chunk = 0, PAIR_CHUNK
    while start < min(len(rarer), scanned):
        docs = _sorted_intersection(rarer[start : min(start + chunk, scanned)], other)
        docs = docs[live[docs]]
        found += docs[_adjacent_counts(ctx, "body", [first, second], docs) > 0].tolist()
        if len(found) >= limit:
            return found[:limit]
        # Common pairs are found in the first few articles; rarer ones need more read at once.
        start, chunk = start + chunk, chunk * 4
    return found


def adjacent_pair_counts(ctx, fieldname: str, pairs: list[tuple[str, str]], docs: np.ndarray) -> np.ndarray | None:
    """Return how often each pair of terms stands in a row in a field of each of docs (distinct doc
    numbers), as an array of (pairs, docs): row i is ``adjacent_counts_of(ctx, fieldname,
    list(pairs[i]), docs)``, count for count.  None when the pairs and the docs are too many to
    number in one 64-bit key (count them pair by pair then).

    A long query's proximity counts dozens of pairs in the same few hundred documents: each term's
    occurrences are read once (``occurrence_keys``, every term in one pass) and every pair's are
    matched in one search, each occurrence keyed by (pair, the doc's place among docs, position),
    rather than with a read, an intersection and a count for each pair.
    """
    if not pairs or not len(docs):
        return np.zeros((len(pairs), len(docs)), dtype=np.int32)
    place_bits = (len(docs) - 1).bit_length()
    if 32 + place_bits + (len(pairs) - 1).bit_length() > 62:
        return None
    order = np.argsort(docs, kind="stable")
    terms = list(dict.fromkeys(term for pair in pairs for term in pair))
    read = dict(zip(terms, occurrence_keys([ctx.postings(fieldname, term) for term in terms], docs[order])))
    # The first word's occurrences one position on, and the second's, each tagged with its pair: an
    # occurrence of the pair is a key in both (a position is below 2**32 - 1: one on stays in its
    # 32 bits).  Both are sorted, pair by pair, each term's keys sorted.
    tags = np.arange(len(pairs), dtype=np.int64) << (32 + place_bits)
    firsts = [read[first] for first, _ in pairs]
    seconds = [read[second] for _, second in pairs]
    after = np.concatenate(firsts) + np.repeat(tags, [len(keys) for keys in firsts]) + 1
    at = np.concatenate(seconds) + np.repeat(tags, [len(keys) for keys in seconds])
    counts = np.zeros((len(pairs), len(docs)), dtype=np.int32)
    if len(after) and len(at):
        both = _sorted_intersection(after, at) >> 32
        counts[:, order] = np.bincount(both, minlength=len(pairs) << place_bits).reshape(len(pairs), -1)[:, :len(docs)]
    return counts


def _sorted_intersection(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Return the values two sorted arrays of distinct values share, ascending.

    The shorter is searched in the longer (a binary search each) when it is under a sixteenth of it;
    arrays nearer in size are merged (a stable sort of two sorted runs merges them in one pass) and a
    value shared is one twice in a row: a long query's tens of thousands of occurrences otherwise cost
    a dozen steps of search each."""
    if not len(first) or not len(second):
        return first[:0]
    short, long = (first, second) if len(first) <= len(second) else (second, first)
    if len(short) * 16 < len(long):
        found = np.searchsorted(long, short)
        found[found == len(long)] = 0
        return short[long[found] == short]
    merged = np.concatenate((first, second))
    merged.sort(kind="stable")
    return merged[1:][merged[1:] == merged[:-1]]


def _occurrences(ctx, fieldname: str, name: str, docs: np.ndarray) -> np.ndarray:
    """Return where a term occurs in a field of the given docs, as sorted keys ``doc << 32 | position``
    (a term's occurrences serve every pair it is part of)."""
    postings = ctx.postings(fieldname, name)
    return postings.keys(postings.rows_of(docs))
