"""Filters and facet counts of the embedded Whoosh backend, over the snapshot's numpy columns.

Each active filter is a boolean mask over the snapshot's documents; facets are counted over
the matched documents with every filter but their own, so a selected year still shows the
other years.  The counts go up through the backend seam as ``FacetCounts``; their entries
and Vietnamese labels are built above it (``search.facets``).
"""

from __future__ import annotations

import numpy as np

from search.backend import FacetCounts
from search.dates import day_number
from search.parse import folded_label
from search.reader import Snapshot
from search.request import UNDATED, SearchRequest


def filter_masks(snapshot: Snapshot, request: SearchRequest) -> dict[str, np.ndarray]:
    """Return one mask per active filter (date range, year, month, category, source)."""
    masks = {}
    day = snapshot.day
    if request.date_from or request.date_to:
        low = day_number(request.date_from) if request.date_from else 1
        high = day_number(request.date_to) if request.date_to else 99991231
        masks["date"] = (day >= low) & (day <= high)
    if request.year == UNDATED:
        masks["year"] = day == 0
    elif request.year:
        masks["year"] = day // 10000 == int(request.year)
    if request.month:
        year, month = (int(part) for part in request.month.split("-"))
        masks["month"] = day // 100 == year * 100 + month
    if request.categories:
        masks["category"] = label_mask(snapshot.category_names, snapshot.category, request.categories, exact=True)
    if request.sources:
        masks["source"] = label_mask(snapshot.source_names, snapshot.source, request.sources, exact=True)
    return masks


# The filters a facet is counted without (``facet_counts``); every count applies the others.
FACETED = ("year", "month", "category", "source")


def read_scope(masks: dict[str, np.ndarray], size: int, facets: bool) -> np.ndarray | None:
    """Return the documents a request's total, facets and page read of its result set: those passing
    the filters no facet is counted without (every filter when no facet is counted); None for all."""
    kept = {name: mask for name, mask in masks.items() if not facets or name not in FACETED}
    return combine(kept, size) if kept else None


def label_mask(names: list[str], codes: np.ndarray, wanted, exact: bool) -> np.ndarray:
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


def combine(masks: dict[str, np.ndarray], size: int, leave_out: tuple[str, ...] = ()) -> np.ndarray:
    """Return the AND of the filter masks, leaving some out."""
    combined = np.ones(size, dtype=bool)
    for name, mask in masks.items():
        if name not in leave_out:
            combined &= mask
    return combined


def facet_counts(snapshot: Snapshot, base: np.ndarray, masks: dict[str, np.ndarray]) -> FacetCounts:
    """Count year, month, category and source over the result set, each without its own filter."""
    size = snapshot.doc_count
    return FacetCounts(
        year=_count(snapshot.day[base & combine(masks, size, ("year", "month"))] // 10000),
        month=_count(snapshot.day[base & combine(masks, size, ("month",))] // 100),
        category=_named(snapshot.category_names, _count(snapshot.category[base & combine(masks, size, ("category",))])),
        source=_named(snapshot.source_names, _count(snapshot.source[base & combine(masks, size, ("source",))])),
    )


def _named(names: list[str], counts: dict[int, int]) -> dict[str, int]:
    """Return label counts keyed by the label instead of its code (in code order)."""
    return {names[code]: count for code, count in counts.items()}


def _count(values: np.ndarray) -> dict[int, int]:
    """Return {value: count} of a non-negative integer array (counted without sorting)."""
    if not len(values):
        return {}
    low = int(values.min())
    counts = np.bincount(values - low)
    present = np.flatnonzero(counts)
    return dict(zip((present + low).tolist(), counts[present].tolist()))
