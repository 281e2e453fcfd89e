"""The SphinxQL cluster beside the embedded index: retrieval quality and latency, same corpus.

Usage: python bench/bench_cluster.py --backend sphinxql://127.0.0.1:9306,127.0.0.1:9308
       [--data ../shared/data] [--index /tmp/vnsearch-bench-retrieval] [--split val] [--limit 300]
       [--sets titles,fragments,covid] [--variants written,unaccented,nfd,tone] [--runs 5] [--skip-latency] [--cold]
       [--corpus retrieval|latency|latency-60k] [--cache /tmp/vnsearch-bench-latency] [--rerank-depths 0:0,10:60]
       [--first-seen 170 [--dump FILE] [--searchd-pids DIR/node0/searchd.pid,DIR/node1/searchd.pid]]

The cluster must hold what the embedded retrieval index holds: news/articles.jsonl and
retrieval/passages.jsonl, written with ``vnsearch reindex --backend URL`` (its summary line is the
write throughput).  The embedded index is bench_retrieval.py's cached one (built when missing).

Quality: the query sets and variants of bench_retrieval.py (at most --limit queries each),
MRR@10 and Recall@10 of both backends and the difference (target: MRR within 0.02 on every
row).  Latency: bench_latency.py's query mix, each query a full results page (10 hits,
snippets, every facet, "did you mean"), one warm-up then --runs runs alternating the two
backends in this process; medians and p95 and the cluster / embedded ratio (target at 60k:
median <= 1.5x).  The cluster keeps each query's plan and word statistics until a reindex
commits, so the timed runs after the warm-up use them; ``--cold`` makes it forget them before
every timed search (a query's first search).  ``--rerank-depths 0:0,10:60`` measures the cluster
without and with vnsearch's second stage (``search.cluster_rerank``: its best 10 articles of a
query, 60 of a question) in the same run.  ``--first-seen N`` first times N distinct queries of the
same kinds (the mixes of successive seeds), each searched once on fresh engines of both backends,
alternating: a query's first search, as most real traffic is (the repeated runs above measure the
embedded index's postings cache and the cluster's kept plans).  It also gives, per kind, the CPU
time a search took in this process (``time.process_time``: the embedded index's whole search; the
cluster's Python side) and, with ``--searchd-pids`` (the nodes' pid files), in the searchd processes
(utime + stime from /proc, 10 ms ticks: meaningful summed over many searches).  Nothing is asserted.

``--corpus latency`` compares the 6k corpus of bench_latency.py instead (news/articles.jsonl and
portal/, both backends holding it; pass that index with --index, e.g.
/tmp/vnsearch-bench-latency/index-6k, and --skip-quality: the retrieval sets need the passages).
``--corpus latency-60k`` compares bench_latency.py's 60k corpus (the news ten times over + portal):
the embedded index is --cache/index-60k (the corpus and the index are written there when missing,
as bench_latency.py does); the cluster must hold --cache/corpus-60k and portal/.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_latency import prepare, query_mix, time_call
from bench_retrieval import DEPTH, SET_LABELS, SETS, build_sets, evaluate
from corpus import (
    DEFAULT_DATA,
    NEWS,
    PASSAGES,
    PORTAL,
    SEED,
    VARIANT_LABELS,
    VARIANTS,
    code_version,
    data_path,
    ensure_index,
    median,
    percentile,
    read_jsonl,
    variant,
)

from search.cluster_backend import QUESTION_RERANK_DEPTH, RERANK_DEPTH
from search.engine import SearchEngine, open_engine
from search.request import SearchRequest

MRR_TOLERANCE = 0.02
LATENCY_TARGET = 1.5
BENCH_READ_TIMEOUT_S = 60


def ranked_ids(engine: SearchEngine, queries: list[str]) -> tuple[dict[str, list[str]], float]:
    """Return ({query: top ids}, seconds) of a backend: ranking only (no snippets, facets, suggestion)."""
    started = time.perf_counter()
    ranked = {}
    for query in queries:
        request = SearchRequest(q=query, size=DEPTH, snippets=False, facets=False, suggest=False)
        ranked[query] = [hit["id"] for hit in engine.search(request)["hits"]]
    return ranked, time.perf_counter() - started


def quality(args, embedded: SearchEngine, clusters: dict[str, SearchEngine]) -> None:
    """Print MRR@10 and Recall@10 of both backends for every set and variant (a table per rerank depth)."""
    wanted = [s for s in args.sets.split(",") if s]
    variants = [v for v in args.variants.split(",") if v]
    sets, _, _ = build_sets(args.data, wanted, args.split, args.titles, args.limit, args.seed)
    cases = {(name, v): [(variant(q, v), rel) for q, rel in sets[name]] for name in sets for v in variants}
    distinct = list(dict.fromkeys(q for queries in cases.values() for q, _ in queries))
    vn, vn_seconds = ranked_ids(embedded, distinct)
    count = max(1, len(distinct))
    for depth, cluster in clusters.items():
        sx, sx_seconds = ranked_ids(cluster, distinct)
        header = (f"{'query set':<30} {'variant':<21} {'embedded MRR':>12} {'cluster MRR':>11} {'diff':>7} "
                  f"{'emb R@10':>8} {'clu R@10':>8}  target |diff| <= {MRR_TOLERANCE}")
        print(f"\ncluster reranking its best {depth} (query:question):\n" + header + "\n" + "-" * len(header))
        for name in sets:
            for v in variants:
                queries = cases[(name, v)]
                (vm, vr), (sm, sr) = evaluate(vn, queries), evaluate(sx, queries)
                print(f"{SET_LABELS[name]:<30} {VARIANT_LABELS[v]:<21} {vm:>12.3f} {sm:>11.3f} {sm - vm:>+7.3f} "
                      f"{vr:>8.3f} {sr:>8.3f}  {'ok' if abs(sm - vm) <= MRR_TOLERANCE else 'MISS'}")
        print(f"{len(distinct)} distinct queries, ranking only: embedded {1000 * vn_seconds / count:.1f} ms/query, "
              f"cluster {1000 * sx_seconds / count:.1f} ms/query")


def latency(args, embedded: SearchEngine, clusters: dict[str, SearchEngine]) -> None:
    """Print per-query and summary latency of a full results page on the embedded index and each cluster
    setting (rerank depths), timed in turn query by query."""
    engines = {"embedded": embedded, **{f"cluster {depth}": cluster for depth, cluster in clusters.items()}}
    mix = query_mix(args.data, read_jsonl(data_path(args.data, NEWS)), args.seed)
    rows = []
    for query in mix:
        request = SearchRequest(q=query.q, size=10, date_from=query.date_from, date_to=query.date_to)
        timed = {name: ([], time_call(partial(engine.search, request))[1]) for name, engine in engines.items()}
        for _ in range(args.runs):
            for name, engine in engines.items():
                if args.cold and name != "embedded":
                    engine.backend.forget()  # no kept plan or word statistics: as the query's first search
                timed[name][0].append(time_call(partial(engine.search, request))[0])
        rows.append((query, {name: (statistics.median(times), result["total"])
                             for name, (times, result) in timed.items()}))
    names = list(engines)
    print(f"\n{'kind':<21} {'query':<50} " + " ".join(f"{name[:14]:>14}" for name in names) + "  (ms, hits)")
    for query, measured in rows:
        print(f"{query.kind:<21} {query.label(50):<50} "
              + " ".join(f"{measured[n][0]:>7.1f} {measured[n][1]:>6}" for n in names))
    vn = [measured["embedded"][0] for _, measured in rows]
    print(f"\nresults page (10 hits, snippets, facets, did-you-mean), {len(rows)} queries x {args.runs} runs:")
    print(f"  {'embedded':<18} ms median {median(vn):7.1f}   p95 {percentile(vn, 95):7.1f}")
    for name in names[1:]:
        sx = [measured[name][0] for _, measured in rows]
        ratio = median(sx) / median(vn)
        print(f"  {name:<18} ms median {median(sx):7.1f}   p95 {percentile(sx, 95):7.1f}   / embedded: median "
              f"{ratio:.2f}x, p95 {percentile(sx, 95) / percentile(vn, 95):.2f}x "
              f"(target median <= {LATENCY_TARGET}x: {'ok' if ratio <= LATENCY_TARGET else 'MISS'})")


def first_seen_mix(args) -> list:
    """Return --first-seen distinct queries of bench_latency.py's kinds (the mixes of successive seeds)."""
    articles = read_jsonl(data_path(args.data, NEWS))
    queries, seen = [], set()
    for step in range(args.first_seen):
        for query in query_mix(args.data, articles, args.seed + 1000 * step):
            key = (query.q, query.date_from, query.date_to)
            if key not in seen:
                seen.add(key)
                queries.append(query)
        if len(queries) >= args.first_seen:
            break
    return queries[: args.first_seen]


def result_digest(result: dict) -> dict:
    """Return what a results page says, without its timing: the hits (ids, scores, snippets), counts, facets."""
    return {key: value for key, value in result.items() if key not in ("took_ms", "timing")}


def first_seen(args, index: Path) -> None:
    """Print the latency of many distinct queries, each searched once on fresh engines (a query's first search).

    Both backends start empty-handed (no postings cache, no kept plan or word statistics) and
    alternate query by query, which goes first alternating too.  With --dump the cluster's
    result dicts are written as JSON Lines (to compare code before and after a change).
    """
    import json

    mix = first_seen_mix(args)
    embedded = SearchEngine(index, refresh_seconds=1e9)
    cluster = open_engine(index, args.backend)
    cluster.backend.cluster.read_timeout = BENCH_READ_TIMEOUT_S
    engines = {"embedded": embedded, "cluster": cluster}
    for engine in engines.values():  # start-up (the snapshot; labels and vocabulary), not any query's words
        engine.health()
        engine.search(SearchRequest(q="zzqxw"))
    times = {name: [] for name in engines}
    kinds: dict[str, dict[str, list[float]]] = {}
    cpu: dict[str, dict[str, list[float]]] = {}
    dumped = []
    for number, query in enumerate(mix):
        request = SearchRequest(q=query.q, size=10, date_from=query.date_from, date_to=query.date_to)
        order = list(engines) if number % 2 == 0 else list(reversed(engines))
        for name in order:
            searchd, python = searchd_cpu(args.searchd_pids), time.process_time()
            elapsed, result = time_call(partial(engines[name].search, request))
            spent = cpu.setdefault(query.kind, {"embedded": [], "cluster": [], "searchd": []})
            spent[name].append(1000 * (time.process_time() - python))
            if name == "cluster":
                spent["searchd"].append(searchd_cpu(args.searchd_pids) - searchd)
            times[name].append(elapsed)
            kinds.setdefault(query.kind.split(",")[0], {n: [] for n in engines})[name].append(elapsed)
            if name == "cluster":
                dumped.append(json.dumps({"q": query.q, "from": str(query.date_from), "to": str(query.date_to),
                                          "result": result_digest(result)}, ensure_ascii=False, default=str))
    if args.dump:
        args.dump.write_text("".join(line + "\n" for line in dumped), encoding="utf-8")
    vn, sx = times["embedded"], times["cluster"]
    print(f"\nfirst-seen results pages (10 hits, snippets, facets, did-you-mean), {len(mix)} distinct queries, "
          "each once, fresh engines, alternating:")
    print(f"  {'embedded':<18} ms median {median(vn):7.1f}   p95 {percentile(vn, 95):7.1f}")
    ratio = median(sx) / median(vn)
    print(f"  {'cluster':<18} ms median {median(sx):7.1f}   p95 {percentile(sx, 95):7.1f}   / embedded: median "
          f"{ratio:.2f}x, p95 {percentile(sx, 95) / percentile(vn, 95):.2f}x "
          f"(target median <= {LATENCY_TARGET}x: {'ok' if ratio <= LATENCY_TARGET else 'MISS'})")
    for kind, measured in kinds.items():
        vn_kind, sx_kind = median(measured["embedded"]), median(measured["cluster"])
        print(f"  {kind:<18} {len(measured['embedded']):>4} queries: embedded median {vn_kind:7.1f}, "
              f"cluster {sx_kind:7.1f} ms ({sx_kind / vn_kind:.2f}x)")
    print("CPU per search, mean ms (embedded: its whole search; cluster: this process, and the searchd processes):")
    for kind, spent in cpu.items():
        engine_side = f", searchd {statistics.fmean(spent['searchd']):6.1f}" if args.searchd_pids else ""
        print(f"  {kind:<22} {len(spent['embedded']):>4} queries: embedded {statistics.fmean(spent['embedded']):6.1f}, "
              f"cluster Python {statistics.fmean(spent['cluster']):6.1f}{engine_side}")


def searchd_cpu(pid_files: list[Path]) -> float:
    """Return the CPU milliseconds (user + system) the searchd processes of pid files have used (0 without any)."""
    total = 0
    for pid_file in pid_files:
        fields = Path(f"/proc/{pid_file.read_text().strip()}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total * 1000 / os.sysconf("SC_CLK_TCK") if pid_files else 0.0


def main() -> None:
    """Run the comparison and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", required=True, help="backend URL of the cluster (holding news + passages)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data directory (default ../shared/data)")
    parser.add_argument("--index", type=Path, default=Path("/tmp/vnsearch-bench-retrieval"),
                        help="the embedded index cache (bench_retrieval.py's)")
    parser.add_argument("--split", choices=("val", "train"), default="val")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--limit", type=int, default=300, help="at most N queries per set")
    parser.add_argument("--titles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per latency query (after one warm-up)")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--cold", action="store_true",
                        help="latency: the cluster forgets its kept plans and word statistics before each search")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--first-seen", type=int, default=0, metavar="N",
                        help="latency of N distinct queries (bench_latency.py's kinds, successive seeds), each "
                             "searched once on fresh engines, before anything else")
    parser.add_argument("--dump", type=Path, help="with --first-seen: write the cluster's result dicts here")
    parser.add_argument("--searchd-pids", default="",
                        help="with --first-seen: the nodes' pid files (comma-separated): their CPU time per search")
    parser.add_argument("--rerank-depths", default=f"{RERANK_DEPTH}:{QUESTION_RERANK_DEPTH}",
                        help="comma-separated QUERY:QUESTION: how many of the engine's best articles vnsearch "
                             "reranks for a query and for a question (0:0: none)")
    parser.add_argument("--corpus", choices=("retrieval", "latency", "latency-60k"), default="retrieval",
                        help="what both backends hold: news + covid passages, news + portal (6k), or 60k")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vnsearch-bench-latency"),
                        help="bench_latency.py's cache (the 60k corpus and index)")
    args = parser.parse_args()
    args.data = args.data.resolve()
    args.searchd_pids = [Path(p) for p in args.searchd_pids.split(",") if p]
    started = time.perf_counter()
    if args.corpus == "latency-60k":
        args.index, _ = prepare("60k", args.data, args.cache, read_jsonl(data_path(args.data, NEWS)), False)
    else:
        second = PASSAGES if args.corpus == "retrieval" else PORTAL
        ensure_index(args.index, [data_path(args.data, NEWS), data_path(args.data, second)])
    embedded = SearchEngine(args.index, refresh_seconds=1e9)
    clusters = {}
    for depth in args.rerank_depths.split(","):
        clusters[depth] = open_engine(args.index, args.backend)
        clusters[depth].backend.rerank_depth = tuple(int(d) for d in depth.split(":"))
        # A loaded machine can hold a question longer than the service's failover timeout.
        clusters[depth].backend.cluster.read_timeout = BENCH_READ_TIMEOUT_S
    health = next(iter(clusters.values())).health()
    shards = ", ".join(f"{node['shard']} {node.get('documents')}" for node in health["nodes"])
    print(f"vnsearch cluster benchmark -- code {code_version()}; embedded {embedded.health()['documents']} "
          f"documents, cluster {health['documents']} ({shards}), covid split {args.split}, seed {args.seed}")
    if args.first_seen:
        first_seen(args, args.index)
    if not args.skip_quality:
        quality(args, embedded, clusters)
    if not args.skip_latency:
        latency(args, embedded, clusters)
    print(f"runtime: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
