"""Search: one function from a query and options to a plain dict of hits, facets and hints.

The plan, all over numpy arrays built from whole posting lists (see ``search.reader``):

1. Match: every query group must match (a clause = syllables that must all occur, folded,
   in the title or body; quoted clauses as a phrase); excluded clauses must not.  When that
   finds too little, fall back to any-word matching, documents matching all words first.
2. Rank: BM25F over title and body for each folded syllable, plus a bonus for the syllables
   typed with accents that occur with exactly those accents, plus the folded compound words
   (``chinh_tri``) the index holds for adjacent query syllables; then the top few hundred are
   re-ranked with a bonus for query words that stand next to each other in the document.
3. Count facets over the whole result set, each facet ignoring its own filter.
4. Build snippets for the page from the stored text (``search.highlight``).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, replace
from datetime import date
from typing import Mapping

import numpy as np

from search import highlight, suggest
from search.parse import Clause, ParsedQuery, folded_label, parse_query
from search.reader import Postings, Snapshot
from search.schema import TEXT_FIELDS
from search.text import COMPOUND_JOINER

SORTS = ("relevance", "newest", "oldest")
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
MAX_PAGE = 1000
# All-words matching that finds fewer results than this falls back to any-word matching.
FALLBACK_BELOW = 5
# Queries of this many distinct words are questions: at least this share of them must match.
LONG_QUERY_WORDS = 6
LONG_QUERY_SHARE = 0.2
MAX_COMPOUND_SYLLABLES = 3
UNDATED = "none"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


class QueryError(ValueError):
    """A request parameter that cannot be used; ``param`` names it."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


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
    proximity_weight: float = 1.5
    title_proximity_weight: float = 4.0
    rerank_depth: int = 400


DEFAULT_RANKING = Ranking()


@dataclass
class SearchRequest:
    """A validated search: query, filters, order and page."""

    q: str = ""
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
    sort: str = "relevance"
    date_from: date | None = None
    date_to: date | None = None
    year: str | None = None  # "2021" or "none" (undated)
    month: str | None = None  # "2021-04"
    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    snippets: bool = True
    facets: bool = True
    suggest: bool = True

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> "SearchRequest":
        """Build a request from query-string style parameters; raise QueryError when bad."""
        values = {key: _as_list(value) for key, value in params.items()}
        first = lambda key: (values.get(key) or [None])[0]  # noqa: E731
        request = cls(
            q=str(first("q") if first("q") is not None else ""),
            page=_int_param("page", first("page"), 1, 1, MAX_PAGE),
            size=min(_int_param("size", first("size"), DEFAULT_PAGE_SIZE, 1, None), MAX_PAGE_SIZE),
            sort=_sort_param(first("sort")),
            date_from=_date_param("from", first("from")),
            date_to=_date_param("to", first("to")),
            year=_year_param(first("year")),
            categories=tuple(str(v) for v in values.get("category", []) if v is not None),
            sources=tuple(str(v) for v in values.get("source", []) if v is not None),
        )
        request.month = _month_param(first("month"), request.year)
        return request

    def params(self, **changes) -> dict[str, object]:
        """Return the request as URL parameters (defaults left out), with changes applied."""
        request = replace(self, **changes)
        params: dict[str, object] = {
            "q": request.q,
            "sort": request.sort if request.sort != "relevance" else None,
            "from": request.date_from.isoformat() if request.date_from else None,
            "to": request.date_to.isoformat() if request.date_to else None,
            "year": request.year,
            "month": request.month,
            "category": list(request.categories) or None,
            "source": list(request.sources) or None,
            "size": request.size if request.size != DEFAULT_PAGE_SIZE else None,
            "page": request.page if request.page != 1 else None,
        }
        return {key: value for key, value in params.items() if value not in (None, "")}


def _as_list(value: object) -> list:
    """Return a parameter value as a list (query strings may repeat a key)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _int_param(name: str, value, default: int, low: int, high: int | None) -> int:
    """Parse an integer parameter within bounds."""
    if value in (None, ""):
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise QueryError(name, f"'{name}' must be a whole number, not {str(value)[:40]!r}") from None
    if number < low or (high is not None and number > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise QueryError(name, f"'{name}' must be {bounds}, not {number}")
    return number


def _sort_param(value) -> str:
    """Parse the sort order."""
    if value in (None, ""):
        return "relevance"
    if value not in SORTS:
        raise QueryError("sort", f"'sort' must be one of {', '.join(SORTS)}, not {str(value)[:40]!r}")
    return value


def _date_param(name: str, value) -> date | None:
    """Parse a YYYY-MM-DD date parameter."""
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise QueryError(name, f"'{name}' must be a date as YYYY-MM-DD, not {str(value)[:40]!r}") from None


def _year_param(value) -> str | None:
    """Parse the year filter: a four-digit year or 'none' for undated articles."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text == UNDATED or (text.isdigit() and len(text) == 4):
        return text
    raise QueryError("year", f"'year' must be a year such as 2021 (or 'none'), not {text[:40]!r}")


def _month_param(value, year: str | None) -> str | None:
    """Parse the month filter: YYYY-MM, or a month number when a year is chosen."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    match = _MONTH_RE.match(text)
    if match is None and text.isdigit() and year and year != UNDATED:
        match = _MONTH_RE.match(f"{year}-{text}")
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise QueryError("month", f"'month' must be YYYY-MM (or 1-12 with a year), not {text[:40]!r}")
    return f"{match.group(1)}-{int(match.group(2)):02d}"


# Query execution ------------------------------------------------------------------------


class _Context:
    """What one query run reads, fetched once: postings and the snapshot's statistics."""

    def __init__(self, snapshot: Snapshot, ranking: Ranking):
        self.snapshot = snapshot
        self.ranking = ranking
        self.size = snapshot.doc_count
        self._postings: dict[tuple[str, str], Postings] = {}
        self.weights = {"title": (ranking.title_weight, ranking.title_b), "body": (ranking.body_weight, ranking.body_b)}

    def postings(self, fieldname: str, term: str) -> Postings:
        """Return (and remember) a term's postings in a field."""
        key = (fieldname, term)
        if key not in self._postings:
            self._postings[key] = self.snapshot.postings(fieldname, term)
        return self._postings[key]

    def docs_with(self, term: str, fields: tuple[str, ...]) -> np.ndarray:
        """Return a mask of the documents holding term in any of fields."""
        mask = np.zeros(self.size, dtype=bool)
        for name in fields:
            mask[self.postings(name, term).ids] = True
        return mask

    def bm25f(self, term: str, fields: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, float]:
        """Return (doc ids, BM25F scores, idf) of a term over fields."""
        found = [name for name in fields if len(self.postings(name, term))]
        if not found:
            return _NO_DOCS, _NO_SCORES, 0.0
        tf = np.zeros(self.size, dtype=np.float64)
        for name in found:
            p = self.postings(name, term)
            if len(p):
                weight, b = self.weights[name]
                lengths = self.snapshot.lengths[name][p.ids]
                tf[p.ids] += weight * p.freqs / (1.0 - b + b * lengths / self.snapshot.average_length[name])
        ids = np.flatnonzero(tf)
        idf = _idf(self.size, len(ids))
        k1 = self.ranking.k1
        return ids, idf * tf[ids] * (k1 + 1.0) / (tf[ids] + k1), idf


_NO_DOCS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0, dtype=np.float64)


def _idf(total: int, df: int) -> float:
    """Return the BM25 inverse document frequency."""
    return math.log(1.0 + (total - df + 0.5) / (df + 0.5))


def _fields_of(clause: Clause) -> tuple[str, ...]:
    """Return the fields a clause searches."""
    return (clause.field,) if clause.field == "title" else TEXT_FIELDS


def _clause_mask(ctx: _Context, clause: Clause) -> np.ndarray:
    """Return the documents matching a clause: all its syllables, as a phrase if quoted."""
    fields = _fields_of(clause)
    mask = np.ones(ctx.size, dtype=bool)
    for syllable in clause.syllables:
        mask &= ctx.docs_with(syllable.folded, fields)
    if clause.phrase and mask.any():
        mask &= _phrase_docs(ctx, [s.folded for s in clause.syllables], fields, np.flatnonzero(mask))
    return mask


def _phrase_docs(ctx: _Context, terms: list[str], fields: tuple[str, ...], docs: np.ndarray) -> np.ndarray:
    """Return a mask of the given documents where terms stand in a row in one field."""
    found = np.zeros(ctx.size, dtype=bool)
    for name in fields:
        counts = _adjacent_counts(ctx, name, terms, docs)
        found[np.flatnonzero(counts)] = True
    return found


def _adjacent_counts(ctx: _Context, fieldname: str, terms: list[str], docs: np.ndarray) -> np.ndarray:
    """Return, per document, how often terms occur in a row in a field (only docs looked at)."""
    keys = None
    for offset, term in enumerate(terms):
        postings = ctx.postings(fieldname, term)
        rows = np.flatnonzero(np.isin(postings.ids, docs, assume_unique=True))
        if not len(rows):
            return np.zeros(ctx.size, dtype=np.int32)
        doc_ids, positions = postings.positions(rows)
        term_keys = (doc_ids << 32) | (positions - offset + (1 << 31))
        keys = term_keys if keys is None else np.intersect1d(keys, term_keys, assume_unique=True)
    return np.bincount((keys >> 32).astype(np.int64), minlength=ctx.size).astype(np.int32)


def _match(ctx: _Context, parsed: ParsedQuery) -> np.ndarray:
    """Return the documents matching every group of the query and no excluded clause."""
    mask = np.ones(ctx.size, dtype=bool)
    for group in parsed.groups:
        group_mask = np.zeros(ctx.size, dtype=bool)
        for clause in group:
            group_mask |= _clause_mask(ctx, clause)
        mask &= group_mask
    return mask & ~_excluded(ctx, parsed)


def _excluded(ctx: _Context, parsed: ParsedQuery) -> np.ndarray:
    """Return the documents matching any excluded clause."""
    mask = np.zeros(ctx.size, dtype=bool)
    for clause in parsed.excluded:
        mask |= _clause_mask(ctx, clause)
    return mask


def _match_any(ctx: _Context, parsed: ParsedQuery, share: float = 0.0) -> np.ndarray:
    """Return the documents holding at least share of the query's words (at least one).

    Quoted and field clauses stay required; the other words become optional.
    """
    required = [g for g in parsed.groups if any(c.phrase or c.field for c in g)]
    optional = [c for g in parsed.groups if g not in required for c in g]
    mask = _match(ctx, replace(parsed, groups=required)) if required else ~_excluded(ctx, parsed)
    words = {(s.folded, _fields_of(c)) for c in optional for s in c.syllables}
    if words:
        held = np.zeros(ctx.size, dtype=np.int32)
        for folded, fields in words:
            held += ctx.docs_with(folded, fields)
        mask &= held >= max(1, math.ceil(share * len(words)))
    return mask


def _scores(ctx: _Context, parsed: ParsedQuery, all_words: np.ndarray | None) -> tuple[np.ndarray, dict]:
    """Return base relevance scores for every document, and each syllable's idf."""
    scores = np.zeros(ctx.size, dtype=np.float64)
    idfs: dict[str, float] = {}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    weight = ctx.ranking
    for clause in parsed.clauses:
        fields = _fields_of(clause)
        for syllable in clause.syllables:
            if (syllable.exact, fields) in seen:
                continue
            seen.add((syllable.exact, fields))
            ids, values, idfs[syllable.folded] = ctx.bm25f(syllable.folded, fields)
            # A syllable typed with accents counts mostly where it stands with those accents:
            # folding merges distinct words (thuốc / thuộc), which blurs the ranking.
            scores[ids] += weight.accented_folded_weight * values if syllable.accented else values
            if syllable.accented:
                ids, values, idfs[syllable.folded] = ctx.bm25f(syllable.exact, fields)
                scores[ids] += weight.exact_weight * values
    for compound, fields in _compounds(parsed):
        ids, values, _ = ctx.bm25f(compound, fields)
        scores[ids] += weight.compound_weight * values
    if all_words is not None and all_words.any():
        # Any-word fallback: documents holding every word still come first.
        scores[all_words] += scores.max()
    return scores, idfs


def _compounds(parsed: ParsedQuery) -> list[tuple[str, tuple[str, ...]]]:
    """Return the folded compound terms (2-3 adjacent syllables) the query could hold."""
    compounds = []
    for clause in parsed.clauses:
        folded = [s.folded for s in clause.syllables]
        for size in range(2, MAX_COMPOUND_SYLLABLES + 1):
            for start in range(len(folded) - size + 1):
                compounds.append((COMPOUND_JOINER.join(folded[start : start + size]), _fields_of(clause)))
    chain = [s.folded for c in parsed.clauses if not c.field for s in c.syllables]
    for start in range(len(chain) - 1):
        compounds.append((COMPOUND_JOINER.join(chain[start : start + 2]), TEXT_FIELDS))
    return list(dict.fromkeys(compounds))


def _proximity(ctx: _Context, parsed: ParsedQuery, docs: np.ndarray, idfs: dict[str, float]) -> np.ndarray:
    """Return a bonus for docs where adjacent query words stand next to each other.

    In the title each pair found counts once (a title holding the query's words in a row is
    what known-item searches look for); in the body repeated pairs count with BM25's
    saturation.  Syllables typed with accents are paired in their exact form.
    """
    bonus = np.zeros(len(docs), dtype=np.float64)
    chain = [s for c in parsed.clauses if not c.field for s in c.syllables]
    pairs = list(dict.fromkeys(zip(chain, chain[1:])))
    if not pairs or not len(docs):
        return bonus
    ranking = ctx.ranking
    _, body_b = ctx.weights["body"]
    lengths = ctx.snapshot.lengths["body"][docs] / ctx.snapshot.average_length["body"]
    for first, second in pairs:
        terms = [s.exact if s.accented else s.folded for s in (first, second)]
        idf = (idfs.get(first.folded, 0.0) + idfs.get(second.folded, 0.0)) / 2.0
        in_title = _adjacent_counts(ctx, "title", terms, docs)[docs] > 0
        bonus += ranking.title_proximity_weight * idf * in_title
        tf = _adjacent_counts(ctx, "body", terms, docs)[docs] / (1.0 - body_b + body_b * lengths)
        bonus += ranking.proximity_weight * idf * tf * (ranking.k1 + 1.0) / (tf + ranking.k1)
    return bonus


# Filters and facets ---------------------------------------------------------------------


def _filter_masks(snapshot: Snapshot, request: SearchRequest) -> dict[str, np.ndarray]:
    """Return one mask per active filter (date range, year, month, category, source)."""
    masks = {}
    day = snapshot.day
    if request.date_from or request.date_to:
        low = _day_number(request.date_from) if request.date_from else 1
        high = _day_number(request.date_to) if request.date_to else 99991231
        masks["date"] = (day >= low) & (day <= high)
    if request.year == UNDATED:
        masks["year"] = day == 0
    elif request.year:
        masks["year"] = day // 10000 == int(request.year)
    if request.month:
        year, month = (int(part) for part in request.month.split("-"))
        masks["month"] = day // 100 == year * 100 + month
    if request.categories:
        masks["category"] = _label_mask(snapshot.category_names, snapshot.category, request.categories, exact=True)
    if request.sources:
        masks["source"] = _label_mask(snapshot.source_names, snapshot.source, request.sources, exact=True)
    return masks


def _day_number(value: date) -> int:
    """Return a date as the YYYYMMDD number the day column holds."""
    return value.year * 10000 + value.month * 100 + value.day


def _label_mask(names: list[str], codes: np.ndarray, wanted, exact: bool) -> np.ndarray:
    """Return the documents whose label is one of wanted (exactly, or loosely when typed)."""
    if exact:
        chosen = [i for i, name in enumerate(names) if name in wanted or (not name and UNDATED in wanted)]
    else:
        typed = [folded_label(w) for w in wanted]
        chosen = [i for i, name in enumerate(names) if any(_label_contains(folded_label(name), t) for t in typed)]
    return np.isin(codes, chosen)


def _label_contains(label: str, typed: str) -> bool:
    """Tell whether a folded label holds the typed words in a row."""
    return bool(typed) and f" {typed} " in f" {label} "


def _combine(masks: dict[str, np.ndarray], size: int, leave_out: tuple[str, ...] = ()) -> np.ndarray:
    """Return the AND of the filter masks, leaving some out."""
    combined = np.ones(size, dtype=bool)
    for name, mask in masks.items():
        if name not in leave_out:
            combined &= mask
    return combined


def _facets(snapshot: Snapshot, base: np.ndarray, masks: dict[str, np.ndarray], request: SearchRequest) -> dict:
    """Count year, month, category and source over the result set, each without its own filter."""
    size = snapshot.doc_count
    years = _count(snapshot.day[base & _combine(masks, size, ("year", "month"))] // 10000)
    month_base = base & _combine(masks, size, ("month",))
    months = _count(snapshot.day[month_base] // 100)
    return {
        "year": _year_items(years, request.year),
        "month": _month_items(months, request),
        "category": _label_items(
            snapshot.category_names, _count(snapshot.category[base & _combine(masks, size, ("category",))]),
            request.categories, "Chưa phân loại",
        ),
        "source": _label_items(
            snapshot.source_names, _count(snapshot.source[base & _combine(masks, size, ("source",))]),
            request.sources, "Không rõ nguồn",
        ),
    }


def _count(values: np.ndarray) -> dict[int, int]:
    """Return {value: count} of a non-negative integer array (counted without sorting)."""
    if not len(values):
        return {}
    low = int(values.min())
    counts = np.bincount(values - low)
    present = np.flatnonzero(counts)
    return dict(zip((present + low).tolist(), counts[present].tolist()))


def _item(value: str, label: str, count: int, selected: bool) -> dict:
    """Return one facet entry."""
    return {"value": value, "label": label, "count": count, "selected": selected}


def _year_items(counts: dict[int, int], selected: str | None) -> list[dict]:
    """Return year facet entries, newest first, undated last."""
    items = [_item(str(y), str(y), n, str(y) == selected) for y, n in sorted(counts.items(), reverse=True) if y]
    if counts.get(0) or selected == UNDATED:
        items.append(_item(UNDATED, "Không rõ ngày", counts.get(0, 0), selected == UNDATED))
    if selected and selected != UNDATED and not any(i["selected"] for i in items):
        items.insert(0, _item(selected, selected, 0, True))
    return items


def _month_items(counts: dict[int, int], request: SearchRequest) -> list[dict]:
    """Return month entries: of the chosen year, or the last 12 months with results."""
    months = sorted((m for m in counts if m), reverse=True)
    if request.year and request.year != UNDATED:
        months = [m for m in months if m // 100 == int(request.year)]
    else:
        months = months[:12]
    items = []
    for m in months:
        value = f"{m // 100}-{m % 100:02d}"
        items.append(_item(value, f"Tháng {m % 100}/{m // 100}", counts[m], value == request.month))
    if request.month and not any(i["selected"] for i in items):
        year, month = request.month.split("-")
        items.insert(0, _item(request.month, f"Tháng {int(month)}/{year}", 0, True))
    return items


def _label_items(names: list[str], counts: dict[int, int], selected, empty_label: str) -> list[dict]:
    """Return label facet entries (category, source), most frequent first."""
    items = [
        _item(names[code] or UNDATED, names[code] or empty_label, n, (names[code] or UNDATED) in selected)
        for code, n in counts.items()
    ]
    items.sort(key=lambda item: (-item["count"], item["label"]))
    present = {item["value"] for item in items}
    items[:0] = [_item(value, value, 0, True) for value in selected if value not in present]
    return items


# Ordering, hits and the result -----------------------------------------------------------


def _order(ctx: _Context, parsed: ParsedQuery, results: np.ndarray, scores: np.ndarray | None,
           idfs: dict[str, float], request: SearchRequest) -> tuple[np.ndarray, np.ndarray]:
    """Return (doc numbers, scores) of the requested page, in order."""
    docs = np.flatnonzero(results)
    wanted = request.page * request.size
    base = scores[docs] if scores is not None else np.zeros(len(docs))
    if request.sort != "relevance" or scores is None:
        stamps = ctx.snapshot.timestamp[docs]
        dated = stamps > 0
        order_key = np.where(dated, -stamps if request.sort != "oldest" else stamps, np.iinfo(np.int64).max)
        order = np.lexsort((-base, order_key))[:wanted]
        return docs[order][wanted - request.size :], base[order][wanted - request.size :]
    depth = min(len(docs), max(ctx.ranking.rerank_depth, wanted))
    top = np.argpartition(-base, depth - 1)[:depth] if depth < len(docs) else np.arange(len(docs))
    final = base[top] + _proximity(ctx, parsed, docs[top], idfs)
    order = np.lexsort((docs[top], -final))[:wanted][wanted - request.size :]
    return docs[top][order], final[order]


def _highlight_spec(parsed: ParsedQuery) -> highlight.HighlightSpec:
    """Return what snippets should mark for a query."""
    words = tuple(s.folded for c in parsed.clauses if not c.phrase for s in c.syllables)
    phrases = tuple(tuple(s.folded for s in c.syllables) for c in parsed.clauses if c.phrase)
    return highlight.HighlightSpec(words, phrases)


def _hit(stored: dict, score: float, spec: highlight.HighlightSpec, snippets: bool) -> dict:
    """Return one result entry from a document's stored fields."""
    title = stored.get("title") or ""
    body = stored.get("body") or ""
    return {
        "id": stored.get("id"),
        "title": title,
        "title_html": highlight.highlight_all(title, spec) if snippets else highlight.mark(title, []),
        "title_derived": bool(stored.get("title_derived")),
        "url": stored.get("url"),
        "published": stored.get("published"),
        "category": stored.get("category"),
        "source": stored.get("source"),
        "portal": stored.get("portal"),
        "snippet": highlight.snippet(body, spec) if snippets else "",
        "score": round(float(score), 4),
    }


def search(snapshot: Snapshot, request: SearchRequest, ranking: Ranking = DEFAULT_RANKING) -> dict:
    """Run a search and return the result as a plain dict (the JSON API's body)."""
    started = time.perf_counter()
    parsed = parse_query(request.q)
    ctx = _Context(snapshot, ranking)
    masks = _filter_masks(snapshot, request)
    if parsed.categories:
        masks["query_category"] = _label_mask(snapshot.category_names, snapshot.category, parsed.categories, False)
    if parsed.sources:
        masks["query_source"] = _label_mask(snapshot.source_names, snapshot.source, parsed.sources, False)
    filters = _combine(masks, ctx.size)
    matching, matched, scores, idfs = _run_match(ctx, parsed)
    base = matched & snapshot.live
    results = base & filters
    docs, doc_scores = _order(ctx, parsed, results, scores, idfs, request)
    spec = _highlight_spec(parsed)
    stored = [snapshot.stored(d) for d in docs]
    hits = [_hit(s, score, spec, request.snippets) for s, score in zip(stored, doc_scores)]
    total = int(results.sum())
    result = {
        "query": parsed.text,
        "total": total,
        "page": request.page,
        "size": request.size,
        "pages": max(1, math.ceil(total / request.size)),
        "sort": request.sort,
        "matching": matching,
        "took_ms": 0.0,
        "suggestion": _suggestion(ctx, parsed, stored, total, request),
        "notices": _notices(parsed, matching),
        "hits": hits,
        "facets": _facets(snapshot, base, masks, request) if request.facets else {},
        "filters": _active_filters(request),
    }
    result["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def _suggestion(ctx: _Context, parsed: ParsedQuery, stored: list[dict], total: int, request: SearchRequest):
    """Return a "did you mean" query, or None."""
    if not request.suggest:
        return None

    def top_documents(query: str) -> list[dict]:
        other = parse_query(query)
        _, matched, scores, idfs = _run_match(ctx, other)
        docs, _ = _order(ctx, other, matched & ctx.snapshot.live, scores, idfs, SearchRequest(q=query))
        return [ctx.snapshot.stored(d) for d in docs]

    return suggest.did_you_mean(ctx, parsed, stored, total, top_documents)


def _run_match(ctx: _Context, parsed: ParsedQuery):
    """Return (matching mode, matched mask, scores, idfs).

    Modes: "all" words; "most" for questions (LONG_QUERY_WORDS words or more, which their
    answers rarely repeat all of: a LONG_QUERY_SHARE of the words must match, ranked by score
    alone; on train, shares of 0.1-0.3 scored alike, 0.5 lost 0.03 MRR@10); "any"
    word when those find too little, documents holding every word first.  The choice depends
    on the query alone, not on the filters, so selecting a facet never changes other facets.
    """
    if parsed.is_empty:
        return "all", ~_excluded(ctx, parsed), None, {}
    live = ctx.snapshot.live
    if len({s.folded for s in parsed.syllables}) >= LONG_QUERY_WORDS:
        matched = _match_any(ctx, parsed, LONG_QUERY_SHARE)
        mode = "most"
        if int((matched & live).sum()) < FALLBACK_BELOW:
            matched, mode = _match_any(ctx, parsed), "any"
        scores, idfs = _scores(ctx, parsed, None)
        return mode, matched, scores, idfs
    matched = _match(ctx, parsed)
    if int((matched & live).sum()) < FALLBACK_BELOW and len(parsed.syllables) > 1:
        relaxed = _match_any(ctx, parsed) | matched
        if (relaxed & live & ~matched).any():
            scores, idfs = _scores(ctx, parsed, matched)
            return "any", relaxed, scores, idfs
    scores, idfs = _scores(ctx, parsed, None)
    return "all", matched, scores, idfs


def _notices(parsed: ParsedQuery, matching: str) -> list[str]:
    """Return what the reader should know about how the query was taken."""
    notices = []
    if parsed.truncated:
        notices.append(f"Truy vấn quá dài: chỉ dùng {len(parsed.text)} ký tự đầu.")
    if matching == "any":
        notices.append("Không đủ kết quả chứa tất cả các từ: hiển thị cả kết quả chứa một phần các từ.")
    return notices


def _active_filters(request: SearchRequest) -> dict:
    """Return the active filters as plain values."""
    return {
        "from": request.date_from.isoformat() if request.date_from else None,
        "to": request.date_to.isoformat() if request.date_to else None,
        "year": request.year,
        "month": request.month,
        "category": list(request.categories),
        "source": list(request.sources),
    }
