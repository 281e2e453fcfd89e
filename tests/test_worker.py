"""The serving worker's event loop, run in the test process: request heads, held-back heavy searches.

test_server.py drives the same worker through a real `vnsearch serve`, where it runs in gunicorn's
worker processes; here one worker is built over real sockets and the real app, and its event loop
is stepped by the test, so what it holds (heads, held searches, counts) can be looked at between
events.
"""

from __future__ import annotations

import json
import logging
import os
import select
import selectors
import socket
import struct
import threading
import time
import urllib.parse
from collections import deque

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.http.errors import LimitRequestLine
from gunicorn.sock import create_sockets
from gunicorn.workers import base

import web.server
from tests.helpers import PORTAL_ID, STATE_TIMEOUT
from web.app import create_app
from web.server import BufferingThreadWorker

HEAVY_QUESTION = ("Tăng cường vai trò nêu gương của cán bộ đảng viên trong việc thực hiện chỉ thị "
                  "của Bộ Chính trị về học tập và làm theo tư tưởng đạo đức phong cách Hồ Chí Minh")


def search_head(q: str, keep_alive: bool = False) -> bytes:
    """Return the request head of a search for q."""
    target = "/api/search?" + urllib.parse.urlencode({"q": q})
    connection = "keep-alive" if keep_alive else "close"
    return f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: {connection}\r\n\r\n".encode("latin-1")


def response_whole(response: bytes) -> bool:
    """Tell whether an HTTP response's head and body (by its Content-Length) are whole."""
    head, blank, body = response.partition(b"\r\n\r\n")
    if not blank:
        return False
    length = next(line.split(b":", 1)[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    return len(body) >= int(length)


def read_response(client: socket.socket, step, close: bool) -> bytes:
    """Read one whole response from client (then close it, if asked) while calling step()."""
    # Read in a thread of its own, as a browser would: the connection is closed while the loop
    # runs, since gunicorn's graceful close waits in the loop for the client to close its end.
    response = bytearray()

    def read() -> None:
        while not response_whole(bytes(response)):
            data = client.recv(65536)
            if not data:
                return
            response.extend(data)
        if close:
            client.close()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + STATE_TIMEOUT
    while reader.is_alive():
        assert time.monotonic() < deadline, f"no whole answer came: {bytes(response[:200])!r}"
        step()
    assert response_whole(bytes(response)), f"the connection closed before its whole answer: {bytes(response)!r}"
    return bytes(response)


class SteppedWorker:
    """A BufferingThreadWorker over a real listener and the real app, its event loop stepped by the test."""

    def __init__(self, app, threads: int, **settings):
        cfg = Config()
        cfg.set("bind", ["127.0.0.1:0"])
        cfg.set("threads", threads)
        for name, value in settings.items():
            cfg.set(name, value)
        log = Logger(cfg)
        self.listener = create_sockets(cfg, log)[0]
        self.worker = BufferingThreadWorker(0, os.getppid(), [self.listener], None, 60, cfg, log)
        self.worker.wsgi = app
        self.worker.init_process()  # gunicorn's own part (signals, the run loop) is left out: see the fixture
        # What the run loop registers first: the finished requests come back through this queue.
        self.worker.poller.register(self.worker.method_queue.fileno(), selectors.EVENT_READ,
                                    self.worker.method_queue.run_callbacks)
        self.clients: list[socket.socket] = []

    def connect(self, head: bytes = b"") -> socket.socket:
        """Open a client connection to the listener (not accepted yet) and send head."""
        client = socket.create_connection(self.listener.getsockname(), timeout=STATE_TIMEOUT)
        client.sendall(head)
        self.clients.append(client)
        return client

    def accept(self) -> None:
        """Accept the oldest connection waiting on the listener, as the loop does when it is readable."""
        select.select([self.listener], [], [], STATE_TIMEOUT)
        self.worker.accept(self.listener)

    def step(self) -> None:
        """Run one turn of the worker's loop: wait for events, dispatch them, close overdue connections."""
        self.worker.wait_for_and_dispatch_events(timeout=0.05)
        self.worker.murder_pending()

    def step_until(self, done, what: str) -> None:
        """Step the loop until done() holds."""
        deadline = time.monotonic() + STATE_TIMEOUT
        while not done():
            assert time.monotonic() < deadline, f"the worker never {what}"
            self.step()

    def answer(self, client: socket.socket) -> tuple[bytes, dict]:
        """Step the loop until the client's answer is whole, then close; return its status line and JSON body."""
        head, _, body = read_response(client, self.step, close=True).partition(b"\r\n\r\n")
        return head.split(b"\r\n", 1)[0], json.loads(body)

    def settle(self) -> None:
        """Step the loop until every connection is closed."""
        self.step_until(lambda: self.worker.nr_conns == 0, "closed every connection")

    def close(self) -> None:
        """Close the clients, the thread pool, the poller and the listener."""
        for client in self.clients:
            client.close()
        self.worker.tpool.shutdown(wait=True)
        self.worker.poller.close()
        self.worker.method_queue.close()
        self.listener.close()


@pytest.fixture(scope="module")
def app(demo_index):
    """Return the app serving the demo index (its index opened once for the module's tests)."""
    return create_app({"INDEX_DIR": str(demo_index)})


@pytest.fixture
def stepped(monkeypatch, app):
    """Return a function building a SteppedWorker with some search threads and gunicorn settings (closed after)."""
    # gunicorn's Worker.init_process installs signal handlers and runs the loop until the worker
    # stops: the test steps the loop itself instead.
    monkeypatch.setattr(base.Worker, "init_process", lambda self: None)
    made: list[SteppedWorker] = []

    def make(threads: int = 1, **settings) -> SteppedWorker:
        made.append(SteppedWorker(app, threads, **settings))
        return made[-1]

    yield make
    for worker in made:
        worker.close()


def test_a_connection_takes_a_thread_only_once_its_head_is_whole(stepped):
    served = stepped(threads=1)
    head = search_head("bộ chính trị")
    client = served.connect(head[:30])
    served.accept()
    served.step_until(lambda: served.worker.heads and served.worker.heads[0].head == head[:30], "read the first bytes")
    assert (served.worker.running, served.worker.nr_conns, len(served.worker.heads)) == (0, 1, 1)
    for _ in range(5):
        served.step()  # nothing more comes: the head stays in the loop, no thread is taken
    assert (served.worker.running, len(served.worker.heads)) == (0, 1)
    client.sendall(head[30:])
    served.step_until(lambda: served.worker.running == 1, "took a thread for the whole head")
    assert not served.worker.heads and not served.worker.held
    status, body = served.answer(client)
    assert (status, body["hits"][0]["id"]) == (b"HTTP/1.1 200 OK", PORTAL_ID)
    served.settle()
    assert (served.worker.running, served.worker.heavy_running) == (0, 0)


@pytest.mark.parametrize("others_waiting", [True, False])
def test_a_heavy_search_is_held_back_while_a_connection_waits_to_be_accepted(stepped, others_waiting):
    served = stepped(threads=2)  # no heavy search runs: only the waiting connection holds it back
    heavy = served.connect(search_head(HEAVY_QUESTION))
    served.accept()
    if others_waiting:
        light = served.connect()  # connected, not accepted yet
    served.step_until(lambda: not served.worker.heads, "read the heavy search's head")
    assert (len(served.worker.held), served.worker.running, served.worker.heavy_running) == (
        (1, 0, 0) if others_waiting else (0, 1, 1))
    if others_waiting:
        for _ in range(5):
            served.step()  # the connection still waits: the heavy search stays held back
        assert (len(served.worker.held), served.worker.running) == (1, 0)
        served.accept()  # nothing waits any more: the heavy search runs at the loop's next turn
        served.step()
        assert (len(served.worker.held), served.worker.heavy_running, len(served.worker.heads)) == (0, 1, 1)
        light.sendall(search_head("bộ chính trị"))
        assert served.answer(light)[1]["hits"][0]["id"] == PORTAL_ID
    status, body = served.answer(heavy)
    assert status == b"HTTP/1.1 200 OK" and body["total"] > 0
    served.settle()
    assert (served.worker.running, served.worker.heavy_running) == (0, 0)


def test_a_held_back_search_runs_after_its_longest_wait_though_connections_still_wait(stepped):
    served = stepped(threads=2)
    served.worker.held.max_wait = 0.2
    heavy = served.connect(search_head(HEAVY_QUESTION))
    served.accept()
    served.connect()  # waits to be accepted all along
    served.step_until(lambda: len(served.worker.held) == 1, "held the heavy search back")
    served.step_until(lambda: served.worker.running == 1, "ran the heavy search after its longest wait")
    assert served.answer(heavy)[0] == b"HTTP/1.1 200 OK"


def test_looking_for_waiting_connections_never_blocks_the_loop(stepped, monkeypatch):
    served = stepped(threads=2)
    timeouts = []
    real_select = select.select

    def recording_select(rlist, wlist, xlist, timeout=None):
        timeouts.append(timeout)
        return real_select(rlist, wlist, xlist, timeout)

    heavy = served.connect(search_head(HEAVY_QUESTION))
    served.accept()
    monkeypatch.setattr(web.server.select, "select", recording_select)
    served.step_until(lambda: served.worker.running == 1, "ran the heavy search")
    monkeypatch.undo()
    assert timeouts == [0]  # a poll: the worker's other connections are not kept waiting
    assert served.answer(heavy)[0] == b"HTTP/1.1 200 OK"


def half_sent(served: SteppedWorker) -> tuple[socket.socket, object]:
    """Open a client that sends a request line and nothing more; return it and the worker's connection."""
    client = served.connect(b"GET /api/search?q=ha+noi HTTP/1.1\r\n")
    served.accept()
    served.step_until(lambda: served.worker.heads and served.worker.heads[0].head, "read the first bytes")
    return client, served.worker.heads[0]


def test_a_client_that_leaves_before_its_head_is_whole_is_forgotten(stepped):
    served = stepped(threads=1)
    leaving, connection = half_sent(served)
    leaving.close()
    served.step_until(lambda: not served.worker.heads, "forgot the connection")
    assert (served.worker.nr_conns, served.worker.running, connection.sock.fileno()) == (0, 0, -1)
    assert [key.fileobj for key in served.worker.poller.get_map().values()] == [served.worker.method_queue.fileno()]
    # The worker goes on serving.
    client = served.connect(search_head("bộ chính trị"))
    served.accept()
    assert served.answer(client)[1]["hits"][0]["id"] == PORTAL_ID


def test_a_head_overdue_is_closed_and_the_heads_after_it_wait_on(stepped, monkeypatch):
    served = stepped(threads=1)
    monkeypatch.setattr(web.server, "HEAD_TIMEOUT", 0.0)
    overdue = served.connect(b"GET /api/search?q=ha+noi HTTP/1.1\r\n")
    served.accept()
    monkeypatch.setattr(web.server, "HEAD_TIMEOUT", STATE_TIMEOUT)
    slow = served.connect(b"GET /api/search?q=bo+chinh+tri HTTP/1.1\r\n")
    served.accept()
    served.step_until(lambda: len(served.worker.heads) == 1, "closed the overdue connection")
    assert (served.worker.nr_conns, served.worker.running) == (1, 0)
    overdue.settimeout(STATE_TIMEOUT)
    assert overdue.recv(100) == b""  # closed without an answer, as gunicorn closes idle connections
    assert [key.fileobj for key in served.worker.poller.get_map().values()] == [
        served.worker.method_queue.fileno(), served.worker.heads[0].sock]
    slow.sendall(b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert served.answer(slow)[1]["hits"][0]["id"] == PORTAL_ID


def test_a_kept_alive_connection_waits_for_its_next_head_in_the_loop_too(stepped):
    served = stepped(threads=1)
    client = served.connect(search_head("bộ chính trị", keep_alive=True))
    served.accept()
    response = read_response(client, served.step, close=False)
    served.step_until(lambda: served.worker.keepalived_conns, "kept the connection alive")
    assert response.startswith(b"HTTP/1.1 200 OK")
    head = search_head("hà nội")
    client.sendall(head[:30])
    served.step_until(lambda: served.worker.heads, "took the next head in the loop")
    for _ in range(5):
        served.step()
    assert (served.worker.running, len(served.worker.keepalived_conns), served.worker.nr_conns) == (0, 0, 1)
    client.sendall(head[30:])
    status, body = served.answer(client)
    assert status == b"HTTP/1.1 200 OK" and body["query"] == "hà nội"


@pytest.mark.parametrize("heavy, accepting", [(False, False), (True, True)])
def test_a_worker_with_its_thread_taken_accepts_only_beside_a_heavy_search(stepped, heavy, accepting):
    served = stepped(threads=1)
    served.worker.set_accept_enabled(True)
    client = served.connect(search_head(HEAVY_QUESTION if heavy else "bộ chính trị"))
    served.step_until(lambda: served.worker.running == 1, "ran the search")
    assert served.worker._accepting is accepting
    assert (served.listener in [key.fileobj for key in served.worker.poller.get_map().values()]) is accepting
    served.answer(client)
    # The answer can be whole before the loop has had the thread's done callback: wait for it.
    served.step_until(lambda: served.worker.running == 0, "counted the search done")
    assert served.worker._accepting is True  # its thread free again


def test_a_request_too_long_to_parse_gets_the_apps_json_error(stepped, caplog):
    served = stepped(threads=1)
    client = served.connect(b"GET /api/search?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    address = client.getsockname()
    served.accept()
    status, body = served.answer(client)
    assert (status.split(b" ")[1], body["error"]["code"]) == (b"414", "uri_too_long")
    assert worker_messages(caplog) == [f"refused a request too large to parse (414) from {address}"]
    served.settle()


def test_a_heavy_search_waits_while_the_heavy_threads_are_busy_then_runs(stepped):
    served = stepped(threads=1)
    first, second = served.connect(search_head(HEAVY_QUESTION)), served.connect(search_head(HEAVY_QUESTION))
    served.accept()
    served.accept()
    for head in served.worker.heads:  # both heads arrived: one turn of the loop reads both
        select.select([head.sock], [], [], STATE_TIMEOUT)
    served.step()  # both heads whole in one turn: the first runs, the second finds the heavy thread busy
    assert (served.worker.running, served.worker.heavy_running, len(served.worker.held)) == (1, 1, 1)
    assert served.answer(first)[0] == b"HTTP/1.1 200 OK"
    served.step_until(lambda: not served.worker.held, "ran the held search once the heavy thread was free")
    assert served.answer(second)[0] == b"HTTP/1.1 200 OK"
    served.settle()
    assert (served.worker.running, served.worker.heavy_running) == (0, 0)


def test_the_loop_wakes_often_only_while_searches_are_held_back(stepped, monkeypatch):
    served = stepped(threads=2)
    waits = []
    real_select = served.worker.poller.select
    monkeypatch.setattr(served.worker.poller, "select", lambda timeout=None: waits.append(timeout) or real_select(0))
    served.worker.wait_for_and_dispatch_events(timeout=1.0)
    heavy = served.connect(search_head(HEAVY_QUESTION))
    served.accept()
    served.connect()  # waits to be accepted: the heavy search is held back
    served.step_until(lambda: served.worker.held, "held the heavy search back")
    waits.clear()
    served.worker.wait_for_and_dispatch_events(timeout=1.0)
    assert waits == [web.server.DEFERRED_POLL]  # to release it as soon as it may run
    served.accept()
    served.step_until(lambda: not served.worker.held, "released the heavy search")
    served.answer(heavy)
    waits.clear()
    served.worker.wait_for_and_dispatch_events(timeout=1.0)
    assert waits == [1.0]


def test_a_stopping_worker_whose_listener_is_closed_runs_a_heavy_search_at_once(stepped):
    served = stepped(threads=2)
    heavy = served.connect(search_head(HEAVY_QUESTION))
    served.accept()
    served.worker.handle_exit(None, None)  # SIGTERM: nothing more is accepted
    served.listener.sock.close()  # whether connections wait cannot be told: none is held back for them
    served.step_until(lambda: not served.worker.heads, "read the heavy search's head")
    assert (served.worker.running, len(served.worker.held)) == (1, 0)
    assert served.answer(heavy)[0] == b"HTTP/1.1 200 OK"


def test_a_worker_woken_for_a_connection_another_took_carries_on(stepped):
    served = stepped(threads=1)
    served.listener.setblocking(False)  # as gunicorn's loop has it
    assert served.worker.accept(served.listener) is None  # nothing to accept (another worker took it)
    assert (served.worker.nr_conns, len(served.worker.heads)) == (0, 0)


def test_a_stopping_worker_accepts_nothing_more_once_its_requests_finish(stepped):
    served = stepped(threads=1)
    served.worker.set_accept_enabled(True)
    client = served.connect(search_head("bộ chính trị"))
    served.step_until(lambda: served.worker.running == 1, "ran the search")
    served.worker.handle_exit(None, None)  # SIGTERM
    assert served.answer(client)[0] == b"HTTP/1.1 200 OK"
    served.settle()
    assert served.worker._accepting is False


def test_a_worker_at_its_connection_limit_stops_accepting_while_a_kept_alive_connection_stays(stepped):
    served = stepped(threads=1, worker_connections=3)
    served.worker.set_accept_enabled(True)
    kept = served.connect(search_head("bộ chính trị", keep_alive=True))
    served.step_until(lambda: served.worker.running == 1, "ran the search")
    read_response(kept, lambda: time.sleep(0.01), close=False)  # the loop not stepped: the request not finished
    for _ in range(2):
        served.connect(b"GET / HTTP/1.1\r\n")
        served.accept()
    served.step_until(lambda: served.worker.keepalived_conns, "kept the connection alive")
    assert (served.worker.nr_conns, served.worker.running, served.worker._accepting) == (3, 0, False)


def test_a_worker_has_a_pool_thread_for_each_search_thread_and_light_lane(stepped):
    # The thread pool's size: the stdlib's ThreadPoolExecutor keeps it in _max_workers.
    assert stepped(threads=3).worker.tpool._max_workers == 3 + web.server.LIGHT_LANES


def worker_messages(caplog) -> list[str]:
    """Return what the worker logged at INFO level and above (gunicorn's error log)."""
    return [record.getMessage() for record in caplog.records
            if record.name == "gunicorn.error" and record.levelno >= logging.INFO]


def reset(client: socket.socket) -> None:
    """Close a client connection with a reset (RST), as a client that crashed or was killed."""
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


def test_a_client_that_resets_before_its_head_is_whole_is_closed_at_once(stepped):
    served = stepped(threads=1)
    client, connection = half_sent(served)
    reset(client)
    select.select([connection.sock], [], [], STATE_TIMEOUT)
    served.step()  # the reset is read as the connection's end, not as bytes of its head
    assert (served.worker.heads, served.worker.nr_conns, connection.sock.fileno()) == (deque(), 0, -1)


def test_a_malformed_request_gets_gunicorns_own_400_and_a_warning(stepped, caplog):
    served = stepped(threads=1)
    client = served.connect(b"GET / HTTP/9.9\r\nHost: x\r\n\r\n")
    served.accept()
    response = read_response(client, served.step, close=True)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 400 Bad Request" and b"Invalid HTTP Version" in body
    assert worker_messages(caplog) == ["Invalid request from ip=127.0.0.1: Invalid HTTP Version: (9, 9)"]


def test_a_request_too_long_on_a_connection_not_recorded_gets_gunicorns_answer(stepped):
    served = stepped(threads=1)
    server_end, client = socket.socketpair()
    with server_end, client:
        served.worker.handle_error(None, server_end, ("127.0.0.1", 5), LimitRequestLine(9000, 8190))
        server_end.shutdown(socket.SHUT_WR)
        response = b"".join(iter(lambda: client.recv(65536), b""))
    assert response.split(b"\r\n")[0] == b"HTTP/1.1 414 URI Too Long"  # no head recorded: not the app's JSON


def test_a_client_gone_before_its_too_long_answer_is_let_go(stepped, caplog):
    served = stepped(threads=1)
    client = served.connect()
    server_end, address = served.listener.accept()
    reset(client)
    select.select([server_end], [], [], STATE_TIMEOUT)
    with server_end:
        assert served.worker.handle_error(None, server_end, address, LimitRequestLine(9000, 8190)) is None
    assert worker_messages(caplog) == [f"refused a request too large to parse (414) from {address}"]


def test_a_held_heavy_search_is_not_released_while_every_thread_is_taken(stepped):
    served = stepped(threads=2)
    served.worker.held.max_wait = STATE_TIMEOUT
    kept = [served.connect(search_head("hà nội", keep_alive=True)) for _ in range(3)]
    for _ in kept:
        served.accept()
    for client in kept:
        read_response(client, served.step, close=False)
    served.step_until(lambda: len(served.worker.keepalived_conns) == 3, "kept the connections alive")
    served.worker.set_accept_enabled(False)  # finished requests enabled it: connections are accepted by hand
    # Slow searches from here: each thread holds its request until the gate opens.
    gate, handle = threading.Event(), served.worker.handle
    served.worker.handle = lambda conn: gate.wait(STATE_TIMEOUT) and handle(conn)
    heavy = served.connect(search_head(HEAVY_QUESTION))
    served.accept()
    served.connect()  # waits to be accepted: the heavy search is held back
    served.step_until(lambda: served.worker.held, "held the heavy search back")
    for client in kept:  # kept-alive connections' requests run whatever the worker accepts
        client.sendall(search_head("bộ chính trị", keep_alive=True))
    served.step_until(lambda: served.worker.running == 3, "ran the kept-alive connections' searches")
    served.accept()  # nothing waits now, but every thread (the light lane too) is taken
    served.step()
    assert (len(served.worker.held), served.worker.running, served.worker.heavy_running) == (1, 3, 0)
    gate.set()
    served.step_until(lambda: not served.worker.held, "ran the held search once a thread was free")
    assert [read_response(client, served.step, close=True).split(b"\r\n")[0] for client in kept] == [
        b"HTTP/1.1 200 OK"] * 3
    assert served.answer(heavy)[0] == b"HTTP/1.1 200 OK"
