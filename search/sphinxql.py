"""Talking to a SphinxQL cluster (Sphinx 2.2 / Manticore): nodes, connections, documents, writes.

A backend URL names every node's SphinxQL address in shard order::

    sphinxql://10.0.0.1:9306,10.0.0.2:9306

Node ``i`` holds the real-time shard ``shard{i}``; every node holds the distributed index
``articles`` over all shards (see ``search.cluster``).  Writes never go through the
distributed index: each article goes to the shard its id hashes to, with ``REPLACE`` (an
``INSERT`` would silently duplicate an id already flushed to disk).  Text is analysed here,
by the same ``search.text`` pipeline as the embedded index, and written into the engine's
full-text fields as space-separated tokens, one per syllable position, so positions (phrases,
proximity) line up between the exact and the folded fields.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from search.cluster import DISTRIBUTED_INDEX, META_INDEX, SHARD_PREFIX, URL_SCHEME
from search.text import (
    COMPOUND_JOINER,
    NUMERAL_SEPARATORS,
    SYLLABLE_RE,
    fold,
    index_analyzer,
    is_numeral,
    normalize_term,
)

CONNECT_TIMEOUT_S = 2
READ_TIMEOUT_S = 10
WRITE_TIMEOUT_S = 60
# Rows per REPLACE statement: large enough to amortise round trips, small enough for the
# engine's max_packet_size with long articles.
WRITE_BATCH_ROWS = 100
WRITE_BATCH_BYTES = 8_000_000
STATE_PAGE = 5000
# How long a reindex waits for the shards' chunks to be merged (``merge_chunks``), and how often it looks.
MERGE_TIMEOUT_S = 3600
MERGE_POLL_S = 0.1
META_ID = 1
VOCABULARY_ID = 2
# Tokens the engine's charset_table keeps whole; anything else would split or vanish.
_ENGINE_TOKEN_RE = re.compile(
    "[0-9a-z_\u00df-\u00f6\u00f8-\u00ff\u0100-\u0137\u014a-\u0177\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9]+")
# The letter each separator of a number becomes in the engine's token (``numeral_token``), in the order
# of NUMERAL_SEPARATORS (".,:/": dot, comma, colon, slash); a separator added there must be given one here.
_NUMERAL_LETTERS = str.maketrans(NUMERAL_SEPARATORS, "dchs")
# Stands for a syllable the engine cannot hold (no query ever produces it: "_" is not a syllable).
PLACEHOLDER_TOKEN = "_"
EVERY_TOKEN = "vnsearchdoc"


class BackendError(Exception):
    """The SphinxQL cluster cannot do what was asked (unreachable node, refused statement)."""


class BadBackendURL(BackendError, ValueError):
    """A backend URL that cannot be used."""


@dataclass(frozen=True)
class NodeAddress:
    """One node of the cluster: its SphinxQL address and the shard it holds."""

    number: int
    host: str
    port: int

    @property
    def shard(self) -> str:
        """Return the name of the real-time shard on this node."""
        return f"{SHARD_PREFIX}{self.number}"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def parse_backend_url(url: str) -> list[NodeAddress]:
    """Return the nodes a backend URL names, in shard order; raise BadBackendURL."""
    parts = urlsplit(url.strip())
    if parts.scheme != URL_SCHEME or not parts.netloc:
        raise BadBackendURL(f"backend URL {url!r} must look like {URL_SCHEME}://HOST:PORT[,HOST:PORT...]")
    nodes = []
    for number, address in enumerate(parts.netloc.split(",")):
        host, _, port = address.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise BadBackendURL(f"backend URL {url!r}: {address!r} is not HOST:PORT")
        nodes.append(NodeAddress(number, host.strip("[]"), int(port)))
    return nodes


def document_key(doc_id: str) -> int:
    """Return the engine's 63-bit document id of an article id (a stable hash, never 0)."""
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return (int.from_bytes(digest, "big") >> 1) or 1


def shard_of(key: int, shards: int) -> int:
    """Return the number of the shard that owns a document key."""
    return key % shards


# Connections ----------------------------------------------------------------------------


class Cluster:
    """The nodes of a backend URL, with one connection per node and thread, reopened on failure."""

    def __init__(self, url: str, read_timeout: float = READ_TIMEOUT_S):
        self.url = url
        self.nodes = parse_backend_url(url)
        self.read_timeout = read_timeout
        self._local = threading.local()

    def _connection(self, node: NodeAddress):
        """Return this thread's open connection to node, connecting when needed."""
        import pymysql
        from pymysql.constants import CLIENT

        connections = self._connections()
        connection = connections.get(node.number)
        if connection is None:
            try:
                # The handshake is read with read_timeout: keep it short, so a stopped node
                # (its kernel still accepts connections) fails in seconds, not minutes.
                connection = _connection_class()(
                    host=node.host, port=node.port, autocommit=True, charset="utf8",
                    connect_timeout=CONNECT_TIMEOUT_S, read_timeout=CONNECT_TIMEOUT_S,
                    write_timeout=self.read_timeout, client_flag=CLIENT.MULTI_STATEMENTS,
                )
                connection._read_timeout = self.read_timeout
            except pymysql.MySQLError as error:
                raise BackendError(f"cannot reach search node {node} ({node.shard}): {_reason(error)}") from None
            connections[node.number] = connection
        return connection

    def _connections(self) -> dict:
        """Return this thread's open connections by node number, none made by another process."""
        if self._local.__dict__.get("pid") != os.getpid():
            # Made before a fork (a worker, a test runner's child): the socket is the other process's too,
            # and two processes talking over one connection read each other's answers.  Never used nor closed
            # here; collected, it closes only this process's copy of the socket (pymysql sends no QUIT then).
            self._local.__dict__.update(pid=os.getpid(), connections={})
        return self._local.connections

    def _drop(self, node: NodeAddress) -> None:
        """Close and forget this thread's connection to node."""
        connection = self._connections().pop(node.number, None)
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def run(self, node: NodeAddress, statements: list[tuple[str, tuple | None]]) -> list[list[tuple]]:
        """Run statements on node in one round trip; return each one's rows. Raise BackendError."""
        import pymysql

        if not statements:
            return []  # never sent: an empty query makes searchd 2.2.11 crash (its watchdog restarts it)
        connection = self._connection(node)
        sql = ";\n".join(connection.cursor().mogrify(text, args) if args else text for text, args in statements)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                results = [list(cursor.fetchall())]
                while cursor.nextset():
                    results.append(list(cursor.fetchall()))
            return results
        except pymysql.MySQLError as error:
            self._drop(node)
            raise BackendError(f"search node {node} ({node.shard}) failed: {_reason(error)}") from None

    def query(self, node: NodeAddress, sql: str, args: tuple | None = None) -> list[tuple]:
        """Run one statement on node and return its rows."""
        return self.run(node, [(sql, args)])[0]

    def close(self) -> None:
        """Close this thread's connections."""
        for node in self.nodes:
            self._drop(node)


def _reason(error: Exception) -> str:
    """Return the readable part of a driver error."""
    args = getattr(error, "args", ())
    text = str(args[1] if len(args) > 1 else error).replace("\x00", "").strip()
    return text or type(error).__name__


# The TLS context every connection of this process shares (``_connection_class``).
_PREFERRED_SSL: list = []
_PREFERRED_SSL_LOCK = threading.Lock()


@cache
def _connection_class() -> type:
    """Return PyMySQL's connection reading the rows of a result with ``_row`` (imported when first needed)."""
    from pymysql.connections import Connection, MySQLResult

    class Result(MySQLResult):
        def _read_rowdata_packet(self):
            read_packet, converters, rows = self.connection._read_packet, self.converters, []
            while True:
                packet = read_packet()
                data = packet.get_all_data()
                if data[0] == _EOF and len(data) < _EOF_PACKET_BELOW and self._check_packet_is_eof(packet):
                    self.connection = None  # as PyMySQL does: no cycle left
                    break
                rows.append(_row(data, converters))
            self.affected_rows = len(rows)
            self.rows = tuple(rows)

    class ClusterConnection(Connection):
        def _create_ssl_ctx(self, sslp):
            # Without TLS options PyMySQL 1.2 offers TLS to a node that supports it ("preferred": no
            # certificate checked) with a context made for each connection, and loading the system's
            # CA certificates into it took 19.5 ms of CPU (a process opens a connection per node and
            # thread).  That context is made once and shared: the same settings, never modified.
            if sslp != {}:
                return super()._create_ssl_ctx(sslp)
            with _PREFERRED_SSL_LOCK:
                if not _PREFERRED_SSL:
                    _PREFERRED_SSL.append(super()._create_ssl_ctx(sslp))
                return _PREFERRED_SSL[0]

        def _read_query_result(self, unbuffered=False):
            if unbuffered:
                return super()._read_query_result(unbuffered)
            self._result = None
            result = Result(self)
            result.read()
            self._result = result
            if result.server_status is not None:
                self.server_status = result.server_status
            return result.affected_rows

    return ClusterConnection


# A text-protocol row: each column a length-coded string (251: NULL; 252-254: a 2, 3 or 8-byte length).
_NULL_COLUMN = 251
_LENGTH_BYTES = {252: 2, 253: 3, 254: 8}
_EOF, _EOF_PACKET_BELOW = 0xFE, 9


def _row(data: bytes, converters: list) -> tuple:
    """Return the values of one row packet as PyMySQL's ``_read_row_from_packet`` does, in one loop
    (a page's hundreds of rows took a fifth of a first search's Python time there)."""
    position, row = 0, []
    try:
        for encoding, converter in converters:
            length = data[position]
            position += 1
            if length >= _NULL_COLUMN:
                if length == _NULL_COLUMN:
                    row.append(None)
                    continue
                size = _LENGTH_BYTES[length]
                length = int.from_bytes(data[position : position + size], "little")
                position += size
            value = data[position : position + length]
            position += length
            if encoding is not None:
                value = value.decode(encoding)
            if converter is not None:
                value = converter(value)
            row.append(value)
    except IndexError:  # fewer columns than described, as PyMySQL allows
        pass
    return tuple(row)


# Documents ------------------------------------------------------------------------------


def engine_token(term: str, fallback: str | None = None) -> str:
    """Return term as one token the engine keeps whole: itself, else fallback, else a placeholder."""
    if _ENGINE_TOKEN_RE.fullmatch(term):
        return term
    if fallback is not None and _ENGINE_TOKEN_RE.fullmatch(fallback):
        return fallback
    return PLACEHOLDER_TOKEN


def numeral_token(numeral: str) -> str:
    """Return the engine token of a number written with separators: "21/8" -> "_21s8", "1,5" -> "_1c5".

    The engine splits words at punctuation, so each separator becomes a letter; the leading "_"
    keeps the token apart from every syllable and compound word.
    """
    return "_" + numeral.translate(_NUMERAL_LETTERS)


def text_fields(text: str) -> tuple[str, str, str]:
    """Return (exact, folded, compounds) token strings of a text, from the index analyzer.

    The analyzer gives every term with its positions: at each syllable position the folded
    form, the exact form when it differs, and a compound (``chinh_tri``) at a word's first
    syllable; a number written with separators joins the compounds (``numeral_token``).  Exact
    and folded tokens are written one per position, so the two fields keep the same positions.
    """
    count = len(SYLLABLE_RE.findall(text))
    folded: list[str] = [PLACEHOLDER_TOKEN] * count
    exact: list[str | None] = [None] * count
    compounds: list[tuple[int, str]] = []
    for term, positions in index_analyzer().term_positions(text).items():
        for position in positions:
            if is_numeral(term):
                compounds.append((position, numeral_token(term)))
            elif COMPOUND_JOINER in term:
                compounds.append((position, term))
            elif fold(term) == term:
                folded[position] = term
            else:
                exact[position] = term
    exact_tokens = [engine_token(e or f, f) for e, f in zip(exact, folded)]
    folded_tokens = [engine_token(f) for f in folded]
    return " ".join(exact_tokens), " ".join(folded_tokens), " ".join(engine_token(c) for _, c in sorted(compounds))


def engine_row(fields: dict) -> dict:
    """Return the engine's columns of an article from its index fields (``index.article_fields``)."""
    title_exact, title_fold, title_compound = text_fields(fields["title"] or "")
    body_exact, body_fold, body_compound = text_fields(fields["body"])
    day = fields["day"] or 0
    return {
        "id": document_key(fields["id"]),
        "title_exact": title_exact, "title_fold": title_fold, "title_compound": title_compound,
        "body_exact": body_exact, "body_fold": body_fold, "body_compound": body_compound,
        "every": EVERY_TOKEN,
        "day": day, "year": day // 10000, "month": day // 100, "title_derived": int(bool(fields["title_derived"])),
        "published_ts": fields["timestamp"] or 0,
        "category_crc": label_code(fields["category"]), "source_crc": label_code(fields["source"]),
        # An article always has a body, a title shown (derived when missing), an origin and a hash.
        "doc_id": fields["id"], "title": fields["_stored_title"], "body": fields["body"],
        "url": fields["url"] or "", "published": fields["published"] or "", "category": fields["category"] or "",
        "source": fields["source"] or "", "portal": fields["portal"] or "", "origin": fields["origin"],
        "content_hash": fields["content_hash"],
    }


def label_code(label: str | None) -> int:
    """Return the number a category or source label is filtered by (0 for none)."""
    return zlib.crc32((label or "").encode("utf-8", "surrogatepass"))


def stored_fields(row: dict) -> dict:
    """Return a document's stored fields, as the embedded index stores them, from engine columns."""
    return {
        "id": row["doc_id"], "title": row["title"], "title_derived": bool(row["title_derived"]),
        "body": row["body"], "url": row["url"] or None, "published": row["published"] or None,
        "category": row["category"] or None, "source": row["source"] or None, "portal": row["portal"] or None,
    }


STORED_COLUMNS = ("doc_id", "title", "title_derived", "body", "url", "published", "category", "source", "portal")


# Writing --------------------------------------------------------------------------------


class ClusterWriter:
    """Write articles to their shards: REPLACE in batches, DELETE by key; a writer like Whoosh's.

    ``add_document`` takes the fields ``index.article_fields`` returns; rows are analysed and
    sent per shard when a batch fills, and the rest at ``commit``.  Each statement is atomic
    in the engine (autocommit); a failed node raises BackendError naming it.
    """

    def __init__(self, cluster: Cluster, procs: int = 1):
        self.cluster = cluster
        self.procs = procs
        self.pending: dict[int, list[dict]] = defaultdict(list)
        self.pending_bytes: dict[int, int] = defaultdict(int)
        self.deletions: dict[int, list[int]] = defaultdict(list)
        # An updated article is both deleted and added by the reindex pass: REPLACE already
        # replaces it, and deleting it afterwards would lose it.
        self.added_keys: set[int] = set()
        self.written = 0
        self._pool = None

    def add_document(self, **fields) -> None:
        """Queue an article for its shard, sending the shard's batch when it is full."""
        key = document_key(fields["id"])
        self.added_keys.add(key)
        shard = shard_of(key, len(self.cluster.nodes))
        self.pending[shard].append(fields)
        self.pending_bytes[shard] += len(fields["body"] or "") * 3
        if len(self.pending[shard]) >= WRITE_BATCH_ROWS or self.pending_bytes[shard] >= WRITE_BATCH_BYTES:
            self._flush(shard)

    def delete_by_term(self, fieldname: str, doc_id: str) -> None:
        """Queue the deletion of an article by id."""
        assert fieldname == "id"
        key = document_key(doc_id)
        self.deletions[shard_of(key, len(self.cluster.nodes))].append(key)

    def _flush(self, shard: int) -> None:
        """Analyse and REPLACE the queued articles of one shard."""
        batch = self.pending.pop(shard, [])
        self.pending_bytes.pop(shard, None)
        if batch:
            rows = self._analyse(batch)
            self.cluster.run(self.cluster.nodes[shard], [replace_statement(self.cluster.nodes[shard].shard, rows)])
            self.written += len(rows)

    def _analyse(self, batch: list[dict]) -> list[dict]:
        """Return the engine rows of a batch, analysed by a pool of processes when procs > 1."""
        if self.procs < 2 or len(batch) < 2:
            return [engine_row(fields) for fields in batch]
        if self._pool is None:
            import multiprocessing

            from search.text import pyvi_tokenizer

            pyvi_tokenizer()  # load the model once, before forking, so the workers share it
            self._pool = multiprocessing.get_context("fork").Pool(self.procs)
        return self._pool.map(engine_row, batch, chunksize=max(1, len(batch) // (2 * self.procs)))

    def _close_pool(self) -> None:
        """Stop the analysis processes, if any."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def commit(self) -> None:
        """Send the deletions and every queued article."""
        try:
            self._send_all()
        finally:
            self._close_pool()

    def _send_all(self) -> None:
        """Send the deletions, then every queued article."""
        for shard, keys in list(self.deletions.items()):
            node = self.cluster.nodes[shard]
            keys = [key for key in keys if key not in self.added_keys]
            for start in range(0, len(keys), 1000):
                chunk = keys[start : start + 1000]
                self.cluster.query(node, f"DELETE FROM {node.shard} WHERE id IN ({','.join(map(str, chunk))})")
            del self.deletions[shard]
        for shard in list(self.pending):
            self._flush(shard)

    def cancel(self) -> None:
        """Drop what was not sent yet (what was sent stays: each statement is atomic)."""
        self.pending.clear()
        self.deletions.clear()
        self._close_pool()


def replace_statement(index: str, rows: list[dict]) -> tuple[str, tuple]:
    """Return a REPLACE statement writing rows (dicts with the same keys) into index."""
    columns = list(rows[0])
    placeholders = "(" + ",".join(["%s"] * len(columns)) + ")"
    sql = f"REPLACE INTO {index} ({','.join(columns)}) VALUES " + ",".join([placeholders] * len(rows))
    return sql, tuple(row[column] for row in rows for column in columns)


# Reading the indexed state ----------------------------------------------------------------


def indexed_state(cluster: Cluster) -> dict[str, tuple[str, str]]:
    """Return {id: (origin, content hash)} of every article on every shard (all must answer)."""
    return {doc_id: (origin, content_hash) for node in cluster.nodes
            for _, doc_id, origin, content_hash in scan_shard(cluster, node)}


def scan_shard(cluster: Cluster, node: NodeAddress, columns: str = "doc_id, origin, content_hash") -> Iterable[tuple]:
    """Yield (key, *columns) of every document of a node's shard, in key order."""
    last = 0
    while True:
        rows = cluster.query(
            node,
            f"SELECT id, {columns} FROM {node.shard} WHERE id > {last} "
            f"ORDER BY id ASC LIMIT {STATE_PAGE} OPTION max_matches={STATE_PAGE}",
        )
        yield from rows
        if len(rows) < STATE_PAGE:
            return
        last = rows[-1][0]


def title_vocabulary(cluster: Cluster) -> list[tuple[str, int]]:
    """Return every folded title syllable with its document frequency, sorted (autocomplete reads it)."""
    counts: Counter = Counter()
    for node in cluster.nodes:
        for _, title, derived in scan_shard(cluster, node, "title, title_derived"):
            if not derived:  # a derived title is shown, not indexed
                counts.update({fold(normalize_term(s)) for s in SYLLABLE_RE.findall(title)})
    return sorted(counts.items())


def facet_groups(cluster: Cluster, limit: int) -> int:
    """Return how many (month, category, source) groups the cluster's articles fall in, at most limit."""
    rows = cluster.query(cluster.nodes[0], f"SELECT month, category, source, COUNT(*) FROM {DISTRIBUTED_INDEX} "
                                           f"GROUP BY month, category, source LIMIT {limit} "
                                           f"OPTION max_matches={limit}, ranker=none")
    return len(rows)


def length_averages(cluster: Cluster) -> tuple[float, float]:
    """Return the average body and title lengths (in syllables) over the whole cluster (all must answer)."""
    rows = cluster.query(cluster.nodes[0], f"SELECT AVG(body_fold_len), AVG(title_fold_len) FROM {DISTRIBUTED_INDEX}")
    return (float(rows[0][0] or 0.0), float(rows[0][1] or 0.0)) if rows else (0.0, 0.0)


def shard_counts(cluster: Cluster) -> dict[int, int]:
    """Return the number of articles on each shard (all must answer)."""
    return {node.number: _count(cluster, node) for node in cluster.nodes}


def _count(cluster: Cluster, node: NodeAddress) -> int:
    """Return the number of documents in a node's shard."""
    rows = cluster.run(node, [(f"SELECT id FROM {node.shard} LIMIT 0", None), ("SHOW META", None)])[1]
    return int(dict(rows).get("total_found", 0))


def merge_chunks(cluster: Cluster, timeout: float = MERGE_TIMEOUT_S) -> None:
    """Leave each shard in one disk chunk: its RAM chunk written to disk (``FLUSH RAMCHUNK``), its disk
    chunks merged (``OPTIMIZE INDEX``, which the engine runs in the background: waited for).

    A real-time shard is searched chunk by chunk, each with its own dictionary and posting lists, and an
    article replaced or deleted stays counted in the word statistics of the chunk that held it until the
    chunks are merged.  At 60k articles (two shards: two disk chunks and one disk chunk beside a RAM
    chunk of 200 MB, as a reindex leaves them) the engine's time per statement was 0.91-0.96x after the
    merge, and the ranking's statistics those of the articles indexed.  Every node must answer.
    """
    for node in cluster.nodes:
        cluster.query(node, f"FLUSH RAMCHUNK {node.shard}")
        try:  # Manticore merges down to twice its cores unless told; Sphinx 2.2 knows no options and merges all
            cluster.query(node, f"OPTIMIZE INDEX {node.shard} OPTION cutoff=1")
        except BackendError:
            cluster.query(node, f"OPTIMIZE INDEX {node.shard}")
    deadline = time.monotonic() + timeout
    waiting = list(cluster.nodes)
    while True:
        waiting = [node for node in waiting if disk_chunks(cluster, node) > 1]
        if not waiting or time.monotonic() > deadline:
            return
        time.sleep(MERGE_POLL_S)


def disk_chunks(cluster: Cluster, node: NodeAddress) -> int:
    """Return the number of disk chunks of a node's shard."""
    return int(dict(cluster.query(node, f"SHOW INDEX {node.shard} STATUS")).get("disk_chunks", 0))


def read_meta(cluster: Cluster, key: int = META_ID) -> dict | list:
    """Return a metadata record from the first node holding one ({} when none does).

    Every node keeps a copy (``write_meta``), so a node down loses none of it; a node that does
    not answer is skipped, and BackendError is raised only when none answers.
    """
    failures = []
    for node in cluster.nodes:
        try:
            record = meta_on(cluster, node, key)
        except BackendError as error:
            failures.append(error)
            continue
        if record:
            return record
    if failures and len(failures) == len(cluster.nodes):
        raise failures[0]
    return {}


def meta_on(cluster: Cluster, node: NodeAddress, key: int = META_ID) -> dict | list:
    """Return one node's copy of a metadata record ({} when it holds none)."""
    rows = cluster.query(node, f"SELECT value FROM {META_INDEX} WHERE id = {key}")
    try:
        return json.loads(rows[0][0]) if rows else {}
    except ValueError:
        return {}


def newest_meta(cluster: Cluster) -> dict:
    """Return the newest copy of the reindex record over every node (all must answer).

    A reindex killed while writing the copies leaves some nodes with the record before it; the
    copies are numbered (``generation``), so the next reindex starts from the newest.
    """
    copies = [meta_on(cluster, node) for node in cluster.nodes]
    copies = [copy for copy in copies if isinstance(copy, dict) and copy]
    return max(copies, key=lambda copy: copy.get("generation", 0), default={})


def write_meta(cluster: Cluster, meta: dict | list, key: int = META_ID) -> None:
    """Store a metadata record on every node (all must answer), so any node serves it."""
    value = json.dumps(meta, ensure_ascii=False)
    for node in cluster.nodes:
        cluster.query(node, f"REPLACE INTO {META_INDEX} (id, name, value) VALUES ({key}, 'meta', %s)", (value,))


__all__ = ["DISTRIBUTED_INDEX", "BackendError", "Cluster", "ClusterWriter", "parse_backend_url"]
