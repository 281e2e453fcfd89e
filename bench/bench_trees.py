"""Two code trees' results pages side by side: CPU time per page and the result dicts compared.

Usage: nice -n 10 python bench/bench_trees.py --old DIR --index DIR [--new DIR] [--queries fragments,mix,heavy,recency]
                                            [--runs 3] [--postings-cache-mb 1024] [--data ../shared/data]

Each tree (``--old``, e.g. a ``git archive`` of main unpacked in /tmp; ``--new``, default this
checkout) runs in a child process of its own (``PYTHONPATH`` set to the tree) holding the web app
of ``--index`` (``web.app.create_app``, the postings cache at ``--postings-cache-mb``), and answers
``GET /api/search`` through Flask's test client: the page ``vnsearch serve`` answers, JSON encoding
included, without the HTTP connection.  The queries (``--queries``): ``fragments`` = the 300 val
title fragments of ``bench_typesense_http.py`` (``size=10``), ``mix`` = the 41 queries of
``bench_latency.py`` (date filters as ``from``/``to``), ``heavy`` = the 28 heavy queries of
``bench_worst.py`` with its defaults (Telex and random letters, pasted paragraphs and sentences, runs
of real words), ``recency`` = the 56 queries of ``bench/queries/recency.jsonl`` ("<subject> hôm nay").
Every query goes to both trees, one after the other (which goes first alternates),
once to warm up ("first seen": nothing of it in either cache yet) and then ``--runs`` times.
Printed: how many result dicts (``took_ms`` left out) differ between the trees over every pass, and
per query set the median and p95 of each tree's CPU time of the process per page (the median of the
runs; first seen apart), their ratios, and the median and total of the per-query ratios.  CPU time,
not wall-clock: on a shared machine the other processes' load then slows neither tree more than the
other.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import DEFAULT_DATA, NEWS, SEED, data_path, percentile, read_jsonl

ROOT = Path(__file__).resolve().parents[1]


# What each tree's child process runs (``python -c``, so that nothing of this checkout is imported: the
# bench modules put the checkout's own search/ first in sys.path).  One query (a JSON object of
# parameters) a line on stdin; its page and the CPU time it took a line on stdout.
WORKER = """
import json, sys, time
from web.app import create_app
client = create_app({"INDEX_DIR": sys.argv[1], "POSTINGS_CACHE_MB": int(sys.argv[2])}).test_client()
out = sys.stdout.buffer
out.write(b"ready\\n")
out.flush()
for line in sys.stdin.buffer:
    started = time.process_time()
    response = client.get("/api/search", query_string=json.loads(line))
    spent = 1000 * (time.process_time() - started)
    body = json.loads(response.data)
    body.pop("took_ms", None)
    page = {"cpu": spent, "status": response.status_code, "body": body, "code": __import__("search").__file__}
    out.write(json.dumps(page, ensure_ascii=False).encode("utf-8") + b"\\n")
    out.flush()
"""


class Tree:
    """A child process serving results pages from one code tree."""

    def __init__(self, tree: Path, index: Path, budget: int):
        self.process = subprocess.Popen([sys.executable, "-c", WORKER, str(index), str(budget)], cwd="/",
                                        env={**os.environ, "PYTHONPATH": str(tree)}, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE)
        if self.process.stdout.readline() != b"ready\n":
            sys.exit(f"the tree {tree} did not start")
        self.tree = tree
        self.checked = False

    def page(self, params: dict) -> dict:
        """Return {"cpu": ms, "status": code, "body": result dict} of one query."""
        self.process.stdin.write(json.dumps(params).encode("utf-8") + b"\n")
        self.process.stdin.flush()
        page = json.loads(self.process.stdout.readline())
        if not self.checked and not page["code"].startswith(str(self.tree) + os.sep):
            sys.exit(f"{self.tree}: the child imported {page['code']} instead of the tree's search/")
        self.checked = True
        return page

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def query_sets(names: list[str], data: Path) -> dict[str, list[dict]]:
    """Return {set name: [query parameters]}."""
    import bench_latency
    from bench_resultset import fragments

    articles = read_jsonl(data_path(data, NEWS))
    sets = {}
    if "fragments" in names:
        sets["fragments"] = [{"q": fragment, "size": 10} for fragment, _ in fragments(articles, "val", 300)]
    if "mix" in names:
        sets["mix"] = [{"q": q.q, "size": 10, **({"from": q.date_from.isoformat()} if q.date_from else {}),
                        **({"to": q.date_to.isoformat()} if q.date_to else {})}
                       for q in bench_latency.query_mix(data, articles, SEED)]
    if "heavy" in names:
        import bench_worst

        heavy = bench_worst.heavy_queries(articles, 12, SEED + 7)
        heavy += [q for _, q in bench_worst.pasted_queries(articles, 4, SEED + 11)]
        sets["heavy"] = [{"q": q, "size": 10} for q in heavy]
    if "recency" in names:
        battery = Path(__file__).resolve().parent / "queries" / "recency.jsonl"
        sets["recency"] = [{"q": entry["query"], "size": 10} for entry in read_jsonl(battery)]
    return sets


def summary(label: str, old: list[float], new: list[float]) -> str:
    """Return one line: medians and p95s of both trees, their ratios, the per-query ratios, and the
    costliest page (the old tree's costliest query, in both trees: what bench_worst.py's ratio divides)."""
    ratios = [b / a for a, b in zip(old, new, strict=True) if a > 0]
    old_med, new_med, old_p95, new_p95 = (statistics.median(old), statistics.median(new),
                                          percentile(old, 95), percentile(new, 95))
    worst = max(range(len(old)), key=old.__getitem__)
    return (f"  {label:<22} old {old_med:7.2f} / {old_p95:7.2f} ms   new {new_med:7.2f} / {new_p95:7.2f} ms   "
            f"new/old {new_med / old_med:.2f}x / {new_p95 / old_p95:.2f}x   per query: median "
            f"{statistics.median(ratios):.2f}, total {sum(new) / sum(old):.2f}   "
            f"costliest (#{worst}) {old[worst]:.2f} -> {new[worst]:.2f} ms ({new[worst] / old[worst]:.2f}x)")


def main() -> None:
    """Run both trees over the query sets and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path)
    parser.add_argument("--new", type=Path, default=ROOT)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--queries", default="fragments,mix")
    parser.add_argument("--runs", type=int, default=3)
    # The engine's default (``search/settings.py``): both trees run with the cache a server has.
    parser.add_argument("--postings-cache-mb", type=int, default=1024)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--each", action="store_true",
                        help="run each query's passes one after the other (as bench_latency.py), not pass by pass")
    args = parser.parse_args()
    if args.old is None or args.index is None:
        parser.error("--old and --index are required")
    sets = query_sets([name.strip() for name in args.queries.split(",")], args.data.resolve())
    print(f"old {args.old}, new {args.new}, index {args.index}; load {os.getloadavg()[0]:.1f}", flush=True)
    trees = {"old": Tree(args.old.resolve(), args.index, args.postings_cache_mb),
             "new": Tree(args.new.resolve(), args.index, args.postings_cache_mb)}
    try:
        for label, queries in sets.items():
            first = {name: [0.0] * len(queries) for name in trees}
            runs = {name: [[] for _ in queries] for name in trees}
            differ = 0
            # Passes over the whole set (the postings cache cycles through every query's terms), or with
            # --each every query's passes one after the other, as bench_latency.py times a query.
            passes = ([(number, run) for number in range(len(queries)) for run in range(args.runs + 1)] if args.each
                      else [(number, run) for run in range(args.runs + 1) for number in range(len(queries))])
            for number, run in passes:
                params = queries[number]
                order = ("old", "new") if (number + run) % 2 == 0 else ("new", "old")
                pages = {name: trees[name].page(params) for name in order}
                if (pages["old"]["status"], pages["old"]["body"]) != (pages["new"]["status"], pages["new"]["body"]):
                    differ += 1
                for name, page in pages.items():
                    if run:
                        runs[name][number].append(page["cpu"])
                    else:
                        first[name][number] = page["cpu"]
            medians = {name: [statistics.median(times) for times in runs[name]] for name in trees}
            print(f"{label}: {len(queries)} queries x {args.runs + 1} passes{' each' if args.each else ''}, "
                  f"{differ} result dicts differ; "
                  f"CPU ms median / p95 (load {os.getloadavg()[0]:.1f})")
            print(summary(f"median of {args.runs} runs", medians["old"], medians["new"]))
            print(summary("first seen", first["old"], first["new"]), flush=True)
    finally:
        for tree in trees.values():
            tree.close()


if __name__ == "__main__":
    main()
