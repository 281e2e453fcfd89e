"""Words in quotes (``"UBND"``, ``"20km"``, ``"10h"``, ``"facebook"``, ``"kĩ thuật"``): does the result set hold
the articles writing what was quoted, and only those?

Usage: python bench/bench_quoted.py [--data ../shared/data] [--index DIR] [--queries 60] [--seed 5]

A reader who quotes a word means that word: not the other forms query understanding reads an unquoted word
as (an abbreviation's long form, a split, the number apart from its unit).  The other spelling of i or y is
the same word (as the other placement of a tone mark is): a quoted phrase typed in the rarer spelling should
find both.  Queries are taken from the news articles' own text, each kind a seeded sample of what 3 to 200
articles write:

- ``abbreviation``: an abbreviation of the dictionary (``search/data/abbreviations.txt``), as written;
- ``number+unit``: a number with a unit glued on ("20km", "128GB", "10h");
- ``latin word``: a word of 5 to 12 Latin letters that query understanding, unquoted, also reads otherwise
  (split: "facebook" also "face book"; a unit, an abbreviation);
- ``i / y phrase``: two words in a row whose first, with a tone mark, is spelled with i or y either way
  ("kĩ thuật", "kỹ thuật"), typed in the spelling the articles write less often.

The truth is read from the articles' text with a regular expression, never with the engine: the articles
whose title or body writes the word whole, in any case, neither letter nor digit beside it, not inside a
larger number, its letters parted by any marks ("TP.HCM", "TP HCM": the index reads both as the same
words); the phrase: its first word in either spelling, one space, the second word.  The engine's whole
result set (every page) is compared with it: the share of queries answered with exactly that set, precision
and recall (means over the queries).  Nothing is asserted.
"""

from __future__ import annotations

import random
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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
from bench_units import WITH_UNIT
from corpus import code_version

from search import abbreviations
from search.parse import parse_query
from search.text import canonical_tones, fold
from search.understand import Vocabulary, spelling_variant, understand

LATIN_WORD = re.compile(r"(?<![\w.,:/-])([a-zA-Z]{5,12})(?![\w-])")
# Two words in a row, the first of one syllable ending in i or y after a consonant (``spelling_variant``).
I_Y_PAIR = re.compile(r"(?<![\w-])(\w+[iyìíỉĩịỳýỷỹỵ]) (\w+)(?![\w-])", re.IGNORECASE)


def whole_word(word: str) -> re.Pattern:
    """Return a pattern of a text writing a word whole, in any case: neither letter nor digit beside it (a
    hyphen, a slash or a dot parts words, as the index parts them: "PGS.TS", "5h-23h"), not inside a larger
    number ("7m" is not the end of "1,7m"), its letters parted by any marks or spaces ("TP.HCM", "TP HCM")."""
    parts = [re.escape(part) for part in re.split(r"(?<=[^\W\d_])[^\w,]+(?=[^\W\d_])", word)]
    joined = r"[^\w]+".join(parts)
    return re.compile(rf"(?<![^\W_])(?<![0-9][.,]){joined}(?![^\W_])(?![.,][0-9])", re.IGNORECASE)


def held(texts: list[str], pattern: re.Pattern, key) -> dict[str, set[int]]:
    """Return each key of a pattern's matches -> the texts holding it."""
    holding = defaultdict(set)
    for n, text in enumerate(texts):
        for match in pattern.finditer(text):
            holding[key(match)].add(n)
    return holding


def sampled(holding: dict[str, set[int]], rng: random.Random, count: int, keep=lambda key: True) -> list[str]:
    """Return a seeded sample of the keys MIN_ARTICLES to MAX_ARTICLES texts hold (and keep accepts)."""
    keys = sorted(key for key, docs in holding.items() if MIN_ARTICLES <= len(docs) <= MAX_ARTICLES and keep(key))
    return rng.sample(keys, min(count, len(keys)))


def abbreviation_forms(texts: list[str]) -> dict[str, set[int]]:
    """Return each one-word abbreviation of the dictionary -> the texts writing it."""
    forms = {entry.forms[0] for entry in abbreviations.load().entries if " " not in entry.forms[0]}
    return {form: {n for n, text in enumerate(texts) if pattern.search(text)}
            for form in sorted(forms) if (pattern := whole_word(form))}


def read_otherwise(vocabulary: Vocabulary, dictionary) -> callable:
    """Return a test of whether understanding reads a word, unquoted, as something else too."""
    def test(word: str) -> bool:
        understood = understand(parse_query(word), vocabulary, dictionary)
        return len(understood.parsed.clauses) > 1
    return test


def i_y_phrases(texts: list[str], rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """Return (the first word typed, its other spelling, the second word) of pairs written both ways, the
    first typed in the spelling the articles write less often."""
    holding = held(texts, I_Y_PAIR, lambda m: (m.group(1).lower(), m.group(2).lower()))
    pairs = set()
    for (first, second), docs in holding.items():
        other = spelling_variant(first)
        # Typed without accents, a syllable stands for each of its accented forms too: no regular expression's.
        if other is None or not holding.get((other, second)) or first == fold(first):
            continue
        rarer, common = sorted((first, other), key=lambda word: (len(holding[(word, second)]), word))
        if MIN_ARTICLES <= len(docs | holding[(other, second)]) <= MAX_ARTICLES:
            pairs.add((rarer, common, second))
    return rng.sample(sorted(pairs), min(count, len(pairs)))


def main() -> None:
    args, records, engine = sampled_battery(__doc__, 60, "queries of each kind")
    texts = [canonical_tones(text) for text in article_texts(records)]
    vocabulary = Vocabulary(engine.backend.statistics())
    otherwise = read_otherwise(vocabulary, abbreviations.load())
    rng = random.Random(args.seed)
    kinds = {
        "abbreviation": sampled(abbreviation_forms(texts), rng, args.queries),
        "number+unit": sampled(held(texts, WITH_UNIT, lambda m: m.group(0).lower() if not m.group(2) else ""),
                               rng, args.queries, keep=bool),
        "latin word": sampled(held(texts, LATIN_WORD, lambda m: m.group(1).lower()), rng, args.queries,
                              keep=otherwise),
    }
    print(f"vnsearch words in quotes -- code {code_version()}, index {args.index}")
    print(set_header("quoted", 13))
    for kind, words in kinds.items():
        summary = sets_scored(engine, ((f'"{word}"', writing(records, texts, whole_word(word))) for word in words))
        print(set_row(kind, summary, 13))
    phrases = i_y_phrases(texts, rng, args.queries)
    either = lambda rarer, common, second: re.compile(  # noqa: E731
        rf"(?<![^\W_])(?:{re.escape(rarer)}|{re.escape(common)}) {re.escape(second)}(?![^\W_])", re.IGNORECASE)
    summary = sets_scored(engine, ((f'"{rarer} {second}"', writing(records, texts, either(rarer, common, second)))
                                   for rarer, common, second in phrases))
    print(set_row("i / y phrase", summary, 13))
    for kind, words in kinds.items():
        print(f"{kind}:", "; ".join(words[:8]))
    print("i / y phrase:", "; ".join(f"{rarer} {second}" for rarer, _, second in phrases[:8]))


if __name__ == "__main__":
    main()
