"""Build benchmark at scale: full build, no-op and 1,000-article reindexes, memory, unmerged queries.

Usage: nice -n 5 python bench/bench_build.py [--sizes 6k,60k] [--cache /tmp/vnsearch-bench-build]
                                             [--runs 1] [--query-runs 5] [--profile] [--keep]

Corpora: ``6k`` = news/articles.jsonl once; ``60k`` and ``600k`` = 10 and 100 copies of it (ids
suffixed -rN, dates N whole years back, texts unchanged: ``corpus.write_replicated``), written to
--cache as a folder of JSON Lines files of one copy each, as a publisher's archive split by
period would be.  Per size, each step runs in a child process (``os.wait4`` gives its peak
memory: the largest process of its tree; a sampler adds up the tree's resident memory):

1. full build (``reindex --full``, 2 processes): seconds, articles/s, peak memory, index size,
   segments; with --profile the writer processes report where their time went;
2. no-op reindex (the size/mtime shortcut: no file is read).  A reindex leaves unrecorded, and so
   reads again next time, a file modified in the ``search.index.RECENT_NS`` (2 s) before it started
   (its size and mtime could still change unseen), so the build starts once the corpus has rested
   that long, as an archive's files have; the articles the no-op read are printed (0 expected);
3. 1,000 new articles (the next copy's first 1,000, new ids) dropped into the folder, then an
   incremental reindex: seconds and peak memory;
4. query latency of the latency mix (``bench_latency.query_mix``) on that index, whose new
   segment is unmerged, against a copy merged into one segment, alternating the two in one
   process (medians of --query-runs per query), then the ratio of the medians.

The added file is removed at the end (the cached index then lags its folder by those 1,000
articles: the next run rebuilds it anyway).  --keep keeps the corpora and indexes in --cache.
Targets (issue 15): build throughput at 600k >= 0.9x that at 6k; peak memory <= 3 GB; no-op
<= 2% of a full build; 1,000 articles <= 60 s; unmerged queries within 10% of merged.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus import DEFAULT_DATA, NEWS, SEED, code_version, data_path, median, percentile, read_jsonl, replicated_records

from search.index import RECENT_NS

COPIES = {"6k": 1, "60k": 10, "600k": 100}
ADDED = 1000


def write_corpus(articles: list[dict], copies: int, folder: Path) -> int:
    """Write copies of the articles into folder, one JSON Lines file per copy; return the count."""
    if (folder / "complete").exists():
        return copies * len(articles)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    records = replicated_records(articles, copies)
    for copy in range(copies):
        with open(folder / f"copy-{copy:03d}.jsonl", "w", encoding="utf-8") as handle:
            for _ in range(len(articles)):
                handle.write(json.dumps(next(records), ensure_ascii=False) + "\n")
    (folder / "complete").write_text("")  # not an article file: the scan skips it
    return copies * len(articles)


def write_added(articles: list[dict], copies: int, path: Path) -> None:
    """Write ADDED articles of the copy after the last one (ids and dates no copy has)."""
    records = list(replicated_records(articles[:ADDED], copies + 1))[-ADDED:]
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def rest(folder: Path) -> None:
    """Wait until every file of folder was last modified more than ``RECENT_NS`` ago (a reindex reads
    a file modified since then again next time, whatever its size and mtime)."""
    newest = max(path.stat().st_mtime_ns for path in folder.iterdir())
    time.sleep(max(0.0, (newest + RECENT_NS - time.time_ns()) / 1e9 + 0.1))


# Child processes ---------------------------------------------------------------------------


def tree_rss(root: int) -> int:
    """Return the resident bytes of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_child(step: str, **kwargs) -> dict:
    """Run one step in a child process; return its JSON result plus peak memory figures."""
    command = [sys.executable, __file__, "--child", json.dumps({"step": step, **kwargs})]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak_tree = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            peak_tree[0] = max(peak_tree[0], tree_rss(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{step} failed with exit status {process.returncode}")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_process_mb"] = usage.ru_maxrss / 1024
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # the child and the writers it waited for
    result["peak_tree_mb"] = peak_tree[0] / 2**20
    return result


def child(spec: dict) -> None:
    """Run one step (in the child process) and print its result as JSON."""
    from search.index import reindex

    if spec.get("profile"):
        install_profiler(spec["profile"])
    started = time.perf_counter()
    commit_at = [None]

    read = [0]

    def progress(phase, done, total):
        if phase == "commit" and commit_at[0] is None:
            commit_at[0] = time.perf_counter()
        if phase == "index":
            read[0] += 1  # once for each article read (a file left unread reports none)

    if spec["step"] == "optimize":
        optimize(spec["index"])
        print(json.dumps({"seconds": time.perf_counter() - started}))
        return
    report = reindex(spec["index"], spec.get("sources", []), full=spec.get("full", False), procs=2,
                     progress=progress)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "seconds": seconds, "added": report.added, "unchanged": report.unchanged, "deleted": report.deleted,
        "documents": report.documents, "read": read[0],
        "commit_seconds": seconds - (commit_at[0] - started) if commit_at[0] else 0.0,
    }))


def optimize(index_dir: str) -> None:
    """Merge every segment of an index's live generation into one."""
    from whoosh import index as whoosh_index

    from search.store import current_generation
    from search.writer import open_writer

    ix = whoosh_index.open_dir(str(current_generation(Path(index_dir))))
    writer = open_writer(ix, 0, 1)
    writer.commit(optimize=True)


def install_profiler(folder: str) -> None:
    """Have writer processes record the seconds spent spilling, flushing and overall (--profile)."""
    from search import writer as vn_writer

    timings: dict = {}
    save, flush, run = vn_writer.LeanPostingPool.save, vn_writer.VnSegmentWriter._flush_segment, \
        vn_writer.VnSubWriterTask.run

    def timed(name, function):
        def wrapper(*args):
            begun = time.perf_counter()
            function(*args)
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - begun
            timings[name + "s"] = timings.get(name + "s", 0) + 1
        return wrapper

    def timed_run(task):
        # multiprocessing ends its children with os._exit: record before returning.
        timings.clear()
        timed("run", run)(task)
        Path(folder, f"{os.getpid()}.json").write_text(json.dumps(timings))

    vn_writer.LeanPostingPool.save = timed("spill", save)
    vn_writer.VnSegmentWriter._flush_segment = timed("flush", flush)
    vn_writer.VnSubWriterTask.run = timed_run


# Measurements ------------------------------------------------------------------------------


def directory_size(path: Path) -> int:
    """Return the bytes of all files below path."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def segment_count(index_dir: Path) -> int:
    """Return the number of segments of an index's live generation."""
    from whoosh import index as whoosh_index

    from search.store import current_generation

    return len(whoosh_index.open_dir(str(current_generation(index_dir)))._segments())


def compare_queries(unmerged: Path, merged: Path, mix, runs: int) -> dict:
    """Time the mix on both indexes, alternating per run; return medians and p95s (ms)."""
    from bench_latency import day_or_none  # noqa: F401  (the mix's dates are dates)

    from search.engine import SearchEngine
    from search.request import SearchRequest

    engines = {"unmerged": SearchEngine(unmerged), "merged": SearchEngine(merged)}
    times: dict[str, list[float]] = {name: [] for name in engines}
    for query in mix:
        request = SearchRequest(q=query.q, size=10, date_from=query.date_from, date_to=query.date_to)
        samples: dict[str, list[float]] = {name: [] for name in engines}
        for engine in engines.values():
            engine.search(request)  # warm-up
        for _ in range(runs):
            for name, engine in engines.items():
                started = time.perf_counter()
                engine.search(request)
                samples[name].append(1000 * (time.perf_counter() - started))
        for name in engines:
            times[name].append(statistics.median(samples[name]))
    return {name: {"median": median(values), "p95": percentile(values, 95)} for name, values in times.items()}


def bench_size(size: str, args, articles: list[dict], mix) -> dict:
    """Run every step on one corpus size; return the figures."""
    folder = args.cache / f"corpus-{size}"
    index_dir = args.cache / f"index-{size}"
    merged_dir = args.cache / f"merged-{size}"
    count = write_corpus(articles, COPIES[size], folder)
    rest(folder)
    added = folder / "added-1000.jsonl"
    added.unlink(missing_ok=True)
    print(f"\n== {size}: {count} articles in {folder} (load average {load()})", flush=True)
    profile = args.cache / f"profile-{size}"
    shutil.rmtree(profile, ignore_errors=True)
    profile.mkdir()
    builds = []
    for run in range(args.runs):
        shutil.rmtree(index_dir, ignore_errors=True)
        builds.append(run_child("build", index=str(index_dir), sources=[str(folder)], full=True,
                                profile=str(profile) if args.profile and run == 0 else None))
        print(f"full build {run + 1}: {builds[-1]['seconds']:.1f} s ({count / builds[-1]['seconds']:.1f} articles/s), "
              f"commit {builds[-1]['commit_seconds']:.1f} s, CPU {builds[-1]['cpu_seconds']:.0f} s, "
              f"peak process {builds[-1]['peak_process_mb']:.0f} MB, "
              f"tree {builds[-1]['peak_tree_mb']:.0f} MB (load average {load()})", flush=True)
    build = sorted(builds, key=lambda b: b["seconds"])[len(builds) // 2]
    result = {"size": size, "articles": count, "build": build, "index_mb": directory_size(index_dir) / 1e6,
              "segments": segment_count(index_dir), "load_build": load()}
    if args.profile:
        result["profile"] = [json.loads(p.read_text()) for p in sorted(profile.glob("*.json"))]
        print("writer processes (s):", [{k: round(v, 1) for k, v in p.items()} for p in result["profile"]])
    result["noop"] = run_child("noop", index=str(index_dir))
    assert result["noop"]["added"] == 0 and result["noop"]["unchanged"] == count, result["noop"]
    print(f"no-op reindex: {result['noop']['seconds']:.2f} s, {result['noop']['read']} articles read "
          f"(load average {load()})", flush=True)
    write_added(articles, COPIES[size], added)
    result["incremental"] = run_child("incremental", index=str(index_dir))
    assert result["incremental"]["added"] == ADDED, result["incremental"]
    result["segments_after_add"] = segment_count(index_dir)
    print(f"+{ADDED} articles: {result['incremental']['seconds']:.1f} s, peak process "
          f"{result['incremental']['peak_process_mb']:.0f} MB, {result['segments_after_add']} segments "
          f"(load average {load()})", flush=True)
    shutil.rmtree(merged_dir, ignore_errors=True)
    shutil.copytree(index_dir, merged_dir, symlinks=True)
    result["optimize"] = run_child("optimize", index=str(merged_dir))
    print(f"merging into one segment (a copy): {result['optimize']['seconds']:.1f} s", flush=True)
    result["queries"] = compare_queries(index_dir, merged_dir, mix, args.query_runs)
    result["load_queries"] = load()
    added.unlink()
    shutil.rmtree(merged_dir, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(index_dir, ignore_errors=True)
        shutil.rmtree(profile, ignore_errors=True)
    print_size(result)
    return result


def load() -> str:
    """Return the 1-minute load average, for the record (the machine is shared)."""
    return f"{os.getloadavg()[0]:.1f}"


def print_size(r: dict) -> None:
    """Print one size's figures."""
    b, q = r["build"], r["queries"]
    print(f"--- {r['size']}: {r['articles']} articles")
    print(f"full build:        {b['seconds']:8.1f} s  {r['articles'] / b['seconds']:7.1f} articles/s  "
          f"(commit {b['commit_seconds']:.1f} s)  load {r['load_build']}")
    print(f"CPU time:          {b['cpu_seconds']:8.1f} s  "
          f"{r['articles'] / b['cpu_seconds']:7.1f} articles per CPU second")
    print(f"peak memory:       {b['peak_process_mb']:8.0f} MB largest process, "
          f"{b['peak_tree_mb']:.0f} MB all processes")
    print(f"index:             {r['index_mb']:8.1f} MB, {r['segments']} segments")
    print(f"no-op reindex:     {r['noop']['seconds']:8.2f} s  = {100 * r['noop']['seconds'] / b['seconds']:.2f}% "
          f"of the full build, {r['noop']['read']} articles read  (target <= 2%)")
    print(f"+{ADDED} articles:     {r['incremental']['seconds']:8.1f} s  "
          f"peak {r['incremental']['peak_process_mb']:.0f} MB, "
          f"{r['segments_after_add']} segments  (target <= 60 s)")
    print(f"queries unmerged:  median {q['unmerged']['median']:6.1f} ms  p95 {q['unmerged']['p95']:6.1f} ms")
    print(f"queries merged:    median {q['merged']['median']:6.1f} ms  p95 {q['merged']['p95']:6.1f} ms  "
          f"(unmerged/merged {q['unmerged']['median'] / q['merged']['median']:.2f}x median, "
          f"{q['unmerged']['p95'] / q['merged']['p95']:.2f}x p95; target <= 1.10x)  load {r['load_queries']}")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="6k,60k")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vnsearch-bench-build"))
    parser.add_argument("--runs", type=int, default=1, help="full builds per size (median)")
    parser.add_argument("--query-runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="time the writer processes' phases")
    parser.add_argument("--keep", action="store_true", help="keep corpora and indexes in --cache")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    from bench_latency import query_mix

    articles = read_jsonl(data_path(args.data, NEWS))
    mix = query_mix(args.data, articles, SEED)
    print(f"code {code_version()}, {os.cpu_count()} cores", flush=True)
    results = [bench_size(size, args, articles, mix) for size in args.sizes.split(",")]
    if len(results) > 1:
        base = results[0]["articles"] / results[0]["build"]["seconds"]
        for r in results[1:]:
            cpu_base = results[0]["articles"] / results[0]["build"]["cpu_seconds"]
            print(f"throughput {r['size']} / {results[0]['size']}: "
                  f"{r['articles'] / r['build']['seconds'] / base:.2f} wall-clock, "
                  f"{r['articles'] / r['build']['cpu_seconds'] / cpu_base:.2f} per CPU second  "
                  "(target >= 0.90 at 600k)")
    if not args.keep:
        for size in args.sizes.split(","):
            shutil.rmtree(args.cache / f"corpus-{size}", ignore_errors=True)
    return None


if __name__ == "__main__":
    main()
