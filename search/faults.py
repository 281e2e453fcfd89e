"""A fault-injection point for the crash tests: pause a reindex at a named phase.

When the environment variable ``VNSEARCH_PAUSE_AT`` names a phase, the process reaching it
says so on stderr and sleeps, so a test can kill it there with SIGKILL.  Phases: ``index``
(articles are being analysed), ``toc`` (segment files written, the commit not yet made
visible), ``swap`` (a ``--full`` rebuild is complete but not yet swapped in).
"""

from __future__ import annotations

import os
import sys
import time

PAUSE_VARIABLE = "VNSEARCH_PAUSE_AT"


def pause_point(phase: str) -> None:
    """Stop here for a crash test when VNSEARCH_PAUSE_AT names this phase."""
    if os.environ.get(PAUSE_VARIABLE) == phase:
        print(f"vnsearch: paused at {phase} (pid {os.getpid()})", file=sys.stderr, flush=True)
        time.sleep(3600)
