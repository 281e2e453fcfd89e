""""Did you mean" restoring accents: how many syllables of a question typed without accents come back as written.

Usage: python bench/bench_restore.py [--data ../shared/data] [--index /tmp/vnsearch-bench-retrieval]
                                     [--split train] [--limit 300]

Each covid question of retrieval/queries.jsonl (``--split``, the first ``--limit``) is searched without its
accents (``unidecode``, lower case), as a reader without an input method types it, over the retrieval
benchmark's index (news + covid passages, built once by ``corpus.ensure_index`` as bench_retrieval.py
does).  Printed: how many pages offer a "did you mean"; over those whose suggestion has as many words as
the question, the share of syllables restored exactly as written (lower case, NFC), beside the share of
the question's syllables that carry no accent at all (what offering the unaccented text would score);
and the commonest wrong restorations.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import DEFAULT_DATA, NEWS, PASSAGES, QUERIES, code_version, data_path, ensure_index, read_jsonl
from unidecode import unidecode

from search.engine import SearchEngine
from search.request import SearchRequest

WORD_RE = re.compile(r"\w+")


def syllables(text: str) -> list[str]:
    """Return the lower-case NFC words of a text."""
    return WORD_RE.findall(unicodedata.normalize("NFC", text).lower())


def measure(engine: SearchEngine, questions: list[str]) -> dict:
    """Return the suggestions' counts and the syllables restored exactly, wrongly (written, restored)."""
    offered = compared = exact = 0
    wrong: Counter = Counter()
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
    return {"offered": offered, "compared": compared, "exact": exact, "wrong": wrong}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data directory (default ../shared/data)")
    parser.add_argument("--index", type=Path, default=Path("/tmp/vnsearch-bench-retrieval"),
                        help="the retrieval benchmark's index (built once when missing, reused)")
    parser.add_argument("--split", choices=("train", "val"), default="train", help="covid question split")
    parser.add_argument("--limit", type=int, default=300, help="questions measured (the first of the split)")
    args = parser.parse_args()
    data = args.data.resolve()
    ensure_index(args.index, [data_path(data, NEWS), data_path(data, PASSAGES)])
    questions = [q["query"] for q in read_jsonl(data_path(data, QUERIES)) if q["split"] == args.split][: args.limit]
    figures = measure(SearchEngine(args.index), questions)
    plain = [s for q in questions for s in syllables(q)]
    print(f'"did you mean" accent restoration -- code {code_version()}, index {args.index}, '
          f"{len(questions)} {args.split} questions typed without accents")
    print(f"  suggestion offered      {figures['offered']:5} of {len(questions)}")
    print(f"  syllables compared      {figures['compared']:5} (suggestions with as many words as the question)")
    print(f"  restored as written     {figures['exact'] / max(figures['compared'], 1):.3f}")
    print(f"  without any accent      {sum(unidecode(s) == s for s in plain) / max(len(plain), 1):.3f}"
          " (the question's own syllables: what the unaccented text scores)")
    print("  commonest wrong restorations (written -> restored):")
    for (written, restored), count in figures["wrong"].most_common(12):
        print(f"    {written:>8} -> {restored:<8} {count:4}")


if __name__ == "__main__":
    main()
