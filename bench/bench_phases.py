"""Where a results page's time goes: CPU time per stage of ``SearchEngine.search``, heavy queries and the mix.

Usage: nice -n 10 python bench/bench_phases.py [--sizes 6k,60k] [--cache /tmp/vnsearch-bench-latency]
                                              [--index DIR] [--runs 3] [--worst 5] [--set NAME=VALUE]

On the latency benchmark's indexes (``bench_latency.prepare``; ``--index`` times an index built
elsewhere, only reading it), one engine answers ``bench_worst.py``'s 28 heavy queries (its defaults)
and the latency mix's 41 queries, each a results page (10 hits, snippets, facets, "did you mean"),
once to warm up and then ``--runs`` times, every query of a set in turn.  The stages are the functions
the page goes through, each wrapped in a timer of the process's CPU time; a stage's time is its own,
without the stages it calls (BM25F inside "did you mean"'s own search counts as BM25F): parsing with
pyvi (``parse``), Telex/VNI and the other readings (``understand``), the postings bound
(``keep_rarest``), the match's tiers, BM25F, proximity, the facet counts, the stored fields, the
title's and the snippets' highlighting (the regex scan apart), "did you mean" (typos, accents restored,
its own parsing and searches), and what is left of ``results.search`` and the backend's search.
Printed per set: each stage's CPU ms per page and share; then the ``--worst`` costliest heavy queries
(the median of their runs) with their six costliest stages.  The timers cost a little themselves (a
few microseconds a call).  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_worst
from bench_latency import COPIES, prepare, query_mix
from corpus import NEWS, SEED, code_version, data_path, read_jsonl

from search import execute, highlight, results, suggest, whoosh_backend
from search.engine import SearchEngine
from search.ranking import DEFAULT_RANKING, Ranking
from search.reader import Snapshot
from search.request import SearchRequest

CLOCK = time.process_time
# (owner, attribute, stage): what is timed, as looked up where the page's code calls it.
STAGES = [
    (results, "parse_query", "parse (pyvi)"),
    (results, "understand", "understand (Telex, readings)"),
    (results, "keep_rarest", "keep_rarest (bounds)"),
    (execute.matching, "match", "match (tiers)"),
    (execute, "_scores", "BM25F"),
    (execute, "_proximity", "proximity"),
    (whoosh_backend, "facet_counts", "facets"),
    (Snapshot, "stored", "stored fields"),
    (whoosh_backend.SnapshotView, "search", "backend search, rest"),
    (whoosh_backend.SnapshotView, "top_documents", "did you mean: searches, rest"),
    (suggest, "_typo_corrections", "did you mean: typos"),
    (suggest, "_restore_accents", "did you mean: accents"),
    (suggest, "parse_query", "did you mean: parse"),
    (results, "_suggestion", "did you mean: rest"),
    (results, "_corrected", "corrected query, rest"),
    (highlight, "highlight_all", "title highlight"),
    (highlight, "find_matches", "highlight: regex scan"),
    (highlight, "snippet", "snippets, rest"),
    (results, "search", "results.search, rest"),
]


class Timers:
    """Exclusive CPU time per stage: each wrapped call's time less that of the wrapped calls inside it."""

    def __init__(self):
        self.spent: dict[str, float] = defaultdict(float)
        self._inside: list[float] = []

    def wrap(self, owner, name: str, stage: str) -> None:
        """Replace owner.name by a timed call of it."""
        function = getattr(owner, name)

        def timed(*args, **kwargs):
            started = CLOCK()
            self._inside.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                spent = CLOCK() - started
                self.spent[stage] += spent - self._inside.pop()
                if self._inside:
                    self._inside[-1] += spent

        setattr(owner, name, timed)


def run_set(engine: SearchEngine, timers: Timers, requests: list[SearchRequest], runs: int):
    """Return ({stage: CPU s}, total CPU s, [per-request (median s, {stage: s} of that run)])."""
    for request in requests:
        engine.search(request)  # warm-up
    per_request: list[list[tuple[float, dict]]] = [[] for _ in requests]
    totals: dict[str, float] = defaultdict(float)
    for _ in range(runs):
        for request, seen in zip(requests, per_request):
            timers.spent.clear()
            started = CLOCK()
            engine.search(request)
            seen.append((CLOCK() - started, dict(timers.spent)))
            for stage, spent in timers.spent.items():
                totals[stage] += spent
    total = sum(spent for seen in per_request for spent, _ in seen)
    medians = [sorted(seen, key=lambda pair: pair[0])[len(seen) // 2] for seen in per_request]
    return totals, total, medians


def report(label: str, totals: dict, total: float, pages: int) -> None:
    """Print each stage's CPU ms per page and share of the set's time."""
    print(f"  {label}: {1000 * total / pages:.1f} ms of CPU a page ({pages} pages)")
    for stage, spent in sorted(totals.items(), key=lambda pair: -pair[1]):
        print(f"    {stage:<32} {1000 * spent / pages:7.2f} ms  {100 * spent / total:5.1f}%")


def bench_index(label: str, index_dir: Path, ranking: Ranking, timers: Timers, mix, heavy: list[str],
                kinds: list[str], args) -> None:
    """Time the stages of the heavy queries and the mix on one index."""
    engine = SearchEngine(index_dir, ranking=ranking)
    heavy_requests = [SearchRequest(q=q, size=10) for q in heavy]
    mix_requests = [SearchRequest(q=q.q, size=10, date_from=q.date_from, date_to=q.date_to) for q in mix]
    print(f"\n== {label}")
    medians = []
    for name, requests in (("heavy", heavy_requests), ("mix", mix_requests)):
        totals, total, per_request = run_set(engine, timers, requests, args.runs)
        report(name, totals, total, args.runs * len(requests))
        medians = medians or per_request
    print(f"  the {args.worst} costliest heavy queries (median of {args.runs} runs):")
    for index in sorted(range(len(heavy)), key=lambda i: -medians[i][0])[: args.worst]:
        spent, stages = medians[index]
        costliest = sorted(stages.items(), key=lambda pair: -pair[1])[:6]
        print(f"    {1000 * spent:6.1f} ms  {kinds[index]:<28} {heavy[index][:48]!r}")
        print("              " + ", ".join(f"{stage} {1000 * s:.1f}" for stage, s in costliest))


def main() -> None:
    """Run the stage timing over the requested corpus sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench_worst.index_arguments(parser)
    parser.add_argument("--index", type=Path, help="time this index (only read) instead of --sizes")
    parser.add_argument("--worst", type=int, default=5, help="costliest heavy queries shown stage by stage")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                        help="a Ranking field to change (numbers only), e.g. min_searched_postings=0")
    args = parser.parse_args()
    ranking = replace(DEFAULT_RANKING, **{name: type(getattr(DEFAULT_RANKING, name))(float(value))
                                          for name, value in (o.split("=", 1) for o in args.overrides)})
    timers = Timers()
    for owner, name, stage in STAGES:
        timers.wrap(owner, name, stage)
    articles = read_jsonl(data_path(args.data.resolve(), NEWS))
    mix = query_mix(args.data.resolve(), articles, SEED)
    heavy, kinds = bench_worst.heavy_set(articles)
    print(f"vnsearch page stages: {len(heavy)} heavy queries, {len(mix)} mix queries, {args.runs} runs, CPU time; "
          f"code {code_version()}; overrides {args.overrides or 'none'}", flush=True)
    targets = [(args.index.name, args.index)] if args.index else []
    for size in [] if args.index else [s.strip() for s in args.sizes.split(",") if s.strip()]:
        if size not in COPIES:
            sys.exit(f"--sizes: unknown size {size!r} (choose from {', '.join(COPIES)})")
        targets.append((size, prepare(size, args.data.resolve(), args.cache, articles, False)[0]))
    for label, index_dir in targets:
        bench_index(label, index_dir, ranking, timers, mix, heavy, kinds, args)


if __name__ == "__main__":
    main()
