"""Indexes for the dashboard's data fingerprint, its funnel and its contacts (SQLite and PostgreSQL).

Hand-written like the 2026-11-25T20:40 and 21:40 migrations. Measured on benchmarks/analytics.py's set (100k
offers, 1.04M match events), raw statement times on SQLite:

- the summary fingerprint (``app/analytics/cache.py``) reads the newest ``updated_at`` of offers and matches, a
  scan of 100k rows each without an index (the whole fingerprint: 22 -> 2 ms, on every page view, warm or cold);
- the funnel's 'deal_closed' count picked the partial ``match_event_deal_closed`` index, which had no ``at``, and
  read one table row per deal for the period test (the funnel statement: 120 -> 104 ms). The replacement holds
  ``at`` too, so both the funnel and the deals read it alone; the old one is dropped (it would be redundant);
- contacts and reply time: each conversation's first 'contacted' and 'replied' events from a partial index holding
  only those two states (264k of the 442k conversation events), instead of skipping the other states' entries of
  ``match_event_conversation_state_at`` (the grouping pass: 107 -> 88 ms);
- deals: each deal's offer terms (category, product type, DRC) from a small covering index rather than the wide
  offer row (deal statement 195 -> 181 ms);
- certified volume offered: offers grouped per producer and product in the order of ``offer_producer_product``,
  read whole (a period of a year holds most offers) instead of a date range of ``offer_supply`` then sorted
  (36 -> 16 ms, and at most that for any period);
- filtered funnel: the offers of a producer place and product (``filters._offer_ids``) read from the same covering
  index instead of one offer row each (37 -> 6 ms, and it is listed up to three times), and the 'recommended'
  count of matches about those offers reads (offer, created_at) instead of the wide match row (100 -> 22 ms).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from app.db import engine as current_engine


ID = "2026-11-26T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the dashboard's fingerprint, funnel and contacts"

#: name, table, SQLite columns, PostgreSQL columns (with INCLUDE), partial-index condition
INDEXES = (
    ("offer_updated_at", "offer", "updated_at", "updated_at", ""),
    ("match_updated_at", "match", "updated_at", "updated_at", ""),
    (
        "match_event_contact_reply",
        "match_event",
        "conversation, state, at",
        "conversation, state, at",
        "state IN ('contacted', 'replied')",
    ),
    (
        "offer_deal_terms",
        "offer",
        "id, category, product_type, drc_percent",
        "id, category, product_type, drc_percent",
        "",
    ),
    (
        "offer_producer_product",
        "offer",
        "organization, category, product_type, claim, created_at, quantity_canonical",
        "organization, category, product_type, claim, created_at, quantity_canonical",
        "",
    ),
    ("match_offer_created", "match", "offer, created_at", "offer, created_at", ""),
    (
        "match_event_deal_closed_at",
        "match_event",
        "state, conversation, at, details",
        "state, conversation, at) INCLUDE (details",
        "state = 'deal_closed'",
    ),
)
#: Replaced by ``match_event_deal_closed_at`` (2026-11-25T21:40 migration's columns, for going backwards).
REPLACED = (
    (
        "match_event_deal_closed",
        "match_event",
        "state, conversation, details",
        "state, conversation) INCLUDE (details",
        "state = 'deal_closed'",
    ),
)


async def _create(indexes: tuple[tuple[str, str, str, str, str], ...]) -> None:
    engine = current_engine()
    postgres = isinstance(engine, PostgresEngine)
    for name, table, sqlite_columns, pg_columns, condition in indexes:
        columns = pg_columns if postgres else sqlite_columns
        where = f" WHERE {condition}" if condition else ""
        await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns}){where}")


async def _drop(indexes: tuple[tuple[str, str, str, str, str], ...]) -> None:
    engine = current_engine()
    for name, *_rest in indexes:
        await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="analytics", description=DESCRIPTION)

    async def create() -> None:
        await _create(INDEXES)
        await _drop(REPLACED)

    async def drop() -> None:
        await _create(REPLACED)
        await _drop(INDEXES)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
