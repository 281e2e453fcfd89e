"""Index integrity: damaged files of a real demo index are named by `check`, answered with 503
(never a wrong answer, never a 500), refused by `reindex` and repaired by `reindex --full`."""

from __future__ import annotations

import json
import mmap
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from whoosh import index as whoosh_index

from search import integrity, store
from search.codec import make_codec
from search.integrity import (
    CRC_SLICE_BYTES,
    IndexDamaged,
    file_signature,
    latest_toc,
    manifest_name,
    read_manifest,
    read_verified,
    write_verified,
)
from search.reader import Snapshot
from search.store import DAMAGED_FILE, damage_before_writing, linked_generation
from search.writer import VnSegmentWriter
from tests.helpers import (
    DEMO_SOURCES,
    PORTAL_ID,
    START_TIMEOUT,
    answers,
    flip_middle_byte,
    get,
    running_server,
    start_server,
    wait_until,
)
from vnsearch.cli import main
from web.app import create_app

DEMO_IDS = sorted([json.loads(line)["id"] for line in Path(DEMO_SOURCES[0]).read_text(encoding="utf-8").splitlines()]
                  + [PORTAL_ID])
EXIT_DAMAGED = 4
# Every endpoint that reads the index: a damaged index must answer each with a 503.
READING_PATHS = ["/api/search?q=bo+chinh+tri", "/api/search?year=2020", "/api/suggest?q=chinh",
                 f"/api/articles/{PORTAL_ID}", "/healthz"]


def run(*args: str):
    """Run the vnsearch command in process."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def generation(index_dir: Path) -> Path:
    """Return the live generation directory of an index."""
    return linked_generation(index_dir)


def the_file(index_dir: Path, suffix: str) -> Path:
    """Return the (largest) file of the live generation whose name ends with suffix."""
    files = sorted((p for p in generation(index_dir).iterdir() if p.name.endswith(suffix)),
                   key=lambda p: p.stat().st_size)
    assert files, f"no *{suffix} in {generation(index_dir)}"
    return files[-1]


def truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def delete(path: Path) -> None:
    path.unlink()


# (what is damaged, the file's name ends with, how)
DAMAGES = [
    ("postings", ".pst", truncate), ("terms", ".trm", truncate), ("stored fields", "._stored.col", truncate),
    ("date column", ".day.col", truncate), ("id column", ".id.col", truncate),
    ("length column", "._body_len.col", truncate), ("table of contents", ".toc", truncate),
    ("metadata", "vnsearch.json", truncate),
    ("postings", ".pst", flip_middle_byte), ("terms", ".trm", flip_middle_byte),
    ("date column", ".day.col", flip_middle_byte),
    ("category column", ".category.col", flip_middle_byte), ("stored fields", "._stored.col", flip_middle_byte),
    ("postings", ".pst", delete), ("source column", ".source.col", delete), ("table of contents", ".toc", delete),
    ("metadata", "vnsearch.json", delete),
]


def listed_ids(client) -> list[str]:
    """Return the id of every article the search API lists (all pages, repeats kept)."""
    ids, page = [], 1
    while True:
        response = client.get("/api/search", query_string={"size": 50, "page": page})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        ids += [hit["id"] for hit in body["hits"]]
        if page >= body["pages"]:
            return ids
        page += 1


def assert_damage_answered(client, damaged: str) -> None:
    """Assert every reading endpoint answers 503 index_damaged naming the damaged file."""
    for path in READING_PATHS:
        response = client.get(path)
        assert response.status_code == 503, (path, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == "index_damaged" and damaged in error["message"]
        assert damaged in [problem["file"] for problem in error["problems"]]
    response = client.get("/?q=bo+chinh+tri")
    assert response.status_code == 503
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "Chỉ mục bị hỏng" in page.title.get_text() and "vnsearch reindex --full" in page.get_text()


@pytest.mark.parametrize("what, suffix, how", DAMAGES, ids=[f"{how.__name__} {what}" for what, _, how in DAMAGES])
def test_damage_is_named_by_check_answered_503_and_refused_by_reindex(index_copy, what, suffix, how):
    client = create_app({"INDEX_DIR": str(index_copy), "REFRESH_SECONDS": 0}).test_client()
    assert client.get("/api/search?q=bo+chinh+tri").status_code == 200
    target = the_file(index_copy, suffix)
    how(target)
    damaged_bytes = target.read_bytes() if target.exists() else None

    result = run("check", "--index", str(index_copy), "--json")
    assert result.exit_code == EXIT_DAMAGED, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["generation"] == generation(index_copy).name
    assert target.name in [problem["file"] for problem in report["problems"]]
    text = run("check", "--index", str(index_copy))
    assert text.exit_code == EXIT_DAMAGED and f"damaged: {target.name}: " in text.output
    assert "vnsearch reindex --index" in text.output and "--full" in text.output

    assert_damage_answered(client, target.name)

    refused = run("reindex", "--index", str(index_copy))
    assert refused.exit_code == EXIT_DAMAGED and f"damaged: {target.name}: " in refused.output
    assert "--full" in refused.output
    assert (target.read_bytes() if target.exists() else None) == damaged_bytes
    assert_damage_answered(client, target.name)


def test_search_command_on_a_damaged_index_names_the_damage_and_exits_4(index_copy):
    target = the_file(index_copy, ".pst")
    truncate(target)
    result = run("search", "--index", str(index_copy), "bộ chính trị")
    assert result.exit_code == EXIT_DAMAGED and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"damaged: {target.name}: ")
    assert lines[-1] == (f"vnsearch: run `vnsearch check --index {index_copy}`, "
                         f"then `vnsearch reindex --index {index_copy} --full`")


REPAIRS = [("postings", ".pst", truncate), ("stored fields", "._stored.col", flip_middle_byte),
           ("table of contents", ".toc", delete), ("date column", ".day.col", flip_middle_byte)]


@pytest.mark.parametrize("what, suffix, how", REPAIRS, ids=[f"{how.__name__} {what}" for what, _, how in REPAIRS])
def test_full_reindex_repairs_damage_while_served_and_keeps_the_damaged_generation(index_copy, what, suffix, how):
    client = create_app({"INDEX_DIR": str(index_copy), "REFRESH_SECONDS": 0}).test_client()
    assert sorted(listed_ids(client)) == DEMO_IDS
    damaged = generation(index_copy)
    target = the_file(index_copy, suffix)
    how(target)
    assert client.get("/api/search?q=bo+chinh+tri").status_code == 503

    result = run("reindex", "--index", str(index_copy), "--full", "--procs", "1")
    assert result.exit_code == 0, result.output
    assert f"replaced the damaged generation {damaged.name}" in result.output
    assert generation(index_copy) != damaged
    assert target.name in (damaged / DAMAGED_FILE).read_text(encoding="utf-8")

    # The same app, never restarted, serves the repaired index: every article exactly once.
    ids = listed_ids(client)
    assert sorted(ids) == DEMO_IDS and len(set(ids)) == len(ids)
    assert client.get("/healthz").get_json()["documents"] == len(DEMO_IDS)
    assert client.get(f"/api/articles/{PORTAL_ID}").get_json()["id"] == PORTAL_ID
    assert run("check", "--index", str(index_copy), "--full").exit_code == 0

    # The next successful reindex drops the damaged generation kept for inspection.
    assert run("reindex", "--index", str(index_copy), "--procs", "1").exit_code == 0
    assert not damaged.exists()


def test_repair_option_rebuilds_a_damaged_index_and_otherwise_reindexes_incrementally(index_copy):
    clean = run("reindex", "--index", str(index_copy), "--repair", "--procs", "1")
    assert clean.exit_code == 0 and "incremental" in clean.stdout and "replaced" not in clean.output
    flip_middle_byte(the_file(index_copy, ".pst"))
    repaired = run("reindex", "--index", str(index_copy), "--repair", "--procs", "1")
    assert repaired.exit_code == 0 and "full rebuild" in repaired.stdout and "replaced the damaged" in repaired.output
    assert run("check", "--index", str(index_copy)).exit_code == 0


def test_damaged_metadata_is_rebuilt_from_sources_given_again(index_copy):
    truncate(generation(index_copy) / "vnsearch.json")
    without_sources = run("reindex", "--index", str(index_copy), "--full")
    assert without_sources.exit_code == 2 and "give the SOURCEs" in without_sources.output
    result = run("reindex", "--index", str(index_copy), "--full", "--procs", "1", *DEMO_SOURCES)
    assert result.exit_code == 0, result.output
    assert run("check", "--index", str(index_copy), "--full").exit_code == 0


def test_every_commit_records_the_checksums_of_every_file_it_leaves(index_copy, tmp_path):
    first = generation(index_copy)
    toc_generation, toc_name = latest_toc(first)
    manifest = read_manifest(first, toc_generation)
    assert_manifest_matches(first, manifest, toc_name)

    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"id": "integrity-extra", "title": "Bài thêm", "body": "Nội dung thêm."},
                                ensure_ascii=False) + "\n", encoding="utf-8")
    assert run("reindex", "--index", str(index_copy), "--procs", "1", str(extra)).exit_code == 0
    next_generation, next_toc = latest_toc(first)
    assert next_generation == toc_generation + 1
    after = read_manifest(first, next_generation)
    assert_manifest_matches(first, after, next_toc)
    assert not (first / manifest_name(toc_generation)).exists()
    # Files of the earlier commit keep the entries recorded when they were written.
    kept = set(manifest["files"]) & set(after["files"])
    assert kept and all(after["files"][name] == manifest["files"][name] for name in kept)


def assert_manifest_matches(folder: Path, manifest: dict, toc_name: str) -> None:
    """Assert a commit's checksums cover exactly its TOC and live segment files, correctly."""
    segment_files = {p.name for p in folder.iterdir() if p.name.split(".")[0] in manifest["segments"]}
    assert set(manifest) == {"format", "toc", "segments", "files"}
    assert (manifest["format"], manifest["toc"]) == (1, toc_name)
    assert set(manifest["files"]) == segment_files | {toc_name}
    assert {name.split(".")[1] for name in segment_files} >= {"pst", "trm", "_stored", "day", "id"}
    for name, record in manifest["files"].items():
        data = (folder / name).read_bytes()
        assert record == {"size": len(data), "head": data[:8].hex(), "crc32": f"{zlib.crc32(data):08x}"}


def test_full_check_reads_every_article_of_an_index_without_checksums(index_copy):
    folder = generation(index_copy)
    toc_generation, _ = latest_toc(folder)
    (folder / manifest_name(toc_generation)).unlink()  # as an index written before checksums
    quick = run("check", "--index", str(index_copy), "--json")
    assert quick.exit_code == 0
    assert json.loads(quick.stdout)["warnings"] == [
        "the last commit has no checksums (written before vnsearch recorded them): "
        "run `vnsearch reindex --full` to record them"]
    text = run("check", "--index", str(index_copy))
    assert text.exit_code == 0 and text.stdout.splitlines()[1:] == [
        "warning: the last commit has no checksums (written before vnsearch recorded them): "
        "run `vnsearch reindex --full` to record them", "ok"]
    flip_middle_byte(the_file(index_copy, "._stored.col"))
    full = run("check", "--index", str(index_copy), "--full", "--json")
    assert full.exit_code == EXIT_DAMAGED
    report = json.loads(full.stdout)
    assert report["level"] == "full"
    assert {(p["file"], p["kind"]) for p in report["problems"]} == {("stored fields", "decode")}


def test_check_of_a_sound_index(index_copy):
    result = run("check", "--index", str(index_copy), "--full", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    files = len(read_manifest(generation(index_copy), latest_toc(generation(index_copy))[0])["files"]) + 1
    assert report == {"index": str(index_copy), "generation": generation(index_copy).name, "ok": True,
                      "level": "full", "files_checked": files, "documents": len(DEMO_IDS), "problems": [],
                      "warnings": [], "sources": DEMO_SOURCES}
    text = run("check", "--index", str(index_copy))
    assert text.exit_code == 0 and text.stdout.splitlines()[-1] == "ok"


def test_check_reports_a_missing_remembered_source(index_copy, tmp_path):
    source = tmp_path / "gone.jsonl"
    source.write_text(json.dumps({"id": "gone", "title": "Bài", "body": "Nội dung."}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    assert run("reindex", "--index", str(index_copy), "--procs", "1", str(source)).exit_code == 0
    source.unlink()
    report = json.loads(run("check", "--index", str(index_copy), "--full", "--json").stdout)
    assert [(p["file"], p["kind"]) for p in report["problems"]] == [(str(source), "source")]


def test_check_without_an_index_exits_3(tmp_path):
    result = run("check", "--index", str(tmp_path / "none"))
    assert result.exit_code == 3 and "no index" in result.output


def wait_for_health(server, status: int, seconds: float = 10.0) -> None:
    """Wait until /healthz answers status, asserting nothing ever answers a 500."""
    deadline = time.monotonic() + seconds
    while (answer := get(server.url + "/healthz")[0]) != status:
        assert answer in (200, 503), answer
        assert time.monotonic() < deadline, f"/healthz still answers {answer}"
        time.sleep(0.1)


def test_server_answers_503_for_a_damaged_index_then_serves_the_repair_without_restart(index_copy, tmp_path):
    with running_server(index_copy, tmp_path / "serve.log", "--workers", "2", "--refresh-seconds", "0.2") as server:
        before = server.json("/api/search", q="bo chinh tri", size=50)
        flip_middle_byte(the_file(index_copy, ".pst"))  # a byte of a posting block, under a running server
        wait_for_health(server, 503)
        time.sleep(0.5)  # both workers have checked by now
        for _ in range(10):
            for path in ("/api/search?q=bo+chinh+tri", "/healthz", "/api/suggest?q=chinh"):
                status, headers, body = get(server.url + path)
                assert status == 503 and headers["Content-Type"] == "application/json", (path, body[:200])
                assert json.loads(body)["error"]["code"] == "index_damaged"
        assert run("reindex", "--index", str(index_copy), "--full", "--procs", "1").exit_code == 0
        wait_for_health(server, 200)
        time.sleep(0.5)
        for _ in range(10):
            assert server.json("/api/search", q="bo chinh tri", size=50)["hits"] == before["hits"]
        assert server.json("/healthz")["documents"] == len(DEMO_IDS)
    assert "unhandled error" not in server.output()


def test_checksums_follow_commits_that_merge_segments(index_copy, tmp_path):
    folder = generation(index_copy)
    sources = []
    for number in range(8):
        sources.append(tmp_path / f"small-{number}.jsonl")
        sources[-1].write_text(json.dumps({"id": f"small-{number}", "title": f"Bài nhỏ số {number}",
                                           "body": f"Nội dung bài nhỏ số {number}."}, ensure_ascii=False) + "\n",
                               encoding="utf-8")
        assert run("reindex", "--index", str(index_copy), "--procs", "1", str(sources[-1])).exit_code == 0
    toc_generation, toc_name = latest_toc(folder)
    manifest = read_manifest(folder, toc_generation)
    assert toc_generation == 9 and 1 < len(manifest["segments"]) < 9  # segments were merged
    assert_manifest_matches(folder, manifest, toc_name)
    assert [p.name for p in folder.glob("checksums-*.json")] == [manifest_name(toc_generation)]
    result = run("check", "--index", str(index_copy), "--full", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["documents"] == len(DEMO_IDS) + 8


def test_server_started_on_a_damaged_index_says_so_answers_503_and_serves_the_repair(index_copy, tmp_path):
    toc = the_file(index_copy, ".toc")
    flip_middle_byte(toc)  # the commit point itself: Whoosh cannot even tell whether there is an index
    server = start_server(index_copy, tmp_path / "serve.log", "--workers", "1", "--refresh-seconds", "0.2")
    try:
        wait_until(lambda: answers(server) == 503, f"no 503 from a damaged index:\n{server.output()}",
                   timeout=START_TIMEOUT)
        assert f"damaged: {toc.name}: CRC32" in server.output() and "is damaged" in server.output()
        status, _, body = get(server.url + "/api/search?q=bo+chinh+tri")
        assert status == 503 and json.loads(body)["error"]["problems"][0]["file"] == toc.name
        assert run("reindex", "--index", str(index_copy), "--full", "--procs", "1").exit_code == 0
        wait_until(lambda: answers(server) == 200, "the repaired index was never served")
        assert server.json("/api/search", q="bo chinh tri")["total"] > 0
    finally:
        server.stop()
    assert "unhandled error" not in server.output()


RESIDENT_PROBE = """
import json, re, sys, zlib
from pathlib import Path
from search.integrity import file_record

def status(field):
    return int(re.search(rf"^{field}:\\s+(\\d+) kB", Path("/proc/self/status").read_text(), re.M).group(1))

path = Path(sys.argv[1])
before = status("VmRSS")
record = file_record(path)
print(json.dumps({"record": record, "growth_kb": status("VmHWM") - before}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the resident set from /proc")
def test_checksumming_a_large_index_file_holds_only_a_slice_of_it_in_memory(tmp_path):
    """The commit-time checksum of a file far larger than its slices keeps few of its pages resident."""
    block = os.urandom(1 << 20)
    big = tmp_path / "MAIN_big.pst"
    with open(big, "wb") as handle:
        for _ in range(3 * CRC_SLICE_BYTES >> 20):
            handle.write(block)
    done = subprocess.run([sys.executable, "-c", RESIDENT_PROBE, str(big)], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parent.parent, check=True)
    probe = json.loads(done.stdout)
    assert probe["record"] == {"size": 3 * CRC_SLICE_BYTES, "head": block[:8].hex(),
                               "crc32": f"{zlib.crc32(block * (3 * CRC_SLICE_BYTES >> 20)):08x}"}
    assert probe["growth_kb"] * 1024 < 2 * CRC_SLICE_BYTES


# What an incremental reindex checksums before it writes ------------------------------------


def write_article(path: Path, doc_id: str) -> Path:
    """Write a one-article source file and return it."""
    path.write_text(json.dumps({"id": doc_id, "title": f"Bài {doc_id}", "body": f"Nội dung của bài {doc_id}."},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def remember_as_verified(folder: Path, target: Path) -> None:
    """Make a file's current signature the one remembered as checksummed: damage that no stat
    shows (bits rotting on disk), which only a checksum finds."""
    entries = read_verified(folder)
    entries[target.name] = file_signature(target)
    write_verified(folder, entries)


def rewrite_later(path: Path) -> None:
    """Damage a file without changing its size, as a write a second after its last one."""
    flip_middle_byte(path)
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


def committed_files(index_dir: Path) -> tuple[set[str], set[str], set[str]]:
    """Return the latest commit's files: all of them, the columns a reindex reads, the TOC."""
    folder = generation(index_dir)
    names = set(read_manifest(folder, latest_toc(folder)[0])["files"])
    read = {name for name in names if name.endswith((".id.col", ".origin.col", ".content_hash.col"))}
    return names, read, {name for name in names if name.endswith(".toc")}


@pytest.fixture()
def settled(monkeypatch):
    """Treat every file as written long ago (a reindex remembers only signatures older than 2 s)."""
    monkeypatch.setattr(integrity, "SETTLED_NS", -10**12)


def test_a_reindex_checksums_what_it_reads_and_what_changed_since_it_last_checksummed(index_copy, settled):
    names, read, toc = committed_files(index_copy)
    assert read and len(toc) == 1

    sizes = {name: record["size"] for name, record in read_manifest(
        generation(index_copy), latest_toc(generation(index_copy))[0])["files"].items()}
    problems, first = damage_before_writing(index_copy)  # a copied index: no signature is known
    assert problems == [] and (first.checksummed, first.quick) == (len(names), 0)
    assert first.checksummed_bytes == sum(sizes.values())
    problems, second = damage_before_writing(index_copy)
    assert problems == [] and (second.checksummed, second.quick) == (len(read | toc), len(names - read - toc))
    assert second.checksummed_bytes == sum(sizes[name] for name in read | toc)

    # A file written since is checksummed again: damage of the same size is found, and refused.
    postings = the_file(index_copy, ".pst")
    rewrite_later(postings)
    problems, third = damage_before_writing(index_copy)
    assert [(p.file, p.kind) for p in problems] == [(postings.name, "checksum")]
    assert third.checksummed == len(read | toc) + 1
    refused = run("reindex", "--index", str(index_copy), "--procs", "1")
    assert refused.exit_code == EXIT_DAMAGED and f"damaged: {postings.name}: " in refused.output


def test_damage_a_reindex_does_not_read_is_never_blessed(index_copy, settled, tmp_path):
    assert damage_before_writing(index_copy)[0] == []
    folder = generation(index_copy)
    postings = the_file(index_copy, ".pst")
    flip_middle_byte(postings)
    remember_as_verified(folder, postings)  # the damage shows in no stat
    added = run("reindex", "--index", str(index_copy), "--procs", "1", str(write_article(tmp_path / "a.jsonl", "a")))
    assert added.exit_code == 0, added.output  # the new segment was written beside the damaged one

    # ... whose recorded checksum was carried over: `check` and the server still name it.
    manifest = read_manifest(folder, latest_toc(folder)[0])
    assert manifest["files"][postings.name]["crc32"] != f"{zlib.crc32(postings.read_bytes()):08x}"
    report = json.loads(run("check", "--index", str(index_copy), "--json").stdout)
    assert [(p["file"], p["kind"]) for p in report["problems"]] == [(postings.name, "checksum")]
    client = create_app({"INDEX_DIR": str(index_copy), "REFRESH_SECONDS": 0}).test_client()
    assert_damage_answered(client, postings.name)


def test_a_segment_a_commit_would_merge_is_checksummed_first(index_copy, settled, tmp_path):
    folder = generation(index_copy)
    for name in "abcde":  # one segment each: the next commit merges the five small ones
        assert run("reindex", "--index", str(index_copy), "--procs", "1",
                   str(write_article(tmp_path / f"{name}.jsonl", name))).exit_code == 0
    toc_generation, _ = latest_toc(folder)
    segments = read_manifest(folder, toc_generation)["segments"]
    assert len(segments) == 6
    assert damage_before_writing(index_copy)[0] == []
    smallest = min(segments, key=segments.get)
    target = max(folder.glob(f"{smallest}.*.col"), key=lambda path: path.stat().st_size)
    assert not target.name.endswith((".id.col", ".origin.col", ".content_hash.col"))
    flip_middle_byte(target)
    remember_as_verified(folder, target)
    assert damage_before_writing(index_copy)[0] == []  # the quick checks pass: the merge finds it

    extra = str(write_article(tmp_path / "f.jsonl", "f"))
    refused = run("reindex", "--index", str(index_copy), "--procs", "1", extra)
    assert refused.exit_code == EXIT_DAMAGED and f"damaged: {target.name}: CRC32" in refused.output
    assert latest_toc(folder)[0] == toc_generation and read_manifest(folder, toc_generation)["segments"] == segments
    # The lean writer's own check (what reindex's checks before writing would miss), the index named.
    merging = VnSegmentWriter(whoosh_index.open_dir(str(folder)), codec=make_codec(), compound=False)
    with pytest.raises(IndexDamaged) as refused_by_merge:
        merging.commit()  # Whoosh's policy merges the five small segments
    merging.cancel()
    assert str(refused_by_merge.value).startswith(f"the index in {index_copy} is damaged: {target.name}: CRC32")

    # --repair: the same finding makes it rebuild (a remembered source gained an article).
    with open(tmp_path / "a.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "g", "title": "Bài g", "body": "Nội dung."}, ensure_ascii=False) + "\n")
    repaired = run("reindex", "--index", str(index_copy), "--procs", "1", "--repair")
    assert repaired.exit_code == 0 and "full rebuild" in repaired.stdout and "replaced the damaged" in repaired.output
    full = json.loads(run("check", "--index", str(index_copy), "--full", "--json").stdout)
    assert full["ok"] and full["documents"] == len(DEMO_IDS) + 6


def test_a_commit_remembers_the_files_it_checksummed(tmp_path, settled):
    index_dir = tmp_path / "index"
    assert run("reindex", "--index", str(index_dir), "--full", "--procs", "1", *DEMO_SOURCES).exit_code == 0
    names, read, toc = committed_files(index_dir)
    # The first reindex after a rebuild checksums no more than any other.
    problems, done = damage_before_writing(index_dir)
    assert problems == [] and (done.checksummed, done.quick) == (len(read | toc), len(names - read - toc))
    stored = the_file(index_dir, "._stored.col")
    rewrite_later(stored)
    assert [(p.file, p.kind) for p in damage_before_writing(index_dir)[0]] == [(stored.name, "checksum")]


def test_a_snapshot_opened_before_a_merge_reads_its_articles_after_the_merge_deleted_their_files(index_copy, tmp_path):
    # A serving process keeps its snapshot until it next checks for a reindex (refresh_seconds).
    for name in "abcde":  # one segment each: the next commit merges the five small ones
        assert run("reindex", "--index", str(index_copy), "--procs", "1",
                   str(write_article(tmp_path / f"{name}.jsonl", name))).exit_code == 0
    snapshot = Snapshot(store.open_generation(index_copy))  # a serving process's view, no article read yet
    small = [offset for leaf, offset, _ in snapshot.leaves if leaf.doc_count_all() == 1]
    files_before = {path.name for path in generation(index_copy).iterdir()}
    assert run("reindex", "--index", str(index_copy), "--procs", "1",
               str(write_article(tmp_path / "f.jsonl", "f"))).exit_code == 0
    gone = files_before - {path.name for path in generation(index_copy).iterdir()}
    assert any(name.endswith("._stored.col") for name in gone)  # the merge deleted the small segments' files
    assert sorted(snapshot.stored(offset)["id"] for offset in small) == list("abcde")


def test_index_damaged_names_its_index_and_its_first_five_problems_and_counts_the_rest(tmp_path):
    problems = [integrity.Problem(f"_MAIN_{n}.seg", "checksum", f"CRC32 {n}") for n in range(7)]
    seven = IndexDamaged(tmp_path, problems)
    assert (seven.index_dir, seven.problems) == (str(tmp_path), problems)
    assert str(seven) == (f"the index in {tmp_path} is damaged: _MAIN_0.seg: CRC32 0; _MAIN_1.seg: CRC32 1; "
                          "_MAIN_2.seg: CRC32 2; _MAIN_3.seg: CRC32 3; _MAIN_4.seg: CRC32 4; and 2 more")
    assert str(IndexDamaged(tmp_path, problems[:6])).endswith("_MAIN_4.seg: CRC32 4; and 1 more")
    assert str(IndexDamaged(tmp_path, problems[:5])).endswith("_MAIN_3.seg: CRC32 3; _MAIN_4.seg: CRC32 4")


def test_a_folder_without_a_commit_point_or_checksums_is_named_as_missing_its_commit_point(tmp_path):
    assert integrity.newest_manifest(tmp_path) is None
    assert integrity.load_live_manifest(tmp_path) == (None, [integrity.Problem(
        tmp_path.name, "missing", "no commit point (_MAIN_*.toc) in this generation")])


def test_a_generation_folder_that_is_gone_is_named_as_missing_its_commit_point(tmp_path):
    gone = tmp_path / "gen-gone"
    assert integrity.load_live_manifest(gone) == (None, [integrity.Problem(
        "gen-gone", "missing", "no commit point (_MAIN_*.toc) in this generation")])


@pytest.mark.parametrize("text", ["[1, 2]", '{"generation": 3}', '{"files": ["MAIN_x.pst"]}'])
def test_a_checksums_file_of_json_that_is_no_checksums_is_named_unreadable(tmp_path, text):
    (tmp_path / "_MAIN_3.toc").write_bytes(b"toc")
    (tmp_path / manifest_name(3)).write_text(text, encoding="utf-8")
    assert integrity.load_live_manifest(tmp_path) == (None, [integrity.Problem(
        manifest_name(3), "unreadable", "checksums unreadable (not a checksums file)")])


def test_metadata_sealed_over_its_utf8_canonical_json_verifies_as_indexes_already_written_were(tmp_path):
    content = {"sources": {"tin tức/bài viết.jsonl": [12, 34]}, "title": "Bộ Chính trị"}
    # The form every index written so far was sealed with: sorted keys, no spaces, the letters as UTF-8.
    canonical = '{"sources":{"tin tức/bài viết.jsonl":[12,34]},"title":"Bộ Chính trị"}'
    sealed = {**content, integrity.META_CHECKSUM: f"{zlib.crc32(canonical.encode('utf-8')):08x}"}
    assert integrity.seal_meta(content) == sealed
    (tmp_path / integrity.META_FILE).write_text(json.dumps(sealed, ensure_ascii=False), encoding="utf-8")
    assert integrity.verify_meta(tmp_path) == []
    (tmp_path / integrity.META_FILE).write_text(json.dumps({**sealed, "title": "Bo Chinh tri"}), encoding="utf-8")
    assert integrity.verify_meta(tmp_path) == [integrity.Problem(
        integrity.META_FILE, "checksum", "content differs from its recorded CRC32")]


def test_checksums_left_without_their_commit_point_name_the_missing_commit_point(tmp_path):
    (tmp_path / manifest_name(4)).write_text('{"files": {}}', encoding="utf-8")
    (tmp_path / manifest_name(5)).write_text('{"files": {}}', encoding="utf-8")
    assert integrity.load_live_manifest(tmp_path) == (None, [integrity.Problem(
        "_MAIN_5.toc", "missing", "the commit point (table of contents) is missing")])


def test_each_way_the_metadata_file_is_damaged_is_named_in_its_own_words(tmp_path):
    meta = tmp_path / integrity.META_FILE
    assert integrity.verify_meta(tmp_path) == [integrity.Problem(
        integrity.META_FILE, "missing", "file missing (remembered sources and statistics)")]
    meta.write_text('{"sources": {"a.jsonl": [1, 2]}', encoding="utf-8")
    with pytest.raises(ValueError) as cut:
        json.loads(meta.read_text(encoding="utf-8"))
    assert integrity.verify_meta(tmp_path) == [integrity.Problem(
        integrity.META_FILE, "unreadable", f"not readable JSON ({cut.value})")]
    meta.write_bytes('{"title": "Chính"}'.encode("latin-1"))  # Latin-1, not UTF-8
    with pytest.raises(UnicodeDecodeError) as undecodable:
        meta.read_text(encoding="utf-8")
    assert integrity.verify_meta(tmp_path) == [integrity.Problem(
        integrity.META_FILE, "unreadable", f"not readable JSON ({undecodable.value})")]
    meta.write_text('[{"sources": {}}]', encoding="utf-8")
    assert integrity.verify_meta(tmp_path) == [integrity.Problem(
        integrity.META_FILE, "unreadable", "not a JSON object")]
    meta.write_text('{"sources": {"tin tức.jsonl": [1, 2]}}', encoding="utf-8")  # written before metadata was sealed
    assert integrity.verify_meta(tmp_path) == []
    meta.unlink()
    meta.mkdir()
    assert integrity.verify_meta(tmp_path) == [integrity.Problem(
        integrity.META_FILE, "unreadable", f"not readable JSON ([Errno 21] Is a directory: '{meta}')")]


def test_checksums_replaced_by_a_commit_during_their_lookup_are_read_from_the_new_commit(tmp_path, monkeypatch):
    (tmp_path / "_MAIN_3.toc").write_bytes(b"toc")
    newer = {"files": {"MAIN_b.pst": {"size": 16, "head": "00" * 8, "crc32": "00000000"}}}
    read = integrity.read_manifest

    def committing(folder: Path, toc_generation: int) -> dict | None:
        if toc_generation == 3:  # a writer commits generation 4, deleting what only generation 3 used
            (folder / manifest_name(4)).write_text(json.dumps(newer), encoding="utf-8")
            (folder / "_MAIN_4.toc").write_bytes(b"toc")
            (folder / "_MAIN_3.toc").unlink()
        return read(folder, toc_generation)

    monkeypatch.setattr(integrity, "read_manifest", committing)
    assert integrity.load_live_manifest(tmp_path) == (newer, [])


@pytest.fixture()
def checked_files(monkeypatch) -> list[str]:
    """Record the name of every file checked against its checksums (``integrity.check_file``)."""
    checked: list[str] = []
    check_file = integrity.check_file

    def recording(path: Path, record: dict, level: str):
        checked.append(path.name)
        return check_file(path, record, level)

    monkeypatch.setattr(integrity, "check_file", recording)
    return checked


def test_the_verifier_checksums_a_file_again_only_once_it_changed_or_failed_or_was_forgotten(index_copy, checked_files):
    folder = generation(index_copy)
    names = sorted(read_manifest(folder, latest_toc(folder)[0])["files"])
    verifier = integrity.Verifier()
    assert verifier.problems(folder) == [] and checked_files == names
    checked_files.clear()
    assert verifier.problems(folder) == [] and checked_files == []  # each file unchanged since it passed
    stored = the_file(index_copy, "._stored.col")
    rewrite_later(stored)
    for _ in range(2):  # a file that failed is checksummed again at every call
        checked_files.clear()
        assert [(p.file, p.kind) for p in verifier.problems(folder)] == [(stored.name, "checksum")]
        assert checked_files == [stored.name]
    verifier.forget()
    checked_files.clear()
    assert [(p.file, p.kind) for p in verifier.problems(folder)] == [(stored.name, "checksum")]
    assert checked_files == names


# What verifies a served generation: `vnsearch check` (verify_generation) and a server (a Verifier).
VERIFICATIONS = {"verify_generation": lambda folder: integrity.verify_generation(folder)[1],
                 "Verifier": lambda folder: integrity.Verifier().problems(folder)}


@pytest.mark.parametrize("verification", VERIFICATIONS)
def test_a_verification_finds_no_damage_in_the_files_a_merging_commit_deleted_while_it_ran(
        index_copy, tmp_path, checked_files, monkeypatch, verification):
    for name in "abcde":  # one segment each: the next commit merges the five small ones
        assert run("reindex", "--index", str(index_copy), "--procs", "1",
                   str(write_article(tmp_path / f"{name}.jsonl", name))).exit_code == 0
    folder = generation(index_copy)
    before = set(read_manifest(folder, latest_toc(folder)[0])["files"])
    check_file, merged = integrity.check_file, []

    def merging_at_the_first_file(path: Path, record: dict, level: str):
        if not merged:  # the reindex checks files too: it merges once
            merged.append(path.name)
            assert run("reindex", "--index", str(index_copy), "--procs", "1",
                       str(write_article(tmp_path / "f.jsonl", "f"))).exit_code == 0
            checked_files.clear()
        return check_file(path, record, level)

    monkeypatch.setattr(integrity, "check_file", merging_at_the_first_file)
    assert VERIFICATIONS[verification](folder) == []
    after = set(read_manifest(folder, latest_toc(folder)[0])["files"])
    assert before - after  # the small segments' files were merged away while the verifier ran
    assert sorted(after) == sorted(set(checked_files) & after)  # then the new commit's files were checked


def test_a_segment_is_checksummed_file_by_file_and_not_at_all_in_a_commit_without_checksums(index_copy, tmp_path):
    for name in "ab":  # two more segments beside the demo's
        assert run("reindex", "--index", str(index_copy), "--procs", "1",
                   str(write_article(tmp_path / f"{name}.jsonl", name))).exit_code == 0
    folder = generation(index_copy)
    toc_generation, _ = latest_toc(folder)
    segments = sorted(read_manifest(folder, toc_generation)["segments"])
    stored = {segment: next(folder.glob(f"{segment}.*_stored.col")) for segment in segments}
    assert len(segments) >= 2 and all(integrity.verify_segment(folder, segment) == [] for segment in segments)
    damaged, sound = segments[0], segments[1]
    rewrite_later(stored[damaged])
    assert [(p.file, p.kind) for p in integrity.verify_segment(folder, damaged)] == [(stored[damaged].name,
                                                                                        "checksum")]
    assert integrity.verify_segment(folder, sound) == []
    (folder / manifest_name(toc_generation)).unlink()  # as an index written before checksums
    assert integrity.verify_segment(folder, damaged) == []


def test_a_file_modified_or_changed_too_recently_is_checksummed_and_not_remembered(index_copy, monkeypatch):
    # Settled: older than 1,000 s from now; a file whose modification time a clock ahead put later is not.
    monkeypatch.setattr(integrity, "SETTLED_NS", -1_000 * 10**9)
    folder = generation(index_copy)
    postings = the_file(index_copy, ".pst")
    later = time.time_ns() + 2_000 * 10**9
    os.utime(postings, ns=(later, later))  # its change time is now: settled; its modification time not
    problems, _ = damage_before_writing(index_copy)
    assert problems == [] and postings.name not in read_verified(folder)
    assert set(read_verified(folder)) == set(read_manifest(folder, latest_toc(folder)[0])["files"]) - {postings.name}


def test_a_generation_is_checksummed_unless_only_its_sizes_and_headers_are_asked_for(index_copy):
    folder = generation(index_copy)
    stored = the_file(index_copy, "._stored.col")
    flip_middle_byte(stored)  # the same size and first bytes
    assert [(p.file, p.kind) for p in integrity.verify_generation(folder)[1]] == [(stored.name, "checksum")]
    assert integrity.verify_generation(folder, "quick")[1] == []


def test_each_way_a_file_differs_from_its_record_is_named_in_its_own_words(tmp_path):
    path = tmp_path / "MAIN_x.pst"
    path.write_bytes(b"0123456789abcdef")
    record = integrity.file_record(path)
    check = integrity.check_file
    assert check(path, record, "checksums") is None
    assert check(path, {**record, "crc32": "00000000"}, "quick") is None  # sizes and headers only
    assert check(path, {**record, "crc32": "00000000"}, "checksums") == integrity.Problem(
        path.name, "checksum", f"CRC32 {record['crc32']}, 00000000 recorded at commit (contents changed)")
    assert check(path, {**record, "head": "ff" * 8}, "quick") == integrity.Problem(
        path.name, "header", f"header {record['head']}, {'ff' * 8} recorded at commit")
    assert check(path, {**record, "size": 20}, "quick") == integrity.Problem(
        path.name, "size", "16 bytes, 20 recorded at commit (truncated)")
    assert check(path, {**record, "size": 10}, "quick") == integrity.Problem(
        path.name, "size", "16 bytes, 10 recorded at commit")
    assert check(tmp_path / "gone.pst", record, "quick") == integrity.Problem("gone.pst", "missing", "file missing")
    (tmp_path / "folder.pst").mkdir()
    assert check(tmp_path / "folder.pst", record, "quick") == integrity.Problem(
        "folder.pst", "unreadable", "cannot be read (Is a directory)")


def test_the_files_remembered_as_verified_are_the_live_ones_and_a_list_that_cannot_be_written_costs_nothing(
        tmp_path):
    integrity.write_verified(tmp_path, {"live.pst": [1, 2, 3, 4], "merged.pst": [5, 6, 7, 8]})
    integrity.remember_checksummed(tmp_path, {"new.pst": [9, 10, 11, 12]}, {"live.pst", "new.pst"})
    assert read_verified(tmp_path) == {"live.pst": [1, 2, 3, 4], "new.pst": [9, 10, 11, 12]}
    (tmp_path / (integrity.VERIFIED_FILE + ".tmp")).mkdir()  # as a read-only index: nothing can be written
    integrity.write_verified(tmp_path, {"other.pst": [1, 1, 1, 1]})
    assert read_verified(tmp_path) == {"live.pst": [1, 2, 3, 4], "new.pst": [9, 10, 11, 12]}


def test_a_copy_just_made_is_not_remembered_as_verified_though_its_files_keep_their_old_times(index_copy):
    folder = generation(index_copy)
    an_hour_ago = time.time_ns() - 3600 * 10**9
    for path in folder.iterdir():  # as `cp -p` or `rsync -t` copy: the times kept, the change times now
        os.utime(path, ns=(an_hour_ago, an_hour_ago))
    assert damage_before_writing(index_copy)[0] == [] and read_verified(folder) == {}


def test_a_file_is_checksummed_slice_by_slice_as_a_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(integrity, "CRC_SLICE_BYTES", mmap.PAGESIZE)
    data = os.urandom(3 * mmap.PAGESIZE + 100)
    path = tmp_path / "MAIN_x.pst"
    path.write_bytes(data)
    assert integrity.file_record(path) == {"size": len(data), "head": data[:8].hex(),
                                           "crc32": f"{zlib.crc32(data):08x}"}


def test_a_file_that_cannot_be_read_for_its_checksum_is_named_unreadable(tmp_path, monkeypatch):
    path = tmp_path / "MAIN_x.pst"
    path.write_bytes(b"0123456789")
    record = integrity.file_record(path)

    def unreadable(path: Path) -> dict:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(integrity, "file_record", unreadable)  # as a disk failing after the header was read
    assert integrity.check_file(path, record, "checksums") == integrity.Problem(
        path.name, "unreadable", "cannot be read (Permission denied)")
