"""Two words of an article standing apart: does the result set hold the words, or their syllables scattered?

Usage: python bench/bench_compounds.py [--data ../shared/data] [--index /tmp/vnsearch-bench-battery]
                                      [--limit 300] [--seed 11] [--show 0]

Each query is two compound words (two syllables each, as pyvi segments a news article's body) that
the article holds apart: nowhere within the together tier's window of each other (``động đất nhật
bản``), typed with accents and without.  The reader means the two words, so a result set should hold
articles writing each word, not articles writing its syllables scattered ("đất" here, "nhật" there).

Printed per variant (as written, without accents): the queries; MRR@10 of the article they come from;
which tier answered them; the median total; and the precision of the 20 newest hits: the share whose
title or body writes each word in a row (own tokenizer; an accented syllable must match exactly, an
unaccented one any accents).  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import (
    NEWS,
    add_battery_sample_arguments,
    battery_index_data,
    code_version,
    data_path,
    median,
    read_jsonl,
    reciprocal_rank,
    unaccented,
)
from pyvi import ViTokenizer
from unidecode import unidecode

from search.engine import SearchEngine
from search.request import SearchRequest

SYLLABLE = re.compile(r"[^\W_]+")
# Compounds are read from this much of a body (pyvi's cost grows with the text).
READ_CHARS = 3000
NEWEST = 20


def syllables(text: str) -> list[str]:
    """Return a text's syllables, NFC and lower case."""
    return SYLLABLE.findall(unicodedata.normalize("NFC", text).lower())


def compounds_of(body: str) -> list[str]:
    """Return the two-syllable words of a body as pyvi segments it, lower case, each once."""
    words = ViTokenizer.tokenize(unicodedata.normalize("NFC", body[:READ_CHARS])).split()
    found = [w.replace("_", " ").lower() for w in words if w.count("_") == 1 and w.replace("_", "").isalpha()]
    return list(dict.fromkeys(w for w in found if unidecode(w) != w))


def places(tokens: list[str], word: list[str]) -> list[int]:
    """Return where a word's syllables stand in a row among tokens."""
    n = len(word)
    return [i for i in range(len(tokens) - n + 1) if tokens[i : i + n] == word]


def apart_pair(article: dict, rng: random.Random) -> tuple[str, str] | None:
    """Return two words of an article's body that stand apart in its title and body, or None."""
    fields = [syllables(article.get("title") or ""), syllables(article.get("body") or "")]
    words = compounds_of(article.get("body") or "")
    rng.shuffle(words)
    for first, second in zip(words[::2], words[1::2]):
        a, b = first.split(), second.split()
        if set(a) & set(b):
            continue
        spots = [(places(f, a), places(f, b)) for f in fields]
        if not any(p for _, p in spots) or not any(p for p, _ in spots):
            continue
        if all(abs(i - j) >= 8 for pa, pb in spots for i in pa for j in pb):
            return first, second
    return None


def queries(articles: list[dict], count: int, rng: random.Random) -> list[tuple[list[str], str]]:
    """Return ([word, word], article id) for up to count articles."""
    found = []
    for article in rng.sample(articles, len(articles)):
        pair = apart_pair(article, rng)
        if pair:
            found.append((list(pair), article["id"]))
        if len(found) == count:
            break
    return found


def holds(tokens: list[str], word: list[str]) -> bool:
    """Tell whether tokens hold a typed word in a row (accented syllables exactly, others folded)."""
    n = len(word)
    for i in range(len(tokens) - n + 1):
        if all(t == s if unidecode(s) != s else unidecode(t) == s for t, s in zip(tokens[i : i + n], word)):
            return True
    return False


def precise(engine: SearchEngine, hit_id: str, words: list[list[str]]) -> bool:
    """Tell whether an article writes each word in a row in its title or body."""
    stored = engine.article(hit_id)
    fields = [syllables(stored.get("title") or ""), syllables(stored.get("body") or "")]
    return all(any(holds(f, w) for f in fields) for w in words)


def measure(engine: SearchEngine, pairs: list[tuple[list[str], str]], variant: str, show: int) -> dict:
    """Return the figures of one variant of the queries."""
    ranks, totals, shares, tiers = [], [], [], Counter()
    shown = 0
    for words, doc_id in pairs:
        typed = [unaccented(w) if variant == "unaccented" else w for w in words]
        q = " ".join(typed)
        page = engine.search(SearchRequest(q=q, size=10, suggest=False, facets=False, snippets=False))
        ranks.append(reciprocal_rank([h["id"] for h in page["hits"]], {doc_id}))
        totals.append(page["total"])
        tiers[f"{page['tier']} {page['accents']}"] += 1
        newest = engine.search(SearchRequest(q=q, size=NEWEST, sort="newest", suggest=False, facets=False,
                                             snippets=False))["hits"]
        held = [precise(engine, h["id"], [w.split() for w in typed]) for h in newest]
        if held:
            shares.append(sum(held) / len(held))
        if shown < show and held and not all(held):
            shown += 1
            print(f"    {q!r}: {page['tier']} {page['accents']}, total {page['total']}, "
                  f"{sum(held)}/{len(held)} newest hold the words")
    return {"queries": len(pairs), "mrr": sum(ranks) / max(1, len(ranks)), "total": median(totals),
            "precision": sum(shares) / max(1, len(shares)), "tiers": dict(tiers.most_common())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_battery_sample_arguments(parser, 300, 11, "which articles and words", 0,
                                 "queries whose newest hits miss the words printed")
    args = parser.parse_args()
    data = battery_index_data(args)
    articles = read_jsonl(data_path(data, NEWS))
    pairs = queries(articles, args.limit, random.Random(args.seed))
    engine = SearchEngine(args.index)
    print(f"two words apart -- code {code_version()}, index {args.index}, seed {args.seed}")
    for variant in ("written", "unaccented"):
        figures = measure(engine, pairs, variant, args.show)
        print(f"  {variant}: {figures['queries']} queries, MRR@10 {figures['mrr']:.3f}, median total "
              f"{figures['total']:g}, precision of the {NEWEST} newest {figures['precision']:.3f}, "
              f"tiers {figures['tiers']}")


if __name__ == "__main__":
    main()
