""""Did you mean" suggestions (accents restored, typos corrected) and title autocomplete."""

from __future__ import annotations

import html
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unidecode import unidecode

from search.autocomplete import MAX_COMPLETIONS
from search.request import SearchRequest
from search.suggest import _edits
from web.app import create_app

PORTAL_TITLE = (
    "Tăng cường vai trò nêu gương của cán bộ, đảng viên trong việc thực hiện Chỉ thị 05 của Bộ Chính trị"
)


def folded(text: str) -> list[str]:
    return [unidecode(w).lower() for w in re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text))]


def suggestion(engine, q: str):
    return engine.search(SearchRequest(q=q))["suggestion"]


@pytest.fixture(scope="module")
def client(demo_index):
    """Return a test client of the web app over the demo index."""
    return create_app({"INDEX_DIR": str(demo_index)}).test_client()


def titles(engine, typed: str, limit: int = MAX_COMPLETIONS) -> list[str]:
    return [s["text"] for s in engine.suggest(typed, limit)["suggestions"]]


# Did you mean --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q, expected",
    [
        ("bo chinh tri", "bộ chính trị"),
        ("Bo Chinh Tri", "Bộ Chính Trị"),
        ("chi thi 05 bo chinh tri", "chỉ thị 05 bộ chính trị"),
        ('"bo chinh tri"', '"bộ chính trị"'),
        ("ha noi", "hà nội"),
        ("Ha Noi", "Hà Nội"),
        ("thu tuong", "thủ tướng"),
        ("bong da", "bóng đá"),
        ("giao duc", "giáo dục"),
        ("khung long", "khủng long"),
    ],
)
def test_unaccented_query_gets_its_accents_restored(engine, q, expected):
    assert suggestion(engine, q) == expected


def test_suggestion_for_bo_chinh_tri_finds_the_portal_article_first(engine):
    suggested = suggestion(engine, "bo chinh tri")
    assert "bộ chính trị" in suggested
    result = engine.search(SearchRequest(q=suggested))
    assert result["hits"][0]["id"] == "kiengiang-2019-08-21-chi-thi-05.txt"


def test_city_name_accents_are_restored_as_the_city(engine):
    # Both articles holding "Đà Nẵng" are the top hits of "da nang"; the frequent
    # "đã" (already) must not win over the words that stand side by side in them.
    top = engine.search(SearchRequest(q="da nang"))["hits"][:2]
    assert all("Đà Nẵng" in engine.article(h["id"])["body"] + h["title"] for h in top)
    assert suggestion(engine, "da nang") == "đà nẵng"


@pytest.mark.parametrize(
    "q, expected",
    [("nguoj", "người"), ("nguoj viet nam", "người việt nam"), ("covdi", "covid"), ("hoc sinj", "học sinh"),
     ("viet nma", "việt nam")],
)
def test_typo_is_corrected_towards_a_frequent_syllable_one_edit_away(engine, q, expected):
    suggested = suggestion(engine, q)
    assert suggested == expected
    typo = [t for t in folded(q) if t not in folded(expected)]
    fixed = [t for t in folded(expected) if t not in folded(q)]
    assert len(typo) == len(fixed) == 1 and fixed[0] in _edits(typo[0])
    # The corrected query finds articles holding every word.
    fixed_result = engine.search(SearchRequest(q=suggested))
    assert fixed_result["total"] > 0 and fixed_result["matching"] == "all"


def test_typo_correction_keeps_the_accents_that_were_typed(engine):
    # "giáo dụv": the user typed accents; the suggestion must not swap in a bare "du".
    suggested = suggestion(engine, "giáo dụv")
    assert suggested is not None
    first, second = suggested.split()
    assert first == "giáo"
    assert not second.isascii(), suggested
    assert folded(second)[0] in _edits("duv")


@pytest.mark.parametrize("q", ["bộ chính trị", "Hà Nội", "covid", "chỉ thị 05", "bóng đá", "giáo dục", "việt nam"])
def test_no_suggestion_when_the_query_is_already_the_best_form(engine, q):
    assert suggestion(engine, q) is None


@pytest.mark.parametrize("q", ["bo -chinh", "title:ha noi"])
def test_no_suggestion_for_queries_with_exclusions_or_fields(engine, q):
    assert suggestion(engine, q) is None


def test_no_suggestion_for_a_word_with_no_frequent_neighbour(engine):
    assert suggestion(engine, "qwxzv") is None


# Autocomplete --------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["ha no", "Hà Nộ", "HÀ NỘ", "hà nô"])
def test_autocomplete_gives_the_same_titles_with_or_without_diacritics(engine, typed):
    expected = titles(engine, "ha no")
    assert expected and len(expected) <= MAX_COMPLETIONS
    assert titles(engine, typed) == expected
    for title in expected:
        words = folded(title)
        assert any(words[i] == "ha" and words[i + 1].startswith("no") for i in range(len(words) - 1)), title


def test_autocomplete_titles_starting_with_the_typed_words_come_first(engine):
    found = titles(engine, "ha no")
    starting = [t for t in found if folded(t)[:2] == ["ha", "noi"]]
    assert starting and found[: len(starting)] == starting


def test_autocomplete_returns_at_most_eight_distinct_titles(engine, client):
    for typed in ("c", "t", "n", "vi"):
        found = [s["text"] for s in engine.suggest(typed)["suggestions"]]
        assert len(found) == 8, typed
        suggestions = client.get("/api/suggest", query_string={"q": typed}).get_json()["suggestions"]
        assert [s["text"] for s in suggestions] == found
        assert len({t.lower() for t in found}) == len(found)
    assert len(titles(engine, "c", limit=3)) == 3


def test_autocomplete_completes_the_last_word(engine):
    [completion] = engine.suggest("vinami")["suggestions"]
    assert completion == {
        "text": "Vinamilk lọt Top 1.000 thương hiệu hàng đầu châu Á",
        "html": "<mark>Vinami</mark>lk lọt Top 1.000 thương hiệu hàng đầu châu Á",
        "id": "unc-news_business_001",
    }


def test_autocomplete_after_a_finished_word_matches_whole_words(engine):
    assert titles(engine, "chi thi ") == [PORTAL_TITLE]
    assert titles(engine, "Chỉ thị 0") == [PORTAL_TITLE]


def test_autocomplete_html_is_escaped_and_marks_typed_words(engine):
    found = engine.suggest("bo gd")["suggestions"]
    assert found
    for item in found:
        assert html.unescape(item["html"].replace("<mark>", "").replace("</mark>", "")) == item["text"]
        assert "&" not in item["text"] or "&amp;" in item["html"]
    assert any("<mark>Bộ</mark> <mark>GD</mark>&amp;ĐT" in item["html"] for item in found)


@pytest.mark.parametrize("typed", ["", "   ", "?!", "xyzqv", "\x00"])
def test_autocomplete_without_a_match_returns_no_titles(engine, typed):
    assert titles(engine, typed) == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.one_of(st.text(max_size=150),
                       st.text(alphabet="aăâbcdđeêhiklmnoôơtuưyàáảãạộốớờủứữ \"-:&<>😀\x00", max_size=40)))
def test_autocomplete_never_raises_and_returns_escaped_titles(engine, typed):
    found = engine.suggest(typed)["suggestions"]
    assert len(found) <= MAX_COMPLETIONS
    for item in found:
        assert set(item) == {"text", "html", "id"}
        assert html.unescape(item["html"].replace("<mark>", "").replace("</mark>", "")) == item["text"]
