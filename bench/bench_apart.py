"""Words typed apart that the articles write as one ("sam sung"), and words run together ("vleague", "realmadrid").

Usage: python bench/bench_apart.py [--data ../shared/data] [--index /tmp/vnsearch-bench-battery]
                                   [--limit 300] [--seed 11] [--show 10]

Three sets of reader queries, drawn from the news corpus and searched over the reader battery's index
(news + portal, built once):

- **typed apart**: words of letters (and digits) that are no Vietnamese syllable, held by at least 3
  articles (``Samsung``, ``Facebook``, ``Viettel``), each cut in two where both pieces are words some
  article holds on their own (``sam sung``, ``face book``, ``viet tel``; one cut a word, chosen with
  ``--seed``), lower case.  Relevant: the articles writing the word.
- **letter run in**: a letter joined to a word by a hyphen or a dot (``V-League``, ``K-pop``), typed run
  together without it (``vleague``, ``kpop``).  Relevant: the articles writing the letter and the word in
  a row.
- **run together**: two words a title writes in a row, each of letters, typed as one word without
  accents that no article writes (``Real Madrid``: ``realmadrid``, ``giao dịch``: ``giaodich``; 4-16
  letters), sampled with ``--seed``.  Relevant: the articles writing the two words in a row (folded).

Printed per set: MRR@10 (the first relevant article's rank in the top 10), how many pages find a relevant
article in their top 10, the share of the top 10 that is relevant (over the queries whose page finds any),
and how many queries got a notice of words joined ("Đã ghép") or split ("Đã tách"), and of those split,
how many were split into the two words as written ("as written").  Then the false
alarms: unaccented title fragments of 2-5 words (``corpus.title_fragment`` of ``--limit`` sampled titles)
whose words query understanding joined: each is printed, as each may be two words read as one.  Nothing
is asserted.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import (
    NEWS,
    add_battery_index_arguments,
    battery_index_data,
    code_version,
    data_path,
    read_jsonl,
    reciprocal_rank,
    sample_titles,
    title_fragment,
    unaccented,
)

from search.engine import SearchEngine
from search.request import SearchRequest
from search.telex import is_folded_syllable

MIN_ARTICLES = 3
_WORD_RE = re.compile(r"\b[A-Za-z][A-Za-z0-9]{3,}\b")
_LETTER_WORD_RE = re.compile(r"(?<![\w.\-])([A-Za-z])[-.]([A-Za-z]{3,})\b")
_TOKEN_RE = re.compile(r"[^\W_]+")


def article_text(article: dict) -> str:
    """Return an article's title and body."""
    return f"{article.get('title') or ''}\n{article.get('body') or ''}"


def held_words(articles: list[dict]) -> tuple[dict[str, set[str]], set[str]]:
    """Return {folded ASCII word: ids of the articles writing it} and every folded token written."""
    holding: dict[str, set[str]] = defaultdict(set)
    tokens: set[str] = set()
    for article in articles:
        text = article_text(article)
        tokens.update(unaccented(token).lower() for token in _TOKEN_RE.findall(text))
        for word in _WORD_RE.findall(text):
            holding[word.lower()].add(article["id"])
    return holding, tokens


def apart_queries(articles: list[dict], rng: random.Random, limit: int) -> list[tuple[str, set[str]]]:
    """Return (word cut in two, ids of the articles writing the word) for sampled non-syllable words."""
    holding, tokens = held_words(articles)
    queries = []
    for word in sorted(holding):
        if len(holding[word]) < MIN_ARTICLES or is_folded_syllable(word) or word.isdigit():
            continue
        cuts = [(word[:at], word[at:]) for at in range(2, len(word) - 1)
                if word[:at] in tokens and word[at:] in tokens and not word[at:].isdigit()]
        if cuts:
            first, second = rng.choice(cuts)
            queries.append((f"{first} {second}", holding[word]))
    rng.shuffle(queries)
    return queries[:limit]


def letter_queries(articles: list[dict], limit: int) -> list[tuple[str, set[str]]]:
    """Return (letter and word run together, ids of the articles writing them in a row) for each
    letter joined to a word by a hyphen or a dot in at least MIN_ARTICLES articles."""
    holding: dict[str, set[str]] = defaultdict(set)
    for article in articles:
        for letter, word in _LETTER_WORD_RE.findall(article_text(article)):
            holding[(letter + word).lower()].add(article["id"])
    return [(joined, ids) for joined, ids in sorted(holding.items()) if len(ids) >= MIN_ARTICLES][:limit]


def run_together_queries(articles: list[dict], rng: random.Random, limit: int) -> list[tuple[str, set[str], str]]:
    """Return (two title words in a row joined, ids of the articles writing them in a row, the two words)
    for sampled pairs whose joined word no article writes."""
    _, tokens = held_words(articles)
    pairs = set()
    for article in articles:
        words = [unaccented(token).lower() for token in _TOKEN_RE.findall(article.get("title") or "")]
        pairs.update((first, second) for first, second in itertools.pairwise(words)
                     if first.isalpha() and second.isalpha() and 4 <= len(first + second) <= 16
                     and first + second not in tokens)
    sampled = rng.sample(sorted(pairs), min(limit, len(pairs)))
    holding: dict[tuple[str, str], set[str]] = defaultdict(set)
    wanted = set(sampled)
    for article in articles:
        words = [unaccented(token).lower() for token in _TOKEN_RE.findall(article_text(article))]
        for pair in wanted.intersection(itertools.pairwise(words)):
            holding[pair].add(article["id"])
    return [(first + second, holding[(first, second)], f"{first} {second}") for first, second in sampled]


def measure(engine: SearchEngine, queries: list[tuple]) -> dict:
    """Search each query (query, relevant ids[, its words as written]): reciprocal ranks, pages finding
    a relevant article, their share, notices, splits as written."""
    figures = defaultdict(float)
    for query, relevant, *written in queries:
        result = engine.search(SearchRequest(q=query, size=10, facets=False))
        ranked = [hit["id"] for hit in result["hits"]]
        figures["rr"] += reciprocal_rank(ranked, relevant)
        found = [doc for doc in ranked if doc in relevant]
        if found:
            figures["found"] += 1
            figures["share"] += len(found) / len(ranked)
        figures["joined"] += any(n.startswith("Đã ghép") for n in result["notices"])
        splits = [n for n in result["notices"] if n.startswith("Đã tách")]
        figures["split"] += bool(splits)
        figures["as written"] += any(n.endswith(f"thành “{words}”.") for n in splits for words in written)
    return figures


def false_joins(engine: SearchEngine, fragments: list[str]) -> list[tuple[str, list[str]]]:
    """Return the unaccented fragments whose words were joined, with the notices saying so."""
    joined = []
    for fragment in fragments:
        notices = engine.search(SearchRequest(q=fragment, size=10, facets=False))["notices"]
        said = [n for n in notices if n.startswith("Đã ghép")]
        if said:
            joined.append((fragment, said))
    return joined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_battery_index_arguments(parser)
    parser.add_argument("--limit", type=int, default=300, help="queries a set, and titles sampled for fragments")
    parser.add_argument("--seed", type=int, default=11, help="which words, cuts and fragments")
    parser.add_argument("--show", type=int, default=10, help="false joins printed")
    args = parser.parse_args()
    data = battery_index_data(args)
    articles = read_jsonl(data_path(data, NEWS))
    rng = random.Random(args.seed)
    sets = {"typed apart": apart_queries(articles, rng, args.limit),
            "letter run in": letter_queries(articles, args.limit),
            "run together": run_together_queries(articles, rng, args.limit)}
    titles = sample_titles(articles, args.limit, args.seed)
    fragments = [unaccented(f).lower() for f in (title_fragment(t, rng, (2, 5)) for t in titles) if f]
    engine = SearchEngine(args.index)
    print(f"words typed apart and run together -- code {code_version()}, index {args.index}, seed {args.seed}")
    print(f"  {'set':<15}{'queries':>8}{'MRR@10':>8}{'found':>7}{'share':>7}{'joined':>8}{'split':>7}"
          f"{'as written':>12}")
    for name, queries in sets.items():
        figures = measure(engine, queries)
        count = len(queries)
        share = figures["share"] / figures["found"] if figures["found"] else 0.0
        print(f"  {name:<15}{count:>8}{figures['rr'] / max(count, 1):>8.3f}{int(figures['found']):>7}"
              f"{share:>7.2f}{int(figures['joined']):>8}{int(figures['split']):>7}{int(figures['as written']):>12}")
    joined = false_joins(engine, fragments)
    print(f"  unaccented title fragments: {len(joined)} of {len(fragments)} had words joined")
    for fragment, said in joined[: args.show]:
        print(f"    {fragment!r}: {' '.join(said)}")


if __name__ == "__main__":
    main()
