"""Read an index generation as numpy arrays: posting lists, field lengths and facet columns.

Whoosh's matchers walk postings one at a time in Python.  The query engine instead reads a
term's whole posting list in one go (doc numbers, frequencies and packed positions, straight
from the Whoosh 3 block format) and scores, filters and counts with numpy.  Per-document
columns are loaded once per segment and reused while the segment lives.
"""

from __future__ import annotations

import io
import os
import pickle
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from search.schema import PACKED_MAGIC, TEXT_FIELDS, unpack_block

# Whoosh stores field lengths as one byte; this table turns the byte back into a length.
_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)
_BLOCK_MAGIC = b"W3Bl"
_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_FREQS = np.zeros(0, dtype=np.float32)
_EMPTY_POSITIONS = np.zeros(0, dtype=np.uint32)


@dataclass
class Postings:
    """A term's postings across the snapshot: doc numbers, frequencies and their positions.

    ``positions`` holds every posting's positions one after another; posting i's are
    ``positions[starts[i] : starts[i] + freqs[i]]``.
    """

    ids: np.ndarray
    freqs: np.ndarray
    all_positions: np.ndarray
    starts: np.ndarray

    @classmethod
    def empty(cls) -> Postings:
        """Return postings of a term that occurs nowhere."""
        return cls(_EMPTY_IDS, _EMPTY_FREQS, _EMPTY_POSITIONS, _EMPTY_IDS)

    @classmethod
    def join(cls, parts: list[Postings]) -> Postings:
        """Concatenate the postings of several segments (doc numbers already global)."""
        if len(parts) == 1:
            return parts[0]
        shifts = np.cumsum([0] + [len(p.all_positions) for p in parts[:-1]])
        return cls(
            np.concatenate([p.ids for p in parts]),
            np.concatenate([p.freqs for p in parts]),
            np.concatenate([p.all_positions for p in parts]),
            np.concatenate([p.starts + shift for p, shift in zip(parts, shifts)]),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (doc, position) arrays of every occurrence in the given posting rows."""
        counts = self.freqs[rows].astype(np.int64)
        total = int(counts.sum())
        first = np.repeat(self.starts[rows] - np.cumsum(counts) + counts, counts)
        positions = self.all_positions[first + np.arange(total)].astype(np.int64)
        return np.repeat(self.ids[rows], counts), positions


class SegmentData:
    """The per-document columns of one segment, as numpy arrays (loaded once)."""

    def __init__(self, leaf, storage_folder: str):
        count = leaf.doc_count_all()
        self.count = count
        self.deleted = np.zeros(count, dtype=bool)
        deleted = list(leaf.segment().deleted_docs())
        if deleted:
            self.deleted[deleted] = True
        self.lengths = {name: _lengths(leaf, name, count) for name in TEXT_FIELDS}
        self.day = _numeric_column(leaf, "day", count, ">u4")
        self.timestamp = _numeric_column(leaf, "timestamp", count, ">u8")
        self.category = _string_column(leaf, "category", count)
        self.source = _string_column(leaf, "source", count)
        self.title_syllables = _folded_syllables(leaf, "title")
        postings_path = Path(storage_folder) / leaf.segment().make_filename(W3Codec.POSTS_EXT)
        self.postings_fd = os.open(postings_path, os.O_RDONLY)

    def __del__(self):
        fd = getattr(self, "postings_fd", None)
        if fd is not None:
            os.close(fd)


def _lengths(leaf, fieldname: str, count: int) -> np.ndarray:
    """Return the indexed length of a text field in every document of a segment."""
    raw = _raw_column(leaf, f"_{fieldname}_len")
    codes = np.zeros(count, dtype=np.uint8)
    codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)[:count]
    return _BYTE_LENGTHS[codes]


def _numeric_column(leaf, fieldname: str, count: int, dtype: str) -> np.ndarray:
    """Return an unsigned numeric column of a segment (0 where a document has none)."""
    raw = _raw_column(leaf, fieldname)
    values = np.zeros(count, dtype=np.int64)
    stored = np.frombuffer(raw, dtype=dtype).astype(np.int64)[:count]
    values[: len(stored)] = stored
    return values


def _raw_column(leaf, fieldname: str) -> bytes:
    """Return the raw bytes of a fixed-width column file ('' when the segment has none)."""
    perdoc = leaf._perdoc
    if not perdoc.has_column(fieldname):
        return b""
    column_file, offset, length = perdoc._get_column_file(fieldname)
    try:
        return column_file.get(offset, length)
    finally:
        column_file.close()


def _folded_syllables(leaf, fieldname: str) -> dict[str, int]:
    """Return {folded syllable: document frequency} of a field in one segment."""
    syllables = {}
    for term, info in leaf.iter_field(fieldname):
        if term.isascii() and b"_" not in term:
            syllables[term.decode("ascii")] = info.doc_frequency()
    return syllables


def _string_column(leaf, fieldname: str, count: int) -> list[str]:
    """Return a string column of a segment, one value per document ('' when absent)."""
    return [value or "" for value in leaf.column_reader(fieldname)] if count else []


class Snapshot:
    """A consistent view of one index generation, shared by the threads of a process.

    Whoosh's readers seek in shared files, so every call into them holds ``lock``; posting
    blocks are read with pread() on the snapshot's own descriptors and decoded outside it.
    """

    def __init__(self, ix, cache: dict[str, SegmentData] | None = None):
        self.ix = ix
        self.folder = ix.storage.folder
        self.lock = threading.RLock()
        self.searcher = ix.searcher()
        self.reader = self.searcher.reader()
        self.leaves = self._load_leaves(cache if cache is not None else {})
        self._build_columns()
        self._title_syllables: list[tuple[str, int]] | None = None
        self.generation = ix.latest_generation()

    def _load_leaves(self, cache: dict[str, SegmentData]) -> list[tuple]:
        """Return [(leaf reader, doc offset, SegmentData)] reusing cached segments."""
        leaves = []
        for leaf, offset in self.reader.leaf_readers():
            key = _segment_key(self.folder, leaf)
            if key not in cache:
                cache[key] = SegmentData(leaf, self.folder)
            leaves.append((leaf, offset, cache[key]))
        self.segment_keys = {_segment_key(self.folder, leaf) for leaf, _, _ in leaves}
        return leaves

    def _build_columns(self) -> None:
        """Concatenate per-segment columns into snapshot-wide arrays."""
        datas = [data for _, _, data in self.leaves]
        self.doc_count = sum(d.count for d in datas)
        join = lambda arrays, dtype: np.concatenate(arrays) if arrays else np.zeros(0, dtype)  # noqa: E731
        self.live = ~join([d.deleted for d in datas], bool)
        self.live_count = int(self.live.sum())
        self.lengths = {name: join([d.lengths[name] for d in datas], np.float32) for name in TEXT_FIELDS}
        # At least 1: a corpus without titles (passages) must not divide zero by zero.
        self.average_length = {
            name: max(1.0, float(self.lengths[name][self.live].mean()) if self.live_count else 1.0)
            for name in TEXT_FIELDS
        }
        self.day = join([d.day for d in datas], np.int64)
        self.timestamp = join([d.timestamp for d in datas], np.int64)
        self.category_names, self.category = _codes([d.category for d in datas])
        self.source_names, self.source = _codes([d.source for d in datas])

    def postings(self, fieldname: str, term: str) -> Postings:
        """Return a term's postings in a field (deleted documents included)."""
        parts = [_read_postings(leaf, data, fieldname, term, offset, self.lock) for leaf, offset, data in self.leaves]
        parts = [p for p in parts if p is not None]
        return Postings.join(parts) if parts else Postings.empty()

    def doc_frequency(self, fieldname: str, term: str) -> int:
        """Return how many documents hold term in a field."""
        with self.lock:
            return self.reader.doc_frequency(fieldname, term)

    def stored(self, docnum: int) -> dict:
        """Return the stored fields of a document."""
        with self.lock:
            return self.searcher.stored_fields(int(docnum))

    def title_syllables(self) -> list[tuple[str, int]]:
        """Return every folded title syllable with its document frequency, sorted (built once)."""
        if self._title_syllables is None:
            merged: dict[str, int] = {}
            for _, _, data in self.leaves:
                for term, df in data.title_syllables.items():
                    merged[term] = merged.get(term, 0) + df
            self._title_syllables = sorted(merged.items())
        return self._title_syllables

    def document_number(self, doc_id: str) -> int | None:
        """Return the doc number of the live document with an id, or None."""
        with self.lock:
            return self.searcher.document_number(id=doc_id)

    def close(self) -> None:
        """Close the Whoosh searcher (its files); only once no request uses the snapshot."""
        with self.lock:
            self.searcher.close()

    def __del__(self):
        searcher = getattr(self, "searcher", None)
        if searcher is not None and not searcher.is_closed:
            searcher.close()

    def is_current(self) -> bool:
        """Tell whether the generation on disk is still the one this snapshot reads."""
        try:
            return whoosh_index.exists_in(self.folder) and self.ix.latest_generation() == self.generation
        except OSError:
            return False


def _segment_key(folder: str, leaf) -> str:
    """Return what identifies a segment's columns: its folder, id and deletion count."""
    segment = leaf.segment()
    return f"{folder}/{segment.segment_id()}/{segment.deleted_count()}"


def _codes(columns: list[list[str]]) -> tuple[list[str], np.ndarray]:
    """Turn string columns into (sorted distinct values, int code per document)."""
    values = [value for column in columns for value in column]
    names = sorted(set(values))
    index = {name: code for code, name in enumerate(names)}
    return names, np.fromiter((index[v] for v in values), dtype=np.int32, count=len(values))


def _read_postings(leaf, data: SegmentData, fieldname: str, term: str, offset: int, lock) -> Postings | None:
    """Return one segment's postings of a term, or None when the segment lacks it."""
    with lock:
        try:
            info = leaf._terms.term_info(fieldname, term.encode("utf-8"))
        except TermNotFound:
            return None
    if info.is_inlined():
        ids, weights, values = info.inlined_postings()
        return _from_lists(list(ids), list(weights), list(values), offset)
    start, length = info.extent()
    length = length[0] if isinstance(length, tuple) else length  # whoosh-reloaded 2.7.5 quirk
    return _decode_blocks(os.pread(data.postings_fd, length, start), offset)


def _from_lists(ids: list[int], freqs: list[float], values: list[bytes], offset: int) -> Postings:
    """Build postings from per-posting lists (Whoosh's pickled blocks, inlined postings)."""
    counts = np.array([len(v) >> 2 for v in values], dtype=np.int64)
    return Postings(
        np.array(ids, dtype=np.int64) + offset,
        np.array(freqs, dtype=np.float32),
        np.frombuffer(b"".join(values), dtype="<u4"),
        np.cumsum(counts) - counts,
    )


def _decode_blocks(buffer: bytes, offset: int) -> Postings:
    """Decode the blocks of one Whoosh 3 posting list (packed or pickled) into arrays."""
    if not buffer.startswith(_BLOCK_MAGIC):
        raise ValueError("not a Whoosh 3 posting list")
    view = memoryview(buffer)
    ids, counts, positions, legacy = [], [], [], []
    position = len(_BLOCK_MAGIC)
    while True:
        size = int.from_bytes(view[position : position + 4], "big", signed=True)
        block = view[position + 4 : position + 4 + abs(size)]
        stream = io.BytesIO(block)
        count, _last_id, _, compressed, _, _ = pickle.load(stream)
        payload = block[stream.tell() :]
        if payload[: len(PACKED_MAGIC)] == PACKED_MAGIC:
            block_ids, block_counts, block_positions = unpack_block(payload, count)
            ids.append(block_ids)
            counts.append(block_counts)
            positions.append(block_positions)
        else:
            legacy.append((pickle.loads(zlib.decompress(payload) if compressed else payload), count))
        position += 4 + abs(size)
        if size < 0:
            break
    if legacy:
        return _from_legacy(legacy, offset)
    counts_array = np.frombuffer(b"".join(counts), dtype="<u4").astype(np.int64)
    return Postings(
        np.frombuffer(b"".join(ids), dtype="<u4").astype(np.int64) + offset,
        counts_array.astype(np.float32),
        np.frombuffer(b"".join(positions), dtype="<u4"),
        np.cumsum(counts_array) - counts_array,
    )


def _from_legacy(blocks: list[tuple[tuple, int]], offset: int) -> Postings:
    """Decode Whoosh's pickled (delta ids, weights, values) blocks."""
    ids: list[int] = []
    freqs: list[float] = []
    values: list[bytes] = []
    for (deltas, weights, block_values), count in blocks:
        last = 0
        for delta in deltas:
            last += delta
            ids.append(last)
        if weights is None or isinstance(weights, float):
            freqs.extend([weights or 1.0] * count)
        else:
            freqs.extend(weights)
        values.extend(block_values or [b""] * count)
    return _from_lists(ids, freqs, values, offset)
