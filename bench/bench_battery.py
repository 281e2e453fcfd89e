"""Query-understanding battery: MRR@10 per category of reader queries (bench/queries/battery.jsonl).

Usage: python bench/bench_battery.py [--data ../shared/data] [--battery FILE] [--index DIR] [--rebuild]
       [--show-misses] [--backend sphinxql://HOST:PORT,...]

The battery (built by ``bench/make_battery.py``, answers judged from the articles' text) holds
queries typed in Telex or VNI without an input method or with a typo (``telex``), with names run
together (``runtogether``), with abbreviations or their long forms (``abbreviation``), with
numbers and document references written another way (``number``), amounts in shorthand
(``amount``: ``500k``, ``10tr``), and plain title words with and without accents.  One index of
news/articles.jsonl + the portal article is built into --index (once; reused until --rebuild).
Each query runs as ``engine.search(q, size=10)``; MRR@10 is the mean of 1/rank of the first
relevant article in the top 10.  Target: 0.90 overall and in every category.  Nothing is asserted.

``--backend URL`` runs the battery on a SphinxQL cluster holding the same articles
(news/articles.jsonl and portal/, written with ``vnsearch reindex --backend URL``) instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import DEFAULT_DATA, NEWS, PORTAL, code_version, data_path, ensure_index, reciprocal_rank

from search.engine import SearchEngine, open_engine
from search.request import SearchRequest

BATTERY = Path(__file__).resolve().parent / "queries" / "battery.jsonl"
CATEGORIES = ("telex", "runtogether", "abbreviation", "number", "amount", "accented", "unaccented", "recency")
TARGET = 0.90


def load_battery(path: Path) -> list[dict]:
    """Return the battery's entries."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def run(engine: SearchEngine, battery: list[dict]) -> list[tuple[dict, float, list[str]]]:
    """Return (entry, reciprocal rank, top ids) of every query."""
    results = []
    for entry in battery:
        hits = engine.search(SearchRequest(q=entry["query"], size=10, facets=False))["hits"]
        ranked = [hit["id"] for hit in hits]
        results.append((entry, reciprocal_rank(ranked, set(entry["relevant"])), ranked))
    return results


def report(results: list[tuple[dict, float, list[str]]]) -> None:
    """Print MRR@10 per category and overall."""
    by_category: dict[str, list[float]] = defaultdict(list)
    for entry, rr, _ in results:
        by_category[entry["category"]].append(rr)
    print(f"{'category':<14}{'queries':>8}{'MRR@10':>9}")
    for category in CATEGORIES:
        values = by_category.get(category, [])
        if values:
            mrr = sum(values) / len(values)
            flag = "" if mrr >= TARGET else "  (below target)"
            print(f"{category:<14}{len(values):>8}{mrr:>9.3f}{flag}")
    overall = [rr for _, rr, _ in results]
    print(f"{'overall':<14}{len(overall):>8}{sum(overall) / len(overall):>9.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--battery", type=Path, default=BATTERY)
    parser.add_argument("--index", type=Path, default=Path("/tmp/vnsearch-bench-battery"))
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached index")
    parser.add_argument("--show-misses", action="store_true", help="print the queries scoring below 1")
    parser.add_argument("--backend", default="", help="a SphinxQL cluster holding news + portal (default: embedded)")
    args = parser.parse_args()
    if not args.backend:
        ensure_index(args.index, [data_path(args.data, NEWS), data_path(args.data, PORTAL)], args.rebuild)
    engine = open_engine(args.index, args.backend, refresh_seconds=1e9)
    results = run(engine, load_battery(args.battery))
    print(f"query-understanding battery -- code {code_version()}, {args.battery.name}, "
          f"{args.backend or 'embedded index ' + str(args.index)}\n")
    report(results)
    if args.show_misses:
        print()
        for entry, rr, _ in results:
            if rr < 1.0:
                print(f"{rr:.2f}  [{entry['category']}] {entry['query']!r}  (from {entry['source']!r})")


if __name__ == "__main__":
    main()
