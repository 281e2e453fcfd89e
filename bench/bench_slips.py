""""Did you mean" for a slip in an accented query: a tone dropped or changed, or `d` typed for `đ`.

Usage: python bench/bench_slips.py [--data ../shared/data] [--index /tmp/vnsearch-bench-battery]
                                   [--limit 400] [--seed 11] [--show 15] [--words 3-5]

Title fragments of 3-5 words (``--words``) (``corpus.title_fragment``, news titles sampled with ``--seed``) that carry
accents are searched twice over the reader battery's index (news + portal, built once): as written, and
with one slip of a reader typing with an input method on one of their syllables (chosen with the same
seed): its tone mark dropped while another mark stays (``đá`` -> ``đa``, ``tuyển`` -> ``tuyên``), its tone
changed (``bóng`` -> ``bòng``), or ``d`` typed for ``đ`` (``đội`` -> ``dội``).  Accents typed are accents
meant, so the slipped query's page holds what was typed; the question is whether "did you mean" offers
the words as written.  Printed per kind of slip: how many slipped queries find nothing as typed (their
page falls back to the unaccented forms), fewer than 5 articles, or more; how many get a suggestion and
how many of those restore the fragment as written (lower case, NFC), and how many get none because their
page already shows the first articles of the fragment as written ("same page"); of the slipped queries whose
page found articles as typed, how many get a suggestion and how many of those restore the fragment; and,
over the fragments as written, how many get a suggestion at all (a suggestion for a query typed right is a
false alarm when it changes its accents).  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import (
    NEWS,
    add_battery_sample_arguments,
    battery_index_data,
    code_version,
    data_path,
    read_jsonl,
    title_fragments,
)
from unidecode import unidecode

from search.engine import SearchEngine
from search.request import SearchRequest

TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
KINDS = ("tone dropped", "tone changed", "d for đ")


def decomposed(word: str) -> str:
    """Return word in NFD (base letters, then their marks)."""
    return unicodedata.normalize("NFD", word)


def composed(word: str) -> str:
    """Return word in NFC."""
    return unicodedata.normalize("NFC", word)


def slips(word: str) -> dict[str, str]:
    """Return the slipped forms of a word, by kind (only the kinds that leave a mark typed)."""
    found = {}
    tones = [mark for mark in decomposed(word) if mark in TONES]
    if tones:
        dropped = composed("".join(ch for ch in decomposed(word) if ch not in TONES))
        if dropped != unidecode(dropped):  # a mark is left: the syllable is still typed with accents
            found["tone dropped"] = dropped
        others = [tone for tone in TONES if tone != tones[0]]
        found["tone changed"] = "".join(retoned(ch, others[len(word) % len(others)]) for ch in composed(word))
    if word[:1] in "đĐ":
        found["d for đ"] = ("d" if word[0] == "đ" else "D") + word[1:]
    return found


def retoned(letter: str, tone: str) -> str:
    """Return a letter with its tone mark replaced by tone (a letter without one: itself)."""
    marks = decomposed(letter)
    if not any(mark in TONES for mark in marks):
        return letter
    return composed("".join(mark for mark in marks if mark not in TONES) + tone)


def slipped_queries(fragments: list[str], rng: random.Random) -> list[tuple[str, str, str]]:
    """Return (fragment, slipped fragment, kind) for each fragment with a word that can slip."""
    queries = []
    for fragment in fragments:
        words = fragment.split()
        choices = [(index, kind, form) for index, word in enumerate(words) for kind, form in slips(word).items()]
        if not choices:
            continue
        index, kind, form = rng.choice(choices)
        queries.append((fragment, " ".join([*words[:index], form, *words[index + 1:]]), kind))
    return queries


def words(text: str) -> list[str]:
    """Return the lower-case NFC words of a text."""
    return composed(text).lower().split()


def measure(engine: SearchEngine, queries: list[tuple[str, str, str]]) -> dict:
    """Search each slipped query; count its page's size, its suggestions and those restoring the fragment."""
    figures: dict = defaultdict(Counter)
    wrong = []
    for fragment, slipped, kind in queries:
        result = engine.search(SearchRequest(q=slipped, size=10))
        counts = figures[kind]
        counts["queries"] += 1
        counts["nothing as typed" if result["accents"] == "folded" else
               "under 5" if result["total"] < 5 else "5 or more"] += 1
        found = result["accents"] != "folded"
        if result["suggestion"]:
            counts["suggested"] += 1
            counts["found, suggested"] += found
            if words(result["suggestion"]) == words(fragment):
                counts["restored"] += 1
                counts["found, restored"] += found
            else:
                wrong.append((slipped, result["suggestion"], fragment))
        elif ids(result) == ids(engine.search(SearchRequest(q=fragment, size=10))):
            counts["same page"] += 1  # nothing to suggest: the page shows what the words as written find
    return {"figures": figures, "wrong": wrong}


def ids(result: dict) -> list[str]:
    """Return the ids of a result page's hits, in order."""
    return [hit["id"] for hit in result["hits"]]


def false_alarms(engine: SearchEngine, fragments: list[str]) -> tuple[int, int, list[tuple[str, str]]]:
    """Return how many fragments as written get a suggestion, how many change their words, and those."""
    offered, changed = 0, []
    for fragment in fragments:
        suggestion = engine.search(SearchRequest(q=fragment, size=10))["suggestion"]
        if suggestion:
            offered += 1
            if words(suggestion) != words(fragment):
                changed.append((fragment, suggestion))
    return offered, len(changed), changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_battery_sample_arguments(parser, 400, 11, "which titles, fragments and slips",
                                 15, "wrong or missing suggestions printed")
    parser.add_argument("--words", default="3-5", help="words a fragment holds, MIN-MAX (default 3-5)")
    args = parser.parse_args()
    data = battery_index_data(args)
    rng = random.Random(args.seed)
    sizes = tuple(int(n) for n in args.words.split("-"))
    fragments = [f for f in title_fragments(read_jsonl(data_path(data, NEWS)), args.limit, args.seed, rng,
                                            (sizes[0], sizes[-1])) if unidecode(f) != f]
    queries = slipped_queries(fragments, rng)
    engine = SearchEngine(args.index)
    measured = measure(engine, queries)
    offered, changed, alarms = false_alarms(engine, fragments)
    print(f'"did you mean" for slips -- code {code_version()}, index {args.index}, seed {args.seed}: '
          f"{len(fragments)} accented title fragments of {args.words} words, {len(queries)} slipped")
    print(f"  {'slip':<14}{'queries':>8}{'nothing':>9}{'under 5':>9}{'5+':>6}{'suggested':>11}{'restored':>10}"
          f"{'same page':>11}   found as typed: suggested / restored")
    rows = {kind: measured["figures"][kind] for kind in KINDS}
    rows["all"] = sum(rows.values(), Counter())
    for kind, counts in rows.items():
        print(f"  {kind:<14}{counts['queries']:>8}{counts['nothing as typed']:>9}{counts['under 5']:>9}"
              f"{counts['5 or more']:>6}{counts['suggested']:>11}{counts['restored']:>10}{counts['same page']:>11}"
              f"   {counts['found, suggested']} / {counts['found, restored']}")
    print(f"  as written: {offered} of {len(fragments)} get a suggestion, {changed} of them other words")
    for fragment, suggestion in alarms[: args.show]:
        print(f"    written {fragment!r} -> {suggestion!r}")
    print("  slipped, suggested other words than written:")
    for slipped, suggestion, fragment in measured["wrong"][: args.show]:
        print(f"    {slipped!r} -> {suggestion!r} (written {fragment!r})")


if __name__ == "__main__":
    main()
