"""Merging segments in one pass: a k-way merge of their term tables, posting lists copied as arrays.

Whoosh merges segments by feeding every posting of every segment, one Python tuple at a time,
through the writer's posting pool, which sorts them again (spilling runs to disk and merging
them back once the pool is full).  Segments written by one reindex hold consecutive document
numbers and no deletions, so their merge needs no sorting at all: a term's postings in the
merged segment are its postings in each segment in turn, the document numbers shifted by the
documents before that segment.  ``merge_into`` walks the segments' sorted term tables side by
side and writes each term's concatenated postings a block at a time with numpy; documents
(stored fields, lengths, columns) are copied with Whoosh's own per-document code.  The result
is the segment a single writer would have written from the same documents in the same order.
"""

from __future__ import annotations

import heapq
import os
from itertools import groupby, takewhile
from operator import itemgetter

import numpy as np
from whoosh.formats import Existence
from whoosh.reading import SegmentReader

from search.codec import SyllablePositions, open_postings, postings_of_info


def can_merge(segments: list, schema) -> bool:
    """Tell whether merge_into can merge these segments: no deletions, formats it knows."""
    formats = (SyllablePositions, Existence)
    return (len(segments) > 1 and not any(segment.has_deletions() for segment in segments)
            and all(isinstance(field.format, formats) for _, field in schema.items() if field.indexed))


def merge_into(writer, segments: list) -> None:
    """Add the documents and postings of segments (in order) to writer's new segment."""
    readers = [SegmentReader(writer.storage, writer.schema, segment) for segment in segments]
    try:
        fieldnames = set(writer.schema.names())
        offsets = []
        for reader in readers:
            offsets.append(writer.docnum)
            writer.write_per_doc(fieldnames | set(reader.indexed_field_names()), reader)
        _merge_postings(writer, readers, offsets)
        writer._added = True
    finally:
        for reader in readers:
            reader.close()


def _merge_postings(writer, readers: list, offsets: list[int]) -> None:
    """Write every field's terms, each with the postings of all readers, in term order."""
    folder = writer.storage.folder
    descriptors = [open_postings(reader, folder) for reader in readers]
    try:
        fields = sorted({name for reader in readers for name in reader.indexed_field_names()})
        for fieldname in fields:
            _merge_field(writer.fieldwriter, writer.schema[fieldname], fieldname, readers, descriptors, offsets)
    finally:
        for descriptor in descriptors:
            os.close(descriptor)


def _field_terms(reader, index: int, fieldname: str):
    """Yield (term bytes, reader index, term info) of one field of one segment, in term order."""
    items = reader._terms.items_from(fieldname, b"")
    for (_name, term), info in takewhile(lambda item: item[0][0] == fieldname, items):
        yield term, index, info


def _merge_field(fieldwriter, fieldobj, fieldname: str, readers, descriptors, offsets) -> None:
    """Write one field's merged terms."""
    streams = [_field_terms(reader, i, fieldname) for i, reader in enumerate(readers)]
    packed = isinstance(fieldobj.format, SyllablePositions)
    fieldwriter.start_field(fieldname, fieldobj)
    postwriter = fieldwriter._postwriter
    for term, group in groupby(heapq.merge(*streams, key=itemgetter(0, 1)), key=itemgetter(0)):
        fieldwriter.start_term(term)
        parts = [postings_of_info(info, descriptors[i], offsets[i]) for _, i, info in group]
        if packed:
            postwriter.add_packed(
                np.concatenate([p.ids for p in parts]),
                np.concatenate([p.freqs for p in parts]).astype(np.uint32),
                np.concatenate([p.all_positions for p in parts]),
            )
        else:
            for part in parts:
                for docnum, weight in zip(part.ids.tolist(), part.freqs.tolist(), strict=True):
                    postwriter.add_posting(docnum, weight, b"")
        fieldwriter.finish_term()
    fieldwriter.finish_field()
