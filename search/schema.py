"""The index schema, declared once: the fields and their types.

Whoosh pickles the field types, analyzers, format and codec into the index, so every class
they name must stay importable under the same name (the analyzers are in ``search.text``,
the posting format and codec in ``search.codec``).  Changing what gets indexed, or moving a
pickled class, means bumping ``SCHEMA_VERSION``: a reindex then rebuilds the index instead
of mixing the two.
"""

from __future__ import annotations

from whoosh import fields

from search.codec import SyllablePositions
from search.text import index_analyzer, is_numeral

# 3: the posting format and codec moved to search.codec (their pickled paths changed).
# 4: numbers written with separators indexed whole ("21/8", "3.500.000"; ``text.NumeralFilter``).
SCHEMA_VERSION = 4
TEXT_FIELDS = ("title", "body")


class VietnameseText(fields.TEXT):
    """A text field analyzed into exact, folded and compound terms with packed positions."""

    def __init__(self, stored=True):
        super().__init__(analyzer=index_analyzer(), phrase=True, stored=stored)
        self.format = SyllablePositions()

    def index(self, value, **kwargs):
        """Yield (term as UTF-8, frequency, weight, packed positions) for each term of value."""
        kwargs.setdefault("mode", "index")
        for term, frequency, weight, positions in self.format.word_values(value, self.analyzer, **kwargs):
            # Whoosh sums the frequencies given here into the field's length, which BM25 normalises by: a
            # number's whole term adds none, so lengths are what they were before numbers had one.
            yield term.encode("utf-8"), 0 if is_numeral(term) else frequency, weight, positions


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
