"""The ranking knobs of every backend that ranks in vnsearch, in one frozen dataclass.

The engine holds one ``Ranking`` and passes it to everything that scores: search,
autocomplete and "did you mean".  ``bench/bench_retrieval.py --set NAME=VALUE`` overrides a
field for an experiment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ranking:
    """The ranking knobs, tuned on the train questions and on title queries (see bench/)."""

    k1: float = 1.2
    title_weight: float = 2.5
    body_weight: float = 1.0
    title_b: float = 0.4
    # Full length normalisation of bodies: short answers must not lose to long articles that
    # mention every word once.
    body_b: float = 1.0
    exact_weight: float = 1.0
    # A syllable typed with accents counts this much where it matches only when folded.
    accented_folded_weight: float = 0.15
    compound_weight: float = 0.3
    # The query looks up the folded compounds of 2 to this many adjacent syllables, of the
    # words of up to ``search.text.MAX_COMPOUND_SYLLABLES`` (5) syllables the index holds:
    # most Vietnamese words have two syllables, every lookup reads posting lists, and a
    # longer word's 2- and 3-syllable parts score anyway.  3 since the first version; 4-5 untried.
    query_compound_syllables: int = 3
    proximity_weight: float = 1.5
    title_proximity_weight: float = 4.0
    rerank_depth: int = 400
    # Autocomplete: a title syllable the unfinished word expands to counts this much of a
    # typed word.
    prefix_weight: float = 0.5
    # "Did you mean": a query finding at least this many articles keeps every syllable the
    # index holds (only syllables it lacks, or rare ones in a query finding little, are fixed).
    typo_trusted_total: int = 5


DEFAULT_RANKING = Ranking()
