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
# The most year bars whose four digits fit under them in the sidebar; more are labelled by their
# last two digits ('18 ... '26), the full year staying in each bar's text.
MAX_FULL_YEARS = 6


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
    shorten = unit == "year" and len(items) > MAX_FULL_YEARS
    return {"title": title, "unit": unit, "bars": [_bar(request, unit, item, highest, shorten) for item in items]}


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


def _bar(request: SearchRequest, unit: str, item: dict, highest: int, shorten: bool) -> dict:
    """Return one bar: its short label (a year's last two digits when shorten), text alternative,
    height step and link."""
    count = item["count"]
    # A bar with results is never drawn flat.
    step = max(1, round(HEIGHT_STEPS * count / highest)) if count else 0
    short = item["value"] if unit == "year" else str(int(item["value"][5:]))
    short = f"'{short[2:]}" if shorten else short
    spoken = f"Năm {item['value']}" if unit == "year" else item["label"]
    return {
        "short": short,
        "text": f"{spoken}: {count:,} kết quả".replace(",", "."),
        "count": count,
        "step": step,
        "selected": item["selected"],
        "url": links.facet_url(request, unit, item) if count else None,
    }
