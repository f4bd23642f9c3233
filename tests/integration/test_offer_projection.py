"""One offer row: the Piccolo columns and the hand-written SQL list of ``app.offers.projection`` read the same
keys and values for the same offer, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from app.matching import candidates
from app.offers import projection, services, visibility
from app.offers.tables import Offer
from tests.factories import make_certificate, make_offer, make_user

# The full row, the page row, and the narrower rows the public list and the matcher read by hand-written SQL.
SHAPES: dict[str, tuple[Sequence[str] | None, Sequence[str]]] = {
    "everything": (None, tuple(projection.JOINED)),
    "page": (None, projection.PAGE_FIELDS),
    "public list": (services._PUBLIC_OFFER_FIELDS, services._PUBLIC_JOINED),
    "matcher": (candidates._SPEC_OFFER_FIELDS, candidates._SPEC_JOINED),
}


async def _orm_and_sql(ref: str, offer: Sequence[str] | None, joined: Sequence[str]) -> tuple[Any, Any]:
    orm = await Offer.select(*projection.columns(offer, joined)).where(Offer.ref == ref).output(load_json=True).first()
    sql = f"SELECT {projection.sql_columns(offer, joined)} FROM offer o {visibility.JOINS} WHERE o.ref = {{}}"
    raw = await Offer.raw(sql, ref)
    return orm, projection.load_json(dict(raw[0]), projection.json_keys(offer, joined))


@pytest.mark.parametrize("shape", list(SHAPES))
async def test_orm_columns_and_sql_columns_read_the_same_row(clean_db: str, shape: str) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"], price_amount="12.50", price_currency="USD")
    orm, sql = await _orm_and_sql(offer["ref"], *SHAPES[shape])
    assert list(sql) == list(orm)
    assert sql == orm
    assert orm["ref"] == offer["ref"]


async def test_the_page_row_is_what_get_offer_answers(clean_db: str) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"])
    _orm, sql = await _orm_and_sql(offer["ref"], None, projection.PAGE_FIELDS)
    assert sql == dict(await services.get_offer(offer["ref"]))
    assert sql["organization_name"] == f"Org {producer.email}"
    assert sql["certificate_code"] == cert["code"]
    assert sql["species"] == ["Pinus durangensis"]
