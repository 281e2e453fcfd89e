"""What the cluster backend keeps between searches (search/cluster_cache.py), without a cluster."""

from __future__ import annotations

import pytest

from search import cluster_cache
from search.cluster_cache import MAX_AGE_S, MAX_ENTRIES, GenerationCache


@pytest.fixture()
def clock(monkeypatch) -> list[float]:
    """Return the monotonic clock the cache reads, as a one-item list a test moves on."""
    now = [1000.0]
    monkeypatch.setattr(cluster_cache.time, "monotonic", lambda: now[0])
    return now


def test_a_value_is_kept_under_its_key_until_the_generation_changes(clock):
    cache = GenerationCache()
    assert (cache.max_age, cache.max_entries, cache.generation) == (MAX_AGE_S, MAX_ENTRIES, None)
    assert (MAX_AGE_S, MAX_ENTRIES) == (60.0, 20_000)
    assert cache.observe("gen-1") is True and cache.generation == "gen-1"
    cache.put(("plan", "bo chinh tri"), {"all": 12})
    assert cache.get(("plan", "bo chinh tri")) == {"all": 12} and cache.get(("plan", "ha noi")) is None
    assert cache.observe("gen-1") is False and cache.get(("plan", "bo chinh tri")) == {"all": 12}
    assert cache.observe("gen-2") is True and cache.generation == "gen-2"
    assert cache.get(("plan", "bo chinh tri")) is None


def test_clear_drops_everything_kept_but_the_generation(clock):
    cache = GenerationCache()
    cache.observe("gen-1")
    cache.put("a", 1)
    cache.put("b", 2)
    cache.clear()
    assert (cache.get("a"), cache.get("b"), cache.generation) == (None, None, "gen-1")
    assert cache.observe("gen-1") is False


def test_the_least_recently_used_values_go_beyond_the_bound(clock):
    cache = GenerationCache(max_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" used since "b" was put: "b" goes first
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    cache.put("a", 10)  # put again: kept anew, the most recent
    cache.put("d", 4)
    assert (cache.get("a"), cache.get("c"), cache.get("d")) == (10, None, 4)


def test_values_expire_together_once_older_than_the_maximum_age(clock):
    cache = GenerationCache(max_age=60.0)
    cache.put("a", 1)
    clock[0] += 60.0
    assert cache.get("a") == 1  # exactly the maximum age: still kept
    clock[0] += 0.5
    cache.put("b", 2)  # put after the age passed: the next get drops it with the rest
    assert (cache.get("a"), cache.get("b")) == (None, None)
    cache.put("c", 3)
    clock[0] += 30.0
    assert cache.get("c") == 3  # the age counts from the last time everything was dropped
    cache.observe("gen-2")
    cache.put("d", 4)
    clock[0] += 59.0
    assert cache.get("d") == 4  # a new generation starts the age again
