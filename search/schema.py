"""The index schema, declared once: fields, their analyzers, posting format and codec.

Whoosh pickles the field types, analyzers, format and codec into the index, so every class
named here must stay importable under the same name.  Changing what gets indexed means
bumping ``SCHEMA_VERSION``: a reindex then rebuilds the index instead of mixing the two.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from array import array
from collections import defaultdict
from itertools import groupby, pairwise
from operator import itemgetter

from whoosh import fields, multiproc
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3LeafMatcher, W3PostingsWriter
from whoosh.compat import dumps
from whoosh.formats import Format, tokens
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util.numeric import length_to_byte
from whoosh.writing import PostingPool, SegmentWriter

from search.faults import pause_point
from search.integrity import recording
from search.text import index_analyzer

SCHEMA_VERSION = 2
TEXT_FIELDS = ("title", "body")
PACKED_MAGIC = b"VNP1"
_PR_SET_PDEATHSIG = 1


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


class VietnameseText(fields.TEXT):
    """A text field analyzed into exact, folded and compound terms with packed positions."""

    def __init__(self, stored=True):
        super().__init__(analyzer=index_analyzer(), phrase=True, stored=stored)
        self.format = SyllablePositions()

    def index(self, value, **kwargs):
        """Yield (term as UTF-8, frequency, weight, packed positions) for each term of value."""
        kwargs.setdefault("mode", "index")
        for term, frequency, weight, positions in self.format.word_values(value, self.analyzer, **kwargs):
            yield term.encode("utf-8"), frequency, weight, positions


class VnCodec(W3Codec):
    """Whoosh's codec, minus per-posting length statistics and compression, with lean writers.

    vnsearch scores postings itself from the length columns, so Whoosh's block length
    statistics (a column lookup per posting at commit) are never read; uncompressed blocks
    make posting lists faster to read back at query time.  The file format is Whoosh's own.
    """

    length_stats = False

    def __init__(self, blocklimit=256, compression=0, inlinelimit=1):
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

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
        return VnPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


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

    def add_posting(self, id_, weight, vbytes, length=None):
        """Buffer one posting, writing the block out when it is full."""
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)

    def _write_block(self, last=False):
        """Write the buffered block: packed for text fields, Whoosh's pickles otherwise."""
        if not isinstance(self._format, SyllablePositions):
            return super()._write_block(last)
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        ids = self._ids
        counts = array("I", [len(v) >> 2 for v in self._values])
        data = PACKED_MAGIC + _little_endian(ids) + _little_endian(counts) + b"".join(self._values)
        info = dumps((len(ids), ids[-1], self._maxweight, 0, length_to_byte(self._minlength),
                      length_to_byte(self._maxlength)), 2)
        size = len(info) + len(data)
        self._postfile.write_int(-size if last else size)
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()
        return None


def _little_endian(numbers: array) -> bytes:
    """Return an array of uint32 as little-endian bytes."""
    if sys.byteorder == "big":
        numbers = array(numbers.typecode, numbers)
        numbers.byteswap()
    return numbers.tobytes()


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


class VnSegmentWriter(SegmentWriter):
    """Whoosh's segment writer with the lean posting pool."""

    def __init__(self, ix, limitmb=128, **kwargs):
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = LeanPostingPool(self._tempstorage, self.newsegment, limitmb=limitmb)

    def _commit_toc(self, segments):
        """Make the written segments visible (the table of contents is the commit point)."""
        pause_point("toc")
        segments = live_segments(segments)
        with recording(self, segments):
            super()._commit_toc(segments)


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


class VnMpWriter(MpWriter):
    """Whoosh's multi-process writer whose processes use VnSegmentWriter."""

    def __init__(self, ix, limitmb=128, **kwargs):
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = LeanPostingPool(self._tempstorage, self.newsegment, limitmb=limitmb)

    def _commit_toc(self, segments):
        """Make the written segments visible (the table of contents is the commit point)."""
        pause_point("toc")
        segments = live_segments(segments)
        with recording(self, segments):
            super()._commit_toc(segments)

    def _new_task(self):
        """Start one more writer process."""
        task = VnSubWriterTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
        )
        self.tasks.append(task)
        task.start()
        return task


def make_codec() -> VnCodec:
    """Return the codec every writer of a vnsearch index uses."""
    return VnCodec()


def make_schema() -> fields.Schema:
    """Return the schema of a vnsearch index."""
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        title=VietnameseText(),
        body=VietnameseText(),
        title_derived=fields.STORED(),
        category=fields.ID(stored=True, sortable=True),
        source=fields.ID(stored=True, sortable=True),
        portal=fields.STORED(),
        url=fields.STORED(),
        published=fields.STORED(),
        # Vietnam-time calendar day as YYYYMMDD (0 = no date): facets and date filters.
        day=fields.NUMERIC(numtype=int, bits=32, sortable=True, signed=False, default=0),
        # Seconds since the epoch (0 = no date, earlier dates clamped to 1): sorting by date.
        timestamp=fields.NUMERIC(numtype=int, bits=64, sortable=True, signed=False, default=0),
        # Where the article came from and a hash of its source text: incremental reindex.
        origin=fields.ID(stored=True, sortable=True),
        content_hash=fields.ID(stored=True, sortable=True),
    )
