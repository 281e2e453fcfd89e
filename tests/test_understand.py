"""Query understanding on the demo index: Telex/VNI, numbers, run-together words, abbreviations."""

from __future__ import annotations

import itertools
import re
from typing import ClassVar

import pytest
from unidecode import unidecode

from search import abbreviations
from search import understand as understand_module
from search.abbreviations import Abbreviations, Entry, form_key, parse_line, read_into
from search.engine import SearchEngine
from search.index import reindex
from search.parse import Clause, Syllable, parse_query, syllables_of
from search.request import SearchRequest
from search.telex import is_folded_syllable
from search.text import fold
from search.understand import (
    COMPOUND_MIN_ARTICLES,
    HELD_SPLITS_ASKED,
    MAX_CODE_LETTERS,
    MAX_JOIN_COUNTS,
    MAX_RARE_SPLIT_CHARS,
    MAX_RARE_SPLITS,
    MAX_WORD_PIECE_CHARS,
    OR_WORD_SHARE,
    REWRITE_RATIO,
    SPLIT_MIN_DF,
    Understood,
    Vocabulary,
    _Apart,
    _apart_pair,
    _bounced,
    _excluded_words,
    _held_joined,
    _held_words_split,
    _join_apart,
    _join_meant,
    _joined_words,
    _letter_split,
    _one_plain_syllable,
    _or_words,
    _ordinal_value,
    _rare_word_split,
    _read_amounts,
    _read_dates,
    _read_ordinals,
    _read_times,
    _read_units,
    _reference_alternatives,
    _short_split,
    _split_alternatives,
    _split_held_in_a_row,
    _split_letters,
    _split_meant,
    _syllable_map,
    _typo_of_held_word,
    _undoubled_split,
    roman,
    spelling_variant,
    split_word,
    understand,
)
from tests.helpers import DEMO_ARTICLES, FIXTURES, fixture_engines, write_jsonl


@pytest.fixture(scope="module")
def vocabulary(engine):
    return Vocabulary(engine.backend.statistics())


def groups_of(vocabulary, q: str, dictionary: Abbreviations | None = None) -> list[list[str]]:
    """Return the understood query as groups of clauses: 'ALT:' marks an alternative, quotes a phrase, and
    the numbers written with separators it requires follow in brackets."""
    understood = understand(parse_query(q), vocabulary, dictionary or abbreviations.load())
    return [
        [("ALT:" if c.alternative else "") + (f'"{" ".join(s.exact for s in c.syllables)}"' if c.phrase
                                               else " ".join(s.exact for s in c.syllables))
         + (f"[{' '.join(c.numerals)}]" if c.numerals else "") for c in group]
        for group in understood.parsed.groups
    ]


@pytest.mark.parametrize(("q", "compounds"), [
    ("chính trị kinh tế", ["chính trị", "kinh tế"]),
    ("thế giới chính trị", ["thế giới", "chính trị"]),
    ("giá vàng thế giới", ["thế giới"]),  # the segmenter never joins "giá vàng"
    ("bồ chính trí", ["chính trí"]),  # a word folded: its accents as typed
    ("booj chinhs trij", ["chính trị"]),  # decoded from Telex
    ("Chính Trị", ["Chính Trị"]),
    # Typed as a quoted phrase, with punctuation between, in a field or beside OR: no plain run.
    ('"chính trị" kinh tế', ["kinh tế"]), ("chính, trị kinh tế", ["kinh tế"]),
    ("title:chính trị kinh tế", ["kinh tế"]), ("chính trị OR kinh tế", []), ("kinh tế -chính trị", ["kinh tế"]),
    ("kinh tế xã hội", []),  # an abbreviation's long form (KT-XH): a phrase already
    ("chính trị kinh tế thế giới ra sao", []),  # a question (6 words): its tiers seldom answer
    ("chính trị, kinh tế", ["chính trị", "kinh tế"]),  # two runs, each with its word
])
def test_compound_words_are_the_plain_syllables_typed_in_a_row_the_index_holds_as_one_word(vocabulary, q, compounds):
    understood = understand(parse_query(q), vocabulary, abbreviations.load())
    assert [" ".join(s.raw for s in compound) for compound in understood.parsed.compounds] == compounds


@pytest.mark.parametrize(("q", "taken", "left"), [
    ("công nghệ sĩ", "công nghệ", "nghe_si"), ("khẩu trang phục", "trang phục", "khau_trang"),
])
def test_of_compounds_overlapping_the_one_more_articles_hold_is_taken(vocabulary, q, taken, left):
    understood = understand(parse_query(q), vocabulary, abbreviations.load())
    assert [" ".join(s.raw for s in c) for c in understood.parsed.compounds] == [taken]
    # Both are words the index holds (2 articles or more), the one taken more often.
    kept = "_".join(fold(word) for word in taken.split())
    assert vocabulary.frequency(kept) > vocabulary.frequency(left) >= COMPOUND_MIN_ARTICLES


class NewsFigures:
    """Term statistics of a few words as measured on the 5,986 news articles (``../shared/data``) and the
    portal article: {folded compound: (articles holding it as one word, articles writing its syllables
    in a row)}, and each syllable's frequency (title and body added, as the index's frequencies are)."""

    HELD: ClassVar[dict[str, tuple[int, int]]] = {
        "dong_dat": (9, 40), "viet_co": (5, 61), "xe_dien": (2, 28), "gia_vang": (0, 68), "nhat_ban": (503, 516),
        "chinh_tri": (191, 244), "pham_minh": (35, 82), "minh_chinh": (1, 41), "bong_da": (1394, 1251)}
    SYLLABLES: ClassVar[dict[str, int]] = {
        "dong": 5559, "dat": 3178, "viet": 4354, "co": 6153, "xe": 866, "dien": 3799, "gia": 4833, "vang": 1554,
        "nhat": 4657, "ban": 5160, "chinh": 3793, "tri": 3455, "pham": 2357, "minh": 3144, "bong": 2790, "da": 5970}

    def __init__(self):
        self.asked: list[tuple[str, ...]] = []

    def doc_frequency(self, term: str, fieldname: str) -> int:
        if fieldname != "body":
            return 0
        return self.HELD[term][0] if term in self.HELD else self.SYLLABLES.get(term, 0)

    def phrase_frequency(self, terms, most=None) -> int:
        self.asked.append(tuple(terms))
        return self.HELD.get("_".join(terms), (0, 0))[1]

    def title_syllables(self) -> list:
        return []


@pytest.mark.parametrize(("words", "held"), [
    ("dong dat", 9),  # pyvi joined 9 of the 40 writing it in a row: a word it often parts
    ("nhat ban", 503), ("chinh tri", 191), ("pham minh", 35),
    ("viet co", 0),  # joined 5 times of 61, mostly "Việt có" (Vietnamese have): no word
    ("xe dien", 0),  # 2 of 28: the segmenter seldom joins it
    ("gia vang", 0), ("minh chinh", 0),  # never joined; joined once
    ("bong da", 1394),  # joined in more articles than one in five of those holding "bong": not counted
])
def test_a_compound_word_is_held_when_the_segmenter_joined_it_in_one_in_five_articles_writing_it(words, held):
    assert understand_module._held_word(words.split(), Vocabulary(NewsFigures())) == held


@pytest.mark.parametrize(("words", "counted"), [
    ("nhat ban", True), ("viet co", True), ("dong dat", True),
    ("bong da", False),  # 2,790 hold "bong": at most that many write "bong da", within 5 x 1,394
    ("gia vang", False), ("minh chinh", False),  # joined in fewer than two articles: no word whatever the count
])
def test_a_compound_words_syllables_in_a_row_are_counted_only_when_the_count_can_decide(words, counted):
    statistics = NewsFigures()
    understand_module._held_word(words.split(), Vocabulary(statistics))
    assert statistics.asked == ([tuple(words.split())] if counted else [])


class CountedTogether(NewsFigures):
    """NewsFigures that note what is counted together (``prefetch_phrases``) and the bound each count is asked with."""

    def __init__(self):
        super().__init__()
        self.together: list[list[tuple[tuple[str, ...], int]]] = []
        self.bounds: list[int | None] = []

    def prefetch_phrases(self, asked) -> None:
        self.together.append([(tuple(terms), most) for terms, most in asked])

    def phrase_frequency(self, terms, most=None) -> int:
        self.bounds.append(most)
        return super().phrase_frequency(terms, most)


def test_a_querys_compound_words_are_counted_together_each_told_only_whether_more_than_five_times_hold_it():
    statistics = CountedTogether()
    understood = understand(parse_query("nhật bản động đất"), Vocabulary(statistics), abbreviations.load())
    assert [" ".join(s.raw for s in c) for c in understood.parsed.compounds] == ["nhật bản", "động đất"]
    # "ban dong" and the runs of three are joined in no article: not counted.
    assert statistics.together == [[(("nhat", "ban"), 5 * 503), (("dong", "dat"), 5 * 9)]]
    assert (statistics.asked, statistics.bounds) == ([("nhat", "ban"), ("dong", "dat")], [5 * 503, 5 * 9])


class Bounds(NewsFigures):
    """The rule's bounds: joined in exactly 2 articles, and in exactly one in five of those writing it; each
    syllable held by 1,000 articles (the run is counted) but for those of "i j", held by 20 (it is not)."""

    HELD: ClassVar[dict[str, tuple[int, int]]] = {"a_b": (2, 2), "c_d": (4, 20), "e_f": (4, 21), "g_h": (1, 1),
                                                  "w_x_y_z": (50, 50), "i_j": (4, 0)}
    SYLLABLES: ClassVar[dict[str, int]] = {**dict.fromkeys("abcdefghwxyz", 1000), "i": 20, "j": 1000}


@pytest.mark.parametrize(("words", "held"), [("a b", 2), ("c d", 4), ("e f", 0), ("g h", 0), ("i j", 4)])
def test_a_compound_word_held_in_two_articles_and_one_in_five_of_those_writing_it_is_a_word(words, held):
    assert understand_module._held_word(words.split(), Vocabulary(Bounds())) == held


def test_a_query_looks_up_compound_words_of_three_syllables_at_most():
    # "w x y z" held as one word of four syllables is not looked up (the segmenter rarely joins as many).
    parsed = parse_query("w x y z")
    assert understand_module.compounds_of(parsed.groups, parsed.text, Vocabulary(Bounds())) == []
    parsed = parse_query("a b x y z")
    assert understand_module.compounds_of(parsed.groups, parsed.text, Vocabulary(Bounds())) == [parsed.syllables[:2]]


def test_of_two_segmentations_weighing_alike_the_one_of_the_shorter_word_is_taken():
    # "a b" and "a b c" both held in 10 articles: the shorter word is kept whole, "c" is free.
    assert understand_module._segmented(3, {(0, 2): 10, (0, 3): 10, (1, 3): 0}) == [(0, 2)]
    assert understand_module._segmented(3, {(0, 2): 10, (0, 3): 11, (1, 3): 0}) == [(0, 3)]


def test_telex_words_are_searched_as_their_syllables_with_accents(vocabulary):
    understood = understand(parse_query("chir thij 05 booj chinhs trij"), vocabulary, abbreviations.load())
    syllables = understood.parsed.syllables
    assert [s.exact for s in syllables[:2]] == ["chỉ", "thị"]
    assert all(s.accented for s in syllables if not s.folded.isdigit())
    assert understood.notices[0] == "Đã hiểu cách gõ Telex/VNI: tìm “chỉ thị 05 bộ chính trị”."
    assert understood.rewritten_text() == "chỉ thị 05 bộ chính trị"


def test_a_query_typed_in_capitals_reads_its_telex_and_vni_words_and_keeps_them_in_capitals(vocabulary):
    for q, read in (("CHIR THIJ 05 BOOJ CHINHS TRIJ", "CHỈ THỊ 05 BỘ CHÍNH TRỊ"), ("HA2 NO6I5", "HÀ NỘI")):
        understood = understand(parse_query(q), vocabulary, abbreviations.load())
        assert understood.capitals
        assert understood.rewritten_text() == read
        assert understood.notices[0] == f"Đã hiểu cách gõ Telex/VNI: tìm “{read}”."
        # Searched as the same words typed in small letters are.
        small = understand(parse_query(q.lower()), vocabulary, abbreviations.load())
        assert groups_of(vocabulary, q) == groups_of(vocabulary, q.lower())
        assert [s.exact for s in understood.parsed.syllables] == [s.exact for s in small.parsed.syllables]


@pytest.mark.parametrize("q, groups, notice", [
    # Words the index holds as one (pyvi's compounds in the articles), either side, accents or none.
    ("học sinh OR sinh viên", [['"học sinh"', '"sinh viên"']], "Tìm “học sinh” hoặc “sinh viên”."),
    ("hoc sinh OR sinh vien", [['"hoc sinh"', '"sinh vien"']], "Tìm “hoc sinh” hoặc “sinh vien”."),
    ("đại học OR cao đẳng tuyển sinh", [['"đại học"', '"cao đẳng"'], ["tuyển"], ["sinh"]],
     "Tìm “đại học” hoặc “cao đẳng”."),  # the longest word beside OR: "cao đẳng", not "cao đẳng tuyển sinh"
    # A chain: the word between two ORs is the operand of both.
    ("học sinh OR sinh viên OR giáo viên", [['"học sinh"', '"sinh viên"', '"giáo viên"']],
     "Tìm “học sinh” hoặc “sinh viên” hoặc “giáo viên”."),
    # Names typed with capitals, whatever the index holds; in capitals throughout, only its words.
    ("Phạm Minh Chính OR Vũ Đức Đam", [['"phạm minh chính"', '"vũ đức đam"']],
     "Tìm “Phạm Minh Chính” hoặc “Vũ Đức Đam”."),
    ("Hà Nội OR Đà Nẵng OR Huế", [['"hà nội"', '"đà nẵng"', "huế"]], "Tìm “Hà Nội” hoặc “Đà Nẵng” hoặc “Huế”."),
    ("HÀ NỘI OR ĐÀ NẴNG", [['"hà nội"', '"đà nẵng"']], "Tìm “HÀ NỘI” hoặc “ĐÀ NẴNG”."),
    ("PHẠM MINH CHÍNH OR VŨ", [["phạm"], ["minh"], ["chính", "vũ"]], None),
    # A side that is no word is as long as the other (a name typed without capitals), unless that parts a word.
    ("pham minh chinh OR vu duc dam", [['"pham minh chinh"', '"vu duc dam"']],
     "Tìm “pham minh chinh” hoặc “vu duc dam”."),
    ("hoc sinh OR nguyen dinh", [['"hoc sinh"', '"nguyen dinh"']], "Tìm “hoc sinh” hoặc “nguyen dinh”."),
    ("bóng đá OR tennis Việt Nam", [['"bóng đá"', "tennis"], ["việt nam", "ALT:vn"]],
     "Tìm “bóng đá” hoặc “tennis”."),
    ("vắc xin OR thuốc điều trị", [['"vắc xin"', "thuốc"], ["điều"], ["trị"]], "Tìm “vắc xin” hoặc “thuốc”."),
    # A form of the dictionary (a loanword).
    ("vắc xin OR vaccine", [['"vắc xin"', "vaccine"]], "Tìm “vắc xin” hoặc “vaccine”."),
    # Two words to pyvi ("giá vàng": price of gold): OR binds the syllable, as typed...
    ("giá vàng OR bạc", [["giá"], ["vàng", "bạc"]], None),
    # ... unless the reader typed both sides alike: as many words, the same first or last.
    ("giá vàng OR giá bạc OR giá đồng", [['"giá vàng"', '"giá bạc"', '"giá đồng"']],
     "Tìm “giá vàng” hoặc “giá bạc” hoặc “giá đồng”."),
    ("nhà ở OR đất ở", [['"nhà ở"', '"đất ở"']], "Tìm “nhà ở” hoặc “đất ở”."),
    ("bóng đá nam OR bóng đá nữ", [['"bóng đá nam"', '"bóng đá nữ"']], "Tìm “bóng đá nam” hoặc “bóng đá nữ”."),
    ("giá vàng OR giá bạc OR đồng", [['"giá vàng"', '"giá bạc"', "đồng"]],
     "Tìm “giá vàng” hoặc “giá bạc” hoặc “đồng”."),
    # Never across punctuation, into a quoted phrase or a field, and never past an operand of its own.
    ("học, sinh OR sinh viên", [["học"], ["sinh", '"sinh viên"']], "Tìm “sinh” hoặc “sinh viên”."),
    ('"trường học" sinh OR x', [['"trường học"'], ["sinh", "x"]], None),
    ("x OR y z OR w", [["x", "y"], ["z", "w"]], None),
])
def test_an_operand_of_or_is_the_word_beside_it_not_its_syllable(vocabulary, q, groups, notice):
    understood = understand(parse_query(q), vocabulary, abbreviations.load())
    assert groups_of(vocabulary, q) == groups
    assert [n for n in understood.notices if n.startswith("Tìm “")] == ([notice] if notice else [])


class GivenWords:
    """A vocabulary holding given words (runs of syllables) as one word in `held` of the `written` articles
    writing each run of syllables in a row, and any other run as no word; each syllable in `alone` articles."""

    def __init__(self, *words: str, held: int = 10, written: int = 10, alone: int = 1000):
        self.words = {"_".join(form_key(word)) for word in words}
        self.held, self.written, self.alone = held, written, alone

    def frequency(self, term: str) -> int:
        return self.held if term in self.words else 0 if "_" in term else self.alone

    def phrase_frequency(self, terms: list[str], most: int | None = None) -> int:
        return self.written


def or_read(q: str, *words: str, capitals: bool = False, dictionary: Abbreviations | None = None,
            **counts) -> list[list[str]]:
    """Return the groups of q with its operands of OR read against GivenWords(*words): a phrase quoted."""
    parsed = parse_query(q)
    groups = _or_words(parsed, GivenWords(*words, **counts), dictionary or Abbreviations(),
                       Understood(parsed, parsed, capitals=capitals))
    return [[(f'"{" ".join(s.raw for s in c.syllables)}"' if c.phrase else " ".join(s.raw for s in c.syllables))
             for c in group] for group in groups]


@pytest.mark.parametrize("q, words, expected", [
    # A chain: each operand between two ORs is both's, and never reaches past the next OR.
    ("x OR y z OR w", ["y z"], [["x", '"y z"', "w"]]),
    ("x OR y z OR w", ["y z w"], [["x", "y"], ["z", "w"]]),
    ("x OR y z OR w v OR u", ["y z", "w v"], [["x", '"y z"', '"w v"', "u"]]),
    ("p, x OR y z OR w", ["y z"], [["p"], ["x", '"y z"', "w"]]),
    # A side that is no word is as long as the one before it, along the chain.
    ("x y OR p q OR r s", ["x y"], [['"x y"', '"p q"', '"r s"']]),
    # Sides typed alike: along the chain, as many words as the operand before.
    ("a b c OR a b d OR b d e", [], [['"a b c"', '"a b d"', '"b d e"']]),
    ("giá vàng OR giá bạc OR giá xăng dầu", ["xăng dầu"], [['"giá vàng"', '"giá bạc"', '"giá xăng"'], ["dầu"]]),
    ("x giá vàng OR giá bạc", [], [["x"], ['"giá vàng"', '"giá bạc"']]),
    ("x giá vàng OR giá bạc y", [], [["x"], ['"giá vàng"', '"giá bạc"'], ["y"]]),  # two alike, not three
    ("a b c OR d e c", [], [['"a b c"', '"d e c"']]),  # the same last word
    # Sides alike only within their own operands: never over the operand after the OR before.
    ("x OR y z w OR y q r", [], [["x", "y"], ["z"], ["w", "y"], ["q"], ["r"]]),
    # Two words of their own, however long the other.
    ("a b c OR d e f", ["a b c", "d e"], [['"a b c"', '"d e"'], ["f"]]),
    ("x OR y z OR w v OR u t s r", ["y z", "w v"], [["x", '"y z"', '"w v"', '"u t"'], ["s"], ["r"]]),
    ("x OR y OR y z", ["y z"], [["x", "y", '"y z"']]),  # an operand of one word is alike to none
    # No side as long as the other where that parts a word, before or after OR.
    ("bóng đá OR tennis việt nam x", ["bóng đá", "việt nam"], [['"bóng đá"', "tennis"], ["việt"], ["nam"], ["x"]]),
    ("x nguyen dinh OR hoc sinh", ["hoc sinh", "x nguyen"], [["x"], ["nguyen"], ["dinh", '"hoc sinh"']]),
    ("x nguyen dinh OR hoc sinh", ["hoc sinh"], [["x"], ['"nguyen dinh"', '"hoc sinh"']]),
    # Names in capitals, which the index need not hold.
    ("Lò Văn OR Hà Giang", [], [['"Lò Văn"', '"Hà Giang"']]),
    ("Lò văn OR hà Giang", [], [["Lò"], ["văn", "hà"], ["Giang"]]),
])
def test_operands_of_or_are_read_along_a_chain_alike_mirrored_and_by_name(q, words, expected):
    assert or_read(q, *words) == expected


def excluded_read(q: str, *words: str) -> tuple[list[str], list[list[str]], list[str]]:
    """Return the excluded clauses, the groups and the notices of q with its excluded words read against
    GivenWords(*words): a phrase quoted."""
    parsed = parse_query(q)
    understood = Understood(parsed, parsed)
    read = _excluded_words(parsed, GivenWords(*words), Abbreviations(), understood)
    shown = lambda c: f'"{" ".join(s.raw for s in c.syllables)}"' if c.phrase else c.syllables[0].raw  # noqa: E731
    return [shown(c) for c in read.excluded], [[shown(c) for c in g] for g in read.groups], understood.notices


@pytest.mark.parametrize("q, words, expected", [
    ("covid -hà nội", ["hà nội"], (['"hà nội"'], [["covid"]], ["Loại các bài có “hà nội”."])),
    ("-hà nội covid x", ["hà nội covid"], (['"hà nội covid"'], [["x"]], ["Loại các bài có “hà nội covid”."])),
    ("covid -hà nội x -bóng đá", ["hà nội", "bóng đá"],
     (['"hà nội"', '"bóng đá"'], [["covid"], ["x"]], ["Loại các bài có “hà nội”.", "Loại các bài có “bóng đá”."])),
    ("covid -Phạm Minh Chính", [], (['"Phạm Minh Chính"'], [["covid"]], ["Loại các bài có “Phạm Minh Chính”."])),
    # Words that are no word together, or typed apart from it, stay required.
    ("covid -giá vàng", [], (["giá"], [["covid"], ["vàng"]], [])),
    ("covid -hà, nội", ["hà nội"], (["hà"], [["covid"], ["nội"]], [])),
    ("covid -hà nội OR x", ["hà nội"], (["hà"], [["covid"], ["nội", "x"]], [])),
    ('covid -hà "nội"', ["hà nội"], (["hà"], [["covid"], ["nội"]], [])),
    ("covid -title:hà nội", ["hà nội"], (["hà"], [["covid"], ["nội"]], [])),
    ("nội -hà", ["hà nội"], (["hà"], [["nội"]], [])),
])
def test_a_word_after_a_minus_is_left_out_with_the_words_typed_after_it_that_make_one_word(q, words, expected):
    assert excluded_read(q, *words) == expected


def test_names_are_no_words_with_caps_lock_on():
    assert or_read("LÒ VĂN OR HÀ GIANG", capitals=True) == [["LÒ"], ["VĂN", "HÀ"], ["GIANG"]]


def test_an_operand_of_or_is_a_compound_held_in_one_in_or_word_share_of_its_articles():
    assert OR_WORD_SHARE == 5
    assert or_read("a b OR c", "a b", held=2, written=10) == [['"a b"', "c"]]
    assert or_read("a b OR c", "a b", held=2, written=11) == [["a"], ["b", "c"]]
    assert or_read("a b OR c", "a b", held=2, written=0) == [["a"], ["b", "c"]]  # a run no article writes


def test_an_operand_of_or_is_a_form_of_the_dictionary():
    assert or_read("vắc xin OR thuốc", dictionary=abbreviations.load()) == [['"vắc xin"', "thuốc"]]


def test_an_operand_of_or_grown_into_a_word_is_one_typed_word_in_a_row():
    parsed = parse_query("bóng đá OR x")
    group = _or_words(parsed, GivenWords("bóng đá"), Abbreviations(), Understood(parsed, parsed))[0]
    assert [(c.phrase, c.joined, c.alternative, c.field, c.reference) for c in group] == [
        (True, True, False, None, False), (False, False, False, None, False)]


@pytest.mark.parametrize("clause, plain", [
    (Clause(syllables_of("a")), True),
    (Clause(syllables_of("a b")), False),
    (Clause(syllables_of("a"), quoted=True), False),
    (Clause(syllables_of("a"), field="title"), False),
    (Clause(syllables_of("a"), alternative=True), False),
    (Clause(syllables_of("a"), reference=True), False),
])
def test_an_operand_of_or_grows_over_plain_words_of_one_syllable_alone(clause, plain):
    assert _one_plain_syllable(clause) is plain


@pytest.mark.parametrize("q, capitals", [
    ("HAF NOOIJ", True), ("UBND", True), ("TP.HCM 2024", True), ("HN", True),
    ("HAF nooij", False), ("Haf Nooij", False), ("A", False), ("05", False), ("A 05", False),
])
def test_a_query_is_typed_in_capitals_when_its_letters_are_two_or_more_all_capitals(vocabulary, q, capitals):
    assert understand(parse_query(q), vocabulary, abbreviations.load()).capitals is capitals


def test_a_query_in_capitals_is_read_as_in_small_letters_word_by_word(vocabulary, rating_engine):
    # A Telex word beside a rare word of the index: the rare word also searched decoded.
    expected = [["đặt"], ["teen", "ALT:tên"]]
    assert groups_of(vocabulary, "DDAWTJ TEEN") == groups_of(vocabulary, "ddawtj teen") == expected
    # A query typing đ (DD) in capitals: its d is a d.
    assert groups_of(vocabulary, "DOOIJ DDAAUF") == groups_of(vocabulary, "dooij ddaauf") == [["dội"], ["đầu"]]
    assert groups_of(vocabulary, "DOOIJ TUYEENR") == [["dội", "ALT:đội"], ["tuyển"]]
    # A VNI word the index barely holds.
    ratings = Vocabulary(rating_engine.backend.statistics())
    assert groups_of(ratings, "KỂ CẢ BA2") == groups_of(ratings, "kể cả ba2") == [["kể"], ["cả"], ["ba2", "ALT:bà"]]


def test_beside_small_letters_a_word_in_capitals_is_an_acronym_not_telex(vocabulary):
    understood = understand(parse_query("chir thij BOOJ CHINHS"), vocabulary, abbreviations.load())
    assert [s.raw for s in understood.parsed.syllables] == ["chỉ", "thị", "BOOJ", "CHINHS"]


@pytest.mark.parametrize("word, variant", [
    ("kĩ", "kỹ"), ("kỹ", "kĩ"), ("Lý", "Lí"), ("lí", "lý"), ("Mĩ", "Mỹ"), ("tỉ", "tỷ"), ("sỹ", "sĩ"), ("hy", "hi"),
    ("qui", "quy"), ("QUÝ", "QUÍ"), ("kì", "kỳ"), ("tị", "tỵ"), ("ki", "ky"),
])
def test_an_open_syllable_of_i_or_y_after_h_k_l_m_s_t_or_qu_is_spelled_the_other_way_tone_and_capitals_kept(
        word, variant):
    assert spelling_variant(word) == variant
    assert spelling_variant(variant) == word


@pytest.mark.parametrize("word", [
    # Other onsets: one spelling (``vi`` and ``Vy`` are two words, ``thi`` is no ``thy``).
    "vi", "Vy", "thi", "khi", "chỉ", "bị", "đi", "nhì", "phí", "trị", "gì", "di",
    # Not an open rhyme of i / y alone.
    "kim", "tia", "tuy", "quyết", "lịch", "ký_sự", "y", "i", "ý", "ai", "",
])
def test_a_syllable_without_an_open_i_or_y_after_those_onsets_has_no_other_spelling(word):
    assert spelling_variant(word) is None


@pytest.mark.parametrize("q, expected", [
    # The demo articles write "kỹ" in 26, "kĩ" in 1; "tỷ" 52, "tỉ" 5; "lý" 103, "lí" 3.
    ("kĩ thuật", [["kĩ", "ALT:kỹ"], ["thuật"]]),
    ("tỉ lệ", [["tỉ", "ALT:tỷ"], ["lệ"]]),
    ("KĨ THUẬT", [["kĩ", "ALT:kỹ"], ["thuật"]]),
    # The spelling the articles hold more often typed: as typed.
    ("kỹ thuật", [["kỹ"], ["thuật"]]),
    ("quản lý", [["quản"], ["lý"]]),
    # Without accents, only beside a word the articles write the other spelling with more often.
    ("ki thuat", [["ki", "ALT:ky"], ["thuat"]]),
    ("hi vong", [["hi", "ALT:hy"], ["vong"]]),
    ("thuat ki", [["thuat"], ["ki", "ALT:ky"]]),  # the word before counts as the word after does
    ("ki qqq", [["ki"], ["qqq"]]),  # neither spelling beside "qqq": as typed
    # The next word before it and after it, not two: "quan ly", "ly do" stand in a row, "qqq quan ly",
    # "ly do qqq" nowhere.
    ("qqq quan li", [["qqq"], ["quan"], ["li", "ALT:ly"]]),
    ("li do qqq", [["li", "ALT:ly"], ["do"], ["qqq"]]),
    ("mi 4", [["mi"], ["4"]]),
    ("mi", [["mi"]]),
    # A quoted phrase too, as a phrase: the same words in the other spelling.
    ('"kĩ thuật"', [['"kĩ thuật"', 'ALT:"kỹ thuật"']]),
])
def test_a_syllable_typed_in_its_rarer_spelling_of_i_or_y_is_also_searched_in_the_other(vocabulary, q, expected):
    assert groups_of(vocabulary, q) == expected


def test_words_typed_apart_that_the_articles_write_as_one_are_also_read_in_their_other_spelling(tmp_path):
    source = write_jsonl(tmp_path / "milan.jsonl", [
        *({"id": f"milan{n}", "title": f"AC Milan thắng trận {n}", "body": "Milan thắng."} for n in range(4)),
        *({"id": f"mylan{n}", "title": f"Ca sĩ Mỹ Lan hát {n}", "body": "Mỹ Lan hát ở Mỹ."} for n in range(2)),
    ])
    reindex(tmp_path / "index", [str(source)], procs=1)
    vocabulary = Vocabulary(SearchEngine(tmp_path / "index").backend.statistics())
    # "milan" is one word typed apart, and "my lan" stands in a row where "mi lan" does not: both readings.
    assert groups_of(vocabulary, "mi lan") == [["mi lan", "ALT:milan", "ALT:my lan"]]
    assert groups_of(vocabulary, "ca si mi") == [["ca"], ["si"], ["mi", "ALT:my"]]


def test_the_other_spelling_of_i_or_y_is_searched_only_where_it_is_held_more_often_in_the_typed_words_place(
        tmp_path):
    source = write_jsonl(tmp_path / "spellings.jsonl", [
        {"id": "a", "title": "Kĩ năng sống", "body": "Kĩ năng."},
        {"id": "b", "title": "Kỹ năng mềm", "body": "Kỹ năng."},
        {"id": "c", "title": "Tỷ giá", "body": "Tỷ giá."}, {"id": "d", "title": "Tỷ lệ", "body": "Tỉ lệ."},
    ])
    reindex(tmp_path / "index", [str(source)], procs=1)
    vocabulary = Vocabulary(SearchEngine(tmp_path / "index").backend.statistics())
    # Both spellings in as many articles: each as typed.
    assert groups_of(vocabulary, "kĩ năng") == [["kĩ"], ["năng"]]
    assert groups_of(vocabulary, "kỹ năng") == [["kỹ"], ["năng"]]
    understood = understand(parse_query("title:tỉ giá"), vocabulary, abbreviations.load())
    assert [[(c.field, c.alternative, [(s.raw, s.start, s.end) for s in c.syllables]) for c in group]
            for group in understood.parsed.groups] == [
        [("title", False, [("tỉ", 6, 8)]), ("title", True, [("tỷ", 6, 8)])], [(None, False, [("giá", 9, 12)])]]


def test_a_query_in_the_rarer_spelling_of_i_or_y_finds_the_articles_of_either_and_says_so(engine):
    def ids(q: str) -> set[str]:
        return {h["id"] for h in engine.search(SearchRequest(q=q, size=50))["hits"]}

    def writing(pattern: str) -> set[str]:
        written = re.compile(rf"(?i)(?<!\w){pattern}(?!\w)")
        return {a["id"] for a in DEMO_ARTICLES if written.search(f'{a["title"]} {a["body"]}')}

    for q, either, typed in (("kĩ thuật", "k[ĩỹ] thuật", "kĩ thuật"), ("tỉ lệ", "t[ỉỷ] lệ", "tỉ lệ")):
        # In quotes too: the other spelling is the same word.
        assert len(writing(either)) > len(writing(typed)) and ids(q) == ids(f'"{q}"') == writing(either)
    result = engine.search(SearchRequest(q="kĩ thuật"))
    assert result["notices"] == ["Tìm cả “kỹ” cho “kĩ”."]
    unaccented = engine.search(SearchRequest(q="ki thuat"))
    assert unaccented["notices"] == ["Tìm cả “ky” cho “ki”."] and unaccented["suggestion"] == "kỹ thuật"


def test_a_word_of_time_read_from_telex_is_one_phrase_as_typed_with_accents(vocabulary):
    understood = understand(parse_query("gias vangf hoom nay"), vocabulary, abbreviations.load())
    shapes = [[(" ".join(s.exact for s in c.syllables), c.phrase, c.joined) for c in group]
              for group in understood.parsed.groups]
    assert shapes == [[("giá", False, False)], [("vàng", False, False)], [("hôm nay", True, True)]]
    long = understand(parse_query("gias vangf mieesng sjc hoom nay tawng hay giarm"), vocabulary, abbreviations.load())
    assert not any(c.joined for c in long.parsed.clauses)  # nine syllables: a question


@pytest.mark.parametrize("typed, frequencies, read", [
    ("nộiii", {"nội": 5}, "nội"), ("NỘIIII", {"nội": 5}, "NỘI"), ("đẹppppp", {"đẹp": 1}, "đẹp"),
    ("quáaaa", {"quá": 1}, "quá"), ("quaaaá", {"quá": 1}, "quá"),  # the letter typed with marks kept
    ("Brooooklyn", {"brooklyn": 1}, "Brooklyn"),  # one letter, else two
    ("Brooooklyn", {"broklyn": 1, "brooklyn": 1}, "Broklyn"),
    ("haaaf", {"hà": 3}, "hà"), ("nooooij", {"nội": 3}, "nội"),  # read as Telex once the run is one letter
    ("nộiii", {}, None),  # no word the index holds
    ("aaa", {"aaa": 1, "a": 100}, None), ("nộiii", {"noiii": 1, "nội": 100}, None),  # the word typed is held
    ("hayy", {"hay": 5}, None), ("1000", {"10": 5}, None),  # a letter twice, a digit: not held down
    ("nooij", {"nội": 3}, None),  # no letter held down: Telex is read elsewhere (``_decode_clause``)
    ("bookkkk", {"book": 1}, "book"),  # a letter twice beside one held down stays twice
    ("Tếttt2000", {"tết2000": 1}, "Tết2000"),  # digits are never held down
    ("doooongf", {"đồng": 3}, "đồng"),  # Telex's d read crossed where the index writes the syllable so
])
def test_a_word_typed_with_a_letter_held_down_is_read_as_the_word_the_index_holds(typed, frequencies, read):
    from search.parse import Syllable
    from search.understand import _unstretched

    assert _unstretched(Syllable.of(typed), PhraseCounts(frequencies, {}), False) == read


def test_a_word_in_capitals_with_a_letter_held_down_is_read_as_telex_with_caps_lock_on():
    from search.parse import Syllable
    from search.understand import _unstretched

    counts = PhraseCounts({"hà": 3}, {})
    assert (_unstretched(Syllable.of("HAAAF"), counts, True), _unstretched(Syllable.of("HAAAF"), counts, False)) == (
        "HÀ", None)


def test_a_query_with_a_letter_held_down_searches_the_word_and_says_so(vocabulary):
    understood = understand(parse_query("hà nộiii chúc mừnggg"), vocabulary, abbreviations.load())
    # Read as typed without the letters held down: "hà nội" is a form of the dictionary (HN).
    assert groups_of(vocabulary, "hà nộiii chúc mừnggg") == [["hà nội", "ALT:hn"], ["chúc"], ["mừng"]]
    assert understood.notices == ["Đã đọc “nộiii” là “nội”.", "Đã đọc “mừnggg” là “mừng”."]
    assert understood.rewritten_text() == "hà nội chúc mừng"


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
    # A stray token of VNI keys, "do65i", as an article may hold one.
    articles.append({"id": "stray", "title": "Bảng xếp hạng", "body": "Bảng xếp hạng mới: do65i tuyển."})
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


@pytest.mark.parametrize("q, expected", [
    # A word no article holds whose last letter is typed twice is read without it: split as the word is.
    ("hanoii", [["hanoii", 'ALT:"ha noi"']]),
    ("bongdaa", [["bongdaa", 'ALT:"bong da"']]),
    ("vietnamm", [["vietnamm", 'ALT:"viet nam"']]),
    # One syllable so typed is a typo, left to "did you mean" ("khoee" is no "khoe e", "nhuee" no "nhu e").
    ("khoee", [["khoee"]]),
    ("nhuee", [["nhuee"]]),
    # Typed with accents, one syllable and its last letter again: a typo, whatever the letter after it.
    ("hòaa", [["hoàa"]]),
])
def test_a_word_with_its_last_letter_typed_twice_is_split_as_the_word_without_it(syllable_vocabulary, q, expected):
    assert groups_of(syllable_vocabulary, q) == expected


def test_a_vni_word_the_index_barely_holds_is_also_searched_decoded(rating_engine):
    vocabulary = Vocabulary(rating_engine.backend.statistics())
    assert vocabulary.frequency("bà") > REWRITE_RATIO * vocabulary.frequency("ba2") > 0
    assert groups_of(vocabulary, "Ba2") == [["ba2", "ALT:bà"]]
    assert groups_of(vocabulary, '"Ba2"') == [["ba2"]]  # in quotes: the rating as typed
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


def test_a_telex_d_is_read_crossed_when_the_index_never_writes_the_syllable_with_d(vocabulary, engine):
    # Typists without an input method leave out đ's second key: no article writes "dồng" or "dịnh".
    assert vocabulary.frequency("dồng") == vocabulary.frequency("dịnh") == 0
    assert vocabulary.frequency("đồng") > 0 and vocabulary.frequency("định") > 0
    assert groups_of(vocabulary, "doongf") == groups_of(vocabulary, "ddoongf") == [["đồng"]]
    assert groups_of(vocabulary, "do6ng2") == [["đồng"]]  # VNI without its d9
    understood = understand(parse_query("Doongf Nai quy dinhj"), vocabulary, abbreviations.load())
    assert understood.rewritten_text() == "Đồng Nai quy định"
    assert understood.notices[0] == "Đã hiểu cách gõ Telex/VNI: tìm “Đồng Nai quy định”."
    typed = engine.search(SearchRequest(q="doongf tieenf", size=50, facets=False))
    accented = engine.search(SearchRequest(q="đồng tiền", size=50, facets=False))
    assert typed["total"] == accented["total"] > 0
    assert [h["id"] for h in typed["hits"]] == [h["id"] for h in accented["hits"]]


def test_a_telex_d_the_articles_write_is_read_as_typed_first(vocabulary):
    # "dầu" (oil) and "diện" stand in the demo articles beside "đầu" and "điện": the d typed is meant.
    assert 0 < vocabulary.frequency("dầu") < vocabulary.frequency("đầu")
    # As typed first, and with đ too (``test_a_telex_d_the_articles_also_write_crossed_is_searched_both_ways…``).
    assert groups_of(vocabulary, "daauf") == [["dầu", "ALT:đầu"]]
    assert groups_of(vocabulary, "dieenj tichs") == [["diện", "ALT:điện"], ["tích"]]
    # A syllable neither written with d nor with đ is no Telex the index can read: searched as typed.
    assert vocabulary.frequency("dặp") == vocabulary.frequency("đặp") == 0
    assert groups_of(vocabulary, "dawpj") == [["dawpj"]]


def test_a_telex_d_the_articles_also_write_crossed_is_searched_both_ways_unless_the_query_types_dd(vocabulary, engine):
    # "dội" stands in 4 demo articles, "đội" in 41: "dooij" may be either, its tone and vowel meant.
    assert 0 < vocabulary.frequency("dội") < vocabulary.frequency("đội")
    assert groups_of(vocabulary, "dooij tuyeenr") == [["dội", "ALT:đội"], ["tuyển"]]
    understood = understand(parse_query("dooij tuyeenr"), vocabulary, abbreviations.load())
    assert understood.notices == ["Đã hiểu cách gõ Telex/VNI: tìm “dội tuyển”.",
                                  "Chữ “d” gõ không có “dd” có thể là “đ”: tìm cả “đội”."]
    assert understood.crossed == {"dội": "đội"}
    # A query typing đ somewhere (dd, d9 or đ itself) knows the key: its d is a d.
    for q in ("dooij ddaauf", "dooij d9a6u2", "dooij đầu", "dooij ĐẦU"):
        assert groups_of(vocabulary, q) == [["dội"], ["đầu"]], q
    # A dd in a word that is no Telex says nothing of the typist.
    assert groups_of(vocabulary, "dooij add") == [["dội", "ALT:đội"], ["add"]]
    # No article writes "đân": nothing more to search.
    assert vocabulary.frequency("đân") == 0
    assert groups_of(vocabulary, "daan") == [["dân"]]
    # A word typed with its accents (an input method) is no Telex: its d is a d.
    assert groups_of(vocabulary, "dội tuyển") == [["dội"], ["tuyển"]]
    typed = engine.search(SearchRequest(q="dooij tuyeenr", size=50, facets=False))
    crossed = engine.search(SearchRequest(q="đội tuyển", size=50, facets=False))
    assert typed["total"] == crossed["total"] > 0
    assert [h["id"] for h in typed["hits"]] == [h["id"] for h in crossed["hits"]]
    assert typed["suggestion"] == "đội tuyển"  # as the top articles write it


@pytest.mark.parametrize("word, expected", [
    ("Doongf", "Đồng"),  # no article writes "dồng": with đ, its capital kept
    ("Dooij", "Dội"),  # "dội" stands in 4 articles: as typed (the query's other reading adds "đội")
    ("dawpj", "dặp"),  # neither "dặp" nor "đặp" stands anywhere: as decoded
    ("Xaauf", "Xầu"),  # no "xầu" either, but only a d is read as đ ("Đầu" stands in 138)
    ("ddoongf", "đồng"), ("dong", None),  # typed with dd; a syllable as typed, no Telex
])
def test_telex_reading_reads_a_d_as_crossed_only_when_the_index_never_writes_the_syllable_with_d(
        vocabulary, word, expected):
    from search.understand import telex_reading

    assert telex_reading(word, vocabulary, False) == expected


def test_the_d_crossed_alternative_keeps_the_typed_words_field_place_and_weight(vocabulary, engine):
    understood = understand(parse_query("title:dooij tuyeenr"), vocabulary, abbreviations.load())
    alternatives = [c for c in understood.parsed.clauses if c.alternative]
    assert [(c.field, c.decoded, c.phrase, [(s.raw, s.exact, s.start, s.end) for s in c.syllables])
            for c in alternatives] == [("title", True, False, [("đội", "đội", 6, 11)])]
    # A word typed joined to the next is one clause of two syllables: no alternative of its first.
    assert groups_of(vocabulary, "dooij-tuyeenr") == [['"dội tuyển"']]
    # The articles holding the word as typed come first: the reading with đ earns no more than it scores.
    typed = engine.search(SearchRequest(q="dooij", size=10, facets=False))
    exact = engine.search(SearchRequest(q="dội", size=10, facets=False))
    assert 0 < exact["total"] < typed["total"]
    assert [h["id"] for h in typed["hits"][: exact["total"]]] == [h["id"] for h in exact["hits"]]


def test_the_notices_of_a_telex_query_come_first_the_words_also_searched_with_crossed_d_next(vocabulary):
    understood = understand(parse_query("dooij daauf hanoi"), vocabulary, abbreviations.load())
    assert understood.notices == [
        "Đã hiểu cách gõ Telex/VNI: tìm “dội dầu hanoi”.",  # the split word spelt as typed here
        "Chữ “d” gõ không có “dd” có thể là “đ”: tìm cả “đội”, “đầu”.",
        "Đã tách “hanoi” thành “ha noi”.",
    ]
    assert understood.crossed == {"dội": "đội", "dầu": "đầu"}


def test_understanding_keeps_the_query_as_parsed_and_reads_its_words_frequencies_together(vocabulary):
    empty = parse_query("")
    assert understand(empty, vocabulary, abbreviations.load()).parsed is empty
    typed = parse_query("ha noi")
    understood = understand(typed, vocabulary, abbreviations.load())
    assert understood.original is typed and understood.parsed.text == typed.text

    class Prefetching:
        """Statistics that answer as the demo's and record what they were asked to read together."""

        def __init__(self):
            self.asked = []

        def prefetch(self, terms):
            self.asked.append(sorted(set(terms)))

        def __getattr__(self, name):
            return getattr(vocabulary.statistics, name)

    statistics = Prefetching()
    understand(parse_query("Hà Nội"), Vocabulary(statistics), abbreviations.load())
    # Its syllables, both forms, and the compound they may make (``compounds_of`` asks it).
    assert statistics.asked[0] == ["ha", "ha_noi", "hà", "noi", "nội"]
    # The compounds of two and three syllables.
    statistics.asked.clear()
    understand(parse_query("bộ chính trị họp"), Vocabulary(statistics), abbreviations.load())
    assert [t for t in statistics.asked[0] if "_" in t] == ["bo_chinh", "bo_chinh_tri", "chinh_tri", "chinh_tri_hop",
                                                            "tri_hop"]
    # Telex decoded: the compounds of the syllables read are asked when the words are segmented.
    statistics.asked.clear()
    understand(parse_query("booj chinhs trij"), Vocabulary(statistics), abbreviations.load())
    assert {"bo_chinh", "chinh_tri"} <= set(statistics.asked[-1])
    # A question's words make no compounds: none is read.
    statistics.asked.clear()
    understand(parse_query("Hà Nội có mưa to không nhỉ"), Vocabulary(statistics), abbreviations.load())
    assert not any("_" in term for term in statistics.asked[0])


def test_real_syllables_and_foreign_words_are_searched_as_typed(vocabulary):
    assert groups_of(vocabulary, "ban tri laptop iphone arsenal") == [
        ["ban"], ["tri"], ["laptop"], ["iphone"], ["arsenal"]]


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


def test_a_word_the_index_holds_is_split_only_where_its_pieces_stand_together_far_more_often(vocabulary):
    # "vietnam" (1 article) is "viet nam" in a row in 56; "obama" and "tokyo" (3 each) are never
    # "o ba ma", "to ky o", though each piece is far more frequent than the word ("bị đến" for "biden").
    for word in ("obama", "tokyo"):
        pieces = split_word(word, vocabulary.syllables)
        assert min(vocabulary.frequency(p) for p in pieces) >= REWRITE_RATIO * vocabulary.frequency(word) > 0
        assert vocabulary.phrase_frequency(pieces) == 0
        assert groups_of(vocabulary, word) == [[word]]
    assert vocabulary.phrase_frequency(["viet", "nam"]) >= REWRITE_RATIO * vocabulary.frequency("vietnam") > 0
    assert groups_of(vocabulary, "vietnam") == [["vietnam", 'ALT:"viet nam"']]
    # A word no article holds is split whether or not its pieces ever stand together.
    assert vocabulary.frequency("mabao") == vocabulary.phrase_frequency(["ma", "bao"]) == 0
    assert groups_of(vocabulary, "mabao") == [["mabao", 'ALT:"ma bao"']]


def test_a_letter_run_into_a_word_it_stands_beside_in_the_articles_is_split_off(vocabulary, engine):
    # "V-League" is written in 6 demo articles: "vleague" (in none) reads as it.  split_word never
    # cuts one consonant off the front ("blog" is no "b log"), so only that run decides.
    assert split_word("vleague", vocabulary.syllables) is None
    assert vocabulary.frequency("vleague") == 0
    assert vocabulary.phrase_frequency(["v", "league"]) == 6
    assert groups_of(vocabulary, "vleague") == [["vleague", 'ALT:"v league"']]
    result = engine.search(SearchRequest(q="vleague", size=50))
    assert result["notices"] == ["Đã tách “vleague” thành “v league”."]
    assert result["suggestion"] == "V League"  # the V capital as "V-League" writes it beside "League"
    written = engine.search(SearchRequest(q="v league", size=50))
    assert {h["id"] for h in result["hits"]} == {h["id"] for h in written["hits"]} and result["total"] == 6


@pytest.mark.parametrize("word, pieces", [
    ("xnam", ["x", "nam"]),  # "nam" is everywhere, never after an "x"
    ("vtin", ["v", "tin"]),
])
def test_a_letter_is_not_split_off_a_word_it_never_stands_beside(vocabulary, word, pieces):
    assert vocabulary.frequency(word) == 0 and vocabulary.frequency(pieces[1]) > 0
    assert vocabulary.phrase_frequency(pieces) < SPLIT_MIN_DF
    assert groups_of(vocabulary, word) == [[word]]


def test_a_letter_is_split_off_a_word_of_four_letters_or_more_and_only_a_known_rest_is_counted():
    counts = PhraseCounts({"pop": 50, "tv": 50}, {("k", "pop"): 10, ("v", "tv"): 10})
    counts.syllables = {}
    assert _letter_split("kpop", counts) == ["k", "pop"]
    assert _letter_split("vtv", counts) is None  # three letters: split_word's MIN_SPLIT_CHARS
    counts.asked.clear()
    assert _letter_split("kxyzzy", counts) is None and counts.asked == []  # "xyzzy" is in no article


def test_a_letter_is_split_off_only_where_it_stands_beside_the_rest_three_times_and_twenty_times_the_word():
    counts = PhraseCounts({"league": 50, "vleague": 1}, {("v", "league"): 20})
    counts.syllables = {}
    assert _letter_split("vleague", counts) == ["v", "league"]
    counts.phrases[("v", "league")] = 19
    assert _letter_split("vleague", counts) is None
    counts.frequencies["vleague"] = 0
    assert _letter_split("vleague", counts) == ["v", "league"]
    counts.phrases[("v", "league")] = 2
    assert _letter_split("vleague", counts) is None
    # A vowel is no letter split off ("a" is a word of its own: split_word's), nor is a digit.
    counts.phrases.update({("a", "league"): 100, ("9", "league"): 100})
    assert _letter_split("aleague", counts) is None and _letter_split("9league", counts) is None


def test_a_short_word_of_letters_and_digits_no_article_holds_is_split_where_some_hold_them_in_a_row(
        vocabulary, engine):
    # "Mi 4" stands in the demo corpus, "mi4" nowhere: split_word leaves words under four characters.
    assert split_word("mi4", vocabulary.syllables) is None and vocabulary.frequency("mi4") == 0
    assert groups_of(vocabulary, "mi4") == [["mi4", 'ALT:"mi 4"']]
    result, written = engine.search(SearchRequest(q="mi4")), engine.search(SearchRequest(q="mi 4"))
    assert result["notices"] == ["Đã tách “mi4” thành “mi 4”."] and result["suggestion"] == "Mi 4"
    assert [h["id"] for h in result["hits"]] == [h["id"] for h in written["hits"]] and result["total"] == 1


@pytest.mark.parametrize("word, frequencies, phrases, expected", [
    ("vf3", {}, {("vf", "3"): 1}, ["vf", "3"]),
    ("3vf", {}, {("3", "vf"): 1}, ["3", "vf"]),
    ("vf3", {"vf3": 1}, {("vf", "3"): 100}, None),  # some article holds the word as typed
    ("vf3", {}, {}, None),  # and no article holds the pieces in a row
    ("vfx", {}, {("vf", "x"): 5}, None),  # letters alone
    ("v3x", {}, {("v", "3", "x"): 5}, None),  # three runs
    ("vf35", {}, {("vf", "35"): 5}, None),  # four characters: split_word's
])
def test_a_short_split_needs_letters_and_digits_the_word_in_no_article_and_its_pieces_in_a_row(
        word, frequencies, phrases, expected):
    assert _short_split(word, PhraseCounts(frequencies, phrases)) == expected


VACXIN = {"vacxin": 2, "vac": 168, "xin": 614, "va": 6000, "cx": 0}


def test_a_rare_word_the_title_syllables_cannot_split_is_split_by_the_syllables_of_every_field():
    counts = PhraseCounts(dict(VACXIN), {("vac", "xin"): 132})
    counts.syllables = {"xin": 28, "vac": 2}  # "vắc" stands in two titles: split_word finds no split
    assert split_word("vacxin", counts.syllables) is None
    understood = Understood(parse_query("vacxin"))
    assert _rare_word_split("vacxin", counts, understood) == ["vac", "xin"]
    assert understood.rare_splits == 1
    # Only Vietnamese syllables of two letters or more are looked up, in one batch.
    assert counts.prefetched == [[p for p in dict.fromkeys(
        "vacxin"[a:b] for a in range(6) for b in range(a + 2, 7)) if is_folded_syllable(p)]]
    assert "xin" in counts.prefetched[0] and "cx" not in counts.prefetched[0]


@pytest.mark.parametrize("frequencies, phrase, expected", [
    (VACXIN, 40, ["vac", "xin"]),  # in a row twenty times as often as the word
    (VACXIN, 39, None),
    ({**VACXIN, "vacxin": 0}, 132, None),  # a word no article holds is split_word's and _letter_split's
    ({**VACXIN, "vac": 39}, 132, None),  # a piece held by fewer than twenty times the word's articles
    ({**VACXIN, "vac": 2}, 132, None),  # a piece in fewer than SPLIT_MIN_DF articles
])
def test_a_rare_word_is_split_only_where_its_pieces_and_their_run_are_twenty_times_the_word(
        frequencies, phrase, expected):
    counts = PhraseCounts(dict(frequencies), {("vac", "xin"): phrase})
    assert _rare_word_split("vacxin", counts, Understood(parse_query("vacxin"))) == expected


@pytest.mark.parametrize("word", ["vac", "vacxinvacxinvacxin", "vacxin1", "vắcxin"])
def test_a_rare_word_split_needs_four_to_sixteen_plain_letters(word):
    counts = PhraseCounts({word: 2, "vac": 168, "xin": 614}, {("vac", "xin"): 132, ("vac", "xin") * 3: 132})
    assert _rare_word_split(word, counts, Understood(parse_query(word))) is None and counts.asked == []


@pytest.mark.parametrize("word, pieces", [
    ("vaxi", ["va", "xi"]),  # four letters: the shortest split
    ("nguyenthanhtrung", ["nguyen", "thanh", "trung"]),  # sixteen: the longest
])
def test_a_rare_word_of_four_to_sixteen_letters_is_split(word, pieces):
    counts = PhraseCounts({word: 1, **{piece: 100 for piece in pieces}}, {tuple(pieces): 20})
    assert _rare_word_split(word, counts, Understood(parse_query(word))) == pieces


def test_a_rare_word_the_syllables_leave_whole_is_not_split():
    # A word that is itself a frequent syllable's letters is one piece: no split.
    counts = PhraseCounts({"thanh": 100, "th": 100, "anh": 100}, {("th", "anh"): 100})
    assert _rare_word_split("thanh", counts, Understood(parse_query("thanh"))) is None


def test_a_query_splits_at_most_four_rare_words(vocabulary):
    counts = PhraseCounts(dict(VACXIN), {("vac", "xin"): 132})
    understood = Understood(parse_query("vacxin"))
    assert MAX_RARE_SPLITS == 4
    assert [_rare_word_split("vacxin", counts, understood) for _ in range(5)] == [["vac", "xin"]] * 4 + [None]


@pytest.mark.parametrize("q, read", [
    ("sarscov2", "sars cov 2"),  # the title syllables split it "sarscov 2", which no article writes
    ("realmadrid", "real madrid"),  # "madrid" is in two articles, no title: no syllable of a split
    ("championsleague", "champions league"),
])
def test_words_of_another_language_run_together_are_split_where_the_articles_write_them_in_a_row(
        vocabulary, engine, q, read):
    assert vocabulary.frequency(q) == 0
    assert groups_of(vocabulary, q) == [[q, f'ALT:"{read}"']]
    result = engine.search(SearchRequest(q=q, size=50))
    written = engine.search(SearchRequest(q=read, size=50))
    assert result["notices"] == [f"Đã tách “{q}” thành “{read}”."]
    assert {h["id"] for h in result["hits"]} == {h["id"] for h in written["hits"]} and result["total"] > 0


# "sarscov2" as the news corpus counts its pieces: the likeliest split is "sars co v 2" ("có" is
# everywhere, and "v" may be a model's letter at the end of a run of letters).
SARSCOV = {"sars": 133, "cov": 135, "co": 6153, "v": 2053, "s": 173, "sa": 325, "rs": 4, "ar": 3}
SARSCOV_SPLITS = [("sars", "co", "v", "2"), ("sars", "cov", "2"), ("sa", "rs", "co", "v", "2")]


def test_a_word_no_article_holds_is_split_into_the_likeliest_words_some_article_holds_in_a_row():
    counts = PhraseCounts(dict(SARSCOV), {("sars", "cov", "2"): 132})
    understood = Understood(parse_query("sarscov2"))
    assert _held_words_split("sarscov2", counts, understood) == ["sars", "cov", "2"]
    assert counts.asked == SARSCOV_SPLITS[:2] and understood.rare_splits == 1
    # Each run of letters' pieces of up to MAX_WORD_PIECE_CHARS letters are looked up, in one batch.
    assert counts.prefetched == [list(dict.fromkeys("sarscov"[a:b] for a in range(7) for b in range(a + 1, 8)))]


def test_a_held_words_split_asks_the_three_likeliest_splits_and_none_held_is_none():
    # The fourth likeliest, "sa rs cov 2", stands in an article: it is never asked.
    counts = PhraseCounts(dict(SARSCOV), {("sa", "rs", "cov", "2"): 1})
    assert HELD_SPLITS_ASKED == 3
    assert _held_words_split("sarscov2", counts, Understood(parse_query("sarscov2"))) is None
    assert counts.asked == SARSCOV_SPLITS


def test_a_held_words_split_takes_pieces_any_article_holds_up_to_twelve_letters():
    pieces = ["manchester", "united"]  # "manchester": in one article
    counts = PhraseCounts({"manchester": 1, "united": 173, "man": 186}, {tuple(pieces): 1})
    assert _held_words_split("manchesterunited", counts, Understood(parse_query("x"))) == pieces
    assert MAX_WORD_PIECE_CHARS == 12
    twelve = PhraseCounts({"championship": 5, "cup": 50}, {("championship", "cup"): 5})
    assert _held_words_split("championshipcup", twelve, Understood(parse_query("x"))) == ["championship", "cup"]
    thirteen = PhraseCounts({"championships": 5, "cup": 50}, {("championships", "cup"): 5})
    assert _held_words_split("championshipscup", thirteen, Understood(parse_query("x"))) is None
    assert max(len(piece) for piece in thirteen.prefetched[0]) == 12  # nor is a longer piece looked up


@pytest.mark.parametrize("word, pieces", [
    ("vfvn", ["vf", "vn"]),  # four characters: the shortest split
    ("vnexpress2024xyz", ["vnexpress", "2024", "xyz"]),  # sixteen: the longest
])
def test_a_held_words_split_splits_words_of_four_to_sixteen_characters(word, pieces):
    counts = PhraseCounts({piece: 10 for piece in pieces}, {tuple(pieces): 2})
    assert _held_words_split(word, counts, Understood(parse_query("x"))) == pieces


@pytest.mark.parametrize("word", ["sar", "sarscov2sarscov2s", "sars-cov2", "sarscovđ", "sarscov2x"])
def test_a_held_words_split_needs_four_to_sixteen_ascii_letters_or_digits_no_article_holds(word):
    counts = PhraseCounts({**SARSCOV, "sarscov2x": 1}, {("sars", "cov", "2"): 132})
    assert _held_words_split(word, counts, Understood(parse_query("x"))) is None
    assert counts.asked == [] and counts.prefetched == []


def test_held_words_splits_count_among_a_querys_four_rare_splits():
    understood = Understood(parse_query("sarscov2"))
    understood.rare_splits = MAX_RARE_SPLITS - 1
    counts = PhraseCounts(dict(SARSCOV), {("sars", "cov", "2"): 132})
    assert _held_words_split("sarscov2", counts, understood) == ["sars", "cov", "2"]
    assert _held_words_split("sarscov2", counts, understood) is None and understood.rare_splits == MAX_RARE_SPLITS


@pytest.mark.parametrize("phrases, expected, asked", [
    ({("sarscov", "2"): 1}, ["sarscov", "2"], [("sarscov", "2")]),  # the syllables' split in a row somewhere
    ({("sars", "cov", "2"): 132}, ["sars", "cov", "2"], [("sarscov", "2"), *SARSCOV_SPLITS[:2]]),
    ({}, ["sarscov", "2"], [("sarscov", "2"), *SARSCOV_SPLITS]),  # none in a row: the syllables' split still
])
def test_a_word_no_article_holds_is_split_as_the_syllables_split_it_unless_only_other_words_stand_in_a_row(
        phrases, expected, asked):
    counts = PhraseCounts(dict(SARSCOV), phrases)
    assert _split_held_in_a_row("sarscov2", ["sarscov", "2"], counts, Understood(parse_query("x"))) == expected
    assert counts.asked == asked


def test_a_word_past_a_querys_rare_splits_is_split_as_the_syllables_split_it_unasked():
    understood = Understood(parse_query("x"))
    understood.rare_splits = MAX_RARE_SPLITS
    counts = PhraseCounts(dict(SARSCOV), {("sars", "cov", "2"): 132})
    assert _split_held_in_a_row("sarscov2", ["sarscov", "2"], counts, understood) == ["sarscov", "2"]
    assert counts.asked == []


@pytest.mark.parametrize("q, expected", [
    ("face book", [["face book", "ALT:facebook"]]),
    ("smart phone giá rẻ", [["smart phone", "ALT:smartphone"], ["giá"], ["rẻ"]]),
    ("mua web site", [["mua"], ["web site", "ALT:website"]]),
    ("on line", [["on line", "ALT:online"]]),
    ("sam sung", [["sam sung", "ALT:samsung"]]),  # two syllables, which no article writes in a row
])
def test_two_words_typed_apart_that_the_articles_write_as_one_are_also_searched_joined(vocabulary, q, expected):
    assert groups_of(vocabulary, q) == expected


@pytest.mark.parametrize("q", [
    '"face book"',  # quoted: searched exactly as typed
    "title:face book",  # one in a field
    "title:face title:book",  # a field's prefix between them
    "face bóok",  # typed with accents
    "book face",  # "bookface" is in no article
    "face 2",  # a number is a word of its own
    "face b",  # and so is a letter ("siêu vi B", hepatitis B, is no "VIB")
])
def test_words_typed_apart_are_not_joined_where_they_are_not_one_word_typed_apart(vocabulary, q):
    understood = understand(parse_query(q), vocabulary, abbreviations.load())
    typed = [s.folded for s in parse_query(q).syllables]
    joined = {a + b for a, b in itertools.pairwise(typed)}
    # Every group as parsed, each typed word in one of its own, and no clause spelling two of them joined.
    assert [[s.folded for c in g if not c.alternative for s in c.syllables] for g in understood.parsed.groups] == [
        [s.folded for c in g for s in c.syllables] for g in parse_query(q).groups]
    assert not joined & {s.folded for c in understood.parsed.clauses for s in c.syllables}
    assert "" not in understood.rewrites.values()
    assert not any(n.startswith("Đã ghép") for n in understood.notices)


def test_in_a_question_two_vietnamese_syllables_typed_apart_stay_two_words(vocabulary):
    # A question typed without accents is Vietnamese words: "sam sung" there is "sâm sung", "ti me"
    # "ti mẹ"; a word of another language typed apart is still read joined.
    question = groups_of(vocabulary, "toi muon mua dien thoai sam sung")
    assert question[-2:] == [["sam"], ["sung"]]
    assert groups_of(vocabulary, "toi muon doc trang face book cua ban")[4] == ["face book", "ALT:facebook"]


def test_a_query_counts_the_runs_of_its_first_max_join_counts_pairs_whose_joined_word_is_held(vocabulary):
    assert MAX_JOIN_COUNTS == 4
    assert groups_of(vocabulary, "inter net") == [["inter net", "ALT:internet"]]
    groups = groups_of(vocabulary, "face book smart phone on line web site inter net")
    assert groups == [["face book", "ALT:facebook"], ["smart phone", "ALT:smartphone"], ["on line", "ALT:online"],
                      ["web site", "ALT:website"], ["inter"], ["net"]]


@pytest.mark.parametrize("q, question, expected", [
    ("face book", False, ["face", "book"]),
    ("sam sung", False, ["sam", "sung"]),
    ("sam sung", True, None),  # two syllables in a question
    ("face sung", True, ["face", "sung"]),  # one of them no syllable
    ("face, book", False, None),  # a comma between
    ('"face" book', False, None),  # a quoted word
    ("face b", False, None),  # a letter alone
    ("face 12", False, None),  # a number after a word of four letters
    ("u 23", False, ["u", "23"]),  # after a code of at most three letters: "U23"
    ("vit 12", True, ["vit", "12"]),
    ("23 u", False, None),  # a number first
    ("ú 23", False, None),
    ("face bóok", False, None),  # typed with accents
    ("face", False, None),  # no word after it
    ("title:face book", False, None),  # one in a field
])
def test_two_plain_words_with_only_spaces_between_are_a_pair_typed_apart(q, question, expected):
    parsed = parse_query(q)
    pair = _apart_pair(parsed.groups, 0, _Apart(parsed.text, question))
    assert (None if pair is None else [s.raw for s in pair]) == expected


def test_a_word_with_other_spellings_or_of_several_syllables_is_no_half_of_a_pair():
    face, book, alt = syllables_of("face book hlv")
    spelt = Clause(syllables_of("huấn luyện viên"), alternative=True)
    plain = [[Clause([face])], [Clause([book])], [Clause([alt]), spelt]]
    apart = _Apart("face book hlv", False)
    assert [s.raw for s in _apart_pair(plain, 0, apart)] == ["face", "book"]  # what follows does not matter
    assert _apart_pair(plain, 1, apart) is None  # "hlv" has other spellings
    several = [[Clause([face, book])], [Clause([alt])]]
    assert _apart_pair(several, 0, apart) is None
    assert _joined_words(plain, apart) == ["facebook"]
    assert _joined_words(plain[:2], _Apart("face book", True)) == ["facebook"]
    sam, sung = syllables_of("sam sung")
    syllable_pair = [[Clause([sam])], [Clause([sung])]]
    assert _joined_words(syllable_pair, _Apart("sam sung", True)) == []
    assert _joined_words(syllable_pair, _Apart("sam sung", False)) == ["samsung"]


@pytest.mark.parametrize("compound, run, meant", [
    (0, 0, True), (2, 2, True), (3, 45, True),  # held as one word 15 times as often as a word of its own
    (4, 4, False),  # one article more writing "chat_gpt" as a word of its own
    (0, 46, False),  # the two in a row (across words or not) more often than joined
    (3, 46, False),
])
def test_words_typed_apart_are_joined_when_the_joined_word_is_fifteen_times_their_word_and_no_rarer_than_their_run(
        compound, run, meant):
    # "ti vi": 18 news articles write "tivi", one "ti vi" (pyvi's word), six the two in a row.
    counts = PhraseCounts({"chatgpt": 45, "chat_gpt": compound}, {("chat", "gpt"): run})
    assert _join_meant("chatgpt", parse_query("chat gpt").syllables, counts) is meant


def test_a_joined_word_is_weighed_when_three_articles_hold_it_and_it_is_no_vietnamese_syllable():
    counts = PhraseCounts({"chatgpt": SPLIT_MIN_DF, "chatgp": SPLIT_MIN_DF - 1, "toan": 1000}, {})
    assert _held_joined("chatgpt", counts) is True
    assert _held_joined("chatgp", counts) is False
    assert _held_joined("toan", counts) is False  # "to an" is no "toàn"
    assert counts.asked == []


def test_a_joined_word_finds_what_the_word_finds_and_says_so_in_a_notice_and_a_suggestion(engine):
    result = engine.search(SearchRequest(q="face book", size=50))
    joined = engine.search(SearchRequest(q="facebook", size=50))
    assert result["notices"] == ["Đã ghép “face book” thành “facebook”."]
    assert result["suggestion"] == "facebook"
    assert {h["id"] for h in result["hits"]} == {h["id"] for h in joined["hits"]} and result["total"] == 4
    # The words before and after the pair keep their places in the suggestion.
    assert engine.search(SearchRequest(q="trang face book", size=10))["suggestion"] == "trang facebook"


def test_a_split_word_keeps_its_field_and_says_how_it_was_split(vocabulary):
    understood = understand(parse_query("title:hanoi"), vocabulary, abbreviations.load())
    assert understood.notices == ["Đã tách “hanoi” thành “ha noi”."]
    clauses = understood.parsed.groups[0]
    assert [(c.field, c.phrase, c.alternative, [s.exact for s in c.syllables]) for c in clauses] == [
        ("title", False, False, ["hanoi"]), ("title", True, True, ["ha", "noi"])]


class PhraseCounts:
    """A vocabulary whose words and phrases are held by given numbers of articles; it notes the phrases asked."""

    def __init__(self, frequencies: dict[str, int], phrases: dict[tuple[str, ...], int]):
        self.frequencies, self.phrases, self.asked, self.prefetched = frequencies, phrases, [], []

    def prefetch(self, terms) -> None:
        self.prefetched.append(list(terms))

    def frequency(self, term: str) -> int:
        return self.frequencies.get(term, 0)

    def phrase_frequency(self, terms: list[str], most: int | None = None) -> int:
        self.asked.append(tuple(terms))
        return self.phrases.get(tuple(terms), 0)


class TitleSyllables(PhraseCounts):
    """PhraseCounts whose words are also its title syllables (``Vocabulary.syllables``)."""

    @property
    def syllables(self) -> dict[str, int]:
        return self.frequencies


@pytest.mark.parametrize("word, held, phrases, expected", [
    # The word without its last letter splits into words the index holds: that split.
    ("hanoii", {"ha": 50, "noi": 50}, {}, ["ha", "noi"]),
    # A piece of that split no article holds ("cogay...bhoac", the end of a question run together, is
    # "... b hoặc c"): the word is split as typed instead.
    ("xinbhoacc", {"xin": 50, "b": 5, "hoac": 50}, {}, None),
    ("qzx2aa", {"a": 50}, {}, None),  # "qzx 2 a": "qzx" in no article
    # Held by some article, or no letter typed twice at the end: not a slip.
    ("hanoii", {"hanoii": 1, "ha": 50, "noi": 50}, {}, None),
    ("hanoi", {"ha": 50, "noi": 50}, {}, None),
    # One syllable with its last letter typed twice: no split at all, a typo for "did you mean".
    ("khoee", {"khoe": 50, "e": 50}, {}, []),
    ("covidd", {"covid": 50}, {}, []),  # a word the index holds, which splits no way
    # Four letters are too few to be a word run together, and a digit typed twice is a number's.
    ("abcc", {"abc": 5}, {}, None),
    ("covid199", {"covid": 50}, {}, None),
])
def test_a_last_letter_typed_twice_is_dropped_only_where_the_rest_splits_into_held_words(word, held, phrases, expected):
    assert _undoubled_split(word, TitleSyllables(held, phrases), Understood(parse_query(word))) == expected


@pytest.mark.parametrize("word, held, phrases, expected", [
    # No article writes "me si" in a row, and "messi" is one letter away in 51: Messi mistyped.
    ("mesi", {"me": 900, "si": 400, "messi": 51}, {}, None),
    ("haland", {"ha": 900, "lan": 400, "d": 50, "haaland": 5}, {}, None),  # "ha lan d"; Haaland in 5
    # Fewer than TYPO_NEIGHBOUR_DF articles hold the word one letter away: the split still.
    ("haland", {"ha": 900, "lan": 400, "d": 50, "haaland": 4}, {}, ["ha", "lan", "d"]),
    # Some article writes the split in a row: words run together, whatever word is one letter away.
    ("mesi", {"me": 900, "si": 400, "messi": 51}, {("me", "si"): 1}, ["me", "si"]),
    ("bongda", {"bong": 900, "da": 900, "bonda": 50}, {("bong", "da"): 1251}, ["bong", "da"]),
])
def test_a_word_no_article_holds_whose_split_none_writes_in_a_row_is_a_typo_of_a_held_word_one_edit_away(
        word, held, phrases, expected):
    vocabulary = TitleSyllables(held, phrases)
    pieces = split_word(word, vocabulary.syllables)
    assert _split_held_in_a_row(word, pieces, vocabulary, Understood(parse_query(word))) == expected


def test_a_typo_of_a_held_word_is_only_a_word_of_letters_one_edit_away_asked_at_once_within_the_querys_bounds():
    vocabulary = TitleSyllables({"messi": 51, "131": 90, "i13": 5}, {})
    understood = Understood(parse_query("mesi"))
    assert _typo_of_held_word("mesi", vocabulary, understood)
    # Its neighbours are asked at once: a backend whose lookups are round trips reads them in one.
    assert len(vocabulary.prefetched) == 1 and {"messi", "mes", "emsi", "mesa"} <= set(vocabulary.prefetched[0])
    assert understood.rare_splits == 1
    # Letters and digits run together are cut apart as typed, never a typo ("i131" beside "i13", "131").
    assert not _typo_of_held_word("i131", vocabulary, Understood(parse_query("i131")))
    assert not _typo_of_held_word("mexsu", vocabulary, understood)  # "messi" is two edits away
    assert understood.rare_splits == 2  # each word looked up counts ("mesi", "mexsu")
    assert not _typo_of_held_word("mèssi", vocabulary, understood)  # not ASCII: no word of another language
    # At most MAX_RARE_SPLIT_CHARS letters.
    held = TitleSyllables({"a" * (MAX_RARE_SPLIT_CHARS + 1): 9}, {})
    assert _typo_of_held_word("a" * MAX_RARE_SPLIT_CHARS, held, Understood(parse_query("a")))
    assert not _typo_of_held_word("a" * (MAX_RARE_SPLIT_CHARS + 2), held, Understood(parse_query("a")))
    understood.rare_splits = MAX_RARE_SPLITS  # the query's bound on such lookups reached
    assert not _typo_of_held_word("mesi", vocabulary, understood)


def test_a_split_ending_in_a_last_letter_typed_twice_is_kept_when_the_word_without_it_reads_no_better():
    # "qzx 2 a a": without its last letter, "qzx 2 a" holds "qzx", which no article holds.
    vocabulary = TitleSyllables({"a": 50}, {})
    clause = parse_query("qzx2aa").clauses[0]
    alternatives = _split_alternatives(clause, vocabulary, Understood(parse_query("qzx2aa")))
    assert [" ".join(s.folded for s in c.syllables) for c in alternatives] == ["qzx 2 a a"]


def test_a_word_typed_with_accents_that_is_a_syllable_and_its_last_letter_again_is_never_split():
    # Even where the articles write the syllable and the letter in a row (here "nguyen n" in 5 articles).
    vocabulary = TitleSyllables({"nguyen": 50, "n": 50}, {("nguyen", "n"): 5})
    assert _split_alternatives(parse_query("Nguyễnn").clauses[0], vocabulary, Understood(parse_query("x"))) == []
    alternatives = _split_alternatives(parse_query("nguyenn").clauses[0], vocabulary, Understood(parse_query("x")))
    assert [" ".join(s.folded for s in c.syllables) for c in alternatives] == ["nguyen n"]


@pytest.mark.parametrize("pieces, phrases, bounced", [
    # One letter at the end that ends the piece before it too, which few articles write after it: a slip.
    (["covid", "d"], {("covid", "d"): 2}, True),
    (["ha", "noi", "i"], {}, True),
    # Written after it by SPLIT_MIN_DF articles ("chưa ạ"), another letter, or a longer last piece: no slip.
    (["chua", "a"], {("chua", "a"): 3}, False),
    (["da", "chua", "a"], {("chua", "a"): 3}, False),  # the last two pieces in a row, not the last three
    (["ha", "noi", "x"], {}, False),
    (["galaxy", "z"], {}, False),
    (["cap", "cuu"], {}, False),
    (["a"], {}, False),
])
def test_a_split_ending_in_its_last_letter_typed_twice_is_bounced_unless_articles_write_it(pieces, phrases, bounced):
    assert _bounced(pieces, PhraseCounts({}, phrases)) is bounced


@pytest.mark.parametrize("typed, phrase, pieces_each, meant, asked", [
    (3, 60, 60, True, True),  # the pieces in a row REWRITE_RATIO times as often as the word: split
    (3, 59, 60, False, True),  # one article less: the word as typed
    (3, 10_000, 59, False, False),  # a piece held by fewer than REWRITE_RATIO times the word's articles
    (0, 0, 1, True, False),  # a word no article holds: split without asking
])
def test_a_split_is_meant_when_its_pieces_and_their_run_are_each_twenty_times_the_words_articles(
        typed, phrase, pieces_each, meant, asked):
    counts = PhraseCounts({"ba": pieces_each, "ma": pieces_each + 5}, {("ba", "ma"): phrase})
    assert REWRITE_RATIO == 20
    assert _split_meant(["ba", "ma"], typed, counts) is meant
    assert counts.asked == ([("ba", "ma")] if asked else [])


def test_digits_are_no_piece_whose_frequency_decides_a_split():
    # "x300": only the letters' piece is weighed against the word.
    counts = PhraseCounts({"x": 40, "300": 0}, {("x", "300"): 40})
    assert _split_meant(["x", "300"], 2, counts) is True


def test_a_name_made_of_syllables_is_searched_as_typed_without_a_notice_or_a_suggestion(engine):
    result = engine.search(SearchRequest(q="obama", size=50))
    assert (result["notices"], result["suggestion"], result["corrected"]) == ([], None, None)
    # Exactly the articles writing the word: none only for "ô bà má" or the like in a row.
    holding = {a["id"] for a in DEMO_ARTICLES
               if re.search(r"\bobama\b", unidecode(f"{a.get('title') or ''} {a['body']}").lower())}
    assert {h["id"] for h in result["hits"]} == holding and result["total"] == len(holding) > 0


@pytest.mark.parametrize("q", ["TP.HCM", "TP HCM", "tphcm", "Thành phố Hồ Chí Minh", "thanh pho ho chi minh",
                               "tp. hồ chí minh", "TP Hồ Chí Minh", "tp ho chi minh"])
def test_every_form_of_an_abbreviation_searches_all_its_forms(vocabulary, q):
    groups = groups_of(vocabulary, q)
    assert len(groups) == 1
    searched = {clause.removeprefix("ALT:").strip('"') for clause in groups[0]}
    assert {form_key(f) for f in searched} == {
        ("tp", "hcm"), ("tphcm",), ("hcmc",), ("thanh", "pho", "ho", "chi", "minh"), ("tp", "ho", "chi", "minh")}


@pytest.mark.parametrize("q", ["tp hồ chí minh", "tp. hồ chí minh", "TP Hồ Chí Minh"])
def test_a_long_name_typed_with_part_of_it_abbreviated_finds_what_its_other_forms_find(engine, q):
    # "tp" alone is "thành phố": read word by word, "tp hồ chí minh" found 1 article of the 24 writing
    # TP.HCM or Thành phố Hồ Chí Minh.
    found = {form: engine.search(SearchRequest(q=form, size=50)) for form in (q, "TP.HCM", "thành phố hồ chí minh")}
    ids = {form: {hit["id"] for hit in page["hits"]} for form, page in found.items()}
    assert found[q]["total"] == found["TP.HCM"]["total"] == found["thành phố hồ chí minh"]["total"] >= 20
    assert ids[q] == ids["TP.HCM"] == ids["thành phố hồ chí minh"] and len(ids[q]) == found[q]["total"]
    typed = " ".join(q.split())  # as typed: "tp. hồ chí minh"
    assert found[q]["notices"] == [f"Tìm cả “TP.HCM”, “TPHCM”, “HCMC”, “Thành phố Hồ Chí Minh” cho “{typed}”."]


@pytest.mark.parametrize("q, written, notice", [
    ("vaccine", r"\bvắc[ -]xin\b", "Tìm cả “vắc xin” cho “vaccine”."),  # the demo never writes "vaccine"
    ("vac xin", r"\bvắc[ -]xin\b", None),
    ("oto", r"\bô tô\b", "Tìm cả “ô tô” cho “oto”."),
    ("e-mail", r"\bemail\b|\bthư điện tử\b", "Tìm cả “email”, “thư điện tử” cho “e-mail”."),
    ("smartphone", r"\bsmartphone|\bđiện thoại thông minh\b", "Tìm cả “điện thoại thông minh” cho “smartphone”."),
    ("điện thoại thông minh", r"\bsmartphone|\bđiện thoại thông minh\b", None),
])
def test_a_loanword_and_its_vietnamese_spelling_find_each_other(engine, q, written, notice):
    # "vaccine" found nothing in the demo corpus, which writes "vắc xin" (five articles); "e-mail" nothing either.
    result = engine.search(SearchRequest(q=q, size=50))
    holding = {a["id"] for a in DEMO_ARTICLES
               if re.search(written, f"{a.get('title') or ''} {a['body']}", re.IGNORECASE)}
    assert {hit["id"] for hit in result["hits"]} == holding and result["total"] == len(holding) >= 3
    assert result["notices"] == ([notice] if notice else [])


def test_a_loanword_is_read_in_a_short_query_and_a_question_keeps_the_spelling_it_typed(vocabulary):
    eight = "tiêm vaccine covid có an toàn không"  # 7 syllables
    question = "vợ tôi đang có bầu 4 tháng thì có thể tiêm vaccine covid được không"
    assert groups_of(vocabulary, eight)[1] == ["vaccine", 'ALT:"vắc xin"']
    assert [group for group in groups_of(vocabulary, question) if "vaccine" in group] == [["vaccine"]]
    # A loanword's form of several words stays the question's words, each a group of its own.
    assert groups_of(vocabulary, question + " bằng điện thoại thông minh")[-4:] == [
        ["điện"], ["thoại"], ["thông"], ["minh"]]
    # An abbreviation is read in either.
    assert groups_of(vocabulary, question + " ở tphcm")[-1] == [
        "tphcm", 'ALT:"tp hcm"', "ALT:hcmc", 'ALT:"thành phố hồ chí minh"', 'ALT:"tp hồ chí minh"']
    # A key that is an operator's entry and a loanword: a question reads the operator's forms alone.
    dictionary = Abbreviations()
    read_into(dictionary, ["vaccine | vắc xin phòng bệnh"], "synonyms.txt")
    read_into(dictionary, ["vắc xin | vaccine"], "loanwords.txt", short_only=True)
    assert [group for group in groups_of(vocabulary, question, dictionary) if "vaccine" in group] == [
        ["vaccine", 'ALT:"vắc xin phòng bệnh"']]
    assert groups_of(vocabulary, eight, dictionary)[1] == ["vaccine", 'ALT:"vắc xin phòng bệnh"', 'ALT:"vắc xin"']


def test_the_loanwords_entries_are_read_for_short_queries_only_and_an_operators_for_every_query():
    dictionary = abbreviations.load()
    loanwords = [entry for entry in dictionary.entries if entry.short_only]
    assert [entry.forms[0] for entry in loanwords] == ["vắc xin", "ô tô", "email", "smartphone"]
    assert dictionary.lookup(("vaccine",)) == [loanwords[0]] and dictionary.lookup(("vaccine",), short=False) == []
    assert dictionary.alternatives(("vaccine",), short=False) == [] and dictionary.alternatives(("vaccine",)) == [
        "vắc xin"]
    assert dictionary.lookup(("ubnd",), short=False) == dictionary.lookup(("ubnd",)) != []
    extra = Abbreviations()
    read_into(extra, ["vắc xin | vaccine"], "synonyms.txt")
    extra.add_shortened_forms()
    assert [entry.short_only for entry in extra.entries] == [False]


@pytest.mark.parametrize("q, typed", [
    ("TP.HCM", "TP.HCM"), ("Bộ   GD-ĐT", "Bộ GD-ĐT"), ("gd&đt", "gd&đt"), ("tp. hcm", "tp. hcm"),
    ("ubnd, tỉnh", "ubnd"),
    ("tp -covid hcm", "tp hcm"),  # an excluded word between: the form's words alone
])
def test_a_forms_notice_names_it_as_the_reader_typed_it(engine, q, typed):
    notices = engine.search(SearchRequest(q=q))["notices"]
    assert [notice.rsplit(" cho ", 1)[1] for notice in notices if notice.startswith("Tìm cả")] == [f"“{typed}”."]


HCM_CITY = FIXTURES / "hcm_city.jsonl"
TEAMS = "vnx-4914222"  # "Đổi tên hàng loạt đội bóng TP HCM": the city in its title, 14 times in its body
MEMORIAL = "ldh-30bfa9142d2f8b28f6aa83712b9f6466"  # "... nhà tưởng niệm Chủ tịch Hồ Chí Minh"; "TP HCM" once
IN_FULL = "unc-news_business_186"  # untitled; "Thành phố Hồ Chí Minh" once


@pytest.fixture(scope="module", params=["embedded", "cluster"])
def hcm_engine(request, tmp_path_factory) -> SearchEngine:
    """Return an engine over tests/fixtures/hcm_city.jsonl on each backend."""
    with fixture_engines(tmp_path_factory.mktemp("hcm"), [str(HCM_CITY)]) as engine:
        yield engine(request.param)


@pytest.mark.parametrize("q", ["tp hcm", "TP.HCM", "tp. hcm"])
def test_another_form_counts_for_proximity_where_it_stands_whole_not_by_its_pairs(hcm_engine, q):
    # "TP Hồ Chí Minh", a form of "tp hcm", holds the pairs "hồ chí" and "chí minh" of the President's
    # name: counted pair by pair, the memorial's title "... Chủ tịch Hồ Chí Minh" earned two thirds of
    # a title bonus and came second (first on the news corpus), above the city named in full.
    result = hcm_engine.search(SearchRequest(q=q, size=10))
    assert result["total"] == 4
    assert [hit["id"] for hit in result["hits"]][:3] == [TEAMS, IN_FULL, MEMORIAL]


@pytest.mark.parametrize("q", ["bộ gd-đt", "Bộ GD-ĐT", "BGDĐT"])
def test_a_form_ending_in_a_word_typed_with_a_hyphen_is_read_whole(engine, q):
    # "gd-đt" is one word of two syllables, not a quoted phrase: "bộ gd-đt" was read as "bộ" and
    # GD-ĐT (giáo dục và đào tạo), and missed the ministry's article writing "Bộ Giáo dục và Đào tạo".
    found = {form: engine.search(SearchRequest(q=form, size=50)) for form in (q, "bộ giáo dục và đào tạo")}
    ids = [{hit["id"] for hit in page["hits"]} for page in found.values()]
    assert ids[0] == ids[1] and len(ids[0]) == found[q]["total"] >= 10
    others = ['ALT:"bộ gd đt"', 'ALT:"bộ giáo dục và đào tạo"'] if q == "BGDĐT" else [
        "ALT:bgdđt", 'ALT:"bộ giáo dục và đào tạo"']
    assert groups_of(Vocabulary(engine.backend.statistics()), q)[0][1:] == others


def test_a_form_holding_another_entrys_long_form_is_also_written_with_that_entrys_abbreviation():
    dictionary = Abbreviations()
    read_into(dictionary, ["TP | thành phố", "TP.HCM | Thành phố Hồ Chí Minh", "HN | Hà Nội",
                           "ĐHQGHN | Đại học Quốc gia Hà Nội", "ĐH | đại học", "ĐHQG | đại học quốc gia",
                           "TW | TƯ | trung ương", "BCH TW | ban chấp hành trung ương", "X | thành phố mới"], "test")
    dictionary.add_shortened_forms()
    shortened = {entry.forms[0]: entry.shortened for entry in dictionary.entries}
    assert shortened == {
        "TP": (), "TP.HCM": ("TP Hồ Chí Minh",), "HN": (), "ĐH": (), "ĐHQG": ("ĐH quốc gia",), "TW": (),
        # One long form shortened at a time, each where it stands; a one-word long form ("TƯ") is none.
        "ĐHQGHN": ("ĐH Quốc gia Hà Nội", "ĐHQG Hà Nội", "Đại học Quốc gia HN"),
        "BCH TW": ("ban chấp hành TW",),
        # "TP mới" would be this entry's shortened form had another not written it first.
        "X": ("TP mới",),
    }
    assert [entry.forms[: len(entry.forms) - len(entry.shortened)] for entry in dictionary.entries][:2] == [
        ("TP", "thành phố"), ("TP.HCM", "Thành phố Hồ Chí Minh")]
    assert dictionary.lookup(("tp", "ho", "chi", "minh")) == [dictionary.entries[1]]
    assert dictionary.extends(("tp", "ho", "chi")) and dictionary.alternatives(("tp", "ho", "chi", "minh")) == [
        "TP.HCM", "Thành phố Hồ Chí Minh"]


def test_a_shortened_form_another_entry_holds_is_left_to_it():
    dictionary = Abbreviations()
    read_into(dictionary, ["TP | thành phố", "Y | TP mới", "X | thành phố mới", "A | thành phố lớn",
                           "B | thành phố lớn"], "test")
    dictionary.add_shortened_forms()
    # "TP lớn" is A's: B, whose long form is A's too, would shorten it the same way.
    assert [entry.shortened for entry in dictionary.entries] == [(), (), (), ("TP lớn",), ()]
    assert dictionary.lookup(("tp", "moi")) == [dictionary.entries[1]]
    assert dictionary.lookup(("tp", "lon")) == [dictionary.entries[3]]


def test_an_entry_is_not_shortened_by_its_own_long_forms():
    # KT is "kinh tế", not "kinh tế xã hội": "KT xã hội" would name something else.
    dictionary = Abbreviations()
    read_into(dictionary, ["KT | kinh tế | kinh tế xã hội"], "test")
    dictionary.add_shortened_forms()
    assert dictionary.entries == [Entry(("KT", "kinh tế", "kinh tế xã hội"))]


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


@pytest.mark.parametrize("word, read", [
    ("UBND", ["ubnd", 'ALT:"uỷ ban nhân dân"']),  # an abbreviation
    ("tphcm", ["tphcm", 'ALT:"tp hcm"', "ALT:hcmc", 'ALT:"thành phố hồ chí minh"', 'ALT:"tp hồ chí minh"']),
    ("hanoi", ["hanoi", 'ALT:"ha noi"']),  # run together
    ("42km", ["42km", 'ALT:"42 km"']),  # a number and its unit
    ("10h", ["10h", 'ALT:"10 giờ"']),  # an hour
    ("500k", ["500k", 'ALT:"500 000"[500.000]', "ALT:500000"]),  # an amount in shorthand
])
def test_a_word_typed_in_quotes_is_searched_exactly_as_typed_as_a_quoted_phrase_is(vocabulary, word, read):
    assert groups_of(vocabulary, word) == [read]
    assert groups_of(vocabulary, f'"{word}"') == [[read[0]]]


@pytest.mark.parametrize("q, read", [
    ("kĩ", ["kĩ", "ALT:kỹ"]),
    ('"kĩ"', ["kĩ", "ALT:kỹ"]),
    ('"kĩ thuật"', ['"kĩ thuật"', 'ALT:"kỹ thuật"']),
    ('"Mĩ"', ["mĩ", "ALT:mỹ"]),
])
def test_a_word_or_phrase_in_quotes_is_also_searched_in_its_other_spelling_of_i_or_y(vocabulary, q, read):
    # The same word, as the other placement of its tone mark is: quotes ask for no other word.
    assert groups_of(vocabulary, q) == [read]


def test_a_quoted_word_is_read_from_its_telex_keys_and_never_joined_to_the_word_beside_it(vocabulary):
    # Telex keys are how the word was typed, not another form of it: a quoted phrase is read so too.
    assert groups_of(vocabulary, '"vieetj"') == [["việt"]]
    assert groups_of(vocabulary, "face book") == [["face book", "ALT:facebook"]]
    assert groups_of(vocabulary, '"face" book') == [["face"], ["book"]]
    assert groups_of(vocabulary, 'face "book"') == [["face"], ["book"]]


@pytest.mark.parametrize("q, expected", [
    ("1000 tỷ", [["1000", 'ALT:"1 000"[1.000]'], ["tỷ"]]),
    ("1.000 tỷ", [['"1 000"[1.000]', "ALT:1000"], ["tỷ"]]),
    ("chỉ thị 5", [["chỉ"], ["thị"], ["5", "ALT:05"]]),
    ("chỉ thị 05", [["chỉ"], ["thị"], ["05", "ALT:5"]]),
    # A document's number is also searched as some article cites it: its kind and number (the demo
    # articles write "Chỉ thị 05", not "Chỉ thị số 05", "Chỉ thị 5" or "05-CT/TƯ"; nor "Nghị định 100/2019").
    ("05-CT/TW", [['"05 ct tw"', 'ALT:"5 ct tw"', 'ALT:"chỉ thị 05"']]),
    ("5-CT/TW", [['"5 ct tw"', 'ALT:"05 ct tw"', 'ALT:"chỉ thị 05"']]),  # a document's one-digit number is "05"
    ("5/2021/nđ-cp", [['"5 2021 nđ cp"[5/2021]', 'ALT:"05 2021 nd cp"[05/2021]']]),  # other writings are folded
    ("5/mm", [['"5 mm"']]),  # a number over a unit is no document's
    ("100/2019/NĐ-CP", [['"100 2019 nđ cp"[100/2019]']]),
    ("29/NQ-TƯ", [['"29 nq tư"', 'ALT:"nghị quyết 29"']]),
    # A number and a code without "/" is no document's number ("05-CT"): searched as typed.
    ("05-CT", [['"05 ct"', 'ALT:"5 ct"']]),
    # A code naming no kind of document: its number alone.
    ("1234/UBND", [['"1234 ubnd"']]),
    ("31/2024/QH15", [['"31 2024 qh15"[31/2024]']]),
    # A date's zeros written the other way keep its slashes: "21/08/2019" is required as written.
    ("21/8/2019", [['"21 8 2019"[21/8/2019]', 'ALT:"21 08 2019"[21/08/2019]']]),
    ("21/08/2019", [['"21 08 2019"[21/08/2019]', 'ALT:"21 8 2019"[21/8/2019]']]),
    ("4/2021", [['"4 2021"[4/2021]', 'ALT:"04 2021"[04/2021]']]),  # a month before its year: "30/04/2021"
    # Thousands are parted by dots: a number over a hundred, or a decimal, is not "4100".
    ("4/100", [['"4 100"[4/100]']]), ("4,100", [['"4 100"[4,100]']]),
    ("top 5 điện thoại", [["top"], ["5"], ["điện"], ["thoại"]]),
    # A year is never read as thousands separated ("2.021"); a round amount still is.
    ("2021", [["2021"]]),
    ("năm 1995", [["năm"], ["1995"]]),
    ("2000 tỷ", [["2000", 'ALT:"2 000"[2.000]'], ["tỷ"]]),
    ("2500 tỷ", [["2500", 'ALT:"2 500"[2.500]'], ["tỷ"]]),
])
def test_numbers_and_references_are_searched_as_written_in_articles(vocabulary, q, expected):
    assert groups_of(vocabulary, q) == expected


def amounts_read(q: str, frequencies: dict[str, int] | None = None,
                 phrases: dict[tuple[str, ...], int] | None = None) -> tuple[list[list[str]], list[str]]:
    """Return the groups of q with its amounts in shorthand read against given counts (a word of several
    syllables quoted: a phrase once read as typed words are, ``_decode_clause``; 'ALT:' an alternative, a
    field before a colon) and the notices."""
    parsed = parse_query(q)
    understood = Understood(parsed, parsed)
    groups = _read_amounts(parsed.groups, PhraseCounts(frequencies or {}, phrases or {}), understood, parsed)
    return [[("ALT:" if c.alternative else "") + (f"{c.field}:" if c.field else "")
             + (f'"{" ".join(s.raw for s in c.syllables)}"' if len(c.syllables) > 1 else c.syllables[0].raw)
             for c in group] for group in groups], understood.notices


@pytest.mark.parametrize("q, phrases, expected", [
    ("100k", {("100", "nghin"): 3, ("100", "000"): 50},
     ([["100k", 'ALT:"100 nghìn"', 'ALT:"100 000"']], ["Tìm cả “100 nghìn”, “100.000” cho “100k”."])),
    ("giá 500K", {("500", "ngan"): 1},
     ([["giá"], ["500K", 'ALT:"500 ngàn"']], ["Tìm cả “500 ngàn” cho “500K”."])),
    # A number typed apart from its unit is one amount, typed so.
    ("lương 10 tr", {("10", "trieu"): 9, ("10", "000", "000"): 1},
     ([["lương"], ['"10 tr"', 'ALT:"10 triệu"', 'ALT:"10 000 000"']],
      ["Tìm cả “10 triệu”, “10.000.000” cho “10 tr”."])),
    # Its decimal before the unit or after it.
    ("1tr5", {("1", "5", "trieu"): 1, ("1", "500", "000"): 1},
     ([["1tr5", 'ALT:"1 5 triệu"', 'ALT:"1 500 000"']], ["Tìm cả “1,5 triệu”, “1.500.000” cho “1tr5”."])),
    ("1,5tr", {("1", "5", "trieu"): 1}, ([['"1 5tr"', 'ALT:"1 5 triệu"']], ["Tìm cả “1,5 triệu” cho “1,5tr”."])),
    ("1.25 tr", {("1", "250", "000"): 1},
     ([['"1 25 tr"', 'ALT:"1 250 000"']], ["Tìm cả “1.250.000” cho “1.25 tr”."])),
    ("2k05", {("2", "050"): 1}, ([["2k05", 'ALT:"2 050"']], ["Tìm cả “2.050” cho “2k05”."])),
    ("050k", {("50", "nghin"): 1}, ([["050k", 'ALT:"50 nghìn"']], ["Tìm cả “50 nghìn” cho “050k”."])),
    # Each side of OR; a field kept.
    ("500k OR 1tr", {("500", "000"): 1, ("1", "trieu"): 1},
     ([["500k", "1tr", 'ALT:"500 000"', 'ALT:"1 triệu"']],
      ["Tìm cả “500.000” cho “500k”.", "Tìm cả “1 triệu” cho “1tr”."])),
    ("title:10tr", {("10", "trieu"): 1}, ([["title:10tr", 'ALT:title:"10 triệu"']], ["Tìm cả “10 triệu” cho “10tr”."])),
    # Per unit, typed as one word: the amount read on its own, the unit a word of the query.
    ("giá 50k/kg", {("50", "000"): 3}, ([["giá"], ["50k", 'ALT:"50 000"'], ["kg"]], ["Tìm cả “50.000” cho “50k”."])),
    ("1tr5/người/tháng", {("1", "5", "trieu"): 1},
     ([["1tr5", 'ALT:"1 5 triệu"'], ['"người tháng"']], ["Tìm cả “1,5 triệu” cho “1tr5”."])),
    ("1,5tr/kg", {("1", "5", "trieu"): 1},
     ([['"1 5tr"', 'ALT:"1 5 triệu"'], ["kg"]], ["Tìm cả “1,5 triệu” cho “1,5tr”."])),
    ("title:50K/kg x", {("50", "000"): 3},
     ([["title:50K", 'ALT:title:"50 000"'], ["title:kg"], ["x"]], ["Tìm cả “50.000” cho “50K”."])),
    # The words after an amount typed apart are read on.
    ("10 tr x OR y", {("10", "trieu"): 1},
     ([['"10 tr"', 'ALT:"10 triệu"'], ["x", "y"]], ["Tìm cả “10 triệu” cho “10 tr”."])),
])
def test_an_amount_typed_in_shorthand_is_also_searched_as_the_articles_write_it(q, phrases, expected):
    assert amounts_read(q, {}, phrases) == expected


@pytest.mark.parametrize("q", [
    "100k",  # no article writes it out
    '"10 tr"', '"100k"', "title:10 tr", "10 OR 20 tr", "10 tr OR k",  # quoted, in two fields, in OR
    "1000k", "1,234tr", "1,5tr5", "10 m", "tr 10", "10 tr5", "10kk", "k10",  # no amount in shorthand
    "10/kg", "a/kg", '"10tr/kg"', "10tr/kg OR x", "10tr-kg", "x10tr/kg",  # no amount per unit
    "10 k-pop", "10 tr.5",  # no unit of shorthand after the number
])
def test_what_is_no_amount_in_shorthand_or_no_article_writes_out_is_searched_as_typed(q):
    every = {tuple(s.folded for s in syllables_of(form)): 1 for form in [
        "10 triệu", "10.000.000", "1.000.000", "1,5 triệu", "1.500.000", "10.000"]}
    parsed = parse_query(q)
    assert amounts_read(q, {}, every) == ([[(f"{c.field}:" if c.field else "") + (
        f'"{" ".join(s.raw for s in c.syllables)}"' if len(c.syllables) > 1 else c.syllables[0].raw)
        for c in group] for group in parsed.groups], [])


@pytest.mark.parametrize("q, frequencies, phrases, read", [
    # The written forms together held REWRITE_RATIO times as often as the shorthand, and one article more.
    ("5k", {"5k": 5}, {("5", "000"): REWRITE_RATIO * 5}, False),
    ("5k", {"5k": 5}, {("5", "000"): REWRITE_RATIO * 5 - 1, ("5", "nghin"): 2}, True),
    ("5 k", {}, {("5", "k"): 5, ("5", "000"): REWRITE_RATIO * 5}, False),
    ("5 k", {"5": 1_000}, {("5", "k"): 5, ("5", "000"): REWRITE_RATIO * 5 + 1}, True),
    ("1,5tr", {"1": 1_000}, {("1", "5tr"): 1, ("1", "5", "trieu"): REWRITE_RATIO}, False),
])
def test_an_amount_in_shorthand_the_articles_write_so_is_searched_as_typed(q, frequencies, phrases, read):
    groups, notices = amounts_read(q, frequencies, phrases)
    assert (len(groups[-1]) > 1, len(notices)) == (read, int(read))


def clauses_shown(groups: list[list[Clause]]) -> list[list[str]]:
    """Return groups of clauses as text: 'ALT:' an alternative, a field before a colon, a phrase quoted."""
    return [[("ALT:" if c.alternative else "") + (f"{c.field}:" if c.field else "")
             + (f'"{" ".join(s.raw for s in c.syllables)}"' if c.phrase else " ".join(s.raw for s in c.syllables))
             for c in group] for group in groups]


def units_read(q: str, phrases: dict[tuple[str, ...], int] | None = None) -> list[list[str]]:
    """Return the groups of q with its numbers and units read against given counts of phrases."""
    parsed = parse_query(q)
    return clauses_shown(_read_units(parsed.groups, PhraseCounts({}, phrases or {}), parsed))


@pytest.mark.parametrize("q, phrases, expected", [
    # Glued on: also apart, where some article holds it so.
    ("20km", {("20", "km"): 1}, [["20km", 'ALT:"20 km"']]),
    ("20km", {}, [["20km"]]),
    ("128GB", {("128", "gb"): 2}, [["128GB", 'ALT:"128 GB"']]),
    ("1,5kg", {("1", "5", "kg"): 1}, [["1 5kg", 'ALT:"1 5 kg"']]),
    ("500.000đ", {("500", "000", "d"): 1}, [["500 000đ", 'ALT:"500 000 đ"']]),
    # Apart: in a row, and glued on where some article holds it so; the words around read on.
    ("đường 20 km", {("20km",): 1}, [["đường"], ['"20 km"', "ALT:20km"]]),
    ("20 km", {}, [['"20 km"']]),
    ("1,5 KG x", {("1", "5kg"): 1}, [['"1 5 KG"', 'ALT:"1 5KG"'], ["x"]]),
    ("20 km x OR y", {}, [['"20 km"'], ["x", "y"]]),  # an operand of OR after the unit stays one
    ("title:20 title:km", {("20km",): 1}, [['title:"20 km"', "ALT:title:20km"]]),
    # A sum in đồng, glued on, apart or in words.
    ("500.000đ", {("500", "000", "dong"): 9}, [["500 000đ", 'ALT:"500 000 đồng"']]),
    ("500.000 đ", {("500", "000d"): 1, ("500", "000", "dong"): 9},
     [['"500 000 đ"', 'ALT:"500 000đ"', 'ALT:"500 000 đồng"']]),
    ("500.000 dong", {("500", "000d"): 1}, [['"500 000 dong"', 'ALT:"500 000đ"']]),
])
def test_a_number_and_its_unit_are_searched_glued_on_and_apart_alike(q, phrases, expected):
    assert units_read(q, phrases) == expected


def test_a_number_and_its_unit_typed_apart_are_searched_in_a_row_in_each_of_their_forms():
    parsed = parse_query("title:100 title:usd")
    number = [parsed.groups[0][0], Clause(syllables_of("0100"), field="title", alternative=True)]
    unit = [parsed.groups[1][0], Clause(syllables_of("đô la Mỹ"), field="title", alternative=True)]
    groups = _read_units([number, unit], PhraseCounts({}, {("100usd",): 1}), parsed)
    assert clauses_shown(groups) == [['title:"100 usd"', 'ALT:title:"100 đô la Mỹ"', 'ALT:title:"0100 usd"',
                                      'ALT:title:"0100 đô la Mỹ"', "ALT:title:100usd"]]


@pytest.mark.parametrize("q, read", [
    ("20 km", _read_units), ("title:20 title:giờ", _read_times), ("quý 3", _read_ordinals),
])
def test_a_number_read_with_the_word_after_or_before_it_is_one_word_typed_not_a_quote(q, read):
    # Not quoted: its syllables are still respelled, its alternatives still added (``_quoted``).
    parsed = parse_query(q)
    held = PhraseCounts({}, {("20km",): 1, ("20h",): 1, ("quy", "iii"): 1})
    arguments = {_read_units: (held, parsed), _read_times: (held, Understood(parsed, parsed), parsed),
                 _read_ordinals: (held, Understood(parsed, parsed))}[read]
    [[primary, *alternatives]] = read(parsed.groups, *arguments)
    assert (primary.phrase, primary.joined, primary.field, len(alternatives)) == (
        True, True, parsed.groups[0][0].field, 1)


@pytest.mark.parametrize("q", [
    '"20 km"', "title:20 km", "20 người", "km 20", "x20km", "20/km", "20km5",  # no number and unit
    "20 km OR dặm", "20 OR 30 km", "20 -km",  # an operand of OR, a word left out
])
def test_what_is_no_number_and_unit_is_searched_as_typed(q):
    every = {tuple(s.folded for s in syllables_of(form)): 1 for form in ["20 km", "20km", "30km", "20 nguoi"]}
    parsed = parse_query(q)
    assert units_read(q, every) == clauses_shown(parsed.groups)


def times_read(q: str, phrases: dict[tuple[str, ...], int]) -> tuple[list[list[str]], list[str]]:
    """Return the groups of q with its hours and times of day read against given counts of phrases, and the
    notices."""
    parsed = parse_query(q)
    understood = Understood(parsed, parsed)
    return clauses_shown(_read_times(parsed.groups, PhraseCounts({}, phrases), understood, parsed)), understood.notices


@pytest.mark.parametrize("q, phrases, expected", [
    ("lúc 20h tối", {("20", "gio"): 4},
     ([["lúc"], ["20h", 'ALT:"20 giờ"'], ["tối"]], ["Tìm cả “20 giờ” cho “20h”."])),
    ("20 giờ", {("20h",): 4}, ([['"20 giờ"', "ALT:20h"]], ["Tìm cả “20h” cho “20 giờ”."])),
    ("20 H", {("20h",): 4, ("20", "gio"): 1, ("20",): 50},  # the hour alone is no form
     ([['"20 H"', "ALT:20h", 'ALT:"20 giờ"']], ["Tìm cả “20h”, “20 giờ” cho “20 H”."])),
    ("20 giờ", {}, ([['"20 giờ"']], [])),  # one time, searched in a row
    ("24h", {("24", "gio"): 1}, ([["24h", 'ALT:"24 giờ"']], ["Tìm cả “24 giờ” cho “24h”."])),
    ("tin 20 giờ tối", {("20h",): 2}, ([["tin"], ['"20 giờ"', "ALT:20h"], ["tối"]], ["Tìm cả “20h” cho “20 giờ”."])),
    ("8h30", {("8", "gio", "30"): 1, ("8", "30"): 2, ("08", "30"): 3},
     ([["8h30", 'ALT:"8 giờ 30"', 'ALT:"8 30"', 'ALT:"08 30"']], ["Tìm cả “8 giờ 30”, “8:30”, “08:30” cho “8h30”."])),
    ("8 gio 30 sáng", {("8h30",): 1}, ([['"8 gio 30"', "ALT:8h30"], ["sáng"]], ["Tìm cả “8h30” cho “8 gio 30”."])),
    ("title:8:30", {("8h30",): 1}, ([["title:8 30", "ALT:title:8h30"]], ["Tìm cả “8h30” cho “8:30”."])),
    # The hour with its zero or without: "00:30" is written "0h30", "8h30" also "08h30".
    ("00:30", {("0h30",): 1}, ([["00 30", "ALT:0h30"]], ["Tìm cả “0h30” cho “00:30”."])),
    ("8h30", {("08h30",): 1}, ([["8h30", "ALT:08h30"]], ["Tìm cả “08h30” cho “8h30”."])),
])
def test_an_hour_or_a_time_of_day_is_searched_as_the_articles_write_it(q, phrases, expected):
    assert times_read(q, phrases) == expected


@pytest.mark.parametrize("q", [
    "25h", "24h61", "8:60", "100 giờ", "024 giờ", "mười giờ", "8 giờ 60", "8h3", "h20", "giờ 20", '"20 giờ"',
    "20 title:giờ", "20 giờ OR phút",
])
def test_what_is_no_hour_or_time_of_day_is_searched_as_typed(q):
    every = {tuple(s.folded for s in syllables_of(form)): 1 for form in [
        "25 giờ", "24:61", "8h60", "100h", "8h60", "8 giờ 3", "20h", "20 giờ", "24h", "24 giờ"]}
    parsed = parse_query(q)
    assert times_read(q, every) == (clauses_shown(parsed.groups), [])


def ordinals_read(q: str, phrases: dict[tuple[str, ...], int]) -> tuple[list[list[str]], list[str]]:
    """Return the groups of q with its numbers of an order read against given counts of phrases, and the
    notices."""
    parsed = parse_query(q)
    understood = Understood(parsed, parsed)
    return clauses_shown(_read_ordinals(parsed.groups, PhraseCounts({}, phrases), understood)), understood.notices


@pytest.mark.parametrize("q, phrases, expected", [
    ("quý 3 năm 2020", {("quy", "iii"): 5},
     ([['"quý 3"', 'ALT:"quý III"'], ["năm"], ["2020"]], ["Tìm cả “quý III” cho “quý 3”."])),
    ("Khóa XIII", {("khoa", "13"): 1, ("khoa", "xiii"): 9},  # the form typed is no other form
     ([['"Khóa XIII"', 'ALT:"Khóa 13"']], ["Tìm cả “Khóa 13” cho “Khóa XIII”."])),
    ("doanh thu quý 3", {("quy", "iii"): 5}, ([["doanh"], ["thu"], ['"quý 3"', 'ALT:"quý III"']],
                                              ["Tìm cả “quý III” cho “quý 3”."])),
    # After "thứ" first to ninth in words; the tenth is "mười", the start of "mười một" too.
    ("lần thứ 9", {("lan", "thu", "chin"): 1}, ([['"lần thứ 9"', 'ALT:"lần thứ chín"']],
                                                ["Tìm cả “lần thứ chín” cho “lần thứ 9”."])),
    ("lần thứ 10", {("lan", "thu", "x"): 1},
     ([['"lần thứ 10"', 'ALT:"lần thứ X"']], ["Tìm cả “lần thứ X” cho “lần thứ 10”."])),
    # Typed without accents, the words are still read; the accents typed are kept.
    ("dai hoi xiv", {("dai", "hoi", "14"): 1},
     ([['"dai hoi xiv"', 'ALT:"dai hoi 14"']], ["Tìm cả “dai hoi 14” cho “dai hoi xiv”."])),
    ("thế kỷ 21", {("the", "ky", "xxi"): 1},
     ([['"thế kỷ 21"', 'ALT:"thế kỷ XXI"']], ["Tìm cả “thế kỷ XXI” cho “thế kỷ 21”."])),
    # After "thứ" an order is also said in words; every form held is searched.
    ("lần thứ 2", {("lan", "thu", "hai"): 3},
     ([['"lần thứ 2"', 'ALT:"lần thứ hai"']], ["Tìm cả “lần thứ hai” cho “lần thứ 2”."])),
    ("kỳ họp thứ nhất", {("ky", "hop", "thu", "1"): 1, ("ky", "hop", "thu", "i"): 1},
     ([['"kỳ họp thứ nhất"', 'ALT:"kỳ họp thứ 1"', 'ALT:"kỳ họp thứ I"']],
      ["Tìm cả “kỳ họp thứ 1”, “kỳ họp thứ I” cho “kỳ họp thứ nhất”."])),
    ("lan thu tu", {("lan", "thu", "4"): 1},
     ([['"lan thu tu"', 'ALT:"lan thu 4"']], ["Tìm cả “lan thu 4” cho “lan thu tu”."])),
    ("title:lần title:thứ title:39", {("lan", "thu", "xxxix"): 1},
     ([['title:"lần thứ 39"', 'ALT:title:"lần thứ XXXIX"']], ["Tìm cả “lần thứ XXXIX” cho “lần thứ 39”."])),
])
def test_a_number_of_an_order_is_searched_in_either_numeral(q, phrases, expected):
    assert ordinals_read(q, phrases) == expected


@pytest.mark.parametrize("q", [
    "quý 3",  # no article writes "quý III"
    "3", "III", "quý", "quý 40", "quý 0", "quý IIII", "quý IC", "khóa",  # no word and number of an order
    "khòa 3 x",  # "khòa" typed with its accents is not "khóa"
    '"quý 3"', "quý title:3", "quý 4 OR 5", "3 quý", "thế 21", "kỷ 21",
    "quý hai", "lần thứ mười", "lần thứ hai mươi", "lần thứ ba trăm",  # an order in words after "thứ" alone, 1-9
])
def test_what_is_no_number_of_an_order_the_articles_write_otherwise_is_searched_as_typed(q):
    every = {tuple(s.folded for s in syllables_of(form)): 1 for form in [
        "quý IV", "quý XL", "quý 4", "khóa III", "thế kỷ XXI", "kỷ XXI", "thế XXI", "quý IIII", "quý 2", "lần thứ 10",
        "lần thứ 2", "lần thứ 3", "lần thứ XX"]}
    parsed = parse_query(q)
    assert ordinals_read(q, every) == (clauses_shown(parsed.groups), [])


@pytest.mark.parametrize("typed, named, order", [
    ("1", False, 1), ("39", False, 39), ("40", False, 0), ("0", False, 0), ("XIV", False, 14), ("xxxix", False, 39),
    ("hai", True, 2), ("chin", True, 9), ("hai", False, 0), ("mười", True, 0), ("xyz", True, 0),
])
def test_an_order_is_read_from_a_number_a_roman_numeral_or_after_thu_a_name(typed, named, order):
    assert _ordinal_value(Syllable.of(typed), named) == order


def test_roman_numerals_are_written_by_the_rules_up_to_thirty_nine():
    assert [roman(n) for n in (1, 4, 9, 13, 14, 19, 21, 39)] == ["I", "IV", "IX", "XIII", "XIV", "XIX", "XXI", "XXXIX"]


def test_an_amount_in_shorthand_is_never_split_into_a_number_and_letters(vocabulary):
    # "700.000" written out, in a row and joined (``_number_alternatives``), never "700 k".
    assert groups_of(vocabulary, "700k") == [["700k", 'ALT:"700 000"[700.000]', "ALT:700000"]]
    assert groups_of(vocabulary, "1k") == [["1k"]]  # "1K" is written so (11 times in the demo corpus)
    assert groups_of(vocabulary, "100x") == [["100x", 'ALT:"100 x"']]


@pytest.mark.parametrize("words, expected", [
    (["30", "tháng", "4"], (3, ["30/4", "30/04"])), (["30", "thang", "4", "x"], (3, ["30/4", "30/04"])),
    (["2", "tháng", "9", "năm", "1945"], (5, ["2/9/1945", "02/09/1945"])),
    (["02", "thang", "09", "nam", "2024", "x"], (5, ["2/9/2024", "02/09/2024"])),
    (["12", "tháng", "12"], (3, ["12/12"])), (["31", "tháng", "1"], (3, ["31/1", "31/01"])),
    (["1", "tháng", "10", "năm", "2000"], (5, ["1/10/2000", "01/10/2000"])),
    (["tháng", "4", "năm", "2021"], (4, ["4/2021", "04/2021"])), (["tháng", "12", "nam", "1999"], (4, ["12/1999"])),
    (["thang", "04", "năm", "2000"], (4, ["4/2000", "04/2000"])),
    # Lengths of time, and no day, month or year.
    (["9", "tháng", "10", "ngày"], (0, [])), (["6", "tháng", "1", "lần"], (0, [])),
    (["6", "tháng", "1", "lan"], (0, [])),
    (["32", "tháng", "4"], (0, [])), (["0", "tháng", "4"], (0, [])), (["30", "tháng", "13"], (0, [])),
    (["30", "tháng", "0"], (0, [])), (["30", "thắng", "4"], (0, [])), (["030", "tháng", "4"], (0, [])),
    (["tháng", "4", "năm", "1899"], (0, [])), (["tháng", "4", "năm", "20211"], (0, [])),
    (["tháng", "4", "năm"], (0, [])),
    (["tháng", "13", "năm", "2021"], (0, [])), (["tháng", "4", "nắm", "2021"], (0, [])), (["30", "tháng"], (0, [])),
    (["30", "tháng", None], (0, [])), ([None, "tháng", "4"], (0, [])), (["²", "tháng", "4"], (0, [])),
    (["tháng", "²", "năm", "2021"], (0, [])), (["tháng", "4", "năm", "20²1"], (0, [])),
    # A day and month before "năm" and no year: the day and month.
    (["30", "tháng", "4", "năm", "x"], (3, ["30/4", "30/04"])),
])
def test_a_date_said_in_words_is_read_with_its_written_forms(words, expected):
    from search.understand import _date_at

    assert _date_at(words) == expected


def dates_read(q: str, phrases: dict[tuple[str, ...], int]) -> tuple[list[list[str]], list[str]]:
    """Return the groups of q with its dates said in words read against given counts, and the notices."""
    parsed = parse_query(q)
    understood = Understood(parsed, parsed)
    groups = _read_dates(parsed.groups, PhraseCounts({}, phrases), understood, parsed)
    return [[("ALT:" if c.alternative else "") + (f"{c.field}:" if c.field else "")
             + (f'"{" ".join(s.raw for s in c.syllables)}"' if c.phrase else " ".join(s.raw for s in c.syllables))
             for c in group] for group in groups], understood.notices


def test_a_date_said_in_words_is_also_searched_as_the_articles_write_it():
    held = {("30", "4"): 9, ("2", "9", "1945"): 1, ("02", "09", "1945"): 2, ("4", "2021"): 3}
    assert dates_read("lễ 30 tháng 4", held) == (
        [["lễ"], ['"30 tháng 4"', 'ALT:"30 4"']], ["Tìm cả “30/4” cho “30 tháng 4”."])
    assert dates_read("ngày 2 Tháng 9 năm 1945 x", held) == (
        [["ngày"], ['"2 Tháng 9 năm 1945"', 'ALT:"2 9 1945"', 'ALT:"02 09 1945"'], ["x"]],
        ["Tìm cả “2/9/1945”, “02/09/1945” cho “2 Tháng 9 năm 1945”."])
    assert dates_read("title:tháng title:4 title:năm title:2021", held)[0] == [
        ['title:"tháng 4 năm 2021"', 'ALT:title:"4 2021"']]
    # No form held, a length of time, words in two fields or quoted, an operand of OR: as typed.
    for q in ["30 tháng 5", "6 tháng 1 lần", "title:30 tháng 4", '"30 tháng 4"', "30 tháng-4", "30 tháng 4-5",
              "30 tháng 4 OR 5", "30 OR 29 tháng 4"]:
        assert dates_read(q, held)[1] == [], q


def test_a_date_said_in_words_is_one_word_not_a_quote_and_its_written_forms_are_alternatives():
    parsed = parse_query("30 tháng 4")
    groups = _read_dates(parsed.groups, PhraseCounts({}, {("30", "4"): 1}), Understood(parsed, parsed), parsed)
    # Joined, not quoted: the wider tiers count it as a word, never require it (``matching.is_required``).
    assert [(c.phrase, c.joined, c.alternative) for c in groups[0]] == [(True, True, False), (True, False, True)]


def cited_as(q: str, phrases: dict[tuple[str, ...], int], before: list[str] = ()) -> tuple[list[str], list[str], list]:
    """Return a document number's citation alternatives, the notices and the phrases asked of the counts."""
    clause = parse_query(q).groups[0][0]
    understood, counts = Understood(parse_query(q)), PhraseCounts({}, phrases)
    alternatives = _reference_alternatives(clause, list(before), counts, understood)
    return [" ".join(s.raw for s in c.syllables) for c in alternatives], understood.notices, counts.asked


def test_a_document_number_is_cited_by_its_kind_and_number_only_as_some_article_cites_it():
    asked = [("chi", "thi", "05"), ("chi", "thi", "so", "05"), ("chi", "thi", "5"), ("chi", "thi", "so", "5"),
             ("05", "ct", "tu")]
    assert cited_as("05-CT/TW", {}) == ([], [], asked)
    assert cited_as("05-CT/TW", {("chi", "thi", "so", "5"): 1, ("05", "ct", "tu"): 2}) == (
        ["chỉ thị số 5", "05 CT tư"], ["Tìm cả “chỉ thị số 5” cho “05-CT/TW”."], asked)
    # A year stays with its number; the kind typed before it goes without a notice.
    year = ("nghi", "dinh", "168", "2024")
    assert cited_as("168/2024/NĐ-CP", {year: 3}, ["phat", "theo", "nghi", "dinh", "so"]) == (
        ["nghị định 168 2024"], [], [year, ("nghi", "dinh", "so", "168", "2024")])
    assert cited_as("168/2024/NĐ-CP", {year: 3}, ["nghi", "dinh"])[1] == []
    assert cited_as("168/2024/NĐ-CP", {year: 3}, ["dinh"])[1] == ["Tìm cả “nghị định 168/2024” cho “168/2024/NĐ-CP”."]
    assert cited_as("15/2021/QĐ", {("quyet", "dinh", "15", "2021"): 1})[0] == ["quyết định 15 2021"]
    # The issuer TW written TƯ and TƯ written TW, the other parts as typed; TU (tỉnh ủy) is another body.
    assert cited_as("3-QĐ/TW/VP", {("3", "qd", "tu", "vp"): 1})[0] == ["3 QĐ tư VP"]
    assert cited_as("29/NQ-TƯ", {("29", "nq", "tw"): 1})[0] == ["29 NQ tw"]
    assert cited_as("05-NQ/TU", {("05", "nq", "tw"): 1, ("05", "nq", "tu"): 1}) == (
        [], [], [("nghi", "quyet", "05"), ("nghi", "quyet", "so", "05"), ("nghi", "quyet", "5"),
                 ("nghi", "quyet", "so", "5")])


@pytest.mark.parametrize("q", ["1234/UBND", "31/2024/QH15", "15/8/2021", "5/mm", "bộ"])
def test_a_number_whose_code_names_no_kind_of_document_is_cited_by_nothing(q):
    assert cited_as(q, {}) == ([], [], [])


def test_a_document_numbers_citation_keeps_its_field(vocabulary):
    understood = understand(parse_query("title:05-CT/TW"), vocabulary, abbreviations.load())
    assert [(c.field, c.alternative, " ".join(s.raw for s in c.syllables)) for c in understood.parsed.groups[0]] == [
        ("title", False, "05 CT TW"), ("title", True, "5 ct tw"), ("title", True, "chỉ thị 05")]


def test_the_shipped_dictionary_has_at_least_80_entries_and_no_bad_line():
    dictionary = abbreviations.load()
    assert len(dictionary.entries) >= 80
    assert dictionary.problems == []
    assert ("ủy ban nhân dân",) not in dictionary.by_key
    assert dictionary.alternatives(("uy", "ban", "nhan", "dan")) == ["UBND"]


@pytest.mark.parametrize("q, expected", [
    ("epl", [["epl", 'ALT:"ngoại hạng anh"', 'ALT:"premier league"']]),
    ("ucl chung kết", [["ucl", 'ALT:"champions league"', 'ALT:"cúp c1"'], ["chung"], ["kết"]]),
    # Readers run the games' name together as some articles do ("Seagame"): "sea game" found 3 articles.
    ("seagame 31", [["seagame", 'ALT:"sea games"', 'ALT:"sea game"', "ALT:seagames"], ["31"]]),
    ("sea games", [["sea games", 'ALT:"sea game"', "ALT:seagames", "ALT:seagame"]]),
])
def test_the_football_leagues_readers_abbreviate_are_searched_by_their_names(vocabulary, q, expected):
    assert groups_of(vocabulary, q) == expected


@pytest.mark.parametrize("q, expected", [
    # "thuế tncn" answered 171 articles of the most tier on the 6k news index, "thuế thu nhập cá nhân" 10.
    ("thuế tncn", [["thuế"], ["tncn", 'ALT:"thu nhập cá nhân"']]),
    ("thuế gtgt", [["thuế"], ["gtgt", 'ALT:"giá trị gia tăng"']]),
    ("sgk lớp 1", [["sgk", 'ALT:"sách giáo khoa"'], ["lớp"], ["1"]]),
    # The longer form first; its shortened "UBCK Nhà nước" typed.
    ("ubck nhà nước", [["ubck nhà nước", "ALT:ubcknn", 'ALT:"uỷ ban chứng khoán nhà nước"']]),
    ("dnnvv", [["dnnvv", 'ALT:"doanh nghiệp nhỏ và vừa"', 'ALT:"dn nhỏ và vừa"']]),
])
def test_the_tax_market_and_school_abbreviations_readers_type_are_searched_by_their_names(vocabulary, q, expected):
    assert groups_of(vocabulary, q) == expected


@pytest.mark.parametrize("q, expected", [
    # "dtvn" found the 8 of 6,000 news articles writing "ĐTVN"; "đội tuyển Việt Nam" is in 500.
    ("dtvn", [["dtvn", 'ALT:"đội tuyển việt nam"', 'ALT:"đội tuyển vn"']]),
    ("tthc", [["tthc", 'ALT:"thủ tục hành chính"']]),
    ("sở tn&mt", [["sở"], ['"tn mt"', "ALT:tnmt", 'ALT:"tài nguyên và môi trường"']]),
    ("tandtc", [["tandtc", 'ALT:"toà án nhân dân tối cao"', 'ALT:"tand tối cao"']]),
    ("ngân hàng tmcp", [["ngân"], ["hàng"], ["tmcp", 'ALT:"thương mại cổ phần"']]),
])
def test_the_ministries_courts_and_public_services_readers_abbreviate_are_searched_by_their_names(
        vocabulary, q, expected):
    assert groups_of(vocabulary, q) == expected


def test_an_operator_file_adds_entries_and_reports_bad_lines_by_number(tmp_path, vocabulary, caplog):
    extra = tmp_path / "synonyms.txt"
    extra.write_text("# ours\nSGK | sách giáo khoa\nno separator here\n\nVAR | \n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="vnsearch.abbreviations"):
        dictionary = abbreviations.load(str(extra))
    assert dictionary.problems == [
        f"{extra}, line 3: expected two or more forms separated by '|'; line skipped",
        f"{extra}, line 5: expected two or more forms separated by '|'; line skipped",
    ]
    assert [record.getMessage() for record in caplog.records] == dictionary.problems  # the operator sees them
    assert groups_of(vocabulary, "sgk", dictionary) == [["sgk", 'ALT:"sách giáo khoa"']]
    assert len(dictionary.entries) == len(abbreviations.load().entries) + 1


def test_a_form_of_too_many_words_is_refused():
    assert parse_line("X | một hai ba bốn năm sáu bảy") == "form 'một hai ba bốn năm sáu bảy' must have 1 to 6 words"
    dictionary = Abbreviations()
    read_into(dictionary, ["A | b c", "# comment", "   "], "test")
    assert [e.forms for e in dictionary.entries] == [("A", "b c")]
    assert (dictionary.lookup(("b", "c")), dictionary.lookup(("x",)), dictionary.alternatives(("x",))) == (
        [Entry(("A", "b c"))], [], [])


def test_the_dictionary_tells_which_keys_a_longer_form_begins_with():
    # A query's words are read on for a longer form only while one begins with them.
    dictionary = Abbreviations()
    read_into(dictionary, ["UBND | ủy ban nhân dân", "TP.HCM | thành phố Hồ Chí Minh", "BCH | ban chấp hành"], "test")
    assert dictionary.extends(("uy",)) and dictionary.extends(("uy", "ban", "nhan"))
    assert dictionary.extends(("tp",)) and dictionary.extends(("thanh", "pho", "ho", "chi"))
    assert not dictionary.extends(("uy", "ban", "nhan", "dan"))  # the whole form
    assert not dictionary.extends(("ubnd",)) and not dictionary.extends(("chap",)) and not dictionary.extends(("nhan",))
    assert dictionary.extends(("ban",))  # "ban chấp hành"
    shipped = abbreviations.load()
    every_start = {key[:size] for key in shipped.by_key for size in range(1, len(key))}
    assert shipped.starts == every_start


@pytest.mark.parametrize("q", [
    "uy ban nhan dan thanh pho ho chi minh ubnd tphcm", "chủ tịch ubnd tp hà nội và bộ gd&đt",
    "cong an quan 1 va bo cong an ubnd", "TP.HCM hlv park hang seo u23 viet nam",
])
def test_the_longest_form_at_each_word_is_that_of_reading_every_length_on(q):
    # Reading on stops where no form begins with the words read: the longest form found at each group
    # is the longest of every length tried up to six syllables.
    from search import understand as understanding

    dictionary = abbreviations.load()
    groups = parse_query(q).groups
    class ReadingOn(Abbreviations):
        def extends(self, key):
            return True

    longer = ReadingOn(entries=dictionary.entries, by_key=dictionary.by_key)
    found = [understanding._longest_form(groups, index, dictionary, True) for index in range(len(groups))]
    assert found == [understanding._longest_form(groups, index, longer, True) for index in range(len(groups))]
    assert sum(match is not None for match in found) >= 2


def clauses_of(vocabulary, q: str) -> list[list[tuple]]:
    """Return the understood query's groups as (words, alternative, phrase, joined, field) of each clause."""
    understood = understand(parse_query(q), vocabulary, abbreviations.load())
    return [[(" ".join(s.exact for s in c.syllables), c.alternative, c.phrase, c.joined, c.field) for c in group]
            for group in understood.parsed.groups]


@pytest.mark.parametrize("q, expected", [
    ("TP.HCM", [[("tp hcm", False, True, True, None), ("tphcm", True, False, False, None),
                 ("hcmc", True, False, False, None), ("thành phố hồ chí minh", True, True, False, None),
                 ("tp hồ chí minh", True, True, False, None)]]),
    ("thanh pho ho chi minh", [[("thanh pho ho chi minh", False, False, False, None),
                                ("tp hcm", True, True, False, None), ("tphcm", True, False, False, None),
                                ("hcmc", True, False, False, None), ("tp hồ chí minh", True, True, False, None)]]),
    ("title:ubnd", [[("ubnd", False, False, False, "title"), ("uỷ ban nhân dân", True, True, False, "title")]]),
    ("title:1.000", [[("1 000", False, True, True, "title"), ("1000", True, False, False, "title")]]),
    ("khủng long", [[("khủng", False, False, False, None)], [("long", False, False, False, None)]]),
    # A form only after words the dictionary does not join it with; never across a quoted phrase.
    ('ubnd "ha noi"', [[("ubnd", False, False, False, None), ("uỷ ban nhân dân", True, True, False, None)],
                       [("ha noi", False, True, False, None)]]),
    ("ubnd OR tinh", [[("ubnd", False, False, False, None), ("tinh", False, False, False, None)]]),
    # A form read on up to a quoted phrase or a field's word keeps the form found before it.
    ('thành phố "hồ chí minh"', [[("thành phố", False, False, False, None), ("tp", True, False, False, None)],
                                 [("hồ chí minh", False, True, False, None)]]),
    ("tp title:hcm", [[("tp", False, False, False, None), ("thành phố", True, True, False, None)],
                      [("hcm", False, False, False, "title")]]),
    # "tu" is "từ", "tư", "tự"...: not the abbreviation "TƯ" unless typed as it.
    ("tu", [[("tu", False, False, False, None)]]),
    ("TƯ", [[("tư", False, False, False, None), ("tw", True, False, False, None),
             ("trung ương", True, True, False, None)]]),
    # Letters and digits the index holds together are also searched apart.
    ("128gb", [[("128gb", False, False, False, None), ("128 gb", True, True, False, None)]]),
])
def test_each_clause_keeps_its_phrase_joined_and_field_marks_and_its_alternatives_theirs(vocabulary, q, expected):
    assert clauses_of(vocabulary, q) == expected


def test_an_abbreviation_typed_is_said_expanded_with_the_words_as_typed(vocabulary):
    understood = understand(parse_query("ubnd"), vocabulary, abbreviations.load())
    assert understood.notices == ["Tìm cả “ủy ban nhân dân” cho “ubnd”."]
    assert understand(parse_query("ủy ban nhân dân"), vocabulary, abbreviations.load()).notices == []
    # Forms no longer than the words typed ("UCL", "Champions League" for "cup c1") are searched, not said.
    cup = understand(parse_query("cup c1"), vocabulary, abbreviations.load())
    assert cup.notices == [] and [" ".join(s.raw for s in c.syllables) for c in cup.parsed.groups[0]] == [
        "cup c1", "UCL", "Champions League"]


def test_decoded_and_split_words_keep_the_place_of_the_word_typed(vocabulary):
    understood = understand(parse_query("Coong Phuwowngj"), vocabulary, abbreviations.load())
    assert [(s.exact, s.start, s.end) for s in understood.parsed.syllables] == [("công", 0, 5), ("phượng", 6, 15)]
    split = understand(parse_query("hanoi"), vocabulary, abbreviations.load())
    assert {s.raw: text for s, text in split.rewrites.items()} == {"hanoi": "ha noi"}
    assert split.rewritten_text() == "ha noi"


def test_a_telex_word_is_read_decoded_only_when_the_index_holds_its_syllable(vocabulary):
    # "acj" is Telex for "ạc", which no article holds; "bas" for "bá", which one article holds.
    assert vocabulary.frequency("ạc") == 0 and vocabulary.frequency("bá") == 1
    assert clauses_of(vocabulary, "acj") == [[("acj", False, False, False, None)]]
    assert clauses_of(vocabulary, "bas") == [[("bá", False, False, False, None)]]


def test_the_vocabulary_counts_the_articles_holding_a_word_in_their_body_or_title(vocabulary, engine):
    statistics = engine.backend.statistics()
    # "khat" ("khát" typed without accents): four bodies, one title.
    assert (statistics.doc_frequency("khat", "body"), statistics.doc_frequency("khat", "title")) == (4, 1)
    assert vocabulary.frequency("khat") == 5


def test_a_vni_word_decoded_as_an_alternative_keeps_the_typed_words_place_and_says_so(rating_engine):
    vocabulary = Vocabulary(rating_engine.backend.statistics())
    understood = understand(parse_query("xep hang Ba2"), vocabulary, abbreviations.load())
    alternative = [c for c in understood.parsed.clauses if c.alternative]
    assert [[(s.exact, s.start, s.end) for s in c.syllables] for c in alternative] == [[("bà", 9, 12)]]
    assert understood.decoded and understood.notices[0].startswith("Đã hiểu cách gõ Telex/VNI")


@pytest.mark.parametrize("word, expected", [
    ("hanoi", ["ha", "noi"]), ("giaoduc", ["giao", "duc"]), ("thutuong", ["thu", "tuong"]),
    ("covid19", ["covid", "19"]), ("19covid", ["19", "covid"]), ("u23vietnam", ["u", "23", "viet", "nam"]),
    ("galaxyz", None), ("hochiminh", None), ("vietnam", ["viet", "nam"]),
])
def test_a_run_together_word_splits_into_the_fewest_likeliest_title_syllables(vocabulary, word, expected):
    assert split_word(word, vocabulary.syllables) == expected


@pytest.mark.parametrize("before, expected", [
    (["ban", "hanh", "chi", "thi"], True), (["noi", "dung", "luat"], True), (["luat"], True),
    (["ban", "chi"], False), (["thi"], False), ([], False),
])
def test_a_number_follows_a_kind_of_legal_document_when_the_last_one_or_two_words_name_it(before, expected):
    from search.understand import after_document_type

    assert after_document_type(before) is expected


def typed_clause(vocabulary, q: str):
    """Return the clause of the one word typed, as understood (a word of several syllables is a phrase)."""
    return understand(parse_query(q), vocabulary, abbreviations.load()).parsed.groups[0][0]


@pytest.mark.parametrize("typed, joined", [
    ("1.000", "1000"), ("12.500", "12500"), ("123.456", "123456"), ("1.000.000", "1000000"),
    ("1234.567", None), ("1.00.000", None), ("05.000", None), ('"100"', None),
])
def test_a_number_typed_with_thousands_separators_is_also_searched_joined(vocabulary, typed, joined):
    from search.understand import _joined_thousands

    assert _joined_thousands(typed_clause(vocabulary, typed)) == joined


@pytest.mark.parametrize("typed, written", [
    ("8/10", ["08", "10"]), ("21/8/2019", ["21", "08", "2019"]), ("3/0", ["03", "0"]),
    ("8/100/2019", ["8", "100", "2019"]), ("8/10/19", ["8", "10", "19"]), ("8/123", ["8", "123"]),
])
def test_a_date_is_also_searched_with_its_days_and_months_of_two_digits(vocabulary, typed, written):
    from search.understand import _with_zeros

    clause = typed_clause(vocabulary, typed)
    assert [_with_zeros(s, clause) for s in clause.syllables] == written


def test_a_number_of_four_digits_or_more_is_also_searched_with_thousands_dots(vocabulary):
    assert clauses_of(vocabulary, "25000") == [[("25000", False, False, False, None),
                                                ("25 000", True, True, False, None)]]


def test_the_words_read_otherwise_are_written_back_in_place_keeping_an_initial_capital():
    from search.parse import Syllable
    from search.understand import rewrite_text

    typed = parse_query("Coong Phuwowngj ddeen")
    coong, phuwowngj, ddeen = typed.syllables
    assert rewrite_text(typed.text, {coong: "công", phuwowngj: "phượng", ddeen: "đến"}) == "Công Phượng đến"
    # A word without a place, or one starting inside a word already replaced, is left out; the others are not.
    unplaced, inside = Syllable.of("coong"), Syllable.of("oong", coong.start + 1)
    assert rewrite_text(typed.text, {unplaced: "x", ddeen: "đến"}) == "Coong Phuwowngj đến"
    assert rewrite_text(typed.text, {coong: "công", inside: "y"}) == "Công Phuwowngj ddeen"
    # Syllables are equal whatever their places: a word typed twice is one key, rewritten at each place.
    twice = parse_query("toi nghi Toi co toi")
    first, _, capital, _, last = twice.syllables
    assert first == last and first.start != last.start and capital != first
    assert rewrite_text(twice.text, {first: "tôi", capital: "tôi"}) == "tôi nghi Tôi co tôi"
    assert rewrite_text(twice.text, {last: "tôi"}) == "tôi nghi Toi co tôi"
    # A word typed all in capitals is written back in capitals; one letter is an initial.
    shouted = parse_query("GIAS XAWNG A")
    gias, xawng, letter = shouted.syllables
    assert rewrite_text(shouted.text, {gias: "giá", xawng: "xăng", letter: "ạnh"}) == "GIÁ XĂNG Ạnh"
    xa = parse_query("XA").syllables[0]
    assert rewrite_text("XA", {xa: "xã"}) == "XÃ"
    assert rewrite_text(shouted.text, {gias: "giá ca"}) == "GIÁ CA XAWNG A"


def test_words_are_written_back_place_by_place_a_word_typed_twice_in_two_spellings():
    from search.parse import Syllable
    from search.understand import rewrite_places

    typed = parse_query("Cam on, on dinh")
    cam, first, second, dinh = typed.syllables
    assert first == second and first.start < second.start
    # Each place its own word (in any order given), an initial capital kept.
    assert rewrite_places(typed.text, [(dinh, "định"), (second, "ổn"), (first, "ơn"), (cam, "cảm")]) == (
        "Cảm ơn, ổn định")
    assert rewrite_places(typed.text, [(second, "ổn")]) == "Cam on, ổn dinh"
    # A word without a place, or one starting inside a word already replaced, is left out.
    unplaced, inside = Syllable.of("on"), Syllable.of("am", cam.start + 1)
    assert rewrite_places(typed.text, [(unplaced, "x"), (dinh, "định")]) == "Cam on, on định"
    assert rewrite_places(typed.text, [(cam, "cảm"), (inside, "y"), (dinh, "định")]) == "Cảm on, on định"
    assert rewrite_places(typed.text, []) == typed.text


def test_a_form_of_six_words_is_found_and_one_typed_word_is_expanded_before_five_others(vocabulary):
    assert clauses_of(vocabulary, "bo giao duc va dao tao") == [[
        ("bo giao duc va dao tao", False, False, False, None), ("bgdđt", True, False, False, None),
        ("bộ gd đt", True, True, False, None)]]
    # TP.HCM (two syllables) and five words: seven syllables, more than a form holds.
    assert clauses_of(vocabulary, "TP.HCM cam xe may tu nam")[0][1] == ("tphcm", True, False, False, None)
    # A form never takes in a word with a field.
    assert clauses_of(vocabulary, "uy ban nhan title:dan") == [
        [("uy", False, False, False, None)], [("ban", False, False, False, None)],
        [("nhan", False, False, False, None)], [("dan", False, False, False, "title")]]


@pytest.mark.parametrize("word, syllables, expected", [
    # A model's letter: a one-letter piece only at the end, after four letters at least.
    ("galaxyz", {"galaxy": 12, "z": 4}, ["galaxy", "z"]),
    ("sonyx", {"sony": 5, "x": 6}, ["sony", "x"]),
    ("iphonexpro", {"iphone": 30, "x": 6, "pro": 9}, None),
    ("xiphone", {"iphone": 30, "x": 6}, None),
])
def test_a_one_letter_consonant_is_a_piece_only_as_a_models_letter_at_the_end(word, syllables, expected):
    assert split_word(word, syllables) == expected


@pytest.mark.parametrize("word, expected", [
    ("otodien", ["o", "to", "dien"]),  # "ô tô điện": a vowel word first
    ("benhungthu", ["benh", "ung", "thu"]), ("cotucung", ["co", "tu", "cung"]),
    ("dulichsingapore", None),  # "singapore" has nine letters, over MAX_PIECE_CHARS
])
def test_a_run_together_word_splits_by_the_title_frequencies_of_its_pieces(vocabulary, word, expected):
    assert split_word(word, vocabulary.syllables) == expected


def test_a_form_keeps_the_alternatives_its_typed_word_already_had(vocabulary):
    # "đôla" splits into "đô la"; the dictionary adds USD and "đô la Mỹ".
    assert clauses_of(vocabulary, "đôla Mỹ") == [[
        ("đôla mỹ", False, False, False, None), ("do la", True, True, False, None),
        ("usd", True, False, False, None), ("đô la mỹ", True, True, False, None)]]


def test_a_time_of_digits_and_letters_the_index_holds_is_not_split(vocabulary):
    # "10h00" is held as one word: only two pieces that cut letters from digits are split regardless.
    assert vocabulary.frequency("10h00") > 0
    assert clauses_of(vocabulary, "10h00") == [[("10h00", False, False, False, None)]]


class JoinCounts(PhraseCounts):
    """A vocabulary of given counts that also notes the terms it was asked to prefetch."""

    def __init__(self, frequencies: dict[str, int], phrases: dict[tuple[str, ...], int]):
        super().__init__(frequencies, phrases)
        self.prefetched: list[str] = []

    def prefetch(self, terms) -> None:
        self.prefetched += list(terms)


def joined(q: str, counts) -> tuple[list[list[str]], list[str]]:
    """Return the groups of q after the words typed apart are joined (as groups_of), and the notices."""
    parsed = parse_query(q)
    understood = Understood(parsed, parsed)
    groups = _join_apart(parsed.groups, counts, understood, parsed)
    return [[" ".join(s.exact for s in c.syllables) for c in g] for g in groups], understood.notices


@pytest.mark.parametrize("q, joined_as", [
    ("vi vo chong", None),  # "vợ chồng": pyvi's word in 300 articles, more than hold "vivo"
    ("chong vi vo", None),  # "chồng vì": the word the pair's first makes with the syllable before it counts too
    ("vi vo, chong", "vivo"),  # a comma parts the pair from its neighbour
    ("vi vo moi", "vivo"),  # "vo moi": pyvi's word in no more articles than hold "vivo"
    ("vi vo", "vivo"),
])
def test_two_words_typed_apart_are_not_joined_where_joining_them_parts_a_word_with_their_neighbour(q, joined_as):
    counts = JoinCounts({"vivo": 29, "vi_vo": 1, "vo_chong": 300, "chong_vi": 300, "vo_moi": 29},
                        {("vi", "vo"): 12})
    groups, notices = joined(q, counts)
    assert (["vi vo", joined_as] in groups) is (joined_as is not None)
    assert bool(notices) is (joined_as is not None)


def test_a_code_typed_apart_from_its_number_is_joined_where_the_articles_write_them_as_one():
    counts = JoinCounts({"u23": 380}, {("u", "23"): 1})
    assert joined("u 23 viet nam", counts) == ([["u 23", "u23"], ["viet"], ["nam"]], ["Đã ghép “u 23” thành “u23”."])
    counts.frequencies["u_23"] = 26  # the pair a word of its own in more than a fifteenth as many articles
    assert joined("u 23 viet nam", counts) == ([["u"], ["23"], ["viet"], ["nam"]], [])
    counts.frequencies["u_23"], counts.phrases[("u", "23")] = 0, 381  # in a row more often than joined
    assert joined("u 23 viet nam", counts) == ([["u"], ["23"], ["viet"], ["nam"]], [])
    assert MAX_CODE_LETTERS == 3


def test_a_join_prefetches_the_words_every_pair_would_make_and_weighs_only_the_held_ones():
    counts = JoinCounts({"chatgpt": 40, "gptmoi": 1}, {("chat", "gpt"): 2})
    assert joined("chat gpt moi", counts) == ([["chat gpt", "chatgpt"], ["moi"]],
                                              ["Đã ghép “chat gpt” thành “chatgpt”."])
    assert counts.prefetched == ["chatgpt", "gptmoi"] and counts.asked == [("chat", "gpt")]
    # The pair a word of its own in more than a fifteenth as many articles as the word: not joined.
    counts.frequencies["chat_gpt"] = 3
    assert joined("chat gpt moi", counts) == ([["chat"], ["gpt"], ["moi"]], [])



def test_a_vni_token_the_index_holds_is_weighed_against_its_reading_with_crossed_d_and_keeps_its_field(
        rating_engine):
    vocabulary = Vocabulary(rating_engine.backend.statistics())
    # "do65i" stands in one article; it decodes to "dội", which none writes, so to "đội": six articles,
    # not twenty times one, so it is searched as typed alone.
    assert [vocabulary.frequency(w) for w in ("do65i", "dội", "đội")] == [1, 0, 6]
    assert clauses_of(vocabulary, "do65i") == [[("do65i", False, False, False, None)]]
    # An alternative searched for a word typed in a field is searched in that field.
    assert clauses_of(vocabulary, "title:Ba2") == [[("ba2", False, False, False, "title"),
                                                    ("bà", True, False, False, "title")]]


def test_a_run_of_letters_no_split_reads_stays_whole_beside_digits_and_alone_is_no_split():
    syllables = {"covid": 40, "co": 90, "vid": 3}
    assert split_word("covid19", syllables) == ["covid", "19"]
    assert split_word("xyzq19", syllables) == ["xyzq", "19"]  # unknown letters beside digits: one piece
    assert split_word("xyzq", syllables) is None and split_word("covid", syllables) is None


def test_a_run_split_two_ways_of_equal_score_keeps_the_split_found_first():
    # "an hoa" and "anh oa" score alike (log 6 + log 4 either way): the first found, the longer last piece, stays.
    assert _split_letters("anhoa", {"an": 6, "hoa": 4, "anh": 4, "oa": 6}) == ["an", "hoa"]


def test_a_title_syllable_map_is_built_once_per_list_and_the_last_few_lists_kept(monkeypatch):
    monkeypatch.setattr(understand_module, "_SYLLABLE_MAPS", {})
    lists = [[("ha", 3), (f"noi{number}", 2)] for number in range(6)]
    first = _syllable_map(lists[0])
    assert first == {"ha": 3, "noi0": 2} and _syllable_map(lists[0]) is first
    for syllables in lists[1:]:
        assert _syllable_map(syllables) == dict(syllables)
    assert list(understand_module._SYLLABLE_MAPS) == [id(syllables) for syllables in lists[2:]]  # the last four
    # A new list under the id of one kept (a list freed, its id reused) gets its own map.
    other = [("ho", 5)]
    understand_module._SYLLABLE_MAPS[id(other)] = (lists[0], first)
    assert _syllable_map(other) == {"ho": 5}


def test_several_words_typed_for_a_form_become_one_plain_word_though_the_first_was_typed_joined(vocabulary):
    dictionary = Abbreviations()
    read_into(dictionary, ["V-League 1 | giải vô địch quốc gia"], "test")
    understood = understand(parse_query("V-League 1"), vocabulary, dictionary)
    assert [[(" ".join(s.exact for s in c.syllables), c.alternative, c.phrase, c.joined) for c in group]
            for group in understood.parsed.groups] == [
        [("v league 1", False, False, False), ("giải vô địch quốc gia", True, True, False)]]
