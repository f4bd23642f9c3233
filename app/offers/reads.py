"""Short reads of the public offer list on SQLite, made on the caller's thread instead of aiosqlite's (issue 14).

A page of the list reads its twenty rows by id (and the change count) in one indexed statement that SQLite answers
in a fraction of a millisecond; through Piccolo and aiosqlite the same statement costs about three times its own
work (the query object, the hop to the connection's thread and back to the event loop). So on SQLite these reads go
to one connection kept per thread, opened with Piccolo's own arguments (the same column converters, autocommit: no
transaction is left open, so every read sees what is committed). The connection never waits for a lock: a read that
would (``SQLITE_BUSY``, which a WAL database gives readers only in rare moments such as recovery) is made the usual
way instead, so the event loop is never held. Other engines (PostgreSQL) read as before.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, dict_factory
from piccolo.table import Table

_local = threading.local()
#: The reading connection's memory map (per worker process and thread); pages touched show in the worker's RSS.
MMAP_BYTES = 256 * 1024 * 1024


def _connection(engine: Any) -> sqlite3.Connection | None:
    """This thread's connection to ``engine``'s database file; None when it is not SQLite."""
    if not isinstance(engine, SQLiteEngine):
        return None
    kept = getattr(_local, "kept", None)
    if kept is not None and kept[0] is engine:
        return kept[1]
    if kept is not None:  # another engine since (tests point Piccolo at another database)
        kept[1].close()
    ensure_wal = getattr(engine, "ensure_wal", None)
    if ensure_wal is not None:  # app.db.ForestSQLiteEngine: the file switched to WAL before the first read
        ensure_wal()
    connection = sqlite3.connect(**{**engine.connection_kwargs, "timeout": 0})
    connection.row_factory = dict_factory  # type: ignore[assignment]
    # A page's rows are scattered over the file: read through a memory map (the operating system's file cache, shared
    # and reclaimable, not the worker's own memory), a page of the list costs a fifth less than a read() per page.
    connection.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    _local.kept = (engine, connection)
    return connection


async def read(table: type[Table], sql: str, *args: Any) -> list[dict[str, Any]]:
    """``await table.raw(sql, *args)`` (``{}`` marks each argument), read on this thread when the engine is SQLite and
    no transaction is open."""
    engine = table._meta.db
    # Inside a transaction Piccolo reads on the transaction's connection (its own writes included): so does this.
    connection = _connection(engine) if engine.current_transaction.get() is None else None
    if connection is not None:
        try:
            return connection.execute(sql.replace("{}", "?"), args).fetchall()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
    return await table.raw(sql, *args)  # type: ignore[no-any-return]
