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
import signal

from whoosh import multiproc
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import PostingPool, SegmentWriter

from search.codec import make_codec
from search.faults import pause_point
from search.integrity import recording

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

    def _commit_toc(self, segments):
        """Make the written segments visible (the table of contents is the commit point)."""
        pause_point("toc")
        segments = live_segments(segments)
        with recording(self, segments):
            super()._commit_toc(segments)


class VnSegmentWriter(_LeanCommitting, SegmentWriter):
    """Whoosh's segment writer with the lean posting pool."""


class VnSubWriterTask(SubWriterTask):
    """A parallel writer process that writes with VnSegmentWriter."""

    def run(self):
        """Index the job files handed to this process (in a forked child only)."""
        _die_with_parent(self._parent_pid)
        # Whoosh's task builds a plain SegmentWriter by name; in this child process only,
        # point that name at ours.
        multiproc.SegmentWriter = VnSegmentWriter
        super().run()


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
