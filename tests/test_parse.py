"""The search box's query parser: fields, labels, the text's bounds, syllables kept across processes."""

from __future__ import annotations

import pickle

import pytest

from search.parse import Syllable, clean_query, folded_label, is_reference, parse_query, unquoted_text


def test_category_and_source_prefixes_are_filters_not_words():
    parsed = parse_query('category:"Thể thao" source:dantri  giá vàng')
    assert (parsed.categories, parsed.sources) == (["Thể thao"], ["dantri"])
    assert [(s.exact, c.field) for c in parsed.clauses for s in c.syllables] == [("giá", None), ("vàng", None)]
    # Unquoted, a label is its first word.
    unquoted = parse_query("category:kinh   doanh")
    assert (unquoted.categories, unquoted.sources, [s.exact for s in unquoted.syllables]) == (["kinh"], [], ["doanh"])


def test_a_category_prefix_names_a_section_by_any_of_its_values():
    assert parse_query("category:sport category:the-thao category:\"kinh doanh\" source:sport x").categories == [
        "Thể thao", "Thể thao", "Kinh doanh"]
    assert parse_query("source:sport x").sources == ["sport"]  # sources are not sections


@pytest.mark.parametrize("label, expected", [
    ("Thể  Thao", "the thao"),
    ("The\u0302\u0309 thao", "the thao"),  # decomposed, as some keyboards send it
    ("Kinh doanh", "kinh doanh"),
])
def test_a_label_is_compared_by_its_folded_syllables(label, expected):
    assert folded_label(label) == expected


@pytest.mark.parametrize("text, limit, expected", [
    ("chỉ thị 05", 10, ("chỉ thị 05", False)),  # exactly the limit: kept whole
    ("chỉ thị 05 bộ", 10, ("chỉ thị 05", True)),  # cut before a space: the words before it
    ("chỉ thị 05 bộ chính trị", 12, ("chỉ thị 05", True)),  # cut inside a word: back to the last space
    ("chỉthị05bộ", 5, ("chỉth", True)),  # one long word: cut where the limit falls
    ("bộ\x00chính trị", 100, ("bộ chính trị", False)),  # a control character is a space
    # Words apart by a tab, a newline or a no-break space (a pasted text): cut at the last of them.
    ("chỉ thị 05\tbộ chính", 12, ("chỉ thị 05", True)),
    ("chính\ntrịtrịtrị", 8, ("chính", True)),
    ("chỉ thị 05\u00a0bộ chính", 12, ("chỉ thị 05", True)),
])
def test_a_query_is_cut_to_its_limit_at_a_word(text, limit, expected):
    assert clean_query(text, limit) == expected


def test_a_syllable_survives_pickling_and_is_hashed_again_in_the_process_reading_it():
    syllable = Syllable.of("Việt", 3)
    # String hashes differ between processes: the hash is never part of the pickled state.
    assert set(syllable.__getstate__()) == {"raw", "exact", "folded", "start", "end", "link"}
    assert syllable.link == ""  # a syllable read alone links to nothing
    copy = pickle.loads(pickle.dumps(syllable))
    assert copy == syllable and hash(copy) == hash(syllable) and {copy: 1}[syllable] == 1
    assert (copy.raw, copy.exact, copy.folded, copy.start, copy.end) == ("Việt", "việt", "viet", 3, 7)


def test_a_syllable_without_a_place_has_neither_start_nor_end():
    assert (Syllable.of("Việt").start, Syllable.of("Việt").end) == (-1, -1)
    assert (Syllable.of("Việt", 0).start, Syllable.of("Việt", 0).end) == (0, 4)


def test_a_query_parsed_with_a_limit_is_cut_to_it():
    parsed = parse_query("chỉ thị 05 bộ chính trị", limit=10)
    assert (parsed.text, parsed.truncated, [s.exact for s in parsed.syllables]) == (
        "chỉ thị 05", True, ["chỉ", "thị", "05"])


def test_the_words_after_an_unbalanced_quote_are_kept_as_words():
    parsed = parse_query('bộ "chính trị hà nội')
    assert [([s.exact for s in c.syllables], c.phrase) for c in parsed.clauses] == [
        (["bộ"], False), (["chính"], False), (["trị"], False), (["hà"], False), (["nội"], False)]


def test_a_quoted_or_excluded_clause_is_a_phrase_only_of_several_syllables():
    parsed = parse_query('"việt" "hà nội" bộ -tp.hcm -việt -"hà nội" -"nam"')
    assert [([s.exact for s in c.syllables], c.phrase) for c in parsed.clauses] == [
        (["việt"], False), (["hà", "nội"], True), (["bộ"], False)]
    assert [([s.exact for s in c.syllables], c.phrase) for c in parsed.excluded] == [
        (["tp", "hcm"], True), (["việt"], False), (["hà", "nội"], True), (["nam"], False)]


def test_a_word_or_phrase_typed_in_quotes_is_marked_quoted():
    parsed = parse_query('"việt" "hà nội" bộ title:"nam" -"bộ trưởng" "')
    assert [([s.exact for s in c.syllables], c.phrase, c.quoted) for c in parsed.clauses] == [
        (["việt"], False, True), (["hà", "nội"], True, True), (["bộ"], False, False), (["nam"], False, True)]
    assert [(c.phrase, c.quoted) for c in parsed.excluded] == [(True, True)]


@pytest.mark.parametrize("q, unquoted", [
    ('"covid19"', "covid19"),
    ('"hà nội"  cấm  "xe máy"', "hà nội cấm xe máy"),
    ('giá "vàng"sjc', "giá vàng sjc"),
    # An excluded phrase and a field's keep their quotes: -"hà nội" leaves out one phrase.
    ('"bão" -"hà nội" title:"lũ lụt"', 'bão -"hà nội" title:"lũ lụt"'),
    ('bão -"hà nội"', None),
    ("bão hà nội", None),
    ('bão "hà nội', None),  # an unbalanced quote is no quoted word
])
def test_a_query_without_its_quotes_takes_them_off_its_quoted_words_only(q, unquoted):
    assert unquoted_text(q) == unquoted


@pytest.mark.parametrize("max_terms, expected", [
    (2, [(["bộ", "chính"], True)]),  # the phrase cut to its first two syllables, still a phrase
    (1, [(["bộ"], False)]),  # cut to one syllable: a word
])
def test_a_phrase_over_the_terms_bound_keeps_its_first_syllables_and_the_words_after_it_are_left_out(
        max_terms, expected):
    parsed = parse_query('"bộ chính trị" hà nội', max_terms=max_terms)
    assert [([s.exact for s in c.syllables], c.phrase) for c in parsed.clauses] == expected
    assert parsed.terms_cut


@pytest.mark.parametrize("word, expected", [
    ("15/2021/QĐ-TTg", True), ("05-CT/TW", True), ("219/QĐ-BYT", True), ("16/NQ-CP", True),
    ("68-NQ/CP", True), ("100/2019/nđ-cp", True), ("1234/UBND", True), ("5/2021/qđ", True),
    ("68/nq-cp", True), ("5/1998/qđ", True),  # two codes in lower case; a year of the 1900s
    ("1234/ubnd", False),  # one code in lower case and no year: as likely a unit
    ("5/2100/qđ", False), ("5/1234/qđ", False), ("5/20210/qđ", False), ("2021/5/qđ", False),  # no year after the number
    ("5/2021/q", False),  # a code of one letter
    ("31/2024/QH15", True), ("31/2024/qh15", True), ("5/m3", False),  # a code and a term's number
    ("111/phút", False), ("5/mm", False), ("10/ha", False), ("15/8/2021", False), ("24/7", False),
    ("70ml/ph", False), ("5/mm3", False), ("COVID-19", False), ("2019-nCoV", False), ("05-CT", False),
    ("QĐ-TTg", False), ("1/2", False), ("1/TP.HCM", False),
])
def test_a_document_number_is_told_from_a_number_over_a_unit_or_a_date(word, expected):
    assert is_reference(word) is expected


def test_a_word_typed_as_a_document_number_is_a_reference_clause_punctuation_around_it_aside():
    parsed = parse_query('(68/NQ-CP), "16/NQ-CP" 111/phút title:15/2021/QĐ-TTg -05-CT/TW')
    assert [[(c.reference, [s.exact for s in c.syllables]) for c in g] for g in parsed.groups] == [
        [(True, ["68", "nq", "cp"])], [(False, ["16", "nq", "cp"])], [(False, ["111", "phút"])],
        [(True, ["15", "2021", "qđ", "ttg"])]]
    assert [c.reference for c in parsed.excluded] == [True]


def test_a_word_of_time_typed_apart_in_a_short_query_is_one_phrase_read_as_the_words_typed():
    parsed = parse_query("Giá vàng HÔM NAY tăng")
    assert [[(" ".join(s.raw for s in c.syllables), c.phrase, c.joined) for c in group] for group in parsed.groups] == [
        [("Giá", False, False)], [("vàng", False, False)], [("HÔM NAY", True, True)], [("tăng", False, False)]]
    assert [(s.start, s.end) for s in parsed.groups[2][0].syllables] == [(9, 12), (13, 16)]


@pytest.mark.parametrize("q, groups", [
    ("giá vàng miếng SJC hôm nay tăng hay giảm", 9),  # nine syllables: a question, its words as typed
    ('giá vàng "hôm nay"', 3),  # quoted: the reader's own phrase
    ("giá vàng title:hôm nay", 4),  # a word in a field
    ("hôm OR hom nay", 2),  # a group with another spelling
])
def test_a_word_of_time_in_a_long_query_quoted_in_a_field_or_with_another_spelling_is_not_joined(q, groups):
    parsed = parse_query(q)
    assert len(parsed.groups) == groups and not any(c.joined for c in parsed.clauses)


@pytest.mark.parametrize("q, numerals", [
    ("giá 3.500.000đ", [(), ("3.500.000",)]),  # the unit glued on after the number
    ("ngày 21/8/2020", [(), ("21/8/2020",)]),
    ('"lãi suất 1,5%"', [("1,5",)]),  # in a quoted phrase
    ("1,5tr lúc 10:30", [("1,5",), (), ("10:30",)]),
    ("15/2021/QĐ-TTg", [("15/2021",)]),  # a document's number and year, its code after a slash
    ("chỉ thị 05-CT/TW 4-5 U23/2", [(), (), (), (), ()]),  # a hyphen, letters: no number with separators
    ("21 / 8 1. 5", [(), (), (), ()]),  # separators apart from the digits
])
def test_a_clause_writing_a_number_with_separators_requires_it_as_written(q, numerals):
    assert [clause.numerals for clause in parse_query(q).clauses] == numerals


def test_a_number_whose_next_part_was_cut_off_is_not_required():
    # The terms bound cuts "13.500.000" after "500": "13.500" is no number typed.
    parsed = parse_query("13.500.000 và 1/3", max_terms=2)
    assert [([s.raw for s in c.syllables], c.numerals) for c in parsed.clauses] == [(["13", "500"], ())]
    # Only a separator of numbers links two syllables, and only standing alone between them.
    assert [s.link for s in parse_query("13.500.000, 21/8 05-CT 1..2").syllables] == [
        ".", ".", "", "/", "", "", "", "", ""]
