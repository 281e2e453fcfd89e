"""Dates: ISO 8601 and the Vietnamese ways of writing one, Vietnam time, YYYYMMDD day numbers.

Articles carry aware datetimes; the index keeps each article's Vietnam-time calendar day as
the number YYYYMMDD (``day_number``), which the date filters and facets compare and count.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from search.text import nfc

VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")
# What may stand beside the date on a date line: weekday names and posting words.
_DATE_LINE_WORDS = {"thứ", "hai", "ba", "tư", "năm", "sáu", "bảy", "chủ", "nhật", "ngày", "tháng", "cập",
                    "đăng", "lúc", "giờ", "gmt", "utc", "sa", "ch", "am", "pm"}
_DMY_RE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)")
_YMD_RE = re.compile(r"(?<!\d)(\d{4})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})(?!\d)")
_WORDS_RE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_TIME_RE = re.compile(r"(?<![\d/.-])(\d{1,2})\s*[:hg]\s*(\d{2})(?:\s*:\s*(\d{2}))?(?![\d/])")
_ZONE_RE = re.compile(r"(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)


def parse_date(value: str) -> datetime:
    """Parse an ISO 8601 or Vietnamese date (time optional) into an aware datetime.

    Without a time zone the date is taken as Vietnam time (UTC+7).  Raises ValueError.
    """
    text = nfc(value).strip()
    if not text:
        raise ValueError("empty date")
    parsed = _parse_iso(text) or _parse_vietnamese(text)
    if parsed is None:
        raise ValueError(f"unrecognised date {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM_TZ)


def _parse_iso(text: str) -> datetime | None:
    """Return text parsed as ISO 8601, or None when it is not ISO 8601."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _parse_vietnamese(text: str) -> datetime | None:
    """Return the date written in a Vietnamese form, with its time and zone when given."""
    match = _WORDS_RE.search(text) or _DMY_RE.search(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _YMD_RE.search(text)
        if not match:
            return None
        year, month, day = (int(g) for g in match.groups())
    rest = text[: match.start()] + " " + text[match.end() :]
    hour, minute, second = _parse_time(rest)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=_parse_zone(rest))
    except ValueError as error:
        raise ValueError(f"impossible date {text!r}: {error}") from None


def _parse_time(text: str) -> tuple[int, int, int]:
    """Return the (hour, minute, second) written in text, midnight when none is."""
    match = _TIME_RE.search(text)
    if not match:
        return 0, 0, 0
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"impossible time {match.group()!r}")
    return hour, minute, second


def _parse_zone(text: str) -> timezone | None:
    """Return the GMT/UTC offset written in text, or None."""
    match = _ZONE_RE.search(text)
    if not match:
        return None
    sign = -1 if match.group(1) == "-" else 1
    offset = timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
    return timezone(sign * offset)


def timestamp_of(published: datetime | None) -> int:
    """Return the index's timestamp of a publication time: whole seconds, at least 1; 0 when undated."""
    return max(1, int(published.timestamp())) if published else 0


def vietnam_day(moment: datetime) -> date:
    """Return the calendar day of moment in Vietnam time."""
    return moment.astimezone(VIETNAM_TZ).date()


def day_number(day: date) -> int:
    """Return a calendar day as the YYYYMMDD number the index's day column holds."""
    return day.year * 10000 + day.month * 100 + day.day


def is_date_line(line: str) -> bool:
    """Tell whether a line is a date line, not a sentence that mentions a date."""
    if _parse_iso(line.strip("()[] ")):
        return True
    rest = _ZONE_RE.sub(" ", _TIME_RE.sub(" ", _WORDS_RE.sub(" ", _YMD_RE.sub(" ", _DMY_RE.sub(" ", line)))))
    if rest == line:
        return False
    words = re.findall(r"[^\W\d_]+", rest.lower())
    return all(word in _DATE_LINE_WORDS for word in words)
