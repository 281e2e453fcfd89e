"""Latency benchmark: a results page of vnsearch vs SQLite FTS5 doing the same work, per query.

Usage: python bench/bench_latency.py [--data ../shared/data] [--sizes 6k,60k] [--runs 5] [--rebuild]
                                     [--fts-join and|or] [--index DIR [--corpus DIR]]

Corpora: ``6k`` = news/articles.jsonl + the portal article; ``60k`` = the same articles ten times
(copies with ids suffixed -r1..-r9 and dates moved back 1..9 whole years; titles and bodies
unchanged) + the portal article, written to --cache as JSON Lines.  Each vnsearch index is built
once into --cache and reused (--rebuild rebuilds corpus and indexes).

The query mix (~40 queries, built deterministically from the data): title fragments of 3-5 words
as written and without diacritics, covid questions (retrieval/queries.jsonl, val) as written and
without diacritics, quoted phrases, and queries with a date filter.

vnsearch: ``engine.search(SearchRequest(q=..., size=10))`` -- 10 hits with snippets, every facet
and the did-you-mean suggestion.  FTS5 (in-memory, ``unicode61 remove_diacritics 2``): the top 10
by bm25 with ``snippet()``, plus year, month, category and source counts over all matches (GROUP
BY), with the query's words joined by FTS5's implicit AND (``--fts-join or``: by OR; quoted
phrases kept as phrases) and the date filter as a WHERE on an UNINDEXED day column.  Per query:
one warm-up run of each, then --runs runs alternating the two engines; the median is the
query's time.  Prints per-query times and ratios (vnsearch / FTS5),
then the median and p95 of the times and of the ratios per corpus size.  Target: vnsearch's
median <= 2x and p95 <= 3x FTS5's.  Nothing is asserted.

``--index DIR`` times an index built elsewhere instead of --sizes (``bench_build.py --keep``'s
``index-600k``: the news a hundred times over); ``--corpus`` names the JSON Lines file or folder it
was built from, for the FTS5 baseline (built in memory; without it, vnsearch is timed alone).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import (
    DEFAULT_DATA,
    NEWS,
    PORTAL,
    QUERIES,
    SEED,
    Fts5,
    code_version,
    data_path,
    ensure_index,
    median,
    percentile,
    read_jsonl,
    sample_titles,
    title_fragment,
    unaccented,
    write_replicated,
)

from search.dates import day_number
from search.documents import Article
from search.engine import SearchEngine
from search.ranking import DEFAULT_RANKING
from search.request import SearchRequest
from search.sources import scan_sources

COPIES = {"6k": 1, "60k": 10}
FRAGMENTS = 10
QUESTIONS = 6
PHRASES = ('"Bộ Chính trị"', '"Hà Nội"', '"bóng đá"', '"giá vàng"', '"Hà Nội" cấm xe máy')
DATED = (
    ("Hà Nội", date(2021, 1, 1), date(2021, 12, 31)),
    ("covid", date(2021, 4, 1), date(2021, 4, 30)),
    ("bóng đá Việt Nam", date(2024, 1, 1), date(2025, 12, 31)),
    ("giá vang", date(2026, 1, 1), date(2026, 2, 28)),
)
TARGET_MEDIAN, TARGET_P95 = 2.0, 3.0
# How the FTS5 baseline joins a query's words: implicit AND (issue 15's baseline) or OR.
FTS_JOINERS = {"and": " ", "or": " OR "}


@dataclass
class Query:
    """One query of the mix."""

    kind: str
    q: str
    date_from: date | None = None
    date_to: date | None = None

    def label(self, width: int = 58) -> str:
        """Return the query as printed (cut to width), with its date filter."""
        text = self.q + (f"  [{self.date_from}..{self.date_to}]" if self.date_from else "")
        return text if len(text) <= width else text[: width - 1] + "…"


def query_mix(data: Path, articles: list[dict], seed: int) -> list[Query]:
    """Return the fixed query mix, built deterministically from the data."""
    rng = random.Random(seed + 2)
    fragments = []
    for title in sample_titles(articles, 200, seed + 2):
        fragment = title_fragment(title, rng)
        if fragment and fragment not in fragments:
            fragments.append(fragment)
        if len(fragments) == FRAGMENTS:
            break
    questions = [q["query"] for q in read_jsonl(data_path(data, QUERIES)) if q["split"] == "val"]
    questions = random.Random(seed + 3).sample(sorted(questions), QUESTIONS)
    mix = [Query("fragment", f) for f in fragments]
    mix += [Query("fragment, no accents", unaccented(f)) for f in fragments]
    mix += [Query("question", q) for q in questions]
    mix += [Query("question, no accents", unaccented(q)) for q in questions]
    mix += [Query("phrase", p) for p in PHRASES]
    mix += [Query("date filter", q, start, end) for q, start, end in DATED]
    return mix


def portal_records(data: Path) -> list[dict]:
    """Return the portal articles as records (read the way the indexer reads them)."""
    records = []
    for item in scan_sources([str(data_path(data, PORTAL))]):
        if isinstance(item, Article):
            records.append({
                "id": item.id, "title": item.title, "body": item.body, "category": item.category,
                "source": item.source,
                "published": item.published.isoformat() if item.published else None,
            })
    return records


def prepare(size: str, data: Path, cache: Path, articles: list[dict], rebuild: bool) -> tuple[Path, list[Path]]:
    """Return (index dir, sources) of a corpus size, writing the replicated corpus when needed."""
    copies = COPIES[size]
    if copies == 1:
        sources = [data_path(data, NEWS), data_path(data, PORTAL)]
    else:
        # A folder, not a file: the HTTP load run drops extra articles into it and removes them,
        # reindexing with the remembered sources as a cron job would, leaving the sources as they were.
        folder = cache / f"corpus-{size}"
        corpus = folder / "articles.jsonl"
        if rebuild or not corpus.exists():
            folder.mkdir(parents=True, exist_ok=True)
            count = write_replicated(articles, copies, corpus)
            print(f"wrote {corpus} ({count} articles)", flush=True)
        sources = [folder, data_path(data, PORTAL)]
    index_dir = cache / f"index-{size}"
    ensure_index(index_dir, sources, rebuild, procs=2, log=lambda m: print(m, flush=True))
    return index_dir, sources


def time_call(function) -> tuple[float, object]:
    """Return (milliseconds, result) of one call."""
    started = time.perf_counter()
    result = function()
    return 1000 * (time.perf_counter() - started), result


def day_or_none(value: date | None) -> int | None:
    """Return a date as YYYYMMDD (None stays None)."""
    return day_number(value) if value else None


def bench_size(size: str, args, articles: list[dict], portal: list[dict], mix: list[Query]) -> dict:
    """Time every query of the mix on one corpus size; print and return the figures."""
    index_dir, sources = prepare(size, args.data, args.cache, articles, args.rebuild)
    return bench_index(size, index_dir, build_fts(jsonl_files(sources), portal), args, mix)


def jsonl_files(sources: list[Path]) -> list[Path]:
    """Return the JSON Lines files of sources (files, or folders of them)."""
    paths = [path for source in sources for path in (sorted(source.glob("*.jsonl")) if source.is_dir() else [source])]
    return [path for path in paths if path.suffix == ".jsonl"]


def build_fts(files: list[Path], extra: list[dict]) -> tuple[Fts5, float]:
    """Return the FTS5 baseline of the files' articles plus extra records, and its build seconds."""
    started = time.perf_counter()
    fts = Fts5(title_weight=DEFAULT_RANKING.title_weight)
    for path in files:
        fts.add(read_jsonl(path))
    fts.add(extra)
    fts.optimize()
    return fts, time.perf_counter() - started


def bench_index(size: str, index_dir: Path, baseline: tuple[Fts5, float] | None, args, mix: list[Query]) -> dict:
    """Time the mix on an index, beside the FTS5 baseline unless it is None; print and return the figures."""
    fts = baseline[0] if baseline else None
    engine = SearchEngine(index_dir)
    open_ms, _ = time_call(engine.snapshot)
    first_ms, _ = time_call(lambda: engine.search(SearchRequest(q=mix[0].q, size=10)))
    documents = engine.snapshot().live_count
    fts_note = f"FTS5 {fts.count} rows built in {baseline[1]:.1f} s" if fts else "no FTS5 baseline"
    print(f"\n== {size}: {documents} documents (vnsearch index {index_dir}); {fts_note}; "
          f"vnsearch open {open_ms:.0f} ms, first search (cold) {first_ms:.0f} ms", flush=True)
    rows = [time_query(engine, fts, query, args) for query in mix]
    print(f"{'kind':<21} {'query':<58} {'vn ms':>8} {'FTS5 ms':>8} {'ratio':>6} {'vn hits':>8} {'FTS5 hits':>9}")
    for row in rows:
        query = row["query"]
        mode = "*" if row["matching"] == "any" else " "
        fts_columns = (f"{row['fts']:>8.1f} {row['vn'] / row['fts']:>6.2f}" if fts else f"{'-':>8} {'-':>6}")
        print(f"{query.kind:<21} {query.label():<58} {row['vn']:>8.1f} {fts_columns} "
              f"{row['vn_total']:>7}{mode} {row['fts_total'] if fts else '-':>9}")
    vn = [r["vn"] for r in rows]
    summary = {
        "size": size, "documents": documents, "queries": len(rows),
        "vn_median": median(vn), "vn_p95": percentile(vn, 95),
        "slowest": sorted(rows, key=lambda r: -r["vn"])[:5],
    }
    if fts:
        fts_ms = [r["fts"] for r in rows]
        ratios = [r["vn"] / r["fts"] for r in rows]
        summary.update({"fts_median": median(fts_ms), "fts_p95": percentile(fts_ms, 95),
                        "ratio_median": median(ratios), "ratio_p95": percentile(ratios, 95)})
    print("(* = vnsearch fell back to any-word matching; hits = total matches)")
    print_summary(summary)
    return summary


def time_query(engine: SearchEngine, fts: Fts5 | None, query: Query, args) -> dict:
    """Time one query: a warm-up of each engine, then --runs runs alternating them; return the medians."""
    request = SearchRequest(q=query.q, size=10, date_from=query.date_from, date_to=query.date_to)
    low, high = day_or_none(query.date_from), day_or_none(query.date_to)
    run_vn = lambda: engine.search(request)  # noqa: E731
    run_fts = lambda: fts.page(query.q, low, high, FTS_JOINERS[args.fts_join])  # noqa: E731
    _, vn_result = time_call(run_vn)  # warm-up
    fts_result = time_call(run_fts)[1] if fts else None
    vn_times, fts_times = [], []
    for _ in range(args.runs):
        vn_times.append(time_call(run_vn)[0])
        if fts:
            fts_times.append(time_call(run_fts)[0])
    gc.collect()
    return {
        "query": query, "vn": statistics.median(vn_times), "fts": statistics.median(fts_times) if fts else None,
        "vn_total": vn_result["total"], "fts_total": fts_result["total"] if fts else None,
        "matching": vn_result["matching"], "suggestion": vn_result["suggestion"],
    }


def print_summary(s: dict) -> None:
    """Print one corpus size's medians, p95s and target check."""
    print(f"{s['size']}: {s['queries']} queries, {s['documents']} documents")
    print(f"  vnsearch ms   median {s['vn_median']:7.1f}   p95 {s['vn_p95']:7.1f}")
    if "fts_median" in s:
        median_x = s["vn_median"] / s["fts_median"]
        p95_x = s["vn_p95"] / s["fts_p95"]
        print(f"  FTS5 ms       median {s['fts_median']:7.1f}   p95 {s['fts_p95']:7.1f}")
        print(f"  vnsearch/FTS5 median {median_x:7.2f}x  p95 {p95_x:7.2f}x   "
              f"target <= {TARGET_MEDIAN:g}x / <= {TARGET_P95:g}x: "
              f"{'ok' if median_x <= TARGET_MEDIAN else 'MISS'} / {'ok' if p95_x <= TARGET_P95 else 'MISS'}")
        print(f"  per-query ratio median {s['ratio_median']:5.2f}   p95 {s['ratio_p95']:5.2f}")
    print("  slowest vnsearch queries: " + "; ".join(
        f"{r['query'].label(40)} {r['vn']:.0f} ms" + (f" (FTS5 {r['fts']:.0f})" if r["fts"] is not None else "")
        for r in s["slowest"][:3]))


def main() -> None:
    """Run the benchmark over the requested corpus sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data directory (default ../shared/data)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vnsearch-bench-latency"),
                        help="where the replicated corpus and the indexes are kept")
    parser.add_argument("--sizes", default="6k,60k", help="corpus sizes: 6k, 60k")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query (after one warm-up)")
    parser.add_argument("--rebuild", action="store_true", help="rewrite the corpus and rebuild the indexes")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--fts-join", choices=sorted(FTS_JOINERS), default="and",
                        help="how the FTS5 baseline joins the words: implicit AND (default) or OR")
    parser.add_argument("--index", type=Path,
                        help="time this existing index instead of --sizes (e.g. bench_build.py --keep's index-600k)")
    parser.add_argument("--corpus", type=Path,
                        help="with --index: the JSON Lines file or folder it was built from, for the FTS5 baseline "
                             "(without it, vnsearch alone)")
    args = parser.parse_args()
    args.data = args.data.resolve()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        if size not in COPIES:
            sys.exit(f"--sizes: unknown size {size!r} (choose from {', '.join(COPIES)})")

    started = time.perf_counter()
    args.cache.mkdir(parents=True, exist_ok=True)
    articles = read_jsonl(data_path(args.data, NEWS))
    portal = portal_records(args.data)
    mix = query_mix(args.data, articles, args.seed)
    timed = args.index or "sizes " + ", ".join(sizes)
    print(f"vnsearch latency benchmark: {len(mix)} queries, {args.runs} runs each (+1 warm-up), "
          f"{timed}; FTS5 words joined by {args.fts_join.upper()}; code {code_version()}", flush=True)
    if args.index:
        baseline = build_fts(jsonl_files([args.corpus]), []) if args.corpus else None
        summaries = [bench_index(args.index.name, args.index, baseline, args, mix)]
    else:
        summaries = [bench_size(size, args, articles, portal, mix) for size in sizes]
    print("\n== summary")
    for summary in summaries:
        print_summary(summary)
    print(f"runtime: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
