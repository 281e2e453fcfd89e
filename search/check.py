"""``vnsearch check``: verify the live generation of an index and say what is wrong.

Always: the checksums of every file of the last commit and the metadata's own checksum.
With ``full``: the generation is also read the way searches read it — every stored article
decodes, every posting list of the text fields and of the ids decodes with as many documents
as its term statistics say, every live article id is stored exactly once, the document count
agrees with the metadata — and the remembered sources are still there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from search.integrity import META_FILE, Problem, latest_toc, verify_generation, verify_meta
from search.reader import Snapshot
from search.schema import TEXT_FIELDS
from search.store import IndexMissing, linked_generation, read_meta

# A damaged file can fail the same way thousands of times: name it, then count the rest.
MAX_PROBLEMS_PER_CHECK = 5
NO_CHECKSUMS = ("the last commit has no checksums (written before vnsearch recorded them): "
                "run `vnsearch reindex --full` to record them")


@dataclass
class CheckReport:
    """What ``check`` found: the generation checked, how thoroughly, and every problem."""

    index: str
    generation: str
    full: bool
    files: int = 0
    documents: int | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether nothing is wrong."""
        return not self.problems

    def to_dict(self) -> dict:
        """Return the report as the JSON object ``check --json`` prints."""
        return {
            "index": self.index, "generation": self.generation, "ok": self.ok,
            "level": "full" if self.full else "checksums", "files_checked": self.files,
            "documents": self.documents, "problems": [p.to_dict() for p in self.problems],
            "warnings": self.warnings, "sources": self.sources,
        }


def check_index(index_dir: str | Path, full: bool = False) -> CheckReport:
    """Verify the live generation of an index; raise IndexMissing when there is none."""
    folder = linked_generation(index_dir)
    if folder is None:
        raise IndexMissing(f"no index in {index_dir}: run `vnsearch reindex SOURCE ...` first")
    report = CheckReport(str(index_dir), folder.name, full)
    manifest, report.problems = verify_generation(folder, "checksums")
    report.problems += verify_meta(folder)
    report.files = len(manifest["files"]) + 1 if manifest else 1
    if manifest is None and not report.problems:
        report.warnings.append(NO_CHECKSUMS)
    meta = read_meta(folder)
    report.sources = list(meta.get("sources", []))
    if full and latest_toc(folder) is not None:
        _check_contents(folder, meta, report)
        _check_sources(report)
    return report


def _check_contents(folder: Path, meta: dict, report: CheckReport) -> None:
    """Read the whole generation as searches do, adding what fails to the report."""
    try:
        snapshot = Snapshot(whoosh_index.open_dir(str(folder)))
    except Exception as error:  # any decoding failure is the finding itself
        report.problems.append(Problem(folder.name, "decode", f"the index cannot be opened ({_describe(error)})"))
        return
    try:
        report.documents = snapshot.live_count
        _check_stored(snapshot, report)
        for fieldname in (*TEXT_FIELDS, "id"):
            _check_postings(snapshot, fieldname, report)
        if "documents" in meta and meta["documents"] != snapshot.live_count:
            report.problems.append(Problem(META_FILE, "statistics", f"says {meta['documents']} articles, the index "
                                                                    f"holds {snapshot.live_count}"))
    finally:
        snapshot.close()


def _check_stored(snapshot: Snapshot, report: CheckReport) -> None:
    """Check that every live article's stored fields decode and every id is stored once."""
    failures, seen = [], {}
    for docnum in np.flatnonzero(snapshot.live):
        try:
            fields = snapshot.stored(int(docnum))
        except Exception as error:
            failures.append(f"article {docnum} does not decode ({_describe(error)})")
            continue
        doc_id = fields.get("id")
        seen[doc_id] = seen.get(doc_id, 0) + 1
    repeated = [f"id {doc_id!r} stored {count} times" for doc_id, count in seen.items() if count > 1]
    _add(report, "stored fields", "decode", failures)
    _add(report, "stored fields", "statistics", repeated)


def _check_postings(snapshot: Snapshot, fieldname: str, report: CheckReport) -> None:
    """Check that each posting list of a field decodes and agrees with its term statistics."""
    failures = []
    with snapshot.lock:
        terms = [(term, info.doc_frequency()) for term, info in snapshot.reader.iter_field(fieldname)]
    for term, doc_frequency in terms:
        text = term.decode("utf-8", "replace")
        try:
            postings = snapshot.postings(fieldname, text)
        except Exception as error:
            failures.append(f"{fieldname}:{text} does not decode ({_describe(error)})")
            continue
        ids = postings.ids
        if len(ids) != doc_frequency:
            failures.append(f"{fieldname}:{text} has {len(ids)} postings, its statistics say {doc_frequency}")
        elif len(ids) and (ids.max() >= snapshot.doc_count or np.any(np.diff(ids) <= 0)):
            failures.append(f"{fieldname}:{text} lists documents out of order or beyond "
                            f"the {snapshot.doc_count} stored")
    _add(report, f"{fieldname} postings", "decode", failures)


def _check_sources(report: CheckReport) -> None:
    """Report remembered sources that are gone (a reindex would delete their articles)."""
    for source in report.sources:
        if not Path(source).exists():
            report.problems.append(Problem(source, "source", "remembered source is missing: a reindex would "
                                                             "delete its articles"))


def _add(report: CheckReport, what: str, kind: str, failures: list[str]) -> None:
    """Add up to MAX_PROBLEMS_PER_CHECK failures of one check to the report, counting the rest."""
    for failure in failures[:MAX_PROBLEMS_PER_CHECK]:
        report.problems.append(Problem(what, kind, failure))
    if len(failures) > MAX_PROBLEMS_PER_CHECK:
        report.problems.append(Problem(what, kind, f"and {len(failures) - MAX_PROBLEMS_PER_CHECK} more like these"))


def _describe(error: Exception) -> str:
    """Return an exception as 'Type: message'."""
    return f"{type(error).__name__}: {error}"
