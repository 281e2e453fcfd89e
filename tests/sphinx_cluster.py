"""A real two-node searchd cluster for tests: configured by `vnsearch cluster-config`.

Skipped when Debian's ``searchd`` is missing, unless VNSEARCH_REQUIRE_SEARCHD=1 (as in CI),
which turns a missing engine into a failure.  Nodes run in the foreground (``--nodetach``)
so each is one process, stopped by its PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Generous: a loaded machine may take long to start searchd; a node that answers ends the wait.
START_TIMEOUT_S = 60


def require_searchd() -> str:
    """Return the searchd path; skip (or fail, when VNSEARCH_REQUIRE_SEARCHD=1) without it."""
    path = shutil.which("searchd")
    if path is None:
        problem = "searchd is missing (apt-get install sphinxsearch)"
        if os.environ.get("VNSEARCH_REQUIRE_SEARCHD") == "1":
            pytest.fail(f"search-cluster tests are required (VNSEARCH_REQUIRE_SEARCHD=1) but {problem}")
        pytest.skip(problem)
    return path


def free_base_port(count: int) -> int:
    """Return a port such that it and the count-1 ports after it are free on loopback."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count < 65535 and all(_port_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no run of free loopback ports found")


def _port_free(port: int) -> bool:
    """Tell whether a loopback TCP port can be bound."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class SearchCluster:
    """Running searchd nodes configured by `vnsearch cluster-config`."""

    def __init__(self, directory: Path, shards: int = 2):
        self.directory = directory
        self.shards = shards
        self.searchd = require_searchd()
        self.base_port = free_base_port(2 * shards)
        output = subprocess.run(
            [sys.executable, "-m", "vnsearch", "cluster-config", "--shards", str(shards), "--dir", str(directory),
             "--base-port", str(self.base_port)],
            check=True, capture_output=True, text=True, cwd=ROOT, timeout=120,
        ).stdout
        self.url = output.strip().splitlines()[-1]
        self.processes: dict[int, subprocess.Popen] = {}

    def config(self, number: int) -> Path:
        """Return the configuration file of a node."""
        return self.directory / f"node{number}.conf"

    def start(self, number: int) -> None:
        """Start a node and wait until it answers SphinxQL."""
        with open(self.directory / f"node{number}.out", "ab") as log:
            self.processes[number] = subprocess.Popen([self.searchd, "-c", str(self.config(number)), "--nodetach"],
                                                      stdout=log, stderr=subprocess.STDOUT)
        self.wait_ready(number)

    def wait_ready(self, number: int) -> None:
        """Wait until a node accepts a SphinxQL connection (binlog replayed, indexes loaded)."""
        import pymysql

        deadline = time.monotonic() + START_TIMEOUT_S
        port = self.base_port + 2 * number
        while True:
            if self.processes[number].poll() is not None:
                output = (self.directory / f"node{number}.out").read_text()
                raise RuntimeError(f"searchd node {number} exited: {output}")
            try:
                pymysql.connect(host="127.0.0.1", port=port, connect_timeout=1).close()
                return
            except pymysql.MySQLError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def signal(self, number: int, signum: int) -> None:
        """Send a signal to a node's process."""
        os.kill(self.processes[number].pid, signum)

    def stop(self, number: int, kill: bool = False) -> None:
        """Stop a node (SIGTERM, or SIGKILL when kill) and wait for it to exit."""
        process = self.processes.pop(number, None)
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGCONT)  # a stopped process must run to handle SIGTERM
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def start_all(self) -> None:
        """Start every node."""
        for number in range(self.shards):
            self.start(number)

    def stop_all(self) -> None:
        """Stop every node that is running."""
        for number in list(self.processes):
            self.stop(number)


@contextmanager
def running_cluster(directory: Path, shards: int = 2):
    """Run a cluster for the duration of the block; every node is stopped at the end."""
    cluster = SearchCluster(directory, shards)
    try:
        cluster.start_all()
        yield cluster
    finally:
        cluster.stop_all()
