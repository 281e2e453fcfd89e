"""The index on disk: reindexing (incremental and full), generations, the writer lock.

Each test builds a small index (a handful of demo articles, procs=1) in tmp_path; one test
covers the multi-process writer (400 articles, procs=2).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from whoosh import index as whoosh_index

from search import documents, faults, integrity
from search import sources as sources_module
from search.codec import open_postings, postings_of_info
from search.documents import DEFAULT_MAX_ARTICLE_BYTES, Article
from search.engine import SearchEngine
from search.engine import search_snapshot as search
from search.index import NoSources, ReindexReport, ReindexRun, _indexed_state, article_fields, reindex
from search.integrity import IndexDamaged
from search.merge import merge_into
from search.request import SearchRequest
from search.schema import SCHEMA_VERSION, make_schema
from search.sources import scan_sources
from search.store import (
    CURRENT_LINK,
    DAMAGED_FILE,
    IndexBusy,
    IndexMissing,
    current_generation,
    linked_generation,
    read_file_states,
    read_meta,
    write_meta,
    writer_lock,
)
from search.text import is_numeral
from search.writer import PARALLEL_MIN_ARTICLES, WRITER_MEMORY_MB, LeanPostingPool, open_writer
from tests.helpers import (
    DEMO_ARTICLES,
    DEMO_SOURCES,
    PORTAL_FILE,
    PORTAL_ID,
    ROOT,
    STATE_TIMEOUT,
    counts,
    flip_middle_byte,
    make_source,
    wait_until,
    write_jsonl,
    writer_lock_held,
)

VIETNAM = timezone(timedelta(hours=7))


def indexed(index_dir: Path) -> dict[str, dict]:
    """Return {id: stored fields} of every live document of the index."""
    snapshot = SearchEngine(index_dir, refresh_seconds=0).snapshot()
    live = [n for n in range(snapshot.doc_count) if snapshot.live[n]]
    return {stored["id"]: stored for stored in map(snapshot.stored, live)}


def hit_ids(index_dir: Path, q: str) -> list[str]:
    result = SearchEngine(index_dir, refresh_seconds=0).search(SearchRequest(q=q, size=50))
    return [hit["id"] for hit in result["hits"]]


# First index, no-op and incremental changes ----------------------------------------------


# What the schema keeps: stored fields shown, columns that filter, sort and count.
STORED_FIELDS = ("id", "title_derived", "body", "category", "source", "portal", "url", "published", "origin",
                 "content_hash")


def test_an_indexed_article_stores_what_is_shown_and_keeps_its_dates_and_labels_as_columns(tmp_path):
    source = make_source(tmp_path, count=3)  # three news articles and the portal page
    articles = {a.id: a for a in scan_sources([str(source)]) if isinstance(a, Article)}
    reindex(tmp_path / "ix", [str(source)], procs=1)
    snapshot = SearchEngine(tmp_path / "ix", refresh_seconds=0).snapshot()
    assert snapshot.doc_count == len(articles) == 4
    shown = {}
    for number in range(snapshot.doc_count):
        stored = snapshot.stored(number)
        fields = article_fields(articles[stored["id"]])
        # The title as shown (a derived one too), never the day or time: those are columns; Whoosh
        # stores no None.
        given = {name: fields[name] for name in STORED_FIELDS if fields[name] is not None}
        assert stored == dict(given, title=fields["_stored_title"])
        shown.update(given)
        columns = (int(snapshot.day[number]), int(snapshot.timestamp[number]),
                   snapshot.category_names[snapshot.category[number]], snapshot.source_names[snapshot.source[number]])
        assert columns == (fields["day"], fields["timestamp"], fields["category"], fields["source"])
    assert set(shown) == set(STORED_FIELDS)  # every stored field seen


def test_first_reindex_adds_every_article_and_remembers_its_sources(tmp_path):
    source = make_source(tmp_path)
    report = reindex(tmp_path / "ix", [str(source)], procs=1)
    assert counts(report) == (5, 0, 0, 0, 0)
    assert report.full is True and report.documents == 5
    assert set(indexed(tmp_path / "ix")) == {a["id"] for a in DEMO_ARTICLES[:4]} | {"portal/" + PORTAL_ID}
    generation = current_generation(tmp_path / "ix")
    assert generation is not None and generation.parent == tmp_path / "ix"
    meta = read_meta(generation)
    assert meta["sources"] == [str(source)] and meta["schema_version"] == SCHEMA_VERSION
    assert meta["documents"] == 5


def test_stored_fields_of_an_indexed_article(tmp_path):
    source = make_source(tmp_path, count=1)
    reindex(tmp_path / "ix", [str(source)], procs=1)
    stored = indexed(tmp_path / "ix")
    first = DEMO_ARTICLES[0]
    news = stored[first["id"]]
    assert {k: news.get(k) for k in ("title", "category", "source", "url", "published")} == {
        "title": first["title"],
        "category": first["category"],
        "source": first["source"],
        "url": first["url"],
        "published": "2020-10-01T00:00:00+07:00",
    }
    portal = stored["portal/" + PORTAL_ID]
    assert (portal["published"], portal["portal"], portal["source"]) == (
        "2019-08-21T08:12:00+07:00", "Cổng thông tin điện tử Kiên Giang", "vpubnd.kiengiang.gov.vn"
    )


def test_an_indexed_article_keeps_every_field_of_its_record_and_its_date_as_sortable_columns(tmp_path):
    source = make_source(tmp_path, count=1)
    reindex(tmp_path / "ix", [str(source)], procs=1)
    first = DEMO_ARTICLES[0]
    news = indexed(tmp_path / "ix")[first["id"]]
    assert re.fullmatch("[0-9a-f]{40}", news.pop("content_hash"))
    assert news == {
        "id": first["id"], "title": first["title"], "title_derived": False, "body": first["body"],
        "category": first["category"], "source": first["source"], "url": first["url"],
        # A record's bare date is midnight in Vietnam.
        "published": first["published"] + "T00:00:00+07:00", "origin": str(source / "news.jsonl"),
    }
    snapshot = SearchEngine(tmp_path / "ix", refresh_seconds=0).snapshot()
    published = {snapshot.stored(n)["id"]: datetime.fromisoformat(snapshot.stored(n)["published"])
                 for n in range(snapshot.doc_count)}
    columns = {snapshot.stored(n)["id"]: (int(snapshot.timestamp[n]), int(snapshot.day[n]))
               for n in range(snapshot.doc_count)}
    # The day column is the Vietnamese calendar day as YYYYMMDD, the timestamp the instant in seconds.
    assert columns == {key: (int(when.timestamp()), int(when.astimezone(VIETNAM).strftime("%Y%m%d")))
                       for key, when in published.items()}
    assert columns["portal/" + PORTAL_ID] == (int(datetime(2019, 8, 21, 1, 12, tzinfo=UTC).timestamp()), 20190821)


def test_reindex_without_changes_reports_every_article_unchanged(tmp_path):
    source = make_source(tmp_path)
    reindex(tmp_path / "ix", [str(source)], procs=1)
    generation = current_generation(tmp_path / "ix")
    os.utime(source / "news.jsonl")  # touched, not changed
    report = reindex(tmp_path / "ix", [str(source)], procs=1)
    assert counts(report) == (0, 0, 0, 5, 0)
    assert report.full is False and report.documents == 5
    assert current_generation(tmp_path / "ix") == generation


def test_incremental_reindex_counts_added_updated_deleted_and_unchanged(tmp_path):
    source = make_source(tmp_path, count=4)
    reindex(tmp_path / "ix", [str(source)], procs=1)
    changed = dict(DEMO_ARTICLES[1])
    changed["body"] += "\nBài viết được cập nhật lúc 10 giờ sáng."
    # Line of article 0 removed, article 1 changed, 2 and 3 unchanged, 4 and 5 new.
    write_jsonl(source / "news.jsonl", [changed, *DEMO_ARTICLES[2:6]])
    report = reindex(tmp_path / "ix", [str(source)], procs=1)
    assert counts(report) == (2, 1, 1, 3, 0)
    assert report.documents == 6
    stored = indexed(tmp_path / "ix")
    assert DEMO_ARTICLES[0]["id"] not in stored
    assert stored[changed["id"]]["body"].endswith("Bài viết được cập nhật lúc 10 giờ sáng.")
    assert hit_ids(tmp_path / "ix", '"được cập nhật lúc 10 giờ sáng"') == [changed["id"]]


def test_a_reindex_records_its_counts_duration_and_time_in_the_new_generations_metadata(tmp_path):
    source = make_source(tmp_path, count=4)
    reindex(tmp_path / "ix", [str(source)], procs=1)
    changed = dict(DEMO_ARTICLES[1], body=DEMO_ARTICLES[1]["body"] + "\nBài viết được cập nhật.")
    write_jsonl(source / "news.jsonl", [changed, *DEMO_ARTICLES[2:6]])
    with (source / "news.jsonl").open("a", encoding="utf-8") as news:
        news.write("{not json}\n")
    started, before = datetime.now(UTC).replace(microsecond=0), time.monotonic()
    report = reindex(tmp_path / "ix", [str(source)], procs=1)
    took, ended = time.monotonic() - before, datetime.now(UTC)
    assert counts(report) == (2, 1, 1, 3, 1) and (report.indexed, report.documents) == (3, 6)
    assert 0 < report.seconds <= took  # the run's own time, measured inside the call
    meta = read_meta(current_generation(tmp_path / "ix"))
    last_reindex = datetime.fromisoformat(meta.pop("last_reindex"))
    assert last_reindex.tzinfo is not None and started <= last_reindex <= ended
    assert {key: meta[key] for key in ("sources", "documents", "last_report")} == {
        "sources": [str(source)],
        "documents": 6,
        "last_report": {"added": 2, "updated": 1, "deleted": 1, "unchanged": 3, "rejected": 1,
                        "seconds": round(report.seconds, 3)},
    }


def test_the_metadata_is_written_for_a_person_to_read_one_key_a_line_with_vietnamese_names_as_written(tmp_path):
    source = make_source(tmp_path / "Báo chí", count=1, portal=False)
    reindex(tmp_path / "ix", [str(source)], procs=1)
    generation = current_generation(tmp_path / "ix")
    text = (generation / "vnsearch.json").read_text(encoding="utf-8")
    assert text == json.dumps(read_meta(generation), ensure_ascii=False, indent=1)
    assert f' "sources": [\n  "{source}"\n ],\n' in text

def test_articles_per_second_counts_the_articles_written_or_found_unchanged_over_the_runs_time():
    report = ReindexReport(added=3, updated=2, deleted=7, unchanged=5, seconds=4.0)
    assert (report.indexed, report.articles_per_second) == (5, 2.5)
    assert ReindexReport(added=3, unchanged=1).articles_per_second == 0.0  # no time measured: no rate


def test_every_changed_article_is_counted_updated(tmp_path):
    source = make_source(tmp_path, count=3, portal=False)
    reindex(tmp_path / "ix", [str(source)], procs=1)
    changed = [dict(article, body=article["body"] + "\nBài viết đã được cập nhật.") for article in DEMO_ARTICLES[:2]]
    write_jsonl(source / "news.jsonl", [*changed, DEMO_ARTICLES[2]])
    assert counts(reindex(tmp_path / "ix", procs=1)) == (0, 2, 0, 1, 0)


def test_deleting_a_file_deletes_its_articles(tmp_path):
    source = make_source(tmp_path, count=3)
    reindex(tmp_path / "ix", [str(source)], procs=1)
    assert hit_ids(tmp_path / "ix", '"chỉ thị 05"')[:1] == ["portal/" + PORTAL_ID]
    (source / "portal" / PORTAL_ID).unlink()
    report = reindex(tmp_path / "ix", [str(source)], procs=1)
    assert counts(report) == (0, 0, 1, 3, 0)
    assert "portal/" + PORTAL_ID not in indexed(tmp_path / "ix")
    assert "portal/" + PORTAL_ID not in hit_ids(tmp_path / "ix", '"chỉ thị 05"')


def test_articles_added_then_deleted_leave_no_empty_segment_behind(tmp_path):
    # Every search pays for each segment; a cron reindex adding then removing articles must
    # not grow the index by one empty segment each time.
    source = make_source(tmp_path, count=3)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    before = segment_names(index_dir)
    extra = write_jsonl(source / "extra.jsonl", DEMO_ARTICLES[10:14])
    assert counts(reindex(index_dir, procs=1))[0] == 4
    assert len(segment_names(index_dir)) == len(before) + 1
    extra.unlink()
    assert counts(reindex(index_dir, procs=1)) == (0, 0, 4, 4, 0)
    assert segment_names(index_dir) == before
    generation = current_generation(index_dir)
    assert {path.name.split(".")[0] for path in generation.glob("MAIN_*.*")} == before


def test_many_small_reindexes_keep_the_segment_count_bounded_and_every_article_searchable(tmp_path):
    # A cron reindex adds a segment per run; whoosh merges small segments now and then
    # (through the vnsearch codec): nothing may be lost or garbled on the way.
    source = make_source(tmp_path, count=3)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    added = DEMO_ARTICLES[20:40]
    segment_counts = []
    for n, article in enumerate(added):
        write_jsonl(source / f"run-{n:02}.jsonl", [article])
        assert counts(reindex(index_dir, procs=1))[0] == 1
        segment_counts.append(len(segment_names(index_dir)))
    # Without merging, run n would leave n + 2 segments (22 at the end); Whoosh's small-segment
    # policy keeps the count bounded all along, whatever the number of runs.
    assert max(segment_counts) <= 5, segment_counts
    assert segment_counts.count(1) >= 3, segment_counts  # merged back to one segment repeatedly
    assert set(indexed(index_dir)) == {a["id"] for a in DEMO_ARTICLES[:3] + added} | {"portal/" + PORTAL_ID}
    for article in added:
        phrase = " ".join(article["title"].split()[:3])
        assert article["id"] in hit_ids(index_dir, f'"{phrase}"'), phrase
    assert hit_ids(index_dir, '"chỉ thị 05"')[:1] == ["portal/" + PORTAL_ID]


def segment_names(index_dir: Path) -> set[str]:
    """Return the names of the segments of an index's current generation."""
    ix = whoosh_index.open_dir(str(current_generation(index_dir)))
    return {segment.segment_id() for segment in ix._segments()}


# Files unchanged since the last reindex ------------------------------------------------------


def age_files(source: Path, seconds: float = 3600) -> dict[str, int]:
    """Move every file's modification time back (a file modified just now is always read again);
    return {path: mtime_ns}."""
    times = {}
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        stamp = path.stat().st_mtime_ns - int(seconds * 1e9)
        os.utime(path, ns=(stamp, stamp))
        times[str(path)] = stamp
    return times


def rewrite_keeping_size_and_time(path: Path, old: str, new: str) -> None:
    """Change a file's text, keeping its size and modification time (as some sync tools do)."""
    stamp = path.stat().st_mtime_ns
    text = path.read_text(encoding="utf-8")
    assert len(old.encode()) == len(new.encode()) and old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))


def test_a_file_unchanged_in_size_and_time_is_not_read_and_reread_still_finds_its_change(tmp_path):
    source = make_source(tmp_path, count=4)
    age_files(source)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    news = source / "news.jsonl"
    title = DEMO_ARTICLES[2]["title"]
    changed = title.replace(" 10 năm", " 99 năm")  # "Lãi suất ngân hàng ... thấp nhất 10 năm"
    assert changed != title
    rewrite_keeping_size_and_time(news, title, changed)
    # Same size and time: the file is not read, its four articles count unchanged (the stale
    # title is still what the index holds).
    assert counts(reindex(index_dir, procs=1)) == (0, 0, 0, 5, 0)
    assert indexed(index_dir)[DEMO_ARTICLES[2]["id"]]["title"] == title
    # Told to read everything, the content hash catches the change.
    assert counts(reindex(index_dir, procs=1, reread=True)) == (0, 1, 0, 4, 0)
    assert indexed(index_dir)[DEMO_ARTICLES[2]["id"]]["title"] == changed


def test_a_file_whose_time_changed_is_read_and_its_content_hash_decides(tmp_path):
    source = make_source(tmp_path, count=4)
    times = age_files(source)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    news = source / "news.jsonl"
    touched = times[str(news)] + 10**9
    os.utime(news, ns=(touched, touched))  # touched, not changed: read, every article unchanged
    assert counts(reindex(index_dir, procs=1)) == (0, 0, 0, 5, 0)
    write_jsonl(news, [*DEMO_ARTICLES[:3], {**DEMO_ARTICLES[3], "title": "Tiêu đề mới hoàn toàn"}])
    age_files(source)
    assert counts(reindex(index_dir, procs=1)) == (0, 1, 0, 4, 0)
    assert indexed(index_dir)[DEMO_ARTICLES[3]["id"]]["title"] == "Tiêu đề mới hoàn toàn"


def test_files_modified_just_before_a_reindex_or_holding_rejections_are_read_again(tmp_path):
    source = make_source(tmp_path, count=3)
    age_files(source)
    write_jsonl(source / "fresh.jsonl", [DEMO_ARTICLES[5]])
    (source / "bad.jsonl").write_text(json.dumps(DEMO_ARTICLES[6], ensure_ascii=False) + "\n[1]\n", encoding="utf-8")
    os.utime(source / "bad.jsonl", ns=(10**18, 10**18))  # long before the reindex started
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    recorded = read_file_states(current_generation(index_dir))
    assert set(recorded) == {str(source / "news.jsonl"), str(source / "portal" / PORTAL_ID)}
    report = reindex(index_dir, procs=1)
    # The rejected line is reported again; fresh.jsonl and bad.jsonl were read (their articles
    # are unchanged by their content hashes), the two recorded files were not.
    assert counts(report) == (0, 0, 0, 6, 1) and report.rejected[0].line == 2


def test_a_file_last_modified_over_two_seconds_before_a_reindex_is_recorded_as_read(tmp_path):
    # Two seconds: more than the modification-time tick of any file system a source lives on.
    source = make_source(tmp_path, count=2, portal=False)
    news = source / "news.jsonl"
    stamp = time.time_ns() - 2_500_000_000  # the reindex starts later still
    os.utime(news, ns=(stamp, stamp))
    reindex(tmp_path / "ix", [str(source)], procs=1)
    assert read_file_states(current_generation(tmp_path / "ix")) == {
        str(news): [news.stat().st_size, stamp, documents.PARSER_VERSION]}


def test_a_newer_parser_reads_every_file_again_though_none_changed(tmp_path, monkeypatch):
    source = make_source(tmp_path, count=3, portal=False)
    write_jsonl(source / "news.jsonl", [{**article, "category": "sport"} for article in DEMO_ARTICLES[:3]])
    age_files(source)
    index_dir = tmp_path / "ix"
    with monkeypatch.context() as older:  # the parser before categories were named by their section
        older.setattr(documents, "PARSER_VERSION", documents.PARSER_VERSION - 1)
        older.setattr(documents, "category_name", lambda value, url=None: value)
        reindex(index_dir, [str(source)], procs=1)
    assert {stored["category"] for stored in indexed(index_dir).values()} == {"sport"}
    assert counts(reindex(index_dir, procs=1)) == (0, 3, 0, 0, 0)
    assert {stored["category"] for stored in indexed(index_dir).values()} == {"Thể thao"}
    assert counts(reindex(index_dir, procs=1)) == (0, 0, 0, 3, 0)


def test_recorded_file_states_that_are_not_an_object_are_ignored_and_every_file_read(tmp_path):
    source = make_source(tmp_path, count=4)
    age_files(source)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    states = current_generation(index_dir) / "source-files.json"
    states.write_text(json.dumps(sorted(read_file_states(current_generation(index_dir)))), encoding="utf-8")
    title = DEMO_ARTICLES[2]["title"]
    rewrite_keeping_size_and_time(source / "news.jsonl", title, title.replace(" 10 năm", " 99 năm"))
    # A list of the files, not their states: nothing is known of them, so the change is read.
    assert read_file_states(current_generation(index_dir)) == {}
    assert counts(reindex(index_dir, procs=1)) == (0, 1, 0, 4, 0)

def test_an_unread_file_still_claims_its_ids_against_duplicates_read_after_it(tmp_path):
    source = make_source(tmp_path, count=3, portal=False)
    age_files(source)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    write_jsonl(source / "zz-later.jsonl", [DEMO_ARTICLES[1]])  # after news.jsonl in scan order
    report = reindex(index_dir, procs=1)
    assert counts(report) == (0, 0, 0, 3, 1)
    [rejection] = report.rejected
    assert (rejection.path, rejection.line, rejection.reason) == (
        str(source / "zz-later.jsonl"), 1,
        f"duplicate id {DEMO_ARTICLES[1]['id']!r} (already read from {source / 'news.jsonl'})")


def test_an_unchanged_file_is_read_again_when_a_file_read_before_it_now_holds_one_of_its_ids(tmp_path):
    source = make_source(tmp_path, count=3, portal=False)
    age_files(source)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    write_jsonl(source / "a-first.jsonl", [DEMO_ARTICLES[1]])  # before news.jsonl in scan order
    report = reindex(index_dir, procs=1)
    # The copy read first keeps the id (same content: unchanged); news.jsonl is read, its other two
    # articles unchanged and its own copy rejected as a duplicate.
    assert counts(report) == (0, 0, 0, 3, 1)
    [rejection] = report.rejected
    assert (rejection.path, rejection.line, rejection.reason) == (
        str(source / "news.jsonl"), 2,
        f"duplicate id {DEMO_ARTICLES[1]['id']!r} (already read from {source / 'a-first.jsonl'}:1)")


def test_reindex_without_sources_rescans_the_remembered_ones(tmp_path):
    source = make_source(tmp_path, count=2)
    reindex(tmp_path / "ix", [str(source)], procs=1)
    write_jsonl(source / "more" / "extra.jsonl", DEMO_ARTICLES[10:12])
    report = reindex(tmp_path / "ix", procs=1)
    assert counts(report) == (2, 0, 0, 3, 0)
    assert report.sources == [str(source)]
    assert {DEMO_ARTICLES[10]["id"], DEMO_ARTICLES[11]["id"]} <= set(indexed(tmp_path / "ix"))


def test_relative_source_paths_are_remembered_absolute(tmp_path, monkeypatch):
    make_source(tmp_path, count=2, portal=False)
    monkeypatch.chdir(tmp_path)
    reindex("ix", ["src"], procs=1)
    monkeypatch.chdir(ROOT)
    assert read_meta(current_generation(tmp_path / "ix"))["sources"] == [str(tmp_path / "src")]
    report = reindex(tmp_path / "ix", procs=1)
    assert counts(report) == (0, 0, 0, 2, 0)


def test_reindexing_one_source_leaves_the_other_sources_articles_alone(tmp_path):
    first = write_jsonl(tmp_path / "a" / "a.jsonl", DEMO_ARTICLES[:2])
    second = write_jsonl(tmp_path / "b" / "b.jsonl", DEMO_ARTICLES[2:4])
    reindex(tmp_path / "ix", [str(first.parent), str(second.parent)], procs=1)
    write_jsonl(first, DEMO_ARTICLES[:1])
    report = reindex(tmp_path / "ix", [str(first.parent)], procs=1)
    assert counts(report) == (0, 0, 1, 1, 0)
    assert set(indexed(tmp_path / "ix")) == {a["id"] for a in (DEMO_ARTICLES[0], DEMO_ARTICLES[2], DEMO_ARTICLES[3])}
    assert read_meta(current_generation(tmp_path / "ix"))["sources"] == [str(first.parent), str(second.parent)]


def test_reindex_with_no_sources_and_none_remembered_raises_no_sources(tmp_path):
    with pytest.raises(NoSources) as refused:
        reindex(tmp_path / "ix", procs=1)
    assert str(refused.value) == f"no SOURCE given and no index in {tmp_path / 'ix'} to take remembered sources from"
    assert current_generation(tmp_path / "ix") is None
    assert not (tmp_path / "ix").exists()


def test_a_source_inside_a_remembered_directory_is_not_read_twice(tmp_path):
    source = make_source(tmp_path)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    inner = reindex(index_dir, [str(source / "news.jsonl")], procs=1)
    assert counts(inner) == (0, 0, 0, 4, 0)
    again = reindex(index_dir, procs=1)
    assert again.sources == [str(source)]
    assert counts(again) == (0, 0, 0, 5, 0)


# Rejections during a reindex ---------------------------------------------------------------


def test_rejected_inputs_are_reported_and_the_rest_is_indexed(tmp_path):
    source = make_source(tmp_path, count=3)
    (source / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
    (source / "news.jsonl").write_text(
        (source / "news.jsonl").read_text(encoding="utf-8") + "{not json}\n", encoding="utf-8"
    )
    report = reindex(tmp_path / "ix", [str(source)], procs=1)
    assert counts(report)[:4] == (4, 0, 0, 0)
    where = sorted((Path(r.path).name, r.line) for r in report.rejected)
    assert where == [("binary.txt", None), ("news.jsonl", 4)]
    assert report.documents == 4


def test_too_large_article_is_rejected_with_a_small_limit(tmp_path):
    source = make_source(tmp_path, count=2)
    limit = 7000
    # The portal page is a little over 7 KB; the two news lines are smaller.
    assert PORTAL_FILE.stat().st_size > limit
    assert all(len(json.dumps(a, ensure_ascii=False).encode()) < limit for a in DEMO_ARTICLES[:2])
    report = reindex(tmp_path / "ix", [str(source)], procs=1, max_article_bytes=limit)
    assert counts(report)[:4] == (2, 0, 0, 0)
    [rejection] = report.rejected
    assert rejection.path == str(source / "portal" / PORTAL_ID) and "large" in rejection.reason


def test_duplicate_id_across_sources_keeps_the_first_and_rejects_the_second_by_file_and_line(tmp_path):
    first = write_jsonl(tmp_path / "a" / "news.jsonl", DEMO_ARTICLES[:2])
    impostor = dict(DEMO_ARTICLES[0], title="Một bài khác mang cùng mã")
    second = write_jsonl(tmp_path / "b" / "news.jsonl", [DEMO_ARTICLES[2], impostor])
    report = reindex(tmp_path / "ix", [str(first.parent), str(second.parent)], procs=1)
    assert counts(report)[:4] == (3, 0, 0, 0)
    [rejection] = report.rejected
    assert rejection.path == str(second)
    assert DEMO_ARTICLES[0]["id"] in rejection.reason and str(first) in rejection.reason
    assert indexed(tmp_path / "ix")[DEMO_ARTICLES[0]["id"]]["title"] == DEMO_ARTICLES[0]["title"]
    assert rejection.line == 2


def test_duplicate_id_is_still_rejected_on_the_next_incremental_reindex(tmp_path):
    first = write_jsonl(tmp_path / "a" / "news.jsonl", DEMO_ARTICLES[:2])
    second = write_jsonl(tmp_path / "b" / "news.jsonl", [dict(DEMO_ARTICLES[0], title="Bản sao")])
    reindex(tmp_path / "ix", [str(first.parent), str(second.parent)], procs=1)
    report = reindex(tmp_path / "ix", procs=1)
    assert counts(report) == (0, 0, 0, 2, 1)
    assert indexed(tmp_path / "ix")[DEMO_ARTICLES[0]["id"]]["title"] == DEMO_ARTICLES[0]["title"]


def test_an_article_moved_to_another_file_of_the_sources_is_not_a_duplicate(tmp_path):
    source = make_source(tmp_path, count=3, portal=False)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    write_jsonl(source / "news.jsonl", DEMO_ARTICLES[:2])
    write_jsonl(source / "moved.jsonl", [DEMO_ARTICLES[2]])
    assert counts(reindex(index_dir, procs=1)) == (0, 0, 0, 3, 0)
    assert set(indexed(index_dir)) == {a["id"] for a in DEMO_ARTICLES[:3]}


def test_reindexing_one_source_rejects_an_id_that_another_remembered_source_holds(tmp_path):
    first = write_jsonl(tmp_path / "a" / "news.jsonl", DEMO_ARTICLES[:2])
    second = write_jsonl(tmp_path / "b" / "news.jsonl", DEMO_ARTICLES[2:3])
    reindex(tmp_path / "ix", [str(first.parent), str(second.parent)], procs=1)
    write_jsonl(second, [DEMO_ARTICLES[2], dict(DEMO_ARTICLES[0], title="Một bài khác mang cùng mã")])
    report = reindex(tmp_path / "ix", [str(second.parent)], procs=1)
    assert counts(report) == (0, 0, 0, 1, 1)
    [rejection] = report.rejected
    assert (rejection.path, rejection.line, rejection.reason) == (
        str(second), 2, f"duplicate id {DEMO_ARTICLES[0]['id']!r} (already read from {first})")
    assert indexed(tmp_path / "ix")[DEMO_ARTICLES[0]["id"]]["title"] == DEMO_ARTICLES[0]["title"]


def test_symlink_loop_in_a_source_does_not_hang_a_reindex(tmp_path):
    source = make_source(tmp_path, count=1)
    os.symlink("..", source / "portal" / "up")
    done: list = []
    worker = threading.Thread(target=lambda: done.append(reindex(tmp_path / "ix", [str(source)], procs=1)),
                              daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "reindex of a directory with a symlink loop did not finish"
    assert counts(done[0]) == (2, 0, 0, 0, 0)


# Full rebuilds and generations -------------------------------------------------------------


def test_full_reindex_swaps_in_a_new_generation_and_open_readers_keep_working(tmp_path):
    source = make_source(tmp_path, count=3)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    old_generation = current_generation(index_dir)
    engine = SearchEngine(index_dir, refresh_seconds=0)
    old_snapshot = engine.snapshot()
    before = search(old_snapshot, SearchRequest(q="chỉ thị 05 bộ chính trị"))
    assert before["hits"][0]["id"] == "portal/" + PORTAL_ID

    write_jsonl(source / "news.jsonl", DEMO_ARTICLES[:1])
    report = reindex(index_dir, full=True, procs=1)
    assert (report.full, counts(report), report.replaced_damaged) == (True, (2, 0, 0, 0, 0), None)
    new_generation = current_generation(index_dir)
    assert new_generation != old_generation and not (old_generation / DAMAGED_FILE).exists()
    assert os.readlink(index_dir / CURRENT_LINK) == new_generation.name
    assert old_generation.is_dir()  # kept for readers that still have it open

    # The snapshot opened before the swap still answers, with the old contents.
    after = search(old_snapshot, SearchRequest(q="chỉ thị 05 bộ chính trị"))
    assert after["hits"] == before["hits"] and after["total"] == before["total"]
    assert old_snapshot.live_count == 4
    # The engine moves on to the new generation.
    assert engine.snapshot().live_count == 2
    assert engine.health()["generation"] == new_generation.name


def generations(index_dir: Path) -> set[str]:
    """Return the names of the generation folders in an index directory."""
    return {path.name for path in index_dir.iterdir() if path.is_dir() and not path.is_symlink()}


def test_a_full_reindex_removes_generations_older_than_the_previous_one(tmp_path):
    source = make_source(tmp_path, count=2)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    first = current_generation(index_dir).name
    reindex(index_dir, full=True, procs=1)
    second = current_generation(index_dir).name
    assert generations(index_dir) == {first, second}
    # A symlink left by a reindex killed in the middle of a swap is cleaned up too.
    os.symlink(first, index_dir / f"{CURRENT_LINK}.99999.tmp")
    reindex(index_dir, full=True, procs=1)
    third = current_generation(index_dir).name
    assert generations(index_dir) == {second, third} and len({first, second, third}) == 3
    assert not list(index_dir.glob(f"{CURRENT_LINK}.*.tmp"))
    assert sorted(indexed(index_dir)) == sorted([a["id"] for a in DEMO_ARTICLES[:2]] + ["portal/" + PORTAL_ID])


def refuse_removing(monkeypatch, folder: Path) -> None:
    """Make removing folder fail as a file system refusing it would (its files still go)."""
    rmdir = os.rmdir

    def refuse(path, *args, **kwargs):
        """Remove a folder, except that one."""
        if Path(path) == folder:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return rmdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "rmdir", refuse)


def test_a_full_reindex_that_cannot_remove_an_older_generation_still_swaps_and_leaves_it(tmp_path, monkeypatch):
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(make_source(tmp_path, count=2))], procs=1)
    first = current_generation(index_dir)
    reindex(index_dir, full=True, procs=1)
    second = current_generation(index_dir)
    refuse_removing(monkeypatch, first)
    assert counts(reindex(index_dir, full=True, procs=1)) == (3, 0, 0, 0, 0)
    third = current_generation(index_dir)
    assert generations(index_dir) == {first.name, second.name, third.name} and len({first, second, third}) == 3

def test_a_failed_full_rebuild_removes_its_half_built_generation_and_keeps_the_index(tmp_path):
    source = make_source(tmp_path, count=3)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    before = current_generation(index_dir)
    write_jsonl(source / "news.jsonl", DEMO_ARTICLES[:8])

    def interrupt(phase, done, total):
        if done == 5:  # as if Ctrl-C were pressed halfway through the articles
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reindex(index_dir, full=True, procs=1, progress=interrupt)
    assert generations(index_dir) == {before.name} and current_generation(index_dir) == before
    assert sorted(indexed(index_dir)) == sorted([a["id"] for a in DEMO_ARTICLES[:3]] + ["portal/" + PORTAL_ID])
    # The lock died with the failed rebuild: the next one goes ahead at once.
    assert counts(reindex(index_dir, full=True, procs=1, lock_timeout=0)) == (9, 0, 0, 0, 0)


def test_engine_sees_an_incremental_reindex(tmp_path):
    source = make_source(tmp_path, count=2)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    engine = SearchEngine(index_dir, refresh_seconds=0)
    assert engine.search(SearchRequest(q="vinamilk"))["total"] == 1
    write_jsonl(source / "news.jsonl", DEMO_ARTICLES[1:2])
    reindex(index_dir, procs=1)
    assert engine.search(SearchRequest(q="vinamilk"))["total"] == 0
    assert engine.health()["documents"] == 2


def test_schema_version_mismatch_rebuilds_the_index(tmp_path):
    source = make_source(tmp_path, count=2)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    old_generation = current_generation(index_dir)
    meta_path = old_generation / "vnsearch.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["schema_version"] = SCHEMA_VERSION - 1
    del meta["checksum"]  # as the older vnsearch that wrote version - 1 would have left it
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    report = reindex(index_dir, procs=1)
    assert report.full is True and counts(report) == (3, 0, 0, 0, 0)
    assert current_generation(index_dir) != old_generation
    assert read_meta(current_generation(index_dir))["schema_version"] == SCHEMA_VERSION
    assert report.documents == 3



def damaged_index(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """Return (index folder, source, live generation, its largest posting file), three demo articles
    and the portal page indexed, a byte of that file flipped."""
    source = make_source(tmp_path, count=3)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    damaged = current_generation(index_dir)
    postings = max(damaged.glob("*.pst"), key=lambda path: path.stat().st_size)
    flip_middle_byte(postings)
    return index_dir, source, damaged, postings


def test_a_damaged_index_is_refused_then_rebuilt_by_repair_and_the_damaged_generation_kept_until_the_next_reindex(
        tmp_path):
    index_dir, source, damaged, postings = damaged_index(tmp_path)
    with pytest.raises(IndexDamaged, match=re.escape(postings.name)) as refused:
        reindex(index_dir, procs=1)
    assert refused.value.index_dir == str(index_dir) and str(refused.value).startswith(
        f"the index in {index_dir} is damaged: {postings.name}: ")
    assert linked_generation(index_dir) == damaged and not (damaged / DAMAGED_FILE).exists()
    repaired = reindex(index_dir, procs=1, repair=True)
    assert (repaired.full, counts(repaired), repaired.replaced_damaged) == (True, (4, 0, 0, 0, 0), damaged.name)
    rebuilt = current_generation(index_dir)
    assert generations(index_dir) == {damaged.name, rebuilt.name}
    assert postings.name in (damaged / DAMAGED_FILE).read_text(encoding="utf-8")
    assert read_meta(rebuilt)["sources"] == [str(source)]
    # The next reindex succeeds incrementally and drops the damaged generation kept for inspection.
    again = reindex(index_dir, procs=1)
    assert (again.full, counts(again), again.replaced_damaged) == (False, (0, 0, 0, 4, 0), None)
    assert generations(index_dir) == {rebuilt.name}



def test_a_damaged_generation_kept_for_inspection_names_each_of_its_damaged_files_on_a_line(tmp_path):
    index_dir, _source, damaged, postings = damaged_index(tmp_path)
    stored = next(damaged.glob("*._stored.col"))
    flip_middle_byte(stored)
    assert reindex(index_dir, procs=1, repair=True).replaced_damaged == damaged.name
    changed = r"CRC32 [0-9a-f]{8}, [0-9a-f]{8} recorded at commit \(contents changed\)\n"
    assert re.fullmatch(f"{re.escape(stored.name)}: {changed}{re.escape(postings.name)}: {changed}",
                        (damaged / DAMAGED_FILE).read_text(encoding="utf-8"))

def test_a_reindex_that_cannot_remove_a_kept_damaged_generation_still_succeeds_and_leaves_it(tmp_path, monkeypatch):
    index_dir, _source, damaged, _postings = damaged_index(tmp_path)
    rebuilt = reindex(index_dir, procs=1, repair=True)
    assert rebuilt.replaced_damaged == damaged.name
    refuse_removing(monkeypatch, damaged)
    again = reindex(index_dir, procs=1)
    assert (again.full, counts(again), again.replaced_damaged) == (False, (0, 0, 0, 4, 0), None)
    assert generations(index_dir) == {damaged.name, current_generation(index_dir).name}


@pytest.fixture()
def settled(monkeypatch):
    """Treat every file as written long ago: a commit remembers as checksummed only the files
    written over two seconds before it."""
    monkeypatch.setattr(integrity, "SETTLED_NS", -10**12)


def remember_as_checksummed(path: Path) -> None:
    """Make a file's current signature the one its generation remembers as checksummed: damage
    that no stat shows (bits rotten on disk), which only a checksum finds."""
    entries = integrity.read_verified(path.parent)
    entries[path.name] = integrity.file_signature(path)
    integrity.write_verified(path.parent, entries)


def test_a_full_reindex_checksums_every_file_and_keeps_a_generation_damaged_where_incremental_ones_do_not_read(
        tmp_path, settled):
    source = make_source(tmp_path, count=3)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    damaged = current_generation(index_dir)
    postings = max(damaged.glob("*.pst"), key=lambda path: path.stat().st_size)
    flip_middle_byte(postings)
    remember_as_checksummed(postings)
    # An incremental reindex checksums the files it reads and those changed since: it writes beside the damage.
    write_jsonl(source / "more.jsonl", [DEMO_ARTICLES[5]])
    report = reindex(index_dir, procs=1)
    assert (report.full, counts(report), report.replaced_damaged) == (False, (1, 0, 0, 4, 0), None)
    assert current_generation(index_dir) == damaged
    # A full one checksums every file: it finds the damage and keeps the damaged generation aside.
    report = reindex(index_dir, full=True, procs=1)
    assert (report.full, counts(report), report.replaced_damaged) == (True, (5, 0, 0, 0, 0), damaged.name)
    assert current_generation(index_dir) != damaged
    assert (damaged / DAMAGED_FILE).read_text(encoding="utf-8").startswith(f"{postings.name}: ")


def test_an_incremental_reindex_checksums_the_id_column_it_reads_and_refuses_its_damage(tmp_path, settled):
    source = make_source(tmp_path, count=3)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    ids = next(current_generation(index_dir).glob("*.id.col"))
    flip_middle_byte(ids)
    remember_as_checksummed(ids)
    write_jsonl(source / "more.jsonl", [DEMO_ARTICLES[5]])
    with pytest.raises(IndexDamaged) as refused:
        reindex(index_dir, procs=1)
    assert [(problem.file, problem.kind) for problem in refused.value.problems] == [(ids.name, "checksum")]

def test_a_segment_a_commit_would_merge_is_checksummed_its_damage_refused_and_rebuilt_with_repair(
        tmp_path, settled):
    source = make_source(tmp_path, count=2)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    for article in DEMO_ARTICLES[2:6]:  # a segment each: the next commit merges the five
        write_jsonl(source / f"{article['id']}.jsonl", [article])
        assert counts(reindex(index_dir, procs=1))[0] == 1
    segments = segment_names(index_dir)
    assert len(segments) == 5
    damaged = current_generation(index_dir)
    stored = max(damaged.glob("*._stored.col"), key=lambda path: path.stat().st_size)  # read by no reindex
    flip_middle_byte(stored)
    remember_as_checksummed(stored)
    write_jsonl(source / "last.jsonl", [DEMO_ARTICLES[6]])
    with pytest.raises(IndexDamaged, match=re.escape(stored.name)):
        reindex(index_dir, procs=1)
    assert segment_names(index_dir) == segments and current_generation(index_dir) == damaged
    report = reindex(index_dir, procs=1, repair=True)
    assert (report.full, counts(report), report.replaced_damaged) == (True, (8, 0, 0, 0, 0), damaged.name)
    assert sorted(live_ids(index_dir)) == sorted([*(a["id"] for a in DEMO_ARTICLES[:7]), "portal/" + PORTAL_ID])

def test_an_index_with_damaged_metadata_needs_its_sources_given_again_to_be_rebuilt(tmp_path):
    source = make_source(tmp_path, count=2)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    damaged = current_generation(index_dir)
    meta = damaged / "vnsearch.json"
    os.truncate(meta, meta.stat().st_size // 2)
    with pytest.raises(NoSources) as refused:
        reindex(index_dir, full=True, procs=1)
    assert str(refused.value) == ("no SOURCE given and none remembered in the index"
                                  " (its metadata is damaged: give the SOURCEs)")
    report = reindex(index_dir, [str(source)], full=True, procs=1)
    assert (report.full, counts(report), report.replaced_damaged) == (True, (3, 0, 0, 0, 0), damaged.name)
    assert read_meta(current_generation(index_dir))["sources"] == [str(source)]


def test_an_index_whose_classes_are_gone_is_rebuilt_without_being_opened(tmp_path):
    # What an older vnsearch left: another schema version, no checksums, and a table of
    # contents pickling classes under module paths that no longer exist.
    source = make_source(tmp_path, count=2)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    old_generation = current_generation(index_dir)
    meta = json.loads((old_generation / "vnsearch.json").read_text(encoding="utf-8"))
    meta["schema_version"] = SCHEMA_VERSION - 1
    del meta["checksum"]
    (old_generation / "vnsearch.json").write_text(json.dumps(meta), encoding="utf-8")
    for manifest in old_generation.glob("checksums-*.json"):
        manifest.unlink()
    for toc in old_generation.glob("_MAIN_*.toc"):
        toc.write_bytes(toc.read_bytes().replace(b"search.codec", b"search.gone_"))
    with pytest.raises(Exception, match=r"search\.gone_"):
        whoosh_index.open_dir(str(old_generation))
    with pytest.raises(IndexMissing, match=r"another version of vnsearch: run `vnsearch reindex"):
        SearchEngine(index_dir).search(SearchRequest(q="vinamilk"))
    report = reindex(index_dir, procs=1)
    assert report.full is True and counts(report) == (3, 0, 0, 0, 0)
    assert SearchEngine(index_dir).search(SearchRequest(q="vinamilk"))["total"] == 1

def test_a_search_of_a_folder_without_an_index_asks_for_a_first_reindex(tmp_path):
    with pytest.raises(IndexMissing) as missing:
        SearchEngine(tmp_path / "ix").search(SearchRequest(q="vinamilk"))
    assert str(missing.value) == f"no index in {tmp_path / 'ix'}: run `vnsearch reindex SOURCE ...` first"


def test_an_index_whose_live_generation_was_deleted_is_missing_until_a_reindex_given_sources_rebuilds_it(tmp_path):
    source = make_source(tmp_path, count=2)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    shutil.rmtree(current_generation(index_dir))  # the current link now names nothing
    with pytest.raises(IndexMissing) as missing:
        SearchEngine(index_dir).search(SearchRequest(q="vinamilk"))
    with pytest.raises(NoSources) as no_sources:
        reindex(index_dir, procs=1)
    assert [str(missing.value), str(no_sources.value)] == [
        f"no index in {index_dir}: run `vnsearch reindex SOURCE ...` first",
        f"no SOURCE given and no index in {index_dir} to take remembered sources from"]
    report = reindex(index_dir, [str(source)], procs=1)
    assert (report.full, counts(report), report.replaced_damaged) == (True, (3, 0, 0, 0, 0), None)
    assert generations(index_dir) == {current_generation(index_dir).name}


# The writer lock ---------------------------------------------------------------------------

def test_reindex_while_another_process_holds_the_lock_raises_index_busy(tmp_path):
    source = make_source(tmp_path, count=1, portal=False)
    index_dir = tmp_path / "ix"
    with writer_lock_held(index_dir) as holder, pytest.raises(IndexBusy) as busy:
        reindex(index_dir, [str(source)], procs=1, lock_timeout=0.3)
    message = str(busy.value)
    assert f"pid {holder.pid}" in message and str(index_dir) in message and "another reindex" in message
    assert current_generation(index_dir) is None
    assert counts(reindex(index_dir, [str(source)], procs=1, lock_timeout=5)) == (1, 0, 0, 0, 0)


def test_reindex_waits_for_a_lock_released_within_its_timeout(tmp_path, monkeypatch):
    source = make_source(tmp_path, count=1, portal=False)
    index_dir = tmp_path / "ix"
    # Note each time the reindex finds the lock taken: proof that it waited, whatever the timing.
    lock_module = sys.modules[writer_lock.__module__]
    refused, try_lock = threading.Event(), lock_module._try_lock
    monkeypatch.setattr(lock_module, "_try_lock", lambda fd: try_lock(fd) or refused.set())
    reports: list = []
    writer = threading.Thread(target=lambda: reports.append(reindex(index_dir, [str(source)], procs=1,
                                                                    lock_timeout=STATE_TIMEOUT)))
    with writer_lock_held(index_dir):
        writer.start()
        wait_until(lambda: refused.is_set() or not writer.is_alive(), "the reindex never tried the lock")
        assert refused.is_set(), "the reindex went ahead while another process held the lock"
        assert writer.is_alive() and current_generation(index_dir) is None
    writer.join(timeout=STATE_TIMEOUT)
    assert not writer.is_alive() and counts(reports[0]) == (1, 0, 0, 0, 0)


# What gets indexed -------------------------------------------------------------------------


def test_undated_portal_page_is_indexed_without_a_date(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    text = PORTAL_FILE.read_text(encoding="utf-8").replace("(08:12 | 21/08/2019)\n", "")
    (source / "undated.txt").write_text(text, encoding="utf-8")
    report = reindex(tmp_path / "ix", [str(source)], procs=1)
    assert counts(report) == (1, 0, 0, 0, 0)
    stored = indexed(tmp_path / "ix")["undated.txt"]
    assert stored.get("published") is None
    snapshot = SearchEngine(tmp_path / "ix", refresh_seconds=0).snapshot()
    assert (int(snapshot.timestamp[0]), int(snapshot.day[0])) == (0, 0)  # 0: no date, sorted after every dated one
    result = SearchEngine(tmp_path / "ix").search(SearchRequest.from_params({"q": "chỉ thị 05", "year": "none"}))
    assert [h["id"] for h in result["hits"]] == ["undated.txt"]
    assert result["hits"][0]["title"].startswith("Tăng cường vai trò nêu gương")


def test_passage_records_are_indexed_with_a_derived_title_that_is_shown_not_searched(tmp_path):
    passage = ("Vai trò của thủy điện và tình trạng lũ lụt ở miền Trung đang làm dấy lên tranh luận trái chiều. "
               "Trong lúc dư luận nghi ngờ thì giới chuyên gia khẳng định thủy điện gánh lũ cho hạ du.")
    source = write_jsonl(tmp_path / "passages.jsonl", [{"id": "p-1", "title": "", "text": passage}])
    report = reindex(tmp_path / "ix", [str(source)], procs=1)
    assert counts(report) == (1, 0, 0, 0, 0)
    engine = SearchEngine(tmp_path / "ix")
    [hit] = engine.search(SearchRequest(q="thủy điện lũ lụt"))["hits"]
    assert (hit["id"], hit["title"], hit["title_derived"]) == (
        "p-1", "Vai trò của thủy điện và tình trạng lũ lụt ở miền Trung đang làm dấy lên tranh luận trái chiều.", True
    )
    # The derived title repeats the body: it is shown but not indexed as a title.
    assert engine.search(SearchRequest(q="title:thủy"))["total"] == 0
    assert engine.article("p-1")["title_derived"] is True


def test_an_articles_own_title_is_indexed_as_a_title_and_a_derived_one_adds_nothing_to_the_title_field(tmp_path):
    passage = {"id": "p-1", "title": "", "text": "Thủy điện gánh lũ cho hạ du. Giới chuyên gia khẳng định điều đó."}
    source = write_jsonl(tmp_path / "articles.jsonl", [DEMO_ARTICLES[0], passage])
    reindex(tmp_path / "ix", [str(source)], procs=1)
    engine = SearchEngine(tmp_path / "ix", refresh_seconds=0)
    assert [hit["id"] for hit in engine.search(SearchRequest(q="title:vinamilk"))["hits"]] == [DEMO_ARTICLES[0]["id"]]
    snapshot = engine.snapshot()
    title_lengths = {snapshot.stored(n)["id"]: int(snapshot.lengths["title"][n]) for n in range(snapshot.doc_count)}
    assert title_lengths["p-1"] == 0 and title_lengths[DEMO_ARTICLES[0]["id"]] >= len(DEMO_ARTICLES[0]["title"].split())


def test_an_article_published_at_the_unix_epoch_is_still_dated(tmp_path):
    # A timestamp of 0 means "no date": the first second of 1970 is kept as 1.
    source = write_jsonl(tmp_path / "articles.jsonl", [dict(DEMO_ARTICLES[0], published="1970-01-01T07:00:00+07:00")])
    reindex(tmp_path / "ix", [str(source)], procs=1)
    snapshot = SearchEngine(tmp_path / "ix", refresh_seconds=0).snapshot()
    assert (int(snapshot.timestamp[0]), int(snapshot.day[0])) == (1, 19700101)


def test_files_of_other_types_in_a_source_directory_are_reported_skipped(tmp_path):
    source = make_source(tmp_path, count=2)
    (source / "notes.md").write_text("# Ghi chú\n", encoding="utf-8")
    (source / "portal" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    report = reindex(tmp_path / "ix", [str(source)], procs=1)
    assert counts(report) == (3, 0, 0, 0, 0)
    assert report.skipped_files == [str(source / "notes.md"), str(source / "portal" / "logo.png")]


def test_parallel_reindex_of_a_large_source_indexes_every_article_like_the_serial_writer(tmp_path, engine):
    # 400 articles (the demo news twice, the copies under other ids) take the multi-process path.
    twins = DEMO_ARTICLES + [dict(a, id=a["id"] + "-copy") for a in DEMO_ARTICLES]
    source = write_jsonl(tmp_path / "twins.jsonl", twins)
    index_dir = tmp_path / "ix"
    report = reindex(index_dir, [str(source)], procs=2)
    assert counts(report) == (400, 0, 0, 0, 0) and report.documents == 400
    parallel = SearchEngine(index_dir, refresh_seconds=0)
    # Each query's compound words are those of the demo index too ("chi thi" would be one at twice the counts).
    for q in ("hà nội", "bộ chính trị", '"bộ chính trị"', "covid -mỹ", "thi chi"):
        result = parallel.search(SearchRequest(q=q, size=50))
        demo = engine.search(SearchRequest.from_params({"q": q, "source": "dantri.com.vn"}))
        assert result["total"] == 2 * demo["total"], q
        scores = {hit["id"]: hit["score"] for hit in result["hits"]}
        for doc_id, score in scores.items():
            twin = doc_id[: -len("-copy")] if doc_id.endswith("-copy") else doc_id + "-copy"
            if twin in scores:
                assert scores[twin] == score, (q, doc_id)
    # An incremental reindex on top of the parallel-built segments.
    changed = dict(twins[0], body=twins[0]["body"] + "\nBài viết được cập nhật lúc 10 giờ sáng.")
    write_jsonl(source, [changed, *twins[1:]])
    assert counts(reindex(index_dir, procs=2)) == (0, 1, 0, 399, 0)
    assert [h["id"] for h in parallel.search(SearchRequest(q='"cập nhật lúc 10 giờ sáng"'))["hits"]] == [twins[0]["id"]]


def test_parallel_writers_closing_many_segments_each_merge_theirs_into_what_the_serial_writer_writes(
        tmp_path, monkeypatch):
    # Each writer process closes a segment whenever its posting pool fills (here every few
    # articles) and merges its segments into one at the end: the index holds exactly what one
    # serial writer writes (terms, statistics, postings, positions, lengths, stored fields).
    source = write_jsonl(tmp_path / "news.jsonl", DEMO_ARTICLES)
    for module in ("search.writer", "search.index"):  # the parallel writer from 50 articles on
        monkeypatch.setattr(f"{module}.PARALLEL_MIN_ARTICLES", 50)
    monkeypatch.setattr("search.writer.WRITER_MEMORY_MB", 0.2)  # a segment every few articles
    merges = tmp_path / "merges"  # written by the writer processes

    def counting_merge(writer, segments):
        with open(merges, "a") as handle:
            handle.write(f"{len(segments)}\n")
        merge_into(writer, segments)

    monkeypatch.setattr("search.writer.merge_into", counting_merge)
    reindex(tmp_path / "parallel", [str(source)], procs=2)
    reindex(tmp_path / "serial", [str(source)], procs=1)
    merged = [int(n) for n in merges.read_text().split()]
    # The processes share the batches as they come: each merged what it wrote, one segment each.
    assert merged and sum(merged) > 10, merged
    assert len(segment_names(tmp_path / "parallel")) <= 2 and len(segment_names(tmp_path / "serial")) == 1
    assert index_contents(tmp_path / "parallel") == index_contents(tmp_path / "serial")
    parallel, serial = (SearchEngine(tmp_path / name, refresh_seconds=0) for name in ("parallel", "serial"))
    for q in ("hà nội", '"bộ chính trị"', "covid -mỹ", "chi thi"):
        hits = [{(h["id"], h["score"]) for h in e.search(SearchRequest(q=q, size=50))["hits"]}
                for e in (parallel, serial)]
        assert hits[0] == hits[1] and hits[0], q


def index_contents(index_dir: Path) -> dict:
    """Return everything an index holds, keyed by article id instead of document number,
    with each term's statistics added up over the segments."""
    generation = current_generation(index_dir)
    contents: dict = {"terms": {}, "documents": {}}
    with whoosh_index.open_dir(str(generation)).reader() as reader:
        for leaf, _ in reader.leaf_readers():
            ids = [leaf.stored_fields(n)["id"] for n in range(leaf.doc_count_all())]
            for n, doc_id in enumerate(ids):
                contents["documents"][doc_id] = (
                    leaf.stored_fields(n), leaf.doc_field_length(n, "title"), leaf.doc_field_length(n, "body"),
                    *(leaf.column_reader(name)[n] for name in ("day", "timestamp", "category", "origin")))
            descriptor = open_postings(leaf, str(generation))
            try:
                for (field, term), info in leaf._terms.items():
                    add_term(contents["terms"], (field, term), info, postings_of_info(info, descriptor, 0), ids)
            finally:
                os.close(descriptor)
    return contents


def add_term(terms: dict, key: tuple, info, postings, ids: list[str]) -> None:
    """Add one segment's statistics and postings (by article id) of a term to terms."""
    packed = key[0] in ("title", "body")  # positions; other fields hold doc numbers only
    rows = {(ids[doc], float(postings.freqs[row]),
             tuple(postings.positions(np.array([row]))[1].tolist()) if packed else ())
            for row, doc in enumerate(postings.ids.tolist())}
    frequency, weight, top, known = terms.get(key, (0, 0.0, 0.0, set()))
    terms[key] = (frequency + info.doc_frequency(), weight + info.weight(), max(top, info.max_weight()),
                  known | rows)


def test_a_no_op_reindex_counts_the_articles_of_unchanged_files_without_reading_them(tmp_path, monkeypatch):
    # Progress needs an article count; an unchanged file's count is the one recorded, so a
    # no-op reindex of a large archive opens none of its files (only a changed one is counted).
    source = make_source(tmp_path, count=4)
    age_files(source)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    counted, totals = [], []
    count_lines = sources_module._count_lines
    monkeypatch.setattr(sources_module, "_count_lines", lambda path: counted.append(path.name) or count_lines(path))
    progress = lambda phase, done, total: totals.append(total) if phase == "index" else None  # noqa: E731
    assert counts(reindex(index_dir, procs=1, progress=progress)) == (0, 0, 0, 5, 0)
    assert counted == []
    more = write_jsonl(source / "more.jsonl", [dict(DEMO_ARTICLES[10], id="more-1")])
    stamp = more.stat().st_mtime_ns - 3600 * 10**9  # not just modified: its state is recorded
    os.utime(more, ns=(stamp, stamp))
    totals.clear()
    assert counts(reindex(index_dir, procs=1, progress=progress)) == (1, 0, 0, 5, 0)
    assert counted == ["more.jsonl"] and set(totals) == {6}


def test_a_reindex_reports_each_article_read_then_its_commit_and_a_no_op_reindex_no_commit(tmp_path):
    source = make_source(tmp_path, count=4)  # four news articles and the portal page
    calls = []
    progress = lambda phase, done, total: calls.append((phase, done, total))  # noqa: E731
    reindex(tmp_path / "ix", [str(source)], procs=1, progress=progress)
    assert calls == [("index", done, 5) for done in range(1, 6)] + [("commit", 0, 0)]
    calls.clear()
    assert counts(reindex(tmp_path / "ix", procs=1, progress=progress, reread=True)) == (0, 0, 0, 5, 0)
    assert calls == [("index", done, 5) for done in range(1, 6)]  # nothing to write: no commit



def test_a_reindex_told_to_pause_at_index_pauses_after_each_article_written_and_before_its_commit(
        tmp_path, monkeypatch):
    # The crash tests' hook (VNSEARCH_PAUSE_AT=index): killed there, a reindex has written articles
    # but not committed them.  The writer opens once two articles are held (several processes asked
    # for, below the parallel writer's threshold: one writer); the pause is recorded, not slept.
    monkeypatch.setenv(faults.PAUSE_VARIABLE, "index")
    monkeypatch.setattr("search.index.PARALLEL_MIN_ARTICLES", 2)
    events = []
    monkeypatch.setattr(faults, "time", SimpleNamespace(sleep=lambda seconds: events.append("paused")))
    progress = lambda phase, done, total: events.append((phase, done))  # noqa: E731
    assert counts(reindex(tmp_path / "ix", [str(make_source(tmp_path, count=4))], procs=2, progress=progress)) == (
        5, 0, 0, 0, 0)
    assert events == [("index", 1), *(event for done in range(2, 6) for event in ("paused", ("index", done))),
                      "paused", ("commit", 0)]


def test_a_reindex_told_to_pause_at_toc_pauses_once_its_segment_is_written_and_before_it_is_visible(
        tmp_path, monkeypatch):
    # The crash tests' hook (VNSEARCH_PAUSE_AT=toc): killed there, the new segment's files exist
    # but no table of contents names them, so the index still holds what it held.
    index_dir = tmp_path / "ix"
    source = make_source(tmp_path, count=2)
    reindex(index_dir, [str(source)], procs=1)
    before = sorted(indexed(index_dir))
    assert len(before) == 3
    monkeypatch.setenv(faults.PAUSE_VARIABLE, "toc")
    seen = []
    monkeypatch.setattr(faults, "time", SimpleNamespace(sleep=lambda seconds: seen.append(
        (seconds, sorted(indexed(index_dir))))))
    write_jsonl(source / "more.jsonl", DEMO_ARTICLES[5:7])
    assert counts(reindex(index_dir, procs=1)) == (2, 0, 0, 3, 0)
    assert seen == [(3600, before)]
    assert sorted(indexed(index_dir)) == sorted([*before, *(a["id"] for a in DEMO_ARTICLES[5:7])])


def test_a_full_reindex_told_to_pause_at_swap_pauses_once_its_generation_is_written_and_before_it_is_live(
        tmp_path, monkeypatch):
    # The crash tests' hook (VNSEARCH_PAUSE_AT=swap): killed there, the new generation is complete
    # but the current link still names the old one.
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(make_source(tmp_path, count=2))], procs=1)
    before = current_generation(index_dir)
    monkeypatch.setenv(faults.PAUSE_VARIABLE, "swap")
    seen = []
    monkeypatch.setattr(faults, "time", SimpleNamespace(sleep=lambda seconds: seen.append(
        (seconds, current_generation(index_dir), generations(index_dir)))))
    assert counts(reindex(index_dir, full=True, procs=1)) == (3, 0, 0, 0, 0)
    assert seen == [(3600, before, {before.name, current_generation(index_dir).name})]

def test_articles_gone_from_a_source_folder_whose_name_ends_with_a_space_are_deleted(tmp_path):
    source = tmp_path / "crawl "  # a folder copied from another system
    write_jsonl(source / "news.jsonl", DEMO_ARTICLES[:4])
    index_dir = tmp_path / "ix"
    assert counts(reindex(index_dir, [str(source)], procs=1)) == (4, 0, 0, 0, 0)
    write_jsonl(source / "news.jsonl", DEMO_ARTICLES[:3])
    assert counts(reindex(index_dir, procs=1)) == (0, 0, 1, 3, 0)
    assert sorted(indexed(index_dir)) == sorted(a["id"] for a in DEMO_ARTICLES[:3])



# Deletions: by document number, from the id column -------------------------------------


def live_ids(index_dir: Path) -> Counter:
    """Return how many live documents of the index hold each id (read from the id column)."""
    found = Counter()
    with whoosh_index.open_dir(str(current_generation(index_dir))).reader() as reader:
        for leaf, _ in reader.leaf_readers():
            ids = leaf.column_reader("id")
            found.update(ids[docnum] for docnum in leaf.all_doc_ids())
    return found


def index_again(index_dir: Path, source: Path, ids: set[str], times: int = 1) -> None:
    """Write more copies of the articles of source with these ids into the index, a segment per
    copy: an index written by another tool (or an older vnsearch) may hold an id more than once,
    which reindex itself never writes (it rejects a duplicate id)."""
    articles = [item for item in scan_sources([str(source)]) if isinstance(item, Article) and item.id in ids]
    assert {article.id for article in articles} == ids
    ix = whoosh_index.open_dir(str(current_generation(index_dir)))
    for _ in range(times):
        writer = open_writer(ix, len(articles), 1)
        for article in articles:
            writer.add_document(**article_fields(article))
        writer.commit(merge=False)


def updated(article: dict) -> dict:
    """Return an article with a sentence added to its body."""
    return dict(article, body=article["body"] + "\nBài viết được cập nhật lúc 10 giờ sáng.")


def test_every_copy_of_an_id_indexed_several_times_goes_when_its_article_changes_or_vanishes(tmp_path):
    source = make_source(tmp_path, count=4)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    once = live_ids(index_dir)
    assert len(once) == 5 and set(once.values()) == {1}
    changed, gone = DEMO_ARTICLES[0], DEMO_ARTICLES[1]
    index_again(index_dir, source, {changed["id"], gone["id"]}, times=2)
    assert live_ids(index_dir) == once + Counter({changed["id"]: 2, gone["id"]: 2})
    write_jsonl(source / "news.jsonl", [updated(changed), *DEMO_ARTICLES[2:4]])
    assert counts(reindex(index_dir, procs=1)) == (0, 1, 1, 3, 0)
    assert live_ids(index_dir) == once - Counter([gone["id"]])
    assert indexed(index_dir)[changed["id"]]["body"] == updated(changed)["body"]


def rot_term_keys(index_dir: Path, ids: list[str]) -> Path:
    """Change the last letter of each id where the largest segment's term index names it, keeping
    the file's size, and remember the file as checksummed: bits rotten on disk that neither a
    stat nor the quick checks see (an incremental reindex checksums only the columns it reads).
    The term index then holds no entry for these ids, the id column still does."""
    generation = current_generation(index_dir)
    terms = max(generation.glob("*.trm"), key=lambda path: path.stat().st_size)
    data = terms.read_bytes()
    for doc_id in ids:
        assert data.count(doc_id.encode()) == 1, doc_id
        data = data.replace(doc_id.encode(), doc_id[:-1].encode() + b"#")
    terms.write_bytes(data)
    remember_as_checksummed(terms)
    return terms


def test_an_incremental_reindex_deletes_what_the_checksummed_id_column_names_not_what_the_term_index_says(
        tmp_path, settled):
    # Deleting by term would read the term index, which is not checksummed before an incremental
    # reindex writes: an id its rotten term index no longer names would keep its old copy.
    source = make_source(tmp_path, count=4)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    once = live_ids(index_dir)
    single, twice = DEMO_ARTICLES[0], DEMO_ARTICLES[1]
    index_again(index_dir, source, {twice["id"]})
    rot_term_keys(index_dir, [single["id"], twice["id"]])
    write_jsonl(source / "news.jsonl", [updated(single), updated(twice), *DEMO_ARTICLES[2:4]])
    assert counts(reindex(index_dir, procs=1)) == (0, 2, 0, 3, 0)
    assert live_ids(index_dir) == once
    # Read from the stored fields: a search would refuse the index, whose term index fails its checksum.
    with whoosh_index.open_dir(str(current_generation(index_dir))).reader() as reader:
        bodies = {fields["id"]: fields["body"] for fields in reader.all_stored_fields()}
    assert [bodies[a["id"]] for a in (single, twice)] == [updated(a)["body"] for a in (single, twice)]


def test_a_store_giving_no_document_numbers_has_every_document_of_a_changed_or_vanished_id_deleted_by_term(
        tmp_path):
    # The cluster's reindex (search.cluster_index) hands ReindexRun an indexed state without
    # document numbers: its deletions go to the writer by id.  Here the embedded writer stands in.
    source = make_source(tmp_path, count=4)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    once = live_ids(index_dir)
    changed, gone = DEMO_ARTICLES[0], DEMO_ARTICLES[3]
    index_again(index_dir, source, {changed["id"]})
    write_jsonl(source / "news.jsonl", [updated(changed), *DEMO_ARTICLES[1:3]])
    report = ReindexReport()
    run = ReindexRun([str(source)], report, 1, None, DEFAULT_MAX_ARTICLE_BYTES)
    ix = whoosh_index.open_dir(str(current_generation(index_dir)))
    run.apply(ix, indexed=_indexed_state(ix))
    assert counts(report) == (0, 1, 1, 3, 0)
    assert live_ids(index_dir) == once - Counter([gone["id"]])
    assert indexed(index_dir)[changed["id"]]["body"] == updated(changed)["body"]

def test_an_index_remembering_no_sources_asks_for_them_without_calling_its_metadata_damaged(tmp_path):
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(make_source(tmp_path, count=2))], procs=1)
    generation = current_generation(index_dir)
    write_meta(generation, {**read_meta(generation), "sources": []})  # as an index built from no source would
    with pytest.raises(NoSources) as refused:
        reindex(index_dir, procs=1)
    assert str(refused.value) == "no SOURCE given and none remembered in the index"


def test_an_index_whose_metadata_has_no_sources_remembers_the_ones_given_next(tmp_path):
    source = make_source(tmp_path, count=2)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    generation = current_generation(index_dir)
    write_meta(generation, {key: value for key, value in read_meta(generation).items() if key != "sources"})
    report = reindex(index_dir, [str(source)], procs=1)
    assert (report.full, counts(report), report.sources) == (False, (0, 0, 0, 3, 0), [str(source)])
    assert read_meta(current_generation(index_dir))["sources"] == [str(source)]


def test_an_index_whose_metadata_records_no_format_is_rebuilt(tmp_path):
    # Written by a vnsearch that recorded no format: which classes its files name is unknown.
    source = make_source(tmp_path, count=2)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    old_generation = current_generation(index_dir)
    meta_path = old_generation / "vnsearch.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    for key in ("schema_version", "codec", "whoosh_version", "checksum"):
        del meta[key]
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    report = reindex(index_dir, procs=1)
    assert (report.full, counts(report)) == (True, (3, 0, 0, 0, 0))
    assert current_generation(index_dir) != old_generation


def test_a_full_rebuild_given_sources_remembers_only_those(tmp_path):
    first = write_jsonl(tmp_path / "first" / "news.jsonl", DEMO_ARTICLES[:2]).parent
    second = write_jsonl(tmp_path / "second" / "news.jsonl", DEMO_ARTICLES[5:8]).parent
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(first)], procs=1)
    report = reindex(index_dir, [str(second)], full=True, procs=1)
    assert (report.full, counts(report), report.sources) == (True, (3, 0, 0, 0, 0), [str(second)])
    assert read_meta(current_generation(index_dir))["sources"] == [str(second)]
    assert sorted(indexed(index_dir)) == sorted(a["id"] for a in DEMO_ARTICLES[5:8])


def test_the_cleanup_after_a_failed_rebuild_never_hides_its_error(tmp_path):
    source = make_source(tmp_path, count=3)
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(source)], procs=1)
    before = current_generation(index_dir)

    def interrupt(phase, done, total):
        # Something else (an operator cleaning up) already removed the half-built generation.
        for generation in generations(index_dir) - {before.name}:
            shutil.rmtree(index_dir / generation)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reindex(index_dir, full=True, procs=1, progress=interrupt)
    assert generations(index_dir) == {before.name} and current_generation(index_dir) == before


def test_a_reindex_keeps_the_live_generation_even_when_it_carries_a_damaged_marker(tmp_path):
    # A damaged generation kept for inspection, mended by hand and linked back: it is sound, so the
    # next reindex writes into it, and removes only the other damaged generations.
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(make_source(tmp_path, count=2))], procs=1)
    live = current_generation(index_dir)
    (live / DAMAGED_FILE).write_text("MAIN_x.pst: checksum\n", encoding="utf-8")
    assert counts(reindex(index_dir, procs=1)) == (0, 0, 0, 3, 0)
    assert current_generation(index_dir) == live and generations(index_dir) == {live.name}


def test_a_reindex_given_several_processes_writes_a_few_articles_with_one_writer(tmp_path):
    # Under PARALLEL_MIN_ARTICLES the held-back articles go to the single writer at the commit.
    source = make_source(tmp_path, count=4)
    index_dir = tmp_path / "ix"
    assert counts(reindex(index_dir, [str(source)], procs=2)) == (5, 0, 0, 0, 0)
    changed = dict(DEMO_ARTICLES[0], body=DEMO_ARTICLES[0]["body"] + "\nBài viết được cập nhật lúc 10 giờ sáng.")
    write_jsonl(source / "news.jsonl", [changed, *DEMO_ARTICLES[1:4]])
    assert counts(reindex(index_dir, procs=2)) == (0, 1, 0, 4, 0)
    assert indexed(index_dir)[changed["id"]]["body"] == changed["body"]


def test_a_writer_is_parallel_only_for_several_processes_and_enough_articles(tmp_path):
    # Below PARALLEL_MIN_ARTICLES, starting writer processes costs more than they save.
    ix = whoosh_index.create_in(str(tmp_path), make_schema())
    chosen = []
    for count, procs in [(PARALLEL_MIN_ARTICLES, 1), (PARALLEL_MIN_ARTICLES - 1, 3), (PARALLEL_MIN_ARTICLES, 3)]:
        writer = open_writer(ix, count, procs)
        chosen.append((type(writer).__name__, getattr(writer, "procs", None), getattr(writer, "batchsize", None),
                       getattr(writer, "multisegment", None), writer.pool.limit >> 20))
        writer.cancel()
    assert chosen == [("VnSegmentWriter", None, None, None, WRITER_MEMORY_MB),
                      ("VnSegmentWriter", None, None, None, WRITER_MEMORY_MB),
                      ("VnMpWriter", 3, 50, True, WRITER_MEMORY_MB)]  # 3: not this machine's cpu_count


def test_a_writer_waits_for_whooshs_write_lock_held_for_a_moment(tmp_path):
    # A repair or another tool's writer may hold Whoosh's own lock briefly: the reindex waits
    # (up to five seconds) instead of failing at once.
    ix = whoosh_index.create_in(str(tmp_path), make_schema())
    holder = ix.writer()
    threading.Timer(0.5, holder.cancel).start()
    writer = open_writer(ix, 1, 1)  # whoosh.store.LockError if it did not wait
    article = next(item for item in scan_sources(DEMO_SOURCES) if isinstance(item, Article))
    writer.add_document(**article_fields(article))
    writer.commit()
    assert ix.doc_count() == 1


def test_the_lean_pool_spills_a_sorted_run_once_its_postings_pass_its_limit(tmp_path):
    # Its estimate of a posting's memory: 110 bytes and its term's and value's lengths.
    ix = whoosh_index.create_in(str(tmp_path), make_schema())
    postings = [("body", b"ab", doc, 1.0, b"wxyz") for doc in range(9, 0, -1)]
    pool = LeanPostingPool(ix.storage, None, limitmb=9 * 116 / 2**20)
    for posting in postings:
        pool.add(posting)
    assert (pool.runs, pool.currentsize, pool.fieldnames) == ([], 9 * 116, {"body"})
    pool.add(("title", b"c", 0, 1.0, None))  # 111 bytes more: past the limit
    assert (len(pool.runs), pool.currentsize, pool.fieldnames) == (1, 0, {"body", "title"})
    assert list(pool.items()) == sorted([*postings, ("title", b"c", 0, 1.0, None)])


def test_a_number_written_with_separators_is_a_term_that_adds_nothing_to_its_fields_length(tmp_path):
    # Cut from the demo corpus (unc-news_business_008): BM25 normalises by the length, which counts
    # every syllable's terms as before numbers had a term of their own.
    body = "Giá bán lẻ tăng 1,3% lên 3.500.000 đồng từ ngày 1/3/2021"
    spaced = re.sub(r"(?<=\d)[.,/](?=\d)", " ", body)
    source = write_jsonl(tmp_path / "news.jsonl", [{"id": "so", "title": "Giá", "body": body},
                                                   {"id": "spaced", "title": "Giá", "body": spaced}])
    index_dir = tmp_path / "index"
    assert reindex(index_dir, [str(source)], procs=1).added == 2
    with whoosh_index.open_dir(str(current_generation(index_dir))).reader() as reader:
        numbers = {term.decode() for term in reader.lexicon("body") if is_numeral(term.decode())}
        assert numbers == {"1,3", "3.500.000", "1/3", "3/2021", "1/3/2021"}
        assert reader.doc_field_length(0, "body") == reader.doc_field_length(1, "body") > 0
        assert [reader.doc_frequency("body", number) for number in ("1/3", "3.500.000")] == [1, 1]
