"""Telex/VNI reading checked on the whole vocabulary of the news corpus: no real word rewritten.

Usage: python bench/bench_telex.py [--data ../shared/data] [--index DIR] [--rebuild] [--show N]

Reads every word of news/articles.jsonl (titles and bodies) and prints:

* the syllable check: how many lower-case words with Vietnamese letters it accepts (the ones it
  refuses are listed: run-together words of the source text, loanwords like ``ôxy``);
* how many words the pure decoder (``search.telex.decode``) would read as Telex/VNI on their own
  (foreign words such as ``Lee`` or ``teen`` are Telex too, letter for letter);
* how many the query path would rewrite: ``search.understand`` also asks the index (news +
  portal, built into --index once), which keeps every word its articles use.  Target: 0.  A
  VNI word the index holds far less often than its decoding is also searched decoded, the
  word typed kept (listed apart).

Nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import DEFAULT_DATA, NEWS, PORTAL, data_path, ensure_index, read_jsonl

from search import abbreviations
from search.engine import SearchEngine
from search.parse import parse_query
from search.telex import decode, is_syllable
from search.text import SYLLABLE_RE, nfc
from search.understand import Vocabulary, understand


def vocabulary(data: Path) -> Counter:
    """Return {word as written: articles holding it} over titles and bodies."""
    counts: Counter = Counter()
    for article in read_jsonl(data_path(data, NEWS)):
        words = set(SYLLABLE_RE.findall(nfc(article.get("title") or ""))) | set(
            SYLLABLE_RE.findall(nfc(article.get("body") or "")))
        counts.update(words)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--index", type=Path, default=Path("/tmp/vnsearch-bench-battery"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--show", type=int, default=20, help="examples to print of each list")
    args = parser.parse_args()
    words = vocabulary(args.data)
    vietnamese = [w for w in words if w.isalpha() and w.islower() and not w.isascii()]
    refused = sorted((w for w in vietnamese if not is_syllable(w)), key=lambda w: -words[w])
    print(f"vocabulary: {len(words)} distinct words")
    print(f"syllable check: {len(vietnamese) - len(refused)} of {len(vietnamese)} lower-case Vietnamese words "
          f"accepted; of those refused, {sum(words[w] >= 3 for w in refused)} are in 3 articles or more "
          f"(most frequent first: {refused[: args.show]})")
    decodable = sorted((w for w in words if decode(w)), key=lambda w: -words[w])
    print(f"pure decoder: {len(decodable)} words read as Telex/VNI, e.g. "
          f"{[(w, decode(w)) for w in decodable[: args.show]]}")
    ensure_index(args.index, [data_path(args.data, NEWS), data_path(args.data, PORTAL)], args.rebuild)
    statistics = SearchEngine(args.index, refresh_seconds=1e9).backend.statistics()
    dictionary = abbreviations.load()
    rewritten, also = [], []
    for word in decodable:
        understood = understand(parse_query(word), Vocabulary(statistics), dictionary)
        if understood.decoded:
            # A VNI word the index barely holds keeps its own clause and gains the decoded one.
            typed = [s.folded for c in understood.parsed.groups[0] if not c.alternative for s in c.syllables]
            found = also if typed == [s.folded for s in parse_query(word).syllables] else rewritten
            found.append((word, understood.rewritten_text(), words[word]))
    print(f"query path: {len(rewritten)} words of the corpus rewritten (target 0): {rewritten[: args.show]}")
    print(f"query path: {len(also)} words also searched decoded, the word typed kept: "
          f"{also[: args.show]}")


if __name__ == "__main__":
    main()
