"""Read an index generation as numpy arrays: posting lists, field lengths and facet columns.

Whoosh's matchers walk postings one at a time in Python.  The query engine instead reads a
term's whole posting list in one go (doc numbers, frequencies and packed positions, decoded
by ``search.codec``) and scores, filters and counts with numpy.  Per-document
columns are loaded once per segment and reused while the segment lives.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import numpy as np
from whoosh import index as whoosh_index

from search.codec import (
    JoinedPostings,
    PackedPostings,
    Postings,
    field_lengths,
    folded_syllables,
    numeric_column,
    open_postings,
    packed_of_info,
    postings_of_info,
    read_postings,
    string_column,
    term_info,
)
from search.schema import TEXT_FIELDS


class TermHashes:
    """The hashes of every term of a field of one segment, sorted: a term whose hash is not among
    them is not in the segment, found without Whoosh's term table (a hash-table walk in Python,
    ~10 us a lookup).  Most terms a heavy query looks up are missing: its words' compounds,
    typo candidates, words no article holds.
    """

    def __init__(self, terms):
        self.hashes = np.unique(np.fromiter((hash(term) for term in terms), dtype=np.int64))

    def may_hold(self, term: bytes) -> bool:
        """Tell whether the field may hold term (False: it certainly does not)."""
        return self.holds_hash(hash(term))

    def holds_hash(self, wanted: int) -> bool:
        """Tell whether the field may hold a term of this hash (False: it certainly does not)."""
        at = int(np.searchsorted(self.hashes, wanted))
        return at < len(self.hashes) and int(self.hashes[at]) == wanted


class PostingsCache:
    """Decoded posting lists of a process's segments, and the per-term scores computed from them,
    kept within a byte budget: the most recently read, and those read most often lately.

    At 600,000 articles decoding a common word's postings is most of what a query costs, and
    the words readers type follow Zipf's law: the few that cost most are the ones every other
    query reads again.  Postings are keyed by segment, so a reindex keeps those of the segments
    it did not change; their doc numbers are the segment's own (shifted on use), and a snapshot
    of a large index keeps them packed (``PackedPostings``: half the bytes).  Scores are
    keyed by snapshot (``Snapshot.cache_key``): they depend on every segment's statistics.

    What a query reads first enters a window of the most recently read (its next page and a
    refresh read it again); what leaves the window stays only if it was read more often lately
    than the least recently used entries it would evict (W-TinyLFU's admission).  Evicting the
    least recently used alone, a stream of long questions reading more than the budget evicted
    every list before anything read it again, the common words' included.
    """

    # What an entry costs beside its arrays (the key, the dict slot, the Postings object).
    ENTRY_OVERHEAD = 400
    # Statistics (a phrase's count of articles: a few bytes that cost a scan of the positions of
    # every article holding its words) are kept apart, in at most this share of the budget, so that
    # the postings and scores a long query reads (hundreds of kilobytes a term) never evict them.
    STATISTICS_SHARE = 1 / 64
    # The window's share of the budget: enough for what a long question reads (bench/README.md,
    # "The postings cache's admission").
    WINDOW_SHARE = 1 / 4
    # Reads counted between two halvings of every count: what was read often long ago counts less.
    AGING_READS = 100_000

    def __init__(self, budget_bytes: int):
        self.budget = budget_bytes
        self.size = 0
        self.statistics_size = 0
        self.window_size = 0
        self._window: OrderedDict[tuple, Postings | tuple] = OrderedDict()
        self._entries: OrderedDict[tuple, Postings | tuple] = OrderedDict()
        self._statistics: OrderedDict[tuple, tuple] = OrderedDict()
        # How often each key was asked for lately (``get``), every count halved each ``AGING_READS`` reads.
        self._reads: dict[tuple, int] = {}
        self._read_count = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> Postings | None:
        """Return the cached postings of (segment key, field, term), or None."""
        with self._lock:
            value = self._window.get(key)
            if value is not None:  # read again soon after: the window's job, not counted
                self._window.move_to_end(key)
                return value
            self._count_read(key)
            for entries in (self._entries, self._statistics):
                value = entries.get(key)
                if value is not None:
                    entries.move_to_end(key)
                    return value
            return None

    def put(self, key: tuple, value: Postings | tuple, statistic: bool = False) -> None:
        """Keep postings or a tuple of arrays (made read-only) in the window, or a statistic among
        the statistics (evicted by statistics alone while they stay within their share of the
        budget), then bring the window and the whole back within their budgets."""
        cost = _cost(value)
        if cost > (self.budget * self.STATISTICS_SHARE if statistic else self.budget):
            return
        with self._lock:
            if key in self._window or key in self._entries or key in self._statistics:
                return
            (self._statistics if statistic else self._window)[key] = _frozen(value)
            self.size += cost
            self.statistics_size += cost if statistic else 0
            self.window_size += 0 if statistic else cost
            while self.statistics_size > self.budget * self.STATISTICS_SHARE:
                self._evict(self._statistics)
            while self.window_size > self.budget * self.WINDOW_SHARE:
                self._leave_window()
            while self.size > self.budget:
                self._evict(next(entries for entries in (self._entries, self._window, self._statistics) if entries))

    def _count_read(self, key: tuple) -> None:
        """Count a read of key, halving every count once ``AGING_READS`` reads were counted (the lock held)."""
        self._reads[key] = self._reads.get(key, 0) + 1
        self._read_count += 1
        if self._read_count >= self.AGING_READS:
            self._reads = {read: count >> 1 for read, count in self._reads.items() if count > 1}
            self._read_count = 0

    def _leave_window(self) -> None:
        """Move the window's least recently used entry to the rest, or drop it when the entries it
        would evict there were read as often as it lately (the lock held)."""
        key, value = self._window.popitem(last=False)
        cost = _cost(value)
        self.window_size -= cost
        if self._admits(key):
            self._entries[key] = value
        else:
            self.size -= cost

    def _admits(self, key: tuple) -> bool:
        """Tell whether key (counted in the size, out of the window) earns the room of the least
        recently used entries beyond the budget: each read less often lately (the lock held)."""
        wanted = self.size - self.budget
        reads = self._reads.get(key, 0) - 1  # before the read that missed it
        victims = []
        for victim, value in self._entries.items():
            if wanted <= 0:
                break
            if self._reads.get(victim, 0) >= reads:
                return False
            victims.append(victim)
            wanted -= _cost(value)
        for victim in victims:
            self._drop(self._entries, victim)
        return True

    def _evict(self, entries: OrderedDict) -> None:
        """Drop the least recently used of entries (the lock held)."""
        self._drop(entries, next(iter(entries)))

    def _drop(self, entries: OrderedDict, key: tuple) -> None:
        """Drop key from entries and its bytes from every size that counts them (the lock held)."""
        cost = _cost(entries.pop(key))
        self.size -= cost
        if entries is self._statistics:
            self.statistics_size -= cost
        if entries is self._window:
            self.window_size -= cost

    def keep_only(self, segment_keys: set[str]) -> None:
        """Drop the entries of segments no longer read (merged away or with new deletions)."""
        with self._lock:
            for entries in (self._window, self._entries, self._statistics):
                for key in [key for key in entries if key[0] not in segment_keys]:
                    self._drop(entries, key)

    def keys(self) -> list[tuple]:
        """Return the keys held: postings and scores (those admitted past the window, then the window's;
        least recently used first), then statistics."""
        with self._lock:
            return [*self._entries, *self._window, *self._statistics]

    def __len__(self) -> int:
        return len(self._window) + len(self._entries) + len(self._statistics)


def _cost(value: Postings | PackedPostings | tuple) -> int:
    """Return the bytes a cache entry holds, its overhead included."""
    packed = isinstance(value, (Postings, PackedPostings))
    arrays = value.nbytes if packed else sum(getattr(v, "nbytes", 8) for v in value)
    return arrays + PostingsCache.ENTRY_OVERHEAD


def _frozen(value: Postings | PackedPostings | tuple) -> Postings | PackedPostings | tuple:
    """Return value with its arrays made read-only (entries are shared between queries)."""
    if isinstance(value, (Postings, PackedPostings)):
        return value.freeze()
    for item in value:
        if isinstance(item, np.ndarray):
            item.flags.writeable = False
    return value


# Terms whose segments (``Snapshot._holding``) and document counts (``Snapshot.doc_frequency``) a snapshot
# keeps: a list of a few leaves, or a number, each.
HELD_TERMS = 50_000
# Term infos a segment keeps (``SegmentData.term_info``): a few hundred bytes each.
TERM_INFOS = 20_000
_UNKNOWN = object()


class SegmentData:
    """The per-document columns of one segment, as numpy arrays (loaded once)."""

    def __init__(self, leaf, storage_folder: str):
        count = leaf.doc_count_all()
        self.key = _segment_key(storage_folder, leaf)
        self.count = count
        self.deleted = np.zeros(count, dtype=bool)
        deleted = list(leaf.segment().deleted_docs())
        if deleted:
            self.deleted[deleted] = True
        self.lengths = {name: field_lengths(leaf, name, count) for name in TEXT_FIELDS}
        # Every position of a text field's postings is below its longest document's length: a
        # position counts the field's syllables, each of which adds at least one to its length,
        # and a stored length only rounds up.  Decoding a posting list then spares a pass over
        # its positions to find the type that holds them (``PackedPostings.from_arrays``).
        self.positions_below = {name: int(self.lengths[name].max()) for name in TEXT_FIELDS}
        self.day = numeric_column(leaf, "day", count, ">u4")
        self.timestamp = numeric_column(leaf, "timestamp", count, ">u8")
        self.category = string_column(leaf, "category", count)
        self.source = string_column(leaf, "source", count)
        self.title_syllables = folded_syllables(leaf, "title")
        self.terms = {name: TermHashes(leaf.lexicon(name)) for name in TEXT_FIELDS}
        self.postings_fd = open_postings(leaf, storage_folder)
        self.postings_bytes = os.fstat(self.postings_fd).st_size
        self._infos: dict[tuple[str, str], object] = {}

    def term_info(self, leaf, fieldname: str, term: str, lock):
        """Return a term's Whoosh term info in this segment (None: not in it), looked up in Whoosh's
        term table (a hash-table walk in Python, under lock) once while kept: a long query asks for
        the articles holding each of its words before it reads them, and the common words of every
        long query are the same ones.  At most ``TERM_INFOS`` are kept (then the lot is dropped)."""
        key = (fieldname, term)
        info = self._infos.get(key, _UNKNOWN)
        if info is _UNKNOWN:
            info = term_info(leaf, fieldname, term, lock)
            if len(self._infos) >= TERM_INFOS:
                self._infos.clear()
            self._infos[key] = info
        return info

    def __del__(self):
        fd = getattr(self, "postings_fd", None)
        if fd is not None:
            os.close(fd)


# The postings cache keeps a segment's postings packed (``PackedPostings``: about half the bytes,
# unpacked on every read) when the index's posting files hold more than this share of its budget;
# a smaller index's decoded postings all fit as they are, and are read without a copy.
PACKED_ABOVE = 0.5
# A term held by several segments is also kept joined for the snapshot (``Snapshot.postings``) when
# the index's posting files are at most this share of the budget: then the terms a process reads
# fit joined beside their segments' entries (a 6,000-article index: 67 MB of files, the 300 title
# fragments' pages hold 89 MB of entries with them).  A larger index's pages would cycle through
# twice the bytes without a hit (60,000 articles with the default 256 MB: 1.57x a page's CPU).
JOINED_WITHIN = 1.0


class Snapshot:
    """A consistent view of one index generation, shared by the threads of a process.

    Whoosh's readers seek in shared files, so every call into them holds ``lock``; posting
    blocks are read with pread() on the snapshot's own descriptors and decoded outside it.
    """

    def __init__(self, ix, cache: dict[str, SegmentData] | None = None, postings_cache: PostingsCache | None = None):
        self.ix = ix
        self.postings_cache = postings_cache
        self.folder = ix.storage.folder
        self.lock = threading.RLock()
        self.searcher = ix.searcher()
        self.reader = self.searcher.reader()
        self.leaves = self._load_leaves(cache if cache is not None else {})
        self._open_stored_columns()
        self._build_columns()
        self._title_syllables: list[tuple[str, int]] | None = None
        self._held: dict[tuple[str, str], list[tuple]] = {}  # the leaves that may hold a term (``_holding``)
        self._frequencies: dict[tuple[str, str], int] = {}  # each term's document count (``doc_frequency``)
        # Packed only when the index's postings could crowd the cache (unpacking costs a copy).
        budget = postings_cache.budget if postings_cache is not None else 0
        self.packs_postings = sum(data.postings_bytes for _, _, data in self.leaves) > PACKED_ABOVE * budget
        self.keeps_joined = (postings_cache is not None
                             and sum(data.postings_bytes for _, _, data in self.leaves) <= JOINED_WITHIN * budget)
        self.generation = ix.latest_generation()
        # What identifies this snapshot's statistics among the postings cache's entries.
        self.cache_key = f"{self.folder}@{self.generation}"

    def _load_leaves(self, cache: dict[str, SegmentData]) -> list[tuple]:
        """Return [(leaf reader, doc offset, SegmentData)] reusing cached segments."""
        leaves = []
        for leaf, offset in self.reader.leaf_readers():
            if leaf.segment() is None:  # Whoosh's reader of an index holding no segment (0 articles)
                continue
            key = _segment_key(self.folder, leaf)
            if key not in cache:
                cache[key] = SegmentData(leaf, self.folder)
            leaves.append((leaf, offset, cache[key]))
        self.segment_keys = {_segment_key(self.folder, leaf) for leaf, _, _ in leaves}
        return leaves

    def _open_stored_columns(self) -> None:
        """Open every segment's stored-fields column now.

        Whoosh opens it at the first read, and a reindex that merges segments deletes their files
        meanwhile; an open file stays readable, a deleted one cannot be opened (an HTTP 500).
        """
        for leaf, _, _ in self.leaves:
            if leaf.doc_count_all():
                leaf.stored_fields(0)

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
        """Return a term's postings in a field (deleted documents included).

        A term held by several segments is kept joined for this snapshot's next queries as well when
        the index's posting files fit the budget (``JOINED_WITHIN``): joining them copied every doc
        number and frequency of the term on every query that read it.
        """
        holding = self._holding(fieldname, term)
        if self.keeps_joined and len(holding) > 1:
            key = (self.cache_key, "joined", fieldname, term)
            kept = self.postings_cache.get(key)
            if kept is None:
                kept = self._joined(holding, fieldname, term)
                if isinstance(kept, JoinedPostings):
                    self.postings_cache.put(key, kept)
            return kept
        return self._joined(holding, fieldname, term)

    def _joined(self, holding: list[tuple], fieldname: str, term: str) -> Postings:
        """Return a term's postings in the segments of holding, joined."""
        if self.packs_postings and self.postings_cache is not None and len(holding) > 1:
            packs = [(self.postings_cache.get((data.key, fieldname, term)), offset) for _, offset, data in holding]
            if all(isinstance(packed, PackedPostings) for packed, _ in packs):
                return PackedPostings.joined(packs)  # every segment's kept packed: unpacked into one
        parts = [self._segment_postings(leaf, offset, data, fieldname, term) for leaf, offset, data in holding]
        parts = [p for p in parts if p is not None]
        return Postings.join(parts) if parts else Postings.empty()

    def computed(self, key: tuple, compute, statistic: bool = False):
        """Return compute() (a tuple of arrays from this snapshot's postings and statistics), kept in
        the postings cache under key while it has room for it (among its statistics when statistic:
        a few numbers that cost much to count, ``PostingsCache.put``)."""
        if self.postings_cache is None:
            return compute()
        full_key = (self.cache_key, *key)
        value = self.postings_cache.get(full_key)
        if value is None:
            value = compute()
            self.postings_cache.put(full_key, value, statistic)
        return value

    def kept(self, key: tuple):
        """Return what ``computed`` keeps under key, or None (nothing computed)."""
        return None if self.postings_cache is None else self.postings_cache.get((self.cache_key, *key))

    def _segment_postings(self, leaf, offset: int, data: SegmentData, fieldname: str, term: str) -> Postings | None:
        """Return one segment's postings of a term (doc numbers shifted by offset), or None."""
        if self.postings_cache is None:
            return read_postings(leaf, data.postings_fd, fieldname, term, offset, self.lock)
        key = (data.key, fieldname, term)
        packed = self.postings_cache.get(key)
        if packed is None:
            info = data.term_info(leaf, fieldname, term, self.lock)
            if info is None:
                return None
            if not self.packs_postings:
                postings = postings_of_info(info, data.postings_fd, 0)
                self.postings_cache.put(key, postings)
                return postings.shifted(offset)
            # Kept packed (half the bytes: twice the terms in a budget), unpacked on every read.
            packed = packed_of_info(info, data.postings_fd, data.positions_below[fieldname])
            self.postings_cache.put(key, packed)
        return packed.unpacked(offset) if isinstance(packed, PackedPostings) else packed.shifted(offset)

    def doc_frequency(self, fieldname: str, term: str) -> int:
        """Return how many documents hold term in a field, counted once while kept (at most
        ``HELD_TERMS``, then the lot is dropped): a long query asks for each word's count in both
        fields several times a page (its bound, its readings, "did you mean"), and a count from the
        postings cache costs a lock and a look-up per segment (~3 us)."""
        key = (fieldname, term)
        found = self._frequencies.get(key)
        if found is None:
            found = self._counted(fieldname, term)
            if len(self._frequencies) >= HELD_TERMS:
                self._frequencies.clear()
            self._frequencies[key] = found
        return found

    def _counted(self, fieldname: str, term: str) -> int:
        """Return how many documents hold term in a field, from the postings cache or the term tables."""
        holding = self._holding(fieldname, term)
        if not holding:
            return 0
        # A segment's postings already decoded (the common words every query reads) are counted
        # without Whoosh's term table (a lookup in Python under the lock, ~0.1 ms).
        cached = [self.postings_cache.get((data.key, fieldname, term)) if self.postings_cache is not None else None
                  for _, _, data in holding]
        found = sum(len(postings) for postings in cached if postings is not None)
        unread = [(leaf, data) for (leaf, _, data), postings in zip(holding, cached) if postings is None]
        if not unread:
            return found
        if self.postings_cache is None:
            with self.lock:
                return found + sum(leaf.doc_frequency(fieldname, term) for leaf, _ in unread)
        infos = [data.term_info(leaf, fieldname, term, self.lock) for leaf, data in unread]
        return found + sum(info.doc_frequency() for info in infos if info is not None)

    def _holding(self, fieldname: str, term: str) -> list[tuple]:
        """Return the leaves that may hold term in a text field (every leaf for other fields), looked up
        once while kept: a query asks for each of its terms' postings and counts, and "did you mean"
        asks again for the same words (a binary search in each segment's hashes, ~15 us a segment)."""
        if fieldname not in TEXT_FIELDS:
            return self.leaves
        key = (fieldname, term)
        holding = self._held.get(key)
        if holding is None:
            wanted = hash(term.encode("utf-8"))
            holding = [leaf for leaf in self.leaves if leaf[2].terms[fieldname].holds_hash(wanted)]
            if len(self._held) >= HELD_TERMS:
                self._held.clear()
            self._held[key] = holding
        return holding

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
