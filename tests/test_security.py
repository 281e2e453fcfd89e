"""Security: article ids never reach files, nothing writes to the index over HTTP."""

from __future__ import annotations

import json

import pytest

from search.index import reindex
from web.app import create_app

TRAVERSALS = ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd", "/etc/passwd",
              "%2Fetc%2Fpasswd", "....//....//etc/passwd", "..\\..\\etc\\passwd", "file:///etc/passwd"]
PASSWD_LINE = "root:x:0:0"


@pytest.fixture(scope="module")
def client(demo_index):
    """Return a test client over the demo index."""
    return create_app({"INDEX_DIR": str(demo_index), "TESTING": True}).test_client()


@pytest.mark.parametrize("doc_id", TRAVERSALS)
def test_article_ids_cannot_reach_files(client, doc_id):
    for path in (f"/api/articles/{doc_id}", f"/articles/{doc_id}"):
        response = client.get(path, follow_redirects=True)  # "//" may be merged by a redirect
        assert response.status_code == 404, path
        assert PASSWD_LINE not in response.get_data(as_text=True)


def test_an_article_whose_id_looks_like_a_path_comes_from_the_index(tmp_path):
    record = {"id": "../../etc/passwd", "title": "Bài có mã lạ", "body": "Nội dung của bài viết trong chỉ mục."}
    source = tmp_path / "odd.jsonl"
    source.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    reindex(tmp_path / "index", [str(source)], procs=1)
    client = create_app({"INDEX_DIR": str(tmp_path / "index"), "TESTING": True}).test_client()
    article = client.get("/api/articles/..%2F..%2Fetc%2Fpasswd").get_json()
    assert article["title"] == "Bài có mã lạ" and PASSWD_LINE not in article["body"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/", "/api/search", "/api/articles/kiengiang-2019-08-21-chi-thi-05.txt",
                                  "/api/suggest", "/healthz", "/api/openapi.json", "/api/reindex", "/admin"])
def test_nothing_writes_to_the_index_over_http(client, method, path):
    before = client.get("/healthz").get_json()
    response = client.open(path, method=method, data={"q": "x"})
    assert response.status_code in (404, 405), (method, path, response.status_code)
    after = client.get("/healthz").get_json()
    assert after == before
