"""The search outbox: written with the change, drained in order, retried while the engine is down, applied once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain, pending, reindex
from app.indexing.tables import SearchOutbox
from app.offers import services as offers
from search_index import SearchQuery, create_backend
from search_index.embedded import EmbeddedBackend
from tests.factories import make_certificate, make_offer, make_user


class RecordingBackend(EmbeddedBackend):
    """The real embedded engine, noting which documents each upsert carried."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.upserted: list[str] = []

    async def upsert(self, index: str, documents: list[dict[str, Any]]) -> None:
        self.upserted.extend(d["id"] for d in documents)
        await asyncio.sleep(0.05)  # widen the window in which a second worker could take the same rows
        await super().upsert(index, documents)


@pytest.fixture(name="backend")
async def fx_backend(clean_db: str, tmp_path: Path):
    backend = create_backend(directory=tmp_path / "search")
    await backend.ensure_index(OFFERS_INDEX)
    yield backend
    await backend.close()


async def _ids(backend: Any, **query: Any) -> list[str]:
    result = await backend.search(OFFERS_INDEX, SearchQuery(per_page=100, **query))
    return sorted(hit.id for hit in result.hits)


async def test_every_write_records_an_outbox_row_in_its_transaction(backend) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"])
    await offers.set_offer_status(producer, offer["ref"], "paused")
    rows = await SearchOutbox.select(SearchOutbox.entity, SearchOutbox.ref).order_by(SearchOutbox.id)
    assert rows == [
        {"entity": "certificate", "ref": cert["ref"]},
        {"entity": "offer", "ref": offer["ref"]},
        {"entity": "offer", "ref": offer["ref"]},
    ]
    assert await drain(backend) == 3
    assert await pending() == 0
    result = await backend.search(OFFERS_INDEX, SearchQuery(per_page=10))
    assert [(h.id, h.document["status"]) for h in result.hits] == [(offer["ref"], "paused")]


async def test_engine_down_loses_nothing_and_drains_when_back(clean_db: str, tmp_path: Path) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"], title="Caoba en tablas")
    down = create_backend(meili_url="http://127.0.0.1:9", directory=tmp_path)  # nothing listens there
    assert await drain(down) == 0
    rows = await SearchOutbox.select(SearchOutbox.attempts).order_by(SearchOutbox.id)
    assert [r["attempts"] for r in rows] == [1, 1]
    await down.close()

    up = create_backend(directory=tmp_path / "search")
    await up.ensure_index(OFFERS_INDEX)
    assert await drain(up, ignore_backoff=True) == 2
    assert await pending() == 0
    assert await _ids(up, text="caoba") == [offer["ref"]]
    await up.close()


async def test_certificate_change_reindexes_its_offers(backend) -> None:
    from app.certificates import services as certificates

    producer = await make_user("producer")
    staff = await make_user("staff")
    cert = await make_certificate(producer)
    first = await make_offer(producer, cert["ref"])
    second = await make_offer(producer, cert["ref"], title="Second lot")
    await drain(backend)
    await certificates.verify_certificate(staff, cert["ref"], approve=True)
    await drain(backend)
    from search_index import Eq

    assert await _ids(backend, filters=(Eq("certificate_verified", True),)) == sorted([first["ref"], second["ref"]])


async def test_concurrent_workers_apply_each_row_once(db: str, clean_db: str, tmp_path: Path) -> None:
    if db != "postgres":
        pytest.skip("several workers share one PostgreSQL database; the embedded default runs one process")
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    made = [await make_offer(producer, cert["ref"], title=f"Lot {i}") for i in range(12)]
    backend = RecordingBackend(tmp_path / "search")
    await backend.ensure_index(OFFERS_INDEX)
    applied = await asyncio.gather(*(drain(backend) for _ in range(4)))
    assert sum(applied) == 13  # 12 offers + 1 certificate row
    offer_refs = sorted(o["ref"] for o in made)
    assert sorted(backend.upserted) == offer_refs  # each offer document written exactly once
    assert await pending() == 0
    await backend.close()


async def test_reindex_rebuilds_from_the_database(backend) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    made = [await make_offer(producer, cert["ref"], title=f"Lot {i}") for i in range(3)]
    assert await reindex(backend) == 3
    assert await _ids(backend) == sorted(o["ref"] for o in made)
    # Records changed since the rebuild began are queued again (they may have missed the new index).
    queued = await SearchOutbox.select(SearchOutbox.entity, SearchOutbox.ref)
    assert sorted((r["entity"], r["ref"]) for r in queued) == sorted(
        [("offer", o["ref"]) for o in made]
        + [("certificate", cert["ref"]), ("organization", producer.organization_ref)]
    )
    await drain(backend)
    assert await pending() == 0
    assert await _ids(backend) == sorted(o["ref"] for o in made)


async def test_a_locked_index_keeps_rows_queued_without_holding_the_database(db: str, backend, tmp_path) -> None:
    """While another process holds the index file, a drain gives up quickly, leaves the rows queued for a prompt
    retry (no back-off: the engine did not fail) and holds no database lock: a write made meanwhile goes through."""
    import datetime as dt
    import sqlite3

    from app.indexing.sync import BUSY_RETRY_S

    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"], title="Caoba en tablas")
    other = sqlite3.connect(backend.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        assert await drain(backend) == 0
        rows = await SearchOutbox.select(SearchOutbox.attempts, SearchOutbox.last_error, SearchOutbox.available_at)
        assert [(r["attempts"], "locked by another connection" in r["last_error"]) for r in rows] == [(0, True)] * 2
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=BUSY_RETRY_S)
        assert all(r["available_at"] <= soon for r in rows)
        second = await make_offer(producer, cert["ref"], title="Cedro rojo")  # the database is free
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await drain(backend, ignore_backoff=True) == 3
    assert await pending() == 0
    assert await _ids(backend) == sorted([offer["ref"], second["ref"]])
