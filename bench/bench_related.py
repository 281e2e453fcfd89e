"""Related-articles benchmark: time of "Bài liên quan" for an article page, against a results page.

Usage: nice -n 5 python bench/bench_related.py [--data ../shared/data] [--sizes 6k,60k] [--articles 200] [--runs 3]

Uses the latency benchmark's corpora and cached indexes (bench_latency.prepare).  For a fixed
random sample of articles (seed SEED): ``engine.related(id)`` (up to 5 related articles) and,
as the baseline measured in the same process, ``engine.search`` of the article's first five
title words (a results page: 10 hits, snippets, facets, suggestion).  Per article, the median
of --runs runs after one warm-up.  Prints median and p95 of both and of their ratio.  Also
prints how many articles got no related article.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_latency import prepare  # noqa: E402
from corpus import DEFAULT_DATA, NEWS, SEED, data_path, median, percentile, read_jsonl  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.request import SearchRequest  # noqa: E402


def timed(function, runs: int) -> tuple[float, object]:
    """Return (median milliseconds over runs after a warm-up, last result)."""
    result = function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times), result


def measure(engine: SearchEngine, ids: list[str], titles: dict[str, str], runs: int) -> dict:
    """Time related articles and a results page for each sampled article."""
    related, pages, ratios, empty = [], [], [], 0
    for doc_id in ids:
        ms_related, found = timed(lambda: engine.related(doc_id), runs)
        query = " ".join(titles[doc_id].split()[:5])
        ms_page, _ = timed(lambda: engine.search(SearchRequest(q=query)), runs)
        related.append(ms_related)
        pages.append(ms_page)
        ratios.append(ms_related / ms_page)
        empty += not found
    return {"related": related, "page": pages, "ratio": ratios, "empty": empty}


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
        for name in ("related", "page", "ratio"):
            values = figures[name]
            unit = "" if name == "ratio" else " ms"
            print(f"  {name:8} median {median(values):7.2f}{unit}  p95 {percentile(values, 95):7.2f}{unit}")


if __name__ == "__main__":
    main()
