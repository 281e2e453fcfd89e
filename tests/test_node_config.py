"""The searchd configurations `vnsearch cluster-config` writes and the backend URLs read, without a cluster.

Not named test_cluster_*: conftest.py marks those slow as a whole (they start searchd), and these
are the fast unit tests of search/cluster.py (tools/mutation.py runs its mutants against them).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.cluster import CHARSET_TABLE, write_cluster_config
from vnsearch.cli import main

_SECTION_RE = re.compile(r"^(\w+)(?: (\w+))?\n\{\n(.*?)^\}", re.M | re.S)


def parse_config(text: str) -> dict[str, dict[str, list[str]]]:
    """Return a searchd configuration as {section name: {key: [values]}}."""
    sections = {}
    for kind, name, body in _SECTION_RE.findall(text):
        entries: dict[str, list[str]] = {}
        for line in body.splitlines():
            key, _, value = line.strip().partition(" = ")
            entries.setdefault(key, []).append(value)
        sections[name or kind] = entries
    return sections


# What every real-time index of a node is written with: vnsearch's own tokens, one per syllable position.
TOKENIZING = {"rt_mem_limit": ["256M"], "dict": ["keywords"], "min_word_len": ["1"], "min_prefix_len": ["1"],
              # Field lengths: without them bm25f cannot normalise by length.
              "index_field_lengths": ["1"], "charset_table": [CHARSET_TABLE]}
ARTICLE_SCHEMA = {
    "rt_field": ["title_exact", "title_fold", "title_compound", "body_exact", "body_fold", "body_compound", "every"],
    "rt_attr_uint": ["day", "year", "month", "title_derived", "category_crc", "source_crc"],
    "rt_attr_timestamp": ["published_ts"],
    "rt_attr_string": ["doc_id", "title", "body", "url", "published", "category", "source", "portal", "origin",
                       "content_hash"],
}


def expected_config(directory: Path, number: int, shards: int, base_port: int) -> dict:
    """Return the sections node number of a cluster should be configured with (``parse_config``'s form)."""
    data = directory / f"node{number}"
    agents = [f"127.0.0.1:{base_port + 2 * other + 1}:shard{other}" for other in range(shards) if other != number]
    port = base_port + 2 * number
    return {
        f"shard{number}": {"type": ["rt"], "path": [str(data / f"shard{number}")], **ARTICLE_SCHEMA, **TOKENIZING},
        "vnsearch_meta": {"type": ["rt"], "path": [str(data / "vnsearch_meta")], "rt_field": ["name"],
                          "rt_attr_string": ["value"], **TOKENIZING},
        "articles": {"type": ["distributed"], "local": [f"shard{number}"],
                     **({"agent_persistent": agents} if agents else {}),  # a cluster of one: no agent
                     "agent_connect_timeout": ["150"], "agent_query_timeout": ["5000"]},
        "searchd": {"listen": [f"127.0.0.1:{port}:mysql41", f"127.0.0.1:{port + 1}"],
                    "pid_file": [str(data / "searchd.pid")], "log": [str(data / "searchd.log")],
                    "query_log": [str(data / "query.log")], "binlog_path": [str(data)], "workers": ["threads"],
                    "persistent_connections_limit": ["8"], "max_packet_size": ["32M"], "read_timeout": ["5"],
                    "client_timeout": ["300"]},
    }


def test_cluster_config_writes_one_configuration_per_node_and_prints_the_url_last(tmp_path):
    result = CliRunner().invoke(
        main, ["cluster-config", "--shards", "3", "--dir", str(tmp_path), "--base-port", "20000"])
    assert result.exit_code == 0, result.output
    written = [tmp_path / f"node{n}.conf" for n in range(3)]
    assert result.output.splitlines() == [
        *(f"wrote {path}: start it with `searchd -c {path}`" for path in written),
        "sphinxql://127.0.0.1:20000,127.0.0.1:20002,127.0.0.1:20004"]
    assert sorted(p.name for p in tmp_path.glob("*.conf")) == ["node0.conf", "node1.conf", "node2.conf"]
    for number in range(3):
        text = (tmp_path / f"node{number}.conf").read_text(encoding="utf-8")
        assert text.splitlines()[0] == (f"# vnsearch cluster node {number} of 3: "
                                        f"start with `searchd -c {tmp_path / f'node{number}.conf'}`")
        assert parse_config(text) == expected_config(tmp_path, number, 3, 20000)
        assert (tmp_path / f"node{number}").is_dir()


def test_cluster_config_writes_into_a_new_folder_of_any_name_and_again_over_its_own_files(tmp_path):
    directory = tmp_path / "cụm máy" / "thử"  # neither exists yet
    for _ in range(2):  # written again: the same files, the data folders kept
        paths, url = write_cluster_config(1, directory, 31000)
        assert (paths, url) == ([directory / "node0.conf"], "sphinxql://127.0.0.1:31000")
        assert parse_config(paths[0].read_text(encoding="utf-8")) == expected_config(directory, 0, 1, 31000)
        assert (directory / "node0").is_dir()


@pytest.mark.parametrize(("shards", "base_port", "ports"), [(1, 1, ["1:mysql41", "2"]),
                                                            (1, 65534, ["65534:mysql41", "65535"]),
                                                            (2, 65532, ["65532:mysql41", "65533"])])
def test_cluster_config_takes_every_port_up_to_the_last_valid_one(tmp_path, shards, base_port, ports):
    paths, url = write_cluster_config(shards, tmp_path, base_port)
    assert len(paths) == shards and url.startswith(f"sphinxql://127.0.0.1:{base_port}")
    assert parse_config(paths[0].read_text(encoding="utf-8"))["searchd"]["listen"] == [f"127.0.0.1:{p}" for p in ports]


@pytest.mark.parametrize(("shards", "base_port", "message"), [
    (0, 9306, "a cluster needs at least one shard"),
    (2, 65533, "ports 65533..65536 are not all valid TCP ports"),
    (3, 0, "ports 0..5 are not all valid TCP ports"),
    (64, 65410, "ports 65410..65537 are not all valid TCP ports")])
def test_cluster_config_refuses_a_cluster_without_shards_or_past_the_ports_naming_them(tmp_path, shards, base_port,
                                                                                       message):
    with pytest.raises(ValueError) as refused:
        write_cluster_config(shards, tmp_path, base_port)
    assert str(refused.value) == message and not list(tmp_path.iterdir())


@pytest.mark.parametrize(("args", "message"), [(["--shards", "0"], "0 is not in the range 1<=x<=64"),
                                               (["--base-port", "65535"], "ports 65535..65538 are not all valid"),
                                               (["--shards", "2", "--base-port", "65533"],
                                                "ports 65533..65536 are not all valid"),
                                               (["--base-port", "0"], "0 is not in the range 1<=x<=65535")])
def test_cluster_config_refuses_impossible_clusters_with_a_usage_error(tmp_path, args, message):
    result = CliRunner().invoke(main, ["cluster-config", "--dir", str(tmp_path), *args])
    assert result.exit_code == 2 and message in result.output
    assert not list(tmp_path.glob("*.conf"))
