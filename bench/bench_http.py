"""HTTP benchmark and load run: `vnsearch serve` under wrk, with and without a reindex.

Usage: python bench/bench_http.py [--duration 60] [--quick 20] [--clients 8,32] [--size 60k]
                                  [--workers N] [--threads N] [--no-reindex]

Serves the latency benchmark's index (built by bench_latency.py into its cache, or built here)
with `vnsearch serve`, then drives it with wrk (Debian package `wrk`; installed when missing
and running as root) over the latency benchmark's query mix:

* one client and 8 clients: requests/s and p50/p95 — targets: one client's p50 within 5 ms of
  the in-process p50 measured in the same run, and 8 clients >= 1.6x the requests/s of one;
* 8 and 32 clients for --duration seconds, without and then with a reindex running all along
  (it adds 300 articles, commits, deletes them, commits, ...): requests/s, p50/p95/p99,
  errors (target 0) and the server's peak memory (all its processes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_latency
from corpus import DEFAULT_DATA, NEWS, SEED, data_path, read_jsonl

from search.engine import SearchEngine
from search.request import SearchRequest

VNSEARCH = str(Path(sys.executable).parent / "vnsearch")
WRK_SCRIPT = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests": %%d, "duration_us": %%d, "errors": %%d, "p50": %%d, "p95": %%d, "p99": %%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_wrk() -> str:
    """Return the wrk executable, installing Debian's package when possible."""
    if shutil.which("wrk") is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), capture_output=True)
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: sudo apt-get install wrk")
    return shutil.which("wrk")


def search_paths(mix) -> list[str]:
    """Return the /api/search URL path of every query of the mix."""
    paths = []
    for query in mix:
        params = {"q": query.q}
        if query.date_from:
            params["from"], params["to"] = query.date_from.isoformat(), query.date_to.isoformat()
        paths.append("/api/search?" + urllib.parse.urlencode(params))
    return paths


def in_process_p50(index_dir: Path, mix, runs: int = 3) -> float:
    """Return the median in-process time (ms) of the mix's searches, as the server runs them."""
    engine = SearchEngine(index_dir)
    times = []
    for query in mix * (runs + 1):
        request = SearchRequest(q=query.q, date_from=query.date_from, date_to=query.date_to)
        started = time.perf_counter()
        engine.search(request)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[len(mix):])  # the first pass warms caches up


class Server:
    """A `vnsearch serve` process and the memory its processes use."""

    def __init__(self, index_dir: Path, workers: int, threads: int):
        self.port = free_port()
        self.process = subprocess.Popen(
            [VNSEARCH, "serve", "--index", str(index_dir), "--port", str(self.port),
             "--workers", str(workers), "--threads", str(threads)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.peak_rss = 0
        self._sampling = True
        try:
            self._wait_ready()
        except BaseException:
            # Never leave the server running when it did not come up (or the wait was interrupted).
            self.stop()
            raise
        threading.Thread(target=self._sample_memory, daemon=True).start()

    def _wait_ready(self) -> None:
        """Wait until /healthz answers; raise RuntimeError when the server exits or is not up in 120 s."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with status {self.process.returncode} before answering")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the server did not answer /healthz within 120 s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_bytes(self) -> int:
        """Return the resident memory of the server and all its workers."""
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True)
        pids = [self.process.pid, *children.stdout.split()]
        total = 0
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            # A worker that has exited but not been reaped yet (a zombie) has no VmRSS line.
            total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0) * 1024
        return total

    def _sample_memory(self) -> None:
        """Record the peak memory every half second."""
        while self._sampling:
            self.peak_rss = max(self.peak_rss, self.rss_bytes())
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop the server and its workers (killed when they do not stop within 30 s)."""
        self._sampling = False
        signal_group(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def signal_group(pid: int, signum: int) -> None:
    """Send a signal to the process group of pid (its own session), if it is still there."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


class ReindexLoop:
    """Reindex continuously beside the server, as cron would: new articles appear, then vanish.

    The batch is written into a source folder the index already remembers, and every run is a
    plain `vnsearch reindex` (the remembered sources, incremental), so the index ends with the
    sources it started with.
    """

    def __init__(self, index_dir: Path, source_folder: Path, articles: list[dict], batch: int = 300):
        self.index_dir = index_dir
        self.source = source_folder / "bench-http-load.jsonl"
        self.records = [dict(a, id=f"{a['id']}-load") for a in articles[:batch]]
        self.count = 0
        self.failures: list[str] = []
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _reindex(self) -> subprocess.CompletedProcess:
        """Run one incremental reindex of the remembered sources."""
        return subprocess.run([VNSEARCH, "reindex", "--index", str(self.index_dir)], capture_output=True, text=True)

    def _run(self) -> None:
        """Alternate adding and deleting the batch until stopped."""
        while self._running:
            if self.count % 2 == 0:
                lines = [json.dumps(r, ensure_ascii=False) for r in self.records]
                self.source.write_text("\n".join(lines) + "\n", encoding="utf-8")
            else:
                self.source.unlink()
            result = self._reindex()
            if result.returncode != 0:
                self.failures.append(result.stderr[-300:])
            self.count += 1

    def stop(self) -> None:
        """Stop after the current reindex, then take the batch out of the index."""
        self._running = False
        self._thread.join()
        if self.source.exists():
            self.source.unlink()
            self._reindex()


def run_wrk(wrk: str, server: Server, paths: list[str], clients: int, seconds: int) -> dict:
    """Drive the server with wrk and return its figures (ms, requests/s)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
    threads = min(clients, 2)
    result = subprocess.run([wrk, "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s", "--timeout", "10s",
                             "-s", script.name, server.url], capture_output=True, text=True)
    os.unlink(script.name)
    line = next((l for l in result.stdout.splitlines() if l.startswith("RESULT ")), None)  # noqa: E741
    if line is None:
        raise RuntimeError(f"wrk failed: {result.stdout}\n{result.stderr}")
    figures = json.loads(line[len("RESULT "):])
    return {
        "clients": clients,
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "p50": figures["p50"] / 1000, "p95": figures["p95"] / 1000, "p99": figures["p99"] / 1000,
        "errors": figures["errors"], "requests": figures["requests"],
    }


def print_row(label: str, row: dict, peak: int | None = None) -> None:
    """Print one measurement."""
    memory = f"  peak server memory {peak / 1e6:6.0f} MB" if peak else ""
    print(f"{label:<34} {row['clients']:>3} clients  {row['rps']:7.1f} req/s  p50 {row['p50']:6.1f} ms  "
          f"p95 {row['p95']:6.1f} ms  p99 {row['p99']:6.1f} ms  errors {row['errors']}{memory}", flush=True)


def main() -> None:
    """Run the HTTP benchmark and load run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vnsearch-bench-latency"))
    parser.add_argument("--size", default="60k", choices=sorted(bench_latency.COPIES))
    parser.add_argument("--duration", type=int, default=60, help="seconds of each load run")
    parser.add_argument("--quick", type=int, default=20, help="seconds of the 1- and 8-client comparison")
    parser.add_argument("--clients", default="8,32", help="client counts of the load runs")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-reindex", action="store_true", help="skip the runs with a concurrent reindex")
    args = parser.parse_args()

    wrk = ensure_wrk()
    args.cache.mkdir(parents=True, exist_ok=True)
    articles = read_jsonl(data_path(args.data, NEWS))
    index_dir, sources = bench_latency.prepare(args.size, args.data, args.cache, articles, rebuild=False)
    mix = bench_latency.query_mix(args.data, articles, SEED)
    paths = search_paths(mix)
    documents = SearchEngine(index_dir).health()["documents"]
    print(f"index: {index_dir} ({documents} articles); {len(paths)} queries; "
          f"server: {args.workers} workers x {args.threads} threads; {os.cpu_count()} cores", flush=True)

    local_p50 = in_process_p50(index_dir, mix)
    print(f"in-process p50 over the mix: {local_p50:.1f} ms", flush=True)
    server = Server(index_dir, args.workers, args.threads)
    try:
        run_wrk(wrk, server, paths, 2, 5)  # warm every worker up
        one = run_wrk(wrk, server, paths, 1, args.quick)
        eight = run_wrk(wrk, server, paths, 8, args.quick)
        print_row("HTTP", one)
        print_row("HTTP", eight)
        print(f"one client's p50 over HTTP - in-process p50: {one['p50'] - local_p50:+.1f} ms (target <= 5 ms)")
        print(f"8 clients / 1 client requests/s: {eight['rps'] / one['rps']:.2f}x (target >= 1.6x)", flush=True)
        for clients in (int(c) for c in args.clients.split(",")):
            server.peak_rss = 0
            print_row(f"load, {args.duration} s", run_wrk(wrk, server, paths, clients, args.duration), server.peak_rss)
        if not args.no_reindex and not sources[0].is_dir():
            print("(no load runs with a reindex: they need a replicated corpus folder, --size 60k)")
        elif not args.no_reindex:
            for clients in (int(c) for c in args.clients.split(",")):
                server.peak_rss = 0
                loop = ReindexLoop(index_dir, sources[0], articles)
                row = run_wrk(wrk, server, paths, clients, args.duration)
                loop.stop()
                print_row(f"load + reindex ({loop.count} commits)", row, server.peak_rss)
                if loop.failures:
                    print("reindex failures:", *loop.failures, sep="\n")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
