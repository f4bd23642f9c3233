"""The search outbox becomes the search subscriber's rows of the event outbox (SQLite and PostgreSQL).

Hand-written raw SQL. Changes still queued in ``search_outbox`` are carried over as ``<entity>_changed`` events for
the ``search`` subscriber, then ``search_outbox`` and ``search_sync_lease`` are dropped (the event outbox has its own
lease table). Runs after the events app's migrations (the indexing app depends on it).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine as current_engine

ID = "2026-12-07T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search outbox into the event outbox"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="indexing", description=DESCRIPTION)

    async def carry_over() -> None:
        engine = current_engine()
        await engine.run_ddl(
            "INSERT INTO event_outbox (subscriber, name, entity, ref, payload, created_at, available_at, attempts, "
            "last_error) SELECT 'search', entity || '_changed', entity, ref, '{}', created_at, available_at, attempts, "
            "last_error FROM search_outbox ORDER BY id"
        )
        await engine.run_ddl("DROP TABLE IF EXISTS search_outbox")
        await engine.run_ddl("DROP TABLE IF EXISTS search_sync_lease")

    manager.add_raw(carry_over)
    return manager
