""""Did you mean" of two code trees in one process: the same suggestions and pages, and its CPU time.

Usage: nice -n 10 python bench/bench_suggest.py --old DIR --index DIR [--queries mix,heavy,battery,train,
                                                fragments,unaccented,typos] [--runs 2] [--data ../shared/data]

``--old`` is another tree of vnsearch (e.g. a ``git archive`` of main unpacked in /tmp): its whole
``search/`` package is copied to a temporary folder as a package of another name (its imports of
``search`` renamed) and imported beside this checkout's, so each tree runs all of its own code.  One
engine of each tree over ``--index`` (only read) answers every query of ``--queries`` as a results page
(10 hits, snippets, facets, "did you mean"), one tree after the other: the sets of ``bench_proximity.py``
(``heavy``, ``mix``, ``battery``, ``train``: the covid train questions as written and without
diacritics, ``fragments``: 300 title fragments), ``unaccented``: those fragments without diacritics,
and ``typos``: each unaccented fragment with one letter of one word deleted, doubled or swapped with the
next (a fixed seed).  The two pages are compared as JSON (``took_ms`` left out: the suggestion, the
limits reached and the corrected query included), and so is what each tree's ``correct_query``
returned: the number that differ is printed (0: the same suggestion for every query).  Then ``--runs``
times each query of the timed sets (``mix``, ``fragments``, ``unaccented``) with one tree and then the other (which
goes first alternates): CPU time of the page and of ``correct_query`` (the suggestion's own searches),
medians and new/old ratios.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_proximity
from corpus import DEFAULT_DATA, code_version

from search import results as new_results
from search.engine import SearchEngine
from search.request import SearchRequest
from search.text import fold

TIMED = ("mix", "fragments", "unaccented")
CLOCK = time.process_time


def load_old(tree: Path, folder: Path):
    """Return the old tree's ``search`` package imported as ``oldsearch`` (copied into folder)."""
    target = folder / "oldsearch"
    shutil.copytree(tree / "search", target)
    for path in target.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^(\s*)from search(\.| import)", r"\1from oldsearch\2", text, flags=re.M)
        text = re.sub(r"^(\s*)import search\.", r"\1import oldsearch.", text, flags=re.M)
        path.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(folder))
    return importlib.import_module("oldsearch.engine"), importlib.import_module("oldsearch.results"), \
        importlib.import_module("oldsearch.request")


def typo(text: str, rng: random.Random) -> str | None:
    """Return text with one letter of one of its longer words deleted, doubled or swapped, or None."""
    words = text.split()
    places = [i for i, word in enumerate(words) if len(word) >= 3 and word.isalpha()]
    if not places:
        return None
    at = rng.choice(places)
    word = words[at]
    cut = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        word = word[:cut] + word[cut + 1 :]
    elif kind == 1:
        word = word[:cut] + word[cut] + word[cut:]
    else:
        word = word[: cut - 1] + word[cut] + word[cut - 1] + word[cut + 1 :]
    words[at] = word
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="the other tree (its search/ package)")
    parser.add_argument("--index", type=Path, required=True, help="the index (only read)")
    parser.add_argument("--queries", default="mix,heavy,battery,train,fragments,unaccented,typos")
    parser.add_argument("--runs", type=int, default=2, help="timed runs of the mix, fragments and unaccented sets")
    parser.add_argument("--show", type=int, default=5, help="queries that differ printed, in each set")
    parser.add_argument("--postings-cache-mb", type=int, default=None, help="each engine's budget (default 1 GB)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    names = args.queries.split(",")
    base = [n for n in names if n not in ("unaccented", "typos")]
    if {"unaccented", "typos"} & set(names) and "fragments" not in base:
        base.append("fragments")
    sets = bench_proximity.query_sets(args.data, base)
    fragments = sets.get("fragments", [])
    if "fragments" not in names:
        sets.pop("fragments", None)
    if "unaccented" in names:
        sets["unaccented"] = [fold(f) for f in fragments]
    if "typos" in names:
        rng = random.Random(17)
        sets["typos"] = [t for t in (typo(fold(f), rng) for f in fragments) if t]

    folder = Path(tempfile.mkdtemp(prefix="bench-suggest-"))
    try:
        old_engine_module, old_results, old_request = load_old(args.old, folder)
        engines = {"new": SearchEngine(args.index, postings_cache_mb=args.postings_cache_mb),
                   "old": old_engine_module.SearchEngine(args.index, postings_cache_mb=args.postings_cache_mb)}
        requests = {"new": SearchRequest, "old": old_request.SearchRequest}
        spent, returned = {"new": 0.0, "old": 0.0}, {}

        def wrap(variant: str, module) -> None:
            correct = module.suggest.correct_query

            def timed(*call, **named):
                started = CLOCK()
                try:
                    returned[variant] = correct(*call, **named)
                    return returned[variant]
                finally:
                    spent[variant] += CLOCK() - started

            module.suggest.correct_query = timed

        wrap("new", new_results)
        wrap("old", old_results)

        def page(variant: str, q: str) -> tuple[str, float, float]:
            spent[variant], returned[variant] = 0.0, None
            started = CLOCK()
            result = engines[variant].search(requests[variant](q=q, size=10))
            took = CLOCK() - started
            result.pop("took_ms", None)
            return json.dumps(result, ensure_ascii=False, sort_keys=True), 1000 * took, 1000 * spent[variant]

        print(f'"did you mean" of {args.old} (old) and this checkout (new, code {code_version()}), '
              f"index {args.index}", flush=True)
        differ_total = 0
        for name, queries in sets.items():
            differ, suggested, examples = 0, 0, []
            for i, q in enumerate(queries):
                order = ("new", "old") if i % 2 == 0 else ("old", "new")
                pages, corrections = {}, {}
                for variant in order:
                    pages[variant] = page(variant, q)[0]
                    corrections[variant] = repr(returned[variant])
                same = pages["new"] == pages["old"] and corrections["new"] == corrections["old"]
                differ += not same
                suggested += json.loads(pages["new"])["suggestion"] is not None
                if not same and len(examples) < args.show:
                    old, new = json.loads(pages["old"]), json.loads(pages["new"])
                    keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
                    examples.append((q, corrections["old"], corrections["new"], keys))
            differ_total += differ
            print(f"{name}: {len(queries)} queries, {suggested} with a suggestion, {differ} differ", flush=True)
            for q, old, new, keys in examples:
                print(f"    {q!r}: old {old}, new {new}; the pages differ in {keys}")
        print(f"every set: {differ_total} differ")

        timed = {name: queries for name, queries in sets.items() if name in TIMED and args.runs}
        for name, queries in timed.items():
            times = {v: [[] for _ in queries] for v in engines}
            for run in range(args.runs):
                for i, q in enumerate(queries):
                    for variant in ("new", "old") if (run + i) % 2 == 0 else ("old", "new"):
                        times[variant][i].append(page(variant, q)[1:])
            pages = {v: [statistics.median(t[0] for t in per) for per in times[v]] for v in engines}
            dym = {v: [statistics.median(t[1] for t in per) for per in times[v]] for v in engines}
            for variant in ("old", "new"):
                ordered = sorted(pages[variant])
                print(f"  {name:10} {variant}: page median {statistics.median(ordered):7.2f} ms, "
                      f"p95 {ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]:7.2f}; "
                      f"did you mean mean {statistics.mean(dym[variant]):6.2f} ms")
            print(f"  {name:10} new/old: page total {sum(pages['new']) / sum(pages['old']):.3f}, median "
                  f"{statistics.median(pages['new']) / statistics.median(pages['old']):.3f}; did you mean total "
                  f"{sum(dym['new']) / max(sum(dym['old']), 1e-9):.3f}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
