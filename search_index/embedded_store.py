"""SQLite storage of the embedded backend: table layout, document rows, writes, and SQL for filters/sort/facets.

One set of tables per index *generation* (``<index>__g<n>_*``); ``fm_generations`` says which one is active, so a
rebuild fills a new generation and switches to it in one transaction. Per generation:

- ``docs``: id, ``_geo`` point (lat/lon) and one typed column per filterable/sortable attribute (kept narrow, so
  filters and facets scan few pages); ``source``: the document JSON, read only for the hits of a page.
- ``fts``: contentless FTS5 table over the searchable attributes (one column each, in ranking order).
- ``vals``: values of list-valued filter attributes (a field becomes list-valued the first time a document gives a
  list for it; its scalar values are then copied here too, so filters on it read one table).
- ``terms``: every indexed word (for typo derivations), ``lists``: the list-valued fields.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from search_index.analysis import tokens
from search_index.index_settings import GEO, IndexSettings

ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,511}$")
CHUNK = 500

META_SQL = """
CREATE TABLE IF NOT EXISTS fm_generations (
    index_name TEXT NOT NULL, gen INTEGER NOT NULL, fingerprint TEXT NOT NULL,
    state TEXT NOT NULL, started REAL NOT NULL, version INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (index_name, gen)
)
"""
#: The documents each write changed (by version), so other processes' bitmaps patch themselves from the rids changed
#: since their version (``embedded_bitmaps``); the last CHANGE_VERSIONS versions of each generation are kept.
CHANGES_SQL = """
CREATE TABLE IF NOT EXISTS fm_changes (
    index_name TEXT NOT NULL, gen INTEGER NOT NULL, version INTEGER NOT NULL, rid INTEGER NOT NULL,
    PRIMARY KEY (index_name, gen, version, rid)
) WITHOUT ROWID
"""
CHANGE_VERSIONS = 100
#: A write changing more documents than this logs none of them: readers rebuild their bitmaps after it anyway.
CHANGE_LOG_LIMIT = 2000


@dataclass(frozen=True)
class Layout:
    """Table names of one generation of one index."""

    index: str
    gen: int

    def table(self, part: str) -> str:
        return f'"{self.index}__g{self.gen}_{part}"'

    @property
    def docs(self) -> str:
        return self.table("docs")

    @property
    def source(self) -> str:
        return self.table("source")

    @property
    def fts(self) -> str:
        return self.table("fts")

    @property
    def vals(self) -> str:
        return self.table("vals")

    @property
    def terms(self) -> str:
        return self.table("terms")

    @property
    def lists(self) -> str:
        return self.table("lists")

    @property
    def zdict(self) -> str:
        return self.table("zdict")


#: Size of a generation's preset dictionary for compressing its stored documents.
ZDICT_BYTES = 32768
#: Documents of the first batch a generation's dictionary is made from.
ZDICT_SAMPLE = 64
#: zlib's memLevel for stored documents (any level reads back the same: inflate does not depend on it).
COMPRESS_MEMLEVEL = 8


class DocCodec:
    """Stored documents: JSON deflated (raw, level 6) with a per-generation preset dictionary (``zdict`` table: the
    settings' attribute names and sample documents of the generation's first write), about 200 bytes for an offer's
    1.3 KB, so the document store no longer outweighs the app's database. Rows of generations written before
    compression are JSON text and read as they are."""

    def __init__(self, zdict: bytes | None) -> None:
        self.zdict = zdict
        # memLevel 8 (zlib's default), not 9: each document copies the primed state, and 9's doubled hash table and
        # buffers made the copy most of the cost (190 us per offer against 60, the output as small: 191 bytes).
        self._compress = (
            zlib.compressobj(6, zlib.DEFLATED, -15, COMPRESS_MEMLEVEL, zlib.Z_DEFAULT_STRATEGY, zdict)
            if zdict
            else None
        )

    def encode(self, text: str) -> bytes | str:
        if self._compress is None:
            return text
        # copy(): the dictionary is loaded once, not per document.
        one = self._compress.copy()
        return one.compress(text.encode()) + one.flush()

    def decode(self, value: bytes | str) -> str:
        if isinstance(value, str):
            return value
        one = zlib.decompressobj(-15, self.zdict or b"")
        return (one.decompress(value) + one.flush()).decode()

    def load(self, value: bytes | str) -> Any:
        return json.loads(self.decode(value))


def read_codec(conn: sqlite3.Connection, layout: Layout) -> DocCodec:
    """How a generation's stored documents read back."""
    try:
        row = conn.execute(f"SELECT data FROM {layout.zdict}").fetchone()
    except sqlite3.OperationalError:  # a generation from before compression
        row = None
    return DocCodec(row[0] if row else None)


def write_codec(conn: sqlite3.Connection, layout: Layout, settings: IndexSettings, texts: list[str]) -> DocCodec:
    """The generation's codec, its dictionary made from ``texts`` (JSON of the documents written) on its first write
    (inside a write transaction)."""
    conn.execute(f"CREATE TABLE IF NOT EXISTS {layout.zdict} (data BLOB NOT NULL)")
    row = conn.execute(f"SELECT data FROM {layout.zdict}").fetchone()
    if row:
        return DocCodec(row[0])
    names = sorted({*settings.searchable, *settings.columns, "id", GEO})
    sample = json.dumps({name: "" for name in names}, separators=(",", ":")) + "".join(texts[:ZDICT_SAMPLE])
    # deflate finds matches closest to the end of the dictionary cheapest: the samples go last.
    zdict = sample.encode()[-ZDICT_BYTES:]
    conn.execute(f"INSERT INTO {layout.zdict}(data) VALUES (?)", (zdict,))
    return DocCodec(zdict)


def col(field: str) -> str:
    return f'"f_{field}"'


def create_tables(conn: sqlite3.Connection, layout: Layout, settings: IndexSettings) -> None:
    columns = "".join(f", {col(f)} COLLATE NOCASE" for f in settings.columns)
    conn.execute(
        f"CREATE TABLE {layout.docs} (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, lat REAL, lon REAL{columns})"
    )
    conn.execute(f"CREATE TABLE {layout.source} (rid INTEGER PRIMARY KEY, doc BLOB NOT NULL)")
    fts_cols = ", ".join(f"c{i}" for i in range(len(settings.searchable)))
    # No prefix indexes: they were 70% of the full-text index (44 of 62 MB at 100k offers) and a prefix query
    # without them merges the words it covers (a 4-letter prefix as fast, "ma"* 2x slower), once per index version
    # since the bitmaps keep what an expression matches.
    conn.execute(
        f"CREATE VIRTUAL TABLE {layout.fts} USING fts5({fts_cols}, content='', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    conn.execute(
        f"CREATE TABLE {layout.vals} (field TEXT NOT NULL, value COLLATE NOCASE, rid INTEGER NOT NULL, "
        "PRIMARY KEY (field, value, rid)) WITHOUT ROWID"
    )
    conn.execute(f"CREATE TABLE {layout.terms} (tid INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE)")
    conn.execute(f"CREATE TABLE {layout.lists} (field TEXT PRIMARY KEY)")


def create_indexes(conn: sqlite3.Connection, layout: Layout, settings: IndexSettings) -> None:
    """Secondary indexes (created after a bulk load, which is faster than maintaining them during it)."""
    name = f"{layout.index}__g{layout.gen}"
    for i, field in enumerate(settings.columns):
        conn.execute(f'CREATE INDEX IF NOT EXISTS "{name}_i{i}" ON {layout.docs} ({col(field)})')
        if field in settings.sortable:
            # Match order_sql's "missing values last" terms, so sorted pages read an index instead of sorting.
            for direction in ("ASC", "DESC"):
                conn.execute(
                    f'CREATE INDEX IF NOT EXISTS "{name}_s{i}{direction[0]}" ON {layout.docs} '
                    f"(({col(field)} IS NULL), {col(field)} {direction})"
                )
    conn.execute(f'CREATE INDEX IF NOT EXISTS "{name}_geo" ON {layout.docs} (lat, lon)')
    conn.execute(f'CREATE INDEX IF NOT EXISTS "{name}_vrf" ON {layout.vals} (rid, field, value)')
    # One covering index over every column, in the settings' filterableAttributes order (the broad partitions
    # first: category, product type, claim, status): a filtered scan seeks on its leading equalities and tests the
    # rest in the index, never reading the table (4x faster for the matcher's candidate queries at 100k offers).
    listed = [str(f) for f in settings.raw.get("filterableAttributes", []) if f in settings.columns]
    ordered = [*listed, *(f for f in settings.columns if f not in listed)]
    columns = ", ".join([*(col(f) for f in ordered), "lat", "lon"])
    conn.execute(f'CREATE INDEX IF NOT EXISTS "{name}_all" ON {layout.docs} ({columns})')


def analyze(conn: sqlite3.Connection, layout: Layout) -> None:
    """Planner statistics for a filled generation (about 0.3 s per 100k documents): without them SQLite drives
    every filtered query from the first equality index (``status = 'active'``, nearly every row) instead of the
    most selective one."""
    for part in ("docs", "vals"):
        conn.execute(f"ANALYZE {layout.table(part)}")


def drop_tables(conn: sqlite3.Connection, layout: Layout) -> None:
    for part in ("fts", "docs", "source", "vals", "terms", "lists", "zdict"):
        conn.execute(f"DROP TABLE IF EXISTS {layout.table(part)}")
    conn.execute("DELETE FROM fm_changes WHERE index_name = ? AND gen = ?", (layout.index, layout.gen))


def sql_value(value: Any) -> Any:
    """How a scalar is stored and compared: booleans as 'true'/'false' (as Meilisearch filters them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return value
    return None


def facet_key(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(value: Any) -> str:
    if type(value) is str:  # noqa: E721 - the common case first: a plain str (ASCII is already NFC)
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return "\n".join(_text(v) for v in value if isinstance(v, (str, int, float)) and not isinstance(v, bool))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


@dataclass
class DocRow:
    id: str
    json: str
    lat: float | None
    lon: float | None
    columns: list[Any]
    lists: dict[str, list[Any]]
    fts: tuple[str, ...]


def _geo(doc: dict[str, Any]) -> tuple[float | None, float | None]:
    geo = doc.get(GEO)
    if geo is None:
        return None, None
    try:
        lat, lon = float(geo["lat"]), float(geo["lng"])
    except (TypeError, KeyError, ValueError):
        raise ValueError(f"document {doc.get('id')!r}: _geo must be {{'lat': number, 'lng': number}}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"document {doc.get('id')!r}: _geo out of range")
    return lat, lon


def check_document(doc: Any) -> tuple[str, float | None, float | None]:
    """The id and point of a document; ValueError (in every backend) for a missing/invalid id or ``_geo``."""
    if not isinstance(doc, dict):
        raise ValueError("documents must be dicts")
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not ID_RE.match(doc_id):
        raise ValueError(f"document id must be a string of letters, digits, '-' or '_', got {doc_id!r}")
    lat, lon = _geo(doc)
    return doc_id, lat, lon


def document_row(doc: dict[str, Any], settings: IndexSettings) -> DocRow:
    """The stored form of a document (ValueError for a missing/invalid id or _geo)."""
    doc_id, lat, lon = check_document(doc)
    columns: list[Any] = []
    lists: dict[str, list[Any]] = {}
    for field in settings.columns:
        value = doc.get(field)
        if type(value) is str or value is None:  # noqa: E721 - most values: stored as they are (sql_value's answer)
            columns.append(value)
        elif isinstance(value, list):
            values = [sql_value(v) for v in value]
            lists[field] = list(dict.fromkeys(v for v in values if v is not None))
            columns.append(None)
        else:
            columns.append(sql_value(value))
    fts = tuple(_text(doc.get(field)) for field in settings.searchable)
    return DocRow(doc_id, json.dumps(doc, ensure_ascii=False, separators=(",", ":")), lat, lon, columns, lists, fts)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fts_delete(
    conn: sqlite3.Connection, layout: Layout, settings: IndexSettings, old: list[tuple[int, dict[str, Any]]]
) -> None:
    """Remove rows from the contentless FTS table (which needs the values that were indexed)."""
    if not old:
        return
    names = ", ".join(f"c{i}" for i in range(len(settings.searchable)))
    marks = ", ".join("?" * (len(settings.searchable) + 1))
    conn.executemany(
        f"INSERT INTO {layout.fts}({layout.fts}, rowid, {names}) VALUES ('delete', {marks})",
        [(rid, *document_row(doc, settings).fts) for rid, doc in old],
    )


def _existing(conn: sqlite3.Connection, layout: Layout, ids: Sequence[str]) -> dict[str, tuple[int, dict[str, Any]]]:
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    codec = read_codec(conn, layout)
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        sql = (
            f"SELECT d.rid, d.id, s.doc FROM {layout.docs} d JOIN {layout.source} s ON s.rid = d.rid "
            f"WHERE d.id IN ({marks})"
        )
        for rid, doc_id, doc in conn.execute(sql, chunk):
            found[doc_id] = (rid, codec.load(doc))
    return found


def bump_version(conn: sqlite3.Connection, layout: Layout) -> int:
    """Mark the generation changed (searches cache counts and facets per version); returns the new version."""
    row = conn.execute(
        "UPDATE fm_generations SET version = version + 1 WHERE index_name = ? AND gen = ? RETURNING version",
        (layout.index, layout.gen),
    ).fetchone()
    return int(row[0]) if row else 0


def log_changes(conn: sqlite3.Connection, layout: Layout, version: int, rids: Iterable[int]) -> None:
    """Record the documents a write changed at ``version`` and forget versions older than CHANGE_VERSIONS."""
    rids = list(rids)
    if len(rids) > CHANGE_LOG_LIMIT:
        rids = []  # the version stays missing from the log: readers rebuild
    conn.executemany(
        "INSERT OR IGNORE INTO fm_changes(index_name, gen, version, rid) VALUES (?, ?, ?, ?)",
        [(layout.index, layout.gen, version, rid) for rid in rids],
    )
    conn.execute(
        "DELETE FROM fm_changes WHERE index_name = ? AND gen = ? AND version <= ?",
        (layout.index, layout.gen, version - CHANGE_VERSIONS),
    )


def write_documents(
    conn: sqlite3.Connection,
    layout: Layout,
    settings: IndexSettings,
    docs: list[dict[str, Any]],
    log: bool = True,
) -> int:
    """Insert or replace documents (call inside a write transaction); returns how many were written.

    ``log``: record the changed rids for other processes' bitmaps (not needed while a rebuild fills a generation
    nobody searches yet)."""
    rows = list({row.id: row for row in (document_row(d, settings) for d in docs)}.values())
    if not rows:
        return 0
    version = bump_version(conn, layout)
    list_fields = {r[0] for r in conn.execute(f"SELECT field FROM {layout.lists}")}
    for field in sorted({f for row in rows for f in row.lists} - list_fields):
        conn.execute(f"INSERT INTO {layout.lists}(field) VALUES (?)", (field,))
        conn.execute(
            f"INSERT OR IGNORE INTO {layout.vals}(field, value, rid) SELECT ?, {col(field)}, rid FROM {layout.docs} "
            f"WHERE {col(field)} IS NOT NULL",
            (field,),
        )
        list_fields.add(field)
    existing = _existing(conn, layout, [row.id for row in rows])
    old = list(existing.values())
    _fts_delete(conn, layout, settings, old)
    for chunk in _chunks([rid for rid, _ in old]):
        conn.execute(f"DELETE FROM {layout.vals} WHERE rid IN ({', '.join('?' * len(chunk))})", chunk)
    next_rid = conn.execute(f"SELECT coalesce(max(rid), 0) FROM {layout.docs}").fetchone()[0] + 1
    rids: list[int] = []
    inserts, updates = [], []
    for row in rows:
        if row.id in existing:
            rid = existing[row.id][0]
            updates.append((row.lat, row.lon, *row.columns, rid))
        else:
            rid = next_rid
            next_rid += 1
            inserts.append((rid, row.id, row.lat, row.lon, *row.columns))
        rids.append(rid)
    names = "".join(f", {col(f)}" for f in settings.columns)
    if inserts:
        marks = ", ".join("?" * (4 + len(settings.columns)))
        conn.executemany(f"INSERT INTO {layout.docs}(rid, id, lat, lon{names}) VALUES ({marks})", inserts)
    if updates:
        sets = "".join(f", {col(f)} = ?" for f in settings.columns)
        conn.executemany(f"UPDATE {layout.docs} SET lat = ?, lon = ?{sets} WHERE rid = ?", updates)
    codec = write_codec(conn, layout, settings, [row.json for row in rows])
    conn.executemany(
        f"INSERT OR REPLACE INTO {layout.source}(rid, doc) VALUES (?, ?)",
        [(rid, codec.encode(row.json)) for rid, row in zip(rids, rows, strict=True)],
    )
    fts_names = ", ".join(f"c{i}" for i in range(len(settings.searchable)))
    conn.executemany(
        f"INSERT INTO {layout.fts}(rowid, {fts_names}) VALUES ({', '.join('?' * (len(settings.searchable) + 1))})",
        [(rid, *row.fts) for rid, row in zip(rids, rows, strict=True)],
    )
    positions = {f: i for i, f in enumerate(settings.columns)}
    vals: list[tuple[str, Any, int]] = []
    for rid, row in zip(rids, rows, strict=True):
        for field in list_fields:
            if field in row.lists:
                vals.extend((field, v, rid) for v in row.lists[field])
            elif row.columns[positions[field]] is not None:
                vals.append((field, row.columns[positions[field]], rid))
    conn.executemany(f"INSERT OR IGNORE INTO {layout.vals}(field, value, rid) VALUES (?, ?, ?)", vals)
    # Each distinct text tokenised once: most of a batch's texts repeat (species, labels, places, organisations).
    words = {w for text in {text for row in rows for text in row.fts} for w in tokens(text)}
    conn.executemany(f"INSERT OR IGNORE INTO {layout.terms}(term) VALUES (?)", [(w,) for w in sorted(words)])
    if log:
        log_changes(conn, layout, version, rids)
    return len(rows)


def delete_documents(conn: sqlite3.Connection, layout: Layout, settings: IndexSettings, ids: list[str]) -> None:
    """Delete documents by id (inside a write transaction); unknown ids are ignored."""
    old = list(_existing(conn, layout, list(dict.fromkeys(ids))).values())
    if old:
        log_changes(conn, layout, bump_version(conn, layout), [rid for rid, _ in old])
    _fts_delete(conn, layout, settings, old)
    for chunk in _chunks([rid for rid, _ in old]):
        marks = ", ".join("?" * len(chunk))
        conn.execute(f"DELETE FROM {layout.vals} WHERE rid IN ({marks})", chunk)
        conn.execute(f"DELETE FROM {layout.source} WHERE rid IN ({marks})", chunk)
        conn.execute(f"DELETE FROM {layout.docs} WHERE rid IN ({marks})", chunk)
