"""Production serving: gunicorn, run from Python, with several worker processes.

Search is CPU-bound numpy and Python, so threads of one process share one interpreter lock;
worker *processes* (``workers``) are what make concurrent clients faster.  With one thread a
worker is gunicorn's sync worker (it accepts a connection only when idle); more ``threads``
(the gthread worker) keep slow clients from blocking a worker when there is no proxy in front.
Each worker builds its own
app, and so its own ``SearchEngine``, after the fork: no file handle is shared between
processes, and every worker notices a reindex by itself within ``refresh_seconds``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import select
import selectors
import socket
import time
import urllib.parse
from collections import deque
from concurrent import futures
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import TConn
from gunicorn.workers.gthread import ThreadWorker as GunicornThreadWorker
from gunicorn.workers.sync import SyncWorker as GunicornSyncWorker
from werkzeug.test import EnvironBuilder, run_wsgi_app

from search.parse import parse_query
from web.app import TOO_LARGE_ENVIRON_KEY, create_app

# A search never takes long; a worker stuck this long is restarted by the master.
WORKER_TIMEOUT = 60
GRACEFUL_TIMEOUT = 10
# Gunicorn's largest request line (method, target and version), in bytes.
MAX_REQUEST_LINE = 8190
# Bytes of a connection kept to learn the path of a request too long to parse.
HEAD_BYTES = 512
# A client has this long to send its request line and headers; then its connection is closed.
HEAD_TIMEOUT = 10.0
# A request head this long is handed to gunicorn's parser unfinished (it answers 431).
MAX_HEAD_BUFFER = 64 * 1024
# A search of this many distinct syllables or more is heavy (a long question costs several
# typical queries: bench/bench_worst.py): it waits while other connections wait to be accepted.
HEAVY_SYLLABLES = 16
# Searches that can be heavy: the JSON API and the results page.
SEARCH_PATHS = ("/api/search", "/")
# A heavy request runs after waiting this long, whatever else waits (no starvation).
HEAVY_MAX_WAIT = 5.0
# Heavy requests a worker holds back at most; more run in the order they came.
MAX_DEFERRED = 64
# While heavy requests are held back, the event loop looks this often whether they can run.
DEFERRED_POLL = 0.02
# Threads of a worker beyond --threads that only light requests take (while heavy searches take
# every other thread): a light query runs beside a heavy search instead of waiting for it.
LIGHT_LANES = 1


# glibc's malloc in each worker: a results page allocates and frees arrays of a few hundred kilobytes
# (a common word's postings unpacked, its occurrences), which glibc takes from fresh pages (mmap, or
# the top of the heap it just gave back): about 100 page faults a page at 60,000 articles.  Arrays up
# to MALLOC_MMAP_THRESHOLD come from the heap, which keeps up to MALLOC_TRIM_THRESHOLD free at its top
# (and grows by MALLOC_TOP_PAD more): the next page reuses those pages (bench/README.md, 2026-12-02).
MALLOC_MMAP_THRESHOLD = 16 << 20
MALLOC_TRIM_THRESHOLD = 32 << 20
MALLOC_TOP_PAD = 8 << 20
# mallopt()'s parameter numbers (glibc's malloc.h).
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory() -> bool:
    """Tell glibc's malloc to keep freed memory for the next requests (``MALLOC_*`` above); return
    whether it did (False with another C library, where nothing changes)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    settings = ((_M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD),
                (_M_TOP_PAD, MALLOC_TOP_PAD))
    return all([mallopt(option, value) == 1 for option, value in settings])


class PortInUse(OSError):
    """The address the server should listen on is taken (or not allowed)."""


def check_port(host: str, port: int) -> None:
    """Raise PortInUse when host:port cannot be bound, with one line saying what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = "is already in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror})"
            raise PortInUse(f"port {port} on {host} {reason}: choose another one with --port N "
                            f"(or PORT=N with make run)") from None


class HeadRecordingSocket(socket.socket):
    """A client connection that keeps its first bytes: the start of the request line."""

    head = b""
    answered = False

    @classmethod
    def adopt(cls, client: socket.socket) -> HeadRecordingSocket:
        """Return the same connection as a recording socket."""
        return cls(client.family, client.type, client.proto, fileno=client.detach())

    def recv(self, size, *flags):
        """Receive like a socket, remembering the first HEAD_BYTES bytes."""
        data = super().recv(size, *flags)
        if flags and flags[0] & socket.MSG_PEEK:  # read again next time: remembered then
            return data
        if self.answered:  # a kept-alive connection's next request starts here
            self.head, self.answered = b"", False
        if len(self.head) < HEAD_BYTES:
            self.head += data[:HEAD_BYTES - len(self.head)]
        return data

    def sendall(self, data, *flags):
        """Send like a socket; what is received next belongs to the next request."""
        self.answered = True
        return super().sendall(data, *flags)


def _accept_recording(sock: socket.socket):
    """Accept a connection on a listening socket as a HeadRecordingSocket."""
    client, address = sock.accept()
    return HeadRecordingSocket.adopt(client), address


def too_large_status(error: Exception) -> int | None:
    """Return the HTTP status for a request gunicorn found too large to parse, else None."""
    if isinstance(error, LimitRequestLine):
        return 414
    if isinstance(error, LimitRequestHeaders):
        return 431
    return None


def requested_path(head: bytes) -> str:
    """Return the path (no query) of a request line's start, or "/" when unreadable."""
    parts = head.split(b"\r\n", 1)[0].split(b" ")
    target = parts[1].decode("latin-1") if len(parts) > 1 else "/"
    path = target.split("?", 1)[0][:200]
    return path if path.startswith("/") else "/"


def too_large_response(app, status: int, head: bytes) -> bytes:
    """Return the app's own error answer (JSON on /api/*, a Vietnamese page elsewhere) as HTTP bytes."""
    environ = EnvironBuilder(path=requested_path(head), method="GET").get_environ()
    environ[TOO_LARGE_ENVIRON_KEY] = status
    app_iter, status_line, headers = run_wsgi_app(app, environ, buffered=True)
    body = b"".join(app_iter)
    headers = [(k, v) for k, v in headers.items() if k.lower() not in ("content-length", "connection")]
    lines = [f"HTTP/1.1 {status_line}", *(f"{k}: {v}" for k, v in headers),
             f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


class TooLargeAnswers:
    """Worker behaviour: requests too long for gunicorn get the app's error format, not gunicorn's page."""

    def init_process(self):
        """Record the start of every connection, then run the worker."""
        for listener in self.sockets:
            # gunicorn's listener delegates to its socket; this attribute takes precedence.
            listener.accept = functools.partial(_accept_recording, listener.sock)
        super().init_process()

    def handle_error(self, req, client, addr, exc):
        """Answer a too long request line or header with the app's error page or JSON."""
        status = too_large_status(exc)
        if status is None or req is not None or not isinstance(client, HeadRecordingSocket):
            return super().handle_error(req, client, addr, exc)
        self.log.info("refused a request too large to parse (%s) from %s", status, addr)
        with contextlib.suppress(OSError):  # the client went away: nothing to answer
            client.sendall(too_large_response(self.wsgi, status, client.head))


def head_complete(head: bytes) -> bool:
    """Tell whether a request head is whole, or too long to wait for (gunicorn refuses it then)."""
    if b"\r\n\r\n" in head or len(head) >= MAX_HEAD_BUFFER:
        return True
    return b"\r\n" not in head and len(head) > MAX_REQUEST_LINE + 2


def is_heavy(head: bytes) -> bool:
    """Tell whether a request head asks for a heavy search (``HEAVY_SYLLABLES`` distinct syllables)."""
    target = head.split(b"\r\n", 1)[0].split(b" ")
    # A request line of fewer than three parts (cut short before its version, too long to wait for;
    # or sent without one) is refused by gunicorn at once, never searched: it is not held back.
    if len(target) < 3 or target[0] != b"GET":
        return False
    path, _, query = target[1].decode("latin-1").partition("?")
    if path not in SEARCH_PATHS:
        return False
    q = urllib.parse.parse_qs(query).get("q", [""])[0]
    return len({s.folded for s in parse_query(q).syllables}) >= HEAVY_SYLLABLES


def accepts(running: int, heavy_running: int, threads: int) -> bool:
    """Tell whether a worker with threads search threads, running requests (heavy_running of them
    heavy), takes a new connection: while a thread is free, or a light lane while only heavy
    searches run."""
    return running < threads or (running < threads + LIGHT_LANES and heavy_running == running)


class HeldBack:
    """Heavy requests held back while others wait to be served, oldest first (at most MAX_DEFERRED)."""

    def __init__(self, limit: int = MAX_DEFERRED, max_wait: float = HEAVY_MAX_WAIT):
        self.limit, self.max_wait = limit, max_wait
        self.waiting: deque[tuple[float, Any]] = deque()

    def hold(self, request, heavy: bool, others_waiting: bool, now: float) -> bool:
        """Hold a request back when it is heavy and other requests wait; tell whether it was."""
        if not heavy or not others_waiting or len(self.waiting) >= self.limit:
            return False
        self.waiting.append((now, request))
        return True

    def release(self, free: bool, others_waiting: bool, now: float) -> Any | None:
        """Return the next held request to run, or None: when a thread is free and nobody else
        waits, or when it has waited max_wait."""
        if not self.waiting or not free:
            return None
        if others_waiting and now - self.waiting[0][0] < self.max_wait:
            return None
        return self.waiting.popleft()[1]

    def __len__(self) -> int:
        return len(self.waiting)


class BufferingThreadWorker(TooLargeAnswers, GunicornThreadWorker):
    """Gunicorn's gthread worker reading every request head in its event loop.

    Gunicorn hands a connection to a thread as soon as its first bytes arrive; the thread
    then blocks until the headers are complete, so a few clients that send a request line and
    nothing more (slowloris) hold every thread.  Here the main thread buffers each head
    without blocking (``HEAD_TIMEOUT`` at most) and hands the connection over only when the
    head is whole: a search thread is taken only by a request that can run.  A worker accepts
    new connections only while a thread is free, so the kernel gives them to idle workers.

    Heavy searches (``is_heavy``) give way: at most ``threads`` of them run at once, and one that
    arrives while they do, or while connections wait to be accepted, is held back (``HeldBack``,
    not on a thread) and the worker goes on accepting, so a light query never waits behind a
    burst of heavy ones; held requests run when a heavy search's thread is free and no
    connection waits, or after ``HEAVY_MAX_WAIT``.  The worker has ``LIGHT_LANES`` more threads
    than ``threads`` and accepts while every running request is heavy: a light query then runs
    beside the heavy search (sharing the interpreter) instead of waiting for it to end.
    """

    def init_process(self):
        """Start with no connection waiting for its head and no request running."""
        self.heads: deque[TConn] = deque()
        self.held = HeldBack()
        self.running = 0
        self.heavy_running = 0
        super().init_process()

    def get_thread_pool(self):
        """Return the search threads: ``threads``, and the light lanes."""
        return futures.ThreadPoolExecutor(max_workers=self.cfg.threads + LIGHT_LANES)

    def accept(self, listener):
        """Accept a connection and wait, in the event loop, for its request head."""
        if self.cfg.is_ssl:
            return super().accept(listener)
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return None
        self.nr_conns += 1
        self._await_head(TConn(self.cfg, client, address, listener.getsockname()))
        return None

    def on_client_socket_readable(self, conn, client):
        """Wait for the whole next request head of a kept-alive connection too."""
        if self.cfg.is_ssl:
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._await_head(conn)
        return None

    def _await_head(self, conn: TConn) -> None:
        """Register a connection whose request head is still to come."""
        conn.sock.setblocking(False)
        conn.head = b""
        conn.timeout = time.monotonic() + HEAD_TIMEOUT
        self.heads.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, functools.partial(self._on_head_readable, conn))

    def _on_head_readable(self, conn: TConn, client) -> None:
        """Buffer what the client sent; hand the connection to a thread once its head is whole."""
        try:
            data = client.recv(MAX_HEAD_BUFFER)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._forget_head(conn)
            return
        conn.head += data
        if head_complete(conn.head):
            self.poller.unregister(client)
            self.heads.remove(conn)
            conn.init()  # the parser (plain HTTP/1: SSL never gets here)
            conn.parser.unreader.unread(conn.head)
            conn.data_ready = True
            conn.heavy = is_heavy(conn.head)
            # Connections not yet accepted count, and heavy searches taking every heavy thread:
            # kept-alive clients' light requests queue for a thread in order, as before (the
            # 8-client throughput runs keep theirs alive).
            busy = self.heavy_running >= self.cfg.threads
            if not self.held.hold(conn, conn.heavy, busy or self._connections_waiting(), time.monotonic()):
                self.enqueue_req(conn)

    def _connections_waiting(self) -> bool:
        """Tell whether connections wait on a listener to be accepted (by this worker or another)."""
        try:
            readable, _, _ = select.select(self.sockets, [], [], 0)
        except (OSError, ValueError):
            return False
        return bool(readable)

    def _release_held(self) -> None:
        """Run the held heavy requests that may run now."""
        while self.held:
            free = self.heavy_running < self.cfg.threads and self.running < self.cfg.threads + LIGHT_LANES
            conn = self.held.release(free, free and self._connections_waiting(), time.monotonic())
            if conn is None:
                return
            self.enqueue_req(conn)

    def wait_for_and_dispatch_events(self, timeout):
        """Wait for events, waking often while heavy requests are held back, then release those that may run."""
        super().wait_for_and_dispatch_events(min(timeout, DEFERRED_POLL) if self.held else timeout)
        self._release_held()

    def _forget_head(self, conn: TConn) -> None:
        """Close a connection that went away or took too long to send its head."""
        self.poller.unregister(conn.sock)
        self.heads.remove(conn)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self):
        """Close connections whose request head is overdue, as gunicorn closes idle ones."""
        super().murder_pending()
        now = time.monotonic()
        while self.heads and self.heads[0].timeout <= now:
            self._forget_head(self.heads[0])

    def enqueue_req(self, conn):
        """Run a request on a thread, counting it (and whether it is heavy)."""
        conn.counted_heavy = getattr(conn, "heavy", False)
        self.running += 1
        self.heavy_running += conn.counted_heavy
        self.set_accept_enabled(self._accepting)
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        """Count the request done, then keep the connection alive or close it."""
        self.running -= 1
        self.heavy_running -= getattr(conn, "counted_heavy", False)
        super().finish_request(conn, fs)
        self.set_accept_enabled(self.alive and self.nr_conns < self.worker_connections)

    def set_accept_enabled(self, enabled):
        """Accept only while a thread is free, or a light lane while only heavy searches run (the
        run loop asks again after every event)."""
        super().set_accept_enabled(enabled and accepts(self.running, self.heavy_running, self.cfg.threads))


class SyncWorker(TooLargeAnswers, GunicornSyncWorker):
    """Gunicorn's sync worker, answering too large requests in the app's format."""


class ThreadWorker(TooLargeAnswers, GunicornThreadWorker):
    """Gunicorn's gthread worker, answering too large requests in the app's format."""


def server_url(host: str, port: int) -> str:
    """Return the URL people open for a bind address."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def bind_address(host: str, port: int) -> str:
    """Return gunicorn's bind string for host and port (IPv6 addresses in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def worker_class(threads: int) -> str:
    """Return gunicorn's worker class for a number of threads per worker (the same for any)."""
    # A sync worker reads its client's headers itself, so four clients sending a request line
    # and nothing more stalled the server (/healthz timed out after 40 s); gunicorn's gthread
    # worker blocks a thread the same way once a head has begun, and accepts every connection
    # it can, so one worker may hold all the clients while another core idles (8 clients
    # measured half the throughput one run in two).  The buffering worker reads heads in its
    # event loop and accepts only while a thread is free (figures in bench/README.md).
    return "web.server.BufferingThreadWorker"


class VnsearchServer(BaseApplication):
    """Gunicorn serving the vnsearch app, configured from Python instead of a config file."""

    def __init__(self, app_config: dict[str, Any], options: dict[str, Any], url: str):
        self.app_config = app_config
        self.options = options
        self.url = url
        super().__init__()

    def load_config(self) -> None:
        """Apply the options this gunicorn version knows (newer ones are skipped on older versions)."""
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        """Return the WSGI app (called in each worker after the fork)."""
        keep_freed_memory()
        return create_app(self.app_config)


def serve(index: str, host: str, port: int, workers: int, threads: int, refresh_seconds: float,
          access_log: bool = False, backend: str = "", synonyms: str = "",
          postings_cache_mb: int | None = None) -> None:
    """Serve the index (or the SphinxQL cluster a backend URL names) over HTTP until interrupted."""
    url = server_url(host, port)
    check_port(host, port)

    def when_ready(server) -> None:
        """Say where the server listens, once its socket is bound."""
        print(f"vnsearch: serving {backend or index} at {url} ({workers} workers x {threads} threads)", flush=True)

    options = {
        "bind": bind_address(host, port),
        "workers": max(1, workers),
        "threads": max(1, threads),
        "worker_class": worker_class(threads),
        "timeout": WORKER_TIMEOUT,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "keepalive": 5,
        # A 256-character query percent-encodes to at most 3,840 characters (15 per letter
        # with two combining marks, NFD), plus filters: allow gunicorn's longest request line.
        "limit_request_line": MAX_REQUEST_LINE,
        "preload_app": False,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "vnsearch",
        "when_ready": when_ready,
        # Gunicorn >= 25.1 opens a control socket in $HOME by default; two servers would clash.
        "control_socket_disable": True,
        "worker_tmp_dir": "/dev/shm" if _is_dir("/dev/shm") else None,
    }
    app_config = {"INDEX_DIR": index, "BACKEND": backend, "REFRESH_SECONDS": refresh_seconds, "SYNONYMS": synonyms,
                  "POSTINGS_CACHE_MB": postings_cache_mb}
    VnsearchServer(app_config, options, url).run()


def _is_dir(path: str) -> bool:
    """Tell whether path is a writable directory."""
    return os.path.isdir(path) and os.access(path, os.W_OK)
