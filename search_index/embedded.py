"""The embedded search backend: SQLite FTS5 in one file per deployment, no server.

Every SQLite call runs in a worker thread (``anyio.to_thread.run_sync``) on one of a few pooled connections; writes
are serialised by a lock and ``BEGIN IMMEDIATE`` (WAL mode, so searches never wait for writers). See
``embedded_store`` for the tables and ``analysis`` for the Meilisearch-like text matching.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

import anyio
import anyio.to_thread

from search_index import embedded_store as store
from search_index.analysis import MatchPlan, Vocabulary, build_match, parse_query, synonym_table
from search_index.embedded_bitmaps import BitmapCache, Changes, GenerationBitmaps
from search_index.embedded_conn import CONNECTIONS, SYNC_WRITE_WAIT_S, IndexBusy, PooledConnections
from search_index.embedded_search import Row, Stats, run_search
from search_index.index_settings import IndexSettings, check_index_name, check_query, load_index_settings
from search_index.query import SearchQuery, SearchResult

__all__ = ["EmbeddedBackend", "IndexBusy"]

T = TypeVar("T")
REBUILD_BATCH = 2000
#: Searches whose counts and facets, and pages whose hits, are kept per process at most (each a separate bound), and
#: the bytes they may hold together (estimated by ``_stats_bytes`` and ``_rows_bytes``: about 2 KB a search with its
#: seven facets, 3 KB a page of 20). A request of the search page or API makes 2-5 searches (the main one and one
#: per filtered facet group), so a count of 512 held the searches of about 150 distinct URLs: a visitor cycling
#: through more found every one evicted. The memory is the bound now: 16 MB hold about 5,000 URLs' searches.
STATS_CACHE_SIZE = 65536
STATS_CACHE_BYTES = 16_000_000
#: Match plans kept per process (a few KB each).
PLAN_CACHE_SIZE = 1024


def _remember(cache: OrderedDict[tuple[Any, ...], T], key: tuple[Any, ...], value: T, size: int) -> None:
    if size <= 0:
        return
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > size:
        cache.popitem(last=False)


def _key_bytes(key: tuple[Any, ...]) -> int:
    """About what a cache key holds: its text and one small object per filter and facet (150 bytes each)."""
    return 200 + sum(
        len(part) if isinstance(part, str) else 150 * len(part) if isinstance(part, tuple) else 32 for part in key
    )


def _stats_bytes(stats: Stats) -> int:
    """About what a search's total and facet counts hold in Python objects (a dict entry, a short string and an int
    per facet value: about 120 bytes)."""
    return 100 + sum(250 + 120 * len(values) for values in stats[1].values())


def _rows_bytes(rows: list[Row]) -> int:
    """About what a page's hits hold: a tuple of (rid, id, score, distance) per hit."""
    return 60 + 180 * len(rows)


class _Kept(Generic[T]):
    """Least recently used entries, at most ``entries`` of them holding at most ``budget`` bytes (as estimated by the
    caller). Not locked: the backend holds ``_stats_lock`` around every call."""

    def __init__(self, entries: int, budget: int) -> None:
        self.entries, self.budget = entries, budget
        self.held = 0
        self._items: OrderedDict[tuple[Any, ...], tuple[T, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple[Any, ...]) -> T | None:
        found = self._items.get(key)
        if found is None:
            return None
        self._items.move_to_end(key)
        return found[0]

    def put(self, key: tuple[Any, ...], value: T, size: int) -> None:
        if self.entries <= 0 or size > self.budget:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.held -= old[1]
        self._items[key] = (value, size)
        self.held += size
        while len(self._items) > self.entries or self.held > self.budget:
            self.held -= self._items.popitem(last=False)[1][1]


class EmbeddedBackend(PooledConnections):
    """Search in a local SQLite file (``<directory>/<prefix>-search.sqlite3``)."""

    name = "embedded"

    def __init__(
        self,
        directory: Path,
        prefix: str = "forestmatch",
        cache_entries: int = STATS_CACHE_SIZE,
        use_bitmaps: bool = True,
    ) -> None:
        #: Queries whose counts, facets and page hits are kept per index version (0: none, every search computed),
        #: within STATS_CACHE_BYTES.
        self.cache_entries = cache_entries
        #: Totals, facets and ranking buckets from per-process bitmaps (False: every search by SQL alone, as the
        #: tests compare them).
        self.use_bitmaps = use_bitmaps
        self.path = Path(directory) / f"{check_index_name(prefix.lower().replace('-', '_'))}-search.sqlite3"
        self._write_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(CONNECTIONS)
        self._idle: list[sqlite3.Connection] = []
        self._epoch = 0
        self._connections_lock = threading.Lock()
        self._vocab_lock = threading.Lock()
        self._vocabularies: dict[tuple[str, int, float], Vocabulary] = {}
        #: Plans built for a text, per vocabulary state (a plan depends on the words the index holds, which only
        #: grow within a generation): repeated and paged searches of a word skip the typo expansion.
        self._plans: OrderedDict[tuple[Any, ...], MatchPlan] = OrderedDict()
        self._synonyms: dict[str, dict[tuple[str, ...], list[tuple[str, ...]]]] = {}
        self._ensured: set[str] = set()
        self._initialised = False
        self._stats: _Kept[Stats] = _Kept(cache_entries, STATS_CACHE_BYTES // 2)
        self._pages: _Kept[list[Row]] = _Kept(cache_entries, STATS_CACHE_BYTES // 2)
        self._stats_lock = threading.Lock()
        #: Documents per filter value and per full-text expression of each live generation (embedded_bitmaps).
        self._bitmaps = BitmapCache()

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(partial(func, *args))

    @staticmethod
    def _active(conn: sqlite3.Connection, index: str) -> tuple[store.Layout, str, float, int] | None:
        """The live generation: its tables, settings fingerprint, creation time and change counter."""
        row = conn.execute(
            "SELECT gen, fingerprint, started, version FROM fm_generations WHERE index_name = ? AND state = 'active'",
            (index,),
        ).fetchone()
        return (store.Layout(index, row[0]), row[1], row[2], row[3]) if row else None

    # -- index lifecycle -------------------------------------------------------------------------------------

    def _new_generation(
        self, conn: sqlite3.Connection, index: str, settings: IndexSettings, state: str
    ) -> store.Layout:
        gen = conn.execute("SELECT coalesce(max(gen), 0) + 1 FROM fm_generations WHERE index_name = ?", (index,))
        layout = store.Layout(index, gen.fetchone()[0])
        store.drop_tables(conn, layout)
        store.create_tables(conn, layout, settings)
        conn.execute(
            "INSERT INTO fm_generations(index_name, gen, fingerprint, state, started) VALUES (?, ?, ?, ?, ?)",
            (index, layout.gen, settings.fingerprint, state, time.time()),
        )
        return layout

    def _ensure(self, index: str, settings: IndexSettings) -> tuple[store.Layout, store.Layout] | None:
        """Create the index if missing. When the settings file changed, start reindexing the stored documents:
        returns the (source, target) generations, unless another process is already doing it."""
        with self._transaction(write=True, wait_s=SYNC_WRITE_WAIT_S) as conn:
            active = self._active(conn, index)
            if active is None:
                layout = self._new_generation(conn, index, settings, "active")
                store.create_indexes(conn, layout, settings)
                return None
            if active[1] == settings.fingerprint:
                return None
            busy = conn.execute(
                "SELECT 1 FROM fm_generations WHERE index_name = ? AND state = 'building' AND fingerprint = ? "
                "AND started > ?",
                (index, settings.fingerprint, time.time() - 3600),
            ).fetchone()
            if busy:
                return None
            return active[0], self._new_generation(conn, index, settings, "building")

    async def ensure_index(self, index: str) -> None:
        """Create the index if missing; reindex the stored documents when the settings file changed."""
        settings = load_index_settings(index)
        job = await self._run(self._ensure, index, settings)
        if job:
            await self._fill(job[1], settings, self._stored_batches(job[0]))
        self._ensured.add(index)

    async def _stored_batches(self, source: store.Layout) -> AsyncIterator[list[dict[str, Any]]]:
        def read(after: int) -> list[tuple[int, dict[str, Any]]]:
            with self._transaction(write=False) as conn:
                sql = f"SELECT rid, doc FROM {source.source} WHERE rid > ? ORDER BY rid LIMIT ?"
                codec = store.read_codec(conn, source)
                return [(rid, codec.load(doc)) for rid, doc in conn.execute(sql, (after, REBUILD_BATCH))]

        last = 0
        while rows := await self._run(read, last):
            last = rows[-1][0]
            yield [doc for _, doc in rows]

    def _start_rebuild(self, index: str, settings: IndexSettings) -> store.Layout:
        with self._transaction(write=True) as conn:
            # Generations left 'building' by a crashed rebuild more than an hour ago are abandoned.
            stale = conn.execute(
                "SELECT gen FROM fm_generations WHERE index_name = ? AND state = 'building' AND started < ?",
                (index, time.time() - 3600),
            ).fetchall()
            for (gen,) in stale:
                store.drop_tables(conn, store.Layout(index, gen))
                conn.execute(
                    "UPDATE fm_generations SET state = 'dropped' WHERE index_name = ? AND gen = ?", (index, gen)
                )
            return self._new_generation(conn, index, settings, "building")

    def _write_batch(self, layout: store.Layout, settings: IndexSettings, documents: list[dict[str, Any]]) -> None:
        with self._transaction(write=True) as conn:
            store.write_documents(conn, layout, settings, documents, log=False)

    def _finish_rebuild(self, layout: store.Layout, settings: IndexSettings) -> int:
        # The sorts that build the secondary indexes spill to temporary files, which the connections' temp_store
        # MEMORY would hold in the process (an index being sorted is tens of MB at a million documents).
        with self._transaction(write=True, temp_files=True) as conn:
            store.create_indexes(conn, layout, settings)
            store.analyze(conn, layout)
            old = self._active(conn, layout.index)
            conn.execute(
                "UPDATE fm_generations SET state = 'dropped' WHERE index_name = ? AND state = 'active'", (layout.index,)
            )
            conn.execute(
                "UPDATE fm_generations SET state = 'active' WHERE index_name = ? AND gen = ?",
                (layout.index, layout.gen),
            )
            count: int = conn.execute(f"SELECT count(*) FROM {layout.docs}").fetchone()[0]
        if old is not None:
            # Searches that began before the switch keep reading the old tables from their WAL snapshot.
            with self._transaction(write=True) as conn:
                store.drop_tables(conn, old[0])
            self._compact()
        return count

    def _compact(self) -> None:
        """Give the dropped generation's pages back when they are most of the file (after a rebuild the file held
        both generations: 993 MB for 308 MB in use at 200,000 offers). VACUUM builds the copy in a temporary file,
        not in memory, so the process does not grow by the index's size; searches keep reading their snapshot. A
        busy file is left as it is: its free pages are reused by later writes."""
        with self._connection() as conn, self._write_lock:
            free = conn.execute("PRAGMA freelist_count").fetchone()[0]
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            if not pages or free * 2 <= pages:
                return
            conn.execute("PRAGMA temp_store = FILE")
            try:
                conn.execute("VACUUM")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.OperationalError:
                pass
            finally:
                conn.execute("PRAGMA temp_store = MEMORY")

    def _abandon(self, layout: store.Layout) -> None:
        with self._transaction(write=True) as conn:
            store.drop_tables(conn, layout)
            conn.execute(
                "UPDATE fm_generations SET state = 'dropped' WHERE index_name = ? AND gen = ?",
                (layout.index, layout.gen),
            )

    async def rebuild(
        self, index: str, documents: AsyncIterator[list[dict[str, Any]]] | Iterable[list[dict[str, Any]]]
    ) -> int:
        """Fill a new generation with ``documents`` (batches), then make it the live one; returns its size.

        Searches keep using the previous generation until the switch. Changes written to the index while a
        rebuild runs go to the previous generation and are not carried over: replay them afterwards."""
        settings = load_index_settings(index)
        layout = await self._run(self._start_rebuild, index, settings)
        return await self._fill(layout, settings, documents)

    async def _fill(
        self,
        layout: store.Layout,
        settings: IndexSettings,
        documents: AsyncIterator[list[dict[str, Any]]] | Iterable[list[dict[str, Any]]],
    ) -> int:
        try:
            if hasattr(documents, "__aiter__"):
                async for batch in documents:
                    await self._run(self._write_batch, layout, settings, list(batch))
            else:
                for batch in documents:  # type: ignore[union-attr]
                    await self._run(self._write_batch, layout, settings, list(batch))
            count = await self._run(self._finish_rebuild, layout, settings)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._run(self._abandon, layout)
            raise
        self._ensured.add(layout.index)
        return count

    # -- writes ----------------------------------------------------------------------------------------------

    def _upsert(self, index: str, settings: IndexSettings, documents: list[dict[str, Any]]) -> None:
        with self._transaction(write=True, wait_s=SYNC_WRITE_WAIT_S) as conn:
            active = self._active(conn, index)
            layout = active[0] if active else self._new_generation(conn, index, settings, "active")
            if not active:
                store.create_indexes(conn, layout, settings)
            store.write_documents(conn, layout, settings, documents)

    async def upsert(self, index: str, documents: list[dict[str, Any]]) -> None:
        """Add or replace documents (by their ``id``)."""
        if not documents:
            return
        if index not in self._ensured:
            await self.ensure_index(index)
        await self._run(self._upsert, index, load_index_settings(index), list(documents))

    def _delete(self, index: str, settings: IndexSettings, ids: list[str]) -> None:
        with self._transaction(write=True, wait_s=SYNC_WRITE_WAIT_S) as conn:
            active = self._active(conn, index)
            if active:
                store.delete_documents(conn, active[0], settings, ids)

    async def delete(self, index: str, ids: list[str]) -> None:
        """Delete documents by id; unknown ids are ignored."""
        if ids:
            await self._run(self._delete, index, load_index_settings(index), [str(i) for i in ids])

    # -- reads -----------------------------------------------------------------------------------------------

    def _plan(
        self, conn: sqlite3.Connection, active: tuple[store.Layout, str, float, int], settings: IndexSettings, text: str
    ) -> MatchPlan | None:
        parsed = parse_query(text)
        if not parsed.words:
            return None
        layout = active[0]
        key = (layout.index, layout.gen, active[2])
        with self._vocab_lock:
            vocabulary = self._vocabularies.get(key)
            if vocabulary is None:
                self._vocabularies = {k: v for k, v in self._vocabularies.items() if k[0] != layout.index}
                vocabulary = self._vocabularies[key] = Vocabulary()
            rows = conn.execute(
                f"SELECT tid, term FROM {layout.terms} WHERE tid > ? ORDER BY tid", (vocabulary.last_id,)
            )
            new = rows.fetchall()
            if new:
                vocabulary.add((t for _, t in new), new[-1][0])
            plan_key = (*key, vocabulary.last_id, settings.fingerprint, text)
            plan = self._plans.get(plan_key)
            if plan is not None:
                self._plans.move_to_end(plan_key)
                return plan
            if settings.fingerprint not in self._synonyms:
                self._synonyms[settings.fingerprint] = synonym_table(settings.synonyms)
            plan = build_match(
                parsed,
                vocabulary,
                self._synonyms[settings.fingerprint],
                settings.one_typo,
                settings.two_typos,
                settings.typo_enabled,
                settings.place_columns,
            )
            _remember(self._plans, plan_key, plan, PLAN_CACHE_SIZE)
            return plan

    def _search(self, index: str, settings: IndexSettings, queries: list[SearchQuery]) -> list[SearchResult]:
        """Each query's result, all from one read transaction (one snapshot of the index)."""
        with self._transaction(write=False) as conn:
            active = self._active(conn, index)
            if active is None:
                return [SearchResult([], 0, q.page, q.per_page, {f: {} for f in q.facets}) for q in queries]
            list_fields = {r[0] for r in conn.execute(f"SELECT field FROM {active[0].lists}")}
            bitmaps = None
            if self.use_bitmaps:
                bitmaps = (self._bitmaps.generation(active[0], active[2]), Changes(conn, active[0], active[3]))
            plans: dict[str, MatchPlan | None] = {}  # a request's queries mostly share their text
            results = []
            for query in queries:
                if query.text not in plans:
                    plans[query.text] = self._plan(conn, active, settings, query.text)
                plan = plans[query.text]
                results.append(self._search_one(conn, index, settings, query, plan, active, list_fields, bitmaps))
            return results

    def _search_one(
        self,
        conn: sqlite3.Connection,
        index: str,
        settings: IndexSettings,
        query: SearchQuery,
        plan: MatchPlan | None,
        active: tuple[store.Layout, str, float, int],
        list_fields: set[str],
        bitmaps: tuple[GenerationBitmaps, Changes] | None,
    ) -> SearchResult:
        # Counts and facets, and the hits of each page (ids and scores, not documents), are cached per index
        # version (every write bumps it): paging and repeated searches skip them, and never see stale results.
        key = (index, active[0].gen, active[2], active[3], query.text, query.filters, query.facets)
        page_key = (*key, query.sort, query.page, query.per_page)
        with self._stats_lock:
            stats = self._stats.get(key)
            rows = self._pages.get(page_key)
        result, stats, rows = run_search(conn, active[0], settings, query, plan, list_fields, stats, rows, bitmaps)
        if self.cache_entries > 0:
            key_bytes = _key_bytes(key)
            with self._stats_lock:
                self._stats.put(key, stats, key_bytes + _stats_bytes(stats))
                # Large pages (the matcher's candidate ids, one set per request and moment) would only churn it.
                if query.per_page <= 100:
                    self._pages.put(page_key, rows, key_bytes + 100 + _rows_bytes(rows))
        return result

    async def search(self, index: str, query: SearchQuery) -> SearchResult:
        """Run a query (ValueError for fields the settings do not allow)."""
        settings = load_index_settings(index)
        check_query(query, settings)
        return (await self._run(self._search, index, settings, [query]))[0]

    async def search_many(self, index: str, queries: list[SearchQuery]) -> list[SearchResult]:
        """Run several queries on one snapshot of the index, in one worker-thread call (ValueError for fields the
        settings do not allow, before any runs): what ``search`` answers for each. A search request makes 2-5
        queries (the main one and one per filtered facet group); one thread hop and one read transaction for them
        all, instead of one each, saved about a sixth of a request's CPU time at 100,000 offers."""
        settings = load_index_settings(index)
        for query in queries:
            check_query(query, settings)
        return await self._run(self._search, index, settings, list(queries))

    def _count(self, index: str) -> int:
        with self._transaction(write=False) as conn:
            active = self._active(conn, index)
            return conn.execute(f"SELECT count(*) FROM {active[0].docs}").fetchone()[0] if active else 0

    async def count(self, index: str) -> int:
        """Number of documents in the index (0 when it does not exist)."""
        check_index_name(index)
        return await self._run(self._count, index)

    def _drop_index(self, index: str) -> None:
        with self._transaction(write=True) as conn:
            for (gen,) in conn.execute(
                "SELECT gen FROM fm_generations WHERE index_name = ? AND state != 'dropped'", (index,)
            ).fetchall():
                store.drop_tables(conn, store.Layout(index, gen))
            conn.execute("UPDATE fm_generations SET state = 'dropped' WHERE index_name = ?", (index,))

    async def drop_index(self, index: str) -> None:
        """Delete the index and its documents (not part of the protocol; for tests and operations)."""
        await self._run(self._drop_index, check_index_name(index))
        self._ensured.discard(index)

    def _health(self) -> bool:
        with self._transaction(write=False) as conn:
            return conn.execute("SELECT 1").fetchone()[0] == 1

    async def health(self) -> bool:
        try:
            return await self._run(self._health)
        except (sqlite3.Error, OSError):
            return False

    async def close(self) -> None:
        """Close the pooled connections (later calls open new ones; connections in use close when released)."""
        with self._connections_lock:
            connections, self._idle = self._idle, []
            self._epoch += 1
        for conn in connections:
            conn.close()
