"""Heavy searches give way to light ones in the serving worker (web.server.BufferingThreadWorker)."""

from __future__ import annotations

import urllib.parse

from web.server import HEAVY_SYLLABLES, LIGHT_LANES, HeldBack, accepts, is_heavy

PORTAL_TITLE = (
    "Tăng cường vai trò nêu gương của cán bộ, đảng viên trong việc thực hiện Chỉ thị 05 của Bộ Chính trị"
)
GARBAGE = "haf nooij fc aps sats ddinhr bangr v-league uoongs ruwowu,j bia rooif dawts xe vaof thanhf phoos"


def head(path: str, q: str | None = None, method: str = "GET") -> bytes:
    target = path + ("?" + urllib.parse.urlencode({"q": q, "size": 10}) if q is not None else "")
    return f"{method} {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode("latin-1")


def test_a_search_of_many_distinct_syllables_is_heavy_on_the_api_and_the_results_page():
    assert is_heavy(head("/api/search", PORTAL_TITLE))
    assert is_heavy(head("/", PORTAL_TITLE))
    assert is_heavy(head("/api/search", GARBAGE))


def test_short_queries_other_paths_and_other_methods_are_not_heavy():
    assert not is_heavy(head("/api/search", "hà nội"))
    assert not is_heavy(head("/api/search", "Chỉ thị 05 của Bộ Chính trị"))
    assert not is_heavy(head("/api/suggest", PORTAL_TITLE))
    assert not is_heavy(head("/healthz"))
    assert not is_heavy(head("/api/search", PORTAL_TITLE, method="POST"))
    assert not is_heavy(b"GARBAGE\r\n\r\n")
    assert not is_heavy(head("/api/search")) and not is_heavy(head("/"))  # a search path without a query


def test_a_question_mark_typed_unencoded_stays_part_of_the_query():
    target = "/api/search?q=" + urllib.parse.quote_plus(PORTAL_TITLE).replace("+", "+?+", 1)
    assert "?" in target.partition("?")[2]
    assert is_heavy(f"GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode("latin-1"))


def test_a_request_line_gunicorn_refuses_is_never_heavy():
    whole = head("/api/search", PORTAL_TITLE)
    line = whole.split(b"\r\n", 1)[0]
    assert is_heavy(whole) and line.endswith(b" HTTP/1.1")
    # Cut before its version (too long to wait for: gunicorn answers 414 without searching).
    assert not is_heavy(line.removesuffix(b" HTTP/1.1"))
    # No version, then headers (HTTP/0.9's form).
    assert not is_heavy(line.removesuffix(b" HTTP/1.1") + b"\r\nHost: localhost\r\n\r\n")
    # Not three parts each after one space.
    assert not is_heavy(line.replace(b" ", b"  ", 1) + b"\r\n\r\n")
    assert not is_heavy(line.replace(b" ", b"\t") + b"\r\n\r\n")


def test_heaviness_counts_distinct_syllables_not_repeats():
    repeated = " ".join(["hà nội"] * 40)
    assert not is_heavy(head("/api/search", repeated))
    distinct = PORTAL_TITLE.split()[:HEAVY_SYLLABLES]
    assert is_heavy(head("/api/search", " ".join(distinct)))
    assert not is_heavy(head("/api/search", " ".join(distinct[:-2])))


def test_a_heavy_request_is_held_only_while_other_connections_wait():
    held = HeldBack()
    assert not held.hold("light", heavy=False, others_waiting=True, now=0.0)
    assert not held.hold("heavy idle", heavy=True, others_waiting=False, now=0.0)
    assert held.hold("heavy busy", heavy=True, others_waiting=True, now=0.0)
    assert len(held) == 1


def test_held_requests_run_in_order_once_a_thread_is_free_and_nobody_else_waits():
    held = HeldBack()
    for n in range(3):
        held.hold(f"heavy {n}", heavy=True, others_waiting=True, now=float(n))
    assert held.release(free=False, others_waiting=False, now=3.0) is None
    assert held.release(free=True, others_waiting=True, now=3.0) is None
    assert [held.release(free=True, others_waiting=False, now=3.0) for _ in range(4)] == [
        "heavy 0", "heavy 1", "heavy 2", None]


def test_a_held_request_runs_after_its_longest_wait_even_while_others_keep_coming():
    held = HeldBack(max_wait=5.0)
    held.hold("first", heavy=True, others_waiting=True, now=10.0)
    held.hold("second", heavy=True, others_waiting=True, now=12.0)
    assert held.release(free=True, others_waiting=True, now=14.9) is None
    assert held.release(free=True, others_waiting=True, now=15.0) == "first"
    assert held.release(free=True, others_waiting=True, now=15.0) is None


def test_no_more_than_the_limit_is_held_back():
    held = HeldBack(limit=2)
    assert [held.hold(n, heavy=True, others_waiting=True, now=0.0) for n in range(3)] == [True, True, False]
    assert len(held) == 2


def test_a_worker_accepts_while_a_thread_is_free_or_only_heavy_searches_run():
    assert LIGHT_LANES == 1
    assert accepts(running=0, heavy_running=0, threads=1)
    # A light request on the only search thread: the next connection goes to another worker.
    assert not accepts(running=1, heavy_running=0, threads=1)
    # A heavy search on it: the light lane takes a connection, so a light query runs beside it.
    assert accepts(running=1, heavy_running=1, threads=1)
    assert not accepts(running=2, heavy_running=1, threads=1)
    assert not accepts(running=2, heavy_running=2, threads=1)
    assert accepts(running=1, heavy_running=0, threads=2)
    assert accepts(running=2, heavy_running=2, threads=2)
    assert not accepts(running=2, heavy_running=1, threads=2)
