"""Telex and VNI typed without an input method, and the Vietnamese syllable check."""

from __future__ import annotations

import json

import pytest

from search import abbreviations
from search.parse import parse_query
from search.telex import decode, is_syllable
from search.text import SYLLABLE_RE, nfc
from search.understand import Vocabulary, understand
from tests.conftest import DEMO


def demo_words() -> set[str]:
    """Return every word of the demo corpus (titles, bodies and the portal article)."""
    words = set()
    with open(DEMO / "articles.jsonl", encoding="utf-8") as handle:
        for line in handle:
            article = json.loads(line)
            words |= set(SYLLABLE_RE.findall(nfc((article.get("title") or "") + " " + article["body"])))
    for path in (DEMO / "portal").glob("*.txt"):
        words |= set(SYLLABLE_RE.findall(nfc(path.read_text(encoding="utf-8"))))
    return words


@pytest.mark.parametrize("typed, syllable", [
    ("chir", "chỉ"), ("thij", "thị"), ("Vieetj", "Việt"), ("ddeesn", "đến"), ("xawng", "xăng"),
    ("Phuwowngj", "Phượng"), ("booj", "bộ"), ("chinhs", "chính"), ("nguwowif", "người"),
    ("dduowcj", "được"), ("truwowngf", "trường"), ("quyeets", "quyết"), ("giuwax", "giữa"), ("khoer", "khỏe"),
    ("caanf", "cần"), ("daan", "dân"),
    # Without a tone key, the r of "tr" is the onset's letter: "treen" is "trên".
    ("treen", "trên"), ("truwowng", "trương"), ("trawm", "trăm"), ("Traan", "Trân"), ("troong", "trông"),
    # VNI: digits after the letters they mark.
    ("ha2", "hà"), ("no65i", "nội"), ("ca61m", "cấm"), ("xa8ng", "xăng"), ("Vie6t5", "Việt"), ("d9u7o7ng2", "đường"),
])
def test_words_typed_in_telex_or_vni_decode_to_their_syllable(typed, syllable):
    assert decode(typed) == syllable


@pytest.mark.parametrize("word", [
    # Real unaccented syllables.
    "ban", "tri", "nay", "khi", "Chung", "hoang", "nguoi",
    # Foreign words and names, acronyms, numbers.
    "smartphone", "iphone", "arsenal", "Messi", "Trump", "Samsung", "covid19", "iphone15", "u23", "f1",
    "UBND", "HDND", "TPHCM", "CSGT", "VAR", "2021",
    # Keys where no typist puts them: the tone set twice, a vowel after the tone key (even the second
    # letter's: "Ari" is not "Ải"), "a..a", "e..e", "o..o" apart.
    "mars", "sofa", "Hari", "Ari", "Data", "Masan", "Rene", "Como",
])
def test_real_syllables_foreign_words_and_acronyms_are_not_decoded(word):
    assert decode(word) is None


@pytest.mark.parametrize("typed, syllable", [
    ("HAF", "HÀ"), ("NOOIJ", "NỘI"), ("VIEETJ", "VIỆT"), ("DDEENS", "ĐẾN"), ("HA2", "HÀ"), ("NO6I5", "NỘI"),
])
def test_a_word_in_capitals_is_an_acronym_unless_the_query_is_typed_in_capitals(typed, syllable):
    assert decode(typed) is None
    assert decode(typed, capitals=True) == syllable
    assert decode(typed.lower(), capitals=True) == syllable.lower()


@pytest.mark.parametrize("word", ["UBND", "TPHCM", "CSGT", "2021", "BAN", "IPHONE", "SOFA"])
def test_in_capitals_real_syllables_foreign_words_and_acronyms_are_still_not_decoded(word):
    assert decode(word, capitals=True) is None


@pytest.mark.parametrize("word", [
    "nghiêng", "quốc", "quên", "giết", "gì", "gìn", "khuỷu", "thuở", "hoặc", "quắp", "yêu", "kỹ",
    "ghế", "ghe", "người", "rượu", "giữa", "oái", "uống", "ước", "Việt", "ĐỒNG", "pin", "hoà", "hòa",
])
def test_vietnamese_syllables_pass_the_check(word):
    assert is_syllable(word)


@pytest.mark.parametrize("word", [
    "ka", "ge", "ci", "ngi", "ghu", "tiéng", "bàt", "hỏc", "smartphone", "wifi", "thij", "ăn1", "qa", "trưỡng̃",
    # ngh before a back vowel (nga), gi before a rhyme starting with i (gin), yê after an onset (tiên).
    "ngha", "giin", "tyên",
])
def test_non_syllables_fail_the_check(word):
    assert not is_syllable(word)


def test_the_syllable_check_accepts_every_vietnamese_word_of_the_demo_corpus():
    vietnamese = {w for w in demo_words() if w.isalpha() and w.islower() and not w.isascii()}
    refused = {w for w in vietnamese if not is_syllable(w)}
    # Two words run together in the source text, two misspellings and a loanword; nothing else.
    assert len(vietnamese) > 1500
    assert refused == {"làgiống", "viễ", "vệc", "ôxy"}


def test_no_word_of_the_demo_corpus_is_rewritten_as_telex(engine):
    vocabulary = Vocabulary(engine.backend.statistics())
    dictionary = abbreviations.load()
    decodable = sorted(w for w in demo_words() if decode(w))
    # Foreign words are Telex letter for letter ("Lee" -> "Lê", "teen" -> "tên"): the index keeps them.
    assert {"Lee", "teen", "Max"} <= set(decodable)
    rewritten = [w for w in decodable if understand(parse_query(w), vocabulary, dictionary).decoded]
    assert rewritten == []
