"""The search request: what may be asked (query, filters, order, page) and its validation.

Every backend receives a ``SearchRequest`` that is already valid: the web app and the
command line build one with ``SearchRequest.from_params`` (query-string style parameters),
which raises ``QueryError`` naming the bad parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from search.categories import category_filter

SORTS = ("relevance", "newest", "oldest")
# The matching tiers a request may ask for ("auto": the tightest that finds something);
# ``search.matching`` defines them.
TIERS = ("together", "all", "most")
MATCH_MODES = ("auto", *TIERS)
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
MAX_PAGE = 1000
# The value of the year filter (and of facet entries) selecting undated or unlabelled articles.
UNDATED = "none"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


class QueryError(ValueError):
    """A request parameter that cannot be used; ``param`` names it."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


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
    match: str = "auto"
    snippets: bool = True
    facets: bool = True
    suggest: bool = True
    # When the query finds nothing (or only articles holding some of its words) and its "did
    # you mean" query finds articles holding them all, show those instead (``correct=0``: don't).
    correct: bool = True

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> SearchRequest:
        """Build a request from query-string style parameters; raise QueryError when bad."""
        values = {key: _as_list(value) for key, value in params.items()}
        first = lambda key: (values.get(key) or [None])[0]  # noqa: E731
        request = cls(
            q=str(first("q") if first("q") is not None else ""),
            page=_int_param("page", first("page"), 1, 1, MAX_PAGE),
            size=min(_int_param("size", first("size"), DEFAULT_PAGE_SIZE, 1, None), MAX_PAGE_SIZE),
            sort=_choice_param("sort", first("sort"), SORTS),
            date_from=_date_param("from", first("from")),
            date_to=_date_param("to", first("to")),
            year=_year_param(first("year")),
            categories=tuple(category_filter(str(v)) for v in values.get("category", []) if v is not None),
            sources=tuple(str(v) for v in values.get("source", []) if v is not None),
            match=_choice_param("match", first("match"), MATCH_MODES),
            correct=_choice_param("correct", first("correct"), ("1", "0")) == "1",
        )
        request.month = _month_param(first("month"), request.year)
        return request

    def params(self, **changes) -> dict[str, object]:
        """Return the request as URL parameters (defaults left out), with changes applied."""
        request = replace(self, **changes)
        params: dict[str, object] = {
            "q": request.q,
            "sort": request.sort if request.sort != "relevance" else None,
            "match": request.match if request.match != "auto" else None,
            "from": request.date_from.isoformat() if request.date_from else None,
            "to": request.date_to.isoformat() if request.date_to else None,
            "year": request.year,
            "month": request.month,
            "category": list(request.categories) or None,
            "source": list(request.sources) or None,
            "size": request.size if request.size != DEFAULT_PAGE_SIZE else None,
            "page": request.page if request.page != 1 else None,
            "correct": "0" if not request.correct else None,
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


def _choice_param(name: str, value, choices: tuple[str, ...]) -> str:
    """Parse a parameter that takes one of a few words (the first is the default)."""
    if value in (None, ""):
        return choices[0]
    if value not in choices:
        raise QueryError(name, f"'{name}' must be one of {', '.join(choices)}, not {str(value)[:40]!r}")
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
