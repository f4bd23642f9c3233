"""The PostgreSQL search backend: the index lives in the application's own PostgreSQL database, so every host
(web workers, the background worker, other machines) reads and writes the same index.

Full text through a generated, weighted ``tsvector`` (the ``simple`` configuration over ``fm_unaccent``, an
immutable wrapper of ``unaccent`` so it can be indexed) with a GIN index; typo candidates from ``pg_trgm`` on the
vocabulary table; the matches, totals and facets from per-process bitmaps kept current through a change log
(``postgres_bitmaps``), SQL ordering the page's candidates only. See ``postgres_sql`` for the tables and
``postgres_text`` for the text matching. Its own small asyncpg pool per event
loop (``pool_max`` connections).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import asyncpg
import numpy as np
from pyroaring import BitMap

from search_index import postgres_sql as sql
from search_index.analysis import parse_query, synonym_table
from search_index.backend import SearchBackendError
from search_index.embedded_search import highlight_value, split_sum
from search_index.index_settings import IndexSettings, check_index_name, check_query, load_index_settings
from search_index.postgres_bitmaps import BitmapCache, Changes, IndexBitmaps, Numbers, to_bitmap
from search_index.postgres_text import (
    SIMILARITY_THRESHOLD,
    WORD_SIMILARITY_THRESHOLD,
    TextPlan,
    build_plan,
)
from search_index.query import AnyOf, Eq, Filter, Hit, Not, Range, ScoreSort, SearchQuery, SearchResult, SortSpec

__all__ = ["PostgresBackend"]


def like_escape(text: str) -> str:
    """``text`` as a literal LIKE pattern (query words are letters and digits, but stay safe)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


META_TABLE = "search_index_meta"
#: Documents read per batch when a settings change reindexes the stored documents.
REINDEX_BATCH = 2000
#: Typo candidates of a query word are reused this long (a search and its facet-count queries look them up once;
#: a word indexed meanwhile by another process is found with typos at most this much later, exactly at once).
CANDIDATES_TTL_S = 5.0
CANDIDATES_CACHE_SIZE = 2048
#: work_mem of the backend's connections (one search holds a few hash tables and its candidate set).
SEARCH_WORK_MEM = "32MB"
#: Key of the advisory lock taken around schema changes (extensions, tables, swaps).
SCHEMA_LOCK = 0x5EA4C4
#: Bumped when the tables' layout changes (2: the tsvector kept in the row; 3: rids, the change log and the state
#: row of ``postgres_bitmaps``), so ``ensure_index`` rebuilds an index
#: made by an earlier version from its stored documents, as it does when the settings change.
LAYOUT_VERSION = 3


#: Versions the change log keeps (a process whose bitmaps are older rebuilds them), pruned every so many writes.
LOG_KEEP = 2000
LOG_PRUNE_EVERY = 100


def stored_fingerprint(settings: IndexSettings) -> str:
    """What the meta table records for an index: its settings and the layout of its tables."""
    return f"{settings.fingerprint}:{LAYOUT_VERSION}"


def rank_expressions(settings: IndexSettings, plan: TextPlan) -> list[str]:
    """The tsqueries of the ranking rules' sets (``rank_keys``): typo sets, proximity pairs, each word per weight,
    the last word as a prefix only."""
    levels = min(len(settings.searchable), len(sql.WEIGHT_LETTERS) + 1) - 1
    out = [e for e, _ in plan.typo_sets] + list(plan.pairs)
    if levels:
        out += [plan.attribute_query(w, sql.WEIGHT_LETTERS[i]) for w in range(len(plan.atoms)) for i in range(levels)]
    if plan.loose_last:
        out.append(plan.loose_last)
    return out


def first_by_number(part: BitMap, numbers: Numbers, descending: bool, needed: int, by_missing: bool = True) -> BitMap:
    """The documents of ``part`` up to the ``needed``-th by a numeric key, ties included: the first ``needed`` in
    any order that starts with that key are among them. The key as SQL orders it (``sort_keys``; with
    ``by_missing=False`` a tie-breaker's): documents without a value last (``by_missing``: without a text value,
    then those with a value but no number), then the number."""
    if len(part) <= needed:
        return part
    rids = np.frombuffer(part.to_array(), dtype=np.uint32).astype(np.int64)
    values = numbers.values[rids]
    absent = np.isnan(values)
    group = np.where(numbers.missing[rids], 2, np.where(absent, 1, 0)) if by_missing else absent.astype(np.int64)
    key = np.where(group == 0, -values if descending else values, 0.0)
    last = np.lexsort((key, group))[needed - 1]
    kept = (group < group[last]) | ((group == group[last]) & (key <= key[last]))
    return to_bitmap(rids[kept])


async def log_version(conn: asyncpg.Connection, layout: sql.Layout) -> int:
    """The next version of the live tables (locks their state row until the transaction ends); every
    ``LOG_PRUNE_EVERY`` versions, the log's entries older than ``LOG_KEEP`` versions are deleted."""
    version: int = await conn.fetchval(f"UPDATE {layout.state} SET version = version + 1 RETURNING version")
    if version % LOG_PRUNE_EVERY == 0:
        await conn.execute(f"DELETE FROM {layout.changes} WHERE version <= $1::bigint", version - LOG_KEEP)
    return version


class PostgresBackend:
    """Search in PostgreSQL tables ``search_<prefix>_<index>`` of the database at ``dsn``."""

    name = "postgresql"

    def __init__(self, dsn: str, prefix: str = "forestmatch", pool_max: int = 4) -> None:
        self.dsn = dsn
        self.prefix = check_index_name(prefix.lower().replace("-", "_"))
        self.pool_max = max(1, pool_max)
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncpg.Pool] = weakref.WeakKeyDictionary()
        self._pool_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._setup_done = False
        self._ensured: set[str] = set()
        self._synonyms: dict[str, dict[tuple[str, ...], list[tuple[str, ...]]]] = {}
        self._typo_candidates: OrderedDict[tuple[str, str, bool, int], tuple[float, list[str]]] = OrderedDict()
        self._bitmaps = BitmapCache()

    # -- connections -----------------------------------------------------------------------------------------

    async def _pool(self) -> asyncpg.Pool:
        """The pool of the running event loop (a pool cannot serve another loop)."""
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is not None:
            return pool
        lock = self._pool_locks.setdefault(loop, asyncio.Lock())
        async with lock:
            pool = self._pools.get(loop)
            if pool is None:
                try:
                    pool = await asyncpg.create_pool(
                        self.dsn,
                        min_size=0,
                        max_size=self.pool_max,
                        # Session defaults (the pool's RESET ALL on release keeps them).
                        server_settings={
                            "pg_trgm.similarity_threshold": str(SIMILARITY_THRESHOLD),
                            "pg_trgm.word_similarity_threshold": str(WORD_SIMILARITY_THRESHOLD),
                            # The broad searches' candidates (80k rows at 100k offers) stay in memory instead of
                            # temporary files, and their facet GROUP BYs hash in memory.
                            "work_mem": SEARCH_WORK_MEM,
                            # JIT compilation costs 50-200 ms, more than a search over 100k rows takes.
                            "jit": "off",
                        },
                    )
                except (OSError, asyncpg.PostgresError) as exc:
                    raise SearchBackendError(f"PostgreSQL search backend unreachable: {exc}") from exc
                self._pools[loop] = pool
        if not self._setup_done:
            await self._setup(pool)
        return pool

    async def _setup(self, pool: asyncpg.Pool) -> None:
        """Extensions, the immutable unaccent wrapper and the settings-fingerprint table (once per process)."""
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
            for extension in ("unaccent", "pg_trgm"):
                await conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
            schema = await conn.fetchval(
                "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
            )
            await conn.execute(
                "CREATE OR REPLACE FUNCTION fm_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
                f"STRICT AS $$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, $1) $$"
            )
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {META_TABLE} (name text PRIMARY KEY, fingerprint text NOT NULL, "
                "built timestamptz NOT NULL DEFAULT now())"
            )
        self._setup_done = True

    # -- index lifecycle -------------------------------------------------------------------------------------

    def _layout(self, index: str) -> sql.Layout:
        return sql.Layout(sql.table_name(self.prefix, index))

    async def ensure_index(self, index: str) -> None:
        """Create the index if missing; reindex the stored documents when the settings file changed."""
        settings = load_index_settings(index)
        layout = self._layout(index)
        pool = await self._pool()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
            exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", layout.docs)
            fingerprint = await conn.fetchval(f"SELECT fingerprint FROM {META_TABLE} WHERE name = $1", layout.name)
            if not exists:
                for statement in (*sql.drop_sql(layout), *sql.create_sql(layout, settings)):
                    await conn.execute(statement)
                for statement in sql.index_sql(layout, settings):
                    await conn.execute(statement)
                await self._record(conn, layout.name, settings)
                stale = False
            else:
                stale = fingerprint != stored_fingerprint(settings)
        if stale:
            await self._fill(index, settings, self._stored_batches(layout))
        self._ensured.add(index)

    @staticmethod
    async def _record(conn: asyncpg.Connection, name: str, settings: IndexSettings) -> None:
        await conn.execute(
            f"INSERT INTO {META_TABLE} (name, fingerprint) VALUES ($1, $2) "
            "ON CONFLICT (name) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, built = now()",
            name,
            stored_fingerprint(settings),
        )

    async def _stored_batches(self, layout: sql.Layout) -> AsyncIterator[list[dict[str, Any]]]:
        pool = await self._pool()
        last = ""
        while True:
            async with pool.acquire() as conn:
                rows = await conn.fetch(
                    f"SELECT id, doc::text FROM {layout.docs} WHERE id > $1 ORDER BY id LIMIT $2", last, REINDEX_BATCH
                )
            if not rows:
                return
            last = rows[-1][0]
            yield [json.loads(r[1]) for r in rows]

    async def rebuild(
        self, index: str, documents: AsyncIterator[list[dict[str, Any]]] | Iterable[list[dict[str, Any]]]
    ) -> int:
        """Fill new tables with ``documents`` (batches), then rename them over the live ones in one transaction.

        Searches use the previous tables until the swap. Changes written meanwhile go to the previous tables and
        are not carried over: replay them afterwards."""
        settings = load_index_settings(index)
        return await self._fill(index, settings, documents)

    async def _fill(
        self,
        index: str,
        settings: IndexSettings,
        documents: AsyncIterator[list[dict[str, Any]]] | Iterable[list[dict[str, Any]]],
    ) -> int:
        live = self._layout(index)
        new = sql.Layout(f"{live.name}__r{secrets.token_hex(4)}")
        pool = await self._pool()
        async with pool.acquire() as conn:
            for statement in sql.create_sql(new, settings):
                await conn.execute(statement)
        try:
            if hasattr(documents, "__aiter__"):
                async for batch in documents:
                    await self._write(pool, new, settings, list(batch), log=False)
            else:
                for batch in documents:  # type: ignore[union-attr]
                    await self._write(pool, new, settings, list(batch), log=False)
            async with pool.acquire() as conn:
                for statement in sql.index_sql(new, settings):
                    await conn.execute(statement)
                await conn.execute(f"ANALYZE {new.docs}")
                await conn.execute(f"ANALYZE {new.terms}")
                await conn.execute(f"ANALYZE {new.words}")
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
                    for statement in sql.drop_sql(live):
                        await conn.execute(statement)
                    for old_name, new_name in zip(new.tables, live.tables, strict=True):
                        await conn.execute(f"ALTER TABLE {old_name} RENAME TO {new_name}")
                    await self._record(conn, live.name, settings)
                    count: int = await conn.fetchval(f"SELECT count(*) FROM {live.docs}")
        except BaseException:
            async with pool.acquire() as conn:
                for statement in sql.drop_sql(new):
                    await conn.execute(statement)
            raise
        self._ensured.add(index)
        return count

    async def drop_index(self, index: str) -> None:
        """Delete the index's tables (tests and operations)."""
        layout = self._layout(index)
        pool = await self._pool()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
            for statement in sql.drop_sql(layout):
                await conn.execute(statement)
            await conn.execute(f"DELETE FROM {META_TABLE} WHERE name = $1", layout.name)
        self._ensured.discard(index)

    # -- writes ----------------------------------------------------------------------------------------------

    @staticmethod
    async def _write(
        pool: asyncpg.Pool,
        layout: sql.Layout,
        settings: IndexSettings,
        documents: list[dict[str, Any]],
        log: bool = True,
    ) -> None:
        """Upsert ``documents``; with ``log`` (the live tables, read by searches), bump the version and log the
        written rids in the same transaction (a rebuild's new tables start from version 0 and no log)."""
        records: dict[str, tuple[Any, ...]] = {}
        words: set[str] = set()
        for doc in documents:
            record, found = sql.document_record(doc, settings)
            records[record[0]] = record
            words |= found
        if not records:
            return
        multi = set().union(*(sql.multi_valued(r, settings) for r in records.values()))
        async with pool.acquire() as conn, conn.transaction():
            # The state row first (every writer locks it before any document: one order, no deadlocks; versions
            # commit in order, so a search that read version v has seen every change up to v).
            version = await log_version(conn, layout) if log else 0
            # Sorted, so concurrent writers take row locks in one order (no deadlocks).
            await conn.executemany(sql.upsert_sql(layout, settings), [records[k] for k in sorted(records)])
            await conn.execute(
                f"INSERT INTO {layout.words} (rid, tsv) SELECT rid, tsv FROM {layout.docs} WHERE id = ANY($1::text[]) "
                "ON CONFLICT (rid) DO UPDATE SET tsv = EXCLUDED.tsv",
                sorted(records),
            )
            if log:
                await conn.execute(
                    f"INSERT INTO {layout.changes} (version, rid) SELECT $1::bigint, rid FROM {layout.docs} "
                    "WHERE id = ANY($2::text[])",
                    version,
                    sorted(records),
                )
            await conn.execute(
                f"INSERT INTO {layout.terms} (term) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", sorted(words)
            )
            if multi:
                await conn.execute(
                    f"INSERT INTO {layout.lists} (field) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
                    sorted(multi),
                )

    async def upsert(self, index: str, documents: list[dict[str, Any]]) -> None:
        """Add or replace documents (by their ``id``)."""
        if not documents:
            return
        settings = load_index_settings(index)
        for doc in documents:  # every document checked before anything is written
            sql.document_record(doc, settings)
        if index not in self._ensured:
            await self.ensure_index(index)
        pool = await self._pool()
        try:
            await self._write(pool, self._layout(index), settings, list(documents))
        except asyncpg.UndefinedTableError:  # dropped by another process meanwhile
            self._ensured.discard(index)
            await self.ensure_index(index)
            await self._write(pool, self._layout(index), settings, list(documents))

    async def delete(self, index: str, ids: list[str]) -> None:
        """Delete documents by id; unknown ids are ignored."""
        if not ids:
            return
        pool = await self._pool()
        layout = self._layout(index)
        async with pool.acquire() as conn:
            try:
                async with conn.transaction():
                    version = await log_version(conn, layout)
                    await conn.execute(
                        f"WITH gone AS (DELETE FROM {layout.docs} WHERE id = ANY($1::text[]) RETURNING rid), "
                        f"words AS (DELETE FROM {layout.words} WHERE rid IN (SELECT rid FROM gone)) "
                        f"INSERT INTO {layout.changes} (version, rid) SELECT $2::bigint, rid FROM gone",
                        [str(i) for i in ids],
                        version,
                    )
            except asyncpg.UndefinedTableError:
                return

    # -- reads -----------------------------------------------------------------------------------------------

    async def _plan(
        self, conn: asyncpg.Connection, layout: sql.Layout, settings: IndexSettings, text: str
    ) -> TextPlan | None:
        parsed = parse_query(text)
        if not parsed.words:
            return None
        if settings.fingerprint not in self._synonyms:
            self._synonyms[settings.fingerprint] = synonym_table(settings.synonyms)

        async def candidates(word: str, prefix: bool, budget: int) -> list[str]:
            # A transposition (one typo) leaves too few trigrams in a short word ("cdero": 0.2 of "cedro"): the
            # transposed spellings are looked up as such (LIKE through the same trigram index).
            swapped = [word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)]
            if prefix:
                statement = (
                    f"SELECT term FROM {layout.terms} WHERE ($1::text <% term OR term LIKE ANY($3::text[])) "
                    "AND length(term) >= $2::int"
                )
            else:
                statement = (
                    f"SELECT term FROM {layout.terms} WHERE (term % $1::text OR term = ANY($4::text[])) "
                    "AND length(term) BETWEEN $2::int AND $3::int"
                )
            key = (layout.name, word, prefix, budget)
            now = time.monotonic()
            cached = self._typo_candidates.get(key)
            if cached is not None and now - cached[0] < CANDIDATES_TTL_S:
                return cached[1]
            args: tuple[Any, ...] = (
                (word, len(word) - budget, [like_escape(w) + "%" for w in swapped])
                if prefix
                else (word, len(word) - budget, len(word) + budget, swapped)
            )
            found = [r[0] for r in await conn.fetch(statement, *args)]
            self._typo_candidates[key] = (now, found)
            self._typo_candidates.move_to_end(key)
            while len(self._typo_candidates) > CANDIDATES_CACHE_SIZE:
                self._typo_candidates.popitem(last=False)
            return found

        return await build_plan(
            parsed,
            self._synonyms[settings.fingerprint],
            settings.one_typo,
            settings.two_typos,
            settings.typo_enabled,
            candidates,
        )

    async def search(self, index: str, query: SearchQuery) -> SearchResult:
        """Run a query (ValueError for fields the settings do not allow).

        The matches are a bitmap (the text's and each filter's documents intersected, ``postgres_bitmaps``), so the
        total and the facets are cardinalities; SQL reads the page alone: over the few candidates the first sort
        key leaves (numpy over the process's copy of that column), else over the matches by the text and filters."""
        settings = load_index_settings(index)
        check_query(query, settings)
        layout = self._layout(index)
        pool = await self._pool()
        async with pool.acquire() as conn:
            try:
                plan = await self._plan(conn, layout, settings, query.text)
                # One snapshot for the state row, the change log and every read of this search.
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    state = await conn.fetchrow(f"SELECT gen, version FROM {layout.state}")
                    assert state is not None
                    bitmaps = self._bitmaps.generation(layout.name, state["gen"])
                    changes = Changes(conn, layout, state["version"])
                    return await self._search(conn, layout, settings, query, plan, bitmaps, changes)
            except asyncpg.UndefinedTableError:
                return SearchResult([], 0, query.page, query.per_page, {f: {} for f in query.facets})

    async def _search(
        self,
        conn: asyncpg.Connection,
        layout: sql.Layout,
        settings: IndexSettings,
        query: SearchQuery,
        plan: TextPlan | None,
        bitmaps: IndexBitmaps,
        changes: Changes,
    ) -> SearchResult:
        position = {f: j for j, f in enumerate(settings.columns)}
        # Each filter once (the public listing rule and a user's filter may repeat one).
        try:
            filters = list(dict.fromkeys(query.filters))
        except TypeError:  # a filter holding a list (unhashable): kept as given
            filters = list(query.filters)

        async def sql_filter(flt: Filter) -> BitMap:
            p = sql.Params()
            condition = sql.FilterCompiler(settings, p).compile(flt)
            rows = await conn.fetch(f"SELECT d.rid FROM {layout.docs} d WHERE {condition}", *p.values)
            return BitMap(r[0] for r in rows)

        # The fields some document gave several values: their facets count every value (and their filter keys
        # derive from those groups; a single-valued field's from its first values).
        lists = await bitmaps.list_fields(conn, layout, changes)
        groups = {("v" if f in lists else "first", position[f]) for f in query.facets}
        numbers: set[int] = set()
        pending: list[Filter] = list(filters)
        while pending:
            flt = pending.pop()
            if isinstance(flt, (Eq, AnyOf)):
                groups.add(("k", position[flt.field]))
            elif isinstance(flt, Range):
                numbers.add(position[flt.field])
            elif isinstance(flt, Not):
                pending.append(flt.filter)
        if query.per_page and query.sort and isinstance(query.sort[0], SortSpec):
            numbers.add(position[query.sort[0].field])
        if query.per_page and plan and not query.sort:
            numbers.update(position[field] for field, _ in settings.tie_breakers)
        # The sort and tie-breaker columns come along with the first pass over the numbers. (Every filterable
        # field's values along with the first pass over the groups made the first search at 100k offers take 15.7 s
        # instead of about 3 s on the loaded benchmark machine: dates and references have thousands of values.)
        more_numbers = {position[f] for f in settings.sortable if f in position}
        more_numbers.update(position[f] for f, _ in settings.tie_breakers)
        list_columns = {position[f] for f in lists if f in position}
        await bitmaps.prepare(conn, layout, changes, groups, numbers, more_numbers=more_numbers, lists=list_columns)
        if plan:
            if query.per_page and not query.sort:
                # The match and its ranking rules' sets in one pass (``_relevance_page``).
                rules = rank_expressions(settings, plan)
                await bitmaps.prefetch_within(conn, layout, changes, plan.expression, rules)
            matches = await bitmaps.expression(conn, layout, changes, plan.expression)
        else:
            matches = await bitmaps.everything(conn, layout, changes)
        for flt in sorted(filters, key=lambda f: not isinstance(f, (Eq, AnyOf))):
            if not matches:
                break
            matches = matches & await bitmaps.filtered(conn, layout, changes, flt, position, sql_filter)
        total = min(len(matches), settings.max_total_hits)
        facets: dict[str, dict[str, int]] = {}
        if query.facets:
            for field in query.facets:
                kind = "v" if field in lists else "first"
                values = await bitmaps.groups(conn, layout, changes, kind, position[field])
                counted = {value: matches.intersection_cardinality(members) for value, members in values.items()}
                # At most maxValuesPerFacet values, the first in value order (as the embedded backend lists them).
                found = sorted((value, n) for value, n in counted.items() if n)
                facets[field] = dict(found[: settings.max_values_per_facet])
        offset = (query.page - 1) * query.per_page
        limit = max(0, min(query.per_page, total - offset))
        hits: list[Hit] = []
        if limit and offset < settings.max_total_hits:
            if plan and not query.sort:
                page = await self._relevance_page(conn, layout, settings, query, plan, bitmaps, changes, matches)
            else:
                needed = offset + limit
                candidates = await self._candidates(conn, layout, settings, query, bitmaps, changes, matches, needed)
                page = await self._page(conn, layout, settings, query, plan, filters, candidates)
            for doc_id, score, dist, document in page[:limit]:
                if query.ids_only:
                    hits.append(Hit(doc_id, {"id": doc_id}, score, dist))
                    continue
                highlights = {}
                for name in query.highlight:
                    value = highlight_value(document.get(name), plan)
                    if value is not None:
                        highlights[name] = value
                hits.append(Hit(doc_id, document, score, dist, highlights))
        return SearchResult(hits, total, query.page, query.per_page, facets)

    async def _relevance_page(
        self,
        conn: asyncpg.Connection,
        layout: sql.Layout,
        settings: IndexSettings,
        query: SearchQuery,
        plan: TextPlan,
        bitmaps: IndexBitmaps,
        changes: Changes,
        matches: BitMap,
    ) -> list[Any]:
        """The page of a text query in relevance order (``rank_keys``, then the tie-breakers, then the id), as the
        embedded backend walks it: the ranking rules split the matches into ordered buckets (bitmaps of their
        tsquery sets), the buckets wholly before the page are skipped by their size, and SQL orders only the
        candidates the tie-breakers leave in each bucket the page reaches."""

        async def members(expression: str) -> BitMap:
            return await bitmaps.expression(conn, layout, changes, expression, within=plan.expression)

        rules: list[Callable[[BitMap], Awaitable[list[BitMap]]]] = []
        if plan.typo_sets:
            typo_sets = plan.typo_sets

            async def typos(part: BitMap) -> list[BitMap]:
                return split_sum(part, [(await members(e), cost) for e, cost in typo_sets])

            rules.append(typos)
        if plan.pairs:
            pairs = plan.pairs

            async def proximity(part: BitMap) -> list[BitMap]:
                return split_sum(part, [(await members(e), -1) for e in pairs])

            rules.append(proximity)
        levels = min(len(settings.searchable), len(sql.WEIGHT_LETTERS) + 1) - 1
        if levels and plan.atoms:
            words = range(len(plan.atoms))

            async def attribute(part: BitMap) -> list[BitMap]:
                # Each word's level is the first weight holding it (``levels`` if none): a document's sum of levels
                # is a constant less the number of (word, level) whose weights up to that level hold the word.
                sets: list[tuple[BitMap, int]] = []
                for word in words:
                    held = BitMap()
                    for i in range(levels):
                        held = held | await members(plan.attribute_query(word, sql.WEIGHT_LETTERS[i]))
                        sets.append((held, -1))
                return split_sum(part, sets)

            rules.append(attribute)
        if plan.loose_last:
            loose = plan.loose_last

            async def exactness(part: BitMap) -> list[BitMap]:
                return split_sum(part, [(await members(loose), 1)])

            rules.append(exactness)
        offset = (query.page - 1) * query.per_page
        end = offset + query.per_page
        position = 0
        reached: list[tuple[BitMap, int, int]] = []  # (bucket, rows to skip in it, rows to take from it)

        async def walk(part: BitMap, depth: int) -> None:
            nonlocal position
            if position >= end or not part:
                return
            if position + len(part) <= offset:  # wholly before the page: never split
                position += len(part)
                return
            if depth == len(rules):
                skip = max(0, offset - position)
                reached.append((part, skip, min(len(part), end - position) - skip))
                position += len(part)
                return
            for group in await rules[depth](part):
                if position >= end:
                    break
                await walk(group, depth + 1)

        await walk(matches, 0)
        page: list[Any] = []
        tie = settings.tie_breakers[0] if settings.tie_breakers else None
        for bucket, skip, take in reached:
            candidates = bucket
            if tie is not None and len(bucket) > skip + take:
                position_of = {f: j for j, f in enumerate(settings.columns)}
                numbers = await bitmaps.numbers(conn, layout, changes, position_of[tie[0]])
                candidates = first_by_number(bucket, numbers, tie[1], skip + take, by_missing=False)
            page += await self._page(conn, layout, settings, query, plan, [], candidates, take, skip)
        return page

    @staticmethod
    async def _candidates(
        conn: asyncpg.Connection,
        layout: sql.Layout,
        settings: IndexSettings,
        query: SearchQuery,
        bitmaps: IndexBitmaps,
        changes: Changes,
        matches: BitMap,
        needed: int,
    ) -> BitMap | None:
        """The matches that can be among the first ``needed`` of the order: those up to the ``needed``-th by the
        first sort key, ties included (the keys of ``sort_keys``: documents without the field last, then the number,
        documents with a value but no number after those with one). None: no SortSpec first (SQL reads them all)."""
        first = query.sort[0] if query.sort else None
        if not isinstance(first, SortSpec):
            return None
        if len(matches) <= needed:
            return matches
        position = {f: j for j, f in enumerate(settings.columns)}
        numbers = await bitmaps.numbers(conn, layout, changes, position[first.field])
        return first_by_number(matches, numbers, first.descending, needed)

    async def _page(
        self,
        conn: asyncpg.Connection,
        layout: sql.Layout,
        settings: IndexSettings,
        query: SearchQuery,
        plan: TextPlan | None,
        filters: list[Filter],
        candidates: BitMap | None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[Any]:
        """(id, score, distance, document) of the page's rows, in the order of the query's sort, then (with text)
        the ranking rules and tie-breakers, then the id; from ``candidates`` or, when None, every match."""
        p = sql.Params()
        if candidates is not None:
            where = [f"d.rid = ANY({p(list(candidates), 'bigint[]')})"]
        else:
            compiler = sql.FilterCompiler(settings, p, indexed=plan is None)
            where = [compiler.compile(f) for f in filters]
            if plan:
                where.insert(0, f"d.tsv @@ {p(plan.expression, 'tsquery')}")
        keys, distance = sql.sort_keys(query.sort, settings, p)
        order = [f"{expr} {direction}" for expr, direction in keys]
        scored = next((s for s in query.sort if isinstance(s, ScoreSort)), None)
        score = "NULL::float8"
        rank_score = False
        if scored:
            score = sql.score_sql(scored, settings, p)
            order.append("score DESC")
        elif plan:
            # Meilisearch's rules after the sort: the buckets (typo, proximity, attribute, exactness), then the
            # settings' tie-breakers (recency). No term-frequency score decides: ts_rank (Hit.score) is computed
            # for the page's hits only.
            rank_score = True
            order += [f"{expr} {direction}" for expr, direction in sql.rank_keys(settings, plan, p)]
            order += [f"{expr} {direction}" for expr, direction in sql.tie_breaker_keys(settings)]
        order.append("d.id")
        where_sql = " WHERE " + " AND ".join(where) if where else ""
        if offset is None:
            offset = (query.page - 1) * query.per_page
        if limit is None:
            limit = query.per_page
        source = (
            f"SELECT d.id, {score} AS score, {distance or 'NULL::float8'} AS dist FROM {layout.docs} d{where_sql} "
            f"ORDER BY {', '.join(order)} LIMIT {int(limit)} OFFSET {int(offset)}"
        )
        page = f"SELECT id, score, dist, row_number() OVER () AS ord FROM ({source}) top"
        document = "NULL::jsonb" if query.ids_only else "s.doc"
        join = "" if query.ids_only and not rank_score else f" JOIN {layout.docs} s ON s.id = pg.id"
        score_out = "pg.score"
        if rank_score and plan:
            score_out = f"ts_rank('{sql.RANK_WEIGHTS}', s.tsv, {p(plan.expression, 'tsquery')})"
        statement = (
            f"SELECT json_agg(json_build_array(pg.id, {score_out}, pg.dist, {document}) ORDER BY pg.ord) "
            f"FROM ({page}) pg{join}"
        )
        if plan and candidates is None:
            # The planner cannot estimate how many rows a tsquery of prefixes, phrases and alternatives keeps, and
            # often guesses a sequential scan (every row's tsvector decompressed and tested: 10x slower at 10k
            # offers than the GIN index's bitmap).
            await conn.execute("SET LOCAL enable_seqscan = off")
        found = await conn.fetchval(statement, *p.values)
        return json.loads(found) if found else []

    async def count(self, index: str) -> int:
        """Number of documents in the index (0 when it does not exist)."""
        check_index_name(index)
        pool = await self._pool()
        async with pool.acquire() as conn:
            try:
                return int(await conn.fetchval(f"SELECT count(*) FROM {self._layout(index).docs}"))
            except asyncpg.UndefinedTableError:
                return 0

    async def health(self) -> bool:
        """True when the database answers."""
        try:
            pool = await self._pool()
            async with pool.acquire() as conn:
                return bool(await conn.fetchval("SELECT true"))
        except (OSError, asyncpg.PostgresError, SearchBackendError):
            return False

    async def close(self) -> None:
        """Close this loop's pool; pools of other (finished) loops are terminated."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        for pool_loop, pool in list(self._pools.items()):
            if pool_loop is loop:
                await pool.close()
            else:
                pool.terminate()
        self._pools.clear()
