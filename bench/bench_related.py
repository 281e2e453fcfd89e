"""Related-articles benchmark: time of "Bài liên quan" for an article page, against a results page.

Usage: nice -n 5 python bench/bench_related.py [--data ../shared/data] [--sizes 6k,60k] [--articles 200] [--runs 3]

Uses the latency benchmark's corpora and cached indexes (bench_latency.prepare).  For a fixed
random sample of articles (seed SEED), in one process, each article's first view as a server
worker sees it: ``engine.related(id)`` once, with (1) the document-frequency cache emptied
first ("cold": a worker's first article after a reindex) and (2) the cache as the previous
articles left it ("warm": a worker that has served a while).  The baseline, measured in the
same process, is ``engine.search`` of the article's first five title words (a results page:
10 hits, snippets, facets, suggestion; median of --runs after a warm-up).  Prints median and
p95 of the times and of the per-article ratios to the results page, and how many articles got
no related article.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_latency import prepare
from corpus import DEFAULT_DATA, NEWS, SEED, data_path, median, percentile, read_jsonl

from search import related
from search.engine import SearchEngine
from search.request import SearchRequest


def timed(function, runs: int) -> tuple[float, object]:
    """Return (median milliseconds over runs after a warm-up, last result)."""
    result = function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times), result


def once(function) -> tuple[float, object]:
    """Return (milliseconds, result) of one call."""
    started = time.perf_counter()
    result = function()
    return 1000 * (time.perf_counter() - started), result


def measure(engine: SearchEngine, ids: list[str], titles: dict[str, str], runs: int) -> dict:
    """Time related articles (cold and warm) and a results page for each sampled article."""
    figures: dict[str, list[float]] = {"cold": [], "warm": [], "page": [], "cold/page": [], "warm/page": []}
    empty = 0
    for doc_id in ids:
        query = " ".join(titles[doc_id].split()[:5])
        ms_page, _ = timed(lambda query=query: engine.search(SearchRequest(q=query)), runs)
        saved = dict(related._DF_CACHE)
        related._DF_CACHE.clear()
        ms_cold, _ = once(lambda doc_id=doc_id: engine.related(doc_id))
        related._DF_CACHE.clear()
        related._DF_CACHE.update(saved)
        ms_warm, found = once(lambda doc_id=doc_id: engine.related(doc_id))
        for name, value in (("cold", ms_cold), ("warm", ms_warm), ("page", ms_page),
                            ("cold/page", ms_cold / ms_page), ("warm/page", ms_warm / ms_page)):
            figures[name].append(value)
        empty += not found
    figures["empty"] = empty
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="6k")
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vnsearch-bench-latency"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    articles = read_jsonl(data_path(args.data, NEWS))
    titles = {a["id"]: a["title"] for a in articles if a.get("title")}
    ids = random.Random(SEED).sample(sorted(titles), args.articles)
    for size in args.sizes.split(","):
        index_dir, _ = prepare(size, args.data, args.cache, articles, rebuild=False)
        figures = measure(SearchEngine(index_dir), ids, titles, args.runs)
        print(f"{size}: {len(ids)} articles, {figures['empty']} without related articles")
        for name in ("cold", "warm", "page", "cold/page", "warm/page"):
            values = figures[name]
            unit = "" if "/" in name else " ms"
            print(f"  {name:10} median {median(values):7.2f}{unit}  p95 {percentile(values, 95):7.2f}{unit}")


if __name__ == "__main__":
    main()
