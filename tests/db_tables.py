"""The tables the test fixtures empty, read from Piccolo's app registry so a new table is never forgotten."""

from __future__ import annotations

from piccolo.conf.apps import Finder
from piccolo.table import Table, sort_table_classes


def registered_tables() -> list[type[Table]]:
    """Every table class the Piccolo apps in ``app/piccolo_conf.py`` register, parents before children."""
    return sort_table_classes(Finder().get_table_classes())


def tables_to_clear() -> list[str]:
    """Table names in an order that empties them one by one with foreign keys enforced: children first.

    SQLite connections run with ``PRAGMA foreign_keys = 1`` (``app.db.ForestSQLiteEngine``), so a parent row may only
    go once the rows pointing at it are gone; PostgreSQL truncates them all in one statement.
    """
    return [table._meta.tablename for table in reversed(registered_tables())]


async def clear_tables(db: str) -> None:
    """Empty every registered table of the active database (``db`` is the engine name: sqlite or postgres)."""
    from app.db import engine

    tables = tables_to_clear()
    if db == "postgres":
        await engine().run_ddl(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        for table in tables:
            await engine().run_ddl(f"DELETE FROM {table}")
