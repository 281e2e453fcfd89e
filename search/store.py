"""The index store on disk: generations, the ``current`` link, the writer lock, the metadata.

Layout of an index directory::

    index/
      current -> gen-20261126T093000-1234   symlink to the live generation (swapped atomically)
      gen-20261126T093000-1234/              a Whoosh index plus vnsearch.json (sources, stats, format)
      write.lock                             flock()ed by the one running reindex

An incremental reindex commits into the live generation (Whoosh readers keep their snapshot
until they refresh).  A rebuild writes a new generation beside it and swaps the symlink, so
searchers never see a half-built index.  flock() locks die with their process, so a killed
reindex never leaves a stale lock behind.  The metadata records the index format (schema
version, codec name, Whoosh version): an index of another format is rebuilt, never mixed.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index

from search.codec import CODEC_NAME, WHOOSH_VERSION
from search.faults import pause_point
from search.integrity import (
    META_FILE,
    Problem,
    WriteCheck,
    seal_meta,
    verify_for_writing,
    verify_generation,
    verify_meta,
)
from search.schema import SCHEMA_VERSION, make_schema

CURRENT_LINK = "current"
LOCK_FILE = "write.lock"
GENERATION_PREFIX = "gen-"
# The size and modification time of every source file whose articles are all indexed
# (search.index skips reading a file that still has them).
FILE_STATES = "source-files.json"
DAMAGED_FILE = "DAMAGED.txt"


class IndexError_(Exception):
    """Base class of the index errors a user can act on."""


class IndexBusy(IndexError_):
    """Another reindex holds the writer lock."""


class IndexMissing(IndexError_):
    """There is no index at the given directory yet."""


# The index format ---------------------------------------------------------------------


def index_format() -> dict:
    """Return what identifies the format this code writes, as recorded in the metadata."""
    return {"schema_version": SCHEMA_VERSION, "codec": CODEC_NAME, "whoosh_version": WHOOSH_VERSION}


def format_matches(meta: dict) -> bool:
    """Tell whether a generation's metadata records the format this code writes and reads."""
    return all(meta.get(key) == value for key, value in index_format().items())


# Generations ---------------------------------------------------------------------------


def current_generation(index_dir: str | Path) -> Path | None:
    """Return the live generation directory of an index, or None when there is none.

    A generation whose metadata records another format is none: Whoosh unpickles the schema
    and codec classes when it opens an index, and an older vnsearch's classes may no longer
    exist under their recorded names, so such an index is never opened, only rebuilt.
    """
    link = Path(index_dir) / CURRENT_LINK
    try:
        target = os.readlink(link)
    except OSError:
        return None
    path = Path(index_dir) / target
    if other_format(path):
        return None
    return path if whoosh_index.exists_in(path) else None


def other_format(generation: Path) -> bool:
    """Tell whether a generation's (readable) metadata records a format this code does not write."""
    meta = read_meta(generation)
    return "schema_version" in meta and not format_matches(meta)


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
    linked = linked_generation(index_dir)
    if generation is None and linked is not None and other_format(linked):
        raise IndexMissing(f"the index in {index_dir} was written by another version of vnsearch: "
                           f"run `vnsearch reindex --index {index_dir}` to rebuild it from its sources")
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


def write_meta(generation: Path, meta: dict) -> None:
    """Write a generation's metadata atomically."""
    temporary = generation / (META_FILE + ".tmp")
    temporary.write_text(json.dumps(seal_meta(meta), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, generation / META_FILE)


def read_file_states(generation: Path | None) -> dict[str, list[int]]:
    """Return {source file: [size, modification time in ns, parser version]} recorded at the last
    reindex ({} when absent or unreadable: every file is then read)."""
    if generation is None:
        return {}
    try:
        states = json.loads((generation / FILE_STATES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return states if isinstance(states, dict) else {}


def write_file_states(generation: Path, states: dict[str, list[int]]) -> None:
    """Record the size and modification time of the source files a reindex read, atomically."""
    temporary = generation / (FILE_STATES + ".tmp")
    temporary.write_text(json.dumps(states, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, generation / FILE_STATES)


def new_generation(index_dir: Path) -> Path:
    """Create and return an empty generation directory holding an empty index."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = index_dir / f"{GENERATION_PREFIX}{stamp}-{os.getpid()}"
    path.mkdir(parents=True)
    whoosh_index.create_in(str(path), make_schema())
    return path


def swap_current(index_dir: Path, generation: Path) -> None:
    """Point the current link at generation atomically, then drop generations no reader needs."""
    previous = linked_generation(index_dir)
    for leftover in index_dir.glob(f"{CURRENT_LINK}.*.tmp"):  # from a reindex killed mid-swap
        leftover.unlink()
    temporary = index_dir / f"{CURRENT_LINK}.{os.getpid()}.tmp"
    os.symlink(generation.name, temporary)
    pause_point("swap")
    os.replace(temporary, index_dir / CURRENT_LINK)
    fsync_dir(index_dir)
    keep = {generation.name, previous.name if previous else None}
    for stale in index_dir.glob(GENERATION_PREFIX + "*"):
        if stale.name not in keep:
            shutil.rmtree(stale, ignore_errors=True)


def fsync_dir(path: Path) -> None:
    """Flush a directory entry change to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Damaged generations --------------------------------------------------------------------


def live_damage(index_dir: Path) -> list[Problem]:
    """Return what is wrong with the live generation's files and metadata ([] when none or no index)."""
    folder = linked_generation(index_dir)
    if folder is None:
        return []
    return verify_generation(folder, "checksums")[1] + verify_meta(folder)


# The columns an incremental reindex reads in full to know what is indexed (``_indexed_state``).
READ_COLUMNS = ("id", "origin", "content_hash")
_READ_SUFFIXES = tuple(f".{column}.col" for column in READ_COLUMNS)


def damage_before_writing(index_dir: Path) -> tuple[list[Problem], WriteCheck]:
    """Return what is wrong with the files an incremental reindex relies on, and what was checked.

    Checksummed: the TOC, the metadata, the columns the reindex reads and every file changed
    since a reindex last checksummed it; the other files' sizes and first bytes are checked.
    The segments a commit merges are checksummed when merged (``search.writer``).
    """
    folder = linked_generation(index_dir)
    if folder is None:
        return [], WriteCheck()
    _manifest, problems, done = verify_for_writing(folder, lambda name: name.endswith(_READ_SUFFIXES))
    return problems + verify_meta(folder), done


def keep_damaged(generation: Path | None, damage: list[Problem]) -> str | None:
    """Mark a damaged generation being replaced, to be kept for inspection; return its name."""
    if generation is None or not damage:
        return None
    text = "".join(f"{problem}\n" for problem in damage)
    (generation / DAMAGED_FILE).write_text(text, encoding="utf-8")
    return generation.name


def remove_damaged(index_dir: Path, keep: Path) -> None:
    """Delete the damaged generations kept for inspection (a reindex has since succeeded)."""
    for marker in index_dir.glob(f"{GENERATION_PREFIX}*/{DAMAGED_FILE}"):
        if marker.parent != keep:
            shutil.rmtree(marker.parent, ignore_errors=True)


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
