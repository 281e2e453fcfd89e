"""Follow a search: the result of ``/api/search``'s parameters as an Atom feed (RFC 4287).

The feed is the same result dict the API returns, newest first, written by feedgen (which
escapes and serialises the XML): one entry per hit, identified and linked by its article
page's URL, its summary the snippet as plain text.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from web.formatting import parse_published

FEED_SIZE = 20
_TAG_RE = re.compile(r"<[^>]+>")


def plain_text(fragment: str) -> str:
    """Return highlighted HTML (escaped text, <mark> tags) as plain text."""
    return html.unescape(_TAG_RE.sub("", fragment or ""))


def feed_title(result: dict) -> str:
    """Return the feed's title: the query, or what the filters list."""
    return f"vnsearch: “{result['query']}”" if result["query"] else "vnsearch: bài viết mới nhất"


def atom_feed(result: dict, feed_url: str, page_url: str, article_url, fallback_updated: datetime | None) -> bytes:
    """Return the Atom document of a search result (hits newest first)."""
    moments = [parse_published(hit["published"]) for hit in result["hits"]]
    updated = max((m for m in moments if m), default=None) or fallback_updated or datetime.now(UTC)
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(feed_title(result))
    feed.subtitle(f"{result['total']:,} kết quả trên vnsearch".replace(",", "."))
    feed.author({"name": "vnsearch"})
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.language("vi")
    feed.generator("vnsearch")
    feed.updated(updated)
    # feedgen puts the entry added last at the top: add the oldest first.
    for hit, moment in reversed(list(zip(result["hits"], moments))):
        add_entry(feed, hit, article_url(hit["id"]), moment or updated)
    return feed.atom_str(pretty=True)


def add_entry(feed: FeedGenerator, hit: dict, url: str, updated: datetime) -> None:
    """Add one hit to the feed."""
    entry = feed.add_entry()
    entry.id(url)
    entry.title(hit["title"])
    entry.link(href=url, rel="alternate", type="text/html")
    entry.updated(updated)
    if hit["published"]:
        entry.published(updated)
    if hit["source"] or hit["portal"]:
        entry.author({"name": hit["portal"] or hit["source"]})
    if hit["category"]:
        entry.category(term=hit["category"])
    summary = plain_text(hit["snippet"])
    if summary:
        entry.summary(summary, type="text")
