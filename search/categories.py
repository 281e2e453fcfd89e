"""Category names: the values crawlers give for a section, read as the section's Vietnamese name.

Crawlers name one section many ways: the Underthesea news corpus in English topic labels
(``sport``), 24h.com.vn by URL slugs (``the-thao``), VnExpress by name (``Thể thao``); and some
give a home page (``trang-chu``) where the article's own URL names its section
(``https://www.24h.com.vn/kinh-doanh/...``).  The shipped table ``search/data/categories.txt``
lists each section's name and the values that stand for it.  Articles are indexed under the
name, so a facet counts a section once; a filter may name it by any of its values.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from search.text import nfc

# Values that name a home page or a feed, not a section: the article's URL says more.
HOME_PAGES = frozenset({"trang-chu", "trang chủ", "home", "homepage"})


@cache
def _names() -> dict[str, str]:
    """Return {a value's key: its section's name} from the shipped table."""
    text = resources.files("search").joinpath("data/categories.txt").read_text(encoding="utf-8")
    names = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            name, *values = (part.strip() for part in line.split("|"))
            names.update({_key(value): name for value in (name, *values)})
    return names


def _key(value: str) -> str:
    """Return the key a category value is looked up by (NFC, case and outer spaces ignored)."""
    return nfc(value).strip().casefold()


def category_name(value: str | None, url: str | None = None) -> str | None:
    """Return the section name a category value stands for (a home page: the one its URL names)."""
    if not value or not value.strip():
        return None
    if _key(value) in HOME_PAGES:
        return _url_section(url)
    return _names().get(_key(value), value)


def _url_section(url: str | None) -> str | None:
    """Return the section name of a URL's first path segment, if the table lists it."""
    segments = [segment for segment in urlsplit(url).path.split("/") if segment] if url else []
    return _names().get(_key(segments[0])) if segments else None


def category_filter(value: str) -> str:
    """Return the category a filter names: its section's name for any of the section's values."""
    return category_name(value) or value
