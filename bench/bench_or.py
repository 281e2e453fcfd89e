"""OR and minus before words of two syllables or more: does the result set hold what was typed?

Usage: python bench/bench_or.py [--data ../shared/data] [--index DIR] [--queries 150] [--seed 5]

A reader typing ``bóng đá OR bóng chuyền`` means the articles about either sport.  Built from the news
titles (a seeded order): each side of OR is two or three consecutive words of a title, each word one
syllable of letters, that 3 to 200 articles write in a row; the queries are typed as written and without
accents.  Four kinds:

* ``words``: two words of two or three syllables from the titles: two syllables pyvi joins into one
  word ("học sinh") or a name (two or three words in capitals inside a title: "Đà Nẵng");
* ``alike``: two runs of two or three title words typed alike: as many words, the same first or last
  ("giá vàng OR giá bạc", "nhà ở OR đất ở"), whatever pyvi makes of them;
* ``three``: three words of the first kind, ORed in a chain;
* ``minus``: ``a b -c d``, two words of the first kind that some article holds both of: the articles
  ``a b`` finds (the engine's own set) without those holding ``c d`` in a row.

The truth is computed here, from the source JSON Lines with ``bench_resultset.py``'s tokenizer and
folding, never with the engine's matcher: the articles whose title or body holds one side's words in a
row, in the form typed (a syllable typed with accents with exactly those, either tone placement; one
typed without in any form).  The engine's whole result set (every page, newest first) is compared with
it (for ``minus``, the set of ``a b`` without ``c d``'s articles): the share of queries answered with
exactly that set, precision and recall (means over the queries).
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_resultset import GroundTruth, TypedSyllable, syllables, unaccented
from corpus import NEWS, SEED, add_battery_index_arguments, battery_index_data, code_version, data_path, read_jsonl
from make_battery import portal_articles

from search.engine import SearchEngine
from search.request import MAX_PAGE_SIZE, SearchRequest

KINDS = ("words", "alike", "three", "minus")
# The articles holding one side's words in a row: at least (a word the corpus uses), at most (a page of
# a hundred articles pages through the set twice).
MIN_ARTICLES = 3
MAX_ARTICLES = 200


def words(records: list[dict], truth: GroundTruth, rng: random.Random, count: int) -> list[str]:
    """Return distinct words of two or three syllables from the titles, at most count: two syllables pyvi
    joins into one word (its longer words are mostly its mistakes: "Việt_Nam_đấu"), and names (two or
    three words in capitals, not the title's first), each held in a row by MIN_ARTICLES to MAX_ARTICLES
    articles."""
    from search.text import pyvi_tokenizer

    tokenizer, found = pyvi_tokenizer(), {}
    for title in _titles(records, rng):
        tokens = tokenizer.tokenize(title).split()
        candidates = [t.replace("_", " ") for t in tokens if t.count("_") == 1]
        candidates += _names(title.split())
        for candidate in candidates:
            if all(w.isalpha() and len(syllables(w)) == 1 for w in candidate.split()) and _held(truth, candidate):
                found.setdefault(candidate, None)
        if len(found) >= count:
            break
    return list(found)


def _names(words: list[str]) -> list[str]:
    """Return the whole runs of two or three words in capitals after a title's first word (a run of more
    is a title in capitals, or a name and what follows it)."""
    names, run = [], []
    for word in [*words[1:], ""]:
        if word[:1].isupper() and word.isalpha():
            run.append(word)
            continue
        if 2 <= len(run) <= 3:
            names.append(" ".join(run))
        run = []
    return names


def runs_alike(records: list[dict], truth: GroundTruth, rng: random.Random, count: int) -> list[list[str]]:
    """Return pairs of title runs of two or three words typed alike: as many words, the same first or last."""
    by_end: dict[tuple[int, int, str], list[str]] = {}
    for title in _titles(records, rng):
        plain = [w.lower() for w in title.split()]
        for size in (2, 3):
            for start in range(len(plain) - size + 1):
                run = plain[start : start + size]
                if all(w.isalpha() and len(syllables(w)) == 1 for w in run):
                    for end in (0, -1):
                        by_end.setdefault((size, end, run[end]), []).append(" ".join(run))
    pairs = []
    keys = sorted(by_end)
    rng.shuffle(keys)
    for key in keys:
        held = [run for run in dict.fromkeys(by_end[key]) if _held(truth, run)]
        if len(held) > 1:
            pairs.append(rng.sample(held, 2))
        if len(pairs) >= count:
            break
    return pairs


def _titles(records: list[dict], rng: random.Random) -> list[str]:
    """Return the distinct titles in a seeded order."""
    titles = sorted({(r.get("title") or "").strip() for r in records} - {""})
    rng.shuffle(titles)
    return titles


def _held(truth: GroundTruth, text: str) -> bool:
    """Tell whether MIN_ARTICLES to MAX_ARTICLES articles hold text's words in a row."""
    return MIN_ARTICLES <= len(in_a_row(truth, text)) <= MAX_ARTICLES


def in_a_row(truth: GroundTruth, text: str) -> set[str]:
    """Return the ids of the articles whose title or body holds text's syllables in a row, in the form typed."""
    typed = [TypedSyllable(s) for s in syllables(text)]
    candidates = set.intersection(*(truth.postings.get(s.folded, set()) for s in typed))
    return {truth.ids[n] for n in candidates if any(_holds(places, typed) for places in truth.places(n))}


def _holds(places: dict[str, list[tuple[int, str]]], typed: list[TypedSyllable]) -> bool:
    """Tell whether one field's words hold the typed syllables at consecutive positions."""
    starts = {p for p, word in places.get(typed[0].folded, ()) if typed[0].holds(word)}
    for offset, syllable in enumerate(typed[1:], 1):
        held = {p - offset for p, word in places.get(syllable.folded, ()) if syllable.holds(word)}
        starts &= held
    return bool(starts)


def queries(records: list[dict], truth: GroundTruth, rng: random.Random, count: int) -> dict[str, list[list[str]]]:
    """Return {kind: [the sides of each query]}, count queries a kind."""
    pool = words(records, truth, rng, 4 * count)
    return {
        "words": [rng.sample(pool, 2) for _ in range(count)],
        "alike": runs_alike(records, truth, rng, count),
        "three": [rng.sample(pool, 3) for _ in range(count)],
        "minus": together_words(pool, truth, rng, count),
    }


def together_words(pool: list[str], truth: GroundTruth, rng: random.Random, count: int) -> list[list[str]]:
    """Return pairs of words of the pool that some article holds both of, at most count."""
    holding = {word: in_a_row(truth, word) for word in pool}
    pairs = [[a, b] for a in pool for b in pool if a != b and holding[a] & holding[b]]
    return rng.sample(pairs, min(count, len(pairs)))


def whole_set(engine: SearchEngine, q: str) -> set[str]:
    """Return the ids of every article a query finds (every page, newest first)."""
    found, page = set(), 1
    while True:
        result = engine.search(SearchRequest(q=q, sort="newest", size=MAX_PAGE_SIZE, page=page, facets=False,
                                             snippets=False, suggest=False))
        found |= {hit["id"] for hit in result["hits"]}
        if page >= result["pages"]:
            return found
        page += 1


def measure(engine: SearchEngine, truth: GroundTruth, kind: str, sides_list: list[list[str]], accents: bool) -> dict:
    """Return the exact-set share, mean precision and mean recall of the queries of one kind."""
    scores = SetScores()
    for sides in sides_list:
        typed = [side if accents else unaccented(side) for side in sides]
        if kind == "minus":
            expected = whole_set(engine, typed[0]) - in_a_row(truth, typed[1])
            found = whole_set(engine, f"{typed[0]} -{typed[1]}")
        else:
            expected = set().union(*(in_a_row(truth, side) for side in typed))
            found = whole_set(engine, " OR ".join(typed))
        scores.add(found, expected)
    return scores.summary()


class SetScores:
    """Result sets scored against the truth: the share found exactly, mean precision and mean recall."""

    def __init__(self):
        self.exact, self.precision, self.recall = 0, [], []

    def add(self, found: set[str], expected: set[str]) -> None:
        """Score one query's whole result set against the articles it should find."""
        self.exact += found == expected
        self.precision.append(len(found & expected) / len(found) if found else 0.0)
        self.recall.append(len(found & expected) / len(expected) if expected else 1.0)

    def summary(self) -> dict:
        """Return {queries, exact, precision, recall} (shares and means over the queries)."""
        count = max(len(self.precision), 1)
        return {"queries": len(self.precision), "exact": self.exact / count,
                "precision": sum(self.precision) / count, "recall": sum(self.recall) / count}


def sets_scored(engine: SearchEngine, queries: Iterable[tuple[str, set[str]]]) -> dict:
    """Return the ``SetScores`` summary of (query, the ids of the articles it should find) pairs, each
    query's whole result set found (``whole_set``)."""
    scores = SetScores()
    for q, expected in queries:
        scores.add(whole_set(engine, q), expected)
    return scores.summary()


def set_header(label: str, width: int) -> str:
    """Return the heading of a table of result sets scored (``set_row``'s columns)."""
    return f"{label:<{width}} {'queries':>7} {'exact set':>9} {'precision':>9} {'recall':>7}"


def set_row(label: str, summary: dict, width: int) -> str:
    """Return a line of a table of result sets scored: a label's queries, exact-set share, mean precision and
    mean recall (``SetScores.summary``)."""
    return (f"{label:<{width}} {summary['queries']:>7} {summary['exact']:>9.3f} {summary['precision']:>9.3f} "
            f"{summary['recall']:>7.3f}")


def article_texts(records: list[dict]) -> list[str]:
    """Return each article's title and body as one text, for truths read with regular expressions."""
    return [f"{r.get('title') or ''}\n{r.get('body') or ''}" for r in records]


def writing(records: list[dict], texts: list[str], pattern: re.Pattern) -> set[str]:
    """Return the ids of the articles whose text (``article_texts``) a pattern finds."""
    return {records[n]["id"] for n, text in enumerate(texts) if pattern.search(text)}


def sampled_battery(description: str, queries: int, what: str) -> tuple[argparse.Namespace, list[dict], SearchEngine]:
    """Return the parsed arguments (--data, --index, --queries, --seed), the news and portal articles and an
    engine on the battery's index, for a benchmark sampling its queries from the articles."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_battery_index_arguments(parser)
    parser.add_argument("--queries", type=int, default=queries, help=f"{what} (default {queries})")
    parser.add_argument("--seed", type=int, default=SEED, help="the sample's seed")
    args = parser.parse_args()
    data = battery_index_data(args)
    records = read_jsonl(data_path(data, NEWS)) + portal_articles(data)
    return args, records, SearchEngine(args.index, refresh_seconds=1e9)


def main() -> None:
    args, records, engine = sampled_battery(__doc__, 150, "queries of each kind")
    truth = GroundTruth(records)
    made = queries(records, truth, random.Random(args.seed), args.queries)
    print(f"vnsearch OR and minus before words -- code {code_version()}, index {args.index}")
    print(f"{'kind':<8} {'typed':<16} {'queries':>7} {'exact set':>9} {'precision':>9} {'recall':>7}")
    for kind in KINDS:
        for accents in (True, False):
            scores = measure(engine, truth, kind, made[kind], accents)
            label = "as written" if accents else "without accents"
            print(f"{kind:<8} {label:<16} {scores['queries']:>7} {scores['exact']:>9.3f} "
                  f"{scores['precision']:>9.3f} {scores['recall']:>7.3f}")
    examples = [" OR ".join(made[kind][0]) for kind in KINDS[:3] if made[kind]] + [" -".join(made["minus"][0])]
    print("examples:", "; ".join(examples))


if __name__ == "__main__":
    main()
