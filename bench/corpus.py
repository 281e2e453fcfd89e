"""Shared helpers of the benchmarks: data paths, query variants, cached indexes, SQLite FTS5.

Nothing here measures anything; ``bench_retrieval.py`` and ``bench_latency.py`` import it.

* Paths: the data directory defaults to ``../shared/data`` relative to the repository root.
* Query variants: as written, unaccented (what a person typing without diacritics produces:
  lower case, combining marks dropped, ``đ`` -> ``d``), NFD, and the other tone-mark placement
  in open ``oa``/``oe``/``uy`` syllables (``hòa`` <-> ``hoà``, ``khỏe`` <-> ``khoẻ``, ``thủy`` <-> ``thuỷ``).
* Indexes are built once into a cache directory and reused (``ensure_index``).
* ``Fts5`` is the SQLite baseline: an in-memory ``fts5(title, body)`` table with the
  ``unicode61 remove_diacritics 2`` tokenizer, ranked by ``bm25``, queried with the query's
  words (each quoted) joined by ``OR``.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from search.dates import day_number, parse_date, vietnam_day  # noqa: E402
from search.index import reindex  # noqa: E402
from search.store import current_generation, format_matches, read_meta  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data"
NEWS = Path("news") / "articles.jsonl"
PASSAGES = Path("retrieval") / "passages.jsonl"
QUERIES = Path("retrieval") / "queries.jsonl"
PORTAL = Path("portal")
SEED = 20261126


# Data ------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict]:
    """Return the objects of a JSON Lines file."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def data_path(data: Path, relative: Path) -> Path:
    """Return a file of the data directory, with a clear error when it is missing."""
    path = Path(data) / relative
    if not path.exists():
        sys.exit(f"missing {path}: pass --data DIR (the directory holding news/ and retrieval/)")
    return path


# Query variants ----------------------------------------------------------------------------

_COMBINING = re.compile(r"[\u0300-\u036f]")
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
VOWELS = set("aăâeêioôơuưy")
_WORD_RE = re.compile(r"[^\W\d_]+")
OPEN_PAIRS = ("oa", "oe", "uy")
VARIANTS = ("written", "unaccented", "nfd", "tone")
# Run when asked for (``--variants``), not by default: queries typed in Telex without an input
# method, with đ as dd and with đ as d (its second key left out, as many typists do).
TYPED_VARIANTS = ("telex", "telex-d")
VARIANT_LABELS = {
    "written": "as written",
    "unaccented": "no diacritics",
    "nfd": "NFD",
    "tone": "other tone placement",
    "telex": "Telex",
    "telex-d": "Telex, d for đ",
}
_TELEX_MARKS = {"\u0302": "", "\u0306": "w", "\u031b": "w"}  # circumflex doubles the vowel
_TELEX_TONES = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}


def unaccented(text: str) -> str:
    """Return text as typed without diacritics: lower case, marks removed, đ -> d."""
    stripped = _COMBINING.sub("", unicodedata.normalize("NFD", text.lower()))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d"))


def telex(word: str, crossed_d: str = "dd") -> str:
    """Return a word as typed in Telex with no input method: ``nội`` -> ``nooij`` (đ typed as crossed_d)."""
    out, tone = [], ""
    for ch in unicodedata.normalize("NFD", word.lower().replace("đ", crossed_d)):
        if ch in _TELEX_TONES:
            tone = _TELEX_TONES[ch]
        elif ch == "\u0302":
            out.append(out[-1] if out else "")
        elif ch in _TELEX_MARKS:
            out.append(_TELEX_MARKS[ch])
        else:
            out.append(ch)
    return "".join(out) + tone


def telex_text(text: str, crossed_d: str = "dd") -> str:
    """Return text with each of its words typed in Telex (``telex``), punctuation and digits kept in
    place (a typist presses the tone key before the comma or quote that follows the word)."""
    return _WORD_RE.sub(lambda word: telex(word.group(), crossed_d), text)


def nfd(text: str) -> str:
    """Return text in Unicode normal form D."""
    return unicodedata.normalize("NFD", text)


def _base(ch: str) -> str:
    """Return a letter without its combining marks, lower case."""
    return _COMBINING.sub("", unicodedata.normalize("NFD", ch)).lower()


def _split_tone(ch: str) -> tuple[str, str]:
    """Return (letter without tone mark, tone mark or '') of one NFC letter."""
    decomposed = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in decomposed if c in TONE_MARKS)
    rest = "".join(c for c in decomposed if c not in TONE_MARKS)
    return unicodedata.normalize("NFC", rest), tone


def _other_placement(word: str) -> str:
    """Move the tone of a word ending in an open oa/oe/uy rhyme to the other vowel."""
    if len(word) < 2 or _base(word[-2]) + _base(word[-1]) not in OPEN_PAIRS:
        return word
    before = _base(word[-3]) if len(word) >= 3 else ""
    if before in VOWELS:
        return word  # a longer vowel run (oai, uya, ...): not an open two-vowel rhyme
    if before == "q" and _base(word[-2]) == "u":
        return word  # "quý": the u belongs to the onset, the tone always sits on y
    (first, first_tone), (second, second_tone) = _split_tone(word[-2]), _split_tone(word[-1])
    if bool(first_tone) == bool(second_tone):
        return word  # no tone (or a malformed double tone): nothing to move
    tone = first_tone or second_tone
    if first_tone:
        first, second = first, unicodedata.normalize("NFC", second + tone)
    else:
        first, second = unicodedata.normalize("NFC", first + tone), second
    return word[:-2] + first + second


def other_tone_placement(text: str) -> str:
    """Return NFC text with the tone of open oa/oe/uy syllables on the other vowel (both ways).

    ``hòa`` <-> ``hoà``, ``khỏe`` <-> ``khoẻ``, ``thủy`` <-> ``thuỷ``; closed syllables (``hoàng``),
    longer vowel runs (``ngoài``) and ``quý`` are left alone.
    """
    text = unicodedata.normalize("NFC", text)
    return _WORD_RE.sub(lambda m: _other_placement(m.group()), text)


def variant(text: str, name: str) -> str:
    """Return one named variant of a query."""
    if name == "written":
        return text
    if name == "unaccented":
        return unaccented(text)
    if name == "nfd":
        return nfd(text)
    if name == "tone":
        return other_tone_placement(text)
    if name in TYPED_VARIANTS:
        return telex_text(text, "dd" if name == "telex" else "d")
    raise ValueError(f"unknown variant {name!r}")


# Title queries -----------------------------------------------------------------------------

_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")


def title_words(title: str) -> list[str]:
    """Return a title's words: whitespace-separated tokens without leading/trailing punctuation."""
    words = (_EDGE_PUNCT.sub("", token) for token in unicodedata.normalize("NFC", title).split())
    return [w for w in words if w]


def sample_titles(articles: list[dict], count: int, seed: int = SEED) -> list[str]:
    """Return a seeded sample of distinct non-empty titles (in sorted-then-shuffled order)."""
    titles = sorted({a["title"].strip() for a in articles if (a.get("title") or "").strip()})
    rng = random.Random(seed)
    rng.shuffle(titles)
    return titles[:count]


def title_fragment(title: str, rng: random.Random, sizes: tuple[int, int] = (3, 5)) -> str | None:
    """Return 3-5 (sizes) consecutive words of a title (None when it has fewer than the least)."""
    words = title_words(title)
    if len(words) < sizes[0]:
        return None
    size = rng.randint(sizes[0], min(sizes[1], len(words)))
    start = rng.randint(0, len(words) - size)
    return " ".join(words[start : start + size])


def title_fragments(articles: list[dict], count: int, seed: int, rng: random.Random,
                    sizes: tuple[int, int] = (3, 5)) -> list[str]:
    """Return a fragment (``title_fragment`` of sizes words, drawn with rng) of each of count titles sampled with
    seed that has one."""
    return [f for f in (title_fragment(t, rng, sizes) for t in sample_titles(articles, count, seed)) if f]


class TitleIndex:
    """Which articles hold a title exactly, or a run of words of their title."""

    def __init__(self, articles: list[dict]):
        self.by_title: dict[str, set[str]] = {}
        self.word_runs: list[tuple[str, str]] = []  # (" w1 w2 ... ", id), lower case
        for article in articles:
            title = (article.get("title") or "").strip()
            if not title:
                continue
            self.by_title.setdefault(title, set()).add(article["id"])
            self.word_runs.append((" " + " ".join(title_words(title)).lower() + " ", article["id"]))

    def exact(self, title: str) -> set[str]:
        """Return the ids of the articles with exactly this title."""
        return set(self.by_title.get(title.strip(), ()))

    def containing(self, fragment: str) -> set[str]:
        """Return the ids of the articles whose title holds the fragment's words in a row."""
        needle = " " + " ".join(title_words(fragment)).lower() + " "
        return {doc_id for run, doc_id in self.word_runs if needle in run}


# Indexes -----------------------------------------------------------------------------------


def ensure_index(index_dir: Path, sources: list[Path], rebuild: bool = False, procs: int = 2,
                 log=print) -> float:
    """Build the index of sources into index_dir unless a current one of them is there; return seconds.

    An index of other sources, or of another format (schema, codec, Whoosh version), is rebuilt.
    """
    wanted = sorted(str(Path(s).resolve()) for s in sources)
    generation = current_generation(index_dir)
    meta = read_meta(generation)
    known = sorted(str(Path(s).resolve()) for s in meta.get("sources", []))
    if generation is not None and known == wanted and format_matches(meta) and not rebuild:
        return 0.0
    log(f"building the index {index_dir} from {', '.join(str(s) for s in sources)} ...")
    started = time.perf_counter()
    report = reindex(index_dir, [str(s) for s in sources], full=True, procs=procs)
    if report.rejected:
        log(f"  {len(report.rejected)} rejected, e.g. {report.rejected[0]}")
    seconds = time.perf_counter() - started
    log(f"  {report.documents} documents in {seconds:.1f} s")
    return seconds


BATTERY_INDEX = Path("/tmp/vnsearch-bench-battery")


def add_battery_index_arguments(parser) -> None:
    """Add --data and --index (the reader battery's index of the news and the portal) to a parser."""
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data directory (default ../shared/data)")
    parser.add_argument("--index", type=Path, default=BATTERY_INDEX,
                        help="the reader battery's index (news + portal; built once when missing)")


def add_battery_sample_arguments(parser, limit: int, seed: int, seeded: str, show: int, shown: str) -> None:
    """Add the battery's index arguments, and --limit (titles sampled), --seed and --show, to a parser."""
    add_battery_index_arguments(parser)
    parser.add_argument("--limit", type=int, default=limit, help="titles sampled")
    parser.add_argument("--seed", type=int, default=seed, help=seeded)
    parser.add_argument("--show", type=int, default=show, help=shown)


def battery_index_data(args) -> Path:
    """Return the data directory of parsed --data/--index arguments, the battery's index built when missing."""
    data = args.data.resolve()
    ensure_index(args.index, [data_path(data, NEWS), data_path(data, PORTAL)])
    return data


def code_version() -> str:
    """Return the repository's commit and whether search/ has uncommitted changes (for reports)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "search"], cwd=REPO, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit or 'unknown'}{' + uncommitted changes in search/' if dirty else ''}"


# Metrics -----------------------------------------------------------------------------------


def reciprocal_rank(ranked: list[str], relevant: set[str], depth: int = 10) -> float:
    """Return 1/rank of the first relevant id in the top depth, 0 when none is there."""
    for rank, doc_id in enumerate(ranked[:depth], start=1):
        if doc_id in relevant:
            return 1.0 / rank
    return 0.0


def recall(ranked: list[str], relevant: set[str], depth: int = 10) -> float:
    """Return the share of the relevant ids found in the top depth (capped: / min(|relevant|, depth))."""
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:depth])) / min(len(relevant), depth)


def percentile(values: list[float], share: float) -> float:
    """Return a percentile (0-100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * share / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: list[float]) -> float:
    """Return the median (0 for no values)."""
    return statistics.median(values) if values else 0.0


# SQLite FTS5 baseline ------------------------------------------------------------------------

# Runs of word characters; combining marks are kept in the word so an NFD query reaches the
# FTS5 tokenizer whole (unicode61 removes the marks itself).
_FTS_WORD_RE = re.compile(r"(?:\w|[\u0300-\u036f])+")
_PHRASE_RE = re.compile(r'"([^"]*)"')


def fts_query(text: str, joiner: str = " OR ") -> str:
    """Return the FTS5 query of a search-box query: words quoted and joined by joiner (OR by
    default; " " is FTS5's implicit AND).

    A quoted phrase stays one FTS5 phrase.  Returns '' when there is no word.
    """
    parts = []
    position = 0
    for match in _PHRASE_RE.finditer(text):
        parts.extend(f'"{w}"' for w in _FTS_WORD_RE.findall(text[position : match.start()]))
        words = _FTS_WORD_RE.findall(match.group(1))
        if words:
            parts.append('"' + " ".join(words) + '"')
        position = match.end()
    parts.extend(f'"{w}"' for w in _FTS_WORD_RE.findall(text[position:]))
    return joiner.join(dict.fromkeys(parts))


def record_day(published: str | None) -> int:
    """Return a record's date as YYYYMMDD in Vietnam time (as vnsearch's day column), 0 if none."""
    if not published:
        return 0
    try:
        day = vietnam_day(parse_date(published))
    except ValueError:
        return 0
    return day_number(day)


# The facets a results page counts, as columns of the FTS5 table (vnsearch's year, month,
# category and source facets).
FTS_FACETS = ("year", "month", "category", "source")


class Fts5:
    """An in-memory SQLite FTS5 index of (title, body) with id, day and facet columns."""

    def __init__(self, title_weight: float = 1.0):
        self.title_weight = title_weight
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE t USING fts5(title, body, doc_id UNINDEXED, day UNINDEXED, "
            "year UNINDEXED, month UNINDEXED, category UNINDEXED, source UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
        self.count = 0

    def add(self, records: Iterable[dict]) -> None:
        """Index records with id, title, body (or text), published and category."""
        rows = []
        for record in records:
            day = record_day(record.get("published"))
            rows.append((
                record.get("title") or "",
                record.get("body") or record.get("text") or "",
                record["id"],
                day,
                day // 10000,
                day // 100,
                record.get("category") or "",
                record.get("source") or record.get("publisher") or "",
            ))
        self.db.executemany("INSERT INTO t(title, body, doc_id, day, year, month, category, source) "
                            "VALUES (?,?,?,?,?,?,?,?)", rows)
        self.db.commit()
        self.count += len(rows)

    def optimize(self) -> None:
        """Merge the FTS5 b-trees into one (as a built index would be)."""
        self.db.execute("INSERT INTO t(t) VALUES ('optimize')")
        self.db.commit()

    def _rank(self) -> str:
        return f"bm25(t, {self.title_weight:g}, 1.0)"

    def top_ids(self, text: str, limit: int = 10) -> list[str]:
        """Return the ids of the top documents for a search-box query."""
        query = fts_query(text)
        if not query:
            return []
        sql = f"SELECT doc_id FROM t WHERE t MATCH ? ORDER BY {self._rank()} LIMIT ?"
        return [row[0] for row in self.db.execute(sql, (query, limit))]

    def page(self, text: str, day_from: int | None = None, day_to: int | None = None, joiner: str = " ") -> dict:
        """Do a results page's work: top 10 with snippets, total, and the counts of every facet.

        The words are joined by joiner: FTS5's implicit AND (a space) by default, as vnsearch
        answers from articles holding every word; " OR " matches any word.
        """
        query = fts_query(text, joiner)
        where, params = "t MATCH ?", [query]
        if day_from is not None:
            where += " AND day >= ?"
            params.append(day_from)
        if day_to is not None:
            where += " AND day <= ?"
            params.append(day_to)
        hits = self.db.execute(
            f"SELECT rowid, {self._rank()}, title, snippet(t, 1, '<mark>', '</mark>', '…', 12) FROM t "
            f"WHERE {where} ORDER BY {self._rank()} LIMIT 10",
            params,
        ).fetchall()
        facets = {name: self.db.execute(f"SELECT {name}, count(*) FROM t WHERE {where} GROUP BY {name}",
                                         params).fetchall() for name in FTS_FACETS}
        return {"hits": hits, "total": sum(n for _, n in facets["year"]), "facets": facets}


# The replicated corpus -----------------------------------------------------------------------


def shift_date(published: str | None, years: int) -> str | None:
    """Return an ISO date/datetime string moved back by whole years (29 Feb -> 28 Feb)."""
    if not published or len(published) < 10 or not published[:4].isdigit():
        return published
    year = int(published[:4]) - years
    rest = published[4:]
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if rest.startswith("-02-29") and not leap:
        rest = "-02-28" + rest[6:]
    return f"{year:04d}{rest}"


def replicated_records(articles: list[dict], copies: int) -> Iterator[dict]:
    """Yield the articles, then copies-1 more copies (ids suffixed -r1.., dates years back)."""
    yield from articles
    for copy in range(1, copies):
        for article in articles:
            record = dict(article)
            record["id"] = f"{article['id']}-r{copy}"
            record["published"] = shift_date(article.get("published"), copy)
            yield record


def write_replicated(articles: list[dict], copies: int, path: Path) -> int:
    """Write the replicated corpus as JSON Lines (atomically); return the records written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    count = 0
    with open(temporary, "w", encoding="utf-8") as handle:
        for record in replicated_records(articles, copies):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    temporary.replace(path)
    return count
