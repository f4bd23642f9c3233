"""The search outbox: written with the change, drained in order, retried while the engine is down, applied once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from app.accounts.tables import Organization
from app.certificates.tables import Certificate
from app.events.tables import EventOutbox
from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain, pending, reindex
from app.offers import services as offers
from app.offers.tables import Offer
from search_index import SearchQuery, create_backend
from search_index.embedded import EmbeddedBackend
from tests.factories import make_certificate, make_offer, make_user
from tests.search_backends import own_backend

SEARCH_ROWS = EventOutbox.subscriber == "search"


class HoldingBackend(EmbeddedBackend):
    """The real embedded engine, noting which documents each upsert carried; the first upsert waits for ``release``.

    While it waits, its drainer is mid-batch and holds the sync lease, so other drainers can be made to try exactly
    then, instead of hoping a sleep leaves them enough time.
    """

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.upserted: list[str] = []
        self.applying = asyncio.Event()  # the first upsert has begun: its drainer holds the lease
        self.release = asyncio.Event()

    async def upsert(self, index: str, documents: list[dict[str, Any]]) -> None:
        self.upserted.extend(d["id"] for d in documents)
        if not self.applying.is_set():  # only the first batch waits: a second drainer that got in would not hang
            self.applying.set()
            await self.release.wait()
        await super().upsert(index, documents)


class ChangedDuringRebuild(EmbeddedBackend):
    """The real embedded engine; while a rebuild runs, after its documents were read from the database and before the
    new generation goes live, ``change`` alters records, as a write landing then would (its own outbox row would be
    drained into the old generation, which the swap discards)."""

    def __init__(self, directory: Path, change: Callable[[], Awaitable[None]]) -> None:
        super().__init__(directory)
        self.change = change

    async def rebuild(self, index: str, documents: Any) -> int:
        batches = [batch async for batch in documents]
        await self.change()
        return await super().rebuild(index, batches)


@pytest.fixture(name="backend")
async def fx_backend(clean_db: str, tmp_path: Path):
    backend = own_backend(tmp_path)
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
    rows = await EventOutbox.select(EventOutbox.subscriber, EventOutbox.name, EventOutbox.ref).order_by(EventOutbox.id)
    # The certificate's change is kept for the search index and for the lots that depend on certificates.
    assert rows == [
        {"subscriber": "search", "name": "certificate_changed", "ref": cert["ref"]},
        {"subscriber": "lots", "name": "certificate_changed", "ref": cert["ref"]},
        {"subscriber": "search", "name": "offer_changed", "ref": offer["ref"]},
        {"subscriber": "search", "name": "offer_changed", "ref": offer["ref"]},
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
    rows = await EventOutbox.select(EventOutbox.attempts).where(SEARCH_ROWS).order_by(EventOutbox.id)
    assert [r["attempts"] for r in rows] == [1, 1]
    await down.close()

    up = own_backend(tmp_path)
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
    backend = HoldingBackend(tmp_path / "search")
    await backend.ensure_index(OFFERS_INDEX)
    first = asyncio.create_task(drain(backend))
    await asyncio.wait_for(backend.applying.wait(), timeout=30)
    # The first worker is applying its batch: three more try now, while it holds the lease, and take nothing.
    assert await asyncio.gather(*(drain(backend) for _ in range(3))) == [0, 0, 0]
    assert await pending() == 13
    backend.release.set()
    assert await asyncio.wait_for(first, timeout=30) == 13  # 12 offers + 1 certificate row
    offer_refs = sorted(o["ref"] for o in made)
    assert sorted(backend.upserted) == offer_refs  # each offer document written exactly once
    assert await pending() == 0
    await backend.close()


async def test_reindex_rebuilds_from_the_database(clean_db: str, tmp_path: Path) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    made = [await make_offer(producer, cert["ref"], title=f"Lot {i}") for i in range(3)]
    # Made well before the rebuild, however long making them took on a loaded machine.
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    for table in (Organization, Certificate, Offer):
        await table.update({table.updated_at: long_ago}, force=True)

    async def change_some() -> None:
        moment = dt.datetime.now(dt.UTC)
        await Offer.update({Offer.title: "Lot 0, re-sawn", Offer.updated_at: moment}).where(Offer.ref == made[0]["ref"])
        await Certificate.update({Certificate.updated_at: moment}).where(Certificate.ref == cert["ref"])
        await Organization.update({Organization.updated_at: moment}).where(
            Organization.ref == producer.organization_ref
        )

    backend = ChangedDuringRebuild(tmp_path / "search", change_some)
    await backend.ensure_index(OFFERS_INDEX)
    assert await reindex(backend) == 3
    assert await _ids(backend) == sorted(o["ref"] for o in made)
    assert await _ids(backend, text="re-sawn") == []  # the change missed the new generation
    # Records changed since the rebuild began are queued again (they may have missed the new index); the outbox rows
    # written before it are part of the rebuild and gone, and records unchanged since are not queued.
    queued = await EventOutbox.select(EventOutbox.entity, EventOutbox.ref).where(SEARCH_ROWS)
    assert sorted((r["entity"], r["ref"]) for r in queued) == sorted(
        [("offer", made[0]["ref"]), ("certificate", cert["ref"]), ("organization", producer.organization_ref)]
    )
    await drain(backend)
    assert await pending() == 0
    assert await _ids(backend) == sorted(o["ref"] for o in made)
    assert await _ids(backend, text="re-sawn") == [made[0]["ref"]]  # and reached it through the outbox
    await backend.close()


async def test_a_locked_index_keeps_rows_queued_without_holding_the_database(clean_db: str, tmp_path: Path) -> None:
    """While another process holds the index file, a drain gives up quickly, leaves the rows queued for a prompt
    retry (no back-off: the engine did not fail) and holds no database lock: a write made meanwhile goes through.
    (The embedded backend's file lock, on both databases' outboxes.)"""
    import sqlite3

    backend = EmbeddedBackend(tmp_path / "search")
    await backend.ensure_index(OFFERS_INDEX)

    from app.events.consumer import BUSY_RETRY_S

    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"], title="Caoba en tablas")
    other = sqlite3.connect(backend.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        assert await drain(backend) == 0
        rows = await EventOutbox.select(EventOutbox.attempts, EventOutbox.last_error, EventOutbox.available_at).where(
            SEARCH_ROWS
        )
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
    await backend.close()


class CountingRebuilds(EmbeddedBackend):
    """The real embedded engine, counting its rebuilds and the documents patched into the live index."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.rebuilds = 0
        self.upserted: list[str] = []

    async def rebuild(self, index: str, documents: Any) -> int:
        self.rebuilds += 1
        return await super().rebuild(index, documents)

    async def upsert(self, index: str, documents: list[dict[str, Any]]) -> None:
        self.upserted.extend(d["id"] for d in documents)
        await super().upsert(index, documents)


async def test_catching_up_on_many_changes_rebuilds_the_index_and_still_runs_the_hooks(
    clean_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a bulk write (at least REBUILD_AT changes waiting, at least half as many as offers) the index is rebuilt
    from the database instead of patched, and the sync's hooks still see every change: here the saved-search queue
    (``record_offer_changes``) gets each new offer once, as draining would have given it."""
    from app.indexing import sync
    from app.notifications.tables import AlertOfferChange
    from app.worker import register_subscribers

    register_subscribers()
    monkeypatch.setattr(sync, "REBUILD_AT", 4)
    backend = CountingRebuilds(tmp_path / "search")
    await backend.ensure_index(OFFERS_INDEX)
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    first = await make_offer(producer, cert["ref"], title="Caoba en tablas")
    assert await sync.catch_up(backend) == 2  # two changes (the certificate, the offer): patched in
    assert (backend.rebuilds, backend.upserted) == (0, [first["ref"]])
    made = [await make_offer(producer, cert["ref"], title=f"Cedro rojo {i}") for i in range(4)]
    assert await pending() == 4
    # Made well before the rebuild (records changed in the second before it are queued again, as by ``reindex``).
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    for table in (Organization, Certificate, Offer):
        await table.update({table.updated_at: long_ago}, force=True)
    # Rebuilt: every offer (5) from the database; the changes consumed for the hooks, none patched into the index.
    assert await sync.catch_up(backend) == 5
    assert (backend.rebuilds, backend.upserted) == (1, [first["ref"]])
    assert await pending() == 0
    assert await _ids(backend) == sorted([first["ref"], *(o["ref"] for o in made)])
    assert await _ids(backend, text="cedro") == sorted(o["ref"] for o in made)
    queued = await AlertOfferChange.select(AlertOfferChange.offer_ref).order_by(AlertOfferChange.id)
    assert [r["offer_ref"] for r in queued] == [first["ref"], *sorted(o["ref"] for o in made)]
    await backend.close()


async def test_catching_up_on_few_changes_patches_the_index(clean_db: str, tmp_path: Path) -> None:
    """Below REBUILD_AT waiting changes the index is patched batch by batch (``drain``), never rebuilt."""
    from app.indexing import sync

    backend = CountingRebuilds(tmp_path / "search")
    await backend.ensure_index(OFFERS_INDEX)
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    made = [await make_offer(producer, cert["ref"], title=f"Cedro rojo {i}") for i in range(3)]
    assert await sync.catch_up(backend) == 4
    assert (backend.rebuilds, sorted(backend.upserted)) == (0, sorted(o["ref"] for o in made))
    assert await _ids(backend, text="cedro") == sorted(o["ref"] for o in made)
    await backend.close()
