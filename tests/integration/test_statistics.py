"""Planner statistics: SQLite gets sampled ANALYZE statistics after bulk loads and hourly from the worker, so a
pilot's database is planned like the benchmarked one; PostgreSQL keeps its own (autovacuum)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.db import refresh_statistics
from app.notifications import worker
from app.offers.tables import Offer
from tests.factories import make_certificate, make_offer, make_user


async def _analyzed_tables() -> set[str]:
    return {r["tbl"] for r in await Offer.raw("SELECT DISTINCT tbl FROM sqlite_stat1")}


async def test_statistics_are_written_on_sqlite_only(db: str, clean_db: str) -> None:
    producer = await make_user("producer")
    await make_offer(producer, (await make_certificate(producer))["ref"])
    wrote = await refresh_statistics()
    assert wrote is (db == "sqlite")
    if db == "sqlite":
        assert {"offer", "certificate", "organization", "account_user"} <= await _analyzed_tables()


async def test_the_worker_refreshes_statistics_once_an_hour(db: str, clean_db: str, monkeypatch) -> None:
    calls: list[dt.datetime] = []

    async def counting() -> bool:
        calls.append(dt.datetime.now(dt.UTC))
        return await refresh_statistics()

    monkeypatch.setattr(worker, "refresh_statistics", counting)
    monkeypatch.setattr(worker, "_last_statistics", None)
    await worker.after_sync_pass(None)
    await worker.after_sync_pass(None)
    assert len(calls) == 1
    # An hour later it runs again.
    monkeypatch.setattr(worker, "_last_statistics", calls[0] - worker.STATISTICS_EVERY)
    await worker.after_sync_pass(None)
    assert len(calls) == 2


async def test_dashboard_answers_before_its_indexes_exist(db: str, clean_db: str) -> None:
    """On SQLite the contacts statement names its partial index; a deployment running new code before
    ``forestmatch migrate`` (no such index yet) must still get the same figures, not an error."""
    from app.analytics import services
    from app.analytics.filters import parse_filters
    from app.analytics.queries import trade

    if db != "sqlite":
        pytest.skip("INDEXED BY is SQLite's; PostgreSQL queries name no index")
    with_index = await services.compute(parse_filters({}, set()))
    create = (
        "CREATE INDEX match_event_contact_reply ON match_event (conversation, state, at) "
        "WHERE state IN ('contacted', 'replied')"
    )
    await Offer.raw("DROP INDEX match_event_contact_reply")
    trade._present_indexes.clear()
    try:
        without = await services.compute(parse_filters({}, set()))
    finally:
        await Offer.raw(create)
    assert without == with_index
