"""Bad input at the scale and in the encodings real crawls produce: each file or line is
indexed correctly or rejected by name and line, and nothing else is lost or half-indexed."""

from __future__ import annotations

import json
from pathlib import Path

from search.engine import SearchEngine
from search.index import reindex
from search.request import SearchRequest
from tests.helpers import DEMO

PORTAL = next((DEMO / "portal").glob("*.txt"))
# "Cộng hoà xã hội chủ nghĩa Việt Nam" as TCVN3 (ABC) fonts store it, bytes shown as Latin-1.
TCVN3_BYTES = "Céng hoµ x· héi chñ nghÜa ViÖt Nam\n".encode("latin-1")
GOOD = [
    {"id": "good-1", "title": "Thủy điện nhỏ", "body": "Các dự án thủy điện nhỏ ở miền núi được rà soát lại."},
    {"id": "good-2", "title": "Giá vàng", "body": "Giá vàng trong nước tăng mạnh trong phiên sáng nay."},
]


def line(record: dict) -> bytes:
    """Return one JSON Lines line."""
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def search_ids(index_dir: Path, q: str) -> list[str]:
    """Return the ids found for q."""
    result = SearchEngine(index_dir).search(SearchRequest(q=q, size=50, snippets=False, suggest=False))
    return [hit["id"] for hit in result["hits"]]


def test_legacy_vietnamese_encodings_are_rejected_by_name_and_line(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "tcvn3.txt").write_bytes(b"Tin t\xd8c\n" + TCVN3_BYTES)
    (source / "cp1258.txt").write_bytes(PORTAL.read_text(encoding="utf-8").encode("cp1258", "replace"))
    (source / "mixed.jsonl").write_bytes(line(GOOD[0]) + b'{"id": "legacy", "body": "' + TCVN3_BYTES.strip()
                                         + b'"}\n' + line(GOOD[1]))
    report = reindex(tmp_path / "index", [str(source)], procs=1)
    rejected = {(Path(r.path).name, r.line): r.reason for r in report.rejected}
    assert set(rejected) == {("tcvn3.txt", None), ("cp1258.txt", None), ("mixed.jsonl", 2)}
    assert "line 1" in rejected[("tcvn3.txt", None)] and "UTF-8" in rejected[("tcvn3.txt", None)]
    assert "TCVN3" in rejected[("cp1258.txt", None)]
    assert report.added == 2
    assert search_ids(tmp_path / "index", "thuy dien nho") == ["good-1"]


def test_a_100_megabyte_file_is_rejected_and_the_rest_indexed(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    with open(source / "huge.txt", "wb") as handle:  # one "article" of 100 MB
        handle.write(PORTAL.read_bytes())
        handle.truncate(100 * 1024 * 1024)
    huge_line = {"id": "huge", "title": "Rất dài", "body": "Thủy điện " * 11_000_000}
    (source / "lines.jsonl").write_bytes(line(GOOD[0]) + line(huge_line) + line(GOOD[1]))
    report = reindex(tmp_path / "index", [str(source)], procs=1)
    rejected = sorted((Path(r.path).name, r.line) for r in report.rejected)
    assert rejected == [("huge.txt", None), ("lines.jsonl", 2)]
    assert all("large" in r.reason or "long" in r.reason for r in report.rejected)
    assert report.added == 2 and report.documents == 2


def test_articles_are_never_half_indexed(tmp_path):
    """Every indexed article is whole: its title, body and date all answer queries."""
    records = [dict(GOOD[0], published="2021-04-02"), {"id": "bad-date", "title": "Hôm qua", "body": "Nội dung.",
                                                       "published": "hôm qua"}, {"id": "bad-title", "title": 5,
                                                                                "body": "Thủy điện."}]
    source = tmp_path / "articles.jsonl"
    source.write_bytes(b"".join(line(r) for r in records))
    report = reindex(tmp_path / "index", [str(source)], procs=1)
    assert [r.line for r in report.rejected] == [2, 3] and report.added == 1
    engine = SearchEngine(tmp_path / "index")
    assert search_ids(tmp_path / "index", "thuy dien") == ["good-1"]
    assert search_ids(tmp_path / "index", "ra soat mien nui") == ["good-1"]
    assert engine.search(SearchRequest(q="", year="2021"))["total"] == 1
    assert engine.article("bad-date") is None and engine.article("bad-title") is None
