"""Walking sources: which files are read, skipped or counted, and the exact rejections of bad ones.

Article text is cut from the demo corpus (the portal article of tests/helpers.py, a news paragraph);
the files are written to tmp_path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from search.documents import Article, Rejection, ScanStats
from search.sources import SourceFile, estimate_articles, read_file, scan_sources
from tests.helpers import PORTAL_FILE

# A paragraph of a real article (unc-news_business_016).
THUY_DIEN = (
    "Tại tọa đàm về “Thủy điện nhỏ và vấn đề lũ lụt” vừa diễn ra sáng ngày 30/10, thủy điện đã được đưa "
    "lên bàn cân lợi ích."
)


def record(article_id: str) -> bytes:
    """Return one JSON line (without its end) of an article."""
    return json.dumps({"id": article_id, "title": "Thủy điện nhỏ", "body": THUY_DIEN}, ensure_ascii=False).encode()


def outcome(items) -> list[tuple]:
    """Return what a scan yielded: ("article", id, line) or ("rejection", file name, line, reason)."""
    return [("article", item.id, item.line) if isinstance(item, Article)
            else ("rejection", Path(item.path).name, item.line, item.reason) for item in items]


def test_each_bad_file_or_line_is_rejected_with_its_exact_reason(tmp_path):
    (tmp_path / "README").write_text("không phải bài viết", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b" \n")
    (tmp_path / "empty.jsonl").write_bytes(b"\n \n")
    (tmp_path / "lines.jsonl").write_bytes(b"\n".join([
        record("a"), b'{"id": "x", "body": "a\x00b"}', b"[1, 2]", b"null", record("b")]) + b"\n")
    sources = [str(tmp_path / name) for name in ("README", "empty.txt", "empty.jsonl", "lines.jsonl", "khong-co")]
    assert outcome(scan_sources(sources)) == [
        ("rejection", "README", None, "unsupported file type '(none)'; expected .txt or .jsonl"),
        ("rejection", "empty.txt", None, "empty file"),
        ("rejection", "empty.jsonl", None, "empty file"),
        ("article", "a", 1),
        ("rejection", "lines.jsonl", 2, "binary data (NUL bytes)"),
        ("rejection", "lines.jsonl", 3, "not a JSON object but list"),
        ("rejection", "lines.jsonl", 4, "not a JSON object but NoneType"),
        ("article", "b", 5),
        ("rejection", "khong-co", None, "no such file or directory"),
    ]


def test_a_line_or_file_of_exactly_the_limit_is_read_and_one_byte_more_is_rejected(tmp_path):
    line = record("a")
    lines = tmp_path / "lines.jsonl"
    lines.write_bytes(line + b"\n" + line.replace(b'"a"', b'"bb"') + b"\n")
    # A JSON line's length counts its end of line.
    assert outcome(scan_sources([str(lines)], max_bytes=len(line) + 1)) == [
        ("article", "a", 1),
        ("rejection", "lines.jsonl", 2, f"line too long ({len(line) + 2:,} bytes; the limit is {len(line) + 1:,})"),
    ]
    portal = tmp_path / "portal.txt"
    portal.write_bytes(PORTAL_FILE.read_bytes())
    size = portal.stat().st_size
    assert outcome(scan_sources([str(portal)], max_bytes=size)) == [("article", "portal.txt", None)]
    assert outcome(scan_sources([str(portal)], max_bytes=size - 1)) == [
        ("rejection", "portal.txt", None, f"file too large ({size:,} bytes; the limit is {size - 1:,})")]


def test_an_unreadable_file_is_rejected_by_its_path_with_the_systems_reason(tmp_path):
    folder = tmp_path / "bai.jsonl"
    folder.mkdir()  # a directory named like a JSON Lines file: opening it fails
    [rejection] = read_file(folder, tmp_path)
    assert (rejection.path, rejection.line, rejection.reason) == (str(folder), None, "cannot read: Is a directory")


def test_utf16_json_lines_of_either_byte_order_are_numbered_from_one(tmp_path):
    text = "\n".join([record("a").decode(), "[1]", record("b").decode()])
    (tmp_path / "le.jsonl").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    (tmp_path / "be.jsonl").write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    for name in ("le.jsonl", "be.jsonl"):
        assert outcome(scan_sources([str(tmp_path / name)])) == [
            ("article", "a", 1), ("rejection", name, 2, "not a JSON object but list"), ("article", "b", 3)]


def test_an_article_carries_its_files_absolute_path_and_a_hash_of_its_line_without_the_end(tmp_path, monkeypatch):
    (tmp_path / "lf.jsonl").write_bytes(record("a") + b"\n")
    (tmp_path / "crlf.jsonl").write_bytes(record("a") + b"\r\n")
    (tmp_path / "other.jsonl").write_bytes(record("a").replace("nhỏ".encode(), "lớn".encode()) + b"\n")
    monkeypatch.chdir(tmp_path)  # relative sources: the origin is still absolute
    lf, crlf, other = (next(scan_sources([name])) for name in ("lf.jsonl", "crlf.jsonl", "other.jsonl"))
    assert [lf.origin, crlf.origin] == [str(tmp_path / "lf.jsonl"), str(tmp_path / "crlf.jsonl")]
    assert lf.content_hash == crlf.content_hash != other.content_hash


def test_the_files_of_a_directory_are_read_in_order_hidden_ones_left_out_and_links_followed(tmp_path):
    source, elsewhere = tmp_path / "src", tmp_path / "elsewhere"
    for folder in (source / "b", source / ".git", elsewhere):
        folder.mkdir(parents=True)
    for path in (source / "b" / "2.txt", source / "1.txt", source / ".hidden.txt", source / ".git" / "x.txt",
                 elsewhere / "3.txt"):
        path.write_bytes(PORTAL_FILE.read_bytes())
    os.symlink(elsewhere, source / "c")
    (source / "notes.csv").write_text("id\n", encoding="utf-8")
    stats = ScanStats()
    assert [a.id for a in scan_sources([str(source)], stats)] == ["1.txt", "b/2.txt", "c/3.txt"]
    assert (stats.files, stats.skipped) == (3, [str(source / "notes.csv")])
    stats = ScanStats()
    assert [a.id for a in scan_sources([str(source / "b"), str(source / "1.txt")], stats)] == ["2.txt", "1.txt"]
    assert stats.files == 2
    # A file read alone (not under a source directory) is named by its file name.
    assert [a.id for a in read_file(source / "1.txt", source / "1.txt")] == ["1.txt"]


def test_a_file_skip_says_yes_to_is_not_read_and_skip_sees_each_files_state(tmp_path):
    (tmp_path / "one.txt").write_bytes(PORTAL_FILE.read_bytes())
    (tmp_path / "two.jsonl").write_bytes(record("a") + b"\n" + record("b") + b"\n")
    shown: list[SourceFile] = []

    def skip(state: SourceFile) -> bool:
        shown.append(state)
        return state.origin.endswith(".txt")

    assert [a.id for a in scan_sources([str(tmp_path), str(tmp_path / "one.txt")], skip=skip)] == ["a", "b"]
    expected = [SourceFile(str(tmp_path / name), (tmp_path / name).stat().st_size,
                           (tmp_path / name).stat().st_mtime_ns) for name in ("one.txt", "two.jsonl", "one.txt")]
    assert shown == expected


def test_the_article_estimate_counts_text_files_and_json_lines_or_what_it_is_told(tmp_path):
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "1.txt").write_bytes(PORTAL_FILE.read_bytes())
    (source / "sub" / "2.TXT").write_bytes(PORTAL_FILE.read_bytes())
    (source / "lines.jsonl").write_bytes(b"\n".join(record(str(n)) for n in range(3)) + b"\n")
    (source / "notes.csv").write_text("a\nb\n", encoding="utf-8")
    big = tmp_path / "big.ndjson"  # more lines than one read of the count takes
    big.write_bytes((record("x") + b"\n") * 6000)
    assert big.stat().st_size > 1 << 20
    sources = [str(source), str(big), str(tmp_path / "khong-co.txt"), str(tmp_path / "khong-co.jsonl")]
    assert estimate_articles(sources) == 2 + 3 + 6000
    told: list[SourceFile] = []

    def known(state: SourceFile) -> int | None:
        told.append(state)
        return 10 if state.origin.endswith(".ndjson") else None

    assert estimate_articles(sources, known) == 2 + 3 + 10
    assert told == [SourceFile.of(source / "lines.jsonl"), SourceFile.of(big)]
    assert told[0] == SourceFile(str(source / "lines.jsonl"), (source / "lines.jsonl").stat().st_size,
                                 (source / "lines.jsonl").stat().st_mtime_ns)


def test_a_file_state_is_none_when_it_cannot_be_read(tmp_path):
    missing = tmp_path / "khong-co.jsonl"
    assert SourceFile.of(missing) is None
    assert list(read_file(missing, tmp_path)) == [Rejection(str(missing), "cannot read: No such file or directory")]
