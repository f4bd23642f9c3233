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
        # DELETE, children first, and the tables' own sequences set back to 1, as TRUNCATE ... RESTART IDENTITY
        # would: a test's tables hold a few rows, and TRUNCATE gives each of the ~50 tables and their indexes new
        # files at every test (1.7 s a test on this machine's disk, against a few ms).
        names = ", ".join(f"'{table}'" for table in tables)
        deletes = " ".join(f"DELETE FROM {table};" for table in tables)
        await engine().run_ddl(  # one statement (DO block): run_ddl prepares what it runs
            f"DO $$ BEGIN {deletes}"
            " PERFORM setval(seq.oid, 1, false) FROM pg_class seq"
            " JOIN pg_depend dep ON dep.classid = 'pg_class'::regclass AND dep.objid = seq.oid"
            " AND dep.deptype IN ('a', 'i')"
            f" JOIN pg_class tab ON tab.oid = dep.refobjid WHERE seq.relkind = 'S' AND tab.relname IN ({names});"
            " END $$"
        )
    else:
        async with engine().transaction():  # one commit, not one per table
            for table in tables:
                await engine().run_ddl(f"DELETE FROM {table}")
