"""Indexes the measurement dashboard's queries need at 100k offers and 1M match events (SQLite and PostgreSQL).

Hand-written: Piccolo's auto-migrations cannot express composite indexes. Each is measured in
benchmarks/analytics.py; see the README's performance section.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine as current_engine


ID = "2026-11-25T20:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the measurement dashboard"

INDEXES = (
    # funnel: conversations (or matches) with an event of a state in a period, grouped in index order (covering)
    ("match_event_state_conversation_at", "match_event", "state, conversation, at"),
    ("match_event_state_match_at", "match_event", "state, match, conversation, at"),
    # contacts, reply rate and reply time: each conversation's 'contacted' and 'replied' events (covering)
    ("match_event_conversation_state_at", "match_event", "conversation, state, at"),
    # producers active: an organisation's messages in a period
    ("message_sender_org_created", "message", "sender_organization, created_at"),
    # contacts per month, unmet demand (a deal on a conversation about the request)
    ("conversation_created_at", "conversation", "created_at"),
    ("conversation_request", "conversation", "request"),
    # recommended stage of the funnel, viable matches per request
    ("match_created_at", "match", "created_at"),
    ("match_request_status", "match", "request, status"),
    # producers active: an organisation's offers in a period
    ("offer_organization_created", "offer", "organization, created_at"),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="analytics", description=DESCRIPTION)

    async def create() -> None:
        engine = current_engine()
        for name, table, columns in INDEXES:
            await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")

    async def drop() -> None:
        engine = current_engine()
        for name, _table, _columns in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
