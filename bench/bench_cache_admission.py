"""The postings cache's policy replayed: what a budget keeps of the lists and scores queries read.

Usage: python bench/bench_cache_admission.py --index DIR [--budget-mb 1024] [--shares 1,0,1/8,1/4,1/2]
                                             [--data ../shared/data]

Records what the engine asks of its postings cache (every ``get``, and the bytes of every entry it
``put``s) while it answers the latency mix and the heavy queries of ``bench_worst.py`` in three
orders, with a budget large enough to keep everything (so every entry's bytes are known): ``round``,
four passes over all 69 queries (``bench_worst.py``'s warm-up and runs: what a pass reads comes back
a pass later), ``repeats``, each query of the mix six times in a row (``bench_latency.py``), and
``repeats+heavy``, each of the 69 four times in a row (``bench_trees.py --each``).  Then replays
each record through ``search.reader.PostingsCache`` at --budget-mb with each window share
(``WINDOW_SHARE``: 1 keeps every entry in the window, least recently used evicted, the policy
before; 0 admits by reads alone) and prints the megabytes read again from the posting files (the
entries asked for and not held), per pass for the round and first / again for the repeats, mix
and heavy queries apart.  Deterministic: the same record gives the same figures.  Decoding costs
about 0.9 ms a megabyte at 600k (bench/README.md).  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_latency import query_mix
from bench_worst import heavy_set
from corpus import DEFAULT_DATA, NEWS, SEED, data_path, read_jsonl

from search.engine import SearchEngine
from search.reader import PostingsCache, _cost
from search.request import SearchRequest

# Large enough to keep what the 69 queries read at 600k (1.8 GB packed), smaller than the posting
# files (so the snapshot packs its entries and joins no segments: what a 1 GB budget does there).
RECORDING_MB = 2500


def record(index: Path, order: list[SearchRequest]) -> list[tuple]:
    """Return what the engine asks of its cache answering order: ("q", n), ("g", key), ("p", key, bytes, statistic)."""
    engine = SearchEngine(index, postings_cache_mb=RECORDING_MB)
    cache, events = engine.backend.postings_cache, []
    get, put = cache.get, cache.put
    cache.get = lambda key: events.append(("g", key)) or get(key)
    cache.put = lambda key, value, statistic=False: events.append(("p", key, _cost(value), statistic)) or put(
        key, value, statistic)
    for number, request in enumerate(order):
        events.append(("q", number))
        engine.search(request)
    return events


def replay(events: list[tuple], budget: int, share: Fraction, label) -> dict:
    """Return {label of the query asking: bytes asked for and not held} of events through a cache."""
    sizes = {event[1]: event[2:] for event in events if event[0] == "p"}
    cache, query, missed = PostingsCache(budget), 0, {}
    cache.WINDOW_SHARE = float(share)
    for event in events:
        if event[0] == "q":
            query = event[1]
        elif event[0] == "g" and cache.get(event[1]) is None and event[1] in sizes:
            cost, statistic = sizes[event[1]]
            # A stand-in of the entry's bytes (no memory behind it): the cache weighs entries by nbytes.
            cache.put(event[1], (np.broadcast_to(np.uint8(0), (cost - PostingsCache.ENTRY_OVERHEAD,)),), statistic)
            missed[label(query)] = missed.get(label(query), 0) + cost
    return missed


def main() -> None:
    """Record the three orders, replay them at each window share and print the bytes read again."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--budget-mb", type=int, default=1024)
    parser.add_argument("--shares", default="1,0,1/8,1/4,1/2")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    articles = read_jsonl(data_path(args.data.resolve(), NEWS))
    mix = [SearchRequest(q=q.q, size=10, date_from=q.date_from, date_to=q.date_to)
           for q in query_mix(args.data.resolve(), articles, SEED)]
    heavy = [SearchRequest(q=q, size=10) for q in heavy_set(articles)[0]]
    every, kind = mix + heavy, lambda n: "mix" if n < len(mix) else "heavy"
    orders = {
        "round": ([r for _ in range(4) for r in every], lambda q: f"{kind(q % len(every))} pass {q // len(every)}"),
        "repeats": ([r for r in mix for _ in range(6)], lambda q: f"mix {'first' if q % 6 == 0 else 'again'}"),
        "repeats+heavy": ([r for r in every for _ in range(4)],
                          lambda q: f"{kind(q // 4)} {'first' if q % 4 == 0 else 'again'}"),
    }
    print(f"postings cache replayed at {args.budget_mb} MB: megabytes read again (asked for, not held); "
          f"{len(mix)} mix and {len(heavy)} heavy queries, index {args.index}")
    for name, (order, label) in orders.items():
        events = record(args.index, order)
        for share in args.shares.split(","):
            missed = replay(events, args.budget_mb << 20, Fraction(share), label)
            cells = "  ".join(f"{key} {value / 2**20:7.1f}" for key, value in sorted(missed.items()))
            print(f"  {name:<14} window {share:>4}  {cells}", flush=True)


if __name__ == "__main__":
    main()
