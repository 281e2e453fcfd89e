"""Words as typed apart, or together with other accents: which answers a query that has no article
holding its words together as typed.

Usage: python bench/bench_accents_apart.py [--data ../shared/data] [--index /tmp/vnsearch-bench-battery]
                                   [--limit 1000] [--seed 11] [--show 10]

Two sets of accented queries over the reader battery's index (news + portal, built once):

* slipped title fragments (``bench_slips.py``'s: one syllable's tone dropped or changed, or ``d`` typed
  for ``đ``): the reader meant the fragment, so the page should show the article it comes from;
* words apart: a name of two syllables from a news title (``Đà Nẵng``) and an accented word of the same
  article's body (``mưa``), typed as a reader asks about a place and a topic: the article holds every
  word as typed, so the page should show it.

A query is contested when no article holds its words together as typed, some hold them together with
other accents, and some hold them as typed apart: ``matching._answer`` then answers from the words
together only when some article writes them in a row.  Printed per set: the queries, the contested ones,
which tier and accents answered them, and how many of their first pages (10) show the article meant.
Nothing is asserted.
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

from bench_slips import slipped_queries
from corpus import (
    NEWS,
    TitleIndex,
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

NAME = re.compile(r"\b([A-ZĐÀ-Ỹ][^\W\d_]+ [A-ZĐÀ-Ỹ][^\W\d_]+)\b")
WORD = re.compile(r"[^\W\d_]+")


def apart_queries(articles: list[dict], count: int, rng: random.Random) -> list[tuple[str, str]]:
    """Return (query, article id): a two-syllable accented name of a title and an accented word of its body."""
    queries = []
    for article in rng.sample(articles, len(articles)):
        title, body = (unicodedata.normalize("NFC", article.get(key) or "") for key in ("title", "body"))
        names = [name for name in NAME.findall(title) if unidecode(name) != name]
        words = [w for w in WORD.findall(body) if w.islower() and len(w) > 1 and unidecode(w) != w]
        if names and words:
            queries.append((f"{rng.choice(names).lower()} {rng.choice(words)}", article["id"]))
        if len(queries) == count:
            break
    return queries


def answered(engine: SearchEngine, query: str) -> tuple[dict, str | None]:
    """Return a query's first page and, when contested, what answered it ("in a row" or "apart")."""
    search = lambda match: engine.search(  # noqa: E731
        SearchRequest(q=query, match=match, size=10, suggest=False, facets=False, snippets=False))
    page, together, every = search("auto"), search("together"), search("all")
    contested = (together["accents"] == "folded" and together["total"] > 0
                 and every["accents"] == "exact" and every["total"] > 0)
    if not contested:
        return page, None
    return page, "in a row" if (page["tier"], page["accents"]) == ("together", "folded") else "apart"


def measure(engine: SearchEngine, queries: list[tuple[str, set[str]]], show: int) -> Counter:
    """Count the contested queries, what answered them and whose first page shows an article meant."""
    counts: Counter = Counter(queries=len(queries))
    shown = 0
    for query, meant in queries:
        page, how = answered(engine, query)
        if how is None:
            continue
        counts["contested"] += 1
        counts[how] += 1
        held = bool(meant & {hit["id"] for hit in page["hits"]})
        counts[f"{how}, article shown"] += held
        if not held and shown < show:
            shown += 1
            print(f"    {query!r}: answered {how} ({page['tier']}, {page['accents']}, {page['total']}),"
                  " article not shown")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_battery_sample_arguments(parser, 1000, 11, "which titles, fragments, slips and words",
                                 10, "queries whose page misses the article printed")
    args = parser.parse_args()
    data = battery_index_data(args)
    articles = read_jsonl(data_path(data, NEWS))
    rng = random.Random(args.seed)
    fragments = [f for f in title_fragments(articles, args.limit, args.seed, rng) if unidecode(f) != f]
    titles = TitleIndex(articles)
    slipped = [(query, titles.containing(fragment)) for fragment, query, _ in slipped_queries(fragments, rng)]
    apart = [(query, {doc_id}) for query, doc_id in apart_queries(articles, args.limit, rng)]
    engine = SearchEngine(args.index)
    print(f"words apart or together with other accents -- code {code_version()}, index {args.index}, "
          f"seed {args.seed}")
    for name, queries in (("slipped title fragments", slipped), ("a name and a word apart", apart)):
        print(f"  {name}:")
        counts = measure(engine, queries, args.show)
        print(f"    {counts['queries']} queries, {counts['contested']} contested: answered from the words in a row "
              f"{counts['in a row']} (article shown {counts['in a row, article shown']}), from the words apart "
              f"{counts['apart']} (article shown {counts['apart, article shown']})")


if __name__ == "__main__":
    main()
