"""Vietnamese text analysis: normalisation, folding, syllable tokens, offsets and compounds.

Every sentence analysed here is cut from the demo corpus (vnsearch/demo).
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import unicodedata
from collections import defaultdict
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import search.text
from search.documents import Article
from search.parse import parse_query
from search.sources import scan_sources
from search.text import canonical_tone, fold, index_analyzer, normalize_term
from tests.helpers import DEMO_SOURCES, read_line

# From the Kiên Giang portal article.
PORTAL_SENTENCE = (
    "Sáng ngày 20/8, Hội nghị trực tuyến với Trung ương về sơ kết 03 năm thực hiện "
    "Chỉ thị 05-CT/WT của Bộ Chính trị khóa XII."
)
# From unc-news_business_016 (old-style "Thủy").
OLD_STYLE_SENTENCE = (
    "Tại tọa đàm về “Thủy điện nhỏ và vấn đề lũ lụt” vừa diễn ra sáng ngày 30/10, "
    "thủy điện đã được đưa lên bàn cân lợi ích."
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def pipeline_positions(text: str, mode: str = "index") -> dict[str, list[int]]:
    """Run the analyzer as a Whoosh pipeline and group its terms by position."""
    positions: dict[str, list[int]] = defaultdict(list)
    for token in index_analyzer()(text, positions=True, chars=True, mode=mode):
        positions[token.text].append(token.pos)
    return dict(positions)


def tokens(text: str, mode: str = "query") -> list[tuple[int, str, str]]:
    """Return (position, term, text[start:end]) of every token the analyzer yields."""
    return [
        (t.pos, t.text, text[t.startchar : t.endchar])
        for t in index_analyzer()(text, positions=True, chars=True, mode=mode)
    ]


# Tone placement and Unicode forms --------------------------------------------------------


@pytest.mark.parametrize(
    "old_style, new_style",
    [("hòa", "hoà"), ("khỏe", "khoẻ"), ("thủy", "thuỷ"), ("Hóa", "Hoá"), ("HÒA", "HOÀ"), ("thúy", "thuý")],
)
def test_old_style_tone_placement_is_moved_to_the_new_style_vowel(old_style, new_style):
    assert canonical_tone(old_style) == new_style
    assert canonical_tone(new_style) == new_style


@pytest.mark.parametrize("pair", [("hoà", "hòa"), ("khoẻ", "khỏe"), ("thuỷ", "thủy"), ("Hoá", "Hóa")])
def test_both_tone_placements_normalise_to_one_lower_case_term(pair):
    new_style, old_style = pair
    assert normalize_term(old_style) == normalize_term(new_style) == new_style.lower()


@pytest.mark.parametrize("word", ["hoàng", "quý", "giữ", "thuở", "mùa", "của", "người", "khuya", "Nguyễn"])
def test_tone_placement_that_both_styles_agree_on_is_kept(word):
    assert canonical_tone(word) == word


@pytest.mark.parametrize("word", ["Hòa", "khoẻ", "Thủy", "Nguyễn", "đường", "Đắk"])
def test_nfd_input_normalises_to_the_same_nfc_term(word):
    assert normalize_term(nfd(word)) == normalize_term(word)
    assert unicodedata.is_normalized("NFC", normalize_term(nfd(word)))


def test_old_and_new_tone_placement_give_the_same_index_terms():
    new_style = OLD_STYLE_SENTENCE.replace("Thủy", "Thuỷ").replace("thủy", "thuỷ").replace("tọa", "toạ")
    analyzer = index_analyzer()
    old_terms = analyzer.term_positions(OLD_STYLE_SENTENCE)
    assert old_terms == analyzer.term_positions(new_style)
    assert old_terms["thuỷ"] == [4, 19]
    assert "thủy" not in old_terms


def test_nfd_article_text_gives_the_same_terms_as_nfc(tmp_path):
    records = [
        {"id": "nfc", "title": "Thủy điện nhỏ và vấn đề lũ lụt", "body": OLD_STYLE_SENTENCE},
        {"id": "nfd", "title": nfd("Thủy điện nhỏ và vấn đề lũ lụt"), "body": nfd(OLD_STYLE_SENTENCE)},
    ]
    path = tmp_path / "forms.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    nfc_article, nfd_article = list(scan_sources([str(path)]))
    assert isinstance(nfc_article, Article) and isinstance(nfd_article, Article)
    assert (nfd_article.title, nfd_article.body) == (nfc_article.title, nfc_article.body)
    analyzer = index_analyzer()
    assert analyzer.term_positions(nfd_article.body) == analyzer.term_positions(nfc_article.body)
    assert analyzer.term_positions(nfd_article.title) == analyzer.term_positions(nfc_article.title)


# Folding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "term, folded",
    [("đường", "duong"), ("Đà", "da"), ("nẵng", "nang"), ("nguyễn", "nguyen"), ("ư", "u"), ("ở", "o"),
     ("khoẻ", "khoe"), ("XII", "xii"), ("05", "05")],
)
def test_fold_removes_every_diacritic_and_maps_d_stroke_to_d(term, folded):
    assert fold(term) == folded


def test_folded_terms_share_position_and_offsets_with_the_accented_term():
    text = "Đồng chí Đỗ Thanh Bình - Ủy viên Ban Thường vụ Tỉnh ủy"
    by_position: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for position, term, original in tokens(text):
        by_position[position].append((term, original))
    assert by_position[0] == [("đồng", "Đồng"), ("dong", "Đồng")]
    assert by_position[2] == [("đỗ", "Đỗ"), ("do", "Đỗ")]
    assert by_position[5] == [("uỷ", "Ủy"), ("uy", "Ủy")]
    assert by_position[3] == [("thanh", "Thanh")]  # no diacritic: one term only


# Tokens and offsets ----------------------------------------------------------------------


def test_syllable_tokens_are_lower_cased_and_point_at_the_original_words():
    text = "Tại Kiên Giang, có 06 điểm cầu cấp tỉnh và 15 điểm cầu cấp huyện."
    exact = [(pos, term, original) for pos, term, original in tokens(text) if term == normalize_term(original)]
    assert exact == [
        (0, "tại", "Tại"), (1, "kiên", "Kiên"), (2, "giang", "Giang"), (3, "có", "có"), (4, "06", "06"),
        (5, "điểm", "điểm"), (6, "cầu", "cầu"), (7, "cấp", "cấp"), (8, "tỉnh", "tỉnh"), (9, "và", "và"),
        (10, "15", "15"), (11, "điểm", "điểm"), (12, "cầu", "cầu"), (13, "cấp", "cấp"), (14, "huyện", "huyện"),
    ]


def test_every_token_offset_points_into_the_original_text_on_a_real_sentence():
    found = tokens(PORTAL_SENTENCE, mode="index")
    assert found
    for _, term, original in found:
        if "_" in term:
            assert [fold(normalize_term(word)) for word in original.split()] == term.split("_")
        else:
            assert term in (normalize_term(original), fold(normalize_term(original)))
    originals = [original for _, _, original in found]
    assert "Bộ" in originals and "Chính" in originals and "XII" in originals and "Hội" in originals


def test_codes_with_dashes_and_slashes_split_into_syllables():
    text = "Chỉ thị 05-CT/TW của Bộ Chính trị"
    exact = [term for _, term, original in tokens(text) if term == normalize_term(original)]
    assert exact == ["chỉ", "thị", "05", "ct", "tw", "của", "bộ", "chính", "trị"]
    assert [original for _, term, original in tokens(text) if term in ("05", "ct", "tw")] == ["05", "CT", "TW"]


def test_one_letter_syllables_are_indexed():
    # unc-news_travel_005 ("ở"), plus the letters "ư" and "à" as they occur in running text.
    text = "Vào mùa này, ở Mù Cang Chải, chữ ư và tiếng à ơi"
    terms = index_analyzer().term_positions(text)
    assert terms["ở"] == [3] and terms["o"] == [3]
    assert terms["ư"] == [8] and terms["u"] == [8]
    assert terms["à"] == [11] and terms["a"] == [11]


# Compound words --------------------------------------------------------------------------


def test_compound_words_are_folded_terms_at_their_first_syllable():
    text = "Bộ Chính trị họp ở Hà Nội về sức khoẻ"
    found = tokens(text, mode="index")
    compounds = {term: (pos, original) for pos, term, original in found if "_" in term}
    assert compounds["chinh_tri"] == (1, "Chính trị")
    assert compounds["ha_noi"] == (5, "Hà Nội")
    assert compounds["suc_khoe"] == (8, "sức khoẻ")
    # Only the folded form of a compound is indexed.
    assert all(term.isascii() for term in compounds)


def test_query_mode_never_segments_and_never_calls_pyvi(monkeypatch):
    def no_pyvi(text):
        raise AssertionError("pyvi must not run at query time")

    monkeypatch.setattr(search.text, "pyvi_joins", no_pyvi)
    text = "Bộ Chính trị họp ở Hà Nội về sức khoẻ"
    query_terms = [term for _, term, _ in tokens(text, mode="query")]
    assert query_terms and not any("_" in term for term in query_terms)
    positions = index_analyzer().term_positions(text, mode="query")
    assert positions["chinh"] == [1] and not any("_" in term for term in positions)
    with pytest.raises(AssertionError):
        index_analyzer().term_positions(text, mode="index")


def test_a_killed_indexer_leaves_no_pyvi_model_file_in_the_temporary_folder(tmp_path):
    # pyvi's pickled model unpacks itself into a temporary file that is only removed at a clean
    # exit; a reindex killed by cron or kill -9 must not leave 600 KB in /tmp each time.
    script = "import sys, time; from search.text import pyvi_joins\n" \
        "print(pyvi_joins('Bộ Chính trị họp'), flush=True); time.sleep(60)"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert read_line(process.stdout).strip() == "[False, False, True, False]"
        assert list(tmp_path.iterdir()) == []
    finally:
        process.kill()
        process.wait(timeout=30)
    assert list(tmp_path.iterdir()) == []


def _demo_articles() -> list[Article]:
    items = list(scan_sources(DEMO_SOURCES))
    assert all(isinstance(item, Article) for item in items)
    return items


def test_term_positions_equal_the_analyzer_pipeline_on_every_demo_article():
    analyzer = index_analyzer()
    articles = _demo_articles()
    assert len(articles) == 201
    mismatches = []
    for article in articles:
        for name in ("title", "body"):
            text = getattr(article, name)
            fast = {term: list(pos) for term, pos in analyzer.term_positions(text).items()}
            if fast != pipeline_positions(text):
                mismatches.append(f"{article.id} {name}")
    assert mismatches == []


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"


@settings(max_examples=100, deadline=None)
@given(text=st.one_of(
    st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " ,.:-_/0123456789\n'\"", max_size=60),
    st.lists(st.sampled_from(["Hà", "Nội", "bộ", "chính", "trị", "hòa", "bình", "_", "Thủy", "điện", "05", "CT",
                              "/", "TW", "sức", "khỏe", "học", "sinh", "ở", "ư", "中国", "²", "21/8/2020",
                              "3.500.000đ", "1,5", "1/2/3/4/5"]),
             max_size=15).map(" ".join),
))
def test_term_positions_equal_the_pipeline_on_any_text(text):
    fast = {term: list(pos) for term, pos in index_analyzer().term_positions(text).items()}
    assert fast == pipeline_positions(text)


# Numbers written with separators -----------------------------------------------------------

def numeral_positions(text: str) -> dict[str, list[tuple[int, str]]]:
    """Return {number term: [(position, the text its offsets mark)]} of the index pipeline on text."""
    found = defaultdict(list)
    for token in index_analyzer()(text, positions=True, chars=True, mode="index"):
        if search.text.is_numeral(token.text):
            found[token.text].append((token.pos, text[token.startchar : token.endchar]))
    return dict(found)


def test_a_number_written_with_separators_is_one_term_at_its_first_syllable_with_its_date_parts():
    # Cut from the demo corpus (unc-news_business_006, unc-news_business_008).
    text = "Từ ngày 1/3/2021, giá bán lẻ tăng 1,3% lên 3.500.000 đồng; công nghiệp 4.0 lúc 10:30"
    assert numeral_positions(text) == {
        "1/3": [(2, "1/3")], "3/2021": [(3, "3/2021")], "1/3/2021": [(2, "1/3/2021")],
        "1,3": [(9, "1,3")], "3.500.000": [(12, "3.500.000")], "4.0": [(18, "4.0")], "10:30": [(21, "10:30")],
    }


def test_a_number_in_thousands_has_no_term_for_its_last_groups():
    # "500.000" is not the end of "13.500.000", nor "3.500" its start.
    assert set(numeral_positions("Giá 13.500.000đ")) == {"13.500.000"}


def test_a_part_of_a_slashed_number_holding_a_separator_is_a_term_where_it_stands():
    # A rate per 100,000 people, as a news article writes it.
    assert numeral_positions("tỉ lệ 43,1/100.000 dân") == {
        "43,1/100.000": [(2, "43,1/100.000")], "43,1": [(2, "43,1")], "100.000": [(4, "100.000")]}


@pytest.mark.parametrize("text", [
    "từ 4-5 người",  # a hyphen writes a range: no separator of a number
    "đội U23/2 và A1.5",  # digits inside a word
    "Chỉ thị 05-CT/TW",  # a code's parts are letters
    "năm 2020. Sau đó",  # a full stop, then a space
])
def test_text_without_a_number_written_with_separators_has_no_number_term(text):
    assert numeral_positions(text) == {}


def test_a_long_run_of_slash_separated_parts_is_indexed_whole_and_by_neighbouring_pairs():
    found = numeral_positions("mã 1/2/3/4/5")
    assert found == {"1/2": [(1, "1/2")], "2/3": [(2, "2/3")], "3/4": [(3, "3/4")], "4/5": [(4, "4/5")],
                     "1/2/3/4/5": [(1, "1/2/3/4/5")]}
    assert set(numeral_positions("mã 1/2/3/4")) == {"1/2", "2/3", "3/4", "1/2/3", "2/3/4", "1/2/3/4"}


def test_number_terms_are_neither_syllables_nor_compounds():
    assert [search.text.is_numeral(t) for t in ("21/8", "1,5", "10:30", "4.0", "21", "chinh_tri", "hà")] == [
        True, True, True, True, False, False, False]


# Tone placement, every vowel of the rhyme -------------------------------------------------

# New-style spellings: the tone on the second vowel of an open oa / oe / uy, on the last vowel of
# a closed rhyme, on the middle one of three, on the first of other open pairs, on the (last)
# vowel carrying a breve, circumflex or horn; the u of qu and the i of gi belong to the onset.
NEW_STYLE = ["hoà", "khoẻ", "thuỷ", "hoàng", "mùa", "của", "nghĩa", "ngoài", "khuỷu", "uỷ", "quý", "quà",
             "quyết", "già", "giữa", "gìn", "gì", "ải", "ấy", "người", "tuổi", "thuở", "Nguyễn", "yếu", "HOÀ", "Quý"]


def tone_misplacements(word: str) -> list[str]:
    """Return word with its one tone mark put on each vowel of its vowel run in turn."""
    decomposed = unicodedata.normalize("NFD", word)
    tone = next(ch for ch in decomposed if ch in search.text.TONE_MARKS)
    bare = unicodedata.normalize("NFC", decomposed.replace(tone, ""))
    vowels = [i for i, ch in enumerate(bare.lower()) if ch in search.text.VOWELS]
    run = [i for i in vowels if any(abs(i - j) == 1 for j in vowels) or len(vowels) == 1]
    return [unicodedata.normalize("NFC", bare[: i + 1] + tone + bare[i + 1 :]) for i in run]


@pytest.mark.parametrize("word", NEW_STYLE)
def test_a_tone_mark_on_any_vowel_of_the_rhyme_moves_to_the_new_style_vowel(word):
    misplaced = tone_misplacements(word)
    assert word in misplaced and len(misplaced) >= 1
    assert {variant: canonical_tone(variant) for variant in misplaced} == dict.fromkeys(misplaced, word)
    assert {canonical_tone(nfd(variant)) for variant in misplaced} == {word}


def test_old_style_open_rhymes_in_running_text_move_but_closed_syllables_stay():
    text = "Hòa bình, khỏe mạnh, thủy điện; hòang hôn và Thủy"
    assert search.text.canonical_tones(text) == "Hoà bình, khoẻ mạnh, thuỷ điện; hòang hôn và Thuỷ"


# Word segmentation ------------------------------------------------------------------------


@pytest.mark.parametrize("text, joins", [
    ("Chỉ thị 05-CT/TW của Bộ Chính trị", [False, True, False, False, False, False, False, False, True]),
    ("email@gov.vn", [False, False, False]),  # pyvi keeps the address whole: "@" and "." join nothing
    ("Hà _ Nội", [False, False]),  # a typed underscore between spaces joins nothing
    ("Thành phố Hồ Chí Minh", [False, True, False, True, True]),
])
def test_pyvi_joins_only_syllables_it_writes_with_an_underscore(text, joins):
    assert search.text.pyvi_joins(text) == joins


def test_text_whose_syllables_pyvi_counts_differently_is_indexed_without_compounds():
    # NFD text: the regex cuts syllables at the combining marks, pyvi (given NFC) does not.
    text = nfd("ở Hà Nội")
    assert search.text.SYLLABLE_RE.findall(text) == ["o", "Ha", "No", "i"]
    assert search.text.pyvi_joins(text) == [False, False, True]
    fast = index_analyzer().term_positions(text)
    assert fast == pipeline_positions(text)
    assert fast and not [term for term in fast if "_" in term]


def fixed_segmentation(monkeypatch, words: list[int]) -> None:
    """Make pyvi segment any text into words of the given numbers of syllables."""
    joins = [index > 0 for size in words for index in range(size)]
    monkeypatch.setattr(search.text, "pyvi_joins", lambda text: joins)


def test_words_of_up_to_five_syllables_get_a_compound_term_longer_ones_do_not(monkeypatch):
    # pyvi rarely joins five syllables: fix the segmentation to test the bound itself.
    fixed_segmentation(monkeypatch, [5, 6, 3, 2])
    text = "Cộng hoà xã hội chủ nghĩa Mặt trận Tổ quốc Việt Nam Uỷ ban nhân dân"
    assert search.text.MAX_COMPOUND_SYLLABLES == 5
    fast = index_analyzer().term_positions(text)
    assert {term: positions for term, positions in fast.items() if "_" in term} == {
        "cong_hoa_xa_hoi_chu": [0], "nam_uy_ban": [11], "nhan_dan": [14]}
    assert fast == pipeline_positions(text)


def test_a_word_ending_the_text_gets_its_compound_term(monkeypatch):
    fixed_segmentation(monkeypatch, [1, 5])
    text = "tại Cộng hoà xã hội chủ"
    assert index_analyzer().term_positions(text)["cong_hoa_xa_hoi_chu"] == [1]
    assert pipeline_positions(text)["cong_hoa_xa_hoi_chu"] == [1]


# The analyzer as a Whoosh pipeline ---------------------------------------------------------

TOKEN_OPTIONS = [{}, {"positions": True, "chars": True, "mode": "index"},
                 {"keeporiginal": True, "removestops": False, "start_pos": 3, "start_char": 7, "positions": True,
                  "chars": True, "mode": "query", "boosts": True}]


def token_attributes(token, options: dict) -> dict:
    """Return the attributes of a token that Whoosh's filters and formats read, for these options."""
    names = ["text", "boost", "positions", "chars", "removestops", "mode"]
    names += ["pos"] * bool(options.get("positions")) + ["startchar", "endchar"] * bool(options.get("chars"))
    found = {name: getattr(token, name) for name in names}
    found["original"] = getattr(token, "original", None)
    found["boosts"] = getattr(token, "boosts", None)  # other options are kept on the token
    return found


@pytest.mark.parametrize("options", TOKEN_OPTIONS)
def test_syllable_tokenizer_honours_the_options_of_whoosh_tokenizers(options):
    from whoosh.analysis import RegexTokenizer

    text = "Bộ Chính trị họp ở Hà Nội, 05-CT/TW"
    ours = [token_attributes(t, options) for t in search.text.SyllableTokenizer(segment=False)(text, **options)]
    whoosh = [token_attributes(t, options) for t in RegexTokenizer(search.text.SYLLABLE_RE)(text, **options)]
    assert ours == whoosh and len(ours) == 10


def test_compound_tokens_carry_position_offsets_and_unit_boost_like_the_syllables():
    text = "Bộ Chính trị họp ở Hà Nội"
    found = [(t.text, t.pos, t.startchar, t.endchar, t.boost, t.positions, t.chars)
             for t in index_analyzer()(text, positions=True, chars=True, mode="index") if "_" in t.text]
    assert found == [("chinh_tri", 1, 3, 12, 1.0, True, True), ("ha_noi", 5, 19, 25, 1.0, True, True)]


def test_exact_compounds_keeps_the_accented_compound_term_beside_the_folded_one():
    from whoosh.analysis import CompositeAnalyzer

    text = "Bộ Chính trị họp ở Hà Nội"
    tokenizer = search.text.SyllableTokenizer()
    exact = CompositeAnalyzer(tokenizer, search.text.NormalizeFilter(), search.text.CompoundFilter(),
                              search.text.FoldFilter(exact_compounds=True))
    terms = [(t.pos, t.text) for t in exact(text, positions=True, mode="index") if "_" in t.text]
    assert terms == [(1, "chính_trị"), (1, "chinh_tri"), (5, "hà_nội"), (5, "ha_noi")]


def test_tokenizers_are_equal_when_they_segment_alike():
    # Whoosh compares analyzers (schemas of two indexes, field equality): equal settings, equal objects.
    from whoosh.analysis import RegexTokenizer

    tokenizer = search.text.SyllableTokenizer
    assert tokenizer() == tokenizer(segment=True)
    assert tokenizer(segment=False) == tokenizer(segment=False)
    assert tokenizer() != tokenizer(segment=False)
    assert tokenizer(segment=False) != RegexTokenizer(search.text.SYLLABLE_RE)


def test_a_query_syllable_keeps_the_hash_of_its_three_forms_and_a_pickled_one_hashes_as_its_process_would():
    # A long query's readings hash its syllables thousands of times a page: each keeps the hash of
    # (raw, exact, folded), the dataclass's own value (sets and dicts of them iterate as before).
    # Strings hash differently in another process: a syllable pickled there must hash as one parsed there.
    syllables = parse_query('Hoà bình "TP.HCM" ngày 30/4 chính-trị').syllables
    for syllable in syllables:
        assert vars(syllable)["_hash"] == hash((syllable.raw, syllable.exact, syllable.folded)) == hash(syllable)
        assert replace(syllable, start=99) == syllable and hash(replace(syllable, start=99)) == hash(syllable)
    script = ("import pickle, sys; from search.parse import parse_query; s = pickle.loads(sys.stdin.buffer.read()); "
              "t = parse_query('Hoà bình \"TP.HCM\" ngày 30/4 chính-trị').syllables; "
              "print(s == t, [hash(a) for a in s] == [hash(b) for b in t], len({*s, *t}) == len(set(t)))")
    done = subprocess.run([sys.executable, "-c", script], input=pickle.dumps(syllables), capture_output=True,
                          env={**os.environ, "PYTHONHASHSEED": "12345"}, check=True)
    assert done.stdout.split() == [b"True", b"True", b"True"]
