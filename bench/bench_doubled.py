"""A last letter typed twice: does the page of a title fragment with one such slip hold what the fragment finds?

Usage: python bench/bench_doubled.py [--data ../shared/data] [--index /tmp/vnsearch-bench-battery]
                                     [--limit 400] [--seed 13] [--show 10]

A key that bounces types a word's last letter twice (``covidd``, ``tiett``, ``hanoii``).  Title fragments of
3-5 words (``corpus.title_fragment``, news titles sampled with ``--seed``) are searched over the reader
battery's index (news + portal, built once) as written and with the last letter of one of their words of two
letters or more typed twice (chosen with the same seed); each fragment also typed without accents, and each
title run together without accents (``hanoi``-like words: ``vietnamm``), likewise.  Printed per kind: how
many slipped queries find nothing, how many show the very page of the query typed right (its total and its
first ten articles: read as the slip it is, by "did you mean" showing its results or by a split of the word
without the letter), and how many another page; and a few of those.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_slips import ids
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

KINDS = ("as written", "without accents", "run together")


def doubled(fragment: str, rng: random.Random) -> str | None:
    """Return a fragment with the last letter of one of its words (two letters or more) typed twice."""
    words = fragment.split()
    choices = [index for index, word in enumerate(words) if len(word) > 1 and word[-1].isalpha()]
    if not choices:
        return None
    index = rng.choice(choices)
    return " ".join([*words[:index], words[index] + words[index][-1], *words[index + 1:]])


def queries(fragments: list[str], rng: random.Random) -> list[tuple[str, str, str]]:
    """Return (kind, query typed right, slipped query) of each fragment that has a word to slip."""
    found = []
    for fragment in fragments:
        plain = unidecode(fragment).lower()
        typed = {"as written": fragment, "without accents": plain,
                 "run together": "".join(plain.split()[:2]) if len(plain.split()) > 1 else None}
        for kind in KINDS:
            slipped = doubled(typed[kind], rng) if typed[kind] else None
            if slipped:
                found.append((kind, typed[kind], slipped))
    return found


def page(engine: SearchEngine, q: str) -> tuple[int, list[str]]:
    """Return a query's total and its first ten articles' ids."""
    result = engine.search(SearchRequest(q=q, size=10))
    return result["total"], ids(result)


def measure(engine: SearchEngine, asked: list[tuple[str, str, str]]) -> tuple[dict[str, Counter], list]:
    """Count, per kind, the slipped queries finding nothing, the typed-right page, or another page."""
    figures: dict[str, Counter] = {kind: Counter() for kind in KINDS}
    other = []
    for kind, right, slipped in asked:
        wanted, got = page(engine, right), page(engine, slipped)
        counts = figures[kind]
        counts["queries"] += 1
        if not wanted[0]:
            counts["right finds nothing"] += 1
        elif got == wanted:
            counts["same page"] += 1
        elif not got[0]:
            counts["nothing"] += 1
            other.append((kind, slipped, right, got[0], wanted[0]))
        else:
            counts["another page"] += 1
            other.append((kind, slipped, right, got[0], wanted[0]))
    return figures, other


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_battery_sample_arguments(parser, 400, 13, "which titles, fragments and words",
                                 10, "slipped queries with another page printed")
    args = parser.parse_args()
    data = battery_index_data(args)
    rng = random.Random(args.seed)
    fragments = title_fragments(read_jsonl(data_path(data, NEWS)), args.limit, args.seed, rng)
    figures, other = measure(SearchEngine(args.index), queries(fragments, rng))
    print(f"a last letter typed twice -- code {code_version()}, index {args.index}, seed {args.seed}: "
          f"{len(fragments)} title fragments")
    print(f"  {'typed':<16}{'queries':>8}{'same page':>11}{'another':>9}{'nothing':>9}{'right: none':>13}")
    for kind, counts in figures.items():
        print(f"  {kind:<16}{counts['queries']:>8}{counts['same page']:>11}{counts['another page']:>9}"
              f"{counts['nothing']:>9}{counts['right finds nothing']:>13}")
    print("  slipped, another page (slipped total / typed right):")
    for kind, slipped, right, got, wanted in other[: args.show]:
        print(f"    [{kind}] {slipped!r} {got} / {right!r} {wanted}")


if __name__ == "__main__":
    main()
