"""`vnsearch check`'s findings (search/check.py) on real indexes: what each check names, in what words."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index

from search import check
from search.check import MAX_PROBLEMS_PER_CHECK, NO_CHECKSUMS, CheckReport, check_index
from search.codec import Postings
from search.documents import Article
from search.index import article_fields, reindex
from search.integrity import META_FILE, Problem, latest_toc, manifest_name, read_manifest
from search.reader import Snapshot
from search.sources import scan_sources
from search.store import IndexMissing, current_generation, linked_generation
from search.writer import open_writer
from tests.helpers import make_source


@pytest.fixture()
def small_index(tmp_path) -> tuple[Path, Path]:
    """Return (index dir, source folder) of four demo articles and the portal page."""
    source = make_source(tmp_path, count=4)
    index_dir = tmp_path / "ix"
    assert reindex(index_dir, [str(source)], procs=1).added == 5
    return index_dir, source


def files_checked(index_dir: Path) -> int:
    """Return how many files a check reads: those the last commit's checksums list and the metadata."""
    folder = linked_generation(index_dir)
    return len(read_manifest(folder, latest_toc(folder)[0])["files"]) + 1


def test_a_sound_index_checked_quickly_and_in_full(small_index):
    index_dir, source = small_index
    quick, full = check_index(index_dir), check_index(index_dir, full=True)
    expected = {"index": str(index_dir), "generation": linked_generation(index_dir).name, "ok": True,
                "files_checked": files_checked(index_dir), "problems": [], "warnings": [], "sources": [str(source)]}
    assert quick.to_dict() == {**expected, "level": "checksums", "documents": None}
    assert full.to_dict() == {**expected, "level": "full", "documents": 5}


def test_an_index_without_checksums_is_read_in_full_with_a_warning(small_index):
    index_dir, _ = small_index
    folder = linked_generation(index_dir)
    (folder / manifest_name(latest_toc(folder)[0])).unlink()  # as written before vnsearch recorded them
    report = check_index(index_dir, full=True)
    assert (report.ok, report.files, report.documents, report.warnings) == (True, 1, 5, [NO_CHECKSUMS])


def test_no_index_at_all_is_named(tmp_path):
    with pytest.raises(IndexMissing) as missing:
        check_index(tmp_path / "none")
    assert str(missing.value) == f"no index in {tmp_path / 'none'}: run `vnsearch reindex SOURCE ...` first"


def test_an_id_stored_twice_and_a_count_the_metadata_does_not_hold_are_named(small_index):
    # An index written by another tool (or an older vnsearch) may hold an article twice.
    index_dir, source = small_index
    article = next(item for item in scan_sources([str(source)]) if isinstance(item, Article))
    writer = open_writer(whoosh_index.open_dir(str(current_generation(index_dir))), 1, 1)
    writer.add_document(**article_fields(article))
    writer.commit(merge=False)
    report = check_index(index_dir, full=True)
    assert (report.documents, report.problems) == (6, [
        Problem("stored fields", "statistics", f"id {article.id!r} stored 2 times"),
        Problem(META_FILE, "statistics", "says 5 articles, the index holds 6")])


def test_a_damaged_stored_file_is_named_with_five_of_its_articles_and_the_rest_counted(index_copy):
    folder = linked_generation(index_copy)
    stored = max(folder.glob("*._stored.col"), key=lambda path: path.stat().st_size)
    data = bytearray(stored.read_bytes())
    for at in range(len(data) // 40, len(data) * 9 // 10, len(data) // 40):  # bytes of many articles
        data[at] ^= 0x5A
    stored.write_bytes(bytes(data))
    report = check_index(index_copy, full=True)
    snapshot = Snapshot(whoosh_index.open_dir(str(folder)))
    failing = {}  # what reading each live article raises, read here on its own
    for docnum in np.flatnonzero(snapshot.live).tolist():
        try:
            snapshot.stored(docnum)
        except Exception as error:
            failing[docnum] = f"article {docnum} does not decode ({type(error).__name__}: {error})"
    snapshot.close()
    assert len(failing) > MAX_PROBLEMS_PER_CHECK + 1
    checksum, *decoding = report.problems
    assert (checksum.file, checksum.kind) == (stored.name, "checksum")
    assert decoding == [Problem("stored fields", "decode", text) for text in list(failing.values())[:5]] + [
        Problem("stored fields", "decode", f"and {len(failing) - MAX_PROBLEMS_PER_CHECK} more like these")]


def test_at_most_five_failures_of_a_check_are_named(tmp_path):
    reports = []
    for count in (MAX_PROBLEMS_PER_CHECK, MAX_PROBLEMS_PER_CHECK + 1):
        report = CheckReport(str(tmp_path), "gen-1", True)
        check._add(report, "body postings", "decode", [f"failure {n}" for n in range(count)])
        reports.append([p.problem for p in report.problems])
    five = [f"failure {n}" for n in range(5)]
    assert reports == [five, [*five, "and 1 more like these"]]


def test_an_index_that_cannot_be_opened_is_named_with_the_error(small_index, monkeypatch):
    index_dir, _ = small_index

    def unreadable(ix):
        raise OSError("Input/output error")

    monkeypatch.setattr(check, "Snapshot", unreadable)
    report = check_index(index_dir, full=True)
    assert (report.documents, report.problems) == (None, [Problem(
        linked_generation(index_dir).name, "decode", "the index cannot be opened (OSError: Input/output error)")])


def test_a_missing_remembered_source_is_named(small_index):
    index_dir, source = small_index
    shutil.rmtree(source)
    assert check_index(index_dir, full=True).problems == [Problem(
        str(source), "source", "remembered source is missing: a reindex would delete its articles")]


def test_posting_lists_that_disagree_with_their_statistics_or_their_order_are_named(small_index, monkeypatch):
    # What a decoder fault would give: a list shorter than its term's document frequency, one naming a
    # document twice, one that does not decode (the next list is still checked), one naming a document
    # just past those stored.
    index_dir, _ = small_index
    real = Snapshot.postings

    def undecodable(postings):
        raise ValueError("a block ends early")

    faults = {"ha": lambda p: Postings(p.ids[:1], p.freqs[:1], p.all_positions, p.starts[:1]),
              "noi": lambda p: Postings(np.r_[p.ids[:1], p.ids[:-1]], p.freqs, p.all_positions, p.starts),  # twice
              "tin": undecodable,
              "viet": lambda p: Postings(p.ids - p.ids.max() + 5, p.freqs, p.all_positions, p.starts)}  # one past

    def faulty(snapshot, fieldname, term):
        postings = real(snapshot, fieldname, term)
        return faults[term](postings) if fieldname == "body" and term in faults else postings

    monkeypatch.setattr(Snapshot, "postings", faulty)
    report = check_index(index_dir, full=True)
    counts = {term: len(real(Snapshot(whoosh_index.open_dir(str(current_generation(index_dir)))), "body", term))
              for term in faults}
    assert counts["ha"] > 1 and counts["noi"] > 1 and counts["tin"] and counts["viet"]
    assert report.problems == [
        Problem("body postings", "decode", f"body:ha has 1 postings, its statistics say {counts['ha']}"),
        Problem("body postings", "decode", "body:noi lists documents out of order or beyond the 5 stored"),
        Problem("body postings", "decode", "body:tin does not decode (ValueError: a block ends early)"),
        Problem("body postings", "decode", "body:viet lists documents out of order or beyond the 5 stored")]
