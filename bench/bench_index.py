"""Indexing benchmark: full build, no-op reindex, and pyvi segmentation alone (the floor).

Usage: python bench/bench_index.py [--data ../shared/data/news/articles.jsonl] [--runs 3]

Reports articles/s, MB/s, index size and peak memory of a full build of the corpus, the time
of a no-op incremental reindex, and pyvi's own throughput over the same texts on all cores;
the ratio of the two throughputs is the figure that matters (target >= 0.60), and a no-op
reindex should take under 5% of a full build.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.index import reindex

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "news" / "articles.jsonl"


def load_texts(path: Path) -> list[str]:
    """Return the title and body of every article of a JSON Lines file."""
    texts = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            texts.extend(t for t in (record.get("title"), record.get("body") or record.get("text")) if t)
    return texts


def _segment(text: str) -> int:
    """Segment one text with pyvi and return its length."""
    from pyvi import ViTokenizer

    ViTokenizer.tokenize(text)
    return len(text)


def time_pyvi(texts: list[str], procs: int) -> float:
    """Return the seconds pyvi alone takes to segment all texts on procs processes."""
    from pyvi import ViTokenizer  # noqa: F401  load the model before forking, as the indexer does

    started = time.perf_counter()
    with Pool(procs) as pool:
        for _ in pool.imap_unordered(_segment, texts, chunksize=16):
            pass
    return time.perf_counter() - started


def directory_size(path: Path) -> int:
    """Return the bytes of all files below path."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (median)")
    parser.add_argument("--procs", type=int, default=os.cpu_count())
    args = parser.parse_args()

    texts = load_texts(args.data)
    chars = sum(len(t) for t in texts)
    megabytes = args.data.stat().st_size / 1e6
    pyvi_seconds, full_seconds, noop_seconds = [], [], []
    for run in range(args.runs):
        pyvi_seconds.append(time_pyvi(texts, args.procs))
        with tempfile.TemporaryDirectory(prefix="vnsearch-bench-") as tmp:
            report = reindex(Path(tmp) / "index", [str(args.data)], full=True, procs=args.procs)
            full_seconds.append(report.seconds)
            size = directory_size(Path(tmp) / "index")
            articles = report.added
            noop = reindex(Path(tmp) / "index", procs=args.procs)
            assert noop.indexed == 0 and noop.unchanged == articles, "no-op reindex changed articles"
            noop_seconds.append(noop.seconds)
        print(f"run {run + 1}: pyvi {pyvi_seconds[-1]:.1f} s, full {full_seconds[-1]:.1f} s, "
              f"no-op {noop_seconds[-1]:.2f} s", flush=True)

    pyvi_s, full_s, noop_s = (statistics.median(x) for x in (pyvi_seconds, full_seconds, noop_seconds))
    peak_mb = max(resource.getrusage(r).ru_maxrss for r in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
    print(f"\ncorpus: {args.data} ({articles} articles, {megabytes:.1f} MB, {chars:,} characters)")
    print(f"procs: {args.procs}, runs: {args.runs} (medians below)")
    print(f"pyvi alone:        {pyvi_s:7.2f} s  {chars / pyvi_s:12,.0f} chars/s  {articles / pyvi_s:7.1f} articles/s")
    print(f"full index build:  {full_s:7.2f} s  {chars / full_s:12,.0f} chars/s  {articles / full_s:7.1f} articles/s"
          f"  {megabytes / full_s:.2f} MB/s")
    print(f"throughput ratio (full build / pyvi alone): {pyvi_s / full_s:.2f}  (target >= 0.60)")
    print(f"no-op reindex:     {noop_s:7.2f} s  = {100 * noop_s / full_s:.1f}% of the full build  (target < 5%)")
    print(f"index size:        {size / 1e6:7.1f} MB")
    print(f"peak memory (largest process): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
