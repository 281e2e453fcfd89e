"""The timeline of a result set: one bar a year (a month once a year is chosen).

Drawn from the date facets the search already returned (the same counts, no second query),
as plain HTML links: each bar applies its year or month filter, and its text says what it
stands for, so the picture has its own text alternative and works without JavaScript.
Heights are CSS classes in steps of 5% (the Content-Security-Policy forbids inline styles).
"""

from __future__ import annotations

from search.request import UNDATED, SearchRequest
from web import links

HEIGHT_STEPS = 20
# The labels under the bars: a year's four digits while six fit in the sidebar, its last two ('18) while
# twelve do; beyond, only the years inside the timeline that are multiples of the first of LABEL_STEPS
# giving at most twelve labels (each spills over its unlabelled neighbours).  Each bar's text still names
# its whole year.
MAX_FULL_YEARS = 6
MAX_LABELS = 12
LABEL_STEPS = (5, 10, 25, 50, 100)


def bars(request: SearchRequest, facets: dict) -> dict | None:
    """Return the timeline to draw ({"title", "unit", "bars"}), or None when there is nothing to draw."""
    if request.year and request.year != UNDATED:
        items = _months_of(request.year, facets.get("month", []))
        title, unit = f"Số kết quả theo tháng năm {request.year}", "month"
    else:
        items = _years(facets.get("year", []))
        title, unit = "Số kết quả theo năm", "year"
    if not any(item["count"] for item in items):
        return None
    highest = max(item["count"] for item in items)
    return {"title": title, "unit": unit, "bars": [_bar(request, unit, item, highest, short)
                                                   for item, short in zip(items, _labels(unit, items))]}


def _labels(unit: str, items: list[dict]) -> list[str]:
    """Return the label under each bar: a month's number, a year's digits ("" for a year left unlabelled)."""
    if unit == "month":
        return [str(int(item["value"][5:])) for item in items]
    years = [int(item["value"]) for item in items]
    if len(years) <= MAX_FULL_YEARS:
        return [str(year) for year in years]
    if len(years) <= MAX_LABELS:
        return [f"'{year % 100:02d}" for year in years]
    step = next((step for step in LABEL_STEPS if len(years) / step <= MAX_LABELS), LABEL_STEPS[-1])
    inside = set(years[1:-1])  # a label at either end would spill out of the timeline
    return [f"'{year % 100:02d}" if year % step == 0 and year in inside else "" for year in years]


def _years(items: list[dict]) -> list[dict]:
    """Return the dated years oldest first, years without results in between included."""
    counted = {int(item["value"]): item for item in items if item["value"] != UNDATED}
    if not counted:
        return []
    return [counted.get(year) or _empty(str(year), str(year)) for year in range(min(counted), max(counted) + 1)]


def _months_of(year: str, items: list[dict]) -> list[dict]:
    """Return the twelve months of year, months without results included."""
    counted = {item["value"]: item for item in items}
    months = [f"{year}-{month:02d}" for month in range(1, 13)]
    return [counted.get(value) or _empty(value, f"Tháng {int(value[5:])}/{year}") for value in months]


def _empty(value: str, label: str) -> dict:
    """Return a facet-shaped item that no article falls in."""
    return {"value": value, "label": label, "count": 0, "selected": False}


def _bar(request: SearchRequest, unit: str, item: dict, highest: int, short: str) -> dict:
    """Return one bar: its short label, text alternative, height step and link."""
    count = item["count"]
    # A bar with results is never drawn flat.
    step = max(1, round(HEIGHT_STEPS * count / highest)) if count else 0
    spoken = f"Năm {item['value']}" if unit == "year" else item["label"]
    return {
        "short": short,
        "text": f"{spoken}: {count:,} kết quả".replace(",", "."),
        "count": count,
        "step": step,
        "selected": item["selected"],
        "url": links.facet_url(request, unit, item) if count else None,
    }
