"""Index writers: Whoosh's single- and multi-process writers, made lean and crash-safe.

``open_writer`` picks a single-process writer, or one that analyses articles in several
processes when there are enough of them.  Either writes with the vnsearch codec
(``search.codec``), buffers postings without Whoosh's per-posting type checks, drops
segments whose articles were all deleted, and pauses at ``toc`` for the crash tests.  Writer
processes die with their parent (Linux ``prctl``), so a killed reindex leaves none behind.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
from pathlib import Path

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import PostingPool, SegmentWriter

from search.codec import make_codec
from search.faults import pause_point
from search.integrity import IndexDamaged, recording, verify_segment
from search.merge import can_merge, merge_into

# Below this many new articles the parallel writer's process start-up costs more than it saves.
PARALLEL_MIN_ARTICLES = 400
WRITER_MEMORY_MB = 512
_PR_SET_PDEATHSIG = 1


class LeanPostingPool(PostingPool):
    """Whoosh's in-memory posting pool without its per-posting type checks."""

    def add(self, item):
        """Buffer one (field, term, docnum, weight, value) posting."""
        self.fieldnames.add(item[0])
        self.currentsize += 110 + len(item[1]) + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)


def live_segments(segments: list) -> list:
    """Return the segments that still hold a live document.

    Whoosh keeps a segment whose documents were all deleted until a merge picks it up, and
    every search pays for each segment (about a third more query time at 60k articles for 12
    segments against 2): a cron reindex that adds articles and later deletes them would
    otherwise leave empty segments behind.
    """
    return [segment for segment in segments if segment.doc_count() > 0]


class _LeanCommitting:
    """What both vnsearch writers add to Whoosh's: the lean pool, and commits without empty segments."""

    def __init__(self, ix, limitmb=128, **kwargs):
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = LeanPostingPool(self._tempstorage, self.newsegment, limitmb=limitmb)

    def add_reader(self, reader):
        """Copy a segment into this one (a merge), after checksumming its files in full.

        Damage in a merged segment would otherwise be copied into a new segment with a fresh
        checksum: the commit stops (IndexDamaged) and nothing is written.
        """
        segment = reader.segment() if hasattr(reader, "segment") else None
        if segment is not None:
            folder = Path(self.storage.folder)
            problems = verify_segment(folder, segment.segment_id())
            if problems:
                raise IndexDamaged(folder.parent, problems)
        super().add_reader(reader)

    def _commit_toc(self, segments):
        """Make the written segments visible (the table of contents is the commit point)."""
        pause_point("toc")
        segments = live_segments(_flat(segments))
        with recording(self, segments):
            super()._commit_toc(segments)


class VnSegmentWriter(_LeanCommitting, SegmentWriter):
    """Whoosh's segment writer with the lean posting pool."""


def _flat(segments: list) -> list:
    """Return segments with the lists handed back by writer processes (VnSubWriterTask) spread out."""
    return [s for item in segments for s in (item if isinstance(item, list) else [item])]


# A writer process closes its segment and starts another before its posting pool would spill:
# Whoosh sorts spilled runs back together in Python, one posting at a time, which made a
# 60k-article build a third slower per article than a 6k one.  At the end each process merges
# its segments into one in a single pass (merge_into), so a build still leaves one segment per
# process, the layout searches are fastest on.
SEGMENT_POOL_SHARE = 0.9


class VnSubWriterTask(SubWriterTask):
    """A parallel writer process that writes VnSegmentWriter segments of bounded size."""

    def run(self):
        """Index the job files handed to this process (in a forked child only)."""
        _die_with_parent(self._parent_pid)
        self.ix = self.storage.open_index(self.indexname)
        self.writer = self._new_writer()
        self.segments = []
        while self.running:
            jobinfo = self.jobqueue.get()
            if jobinfo is None:
                break
            self._process_file(*jobinfo)
        if not self.running:
            self.writer.cancel()
            return
        if self.writer._added:
            self.segments.append(self.writer._finalize_segment())
        else:
            self.writer._close_segment()
        # One result per process, as the parent expects; its commit spreads the list out (_flat).
        self.resultqueue.put((None, self.writer.pool.fieldnames, self._merged(self.segments)), timeout=5)

    def _merged(self, segments: list) -> list:
        """Return this process's segments merged into one (each process merges its own, in parallel)."""
        if not can_merge(segments, self.writer.schema):
            return segments
        merger = self._new_writer()
        merge_into(merger, segments)
        return [merger._finalize_segment()]

    def _process_file(self, filename, doc_count):
        """Index the articles of one job file, closing the segment whenever the pool is nearly full."""
        tempstorage = self.writer.temp_storage()
        with tempstorage.open_file(filename).raw_file() as handle:
            for _ in range(doc_count):
                _, fields = pickle.load(handle)
                self.writer.add_document(**fields)
                if self.writer.pool.currentsize > SEGMENT_POOL_SHARE * self.writer.pool.limit:
                    self.segments.append(self.writer._finalize_segment())
                    self.writer = self._new_writer()
        tempstorage.delete_file(filename)

    def _new_writer(self) -> VnSegmentWriter:
        """Return a writer of a new segment (the parent process holds the index lock)."""
        return VnSegmentWriter(self.ix, _lk=False, **self.kwargs)


def _die_with_parent(parent_pid: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux), as a reindex killed
    with SIGKILL must not leave writer processes behind holding the index's locks."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return  # not Linux: an orphaned writer then ends when its job queue breaks
    if os.getppid() != parent_pid:
        os._exit(1)  # the parent died before the request took effect


class VnMpWriter(_LeanCommitting, MpWriter):
    """Whoosh's multi-process writer whose processes use VnSegmentWriter."""

    def _new_task(self):
        """Start one more writer process."""
        task = VnSubWriterTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
        )
        self.tasks.append(task)
        task.start()
        return task


def open_writer(ix, count: int, procs: int):
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
