"""Per-process bitmaps of the PostgreSQL index (pyroaring, as ``embedded_bitmaps`` does for the embedded backend):
the rids (``rid`` column) of the documents of each filter value, facet value and full-text expression, and per
numeric column its values in a numpy array by rid. A search's total is the cardinality of an intersection and each
facet value's count an intersection cardinality, instead of SQL over every match; the page's candidates are picked
by its first sort key from the arrays, and SQL orders those few exactly.

Several processes (hosts) write the same tables, so every entry is tagged with the version of the tables it
reflects. Each write bumps the version in the tables' state row and logs the rids it touched in the change log, in
its own transaction (the state row's lock orders writers: versions commit in order). A search reads the state in its
own snapshot (a repeatable-read transaction) and patches the entries it uses: the changed rids are taken out and
read again. When the log does not cover the gap (pruned) or the gap is large, an entry is read again in full. A new
generation of the tables (a rebuild: a new token in the state row) drops every entry.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg
import numpy as np
from pyroaring import BitMap

from search_index import postgres_sql as sql
from search_index.query import AnyOf, Eq, Filter, Not, Range

#: Full-text expressions (the match of a query) kept per process and index.
EXPRESSION_ENTRIES = 512
#: Range filters kept per process and index (the listing rule's dates, quantity bounds buyers typed).
RANGE_ENTRIES = 128
#: Changed documents above which an entry is read again rather than patched.
PATCH_LIMIT = 5000


def rids_sql(condition: str = "") -> str:
    """An aggregate of the rids (as 4-byte big-endian integers in one bytea: decoded by numpy, where an array of
    a million numbers decodes to Python integers one by one), of the rows meeting ``condition`` if given."""
    return "string_agg(int4send(rid::int4), ''::bytea)" + (f" FILTER (WHERE {condition})" if condition else "")


def from_rids(data: bytes | None) -> BitMap:
    """The bitmap of a ``rids_sql`` aggregate."""
    if not data:
        return BitMap()
    return BitMap(array("I", np.frombuffer(data, dtype=">u4").astype(np.uint32).tobytes()))


T = TypeVar("T")


@dataclass
class Entry(Generic[T]):
    version: int
    value: T


class Changes:
    """Which rids changed between two versions of the tables, read once per search (None: not known)."""

    def __init__(self, conn: asyncpg.Connection, layout: sql.Layout, version: int) -> None:
        self.conn, self.layout, self.version = conn, layout, version
        self._memo: dict[int, BitMap | None] = {}

    async def since(self, old: int) -> BitMap | None:
        if old in self._memo:
            return self._memo[old]
        rows = await self.conn.fetch(
            f"SELECT version, rid FROM {self.layout.changes} WHERE version > $1::bigint AND version <= $2::bigint",
            old,
            self.version,
        )
        changed: BitMap | None = BitMap(r[1] for r in rows)
        if len({r[0] for r in rows}) != self.version - old or len(changed) > PATCH_LIMIT:  # type: ignore[arg-type]
            changed = None
        self._memo[old] = changed
        return changed


@dataclass(frozen=True)
class Numbers:
    """A numeric column by rid: ``values`` (NaN where NULL) and ``missing`` (the text values ``v`` are NULL)."""

    values: np.ndarray
    missing: np.ndarray

    def ids(self, mask: np.ndarray) -> BitMap:
        return to_bitmap(np.flatnonzero(mask))


def to_bitmap(rids: np.ndarray) -> BitMap:
    """A bitmap of a numpy array of rids (through an ``array``: 6 times faster than numpy's scalars one by one)."""
    return BitMap(array("I", rids.astype(np.uint32).tobytes()))


def _grow(array: np.ndarray, size: int, fill: Any) -> np.ndarray:
    if len(array) >= size:
        return array.copy()
    out = np.full(size, fill, dtype=array.dtype)
    out[: len(array)] = array
    return out


def _patched_groups(old: dict[str, BitMap], changed: BitMap, fresh: dict[str, list[int]]) -> dict[str, BitMap]:
    out: dict[str, BitMap] = {}
    for value, members in old.items():
        if value in fresh:
            out[value] = (members - changed) | BitMap(fresh.pop(value))
        elif members.intersect(changed):
            left = members - changed
            if left:
                out[value] = left
        else:
            out[value] = members
    out.update((value, BitMap(rids)) for value, rids in fresh.items())
    return out


def filter_keys(facet_groups: dict[str, BitMap]) -> dict[str, BitMap]:
    """A column's filter-key groups (``k<j>``: each value lower-cased, ``postgres_sql.document_record``) from its
    facet groups of every value (``v<j>``; the first value's for a column no document gives several)."""
    out: dict[str, BitMap] = {}
    for value, members in facet_groups.items():
        key = value.lower()
        out[key] = out[key] | members if key in out else members
    return out


class IndexBitmaps:
    """The entries of one generation of one index's tables (shared by the process's searches)."""

    def __init__(self, gen: str) -> None:
        self.gen = gen
        self.entries: dict[tuple[str, ...], Entry[Any]] = {}
        self.expressions: OrderedDict[str, Entry[BitMap]] = OrderedDict()
        #: Range filters' documents, with the column entry (one version) they were computed from.
        self.ranges: OrderedDict[tuple[int, Any, Any], tuple[Numbers, BitMap]] = OrderedDict()

    async def _current(
        self,
        entry: Entry[T] | None,
        changes: Changes,
        build: Callable[[], Awaitable[T]],
        patch: Callable[[T, BitMap], Awaitable[T]],
    ) -> tuple[T, bool]:
        """(the value at the search's version, whether to store it)."""
        if entry is not None and entry.version == changes.version:
            return entry.value, False
        if entry is not None and entry.version < changes.version:
            changed = await changes.since(entry.version)
            if changed is not None:
                return await patch(entry.value, changed), True
        return await build(), entry is None or entry.version < changes.version

    async def _kept(
        self,
        key: tuple[str, ...],
        changes: Changes,
        build: Callable[[], Awaitable[T]],
        patch: Callable[[T, BitMap], Awaitable[T]],
    ) -> T:
        entry = self.entries.get(key)
        value, store = await self._current(entry, changes, build, patch)
        if store:
            old = self.entries.get(key)
            if old is None or old.version < changes.version:
                self.entries[key] = Entry(changes.version, value)
        return value

    # -- the entries -----------------------------------------------------------------------------------------

    async def list_fields(self, conn: asyncpg.Connection, layout: sql.Layout, changes: Changes) -> set[str]:
        """The fields some document gave several values (read again when the version moves: it only grows)."""
        entry = self.entries.get(("lists",))
        if entry is not None and entry.version == changes.version:
            return set(entry.value)
        fields = {r[0] for r in await conn.fetch(f"SELECT field FROM {layout.lists}")}
        if entry is None or entry.version < changes.version:
            self.entries[("lists",)] = Entry(changes.version, frozenset(fields))
        return fields

    async def prepare(
        self,
        conn: asyncpg.Connection,
        layout: sql.Layout,
        changes: Changes,
        groups: set[tuple[str, int]],
        numbers: set[int],
        more_groups: set[tuple[str, int]] = frozenset(),  # type: ignore[assignment]
        more_numbers: set[int] = frozenset(),  # type: ignore[assignment]
        lists: set[int] | None = None,
    ) -> None:
        """Read every entry a search will need that is missing, or too old to patch, in one pass over the table for
        the value groups (two when list columns are among them) and one for the numbers (each a pass over the whole
        table, the first search's cost); filter keys derive from the facet groups when those are read or held. When
        a pass is needed, the stale entries of ``more_groups`` / ``more_numbers`` (those later searches are likely
        to need) are read in it too, so later searches need no pass of their own."""

        async def stale(key: tuple[str, ...]) -> bool:
            entry = self.entries.get(key)
            if entry is None:
                return True
            if entry.version >= changes.version:
                return False
            return await changes.since(entry.version) is None

        wanted = [g for g in sorted(groups) if await stale((g[0], str(g[1])))]
        # Filter keys derived from the column's facet groups (``lists``: the columns some document gave several
        # values; None: not known) when those are read in this pass or held.
        derived: list[tuple[int, str]] = []
        for kind, j in list(wanted) if lists is not None else ():
            source = "v" if j in lists else "first"  # type: ignore[operator]
            if kind == "k" and ((source, j) in wanted or (source, str(j)) in self.entries):
                wanted.remove((kind, j))
                derived.append((j, source))
        if wanted:
            wanted += [g for g in sorted(set(more_groups) - set(wanted)) if await stale((g[0], str(g[1])))]
            found: list[dict[str, BitMap]] = [{} for _ in wanted]
            # A column of one value per document groups by that value: one scan, a hash table per column
            # (GROUPING SETS: 2.4 s at 1,000,000 offers where a row per value through a lateral union took 9.8 s).
            # A filter key's column holds one value when no document gave the field several (``lists``).
            scalar = [
                (i, f"v{j}[1]" if kind == "first" else f"k{j}[1]")
                for i, (kind, j) in enumerate(wanted)
                if kind == "first" or (kind == "k" and lists is not None and j not in lists)
            ]
            if scalar:
                keys = [expression for _, expression in scalar]
                sets = ", ".join(f"({expression})" for expression in keys)
                rows = await conn.fetch(
                    f"SELECT grouping({', '.join(keys)}), {', '.join(keys)}, {rids_sql()} FROM {layout.docs} "
                    f"GROUP BY GROUPING SETS ({sets})"
                )
                last = len(keys) - 1
                for row in rows:
                    # grouping(): a bit per key, set for the keys not grouped in this row's set (the first key is
                    # the highest bit).
                    k = next(k for k in range(len(keys)) if not row[0] & (1 << (last - k)))
                    if row[1 + k] is not None:  # documents without the field
                        found[scalar[k][0]][row[1 + k]] = from_rids(row[-1])
            listed = [(i, part) for i, part in enumerate(wanted) if i not in {i for i, _ in scalar}]
            if listed:
                parts = []
                for i, (kind, j) in listed:
                    parts.append(f"SELECT {i} AS part, x FROM unnest(d.{kind}{j}) x")
                rows = await conn.fetch(
                    f"SELECT c.part, c.x, array_agg(d.rid) FROM {layout.docs} d CROSS JOIN LATERAL "
                    f"({' UNION ALL '.join(parts)}) c (part, x) GROUP BY 1, 2"
                )
                for part, value, rids in rows:
                    found[part][value] = BitMap(rids)
            for (kind, j), value_groups in zip(wanted, found, strict=True):
                self.entries[(kind, str(j))] = Entry(changes.version, value_groups)
        for j, source in derived:
            facet_groups = await self.groups(conn, layout, changes, source, j)  # current (patched if older)
            self.entries[("k", str(j))] = Entry(changes.version, filter_keys(facet_groups))
        columns = [j for j in sorted(numbers) if await stale(("n", str(j)))]
        if columns:
            columns += [j for j in sorted(set(more_numbers) - set(columns)) if await stale(("n", str(j)))]
            # Every aggregate of one statement takes the rows in the same order (no ORDER BY: a sort of the whole
            # table per aggregate, 9 of them, took most of the 6 s this read cost at 1,000,000 offers), as bytes
            # numpy decodes (a million floats decoded one by one cost seconds more).
            aggregates = "".join(
                f", string_agg(float8send(coalesce(n{j}, 'NaN'::float8)), ''::bytea)"
                f", string_agg(CASE WHEN v{j} IS NULL THEN '\\x01'::bytea ELSE '\\x00'::bytea END, ''::bytea)"
                for j in columns
            )
            row = await conn.fetchrow(f"SELECT {rids_sql()}{aggregates} FROM {layout.docs}")
            assert row is not None
            rids = np.frombuffer(row[0] or b"", dtype=">u4").astype(np.int64)
            size = int(rids.max()) + 1 if len(rids) else 1
            for i, j in enumerate(columns):
                values, missing = np.full(size, np.nan), np.ones(size, dtype=bool)
                if len(rids):
                    values[rids] = np.frombuffer(row[1 + 2 * i], dtype=">f8").astype(np.float64)
                    missing[rids] = np.frombuffer(row[2 + 2 * i], dtype=np.uint8).astype(bool)
                self.entries[("n", str(j))] = Entry(changes.version, Numbers(values, missing))

    async def everything(self, conn: asyncpg.Connection, layout: sql.Layout, changes: Changes) -> BitMap:
        """Every document."""

        async def build() -> BitMap:
            # From the narrow words table (a row per document, written and deleted with it): 400 MB at 1,000,000
            # offers where the documents' table is 5 GB.
            return from_rids(await conn.fetchval(f"SELECT {rids_sql()} FROM {layout.words}"))

        async def patch(old: BitMap, changed: BitMap) -> BitMap:
            rows = await conn.fetch(f"SELECT rid FROM {layout.docs} WHERE rid = ANY($1::bigint[])", list(changed))
            return (old - changed) | BitMap(r[0] for r in rows)

        return await self._kept(("all",), changes, build, patch)

    async def groups(
        self, conn: asyncpg.Connection, layout: sql.Layout, changes: Changes, kind: str, j: int
    ) -> dict[str, BitMap]:
        """Each value's documents of column ``j``: ``kind`` "k" (filter keys, every element), "v" (facet values,
        every element) or "first" (the first facet value: what a single-valued field's facet counts)."""
        if kind == "first":
            value_sql, source = f"v{j}[1]", f"{layout.docs} d"
            where = f"v{j} IS NOT NULL"
        else:
            value_sql, source = "x", f"{layout.docs} d, unnest(d.{kind}{j}) x"
            where = "true"

        async def build() -> dict[str, BitMap]:
            # Grouped by PostgreSQL: one row per value with its rids as one array (decoded in C).
            rows = await conn.fetch(f"SELECT {value_sql}, array_agg(rid) FROM {source} WHERE {where} GROUP BY 1")
            return {value: BitMap(rids) for value, rids in rows}

        async def patch(old: dict[str, BitMap], changed: BitMap) -> dict[str, BitMap]:
            rows = await conn.fetch(
                f"SELECT {value_sql}, array_agg(rid) FROM {source} WHERE {where} AND d.rid = ANY($1::bigint[]) "
                "GROUP BY 1",
                list(changed),
            )
            return _patched_groups(old, changed, {value: list(rids) for value, rids in rows})

        return await self._kept((kind, str(j)), changes, build, patch)

    async def numbers(self, conn: asyncpg.Connection, layout: sql.Layout, changes: Changes, j: int) -> Numbers:
        """Column ``n<j>`` (and whether ``v<j>`` is NULL) by rid."""
        select = f"SELECT rid, n{j}, v{j} IS NULL FROM {layout.docs} d"

        def fill(values: np.ndarray, missing: np.ndarray, rows: list[Any]) -> None:
            for rid, number, absent in rows:
                values[rid] = np.nan if number is None else number
                missing[rid] = absent

        async def build() -> Numbers:
            rows = await conn.fetch(select)
            size = max((r[0] for r in rows), default=0) + 1
            values, missing = np.full(size, np.nan), np.ones(size, dtype=bool)
            fill(values, missing, rows)
            return Numbers(values, missing)

        async def patch(old: Numbers, changed: BitMap) -> Numbers:
            rows = await conn.fetch(f"{select} WHERE d.rid = ANY($1::bigint[])", list(changed))
            size = max(len(old.values), changed.max() + 1 if changed else 0)
            values, missing = _grow(old.values, size, np.nan), _grow(old.missing, size, True)
            index = np.fromiter(changed, dtype=np.int64, count=len(changed))
            values[index], missing[index] = np.nan, True
            fill(values, missing, rows)
            return Numbers(values, missing)

        return await self._kept(("n", str(j)), changes, build, patch)

    async def expression(
        self, conn: asyncpg.Connection, layout: sql.Layout, changes: Changes, expression: str, within: str = ""
    ) -> BitMap:
        """The documents a tsquery matches (through the narrow words table's GIN index); with ``within``, only
        those that another (the query's match) matches too."""
        extra = (within,) if within else ()

        async def build() -> BitMap:
            # The planner cannot estimate how many rows a tsquery of prefixes, phrases and alternatives keeps, and
            # often guesses a sequential scan (every tsvector decompressed and tested) over the GIN index's bitmap.
            await conn.execute("SET LOCAL enable_seqscan = off")
            condition = "tsv @@ $1::tsquery" + (" AND tsv @@ $2::tsquery" if within else "")
            rows = await conn.fetch(f"SELECT rid FROM {layout.words} WHERE {condition}", expression, *extra)
            await conn.execute("SET LOCAL enable_seqscan = on")
            return BitMap(r[0] for r in rows)

        async def patch(old: BitMap, changed: BitMap) -> BitMap:
            condition = "tsv @@ $1::tsquery" + (" AND tsv @@ $3::tsquery" if within else "")
            rows = await conn.fetch(
                f"SELECT rid FROM {layout.words} WHERE rid = ANY($2::bigint[]) AND {condition}",
                expression,
                list(changed),
                *extra,
            )
            return (old - changed) | BitMap(r[0] for r in rows)

        key = f"{within}\n{expression}" if within else expression
        entry = self.expressions.get(key)
        bitmap, store = await self._current(entry, changes, build, patch)
        if store:
            self._keep_expression(key, changes.version, bitmap)
        elif key in self.expressions:
            self.expressions.move_to_end(key)
        return bitmap

    def _keep_expression(self, key: str, version: int, bitmap: BitMap) -> None:
        old = self.expressions.get(key)
        if old is None or old.version < version:
            self.expressions[key] = Entry(version, bitmap)
        self.expressions.move_to_end(key)
        while len(self.expressions) > EXPRESSION_ENTRIES:
            self.expressions.popitem(last=False)

    async def prefetch_within(
        self, conn: asyncpg.Connection, layout: sql.Layout, changes: Changes, within: str, expressions: list[str]
    ) -> None:
        """Read the match ``within`` and the parts of it each of ``expressions`` matches (the ranking rules' sets)
        that are missing or too old to patch, in one statement: one pass over the match's rows, where a statement
        per set visited them again for each (a dozen sets for a query of three words)."""

        async def missing(key: str) -> bool:
            entry = self.expressions.get(key)
            if entry is None:
                return True
            if entry.version >= changes.version:
                return False
            return await changes.since(entry.version) is None

        wanted = [e for e in dict.fromkeys(expressions) if await missing(f"{within}\n{e}")]
        if not wanted:
            return
        sets = "".join(f", array_agg(rid) FILTER (WHERE tsv @@ ${i + 2}::tsquery)" for i in range(len(wanted)))
        await conn.execute("SET LOCAL enable_seqscan = off")
        row = await conn.fetchrow(
            f"SELECT array_agg(rid){sets} FROM {layout.words} WHERE tsv @@ $1::tsquery", within, *wanted
        )
        await conn.execute("SET LOCAL enable_seqscan = on")
        assert row is not None
        if await missing(within):
            self._keep_expression(within, changes.version, BitMap(row[0] or []))
        for i, expression in enumerate(wanted):
            self._keep_expression(f"{within}\n{expression}", changes.version, BitMap(row[i + 1] or []))

    # -- filters ---------------------------------------------------------------------------------------------

    async def filtered(
        self,
        conn: asyncpg.Connection,
        layout: sql.Layout,
        changes: Changes,
        flt: Filter,
        position: dict[str, int],
        sql_filter: Callable[[Filter], Awaitable[BitMap]],
    ) -> BitMap:
        """The documents one filter keeps: the set ``FilterCompiler``'s SQL selects (``sql_filter`` for the
        filters without bitmaps: a geo radius)."""
        if isinstance(flt, (Eq, AnyOf)):
            values = [flt.value] if isinstance(flt, Eq) else list(flt.values)
            groups = await self.groups(conn, layout, changes, "k", position[flt.field])
            keys = {sql.value_key(v) for v in values}
            parts = [groups[k] for k in keys if k is not None and k in groups]
            return BitMap.union(*parts) if parts else BitMap()
        if isinstance(flt, Range):
            numbers = await self.numbers(conn, layout, changes, position[flt.field])
            key = (position[flt.field], flt.gte, flt.lte)
            kept = self.ranges.get(key)
            if kept is not None and kept[0] is numbers:  # the same column at the same version
                self.ranges.move_to_end(key)
                return kept[1]
            mask = ~np.isnan(numbers.values)
            if flt.gte is not None:
                mask &= numbers.values >= float(flt.gte)
            if flt.lte is not None:
                mask &= numbers.values <= float(flt.lte)
            found = numbers.ids(mask)
            self.ranges[key] = (numbers, found)
            self.ranges.move_to_end(key)
            while len(self.ranges) > RANGE_ENTRIES:
                self.ranges.popitem(last=False)
            return found
        if isinstance(flt, Not):
            # NOT coalesce(condition, false): documents without the field are kept, like the SQL.
            inner = await self.filtered(conn, layout, changes, flt.filter, position, sql_filter)
            return await self.everything(conn, layout, changes) - inner
        return await sql_filter(flt)


class BitmapCache:
    """The bitmaps of the indexes a backend has searched (the live generation of each)."""

    def __init__(self) -> None:
        self._indexes: dict[str, IndexBitmaps] = {}

    def generation(self, name: str, gen: str) -> IndexBitmaps:
        found = self._indexes.get(name)
        if found is None or found.gen != gen:
            found = self._indexes[name] = IndexBitmaps(gen)
        return found

    def clear(self) -> None:
        self._indexes.clear()
