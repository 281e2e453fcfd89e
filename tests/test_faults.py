"""Faults with real processes: reindexes killed at each phase, two at once, read-only and full disks."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from search.engine import SearchEngine
from search.index import reindex
from search.request import SearchRequest
from tests.helpers import DEMO, Querier, get, read_until, running_server, wait_until, write_jsonl

VNSEARCH = str(Path(sys.executable).parent / "vnsearch")
NEW_WORD = "zyxquocte"
CHANGED_WORD = "wqxcapnhat"


def demo_records(count: int) -> list[dict]:
    """Return the first count demo articles as JSON records (repeated with new ids past 200)."""
    lines = (DEMO / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    records = []
    for number in range(count):
        record = json.loads(lines[number % len(lines)])
        if number >= len(lines):
            record["id"] = f"{record['id']}-copy{number // len(lines)}"
        records.append(record)
    return records


def indexed_ids(index_dir: Path) -> list[str]:
    """Return the id of every live document (repeats included)."""
    snapshot = SearchEngine(index_dir).snapshot()
    with snapshot.lock:
        return [fields["id"] for fields in snapshot.searcher.all_stored_fields()]


def total(index_dir: Path, query: str) -> int:
    """Return how many articles a fresh engine finds for a query."""
    return SearchEngine(index_dir).search(SearchRequest(q=query, snippets=False, suggest=False))["total"]


def start_paused(args: list[str], phase: str) -> subprocess.Popen:
    """Start `vnsearch reindex` paused at phase and wait until it says it got there."""
    env = dict(os.environ, VNSEARCH_PAUSE_AT=phase)
    process = subprocess.Popen([VNSEARCH, "reindex", *args], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               env=env, text=True)
    try:
        read_until(process.stderr, f"paused at {phase}", timeout=120)
    except AssertionError:
        process.kill()
        process.wait(timeout=30)
        raise
    return process


@pytest.fixture
def corpus(tmp_path) -> tuple[Path, Path, list[dict]]:
    """Return (index dir, source file, records) of a committed 60-article index."""
    records = demo_records(60)
    source = write_jsonl(tmp_path / "articles.jsonl", records)
    index_dir = tmp_path / "index"
    reindex(index_dir, [str(source)], procs=1)
    return index_dir, source, records


def change_sources(source: Path, records: list[dict]) -> list[dict]:
    """Add an article and change another in the source file; return the new records."""
    changed = [dict(r) for r in records]
    changed[5]["body"] += f" {CHANGED_WORD}"
    changed.append({"id": "fault-new", "title": "Bài mới", "body": f"Một bài viết mới {NEW_WORD} về Hà Nội."})
    write_jsonl(source, changed)
    return changed


@pytest.mark.parametrize("phase, full", [("index", False), ("toc", False), ("toc", True), ("swap", True)])
def test_killed_reindex_keeps_last_commit_and_rerun_completes(corpus, phase, full):
    index_dir, source, records = corpus
    changed = change_sources(source, records)
    process = start_paused(["--index", str(index_dir), "--procs", "1", *(["--full"] if full else [])], phase)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    assert sorted(indexed_ids(index_dir)) == sorted(r["id"] for r in records)
    assert total(index_dir, NEW_WORD) == 0 and total(index_dir, CHANGED_WORD) == 0

    report = reindex(index_dir, lock_timeout=2, procs=1)  # the killed writer's lock is gone
    assert not report.rejected
    assert sorted(indexed_ids(index_dir)) == sorted(r["id"] for r in changed)
    assert total(index_dir, NEW_WORD) == 1 and total(index_dir, CHANGED_WORD) == 1


def test_killed_parallel_reindex_leaves_no_writer_processes(tmp_path):
    records = demo_records(450)
    source = write_jsonl(tmp_path / "articles.jsonl", records[:10])
    index_dir = tmp_path / "index"
    reindex(index_dir, [str(source)], procs=1)
    write_jsonl(source, records)
    process = start_paused(["--index", str(index_dir), "--procs", "2"], "index")
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True,
                              timeout=30).stdout.split()
    assert children, "the parallel writer should have started worker processes"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in children),
               "writer processes outlived the reindex")

    assert sorted(indexed_ids(index_dir)) == sorted(r["id"] for r in records[:10])
    report = reindex(index_dir, lock_timeout=2, procs=2)
    assert report.added == 440 and report.unchanged == 10
    ids = indexed_ids(index_dir)
    assert len(ids) == len(set(ids)) == 450


def test_second_reindex_waits_then_exits_with_a_message(corpus):
    index_dir, source, records = corpus
    change_sources(source, records)
    first = start_paused(["--index", str(index_dir), "--procs", "1"], "index")
    try:
        second = subprocess.run([VNSEARCH, "reindex", "--index", str(index_dir), "--lock-timeout", "1"],
                                capture_output=True, text=True, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert second.returncode == 3
    assert f"another reindex (pid {first.pid})" in second.stderr and "gave up after 1 s" in second.stderr
    assert sorted(indexed_ids(index_dir)) == sorted(r["id"] for r in records)


@pytest.fixture
def small_disk(tmp_path):
    """Return a directory on a 4 MB tmpfs (needs root), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root; see test_write_failure_without_root")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False, timeout=60)


def test_full_disk_reports_a_clear_error_and_keeps_the_index(small_disk, tmp_path):
    index_dir = small_disk / "index"
    records = demo_records(20)
    small = write_jsonl(tmp_path / "small.jsonl", records)
    reindex(index_dir, [str(small)], procs=1)
    big = write_jsonl(tmp_path / "big.jsonl", demo_records(600))
    for extra in ([], ["--full"]):
        result = subprocess.run([VNSEARCH, "reindex", "--index", str(index_dir), "--procs", "1", *extra, str(big)],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 3, result.stderr
        assert "cannot write the index" in result.stderr and "No space left on device" in result.stderr
        assert "Traceback" not in result.stderr
        assert sorted(indexed_ids(index_dir)) == sorted(r["id"] for r in records)
        assert total(index_dir, "Vinamilk") >= 1


def test_read_only_index_reports_a_clear_error_and_keeps_the_index(small_disk, tmp_path):
    index_dir = small_disk / "index"
    records = demo_records(20)
    source = write_jsonl(tmp_path / "articles.jsonl", records)
    reindex(index_dir, [str(source)], procs=1)
    change_sources(source, records)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True, timeout=60)
    result = subprocess.run([VNSEARCH, "reindex", "--index", str(index_dir), "--lock-timeout", "1"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stderr
    assert "cannot write the index" in result.stderr and "Read-only file system" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(indexed_ids(index_dir)) == sorted(r["id"] for r in records)
    assert total(index_dir, NEW_WORD) == 0 and total(index_dir, "Vinamilk") >= 1


def test_write_failure_without_root_reports_a_clear_error(corpus):
    """Where no file system can be mounted, a file-size limit stands in for a full disk."""
    index_dir, source, records = corpus
    write_jsonl(source, demo_records(400))

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    result = subprocess.run([VNSEARCH, "reindex", "--index", str(index_dir), "--procs", "1"],
                            capture_output=True, text=True, timeout=300, preexec_fn=limit_file_size)
    assert result.returncode == 3, result.stderr
    assert "cannot write the index" in result.stderr and "Traceback" not in result.stderr
    assert sorted(indexed_ids(index_dir)) == sorted(r["id"] for r in records)


# Search while reindexing -----------------------------------------------------------------------

ADDED_WORD, UPDATED_WORD = "qzvthembai", "qzvsuabai"


def served_state(server) -> tuple[int, int, int]:
    """Return (documents, articles with the added word, articles with the updated word) served."""
    return (server.json("/healthz")["documents"], server.json("/api/search", q=ADDED_WORD)["total"],
            server.json("/api/search", q=UPDATED_WORD)["total"])


class ConsistencyChecker(Querier):
    """Query a server from a thread, checking each search result holds together."""

    PATHS = ("/api/search?q=viet+nam&size=7&page=2", "/api/search?q=ha+noi&size=5", "/api/search?q=&year=2020",
             f"/api/search?q={ADDED_WORD}", f"/api/search?q={UPDATED_WORD}&size=3&page=2", "/?q=giao+duc")

    def __init__(self, server):
        super().__init__(server, self.PATHS)

    def problem(self, path: str, body: bytes) -> str | None:
        return self.inconsistency(json.loads(body)) if path.startswith("/api/search") else None

    @staticmethod
    def inconsistency(result: dict) -> str | None:
        """Return what does not add up in a search result, or None."""
        expected = max(0, min(result["size"], result["total"] - (result["page"] - 1) * result["size"]))
        ids = [hit["id"] for hit in result["hits"]]
        if len(ids) != expected or len(set(ids)) != len(ids):
            return f"total {result['total']} page {result['page']} but {len(ids)} hits"
        if not result["filters"]["year"] and sum(i["count"] for i in result["facets"]["year"]) != result["total"]:
            return "year counts do not add up to the total"
        return None


def test_searches_stay_consistent_while_reindexes_add_update_and_delete(demo_index, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(demo_index, index_dir, symlinks=True)
    records = [dict(r, id=f"live-{n}") for n, r in enumerate(demo_records(40))]
    source = write_jsonl(tmp_path / "live.jsonl", records)
    reindex(index_dir, [str(source)], procs=1)
    with running_server(index_dir, tmp_path / "serve.log", "--workers", "2") as server:
        checker = ConsistencyChecker(server)
        checker.start()
        try:
            added = [{"id": f"added-{n}", "title": f"Bài thêm {n}", "body": f"Nội dung {ADDED_WORD} số {n}."}
                     for n in range(15)]
            changed = [dict(r, body=r["body"] + f" {UPDATED_WORD}") if n < 10 else r for n, r in enumerate(records)]
            steps = [(records + added, 55, 15, 0), (changed + added, 55, 15, 10), (changed[10:] + added, 45, 15, 0)]
            for step_records, documents, with_added, with_updated in steps:
                write_jsonl(source, step_records)
                done = subprocess.run([VNSEARCH, "reindex", "--index", str(index_dir)], capture_output=True,
                                      text=True, timeout=120)
                assert done.returncode == 0, done.stderr
                expected = (201 + documents, with_added, with_updated)
                # Every worker (a dozen requests in a row) must come to serve the new state.
                wait_until(lambda expected=expected: all(served_state(server) == expected for _ in range(12)),
                           f"the server never served {expected}; last: {served_state(server)}")
        finally:
            checker.stop()
        assert checker.requests > 30 and not checker.failures, checker.failures[:5]
        # A worker notices a reindex within refresh_seconds of its last check, and the dozen
        # requests above may all have gone to the other one: poll, as for the state above.
        wait_until(lambda: all(get(server.url + "/api/articles/live-3")[0] == 404 for _ in range(12)),
                   "a worker kept serving the deleted article live-3")
        assert get(server.url + "/api/articles/live-20")[0] == 200
