"""Faults on a fresh two-node SphinxQL cluster: a node killed during a reindex, and a shard down.

Usage: python bench/bench_cluster_faults.py [--data ../shared/data] [--articles 1500] [--dir /tmp/vnsearch-faults]
       [--queries 30]

1. Reindex: ``vnsearch reindex --backend URL`` of the first --articles news articles runs as its
   own process; node 1 is killed with SIGKILL once node 0 holds a quarter of them; the reindex
   must fail (its exit status is printed).  Node 1 is restarted (its binlog replayed), the same
   reindex is run again, and every shard is scanned: each article of the source must be there
   exactly once, by id, on the shard its id hashes to.
2. A shard down: a battery of queries (the first three words of --queries titles, the same
   titles' first word pairs, a few fixed queries) is searched with both nodes up, then with
   node 1 killed.  For each query it prints the totals up / down, the partial flags, and whether
   the page with the shard down is the both-up ranking with node 1's articles left out (the
   first 10 of node 0's articles in the both-up order, read from a 100-hit page); the summary
   also counts the pages holding those articles in another order.  With node 1 down, the
   queries are searched by the process that searched the whole cluster (what it kept) and by
   a fresh one (nothing kept: the statistics come from the last reindex's record and the
   shard that answers).

3. ``--plans URL``: on an existing two-node cluster (e.g. the 6k corpus of bench_cluster.py),
   for the reader battery (bench/queries/battery.jsonl), the fixed queries and title fragments
   of --queries sampled news titles, the plan (tier, accents) of the whole cluster beside the
   plan counted on each shard alone (a shard down, without stopping it: the distributed index
   is swapped for the other node's own shard), and how often two policies for a partial
   answer give the whole cluster's plan: the tier the shard that answers would choose, or the
   tightest tier with the accents as typed (what the backend does).  Nothing is started.

Needs Debian's searchd.  The nodes are started and stopped by PID; nothing is left running.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus import DEFAULT_DATA, NEWS, REPO, data_path, read_jsonl, title_words

from search import cluster_backend
from search.cluster import DISTRIBUTED_INDEX
from search.engine import open_engine
from search.matching import is_question
from search.parse import parse_query
from search.request import SearchRequest
from search.sphinxql import Cluster, document_key, scan_shard, shard_of
from tests.sphinx_cluster import SearchCluster

FIXED_QUERIES = ["bóng đá", "Hà Nội", "giá vàng", "covid", "bo chinh tri", "xe máy", "thời tiết", "doi tuyen viet nam"]


def write_source(data: Path, directory: Path, count: int) -> tuple[Path, list[dict]]:
    """Write the first count news articles to a JSON Lines file; return it and the articles."""
    articles = read_jsonl(data_path(data, NEWS))[:count]
    source = directory / "source" / "articles.jsonl"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    return source, articles


def reindex(url: str, lock: Path, source: Path) -> subprocess.Popen:
    """Start `vnsearch reindex --backend URL SOURCE` as its own process."""
    return subprocess.Popen([sys.executable, "-m", "vnsearch", "reindex", "--backend", url, "--index", str(lock),
                             "--procs", "1", str(source)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def shard_ids(url: str) -> dict[int, list[str]]:
    """Return the article ids stored on each shard."""
    cluster = Cluster(url)
    return {node.number: [row[1] for row in scan_shard(cluster, node, "doc_id")] for node in cluster.nodes}


def node_count(url: str, number: int) -> int:
    """Return how many documents a node's shard holds (0 when it does not answer)."""
    cluster = Cluster(url)
    node = cluster.nodes[number]
    try:
        return int(dict(cluster.run(node, [(f"SELECT id FROM {node.shard} LIMIT 0", None),
                                           ("SHOW META", None)])[1]).get("total_found", 0))
    except Exception:
        return 0


def kill_during_reindex(cluster: SearchCluster, lock: Path, source: Path, articles: list[dict]) -> None:
    """Kill node 1 during a reindex, restart it, reindex again; check every article is there once."""
    started = time.perf_counter()
    process = reindex(cluster.url, lock, source)
    while node_count(cluster.url, 0) < len(articles) // 8 and process.poll() is None:
        time.sleep(0.2)
    before = {number: node_count(cluster.url, number) for number in (0, 1)}
    cluster.stop(1, kill=True)
    output, _ = process.communicate(timeout=600)
    print(f"reindex 1: node 1 killed (SIGKILL) {time.perf_counter() - started:.1f} s in, shards holding "
          f"{before[0]} / {before[1]}; reindex exit status {process.returncode}; last line: "
          f"{output.strip().splitlines()[-1] if output.strip() else ''}")
    restarted = time.perf_counter()
    cluster.start(1)
    print(f"node 1 restarted in {time.perf_counter() - restarted:.2f} s, holding {node_count(cluster.url, 1)} "
          "articles (binlog replayed)")
    process = reindex(cluster.url, lock, source)
    output, _ = process.communicate(timeout=1200)
    print(f"reindex 2: exit status {process.returncode}; {output.strip().splitlines()[-1]}")
    check_every_article_once(cluster.url, articles)


def check_every_article_once(url: str, articles: list[dict]) -> None:
    """Print whether every source article is on the cluster once, on its own shard."""
    stored = shard_ids(url)
    counts = Counter(doc_id for ids in stored.values() for doc_id in ids)
    wanted = {a["id"] for a in articles}
    misplaced = sum(shard_of(document_key(doc_id), len(stored)) != number
                    for number, ids in stored.items() for doc_id in ids)
    shards = ", ".join(f"shard{number} {len(ids)}" for number, ids in stored.items())
    print(f"after the rerun: {sum(counts.values())} documents ({shards}), "
          f"{len(counts)} distinct ids for {len(wanted)} source articles: missing {len(wanted - set(counts))}, "
          f"duplicated {sum(1 for n in counts.values() if n > 1)}, unknown {len(set(counts) - wanted)}, "
          f"on the wrong shard {misplaced}")


def battery(articles: list[dict], count: int) -> list[str]:
    """Return the fixed queries and the first words of count titles."""
    queries = list(FIXED_QUERIES)
    titles = [words for words in (title_words(a.get("title") or "") for a in articles) if len(words) >= 3]
    for words in titles[:: max(1, len(titles) // count)][:count]:
        queries += [" ".join(words[:3]), " ".join(words[:2]).lower()]
    return list(dict.fromkeys(queries))


def shard_down(cluster: SearchCluster, queries: list[str]) -> None:
    """Compare each query's results with both nodes up and with node 1 killed.

    With node 1 down each query is searched twice: by the process that searched the whole
    cluster before (what it kept: the plan, the statistics) and by a fresh one (nothing kept).
    """
    serving = open_engine(str(cluster.directory / "lock"), cluster.url)
    up = {q: serving.search(SearchRequest(q=q, size=100, suggest=False)) for q in queries}
    cluster.stop(1, kill=True)
    time.sleep(0.5)
    fresh = open_engine(str(cluster.directory / "lock"), cluster.url)  # nothing kept from the whole cluster
    engines = {"fresh": fresh, "serving": serving}
    tallies = {name: Counter() for name in engines}
    print(f"\n{'query':<40} {'total up':>8} {'down':>6} {'node 0 up':>9} {'partial up/down':>15} {'tier up/down':>18} "
          f"{'page as expected (fresh, serving)':>34}")
    for q in queries:
        whole = up[q]
        kept = [hit["id"] for hit in whole["hits"] if shard_of(document_key(hit["id"]), 2) == 0][:10]
        # A page with both up that was partial itself (a node too slow under load) proves nothing.
        complete = not whole["partial"] and (whole["total"] <= 100 or len(kept) == 10)
        expected = {}
        for name, engine in engines.items():
            down = engine.search(SearchRequest(q=q, size=10, suggest=False))
            tally = tallies[name]
            expected[name] = [hit["id"] for hit in down["hits"]] == kept if complete else None
            tally["same articles"] += complete and sorted(hit["id"] for hit in down["hits"]) == sorted(kept)
            tally["same page"] += bool(expected[name])
            tally["same tier"] += (down["tier"], down["accents"]) == (whole["tier"], whole["accents"])
            tally["partial"] += bool(down["partial"])
            if name == "fresh":
                shown = down
        on_node0 = sum(shard_of(document_key(hit["id"]), 2) == 0 for hit in whole["hits"])
        tallies["fresh"]["partial up"] += bool(whole["partial"])
        print(f"{q[:40]:<40} {whole['total']:>8} {shown['total']:>6} {on_node0 if whole['total'] <= 100 else '':>9} "
              f"{str(whole['partial']) + '/' + str(shown['partial']):>15} {whole['tier'] + '/' + shown['tier']:>18} "
              f"{str(expected['fresh']) + ', ' + str(expected['serving']):>34}")
    for name, tally in tallies.items():
        print(f"\n{len(queries)} queries, node 1 down, a {name} process: partial flag set {tally['partial']} "
              f"(with both up {tallies['fresh']['partial up']}); same tier and accents {tally['same tier']}; "
              f"page = the both-up order without node 1's articles {tally['same page']} "
              f"(the same articles: {tally['same articles']})")


def plan_of(engine, q: str) -> tuple[str, str]:
    """Return the (tier, accents) a query is answered from."""
    result = engine.search(SearchRequest(q=q, size=10, snippets=False, facets=False, suggest=False))
    return result["tier"], result["accents"]


def plan_choices(url: str, data: Path, count: int) -> None:
    """Print how often each partial-answer policy gives the whole cluster's plan, one shard alone at a time."""
    whole = open_engine("", url)
    nodes = url.split("://", 1)[1].split(",")
    alone = [open_engine("", f"sphinxql://{node}") for node in nodes]
    reader = [json.loads(line)["query"] for line in (REPO / "bench" / "queries" / "battery.jsonl").open()]
    queries = list(dict.fromkeys(reader + battery(read_jsonl(data_path(data, NEWS)), count)))
    tightest = {policy: [0] * len(nodes) for policy in ("live counts", "tightest")}
    for q in queries:
        expected = plan_of(whole, q)
        for number, engine in enumerate(alone):
            cluster_backend.DISTRIBUTED_INDEX = f"shard{number}"  # this shard alone answers
            try:
                live = plan_of(engine, q)
            finally:
                cluster_backend.DISTRIBUTED_INDEX = DISTRIBUTED_INDEX
            tightest["live counts"][number] += live == expected
            # A question is answered from the most tier whatever the plan's tier.
            tightest["tightest"][number] += expected == ("most" if is_question(parse_query(q)) else "together", "exact")
    print(f"\n{len(queries)} queries (reader battery, fixed, title fragments); the whole cluster's plan given by:")
    for policy, counts in tightest.items():
        shares = ", ".join(f"shard{n} alone {c}/{len(queries)} ({100 * c / len(queries):.0f}%)"
                           for n, c in enumerate(counts))
        print(f"  {policy:<12} {shares}")


def main() -> None:
    """Run both fault scenarios and print what was found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--articles", type=int, default=1500)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/vnsearch-faults"))
    parser.add_argument("--plans", metavar="URL", help="only compare partial-answer plans on this running cluster")
    args = parser.parse_args()
    if args.plans:
        plan_choices(args.plans, args.data.resolve(), args.queries)
        return
    shutil.rmtree(args.dir, ignore_errors=True)
    (args.dir / "nodes").mkdir(parents=True)
    source, articles = write_source(args.data.resolve(), args.dir, args.articles)
    cluster = SearchCluster(args.dir / "nodes")
    try:
        cluster.start_all()
        kill_during_reindex(cluster, args.dir / "nodes" / "lock", source, articles)
        shard_down(cluster, battery(articles, args.queries))
    finally:
        cluster.stop_all()


if __name__ == "__main__":
    main()
