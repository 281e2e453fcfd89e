"""The searchd configurations `vnsearch cluster-config` writes and the backend URLs read, without a cluster.

Not named test_cluster_*: conftest.py marks those slow as a whole (they start searchd), and these
are the fast unit tests of search/cluster.py (tools/mutation.py runs its mutants against them).
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from search.cluster import CHARSET_TABLE
from search.sphinxql import BadBackendURL, parse_backend_url
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


def test_cluster_config_writes_one_configuration_per_node_and_prints_the_url_last(tmp_path):
    result = CliRunner().invoke(
        main, ["cluster-config", "--shards", "3", "--dir", str(tmp_path), "--base-port", "20000"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "sphinxql://127.0.0.1:20000,127.0.0.1:20002,127.0.0.1:20004"
    assert sorted(p.name for p in tmp_path.glob("*.conf")) == ["node0.conf", "node1.conf", "node2.conf"]
    for number in range(3):
        config = parse_config((tmp_path / f"node{number}.conf").read_text())
        data = tmp_path / f"node{number}"
        assert set(config) == {f"shard{number}", "vnsearch_meta", "articles", "searchd"}
        shard = config[f"shard{number}"]
        assert shard["type"] == ["rt"] and shard["path"] == [str(data / f"shard{number}")]
        assert shard["rt_field"] == ["title_exact", "title_fold", "title_compound", "body_exact", "body_fold",
                                     "body_compound", "every"]
        assert shard["dict"] == ["keywords"] and shard["min_word_len"] == ["1"]
        assert shard["charset_table"] == [CHARSET_TABLE]
        assert config["articles"]["type"] == ["distributed"]
        assert config["articles"]["local"] == [f"shard{number}"]
        assert config["articles"]["agent_persistent"] == [f"127.0.0.1:{20000 + 2 * other + 1}:shard{other}"
                                               for other in range(3) if other != number]
        searchd = config["searchd"]
        assert searchd["listen"] == [f"127.0.0.1:{20000 + 2 * number}:mysql41", f"127.0.0.1:{20000 + 2 * number + 1}"]
        assert searchd["pid_file"] == [str(data / "searchd.pid")] and searchd["binlog_path"] == [str(data)]
        assert searchd["workers"] == ["threads"] and searchd["persistent_connections_limit"] == ["8"]
        assert data.is_dir()


@pytest.mark.parametrize("args", [["--shards", "0"], ["--base-port", "65535"], ["--base-port", "0"]])
def test_cluster_config_refuses_impossible_clusters_with_a_usage_error(tmp_path, args):
    result = CliRunner().invoke(main, ["cluster-config", "--dir", str(tmp_path), *args])
    assert result.exit_code == 2
    assert not list(tmp_path.glob("*.conf"))


def test_backend_url_names_every_node_in_shard_order():
    nodes = parse_backend_url("sphinxql://10.0.0.1:9306,db2.example:9312")
    assert [(n.number, n.host, n.port, n.shard) for n in nodes] == [(0, "10.0.0.1", 9306, "shard0"),
                                                                    (1, "db2.example", 9312, "shard1")]


@pytest.mark.parametrize("url", ["mysql://127.0.0.1:9306", "sphinxql://", "sphinxql://host", "sphinxql://h:99999",
                                 "127.0.0.1:9306"])
def test_bad_backend_urls_are_refused_with_the_expected_form(url):
    with pytest.raises(BadBackendURL, match="HOST:PORT"):
        parse_backend_url(url)
