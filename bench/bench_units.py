"""Numbers with a unit (``20km``, ``20 km``, ``1,5kg``, ``500.000đ``, ``10h``) and times of day (``8h30``, ``8 giờ
30``, ``8:30``): does the result set hold the articles writing them, whichever way the reader types them?

Usage: python bench/bench_units.py [--data ../shared/data] [--index DIR] [--queries 60] [--seed 5]

Articles write a unit glued to its number ("20km", "128GB") about as often as apart ("20 km"), an hour "20h"
or "20 giờ", a time of day "8h30", "8 giờ 30" or "8:30"; readers type any.  The pairs are taken from the
news articles' own text: a seeded sample of the numbers with one of ``UNITS`` after them (glued or after
one space) that 3 to 200 articles write, each typed glued and apart (an hour apart in words: "10 giờ"); a
seeded sample of the sums in đồng 3 to 200 articles write ("500.000 đồng", "500.000đ"), each typed "500.000đ"
and "500.000 đồng"; and of the times of day 3 to 200 articles write, each typed the three ways.

The truth is read here from the articles' text with a regular expression, never with the engine: the
articles whose title or body writes the number, not inside a larger number ("5kg" is not the end of
"1,5kg"), then the unit glued or after one space (an hour also "giờ", a sum "đồng"), not followed by a
letter or digit ("10h" is not in "10h30"); a time of day in any of its forms, the hour with a leading zero
or not.  The engine's whole result set (every page) is compared with it: the share of queries answered
with exactly that set, precision and recall (means over the queries).  Nothing is asserted.
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
    article_texts,
    sampled_battery,
    set_header,
    set_row,
    sets_scored,
    writing,
)
from corpus import code_version

# Units of measure, money and time the news articles write after a number (lower-cased).
UNITS = ("km", "kg", "m", "ha", "cm", "mm", "gb", "tb", "mb", "mah", "ml", "mg", "hz", "ghz", "kw", "mw", "kv",
         "usd", "đ", "h")
_UNIT = "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
# A number, not inside a larger one, then a unit glued on or after a space, the unit ending its word.
WITH_UNIT = re.compile(rf"(?<![\w.,:/])([0-9]+(?:[.,][0-9]+)*)( ?)({_UNIT})(?![^\W_])", re.IGNORECASE)
TYPINGS = ("glued", "apart")
# Units also said in words: an hour or a sum in đồng typed apart is typed in words ("10 giờ", "500 đồng"), and
# articles write them so.
SAID = {"h": "giờ", "đ": "đồng"}
# A time of day as articles write it: "8h30", "8 giờ 30", "8:30" or "08:30" (the hour, the minutes).
TIME = re.compile(r"(?<![\w.,:/])0?([0-9]{1,2})(?:[hH]| giờ |:)([0-5][0-9])(?![^\W_]|[.,:/][0-9])")
TIME_TYPINGS = ("8h30", "8 giờ 30", "8:30")
# A sum in đồng, the unit glued on or in words.
WITH_DONG = re.compile(r"(?<![\w.,:/])([0-9]+(?:[.,][0-9]+)*)(?:đ| đ| đồng)(?![^\W_])")


def written(number: str, unit: str) -> re.Pattern:
    """Return a pattern of a text writing the number and the unit, glued or apart (or in words)."""
    units = f"(?: ?{re.escape(unit)}| {SAID[unit]})" if unit in SAID else f" ?{re.escape(unit)}"
    return re.compile(rf"(?<![\w.,:/]){re.escape(number)}{units}(?![^\W_])", re.IGNORECASE)


def typed(number: str, unit: str, typing: str) -> str:
    """Return a number and its unit typed glued on or apart (an hour apart in words: "10 giờ")."""
    return f"{number}{unit}" if typing == "glued" else f"{number} {SAID.get(unit, unit)}"


def sums_in_dong(texts: list[str], rng: random.Random, count: int) -> list[str]:
    """Return sums in đồng ("500.000 đồng", "500.000đ") that MIN_ARTICLES to MAX_ARTICLES texts write, a seeded
    sample of the numbers."""
    holding = defaultdict(set)
    for n, text in enumerate(texts):
        for match in WITH_DONG.finditer(text):
            holding[match.group(1)].add(n)
    held = sorted(number for number, docs in holding.items() if MIN_ARTICLES <= len(docs) <= MAX_ARTICLES)
    return rng.sample(held, min(count, len(held)))


def time_written(hour: int, minute: str) -> re.Pattern:
    """Return a pattern of a text writing a time of day in any of its forms (the hour with a zero or not)."""
    return re.compile(rf"(?<![\w.,:/])0?{hour}(?:[hH]| giờ |:){minute}(?![^\W_]|[.,:/][0-9])")


def times(texts: list[str], rng: random.Random, count: int) -> list[tuple[int, str]]:
    """Return (hour, minutes) of times of day that MIN_ARTICLES to MAX_ARTICLES texts write, a seeded sample."""
    holding = defaultdict(set)
    for n, text in enumerate(texts):
        for match in TIME.finditer(text):
            if int(match.group(1)) <= 24:
                holding[(int(match.group(1)), match.group(2))].add(n)
    held = sorted(time for time, docs in holding.items() if MIN_ARTICLES <= len(docs) <= MAX_ARTICLES)
    return rng.sample(held, min(count, len(held)))


def pairs(texts: list[str], rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Return (number, unit) pairs that MIN_ARTICLES to MAX_ARTICLES texts write, a seeded sample."""
    holding = defaultdict(set)
    for n, text in enumerate(texts):
        for match in WITH_UNIT.finditer(text):
            holding[(match.group(1), match.group(3).lower())].add(n)
    held = sorted(pair for pair, docs in holding.items() if MIN_ARTICLES <= len(docs) <= MAX_ARTICLES)
    return rng.sample(held, min(count, len(held)))


def main() -> None:
    args, records, engine = sampled_battery(__doc__, 60, "numbers with a unit")
    texts = article_texts(records)
    sample = pairs(texts, random.Random(args.seed), args.queries)
    print(f"vnsearch numbers with a unit -- code {code_version()}, index {args.index}")
    print(set_header("typed", 7))
    for typing in TYPINGS:
        summary = sets_scored(engine, ((typed(number, unit, typing), writing(records, texts, written(number, unit)))
                                       for number, unit in sample))
        print(set_row(typing, summary, 7))
    print("examples:", "; ".join(f"{number}{unit}" for number, unit in sample[:8]))
    sums = sums_in_dong(texts, random.Random(args.seed), args.queries)
    print(set_header("sum typed", 10))
    for typing in ("glued", "apart"):
        summary = sets_scored(engine, ((typed(number, "đ", typing), writing(records, texts, written(number, "đ")))
                                       for number in sums))
        print(set_row("Nđ" if typing == "glued" else "N đồng", summary, 10))
    print("examples:", "; ".join(f"{number}đ" for number in sums[:8]))
    sampled_times = times(texts, random.Random(args.seed), args.queries)
    print(set_header("time typed", 10))
    for typing in TIME_TYPINGS:
        summary = sets_scored(engine, ((typing.replace("8", str(hour), 1).replace("30", minute),
                                        writing(records, texts, time_written(hour, minute)))
                                       for hour, minute in sampled_times))
        print(set_row(typing, summary, 10))
    print("examples:", "; ".join(f"{hour}h{minute}" for hour, minute in sampled_times[:8]))


if __name__ == "__main__":
    main()
