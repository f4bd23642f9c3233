"""Per-process roaring bitmaps of the embedded index (pyroaring): document ids per filter value, per full-text
expression and per filter, so the total of a search is the cardinality of an intersection and each facet value's
count is an intersection cardinality, instead of a pass over every matching row.

Bitmaps are held per index generation and tagged with the index version they reflect (every write bumps it). A
search reads, inside its read transaction, the rids changed since a bitmap's version from ``fm_changes`` (written
by every write, see ``embedded_store``) and patches it: the changed rids are taken out and those that match now are
put back (one indexed lookup per changed rid). When the log does not cover the gap (pruned, or written by an older
version of this code) or the gap is large, the bitmap is rebuilt from the tables. Patched bitmaps are new objects:
a search that holds an older one keeps a consistent view. Memory is bounded: value bitmaps per filtered or faceted
field (one entry per document and field, 2 bytes or less each), and at most ``EXPRESSION_ENTRIES`` expression and
``FILTER_ENTRIES`` filter bitmaps (at most 12.5 KB per 100,000 documents each).
"""

from __future__ import annotations

import bisect
import json
import math
import sqlite3
import string
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import msgspec
from pyroaring import BitMap

from search_index.embedded_sql import FilterCompiler
from search_index.embedded_store import CHANGE_LOG_LIMIT, DocCodec, Layout, col, read_codec, sql_value
from search_index.query import AnyOf, Eq, Filter, Not

#: Full-text expressions (the match of a query and the sets of its ranking rules) kept per generation.
EXPRESSION_ENTRIES = 512
#: Range and geo filters kept per generation.
FILTER_ENTRIES = 128
#: Value sets of equality filters kept per field and version (``FieldValues.matching``; at most 12.5 KB per 100,000
#: documents each).
MATCHED_ENTRIES = 64
#: Full rankings (bm25 and the tie-breakers) of broad expressions kept per generation: at most this many, holding at
#: most ORDER_BUDGET matches together (16 bytes each: 32 MB).
ORDER_ENTRIES = 32
ORDER_BUDGET = 2_000_000
#: Changed documents above which a bitmap is rebuilt rather than patched.
PATCH_LIMIT = CHANGE_LOG_LIMIT
#: A ranking is patched after writes while the documents changed since it was read in full are at most one in this
#: many of its matches (``GenerationBitmaps.ranking``).
PATCH_SHARE = 1000
#: Bytes of stored documents kept per generation in MessagePack (the hits of recent pages: about 1.1 KB per offer, so
#: about 14,000 offers; as Python objects they would take 6.6 KB each).
DOCUMENT_BYTES = 16_000_000
_PACK = msgspec.msgpack.Encoder()
_UNPACK = msgspec.msgpack.Decoder()
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def nocase(value: Any) -> Any:
    """A value as SQLite's NOCASE collation compares it (ASCII letters folded, nothing else)."""
    return value.translate(_ASCII_LOWER) if isinstance(value, str) else value


@dataclass
class FieldValues:
    """The documents of each value of one field at one version.

    ``by_value``: the stored value (as a scalar facet groups it, case-sensitive) -> its documents. ``folded``: the
    NOCASE form -> the stored values of that form (what a filter compares against)."""

    version: int
    by_value: dict[Any, BitMap]
    folded: dict[Any, list[Any]] = field(default_factory=dict)
    #: ``matching``'s answers by the values asked (every search asks the public listing's few, and most ask a
    #: category or a country): at most MATCHED_ENTRIES, forgotten all at once when full. Never changed in place.
    matched: dict[tuple[Any, ...], BitMap] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.folded:
            for value in self.by_value:
                self.folded.setdefault(nocase(value), []).append(value)

    def matching(self, values: tuple[Any, ...]) -> BitMap:
        found = self.matched.get(values)
        if found is not None:
            return found
        parts = [self.by_value[v] for key in {nocase(sql_value(x)) for x in values} for v in self.folded.get(key, ())]
        found = BitMap.union(*parts) if parts else BitMap()
        if len(self.matched) >= MATCHED_ENTRIES:
            self.matched.clear()
        self.matched[values] = found
        return found


@dataclass
class Entry:
    version: int
    bitmap: BitMap


def _tie_key(value: Any, descending: bool) -> float | None:
    """A tie-breaker value as an ascending float key (missing values last, as the SQL's ``IS NULL`` term puts
    them); None for a value that is not a number (such rankings are not patched)."""
    if value is None:
        return math.inf
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 2**53:
        return -float(value) if descending else float(value)
    return None


@dataclass
class Ranking:
    """The whole ranking of one expression: rids in order, their bm25 scores and tie-breaker keys (``_tie_key``);
    ``ties`` is None when a tie-breaker is not a number. ``full_version``: the version it was last read in full at."""

    version: int
    full_version: int
    rids: array[int]
    scores: array[float]
    ties: list[array[float]] | None

    def add(self, row: tuple[Any, ...], descending: list[bool]) -> None:
        """Append a row of the ranking SQL (read in order)."""
        self.rids.append(row[0])
        self.scores.append(row[1])
        if self.ties is not None:
            keys = [_tie_key(v, d) for v, d in zip(row[2:], descending, strict=True)]
            if any(k is None for k in keys):
                self.ties = None
            else:
                for column, key in zip(self.ties, keys, strict=True):
                    column.append(key)  # type: ignore[arg-type]

    def insert(self, row: tuple[Any, ...], descending: list[bool]) -> bool:
        """Put a row at its place in the order (bm25, the tie-breakers, rid); False if a tie value is no number."""
        assert self.ties is not None
        keys = [_tie_key(v, d) for v, d in zip(row[2:], descending, strict=True)]
        if any(k is None for k in keys):
            return False
        target = (row[1], *keys, row[0])
        ties = self.ties
        at = bisect.bisect_left(
            range(len(self.rids)), target, key=lambda i: (self.scores[i], *(c[i] for c in ties), self.rids[i])
        )
        self.rids.insert(at, row[0])
        self.scores.insert(at, row[1])
        for column, key in zip(ties, keys, strict=True):
            column.insert(at, key)  # type: ignore[arg-type]
        return True


class Changes:
    """Which rids changed between two versions of a generation, read once per search (None: not known)."""

    def __init__(self, conn: sqlite3.Connection, layout: Layout, version: int) -> None:
        self.conn, self.layout, self.version = conn, layout, version
        self._memo: dict[int, BitMap | None] = {}

    def since(self, old: int) -> BitMap | None:
        if old in self._memo:
            return self._memo[old]
        rows = self.conn.execute(
            "SELECT version, rid FROM fm_changes WHERE index_name = ? AND gen = ? AND version > ? AND version <= ?",
            (self.layout.index, self.layout.gen, old, self.version),
        ).fetchall()
        changed: BitMap | None = BitMap(r for _, r in rows)
        if len({v for v, _ in rows}) != self.version - old or len(changed) > PATCH_LIMIT:  # type: ignore[arg-type]
            changed = None
        self._memo[old] = changed
        return changed


def _pack(document: Any) -> bytes | None:
    """A decoded document in MessagePack; None for one it cannot hold exactly (an integer beyond 64 bits)."""
    try:
        return _PACK.encode(document)
    except (OverflowError, msgspec.EncodeError):
        return None


def _ids(rows: Iterable[tuple[Any, ...]]) -> BitMap:
    return BitMap(r[0] for r in rows)


def _marks(rids: BitMap) -> tuple[str, list[int]]:
    return "SELECT value FROM json_each(?)", [json.dumps(list(rids))]  # type: ignore[list-item]


class GenerationBitmaps:
    """The bitmaps of one generation (index, gen, creation time), shared by the backend's threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.all: Entry | None = None
        self.fields: dict[tuple[str, bool], FieldValues] = {}
        self.expressions: OrderedDict[str, Entry] = OrderedDict()
        self.filters: OrderedDict[Filter, Entry] = OrderedDict()
        self.orders: OrderedDict[str, Ranking] = OrderedDict()
        #: Stored documents by rid in MessagePack, as of ``documents_version`` (hits of recent pages; ``documents``).
        self.docs: OrderedDict[int, bytes] = OrderedDict()
        self.docs_bytes = 0
        self.documents_version = -1
        self.codec: DocCodec | None = None

    # -- generic: an entry at the search's version, patched or rebuilt ----------------------------------------

    def _current(
        self,
        entry: Entry | None,
        changes: Changes,
        build: Callable[[], BitMap],
        recheck: Callable[[BitMap], BitMap],
    ) -> tuple[BitMap, bool]:
        """(bitmap at the search's version, whether to store it)."""
        if entry is not None and entry.version == changes.version:
            return entry.bitmap, False
        if entry is not None and entry.version < changes.version:
            changed = changes.since(entry.version)
            if changed is not None:
                return (entry.bitmap - changed) | recheck(changed), True
        return build(), entry is None or entry.version < changes.version

    def everything(self, conn: sqlite3.Connection, layout: Layout, changes: Changes) -> BitMap:
        """Every document of the generation."""

        def recheck(rids: BitMap) -> BitMap:
            sub, params = _marks(rids)
            return _ids(conn.execute(f"SELECT rid FROM {layout.docs} WHERE rid IN ({sub})", params))

        with self.lock:
            entry = self.all
        bitmap, store = self._current(
            entry, changes, lambda: _ids(conn.execute(f"SELECT rid FROM {layout.docs}")), recheck
        )
        if store:
            with self.lock:
                if self.all is None or self.all.version < changes.version:
                    self.all = Entry(changes.version, bitmap)
        return bitmap

    def expression(self, conn: sqlite3.Connection, layout: Layout, changes: Changes, expression: str) -> BitMap:
        """The documents a full-text (FTS5 MATCH) expression matches."""
        fts = layout.fts
        sql = f"SELECT rowid FROM {fts} WHERE {fts} MATCH ?"

        def recheck(rids: BitMap) -> BitMap:
            # One rowid lookup per changed document (FTS5 seeks by rowid).
            one = f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? AND rowid = ?"
            return BitMap(rid for rid in rids if conn.execute(one, (expression, rid)).fetchone())

        with self.lock:
            entry = self.expressions.get(expression)
        bitmap, store = self._current(entry, changes, lambda: _ids(conn.execute(sql, (expression,))), recheck)
        if store:
            with self.lock:
                old = self.expressions.get(expression)
                if old is None or old.version < changes.version:
                    self.expressions[expression] = Entry(changes.version, bitmap)
                self.expressions.move_to_end(expression)
                while len(self.expressions) > EXPRESSION_ENTRIES:
                    self.expressions.popitem(last=False)
        return bitmap

    def field_values(
        self, conn: sqlite3.Connection, layout: Layout, changes: Changes, name: str, listed: bool
    ) -> FieldValues:
        """Each value's documents for one field (list-valued fields from ``vals``)."""
        if listed:
            sql = f"SELECT value, rid FROM {layout.vals} WHERE field = ?"
            params: list[Any] = [name]
        else:
            sql = f"SELECT {col(name)}, rid FROM {layout.docs} WHERE {col(name)} IS NOT NULL"
            params = []
        key = (name, listed)
        read = partial(self._read_values, conn, layout, name, listed, changes.version)
        with self.lock:
            entry = self.fields.get(key)
        if entry is not None and entry.version == changes.version:
            return entry
        changed = changes.since(entry.version) if entry is not None and entry.version < changes.version else None
        groups: dict[Any, list[int]] = {}
        if changed is not None and entry is not None:
            sub, extra = _marks(changed)
            for value, rid in conn.execute(f"{sql} AND rid IN ({sub})", [*params, *extra]):
                groups.setdefault(value, []).append(rid)
            by_value = {}
            for value, bitmap in entry.by_value.items():
                if value in groups:
                    by_value[value] = (bitmap - changed) | BitMap(groups.pop(value))
                elif bitmap.intersect(changed):
                    left = bitmap - changed
                    if left:
                        by_value[value] = left
                else:
                    by_value[value] = bitmap
            by_value.update((value, BitMap(rids)) for value, rids in groups.items())
            values = FieldValues(changes.version, by_value)
        elif entry is not None and entry.version > changes.version:
            return read()  # an older snapshot than the shared one: not stored
        else:
            values = read()
        with self.lock:
            old = self.fields.get(key)
            if old is None or old.version < values.version:
                self.fields[key] = values
        return values

    @staticmethod
    def _read_values(conn: sqlite3.Connection, layout: Layout, name: str, listed: bool, version: int) -> FieldValues:
        """Every value's documents, grouped by SQLite (one JSON array of rids per value, decoded in C: a third of
        the time of a row per document)."""
        column = col(name)
        if listed:
            sql = f"SELECT value, json_group_array(rid), 0 FROM {layout.vals} WHERE field = ? GROUP BY value"
            params: list[Any] = [name]
        else:
            # The index's NOCASE groups; a group holding values that differ in case is split by stored value (as a
            # scalar facet counts them).
            sql = (
                f"SELECT {column}, json_group_array(rid), min({column} COLLATE BINARY) IS NOT max({column} "
                f"COLLATE BINARY) FROM {layout.docs} WHERE {column} IS NOT NULL GROUP BY {column}"
            )
            params = []
        by_value: dict[Any, BitMap] = {}
        for value, rids, mixed in conn.execute(sql, params).fetchall():
            if mixed:
                for stored, rid in conn.execute(
                    f"SELECT {column}, rid FROM {layout.docs} WHERE {column} = ?", (value,)
                ):
                    by_value.setdefault(stored, BitMap()).add(rid)
            else:
                by_value[value] = BitMap(json.loads(rids))
        return FieldValues(version, by_value)

    def sql_filter(
        self, conn: sqlite3.Connection, layout: Layout, changes: Changes, flt: Filter, list_fields: set[str]
    ) -> BitMap:
        """The documents a filter without value bitmaps (a range, a geo radius) keeps, by SQL over ``docs``."""
        compiler = FilterCompiler(layout, list_fields)
        condition = compiler.compile(flt, top=False)
        sql = f"SELECT d.rid FROM {layout.docs} d WHERE {condition}"

        def recheck(rids: BitMap) -> BitMap:
            sub, extra = _marks(rids)
            return _ids(conn.execute(f"{sql} AND d.rid IN ({sub})", [*compiler.params, *extra]))

        with self.lock:
            entry = self.filters.get(flt)
        bitmap, store = self._current(entry, changes, lambda: _ids(conn.execute(sql, compiler.params)), recheck)
        if store:
            with self.lock:
                old = self.filters.get(flt)
                if old is None or old.version < changes.version:
                    self.filters[flt] = Entry(changes.version, bitmap)
                self.filters.move_to_end(flt)
                while len(self.filters) > FILTER_ENTRIES:
                    self.filters.popitem(last=False)
        return bitmap

    def ranking(
        self,
        conn: sqlite3.Connection,
        changes: Changes,
        expression: str,
        sql: str,
        descending: list[bool],
    ) -> tuple[array[int], array[float]]:
        """Every match of an expression in the order of ``sql`` (bm25, the tie-breakers, rid) and its bm25 score.

        ``sql`` selects (rid, bm25, one value per tie-breaker) ordered so, its parameter the expression; its
        condition ``{RIDS}`` becomes one on ``d.rid`` to run it over the changed documents alone.

        A write changes every match's bm25 a little (the document count, the words' document frequencies and the
        average length move), so a ranking read in full at one version is only *patched* at a later one while the
        documents changed since that full read are at most 1 in PATCH_SHARE of its matches: the changed documents
        are taken out and those that match now put back at their place by their current bm25 and tie-breakers, the
        untouched ones keep their order and scores (off by about the share of changed documents, so an order can
        only swap between matches whose scores were about that close). Past that share, or when the change log does
        not cover the versions, or a tie-breaker value is not a number, the ranking is read again in full. Below
        PATCH_SHARE matches no change is patched: small indexes always answer exactly as SQL does."""
        with self.lock:
            found = self.orders.get(expression)
            if found is not None:
                self.orders.move_to_end(expression)
        if found is not None and found.version == changes.version:
            return found.rids, found.scores
        entry = None
        if found is not None and found.version < changes.version and found.ties is not None:
            changed = changes.since(found.full_version)
            if changed is not None and len(changed) * PATCH_SHARE <= len(found.rids):
                entry = self._patched(conn, changes, expression, sql, descending, found, changed)
        if entry is None:
            entry = Ranking(changes.version, changes.version, array("q"), array("d"), [array("d") for _ in descending])
            for row in conn.execute(sql.replace("{RIDS}", "1"), (expression,)):
                entry.add(row, descending)
        with self.lock:
            old = self.orders.get(expression)
            if old is None or old.version < changes.version:
                self.orders[expression] = entry
                held = sum(len(r.rids) for r in self.orders.values())
                while len(self.orders) > 1 and (len(self.orders) > ORDER_ENTRIES or held > ORDER_BUDGET):
                    held -= len(self.orders.popitem(last=False)[1].rids)
        return entry.rids, entry.scores

    @staticmethod
    def _patched(
        conn: sqlite3.Connection,
        changes: Changes,
        expression: str,
        sql: str,
        descending: list[bool],
        found: Ranking,
        changed: BitMap,
    ) -> Ranking | None:
        """``found`` with the documents changed since its version taken out and those that match now put back."""
        assert found.ties is not None
        since = changes.since(found.version)
        if since is None:
            return None
        # Copies (a search holding the old arrays keeps a consistent view); a changed rid is found by array.index, a
        # scan in C, then deleted (a few per write, each a memmove).
        entry = Ranking(changes.version, found.full_version, found.rids[:], found.scores[:], [c[:] for c in found.ties])
        assert entry.ties is not None
        for rid in since:
            try:
                at = entry.rids.index(rid)
            except ValueError:  # it did not match before
                continue
            del entry.rids[at], entry.scores[at]
            for column in entry.ties:
                del column[at]
        sub, params = _marks(since)
        fresh = conn.execute(sql.replace("{RIDS}", f"+d.rid IN ({sub})"), (expression, *params)).fetchall()
        for row in fresh:
            if not entry.insert(row, descending):
                return None
        return entry

    # -- stored documents -----------------------------------------------------------------------------------

    # -- stored documents -----------------------------------------------------------------------------------

    def documents(
        self, conn: sqlite3.Connection, layout: Layout, changes: Changes, rids: list[int]
    ) -> dict[int, dict[str, Any]]:
        """The stored documents of ``rids`` (those that exist) as of the search's snapshot, decoded.

        Decoding (inflate with the generation's dictionary, then JSON) costs about 60 us a document, 1.2 ms for a page
        of 20: the documents of recent pages are kept in MessagePack (about 15 us to decode, into new objects for
        every caller), up to DOCUMENT_BYTES per generation, least recently used dropped first. When the index
        version moves, the rids changed since are dropped (``fm_changes``; everything when the log does not cover the
        gap), so a document written by any process is read again. A search on an older snapshot than the kept
        documents reads its own and keeps nothing."""
        with self.lock:
            kept = self.documents_version
        if kept < changes.version:
            changed = changes.since(kept) if kept >= 0 else None
            with self.lock:
                if self.documents_version == kept:
                    if changed is None:
                        self.docs.clear()
                        self.docs_bytes = 0
                    else:
                        for rid in changed:
                            packed = self.docs.pop(rid, None)
                            if packed is not None:
                                self.docs_bytes -= len(packed)
                    self.documents_version = changes.version
        with self.lock:
            current = self.documents_version == changes.version
            found = {rid: self.docs[rid] for rid in rids if current and rid in self.docs}
            for rid in found:
                self.docs.move_to_end(rid)
            codec = self.codec
        documents = {rid: _UNPACK.decode(packed) for rid, packed in found.items()}
        missing = [rid for rid in rids if rid not in found]
        if missing:
            if codec is None:
                codec = read_codec(conn, layout)
                if codec.zdict is not None:  # a generation's dictionary never changes once written
                    self.codec = codec
            marks = ", ".join("?" * len(missing))
            read = {
                rid: codec.load(doc)
                for rid, doc in conn.execute(f"SELECT rid, doc FROM {layout.source} WHERE rid IN ({marks})", missing)
            }
            documents.update(read)
            if current:
                packed_read = {rid: packed for rid, document in read.items() if (packed := _pack(document))}
                with self.lock:
                    if self.documents_version == changes.version:
                        for rid, packed in packed_read.items():
                            old = self.docs.pop(rid, None)
                            self.docs_bytes += len(packed) - (len(old) if old is not None else 0)
                            self.docs[rid] = packed
                        while self.docs_bytes > DOCUMENT_BYTES and self.docs:
                            self.docs_bytes -= len(self.docs.popitem(last=False)[1])
        return documents

    # -- filters ---------------------------------------------------------------------------------------------

    def filtered(
        self, conn: sqlite3.Connection, layout: Layout, changes: Changes, flt: Filter, list_fields: set[str]
    ) -> BitMap:
        """The documents one filter keeps (the same set the SQL of ``FilterCompiler`` selects)."""
        if isinstance(flt, Eq):
            return self.field_values(conn, layout, changes, flt.field, flt.field in list_fields).matching((flt.value,))
        if isinstance(flt, AnyOf):
            if not flt.values:
                return BitMap()
            return self.field_values(conn, layout, changes, flt.field, flt.field in list_fields).matching(flt.values)
        if isinstance(flt, Not):
            # NOT IFNULL(condition, 0): documents without the field are kept, like the SQL.
            return self.everything(conn, layout, changes) - self.filtered(
                conn, layout, changes, flt.filter, list_fields
            )
        return self.sql_filter(conn, layout, changes, flt, list_fields)


class BitmapCache:
    """The bitmaps of the generations a backend has searched (the live one of each index, in practice)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generations: dict[tuple[str, int, float], GenerationBitmaps] = {}

    def generation(self, layout: Layout, started: float) -> GenerationBitmaps:
        key = (layout.index, layout.gen, started)
        with self._lock:
            found = self._generations.get(key)
            if found is None:
                # A new generation of an index replaces the bitmaps of its earlier ones.
                self._generations = {k: v for k, v in self._generations.items() if k[0] != layout.index}
                found = self._generations[key] = GenerationBitmaps()
            return found
