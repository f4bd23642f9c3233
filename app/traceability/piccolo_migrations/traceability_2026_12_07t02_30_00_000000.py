"""Collector links (hand-written, SQLite and PostgreSQL): one link per group and collector, and the links that the
deliveries already recorded imply.

Before this migration a collector could type any group's member; from now on it finds only the members of the groups
that let it (``collector_link``). A collector that already recorded a member's deliveries keeps that group's link, so
nobody at a scale loses a member they were already receiving latex from.
"""

import datetime as dt

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine as current_engine

ID = "2026-12-07T02:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "collector links: unique pair, links implied by recorded deliveries"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="traceability", description=DESCRIPTION)

    async def create() -> None:
        engine = current_engine()
        await engine.run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS collector_link_pair ON collector_link ("group", collector)'
        )
        stamp = f"'{dt.datetime.now(dt.timezone.utc).isoformat()}'"
        if engine.engine_type == "postgres":
            stamp = f"CAST({stamp} AS TIMESTAMPTZ)"
        await engine.run_ddl(
            'INSERT INTO collector_link ("group", collector, created_at) '
            f'SELECT DISTINCT m."group", d.collector, {stamp} FROM delivery d JOIN member m ON d.member = m.id '
            'WHERE m."group" <> d.collector'
        )

    async def drop() -> None:
        await current_engine().run_ddl("DROP INDEX IF EXISTS collector_link_pair")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
