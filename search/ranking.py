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
    # A pair of adjacent query words standing together in a title, for a query of up to five
    # words (a known-item search: 10 since the Typesense comparison, tuned on the train
    # fragments) and for a question (4: its answer rarely repeats its wording in a title).
    title_proximity_weight: float = 10.0
    question_title_proximity_weight: float = 4.0
    # A document's kind and number standing in a row ("Nghị định 100", "Chỉ thị số 05") where the
    # query names them: the article cites that document, not "Nghị định 46 ... 100 xe".
    reference_weight: float = 4.0
    rerank_depth: int = 400
    # A short query naming a time ("giá vàng hôm nay", "bão mới nhất": ``search.recency``) ranks its
    # reranked articles by relevance times 1 - w + w * 0.5 ** (days before the newest / half-life):
    # at 0.5 and 2 days an article a week older than the newest keeps about 0.54 of its score.
    recency_weight: float = 0.5
    recency_half_life_days: float = 2.0
    # A query of at least ``long_query_syllables`` distinct syllables (once bounded: a pasted paragraph
    # or a long sentence, cut at 256 characters, holds 40-48; the covid questions 23 (median) to 55,
    # a fifth of them 40 or more) gets its proximity bonus in its ``long_query_rerank_depth`` best
    # articles: its proximity reads the positions of forty-odd words in each reranked article, a third
    # of its page at 6,000 articles.  Measured on the covid questions (bench/README.md, "A long query's
    # work"), MRR@10 as written / without diacritics, train: 200 from 40 syllables costs
    # 0.0000 / 0.0002, 200 from 33 0.0000 / 0.0005, 300 from 33 0.0000 / 0.0002, 100 from 40
    # 0.0001 / 0.0003 (R@10 0.0003 / 0.0016); val, 200 from 40: 0.0000 / 0.0002 (R@10 0.000 / 0.001).
    long_query_rerank_depth: int = 200
    long_query_syllables: int = 40
    # Autocomplete: a title syllable the unfinished word expands to counts this much of a
    # typed word.
    prefix_weight: float = 0.5
    # "Did you mean": a query finding at least this many articles keeps every syllable the
    # index holds (only syllables it lacks, or rare ones in a query finding little, are fixed).
    typo_trusted_total: int = 5
    # Bounds on one query's work, so that the worst query costs a small multiple of a typical
    # one (bench/bench_worst.py).  A query that reaches one still answers and says so.
    # Distinct syllables looked up (matching, scoring and exclusions together); later words are
    # left out.  The longest covid questions hold about 50.
    max_query_terms: int = 64
    # A query of more distinct syllables than this (once understood) leaves out its commonest
    # single words (held by the most articles: "của", "là", "được") until it holds this many
    # (``search.parse.keep_rarest``): they cost the most to read and add the least.  A pasted
    # paragraph holds 45-60, the covid questions 23 (median) to 55.  Their common words count:
    # MRR@10 as written / without diacritics on 1,000 train questions: 48 costs 0.000 / 0.001,
    # 40 0.001 / 0.003, 32 0.005 / 0.008, 24 0.015 / 0.017; on val 48 costs 0.000 / 0.002, 40
    # 0.003 / 0.006, 32 0.009 / 0.015 (bench/README.md, "Worst query").
    max_searched_terms: int = 48
    # A query of more than ``search.matching.LONG_QUERY_WORDS`` distinct syllables also leaves out
    # its commonest single words while the postings it reads are more than this (the articles holding
    # each folded syllable, and each form of it typed with accents, summed), keeping at least
    # LONG_QUERY_WORDS syllables; so does the query "did you mean" searches.  The forms typed with
    # accents count since 2026-12-02 (a Telex run or a pasted paragraph read 15-16.5 million
    # postings at 600k under a bound of 10 million folded): as written the covid questions at the
    # same share lose 0.003 of MRR@10, without diacritics nothing (bench/README.md, "Both forms").
    # A question's cost grows with its words' postings, not their count: at 600,000 articles a
    # pasted paragraph's 48 words hold 14-18 million folded (about 1.1 s a page), a covid
    # question's 1.8-10.3 million; at 60,000 a tenth of that, which no query reaches.  Folded
    # alone, covid questions cut by the same share of the 12,455-article retrieval index (bound x
    # 12,455 / 600,000), MRR@10 as written / without diacritics: 10 million cost 0.000 / 0.000,
    # 6 million 0.006 / 0.006, 3 million 0.032 / 0.033 (bench/README.md, "A question's postings").
    max_searched_postings: int = 10_000_000
    # The same bound in proportion to the index (``search.results.postings_bound``): this many
    # postings an article (1.02 million at 59,861 articles; 10.19 million at 599,600, so 10), at most
    # max_searched_postings, at least min_searched_postings; 0 bounds every index at
    # max_searched_postings alone.  A word held by a fifth of the articles holds a fifth of the
    # postings at any size, so a long query costs the same share of its index.  The floor leaves
    # small indexes as they were: the heaviest covid question of the 12,455-article retrieval index
    # counts 475,692 postings, the heaviest pasted paragraph at 6,000 articles 313,357; at 60,000
    # the covid questions of the latency mix count 1.0-1.7 million and are cut like the 600k ones
    # (the same share cost the covid questions 0.003 of MRR@10 as written, 0.000 without
    # diacritics, measured at 12,455 articles: bench/README.md, "A postings bound in proportion").
    searched_postings_per_article: float = 17.0
    min_searched_postings: int = 500_000
    # "Did you mean" corrects at most this many rare syllables, looking up at most this many
    # candidate spellings in all: each unknown syllable costs hundreds of lookups, so a run of
    # unknown words (keyboard garbage) cost 30x a typical query before; one accented syllable of
    # five letters has about 1,100 candidates.
    typo_max_words: int = 2
    typo_max_lookups: int = 1500
    # "Did you mean" searches its query (to offer it only when it finds other articles, and to
    # restore accents from the articles a corrected query finds) only for queries of at most
    # this many distinct syllables: each search costs as much as the page.  A longer query (a
    # pasted paragraph) gets its suggestion unsearched.  The covid questions hold 23 (median)
    # to 55; the heavy queries of bench_worst.py 40-60.
    suggest_search_words: int = 32
    # A query read several ways (abbreviations, split or joined words: ``search.understand``)
    # scores at most ``search.matching.MAX_READINGS`` readings, and fewer when it is very long:
    # readings x syllables at most this (12 readings up to 85 syllables, 8 of 128).  The longest
    # covid questions use 12 readings of 67 syllables (804); 192 cost them 0.001 of MRR@10.
    max_reading_syllables: int = 1024
    # A relevance page whose pool holds more than ``search.execute.SCOPED_MAX_SHARE`` of an index of at
    # least ``scored_pool_min_articles`` (a long question's at 600,000 articles: a fifth of its words,
    # nearly every article) scores only this share of the index: the articles holding the most of its
    # words, each weighed by its idf and by its length (``search.execute.promising``).  0 scores the
    # whole pool.  Measured on the covid questions cut at the same share of the 12,455-article
    # retrieval index, MRR@10 as written / without diacritics: train 0.336 / 0.320 -> 0.337 / 0.322,
    # val 0.389 / 0.380 -> 0.392 / 0.382; at 600,000 articles the worst page 364-417 -> 306-347 ms
    # (bench/README.md, "A long question's pool ranked in its most promising articles").  At 60,000
    # the whole pool's terms stay in the postings cache and cost less than choosing (1.15x a
    # repeated heavy page): smaller indexes score whole pools.
    scored_pool_share: float = 1 / 16
    scored_pool_min_articles: int = 200_000


DEFAULT_RANKING = Ranking()
