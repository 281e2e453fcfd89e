"""The matching tiers as the SphinxQL MATCH texts the cluster backend sends (search/cluster_query.py).

test_cluster_matching.py checks what these texts find on a real searchd cluster against the embedded
index; these tests pin the texts themselves, so each rule of the translation (which side a syllable
is looked up on, the proximity's span, the quorum, the groups of spellings) is checked without a
cluster.  The expected texts write the field lists short: {E} the exact fields, {F} the folded ones,
{EF} all four, {TE} and {TF} the title's.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from search.cluster_query import (
    EVERYTHING,
    MAX_UNITS,
    distinct_tokens,
    in_a_row_text,
    most_text,
    question_pool_text,
    side_token,
    tier_texts,
    with_excluded,
)
from search.engine import SearchEngine
from search.matching import LONG_QUERY_SHARE
from search.parse import Clause, keep_rarest, parse_query, syllables_of
from search.understand import Vocabulary, understand

FIELDS = {"EF": "@(title_exact,body_exact,title_fold,body_fold)", "E": "@(title_exact,body_exact)",
          "F": "@(title_fold,body_fold)", "TE": "@title_exact", "TF": "@title_fold"}


def written(text: str) -> str:
    """Return a text with the short field names written out."""
    return text.format(**FIELDS)


def fields(texts: dict[str, str]) -> dict[str, str]:
    """Return each tier's text with the short field names written out."""
    return {tier: written(text) for tier, text in texts.items()}


# Each query: its tiers with the accents as typed, then folded.
TEXTS = {
    'bộ chính trị': (
        {
            'together': '({E} "bộ chính trị"~4)',
            'all': '({E} bộ) ({E} chính) ({E} trị)',
            'most': '({EF} "bộ chính trị"/2)',
        },
        {
            'together': '({F} "bo chinh tri"~4)',
            'all': '({F} bo) ({F} chinh) ({F} tri)',
            'most': '({F} "bo chinh tri"/2)',
        },
    ),
    'bo chinh tri': (
        {
            'together': '({F} "bo chinh tri"~4)',
            'all': '({F} bo) ({F} chinh) ({F} tri)',
            'most': '({F} "bo chinh tri"/2)',
        },
        {
            'together': '({F} "bo chinh tri"~4)',
            'all': '({F} bo) ({F} chinh) ({F} tri)',
            'most': '({F} "bo chinh tri"/2)',
        },
    ),
    'bộ chinh tri': (
        {
            'together': '({E} bộ) ({F} "bo chinh tri"~4)',
            'all': '({E} bộ) ({F} chinh) ({F} tri)',
            'most': '({EF} "bộ chinh tri"/2)',
        },
        {
            'together': '({F} "bo chinh tri"~4)',
            'all': '({F} bo) ({F} chinh) ({F} tri)',
            'most': '({F} "bo chinh tri"/2)',
        },
    ),
    'giá vàng 3': (
        {
            'together': '({E} "giá vàng 3"~4)',
            'all': '({E} giá) ({E} vàng) ({E} 3)',
            'most': '({EF} "giá vàng 3"/2)',
        },
        {
            'together': '({F} "gia vang 3"~4)',
            'all': '({F} gia) ({F} vang) ({F} 3)',
            'most': '({F} "gia vang 3"/2)',
        },
    ),
    'm³ giá': (
        {
            'together': '({E} giá) ({F} "m3 gia"~3)',
            'all': '({F} m3) ({E} giá)',
            'most': '({EF} "m3 giá"/1)',
        },
        {
            'together': '({F} "m3 gia"~3)',
            'all': '({F} m3) ({F} gia)',
            'most': '({F} "m3 gia"/1)',
        },
    ),
    'a b c d e': (
        {
            'together': '(({F} "a b c d e"~6) ({E} "b c"~9))',
            'all': '({F} a) ({E} b) ({E} c) ({F} d) ({F} e)',
            'most': '({EF} "a b c d e"/3)',
        },
        {
            'together': '({F} "a b c d e"~6)',
            'all': '({F} a) ({F} b) ({F} c) ({F} d) ({F} e)',
            'most': '({F} "a b c d e"/3)',
        },
    ),
    'hà nội hà nội': (
        {
            'together': '({E} "hà nội"~7)',
            'all': '({E} hà) ({E} nội) ({E} hà) ({E} nội)',
            'most': '({EF} "hà nội"/1)',
        },
        {
            'together': '({F} "ha noi"~7)',
            'all': '({F} ha) ({F} noi) ({F} ha) ({F} noi)',
            'most': '({F} "ha noi"/1)',
        },
    ),
    '"chỉ thị 05" kiên giang': (
        {
            'together': '({E} "chỉ thị 05") (({F} "chi thi 05 kien giang"~6) ({E} "chỉ thị 05 kiên"~7))',
            'all': '({E} "chỉ thị 05") ({E} kiên) ({F} giang)',
            'most': '({E} "chỉ thị 05") ({EF} "kiên giang"/1)',
        },
        {
            'together': '({F} "chi thi 05") ({F} "chi thi 05 kien giang"~6)',
            'all': '({F} "chi thi 05") ({F} kien) ({F} giang)',
            'most': '({F} "chi thi 05") ({F} "kien giang"/1)',
        },
    ),
    '"bộ chinh tri"': (
        {
            'together': '(({F} "bo chinh tri") ({E} bộ))',
            'all': '(({F} "bo chinh tri") ({E} bộ))',
            'most': '(({F} "bo chinh tri") ({E} bộ))',
        },
        {
            'together': '({F} "bo chinh tri")',
            'all': '({F} "bo chinh tri")',
            'most': '({F} "bo chinh tri")',
        },
    ),
    '"bộ chính trị" hà nội': (
        {
            'together': '({E} "bộ chính trị") ({E} "bộ chính trị hà nội"~6)',
            'all': '({E} "bộ chính trị") ({E} hà) ({E} nội)',
            'most': '({E} "bộ chính trị") ({EF} "hà nội"/1)',
        },
        {
            'together': '({F} "bo chinh tri") ({F} "bo chinh tri ha noi"~6)',
            'all': '({F} "bo chinh tri") ({F} ha) ({F} noi)',
            'most': '({F} "bo chinh tri") ({F} "ha noi"/1)',
        },
    ),
    'title:vàng tăng': (
        {
            'together': '({TE} vàng) ({E} tăng)',
            'all': '({TE} vàng) ({E} tăng)',
            'most': '({TE} vàng) ({EF} tăng)',
        },
        {
            'together': '({TF} vang) ({F} tang)',
            'all': '({TF} vang) ({F} tang)',
            'most': '({TF} vang) ({F} tang)',
        },
    ),
    'title:"giá vàng" tăng': (
        {
            'together': '({TE} "giá vàng") ({E} tăng)',
            'all': '({TE} "giá vàng") ({E} tăng)',
            'most': '({TE} "giá vàng") ({EF} tăng)',
        },
        {
            'together': '({TF} "gia vang") ({F} tang)',
            'all': '({TF} "gia vang") ({F} tang)',
            'most': '({TF} "gia vang") ({F} tang)',
        },
    ),
    'covid OR vaccine': (
        {
            'together': '(({F} covid) | ({F} vaccine))',
            'all': '(({F} covid) | ({F} vaccine))',
            'most': '({F} "covid vaccine"/1)',
        },
        {
            'together': '(({F} covid) | ({F} vaccine))',
            'all': '(({F} covid) | ({F} vaccine))',
            'most': '({F} "covid vaccine"/1)',
        },
    ),
    'v-league hà nội': (
        {
            'together': '(({F} "v league ha noi"~5) ({E} "v hà nội"~6))',
            'all': '(({E} v) ({F} league)) ({E} hà) ({E} nội)',
            'most': '({EF} "v league hà nội"/2)',
        },
        {
            'together': '({F} "v league ha noi"~5)',
            'all': '({F} v league) ({F} ha) ({F} noi)',
            'most': '({F} "v league ha noi"/2)',
        },
    ),
    'vàng': (
        {
            'together': '({E} vàng)',
            'all': '({E} vàng)',
            'most': '({EF} vàng)',
        },
        {
            'together': '({F} vang)',
            'all': '({F} vang)',
            'most': '({F} vang)',
        },
    ),
    '"giá vàng"': (
        {
            'together': '({E} "giá vàng")',
            'all': '({E} "giá vàng")',
            'most': '({E} "giá vàng")',
        },
        {
            'together': '({F} "gia vang")',
            'all': '({F} "gia vang")',
            'most': '({F} "gia vang")',
        },
    ),
    '"bộ chính tri"': (
        {
            'together': '(({F} "bo chinh tri") ({E} bộ chính)) (({F} "bo chinh tri"~4) ({E} "bộ chính"~5))',
            'all': '(({F} "bo chinh tri") ({E} bộ chính))',
            'most': '(({F} "bo chinh tri") ({E} bộ chính))',
        },
        {
            'together': '({F} "bo chinh tri")',
            'all': '({F} "bo chinh tri")',
            'most': '({F} "bo chinh tri")',
        },
    ),
    '"giá vàng" tăng mạnh': (
        {
            'together': '({E} "giá vàng") ({E} "giá vàng tăng mạnh"~5)',
            'all': '({E} "giá vàng") ({E} tăng) ({E} mạnh)',
            'most': '({E} "giá vàng") ({EF} "tăng mạnh"/1)',
        },
        {
            'together': '({F} "gia vang") ({F} "gia vang tang manh"~5)',
            'all': '({F} "gia vang") ({F} tang) ({F} manh)',
            'most': '({F} "gia vang") ({F} "tang manh"/1)',
        },
    ),
    # A word in quotes is required in the most tier, with its accents as typed.
    '"vàng" tăng giá': (
        {
            'together': '({E} "vàng tăng giá"~4)',
            'all': '({E} vàng) ({E} tăng) ({E} giá)',
            'most': '({E} vàng) ({EF} "tăng giá"/1)',
        },
        {
            'together': '({F} "vang tang gia"~4)',
            'all': '({F} vang) ({F} tang) ({F} gia)',
            'most': '({F} vang) ({F} "tang gia"/1)',
        },
    ),
    '"giá vàng" title:tăng': (
        {
            'together': '({E} "giá vàng") ({TE} tăng)',
            'all': '({E} "giá vàng") ({TE} tăng)',
            'most': '({E} "giá vàng") ({TE} tăng)',
        },
        {
            'together': '({F} "gia vang") ({TF} tang)',
            'all': '({F} "gia vang") ({TF} tang)',
            'most': '({F} "gia vang") ({TF} tang)',
        },
    ),
    '"giá vàng" title:tăng hôm kia': (
        {
            'together': '({E} "giá vàng") ({TE} tăng) (({F} "gia vang hom kia"~5) ({E} "giá vàng hôm"~6))',
            'all': '({E} "giá vàng") ({TE} tăng) ({E} hôm) ({F} kia)',
            'most': '({E} "giá vàng") ({TE} tăng) ({EF} "hôm kia"/1)',
        },
        {
            'together': '({F} "gia vang") ({TF} tang) ({F} "gia vang hom kia"~5)',
            'all': '({F} "gia vang") ({TF} tang) ({F} hom) ({F} kia)',
            'most': '({F} "gia vang") ({TF} tang) ({F} "hom kia"/1)',
        },
    ),
    # A word of time ("hôm nay": search.recency) is one phrase, anywhere: the together tier keeps the
    # other words close (here one quoted phrase: the all tier's text), the most tier leaves it out.
    '"giá vàng" title:tăng hôm nay': (
        {
            'together': '({E} "giá vàng") ({TE} tăng) (({F} "hom nay") ({E} hôm))',
            'all': '({E} "giá vàng") ({TE} tăng) (({F} "hom nay") ({E} hôm))',
            'most': '({E} "giá vàng") ({TE} tăng)',
        },
        {
            'together': '({F} "gia vang") ({TF} tang) ({F} "hom nay")',
            'all': '({F} "gia vang") ({TF} tang) ({F} "hom nay")',
            'most': '({F} "gia vang") ({TF} tang)',
        },
    ),
    'bóng chuyền hôm nay': (
        {
            'together': '(({F} "hom nay") ({E} hôm)) ({E} "bóng chuyền"~3)',
            'all': '({E} bóng) ({E} chuyền) (({F} "hom nay") ({E} hôm))',
            'most': '({EF} "bóng chuyền"/1)',
        },
        {
            'together': '({F} "hom nay") ({F} "bong chuyen"~3)',
            'all': '({F} bong) ({F} chuyen) ({F} "hom nay")',
            'most': '({F} "bong chuyen"/1)',
        },
    ),
    'bộ chinh tri 3': (
        {
            'together': '(({F} "bo chinh tri 3"~5) ({E} "bộ 3"~7))',
            'all': '({E} bộ) ({F} chinh) ({F} tri) ({E} 3)',
            'most': '({EF} "bộ chinh tri 3"/2)',
        },
        {
            'together': '({F} "bo chinh tri 3"~5)',
            'all': '({F} bo) ({F} chinh) ({F} tri) ({F} 3)',
            'most': '({F} "bo chinh tri 3"/2)',
        },
    ),
    'bo chinh tri 3': (
        {
            'together': '({F} "bo chinh tri 3"~5)',
            'all': '({F} bo) ({F} chinh) ({F} tri) ({E} 3)',
            'most': '({EF} "bo chinh tri 3"/2)',
        },
        {
            'together': '({F} "bo chinh tri 3"~5)',
            'all': '({F} bo) ({F} chinh) ({F} tri) ({F} 3)',
            'most': '({F} "bo chinh tri 3"/2)',
        },
    ),
    'vàng tăng vàng OR bạc': (
        {
            'together': '(({E} vàng) | ({E} bạc)) ({E} "vàng tăng"~3)',
            'all': '({E} vàng) ({E} tăng) (({E} vàng) | ({E} bạc))',
            'most': '({EF} "vàng tăng bạc"/2)',
        },
        {
            'together': '(({F} vang) | ({F} bac)) ({F} "vang tang"~3)',
            'all': '({F} vang) ({F} tang) (({F} vang) | ({F} bac))',
            'most': '({F} "vang tang bac"/2)',
        },
    ),
}

# Queries as a results page reads them: spellings added by query understanding.
UNDERSTOOD = {
    'hlv': (
        {
            'together': '((({E} hlv)) | (({E} "huấn luyện viên")))',
            'all': '(({E} hlv) | ({E} "huấn luyện viên"))',
            'most': '(({E} hlv) | ({E} "huấn luyện viên"))',
        },
        {
            'together': '((({F} hlv)) | (({F} "huan luyen vien")))',
            'all': '(({F} hlv) | ({F} "huan luyen vien"))',
            'most': '(({F} hlv) | ({F} "huan luyen vien"))',
        },
    ),
    'hlv clb park': (
        {
            'together': '(({E} hlv) | ({E} "huấn luyện viên")) (({E} clb) | ({E} "câu lạc bộ")) ((({F} "hlv clb '
                        'park"~4) ({E} "hlv clb"~5)) | (({F} "hlv cau lac bo park"~6) ({E} "hlv câu lạc bộ"~7)) | '
                        '(({F} "huan luyen vien clb park"~6) ({E} "huấn luyện viên clb"~7)) | (({F} "huan luyen '
                        'vien cau lac bo park"~8) ({E} "huấn luyện viên câu lạc bộ"~9)))',
            'all': '(({E} hlv) | ({E} "huấn luyện viên")) (({E} clb) | ({E} "câu lạc bộ")) ({F} park)',
            'most': '(((((({E} hlv) | ({E} "huấn luyện viên"))) | ((({E} clb) | ({E} "câu lạc bộ")))) ({F} park)) '
                    '| ((({E} hlv) | ({E} "huấn luyện viên")) (({E} clb) | ({E} "câu lạc bộ"))))',
        },
        {
            'together': '(({F} hlv) | ({F} "huan luyen vien")) (({F} clb) | ({F} "cau lac bo")) (({F} "hlv clb '
                        'park"~4) | ({F} "hlv cau lac bo park"~6) | ({F} "huan luyen vien clb park"~6) | ({F} '
                        '"huan luyen vien cau lac bo park"~8))',
            'all': '(({F} hlv) | ({F} "huan luyen vien")) (({F} clb) | ({F} "cau lac bo")) ({F} park)',
            'most': '(((((({F} hlv) | ({F} "huan luyen vien"))) | ((({F} clb) | ({F} "cau lac bo")))) ({F} park)) '
                    '| ((({F} hlv) | ({F} "huan luyen vien")) (({F} clb) | ({F} "cau lac bo"))))',
        },
    ),
    'hlv clb ubnd': (
        {
            'together': '(({E} hlv) | ({E} "huấn luyện viên")) (({E} clb) | ({E} "câu lạc bộ")) (({F} ubnd) | '
                        '(({F} "uy ban nhan dan") ({E} uỷ nhân dân))) ((({F} "hlv clb ubnd"~4) ({E} "hlv clb"~5)) '
                        '| (({F} "hlv clb uy ban nhan dan"~7) ({E} "hlv clb uỷ nhân dân"~8)) | (({F} "hlv cau lac '
                        'bo ubnd"~6) ({E} "hlv câu lạc bộ"~7)) | (({F} "hlv cau lac bo uy ban nhan dan"~9) ({E} '
                        '"hlv câu lạc bộ uỷ nhân dân"~10)) | (({F} "huan luyen vien clb ubnd"~6) ({E} "huấn luyện '
                        'viên clb"~7)) | (({F} "huan luyen vien clb uy ban nhan dan"~9) ({E} "huấn luyện viên clb '
                        'uỷ nhân dân"~10)) | (({F} "huan luyen vien cau lac bo ubnd"~8) ({E} "huấn luyện viên câu '
                        'lạc bộ"~9)) | (({F} "huan luyen vien cau lac bo uy ban nhan dan"~11) ({E} "huấn luyện '
                        'viên câu lạc bộ uỷ nhân dân"~12)))',
            'all': '(({E} hlv) | ({E} "huấn luyện viên")) (({E} clb) | ({E} "câu lạc bộ")) (({F} ubnd) | (({F} '
                   '"uy ban nhan dan") ({E} uỷ nhân dân)))',
            'most': '(((({E} hlv) | ({E} "huấn luyện viên")) (({E} clb) | ({E} "câu lạc bộ"))) | ((({E} hlv) | '
                    '({E} "huấn luyện viên")) (({F} ubnd) | (({F} "uy ban nhan dan") ({E} uỷ nhân dân)))) | '
                    '((({E} clb) | ({E} "câu lạc bộ")) (({F} ubnd) | (({F} "uy ban nhan dan") ({E} uỷ nhân '
                    'dân)))))',
        },
        {
            'together': '(({F} hlv) | ({F} "huan luyen vien")) (({F} clb) | ({F} "cau lac bo")) (({F} ubnd) | '
                        '({F} "uy ban nhan dan")) (({F} "hlv clb ubnd"~4) | ({F} "hlv clb uy ban nhan dan"~7) | '
                        '({F} "hlv cau lac bo ubnd"~6) | ({F} "hlv cau lac bo uy ban nhan dan"~9) | ({F} "huan '
                        'luyen vien clb ubnd"~6) | ({F} "huan luyen vien clb uy ban nhan dan"~9) | ({F} "huan '
                        'luyen vien cau lac bo ubnd"~8) | ({F} "huan luyen vien cau lac bo uy ban nhan dan"~11))',
            'all': '(({F} hlv) | ({F} "huan luyen vien")) (({F} clb) | ({F} "cau lac bo")) (({F} ubnd) | ({F} "uy '
                   'ban nhan dan"))',
            'most': '(((({F} hlv) | ({F} "huan luyen vien")) (({F} clb) | ({F} "cau lac bo"))) | ((({F} hlv) | '
                    '({F} "huan luyen vien")) (({F} ubnd) | ({F} "uy ban nhan dan"))) | ((({F} clb) | ({F} "cau '
                    'lac bo")) (({F} ubnd) | ({F} "uy ban nhan dan"))))',
        },
    ),
}


@pytest.mark.parametrize("q", list(TEXTS))
def test_each_tier_of_a_query_is_one_match_text_with_its_accents_as_typed_and_folded(q):
    typed, folded = TEXTS[q]
    parsed = parse_query(q)
    assert (tier_texts(parsed, True), tier_texts(parsed, False)) == (fields(typed), fields(folded))


def test_a_number_written_with_separators_is_required_as_its_token_in_every_tier_where_its_words_are():
    texts = tier_texts(parse_query("giá 3.500.000đ"), True)
    number = "(({E} 3 500 000đ) (@(title_compound,body_compound) _3d500d000))"
    assert texts == fields({"together": number + ' ({E} "giá 3 500 000đ"~5)', "all": "({E} giá) " + number,
                            "most": '({EF} "giá 3 500 000đ"/2)'})
    assert tier_texts(parse_query("title:21/8"), False)["all"] == "((@title_fold 21 8) (@title_compound _21s8))"
    # A phrase writing two numbers requires both.
    assert tier_texts(parse_query('"từ 1/3 đến 30/4"'), False)["all"] == written(
        '(({F} "tu 1 3 den 30 4") (@(title_compound,body_compound) _1s3 _30s4))')


def test_a_quoted_single_word_is_matched_as_the_word_itself_required_with_its_accents_as_typed():
    for exact in (True, False):
        plain = tier_texts(parse_query("vàng"), exact)
        assert plain == fields(TEXTS["vàng"][0 if exact else 1])
        # Required in the most tier as a quoted phrase is: with the accents typed, not also folded.
        most = fields({"most": "({E} vàng)" if exact else "({F} vang)"})
        assert tier_texts(parse_query('"vàng"'), exact) == plain | most


def with_compounds(q: str, *spans: tuple[int, int]):
    """Return q parsed, with the compound words query understanding would find at spans of its syllables."""
    parsed = parse_query(q)
    return replace(parsed, compounds=[parsed.syllables[start:end] for start, end in spans])


@pytest.mark.parametrize(("q", "spans", "typed", "folded"), [
    # One compound word the whole query: its words in a row stand closer than the window, so the together
    # tier is the all tier; a plain word the phrase holds on its side is not asked again, "chính" is.
    ("chính tri", [(0, 2)], ('({E} chính) ({F} "chinh tri")',) * 2, ('({F} "chinh tri")',) * 2),
    # Accented as typed, the compound is an exact phrase; the window still asks all three words.
    ("bộ chính trị", [(1, 3)], ('({E} "bộ chính trị"~4) ({E} "chính trị")', '({E} bộ) ({E} "chính trị")'),
     ('({F} "bo chinh tri"~4) ({F} "chinh tri")', '({F} bo) ({F} "chinh tri")')),
    # Two compounds, one with an unaccented syllable: folded, its accented "tế" required exactly.
    ("chính trị kinh tế", [(0, 2), (2, 4)],
     ('(({F} "chinh tri kinh te"~5) ({E} "chính trị tế"~6)) ({E} "chính trị") ({F} "kinh te")',
      '({E} tế) ({E} "chính trị") ({F} "kinh te")'),
     ('({F} "chinh tri kinh te"~5) ({F} "chinh tri") ({F} "kinh te")', '({F} "chinh tri") ({F} "kinh te")')),
])
def test_the_together_and_all_tiers_ask_each_compound_word_in_a_row(q, spans, typed, folded):
    parsed = with_compounds(q, *spans)
    for exact, (together, every) in ((True, typed), (False, folded)):
        texts = tier_texts(parsed, exact)
        assert (texts["together"], texts["all"]) == (written(together), written(every))
        # The most tier still counts the syllables.
        assert texts["most"] == most_text(parsed, exact) == tier_texts(parse_query(q), exact)["most"]


def test_a_word_in_a_field_or_a_quoted_phrase_stays_asked_beside_a_compound_holding_its_syllable():
    # "kinh tế" in a row holds "kinh" anywhere, not in the title, nor the phrase "kinh doanh".
    parsed = with_compounds('title:kinh "kinh doanh" kinh tế', (3, 5))
    assert tier_texts(parsed, False)["all"] == written('({TF} kinh) ({F} "kinh doanh") ({F} "kinh te")')


def test_a_compound_word_beside_a_group_of_spellings_keeps_the_window_of_each_reading():
    # "ubnd" also read as "ủy ban nhân dân": two readings, each with its window, beside the compound.
    parsed = with_compounds("ubnd chinh tri", (1, 3))
    spelled = Clause(syllables_of("uy ban nhan dan"), phrase=True, alternative=True)
    parsed = replace(parsed, groups=[[*parsed.groups[0], spelled], *parsed.groups[1:]])
    texts = tier_texts(parsed, False)
    ubnd = '(({F} ubnd) | ({F} "uy ban nhan dan"))'
    assert texts["all"] == written(f'{ubnd} ({{F}} "chinh tri")')
    assert texts["together"] == written(f'{ubnd} (({{F}} "ubnd chinh tri"~4) | ({{F}} "uy ban nhan dan chinh tri"~7))'
                                        ' ({F} "chinh tri")')


def test_a_query_of_no_words_matches_every_article_in_every_tier():
    assert tier_texts(parse_query(""), True) == {"together": EVERYTHING, "all": EVERYTHING, "most": EVERYTHING}
    assert EVERYTHING == "@every vnsearchdoc"


@pytest.mark.parametrize("typed, exact, folded", [
    ("bộ", ("exact", "bộ"), ("fold", "bo")),
    ("bo", ("fold", "bo"), ("fold", "bo")),  # an unaccented word may stand for any accented one
    ("3", ("exact", "3"), ("fold", "3")),  # no accent can change it: the same token on both sides
    ("hlv", ("exact", "hlv"), ("fold", "hlv")),
    ("m³", ("fold", "m3"), ("fold", "m3")),  # "³" is no engine letter: its folded form stands for it
    ("đ", ("exact", "đ"), ("fold", "d")),
])
def test_a_syllable_is_looked_up_exactly_when_typed_with_accents_or_when_no_accent_can_change_it(typed, exact, folded):
    [syllable] = syllables_of(typed)
    assert (side_token(syllable, True), side_token(syllable, False)) == (exact, folded)


def test_distinct_tokens_are_the_words_as_typed_each_once_on_its_side():
    assert distinct_tokens(parse_query("bộ chinh tri 3 bộ"), True) == ["bộ", "chinh", "tri", "3"]
    assert distinct_tokens(parse_query("bộ chinh tri 3 bộ"), False) == ["bo", "chinh", "tri", "3"]


def test_the_words_in_a_row_are_the_all_tier_folded_and_the_typed_plain_words_as_one_folded_phrase():
    assert in_a_row_text(parse_query("bộ chính trị")) == written(
        '({F} bo) ({F} chinh) ({F} tri) ({F} "bo chinh tri")')
    # A title: word is no plain word: its group is required, the other words stand in a row.
    assert in_a_row_text(parse_query("bóng đa title:việt")) == written(
        '({F} bong) ({F} da) ({TF} viet) ({F} "bong da")')
    assert in_a_row_text(parse_query("bóng title:việt")) is None  # one plain word is no row
    assert in_a_row_text(parse_query("bóng")) is None


def test_excluded_clauses_end_the_text_each_as_its_own_not():
    parsed = parse_query('giá vàng hôm nay tăng mạnh -"chứng khoán" -usd')
    assert with_excluded("(positive)", parsed, True) == written('(positive) -({E} "chứng khoán") -({F} usd)')
    assert with_excluded("(positive)", parsed, False) == written('(positive) -({F} "chung khoan") -({F} usd)')


def test_a_questions_pool_is_a_fifth_of_its_words_folded_or_its_answer_when_an_excluded_word_narrows_it():
    plain = parse_query("giá vàng miếng sjc tăng mạnh")
    assert question_pool_text(plain, "(answer)") == written('({F} "gia vang mieng sjc tang manh"/2)')
    excluding = parse_query("giá vàng miếng sjc tăng mạnh -usd")
    assert question_pool_text(excluding, "(answer)") == written('(({F} "gia vang mieng sjc tang manh"/2)) | ((answer))')


def test_the_most_tier_holds_its_share_of_the_words_and_all_of_them_as_a_plain_and():
    parsed = parse_query("giá vàng miếng sjc tăng mạnh")
    assert most_text(parsed, True, 0.2) == written('({EF} "giá vàng miếng sjc tăng mạnh"/2)')
    assert most_text(parsed, True, 1.0) == written("({EF} giá vàng miếng sjc tăng mạnh)")


def test_a_questions_pool_keeps_no_documents_number_required_where_the_most_tier_does():
    parsed = parse_query("xử phạt theo 98/2020/NĐ-CP vi phạm giao thông")
    assert most_text(parsed, False, LONG_QUERY_SHARE) == written(
        '({F} "xu phat theo 98 2020 nd cp vi pham giao thong"/3)')
    # Required, the number and year as written with it ("98/2020", the compound fields' token).
    assert most_text(parsed, False) == written(
        '(({F} 98 2020 nd cp) (@(title_compound,body_compound) _98s2020)) ({F} "xu phat theo vi pham giao thong"/4)')


@pytest.fixture(scope="module")
def understood(demo_index):
    """Return a function reading a query as a results page does (spellings added by query understanding)."""
    engine = SearchEngine(demo_index)
    vocabulary = Vocabulary(engine.backend.statistics())

    def read(q: str):
        parsed = understand(parse_query(q), vocabulary, engine.abbreviations).parsed
        return keep_rarest(parsed, engine.ranking.max_searched_terms, vocabulary.frequency)

    return read


def test_a_group_of_spellings_is_one_word_held_by_any_of_them_and_each_reading_stands_together(understood):
    parsed = understood("hlv park")  # "hlv": also "huấn luyện viên"
    assert tier_texts(parsed, True) == fields({
        "together": '(({E} hlv) | ({E} "huấn luyện viên")) '
                    '(({F} "hlv park"~3) | (({F} "huan luyen vien park"~5) ({E} "huấn luyện viên"~6)))',
        "all": '(({E} hlv) | ({E} "huấn luyện viên")) ({F} park)',
        # Half of two words: "park", or the group of spellings.
        "most": '((({F} park)) | ((({E} hlv) | ({E} "huấn luyện viên"))))',
    })
    assert tier_texts(parsed, False)["most"] == written('((({F} park)) | ((({F} hlv) | ({F} "huan luyen vien"))))')
    assert distinct_tokens(parsed, True) == ["hlv", "park"]  # the words as typed, not their spellings


def test_the_most_tier_combines_at_most_four_groups_of_spellings(understood):
    parsed = understood("hlv clb ubnd tphcm vff")  # five abbreviations, each with its spellings
    assert MAX_UNITS == 4 and all(len(group) > 1 for group in parsed.groups)
    most = most_text(parsed, True)
    # Half of the first four (every pair of them); the fifth ("vff": liên đoàn bóng đá việt nam) left out.
    assert most == most_text(replace(parsed, groups=parsed.groups[:4]), True)
    assert "vff" not in most and "liên đoàn" not in most and most.count(") | (") >= 5


@pytest.mark.parametrize("q", list(UNDERSTOOD))
def test_each_tier_of_a_query_with_groups_of_spellings_is_one_match_text(understood, q):
    typed, folded = UNDERSTOOD[q]
    parsed = understood(q)
    assert (tier_texts(parsed, True), tier_texts(parsed, False)) == (fields(typed), fields(folded))
