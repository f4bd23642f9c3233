"""Database engine selection and transaction helpers (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import aiosqlite
from piccolo.columns.column_types import JSON, JSONB
from piccolo.columns.defaults.base import Default
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory
from piccolo.utils.encoding import dump_json

from app.settings import Settings, get_settings

SQLITE_BUSY_TIMEOUT_S = 30.0


class ForestSQLiteEngine(SQLiteEngine):
    """SQLite engine with WAL journaling, a busy timeout, and reused connections for queries outside transactions.

    Piccolo opens a new aiosqlite connection (and thread) for every query outside a transaction, which costs
    about a millisecond each; keeping a few idle connections makes page reads several times cheaper.
    Connections are checked out exclusively and never waited for, so no queue is bound to an event loop.
    """

    def __init__(self, path: str, idle_connections: int = 32) -> None:
        super().__init__(path=path, timeout=SQLITE_BUSY_TIMEOUT_S)
        self._wal_ready = False
        self._idle: list[aiosqlite.Connection] = []
        self._idle_max = idle_connections

    async def _open(self) -> aiosqlite.Connection:
        pending = aiosqlite.connect(**self.connection_kwargs)
        # Idle connections must not keep the interpreter alive at exit.
        pending._thread.daemon = True
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def _run_in_new_connection(  # type: ignore[no-untyped-def]
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table=None
    ):
        connection = self._idle.pop() if self._idle else await self._open()
        reusable = False
        try:
            # One hop to the connection's thread instead of three (execute, commit, fetch): the connection is
            # in autocommit mode (isolation_level=None), so there is nothing to commit.
            rows = await connection.execute_fetchall(query, args or [])
            reusable = True
            return rows
        finally:
            if reusable and len(self._idle) < self._idle_max:
                self._idle.append(connection)
            else:
                await connection.close()

    async def close_idle(self) -> None:
        """Close the kept connections (app shutdown)."""
        while self._idle:
            await self._idle.pop().close()

    def ensure_wal(self) -> None:
        """Switch the file to WAL once; the mode is stored in the file itself."""
        if self._wal_ready:
            return
        with sqlite3.connect(self.path, timeout=SQLITE_BUSY_TIMEOUT_S) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        self._wal_ready = True

    async def get_connection(self):  # type: ignore[no-untyped-def]
        self.ensure_wal()
        return await super().get_connection()

    async def run_querystring(self, querystring, in_pool: bool = False):  # type: ignore[no-untyped-def]
        self.ensure_wal()
        return await super().run_querystring(querystring, in_pool=in_pool)


def build_engine(settings: Settings) -> Engine:
    """Pick the engine from the database URL."""
    if settings.is_postgres:
        return PostgresEngine(config={"dsn": settings.database_url})
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return ForestSQLiteEngine(path=str(path))


def database_url() -> str:
    """The URL of the database in use (the active engine's: tests and tools may point Piccolo at another one than
    the settings name)."""
    db = engine()
    if isinstance(db, PostgresEngine):
        return str(db.config.get("dsn") or get_settings().database_url)
    if isinstance(db, SQLiteEngine):
        return f"sqlite:///{db.path}"
    return get_settings().database_url


def engine() -> Engine:
    """The engine Piccolo tables use."""
    # Imported here: app.piccolo_conf imports this module at load (Piccolo reads its engine from there).
    from app.piccolo_conf import DB

    return DB


#: Statements the outermost ``atomic()`` block runs just before it commits (by key, once each), see ``before_commit``.
_before_commit: contextvars.ContextVar[dict[str, Callable[[], Awaitable[None]]] | None] = contextvars.ContextVar(
    "forestmatch_before_commit", default=None
)


def before_commit(key: str, step: Callable[[], Awaitable[None]]) -> bool:
    """Run ``step`` once at the end of the enclosing ``atomic()`` block, just before it commits (not at all if the
    block fails); False when there is no such block, and the caller should run it now.

    For writes to a row every writer shares (the change count): taken last, its row lock is held for the commit
    only, not for the whole of a long transaction such as an import, so other writers do not queue behind it."""
    steps = _before_commit.get()
    if steps is None:
        return False
    steps.setdefault(key, step)
    return True


@contextlib.asynccontextmanager
async def atomic() -> AsyncIterator[Any]:
    """A write transaction: IMMEDIATE on SQLite (takes the write lock up front), plain on PostgreSQL.

    Nested blocks join the outer transaction; the outermost one runs the ``before_commit`` steps before it commits."""
    db = engine()
    outermost = _before_commit.get() is None
    steps: dict[str, Callable[[], Awaitable[None]]] = {}
    token = _before_commit.set(steps) if outermost else None
    try:
        if isinstance(db, SQLiteEngine):
            async with db.transaction(transaction_type=TransactionType.immediate) as txn:
                yield txn
                for step in steps.values():
                    await step()
        else:
            async with db.transaction() as txn:
                yield txn
                for step in steps.values():
                    await step()
    finally:
        if token is not None:
            _before_commit.reset(token)


async def insert_rows(table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` (column name -> value) into ``table`` in one statement, columns left out taking their defaults.

    Piccolo's ``insert`` builds a Table object and a nested query string per row (about 0.2 ms each: the largest
    cost of a bulk import); this writes the same values with one flat parameter list. JSON values are serialised
    here, as Piccolo does; keep a statement under SQLite's and PostgreSQL's 32,766 parameters."""
    if not rows:
        return
    columns = [c for c in table._meta.columns if not c._meta.primary_key]
    defaults = []
    for column in columns:
        default = column.get_default_value()
        defaults.append(default.python() if isinstance(default, Default) else default)
    json_columns = [n for n, c in enumerate(columns) if isinstance(c, JSON | JSONB)]
    pairs = [(c._meta.name, default) for c, default in zip(columns, defaults, strict=True)]
    # A list per row, then the JSON columns serialised in place (a bulk import writes millions of values).
    values = [[row.get(name, default) for name, default in pairs] for row in rows]
    for n in json_columns:
        for value_row in values:
            value = value_row[n]
            if value is not None and not isinstance(value, str):
                value_row[n] = dump_json(value)
    quoted = ", ".join(f'"{c._meta.db_column_name}"' for c in columns)
    into = f'INSERT INTO "{table._meta.tablename}" ({quoted}) VALUES '
    db = engine()
    txn = db.current_transaction.get()
    if txn is not None:
        # Inside a transaction (every bulk write is): the driver's own executemany on the transaction's connection,
        # one prepared statement for every row, without Piccolo compiling a query string of thousands of values.
        width = len(columns)
        if isinstance(db, PostgresEngine):
            one = "(" + ", ".join(f"${n}" for n in range(1, width + 1)) + ")"
        else:
            one = "(" + ", ".join(["?"] * width) + ")"
        await txn.connection.executemany(into + one, values)
        return
    one = "(" + ", ".join(["{}"] * len(columns)) + ")"
    await table.raw(into + ", ".join([one] * len(rows)), *(value for value_row in values for value in value_row))


async def rows_in(sql: str, values: Sequence[Any]) -> list[Any]:
    """The rows of ``sql``, whose ``{in}`` stands for "is one of ``values``" (``IN (?, ...)`` on SQLite, ``= ANY($1)``
    on PostgreSQL), on the current transaction's connection (one is opened when there is none): one flat statement,
    where Piccolo's ``is_in`` converts and quotes each value and compiles a query (the sync hooks look up thousands
    of refs per batch after a bulk import). Keep ``values`` under SQLite's 32,766 parameters. Rows are read by
    column name (``row["ref"]``)."""
    if not values:
        return []
    db = engine()
    txn = db.current_transaction.get()
    if txn is None:
        async with atomic():
            return await rows_in(sql, values)
    if isinstance(db, PostgresEngine):
        return list(await txn.connection.fetch(sql.replace("{in}", "= ANY($1)"), list(values)))
    marks = ", ".join(["?"] * len(values))
    return list(await txn.connection.execute_fetchall(sql.replace("{in}", f"IN ({marks})"), list(values)))


async def start_pool() -> None:
    """Open the PostgreSQL connection pool (no-op on SQLite)."""

    db = engine()
    size = get_settings().db_pool_max
    if isinstance(db, PostgresEngine) and size > 0:
        await db.start_connection_pool(min_size=1, max_size=size)


async def close_pool() -> None:
    """Close the PostgreSQL connection pool (no-op on SQLite)."""
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()
    elif isinstance(db, ForestSQLiteEngine):
        await db.close_idle()


#: Index entries ANALYZE reads per index (SQLite's ``analysis_limit``): approximate statistics, about 10 ms at 100k
#: offers and 1M match events where a full ANALYZE reads everything (0.8 s).
ANALYSIS_LIMIT = 400


def analyze_sqlite(path: str) -> None:
    """Sampled planner statistics for the SQLite file at ``path`` (see ``refresh_statistics``)."""
    conn = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S)
    try:
        conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        conn.execute("ANALYZE")
        conn.commit()
    finally:
        conn.close()


async def refresh_statistics() -> bool:
    """Planner statistics for SQLite (``ANALYZE``, sampled); whether any were written.

    Without them SQLite plans every query from fixed guesses, so a pilot's database would be planned unlike the one
    the benchmarks measure (which run ANALYZE). PostgreSQL's autovacuum keeps its own: nothing to do there.
    Runs after bulk imports, after the demo load, and hourly in the background worker.
    """
    db = engine()
    if not isinstance(db, SQLiteEngine):
        return False
    await asyncio.to_thread(analyze_sqlite, db.path)
    return True


def activate_engine(new_engine: Engine) -> None:
    """Point Piccolo (tables, migrations) at another engine, e.g. a second database in one process."""
    from piccolo.apps.migrations.tables import Migration
    from piccolo.conf.apps import Finder

    # Imported here: app.piccolo_conf imports this module at load.
    import app.piccolo_conf as conf

    conf.DB = new_engine
    for table in Finder().get_table_classes():
        table._meta.db = new_engine
    Migration._meta.db = new_engine


#: The PostgreSQL advisory lock ``migrate`` holds (any constant, the same in every release): containers started
#: together (web replicas, the worker) each run ``forestmatch migrate``; the first applies, the others wait, then
#: find nothing left to apply.
MIGRATION_LOCK = 0x666D6D67  # "fmmg"


async def migrate() -> None:
    """Apply every committed migration that has not run yet, in dependency order (one process at a time)."""
    import io

    from piccolo.apps.migrations.commands.forwards import run_forwards

    async def forwards() -> None:
        # Piccolo prints a banner per app; keep it out of the CLI and test output unless something fails.
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            result = await run_forwards(app_name="all")
        if not result.success:
            raise RuntimeError(f"migrations failed: {result.message}\n{log.getvalue()}")

    db = engine()
    if not isinstance(db, PostgresEngine):
        await forwards()  # SQLite: one file, written by one process at a time anyway
        return
    # The lock is held on a connection of its own for the whole run (session-level, released when it closes).
    import asyncpg

    holder = await asyncpg.connect(**db.config)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        await forwards()
    finally:
        await holder.close()


async def database_answers() -> str | None:
    """None when the configured database answers a query, else why not (one line)."""
    settings = get_settings()
    try:
        if settings.is_postgres:
            import asyncpg

            connection = await asyncpg.connect(settings.database_url, timeout=5)
            try:
                await connection.fetchval("SELECT 1")
            finally:
                await connection.close()
        else:
            path = settings.sqlite_path
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.closing(sqlite3.connect(path, timeout=5)) as connection:
                connection.execute("SELECT 1")
    except Exception as exc:  # any failure to connect is the answer, not a crash
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    return None


class Row(dict):  # type: ignore[type-arg]
    """A result row whose columns also read as attributes.

    Templates write ``offer.title``; Jinja tries ``getattr`` before ``[]``, and on a plain dict that attempt
    raises and catches an AttributeError for every field shown, a large share of a list page's render time.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> object:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
