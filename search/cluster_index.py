"""Reindexing into a SphinxQL cluster: the embedded index's diffing, the cluster's writer.

The scan, the comparison with what is indexed (content hashes kept in the engine, beside
each article) and the report are ``search.index``'s own; only the writer differs.  The
writer lock is the same ``flock`` in a local directory (``--index``), so one machine runs
the reindexes.  Every shard must answer before anything is written: with a node down the
reindex stops with an error naming it, and since articles are only ever replaced whole, a
later run (incremental: the content hashes tell what is missing) completes the work.

``full`` rewrites every article in place (``REPLACE``) and deletes those no source holds any
more; searchers never see an empty cluster.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from search.backend import Progress
from search.cluster_backend import MAX_FACET_GROUPS
from search.documents import DEFAULT_MAX_ARTICLE_BYTES
from search.index import NoSources, ReindexReport, ReindexRun, outermost, under_any, union_sources
from search.sphinxql import (
    VOCABULARY_ID,
    Cluster,
    ClusterWriter,
    facet_groups,
    indexed_state,
    length_averages,
    merge_chunks,
    newest_meta,
    shard_counts,
    title_vocabulary,
    write_meta,
)
from search.store import writer_lock

# Bump when what is written into the engine changes: the next reindex rewrites everything.
# 3: numbers written with separators are tokens of the compound fields ("_21s8").
ENGINE_FORMAT = 3
# A reindex that wrote or deleted at least this share of the articles leaves each shard in one chunk
# (``sphinxql.merge_chunks``): a large write leaves a shard in several chunks, searched one by one, with
# the replaced articles still counted in their statistics; a few articles added do not (merging rewrites
# the whole shard).
MERGE_SHARE = 0.1


class _ClusterRun(ReindexRun):
    """A reindex pass whose writer sends articles to the cluster's shards."""

    def open_writer(self, count: int) -> ClusterWriter:
        """Return the cluster writer (analysis runs in this process, batches go to the shards)."""
        return ClusterWriter(self.ix, self.procs)


def reindex_cluster(
    cluster: Cluster,
    lock_dir: str | Path,
    sources: Iterable[str] = (),
    full: bool = False,
    lock_timeout: float = 60.0,
    procs: int | None = None,
    progress: Progress | None = None,
    max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES,
    merge: bool | None = None,
) -> ReindexReport:
    """Bring the cluster in step with its sources and return what changed (see ``index.reindex``).

    Each shard's chunks are merged into one before the reindex record is written: with ``merge`` True,
    or, when it is None, if the reindex wrote or deleted at least MERGE_SHARE of the articles.

    Raises BackendError (nothing written when a node is down at the start), IndexBusy and
    NoSources like the embedded reindex.
    """
    started = time.monotonic()
    with writer_lock(Path(lock_dir), lock_timeout):
        state = indexed_state(cluster)  # every shard must answer before anything is written
        meta = newest_meta(cluster)
        roots = outermost([os.path.abspath(s) for s in sources] or meta.get("sources", []))
        if not roots:
            raise NoSources("no SOURCE given and none remembered in the search cluster")
        rebuild = full or meta.get("engine_format") != ENGINE_FORMAT
        remembered = roots if rebuild else union_sources(meta.get("sources", []), roots)
        report = ReindexReport(full=rebuild, sources=remembered)
        run = _ClusterRun(roots, report, procs or os.cpu_count() or 1, progress, max_article_bytes)
        if rebuild:
            _forget_outside(cluster, state, roots, report)
            state = {doc_id: (origin, "") for doc_id, (origin, _) in state.items()}
        run.apply(cluster, indexed=state)
        if rebuild:  # every article was rewritten: count them as added, as a rebuild does
            report.added, report.updated = report.added + report.updated, 0
        report.documents = sum(shard_counts(cluster).values())
        if merge or (merge is None and report.indexed + report.deleted >= MERGE_SHARE * max(report.documents, 1)):
            merge_chunks(cluster)
        report.seconds = time.monotonic() - started
        # Every node gets a copy, the vocabulary first: the record is what tells searchers that
        # the content changed (``search.cluster_cache``).
        write_meta(cluster, title_vocabulary(cluster), VOCABULARY_ID)
        groups = facet_groups(cluster, MAX_FACET_GROUPS)
        write_meta(cluster, _meta(remembered, report, meta.get("generation", 0) + 1, groups, length_averages(cluster)))
    return report


def _forget_outside(cluster: Cluster, state: dict, roots: list[str], report: ReindexReport) -> None:
    """Delete the articles read from sources a full rebuild no longer names."""
    outside = [doc_id for doc_id, (origin, _) in state.items() if not under_any(origin, roots)]
    writer = ClusterWriter(cluster)
    for doc_id in outside:
        writer.delete_by_term("id", doc_id)
        del state[doc_id]
    writer.commit()
    report.deleted += len(outside)


def _meta(sources: list[str], report: ReindexReport, generation: int, groups: int,
          averages: tuple[float, float]) -> dict:
    """Return the metadata to store in the cluster after a reindex (its copies numbered by generation,
    the number of (month, category, source) groups its articles fall in: the facets' queue; the
    average body and title lengths: with the article count, the ranking's statistics of the whole
    cluster, which a search with a shard down uses instead of the live shards')."""
    return {
        "generation": generation,
        "facet_groups": groups,
        "average_body": averages[0],
        "average_title": averages[1],
        "engine_format": ENGINE_FORMAT,
        "sources": sources,
        "last_reindex": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        "documents": report.documents,
    }
