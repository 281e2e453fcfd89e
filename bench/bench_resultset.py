"""Result-set benchmark: does the set a search announces hold what was typed?

Usage: python bench/bench_resultset.py [--data ../shared/data] [--split val] [--queries 300]
       [--variants written,unaccented] [--match MODE] [--rebuild] [--backend sphinxql://HOST:PORT,...]

MRR looks at the first hit only; the total, the facets, the newest/oldest orders and every
page after the first are computed over the whole result set.  This benchmark measures that
set on title fragments (3-5 consecutive words of a news title, as ``bench_retrieval.py``
draws them), as written and without diacritics, on the retrieval benchmark's index (news +
covid passages):

* **precision@20 newest** -- of the 20 newest hits (``sort=newest``), the share that are
  *together* articles (below); mean over the queries with at least one hit.
* **inflation** -- the total divided by the number of together articles in the corpus;
  median over the queries.
* **recall** -- the share of the together articles that the result set holds; mean.
* **recall (words)** -- the same share of the together articles that also write each compound
  word of the fragment in a row (pyvi's words of two or three syllables in the accented
  fragment, the same syllables in each variant): the engine keeps a compound word whole in its
  tiers (``understand.compounds_of``), so an article holding "thật sự" is no answer to "sự thật".

An article is *together* for a query of n syllables when its title or its body holds every
query syllable, in the form typed, within a window of 2n consecutive syllables.  "The form
typed": a syllable typed with diacritics must stand with exactly those diacritics (compared
in lower case NFC, either tone placement of open oa/oe/uy rhymes); one typed without
diacritics matches any accented form.  This ground truth is computed here, from the source
JSON Lines, with the benchmark's own tokenizer and folding (``corpus.py``), never with the
engine's matcher.

Splits: ``val`` is the first --queries fragments of ``bench_retrieval.py``'s fragments set
(the same sample, same seed); ``train`` draws fragments from another seeded sample of
titles, disjoint from val's titles.  Tune on train, report val.

``--backend URL`` measures a SphinxQL cluster holding the same articles (news + covid
passages) instead of the embedded index: the newest page and total through the engine, the
recall by counting, in the engine, the together articles within the query's result set.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache
from multiprocessing import Pool
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import (
    DEFAULT_DATA,
    NEWS,
    PASSAGES,
    SEED,
    VARIANT_LABELS,
    code_version,
    data_path,
    ensure_index,
    median,
    other_tone_placement,
    read_jsonl,
    sample_titles,
    title_fragment,
    variant,
)
from corpus import unaccented as _unaccented

from search.engine import SearchEngine, open_engine
from search.parse import parse_query
from search.request import SearchRequest

NEWEST = 20
VARIANTS = ("written", "unaccented")
# Targets: precision@20 newest, inflation (median), recall; as written / without diacritics.
TARGETS = {"written": (0.90, 1.5, 0.98), "unaccented": (0.85, 2.0, 0.98)}
_SYLLABLE_RE = re.compile(r"[^\W_]+")


@lru_cache(maxsize=500_000)
def unaccented(word: str) -> str:
    """Return a word without diacritics (cached: the corpus repeats its words)."""
    return _unaccented(word)


# Queries ---------------------------------------------------------------------------------


def fragments(articles: list[dict], split: str, count: int, titles: int = 1000,
              seed: int = SEED, sizes: tuple[int, int] = (3, 5)) -> list[tuple[str, str]]:
    """Return (fragment, source title) pairs of a split, drawn as bench_retrieval.py draws them
    (sizes: the least and most words of a fragment)."""
    sampled = sample_titles(articles, titles, seed)
    if split == "train":
        held_out = set(sampled)
        sampled = [t for t in sample_titles(articles, len(held_out) + titles, seed + 100) if t not in held_out]
    rng = random.Random(seed + 1)
    pairs = [(title_fragment(t, rng, sizes), t) for t in sampled]
    return [(f, t) for f, t in pairs if f][:count]


# Ground truth ----------------------------------------------------------------------------


def syllables(text: str) -> list[str]:
    """Return the lower-case NFC syllables (runs of letters and digits) of a text."""
    return _SYLLABLE_RE.findall(unicodedata.normalize("NFC", text).lower())


class TypedSyllable:
    """One query syllable and which document syllables hold it in the form typed."""

    def __init__(self, typed: str):
        self.folded = unaccented(typed)
        self.accented = self.folded != typed
        self.forms = {typed, other_tone_placement(typed)}

    def holds(self, word: str) -> bool:
        """Tell whether a document syllable (lower case NFC) is this syllable as typed."""
        return word in self.forms if self.accented else unaccented(word) == self.folded


class GroundTruth:
    """The documents' syllables and a folded inverted index, to find the together articles."""

    def __init__(self, records: list[dict]):
        self.ids: list[str] = []
        self.fields: list[tuple[list[str], list[str]]] = []
        self.postings: dict[str, set[int]] = defaultdict(set)
        self._places: dict[int, list[dict[str, list[tuple[int, str]]]]] = {}
        for number, record in enumerate(records):
            title = syllables(record.get("title") or "")
            body = syllables(record.get("body") or record.get("text") or "")
            self.ids.append(record["id"])
            self.fields.append((title, body))
            for word in set(title) | set(body):
                self.postings[unaccented(word)].add(number)

    def together(self, query: str, words: tuple[tuple[int, ...], ...] = ()) -> set[str]:
        """Return the ids of the documents holding every query syllable as typed within 2n syllables (and,
        when given, each word in a row: the places of its syllables in the query)."""
        typed = [TypedSyllable(s) for s in syllables(query)]
        if not typed:
            return set()
        candidates = set.intersection(*(self.postings.get(s.folded, set()) for s in typed))
        window = 2 * len(typed)
        found = {n for n in candidates if any(_within(places, typed, window) for places in self.places(n))}
        kept = [[typed[at] for at in word] for word in words if max(word) < len(typed)]
        return {self.ids[n] for n in found if all(self._in_a_row(n, word) for word in kept)}

    def _in_a_row(self, number: int, word: list[TypedSyllable]) -> bool:
        """Tell whether a document's title or body holds a word's syllables as typed, in a row."""
        for words in self.fields[number]:
            for start in range(len(words) - len(word) + 1):
                if all(s.holds(w) for s, w in zip(word, words[start : start + len(word)])):
                    return True
        return False

    def places(self, number: int) -> list[dict[str, list[tuple[int, str]]]]:
        """Return, per field of a document, {folded word: [(position, word)]} (built once)."""
        found = self._places.get(number)
        if found is None:
            found = []
            for words in self.fields[number]:
                by_fold: dict[str, list[tuple[int, str]]] = defaultdict(list)
                for position, word in enumerate(words):
                    by_fold[unaccented(word)].append((position, word))
                found.append(by_fold)
            self._places[number] = found
        return found


def _within(places: dict[str, list[tuple[int, str]]], typed: list[TypedSyllable], window: int) -> bool:
    """Tell whether some run of at most window words holds every typed syllable (with repeats)."""
    key = lambda s: s.folded + ("*" if s.accented else "")  # noqa: E731
    needed = Counter(key(s) for s in typed)
    events = sorted({(position, key(s)) for s in typed for position, word in places.get(s.folded, ())
                     if s.holds(word)})
    if len({k for _, k in events}) < len(needed):
        return False
    held: Counter = Counter()
    missing = len(needed)
    left = 0
    for position, k in events:
        held[k] += 1
        if held[k] == needed[k]:
            missing -= 1
        while missing == 0:
            if position - events[left][0] < window:
                return True
            drop = events[left][1]
            held[drop] -= 1
            if held[drop] == needed[drop] - 1:
                missing += 1
            left += 1
    return False


# The engine's result set -----------------------------------------------------------------

_ENGINE: SearchEngine | None = None
_MATCH: str | None = None


def _open(index_dir: str, match: str | None, backend: str = "") -> None:
    """Open the engine once per worker process (the embedded index, or a cluster)."""
    global _ENGINE, _MATCH
    _ENGINE = open_engine(index_dir, backend, refresh_seconds=1e9)
    if not backend:
        _ENGINE.snapshot()
    _MATCH = match


def _request(query: str, match: str | None, **options) -> SearchRequest:
    """Return a request without snippets, facets or suggestion (match= when the engine has it)."""
    request = SearchRequest(q=query, snippets=False, facets=False, suggest=False, **options)
    if match is not None:
        request.match = match
    return request


def _result_docnums(engine: SearchEngine, request: SearchRequest) -> np.ndarray:
    """Return the document numbers of a request's whole result set (before filters and paging).

    Reads the Whoosh backend's own matching, before (a mode and a mask) and after (tiers)
    result sets became tiers, so one script measures both.
    """
    from search import abbreviations, execute
    from search.understand import Vocabulary, understand

    view = engine.backend.view()
    # Understood, as the engine's search reads it (its abbreviations' forms, its compound words).
    parsed = understand(parse_query(request.q), Vocabulary(view.statistics()), abbreviations.load()).parsed
    if not hasattr(request, "match"):
        _, mask, _, _ = execute.run_match(view.context, parsed)
        return np.flatnonzero(mask & view.snapshot.live)
    matched = execute.match_query(view.context, parsed, request.match)
    relaxed = matched.ranked is not None and request.sort == "relevance"
    return np.flatnonzero(matched.ranked if relaxed else matched.mask)


def _measure(case: tuple[str, frozenset[str]]) -> tuple[list[str], int, set, float]:
    """Return (ids of the 20 newest hits, total, the whole set, seconds) of a query.

    The whole set is document numbers on the embedded index; on a cluster, the ids of the
    query's together articles (case[1]) that the set holds.
    """
    query, together = case
    started = time.perf_counter()
    result = _ENGINE.search(_request(query, _MATCH, size=NEWEST, sort="newest"))
    seconds = time.perf_counter() - started
    if hasattr(_ENGINE.backend, "cluster"):
        found = _cluster_found(_ENGINE, _request(query, _MATCH, size=1), together)
    else:
        found = set(_result_docnums(_ENGINE, _request(query, _MATCH, size=1)).tolist())
    return [h["id"] for h in result["hits"]], result["total"], found, seconds


def _cluster_found(engine: SearchEngine, request: SearchRequest, ids: frozenset[str]) -> set[str]:
    """Return which of ids a cluster's result set of a request holds (counted in the engine)."""
    from search import abbreviations
    from search.cluster import DISTRIBUTED_INDEX
    from search.sphinxql import document_key
    from search.understand import Vocabulary, understand

    if not ids:
        return set()
    backend = engine.backend
    parsed = understand(parse_query(request.q), Vocabulary(backend.statistics()), abbreviations.load()).parsed
    plan = backend.plan(parsed, request.match)
    keys = {document_key(i): i for i in ids}
    where = backend._where(parsed, plan, plan.texts[plan.tier], [f"id IN ({','.join(map(str, keys))})"])
    rows = backend.run([(f"SELECT id FROM {DISTRIBUTED_INDEX}{where} LIMIT {len(keys)} "
                         f"OPTION ranker=none, max_matches={len(keys)}", None)])[0]
    return {keys[row[0]] for row in rows}


def run(index_dir: Path, cases: list[tuple[str, frozenset[str]]], procs: int, match: str | None = None,
        backend: str = "") -> dict:
    """Return {query: (newest ids, total, the whole set, seconds)} for distinct queries."""
    if procs <= 1:
        _open(str(index_dir), match, backend)
        results = [_measure(case) for case in cases]
    else:
        with Pool(procs, initializer=_open, initargs=(str(index_dir), match, backend)) as pool:
            results = pool.map(_measure, cases, chunksize=8)
    return dict(zip([query for query, _ in cases], results))


# Metrics and report ----------------------------------------------------------------------


def fragment_words(fragment: str) -> tuple[tuple[int, ...], ...]:
    """Return the places (syllable numbers) of each word of two or three syllables pyvi segments in a fragment."""
    from pyvi import ViTokenizer

    places, at = [], 0
    for token in ViTokenizer.tokenize(unicodedata.normalize("NFC", fragment)).split():
        size = len(syllables(token.replace("_", " ")))
        if "_" in token and 2 <= size <= 3:
            places.append(tuple(range(at, at + size)))
        at += size
    # The tokenizer may split a token otherwise than syllables does: then no word is trusted.
    return tuple(places) if at == len(syllables(fragment)) else ()


def score(measured: dict, truth: dict[str, set[str]], queries: list[str],
          numbers: dict[str, int] | None = None, kept: dict[str, set[str]] | None = None) -> dict:
    """Return precision@20 newest, inflation (median), recall and counts over queries.

    numbers maps ids to the index's document numbers (the sets are measured as those).
    """
    precision, inflation, recall, words_recall, empty = [], [], [], [], 0
    for q in queries:
        newest, total, found, _ = measured[q]
        together = truth[q]
        if newest:
            precision.append(sum(i in together for i in newest) / len(newest))
        else:
            empty += 1
        if together:
            inflation.append(total / len(together))
            if numbers is not None:
                recall.append(sum(numbers.get(i) in found for i in together) / len(together))
        if kept and kept[q] and numbers is not None:
            words_recall.append(sum(numbers.get(i) in found for i in kept[q]) / len(kept[q]))
    mean = lambda values: sum(values) / len(values) if values else 0.0  # noqa: E731
    return {
        "precision": mean(precision),
        "inflation": median(inflation),
        "recall": mean(recall),
        "words_recall": mean(words_recall),
        "no_hits": empty,
        "no_together": len(queries) - len(inflation),
        "queries": len(queries),
        "median_total": median([measured[q][1] for q in queries]),
        "median_together": median([len(truth[q]) for q in queries]),
    }


def report_lines(scores: dict[str, dict]) -> list[str]:
    """Return the table of scores per variant, with the targets marked."""
    header = (f"{'variant':<16} {'prec@20 newest':>14} {'inflation':>10} {'recall':>7} {'(words)':>7} "
              f"{'med total':>9} {'med together':>12} {'no hits':>7}  targets")
    lines = [header, "-" * (len(header) + 30)]
    for name, s in scores.items():
        goal = TARGETS[name]
        marks = [s["precision"] >= goal[0], s["inflation"] <= goal[1], s["recall"] >= goal[2]]
        verdict = " ".join("ok" if m else "MISS" for m in marks)
        lines.append(f"{VARIANT_LABELS[name]:<16} {s['precision']:>14.3f} {s['inflation']:>9.2f}x {s['recall']:>7.3f} "
                     f"{s['words_recall']:>7.3f} "
                     f"{s['median_total']:>9.0f} {s['median_together']:>12.0f} {s['no_hits']:>7}  "
                     f">= {goal[0]:.2f}, <= {goal[1]:.1f}x, >= {goal[2]:.2f}: {verdict}")
    return lines


def measure_fragments(index_dir: Path, records: list[dict], fragment_list: list[str], variants: list[str],
                      procs: int, match: str | None = None, backend: str = "") -> tuple[dict[str, dict], float]:
    """Run the benchmark on fragments; return ({variant: scores}, vnsearch seconds per query)."""
    truth_index = GroundTruth(records)
    cases = {v: [variant(f, v) for f in fragment_list] for v in variants}
    distinct = list(dict.fromkeys(q for qs in cases.values() for q in qs))
    truth = {q: truth_index.together(q) for q in distinct}
    words = {q: fragment_words(f) for f in fragment_list for q in (variant(f, v) for v in variants)}
    kept = {q: truth_index.together(q, words[q]) for q in distinct}
    measured = run(index_dir, [(q, frozenset(truth[q])) for q in distinct], procs, match, backend)
    seconds = sum(m[3] for m in measured.values()) / max(len(distinct), 1)
    if backend:  # the cluster's sets are ids already
        numbers = {doc_id: doc_id for doc_id in set().union(*truth.values())}
    else:
        snapshot = SearchEngine(index_dir, refresh_seconds=1e9).snapshot()
        numbers = {doc_id: snapshot.document_number(doc_id) for doc_id in set().union(*truth.values())}
    return {v: score(measured, truth, cases[v], numbers, kept) for v in variants}, seconds


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data directory (default ../shared/data)")
    parser.add_argument("--index", type=Path, default=Path("/tmp/vnsearch-bench-retrieval"),
                        help="index cache directory (shared with bench_retrieval.py)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached index")
    parser.add_argument("--split", choices=("val", "train"), default="val")
    parser.add_argument("--queries", type=int, default=300, help="fragments measured")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="written,unaccented")
    parser.add_argument("--match", default=None, help="the engine's match= mode (default: its own default)")
    parser.add_argument("--procs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--backend", default="", help="a SphinxQL cluster holding news + passages (default: embedded)")
    parser.add_argument("--words", default="3-5", help="words of a fragment, LEAST-MOST (default 3-5)")
    args = parser.parse_args()

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    for name in variants:
        if name not in VARIANTS:
            sys.exit(f"--variants: unknown variant {name!r} (choose from {', '.join(VARIANTS)})")
    data = args.data.resolve()
    ensure_index(args.index, [data_path(data, NEWS), data_path(data, PASSAGES)], args.rebuild)
    articles = read_jsonl(data_path(data, NEWS))
    records = articles + read_jsonl(data_path(data, PASSAGES))
    least, _, most = args.words.partition("-")
    pairs = fragments(articles, args.split, args.queries, sizes=(int(least), int(most or least)))
    started = time.perf_counter()
    scores, seconds = measure_fragments(args.index, records, [f for f, _ in pairs], variants, args.procs, args.match,
                                        args.backend)
    print(f"\nvnsearch result-set benchmark -- code {code_version()}, index {args.backend or args.index}, "
          f"split {args.split}, "
          f"{len(pairs)} title fragments of {args.words} words, match={args.match or 'default'}")
    print("\n".join(report_lines(scores)))
    print(f"\nruntime: {time.perf_counter() - started:.1f} s ({1000 * seconds:.1f} ms/query for the newest page "
          f"on {args.procs} procs)")


if __name__ == "__main__":
    main()
