"""The page's formatting filters: Vietnamese dates and numbers, safe outbound links, marked paragraphs."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from web.formatting import marked_paragraphs, safe_url, vn_datetime, vn_decimal, vn_number


@pytest.mark.parametrize("value, shown", [
    ("2019-08-21T08:12:00+07:00", "08:12 21/08/2019"),
    ("2019-08-21T08:12:00", "08:12 21/08/2019"),  # no zone: Vietnam time
    ("2019-08-21T01:12:00Z", "08:12 21/08/2019"),  # shown in Vietnam time
    ("2019-08-21T00:00:00+07:00", "21/08/2019"),  # a day alone is stored at midnight: no time invented
    ("2019-08-20T17:00:00+00:00", "21/08/2019"),
    ("2019-08-21T01:00:00+07:00", "01:00 21/08/2019"),
    ("2019-08-21T00:01:00+07:00", "00:01 21/08/2019"),
    ("2019-08-21T00:00:30+07:00", "00:00 21/08/2019"),
    ("", ""),
    (None, ""),
    ("hôm qua", ""),
])
def test_a_date_is_shown_the_vietnamese_way_in_vietnam_time(value, shown):
    assert vn_datetime(value) == shown


def test_numbers_take_a_dot_between_thousands_and_a_decimal_comma():
    assert [vn_number(n) for n in (0, 999, 1000, 1234567)] == ["0", "999", "1.000", "1.234.567"]
    assert [vn_decimal(3.5), vn_decimal(0.25, 2), vn_decimal(12)] == ["3,5", "0,25", "12,0"]


@pytest.mark.parametrize("value, kept", [
    ("http://vpubnd.kiengiang.gov.vn/bai-viet", True),
    ("https://dantri.com.vn/the-thao.htm", True),
    ("HTTPS://DANTRI.COM.VN/", True),
    ("  https://dantri.com.vn/  ", True),
    ("javascript:alert(1)", False),
    ("data:text/html,<b>x</b>", False),
    ("http:///bai-viet", False),  # no host
    ("//dantri.com.vn/x", False),  # no scheme
    ("https://dantri.com.vn/a b", False),
    ("https://dantri.com.vn/a\tb", False),
    ("https://dantri.com.vn/a\x1fb", False),
    ("https://dantri.com.vn/a\x7fb", False),
    ("", False),
    (None, False),
    (5, False),
])
def test_only_http_links_with_a_host_and_no_hidden_characters_are_shown(value, kept):
    assert safe_url(value) == (value.strip() if kept else None)


def test_a_mark_over_a_line_break_is_closed_and_reopened_and_blank_lines_dropped():
    assert marked_paragraphs("Bộ <mark>Chính\ntrị</mark> họp.\n\nHội nghị <mark>Trung\n\nương</mark> 8") == [
        Markup("Bộ <mark>Chính</mark>"),
        Markup("<mark>trị</mark> họp."),
        Markup("Hội nghị <mark>Trung</mark>"),
        Markup("<mark>ương</mark> 8"),
    ]
    # Two marks on a line: the last one decides whether the next line opens marked.
    assert marked_paragraphs("<mark>Bộ</mark> <mark>Chính</mark> trị\nhọp") == [
        Markup("<mark>Bộ</mark> <mark>Chính</mark> trị"), Markup("họp")]
    assert marked_paragraphs("<mark>Bộ</mark> <mark>Chính\ntrị</mark>") == [
        Markup("<mark>Bộ</mark> <mark>Chính</mark>"), Markup("<mark>trị</mark>")]
