"""The ``vnsearch`` command: a thin layer of click over the ``search`` library.

Messages are in English (the web page is the Vietnamese face of vnsearch).  Exit statuses:

- 0: success (a search that finds nothing is a success too; ``check`` found the index sound);
- 1: ``reindex`` rejected some sources or articles (the rest was committed);
- 2: usage error (unknown option, bad parameter value);
- 3: the index is busy (another reindex held the lock too long), missing, or cannot be
  written (read-only directory, disk full);
- 4: the index is damaged (``check`` found a problem, or ``reindex`` refused to write on top
  of a damaged index);
- 5: ``serve``/``demo`` cannot listen on the address (the port is in use or not allowed).
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import time
from datetime import time as datetime_time
from pathlib import Path

import click

from search import abbreviations
from search import index as index_module
from search.check import check_index
from search.engine import SearchEngine, open_engine
from search.index import NoSources
from search.integrity import IndexDamaged
from search.parse import clean_query
from search.request import MATCH_MODES, MAX_PAGE_SIZE, SORTS, QueryError, SearchRequest
from search.settings import SETTINGS
from search.sphinxql import WRITE_TIMEOUT_S, BackendError, BadBackendURL
from search.store import IndexBusy, IndexMissing

EXIT_REJECTED = 1
EXIT_BUSY = 3
EXIT_DAMAGED = 4
EXIT_CANNOT_LISTEN = 5
EXIT_STATUSES = (
    "Exit statuses: 0 success (also a search that finds nothing); 1 reindex rejected some "
    "sources (the rest was committed); 2 usage error; 3 index busy, missing or not writable; "
    "4 index damaged; 5 the server cannot listen on its port."
)
_MARK_RE = re.compile(r"<mark>(.*?)</mark>", re.S)
_TAG_RE = re.compile(r"<[^>]+>")


def setting_option(name: str):
    """Return a click option for a setting: its flag, environment variable, default and help."""
    setting = SETTINGS[name]
    return click.option(
        setting.flag,
        setting.name,
        type=setting.type if setting.type in (int, float) else str,
        envvar=setting.env,
        default=setting.default,
        show_default=True,
        show_envvar=True,
        help=setting.help,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_STATUSES)
@click.version_option(package_name="vnsearch")
def main() -> None:
    """vnsearch: full-text search for Vietnamese articles, with or without diacritics."""


@main.command()
@setting_option("index")
@setting_option("backend")
@click.option("--full", is_flag=True, help="Rebuild from scratch into a new directory, then swap it in atomically.")
@setting_option("lock_timeout")
@setting_option("procs")
@setting_option("max_article_bytes")
@click.option("--repair", is_flag=True, help="If the index is damaged, rebuild it from the sources as --full does "
                                             "(otherwise reindex refuses to write on top of it).")
@click.option("--reread", is_flag=True, help="Read every source file, also those whose size and modification "
                                             "time are unchanged since the last reindex (the content hashes decide).")
@click.option("--optimize", is_flag=True, help="With --backend: merge each shard's chunks into one (the engine's "
                                               "OPTIMIZE) even when the reindex wrote little; done anyway when it "
                                               "wrote or deleted a tenth of the articles or more.")
@click.argument("sources", nargs=-1, type=click.Path())
def reindex(index, backend, full, lock_timeout, procs, max_article_bytes, repair, reread, optimize, sources) -> None:
    """Index SOURCES (files or directories); with none, re-scan the remembered ones."""
    if optimize and not backend:
        raise click.UsageError("--optimize merges a search cluster's chunks: give the cluster with --backend")
    progress = Progress()
    options = {"full": full, "lock_timeout": lock_timeout, "procs": procs, "progress": progress,
               "max_article_bytes": max_article_bytes}
    try:
        report = (_reindex_cluster(backend, index, sources, dict(options, merge=optimize or None)) if backend
                  else index_module.reindex(index, sources, repair=repair, reread=reread, **options))
    except BadBackendURL as error:
        raise click.BadParameter(str(error), param_hint="--backend") from None
    except BackendError as error:
        progress.finish()
        click.echo(f"vnsearch: {error}; nothing is lost: run the reindex again when every node is up", err=True)
        sys.exit(EXIT_BUSY)
    except NoSources as error:
        raise click.UsageError(str(error)) from None
    except IndexDamaged as error:
        progress.finish()
        echo_damage(error.problems)
        click.echo(f"vnsearch: nothing was written on top of the damaged index: run `vnsearch reindex --index {index} "
                   f"--full` (or `--repair`) to rebuild it from the sources", err=True)
        sys.exit(EXIT_DAMAGED)
    except IndexBusy as error:
        progress.finish()
        click.echo(f"vnsearch: {error}", err=True)
        sys.exit(EXIT_BUSY)
    except OSError as error:  # read-only directory, disk full: the previous index is untouched
        progress.finish()
        click.echo(f"vnsearch: cannot write the index in {index}: {error.strerror or error}"
                   f"{f' ({error.filename})' if error.filename else ''}; the previous index is unchanged", err=True)
        sys.exit(EXIT_BUSY)
    progress.finish()
    for rejection in report.rejected:
        click.echo(f"rejected: {rejection}", err=True)
    if report.replaced_damaged:
        click.echo(f"replaced the damaged generation {report.replaced_damaged}, kept in {index} for inspection "
                   f"until the next successful reindex", err=True)
    click.echo(summary_line(report))
    sys.exit(EXIT_REJECTED if report.rejected else 0)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """Return "1 article", "2 articles": count and noun in the right number."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def _reindex_cluster(backend: str, lock_dir: str, sources, options: dict):
    """Reindex into the SphinxQL cluster a backend URL names (the writer lock stays in lock_dir)."""
    from search.cluster_index import reindex_cluster
    from search.sphinxql import Cluster

    return reindex_cluster(Cluster(backend, read_timeout=WRITE_TIMEOUT_S), lock_dir, sources, **options)


def summary_line(report) -> str:
    """Return the one-line summary of a reindex."""
    kind = "full rebuild" if report.full else "incremental"
    rate = round(report.articles_per_second)
    return (
        f"{kind}: added {report.added}, updated {report.updated}, deleted {report.deleted}, "
        f"unchanged {report.unchanged}, rejected {len(report.rejected)} in {report.seconds:.1f} s "
        f"({plural(rate, 'article')}/s); the index holds {plural(report.documents, 'article')}"
    )


class Progress:
    """Show reindex progress: a bar on a terminal, a plain line every few seconds otherwise."""

    INTERVAL = 5.0

    def __init__(self):
        self.bar = None
        self.tty = sys.stderr.isatty()
        self.last = time.monotonic()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "commit":
            self.finish()
            click.echo("committing…", err=True)
        elif self.tty:
            self._bar(done, total)
        elif time.monotonic() - self.last >= self.INTERVAL:
            self.last = time.monotonic()
            click.echo(f"read {done} of about {plural(total, 'article')}", err=True)

    def _bar(self, done: int, total: int) -> None:
        """Advance the terminal progress bar."""
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=total, unit=" articles", file=sys.stderr, leave=False)
        self.bar.total = max(total, done)
        self.bar.update(done - self.bar.n)

    def finish(self) -> None:
        """Close the bar, if any."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@main.command("search")
@setting_option("index")
@setting_option("backend")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (the shape of GET /api/search).")
@click.option("--size", type=click.IntRange(1, MAX_PAGE_SIZE), default=10, show_default=True, help="Hits to show.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True, help="Page of hits to show.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True, help="Order of hits.")
@click.option("--match", type=click.Choice(MATCH_MODES), default="auto", show_default=True,
              help="Tier to answer from: the words together, all words anywhere, most of the words.")
@click.option("--year", help="Only articles of this year (or 'none' for undated ones).")
@click.option("--category", multiple=True, help="Only articles of this category (repeatable).")
@click.option("--source", multiple=True, help="Only articles from this source (repeatable).")
@setting_option("synonyms")
@click.argument("query", nargs=-1, required=True)
def search_command(index, backend, as_json, size, page, sort, match, year, category, source, synonyms, query) -> None:
    """Search the index for QUERY and print the ranked results."""
    params = {"q": " ".join(query), "size": size, "page": page, "sort": sort, "match": match, "year": year,
              "category": list(category), "source": list(source)}
    engine = _engine(index, backend, check_synonyms(synonyms))
    try:
        request = SearchRequest.from_params(params)
        result = engine.search(request)
    except QueryError as error:
        raise click.BadParameter(error.message, param_hint=f"--{error.param}") from None
    except (IndexMissing, BackendError) as error:
        click.echo(f"vnsearch: {error}", err=True)
        sys.exit(EXIT_BUSY)
    except IndexDamaged as error:
        echo_damage(error.problems)
        click.echo(f"vnsearch: run `vnsearch check --index {index}`, then `vnsearch reindex --index {index} --full`",
                   err=True)
        sys.exit(EXIT_DAMAGED)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print_results(result, asked=request.q)


def _engine(index: str, backend: str, synonyms: str = "") -> SearchEngine:
    """Return the engine over the cluster a backend URL names, or over the index directory."""
    try:
        return open_engine(index, backend, synonyms=synonyms)
    except BadBackendURL as error:
        raise click.BadParameter(str(error), param_hint="--backend") from None


def check_synonyms(path: str) -> str:
    """Read the --synonyms file once: report its bad lines; a file that cannot be read is a usage error."""
    if not path:
        return ""
    try:
        dictionary = abbreviations.load(path)
    except (OSError, UnicodeDecodeError) as error:
        raise click.BadParameter(f"cannot read {path}: {getattr(error, 'strerror', None) or error}",
                                 param_hint="--synonyms") from None
    for problem in dictionary.problems:
        click.echo(f"vnsearch: {problem}", err=True)
    return path


def print_results(result: dict, asked: str) -> None:
    """Print a search result for a person at a terminal."""
    click.echo(f"{plural(result['total'], 'result')} for {result['query']!r} ({result['took_ms']:.1f} ms)")
    if result["suggestion"]:
        click.echo(f"Did you mean: {result['suggestion']}")
    for notice in terminal_notices(result, asked):
        click.echo(notice)
    first = (result["page"] - 1) * result["size"]
    for rank, hit in enumerate(result["hits"], start=first + 1):
        click.echo()
        click.echo(f"{rank}. " + terminal_text(hit["title_html"], bold=True))
        when = terminal_datetime(hit["published"])
        details = " · ".join(str(v) for v in (when, hit["category"], hit["source"], hit["id"]) if v)
        click.echo("   " + click.style(details, dim=True))
        click.echo("   " + terminal_text(hit["snippet"]))
    for tier, count in result.get("wider", {}).items():
        if count:
            click.echo(f"\n{count} more with --match {tier}" + (" (the words far apart)" if tier == "all" else
                                                                    " (some of the words)"))


def terminal_notices(result: dict, asked: str) -> list[str]:
    """Return, in English, what the reader should know about how the query was taken."""
    notices = []
    if result.get("partial"):
        notices.append("Part of the search cluster did not answer: results and counts may be incomplete.")
    if clean_query(asked)[1]:
        notices.append(f"The query is too long: only its first {len(result['query'])} characters were used.")
    if result["accents"] == "folded":
        notices.append("No article holds the words with the accents typed: accents are ignored.")
    if result["matching"] == "any" and result["match"] == "auto":
        notices.append("Too few articles hold every word: articles holding some of the words are shown too.")
    if "terms" in result.get("limited", ()):
        notices.append("The query has too many words: only its first ones were searched.")
    if "typo_correction" in result.get("limited", ()):
        notices.append("The query has too many unknown words: only the first few were checked for typos.")
    return notices


def terminal_datetime(published: str | None) -> str:
    """Return a timestamp as Vietnamese readers write it: 21/08/2019 08:12 (the date alone at midnight)."""
    from web.formatting import parse_published

    moment = parse_published(published)
    if moment is None:
        return ""
    # Sources that give only a day are stored at midnight: a "00:00" would be invented.
    return moment.strftime("%d/%m/%Y" if moment.time() == datetime_time() else "%d/%m/%Y %H:%M")


def terminal_text(fragment: str, bold: bool = False) -> str:
    """Turn highlighted HTML into terminal text: marked words in colour, entities decoded."""
    parts = _MARK_RE.split(fragment)
    return "".join(
        click.style(html.unescape(_TAG_RE.sub("", part)), fg="yellow" if index % 2 else None,
                    bold=bold or bool(index % 2))
        for index, part in enumerate(parts)
    )


@main.command()
@setting_option("index")
@click.option("--full", is_flag=True, help="Also read every article and posting list, compare the term statistics "
                                           "and check the remembered sources (slower).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check(index, full, as_json) -> None:
    """Verify the index's files against the checksums recorded when they were written."""
    try:
        report = check_index(index, full=full)
    except IndexMissing as error:
        click.echo(f"vnsearch: {error}", err=True)
        sys.exit(EXIT_BUSY)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_check(report)
    sys.exit(0 if report.ok else EXIT_DAMAGED)


def print_check(report) -> None:
    """Print a check report for a person: one line per problem, then what to run."""
    what = plural(report.files, "file") + (", articles, postings and sources" if report.full else "")
    counted = f", {plural(report.documents, 'article')}" if report.documents is not None else ""
    click.echo(f"checked {report.generation} in {report.index}: {what}{counted}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    echo_damage(report.problems)
    if report.ok:
        click.echo("ok")
    elif all(problem.kind == "source" for problem in report.problems):
        click.echo("the index is sound, but remembered sources are missing: restore them before the next reindex, "
                   "or rebuild from the sources that remain with `vnsearch reindex --full SOURCE ...`", err=True)
    else:
        click.echo(f"{plural(len(report.problems), 'problem')}: run "
                   f"`vnsearch reindex --index {report.index} --full` to rebuild "
                   f"the index from its sources (the damaged generation is kept for inspection)", err=True)


def echo_damage(problems) -> None:
    """Print each problem of a damaged index on its own line, to standard error."""
    for problem in problems:
        click.echo(f"damaged: {problem}", err=True)


@main.command()
@setting_option("index")
@setting_option("backend")
@setting_option("host")
@setting_option("port")
@setting_option("workers")
@setting_option("threads")
@setting_option("refresh_seconds")
@setting_option("postings_cache_mb")
@setting_option("synonyms")
@click.option("--access-log", is_flag=True, help="Log every request to standard output.")
def serve(index, backend, host, port, workers, threads, refresh_seconds, postings_cache_mb, synonyms,
          access_log) -> None:
    """Serve the search page and the JSON API (gunicorn; never a debug server)."""

    if workers < 1 or threads < 1:
        raise click.UsageError("--workers and --threads must be at least 1")
    if backend:
        _check_cluster(_engine(index, backend))
    elif damage := index_module.live_damage(Path(index)):
        echo_damage(damage)
        click.echo(f"vnsearch: the index in {index} is damaged: the server answers 503 until "
                   f"`vnsearch reindex --index {index} --full` has repaired it", err=True)
    elif not SearchEngine.exists(index):
        click.echo(f"vnsearch: no index in {index} yet: the server answers 503 until "
                   f"`vnsearch reindex --index {index} SOURCE ...` has run", err=True)
    run_server(index, host, port, workers, threads, refresh_seconds, access_log=access_log, backend=backend,
               synonyms=check_synonyms(synonyms), postings_cache_mb=postings_cache_mb)


def _check_cluster(engine: SearchEngine) -> dict | None:
    """Say which nodes of the cluster are down (searches answer 503, or partially, until they are up)."""
    try:
        health = engine.health()
    except BackendError as error:
        click.echo(f"vnsearch: {error}: the server answers 503 until a node is up", err=True)
        return None
    down = [node for node in health.get("nodes", []) if node["state"] != "up"]
    if down and len(down) == len(health["nodes"]):
        # Nothing is partial when no node answers: every search is refused until one is up.
        names = ", ".join(node["node"] for node in down)
        click.echo(f"vnsearch: no search node answers ({names}): the server answers 503 until one is up", err=True)
        return health
    for node in down:
        click.echo(f"vnsearch: search node {node['node']} ({node['shard']}) is down: results are partial "
                   "until it is back", err=True)
    return health


def run_server(*args, **options) -> None:
    """Serve over HTTP; exit 4 with one line saying what to do when the port is taken."""
    from web.server import PortInUse, serve

    try:
        serve(*args, **options)
    except PortInUse as error:
        click.echo(f"vnsearch: {error}", err=True)
        sys.exit(EXIT_CANNOT_LISTEN)


DEMO_DIR = Path(__file__).resolve().parent / "demo"


def demo_sources() -> list[str]:
    """Return the bundled demo corpus (200 dantri articles and a Kiên Giang portal article)."""
    return [str(DEMO_DIR / "articles.jsonl"), str(DEMO_DIR / "portal")]


def default_demo_index() -> Path:
    """Return where `vnsearch demo` keeps its index: the user's data directory."""
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "vnsearch" / "demo-index"


@main.command()
@click.option("--index", type=click.Path(), default=None,
              help="Where to keep the demo index  [default: $XDG_DATA_HOME/vnsearch/demo-index]")
@setting_option("backend")
@setting_option("host")
@setting_option("port")
@setting_option("workers")
@setting_option("threads")
def demo(index, backend, host, port, workers, threads) -> None:
    """Index the bundled demo corpus (the first time) and serve it."""
    index = Path(index) if index else default_demo_index()
    if backend:
        _demo_cluster(_engine(index, backend))
    elif not SearchEngine.exists(index):
        click.echo(f"indexing the demo corpus into {index}…", err=True)
        click.echo(summary_line(index_module.reindex(index, demo_sources(), progress=Progress())), err=True)
    run_server(str(index), host, port, workers, threads, SETTINGS["refresh_seconds"].default, backend=backend)


def _demo_cluster(engine: SearchEngine) -> None:
    """Index the demo corpus into an empty cluster; stop with a clear error when it is down."""
    health = _check_cluster(engine)
    if health is None or health["status"] != "ok":
        sys.exit(EXIT_BUSY)
    if not health["documents"]:
        click.echo("indexing the demo corpus into the search cluster…", err=True)
        click.echo(summary_line(engine.backend.reindex(demo_sources(), progress=Progress())), err=True)


@main.command("cluster-config")
@click.option("--shards", type=click.IntRange(1, 64), default=2, show_default=True, help="Nodes, one shard each.")
@click.option("--dir", "directory", type=click.Path(file_okay=False), required=True,
              help="Where to write node0.conf, ... and keep each node's data, logs and binlog.")
@click.option("--base-port", type=click.IntRange(1, 65535), default=9306, show_default=True,
              help="SphinxQL port of node 0; node i listens on BASE+2i (SphinxQL) and BASE+2i+1 (agents).")
def cluster_config(shards, directory, base_port) -> None:
    """Write a searchd configuration per node of a loopback cluster; print the backend URL last."""
    from search.cluster import write_cluster_config

    try:
        paths, url = write_cluster_config(shards, directory, base_port)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    except OSError as error:
        click.echo(f"vnsearch: cannot write the configuration in {directory}: {error.strerror or error}", err=True)
        sys.exit(EXIT_BUSY)
    for path in paths:
        click.echo(f"wrote {path}: start it with `searchd -c {path}`")
    click.echo(url)


if __name__ == "__main__":
    main()
