"""Index integrity: checksums recorded at every commit, verified on open and on demand.

Whoosh's table of contents ``_MAIN_N.toc`` is a generation's commit point: it names the live
segments, whose files are never changed once written (a commit adds segment files, and a
merge writes new ones and deletes the old).  Just before a commit renames its TOC into place,
the writer records ``checksums-N.json`` beside it: the size, first bytes and CRC32 of the TOC
and of every file of every live segment (entries of files an earlier commit wrote are carried
over, never recomputed, so damage to them cannot be blessed).  ``vnsearch.json`` carries a
CRC32 of its own content.

Verification, given a generation directory, reports a ``Problem`` per damaged file:

* ``quick``: every recorded file exists with its recorded size and first bytes, the recorded
  TOC is the latest one (a stat and an 8-byte read per file);
* ``checksums``: the quick checks, then the CRC32 of every file.

``Verifier`` is what a server holds: it checksums a file once and afterwards only compares
its size, modification time and inode, so a refresh costs a stat per file and only files
that are new or changed are read again.

A reindex, before it writes, verifies what it must (``verify_for_writing``): the TOC, the
columns it reads to know what is indexed, and every file changed since the last reindex
checksummed it, in full; every other file at the quick level.  What a reindex checksums, and
what a commit wrote and checksummed, is remembered in ``verified.json`` (each file's size,
modification and change times and inode): a file that still has them was not written since.
The segments a commit merges are checksummed in full just before they are read
(``verify_segment``): their content is copied into a new segment with a fresh checksum, so
damage there must stop the commit.
Files left out are never blessed: their recorded checksums are carried over unchanged, and
``vnsearch check`` and every server worker's first opening checksum them all.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import re
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

MANIFEST_PREFIX = "checksums-"
MANIFEST_FORMAT = 1
META_FILE = "vnsearch.json"
META_CHECKSUM = "checksum"
HEAD_BYTES = 8
VERIFIED_FILE = "verified.json"
# A file changed this recently may change again within its timestamps' granularity (the kernel
# stamps files with a coarse clock): its signature is not remembered as verified, so the next
# reindex checksums it again.
SETTLED_NS = 2_000_000_000
CRC_SLICE_BYTES = 64 * 1024 * 1024  # a multiple of the page size: madvise needs aligned starts
_TOC_RE = re.compile(r"^_(\w+?)_(\d+)\.toc$")
_MANIFEST_RE = re.compile(rf"^{MANIFEST_PREFIX}(\d+)\.json$")


@dataclass(frozen=True)
class Problem:
    """What is wrong with one file of an index (``kind`` says which check failed)."""

    file: str
    kind: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.problem}"

    def to_dict(self) -> dict:
        """Return the problem as a JSON object."""
        return asdict(self)


class IndexDamaged(Exception):
    """The live generation of an index failed its checks."""

    def __init__(self, index_dir: str | Path, problems: list[Problem]):
        self.index_dir = str(index_dir)
        self.problems = problems
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        shown = "; ".join(str(p) for p in problems[:5]) + more
        super().__init__(f"the index in {index_dir} is damaged: {shown}")


# Recording at commit time ---------------------------------------------------------------


def file_record(path: Path) -> dict:
    """Return the size, first bytes and CRC32 of a file."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            return {"size": 0, "head": "", "crc32": f"{zlib.crc32(b''):08x}"}
        # Mapped, the file is checksummed in place: about twice as fast as reading it in chunks.
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return {"size": len(mapped), "head": mapped[:HEAD_BYTES].hex(), "crc32": f"{_mapped_crc32(mapped):08x}"}


def _mapped_crc32(mapped: mmap.mmap) -> int:
    """Return the CRC32 of a mapped file, letting go of each slice's pages once read."""
    # A whole-file pass keeps every page of the file in the process's resident set: at 600k
    # articles the largest segment file (3.2 GB) made checksumming the peak of a reindex.
    crc = 0
    with memoryview(mapped) as whole:
        for start in range(0, len(mapped), CRC_SLICE_BYTES):
            length = min(CRC_SLICE_BYTES, len(mapped) - start)
            crc = zlib.crc32(whole[start : start + length], crc)
            mapped.madvise(mmap.MADV_DONTNEED, start, length)
    return crc


def manifest_name(toc_generation: int) -> str:
    """Return the file name of the checksums of one commit."""
    return f"{MANIFEST_PREFIX}{toc_generation}.json"


def segment_files(folder: Path, segment_ids: list[str]) -> list[str]:
    """Return the names of the files of the given segments (ids like MAIN_x) in a generation directory."""
    prefixes = tuple(f"{segment_id}." for segment_id in segment_ids)
    return sorted(name for name in os.listdir(folder) if name.startswith(prefixes))


def write_manifest(folder: Path, toc_generation: int, toc_name: str, toc_path: Path, names: list[str],
                   segments: dict[str, int]) -> None:
    """Record the checksums of a commit's files (toc_path: the TOC before its rename)."""
    previous = read_manifest(folder, toc_generation - 1) or {}
    known = previous.get("files", {})
    files: dict[str, dict] = {}
    # The new files' signatures, taken before reading them; not those changed in the last 2 s.
    checksummed: dict[str, list[int]] = {}
    for name in names:
        if known.get(name):
            files[name] = known[name]
        else:
            settled_before = time.time_ns() - SETTLED_NS
            signature = file_signature(folder / name)
            files[name] = file_record(folder / name)
            if signature is not None and max(signature[1], signature[2]) < settled_before:
                checksummed[name] = signature
    files[toc_name] = file_record(toc_path)
    manifest = {"format": MANIFEST_FORMAT, "toc": toc_name, "segments": segments, "files": files}
    temporary = folder / (manifest_name(toc_generation) + ".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=0)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, folder / manifest_name(toc_generation))
    remember_checksummed(folder, checksummed, set(files))


def remember_checksummed(folder: Path, signatures: dict[str, list[int]], live: set[str]) -> None:
    """Remember files just checksummed as verified, forgetting files no longer live: the next
    reindex reads them no more than a stat."""
    entries = {name: value for name, value in read_verified(folder).items() if name in live}
    entries.update(signatures)
    if entries or (folder / VERIFIED_FILE).exists():
        write_verified(folder, entries)


@contextmanager
def recording(writer, segments: list) -> Iterator[None]:
    """Record a commit's checksums while the writer commits segments (call around _commit_toc).

    The manifest is written when Whoosh renames the finished TOC into place, just before the
    rename: a commit that is visible always has its checksums.
    """
    storage = writer.storage
    folder = Path(storage.folder)
    toc_name = f"_{writer.indexname}_{writer.generation}.toc"
    ids = [segment.segment_id() for segment in segments]
    doc_counts = {segment.segment_id(): segment.doc_count_all() for segment in segments}
    rename = storage.rename_file

    def record_then_rename(source: str, target: str, safe: bool = False):
        if target == toc_name:
            names = segment_files(folder, ids)
            write_manifest(folder, writer.generation, toc_name, folder / source, names, doc_counts)
        return rename(source, target, safe=safe)

    storage.rename_file = record_then_rename
    try:
        yield
    finally:
        del storage.rename_file  # the instance attribute hid the class's method
    remove_old_manifests(folder, writer.generation)


def remove_old_manifests(folder: Path, toc_generation: int) -> None:
    """Delete the checksums of commits before toc_generation (their TOCs are gone)."""
    for name in os.listdir(folder):
        match = _MANIFEST_RE.match(name)
        if match and int(match.group(1)) < toc_generation:
            with contextlib.suppress(OSError):  # another writer's cleanup got there first
                os.unlink(folder / name)


def seal_meta(meta: dict) -> dict:
    """Return the metadata with a CRC32 of its content added (checked by ``verify_meta``)."""
    content = {key: value for key, value in meta.items() if key != META_CHECKSUM}
    return {**content, META_CHECKSUM: _meta_crc(content)}


def _meta_crc(content: dict) -> str:
    """Return the CRC32 of metadata content in a canonical JSON form."""
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return f"{zlib.crc32(canonical.encode('utf-8')):08x}"


# Verification ---------------------------------------------------------------------------


def latest_toc(folder: Path) -> tuple[int, str] | None:
    """Return (generation, file name) of the latest TOC in a directory, or None."""
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    tocs = [(int(m.group(2)), name) for name in names if (m := _TOC_RE.match(name))]
    return max(tocs) if tocs else None


def read_manifest(folder: Path, toc_generation: int) -> dict | None:
    """Return the checksums recorded by one commit, None when there are none.

    Raises ValueError when the file is there but unreadable.
    """
    try:
        text = (folder / manifest_name(toc_generation)).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    manifest = json.loads(text)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise ValueError("not a checksums file")
    return manifest


def newest_manifest(folder: Path) -> int | None:
    """Return the generation of the newest checksums file in a directory, or None."""
    generations = [int(m.group(1)) for name in os.listdir(folder) if (m := _MANIFEST_RE.match(name))]
    return max(generations) if generations else None


def load_live_manifest(folder: Path) -> tuple[dict | None, list[Problem]]:
    """Return the checksums of a generation's last commit and the problems finding them.

    (None, []) means the last commit has no checksums (a generation written before vnsearch
    recorded them).  A writer committing meanwhile deletes the older checksums: the lookup
    is then retried.
    """
    for _attempt in range(3):
        toc = latest_toc(folder)
        if toc is None:
            recorded = newest_manifest(folder) if folder.is_dir() else None
            if recorded is None:
                return None, [Problem(folder.name, "missing", "no commit point (_MAIN_*.toc) in this generation")]
            missing = "the commit point (table of contents) is missing"
            return None, [Problem(f"_MAIN_{recorded}.toc", "missing", missing)]
        try:
            manifest = read_manifest(folder, toc[0])
        except (OSError, ValueError) as error:
            return None, [Problem(manifest_name(toc[0]), "unreadable", f"checksums unreadable ({error})")]
        if manifest is not None or latest_toc(folder) == toc:
            return manifest, []
    return None, []


def check_file(path: Path, record: dict, level: str) -> Problem | None:
    """Return what is wrong with one file against its record (None when it matches)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES).hex()
    except FileNotFoundError:
        return Problem(path.name, "missing", "file missing")
    except OSError as error:
        return Problem(path.name, "unreadable", f"cannot be read ({error.strerror or error})")
    if size != record["size"]:
        cut = " (truncated)" if size < record["size"] else ""
        return Problem(path.name, "size", f"{size} bytes, {record['size']} recorded at commit{cut}")
    if head != record["head"]:
        return Problem(path.name, "header", f"header {head}, {record['head']} recorded at commit")
    if level == "checksums":
        return _check_crc(path, record)
    return None


def _check_crc(path: Path, record: dict) -> Problem | None:
    """Return a problem when a file's CRC32 differs from the recorded one."""
    try:
        actual = file_record(path)["crc32"]
    except OSError as error:
        return Problem(path.name, "unreadable", f"cannot be read ({error.strerror or error})")
    if actual != record["crc32"]:
        changed = f"CRC32 {actual}, {record['crc32']} recorded at commit (contents changed)"
        return Problem(path.name, "checksum", changed)
    return None


def verify_meta(folder: Path) -> list[Problem]:
    """Return the problems of a generation's metadata file (none for metadata without a checksum)."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [Problem(META_FILE, "missing", "file missing (remembered sources and statistics)")]
    except (OSError, ValueError) as error:
        return [Problem(META_FILE, "unreadable", f"not readable JSON ({error})")]
    if not isinstance(meta, dict):
        return [Problem(META_FILE, "unreadable", "not a JSON object")]
    unsealed = {k: v for k, v in meta.items() if k != META_CHECKSUM}
    if META_CHECKSUM in meta and _meta_crc(unsealed) != meta[META_CHECKSUM]:
        return [Problem(META_FILE, "checksum", "content differs from its recorded CRC32")]
    return []


def verify_generation(folder: Path, level: str = "checksums") -> tuple[dict | None, list[Problem]]:
    """Verify a generation's files at a level (quick or checksums); return (manifest, problems)."""
    return unless_committed_meanwhile(folder, lambda: _verify_once(folder, level))


def _verify_once(folder: Path, level: str) -> tuple[dict | None, list[Problem]]:
    """Verify the files of a generation's last commit once."""
    manifest, problems = load_live_manifest(folder)
    if manifest is not None:
        for name, record in sorted(manifest["files"].items()):
            problem = check_file(folder / name, record, level)
            if problem:
                problems.append(problem)
    return manifest, problems


def unless_committed_meanwhile(folder: Path, verify):
    """Return verify()'s result, verifying again when a commit came while it ran and it found problems.

    A commit that merges segments deletes their files just after its TOC is in place: a
    verification of the previous commit would find them missing, which is no damage.
    """
    for _attempt in range(3):
        before = latest_toc(folder)
        result = verify()
        problems = result[1] if isinstance(result, tuple) else result
        if not problems or latest_toc(folder) == before:
            return result
    return result


# Verification before a reindex writes ----------------------------------------------------


@dataclass
class WriteCheck:
    """What ``verify_for_writing`` did: files checksummed (and their bytes), files only stat'ed."""

    checksummed: int = 0
    checksummed_bytes: int = 0
    quick: int = 0


def verify_for_writing(folder: Path, always: Callable[[str], bool]) -> tuple[dict | None, list[Problem], WriteCheck]:
    """Verify a generation before a reindex writes to it; return (manifest, problems, what was done).

    Checksummed in full: every file for which always(name) is true (what the reindex reads),
    the TOC, and every file whose signature (size, modification and change times, inode)
    differs from the one remembered when a reindex last checksummed it; the other files get the
    quick checks (size and first bytes).  Remembers the signatures of the files that passed
    (``verified.json``; those changed in the last 2 seconds excepted).
    """
    return unless_committed_meanwhile(folder, lambda: _verify_for_writing_once(folder, always))


def _verify_for_writing_once(folder: Path, always) -> tuple[dict | None, list[Problem], WriteCheck]:
    """Verify a generation before writing, once."""
    manifest, problems = load_live_manifest(folder)
    done = WriteCheck()
    if manifest is None:
        return manifest, problems, done
    known = read_verified(folder)
    settled_before = time.time_ns() - SETTLED_NS
    verified: dict[str, list[int]] = {}
    for name, record in sorted(manifest["files"].items()):
        path = folder / name
        signature = file_signature(path)  # before reading: a write during the check changes it
        trusted = (signature is not None and known.get(name) == signature and not always(name)
                   and not _TOC_RE.match(name))
        problem = check_file(path, record, "quick" if trusted else "checksums")
        if trusted:
            done.quick += 1
        else:
            done.checksummed += 1
            done.checksummed_bytes += record["size"]
        if problem:
            problems.append(problem)
        elif signature is not None and max(signature[1], signature[2]) < settled_before:
            verified[name] = signature
    if verified != known:
        write_verified(folder, verified)
    return manifest, problems, done


def verify_segment(folder: Path, segment_id: str) -> list[Problem]:
    """Checksum every recorded file of one segment of a generation's last commit.

    [] when the segment is not in the last commit's checksums (written by this writer, or an
    index written before checksums were recorded).
    """
    manifest, problems = load_live_manifest(folder)
    prefix = f"{segment_id}."
    for name, record in sorted((manifest or {}).get("files", {}).items()):
        if name.startswith(prefix):
            problem = check_file(folder / name, record, "checksums")
            if problem:
                problems.append(problem)
    return problems


def file_signature(path: Path) -> list[int] | None:
    """Return what changes whenever a file is written or replaced: size, mtime, ctime, inode."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def read_verified(folder: Path) -> dict[str, list[int]]:
    """Return the signatures of the files a reindex last checksummed ({} when unknown or unreadable)."""
    try:
        entries = json.loads((folder / VERIFIED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {name: value for name, value in entries.items() if isinstance(value, list)}


def write_verified(folder: Path, entries: dict[str, list[int]]) -> None:
    """Remember the signatures of the files found sound (a lost or torn file only costs checksums)."""
    temporary = folder / (VERIFIED_FILE + ".tmp")
    with contextlib.suppress(OSError):  # a read-only index is verified in full every time
        temporary.write_text(json.dumps(entries, sort_keys=True), encoding="utf-8")
        os.replace(temporary, folder / VERIFIED_FILE)


class Verifier:
    """Verify a live generation repeatedly, reading each unchanged file only once.

    A file whose checksum matched is remembered with its size, modification time and inode;
    later calls only stat it.  Anything written to a file changes its modification time, so
    it is read and checksummed again.
    """

    def __init__(self):
        self._verified: dict[Path, tuple[int, int, int]] = {}

    def problems(self, folder: Path) -> list[Problem]:
        """Return what is wrong with the generation in folder (checksumming new or changed files)."""
        return unless_committed_meanwhile(folder, lambda: self._problems_once(folder))

    def _problems_once(self, folder: Path) -> list[Problem]:
        """Verify the generation's last commit once."""
        manifest, problems = load_live_manifest(folder)
        verified: dict[Path, tuple[int, int, int]] = {}
        problems += self._check(folder / META_FILE, lambda path: next(iter(verify_meta(path.parent)), None), verified)
        for name, record in sorted((manifest or {}).get("files", {}).items()):
            check = lambda path, record=record: check_file(path, record, "checksums")  # noqa: E731
            problems += self._check(folder / name, check, verified)
        self._verified = verified
        return problems

    def _check(self, path: Path, check, verified: dict) -> list[Problem]:
        """Run check(path) unless the file is unchanged since it last passed; remember it passing."""
        signature = _signature(path)
        if signature is None or self._verified.get(path) != signature:
            problem = check(path)
            if problem:
                return [problem]
        if signature is not None:
            verified[path] = signature
        return []

    def forget(self) -> None:
        """Forget every verified file: the next call checksums everything again."""
        self._verified = {}


def _signature(path: Path) -> tuple[int, int, int] | None:
    """Return what changes when a file is written or replaced: size, mtime and inode."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ino
