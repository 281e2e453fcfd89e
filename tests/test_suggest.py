""""Did you mean" suggestions (accents restored, typos corrected) and title autocomplete."""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unidecode import unidecode

from search import suggest
from search.autocomplete import MAX_COMPLETIONS
from search.engine import SearchEngine
from search.index import reindex
from search.parse import parse_query, syllables_of
from search.ranking import DEFAULT_RANKING
from search.request import SearchRequest
from search.spelling import edits
from search.suggest import _candidates, _restored, _slip_restored
from search.text import fold
from search.whoosh_backend import DERIVED_TITLE_WORDS
from tests.helpers import DEMO_ARTICLES, fixture_engines, write_jsonl
from web.app import create_app

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PORTAL_TITLE = (
    "Tăng cường vai trò nêu gương của cán bộ, đảng viên trong việc thực hiện Chỉ thị 05 của Bộ Chính trị"
)


def folded(text: str) -> list[str]:
    return [unidecode(w).lower() for w in re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text))]


def suggestion(engine, q: str):
    # As typed: with correction on, a query that finds nothing shows its suggestion's results instead.
    return engine.search(SearchRequest(q=q, correct=False))["suggestion"]


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
        ("chinh tri", "chính trị"),
        # Capitalised as the articles write it.
        ("thu tuong", "Thủ tướng"),
        ("tran dau", "trận đấu"),
        ("giao duc", "giáo dục"),
        # A word typed twice is restored at both places; "Bộ" capitalised as the top articles write it
        # beside "chính" and "y" (mostly "bộ" elsewhere), "y" as they write it beside "bộ" and "tế".
        ("bo chinh tri va bo y te", "Bộ Chính trị và Bộ y tế"),
        # The tone mark where the articles put it: "hóa" 134 times in the demo articles, "hoá" 9 (the
        # index spells both "hoá").
        ("van hoa", "văn hóa"),
    ],
)
def test_unaccented_query_gets_its_accents_restored(engine, q, expected):
    assert suggestion(engine, q) == expected


def test_an_accented_word_with_a_letter_more_is_corrected_to_an_accented_word(engine):
    # "khoe" (folded: the articles' "khỏe", "khoe" and every other accenting of it together) outweighed
    # "khoẻ"; accents typed are accents meant.
    assert suggestion(engine, "sức khỏee") == "sức khoẻ"


def test_an_accented_words_spellings_one_edit_away_are_accented_and_read_from_what_was_typed():
    # "lạii" is stored with its tone on the last vowel ("laịi"): "lại" is one edit from what was typed.
    candidates = _candidates(parse_query("lạii").syllables[0])
    assert "lại" in candidates and "lai" not in candidates
    assert all(candidate != fold(candidate) for candidate in candidates)


@pytest.mark.parametrize("typo, meant", [
    ("covidd", "covid"), ("thoi tiett", "thời tiết"), ("suc khoee", "sức khỏe"), ("hanoii", "hanoi"),
])
def test_a_last_letter_typed_twice_finds_what_the_word_finds(engine, typo, meant):
    # Read as a slip, not as the word and a letter ("covid d", "tiet t", "khoe e"): the page of the word.
    page, wanted = engine.search(SearchRequest(q=typo)), engine.search(SearchRequest(q=meant))
    assert wanted["total"] > 1
    shown = lambda result: (result["total"], [hit["id"] for hit in result["hits"]])  # noqa: E731
    assert shown(page) == shown(wanted)


@pytest.mark.parametrize("title, places", [
    # Demo titles typed without accents: a word typed twice is restored at each place as the top articles
    # write it there (both places got one spelling: "cơ xưa ... cơ nguy cơ", "đổ/đỏ" both "độ", "Hà lăn").
    ("Thành phố cổ xưa nhất thế giới xây bằng gạch bùn có nguy cơ sụp đổ", {2: "cổ", 11: "có", 13: "cơ", 15: "đổ"}),
    ("Thác nước đổ từ độ cao 128 m xuyên qua tầng địa chất sắc vân đỏ rực", {2: "đổ", 4: "độ", 15: "đỏ"}),
    ("Rời sân trên xe lăn, tay vợt người Hà Lan bị tố... làm trò", {4: "lăn", 8: "Hà", 9: "Lan"}),
], ids=["co-co-co", "do-do-do", "lan-lan"])
def test_a_word_typed_twice_without_accents_is_restored_at_each_place(engine, title, places):
    from unidecode import unidecode

    words = suggestion(engine, unidecode(title).lower()).replace("...", " ").replace(",", " ").split()
    assert {at: words[at] for at in places} == places


@pytest.mark.parametrize("q, parses", [("bo chinh tri va bo y te", 1), ("chinh trj", 2)])
def test_a_query_with_nothing_to_correct_is_parsed_once_for_its_suggestion(engine, monkeypatch, q, parses):
    # The accents of an unaccented query are restored on its text as parsed for the typos when no
    # typo was corrected (a pasted paragraph's parse is half a millisecond); a corrected text is parsed
    # again.
    parsed = []
    parse = suggest.parse_query
    monkeypatch.setattr(suggest, "parse_query", lambda *a, **k: parsed.append(a[0]) or parse(*a, **k))
    expected = {"bo chinh tri va bo y te": "Bộ Chính trị và Bộ y tế", "chinh trj": "chính trị"}[q]
    assert suggestion(engine, q) == expected
    assert len(parsed) == parses


# With the words kept together (search.matching), "bo chinh tri" and "khung long" already find
# exactly the articles their accented forms find; so does a question whose words stand together.
@pytest.mark.parametrize("q", ['"bo chinh tri"', "bo chinh tri", "khung long", "ha noi", "Ha Noi", "viet nam",
                               "nguoi viet nam", "chi thi 05 bo chinh tri"])
def test_no_suggestion_when_the_accents_would_not_change_the_top_articles(engine, q):
    restored = engine.search(SearchRequest(q=q, suggest=False))
    accented = engine.search(SearchRequest(q=_accented(engine, q), suggest=False))
    assert [h["id"] for h in accented["hits"]] == [h["id"] for h in restored["hits"]]
    assert suggestion(engine, q) is None


def _accented(engine, q: str) -> str:
    """Return q with the accents the top article writes its words with."""
    words = {"bo": "bộ", "chinh": "chính", "tri": "trị", "ha": "hà", "noi": "nội", "viet": "việt", "nam": "nam",
             "nguoi": "người", "chi": "chỉ", "thi": "thị"}
    return re.sub(r"\w+", lambda m: words.get(m.group().lower(), m.group()), q)


@pytest.mark.parametrize("q", ["hdnd phuong tp hcm", "bo chinh tri", "da nang", "hanoi", "Coong Phuwowngj", "nguoj"])
def test_the_suggestion_is_the_same_whatever_the_page_and_its_size(engine, q):
    expected = suggestion(engine, q)
    for size, page in ((1, 1), (5, 1), (5, 2), (20, 1), (50, 1), (10, 3)):
        assert engine.search(SearchRequest(q=q, size=size, page=page, correct=False))["suggestion"] == expected


@pytest.mark.parametrize("q, expected", [
    ("Coong Phuwowngj", "Công Phượng"),
    ("chir thij 05 booj chinhs trij", "chỉ thị 05 bộ chính trị"),
    ("ha2 no65i", "hà nội"),
    ("hanoi", "Hà Nội"),
    # Caps lock on: the words read are written in capitals, as typed.
    ("CHIR THIJ 05 BOOJ CHINHS TRIJ", "CHỈ THỊ 05 BỘ CHÍNH TRỊ"),
    ("HA2 NO65I", "HÀ NỘI"),
    ("HANOI", "HÀ NỘI"),
])
def test_telex_and_split_queries_suggest_the_words_as_read(engine, q, expected):
    assert suggestion(engine, q) == expected


@pytest.mark.parametrize("q, expected", [
    # Typed without accents in the spelling of i the demo articles seldom write (1 "kĩ", 26 "kỹ"):
    # restored in the spelling they write, as searched.
    ("ki thuat", "kỹ thuật"),
    ("ti le", "tỷ lệ"),
    # Typed with accents, the spelling is the reader's: both are searched, nothing to suggest.
    ("kĩ thuật", None),
    ("tỉ lệ", None),
])
def test_a_word_searched_in_its_other_spelling_of_i_or_y_is_suggested_in_it_only_when_typed_without_accents(
        engine, q, expected):
    assert suggestion(engine, q) == expected


@pytest.mark.parametrize("q", ["a", "A", "b", "đ"])
def test_no_suggestion_for_a_single_letter(engine, q):
    assert suggestion(engine, q) is None


def test_suggestion_for_bo_chinh_tri_finds_the_portal_article_first(engine):
    suggested = suggestion(engine, "chir thij 05 booj chinhs trij")
    assert "bộ chính trị" in suggested
    result = engine.search(SearchRequest(q=suggested))
    assert result["hits"][0]["id"] == "kiengiang-2019-08-21-chi-thi-05.txt"


def test_city_name_accents_are_restored_as_the_city(engine):
    # Both articles holding "Đà Nẵng" are the top hits of "den da nang"; the frequent
    # "đã" (already) must not win over the words that stand side by side in them.
    top = engine.search(SearchRequest(q="den da nang"))["hits"][:2]
    assert all("Đà Nẵng" in engine.article(h["id"])["body"] + h["title"] for h in top)
    assert suggestion(engine, "den da nang") == "đến Đà Nẵng"
    # "da nang" alone finds the articles "Đà Nẵng" finds, in the same order: nothing to suggest.
    assert suggestion(engine, "da nang") is None


@pytest.mark.parametrize(
    "q, expected",
    [("nguoj", "người"), ("nguoj viet nam", "người Việt Nam"), ("covdi", "Covid"), ("hoc sinj", "học sinh"),
     ("viet nma", "Việt Nam")],
)
def test_typo_is_corrected_towards_a_frequent_syllable_one_edit_away(engine, q, expected):
    suggested = suggestion(engine, q)
    assert suggested == expected
    typo = [t for t in folded(q) if t not in folded(expected)]
    fixed = [t for t in folded(expected) if t not in folded(q)]
    assert len(typo) == len(fixed) == 1 and fixed[0] in edits(typo[0])
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
    assert folded(second)[0] in edits("duv")


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
        "derived": False,
    }


@pytest.mark.parametrize("typed", ["trung q", "Trung Qu", "TRUNG QUỐC ", "ha no", "chi thi 0", "sieu bao g", "ung th"])
def test_autocomplete_takes_the_typed_words_as_a_phrase_prefix(engine, typed):
    found = engine.suggest(typed)["suggestions"]
    assert found
    words = folded(typed)
    prefix = "" if typed.endswith(" ") else words.pop()
    size = len(words) + bool(prefix)
    for item in found:
        title = folded(item["text"])
        assert any(title[i : i + len(words)] == words and (not prefix or title[i + len(words)].startswith(prefix))
                   for i in range(len(title) - size + 1)), item["text"]


@pytest.fixture(scope="module")
def derived_engine(tmp_path_factory):
    """Return an engine over four articles, three of them without a title (derived from the body)."""
    index_dir = tmp_path_factory.mktemp("derived") / "index"
    report = reindex(index_dir, [str(FIXTURES / "derived_titles.jsonl")], procs=1)
    assert report.added == 4
    return SearchEngine(index_dir)


@pytest.mark.parametrize("typed, expected_id", [
    ("mot hang cong ng", "derived-cong-nghe"),
    ("chu tich ubnd tp ha n", "derived-ha-noi"),
    ("Siêu bão mạnh nhất", "derived-sieu-bao"),
])
def test_autocomplete_includes_derived_titles_and_marks_them(derived_engine, typed, expected_id):
    [item] = derived_engine.suggest(typed)["suggestions"]
    article = derived_engine.article(expected_id)
    assert item == {"text": article["title"], "html": item["html"], "id": expected_id, "derived": True}
    assert article["title_derived"] and article["body"].startswith(article["title"].rstrip("…"))


def test_a_derived_title_is_a_candidate_only_when_the_typed_words_start_within_its_bodys_first_40_words(
        derived_engine):
    view = derived_engine.backend.view()
    body = syllables_of(derived_engine.article("derived-ha-noi")["body"])  # "... Xét đề nghị của Trưởng Ban ..."
    starts = (DERIVED_TITLE_WORDS - 1, DERIVED_TITLE_WORDS, DERIVED_TITLE_WORDS + 15)
    assert {start: [stored["id"] for stored in view.title_candidates(
        body[start:start + 2], [body[start + 2].folded], 10, phrase=True)] for start in starts} == {
        starts[0]: ["derived-ha-noi"], starts[1]: [], starts[2]: []}


def test_a_word_being_typed_alone_finds_the_bodies_it_starts_and_each_kind_of_title_is_limited(derived_engine):
    view = derived_engine.backend.view()
    # No whole word typed: the bodies are searched for the first prefix terms themselves (three at most).
    prefixes = ["sieu", "mot", "chu"]
    every = [stored["id"] for stored in view.title_candidates([], prefixes, 10, phrase=True)]
    assert every == ["titled-sieu-bao", "derived-cong-nghe", "derived-sieu-bao", "derived-ha-noi"]  # then newest
    assert [stored["id"] for stored in view.title_candidates([], prefixes, 1, phrase=True)] == [
        "titled-sieu-bao", "derived-cong-nghe"]


def test_autocomplete_puts_real_titles_before_derived_ones(derived_engine):
    found = derived_engine.suggest("sieu bao")["suggestions"]
    assert [(item["id"], item["derived"]) for item in found] == [("titled-sieu-bao", False), ("derived-sieu-bao", True)]


@pytest.mark.parametrize("typed, expected", [
    ("trung q", "Trung Quốc"), ("ung th", "ung thư"), ("sieu bao g", "siêu bão Goni"), ("joe b", "Joe Biden"),
    ("bo gd", "Bộ GD"),
])
def test_autocomplete_completes_the_query_with_frequent_title_phrases(engine, typed, expected):
    completions = engine.suggest(typed)["completions"]
    assert completions[0]["text"] == expected
    holding = [t for t in titles(engine, typed, limit=40) if expected.lower() in t.lower()]
    assert completions[0]["count"] >= 2 and completions[0]["count"] >= len(holding) > 0


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
        assert set(item) == {"text", "html", "id", "derived"}
        assert html.unescape(item["html"].replace("<mark>", "").replace("</mark>", "")) == item["text"]


def test_autocomplete_answers_the_cleaned_query_its_titles_and_its_completions(engine):
    assert engine.suggest("  vinami") == {
        "query": "vinami",
        "suggestions": [{"text": "Vinamilk lọt Top 1.000 thương hiệu hàng đầu châu Á",
                         "html": "<mark>Vinami</mark>lk lọt Top 1.000 thương hiệu hàng đầu châu Á",
                         "id": "unc-news_business_001", "derived": False}],
        "completions": [],
    }
    assert engine.suggest("") == {"query": "", "suggestions": [], "completions": []}


def test_autocomplete_reads_at_most_its_first_120_characters_cut_at_a_word(engine):
    from search.autocomplete import MAX_INPUT_CHARS

    typed = f"{PORTAL_TITLE} {PORTAL_TITLE}"
    assert MAX_INPUT_CHARS == 120 and len(typed) > 120 and not typed[120].isspace()
    assert engine.suggest(typed)["query"] == typed[:120].rsplit(" ", 1)[0]


def test_autocomplete_shows_at_most_limit_titles_while_all_it_read_vote_for_the_completions(engine):
    every = engine.suggest("c")
    assert len(every["suggestions"]) == MAX_COMPLETIONS and every["completions"]
    one = engine.suggest("c", limit=1)
    assert one == dict(every, suggestions=every["suggestions"][:1])
    assert engine.suggest("c", limit=0) == {"query": "c", "suggestions": [], "completions": []}


def test_autocomplete_counts_a_completion_in_the_titles_it_read_only(engine):
    from search.autocomplete import CANDIDATES

    # Each title read votes once: the completions of one letter count at most the titles read.
    completions = engine.suggest("c")["completions"]
    assert sum(c["count"] for c in completions) <= CANDIDATES
    assert len(titles(engine, "c", limit=1000)) == CANDIDATES


def test_autocomplete_after_a_space_takes_the_last_word_as_finished(engine):
    found = titles(engine, "vi ")
    assert found and all("vi" in folded(title) for title in found)
    assert engine.suggest("vi ")["completions"] == [{"text": "vì", "html": "<mark>vì</mark>", "count": 16}]
    # Unfinished, "vi" also completes to "Việt", "viên"...
    assert any("vi" not in folded(title) for title in titles(engine, "vi"))


class TitleCandidates:
    """Statistics serving given stored articles as the titles autocomplete reads (the demo's title syllables)."""

    def __init__(self, engine, stored):
        self.statistics, self.stored = engine.backend.statistics(), stored

    def title_syllables(self):
        return self.statistics.title_syllables()

    def title_candidates(self, words, prefixes, limit, phrase=False):
        return self.stored[:limit]


def test_autocomplete_shows_a_title_once_skips_titles_not_holding_the_phrase_and_untitled_articles(engine):
    from search.autocomplete import complete

    again = "Hà Nội: Thanh niên 20 tuổi đột tử trong quán game"
    stored = [
        # A derived title cut before the typed words it was found by.
        {"id": "cut", "title": "Chủ tịch UBND…", "title_derived": True},
        {"id": "a", "title": again},
        {"id": "untitled"},
        {"id": "b", "title": again},  # the same title, published twice
        {"id": "c", "title": "Hà Nội: Tai biến sản khoa, cả 2 mẹ con thai phụ tử vong thương tâm"},
    ]
    found = complete(TitleCandidates(engine, stored), "ha n")
    assert [(item["id"], item["text"]) for item in found["suggestions"]] == [("a", again), ("c", stored[4]["title"])]
    assert found["completions"] == [{"text": "Hà Nội", "html": "<mark>Hà Nội</mark>", "count": 3}]
    assert complete(TitleCandidates(engine, stored), "x")["suggestions"] == []
    # Typed whole, the phrase is not offered back.
    assert complete(TitleCandidates(engine, stored), "Hà Nội")["completions"] == []


@pytest.mark.parametrize("title, typed, prefix, expected", [
    (PORTAL_TITLE, ["bo", "chinh", "tri"], None, "Bộ Chính trị"),  # the title's last words
    (PORTAL_TITLE, ["bo"], "chi", "Bộ Chính"),
    ("Hà Nội: Thanh niên 20 tuổi đột tử trong quán game", ["game"], "g", None),  # no word after "game"
    ("Hà Nội: Thanh niên 20 tuổi đột tử trong quán game", ["quan"], "g", "quán game"),
])
def test_the_phrase_of_a_title_is_the_typed_words_in_a_row_then_a_word_starting_with_the_prefix(
        title, typed, prefix, expected):
    from search.autocomplete import phrase_span

    span = phrase_span(title, typed, prefix)
    assert (title[span[0]:span[1]] if span else None) == expected


def test_marked_spans_are_merged_where_they_overlap_or_touch():
    from search.autocomplete import _merge

    assert _merge([(0, 2), (0, 1), (3, 5), (5, 7), (6, 7), (9, 10)]) == [(0, 2), (3, 7), (9, 10)]
    assert _merge([(0, 4), (1, 2), (2, 3)]) == [(0, 4)]


def phrases_of(*found: tuple[str, str]):
    """Return autocomplete's phrases counted from (title, phrase the title holds) pairs."""
    from search.autocomplete import _Phrases

    phrases = _Phrases()
    for title, phrase in found:
        start = title.index(phrase)
        phrases.add(title, (start, start + len(phrase)))
    return phrases


HOA = "Bằng chứng mới về sự tồn tại của nước trên Sao Hoả"
HOA_ACCENTED = "Hé lộ bộ ba miệng núi lửa kì lạ trên bề mặt Sao Hỏa"


@pytest.mark.parametrize("found, expected", [
    # Only ever seen first in a title: capitalised as the name it starts.
    ([("Hà Nội: Thanh niên 20 tuổi đột tử trong quán game", "Hà Nội"),
      ("Hà Nội: Tai biến sản khoa, cả 2 mẹ con thai phụ tử vong thương tâm", "Hà Nội")], [("Hà Nội", 2)]),
    ([('Ô tô "đi nát" vẫn bán được giá, lo Việt Nam là "ốc đảo"... xe cũ', "Ô tô")], [("ô tô", 1)]),
    ([("Bệnh nhân ung thư ăn gì để giảm tác dụng phụ hóa, xạ trị?", "ung thư")], [("ung thư", 1)]),
    # Capitalised in one title of two: not most of them.
    ([("Vì sao chưa “xóa sổ” trạm thu phí đặt “nhầm chỗ” Bắc Thăng Long - Nội Bài?", "Long"),
      ("Bí ẩn hóa thạch lông khủng long cổ nhất hơn 1,5 thế kỷ chưa có lời giải", "long")], [("long", 2)]),
    # In capitals in one title of two: capitalised, not an acronym.
    ([("Tối ưu tài nguyên hệ thống nhờ ứng dụng AI", "AI"),
      ("Bí ẩn kho báu trong đường hầm bí mật dưới tượng nhân sư Ai Cập", "Ai")], [("Ai", 2)]),
    # Spelled as most titles write it.
    ([(HOA, "Sao Hoả"), (HOA_ACCENTED, "Sao Hỏa"), (HOA_ACCENTED, "Sao Hỏa")], [("Sao Hỏa", 3)]),
    # Phrases apart, the most frequent first.
    ([(HOA_ACCENTED, "Sao Hỏa"), (PORTAL_TITLE, "Bộ Chính trị"), (HOA_ACCENTED, "Sao Hỏa")],
     [("Sao Hỏa", 2), ("Bộ Chính trị", 1)]),
])
def test_a_completed_phrase_is_spelled_and_capitalised_as_most_titles_write_it(found, expected):
    assert phrases_of(*found).best(5) == expected


VIET_NAM_TITLES = ["Tối 1/10, Việt Nam không có ca mắc Covid-19 mới",
                   "Apple đang muốn \"giết\" iPhone xách tay tại Việt Nam?",
                   "Đặc phái viên Tổng thống Mỹ đề cao hợp tác quốc phòng với Việt Nam"]


@pytest.mark.parametrize("typed, limit, expected", [
    ("viet", 3, [("Việt Nam", 3), ("Sao Hỏa", 2)]),  # a phrase in one title only is not offered
    ("viet", 1, [("Việt Nam", 3)]),
    ("Việt Nam", 3, [("Sao Hỏa", 2)]),  # the phrase typed is not offered back
    ("Việt Nam", 1, [("Sao Hỏa", 2)]),
])
def test_query_completions_are_the_phrases_of_two_titles_or_more_other_than_typed(typed, limit, expected):
    from search.autocomplete import _completions

    phrases = phrases_of(*[(title, "Việt Nam") for title in VIET_NAM_TITLES], (HOA_ACCENTED, "Sao Hỏa"),
                         (HOA_ACCENTED, "Sao Hỏa"), (PORTAL_TITLE, "Bộ Chính trị"))
    assert _completions(phrases, typed, limit) == [
        {"text": text, "html": f"<mark>{text}</mark>", "count": count} for text, count in expected]


# Bounds on one query's work --------------------------------------------------------------------

UNKNOWN_WORDS = "zqxv kwzq vxqz qzkw wqvx xkzq zvwq qxwk"
TYPO_CUT_NOTICE = "Truy vấn có quá nhiều từ lạ: chỉ kiểm tra chính tả vài từ đầu tiên."


def test_query_of_many_unknown_words_answers_and_says_typo_correction_was_cut(engine):
    result = engine.search(SearchRequest(q=f"nguoj {UNKNOWN_WORDS}"))
    assert result["limited"] == ["typo_correction"]
    assert TYPO_CUT_NOTICE in result["notices"]
    # No article holds the unknown words (every tier of search.matching is empty), so no
    # correction could change the result: none is offered.
    assert result["total"] == 0 and result["suggestion"] is None


def test_typo_correction_within_its_bounds_reports_no_cut(engine):
    result = engine.search(SearchRequest(q="nguoj viet nam"))
    assert result["limited"] == [] and TYPO_CUT_NOTICE not in result["notices"]
    # No article holds "nguoj": the results are those of the suggestion.
    assert result["suggestion"] is None
    assert result["corrected"] == {"typed": "nguoj viet nam", "searched": "người Việt Nam"}


def test_query_of_more_distinct_words_than_the_bound_searches_its_first_words(demo_index):
    article = next(a for a in DEMO_ARTICLES if len(set(folded(a["title"]))) >= 10)
    words = list(dict.fromkeys(folded(article["title"])))
    bounded = SearchEngine(demo_index, ranking=replace(DEFAULT_RANKING, max_query_terms=6))
    result = bounded.search(SearchRequest(q=" ".join(words), size=3, suggest=False))
    assert result["limited"] == ["terms"]
    assert "Truy vấn có quá nhiều từ: chỉ tìm 6 từ đầu tiên." in result["notices"]
    assert result["hits"][0]["id"] == article["id"]
    # Only the first six words are marked in the title.
    marked = {unidecode(m).lower() for m in re.findall(r"<mark>(.*?)</mark>", result["hits"][0]["title_html"])}
    assert {w for m in marked for w in m.split()} <= set(words[:6])


def test_a_pasted_paragraph_over_the_budget_leaves_out_its_commonest_words_answers_and_says_so(demo_index):
    # Thirty distinct words of an article, in alphabetical order (no number, and no run of words
    # that query understanding would also read as an abbreviation: every word is searched as typed).
    article = DEMO_ARTICLES[0]
    words = {unidecode(w).lower(): w.lower() for w in re.findall(r"[^\W\d_]+", article["body"])}
    distinct = sorted(words)[:30]
    paragraph = " ".join(words[w] for w in distinct)
    unbounded = SearchEngine(demo_index).search(SearchRequest(q=paragraph, suggest=False))
    bounded = SearchEngine(demo_index, ranking=replace(DEFAULT_RANKING, max_searched_terms=20))
    result = bounded.search(SearchRequest(q=paragraph, suggest=False))
    assert result["limited"] == ["common_words"]
    left_out = [n for n in result["notices"] if n.startswith("Truy vấn dài: bỏ qua")]
    assert left_out == [f"Truy vấn dài: bỏ qua {len(distinct) - 20} từ thông dụng nhất ("
                        + left_out[0].split("(", 1)[1]]
    # Still answered, the source article first, from its twenty least common words.
    assert result["total"] > 0 and result["hits"][0]["id"] == article["id"]
    statistics = bounded.backend.statistics()
    held = {w: statistics.doc_frequency(w, "body") + statistics.doc_frequency(w, "title") for w in distinct}
    named = [unidecode(w) for w in re.findall(r"“(.*?)”", left_out[0])]
    marked = {unidecode(w).lower() for m in re.findall(r"<mark>(.*?)</mark>", result["hits"][0]["snippet"])
              for w in m.split()}
    assert named and marked and not set(named) & marked
    # Every word named as left out is held by at least as many articles as every word marked.
    assert min(held[w] for w in named) >= max(held[w] for w in marked)
    assert unbounded["limited"] == [] and unbounded["hits"][0]["id"] == article["id"]


READINGS_CUT_NOTICE = "Truy vấn có nhiều cách hiểu: chỉ xét vài cách hiểu đầu tiên."


def test_query_read_more_ways_than_the_bound_answers_and_says_readings_were_cut(demo_index):
    # "ubnd" reads two ways, "tphcm" four (TP.HCM, HCMC, Thành phố Hồ Chí Minh): 8 readings.
    within = SearchEngine(demo_index).search(SearchRequest(q="ubnd tphcm"))
    bounded = SearchEngine(demo_index, ranking=replace(DEFAULT_RANKING, max_reading_syllables=2))
    cut = bounded.search(SearchRequest(q="ubnd tphcm"))
    assert within["limited"] == [] and READINGS_CUT_NOTICE not in within["notices"]
    assert cut["limited"] == ["readings"] and READINGS_CUT_NOTICE in cut["notices"]
    # Still answered: the articles holding "UBND" and "TP.HCM" (matching keeps every spelling).
    assert [h["id"] for h in cut["hits"]] == [h["id"] for h in within["hits"]]
    assert {h["id"] for h in cut["hits"]} == {"unc-news_society_018", "unc-news_sport_013"}


def test_query_of_many_abbreviations_scores_its_first_readings_and_says_so(engine):
    # 2 x 2 x 2 x 4 x 1 = 32 readings (ĐT has no alternative), over the 12 scored
    result = engine.search(SearchRequest(q="hlv clb UBND TP.HCM ĐT"))
    assert result["limited"] == ["readings"] and READINGS_CUT_NOTICE in result["notices"]
    assert [h["id"] for h in result["hits"]] == ["unc-news_sport_008", "unc-news_sport_003"]


UNSEARCHED_NOTICE = "Truy vấn dài: gợi ý “Có phải bạn muốn tìm” chưa được tìm thử."


def long_unaccented_paragraphs(distinct: int):
    """Yield the first and last words of each demo article's body without accents, holding more than
    distinct syllables (words alone, at most 250 characters): apart, so a question, not a passage whole."""
    for article in DEMO_ARTICLES:
        words = [w for w in folded(article["body"]) if w.isalpha()]
        for end in range(len(words)):
            text = " ".join(words[:end] + words[-5:])
            if len(text) > 250:
                break
            if len(set(folded(text))) > distinct:
                yield text
                break


def test_a_long_query_gets_its_suggestion_unsearched_and_says_so(demo_index):
    engine = SearchEngine(demo_index)
    searching = SearchEngine(demo_index, ranking=replace(DEFAULT_RANKING, suggest_search_words=1000))
    # A paragraph query understanding takes as typed (no word split or decoded: those suggestions
    # are never searched anyway).
    query, searched = next((q, r) for q in long_unaccented_paragraphs(DEFAULT_RANKING.suggest_search_words)
                           if not (r := searching.search(SearchRequest(q=q)))["notices"])
    result = engine.search(SearchRequest(q=query))
    assert result["limited"] == ["suggestion"] and result["notices"] == [UNSEARCHED_NOTICE]
    assert searched["limited"] == []
    # The accents restored, word for word; the results are the query's own either way.
    assert result["suggestion"] != query and folded(result["suggestion"]) == folded(query)
    assert [h["id"] for h in result["hits"]] == [h["id"] for h in searched["hits"]]
    assert result["total"] == searched["total"]


def test_a_short_query_searches_its_suggestion_and_reports_no_cut(engine):
    result = engine.search(SearchRequest(q="bo chinh tri va bo y te", correct=False))
    assert result["suggestion"] == "Bộ Chính trị và Bộ y tế"
    assert result["limited"] == [] and UNSEARCHED_NOTICE not in result["notices"]


def test_a_question_over_the_postings_budget_answers_says_so_and_searches_its_suggestion_within_it(
        demo_index, monkeypatch):
    from search.matching import LONG_QUERY_WORDS
    from search.whoosh_backend import SnapshotView

    # Thirteen distinct words without accents: "did you mean" restores them and searches the result.
    query = next(long_unaccented_paragraphs(12))
    searched = []
    top_documents, same_top = SnapshotView.top_documents, SnapshotView.same_top
    monkeypatch.setattr(SnapshotView, "top_documents", lambda self, q: searched.append(q) or top_documents(self, q))
    monkeypatch.setattr(SnapshotView, "same_top", lambda self, q, docs: searched.append(q) or same_top(self, q, docs))
    # Every article holds more than one posting's worth: the question keeps its LONG_QUERY_WORDS rarest.
    bounded = SearchEngine(demo_index, ranking=replace(DEFAULT_RANKING, max_searched_postings=1))
    result = bounded.search(SearchRequest(q=query))
    assert "common_words" in result["limited"]
    left_out = len(set(folded(query))) - LONG_QUERY_WORDS
    assert any(n.startswith(f"Truy vấn dài: bỏ qua {left_out} từ thông dụng nhất") for n in result["notices"])
    assert result["total"] > 0 and result["hits"]
    assert result["suggestion"] is not None
    # The suggestion was searched, and within the same bound as the page.
    assert searched and all(len({s.folded for s in q.syllables}) == LONG_QUERY_WORDS for q in searched)
    unbounded = SearchEngine(demo_index).search(SearchRequest(q=query))
    assert "common_words" not in unbounded["limited"] and unbounded["total"] >= result["total"]


def test_a_question_typed_with_accents_counts_both_forms_of_its_words_against_the_postings_bound(demo_index):
    from search import abbreviations
    from search.understand import Vocabulary, understand

    # Its accented words are read as typed and folded: a bound its folded words' postings stay within
    # (the articles holding them, summed) still cuts it; the same words typed without accents are not cut.
    article = next(a for a in DEMO_ARTICLES if len(set(folded(a["body"][:200]))) > 12)
    accented = " ".join(article["body"][:200].split()[:-1])
    plain = " ".join(folded(accented))
    vocabulary = Vocabulary(SearchEngine(demo_index).backend.view().statistics())
    read = {q: understand(parse_query(q), vocabulary, abbreviations.load()).parsed for q in (accented, plain)}
    words = {q: {s.folded for s in parsed.syllables} for q, parsed in read.items()}
    assert words[accented] == words[plain] and any(s.accented for s in read[accented].syllables)
    held = sum(vocabulary.frequency(word) for word in words[plain])
    bounded = SearchEngine(demo_index, ranking=replace(DEFAULT_RANKING, max_searched_postings=held))
    cut = bounded.search(SearchRequest(q=accented))
    assert "common_words" in cut["limited"] and cut["hits"] and cut["total"] > 0
    assert any(n.startswith("Truy vấn dài: bỏ qua ") for n in cut["notices"])
    assert "common_words" not in bounded.search(SearchRequest(q=plain))["limited"]
    assert "common_words" not in SearchEngine(demo_index).search(SearchRequest(q=accented))["limited"]


def test_the_postings_bound_follows_the_index_size_between_its_floor_and_its_ceiling(demo_index):
    from search.results import postings_bound

    class Counted:
        def __init__(self, count):
            self.document_count = lambda: count

    ranking = replace(DEFAULT_RANKING, max_searched_postings=10_000_000, searched_postings_per_article=17,
                      min_searched_postings=500_000)
    assert postings_bound(ranking, Counted(59_861)) == 1_017_637
    assert postings_bound(ranking, Counted(598_601)) == 10_000_000  # at most the ceiling
    assert postings_bound(ranking, Counted(12_455)) == 500_000  # at least the floor
    # A backend that does not tell its size (a cluster) keeps the ceiling; so does a share of 0.
    assert postings_bound(ranking, object()) == 10_000_000
    assert postings_bound(replace(ranking, searched_postings_per_article=0), Counted(59_861)) == 10_000_000
    view = SearchEngine(demo_index).backend.view()
    assert view.document_count() == view.snapshot.doc_count > 0


def test_a_question_over_its_index_share_of_postings_answers_and_says_so(demo_index):
    from search import abbreviations
    from search.understand import Vocabulary, understand

    query = next(long_unaccented_paragraphs(12))
    view = SearchEngine(demo_index).backend.view()
    vocabulary = Vocabulary(view.statistics())
    held = sum(vocabulary.frequency(w) for w in {s.folded for s in understand(
        parse_query(query), vocabulary, abbreviations.load()).parsed.syllables})
    articles = view.document_count()
    # A share of the index just below what the question reads cuts it; the ceiling is far above.
    per_article = (held - 1) / articles
    shared = replace(DEFAULT_RANKING, max_searched_postings=10**12, min_searched_postings=1,
                     searched_postings_per_article=per_article)
    cut = SearchEngine(demo_index, ranking=shared).search(SearchRequest(q=query))
    assert "common_words" in cut["limited"] and cut["hits"] and cut["total"] > 0
    assert any(n.startswith("Truy vấn dài: bỏ qua ") for n in cut["notices"])
    # The same share with a floor at what it reads, or a share of exactly what it reads: not cut.
    for ranking in (replace(shared, min_searched_postings=held),
                    replace(shared, searched_postings_per_article=held / articles)):
        assert "common_words" not in SearchEngine(demo_index, ranking=ranking).search(SearchRequest(q=query))["limited"]


@pytest.mark.parametrize("scoped", [False, True])
@pytest.mark.parametrize("q, restored, expected", [
    ("hieu dung", "hiểu đúng", "hiểu đúng"),  # fewer articles with the accents: not the page's
    ("se co", "sẽ có", "sẽ có"),  # fewer, more than a page of them: ranked
    ("sung sot voi", "sửng sốt với", "sửng sốt với"),  # the same articles, in another order
    ("vi sao", "vì sao", None),  # the same articles in the same order: nothing to suggest
    ("bong da", "bóng đá", None),  # "bong da" in a row: those writing "bóng đá" alone
])
def test_did_you_mean_offers_the_accents_when_their_search_alone_finds_other_top_articles(
        demo_index, monkeypatch, scoped, q, restored, expected):
    from search import execute
    from search.whoosh_backend import WhooshBackend

    if scoped:  # every pool scored within its scope: the suggestion's picked from the page's
        monkeypatch.setattr(execute, "SCOPED_MIN_POSTINGS", 0)
        monkeypatch.setattr(execute, "SCOPED_MAX_SHARE", 1.0)
    result = SearchEngine(demo_index).search(SearchRequest(q=q, correct=False))
    assert result["suggestion"] == expected
    # What the accented query finds searched alone (a request of its own: nothing of the page's read).
    from search import abbreviations
    from search.understand import Vocabulary, understand

    alone = WhooshBackend(demo_index).view()
    # Understood, as "did you mean" reads it.
    read = understand(parse_query(restored), Vocabulary(alone), abbreviations.load()).parsed
    found = [d["id"] for d in alone.top_documents(read)]
    page = [hit["id"] for hit in result["hits"]]
    assert (found != page) == (expected is not None)
    total = alone.search(SearchRequest(q=restored), read).total
    assert total <= result["total"] and set(found) <= {h["id"] for h in SearchEngine(demo_index).search(
        SearchRequest(q=q, size=100, correct=False))["hits"]}


def votes_match_by_match(syllables, documents):
    """Independent of suggest._vote's counting: every spelling of a wanted word (a whole word of the text
    folding to it) counted match by match, in the text's order, apart when it follows the query's
    preceding word with only spaces, or one hyphen or dot, between; each form's capitalised uses, and its
    spellings with a capital inside."""
    from collections import Counter, defaultdict

    wanted = {s.folded for s in syllables if not s.accented and len(s.folded) > 1 and not s.folded.isdigit()}
    pairs = set(zip([s.folded for s in syllables], [s.folded for s in syllables][1:]))
    in_context, alone, capitals, cased = defaultdict(Counter), defaultdict(Counter), Counter(), defaultdict(Counter)
    # Each form's uses beside the query's neighbour, not first in a sentence, and how many capitalised.
    inside, named = Counter(), Counter()
    for document in documents:
        for text in (document.get("title") or "", document.get("body") or ""):
            previous = None
            for match in re.finditer(r"[^\W_]+", text):
                written = match.group()
                if unidecode(written).lower() not in wanted or not unidecode(written).isalnum():
                    continue
                form = unicodedata.normalize("NFC", written).lower()
                key = unidecode(form).lower()
                alone[key][form] += 1
                capitals[form] += written[:1].isupper()
                capitals[form.upper()] += len(form) > 1 and written.isupper()
                if not written.isupper() and any(letter.isupper() for letter in written[1:]):
                    cased[form][written] += 1
                gap = text[previous[2]:match.start()] if previous else ""
                if previous and (gap.isspace() or gap in ("-", ".")) and (previous[0], key) in pairs:
                    in_context[previous[0]][previous[1]] += 1
                    in_context[key][form] += 1
                    # A sentence's first word has a capital whatever it is: not counted.
                    lead = text[:previous[4]].rstrip()
                    if lead and lead[-1] not in ".!?:…\"“”'\u2018\u2019\u2013":
                        inside[previous[1]] += 1
                        named[previous[1]] += previous[3][:1].isupper()
                    inside[form] += 1
                    named[form] += written[:1].isupper()
                previous = (key, form, match.end(), written, match.start())
    return in_context, alone, capitals, cased, inside, named


@pytest.mark.parametrize("q", ["chi thi 05 bo chinh tri", "ha noi cam xe may", "thu tuong chinh phu",
                               "nguoi dan trong dien di doi duoc tai dinh cu mot phan tai cho phan con lai",
                               # a title's last words and its body's first: no pair across the two
                               "co dong khong co nhieu thay doi theo thong tin moi nhat",
                               "gia iphone mobifone viet nam"])  # names with a capital inside
def test_accents_are_restored_from_each_spellings_count_ties_to_the_first_written(engine, q, monkeypatch):
    # _vote counts each distinct spelling once with how often the text writes it, every title and body
    # voted in one text; the counts, and the order in which spellings are first seen (most_common's
    # ties), are those of counting match by match, text by text.
    from search import suggest

    view = engine.backend.view()
    documents = view.top_documents(parse_query(q))
    syllables = parse_query(q).syllables
    seen = []
    vote = suggest._vote

    def record(text, spec, pairs, votes):
        seen.append(votes)
        return vote(text, spec, pairs, votes)

    monkeypatch.setattr(suggest, "_vote", record)
    suggest._restore_accents(syllables, documents)
    votes, = seen
    expected = votes_match_by_match(syllables, documents)
    as_lists = lambda votes: {k: list(c.items()) for k, c in votes.items() if c}  # noqa: E731
    assert as_lists(votes.in_context) == as_lists(expected[0]) and as_lists(votes.alone) == as_lists(expected[1])
    assert {k: v for k, v in votes.capitals.items() if v} == {k: v for k, v in expected[2].items() if v}
    assert as_lists(votes.cased) == as_lists(expected[3])
    assert {k: v for k, v in votes.inside_context.items() if v} == {k: v for k, v in expected[4].items() if v}
    assert {k: v for k, v in votes.capitals_in_context.items() if v} == {k: v for k, v in expected[5].items() if v}
    assert any(votes.cased.values()) == ("iphone" in q)
    assert sum(map(len, votes.alone.values())) > len(votes.alone)  # words written in several spellings


# Did you mean, part by part: typo correction, accents restored, the returned flags -----------------


def typo_fixes(statistics, q: str, total: int = 0, ranking=DEFAULT_RANKING) -> tuple[dict[str, str], bool]:
    """Return did you mean's typo corrections of q's syllables ({as typed: corrected}) for a query
    finding total articles, and whether correction stopped at its bounds."""
    from search.suggest import _typo_corrections

    corrections, cut = _typo_corrections(statistics, parse_query(q).syllables, total, ranking)
    return {syllable.raw: fix for syllable, fix in corrections.items()}, cut


@pytest.fixture(scope="module")
def view(engine):
    """Return one view of the demo index (its term statistics, top documents and same_top)."""
    return engine.backend.view()


@pytest.mark.parametrize("q, alone, expected", [
    # "thương hiệu" (brand), not the more frequent "trường" of "hiệu trưởng" (the next word before it).
    ("tguong hieu", {"tguong": "truong"}, {"tguong": "thuong"}),
    ("tguong hieu hang dau", {"tguong": "truong"}, {"tguong": "thuong"}),
    # "tuy nhiên" (however), not the more frequent "nhiều".
    ("tuy nhieb", {"nhieb": "nhieu"}, {"nhieb": "nhien"}),
])
def test_a_typo_is_corrected_towards_the_spelling_forming_a_word_with_its_neighbour(view, q, alone, expected):
    typo = next(iter(alone))
    assert typo_fixes(view, typo) == (alone, False)
    assert typo_fixes(view, q) == (expected, False)


@pytest.mark.parametrize("q, near, held, expected", [
    # A word no article holds: corrected towards a spelling TYPO_MIN_DF articles hold ("mesi": Messi).
    ("chhup", "chup", 20, {"chhup": "chup"}),
    ("chhac", "chac", 19, {"chhac": "chac"}),
    ("treoq", "treo", 5, {"treoq": "treo"}),
    ("khatx", "khat", 4, {}),  # four: kept as typed
    # A word some article holds: towards a spelling twenty times as frequent ("khoét", in one: 40).
    ("khoet", "khoe", 30, {}),
    ("buot", "buoc", 48, {"buot": "buoc"}),  # "buột", in one article's body: "buộc" in 48
])
def test_a_typo_is_corrected_towards_a_spelling_five_articles_hold_or_twenty_times_as_many_as_hold_it(
        view, q, near, held, expected):
    assert view.doc_frequency(near, "body") == held
    assert typo_fixes(view, q) == (expected, False)


@pytest.mark.parametrize("q, body, title", [
    ("treo", 5, 0),  # "treo" (hang), one edit from "trên" (157 articles)
    ("khat", 4, 1),  # "khát" (thirst), one edit from "nhất" (151): the fifth article holds it in its title
])
def test_a_syllable_five_articles_hold_is_trusted_whatever_its_frequent_neighbour(view, q, body, title):
    assert (view.doc_frequency(q, "body"), view.doc_frequency(q, "title")) == (body, title)
    assert typo_fixes(view, q) == ({}, False)


@pytest.mark.parametrize("q", ["rb", "mp"])
def test_an_abbreviation_of_two_consonants_finding_few_articles_gets_no_suggestion(engine, q):
    result = engine.search(SearchRequest(q=q, size=10))
    assert 0 < result["total"] < DEFAULT_RANKING.typo_trusted_total
    assert (result["suggestion"], result["corrected"], result["limited"]) == (None, None, [])


def test_a_rare_syllable_is_corrected_only_in_a_query_finding_fewer_than_the_trusted_total(view):
    # "bún" (4 articles) is one edit from "bản" (145): kept once the query finds typo_trusted_total articles.
    trusted = DEFAULT_RANKING.typo_trusted_total
    assert typo_fixes(view, "bun", total=trusted) == ({}, False)
    assert typo_fixes(view, "bun", total=trusted - 1) == ({"bun": "ban"}, False)


@pytest.mark.parametrize("q, expected", [
    ("c0vid nguoj", {"nguoj": "nguoi"}),  # a word with a digit is kept ("c0vid" is one edit from "covid")
    ("ah", {"ah": "anh"}),  # two letters are corrected
    ("x nguoj", {"nguoj": "nguoi"}),  # one letter is not
    ("rb mp", {}),  # nor are two letters without a vowel: an abbreviation, not "ra" or "ma" misspelt
    ("nhn", {"nhn": "nhan"}),  # three are: a syllable whose vowel was dropped
])
def test_words_with_digits_or_of_one_letter_are_kept_and_the_words_after_them_corrected(view, q, expected):
    assert typo_fixes(view, q) == (expected, False)


@pytest.mark.parametrize("q, expected", [
    ("bct", {"bct": "bat"}),  # three small letters without a vowel: a syllable whose vowel was dropped
    ("BCT", {}),  # in capitals: an abbreviation ("Bộ Công Thương"), never "BẤT"
    ("BCT nguoj", {"nguoj": "nguoi"}),  # the words beside it are corrected still
    ("NGUOJ", {"NGUOJ": "nguoi"}),  # capitals with a vowel: a typo, when longer than an acronym
    ("CVID", {}),  # as long as an acronym ("COPD", "FIFA"): kept as typed
    ("cvid", {"cvid": "covid"}),
])
def test_a_word_typed_in_capitals_without_a_vowel_is_an_abbreviation_not_a_typo(view, q, expected):
    assert typo_fixes(view, q) == (expected, False)


def test_typo_correction_fixes_the_first_typo_max_words_typos_and_says_it_stopped(view):
    assert DEFAULT_RANKING.typo_max_words == 2
    assert typo_fixes(view, "hoc sinj nguoj covdi") == ({"sinj": "sinh", "nguoj": "nguoi"}, True)
    assert typo_fixes(view, "hoc sinj nguoj") == ({"sinj": "sinh", "nguoj": "nguoi"}, False)


def test_typo_correction_looks_up_at_most_typo_max_lookups_candidates(view):
    three = replace(DEFAULT_RANKING, typo_max_words=3)
    two = len(edits("sinj")) + len(edits("nguoj"))
    exactly_two = replace(three, typo_max_lookups=two)
    assert typo_fixes(view, "hoc sinj nguoj covdi", ranking=exactly_two) == ({"sinj": "sinh", "nguoj": "nguoi"}, True)
    exactly_three = replace(three, typo_max_lookups=two + len(edits("covdi")))
    assert typo_fixes(view, "hoc sinj nguoj covdi", ranking=exactly_three) == (
        {"sinj": "sinh", "nguoj": "nguoi", "covdi": "covid"}, False)
    # A typo whose candidates alone exceed the bound is skipped; a later one within it is still corrected.
    assert len(edits("nguoj")) > len(edits("sinj"))
    assert typo_fixes(view, "nguoj sinj", ranking=replace(three, typo_max_lookups=len(edits("sinj")))) == (
        {"sinj": "sinh"}, True)


@pytest.mark.parametrize("q, tied, expected", [
    ("dinn", ("dien", "dinh"), "dinh"),  # "điện", "định": 130 articles each
    ("dgay", ("day", "ngay"), "ngay"),
])
def test_a_typo_between_two_spellings_as_frequent_takes_the_last_in_alphabetical_order(view, q, tied, expected):
    assert view.doc_frequency(tied[0], "body") == view.doc_frequency(tied[1], "body")
    assert typo_fixes(view, q) == ({q: expected}, False)


def one_edit_away(a: str, b: str) -> bool:
    """Tell whether b is one deletion, insertion, replacement or swap of adjacent letters away from a."""
    if len(a) == len(b):
        differ = [i for i in range(len(a)) if a[i] != b[i]]
        return len(differ) == 1 or (len(differ) == 2 and differ[1] == differ[0] + 1
                                    and a[differ[0]] == b[differ[1]] and a[differ[1]] == b[differ[0]])
    shorter, longer = sorted((a, b), key=len)
    return len(longer) == len(shorter) + 1 and any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


def test_the_edits_of_a_syllable_are_every_spelling_one_typing_slip_away():
    import itertools

    letters = "hins"
    every = {"".join(t) for n in (3, 4, 5) for t in itertools.product(letters, repeat=n)}
    assert edits("sinh", letters) == {s for s in every if one_edit_away("sinh", s)}
    assert {"sih", "isnh", "snih", "sihn", "sinn", "ssinh", "sinhh"} <= edits("sinh", letters)


class RecordedStatistics:
    """The demo index's statistics, recording each body frequency looked up and each prefetch (as a
    backend whose lookups are round trips would serve them)."""

    def __init__(self, view):
        self.view, self.events = view, []

    def doc_frequency(self, term, fieldname):
        self.events.append(("lookup", fieldname, term))
        return self.view.doc_frequency(term, fieldname)

    def prefetch(self, terms):
        self.events.append(("prefetch", set(terms)))


@pytest.mark.parametrize("q, typo, before, after, expected", [
    ("tguong hieu", "tguong", "", "_hieu", {"tguong": "thuong"}),
    ("tuy nhieb", "nhieb", "tuy_", "", {"nhieb": "nhien"}),
])
def test_typo_correction_prefetches_every_frequency_it_then_looks_up(view, q, typo, before, after, expected):
    statistics = RecordedStatistics(view)
    assert typo_fixes(statistics, q) == (expected, False)
    batches = [terms for kind, *terms in statistics.events if kind == "prefetch" for terms in terms]
    known = {c for c in edits(typo) if view.doc_frequency(c, "body")}
    # The query's syllables, the typo's candidates, then the words the known ones form with its neighbour.
    assert batches == [set(q.split()), edits(typo), {f"{before}{c}{after}" for c in known}]
    prefetched = set()
    for kind, *what in statistics.events:
        if kind == "prefetch":
            prefetched |= what[0]
        elif what[0] == "body":
            assert what[1] in prefetched, what


def restored(syllables_of: str, documents) -> dict[str, str]:
    """Return the accents did you mean restores to a query's syllables from documents ({as typed: restored})."""
    from search.suggest import _restore_accents

    return {syllable.raw: form for syllable, form in _restore_accents(parse_query(syllables_of).syllables,
                                                                         documents).items()}


@pytest.mark.parametrize("q, expected", [
    ("ubnd tinh", {"ubnd": "UBND", "tinh": "tỉnh"}),
    ("tp hcm", {"tp": "TP", "hcm": "HCM"}),
    ("dh harvard", {"dh": "ĐH", "harvard": "Harvard"}),
    ("covid", {"covid": "Covid"}),  # written "COVID-19" once and "Covid" 112 times
    ("iphone", {"iphone": "iPhone"}),  # a capital inside, as nearly every writing has it
    ("mobifone", {"mobifone": "MobiFone"}),
])
def test_accents_and_capitals_are_restored_as_the_top_articles_write_them(view, q, expected):
    assert restored(q, view.top_documents(parse_query(q))) == expected


@pytest.mark.parametrize("inside, written", [(3, "iphone"), (4, "iPhone")])
def test_a_name_takes_the_capitals_inside_it_only_where_more_than_three_fifths_of_its_writings_have_them(
        inside, written):
    from collections import Counter, defaultdict

    from search.suggest import Votes, _chosen

    syllable, = parse_query("iphone").syllables
    votes = Votes([syllable], defaultdict(Counter), defaultdict(Counter, iphone=Counter(iphone=5)), Counter())
    votes.cased["iphone"]["iPhone"] = inside
    assert _chosen(votes) == ({syllable: written} if written != "iphone" else {})


def test_a_name_the_articles_mostly_write_with_a_first_capital_alone_keeps_it(view):
    # "Youtube" 13 times, "YouTube" once, "youtube" once in the demo articles.
    assert restored("youtube", view.top_documents(parse_query("youtube"))) == {"youtube": "Youtube"}


def test_a_split_name_is_suggested_with_its_capitals_inside_as_the_articles_write_it(engine):
    result = engine.search(SearchRequest(q="iphone12", size=10))
    assert (result["suggestion"], result["notices"]) == ("iPhone 12", ["Đã tách “iphone12” thành “iphone 12”."])


def test_the_syllables_typed_with_accents_are_left_as_typed(view):
    # "giào" (a wrong tone typed on purpose) is the user's.
    assert restored("giào duc", view.top_documents(parse_query("giao duc"))) == {"duc": "dục"}


def test_a_single_letter_is_restored_where_the_articles_write_it_beside_its_neighbour(view):
    assert restored("o ha noi", view.top_documents(parse_query("o ha noi"))) == {"o": "ở", "ha": "Hà", "noi": "Nội"}
    # "o" alone is "ở", "ô", "ơ"...: written beside another word than the query's, it is left as typed.
    sentence = [{"id": "1", "title": "", "body": COVID_WRITTEN["COVID"]}]  # "... ngành khách sạn ở Việt Nam ..."
    assert restored("o viet nam", sentence) == {"o": "ở", "viet": "Việt", "nam": "Nam"}
    assert restored("o ha noi", sentence) == {}
    assert restored("khach san o", sentence) == {"khach": "khách", "san": "sạn", "o": "ở"}
    assert restored("khach san o ha noi", sentence) == {"khach": "khách", "san": "sạn", "o": "ở"}
    assert restored("ha noi o", sentence) == {}


def test_a_titles_spellings_count_as_its_bodys(engine):
    # "Sửng sốt với loại quả đắt đỏ…": the title alone writes "Sửng sốt" (its capital, first in the title, says
    # nothing of the word).
    article = engine.article("unc-news_business_019")
    assert restored("sung sot", [article]) == {"sung": "sửng", "sot": "sốt"}
    assert restored("sung sot", [dict(article, title="")]) == {}


def test_an_article_stored_without_title_or_body_gives_no_spelling():
    assert restored("xxxx", [{"id": "empty"}]) == {}


COVID_WRITTEN = {
    "COVID": "Vị này cũng cho rằng, mặc dù dịch COVID-19 sẽ để lại nhiều thiệt hại và tác động sâu rộng đến thị "
             "trường, triển vọng phát triển của ngành khách sạn ở Việt Nam sẽ vẫn khả quan trong dài hạn.",
    "Covid": "Trào lưu này phát triển mạnh sau khi dịch Covid-19 ảnh hưởng tới giá hải sản.",
    "Nam": "Vị trí đầu tiên của bảng xếp hạng thuộc về một thương hiệu Việt Nam là Vinamilk.",
    "nam": "Nguyên nhân của 30% trong số các trường hợp ung thư thận ở nam giới và khoảng 25% ở nữ giới.",
}


@pytest.mark.parametrize("q, written, expected", [
    # In capitals more than 60% of the times it is written: an acronym; else as most often written.
    ("covid", ["COVID"] * 3 + ["Covid"] * 2, {"covid": "Covid"}),
    ("covid", ["COVID"] * 4 + ["Covid"] * 2, {"covid": "COVID"}),
    ("covid", ["COVID"] + ["Covid"] * 4, {"covid": "Covid"}),
    # Capitalised more than 60% of the times: a proper noun.
    ("nam", ["Nam"] * 3 + ["nam"] * 2, {}),
    ("nam", ["Nam"] * 3 + ["nam"], {"nam": "Nam"}),
])
def test_a_word_is_restored_in_capitals_when_more_than_sixty_percent_of_its_uses_are(q, written, expected):
    documents = [{"id": str(n), "title": "", "body": COVID_WRITTEN[form]} for n, form in enumerate(written)]
    assert restored(q, documents) == expected


@pytest.mark.parametrize("bodies, expected", [
    # The index spells "hòa" and "hoà" alike ("hoà"); the suggestion writes the tone mark where more than
    # half of the articles' writings of the word put it, whatever their capitals.
    (["Hòa bình.", "Vì hòa bình.", "Hoà bình."], {"hoa": "hòa", "binh": "bình"}),
    (["Vì hòa bình.", "Vì HÒA BÌNH.", "Vì hoà bình.", "Vì hoà bình."], {"hoa": "hoà", "binh": "bình"}),  # a tie
    (["Hoà bình.", "Vì hoà bình.", "Hòa bình."], {"hoa": "hoà", "binh": "bình"}),
    # A name capitalised inside its sentences keeps its capital, and takes the tone mark as written.
    (["Ông Văn Hòa nói.", "Anh Văn Hòa đến."], {"van": "Văn", "hoa": "Hòa"}),
], ids=["old-style", "tie", "new-style", "name"])
def test_a_word_is_restored_with_its_tone_mark_where_the_articles_mostly_put_it(bodies, expected):
    q = " ".join(expected)
    assert restored(q, [{"id": str(n), "title": "", "body": body} for n, body in enumerate(bodies)]) == expected


PROPER_AND_COMMON = [
    "Chính phủ đã họp. Văn phòng chính phủ cho biết chính phủ sẽ bàn tiếp.",
    "Chiến thắng Điện Biên Phủ năm 1954 được kỷ niệm tại Điện Biên.",
    "Đoàn đã thăm Điện Biên phủ sương.",
]


@pytest.mark.parametrize("q, written, expected", [
    # "phủ" is mostly "chính phủ", but "Phủ" beside "biên": the capital of a name is read where it stands.
    ("dien bien phu", [0, 1], {"dien": "Điện", "bien": "Biên", "phu": "Phủ"}),
    ("chinh phu", [0, 1], {"chinh": "chính", "phu": "phủ"}),  # capitalised beside "phủ" once in three
    # Beside "biên", "phủ" capitalised once in two: not more than three fifths.
    ("dien bien phu", [0, 1, 2], {"dien": "Điện", "bien": "Biên", "phu": "phủ"}),
    ("phu", [0, 1], {"phu": "phủ"}),  # no neighbour: read from every writing (one in four capitalised)
])
def test_a_word_beside_the_querys_neighbour_takes_the_capital_it_has_there(q, written, expected):
    documents = [{"id": str(n), "title": "", "body": PROPER_AND_COMMON[n]} for n in written]
    assert restored(q, documents) == expected


@pytest.mark.parametrize("body, expected", [
    # Capitalised only where it starts a sentence (or the text): a common word, whatever the share.
    ("Cảm ơn bác sĩ. Cảm ơn mọi người! Lời cảm ơn chân thành.", {"cam": "cảm"}),
    ("Cảm ơn bác sĩ.", {"cam": "cảm"}),
    # Capitalised inside its sentences too: a name, first in a sentence or not.
    ("Huế đẹp. Huế mộng mơ. Du lịch Huế và về Huế.", {"hue": "Huế"}),
    ("Huế đẹp. Huế mộng mơ. Du lịch huế và về Huế.", {"hue": "huế"}),  # one in two inside: not three fifths
], ids=["starts-only", "one-start", "name", "name-half"])
def test_a_word_typed_alone_takes_a_capital_the_articles_give_it_inside_their_sentences(body, expected):
    assert restored(next(iter(expected)), [{"id": "1", "title": "", "body": body}]) == expected


@pytest.mark.parametrize("body, expected", [
    # First in a sentence, after a quote, a colon or a dash: a capital there says nothing.
    ("Hiểu đúng về thuế. Hiểu đúng để làm đúng! “Hiểu đúng” là: Hiểu đúng – cần hiểu đúng luật.",
     {"hieu": "hiểu", "dung": "đúng"}),
    # Inside sentences: the capital the name has there.
    ("Người dân Hiểu Đúng ở xã Hiểu Đúng, còn hiểu đúng thì khác; làng Hiểu Đúng.",
     {"hieu": "Hiểu", "dung": "Đúng"}),
])
def test_the_first_word_of_a_sentence_gives_no_capital_beside_the_querys_neighbour(body, expected):
    assert restored("hieu dung", [{"id": "1", "title": "", "body": body}]) == expected


@pytest.mark.parametrize("bodies, expected", [
    (["Đội tuyển Việt Nam thắng.", "Cả đội tuyển và dội bom."], "đội tuyển việt nam"),
    # Written with d beside "tuyển" as often as with đ: as typed.
    (["Đội tuyển thắng.", "Bị dội tuyển thủ."], "dội tuyển việt nam"),
    # Never beside its neighbours in the top articles: as the index's articles writing the pair write it.
    (["Một đội bóng.", "Tuyển thủ dội nước."], "đội tuyển việt nam"),
])
def test_a_telex_d_searched_both_ways_is_suggested_as_the_top_articles_write_it_beside_its_neighbours(
        view, bodies, expected):
    from search.suggest import _settle_crossed

    documents = [{"id": str(n), "title": "", "body": body} for n, body in enumerate(bodies)]
    assert _settle_crossed(view, "dội tuyển việt nam", {"dội": "đội"}, documents) == expected


@pytest.mark.parametrize("text, body, expected", [
    ("cả dội", "Cả đội thắng, cả đội vui.", "cả đội"),  # the last word: its neighbour before it
    ("dội dầu", "Đội đầu bảng.", "đội đầu"),  # two such words, each the other's neighbour
    ("bị dội bom", "Bị dội bom, bị đội bóng.", "bị dội bom"),  # "dội" between its neighbours
    # Written with d beside the neighbour before it: settled so, whatever other articles write.
    ("cả dội", "Cả dội nước lên người.", "cả dội"),
])
def test_a_telex_d_searched_both_ways_is_voted_on_beside_the_neighbours_on_either_side(view, text, body, expected):
    from search.suggest import _settle_crossed

    crossed = {"dội": "đội", "dầu": "đầu"}
    assert _settle_crossed(view, text, crossed, [{"id": "1", "title": "", "body": body}]) == expected


def test_an_acronym_written_in_capitals_in_each_of_the_top_articles_is_restored_in_capitals(view):
    documents = [d for d in view.top_documents(parse_query("ubnd")) if "UBND" in d["title"] + d["body"]]
    assert len(documents) > 1
    for document in documents:
        assert restored("ubnd", [document]) == {"ubnd": "UBND"}
    assert restored("ubnd", documents) == {"ubnd": "UBND"}
    assert restored("ubnd", documents[::-1]) == {"ubnd": "UBND"}


def corrected(view, q: str, ranking=DEFAULT_RANKING, statistics=None):
    """Return correct_query's answer for q typed in the search box of the demo index, its first page's
    articles given as results.py gives them: (suggestion, typo correction cut, suggestion unsearched)."""
    from search import abbreviations
    from search.suggest import correct_query
    from search.understand import Vocabulary, understand

    vocabulary, dictionary = Vocabulary(view.statistics()), abbreviations.load()
    read = lambda text: understand(parse_query(text, max_terms=ranking.max_query_terms), vocabulary,  # noqa: E731
                                   dictionary)
    understood = read(q)
    matches = view.search(SearchRequest(q=q), understood.parsed)
    return correct_query(statistics or view, understood, matches.documents, matches.total,
                         lambda text: read(text).parsed, ranking, matches.accents)


@pytest.mark.parametrize("q, expected", [
    ("bo -chinh", (None, False, False)),
    ("a", (None, False, False)),
    ("bộ chính trị", (None, False, False)),
    ("vi sao", (None, False, False)),  # "vì sao" finds the same top articles
    ("hieu dung", ("hiểu đúng", False, False)),
    ("ah", ("ảnh", False, False)),  # a query of two letters is corrected
    ("5 nguoj", ("5 người", False, False)),  # a single digit and a word
    ("hoc sinj nguoj covdi", ("học sinh người covdi", True, False)),
])
def test_did_you_mean_answers_its_suggestion_whether_typos_were_cut_and_whether_it_went_unsearched(
        view, q, expected):
    assert corrected(view, q) == expected


@pytest.mark.parametrize("q, ranking, expected", [
    ("bóng đa", DEFAULT_RANKING, ("bóng đá", False, False)),  # no article holds "bóng đa": answered without accents
    ("dội tuyển quốc gia", DEFAULT_RANKING, ("đội tuyển quốc gia", False, False)),
    # "covid" is read from articles writing "covid mới" side by side (the page's top articles do not).
    ("covid mới nhât", DEFAULT_RANKING, ("Covid mới nhất", False, False)),
    # Its page holds the two articles writing its abbreviation "VN"; those found without accents write "Việt Nam".
    ("Viêt Nam", DEFAULT_RANKING, ("Việt Nam", False, False)),
    ("Bể bơi có lây truyền virus không", DEFAULT_RANKING, (None, False, False)),  # a question
    ("bóng đa", replace(DEFAULT_RANKING, suggest_search_words=1), (None, False, False)),  # unsearched: not read
])
def test_did_you_mean_reads_a_slip_from_the_page_answered_without_the_accents_typed(view, q, ranking, expected):
    assert corrected(view, q, ranking) == expected


@pytest.mark.parametrize("q, expected", [
    # Found as typed (in articles holding the words apart, or the abbreviation "VN"), while its page's articles
    # write the rare syllable beside its neighbour in another form, ten times as often or more.
    ("Viêt Nam", "Việt Nam"), ("Bỗ GD&ĐT", "Bộ GD&ĐT"), ("đai học", "đại học"), ("Bác sỉ", "Bác sĩ"),
    ("Thành phô", "Thành phố"),
    # A rare syllable typed as its page's articles write it beside its neighbour: no slip.
    ("chết yểu", None), ("xóa sổ", None), ("Thăng Long", None), ("sông Đuống", None),
    # Written nowhere beside its neighbour on its page ('quái vật "khổng lồ"'): no evidence of a slip.
    ("vật khổng", None),
])
def test_did_you_mean_reads_a_slip_its_page_found_as_typed_from_the_articles_found_without_accents(view, q, expected):
    assert corrected(view, q) == (expected, False, False)


class FoldedPage:
    """The demo index's statistics, noting the queries typed without accents whose top articles are asked, and
    answering them with given articles (None: the demo's)."""

    def __init__(self, view, articles=None):
        self.view, self.articles, self.folded = view, articles, []

    def __getattr__(self, name):
        return getattr(self.view, name)

    def top_documents(self, parsed):
        if parsed.accented:
            return self.view.top_documents(parsed)
        self.folded.append(parsed.text)
        return self.view.top_documents(parsed) if self.articles is None else self.articles


def test_a_slip_unsettled_by_the_articles_found_without_accents_is_read_from_articles_writing_the_pair(view):
    # Those articles write "thành" and "phố" apart: the demo's articles writing the two side by side tell "phố".
    apart = FoldedPage(view, [{"id": "apart", "title": "", "body": "Thành công. Phố cổ."}])
    assert corrected(view, "Thành phô", statistics=apart) == ("Thành phố", False, False)
    assert apart.folded == ["Thanh pho"]


def test_a_telex_d_searched_with_d_too_is_read_by_its_neighbours_not_as_a_slip(view):
    # "dội" (4 demo articles) is rare beside "doi", but it was searched both ways: its own reading settles it.
    statistics = FoldedPage(view)
    assert corrected(view, "dooij tuyeenr", statistics=statistics) == ("đội tuyển", False, False)
    assert statistics.folded == []


def test_a_slip_found_as_typed_keeps_its_page_and_is_offered_as_did_you_mean(engine):
    # "Viêt Nam" is read as its abbreviation too (its words folded): the page holds the articles writing "VN".
    result = engine.search(SearchRequest(q="Viêt Nam"))
    writing = [a["id"] for a in DEMO_ARTICLES if re.search(r"(?i)\bvn\b", f"{a.get('title') or ''} {a['body']}")]
    assert len(writing) == 2
    hits = sorted(hit["id"] for hit in result["hits"])
    expected = (sorted(writing), "exact", "Việt Nam", None)
    assert (hits, result["accents"], result["suggestion"], result["corrected"]) == expected


class HeldTerms:
    """Term statistics of given articles holding each term: {term: (in the body, in the title)}, and
    each run of folded terms in a row: {terms: articles}; it notes the runs asked, with their bounds."""

    def __init__(self, held: dict[str, tuple[int, int]], runs: dict[tuple[str, ...], int] | None = None):
        self.held, self.runs, self.asked = held, runs or {}, []

    def doc_frequency(self, term: str, fieldname: str) -> int:
        return self.held.get(term, (0, 0))[fieldname == "title"]

    def phrase_frequency(self, terms, most=None) -> int:
        self.asked.append((tuple(terms), most))
        return self.runs.get(tuple(terms), 0)


HA_NOI = {"hà": (2343, 0), "ha": (2910, 0), "nôi": (16, 0), "noi": (4967, 0)}
A_SLIP = {"title": "Đoạn cuối ở V-League", "body": " ".join(["Hà Nội thắng."] * 22 + ["Hà nôi thua."])}
TENFOLD = {"title": "", "body": " ".join(["Hà Nội."] * 10 + ["Hà nôi."])}


@pytest.mark.parametrize("q, held, documents, crossed, expected", [
    ("Hà nôi", HA_NOI, [A_SLIP], (), True),  # an article's own slip, once beside 22 "Hà Nội"
    ("Hà nôi", HA_NOI, [TENFOLD], (), True),  # ten times as often
    ("Hà nôi", HA_NOI, [{"title": "", "body": " ".join(["Hà Nội."] * 9 + ["Hà nôi."])}], (), False),  # nine times
    # "nôi" held by a tenth of the articles of "noi" (title and body added), or more: no slip.
    ("Hà nôi", {**HA_NOI, "nôi": (10, 6), "noi": (159, 2)}, [A_SLIP], (), True),
    ("Hà nôi", {**HA_NOI, "nôi": (10, 6), "noi": (159, 1)}, [A_SLIP], (), False),
    ("Hà nôi", {**HA_NOI, "nôi": (10, 6), "noi": (159, 0)}, [A_SLIP], (), False),
    ("Hà nôi", {**HA_NOI, "nôi": (497, 0)}, [A_SLIP], (), False),
    ("Hà nôi", HA_NOI, [{"title": "", "body": "Hà là thủ đô. Cái nôi."}], (), False),  # written beside it in no form
    ("hà nôi", HA_NOI, [], (), False),  # no page
    ("Hà nôi", HA_NOI, [A_SLIP], ("nôi",), False),  # read both ways already (a Telex d searched with đ)
    # A combining accent after an accented letter: without its accents "À́A" is one word ("ÁA"), not two, and
    # the syllables no longer pair one for one ("Ạ" has none).
    ("À\u0301A Ạ", {"à": (1, 0), "ạ": (1, 0), "a": (100, 0)}, [{"title": "", "body": "Á A. A A."}], (), False),
])
def test_a_query_may_hold_a_slip_when_its_page_writes_a_rare_syllable_otherwise_beside_its_neighbour(
        q, held, documents, crossed, expected):
    from search.suggest import _may_have_slipped

    assert _may_have_slipped(HeldTerms(held), parse_query(q), lambda: documents, crossed) is expected


BONG_DA = {"bóng": (1000, 0), "bong": (1200, 0), "đa": (300, 0), "da": (2000, 0), "đá": (900, 0)}
# Three articles write "bóng đa dạng": one of them "bóng đá" five times beside it.
DA_DANG = {"title": "", "body": "Chơi bóng đa dạng hơn. " + "Bóng đá Việt Nam. " * 5}


@pytest.mark.parametrize("q, held, runs, documents, expected", [
    # "đa" is no rare syllable (300 articles, "da" 2,000), but "bong da" is a run of 500 articles.
    ("bóng đa", BONG_DA, {("bong", "da"): 500}, [DA_DANG], True),
    ("bóng đa", BONG_DA, {("bong", "da"): 101}, [DA_DANG], True),
    ("bóng đa", BONG_DA, {("bong", "da"): 100}, [DA_DANG], False),  # a run of a hundred: no common one
    # Four times as often beside its neighbour: no slip (five needed).
    ("bóng đa", BONG_DA, {("bong", "da"): 500},
     [{"title": "", "body": "Chơi bóng đa dạng. " + "Bóng đá. " * 4}], False),
    ("bóng đá", BONG_DA, {("bong", "da"): 500}, [DA_DANG], False),  # written as typed far more often
    # Four syllables: no short run (its words are searched apart).
    ("bóng đa Việt Nam", {**BONG_DA, "việt": (900, 0), "viet": (950, 0), "nam": (2000, 0)},
     {("bong", "da", "viet", "nam"): 500}, [DA_DANG], False),
])
def test_a_short_query_may_hold_a_slip_of_a_common_syllable_when_its_run_without_accents_is_common(
        q, held, runs, documents, expected):
    from search.suggest import _may_have_slipped

    assert _may_have_slipped(HeldTerms(held, runs), parse_query(q), lambda: documents) is expected


def test_a_short_runs_articles_are_counted_only_when_each_syllable_is_held_by_more_than_a_hundred():
    from search.suggest import _may_have_slipped

    def unread():
        pytest.fail("the page's articles were asked")

    statistics = HeldTerms({**BONG_DA, "bong": (60, 40)}, {("bong", "da"): 500})
    assert _may_have_slipped(statistics, parse_query("bóng đa"), unread) is False
    assert statistics.asked == []
    statistics = HeldTerms({**BONG_DA, "bong": (60, 41)}, {("bong", "da"): 500})
    assert _may_have_slipped(statistics, parse_query("bóng đa"), lambda: [DA_DANG]) is True
    assert statistics.asked == [(("bong", "da"), 100)]


def test_a_querys_page_is_not_read_for_slips_when_no_syllable_typed_with_accents_is_rare():
    from search.suggest import _may_have_slipped

    def unread():
        pytest.fail("the page's articles were asked")

    assert _may_have_slipped(HeldTerms({**HA_NOI, "nôi": (497, 0)}), parse_query("Hà nôi"), unread) is False
    assert _may_have_slipped(HeldTerms(HA_NOI), parse_query("ha noi"), unread) is False  # typed without accents


@pytest.mark.parametrize("q, ranking, expected", [
    # "dội" (4 demo articles) searched as "đội" (41) too: written as the top articles write it beside "tuyển".
    ("dooij tuyeenr", DEFAULT_RANKING, ("đội tuyển", False, False)),
    ("vaf dooij tuyeenr", DEFAULT_RANKING, ("và đội tuyển", False, False)),
    # A long query's suggestion goes unsearched: its words spelt out as read, not voted on.
    ("dooij tuyeenr", replace(DEFAULT_RANKING, suggest_search_words=1), ("dội tuyển", False, False)),
])
def test_did_you_mean_writes_a_telex_d_searched_both_ways_as_the_top_articles_write_it(view, q, ranking, expected):
    assert corrected(view, q, ranking) == expected


@pytest.mark.parametrize("text, start, expected", [
    ("Hiểu đúng", 0, True), ("  Hiểu đúng", 2, True), ("x\x00 Hiểu", 3, True), ("Thuế. Hiểu", 6, True),
    ("“Hiểu", 1, True), ("a Hiểu", 2, False), ("a  Hiểu", 3, False), ("ab Hiểu", 3, False), ("(Hiểu", 1, False),
])
def test_a_word_starts_a_sentence_at_the_start_of_its_text_or_after_a_sentences_end(text, start, expected):
    from search.suggest import _starts_sentence

    assert _starts_sentence(text, start) is expected


def test_a_word_read_from_the_articles_writing_the_pair_takes_the_capital_they_give_it_inside_sentences(view):
    # The top articles write neither "viet" nor "nam" beside the other: both read from the demo's articles
    # writing the pair ("Việt Nam", capitalised inside sentences); the top article's "việt" is lowercase.
    documents = [{"id": "1", "title": "", "body": "Nam giới và việt vị."}]
    syllables = parse_query("viet nam").syllables
    assert {s.raw: form for s, form in _restored(view, "viet nam", syllables, documents).items()} == {
        "viet": "Việt", "nam": "Nam"}


def test_a_query_of_more_distinct_words_than_suggest_search_words_gets_its_suggestion_unsearched(view):
    assert corrected(view, "hoc sinj", replace(DEFAULT_RANKING, suggest_search_words=2)) == ("học sinh", False, False)
    assert corrected(view, "hoc sinj", replace(DEFAULT_RANKING, suggest_search_words=1)) == ("học sinh", False, True)
    # Telex spelt out is offered whatever it finds: said unsearched only when it is a long query's.
    assert corrected(view, "Coong Phuwowngj", replace(DEFAULT_RANKING, suggest_search_words=1)) == (
        "Công Phượng", False, False)
    # The words query understanding reads besides the typed ones ("ủy ban nhân dân") do not count.
    assert corrected(view, "ubnd tinh", replace(DEFAULT_RANKING, suggest_search_words=2)) == (None, False, False)


def test_typo_correction_reads_only_the_words_the_query_searches(view):
    # Two searched words: "nguoj", the third, is neither searched nor corrected (the accents restored
    # are offered unsearched: a query of more words than suggest_search_words).
    bounded = replace(DEFAULT_RANKING, max_query_terms=2, suggest_search_words=1)
    assert corrected(view, "viet nam nguoj", bounded) == ("Việt Nam nguoj", False, True)


class StatisticsWithoutSameTop:
    """The demo index's statistics without ``same_top`` (as a backend that must rank to tell), recording
    the queries whose top documents are read."""

    def __init__(self, view):
        self.view, self.searched = view, []

    def doc_frequency(self, term, fieldname):
        return self.view.doc_frequency(term, fieldname)

    def top_documents(self, query):
        self.searched.append(query.text)
        return self.view.top_documents(query)


class StatisticsWithSameTop(StatisticsWithoutSameTop):
    def same_top(self, query, documents):
        return self.view.same_top(query, documents)


@pytest.mark.parametrize("q, expected, read, compared", [
    ("vi sao", None, [], "vì sao"),
    ("hieu dung", "hiểu đúng", [], "hiểu đúng"),
    # The corrected query's top articles are read to restore its accents from.
    ("hoc sinj", "học sinh", ["hoc sinh"], "học sinh"),
])
def test_did_you_mean_compares_the_top_articles_by_id_when_the_backend_cannot_tell_without_ranking(
        view, q, expected, read, compared):
    without, with_same_top = StatisticsWithoutSameTop(view), StatisticsWithSameTop(view)
    assert corrected(view, q, statistics=without) == corrected(view, q, statistics=with_same_top) == (
        expected, False, False)
    # The page's articles are the typed query's own: never read again.  The suggestion's are read
    # only by a backend without same_top.
    assert with_same_top.searched == read
    assert without.searched == [*read, compared]


class PairStatistics:
    """Term statistics that serve fixed articles for any pair lookup, recording the pairs asked."""

    def __init__(self, articles):
        self.articles, self.asked = articles, []

    def pair_documents(self, pairs, limit, scanned):
        self.asked.append(list(pairs))
        return self.articles


def pair_restored(q: str, documents, pair_articles) -> tuple[dict[str, str], list]:
    """Return the accents restored to q from documents and pair lookups ({typed: restored}), and the pairs asked."""
    statistics = PairStatistics(pair_articles)
    chosen = _restored(statistics, q, parse_query(q).syllables, documents)
    return {syllable.raw: form for syllable, form in chosen.items()}, statistics.asked


def slip_restored(q: str, documents) -> str:
    """Return q with its accents read from documents, the top articles of its page answered without them."""
    return _slip_restored(PairStatistics([]), q, parse_query(q), documents)


FOOTBALL = [{"title": "Bóng đá Việt Nam", "body": "Trận bóng đá hay nhất năm."}]
OWED = {"title": "", "body": "Năm đòi nợ. Năm đòi tiền."}


@pytest.mark.parametrize("q, documents, expected", [
    ("bóng đa", FOOTBALL, "bóng đá"),
    ("bong đa viet nam", FOOTBALL, "bóng đá Việt Nam"),  # every syllable, typed with accents or not
    ("Nam đòi", [OWED], "Năm đòi"),
    # Written as typed beside a neighbour: no slip.
    ("Nam đòi", [{"title": "Nam đòi bỏ trận", "body": ""}, OWED], "Nam đòi"),
    ("Năm đòi", [{"title": "Nam đòi bỏ trận", "body": ""}, OWED], "Năm đòi"),
    # A syllable typed with accents changes only as its neighbours' articles write it, never by a count alone;
    # one typed without is restored as in a query typed with none.
    ("nhận 2", [{"title": "", "body": "Nhân dân, nhân sự, nhân 5."}], "nhận 2"),
    ("nhận 2 dan", [{"title": "", "body": "Nhân dân, nhân sự, nhân 5. Dân ca."}], "nhận 2 dân"),
    ("bóng đa", [{"title": "", "body": "Không có gì."}], "bóng đa"),  # nothing to read the words from
])
def test_a_slip_is_restored_as_the_articles_found_without_its_accents_write_the_words(q, documents, expected):
    assert slip_restored(q, documents) == expected


TOI_ALONE = [{"title": "Đi tới trường", "body": "Năm nay tới lượt anh. Tới giờ rồi."}]
TOI_BESIDE = [{"title": "", "body": "Hôm qua tôi đã tiêm mũi hai."}]


def test_a_word_the_top_articles_write_only_apart_is_restored_from_articles_writing_the_pair():
    assert pair_restored("toi da tiem", TOI_ALONE, TOI_BESIDE) == (
        {"toi": "tôi", "da": "đã", "tiem": "tiêm"}, [[("toi", "da"), ("da", "tiem")]])
    # Without the pair lookup the top articles' spelling alone decides.
    assert restored("toi da tiem", TOI_ALONE) == {"toi": "tới"}


def test_a_word_the_top_articles_write_beside_its_neighbour_is_never_looked_up_again():
    top = [{"title": "", "body": "Tới giờ rồi, tới lượt anh. Hôm qua tôi đã tiêm."}]
    beside = [{"title": "", "body": "Tới đá tiêm."}]
    assert pair_restored("toi da tiem", top, beside) == ({"toi": "tôi", "da": "đã", "tiem": "tiêm"}, [])


def test_only_the_unsettled_word_takes_the_pair_articles_votes():
    # The top articles write "anh" beside "di" ("Rồi Anh đi", a name inside a sentence), "toi" beside no
    # query word; the pair's articles write "tôi ảnh": "toi" takes their "tôi", "anh" keeps the top articles' "Anh".
    top = [{"title": "", "body": "Đi tới chợ. Rồi Anh đi."}]
    beside = [{"title": "", "body": "Tôi ảnh. Tôi ảnh."}]
    assert pair_restored("toi anh di", top, beside) == ({"toi": "tôi", "anh": "Anh", "di": "đi"}, [[("toi", "anh")]])


@pytest.mark.parametrize("pair_body, expected", [
    # The top articles write the department out; the pair's articles write its abbreviation in capitals,
    # as the query is suggested ("Gdđt" before: cased from the top articles, which never write it).
    ("Theo Sở GDĐT Hà Nội, lịch thi đã có. Hôm qua Sở GDĐT yêu cầu các trường.", "GDĐT"),
    # With a capital inside, as the pair's articles write it.
    ("Theo Sở GdĐT Hà Nội, lịch thi đã có. Hôm qua Sở GdĐT yêu cầu các trường.", "GdĐT"),
])
def test_a_word_read_from_the_articles_writing_the_pair_is_cased_as_they_write_it(pair_body, expected):
    top = [{"title": "", "body": "Sở Giáo dục và Đào tạo Hà Nội công bố lịch thi."}]
    restored_forms, _ = pair_restored("so gddt ha noi", top, [{"title": "", "body": pair_body}])
    assert restored_forms == {"so": "Sở", "gddt": expected, "ha": "Hà", "noi": "Nội"}


def test_a_word_read_from_the_articles_writing_the_pair_takes_the_capital_it_has_beside_its_neighbour():
    # "Phủ" beside "Biên" (a name), "phủ" in "Chính phủ" three times elsewhere in the same articles.
    top = [{"title": "", "body": "Trận đánh lớn năm ấy."}]
    beside = [{"title": "", "body": "Chiến thắng Điện Biên Phủ. Chính phủ họp. Chính phủ ra. Chính phủ nói."}]
    assert pair_restored("dien bien phu", top, beside)[0] == {"dien": "Điện", "bien": "Biên", "phu": "Phủ"}


@pytest.mark.parametrize("top_body, pair_body, expected", [
    # The top articles never write "hoà" beside "giải": the pair's articles decide its tone mark too.
    ("Ký hoà ước. Bản hoà ước cũ.", "Vì hòa giải. Cần hòa giải.", "hòa"),
    ("Ký hòa ước. Bản hòa ước cũ. Một hòa ước.", "Vì hoà giải.", "hoà"),
])
def test_a_word_read_from_the_articles_writing_the_pair_takes_the_tone_mark_they_write(top_body, pair_body, expected):
    top = [{"title": "", "body": top_body}]
    assert pair_restored("hoa giai", top, [{"title": "", "body": pair_body}])[0] == {"hoa": expected, "giai": "giải"}


@pytest.mark.parametrize("q", ["toi, da tiem", "toi. da tiem"])
def test_neighbours_typed_across_punctuation_are_not_a_pair(q):
    assert pair_restored(q, TOI_ALONE, TOI_BESIDE)[1] == [[("da", "tiem")]]


def places_restored(q: str, documents, pair_articles) -> tuple[list[tuple[str, str]], list]:
    """Return the accents restored to q place by place ([(typed, restored)] in order), and the pairs asked."""
    from search.suggest import _restored_places

    statistics = PairStatistics(pair_articles)
    chosen = _restored_places(statistics, q, parse_query(q).syllables, documents)
    return [(syllable.raw, form) for syllable, form in chosen], statistics.asked


THANKS = [{"title": "", "body": "Xin cảm ơn bác sĩ. Bệnh đã điều trị ổn định."}]


def test_a_word_typed_twice_is_restored_at_each_place_as_the_articles_write_it_beside_its_neighbours():
    # "on" beside "cam" and "bac" is "ơn", beside "tri" and "dinh" "ổn"; counted together, the two tie
    # (twice each beside a neighbour) and the first written, "ơn", is both places' spelling.
    q = "cam on bac si, dieu tri on dinh"
    assert places_restored(q, THANKS, []) == ([
        ("cam", "cảm"), ("on", "ơn"), ("bac", "bác"), ("si", "sĩ"), ("dieu", "điều"), ("tri", "trị"),
        ("on", "ổn"), ("dinh", "định")], [])
    assert pair_restored(q, THANKS, [])[0]["on"] == "ơn"  # one spelling for both places


def test_a_place_of_a_word_typed_twice_that_the_top_articles_never_write_beside_its_neighbours_takes_the_pairs():
    # The top articles write "on" beside "cam" alone; the articles writing "on dinh" side by side give its
    # second place (and "dinh") their spelling; "on, on" is no pair (a comma between).
    top = [{"title": "", "body": "Xin cảm ơn."}]
    beside = [{"title": "", "body": "Bệnh ổn định."}]
    assert places_restored("cam on, on dinh", top, beside) == (
        [("cam", "cảm"), ("on", "ơn"), ("on", "ổn"), ("dinh", "định")], [[("on", "dinh")]])
    # Without articles writing the pair, the word's votes at its other place decide.
    assert places_restored("cam on, on dinh", top, [])[0] == [("cam", "cảm"), ("on", "ơn"), ("on", "ơn")]


def test_a_word_typed_once_is_restored_place_by_place_as_by_its_votes_counted_together():
    for q in ("toi da tiem", "toi anh di"):
        for top, beside in ((TOI_ALONE, TOI_BESIDE), ([{"title": "", "body": "Đi tới chợ. Anh đi."}],
                                                      [{"title": "", "body": "Tôi ảnh. Tôi ảnh."}])):
            restored_together, asked = pair_restored(q, top, beside)
            assert places_restored(q, top, beside) == (list(restored_together.items()), asked)


def test_a_place_whose_neighbours_are_settled_elsewhere_looks_its_own_pair_up():
    # "tri" is settled beside "dieu", "on" beside "cam": the last "on" is voted by nobody beside "tri",
    # and the pair it forms with "tri" (before it) is looked up.
    top = [{"title": "", "body": "Xin cảm ơn. Cần điều trị tốt."}]
    beside = [{"title": "", "body": "Điều trị ổn."}]
    assert places_restored("cam on, dieu tri on", top, beside) == (
        [("cam", "cảm"), ("on", "ơn"), ("dieu", "điều"), ("tri", "trị"), ("on", "ổn")], [[("tri", "on")]])


def test_a_place_takes_the_spelling_its_neighbours_are_written_beside_most_often():
    # Beside "tri" once as "ổn", beside "bac" twice as "ơn": "ơn" (counted first, "ổn" would win a tie).
    top = [{"title": "", "body": "Điều trị ổn. Nhờ ơn bác sĩ. Nhờ ơn bác lắm. Xin cảm ơn."}]
    assert places_restored("tri on bac, cam on", top, [])[0] == [
        ("tri", "trị"), ("on", "ơn"), ("bac", "bác"), ("cam", "cảm"), ("on", "ơn")]


def test_a_place_counts_its_neighbours_pair_in_every_spelling_the_articles_write_it():
    # "ơn bác" three times (once capitalised, starting a sentence), "trị ổn" twice: "ơn" beside its
    # neighbours at the first place; were the capitalised pair not added to the others, the two would tie
    # and "ổn", counted first, would win.
    top = [{"title": "", "body": "Điều trị ổn. Điều trị ổn. Ơn bác lớn. Nhờ ơn bác sĩ, nhờ ơn bác lắm. Xin cảm ơn."}]
    assert places_restored("tri on bac, cam on", top, [])[0] == [
        ("tri", "trị"), ("on", "ơn"), ("bac", "bác"), ("cam", "cảm"), ("on", "ơn")]


def test_a_word_typed_once_takes_its_votes_in_the_order_the_articles_write_them():
    # One vote each beside "tri" and "bac": the tie goes to the spelling written first ("ơn bác"), not to
    # the neighbour before it.
    top = [{"title": "", "body": "Nhờ ơn bác sĩ. Điều trị ổn."}]
    assert places_restored("tri on bac", top, [])[0] == [("tri", "trị"), ("on", "ơn"), ("bac", "bác")]


def test_a_query_with_nothing_to_restore_restores_no_place():
    assert places_restored("2020 bóng đá", THANKS, THANKS) == ([], [])


def test_a_place_is_voted_by_the_spellings_beside_its_own_neighbours_there():
    from search.suggest import Votes, _place_context

    syllables = parse_query("cam on dinh cam").syllables
    pair_forms = defaultdict(Counter, {
        ("cam", "on"): Counter({("cảm", "ơn"): 2}),
        ("on", "dinh"): Counter({("ổn", "định"): 1, ("ơn", "định"): 1}),
        ("dinh", "cam"): Counter({("định", "cảm"): 1}),
        ("cam", "cam"): Counter({("cam", "cam"): 7}),  # the last word before the first: no pair of the query
    })
    votes = Votes([], {}, {}, Counter(), syllables=syllables, pair_forms=pair_forms)
    assert [_place_context(votes, at) for at in range(4)] == [
        Counter({"cảm": 2}), Counter({"ơn": 3, "ổn": 1}), Counter({"định": 3}), Counter({"cảm": 1})]


def test_a_query_that_finds_no_article_looks_no_pair_up():
    assert pair_restored("toi da tiem", [], TOI_BESIDE) == ({}, [])


def test_at_most_pair_lookups_pairs_are_looked_up_and_numbers_never():
    from search.suggest import PAIR_LOOKUPS

    q = " ".join(f"tu{n}x" for n in range(PAIR_LOOKUPS + 3))
    assert len(pair_restored(q, TOI_ALONE, [])[1][0]) == PAIR_LOOKUPS
    assert pair_restored("toi 19 da", TOI_ALONE, TOI_BESIDE)[1] == []


def test_a_two_letter_word_is_restored_from_its_spellings_alone_and_a_query_of_numbers_from_nothing():
    # "co" is written beside no query word: its commonest spelling alone decides (a single letter would not).
    assert restored("co gi", [{"title": "", "body": "Ai có nhà, làm gì đây."}]) == {"co": "có", "gi": "gì"}
    assert restored("2020 2021", [{"title": "", "body": "Năm 2020 và 2021."}]) == {}


def test_a_word_read_as_an_abbreviation_is_no_typo(demo_index, tmp_path):
    # "ah" is corrected to "ảnh" (and that page shown); an operator's entry makes it "anh hùng".
    plain = SearchEngine(demo_index).search(SearchRequest(q="ah"))
    assert plain["corrected"] == {"typed": "ah", "searched": "ảnh"}
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("AH | anh hùng\n", encoding="utf-8")
    result = SearchEngine(demo_index, synonyms=str(synonyms)).search(SearchRequest(q="ah"))
    assert (result["suggestion"], result["corrected"], result["notices"]) == (
        None, None, ["Tìm cả “anh hùng” cho “ah”."])
    assert result["total"] == SearchEngine(demo_index).search(SearchRequest(q='"anh hùng"'))["total"] > 0


@pytest.mark.parametrize("q, expected", [
    ("tình hình kinhte", "tình hình kinh tế"),
    ("sinh viên vietnam", "sinh viên Việt Nam"),
    ("giá vàng hanoi", "giá vàng Hà Nội"),
])
def test_a_word_read_split_among_accented_words_is_spelt_out_with_the_accents_the_articles_write(
        demo_index, q, expected):
    result = SearchEngine(demo_index).search(SearchRequest(q=q))
    assert result["suggestion"] == expected and result["notices"][0].startswith("Đã tách")
    # The query spelt out ranks first the article the page does.
    spelt = SearchEngine(demo_index).search(SearchRequest(q=expected))
    assert spelt["hits"][0]["id"] == result["hits"][0]["id"]


def test_a_split_words_pieces_the_top_articles_never_write_together_are_read_from_articles_writing_the_pair(view):
    from search import abbreviations
    from search.suggest import correct_query
    from search.understand import Vocabulary, understand

    vocabulary = Vocabulary(view.statistics())
    read = lambda text: understand(parse_query(text), vocabulary, abbreviations.load())  # noqa: E731
    documents = [{"id": "x", "title": "", "body": "Tình hình chung của kinh doanh và tế bào."}]
    assert correct_query(view, read("tình hình kinhte"), documents, 1, lambda text: read(text).parsed) == (
        "tình hình kinh tế", False, False)


def test_the_pieces_spelt_out_with_accents_are_a_split_word_s_unaccented_syllables_of_two_letters_or_more():
    from search.understand import Understood

    typed = parse_query("tiêm vacxin treent")
    understood = Understood(typed, rewrites={typed.syllables[1]: "vac xin", typed.syllables[2]: "tre e n t"})
    corrected = parse_query("tiêm vac xin tre e n t xin")
    assert [s.raw for s in suggest._split_pieces(understood, corrected)] == ["vac", "xin", "tre", "xin"]
    assert suggest._split_pieces(understood, parse_query("tiêm vắc xín")) == []  # typed with accents


def test_typo_correction_passes_over_the_words_read_otherwise_and_corrects_the_next(view):
    from search.suggest import _typo_corrections

    syllables = parse_query("ah nguoj").syllables
    corrections, _ = _typo_corrections(view, syllables, 0, DEFAULT_RANKING, {"ah"})
    assert {s.raw: fix for s, fix in corrections.items()} == {"nguoj": "nguoi"}
    assert typo_fixes(view, "ah nguoj") == ({"ah": "anh", "nguoj": "nguoi"}, False)


def test_a_word_typed_with_accents_is_corrected_among_spellings_with_vietnamese_letters():
    # "nguời": the missing horn is a replacement by "ư", a letter only the Vietnamese alphabet holds.
    assert "người" in _candidates(parse_query("nguời").syllables[0])
    assert "nguoi" in _candidates(parse_query("ngoi").syllables[0])


def test_a_text_with_nothing_to_restore_gets_no_accent_and_reads_no_article():
    statistics = PairStatistics([])
    assert _restored(statistics, "Hà Nội 2021", parse_query("Hà Nội 2021").syllables, []) == {}
    assert statistics.asked == []


MESSI = FIXTURES / "messi.jsonl"


@pytest.fixture(scope="module", params=["embedded", "cluster"])
def messi_engine(request, tmp_path_factory) -> SearchEngine:
    """Return an engine over the demo corpus and tests/fixtures/messi.jsonl (five articles naming Messi)
    on each backend."""
    folder = tmp_path_factory.mktemp("messi")
    write_jsonl(folder / "demo.jsonl", DEMO_ARTICLES)
    with fixture_engines(folder, [str(folder / "demo.jsonl"), str(MESSI)]) as engine:
        yield engine(request.param)


@pytest.mark.parametrize("q, searched, total", [
    ("mesi", "Messi", 5),  # no article holds "mesi"; five hold "Messi", one letter away
    ("mesi barcelona", "Messi Barcelona", 1),
])
def test_a_word_no_article_holds_is_shown_as_the_name_five_articles_hold_one_letter_away(messi_engine, q, searched,
                                                                                         total):
    result = messi_engine.search(SearchRequest(q=q, size=10))
    assert result["corrected"] == {"typed": q, "searched": searched}
    assert result["total"] == total and all("Messi" in hit["title"] for hit in result["hits"])
    assert result["notices"] == [f"Không có bài nào chứa đủ các từ “{q}”: hiển thị kết quả cho “{searched}”."]
