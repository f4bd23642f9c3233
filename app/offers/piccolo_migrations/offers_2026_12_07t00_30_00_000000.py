"""Offers may name the lots behind them (SQLite and PostgreSQL): ``offer.lots``, a JSON list of lot refs.

Hand-written raw DDL. A JSON list rather than a join table: the offers app then needs no migration dependency on
the traceability app, and an offer names few lots; the rules that read it live in app.traceability.offer_lots.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine as current_engine

ID = "2026-12-07T00:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "offers name the lots behind them"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="offers", description=DESCRIPTION)

    async def add() -> None:
        await current_engine().run_ddl("""ALTER TABLE offer ADD COLUMN "lots" JSON NOT NULL DEFAULT '[]'""")

    async def drop() -> None:
        await current_engine().run_ddl('ALTER TABLE offer DROP COLUMN "lots"')

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
