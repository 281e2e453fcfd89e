"""Numbers written with separators (``21/8``, ``1,5``, ``3.500.000``, ``10:30``): does the result set hold the
articles writing the number typed, and only those?

Usage: python bench/bench_numbers.py [--data ../shared/data] [--index DIR] [--queries 40] [--seed 5]

The numbers are taken from the news articles' own text: a seeded sample of each kind that 3 to 200 articles
write -- a day and month or a month and year (``21/8``, ``4/2021``), a whole date (``21/8/2020``), a decimal
(``1,5``), a number in thousands (``3.500``, ``12.000.000``), a time (``10:30``) -- each typed as written.

The truth is read here from the articles' text with a regular expression, never with the engine: the
articles whose title or body writes the number, not inside a larger number ("350.000" is not the end of
"1.350.000", "1/3" is not in "11/3" nor "1,3" in "1,35"), but maybe as a part of a date ("21/8" of
"21/8/2020") or with a unit glued on ("1,5kg", "500.000đ"); a date's day or month with a leading zero or
not, a number in thousands with its dots or without (as the README says they are searched).  The engine's
whole result set (every page) is compared with it: the share of queries answered with exactly that set,
precision and recall (means over the queries).  Nothing is asserted.
"""

from __future__ import annotations

import random
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_or import (
    MAX_ARTICLES,
    MIN_ARTICLES,
    SetScores,
    article_texts,
    sampled_battery,
    set_header,
    set_row,
    whole_set,
    writing,
)
from corpus import code_version

# A number written with separators, standing alone (not after a letter, a digit or a separator).
NUMBER = re.compile(r"(?<![\w.,:/])[0-9]+(?:[.,:/][0-9]+)+(?![0-9]|[.,:/][0-9])")
KINDS = ("day or month", "whole date", "decimal", "thousands", "time")


def kind_of(number: str) -> str | None:
    """Return the kind of a number as written, or None for one of no kind sampled."""
    if re.fullmatch(r"\d{1,2}/\d{1,2}|\d{1,2}/(?:19|20)\d\d", number):
        return "day or month"
    if re.fullmatch(r"\d{1,2}/\d{1,2}/(?:19|20)\d\d", number):
        return "whole date"
    if re.fullmatch(r"\d+,\d+", number):
        return "decimal"
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", number):
        return "thousands"
    if re.fullmatch(r"\d{1,2}:\d\d", number):
        return "time"
    return None


def written(number: str) -> re.Pattern:
    """Return a pattern of a text writing the number: alone, in a whole date, or with a unit glued on; a date's
    day and month with a leading zero or not, a number in thousands with its dots or without, a time of day
    in any of its forms (the readings the README promises: ``21/8/2019`` = ``21/08/2019``, ``1.000`` =
    ``1000``, ``19:00`` = ``19h00`` = ``19 giờ 00``)."""
    kind = kind_of(number)
    if kind in ("day or month", "whole date"):
        forms = "/".join(f"0?{int(part)}" if len(part) <= 2 else part for part in number.split("/"))
    elif kind == "thousands":
        forms = f"(?:{re.escape(number)}|{number.replace('.', '')})"
    elif kind == "time":
        hour, minute = number.split(":")
        forms = f"0?{int(hour)}(?:[hH]| giờ |:){minute}"
    else:
        forms = re.escape(number)
    return re.compile(r"(?<![\w.,:/])(?:[0-9]+/)*" + forms + r"(?![0-9]|[.,:][0-9])")


def numbers(texts: list[str], rng: random.Random, count: int) -> dict[str, list[str]]:
    """Return {kind: numbers} that MIN_ARTICLES to MAX_ARTICLES texts write, a seeded sample of each kind."""
    holding = defaultdict(set)
    for n, text in enumerate(texts):
        for match in NUMBER.finditer(text):
            holding[match.group()].add(n)
    sampled = {}
    for kind in KINDS:
        held = sorted(number for number, docs in holding.items()
                      if kind_of(number) == kind and MIN_ARTICLES <= len(docs) <= MAX_ARTICLES)
        sampled[kind] = rng.sample(held, min(count, len(held)))
    return sampled


def main() -> None:
    args, records, engine = sampled_battery(__doc__, 40, "numbers of each kind")
    texts = article_texts(records)
    sample = numbers(texts, random.Random(args.seed), args.queries)
    print(f"vnsearch numbers written with separators -- code {code_version()}, index {args.index}")
    print(set_header("kind", 13))
    overall = SetScores()
    for kind in KINDS:
        scores = SetScores()
        for number in sample[kind]:
            found, expected = whole_set(engine, number), writing(records, texts, written(number))
            scores.add(found, expected)
            overall.add(found, expected)
        print(set_row(kind, scores.summary(), 13))
    print(set_row("overall", overall.summary(), 13))
    print("examples:", "; ".join(number for kind in KINDS for number in sample[kind][:2]))


if __name__ == "__main__":
    main()
