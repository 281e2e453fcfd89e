"""Amounts typed in shorthand (``500k``, ``10tr``, ``1tr5``): does the result set hold the articles writing them?

Usage: python bench/bench_amounts.py [--data ../shared/data] [--index DIR] [--queries 60] [--seed 5]

Readers type an amount as they say it ("500k", "10 tr", "1tr5"); articles write it out ("500.000 đồng",
"500 nghìn", "10 triệu", "1,5 triệu").  The amounts are taken from the news articles' own text (a seeded
sample of those 3 to 200 articles write, in thousands and in millions, whole and with a decimal), each
typed four ways: run together and apart, in thousands ``Nk`` / ``N k``, in millions ``Ntr`` / ``N tr``,
a decimal before or after the unit (``1,5tr``, ``1tr5``).

The truth is read here from the articles' text with regular expressions, never with the engine: the
articles whose title or body writes the amount as a whole number in any of its forms (``500.000``,
``500 nghìn``, ``500 ngàn``, ``500k``; ``1,5 triệu``, ``1.500.000``, ``1tr5``), not inside a larger one
("3.500.000" is no "500.000").  The engine's whole result set (every page) is compared with it: the share
of queries answered with exactly that set, precision and recall (means over the queries).  Nothing is
asserted.
"""

from __future__ import annotations

import random
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_or import MAX_ARTICLES, MIN_ARTICLES, SetScores, article_texts, sampled_battery, whole_set, writing
from corpus import code_version

from search.engine import SearchEngine

# A number not inside a larger one: no digit, dot or comma before it, none after it but a sentence's end.
_BEFORE, _AFTER = r"(?<![\d.,])", r"(?![.,]?\d)"
# How the articles write amounts of each unit: (number, decimal or None) from a match.
WRITTEN = {
    "k": re.compile(_BEFORE + r"(\d{1,3})(?:,(\d))?(?:\.000" + _AFTER + r"| (?:nghìn|ngàn)\b)"),
    "tr": re.compile(_BEFORE + r"(\d{1,3})(?:,(\d))?(?: triệu\b|\.000\.000" + _AFTER + r")"),
}
KINDS = ("k", "tr")


def amounts(texts: list[str], rng: random.Random, count: int) -> dict[str, list[tuple[str, str | None]]]:
    """Return {unit: amounts (number, decimal)} that MIN_ARTICLES to MAX_ARTICLES texts write, count a unit."""
    sampled = {}
    for unit, regex in WRITTEN.items():
        holding = defaultdict(set)
        for n, text in enumerate(texts):
            for number, decimal in regex.findall(text):
                holding[(str(int(number)), decimal or None)].add(n)
        held = sorted((amount for amount, docs in holding.items() if MIN_ARTICLES <= len(docs) <= MAX_ARTICLES),
                      key=lambda amount: (amount[0], amount[1] or ""))
        sampled[unit] = rng.sample(held, min(count, len(held)))
    return sampled


def typed_ways(number: str, decimal: str | None, unit: str) -> list[str]:
    """Return the shorthands of an amount: run together and apart, a decimal before the unit or after it."""
    if decimal:
        return [f"{number},{decimal}{unit}", f"{number}{unit}{decimal}", f"{number},{decimal} {unit}"]
    return [f"{number}{unit}", f"{number} {unit}"]


def written_forms(number: str, decimal: str | None, unit: str) -> re.Pattern:
    """Return a pattern of every way a text writes an amount as a whole number, its shorthand included."""
    zeros = 3 if unit == "k" else 6
    whole = int(number) * 10**zeros + (int(decimal) * 10 ** (zeros - 1) if decimal else 0)
    digits = f"{whole:,}".replace(",", r"\.")
    said = rf"{number},{decimal}" if decimal else number
    words = "(?:nghìn|ngàn)" if unit == "k" else "triệu"
    shorthand = rf"{number}{unit}{decimal}|{number},{decimal} ?{unit}" if decimal else rf"{number} ?{unit}"
    return re.compile(rf"{_BEFORE}(?:{digits}{_AFTER}|{said} {words}\b|(?:{shorthand})\b)", re.IGNORECASE)


def measure(engine: SearchEngine, records: list[dict], texts: list[str], unit: str,
            sample: list[tuple[str, str | None]]) -> dict:
    """Return the exact-set share, mean precision and mean recall of the queries of one unit."""
    scores = SetScores()
    for number, decimal in sample:
        pattern = written_forms(number, decimal, unit)
        expected = writing(records, texts, pattern)
        for typed in typed_ways(number, decimal, unit):
            scores.add(whole_set(engine, typed), expected)
    return scores.summary()


def main() -> None:
    args, records, engine = sampled_battery(__doc__, 60, "amounts of each unit")
    texts = article_texts(records)
    sample = amounts(texts, random.Random(args.seed), args.queries)
    print(f"vnsearch amounts in shorthand -- code {code_version()}, index {args.index}")
    print(f"{'unit':<5} {'amounts':>7} {'queries':>7} {'exact set':>9} {'precision':>9} {'recall':>7}")
    for unit in KINDS:
        scores = measure(engine, records, texts, unit, sample[unit])
        print(f"{unit:<5} {len(sample[unit]):>7} {scores['queries']:>7} {scores['exact']:>9.3f} "
              f"{scores['precision']:>9.3f} {scores['recall']:>7.3f}")
    print("examples:", "; ".join(way for unit in KINDS for number, decimal in sample[unit][:2]
                                   for way in typed_ways(number, decimal, unit)))


if __name__ == "__main__":
    main()
