"""What web.server decides in the process that serves: request heads, too-large answers, addresses.

test_server.py drives the same code through a real `vnsearch serve`; these check each part alone.
"""

from __future__ import annotations

import errno
import json
import os
import select
import socket

import pytest
from bs4 import BeautifulSoup
from gunicorn.http.errors import InvalidRequestLine, LimitRequestHeaders, LimitRequestLine

import web.server
from web.app import create_app
from web.server import (
    HEAD_BYTES,
    MAX_HEAD_BUFFER,
    MAX_REQUEST_LINE,
    HeadRecordingSocket,
    PortInUse,
    VnsearchServer,
    _accept_recording,
    _is_dir,
    bind_address,
    check_port,
    head_complete,
    keep_freed_memory,
    requested_path,
    server_url,
    too_large_response,
    too_large_status,
    worker_class,
)


@pytest.mark.parametrize("head, whole", [
    (b"GET /api/search?q=ha+noi HTTP/1.1\r\nHost: localhost\r\n\r\n", True),
    (b"GET /api/search?q=ha+noi HTTP/1.1\r\nHost: localhost\r\n", False),  # headers still coming
    (b"GET /api/search?q=ha+noi HTTP/1.1", False),  # the request line still coming
    (b"GET /?q=" + b"a" * (MAX_REQUEST_LINE - 6), False),  # a request line as long as gunicorn takes
    (b"GET /?q=" + b"a" * (MAX_REQUEST_LINE - 5), True),  # one byte longer: refused without its end
    (b"GET / HTTP/1.1\r\nX: " + b"y" * (MAX_HEAD_BUFFER - 20), False),  # a header one byte short of the cap
    (b"GET / HTTP/1.1\r\nX: " + b"y" * (MAX_HEAD_BUFFER - 19), True),  # at the cap: gunicorn refuses it
    (b"", False),
])
def test_a_head_is_whole_at_its_blank_line_or_once_too_long_to_wait_for(head, whole):
    assert head_complete(head) is whole


@pytest.mark.parametrize("head, path", [
    (b"GET /api/search?q=" + b"a" * 9000, "/api/search"),  # a request line cut short: its path
    (b"GET /articles/vnx-1?q=bo HTTP/1.1\r\nHost: x\r\n\r\n", "/articles/vnx-1"),
    (b"GET /" + b"x" * 300 + b" HTTP/1.1\r\n", "/" + "x" * 199),  # at most 200 characters
    (b"GET http://example.com/ HTTP/1.1\r\n", "/"),  # not a path
    (b"GET", "/"),  # no target yet
    (b"", "/"),
    (b"GET /%C3%A1?q=1 HTTP/1.1\r\n", "/%C3%A1"),  # as sent: the app decodes it
    (b"GET /api/search?q=tai+sao?+vi+sao? HTTP/1.1\r\n", "/api/search"),  # question marks typed in the query
    (b"GET\t/api/search?q=" + b"a" * 9000, "/"),  # parts after single spaces, as gunicorn reads them
    (b"GET /\xe1 HTTP/1.1\r\n", "/\xe1"),  # raw bytes read as Latin-1, never an error
])
def test_the_path_of_a_request_too_large_to_parse_is_read_from_its_first_bytes(head, path):
    assert requested_path(head) == path


def test_only_a_request_line_or_headers_too_long_get_a_status_of_their_own():
    assert too_large_status(LimitRequestLine(9000, MAX_REQUEST_LINE)) == 414
    assert too_large_status(LimitRequestHeaders("too many headers")) == 431
    assert too_large_status(InvalidRequestLine("GET")) is None
    assert too_large_status(OSError("reset")) is None


def split_response(raw: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    """Return (status line, headers in order, body) of raw HTTP/1.1 response bytes."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    return status, [tuple(line.split(": ", 1)) for line in lines], body


@pytest.fixture(scope="module")
def app(demo_index):
    """Return the web app over the demo corpus (embedded index)."""
    return create_app({"INDEX_DIR": str(demo_index)})


def test_a_too_long_request_to_the_api_is_answered_with_the_app_s_json_error(app):
    status, headers, body = split_response(too_large_response(app, 414, b"GET /api/search?q=" + b"a" * 9000))
    assert status == "HTTP/1.1 414 REQUEST URI TOO LONG"
    names = [name for name, _ in headers]
    # One length, the body's own, and the connection closed: the rest of the request is never read.
    assert names.count("Content-Length") == 1 and names[-2:] == ["Content-Length", "Connection"]
    assert dict(headers)["Content-Length"] == str(len(body)) and dict(headers)["Connection"] == "close"
    assert dict(headers)["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "uri_too_long"


def test_too_long_headers_elsewhere_get_the_app_s_vietnamese_page(app):
    status, headers, body = split_response(too_large_response(app, 431, b"GET /?q=ha+noi HTTP/1.1\r\nX: "))
    assert status == "HTTP/1.1 431 REQUEST HEADER FIELDS TOO LARGE"
    assert dict(headers)["Content-Type"].startswith("text/html") and dict(headers)["Content-Length"] == str(len(body))
    assert dict(headers)["Content-Security-Policy"].startswith("default-src 'self'")
    page = BeautifulSoup(body.decode("utf-8"), "html.parser")
    assert page.html["lang"] == "vi" and page.find("h1").get_text(strip=True)


def test_a_connection_records_the_start_of_each_request_it_receives():
    server_end, client_end = socket.socketpair()
    with server_end, client_end:
        recording = HeadRecordingSocket.adopt(server_end)
        with recording:
            assert server_end.fileno() == -1  # the same connection, now the recording one's
            client_end.sendall(b"GET /a HTTP/1.1\r\n")
            assert recording.recv(4) == b"GET " and recording.head == b"GET "
            assert recording.recv(100) == b"/a HTTP/1.1\r\n" and recording.head == b"GET /a HTTP/1.1\r\n"
            long_line = b"GET /?q=" + b"x" * (2 * HEAD_BYTES)
            client_end.sendall(long_line)
            received = b""
            while len(received) < len(long_line):
                received += recording.recv(4096)
            assert received == long_line and len(recording.head) == HEAD_BYTES
            assert recording.head == (b"GET /a HTTP/1.1\r\n" + long_line)[:HEAD_BYTES]
            # Answered: a kept-alive connection's next bytes are the next request's.
            recording.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
            assert client_end.recv(100) == b"HTTP/1.1 200 OK\r\n\r\n"
            client_end.sendall(b"GET /b HTTP/1.1\r\n")
            assert recording.recv(100) == b"GET /b HTTP/1.1\r\n" and recording.head == b"GET /b HTTP/1.1\r\n"
            client_end.sendall(b"Host: x\r\n")
            assert recording.recv(100) == b"Host: x\r\n" and recording.head == b"GET /b HTTP/1.1\r\nHost: x\r\n"
            # Flags are a socket's: a peek leaves the bytes to read.
            recording.settimeout(5)
            client_end.sendall(b"Accept: */*\r\n")
            assert recording.recv(100, socket.MSG_PEEK) == b"Accept: */*\r\n"
            assert recording.head == b"GET /b HTTP/1.1\r\nHost: x\r\n"  # peeked, not yet received
            assert recording.recv(100) == b"Accept: */*\r\n"
            assert recording.head == b"GET /b HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n"  # once
            client_end.sendall(b"\r\n")
            assert recording.recv(100, socket.MSG_DONTWAIT) == b"\r\n"  # another flag: received
            assert recording.head == b"GET /b HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"


def test_a_listener_accepts_its_connections_as_recording_ones():
    with socket.create_server(("127.0.0.1", 0)) as listener, socket.create_connection(listener.getsockname()) as client:
        accepted, address = _accept_recording(listener)
        with accepted:
            assert isinstance(accepted, HeadRecordingSocket) and address == client.getsockname()
            # The same kind of socket: an address reads as an IPv4 one.
            assert (accepted.family, accepted.type) == (socket.AF_INET, socket.SOCK_STREAM)
            assert accepted.getpeername() == client.getsockname()
            client.sendall(b"GET /x HTTP/1.1\r\n")
            assert accepted.recv(100) == b"GET /x HTTP/1.1\r\n" and accepted.head == b"GET /x HTTP/1.1\r\n"
            accepted.sendall(b"!", socket.MSG_OOB)  # a socket's flags: sent as urgent data
            assert select.select([], [], [client], 5)[2] == [client]
            assert client.recv(1, socket.MSG_OOB) == b"!"


def test_a_port_in_use_is_refused_in_one_line_saying_what_to_do():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse) as refused:
            check_port("127.0.0.1", port)
    assert str(refused.value) == (f"port {port} on 127.0.0.1 is already in use: choose another one with --port N "
                                  f"(or PORT=N with make run)")
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
    check_port("127.0.0.1", port)  # free again: no error


def test_an_address_this_machine_does_not_have_is_refused_with_the_system_s_reason():
    with pytest.raises(PortInUse) as refused:
        check_port("192.0.2.1", 8000)  # TEST-NET-1: never a local address
    assert str(refused.value) == (f"port 8000 on 192.0.2.1 cannot be used ({os.strerror(errno.EADDRNOTAVAIL)}): "
                                  "choose another one with --port N (or PORT=N with make run)")


def test_an_ipv6_port_is_probed_on_ipv6():
    with socket.socket(socket.AF_INET6) as taken:
        try:
            taken.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback on this machine")
        taken.listen()
        with pytest.raises(PortInUse, match="is already in use"):
            check_port("::1", taken.getsockname()[1])


@pytest.mark.parametrize("host, url, bind", [
    ("127.0.0.1", "http://127.0.0.1:8000/", "127.0.0.1:8000"),
    ("0.0.0.0", "http://127.0.0.1:8000/", "0.0.0.0:8000"),  # every interface: opened on this machine
    ("", "http://127.0.0.1:8000/", ":8000"),
    ("::", "http://[::1]:8000/", "[::]:8000"),
    ("::1", "http://[::1]:8000/", "[::1]:8000"),
    ("search.example", "http://search.example:8000/", "search.example:8000"),
])
def test_a_bind_address_is_shown_as_the_url_to_open_and_given_to_gunicorn_with_ipv6_in_brackets(host, url, bind):
    assert (server_url(host, 8000), bind_address(host, 8000)) == (url, bind)


@pytest.mark.parametrize("threads", [1, 2, 8])
def test_every_worker_reads_heads_in_its_event_loop_whatever_its_threads(threads):
    assert worker_class(threads) == "web.server.BufferingThreadWorker"


def test_gunicorn_takes_the_options_it_knows_and_skips_unset_and_unknown_ones(demo_index):
    options = {"bind": "127.0.0.1:8123", "workers": 3, "threads": 2, "accesslog": None, "keepalive": 5,
               "no_such_option": 1}
    server = VnsearchServer({"INDEX_DIR": str(demo_index)}, options, "http://127.0.0.1:8123/")
    cfg = server.cfg
    assert (cfg.bind, cfg.workers, cfg.threads, cfg.keepalive, cfg.accesslog) == (["127.0.0.1:8123"], 3, 2, 5, None)
    assert "no_such_option" not in cfg.settings and server.url == "http://127.0.0.1:8123/"
    app = server.load()  # what each worker does after the fork
    assert app.test_client().get("/healthz").get_json()["documents"] == 201


def test_workers_keep_their_heartbeat_files_only_in_a_writable_directory(tmp_path):
    (tmp_path / "file").write_text("x")
    assert _is_dir(str(tmp_path)) and not _is_dir(str(tmp_path / "file")) and not _is_dir(str(tmp_path / "none"))


def test_glibc_is_told_to_keep_freed_memory():
    assert keep_freed_memory() is True


@pytest.mark.parametrize("error", [OSError("no C library to open"), AttributeError("mallopt")])
def test_another_c_library_is_left_as_it_is(monkeypatch, error):
    def unavailable(name):
        raise error

    monkeypatch.setattr(web.server.ctypes, "CDLL", unavailable)
    assert keep_freed_memory() is False
