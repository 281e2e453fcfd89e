"""Query latency with and without the postings cache, in one process, on an index built elsewhere.

Usage: python bench/bench_postings_cache.py --index DIR [--budgets 0,256,1024] [--runs 3] [--data ../shared/data]

One engine per budget (megabytes, ``--postings-cache-mb``; 0 = no cache) over the same index,
the latency benchmark's query mix (``bench_latency.query_mix``: title fragments, covid
questions, phrases, date filters).  Two passes, the engines alternating query by query:

- **first seen**: each query once, in the mix's order -- the cache holds only what the
  earlier queries of the mix read (the common words), as for a new query on a busy server;
- **repeated**: each query --runs more times (median per query) -- its own postings cached
  when they fit in the budget.

Prints the median and p95 of each pass per budget, the ratios to the first budget, and how
much each cache holds at the end.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_latency import query_mix
from corpus import DEFAULT_DATA, NEWS, SEED, code_version, data_path, median, percentile, read_jsonl

from search.engine import SearchEngine
from search.request import SearchRequest
from search.whoosh_backend import WhooshBackend


def timed(engine: SearchEngine, request: SearchRequest) -> float:
    """Return the milliseconds one search takes."""
    started = time.perf_counter()
    engine.search(request)
    return (time.perf_counter() - started) * 1000


def passes(engines: dict[int, SearchEngine], requests: list[SearchRequest], runs: int) -> dict:
    """Return {budget: (first-seen times, repeated times)}, the engines alternating query by query."""
    first = {budget: [] for budget in engines}
    repeated = {budget: [] for budget in engines}
    for request in requests:
        for budget, engine in engines.items():
            first[budget].append(timed(engine, request))
    for request in requests:
        runs_of = {budget: [] for budget in engines}
        for _ in range(runs):
            for budget, engine in engines.items():
                runs_of[budget].append(timed(engine, request))
        for budget in engines:
            repeated[budget].append(statistics.median(runs_of[budget]))
    return {budget: (first[budget], repeated[budget]) for budget in engines}


def main() -> None:
    """Time the mix with each cache budget and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="an index directory (e.g. bench_build.py --keep's)")
    parser.add_argument("--budgets", default="0,256", help="postings cache budgets in MB, the first the baseline")
    parser.add_argument("--runs", type=int, default=3, help="repeated runs per query")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data directory (default ../shared/data)")
    args = parser.parse_args()
    mix = query_mix(args.data.resolve(), read_jsonl(data_path(args.data.resolve(), NEWS)), SEED)
    requests = [SearchRequest(q=q.q, size=10, date_from=q.date_from, date_to=q.date_to) for q in mix]
    budgets = [int(b) for b in args.budgets.split(",")]
    engines = {b: SearchEngine(backend=WhooshBackend(args.index, postings_cache_mb=b)) for b in budgets}
    for engine in engines.values():
        engine.snapshot()
    print(f"postings cache benchmark: {args.index} ({engines[budgets[0]].snapshot().live_count} documents), "
          f"{len(requests)} queries, budgets {budgets} MB, code {code_version()}", flush=True)
    results = passes(engines, requests, args.runs)
    base_first, base_repeated = results[budgets[0]]
    print(f"{'budget MB':>9} {'first-seen median / p95 ms':>27} {'ratio':>13} {'repeated median / p95 ms':>25} "
          f"{'ratio':>13} {'held':>12}")
    for budget, (first, repeated) in results.items():
        cache = engines[budget].backend.postings_cache
        held = f"{len(cache)} / {cache.size / 1e6:.0f} MB" if cache else "-"
        print(f"{budget:>9} {median(first):>13.1f} / {percentile(first, 95):>7.1f} {ratios(first, base_first)} "
              f"{median(repeated):>12.1f} / {percentile(repeated, 95):>7.1f} {ratios(repeated, base_repeated)} "
              f"{held:>12}")


def ratios(times: list[float], base: list[float]) -> str:
    """Return 'median ratio/p95 ratio' of times against base."""
    return f"{median(times) / median(base):>6.2f}/{percentile(times, 95) / percentile(base, 95):.2f}"


if __name__ == "__main__":
    main()
