"""Walking sources: files and directories in, an ``Article`` or a ``Rejection`` out for each.

``scan_sources`` walks files and directories (sorted, hidden files skipped, links followed
without looping) and yields an ``Article`` for every article it can read and a
``Rejection`` (file, line, reason) for everything it cannot; one bad file or line never
stops the rest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from search.documents import (
    DEFAULT_MAX_ARTICLE_BYTES,
    Article,
    ArticleError,
    Rejection,
    ScanStats,
    article_from_record,
    decode_text,
    finish_article,
    parse_portal_text,
)

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")


# Walking sources -----------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    """A source file about to be read: its absolute path, size and modification time (ns)."""

    origin: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> SourceFile | None:
        """Return a file's state, or None when it cannot be read (reading it then says why)."""
        try:
            stat = path.stat()
        except OSError:
            return None
        return cls(os.path.abspath(path), stat.st_size, stat.st_mtime_ns)


def scan_sources(
    sources: list[str], stats: ScanStats | None = None, max_bytes: int = DEFAULT_MAX_ARTICLE_BYTES,
    skip: Callable[[SourceFile], bool] | None = None,
) -> Iterator[Article | Rejection]:
    """Yield the articles and rejections of every file under the given sources, in order.

    skip is shown every file's state before it is read; a file it returns True for is not read.
    """
    stats = stats if stats is not None else ScanStats()
    for source in sources:
        root = Path(source)
        if not root.exists():
            yield Rejection(str(root), "no such file or directory")
        elif root.is_dir():
            for path in walk_files(root):
                if path.suffix.lower() in TEXT_SUFFIXES + JSONL_SUFFIXES:
                    stats.files += 1
                    yield from _read_unless_skipped(path, root, max_bytes, skip)
                else:
                    stats.skipped.append(str(path))
        else:
            stats.files += 1
            yield from _read_unless_skipped(root, root.parent, max_bytes, skip)


def _read_unless_skipped(path: Path, root: Path, max_bytes: int,
                         skip: Callable[[SourceFile], bool] | None) -> Iterator[Article | Rejection]:
    """Yield the articles of a file (see read_file), unless skip tells to leave it unread."""
    state = SourceFile.of(path) if skip is not None else None
    if state is None or not skip(state):
        yield from read_file(path, root, max_bytes)


def estimate_articles(sources: list[str], known: Callable[[SourceFile], int | None] | None = None) -> int:
    """Return about how many articles the sources hold (lines of JSON Lines, text files).

    known may tell a JSON Lines file's count without reading it (a file unchanged since the
    last reindex: a no-op reindex of a large archive would otherwise read it all to count).
    """
    total = 0
    for source in sources:
        root = Path(source)
        paths = walk_files(root) if root.is_dir() else [root] if root.is_file() else []
        for path in paths:
            suffix = path.suffix.lower()
            if suffix in TEXT_SUFFIXES:
                total += 1
            elif suffix in JSONL_SUFFIXES:
                state = SourceFile.of(path) if known else None
                count = known(state) if state else None
                total += _count_lines(path) if count is None else count
    return total


def _count_lines(path: Path) -> int:
    """Return the number of lines of a file, reading it in large blocks."""
    count = 0
    try:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                count += block.count(b"\n")
    except OSError:
        return 0
    return count


def walk_files(root: Path) -> Iterator[Path]:
    """Yield the files under root in sorted order, following links but never in a loop."""
    seen: set[tuple[int, int]] = set()
    for directory, dirnames, filenames in os.walk(root, followlinks=True):
        stat = os.stat(directory)
        if (stat.st_dev, stat.st_ino) in seen:
            dirnames[:] = []
            continue
        seen.add((stat.st_dev, stat.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(directory) / name


def read_file(path: Path, root: Path, max_bytes: int = DEFAULT_MAX_ARTICLE_BYTES) -> Iterator[Article | Rejection]:
    """Yield the articles of one file (or its rejection), whatever its format."""
    origin = os.path.abspath(path)
    suffix = path.suffix.lower()
    try:
        if suffix in JSONL_SUFFIXES:
            yield from read_jsonl(path, origin, max_bytes)
        elif suffix in TEXT_SUFFIXES:
            yield read_portal_file(path, root, origin, max_bytes)
        else:
            yield Rejection(str(path), f"unsupported file type {suffix or '(none)'!r}; expected .txt or .jsonl")
    except ArticleError as error:
        yield Rejection(str(path), str(error))
    except OSError as error:
        yield Rejection(str(path), f"cannot read: {error.strerror or error}")


def read_portal_file(path: Path, root: Path, origin: str, max_bytes: int) -> Article:
    """Read one portal article text file; its id is its path relative to the source root."""
    if path.stat().st_size > max_bytes:
        raise ArticleError(f"file too large ({path.stat().st_size:,} bytes; the limit is {max_bytes:,})")
    raw = path.read_bytes()
    if not raw.strip():
        raise ArticleError("empty file")
    article_id = path.relative_to(root).as_posix() if path != root else path.name
    article = parse_portal_text(decode_text(raw), article_id)
    return finish_article(article, origin, raw)


def read_jsonl(path: Path, origin: str, max_bytes: int) -> Iterator[Article | Rejection]:
    """Yield an article or a rejection for every non-blank line of a JSON Lines file."""
    found = False
    for number, line in _jsonl_lines(path):
        if not line.strip():
            continue
        found = True
        try:
            article = _jsonl_article(line, f"{path.name}#{number}", origin, max_bytes)
            article.line = number
            yield article
        except ArticleError as error:
            yield Rejection(str(path), str(error), number)
    if not found:
        yield Rejection(str(path), "empty file")


def _jsonl_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield (line number, raw UTF-8 line) of a JSON Lines file, re-encoding UTF-16 files."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = decode_text(head + handle.read())
            yield from enumerate((line.encode() for line in text.split("\n")), start=1)
            return
        handle.seek(3 if head.startswith(b"\xef\xbb\xbf") else 0)
        yield from enumerate(handle, start=1)


def _jsonl_article(line: bytes, fallback_id: str, origin: str, max_bytes: int) -> Article:
    """Turn one raw JSON line into an article."""
    if len(line) > max_bytes:
        raise ArticleError(f"line too long ({len(line):,} bytes; the limit is {max_bytes:,})")
    if b"\x00" in line:
        raise ArticleError("binary data (NUL bytes)")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ArticleError(f"not valid UTF-8 (byte {error.start} of the line)") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise ArticleError(f"invalid JSON: {error.msg} (column {error.colno})") from None
    if not isinstance(record, dict):
        raise ArticleError(f"not a JSON object but {type(record).__name__}")
    return finish_article(article_from_record(record, fallback_id), origin, line.rstrip(b"\r\n"))
