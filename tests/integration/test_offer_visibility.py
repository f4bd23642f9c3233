"""One visibility rule: for every reason an offer is hidden, every surface agrees (app/offers/visibility.py).

The offer's API and page, the offer list (HTML and JSON), the search API, the producer's profile, the home page
count, the search index document and the matcher all hide it from visitors and buyers; its producer and staff still
open it and read why. The "listed" row is the control: the same checks see the offer everywhere."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from app.accounts.tables import Organization
from app.certificates.tables import Certificate
from app.events import record_change
from app.indexing.documents import OFFERS_INDEX
from app.offers import services as offers
from app.offers import visibility
from app.offers.tables import Offer
from app.search.services import public_filters
from app.worker import get_backend
from search_index import Eq, SearchQuery
from tests.clock import today
from tests.factories import api_token, make_certificate, make_offer, make_request, make_user, sign_in
from tests.integration.test_search_page import fx_index, index_all  # noqa: F401 - the index fixture

YESTERDAY = today() - dt.timedelta(days=1)


async def _suspend(offer: dict[str, Any]) -> None:
    await Certificate.update({Certificate.status: "suspended"}).where(Certificate.ref == offer["certificate_ref"])
    await record_change("certificate", offer["certificate_ref"])


async def _expire(offer: dict[str, Any]) -> None:
    await Certificate.update({Certificate.expires_on: YESTERDAY}).where(Certificate.ref == offer["certificate_ref"])
    await record_change("certificate", offer["certificate_ref"])


async def _pause(offer: dict[str, Any]) -> None:
    await Offer.update({Offer.status: "paused"}).where(Offer.ref == offer["ref"])
    await record_change("offer", offer["ref"])


async def _deactivate(offer: dict[str, Any]) -> None:
    await Organization.update({Organization.is_active: False}).where(Organization.ref == offer["organization_ref"])
    await record_change("organization", offer["organization_ref"])


async def _narrow_scope(offer: dict[str, Any]) -> None:
    # The certificate was edited (or re-imported) to list roundwood only; the offer sells sawn timber.
    await Certificate.update({Certificate.product_types: ["roundwood"]}).where(
        Certificate.ref == offer["certificate_ref"]
    )
    await record_change("certificate", offer["certificate_ref"])


async def _nothing(offer: dict[str, Any]) -> None:
    return None


CASES: list[tuple[str, Callable[[dict[str, Any]], Awaitable[None]], str | None]] = [
    ("listed", _nothing, None),
    (
        "suspended certificate",
        _suspend,
        "Certificate {code} is suspended; only a valid certificate supports a certified sale.",
    ),
    ("expired certificate", _expire, "Certificate {code} expired on " + YESTERDAY.isoformat() + "."),
    ("paused offer", _pause, "The offer is paused; only active offers are listed."),
    (
        "deactivated organisation",
        _deactivate,
        "The organisation's account is deactivated, so none of its offers are listed.",
    ),
    ("certificate not covering the product", _narrow_scope, "Certificate {code} does not cover this product type."),
]


CODES = {
    "listed": [],
    "suspended certificate": ["certificate_status"],
    "expired certificate": ["certificate_expiry"],
    "paused offer": ["offer_status"],
    "deactivated organisation": ["organization_inactive"],
    "certificate not covering the product": ["certificate_scope"],
}


def _offer_links(html: str) -> set[str]:
    return set(re.findall(r'href="/offers/(offer-[0-9a-f]+)"', html))


async def _surfaces(client: AsyncTestClient, offer: dict[str, Any], request_ref: str, buyer_headers: dict) -> dict:
    """What each public surface shows of the offer, as seen by a visitor (or the buyer, for matches)."""
    ref = offer["ref"]
    api = await client.get(f"/api/v1/offers/{ref}")
    page = await client.get(f"/offers/{ref}")
    listing = await client.get("/offers")
    api_list = await client.get("/api/v1/offers")
    search = await client.get("/api/v1/search/offers", params={"q": "pine"})
    profile = await client.get(f"/producers/{offer['organization_ref']}")
    matches = await client.get(f"/api/v1/requests/{request_ref}/matches", headers=buyer_headers)
    assert (listing.status_code, api_list.status_code, search.status_code, matches.status_code) == (200, 200, 200, 200)
    return {
        "api": api.status_code,
        "page": page.status_code,
        "list": ref in _offer_links(listing.text),
        "api list": ref in [o["ref"] for o in api_list.json()["items"]],
        "search": ref in [o["ref"] for o in search.json()["items"]],
        "profile": ref in _offer_links(profile.text) if profile.status_code == 200 else profile.status_code,
        "home count": (await offers.count_active())["offers"],
        "matches": ref in [m["offer"] for m in matches.json()["matches"]],
    }


@pytest.mark.parametrize(("case", "hide", "reason"), CASES, ids=[c[0] for c in CASES])
async def test_every_surface_agrees_on_a_hidden_offer(
    index: AsyncTestClient, case: str, hide: Callable[[dict[str, Any]], Awaitable[None]], reason: str | None
) -> None:
    producer = await make_user("producer", org_name="Ejido San Pedro")
    cert = await make_certificate(producer)
    created = await make_offer(producer, cert["ref"], title="Kiln-dried pine boards")
    buyer = await make_user("buyer")
    buyer_headers = await api_token(buyer)
    request = await make_request(buyer)
    staff = await make_user("staff")
    await hide(created)
    await index_all()
    row = await offers.get_offer(created["ref"])

    seen = await _surfaces(index, created, request["ref"], buyer_headers)
    listed = reason is None
    # A deactivated organisation's profile is gone (404); otherwise the profile lists the offer only when listed.
    profile: bool | int = listed if case != "deactivated organisation" else 404
    assert seen == {
        "api": 200 if listed else 404,
        "page": 200 if listed else 404,
        "list": listed,
        "api list": listed,
        "search": listed,
        "profile": profile,
        "home count": 1 if listed else 0,
        "matches": listed,
    }

    # The rule itself, the index document and the index agree.
    assert offers.publicly_listed(row) is listed
    assert [r.code for r in visibility.unmet(visibility.RowFacts(row))] == CODES[case]
    backend = get_backend()
    mine = Eq("organization_ref", created["organization_ref"])
    everything = await backend.search(OFFERS_INDEX, SearchQuery(filters=(mine,)))
    public = await backend.search(OFFERS_INDEX, SearchQuery(filters=(mine, *public_filters())))
    assert (everything.total, public.total) == (1, 1 if listed else 0)

    # Staff open it and read why it is hidden, on the page and in the API.
    staff_api = await index.get(f"/api/v1/offers/{created['ref']}", headers=await api_token(staff))
    assert (staff_api.status_code, staff_api.json()["ref"]) == (200, created["ref"])
    await sign_in(index, staff)
    staff_page = await index.get(f"/offers/{created['ref']}")
    assert staff_page.status_code == 200
    shown = re.findall(r'<li data-testid="offer-hidden-reason">([^<]*)</li>', staff_page.text)
    expected = [] if reason is None else [reason.format(code=cert["code"]).replace("'", "&#39;")]
    assert shown == expected

    # Its producer too, unless the whole organisation was deactivated (its members are signed out).
    if case != "deactivated organisation":
        own_api = await index.get(f"/api/v1/offers/{created['ref']}", headers=await api_token(producer))
        assert own_api.status_code == 200
        index.cookies.clear()
        await sign_in(index, producer)
        own_page = await index.get(f"/offers/{created['ref']}")
        assert re.findall(r'<li data-testid="offer-hidden-reason">([^<]*)</li>', own_page.text) == expected


# --- organisations: one rule for the profile page, the public list and the API -----------------------------------
async def _org_surfaces(client: AsyncTestClient, ref: str, headers: dict[str, str] | None = None) -> tuple:
    api = await client.get(f"/api/v1/organizations/{ref}", headers=headers or {})
    listed = await client.get("/api/v1/organizations", headers=headers or {})
    page = await client.get(f"/producers/{ref}")
    return api.status_code, ref in [o["ref"] for o in listed.json()["items"]], page.status_code


async def test_organisation_profiles_follow_one_rule(client: AsyncTestClient) -> None:
    producer = await make_user("producer")
    retired = await make_user("producer")
    buyer = await make_user("buyer")
    staff = await make_user("staff")
    await Organization.update({Organization.is_active: False}).where(Organization.ref == retired.organization_ref)

    # Visitors: an active producer is public everywhere; a deactivated one and a buyer nowhere (the API showed both).
    assert await _org_surfaces(client, producer.organization_ref) == (200, True, 200)
    assert await _org_surfaces(client, retired.organization_ref) == (404, False, 404)
    assert await _org_surfaces(client, buyer.organization_ref) == (404, False, 404)
    # A member reads its own organisation; staff read any (the public page stays the producers' public profile).
    own = await client.get(f"/api/v1/organizations/{buyer.organization_ref}", headers=await api_token(buyer))
    assert (own.status_code, own.json()["ref"]) == (200, buyer.organization_ref)
    staff_headers = await api_token(staff)
    for ref in (retired.organization_ref, buyer.organization_ref):
        seen = await client.get(f"/api/v1/organizations/{ref}", headers=staff_headers)
        assert (seen.status_code, seen.json()["ref"]) == (200, ref)
    # Editing another organisation's hidden profile is "not found", as reading it is.
    other = await client.put(
        f"/api/v1/organizations/{buyer.organization_ref}", json={"name": "Renamed"}, headers=await api_token(producer)
    )
    assert other.status_code == 404
    assert (await Organization.select(Organization.name).where(Organization.ref == buyer.organization_ref).first())[
        "name"
    ] != "Renamed"
