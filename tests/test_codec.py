"""The vnsearch codec: the numpy decoder reads exactly what Whoosh's own matcher reads.

The index is built from the demo corpus in several segments, written with different block
sizes so posting lists span many packed blocks, and one article is deleted; then every term
of every text field is decoded both ways.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from whoosh import index as whoosh_index

from search.codec import CODEC_NAME, WHOOSH_VERSION, VnCodec
from search.documents import Article
from search.index import article_fields, reindex
from search.integrity import seal_meta
from search.reader import Snapshot
from search.schema import SCHEMA_VERSION, TEXT_FIELDS, make_schema
from search.sources import scan_sources
from search.store import META_FILE, current_generation, read_meta
from search.writer import VnSegmentWriter
from tests.helpers import DEMO, DEMO_SOURCES

# Articles per segment and the posting block size of each segment's codec.  (Whoosh 2.7.5
# cannot inline postings in the term info: its writer calls a method its TermInfo lacks.)
SEGMENTS = [(0, 70, 256), (70, 140, 8), (140, 201, 3)]


@pytest.fixture(scope="module")
def segmented_index(tmp_path_factory):
    """Return (Whoosh index, deleted article id) of the demo corpus in three segments."""
    folder = tmp_path_factory.mktemp("segments")
    ix = whoosh_index.create_in(str(folder), make_schema())
    articles = [item for item in scan_sources(DEMO_SOURCES) if isinstance(item, Article)]
    assert len(articles) == 201
    for start, end, blocklimit in SEGMENTS:
        writer = VnSegmentWriter(ix, codec=VnCodec(blocklimit=blocklimit), compound=False)
        for article in articles[start:end]:
            writer.add_document(**article_fields(article))
        writer.commit(merge=False)
    deleted = articles[75].id
    writer = VnSegmentWriter(ix, codec=VnCodec(), compound=False)
    writer.delete_by_term("id", deleted)
    writer.commit(merge=False)
    return ix, deleted


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
