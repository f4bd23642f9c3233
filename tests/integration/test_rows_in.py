"""``rows_in``: rows looked up by a list of values in one flat statement, on each engine, inside the caller's
transaction."""

from __future__ import annotations

import pytest

from app.db import atomic, rows_in
from app.events.tables import EventOutbox
from tests.factories import make_certificate, make_offer, make_user

SELECT = 'SELECT ref, title FROM "offer" WHERE ref {in}'


async def test_the_rows_whose_value_is_listed(clean_db: str) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    first = await make_offer(producer, cert["ref"], title="Caoba aserrada")
    second = await make_offer(producer, cert["ref"], title="Cedro rojo")
    await make_offer(producer, cert["ref"], title="Not asked for")
    rows = await rows_in(SELECT, [second["ref"], "no-such-ref", first["ref"]])
    assert sorted((r["ref"], r["title"]) for r in rows) == sorted(
        [(first["ref"], "Caoba aserrada"), (second["ref"], "Cedro rojo")]
    )
    assert await rows_in(SELECT, []) == []


async def test_inside_a_transaction_it_reads_and_writes_with_it(clean_db: str) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await make_offer(producer, cert["ref"])
    ids = [r["id"] for r in await EventOutbox.select(EventOutbox.id)]
    assert ids
    with pytest.raises(RuntimeError):
        async with atomic():
            await rows_in('DELETE FROM "event_outbox" WHERE id {in}', ids)
            assert await rows_in('SELECT id FROM "event_outbox" WHERE id {in}', ids) == []
            raise RuntimeError("rolled back")
    assert sorted(r["id"] for r in await rows_in('SELECT id FROM "event_outbox" WHERE id {in}', ids)) == sorted(ids)
