"""Covering indexes for the measurement dashboard's offer totals and deals (SQLite and PostgreSQL).

Hand-written like the 2026-11-25T20:40 migration. Measured on benchmarks/analytics.py's set (100k offers, 1.04M
match events), raw statement times on SQLite:

- certified volume offered: ``offer_supply`` holds every column the query reads, in date order, so the period's
  offers are read from the index alone instead of one table row each (156 -> 45 ms);
- deals: the ``deal_closed`` and ``deal_confirmed`` events with their JSON details, as partial indexes that only
  hold those states (~70k of the million events), read in one sweep instead of one random table page per event
  (deal statement 407 -> 314 ms). PostgreSQL has no b-tree operator class for ``json``, so there the details are
  an ``INCLUDE`` payload of the same partial indexes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from app.db import engine as current_engine


ID = "2026-11-25T21:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "covering indexes for the measurement dashboard's offers and deals"

#: name, table, SQLite columns, PostgreSQL columns (with INCLUDE), partial-index condition
INDEXES = (
    (
        "offer_supply",
        "offer",
        "created_at, claim, organization, category, product_type, quantity_canonical",
        "created_at, claim, organization, category, product_type, quantity_canonical",
        "",
    ),
    (
        "match_event_deal_closed",
        "match_event",
        "state, conversation, details",
        "state, conversation) INCLUDE (details",
        "state = 'deal_closed'",
    ),
    (
        "match_event_deal_confirmed",
        "match_event",
        "state, details",
        "state) INCLUDE (details",
        "state = 'deal_confirmed'",
    ),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="analytics", description=DESCRIPTION)

    async def create() -> None:
        engine = current_engine()
        postgres = isinstance(engine, PostgresEngine)
        for name, table, sqlite_columns, pg_columns, condition in INDEXES:
            columns = pg_columns if postgres else sqlite_columns
            where = f" WHERE {condition}" if condition else ""
            await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns}){where}")

    async def drop() -> None:
        engine = current_engine()
        for name, *_rest in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
