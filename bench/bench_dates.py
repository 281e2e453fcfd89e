"""Dates said in words (``30 tháng 4``, ``tháng 4 năm 2021``): does the result set hold the articles dated so?

Usage: python bench/bench_dates.py [--data ../shared/data] [--index DIR] [--queries 60] [--seed 5]

Readers say a date in words; articles write it with slashes ("30/4", "ngày 30/4/2021", "tháng 4/2021").
The dates are taken from the news articles' own text (a seeded sample of the days and months, and of the
months and years, that 3 to 200 articles write), each typed in words as written and without accents:
``D tháng M`` and ``tháng M năm Y``; and, for comparison, with a slash as the articles write it.

The truth is read here from the articles' text with regular expressions, never with the engine: the
articles whose title or body writes the date with slashes (the day and month of any year, the month of
any day; leading zeros or not) or in the words typed, not inside a larger number ("130/4" is no "30/4").
The engine's whole result set (every page) is compared with it: the share of queries answered with
exactly that set, precision and recall (means over the queries).  Nothing is asserted.
"""

from __future__ import annotations

import random
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_or import MAX_ARTICLES, MIN_ARTICLES, SetScores, article_texts, sampled_battery, whole_set, writing
from bench_resultset import unaccented
from corpus import code_version

from search.engine import SearchEngine

# A day and month: no digit, dot, comma or slash before it, a year after it or no digit nor "/digit".
DAY_MONTH = r"(?<![\d.,/])0?{day}/0?{month}(?:/(?:19|20)\d\d)?(?!\d|/\d)"
# A month and year: a day before it or not, no digit after it.
MONTH_YEAR = r"(?<![\d.,])(?:\d{{1,2}}/)?0?{month}/{year}(?!\d)"
# How the articles write a day and month, and a month and year: (first, second) from a match.
WRITTEN = {
    "day": re.compile(DAY_MONTH.format(day=r"(\d{1,2})", month=r"(\d{1,2})")),
    "month": re.compile(MONTH_YEAR.format(month=r"(\d{1,2})", year=r"((?:19|20)\d\d)")),
}
KINDS = ("day", "month")
# How each date is typed: in words as written and without accents, and with a slash (the index's own
# reading of a typed date, for comparison: a number's separators are not indexed, so "21/8" is also "21,8").
WAYS = ("as written", "without accents", "slash")


def dates(texts: list[str], rng: random.Random, count: int) -> dict[str, list[tuple[int, int]]]:
    """Return {kind: dates (day, month) or (month, year)} that MIN_ARTICLES to MAX_ARTICLES texts write."""
    sampled = {}
    for kind, regex in WRITTEN.items():
        holding = defaultdict(set)
        for n, text in enumerate(texts):
            for first, second in regex.findall(text):
                if 1 <= int(first) <= (31 if kind == "day" else 12) and (kind == "month" or 1 <= int(second) <= 12):
                    holding[(int(first), int(second))].add(n)
        held = sorted(date for date, docs in holding.items() if MIN_ARTICLES <= len(docs) <= MAX_ARTICLES)
        sampled[kind] = rng.sample(held, min(count, len(held)))
    return sampled


def said(kind: str, first: int, second: int) -> str:
    """Return a date in words, as a reader says it."""
    return f"{first} tháng {second}" if kind == "day" else f"tháng {first} năm {second}"


def typed(kind: str, first: int, second: int, way: str) -> str:
    """Return a date typed one way: in words as written, in words without accents, or with a slash."""
    if way == "slash":
        return f"{first}/{second}"
    return said(kind, first, second) if way == "as written" else unaccented(said(kind, first, second))


def written(kind: str, first: int, second: int) -> re.Pattern:
    """Return a pattern of every way a text writes a date: with slashes (zeros or not) or in the words said."""
    if kind == "day":
        return re.compile(DAY_MONTH.format(day=first, month=second) + rf"|(?<![\d.,]){first} tháng {second}(?!\d)",
                          re.IGNORECASE)
    return re.compile(MONTH_YEAR.format(month=first, year=second) + rf"|tháng {first} năm {second}\b", re.IGNORECASE)


def measure(engine: SearchEngine, records: list[dict], texts: list[str], kind: str,
            sample: list[tuple[int, int]], way: str) -> dict:
    """Return the exact-set share, mean precision and mean recall of the queries of one kind typed one way."""
    scores = SetScores()
    for first, second in sample:
        pattern = written(kind, first, second)
        expected = writing(records, texts, pattern)
        scores.add(whole_set(engine, typed(kind, first, second, way)), expected)
    return scores.summary()


def main() -> None:
    args, records, engine = sampled_battery(__doc__, 60, "dates of each kind")
    texts = article_texts(records)
    sample = dates(texts, random.Random(args.seed), args.queries)
    print(f"vnsearch dates said in words -- code {code_version()}, index {args.index}")
    print(f"{'kind':<6} {'typed':<16} {'queries':>7} {'exact set':>9} {'precision':>9} {'recall':>7}")
    for kind in KINDS:
        for way in WAYS:
            scores = measure(engine, records, texts, kind, sample[kind], way)
            print(f"{kind:<6} {way:<16} {scores['queries']:>7} {scores['exact']:>9.3f} "
                  f"{scores['precision']:>9.3f} {scores['recall']:>7.3f}")
    print("examples:", "; ".join(said(kind, *date) for kind in KINDS for date in sample[kind][:3]))


if __name__ == "__main__":
    main()
