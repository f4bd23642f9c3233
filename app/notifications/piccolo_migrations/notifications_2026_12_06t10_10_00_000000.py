"""The match-alert scan's cursor table goes (SQLite and PostgreSQL).

Match alerts were raised by scanning match records by ``updated_at`` from a cursor kept in ``alert_cursor``; every
recomputation rewrites that column, so old pairs read as new matches (29 alerts to buyers after actions unrelated to
them). The matcher now raises them in the transaction that stores a pair for the first time, and nothing reads the
cursor. Hand-written; backwards recreates the empty table.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from app.db import engine as current_engine

ID = "2026-12-06T10:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "drop alert_cursor (match alerts no longer scan)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def drop() -> None:
        await current_engine().run_ddl("DROP TABLE IF EXISTS alert_cursor")

    async def create() -> None:
        engine = current_engine()
        key = "SERIAL PRIMARY KEY" if isinstance(engine, PostgresEngine) else "INTEGER PRIMARY KEY"
        await engine.run_ddl(
            f"CREATE TABLE IF NOT EXISTS alert_cursor (id {key}, name VARCHAR(40) NOT NULL UNIQUE,"
            " at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )

    manager.add_raw(drop)
    manager.add_raw_backwards(create)
    return manager
