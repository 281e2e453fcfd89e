"""The vnsearch codec: the numpy decoder reads exactly what Whoosh's own matcher reads.

The index is built from the demo corpus in several segments, written with different block
sizes so posting lists span many packed blocks, and one article is deleted; then every term
of every text field is decoded both ways.
"""

from __future__ import annotations

import gc
import io
import json
import os
import pickle
import shutil
import sys
import threading
import warnings
from contextlib import contextmanager
from dataclasses import replace
from tempfile import TemporaryDirectory

import numpy as np
import pytest
from whoosh import fields
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3PostingsWriter, W3TermInfo
from whoosh.filedb.structfile import StructFile

from search import codec, reader
from search.codec import (
    CODEC_NAME,
    PACKED_BLOCK_POSTINGS,
    WHOOSH_VERSION,
    JoinedPostings,
    PackedPostings,
    Postings,
    VnCodec,
    _narrowest,
    _round_trip_narrowest,
    decode_blocks,
    make_codec,
    packed_of_info,
    postings_of_info,
    read_postings,
    term_info,
)
from search.documents import Article
from search.engine import SearchEngine
from search.index import article_fields, reindex
from search.integrity import seal_meta
from search.merge import can_merge, merge_into
from search.reader import PostingsCache, Snapshot
from search.request import SearchRequest
from search.schema import SCHEMA_VERSION, TEXT_FIELDS, make_schema
from search.sources import scan_sources
from search.store import META_FILE, current_generation, read_meta
from search.text import SYLLABLE_RE, index_analyzer
from search.whoosh_backend import WhooshBackend
from search.writer import VnSegmentWriter
from tests.helpers import DEMO, DEMO_SOURCES

# Articles per segment and the posting block size of each segment's codec.  (Whoosh 2.7.5
# cannot inline postings in the term info: its writer calls a method its TermInfo lacks.)
SEGMENTS = [(0, 70, 256), (70, 140, 8), (140, 201, 3)]


# Set, the directory of a segmented index write_segmented_index wrote (tools/mutation.py writes it
# once, unmutated, for every mutant of the codec's reading: the tests only read it).
PREBUILT_SEGMENTED_INDEX_ENV = "VNSEARCH_TEST_SEGMENTED_INDEX"


def write_segmented_index(folder) -> tuple:
    """Return (Whoosh index, deleted article id): the demo corpus written in folder in three
    segments (``SEGMENTS``), then one article deleted."""
    articles = [item for item in scan_sources(DEMO_SOURCES) if isinstance(item, Article)]
    assert len(articles) == 201
    ix = write_segments(folder, articles, SEGMENTS)
    deleted = articles[75].id
    writer = VnSegmentWriter(ix, codec=VnCodec(), compound=False)
    writer.delete_by_term("id", deleted)
    writer.commit(merge=False)
    return ix, deleted


@pytest.fixture(scope="module")
def segmented_index(tmp_path_factory):
    """Return (Whoosh index, deleted article id) of the demo corpus in three segments."""
    if os.environ.get(PREBUILT_SEGMENTED_INDEX_ENV):
        ix = whoosh_index.open_dir(os.environ[PREBUILT_SEGMENTED_INDEX_ENV])
        with ix.reader() as whole:
            deleted = [whole.stored_fields(n)["id"] for n in range(whole.doc_count_all()) if whole.is_deleted(n)]
        assert len(deleted) == 1
        return ix, deleted[0]
    return write_segmented_index(tmp_path_factory.mktemp("segments"))


def whoosh_postings(snapshot: Snapshot, fieldname: str, term: bytes) -> tuple[list, list, list]:
    """Return (global ids, frequencies, positions) of a term's live postings, read by Whoosh's matchers."""
    ids, freqs, positions = [], [], []
    for leaf, offset, _ in snapshot.leaves:
        if (fieldname, term) not in leaf:
            continue
        matcher = leaf.postings(fieldname, term)
        while matcher.is_active():
            ids.append(offset + matcher.id())
            freqs.append(matcher.weight())
            positions.append(list(matcher.value_as("positions")))
            matcher.next()
    return ids, freqs, positions


def numpy_postings(snapshot: Snapshot, fieldname: str, term: str) -> tuple[list, list, list]:
    """Return (global ids, frequencies, positions) of a term's live postings, read by the numpy decoder."""
    postings = snapshot.postings(fieldname, term)
    live = [row for row, doc in enumerate(postings.ids) if snapshot.live[doc]]
    positions = [postings.all_positions[postings.starts[row] : postings.starts[row] + int(postings.freqs[row])]
                 for row in live]
    return postings.ids[live].tolist(), postings.freqs[live].tolist(), [p.tolist() for p in positions]


# A few articles, written and read back (fast) ------------------------------------------------

# The first twelve demo articles in three segments of posting blocks of two or three postings.
FEW_SEGMENTS = [(0, 5, 2), (5, 9, 3), (9, 12, 2)]


def few_articles() -> list[Article]:
    """Return the first twelve articles of the demo corpus."""
    return [item for item in scan_sources(DEMO_SOURCES) if isinstance(item, Article)][:12]


def write_segments(folder, articles: list[Article], segments=FEW_SEGMENTS):
    """Return a Whoosh index of articles written one segment per (start, end, block size)."""
    folder.mkdir(exist_ok=True)
    ix = whoosh_index.create_in(str(folder), make_schema())
    for start, end, blocklimit in segments:
        writer = VnSegmentWriter(ix, codec=VnCodec(blocklimit=blocklimit, packed_blocklimit=blocklimit),
                                 compound=False)
        for article in articles[start:end]:
            writer.add_document(**article_fields(article))
        writer.commit(merge=False)
    return ix


@pytest.fixture(scope="module")
def few_segments(tmp_path_factory):
    """Return a Whoosh index of the first twelve demo articles in three segments (``FEW_SEGMENTS``)."""
    return write_segments(tmp_path_factory.mktemp("few"), few_articles())


def analysed(articles: list[Article], fieldname: str) -> dict[str, list[tuple[int, list[int]]]]:
    """Return {term: [(doc number, positions)]} of a text field, from the analyzer itself (not the codec)."""
    analyzer = index_analyzer()
    postings: dict[str, list[tuple[int, list[int]]]] = {}
    for docnum, article in enumerate(articles):
        for term, positions in analyzer.term_positions(article_fields(article)[fieldname]).items():
            postings.setdefault(term, []).append((docnum, list(positions)))
    return postings


def read_by_whoosh(ix, fieldname: str) -> dict[str, list[tuple]]:
    """Return {term: [(doc number, weight, positions, frequency, decoded weight, position boosts)]} of
    a field's live postings, walked by Whoosh's matchers (``VnLeafMatcher``) segment by segment."""
    found: dict[str, list[tuple]] = {}
    with ix.reader() as whole:
        for leaf, offset in whole.leaf_readers():
            for term in leaf.lexicon(fieldname):
                matcher = leaf.postings(fieldname, term)
                while matcher.is_active():
                    found.setdefault(term.decode("utf-8"), []).append((
                        offset + matcher.id(), matcher.weight(), list(matcher.value_as("positions")),
                        matcher.value_as("frequency"), matcher.value_as("weight"), matcher.value_as("position_boosts")))
                    matcher.next()
    return found


def read_by_numpy(snapshot: Snapshot, fieldname: str, terms) -> dict[str, list[tuple[int, float, list[int]]]]:
    """Return {term: [(doc number, frequency, positions)]} of every posting (deleted ones too), decoded by numpy."""
    found = {}
    for term in terms:
        postings = snapshot.postings(fieldname, term)
        found[term] = [(doc, freq, postings.all_positions[start : start + int(freq)].tolist()) for doc, freq, start
                       in zip(postings.ids.tolist(), postings.freqs.tolist(), postings.starts.tolist(), strict=True)]
        assert (postings.ids.dtype, postings.freqs.dtype, postings.starts.dtype) == (np.int64, np.float32, np.int64)
    return found


def test_every_text_term_of_a_few_articles_reads_back_as_the_analyzer_gave_it_through_whoosh_and_numpy(tmp_path):
    # Posting lists of many two- and three-posting blocks in three segments, and an article deleted
    # (Whoosh's matchers skip it; the numpy decoder keeps it for the snapshot's mask).
    articles = few_articles()
    ix = write_segments(tmp_path, articles)
    writer = VnSegmentWriter(ix, codec=VnCodec(), compound=False)
    writer.delete_by_term("id", articles[6].id)
    writer.commit(merge=False)
    snapshot = Snapshot(ix)
    assert len(snapshot.leaves) == 3 and snapshot.live_count == 11
    for fieldname in TEXT_FIELDS:
        expected = analysed(articles, fieldname)
        assert read_by_numpy(snapshot, fieldname, expected) == {
            term: [(doc, float(len(positions)), positions) for doc, positions in postings]
            for term, postings in expected.items()}, fieldname
        assert read_by_whoosh(ix, fieldname) == {
            term: [(doc, float(len(positions)), positions, len(positions), float(len(positions)),
                    [(position, 1.0) for position in positions]) for doc, positions in postings if doc != 6]
            for term, postings in expected.items() if any(doc != 6 for doc, _ in postings)}, fieldname
    # Common words span several blocks in every segment.
    assert max(len(postings) for postings in analysed(articles[:5], "body").values()) == 5
    assert len(snapshot.postings("body", "va")) == 12


def every_posting(ix) -> dict[tuple[str, bytes], list[tuple[int, float, bytes]]]:
    """Return {(field, term): [(doc number, weight, value)]} of every indexed field, read by Whoosh."""
    found = {}
    with ix.reader() as whole:
        for fieldname in ix.schema.names():
            if not ix.schema[fieldname].indexed:
                continue
            for term in whole.lexicon(fieldname):
                matcher = whole.postings(fieldname, term)
                found[fieldname, term] = []
                while matcher.is_active():
                    found[fieldname, term].append((matcher.id(), matcher.weight(), matcher.value()))
                    matcher.next()
    return found


def test_segments_merged_in_one_pass_hold_what_one_writer_writes_from_the_same_articles(tmp_path):
    # merge_into copies text fields' lists as arrays (``add_packed``) and the other fields' pickled
    # blocks (ids, categories, sources, dates) posting by posting: each term's postings, doc numbers
    # shifted by the segments before, as a single segment written from the articles in order.
    articles = few_articles()
    merged = write_segments(tmp_path / "merged", articles)
    writer = VnSegmentWriter(merged, codec=VnCodec(blocklimit=2, packed_blocklimit=2), compound=False)
    writer.commit(mergetype=lambda writer, segments: merge_into(writer, segments) or [])
    single = write_segments(tmp_path / "single", articles, [(0, len(articles), 2)])
    assert len(merged._segments()) == 1 and merged._segments()[0].doc_count() == 12
    postings = every_posting(merged)
    assert postings == every_posting(single)
    assert {field for field, _ in postings} == {"id", "title", "body", "category", "source", "day", "timestamp",
                                               "origin", "content_hash"}
    snapshot = Snapshot(merged)
    for fieldname in TEXT_FIELDS:
        expected = analysed(articles, fieldname)
        assert read_by_numpy(snapshot, fieldname, expected) == {
            term: [(doc, float(len(positions)), positions) for doc, positions in postings]
            for term, postings in expected.items()}, fieldname
    # One segment's postings are its own, not joined.
    whole = snapshot.postings("body", "va")
    assert len(whole) == 12 and not isinstance(whole, JoinedPostings)
    # Its occurrences, every row's positions in turn.
    held = analysed(articles, "body")["va"]
    docs, places = whole.positions(np.arange(12))
    assert (docs.tolist(), places.tolist()) == ([doc for doc, positions in held for _ in positions],
                                                [p for _, positions in held for p in positions])
    assert (docs.dtype, places.dtype) == (np.int64, np.int64)
    frozen = whole.freeze()
    assert not any(values.flags.writeable for values in (frozen.ids, frozen.freqs, frozen.all_positions, frozen.starts))


def test_segments_are_merged_in_one_pass_only_when_several_without_deletions_index_formats_it_copies(tmp_path):
    # merge_into shifts doc numbers and copies lists whole: a deleted document would come back, and
    # a format other than packed positions or Whoosh's Existence has values it does not copy.
    ix = write_segments(tmp_path, few_articles())
    segments = ix._segments()
    schema = ix.schema
    other_format = make_schema()
    other_format.remove("title")
    other_format.add("title", fields.TEXT(stored=True))  # Whoosh's Positions format
    assert [can_merge(segments, schema), can_merge(segments[:1], schema), can_merge(segments[:2], schema),
            can_merge(segments, other_format)] == [True, False, True, False]
    writer = VnSegmentWriter(ix, codec=VnCodec(), compound=False)
    writer.delete_by_term("id", few_articles()[5].id)
    writer.commit(merge=False)
    segments = ix._segments()
    assert [segment.has_deletions() for segment in segments] == [False, True, False]
    assert [can_merge(segments, schema), can_merge(segments[::2], schema)] == [False, True]


FEW_TERMS = ("va", "cua", "trong", "co", "cho", "nam", "viet", "thanh", "pho")  # in each segment, or not


def test_the_postings_of_a_few_articles_other_fields_are_read_as_whoosh_reads_them(few_segments):
    # Ids, labels and dates are kept in Whoosh's pickled blocks: their doc numbers and weights, no positions.
    snapshot = Snapshot(few_segments)
    compared = 0
    for leaf, offset, data in snapshot.leaves:
        for fieldname in ("id", "category", "source", "day"):
            for term in leaf.lexicon(fieldname):
                info = leaf._terms.term_info(fieldname, term)
                postings = codec.postings_of_info(info, data.postings_fd, offset)
                matcher = leaf.postings(fieldname, term)
                expected = []
                while matcher.is_active():
                    expected.append((offset + matcher.id(), matcher.weight()))
                    matcher.next()
                assert list(zip(postings.ids.tolist(), postings.freqs.tolist(), strict=True)) == expected
                assert (postings.ids.dtype, postings.freqs.dtype, postings.starts.dtype) == (
                    np.int64, np.float32, np.int64)
                assert postings.starts.tolist() == [0] * len(expected) and len(postings.all_positions) == 0
                compared += 1
    assert compared > 12 * 2


def test_the_postings_of_a_few_articles_packed_unpack_to_the_decoders_arrays_in_the_narrowest_types(
        few_segments, monkeypatch):
    # Lists of two postings or more keep every second start (their block starts, the constants lowered).
    monkeypatch.setattr(codec, "BLOCK_STARTS_MIN", 2)
    monkeypatch.setattr(codec, "STARTS_BLOCK", 2)
    snapshot = Snapshot(few_segments)
    packed_lists = 0
    for leaf, offset, data in snapshot.leaves:
        for fieldname in TEXT_FIELDS:
            for term in sorted({t.decode("utf-8") for t in leaf.lexicon(fieldname)}):
                decoded = read_postings(leaf, data.postings_fd, fieldname, term, 0, snapshot.lock)
                packed = decoded.packed()
                # Doc numbers in 4 bytes, counts in 1, positions in 2 (never 1), starts derived from the counts.
                assert (packed.ids.dtype, packed.freqs.dtype, packed.all_positions.dtype, packed.starts) == (
                    np.uint32, np.uint8, np.uint16, None), term
                if len(decoded) >= 2:
                    assert packed.block_starts.tolist() == decoded.starts[::2].tolist(), term
                    assert packed.block_starts.dtype == np.uint32
                else:
                    assert packed.block_starts is None
                assert_same_postings(packed.unpacked(), decoded)
                shifted = packed.unpacked(offset)
                assert_same_postings(shifted, decoded.shifted(offset))
                assert shifted.ids.flags.writeable
                packed_lists += 1
    assert packed_lists > 2000


def assert_same_packed(got: PackedPostings, expected: PackedPostings) -> None:
    """Assert that two packed postings hold the same numbers in the same types."""
    assert got._types == expected._types
    for name in ("ids", "freqs", "all_positions", "starts", "block_starts"):
        got_values, expected_values = getattr(got, name), getattr(expected, name)
        assert (got_values is None) == (expected_values is None), name
        if expected_values is not None:
            assert got_values.dtype == expected_values.dtype and np.array_equal(got_values, expected_values), name


def test_the_postings_of_a_few_articles_decode_straight_into_what_packing_the_decoded_arrays_gives(
        few_segments, monkeypatch):
    # packed_of_info skips the decoder's wide arrays; lists of two postings or more keep every second
    # start (the constants lowered), over blocks of two or three postings.
    monkeypatch.setattr(codec, "BLOCK_STARTS_MIN", 2)
    monkeypatch.setattr(codec, "STARTS_BLOCK", 2)
    decoded = []
    decode = codec.decode_blocks
    monkeypatch.setattr(codec, "decode_blocks", lambda *args: decoded.append(args) or decode(*args))
    snapshot = Snapshot(few_segments)
    multi_block = 0
    for leaf, _, data in snapshot.leaves:
        for fieldname in TEXT_FIELDS:
            for term in sorted({t.decode("utf-8") for t in leaf.lexicon(fieldname)}):
                info = term_info(leaf, fieldname, term, snapshot.lock)
                expected = postings_of_info(info, data.postings_fd, 0).packed()
                decoded.clear()
                for got in (packed_of_info(info, data.postings_fd),
                            packed_of_info(info, data.postings_fd, data.positions_below[fieldname])):
                    assert not decoded, term  # straight from the blocks, not through the decoder's wide arrays
                    assert_same_packed(got, expected)
                    # Arrays of their own: a cached list must hold neither the bytes read from the file
                    # nor the thread's read buffer, which the next read overwrites.
                    assert all(values.base is None for values in (got.ids, got.freqs, got.all_positions))
                multi_block += len(expected) > 3
    assert multi_block > 100


def list_length(info) -> int:
    """Return the bytes of a term info's posting list (whoosh-reloaded 2.7.5 gives them in a tuple)."""
    length = info.extent()[1]
    return length[0] if isinstance(length, tuple) else length


def test_lists_read_one_after_another_into_the_threads_buffer_keep_their_own_numbers(few_segments, monkeypatch):
    # Each list is read into the same buffer (grown for a longer one): the packed lists kept from
    # earlier reads are unchanged by later ones, and a shorter list after a longer one is not read
    # with the longer one's tail.
    monkeypatch.setattr(codec, "_READ_BUFFERS", threading.local())
    snapshot = Snapshot(few_segments)
    leaf, _, data = snapshot.leaves[0]
    infos = [term_info(leaf, "body", term.decode("utf-8"), snapshot.lock) for term in leaf.lexicon("body")]
    infos = sorted((info for info in infos if not info.is_inlined()), key=list_length)
    order = [infos[-1], infos[0], infos[len(infos) // 2], infos[-2], infos[1]]
    expected = [postings_of_info(info, data.postings_fd, 0).packed() for info in order]
    kept = [packed_of_info(info, data.postings_fd) for info in order]
    for got, wanted in zip(kept, expected, strict=True):
        assert_same_packed(got, wanted)
    assert len(codec._READ_BUFFERS.buffer) == list_length(infos[-1]) > list_length(infos[-2])


def body_lists(snapshot: Snapshot) -> list:
    """Return the term infos of the first segment's body lists not inlined, shortest first."""
    leaf = snapshot.leaves[0][0]
    infos = [term_info(leaf, "body", term.decode("utf-8"), snapshot.lock) for term in leaf.lexicon("body")]
    return sorted((info for info in infos if not info.is_inlined()), key=list_length)


@pytest.mark.parametrize("below_limit, own", [(1, True), (0, False)])
def test_a_list_longer_than_the_read_buffers_limit_is_read_into_bytes_of_its_own(few_segments, monkeypatch,
                                                                                  below_limit, own):
    snapshot = Snapshot(few_segments)
    data = snapshot.leaves[0][2]
    longest = body_lists(snapshot)[-1]
    monkeypatch.setattr(codec, "READ_BUFFER_MAX", list_length(longest) - below_limit)
    monkeypatch.setattr(codec, "_READ_BUFFERS", threading.local())
    view = codec._list_view(longest, data.postings_fd)
    assert bytes(view) == codec._list_bytes(longest, data.postings_fd)
    assert isinstance(view.obj, bytearray) is (not own) is hasattr(codec._READ_BUFFERS, "buffer")
    assert_same_packed(packed_of_info(longest, data.postings_fd),
                       postings_of_info(longest, data.postings_fd, 0).packed())


def test_the_read_buffer_grows_to_twice_its_size_or_the_longer_list_and_is_kept_while_it_holds_one(
        few_segments, monkeypatch):
    monkeypatch.setattr(codec, "_READ_BUFFERS", threading.local())
    snapshot = Snapshot(few_segments)
    data = snapshot.leaves[0][2]
    infos = body_lists(snapshot)
    short = infos[len(infos) // 4]
    longer = next(info for info in infos if list_length(short) < list_length(info) < 2 * list_length(short))
    longest = infos[-1]
    assert list_length(longest) > 4 * list_length(short)
    sizes = []
    for info in (short, short, longer, short, longest):
        view = codec._list_view(info, data.postings_fd)
        assert bytes(view) == codec._list_bytes(info, data.postings_fd)
        sizes.append((len(view.obj), view.obj))
    assert [size for size, _ in sizes] == [list_length(short)] * 2 + [2 * list_length(short)] * 2 + [
        list_length(longest)]
    assert sizes[0][1] is sizes[1][1] and sizes[2][1] is sizes[3][1] and sizes[1][1] is not sizes[2][1]


def test_a_segments_positions_bound_is_given_to_the_packing_of_its_lists(few_segments, monkeypatch):
    given = []
    pack = PackedPostings.from_arrays.__func__
    monkeypatch.setattr(PackedPostings, "from_arrays",
                        classmethod(lambda cls, *args, **kwargs: given.append(kwargs["positions_below"])
                                    or pack(cls, *args, **kwargs)))
    snapshot = Snapshot(few_segments)
    data = snapshot.leaves[0][2]
    info = body_lists(snapshot)[-1]
    packed_of_info(info, data.postings_fd, 900)
    packed_of_info(info, data.postings_fd)
    assert given == [900, None]


def test_each_thread_reads_lists_into_a_buffer_of_its_own(few_segments):
    snapshot = Snapshot(few_segments)
    leaf, _, data = snapshot.leaves[0]
    info = next(info for term in leaf.lexicon("body")
                if not (info := term_info(leaf, "body", term.decode("utf-8"), snapshot.lock)).is_inlined())
    views = [codec._list_view(info, data.postings_fd)]
    thread = threading.Thread(target=lambda: views.append(codec._list_view(info, data.postings_fd)))
    thread.start()
    thread.join()
    assert bytes(views[0]) == bytes(views[1]) == codec._list_bytes(info, data.postings_fd)
    assert views[0].obj is not views[1].obj


def test_a_list_read_past_the_files_end_is_read_short_as_pread_reads_it(few_segments):
    snapshot = Snapshot(few_segments)
    leaf, _, data = snapshot.leaves[0]
    info = next(info for term in leaf.lexicon("body")
                if not (info := term_info(leaf, "body", term.decode("utf-8"), snapshot.lock)).is_inlined())
    codec._list_view(info, data.postings_fd)  # the buffer now holds the list's bytes
    length = list_length(info)
    beyond = W3TermInfo()
    beyond.extent = lambda: (data.postings_bytes - 3, length)
    assert bytes(codec._list_view(beyond, data.postings_fd)) == os.pread(data.postings_fd, length,
                                                                         data.postings_bytes - 3)
    assert len(codec._list_view(beyond, data.postings_fd)) == 3


def test_every_position_of_a_segments_text_lists_is_below_its_fields_positions_bound(few_segments):
    # The bound is the longest document's stored length: every position counts a syllable of the
    # field, and each syllable adds one or more to the length.
    snapshot = Snapshot(few_segments)
    for leaf, _, data in snapshot.leaves:
        for fieldname in TEXT_FIELDS:
            highest = max(int(postings.all_positions.max()) for term in leaf.lexicon(fieldname)
                          if len(postings := read_postings(leaf, data.postings_fd, fieldname, term.decode("utf-8"),
                                                           0, snapshot.lock)))
            ids = {leaf.stored_fields(doc)["id"] for doc in range(leaf.doc_count_all())}
            longest = max(len(SYLLABLE_RE.findall(article_fields(article)[fieldname]))
                          for article in few_articles() if article.id in ids)
            assert highest + 1 == longest <= data.positions_below[fieldname]


class Unscanned(np.ndarray):
    """Positions whose greatest must not be looked for."""

    def max(self, *args, **kwargs):
        raise AssertionError("the positions were scanned for their greatest")


@pytest.mark.parametrize("bound, dtype", [(900, np.uint16), (2**16, np.uint16), (2**16 + 1, None)])
def test_positions_below_a_bound_two_bytes_hold_are_packed_in_two_bytes_without_a_pass_over_them(bound, dtype):
    counts = np.array([2, 1, 3], dtype=np.uint32)
    positions = [np.array([4, 9, 0], dtype=np.uint32).view(Unscanned), np.array([1, 2, 899], dtype=np.uint32)]
    if dtype is None:  # past two bytes: the greatest is looked for
        with pytest.raises(AssertionError, match="scanned"):
            PackedPostings.from_arrays(np.array([1, 5, 7], dtype=np.uint32), counts, positions, bound)
        return
    packed = PackedPostings.from_arrays(np.array([1, 5, 7], dtype=np.uint32), counts, positions, bound)
    assert packed.all_positions.dtype == dtype and packed.all_positions.tolist() == [4, 9, 0, 1, 2, 899]


@pytest.mark.slow
def test_an_article_of_more_syllables_than_two_bytes_count_keeps_its_positions_exact(tmp_path):
    # 66,000 syllables: the body's bound is past 65,536, so its lists' positions are looked at to find
    # the type holding them, four bytes for the words found past the 65,536th syllable.
    long_body = " ".join(["Bộ Chính trị họp bàn về kinh tế"] * 8_250)
    article = replace(few_articles()[0], id="long", body=long_body + " Côn Đảo")
    ix = write_segments(tmp_path / "long", [article], [(0, 1, PACKED_BLOCK_POSTINGS)])
    snapshot = Snapshot(ix, postings_cache=PostingsCache(1 << 30))
    leaf, _, data = snapshot.leaves[0]
    assert data.positions_below["body"] > 2**16
    packed = packed_of_info(term_info(leaf, "body", "dao", snapshot.lock), data.postings_fd,
                            data.positions_below["body"])
    assert packed.all_positions.dtype == np.uint32 and packed.all_positions.tolist() == [66_001]
    assert snapshot.postings("body", "bo").positions(np.array([0]))[1][-1] == 65_992


def written_list(ids: np.ndarray, counts: np.ndarray, positions: np.ndarray) -> bytes:
    """Return the bytes of one body posting list of these postings, written as merges write them."""
    stream = io.BytesIO()
    postings_writer = VnCodec().postings_writer(StructFile(stream))
    postings_writer.start_postings(make_schema()["body"].format, W3TermInfo())
    postings_writer.add_packed(ids, counts, positions)
    postings_writer.finish_postings()
    return stream.getvalue()


@pytest.mark.parametrize("widest_count, widest_position, types", [
    (3, 900, (np.uint8, np.uint16)),
    (255, 65_535, (np.uint8, np.uint16)),
    (256, 65_536, (np.uint16, np.uint32)),
    (300, 70_000, (np.uint16, np.uint32)),
    (70_000, 7, (np.uint32, np.uint16)),
])
def test_a_long_list_decodes_straight_into_its_packed_form_in_types_wide_enough(widest_count, widest_position, types):
    # Two blocks of 4,096 postings and one of 808: frequencies and positions each in the narrowest type
    # holding their greatest, doc numbers in 4 bytes, every 64th start kept, the starts derived.
    rng = np.random.default_rng(5)
    ids = np.sort(rng.choice(3_000_000, 9_000, replace=False)).astype(np.int64)
    counts = rng.integers(1, 4, len(ids))
    counts[4_100] = widest_count
    positions = rng.integers(0, 800, int(counts.sum())).astype(np.uint32)
    positions[-1] = widest_position
    buffer = written_list(ids, counts, positions)
    got = codec.packed_of_blocks(buffer)
    assert_same_packed(got, decode_blocks(buffer, 0).packed())
    assert (got.ids.dtype, got.freqs.dtype, got.all_positions.dtype, got.starts) == (np.uint32, *types, None)
    assert got.block_starts.tolist() == (np.cumsum(counts) - counts)[::64].tolist()
    assert_same_postings(got.unpacked(7), Postings(ids + 7, counts.astype(np.float32), positions,
                                                   np.cumsum(counts) - counts))


@pytest.mark.parametrize("compression", [0, 3])
def test_a_text_list_of_whooshs_pickled_blocks_is_packed_as_its_decoded_arrays_are(compression):
    # A list written before text-field blocks were packed (Whoosh's own writer, in blocks of two postings).
    stream = io.BytesIO()
    writer = W3PostingsWriter(StructFile(stream), blocklimit=2, compression=compression)
    writer.start_postings(make_schema()["body"].format, W3TermInfo())
    for doc, positions in ((3, [0, 4]), (8, [2]), (9, [1, 7, 70_000])):
        writer.add_posting(doc, float(len(positions)), np.array(positions, dtype="<u4").tobytes())
    writer.finish_postings()
    buffer = stream.getvalue()
    got = codec.packed_of_blocks(buffer)
    assert_same_packed(got, decode_blocks(buffer, 0).packed())
    assert (got.ids.tolist(), got.freqs.tolist(), got.all_positions.tolist()) == (
        [3, 8, 9], [2, 1, 3], [0, 4, 2, 1, 7, 70_000])


@pytest.mark.parametrize("exact_below, straight", [(3, False), (4, True)])
def test_a_list_with_a_count_float32_may_not_hold_exactly_is_packed_through_the_decoder(
        monkeypatch, exact_below, straight):
    # Its greatest count is 3: at or past the bound (lowered from 2**24), the decoder's frequencies and
    # starts are packed the general way; below it, the blocks straight.
    monkeypatch.setattr(codec, "EXACT_IN_FLOAT32", exact_below)
    buffer = written_list(np.array([2, 5, 11]), np.array([1, 3, 2]), np.arange(6, dtype=np.uint32))
    decoded = []
    decode = codec.decode_blocks
    monkeypatch.setattr(codec, "decode_blocks", lambda *args: decoded.append(args) or decode(*args))
    got = codec.packed_of_blocks(buffer)
    assert (not decoded) == straight
    assert_same_packed(got, decode(buffer, 0).packed())


@pytest.mark.parametrize("apart", [0, 1, 4])
def test_the_starts_of_rows_of_a_few_articles_lists_are_the_running_sums_however_summed(
        few_segments, monkeypatch, apart):
    # A one-query list's starts: the running sum of every count (many rows for its length, SUMMED_APART),
    # each row's block's start plus the counts before it (blocks of two here), or the counts between rows.
    monkeypatch.setattr(reader, "PACKED_ABOVE", 0.0)
    monkeypatch.setattr(reader, "JOINED_WITHIN", 0.0)
    monkeypatch.setattr(codec, "SUMMED_APART", apart)
    monkeypatch.setattr(codec, "STARTS_BLOCK", 2)
    monkeypatch.setattr(codec, "BLOCK_STARTS_MIN", 2)
    from_blocks = []
    summed = codec._starts_from_blocks
    monkeypatch.setattr(codec, "_starts_from_blocks", lambda *args: from_blocks.append(1) or summed(*args))
    snapshot, plain = Snapshot(few_segments, postings_cache=PostingsCache(1 << 30)), Snapshot(few_segments)
    for term in FEW_TERMS * 2:  # the second time unpacked from the cache
        postings, expected = snapshot.postings("body", term), plain.postings("body", term)
        counts = expected.freqs.astype(np.int64)
        running = np.cumsum(counts) - counts
        size = len(postings)
        for rows in (np.arange(size), np.arange(1, size, 2), np.arange(0, size, 3), np.array([size - 1]),
                     np.array([0]), np.array([1, size - 1]), np.array([0, 2, 3]), np.zeros(0, dtype=np.int64)):
            got = postings.starts_of(rows)
            assert got.tolist() == running[rows].tolist() and got.dtype == np.int64, (term, rows)
            assert np.array_equal(postings.keys(rows), expected.keys(rows)), (term, rows)
            docs, places = postings.positions(rows)
            assert np.array_equal(docs, expected.ids[rows].repeat(counts[rows])), (term, rows)
            assert places.tolist() == [p for row in rows for p in expected.all_positions[
                running[row] : running[row] + counts[row]].tolist()] and places.dtype == np.int64, (term, rows)
        assert postings._starts is None and all(getattr(part, "_starts", None) is None for part in postings.parts)
        # Rows in no order (two of them; the first the least), asked of the whole and of each part as read
        # afresh (a one-query list's starts not computed yet: asking in no order computes them).
        for unordered in (np.array([size - 1, 0]), np.array([0, size - 1, 1]), np.array([1, 0, size - 1])):
            fresh = snapshot.postings("body", term)
            assert fresh.starts_of(unordered).tolist() == running[unordered].tolist(), (term, unordered)
            docs, places = snapshot.postings("body", term).positions(unordered)
            assert (docs.tolist(), places.tolist()) == (
                expected.ids[unordered].repeat(counts[unordered]).tolist(),
                [p for row in unordered for p in expected.all_positions[running[row] : running[row] + counts[row]]]
            ), (term, unordered)
            keys = snapshot.postings("body", term).keys(unordered)
            assert keys.tolist() == ((docs << 32) | places).tolist(), (term, unordered)
        fresh = snapshot.postings("body", term)
        for part, begin, end in zip(fresh.parts, fresh.bounds[:-1], fresh.bounds[1:]):
            inside = np.array([0, end - begin - 1, 1] if end - begin > 2 else [end - begin - 1, 0])
            assert part.starts_of(inside).tolist() == (running[inside + begin] - running[begin]).tolist(), term
    assert min(len(plain.postings("body", term)) for term in FEW_TERMS) >= 3
    # Rows fewer than a fourth of a list's postings are summed from their blocks' starts.
    assert from_blocks


def block_headers(buffer: bytes) -> list[tuple]:
    """Return the header of each block of a Whoosh 3 posting list: (postings, last doc number, greatest
    weight, compression level, least and greatest length byte)."""
    headers, position = [], len(WHOOSH3_HEADER_MAGIC)
    while True:
        size = int.from_bytes(buffer[position : position + 4], "big", signed=True)
        headers.append(pickle.loads(buffer[position + 4 : position + 4 + abs(size)]))
        position += 4 + abs(size)
        if size < 0:
            return headers


def block_sizes(buffer: bytes) -> list[int]:
    """Return the number of postings of each block of a Whoosh 3 posting list."""
    return [header[0] for header in block_headers(buffer)]


def raw_list(leaf, data, fieldname: str, term: bytes) -> bytes:
    """Return the bytes of a term's posting list in a segment."""
    start, length = leaf._terms.term_info(fieldname, term).extent()
    return os.pread(data.postings_fd, length[0] if isinstance(length, tuple) else length, start)


def test_text_fields_are_written_in_blocks_of_the_packed_size_and_the_other_fields_in_the_block_size(tmp_path):
    ix = whoosh_index.create_in(str(tmp_path), make_schema())
    writer = VnSegmentWriter(ix, codec=VnCodec(blocklimit=2, packed_blocklimit=3), compound=False)
    for article in few_articles()[:7]:
        writer.add_document(**article_fields(article))
    writer.commit(merge=False)
    snapshot = Snapshot(ix)
    (leaf, _, data), = snapshot.leaves
    compared = set()
    for fieldname, blocklimit in (("body", 3), ("title", 3), ("category", 2), ("source", 2), ("day", 2), ("id", 2)):
        for term in leaf.lexicon(fieldname):
            full, rest = divmod(leaf.doc_frequency(fieldname, term), blocklimit)
            assert block_sizes(raw_list(leaf, data, fieldname, term)) == [blocklimit] * full + (
                [rest] if rest else []), (fieldname, term)
            compared.add((fieldname, full > 1))
    assert ("body", True) in compared and ("category", True) in compared  # lists of several whole blocks


def test_the_index_codec_writes_the_other_fields_postings_in_uncompressed_blocks_of_256():
    # 300 articles of one category (only their ids and label: the text is not what is looked at).
    category = few_articles()[0].category
    with TemporaryDirectory() as folder:
        ix = whoosh_index.create_in(folder, make_schema())
        writer = VnSegmentWriter(ix, codec=make_codec(), compound=False)
        for number in range(300):
            writer.add_document(id=f"bai-{number}", category=category)
        writer.commit(merge=False)
        snapshot = Snapshot(ix)
        (leaf, _, data), = snapshot.leaves
        headers = block_headers(raw_list(leaf, data, "category", category.encode("utf-8")))
        assert [(count, last, compression) for count, last, _, compression, _, _ in headers] == [
            (256, 255, 0), (44, 299, 0)]
        assert codec.postings_of_info(leaf._terms.term_info("category", category.encode("utf-8")), data.postings_fd,
                                      0).ids.tolist() == list(range(300))


def test_a_codec_unpickled_from_an_index_older_than_the_packed_block_size_writes_blocks_of_the_default_size():
    old = pickle.loads(pickle.dumps(VnCodec(packed_blocklimit=3)))
    del old._packed_blocklimit  # as a codec pickled before packed blocks had their own size
    assert old.postings_writer(None).packed_blocklimit == PACKED_BLOCK_POSTINGS
    assert VnCodec(packed_blocklimit=3).postings_writer(None).packed_blocklimit == 3


def test_each_segment_writes_posting_blocks_of_its_codecs_size_and_reads_them_over_a_short_first_read(
        tmp_path, monkeypatch):
    # Written here, not shared: the writing is what is looked at.
    few_segments = write_segments(tmp_path, few_articles())
    snapshot = Snapshot(few_segments)
    for (leaf, _, data), (_, _, blocklimit) in zip(snapshot.leaves, FEW_SEGMENTS, strict=True):
        for fieldname in ("body", "category", "id"):  # packed, and Whoosh's pickled blocks
            for term in leaf.lexicon(fieldname):
                info = leaf._terms.term_info(fieldname, term)
                start, length = info.extent()
                length = length[0] if isinstance(length, tuple) else length
                full, rest = divmod(info.doc_frequency(), blocklimit)
                assert block_sizes(os.pread(data.postings_fd, length, start)) == [blocklimit] * full + (
                    [rest] if rest else []), (fieldname, term)
    # A block header longer than the bytes first read is read over its whole block.
    expected = {term: numpy_postings(snapshot, "body", term) for term in FEW_TERMS}
    monkeypatch.setattr(codec, "BLOCK_HEADER_BYTES", 3)
    assert {term: numpy_postings(Snapshot(few_segments), "body", term) for term in FEW_TERMS} == expected


def test_a_label_column_reads_an_article_without_the_label_as_empty(tmp_path):
    # The second and third articles as a crawler giving no category, no source, neither would give them.
    first, second, third = few_articles()[:3]
    articles = [first, replace(second, category=None), replace(third, category=None, source=None)]
    ix = write_segments(tmp_path, articles, [(0, 3, 2)])
    with ix.reader() as leaf:
        assert codec.string_column(leaf, "category", 3) == [first.category, "", ""]
        assert codec.string_column(leaf, "source", 3) == [first.source, second.source, ""]
        assert codec.string_column(leaf, "source", 0) == []
    assert all((first.category, first.source, second.source))


def test_the_postings_of_a_segment_after_a_one_article_segment_are_read_one_doc_number_on(tmp_path):
    # The second segment's doc numbers start at 1, through the postings cache and without it.
    articles = few_articles()[:4]
    ix = write_segments(tmp_path, articles, [(0, 1, 2), (1, 4, 2)])
    expected = {term: [(doc, float(len(positions)), positions) for doc, positions in postings]
                for term, postings in analysed(articles, "body").items()}
    for cache in (None, PostingsCache(1 << 30)):
        snapshot = Snapshot(ix, postings_cache=cache)
        assert [offset for _, offset, _ in snapshot.leaves] == [0, 1]
        for _ in range(2):  # the second time from the cache
            assert read_by_numpy(snapshot, "body", expected) == expected


def test_a_few_articles_columns_are_read_as_whoosh_reads_them(few_segments):
    articles = few_articles()
    snapshot = Snapshot(few_segments)
    for leaf, offset, _ in snapshot.leaves:
        count = leaf.doc_count_all()
        for fieldname in TEXT_FIELDS:
            lengths = codec.field_lengths(leaf, fieldname, count)
            assert lengths.tolist() == [float(leaf.doc_field_length(n, fieldname)) for n in range(count)]
        day = codec.numeric_column(leaf, "day", count, ">u4")
        assert day.tolist() == [article_fields(a)["day"] for a in articles[offset : offset + count]]
        assert day.dtype == np.int64
        assert codec.numeric_column(leaf, "no_such_column", count, ">u4").tolist() == [0] * count
        assert codec.string_column(leaf, "category", count) == [a.category or "" for a in
                                                                  articles[offset : offset + count]]
        assert codec.string_column(leaf, "category", 0) == []
        # The folded syllables of the titles: ASCII terms, no compound (joined by "_"), number written with
        # separators ("1.000") nor accented form.
        held = analysed(articles[offset : offset + count], "title")
        assert codec.folded_syllables(leaf, "title") == {
            term: len(postings) for term, postings in held.items() if term.isascii() and term.isalnum()}
        assert codec.read_postings(leaf, snapshot.leaves[0][2].postings_fd, "body", "zzzqqq", 0,
                                   snapshot.lock) is None
    with pytest.raises(ValueError, match=r"^not a Whoosh 3 posting list$"):
        codec.decode_blocks(b"VNP1" + bytes(12), 0)


def test_posting_values_combine_into_their_positions_once_each_in_order():
    format_ = make_schema()["body"].format
    values = [np.array(positions, dtype="<u4").tobytes() for positions in ([4, 17, 30], [2, 17], [31])]
    assert format_.decode_positions(format_.combine(values)) == [2, 4, 17, 30, 31]


@pytest.mark.slow
def test_the_index_has_several_segments_long_multi_block_lists_and_a_deletion(segmented_index):
    ix, _ = segmented_index
    snapshot = Snapshot(ix)
    assert len(snapshot.leaves) == len(SEGMENTS)
    assert snapshot.doc_count == 201 and snapshot.live_count == 200
    last = snapshot.leaves[2][0]
    assert max(last.term_info("body", term).doc_frequency() for term in last.lexicon("body")) > 10 * 3


@pytest.mark.slow
def test_the_numpy_decoder_reads_every_term_of_every_text_field_as_whoosh_does(segmented_index):
    ix, _ = segmented_index
    snapshot = Snapshot(ix)
    compared = {name: 0 for name in TEXT_FIELDS}
    for fieldname in TEXT_FIELDS:
        terms = sorted({term for leaf, _, _ in snapshot.leaves for term in leaf.lexicon(fieldname)})
        for term in terms:
            expected = whoosh_postings(snapshot, fieldname, term)
            assert numpy_postings(snapshot, fieldname, term.decode("utf-8")) == expected, (fieldname, term)
            compared[fieldname] += 1
    # Titles and bodies hold exact, folded and compound terms: thousands of each.
    assert compared["title"] > 1000 and compared["body"] > 8000


@pytest.mark.slow
@pytest.mark.parametrize("header_bytes", [3, 40, codec.BLOCK_HEADER_BYTES])
def test_a_block_header_longer_than_the_bytes_first_read_is_read_over_the_whole_block(segmented_index, monkeypatch,
                                                                                       header_bytes):
    # A header is about 40 bytes: with 3 (or 40) bytes read first, the headers are read over their
    # whole blocks, and every list of every segment (each with its doc numbers shifted) decodes the same.
    monkeypatch.setattr(codec, "BLOCK_HEADER_BYTES", header_bytes)
    ix, _ = segmented_index
    snapshot = Snapshot(ix)
    for fieldname, term in [("body", "va"), ("body", "nam"), ("title", "viet"), ("body", "viet_nam"), ("body", "hà")]:
        assert numpy_postings(snapshot, fieldname, term) == whoosh_postings(snapshot, fieldname, term.encode("utf-8"))
    assert len(snapshot.postings("body", "va")) > 100


@pytest.mark.slow
def test_the_numpy_decoder_keeps_deleted_postings_for_the_snapshot_to_mask(segmented_index):
    ix, deleted = segmented_index
    snapshot = Snapshot(ix)
    docnum = next(n for n in range(snapshot.doc_count) if snapshot.stored(n)["id"] == deleted)
    assert not snapshot.live[docnum]
    postings = snapshot.postings("body", "va")
    assert docnum in postings.ids.tolist()
    assert docnum not in whoosh_postings(snapshot, "body", b"va")[0]


def test_a_reindex_records_the_index_format(tmp_path):
    reindex(tmp_path / "ix", [str(DEMO / "portal")], procs=1)
    meta = read_meta(current_generation(tmp_path / "ix"))
    recorded = (meta["schema_version"], meta["codec"], meta["whoosh_version"])
    assert recorded == (SCHEMA_VERSION, CODEC_NAME, WHOOSH_VERSION)


@pytest.mark.parametrize("key, other", [("codec", "VnPacked0"), ("whoosh_version", "2.7.4"), ("codec", None)])
def test_an_index_of_another_codec_or_whoosh_version_is_rebuilt_by_the_next_reindex(tmp_path, key, other):
    index_dir = tmp_path / "ix"
    reindex(index_dir, [str(DEMO / "portal")], procs=1)
    old_generation = current_generation(index_dir)
    meta = read_meta(old_generation)
    meta[key] = other
    # Sealed, as the vnsearch that wrote that other format would have left it.
    (old_generation / META_FILE).write_text(json.dumps(seal_meta(meta)), encoding="utf-8")
    report = reindex(index_dir, procs=1)
    assert report.full is True and report.added == 1 and report.unchanged == 0
    assert current_generation(index_dir) != old_generation
    assert read_meta(current_generation(index_dir))[key] == {"codec": CODEC_NAME, "whoosh_version": WHOOSH_VERSION}[key]


@pytest.mark.slow
def test_postings_of_a_term_no_segment_holds_are_empty(segmented_index):
    ix, _ = segmented_index
    postings = Snapshot(ix).postings("body", "zzzqqq")
    assert len(postings) == 0 and np.array_equal(postings.all_positions, np.zeros(0, dtype=np.uint32))


@pytest.mark.slow
@pytest.mark.parametrize("packed", [False, True])
def test_positions_read_from_each_segment_equal_those_of_the_concatenated_lists(segmented_index, monkeypatch, packed):
    ix, _ = segmented_index
    monkeypatch.setattr(reader, "PACKED_ABOVE", 0.0 if packed else 0.5)
    snapshot = Snapshot(ix, postings_cache=PostingsCache(1 << 30))
    assert snapshot.packs_postings == packed
    rng = np.random.default_rng(7)
    for term in ("va", "cua", "nam", "viet", "nguoi") * 2:  # the second time from the cache (unpacked)
        postings = snapshot.postings("body", term)
        assert isinstance(postings, JoinedPostings) and len(postings.parts) == 3  # a part per segment
        concatenated = Postings(postings.ids, postings.freqs, postings.all_positions, postings.starts)
        first_segment = int(postings.bounds[1])
        for rows in (np.arange(len(postings)), np.sort(rng.choice(len(postings), 9, replace=False)),
                     np.arange(first_segment), np.arange(first_segment, len(postings)), np.zeros(0, dtype=np.int64),
                     rng.permutation(len(postings))[:12]):  # the last in no order
            docs, places = postings.positions(rows)
            expected_docs, expected_places = concatenated.positions(rows)
            assert np.array_equal(docs, expected_docs) and np.array_equal(places, expected_places), (term, rows)
            assert (docs.dtype, places.dtype) == (expected_docs.dtype, expected_places.dtype)
            # The same occurrences as doc << 32 | position, from the parts and from the whole.
            for keys in (postings.keys(rows), concatenated.keys(rows)):
                assert np.array_equal(keys, (expected_docs << 32) | expected_places) and keys.dtype == np.int64


@pytest.mark.parametrize("kept", [False, True])
def test_the_starts_of_rows_are_the_running_sums_of_the_counts_before_them(segmented_index, monkeypatch, kept):
    # Postings read for one query (an index whose posting files exceed the cache's budget, as at 600,000
    # articles) sum the counts up to the rows asked, not the running sum of every posting; a term's
    # segments kept joined for the snapshot compute every start once and keep them.
    ix, _ = segmented_index
    monkeypatch.setattr(reader, "PACKED_ABOVE", 0.0)
    monkeypatch.setattr(reader, "JOINED_WITHIN", 1.0 if kept else 0.0)
    snapshot = Snapshot(ix, postings_cache=PostingsCache(1 << 30))
    assert snapshot.keeps_joined == kept and snapshot.packs_postings
    rng, unpacked = np.random.default_rng(5), 0
    for term in ("va", "cua", "nam", "viet", "nguoi") * 2:  # the second time from the cache (unpacked)
        postings = snapshot.postings("body", term)
        assert isinstance(postings, JoinedPostings) and len(postings.parts) == 3
        counts = postings.freqs.astype(np.int64)
        running = np.cumsum(counts) - counts
        size, first_segment = len(postings), int(postings.bounds[1])
        for rows in (np.arange(size), np.sort(rng.choice(size, 9, replace=False)), np.array([0, 1]),
                     np.array([0, size - 1]), np.array([size - 1]), np.array([3, 4, first_segment]),
                     np.arange(first_segment), np.arange(first_segment, size), np.zeros(0, dtype=np.int64)):
            got = postings.starts_of(rows)
            assert got.tolist() == running[rows].tolist() and got.dtype == np.int64, (term, rows)
            for part, begin, end in zip(postings.parts, postings.bounds[:-1], postings.bounds[1:]):
                inside = rows[(rows >= begin) & (rows < end)] - begin
                expected = running[inside + begin] - running[begin]
                assert part.starts_of(inside).tolist() == expected.tolist(), (term, rows)
            # The occurrences read from those starts: the whole's positions of the rows.
            docs, places = postings.positions(rows)
            assert np.array_equal(postings.keys(rows), (docs << 32) | places)
        # Postings of one query never computed the starts of every posting; kept ones did, once.
        assert (postings._starts is None) != kept, term
        counted = [part for part in postings.parts if isinstance(part, codec._CountedPostings)]
        assert all((part._starts is None) != kept for part in counted), term
        unpacked += len(counted)
        unordered = rng.permutation(size)[:12]
        assert postings.starts_of(unordered).tolist() == running[unordered].tolist()
    # Every part, read first or again, is unpacked: a list is decoded straight into its packed form.
    assert unpacked == 30


@pytest.mark.slow
@pytest.mark.parametrize("apart, block", [(1, 64), (4, 64), (0, 64), (0, 2), (0, 3), (4, 2)])
def test_the_starts_of_rows_of_a_one_query_list_are_the_running_sums_however_summed(
        segmented_index, monkeypatch, apart, block):
    # A one-query list (600,000 articles: packed segments unpacked for each query) takes the running sum
    # of every count when many rows are asked (SUMMED_APART); for a few rows of a long list, each row's
    # block's start kept in the cache (every STARTS_BLOCK-th) plus the counts before it in its block;
    # else the counts between the rows: the same starts every way, for every pattern of rows.
    ix, _ = segmented_index
    monkeypatch.setattr(reader, "PACKED_ABOVE", 0.0)
    monkeypatch.setattr(reader, "JOINED_WITHIN", 0.0)
    monkeypatch.setattr(codec, "SUMMED_APART", apart)
    monkeypatch.setattr(codec, "STARTS_BLOCK", block)
    monkeypatch.setattr(codec, "BLOCK_STARTS_MIN", 8)
    from_blocks = []
    summed = codec._starts_from_blocks
    monkeypatch.setattr(codec, "_starts_from_blocks", lambda *args: from_blocks.append(1) or summed(*args))
    snapshot = Snapshot(ix, postings_cache=PostingsCache(1 << 30))
    plain = Snapshot(ix)
    rng = np.random.default_rng(11)
    for term in ("va", "cua", "nam", "viet", "nguoi") * 2:  # the second time unpacked from the cache
        postings, expected = snapshot.postings("body", term), plain.postings("body", term)
        counts = expected.freqs.astype(np.int64)
        running = np.cumsum(counts) - counts
        size = len(postings)
        for rows in (np.arange(size), np.arange(1, size, 2), np.sort(rng.choice(size, size // 3, replace=False)),
                     np.sort(rng.choice(size, 9, replace=False)), np.array([size - 1]), np.array([0]),
                     np.zeros(0, dtype=np.int64)):
            got = postings.starts_of(rows)
            assert got.tolist() == running[rows].tolist() and got.dtype == np.int64, (term, rows)
            assert np.array_equal(postings.keys(rows), expected.keys(rows)), (term, rows)
        assert postings._starts is None and all(getattr(part, "_starts", None) is None for part in postings.parts)
        for _, _, data in snapshot.leaves:
            entry = snapshot.postings_cache.get((data.key, "body", term))
            if entry is not None:  # long lists keep every block's start, the others none
                assert (entry.block_starts is not None) == (len(entry) >= 8)
                if entry.block_starts is not None:
                    kept = entry.unpacked().starts[::block]
                    assert entry.block_starts.tolist() == kept.tolist() and entry.block_starts.dtype == np.uint32
    assert bool(from_blocks) == (block < 64 and apart != 1)  # the demo's lists are shorter than 128 postings


@pytest.mark.slow
@pytest.mark.parametrize("packed", [False, True])
def test_occurrences_read_for_many_terms_at_once_equal_each_terms_own_keyed_by_the_docs_places(
        segmented_index, monkeypatch, packed):
    # occurrence_keys reads the occurrences of many terms in the same docs in one pass (a part of
    # few postings looks its docs up, a part of many searches them): each term's keys are its own
    # keys(rows_of(docs)), the doc number replaced by its place in docs.
    ix, _ = segmented_index
    monkeypatch.setattr(reader, "PACKED_ABOVE", 0.0 if packed else 0.5)
    snapshot = Snapshot(ix, postings_cache=PostingsCache(1 << 30))
    terms = sorted({term.decode("utf-8") for leaf, _, _ in snapshot.leaves for term in leaf.lexicon("body")})[::5]
    postings = [snapshot.postings("body", term) for term in terms] + [Postings.empty()]
    assert sum(isinstance(p, JoinedPostings) for p in postings) > 10
    rng = np.random.default_rng(11)
    searched = looked_up = 0
    for size in (1, 3, 40, 150, snapshot.doc_count):
        docs = np.sort(rng.choice(snapshot.doc_count, size, replace=False))
        got = codec.occurrence_keys(postings, docs)
        assert len(got) == len(postings)
        for term, whole, keys in zip([*terms, "(none)"], postings, got):
            expected = whole.keys(whole.rows_of(docs))
            places = np.searchsorted(docs, expected >> 32)
            assert keys.dtype == np.int64, (term, size)
            assert np.array_equal(keys, (places << 32) | (expected & 0xFFFFFFFF)), (term, size)
            for part in whole.parts if isinstance(whole, JoinedPostings) else (whole,):
                searched += len(part) > 16 * size
                looked_up += 0 < len(part) <= 16 * size
        assert sum(map(len, got)) > 0 or size < 40
    assert searched > 50 and looked_up > 50  # both ways of finding the rows
    # A doc that is the last posting of a part of many, searched in it.
    lasts = 0
    for whole in postings:
        for part in whole.parts if isinstance(whole, JoinedPostings) else (whole,):
            if len(part) > 16:
                docs = part.ids[-1:]
                expected = whole.keys(whole.rows_of(docs))
                assert codec.occurrence_keys([whole], docs)[0].tolist() == (expected & 0xFFFFFFFF).tolist()
                lasts += len(expected) > 0
    assert lasts > 10
    assert codec.occurrence_keys(postings[:3], np.zeros(0, dtype=np.int64))[2].tolist() == []


@pytest.mark.slow
def test_the_docs_of_many_parts_looked_up_at_once_are_each_parts_own_rows_and_places(segmented_index):
    # A long query's proximity reads a hundred parts of a few hundred postings: their doc numbers are
    # looked up in one array together, each part's rows and places those of its own look-up.
    ix, _ = segmented_index
    snapshot = Snapshot(ix, postings_cache=PostingsCache(1 << 30))
    terms = sorted({term.decode("utf-8") for leaf, _, _ in snapshot.leaves for term in leaf.lexicon("body")})[::7]
    parts = [part for term in terms for part in getattr(snapshot.postings("body", term), "parts", ())]
    parts = [part for part in parts if len(part)]
    assert len(parts) > 50
    rng = np.random.default_rng(5)
    for size in (1, 40, snapshot.doc_count):
        docs = np.sort(rng.choice(snapshot.doc_count, size, replace=False))
        found = codec._looked_up(parts, docs)
        assert len(found) == len(parts)
        for part, (rows, places) in zip(parts, found):
            assert rows.tolist() == part.rows_of(docs).tolist()
            assert places.tolist() == np.searchsorted(docs, part.ids[rows]).tolist()
    assert codec._looked_up([], np.arange(3)) == []


def test_a_terms_postings_joined_from_several_segments_shift_as_their_parts_do(few_segments):
    whole = Snapshot(few_segments).postings("body", "va")
    assert isinstance(whole, JoinedPostings) and len(whole.parts) == 3 and whole.shifted(0) is whole
    shifted, rows = whole.shifted(1), np.arange(len(whole))
    assert isinstance(shifted, JoinedPostings) and len(shifted.parts) == 3
    assert (shifted.ids.tolist(), shifted.freqs.tolist(), shifted.keys(rows).tolist()) == (
        (whole.ids + 1).tolist(), whole.freqs.tolist(), (whole.keys(rows) + (1 << 32)).tolist())


def assert_joined_like(got: Postings, expected: Postings) -> None:
    """Assert that postings unpacked from packed segments hold the decoded ones' numbers in their types,
    joined alike, every part's doc numbers and frequencies views of the whole's (unpacked into them)."""
    assert_same_postings(got, expected)
    assert isinstance(got, JoinedPostings) == isinstance(expected, JoinedPostings)
    if isinstance(expected, JoinedPostings):
        assert got.bounds.tolist() == expected.bounds.tolist()
        for got_part, expected_part in zip(got.parts, expected.parts, strict=True):
            assert_same_postings(got_part, expected_part)
            assert np.shares_memory(got_part.ids, got.ids) and np.shares_memory(got_part.freqs, got.freqs)


def test_a_terms_packed_segments_unpack_straight_into_one_list_of_the_decoded_numbers(few_segments, monkeypatch):
    # Kept packed, not kept joined (a large index's cache): each query unpacks a term's segments into one list.
    monkeypatch.setattr(reader, "PACKED_ABOVE", 0.0)
    monkeypatch.setattr(reader, "JOINED_WITHIN", 0.0)
    plain, cached = Snapshot(few_segments), Snapshot(few_segments, postings_cache=PostingsCache(1 << 30))
    segments = []
    for term in sorted({t.decode("utf-8") for leaf, _, _ in plain.leaves for t in leaf.lexicon("body")})[::3]:
        cached.postings("body", term)  # read from disk and kept packed
        got, expected = cached.postings("body", term), plain.postings("body", term)
        assert_joined_like(got, expected)
        segments.append(len(expected.parts) if isinstance(expected, JoinedPostings) else 1)
    assert {1, 2, 3} <= set(segments)


def test_packed_postings_whose_starts_are_kept_unpack_straight_into_one_list_with_their_starts():
    # Postings whose starts are not their counts' running sum keep them (PackedPostings): joined, each
    # part's starts are its own, the doc numbers shifted by each part's offset.
    first = Postings(np.array([0, 2]), np.array([2.0, 1.0], dtype=np.float32), np.arange(5, dtype=np.uint32),
                     np.array([3, 0]))
    second = Postings(np.array([1, 4, 5]), np.array([1.0, 1.0, 2.0], dtype=np.float32),
                      np.array([7, 8, 9, 10], dtype=np.uint32), np.array([0, 2, 1]))
    packs = [(PackedPostings(first), 0), (PackedPostings(second), 6)]
    assert all(packed.starts is not None for packed, _ in packs)
    assert_joined_like(PackedPostings.joined(packs), Postings.join([first, second.shifted(6)]))
    assert PackedPostings.joined(packs).ids.tolist() == [0, 2, 7, 10, 11]


def test_docs_looked_up_in_a_first_segments_parts_may_lie_beyond_every_one_of_them(few_segments):
    snapshot = Snapshot(few_segments)
    leaf, _, data = snapshot.leaves[0]  # articles 0-4
    parts = [read_postings(leaf, data.postings_fd, "body", term, 0, snapshot.lock) for term in FEW_TERMS]
    parts = [part for part in parts if part is not None]
    docs = np.array([1, 3, 11])
    found = codec._looked_up(parts, docs)
    assert [(rows.tolist(), places.tolist()) for rows, places in found] == [
        (part.rows_of(docs).tolist(), np.searchsorted(docs, part.ids[part.rows_of(docs)]).tolist()) for part in parts]
    assert len(parts) > 5 and max(int(part.ids[-1]) for part in parts) < 11 and any(len(rows) for rows, _ in found)


def test_a_list_kept_joined_from_segments_kept_packed_is_read_only_and_its_starts_once_computed(
        few_segments, monkeypatch):
    # The segments' lists kept packed by an earlier snapshot that kept no joined list (a large index's),
    # then a snapshot keeping them joined: it unpacks them and shares the joined list read-only.
    monkeypatch.setattr(reader, "PACKED_ABOVE", 0.0)
    monkeypatch.setattr(reader, "JOINED_WITHIN", 0.0)
    cache = PostingsCache(1 << 30)
    Snapshot(few_segments, postings_cache=cache).postings("body", "va")
    monkeypatch.setattr(reader, "JOINED_WITHIN", 1.0)
    snapshot = Snapshot(few_segments, postings_cache=cache)
    kept = snapshot.postings("body", "va")
    assert snapshot.postings("body", "va") is kept and len(kept.parts) == 3
    assert all(isinstance(part, codec._CountedPostings) and part._starts is None for part in kept.parts)
    arrays = [kept.ids, kept.freqs, *(a for part in kept.parts for a in (part.ids, part.freqs, part.all_positions))]
    assert not any(values.flags.writeable for values in arrays)
    assert_same_postings(kept, Snapshot(few_segments).postings("body", "va"))  # its starts computed
    assert not kept.starts.flags.writeable and not any(part.starts.flags.writeable for part in kept.parts)


def test_a_snapshots_columns_are_its_articles_fields_in_doc_number_order(few_segments):
    snapshot, articles = Snapshot(few_segments), few_articles()
    fields = [article_fields(article) for article in articles]
    assert (snapshot.doc_count, snapshot.live_count, snapshot.live.tolist()) == (12, 12, [True] * 12)
    assert (snapshot.day.tolist(), snapshot.timestamp.tolist()) == (
        [f["day"] for f in fields], [f["timestamp"] for f in fields])
    assert [snapshot.category_names[code] for code in snapshot.category] == [a.category for a in articles]
    assert [snapshot.source_names[code] for code in snapshot.source] == [a.source for a in articles]
    assert snapshot.average_length == {name: float(snapshot.lengths[name].mean()) for name in TEXT_FIELDS}
    assert min(snapshot.average_length.values()) > 2


def test_an_index_holding_no_article_is_searched_and_its_snapshot_has_empty_columns_of_their_types(tmp_path):
    # Its only source's only article rejected (no body): the reindex commits an index without a segment.
    source = tmp_path / "bad.jsonl"
    source.write_text(json.dumps({"id": "khong-noi-dung", "title": "Bài không có nội dung"}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    report = reindex(tmp_path / "index", [source], procs=1)
    assert report.added == 0 and report.rejected
    result = SearchEngine(tmp_path / "index").search(SearchRequest(q="Việt Nam"))
    assert (result["total"], result["hits"]) == (0, [])
    (tmp_path / "empty").mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no mean of no lengths taken (numpy warns, then gives NaN)
        snapshot = Snapshot(whoosh_index.create_in(str(tmp_path / "empty"), make_schema()))
    assert (snapshot.leaves, snapshot.doc_count, snapshot.live_count) == ([], 0, 0)
    assert snapshot.average_length == {"title": 1.0, "body": 1.0}
    columns = [snapshot.live, snapshot.lengths["title"], snapshot.lengths["body"], snapshot.day, snapshot.timestamp,
               snapshot.category, snapshot.source]
    assert [(values.tolist(), values.dtype) for values in columns] == [
        ([], np.dtype(bool)), ([], np.float32), ([], np.float32), ([], np.int64), ([], np.int64), ([], np.int32),
        ([], np.int32)]
    assert (snapshot.category_names, snapshot.source_names, len(snapshot.postings("body", "viet"))) == ([], [], 0)


def test_document_frequencies_counted_from_cached_postings_equal_the_term_tables(few_segments, monkeypatch):
    ix = few_segments
    plain, cache = Snapshot(ix), PostingsCache(1 << 30)
    cached = Snapshot(ix, postings_cache=cache)
    terms = ["va", "cua", "nam", "viet", "nguoi", "zzzqqq", "chinh"]
    for term in terms[::2]:
        cached.postings("body", term)  # these are counted from the cache, the others by Whoosh
    assert {term for _, _, term in segment_keys(cache)} == set(terms[::2])
    assert [cached.doc_frequency("body", t) for t in terms] == [plain.doc_frequency("body", t) for t in terms]
    # A later snapshot (its segments loaded afresh, no term info kept) counts the cached terms without
    # looking them up in the term tables (a walk in Python under the lock), the others with.
    asked = []
    looked_up = codec.term_info
    monkeypatch.setattr(reader, "term_info", lambda leaf, field, term, lock: asked.append(term) or looked_up(
        leaf, field, term, lock))
    later = Snapshot(ix, postings_cache=cache)
    assert [later.doc_frequency("body", t) for t in terms] == [plain.doc_frequency("body", t) for t in terms]
    assert set(asked) == {"cua", "viet"}  # "chinh" is in none of these articles
    # The articles holding each term, as the analyzer reads them (the snapshot's counts both ways).
    for fieldname in TEXT_FIELDS:
        held = analysed(few_articles(), fieldname)
        assert [plain.doc_frequency(fieldname, t) for t in terms] == [len(held.get(t, ())) for t in terms]
    assert plain.doc_frequency("body", "va") == 12 and plain.doc_frequency("body", "zzzqqq") == 0


def test_the_segments_that_may_hold_a_term_are_looked_up_once_while_kept(few_segments, monkeypatch):
    # A query asks for each term's postings and counts, and "did you mean" asks again for the same
    # words: each segment's hashes are searched once for a term while the snapshot keeps it.
    ix = few_segments
    plain, cached = Snapshot(ix), Snapshot(ix, postings_cache=PostingsCache(1 << 30))
    searched = []
    holds = reader.TermHashes.holds_hash
    monkeypatch.setattr(reader.TermHashes, "holds_hash", lambda self, wanted: searched.append(wanted) or holds(
        self, wanted))
    terms = ["va", "cua", "nam", "viet", "nguoi", "zzzqqq", "hanoi"]
    counts = {(name, t): plain.doc_frequency(name, t) for name in TEXT_FIELDS for t in terms}
    read = {t: numpy_postings(plain, "body", t) for t in terms}
    searched.clear()
    assert [cached.doc_frequency("body", t) for t in terms] == [counts["body", t] for t in terms]
    first = len(searched)
    assert first == len(terms) * len(cached.leaves)
    for term in terms:
        assert numpy_postings(cached, "body", term) == read[term], term
        assert cached.doc_frequency("title", term) == counts["title", term], term
    assert len(searched) == first + len(terms) * len(cached.leaves)  # the titles once each
    # Beyond HELD_TERMS the snapshot drops the lot and searches again: with room for one term, two
    # asked in turn are searched every time.
    monkeypatch.setattr(reader, "HELD_TERMS", 1)
    fresh = Snapshot(ix, postings_cache=PostingsCache(1 << 30))
    searched.clear()
    assert [fresh.doc_frequency("body", t) for t in terms[:2] * 3] == [counts["body", t] for t in terms[:2] * 3]
    assert len(searched) == 6 * len(cached.leaves)


def test_a_terms_document_count_is_counted_once_while_kept(few_segments, monkeypatch):
    # A long query asks for each word's count in both fields several times a page (its postings bound,
    # its readings, "did you mean"): a snapshot counts each (field, term) once, from the postings cache or
    # the term tables, and gives the same number; beyond HELD_TERMS it drops the lot and counts again.
    ix = few_segments
    plain = Snapshot(ix)
    terms = ["va", "cua", "nam", "viet", "nguoi", "zzzqqq", "hanoi"]
    counts = {(name, t): plain.doc_frequency(name, t) for name in TEXT_FIELDS for t in terms}
    counted = []
    count = Snapshot._counted
    monkeypatch.setattr(Snapshot, "_counted", lambda self, name, term: counted.append((name, term)) or count(
        self, name, term))
    for snapshot in (Snapshot(ix), Snapshot(ix, postings_cache=PostingsCache(1 << 30))):
        counted.clear()
        snapshot.postings("body", "va")  # counted from the cache, the others from the term tables
        for _ in range(3):
            assert {(name, t): snapshot.doc_frequency(name, t) for name in TEXT_FIELDS for t in terms} == counts
        assert sorted(counted) == sorted(counts)
    # With room for one term, two asked in turn are counted every time.
    monkeypatch.setattr(reader, "HELD_TERMS", 1)
    fresh = Snapshot(ix)
    counted.clear()
    assert [fresh.doc_frequency("body", t) for t in terms[:2] * 3] == [counts["body", t] for t in terms[:2] * 3]
    assert len(counted) == 6


def test_a_segments_term_infos_are_looked_up_once_while_kept_and_count_and_read_as_the_term_tables(
        few_segments, monkeypatch):
    ix = few_segments
    plain, cached = Snapshot(ix), Snapshot(ix, postings_cache=PostingsCache(1 << 30))
    asked = []
    looked_up = codec.term_info
    monkeypatch.setattr(reader, "term_info", lambda leaf, field, term, lock: asked.append(term) or looked_up(
        leaf, field, term, lock))
    terms = ["va", "cua", "nam", "viet", "nguoi", "zzzqqq", "hanoi"]
    # Counted (a look-up a segment that may hold it), then read: no second look-up.
    assert [cached.doc_frequency("body", t) for t in terms] == [plain.doc_frequency("body", t) for t in terms]
    first = len(asked)
    assert first and set(asked) <= set(terms)
    for term in terms:
        assert numpy_postings(cached, "body", term) == numpy_postings(plain, "body", term), term
    assert len(asked) == first
    # Beyond TERM_INFOS a segment drops the lot and looks them up again (the snapshot's counts, kept
    # apart, dropped at each term too): with room for one, two terms asked in turn are looked up every time.
    monkeypatch.setattr(reader, "TERM_INFOS", 1)
    monkeypatch.setattr(reader, "HELD_TERMS", 1)
    pair = terms[:2]
    asked.clear()
    Snapshot(ix, postings_cache=PostingsCache(1 << 30)).doc_frequency("body", pair[0])
    Snapshot(ix, postings_cache=PostingsCache(1 << 30)).doc_frequency("body", pair[1])
    once = len(asked)
    fresh = Snapshot(ix, postings_cache=PostingsCache(1 << 30))
    asked.clear()
    assert [fresh.doc_frequency("body", t) for t in pair * 3] == [plain.doc_frequency("body", t) for t in pair * 3]
    assert once == 2 * len(fresh.leaves) and len(asked) == 3 * once


def test_a_snapshots_title_syllables_count_the_articles_of_every_segment_holding_them(few_segments):
    # Autocomplete and query understanding read the folded title syllables with how many articles hold
    # each: a syllable in several segments counts the articles of all of them.
    snapshot = Snapshot(few_segments)
    titles = analysed(few_articles(), "title")
    expected = sorted((term, len(held)) for term, held in titles.items() if term.isascii() and term.isalnum())
    assert snapshot.title_syllables() == expected
    assert snapshot.title_syllables() is snapshot.title_syllables()  # built once
    # Some of them are held by several segments, some by several articles of one.
    per_segment = [data.title_syllables for _, _, data in snapshot.leaves]
    assert any(sum(term in held for held in per_segment) > 1 for term, _ in expected)
    assert any(count > 1 for held in per_segment for count in held.values())


def test_a_snapshot_finds_a_live_articles_doc_number_by_its_id(few_segments):
    snapshot = Snapshot(few_segments)
    assert [snapshot.document_number(article.id) for article in few_articles()] == list(range(12))
    assert snapshot.document_number("khong-co-bai-nay") is None


def test_a_snapshot_reuses_the_segments_an_earlier_snapshot_loaded(few_segments, monkeypatch):
    # A refreshed snapshot reads its unchanged segments' columns from the backend's segments, not again.
    segments = {}
    first = Snapshot(few_segments, segments)
    assert set(segments) == first.segment_keys and len(segments) == 3
    loaded = []
    lengths = codec.field_lengths
    monkeypatch.setattr(reader, "field_lengths", lambda *args: loaded.append(args) or lengths(*args))
    second = Snapshot(few_segments, segments)
    assert [data for _, _, data in second.leaves] == [data for _, _, data in first.leaves] and not loaded
    assert all(a is b for (_, _, a), (_, _, b) in zip(second.leaves, first.leaves, strict=True))
    assert len(Snapshot(few_segments).leaves) == 3 and len(loaded) == 3 * len(TEXT_FIELDS)  # its own


def test_what_a_snapshot_computed_is_found_again_read_only_and_a_number_in_it_counted_as_eight_bytes(few_segments):
    # BM25F's arrays and idf, a phrase count: kept under the snapshot's key, shared by the queries
    # after it (read-only), found by ``kept``; a plain number (an idf) costs what an int64 holds.
    cache = PostingsCache(1 << 20)
    snapshot = Snapshot(few_segments, postings_cache=cache)
    key = ("bm25f", "body", "viet")
    assert snapshot.kept(key) is None
    scores = np.array([1.5, 2.5])
    value = snapshot.computed(key, lambda: (np.array([3, 7]), scores, 0.25))
    assert snapshot.kept(key) is value and value[1] is scores and value[2] == 0.25
    assert not any(array.flags.writeable for array in value[:2])
    with pytest.raises(ValueError):
        scores[0] = 0.0
    assert cache.size == PostingsCache.ENTRY_OVERHEAD + np.array([3, 7]).nbytes + scores.nbytes + np.array([0]).nbytes
    assert Snapshot(few_segments, postings_cache=cache).kept(key) is value  # the same generation
    uncached = Snapshot(few_segments)
    assert uncached.kept(key) is None and uncached.computed(key, lambda: (np.array([1]),))[0].tolist() == [1]


def test_a_segments_postings_are_decoded_once_while_the_cache_keeps_them(few_segments, monkeypatch):
    decoded = []
    for decoder in ("postings_of_info", "packed_of_info"):  # decoded as they are, or straight into the packed form
        decode = getattr(codec, decoder)
        monkeypatch.setattr(reader, decoder, lambda *args, decode=decode: decoded.append(args) or decode(*args))
    plain = Snapshot(few_segments)
    monkeypatch.setattr(reader, "JOINED_WITHIN", 0.0)  # each segment's list read, not the joined one kept
    for packed in (False, True):
        monkeypatch.setattr(reader, "PACKED_ABOVE", 0.0 if packed else 0.5)
        cache = PostingsCache(1 << 30)
        for snapshot in (Snapshot(few_segments, postings_cache=cache), Snapshot(few_segments, postings_cache=cache)):
            assert snapshot.packs_postings == packed and not snapshot.keeps_joined
            for term in FEW_TERMS:
                assert numpy_postings(snapshot, "body", term) == numpy_postings(plain, "body", term), term
        held = len(segment_keys(cache))
        assert held >= len(FEW_TERMS) and len(decoded) == held  # once a segment and term, in two snapshots
        decoded.clear()


def test_a_term_held_by_two_segments_is_kept_joined_and_one_held_by_one_is_not(few_segments):
    cache = PostingsCache(1 << 30)
    snapshot, plain = Snapshot(few_segments, postings_cache=cache), Snapshot(few_segments)
    assert snapshot.keeps_joined
    holders = {}
    for leaf, _, _ in snapshot.leaves:
        for term in leaf.lexicon("body"):
            holders[term.decode("utf-8")] = holders.get(term.decode("utf-8"), 0) + 1
    two, one = (sorted(term for term, count in holders.items() if count == held)[:5] for held in (2, 1))
    assert len(two) == len(one) == 5
    for term in two:
        kept = snapshot.postings("body", term)
        assert isinstance(kept, JoinedPostings) and len(kept.parts) == 2
        assert snapshot.postings("body", term) is kept
        assert cache.get((snapshot.cache_key, "joined", "body", term)) is kept
        assert numpy_postings(snapshot, "body", term) == numpy_postings(plain, "body", term)
    for term in one:
        assert numpy_postings(snapshot, "body", term) == numpy_postings(plain, "body", term)
        assert cache.get((snapshot.cache_key, "joined", "body", term)) is None


def test_other_fields_postings_read_through_the_cache_are_whooshs(few_segments):
    # Ids, labels and dates (Whoosh's pickled blocks) through a snapshot keeping postings: its doc numbers.
    snapshot = Snapshot(few_segments, postings_cache=PostingsCache(1 << 30))
    compared = 0
    with few_segments.reader() as whole:
        for fieldname in ("id", "category", "source"):
            for term in whole.lexicon(fieldname):
                expected = list(whole.postings(fieldname, term).all_ids())
                for _ in range(2):  # read, then from the cache
                    assert snapshot.postings(fieldname, term.decode("utf-8")).ids.tolist() == expected
                compared += 1
    assert compared > 12 and {field for _, field, _ in segment_keys(snapshot.postings_cache)} == {
        "id", "category", "source"}


def test_a_snapshot_whose_index_can_no_longer_be_read_is_not_current(tmp_path):
    # The next commit's table of contents cannot be read (a directory stands for a file that fails
    # to open): the backend opens the index again, and reports what fails, rather than serve on.
    ix = write_segments(tmp_path / "index", few_articles()[:2], [(0, 2, 2)])
    snapshot = Snapshot(ix)
    assert snapshot.is_current()
    (tmp_path / "index" / f"_MAIN_{snapshot.generation + 1}.toc").mkdir()
    with pytest.raises(OSError):
        whoosh_index.exists_in(str(tmp_path / "index"))
    assert not snapshot.is_current()


def files_open_in(folder) -> list[str]:
    """Return the paths of the files this process holds open in folder (Linux's /proc)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the descriptor listing the directory itself, closed meanwhile
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return sorted(found)


def test_a_backends_replaced_snapshots_and_segments_close_their_files(tmp_path):
    # Every reindex replaces the segment holding the changed articles: the server's snapshot of it
    # (Whoosh's files) and its segment (the posting file the snapshot reads with pread) go with it,
    # closed, not left to Python's file finalizers (a ResourceWarning) or open forever (a descriptor
    # per reindex, until the server runs out).
    source = tmp_path / "tin.jsonl"

    def write(version: int) -> None:
        source.write_text("".join(json.dumps({
            "id": f"tin-{n}", "title": f"Việt Nam tin số {n} bản {version}",
            "body": f"Bài số {n} về Việt Nam, bản {version}.", "published": "2024-05-01"}, ensure_ascii=False) + "\n"
            for n in range(3)), encoding="utf-8")

    write(0)
    index_dir = tmp_path / "index"
    reindex(index_dir, [source], procs=1)
    engine = SearchEngine(backend=WhooshBackend(index_dir, refresh_seconds=0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for version in range(1, 4):
            assert engine.search(SearchRequest(q="Việt Nam"))["total"] == 3
            write(version)
            reindex(index_dir, [source], procs=1)
        assert engine.search(SearchRequest(q=f"bản {version}"))["total"] == 3
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    snapshot = engine.backend.snapshot()
    live = {leaf.segment().segment_id() for leaf, _, _ in snapshot.leaves}
    open_files = files_open_in(index_dir.resolve())
    assert open_files and all(os.path.basename(path).split(".")[0] in live for path in open_files), open_files
    assert len([path for path in open_files if path.endswith(".pst")]) == 2 * len(live)  # Whoosh's and the segment's


@contextmanager
def unraisable_exceptions():
    """Yield the exceptions raised meanwhile where Python cannot raise them (in a finalizer), as text."""
    caught, previous = [], sys.unraisablehook
    sys.unraisablehook = lambda unraisable: caught.append(f"{unraisable.exc_type.__name__}: {unraisable.exc_value}")
    try:
        yield caught
    finally:
        sys.unraisablehook = previous


def test_a_snapshot_or_segment_failing_to_open_or_closed_before_it_goes_raises_nothing_more(few_segments, tmp_path):
    # A reindex may delete a segment's files while a snapshot opens it: the error is the snapshot's,
    # and the half-opened snapshot or segment has nothing to close.  `vnsearch check` closes its
    # snapshot before dropping it: it is not closed twice.
    broken = tmp_path / "broken"
    shutil.copytree(few_segments.storage.folder, broken)
    with unraisable_exceptions() as caught:
        (broken / f"{few_segments._segments()[0].segment_id()}.trm").unlink()
        with pytest.raises(FileNotFoundError):
            Snapshot(whoosh_index.open_dir(str(broken)))
        opened = Snapshot(few_segments)
        with pytest.raises(FileNotFoundError):
            reader.SegmentData(opened.leaves[0][0], str(tmp_path / "elsewhere"))
        snapshot = Snapshot(few_segments)
        snapshot.close()
        del snapshot
        gc.collect()
    assert caught == []


def without_time(result: dict) -> dict:
    """Return a search result without the time it took."""
    return {key: value for key, value in result.items() if key != "took_ms"}


def cached_owners(cache: PostingsCache) -> set[str]:
    """Return the segments and snapshots a postings cache holds entries of."""
    return {key[0] for key in cached_keys(cache)}


def segment_keys(cache: PostingsCache) -> list[tuple]:
    """Return the keys of one segment's postings a cache holds: (segment key, field, term)."""
    return [key for key in cached_keys(cache) if len(key) == 3]


def cached_keys(cache: PostingsCache) -> list[tuple]:
    """Return the keys a postings cache holds (postings and scores least recently used first, then statistics)."""
    return cache.keys()


@pytest.mark.slow
@pytest.mark.parametrize("packed", [False, True])
def test_postings_read_through_the_cache_equal_the_decoders_and_are_shared_read_only(segmented_index, monkeypatch,
                                                                                     packed):
    ix, _ = segmented_index
    # A large index's postings are kept packed; this one's fit in the budget many times over.
    monkeypatch.setattr(reader, "PACKED_ABOVE", 0.0 if packed else 0.5)
    plain, cache = Snapshot(ix), PostingsCache(1 << 30)
    cached = Snapshot(ix, postings_cache=cache)
    assert cached.packs_postings == packed
    terms = sorted({term.decode("utf-8") for leaf, _, _ in plain.leaves for term in leaf.lexicon("body")})[::7]
    for term in terms:
        expected = numpy_postings(plain, "body", term)
        assert numpy_postings(cached, "body", term) == expected, term  # read from disk, then kept
        assert numpy_postings(cached, "body", term) == expected, term  # read from the cache
    held = {(key, term) for _, _, data in plain.leaves for term in terms
            if data.terms["body"].may_hold(term.encode("utf-8")) for key in [data.key]}
    held_keys = segment_keys(cache)
    assert {(key, term) for key, _, term in held_keys} <= held and len(held_keys) > 0.9 * len(held)
    entry = cache.get(held_keys[0])
    assert isinstance(entry, PackedPostings if packed else Postings)
    assert not entry.ids.flags.writeable and not entry.all_positions.flags.writeable


@pytest.mark.slow
def test_a_terms_packed_segments_unpack_into_one_list_equal_to_the_decoded_ones_joined(segmented_index, monkeypatch):
    ix, _ = segmented_index
    monkeypatch.setattr(reader, "PACKED_ABOVE", 0.0)
    plain, cached = Snapshot(ix), Snapshot(ix, postings_cache=PostingsCache(1 << 30))
    terms = sorted({term.decode("utf-8") for leaf, _, _ in plain.leaves for term in leaf.lexicon("body")})[::7]
    joined = 0
    for term in terms:
        cached.postings("body", term)  # read from disk and kept packed
        got, expected = cached.postings("body", term), plain.postings("body", term)
        joined += isinstance(got, JoinedPostings)
        assert type(got) is type(expected) or not isinstance(expected, JoinedPostings), term
        for name in ("ids", "freqs", "starts", "all_positions"):
            assert np.array_equal(getattr(got, name), getattr(expected, name)), (term, name)
            assert name == "all_positions" or getattr(got, name).dtype == getattr(expected, name).dtype, (term, name)
        if isinstance(expected, JoinedPostings):
            assert np.array_equal(got.bounds, expected.bounds)
            for got_part, expected_part in zip(got.parts, expected.parts, strict=True):
                assert np.array_equal(got_part.ids, expected_part.ids) and np.array_equal(got_part.starts,
                                                                                           expected_part.starts)
    assert joined > 10


@pytest.mark.slow
@pytest.mark.parametrize("packed", [False, True])
def test_a_terms_segments_are_kept_joined_for_the_snapshot_when_the_posting_files_fit_the_budget(
        segmented_index, monkeypatch, packed):
    ix, _ = segmented_index
    monkeypatch.setattr(reader, "PACKED_ABOVE", 0.0 if packed else 0.5)
    plain, cache = Snapshot(ix), PostingsCache(1 << 30)
    cached = Snapshot(ix, postings_cache=cache)
    assert cached.keeps_joined and not plain.keeps_joined
    for term in ("va", "cua", "nam", "viet", "nguoi"):
        first, expected = cached.postings("body", term), plain.postings("body", term)
        assert isinstance(first, JoinedPostings) and len(first.parts) == 3
        assert cached.postings("body", term) is first  # the next query reads it as it was kept
        assert cache.get((cached.cache_key, "joined", "body", term)) is first
        for name in ("ids", "freqs", "starts"):
            got, wanted = getattr(first, name), getattr(expected, name)
            assert np.array_equal(got, wanted) and got.dtype == wanted.dtype, (term, name)
            assert not got.flags.writeable, (term, name)
        rows = np.arange(len(expected))
        assert np.array_equal(first.keys(rows), expected.keys(rows)), term
        for got_part, expected_part in zip(first.parts, expected.parts, strict=True):
            assert np.array_equal(got_part.starts, expected_part.starts) and not got_part.starts.flags.writeable
    # The segments' own entries are kept as well (document frequencies are counted from them).
    assert {term for _, _, term in segment_keys(cache)} == {"va", "cua", "nam", "viet", "nguoi"}
    files = sum(data.postings_bytes for _, _, data in plain.leaves)
    assert Snapshot(ix, postings_cache=PostingsCache(files)).keeps_joined
    small = Snapshot(ix, postings_cache=PostingsCache(files - 1))
    assert not small.keeps_joined
    small.postings("body", "va")
    assert all(len(key) == 3 for key in cached_keys(small.postings_cache))


def test_a_snapshot_packs_cached_postings_when_its_posting_files_exceed_half_the_budget(demo_index):
    ix = SearchEngine(demo_index).backend.snapshot().ix
    files = sum(data.postings_bytes for _, _, data in Snapshot(ix).leaves)
    assert files > 1000
    assert Snapshot(ix, postings_cache=PostingsCache(2 * files - 2)).packs_postings
    assert not Snapshot(ix, postings_cache=PostingsCache(2 * files)).packs_postings
    snapshot = Snapshot(ix, postings_cache=PostingsCache(2 * files - 2))
    snapshot.postings("body", "nam")
    held = cached_keys(snapshot.postings_cache)
    assert held and all(isinstance(snapshot.postings_cache.get(key), PackedPostings) for key in held)


def test_a_snapshot_packs_each_segments_lists_with_that_segments_positions_bound_of_the_field(
        few_segments, monkeypatch):
    given = []
    monkeypatch.setattr(reader, "packed_of_info", lambda info, fd, below: given.append((fd, below))
                        or packed_of_info(info, fd, below))
    files = sum(data.postings_bytes for _, _, data in Snapshot(few_segments).leaves)
    snapshot = Snapshot(few_segments, postings_cache=PostingsCache(files))  # packed: files past half the budget
    assert snapshot.packs_postings
    for name in TEXT_FIELDS:
        given.clear()
        snapshot.postings(name, "nam")
        assert sorted(given) == sorted((data.postings_fd, data.positions_below[name])
                                       for _, _, data in snapshot._holding(name, "nam"))
        assert len(given) > 1
    assert len({data.positions_below["body"] for _, _, data in snapshot.leaves}) > 1


def assert_same_postings(unpacked: Postings, decoded: Postings) -> None:
    """Assert that unpacked postings hold the decoded ones' numbers (and, but for the positions,
    their types)."""
    for name in ("ids", "freqs", "starts", "all_positions"):
        got, expected = getattr(unpacked, name), getattr(decoded, name)
        assert np.array_equal(got, expected), name
        assert name == "all_positions" or got.dtype == expected.dtype, name
    rows = np.arange(len(decoded))
    for got, expected in zip(unpacked.positions(rows), decoded.positions(rows), strict=True):
        assert np.array_equal(got, expected) and got.dtype == expected.dtype


@pytest.mark.slow
def test_packed_postings_unpack_to_the_decoders_arrays_in_about_half_the_bytes(segmented_index):
    ix, _ = segmented_index
    snapshot = Snapshot(ix)
    packed_bytes = decoded_bytes = 0
    for leaf, offset, data in snapshot.leaves:
        for term in sorted({t.decode("utf-8") for t in leaf.lexicon("body")})[::5]:
            decoded = read_postings(leaf, data.postings_fd, "body", term, 0, snapshot.lock)
            packed = decoded.packed()
            assert len(packed) == len(decoded)
            assert_same_postings(packed.unpacked(), decoded)
            shifted = packed.unpacked(offset)
            assert_same_postings(shifted, decoded.shifted(offset))
            assert shifted.ids.flags.writeable  # the reader's own copy, not the cache's
            packed_bytes, decoded_bytes = packed_bytes + packed.nbytes, decoded_bytes + decoded.nbytes
    # Doc numbers in 4 bytes, counts in 1, positions in 2, starts derived: 7 bytes a posting
    # and 2 a position, against 20 and 4.
    assert 0.3 * decoded_bytes < packed_bytes < 0.5 * decoded_bytes


@pytest.mark.slow
def test_rows_of_few_and_of_many_documents_are_the_rows_holding_them(segmented_index):
    ix, _ = segmented_index
    snapshot = Snapshot(ix)
    rng = np.random.default_rng(7)
    for term in ("va", "nam", "viet", "nguoi", "hanoi"):
        postings = snapshot.postings("body", term)
        for count in (0, 1, 3, len(postings) // 20, len(postings) // 16 + 1, len(postings), snapshot.doc_count):
            docs = rng.permutation(snapshot.doc_count)[:count]  # distinct, in no order
            expected = np.flatnonzero(np.isin(postings.ids, docs))
            rows = postings.rows_of(docs)
            assert np.array_equal(rows, expected) and rows.dtype == np.intp, (term, count)
    assert len(Postings.empty().rows_of(np.arange(5))) == 0


def test_packed_postings_keep_what_a_narrow_type_cannot_hold_as_it_is():
    ids = np.array([3, 70_000, 5_000_000_000], dtype=np.int64)  # beyond uint32
    freqs = np.array([1.5, 2.0, 3.0], dtype=np.float32)  # a weight that is not a count
    positions = np.array([0, 1, 70_000, 2, 3, 4], dtype=np.uint32)  # beyond uint16
    starts = np.array([0, 1, 3], dtype=np.int64)  # not the running sum of the weights
    wide = PackedPostings(Postings(ids, freqs, positions, starts))
    assert (wide.ids.dtype, wide.freqs.dtype, wide.all_positions.dtype, wide.starts.dtype) == (
        np.int64, np.float32, np.uint32, np.uint32)
    assert_same_postings(wide.unpacked(), Postings(ids, freqs, positions, starts))
    assert_same_postings(wide.unpacked(7), Postings(ids + 7, freqs, positions, starts))
    # Counts of 2 and 300 positions: two bytes a count, and the starts are their running sum.
    counts, ids, positions = np.array([2, 300], dtype=np.float32), np.array([3, 9]), np.arange(302, dtype=np.uint32)
    narrow = PackedPostings(Postings(ids, counts, positions, np.array([0, 2])))
    assert (narrow.ids.dtype, narrow.freqs.dtype, narrow.all_positions.dtype, narrow.starts) == (
        np.uint32, np.uint16, np.uint16, None)
    assert_same_postings(narrow.unpacked(), Postings(ids, counts, positions, np.array([0, 2])))
    # Counts whose starts are not their running sum (one posting's too) keep their starts.
    for counts, starts in (([2.0, 3.0], [3, 0]), ([2.0], [2])):
        postings = Postings(np.arange(len(counts)) + 3, np.array(counts, dtype=np.float32),
                            np.arange(8, dtype=np.uint32), np.array(starts))
        kept = PackedPostings(postings)
        assert kept.starts.tolist() == starts and kept.freqs.dtype == np.uint8
        assert_same_postings(kept.unpacked(), postings)
    empty = PackedPostings(Postings.empty())
    assert len(empty) == 0 and empty.starts is None
    assert_same_postings(empty.unpacked(5), Postings.empty())


def test_narrowing_by_the_least_and_greatest_value_gives_what_a_round_trip_gives():
    values = [[], [0], [7, 255], [256, 3], [0, 65_535], [65_536], [2**32 - 1, 0], [2**32], [3, -1]]
    cases = [np.array(v, dtype=np.int64) for v in values]
    cases += [np.array(v, dtype=np.uint32) for v in values[:7]]
    cases += [np.array(v, dtype=np.float32) for v in [*values, [1.5, 2.0], [300.25]]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a value a type cannot hold fails its round trip silently
        for array in cases:
            for smallest in range(3):
                narrow, expected = _narrowest(array, smallest), _round_trip_narrowest(array, smallest)
                assert narrow.dtype == expected.dtype and np.array_equal(narrow, expected), (array, smallest)
    # A whole frequency beyond two bytes is kept in four.
    assert _narrowest(np.array([70_000.0], dtype=np.float32)).dtype == np.uint32
    assert _narrowest(np.array([7.0, 255.0], dtype=np.float32)).dtype == np.uint8


@pytest.mark.slow
def read_through(cache: PostingsCache, key: tuple, value) -> bool:
    """Read key as a snapshot does (asked for, put when missing); tell whether the cache held it."""
    if cache.get(key) is not None:
        return True
    cache.put(key, value)
    return False


def test_the_postings_cache_keeps_the_most_recently_used_of_lists_read_as_often_within_its_budget(
        segmented_index, monkeypatch):
    monkeypatch.setattr(PostingsCache, "WINDOW_SHARE", 0)  # the admission alone
    ix, _ = segmented_index
    snapshot = Snapshot(ix)
    first_segment = snapshot.leaves[0][2].key
    sizes = {term: snapshot.postings("body", term).nbytes + PostingsCache.ENTRY_OVERHEAD
             for term in ("va", "cua", "nam", "viet", "nguoi")}
    # Room for the last three terms read, not four.
    cache = PostingsCache(sizes["nam"] + sizes["viet"] + sizes["nguoi"] + min(sizes.values()) - 1)
    held = [read_through(cache, (first_segment, "body", term), snapshot.postings("body", term))
            for term in ("nam", "viet", "nguoi", "va", "va", "va", "viet", *["cua"] * 5)]
    # Read a third time, "va" was read more often before than "nam" (once) and takes its room;
    # "cua" needs the room of two lists, "nguoi" (read once) and "va" (three times): its fifth read.
    assert held == [False] * 6 + [True] + [False] * 5
    assert [term for _, _, term in cached_keys(cache)] == ["viet", "cua"]
    assert cache.size == sizes["viet"] + sizes["cua"] <= cache.budget < sizes["viet"] + sizes["cua"] + sizes["va"]


def test_a_list_read_more_often_before_than_the_least_recently_used_takes_its_room_and_one_read_as_often_does_not(
        monkeypatch):
    monkeypatch.setattr(PostingsCache, "WINDOW_SHARE", 0)  # the admission alone
    listed = postings_of(64).nbytes + PostingsCache.ENTRY_OVERHEAD
    cache = PostingsCache(3 * listed)
    key = {term: ("segment", "body", term) for term in ("t0", "t1", "t2", "t3", "t4")}
    held = [read_through(cache, key[term], postings_of(64)) for term in ("t0", "t1", "t2", "t3")]
    assert (held, [k[2] for k in cached_keys(cache)]) == ([False] * 4, ["t0", "t1", "t2"])
    # Read a second time, "t3" was read before as often as "t0"; its third read takes its room.
    held = [read_through(cache, key["t3"], postings_of(64)) for _ in range(2)]
    assert (held, [k[2] for k in cached_keys(cache)]) == ([False, False], ["t1", "t2", "t3"])
    assert read_through(cache, key["t1"], postings_of(64))  # read twice now, the most recently used
    held = [read_through(cache, key["t4"], postings_of(64)) for _ in range(4)]
    # "t4" takes the room of "t2" (read once) on its third read, not of "t3" or "t1" (more).
    assert (held, [k[2] for k in cached_keys(cache)], cache.size) == ([False, False, False, True], ["t3", "t1", "t4"],
                                                                3 * listed)


def test_the_lists_a_long_query_reads_once_leave_the_lists_read_often_in_the_cache(monkeypatch):
    monkeypatch.setattr(PostingsCache, "WINDOW_SHARE", 0)  # the admission alone
    # A pasted paragraph reads a hundred words' lists once: an LRU cache would lose the common
    # words every query reads, and then lose the paragraph's lists before anything read them again.
    listed = postings_of(64).nbytes + PostingsCache.ENTRY_OVERHEAD
    cache = PostingsCache(3 * listed)
    often = [("segment", "body", term) for term in ("viet", "nam", "nguoi")]
    for _ in range(3):
        assert [read_through(cache, k, postings_of(64)) for k in often] == [bool(_)] * 3
    once = [read_through(cache, ("segment", "body", f"word{n}"), postings_of(64)) for n in range(10)]
    assert (once, cache.keys(), cache.size) == ([False] * 10, often, 3 * listed)
    assert [read_through(cache, k, postings_of(64)) for k in often] == [True] * 3


def test_a_list_read_once_stays_in_the_window_for_its_next_read_beside_lists_read_more_often():
    # A reader's next page or a refresh reads a new query's lists again at once: they must not
    # wait to be read as often as the common words before the cache keeps them.
    listed = postings_of(64).nbytes + PostingsCache.ENTRY_OVERHEAD
    cache = PostingsCache(8 * listed)  # the window: two lists (a quarter)
    often = [("segment", "body", f"often{n}") for n in range(8)]
    for _ in range(3):
        [read_through(cache, k, postings_of(64)) for k in often]
    assert (cache.keys(), cache.window_size, cache.size) == (often, 2 * listed, 8 * listed)
    new = [("segment", "body", "new"), ("segment", "body", "newer")]
    assert [read_through(cache, k, postings_of(64)) for k in new * 2] == [False, False, True, True]
    # They took the window's room; what left it (read three times) kept its place in the rest.
    assert (cache.keys(), cache.window_size, cache.size) == ([*often[:6], *new], 2 * listed, 8 * listed)
    assert [read_through(cache, k, postings_of(64)) for k in often[6:]] == [False, False]
    # Pushed out of the window, the new lists (their second read found them there: counted once) lose to the rest's.
    assert cache.keys() == [*often[:6], *often[6:]]


def test_lists_read_in_turn_beyond_the_budget_keep_a_part_of_them_cached():
    # Read in turn, twelve lists through a cache of eight, least recently used evicted: every read
    # misses.  Admitted by reads, the six the rest holds stay, and each turn finds them.
    listed = postings_of(64).nbytes + PostingsCache.ENTRY_OVERHEAD
    cache = PostingsCache(8 * listed)
    turn = [("segment", "body", f"word{n}") for n in range(12)]
    found = [sum(read_through(cache, k, postings_of(64)) for k in turn) for _ in range(4)]
    assert (found, cache.keys()[:6], cache.size) == ([0, 6, 6, 6], turn[:6], 8 * listed)


def test_reads_long_past_count_for_less_than_reads_lately(monkeypatch):
    monkeypatch.setattr(PostingsCache, "AGING_READS", 16)
    listed = postings_of(64).nbytes + PostingsCache.ENTRY_OVERHEAD
    cache = PostingsCache(listed)
    old, new = ("segment", "body", "old"), ("segment", "body", "new")
    assert [read_through(cache, old, postings_of(64)) for _ in range(8)] == [False] + [True] * 7
    for n in range(24):  # 32 reads in all: every count halved twice, "old" read 8 times long ago counts 2
        cache.get(("segment", "body", f"other{n}"))
    held = [read_through(cache, new, postings_of(64)) for _ in range(5)]
    # Its fourth read finds it read three times before, more than "old" now: it takes its room.
    assert (held, cache.keys()) == ([False, False, False, False, True], [new])


def test_reads_are_counted_halved_every_aging_reads_and_keys_read_once_are_forgotten(monkeypatch):
    monkeypatch.setattr(PostingsCache, "AGING_READS", 4)
    cache = PostingsCache(1 << 20)
    key = {name: ("segment", "body", name) for name in "abcd"}

    def read(*names: str) -> dict:
        for name in names:
            cache.get(key[name])
        return {k[2]: count for k, count in cache._reads.items()}

    assert read("a", "a", "a") == {"a": 3}
    assert read("b") == {"a": 1}  # the fourth read halves every count; "b" (read once) is forgotten
    assert read("c", "c", "d") == {"a": 1, "c": 2, "d": 1}
    # So are the keys then read once, "a" among them: the counts keep the keys read lately.
    assert read("d") == {"c": 1, "d": 1}


def test_a_list_whose_reads_were_forgotten_gives_its_room_to_one_read_twice_lately(monkeypatch):
    monkeypatch.setattr(PostingsCache, "WINDOW_SHARE", 0)  # the admission alone
    monkeypatch.setattr(PostingsCache, "AGING_READS", 4)
    listed = postings_of(64).nbytes + PostingsCache.ENTRY_OVERHEAD
    cache = PostingsCache(listed)
    old, new, twice = (("segment", "body", name) for name in ("old", "new", "twice"))
    assert not read_through(cache, old, postings_of(64))
    for n in range(3):  # the fourth read: "old", read once, is forgotten
        cache.get(("segment", "body", f"other{n}"))
    assert [read_through(cache, new, postings_of(64)) for _ in range(3)] == [False, False, True]
    # Read twice before the counts were halved, a list still counts once: as much as a list read twice since.
    assert [read_through(cache, twice, postings_of(64)) for _ in range(2)] == [False, False]
    assert cache.keys() == [new]


def test_a_list_one_byte_over_the_budget_needs_the_room_of_the_least_recently_used(monkeypatch):
    monkeypatch.setattr(PostingsCache, "WINDOW_SHARE", 0)  # the admission alone
    listed = postings_of(64).nbytes + PostingsCache.ENTRY_OVERHEAD
    cache = PostingsCache(3 * listed - 1)
    held = [read_through(cache, ("segment", "body", term), postings_of(64)) for term in ("t0", "t1", "t2")]
    assert (held, [k[2] for k in cached_keys(cache)], cache.size) == ([False] * 3, ["t0", "t1"], 2 * listed)


def test_a_window_of_the_whole_budget_evicts_the_least_recently_used_beside_the_statistics(monkeypatch):
    # The policy before the admission (bench_cache_admission.py replays it as window 1).
    monkeypatch.setattr(PostingsCache, "WINDOW_SHARE", 1)
    listed = postings_of(4096).nbytes + PostingsCache.ENTRY_OVERHEAD
    counted = PostingsCache.ENTRY_OVERHEAD + np.array([0]).nbytes
    cache = PostingsCache(3 * listed)
    count_key = ("snapshot@1", "phrase count", ("viet", "nam"), TEXT_FIELDS)
    cache.put(count_key, (np.array([17]),), statistic=True)
    held = [read_through(cache, ("segment", "body", f"t{n}"), postings_of(4096)) for n in range(3)]
    assert (held, [k[2] for k in cached_keys(cache)], cache.window_size) == ([False] * 3, ["t1", "t2", ("viet", "nam")],
                                                                     2 * listed)
    assert not read_through(cache, ("segment", "body", "t3"), postings_of(4096))
    assert [k[2] for k in cached_keys(cache)] == ["t2", "t3", ("viet", "nam")]
    assert (cache.window_size, cache.size) == (2 * listed, 2 * listed + counted)
    cache.keep_only({"snapshot@1"})  # the segment merged away: its lists go, the window's size with them
    assert (cache.keys(), cache.window_size, cache.size) == ([count_key], 0, counted)


def postings_of(count: int) -> Postings:
    """Return postings of count documents, one position each."""
    ids = np.arange(count, dtype=np.int64)
    return Postings(ids, np.ones(count, dtype=np.int32), np.zeros(count, dtype=np.uint32), ids.copy())


def test_a_phrase_count_outlives_the_postings_read_after_it_and_counts_keep_to_their_share(monkeypatch):
    monkeypatch.setattr(PostingsCache, "WINDOW_SHARE", 0)  # the admission alone
    # A phrase's count of articles costs a scan of the positions of every article holding its
    # words, and takes a few bytes: the postings a long query reads after it must not evict it.
    listed = postings_of(4096).nbytes + PostingsCache.ENTRY_OVERHEAD
    cache = PostingsCache(4 * listed)
    count_key = ("snapshot@1", "phrase count", ("viet", "nam"), TEXT_FIELDS)
    cache.put(count_key, (np.array([17]),), statistic=True)
    for term in range(10):
        for _ in range(term + 1):  # each read more often than the one before: it earns their room
            read_through(cache, ("segment", "body", f"term{term}"), postings_of(4096))
    assert int(cache.get(count_key)[0][0]) == 17
    # The postings are evicted as before, least recently used first: three lists and the count fit.
    assert [key[2] for key in cached_keys(cache) if key[1] == "body"] == ["term7", "term8", "term9"]
    assert cache.size == 3 * listed + cache.statistics_size <= cache.budget
    # Counts evict one another beyond their share of the budget (1/64: 15 counts here), never postings.
    counted = PostingsCache.ENTRY_OVERHEAD + np.array([0]).nbytes
    room = int(cache.budget * PostingsCache.STATISTICS_SHARE) // counted
    for pair in range(room + 5):
        cache.put(("snapshot@1", "phrase count", ("tu", str(pair)), TEXT_FIELDS), (np.array([pair]),), statistic=True)
    held = [key[2] for key in cached_keys(cache) if key[1] == "phrase count"]
    assert held == [("tu", str(pair)) for pair in range(5, room + 5)] and room == 15
    assert [key[2] for key in cached_keys(cache) if key[1] == "body"] == ["term7", "term8", "term9"]
    assert cache.statistics_size == room * counted and cache.size <= cache.budget
    # A snapshot's counts go with it.
    cache.keep_only({"segment"})
    assert len(cache) == 3 and cache.statistics_size == 0 and cache.size == 3 * listed


def test_a_count_is_kept_within_exactly_its_share_and_one_larger_is_refused_leaving_the_others():
    counted = PostingsCache.ENTRY_OVERHEAD + np.array([0]).nbytes
    cache = PostingsCache(64 * counted)  # the statistics' share (1/64) holds exactly one count
    first, second, larger = (("snapshot@1", "phrase count", pair, TEXT_FIELDS)
                             for pair in (("viet", "nam"), ("chinh", "tri"), ("bo", "chinh", "tri")))
    cache.put(first, (np.array([17]),), statistic=True)
    assert (cache.keys(), cache.statistics_size, cache.size) == ([first], counted, counted)
    cache.put(larger, (np.array([3, 4]),), statistic=True)  # more than the share: not kept, nothing evicted
    assert (cache.keys(), cache.statistics_size, cache.size) == ([first], counted, counted)
    cache.put(second, (np.array([9]),), statistic=True)  # the least recently used count makes room
    assert (cache.keys(), cache.statistics_size, cache.size) == ([second], counted, counted)
    assert int(cache.get(second)[0][0]) == 9 and cache.get(first) is None


def test_postings_filling_exactly_the_budget_are_all_kept():
    listed = postings_of(4096).nbytes + PostingsCache.ENTRY_OVERHEAD
    cache = PostingsCache(2 * listed)
    cache.put(("segment", "body", "viet"), postings_of(4096))
    cache.put(("segment", "body", "nam"), postings_of(4096))
    assert (cache.keys(), cache.size) == ([("segment", "body", "viet"), ("segment", "body", "nam")], cache.budget)
    alone = PostingsCache(listed)
    alone.put(("segment", "body", "viet"), postings_of(4096))
    assert (alone.keys(), alone.size) == ([("segment", "body", "viet")], alone.budget)


def test_what_the_cache_holds_already_is_kept_as_first_put_and_counted_once():
    listed = postings_of(10).nbytes + PostingsCache.ENTRY_OVERHEAD
    counted = PostingsCache.ENTRY_OVERHEAD + np.array([0]).nbytes
    cache = PostingsCache(1 << 20)
    postings_key, count_key = ("segment", "body", "viet"), ("snapshot@1", "phrase count", ("viet", "nam"), TEXT_FIELDS)
    for size, count in ((10, 17), (20, 18)):
        cache.put(postings_key, postings_of(size))
        cache.put(count_key, (np.array([count]),), statistic=True)
    assert (len(cache.get(postings_key)), int(cache.get(count_key)[0][0])) == (10, 17)
    assert (len(cache), cache.keys()) == (2, [postings_key, count_key])
    assert (cache.size, cache.statistics_size) == (listed + counted, counted)


def test_a_snapshot_computes_once_what_it_keeps_and_keeps_a_statistic_among_the_statistics(demo_index):
    snapshot = SearchEngine(demo_index).backend.view().context.snapshot
    cache = snapshot.postings_cache
    held, statistics = cache.keys(), cache.statistics_size
    computed = []

    def compute(value: int):
        return lambda: computed.append(value) or (np.array([value]),)

    scores, count = ("bm25f", "body", "viet"), ("phrase count", ("viet", "nam"), TEXT_FIELDS)
    answers = [snapshot.computed(scores, compute(1)), snapshot.computed(count, compute(2), statistic=True),
               snapshot.computed(scores, compute(3)), snapshot.computed(count, compute(4), statistic=True)]
    assert [int(answer[0][0]) for answer in answers] == [1, 2, 1, 2] and computed == [1, 2]
    assert cache.keys() == [*held, (snapshot.cache_key, *scores), (snapshot.cache_key, *count)]
    assert cache.statistics_size - statistics == PostingsCache.ENTRY_OVERHEAD + np.array([0]).nbytes


def test_a_reindex_keeps_the_cached_postings_of_the_segments_it_left_alone(tmp_path):
    index_dir = tmp_path / "index"
    reindex(index_dir, DEMO_SOURCES, procs=1)
    backend = WhooshBackend(index_dir, refresh_seconds=0)
    engine = SearchEngine(backend=backend)
    before = engine.search(SearchRequest(q="Việt Nam"))
    old_segments = cached_owners(backend.postings_cache)
    first_snapshot = backend.snapshot().cache_key
    assert first_snapshot in old_segments  # the per-term scores of that snapshot
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"id": "extra-1", "title": "Việt Nam thêm một bài", "body": "Bài viết mới về Việt Nam.",
                                 "published": "2024-05-01"}, ensure_ascii=False) + "\n", encoding="utf-8")
    reindex(index_dir, [*DEMO_SOURCES, extra], procs=1)
    after = engine.search(SearchRequest(q="Việt Nam"))
    assert after["total"] == before["total"] + 1
    segments = cached_owners(backend.postings_cache)
    snapshot = backend.snapshot()
    assert old_segments - {first_snapshot} < segments <= snapshot.segment_keys | {snapshot.cache_key}
    assert first_snapshot not in segments
    # A changed extra-1 deletes the first one: its segment (with a deletion) is another one now.
    extra.write_text(extra.read_text(encoding="utf-8").replace("thêm một bài", "sửa lại"), encoding="utf-8")
    reindex(index_dir, [*DEMO_SOURCES, extra], procs=1)
    changed = engine.search(SearchRequest(q="Việt Nam sửa lại"))
    assert [hit["id"] for hit in changed["hits"]] == ["extra-1"]
    snapshot = backend.snapshot()
    assert cached_owners(backend.postings_cache) <= snapshot.segment_keys | {snapshot.cache_key}


def test_a_search_answers_the_same_with_and_without_the_postings_cache(demo_index):
    uncached = SearchEngine(backend=WhooshBackend(demo_index, postings_cache_mb=0))
    cached = SearchEngine(backend=WhooshBackend(demo_index, postings_cache_mb=64))
    assert uncached.backend.postings_cache is None
    for q in ("Bộ Chính trị", "bo chinh tri", "\"Hà Nội\"", "giá vàng hôm nay", "UBND TP.HCM", "xyzq"):
        request = SearchRequest(q=q)
        expected = without_time(uncached.search(request))
        assert without_time(cached.search(request)) == expected, q  # read from disk, then kept
        assert without_time(cached.search(request)) == expected, q  # from the cache
    kinds = {key[1] for key in cached_keys(cached.backend.postings_cache)}
    # postings of both fields, per-term scores, the phrase count of a word of several syllables (TP.HCM),
    # and each field's length normalisation of every document
    assert kinds == {"title", "body", "bm25f", "phrase count", "length norms"}
