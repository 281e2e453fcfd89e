"""Facet entries and their Vietnamese labels, built from a backend's counts (shared by all).

A backend counts year, month, category and source over the matched articles, each facet
without its own filter (``search.backend.FacetCounts``); this module turns the counts into
the entries the API returns and the page shows: ``value, label, count, selected``, in the
order a reader expects (newest years first, labels most frequent first, a selected value
always present, even with no result).
"""

from __future__ import annotations

from search.backend import FacetCounts
from search.request import UNDATED, SearchRequest
from search.result_types import FacetItem, Facets

UNDATED_LABEL = "Không rõ ngày"
UNCATEGORISED_LABEL = "Chưa phân loại"
UNKNOWN_SOURCE_LABEL = "Không rõ nguồn"


def facet_items(counts: FacetCounts, request: SearchRequest) -> Facets:
    """Return the facet entries of a result, the request's selections marked."""
    return {
        "year": _year_items(counts.year, request.year),
        "month": _month_items(counts.month, request),
        "category": _label_items(counts.category, request.categories, UNCATEGORISED_LABEL),
        "source": _label_items(counts.source, request.sources, UNKNOWN_SOURCE_LABEL),
    }


def _item(value: str, label: str, count: int, selected: bool) -> FacetItem:
    """Return one facet entry."""
    return {"value": value, "label": label, "count": count, "selected": selected}


def _year_items(counts: dict[int, int], selected: str | None) -> list[FacetItem]:
    """Return year facet entries, newest first, undated last."""
    items = [_item(str(y), str(y), n, str(y) == selected) for y, n in sorted(counts.items(), reverse=True) if y]
    if counts.get(0) or selected == UNDATED:
        items.append(_item(UNDATED, UNDATED_LABEL, counts.get(0, 0), selected == UNDATED))
    if selected and selected != UNDATED and not any(i["selected"] for i in items):
        items.insert(0, _item(selected, selected, 0, True))
    return items


def _month_items(counts: dict[int, int], request: SearchRequest) -> list[FacetItem]:
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


def _label_items(counts: dict[str, int], selected, empty_label: str) -> list[FacetItem]:
    """Return label facet entries (category, source), most frequent first."""
    items = [_item(name or UNDATED, name or empty_label, n, (name or UNDATED) in selected)
             for name, n in counts.items()]
    items.sort(key=lambda item: (-item["count"], item["label"]))
    present = {item["value"] for item in items}
    items[:0] = [_item(value, empty_label if value == UNDATED else value, 0, True)
                 for value in selected if value not in present]
    return items
