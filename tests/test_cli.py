"""The `vnsearch` command line: reindex summaries and exit statuses, search output.

Run through click's CliRunner (in process) and once as a real subprocess.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.store import linked_generation, writer_lock
from tests.helpers import (
    DEMO_ARTICLES,
    PORTAL_ID,
    ROOT,
    STATE_TIMEOUT,
    VNSEARCH,
    free_port,
    make_source,
    write_jsonl,
)
from vnsearch.cli import main

SUMMARY_RE = re.compile(
    r"added (\d+), updated (\d+), deleted (\d+), unchanged (\d+), rejected (\d+) in [\d.]+ s "
    r"\((\d+) articles?/s\)"
)
PORTAL_HIT = {
    "id": PORTAL_ID,
    "title": "Tăng cường vai trò nêu gương của cán bộ, đảng viên trong việc thực hiện Chỉ thị 05 của Bộ Chính trị",
    "category": "Hoạt động của Đảng - Đoàn thể",
    "source": "vpubnd.kiengiang.gov.vn",
    "portal": "Cổng thông tin điện tử Kiên Giang",
    "url": None,
    "published": "2019-08-21T08:12:00+07:00",
}


def run(*args: str, env: dict | None = None):
    return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)


def summary(output: str) -> tuple[int, ...]:
    match = SUMMARY_RE.search(output)
    assert match, output
    return tuple(int(g) for g in match.groups()[:5])


# reindex -----------------------------------------------------------------------------------


def test_reindex_prints_the_summary_and_exits_0(tmp_path):
    source = make_source(tmp_path, count=3)
    result = run("reindex", "--index", str(tmp_path / "ix"), "--procs", "1", str(source))
    assert result.exit_code == 0, result.output
    assert summary(result.stdout) == (4, 0, 0, 0, 0)
    assert re.search(r"\((1 article|\d+ articles)/s\); the index holds 4 articles$", result.stdout.rstrip())


def test_second_reindex_reports_everything_unchanged(tmp_path):
    source = make_source(tmp_path, count=3)
    index = str(tmp_path / "ix")
    assert run("reindex", "--index", index, "--procs", "1", str(source)).exit_code == 0
    result = run("reindex", "--index", index, "--procs", "1")
    assert result.exit_code == 0, result.output
    assert summary(result.stdout) == (0, 0, 0, 4, 0)
    assert result.stdout.startswith("incremental: added 0, updated 0, deleted 0, unchanged 4, rejected 0 in ")


def test_reindex_reread_catches_a_change_that_kept_the_file_size_and_time(tmp_path):
    source = make_source(tmp_path, count=3, portal=False)
    news = source / "news.jsonl"
    stamp = news.stat().st_mtime_ns - 3600 * 10**9  # an hour old: recorded as read
    os.utime(news, ns=(stamp, stamp))
    index = str(tmp_path / "ix")
    assert run("reindex", "--index", index, "--procs", "1", str(source)).exit_code == 0
    text = news.read_text(encoding="utf-8")
    news.write_text(text.replace(" 10 năm", " 99 năm"), encoding="utf-8")
    os.utime(news, ns=(stamp, stamp))
    assert summary(run("reindex", "--index", index, "--procs", "1").stdout) == (0, 0, 0, 3, 0)
    result = run("reindex", "--index", index, "--procs", "1", "--reread")
    assert result.exit_code == 0, result.output
    assert summary(result.stdout) == (0, 1, 0, 2, 0)


def test_reindex_exits_1_when_something_is_rejected_and_commits_the_rest(tmp_path):
    source = make_source(tmp_path, count=3)
    bad = source / "broken.jsonl"
    bad.write_text('{"id": "x", "title": "Thiếu nội dung"}\n', encoding="utf-8")
    index = str(tmp_path / "ix")
    result = run("reindex", "--index", index, "--procs", "1", str(source))
    assert result.exit_code == 1
    assert summary(result.stdout) == (4, 0, 0, 0, 1)
    assert f"{bad}:1:" in result.stderr
    found = run("search", "--index", index, "--json", "chỉ thị 05 bộ chính trị")
    assert found.exit_code == 0
    assert json.loads(found.stdout)["hits"][0]["id"] == "portal/" + PORTAL_ID


def test_reindex_with_no_sources_and_none_remembered_is_a_usage_error(tmp_path):
    result = run("reindex", "--index", str(tmp_path / "ix"))
    assert result.exit_code == 2
    assert "no SOURCE given" in result.stderr


def test_unknown_option_is_a_usage_error(tmp_path):
    result = run("reindex", "--index", str(tmp_path / "ix"), "--bogus", str(tmp_path))
    assert result.exit_code == 2
    assert "--bogus" in result.stderr


def test_reindex_exits_3_when_another_reindex_holds_the_lock(tmp_path):
    source = make_source(tmp_path, count=1)
    index_dir = tmp_path / "ix"
    with writer_lock(index_dir, 1):
        result = run("reindex", "--index", str(index_dir), "--lock-timeout", "0.2", str(source))
    assert result.exit_code == 3
    assert "another reindex" in result.stderr and str(index_dir) in result.stderr


def test_index_directory_can_come_from_the_environment(tmp_path):
    source = make_source(tmp_path, count=1)
    env = {"VNSEARCH_INDEX": str(tmp_path / "env-ix"), "VNSEARCH_PROCS": "1"}
    assert run("reindex", str(source), env=env).exit_code == 0
    result = run("search", "--json", "vinamilk", env=env)
    assert result.exit_code == 0
    assert [hit["id"] for hit in json.loads(result.stdout)["hits"]] == [DEMO_ARTICLES[0]["id"]]


@pytest.fixture(scope="module", params=["embedded", "cluster"])
def search_target(request, demo_index) -> list[str]:
    """Return the options that point `vnsearch search` at the demo corpus: index, then cluster."""
    if request.param == "cluster":
        return ["--backend", request.getfixturevalue("demo_cluster").url]
    return ["--index", str(demo_index)]


# search ------------------------------------------------------------------------------------


def test_search_json_puts_the_portal_article_first_with_its_fields(search_target):
    result = run("search", *search_target, "--json", "chi", "thi", "05", "bo", "chinh", "tri")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    first = data["hits"][0]
    assert {key: first[key] for key in PORTAL_HIT} == PORTAL_HIT
    assert data["query"] == "chi thi 05 bo chinh tri"
    for hit in data["hits"]:
        assert set(PORTAL_HIT) <= set(hit)
        published = datetime.fromisoformat(hit["published"])
        assert published.utcoffset() is not None


def test_search_json_hits_of_dated_news_have_iso_dates_with_offset(search_target):
    result = run("search", *search_target, "--json", "--size", "50", "vinamilk")
    data = json.loads(result.stdout)
    [hit] = data["hits"]
    assert hit["id"] == "unc-news_business_001"
    assert hit["published"] == "2020-10-01T00:00:00+07:00"
    assert hit["url"] == DEMO_ARTICLES[0]["url"] and hit["source"] == "dantri.com.vn"


def test_plain_search_prints_ranked_results_with_snippets(search_target):
    result = run("search", *search_target, "--size", "3", "bộ chính trị")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert re.match(r"\d+ results for 'bộ chính trị' \(\d+\.\d ms\)$", lines[0])
    numbered = [line for line in lines if re.match(r"\d+\. ", line)]
    assert [line.split(".")[0] for line in numbered] == ["1", "2", "3"]
    assert numbered[0] == "1. " + PORTAL_HIT["title"]
    first = lines.index(numbered[0])
    assert lines[first + 1].strip().split(" · ") == ["21/08/2019 08:12", PORTAL_HIT["category"], PORTAL_HIT["source"],
                                                      PORTAL_ID]
    snippet = lines[first + 2]
    assert "Bộ Chính trị" in snippet and "<mark>" not in snippet


ANSI_RE = re.compile(r"\x1b\[(\d+)m")
# What each SGR code click writes does to the styles in effect.
ANSI_EFFECTS = {"0": lambda styles: set(), "1": lambda styles: styles | {"bold"}, "2": lambda styles: styles | {"dim"},
                "22": lambda styles: styles - {"bold", "dim"}, "33": lambda styles: styles | {"yellow"}}


def styled_runs(line: str) -> list[tuple[str, set[str]]]:
    """Split a line of terminal text into its runs of text and the styles each is shown in."""
    runs, styles, start = [], set(), 0
    for code in ANSI_RE.finditer(line):
        if code.start() > start:
            runs.append((line[start:code.start()], styles))
        styles, start = ANSI_EFFECTS[code.group(1)](styles), code.end()
    return runs + ([(line[start:], styles)] if line[start:] else [])


def test_plain_search_on_a_colour_terminal_shows_the_query_words_in_bold_yellow(demo_index):
    result = CliRunner().invoke(main, ["search", "--index", str(demo_index), "--size", "1", "bộ chính trị"],
                                color=True, catch_exceptions=False)
    title, details, snippet = result.stdout.splitlines()[2:5]
    assert styled_runs(title) == [("1. ", set()), (PORTAL_HIT["title"].removesuffix("Bộ Chính trị"), {"bold"}),
                                  ("Bộ Chính trị", {"bold", "yellow"})]
    assert styled_runs(details) == [("   ", set()), (f"21/08/2019 08:12 · {PORTAL_HIT['category']} · "
                                                     f"{PORTAL_HIT['source']} · {PORTAL_ID}", {"dim"})]
    runs = styled_runs(snippet)
    assert runs[0] == ("   ", set())
    assert [text for text, styles in runs if styles == {"bold", "yellow"}] == ["Bộ Chính trị", "Bộ Chính trị"]
    assert {frozenset(styles) for text, styles in runs} == {frozenset(), frozenset({"bold", "yellow"})}


def test_plain_search_decodes_entities_in_snippets(search_target):
    result = run("search", *search_target, "--size", "1", "GD&ĐT")
    assert result.exit_code == 0
    assert "GD&ĐT" in result.stdout and "&amp;" not in result.stdout


def test_search_without_results_exits_0(search_target):
    result = run("search", *search_target, "--json", "qwxzv")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["total"] == 0
    plain = run("search", *search_target, "qwxzv")
    assert plain.exit_code == 0
    assert plain.stdout.splitlines()[0].startswith("0 results for 'qwxzv'")


def test_plain_search_says_result_in_the_singular_and_dates_without_an_invented_time(demo_index):
    result = run("search", "--index", str(demo_index), "vinamilk")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert re.match(r"1 result for 'vinamilk' \(\d+\.\d ms\)$", lines[0])
    # Dated to the day only: no "00:00" is made up.
    assert lines[3].strip().split(" · ")[0] == "01/10/2020"


def test_plain_search_notices_are_in_english(demo_index):
    result = run("search", "--index", str(demo_index), "vinamilk qwxzvk")
    lines = result.stdout.splitlines()
    assert lines[1] == "Too few articles hold every word: articles holding some of the words are shown too."
    long_query = run("search", "--index", str(demo_index), "--json", "vinamilk " * 40)
    notices = run("search", "--index", str(demo_index), "vinamilk " * 40).stdout.splitlines()
    used = len(json.loads(long_query.stdout)["query"])
    assert f"The query is too long: only its first {used} characters were used." in notices


def test_plain_search_says_when_the_query_had_too_many_words_or_unknown_words(demo_index):
    # 83 distinct syllables, more than a query searches (64), most of them no word.
    syllables = " ".join(consonant + vowel for consonant in "bcdghklmnpstvx" for vowel in "aeiouy")
    query = syllables[:syllables.rfind(" ", 0, 256)]
    assert set(json.loads(run("search", "--index", str(demo_index), "--json", query).stdout)["limited"]) >= {
        "terms", "typo_correction"}
    lines = run("search", "--index", str(demo_index), query).stdout.splitlines()
    assert lines[2:5] == ["Too few articles hold every word: articles holding some of the words are shown too.",
                          "The query has too many words: only its first ones were searched.",
                          "The query has too many unknown words: only the first few were checked for typos."]


def test_plain_search_ends_with_how_many_more_each_wider_match_finds(demo_index):
    wider = json.loads(run("search", "--index", str(demo_index), "--json", "bộ chính trị").stdout)["wider"]
    assert wider["all"] > 0 and wider["most"] > 0
    lines = run("search", "--index", str(demo_index), "bộ chính trị").stdout.splitlines()
    assert lines[-3:] == [f"{wider['all']} more with --match all (the words far apart)", "",
                          f"{wider['most']} more with --match most (some of the words)"]


def test_reindex_of_one_article_says_article_in_the_singular(tmp_path):
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps(DEMO_ARTICLES[0], ensure_ascii=False) + "\n", encoding="utf-8")
    result = run("reindex", "--index", str(tmp_path / "ix"), "--procs", "1", str(source))
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("the index holds 1 article")


def test_help_documents_every_exit_status():
    text = " ".join(run("--help").stdout.split())
    assert ("Exit statuses: 0 success (also a search that finds nothing); 1 reindex rejected some sources "
            "(the rest was committed); 2 usage error; 3 index busy, missing or not writable; "
            "4 index damaged; 5 the server cannot listen on its port.") in text


def test_search_with_a_bad_parameter_is_a_usage_error(search_target):
    result = run("search", *search_target, "--year", "năm ngoái", "bộ")
    assert result.exit_code == 2
    assert "--year" in result.stderr


def test_search_of_a_missing_index_exits_3(tmp_path):
    result = run("search", "--index", str(tmp_path / "none"), "bộ")
    assert result.exit_code == 3
    assert "reindex" in result.stderr


def test_search_of_an_unreachable_cluster_exits_3_naming_the_nodes(tmp_path):
    from tests.sphinx_cluster import free_base_port

    port = free_base_port(2)
    result = run("search", "--backend", f"sphinxql://127.0.0.1:{port}", "bộ")
    assert result.exit_code == 3
    assert result.stderr.startswith(f"vnsearch: no search node answers: cannot reach search node 127.0.0.1:{port}")
    assert "Traceback" not in result.stderr


def test_search_with_a_malformed_backend_url_is_a_usage_error():
    result = run("search", "--backend", "mysql://somewhere", "bộ")
    assert result.exit_code == 2 and result.stderr.splitlines()[-1] == (
        "Error: Invalid value for --backend: backend URL 'mysql://somewhere' must look like "
        "sphinxql://HOST:PORT[,HOST:PORT...]")


def test_vnsearch_module_runs_as_a_program(search_target):
    completed = subprocess.run(
        [sys.executable, "-m", "vnsearch", "search", *search_target, "--json", "chi thi 05 bo chinh tri"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    first = json.loads(completed.stdout)["hits"][0]
    assert {key: first[key] for key in PORTAL_HIT} == PORTAL_HIT


def test_reindex_full_rebuilds_the_remembered_sources(tmp_path):
    source = make_source(tmp_path, count=2)
    index = str(tmp_path / "ix")
    assert run("reindex", "--index", index, "--procs", "1", str(source)).exit_code == 0
    result = run("reindex", "--index", index, "--procs", "1", "--full")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("full rebuild:")
    assert summary(result.stdout) == (3, 0, 0, 0, 0)


def read_terminal(master: int, process: subprocess.Popen) -> str:
    """Return everything a process wrote to a pseudo-terminal until it exited (bounded in time)."""
    chunks, deadline = [], time.monotonic() + STATE_TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: the process is gone
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    process.wait(timeout=STATE_TIMEOUT)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_reindex_on_a_terminal_draws_a_progress_bar(tmp_path):
    source = write_jsonl(tmp_path / "news.jsonl", DEMO_ARTICLES[:60])
    master, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # rows, columns
    process = subprocess.Popen([str(VNSEARCH), "reindex", "--index", str(tmp_path / "ix"), "--procs", "1", str(source)],
                               stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal, cwd=ROOT)
    os.close(terminal)
    try:
        shown = read_terminal(master, process)
    finally:
        os.close(master)
    assert process.returncode == 0, shown
    # tqdm draws " 0%|    | 0/60 [00:00<?, ? articles/s]", rewriting the line; the summary follows.
    assert re.search(r"\d+%\|[^|\r\n]*\| *\d+/60 \[[^]\r\n]* articles/s\]", shown), shown
    assert "committing…" in shown and summary(shown) == (60, 0, 0, 0, 0)


class Terminal(io.StringIO):
    """Standard error as a terminal: what is written is kept."""

    def isatty(self) -> bool:
        return True


def test_reindex_progress_on_a_terminal_is_a_bar_that_grows_with_what_is_read_and_goes_before_the_commit(
        monkeypatch):
    from vnsearch.cli import Progress

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    progress = Progress()
    progress("read", 5, 10)
    # Drawn at once, then redrawn at most every 0.1 s (tqdm's mininterval): the bar's counts are read instead.
    assert re.findall(r"\| *(\d+/\d+) \[[^]]* articles/s\]", terminal.getvalue()) == ["0/10"]
    assert (progress.bar.n, progress.bar.total) == (5, 10)
    progress("read", 12, 10)  # more articles than first counted: the bar's total follows what was read
    assert (progress.bar.n, progress.bar.total) == (12, 12)
    progress("commit", 12, 12)
    assert progress.bar is None and terminal.getvalue().endswith("\rcommitting…\n")  # the bar's line cleared


def test_reindex_off_a_terminal_prints_no_bar(tmp_path, monkeypatch):
    from vnsearch.cli import Progress

    monkeypatch.setattr(Progress, "INTERVAL", 3600.0)  # no "read N of about" line within the hour
    source = write_jsonl(tmp_path / "news.jsonl", DEMO_ARTICLES[:5])
    result = run("reindex", "--index", str(tmp_path / "ix"), "--procs", "1", str(source))
    assert result.exit_code == 0 and result.stderr == "committing…\n"
    assert summary(result.stderr + result.stdout) == (5, 0, 0, 0, 0)


def test_plain_search_prints_the_suggestion(demo_index):
    suggested = run("search", "--index", str(demo_index), "chinh tri")
    assert suggested.exit_code == 0 and suggested.stdout.splitlines()[1] == "Did you mean: chính trị"
    assert "Did you mean" not in run("search", "--index", str(demo_index), "chính trị").stdout


def test_reindex_into_an_unreachable_cluster_exits_3_and_loses_nothing(tmp_path):
    source = make_source(tmp_path, count=2)
    nobody = free_port()  # nothing listens there
    result = run("reindex", "--backend", f"sphinxql://127.0.0.1:{nobody}", "--index", str(tmp_path / "lock"),
                 "--lock-timeout", "1", str(source))
    assert result.exit_code == 3, result.output
    assert "nothing is lost" in result.stderr and "Traceback" not in result.output


# Paths the coverage run found untested --------------------------------------------------------


def test_plain_search_says_when_accents_were_ignored_and_when_words_were_cut(demo_index):
    folded = run("search", "--index", str(demo_index), "bồ chính trí").stdout.splitlines()
    assert "No article holds the words with the accents typed: accents are ignored." in folded
    many = " ".join(f"w{n}" for n in range(70))  # 70 distinct words, more than the 64 searched
    assert "The query has too many words: only its first ones were searched." in run(
        "search", "--index", str(demo_index), many).stdout.splitlines()


def test_search_with_an_unreadable_synonyms_file_is_a_usage_error(demo_index, tmp_path):
    result = run("search", "--index", str(demo_index), "--synonyms", str(tmp_path / "missing.txt"), "bộ")
    assert result.exit_code == 2 and result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for --synonyms: cannot read {tmp_path / 'missing.txt'}: No such file or directory")


def test_search_with_a_synonyms_file_not_in_utf8_is_a_usage_error(demo_index, tmp_path):
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_bytes("bộ chính trị | politburo\n".encode("cp1258", errors="replace"))
    result = run("search", "--index", str(demo_index), "--synonyms", str(synonyms), "bộ")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: Invalid value for --synonyms: cannot read {synonyms}: 'utf-8' codec can't decode byte ")


def test_search_reports_a_bad_synonyms_line_and_uses_the_rest(demo_index, tmp_path):
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("politburo | bộ chính trị\nchỉ một dạng\n", encoding="utf-8")
    result = run("search", "--index", str(demo_index), "--synonyms", str(synonyms), "--json", "politburo")
    assert result.exit_code == 0
    assert result.stderr == f"vnsearch: {synonyms}, line 2: expected two or more forms separated by '|'; line skipped\n"
    assert json.loads(result.stdout)["hits"][0]["id"] == PORTAL_ID  # read as bộ chính trị
    assert json.loads(run("search", "--index", str(demo_index), "--json", "politburo").stdout)["total"] == 0


def test_check_full_says_the_index_is_sound_when_only_a_source_is_missing(tmp_path):
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps({"id": "a", "title": "Hà Nội", "body": "Hà Nội mùa thu."}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    assert run("reindex", "--index", str(tmp_path / "index"), str(source)).exit_code == 0
    source.unlink()
    result = run("check", "--index", str(tmp_path / "index"), "--full")
    assert result.exit_code == 4
    assert result.stderr.splitlines() == [
        f"damaged: {source}: remembered source is missing: a reindex would delete its articles",
        "the index is sound, but remembered sources are missing: restore them before the next reindex, "
        "or rebuild from the sources that remain with `vnsearch reindex --full SOURCE ...`"]


def test_check_prints_what_it_read_then_ok(index_copy):
    generation = linked_generation(index_copy).name
    files = json.loads(run("check", "--index", str(index_copy), "--json").stdout)["files_checked"]
    quick = run("check", "--index", str(index_copy))
    assert (quick.exit_code, quick.stdout, quick.stderr) == (
        0, f"checked {generation} in {index_copy}: {files} files\nok\n", "")
    full = run("check", "--index", str(index_copy), "--full")
    assert (full.exit_code, full.stdout, full.stderr) == (
        0, f"checked {generation} in {index_copy}: {files} files, articles, postings and sources, 201 articles\nok\n",
        "")


def test_check_of_an_index_written_before_checksums_warns_then_says_ok(index_copy):
    generation = linked_generation(index_copy)
    next(generation.glob("checksums-*.json")).unlink()  # as an index written before vnsearch recorded them
    result = run("check", "--index", str(index_copy))
    assert (result.exit_code, result.stdout.splitlines()[1:], result.stderr) == (0, [
        "warning: the last commit has no checksums (written before vnsearch recorded them): "
        "run `vnsearch reindex --full` to record them", "ok"], "")


def test_check_of_a_damaged_index_names_each_problem_then_the_rebuild_that_repairs_it(index_copy):
    generation = linked_generation(index_copy)
    for name in (".pst", ".trm"):  # two files: the count is in the plural
        damaged = next(generation.glob(f"*{name}"))
        os.truncate(damaged, damaged.stat().st_size // 2)
    problems = json.loads(run("check", "--index", str(index_copy), "--json").stdout)["problems"]
    result = run("check", "--index", str(index_copy))
    assert result.exit_code == 4 and len(problems) == 2
    assert result.stderr.splitlines() == [f"damaged: {p['file']}: {p['problem']}" for p in problems] + [
        f"2 problems: run `vnsearch reindex --index {index_copy} --full` to rebuild the index from its sources "
        "(the damaged generation is kept for inspection)"]


def test_cluster_config_where_no_directory_can_be_made_exits_3_without_a_traceback(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n", encoding="utf-8")
    result = run("cluster-config", "--shards", "2", "--dir", str(blocker / "cluster"))
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(f"vnsearch: cannot write the configuration in {blocker / 'cluster'}: ")
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_demo_on_an_unreachable_cluster_exits_3_before_serving(tmp_path):
    from tests.sphinx_cluster import free_base_port

    port = free_base_port(2)
    nodes = [f"127.0.0.1:{port}", f"127.0.0.1:{port + 2}"]
    result = run("demo", "--backend", "sphinxql://" + ",".join(nodes), "--index", str(tmp_path / "demo"))
    assert result.exit_code == 3, result.output
    assert result.stderr.splitlines() == [
        f"vnsearch: no search node answers ({', '.join(nodes)}): the server answers 503 until one is up"
    ]
    assert "Traceback" not in result.stderr and not (tmp_path / "demo").exists()


def test_reindex_with_a_malformed_backend_url_is_a_usage_error_and_writes_nothing(tmp_path):
    source = make_source(tmp_path, count=2)
    result = run("reindex", "--backend", "mysql://somewhere", "--index", str(tmp_path / "lock"), str(source))
    assert result.exit_code == 2, result.output
    assert "--backend" in result.stderr and "must look like sphinxql://HOST:PORT" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "lock").exists()


def test_reindex_off_a_terminal_says_how_far_it_has_read_every_interval(tmp_path, monkeypatch):
    from vnsearch.cli import Progress

    monkeypatch.setattr(Progress, "INTERVAL", 0.0)  # a line at every article instead of every 5 s
    source = write_jsonl(tmp_path / "news.jsonl", DEMO_ARTICLES[:5])
    result = run("reindex", "--index", str(tmp_path / "ix"), "--procs", "1", str(source))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("read ")]
    assert lines == [f"read {done} of about 5 articles" for done in range(1, 6)]
    assert result.stderr.splitlines()[-1] == "committing…" and summary(result.stdout) == (5, 0, 0, 0, 0)


def test_plain_search_shows_an_undated_article_without_a_date(tmp_path):
    tiny = ROOT / "tests" / "fixtures" / "tiny.jsonl"
    undated = next(json.loads(line) for line in tiny.read_text(encoding="utf-8").splitlines()
                   if '"published"' not in line)
    assert run("reindex", "--index", str(tmp_path / "ix"), "--procs", "1", str(tiny)).exit_code == 0
    result = run("search", "--index", str(tmp_path / "ix"), undated["title"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    first = lines.index("1. " + undated["title"])
    assert lines[first + 1].strip().split(" · ") == [undated["category"], undated["source"], undated["id"]]


# serve and demo, in process: the server itself is replaced by a recorder of what it was asked -----------


@pytest.fixture
def served(monkeypatch) -> list:
    """Record each call of web.server.serve (which would run gunicorn) instead of serving."""
    import web.server

    calls = []
    monkeypatch.setattr(web.server, "serve", lambda *args, **options: calls.append((args, options)))
    return calls


def test_serve_passes_its_settings_to_the_server(demo_index, served, tmp_path):
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("bộ chính trị | politburo\n", encoding="utf-8")
    result = run("serve", "--index", str(demo_index), "--port", "8124", "--workers", "3", "--threads", "2",
                 "--refresh-seconds", "2.5", "--postings-cache-mb", "64", "--synonyms", str(synonyms), "--access-log",
                 env={"VNSEARCH_HOST": "0.0.0.0"})
    assert (result.exit_code, result.output) == (0, "")
    assert served == [((str(demo_index), "0.0.0.0", 8124, 3, 2, 2.5),
                       {"access_log": True, "backend": "", "synonyms": str(synonyms), "postings_cache_mb": 64})]


def test_serve_without_an_index_says_the_server_answers_503_until_a_reindex(served, tmp_path):
    result = run("serve", "--index", str(tmp_path / "none"))
    assert result.exit_code == 0 and len(served) == 1
    assert result.stderr == (f"vnsearch: no index in {tmp_path / 'none'} yet: the server answers 503 until "
                             f"`vnsearch reindex --index {tmp_path / 'none'} SOURCE ...` has run\n")


def test_serve_on_a_port_in_use_says_so_in_one_line_and_exits_5(monkeypatch, demo_index):
    import web.server

    def port_in_use(*args, **options):
        raise web.server.PortInUse("port 8124 on 127.0.0.1 is already in use")

    monkeypatch.setattr(web.server, "serve", port_in_use)
    result = run("serve", "--index", str(demo_index), "--port", "8124")
    assert (result.exit_code, result.stderr) == (5, "vnsearch: port 8124 on 127.0.0.1 is already in use\n")


def test_demo_indexes_the_bundled_corpus_into_the_data_directory_once_then_serves_it(served, tmp_path):
    index = tmp_path / "data" / "vnsearch" / "demo-index"
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    first = run("demo", "--port", "8125", "--workers", "1", "--threads", "2", env=env)
    assert first.exit_code == 0
    assert first.stderr.splitlines()[0] == f"indexing the demo corpus into {index}…"
    assert summary(first.stderr) == (201, 0, 0, 0, 0)
    again = run("demo", "--port", "8125", "--workers", "1", "--threads", "2", env=env)
    assert (again.exit_code, again.stderr) == (0, "")
    assert served == [((str(index), "127.0.0.1", 8125, 1, 2, 1.0), {"backend": ""})] * 2


def test_serve_on_a_cluster_whose_health_cannot_be_read_says_it_answers_503_and_serves(
        served, monkeypatch, tmp_path):
    from search.engine import SearchEngine
    from search.sphinxql import BackendError

    def unreadable(engine):
        raise BackendError("node 127.0.0.1:9306: lost connection")

    monkeypatch.setattr(SearchEngine, "health", unreadable)
    result = run("serve", "--backend", "sphinxql://127.0.0.1:9306", "--index", str(tmp_path / "lock"))
    assert (result.exit_code, result.stderr, len(served)) == (
        0, "vnsearch: node 127.0.0.1:9306: lost connection: the server answers 503 until a node is up\n", 1)


@pytest.mark.parametrize("xdg, home, where", [
    ("/srv/data", "/home/lan", "/srv/data/vnsearch/demo-index"),
    ("", "/home/lan", "/home/lan/.local/share/vnsearch/demo-index"),  # an empty variable is no directory
])
def test_the_demo_index_lives_in_the_users_data_directory(monkeypatch, xdg, home, where):
    from vnsearch.cli import default_demo_index

    monkeypatch.setenv("XDG_DATA_HOME", xdg)
    monkeypatch.setenv("HOME", home)
    assert default_demo_index() == Path(where)
