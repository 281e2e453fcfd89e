"""Worst-query benchmark: the latency mix's median query against the worst of a set of heavy ones.

Usage: python bench/bench_worst.py [--data ../shared/data] [--sizes 6k] [--runs 3] [--garbage 12]
                                   [--realistic 4] [--cpu] [--index DIR]
                                   [--postings-cache-mb MB]

The heavy queries are of two sorts, all at most the query limit (256 characters).  What an
abuser (or a cat on the keyboard) sends: titles typed in Telex without an input method
(``hà nội`` -> ``haf nooij``: every word unknown to the index), joined and cut at the limit, and
long runs of random letters (--garbage of them).  And what readers paste (--realistic of each
kind): a paragraph of an article cut at 256 characters (accented, starting and ending mid-word,
as selected with a mouse), the same without diacritics, the longest sentences of articles, and
runs of distinct real words drawn from the titles.  Each query of the latency mix
(``bench_latency.query_mix``) and each heavy query runs --runs times after a warm-up (a results
page: 10 hits, snippets, facets, "did you mean"); a query's time is its median.

Printed per corpus size, in the same process: the mix's median, the heavy queries' median and
worst, and worst / mix median, with the per-query bounds of ``search.ranking.Ranking`` as they
are and with them lifted (``--uncapped`` side: what the query path cost before the bounds), then
the worst of each kind of heavy query.  Target: worst <= 5x the mix median.  Nothing is asserted.
``--index DIR`` times an index built elsewhere instead of --sizes (``bench_build.py --keep``'s
``index-600k``); it is only read.  ``--postings-cache-mb`` sets the engines' postings cache budget: the
runs go round every query, so when the postings and scores they read outgrow the budget (~810 MB at
60k), each run reads most of them from disk again.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_latency import COPIES, prepare, query_mix
from corpus import (
    DEFAULT_DATA,
    NEWS,
    SEED,
    code_version,
    data_path,
    median,
    read_jsonl,
    sample_titles,
    telex,
    title_words,
    unaccented,
)

from search.engine import SearchEngine
from search.parse import MAX_QUERY_CHARS
from search.ranking import DEFAULT_RANKING
from search.request import SearchRequest

TARGET_RATIO = 5.0
UNCAPPED = replace(DEFAULT_RANKING, max_query_terms=10**6, max_searched_terms=10**6, typo_max_words=10**6,
                   typo_max_lookups=10**9, max_reading_syllables=10**9,
                   long_query_rerank_depth=DEFAULT_RANKING.rerank_depth)
def heavy_queries(articles: list[dict], count: int, seed: int) -> list[str]:
    """Return count heavy queries: Telex-typed titles run together, and random letters."""
    rng = random.Random(seed)
    titles = sample_titles(articles, 400, seed)
    queries = []
    for index in range(count):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) <= MAX_QUERY_CHARS + 20:
            if index % 2:
                words.append("".join(rng.choice("abcdeghiklmnopqrstuvxy") for _ in range(rng.randint(3, 7))))
            else:
                words += [telex(w) for w in rng.choice(titles).split()]
        queries.append(" ".join(words))
    return queries


def pasted_queries(articles: list[dict], count: int, seed: int) -> list[tuple[str, str]]:
    """Return (kind, query) pairs of what readers paste, count of each kind: 256 characters of an
    article's paragraph (accented, and the same without diacritics), an article's long sentences,
    and runs of distinct real words."""
    rng = random.Random(seed)
    bodies = sorted((a["body"] for a in articles if len(a.get("body") or "") > 2 * MAX_QUERY_CHARS), key=len)
    pasted = []
    for body in rng.sample(bodies, count):
        start = rng.randrange(0, len(body) - MAX_QUERY_CHARS)
        pasted.append(body[start : start + MAX_QUERY_CHARS])
    queries = [("pasted paragraph", text) for text in pasted]
    queries += [("pasted paragraph, no accents", unaccented(text)) for text in pasted]
    queries += [("long sentence", text) for text in long_sentences(bodies, count, rng)]
    vocabulary = sorted({w.lower() for title in sample_titles(articles, 2000, seed) for w in title_words(title)})
    for _ in range(count):
        rng.shuffle(vocabulary)
        words: list[str] = []
        while sum(len(w) + 1 for w in words) + len(vocabulary[len(words)]) <= MAX_QUERY_CHARS:
            words.append(vocabulary[len(words)])
        queries.append(("distinct real words", " ".join(words)))
    return queries


def long_sentences(bodies: list[str], count: int, rng: random.Random) -> list[str]:
    """Return count of the longest sentences (at most the query limit) of a sample of bodies."""
    sentences = {s.strip() for body in rng.sample(bodies, min(len(bodies), 400))
                 for s in body.replace("\n", ". ").split(". ") if len(s.strip()) <= MAX_QUERY_CHARS}
    return sorted(sentences, key=lambda s: (-len(s), s))[:count]


def measure(engine: SearchEngine, mix, heavy: list[str], runs: int, clock=time.perf_counter) -> dict:
    """Return the mix's per-query median times and the heavy queries' (with their results' bounds).

    The runs go round the whole set, so a burst of load elsewhere on the machine falls on
    mix and heavy queries alike.  clock: wall-clock by default, time.process_time for the CPU
    time of this process (steadier when other processes load the machine).
    """
    requests = [SearchRequest(q=q.q, size=10, date_from=q.date_from, date_to=q.date_to) for q in mix]
    requests += [SearchRequest(q=q, size=10) for q in heavy]
    results = [engine.search(request) for request in requests]  # warm-up
    times: list[list[float]] = [[] for _ in requests]
    for _ in range(runs):
        for request, spent in zip(requests, times):
            started = clock()
            engine.search(request)
            spent.append(1000 * (clock() - started))
    medians = [statistics.median(spent) for spent in times]
    return {"mix": medians[: len(mix)], "heavy": medians[len(mix) :],
            "limited": [r.get("limited", []) for r in results[len(mix) :]]}


def report_kinds(kinds: list[str], figures: dict, mix_median: float) -> None:
    """Print the worst query of each kind of heavy query and its ratio to the mix's median."""
    for kind in dict.fromkeys(kinds):
        times = [spent for k, spent in zip(kinds, figures["heavy"]) if k == kind]
        print(f"    {kind:<30} {len(times):>2} queries  median {median(times):7.1f} ms   worst {max(times):7.1f} ms"
              f"   worst/mix median {max(times) / mix_median:5.1f}x")


def report(label: str, figures: dict) -> None:
    """Print one side's median, heavy median, worst and ratio."""
    mix_median, worst = median(figures["mix"]), max(figures["heavy"])
    ratio = worst / mix_median
    print(f"  {label:<9} mix median {mix_median:7.1f} ms   heavy median {median(figures['heavy']):7.1f} ms   "
          f"worst {worst:7.1f} ms   worst/median {ratio:5.1f}x   "
          f"target <= {TARGET_RATIO:g}x: {'ok' if ratio <= TARGET_RATIO else 'MISS'}")


def heavy_set(articles: list[dict], garbage: int = 12, realistic: int = 4,
              seed: int = SEED) -> tuple[list[str], list[str]]:
    """Return (the heavy queries, the kind of each): garbage Telex runs and random letters, then
    realistic queries of each pasted kind."""
    queries = heavy_queries(articles, garbage, seed + 7)
    kinds = ["Telex run together" if i % 2 == 0 else "random letters" for i in range(len(queries))]
    pasted = pasted_queries(articles, realistic, seed + 11)
    return queries + [q for _, q in pasted], kinds + [kind for kind, _ in pasted]


def index_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options naming the indexes timed and how often (--data, --cache, --sizes, --runs)."""
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data directory (default ../shared/data)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vnsearch-bench-latency"),
                        help="where the replicated corpus and the indexes are kept (shared with bench_latency)")
    parser.add_argument("--sizes", default="6k", help="corpus sizes: 6k, 60k")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per query (after one warm-up)")


def main() -> None:
    """Run the benchmark over the requested corpus sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    index_arguments(parser)
    parser.add_argument("--garbage", type=int, default=12, help="number of Telex and random-letter queries")
    parser.add_argument("--realistic", type=int, default=4,
                        help="queries of each pasted kind (paragraph, unaccented paragraph, sentence, real words)")
    parser.add_argument("--rebuild", action="store_true", help="rewrite the corpus and rebuild the indexes")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--capped-only", action="store_true", help="skip the run with the bounds lifted")
    parser.add_argument("--cpu", action="store_true",
                        help="time each query in CPU time of this process instead of wall-clock time")
    parser.add_argument("--index", type=Path, help="time this index (only read) instead of --sizes")
    parser.add_argument("--postings-cache-mb", type=int, default=None,
                        help="the engines' postings cache budget (default: the setting's, 1 GB)")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    args.data = args.data.resolve()
    args.cache.mkdir(parents=True, exist_ok=True)
    articles = read_jsonl(data_path(args.data, NEWS))
    mix = query_mix(args.data, articles, args.seed)
    heavy, kinds = heavy_set(articles, args.garbage, args.realistic, args.seed)
    print(f"vnsearch worst-query benchmark: {len(mix)} mix queries, {len(heavy)} heavy ones, {args.runs} runs each, "
          f"{'CPU' if args.cpu else 'wall-clock'} time; code {code_version()}", flush=True)
    if args.index:
        bench_index(args.index.name, args.index, args, mix, heavy, kinds, clock)
        return
    for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        if size not in COPIES:
            sys.exit(f"--sizes: unknown size {size!r} (choose from {', '.join(COPIES)})")
        index_dir, _ = prepare(size, args.data, args.cache, articles, args.rebuild)
        bench_index(size, index_dir, args, mix, heavy, kinds, clock)


def bench_index(label: str, index_dir: Path, args, mix, heavy: list[str], kinds: list[str], clock) -> None:
    """Time the mix and the heavy queries on one index, with the bounds and (unless --capped-only) without."""
    budget = args.postings_cache_mb
    capped = measure(SearchEngine(index_dir, postings_cache_mb=budget), mix, heavy, args.runs, clock)
    uncapped = None if args.capped_only else measure(
        SearchEngine(index_dir, ranking=UNCAPPED, postings_cache_mb=budget), mix, heavy, args.runs, clock)
    print(f"\n== {label}: heavy queries e.g. {heavy[0][:70]}…")
    report("capped", capped)
    report_kinds(kinds, capped, median(capped["mix"]))
    if uncapped:
        report("uncapped", uncapped)
        report_kinds(kinds, uncapped, median(uncapped["mix"]))
    reached = sum(bool(limited) for limited in capped["limited"])
    print(f"  capped: {reached}/{len(heavy)} heavy queries reported a reached bound "
          f"({', '.join(sorted({n for limited in capped['limited'] for n in limited})) or 'none'})", flush=True)


if __name__ == "__main__":
    main()
