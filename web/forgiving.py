"""The search page's reading of its parameters: forgiving where the JSON API is strict.

A reader who edits a URL or types a date by hand should still get results: an unusable
parameter falls back to its default and the page says so gently; dates are read the way
Vietnamese readers write them (``31/12/2020``) as well as in ISO form; a reversed date range
is swapped.  ``/api/search`` keeps answering 400 for the same parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from search.request import QueryError, SearchRequest

# 31/12/2020, 1/2/2020, 31-12-2020, 31.12.2020: day, month, four-digit year.
_VN_DATE_RE = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$")
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
DATE_PARAMS = ("from", "to")
DATE_HINT = "Nhập ngày theo dạng ngày/tháng/năm, ví dụ 31/12/2020."
# What the page says when it leaves a parameter out, by parameter.
FALLBACK_NOTICES = {
    "page": "Số trang “{value}” không dùng được nên đang hiển thị trang 1.",
    "size": "Số kết quả mỗi trang “{value}” không dùng được nên đang dùng mặc định.",
    "sort": "Cách sắp xếp “{value}” không dùng được nên đang sắp xếp mặc định.",
    "year": "Năm “{value}” không dùng được nên chưa lọc theo năm.",
    "month": "Tháng “{value}” không dùng được nên chưa lọc theo tháng.",
    "from": "Ngày “{value}” không dùng được nên chưa lọc từ ngày đó.",
    "to": "Ngày “{value}” không dùng được nên chưa lọc đến ngày đó.",
}
GENERIC_NOTICE = "Tham số “{name}” có giá trị “{value}” không dùng được nên đang dùng mặc định."


class BadDate(ValueError):
    """A date the reader typed that is not a real day."""


def parse_date(text: str) -> date:
    """Return the date written as dd/mm/yyyy (or d-m-yyyy, d.m.yyyy) or YYYY-MM-DD; raise BadDate."""
    text = text.strip()
    vn, iso = _VN_DATE_RE.match(text), _ISO_DATE_RE.match(text)
    if vn:
        day, month, year = (int(part) for part in vn.groups())
    elif iso:
        year, month, day = (int(part) for part in iso.groups())
    else:
        raise BadDate(f"“{text[:40]}” không phải là ngày. {DATE_HINT}")
    try:
        return date(year, month, day)
    except ValueError:
        raise BadDate(f"Không có ngày {day:02d}/{month:02d}/{year}. {DATE_HINT}") from None


@dataclass
class PageRequest:
    """The search the page shows, what it left out and why, and the dates as typed."""

    search: SearchRequest
    notices: list[str] = field(default_factory=list)
    date_errors: dict[str, str] = field(default_factory=dict)
    typed_dates: dict[str, str] = field(default_factory=dict)


def page_request(params: dict[str, list[str]]) -> PageRequest:
    """Read the page's parameters: unusable ones fall back to their defaults, with a notice."""
    params = dict(params)
    result = PageRequest(SearchRequest())
    for name in DATE_PARAMS:
        _read_date(params, name, result)
    for _ in range(len(params) + 1):
        try:
            result.search = SearchRequest.from_params(params)
            break
        except QueryError as error:
            value = (params.pop(error.param, None) or [""])[0]
            template = FALLBACK_NOTICES.get(error.param, GENERIC_NOTICE)
            result.notices.append(template.format(name=error.param, value=str(value)[:40]))
    _swap_reversed_range(result)
    return result


def _read_date(params: dict[str, list[str]], name: str, result: PageRequest) -> None:
    """Replace a typed date by its ISO form, or drop it with a message for its field."""
    typed = (params.get(name) or [""])[0]
    if not typed or not typed.strip():
        params.pop(name, None)
        return
    result.typed_dates[name] = typed[:40]
    try:
        params[name] = [parse_date(typed).isoformat()]
    except BadDate as error:
        params.pop(name)
        result.date_errors[name] = str(error)
        result.notices.append(FALLBACK_NOTICES[name].format(value=typed.strip()[:40]))


def _swap_reversed_range(result: PageRequest) -> None:
    """Swap a range whose start comes after its end, and say so."""
    search = result.search
    if search.date_from and search.date_to and search.date_from > search.date_to:
        result.search = replace(search, date_from=search.date_to, date_to=search.date_from)
        result.notices.append(
            f"Ngày bắt đầu sau ngày kết thúc nên đã đổi chỗ: từ {search.date_to:%d/%m/%Y} "
            f"đến {search.date_from:%d/%m/%Y}."
        )
        result.typed_dates = {}
