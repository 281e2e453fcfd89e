"""What vnsearch writes into and reads from the engine, without a cluster: the backend URL's nodes, the
text fields of an article (one token per syllable position), document keys and shards, rows as the
driver reads them.

Not named test_sphinx*/test_cluster*: conftest.py marks those slow as a whole (they start searchd); these
are the fast unit tests of search/sphinxql.py's pure functions (tools/mutation.py runs its mutants
against them).
"""

from __future__ import annotations

from collections import Counter

import pytest

from search.sphinxql import BadBackendURL, _row, document_key, parse_backend_url, shard_of, text_fields
from tests.helpers import DEMO_ARTICLES, PORTAL_ID


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
