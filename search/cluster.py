"""A SphinxQL cluster for tests and first deployments: one searchd configuration per node.

Node ``i`` holds the real-time shard ``shard{i}`` and the distributed index ``articles``,
which searches its own shard locally and every other node's shard as an agent, so a query
sent to any node covers the whole collection.  Each node also holds a small real-time index
``vnsearch_meta`` (remembered sources, last reindex, the title vocabulary), a copy on every
node, so the others still serve it while one is down.

Node ``i`` listens on loopback: SphinxQL (MySQL protocol) on ``base_port + 2*i``, Sphinx's
binary API (what agents use) on ``base_port + 2*i + 1``.  The backend URL lists the SphinxQL
address of every node in shard order, which is all vnsearch needs to route writes (shard =
stable hash of the article id modulo the number of nodes) and to query.

The configuration only uses what both Sphinx 2.2.11 and Manticore Search understand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DISTRIBUTED_INDEX = "articles"
META_INDEX = "vnsearch_meta"
SHARD_PREFIX = "shard"
URL_SCHEME = "sphinxql"
HOST = "127.0.0.1"
# Every Vietnamese letter (lower-cased), digits, Latin-1 and Latin Extended-A letters, and "_"
# (which joins compound words, "chinh_tri"); anything else separates tokens.
CHARSET_TABLE = (
    "0..9, A..Z->a..z, _, a..z, U+C0..U+D6->U+E0..U+F6, U+D8..U+DE->U+F8..U+FE, U+DF..U+F6, "
    "U+F8..U+FF, U+100..U+137/2, U+14A..U+177/2, U+1A0..U+1A1/2, U+1AF->U+1B0, U+1B0, U+1EA0..U+1EF9/2"
)
# The engine's full-text fields: per text, exact (accented) syllables, folded syllables, and
# folded compound words.  ``every`` holds one constant token so a query of exclusions alone
# has something to subtract from.
TEXT_FIELDS = ("title_exact", "title_fold", "title_compound", "body_exact", "body_fold", "body_compound", "every")
# category_crc / source_crc: CRC-32 of the label, for IN filters (Sphinx 2.2 filters strings by
# equality only, and a WHERE clause cannot OR).
UINT_ATTRIBUTES = ("day", "year", "month", "title_derived", "category_crc", "source_crc")
TIMESTAMP_ATTRIBUTES = ("published_ts",)
STRING_ATTRIBUTES = ("doc_id", "title", "body", "url", "published", "category", "source", "portal",
                     "origin", "content_hash")
AGENT_CONNECT_TIMEOUT_MS = 150
AGENT_QUERY_TIMEOUT_MS = 5000
# Connections a node keeps open to each other node's agent port (``agent_persistent``): a new
# connection per distributed statement cost 1-12 ms on a loaded machine (a thread started on
# the agent each time), as much as a small query itself.  Each one holds a thread on the agent.
PERSISTENT_CONNECTIONS = 8


@dataclass(frozen=True)
class Node:
    """One searchd node: its number, loopback ports and files."""

    number: int
    sql_port: int
    api_port: int

    @property
    def shard(self) -> str:
        """Return the name of the real-time shard this node holds."""
        return f"{SHARD_PREFIX}{self.number}"


def nodes(shards: int, base_port: int) -> list[Node]:
    """Return the nodes of a cluster of the given number of shards."""
    return [Node(i, base_port + 2 * i, base_port + 2 * i + 1) for i in range(shards)]


def backend_url(cluster: list[Node], host: str = HOST) -> str:
    """Return the backend URL naming every node's SphinxQL address, in shard order."""
    return f"{URL_SCHEME}://" + ",".join(f"{host}:{node.sql_port}" for node in cluster)


def node_config(node: Node, cluster: list[Node], directory: Path) -> str:
    """Return the searchd configuration of one node."""
    data = directory / f"node{node.number}"
    agents = "".join(f"    agent_persistent = {HOST}:{other.api_port}:{other.shard}\n"
                     for other in cluster if other != node)
    return (
        f"# vnsearch cluster node {node.number} of {len(cluster)}: "
        f"start with `searchd -c {directory / f'node{node.number}.conf'}`\n"
        + _rt_index(node.shard, data / node.shard, _article_schema())
        + _rt_index(META_INDEX, data / META_INDEX, "    rt_field = name\n    rt_attr_string = value\n")
        + f"index {DISTRIBUTED_INDEX}\n{{\n    type = distributed\n    local = {node.shard}\n{agents}"
        f"    agent_connect_timeout = {AGENT_CONNECT_TIMEOUT_MS}\n"
        f"    agent_query_timeout = {AGENT_QUERY_TIMEOUT_MS}\n}}\n\n"
        + _searchd_section(node, data)
    )


def _article_schema() -> str:
    """Return the field and attribute lines of an article shard."""
    lines = [f"rt_field = {name}" for name in TEXT_FIELDS]
    lines += [f"rt_attr_uint = {name}" for name in UINT_ATTRIBUTES]
    lines += [f"rt_attr_timestamp = {name}" for name in TIMESTAMP_ATTRIBUTES]
    lines += [f"rt_attr_string = {name}" for name in STRING_ATTRIBUTES]
    return "".join(f"    {line}\n" for line in lines)


def _rt_index(name: str, path: Path, schema: str) -> str:
    """Return a real-time index section with vnsearch's tokenizing settings."""
    return (
        f"index {name}\n{{\n    type = rt\n    path = {path}\n{schema}"
        f"    rt_mem_limit = 256M\n    dict = keywords\n    min_word_len = 1\n    min_prefix_len = 1\n"
        # Field lengths: without them bm25f cannot normalise by length (long articles would win).
        "    index_field_lengths = 1\n"
        f"    charset_table = {CHARSET_TABLE}\n}}\n\n"
    )


def _searchd_section(node: Node, data: Path) -> str:
    """Return the searchd section: loopback listeners, pid file, logs and binlog under data."""
    return (
        "searchd\n{\n"
        f"    listen = {HOST}:{node.sql_port}:mysql41\n"
        f"    listen = {HOST}:{node.api_port}\n"
        f"    pid_file = {data / 'searchd.pid'}\n"
        f"    log = {data / 'searchd.log'}\n"
        f"    query_log = {data / 'query.log'}\n"
        f"    binlog_path = {data}\n"
        "    workers = threads\n"
        f"    persistent_connections_limit = {PERSISTENT_CONNECTIONS}\n"
        "    max_packet_size = 32M\n"
        "    read_timeout = 5\n"
        "    client_timeout = 300\n"
        "}\n"
    )


def write_cluster_config(shards: int, directory: str | Path, base_port: int) -> tuple[list[Path], str]:
    """Write DIR/node{i}.conf for each node (and its data directory); return (paths, backend URL)."""
    if shards < 1:
        raise ValueError("a cluster needs at least one shard")
    if not 1 <= base_port <= 65535 - 2 * shards + 1:
        raise ValueError(f"ports {base_port}..{base_port + 2 * shards - 1} are not all valid TCP ports")
    directory = Path(directory).resolve()
    cluster = nodes(shards, base_port)
    paths = []
    for node in cluster:
        (directory / f"node{node.number}").mkdir(parents=True, exist_ok=True)
        path = directory / f"node{node.number}.conf"
        path.write_text(node_config(node, cluster, directory), encoding="utf-8")
        paths.append(path)
    return paths, backend_url(cluster)
