"""Numbers with a unit (``20km``, ``20 km``, ``1,5kg``, ``500.000đ``, ``10h``): does the result set hold the
articles writing the number and its unit, glued or apart, whichever way the reader types it?

Usage: python bench/bench_units.py [--data ../shared/data] [--index DIR] [--queries 60] [--seed 5]

Articles write a unit glued to its number ("20km", "128GB") about as often as apart ("20 km"), and readers
type both.  The pairs are taken from the news articles' own text: a seeded sample of the numbers with one of
``UNITS`` after them (glued or after one space) that 3 to 200 articles write, each typed glued and apart.

The truth is read here from the articles' text with a regular expression, never with the engine: the
articles whose title or body writes the number, not inside a larger number ("5kg" is not the end of
"1,5kg"), then the unit glued or after one space, not followed by a letter or digit ("10h" is not in
"10h30").  The engine's whole result set (every page) is compared with it: the share of queries answered
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
    SetScores,
    article_texts,
    sampled_battery,
    set_header,
    set_row,
    whole_set,
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


def written(number: str, unit: str) -> re.Pattern:
    """Return a pattern of a text writing the number and the unit, glued or apart."""
    return re.compile(rf"(?<![\w.,:/]){re.escape(number)} ?{re.escape(unit)}(?![^\W_])", re.IGNORECASE)


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
        scores = SetScores()
        for number, unit in sample:
            q = f"{number}{unit}" if typing == "glued" else f"{number} {unit}"
            scores.add(whole_set(engine, q), writing(records, texts, written(number, unit)))
        print(set_row(typing, scores.summary(), 7))
    print("examples:", "; ".join(f"{number}{unit}" for number, unit in sample[:8]))


if __name__ == "__main__":
    main()
