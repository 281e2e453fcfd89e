"""Related articles ("Bài liên quan"): from the index, sharing distinctive words, never the article itself."""

from __future__ import annotations

from itertools import pairwise
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from search.parse import syllables_of
from search.related import MAX_RELATED, MIN_SHARED, distinctive_terms, related_documents
from search.text import COMPOUND_JOINER
from web.app import create_app

FOOTBALL_TITLE = "CLB Nam Định giành 3 điểm sân nhà, SHB Đà Nẵng phải đua trụ hạng"
PORTAL_ID = "kiengiang-2019-08-21-chi-thi-05.txt"


@pytest.fixture(scope="module")
def client(demo_index):
    """Return a test client over the demo index."""
    return create_app({"INDEX_DIR": str(demo_index)}).test_client()


def index_terms(stored: dict) -> set[str]:
    """Return the folded syllables and adjacent pairs of an article's title and body."""
    folded = [s.folded for s in syllables_of(f"{stored['title']}\n{stored['body']}")]
    return set(folded) | {f"{a}{COMPOUND_JOINER}{b}" for a, b in pairwise(folded)}


def docnum_of_title(snapshot, title: str) -> int:
    """Return the doc number of the live article with a title."""
    [docnum] = [d for d in range(snapshot.doc_count) if snapshot.live[d] and snapshot.stored(d)["title"] == title]
    return docnum


def test_related_articles_share_distinctive_words_and_never_include_the_article(engine):
    snapshot = engine.snapshot()
    for docnum in range(0, snapshot.doc_count, 7):
        stored = snapshot.stored(docnum)
        terms = {t.text for t in distinctive_terms(snapshot, stored)}
        related = related_documents(snapshot, docnum)
        assert docnum not in related and len(related) <= MAX_RELATED
        assert len(set(related)) == len(related)
        for other in related:
            assert len(terms & index_terms(snapshot.stored(other))) >= MIN_SHARED, (stored["title"], other)


def test_a_football_report_is_related_to_the_football_reports(engine):
    snapshot = engine.snapshot()
    docnum = docnum_of_title(snapshot, FOOTBALL_TITLE)
    terms = [t.text for t in distinctive_terms(snapshot, snapshot.stored(docnum))]
    assert {"nam_dinh", "da_nang", "san_nha"} <= set(terms)
    related = [snapshot.stored(d) for d in related_documents(snapshot, docnum)]
    assert len(related) == MAX_RELATED
    # The first one is the other report on Nam Định's fight against relegation.
    assert related[0]["title"] == "Vé trụ hạng của CLB Nam Định và nỗi buồn cựu vương V-League"
    assert sum(article["category"] == "Thể thao" for article in related) >= 4


def test_an_article_sharing_nothing_distinctive_has_no_related_articles(tmp_path):
    from search.engine import SearchEngine
    from search.index import reindex

    source = tmp_path / "three.jsonl"
    source.write_text(
        '{"id": "a", "title": "Mưa lớn ở Huế", "body": "Mưa lớn ở Huế kéo dài, sông Hương dâng cao."}\n'
        '{"id": "b", "title": "Giá vàng tăng", "body": "Giá vàng hôm nay tăng mạnh trên thị trường."}\n'
        '{"id": "c", "title": "Sông Hương dâng cao", "body": "Sông Hương dâng cao sau mưa lớn ở Huế."}\n',
        encoding="utf-8")
    reindex(tmp_path / "ix", [str(source)], procs=1)
    engine = SearchEngine(tmp_path / "ix")
    assert [item["id"] for item in engine.related("a")] == ["c"]
    assert engine.related("b") == []
    assert engine.related("no-such-id") == []


def test_article_page_lists_related_articles_with_links_that_keep_the_search(client, engine):
    snapshot = engine.snapshot()
    docnum = docnum_of_title(snapshot, FOOTBALL_TITLE)
    doc_id = snapshot.stored(docnum)["id"]
    expected = [snapshot.stored(d) for d in related_documents(snapshot, docnum)]
    response = client.get(f"/articles/{doc_id}?q=nam+dinh")
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    section = soup.find("section", attrs={"aria-labelledby": "related-title"})
    assert section.find("h2").get_text(strip=True) == "Bài liên quan"
    items = section.select("li")
    assert [li.select_one("a").get_text(strip=True) for li in items] == [a["title"] for a in expected]
    for li, article in zip(items, expected):
        href = li.select_one("a")["href"]
        assert unquote(urlsplit(href).path) == f"/articles/{article['id']}"
        assert urlsplit(href).query == "q=nam+dinh"
        assert li.select_one("time")["datetime"] == article["published"]
    assert doc_id not in [unquote(urlsplit(li.select_one("a")["href"]).path)[len("/articles/"):] for li in items]


def test_article_without_related_articles_has_no_empty_section(tmp_path):
    from search.index import reindex

    source = tmp_path / "one.jsonl"
    source.write_text('{"id": "only", "title": "Bài duy nhất", "body": "Nội dung của bài duy nhất."}\n',
                      encoding="utf-8")
    reindex(tmp_path / "ix", [str(source)], procs=1)
    page = create_app({"INDEX_DIR": str(tmp_path / "ix")}).test_client().get("/articles/only")
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert soup.find("h1").get_text(strip=True) == "Bài duy nhất"
    assert soup.find(id="related-title") is None


def related_engine(tmp_path, records: list[dict]):
    """Return an engine over an index of the given articles (JSON records)."""
    import json

    from search.engine import SearchEngine
    from search.index import reindex

    source = tmp_path / "articles.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    reindex(tmp_path / "ix", [str(source)], procs=1)
    return SearchEngine(tmp_path / "ix")


GOLD = {"id": "b", "title": "Giá vàng tăng", "body": "Giá vàng hôm nay tăng mạnh trên thị trường."}


def test_words_the_body_repeats_relate_an_article_as_its_title_words_do(tmp_path):
    engine = related_engine(tmp_path, [
        # "sông Hương" twice in the body, not in the title; "dâng cao" once: not looked up.
        {"id": "a", "title": "Tin tổng hợp buổi sáng",
         "body": "Sông Hương dâng cao. Người dân ven sông Hương chằng chống nhà cửa."},
        {"id": "c", "title": "Nước lên nhanh trong đêm", "body": "Nước sông Hương lên nhanh trong đêm."},
        GOLD,
    ])
    assert [item["id"] for item in engine.related("a")] == ["c"]


def test_a_title_word_counts_though_the_article_writes_it_once_and_its_body_lacks_it(tmp_path):
    # "Sông Hương dâng cao" is in a's title alone and in c's body alone: two articles hold it
    # (the body's count alone, 1, read as no other article holding it).
    engine = related_engine(tmp_path, [
        {"id": "a", "title": "Sông Hương dâng cao", "body": "Nước lên nhanh trong đêm, người dân chằng chống nhà cửa."},
        {"id": "c", "title": "Tin tổng hợp", "body": "Trận lũ làm sông Hương dâng cao bất thường."},
        GOLD,
    ])
    snapshot = engine.snapshot()
    terms = {t.text for t in distinctive_terms(snapshot, snapshot.stored(snapshot.document_number("a")))}
    assert {"song", "huong", "dang", "cao"} <= terms
    assert [item["id"] for item in engine.related("a")] == ["c"]


def test_a_title_word_no_other_article_holds_is_not_distinctive(tmp_path):
    engine = related_engine(tmp_path, [
        {"id": "a", "title": "Sông Hương dâng cao", "body": "Nước lên nhanh trong đêm, người dân chằng chống nhà cửa."},
        {"id": "c", "title": "Tin tổng hợp", "body": "Trận lũ bất thường trong đêm."},
        GOLD,
    ])
    snapshot = engine.snapshot()
    terms = {t.text for t in distinctive_terms(snapshot, snapshot.stored(snapshot.document_number("a")))}
    assert terms.isdisjoint({"song", "huong", "dang", "cao"})


def test_numbers_and_one_letter_words_relate_nothing(tmp_path):
    engine = related_engine(tmp_path, [
        {"id": "a", "title": "Giá vàng 2019 2020", "body": "Ý A ở giá vàng tăng. Ý A ở giá vàng tăng."},
        {"id": "c", "title": "Mưa lớn 2019 2020", "body": "Ý A ở Huế mưa lớn. Ý A ở Huế mưa lớn."},
    ])
    assert engine.related("a") == [] and engine.related("c") == []


@pytest.mark.parametrize("others", [
    # With 4 articles a word may be in 2 of them (10% of 4, at least 2): "sông Hương" is in 3 ...
    [{"id": "c", "title": "Đò trên sông Hương", "body": "Đò chở khách trên sông Hương."},
     {"id": "d", "title": "Cầu qua sông Hương", "body": "Cầu mới bắc qua sông Hương."}],
    # ... or in 2 bodies and a third title.
    [{"id": "c", "title": "Tin tổng hợp", "body": "Trận lũ làm sông Hương dâng cao bất thường."},
     {"id": "d", "title": "Sông Hương dâng cao", "body": "Mưa lớn kéo dài nhiều ngày liền."}],
])
def test_a_word_most_articles_hold_in_their_title_or_body_is_not_distinctive(tmp_path, others):
    article = {"id": "a", "title": "Sông Hương dâng cao", "body": "Sông Hương dâng cao trong đêm qua."}
    engine = related_engine(tmp_path, [article, *others, GOLD])
    assert engine.related("a") == []


def test_related_articles_are_given_with_their_title_date_category_and_source_up_to_the_limit(tmp_path):
    engine = related_engine(tmp_path, [
        {"id": "a", "title": "Tin tổng hợp buổi sáng", "body": "Sông Hương dâng cao. Người dân ven sông Hương "
         "chằng chống nhà cửa. Ở Đà Nẵng mưa lớn. Đà Nẵng sơ tán dân."},
        {"id": "c", "title": "Sông Hương dâng cao", "body": "Nước sông Hương lên nhanh trong đêm.",
         "category": "Thời sự", "source": "Dân trí", "published": "2020-10-11T09:30:00+07:00"},
        {"id": "d", "title": "Mưa lớn ở Đà Nẵng", "body": "Đà Nẵng mưa lớn kéo dài.", "category": "Xã hội",
         "source": "VnExpress", "published": "2020-10-12T07:00:00+07:00"},
        GOLD,
    ])
    related = engine.related("a")
    assert sorted(related, key=lambda item: item["id"]) == [
        {"id": "c", "title": "Sông Hương dâng cao", "published": "2020-10-11T09:30:00+07:00", "category": "Thời sự",
         "source": "Dân trí"},
        {"id": "d", "title": "Mưa lớn ở Đà Nẵng", "published": "2020-10-12T07:00:00+07:00", "category": "Xã hội",
         "source": "VnExpress"},
    ]
    assert engine.related("a", limit=1) == related[:1]


def test_distinctive_terms_weigh_idf_compounds_half_again_and_come_most_weighty_first(engine):
    import math

    snapshot = engine.snapshot()
    docnum = docnum_of_title(snapshot, FOOTBALL_TITLE)
    terms = distinctive_terms(snapshot, snapshot.stored(docnum))
    size = snapshot.live_count
    for term in terms:
        # The articles holding the word in their title or their body.
        holders = {int(d) for field in ("title", "body") for d in snapshot.postings(field, term.text).ids}
        idf = math.log(1.0 + size / len(holders))
        assert term.weight == pytest.approx(idf * (1.5 if COMPOUND_JOINER in term.text else 1.0)), term
    # Each term's count in the title and the body's opening: syllables, and pairs within each of the two.
    stored = snapshot.stored(docnum)
    parts = [[s.folded for s in syllables_of(text)] for text in (stored["title"], stored["body"][:2000])]
    written = [word for part in parts for word in part]
    written += [f"{a}{COMPOUND_JOINER}{b}" for part in parts for a, b in pairwise(part)]
    scored = [(written.count(t.text) * t.weight, t.text) for t in terms]
    assert any(COMPOUND_JOINER in text for _, text in scored) and all(score > 0 for score, _ in scored)
    assert scored == sorted(scored, key=lambda item: (-item[0], item[1]))


def test_related_articles_rank_by_where_and_how_often_they_hold_the_words(tmp_path):
    fillers = [dict(GOLD, id=f"gold-{n}") for n in range(36)]  # 40 articles: a word may be in 4 of them
    engine = related_engine(tmp_path, [
        {"id": "a", "title": "Sông Hương dâng cao", "body": "Sông Hương dâng cao, nước lên nhanh trong đêm."},
        # A title counts double; each further mention in a field counts less than the one before (saturated).
        {"id": "c", "title": "Tin tổng hợp", "body": "Sông Hương dâng cao. Sông Hương dâng cao. Sông Hương dâng cao."},
        {"id": "d", "title": "Sông Hương dâng cao", "body": "Trận lũ bất thường trong mùa mưa."},
        {"id": "e", "title": "Tin buổi tối", "body": "Tối nay sông Hương dâng cao."},
        *fillers,
    ])
    assert [item["id"] for item in engine.related("a")] == ["d", "c", "e"]
