"""The vnsearch codec: everything that knows Whoosh's on-disk format, writing and reading.

Format name ``CODEC_NAME`` (versioned, as Lucene names a PostingsFormat): Whoosh 3's codec
(``whoosh.codec.whoosh3``) with uncompressed posting blocks, no per-block length statistics,
and text-field blocks packed for numpy.  A Whoosh 3 posting list is ``WHOOSH3_HEADER_MAGIC``
then blocks, each a signed big-endian int size (negative for the last block), a pickled info
tuple ``(count, last id, max weight, 0, min length byte, max length byte)`` and a payload.
The payload of a text-field block (``SyllablePositions``) is::

    PACKED_MAGIC | ids: uint32[count] | position counts: uint32[count] | positions: uint32[...]

all little-endian; other fields keep Whoosh's pickled ``(ids, weights, values)``.  Postings
of a term found in one document only are inlined in the term info (Whoosh's own).

Writing: ``VnCodec`` with ``VnFieldWriter`` and ``VnPostingsWriter``; reading with Whoosh's
matchers: ``VnLeafMatcher``; reading with numpy: ``read_postings`` (whole posting lists as
``Postings`` arrays) and the column readers (``field_lengths``, ``numeric_column``,
``string_column``, ``folded_syllables``).

The index metadata records ``CODEC_NAME`` and ``WHOOSH_VERSION``
(``search.store.index_format``); an index written with another of either is rebuilt by the
next reindex, as one of another ``SCHEMA_VERSION`` is.  Whoosh pickles the format and the
codec into the index: keep these classes here under these names, or bump SCHEMA_VERSION.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
import threading
import zlib
from array import array
from collections import defaultdict
from dataclasses import dataclass
from itertools import groupby, pairwise
from operator import itemgetter
from pathlib import Path

import numpy as np
import whoosh
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3LeafMatcher, W3PostingsWriter
from whoosh.compat import dumps
from whoosh.formats import Format, tokens
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length, length_to_byte

# Bump the number when the layout written here changes.
CODEC_NAME = "VnPacked1"
WHOOSH_VERSION = whoosh.versionstring()
PACKED_MAGIC = b"VNP1"
# A posting block's pickled header (six numbers, about 40 bytes) fits in this many bytes.
BLOCK_HEADER_BYTES = 256
# Postings per packed text-field block.  Searches decode whole posting lists, so a block only
# costs: each has a pickled info tuple and its own arrays to join (with 256, as Whoosh writes,
# the blocks' overhead was most of a common word's decoding).  Readers take blocks of any size:
# indexes written with smaller ones stay readable, and their merges write these.
PACKED_BLOCK_POSTINGS = 4096
# Whoosh stores field lengths as one byte; this table turns the byte back into a length.
_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)
_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_FREQS = np.zeros(0, dtype=np.float32)
_EMPTY_POSITIONS = np.zeros(0, dtype=np.uint32)


# Writing -----------------------------------------------------------------------------------


class SyllablePositions(Format):
    """Store each posting's token positions as packed unsigned 32-bit integers.

    Raw arrays (instead of Whoosh's pickled deltas) let the query engine join the positions
    of thousands of postings and test phrases with numpy, without a Python loop per posting.
    """

    def __init__(self, field_boost=1.0, **options):
        self.field_boost = field_boost
        self.options = options

    def word_values(self, value, analyzer, **kwargs):
        """Yield (term, frequency, weight, packed positions) for each term of value."""
        if isinstance(value, str) and hasattr(analyzer, "term_positions"):
            positions = analyzer.term_positions(value, kwargs.get("mode", "index"))
        else:
            positions = defaultdict(list)
            kwargs["positions"] = True
            for token in tokens(value, analyzer, kwargs):
                positions[token.text].append(token.pos)
        boost = self.field_boost
        for term, term_positions in positions.items():
            yield term, len(term_positions), len(term_positions) * boost, array("I", term_positions).tobytes()

    def decode_positions(self, valuestring):
        """Return the positions packed in a posting value."""
        return array("I", valuestring).tolist()

    def decode_frequency(self, valuestring):
        """Return how many positions a posting value holds."""
        return len(valuestring) // 4

    def decode_weight(self, valuestring):
        """Return a posting's weight: its frequency times the field boost."""
        return self.decode_frequency(valuestring) * self.field_boost

    def decode_position_boosts(self, valuestring):
        """Return (position, boost) pairs; every position has boost 1."""
        return [(pos, 1.0) for pos in self.decode_positions(valuestring)]

    def combine(self, valuestrings):
        """Merge several posting values into one."""
        merged = sorted({pos for v in valuestrings for pos in self.decode_positions(v)})
        return array("I", merged).tobytes()


class VnCodec(W3Codec):
    """Whoosh's codec, minus per-posting length statistics and compression, with lean writers.

    ``name`` is the format's versioned name, recorded in the index metadata.

    vnsearch scores postings itself from the length columns, so Whoosh's block length
    statistics (a column lookup per posting at commit) are never read; uncompressed blocks
    make posting lists faster to read back at query time.  The file format is Whoosh's own.
    """

    name = CODEC_NAME
    length_stats = False

    def __init__(self, blocklimit=256, compression=0, inlinelimit=1, packed_blocklimit=PACKED_BLOCK_POSTINGS):
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)
        self._packed_blocklimit = packed_blocklimit

    def field_writer(self, storage, segment):
        """Return the writer of a segment's terms and postings."""
        return VnFieldWriter(self, storage, segment)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        """Return a matcher over one posting list (packed or not)."""
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return VnLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

    def postings_writer(self, dbfile, byteids=False):
        """Return the writer of one field's posting lists."""
        writer = VnPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )
        # A codec unpickled from an index written before packed blocks had their own size lacks it.
        writer.packed_blocklimit = getattr(self, "_packed_blocklimit", PACKED_BLOCK_POSTINGS)
        return writer


class VnFieldWriter(W3FieldWriter):
    """Write sorted postings a whole term at a time (Whoosh's loop makes four calls a posting)."""

    def add_postings(self, schema, lengths, items):
        """Write (field, term, docnum, weight, value) items sorted by field, term and docnum."""
        current_field = None
        for (fieldname, term), postings in groupby(items, key=itemgetter(0, 1)):
            if fieldname != current_field:
                if current_field is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                current_field = fieldname
            self.start_term(term)
            add_posting = self._postwriter.add_posting
            for _, _, docnum, weight, value in postings:
                add_posting(docnum, weight, value or b"")
            self.finish_term()
        if current_field is not None:
            self.finish_field()


class VnPostingsWriter(W3PostingsWriter):
    """Whoosh's posting block writer, lean, writing text-field blocks as packed arrays.

    A Whoosh 3 block is an int length, a pickled info tuple and a pickled (ids, weights,
    values) tuple.  For SyllablePositions fields the last part is instead ``PACKED_MAGIC``,
    the doc numbers, the position counts and all positions, as little-endian uint32 arrays:
    numpy reads a block without unpickling hundreds of Python objects.  The framing and the
    info tuple are Whoosh's own, so Whoosh's matchers still walk the list (``VnLeafMatcher``).
    """

    packed_blocklimit = PACKED_BLOCK_POSTINGS

    def add_posting(self, id_, weight, vbytes, length=None):
        """Buffer one posting, writing the block out when it is full."""
        if len(self._ids) >= (self.packed_blocklimit if isinstance(self._format, SyllablePositions)
                              else self._blocklimit):
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)

    def add_packed(self, ids: np.ndarray, counts: np.ndarray, positions: np.ndarray) -> None:
        """Write a term's whole posting list of a text field, given as arrays, a block at a time.

        ids ascending, counts the number of positions of each posting, positions all of them
        one posting after another (uint32): what add_posting would write from the same postings.
        """
        boost = self._format.field_boost
        ends = np.cumsum(counts, dtype=np.int64)
        total = len(ids)
        limit = self.packed_blocklimit
        for begin in range(0, total, limit):
            end = min(begin + limit, total)
            block_counts = counts[begin:end].astype(np.uint32)
            self._ids = array("I", ids[begin:end].astype(np.uint32).tobytes())
            self._weights = array("f", (block_counts * boost).astype(np.float32).tobytes())
            self._maxweight = float(block_counts.max()) * boost
            first = int(ends[begin - 1]) if begin else 0
            block_positions = positions[first : int(ends[end - 1])].astype("<u4").tobytes()
            self._write_packed(array("I", block_counts.tobytes()), block_positions, last=end == total)

    def _write_block(self, last=False):
        """Write the buffered block: packed for text fields, Whoosh's pickles otherwise."""
        if not isinstance(self._format, SyllablePositions):
            return super()._write_block(last)
        counts = array("I", [len(v) >> 2 for v in self._values])
        self._write_packed(counts, b"".join(self._values), last)
        return None

    def _write_packed(self, counts: array, positions: bytes, last: bool) -> None:
        """Write the buffered block's ids with these position counts and positions, packed."""
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        ids = self._ids
        data = PACKED_MAGIC + _little_endian(ids) + _little_endian(counts) + positions
        info = dumps((len(ids), ids[-1], self._maxweight, 0, length_to_byte(self._minlength),
                      length_to_byte(self._maxlength)), 2)
        size = len(info) + len(data)
        self._postfile.write_int(-size if last else size)
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()


def _little_endian(numbers: array) -> bytes:
    """Return an array of uint32 as little-endian bytes."""
    if sys.byteorder == "big":
        numbers = array(numbers.typecode, numbers)
        numbers.byteswap()
    return numbers.tobytes()


def make_codec() -> VnCodec:
    """Return the codec every writer of a vnsearch index uses."""
    return VnCodec()


# Reading -----------------------------------------------------------------------------------


def unpack_block(data: bytes, count: int) -> tuple[memoryview, memoryview, memoryview]:
    """Split a packed block payload into its ids, counts and positions (little-endian uint32)."""
    view = memoryview(data)[len(PACKED_MAGIC) :]
    return view[: 4 * count], view[4 * count : 8 * count], view[8 * count :]


class VnLeafMatcher(W3LeafMatcher):
    """Whoosh's posting matcher, also reading packed text-field blocks."""

    def _read_data(self):
        """Load the current block, turning a packed payload into Whoosh's (ids, weights, values)."""
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        if not data.startswith(PACKED_MAGIC):
            return super()._read_data()
        ids, counts, positions = (array("I", bytes(part)) for part in unpack_block(data, self._blocklength))
        if sys.byteorder == "big":
            for part in (ids, counts, positions):
                part.byteswap()
        deltas = [ids[0]] + [b - a for a, b in pairwise(ids)]
        values, start = [], 0
        for n in counts:
            values.append(positions[start : start + n].tobytes())
            start += n
        self._data = (tuple(deltas), tuple(float(n) for n in counts), tuple(values))
        return None


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
        """Return the postings of several segments read as one (doc numbers already global)."""
        return parts[0] if len(parts) == 1 else JoinedPostings(parts)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        """Return the bytes its arrays hold."""
        return self.ids.nbytes + self.freqs.nbytes + self.all_positions.nbytes + self.starts.nbytes

    @property
    def position_count(self) -> int:
        """Return how many positions the postings hold (every occurrence of the term), without reading one."""
        return len(self.all_positions)

    def starts_of(self, rows: np.ndarray) -> np.ndarray:
        """Return ``starts[rows]``: where the given posting rows' positions begin."""
        return self.starts[rows]

    def shifted(self, offset: int) -> Postings:
        """Return these postings with offset added to every doc number (themselves when 0)."""
        return self if offset == 0 else Postings(self.ids + offset, self.freqs, self.all_positions, self.starts)

    def freeze(self) -> Postings:
        """Make the arrays read-only (postings shared between queries) and return self."""
        for values in (self.ids, self.freqs, self.all_positions, self.starts):
            values.flags.writeable = False
        return self

    def packed(self) -> PackedPostings:
        """Return these postings in the narrowest integer arrays that hold them exactly (the
        postings cache's form: ``PackedPostings``)."""
        return PackedPostings(self)

    def rows_of(self, docs: np.ndarray) -> np.ndarray:
        """Return the posting rows (ascending) of those of docs (distinct doc numbers) the term is in.

        A binary search per doc in the sorted ids: a query's few hundred top documents are
        looked up in a common word's thousands of postings without sorting them.  Docs more than a
        sixteenth of the postings (the candidates of a fragment of common words: thousands) are
        marked in a mask that each posting looks up instead, which costs less than sorting them.
        """
        if len(docs) * 16 >= len(self.ids) and len(self.ids):
            last = int(self.ids[-1])
            wanted = np.zeros(max(last, int(docs.max())) + 1, dtype=bool)
            wanted[docs] = True
            return np.flatnonzero(wanted[self.ids])
        wanted = np.sort(docs)
        found = np.searchsorted(self.ids, wanted)
        inside = found < len(self.ids)
        found = found[inside]
        return found[self.ids[found] == wanted[inside]]

    def positions(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (doc, position) arrays of every occurrence in the given posting rows."""
        counts = self.freqs[rows].astype(np.int64)
        total = int(counts.sum())
        first = np.repeat(self.starts_of(rows) - np.cumsum(counts) + counts, counts)
        positions = self.all_positions[first + np.arange(total)].astype(np.int64)
        return np.repeat(self.ids[rows], counts), positions

    def keys(self, rows: np.ndarray) -> np.ndarray:
        """Return ``doc << 32 | position`` of every occurrence in the given posting rows, in the order
        of ``positions`` (its two arrays in one, built without widening the positions apart)."""
        counts = self.freqs[rows].astype(np.int64)
        first = np.repeat(self.starts_of(rows) - np.cumsum(counts) + counts, counts)
        first += np.arange(len(first))
        keys = np.repeat(self.ids[rows] << 32, counts)
        keys |= self.all_positions[first]
        return keys


def occurrence_keys(postings: list[Postings], docs: np.ndarray) -> list[np.ndarray]:
    """Return, for each of postings, ``place << 32 | position`` of its occurrences in docs (distinct
    doc numbers, ascending), place being the doc's index in docs: what ``p.keys(p.rows_of(docs))``
    returns for each p with each doc number replaced by its place, in the same order (sorted).

    A long query's proximity reads the positions of dozens of terms in the same few hundred
    documents: the rows are still looked up term by term (segment by segment), but gathering
    their frequencies and starts and laying out the keys is done once for every term, not a
    dozen array operations per term and segment.
    """
    parts = [(which, part) for which, whole in enumerate(postings)
             for part in (whole.parts if isinstance(whole, JoinedPostings) else (whole,)) if len(part)]
    if not len(docs):
        parts = []
    # A part of few postings looks up each posting's doc in an array of each doc number's place in docs
    # (-1 elsewhere); a part of many searches each doc in its doc numbers.
    few = [len(docs) * 16 >= len(part) for _, part in parts]
    looked_up = iter(_looked_up([part for (_, part), small in zip(parts, few) if small], docs))
    pieces = []  # (which postings, part, rows of docs in it, their places in docs), each postings' parts in order
    for (which, part), small in zip(parts, few):
        if small:
            rows, places = next(looked_up)
        else:
            found = part.ids.searchsorted(docs)
            np.minimum(found, len(part.ids) - 1, out=found)
            places = np.flatnonzero(part.ids[found] == docs)
            rows = found[places]
        if len(rows):
            pieces.append((which, part, rows, places))
    if not pieces:
        return [_EMPTY_IDS.copy() for _ in postings]
    counts = np.concatenate([part.freqs[rows] for _, part, rows, _ in pieces]).astype(np.int64)
    # A part read for this query alone sums its counts up to the rows asked (``starts_of``), not over all.
    starts = np.concatenate([part.starts_of(rows).astype(np.int64, copy=False) for _, part, rows, _ in pieces])
    places = np.concatenate([places for _, _, _, places in pieces]).astype(np.int64)
    ends = np.cumsum(counts)
    first = np.repeat(starts - ends + counts, counts)
    first += np.arange(len(first))
    keys = np.repeat(places << 32, counts)
    # Where each piece's occurrences end in keys.
    bounds = np.concatenate(([0], ends[np.cumsum([len(rows) for _, _, rows, _ in pieces]) - 1])).tolist()
    spans: list[tuple[int, int]] = [(0, 0)] * len(postings)  # each postings' keys (its pieces follow each other)
    seen = set()
    for (which, part, _, _), start, end in zip(pieces, bounds[:-1], bounds[1:]):
        keys[start:end] |= part.all_positions[first[start:end]]
        spans[which] = (spans[which][0] if which in seen else start, end)
        seen.add(which)
    return [keys[start:end] for start, end in spans]


def _looked_up(parts: list[Postings], docs: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return, for each of parts, the rows of those of docs (distinct doc numbers, ascending) it holds
    and their places in docs: every part's doc numbers looked up at once in an array of each doc
    number's place (-1 elsewhere), not three array operations a part (a long query's proximity reads
    a hundred parts, most of a few hundred postings)."""
    if not parts:
        return []
    place_of = np.full(max(int(docs[-1]), *(int(part.ids[-1]) for part in parts)) + 1, -1, dtype=np.int32)
    place_of[docs] = np.arange(len(docs))
    looked = place_of[np.concatenate([part.ids for part in parts])]
    found = np.flatnonzero(looked >= 0)
    places = looked[found]
    bounds = np.cumsum([0] + [len(part) for part in parts])
    cuts = np.searchsorted(found, bounds).tolist()
    return [(found[start:end] - begin, places[start:end])
            for begin, start, end in zip(bounds[:-1].tolist(), cuts[:-1], cuts[1:])]


class _CountedStarts(Postings):
    """Postings whose frequencies are counts of positions and whose starts are their running sum,
    by construction (``decode_blocks``): packing them need not check it."""


class JoinedPostings(Postings):
    """Several segments' postings of a term as one: doc numbers and frequencies concatenated, the
    positions left in their segments' arrays and read from them for the rows asked.

    A common word's positions are most of its bytes (millions at 60,000 articles), and a query
    reads them only for its few hundred top documents: concatenating them for every query and
    term cost more than the query's ranking of a long pasted text.
    """

    def __init__(self, parts: list[Postings], ids: np.ndarray | None = None, freqs: np.ndarray | None = None):
        """Hold parts (not the dataclass's fields: the positions stay in the parts); ids and freqs, when
        given, are the parts' concatenated already (``PackedPostings.joined``)."""
        self.parts = parts
        self.ids = np.concatenate([p.ids for p in parts]) if ids is None else ids
        self.freqs = np.concatenate([p.freqs for p in parts]) if freqs is None else freqs
        self.bounds = np.cumsum([0] + [len(p) for p in parts])
        # Where each part's positions would begin if they were concatenated.
        self.position_bounds = np.cumsum([0] + [len(p.all_positions) for p in parts])
        self._starts: np.ndarray | None = None
        self._positions: np.ndarray | None = None

    @property
    def all_positions(self) -> np.ndarray:
        """Return every posting's positions one after another (concatenated when first asked)."""
        if self._positions is None:
            self._positions = np.concatenate([p.all_positions for p in self.parts])
        return self._positions

    @property
    def starts(self) -> np.ndarray:
        """Return where each posting's positions begin in ``all_positions`` (computed when first asked;
        one number a posting, not the positions)."""
        if self._starts is None:
            starts = np.concatenate([p.starts + shift for p, shift in zip(self.parts, self.position_bounds)])
            starts.flags.writeable = self.ids.flags.writeable  # read-only once shared (``freeze``)
            self._starts = starts
        return self._starts

    @property
    def position_count(self) -> int:
        """Return how many positions the parts hold (not concatenated)."""
        return int(self.position_bounds[-1])

    def starts_of(self, rows: np.ndarray) -> np.ndarray:
        """Return ``starts[rows]``: each part's for its rows (``starts_of``: postings read for one query
        sum their counts up to the rows asked), when the rows are ascending and the starts of every
        posting were not computed yet."""
        if self._starts is not None or not self.ids.flags.writeable or (rows[1:] <= rows[:-1]).any():
            return self.starts[rows]
        if not len(rows):
            return _EMPTY_IDS.copy()
        cuts = np.searchsorted(rows, self.bounds)
        return np.concatenate([part.starts_of(rows[start:end] - begin) + shift for part, begin, shift, start, end
                               in zip(self.parts, self.bounds[:-1], self.position_bounds[:-1], cuts[:-1], cuts[1:])])

    @property
    def nbytes(self) -> int:
        """Return the bytes its arrays hold (its parts' positions included), its own starts and its
        parts' counted as int64 whether they were asked for yet or not (they are computed then)."""
        return self.ids.nbytes + self.freqs.nbytes + sum(p.all_positions.nbytes for p in self.parts) + 16 * len(self)

    def shifted(self, offset: int) -> Postings:
        """Return these postings with offset added to every doc number (themselves when 0)."""
        return self if offset == 0 else JoinedPostings([p.shifted(offset) for p in self.parts])

    def freeze(self) -> Postings:
        """Make the arrays read-only and return self."""
        for values in (self.ids, self.freqs, self._starts):
            if values is not None:
                values.flags.writeable = False
        for part in self.parts:
            part.freeze()
        return self

    def positions(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (doc, position) arrays of every occurrence in the given posting rows, read from
        each segment's part (rows ascending, as ``rows_of`` returns them; any order otherwise)."""
        if len(rows) > 1 and (rows[1:] < rows[:-1]).any():
            return super().positions(rows)
        counts = self.freqs[rows].astype(np.int64)
        first = np.repeat(self.starts_of(rows) - np.cumsum(counts) + counts, counts)
        wanted = first + np.arange(len(first))  # ascending: the rows' positions in a concatenation
        cuts = np.searchsorted(wanted, self.position_bounds)
        places = [part.all_positions[wanted[start:end] - begin] for part, begin, start, end
                  in zip(self.parts, self.position_bounds[:-1], cuts[:-1], cuts[1:])]
        return np.repeat(self.ids[rows], counts), np.concatenate(places).astype(np.int64)

    def keys(self, rows: np.ndarray) -> np.ndarray:
        """Return ``doc << 32 | position`` of every occurrence in the given posting rows, each part's
        from its own positions and starts (rows ascending; any order otherwise, through the whole)."""
        if len(rows) > 1 and (rows[1:] < rows[:-1]).any():
            return super().keys(rows)
        cuts = np.searchsorted(rows, self.bounds)
        pieces = [part.keys(rows[start:end] - begin) for part, begin, start, end
                  in zip(self.parts, self.bounds[:-1], cuts[:-1], cuts[1:]) if end > start]
        return np.concatenate(pieces) if pieces else _EMPTY_IDS.copy()


# The integer types a cached array is narrowed to, narrowest first (the first that holds every value).
_NARROWER = (np.uint8, np.uint16, np.uint32)
# float32 holds every integer below this exactly (a frequency is a count of positions).
EXACT_IN_FLOAT32 = 2**24


def _narrowest(values: np.ndarray, smallest: int = 0) -> np.ndarray:
    """Return values in the narrowest unsigned integer type (from _NARROWER[smallest:]) whose
    values convert back to exactly the same ones, or values themselves when none does.

    Integers are narrowed by their least and greatest value (a type holding both holds every
    one); floats (frequencies) by a round trip, tried only in the types their greatest value fits."""
    if not len(values):
        return _round_trip_narrowest(values, smallest)
    low, high = values.min(), values.max()
    if low < 0:
        return values
    for at, dtype in enumerate(_NARROWER[smallest:], smallest):
        if values.dtype.kind in "ui" and values.dtype.itemsize <= np.dtype(dtype).itemsize:
            return values
        if high <= np.iinfo(dtype).max:
            return values.astype(dtype) if values.dtype.kind in "ui" else _round_trip_narrowest(values, at)
    return values


def _narrow_type(highest: int, smallest: int = 0) -> type:
    """Return the narrowest unsigned integer type of _NARROWER[smallest:] holding 0..highest."""
    return next(dtype for dtype in _NARROWER[smallest:] if highest <= np.iinfo(dtype).max)


def _round_trip_narrowest(values: np.ndarray, smallest: int = 0) -> np.ndarray:
    """Return ``_narrowest`` of values by trying each type: converted and back, the same values."""
    for dtype in _NARROWER[smallest:]:
        if values.dtype.itemsize <= np.dtype(dtype).itemsize and values.dtype.kind in "ui":
            return values
        with np.errstate(invalid="ignore"):  # a value the type cannot hold fails the round trip
            narrow = values.astype(dtype)
        if np.array_equal(narrow.astype(values.dtype), values):
            return narrow
    return values


class PackedPostings:
    """One segment's postings as the postings cache keeps them: the same numbers in the narrowest
    integer arrays that hold them exactly, unpacked into ``Postings`` when read.

    Decoded postings hold int64 doc numbers and position starts, float32 frequencies and uint32
    positions: 20 bytes a posting and 4 a position.  A segment's doc numbers fit in uint32, a
    frequency (a count of positions) in one or two bytes, an article's positions in two, and the
    starts are the frequencies' running sum: about half the bytes, so a budget holds twice the
    terms.  Unpacking gives back the decoder's arrays value for value and type for type (doc
    numbers, frequencies and starts copied, so they are the reader's own), except the positions,
    shared read-only in their narrow type: every reader takes them through ``Postings.positions``,
    which widens them to int64.
    """

    __slots__ = ("_types", "all_positions", "block_starts", "freqs", "ids", "starts")

    def __init__(self, postings: Postings):
        self._types = (postings.ids.dtype, postings.freqs.dtype, postings.starts.dtype)
        self.ids = _narrowest(postings.ids, 2)
        self.freqs = _narrowest(postings.freqs)
        self.all_positions = _narrowest(postings.all_positions, 1)
        counts = self.freqs.astype(np.int64)
        # Decoded postings' starts are their counts' running sum; their counts are the frequencies
        # exactly when they narrowed to an integer type and float32 holds each (below 2**24).
        counted = type(postings) is _CountedStarts and self.freqs.dtype.kind == "u"
        derived = len(counts) == 0 or (counted and int(counts.max()) < 2**24) or (
            np.array_equal(counts, postings.freqs) and np.array_equal(np.cumsum(counts) - counts, postings.starts))
        self.starts = None if derived else _narrowest(postings.starts, 2)
        # Every STARTS_BLOCK-th start of a long list whose starts are derived (a 64th of a 4-byte start a
        # posting): a few rows' starts are then summed from their block's, not from the first posting.
        long = self.starts is None and len(counts) >= BLOCK_STARTS_MIN
        self.block_starts = _narrowest(postings.starts[::STARTS_BLOCK], 2) if long else None

    @classmethod
    def from_arrays(cls, ids: np.ndarray, counts: np.ndarray, positions: list[np.ndarray],
                    positions_below: int | None = None) -> PackedPostings:
        """Return the packed form of decoded postings (``decode_blocks``) given their uint32 doc numbers,
        their counts of positions (each below ``EXACT_IN_FLOAT32``) and their positions in parts (one a block),
        without decoding them: the frequencies are the counts and the starts their running sum.
        positions_below: a bound every position is below, or None (then their greatest is found)."""
        packed = cls.__new__(cls)
        packed._types = (np.dtype(np.int64), np.dtype(np.float32), np.dtype(np.int64))
        packed.ids = ids
        packed.freqs = counts.astype(_narrow_type(int(counts.max())))
        # Every block holds a posting, and every posting a position.  Positions below a bound two bytes
        # hold are packed in two bytes without a pass over them to find their greatest (a sixth of
        # decoding a long list).
        if positions_below is not None and positions_below <= 2**16:
            positions_type = np.uint16
        else:
            positions_type = _narrow_type(max(int(part.max()) for part in positions), 1)
        packed.all_positions = np.concatenate(positions, dtype=positions_type)
        packed.starts = None
        packed.block_starts = None
        if len(counts) >= BLOCK_STARTS_MIN:
            sums = np.add.reduceat(counts, np.arange(0, len(counts), STARTS_BLOCK))
            packed.block_starts = _narrowest(np.cumsum(sums) - sums, 2)
        return packed

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        """Return the bytes its arrays hold."""
        return sum(values.nbytes for values in (self.ids, self.freqs, self.all_positions, self.starts,
                                                self.block_starts) if values is not None)

    def freeze(self) -> PackedPostings:
        """Make the arrays read-only (shared between queries) and return self."""
        for values in (self.ids, self.freqs, self.all_positions, self.starts, self.block_starts):
            if values is not None:
                values.flags.writeable = False
        return self

    def unpacked(self, offset: int = 0) -> Postings:
        """Return the postings, doc numbers shifted by offset (the starts computed when first asked:
        most terms a query reads serve for their documents and frequencies alone)."""
        ids_type, freqs_type, starts_type = self._types
        ids = np.add(self.ids, offset, dtype=ids_type) if ids_type.kind == "i" else self.ids.astype(ids_type) + offset
        freqs = self.freqs.astype(freqs_type)
        if self.starts is None:
            return _CountedPostings(ids, freqs, self.all_positions, self.freqs, starts_type, self.block_starts)
        return Postings(ids, freqs, self.all_positions, self.starts.astype(starts_type))


    @staticmethod
    def joined(packs: list[tuple[PackedPostings, int]]) -> Postings:
        """Return several segments' packed postings (each with its doc numbers' offset) unpacked and
        joined: what ``Postings.join`` gives of their ``unpacked(offset)``, the doc numbers and
        frequencies unpacked straight into the joined arrays (each part's are views of them)."""
        types = packs[0][0]._types
        if len(packs) == 1 or any(packed._types != types or types[0].kind != "i" for packed, _ in packs):
            return Postings.join([packed.unpacked(offset) for packed, offset in packs])
        ids_type, freqs_type, starts_type = types
        ids = np.empty(sum(len(packed) for packed, _ in packs), dtype=ids_type)
        freqs = np.empty(len(ids), dtype=freqs_type)
        parts, start = [], 0
        for packed, offset in packs:
            end = start + len(packed)
            part_ids, part_freqs = ids[start:end], freqs[start:end]
            np.add(packed.ids, offset, out=part_ids, dtype=ids_type)
            part_freqs[:] = packed.freqs
            parts.append(_CountedPostings(part_ids, part_freqs, packed.all_positions, packed.freqs, starts_type,
                                          packed.block_starts)
                         if packed.starts is None else
                         Postings(part_ids, part_freqs, packed.all_positions, packed.starts.astype(starts_type)))
            start = end
        return JoinedPostings(parts, ids, freqs)


_FIRST_ROW = np.zeros(1, dtype=np.int64)
# A packed list of this many postings or more keeps every STARTS_BLOCK-th start (``PackedPostings``).
BLOCK_STARTS_MIN = 4096
STARTS_BLOCK = 64


def _starts_from_blocks(counts: np.ndarray, block_starts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Return the starts of rows (ascending) of postings of counts: each row's block's start (block_starts:
    every ``STARTS_BLOCK``-th start) plus the counts before it in its block (fewer than STARTS_BLOCK
    each), as int64.  A common word's few hundred rows among its hundreds of thousands of postings
    at 600,000 articles: reduceat sums every count up to the last row."""
    blocks = rows // STARTS_BLOCK
    firsts = blocks * STARTS_BLOCK
    lengths = rows - firsts
    ends = np.cumsum(lengths)
    # The postings counted: each row's block from its first posting up to the row, one after another.
    counted = np.repeat(firsts - ends + lengths, lengths) + np.arange(int(ends[-1]))
    sums = np.concatenate((_FIRST_ROW, np.cumsum(counts[counted], dtype=np.int64)))
    return block_starts[blocks].astype(np.int64) + (sums[ends] - sums[ends - lengths])


# A one-query list sums its counts between the rows asked when they are fewer than its postings over
# this, else takes the running sum of all of them (``_CountedPostings.starts_of``).
SUMMED_APART = 32


class _CountedPostings(Postings):
    """Postings whose starts are their counts' running sum, computed when first asked."""

    def __init__(self, ids: np.ndarray, freqs: np.ndarray, all_positions: np.ndarray, counts: np.ndarray,
                 starts_type: np.dtype, block_starts: np.ndarray | None = None):
        """Hold the arrays (not the dataclass's fields: the starts are a property); block_starts, when
        given, are every ``STARTS_BLOCK``-th start (``PackedPostings``)."""
        self.ids, self.freqs, self.all_positions = ids, freqs, all_positions
        self._counts, self._starts_type, self._block_starts = counts, starts_type, block_starts
        self._starts: np.ndarray | None = None

    @property
    def starts(self) -> np.ndarray:
        """Return where each posting's positions begin in ``all_positions``."""
        if self._starts is None:
            counts = self._counts.astype(np.int64)
            starts = (np.cumsum(counts) - counts).astype(self._starts_type, copy=False)
            starts.flags.writeable = self.ids.flags.writeable  # read-only once shared (``freeze``)
            self._starts = starts
        return self._starts

    def starts_of(self, rows: np.ndarray) -> np.ndarray:
        """Return ``starts[rows]`` (as int64).

        Postings read for one query (not shared between queries: their arrays writeable, not frozen
        for the postings cache) sum their counts up to the rows asked, in one pass over the narrow
        counts, instead of the running sum of every posting: a common word's few rows among
        hundreds of thousands of postings at 600,000 articles.  Shared postings compute their starts
        once and keep them.

        Rows of more than a ``SUMMED_APART``-th of the postings (the together tier reads the anchor
        word's positions in every candidate: a third of a common word's postings) take the running
        sum of every count in 32 bits instead: reduceat's cost per span then outgrows a pass over the
        counts (600,000 postings, 200,000 rows: 2.9 against 0.5 ms).
        """
        if self._starts is not None or not self.ids.flags.writeable or (rows[1:] <= rows[:-1]).any():
            return self.starts[rows].astype(np.int64, copy=False)
        if not len(rows):
            return _EMPTY_IDS.copy()
        if len(rows) * SUMMED_APART >= len(self._counts):
            # Every start is below the count of positions, so 32 bits hold the sums when it does.
            running = np.cumsum(self._counts, dtype=np.int32 if self.position_count < 2**31 else np.int64)
            return (running[rows] - self._counts[rows]).astype(np.int64)
        if self._block_starts is not None and len(rows) * STARTS_BLOCK * 2 < len(self._counts):
            return _starts_from_blocks(self._counts, self._block_starts, rows)
        sums = np.add.reduceat(self._counts, np.concatenate((_FIRST_ROW, rows)), dtype=np.int64)
        if rows[0] == 0:
            sums[0] = 0  # reduceat gives the first count for an empty span
        return np.cumsum(sums[:-1])

    def freeze(self) -> _CountedPostings:
        """Make the arrays read-only (the starts when computed: they are made so when they are) and
        return self."""
        for values in (self.ids, self.freqs, self.all_positions, self._starts):
            if values is not None:
                values.flags.writeable = False
        return self


def open_postings(leaf, storage_folder: str) -> int:
    """Return a read-only descriptor of a segment's postings file (for os.pread)."""
    return os.open(Path(storage_folder) / leaf.segment().make_filename(W3Codec.POSTS_EXT), os.O_RDONLY)


def read_postings(leaf, postings_fd: int, fieldname: str, term: str, offset: int, lock) -> Postings | None:
    """Return one segment's postings of a term (doc numbers shifted by offset), or None.

    The term lookup holds lock (Whoosh's readers seek in shared files); the posting list is
    read with pread() on postings_fd and decoded outside it.
    """
    info = term_info(leaf, fieldname, term, lock)
    return None if info is None else postings_of_info(info, postings_fd, offset)


def term_info(leaf, fieldname: str, term: str, lock):
    """Return a term's Whoosh term info in a segment, or None (looked up holding lock)."""
    with lock:
        try:
            return leaf._terms.term_info(fieldname, term.encode("utf-8"))
        except TermNotFound:
            return None


def postings_of_info(info, postings_fd: int, offset: int) -> Postings:
    """Return the postings a term info points to (doc numbers shifted by offset)."""
    if info.is_inlined():
        ids, weights, values = info.inlined_postings()
        return _from_lists(list(ids), list(weights), list(values), offset)
    return decode_blocks(_list_bytes(info, postings_fd), offset)


def _list_bytes(info, postings_fd: int) -> bytes:
    """Return the bytes of the posting list (not inlined) a term info points to."""
    start, length = _extent(info)
    return os.pread(postings_fd, length, start)


def _extent(info) -> tuple[int, int]:
    """Return (offset, length) in the posting file of the list (not inlined) a term info points to."""
    start, length = info.extent()
    return start, length[0] if isinstance(length, tuple) else length  # whoosh-reloaded 2.7.5 quirk


# Each thread reads the posting lists it decodes for the postings cache into a buffer of its own,
# kept between reads (``_list_view``): a new bytes object for each list is fresh memory the kernel
# maps and zeroes page by page, half of what reading a long list cost at 600,000 articles.  A list
# longer than READ_BUFFER_MAX is read into a bytes object of its own, which is then dropped.
READ_BUFFER_MAX = 64 << 20
_READ_BUFFERS = threading.local()


def _list_view(info, postings_fd: int) -> memoryview:
    """Return the bytes of the posting list (not inlined) a term info points to, as a view of this
    thread's read buffer: valid until the thread's next read, so the caller copies what it keeps."""
    start, length = _extent(info)
    if length > READ_BUFFER_MAX:
        return memoryview(os.pread(postings_fd, length, start))
    buffer = getattr(_READ_BUFFERS, "buffer", None)
    if buffer is None or len(buffer) < length:
        buffer = _READ_BUFFERS.buffer = bytearray(min(READ_BUFFER_MAX, max(length, 2 * len(buffer or b""))))
    view = memoryview(buffer)[:length]
    return view[: os.preadv(postings_fd, [view], start)]  # short at the file's end, as pread is


def _from_lists(ids: list[int], freqs: list[float], values: list[bytes], offset: int) -> Postings:
    """Build postings from per-posting lists (Whoosh's pickled blocks, inlined postings)."""
    counts = np.array([len(v) >> 2 for v in values], dtype=np.int64)
    return Postings(
        np.array(ids, dtype=np.int64) + offset,
        np.array(freqs, dtype=np.float32),
        np.frombuffer(b"".join(values), dtype="<u4"),
        np.cumsum(counts) - counts,
    )


def decode_blocks(buffer: bytes, offset: int) -> Postings:
    """Decode the blocks of one Whoosh 3 posting list (packed or pickled) into arrays."""
    packed, legacy = _blocks(buffer)
    if legacy:
        return _from_legacy(legacy, offset)
    counts_array = np.frombuffer(b"".join(counts for _, counts, _ in packed), dtype="<u4").astype(np.int64)
    ids_array = np.frombuffer(b"".join(ids for ids, _, _ in packed), dtype="<u4").astype(np.int64)
    if offset:
        ids_array += offset  # in place: the array is this list's own (a cached list is read at 0)
    return _CountedStarts(
        ids_array,
        counts_array.astype(np.float32),
        np.frombuffer(b"".join(positions for _, _, positions in packed), dtype="<u4"),
        np.cumsum(counts_array) - counts_array,
    )


def packed_of_info(info, postings_fd: int, positions_below: int | None = None) -> PackedPostings:
    """Return the postings a term info points to as the postings cache keeps them (doc numbers the
    segment's own): ``postings_of_info(info, postings_fd, 0).packed()``, value for value and type
    for type, decoded from the file's packed blocks straight into the narrow arrays.

    Decoding into int64 doc numbers, float32 frequencies, int64 starts and joined uint32 positions,
    then narrowing each again (a pass for each bound and a copy), was a third of a long query's page
    at 600,000 articles, where the postings cache cannot keep what such a query reads.
    positions_below: a bound every position of the list is below (``SegmentData.positions_below``), or None.
    """
    if info.is_inlined():
        return postings_of_info(info, postings_fd, 0).packed()
    return packed_of_blocks(_list_view(info, postings_fd), positions_below)


def packed_of_blocks(buffer: bytes | memoryview, positions_below: int | None = None) -> PackedPostings:
    """Return ``decode_blocks(buffer, 0).packed()``, decoded from packed blocks straight into it
    (positions_below: a bound every position is below, sparing a pass over them, or None)."""
    packed, legacy = _blocks(buffer)
    if legacy:  # Whoosh's pickled blocks (a list written before text-field blocks were packed)
        return decode_blocks(buffer, 0).packed()
    counts = _concatenated([counts for _, counts, _ in packed], np.uint32)
    # A frequency float32 cannot hold exactly (never seen: 2**24 positions in one article) is packed
    # the general way, which keeps the starts and checks the frequencies.
    if int(counts.max()) >= EXACT_IN_FLOAT32:
        return decode_blocks(buffer, 0).packed()
    return PackedPostings.from_arrays(
        ids=_concatenated([ids for ids, _, _ in packed], np.uint32),
        counts=counts,
        positions=[np.frombuffer(positions, dtype="<u4") for _, _, positions in packed],
        positions_below=positions_below,
    )


def _concatenated(parts: list[memoryview], dtype) -> np.ndarray:
    """Return little-endian uint32 arrays' parts as one new array of dtype (native byte order)."""
    return np.concatenate([np.frombuffer(part, dtype="<u4") for part in parts], dtype=dtype)


def _blocks(buffer: bytes | memoryview) -> tuple[list[tuple[memoryview, memoryview, memoryview]],
                                                list[tuple[tuple, int]]]:
    """Split one Whoosh 3 posting list into its packed blocks' (ids, counts, positions) and its
    pickled blocks' (unpickled payload, count)."""
    view = memoryview(buffer)
    if view[: len(WHOOSH3_HEADER_MAGIC)] != WHOOSH3_HEADER_MAGIC:
        raise ValueError("not a Whoosh 3 posting list")
    packed, legacy = [], []
    position = len(WHOOSH3_HEADER_MAGIC)
    while True:
        size = int.from_bytes(view[position : position + 4], "big", signed=True)
        block = view[position + 4 : position + 4 + abs(size)]
        (count, _, _, compressed, _, _), header_size = _block_header(block)
        payload = block[header_size:]
        if payload[: len(PACKED_MAGIC)] == PACKED_MAGIC:
            packed.append(unpack_block(payload, count))
        else:
            legacy.append((pickle.loads(zlib.decompress(payload) if compressed else payload), count))
        position += 4 + abs(size)
        if size < 0:
            return packed, legacy


def _block_header(block: memoryview) -> tuple[tuple, int]:
    """Return a posting block's pickled header (a tuple of six numbers) and its size in bytes.

    It is unpickled from the block's first ``BLOCK_HEADER_BYTES``: a stream over the whole block
    copied it, positions and all, a quarter of decoding a common word's list at 600,000 articles.
    """
    stream = io.BytesIO(block[:BLOCK_HEADER_BYTES])
    try:
        header = pickle.load(stream)
    except (EOFError, pickle.UnpicklingError):  # a header longer than any written: over the whole block
        stream = io.BytesIO(block)
        header = pickle.load(stream)
    return header, stream.tell()


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


# Columns -----------------------------------------------------------------------------------


def field_lengths(leaf, fieldname: str, count: int) -> np.ndarray:
    """Return the indexed length of a text field in every document of a segment."""
    raw = _raw_column(leaf, f"_{fieldname}_len")
    codes = np.zeros(count, dtype=np.uint8)
    codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)[:count]
    return _BYTE_LENGTHS[codes]


def numeric_column(leaf, fieldname: str, count: int, dtype: str) -> np.ndarray:
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


def folded_syllables(leaf, fieldname: str) -> dict[str, int]:
    """Return {folded syllable: document frequency} of a field in one segment."""
    syllables = {}
    for term, info in leaf.iter_field(fieldname):
        if term.isalnum():  # ASCII letters and digits: not a compound, nor a number with separators
            syllables[term.decode("ascii")] = info.doc_frequency()
    return syllables


def string_column(leaf, fieldname: str, count: int) -> list[str]:
    """Return a string column of a segment, one value per document ('' when absent)."""
    return [value or "" for value in leaf.column_reader(fieldname)] if count else []
