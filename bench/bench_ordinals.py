"""Numbers of an order in Roman numerals or not (``quý 3`` = ``quý III``, ``khóa XIII`` = ``khóa 13``): does the
result set hold the articles writing the word and the number either way?

Usage: python bench/bench_ordinals.py [--data ../shared/data] [--index DIR] [--queries 40] [--seed 5]

Articles write the number of a quarter, a Party term or congress, a century or a class in Roman numerals about
as often as not ("quý III", "quý 3"), and readers type either.  The pairs are taken from the news articles' own
text: a seeded sample of the numbers 1 to 39 after a word of order (``WORDS``) that 3 to 200 articles write,
one way or the other (after "thứ" also in words: "lần thứ hai"); each is typed with its number in Arabic and in
Roman numerals.

The truth is read here from the articles' text with a regular expression, never with the engine: the
articles whose title or body writes the word (tone marks placed either way; in capitals or not) and the
number after it in either numeral (or after "thứ" in words), the number not followed by a letter or a digit
("quý 3/2020" counts, "quý 30" does not).  The engine's whole result set (every page) is compared with it:
the share of queries answered with exactly that set, precision and recall (means over the queries).  Nothing
is asserted.
"""

from __future__ import annotations

import random
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_or import MAX_ARTICLES, MIN_ARTICLES, sampled_battery, set_header, set_row, sets_scored, writing
from corpus import code_version

from search.text import canonical_tones, nfc

# Words of order articles write Roman numerals after, as typed (tone marks where readers put them).
WORDS = ("quý", "khóa", "đại hội", "thế kỷ", "lần thứ", "hạng", "kỳ họp thứ", "chương")
# After "thứ" an order is also said in words, first to ninth (as the README says).
NAMES = ("nhất", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín")
MAX_NUMBER = 39
_ONES = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX")
TYPINGS = ("arabic", "roman")


def roman(number: int) -> str:
    """Return a number from 1 to MAX_NUMBER in Roman numerals (written here, not taken from the engine)."""
    return "X" * (number // 10) + _ONES[number % 10]


ROMAN = {roman(number): number for number in range(1, MAX_NUMBER + 1)}


def word_pattern(word: str) -> str:
    """Return the regex of a word of order as the canonical text writes it (the common spelling typed, "kỷ",
    does not ask for the rare one, "kỉ", as the README says)."""
    return r"\s+".join(re.escape(canonical_tones(part)) for part in word.split())


def canonical_texts(records: list[dict]) -> list[str]:
    """Return each article's title and body, NFC with canonical tone marks, lower-cased but for Roman numerals'
    sake kept as written (the pattern ignores case)."""
    return [canonical_tones(nfc(f"{r.get('title') or ''}\n{r.get('body') or ''}")) for r in records]


def written(word: str, number: int) -> re.Pattern:
    """Return a pattern of a text writing the word and the number after it, in either numeral (or, after
    "thứ", in words: not "hai mươi")."""
    named = word.endswith("thứ") and number <= len(NAMES)
    numerals = f"(?:{number}|{roman(number)}|{NAMES[number - 1]}(?! (?:mươi|trăm)\\b))" if named else \
        f"(?:{number}|{roman(number)})"
    return re.compile(rf"(?<!\w){word_pattern(word)}\s+{numerals}(?![^\W_]|[.,][0-9])", re.IGNORECASE)


def pairs(texts: list[str], rng: random.Random, count: int) -> list[tuple[str, int]]:
    """Return (word, number) pairs that MIN_ARTICLES to MAX_ARTICLES texts write, a seeded sample."""
    found = re.compile(rf"(?<!\w)({'|'.join(map(word_pattern, WORDS))})\s+([0-9]{{1,2}}|[IVX]+|{'|'.join(NAMES)})"
                       r"(?![^\W_]|[.,][0-9])", re.IGNORECASE)
    words = {canonical_tones(w): w for w in WORDS}
    seen = defaultdict(set)
    for n, text in enumerate(texts):
        for match in found.finditer(text):
            word = words.get(re.sub(r"\s+", " ", match.group(1).lower()))
            numeral = match.group(2)
            number = int(numeral) if numeral.isdecimal() else ROMAN.get(numeral.upper())
            if numeral.lower() in NAMES:
                number = NAMES.index(numeral.lower()) + 1 if word and word.endswith("thứ") else None
            if word and number and 1 <= number <= MAX_NUMBER:
                seen[(word, number)].add(n)
    held = sorted(pair for pair, docs in seen.items() if MIN_ARTICLES <= len(docs) <= MAX_ARTICLES)
    return rng.sample(held, min(count, len(held)))


def main() -> None:
    args, records, engine = sampled_battery(__doc__, 40, "words and numbers")
    texts = canonical_texts(records)
    sample = pairs(texts, random.Random(args.seed), args.queries)
    print(f"vnsearch numbers of an order -- code {code_version()}, index {args.index}")
    print(set_header("typed", 7))
    for typing in TYPINGS:
        summary = sets_scored(engine, ((f"{word} {number if typing == 'arabic' else roman(number)}",
                                        writing(records, texts, written(word, number)))
                                       for word, number in sample))
        print(set_row(typing, summary, 7))
    print("examples:", "; ".join(f"{word} {number}" for word, number in sample[:8]))


if __name__ == "__main__":
    main()
