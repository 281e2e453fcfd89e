"""Retrieval-quality benchmark: MRR@10 and Recall@10 of vnsearch and of SQLite FTS5, side by side.

Usage: python bench/bench_retrieval.py [--data ../shared/data] [--split val] [--sets titles,fragments,covid]
       [--variants written,unaccented,nfd,tone,telex,telex-d] [--limit N] [--set title_weight=3 ...] [--rebuild]

One index of news/articles.jsonl + retrieval/passages.jsonl is built into --index (once; reused
until --rebuild).  Query sets:

* titles     -- a seeded sample of --titles distinct news titles; relevant = every article with
                exactly that title.
* fragments  -- 3-5 consecutive words of each sampled title (seeded); words are the title's
                whitespace-separated tokens without leading/trailing punctuation; relevant = every
                article whose title holds those words in a row (case-insensitive, NFC).
* covid      -- the questions of retrieval/queries.jsonl of --split; relevant = their passages.

Each query runs in four variants: as written, without diacritics (lower case, marks removed,
đ -> d), in NFD, and with the other tone placement in open oa/oe/uy syllables (hòa <-> hoà).
``--variants telex,telex-d`` also runs them typed in Telex without an input method (``nội`` ->
``nooij``), with đ as ``dd`` and as ``d`` (its second key left out, as typists often do).
Recall@10 is |relevant in top 10| / min(|relevant|, 10) (a title shared by 12 articles can be
found fully in 10 hits).  The FTS5 baseline indexes the same documents (title, body) with
``unicode61 remove_diacritics 2`` and ranks the query's words, quoted and joined by OR, by
bm25 with the title weighted like vnsearch's ``title_weight``.  Tune on --split train; report val.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import fields, replace
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_resultset import VARIANTS as RESULTSET_VARIANTS
from bench_resultset import measure_fragments, report_lines
from corpus import (
    DEFAULT_DATA,
    NEWS,
    PASSAGES,
    QUERIES,
    SEED,
    TYPED_VARIANTS,
    VARIANT_LABELS,
    VARIANTS,
    Fts5,
    TitleIndex,
    code_version,
    data_path,
    ensure_index,
    read_jsonl,
    recall,
    reciprocal_rank,
    sample_titles,
    title_fragment,
    variant,
)

from search.engine import SearchEngine
from search.ranking import DEFAULT_RANKING, Ranking
from search.request import SearchRequest

SETS = ("titles", "fragments", "covid")
SET_LABELS = {"titles": "full titles", "fragments": "title fragments (3-5 words)", "covid": "covid questions"}
# MRR@10 targets (as written, without diacritics); NFD and tone placement must equal "as written".
TARGETS = {"titles": (0.99, 0.99), "fragments": (0.92, 0.90), "covid": (0.39, 0.36)}
DEPTH = 10
RESULTSET_QUERIES = 300


def parse_overrides(pairs: list[str]) -> Ranking:
    """Return the default ranking with --set name=value overrides applied."""
    names = {f.name: type(getattr(DEFAULT_RANKING, f.name)) for f in fields(Ranking)}
    changes = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        name = name.strip()
        if name not in names or not value:
            sys.exit(f"--set {pair!r}: expected name=value with name one of {', '.join(names)}")
        try:
            changes[name] = names[name](value)
        except ValueError:
            sys.exit(f"--set {pair!r}: {value!r} is not a {names[name].__name__}")
    return replace(DEFAULT_RANKING, **changes)


def build_sets(data: Path, wanted: list[str], split: str, titles: int, limit: int | None, seed: int):
    """Return ({set: [(query, relevant ids)]}, news articles, passages)."""
    articles = read_jsonl(data_path(data, NEWS))
    passages = read_jsonl(data_path(data, PASSAGES))
    sets: dict[str, list[tuple[str, set[str]]]] = {}
    title_index = TitleIndex(articles)
    sampled = sample_titles(articles, titles, seed)
    if "titles" in wanted:
        sets["titles"] = [(t, title_index.exact(t)) for t in sampled][:limit]
    if "fragments" in wanted:
        rng = random.Random(seed + 1)
        fragments = [title_fragment(t, rng) for t in sampled]
        sets["fragments"] = [(f, title_index.containing(f)) for f in fragments if f][:limit]
    if "covid" in wanted:
        questions = [q for q in read_jsonl(data_path(data, QUERIES)) if q["split"] == split]
        sets["covid"] = [(q["query"], set(q["relevant"])) for q in questions][:limit]
    return sets, articles, passages


# Both engines, on worker processes -------------------------------------------------------------

_ENGINE: SearchEngine | None = None
_FTS: Fts5 | None = None


def _open_engines(index_dir: str, ranking: Ranking, fts_records: list[list[dict]] | None) -> None:
    """Open vnsearch (and build the FTS5 baseline) once per worker process."""
    global _ENGINE, _FTS
    _ENGINE = SearchEngine(index_dir, refresh_seconds=1e9, ranking=ranking)
    _ENGINE.snapshot()
    if fts_records is not None:
        _FTS = Fts5(title_weight=ranking.title_weight)
        for records in fts_records:
            _FTS.add(records)
        _FTS.optimize()


def _top(query: str) -> tuple[list[str], list[str] | None, float, float]:
    """Return (vnsearch top ids, FTS5 top ids, vnsearch seconds, FTS5 seconds) of a query.

    vnsearch runs without snippets, facets or suggestion: only the ranking is measured here.
    """
    request = SearchRequest(q=query, size=DEPTH, snippets=False, facets=False, suggest=False)
    started = time.perf_counter()
    vn = [hit["id"] for hit in _ENGINE.search(request)["hits"]]
    middle = time.perf_counter()
    fts = _FTS.top_ids(query, DEPTH) if _FTS is not None else None
    return vn, fts, middle - started, time.perf_counter() - middle


def run_queries(index_dir: Path, ranking: Ranking, queries: list[str], procs: int,
                fts_records: list[list[dict]] | None) -> tuple[dict, dict, float, float]:
    """Return ({query: vnsearch ids}, {query: FTS5 ids}, vnsearch s, FTS5 s) for distinct queries."""
    initargs = (str(index_dir), ranking, fts_records)
    if procs <= 1:
        _open_engines(*initargs)
        results = [_top(q) for q in queries]
    else:
        with Pool(procs, initializer=_open_engines, initargs=initargs) as pool:
            results = pool.map(_top, queries, chunksize=8)
    vn = {q: r[0] for q, r in zip(queries, results)}
    fts = {q: r[1] for q, r in zip(queries, results)} if fts_records is not None else {}
    return vn, fts, sum(r[2] for r in results), sum(r[3] for r in results)


# The report ---------------------------------------------------------------------------------


def evaluate(ranked: dict[str, list[str]], queries: list[tuple[str, set[str]]]) -> tuple[float, float]:
    """Return (MRR@10, Recall@10) of ranked lists over (query, relevant) pairs."""
    if not queries:
        return 0.0, 0.0
    rr = [reciprocal_rank(ranked[q], rel, DEPTH) for q, rel in queries]
    rc = [recall(ranked[q], rel, DEPTH) for q, rel in queries]
    return sum(rr) / len(rr), sum(rc) / len(rc)


def target_text(name: str, variant_name: str, mrr: float, written_mrr: float | None, identical: tuple[int, int]):
    """Return the target cell of a row, with a pass/fail mark."""
    if variant_name in ("written", "unaccented"):
        goal = TARGETS[name][0 if variant_name == "written" else 1]
        return f">= {goal:.2f} {'ok' if mrr >= goal else 'MISS'}"
    if written_mrr is None:
        return "= written (run with the written variant to compare)"
    same, total = identical
    if variant_name in TYPED_VARIANTS:
        return f"none ({same}/{total} same top 10 as written)"
    ok = written_mrr is not None and abs(mrr - written_mrr) < 1e-12 and same == total
    return f"= written {'ok' if ok else 'MISS'} ({same}/{total} same top 10)"


def print_resultset(index_dir: Path, records: list[dict], fragments: list, variants: list[str], procs: int) -> None:
    """Print the result-set figures (bench_resultset.py) of the first fragments beside MRR."""
    chosen = [v for v in RESULTSET_VARIANTS if v in variants]
    if not chosen:
        return
    queries = [q for q, _ in fragments[:RESULTSET_QUERIES]]
    scores, _ = measure_fragments(index_dir, records, queries, chosen, procs)
    print(f"\nresult sets of the first {len(queries)} title fragments (bench_resultset.py: 20 newest, "
          "total / together-set, recall of the together-set)")
    print("\n".join(report_lines(scores)))


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data directory (default ../shared/data)")
    parser.add_argument("--index", type=Path, default=Path("/tmp/vnsearch-bench-retrieval"),
                        help="index cache directory (built once, reused)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached index")
    parser.add_argument("--split", choices=("val", "train"), default="val", help="covid question split")
    parser.add_argument("--sets", default=",".join(SETS), help="query sets to run: titles,fragments,covid")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help="written,unaccented,nfd,tone; also telex, telex-d (Telex without an input method, "
                             "đ as dd / as d)")
    parser.add_argument("--limit", type=int, default=None, help="at most N queries per set")
    parser.add_argument("--titles", type=int, default=1000, help="titles sampled (titles and fragments sets)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Ranking field, e.g. --set title_weight=3 (repeatable)")
    parser.add_argument("--procs", type=int, default=min(2, os.cpu_count() or 1), help="vnsearch worker processes")
    parser.add_argument("--no-fts", action="store_true", help="skip the FTS5 baseline")
    parser.add_argument("--no-resultset", action="store_true",
                        help="skip the result-set figures of the fragments (bench_resultset.py)")
    args = parser.parse_args()

    started = time.perf_counter()
    wanted = [s.strip() for s in args.sets.split(",") if s.strip()]
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    for name in wanted:
        if name not in SETS:
            sys.exit(f"--sets: unknown set {name!r} (choose from {', '.join(SETS)})")
    for name in variants:
        if name not in VARIANTS + TYPED_VARIANTS:
            sys.exit(f"--variants: unknown variant {name!r} (choose from {', '.join(VARIANTS + TYPED_VARIANTS)})")
    ranking = parse_overrides(args.overrides)
    data = args.data.resolve()
    build_seconds = ensure_index(args.index, [data_path(data, NEWS), data_path(data, PASSAGES)], args.rebuild)
    sets, articles, passages = build_sets(data, wanted, args.split, args.titles, args.limit, args.seed)

    cases = {(name, v): [(variant(q, v), rel) for q, rel in sets[name]] for name in sets for v in variants}
    distinct = list(dict.fromkeys(q for queries in cases.values() for q, _ in queries))
    fts_records = None if args.no_fts else [articles, passages]
    vn, fts, vn_seconds, fts_seconds = run_queries(args.index, ranking, distinct, args.procs, fts_records)

    changes = {k: getattr(ranking, k) for k in (f.name for f in fields(Ranking))
               if getattr(ranking, k) != getattr(DEFAULT_RANKING, k)}
    print(f"\nvnsearch retrieval benchmark -- code {code_version()}, index {args.index}, "
          f"covid split {args.split}, seed {args.seed}")
    print(f"ranking: {ranking}" + (f"  (overrides: {changes})" if changes else "  (defaults)"))
    print("queries per set: " + ", ".join(f"{name} {len(sets[name])}" for name in sets)
          + f"; distinct query strings run: {len(distinct)}")
    if "tone" in variants:
        moved = {name: sum(variant(q, "tone") != q for q, _ in sets[name]) for name in sets}
        print("queries the tone-placement variant changes: " + ", ".join(f"{n} {c}" for n, c in moved.items()))
    header = (f"{'query set':<30} {'variant':<21} {'vn MRR@10':>9} {'vn R@10':>8} {'FTS5 MRR':>9} {'FTS5 R@10':>9}"
              "  target (MRR@10)")
    print("\n" + header + "\n" + "-" * (len(header) + 22))
    for name in sets:
        written = evaluate(vn, cases[(name, "written")])[0] if (name, "written") in cases else None
        for v in variants:
            queries = cases[(name, v)]
            mrr, rec = evaluate(vn, queries)
            fts_cells = "{:>9.3f} {:>9.3f}".format(*evaluate(fts, queries)) if fts else f"{'-':>9} {'-':>9}"
            same = (0, len(queries))
            if v not in ("written", "unaccented") and (name, "written") in cases:
                base = cases[(name, "written")]
                same = (sum(vn[q] == vn[b] for (q, _), (b, _) in zip(queries, base)), len(queries))
            print(f"{SET_LABELS[name]:<30} {VARIANT_LABELS[v]:<21} {mrr:>9.3f} {rec:>8.3f} {fts_cells}  "
                  f"{target_text(name, v, mrr, written, same)}")
    if "fragments" in sets and not args.no_resultset:
        print_resultset(args.index, articles + passages, sets["fragments"], variants, args.procs)
    total = time.perf_counter() - started
    count = max(len(distinct), 1)
    print(f"\nruntime: {total:.1f} s total (index build {build_seconds:.1f} s; {len(distinct)} distinct queries "
          f"on {args.procs} procs: vnsearch {1000 * vn_seconds / count:.1f} ms/query, "
          f"FTS5 {1000 * fts_seconds / count:.1f} ms/query)")


if __name__ == "__main__":
    main()
