"""The search page in real headless Chromium (Debian's), against a real `vnsearch serve`.

Skipped when /usr/bin/chromium (the path the Makefile's `chromium` target checks) is missing,
unless VNSEARCH_REQUIRE_BROWSER=1 or VNSEARCH_REQUIRE_ALL=1 (as in CI), which turn a missing
browser into a failure.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from search.index import reindex
from tests.helpers import DEMO_ARTICLES, REQUIRE_ALL_ENV, running_server, skip_or_fail, write_jsonl

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 10_000


def require_browser() -> None:
    """Skip (or, when the browser is required, fail) without Chromium and Playwright."""
    required = "1" in (os.environ.get("VNSEARCH_REQUIRE_BROWSER"), os.environ.get(REQUIRE_ALL_ENV))
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    elif importlib.util.find_spec("playwright") is None:
        problem = "playwright is not installed (pip install playwright)"
    if problem and required:
        pytest.fail(f"browser tests are required (VNSEARCH_REQUIRE_BROWSER=1) but {problem}")
    if problem:
        pytest.skip(problem)


@pytest.fixture(scope="module")
def server(demo_index, tmp_path_factory):
    """Return a `vnsearch serve` of the demo index, running for this module."""
    require_browser()
    log = tmp_path_factory.mktemp("browser-server") / "serve.log"
    with running_server(demo_index, log, "--workers", "1", "--threads", "4") as running:
        yield running


@pytest.fixture(scope="module")
def browser(server):
    """Return headless Chromium, closed after the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def page_errors():
    """Return the list that collects console errors and page errors (CSP violations included)."""
    return []


def new_page(browser, errors: list, **options):
    """Open a page in a fresh Vietnamese-locale context, collecting errors."""
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def query(url: str) -> dict[str, list[str]]:
    """Return the query parameters of a URL."""
    return parse_qs(urlsplit(url).query)


def total(page) -> int:
    """Return the number of results the page reports."""
    return int(page.locator(".stats .total").inner_text().replace(".", ""))


def facet_counts(page, facet: str) -> dict[str, int]:
    """Return {value: count} of a facet on the page."""
    counts = {}
    for link in page.locator(f'a.facet-link[data-facet="{facet}"]').all():
        counts[link.get_attribute("data-value")] = int(link.locator(".facet-count").inner_text().replace(".", ""))
    return counts


def shoot(page, folder: Path, name: str, shots: list[Path]) -> None:
    """Save a full-page screenshot of the current page."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    shots.append(path)


def png_size(path: Path) -> tuple[int, int]:
    """Return the (width, height) a PNG file's header declares."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def test_search_flow(server, browser, tmp_path, page_errors):
    shots: list[Path] = []
    page = new_page(browser, page_errors, viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/")
    assert page.evaluate("document.activeElement.id") == "q", "the search box has the focus"
    assert page.locator("html").get_attribute("lang") == "vi"
    shoot(page, tmp_path, "home", shots)

    # Autocomplete (the one thing JavaScript adds) for a query typed without diacritics.
    box = page.locator("#q")
    box.press_sequentially("bo chinh tri", delay=20)
    # Wait for the list that completes the whole text, not one for a prefix typed on the way.
    options = page.locator('#q-suggestions[data-query="bo chinh tri"] [role=option]')
    options.first.wait_for(state="visible")
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "true"
    assert any("Bộ Chính trị" in text for text in options.all_inner_texts())
    assert options.first.locator("mark").count() > 0
    shoot(page, tmp_path, "autocomplete", shots)
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == options.first.get_attribute("id")
    assert options.first.get_attribute("aria-selected") == "true"
    box.press("Escape")
    assert page.locator("#q-suggestions").is_hidden() and box.get_attribute("aria-expanded") == "false"
    assert box.input_value() == "bo chinh tri"

    # Submit: results with <mark> on the accented words of the unaccented query.
    box.press("Enter")
    page.wait_for_url(re.compile(r"/\?q=bo\+chinh\+tri$"))
    marks = page.locator(".hit mark").all_inner_texts()
    assert "Bộ Chính trị" in marks
    assert any(m != m.encode("ascii", "ignore").decode() for m in marks)
    # The words together, in any accents, are exactly the articles "Bộ Chính trị" finds: no "did you mean".
    assert page.locator(".suggestion").count() == 0
    together_total = total(page)
    shoot(page, tmp_path, "results", shots)
    if os.environ.get("VNSEARCH_DOCS_SCREENSHOT"):  # how the README's screenshot is refreshed
        page.screenshot(path=os.environ["VNSEARCH_DOCS_SCREENSHOT"])

    # The articles with the words together come first; those with the words far apart are a click away.
    wider = page.locator('a.wider-tier[data-tier="all"]')
    assert wider.inner_text().startswith("Xem thêm")
    wider.click()
    page.wait_for_url(re.compile(r"match=all"))
    all_total = total(page)
    assert all_total > together_total
    # The articles holding the words' syllables scattered are one click further ("chính trị" kept whole
    # in the all tier): enough of them to narrow by year and month and still page.
    page.locator('a.wider-tier[data-tier="most"]').click()
    page.wait_for_url(re.compile(r"match=most"))
    all_total = total(page)
    assert all_total > together_total

    # Year facet, then a month facet: totals narrow and agree with the facet counts.
    year_count = facet_counts(page, "year")["2020"]
    page.locator('a.facet-link[data-facet="year"][data-value="2020"]').click()
    page.wait_for_url(re.compile(r"year=2020"))
    assert total(page) == year_count < all_total
    months = facet_counts(page, "month")
    assert months and sum(months.values()) == year_count
    shoot(page, tmp_path, "year", shots)
    month, month_count = max(months.items(), key=lambda item: item[1])
    page.locator(f'a.facet-link[data-facet="month"][data-value="{month}"]').click()
    page.wait_for_url(re.compile(r"month=" + month))
    assert query(page.url)["year"] == ["2020"]
    assert total(page) == month_count < year_count
    assert facet_counts(page, "month")[month] == month_count
    assert all(stamp.startswith(month) for stamp in page.locator(".hit time").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('datetime'))"))
    shoot(page, tmp_path, "month", shots)

    # Paginate.
    assert month_count > 10
    first_titles = page.locator(".hit h2").all_inner_texts()
    page.get_by_role("link", name="Trang sau").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator('.pagination a[aria-current="page"]').inner_text() == "2"
    second_titles = page.locator(".hit h2").all_inner_texts()
    assert second_titles and not set(first_titles) & set(second_titles)
    results_url = page.url
    shoot(page, tmp_path, "page2", shots)

    # Open an article, then go back to the same results.
    page.locator(".hit h2 a").first.click()
    page.wait_for_url(re.compile(r"/articles/"))
    assert page.locator("h1").inner_text() == second_titles[0]
    assert page.locator(".article-body mark").count() > 0
    back = page.locator("a.back-link")
    assert query(back.get_attribute("href")) == query(results_url)
    shoot(page, tmp_path, "article", shots)
    page.go_back()
    page.wait_for_url(results_url)
    assert page.locator(".hit h2").all_inner_texts() == second_titles

    assert not page_errors, page_errors
    for path in shots:
        width, height = png_size(path)
        assert width == 1280 and height >= 900, (path, width, height)
    assert len(shots) == 7


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
FIRST_SCREEN_LIMIT = 400  # the first result's top, in CSS pixels, on a 390x844 phone


@pytest.mark.parametrize("url", ["/?q=bo+chinh+tri", "/?q=bo+chinh+tri&year=2020&month=2020-11",
                                 "/?q=viet+nam&year=2020&month=2020-11&category=Th%E1%BB%83+thao"])
def test_on_a_phone_the_first_result_is_on_the_first_screen_and_filters_fold(server, browser, page_errors, url):
    page = new_page(browser, page_errors, **PHONE)
    page.goto(server.url + url)
    top = page.locator(".hit").first.bounding_box()["y"]
    assert top < FIRST_SCREEN_LIMIT, f"first result at y={top}"
    # Filters are behind the "Bộ lọc" toggle; the active ones show as chips above the results.
    toggle = page.locator("details.filters > summary")
    assert toggle.inner_text().startswith("Bộ lọc")
    assert page.locator("details.filters").get_attribute("open") is None
    assert page.locator(".facet-year").is_hidden() and page.locator("form.date-range").is_hidden()
    chips = page.locator("ul.chips a.chip:not(.chip-clear)")
    assert chips.count() == len(query(page.url)) - 1
    if chips.count():
        assert page.locator("ul.chips").bounding_box()["y"] < top
    toggle.click()
    assert page.locator(".facet-year").is_visible() and page.locator("form.date-range").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    assert not page_errors, page_errors


def test_on_a_wide_screen_the_filters_are_always_shown(server, browser, page_errors):
    page = new_page(browser, page_errors, viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/?q=bo+chinh+tri")
    assert page.locator(".facet-year").is_visible() and page.locator("form.date-range").is_visible()
    sidebar, results = page.locator("aside.sidebar").bounding_box(), page.locator("#results").bounding_box()
    assert sidebar["x"] + sidebar["width"] <= results["x"]
    assert not page_errors, page_errors


def test_on_a_phone_suggestions_are_as_wide_as_the_screen(server, browser, page_errors):
    page = new_page(browser, page_errors, **PHONE)
    page.goto(server.url + "/")
    page.locator("#q").press_sequentially("bo chinh tri", delay=20)
    listbox = page.locator('#q-suggestions[data-query="bo chinh tri"]')
    listbox.locator("[role=option]").first.wait_for(state="visible")
    box = listbox.bounding_box()
    assert box["x"] <= 1 and box["width"] >= 388
    assert not page_errors, page_errors


def timeline_bars(page) -> dict[str, int]:
    """Return {short label: count} of the timeline's bars."""
    bars = page.locator(".timeline .bar-link")
    return {bar.locator(".bar-label").inner_text(): int(bar.get_attribute("data-count")) for bar in bars.all()}


def test_timeline_bars_match_the_date_facets_and_link_to_them(server, browser, page_errors):
    page = new_page(browser, page_errors, viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/?q=bo+chinh+tri")
    assert page.locator(".timeline figcaption").inner_text() == "Số kết quả theo năm"
    years = facet_counts(page, "year")
    assert timeline_bars(page) == {year: count for year, count in years.items() if year != "none"}
    heights = {label: page.locator(".timeline .bar-link", has_text=label).locator(".bar").bounding_box()["height"]
               for label in timeline_bars(page)}
    tallest = max(years, key=years.get)
    assert all(heights[tallest] >= height > 0 for height in heights.values())
    # Each bar speaks its year and count, and applies the year filter.
    bar = page.get_by_role("link", name=f"Năm {tallest}: {years[tallest]} kết quả")
    bar.click()
    page.wait_for_url(re.compile(r"year=" + tallest))
    assert total(page) == years[tallest]
    assert page.locator(".timeline figcaption").inner_text() == f"Số kết quả theo tháng năm {tallest}"
    months = timeline_bars(page)
    assert list(months) == [str(month) for month in range(1, 13)]
    assert {f"{tallest}-{int(m):02d}": c for m, c in months.items() if c} == facet_counts(page, "month")
    month = max(months, key=months.get)
    page.get_by_role("link", name=f"Tháng {month}/{tallest}: {months[month]} kết quả").click()
    page.wait_for_url(re.compile(rf"month={tallest}-{int(month):02d}"))
    assert total(page) == months[month]
    selected = page.locator(".timeline-bar.selected .bar-link")
    assert selected.get_attribute("aria-current") == "true"
    assert not page_errors, page_errors


def label_layout(page) -> dict:
    """Return the timeline's bar labels in order, and those whose text does not fit: wider than its
    label, overlapping the label's before it, or out of the timeline."""
    return page.locator(".timeline").evaluate("""figure => {
        const labels = [...figure.querySelectorAll('.bar-label')];
        const box = figure.getBoundingClientRect();
        const texts = labels.filter(l => l.textContent).map(l => {
            const range = document.createRange(); range.selectNodeContents(l);
            return [l.textContent, range.getBoundingClientRect(), l.scrollWidth > l.clientWidth];
        });
        const misplaced = texts.filter(([text, r, wider], i) => wider || r.left < box.left || r.right > box.right ||
            (i > 0 && r.left < texts[i - 1][1].right)).map(([text]) => text);
        return {labels: labels.map(l => l.textContent), misplaced: misplaced};
    }""")


@pytest.mark.parametrize("first, labels", [
    (2018, [f"'{year % 100}" for year in range(2018, 2027)]),  # nine years: each by its last two digits
    (2003, ["", "", "'05", "", "", "", "", "'10", "", "", "", "", "'15", "", "", "", "", "'20", "", "", "", "",
            "'25", ""]),  # twenty-four: one in five
])
def test_many_years_of_bars_are_labelled_in_two_digits_none_hidden_or_overlapping(browser, page_errors, tmp_path,
                                                                                  first, labels):
    years = range(first, 2027)
    source = tmp_path / "src"
    write_jsonl(source / "years.jsonl", [{"id": f"y{year}", "title": f"Tin bão năm {year}",
                                          "published": f"{year}-05-01", "body": DEMO_ARTICLES[year % 50]["body"]}
                                         for year in years])
    reindex(tmp_path / "ix", [str(source)], procs=1)
    with running_server(tmp_path / "ix", tmp_path / "serve.log", "--workers", "1") as server:
        for options in ({"viewport": {"width": 1280, "height": 900}}, PHONE):
            page = new_page(browser, page_errors, **options)
            page.goto(server.url + "/?q=tin+bao")
            if options is PHONE:
                page.locator("details.filters > summary").click()  # the filters fold on a phone
            assert label_layout(page) == {"labels": labels, "misplaced": []}
            page.get_by_role("link", name="Năm 2026: 1 kết quả").click()  # each bar still speaks its whole year
            page.wait_for_url(re.compile(r"year=2026"))
            if options is PHONE:
                page.locator("details.filters > summary").click()
            assert label_layout(page) == {"labels": [str(month) for month in range(1, 13)], "misplaced": []}
    assert not page_errors, page_errors


def test_date_fields_take_and_show_dd_mm_yyyy_under_an_english_browser(server, browser, page_errors):
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(server.url + "/?q=viet+nam")
    start, end = page.locator("#from"), page.locator("#to")
    assert start.get_attribute("placeholder") == "dd/mm/yyyy"
    start.fill("15/11/2020")
    end.fill("2020-11-01")  # ISO still works, and the reversed range is swapped
    page.locator(".date-range button").click()
    page.wait_for_url(re.compile(r"from="))
    assert (start.input_value(), end.input_value()) == ("01/11/2020", "15/11/2020")
    assert page.locator("#results .notice").all_inner_texts() == [
        "Ngày bắt đầu sau ngày kết thúc nên đã đổi chỗ: từ 01/11/2020 đến 15/11/2020."]
    stamps = page.locator(".hit time").evaluate_all("nodes => nodes.map(n => n.getAttribute('datetime'))")
    assert stamps and all("2020-11-01" <= stamp[:10] <= "2020-11-15" for stamp in stamps)
    start.fill("30/02/2020")
    page.locator(".date-range button").click()
    page.wait_for_url(re.compile(r"from=30%2F02%2F2020"))
    assert page.locator("#from-error").inner_text() == (
        "Không có ngày 30/02/2020. Nhập ngày theo dạng ngày/tháng/năm, ví dụ 31/12/2020.")
    assert page.locator("#from-error").is_visible()
    context.close()


def test_results_page_offers_its_feed(server, browser, page_errors):
    page = new_page(browser, page_errors, viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/?q=bo+chinh+tri&year=2020")
    head = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    visible = page.get_by_role("link", name="Theo dõi tìm kiếm này (Atom)")
    assert visible.is_visible()
    assert head.get_attribute("href") == visible.get_attribute("href")
    response = page.request.get(server.url + visible.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"].startswith("application/atom+xml")
    assert "<feed" in response.text() and "Bộ Chính trị" in response.text()
    assert not page_errors, page_errors


def test_phone_layout_and_keyboard(server, browser, tmp_path, page_errors):
    page = new_page(browser, page_errors, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(server.url + "/?q=viet+nam&year=2020")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    assert page.locator(".hit").count() == 10
    path = tmp_path / "phone.png"
    page.screenshot(path=str(path))
    assert png_size(path) == (390, 844)
    # Keyboard: focus order is skip link, home link, search box (which has the focus).
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.className") == "brand"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert not page_errors, page_errors


def test_works_without_javascript(server, browser, tmp_path, page_errors):
    page = new_page(browser, page_errors, java_script_enabled=False)
    page.goto(server.url + "/")
    page.locator("#q").fill("ha noi")
    page.locator("#q").press("Enter")
    page.wait_for_url(re.compile(r"q=ha\+noi"))
    assert page.locator(".hit").count() == 10
    assert "Hà Nội" in page.locator(".hit mark").all_inner_texts()
    assert page.locator("#q").get_attribute("role") is None, "the combobox exists only with JavaScript"
    page.locator("#from").fill("2020-11-01")
    page.locator(".date-range button").click()
    page.wait_for_url(re.compile(r"from=2020-11-01"))
    assert query(page.url)["q"] == ["ha noi"]
    assert all(stamp >= "2020-11-01" for stamp in page.locator(".hit time").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('datetime'))"))
    page.screenshot(path=str(tmp_path / "nojs.png"))
    assert not page_errors, page_errors


def _open_suggestions(page, typed: str):
    """Type into the search box and return the options of the list completing exactly that text."""
    box = page.locator("#q")
    box.press_sequentially(typed, delay=20)
    options = page.locator(f'#q-suggestions[data-query="{typed}"] [role=option]')
    options.first.wait_for(state="visible")
    return box, options


def test_choosing_a_title_with_the_mouse_opens_its_article(server, browser, page_errors):
    page = new_page(browser, page_errors)
    page.goto(server.url + "/")
    _open_suggestions(page, "chi thi 0")
    title = page.locator(".suggestion-title").first
    assert "Chỉ thị 05" in title.inner_text()
    title.click()
    page.wait_for_url(re.compile(r"/articles/kiengiang-2019-08-21-chi-thi-05\.txt$"))
    assert "Chỉ thị 05" in page.locator("h1").inner_text()
    assert page_errors == []


def test_choosing_a_title_with_the_keyboard_opens_its_article(server, browser, page_errors):
    page = new_page(browser, page_errors)
    page.goto(server.url + "/")
    box, options = _open_suggestions(page, "sieu bao g")
    kinds = [options.nth(i).get_attribute("class") for i in range(options.count())]
    first_title = kinds.index("suggestion-title")
    for _ in range(first_title + 1):
        box.press("ArrowDown")
    chosen = options.nth(first_title).inner_text()
    assert box.input_value() == "sieu bao g"  # a title is not a query: the box keeps what was typed
    box.press("Enter")
    page.wait_for_url(re.compile(r"/articles/[^?]+$"))
    assert page.locator("h1").inner_text() == chosen
    assert page_errors == []


def test_choosing_a_query_completion_runs_the_search(server, browser, page_errors):
    page = new_page(browser, page_errors)
    page.goto(server.url + "/")
    box, _ = _open_suggestions(page, "ung th")
    completion = page.locator(".suggestion-query").first
    assert completion.inner_text() == "Tìm: ung thư"
    box.press("ArrowDown")
    assert box.input_value() == "ung thư"
    box.press("Enter")
    page.wait_for_url(re.compile(r"/\?q=ung\+th%C6%B0$"))
    assert query(page.url)["q"] == ["ung thư"] and total(page) > 0
    assert page_errors == []


def test_article_page_shows_related_articles_that_lead_to_other_articles(server, browser, page_errors):
    page = new_page(browser, page_errors, viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/articles/kiengiang-2019-08-21-chi-thi-05.txt?q=chinh+tri")
    title = page.locator("h1").inner_text()
    related = page.get_by_role("region", name="Bài liên quan")
    links = related.get_by_role("link")
    assert 1 <= links.count() <= 5
    titles = links.all_inner_texts()
    assert title not in titles and len(set(titles)) == len(titles)
    assert related.bounding_box()["y"] > page.locator(".article-body").bounding_box()["y"]
    links.first.click()
    page.wait_for_url(re.compile(r"/articles/.*\?q=chinh\+tri$"))
    assert page.locator("h1").inner_text() == titles[0]
    assert page.locator("a.back-link").inner_text() == "← Quay lại kết quả cho “chinh tri”"
    assert not page_errors, page_errors


AXE = Path(__file__).resolve().parent / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_PAGES = [
    ("home", "/", {"width": 1280, "height": 900}),
    ("results", "/?q=bo+chinh+tri", {"width": 1280, "height": 900}),
    ("results-phone", "/?q=bo+chinh+tri&year=2020&month=2020-11", PHONE["viewport"]),
    ("article", "/articles/kiengiang-2019-08-21-chi-thi-05.txt?q=bo+chinh+tri", {"width": 1280, "height": 900}),
    ("no-results", "/?q=xyzzyqwv", {"width": 1280, "height": 900}),
    ("error", "/articles/khong-co-bai-nay", {"width": 1280, "height": 900}),
]


@pytest.mark.parametrize("name, url, viewport", AXE_PAGES, ids=[name for name, _, _ in AXE_PAGES])
def test_axe_finds_no_serious_or_critical_violations(server, browser, name, url, viewport):
    if not AXE.exists():
        reason = f"{AXE} is missing: `make axe` installs axe-core with npm (`make test` does)"
        if os.environ.get("VNSEARCH_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        skip_or_fail(reason)
    # axe is injected as a script of the page: let it past the page's Content-Security-Policy.
    context = browser.new_context(locale="vi-VN", viewport=viewport, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    response = page.goto(server.url + url)
    assert response.status == (404 if name == "error" else 200)
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], [node["target"] for node in v["nodes"]][:5])
               for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    assert results["passes"], "axe ran its rules"
    context.close()
