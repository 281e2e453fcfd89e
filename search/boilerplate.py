"""Site interface text crawlers leave around an article's body, taken off its start and end.

A crawler that saves a page's text whole keeps the site's widgets with it: every 24h.com.vn
article of the news corpus starts with its "save this article" widget ("Lưu bài viết thành
công ...") and ends with two "Nguồn: [Link nguồn]".  Left in, they are searched (a query for
"bài viết đã lưu" found every 24h article) and make the first lines of every snippet shown
without a query.  The shipped table ``search/data/boilerplate.txt`` lists such texts; each is
removed where a body starts or ends with it, never inside the text.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from search.text import nfc


@cache
def _patterns() -> tuple[re.Pattern, re.Pattern]:
    """Return the patterns of the table's texts repeated at a body's start, and at its end (any spaces
    or line breaks between their words)."""
    text = resources.files("search").joinpath("data/boilerplate.txt").read_text(encoding="utf-8")
    texts: dict[str, list[str]] = {"start": [], "end": []}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            where, _, entry = line.partition(":")
            texts[where.strip()].append(r"\s+".join(map(re.escape, nfc(entry).split())))
    start, end = (_any_of(texts[where]) for where in ("start", "end"))
    return re.compile(rf"\A(?:\s*{start})+\s*"), re.compile(rf"\s*(?:{end}\s*)+\Z")


def _any_of(patterns: list[str]) -> str:
    """Return a pattern matching any of patterns (none: a pattern that never matches)."""
    return "(?:" + "|".join(patterns) + ")" if patterns else "(?!)"


def strip_boilerplate(body: str) -> str:
    """Return a body without the table's texts at its start and end (repeated ones too)."""
    start, end = _patterns()  # anchored at the body's start and end: each matches once at most
    return end.sub("", start.sub("", body))
