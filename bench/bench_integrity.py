"""Integrity benchmark: what verifying an index costs next to opening it and reindexing it.

Usage: python bench/bench_integrity.py [--data ../shared/data] [--cache DIR] [--runs 5]

On the news corpus (5,986 articles) index, median of --runs, all in one process (files warm
in the page cache, as they are after a reindex or on a serving machine):

* opening a snapshot as a server worker does (Whoosh open, columns, title syllables): the
  baseline that verification adds to;
* quick verification (every recorded file's size and first bytes);
* checksum verification (CRC32 of every file): what a worker does on first opening a
  generation, and every reindex before it writes;
* a worker's later refresh (``Verifier``: a stat per file, nothing read);
* a no-op incremental reindex (which includes the checksum verification);
* ``check --full`` (every article and posting list read back).

An index built before checksums were recorded gets them recorded for its last commit first
(the same function a commit calls), so an older cached index can be measured as it is.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from whoosh import index as whoosh_index

from bench.corpus import DEFAULT_DATA, NEWS, data_path, ensure_index
from search.check import check_index
from search.index import reindex
from search.integrity import (
    Verifier,
    latest_toc,
    read_manifest,
    segment_files,
    verify_generation,
    write_manifest,
)
from search.reader import Snapshot
from search.store import linked_generation

DEFAULT_CACHE = Path("/tmp/vnsearch-bench-integrity")


def record_missing_checksums(folder: Path) -> None:
    """Record the checksums of the last commit of an index built before they were recorded."""
    generation, toc_name = latest_toc(folder)
    if read_manifest(folder, generation) is not None:
        return
    ix = whoosh_index.open_dir(str(folder))
    segments = ix._segments()
    names = segment_files(folder, [segment.segment_id() for segment in segments])
    write_manifest(folder, generation, toc_name, folder / toc_name, names,
                   {segment.segment_id(): segment.doc_count_all() for segment in segments})
    print(f"recorded checksums for {folder.name} (built before they were)")


def median_seconds(action, runs: int) -> float:
    """Return the median wall time of action over runs."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def open_snapshot(folder: Path) -> None:
    """Open a generation as a fresh snapshot (no cached segments), then close it."""
    Snapshot(whoosh_index.open_dir(str(folder)), {}).close()


def main() -> None:
    """Build or reuse the news index, then print the verification costs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    index_dir = args.cache / "news"
    ensure_index(index_dir, [data_path(args.data, NEWS)])
    folder = linked_generation(index_dir)
    record_missing_checksums(folder)
    manifest, problems = verify_generation(folder, "quick")
    assert not problems, problems
    size = sum(record["size"] for record in manifest["files"].values())
    files = len(manifest["files"])

    opening = median_seconds(lambda: open_snapshot(folder), args.runs)
    quick = median_seconds(lambda: verify_generation(folder, "quick"), args.runs)
    checksums = median_seconds(lambda: verify_generation(folder, "checksums"), args.runs)
    verifier = Verifier()
    verifier.problems(folder)
    refresh = median_seconds(lambda: verifier.problems(folder), args.runs)
    noop = median_seconds(lambda: reindex(index_dir, procs=1), max(1, args.runs // 2))
    full_check = median_seconds(lambda: check_index(index_dir, full=True), 1)

    print(f"\nindex: {index_dir} ({files} files, {size / 1e6:.1f} MB), medians of {args.runs} runs")
    print(f"open a snapshot (baseline)    {opening * 1000:9.1f} ms")
    print(f"quick verification            {quick * 1000:9.2f} ms  {quick / opening:7.1%} of opening")
    print(f"checksum verification         {checksums * 1000:9.1f} ms  {checksums / opening:7.1%} of opening"
          f"  ({size / 1e6 / checksums:.0f} MB/s)")
    print(f"refresh of a verified worker  {refresh * 1000:9.3f} ms")
    print(f"no-op reindex (verifies)      {noop * 1000:9.1f} ms  checksums are {checksums / noop:.0%} of it")
    print(f"check --full                  {full_check:9.2f} s")


if __name__ == "__main__":
    main()
