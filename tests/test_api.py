"""The JSON API over the demo corpus (real dantri articles + one Kiên Giang portal page)."""

from __future__ import annotations

import copy
import re
from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from flask import abort
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from openapi_spec_validator import OpenAPIV30SpecValidator
from openapi_spec_validator import validate as validate_openapi
from werkzeug.exceptions import ImATeapot

from search.integrity import IndexDamaged, Problem
from search.request import MATCH_MODES, SORTS
from search.sphinxql import BackendError
from search.text import canonical_tones
from tests.helpers import DEMO_ARTICLES, MARK_RE, PORTAL_FILE, PORTAL_ID
from web.app import SECURITY_HEADERS, TOO_LARGE_ENVIRON_KEY, create_app
from web.openapi import openapi_document

SEARCH_PARAMS = ("q", "page", "size", "sort", "match", "correct", "from", "to", "year", "month", "category", "source")
HIT_KEYS = {"id", "title", "url", "published", "category", "source", "snippet", "title_html", "score"}


@pytest.fixture(scope="module")
def app(app_config):
    """Return the web app over the demo corpus (embedded index, then cluster)."""
    return create_app({**app_config, "TESTING": True})


@pytest.fixture()
def client(app):
    """Return a test client of the app."""
    return app.test_client()


def search(client, **params) -> dict:
    """GET /api/search with params; assert a 200 JSON answer and return it."""
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def marked(fragment: str) -> list[str]:
    """Return the texts inside <mark> tags."""
    return MARK_RE.findall(fragment)


def published(hit: dict) -> datetime:
    """Return a hit's publication time."""
    return datetime.fromisoformat(hit["published"])


# Search -----------------------------------------------------------------------------------


def test_search_shape_and_types(client):
    result = search(client, q="bo chinh tri", match="all")  # the all-words tier: more than a page
    for key, kind in {"query": str, "total": int, "page": int, "size": int, "took_ms": (int, float),
                      "hits": list, "facets": dict}.items():
        assert isinstance(result[key], kind), key
    assert "suggestion" in result
    assert result["query"] == "bo chinh tri"
    assert result["page"] == 1 and result["size"] == 10
    assert result["total"] > 10 and len(result["hits"]) == 10
    for hit in result["hits"]:
        assert set(hit) >= HIT_KEYS
        assert isinstance(hit["id"], str) and hit["id"]
        assert isinstance(hit["score"], (int, float)) and hit["score"] > 0
        moment = published(hit)
        assert moment.utcoffset() is not None, "published must carry its UTC offset"
    assert set(result["facets"]) == {"year", "month", "category", "source"}
    for items in result["facets"].values():
        for item in items:
            assert set(item) == {"value", "label", "count", "selected"}
            assert isinstance(item["count"], int) and isinstance(item["selected"], bool)
    scores = [hit["score"] for hit in result["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_unaccented_query_marks_accented_words(client):
    result = search(client, q="bo chinh tri")
    top = result["hits"][0]
    assert top["id"] == PORTAL_ID
    assert "Bộ Chính trị" in marked(top["title_html"])
    words = {w for hit in result["hits"] for w in marked(hit["snippet"]) + marked(hit["title_html"])}
    assert any(w != w.encode("ascii", "ignore").decode() for w in words), "accented words must be marked"
    for hit in result["hits"]:
        assert re.sub(r"</?mark>", "", hit["title_html"]) == hit["title"].replace("&", "&amp;").replace(
            "<", "&lt;").replace(">", "&gt;")


def test_year_and_month_filters_narrow_totals_and_facets(client):
    everything = search(client, q="viet nam")
    year = search(client, q="viet nam", year="2020")
    month = search(client, q="viet nam", year="2020", month="2020-11")
    assert everything["total"] > year["total"] > month["total"] > 0
    year_counts = {item["value"]: item["count"] for item in everything["facets"]["year"]}
    assert year["total"] == year_counts["2020"]
    month_counts = {item["value"]: item["count"] for item in year["facets"]["month"]}
    assert month["total"] == month_counts["2020-11"]
    assert all(value.startswith("2020-") for value in month_counts)
    assert sum(month_counts.values()) == year["total"]
    assert [item["value"] for item in month["facets"]["month"] if item["selected"]] == ["2020-11"]
    assert [item["value"] for item in month["facets"]["year"] if item["selected"]] == ["2020"]
    for hit in month["hits"]:
        assert hit["published"].startswith("2020-11")
    assert month["filters"]["month"] == "2020-11"
    # A month number is accepted together with its year.
    assert search(client, q="viet nam", year="2020", month="11")["total"] == month["total"]


def test_category_and_source_filters(client):
    sport = search(client, category="Thể thao")
    assert sport["total"] == sum(a["category"] == "Thể thao" for a in DEMO_ARTICLES) > 0
    assert {hit["category"] for hit in sport["hits"]} == {"Thể thao"}
    selected = [item for item in sport["facets"]["category"] if item["selected"]]
    assert [(item["value"], item["count"]) for item in selected] == [("Thể thao", sport["total"])]
    # A section named by another of its values (the news corpus's English topic, a URL slug).
    for value in ("sport", "the-thao", "THỂ THAO"):
        named = search(client, category=value)
        assert named == {**sport, "took_ms": named["took_ms"]}, value
    two = search(client, category=["Thể thao", "Du lịch"])
    assert two["total"] > sport["total"]
    portal = search(client, source="vpubnd.kiengiang.gov.vn")
    assert portal["total"] == 1 and portal["hits"][0]["id"] == PORTAL_ID
    assert search(client, q="bo chinh tri", source="dantri.com.vn")["total"] < search(client, q="bo chinh tri")["total"]


def test_date_range_filter(client):
    november = search(client, **{"from": "2020-11-01", "to": "2020-11-30", "size": 50})
    assert november["total"] == sum(a["published"].startswith("2020-11") for a in DEMO_ARTICLES) > 0
    assert november["filters"]["from"] == "2020-11-01" and november["filters"]["to"] == "2020-11-30"
    for hit in november["hits"]:
        assert "2020-11-01" <= published(hit).date().isoformat() <= "2020-11-30"
    before = search(client, to="2019-12-31")
    assert [hit["id"] for hit in before["hits"]] == [PORTAL_ID]
    assert search(client, **{"from": "2021-01-01"})["total"] == 0


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sort_orders_by_published(client, sort):
    result = search(client, q="viet nam", sort=sort, size=50)
    assert result["sort"] == sort
    times = [published(hit) for hit in result["hits"]]
    assert times == sorted(times, reverse=sort == "newest")
    if sort == "oldest":
        assert result["hits"][0]["id"] == PORTAL_ID


def test_paging(client):
    first = search(client, q="viet nam", size=5)
    second = search(client, q="viet nam", size=5, page=2)
    both = search(client, q="viet nam", size=10)
    assert first["total"] == second["total"] == both["total"]
    assert second["page"] == 2 and len(second["hits"]) == 5
    assert [h["id"] for h in first["hits"] + second["hits"]] == [h["id"] for h in both["hits"]]
    beyond = search(client, q="viet nam", page=100)
    assert beyond["hits"] == [] and beyond["total"] == first["total"]


def test_empty_query_with_filter_lists_newest_first(client):
    result = search(client, year="2020", size=50)
    assert result["total"] == 200
    times = [published(hit) for hit in result["hits"]]
    assert times == sorted(times, reverse=True)
    assert all(hit["published"].startswith("2020") for hit in result["hits"])
    assert search(client, q="")["total"] == 201


def test_suggestion_restores_a_word_as_articles_write_it_beside_the_query_s_next_word(client):
    # The top articles write "mênh" and "tất" (not beside "su", "cua"); articles writing the pairs
    # write "sứ mệnh" and "tắt của" (without the lookup: "các sự mênh", "vụ tất của").
    assert search(client, q="nato va cac su menh")["suggestion"].endswith("các sứ mệnh")
    assert search(client, q="vut tat cua")["suggestion"].endswith("tắt của")


def test_suggestion_restores_accents_only_when_that_changes_the_results(client):
    result = search(client, q="chinh tri")
    assert result["suggestion"] and result["suggestion"].lower() == "chính trị"
    accented = search(client, q="chính trị")
    assert [h["id"] for h in accented["hits"]] != [h["id"] for h in result["hits"]]
    # The words together, in any accents, are exactly the articles holding "Bộ Chính trị".
    assert search(client, q="bo chinh tri")["suggestion"] is None
    assert search(client, q="Bộ Chính trị")["suggestion"] is None


@pytest.mark.parametrize("q, expected", [
    ("bóng đa", "bóng đá"),  # no article holds "bóng đa": the page answers without accents, and says so
    ("dội tuyển quốc gia", "đội tuyển quốc gia"),  # "d" typed for "đ"
    ("thủ tuớng chính phủ", "thủ tướng chính phủ"),  # the horn left off "ư"
])
def test_a_slip_in_accents_typed_is_suggested_as_the_articles_write_the_words(client, q, expected):
    result = search(client, q=q)
    assert (result["query"], result["accents"], result["suggestion"], result["corrected"]) == (
        q, "folded", expected, None)
    # The page answered without the accents typed; the suggestion finds articles writing them as suggested.
    assert search(client, q=expected)["accents"] == "exact"


def test_words_together_only_with_other_accents_and_never_in_a_row_answer_as_typed_apart(client):
    # "Việt Nam mùa" stands in some articles, "Việt Nam" and "mưa" apart in others: no slip in a phrase
    # (no article writes "viet nam mua" in a row), so the page holds the words as typed, and says nothing
    # of accents.
    result = search(client, q="việt nam mưa")
    together = search(client, q="việt nam mưa", match="together")
    assert (together["tier"], together["accents"]) == ("together", "folded") and together["total"] > 0
    assert (result["tier"], result["accents"], result["matching"]) == ("all", "exact", "all")
    assert result["total"] == search(client, q="việt nam mưa", match="all")["total"] > 0
    assert not any("dấu" in notice for notice in result["notices"])
    # The snippets mark the word typed, "mưa", never "mùa".
    marks = {mark.lower() for hit in result["hits"] for mark in marked(hit["snippet"])}
    assert "mưa" in marks and "mùa" not in marks


@pytest.mark.parametrize("typed, read, notice", [
    ("face book", "facebook", "Đã ghép “face book” thành “facebook”."),
    ("sam sung", "samsung", "Đã ghép “sam sung” thành “samsung”."),
    ("vleague", "v league", "Đã tách “vleague” thành “v league”."),
    ("sarscov2", "sars cov 2", "Đã tách “sarscov2” thành “sars cov 2”."),
])
def test_words_typed_apart_or_run_together_find_the_articles_writing_them_as_read(client, typed, read, notice):
    result, written = search(client, q=typed, size=50), search(client, q=read, size=50)
    assert notice in result["notices"]
    assert {h["id"] for h in result["hits"]} == {h["id"] for h in written["hits"]}
    assert result["total"] == written["total"] > 0


@pytest.mark.parametrize("typed, read, notice", [
    ("HAF NOOIJ", "hà nội", "Đã hiểu cách gõ Telex/VNI: tìm “HÀ NỘI”."),
    ("tỉ lệ", '"tỷ lệ" OR "tỉ lệ"', "Tìm cả “tỷ” cho “tỉ”."),
])
def test_caps_lock_telex_and_the_rarer_spelling_of_i_or_y_find_the_articles_of_the_words_as_read(
        client, typed, read, notice):
    result, written = search(client, q=typed, size=50), search(client, q=read, size=50)
    assert result["notices"][0] == notice
    assert {h["id"] for h in result["hits"]} == {h["id"] for h in written["hits"]}
    assert result["total"] == written["total"] > 0


@pytest.mark.parametrize("typed, cited", [
    # The demo articles cite the Politburo's directive as "Chỉ thị 05", never "05-CT/TW" (the portal
    # article's own number is "05-CT/WT"); resolution 29 as "Nghị quyết 29" and once as "29/NQ-TƯ".
    ("05-CT/TW", "chỉ thị 05"),
    ("29/NQ-TƯ", "nghị quyết 29"),
])
def test_a_document_number_finds_the_articles_citing_the_document_by_its_kind_and_number(client, typed, cited):
    result, citing = search(client, q=typed, size=50), search(client, q=f'"{cited}"', size=50)
    assert result["notices"] == [f"Tìm cả “{cited}” cho “{typed}”."]
    assert {h["id"] for h in result["hits"]} >= {h["id"] for h in citing["hits"]}
    assert result["total"] >= citing["total"] > 0
    if typed == "05-CT/TW":
        assert [h["id"] for h in result["hits"]] == [PORTAL_ID]


@pytest.mark.parametrize("q", ["1/3", "1,3", "350.000", "15/2", "24/10"])
def test_a_number_written_with_separators_finds_the_articles_writing_it_so_on_either_backend(client, q):
    # "1/3" is not "1,3", "350.000" not the end of "1.350.000"; "24/10" is also a part of "24/10/2020".
    number = re.compile(r"(?<![\w.,:/])(?:[0-9]+/)*" + re.escape(q) + r"(?!\w|[.,:][0-9])")
    writing = {a["id"] for a in DEMO_ARTICLES if number.search(a["title"]) or number.search(a["body"])}
    result = search(client, q=q, size=50)
    assert ({h["id"] for h in result["hits"]}, result["total"]) == (writing, len(writing))
    assert writing


@pytest.mark.parametrize("q", ["4GB", "4 GB", "42km", "42 km", "81.000km", "81.000 km", "100USD", "100 usd"])
def test_a_number_and_its_unit_find_the_articles_writing_them_glued_on_or_apart_on_either_backend(client, q):
    # Two demo articles write "4GB" and "4 GB", two "100USD" and "100 USD", one "42km" and "42 km".
    number, unit = re.fullmatch(r"([0-9.]+) ?([a-zA-Z]+)", q).groups()
    written = re.compile(rf"(?<![\w.,:/]){re.escape(number)} ?{unit}(?!\w)", re.IGNORECASE)
    writing = {a["id"] for a in DEMO_ARTICLES if written.search(a["title"]) or written.search(a["body"])}
    result = search(client, q=q, size=50)
    assert ({h["id"] for h in result["hits"]}, result["total"]) == (writing, len(writing))
    assert writing


@pytest.mark.parametrize("q, hour", [("10h", 10), ("10 giờ", 10), ("16 gio", 16), ("12H", 12)])
def test_an_hour_finds_the_articles_writing_it_with_h_or_in_words_on_either_backend(client, q, hour):
    # Two demo articles write "10h", two "10 giờ"; one "16h", one "16 giờ"; one "12h", three "12 giờ".
    written = re.compile(rf"(?<![\w.,:/])0?{hour}(?:h| giờ)(?!\w)", re.IGNORECASE)
    writing = {a["id"] for a in DEMO_ARTICLES if written.search(a["title"]) or written.search(a["body"])}
    result = search(client, q=q, size=50)
    assert ({h["id"] for h in result["hits"]}, result["total"]) == (writing, len(writing))
    assert len(writing) >= 2


@pytest.mark.parametrize("q, word, numerals", [
    # One demo article writes "quý 4", another "quý IV"; "khoá XIV" and "thế kỷ XIX" are written so alone.
    ("quý 4", "quý", "4|IV"), ("quý IV", "quý", "4|IV"), ("quy iv", "quý", "4|IV"),
    ("khóa 14", "khoá", "14|XIV"), ("thế kỷ 19", "thế kỷ", "19|XIX"),
    # After "thứ" in words too: one demo article writes "lần thứ 2", four "lần thứ hai".
    ("lần thứ 2", "lần thứ", "2|II|hai"), ("lan thu hai", "lần thứ", "2|II|hai"),
])
def test_a_number_of_an_order_finds_the_articles_writing_it_in_either_numeral_on_either_backend(
        client, q, word, numerals):
    written = re.compile(rf"(?<!\w){word} (?:{numerals})(?!\w)", re.IGNORECASE)
    writing = {a["id"] for a in DEMO_ARTICLES if written.search(canonical_tones(f"{a['title']} {a['body']}"))}
    result = search(client, q=q, size=50)
    assert ({h["id"] for h in result["hits"]}, result["total"]) == (writing, len(writing))
    assert writing


@pytest.mark.parametrize("word", ["4GB", "10h", "UBND", "hanoi"])
def test_a_word_in_quotes_finds_only_the_articles_writing_it_as_typed_on_either_backend(client, word):
    # Unquoted, "4GB" is also "4 GB", "10h" also "10 giờ", "UBND" also "Ủy ban nhân dân", "hanoi" "Hà Nội".
    written = re.compile(rf"(?<![\w.,:/]){re.escape(word)}(?!\w)", re.IGNORECASE)
    texts = {a["id"]: f'{a["title"]} {a["body"]}' for a in DEMO_ARTICLES} | {PORTAL_ID: PORTAL_FILE.read_text("utf-8")}
    writing = {doc for doc, text in texts.items() if written.search(text)}
    result = search(client, q=f'"{word}"', size=100)
    assert ({h["id"] for h in result["hits"]}, result["total"], result["corrected"]) == (writing, len(writing), None)
    assert 0 < len(writing) <= search(client, q=word)["total"]


def test_a_quoted_word_no_article_holds_shows_the_query_without_its_quotes_on_either_backend(client):
    # The demo articles write "Covid-19", never "covid19": unquoted, the word is split.
    result, plain = search(client, q='"covid19" hà nội'), search(client, q="covid19 hà nội")
    assert result["corrected"] == {"typed": '"covid19" hà nội', "searched": "covid19 hà nội"}
    assert result["notices"][0] == ("Không có bài nào chứa đủ các từ “\"covid19\" hà nội”: "
                                    "hiển thị kết quả cho “covid19 hà nội”.")
    assert ([h["id"] for h in result["hits"]], result["total"]) == ([h["id"] for h in plain["hits"]], plain["total"])
    assert plain["total"] > 0 and plain["corrected"] is None
    # Found nowhere without its quotes either: nothing is shown in its place.
    nowhere = search(client, q='"xyzzyq"')
    assert (nowhere["total"], nowhere["corrected"], nowhere["suggestion"]) == (0, None, None)


def test_a_document_number_no_article_holds_answers_nothing_and_names_it(client):
    result = search(client, q="quyết định 281/QĐ-TTg")
    assert (result["total"], [h["id"] for h in result["hits"]], result["notices"]) == (
        1, ["unc-news_education_010"], [])
    absent = search(client, q="quyết định số 15/2021/QĐ-TTg")
    assert (absent["total"], absent["hits"], absent["tier"], absent["wider"], absent["facets"]["year"]) == (
        0, [], "all", {"most": 0}, [])
    # Nothing found: no "showing articles holding part of the words" notice either.
    assert absent["notices"] == ["Không có bài nào nhắc đến “15/2021/QĐ-TTg”."]


@pytest.mark.parametrize("q", [
    "Trương hoa Bình", "giá vàng",  # few articles, and they write the accents typed
    "bồ chính trí",  # no article holds these accents, and "Bộ Chính trị" finds the very page shown
])
def test_no_slip_is_suggested_for_accents_the_articles_write_or_for_the_page_already_shown(client, q):
    assert search(client, q=q)["suggestion"] is None


def test_a_slip_the_page_found_as_typed_is_suggested_beside_that_page(client):
    # "Viêt Nam" finds the two articles of its abbreviation "VN"; "viêt" is held by no article, and those
    # articles write "Việt Nam": the page stays what was typed, "did you mean" offers the words.
    result = search(client, q="Viêt Nam")
    assert (result["total"], result["accents"], result["suggestion"], result["corrected"]) == (
        2, "exact", "Việt Nam", None)


def test_a_question_whose_accents_no_article_holds_together_gets_no_slip_suggested(client):
    # Fewer than half of its words are written with these accents: answered folded, from articles
    # whose words would read as slips.
    result = search(client, q="Bế bởi cò láy truyện virus khống")
    assert (result["accents"], result["suggestion"]) == ("folded", None)


def test_size_is_capped_not_rejected(client):
    result = search(client, q="", size="10000000")
    assert result["size"] == 50 and len(result["hits"]) == 50  # the documented cap


# Bad parameters -----------------------------------------------------------------------


@pytest.mark.parametrize("params, param", [
    ({"page": "-1"}, "page"),
    ({"page": "0"}, "page"),
    ({"page": "abc"}, "page"),
    ({"page": "1001"}, "page"),
    ({"size": "abc"}, "size"),
    ({"size": "0"}, "size"),
    ({"from": "2019-13-45"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"sort": "bogus"}, "sort"),
    ({"month": "13", "year": "2020"}, "month"),
    ({"month": "2020-13"}, "month"),
    ({"year": "20201"}, "year"),
])
def test_bad_parameters_are_400_json(client, params, param):
    response = client.get("/api/search", query_string={"q": "viet nam", **params})
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "bad_parameter"
    assert error["param"] == param
    assert isinstance(error["message"], str) and param in error["message"]


@pytest.mark.parametrize("q", [
    "\x00", "bo\x00chinh\x00tri", "\x01\x02\x1f\x7f", "a" * 100_000, "bộ " * 5_000, '"', '"""', "-", "- - -",
    "title:", "category:", "source:\"", "%00", "\u202e\u200b\ufeff", "(((", "*", "?", "\\", "<script>",
])
def test_strange_queries_never_fail(client, q):
    for path in ("/api/search", "/api/suggest", "/"):
        response = client.get(path, query_string={"q": q})
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])


def test_raw_query_strings_never_fail(client):
    for raw in ("q=%FF%FE%00", "q=%E1%BB", "page=%00", "size=1e3", "category=&category=", "year=%00",
                "month=2020-%00", "from=%F0%9F%98%80", "q=" + "%C3%A0" * 3000, "sort=&page=&size=", "&&&=&="):
        response = client.get("/api/search?" + raw)
        assert response.status_code in (200, 400), raw
        assert response.mimetype == "application/json"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(SEARCH_PARAMS), st.text(max_size=30), max_size=5))
def test_any_parameter_values_give_200_or_400(client, params):
    response = client.get("/api/search", query_string=params)
    assert response.status_code in (200, 400)
    body = response.get_json()
    assert ("error" in body) == (response.status_code == 400)


# Articles, suggestions, health ------------------------------------------------------------


def test_article_by_id(client):
    response = client.get(f"/api/articles/{PORTAL_ID}")
    assert response.status_code == 200
    article = response.get_json()
    assert article["id"] == PORTAL_ID
    assert article["portal"] == "Cổng thông tin điện tử Kiên Giang"
    assert "Chỉ thị 05" in article["body"] and len(article["body"]) > 1000
    assert "<mark>" not in article["body_html"]
    assert published(article).isoformat() == "2019-08-21T08:12:00+07:00"


def test_article_marks_query_words(client):
    article = client.get(f"/api/articles/{PORTAL_ID}", query_string={"q": "bo chinh tri"}).get_json()
    assert "Bộ Chính trị" in marked(article["body_html"])
    assert "Bộ Chính trị" in marked(article["title_html"])


def test_dantri_article_by_id(client):
    hit = search(client, q="Vinamilk")["hits"][0]
    article = client.get(f"/api/articles/{hit['id']}").get_json()
    assert article["title"] == hit["title"] and article["url"].startswith("https://dantri.com.vn/")


@pytest.mark.parametrize("doc_id", ["nope", "a/b/c", "kiengiang-2019-08-21-chi-thi-05", "%00", "../../etc/passwd"])
def test_unknown_article_is_404_json(client, doc_id):
    response = client.get(f"/api/articles/{doc_id}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_an_unknown_article_is_named_in_the_error_by_at_most_200_characters_of_its_id(client):
    for doc_id in ("nope", "x" * 300):
        response = client.get(f"/api/articles/{doc_id}")
        assert response.status_code == 404
        message = f"no article with id {doc_id[:200]!r}"
        assert response.get_json() == {"error": {"code": "not_found", "message": message}}


def test_an_article_marks_the_query_as_its_match_parameter_asks_and_refuses_an_unknown_one(client):
    def title_html(**params):
        return client.get(f"/api/articles/{PORTAL_ID}", query_string={"q": "Bộ Chính trị", **params}).get_json()[
            "title_html"]

    # The tightest tier marks the phrase alone; "all" marks its words wherever they stand.
    assert marked(title_html()) == marked(title_html(match="auto")) == ["Bộ Chính trị"]
    assert marked(title_html(match="all")) == ["bộ", "Bộ Chính trị"]
    response = client.get(f"/api/articles/{PORTAL_ID}", query_string={"match": "bogus"})
    assert response.status_code == 400
    message = "'match' must be one of auto, together, all, most, not 'bogus'"
    assert response.get_json() == {"error": {"code": "bad_parameter", "message": message, "param": "match"}}


def test_suggest(client):
    result = client.get("/api/suggest", query_string={"q": "bo chinh"}).get_json()
    assert result["query"] == "bo chinh"
    assert 1 <= len(result["suggestions"]) <= 8
    ids = [s["id"] for s in result["suggestions"]]
    assert PORTAL_ID in ids
    first = result["suggestions"][0]
    assert set(first) == {"text", "html", "id", "derived", "url"}
    assert first["url"] == "/articles/" + first["id"] and first["derived"] is False
    assert any(marked(s["html"]) for s in result["suggestions"])
    completions = client.get("/api/suggest", query_string={"q": "ung th"}).get_json()["completions"]
    assert completions[0] == {"text": "ung thư", "html": "<mark>ung thư</mark>", "count": 7}
    nothing = {"query": "", "suggestions": [], "completions": []}
    assert client.get("/api/suggest", query_string={"q": ""}).get_json() == nothing
    assert client.get("/api/suggest").get_json() == nothing


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    health = response.get_json()
    assert health["status"] == "ok" and health["documents"] == 201
    assert datetime.fromisoformat(health["last_reindex"]).tzinfo is not None
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_answers_503_while_part_of_the_backend_is_down(demo_index, monkeypatch):
    app = create_app({"INDEX_DIR": str(demo_index)})
    backend = app.extensions["vnsearch"].backend
    healthy = backend.health()
    nodes = [{"name": "shard0", "state": "up"}, {"name": "shard1", "state": "down"}]
    monkeypatch.setattr(backend, "health", lambda: {**healthy, "status": "degraded", "nodes": nodes})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "degraded", "documents": 201, "last_reindex": healthy["last_reindex"],
                                   "generation": healthy["generation"], "nodes": nodes}
    assert response.headers["Cache-Control"] == "no-store"


def test_missing_index_is_503(tmp_path):
    client = create_app({"INDEX_DIR": str(tmp_path / "nothing-here")}).test_client()
    message = f"no index in {tmp_path / 'nothing-here'}: run `vnsearch reindex SOURCE ...` first"
    for path in ("/api/search?q=a", "/api/suggest?q=a", "/healthz", "/api/articles/x"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.get_json() == {"error": {"code": "index_missing", "message": message}}
    page = client.get("/?q=a")
    assert page.status_code == 503 and page.mimetype == "text/html"
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert [soup.find("h1").get_text(), soup.select_one(".error-message").get_text()] == [
        "Chỉ mục chưa sẵn sàng", "Chưa có chỉ mục tìm kiếm. Hãy chạy “vnsearch reindex” rồi tải lại trang."]


def test_unexpected_errors_leak_nothing(demo_index, caplog):
    app = create_app({"INDEX_DIR": str(demo_index)})

    def explode(*args, **kwargs):
        raise RuntimeError("secret-internal-detail")

    app.extensions["vnsearch"].search = explode
    client = app.test_client()
    api = client.get("/api/search?q=a")
    assert api.status_code == 500
    assert api.get_json() == {"error": {"code": "internal_error", "message": "Internal server error"}}
    page = client.get("/?q=a")
    assert page.status_code == 500 and page.mimetype == "text/html"
    message = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one(".error-message").get_text()
    assert message == "Máy chủ gặp lỗi khi xử lý yêu cầu. Vui lòng thử lại sau."
    for response in (api, page):
        text = response.get_data(as_text=True)
        assert "secret-internal-detail" not in text and "Traceback" not in text
    assert "secret-internal-detail" in caplog.text, "the error must be logged for the operator"
    assert [record.getMessage() for record in caplog.records if record.name == "vnsearch.web"] == [
        "unhandled error on GET /api/search", "unhandled error on GET /"]


DAMAGE = [Problem("_MAIN_3.seg", "checksum", "CRC32 4f2a91c0, recorded 0b7e33d1")]


@pytest.mark.parametrize("error, code, title, message, extra, level", [
    (BackendError("node shard1 at 127.0.0.1:9312 does not answer"), "backend_unavailable",
     "Dịch vụ tìm kiếm tạm thời gián đoạn",
     "Máy chủ tìm kiếm tạm thời không phản hồi. Vui lòng thử lại sau ít phút.", {}, "WARNING"),
    (IndexDamaged("/srv/vnsearch/index", DAMAGE), "index_damaged", "Chỉ mục bị hỏng",
     "Chỉ mục tìm kiếm bị hỏng nên tạm thời không thể tìm kiếm. "
     "Quản trị viên cần chạy “vnsearch check” và “vnsearch reindex --full”.",
     {"problems": [{"file": "_MAIN_3.seg", "kind": "checksum", "problem": "CRC32 4f2a91c0, recorded 0b7e33d1"}]},
     "ERROR"),
])
def test_a_backend_down_or_a_damaged_index_is_a_503_that_names_it_and_is_logged(demo_index, caplog, error, code,
                                                                                title, message, extra, level):
    app = create_app({"INDEX_DIR": str(demo_index)})

    def fail(*args, **kwargs):
        raise error

    app.extensions["vnsearch"].search = fail
    client = app.test_client()
    api = client.get("/api/search?q=a")
    assert api.status_code == 503
    assert api.get_json() == {"error": {"code": code, "message": str(error), **extra}}
    page = client.get("/?q=a")
    assert page.status_code == 503 and page.mimetype == "text/html"
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert [soup.find("h1").get_text(), soup.select_one(".error-message").get_text()] == [title, message]
    assert [(record.levelname, record.getMessage()) for record in caplog.records if record.name == "vnsearch.web"] == [
        (level, ("search backend unavailable: " if level == "WARNING" else "") + str(error))] * 2


def test_an_http_error_without_a_code_of_its_own_is_answered_as_http_error(demo_index):
    app = create_app({"INDEX_DIR": str(demo_index)})
    app.add_url_rule("/api/teapot", "teapot", lambda: abort(418))  # a status ERROR_CODES does not name
    response = app.test_client().get("/api/teapot")
    assert (response.status_code, response.get_json()) == (418, {"error": {
        "code": "http_error", "message": ImATeapot.description}})


def test_unknown_api_route_and_method(client):
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = client.post("/api/search")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


# Headers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/", "/?q=bo+chinh+tri", "/?page=abc", f"/articles/{PORTAL_ID}", "/articles/nope", "/api/search?q=a",
    "/api/search?page=-1", "/api/suggest?q=a", f"/api/articles/{PORTAL_ID}", "/api/articles/nope", "/healthz",
    "/api/openapi.json", "/static/style.css", "/static/autocomplete.js", "/no/such/page",
])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Werkzeug" not in response.headers.get("Server", "")


def test_an_app_answers_compact_utf8_json_in_the_api_s_own_key_order_and_lets_static_files_be_cached_an_hour(
        demo_index):
    client = create_app({"INDEX_DIR": str(demo_index)}).test_client()  # what create_app itself sets up
    assert client.get("/api/suggest", query_string={"q": "qqqzz bộ"}).data == (
        '{"query":"qqqzz bộ","suggestions":[],"completions":[]}\n'.encode())
    assert client.get("/static/style.css").headers["Cache-Control"] == "public, max-age=3600"


def test_an_app_hands_its_refresh_interval_and_its_backend_to_its_engine(demo_index, tmp_path, monkeypatch):
    embedded = create_app({"INDEX_DIR": str(demo_index), "REFRESH_SECONDS": 7.5}).extensions["vnsearch"].backend
    assert (type(embedded).__name__, embedded.refresh_seconds) == ("WhooshBackend", 7.5)
    url = "sphinxql://127.0.0.1:9,127.0.0.1:10"  # nothing is asked of the nodes before a search
    monkeypatch.setenv("VNSEARCH_BACKEND", url)
    cluster = create_app({"INDEX_DIR": str(tmp_path / "lock")}).extensions["vnsearch"].backend
    assert (type(cluster).__name__, cluster.cluster.url) == ("ClusterBackend", url)


def test_an_app_made_without_configuration_takes_its_index_and_synonyms_from_the_environment_with_its_error_handlers(
        demo_index, monkeypatch, tmp_path):
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("BOCT | bộ chính trị\n", encoding="utf-8")  # an entry the shipped dictionary lacks
    monkeypatch.setenv("VNSEARCH_INDEX", str(demo_index))
    monkeypatch.setenv("VNSEARCH_SYNONYMS", str(synonyms))
    client = create_app().test_client()
    assert client.get("/healthz").get_json()["documents"] == 201
    assert search(client, q="BOCT")["total"] == search(client, q="bộ chính trị")["total"] > 0
    response = client.get("/api/search?page=abc")
    assert (response.status_code, response.get_json()["error"]["code"]) == (400, "bad_parameter")


@pytest.mark.parametrize("path, status, code", [("/api/search?q=a", 431, "headers_too_large"),
                                                ("/healthz", 414, "uri_too_long"), ("/api", 404, "not_found")])
def test_the_api_answers_a_request_the_server_found_too_large_and_any_path_under_api_in_json(client, path, status,
                                                                                              code):
    environ = {TOO_LARGE_ENVIRON_KEY: status} if status != 404 else {}
    response = client.get(path, environ_base=environ)
    assert response.status_code == status and response.get_json()["error"]["code"] == code


# OpenAPI ------------------------------------------------------------------------------------


def json_schema(node):
    """Turn an OpenAPI 3.0 schema into JSON Schema (nullable becomes a null type)."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        converted["type"] = [node["type"], "null"]
    return converted


@pytest.fixture(scope="module")
def openapi(app):
    """Return the served OpenAPI document."""
    document = app.test_client().get("/api/openapi.json").get_json()
    assert document == openapi_document()
    return document


def validate(openapi: dict, path: str, status: int, body) -> None:
    """Validate a response body against the schema the document gives for path and status."""
    responses = openapi["paths"][path]["get"]["responses"]
    assert str(status) in responses, f"{path} does not document status {status}"
    schema = copy.deepcopy(responses[str(status)]["content"]["application/json"]["schema"])
    schema["components"] = json_schema(openapi["components"])
    Draft202012Validator(json_schema(schema), format_checker=FormatChecker()).validate(body)


def nodes(node, where: str = ""):
    """Yield (where, node) for the document and every object in it."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from nodes(value, f"{where}/{key}")
    elif isinstance(node, list):
        for number, value in enumerate(node):
            yield from nodes(value, f"{where}/{number}")


def test_openapi_document_is_openapi_3(openapi):
    assert openapi["openapi"].startswith("3.0")
    validate_openapi(openapi, cls=OpenAPIV30SpecValidator)  # raises on any departure from OpenAPI 3.0
    Draft202012Validator.check_schema(json_schema({"components": openapi["components"]}))
    for _path, item in openapi["paths"].items():
        for operation in item.values():
            assert operation["responses"]["200"]["content"]["application/json"]["schema"]


def test_openapi_covers_every_route(app, openapi):
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{id}" if m.group(1) == "doc_id" else f"{{{m.group(1)}}}",
                     rule.rule)
              for rule in app.url_map.iter_rules() if rule.rule.startswith(("/api", "/healthz"))}
    assert routes == set(openapi["paths"])


def test_openapi_search_parameters_match_the_code(openapi):
    parameters = {p["name"]: p for p in openapi["paths"]["/api/search"]["get"]["parameters"]}
    assert set(parameters) == set(SEARCH_PARAMS)
    assert parameters["sort"]["schema"]["enum"] == list(SORTS)


@pytest.mark.parametrize("path", ["/api/search", "/api/articles/{id}"])
def test_openapi_match_parameter_offers_every_tier_and_defaults_to_auto(openapi, path):
    parameters = {p["name"]: p for p in openapi["paths"][path]["get"]["parameters"]}
    match = parameters["match"]
    assert match["description"].startswith(("The tier to answer from: 'auto'", "Mark them as this tier matched"))
    assert {key: value for key, value in match.items() if key != "description"} == {
        "name": "match", "in": "query", "required": False,
        "schema": {"type": "string", "enum": list(MATCH_MODES), "default": "auto"}}


def test_openapi_parameters_are_optional_query_parameters_but_the_article_id(openapi):
    placed = {(path, p["name"]): (p["in"], p["required"])
              for path, item in openapi["paths"].items() for p in item["get"].get("parameters", [])}
    assert placed.pop(("/api/articles/{id}", "id")) == ("path", True)
    assert set(placed.values()) == {("query", False)}
    assert set(placed) == {*(("/api/search", name) for name in SEARCH_PARAMS), ("/api/articles/{id}", "q"),
                           ("/api/articles/{id}", "match"), ("/api/suggest", "q")}


def test_openapi_describes_every_parameter_object_and_field(openapi):
    undescribed, empty = [], []
    for where, node in nodes(openapi):
        if "description" in node and not (isinstance(node["description"], str) and node["description"].strip()):
            empty.append(where)
        if node.get("type") == "object" and "properties" in node:
            undescribed += [f"{where}/properties/{name}" for name, field in node["properties"].items()
                            if "description" not in field]
            undescribed += [] if "description" in node else [where]
    for path, item in openapi["paths"].items():
        undescribed += [f"{path}/{p['name']}" for p in item["get"].get("parameters", []) if "description" not in p]
    assert (undescribed, empty) == ([], [])


def test_openapi_objects_are_closed_and_require_every_field_but_the_optional_ones(openapi):
    objects = {where: node for where, node in nodes(openapi["components"])
               if node.get("type") == "object" and "properties" in node}
    assert len(objects) == 15  # the seven schemas, and the objects inside them
    optional = {"/schemas/Error/properties/error": ["param", "problems"], "/schemas/Health": ["nodes"],
                "/schemas/Health/properties/nodes/items": ["documents", "error"]}
    assert {where: (node["additionalProperties"], node["required"]) for where, node in objects.items()} == {
        where: (False, [name for name in node["properties"] if name not in optional.get(where, [])])
        for where, node in objects.items()}


@pytest.mark.parametrize("params", [
    {"q": "bo chinh tri"}, {"q": "viet nam", "year": "2020", "month": "2020-11", "sort": "newest"},
    {"q": ""}, {"category": "Thể thao", "size": "3"}, {"q": "zzzzqqq"}, {"q": "\x00" * 3},
    {"q": "viet nam", "from": "2020-10-01", "to": "2020-10-31", "source": "dantri.com.vn"},
    {"q": "tăng cường vai trò nêu gương cán bộ đảng viên thực hiện chỉ thị xyzzy"},
])
def test_openapi_true_for_search(client, openapi, params):
    validate(openapi, "/api/search", 200, search(client, **params))


def refused(openapi: dict, path: str, body) -> bool:
    """Return whether the document refuses a 200 answer of path with this body."""
    try:
        validate(openapi, path, 200, body)
    except ValidationError:
        return True
    return False


@pytest.mark.parametrize("where", [(), ("hits", 0), ("facets",), ("facets", "year", 0), ("filters",)])
def test_openapi_refuses_an_answer_with_a_field_it_does_not_describe_or_without_one_it_does(client, openapi, where):
    result = search(client, q="bo chinh tri", **{"from": "2020-01-01"})
    assert not refused(openapi, "/api/search", result)
    for change in ("added", "removed"):
        changed = copy.deepcopy(result)
        node = changed
        for step in where:
            node = node[step]
        if change == "added":
            node["unexpected"] = 1
        else:
            node.pop(sorted(node)[0])
        assert refused(openapi, "/api/search", changed), (where, change)


def test_openapi_refuses_dates_and_times_not_written_in_iso_8601(client, openapi):
    assert "date-time" in FormatChecker.checkers  # checked only with rfc3339-validator installed
    result = search(client, q="bo chinh tri", **{"from": "2020-01-01", "to": "2021-12-31"})
    article = client.get(f"/api/articles/{PORTAL_ID}").get_json()
    health = client.get("/healthz").get_json()
    for path, body, keys in (("/api/search", result, ("hits", 0, "published")), ("/api/search", result,
                             ("filters", "from")), ("/api/search", result, ("filters", "to")),
                             ("/api/articles/{id}", article, ("published",)), ("/healthz", health, ("last_reindex",))):
        changed = copy.deepcopy(body)
        node = changed
        for step in keys[:-1]:
            node = node[step]
        assert node[keys[-1]] and not refused(openapi, path, changed)
        node[keys[-1]] = "06/12/2026" if keys[0] == "filters" else "06/12/2026 08:00"
        assert refused(openapi, path, changed), keys


def test_openapi_document_given_to_a_caller_is_its_own_to_change(openapi):
    mine = openapi_document()
    mine["paths"]["/api/search"]["get"]["parameters"].clear()
    mine["components"]["schemas"]["Hit"]["properties"].clear()
    assert openapi_document() == openapi


def test_openapi_true_for_every_endpoint(client, openapi, tmp_path):
    validate(openapi, "/api/articles/{id}", 200, client.get(f"/api/articles/{PORTAL_ID}?q=chi+thi").get_json())
    validate(openapi, "/api/articles/{id}", 404, client.get("/api/articles/nope").get_json())
    validate(openapi, "/api/suggest", 200, client.get("/api/suggest?q=ha+no").get_json())
    validate(openapi, "/api/suggest", 200, client.get("/api/suggest?q=").get_json())
    validate(openapi, "/healthz", 200, client.get("/healthz").get_json())
    validate(openapi, "/api/search", 400, client.get("/api/search?page=abc").get_json())
    validate(openapi, "/api/openapi.json", 200, client.get("/api/openapi.json").get_json())
    missing = create_app({"INDEX_DIR": str(tmp_path / "none")}).test_client()
    for path, url in (("/api/search", "/api/search"), ("/healthz", "/healthz"), ("/api/suggest", "/api/suggest?q=a"),
                      ("/api/articles/{id}", "/api/articles/x")):
        validate(openapi, path, 503, missing.get(url).get_json())


def test_the_app_keeps_the_configured_megabytes_of_decoded_postings(demo_index, monkeypatch):
    monkeypatch.setenv("VNSEARCH_POSTINGS_CACHE_MB", "3")
    cached = create_app({"INDEX_DIR": str(demo_index)})
    uncached = create_app({"INDEX_DIR": str(demo_index), "POSTINGS_CACHE_MB": 0})
    cache = cached.extensions["vnsearch"].backend.postings_cache
    assert cache.budget == 3 * 1024 * 1024 and uncached.extensions["vnsearch"].backend.postings_cache is None
    answers = [app.test_client().get("/api/search", query_string={"q": "Bộ Chính trị"}) for app in (cached, uncached)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].get_json()["hits"] == answers[1].get_json()["hits"]
    assert 0 < cache.size <= cache.budget
