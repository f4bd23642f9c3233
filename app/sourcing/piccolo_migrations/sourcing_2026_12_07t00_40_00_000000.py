"""A sourcing request may require EUDR-ready lots (SQLite and PostgreSQL): ``sourcing_request.require_eudr_ready``.

Hand-written raw DDL, like the other added columns: one boolean, false for every request stored before.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine as current_engine

ID = "2026-12-07T00:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "requests may require EUDR-ready lots"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sourcing", description=DESCRIPTION)

    async def add() -> None:
        await current_engine().run_ddl(
            'ALTER TABLE sourcing_request ADD COLUMN "require_eudr_ready" BOOLEAN NOT NULL DEFAULT false'
        )

    async def drop() -> None:
        await current_engine().run_ddl('ALTER TABLE sourcing_request DROP COLUMN "require_eudr_ready"')

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
