"""Links of the search page, built from the request so that every state lives in the URL.

Each helper returns the URL of the same search with one change (a facet added or removed,
another page, another order); ``SearchRequest.params`` drops defaults so URLs stay short.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from werkzeug.routing import PathConverter

from search.request import MAX_PAGE, UNDATED, SearchRequest

SORT_LABELS = (("relevance", "Liên quan"), ("newest", "Mới nhất"), ("oldest", "Cũ nhất"))
# The link to a wider tier, by tier ({count}: the articles it adds).
WIDER_LABELS = {
    "all": "Xem thêm {count} bài chứa các từ ở xa nhau",
    "most": "Xem thêm {count} bài chứa một phần các từ",
}
TIGHTEST_LABEL = "Chỉ xem các bài có các từ đứng gần nhau"
# Page numbers shown on each side of the current page.
PAGE_WINDOW = 2


class ArticleIdConverter(PathConverter):
    """An article id in a URL path: any text, slashes included, that a browser sends back intact."""

    # Ids are whatever a crawler wrote, so they may also start with "/" or contain "//".
    regex = ".+"
    part_isolating = False

    def to_url(self, value) -> str:
        """Return the id quoted for a URL path, its slashes escaped where browsers would act on them."""
        url = super().to_url(value)
        # A browser resolves "." and ".." segments before sending ("x/../y" asks for "y") and a
        # proxy may merge "//": then send every slash as %2F, which the server decodes back.
        if any(segment in ("", ".", "..") for segment in str(value).split("/")):
            url = url.replace("/", "%2F")
        return url


def search_url(request: SearchRequest, **changes) -> str:
    """Return the URL of the search page for request with changes applied."""
    return url_for("web.index", **request.params(**changes))


def article_url(request: SearchRequest, doc_id: str) -> str:
    """Return the URL of an article page that remembers the search it was reached from."""
    return url_for("web.article_page", doc_id=doc_id, **request.params())


def facet_url(request: SearchRequest, facet: str, item: dict) -> str:
    """Return the URL that selects a facet value, or removes it when it is selected."""
    value, selected = item["value"], item["selected"]
    if facet == "year":
        return search_url(request, year=None if selected else value, month=None, page=None)
    if facet == "month":
        if selected:
            return search_url(request, month=None, page=None)
        # A month implies its year, so the year facet stays consistent with it.
        year = value.split("-")[0] if value != UNDATED else request.year
        return search_url(request, year=year, month=value, page=None)
    field = {"category": "categories", "source": "sources"}[facet]
    chosen = getattr(request, field)
    values = tuple(v for v in chosen if v != value) if selected else (*chosen, value)
    return search_url(request, page=None, **{field: values})


def sort_links(request: SearchRequest, has_query: bool) -> list[dict]:
    """Return the sort options with their URLs, the current one marked.

    Without a query there is no relevance: articles come newest first, so that option shows.
    """
    current = request.sort if has_query or request.sort != "relevance" else "newest"
    return [
        {"value": value, "label": label, "url": search_url(request, sort=value, page=None), "current": current == value}
        for value, label in SORT_LABELS
        if has_query or value != "relevance"
    ]


def tier_links(request: SearchRequest, result: dict) -> list[dict]:
    """Return the links to the wider tiers that add articles, and back to the default when widened."""
    links = [
        {"tier": tier, "label": WIDER_LABELS[tier].format(count=f"{count:,}".replace(",", ".")),
         "url": search_url(request, match=tier, page=None)}
        for tier, count in result.get("wider", {}).items() if count > 0
    ]
    if request.match != "auto" and result.get("tier") != "together":
        links.append({"tier": "auto", "label": TIGHTEST_LABEL, "url": search_url(request, match="auto", page=None)})
    return links


@dataclass
class PageLink:
    """One entry of the pagination: a page number (with URL) or a gap."""

    number: int | None
    url: str | None
    current: bool = False


def pagination(request: SearchRequest, pages: int) -> dict:
    """Return previous/next URLs and the page numbers to show around the current page."""
    last = min(pages, MAX_PAGE)
    current = request.page
    numbers = sorted({1, last, *range(max(1, current - PAGE_WINDOW), min(last, current + PAGE_WINDOW) + 1)})
    entries: list[PageLink] = []
    for number in numbers:
        if entries and entries[-1].number is not None and number - entries[-1].number > 1:
            entries.append(PageLink(None, None))
        entries.append(PageLink(number, search_url(request, page=number), number == current))
    return {
        "previous": search_url(request, page=current - 1) if current > 1 else None,
        "next": search_url(request, page=current + 1) if current < last else None,
        "pages": entries if last > 1 else [],
    }


def hidden_fields(request: SearchRequest, *leave_out: str) -> list[tuple[str, str]]:
    """Return (name, value) pairs of the request's parameters for a form's hidden inputs."""
    fields = []
    for name, value in request.params(page=None).items():
        if name in leave_out:
            continue
        for item in value if isinstance(value, list) else [value]:
            fields.append((name, str(item)))
    return fields


def active_filters(request: SearchRequest, facets: dict) -> list[dict]:
    """Return the active filters as labelled chips, each with the URL that removes it."""
    labels = {(name, item["value"]): item["label"] for name, items in facets.items() for item in items}
    chips = []
    if request.date_from:
        chips.append(("Từ ngày", request.date_from.strftime("%d/%m/%Y"), {"date_from": None}))
    if request.date_to:
        chips.append(("Đến ngày", request.date_to.strftime("%d/%m/%Y"), {"date_to": None}))
    if request.year:
        chips.append(("Năm", labels.get(("year", request.year), request.year), {"year": None, "month": None}))
    if request.month:
        # The chip's name already says "Tháng": show "12/2020", not "Tháng 12/2020".
        year, month = request.month.split("-")
        chips.append(("Tháng", f"{month}/{year}", {"month": None}))
    for value in request.categories:
        rest = tuple(v for v in request.categories if v != value)
        chips.append(("Chuyên mục", labels.get(("category", value), value), {"categories": rest}))
    for value in request.sources:
        rest = tuple(v for v in request.sources if v != value)
        chips.append(("Nguồn", labels.get(("source", value), value), {"sources": rest}))
    return [
        {"name": name, "label": label, "url": search_url(request, page=None, **changes)}
        for name, label, changes in chips
    ]


def clear_filters_url(request: SearchRequest) -> str:
    """Return the URL of the same query without any filter."""
    return search_url(request, date_from=None, date_to=None, year=None, month=None, categories=(), sources=(),
                      page=None)
