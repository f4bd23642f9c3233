"""The search sync lease: one outbox drainer at a time without holding a database transaction (SQLite and PostgreSQL).

Hand-written raw DDL. Before this, the drainer took the outbox rows inside a write transaction (on SQLite: the
database's only write lock) and kept it while it waited on the search index, so a locked index stalled every write
of the site. The lease is taken and given back in single statements around the index calls instead.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from app.db import engine as current_engine

ID = "2026-12-06T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search sync lease"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="indexing", description=DESCRIPTION)

    async def create() -> None:
        engine = current_engine()
        key = "SERIAL PRIMARY KEY" if isinstance(engine, PostgresEngine) else "INTEGER PRIMARY KEY"
        await engine.run_ddl(
            f"CREATE TABLE IF NOT EXISTS search_sync_lease (id {key}, name VARCHAR(40) NOT NULL UNIQUE, "
            "holder VARCHAR(40) NOT NULL DEFAULT '', expires_at DOUBLE PRECISION NOT NULL DEFAULT 0)"
        )

    async def drop() -> None:
        await current_engine().run_ddl("DROP TABLE IF EXISTS search_sync_lease")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
