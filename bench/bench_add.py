"""1,000 articles added to a kept index: wall-clock and CPU time, and what the pre-write checks cost.

Usage: nice -n 10 python bench/bench_add.py --index /tmp/vnsearch-bench-latency/index-60k
                                            [--work /tmp/vnsearch-bench-add] [--runs 2] [--no-cold]
                                            [--tree name=DIR ...]

Per run and per code tree (``--tree``, default: this checkout; e.g. ``--tree main=/tmp/main-tree``
for a tree exported with ``git archive``, the trees alternating run by run), each step a child
process running that tree's ``search.index.reindex``:

1. a copy of ``--index`` (``cp -a``: new inodes, so nothing is remembered as checksummed), then a
   no-op reindex of it, as the first cron run after a copy or a rebuild would be;
2. the page cache dropped (``/proc/sys/vm/drop_caches``, as root; ``--no-cold`` skips it), then
   1,000 new articles (the news' first 1,000 with ids and dates no copy has) given as a new
   source: the cold case;
3. 1,000 more right after: the warm case.

Printed per step: wall-clock and CPU seconds (the child and its writer processes), the seconds
spent verifying before writing (``live_damage``, or ``damage_before_writing`` and the merged
segments' ``verify_segment`` where the tree has them), the files and bytes checksummed, and
the bytes read from disk (``ru_inblock``).  Issue 15's target: 1,000 articles at 600k <= 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import DEFAULT_DATA, NEWS, data_path, read_jsonl, replicated_records

ADDED = 1000
ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import search.index as index_module
import search.writer as writer_module

timers = {"verify": 0.0, "merge_verify": 0.0}
checked = {}

def timed(module, name, key):
    function = getattr(module, name, None)
    if function is None:
        return
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            result = function(*args, **kwargs)
        finally:
            timers[key] += time.perf_counter() - started
        if name == "damage_before_writing":
            checked.update(vars(result[1]))
        return result
    setattr(module, name, wrapper)

timed(index_module, "live_damage", "verify")
timed(index_module, "damage_before_writing", "verify")
timed(writer_module, "verify_segment", "merge_verify")
sources = sys.argv[3:]
started = time.perf_counter()
report = index_module.reindex(sys.argv[2], sources, procs=2)
seconds = time.perf_counter() - started
me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "seconds": seconds, "added": report.added, "documents": report.documents,
    "cpu": me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime,
    "read_mb": (me.ru_inblock + children.ru_inblock) * 512 / 1e6, **timers, "checked": checked,
}))
"""


def write_added(articles: list[dict], copy: int, path: Path) -> Path:
    """Write ADDED articles of one more copy of the news (ids suffixed -r<copy>) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    records = list(replicated_records(articles[:ADDED], copy + 1))[-ADDED:]
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def drop_caches() -> bool:
    """Empty the page cache (root only); return whether it was done."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def step(tree: Path, index: Path, sources: list[Path]) -> dict:
    """Run one reindex in a child process of the tree and return its figures."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(index), *map(str, sources)],
                          capture_output=True, text=True, check=False, cwd=tree)
    if done.returncode != 0:
        raise SystemExit(f"reindex failed in {tree}:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load"] = os.getloadavg()[0]
    return result


def line(name: str, r: dict) -> str:
    """Return one printed line of a step's figures."""
    checked = r["checked"]
    what = (f"checksummed {checked['checksummed']} files / {checked['checksummed_bytes'] / 1e6:.1f} MB, "
            f"{checked['quick']} quick" if checked else "checksummed every file")
    return (f"  {name:<24} {r['seconds']:7.1f} s  CPU {r['cpu']:6.1f} s  verify {r['verify']:5.1f} s "
            f"({100 * r['verify'] / r['seconds']:4.1f}%)  merge-verify {r['merge_verify']:4.1f} s  "
            f"read {r['read_mb']:7.1f} MB  +{r['added']}  ({what})  load {r['load']:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="a kept index (copied, never changed)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/vnsearch-bench-add"))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--no-cold", action="store_true", help="do not drop the page cache")
    parser.add_argument("--tree", action="append", default=[], help="name=DIR of a code tree (repeatable)")
    args = parser.parse_args()
    trees = [(name, Path(path).resolve()) for name, path in (t.split("=", 1) for t in args.tree)] or [("this", ROOT)]
    articles = read_jsonl(data_path(args.data, NEWS))
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict]] = {name: [] for name, _ in trees}
    for run in range(args.runs):
        for name, tree in trees if run % 2 == 0 else reversed(trees):
            copy = args.work / "index"
            shutil.rmtree(copy, ignore_errors=True)
            subprocess.run(["cp", "-a", str(args.index), str(copy)], check=True)
            time.sleep(3)  # past the 2 s a reindex waits before it trusts a file's times
            noop = step(tree, copy, [])
            cold_done = False if args.no_cold else drop_caches()
            first = step(tree, copy, [write_added(articles, 201 + 2 * run, args.work / f"added-{run}-a" / "a.jsonl")])
            second = step(tree, copy, [write_added(articles, 202 + 2 * run, args.work / f"added-{run}-b" / "b.jsonl")])
            results[name].append({"noop": noop, "cold": first, "warm": second})
            print(f"run {run + 1}, {name} ({tree}):", flush=True)
            print(line("no-op after the copy", noop), flush=True)
            print(line("+1000, " + ("cold cache" if cold_done else "cache not dropped"), first), flush=True)
            print(line("+1000, warm cache", second), flush=True)
    shutil.rmtree(args.work, ignore_errors=True)
    print("\nmedians (s):")
    for name, runs in results.items():
        for key in ("noop", "cold", "warm"):
            seconds = sorted(r[key]["seconds"] for r in runs)
            verify = sorted(r[key]["verify"] + r[key]["merge_verify"] for r in runs)
            middle = len(runs) // 2
            print(f"  {name:<10} {key:<5} {seconds[middle]:7.1f} s  verifying {verify[middle]:6.1f} s")


if __name__ == "__main__":
    main()
