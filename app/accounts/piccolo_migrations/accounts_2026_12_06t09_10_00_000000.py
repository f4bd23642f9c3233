"""Server-side sessions (SQLite and PostgreSQL): one row per signed-in browser, so signing out ends a session.

Hand-written raw DDL. Sessions were only signed, encrypted cookies: a copy taken before logout kept working for
14 days. The cookie now carries a random session id whose SHA-256 is stored here; signing out, a new password or
deactivation deletes the row.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from app.db import engine as current_engine

ID = "2026-12-06T09:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "server-side sessions"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def create() -> None:
        engine = current_engine()
        key = "SERIAL PRIMARY KEY" if isinstance(engine, PostgresEngine) else "INTEGER PRIMARY KEY NOT NULL"
        await engine.run_ddl(
            f'CREATE TABLE IF NOT EXISTS account_session ("id" {key}, '
            '"user" INTEGER NOT NULL REFERENCES account_user ("id") ON DELETE CASCADE, '
            '"key_hash" VARCHAR(64) UNIQUE NOT NULL, '
            '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
            '"expires_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)'
        )
        await engine.run_ddl('CREATE INDEX IF NOT EXISTS account_session_user ON account_session ("user")')
        await engine.run_ddl('CREATE INDEX IF NOT EXISTS account_session_expires_at ON account_session ("expires_at")')

    async def drop() -> None:
        await current_engine().run_ddl("DROP TABLE IF EXISTS account_session")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
