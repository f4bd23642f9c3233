"""The PostgreSQL search backend: the index lives in the application's own PostgreSQL database, so every host
(web workers, the background worker, other machines) reads and writes the same index.

Full text through a generated, weighted ``tsvector`` (the ``simple`` configuration over ``fm_unaccent``, an
immutable wrapper of ``unaccent`` so it can be indexed) with a GIN index; typo candidates from ``pg_trgm`` on the
vocabulary table; filters on GIN-indexed arrays; facets, totals and the page in one statement. See
``postgres_sql`` for the tables and ``postgres_text`` for the text matching. Its own small asyncpg pool per event
loop (``pool_max`` connections).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from typing import Any

import asyncpg

from search_index import postgres_sql as sql
from search_index.analysis import parse_query, synonym_table
from search_index.backend import SearchBackendError
from search_index.embedded_search import highlight_value
from search_index.index_settings import IndexSettings, check_index_name, check_query, load_index_settings
from search_index.postgres_text import (
    SIMILARITY_THRESHOLD,
    WORD_SIMILARITY_THRESHOLD,
    TextPlan,
    build_plan,
)
from search_index.query import Hit, ScoreSort, SearchQuery, SearchResult

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
#: Bumped when the tables' layout changes (2: the tsvector kept in the row), so ``ensure_index`` rebuilds an index
#: made by an earlier version from its stored documents, as it does when the settings change.
LAYOUT_VERSION = 2


def stored_fingerprint(settings: IndexSettings) -> str:
    """What the meta table records for an index: its settings and the layout of its tables."""
    return f"{settings.fingerprint}:{LAYOUT_VERSION}"


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
        self._candidates: OrderedDict[tuple[str, str, bool, int], tuple[float, list[str]]] = OrderedDict()

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
                    await self._write(pool, new, settings, list(batch))
            else:
                for batch in documents:  # type: ignore[union-attr]
                    await self._write(pool, new, settings, list(batch))
            async with pool.acquire() as conn:
                for statement in sql.index_sql(new, settings):
                    await conn.execute(statement)
                await conn.execute(f"ANALYZE {new.docs}")
                await conn.execute(f"ANALYZE {new.terms}")
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
                    for statement in sql.drop_sql(live):
                        await conn.execute(statement)
                    await conn.execute(f"ALTER TABLE {new.docs} RENAME TO {live.docs}")
                    await conn.execute(f"ALTER TABLE {new.terms} RENAME TO {live.terms}")
                    await conn.execute(f"ALTER TABLE {new.lists} RENAME TO {live.lists}")
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
        pool: asyncpg.Pool, layout: sql.Layout, settings: IndexSettings, documents: list[dict[str, Any]]
    ) -> None:
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
            # Sorted, so concurrent writers take row locks in one order (no deadlocks).
            await conn.executemany(sql.upsert_sql(layout, settings), [records[k] for k in sorted(records)])
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
        async with pool.acquire() as conn:
            try:
                await conn.execute(
                    f"DELETE FROM {self._layout(index).docs} WHERE id = ANY($1::text[])", [str(i) for i in ids]
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
            cached = self._candidates.get(key)
            if cached is not None and now - cached[0] < CANDIDATES_TTL_S:
                return cached[1]
            args: tuple[Any, ...] = (
                (word, len(word) - budget, [like_escape(w) + "%" for w in swapped])
                if prefix
                else (word, len(word) - budget, len(word) + budget, swapped)
            )
            found = [r[0] for r in await conn.fetch(statement, *args)]
            self._candidates[key] = (now, found)
            self._candidates.move_to_end(key)
            while len(self._candidates) > CANDIDATES_CACHE_SIZE:
                self._candidates.popitem(last=False)
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
        """Run a query (ValueError for fields the settings do not allow)."""
        settings = load_index_settings(index)
        check_query(query, settings)
        layout = self._layout(index)
        pool = await self._pool()
        async with pool.acquire() as conn:
            try:
                plan = await self._plan(conn, layout, settings, query.text)
                async with conn.transaction(readonly=True):
                    lists: set[str] = set()
                    if query.facets:
                        lists = {r[0] for r in await conn.fetch(f"SELECT field FROM {layout.lists}")}
                    statement, params = self._statement(layout, settings, query, plan, lists)
                    if plan:
                        # The planner cannot estimate how many rows a tsquery of prefixes, phrases and alternatives
                        # keeps, and often guesses a sequential scan (every row's tsvector decompressed and tested:
                        # 10x slower at 10k offers than the GIN index's bitmap).
                        await conn.execute("SET LOCAL enable_seqscan = off")
                    row = await conn.fetchrow(statement, *params)
            except asyncpg.UndefinedTableError:
                return SearchResult([], 0, query.page, query.per_page, {f: {} for f in query.facets})
        assert row is not None
        groups: list[dict[str, int]] = [{} for _ in query.facets]
        if query.facets:
            single = [i for i, f in enumerate(query.facets) if f not in lists]
            width = len(single)
            everything = (1 << width) - 1
            counted_total = 0
            for bits, counted, *values in json.loads(row["facets"]):
                # GROUPING() has a 0 bit for the grouped column, the first column being the highest bit.
                if bits == everything:
                    counted_total = int(counted or 0)  # sum() of no rows is NULL
                    continue
                k = next(k for k in range(width) if not bits & (1 << (width - 1 - k)))
                if values[k] is not None:
                    groups[single[k]][values[k]] = int(counted)
            for i, field in enumerate(query.facets):
                if field in lists:
                    groups[i] = {value: int(counted) for value, counted in json.loads(row[f"facet{i}"])}
            total = min(counted_total, settings.max_total_hits)
        else:
            total = min(row["total"], settings.max_total_hits)
        offset = (query.page - 1) * query.per_page
        limit = max(0, min(query.per_page, total - offset))
        page = json.loads(row["page"])[:limit] if row["page"] else []
        # At most maxValuesPerFacet values per facet, the first in value order (as the embedded backend lists them).
        facets = {
            field: dict(sorted(groups[i].items())[: settings.max_values_per_facet])
            for i, field in enumerate(query.facets)
        }
        hits = []
        for doc_id, score, dist, document in page:
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

    def _statement(
        self,
        layout: sql.Layout,
        settings: IndexSettings,
        query: SearchQuery,
        plan: TextPlan | None,
        lists: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> tuple[str, list[Any]]:
        """One statement: the total, the page (as JSON) and every facet (as JSON)."""
        p = sql.Params()
        compiler = sql.FilterCompiler(settings, p, indexed=plan is None)
        # Each filter once (the public listing rule and a user's filter may repeat one: a test per row each).
        try:
            filters = list(dict.fromkeys(query.filters))
        except TypeError:  # a filter holding a list (unhashable): kept as given
            filters = list(query.filters)
        where = [compiler.compile(f) for f in filters]
        columns = ["d.id"]
        order: list[str] = []
        rank_score = False
        if plan:
            tsquery = p(plan.expression, "tsquery")
            where.insert(0, f"d.tsv @@ {tsquery}")
        keys, distance = sql.sort_keys(query.sort, settings, p)
        columns += [f"{expr} AS o{i}" for i, (expr, _) in enumerate(keys)]
        order += [f"o{i} {direction}" for i, (_, direction) in enumerate(keys)]
        columns.append(f"{distance} AS dist" if distance else "NULL::float8 AS dist")
        scored = next((s for s in query.sort if isinstance(s, ScoreSort)), None)
        if scored:
            columns.append(f"{sql.score_sql(scored, settings, p)} AS score")
            order.append("score DESC")
        elif plan and query.per_page:
            # Meilisearch's rules after the sort: the buckets (typo, proximity, attribute, exactness), then the
            # settings' tie-breakers (recency). No term-frequency score decides: ts_rank (Hit.score) is computed
            # for the page's hits only (on every match it cost more than all the buckets together).
            rank_score = True
            for i, (expr, direction) in enumerate(sql.rank_keys(settings, plan, p)):
                columns.append(f"{expr} AS r{i}")
                order.append(f"r{i} {direction}")
            columns.append("NULL::float8 AS score")
            for i, (expr, direction) in enumerate(sql.tie_breaker_keys(settings)):
                columns.append(f"{expr} AS t{i}")
                order.append(f"t{i} {direction}")
        else:
            columns.append("NULL::float8 AS score")
        order.append("id")
        position = {f: j for j, f in enumerate(settings.columns)}
        columns += [f"d.v{position[f]} AS a{i}" for i, f in enumerate(query.facets)]
        where_sql = " WHERE " + " AND ".join(where) if where else ""
        offset = (query.page - 1) * query.per_page
        parts = ["(SELECT count(*) FROM cand) AS total"]
        # Without text or a ScoreSort, the page is read from the table in index order (the id, or a sort's
        # "missing last" index) until it is full, not sorted out of every match.
        direct = not plan and not scored
        uses = 0 if query.facets else 1  # how often the statement reads the candidates (materialised if twice)
        if query.per_page and offset < settings.max_total_hits:
            document = "NULL::jsonb" if query.ids_only else "s.doc"
            if direct:
                order_exprs = [f"{expr} {direction}" for expr, direction in keys] + ["d.id"]
                source = (
                    f"SELECT d.id, NULL::float8 AS score, {distance or 'NULL::float8'} AS dist FROM {layout.docs} d"
                    f"{where_sql} ORDER BY {', '.join(order_exprs)}"
                )
            else:
                uses += 1
                source = f"SELECT id, score, dist FROM cand ORDER BY {', '.join(order)}"
            page = (
                "SELECT id, score, dist, row_number() OVER () AS ord FROM "
                f"({source} LIMIT {int(query.per_page)} OFFSET {int(offset)}) top"
            )
            join = "" if query.ids_only and not rank_score else f" JOIN {layout.docs} s ON s.id = pg.id"
            score = f"ts_rank('{sql.RANK_WEIGHTS}', s.tsv, {tsquery})" if rank_score else "pg.score"
            parts.append(
                f"(SELECT json_agg(json_build_array(pg.id, {score}, pg.dist, {document}) ORDER BY pg.ord) "
                f"FROM ({page}) pg{join}) AS page"
            )
        else:
            parts.append("NULL::json AS page")
        combos = ""
        if query.facets:
            # The total and every facet from one GROUP BY of the candidates over all the facet columns (a few
            # thousand combinations at 100k offers: one hash lookup per row, where grouping sets over the rows took
            # one per facet), then summed per facet: through grouping sets for the fields with one value per
            # document (the empty set is the total), through their elements for fields some document gave several.
            uses += 1
            width = len(query.facets)
            keys_ = ", ".join(
                f"cand.a{i} AS f{i}" if f in lists else f"cand.a{i}[1] AS f{i}" for i, f in enumerate(query.facets)
            )
            combos = (
                f", combos AS MATERIALIZED (SELECT {keys_}, count(*) AS n FROM cand "
                f"GROUP BY {', '.join(str(i + 1) for i in range(width))})"
            )
            single = [i for i, f in enumerate(query.facets) if f not in lists]
            grouped = ", ".join(f"f{i}" for i in single)
            sets = ", ".join([*(f"(f{i})" for i in single), "()"])
            fields = "".join(f", s.f{i}" for i in single)
            parts[0] = (
                f"(SELECT coalesce(json_agg(json_build_array(s.g, s.n{fields})), '[]') FROM "
                f"(SELECT {f'GROUPING({grouped})' if single else '0'} AS g{''.join(f', f{i}' for i in single)}, "
                f"sum(n) AS n FROM combos GROUP BY GROUPING SETS ({sets})) s) AS facets"
            )
            for i, field in enumerate(query.facets):
                if field in lists:
                    parts.append(
                        f"(SELECT coalesce(json_agg(json_build_array(x.v, x.n)), '[]') FROM (SELECT v, sum(n) AS n "
                        f"FROM combos, unnest(combos.f{i}) v GROUP BY v) x) AS facet{i}"
                    )
        materialized = "MATERIALIZED" if uses > 1 else "NOT MATERIALIZED"
        statement = (
            f"WITH cand AS {materialized} (SELECT {', '.join(columns)} FROM {layout.docs} d{where_sql}){combos} "
            f"SELECT {', '.join(parts)}"
        )
        return statement, p.values

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
