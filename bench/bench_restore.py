""""Did you mean" restoring accents: how many syllables of a question typed without accents come back as written.

Usage: python bench/bench_restore.py [--data ../shared/data] [--index /tmp/vnsearch-bench-retrieval]
                                     [--split train] [--limit 300] [--seed 5]
                                     [--texts questions|news|paragraphs|passages] [--news-index DIR]

Each covid question of retrieval/queries.jsonl (``--split``, the first ``--limit``) is searched without its
accents (``unidecode``, lower case), as a reader without an input method types it, over the retrieval
benchmark's index (news + covid passages, built once by ``corpus.ensure_index`` as bench_retrieval.py
does).  Printed: how many pages offer a "did you mean"; over those whose suggestion has as many words as
the question, the share of syllables restored exactly as written (lower case, NFC), beside the share of
the question's syllables that carry no accent at all (what offering the unaccented text would score);
and the commonest wrong restorations.  ``--texts news`` measures news prose instead of questions: --limit
runs of 6, 8, 10 or 12 words cut from random news articles' bodies (``--seed``), typed the same way (the
questions are the covid passages' own kind of text; the news runs are what most of an index holds).
``--texts paragraphs`` measures what readers paste: --limit pieces of 256 characters (the query's length
limit, cut anywhere, as bench_worst.py's pasted paragraphs are) of random news articles' bodies, typed the
same way: their suggestions are offered unsearched, from their top articles' spellings.  Each comes from an
article the index holds, so its own article is among its top ones; ``--texts passages`` cuts the pieces from the
covid passages instead and searches them over an index of the news alone (``--news-index``, built once): text
no article of the index holds.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import DEFAULT_DATA, NEWS, PASSAGES, QUERIES, code_version, data_path, ensure_index, read_jsonl
from unidecode import unidecode

from search.engine import SearchEngine
from search.parse import MAX_QUERY_CHARS
from search.request import SearchRequest

WORD_RE = re.compile(r"\w+")


def syllables(text: str) -> list[str]:
    """Return the lower-case NFC words of a text."""
    return WORD_RE.findall(unicodedata.normalize("NFC", text).lower())


def measure(engine: SearchEngine, questions: list[str]) -> dict:
    """Return the suggestions' counts, the syllables restored exactly, wrongly (written, restored), and
    the capitals: of the syllables not starting the question or a sentence of it, those the suggestion
    capitalises and the question does not (spurious, with the word), and those the question capitalises
    and the suggestion does not."""
    offered = compared = exact = 0
    wrong: Counter = Counter()
    spurious: Counter = Counter()
    missed = 0
    for question in questions:
        suggestion = engine.search(SearchRequest(q=unidecode(question).lower(), size=10))["suggestion"]
        if not suggestion:
            continue
        offered += 1
        written, restored = syllables(question), syllables(suggestion)
        if len(written) != len(restored):
            continue
        compared += len(written)
        exact += sum(w == r for w, r in zip(written, restored))
        wrong.update((w, r) for w, r in zip(written, restored) if w != r)
        text = unicodedata.normalize("NFC", question)
        cased = [(w.group(), r) for w, r in zip(WORD_RE.finditer(text), WORD_RE.findall(suggestion))
                 if text[: w.start()].rstrip()[-1:] not in ("", ".", "?", "!", ":", "…")]
        spurious.update(r.lower() for w, r in cased if r[:1].isupper() and not w[:1].isupper())
        missed += sum(w[:1].isupper() and not r[:1].isupper() for w, r in cased)
    return {"offered": offered, "compared": compared, "exact": exact, "wrong": wrong, "spurious": spurious,
            "missed": missed}


def news_runs(articles: list[dict], count: int, seed: int) -> list[str]:
    """Return count runs of 6-12 words cut from random news articles' bodies (a fixed seed)."""
    chooser, runs = random.Random(seed), []
    while len(runs) < count:
        words = (chooser.choice(articles).get("body") or "").split()
        length = chooser.choice((6, 8, 10, 12))
        if len(words) > length:
            start = chooser.randrange(len(words) - length)
            runs.append(" ".join(words[start : start + length]))
    return runs


def news_paragraphs(articles: list[dict], count: int, seed: int) -> list[str]:
    """Return count pieces of MAX_QUERY_CHARS characters cut anywhere from random news articles' bodies
    (a fixed seed): what a reader pastes."""
    chooser, pieces = random.Random(seed), []
    bodies = [body for body in (a.get("body") or "" for a in articles) if len(body) > 2 * MAX_QUERY_CHARS]
    while len(pieces) < count:
        body = chooser.choice(bodies)
        start = chooser.randrange(len(body) - MAX_QUERY_CHARS)
        pieces.append(body[start : start + MAX_QUERY_CHARS])
    return pieces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data directory (default ../shared/data)")
    parser.add_argument("--index", type=Path, default=Path("/tmp/vnsearch-bench-retrieval"),
                        help="the retrieval benchmark's index (built once when missing, reused)")
    parser.add_argument("--news-index", type=Path, default=Path("/tmp/vnsearch-bench-restore-news"),
                        help="with --texts passages: an index of the news alone (built once when missing, reused)")
    parser.add_argument("--split", choices=("train", "val"), default="train", help="covid question split")
    parser.add_argument("--limit", type=int, default=300, help="questions measured (the first of the split)")
    parser.add_argument("--texts", choices=("questions", "news", "paragraphs", "passages"),
                        default="questions", help="covid questions of --split, runs of words cut from news bodies, "
                        "pasted pieces of them, or pasted pieces of the covid passages over the news alone")
    parser.add_argument("--seed", type=int, default=5, help="with --texts news, paragraphs or passages: which are cut")
    args = parser.parse_args()
    data = args.data.resolve()
    if args.texts == "passages":
        args.index = args.news_index
        ensure_index(args.index, [data_path(data, NEWS)])
    else:
        ensure_index(args.index, [data_path(data, NEWS), data_path(data, PASSAGES)])
    if args.texts == "news":
        questions = news_runs(read_jsonl(data_path(data, NEWS)), args.limit, args.seed)
        kind = f"news runs (seed {args.seed})"
    elif args.texts == "paragraphs":
        questions = news_paragraphs(read_jsonl(data_path(data, NEWS)), args.limit, args.seed)
        kind = f"pasted news paragraphs (seed {args.seed})"
    elif args.texts == "passages":
        passages = [{"body": passage.get("text")} for passage in read_jsonl(data_path(data, PASSAGES))]
        questions = news_paragraphs(passages, args.limit, args.seed)
        kind = f"pasted pieces of covid passages (seed {args.seed}) over the news alone"
    else:
        questions = [q["query"] for q in read_jsonl(data_path(data, QUERIES)) if q["split"] == args.split][: args.limit]
        kind = f"{args.split} questions"
    figures = measure(SearchEngine(args.index), questions)
    plain = [s for q in questions for s in syllables(q)]
    print(f'"did you mean" accent restoration -- code {code_version()}, index {args.index}, '
          f"{len(questions)} {kind} typed without accents")
    print(f"  suggestion offered      {figures['offered']:5} of {len(questions)}")
    print(f"  syllables compared      {figures['compared']:5} (suggestions with as many words as the question)")
    print(f"  restored as written     {figures['exact'] / max(figures['compared'], 1):.3f}")
    print(f"  without any accent      {sum(unidecode(s) == s for s in plain) / max(len(plain), 1):.3f}"
          " (the question's own syllables: what the unaccented text scores)")
    print(f"  capitals within sentences: {sum(figures['spurious'].values())} not written "
          f"({', '.join(f'{w} {n}' for w, n in figures['spurious'].most_common(8))}), {figures['missed']} missed")
    print("  commonest wrong restorations (written -> restored):")
    for (written, restored), count in figures["wrong"].most_common(12):
        print(f"    {written:>8} -> {restored:<8} {count:4}")


if __name__ == "__main__":
    main()
