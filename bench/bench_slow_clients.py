"""Slow clients and bursts over HTTP: does a light query still answer quickly?

Usage: python bench/bench_slow_clients.py [--size 6k] [--slow 50] [--burst 20] [--workers N] [--threads N]

Serves the latency benchmark's index with `vnsearch serve` (as bench_http.py does) and times a
light query (``hà nội``, a results page) and ``/healthz``, each --samples times, three ways:

* alone (the baseline);
* while --slow connections have sent a request line and nothing more (slowloris), held open;
* during a burst: --burst clients each sending heavy queries (bench_worst.py's Telex garbage
  cut at 256 characters) back to back.

Prints the median and worst latency of each; a request that takes over --timeout seconds counts
as a timeout.  Targets (issue 15): with 50 slow connections a query answers in <= 1 s and
/healthz stays up; during a burst of 20 heavy queries a light query answers in <= 1 s.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_latency
from bench_http import Server
from bench_worst import heavy_queries
from corpus import DEFAULT_DATA, NEWS, SEED, data_path, read_jsonl

LIGHT = "/api/search?" + urllib.parse.urlencode({"q": "hà nội", "size": 10})


def timed_get(url: str, timeout: float) -> float | None:
    """Return the seconds a GET took, or None when it failed or timed out."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
    except OSError:
        return None
    return time.perf_counter() - started


def sample(server: Server, samples: int, timeout: float) -> dict:
    """Return the light query's and /healthz's latencies (None = timeout or error)."""
    light, health = [], []
    for _ in range(samples):
        light.append(timed_get(server.url + LIGHT, timeout))
        health.append(timed_get(server.url + "/healthz", timeout))
        time.sleep(0.05)
    return {"light": light, "healthz": health}


def describe(times: list[float | None]) -> str:
    """Return 'median / worst ms' of the answered requests and how many failed."""
    answered = [1000 * t for t in times if t is not None]
    failed = len(times) - len(answered)
    if not answered:
        return f"no answer ({failed} timeouts)"
    return f"median {statistics.median(answered):7.1f} ms  worst {max(answered):7.1f} ms" + (
        f"  ({failed} timeouts)" if failed else "")


def open_slow_connections(server: Server, count: int) -> list[socket.socket]:
    """Open count connections that send a request line and nothing more."""
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.sendall(b"GET /api/search?q=ha+noi HTTP/1.1\r\n")
        held.append(sock)
    return held


class Burst:
    """Clients sending heavy queries back to back until stopped."""

    def __init__(self, server: Server, queries: list[str], clients: int):
        self.paths = ["/api/search?" + urllib.parse.urlencode({"q": q, "size": 10}) for q in queries]
        self.sent = 0
        self._running = True
        self.threads = [threading.Thread(target=self._run, args=(server, n), daemon=True) for n in range(clients)]
        for thread in self.threads:
            thread.start()

    def _run(self, server: Server, offset: int) -> None:
        """Send heavy queries in turn."""
        while self._running:
            timed_get(server.url + self.paths[(offset + self.sent) % len(self.paths)], 60)
            self.sent += 1

    def stop(self) -> None:
        """Stop sending and wait for the clients."""
        self._running = False
        for thread in self.threads:
            thread.join(timeout=90)


def main() -> None:
    """Run the three measurements against one server."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vnsearch-bench-latency"))
    parser.add_argument("--size", default="6k", choices=sorted(bench_latency.COPIES))
    parser.add_argument("--slow", type=int, default=50, help="slow connections held open")
    parser.add_argument("--burst", type=int, default=20, help="clients sending heavy queries")
    parser.add_argument("--samples", type=int, default=10, help="light queries timed per measurement")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds before a request counts as a timeout")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    articles = read_jsonl(data_path(args.data, NEWS))
    args.cache.mkdir(parents=True, exist_ok=True)
    index_dir, _ = bench_latency.prepare(args.size, args.data, args.cache, articles, rebuild=False)
    server = Server(index_dir, args.workers, args.threads)
    print(f"server: {args.workers} workers x {args.threads} threads on {index_dir}", flush=True)
    try:
        sample(server, 3, args.timeout)  # warm-up
        alone = sample(server, args.samples, args.timeout)
        held = open_slow_connections(server, args.slow)
        slow = sample(server, args.samples, args.timeout)
        for sock in held:
            sock.close()
        burst = Burst(server, heavy_queries(articles, 12, SEED + 7), args.burst)
        time.sleep(1.0)
        during = sample(server, args.samples, args.timeout)
        burst.stop()
    finally:
        server.stop()
    for label, figures in (("alone", alone), (f"{args.slow} slow connections", slow),
                           (f"burst of {args.burst} heavy clients", during)):
        print(f"{label:<28} query  {describe(figures['light'])}")
        print(f"{'':<28} healthz {describe(figures['healthz'])}")


if __name__ == "__main__":
    main()
