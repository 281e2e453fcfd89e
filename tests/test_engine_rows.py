"""What vnsearch writes into and reads from the engine, without a cluster: the backend URL's nodes, the
text fields of an article (one token per syllable position), document keys and shards, rows as the
driver reads them.

Not named test_sphinx*/test_cluster*: conftest.py marks those slow as a whole (they start searchd); these
are the fast unit tests of search/sphinxql.py's pure functions (tools/mutation.py runs its mutants
against them).
"""

from __future__ import annotations

import os
import zlib
from collections import Counter

import pytest

from search import sphinxql
from search.documents import Article
from search.index import article_fields
from search.sources import scan_sources
from search.sphinxql import (
    STORED_COLUMNS,
    BadBackendURL,
    _reason,
    _row,
    document_key,
    engine_row,
    engine_token,
    label_code,
    parse_backend_url,
    replace_statement,
    shard_of,
    stored_fields,
    text_fields,
)
from tests.helpers import DEMO, DEMO_ARTICLES, DEMO_SOURCES, PORTAL_ID, write_jsonl

STORED_FIELDS = ("id", "title", "title_derived", "body", "url", "published", "category", "source", "portal")


def test_backend_url_names_every_node_in_shard_order():
    nodes = parse_backend_url("sphinxql://10.0.0.1:9306,db2.example:9312")
    assert [(n.number, n.host, n.port, n.shard) for n in nodes] == [(0, "10.0.0.1", 9306, "shard0"),
                                                                    (1, "db2.example", 9312, "shard1")]


@pytest.mark.parametrize("url", ["mysql://127.0.0.1:9306", "sphinxql://", "sphinxql://host", "sphinxql://h:99999",
                                 "127.0.0.1:9306"])
def test_bad_backend_urls_are_refused_with_the_expected_form(url):
    with pytest.raises(BadBackendURL, match="HOST:PORT"):
        parse_backend_url(url)


def test_text_fields_keep_exact_and_folded_syllables_at_the_same_positions():
    exact, folded, compounds = text_fields("Chỉ thị 05 của Bộ Chính trị, HOÀ bình")
    assert exact.split() == ["chỉ", "thị", "05", "của", "bộ", "chính", "trị", "hoà", "bình"]
    assert folded.split() == ["chi", "thi", "05", "cua", "bo", "chinh", "tri", "hoa", "binh"]
    assert {"chi_thi", "chinh_tri", "hoa_binh"} <= set(compounds.split())


def test_a_number_written_with_separators_is_a_token_of_the_compound_field_its_separators_spelled_as_letters():
    _, folded, compounds = text_fields("Ngày 21/8/2020 giá 3.500.000đ, lãi 1,5% lúc 10:30")
    assert folded.split() == ["ngay", "21", "8", "2020", "gia", "3", "500", "000d", "lai", "1", "5", "luc", "10", "30"]
    # In the order of their positions; the engine splits words at punctuation, never at "_" or a letter.
    assert [token for token in compounds.split() if token.startswith("_")] == [
        "_21s8", "_21s8s2020", "_8s2020", "_3d500d000", "_1c5", "_10h30"]


def test_text_fields_replace_what_the_engine_cannot_hold_and_keep_positions():
    exact, folded, _ = text_fields("Москва và 北京")
    assert len(exact.split()) == len(folded.split()) == 3
    assert folded.split()[:2] == ["moskva", "va"] and exact.split()[:2] == ["moskva", "và"]


def test_document_keys_are_stable_and_spread_over_shards():
    assert document_key(PORTAL_ID) == document_key(PORTAL_ID) > 0
    shards = Counter(shard_of(document_key(record["id"]), 2) for record in DEMO_ARTICLES)
    assert set(shards) == {0, 1} and min(shards.values()) > 60


def _length_coded(value: bytes | None) -> bytes:
    """Return a value as a MySQL text-protocol row holds it (NULL; a 1, 3 or 4-byte length, then the bytes)."""
    if value is None:
        return b"\xfb"
    size = len(value)
    head = bytes([size]) if size < 251 else (b"\xfc" + size.to_bytes(2, "little") if size < 1 << 16
                                             else b"\xfd" + size.to_bytes(3, "little"))
    return head + value


@pytest.mark.parametrize("columns", [6, 4])
def test_a_rows_values_are_read_as_pymysql_reads_them(columns):
    # NULL, short, 300-byte and 70,000-byte texts, an integer; a row with fewer columns than described.
    from pymysql.connections import MySQLResult
    from pymysql.protocol import MysqlPacket

    values = [b"4611686018427387904", None, "bóng đá".encode(), ("Hà Nội " * 40).encode(),
              ("Việt Nam " * 7000).encode(), b""][:columns]
    data = b"".join(_length_coded(value) for value in values)
    result = MySQLResult.__new__(MySQLResult)
    result.unbuffered_active = False
    result.converters = [("ascii", int)] + [("utf8", None)] * 5
    expected = result._read_row_from_packet(MysqlPacket(data, "utf8"))
    assert _row(data, result.converters) == expected
    assert expected[0] == 1 << 62 and expected[1] is None and len(expected) == columns


def read_articles(*sources) -> dict:
    """Return the articles of sources by id, read as the indexer reads them (cleaned, titled, stamped)."""
    return {item.id: item for item in scan_sources([str(s) for s in sources]) if isinstance(item, Article)}


def test_an_articles_engine_row_holds_its_text_fields_dates_label_codes_and_stored_text():
    record = next(r for r in DEMO_ARTICLES if r["id"] == "unc-news_business_001")
    article = read_articles(*DEMO_SOURCES)["unc-news_business_001"]
    fields = article_fields(article)
    title, body = text_fields(article.title), text_fields(article.body)
    assert engine_row(fields) == {
        "id": document_key("unc-news_business_001"),
        "title_exact": title[0], "title_fold": title[1], "title_compound": title[2],
        "body_exact": body[0], "body_fold": body[1], "body_compound": body[2],
        "every": "vnsearchdoc",
        "day": 20201001, "year": 2020, "month": 202010, "title_derived": 0, "published_ts": fields["timestamp"],
        "category_crc": zlib.crc32(b"Kinh doanh"), "source_crc": zlib.crc32(b"dantri.com.vn"),
        "doc_id": "unc-news_business_001", "title": "Vinamilk lọt Top 1.000 thương hiệu hàng đầu châu Á",
        "body": article.body, "url": record["url"], "published": fields["published"], "category": "Kinh doanh",
        "source": "dantri.com.vn", "portal": "", "origin": str(DEMO / "articles.jsonl"),
        "content_hash": article.content_hash,
    }
    assert fields["timestamp"] > 1_600_000_000 and title[1].split()[:3] == ["vinamilk", "lot", "top"]


def test_an_undated_unlabelled_articles_engine_row_has_its_derived_title_stored_and_zeros_for_the_rest(tmp_path):
    source = write_jsonl(tmp_path / "bai.jsonl", [{"id": "bai-khong-ngay",
                                                  "body": "Giá xăng dầu tăng mạnh từ chiều nay. Người dân lo lắng."}])
    article = read_articles(source)["bai-khong-ngay"]
    row = engine_row(article_fields(article))
    assert {key: row[key] for key in ("title_exact", "title_fold", "title_compound", "day", "year", "month",
                                      "title_derived", "published_ts", "category_crc", "source_crc", "url",
                                      "published", "category", "source", "portal")} == {
        "title_exact": "", "title_fold": "", "title_compound": "",  # a derived title is shown, not indexed
        "day": 0, "year": 0, "month": 0, "title_derived": 1, "published_ts": 0, "category_crc": 0, "source_crc": 0,
        "url": "", "published": "", "category": "", "source": "", "portal": ""}
    assert row["title"] == article.title != "" and row["body_fold"].split()[:3] == ["gia", "xang", "dau"]


def test_stored_fields_read_back_from_the_engines_columns_are_what_the_embedded_index_stores(engine):
    snapshot, articles = engine.snapshot(), read_articles(*DEMO_SOURCES)
    for record in DEMO_ARTICLES[:3]:
        row = engine_row(article_fields(articles[record["id"]]))
        stored = stored_fields({column: row[column] for column in STORED_COLUMNS})
        embedded = snapshot.stored(snapshot.document_number(record["id"]))
        assert stored == {key: embedded.get(key) for key in STORED_FIELDS} and stored["category"]
    # What an unlabelled, undated article's empty columns read back as: none, as the embedded index leaves them.
    assert stored_fields({"doc_id": "x", "title": "T", "title_derived": 1, "body": "B", "url": "", "published": "",
                          "category": "", "source": "", "portal": ""}) == {
        "id": "x", "title": "T", "title_derived": True, "body": "B", "url": None, "published": None,
        "category": None, "source": None, "portal": None}


def test_a_label_is_filtered_by_the_crc32_of_its_utf8_bytes_and_none_by_zero():
    assert label_code("Thể thao") == zlib.crc32("Thể thao".encode()) != label_code("The thao")
    assert label_code(None) == label_code("") == 0
    assert label_code("nhãn \udc80") == zlib.crc32("nhãn \udc80".encode("utf-8", "surrogatepass"))


def test_rows_are_replaced_in_one_statement_with_a_placeholder_per_value():
    rows = [{"id": 7, "title": "Hà Nội", "day": 20201001}, {"id": 8, "title": "Huế", "day": 0}]
    assert replace_statement("shard1", rows) == (
        "REPLACE INTO shard1 (id,title,day) VALUES (%s,%s,%s),(%s,%s,%s)", (7, "Hà Nội", 20201001, 8, "Huế", 0))
    assert replace_statement("vnsearch_meta", rows[:1]) == (
        "REPLACE INTO vnsearch_meta (id,title,day) VALUES (%s,%s,%s)", (7, "Hà Nội", 20201001))


def test_a_driver_errors_reason_is_its_message_without_nul_bytes_else_its_kind():
    import pymysql

    assert _reason(pymysql.err.OperationalError(2003, " Can't connect to MySQL server (111)\x00 ")) == \
        "Can't connect to MySQL server (111)"
    assert _reason(pymysql.err.OperationalError(1064, "")) == "OperationalError"
    assert _reason(ValueError("one argument")) == "one argument"
    assert _reason(TimeoutError()) == "TimeoutError"


def test_a_term_the_engine_cannot_hold_is_written_as_its_fallback_or_the_placeholder():
    assert [engine_token("đá"), engine_token("chinh_tri"), engine_token("北京", "bac"), engine_token("北京"),
            engine_token("北京", "京")] == ["đá", "chinh_tri", "bac", "_", "_"]


def test_document_keys_are_the_ones_earlier_versions_wrote_63_bits_never_zero():
    # The engine keeps these keys: a new hash would orphan every article a cluster holds until a full reindex.
    assert [document_key(PORTAL_ID), document_key("a")] == [8492906030142241755, 2340832890917691671]
    keys = [document_key(record["id"]) for record in DEMO_ARTICLES]
    assert all(0 < key < 2**63 for key in keys) and len(set(keys)) == len(keys) and max(keys) >= 2**62
    assert document_key("bài-\udc80") == 3218381152374040685  # a lone surrogate from a JSON escape


@pytest.mark.parametrize(("url", "addresses"), [
    ("sphinxql://[::1]:9306,127.0.0.1:9308", [("::1", 9306), ("127.0.0.1", 9308)]),
    ("sphinxql://h:1, DBX:65535 ", [("h", 1), ("DBX", 65535)])])
def test_backend_url_reads_ipv6_hosts_spaces_and_the_first_and_last_ports(url, addresses):
    assert [(node.host, node.port) for node in parse_backend_url(url)] == addresses


@pytest.mark.parametrize("url", ["sphinxql://:9306", "sphinxql://h:0", "sphinxql://h:65536", "sphinxql://h:9306,h"])
def test_backend_url_refuses_an_address_without_host_or_valid_port_naming_it(url):
    with pytest.raises(BadBackendURL, match=r"is not HOST:PORT"):
        parse_backend_url(url)


def test_a_connection_made_before_a_fork_is_never_used_by_the_child(monkeypatch):
    made = []

    class Recorded:
        def __init__(self, **options):
            self.options, self.pid, self.closed = options, os.getpid(), False
            made.append(self)

        def close(self):
            self.closed = True

    monkeypatch.setattr(sphinxql, "_connection_class", lambda: Recorded)
    cluster = sphinxql.Cluster("sphinxql://127.0.0.1:1,127.0.0.1:2")
    node = cluster.nodes[0]
    first = cluster._connection(node)
    assert cluster._connection(node) is first and first.options["port"] == 1
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its own connection, then the answer through the pipe
        try:
            cluster.close()  # closes none of the parent's: a QUIT would end them for the parent too
            fresh = cluster._connection(node)
            ok = (not first.closed and fresh is not first and fresh.pid == os.getpid()
                  and cluster._connection(node) is fresh)
            os.write(writer, b"own" if ok else b"shared")
        finally:
            os._exit(0)
    os.close(writer)
    answer = os.read(reader, 16)
    os.waitpid(child, 0)
    assert answer == b"own"
    assert cluster._connection(node) is first  # the parent's own, still


def test_a_batch_of_no_statement_is_never_sent(monkeypatch):
    class Refused:
        def __init__(self, **options):
            raise AssertionError("connected for nothing")

    monkeypatch.setattr(sphinxql, "_connection_class", lambda: Refused)
    cluster = sphinxql.Cluster("sphinxql://127.0.0.1:1")
    assert cluster.run(cluster.nodes[0], []) == []
