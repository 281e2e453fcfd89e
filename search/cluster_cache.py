"""What the cluster backend keeps between searches: what does not depend on the page.

The tiers a query is answered from (its counts without filters) and the words' document
frequencies only change when the cluster's content does.  They are kept per *generation*: the
metadata record a reindex writes when it commits (``search.cluster_index``), read back in every
results page's batch at no extra round trip.  When it changes, everything kept is dropped;
entries also expire after ``MAX_AGE_S`` (a reindex that failed half-way wrote articles but no
new metadata).  Nothing read while a shard was down is kept.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable

# A reindex that stopped half-way changes articles without a new generation: bound the staleness.
MAX_AGE_S = 60.0
MAX_ENTRIES = 20_000


class GenerationCache:
    """A bounded map of values valid for one generation of the cluster's content."""

    def __init__(self, max_age: float = MAX_AGE_S, max_entries: int = MAX_ENTRIES):
        self.max_age = max_age
        self.max_entries = max_entries
        self.generation: Hashable = None
        self._entries: OrderedDict = OrderedDict()
        self._since = time.monotonic()
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        """Return the value kept under key, or None."""
        with self._lock:
            self._expire()
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value) -> None:
        """Keep a value (the least recently used ones go beyond max_entries)."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def observe(self, generation: Hashable) -> bool:
        """Record the cluster's current generation; drop everything when it changed. Tell whether it did."""
        with self._lock:
            if generation == self.generation:
                return False
            self.generation = generation
            self._clear()
            return True

    def clear(self) -> None:
        """Drop everything kept (this process changed the cluster)."""
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        self._entries.clear()
        self._since = time.monotonic()

    def _expire(self) -> None:
        """Drop everything once the entries are older than max_age."""
        if time.monotonic() - self._since > self.max_age:
            self._clear()
