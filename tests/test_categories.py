"""Category names: the values crawlers give for a section read as the section's Vietnamese name."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from search.categories import HOME_PAGES, category_filter, category_name


def table_lines() -> list[list[str]]:
    """Return the shipped table's entries, each a list of its parts (the name first)."""
    text = resources.files("search").joinpath("data/categories.txt").read_text(encoding="utf-8")
    return [[part.strip() for part in line.split("|")] for line in text.splitlines()
            if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("value, name", [
    ("sport", "Thể thao"), ("the-thao", "Thể thao"), ("Thể thao", "Thể thao"), ("  SPORT ", "Thể thao"),
    ("THỂ THAO", "Thể thao"), ("Thê\u0309 thao", "Thể thao"),  # upper case; NFD
    ("business", "Kinh doanh"), ("kinh-doanh", "Kinh doanh"), ("education", "Giáo dục"),
    ("giao-duc-huong-nghiep", "Giáo dục"), ("world", "Thế giới"), ("bong-da", "Bóng đá"),
    ("World Cup 2022", "World Cup 2022"), ("Hoạt động của Đảng - Đoàn thể", "Hoạt động của Đảng - Đoàn thể"),
])
def test_a_sections_values_read_as_its_name_and_other_values_stay_as_given(value, name):
    assert category_name(value) == name


@pytest.mark.parametrize("value, url, name", [
    ("trang-chu", "https://www.24h.com.vn/kinh-doanh/chot-gia-vang-c161a1735167.html", "Kinh doanh"),
    ("Trang chủ", "https://www.24h.com.vn/bong-da/doi-tuyen-c48a1.html", "Bóng đá"),
    ("home", "https://example.vn/the-thao", "Thể thao"),
    ("trang-chu", "https://www.24h.com.vn/media-24h/clip-c1.html", None),  # a segment the table lacks
    ("trang-chu", "https://www.24h.com.vn/", None),
    ("trang-chu", None, None),
    ("sport", "https://www.24h.com.vn/kinh-doanh/x.html", "Thể thao"),  # a section's value wins over its URL
])
def test_a_home_page_given_as_category_reads_as_the_section_its_url_names(value, url, name):
    assert category_name(value, url) == name


@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_category_is_none(value):
    assert category_name(value, "https://www.24h.com.vn/kinh-doanh/x.html") is None


def test_a_filter_names_a_section_by_any_of_its_values_and_keeps_other_values():
    assert [category_filter(v) for v in ("sport", "Thể thao", "none", "trang-chu", "xyz")] == [
        "Thể thao", "Thể thao", "none", "trang-chu", "xyz"]


def test_every_value_of_the_table_names_one_section_whose_name_is_not_a_slug():
    keys: dict[str, str] = {}
    for name, *values in table_lines():
        assert values, name
        for value in (name, *values):
            assert keys.setdefault(value.casefold(), name) == name, value
            assert category_name(value) == name
        assert not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name  # a name is never a slug
    assert not HOME_PAGES & set(keys)
