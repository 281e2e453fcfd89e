"""Result building, shared by every backend: hits, snippets, notices, the result dict.

``search`` is the one function that turns a request into the plain result dict: it parses
the query, asks the backend for the matches, then marks titles and snippets in the stored
text (``search.highlight``), builds the facet entries (``search.facets``), the notices and
the "did you mean" suggestion (``search.suggest``).  The JSON endpoint returns that dict; the
HTML template renders it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace

from search import abbreviations as abbreviation_dictionary
from search import highlight, suggest
from search.abbreviations import Abbreviations
from search.backend import Backend, Matches, StoredArticle
from search.facets import facet_items
from search.matching import LONG_QUERY_WORDS, plain_syllables, readings_cut, term, window
from search.parse import ParsedQuery, keep_rarest, parse_query, unquoted_text
from search.ranking import DEFAULT_RANKING, Ranking
from search.recency import recency_word
from search.request import SearchRequest
from search.result_types import Article, Filters, Health, Hit, SearchResult, ShownFields
from search.understand import Understood, Vocabulary, understand

# The longest query (distinct words) whose "did you mean" query is searched in its place.
MAX_CORRECTED_WORDS = 8


def search(backend: Backend, request: SearchRequest, ranking: Ranking = DEFAULT_RANKING,
           abbreviations: Abbreviations | None = None) -> SearchResult:
    """Run a search on a backend and return the result as a plain dict (the JSON API's body).

    The query is understood (``search.understand``: Telex/VNI, numbers, run-together words,
    abbreviations) before the backend matches it.
    """
    started = time.perf_counter()
    backend = request_view(backend)
    dictionary = abbreviations if abbreviations is not None else abbreviation_dictionary.load()
    vocabulary = Vocabulary(backend.statistics())
    typed = parse_query(request.q, max_terms=ranking.max_query_terms)
    understood = understand(typed, vocabulary, dictionary)
    # Cut once understood: a Telex word is known by its decoding, an abbreviation with its forms.
    postings = postings_bound(ranking, vocabulary.statistics)
    bounded = lambda parsed: keep_rarest(parsed, ranking.max_searched_terms, vocabulary.frequency,  # noqa: E731
                                         postings, LONG_QUERY_WORDS)
    understood.parsed = bounded(understood.parsed)
    matches = backend.search(request, understood.parsed)
    read = lambda text: understand(parse_query(text), vocabulary, dictionary)  # noqa: E731
    # "Did you mean" searches its query within the same bounds as the page's.
    suggestion, typo_cut, unsearched = _suggestion(matches, understood, request, ranking,
                                                   lambda text: bounded(read(text).parsed))
    # A quoted word no article holds: the query without its quotes, shown when it finds the words.
    unquoted = unquoted_text(typed.text) if suggestion is None and not matches.total else None
    replacement = unquoted or suggestion
    corrected = _corrected(backend, request, understood, matches, replacement, read)
    shown, searched = understood, None
    if corrected is not None:
        (shown, matches), searched, suggestion = corrected, replacement, None
    parsed = shown.parsed
    spec = highlight_spec(parsed, matches.tier, matches.accents, vocabulary.frequency)
    common = understood.parsed.common_cut
    limited = limits_reached(typed, typo_cut, readings_cut(parsed, ranking), unsearched and suggestion is not None,
                             bool(common), matches.ranked_cut)
    result: SearchResult = {
        "query": understood.parsed.text,
        "total": matches.total,
        "page": request.page,
        "size": request.size,
        "pages": max(1, math.ceil(matches.total / request.size)),
        "sort": request.sort,
        "matching": matches.matching,
        "match": request.match,
        "tier": matches.tier,
        "accents": matches.accents,
        "wider": matches.wider,
        "took_ms": 0.0,
        "suggestion": suggestion,
        "notices": correction_notices(understood, searched) + shown.notices
        + notices(parsed, matches.matching, limited, matches.accents, asked=request.match != "auto",
                  partial=matches.partial, common=common, found=matches.total > 0,
                  recent=recency_word(parsed, ranking) if request.sort == "relevance" else None, tier=matches.tier)
        + absence_notices(vocabulary, parsed),
        "hits": [hit(s, score, spec, request.snippets) for s, score in zip(matches.documents, matches.scores)],
        "facets": facet_items(matches.facets, request) if matches.facets is not None else {},
        "filters": active_filters(request),
        "limited": limited,
        "partial": matches.partial,
        "corrected": {"typed": understood.parsed.text, "searched": searched} if searched is not None else None,
    }
    result["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def postings_bound(ranking: Ranking, statistics) -> int:
    """Return the postings a long query may read on an index (``Ranking.max_searched_postings``):
    in proportion to its articles when the statistics tell how many (``document_count()``, the
    embedded index), between ``min_searched_postings`` and ``max_searched_postings``."""
    count = getattr(statistics, "document_count", None)
    if count is None or not ranking.searched_postings_per_article:
        return ranking.max_searched_postings
    share = round(ranking.searched_postings_per_article * count())
    return min(ranking.max_searched_postings, max(ranking.min_searched_postings, share))


def request_view(backend: Backend) -> Backend:
    """Return the backend's view of the index for one request (``Backend`` ``view()``), or the
    backend itself when it has none."""
    view = getattr(backend, "view", None)
    return view() if view is not None else backend


def _suggestion(matches: Matches, understood: Understood, request: SearchRequest, ranking: Ranking,
                read: Callable[[str], ParsedQuery]) -> tuple[str | None, bool, bool]:
    """Return a "did you mean" query (or None), whether typo correction reached its bounds, and
    whether the suggestion was offered without searching it (a long query)."""
    if not request.suggest:
        return None, False, False
    # The first page's articles serve when they are the query's own top 10 (no filter, any size
    # from 10 up); otherwise suggest searches them, so the page never changes the suggestion.
    unfiltered = not any(active_filters(request).values())
    first_page = request.page == 1 and request.size >= suggest.FIRST_PAGE and request.sort == "relevance"
    documents = matches.documents if unfiltered and first_page else None
    return suggest.correct_query(matches.statistics, understood, documents, matches.total, read, ranking,
                                 matches.accents)


def _corrected(backend: Backend, request: SearchRequest, understood: Understood, matches: Matches,
               suggestion: str | None, read: Callable[[str], Understood]) -> tuple[Understood, Matches] | None:
    """Return the "did you mean" query and its matches when they should be shown instead, or None.

    They are when the query as typed found nothing, or only articles holding some of its
    words, and the suggestion finds articles holding every word (``xuohg`` -> ``xuống``).
    """
    if not (suggestion and request.correct and request.match == "auto"):
        return None
    if matches.total and matches.matching != "any":
        return None
    # A long run of unknown words is garbage more often than typos: never search it twice.
    if len({s.folded for s in understood.parsed.syllables}) > MAX_CORRECTED_WORDS:
        return None
    better = read(suggestion)
    found = backend.search(request, better.parsed)
    if not found.total or found.matching == "any":
        return None
    return better, found


def limits_reached(parsed: ParsedQuery, typo_cut: bool, readings: bool = False, suggestion: bool = False,
                   common: bool = False, ranked: bool = False) -> list[str]:
    """Return the names of the per-query work bounds the query reached (``Ranking.max_query_terms`` ...)."""
    reached = (("terms", parsed.terms_cut), ("common_words", common),
               ("typo_correction", typo_cut), ("readings", readings), ("suggestion", suggestion),
               ("ranked_articles", ranked))
    return [name for name, cut in reached if cut]


# A spec of more distinct words and phrases than this (a pasted paragraph: 35-60; the covid questions
# of the latency mix at most 32) chooses its snippets' fragments by its ANCHOR_WORDS rarest words.
ANCHORED_TERMS = 32
ANCHOR_WORDS = 12


def highlight_spec(parsed: ParsedQuery, tier: str = "all", accents: str = "exact",
                   frequency: Callable[[str], int] | None = None) -> highlight.HighlightSpec:
    """Return what snippets should mark: the terms as matched, together where the tier asked it
    (frequency: how many articles hold a folded word, to anchor a long query's snippets by its rarest)."""
    exact = accents == "exact"
    # The together and all tiers found the compound words in a row: they are marked so, not their syllables.
    compounds = parsed.compounds if tier in ("together", "all") else []
    whole = {id(s) for compound in compounds for s in compound}
    words = tuple(term(s, exact) for c in parsed.clauses if not c.phrase for s in c.syllables if id(s) not in whole)
    phrases = tuple(tuple(term(s, exact) for s in syllables)
                    for syllables in [*(c.syllables for c in parsed.clauses if c.phrase), *compounds])
    plain = len(plain_syllables(parsed)) == len(parsed.syllables)
    spec = highlight.HighlightSpec(words, phrases, window(parsed) if tier == "together" and plain else 0)
    if frequency is None or spec.window or len(set(words)) + len(set(phrases)) <= ANCHORED_TERMS:
        return spec
    return replace(spec, anchors=highlight.anchored_words(words, frequency, ANCHOR_WORDS))


def hit(stored: StoredArticle, score: float, spec: highlight.HighlightSpec, snippets: bool) -> Hit:
    """Return one result entry from a document's stored fields."""
    title_html = highlight.highlight_all(title_of(stored), spec) if snippets else highlight.mark(title_of(stored), [])
    return {
        **_shown_fields(stored, title_html),
        "snippet": highlight.snippet(stored.get("body") or "", spec) if snippets else "",
        "score": round(float(score), 4),
    }


def title_of(stored: StoredArticle) -> str:
    """Return an article's title ('' when it has none)."""
    return stored.get("title") or ""


def _shown_fields(stored: StoredArticle, title_html: str) -> ShownFields:
    """Return the fields a hit and an article page share, in the API's order."""
    return {
        "id": stored.get("id"),
        "title": title_of(stored),
        "title_html": title_html,
        "title_derived": bool(stored.get("title_derived")),
        "url": stored.get("url"),
        "published": stored.get("published"),
        "category": stored.get("category"),
        "source": stored.get("source"),
        "portal": stored.get("portal"),
    }


def article(backend: Backend, doc_id: str, q: str = "", match: str = "auto") -> Article | None:
    """Return a whole article by id (the words of q marked as the match tier found them), or None."""
    stored = backend.document(doc_id)
    if stored is None:
        return None
    title, body = title_of(stored), stored.get("body") or ""
    spec = _article_spec(parse_query(q), match, title + "\n" + body)
    return {
        **_shown_fields(stored, highlight.highlight_all(title, spec)),
        "body": body,
        "body_html": highlight.highlight_all(body, spec),
    }


def _article_spec(parsed: ParsedQuery, match: str, text: str) -> highlight.HighlightSpec:
    """Return the spec of the tightest way the article matched: together, then anywhere; exact, then folded."""
    tiers = ("together", "all") if match in ("auto", "together") else (match,)
    for tier in tiers:
        for accents in ("exact", "folded"):
            spec = highlight_spec(parsed, tier, accents)
            if highlight.find_matches(text, spec):
                return spec
    return highlight_spec(parsed, tiers[-1])


def health(backend: Backend) -> Health:
    """Return the live article count and when the index was last reindexed."""
    state = backend.health()
    health: Health = {
        "status": state.get("status", "ok"),
        "documents": state["documents"],
        "last_reindex": state["last_reindex"],
        "generation": state["generation"],
    }
    if "nodes" in state:
        health["nodes"] = state["nodes"]
    return health


def absence_notices(vocabulary: Vocabulary, parsed: ParsedQuery) -> list[str]:
    """Return a notice for each document's number typed in a query that no article mentions: the
    ``most`` tier keeps it required, so a short query citing it finds nothing, and a question's
    pages are answers that do not cite it."""
    return [f"Không có bài nào nhắc đến “{number}”." for number in absent_references(vocabulary, parsed)]


def absent_references(vocabulary: Vocabulary, parsed: ParsedQuery) -> list[str]:
    """Return the documents' numbers typed in a query ("15/2021/QĐ-TTg") that no article holds in
    any of the writings searched (``05-CT/TW`` or ``5-CT/TW``)."""
    absent = []
    for group in parsed.groups:
        typed = [clause for clause in group if clause.reference and not clause.alternative]
        if typed and not any(vocabulary.phrase_frequency([s.folded for s in c.syllables]) for c in group):
            absent.append(parsed.text[typed[0].syllables[0].start : typed[0].syllables[-1].end])
    return absent


def correction_notices(understood: Understood, searched: str | None) -> list[str]:
    """Return the notice that the results shown are those of another query, if they are."""
    if searched is None:
        return []
    return [f"Không có bài nào chứa đủ các từ “{understood.parsed.text}”: hiển thị kết quả cho “{searched}”."]


def notices(parsed: ParsedQuery, matching: str, limited: list[str] = (), accents: str = "exact",
            asked: bool = False, partial: bool = False, common: list[str] = (), found: bool = True,
            recent: str | None = None, tier: str = "all") -> list[str]:
    """Return what the reader should know about how the query was taken (asked: the tier was chosen;
    partial: part of the index did not answer; common: the common words left out of a long query;
    found: the query found something, so a wider tier's articles are shown; recent: the word of
    time that ranks newer articles first; tier: the tier answered from)."""
    messages = []
    if partial:
        messages.append("Một phần chỉ mục tạm thời không phản hồi: kết quả và số lượng có thể chưa đầy đủ.")
    if parsed.truncated:
        messages.append(f"Truy vấn quá dài: chỉ dùng {len(parsed.text)} ký tự đầu.")
    if "terms" in limited:
        messages.append(f"Truy vấn có quá nhiều từ: chỉ tìm {len({s.folded for s in parsed.syllables})} từ đầu tiên.")
    if "common_words" in limited:
        shown = ", ".join(f"“{word}”" for word in common[:5]) + (", …" if len(common) > 5 else "")
        messages.append(f"Truy vấn dài: bỏ qua {len(common)} từ thông dụng nhất ({shown}).")
    if "typo_correction" in limited:
        messages.append("Truy vấn có quá nhiều từ lạ: chỉ kiểm tra chính tả vài từ đầu tiên.")
    if "readings" in limited:
        messages.append("Truy vấn có nhiều cách hiểu: chỉ xét vài cách hiểu đầu tiên.")
    if "suggestion" in limited:
        messages.append("Truy vấn dài: gợi ý “Có phải bạn muốn tìm” chưa được tìm thử.")
    if "ranked_articles" in limited:
        messages.append("Truy vấn dài khớp với phần lớn các bài: "
                        "chỉ xếp hạng những bài chứa nhiều từ của truy vấn nhất.")
    if accents == "folded" and tier == "together":
        # Some articles may hold the words as typed apart: it is their standing together that none holds.
        messages.append("Không có bài nào chứa các từ đứng gần nhau với đúng dấu đã gõ: "
                        "hiển thị kết quả không phân biệt dấu.")
    elif accents == "folded":
        messages.append("Không có bài nào chứa các từ với đúng dấu đã gõ: hiển thị kết quả không phân biệt dấu.")
    if matching == "any" and not asked and found:
        messages.append("Không đủ kết quả chứa tất cả các từ: hiển thị cả kết quả chứa một phần các từ.")
    if recent is not None and found:
        messages.append(f"Truy vấn có “{recent}”: bài mới hơn được xếp trước.")
    return messages


def active_filters(request: SearchRequest) -> Filters:
    """Return the active filters as plain values."""
    return {
        "from": request.date_from.isoformat() if request.date_from else None,
        "to": request.date_to.isoformat() if request.date_to else None,
        "year": request.year,
        "month": request.month,
        "category": list(request.categories),
        "source": list(request.sources),
    }
