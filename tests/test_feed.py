"""The Atom feed of a search (GET /feed): RFC 4287's required elements, newest first, same hits as the API."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from bs4 import BeautifulSoup

from web.app import create_app

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def client(demo_index):
    """Return a test client over the demo index."""
    return create_app({"INDEX_DIR": str(demo_index)}).test_client()


def atom(client, url: str) -> ET.Element:
    """GET a feed, check its media type, and return its root element."""
    response = client.get(url)
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/atom+xml"
    return ET.fromstring(response.data)


def only(element: ET.Element, name: str) -> ET.Element:
    """Return the one child called name (RFC 4287 allows exactly one)."""
    found = element.findall(ATOM + name)
    assert len(found) == 1, f"{element.tag} has {len(found)} {name}"
    return found[0]


def links(element: ET.Element) -> dict[str, str]:
    """Return {rel: href} of an element's links (rel defaults to alternate)."""
    return {link.get("rel", "alternate"): link.get("href") for link in element.findall(ATOM + "link")}


def moment(element: ET.Element) -> datetime:
    """Return a date construct's value, which must be an RFC 3339 timestamp with a zone."""
    value = datetime.fromisoformat(element.text)
    assert value.utcoffset() is not None, element.text
    return value


def test_feed_has_the_elements_rfc_4287_requires(client):
    feed = atom(client, "/feed?q=viet+nam")  # more than 20 articles hold "việt nam" together
    assert feed.tag == ATOM + "feed"
    assert urlsplit(only(feed, "id").text).scheme == "http"
    assert only(feed, "title").text == "vnsearch: “viet nam”"
    updated = moment(only(feed, "updated"))
    assert only(only(feed, "author"), "name").text == "vnsearch"
    feed_links = links(feed)
    assert parse_qs(urlsplit(feed_links["self"]).query)["q"] == ["viet nam"]
    assert urlsplit(feed_links["alternate"]).path == "/"
    entries = feed.findall(ATOM + "entry")
    assert len(entries) == 20
    ids = [only(entry, "id").text for entry in entries]
    assert len(set(ids)) == len(ids)
    for entry in entries:
        assert only(entry, "title").text
        assert moment(only(entry, "updated")) <= updated
        assert links(entry)["alternate"] == only(entry, "id").text
        summary = only(entry, "summary")
        assert summary.get("type") == "text" and "<mark>" not in summary.text and "&amp;" not in summary.text


def test_feed_lists_the_api_hits_newest_first(client):
    feed = atom(client, "/feed?q=viet+nam&category=Th%E1%BB%83+thao&size=5")
    api = client.get("/api/search?q=viet+nam&category=Th%E1%BB%83+thao&size=5&sort=newest").get_json()
    entries = feed.findall(ATOM + "entry")
    assert [urlsplit(only(e, "id").text).path for e in entries] == [
        "/articles/" + quote(hit["id"], safe="/") for hit in api["hits"]]
    times = [moment(only(e, "updated")) for e in entries]
    assert times == sorted(times, reverse=True)
    assert [only(e, "title").text for e in entries] == [hit["title"] for hit in api["hits"]]
    assert [e.find(ATOM + "category").get("term") for e in entries] == ["Thể thao"] * len(entries)


def test_feed_of_a_search_that_finds_nothing_is_still_a_valid_feed(client):
    feed = atom(client, "/feed?q=xyzzyqwv")
    assert feed.findall(ATOM + "entry") == []
    moment(only(feed, "updated"))
    assert only(feed, "id").text and only(feed, "title").text


def test_feed_refuses_bad_parameters_like_the_api(client):
    response = client.get("/feed?q=bo&year=soon")
    assert response.status_code == 400
    assert response.get_json()["error"]["param"] == "year"


def test_a_feed_links_itself_its_page_and_its_articles_by_absolute_addresses_of_its_first_page_newest_first(client):
    feed = atom(client, "/feed?q=bo+chinh+tri&year=2019&sort=oldest&page=3")
    search = "q=bo+chinh+tri&sort=newest&year=2019&size=20"
    assert links(feed) == {"self": f"http://localhost/feed?{search}", "alternate": f"http://localhost/?{search}"}
    api = client.get(f"/api/search?{search}").get_json()
    assert api["hits"]
    assert [only(entry, "id").text for entry in feed.findall(ATOM + "entry")] == [
        "http://localhost/articles/" + quote(hit["id"], safe="/") for hit in api["hits"]]


def test_a_feed_searches_its_query_as_typed_without_correcting_it(client):
    # The API answers a misspelt query with the articles of its correction; a feed follows what was typed.
    assert client.get("/api/search?q=xuohg").get_json()["corrected"]["typed"] == "xuohg"
    feed = atom(client, "/feed?q=xuohg")
    assert feed.findall(ATOM + "entry") == []
    assert only(feed, "subtitle").text == "0 kết quả trên vnsearch"


def test_a_feed_that_finds_nothing_is_as_recent_as_the_last_reindex(client):
    last_reindex = datetime.fromisoformat(client.get("/healthz").get_json()["last_reindex"])
    assert moment(only(atom(client, "/feed?q=xyzzyqwv"), "updated")) == last_reindex


def test_results_page_links_its_feed_in_the_head_and_visibly(client):
    soup = BeautifulSoup(client.get("/?q=bo+chinh+tri&year=2020&page=2").get_data(as_text=True), "html.parser")
    head_link = soup.head.find("link", rel="alternate", type="application/atom+xml")
    visible = soup.select_one("#results a.feed-link")
    assert visible.get_text(strip=True) == "Theo dõi tìm kiếm này (Atom)"
    assert head_link["href"] == visible["href"]
    assert urlsplit(visible["href"]).path == "/feed"
    assert parse_qs(urlsplit(visible["href"]).query) == {"q": ["bo chinh tri"], "year": ["2020"]}
    feed = atom(client, visible["href"])
    assert {urlsplit(only(e, "id").text).path.split("/")[1] for e in feed.findall(ATOM + "entry")} == {"articles"}


def element_tree(element: ET.Element) -> list:
    """Return an Atom element's children as (name, attributes, text or children), namespaces dropped."""
    out = []
    for child in element:
        name = child.tag.removeprefix(ATOM)
        attributes = {key.split("}")[-1]: value for key, value in child.attrib.items()}
        out.append((name, attributes, element_tree(child) if len(child) else (child.text or "").strip()))
    return out


def test_the_atom_document_holds_the_search_and_every_hit_in_full():
    from datetime import UTC

    from web.feed import atom_feed

    hit = {"id": "a/1", "title": "Bão số 9 đổ bộ", "published": "2020-10-28T08:15:00+07:00", "source": "Dân trí",
           "portal": None, "category": "Thời sự", "snippet": "<mark>Bão</mark> số 9 &amp; mưa lớn"}
    result = {"query": "bão", "total": 1234, "hits": [
        hit,
        dict(hit, id="b", title="Mưa lớn ở Huế", published="2020-10-27T20:00:00+00:00", source="Báo Huế",
             portal="Cổng TTĐT Thừa Thiên Huế", category=None, snippet=""),
        dict(hit, id="c", title="Tin cũ", published=None, source=None, category=None, snippet="Tin cũ"),
    ]}
    fallback = datetime(2021, 1, 1, tzinfo=UTC)
    document = atom_feed(result, "http://x/feed?q=b%C3%A3o", "http://x/?q=b%C3%A3o", lambda i: f"http://x/articles/{i}",
                         fallback)
    root = ET.fromstring(document)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "vi"
    tree = element_tree(root)
    newest = "2020-10-28T08:15:00+07:00"
    assert [item for item in tree if item[0] != "entry"] == [
        ("id", {}, "http://x/feed?q=b%C3%A3o"),
        ("title", {}, "vnsearch: “bão”"),
        ("updated", {}, newest),
        ("author", {}, [("name", {}, "vnsearch")]),
        ("link", {"href": "http://x/feed?q=b%C3%A3o", "rel": "self", "type": "application/atom+xml"}, ""),
        ("link", {"href": "http://x/?q=b%C3%A3o", "rel": "alternate", "type": "text/html"}, ""),
        ("generator", {}, "vnsearch"),
        ("subtitle", {}, "1.234 kết quả trên vnsearch"),
    ]
    assert [item[2] for item in tree if item[0] == "entry"] == [
        [("id", {}, "http://x/articles/a/1"), ("title", {}, "Bão số 9 đổ bộ"), ("updated", {}, newest),
         ("author", {}, [("name", {}, "Dân trí")]),
         ("link", {"href": "http://x/articles/a/1"}, ""),
         ("summary", {"type": "text"}, "Bão số 9 & mưa lớn"), ("category", {"term": "Thời sự"}, ""),
         ("published", {}, newest)],
        [("id", {}, "http://x/articles/b"), ("title", {}, "Mưa lớn ở Huế"),
         ("updated", {}, "2020-10-28T03:00:00+07:00"),
         ("author", {}, [("name", {}, "Cổng TTĐT Thừa Thiên Huế")]),
         ("link", {"href": "http://x/articles/b"}, ""),
         ("published", {}, "2020-10-28T03:00:00+07:00")],
        # Undated: updated as the feed is; no author, no category, no published date.
        [("id", {}, "http://x/articles/c"), ("title", {}, "Tin cũ"), ("updated", {}, newest),
         ("link", {"href": "http://x/articles/c"}, ""),
         ("summary", {"type": "text"}, "Tin cũ")],
    ]
    # (feedgen writes an entry's alternate link as its bare href, the default relation.)
    # Nothing dated: the feed is as recent as the fallback given; no query: the newest articles.
    undated = element_tree(ET.fromstring(atom_feed({"query": "", "total": 0, "hits": []}, "http://x/feed",
                                                   "http://x/", str, fallback)))
    assert [item for item in undated if item[0] in ("title", "updated")] == [
        ("title", {}, "vnsearch: bài viết mới nhất"), ("updated", {}, "2021-01-01T00:00:00+00:00")]


def test_a_feed_with_nothing_dated_and_no_fallback_is_dated_now():
    from datetime import UTC

    from web.feed import atom_feed

    before = datetime.now(UTC).replace(microsecond=0)
    root = ET.fromstring(atom_feed({"query": "bão", "total": 0, "hits": []}, "http://x/feed", "http://x/", str, None))
    assert before <= moment(only(root, "updated")) <= datetime.now(UTC)
