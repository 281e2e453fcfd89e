"""Typesense side by side over HTTP: the latency of a results page, vnsearch beside Typesense.

Usage: python bench/bench_typesense_http.py [--data ../shared/data] [--sizes 6k,60k] [--queries 300]
                                            [--runs 3] [--workers 2] [--slowest 10]

Needs the bench extra (``pip install -e '.[bench]'``), as ``bench_typesense.py``.  For each corpus
size of the latency benchmark (``bench_latency.py``: 6k = the news corpus, 60k = it ten times
over, indexes and corpus kept in --cache), serves vnsearch's index with ``vnsearch serve``
(--workers x 1 thread) and Typesense 0.24.1 (``bench_typesense.TypesenseServer``) over the same
articles, then sends --queries val title fragments as written (``bench_resultset.fragments``),
one at a time over a kept-alive connection to each, alternating the engines query by query:

* vnsearch: ``GET /api/search?q=...&size=10``: 10 hits with highlighted titles and snippets,
  facets (year, month, category, source), "did you mean" -- the JSON of a results page;
* Typesense: ``query_by=title,body``, ``query_by_weights=2,1``, ``prefix=false``, ``per_page=10``,
  ``facet_by=year,category,source``, titles and bodies highlighted (body snippets), the body
  itself left out of the answer (``exclude_fields=body``) as vnsearch leaves it out.

A query's time is the median of --runs timed runs after one warm-up of each engine; printed per
size: median and p95 of both and their ratios, and each engine's --slowest queries (its p95
tail).  Target (issue 15): vnsearch's median and p95 <= Typesense's at 6k and 60k.  Nothing is
asserted; both servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_latency
from bench_http import Server
from bench_resultset import fragments
from bench_typesense import COLLECTION, TypesenseServer
from corpus import DEFAULT_DATA, NEWS, code_version, data_path, percentile, read_jsonl, record_day, write_replicated

FACETS = "year,category,source"
SCHEMA = [
    {"name": "title", "type": "string", "locale": "vi"},
    {"name": "body", "type": "string", "locale": "vi"},
    {"name": "published", "type": "int64"},
    {"name": "year", "type": "int32", "facet": True},
    {"name": "category", "type": "string", "facet": True},
    {"name": "source", "type": "string", "facet": True},
]
BATCH = 500


def typesense_document(number: int, article: dict) -> dict:
    """Return an article as a Typesense document (its facets as vnsearch reads them)."""
    day = record_day(article.get("published"))
    return {"id": str(number), "title": article.get("title") or "", "body": article.get("body") or "",
            "published": day, "year": day // 10000, "category": article.get("category") or "",
            "source": article.get("source") or article.get("publisher") or ""}


def index_typesense(server: TypesenseServer, articles: list[dict]) -> float:
    """Index the articles with facet fields; return seconds."""
    started = time.perf_counter()
    server.client.collections.create({"name": COLLECTION, "fields": SCHEMA})
    documents = server.client.collections[COLLECTION].documents
    for start in range(0, len(articles), BATCH):
        batch = [typesense_document(n, a) for n, a in enumerate(articles[start : start + BATCH], start)]
        failed = [r for r in documents.import_(batch, {"action": "create"}) if not r.get("success")]
        if failed:
            sys.exit(f"typesense import failed: {failed[:3]}")
    return time.perf_counter() - started


class Endpoint:
    """One kept-alive HTTP connection to a server, timing GETs of a results page."""

    def __init__(self, port: int, path: str, params: dict, headers: dict | None = None):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.path, self.params, self.headers = path, params, headers or {}

    def get(self, query: str) -> tuple[float, dict]:
        """Return (milliseconds, decoded JSON) of the page of a query."""
        target = self.path + "?" + urllib.parse.urlencode({**self.params, "q": query})
        started = time.perf_counter()
        self.connection.request("GET", target, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        spent = 1000 * (time.perf_counter() - started)
        if response.status != 200:
            sys.exit(f"{self.path}: HTTP {response.status} for {query!r}: {body[:200]!r}")
        return spent, json.loads(body)


def endpoints(vnsearch: Server, typesense: TypesenseServer) -> dict[str, Endpoint]:
    """Return the two engines' results-page endpoints."""
    return {
        "vnsearch": Endpoint(vnsearch.port, "/api/search", {"size": 10}),
        "Typesense": Endpoint(typesense.port, f"/collections/{COLLECTION}/documents/search", {
            "query_by": "title,body", "query_by_weights": "2,1", "prefix": "false", "per_page": 10,
            "facet_by": FACETS, "highlight_fields": "title,body", "exclude_fields": "body"},
            {"X-TYPESENSE-API-KEY": typesense.client.config.api_key}),
    }


def measure(engines: dict[str, Endpoint], queries: list[str], runs: int) -> dict[str, list[float]]:
    """Return each engine's per-query median milliseconds, the engines alternating query by query."""
    for query in queries:
        for endpoint in engines.values():
            endpoint.get(query)  # warm-up
    times: dict[str, list[list[float]]] = {name: [[] for _ in queries] for name in engines}
    for _ in range(runs):
        for number, query in enumerate(queries):
            for name, endpoint in engines.items():
                times[name][number].append(endpoint.get(query)[0])
    return {name: [statistics.median(spent) for spent in per_query] for name, per_query in times.items()}


def size_articles(size: str, cache: Path, articles: list[dict]) -> list[dict]:
    """Return the articles of a corpus size (the replicated corpus as bench_latency writes it)."""
    if bench_latency.COPIES[size] == 1:
        return articles
    corpus = cache / f"corpus-{size}" / "articles.jsonl"
    if not corpus.exists():
        write_replicated(articles, bench_latency.COPIES[size], corpus)
    return read_jsonl(corpus)


def bench_size(size: str, args, articles: list[dict], queries: list[str]) -> None:
    """Serve one size with both engines and print the side-by-side latency."""
    index_dir, _ = bench_latency.prepare(size, args.data, args.cache, articles, rebuild=False)
    corpus = size_articles(size, args.cache, articles)
    typesense = TypesenseServer()
    vnsearch = None
    try:
        seconds = index_typesense(typesense, corpus)
        vnsearch = Server(index_dir, args.workers, 1)
        figures = measure(endpoints(vnsearch, typesense), queries, args.runs)
    finally:
        typesense.stop()
        if vnsearch is not None:
            vnsearch.stop()
    print(f"\n== {size}: {len(corpus)} articles (Typesense indexed in {seconds:.0f} s), {len(queries)} queries, "
          f"median of {args.runs} runs each; vnsearch {args.workers} workers x 1 thread")
    summary = {name: (statistics.median(t), percentile(t, 95)) for name, t in figures.items()}
    for name, (med, p95) in summary.items():
        print(f"  {name:<10} median {med:6.1f} ms   p95 {p95:6.1f} ms")
    (vn_med, vn_p95), (ts_med, ts_p95) = summary["vnsearch"], summary["Typesense"]
    ok = vn_med <= ts_med and vn_p95 <= ts_p95
    print(f"  vnsearch/Typesense median {vn_med / ts_med:.2f}x  p95 {vn_p95 / ts_p95:.2f}x   "
          f"target <= 1x / <= 1x: {'ok' if ok else 'MISS'}", flush=True)
    print_slowest(figures, queries, args.slowest)


def print_slowest(figures: dict[str, list[float]], queries: list[str], count: int) -> None:
    """Print each engine's count slowest queries beside the other engine's time for them (the p95 tail)."""
    for name, times in figures.items():
        other = next(n for n in figures if n != name)
        slowest = sorted(range(len(queries)), key=lambda i: -times[i])[:count]
        if slowest:
            print(f"  slowest on {name}: " + "; ".join(
                f"{queries[i]} {times[i]:.0f} ms ({other} {figures[other][i]:.0f})" for i in slowest))


def main() -> None:
    """Run the side by side over the requested sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vnsearch-bench-latency"),
                        help="where the replicated corpus and vnsearch's indexes are kept (as bench_latency)")
    parser.add_argument("--sizes", default="6k,60k")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--slowest", type=int, default=10, help="print each engine's N slowest queries")
    args = parser.parse_args()
    args.data = args.data.resolve()
    args.cache.mkdir(parents=True, exist_ok=True)
    articles = read_jsonl(data_path(args.data, NEWS))
    queries = [fragment for fragment, _ in fragments(articles, "val", args.queries)]
    print(f"vnsearch vs Typesense 0.24.1 over HTTP, results pages; code {code_version()}", flush=True)
    for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        if size not in bench_latency.COPIES:
            sys.exit(f"--sizes: unknown size {size!r} (choose from {', '.join(bench_latency.COPIES)})")
        bench_size(size, args, articles, queries)


if __name__ == "__main__":
    main()
