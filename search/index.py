"""Reindexing: bring an index in step with its sources, incrementally or by a full rebuild.

The sources are scanned (``search.documents``), compared with the indexed state (content
hashes, origins) and the differences written: new and changed articles added, changed and
vanished ones deleted.  A rebuild (``--full``, no index yet, or an index of another format)
writes a new generation and swaps it in; the store itself (generations, lock, metadata) is
``search.store``, the writers ``search.writer``.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index

from search import documents
from search.backend import Progress
from search.dates import day_number, timestamp_of, vietnam_day
from search.documents import DEFAULT_MAX_ARTICLE_BYTES, Article, Rejection, ScanStats
from search.faults import pause_point
from search.integrity import IndexDamaged
from search.sources import SourceFile, estimate_articles, scan_sources
from search.store import (
    IndexError_,
    current_generation,
    damage_before_writing,
    format_matches,
    index_format,
    keep_damaged,
    linked_generation,
    live_damage,
    new_generation,
    read_file_states,
    read_meta,
    remove_damaged,
    swap_current,
    write_file_states,
    write_meta,
    writer_lock,
)
from search.writer import PARALLEL_MIN_ARTICLES, open_writer

# A file modified this close to the start of a reindex may change again within the same tick of
# the file system's clock, keeping its modification time: it is not recorded as read, so the
# next reindex reads it again.
RECENT_NS = 2 * 10**9


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
        "day": day_number(day) if day else 0,
        "timestamp": timestamp_of(published),
        "origin": article.origin,
        "content_hash": article.content_hash,
    }


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
    reread: bool = False,
) -> ReindexReport:
    """Bring the index in step with its sources and return what changed.

    With no sources the ones remembered in the index are scanned again.  An incremental
    reindex does not read a file whose size and modification time are those recorded when it
    was last read whole (its articles are counted unchanged); reread reads every file, the
    content hashes deciding as always.  Raises IndexBusy
    when another reindex keeps the lock past lock_timeout, NoSources when there is nothing
    to scan, IndexDamaged when the live generation fails its checksums and neither full nor
    repair was asked for (both then rebuild it beside the damaged one, which is kept).  An
    incremental reindex checksums what it reads and what changed since it last did
    (``store.damage_before_writing``) and the segments it merges when it merges them
    (``writer``); a full one, every file.
    """
    index_dir = Path(index_dir)
    started = time.monotonic()
    if not sources and linked_generation(index_dir) is None:
        raise NoSources(f"no SOURCE given and no index in {index_dir} to take remembered sources from")
    with writer_lock(index_dir, lock_timeout):
        damage = live_damage(index_dir) if full else damage_before_writing(index_dir)[0]
        if damage and not (full or repair):
            raise IndexDamaged(index_dir, damage)
        generation = None if damage else current_generation(index_dir)
        meta = read_meta(linked_generation(index_dir))
        roots = outermost([os.path.abspath(s) for s in sources] or meta.get("sources", []))
        if not roots:
            raise NoSources("no SOURCE given and none remembered in the index"
                            + (" (its metadata is damaged: give the SOURCEs)" if damage else ""))
        rebuild = full or bool(damage) or generation is None or not format_matches(meta)
        procs = procs or os.cpu_count() or 1
        if not rebuild:
            remembered = union_sources(meta.get("sources", []), roots)
            report = ReindexReport(full=False, sources=remembered)
            known_files = None if reread else read_file_states(generation)
            run = ReindexRun(roots, report, procs, progress, max_article_bytes, known_files)
            ix = whoosh_index.open_dir(str(generation))
            try:
                run.apply(ix, indexed=_indexed_state(ix, run.docnums))
            except IndexDamaged as error:  # found in a segment the commit was merging
                if not repair:
                    raise
                damage, rebuild = error.problems, True
        if rebuild:
            remembered = roots
            report = ReindexReport(full=True, sources=remembered)
            run = ReindexRun(roots, report, procs, progress, max_article_bytes, None)
            generation = new_generation(index_dir)
            try:
                run.apply(whoosh_index.open_dir(str(generation)), indexed={})
            except BaseException:
                shutil.rmtree(generation, ignore_errors=True)
                raise
        report.seconds = time.monotonic() - started
        report.documents = _document_count(generation)
        write_file_states(generation, run.file_states)
        write_meta(generation, _meta(remembered, report))
        if rebuild:
            report.replaced_damaged = keep_damaged(linked_generation(index_dir), damage)
            swap_current(index_dir, generation)
        else:
            remove_damaged(index_dir, keep=generation)
    return report


def union_sources(first: list[str], second: list[str]) -> list[str]:
    """Return the sources of both lists, in order, without repeats or sources inside others."""
    return outermost([*first, *second])


def outermost(roots: list[str]) -> list[str]:
    """Return roots in order without repeats and without any root lying inside another one
    (a file under a remembered directory would otherwise be read twice)."""
    unique = list(dict.fromkeys(roots))
    return [root for root in unique if not under_any(root, [other for other in unique if other != root])]


def file_state(source: SourceFile) -> list[int]:
    """Return what is recorded of a source file read whole: its size, its modification time, and the
    parser's version (a file read by an older parser is read again: what it holds may differ)."""
    return [source.size, source.mtime_ns, documents.PARSER_VERSION]


class ReindexRun:
    """One pass over the sources, streaming changed articles into a writer as they are read."""

    def __init__(self, roots: list[str], report: ReindexReport, procs: int, progress, max_bytes: int,
                 known_files: dict[str, list[int]] | None = None):
        """known_files: the file states recorded by the last reindex (None: read every file)."""
        self.roots = roots
        self.known_files = known_files
        self.file_states: dict[str, list[int]] = {}  # to record: files read whole, or skipped
        self.first_seen: dict[str, str] = {}
        self.by_origin: dict[str, list[str]] = {}
        self.started_ns = time.time_ns()
        self.report = report
        self.procs = procs
        self.progress = progress or (lambda phase, done, total: None)
        self.max_bytes = max_bytes
        self.writer = None
        self.pending: list[Article] = []
        self.deletions: list[str] = []
        # Where each indexed id is (global document numbers, read from the verified id column):
        # deleting by number reads no posting list (the term index is not checksummed before
        # an incremental reindex writes).  Empty for a rebuild and for other stores.
        self.docnums: dict[str, int | list[int]] = {}

    def apply(self, ix, indexed: dict[str, tuple[str, str]]) -> None:
        """Scan the sources, compare with the indexed state, and commit the differences."""
        self.ix = ix
        stats = ScanStats()
        first_seen = self.first_seen
        if self.known_files:
            for doc_id, (origin, _) in indexed.items():
                self.by_origin.setdefault(origin, []).append(doc_id)
        total = estimate_articles(self.roots, self._known_count)
        for item in scan_sources(self.roots, stats, self.max_bytes, skip=self._skip):
            if isinstance(item, Rejection):
                self.report.rejected.append(item)
            elif item.id in first_seen:
                self._reject_duplicate(item, first_seen[item.id])
            else:
                first_seen[item.id] = item.location
                self._compare(item, indexed.get(item.id))
            self.progress("index", len(first_seen), max(total, len(first_seen)))
        self.report.skipped_files = stats.skipped
        for rejection in self.report.rejected:  # read again next time, to report it again
            self.file_states.pop(os.path.abspath(rejection.path), None)
        for doc_id, (origin, _) in indexed.items():
            if doc_id not in first_seen and under_any(origin, self.roots):
                self.deletions.append(doc_id)
                self.report.deleted += 1
        self._commit()

    def _known_count(self, source: SourceFile) -> int | None:
        """Return how many articles a file held when last read, if it is unchanged since (else None)."""
        if self.known_files and self.known_files.get(source.origin) == file_state(source):
            return len(self.by_origin.get(source.origin, []))
        return None

    def _skip(self, source: SourceFile) -> bool:
        """Record a file's state; tell whether it can be left unread: its size and modification
        time are those recorded, and every article indexed from it is still its own."""
        state = file_state(source)
        if source.mtime_ns < self.started_ns - RECENT_NS:
            self.file_states[source.origin] = state
        if not self.known_files or self.known_files.get(source.origin) != state:
            return False
        ids = self.by_origin.get(source.origin, [])
        if not ids or any(doc_id in self.first_seen for doc_id in ids):
            return False  # read it: it may now hold duplicates of articles read before
        for doc_id in ids:
            self.first_seen[doc_id] = source.origin
        self.report.unchanged += len(ids)
        return True

    def open_writer(self, count: int):
        """Return a writer for count new articles (other stores override this)."""
        return open_writer(self.ix, count, self.procs)

    def _compare(self, article: Article, known: tuple[str, str] | None) -> None:
        """Queue an article that is new or changed; count it when unchanged."""
        if known is None:
            self.report.added += 1
        elif known[0] != article.origin and not under_any(known[0], self.roots):
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
                self._delete(writer, doc_id)
            for article in self.pending:
                writer.add_document(**article_fields(article))
            pause_point("index")
            self.progress("commit", 0, 0)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise


    def _delete(self, writer, doc_id: str) -> None:
        """Delete every indexed document of an id."""
        docnums = self.docnums.get(doc_id)
        if docnums is None:
            writer.delete_by_term("id", doc_id)
            return
        for docnum in docnums if isinstance(docnums, list) else [docnums]:
            writer.delete_document(docnum)


def under_any(path: str, roots: list[str]) -> bool:
    """Tell whether path is one of roots or lies below one of them."""
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _indexed_state(ix, docnums: dict[str, int | list[int]] | None = None) -> dict[str, tuple[str, str]]:
    """Return {id: (origin, content hash)} of every live document, read from columns.

    docnums, when given, receives each id's global document number (a list when an id is
    indexed more than once).
    """
    state = {}
    with ix.reader() as reader:
        for leaf, offset in reader.leaf_readers():
            ids = leaf.column_reader("id")
            origins = leaf.column_reader("origin")
            hashes = leaf.column_reader("content_hash")
            for docnum in leaf.all_doc_ids():
                doc_id = ids[docnum]
                state[doc_id] = (origins[docnum], hashes[docnum])
                if docnums is not None:
                    _add_docnum(docnums, doc_id, offset + docnum)
    return state


def _add_docnum(docnums: dict[str, int | list[int]], doc_id: str, docnum: int) -> None:
    """Record one more document number of an id."""
    known = docnums.get(doc_id)
    if known is None:
        docnums[doc_id] = docnum
    elif isinstance(known, list):
        known.append(docnum)
    else:
        docnums[doc_id] = [known, docnum]


def _document_count(generation: Path) -> int:
    """Return the number of live documents in a generation."""
    ix = whoosh_index.open_dir(str(generation))
    return ix.doc_count()


def _meta(sources: list[str], report: ReindexReport) -> dict:
    """Return the metadata to store with a generation after a reindex."""
    return {
        **index_format(),
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
