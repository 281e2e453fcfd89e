"""A results page's first stage before and after a change to it, in one process.

Usage: python bench/bench_first_stage.py --index DIR [--runs 2] [--limit N] [--data ../shared/data]
                                         [--change scope|merged-frequencies|block-headers]

Two engines over the same index (each its own postings cache, default budget), the code of this
tree run two ways, alternating query by query (the order swapped every other query).  --change
names what differs between ``before`` and ``after``:

- ``scope`` (the default): before, every posting of each query term scored (BM25F over the whole
  posting list, kept in the postings cache for the next queries); after, only the pool a page is
  ordered from scored when a term has many postings and the pool is small
  (``search.execute.Scope``);
- ``merged-frequencies``: a term's BM25F frequencies summed field after field in an array (of the
  index's size, scanned for the documents, unless the term is rare) (before), or, in an index of
  ``MERGED_MIN_DOCUMENTS`` articles or more, merged from its fields' sorted postings (after,
  ``QueryContext._term_frequencies``);
- ``block-headers``: each posting block's header unpickled from a stream over the whole block,
  which copies it (before), or over its first ``codec.BLOCK_HEADER_BYTES`` (after).

Queries: the latency mix (41, ``bench_latency.query_mix``), bench_worst's heavy ones (12 of keyboard
garbage, 4 of each pasted kind) and 27 requests with sorts, pages, a category filter and
``match=most``.  A third engine runs each query first, untimed, so that the page cache of the
operating system holds what both read: "first seen" is a query new to each engine's postings
cache on a machine whose disk cache is warm.  Then ``--runs`` repeated runs (median per query).
Times are CPU time of the process (``time.process_time``): on a shared machine the wall-clock
ratio swings with other people's load.  Every result dict (but ``took_ms``) of the two is
compared; the script prints how many are identical.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_worst
from bench_latency import query_mix
from corpus import DEFAULT_DATA, NEWS, SEED, code_version, data_path, percentile, read_jsonl

from search import codec, execute, whoosh_backend
from search.engine import SearchEngine
from search.request import SearchRequest

SCOPED = execute.run_match


def _every_posting(ctx, parsed, mode, scored, read=None, best=None):
    """Run a query's match scoring every posting of its terms (as before ``Scope``: no pool, so no cut)."""
    return SCOPED(ctx, parsed, mode, lambda matched: None, read)


MERGED_FREQUENCIES = execute.QueryContext._term_frequencies
BLOCK_HEADER = codec._block_header


def _whole_block_header(block: memoryview) -> tuple[tuple, int]:
    """Return a posting block's header and its size, unpickled over the whole block (as before)."""
    stream = io.BytesIO(block)
    header = pickle.load(stream)
    return header, stream.tell()


CHANGES = {
    "scope": lambda before: setattr(whoosh_backend, "run_match", _every_posting if before else SCOPED),
    "merged-frequencies": lambda before: setattr(
        execute.QueryContext, "_term_frequencies",
        execute.QueryContext._summed_term_frequencies if before else MERGED_FREQUENCIES),
    "block-headers": lambda before: setattr(codec, "_block_header", _whole_block_header if before else BLOCK_HEADER),
}
CHANGE = ["scope"]


def variant(name: str) -> None:
    """Make the code run as before or after the change measured."""
    CHANGES[CHANGE[0]](name == "before")


def requests_of(data: Path) -> tuple[list[SearchRequest], int, int]:
    """Return (requests, how many of the latency mix, how many heavy ones after them)."""
    articles = read_jsonl(data_path(data, NEWS))
    mix = [SearchRequest(q=q.q, size=10, date_from=q.date_from, date_to=q.date_to)
           for q in query_mix(data, articles, SEED)]
    heavy = [SearchRequest(q=q, size=10) for q in bench_worst.heavy_queries(articles, 12, SEED + 7)]
    heavy += [SearchRequest(q=q, size=10) for _, q in bench_worst.pasted_queries(articles, 4, SEED + 11)]
    others = []
    for q in ("bóng đá", "giá vàng hôm nay", "covid"):
        for params in ({"sort": "newest"}, {"sort": "oldest"}, {"page": "3"}, {"category": "Thể thao"},
                       {"match": "most"}, {"sort": "newest", "page": "2"}, {"date_from": "2021-01-01"},
                       {"size": "50"}, {"match": "all", "sort": "oldest"}):
            others.append(SearchRequest.from_params({"q": q, "size": "10", **params}))
    return mix + heavy + others, len(mix), len(heavy)


def timed(engine: SearchEngine, request: SearchRequest) -> tuple[float, dict]:
    """Return (CPU milliseconds, result without took_ms) of one search."""
    started = time.process_time()
    result = engine.search(request)
    return (time.process_time() - started) * 1000, {k: v for k, v in result.items() if k != "took_ms"}


def summary(label: str, times: dict[str, list[float]], mix: int, heavy: int) -> None:
    """Print the mix's median and p95 and the heavy queries' worst per variant, and the ratios."""
    for name, values in times.items():
        m, h = values[:mix], values[mix : mix + heavy]
        print(f"  {label:<22} {name:<6} mix median {statistics.median(m):7.1f}  p95 {percentile(m, 95):7.1f}  "
              f"total {sum(m):8.0f}   heavy worst {max(h, default=0):7.1f}  total {sum(h):8.0f}   "
              f"all {sum(values):8.0f} ms")
    b, a = times["before"], times["after"]
    ratios = [y / x for x, y in zip(b[:mix], a[:mix], strict=True)]
    print(f"  {label:<22} after/before: mix median {statistics.median(a[:mix]) / statistics.median(b[:mix]):.2f}, "
          f"p95 {percentile(a[:mix], 95) / percentile(b[:mix], 95):.2f}, total {sum(a[:mix]) / sum(b[:mix]):.2f}, "
          f"median of per-query ratios {statistics.median(ratios):.2f}; heavy worst "
          f"{max(a[mix:mix + heavy], default=0) / max(b[mix:mix + heavy], default=1):.2f}; "
          f"all requests {sum(a) / sum(b):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True, help="an index built elsewhere (only read)")
    parser.add_argument("--runs", type=int, default=2, help="repeated runs after the first-seen pass")
    parser.add_argument("--limit", type=int, default=None, help="only the first N requests")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--change", choices=sorted(CHANGES), default="scope", help="what before and after differ in")
    args = parser.parse_args()
    CHANGE[0] = args.change
    requests, mix, heavy = requests_of(args.data)
    requests = requests[: args.limit]
    mix, heavy = min(mix, len(requests)), max(0, min(heavy, len(requests) - mix))
    engines = {name: SearchEngine(args.index) for name in ("before", "after")}
    warm = SearchEngine(args.index)
    print(f"change {args.change}, code {code_version()}, index {args.index}, {len(requests)} requests "
          f"({mix} of the latency mix, {heavy} heavy), load {os.getloadavg()[0]:.1f}", flush=True)
    for engine in (*engines.values(), warm):
        variant("after")
        engine.search(SearchRequest(q="xyzzy", size=10))
    first = {name: [] for name in engines}
    identical, differing = 0, []
    for i, request in enumerate(requests):
        variant("after")
        warm.search(request)
        results = {}
        for name in engines if i % 2 == 0 else reversed(list(engines)):
            variant(name)
            spent, results[name] = timed(engines[name], request)
            first[name].append(spent)
        if results["before"] == results["after"]:
            identical += 1
        else:
            differing.append(request.q)
    print(f"identical result dicts: {identical} of {len(requests)}"
          + (f"; differing: {differing}" if differing else ""))
    summary("first seen", first, mix, heavy)
    repeated = {name: [[] for _ in requests] for name in engines}
    for run in range(args.runs):
        for i, request in enumerate(requests):
            for name in engines if (i + run) % 2 == 0 else reversed(list(engines)):
                variant(name)
                repeated[name][i].append(timed(engines[name], request)[0])
        gc.collect()
    if args.runs:
        summary(f"repeated (median of {args.runs})",
                {name: [statistics.median(t) for t in times] for name, times in repeated.items()}, mix, heavy)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
