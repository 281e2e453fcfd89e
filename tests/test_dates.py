"""Dates: the zones, times and errors of the Vietnamese forms, Vietnam days, day numbers and date lines.

The forms are those of the portal pages and news crawls (tests/test_documents.py parses the commonest).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from search.dates import day_number, is_date_line, parse_date, vietnam_day


def zone(hours: int, minutes: int = 0) -> timezone:
    """Return a fixed UTC offset."""
    return timezone(timedelta(hours=hours, minutes=minutes))


@pytest.mark.parametrize("text, expected", [
    ("Thứ Tư, 21/08/2019, 08:12:30 (GMT+9)", datetime(2019, 8, 21, 8, 12, 30, tzinfo=zone(9))),
    ("21/08/2019 08:12 GMT-5", datetime(2019, 8, 21, 8, 12, tzinfo=zone(-5))),
    ("21/08/2019 08:12 UTC+5:30", datetime(2019, 8, 21, 8, 12, tzinfo=zone(5, 30))),
    ("21/08/2019 20h05 UTC - 0530", datetime(2019, 8, 21, 20, 5, tzinfo=zone(-5, -30))),
    ("2019/08/21 08g12 gmt+0", datetime(2019, 8, 21, 8, 12, tzinfo=UTC)),
])
def test_a_vietnamese_date_keeps_its_time_and_the_zone_written_beside_it(text, expected):
    parsed = parse_date(text)
    assert (parsed, parsed.utcoffset()) == (expected, expected.utcoffset())


@pytest.mark.parametrize("text, expected", [
    ("21/08/2019 00:00:00", datetime(2019, 8, 21, tzinfo=zone(7))),
    ("21/08/2019 23:59:59", datetime(2019, 8, 21, 23, 59, 59, tzinfo=zone(7))),
])
def test_the_first_and_last_second_of_a_day_are_times(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text, message", [
    ("", "empty date"),
    ("hôm qua", "unrecognised date 'hôm qua'"),
    ("21/08/2019 24:00", "impossible time '24:00'"),
    ("21/08/2019 23:60", "impossible time '23:60'"),
    ("21/08/2019 23:59:60", "impossible time '23:59:60'"),
    ("31/02/2019", "impossible date '31/02/2019': day is out of range for month"),
])
def test_a_date_that_cannot_be_read_says_why(text, message):
    with pytest.raises(ValueError) as raised:
        parse_date(text)
    assert str(raised.value) == message


@pytest.mark.parametrize("moment, day", [
    (datetime(2019, 8, 20, 16, 59, tzinfo=UTC), date(2019, 8, 20)),
    (datetime(2019, 8, 20, 17, 0, tzinfo=UTC), date(2019, 8, 21)),  # midnight in Vietnam
    (datetime(2019, 8, 21, 9, 0, tzinfo=zone(9)), date(2019, 8, 21)),
    (datetime(2019, 12, 31, 20, 0, tzinfo=zone(-5)), date(2020, 1, 1)),
])
def test_an_articles_day_is_its_calendar_day_in_vietnam(moment, day):
    assert vietnam_day(moment) == day


@pytest.mark.parametrize("day, number", [
    (date(2019, 8, 21), 20190821),
    (date(2020, 1, 1), 20200101),
    (date(1999, 12, 31), 19991231),
])
def test_a_day_number_is_the_day_written_yyyymmdd(day, number):
    assert day_number(day) == number


@pytest.mark.parametrize("line, expected", [
    ("[2019-08-21T08:12:00+07:00]", True),
    ("(08:12 | 21/08/2019)", True),
    ("2019/08/21 08:12", True),
    ("Cập nhật lúc 08:12 ngày 21/08/2019 (GMT+7)", True),
    ("Thứ Tư, ngày 21 tháng 8 năm 2019", True),
    ("Ngày 21/08/2019, Bộ Chính trị ban hành Chỉ thị 05", False),
    ("Bộ Chính trị", False),
    ("", False),
])
def test_a_date_line_holds_a_date_and_nothing_but_posting_words(line, expected):
    assert is_date_line(line) is expected
