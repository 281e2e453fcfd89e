"""Articles and how they are parsed: portal text pages, JSON Lines records, encodings.

An ``Article`` is what gets indexed; parsing raises ``ArticleError`` saying what is wrong,
and ``search.sources`` turns that into a ``Rejection`` naming the file and line.  Dates are
in ``search.dates``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from search.boilerplate import strip_boilerplate
from search.categories import category_name
from search.dates import is_date_line, parse_date
from search.text import nfc

# Bump when parsing changes what an article holds, so unchanged files are read again
# (2: categories stored under their section's name, search.categories; 3: site interface text taken
# off bodies, search.boilerplate).
PARSER_VERSION = 3
DEFAULT_MAX_ARTICLE_BYTES = 2_000_000
DERIVED_TITLE_CHARS = 120


@dataclass
class Article:
    """One article, normalised (NFC text, timezone-aware date) and ready to index."""

    id: str
    title: str
    body: str
    title_derived: bool = False
    category: str | None = None
    source: str | None = None
    portal: str | None = None
    url: str | None = None
    published: datetime | None = None
    origin: str = ""
    content_hash: str = ""
    line: int | None = None  # line number in a JSON Lines file

    @property
    def location(self) -> str:
        """Return where the article was read: file, and line for JSON Lines."""
        return f"{self.origin}:{self.line}" if self.line else self.origin


@dataclass
class Rejection:
    """Something that could not be indexed: where it is and why."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


@dataclass
class ScanStats:
    """What a scan saw besides articles: files read and files skipped for their type."""

    files: int = 0
    skipped: list[str] = field(default_factory=list)


class ArticleError(ValueError):
    """An input record that cannot become an article; the message says why."""


# Text cleaning -------------------------------------------------------------------------

_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_SENTENCE_END_RE = re.compile(r"[.!?…](?=\s|$)")


def clean_line(text: str) -> str:
    """Return one line of text in NFC with runs of spaces (including NBSP) made one space."""
    return _SPACES_RE.sub(" ", nfc(text)).strip()


def clean_body(text: str) -> str:
    """Return body text in NFC: spaces collapsed in each line, blank runs made one blank line."""
    lines = [clean_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


def derive_title(body: str) -> str:
    """Return a title made from the first sentence of body, cut at a word if long."""
    first_line = body.strip().split("\n", 1)[0]
    match = _SENTENCE_END_RE.search(first_line)
    sentence = first_line[: match.end()] if match else first_line
    if len(sentence) <= DERIVED_TITLE_CHARS:
        return sentence
    cut = sentence[:DERIVED_TITLE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:-– ") + "…"


# Encodings -----------------------------------------------------------------------------

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM) or UTF-16 with BOM; raise ArticleError otherwise."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data, encoding)
    if b"\x00" in data:
        raise ArticleError("binary file (NUL bytes), not UTF-8 text")
    return _decode(data, "utf-8")


def _decode(data: bytes, encoding: str) -> str:
    """Decode data strictly, naming the line of the first bad byte on failure."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        # The place in the file: utf-8-sig counts from after the byte order mark it skipped.
        start = error.start + len(data) - len(error.object)
        line = data[:start].count(b"\n") + 1
        raise ArticleError(
            f"line {line}: not valid {encoding.upper().replace('-SIG', '')} "
            f"(byte {start}); re-save the file as UTF-8"
            + (" (legacy Vietnamese encodings such as Windows-1258 or TCVN3 are not read)"
               if encoding.startswith("utf-8") else "")
        ) from None


# Portal text files ---------------------------------------------------------------------

# Page furniture saved along with portal articles: short lines of these words only.
_CHROME_RE = re.compile(
    r"^(xem với cỡ chữ\s*a*|cỡ chữ:?\s*a*|in bài( viết)?|bản in|gửi (bài|email)( viết| cho bạn bè)?|"
    r"chia sẻ( bài viết)?:?|lượt xem:?\s*\d*|trang chủ( ?[>»/›].*)?|quay lại|về đầu trang|"
    r"bình luận( \(\d+\))?|tin liên quan|font size|print|email|share|a\+?\s*a-?)$",
    re.IGNORECASE,
)
_MAX_CHROME_CHARS = 60
# "Theo vpubnd.kiengiang.gov.vn", "Nguồn: Báo Kiên Giang": a site or a short proper name.
_SOURCE_LINE_RE = re.compile(r"^(?:theo|nguồn)\s*[:\-–]?\s*(.{2,80})$", re.IGNORECASE)
_DOMAIN_RE = re.compile(r"^[\w.-]+\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)
_MAX_SOURCE_WORDS = 6
_PORTAL_NAME_RE = re.compile(
    r"(cổng thông tin|trang thông tin|cổng điện tử|báo điện tử|điện tử|portal|\.gov\.vn)", re.IGNORECASE
)
_HEADER_SEARCH_LINES = 8
_MAX_DATE_LINE_CHARS = 80


def parse_portal_text(text: str, article_id: str) -> Article:
    """Extract portal, category, title, date, source and body from a saved portal page."""
    lines = [clean_line(line) for line in text.splitlines()]
    lines = [line for line in lines if line and not _is_chrome(line)]
    if not lines:
        raise ArticleError("no text in file")
    date_index, published = _find_date_line(lines)
    header = lines[:date_index] if date_index is not None else lines[:3]
    body_lines = lines[date_index + 1 :] if date_index is not None else lines[len(header) :]
    source, body_lines = _split_source_line(body_lines)
    if not header or not body_lines:
        raise ArticleError("no title or no body found (expected portal, category, title, date, body)")
    portal, category, title = _split_header(header)
    return Article(
        id=article_id,
        title=title,
        body="\n\n".join(body_lines),
        category=category,
        source=source or portal,
        portal=portal,
        published=published,
    )


def _is_chrome(line: str) -> bool:
    """Tell whether a line is page furniture (a short line of known button words)."""
    return len(line) <= _MAX_CHROME_CHARS and bool(_CHROME_RE.match(line))


def _find_date_line(lines: list[str]) -> tuple[int | None, datetime | None]:
    """Return the index and value of the first header line that holds a date and little else."""
    for index, line in enumerate(lines[:_HEADER_SEARCH_LINES]):
        if index == 0 or len(line) > _MAX_DATE_LINE_CHARS or not is_date_line(line):
            continue
        try:
            return index, parse_date(line.strip("()[] "))
        except ValueError:
            continue
    return None, None


def _split_source_line(body_lines: list[str]) -> tuple[str | None, list[str]]:
    """Take a trailing "Theo ..." / "Nguồn: ..." line off the body and return its source."""
    if body_lines:
        match = _SOURCE_LINE_RE.match(body_lines[-1])
        if match and _looks_like_source(match.group(1).strip(" .")):
            return match.group(1).strip(" ."), body_lines[:-1]
    return None, body_lines


def _looks_like_source(text: str) -> bool:
    """Tell whether the words after "Theo" name a source (a site, a short proper name)."""
    if _DOMAIN_RE.match(text):
        return True
    words = text.split()
    return (len(words) <= _MAX_SOURCE_WORDS and text[:1].isupper() and not any(p in text for p in ",;:")
            and not text.endswith(("!", "?")))


def _split_header(header: list[str]) -> tuple[str | None, str | None, str]:
    """Return (portal, category, title) from the header lines above the date."""
    title = header[-1]
    rest = header[:-1]
    portal = rest.pop(0) if rest and (len(rest) > 1 or _PORTAL_NAME_RE.search(rest[0])) else None
    category = rest[-1] if rest else None
    return portal, category, title


# JSON Lines ----------------------------------------------------------------------------

_BODY_KEYS = ("body", "text", "content")
_URL_KEYS = ("url", "source_url")
_SOURCE_KEYS = ("source", "publisher")


def article_from_record(record: dict, fallback_id: str) -> Article:
    """Build an article from one JSON object; raise ArticleError naming what is wrong."""
    body = _first_string(record, _BODY_KEYS)
    if not body or not body.strip():
        raise ArticleError("no body (expected a non-empty 'body', 'text' or 'content')")
    raw_id = record.get("id")
    if raw_id is not None and not isinstance(raw_id, (str, int)):
        raise ArticleError(f"'id' must be a string or number, not {type(raw_id).__name__}")
    url = _first_string(record, _URL_KEYS)
    published = _optional_string(record, "published")
    return Article(
        id=str(raw_id).strip() if raw_id not in (None, "") else (url or fallback_id),
        title=_optional_string(record, "title") or "",
        body=body,
        category=_optional_string(record, "category"),
        source=_first_string(record, _SOURCE_KEYS),
        portal=_optional_string(record, "portal"),
        url=url,
        published=_record_date(published),
    )


def _record_date(value: str | None) -> datetime | None:
    """Parse a record's date, turning a parse failure into an ArticleError."""
    if value is None or not value.strip():
        return None
    try:
        return parse_date(value)
    except ValueError as error:
        raise ArticleError(f"'published': {error}") from None


def _optional_string(record: dict, key: str) -> str | None:
    """Return record[key] when it is a string, None when absent; raise on other types."""
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ArticleError(f"'{key}' must be a string, not {type(value).__name__}")


def _first_string(record: dict, keys: tuple[str, ...]) -> str | None:
    """Return the first of keys present in record, checked to be a string."""
    for key in keys:
        if record.get(key) is not None:
            return _optional_string(record, key)
    return None


# Finishing and hashing -----------------------------------------------------------------


def finish_article(article: Article, origin: str, raw: bytes) -> Article:
    """Normalise an article's text, derive a missing title, and stamp origin and hash."""
    article.id = nfc(article.id)
    article.body = strip_boilerplate(clean_body(article.body))
    if not article.body:
        raise ArticleError("no body text")
    article.title = clean_line(article.title or "")
    if not article.title:
        article.title, article.title_derived = derive_title(article.body), True
    for name in ("category", "source", "portal", "url"):
        value = getattr(article, name)
        setattr(article, name, clean_line(value) or None if value else None)
    article.category = category_name(article.category, article.url)
    article.origin = origin
    digest = hashlib.sha1(f"{PARSER_VERSION}\0{article.id}\0".encode())
    digest.update(raw)
    article.content_hash = digest.hexdigest()
    return article


