"""Snippets and highlighting: marks on the original accented words, everything else escaped."""

from __future__ import annotations

import html
import re
import unicodedata

import pytest
from unidecode import unidecode

from search import highlight
from search.engine import SearchEngine
from search.highlight import HighlightSpec, highlight_all, snippet
from search.index import reindex
from search.request import SearchRequest
from tests.helpers import FIXTURES, PORTAL_ID, ROOT

MARK_RE = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)


def folded(text: str) -> list[str]:
    return [unidecode(w).lower() for w in re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text))]


def marks(fragment: str) -> list[str]:
    return [html.unescape(m) for m in MARK_RE.findall(fragment)]


def plain(fragment: str) -> str:
    """The text of a highlighted fragment: marks removed, entities decoded."""
    return html.unescape(fragment.replace("<mark>", "").replace("</mark>", ""))


def fragments(snippet_html: str) -> list[str]:
    """Split a snippet into its fragments (joined by ' … ')."""
    return snippet_html.split(" … ")


def search(engine: SearchEngine, q: str, **params) -> dict:
    return engine.search(SearchRequest.from_params({"q": q, **params}))


def hit(engine: SearchEngine, q: str, doc_id: str) -> dict:
    found = [h for h in search(engine, q, size=50)["hits"] if h["id"] == doc_id]
    assert found, f"{doc_id} not among the hits of {q!r}"
    return found[0]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> SearchEngine:
    index_dir = tmp_path_factory.mktemp("tiny-highlight") / "index"
    reindex(index_dir, [str(FIXTURES / "tiny.jsonl")], procs=1)
    return SearchEngine(index_dir)


# On the demo index ----------------------------------------------------------------------------


def test_unaccented_query_marks_the_original_accented_words(engine):
    portal = hit(engine, "bo chinh tri", PORTAL_ID)
    assert "<mark>Bộ Chính trị</mark>" in portal["snippet"]
    assert portal["title_html"].endswith("của <mark>Bộ Chính trị</mark>")
    for marked in marks(portal["snippet"]) + marks(portal["title_html"]):
        assert set(folded(marked)) <= {"bo", "chinh", "tri"}, marked


def test_adjacent_query_words_are_marked_as_one_span(engine):
    portal = hit(engine, "chi thi 05", PORTAL_ID)
    assert "<mark>Chỉ thị 05</mark>" in portal["title_html"]
    assert "<mark>Chỉ thị 05</mark>" in portal["snippet"]


@pytest.mark.parametrize("q", ["bo chinh tri", "hà nội", "covid", "điện thoại học sinh", "GD&ĐT"])
def test_snippet_text_is_the_article_text_escaped(engine, q):
    result = search(engine, q, size=10)
    assert result["hits"]
    for found in result["hits"]:
        body = " ".join(engine.article(found["id"])["body"].split("\n"))
        snippet_html = found["snippet"]
        assert "<" not in MARK_RE.sub("", snippet_html) and ">" not in MARK_RE.sub("", snippet_html)
        for fragment in fragments(snippet_html):
            text = plain(fragment).strip("…").strip()
            assert text in body, (found["id"], text[:80])
        assert plain(found["title_html"]) == found["title"]


@pytest.mark.parametrize("q", ["bo chinh tri", "việt nam", "covid vắc xin", "hà nội giao thông"])
def test_snippet_holds_at_most_three_fragments(engine, q):
    for found in search(engine, q, size=20)["hits"]:
        assert 1 <= len(fragments(found["snippet"])) <= 3, found["id"]


def test_phrase_query_marks_the_phrase_and_not_scattered_words(engine):
    article = engine.article(PORTAL_ID, q='"bộ chính trị"')
    body_marks = marks(article["body_html"])
    tokens = folded(article["body"])
    occurrences = sum(tokens[j : j + 3] == ["bo", "chinh", "tri"] for j in range(len(tokens)))
    assert len(body_marks) == occurrences > 1
    assert all(folded(m) == ["bo", "chinh", "tri"] for m in body_marks)
    # "cán bộ" and "tư tưởng chính trị" hold the words, but not as the phrase.
    assert "cán <mark>bộ</mark>" not in article["body_html"] and "<mark>chính trị</mark>" not in article["body_html"]
    portal = hit(engine, '"bộ chính trị"', PORTAL_ID)
    assert all(folded(m) == ["bo", "chinh", "tri"] for m in marks(portal["snippet"]) + marks(portal["title_html"]))


def test_unquoted_query_in_the_all_words_tier_marks_the_words_wherever_they_are(engine):
    article = engine.article(PORTAL_ID, q="bộ chính trị", match="all")
    assert "cán <mark>bộ</mark>" in article["body_html"]
    assert "<mark>chính trị</mark>" in article["body_html"]


def test_excluded_words_are_not_marked(engine):
    result = search(engine, "thủ tướng -covid", size=20)
    assert result["hits"]
    for found in result["hits"]:
        for marked in marks(found["snippet"]) + marks(found["title_html"]):
            assert set(folded(marked)) <= {"thu", "tuong"}, marked


def test_article_page_marks_every_occurrence_and_escapes_the_rest(engine):
    article = engine.article("unc-news_education_003", q="GD ĐT", match="all")
    assert plain(article["body_html"]) == article["body"]
    assert "<mark>GD</mark>&amp;<mark>ĐT</mark>" in article["body_html"]
    assert len(marks(article["body_html"])) == sum(1 for w in folded(article["body"]) if w in ("gd", "dt"))


# On the tiny index ----------------------------------------------------------------------------


def test_markup_in_an_article_is_escaped_in_title_snippet_and_page(tiny):
    found = hit(tiny, "khủng long", "script")
    assert "<script>" not in found["snippet"] and "&lt;script&gt;" in found["snippet"]
    assert "&lt;/script&gt;" in found["snippet"] and "&amp;" in found["snippet"]
    assert found["title_html"] == "Hóa thạch &lt;b&gt;<mark>khủng long</mark>&lt;/b&gt; &amp; chim cổ đại"
    assert marks(found["snippet"]) == ["khủng long", "khủng long"]
    page = tiny.article("script", q="khủng long")
    assert "<script>" not in page["body_html"] and "&lt;script&gt;" in page["body_html"]
    assert plain(page["body_html"]) == page["body"]


def test_nfd_stored_article_is_highlighted_in_nfc(tiny):
    found = hit(tiny, "hoa binh", "nfd-hoa-binh")
    assert "<mark>Hòa Bình</mark>" in found["snippet"]
    assert "<mark>Hòa Bình</mark>" in found["title_html"]


# The highlight functions on real text ---------------------------------------------------------

PORTAL_BODY = (ROOT / "vnsearch" / "demo" / "portal" / PORTAL_ID).read_text(encoding="utf-8")


def test_every_spelling_of_a_folded_word_is_marked_and_only_whole_words():
    text = "Khánh Hòa, TP.HCM, Bà Rịa - Vũng Tàu, Đà Nẵng; Nhà máy nước mặt Xuân Mai - Hoà Bình; HOÀ PHÁT; hoạt động"
    marked = marks(highlight_all(text, HighlightSpec(words=("hoa",))))
    assert marked == ["Hòa", "Hoà", "HOÀ"]  # not "hoạt", which only starts with the letters
    assert marks(highlight_all(text, HighlightSpec(words=("da", "nang")))) == ["Đà Nẵng"]


def test_snippet_without_a_match_is_the_escaped_start_of_the_text():
    text = "Bộ GD&ĐT sẽ ban hành hướng dẫn cụ thể về việc sử dụng điện thoại cho học sinh học tập. " * 5
    lead = snippet(text, HighlightSpec(words=("tesla",)))
    assert "<mark>" not in lead
    assert lead.startswith("Bộ GD&amp;ĐT sẽ ban hành")
    assert lead.endswith("…") and len(html.unescape(lead)) <= highlight.LEAD_CHARS + 1


def test_snippet_of_far_apart_words_keeps_three_fragments_covering_distinct_words():
    body = " ".join(line.strip() for line in PORTAL_BODY.splitlines() if line.strip())
    spec = HighlightSpec(words=("kien", "giang", "khuyen", "khich", "uon", "nan", "bac"))
    result = snippet(body, spec)
    parts = fragments(result)
    assert len(parts) == 3
    covered = {w for part in parts for m in marks(part) for w in folded(m)}
    assert len(covered) >= 5
    for part in parts:
        assert plain(part).strip("…").strip() in body
