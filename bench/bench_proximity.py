"""The page's proximity stage of two code trees in one process: the same bonus bit for bit, and its CPU time.

Usage: nice -n 10 python bench/bench_proximity.py --old DIR --index DIR [--queries heavy,mix]
                                                 [--runs 2] [--data ../shared/data]

``--old`` is another tree of vnsearch (e.g. a ``git archive`` of main unpacked in /tmp): its
``search/execute.py`` is loaded as a module of its own beside this checkout's, running on this
checkout's other modules (so it must need nothing they lack).  One engine of ``--index`` (only read)
answers each query of ``--queries`` -- ``heavy`` = ``bench_worst.py``'s 28 heavy queries, ``mix`` = the
latency mix's 41, ``battery`` = ``queries/battery.jsonl``'s 170, ``train`` = the covid train questions
as written and without diacritics, ``fragments`` = 300 title fragments of the retrieval benchmark --
as a results page (10 hits, snippets, facets, "did you mean").  First every page once with both
trees' ``_proximity`` computed on every call, each in a query context of its own (nothing read
shared), their arrays compared byte for byte: the number of calls that differ is printed (0 when the
two trees give every reranked article the same bonus, so the same scores and order).  Then ``--runs``
times each query of the ``heavy`` and ``mix`` sets with one tree's ``_proximity`` and then the other's
(which goes first alternates from run to run, so an even ``--runs`` puts each tree first as often:
where the postings a set reads outgrow the postings cache, 600k, the first of the two pages of a query
pays for reading them again, about twice the second's time), CPU time of the process: per set the
median page, the proximity's mean and the new/old ratios (the page's total and per query median; the
proximity's total), and the worst heavy page over the mix's median page.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_battery
import bench_worst
from bench_latency import query_mix
from corpus import DEFAULT_DATA, NEWS, QUERIES, SEED, code_version, data_path, read_jsonl, title_fragments

from search import execute
from search.engine import SearchEngine
from search.request import SearchRequest
from search.text import fold

TIMED = ("heavy", "mix")


def query_sets(data: Path, names: list[str]) -> dict[str, list[str]]:
    """Return {set name: queries} of the sets named."""
    articles = read_jsonl(data_path(data, NEWS))
    sets = {}
    for name in names:
        if name == "heavy":
            sets[name] = bench_worst.heavy_set(articles)[0]
        elif name == "mix":
            sets[name] = [query.q for query in query_mix(data, articles, SEED)]
        elif name == "battery":
            sets[name] = [entry["query"] for entry in bench_battery.load_battery(bench_battery.BATTERY)]
        elif name == "train":
            questions = [q["query"] for q in read_jsonl(data_path(data, QUERIES)) if q["split"] == "train"]
            sets[name] = questions + [fold(q) for q in questions]
        elif name == "fragments":
            rng = random.Random(SEED + 1)
            sets[name] = title_fragments(articles, 300, SEED, rng)
        else:
            raise SystemExit(f"unknown query set {name!r}")
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="the other tree (its search/execute.py)")
    parser.add_argument("--index", type=Path, required=True, help="the index (only read)")
    parser.add_argument("--queries", default=",".join(TIMED), help="heavy,mix,battery,train,fragments")
    parser.add_argument("--runs", type=int, default=2,
                        help="timed runs of the heavy and mix sets (0: none; even: each tree first as often)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    spec = importlib.util.spec_from_file_location("old_execute", args.old / "search" / "execute.py")
    old_execute = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old_execute)
    variants = {"new": execute._proximity, "old": old_execute._proximity}
    sets = query_sets(args.data, args.queries.split(","))
    engine = SearchEngine(args.index)
    print(f"proximity of {args.old} (old) and this checkout (new, code {code_version()}), index {args.index}")

    compared = {"calls": 0, "differ": 0}

    def both(ctx, parsed, docs, idfs):
        new = variants["new"](ctx, parsed, docs, idfs)
        old = variants["old"](execute.QueryContext(ctx.snapshot, ctx.ranking), parsed, docs, idfs)
        compared["calls"] += 1
        compared["differ"] += not (new.dtype == old.dtype and new.tobytes() == old.tobytes())
        return new

    execute._proximity = both
    for name, queries in sets.items():
        before = dict(compared)
        for q in queries:
            engine.search(SearchRequest(q=q, size=10))
        print(f"{name}: {len(queries)} queries, {compared['calls'] - before['calls']} proximity calls, "
              f"{compared['differ'] - before['differ']} differ")

    chosen, spent = ["new"], [0.0]

    def timed(*args):
        started = time.process_time()
        try:
            return variants[chosen[0]](*args)
        finally:
            spent[0] += time.process_time() - started

    def page(variant: str, q: str) -> tuple[float, float]:
        chosen[0], spent[0] = variant, 0.0
        started = time.process_time()
        engine.search(SearchRequest(q=q, size=10))
        return 1000 * (time.process_time() - started), 1000 * spent[0]

    execute._proximity = timed
    timed_sets = {name: queries for name, queries in sets.items() if name in TIMED}
    if not args.runs or not timed_sets:
        return
    medians = {}
    for name, queries in timed_sets.items():
        times = {v: [[] for _ in queries] for v in variants}
        for run in range(args.runs):
            for i, q in enumerate(queries):
                for variant in ("new", "old") if (run + i) % 2 == 0 else ("old", "new"):
                    times[variant][i].append(page(variant, q))
        medians[name] = {v: ([statistics.median(t[0] for t in per) for per in times[v]],
                             [statistics.median(t[1] for t in per) for per in times[v]]) for v in variants}
        for variant in ("old", "new"):
            pages, proximity = medians[name][variant]
            print(f"  {name:5} {variant}: page median {statistics.median(pages):7.2f} ms, worst {max(pages):7.2f}; "
                  f"proximity mean {statistics.mean(proximity):6.2f} ms")
        new, old = medians[name]["new"], medians[name]["old"]
        ratios = np.array(new[0]) / np.array(old[0])
        print(f"  {name:5} new/old: page total {sum(new[0]) / sum(old[0]):.3f}, per query median "
              f"{statistics.median(ratios):.3f}; proximity total {sum(new[1]) / sum(old[1]):.3f}")
    if set(TIMED) <= set(medians):
        for variant in ("old", "new"):
            worst = max(medians["heavy"][variant][0]) / statistics.median(medians["mix"][variant][0])
            print(f"  worst heavy page / mix median ({variant}): {worst:.2f}x")


if __name__ == "__main__":
    main()
