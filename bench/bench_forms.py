"""An abbreviation typed alone: how many of its first hits are about what it abbreviates.

For every entry of the shipped abbreviation dictionary with a form of three syllables or more
(``UBND | ủy ban nhân dân``, ``TP.HCM | ... | Thành phố Hồ Chí Minh``), the abbreviation is searched
as a reader types it: lowercase (``ubnd``, ``tp.hcm``, ``hđnd``) and lowercase without accents
(``hdnd``).  A hit counts when its title holds one of the entry's forms (folded syllables in a row),
a rule that reads no ranking: the news corpus titles an article "TP HCM ..." when it is about the
city, "... Chủ tịch Hồ Chí Minh" when it is about the President.  Reported: the mean share of such
titles among the first 10 hits (precision@10) and of first hits, over the entries finding at least
10 articles.  Titles holding no form are common (a third of the corpus is untitled passages, and
most articles name a body in their text alone), so the figures compare code, not targets.

    .venv/bin/python bench/bench_forms.py --data ../shared/data --index /tmp/vnsearch-bench-battery
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import DEFAULT_DATA, NEWS, PORTAL, code_version, data_path, ensure_index
from unidecode import unidecode

from search.abbreviations import Entry, form_key, load
from search.engine import SearchEngine, open_engine
from search.parse import syllables_of
from search.request import SearchRequest

MIN_FORM_SYLLABLES = 3
MIN_TOTAL = 10


def holds(title: str | None, keys: list[tuple[str, ...]]) -> bool:
    """Tell whether a title holds one of the keys (folded syllables) in a row."""
    folded = tuple(s.folded for s in syllables_of(title or ""))
    return any(folded[i : i + len(key)] == key for key in keys for i in range(len(folded) - len(key) + 1))


def measure(engine: SearchEngine, entry: Entry, query: str) -> tuple[float, bool] | None:
    """Return (precision@10, first hit on the subject) of a query, None when it finds fewer than 10."""
    result = engine.search(SearchRequest(q=query, size=10, facets=False))
    if result["total"] < MIN_TOTAL:
        return None
    keys = [form_key(form) for form in entry.forms]
    on_subject = [holds(hit["title"], keys) for hit in result["hits"]]
    return sum(on_subject) / len(on_subject), on_subject[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--index", type=Path, default=Path("/tmp/vnsearch-bench-battery"))
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached index")
    parser.add_argument("--show", action="store_true", help="print each query's figures")
    args = parser.parse_args()
    ensure_index(args.index, [data_path(args.data, NEWS), data_path(args.data, PORTAL)], args.rebuild)
    engine = open_engine(args.index, refresh_seconds=1e9)
    entries = [e for e in load().entries if max(len(form_key(f)) for f in e.forms) >= MIN_FORM_SYLLABLES]
    print(f"abbreviations typed alone -- code {code_version()}, embedded index {args.index}\n")
    print(f"{'typed':<22}{'queries':>8}{'p@10':>8}{'first':>8}")
    for name, typed in (("lowercase", str.lower), ("without accents", lambda form: unidecode(form).lower())):
        figures = [(query, found) for query, found in ((typed(e.forms[0]), measure(engine, e, typed(e.forms[0])))
                                                        for e in entries) if found is not None]
        precision = sum(p for _, (p, _) in figures) / len(figures)
        first = sum(f for _, (_, f) in figures) / len(figures)
        print(f"{name:<22}{len(figures):>8}{precision:>8.3f}{first:>8.3f}")
        if args.show:
            for query, (p, f) in figures:
                print(f"    {query:<14} p@10 {p:.1f} first {int(f)}")


if __name__ == "__main__":
    main()
