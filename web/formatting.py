"""Jinja filters: Vietnamese dates and numbers, highlighted paragraphs, safe outbound links."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask
from markupsafe import Markup

from search.dates import VIETNAM_TZ

_MARK_OPEN = "<mark>"
_MARK_CLOSE = "</mark>"


def parse_published(value: str | None) -> datetime | None:
    """Return an ISO 8601 timestamp as a datetime in Vietnam time, or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM_TZ)
    return moment.astimezone(VIETNAM_TZ)


def vn_datetime(value: str | None) -> str:
    """Format a timestamp the Vietnamese way ("08:12 21/08/2019"); date only at midnight."""
    moment = parse_published(value)
    if moment is None:
        return ""
    # Sources that give only a day are stored at midnight: a "00:00" would be invented.
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.strftime("%d/%m/%Y")
    return moment.strftime("%H:%M %d/%m/%Y")


def vn_number(value) -> str:
    """Format a whole number with Vietnamese thousands separators (1.234)."""
    return f"{int(value):,}".replace(",", ".")


def vn_decimal(value, digits: int = 1) -> str:
    """Format a decimal number with a decimal comma (3,5)."""
    return f"{float(value):.{digits}f}".replace(".", ",")


def safe_url(value: str | None) -> str | None:
    """Return value when it is an http(s) URL with a host, else None (javascript:, data:, ...)."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # Control characters and whitespace inside a URL are how filters get tricked.
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return None
    return text


def marked_paragraphs(fragment: str) -> list[Markup]:
    """Split highlighted text (escaped, only <mark> tags) into paragraphs, keeping marks balanced."""
    paragraphs: list[Markup] = []
    still_open = False
    for line in fragment.split("\n"):
        if still_open:
            line = _MARK_OPEN + line
        # A mark spanning a line break is closed here and reopened on the next line.
        still_open = line.rfind(_MARK_OPEN) > line.rfind(_MARK_CLOSE)
        if still_open:
            line += _MARK_CLOSE
        if line.replace(_MARK_OPEN, "").replace(_MARK_CLOSE, "").strip():
            paragraphs.append(Markup(line))
    return paragraphs


def register_filters(app: Flask) -> None:
    """Make the filters available to the templates."""
    app.jinja_env.filters.update(
        vn_datetime=vn_datetime,
        vn_number=vn_number,
        vn_decimal=vn_decimal,
        http_url=safe_url,
        marked_paragraphs=marked_paragraphs,
    )
