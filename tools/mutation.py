"""Mutation testing of the core: mutmut on search/ modules, and the templates' escaping.

    python tools/mutation.py search/highlight.py search/text.py   # some modules
    python tools/mutation.py all                                   # every module mutmut mutates
    python tools/mutation.py templates                             # the templates' escaping
    python tools/mutation.py --report search/highlight.py          # counts of the last run only
    python tools/mutation.py --survivors search/highlight.py       # rerun only its last survivors

mutmut (configured in pyproject.toml's [tool.mutmut]) runs each mutant against the fast tests
that reach the mutated function, chosen among the module's own test files (MODULE_TESTS below;
every fast test for a module not listed there), one module per mutmut run.  Survivors listed in
docs/mutation-equivalent.txt with a reason are counted as equivalent (no test can tell them
apart from the original); any other survivor is a hole in the tests.  Each module's statuses are
kept in mutants/module-results.json (mutmut forgets them when the test selection changes).
Runs niced, with at most --children mutants at a time: the machine is shared.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = [str(Path(sys.executable).parent / "mutmut")]
EQUIVALENT_FILE = ROOT / "docs" / "mutation-equivalent.txt"
TEMPLATES = ROOT / "web" / "templates"
# The page tests that look at escaping, run for each template mutant.
TEMPLATE_TESTS = ["tests/test_pages.py", "tests/test_security.py"]
RESULT_RE = re.compile(r"^\s*(\S+): (.+)$")


# The tests a module's mutants run against (those of them that reach the mutated function): the
# module's own unit tests and the fast tests of what it serves.  Kept small so a module takes
# minutes; a survivor is killed by a test added to one of these files.
SEARCH_TESTS = ["tests/test_search.py", "tests/test_api.py"]
# test_codec.py's tests that index the demo corpus (a reindex, the demo index): 5-16 s of CPU each, left
# out of the selections of the modules that write the index.
CODEC_REINDEXES_LEFT_OUT = [f"--deselect=tests/test_codec.py::{name}" for name in (
        "test_a_reindex_records_the_index_format",
        "test_an_index_of_another_codec_or_whoosh_version_is_rebuilt_by_the_next_reindex",
        "test_a_reindex_keeps_the_cached_postings_of_the_segments_it_left_alone",
        "test_a_search_answers_the_same_with_and_without_the_postings_cache",
        "test_a_snapshot_packs_cached_postings_when_its_posting_files_exceed_half_the_budget",
        "test_a_snapshot_computes_once_what_it_keeps_and_keeps_a_statistic_among_the_statistics")]

# test_integrity.py's tests that serve a damaged index and its repair (a server, or a full rebuild served,
# each: 5-7 s a mutant for what the Flask client's damage tests already reach).
WITHOUT_SERVED_REPAIRS = [f"--deselect=tests/test_integrity.py::{name}" for name in (
    "test_server_answers_503_for_a_damaged_index_then_serves_the_repair_without_restart",
    "test_server_started_on_a_damaged_index_says_so_answers_503_and_serves_the_repair",
    "test_full_reindex_repairs_damage_while_served_and_keeps_the_damaged_generation")]
MODULE_TESTS = {
    "search/text.py": ["tests/test_text.py"],
    "search/highlight.py": ["tests/test_highlight.py"],
    # test_execute.py: the ranking reads matching's readings, reading_limit and adjacent_counts_of.
    "search/matching.py": ["tests/test_matching.py", "tests/test_search.py", "tests/test_execute.py",
                           "tests/test_recency.py"],
    "search/request.py": ["tests/test_request.py"],
    "search/filtering.py": ["tests/test_filtering.py"],
    "search/facets.py": ["tests/test_facets.py"],
    "search/results.py": ["tests/test_results.py", "tests/test_result_dict.py", "tests/test_highlight.py",
                          "tests/test_backend.py", "tests/test_recency.py"],
    # phrase_keys and phrase_starts serve autocomplete (test_suggest.py) only.  test_matching.py
    # is left out: three quarters of the selection's time (a surviving mutant cost 40 s with it,
    # 12 s without), and its tiers are matching.py's (whose selection holds it).
    # test_understand.py compares the readings (VNI, abbreviations) of a query in the ranking.
    "search/execute.py": ["tests/test_execute.py", "tests/test_search.py", "tests/test_suggest.py",
                          "tests/test_understand.py", "tests/test_recency.py"],
    "search/index.py": ["tests/test_index.py"],
    # Did you mean's own tests (its searches of the demo index: accents restored, typos, bounds).
    "search/suggest.py": ["tests/test_suggest.py"],
    "search/spelling.py": ["tests/test_suggest.py", "tests/test_understand.py"],
    # The codec's writers, decoders and packed postings: a few demo articles written in small blocks
    # and read back (Whoosh's matchers, numpy, a merge) and the postings' own tests, and the slow tests
    # reading the 201-article segmented index (written once, SEGMENTED_MODULES).  Left out: the tests
    # that index the demo corpus with the mutated codec (a reindex, the demo index), 5-16 s of CPU
    # each, that a mutant reaching them would pay.
    "search/codec.py": ["tests/test_codec.py", *CODEC_REINDEXES_LEFT_OUT],
    "search/telex.py": ["tests/test_telex.py"],
    # The indexer's readers (portal text files, JSON Lines, publish dates, source files): the
    # documents' own tests and the bad-input ones (a bad file reported and skipped, the rest read).
    "search/documents.py": ["tests/test_documents.py", "tests/test_bad_input.py"],
    "search/dates.py": ["tests/test_dates.py", "tests/test_documents.py"],
    "search/sources.py": ["tests/test_sources.py", "tests/test_documents.py", "tests/test_bad_input.py"],
    # Related articles: their own tests over the demo index.
    "search/related.py": ["tests/test_related.py"],
    # Site interface text taken off a body's start and end: the documents' tests.
    "search/boilerplate.py": ["tests/test_documents.py"],
    # Category names (the shipped table, a home page read from its URL): their own tests, and the parser,
    # request and documents tests that read categories through them.
    "search/categories.py": ["tests/test_categories.py", "tests/test_documents.py", "tests/test_parse.py",
                             "tests/test_request.py"],
    # Words of time ("hôm nay"): their own tests, on both backends.
    "search/recency.py": ["tests/test_recency.py"],
    # The abbreviation dictionary: query understanding's tests read it (UBND, TP.HCM, an operator's file).
    "search/abbreviations.py": ["tests/test_understand.py"],
    # Checksums, verification and repair of the index: their own tests (damaged files named, refused and
    # repaired; commits' checksums; what a reindex checksums) and `vnsearch check`'s, all slow (each copies
    # the demo index; SLOW_SELECTION), without the served repairs (WITHOUT_SERVED_REPAIRS).
    "search/integrity.py": ["tests/test_integrity.py", "tests/test_check.py", *WITHOUT_SERVED_REPAIRS],
    # Autocomplete's titles and query completions: its tests in test_suggest.py, over the demo index.
    "search/autocomplete.py": ["tests/test_suggest.py"],
    # Query understanding (Telex/VNI, numbers, split words, abbreviations): its own tests.
    "search/understand.py": ["tests/test_understand.py"],
    # The query parser: its own tests, understanding's (every query goes through it), the results'
    # and did you mean's (the long-query bounds, keep_rarest).
    "search/parse.py": ["tests/test_parse.py", "tests/test_understand.py", "tests/test_results.py",
                        "tests/test_suggest.py"],
    # The postings cache (PostingsCache, Snapshot.computed): its own tests.
    "search/reader.py": ["tests/test_codec.py"],
    # The web layer's helpers (Vietnamese dates and numbers, safe links, marked paragraphs, the page's
    # links, lenient parameters, the feed and the timeline): the page, API and feed tests' fast ones.
    "web/formatting.py": ["tests/test_formatting.py", "tests/test_pages.py", "tests/test_api.py"],
    "web/links.py": ["tests/test_links.py", "tests/test_pages.py", "tests/test_api.py"],
    "web/forgiving.py": ["tests/test_forgiving.py", "tests/test_pages.py", "tests/test_api.py"],
    "web/feed.py": ["tests/test_feed.py"],
    "web/timeline.py": ["tests/test_timeline.py", "tests/test_pages.py", "tests/test_api.py"],
    # The blueprint's views (the JSON API, the page, the feed, an article, the health check) and the app
    # (its factory, security headers, JSON or HTML errors): the tests that request them through Flask's
    # test client, embedded backend only (the cluster cases are slow).
    "web/views.py": ["tests/test_api.py", "tests/test_pages.py", "tests/test_security.py", "tests/test_feed.py"],
    "web/app.py": ["tests/test_api.py", "tests/test_pages.py", "tests/test_security.py", "tests/test_feed.py"],
    # The OpenAPI document: the API tests that check it is valid OpenAPI, covers every route and parameter,
    # and that real responses of every endpoint hold to its closed schemas.
    "web/openapi.py": ["tests/test_api.py", "-k", "openapi"],
    # Serving: what the process decides alone (request heads, too-large answers, addresses, gunicorn's
    # options), the heavy searches' admission, and the worker's event loop stepped in the test process.
    "web/server.py": ["tests/test_serving.py", "tests/test_heavy_queries.py", "tests/test_worker.py"],
    # The command line, run in process through click's CliRunner: its own tests (their cluster cases on
    # the tool's demo cluster: CLUSTER_MODULES), the cluster-config command's, the serve command's settings,
    # the search command's match modes, and the commands on a cluster with a node down, or empty (each
    # test's own cluster; slow: SLOW_SELECTION).
    "vnsearch/cli.py": ["tests/test_cli.py", "tests/test_node_config.py",
                        "tests/test_server.py::test_serve_options_come_from_settings",
                        "tests/test_matching.py::test_cli_match_option_round_trips[embedded]", *(
                            f"tests/test_cluster_faults.py::{name}" for name in (
                                "test_search_command_with_a_node_down_prints_partial_results_and_says_so",
                                "test_serve_with_a_node_down_names_it_before_listening",
                                "test_demo_indexes_the_bundled_corpus_into_an_empty_cluster_once")),
                        "tests/test_cluster.py::test_reindex_command_writes_into_the_cluster_its_backend_url_names"],
    # Merging segments in one pass: the codec's merge test (every posting of the merged segment
    # against one writer's) and the reindexes that merge (the serial and parallel writers' merges).
    "search/merge.py": ["tests/test_codec.py", "tests/test_index.py"],
    # The lean writers (single- and multi-process, crash-safe commits): the reindex tests, and a merge
    # refusing a damaged segment.
    "search/writer.py": ["tests/test_index.py", "tests/test_codec.py", "tests/test_integrity.py"],
    # `vnsearch check`: its own tests (each finding in its words), the integrity tests (damaged files
    # named, a served repair; all slow: SLOW_SELECTION) and the CLI's check command.
    "search/check.py": ["tests/test_check.py", "tests/test_integrity.py", "tests/test_cli.py"],
    # The engine each process holds (its backend, its guard that names a damaged index, the open of a
    # backend URL): the backend's tests, the searches, the API and related articles.
    "search/engine.py": ["tests/test_backend.py", "tests/test_search.py", "tests/test_api.py", "tests/test_related.py"],
    # The settings table (flags, VNSEARCH_* variables, defaults, help): its own tests, the README that
    # documents each, the command line that reads them.
    "search/settings.py": ["tests/test_settings.py", "tests/test_readme.py", "tests/test_cli.py"],
    # The backend's protocols (their signatures' defaults): the backend's own tests.
    "search/backend.py": ["tests/test_backend.py"],
    # The index's schema (its fields: stored, columns, text terms): the tests of what an indexed article
    # stores and keeps as columns, of the text fields' terms and blocks and of the other fields' postings
    # (a few articles written and read back), and a few reindexes (first, incremental, a schema version
    # changed).  Not the whole of test_index.py and test_codec.py: nearly every test there writes an
    # index, which made each mutant cost 1.5-3 minutes.
    "search/schema.py": [*(f"tests/test_index.py::{name}" for name in (
                             "test_an_indexed_article_stores_what_is_shown_and_keeps_its_dates_and_labels_as_columns",
                             "test_first_reindex_adds_every_article_and_remembers_its_sources",
                             "test_incremental_reindex_counts_added_updated_deleted_and_unchanged",
                             "test_schema_version_mismatch_rebuilds_the_index")),
                         *(f"tests/test_codec.py::{name}" for name in (
                             "test_every_text_term_of_a_few_articles_reads_back_as_the_analyzer_gave_it_through_whoosh_and_numpy",
                             "test_the_postings_of_a_few_articles_other_fields_are_read_as_whoosh_reads_them",
                             "test_a_few_articles_columns_are_read_as_whoosh_reads_them",
                             "test_a_snapshots_columns_are_its_articles_fields_in_doc_number_order",
                             "test_text_fields_are_written_in_blocks_of_the_packed_size_and_the_other_fields_in_the_block_size",
                             "test_a_label_column_reads_an_article_without_the_label_as_empty"))],
    # The index store (generations, the current link, the writer lock, the metadata and file states):
    # the reindex tests that each of its functions serves (every reindex calls most of them, so the
    # whole of test_index.py, 60 reindexing tests, made a surviving mutant cost minutes on the shared
    # machine): first index, generations swapped and removed, a pause before the swap, damage kept,
    # the file states, the metadata, the lock, a missing index.
    "search/store.py": [f"tests/test_index.py::{name}" for name in (
        "test_first_reindex_adds_every_article_and_remembers_its_sources",
        "test_the_metadata_is_written_for_a_person_to_read_one_key_a_line_with_vietnamese_names_as_written",
        "test_a_file_unchanged_in_size_and_time_is_not_read_and_reread_still_finds_its_change",
        "test_files_modified_just_before_a_reindex_or_holding_rejections_are_read_again",
        "test_a_file_last_modified_over_two_seconds_before_a_reindex_is_recorded_as_read",
        "test_recorded_file_states_that_are_not_an_object_are_ignored_and_every_file_read",
        "test_full_reindex_swaps_in_a_new_generation_and_open_readers_keep_working",
        "test_a_full_reindex_removes_generations_older_than_the_previous_one",
        "test_a_full_reindex_that_cannot_remove_an_older_generation_still_swaps_and_leaves_it",
        "test_a_failed_full_rebuild_removes_its_half_built_generation_and_keeps_the_index",
        "test_schema_version_mismatch_rebuilds_the_index",
        "test_a_damaged_index_is_refused_then_rebuilt_by_repair_and_the_damaged_generation_kept_until_the_next_reindex",
        "test_a_damaged_generation_kept_for_inspection_names_each_of_its_damaged_files_on_a_line",
        "test_a_reindex_that_cannot_remove_a_kept_damaged_generation_still_succeeds_and_leaves_it",
        "test_a_full_reindex_checksums_every_file_and_keeps_a_generation_damaged_where_incremental_ones_do_not_read",
        "test_an_incremental_reindex_deletes_what_the_checksummed_id_column_names_not_what_the_term_index_says",
        "test_an_incremental_reindex_checksums_the_id_column_it_reads_and_refuses_its_damage",
        "test_an_index_whose_live_generation_was_deleted_is_missing_until_a_reindex_given_sources_rebuilds_it",
        "test_an_index_whose_classes_are_gone_is_rebuilt_without_being_opened",
        "test_a_search_of_a_folder_without_an_index_asks_for_a_first_reindex",
        "test_reindex_while_another_process_holds_the_lock_raises_index_busy",
        "test_reindex_waits_for_a_lock_released_within_its_timeout",
        "test_a_full_reindex_told_to_pause_at_swap_pauses_once_its_generation_is_written_and_before_it_is_live")],
    # The embedded backend (a snapshot view's searches, statistics and title candidates; the backend
    # keeping up with reindexes): the backend seam's tests, the searches, did you mean and autocomplete
    # (its statistics, same_top, title_candidates), and the reindex tests where an engine sees a new
    # generation or commit, or finds no index.
    "search/whoosh_backend.py": ["tests/test_backend.py", "tests/test_search.py", "tests/test_suggest.py",
                                 # A long question's page ranked in its most promising articles, top_documents alike.
                                 *(f"tests/test_execute.py::{name}" for name in (
                                     "test_a_long_questions_page_ranks_only_its_most_promising_articles_and_says_so",
                                     "test_a_long_questions_page_is_not_cut_in_date_order_nor_when_it_reaches_past_the_share",
                                     "test_top_documents_of_a_long_question_whose_pool_the_view_knows_rank_it_as_its_page",
                                 )),
                                 *(f"tests/test_index.py::{name}" for name in (
                                     "test_full_reindex_swaps_in_a_new_generation_and_open_readers_keep_working",
                                     "test_engine_sees_an_incremental_reindex",
                                     "test_an_index_whose_classes_are_gone_is_rebuilt_without_being_opened",
                                     "test_a_search_of_a_folder_without_an_index_asks_for_a_first_reindex")),
                                 # The postings cache kept for the segments a reindex left alone (10 s: the
                                 # demo corpus reindexed; run last, for what the fast tests let survive).
                                 "tests/test_codec.py::test_a_reindex_keeps_the_cached_postings_of_the_segments_it_left_alone"],
    # The cluster's search, against a real searchd cluster of the demo corpus (CLUSTER_MODULES), and its
    # pure parts (the ranker expression, the optional part, filters, SHOW META, batches) without one.
    "search/cluster_backend.py": ["tests/test_engine_statements.py", "tests/test_cluster_matching.py",
                                  "tests/test_cluster_rerank.py"],
    # The cluster's second stage: each shard's best reranked with vnsearch's own scores.
    "search/cluster_rerank.py": ["tests/test_cluster_rerank.py"],
    # The cluster's MATCH texts, pinned without a cluster (test_cluster_matching.py checks what they find;
    # not named test_cluster_*, which conftest.py marks slow as a whole).
    "search/cluster_query.py": ["tests/test_match_texts.py"],
    # What the cluster backend keeps between searches, without a cluster.
    "search/cluster_cache.py": ["tests/test_generation_cache.py"],
    # The searchd configurations cluster-config writes, without a cluster (every slow cluster test starts
    # searchd from them, but a wrong value searchd accepts is caught only here).
    "search/cluster.py": ["tests/test_node_config.py"],
    # What is written into and read from the engine: its pure functions (MODULE_FUNCTIONS), without a cluster.
    "search/sphinxql.py": ["tests/test_engine_rows.py"],
    # The cluster's reindex: test_cluster.py's tests that write into a two-node cluster of their own (slow,
    # ~20 s the whole file: SLOW_SELECTION).
    "search/cluster_index.py": ["tests/test_cluster.py"],
}
# Modules of which only some functions are mutated by default (mutant-name globs, as --only takes): the
# rest is reached by no test of the selection (sphinxql.py's connections, writer and metadata need searchd;
# the slow cluster tests reach them).
MODULE_FUNCTIONS = {
    "search/sphinxql.py": [f"search.sphinxql.{name}__mutmut*" for name in (
        "x_parse_backend_url", "x_document_key", "x_shard_of", "x__reason", "x__row", "x_engine_token",
        "x_text_fields", "x_engine_row", "x_label_code", "x_stored_fields", "x_replace_statement")]
                           + ["search.sphinxql.xǁNodeAddressǁ*"],
    # Left out: serve(), run only in `vnsearch serve`'s process (test_server.py); the worker classes'
    # methods run in the test process too (test_worker.py steps a worker's loop).
    "web/server.py": [f"web.server.{name}__mutmut*" for name in (
        "x_keep_freed_memory", "x_check_port", "x__accept_recording", "x_too_large_status", "x_requested_path",
        "x_too_large_response", "x_head_complete", "x_is_heavy", "x_accepts", "x_server_url", "x_bind_address",
        "x_worker_class", "x__is_dir")]
                      + [f"web.server.xǁ{name}ǁ*" for name in ("HeadRecordingSocket", "HeldBack", "VnsearchServer",
                                                                  "TooLargeAnswers", "BufferingThreadWorker")],
}
# Modules whose selection's slow tests run too: code only slow tests reach (test_integrity.py is slow
# as a whole: it damages copies of the demo index and serves them).
SLOW_SELECTION = {"search/check.py", "search/integrity.py", "search/cluster_index.py", "vnsearch/cli.py"}
# The tests --in-children runs a module's "no tests" (and IMPORT_TIME) mutants against (slow ones included):
# those that start the processes where the mutated code runs (default: the module's fast MODULE_TESTS).
CHILD_TESTS = {
    # The parallel writer's processes: their segments merged, and their end when the reindex is killed.
    "search/writer.py": ["tests/test_index.py", "tests/test_faults.py", "-k", "parallel"],
    # The commands' options (IMPORT_TIME): their help, variables, defaults and types.
    "vnsearch/cli.py": ["tests/test_server.py::test_serve_options_come_from_settings", "tests/test_cli.py", "-k",
                        "options_come or environment or serve_passes or demo_indexes or help or bad_parameter"],
}
# Functions called only while their module is imported (the commands' option decorators): mutmut switches
# a mutant on after the tests' modules are imported, so their mutants never run there and "survive";
# `--in-children` runs them too, with the mutant on from the start of the tests' process.
IMPORT_TIME = {"vnsearch/cli.py": ["vnsearch.cli.x_setting_option__mutmut_*"],
               # The OpenAPI document is built once, from its helpers, when web.openapi is imported.
               "web/openapi.py": ["web.openapi.x__*"]}
# Modules whose tests are slow because they search a real searchd cluster: their mutants run those
# tests (the "not slow" filter lifted) against one demo cluster the tool starts for the whole run
# (unmutated code indexes it; the tests only search it), not one started per mutant.
CLUSTER_MODULES = {"search/cluster_backend.py", "search/cluster_rerank.py", "vnsearch/cli.py"}
# Modules whose selection holds test_codec.py's tests of the 201-article index in three segments (its
# numpy postings' long-list branches): the index is written once by the unmutated code (10-15 s of CPU,
# which mutmut's limit, set from the tests' own durations, would count against the first test using
# it) and those slow tests run, only reading it.
SEGMENTED_MODULES = {"search/codec.py", "search/reader.py"}
PREBUILT_SEGMENTED = ROOT / "mutants" / "segmented-index"
PREBUILT_SEGMENTED_ENV = "VNSEARCH_TEST_SEGMENTED_INDEX"  # read by tests/test_codec.py's segmented_index
RESULTS_FILE = ROOT / "mutants" / "module-results.json"
CHILDREN = 2
RETRY_TIMEOUT_MULTIPLIER = 30.0  # the limit the timeouts of a run are run again with (a multiple of a test's time)
MUTMUT_NICENESS = 15  # the shared machine's rule for mutation runs
# Environment of the mutmut child process: the test selection and the module to mutate.
TESTS_ENV, ONLY_ENV = "VNSEARCH_MUTATION_TESTS", "VNSEARCH_MUTATION_ONLY"
TIMEOUT_ENV = "VNSEARCH_MUTATION_TIMEOUT_MULTIPLIER"
SLOW_ENV = "VNSEARCH_MUTATION_SLOW_TESTS"
PREBUILT_CLUSTER_ENV = "VNSEARCH_TEST_DEMO_CLUSTER"  # read by tests/conftest.py's demo_cluster


def equivalents() -> dict[str, str]:
    """Return {mutant name: why it is equivalent} from docs/mutation-equivalent.txt."""
    found = {}
    for line in EQUIVALENT_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.partition(" ")
            found[name] = reason.strip()
    return found


def module_pattern(path: str) -> str:
    """Return mutmut's mutant-name glob for a module path (search/highlight.py -> search.highlight.*)."""
    return path.removesuffix(".py").replace("/", ".") + ".*"


def mutmut_statuses(prefixes: list[str]) -> dict[str, str]:
    """Return {mutant name: status} of the mutants of the given modules from mutmut's last runs."""
    listing = subprocess.run([*MUTMUT, "results", "--all", "true"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    statuses = {}
    for line in listing.splitlines():
        match = RESULT_RE.match(line)
        if match and any(match[1].startswith(prefix) for prefix in prefixes):
            statuses[match[1]] = match[2].strip()
    return statuses


def report(statuses: dict[str, str], title: str) -> Counter:
    """Print killed / survived / equivalent counts and the unexplained survivors; return the counts."""
    known = equivalents()
    counts = Counter()
    holes = []
    for name, status in sorted(statuses.items()):
        if status in ("killed", "timeout"):
            counts["killed"] += 1
        elif status == "survived" and name in known:
            counts["equivalent"] += 1
        elif status in ("survived", "no tests"):  # no fast test reaches it: a hole too
            counts["survived"] += 1
            holes.append(f"{name} ({status})" if status == "no tests" else name)
        else:
            counts[status] += 1
    tested = counts["killed"] + counts["survived"]
    score = 100.0 * counts["killed"] / tested if tested else 0.0
    other = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k not in ("killed", "survived", "equivalent"))
    print(f"{title}: killed {counts['killed']}, survived {counts['survived']}, equivalent {counts['equivalent']}"
          f"{'; ' + other if other else ''} — score {score:.1f}% of non-equivalent mutants")
    for name in holes:
        print(f"  survived: {name}")
    # Mutant numbers move when a function changes: an entry may then name another mutant.
    prefix = module_pattern(title)[:-1] if title.endswith(".py") else None
    # The mutants mutmut's copy of the module defines (a run of some functions saves only theirs).
    existing = existing_mutants(title) if prefix else None
    for name in sorted(known):
        if prefix and name.startswith(prefix):
            if statuses.get(name) in ("killed", "timeout"):
                print(f"  listed equivalent but killed (a stale entry?): {name}")
            elif existing is not None and name not in existing:
                print(f"  listed equivalent but no such mutant (a stale entry?): {name}")
    return counts


# Modules that only read an index: their mutants cannot change how the demo index is built, so
# it is built once (by the unmutated code) instead of once per mutant.
WRITE_SIDE = {f"search/{name}.py" for name in ("text", "index", "writer", "store", "codec", "documents", "dates",
                                              "sources", "schema", "settings")}
PREBUILT_INDEX = ROOT / "mutants" / "demo-index"


def package_data() -> None:
    """Copy search/'s data files into mutants/: mutmut copies the sources it mutates and also_copy,
    and a changed abbreviation dictionary left behind made every mutant of a run "not checked"."""
    target = ROOT / "mutants" / "search" / "data"
    if target.parent.exists():
        shutil.copytree(ROOT / "search" / "data", target, dirs_exist_ok=True)


def prebuilt_demo_index() -> dict[str, str]:
    """Build the demo index with the unmutated code (once a run); return the environment pointing at it."""
    shutil.rmtree(PREBUILT_INDEX, ignore_errors=True)  # built by older code, it could differ
    # The tests run inside mutants/ and expect the index to remember the demo sources there.
    demo = ROOT / "mutants" / "vnsearch" / "demo"
    shutil.copytree(ROOT / "vnsearch" / "demo", demo, dirs_exist_ok=True)
    subprocess.run([sys.executable, "-m", "vnsearch", "reindex", "--index", str(PREBUILT_INDEX), "--procs", "1",
                    str(demo / "articles.jsonl"), str(demo / "portal")], cwd=ROOT, check=True)
    return {"VNSEARCH_TEST_DEMO_INDEX": str(PREBUILT_INDEX)}


def prebuilt_segmented_index() -> dict[str, str]:
    """Write the segmented index of test_codec.py with the unmutated code (once a run); return the
    environment pointing its tests at it, their slow ones run too."""
    shutil.rmtree(PREBUILT_SEGMENTED, ignore_errors=True)  # written by older code, it could differ
    PREBUILT_SEGMENTED.parent.mkdir(parents=True, exist_ok=True)  # a fresh clone has no mutants/ yet
    sys.path.insert(0, str(ROOT))
    from tests.test_codec import write_segmented_index

    write_segmented_index(PREBUILT_SEGMENTED)
    return {PREBUILT_SEGMENTED_ENV: str(PREBUILT_SEGMENTED), SLOW_ENV: "1"}


def saved_results() -> dict[str, dict[str, str]]:
    """Return {module: {mutant name: status}} of the last run of each module."""
    return json.loads(RESULTS_FILE.read_text()) if RESULTS_FILE.exists() else {}


def save_results(path: str, statuses: dict[str, str]) -> None:
    """Merge a module's new statuses into mutants/module-results.json (of its mutants that exist)."""
    results = saved_results()
    old = results.get(path, {})
    # A rerun of some mutants leaves the others "not checked": keep their earlier status.
    merged = {**old, **{name: status for name, status in statuses.items()
                        if status != "not checked" or name not in old}}
    existing = existing_mutants(path)
    results[path] = merged if existing is None else {name: status for name, status in merged.items()
                                                     if name in existing}
    RESULTS_FILE.write_text(json.dumps(results, indent=1, sort_keys=True))


def existing_mutants(path: str) -> set[str] | None:
    """Return the names of the mutants mutmut's copy of a module defines now, or None (not mutated yet).

    mutmut keeps the statuses of mutants whose function was since removed or renumbered (its .meta
    file): reported with the others, they named survivors that no longer exist (23 in execute.py's
    whole run of stop 62).
    """
    copied = ROOT / "mutants" / path
    text = copied.read_text(encoding="utf-8") if copied.exists() else ""
    if "_mutmut_" not in text:  # not mutated (yet): written unmutated by a run of another module
        return None
    prefix = module_pattern(path)[:-1]
    return {prefix + name for name in re.findall(r"^\s*def (x\S+?__mutmut_\d+)\(", text, flags=re.MULTILINE)}


def survivors_of(path: str) -> list[str]:
    """Return the mutants of a module that survived its last run and are not listed as equivalent."""
    known = equivalents()
    return sorted(name for name, status in saved_results().get(path, {}).items()
                  if status in ("survived", "no tests") and name not in known)


def timeouts_of(path: str) -> list[str]:
    """Return the mutants of a module that timed out in its last run."""
    return sorted(name for name, status in saved_results().get(path, {}).items() if status == "timeout")


def unrun_of(path: str) -> list[str]:
    """Return the mutants of a module its earlier runs left without a result (all of them if it never ran)."""
    # Named, not left to mutmut: mutmut resets every result when the test selection changes, which
    # happens whenever another module ran in between, so it would run the whole module again.
    saved = saved_results().get(path)
    if not saved:
        return [module_pattern(path)]
    return sorted(name for name, status in saved.items() if status == "not checked")


def mutmut_child(arguments: list[str]) -> None:
    """Run mutmut's command line with the test selection and the modules to mutate from the environment."""
    from mutmut.__main__ import cli
    from mutmut.configuration import config

    settings = config()
    if os.environ.get(TESTS_ENV):
        settings.pytest_add_cli_args_test_selection = os.environ[TESTS_ENV].split()
    if os.environ.get(ONLY_ENV):
        settings.only_mutate = os.environ[ONLY_ENV].split()
    if os.environ.get(TIMEOUT_ENV):
        settings.timeout_multiplier = float(os.environ[TIMEOUT_ENV])
    if os.environ.get(SLOW_ENV):  # the selection's slow tests run too (a cluster module's)
        args = list(settings.pytest_add_cli_args)
        while "-m" in args:
            at = args.index("-m")
            del args[at:at + 2]
        settings.pytest_add_cli_args = args
    cli(arguments)


@contextmanager
def demo_cluster_running():
    """Start a two-node searchd cluster holding the demo corpus (indexed by the unmutated code) for
    the run; yield the environment pointing the tests' ``demo_cluster`` at it."""
    sys.path.insert(0, str(ROOT))
    from search.cluster_index import reindex_cluster
    from search.sphinxql import Cluster
    from tests.helpers import DEMO_SOURCES
    from tests.sphinx_cluster import running_cluster

    directory = Path(tempfile.mkdtemp(prefix="vnsearch-mutation-cluster-"))
    try:
        with running_cluster(directory / "nodes") as cluster:
            report = reindex_cluster(Cluster(cluster.url), directory / "lock", DEMO_SOURCES, procs=1)
            if report.added != 201 or report.rejected:
                sys.exit(f"the demo cluster was not indexed whole: {report}")
            yield {PREBUILT_CLUSTER_ENV: cluster.url, SLOW_ENV: "1"}
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run_mutmut(patterns: list[str], env: dict[str, str], children: int) -> None:
    """Run mutmut on the mutants matching patterns, niced, at most `children` at a time."""
    # mutmut keeps which tests reach each function, and their durations (its mutant timeouts), from
    # its first run: redo them when switching between a prebuilt and a per-run demo index, to
    # another test selection (another module's mutants would find no tests reaching them), or when a
    # test file changed (a test changed to reach a function is otherwise never run on its mutants).
    stats = ROOT / "mutants" / "mutmut-stats.json"
    marker = ROOT / "mutants" / "demo-index-mode"
    index = ("prebuilt" if "VNSEARCH_TEST_DEMO_INDEX" in env else "built") + (
        " segmented" if PREBUILT_SEGMENTED_ENV in env else "")
    tests = hashlib.sha256(b"".join(path.read_bytes() for path in sorted((ROOT / "tests").glob("*.py"))))
    # The module too: mutmut records the tests reaching the functions of the module it mutates only, so
    # stats left by a module of the same selection (web/views.py before web/app.py) made every mutant of
    # the next "no tests".
    mode = "\n".join([index, env.get(TESTS_ENV, ""), env.get(ONLY_ENV, ""), tests.hexdigest()])
    if marker.exists() and marker.read_text() != mode:
        stats.unlink(missing_ok=True)
    # Niceness 15, not 15 more than this process's: started niced itself, mutmut would get 19, whose
    # CPU share beside niced benchmarks is a third of 15's.
    subprocess.run(["nice", "-n", str(max(0, MUTMUT_NICENESS - os.nice(0))), sys.executable, __file__, "--mutmut",
                    "run", "--max-children", str(children), *patterns], cwd=ROOT, env=env, check=False)
    marker.parent.mkdir(exist_ok=True)
    marker.write_text(mode)


def run_module(path: str, prebuilt: dict[str, str], subset: str, children: int, timeout_multiplier: float | None,
               only: list[str] | None = None) -> None:
    """Run mutmut on one module's mutants (all, its last survivors, those not run yet or timed out:
    subset "survivors", "resume" or "timeouts"; or those matching the globs of only) against its
    tests; keep the statuses."""
    if only:
        patterns = only
    elif subset == "survivors":
        patterns = survivors_of(path)
    elif subset == "resume":
        patterns = unrun_of(path)
    elif subset == "timeouts":
        patterns = timeouts_of(path)
    else:
        patterns = MODULE_FUNCTIONS.get(path, [module_pattern(path)])
    if not patterns:
        return
    tests = MODULE_TESTS.get(path, ["tests/"])
    env = dict(os.environ, **{TESTS_ENV: " ".join(tests), ONLY_ENV: path})
    if timeout_multiplier:
        env[TIMEOUT_ENV] = str(timeout_multiplier)
    if path not in WRITE_SIDE:
        env.update(prebuilt)
    if path in SEGMENTED_MODULES:
        env.update(prebuilt_segmented_index())
    if path in SLOW_SELECTION:
        env[SLOW_ENV] = "1"
    copied = ROOT / "mutants" / path
    # "_mutmut_" (the trampolines' names), not "mutmut": a source may name the tool in a comment.
    if copied.exists() and "_mutmut_" not in copied.read_text(encoding="utf-8"):
        # Written unmutated by a run of another module: mutmut would take it as already mutated.
        copied.unlink()
    print(f"{path}: {subset or 'all'} mutants against {' '.join(tests)}", flush=True)
    with demo_cluster_running() if path in CLUSTER_MODULES else nullcontext({}) as cluster:
        run_mutmut(patterns, dict(env, **cluster), children)
    # Only the mutants run: mutmut lists the others with whatever status its cache of an older run
    # of the module holds (the source may have changed since), which must not replace the saved ones.
    save_results(path, {name: status for name, status in mutmut_statuses([module_pattern(path)[:-1]]).items()
                        if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)})
    # A timeout is not a kill: at mutmut's default limit (5x a test's own duration) a fast test on a loaded
    # machine times out under an equivalent mutant too (27 of vnsearch/cli.py's, 6 of them survivors at 30x).
    # What still times out at RETRY_TIMEOUT_MULTIPLIER hangs the tests: a kill.
    if subset != "timeouts" and timeouts_of(path) and (timeout_multiplier or 5.0) < RETRY_TIMEOUT_MULTIPLIER:
        print(f"{path}: {len(timeouts_of(path))} timed out, run again at {RETRY_TIMEOUT_MULTIPLIER:g}x", flush=True)
        run_module(path, prebuilt, "timeouts", children, RETRY_TIMEOUT_MULTIPLIER)


def run_in_children(path: str, prebuilt: dict[str, str], timeout_multiplier: float | None) -> None:
    """Run each of a module's "no tests" (and IMPORT_TIME) mutants by hand against its tests; keep the statuses.

    mutmut runs a mutant only against the tests that reached its function in the test process; code
    run only in the processes a test forks (the parallel writers' children) is never reached there,
    so its mutants are "no tests" although the tests do run it.  The mutant is switched on through
    the environment (``MUTANT_UNDER_TEST``), which the forked processes inherit.
    """
    imported = IMPORT_TIME.get(path, [])
    names = sorted(name for name, status in saved_results().get(path, {}).items()
                   if status == "no tests" or any(fnmatch.fnmatchcase(name, glob) for glob in imported))
    tests = CHILD_TESTS.get(path, ["-m", "not slow", *MODULE_TESTS.get(path, ["tests/"])])
    env = dict(os.environ, **({} if path in WRITE_SIDE else prebuilt))
    shutil.copytree(ROOT / "tests", ROOT / "mutants" / "tests", dirs_exist_ok=True)  # the tests as they are now
    clean = _selection_seconds(tests, env, "")
    limit = max(60.0, clean * (timeout_multiplier or 5.0))
    print(f"{path}: {len(names)} mutants mutmut could not run (no test reached them in its own process, or "
          f"run at import), each against {' '.join(tests)} "
          f"(unmutated: {clean:.0f} s; limit {limit:.0f} s)", flush=True)
    for name in names:
        try:
            failed = _selection_seconds(tests, env, name, limit) is None
        except subprocess.TimeoutExpired:
            failed = True
        status = "killed" if failed else "survived"
        save_results(path, {name: status})  # one at a time: an interrupted run keeps what it found
        print(f"  {status:8} {name}", flush=True)


def _selection_seconds(tests: list[str], env: dict[str, str], mutant: str, limit: float | None = None) -> float | None:
    """Run the tests in mutants/ with a mutant switched on ("" for none); return their seconds, None if one failed."""
    started = time.monotonic()
    # PYTHONPATH: the processes the tests start (`vnsearch reindex`, a server) import the mutated copy too.
    # A session of its own: a mutant that keeps writer processes alive after their parent leaves them in
    # it, and they are killed with it (they would load the machine for the next mutants).
    tests_run = subprocess.Popen(
        ["nice", "-n", str(max(0, MUTMUT_NICENESS - os.nice(0))), sys.executable, "-m", "pytest",
         "-p", "no:randomly", "-p", "no:cacheprovider", "-x", "-q", *tests],
        cwd=ROOT / "mutants", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        env=dict(env, MUTANT_UNDER_TEST=mutant, PYTHONPATH=str(ROOT / "mutants")))
    try:
        output, _ = tests_run.communicate(timeout=limit)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(tests_run.pid, signal.SIGKILL)
        tests_run.wait()
    if not mutant and tests_run.returncode:
        sys.exit(f"the unmutated tests fail in mutants/:\n{output.decode()[-2000:]}")
    return time.monotonic() - started if tests_run.returncode == 0 else None


def run_modules(paths: list[str], only_report: bool, subset: str, children: int,
                timeout_multiplier: float | None = None, only: list[str] | None = None) -> int:
    """Run mutmut on modules one at a time (niced) and report each module."""
    if not only_report:
        package_data()
        reading = any(p not in WRITE_SIDE for p in paths)
        prebuilt = prebuilt_demo_index() if reading else {}
        for path in paths:
            if subset == "children":
                run_in_children(path, prebuilt, timeout_multiplier)
            else:
                run_module(path, prebuilt, subset, children, timeout_multiplier, only)
    results = saved_results()
    survivors = 0
    for path in paths:
        survivors += report(results.get(path, {}), path)["survived"]
    return 1 if survivors else 0


# Templates ---------------------------------------------------------------------------------

EXPRESSION_RE = re.compile(r"\{\{(.*?)\}\}")
# Expressions that cannot carry markup: macro calls (already Markup), URLs built by url_for,
# numbers and dates through the Vietnamese formatting filters, arithmetic on page numbers.
SAFE_EXPRESSION_RE = re.compile(
    r"^\s*(?:searchbox|meta|facet)\(|url_for\(|\|\s*vn_(?:number|decimal|datetime)\s*$|"
    r"^\s*\(result\.page - 1\)|^\s*(?:entry\.number|result\.page|result\.pages|status)\s*$"
)


def template_mutants() -> list[tuple[Path, int, int, str, str]]:
    """Return (template, start, end, original, mutated) for each printed expression: escaping removed or added."""
    mutants = []
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for match in EXPRESSION_RE.finditer(text):
            expression = match[1]
            if expression.rstrip().endswith("|safe"):
                mutated = "{{" + expression.rstrip()[: -len("|safe")] + " }}"
            else:
                mutated = "{{" + expression.rstrip() + "|safe }}"
            mutants.append((template, match.start(), match.end(), match[0], mutated))
    return mutants


def run_templates() -> int:
    """Apply each template mutant alone, run the page tests, restore; report killed and survived."""
    dirty = subprocess.run(["git", "status", "--porcelain", str(TEMPLATES)], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout
    if dirty:
        sys.exit(f"commit or stash the template changes first:\n{dirty}")
    statuses = {}
    for template, start, end, original, mutated in template_mutants():
        name = f"{template.name}:{start}:{original}"
        if SAFE_EXPRESSION_RE.search(original[2:-2]):
            statuses[name] = "cannot carry markup"
            continue
        text = template.read_text(encoding="utf-8")
        try:
            template.write_text(text[:start] + mutated + text[end:], encoding="utf-8")
            done = subprocess.run(["nice", "-n", "10", sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly",
                                   "-p", "no:cacheprovider", *TEMPLATE_TESTS], cwd=ROOT, capture_output=True)
        finally:
            template.write_text(text, encoding="utf-8")
        statuses[name] = "killed" if done.returncode == 1 else "survived" if done.returncode == 0 else "error"
        print(f"{statuses[name]:9} {name} -> {mutated}", flush=True)
    counts = Counter("equivalent" if s == "cannot carry markup" else s for s in statuses.values())
    print(f"templates: killed {counts['killed']}, survived {counts['survived']}, "
          f"equivalent {counts['equivalent']} (expressions that cannot carry markup), errors {counts['error']}")
    return 1 if counts["survived"] or counts["error"] else 0


def main() -> int:
    if sys.argv[1:2] == ["--mutmut"]:
        mutmut_child(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="+", help="search/ or web/ module paths, 'all' (search/), or 'templates'")
    parser.add_argument("--report", action="store_true", help="only report the last run's results")
    parser.add_argument("--survivors", action="store_const", const="survivors", dest="subset", default="",
                        help="rerun only the last run's survivors not listed as equivalent (after adding tests)")
    parser.add_argument("--resume", action="store_const", const="resume", dest="subset",
                        help="run only the mutants an interrupted run left without a result")
    parser.add_argument("--timeouts", action="store_const", const="timeouts", dest="subset",
                        help="rerun only the mutants that timed out (with a larger --timeout-multiplier)")
    parser.add_argument("--in-children", action="store_const", const="children", dest="subset",
                        help="run the last run's \"no tests\" mutants by hand against the module's whole selection "
                             "(code that runs only in processes the tests fork, which mutmut cannot see)")
    parser.add_argument("--only", nargs="+", metavar="GLOB",
                        help="run only the mutants whose names match these globs (search.matching.x_window_docs*)")
    parser.add_argument("--timeout-multiplier", type=float,
                        help="mutmut's timeout_multiplier (pyproject.toml's by default): a mutant is stopped, "
                             "counted killed, after this many times its tests' unmutated duration; raise it on a "
                             "loaded machine, where a mutant's tests slowed by others' load would time out")
    parser.add_argument("--children", type=int, default=CHILDREN, help="mutants run at a time (default 2)")
    args = parser.parse_args()
    status = 0
    if "templates" in args.targets:
        status |= run_templates()
    modules = [t for t in args.targets if t != "templates"]
    if modules == ["all"]:
        modules = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "search").glob("*.py"))
                   if p.name != "__init__.py"]
    if modules:
        status |= run_modules(modules, args.report, args.subset, args.children, args.timeout_multiplier, args.only)
    return status


if __name__ == "__main__":
    sys.exit(main())
