"""Mutation testing of the core: mutmut on search/ modules, and the templates' escaping.

    python tools/mutation.py search/highlight.py search/text.py   # some modules
    python tools/mutation.py all                                   # every module mutmut mutates
    python tools/mutation.py templates                             # the templates' escaping
    python tools/mutation.py --report search/highlight.py          # counts of the last run only

mutmut (configured in pyproject.toml's [tool.mutmut]) runs each mutant against the fast unit
tests that reach the mutated function.  Survivors listed in docs/mutation-equivalent.txt with a
reason are counted as equivalent (no test can tell them apart from the original); any other
survivor is a hole in the tests.  Runs niced: mutation testing keeps a core busy for minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = [str(Path(sys.executable).parent / "mutmut")]
EQUIVALENT_FILE = ROOT / "docs" / "mutation-equivalent.txt"
TEMPLATES = ROOT / "web" / "templates"
# The page tests that look at escaping, run for each template mutant.
TEMPLATE_TESTS = ["tests/test_pages.py", "tests/test_security.py"]
RESULT_RE = re.compile(r"^\s*(\S+): (.+)$")


def equivalents() -> dict[str, str]:
    """Return {mutant name: why it is equivalent} from docs/mutation-equivalent.txt."""
    found = {}
    for line in EQUIVALENT_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.partition(" ")
            found[name] = reason.strip()
    return found


def module_pattern(path: str) -> str:
    """Return mutmut's mutant-name glob for a module path (search/highlight.py -> search.highlight.*)."""
    return path.removesuffix(".py").replace("/", ".") + ".*"


def mutmut_statuses(prefixes: list[str]) -> dict[str, str]:
    """Return {mutant name: status} of the mutants of the given modules from mutmut's last runs."""
    listing = subprocess.run([*MUTMUT, "results", "--all", "true"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    statuses = {}
    for line in listing.splitlines():
        match = RESULT_RE.match(line)
        if match and any(match[1].startswith(prefix) for prefix in prefixes):
            statuses[match[1]] = match[2].strip()
    return statuses


def report(statuses: dict[str, str], title: str) -> Counter:
    """Print killed / survived / equivalent counts and the unexplained survivors; return the counts."""
    known = equivalents()
    counts = Counter()
    holes = []
    for name, status in sorted(statuses.items()):
        if status in ("killed", "timeout"):
            counts["killed"] += 1
        elif status == "survived" and name in known:
            counts["equivalent"] += 1
        elif status == "survived":
            counts["survived"] += 1
            holes.append(name)
        else:
            counts[status] += 1
    tested = counts["killed"] + counts["survived"]
    score = 100.0 * counts["killed"] / tested if tested else 0.0
    other = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k not in ("killed", "survived", "equivalent"))
    print(f"{title}: killed {counts['killed']}, survived {counts['survived']}, equivalent {counts['equivalent']}"
          f"{'; ' + other if other else ''} — score {score:.1f}% of non-equivalent mutants")
    for name in holes:
        print(f"  survived: {name}")
    return counts


# Modules that only read an index: their mutants cannot change how the demo index is built, so
# it is built once (by the unmutated code) instead of once per mutant.
WRITE_SIDE = {f"search/{name}.py" for name in ("text", "index", "writer", "store", "codec", "documents", "dates",
                                              "sources", "schema", "settings")}
PREBUILT_INDEX = ROOT / "mutants" / "demo-index"


def prebuilt_demo_index() -> dict[str, str]:
    """Build the demo index with the unmutated code (once a run); return the environment pointing at it."""
    shutil.rmtree(PREBUILT_INDEX, ignore_errors=True)  # built by older code, it could differ
    # The tests run inside mutants/ and expect the index to remember the demo sources there.
    demo = ROOT / "mutants" / "vnsearch" / "demo"
    shutil.copytree(ROOT / "vnsearch" / "demo", demo, dirs_exist_ok=True)
    subprocess.run([sys.executable, "-m", "vnsearch", "reindex", "--index", str(PREBUILT_INDEX), "--procs", "1",
                    str(demo / "articles.jsonl"), str(demo / "portal")], cwd=ROOT, check=True)
    return {"VNSEARCH_TEST_DEMO_INDEX": str(PREBUILT_INDEX)}


def run_mutmut(patterns: list[str], env: dict[str, str]) -> None:
    """Run mutmut on the mutants matching patterns, niced."""
    # mutmut keeps per-test durations (its mutant timeouts) from its first run: redo them when
    # switching between a prebuilt and a per-run demo index.
    stats = ROOT / "mutants" / "mutmut-stats.json"
    marker = ROOT / "mutants" / "demo-index-mode"
    mode = "prebuilt" if "VNSEARCH_TEST_DEMO_INDEX" in env else "built"
    if marker.exists() and marker.read_text() != mode:
        stats.unlink(missing_ok=True)
    subprocess.run(["nice", "-n", "10", *MUTMUT, "run", "--max-children", "2", *patterns], cwd=ROOT, env=env,
                   check=False)
    marker.parent.mkdir(exist_ok=True)
    marker.write_text(mode)


def run_modules(paths: list[str], only_report: bool) -> int:
    """Run mutmut on modules (niced, two children) and report each module."""
    if not only_report:
        reading = [p for p in paths if p not in WRITE_SIDE]
        writing = [p for p in paths if p in WRITE_SIDE]
        if reading:
            env = dict(os.environ, **prebuilt_demo_index())
            run_mutmut([module_pattern(p) for p in reading], env)
        if writing:
            run_mutmut([module_pattern(p) for p in writing], dict(os.environ))
    patterns = [module_pattern(p) for p in paths]
    survivors = 0
    for path, pattern in zip(paths, patterns):
        survivors += report(mutmut_statuses([pattern[:-1]]), path)["survived"]
    return 1 if survivors else 0


# Templates ---------------------------------------------------------------------------------

EXPRESSION_RE = re.compile(r"\{\{(.*?)\}\}")
# Expressions that cannot carry markup: macro calls (already Markup), URLs built by url_for,
# numbers and dates through the Vietnamese formatting filters, arithmetic on page numbers.
SAFE_EXPRESSION_RE = re.compile(
    r"^\s*(?:searchbox|meta|facet)\(|url_for\(|\|\s*vn_(?:number|decimal|datetime)\s*$|"
    r"^\s*\(result\.page - 1\)|^\s*(?:entry\.number|result\.page|result\.pages|status)\s*$"
)


def template_mutants() -> list[tuple[Path, int, int, str, str]]:
    """Return (template, start, end, original, mutated) for each printed expression: escaping removed or added."""
    mutants = []
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for match in EXPRESSION_RE.finditer(text):
            expression = match[1]
            if expression.rstrip().endswith("|safe"):
                mutated = "{{" + expression.rstrip()[: -len("|safe")] + " }}"
            else:
                mutated = "{{" + expression.rstrip() + "|safe }}"
            mutants.append((template, match.start(), match.end(), match[0], mutated))
    return mutants


def run_templates() -> int:
    """Apply each template mutant alone, run the page tests, restore; report killed and survived."""
    dirty = subprocess.run(["git", "status", "--porcelain", str(TEMPLATES)], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout
    if dirty:
        sys.exit(f"commit or stash the template changes first:\n{dirty}")
    statuses = {}
    for template, start, end, original, mutated in template_mutants():
        name = f"{template.name}:{start}:{original}"
        if SAFE_EXPRESSION_RE.search(original[2:-2]):
            statuses[name] = "cannot carry markup"
            continue
        text = template.read_text(encoding="utf-8")
        try:
            template.write_text(text[:start] + mutated + text[end:], encoding="utf-8")
            done = subprocess.run(["nice", "-n", "10", sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly",
                                   "-p", "no:cacheprovider", *TEMPLATE_TESTS], cwd=ROOT, capture_output=True)
        finally:
            template.write_text(text, encoding="utf-8")
        statuses[name] = "killed" if done.returncode == 1 else "survived" if done.returncode == 0 else "error"
        print(f"{statuses[name]:9} {name} -> {mutated}", flush=True)
    counts = Counter("equivalent" if s == "cannot carry markup" else s for s in statuses.values())
    print(f"templates: killed {counts['killed']}, survived {counts['survived']}, "
          f"equivalent {counts['equivalent']} (expressions that cannot carry markup), errors {counts['error']}")
    return 1 if counts["survived"] or counts["error"] else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="+", help="search/ module paths, 'all', or 'templates'")
    parser.add_argument("--report", action="store_true", help="only report the last run's results")
    args = parser.parse_args()
    status = 0
    if "templates" in args.targets:
        status |= run_templates()
    modules = [t for t in args.targets if t != "templates"]
    if modules == ["all"]:
        modules = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "search").glob("*.py"))
                   if p.name != "__init__.py"]
    if modules:
        status |= run_modules(modules, args.report)
    return status


if __name__ == "__main__":
    sys.exit(main())
