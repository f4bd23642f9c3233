"""The verification queue's order and indexes (SQLite and PostgreSQL), hand-written.

- ``submitted_at``: when the certificate entered the verification queue (registered, imported, or sent back by a
  change to its code, scope, status, expiry or product types). The queue lists the oldest submission first;
  ``created_at`` said nothing about a certificate sent back to the queue. Existing rows take their creation time.
- ``certificate_queue`` (verification, submitted_at, id): one index range per tab, already in queue order, so a
  page and the per-tab counts never sort or scan the table (5,000 pending certificates: see
  benchmarks/staff_queue.py).
- ``certificate_decided`` (verification, verified_at, id): the verified and rejected tabs, latest decision first.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from app.db import engine as current_engine

ID = "2026-12-06T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "certificate submitted_at and the verification queue indexes"

INDEXES = (
    ("certificate_queue", "verification, submitted_at, id"),
    ("certificate_decided", "verification, verified_at, id"),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="certificates", description=DESCRIPTION)

    async def create() -> None:
        engine = current_engine()
        postgres = isinstance(engine, PostgresEngine)
        # SQLite cannot add a column with a non-constant default: the application always sets the value.
        await engine.run_ddl("ALTER TABLE certificate ADD COLUMN submitted_at TIMESTAMPTZ")
        await engine.run_ddl("UPDATE certificate SET submitted_at = created_at")
        if postgres:
            await engine.run_ddl("ALTER TABLE certificate ALTER COLUMN submitted_at SET DEFAULT CURRENT_TIMESTAMP")
            await engine.run_ddl("ALTER TABLE certificate ALTER COLUMN submitted_at SET NOT NULL")
        for name, columns in INDEXES:
            await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON certificate ({columns})")

    async def drop() -> None:
        engine = current_engine()
        for name, _columns in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")
        await engine.run_ddl("ALTER TABLE certificate DROP COLUMN submitted_at")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
