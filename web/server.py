"""Production serving: gunicorn, run from Python, with several worker processes.

Search is CPU-bound numpy and Python, so threads of one process share one interpreter lock;
worker *processes* (``workers``) are what make concurrent clients faster.  With one thread a
worker is gunicorn's sync worker (it accepts a connection only when idle); more ``threads``
(the gthread worker) keep slow clients from blocking a worker when there is no proxy in front.  Each worker builds its own
app, and so its own ``SearchEngine``, after the fork: no file handle is shared between
processes, and every worker notices a reindex by itself within ``refresh_seconds``.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from web.app import create_app

# A search never takes long; a worker stuck this long is restarted by the master.
WORKER_TIMEOUT = 60
GRACEFUL_TIMEOUT = 10


def server_url(host: str, port: int) -> str:
    """Return the URL people open for a bind address."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def bind_address(host: str, port: int) -> str:
    """Return gunicorn's bind string for host and port (IPv6 addresses in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def worker_class(threads: int) -> str:
    """Return gunicorn's worker class for a number of threads per worker."""
    # A gthread worker accepts every connection it can and keeps it alive, so one worker may
    # end up holding all the clients while another core idles (8 clients measured half the
    # throughput one run in two).  A sync worker accepts only when idle: the kernel hands each
    # new connection to a free worker, which is what CPU-bound search wants.
    return "sync" if threads <= 1 else "gthread"


class VnsearchServer(BaseApplication):
    """Gunicorn serving the vnsearch app, configured from Python instead of a config file."""

    def __init__(self, app_config: dict[str, Any], options: dict[str, Any], url: str):
        self.app_config = app_config
        self.options = options
        self.url = url
        super().__init__()

    def load_config(self) -> None:
        """Apply the options this gunicorn version knows (newer ones are skipped on older versions)."""
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        """Return the WSGI app (called in each worker after the fork)."""
        return create_app(self.app_config)


def serve(index: str, host: str, port: int, workers: int, threads: int, refresh_seconds: float,
          access_log: bool = False, backend: str = "") -> None:
    """Serve the index (or the SphinxQL cluster a backend URL names) over HTTP until interrupted."""
    url = server_url(host, port)

    def when_ready(server) -> None:
        """Say where the server listens, once its socket is bound."""
        print(f"vnsearch: serving {backend or index} at {url} ({workers} workers x {threads} threads)", flush=True)

    options = {
        "bind": bind_address(host, port),
        "workers": max(1, workers),
        "threads": max(1, threads),
        "worker_class": worker_class(threads),
        "timeout": WORKER_TIMEOUT,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "keepalive": 5,
        # Long Vietnamese queries percent-encode to 6-9 bytes a letter: allow the longest request line.
        "limit_request_line": 8190,
        "preload_app": False,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "vnsearch",
        "when_ready": when_ready,
        # Gunicorn >= 25.1 opens a control socket in $HOME by default; two servers would clash.
        "control_socket_disable": True,
        "worker_tmp_dir": "/dev/shm" if _is_dir("/dev/shm") else None,
    }
    app_config = {"INDEX_DIR": index, "BACKEND": backend, "REFRESH_SECONDS": refresh_seconds}
    VnsearchServer(app_config, options, url).run()


def _is_dir(path: str) -> bool:
    """Tell whether path is a writable directory."""
    return os.path.isdir(path) and os.access(path, os.W_OK)
