"""Query understanding on the demo index: Telex/VNI, numbers, run-together words, abbreviations."""

from __future__ import annotations

import re

import pytest

from search import abbreviations
from search.abbreviations import Abbreviations, form_key, parse_line, read_into
from search.engine import SearchEngine
from search.index import reindex
from search.parse import parse_query
from search.request import SearchRequest
from search.understand import REWRITE_RATIO, Vocabulary, split_word, understand
from tests.helpers import DEMO_ARTICLES, FIXTURES, write_jsonl


@pytest.fixture(scope="module")
def vocabulary(engine):
    return Vocabulary(engine.backend.statistics())


def groups_of(vocabulary, q: str, dictionary: Abbreviations | None = None) -> list[list[str]]:
    """Return the understood query as groups of clauses: 'ALT:' marks an alternative, quotes a phrase."""
    understood = understand(parse_query(q), vocabulary, dictionary or abbreviations.load())
    return [
        [("ALT:" if c.alternative else "") + (f'"{" ".join(s.exact for s in c.syllables)}"' if c.phrase
                                               else " ".join(s.exact for s in c.syllables)) for c in group]
        for group in understood.parsed.groups
    ]


def test_telex_words_are_searched_as_their_syllables_with_accents(vocabulary):
    understood = understand(parse_query("chir thij 05 booj chinhs trij"), vocabulary, abbreviations.load())
    syllables = understood.parsed.syllables
    assert [s.exact for s in syllables[:2]] == ["chỉ", "thị"]
    assert all(s.accented for s in syllables if not s.folded.isdigit())
    assert understood.notices[0] == "Đã hiểu cách gõ Telex/VNI: tìm “chỉ thị 05 bộ chính trị”."
    assert understood.rewritten_text() == "chỉ thị 05 bộ chính trị"


def test_vni_words_are_searched_as_their_syllables(vocabulary):
    understood = understand(parse_query("ha2 no65i"), vocabulary, abbreviations.load())
    assert groups_of(vocabulary, "ha2 no65i") == [["hà nội", "ALT:hn"]]
    assert understood.rewritten_text() == "hà nội"


@pytest.fixture(scope="module")
def rating_engine(tmp_path_factory):
    """An index of the demo articles saying "bà" and one article giving a credit rating, "Ba2"."""
    source = tmp_path_factory.mktemp("rating") / "articles.jsonl"
    articles = [a for a in DEMO_ARTICLES if re.search(r"\bbà\b", a["body"], re.IGNORECASE)]
    articles.append({"id": "rating", "title": "Moody's giữ xếp hạng tín nhiệm của Việt Nam",
                     "body": "Moody's giữ mức xếp hạng tín nhiệm quốc gia Ba2 của Việt Nam, triển vọng ổn định."})
    write_jsonl(source, articles)
    reindex(source.parent / "index", [str(source)], procs=1)
    return SearchEngine(source.parent / "index")


@pytest.fixture(scope="module")
def syllable_vocabulary(tmp_path_factory):
    """The vocabulary of the demo articles and four news articles (tests/fixtures/README.md):
    three titles hold a syllable "e" (e sợ, e ngại, ế), one "nhu"; none holds "nhuệ"."""
    folder = tmp_path_factory.mktemp("syllables")
    source = folder / "articles.jsonl"
    write_jsonl(source, DEMO_ARTICLES)
    reindex(folder / "index", [str(source), str(FIXTURES / "one_syllable.jsonl")], procs=1)
    return Vocabulary(SearchEngine(folder / "index").backend.statistics())


def test_one_vietnamese_syllable_is_never_split_into_two(syllable_vocabulary):
    # "nhu" and "e" are title syllables of their own; the river Nhuệ is in no article.
    assert split_word("nhue", syllable_vocabulary.syllables) == ["nhu", "e"]
    assert syllable_vocabulary.frequency("nhue") == 0
    assert groups_of(syllable_vocabulary, "song nhue") == [["song"], ["nhue"]]
    assert groups_of(syllable_vocabulary, "sông Nhuệ") == [["sông"], ["nhuệ"]]
    # A run of several syllables still is.
    assert groups_of(syllable_vocabulary, "hanoi") == [["hanoi", 'ALT:"ha noi"']]


def test_a_vni_word_the_index_barely_holds_is_also_searched_decoded(rating_engine):
    vocabulary = Vocabulary(rating_engine.backend.statistics())
    assert vocabulary.frequency("bà") > REWRITE_RATIO * vocabulary.frequency("ba2") > 0
    assert groups_of(vocabulary, "Ba2") == [["ba2", "ALT:bà"]]
    understood = understand(parse_query("kể cả ba2"), vocabulary, abbreviations.load())
    assert understood.rewritten_text() == "kể cả bà"
    # The word as typed still comes first where it stands.
    result = rating_engine.search(SearchRequest(q="Ba2", size=10))
    assert result["hits"][0]["id"] == "rating"
    assert len(result["hits"]) == 10


def test_beside_a_telex_word_a_rare_word_of_the_index_is_also_searched_decoded(vocabulary, engine):
    # "teen" stands in one demo article, "tên" in many: alone it is English, beside "ddawtj" Telex.
    assert vocabulary.frequency("tên") > REWRITE_RATIO * vocabulary.frequency("teen") > 0
    assert groups_of(vocabulary, "teen") == [["teen"]]
    assert groups_of(vocabulary, "ddawtj teen") == [["đặt"], ["teen", "ALT:tên"]]
    assert groups_of(vocabulary, "teen tuooir") == [["teen", "ALT:tên"], ["tuổi"]]
    understood = understand(parse_query("ddawtj teen"), vocabulary, abbreviations.load())
    assert understood.rewritten_text() == "đặt tên"
    typed = engine.search(SearchRequest(q="ddawtj teen", size=50, facets=False))
    accented = engine.search(SearchRequest(q="đặt tên", size=50, facets=False))
    assert typed["total"] == accented["total"] > 0
    assert {h["id"] for h in typed["hits"]} == {h["id"] for h in accented["hits"]}


def test_real_syllables_and_foreign_words_are_searched_as_typed(vocabulary):
    assert groups_of(vocabulary, "ban tri smartphone iphone arsenal") == [
        ["ban"], ["tri"], ["smartphone"], ["iphone"], ["arsenal"]]


@pytest.mark.parametrize("q, expected", [
    ("hanoi", [["hanoi", 'ALT:"ha noi"']]),
    ("covid19", [["covid19", 'ALT:"covid 19"']]),
    ("iphone12", [["iphone12", 'ALT:"iphone 12"']]),
    ("vietnam", [["vietnam", 'ALT:"viet nam"']]),
])
def test_run_together_words_are_also_searched_split(vocabulary, q, expected):
    assert groups_of(vocabulary, q) == expected


def test_words_the_index_knows_are_not_split(vocabulary):
    assert groups_of(vocabulary, "covid thanh") == [["covid"], ["thanh"]]
    assert split_word("xyzzyq", vocabulary.syllables) is None


@pytest.mark.parametrize("q", ["TP.HCM", "TP HCM", "tphcm", "Thành phố Hồ Chí Minh", "thanh pho ho chi minh"])
def test_every_form_of_an_abbreviation_searches_all_its_forms(vocabulary, q):
    groups = groups_of(vocabulary, q)
    assert len(groups) == 1
    searched = {clause.removeprefix("ALT:").strip('"') for clause in groups[0]}
    assert {form_key(f) for f in searched} == {
        ("tp", "hcm"), ("tphcm",), ("hcmc",), ("thanh", "pho", "ho", "chi", "minh")}


def test_a_form_that_is_an_ordinary_syllable_is_not_searched_for_another_form(vocabulary, engine):
    # "TƯ" is "tư" to the index (case is folded): searched for "trung ương" it found "tư duy".
    assert groups_of(vocabulary, "trung ương") == [["trung ương", "ALT:tw"]]
    assert groups_of(vocabulary, "TƯ") == [["tư", "ALT:tw", 'ALT:"trung ương"']]
    hits = engine.search(SearchRequest(q="trung ương", size=50))["hits"]
    assert hits and all(re.search(r"(?i:trung ương)|\bT[WƯ]\b", f'{h["title"]} {engine.article(h["id"])["body"]}')
                        for h in hits)


def test_an_abbreviation_is_expanded_where_it_stands_in_the_query(vocabulary):
    assert groups_of(vocabulary, "UBND tỉnh hlv park") == [
        ["ubnd", 'ALT:"uỷ ban nhân dân"'], ["tỉnh"], ["hlv", 'ALT:"huấn luyện viên"'], ["park"]]
    assert groups_of(vocabulary, "huấn luyện viên Park") == [
        ["huấn luyện viên", "ALT:hlv"], ["park"]]


def test_a_quoted_phrase_is_searched_exactly_as_typed_not_as_its_other_forms(vocabulary, engine):
    assert groups_of(vocabulary, '"trung ương" hội nghị') == [['"trung ương"'], ["hội"], ["nghị"]]
    assert groups_of(vocabulary, '"thành phố Hồ Chí Minh"') == [['"thành phố hồ chí minh"']]
    # Typed as one word, not quoted: still every form.
    assert groups_of(vocabulary, "TP.HCM")[0][1:] != []
    # The demo corpus writes "HLV" 76 times and "huấn luyện viên" 3 times.
    quoted = engine.search(SearchRequest(q='"huấn luyện viên"', size=100))
    unquoted = engine.search(SearchRequest(q="huấn luyện viên", size=100))
    assert quoted["total"] > 0 and unquoted["total"] > quoted["total"]
    for hit in quoted["hits"]:
        text = f'{hit["title"]} {engine.article(hit["id"])["body"]}'
        assert re.search(r"(?i:huấn luyện viên)", text), hit["title"]


@pytest.mark.parametrize("q, expected", [
    ("1000 tỷ", [["1000", 'ALT:"1 000"'], ["tỷ"]]),
    ("1.000 tỷ", [['"1 000"', "ALT:1000"], ["tỷ"]]),
    ("chỉ thị 5", [["chỉ"], ["thị"], ["5", "ALT:05"]]),
    ("chỉ thị 05", [["chỉ"], ["thị"], ["05", "ALT:5"]]),
    ("05-CT/TW", [['"05 ct tw"', 'ALT:"5 ct tw"']]),
    ("100/2019/NĐ-CP", [['"100 2019 nđ cp"']]),
    ("21/8/2019", [['"21 8 2019"', 'ALT:"21 08 2019"']]),
    ("21/08/2019", [['"21 08 2019"', 'ALT:"21 8 2019"']]),
    ("top 5 điện thoại", [["top"], ["5"], ["điện"], ["thoại"]]),
    # A year is never read as thousands separated ("2.021"); a round amount still is.
    ("2021", [["2021"]]),
    ("năm 1995", [["năm"], ["1995"]]),
    ("2000 tỷ", [["2000", 'ALT:"2 000"'], ["tỷ"]]),
    ("2500 tỷ", [["2500", 'ALT:"2 500"'], ["tỷ"]]),
])
def test_numbers_and_references_are_searched_as_written_in_articles(vocabulary, q, expected):
    assert groups_of(vocabulary, q) == expected


def test_the_shipped_dictionary_has_at_least_80_entries_and_no_bad_line():
    dictionary = abbreviations.load()
    assert len(dictionary.entries) >= 80
    assert dictionary.problems == []
    assert ("ủy ban nhân dân",) not in dictionary.by_key
    assert dictionary.alternatives(("uy", "ban", "nhan", "dan")) == ["UBND"]


def test_an_operator_file_adds_entries_and_reports_bad_lines_by_number(tmp_path, vocabulary):
    extra = tmp_path / "synonyms.txt"
    extra.write_text("# ours\nSGK | sách giáo khoa\nno separator here\n\nVAR | \n", encoding="utf-8")
    dictionary = abbreviations.load(str(extra))
    assert dictionary.problems == [
        f"{extra}, line 3: expected two or more forms separated by '|'; line skipped",
        f"{extra}, line 5: expected two or more forms separated by '|'; line skipped",
    ]
    assert groups_of(vocabulary, "sgk", dictionary) == [["sgk", 'ALT:"sách giáo khoa"']]
    assert len(dictionary.entries) == len(abbreviations.load().entries) + 1


def test_a_form_of_too_many_words_is_refused():
    assert parse_line("X | một hai ba bốn năm sáu bảy") == "form 'một hai ba bốn năm sáu bảy' must have 1 to 6 words"
    dictionary = Abbreviations()
    read_into(dictionary, ["A | b c", "# comment", "   "], "test")
    assert [e.forms for e in dictionary.entries] == [("A", "b c")]
