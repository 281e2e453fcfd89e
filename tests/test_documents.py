"""Reading articles: the portal text format, JSON Lines, encodings, dates and rejections.

Article text is cut from the demo corpus (vnsearch/demo); variants are written to tmp_path.
"""

from __future__ import annotations

import json
import os
import re
import threading
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from search.boilerplate import _any_of
from search.dates import parse_date
from search.documents import (
    DERIVED_TITLE_CHARS,
    Article,
    Rejection,
    ScanStats,
    derive_title,
    parse_portal_text,
)
from search.sources import read_file, scan_sources
from tests.helpers import PORTAL_FILE

PORTAL_TEXT = PORTAL_FILE.read_text(encoding="utf-8")
PORTAL_TITLE = (
    "Tăng cường vai trò nêu gương của cán bộ, đảng viên trong việc thực hiện Chỉ thị 05 của Bộ Chính trị"
)
PORTAL_DATE_LINE = "(08:12 | 21/08/2019)"
ICT = timezone(timedelta(hours=7))

# Paragraphs of real articles (unc-news_business_001 and unc-news_business_016).
VINAMILK = (
    "Năm 2020, Vinamilk đã vượt qua các thương hiệu trong và ngoài nước khác để dẫn đầu Top 10 thương hiệu "
    "mạnh nhất của Việt Nam. Bảng xếp hạng Top 10 do Campaign Asia-Pacific và Nielsen phối hợp thực hiện."
)
THUY_DIEN = (
    "Tại tọa đàm về “Thủy điện nhỏ và vấn đề lũ lụt” vừa diễn ra sáng ngày 30/10, thủy điện đã được đưa "
    "lên bàn cân lợi ích."
)


def jsonl(path: Path, records: list) -> Path:
    """Write records (dicts, or raw bytes / str lines) as a JSON Lines file."""
    lines = []
    for record in records:
        if isinstance(record, bytes):
            lines.append(record)
        elif isinstance(record, str):
            lines.append(record.encode("utf-8"))
        else:
            lines.append(json.dumps(record, ensure_ascii=False).encode("utf-8"))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def articles(items) -> list[Article]:
    return [item for item in items if isinstance(item, Article)]


def rejections(items) -> list[Rejection]:
    return [item for item in items if isinstance(item, Rejection)]


def cp1258(text: str) -> bytes:
    """Encode Vietnamese text as Windows-1258 does (base letters plus combining tone marks)."""
    out = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in decomposed if c in "\u0300\u0301\u0303\u0309\u0323")
        out.append(unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones)) + tones)
    return "".join(out).encode("cp1258")


# The portal article ----------------------------------------------------------------------


def test_portal_article_fields_are_extracted_from_the_saved_page():
    [article] = list(read_file(PORTAL_FILE, PORTAL_FILE.parent))
    assert isinstance(article, Article)
    assert {
        "id": article.id,
        "title": article.title,
        "title_derived": article.title_derived,
        "portal": article.portal,
        "category": article.category,
        "source": article.source,
        "url": article.url,
        "published": article.published,
    } == {
        "id": "kiengiang-2019-08-21-chi-thi-05.txt",
        "title": PORTAL_TITLE,
        "title_derived": False,
        "portal": "Cổng thông tin điện tử Kiên Giang",
        "category": "Hoạt động của Đảng - Đoàn thể",
        "source": "vpubnd.kiengiang.gov.vn",
        "url": None,
        "published": datetime(2019, 8, 21, 8, 12, tzinfo=ICT),
    }
    assert article.published.utcoffset() == timedelta(hours=7)
    assert article.origin == str(PORTAL_FILE)
    assert len(article.content_hash) == 40


def test_portal_body_drops_page_chrome_source_line_and_blank_nbsp_lines():
    [article] = list(read_file(PORTAL_FILE, PORTAL_FILE.parent))
    body = article.body
    assert body.startswith("Sáng ngày 20/8, Hội nghị trực tuyến với Trung ương")
    assert body.endswith("tổ chức thực hiện Chỉ thị 05 của Bộ Chính trị./.")
    assert "Xem với cỡ chữ" not in body and "AA" not in body
    assert "vpubnd.kiengiang.gov.vn" not in body and "Theo" not in body.split("\n")[-1]
    assert PORTAL_TITLE not in body and "21/08/2019" not in body
    assert "\u00a0" not in body
    paragraphs = body.split("\n\n")
    assert all(p.strip() == p and p for p in paragraphs)
    # The image caption stays, as its own paragraph.
    assert "Quang cảnh tại điểm cầu Văn phòng UBND tỉnh." in paragraphs
    assert len(paragraphs) == 8
    assert unicodedata.is_normalized("NFC", body)


@pytest.mark.parametrize(
    "paragraph",
    [
        # Real news paragraphs (dantri) that begin with words also used as page furniture.
        "Chia sẻ trước báo giới, HLV Ronald Koeman thừa nhận về sự bất an nhất định khi làm việc ở Barcelona.",
        ("Bình luận về việc Anh đưa tàu chiến tới Biển Đen, nghị sĩ Aleksey Pushkov nhận định: "
         "\"Người Anh vẫn hoài nghi\"."),
        "Trang chủ Ajax Amsterdam thông báo đạt thỏa thuận gia hạn với HLV Erik Ten Hag đến năm 2023.",
    ],
    ids=["chia-se", "binh-luan", "trang-chu"],
)
def test_portal_body_keeps_real_paragraphs_that_start_like_page_chrome(paragraph):
    text = PORTAL_TEXT.replace(
        "Quang cảnh tại điểm cầu Văn phòng UBND tỉnh.",
        "Quang cảnh tại điểm cầu Văn phòng UBND tỉnh.\n\nChia sẻ\n\nIn bài viết\n\n" + paragraph,
    )
    article = parse_portal_text(text, "x.txt")
    paragraphs = article.body.split("\n\n")
    assert paragraph in paragraphs
    # Bare furniture lines are still dropped.
    assert "Chia sẻ" not in paragraphs and "In bài viết" not in paragraphs


def test_portal_page_without_a_date_line_is_read_undated():
    text = PORTAL_TEXT.replace(PORTAL_DATE_LINE + "\n", "")
    article = parse_portal_text(text, "no-date.txt")
    assert (article.portal, article.category, article.title, article.published, article.source) == (
        "Cổng thông tin điện tử Kiên Giang",
        "Hoạt động của Đảng - Đoàn thể",
        PORTAL_TITLE,
        None,
        "vpubnd.kiengiang.gov.vn",
    )
    assert article.body.startswith("Sáng ngày 20/8, Hội nghị trực tuyến")


def test_undated_portal_page_keeps_a_short_caption_that_mentions_a_date():
    # No date line; the first paragraph is a short caption that happens to hold a date.
    caption = "Quang cảnh hội nghị ngày 20/8/2019."
    text = PORTAL_TEXT.replace(PORTAL_DATE_LINE + "\n", "").replace(
        "Sáng ngày 20/8, Hội nghị", caption + "\n\nSáng ngày 20/8, Hội nghị"
    )
    article = parse_portal_text(text, "caption.txt")
    assert article.title == PORTAL_TITLE
    assert article.published is None
    assert article.body.startswith(caption)


@pytest.mark.parametrize(
    "date_line, published",
    [
        ("Thứ Tư, 21/08/2019, 08:12 (GMT+7)", datetime(2019, 8, 21, 8, 12, tzinfo=ICT)),
        ("21-8-2019 08:12", datetime(2019, 8, 21, 8, 12, tzinfo=ICT)),
        ("Ngày 21 tháng 8 năm 2019", datetime(2019, 8, 21, tzinfo=ICT)),
        ("21/08/2019", datetime(2019, 8, 21, tzinfo=ICT)),
        ("2019-08-21T08:12:00+07:00", datetime(2019, 8, 21, 8, 12, tzinfo=ICT)),
    ],
)
def test_portal_date_line_in_other_forms(date_line, published):
    article = parse_portal_text(PORTAL_TEXT.replace(PORTAL_DATE_LINE, date_line), "x.txt")
    assert (article.title, article.category, article.published) == (
        PORTAL_TITLE,
        "Hoạt động của Đảng - Đoàn thể",
        published,
    )


def test_portal_source_line_with_nguon_names_the_source():
    text = PORTAL_TEXT.replace("Theo\u00a0vpubnd.kiengiang.gov.vn", "Nguồn: Báo Kiên Giang")
    article = parse_portal_text(text, "x.txt")
    assert article.source == "Báo Kiên Giang"
    assert "Báo Kiên Giang" not in article.body


@pytest.mark.parametrize(
    "last_paragraph",
    [
        # Real closing sentences (dantri) that begin with "Theo" but name no source.
        "Theo phó hiệu trưởng, không có học sinh đến lớp lúc xảy ra sự cố.",
        "Theo đó chương trình lớp 1 mới có 9 môn học.",
    ],
    ids=["theo-pho-hieu-truong", "theo-do"],
)
def test_portal_last_sentence_starting_with_theo_is_body_not_source(last_paragraph):
    text = PORTAL_TEXT.replace("Theo\u00a0vpubnd.kiengiang.gov.vn", last_paragraph)
    article = parse_portal_text(text, "x.txt")
    assert article.body.endswith("\n\n" + last_paragraph)
    assert article.source == "Cổng thông tin điện tử Kiên Giang"  # no source line: the portal


def test_portal_source_line_naming_an_agency_is_taken_off_the_body():
    article = parse_portal_text(PORTAL_TEXT.replace("Theo\u00a0vpubnd.kiengiang.gov.vn", "Theo TTXVN"), "x.txt")
    assert article.source == "TTXVN"
    assert article.body.endswith("Chỉ thị 05 của Bộ Chính trị./.")


def test_portal_file_in_a_subdirectory_is_identified_by_its_relative_path(tmp_path):
    (tmp_path / "kiengiang" / "2019").mkdir(parents=True)
    path = tmp_path / "kiengiang" / "2019" / "chi-thi-05.txt"
    path.write_bytes(PORTAL_FILE.read_bytes())
    [article] = list(scan_sources([str(tmp_path)]))
    assert article.id == "kiengiang/2019/chi-thi-05.txt"
    assert article.origin == str(path)


# Dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("21/08/2019", datetime(2019, 8, 21, tzinfo=ICT)),
        ("21-8-2019 08:12", datetime(2019, 8, 21, 8, 12, tzinfo=ICT)),
        ("Thứ Tư, 21/08/2019, 08:12 (GMT+7)", datetime(2019, 8, 21, 8, 12, tzinfo=ICT)),
        ("Thứ tư, 10/9/2025, 16:30 (GMT+7)", datetime(2025, 9, 10, 16, 30, tzinfo=ICT)),
        ("ngày 21 tháng 8 năm 2019", datetime(2019, 8, 21, tzinfo=ICT)),
        ("(08:12 | 21/08/2019)", datetime(2019, 8, 21, 8, 12, tzinfo=ICT)),
        ("2019-08-21", datetime(2019, 8, 21, tzinfo=ICT)),
        ("2019-08-21T08:12", datetime(2019, 8, 21, 8, 12, tzinfo=ICT)),
        ("2019-08-21T08:12:00+07:00", datetime(2019, 8, 21, 8, 12, tzinfo=ICT)),
        ("2019-08-21T01:12:00Z", datetime(2019, 8, 21, 1, 12, tzinfo=UTC)),
        ("2021-04-30T23:15:00+00:00", datetime(2021, 4, 30, 23, 15, tzinfo=UTC)),
        ("2019-08-21T08:12:00-05:00", datetime(2019, 8, 21, 8, 12, tzinfo=timezone(timedelta(hours=-5)))),
    ],
)
def test_every_date_form_parses_to_an_aware_datetime(text, expected):
    parsed = parse_date(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()  # the same wall time, not only the same instant


@pytest.mark.parametrize("text", ["21/08/2019", "ngày 21 tháng 8 năm 2019", "2019-08-21", "2019-08-21T08:12"])
def test_dates_without_a_zone_are_vietnam_time(text):
    assert parse_date(text).utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(
    "text",
    ["31/02/2019", "2019-13-01", "2019-02-29", "ngày 30 tháng 2 năm 2020", "21/08/2019 25:10",
     "2019-08-21T24:30:00+07:00", "0/1/2019"],
)
def test_impossible_dates_raise_value_error(text):
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize("text", ["hôm qua", "", "   ", "08:12"])
def test_text_that_is_not_a_date_raises_value_error(text):
    with pytest.raises(ValueError):
        parse_date(text)


# JSON Lines ------------------------------------------------------------------------------


def test_jsonl_field_aliases_are_read(tmp_path):
    path = jsonl(tmp_path / "aliases.jsonl", [
        {"id": "b1", "title": "Vinamilk lọt Top 1.000 thương hiệu hàng đầu châu Á", "body": VINAMILK,
         "url": "https://dantri.com.vn/a.htm", "source": "dantri.com.vn", "category": "Kinh doanh",
         "published": "2020-10-01"},
        {"id": "b2", "title": "Thủy điện nhỏ", "text": THUY_DIEN,
         "source_url": "https://dantri.com.vn/b.htm", "publisher": "Dân trí"},
        {"id": 17, "title": "Thủy điện nhỏ", "content": THUY_DIEN, "portal": "Dân trí"},
    ])
    found = [(a.id, a.title, a.body, a.url, a.source, a.category, a.portal, a.published)
             for a in scan_sources([str(path)])]
    assert found == [
        ("b1", "Vinamilk lọt Top 1.000 thương hiệu hàng đầu châu Á", VINAMILK, "https://dantri.com.vn/a.htm",
         "dantri.com.vn", "Kinh doanh", None, datetime(2020, 10, 1, tzinfo=ICT)),
        ("b2", "Thủy điện nhỏ", THUY_DIEN, "https://dantri.com.vn/b.htm", "Dân trí", None, None, None),
        ("17", "Thủy điện nhỏ", THUY_DIEN, None, None, None, "Dân trí", None),
    ]


def test_jsonl_categories_are_stored_under_their_sections_vietnamese_name(tmp_path):
    # As the shared news corpus gives them: UNC's English topics, 24h's home page and slugs, VnExpress's names.
    path = jsonl(tmp_path / "sections.jsonl", [
        {"id": "unc", "body": VINAMILK, "category": "business", "url": "https://dantri.com.vn/kinh-doanh/a.htm"},
        {"id": "24h-home", "body": VINAMILK, "category": "trang-chu",
         "source_url": "https://www.24h.com.vn/kinh-doanh/chot-gia-vang-hom-nay-c161a1735167.html"},
        {"id": "24h-clip", "body": THUY_DIEN, "category": "trang-chu", "url": "https://www.24h.com.vn/media-24h/c.html"},
        {"id": "24h-slug", "body": THUY_DIEN, "category": "bong-da", "url": "https://www.24h.com.vn/bong-da/b.html"},
        {"id": "vnx", "body": THUY_DIEN, "category": "Kinh doanh"},
        {"id": "other", "body": THUY_DIEN, "category": " World  Cup 2022 "},
    ])
    assert [(a.id, a.category) for a in scan_sources([str(path)])] == [
        ("unc", "Kinh doanh"), ("24h-home", "Kinh doanh"), ("24h-clip", None), ("24h-slug", "Bóng đá"),
        ("vnx", "Kinh doanh"), ("other", "World Cup 2022")]


SAVE_WIDGET = "Lưu bài viết thành công Bạn có thể xem lại bài viết đã lưu ở trangTin bài đã lưu"
SOURCE_LINKS = "Nguồn: [Link nguồn]"


def test_site_interface_text_is_taken_off_a_bodys_start_and_end_but_kept_inside_it(tmp_path):
    # As every 24h.com.vn article of the news corpus has it: the save widget, then the text, then two source links.
    body = f"{VINAMILK} Trên trang có nút “{SAVE_WIDGET}”."
    words = SAVE_WIDGET.split()
    spaced_widget = " ".join(words[:4]) + "\n " + " ".join(words[4:])  # spaces collapsed first
    path = jsonl(tmp_path / "24h.jsonl", [
        {"id": "24h", "title": "Vinamilk", "body": f"{SAVE_WIDGET} {body} {SOURCE_LINKS}{SOURCE_LINKS}"},
        {"id": "spaced", "title": "Vinamilk", "body": f"  {spaced_widget}   {body}\n\n{SOURCE_LINKS}"},
        {"id": "untitled", "body": f"{SAVE_WIDGET} {THUY_DIEN}"},
        {"id": "widget only", "title": "Trống", "body": f"{SAVE_WIDGET} {SOURCE_LINKS}"},
    ])
    found = list(scan_sources([str(path)]))
    assert [(a.id, a.body) for a in found if isinstance(a, Article)] == [
        ("24h", body), ("spaced", body), ("untitled", THUY_DIEN)]
    assert found[2].title == derive_title(THUY_DIEN)
    [rejected] = [item for item in found if not isinstance(item, Article)]
    assert (rejected.line, rejected.reason) == (4, "no body text")


def test_a_boilerplate_pattern_of_no_texts_matches_nothing_and_of_several_any_one_of_them_whole():
    assert [re.search(_any_of([]), text) for text in ("", "abc")] == [None, None]
    either = _any_of([re.escape("Nguồn:"), "a+b"])
    assert [bool(re.fullmatch(either, text)) for text in ("Nguồn:", "aab", "Nguồn:aab", "ab|", "")] == [
        True, True, False, False, False]


def test_jsonl_article_without_title_gets_the_first_sentence_marked_derived(tmp_path):
    path = jsonl(tmp_path / "untitled.jsonl", [
        {"id": "t1", "body": "Dân trí Từ chỗ là đội có cơ hội rất lớn. SHB Đà Nẵng đã nhận trận thua."},
        {"id": "t2", "title": "   ", "body": VINAMILK},
    ])
    first, second = scan_sources([str(path)])
    assert (first.title, first.title_derived) == ("Dân trí Từ chỗ là đội có cơ hội rất lớn.", True)
    # A first sentence longer than the limit is cut at a word and marked with an ellipsis.
    assert second.title_derived is True
    assert second.title.endswith("…") and len(second.title) <= DERIVED_TITLE_CHARS + 1
    assert VINAMILK.startswith(second.title[:-1])
    assert second.body == VINAMILK


def test_passage_records_with_empty_title_are_articles(tmp_path):
    path = jsonl(tmp_path / "passages.jsonl", [
        {"id": "p-1", "title": "", "text": THUY_DIEN},
        {"id": "p-2", "title": "", "text": VINAMILK},
    ])
    found = list(scan_sources([str(path)]))
    assert [(a.id, a.title_derived, a.body) for a in found] == [("p-1", True, THUY_DIEN), ("p-2", True, VINAMILK)]
    assert [a.title for a in found] == [THUY_DIEN, "Năm 2020, Vinamilk đã vượt qua các thương hiệu trong và ngoài"
                                        " nước khác để dẫn đầu Top 10 thương hiệu mạnh nhất của…"]


def test_jsonl_record_without_id_is_identified_by_url_or_file_and_line(tmp_path):
    path = jsonl(tmp_path / "noid.jsonl", [
        {"title": "Thủy điện nhỏ", "body": THUY_DIEN, "url": "https://dantri.com.vn/b.htm"},
        {"title": "Vinamilk", "body": VINAMILK},
    ])
    assert [a.id for a in scan_sources([str(path)])] == ["https://dantri.com.vn/b.htm", "noid.jsonl#2"]


def test_jsonl_text_is_normalised_to_nfc_and_spaces_collapsed(tmp_path):
    nfd = unicodedata.normalize("NFD", "Thủy điện\u00a0 nhỏ")
    path = jsonl(tmp_path / "nfd.jsonl", [{"id": "n", "title": nfd, "body": nfd + "\r\n\r\n\r\n" + nfd}])
    [article] = scan_sources([str(path)])
    assert article.title == "Thủy điện nhỏ"
    assert article.body == "Thủy điện nhỏ\n\nThủy điện nhỏ"


# Encodings -------------------------------------------------------------------------------


def test_utf8_bom_and_utf16_bom_files_are_read(tmp_path):
    text = PORTAL_TEXT
    (tmp_path / "bom8.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (tmp_path / "bom16.txt").write_bytes(text.encode("utf-16"))
    (tmp_path / "bom16be.txt").write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    record = json.dumps({"id": "j", "title": "Thủy điện nhỏ", "body": THUY_DIEN}, ensure_ascii=False)
    (tmp_path / "bom8.jsonl").write_bytes(b"\xef\xbb\xbf" + (record + "\n").encode("utf-8"))
    (tmp_path / "bom16.jsonl").write_bytes((record.replace('"j"', '"k"') + "\r\n").encode("utf-16"))
    items = list(scan_sources([str(tmp_path)]))
    assert rejections(items) == []
    found = {a.id: (a.title, a.published) for a in articles(items)}
    assert found == {
        "k": ("Thủy điện nhỏ", None),
        "j": ("Thủy điện nhỏ", None),
        "bom8.txt": (PORTAL_TITLE, datetime(2019, 8, 21, 8, 12, tzinfo=ICT)),
        "bom16.txt": (PORTAL_TITLE, datetime(2019, 8, 21, 8, 12, tzinfo=ICT)),
        "bom16be.txt": (PORTAL_TITLE, datetime(2019, 8, 21, 8, 12, tzinfo=ICT)),
    }


# Rejections ------------------------------------------------------------------------------


def test_each_bad_file_is_rejected_by_name_and_the_good_ones_are_read(tmp_path):
    (tmp_path / "a-good.txt").write_bytes(PORTAL_FILE.read_bytes())
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b" \n\n \n")
    (tmp_path / "legacy.txt").write_bytes(cp1258(PORTAL_TEXT))
    (tmp_path / "empty.jsonl").write_bytes(b"\n\n")
    (tmp_path / "z-good.jsonl").write_text(json.dumps({"id": "z", "body": THUY_DIEN}, ensure_ascii=False))
    items = list(scan_sources([str(tmp_path)]))
    assert sorted(a.id for a in articles(items)) == ["a-good.txt", "z"]
    reasons = {Path(r.path).name: r.reason for r in rejections(items)}
    assert set(reasons) == {"binary.txt", "empty.txt", "blank.txt", "legacy.txt", "empty.jsonl"}
    assert "binary" in reasons["binary.txt"]
    assert "empty" in reasons["empty.txt"] and "empty" in reasons["blank.txt"] and "empty" in reasons["empty.jsonl"]
    assert "UTF-8" in reasons["legacy.txt"] and "line 1" in reasons["legacy.txt"]
    for rejection in rejections(items):
        assert str(rejection).startswith(str(tmp_path / Path(rejection.path).name))


def test_non_utf8_bytes_name_the_line_they_are_on(tmp_path):
    text = PORTAL_TEXT.replace("Quang cảnh", "Quang c\udcffnh")
    raw = text.encode("utf-8", "surrogateescape")
    (tmp_path / "bad-byte.txt").write_bytes(raw)
    [rejection] = list(scan_sources([str(tmp_path / "bad-byte.txt")]))
    line = raw[: raw.index(b"\xff")].count(b"\n") + 1
    assert isinstance(rejection, Rejection)
    assert f"line {line}" in rejection.reason


def test_each_bad_jsonl_line_is_rejected_with_its_line_and_the_rest_are_read(tmp_path):
    good = {"id": "ok-1", "title": "Thủy điện nhỏ", "body": THUY_DIEN}
    path = jsonl(tmp_path / "mixed.jsonl", [
        good,                                                           # 1
        "[1, 2, 3]",                                                    # 2 not an object
        '"chuỗi"',                                                      # 3 not an object
        '{"id": "x", "body": "thiếu ngoặc"',                            # 4 invalid JSON
        {"id": "x2", "title": "Không có nội dung"},                     # 5 no body
        {"id": "x3", "title": "Rỗng", "body": "   "},                   # 6 blank body
        {"id": "x4", "title": 5, "body": THUY_DIEN},                    # 7 title not a string
        {"id": "x5", "title": "Hôm qua", "body": THUY_DIEN, "published": "hôm qua"},  # 8 bad date
        b'{"id": "x6", "title": "Th\xe1\xbb\xa7y \xff\xfe", "body": "n\xe1\xbb\x99i dung"}',  # 9 bad UTF-8
        {"id": ["x7"], "body": THUY_DIEN},                              # 10 id not a string
        {"id": "x8", "body": {"text": THUY_DIEN}},                      # 11 body not a string
        b'{"id": "x9", "body": "a\x00b"}',                              # 12 NUL byte
        {"id": "ok-2", "text": VINAMILK},                               # 13
        "",                                                             # 14 blank: skipped
        "null",                                                         # 15 not an object
    ])
    items = list(scan_sources([str(path)]))
    assert [a.id for a in articles(items)] == ["ok-1", "ok-2"]
    rejected = rejections(items)
    assert [r.line for r in rejected] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15]
    assert all(r.path == str(path) for r in rejected)
    by_line = {r.line: r.reason for r in rejected}
    assert "object" in by_line[2] and "JSON" in by_line[4] and "body" in by_line[5]
    assert "title" in by_line[7] and "published" in by_line[8] and "UTF-8" in by_line[9]
    assert "id" in by_line[10]
    assert str(rejected[0]) == f"{path}:2: {by_line[2]}"


def test_unsupported_file_type_given_explicitly_is_rejected_but_skipped_in_a_directory(tmp_path):
    csv = tmp_path / "bai-viet.csv"
    csv.write_text("id,title\n1,Thủy điện nhỏ\n", encoding="utf-8")
    (tmp_path / "good.txt").write_bytes(PORTAL_FILE.read_bytes())
    [rejection] = list(scan_sources([str(csv)]))
    assert isinstance(rejection, Rejection) and rejection.path == str(csv) and ".csv" in rejection.reason
    stats = ScanStats()
    found = list(scan_sources([str(tmp_path)], stats))
    assert [a.id for a in found] == ["good.txt"]
    assert stats.skipped == [str(csv)] and stats.files == 1


def test_missing_source_is_rejected(tmp_path):
    [rejection] = list(scan_sources([str(tmp_path / "khong-co")]))
    assert isinstance(rejection, Rejection) and rejection.path == str(tmp_path / "khong-co")


def test_too_large_file_and_too_long_line_are_rejected(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(PORTAL_FILE.read_bytes())
    small_record = {"id": "s", "title": "Nhỏ", "body": "Thủy điện nhỏ."}
    path = jsonl(tmp_path / "lines.jsonl", [small_record, {"id": "l", "title": "Lớn", "body": PORTAL_TEXT}])
    originals = {file: file.read_bytes() for file in (big, path)}
    items = list(scan_sources([str(tmp_path)], max_bytes=1000))
    assert [a.id for a in articles(items)] == ["s"]
    found = sorted((Path(r.path).name, r.line) for r in rejections(items))
    assert found == [("big.txt", None), ("lines.jsonl", 2)]
    assert all("large" in r.reason or "long" in r.reason for r in rejections(items))
    assert {file: file.read_bytes() for file in originals} == originals, "a rejected file must be left as it was"


def test_symlink_loop_in_a_source_directory_does_not_hang(tmp_path):
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "portal.txt").write_bytes(PORTAL_FILE.read_bytes())
    os.symlink("..", source / "sub" / "loop")
    os.symlink(str(source), source / "self")
    result: list = []
    scanner = threading.Thread(target=lambda: result.extend(scan_sources([str(source)])), daemon=True)
    scanner.start()
    scanner.join(timeout=30)
    assert not scanner.is_alive(), "scanning a directory with a symlink loop did not finish"
    assert [a.id for a in articles(result)] == ["sub/portal.txt"]


# Exact reasons and edges -------------------------------------------------------------------


def test_each_bad_record_is_rejected_with_its_exact_reason(tmp_path):
    path = jsonl(tmp_path / "bad.jsonl", [
        {"id": "x1", "title": "Không có nội dung"},
        {"id": "x2", "body": "   "},
        {"id": "x3", "body": "\u200b \u200b"},  # spaces only once collapsed
        {"id": ["x4"], "body": THUY_DIEN},
        {"id": "x5", "title": 5, "body": THUY_DIEN},
        {"id": "x6", "body": THUY_DIEN, "published": "hôm qua"},
    ])
    reasons = [(r.line, r.reason) for r in scan_sources([str(path)])]
    assert reasons == [
        (1, "no body (expected a non-empty 'body', 'text' or 'content')"),
        (2, "no body (expected a non-empty 'body', 'text' or 'content')"),
        (3, "no body text"),
        (4, "'id' must be a string or number, not list"),
        (5, "'title' must be a string, not int"),
        (6, "'published': unrecognised date 'hôm qua'"),
    ]
    assert [str(r) for r in scan_sources([str(tmp_path / "khong-co.txt")])] == [
        f"{tmp_path / 'khong-co.txt'}: no such file or directory"]


def test_a_record_with_an_empty_id_is_named_by_its_url_or_its_place(tmp_path):
    path = jsonl(tmp_path / "ids.jsonl", [
        {"id": "", "url": "https://kiengiang.gov.vn/chi-thi-05", "body": THUY_DIEN},
        {"id": "", "body": THUY_DIEN},
        {"id": 0, "body": THUY_DIEN},
    ])
    assert [a.id for a in scan_sources([str(path)])] == ["https://kiengiang.gov.vn/chi-thi-05", "ids.jsonl#2", "0"]


LEGACY_HINT = " (legacy Vietnamese encodings such as Windows-1258 or TCVN3 are not read)"


@pytest.mark.parametrize("data, reason", [
    (b"\x00\x01", "binary file (NUL bytes), not UTF-8 text"),
    ("Tiêu đề\nDòng hai\nDòng ba ".encode() + b"\xff",
     "line 3: not valid UTF-8 (byte 31); re-save the file as UTF-8" + LEGACY_HINT),
    # The place in the file, its byte order mark counted.
    (b"\xef\xbb\xbf" + "Tiêu đề\n".encode() + b"\xff",
     "line 2: not valid UTF-8 (byte 15); re-save the file as UTF-8" + LEGACY_HINT),
    (b"\xff\xfe" + "Tiêu đề\n".encode("utf-16-le") + b"\x00\xdc",
     "line 2: not valid UTF-16 (byte 18); re-save the file as UTF-8"),
])
def test_undecodable_text_is_rejected_with_the_line_and_byte_of_the_first_bad_one(data, reason):
    from search.documents import ArticleError, decode_text

    with pytest.raises(ArticleError) as raised:
        decode_text(data)
    assert str(raised.value) == reason


def test_lines_end_with_crlf_or_a_lone_cr_as_with_lf():
    from search.documents import clean_body

    text = "Dòng một \r\n Dòng  hai\rDòng ba\r\n\r\n\r\n\r\nDòng bốn"
    assert clean_body(text) == "Dòng một\nDòng hai\nDòng ba\n\nDòng bốn"


def portal(*lines: str) -> Article:
    """Return the article of a portal page made of lines."""
    return parse_portal_text("\n".join(lines), "trang.txt")


def test_the_portal_header_above_the_date_is_portal_category_title_or_fewer():
    body = VINAMILK
    cases = {
        ("Cổng thông tin điện tử Kiên Giang", "Tin tức", "Tiêu đề"): ("Cổng thông tin điện tử Kiên Giang", "Tin tức"),
        ("Sở Y tế", "Thời sự", "Tiêu đề"): ("Sở Y tế", "Thời sự"),  # three lines: the first is the portal
        ("Tin tức", "Tiêu đề"): (None, "Tin tức"),
        ("Cổng thông tin điện tử Kiên Giang", "Tiêu đề"): ("Cổng thông tin điện tử Kiên Giang", None),
        ("Tiêu đề",): (None, None),
    }
    for header, (portal_name, category) in cases.items():
        article = portal(*header, "(08:12 | 21/08/2019)", body)
        assert (article.portal, article.category, article.title, article.body) == (portal_name, category, "Tiêu đề",
                                                                                    body), header


def test_the_date_line_is_the_first_short_one_below_the_first_line_that_parses():
    assert portal("21/08/2019", "Tiêu đề", "(08:12 | 22/08/2019)", VINAMILK).published == datetime(
        2019, 8, 22, 8, 12, tzinfo=ICT)  # the first line is a title, whatever it holds
    # An impossible date is passed over for the next date line.
    assert portal("Tiêu đề", "(08:12 | 31/02/2019)", "(08:12 | 22/08/2019)", VINAMILK).published == datetime(
        2019, 8, 22, 8, 12, tzinfo=ICT)
    # An ISO date in brackets keeps its own zone.
    assert portal("Tiêu đề", "[2019-08-21T08:12:00+09:00]", VINAMILK).published.utcoffset() == timedelta(hours=9)
    # A date line holds at most 80 characters.
    longest = "ngày " * 14 + "21/08/2019"
    too_long = "ngày " * 11 + "tháng tháng thứ 21/08/2019"
    assert (len(longest), len(too_long)) == (80, 81)
    assert portal("Tiêu đề", longest, "(08:12 | 22/08/2019)", VINAMILK).published == datetime(2019, 8, 21, tzinfo=ICT)
    assert portal("Tiêu đề", too_long, "(08:12 | 22/08/2019)", VINAMILK).published == datetime(
        2019, 8, 22, 8, 12, tzinfo=ICT)


def test_page_furniture_is_a_known_button_line_of_at_most_sixty_characters():
    crumbs = "Trang chủ > Tin tức > Thời sự > Xây dựng Đảng và hệ thống chính trị"
    at_limit, over = crumbs[:60].rstrip(), crumbs[:61].rstrip()
    assert (len(at_limit), len(over)) == (60, 61)
    assert portal("Tiêu đề", at_limit, "(08:12 | 21/08/2019)", VINAMILK).title == "Tiêu đề"
    assert portal("Tiêu đề", over, "(08:12 | 21/08/2019)", VINAMILK).title == over


@pytest.mark.parametrize("last, source", [
    ("Theo Báo Kiên Giang.", "Báo Kiên Giang"),
    ("Theo Xinhua.", "Xinhua"),
    ("Nguồn: vpubnd.kiengiang.gov.vn.", "vpubnd.kiengiang.gov.vn"),
    ("Theo Sở Thông tin và Truyền thông", "Sở Thông tin và Truyền thông"),  # six words
    ("Theo Sở Thông tin và Truyền thông tỉnh", None),  # seven: a sentence
    ("Theo dõi tình hình", None),
    ("Theo Bộ Y tế!", None),
    ("Theo Bộ Y tế?", None),
])
def test_a_last_line_names_the_source_when_it_is_a_site_or_a_short_proper_name(last, source):
    article = portal("Cổng thông tin điện tử Kiên Giang", "Tiêu đề", "(08:12 | 21/08/2019)", VINAMILK, last)
    expected_body = VINAMILK if source else f"{VINAMILK}\n\n{last}"
    assert (article.source, article.body) == (source or "Cổng thông tin điện tử Kiên Giang", expected_body)


@pytest.mark.parametrize("lines, message", [
    (["In bài", "Chia sẻ"], "no text in file"),
    (["Tiêu đề"], "no title or no body found (expected portal, category, title, date, body)"),
    (["Tiêu đề", "(08:12 | 21/08/2019)"], "no title or no body found (expected portal, category, title, date, body)"),
])
def test_a_portal_page_without_text_or_body_says_so(lines, message):
    from search.documents import ArticleError

    with pytest.raises(ArticleError) as raised:
        portal(*lines)
    assert str(raised.value) == message


def test_a_derived_title_is_the_first_sentence_of_the_first_line_cut_after_120_characters():
    from search.documents import derive_title

    words = ("Ủy ban nhân dân tỉnh Kiên Giang ban hành kế hoạch thực hiện Chỉ thị 05 của Bộ Chính trị về học tập "
             "và làm theo")
    exact = words + " tư tưởng,"
    assert len(exact) == DERIVED_TITLE_CHARS  # kept whole
    assert derive_title(exact + "\nDòng sau.") == exact
    # Longer: cut at the last whole word within 120 characters, the comma before the cut left out.
    assert derive_title(words + " Bác, nghiêm túc thực hiện.") == words + " Bác…"
    assert derive_title("Dòng đầu không có dấu chấm\nDòng hai\nDòng ba.") == "Dòng đầu không có dấu chấm"
    assert derive_title("Câu một. Câu hai.") == "Câu một."
