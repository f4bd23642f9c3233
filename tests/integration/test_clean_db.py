"""``clean_db`` empties every table the migrations create, in an order the database's foreign keys allow.

The list comes from Piccolo's app registry (``tests/db_tables.py``); here it is compared with the tables and
foreign keys actually present after the committed migrations ran, on SQLite and on PostgreSQL, so a table made by a
raw-SQL migration, or a foreign key only such a migration declares, cannot slip past the fixture.
"""

from __future__ import annotations

from app.offers.tables import Offer
from tests.db_tables import clear_tables, tables_to_clear
from tests.factories import make_certificate, make_offer, make_user

#: Piccolo's own record of the migrations that ran: kept, so the schema is not rebuilt per test.
MIGRATION_RECORDS = "migration"


async def _tables_in_database(db: str) -> set[str]:
    if db == "postgres":
        rows = await Offer.raw(
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    else:
        rows = await Offer.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return {r["name"] for r in rows} - {MIGRATION_RECORDS}


async def _foreign_keys_in_database(db: str, tables: set[str]) -> set[tuple[str, str]]:
    """(child, parent) for every foreign key between two different tables."""
    if db == "postgres":
        rows = await Offer.raw(
            "SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE k.contype = 'f' AND n.nspname = current_schema()"
        )
        pairs = {(r["child"], r["parent"]) for r in rows}
    else:
        pairs = set()
        for table in tables:
            for key in await Offer.raw(f"SELECT \"table\" AS parent FROM pragma_foreign_key_list('{table}')"):
                pairs.add((table, key["parent"]))
    return {(child, parent) for child, parent in pairs if child != parent}


async def test_every_migrated_table_is_cleared(db: str, clean_db: str) -> None:
    assert sorted(await _tables_in_database(db)) == sorted(tables_to_clear())


async def test_children_are_cleared_before_their_parents(db: str, clean_db: str) -> None:
    order = tables_to_clear()
    keys = await _foreign_keys_in_database(db, await _tables_in_database(db))
    assert keys  # the schema has foreign keys: the check below is not vacuous
    assert sorted((child, parent) for child, parent in keys if order.index(child) > order.index(parent)) == []


async def test_the_fixture_leaves_every_table_empty(db: str, clean_db: str) -> None:
    producer = await make_user("producer")
    await make_offer(producer, (await make_certificate(producer))["ref"])
    # Earlier tests and the rows just made fill the database; cleaning again must leave nothing behind.
    await clear_tables(db)
    counts = {name: (await Offer.raw(f'SELECT COUNT(*) AS n FROM "{name}"'))[0]["n"] for name in tables_to_clear()}
    assert {name: n for name, n in counts.items() if n} == {}
