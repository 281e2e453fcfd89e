"""The HTML pages, parsed as HTML: structure, Vietnamese labels, links that keep state, escaping."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import abort

from search.index import reindex
from tests.helpers import PORTAL_ID
from web.app import TOO_LARGE_ENVIRON_KEY, create_app

EVIL_ID = 'evil/<script>alert("id")</script> ?#&x=1'
URL_ID = "https://example.org//double//slash/bai-viet.htm?x=1&y=<2>#top"
EVIL_TITLE = "<script>alert(1)</script> Cảnh báo an ninh & “mã độc”"
EVIL_BODY = (
    "Bộ Chính trị nhắc lại: đừng tin <img src=x onerror=alert(1)> hay <b>thẻ in đậm</b>.\n"
    "Ký hiệu &amp; và &lt;i&gt; phải hiện nguyên văn, như <a href=\"javascript:alert(2)\">liên kết</a>.\n"
    "Đoạn cuối về an ninh mạng."
)


@pytest.fixture(scope="module")
def client(app_config):
    """Return a test client over the demo corpus (embedded index, then cluster)."""
    return create_app(app_config).test_client()


@pytest.fixture(scope="module")
def evil_client(tmp_path_factory):
    """Return a test client over a tiny index of hostile articles."""
    folder = tmp_path_factory.mktemp("evil")
    records = [
        {"id": EVIL_ID, "title": EVIL_TITLE, "body": EVIL_BODY, "url": "javascript:alert(3)",
         "category": "<i>An ninh</i>", "source": "<svg onload=alert(4)>", "published": "2021-03-04T09:30:00+07:00"},
        {"id": "plain", "title": "An ninh mạng cho doanh nghiệp",
         "body": "Bài thứ hai về an ninh mạng và Bộ Chính trị.",
         "url": "https://example.org/an-ninh?a=1&b=<2>", "category": "Công nghệ", "source": "example.org",
         "published": "2021-03-05T23:30:00+00:00"},
        {"id": "data-url", "title": "Liên kết dữ liệu", "body": "An ninh với liên kết data.",
         "url": "data:text/html,<script>alert(5)</script>", "published": "2021-03-01"},
        # No id: the URL becomes the id, "//" and all.
        {"title": "Bài không có mã", "body": "Bài này lấy địa chỉ làm mã, có hai dấu gạch chéo.",
         "url": URL_ID, "published": "2021-02-01"},
    ]
    source = folder / "evil.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    report = reindex(folder / "index", [str(source)], procs=1)
    assert report.added == 4 and not report.rejected
    return create_app({"INDEX_DIR": str(folder / "index")}).test_client()


def page(client, url: str, status: int = 200) -> BeautifulSoup:
    """GET an HTML page, check its status and type, and return it parsed."""
    response = client.get(url)
    assert response.status_code == status, url
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def params(href: str) -> dict[str, list[str]]:
    """Return the query parameters of a link."""
    return parse_qs(urlsplit(href).query)


def text(node) -> str:
    """Return a node's text with whitespace collapsed."""
    return " ".join(node.get_text(" ").split())


def facet_links(soup: BeautifulSoup, facet: str) -> dict[str, dict]:
    """Return the links of a facet by value: href, selected and count."""
    links = {}
    for a in soup.select(f'a.facet-link[data-facet="{facet}"]'):
        links[a["data-value"]] = {"href": a["href"], "selected": a.get("aria-current") == "true",
                                  "count": int(a.select_one(".facet-count").get_text().replace(".", ""))}
    return links


def assert_no_inline_code(soup: BeautifulSoup) -> None:
    """Check that the page has no inline script, event handler, inline style or javascript: link."""
    for script in soup.find_all("script"):
        assert script.get("src", "").startswith("/static/"), script
        assert not script.string or not script.string.strip(), "inline script"
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), (tag.name, name)
            assert name.lower() != "style", tag.name
            if name in ("href", "src", "action"):
                assert not str(value).strip().lower().startswith(("javascript:", "data:")), (tag.name, value)
    assert not soup.find("style")


# The search page ----------------------------------------------------------------------------


def test_results_page_structure(client):
    soup = page(client, "/?q=bo+chinh+tri")
    assert soup.html["lang"] == "vi"
    assert soup.find("meta", attrs={"name": "viewport"})
    form = soup.find("form", attrs={"role": "search"})
    assert form["method"] == "get" and form["action"] == "/"
    box = form.find("input", attrs={"name": "q"})
    assert box["value"] == "bo chinh tri" and box.has_attr("autofocus")
    assert text(soup.find("label", attrs={"for": box["id"]})) == "Tìm kiếm"
    assert text(form.find("button")) == "Tìm kiếm"
    assert text(soup.find("h1")) == "Kết quả cho “bo chinh tri”"
    # The three articles where the words stand together; the rest is a link away.
    assert re.fullmatch(r"3 kết quả \(\d+,\d ms\)", text(soup.select_one(".stats")))
    hits = soup.select("ol.hits > li.hit")
    assert len(hits) == 3
    wider = soup.select_one("a.wider-tier")
    assert text(wider).startswith("Xem thêm") and params(wider["href"])["match"] == ["all"]
    first = hits[0]
    link = first.select_one("h2 a")
    assert urlsplit(link["href"]).path == f"/articles/{PORTAL_ID}"
    assert params(link["href"])["q"] == ["bo chinh tri"]
    assert "Bộ Chính trị" in [m.get_text() for m in link.find_all("mark")]
    assert text(first.select_one(".meta time")) == "08:12 21/08/2019"
    assert first.select_one(".meta time")["datetime"] == "2019-08-21T08:12:00+07:00"
    assert text(first.select_one(".meta .category")) == "Hoạt động của Đảng - Đoàn thể"
    assert first.select_one(".snippet").find("mark")
    for hit in hits[1:]:
        assert hit.select_one(".hit-url a")["href"].startswith("https://dantri.com.vn/")
    sort = soup.find("nav", attrs={"aria-label": "Sắp xếp"})
    assert [text(a) for a in sort.find_all("a")] == ["Liên quan", "Mới nhất", "Cũ nhất"]
    assert text(sort.find("a", attrs={"aria-current": "true"})) == "Liên quan"
    assert params(sort.find("a", attrs={"data-sort": "newest"})["href"]) == {"q": ["bo chinh tri"], "sort": ["newest"]}
    headings = [text(h) for h in soup.select("aside h3")]
    assert headings == ["Năm", "Chuyên mục", "Nguồn", "Khoảng thời gian"]
    assert_no_inline_code(soup)


def test_suggestion_link(client):
    soup = page(client, "/?q=chinh+tri&year=2020")
    suggestion = soup.select_one(".suggestion")
    assert text(suggestion).startswith("Có phải bạn muốn tìm:")
    link = suggestion.find("a")
    assert text(link) == "chính trị"
    assert params(link["href"]) == {"q": ["chính trị"], "year": ["2020"]}
    assert not page(client, "/?q=" + "chính trị").select_one(".suggestion")


def test_the_suggestion_and_the_search_as_typed_lead_to_the_first_page(client):
    suggestion = page(client, "/?q=chinh+tri&year=2020&page=2").select_one(".suggestion a")
    assert (text(suggestion), suggestion["href"]) == ("chính trị", "/?q=ch%C3%ADnh+tr%E1%BB%8B&year=2020")
    as_typed = page(client, "/?q=xuohg&year=2020&page=2").select_one(".corrected a")
    assert (text(as_typed), as_typed["href"]) == ("xuohg", "/?q=xuohg&year=2020&correct=0")


def test_a_query_that_finds_nothing_shows_its_corrected_query_with_a_link_to_search_as_typed(client):
    # The word chosen (xuống, xương...) follows the top articles' spellings, which rank ties decide.
    searched = client.get("/api/search?q=xuohg&year=2020").get_json()["corrected"]["searched"]
    soup = page(client, "/?q=xuohg&year=2020")
    corrected = page(client, f"/?q={quote(searched)}&year=2020")
    assert [a["href"] for a in soup.select("h2 a, h3 a") if "/articles/" in a["href"]] == [
        a["href"].replace(f"q={quote(searched)}", "q=xuohg") for a in corrected.select("h2 a, h3 a")
        if "/articles/" in a["href"]]
    assert text(soup.select_one(".total")) == text(corrected.select_one(".total")) != "0"
    assert f"Không có bài nào chứa đủ các từ “xuohg”: hiển thị kết quả cho “{searched}”." in [
        text(p) for p in soup.select(".notice")]
    assert not soup.select_one(".suggestion")
    link = soup.select_one(".corrected a")
    assert text(link) == "xuohg" and params(link["href"]) == {"q": ["xuohg"], "year": ["2020"], "correct": ["0"]}
    as_typed = page(client, link["href"])
    assert text(as_typed.select_one(".total")) == "0" and not as_typed.select_one(".corrected")
    assert text(as_typed.select_one(".suggestion a")) == searched
    # A new query from that page is corrected again.
    assert "correct" not in {field["name"] for field in as_typed.select('form[role="search"] input[type="hidden"]')}


def test_total_and_vietnamese_number_format(client):
    soup = page(client, "/")
    assert text(soup.find("h1")) == "Bài viết mới nhất"
    assert text(soup.select_one(".stats .total")) == "201"
    sort = soup.find("nav", attrs={"aria-label": "Sắp xếp"})
    assert [text(a) for a in sort.find_all("a")] == ["Mới nhất", "Cũ nhất"]
    assert text(sort.find("a", attrs={"aria-current": "true"})) == "Mới nhất"


def test_year_then_month_facets_add_and_remove_filters(client):
    soup = page(client, "/?q=viet+nam")
    total = int(text(soup.select_one(".stats .total")))
    assert not soup.select('a.facet-link[data-facet="month"]'), "months appear once a year is chosen"
    years = facet_links(soup, "year")
    assert params(years["2020"]["href"]) == {"q": ["viet nam"], "year": ["2020"]}

    soup = page(client, years["2020"]["href"])
    year_total = int(text(soup.select_one(".stats .total")))
    assert year_total == years["2020"]["count"] < total
    years = facet_links(soup, "year")
    assert years["2020"]["selected"] and params(years["2020"]["href"]) == {"q": ["viet nam"]}
    months = facet_links(soup, "month")
    assert months and sum(m["count"] for m in months.values()) == year_total
    assert [text(h) for h in soup.select("aside h3")][:2] == ["Năm", "Tháng"]
    chips = soup.select("ul.chips a.chip")
    assert text(chips[0]).startswith("Năm: 2020")

    soup = page(client, months["2020-11"]["href"])
    assert params(months["2020-11"]["href"]) == {"q": ["viet nam"], "year": ["2020"], "month": ["2020-11"]}
    month_total = int(text(soup.select_one(".stats .total")))
    assert month_total == months["2020-11"]["count"] < year_total
    for time in soup.select(".hit .meta time"):
        assert time["datetime"].startswith("2020-11")
    selected = facet_links(soup, "month")["2020-11"]
    assert selected["selected"] and params(selected["href"]) == {"q": ["viet nam"], "year": ["2020"]}
    # Removing the year removes its month as well.
    assert params(facet_links(soup, "year")["2020"]["href"]) == {"q": ["viet nam"]}


def test_category_facets_add_and_remove_values(client):
    soup = page(client, "/?q=viet+nam")
    categories = facet_links(soup, "category")
    one = page(client, categories["Thể thao"]["href"])
    assert int(text(one.select_one(".stats .total"))) == categories["Thể thao"]["count"]
    after = facet_links(one, "category")
    assert after["Thể thao"]["selected"]
    both_href = after["Du lịch"]["href"]
    assert params(both_href)["category"] == ["Thể thao", "Du lịch"]
    both = page(client, both_href)
    expected = categories["Thể thao"]["count"] + categories["Du lịch"]["count"]
    assert int(text(both.select_one(".stats .total"))) == expected
    removed = facet_links(both, "category")["Thể thao"]["href"]
    assert params(removed)["category"] == ["Du lịch"]
    clear = both.select_one("a.chip-clear")["href"]
    assert params(clear) == {"q": ["viet nam"]}


def test_date_range_form_keeps_other_parameters(client):
    soup = page(client, "/?q=viet+nam&category=Th%E1%BB%83+thao&sort=newest&page=2&to=2020-11-15")
    form = soup.select_one("form.date-range")
    assert form["method"] == "get" and form["action"] == "/"
    labels = {text(label): label["for"] for label in form.find_all("label")}
    assert set(labels) == {"Từ ngày (ngày/tháng/năm)", "Đến ngày (ngày/tháng/năm)"}
    # Text fields, not the browser's date picker: they show dd/mm/yyyy whatever the browser's locale.
    start = form.find("input", id=labels["Từ ngày (ngày/tháng/năm)"])
    assert (start["type"], start["value"], start["placeholder"]) == ("text", "", "dd/mm/yyyy")
    assert form.find("input", id=labels["Đến ngày (ngày/tháng/năm)"])["value"] == "15/11/2020"
    hidden = sorted((i["name"], i["value"]) for i in form.find_all("input", type="hidden"))
    assert hidden == [("category", "Thể thao"), ("q", "viet nam"), ("sort", "newest")]
    search_form = soup.find("form", attrs={"role": "search"})
    hidden = sorted((i["name"], i["value"]) for i in search_form.find_all("input", type="hidden"))
    assert hidden == [("category", "Thể thao"), ("sort", "newest"), ("to", "2020-11-15")]
    chips = [text(a) for a in soup.select("ul.chips a.chip")]
    assert any(chip.startswith("Đến ngày: 15/11/2020") for chip in chips)


def hidden_fields(form) -> list[tuple[str, str]]:
    """Return a form's hidden inputs as (name, value) pairs, in page order."""
    return [(field["name"], field["value"]) for field in form.find_all("input", type="hidden")]


def test_a_new_query_starts_from_the_default_tier_and_correction_and_a_new_date_range_keeps_both(client):
    soup = page(client, "/?q=bo+chinh+tri&match=all&correct=0&year=2019&category=X%C3%A3+h%E1%BB%99i&sort=newest"
                        "&from=01/01/2019&page=2")
    assert hidden_fields(soup.find("form", attrs={"role": "search"})) == [
        ("sort", "newest"), ("from", "2019-01-01"), ("year", "2019"), ("category", "Xã hội")]
    assert hidden_fields(soup.select_one("form.date-range")) == [
        ("q", "bo chinh tri"), ("sort", "newest"), ("match", "all"), ("year", "2019"), ("category", "Xã hội"),
        ("correct", "0")]


def test_a_page_past_the_last_links_back_to_the_first_page_of_the_same_search(client):
    soup = page(client, "/?q=bo+chinh+tri&year=2020&page=50")
    assert text(soup.select_one(".empty h2")) == "Trang 50 không có kết quả"
    assert text(soup.select_one(".empty p")) == "Chỉ có 1 trang kết quả. Về trang đầu"
    assert soup.select_one(".empty a")["href"] == "/?q=bo+chinh+tri&year=2020"


def test_the_results_page_draws_its_hits_by_year_each_bar_choosing_its_year(client):
    figure = page(client, "/?q=bo+chinh+tri").select_one("figure.timeline")
    assert text(figure.figcaption) == "Số kết quả theo năm"
    assert [(text(bar), bar.a["href"]) for bar in figure.select("li")] == [
        ("2019 Năm 2019: 1 kết quả", "/?q=bo+chinh+tri&year=2019"),
        ("2020 Năm 2020: 2 kết quả", "/?q=bo+chinh+tri&year=2020")]


def test_pagination(client):
    soup = page(client, "/?q=viet+nam")
    nav = soup.find("nav", attrs={"aria-label": "Phân trang"})
    assert nav.find(class_="prev").name == "span"
    next_link = nav.find("a", attrs={"rel": "next"})
    assert text(next_link) == "Trang sau ›" and params(next_link["href"])["page"] == ["2"]
    assert text(nav.find("a", attrs={"aria-current": "page"})) == "1"
    second = page(client, next_link["href"])
    nav = second.find("nav", attrs={"aria-label": "Phân trang"})
    assert text(nav.find("a", attrs={"aria-current": "page"})) == "2"
    previous = nav.find("a", attrs={"rel": "prev"})
    assert text(previous) == "‹ Trang trước" and "page" not in params(previous["href"])
    assert second.select_one("ol.hits")["start"] == "11"
    total = int(text(soup.select_one(".stats .total")).replace(".", ""))
    assert text(second.select_one(".stats .page-of")) == f"· Trang 2/{math.ceil(total / 10)}"
    first_ids = {a["href"] for a in soup.select(".hit h2 a")}
    assert not first_ids & {a["href"] for a in second.select(".hit h2 a")}


def test_every_link_of_a_results_page_works(client):
    soup = page(client, "/?q=viet+nam&year=2020")
    hrefs = {a["href"] for a in soup.find_all("a", href=True) if a["href"].startswith("/")}
    assert len(hrefs) > 30
    for href in sorted(hrefs):
        assert client.get(href).status_code == 200, href


def test_empty_results_state(client):
    soup = page(client, "/?q=xyzzyqwv")
    assert text(soup.select_one(".empty h2")) == "Không tìm thấy kết quả nào cho “xyzzyqwv”"
    assert not soup.select("ol.hits") and not soup.find("nav", attrs={"aria-label": "Phân trang"})
    assert re.fullmatch(r"0 kết quả \(\d+,\d ms\)", text(soup.select_one(".stats")))
    filtered = page(client, "/?year=2019&category=Th%E1%BB%83+thao")
    assert "Không có bài viết nào" in text(filtered.select_one(".empty"))
    assert filtered.select_one(".empty a")["href"] == "/"


def notices(soup: BeautifulSoup) -> list[str]:
    """Return the notices a results page shows."""
    return [text(p) for p in soup.select("#results .notice")]


def test_a_document_number_no_article_cites_shows_an_empty_page_naming_it(client):
    soup = page(client, "/?q=quy%E1%BA%BFt+%C4%91%E1%BB%8Bnh+s%E1%BB%91+15/2021/Q%C4%90-TTg")
    assert text(soup.select_one(".total")) == "0" and not soup.select("h2 a, h3 a")
    assert notices(soup) == ["Không có bài nào nhắc đến “15/2021/QĐ-TTg”."]
    cited = page(client, "/?q=quy%E1%BA%BFt+%C4%91%E1%BB%8Bnh+281/Q%C4%90-TTg")
    assert text(cited.select_one(".total")) == "1" and not notices(cited)


def test_unusable_parameters_fall_back_to_their_defaults_with_a_gentle_notice(client):
    soup = page(client, "/?q=viet+nam&page=abc&sort=hot&year=2020&month=13&size=-4")
    clean = page(client, "/?q=viet+nam&year=2020")
    assert text(soup.select_one(".stats .page-of")) == text(clean.select_one(".stats .page-of"))
    assert text(soup.select_one(".stats .page-of")).startswith("· Trang 1/")
    assert [a["href"] for a in soup.select(".hit h2 a")] == [a["href"] for a in clean.select(".hit h2 a")]
    assert soup.select_one("ol.hits")["start"] == "1" and len(soup.select(".hit")) == 10
    assert soup.select_one(".sort a.current")["data-sort"] == "relevance"
    assert sorted(notices(soup)) == sorted([
        "Số trang “abc” không dùng được nên đang hiển thị trang 1.",
        "Cách sắp xếp “hot” không dùng được nên đang sắp xếp mặc định.",
        "Số kết quả mỗi trang “-4” không dùng được nên đang dùng mặc định.",
        "Tháng “13” không dùng được nên chưa lọc theo tháng.",
    ])
    # The filter that was usable stays.
    assert next(text(chip) for chip in soup.select("ul.chips a.chip")).startswith("Năm: 2020")
    assert "Traceback" not in str(soup)


def test_the_api_keeps_refusing_the_parameters_the_page_forgives(client):
    response = client.get("/api/search?q=viet+nam&page=abc")
    assert response.status_code == 400
    assert response.get_json()["error"]["param"] == "page"


def test_dates_are_read_as_dd_mm_yyyy_or_iso_and_shown_as_dd_mm_yyyy(client):
    typed = page(client, "/?q=viet+nam&from=1%2F11%2F2020&to=15-11-2020")
    iso = page(client, "/?q=viet+nam&from=2020-11-01&to=2020-11-15")
    for soup in (typed, iso):
        assert (soup.select_one("#from")["value"], soup.select_one("#to")["value"]) == ("01/11/2020", "15/11/2020")
        assert [text(chip).split(" ✕")[0] for chip in soup.select("ul.chips a.chip")][:2] == [
            "Từ ngày: 01/11/2020", "Đến ngày: 15/11/2020"]
        assert not notices(soup)
    assert text(typed.select_one(".stats .total")) == text(iso.select_one(".stats .total"))
    assert [a["href"] for a in typed.select(".hit h2 a")] == [a["href"] for a in iso.select(".hit h2 a")]


def test_a_reversed_date_range_is_swapped_with_a_notice(client):
    reversed_range = page(client, "/?q=viet+nam&from=15%2F11%2F2020&to=01%2F11%2F2020")
    in_order = page(client, "/?q=viet+nam&from=2020-11-01&to=2020-11-15")
    assert notices(reversed_range) == ["Ngày bắt đầu sau ngày kết thúc nên đã đổi chỗ: từ 01/11/2020 đến 15/11/2020."]
    assert int(text(reversed_range.select_one(".stats .total"))) > 0
    assert text(reversed_range.select_one(".stats .total")) == text(in_order.select_one(".stats .total"))
    assert (reversed_range.select_one("#from")["value"], reversed_range.select_one("#to")["value"]) == (
        "01/11/2020", "15/11/2020")


@pytest.mark.parametrize("typed, message", [
    ("31/02/2020", "Không có ngày 31/02/2020. Nhập ngày theo dạng ngày/tháng/năm, ví dụ 31/12/2020."),
    ("2019-13-45", "Không có ngày 45/13/2019. Nhập ngày theo dạng ngày/tháng/năm, ví dụ 31/12/2020."),
    ("hôm qua", "“hôm qua” không phải là ngày. Nhập ngày theo dạng ngày/tháng/năm, ví dụ 31/12/2020."),
])
def test_an_impossible_date_gets_a_message_next_to_its_field(client, typed, message):
    soup = page(client, "/?q=viet+nam&from=" + typed.replace("/", "%2F") + "&to=15%2F11%2F2020")
    field = soup.select_one("#from")
    assert field["value"] == typed and field["aria-invalid"] == "true"
    error = soup.find(id=field["aria-describedby"])
    assert text(error) == message
    assert error.find_parent(class_="field") is field.find_parent(class_="field")
    # The filters open by themselves so that the message is seen; the valid end date still applies.
    assert soup.select_one("details.filters").has_attr("open")
    assert notices(soup) == [f"Ngày “{typed}” không dùng được nên chưa lọc từ ngày đó."]
    assert next(text(chip).split(" ✕")[0] for chip in soup.select("ul.chips a.chip")) == "Đến ngày: 15/11/2020"


def test_works_without_javascript(client):
    home = page(client, "/")
    form = home.find("form", attrs={"role": "search"})
    assert form["method"] == "get"
    # Submitting the form without JavaScript is a plain GET with the box's name.
    query = {form.find("input", type="search")["name"]: "ha noi"}
    result = page(client, "/?" + "&".join(f"{k}={v}" for k, v in query.items()))
    assert result.select("ol.hits > li")
    scripts = home.find_all("script")
    assert [s["src"] for s in scripts] == ["/static/autocomplete.js"] and all(s.has_attr("defer") for s in scripts)
    stylesheet = home.find("link", rel="stylesheet")["href"]
    assert client.get(stylesheet).status_code == 200
    addresses = [tag.get("href") or tag.get("src") or "" for tag in home.find_all(["link", "script", "img"])]
    assert not [address for address in addresses if "//" in address]


# The article page -----------------------------------------------------------------------------


def test_article_page_highlights_and_links_back(client):
    soup = page(client, f"/articles/{PORTAL_ID}?q=bo+chinh+tri&year=2019&page=1")
    assert soup.html["lang"] == "vi"
    title = soup.find("h1")
    assert "Bộ Chính trị" in [m.get_text() for m in title.find_all("mark")]
    body_marks = [m.get_text() for m in soup.select(".article-body mark")]
    assert body_marks.count("Bộ Chính trị") >= 2
    assert len(soup.select(".article-body p")) > 5
    back = soup.select_one("a.back-link")
    assert text(back).startswith("← Quay lại kết quả")
    assert urlsplit(back["href"]).path == "/" and params(back["href"]) == {"q": ["bo chinh tri"], "year": ["2019"]}
    assert text(soup.select_one(".meta time")) == "08:12 21/08/2019"
    assert text(soup.select_one(".portal")) == "Cổng thông tin điện tử Kiên Giang"
    assert_no_inline_code(soup)
    plain = page(client, f"/articles/{PORTAL_ID}")
    assert not plain.find("mark") and text(plain.select_one("a.back-link")) == "← Trang tìm kiếm"


def test_article_page_for_a_bad_link_still_shows_the_article(client):
    soup = page(client, f"/articles/{PORTAL_ID}?q=bo+chinh+tri&page=-5")
    assert soup.find("h1").find("mark")
    assert params(soup.select_one("a.back-link")["href"]) == {"q": ["bo chinh tri"]}


def test_an_article_page_marks_the_query_as_its_match_parameter_asks(client):
    def title_marks(match: str) -> list[str]:
        soup = page(client, f"/articles/{PORTAL_ID}?q=B%E1%BB%99+Ch%C3%ADnh+tr%E1%BB%8B&match={match}")
        return [mark.get_text() for mark in soup.find("h1").find_all("mark")]

    assert title_marks("auto") == ["Bộ Chính trị"]
    assert title_marks("all") == ["bộ", "Bộ Chính trị"]


def test_a_bad_link_without_a_query_shows_the_article_unmarked_with_the_way_to_the_search_page(client):
    soup = page(client, f"/articles/{PORTAL_ID}?page=-5")
    assert not soup.find("mark")
    back = soup.select_one("a.back-link")
    assert (text(back), back["href"]) == ("← Trang tìm kiếm", "/")


def test_an_article_page_links_its_related_articles_keeping_the_search(demo_index, engine):
    # Related articles come from the embedded index only (a cluster's page lists none).
    embedded = create_app({"INDEX_DIR": str(demo_index)}).test_client()
    soup = page(embedded, f"/articles/{PORTAL_ID}?q=bo+chinh+tri&year=2019")
    assert text(soup.select_one(".related h2")) == "Bài liên quan"
    related = engine.related(PORTAL_ID)
    assert related
    assert [(text(a), a["href"]) for a in soup.select(".related li a")] == [
        (item["title"], f"/articles/{quote(item['id'], safe='/')}?q=bo+chinh+tri&year=2019") for item in related]


@pytest.mark.parametrize("method, url, headers, status, title, message", [
    ("GET", "/khong-co-trang-nay?q=" + "ă" * 300, {}, 404, "Không tìm thấy trang", "Trang bạn tìm không tồn tại."),
    ("POST", "/", {}, 405, "Phương thức không được hỗ trợ", "Phương thức này không được hỗ trợ."),
    ("GET", "/static/style.css", {"Range": "bytes=999999-"}, 416, "Đã xảy ra lỗi",
     "Phần dữ liệu được yêu cầu nằm ngoài tệp."),
    # What web.server hands over for a request line gunicorn found too long.
    ("GET", "/?q=a", {}, 414, "Địa chỉ quá dài",
     "Địa chỉ của yêu cầu quá dài. Hãy rút ngắn từ khóa (tối đa 256 ký tự) hoặc bớt bộ lọc."),
])
def test_an_http_error_page_gives_its_vietnamese_title_and_message_and_at_most_200_characters_of_the_query(
        client, method, url, headers, status, title, message):
    environ = {TOO_LARGE_ENVIRON_KEY: status} if status == 414 else {}
    response = client.open(url, method=method, headers=headers, environ_base=environ)
    assert response.status_code == status and response.mimetype == "text/html"
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert [text(soup.find("h1")), text(soup.select_one(".error-message"))] == [title, message]
    assert soup.find("input", id="q")["value"] == parse_qs(urlsplit(url).query).get("q", [""])[0][:200]


def test_an_http_error_without_a_message_of_its_own_gets_a_vietnamese_one_never_its_english_name(app_config):
    app = create_app(app_config)
    app.add_url_rule("/teapot", "teapot", lambda: abort(418))  # one the app never raises itself
    soup = page(app.test_client(), "/teapot", status=418)
    assert [text(soup.find("h1")), text(soup.select_one(".error-message"))] == [
        "Đã xảy ra lỗi", "Máy chủ không thể đáp ứng yêu cầu này."]
    answer = app.test_client().get("/teapot", headers={"Accept": "application/json"})
    assert (answer.status_code, answer.mimetype) == (418, "text/html")  # a page's address answers with a page


def test_unknown_article_page_is_404(client):
    soup = page(client, "/articles/no-such-article", status=404)
    assert text(soup.find("h1")) == "Không tìm thấy bài viết"
    assert text(soup.select_one(".error-message")) == "Không tìm thấy bài viết này. Có thể bài đã bị xóa khỏi chỉ mục."
    assert soup.find("a", string="Về trang tìm kiếm")["href"] == "/"


# Escaping -----------------------------------------------------------------------------------


def test_hostile_text_is_escaped_on_the_results_page(evil_client):
    soup = page(evil_client, "/?q=an+ninh")
    assert_no_inline_code(soup)
    main = soup.find("main")
    assert not main.find_all(["script", "img", "svg", "b", "i", "iframe"])
    hits = {text(h.select_one("h2")): h for h in main.select("li.hit")}
    evil = next(h for title, h in hits.items() if "alert(1)" in title)
    assert "<script>alert(1)</script> Cảnh báo" in evil.select_one("h2").get_text()
    assert {tag.name for tag in evil.select_one("h2 a").find_all(True)} <= {"mark"}
    for hit in main.select("li.hit"):
        assert {tag.name for tag in hit.select_one(".snippet").find_all(True)} <= {"mark"}
    assert not evil.select(".hit-url"), "a javascript: URL is never a link"
    assert text(evil.select_one(".meta .category")) == "<i>An ninh</i>"
    assert text(evil.select_one(".meta .source")) == "<svg onload=alert(4)>"
    assert "<i>An ninh</i>" in facet_links(soup, "category")
    plain = next(h for title, h in hits.items() if title.startswith("An ninh mạng"))
    assert plain.select_one(".hit-url a")["href"] == "https://example.org/an-ninh?a=1&b=<2>"
    assert text(plain.select_one(".meta time")) == "06:30 06/03/2021", "dates are shown in Vietnam time"
    data = next(h for title, h in hits.items() if title.startswith("Liên kết"))
    assert not data.select(".hit-url")


def test_hostile_text_is_escaped_in_snippets(evil_client):
    soup = page(evil_client, "/?q=" + "đừng tin ký hiệu nguyên văn")
    snippet = soup.select_one("li.hit .snippet")
    assert {tag.name for tag in snippet.find_all(True)} == {"mark"}
    assert "<img src=x onerror=alert(1)>" in snippet.get_text()
    assert "<b>thẻ in đậm</b>" in snippet.get_text()
    assert "&amp;" in snippet.get_text() and "&lt;i&gt;" in snippet.get_text()


def test_hostile_text_is_escaped_on_the_article_page(evil_client):
    results = page(evil_client, "/?q=bo+chinh+tri")
    link = next(a["href"] for a in results.select(".hit h2 a") if "alert(1)" in a.get_text())
    assert evil_client.get(link).status_code == 200
    soup = page(evil_client, link)
    assert_no_inline_code(soup)
    article = soup.select_one("article")
    assert {tag.name for tag in article.select_one("h1").find_all(True)} <= {"mark"}
    assert soup.find("h1").get_text() == EVIL_TITLE
    body = article.select_one(".article-body")
    assert {tag.name for tag in body.find_all(True)} == {"p", "mark"}
    assert [p.get_text() for p in body.find_all("p")] == EVIL_BODY.split("\n")
    assert "Bộ Chính trị" in [m.get_text() for m in body.find_all("mark")]
    assert text(article.select_one(".origin-text")) == "javascript:alert(3)"
    assert not [a for a in soup.find_all("a", href=True) if "alert" in a["href"] and "/articles/" not in a["href"]]


def test_ids_with_any_characters_round_trip(evil_client):
    soup = page(evil_client, "/?q=canh+bao")
    href = soup.select_one(".hit h2 a")["href"]
    assert "<" not in href and " " not in href and "#" not in urlsplit(href).path
    response = evil_client.get(href)
    assert response.status_code == 200
    api = evil_client.get("/api/articles/" + urlsplit(href).path.removeprefix("/articles/"))
    assert api.get_json()["id"] == EVIL_ID


def test_url_ids_with_double_slashes_round_trip(evil_client):
    soup = page(evil_client, "/?q=" + "bài không có mã")
    href = soup.select_one(".hit h2 a")["href"]
    assert urlsplit(href).path.startswith("/articles/https:%2F%2Fexample.org%2F%2Fdouble%2F%2Fslash%2F")
    article = page(evil_client, href)
    assert text(article.find("h1")) == "Bài không có mã"
    assert article.select_one(".origin a")["href"] == URL_ID
    api = evil_client.get("/api/articles/" + urlsplit(href).path.removeprefix("/articles/"))
    assert api.status_code == 200 and api.get_json()["id"] == URL_ID


# Ids a browser or proxy would change if their slashes went into the URL as they are.
DOT_IDS = {"x/../y": "Bài có mã x/../y", "y": "Bài có mã y", "./z": "Bài có mã ./z", "a/./b": "Bài có mã a/./b",
           "/tuyệt-đối": "Bài có mã bắt đầu bằng gạch chéo", "thư-mục/": "Bài có mã kết thúc bằng gạch chéo"}


@pytest.fixture(scope="module")
def dot_client(tmp_path_factory):
    """Return a test client over articles whose ids hold dot segments and odd slashes."""
    folder = tmp_path_factory.mktemp("dots")
    records = [{"id": doc_id, "title": title, "body": f"Nội dung thử nghiệm đường dẫn của {title}."}
               for doc_id, title in DOT_IDS.items()]
    source = folder / "dots.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    assert reindex(folder / "index", [str(source)], procs=1).added == len(DOT_IDS)
    return create_app({"INDEX_DIR": str(folder / "index")}).test_client()


def as_a_browser_sends(href: str) -> str:
    """Return the path and query a browser requests for a link (dot segments resolved)."""
    resolved = urlsplit(urljoin("http://127.0.0.1:8000/?q=x", href))
    return resolved.path + ("?" + resolved.query if resolved.query else "")


@pytest.mark.parametrize("doc_id", sorted(DOT_IDS))
def test_result_links_reach_their_article_whatever_slashes_and_dots_the_id_holds(dot_client, doc_id):
    soup = page(dot_client, "/?q=thu+nghiem+duong+dan&size=50")
    links = {text(a): a["href"] for a in soup.select(".hit h2 a")}
    article = page(dot_client, as_a_browser_sends(links[DOT_IDS[doc_id]]))
    assert text(article.find("h1")) == DOT_IDS[doc_id]
    path = urlsplit(links[DOT_IDS[doc_id]]).path.replace("/articles/", "/api/articles/", 1)
    assert dot_client.get(as_a_browser_sends(path)).get_json()["id"] == doc_id


# Every page that echoes the query, asked with a query full of markup ------------------------------

HOSTILE_QUERY = "<script>alert(1)</script> bộ chính trị <img src=x onerror=alert(2)> <b>đậm</b> &amp; &lt;i&gt;"
# Matches nothing, so the page shows its "no results" message with the query in it.
HOSTILE_NOTHING = "<script>qzxw()</script><svg onload=qzxv()>qwxzvkhongco</svg>"
MARKUP_TAGS = ["script", "img", "svg", "b", "i", "iframe", "style"]


def assert_query_shown_as_text(soup: BeautifulSoup, q: str) -> None:
    """Check that the page echoes q as text and in its search box, and runs none of its markup."""
    assert_no_inline_code(soup)
    assert [tag.name for tag in soup.find_all(MARKUP_TAGS) if tag.name != "script" or not tag.get("src")] == []
    assert soup.find("input", attrs={"name": "q"})["value"] == q


@pytest.mark.parametrize("url", ["/?q={q}", "/?q={q}&year=2019", "/?q={q}&sort=newest&page=2"])
def test_results_page_shows_a_query_full_of_markup_as_text(client, url):
    soup = page(client, url.format(q=quote(HOSTILE_QUERY)))
    assert_query_shown_as_text(soup, HOSTILE_QUERY)
    assert text(soup.find("h1")) == f"Kết quả cho “{' '.join(HOSTILE_QUERY.split())}”"
    assert soup.find("title").get_text().startswith(f"{HOSTILE_QUERY} – Tìm kiếm")


def test_result_links_carry_a_query_full_of_markup_as_data(client):
    soup = page(client, "/?q=" + quote(HOSTILE_QUERY))
    links = [a["href"] for a in soup.select("li.hit h2 a")]
    assert links and all(params(href)["q"] == [HOSTILE_QUERY] for href in links)
    assert soup.select("li.hit .snippet mark")


def test_no_results_page_shows_a_query_full_of_markup_as_text(client):
    soup = page(client, "/?q=" + quote(HOSTILE_NOTHING))
    assert_query_shown_as_text(soup, HOSTILE_NOTHING)
    assert text(soup.select_one(".empty h2")) == f"Không tìm thấy kết quả nào cho “{HOSTILE_NOTHING}”"
    assert soup.find("title").get_text().startswith(HOSTILE_NOTHING)


def test_article_page_shows_a_query_full_of_markup_as_text(client):
    soup = page(client, f"/articles/{PORTAL_ID}?q={quote(HOSTILE_QUERY)}")
    assert_query_shown_as_text(soup, HOSTILE_QUERY)
    assert text(soup.select_one("a.back-link")) == f"← Quay lại kết quả cho “{' '.join(HOSTILE_QUERY.split())}”"
    assert f"“{HOSTILE_QUERY}”" in soup.select_one(".highlight-note").get_text()
    assert "Bộ Chính trị" in [m.get_text() for m in soup.select(".article-body mark")]


@pytest.mark.parametrize("url, status", [
    ("/articles/no-such-article?q={q}", 404), ("/khong-co-trang-nay?q={q}", 404),
])
def test_error_pages_show_a_query_full_of_markup_as_text(client, url, status):
    soup = page(client, url.format(q=quote(HOSTILE_QUERY)), status=status)
    assert_query_shown_as_text(soup, HOSTILE_QUERY)
    assert text(soup.select_one(".error-status")) == f"Mã lỗi: {status}"


@pytest.mark.parametrize("param", ["page", "from", "year"])
def test_notices_and_date_messages_show_a_parameter_full_of_markup_as_text(client, param):
    # The page forgives an unusable parameter and names its value: as text, never as markup.
    soup = page(client, f"/?q={quote(HOSTILE_QUERY)}&{param}={quote(HOSTILE_NOTHING)}")
    assert_query_shown_as_text(soup, HOSTILE_QUERY)
    # The query's unknown words (script, alert, onerror ...) also reach the typo-correction bound,
    # and no article holds half of its words (it is answered from those holding a fifth).
    assert [f"“{HOSTILE_NOTHING[:40]}”" in notice for notice in notices(soup)] == [True, False, False]
    assert notices(soup)[1:] == ["Truy vấn có quá nhiều từ lạ: chỉ kiểm tra chính tả vài từ đầu tiên.",
                                 "Không đủ kết quả chứa tất cả các từ: hiển thị cả kết quả chứa một phần các từ."]
    if param == "from":
        assert soup.select_one("#from")["value"] == HOSTILE_NOTHING[:40]
        assert HOSTILE_NOTHING[:40] in text(soup.select_one("#from-error"))


def test_page_without_an_index_shows_a_query_full_of_markup_as_text(tmp_path):
    missing = create_app({"INDEX_DIR": str(tmp_path / "no-index")}).test_client()
    soup = page(missing, "/?q=" + quote(HOSTILE_QUERY), status=503)
    assert_query_shown_as_text(soup, HOSTILE_QUERY)


# Line breaks and odd URLs ---------------------------------------------------------------------

LINE_BREAK_BODY = "Hội nghị của Bộ Chính\ntrị diễn ra ở Hà Nội.\nĐoạn hai không có gì."
CONTROL_URLS = {"tab": "https://example.org/a\tb", "nul": "https://example.org/\x00x", "del": "https://example.org/\x7f",
                "newline": "https://example.org/a\nb", "plain": "https://example.org/binh-thuong"}


@pytest.fixture(scope="module")
def odd_client(tmp_path_factory):
    """Return a test client over articles with a phrase across a line break and URLs with control characters."""
    folder = tmp_path_factory.mktemp("odd")
    records = [{"id": "line-break", "title": "Hội nghị", "body": LINE_BREAK_BODY}]
    records += [{"id": f"url-{name}", "title": f"Địa chỉ {name}", "body": f"Bài có địa chỉ lạ {name}.", "url": url}
                for name, url in CONTROL_URLS.items()]
    source = folder / "odd.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    assert reindex(folder / "index", [str(source)], procs=1).added == len(records)
    return create_app({"INDEX_DIR": str(folder / "index")}).test_client()


def test_a_phrase_marked_across_a_line_break_is_closed_and_reopened_in_each_paragraph(odd_client):
    soup = page(odd_client, "/articles/line-break?q=" + quote('"bộ chính trị"'))
    paragraphs = soup.select(".article-body p")
    assert [p.get_text() for p in paragraphs] == LINE_BREAK_BODY.split("\n")
    assert [[m.get_text() for m in p.find_all("mark")] for p in paragraphs] == [["Bộ Chính"], ["trị"], []]
    assert {tag.name for tag in soup.select_one(".article-body").find_all(True)} == {"p", "mark"}


@pytest.mark.parametrize("name", sorted(CONTROL_URLS))
def test_a_url_with_control_characters_is_never_a_link(odd_client, name):
    soup = page(odd_client, "/?q=" + quote(f"địa chỉ lạ {name}"))
    hit = next(h for h in soup.select("li.hit") if text(h.select_one("h2")) == f"Địa chỉ {name}")
    links = [a["href"] for a in hit.select(".hit-url a")]
    article = page(odd_client, f"/articles/url-{name}")
    origin = [a["href"] for a in article.select(".origin a")]
    if name == "plain":
        assert links == origin == [CONTROL_URLS[name]]
    else:
        assert links == origin == [], CONTROL_URLS[name]
