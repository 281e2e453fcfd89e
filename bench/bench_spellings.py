"""A word typed in its other spelling of i / y: schools write ``kĩ``, ``lí``, ``Mĩ``, the press ``kỹ``, ``lý``, ``Mỹ``.

Usage: python bench/bench_spellings.py [--data ../shared/data] [--index /tmp/vnsearch-bench-battery]
                                       [--limit 300] [--seed 11]

Title fragments of 2-5 words (``corpus.title_fragment`` of sampled titles) holding a syllable whose open
rhyme is i or y alone after h, k, l, m, s, t or qu (``kỹ``, ``lý``, ``Mỹ``, ``tỷ``, ``quy``, ``hy``), searched
over the reader battery's index (news + portal) with every such syllable spelled the other way (``kỹ
thuật`` -> ``kĩ thuật``, ``quy định`` -> ``qui định``), with and without accents, and as written (the
control: the spelling the title writes).  The rewriting is this benchmark's own, not vnsearch's.
Relevant: the articles writing the fragment's words in a row (folded, title or body, either spelling of
each such syllable), at most ``MAX_RELEVANT`` of them (fragments of more are left out).

Printed per variant: MRR@10 of the fragment's own article, the recall of the relevant articles in the
result set (its first 500 newest), the median total, and how many pages said they also searched another
spelling ("Tìm cả").  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import (
    NEWS,
    add_battery_index_arguments,
    battery_index_data,
    code_version,
    data_path,
    read_jsonl,
    reciprocal_rank,
    sample_titles,
    title_fragment,
    unaccented,
)

from search.engine import SearchEngine
from search.request import MAX_PAGE_SIZE, SearchRequest

ONSETS = ("h", "k", "l", "m", "s", "t", "qu")
TONES = "\u0300\u0301\u0303\u0309\u0323"
MAX_RELEVANT = 500
PAGES = 10
_SWAP = str.maketrans("iyIY", "yiYI")
_TOKEN_RE = re.compile(r"[^\W_]+")
_NOTICE_RE = re.compile(r"Tìm cả “(\w+)” cho “(\w+)”\.")


def respelled(word: str) -> str | None:
    """Return word with its open rhyme's i as y or y as i after those onsets, else None."""
    decomposed = unicodedata.normalize("NFD", word)
    bare = "".join(ch for ch in decomposed if ch not in TONES).lower()
    if bare[-1:] not in ("i", "y") or bare[:-1] not in ONSETS:
        return None
    return unicodedata.normalize("NFC", decomposed.translate(_SWAP))


def folded_key(word: str) -> str:
    """Return a word folded, its i / y spelling made one (``ky`` and ``ki`` alike)."""
    folded = unaccented(word).lower()
    return folded[:-1] + "i" if respelled(word) and folded.endswith("y") else folded


def fragments(articles: list[dict], limit: int, seed: int) -> list[tuple[str, str]]:
    """Return (fragment, its title's article id) for sampled titles whose fragment holds such a syllable."""
    rng = random.Random(seed)
    by_title = {(a.get("title") or "").strip(): a["id"] for a in articles}
    found = []
    for title in sample_titles(articles, 20 * limit, seed):
        fragment = title_fragment(title, rng, (2, 5))
        if fragment and any(respelled(w) for w in _TOKEN_RE.findall(fragment)):
            found.append((fragment, by_title[title]))
        if len(found) == limit:
            break
    return found


def holding(articles: list[dict], wanted: list[str]) -> dict[str, set[str]]:
    """Return {fragment: ids of the articles writing its words in a row, folded, either spelling}."""
    keys = {f: tuple(folded_key(w) for w in _TOKEN_RE.findall(f)) for f in wanted}
    by_first: dict[str, list[str]] = {}
    for fragment, key in keys.items():
        by_first.setdefault(key[0], []).append(fragment)
    found: dict[str, set[str]] = {f: set() for f in wanted}
    for article in articles:
        words = [folded_key(w) for w in _TOKEN_RE.findall(f"{article.get('title') or ''}\n{article.get('body') or ''}")]
        for at, word in enumerate(words):
            for fragment in by_first.get(word, ()):
                if tuple(words[at : at + len(keys[fragment])]) == keys[fragment]:
                    found[fragment].add(article["id"])
    return found


def said_respelled(notice: str) -> bool:
    """Tell whether a notice says a word was also searched in its other spelling of i / y."""
    match = _NOTICE_RE.fullmatch(notice)
    return bool(match) and respelled(match.group(2)) == match.group(1)


def result_set(engine: SearchEngine, q: str) -> tuple[list[str], set[str], dict]:
    """Return a query's top 10 ids, the ids of its first PAGES newest pages, and its first page."""
    first = engine.search(SearchRequest(q=q, size=10, facets=False))
    ids: set[str] = set()
    for page in range(1, PAGES + 1):
        result = engine.search(SearchRequest(q=q, sort="newest", size=MAX_PAGE_SIZE, page=page, facets=False))
        ids |= {hit["id"] for hit in result["hits"]}
        if page >= result["pages"]:
            break
    return [hit["id"] for hit in first["hits"]], ids, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_battery_index_arguments(parser)
    parser.add_argument("--limit", type=int, default=300, help="title fragments sampled")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    data = battery_index_data(args)
    articles = read_jsonl(data_path(data, NEWS))
    sampled = fragments(articles, args.limit, args.seed)
    relevant = holding(articles, [f for f, _ in sampled])
    sampled = [(f, own) for f, own in sampled if len(relevant[f]) <= MAX_RELEVANT]
    engine = SearchEngine(args.index)
    variants = {
        "as written": lambda f: f,
        "other spelling": lambda f: " ".join(respelled(w) or w for w in f.split()),
        "other, no accents": lambda f: unaccented(" ".join(respelled(w) or w for w in f.split())).lower(),
    }
    print(f"i / y spellings -- code {code_version()}, index {args.index}, seed {args.seed}, "
          f"{len(sampled)} title fragments")
    print(f"  {'variant':<20}{'MRR@10':>8}{'recall':>8}{'total med':>10}{'said':>6}")
    for name, rewrite in variants.items():
        rr, recalls, totals, said = 0.0, [], [], 0
        for fragment, own in sampled:
            top, ids, first = result_set(engine, rewrite(fragment))
            rr += reciprocal_rank(top, {own})
            recalls.append(len(ids & relevant[fragment]) / max(len(relevant[fragment]), 1))
            totals.append(first["total"])
            said += any(said_respelled(n) for n in first["notices"])
        count = max(len(sampled), 1)
        print(f"  {name:<20}{rr / count:>8.3f}{statistics.mean(recalls):>8.3f}{statistics.median(totals):>10.0f}"
              f"{said:>6}")


if __name__ == "__main__":
    main()
