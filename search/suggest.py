"""Suggestions: "did you mean" (accents restored, typos corrected) and autocomplete.

Accents are restored from the index's own text: the top documents for an unaccented query
hold the words it matched, with their accents; the spelling most often found (counting
double where neighbouring query words match side by side) is the suggestion, so
``ha noi cam xe xang`` becomes ``hà nội cấm xe xăng``.  Typos are corrected towards a syllable
one edit away that the index holds far more often.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from search.backend import StoredArticle, TermStatistics
from search.highlight import HighlightSpec, match_spans
from search.matching import is_question
from search.parse import ParsedQuery, Syllable, parse_query
from search.ranking import DEFAULT_RANKING, Ranking
from search.spelling import ALPHABET, VIETNAMESE_ALPHABET, edits
from search.text import fold, normalize_term
from search.understand import Understood, rewrite_places
from search.understand import rewrite_text as replace_syllables

# A neighbour must be this many times more frequent than the typed syllable to replace it (TYPO_MIN_DF
# documents suffice for a syllable no article holds).
TYPO_RATIO = 20
TYPO_MIN_DF = 5
# A word with a vowel typed in capitals and at most this long is an acronym ("COPD"), never corrected.
ACRONYM_LETTERS = 4
# A typo's neighbour counts this many times the documents of each word it forms with the
# next or previous query syllable.
COMPOUND_WEIGHT = 20
# Accents are restored from this many top articles of the query.
FIRST_PAGE = 10
# Neighbouring query syllables the top articles never write side by side: this many pairs (the
# first) are looked up in this many articles each, found among at most PAIR_SCANNED holding them.
# The covid train questions typed without accents, restored as written (bench_restore.py, 1,000): 8 /
# 12 / 16 / 20 / 30 pairs 0.935 / 0.942 / 0.947 / 0.949 / 0.950 (val, 500: 0.938 -> 0.950 at 16); at
# 600,000 articles the latency mix's "did you mean" cost the same at 16 as at 8 (1.003x).
PAIR_LOOKUPS = 16
PAIR_ARTICLES = 3
PAIR_SCANNED = 4096
# A syllable typed with accents that this many times more articles hold in other accents (or none) may
# be a slip even where the page found the words as typed ("Hà nôi": "nôi", a cradle, beside "nội"); it is
# one when the page's articles write another form beside the query's neighbours this many times as often.
# Two-word title fragments with one slip, seeds 11-13 (``bench_slips.py --words 2-2``): 5 / 10 / 20
# restore 29 / 20 / 14 of the 83 of seed 11 whose page found them as typed (0 before) when a form written
# nowhere beside them counted too, at 4 / 2 / 1 more false alarms of 367 fragments as written; 10 with
# evidence required restores 10 / 23 / 13 (seeds 11 / 12 / 13), no false alarm more.
SLIP_RATIO = 10
# A query of at most SLIP_RUN_SYLLABLES syllables typed with accents, whose syllables more than
# SLIP_RUN_ARTICLES articles hold in a row without their accents, may hold a slip of a common syllable
# ("bóng đa": three articles write "bóng đa dạng", hundreds "bóng đá"); it does when the page's articles
# write another form beside the query's neighbours SLIP_RUN_RATIO times as often.  Two-word title
# fragments with one slip (``bench_slips.py --words 2-2``), restored, seeds 11 / 12 / 13 / 14 (1,500):
# 222 / 231 / 224 / 869 before; at 10 224 / 238 / 230 / 885, at 5 225 / 239 / 230 / 889; false alarms
# on the fragments as written 1 / 0 / 1 / 1 each way, and 3-5 words unchanged.
SLIP_RUN_ARTICLES = 100
SLIP_RUN_SYLLABLES = 3
SLIP_RUN_RATIO = 5
# A restored word is capitalised when the articles write it so this often ("Hà Nội").
CAPITALISED_SHARE = 0.6
# Between two texts voted together: a word's edge (no match goes over it) and no space (no pair of
# words side by side goes over it), so the votes are those of each text voted in turn.
_APART = "\x00"
JOINING_MARKS = ("-", ".")
# What ends a sentence, a title or a quoted line's lead-in: the word after it has a capital anyway.
SENTENCE_ENDS = frozenset(".!?:…\"“”'\u2018\u2019\u2013" + _APART)


def correct_query(statistics: TermStatistics, understood: Understood, documents: list[StoredArticle] | None,
                  total: int, read: Callable[[str], ParsedQuery],
                  ranking: Ranking = DEFAULT_RANKING, accents: str = "exact") -> tuple[str | None, bool, bool]:
    """Return "did you mean"'s better query (Telex decoded, words split, typos fixed, accents restored)
    or None, whether typo correction stopped at its bounds, and whether the suggestion is offered
    without being searched (a query of more than ``ranking.suggest_search_words`` distinct words:
    each search of it costs as much as the page).

    documents are the top articles (at most 10) of the understood query when the page shown
    is its first page unfiltered, else None (they are then searched again): the suggestion
    never depends on the page, its size or the filters.  read parses and understands a query.
    A suggestion is offered only when it finds other top articles than the query, or spells
    out how the query was read (Telex, split words); never for a single letter.  accents is how the
    page answered (``Matches.accents``): a query typed with accents that no article holds together
    ("folded": the page answered without them), not a question, has its syllables' accents read from
    the page's top articles (a slip: ``bóng đa`` -> ``bóng đá``).
    """
    typed = understood.original or understood.parsed
    syllables = typed.syllables
    if not syllables or typed.excluded or any(c.field for c in typed.clauses):
        return None, False, False
    if len(syllables) == 1 and len(syllables[0].folded) < 2:
        return None, False, False
    searched = len({s.folded for s in syllables}) <= ranking.suggest_search_words
    current = functools.cache(lambda: documents[:FIRST_PAGE] if documents is not None
                    else statistics.top_documents(understood.parsed))
    text, first = understood.rewritten_text(), current
    parsed = parse_query(text, max_terms=ranking.max_query_terms)
    corrections, cut = _typo_corrections(statistics, parsed.syllables, total, ranking, _read_otherwise(understood))
    if corrections:
        text = replace_syllables(text, corrections)
        if searched:
            first = functools.cache(lambda: statistics.top_documents(read(text)))
    # A word typed without accents and also searched in its other spelling of i / y is suggested in that
    # spelling, the one the articles hold more often, its accents restored ("quan li" -> "quản lý").
    spelled = {s: understood.spellings[s.raw] for s in parsed.syllables
               if not s.accented and s.raw in understood.spellings}
    text = replace_syllables(text, spelled)
    # Nothing corrected: the text parsed as parse_query's default bound would (a pasted paragraph's
    # parse is half a millisecond).
    same = not (corrections or spelled) and ranking.max_query_terms == DEFAULT_RANKING.max_query_terms
    corrected = parsed if same else parse_query(text)
    if not corrected.accented:
        text = rewrite_places(text, _restored_places(statistics, text, corrected.syllables, first()))
    elif searched and accents == "folded" and not is_question(corrected):
        # A question's accents are seldom held together anywhere; its top articles are no guide to them.
        text = _slip_restored(statistics, text, corrected, first())
    elif pieces := _split_pieces(understood, corrected):
        # A word typed among accented ones and read split ("tiêm vacxin Pfizer"): its pieces are spelt
        # out as the articles write them ("vắc xin"), not bare ("vac xin").
        text = replace_syllables(text, _restored(statistics, text, pieces, first()))
    elif searched and not is_question(corrected) and _may_have_slipped(statistics, corrected, first,
                                                                       understood.crossed):
        # The page found the words as typed, apart ("Hà nôi": "hà" near "nôi"), or their abbreviation
        # ("Viêt Nam": "VN"): the articles the words find without accents tell what was meant.
        text = _slip_restored(statistics, text, corrected, statistics.top_documents(read(_folded(text, corrected))))
    if understood.crossed and searched:
        # A long query's suggestion goes unsearched: its words are spelt out as read, not voted on.
        text = _settle_crossed(statistics, text, understood.crossed, first())
    if text == typed.text:
        return None, cut, False
    # Searched only when needed: a query whose Telex or split words were spelt out gets the
    # suggestion whatever it finds, and so does a long one (unsearched, and said so).
    if understood.rewrites or not searched:
        return text, cut, not (searched or understood.rewrites)
    if not _same_top(statistics, read(text), current()):
        return text, cut, False
    return None, cut, False


def _slip_restored(statistics: TermStatistics, text: str, parsed: ParsedQuery,
                   documents: list[StoredArticle]) -> str:
    """Return text with each syllable's accents as documents (the top articles of a query whose accents
    no article holds together, answered without them) write it (``_restored``).  Kept as typed: a
    syllable they leave unsettled, one they write as typed beside a neighbour of the query (no slip),
    and one typed with accents that they never write beside a neighbour (a count alone is no reason)."""
    plain_text = _folded(text, parsed)
    pairs = _folded_pairs(plain_text, parsed)
    if pairs is None:
        return text
    votes = _context_votes(statistics, plain_text, [p for _, p in pairs], documents)
    if votes is None:
        return text
    restored, written = _chosen(votes), {p: normalize_term(t.raw) for t, p in pairs}
    kept = {p for t, p in pairs if votes.in_context[p.folded][written[p]]
            or (t.accented and not votes.in_context[p.folded])}
    # A syllable typed without accents and kept still takes the articles' capitals ("viet nam" -> "Việt Nam").
    return replace_syllables(text, {typed: restored[p] for typed, p in pairs if p in restored and (
        p not in kept or (not typed.accented and normalize_term(restored[p]) == written[p]))})


def _may_have_slipped(statistics: TermStatistics, parsed: ParsedQuery, documents: Callable[[], list[StoredArticle]],
                      crossed: Collection[str] = ()) -> bool:
    """Tell whether a query typed with accents may hold a slip its page does not show: a syllable typed with
    accents that SLIP_RATIO times more articles hold otherwise, which documents() (its page's top articles,
    asked only then) write beside a neighbour of the query SLIP_RATIO times as often in another form
    (``_outvoted``; an article's own slip does not hide it: one writes "Hà nôi" where it writes "Hà Nội" 22
    times).  A Telex d searched with đ too (crossed: ``Understood.crossed``) is no slip: ``_settle_crossed``
    reads it."""
    slipped = [s for s in parsed.syllables if s.accented and _restorable(s.folded) and s.exact not in crossed]
    rare = {s for s in slipped if SLIP_RATIO * _held(statistics, s.exact) < _held(statistics, s.folded)}
    ratio = SLIP_RATIO
    if slipped and not rare and _common_run(statistics, parsed):
        rare, ratio = set(slipped), SLIP_RUN_RATIO
    pairs = _folded_pairs(_folded(parsed.text, parsed), parsed) if rare else None
    if pairs is None:
        return False
    votes = _votes([p for _, p in pairs], documents())
    return votes is not None and any(_outvoted(votes.in_context[p.folded], normalize_term(t.raw), ratio)
                                     for t, p in pairs if t in rare)


def _common_run(statistics: TermStatistics, parsed: ParsedQuery) -> bool:
    """Tell whether a query is a short run of syllables (2 to SLIP_RUN_SYLLABLES) that more than
    SLIP_RUN_ARTICLES articles hold in a row without accents."""
    folded = [s.folded for s in parsed.syllables]
    # Each syllable's count first (known by then): a run is no commoner than its rarest syllable.
    if not 2 <= len(folded) <= SLIP_RUN_SYLLABLES or min(_held(statistics, f) for f in folded) <= SLIP_RUN_ARTICLES:
        return False
    return statistics.phrase_frequency(folded, SLIP_RUN_ARTICLES) > SLIP_RUN_ARTICLES


def _folded_pairs(plain_text: str, parsed: ParsedQuery) -> list[tuple[Syllable, Syllable]] | None:
    """Return each syllable of a query with its syllable in plain_text (the query without accents: ``_folded``),
    or None when the two do not pair one for one (a letter whose accents parted it from its word: "Ạ")."""
    plain = parse_query(plain_text)
    pairs = list(zip(parsed.syllables, plain.syllables))
    if len(parsed.syllables) != len(plain.syllables) or any(t.folded != p.folded for t, p in pairs):
        return None
    return pairs


def _outvoted(in_context: Counter, typed: str, ratio: int = SLIP_RATIO) -> bool:
    """Tell whether another form of a syllable is written beside the query's neighbours, at least SLIP_RATIO
    times as often as the form typed.  Neither written there is no evidence: a correct rare word's page
    often writes it apart from its neighbour ('quái vật "khổng lồ"' for "vật khổng")."""
    others = max((n for form, n in in_context.items() if form != typed), default=0)
    return others > 0 and ratio * in_context[typed] <= others


def _held(statistics: TermStatistics, term: str) -> int:
    """Return how many articles hold a term in their title or body (both counted: an upper bound)."""
    return statistics.doc_frequency(term, "body") + statistics.doc_frequency(term, "title")


def _folded(text: str, parsed: ParsedQuery) -> str:
    """Return text with the syllables typed with accents written without them."""
    return replace_syllables(text, {s: s.folded for s in parsed.syllables if s.accented})


def _settle_crossed(statistics: TermStatistics, text: str, crossed: dict[str, str],
                    documents: list[StoredArticle]) -> str:
    """Return text with each syllable decoded with a d that was also searched with đ (crossed: the
    form with d -> with đ, ``Understood.crossed``) written with đ where documents write it so beside
    the query's neighbours more often than with d (``dội tuyển`` -> ``đội tuyển``)."""
    parsed = parse_query(text)
    syllables = parsed.syllables
    # Those words and their neighbours folded (so read as the articles write them, to tell where the
    # pairs stand), the query's others not voted on: a pasted paragraph's forty words cost 20 ms.
    near = {at + step for at, s in enumerate(syllables) if s.exact in crossed for step in (-1, 0, 1)}
    plain_text = replace_syllables(text, {syllables[at]: syllables[at].folded for at in near
                                          if 0 <= at < len(syllables)})
    plain = parse_query(plain_text)
    if len(plain.syllables) != len(parsed.syllables):
        return text
    votes = _context_votes(statistics, plain_text, plain.syllables, documents)
    if votes is None:
        return text
    settled = {}
    for typed, folded in zip(parsed.syllables, plain.syllables):
        written = votes.in_context[folded.folded]
        if typed.exact in crossed and written[crossed[typed.exact]] > written[typed.exact]:
            settled[typed] = crossed[typed.exact]
    return replace_syllables(text, settled)


def _same_top(statistics: TermStatistics, parsed: ParsedQuery, documents: list[StoredArticle]) -> bool:
    """Tell whether the top articles of a query (``top_documents``) are documents, in their order: by the
    backend's ``same_top`` when it has one (it may know without ranking them), else compared by id."""
    same = getattr(statistics, "same_top", None)
    if same is not None:
        return same(parsed, documents)
    return _ids(statistics.top_documents(parsed)) == _ids(documents)


def _ids(documents: list[StoredArticle]) -> list[str | None]:
    """Return the ids of documents, in order."""
    return [d.get("id") for d in documents]


def _restored(statistics: TermStatistics, text: str, syllables: list[Syllable],
              documents: list[StoredArticle]) -> dict[Syllable, str]:
    """Return the accented form of each unaccented syllable of text, read from documents and, for a
    syllable documents never write beside a neighbour of the query, from articles that write the two
    side by side (``TermStatistics.pair_documents``)."""
    votes = _context_votes(statistics, text, syllables, documents)
    return {} if votes is None else _chosen(votes)


def _restored_places(statistics: TermStatistics, text: str, syllables: list[Syllable],
                     documents: list[StoredArticle]) -> list[tuple[Syllable, str]]:
    """Return ``_restored`` place by place: a word typed twice beside other words is voted at each
    place by its own neighbours ("cam on" and "on dinh": "cảm ơn", "ổn định")."""
    votes = _context_votes(statistics, text, syllables, documents)
    return [] if votes is None else _chosen_places(votes)


def _context_votes(statistics: TermStatistics, text: str, syllables: list[Syllable],
                   documents: list[StoredArticle]) -> Votes | None:
    """Return how documents write the unaccented syllables of text and, for a syllable they never write
    beside a neighbour of the query, how articles writing the two side by side do (None: none to restore)."""
    votes = _votes(syllables, documents)
    if votes is None:
        return None
    unsettled = {s.folded for s in votes.wanted if not votes.in_context[s.folded]}
    # A word typed twice is settled place by place: where its own neighbours' votes are none.
    open_places = {at for at in votes.places if not votes.places[at]}
    # Neighbours typed with only spaces between (not across a comma or a full stop), and only where the
    # query finds articles: one that finds none (a typo, words run together) is not read as meaning
    # the pairs other articles happen to write.
    pairs = [(a.folded, b.folded) for at, (a, b) in enumerate(itertools.pairwise(syllables))
             if ({a.folded, b.folded} & unsettled or {at, at + 1} & open_places)
             and _restorable(a.folded) and _restorable(b.folded) and text[a.end : b.start].isspace()]
    pairs = list(dict.fromkeys(pairs))[:PAIR_LOOKUPS]
    if pairs and documents:
        # "toi da": the top articles write "tới" elsewhere, articles writing the pair write "tôi đã".
        # Their votes decide only the syllables the top articles left unsettled.
        paired = Votes(votes.wanted, defaultdict(Counter), defaultdict(Counter), Counter(), syllables=syllables)
        found = statistics.pair_documents(pairs, PAIR_ARTICLES, PAIR_SCANNED)
        _add_votes(paired, syllables, found, tuple(dict.fromkeys(word for pair in pairs for word in pair)))
        for folded in unsettled:
            votes.in_context[folded] = paired.in_context[folded]
            _take_forms(votes, paired, paired.in_context[folded])
        for at in open_places:
            votes.places[at] = _place_context(paired, at)
            _take_forms(votes, paired, votes.places[at])
    return votes


def _take_forms(votes: Votes, paired: Votes, forms: Iterable[str]) -> None:
    """Take how the pairs' articles write forms beside the query's neighbours and anywhere, with
    capitals: a form the top articles never write is cased as the pairs' articles case it ("GDĐT")."""
    for form in forms:
        votes.inside_context[form] = paired.inside_context[form]
        votes.capitals_in_context[form] = paired.capitals_in_context[form]
        votes.alone[fold(form)][form] = paired.alone[fold(form)][form]
        for cased in (form, form.upper()):
            votes.capitals[cased] = paired.capitals[cased]
        votes.capitals_starting[form] = paired.capitals_starting[form]
        votes.cased[form] = paired.cased[form]
        votes.respelled.pop(form, None)
        if form in paired.respelled:
            votes.respelled[form] = paired.respelled[form]


def _restorable(folded: str) -> bool:
    """Tell whether "did you mean" may restore accents to a folded syllable (not a number)."""
    return not folded.isdigit()


def _restore_accents(syllables: list[Syllable], documents: list[StoredArticle]) -> dict[Syllable, str]:
    """Return the most likely accented form of each unaccented syllable, read from documents."""
    votes = _votes(syllables, documents)
    return {} if votes is None else _chosen(votes)


@dataclass
class Votes:
    """How documents write a query's unaccented syllables: beside the query's neighbours, anywhere."""

    wanted: list[Syllable]
    in_context: dict[str, Counter]
    alone: dict[str, Counter]
    capitals: Counter
    # Form -> how often each spelling with a capital inside it is written ("ChatGPT", "TikTok").
    cased: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    # Form -> how often it is written with its tone mark elsewhere (lower case): "hòa", "khỏe", "thủy" for
    # the index's "hoà", "khoẻ", "thuỷ" (``normalize_term``), as most articles write them.
    respelled: dict[str, Counter] = field(default_factory=dict)
    # Form -> how often it is written beside the query's neighbour within a sentence (not first: every
    # first word has a capital), and how often so with a capital ("Điện Biên Phủ", where "phủ" alone is
    # mostly "chính phủ").
    inside_context: Counter = field(default_factory=Counter)
    capitals_in_context: Counter = field(default_factory=Counter)
    # Form -> how often it is written with a capital first in a text or a sentence ("Cảm ơn bác sĩ"),
    # where the capital says nothing of the word.
    capitals_starting: Counter = field(default_factory=Counter)
    # The query's syllables voted on, and each pair of neighbours' spellings written side by side:
    # (folded, folded) -> Counter of (form, form).
    syllables: list[Syllable] = field(default_factory=list)
    pair_forms: dict[tuple[str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    # Place in syllables of a word the query types more than once -> its spellings beside its own
    # neighbours there (``_place_context``); filled by ``_votes``.
    places: dict[int, Counter] = field(default_factory=dict)


def _votes(syllables: list[Syllable], documents: list[StoredArticle]) -> Votes | None:
    """Return the spellings documents give the unaccented syllables (None: no syllable to restore)."""
    wanted = [s for s in syllables if _wanted(s)]
    if not wanted:
        return None
    votes = Votes(wanted, defaultdict(Counter), defaultdict(Counter), Counter(), syllables=syllables)
    _add_votes(votes, syllables, documents, tuple(s.folded for s in wanted))
    typed = Counter(s.folded for s in syllables)
    votes.places = {at: _place_context(votes, at) for at, s in enumerate(syllables)
                    if typed[s.folded] > 1 and _wanted(s)}
    return votes


def _wanted(syllable: Syllable) -> bool:
    """Tell whether "did you mean" restores a syllable's accents (typed without, not a number)."""
    return not syllable.accented and _restorable(syllable.folded)


def _place_context(votes: Votes, at: int) -> Counter:
    """Return how votes' texts write the syllable at a place of the query beside its neighbours there."""
    syllables, counted = votes.syllables, Counter()
    if at > 0:
        for (_, form), times in votes.pair_forms[(syllables[at - 1].folded, syllables[at].folded)].items():
            counted[form] += times
    if at + 1 < len(syllables):
        for (form, _), times in votes.pair_forms[(syllables[at].folded, syllables[at + 1].folded)].items():
            counted[form] += times
    return counted


def _add_votes(votes: Votes, syllables: list[Syllable], documents: list[StoredArticle], words: tuple[str, ...]) -> None:
    """Count how documents write words (folded syllables of the query) into votes."""
    spec = HighlightSpec(words=words)
    pairs = set(itertools.pairwise(s.folded for s in syllables))
    # Every title and body voted in one text: each spelling's form worked out once, not once a text
    # (a pasted paragraph's forty-odd words are written in each of the ten articles).
    texts = (text for document in documents for text in (document.get("title") or "", document.get("body") or ""))
    _vote(_APART.join(texts), spec, pairs, votes)


def _chosen(votes: Votes) -> dict[Syllable, str]:
    """Return the most voted accented form of each syllable that gets one (a word typed twice: one
    form, voted by every place of it)."""
    chosen = {}
    for syllable in votes.wanted:
        form = _form_of(votes, syllable, votes.in_context[syllable.folded])
        if form is not None:
            chosen[syllable] = form
    return chosen


def _chosen_places(votes: Votes) -> list[tuple[Syllable, str]]:
    """Return the most voted accented form of each place of a syllable that gets one, a word typed
    twice voted at each place by its own neighbours when they vote (``Votes.places``)."""
    chosen = []
    for at, syllable in enumerate(votes.syllables):
        if not _wanted(syllable):
            continue
        form = _form_of(votes, syllable, votes.places.get(at) or votes.in_context[syllable.folded])
        if form is not None:
            chosen.append((syllable, form))
    return chosen


def _form_of(votes: Votes, syllable: Syllable, in_context: Counter) -> str | None:
    """Return the most voted accented form of a syllable (None: none, or as typed), given its votes
    beside the query's neighbours."""
    # A spelling seen next to the query's neighbouring word beats any seen alone:
    # "chỉ thị" decides "thi" even where "thi" (exam) is more frequent on its own.
    # A single letter is restored only from its neighbours ("o ha noi": "ở Hà Nội"): alone, "a"
    # is any of a dozen words.
    alone = votes.alone[syllable.folded]
    counted = in_context or (alone if len(syllable.folded) > 1 else None)
    if not counted:
        return None
    form = counted.most_common(1)[0][0]
    seen, capitals = alone[form], votes.capitals
    cased = votes.cased.get(form, Counter()).most_common(1)
    # A proper noun's capital is read where the form stands beside the query's neighbour, when it
    # does: "phủ" is "Phủ" in "Điện Biên Phủ", "bộ" is "Bộ" in "Bộ Chính trị".
    # (A form written beside a neighbour is one counted in context: its syllable's in_context votes.)
    inside = votes.inside_context[form]
    starting = votes.capitals_starting[form]
    named, seen_named = ((votes.capitals_in_context[form], inside) if inside
                         else (capitals[form] - starting, seen - starting))
    written = _as_written(votes, form)
    if capitals[form.upper()] > CAPITALISED_SHARE * seen:
        written = written.upper()  # an acronym, as the articles write it ("TPHCM")
    elif cased and cased[0][1] > CAPITALISED_SHARE * seen:
        written = cased[0][0]  # a name with capitals inside, as the articles write it ("ChatGPT")
    elif named > CAPITALISED_SHARE * seen_named:
        written = written[:1].upper() + written[1:]  # a proper noun, as the articles write it
    return None if written == syllable.raw else written


def _as_written(votes: Votes, form: str) -> str:
    """Return a voted form spelt as the articles write it more often than not: its tone mark where they
    put it ("hòa", not the index's "hoà"), in lower case."""
    respelled = votes.respelled.get(form)
    if not respelled:
        return form
    spelling, times = respelled.most_common(1)[0]
    return spelling if 2 * times > votes.alone[fold(form)][form] else form


def _vote(text: str, spec: HighlightSpec, pairs: set[tuple[str, str]], votes: Votes) -> None:
    """Count the spellings of the spec's words in text into votes, apart for words matched side by side,
    and how often each is capitalised (first letter, every letter, or a capital inside: ``votes.cased``).

    Each distinct spelling is counted once with how often the text writes it (a pasted paragraph's
    words match hundreds of times in each article): every count adds what one per match adds, and
    each spelling enters its counter when first seen, in the text's order, as one per match does
    (``most_common`` breaks ties by that order)."""
    in_context, alone, capitals = votes.in_context, votes.alone, votes.capitals
    spans = match_spans(text, spec)
    written = [text[start:end] for start, end in spans]
    forms = {}
    for spelling, times in Counter(written).items():
        form = normalize_term(spelling)
        forms[spelling] = folded, form = fold(form), form
        alone[folded][form] += times
        if (lowered := spelling.lower()) != form:
            votes.respelled.setdefault(form, Counter())[lowered] += times
        capitals[form] += times * spelling[:1].isupper()
        capitals[form.upper()] += times * (len(form) > 1 and spelling.isupper())
        if not spelling.isupper() and any(letter.isupper() for letter in spelling[1:]):
            votes.cased[form][spelling] += times
    # A capital says nothing at a sentence's start: only capitalised spellings are looked at there.
    capitalised = {spelling for spelling in forms if spelling[:1].isupper()}
    for spelling, (start, _) in zip(written, spans):
        if spelling in capitalised and _starts_sentence(text, start):
            votes.capitals_starting[forms[spelling][1]] += 1
    # Side by side: a match and the one before it, a query's pair of neighbours, with only spaces between
    # or one hyphen or dot joining them into one written word ("V-League", "V.League", "TP.HCM").  Each
    # (spelling, spelling, first starting a sentence) is counted, then voted with its count: a pasted
    # paragraph's pairs stand side by side hundreds of times in ten articles.
    folded_of = {spelling: folded for spelling, (folded, _) in forms.items()}
    folds = [folded_of[spelling] for spelling in written]
    together = Counter()
    for after in [at for at, pair in enumerate(itertools.pairwise(folds), 1) if pair in pairs]:
        gap = text[spans[after - 1][1] : spans[after][0]]
        if gap.isspace() or gap in JOINING_MARKS:
            together[(written[after - 1], written[after], _starts_sentence(text, spans[after - 1][0]))] += 1
    for (first, second, starting), times in together.items():
        (before, before_form), (folded, form) = forms[first], forms[second]
        in_context[before][before_form] += times
        in_context[folded][form] += times
        votes.pair_forms[(before, folded)][(before_form, form)] += times
        if not starting:
            votes.inside_context[before_form] += times
            votes.capitals_in_context[before_form] += times * first[:1].isupper()
        votes.inside_context[form] += times
        votes.capitals_in_context[form] += times * second[:1].isupper()


def _starts_sentence(text: str, start: int) -> bool:
    """Tell whether the word at start begins its text or a sentence (a capital there says nothing)."""
    at = start - 1
    while at >= 0 and text[at].isspace():
        at -= 1
    return at < 0 or text[at] in SENTENCE_ENDS


def _split_pieces(understood: Understood, corrected: ParsedQuery) -> list[Syllable]:
    """Return the syllables of corrected that query understanding wrote for a split word ("vac", "xin"),
    but single letters (a split of garbage: "tre e n t" is no "ễ")."""
    pieces = {word for text in understood.rewrites.values() for word in text.split() if len(word) > 1}
    return [s for s in corrected.syllables if s.folded in pieces and not s.accented]


def _read_otherwise(understood: Understood) -> set[str]:
    """Return the folded words query understanding also searched in other spellings (an
    abbreviation's long forms, a number's other writings): understood, they are no typos."""
    return {s.folded for group in understood.parsed.groups if any(c.alternative for c in group)
            for clause in group if not clause.alternative for s in clause.syllables}


def _typo_corrections(statistics: TermStatistics, syllables: list[Syllable], total: int,
                      ranking: Ranking, understood: set[str] = frozenset()) -> tuple[dict[Syllable, str], bool]:
    """Return a correction for each syllable that is rare while a close spelling is frequent (but
    the words in understood: ``_read_otherwise``).

    Also tell whether syllables were left uncorrected because the query's bounds
    (``typo_max_words`` syllables, ``typo_max_lookups`` candidate spellings) were reached.
    """
    corrections, tried, lookups, cut = {}, 0, 0, False
    frequency = _frequencies(statistics)  # one cache for the query: typos share neighbours
    _prefetch(frequency, [s.folded for s in syllables])
    for index, syllable in enumerate(syllables):
        term = syllable.folded
        if term in understood:
            continue
        df = _held(statistics, term)
        if df and (df >= TYPO_MIN_DF or total >= ranking.typo_trusted_total):
            continue
        if not term.isalpha() or len(term) < 2 or _abbreviation(syllable):
            continue
        candidates = _candidates(syllable) if tried < ranking.typo_max_words else set()
        if not candidates or lookups + len(candidates) > ranking.typo_max_lookups:
            cut = True
            continue
        tried, lookups = tried + 1, lookups + len(candidates)
        before = syllables[index - 1].folded if index else None
        after = syllables[index + 1].folded if index + 1 < len(syllables) else None
        best = _best_neighbour(frequency, candidates, before, after)
        if best and best[1] >= (max(TYPO_MIN_DF, TYPO_RATIO * (df + 1)) if df else TYPO_MIN_DF):
            corrections[syllable] = best[0]
    return corrections, cut


def _abbreviation(syllable: Syllable) -> bool:
    """Tell whether a word is an abbreviation, not a syllable misspelt: without a vowel, two letters ("bd",
    "sg", "hn", which one edit would make another word: "bộ", "số") or typed in capitals ("BCT", "CSGT");
    with one, typed in capitals and at most ACRONYM_LETTERS long ("COPD", "FIFA")."""
    # Longer words without a vowel typed in small letters are mostly syllables whose vowel was dropped
    # ("nhn", "khng").
    term = syllable.folded
    if any(letter in "aeiouy" for letter in term):
        return syllable.raw.isupper() and len(term) <= ACRONYM_LETTERS
    return len(term) == 2 or syllable.raw.isupper()


def _candidates(syllable: Syllable) -> set[str]:
    """Return the spellings one edit away from a syllable: with accents when it was typed with them
    (accents typed are accents meant; a folded spelling's count is that of every accented form of it,
    so "khoe" outweighed "khoẻ" for "khỏee")."""
    if syllable.accented:
        typed = unicodedata.normalize("NFC", syllable.raw.lower())
        return {normalize_term(edit) for edit in edits(typed, VIETNAMESE_ALPHABET) if edit != fold(edit)}
    return edits(syllable.folded, ALPHABET)


def _best_neighbour(frequency: Callable[[str], int], candidates: set[str], before: str | None,
                    after: str | None) -> tuple[str, float] | None:
    """Return the likeliest of the candidate spellings, and its weight (frequency, and more when it
    makes a word the index knows with a neighbouring query syllable, as "giáo dục")."""
    _prefetch(frequency, candidates)
    known = [candidate for candidate in candidates if frequency(candidate)]
    compounds = [f"{before}_{fold(c)}" for c in known if before] + [f"{fold(c)}_{after}" for c in known if after]
    _prefetch(frequency, compounds)
    best = None
    for candidate in candidates:
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


def _frequencies(statistics: TermStatistics) -> Callable[[str], int]:
    """Return a function giving a term's document frequency in bodies (a hash lookup each)."""
    cache: dict[str, int] = {}

    def frequency(term: str) -> int:
        if term not in cache:
            cache[term] = statistics.doc_frequency(term, "body")
        return cache[term]

    # A backend whose lookups are round trips reads many terms at once (the optional hook).
    frequency.prefetch = getattr(statistics, "prefetch", None)
    return frequency


def _prefetch(frequency: Callable[[str], int], terms: Iterable[str]) -> None:
    """Let the backend read the frequencies of terms together, when it can."""
    prefetch = getattr(frequency, "prefetch", None)
    if prefetch is not None:
        prefetch(terms)
