"""A typo in a name or a foreign word ("mesi" for Messi, "haland" for Haaland): is the page the word's?

Usage: python bench/bench_name_typos.py [--data ../shared/data] [--index /tmp/vnsearch-bench-battery]
                                        [--limit 400] [--seed 17] [--show 12]

Words of ASCII letters that are no Vietnamese syllable, written by at least ``MIN_ARTICLES`` news articles
(``Messi``, ``Neymar``, ``Samsung``, ``Facebook``; the words of ``bench_apart.py``), each typed with one
slip a reader makes (chosen with ``--seed``): a doubled letter typed once (``mesi``, ``haland``,
``mbape``), the last letter left off (``neyma``), two letters swapped (``ronlado``) or a vowel replaced by
another (``benzima``), in lower case, where no article writes the slipped word.  Searched over the reader
battery's index (news + portal).  Relevant: the articles writing the word.

Printed per slip: MRR@10, how many pages show a relevant article in their top 10, how many were shown
for a corrected query ("Không có bài nào chứa đủ ... hiển thị kết quả cho"), how many were split into
syllables ("Đã tách") and how many found nothing.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_apart import held_words
from corpus import (
    NEWS,
    add_battery_sample_arguments,
    battery_index_data,
    code_version,
    data_path,
    read_jsonl,
    reciprocal_rank,
)

from search.engine import SearchEngine
from search.request import SearchRequest
from search.telex import is_folded_syllable

MIN_ARTICLES = 5
VOWELS = "aeiou"
KINDS = ("letter undoubled", "last left off", "letters swapped", "vowel replaced")


def slipped_forms(word: str) -> dict[str, list[str]]:
    """Return the slips of a word by kind (each kind's possible forms)."""
    found = {
        "letter undoubled": [word[:at] + word[at + 1:] for at in range(1, len(word)) if word[at] == word[at - 1]],
        "last left off": [word[:-1]],
        "letters swapped": [word[:at] + word[at + 1] + word[at] + word[at + 2:] for at in range(1, len(word) - 1)
                            if word[at] != word[at + 1]],
        "vowel replaced": [word[:at] + other + word[at + 1:] for at in range(1, len(word)) if word[at] in VOWELS
                           for other in VOWELS if other != word[at]],
    }
    return {kind: forms for kind, forms in found.items() if forms}


def slipped_queries(articles: list[dict], rng: random.Random, limit: int) -> list[tuple[str, str, set[str]]]:
    """Return (kind, slipped word, ids of the articles writing the word) for sampled words."""
    holding, tokens = held_words(articles)
    words = [w for w in sorted(holding) if len(holding[w]) >= MIN_ARTICLES and w.isalpha()
             and not is_folded_syllable(w)]
    rng.shuffle(words)
    queries = []
    for word in words[:limit]:
        kind, forms = rng.choice(sorted(slipped_forms(word).items()))
        form = rng.choice(forms)
        if form not in tokens and not is_folded_syllable(form):
            queries.append((kind, form, holding[word]))
    return queries


def measure(engine: SearchEngine, queries: list[tuple[str, str, set[str]]], show: int) -> dict[str, Counter]:
    """Search each slipped word: reciprocal ranks, pages showing the word, corrections, splits, nothing."""
    figures: dict[str, Counter] = defaultdict(Counter)
    missed = []
    for kind, query, relevant in queries:
        result = engine.search(SearchRequest(q=query, size=10, facets=False))
        ranked = [hit["id"] for hit in result["hits"]]
        counts = figures[kind]
        counts["queries"] += 1
        counts["rr"] += reciprocal_rank(ranked, relevant)
        counts["shown"] += bool(set(ranked) & relevant)
        counts["corrected"] += result["corrected"] is not None
        counts["split"] += any(notice.startswith("Đã tách") for notice in result["notices"])
        counts["nothing"] += not ranked
        if not set(ranked) & relevant and len(missed) < show:
            missed.append((query, result["corrected"], result["notices"][:1], result["total"]))
    for query, corrected, notices, total in missed:
        print(f"    {query!r}: corrected {corrected!r}, {total} articles, {notices}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_battery_sample_arguments(parser, 400, 17, "which words and slips", 12, "queries missing the word printed")
    args = parser.parse_args()
    data = battery_index_data(args)
    queries = slipped_queries(read_jsonl(data_path(data, NEWS)), random.Random(args.seed), args.limit)
    print(f"a typo in a name -- code {code_version()}, index {args.index}, seed {args.seed}: {len(queries)} words")
    figures = measure(SearchEngine(args.index), queries, args.show)
    rows = {kind: figures[kind] for kind in KINDS}
    rows["all"] = sum(rows.values(), Counter())
    print(f"  {'slip':<18}{'queries':>8}{'MRR@10':>8}{'shown':>7}{'corrected':>11}{'split':>7}{'nothing':>9}")
    for kind, counts in rows.items():
        rr = counts["rr"] / counts["queries"] if counts["queries"] else 0.0
        print(f"  {kind:<18}{counts['queries']:>8}{rr:>8.3f}{counts['shown']:>7}{counts['corrected']:>11}"
              f"{counts['split']:>7}{counts['nothing']:>9}")


if __name__ == "__main__":
    main()
