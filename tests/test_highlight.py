"""Snippets and highlighting: marks on the original accented words, everything else escaped."""

from __future__ import annotations

import html
import itertools
import pickle
import re
import unicodedata
from dataclasses import replace

import pytest
from unidecode import unidecode

from search import highlight
from search.engine import SearchEngine
from search.highlight import HighlightSpec, highlight_all, snippet
from search.index import reindex
from search.request import SearchRequest
from tests.helpers import DEMO_ARTICLES, FIXTURES, MARK_RE, PORTAL_ID, ROOT


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


def test_the_tree_of_a_specs_words_matches_what_their_alternation_matches():
    # Query words and their beginnings, so that many are prefixes of others ("ba", "ban", "bang").
    text = PORTAL_BODY + " Hòa HOÀ hoà Hoàng hoang BAN bàn bán bang bằng Ban2 ba-na 2024 2024a"
    syllables = sorted({highlight.fold(w.lower()) for w in re.findall(r"\w+", text)})[:120]
    words = sorted({*syllables, *(w[:cut] for w in syllables for cut in (1, 2, 3) if len(w) > cut)})
    edge = highlight._WORD_EDGE_BEFORE, highlight._WORD_EDGE_AFTER
    for chosen in (words, words[::3], words[1::5], ["ba", "ban", "bang", "b"], ["hoa", "hoang", "2024"]):
        ascii_words = [w for w in chosen if w.isascii()]
        alternation = "|".join(highlight.syllable_pattern(w) for w in sorted(ascii_words, key=len, reverse=True))
        expected = [m.span() for m in re.finditer(edge[0] + "(?:" + alternation + ")" + edge[1], text)]
        tree = re.compile(edge[0] + "(?:" + highlight._trie_pattern(ascii_words) + ")" + edge[1])
        assert [m.span() for m in tree.finditer(text)] == expected and expected, chosen


def test_the_regex_led_by_first_letters_finds_what_the_alternation_finds():
    # Words at the very start, after a line break, an underscore or a letter; digits; phrases whose
    # words share first letters with the single words; capitals and every accent.
    text = ("Hòa bình\nHOÀ Bình_hoà bình xhoa 2024 2024a Ban2 bàn bạc ba-na Bộ Chính trị, bộ\nchính "
            "trị; cán bộ chính trị hoạt động " + PORTAL_BODY)
    syllables = sorted({highlight.fold(w.lower()) for w in re.findall(r"[^\W_]+", text)})
    specs = [HighlightSpec(words=("hoa", "binh")), HighlightSpec(words=("hòa", "bình", "2024")),
             HighlightSpec(words=("ba", "ban", "b"), phrases=(("bo", "chinh", "tri"), ("ban", "bac"))),
             HighlightSpec(words=("chinh",), phrases=(("bộ", "chính"),)),
             HighlightSpec(words=tuple(syllables[::7])), HighlightSpec(words=tuple(syllables[3::11]))]
    for spec in specs:
        led = highlight.compile_spec(spec)
        assert led.pattern.startswith("["), spec  # the class of first letters leads
        expected = [m.span() for m in re.finditer(highlight.alternation_pattern(spec), text)]
        assert [m.span() for m in led.finditer(text)] == expected and expected, spec
    # A word that does not fold to ASCII keeps the plain alternation.
    other = HighlightSpec(words=("hoa", "☃"))  # unidecode has no letters for it
    assert highlight.compile_spec(other).pattern == highlight.alternation_pattern(other)


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


# Letters, quotes and line breaks --------------------------------------------------------------

VIETNAMESE_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"


def test_letter_classes_hold_every_spelling_of_a_letter_and_nothing_that_folds_elsewhere():
    classes = highlight._letter_classes()
    assert sorted(classes) == list("abcdefghijklmnopqrstuvwxyz")
    for letter in VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper():
        assert letter in classes[unidecode(letter).lower()], letter
    for folded_letter, letter_class in classes.items():
        members = letter_class[1:-1]
        assert letter_class == "[" + "".join(sorted(members)) + "]"  # each a single letter, once
        # A member folds to the letter, or is the other case of one that does ("Ȿ" of "ȿ").
        assert all(folded_letter in {unidecode(form).lower() for form in (ch, ch.lower(), ch.upper())}
                   for ch in members), folded_letter
        assert all(unicodedata.is_normalized("NFC", ch) and ch.isalpha() for ch in members)
        assert all(unicodedata.name(ch).startswith("LATIN ") for ch in members), folded_letter  # no Greek ἀ
    assert "Đ" in classes["d"] and "ð" in classes["d"] and "Ø" in classes["o"] and "ǹ" in classes["n"]
    # The other case of a letter is in its class even outside the ranges searched.
    assert "ⱥ" in classes["a"] and "Ȿ" in classes["s"]


def test_a_word_unidecode_cannot_spell_is_marked_in_any_case():
    # "ə" folds to itself (unidecode gives no letter): it matches case-insensitively, as itself.
    assert highlight_all("chữ Ə hoa, chữ ə thường, chữ e", HighlightSpec(words=("ə",))) == (
        "chữ <mark>Ə</mark> hoa, chữ <mark>ə</mark> thường, chữ e")


def test_a_phrase_led_by_a_word_unidecode_cannot_spell_is_marked_in_any_case():
    # The phrase's first letter is matched in any case too, not only the letters after it.
    text = "chữ Ə hoa, chữ ə hoa, chữ e hoa"
    assert highlight_all(text, HighlightSpec(phrases=(("ə", "hoa"),))) == (
        "chữ <mark>Ə hoa</mark>, chữ <mark>ə hoa</mark>, chữ e hoa")


def test_quotes_are_left_as_they_are_in_marks_snippets_and_leads():
    text = 'Ông bảo "Hà Nội" là \'thủ đô\' của Hà "Nội"'
    assert highlight_all(text, HighlightSpec(words=("ha", "noi"))) == (
        'Ông bảo "<mark>Hà Nội</mark>" là \'thủ đô\' của <mark>Hà</mark> "<mark>Nội</mark>"')
    assert highlight_all(text, HighlightSpec(phrases=(("ha", "noi"),))) == (
        'Ông bảo "<mark>Hà Nội</mark>" là \'thủ đô\' của <mark>Hà "Nội</mark>"')
    assert snippet(text, HighlightSpec(words=("tesla",))) == text
    long_text = text + " " + "và " * 80
    assert snippet(long_text, HighlightSpec(words=("tesla",))).startswith(text)


def test_words_on_either_side_of_a_line_break_or_a_word_are_marked_apart():
    spec = HighlightSpec(words=("ha", "noi"))
    assert marks(highlight_all("Hà\nNội", spec)) == ["Hà", "Nội"]
    assert marks(highlight_all("Hà X Nội", spec)) == ["Hà", "Nội"]
    assert marks(highlight_all("Hà \u00a0\tNội", spec)) == ["Hà \u00a0\tNội"]


def test_mark_leaves_out_spans_that_only_touch_the_fragment():
    text = "Bộ Chính trị"
    assert highlight.mark(text, [(0, 2), (9, 12)], 2, 9) == " Chính "
    assert highlight.mark(text, [(0, 2), (9, 12)], 1, 10) == "<mark>ộ</mark> Chính <mark>t</mark>"


def test_an_empty_spec_is_false_and_marks_nothing():
    assert not HighlightSpec() and HighlightSpec(words=("ha",)) and HighlightSpec(phrases=(("ha", "noi"),))
    assert highlight_all("Hà Nội", HighlightSpec()) == "Hà Nội"


# Leads and snippet fragments ------------------------------------------------------------------


def test_a_text_of_lead_length_is_its_own_lead_and_a_longer_one_is_cut_at_a_space():
    exact = ("Bộ Chính trị\n" * 20)[: highlight.LEAD_CHARS]
    assert len(exact) == highlight.LEAD_CHARS and snippet(exact, HighlightSpec()) == exact.replace("\n", " ")
    # The last whitespace before the cut is a line break: the lead ends at the last space.
    text = "Bộ Chính\ntrị " + "Bộ Chính trị " * 15 + "Bộ Chính\ntrị " + "họp " * 10
    assert snippet(text, HighlightSpec()) == "Bộ Chính trị " * 16 + "Bộ…"


def test_a_snippet_of_a_short_text_has_no_ellipsis():
    text = "Bộ Chính trị họp ở Hà Nội."
    assert snippet(text, HighlightSpec(words=("ha", "noi"))) == "Bộ Chính trị họp ở <mark>Hà Nội</mark>."
    assert snippet(text, HighlightSpec(words=("bo",))) == "<mark>Bộ</mark> Chính trị họp ở Hà Nội."


FILLER = "và các đơn vị liên quan tổ chức thực hiện nghiêm túc " * 6  # 318 characters, no sentence end


def fragment_bounds(text: str, fragment_html: str) -> tuple[int, int]:
    """Return where a snippet fragment's text lies in text (it must occur once)."""
    piece = plain(fragment_html).strip("…").strip()
    assert text.count(piece) == 1, piece
    start = text.index(piece)
    return start, start + len(piece)


@pytest.mark.parametrize("shift", ["", "a ", "ab ", "abc "])
def test_a_fragment_opens_a_quarter_of_its_length_before_the_match_at_a_word_start(shift):
    text = shift + FILLER + "Hà Nội " + FILLER
    match_at = text.index("Hà Nội")
    [fragment] = fragments(snippet(text, HighlightSpec(words=("ha", "noi"))))
    start, end = fragment_bounds(text, fragment)
    opening = match_at - highlight.FRAGMENT_CHARS // 4
    assert start == text.rfind(" ", 0, opening + 1) + 1  # the word holding the opening character
    # It closes at the first space after FRAGMENT_CHARS characters.
    assert end == text.index(" ", start + highlight.FRAGMENT_CHARS)
    assert snippet(text, HighlightSpec(words=("ha", "noi"))).startswith("…") and fragment.endswith("…")


def test_a_fragment_opens_at_the_sentence_holding_the_match_when_it_starts_close_before():
    text = FILLER + "xong. Sau đó. Đoàn đến Hà Nội " + FILLER
    [fragment] = fragments(snippet(text, HighlightSpec(words=("ha", "noi"))))
    start, end = fragment_bounds(text, fragment)
    assert start == text.index("Đoàn")
    assert end == text.index(" ", start + highlight.FRAGMENT_CHARS)
    # A sentence end further back than a quarter of a fragment is not used.
    far = FILLER + "xong. " + "tổ chức thực hiện " * 4 + "Hà Nội " + FILLER
    start, _ = fragment_bounds(far, fragments(snippet(far, HighlightSpec(words=("ha", "noi"))))[0])
    assert start > far.index("xong. ") + 6


def test_a_phrase_across_a_sentence_end_is_marked_whole_in_the_snippet():
    text = FILLER + "đến Hà Nội. Sáng nay " + FILLER
    result = snippet(text, HighlightSpec(phrases=(("ha", "noi", "sang"),)))
    assert marks(result) == ["Hà Nội. Sáng"]


def test_a_match_near_the_start_opens_the_fragment_at_the_first_word():
    text = "Tại " + "ab " * 14 + "Hà Nội " + FILLER
    assert text.index("Hà") == highlight.FRAGMENT_CHARS // 4 + 1
    assert snippet(text, HighlightSpec(words=("ha", "noi"))).startswith("Tại ab ab")


def test_a_word_already_shown_brings_no_second_fragment():
    text = "Hà Nội " + FILLER + "Hà Nội " + FILLER
    result = snippet(text, HighlightSpec(words=("ha", "noi")))
    assert len(fragments(result)) == 1 and result.startswith("<mark>Hà Nội</mark> và các")


def test_a_word_ending_a_fragment_counts_as_shown():
    # "Huế" ends exactly where the first fragment ends (the first space after 180 characters).
    text = "Hà Nội " + "ab " * 56 + "a " + "Huế " + FILLER + "Huế " + FILLER
    assert text.index("Huế") + len("Huế") == highlight.FRAGMENT_CHARS
    result = snippet(text, HighlightSpec(words=("ha", "noi", "hue")))
    assert len(fragments(result)) == 1 and marks(result) == ["Hà Nội", "Huế"]


def test_snippet_fragments_never_overlap():
    # Each match lies just past the previous fragment: its own window would overlap it.
    text = FILLER + "Hà Nội " + "tổ chức " * 17 + "Đà Nẵng " + "thực hiện " * 3 + "Huế " + FILLER
    result = snippet(text, HighlightSpec(words=("ha", "noi", "da", "nang", "hue")))
    bounds = [fragment_bounds(text, part) for part in fragments(result)]
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(bounds))
    assert "Hà Nội" in marks(result)


# Words close together and phrases --------------------------------------------------------------


def test_two_word_spec_with_a_window_marks_only_where_both_stand_together():
    text = "Hà Giang rất xa Nội Bài, nhưng từ đó về Hà Nội ở gần, còn đồ Nội thất thì xa."
    assert marks(highlight_all(text, HighlightSpec(words=("ha", "noi"), window=4))) == ["Hà Nội"]


def test_the_window_counts_syllables_from_the_first_word():
    spec = HighlightSpec(words=("ha", "noi"), window=4)
    assert marks(highlight_all("Hà Tĩnh và Nội Bài", spec)) == ["Hà", "Nội"]  # 4 syllables
    assert marks(highlight_all("Hà Tĩnh và cả Nội Bài", spec)) == []  # 5 syllables


@pytest.mark.parametrize("text", [
    "Hà Tĩnh và cả Nội Bài",
    "  (Hà) Tĩnh_và-cả 2024 Nội³Bài… ",  # separators, underscores, a superscript digit
    "Bài viết 𝐇à 𝐍ội: chữ ngoài mặt phẳng cơ bản",  # letters beyond U+FFFF: the regex is asked
    "x",
    "",
    "\U00010000 Hà Nội",  # the first letter beyond U+FFFF: the regex is asked
    "Hà \ud83d Nội",  # half an emoji, cut by a crawler (a lone surrogate): numbered all the same
])
def test_syllables_are_numbered_as_the_syllable_regex_finds_them(text):
    starts = [m.start() for m in re.finditer(r"[^\W_]+", text)]
    offsets = list(range(len(text) + 1))
    expected = [sum(start <= at for start in starts) - 1 for at in offsets]
    assert highlight._syllable_numbers(text, offsets) == expected


CLOSE_SPECS = [
    HighlightSpec(words=("ha", "noi"), window=4),
    HighlightSpec(words=("viet", "nam", "nguoi"), window=6),
    HighlightSpec(words=("và", "của", "cac"), window=6),
    HighlightSpec(words=("nguoi", "cua", "va", "trong"), window=16),
    HighlightSpec(words=("nguoi",), phrases=(("viet", "nam"),), window=8),
    HighlightSpec(words=("gia", "tang"), window=3),
    HighlightSpec(words=("nguoi", "dan"), window=2),
    HighlightSpec(words=("nam", "qzxw"), window=12),
]


@pytest.mark.parametrize("spec", CLOSE_SPECS)
def test_runs_found_with_arrays_keep_what_the_loop_over_each_match_keeps(spec, monkeypatch):
    # Bodies with many matches find their runs with arrays (_runs_kept); each demo article's title and
    # body give the same marks whichever way.
    texts = [text for article in DEMO_ARTICLES for text in (article["title"], article["body"])]
    arrays = []
    for text in texts:
        monkeypatch.setattr(highlight, "CLOSE_TOGETHER_ARRAYS", 1 << 30)
        expected = highlight.find_matches(text, spec)
        monkeypatch.setattr(highlight, "CLOSE_TOGETHER_ARRAYS", 1)
        assert highlight.find_matches(text, spec) == expected, text[:60]
        arrays.append(expected)
    assert any(arrays) or "qzxw" in spec.words
    pattern = highlight.compile_spec(spec)
    assert any(len(pattern.findall(text)) >= 24 for text in texts)  # bodies that the arrays serve
    unmarked = [text for text, spans in zip(texts, arrays) if not spans and highlight.find_matches(
        text, HighlightSpec(words=spec.words, phrases=spec.phrases))]
    assert unmarked  # the window leaves out some texts holding the words


def test_the_window_counts_syllables_across_punctuation_and_numbers():
    spec = HighlightSpec(words=("ha", "noi"), window=4)
    assert marks(highlight_all("Hà - 2024 - “Nội” Bài", spec)) == ["Hà", "Nội"]  # 3 syllables apart
    assert marks(highlight_all("Hà 2024, ngày 5, Nội Bài", spec)) == []  # 4 syllables apart


def test_an_unaccented_phrase_marks_every_spelling_an_accented_one_only_its_own():
    text = "Bò chính trí ở đây, còn Bộ Chính trị ở kia"
    assert marks(highlight_all(text, HighlightSpec(phrases=(("bo", "chinh", "tri"),)))) == [
        "Bò chính trí", "Bộ Chính trị"]
    assert marks(highlight_all(text, HighlightSpec(phrases=(("bộ", "chính", "trị"),)))) == ["Bộ Chính trị"]


def test_a_phrase_with_other_accents_is_not_marked_as_the_phrase():
    spec = HighlightSpec(words=("bo",), phrases=(("bộ", "chính", "trị"),))
    assert "Bò chính trí" not in marks(highlight_all("Bò chính trí", spec))


def letter_class_spans(text: str, spec: HighlightSpec) -> list[tuple[int, int]]:
    """The spans the regex of letter classes (the plain alternation) finds in text."""
    pattern = highlight.alternation_pattern(spec)
    return [m.span() for m in re.finditer(pattern, text)] if pattern and text else []


# Letters beyond ASCII that fold to one (long s, dotless i, Å, the ligature-free capitals), letters that fold to
# none (ß, ﬁ, Ǆ, 中), digits of other scripts, combining accents (NFD), underscores and a letter
# beyond U+FFFF, around words of the demo articles.
ODD_TEXT = ("ſo ıt Åa ß ﬁn Ǆa ǅb ǆc 中 ٣ ३ x³ Ha\u0300 No\u0323\u0302i_ha-noi ha2 2ha Ha NOI hà nội Hà\u00a0Nội "
            "bo chinh tri Bo-Chinh-Tri viet nam, Việt Nam. ")


@pytest.mark.parametrize("spec", [
    HighlightSpec(words=("ha", "noi")),
    HighlightSpec(words=("hà", "nội", "2024", "ha2")),
    HighlightSpec(words=("viet", "nam", "bo", "chinh", "tri", "so", "it", "aa", "fin", "a", "b", "c")),
    HighlightSpec(words=("ba", "ban", "b", "bang"), phrases=(("bo", "chinh", "tri"), ("viet", "nam"))),
    HighlightSpec(words=("chinh",), phrases=(("bộ", "chính"), ("ha", "noi"))),
    HighlightSpec(phrases=(("viet", "nam"), ("viet",))),
])
def test_a_spec_found_in_the_folded_text_gives_the_spans_of_the_letter_classes(spec):
    # match_spans searches a text folded letter for letter with a regex of plain letters; the spans
    # are those the letter classes' regex finds in the text itself, on every demo article.
    texts = [ODD_TEXT, ODD_TEXT * 3, "Hà \ud83d Nội: nửa biểu tượng cảm xúc"]  # half an emoji (a lone surrogate)
    texts += [text for article in DEMO_ARTICLES for text in (article["title"], article["body"])]
    texts += [unicodedata.normalize("NFD", text) for text in texts[3:13]]
    found = [highlight.match_spans(text, spec) for text in texts]
    assert found == [letter_class_spans(text, spec) for text in texts]
    assert highlight._folded_pattern(spec) is not None and sum(map(len, found)) > 10
    assert highlight._folded_pattern(spec).pattern.isascii()  # plain letters, not the letters' classes


def test_a_spec_of_plain_words_is_searched_in_the_folded_text_without_the_letter_classes_regex(monkeypatch):
    # Compiling the letter classes' regex costs ~10 ms for a pasted paragraph's words: the folded
    # search never asks for it.
    def refused(spec):
        raise AssertionError("the letter classes' regex was compiled")

    monkeypatch.setattr(highlight, "compile_spec", refused)
    text = "Bộ Chính trị ban hành Chỉ thị 05 về học tập và làm theo tư tưởng"
    spec = HighlightSpec(words=("chi", "thi", "05"), phrases=(("bo", "chinh", "tri"),))
    # "Bộ Chính trị", "Chỉ", "thị", "05"
    assert highlight.match_spans(text, spec) == [(0, 12), (22, 25), (26, 29), (30, 32)]


def test_the_words_of_every_demo_article_found_folded_are_found_by_the_letter_classes():
    # Long specs of the words the articles hold (a pasted paragraph's), some cut short (prefixes that
    # must not match inside a word).
    for article in DEMO_ARTICLES[::7]:
        text = article["title"] + "\n" + article["body"]
        syllables = sorted({highlight.fold(w.lower()) for w in re.findall(r"[^\W_]+", text)})
        spec = HighlightSpec(words=tuple(syllables[::2] + [s[:2] for s in syllables[1::9]]),
                             phrases=(tuple(syllables[1:3]),))
        assert highlight.match_spans(text, spec) == letter_class_spans(text, spec)


def test_the_folded_text_writes_letters_as_their_ascii_letter_digits_as_themselves_other_letters_as_hash(
        monkeypatch):
    # The table is built when the module loads: built again here, so that its making is what is tested.
    monkeypatch.setattr(highlight, "_FOLDED", highlight._fold_table())
    text = "Bộ Chính trị: ngày 21/08, Đà Nẵng – ſố ١٢ 中国 x³ ĐỒNG ə_Ə"
    assert highlight._folded_text(text) == " bo chinh tri  ngay 21 08  da nang   so ## ## x# dong # # "
    assert highlight.match_spans(text, HighlightSpec(words=("dong", "so", "21"))) == [(19, 21), (36, 38), (48, 52)]


@pytest.mark.parametrize("text, spec", [
    ("Bài viết 𝐇à 𝐍ội: Hà Nội", HighlightSpec(words=("ha", "noi"))),  # a letter beyond U+FFFF
    ("\U00010000 Hà Nội", HighlightSpec(words=("ha", "noi"))),  # the first character beyond U+FFFF
    ("Snow ☃ and hà nội", HighlightSpec(words=("☃", "noi"))),  # a word with no ASCII letters
])
def test_a_text_or_a_spec_the_folded_text_cannot_hold_is_searched_with_the_letter_classes(text, spec):
    assert highlight._folded_text(text) is None or highlight._folded_pattern(spec) is None
    assert highlight.match_spans(text, spec) == letter_class_spans(text, spec) != []


def windows_span_by_span(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Independent of _best_windows' order: each round tries every span not overlapping a window
    chosen and takes the first bringing the most words not yet covered, then the most matches."""
    spans = spans[: highlight.MAX_SPANS_CONSIDERED]
    words = [text[s:e].lower() for s, e in spans]
    chosen, covered = [], set()
    for _ in range(highlight.MAX_FRAGMENTS):
        best, best_gain = None, (0, 0)
        for index, (start, end) in enumerate(spans):
            if any(start < w_end and end > w_start for w_start, w_end in chosen):
                continue
            inside = [w for (s, _), w in zip(spans, words) if start <= s < start + highlight.FRAGMENT_CHARS]
            gain = (len(set(inside) - covered), len(inside))
            if gain > best_gain:
                best, best_gain = index, gain
        if best is None or (chosen and best_gain[0] == 0):
            break
        window = highlight._window(text, spans[best])
        window = (window[0], max([window[1], *(e for s, e in spans if s < window[1] < e)]))
        if any(window[0] < w_end and window[1] > w_start for w_start, w_end in chosen):
            break
        chosen.append(window)
        covered.update(w for (s, e), w in zip(spans, words) if s >= window[0] and e <= window[1])
    return sorted(chosen)


@pytest.mark.parametrize("every", [1, 2, 5])
def test_the_snippets_windows_tried_from_the_richest_are_those_trying_every_span_gives(every):
    # A pasted paragraph's words match hundreds of times in a body; _best_windows stops a round once no
    # window left can bring more: the windows are those of trying every span, ties to the first.
    checked = 0
    for article in DEMO_ARTICLES:
        body = article["body"]
        syllables = list(dict.fromkeys(highlight.fold(w.lower()) for w in re.findall(r"[^\W_]+", body)))
        spans = highlight.find_matches(body, HighlightSpec(words=tuple(syllables[::every][:60])))
        assert highlight._best_windows(body, spans) == windows_span_by_span(body, spans)
        checked += len(spans) > 50
    assert checked > 10


def anchored_reference(text: str, spec: HighlightSpec) -> str:
    """The snippet of an anchored spec spelt out: the fragments the anchors' matches choose (filled up to
    three by their matches), each marked as the whole text's matches of every word mark it."""
    windows = highlight._best_windows(text, highlight.find_matches(text, HighlightSpec(spec.anchors)), fill=True)
    spans = highlight.find_matches(text, spec)
    fragments = [highlight.mark(text, spans, start, end).replace("\n", " ") for start, end in windows]
    return (("…" if windows[0][0] > 0 else "") + " … ".join(fragments)
            + ("…" if windows[-1][1] < len(text) else ""))


def test_an_anchored_snippet_is_chosen_by_its_anchors_and_marks_every_word_inside_its_fragments():
    # A pasted paragraph's fifty words match nearly every word of a body: its snippet's fragments are
    # chosen by its rarest words (the anchors), and every word of the query is still marked in them.
    checked = moved = 0
    for article in DEMO_ARTICLES:
        body = article["body"]
        words = list(dict.fromkeys(highlight.fold(w.lower()) for w in re.findall(r"[^\W_]+", body)))
        if len(words) < 80:
            continue
        anchors = tuple(words[-40::10])  # words first written late in the body
        spec = HighlightSpec(words=tuple(words[:50]) + anchors, anchors=anchors)
        shown = snippet(body, spec)
        assert shown == anchored_reference(body, spec)
        assert set(anchors) & set(folded(plain(shown)))
        moved += shown != snippet(body, HighlightSpec(words=spec.words))  # every word choosing: elsewhere
        checked += 1
    assert checked > 5 and moved > checked // 2


def test_an_anchored_snippet_whose_anchors_the_text_lacks_is_chosen_by_every_word():
    body = DEMO_ARTICLES[0]["body"]
    words = tuple(dict.fromkeys(highlight.fold(w.lower()) for w in re.findall(r"[^\W_]+", body)))[:40]
    spec = HighlightSpec(words=words, anchors=("xyzzy",))
    assert snippet(body, spec) == snippet(body, HighlightSpec(words=words))


def test_a_spec_with_a_window_marks_as_the_together_tier_matched_whatever_its_anchors():
    text = "Bộ trưởng nói. Cán bộ ở Bộ Chính trị họp. Chính trị gia bàn."
    spec = HighlightSpec(("bộ", "chính", "trị"), (), 6)
    assert snippet(text, replace(spec, anchors=("trị",))) == snippet(text, spec)


def test_a_spec_with_a_window_chooses_its_fragments_by_its_words_together_not_by_its_anchors():
    # The anchors ("nhiếp", first written far from any "báo đen") would choose other fragments.
    body = next(a for a in DEMO_ARTICLES if a["id"] == "unc-news_science_004")["body"]
    spec = HighlightSpec(("bao", "den"), (), 6, ("nhiep",))
    assert snippet(body, spec) == (
        "…mai có màu nâu hay nâu vàng nhạt với các đốm <mark>đen</mark>. <mark>Báo</mark> hoa mai sống trong rừng"
        " có màu lông tối hơn so với những cá thể trong môi trường sống khô cằn. Khoảnh khắc chạm trán"
        " <mark>báo đen</mark> được…")
    assert snippet(body, spec) == snippet(body, replace(spec, anchors=()))


def test_the_anchors_are_the_words_fewest_articles_hold_the_first_typed_first_among_equals_in_the_order_typed():
    # How many demo bodies write each folded word: "rình", "nai" and "đốm" two, "nhiếp" three, "báo" 138.
    bodies = [{highlight.fold(w.lower()) for w in re.findall(r"[^\W_]+", a["body"])} for a in DEMO_ARTICLES]
    frequency = lambda folded: sum(folded in body for body in bodies)  # noqa: E731
    words = ("Báo", "đen", "rình", "mồi", "nai", "đốm", "báo", "Nhiếp", "rình")
    assert [highlight.anchored_words(words, frequency, count) for count in (0, 2, 4)] == [
        (), ("rình", "nai"), ("rình", "nai", "đốm", "Nhiếp")]


def test_an_anchored_snippet_fills_three_fragments_with_the_matches_of_an_anchor_written_far_apart():
    # The first fragment covers the only anchor; the next two are chosen for its other matches (each
    # alone in its window), not left out for bringing no new word.
    body = next(a for a in DEMO_ARTICLES if a["id"] == "unc-news_science_004")["body"]
    assert snippet(body, HighlightSpec(words=("nhiep", "anh"), anchors=("nhiep",))) == (
        "…trong khi đi săn mồi ở công viên quốc gia Ấn Độ. <mark>Nhiếp ảnh</mark> gia Anurag Gawande, 24 tuổi,"
        " vô cùng kinh ngạc khi nhìn thấy kẻ săn mồi cực kỳ quý hiếm. Con báo bước ra từ bụi cây tại công viên"
        " … sống khô cằn. Khoảnh khắc chạm trán báo đen được <mark>nhiếp ảnh</mark> gia Anurag mô tả là độc nhất."
        " Báo hoa mai đen cực kỳ quý hiếm thực chất là một dạng đột biến gen lặn, khi sắc tố đen phát triển"
        " … việc đi săn ở khu vực rừng rậm. Hồi tháng 8, một <mark>nhiếp ảnh</mark> gia Ấn Độ may mắn chụp lại"
        " khoảnh khắc con báo đen quý hiếm uống nước trong ao và rình mồi tại khu bảo tồn Radoba ở bang"
        " Maharashtra.")


def test_a_spec_hashes_as_its_fields_once_and_pickles_without_its_hash():
    spec = HighlightSpec(("hà", "nội"), (("bộ", "chính", "trị"),), 6, ("nội",))
    assert hash(spec) == hash((spec.words, spec.phrases, spec.window, spec.anchors))
    assert spec == HighlightSpec(("hà", "nội"), (("bộ", "chính", "trị"),), 6, ("nội",))
    assert spec != replace(spec, anchors=())
    copied = pickle.loads(pickle.dumps(spec))
    assert copied == spec and hash(copied) == hash(spec)
    assert "_hash" not in pickle.dumps(spec).decode("latin-1")
