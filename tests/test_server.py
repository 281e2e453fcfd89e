"""`vnsearch serve` as a real process: gunicorn workers, 127.0.0.1, reindexes picked up live."""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import unicodedata
import urllib.parse
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.settings import SETTINGS
from search.store import current_generation
from tests.helpers import (
    PORTAL_ID,
    ROOT,
    STATE_TIMEOUT,
    VNSEARCH,
    Querier,
    Server,
    answers,
    clean_env,
    free_port,
    get,
    run_reindex,
    running_server,
    start_server,
    wait_until,
    write_jsonl,
)
from vnsearch.cli import main

NEW_WORD = "xylophonequetzal"


def listening_addresses(port: int) -> set[str]:
    """Return the IPv4 addresses with a socket listening on port (from /proc/net/tcp)."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                if len(address) == 8:
                    addresses.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
                else:
                    addresses.add("ipv6:" + address)
    return addresses


def children(pid: int) -> list[int]:
    """Return the ids of a process's direct children (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


class WordWatcher(Querier):
    """Query a server for a word (and other searches) while a reindex adds it."""

    def __init__(self, server: Server, word: str):
        super().__init__(server, [f"/api/search?q={word}", "/api/search?q=viet+nam&year=2020",
                                  "/api/search?q=bo+chinh+tri&page=2", "/?q=viet+nam", f"/api/suggest?q={word[:5]}"])


def served_by_every_worker(server: Server, check, streak: int = 12) -> bool:
    """Tell whether check(server) holds for streak requests in a row (reaching every worker)."""
    return all(check(server) for _ in range(streak))


@pytest.fixture()
def own_index(demo_index, tmp_path) -> Path:
    """Return a private copy of the demo index that a test may reindex."""
    copy = tmp_path / "index"
    shutil.copytree(demo_index, copy, symlinks=True)
    return copy


def test_serve_is_gunicorn_on_localhost_with_worker_processes(own_index, tmp_path):
    with running_server(own_index, tmp_path / "serve.log", "--workers", "2", "--threads", "2") as server:
        status, headers, body = get(server.url + "/api/search?q=bo+chinh+tri")
        assert status == 200 and json.loads(body)["total"] > 0
        assert headers["Server"].startswith("gunicorn")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert listening_addresses(server.port) == {"127.0.0.1"}
        cmdline = Path(f"/proc/{server.process.pid}/cmdline").read_bytes().split(b"\0")
        # The master is the `vnsearch serve` process itself (gunicorn renames it where setproctitle is installed).
        assert b"serve" in cmdline or cmdline[0].startswith(b"gunicorn: master")
        assert not any(b"flask" in part for part in cmdline)
        # Gunicorn forks workers one after another (a random pause between): give it a moment.
        wait_until(lambda: len(children(server.process.pid)) >= 2, "gunicorn never started two workers")
        assert len(children(server.process.pid)) == 2, "two worker processes"
        assert f"http://127.0.0.1:{server.port}/" in server.output()
        status, _, page = get(server.url + "/?q=bo+chinh+tri")
        assert status == 200 and "Bộ Chính trị".encode() in page
        status, _, page = get(server.url + "/?page=abc")
        assert status == 200 and b"Traceback" not in page and "Số trang “abc” không dùng được".encode() in page
        assert get(server.url + "/api/search?page=abc")[0] == 400
        assert get(server.url + "/articles/nope")[0] == 404


@pytest.mark.parametrize("threads", ["1", "2"])  # one search thread per worker, then two
def test_reindex_is_served_live_without_failed_requests(own_index, tmp_path, threads):
    article = {"id": "live-reindex-test", "title": f"Bài mới về {NEW_WORD}",
               "body": f"Từ khóa {NEW_WORD} chỉ có trong bài viết này, thêm khi máy chủ đang chạy.",
               "published": "2021-01-02T10:00:00+07:00", "category": "Thử nghiệm", "source": "test"}
    source = write_jsonl(tmp_path / "new.jsonl", [article])
    with running_server(own_index, tmp_path / "serve.log", "--workers", "2", "--threads", threads) as server:
        assert server.json("/api/search", q=NEW_WORD)["total"] == 0
        querier = WordWatcher(server, NEW_WORD)
        querier.start()
        try:
            wait_until(lambda: querier.requests > 5, "the querier never got an answer")
            run_reindex(own_index, str(source))
            # Every worker must serve the new article, not just the one that happened to answer first.
            new_article_found = lambda s: s.json("/api/search", q=NEW_WORD)["total"] == 1  # noqa: E731
            wait_until(lambda: served_by_every_worker(server, new_article_found),
                       "some worker never served the reindexed article")
            # A full rebuild swaps in a new generation; the server must follow that too.
            run_reindex(own_index, "--full")
            generation = current_generation(own_index).name
            wait_until(lambda: served_by_every_worker(server, lambda s: s.json("/healthz")["generation"] == generation),
                       "some worker never served the rebuilt generation")
        finally:
            querier.stop()
        assert not querier.failures, querier.failures[:5]
        assert querier.requests > 20
        assert server.json("/healthz")["documents"] == 202
        hit = server.json("/api/search", q=NEW_WORD)["hits"][0]
        assert hit["id"] == "live-reindex-test" and NEW_WORD in hit["title_html"]
        assert server.json(f"/api/articles/{article['id']}")["title"] == article["title"]


def test_serve_without_an_index_answers_503_then_serves_it(tmp_path):
    index_dir = tmp_path / "later"
    server = start_server(index_dir, tmp_path / "serve.log", "--workers", "1", "--threads", "2")
    try:
        wait_until(lambda: answers(server), f"vnsearch serve did not start:\n{server.output()}")
        status, _, body = get(server.url + "/healthz")
        assert status == 503 and json.loads(body)["error"]["code"] == "index_missing"
        assert "no index" in server.output()
        source = write_jsonl(tmp_path / "one.jsonl", [{"id": "one", "title": "Một bài", "body": "Nội dung bài một."}])
        run_reindex(index_dir, str(source))
        wait_until(lambda: answers(server) == 200, "the new index was never served")
        assert server.json("/api/search", q="noi dung")["total"] == 1
    finally:
        server.stop()


def test_serve_options_come_from_settings():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for flag, env in [("--index", "VNSEARCH_INDEX"), ("--host", "VNSEARCH_HOST"), ("--port", "VNSEARCH_PORT"),
                      ("--workers", "VNSEARCH_WORKERS"), ("--threads", "VNSEARCH_THREADS"),
                      ("--refresh-seconds", "VNSEARCH_REFRESH_SECONDS"),
                      ("--postings-cache-mb", "VNSEARCH_POSTINGS_CACHE_MB")]:
        assert flag in result.output and env in result.output
    shown = " ".join(result.output.split())
    for name in ("index", "host", "port", "workers", "threads", "refresh_seconds", "postings_cache_mb"):
        assert " ".join(SETTINGS[name].help.split()) in shown, name
    assert "127.0.0.1" in result.output
    assert CliRunner().invoke(main, ["serve", "--workers", "0"]).exit_code == 2


def start_demo(tmp_path: Path, log_name: str) -> Server:
    """Start `vnsearch demo` on a free port with its data directory under tmp_path; return it."""
    port = free_port()
    env = dict(clean_env(), XDG_DATA_HOME=str(tmp_path / "data"))
    with (tmp_path / log_name).open("wb") as out:
        process = subprocess.Popen([str(VNSEARCH), "demo", "--port", str(port), "--workers", "1", "--threads", "2"],
                                   stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    return Server(process, port, tmp_path / log_name)


def test_demo_indexes_the_bundled_corpus_once_then_serves_it(tmp_path):
    demo_index = tmp_path / "data" / "vnsearch" / "demo-index"
    for run, log_name in enumerate(["first.log", "second.log"]):
        server = start_demo(tmp_path, log_name)
        try:
            wait_until(lambda started=server: answers(started) == 200,
                       f"vnsearch demo did not start:\n{server.output()}", timeout=3 * STATE_TIMEOUT, interval=0.2)
            assert server.json("/healthz")["documents"] == 201
            assert server.json("/api/search", q="chi thi 05 bo chinh tri")["hits"][0]["id"] == PORTAL_ID
            assert current_generation(demo_index) is not None
            assert ("indexing the demo corpus" in server.output()) == (run == 0), server.output()
        finally:
            server.stop()


@pytest.mark.parametrize("threads", ["1", "2"])  # one search thread per worker, then two
def test_requests_too_long_for_the_server_get_the_json_error_on_the_api_and_a_page_elsewhere(
        demo_index, tmp_path, threads):
    from bs4 import BeautifulSoup

    # The longest query the search box takes: 256 letters with two combining marks each (NFD).
    longest = unicodedata.normalize("NFD", "ệ" * 256)
    too_long = urllib.parse.quote("bộ chính trị " * 800)
    with running_server(demo_index, tmp_path / "serve.log", "--workers", "1", "--threads", threads) as server:
        query = "q=" + urllib.parse.quote(longest) + "&category=" + urllib.parse.quote("Thể thao")
        status, _, body = get(server.url + "/api/search?" + query)
        assert status == 200 and len(json.loads(body)["query"]) == 256
        status, headers, body = get(server.url + "/api/search?q=" + too_long)
        assert status == 414 and headers["Content-Type"] == "application/json"
        error = json.loads(body)["error"]
        assert error["code"] == "uri_too_long" and set(error) == {"code", "message"}
        status, headers, body = get(server.url + "/?q=" + too_long)
        assert status == 414 and headers["Content-Type"].startswith("text/html")
        page = BeautifulSoup(body, "html.parser")
        assert page.html["lang"] == "vi"
        assert page.find("h1").get_text(strip=True) == "Địa chỉ quá dài"
        assert "tối đa 256 ký tự" in page.select_one(".error-message").get_text()
        assert headers["Content-Security-Policy"].startswith("default-src 'self'")
        # The worker is still serving.
        assert server.json("/api/search", q="bo chinh tri")["total"] > 0


def test_serve_on_a_busy_port_says_so_in_one_line_and_exits_5(demo_index):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([str(VNSEARCH), "serve", "--index", str(demo_index), "--port", str(port)],
                              env=clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 5
    assert done.stdout == ""
    assert done.stderr == (f"vnsearch: port {port} on 127.0.0.1 is already in use: choose another one with "
                           f"--port N (or PORT=N with make run)\n")


def half_sent_request(port: int) -> socket.socket:
    """Open a connection that sends a request line and nothing more (a slowloris client)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"GET /api/search?q=bo+chinh+tri HTTP/1.1\r\n")
    return sock


def test_idle_half_sent_requests_hold_no_worker(demo_index, tmp_path):
    with running_server(demo_index, tmp_path / "serve.log", "--workers", "1", "--threads", "1") as server:
        held = [half_sent_request(server.port) for _ in range(12)]
        try:
            # A generous deadline: a worker held by a slow client would never answer at all.
            status, _, body = get(server.url + "/api/search?q=bo+chinh+tri", timeout=20)
            assert status == 200 and json.loads(body)["hits"][0]["id"] == "kiengiang-2019-08-21-chi-thi-05.txt"
            assert get(server.url + "/healthz", timeout=20)[0] == 200
            # A slow client that finally finishes its request is answered like any other.
            held[0].sendall(b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
            response = b"".join(iter(lambda: held[0].recv(65536), b""))
            head, _, body = response.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 ")
            assert json.loads(body)["hits"][0]["id"] == "kiengiang-2019-08-21-chi-thi-05.txt"
        finally:
            for sock in held:
                sock.close()


HEAVY_QUESTION = ("Tăng cường vai trò nêu gương của cán bộ đảng viên trong việc thực hiện chỉ thị "
                  "của Bộ Chính trị về học tập và làm theo tư tưởng đạo đức phong cách Hồ Chí Minh")


def send_search(port: int, q: str) -> socket.socket:
    """Send a whole search request on a new connection and return the connection (not read yet)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    target = "/api/search?" + urllib.parse.urlencode({"q": q})
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode("latin-1"))
    return sock


def test_a_light_search_overtakes_heavy_searches_queued_before_it(demo_index, tmp_path):
    with running_server(demo_index, tmp_path / "serve.log", "--workers", "1", "--threads", "1") as server:
        sent = [(f"heavy {n}", send_search(server.port, HEAVY_QUESTION)) for n in range(8)]
        sent.append(("light", send_search(server.port, "bo chinh tri")))
        finished, lock = [], threading.Lock()

        def read(name: str, sock: socket.socket) -> None:
            response = b"".join(iter(lambda: sock.recv(65536), b""))
            with lock:
                finished.append((name, response.split(b"\r\n", 1)[0]))
            sock.close()

        readers = [threading.Thread(target=read, args=item) for item in sent]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(timeout=120)
        assert sorted(finished) == sorted((name, b"HTTP/1.1 200 OK") for name, _ in sent)
        # Accepted in the order sent, one at a time, the light search would be answered last.
        # The heavy ones that found others waiting were held back: it is answered before at
        # least half of them (those the worker ran before the client had queued the rest,
        # under load, are the only ones ahead of it).
        assert [name for name, _ in finished].index("light") <= 4


# A loop of what a results page does with a common word's postings: arrays of 200 kB made and freed.
ALLOCATING = """
import resource, sys
import numpy as np
if sys.argv[1] == "kept":
    from web.server import keep_freed_memory
    assert keep_freed_memory()
counts = np.ones(25_000, dtype=np.uint8)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(100):
    wide = counts.astype(np.int64)
    starts = np.cumsum(wide) - wide
    del wide, starts
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_a_worker_keeps_freed_memory_so_the_next_arrays_take_no_new_pages():
    assert platform.libc_ver()[0] == "glibc"  # the server's platform (mallopt is glibc's)
    faults = {}
    for how in ("default", "kept"):
        run = subprocess.run([sys.executable, "-c", ALLOCATING, how], capture_output=True, text=True, check=True,
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        faults[how] = int(run.stdout)
    # By default glibc hands back the freed arrays' pages and faults new ones in (~150 per pass).
    assert faults["default"] > 5000 and faults["kept"] < faults["default"] / 10, faults
