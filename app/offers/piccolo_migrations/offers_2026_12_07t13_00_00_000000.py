"""Indexes for the public offer list at any size (SQLite and PostgreSQL), hand-written.

- ``offer_listing`` (created_at, id, status, category, product_type, claim, certificate, organization): the list's
  order with every offer column its filters and the visibility rule read, so a page walks the newest offers in order
  and tests those columns in the index, reading a table row only for the offers it shows (issue 14: a page and its
  capped count read a few hundred index entries instead of sorting every listed offer).
- ``offer_lot_backed`` (json_array_length(lots)): the offers that name lots, where the "EUDR-ready lots only" filter
  starts (few offers name lots; without it the filter read every offer).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine as current_engine

ID = "2026-12-07T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "offer list indexes: listing order with its filter columns, lot-backed offers"

INDEXES = (
    ("offer_listing", "created_at, id, status, category, product_type, claim, certificate, organization"),
    ("offer_lot_backed", "(json_array_length(lots))"),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="offers", description=DESCRIPTION)

    async def create() -> None:
        for name, columns in INDEXES:
            await current_engine().run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON offer ({columns})")

    async def drop() -> None:
        for name, _columns in INDEXES:
            await current_engine().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
