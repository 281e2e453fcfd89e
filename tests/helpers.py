"""What several test modules share: the demo corpus, JSON Lines files, processes and servers.

Test modules import from here (and fixtures come from conftest.py), never from each other.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "vnsearch" / "demo"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEMO_SOURCES = [str(DEMO / "articles.jsonl"), str(DEMO / "portal")]
PORTAL_ID = "kiengiang-2019-08-21-chi-thi-05.txt"  # the demo corpus's one portal article
PORTAL_FILE = DEMO / "portal" / PORTAL_ID
# A highlighted word of a snippet or title (its marked text).
MARK_RE = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)
DEMO_ARTICLES = [json.loads(line) for line in (DEMO / "articles.jsonl").read_text(encoding="utf-8").splitlines()]

BIN = Path(sys.executable).parent
VNSEARCH = BIN / "vnsearch"
START_TIMEOUT = 60.0
# How long a test waits for a state that normally comes in well under a second: generous, so
# that only a real fault (never a slow, shared machine) makes it run out.
STATE_TIMEOUT = 60.0

# CI (.ci/run) sets this: every test that would be skipped fails instead (see conftest.py).
REQUIRE_ALL_ENV = "VNSEARCH_REQUIRE_ALL"


def skip_or_fail(reason: str) -> None:
    """Skip the test, or fail it when every test is required to run (as in CI)."""
    if os.environ.get(REQUIRE_ALL_ENV) == "1":
        pytest.fail(f"this test must run ({REQUIRE_ALL_ENV}=1) but: {reason}")
    pytest.skip(reason)


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """Write records as JSON Lines (creating the folder) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def make_source(root: Path, count: int = 4, portal: bool = True) -> Path:
    """Return a source folder: count demo articles in news.jsonl, and the portal page."""
    source = root / "src"
    write_jsonl(source / "news.jsonl", DEMO_ARTICLES[:count])
    if portal:
        (source / "portal").mkdir(parents=True, exist_ok=True)
        (source / "portal" / PORTAL_ID).write_bytes(PORTAL_FILE.read_bytes())
    return source


@contextmanager
def fixture_engines(directory: Path, sources: list[str]):
    """Yield a function giving an engine over sources on a backend ("embedded" or "cluster"), with a
    ranking; each backend is built the first time it is asked for, its cluster stopped at the end."""
    from search.cluster_index import reindex_cluster
    from search.engine import SearchEngine, open_engine
    from search.index import reindex
    from search.ranking import DEFAULT_RANKING
    from search.sphinxql import Cluster
    from tests.sphinx_cluster import running_cluster

    made, clusters = {}, []

    def engine(name: str, ranking=DEFAULT_RANKING) -> SearchEngine:
        if name not in made:
            if name == "embedded":
                reindex(directory / "index", sources, procs=1)
                made[name] = str(directory / "index")
            else:
                clusters.append(running_cluster(directory / "nodes"))
                cluster = clusters[-1].__enter__()
                reindex_cluster(Cluster(cluster.url), directory / "lock", sources, procs=1)
                made[name] = cluster.url
        if name == "embedded":
            return SearchEngine(made[name], ranking=ranking)
        return open_engine("", made[name], ranking=ranking)

    try:
        yield engine
    finally:
        for cluster in clusters:
            cluster.__exit__(None, None, None)


def flip_middle_byte(path: Path) -> None:
    """Damage a file without changing its size."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x5A
    path.write_bytes(bytes(data))


def counts(report) -> tuple[int, int, int, int, int]:
    """Return a reindex report's (added, updated, deleted, unchanged, rejected)."""
    return report.added, report.updated, report.deleted, report.unchanged, len(report.rejected)


def wait_until(condition, message: str, timeout: float = STATE_TIMEOUT, interval: float = 0.05):
    """Poll condition until it returns something true and return that; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{message} (waited {timeout:g} s)"
        time.sleep(interval)


def read_line(stream, timeout: float = STATE_TIMEOUT) -> str:
    """Read one line from a subprocess's pipe, failing after timeout instead of hanging."""
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, f"no line from the subprocess within {timeout:g} s"
    return stream.readline()


def read_until(stream, marker: str, timeout: float = STATE_TIMEOUT) -> str:
    """Read a subprocess's pipe until marker appears and return what was read; fail after timeout
    or at the end of the output.  Read unbuffered: a buffered reader could hold the marker's line
    while select sees nothing more to read."""
    seen, deadline = b"", time.monotonic() + timeout
    while marker.encode() not in seen:
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no {marker!r} from the subprocess within {timeout:g} s: {seen.decode(errors='replace')}"
        chunk = os.read(stream.fileno(), 65536)
        assert chunk, f"the subprocess ended without {marker!r}: {seen.decode(errors='replace')}"
        seen += chunk
    return seen.decode(errors="replace")


# Servers -----------------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env() -> dict[str, str]:
    """Return the environment without VNSEARCH_* settings that would change what is tested."""
    return {key: value for key, value in os.environ.items() if not key.startswith("VNSEARCH_")}


def get(url: str, timeout: float = 30.0) -> tuple[int, dict, bytes]:
    """GET url and return (status, headers, body), also for HTTP errors."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Server:
    """A `vnsearch serve` subprocess and where to reach it."""

    def __init__(self, process: subprocess.Popen, port: int, log: Path):
        self.process = process
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}"

    def json(self, path: str, **params) -> dict:
        """GET a JSON endpoint and return its body (asserting a 200)."""
        query = ("?" + urllib.parse.urlencode(params, doseq=True)) if params else ""
        status, _, body = get(self.url + path + query)
        assert status == 200, body[:300]
        return json.loads(body)

    def output(self) -> str:
        """Return what the server printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stop the server gracefully, then forcibly, with all its workers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        # The server leads its own process group: this reaches workers left behind, and only them.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=5)


def start_server(index_dir: Path, log: Path, *extra: str) -> Server:
    """Start `vnsearch serve` on a free port (without waiting for it) and return it."""
    port = free_port()
    command = [str(VNSEARCH), "serve", "--index", str(index_dir), "--port", str(port), *extra]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=clean_env(),
                                   start_new_session=True)
    return Server(process, port, log)


def answers(server: Server) -> int | None:
    """Return the status of the server's /healthz, or None while it does not answer yet."""
    assert server.process.poll() is None, f"vnsearch serve exited:\n{server.output()}"
    try:
        return get(server.url + "/healthz", timeout=5)[0]
    except OSError:
        return None


@contextmanager
def running_server(index_dir: Path, log: Path, *extra: str):
    """Run `vnsearch serve` on a free port until the block ends; yield a Server."""
    server = start_server(index_dir, log, *extra)
    try:
        wait_until(lambda: answers(server) == 200, f"vnsearch serve did not start:\n{server.output()}",
                   timeout=START_TIMEOUT, interval=0.1)
        yield server
    finally:
        server.stop()


_HOLD_LOCK = """
import sys
from pathlib import Path
from search.store import writer_lock
with writer_lock(Path(sys.argv[1]), 5):
    print("locked", flush=True)
    sys.stdin.read()
"""


@contextmanager
def writer_lock_held(index_dir: Path):
    """Hold index_dir's writer lock in another process until the block ends; yield that process."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(index_dir)], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert read_line(holder.stdout).strip() == "locked"
        yield holder
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def run_reindex(index_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `vnsearch reindex` on index_dir as a process and check it succeeded."""
    done = subprocess.run([str(VNSEARCH), "reindex", "--index", str(index_dir), *args], env=clean_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


class Querier(threading.Thread):
    """Keep querying a server with a list of paths, recording every failed or wrong response."""

    def __init__(self, server: Server, paths: list[str]):
        super().__init__(daemon=True)
        self.server = server
        self.paths = paths
        self.stopping = threading.Event()
        self.requests = 0
        self.failures: list[str] = []

    def run(self) -> None:
        while not self.stopping.is_set():
            for path in self.paths:
                try:
                    status, _, body = get(self.server.url + path)
                except OSError as error:
                    self.failures.append(f"{path}: {error!r}")
                    continue
                self.requests += 1
                problem = f"HTTP {status} {body[:200]!r}" if status != 200 else self.problem(path, body)
                if problem:
                    self.failures.append(f"{path}: {problem}")

    def problem(self, path: str, body: bytes) -> str | None:
        """Return what is wrong with a 200 response, or None."""
        return None

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)
