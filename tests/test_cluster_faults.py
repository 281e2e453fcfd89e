"""Faults of a real searchd cluster: a node stopped (SIGSTOP) or killed, during searches and reindexes.

Searches keep answering (200) with ``partial: true`` and a notice; ``/healthz`` says which node
is down (503); a node that comes back is used again without restarting anything; a reindex
with a node down fails clearly and loses nothing; a node killed with SIGKILL in the middle of
a reindex replays its binlog, and a rerun leaves every article exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter

import pytest
from click.testing import CliRunner

from search.cluster_index import reindex_cluster
from search.engine import open_engine
from search.faults import PAUSE_VARIABLE
from search.request import SearchRequest
from search.sphinxql import META_ID, VOCABULARY_ID, Cluster, document_key, meta_on, scan_shard, shard_of, write_meta
from tests.helpers import DEMO_ARTICLES, DEMO_SOURCES, PORTAL_ID, STATE_TIMEOUT, read_until
from tests.sphinx_cluster import running_cluster
from vnsearch.cli import main as cli_main
from web.app import create_app

PARTIAL_NOTICE = "Một phần chỉ mục tạm thời không phản hồi: kết quả và số lượng có thể chưa đầy đủ."
DEMO_IDS = sorted([r["id"] for r in DEMO_ARTICLES] + [PORTAL_ID])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Return a running two-node cluster of this module's own, holding the demo corpus."""
    directory = tmp_path_factory.mktemp("fault-cluster")
    with running_cluster(directory / "nodes") as running:
        reindex_cluster(Cluster(running.url), directory / "lock", DEMO_SOURCES, procs=1)
        yield running


@pytest.fixture
def client(cluster, tmp_path):
    """Return a test client of the app over the cluster; every node is running again afterwards."""
    yield create_app({"INDEX_DIR": str(tmp_path), "BACKEND": cluster.url}).test_client()
    for number in range(cluster.shards):
        if number not in cluster.processes:
            cluster.start(number)
        else:
            cluster.signal(number, signal.SIGCONT)


def ids_in_cluster(url: str) -> Counter:
    """Return how many times each article id is stored, over every shard."""
    cluster = Cluster(url)
    return Counter(doc_id for node in cluster.nodes for _, doc_id, _, _ in scan_shard(cluster, node))


# Its articles (the words together, or "VN") are on both shards.
QUERY = "Việt Nam"


def search(client, q: str = QUERY) -> dict:
    response = client.get("/api/search", query_string={"q": q})
    assert response.status_code == 200
    return response.get_json()


def search_until_whole(client, seconds: float = STATE_TIMEOUT) -> dict:
    """Search until the answer is whole again (a resumed node first works off what it was sent)."""
    deadline = time.monotonic() + seconds
    result = search(client)
    while result["partial"] and time.monotonic() < deadline:
        time.sleep(0.2)
        result = search(client)
    return result


def health(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, response.get_json()


def node_states(body: dict) -> list[tuple[str, str]]:
    return [(node["shard"], node["state"]) for node in body["nodes"]]


@pytest.mark.parametrize("stopped", [0, 1])
def test_a_stopped_node_gives_partial_results_and_unhealthy_health_then_recovers(client, cluster, engine, stopped):
    whole = search(client)
    embedded = engine.search(SearchRequest(q=QUERY))
    assert whole["partial"] is False and PARTIAL_NOTICE not in whole["notices"]
    assert (whole["total"], whole["tier"]) == (embedded["total"], embedded["tier"]) == (57, "together")
    assert health(client)[0] == 200
    cluster.signal(stopped, signal.SIGSTOP)
    partial = search(client)
    assert partial["partial"] is True and PARTIAL_NOTICE in partial["notices"]
    assert 0 < partial["total"] < whole["total"]
    assert sum(item["count"] for item in partial["facets"]["year"]) == partial["total"]
    assert partial["hits"] and all(shard_of(document_key(hit["id"]), 2) != stopped for hit in partial["hits"])
    status, body = health(client)
    assert status == 503 and body["status"] == "degraded"
    assert node_states(body) == [(f"shard{n}", "down" if n == stopped else "up") for n in range(2)]
    cluster.signal(stopped, signal.SIGCONT)
    recovered = search_until_whole(client)
    assert recovered["partial"] is False and recovered["hits"] == whole["hits"]
    status, body = health(client)
    assert status == 200 and body["status"] == "ok" and node_states(body) == [("shard0", "up"), ("shard1", "up")]
    assert body["documents"] == 201


def test_a_killed_node_gives_partial_results_and_is_used_again_when_restarted(client, cluster):
    whole = search(client)
    cluster.stop(1, kill=True)
    partial = search(client)
    assert partial["partial"] is True and 0 < partial["total"] < whole["total"]
    status, body = health(client)
    assert status == 503 and node_states(body) == [("shard0", "up"), ("shard1", "down")]
    assert "shard1" in body["nodes"][1]["error"]
    cluster.start(1)
    recovered = search_until_whole(client)
    assert recovered["partial"] is False and recovered["hits"] == whole["hits"]


def fragment_only_on(client, shard: int) -> tuple[str, dict, dict]:
    """Return the first demo title fragment whose tightest-tier articles are all on one shard while
    the other shard holds articles of a wider tier, and its answers (auto, all) with every node up."""
    for article in DEMO_ARTICLES:
        q = " ".join(article["title"].split()[:3])
        whole = search(client, q)
        wider = client.get("/api/search", query_string={"q": q, "match": "all", "size": 50}).get_json()
        if (whole["tier"] == "together" and whole["hits"]
                and all(shard_of(document_key(hit["id"]), 2) == shard for hit in whole["hits"])
                and any(shard_of(document_key(hit["id"]), 2) != shard for hit in wider["hits"])):
            return q, whole, wider
    raise AssertionError("no demo title fragment has its tightest tier on one shard only")


def test_a_shard_down_changes_only_the_partial_flag_and_the_counts_and_never_widens(client, cluster):
    q, whole, wider = fragment_only_on(client, 1)
    both = client.get("/api/search", query_string={"q": QUERY, "size": 50}).get_json()
    cluster.stop(1, kill=True)
    partial = search(client, q)
    # The other shard holds the words, not together: the answer stays in the tightest tier, empty,
    # with the wider tier's articles counted (what would widen is the dead shard's to tell): those
    # the live shard holds, not the whole cluster's counts the kept plan of q knew.
    assert (partial["partial"], partial["tier"], partial["accents"]) == (True, whole["tier"], whole["accents"])
    assert (partial["total"], partial["hits"]) == (0, [])
    assert wider["total"] <= 50 and whole["wider"]["all"] == wider["total"] - whole["total"]
    live = [hit for hit in wider["hits"] if shard_of(document_key(hit["id"]), 2) == 0]
    assert 0 < partial["wider"]["all"] == len(live) < wider["total"]
    # Articles on both shards: the page is the whole cluster's order without the dead shard's articles,
    # in the same order (vnsearch reranks each shard's best, with the whole cluster's statistics).
    down = search(client)
    kept = [hit["id"] for hit in both["hits"] if shard_of(document_key(hit["id"]), 2) == 0][:10]
    assert len(kept) == 10 and not both["partial"]
    assert (down["tier"], down["accents"]) == (both["tier"], both["accents"])
    assert [hit["id"] for hit in down["hits"]] == kept


def test_every_node_down_is_a_clear_503_error(client, cluster):
    for number in range(cluster.shards):
        cluster.stop(number, kill=True)
    response = client.get("/api/search", query_string={"q": QUERY})
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "backend_unavailable" and "no search node answers" in error["message"]
    page = client.get("/", query_string={"q": QUERY})
    assert page.status_code == 503 and "Traceback" not in page.get_data(as_text=True)


def test_a_page_with_partial_results_shows_the_notice(client, cluster):
    cluster.stop(0, kill=True)
    page = client.get("/", query_string={"q": QUERY})
    assert page.status_code == 200
    from bs4 import BeautifulSoup

    text = BeautifulSoup(page.get_data(as_text=True), "html.parser").get_text(" ")
    assert PARTIAL_NOTICE in " ".join(text.split())


# The metadata: a copy on every node ---------------------------------------------------------------


def test_node_0_down_still_serves_the_vocabulary_the_suggestions_and_the_last_reindex(client, cluster, tmp_path):
    whole = client.get("/api/suggest", query_string={"q": "bo chinh"}).get_json()["suggestions"]
    on_node_1 = {s["id"] for s in whole if shard_of(document_key(s["id"]), 2) == 1}
    assert on_node_1 and len(whole) < 8
    _, up = health(client)
    cluster.stop(0, kill=True)
    # A server started now has read nothing from node 0: autocomplete expands "chinh" from the
    # title vocabulary, which node 1 holds a copy of.
    fresh = create_app({"INDEX_DIR": str(tmp_path), "BACKEND": cluster.url}).test_client()
    partial = search(fresh)
    assert partial["partial"] is True and partial["hits"]
    assert all(shard_of(document_key(hit["id"]), 2) == 1 for hit in partial["hits"])
    suggestions = fresh.get("/api/suggest", query_string={"q": "bo chinh"}).get_json()["suggestions"]
    assert {s["id"] for s in suggestions} == on_node_1
    completions = fresh.get("/api/suggest", query_string={"q": "ung th"}).get_json()["completions"]
    assert [c["text"] for c in completions][:1] == ["ung thư"]
    status, down = health(fresh)
    assert status == 503 and down["status"] == "degraded"
    assert node_states(down) == [("shard0", "down"), ("shard1", "up")]
    assert down["last_reindex"] == up["last_reindex"] is not None


def test_every_node_holds_the_metadata_and_a_reindex_starts_from_the_newest_copy(cluster, engine, tmp_path):
    nodes = Cluster(cluster.url)
    records = [meta_on(nodes, node) for node in nodes.nodes]
    vocabularies = [[tuple(pair) for pair in meta_on(nodes, node, VOCABULARY_ID)] for node in nodes.nodes]
    assert records[0] == records[1] and records[0]["sources"] and records[0]["generation"] >= 1
    # The facets' grouping queue: the (month, category, source) groups the articles fall in.
    groups = {tuple(row[1:]) for node in nodes.nodes for row in scan_shard(nodes, node, "month, category, source")}
    assert records[0]["facet_groups"] == len(groups) > 10
    assert vocabularies[0] == vocabularies[1] == engine.backend.statistics().title_syllables()
    # A reindex killed while writing the copies: node 1 holds the newer record (one more source).
    extra = tmp_path / "more-articles"
    extra.mkdir()
    newer = {**records[1], "generation": records[1]["generation"] + 1, "sources": [*records[1]["sources"], str(extra)]}
    nodes.query(nodes.nodes[1], f"REPLACE INTO vnsearch_meta (id, name, value) VALUES ({META_ID}, 'meta', %s)",
                (json.dumps(newer),))
    try:
        report = reindex_cluster(nodes, tmp_path / "lock", procs=1)  # no SOURCE: the remembered ones
        assert (report.added, report.deleted, report.unchanged) == (0, 0, 201)
        assert report.sources == newer["sources"]
        after = [meta_on(nodes, node) for node in nodes.nodes]
        assert after[0] == after[1] and after[0]["sources"] == newer["sources"]
        assert after[0]["generation"] == newer["generation"] + 1
    finally:
        write_meta(nodes, records[0])


# The command line with a node down -------------------------------------------------------------


def run_cli(*args: str):
    """Run the vnsearch command in process."""
    return CliRunner().invoke(cli_main, list(args), catch_exceptions=False)


def test_search_command_with_a_node_down_prints_partial_results_and_says_so(client, cluster):
    whole = json.loads(run_cli("search", "--backend", cluster.url, "--json", QUERY).stdout)
    cluster.stop(1, kill=True)
    plain = run_cli("search", "--backend", cluster.url, QUERY)
    assert plain.exit_code == 0, plain.output
    lines = plain.stdout.splitlines()
    total = int(lines[0].split()[0])
    assert 0 < total < whole["total"]
    assert lines[1] == "Part of the search cluster did not answer: results and counts may be incomplete."


def test_serve_with_a_node_down_names_it_before_listening(client, cluster):
    cluster.stop(1, kill=True)
    node = Cluster(cluster.url).nodes[1]
    with socket.socket() as taken:  # the port is taken: serve stops right after its checks
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--backend", cluster.url, "--port", str(port))
    assert result.exit_code == 5, result.output
    assert result.stderr.splitlines() == [
        f"vnsearch: search node {node} (shard1) is down: results are partial until it is back",
        f"vnsearch: port {port} on 127.0.0.1 is already in use: choose another one with --port N "
        "(or PORT=N with make run)",
    ]


def test_demo_indexes_the_bundled_corpus_into_an_empty_cluster_once(tmp_path):
    with running_cluster(tmp_path / "nodes") as empty, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])  # taken: the demo stops after indexing, before serving
        first = run_cli("demo", "--backend", empty.url, "--index", str(tmp_path / "lock"), "--port", port)
        assert first.exit_code == 5, first.output
        assert {"indexing the demo corpus into the search cluster…", "committing…"} <= set(first.stderr.splitlines())
        assert "full rebuild: added 201, updated 0, deleted 0, unchanged 0, rejected 0" in first.stderr
        assert sorted(ids_in_cluster(empty.url).elements()) == DEMO_IDS
        again = run_cli("demo", "--backend", empty.url, "--index", str(tmp_path / "lock"), "--port", port)
        assert again.exit_code == 5 and "indexing" not in again.stderr, again.output
        assert sorted(ids_in_cluster(empty.url).elements()) == DEMO_IDS


def test_a_node_killed_during_a_reindex_replays_its_binlog_and_a_rerun_leaves_every_article_once(cluster, tmp_path):
    for node in Cluster(cluster.url).nodes:  # start from an empty cluster
        Cluster(cluster.url).query(node, f"TRUNCATE RTINDEX {node.shard}")
        Cluster(cluster.url).query(node, "TRUNCATE RTINDEX vnsearch_meta")
    lock = tmp_path / "lock"
    command = [sys.executable, "-m", "vnsearch", "reindex", "--index", str(lock), "--backend", cluster.url,
               "--procs", "1", *DEMO_SOURCES]
    reindex = subprocess.Popen(command, env={**os.environ, PAUSE_VARIABLE: "index"}, stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, text=True)
    try:
        read_until(reindex.stderr, "paused at index")  # full batches sent, the rest not yet
        written = ids_in_cluster(cluster.url)
        assert 0 < sum(written.values()) < 201 and max(written.values()) == 1
        cluster.stop(0, kill=True)
    finally:
        reindex.kill()
        reindex.wait()
    cluster.start(0)  # replays its binlog
    assert ids_in_cluster(cluster.url) == written
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    # The killed run stored no metadata, so the rerun rewrites everything in place.
    assert rerun.stdout.startswith("full rebuild: added 201,") and "holds 201 articles" in rerun.stdout
    assert sorted(ids_in_cluster(cluster.url).elements()) == DEMO_IDS


def test_a_reindex_with_a_node_stopped_fails_within_seconds_naming_it(cluster, tmp_path):
    before = ids_in_cluster(cluster.url)
    cluster.signal(1, signal.SIGSTOP)
    try:
        started = time.monotonic()
        completed = subprocess.run([sys.executable, "-m", "vnsearch", "reindex", "--index", str(tmp_path),
                                    "--backend", cluster.url, "--full", *DEMO_SOURCES],
                                   capture_output=True, text=True, timeout=300)
        elapsed = time.monotonic() - started
    finally:
        cluster.signal(1, signal.SIGCONT)
    assert completed.returncode == 3
    assert "cannot reach search node" in completed.stderr and "(shard1)" in completed.stderr
    assert "nothing is lost" in completed.stderr and "Traceback" not in completed.stderr
    assert elapsed < 60
    assert ids_in_cluster(cluster.url) == before


def test_a_fresh_process_with_a_shard_down_ranks_with_the_whole_clusters_statistics(client, cluster):
    # The reindex records the whole cluster's average lengths beside its article count, on every node.
    whole = open_engine("", cluster.url).backend.labels()
    records = [meta_on(Cluster(cluster.url), node) for node in Cluster(cluster.url).nodes]
    assert all(record["documents"] == whole.articles == len(DEMO_IDS) for record in records)
    assert all(record["average_body"] == pytest.approx(whole.average_length, rel=1e-4) for record in records)
    assert all(record["average_title"] == pytest.approx(whole.average_title, rel=1e-4) for record in records)
    cluster.stop(1, kill=True)
    labels = open_engine("", cluster.url).backend.labels()  # nothing kept from the whole cluster
    assert not labels.whole and 0 < labels.live_articles < whole.articles
    assert (labels.articles, labels.average_length, labels.average_title) == (
        whole.articles, records[0]["average_body"], records[0]["average_title"])
