"""Conversations nobody wrote in are removed, with their 'contacted' event (SQLite and PostgreSQL).

Until 2026-12-06 the "Contact supplier" button opened a conversation and recorded 'contacted' before any message
was written: producers found empty threads and the program's contact figures (contacts, reply rate, the funnel,
the producers' response rates) counted clicks. A contact is now the first message, so those rows record a contact
that never happened. They are deleted rather than hidden: hiding them would mean a "has a message" condition in
every query that reads conversations or their events (lists, threads, trust signals, every dashboard statement),
and they hold nothing anyone wrote.

Only a conversation with no message, no event other than 'contacted', and no report is removed: one where a deal
was recorded or declined without a message, or that a party reported, holds something and stays. Hand-written;
irreversible (the rows removed carried no content).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from app.db import engine as current_engine

ID = "2026-12-06T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "remove conversations without a message (a click is not a contact)"

#: Conversations a click opened and nobody wrote in.
EMPTY = """
SELECT c.id FROM conversation c
WHERE c.reported_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM message m WHERE m.conversation = c.id)
  AND NOT EXISTS (SELECT 1 FROM match_event e WHERE e.conversation = c.id AND e.state <> 'contacted')
"""


async def remove_empty_conversations() -> None:
    """Delete the click-only conversations and their 'contacted' events, in one transaction."""
    engine = current_engine()
    async with engine.transaction():
        await engine.run_ddl(f"DELETE FROM match_event WHERE state = 'contacted' AND conversation IN ({EMPTY})")
        await engine.run_ddl(f"DELETE FROM conversation WHERE id IN ({EMPTY})")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="messaging", description=DESCRIPTION)
    manager.add_raw(remove_empty_conversations)
    return manager
