"""The matching tiers of ``search.matching`` as SphinxQL ``MATCH`` texts, for the cluster backend.

The engine's fields (``search.cluster``) hold, per text, the exact syllables and the folded
syllables at the same positions, and the folded compound words.  A syllable typed with accents
is looked up on the exact fields (when the accents are kept), any other on the folded fields.
An unaccented token on the exact fields occurs only where a folded field holds it too, and an
accented one never occurs on a folded field, so a word searched on all four fields matches
exactly where it should: the quorum of the ``most`` tier relies on that.

The tiers, each a ``MATCH`` text:

* ``together`` -- every group matches and, for one reading of the query, its plain words stand
  within 2n syllables in one field: the engine's proximity operator ``"a b c"~N`` (a span of
  fewer than N + k words holding all k).  A query mixing accented and unaccented syllables is
  checked for proximity on the folded fields (its accented words are still required exactly).
* ``all`` -- every group matches: a clause's syllables anywhere in the title or the body,
  ``title:`` clauses in the title, quoted clauses as a phrase (mixed accents: the folded phrase
  plus the accented words), a number written with separators ("21/8") as its token in the
  compound fields besides its syllables.
* ``most`` -- quoted and ``title:`` clauses and a document's number (``required_groups``), and at least
  half of the other words (the quorum
  operator ``"a b c"/k``); a group of spellings added by query understanding counts as one word,
  held when any of its clauses matches.

In the first two, each compound word of the query (``ParsedQuery.compounds``) stands in a row, a
phrase.  Every text ends with the excluded clauses (``-(...)``).
"""

from __future__ import annotations

import itertools
import math
import re

from search.matching import (
    LONG_QUERY_SHARE,
    MOST_SHARE,
    distinct_units,
    is_unit,
    plain_clauses,
    plain_syllables,
    readings,
    required_groups,
    window,
)
from search.parse import Clause, ParsedQuery, Syllable
from search.request import TIERS
from search.sphinxql import EVERY_TOKEN, PLACEHOLDER_TOKEN, engine_token, numeral_token

_FIELDS = {
    ("fold", None): "@(title_fold,body_fold)", ("fold", "title"): "@title_fold",
    ("exact", None): "@(title_exact,body_exact)", ("exact", "title"): "@title_exact",
}
_COMPOUND_FIELDS = {None: "@(title_compound,body_compound)", "title": "@title_compound"}
# Letters a diacritic can change (đ folds to d): a syllable without any has one spelling.
_ACCENTABLE = re.compile("[aeiouyd]")
# Both forms: where a word is searched exactly or folded as its own accents say.
_EVERY_FORM = "@(title_exact,body_exact,title_fold,body_fold)"
_OTHER_SIDE = {"exact": "fold", "fold": "exact"}
EVERYTHING = f"@every {EVERY_TOKEN}"
# Groups of spellings in the most tier are combined by subsets: at most 2**MAX_UNITS parts.
MAX_UNITS = 4


def side_token(syllable: Syllable, exact: bool) -> tuple[str, str]:
    """Return (fields side, engine token) a query syllable is looked up with: exact or folded.

    A syllable no accent can change (a number, letters without a vowel or d) is itself on either
    side: it goes on the exact side, so "Bán nhà 3" is checked for position on the exact fields.
    """
    if exact and (syllable.accented or not _ACCENTABLE.search(syllable.folded)):
        token = engine_token(syllable.exact)
        if token != PLACEHOLDER_TOKEN:
            return "exact", token
    return "fold", engine_token(syllable.folded)


def _field(clause: Clause) -> str | None:
    """Return the field a clause is limited to (None: title and body)."""
    return "title" if clause.field == "title" else None


def clause_text(clause: Clause, exact: bool) -> str:
    """Return the MATCH text of a clause (one parenthesised part): its syllables anywhere, or in a
    row when quoted, and the numbers it writes with separators as written."""
    text = _syllables_text(clause, exact)
    if not clause.numerals:
        return text
    numerals = " ".join(numeral_token(numeral) for numeral in clause.numerals)
    return f"({text} ({_COMPOUND_FIELDS[_field(clause)]} {numerals}))"


def _syllables_text(clause: Clause, exact: bool) -> str:
    """Return the MATCH text of a clause's syllables: anywhere, or in a row when quoted."""
    looked_up = [side_token(s, exact) for s in clause.syllables]
    sides = {side for side, _ in looked_up}
    field = _field(clause)
    if clause.phrase and len(looked_up) > 1:
        if sides == {"exact"}:
            return f'({_FIELDS["exact", field]} "{" ".join(t for _, t in looked_up)}")'
        phrase = f'({_FIELDS["fold", field]} "{" ".join(engine_token(s.folded) for s in clause.syllables)}")'
        accented = [t for side, t in looked_up if side == "exact"]
        # Mixed accents: the phrase folded, and its accented syllables with their accents anywhere.
        return f"({phrase} ({_FIELDS['exact', field]} {' '.join(accented)}))" if accented else phrase
    if len(sides) == 1:
        return f"({_FIELDS[sides.pop(), field]} {' '.join(t for _, t in looked_up)})"
    return "(" + " ".join(f"({_FIELDS[side, field]} {token})" for side, token in looked_up) + ")"


def group_text(group: list[Clause], exact: bool) -> str:
    """Return the MATCH text of a group: any of its clauses."""
    if len(group) == 1:
        return clause_text(group[0], exact)
    return "(" + " | ".join(clause_text(clause, exact) for clause in group) + ")"


def all_text(parsed: ParsedQuery, exact: bool) -> str:
    """Return the positive part of the all tier: every group (everything when there is none)."""
    return " ".join(group_text(group, exact) for group in parsed.groups) or EVERYTHING


def together_text(parsed: ParsedQuery, exact: bool) -> str:
    """Return the positive part of the together tier: every group, and one reading's words together.

    What the proximity of every reading already requires is not asked again: a group whose words
    each reading's proximity holds on the same fields (words, not quoted, not limited to the
    title) is left out of the groups, and a reading whose words are one quoted phrase needs no
    proximity (the phrase stands closer).  The result is the same set of articles; the engine reads
    those words' postings once instead of twice (the facets' grouping of most first searches), and a
    query of one word or one phrase has the same text in the together and all tiers, counted once.
    The page ranks the tier's articles with this text too (its words asked once: the engine reads
    each hit list once).
    """
    together = [(reading, *_reading_together(reading, exact)) for reading in readings(parsed)]
    close = list(dict.fromkeys(text for _, text, _ in together))
    if len(close) == 1 and together[0][2] is None:  # the groups alone hold every reading's proximity
        return all_text(parsed, exact)
    either = close[0] if len(close) == 1 else "(" + " | ".join(close) + ")"
    kept = [group for number, group in enumerate(parsed.groups)
            if not all(held is None or _held(reading.groups[number], exact, held) for reading, _, held in together)]
    return " ".join([*(group_text(group, exact) for group in kept), either])


def _held(group: list[Clause], exact: bool, held: set[tuple[str, str]]) -> bool:
    """Tell whether a reading's group matches wherever the (fields side, token) pairs held are found:
    one clause of words (not a phrase, no field, no number written with separators) each held on its
    side."""
    if len(group) != 1 or group[0].field or (group[0].phrase and len(group[0].syllables) > 1) or group[0].numerals:
        return False
    return all(_held_token(*side_token(s, exact), held) for s in group[0].syllables)


def _held_token(side: str, token: str, held: set[tuple[str, str]]) -> bool:
    """Tell whether a token is held on a side's fields: found there, or on the other side when no accent
    can change it (such a syllable is the same token at the same positions in both)."""
    return (side, token) in held or (not _ACCENTABLE.search(token) and (_OTHER_SIDE[side], token) in held)


def _reading_together(reading: ParsedQuery, exact: bool) -> tuple[str, set[tuple[str, str]] | None]:
    """Return the MATCH text of one reading's plain words standing together and the (fields side, token)
    pairs it requires; None instead of the pairs when the text is the reading's groups (fewer than two
    distinct words, or one quoted phrase: its words stand closer than the window)."""
    chain = plain_syllables(reading)
    looked_up = list(dict.fromkeys(side_token(s, exact) for s in chain))
    accented = []
    if len({side for side, _ in looked_up}) > 1:
        # One proximity cannot mix fields: every word folded stands together, and so do the
        # words with accents, as typed (else "mối" would stand for "mới" in the window).
        accented = [token for side, token in looked_up if side == "exact" and token != PLACEHOLDER_TOKEN]
        looked_up = list(dict.fromkeys(("fold", engine_token(s.folded)) for s in chain))
    looked_up = [(side, token) for side, token in looked_up if token != PLACEHOLDER_TOKEN]
    if len(looked_up) < 2 or (_one_phrase(reading) and len(accented) < 2):
        # A phrase holds its folded (or exact) words in a row; its accented words are only required
        # anywhere, so two or more of them still need their own proximity.
        return f"({all_text(reading, exact)})", None
    tokens = [token for _, token in looked_up]
    together = _near(_FIELDS[looked_up[0][0], None], tokens, window(reading))
    held = set(looked_up)
    if len(accented) > 1:
        together = f"({together} {_near(_FIELDS['exact', None], accented, window(reading))})"
        held |= {("exact", token) for token in accented}
    return together, held


def _one_phrase(reading: ParsedQuery) -> bool:
    """Tell whether a reading's plain words (``plain_syllables``) are those of one phrase."""
    plain = plain_clauses(reading)
    return len(plain) == 1 and plain[0].phrase and len(plain[0].syllables) > 1


def _near(fields: str, tokens: list[str], span: int) -> str:
    """Return the MATCH text of tokens standing within a span of fewer than span + 1 syllables."""
    # The engine's "..."~N: a span of fewer than N + k words holds all k.
    return f'({fields} "{" ".join(tokens)}"~{span - len(tokens) + 1})'


def most_text(parsed: ParsedQuery, exact: bool, share: float = MOST_SHARE) -> str:
    """Return the positive part of the tier holding share of the words (the required groups kept)."""
    required, optional = required_groups(parsed, share)
    units = distinct_units(optional)[:MAX_UNITS]
    looked_up = list(dict.fromkeys(side_token(s, exact) for g in optional if not is_unit(g)
                                   for c in g for s in c.syllables))
    words = list(dict.fromkeys(token for _, token in looked_up))
    # Folded words only need the folded fields (the exact ones would add to their score).
    fields = _EVERY_FORM if any(side == "exact" for side, _ in looked_up) else _FIELDS["fold", None]
    kept = " ".join(group_text(group, exact) for group in required)
    if not words and not units:
        return kept or EVERYTHING
    needed = max(1, math.ceil(share * (len(words) + len(units))))
    # Held: s of the groups of spellings and needed - s of the words, for some s.  The quorum
    # is the costly part, so there is one per s (the groups are combined s at a time).
    choices = []
    for size in range(len(units) + 1):
        rest = needed - size
        if rest > len(words):
            continue
        held = _at_least(units, size, exact)
        # A quorum of every word is an AND (the engine would say so in a warning).
        quorum = "" if rest <= 0 else (f'({fields} {" ".join(words)})' if rest >= len(words)
                                       else f'({fields} "{" ".join(words)}"/{rest})')
        choices.append(" ".join(part for part in (held, quorum) if part))
        if rest <= 0:
            break  # the choices with more groups held are within this one
    either = choices[0] if len(choices) == 1 else "(" + " | ".join(f"({c})" for c in choices) + ")"
    return f"{kept} {either}".strip()


def _at_least(units: list[list[Clause]], count: int, exact: bool) -> str:
    """Return the MATCH text of at least count of the groups matching ('' when count is 0)."""
    if count <= 0:
        return ""
    combinations = [" ".join(group_text(g, exact) for g in held) for held in itertools.combinations(units, count)]
    return combinations[0] if len(combinations) == 1 else "(" + " | ".join(f"({c})" for c in combinations) + ")"


def distinct_tokens(parsed: ParsedQuery, exact: bool) -> list[str]:
    """Return the distinct engine tokens of the words of a query as typed."""
    return list(dict.fromkeys(side_token(s, exact)[1] for s in parsed.typed.syllables))


def in_a_row_text(parsed: ParsedQuery) -> str | None:
    """Return the positive MATCH text of the articles of the all tier, folded, that write the query's
    typed plain words in a row (``matching.in_a_row``); None when it has fewer than two."""
    typed = plain_syllables(parsed.typed)
    if len(typed) < 2:
        return None
    return f"{all_text(parsed, False)} {clause_text(Clause(typed, phrase=True), False)}"


def with_excluded(positive: str, parsed: ParsedQuery, exact: bool) -> str:
    """Return a positive MATCH text without the articles matching an excluded clause."""
    return positive + "".join(f" -{clause_text(clause, exact)}" for clause in parsed.excluded)


_TIER_TEXTS = {"together": together_text, "all": all_text, "most": most_text}


def tier_texts(parsed: ParsedQuery, exact: bool) -> dict[str, str]:
    """Return {tier: positive MATCH text} of a query with exact or folded accents (no exclusions)."""
    if parsed.is_empty:
        return dict.fromkeys(TIERS, EVERYTHING)
    if not parsed.compounds:
        return {tier: _TIER_TEXTS[tier](parsed, exact) for tier in TIERS}
    kept = whole_text(parsed, exact)
    # A query whose plain words are one compound word has them in a row: closer than the window.
    one = [s.folded for s in parsed.compounds[0]] == [s.folded for s in plain_syllables(parsed)]
    close = kept if len(parsed.compounds) == 1 and one and len(readings(parsed)) == 1 else (
        f"{together_text(parsed, exact)} {_compounds_text(parsed, exact)}")
    return {"together": close, "all": kept, "most": most_text(parsed, exact)}


def whole_text(parsed: ParsedQuery, exact: bool) -> str:
    """Return the positive part of the all tier of a query with compound words (``matching.kept_whole``):
    every group, and each compound word in a row, a phrase; a plain word the phrase holds on its side
    (folded, or exact when the whole phrase is) is not asked again."""
    held = {token for c in parsed.compounds for token in _compound_tokens(c, exact)[1]}
    groups = [group for group in parsed.groups
              if not (len(group) == 1 and _one_syllable(group[0]) and side_token(group[0].syllables[0], exact) in held)]
    return " ".join([*(group_text(group, exact) for group in groups), _compounds_text(parsed, exact)])


def _one_syllable(clause: Clause) -> bool:
    """Tell whether a clause is one plain syllable: no phrase, field or number written with separators."""
    return len(clause.syllables) == 1 and not clause.field and not clause.numerals


def _compound_tokens(compound: list[Syllable], exact: bool) -> tuple[str, list[tuple[str, str]]]:
    """Return (fields side, the (side, token) pairs) a compound word is asked in a row with: on the exact
    fields when each of its syllables is looked up there, else folded (its accented syllables are still
    required by their groups)."""
    looked_up = [side_token(s, exact) for s in compound]
    if all(side == "exact" for side, _ in looked_up):
        return "exact", looked_up
    return "fold", [("fold", engine_token(s.folded)) for s in compound]


def _compounds_text(parsed: ParsedQuery, exact: bool) -> str:
    """Return the MATCH text of each compound word of a query in a row."""
    parts = []
    for compound in parsed.compounds:
        side, looked_up = _compound_tokens(compound, exact)
        parts.append(f'({_FIELDS[side, None]} "{" ".join(token for _, token in looked_up)}")')
    return " ".join(parts)


def question_pool_text(parsed: ParsedQuery, answered: str) -> str:
    """Return the positive MATCH text of what a question ranks: a fifth of its words (folded), or
    the tier it was answered from.

    A fifth of the words folded holds every tier's articles (an exact word is also there folded)
    unless an excluded word removed more articles folded: only then is the tier added (its
    quorums cost as much again).
    """
    loose = most_text(parsed, False, LONG_QUERY_SHARE)
    return f"({loose}) | ({answered})" if parsed.excluded else loose
