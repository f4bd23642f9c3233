"""Composite indexes of the traceability tables (SQLite and PostgreSQL), hand-written.

Piccolo's auto-migrations cannot express composite indexes:
- ``member_group_code`` (group, member_code), unique: a member code is the group's own id, used once per group.
- ``delivery_plot_date`` (plot, date): a plot's deliveries over any 365 days (the yield check) in one index range.
- ``lot_input_lot_position`` (lot, position): a lot's inputs in document order.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine as current_engine

ID = "2026-12-06T23:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "traceability composite indexes"

INDEXES = (
    ("member_group_code", "member", '"group", member_code', True),
    ("delivery_plot_date", "delivery", "plot, date", False),
    ("lot_input_lot_position", "lot_input", "lot, position", False),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="traceability", description=DESCRIPTION)

    async def create() -> None:
        engine = current_engine()
        for name, table, columns, unique in INDEXES:
            kind = "UNIQUE INDEX" if unique else "INDEX"
            await engine.run_ddl(f"CREATE {kind} IF NOT EXISTS {name} ON {table} ({columns})")

    async def drop() -> None:
        engine = current_engine()
        for name, _table, _columns, _unique in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
