"""Real browser: a buyer opens a sourcing request and sees explained recommendations and a producer bundle."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain
from app.matching.tables import Match
from search_index import create_backend
from tests.e2e.pages import LoginPage
from tests.factories import PASSWORD, make_certificate, make_offer, make_request, make_user

pytestmark = pytest.mark.e2e


async def test_buyer_sees_recommendations_and_a_bundle(page: Any, live: Any) -> None:
    first = await make_user("producer", org_name="Ejido San Pedro")
    second = await make_user("producer", org_name="Ejido La Victoria")
    one = await make_offer(first, (await make_certificate(first))["ref"], title="Tablas de pino A", quantity="120")
    two = await make_offer(
        second,
        (await make_certificate(second))["ref"],
        title="Tablas de pino B",
        quantity="200",
        lat="24.6",
        lon="-105.1",
    )
    buyer = await make_user("buyer", email="e2e-buyer@example.org")
    wanted = await make_request(buyer, title="Pino para Guadalajara", quantity="300")
    # What the server's sync worker does: bring its search index in step with the database.
    backend = create_backend(directory=live.var_dir / "search")
    await backend.ensure_index(OFFERS_INDEX)
    await drain(backend)
    await backend.close()

    login = LoginPage(page)
    await login.open()
    await login.sign_in(buyer.email, PASSWORD)
    await page.goto(f"/requests/{wanted['ref']}")
    recommendations = page.get_by_test_id("recommendation")
    await expect(recommendations).to_have_count(2)
    refs = {await r.get_attribute("data-ref") for r in await recommendations.all()}
    assert refs == {one["ref"], two["ref"]}
    await expect(page.get_by_test_id("bundle")).to_have_count(1)
    await expect(page.get_by_test_id("recommendations")).to_contain_text("2 producers together cover 320")

    stored = await Match.select(Match.offer.ref.as_alias("offer"), Match.status).where(
        Match.request.ref == wanted["ref"]
    )
    assert sorted((r["offer"], r["status"]) for r in stored) == sorted(
        [(one["ref"], "recommended"), (two["ref"], "recommended")]
    )
