"""The SphinxQL cluster: `vnsearch cluster-config`, and reindexing into real searchd nodes.

The configuration tests need no engine; the others run against real `searchd` processes
(Debian's sphinxsearch 2.2.11), skipped without it unless VNSEARCH_REQUIRE_SEARCHD=1.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from search import cluster_index
from search.cluster_index import ENGINE_FORMAT, reindex_cluster
from search.index import NoSources
from search.sphinxql import (
    STORED_COLUMNS,
    VOCABULARY_ID,
    BackendError,
    Cluster,
    document_key,
    meta_on,
    read_meta,
    scan_shard,
    shard_of,
    stored_fields,
    title_vocabulary,
    write_meta,
)
from search.store import IndexBusy, writer_lock
from tests.helpers import (
    DEMO_ARTICLES,
    PORTAL_FILE,
    PORTAL_ID,
    counts,
    make_source,
    write_jsonl,
)
from tests.sphinx_cluster import running_cluster
from vnsearch.cli import main

SOURCE_PORTAL_ID = "portal/" + PORTAL_ID  # its id in a source made by make_source


# Against real searchd nodes -------------------------------------------------------------


def every_document(url: str) -> list[tuple[int, int, str]]:
    """Return (shard, key, article id) of every document of every shard."""
    cluster = Cluster(url)
    return [(node.number, key, doc_id) for node in cluster.nodes for key, doc_id, _, _ in scan_shard(cluster, node)]


def test_demo_corpus_is_on_the_cluster_once_each_on_the_shard_its_id_hashes_to(demo_cluster):
    documents = every_document(demo_cluster.url)
    ids = [doc_id for _, _, doc_id in documents]
    assert len(ids) == len(set(ids)) == 201
    assert all(shard == shard_of(key, 2) and key == document_key(doc_id) for shard, key, doc_id in documents)


def test_connections_share_one_tls_context(demo_cluster, monkeypatch):
    # PyMySQL 1.2 makes a TLS context for each connection (19.5 ms of CPU loading the CA certificates):
    # a process's connections to every node, from every thread, make at most one between them.
    import ssl

    made = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: made.append(1) or real(*a, **k))
    clusters = [Cluster(demo_cluster.url) for _ in range(3)]
    for cluster in clusters:
        for node in cluster.nodes:
            assert cluster.query(node, "SELECT id FROM articles LIMIT 1") != []
    assert len(made) <= 1
    for cluster in clusters:
        cluster.close()


def test_the_cluster_stores_every_article_as_the_embedded_index_does(demo_cluster, engine):
    cluster = Cluster(demo_cluster.url)
    rows = cluster.query(cluster.nodes[0], f"SELECT {','.join(STORED_COLUMNS)} FROM articles LIMIT 1000 "
                                           "OPTION max_matches=1000")
    snapshot = engine.snapshot()
    assert len(rows) == 201
    for row in rows:
        stored = stored_fields(dict(zip(STORED_COLUMNS, row)))
        expected = snapshot.stored(snapshot.document_number(stored["id"]))
        assert stored == {key: expected.get(key) or (False if key == "title_derived" else None if key not in
                                                    ("title", "body") else "") for key in stored}


@pytest.fixture(scope="module")
def write_cluster(tmp_path_factory):
    """Return a running two-node cluster of this module's own (emptied by each test)."""
    with running_cluster(tmp_path_factory.mktemp("write-cluster")) as cluster:
        yield cluster


@pytest.fixture
def empty_cluster(write_cluster):
    """Return the module's cluster with both shards and its metadata emptied."""
    cluster = Cluster(write_cluster.url)
    for node in cluster.nodes:
        cluster.query(node, f"TRUNCATE RTINDEX {node.shard}")
        cluster.query(node, "TRUNCATE RTINDEX vnsearch_meta")
    return write_cluster


def cluster_reindex(running, tmp_path: Path, sources, **options):
    """Reindex sources into the running cluster (lock in tmp_path)."""
    return reindex_cluster(Cluster(running.url), tmp_path / "lock", [str(s) for s in sources], procs=1, **options)


def test_incremental_reindex_of_a_cluster_adds_updates_deletes_and_skips_like_the_embedded_one(empty_cluster, tmp_path):
    source = make_source(tmp_path, count=4)
    assert counts(cluster_reindex(empty_cluster, tmp_path, [source])) == (5, 0, 0, 0, 0)
    changed = [dict(DEMO_ARTICLES[0], title="Tiêu đề mới hoàn toàn"), *DEMO_ARTICLES[2:4], DEMO_ARTICLES[10]]
    write_jsonl(source / "news.jsonl", changed)
    report = cluster_reindex(empty_cluster, tmp_path, [])
    assert counts(report) == (1, 1, 1, 3, 0) and report.documents == 5
    documents = every_document(empty_cluster.url)
    assert sorted(doc_id for _, _, doc_id in documents) == sorted([r["id"] for r in changed] + [SOURCE_PORTAL_ID])
    cluster = Cluster(empty_cluster.url)
    node = cluster.nodes[shard_of(document_key(changed[0]["id"]), 2)]
    assert cluster.query(node, f"SELECT title FROM {node.shard} WHERE id = {document_key(changed[0]['id'])}") == \
        [("Tiêu đề mới hoàn toàn",)]


def test_full_reindex_of_a_cluster_rewrites_everything_and_forgets_dropped_sources(empty_cluster, tmp_path):
    first, second = make_source(tmp_path / "a", count=3, portal=False), tmp_path / "b"
    (second / "portal").mkdir(parents=True)
    (second / "portal" / PORTAL_ID).write_bytes(PORTAL_FILE.read_bytes())
    cluster_reindex(empty_cluster, tmp_path, [first, second])
    report = cluster_reindex(empty_cluster, tmp_path, [second], full=True)
    assert counts(report) == (1, 0, 3, 0, 0) and report.full and report.sources == [str(second)]
    assert [doc_id for _, _, doc_id in every_document(empty_cluster.url)] == [SOURCE_PORTAL_ID]


def test_reindex_command_writes_into_the_cluster_its_backend_url_names(empty_cluster, tmp_path):
    source = make_source(tmp_path, count=3)
    command = ["reindex", "--backend", empty_cluster.url, "--index", str(tmp_path / "lock"), "--procs", "1"]
    outputs = [CliRunner().invoke(main, [*command, *more], catch_exceptions=False)
               for more in ([str(source)], [], ["--full"])]  # then the remembered source, incrementally, then whole
    assert [result.exit_code for result in outputs] == [0, 0, 0]
    assert [result.stdout.split(" in ")[0] for result in outputs] == [
        "full rebuild: added 4, updated 0, deleted 0, unchanged 0, rejected 0",  # an empty cluster
        "incremental: added 0, updated 0, deleted 0, unchanged 4, rejected 0",
        "full rebuild: added 4, updated 0, deleted 0, unchanged 0, rejected 0"]
    assert all(result.stdout.endswith("; the index holds 4 articles\n") for result in outputs)
    assert len(every_document(empty_cluster.url)) == 4


def test_reindex_with_a_shard_down_fails_naming_it_and_a_rerun_completes(empty_cluster, tmp_path):
    source = make_source(tmp_path, count=20)
    empty_cluster.stop(1)
    try:
        with pytest.raises(BackendError, match=r"shard1"):
            cluster_reindex(empty_cluster, tmp_path, [source])
        cluster = Cluster(empty_cluster.url)
        assert cluster.query(cluster.nodes[0], "SELECT id FROM shard0") == []  # nothing half-written
    finally:
        empty_cluster.start(1)
    report = cluster_reindex(empty_cluster, tmp_path, [source])
    assert counts(report) == (21, 0, 0, 0, 0)
    assert Counter(doc_id for _, _, doc_id in every_document(empty_cluster.url)) == \
        Counter([r["id"] for r in DEMO_ARTICLES[:20]] + [SOURCE_PORTAL_ID])


def test_a_cluster_reindex_waits_for_the_writer_lock(empty_cluster, tmp_path):
    source = make_source(tmp_path, count=1)
    with writer_lock(tmp_path / "lock", 1), pytest.raises(IndexBusy):
        cluster_reindex(empty_cluster, tmp_path, [source], lock_timeout=0.2)
    assert every_document(empty_cluster.url) == []


def cluster_averages(cluster: Cluster) -> tuple[float, float]:
    """Return the average body and title lengths of every article of every shard, from each article's own."""
    lengths = [(int(body), int(title)) for node in cluster.nodes
               for _, body, title in scan_shard(cluster, node, "body_fold_len, title_fold_len")]
    return sum(body for body, _ in lengths) / len(lengths), sum(title for _, title in lengths) / len(lengths)


def test_a_reindex_records_its_sources_generation_counts_averages_and_vocabulary_on_every_node(empty_cluster,
                                                                                                 tmp_path):
    source = make_source(tmp_path, count=4)
    calls = []
    report = cluster_reindex(empty_cluster, tmp_path, [source],
                             progress=lambda phase, done, total: calls.append((phase, done, total)))
    assert 0 < report.seconds < 600 and ("index", 5, 5) in calls
    cluster = Cluster(empty_cluster.url)
    records = [meta_on(cluster, node) for node in cluster.nodes]
    groups = {tuple(row[1:]) for node in cluster.nodes for row in scan_shard(cluster, node, "month, category, source")}
    body, title = cluster_averages(cluster)
    reindexed = datetime.fromisoformat(records[0].pop("last_reindex"))
    assert abs((datetime.now(UTC) - reindexed).total_seconds()) < 600 and reindexed.utcoffset() is not None
    assert records[0] == {"generation": 1, "facet_groups": len(groups), "average_body": pytest.approx(body),
                          "average_title": pytest.approx(title), "engine_format": ENGINE_FORMAT,
                          "sources": [str(source)], "documents": 5}
    assert {key: value for key, value in records[1].items() if key != "last_reindex"} == records[0]
    assert len(groups) > 1 and 1 < title < body
    vocabulary = [meta_on(cluster, node, VOCABULARY_ID) for node in cluster.nodes]
    assert vocabulary[0] == vocabulary[1] == [list(entry) for entry in title_vocabulary(cluster)] != []
    # Another source added: both remembered, the record's next generation.
    other = write_jsonl(tmp_path / "other" / "more.jsonl", [dict(DEMO_ARTICLES[20], id="more-1")])
    assert counts(cluster_reindex(empty_cluster, tmp_path, [other])) == (1, 0, 0, 0, 0)  # only the source given read
    record = meta_on(cluster, cluster.nodes[1])
    assert (record["generation"], record["sources"], record["documents"]) == (2, [str(source), str(other)], 6)


def test_a_cluster_reindex_without_sources_given_or_remembered_names_what_is_missing(empty_cluster, tmp_path):
    with pytest.raises(NoSources) as refused:
        cluster_reindex(empty_cluster, tmp_path, [])
    assert str(refused.value) == "no SOURCE given and none remembered in the search cluster"


@pytest.mark.parametrize(("before", "after", "merged"), [
    (19, 17, True), (19, 18, False),  # 2 deleted of the 18 left: more than a tenth; 1 of 19: less
    (17, 19, True), (17, 18, False)])  # 2 added of 20: exactly a tenth (`MERGE_SHARE`); 1 of 19: less
def test_a_reindex_that_writes_or_deletes_a_tenth_of_the_articles_merges_the_chunks(empty_cluster, tmp_path,
                                                                                    monkeypatch, before, after, merged):
    source = make_source(tmp_path, count=before)  # and the portal page
    cluster_reindex(empty_cluster, tmp_path, [source])
    write_jsonl(source / "news.jsonl", DEMO_ARTICLES[:after])
    calls = []
    monkeypatch.setattr(cluster_index, "merge_chunks", lambda cluster: calls.append(cluster))
    report = cluster_reindex(empty_cluster, tmp_path, [])
    assert (report.added, report.deleted, report.documents) == (max(after - before, 0), max(before - after, 0),
                                                                 after + 1)
    assert len(calls) == merged


def test_an_empty_clusters_labels_hold_no_article_and_average_lengths_of_one(empty_cluster):
    from search.engine import open_engine
    from search.request import SearchRequest

    engine = open_engine("", empty_cluster.url)
    labels = engine.backend.labels()
    # Lengths of 1, not 0: BM25's length normalisation divides by them.
    assert (labels.categories, labels.sources, labels.articles, labels.live_articles, labels.average_length,
            labels.average_title, labels.whole) == ([], [], 0, 0, 1.0, 1.0, True)
    assert engine.search(SearchRequest(q="việt nam"))["total"] == 0


def live_shard_averages(cluster: Cluster, number: int) -> tuple[float, float, int]:
    """Return a shard's own average body and title lengths and its article count."""
    node = cluster.nodes[number]
    ((body, title, articles),) = cluster.query(
        node, f"SELECT AVG(body_fold_len), AVG(title_fold_len), COUNT(*) FROM {node.shard}")
    return float(body), float(title), int(articles)


def test_a_shard_down_ranks_with_what_the_record_of_the_last_reindex_holds_and_the_live_shards_for_the_rest(
        empty_cluster, tmp_path):
    from search.engine import open_engine

    cluster_reindex(empty_cluster, tmp_path, [make_source(tmp_path, count=12)])
    nodes = Cluster(empty_cluster.url)
    record = read_meta(nodes)
    body, title, live = live_shard_averages(nodes, 0)
    assert 0 < live < record["documents"] == 13 and abs(body - record["average_body"]) > 0.1
    # No record, then records written before the averages were recorded (the count alone, then no title average).
    counted = {key: value for key, value in record.items() if not key.startswith("average_")}
    older = {key: value for key, value in record.items() if key != "average_title"}
    seen = []
    for meta in ({}, counted, older):
        nodes = Cluster(empty_cluster.url)  # not the connections to the node stopped before
        for node in nodes.nodes:
            nodes.query(node, "TRUNCATE RTINDEX vnsearch_meta")
        if meta:
            write_meta(nodes, meta)
        empty_cluster.stop(1, kill=True)
        try:
            seen.append(open_engine("", empty_cluster.url).backend.labels())
        finally:
            empty_cluster.start(1)
    assert [(labels.whole, labels.live_articles) for labels in seen] == [(False, live)] * 3
    assert [(labels.articles, labels.average_length, labels.average_title) for labels in seen] == [
        (live, pytest.approx(body), pytest.approx(title)),
        (live, pytest.approx(body), pytest.approx(title)),
        (13, pytest.approx(record["average_body"]), pytest.approx(title))]

def shard_status(url: str) -> list[dict[str, int]]:
    """Return each shard's disk chunks and RAM chunk bytes."""
    cluster = Cluster(url)
    statuses = [dict(cluster.query(node, f"SHOW INDEX {node.shard} STATUS")) for node in cluster.nodes]
    return [{"disk_chunks": int(s["disk_chunks"]), "ram_chunk": int(s["ram_chunk"])} for s in statuses]


def test_a_large_reindex_leaves_each_shard_in_one_chunk_and_a_small_one_leaves_them(empty_cluster, tmp_path):
    empty = shard_status(empty_cluster.url)
    source = make_source(tmp_path, count=20)
    cluster_reindex(empty_cluster, tmp_path, [source])
    merged = shard_status(empty_cluster.url)
    assert [s["disk_chunks"] for s in merged] == [1, 1]  # the RAM chunk written to disk
    assert all(s["ram_chunk"] <= e["ram_chunk"] + 256 for s, e in zip(merged, empty))
    changed = [dict(DEMO_ARTICLES[0], title="Tiêu đề mới hoàn toàn"), *DEMO_ARTICLES[1:20]]
    write_jsonl(source / "news.jsonl", changed)
    assert counts(cluster_reindex(empty_cluster, tmp_path, [])) == (0, 1, 0, 20, 0)  # 1 of 21: under a tenth
    owner = shard_of(document_key(changed[0]["id"]), 2)
    assert shard_status(empty_cluster.url)[owner]["ram_chunk"] > merged[owner]["ram_chunk"] + 256
    assert counts(cluster_reindex(empty_cluster, tmp_path, [], merge=True)) == (0, 0, 0, 21, 0)
    assert shard_status(empty_cluster.url) == merged


def test_merging_the_chunks_changes_no_search(empty_cluster, tmp_path):
    from search.engine import open_engine
    from search.request import SearchRequest

    cluster_reindex(empty_cluster, tmp_path, [make_source(tmp_path, count=40)], merge=False)
    assert [s["disk_chunks"] for s in shard_status(empty_cluster.url)] == [0, 0]
    requests = [SearchRequest(q=q) for q in ("Việt Nam", "giá vàng", "bo chinh tri", "Hà Nội mưa lớn")]
    before = [open_engine("", empty_cluster.url).search(request) for request in requests]
    cluster_reindex(empty_cluster, tmp_path, [], merge=True)
    assert [s["disk_chunks"] for s in shard_status(empty_cluster.url)] == [1, 1]
    after = [open_engine("", empty_cluster.url).search(request) for request in requests]
    assert sum(result["total"] for result in before) > 10
    assert [{k: v for k, v in r.items() if k != "took_ms"} for r in after] == \
        [{k: v for k, v in r.items() if k != "took_ms"} for r in before]


def test_optimize_is_refused_without_a_cluster(tmp_path):
    result = CliRunner().invoke(main, ["reindex", "--index", str(tmp_path / "ix"), "--optimize", str(tmp_path)])
    assert result.exit_code == 2 and "--backend" in result.output
