"""The index on disk: generations, the writer lock, and reindexing (incremental or full).

Layout of an index directory::

    index/
      current -> gen-20261126T093000-1234   symlink to the live generation (swapped atomically)
      gen-20261126T093000-1234/              a Whoosh index plus vnsearch.json (sources, stats)
      write.lock                             flock()ed by the one running reindex

An incremental reindex commits into the live generation (Whoosh readers keep their snapshot
until they refresh).  ``--full`` builds a new generation beside it and swaps the symlink, so
searchers never see a half-built index.  flock() locks die with their process, so a killed
reindex never leaves a stale lock behind.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index

from search.backend import Progress
from search.documents import (
    DEFAULT_MAX_ARTICLE_BYTES,
    Article,
    Rejection,
    ScanStats,
    estimate_articles,
    scan_sources,
    vietnam_day,
)
from search.faults import pause_point
from search.integrity import IndexDamaged, Problem, seal_meta, verify_generation, verify_meta
from search.schema import SCHEMA_VERSION, VnMpWriter, VnSegmentWriter, make_codec, make_schema

CURRENT_LINK = "current"
LOCK_FILE = "write.lock"
META_FILE = "vnsearch.json"
GENERATION_PREFIX = "gen-"
DAMAGED_FILE = "DAMAGED.txt"
# Below this many new articles the parallel writer's process start-up costs more than it saves.
PARALLEL_MIN_ARTICLES = 400
WRITER_MEMORY_MB = 512


class IndexError_(Exception):
    """Base class of the index errors a user can act on."""


class IndexBusy(IndexError_):
    """Another reindex holds the writer lock."""


class IndexMissing(IndexError_):
    """There is no index at the given directory yet."""


class NoSources(IndexError_):
    """A reindex was asked for with no sources given and none remembered."""


@dataclass
class ReindexReport:
    """What a reindex did, for the summary line and the exit status."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    full: bool = False
    sources: list[str] = field(default_factory=list)
    documents: int = 0
    replaced_damaged: str | None = None

    @property
    def indexed(self) -> int:
        """Return how many articles were written (added or updated)."""
        return self.added + self.updated

    @property
    def articles_per_second(self) -> float:
        """Return the articles read (written or found unchanged) per second of the run."""
        return (self.indexed + self.unchanged) / self.seconds if self.seconds else 0.0


# Generations ---------------------------------------------------------------------------


def current_generation(index_dir: str | Path) -> Path | None:
    """Return the live generation directory of an index, or None when there is none."""
    link = Path(index_dir) / CURRENT_LINK
    try:
        target = os.readlink(link)
    except OSError:
        return None
    path = Path(index_dir) / target
    return path if whoosh_index.exists_in(path) else None


def linked_generation(index_dir: str | Path) -> Path | None:
    """Return the directory the current link points to, even when it holds no readable index."""
    try:
        path = Path(index_dir) / os.readlink(Path(index_dir) / CURRENT_LINK)
    except OSError:
        return None
    return path if path.is_dir() else None


def open_generation(index_dir: str | Path):
    """Open the live generation as a Whoosh index; raise IndexMissing when there is none."""
    generation = current_generation(index_dir)
    if generation is None:
        raise IndexMissing(f"no index in {index_dir}: run `vnsearch reindex SOURCE ...` first")
    return whoosh_index.open_dir(str(generation))


def read_meta(generation: Path | None) -> dict:
    """Return the vnsearch metadata stored with a generation ({} when absent)."""
    if generation is None:
        return {}
    try:
        return json.loads((generation / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_meta(generation: Path, meta: dict) -> None:
    """Write a generation's metadata atomically."""
    temporary = generation / (META_FILE + ".tmp")
    temporary.write_text(json.dumps(seal_meta(meta), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, generation / META_FILE)


def _new_generation(index_dir: Path) -> Path:
    """Create and return an empty generation directory holding an empty index."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = index_dir / f"{GENERATION_PREFIX}{stamp}-{os.getpid()}"
    path.mkdir(parents=True)
    whoosh_index.create_in(str(path), make_schema())
    return path


def _swap_current(index_dir: Path, generation: Path) -> None:
    """Point the current link at generation atomically, then drop generations no reader needs."""
    previous = linked_generation(index_dir)
    for leftover in index_dir.glob(f"{CURRENT_LINK}.*.tmp"):  # from a reindex killed mid-swap
        leftover.unlink()
    temporary = index_dir / f"{CURRENT_LINK}.{os.getpid()}.tmp"
    os.symlink(generation.name, temporary)
    pause_point("swap")
    os.replace(temporary, index_dir / CURRENT_LINK)
    _fsync_dir(index_dir)
    keep = {generation.name, previous.name if previous else None}
    for stale in index_dir.glob(GENERATION_PREFIX + "*"):
        if stale.name not in keep:
            shutil.rmtree(stale, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    """Flush a directory entry change to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# The writer lock -----------------------------------------------------------------------


@contextmanager
def writer_lock(index_dir: Path, timeout: float) -> Iterator[None]:
    """Hold the index's writer lock, waiting up to timeout seconds for it; raise IndexBusy."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
                raise IndexBusy(
                    f"another reindex ({holder}) is writing {index_dir}; gave up after {timeout:g} s"
                )
            time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _try_lock(fd: int) -> bool:
    """Take an exclusive flock without waiting; tell whether it was taken."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise


# Documents for Whoosh ------------------------------------------------------------------


def article_fields(article: Article) -> dict:
    """Return the Whoosh field values of an article."""
    published = article.published
    day = vietnam_day(published) if published else None
    return {
        "id": article.id,
        # A title made up from the body is shown, not indexed: it would count the body twice.
        "title": "" if article.title_derived else article.title,
        "_stored_title": article.title,
        "title_derived": article.title_derived,
        "body": article.body,
        "category": article.category,
        "source": article.source,
        "portal": article.portal,
        "url": article.url,
        "published": published.isoformat() if published else None,
        "day": day.year * 10000 + day.month * 100 + day.day if day else 0,
        "timestamp": max(1, int(published.timestamp())) if published else 0,
        "origin": article.origin,
        "content_hash": article.content_hash,
    }


def _open_writer(ix, count: int, procs: int):
    """Return a writer for count new articles: parallel processes when that pays off."""
    options = {"codec": make_codec(), "limitmb": WRITER_MEMORY_MB, "compound": False, "timeout": 5.0}
    if procs > 1 and count >= PARALLEL_MIN_ARTICLES:
        import search.text  # noqa: F401  load analysis (and pyvi, below) once, before forking

        _preload_pyvi()
        return VnMpWriter(ix, procs=procs, batchsize=50, multisegment=True, **options)
    return VnSegmentWriter(ix, **options)


def _preload_pyvi() -> None:
    """Load pyvi's model in this process so forked writers share it instead of each loading it."""
    from search.text import pyvi_tokenizer

    pyvi_tokenizer()


# Reindexing ----------------------------------------------------------------------------


def reindex(
    index_dir: str | Path,
    sources: Iterable[str] = (),
    full: bool = False,
    lock_timeout: float = 60.0,
    procs: int | None = None,
    progress: Progress | None = None,
    max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES,
    repair: bool = False,
) -> ReindexReport:
    """Bring the index in step with its sources and return what changed.

    With no sources the ones remembered in the index are scanned again.  Raises IndexBusy
    when another reindex keeps the lock past lock_timeout, NoSources when there is nothing
    to scan, IndexDamaged when the live generation fails its checksums and neither full nor
    repair was asked for (both then rebuild it beside the damaged one, which is kept).
    """
    index_dir = Path(index_dir)
    started = time.monotonic()
    if not sources and linked_generation(index_dir) is None:
        raise NoSources(f"no SOURCE given and no index in {index_dir} to take remembered sources from")
    with writer_lock(index_dir, lock_timeout):
        damage = live_damage(index_dir)
        if damage and not (full or repair):
            raise IndexDamaged(index_dir, damage)
        generation = None if damage else current_generation(index_dir)
        meta = read_meta(linked_generation(index_dir))
        roots = _outermost([os.path.abspath(s) for s in sources] or meta.get("sources", []))
        if not roots:
            raise NoSources("no SOURCE given and none remembered in the index"
                            + (" (its metadata is damaged: give the SOURCEs)" if damage else ""))
        rebuild = full or bool(damage) or generation is None or meta.get("schema_version") != SCHEMA_VERSION
        remembered = roots if rebuild else _union(meta.get("sources", []), roots)
        report = ReindexReport(full=rebuild, sources=remembered)
        run = _Run(roots, report, procs or os.cpu_count() or 1, progress, max_article_bytes)
        if rebuild:
            generation = _new_generation(index_dir)
            try:
                run.apply(whoosh_index.open_dir(str(generation)), indexed={})
            except BaseException:
                shutil.rmtree(generation, ignore_errors=True)
                raise
        else:
            ix = whoosh_index.open_dir(str(generation))
            run.apply(ix, indexed=_indexed_state(ix))
        report.seconds = time.monotonic() - started
        report.documents = _document_count(generation)
        _write_meta(generation, _meta(remembered, report))
        if rebuild:
            report.replaced_damaged = keep_damaged(linked_generation(index_dir), damage)
            _swap_current(index_dir, generation)
        else:
            _remove_damaged(index_dir, keep=generation)
    return report


def live_damage(index_dir: Path) -> list[Problem]:
    """Return what is wrong with the live generation's files and metadata ([] when none or no index)."""
    folder = linked_generation(index_dir)
    if folder is None:
        return []
    return verify_generation(folder, "checksums")[1] + verify_meta(folder)


def keep_damaged(generation: Path | None, damage: list[Problem]) -> str | None:
    """Mark a damaged generation being replaced, to be kept for inspection; return its name."""
    if generation is None or not damage:
        return None
    text = "".join(f"{problem}\n" for problem in damage)
    (generation / DAMAGED_FILE).write_text(text, encoding="utf-8")
    return generation.name


def _remove_damaged(index_dir: Path, keep: Path) -> None:
    """Delete the damaged generations kept for inspection (a reindex has since succeeded)."""
    for marker in index_dir.glob(f"{GENERATION_PREFIX}*/{DAMAGED_FILE}"):
        if marker.parent != keep:
            shutil.rmtree(marker.parent, ignore_errors=True)


def _union(first: list[str], second: list[str]) -> list[str]:
    """Return the sources of both lists, in order, without repeats or sources inside others."""
    return _outermost([*first, *second])


def _outermost(roots: list[str]) -> list[str]:
    """Return roots in order without repeats and without any root lying inside another one
    (a file under a remembered directory would otherwise be read twice)."""
    unique = list(dict.fromkeys(roots))
    return [root for root in unique if not _under_any(root, [other for other in unique if other != root])]


class _Run:
    """One pass over the sources, streaming changed articles into a writer as they are read."""

    def __init__(self, roots: list[str], report: ReindexReport, procs: int, progress, max_bytes: int):
        self.roots = roots
        self.report = report
        self.procs = procs
        self.progress = progress or (lambda phase, done, total: None)
        self.max_bytes = max_bytes
        self.writer = None
        self.pending: list[Article] = []
        self.deletions: list[str] = []

    def apply(self, ix, indexed: dict[str, tuple[str, str]]) -> None:
        """Scan the sources, compare with the indexed state, and commit the differences."""
        self.ix = ix
        stats = ScanStats()
        total = estimate_articles(self.roots)
        first_seen: dict[str, str] = {}
        for item in scan_sources(self.roots, stats, self.max_bytes):
            if isinstance(item, Rejection):
                self.report.rejected.append(item)
            elif item.id in first_seen:
                self._reject_duplicate(item, first_seen[item.id])
            else:
                first_seen[item.id] = item.location
                self._compare(item, indexed.get(item.id))
            self.progress("index", len(first_seen), max(total, len(first_seen)))
        self.report.skipped_files = stats.skipped
        for doc_id, (origin, _) in indexed.items():
            if doc_id not in first_seen and _under_any(origin, self.roots):
                self.deletions.append(doc_id)
                self.report.deleted += 1
        self._commit()

    def open_writer(self, count: int):
        """Return a writer for count new articles (other stores override this)."""
        return _open_writer(self.ix, count, self.procs)

    def _compare(self, article: Article, known: tuple[str, str] | None) -> None:
        """Queue an article that is new or changed; count it when unchanged."""
        if known is None:
            self.report.added += 1
        elif known[0] != article.origin and not _under_any(known[0], self.roots):
            return self._reject_duplicate(article, known[0])
        elif known[1] == article.content_hash:
            self.report.unchanged += 1
            return None
        else:
            self.report.updated += 1
            self.deletions.append(article.id)
        self._add(article)
        return None

    def _reject_duplicate(self, article: Article, first_location: str) -> None:
        """Record an article whose id was already read from another place."""
        self.report.rejected.append(
            Rejection(article.origin, f"duplicate id {article.id!r} (already read from {first_location})",
                      article.line)
        )

    def _add(self, article: Article) -> None:
        """Send an article to the writer, holding a few back until the writer kind is known."""
        if self.writer is None:
            self.pending.append(article)
            if len(self.pending) < PARALLEL_MIN_ARTICLES or self.procs < 2:
                return
            self.writer = self.open_writer(len(self.pending))
            articles, self.pending = self.pending, []
        else:
            articles = [article]
        for item in articles:
            self.writer.add_document(**article_fields(item))
        pause_point("index")

    def _commit(self) -> None:
        """Write the deletions and any held-back articles, then commit."""
        if self.writer is None and not (self.pending or self.deletions):
            return
        writer = self.writer or self.open_writer(len(self.pending))
        try:
            for doc_id in self.deletions:
                writer.delete_by_term("id", doc_id)
            for article in self.pending:
                writer.add_document(**article_fields(article))
            pause_point("index")
            self.progress("commit", 0, 0)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise


def _under_any(path: str, roots: list[str]) -> bool:
    """Tell whether path is one of roots or lies below one of them."""
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _indexed_state(ix) -> dict[str, tuple[str, str]]:
    """Return {id: (origin, content hash)} of every live document, read from columns."""
    state = {}
    with ix.reader() as reader:
        for leaf, _offset in reader.leaf_readers():
            ids = leaf.column_reader("id")
            origins = leaf.column_reader("origin")
            hashes = leaf.column_reader("content_hash")
            for docnum in leaf.all_doc_ids():
                state[ids[docnum]] = (origins[docnum], hashes[docnum])
    return state


def _document_count(generation: Path) -> int:
    """Return the number of live documents in a generation."""
    ix = whoosh_index.open_dir(str(generation))
    return ix.doc_count()


def _meta(sources: list[str], report: ReindexReport) -> dict:
    """Return the metadata to store with a generation after a reindex."""
    return {
        "schema_version": SCHEMA_VERSION,
        "sources": sources,
        "last_reindex": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        "documents": report.documents,
        "last_report": {
            "added": report.added,
            "updated": report.updated,
            "deleted": report.deleted,
            "unchanged": report.unchanged,
            "rejected": len(report.rejected),
            "seconds": round(report.seconds, 3),
        },
    }
