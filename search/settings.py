"""Every vnsearch setting, in one place: name, environment variable, default and help.

The command line turns each into a flag (``--index``) that falls back to its ``VNSEARCH_*``
variable, then to the default; the web app reads the same table.  The README documents
every entry (a test keeps it so).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One setting: its flag name, environment variable, type, default and help text."""

    name: str
    type: Callable[[str], Any]
    default: Any
    help: str

    @property
    def env(self) -> str:
        """Return the environment variable that sets this setting."""
        return "VNSEARCH_" + self.name.upper()

    @property
    def flag(self) -> str:
        """Return the command-line flag of this setting."""
        return "--" + self.name.replace("_", "-")


def _cpu_count() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("index", str, "index", "Index directory (created by reindex)."),
        Setting("backend", str, "", "SphinxQL cluster to use instead of the embedded index at --index "
                "(sphinxql://HOST:PORT,...; empty: the embedded index)."),
        Setting("lock_timeout", float, 60.0, "Seconds a reindex waits for another reindex to finish before giving up."),
        Setting("procs", int, _cpu_count(), "Processes that analyse articles during a large reindex."),
        Setting("max_article_bytes", int, 2_000_000, "Largest article (text file or JSON line) accepted, in bytes."),
        Setting("host", str, "127.0.0.1", "Address the server listens on."),
        Setting("port", int, 8000, "Port the server listens on."),
        Setting("workers", int, _cpu_count(), "Server worker processes (each uses its own core)."),
        Setting("threads", int, 1, "Threads per server worker process "
                "(1: one request at a time per process, best behind a reverse proxy)."),
        # 1 GB holds a 60,000-article index's posting files (640 MB) joined, which a repeated page
        # needs to cost 0.84-0.87x; a small index never fills it (bench/README.md, "The 60k page and
        # the cache's budget").
        Setting("postings_cache_mb", int, 1024, "Megabytes of decoded posting lists and term scores each search "
                "process keeps for the next queries (the common words'; 0: none)."),
        Setting("refresh_seconds", float, 1.0, "How often a server checks whether a reindex committed a new index."),
        Setting("synonyms", str, "", "File of abbreviations and synonyms added to the shipped dictionary "
                "(one entry a line, forms separated by a vertical bar)."),
    )
}


def setting_value(name: str, given: Any = None, environ: dict[str, str] | None = None) -> Any:
    """Return a setting's value: the given one, else its environment variable, else the default."""
    setting = SETTINGS[name]
    if given is not None:
        return given
    raw = (os.environ if environ is None else environ).get(setting.env)
    if raw not in (None, ""):
        try:
            return setting.type(raw)
        except ValueError:
            raise ValueError(f"{setting.env}={raw!r} is not a valid {setting.type.__name__}") from None
    return setting.default
