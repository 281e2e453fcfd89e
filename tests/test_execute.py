"""The embedded backend's ranking arithmetic on the demo index: where words stand in a row, and
the inverse document frequencies that weigh a query's readings and its proximity bonus.

Expected values come from an independent tokenizer over the stored articles (regex words,
unidecode folding), never from a previous run.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata

import numpy as np
import pytest
from unidecode import unidecode

from search.execute import _idf_sum, _pairs_idf, _syllable_idf, phrase_keys, phrase_starts
from search.parse import parse_query


def folded_words(text: str) -> list[str]:
    """Independent tokenizer: runs of letters/digits, accents stripped, lower-cased."""
    return [unidecode(word).lower() for word in re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text))]


@pytest.fixture(scope="module")
def context(engine):
    """Return one request's query context over the demo index."""
    return engine.backend.view().context


@pytest.fixture(scope="module")
def fields(context) -> dict[int, dict[str, list[str]]]:
    """{doc number: {"title": folded words, "body": folded words}} of every live demo document."""
    snapshot = context.snapshot
    return {int(doc): {name: folded_words(snapshot.stored(doc)[name]) for name in ("title", "body")}
            for doc in np.flatnonzero(snapshot.live)}


def first_run(words: list[str], terms: list[str]) -> int | None:
    """Return where terms first stand in a row in words (None: nowhere)."""
    n = len(terms)
    return next((i for i in range(len(words) - n + 1) if words[i : i + n] == terms), None)


def bm25_idf(documents: int, holding: int) -> float:
    """Return BM25's inverse document frequency."""
    return math.log(1.0 + (documents - holding + 0.5) / (holding + 0.5))


def holding(fields, terms: list[str]) -> int:
    """Return how many documents hold terms in a row in their title or body."""
    return sum(1 for doc in fields.values() if any(first_run(doc[f], terms) is not None for f in ("title", "body")))


@pytest.mark.parametrize("fieldname, terms", [
    ("title", ["bo", "chinh", "tri"]),
    ("body", ["chinh", "tri"]),
    ("title", ["viet", "nam"]),
    ("body", ["viet", "nam"]),
    ("body", ["ho", "chi", "minh"]),
])
def test_words_in_a_row_are_found_at_their_first_position_in_each_document(context, fields, fieldname, terms):
    expected = {doc: first_run(words[fieldname], terms) for doc, words in fields.items()}
    expected = {doc: start for doc, start in expected.items() if start is not None}
    assert expected
    docs, starts = phrase_starts(phrase_keys(context, fieldname, terms, np.array(sorted(fields))))
    assert dict(zip(docs.tolist(), starts.tolist())) == expected


def test_words_standing_in_the_same_documents_but_never_in_that_order_are_found_nowhere(context, fields):
    terms = ["nam", "viet"]
    both = [doc for doc, words in fields.items() if {"nam", "viet"} <= set(words["body"])]
    assert len(both) > 10 and not any(first_run(fields[doc]["body"], terms) is not None for doc in both)
    docs, starts = phrase_starts(phrase_keys(context, "body", terms, np.array(both)))
    assert (docs.tolist(), starts.tolist()) == ([], [])


def test_words_in_a_row_are_looked_for_only_in_the_documents_given(context, fields):
    terms = ["chinh", "tri"]
    every = sorted(doc for doc, words in fields.items() if first_run(words["body"], terms) is not None)
    some = np.array(every[::2])
    docs, _ = phrase_starts(phrase_keys(context, "body", terms, some))
    assert docs.tolist() == some.tolist()


@pytest.mark.parametrize("syllable", ["hlv", "chinh", "tri", "vinamilk", "qwxzv"])
def test_a_syllables_idf_counts_the_documents_holding_it_in_title_or_body(context, fields, syllable):
    assert _syllable_idf(context, syllable) == pytest.approx(bm25_idf(len(fields), holding(fields, [syllable])))


def test_the_idf_of_several_syllables_is_each_ones_own(context, fields):
    # Each syllable's idf is its own, whatever was asked for before it in the same context.
    for syllable in ["hlv", "chinh", "hlv", "vinamilk"]:
        assert _syllable_idf(context, syllable) == pytest.approx(bm25_idf(len(fields), holding(fields, [syllable])))


def test_a_querys_summed_idf_counts_its_distinct_words_and_each_phrase_once(context, fields):
    documents = len(fields)
    parsed = parse_query('"huấn luyện viên" hlv HLV chính')
    expected = (bm25_idf(documents, holding(fields, ["huan", "luyen", "vien"]))
                + bm25_idf(documents, holding(fields, ["hlv"])) + bm25_idf(documents, holding(fields, ["chinh"])))
    assert _idf_sum(context, parsed) == pytest.approx(expected)


def test_a_querys_pair_idf_sums_the_mean_idf_of_each_distinct_adjacent_pair(context, fields):
    documents = len(fields)
    idf = {s: bm25_idf(documents, holding(fields, [s])) for s in ("chinh", "tri", "bo")}
    # "chính trị chính trị" holds the pairs (chinh, tri) twice and (tri, chinh) once; a field's
    # words stand in no pair.
    parsed = parse_query("bộ chính trị chính trị title:bo")
    pairs = dict.fromkeys(itertools.pairwise(["bo", "chinh", "tri", "chinh", "tri"]))
    assert _pairs_idf(context, parsed) == pytest.approx(sum((idf[a] + idf[b]) / 2 for a, b in pairs))
    assert _pairs_idf(context, parse_query("chính")) == 0.0
