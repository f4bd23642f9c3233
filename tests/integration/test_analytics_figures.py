"""Dashboard figures equal expectations computed by hand from a fixed data set, with and without filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from app.analytics import programs, services
from app.analytics.filters import Filters, default_range
from app.analytics.schemas import Summary
from app.validation import PermissionDenied
from tests.clock import utc_today
from tests.integration.analytics_data import BF, World, fx_world  # noqa: F401


def _filters(**overrides: Any) -> Filters:
    start, end = default_range(utc_today())
    return replace(Filters(date_from=start, date_to=end, today=utc_today()), **overrides)


async def test_unfiltered_figures(world: World) -> None:
    s: Summary = await services.summary(world.staff, _filters())
    assert (s.producers.reached, s.producers.active) == (3, 2)
    assert [(g.key, g.reached, g.active) for g in s.producers.by_country] == [("MX", 2, 1), ("GT", 1, 1)]
    assert sorted((g.key, g.reached, g.active) for g in s.producers.by_legal_form) == [
        ("community_concession", 1, 1),
        ("comunidad", 1, 0),
        ("ejido", 1, 1),
    ]
    # Controlled Wood (o4) is not certified volume; o5 was posted two years ago.
    assert [(v.category, v.unit, v.count, v.quantity) for v in s.offered] == [
        ("latex", "kg_drc", 1, 5000.0),
        ("timber", "m3", 2, 170.0),
    ]
    assert (s.demand.requests, s.demand.with_viable_match, s.demand.viable_share) == (3, 1, 0.3333)
    assert [(v.category, v.count, v.quantity) for v in s.demand.by_family] == [
        ("latex", 1, 10000.0),
        ("timber", 2, 400.0),
    ]
    assert (s.contacts.conversations, s.contacts.replied, s.contacts.reply_rate) == (4, 2, 0.5)
    assert s.contacts.median_reply_hours == 4.0  # replies after 2 h and 6 h
    # The corrected deal counts with its corrected figures (2000 bd ft, 1800.50 USD), unconfirmed.
    assert (s.deals.deals, s.deals.confirmed, s.deals.unconfirmed) == (3, 2, 1)
    assert [(v.category, v.unit, v.deals, v.quantity, v.confirmed_quantity) for v in s.deals.volume] == [
        ("latex", "kg_drc", 1, 2000.0, 2000.0),
        ("timber", "m3", 2, round(40 + 2000 / BF, 3), 40.0),
    ]
    assert [(m.currency, m.deals, m.value, m.confirmed_value) for m in s.deals.value] == [
        ("EUR", 1, Decimal("5000.00"), Decimal("5000.00")),
        ("USD", 2, Decimal("15800.50"), Decimal("14000.00")),
    ]
    assert [(c.country, c.deals, c.confirmed) for c in s.deals.by_country] == [("MX", 2, 1), ("GT", 1, 1)]
    assert [(r.buyer_ref, r.producer_ref, r.deals) for r in s.repeat_relationships] == [
        (world.b1.organization_ref, world.p1.organization_ref, 2)
    ]
    assert [(step.state, step.count) for step in s.funnel] == [
        ("recommended", 2),
        ("viewed", 0),
        ("contacted", 4),
        ("replied", 2),
        ("negotiating", 1),
        ("deal_closed", 2),
    ]
    monthly = {m.month: (m.contacts, m.deals) for m in s.monthly}
    assert len(s.monthly) == 12
    expected_deals: dict[str, int] = {}
    for d in world.deal_dates:
        expected_deals[d.strftime("%Y-%m")] = expected_deals.get(d.strftime("%Y-%m"), 0) + 1
    for month, (contacts, deals) in monthly.items():
        assert contacts == (4 if month == world.contact_month else 0)
        assert deals == expected_deals.get(month, 0)
    assert [(u.category, u.product_type, u.country, u.region, u.requests, u.quantity) for u in s.unmet_demand] == [
        ("latex", "rss", "DE", "", 1, 10000.0),
        ("timber", "panels", "MX", "MX-JAL", 1, 100.0),
    ]
    assert [(c.organization_ref, c.days_left) for c in s.expiring_certificates] == [(world.p3.organization_ref, 30)]
    assert sorted((p.lat, p.lon, p.count) for p in s.map.producers) == [
        (16.9, -89.9, 1),
        (17.1, -96.7, 1),
        (24.0, -104.7, 1),
    ]
    assert sorted((p.lat, p.lon, p.count) for p in s.map.unmet_demand) == [(20.7, -103.4, 1), (53.6, 10.0, 1)]


async def test_country_and_product_filters(world: World) -> None:
    gt = await services.summary(world.staff, _filters(country="GT"))
    assert (gt.producers.reached, gt.producers.active) == (1, 1)
    assert [(v.category, v.count, v.quantity) for v in gt.offered] == [("latex", 1, 5000.0)]
    assert (gt.contacts.conversations, gt.contacts.replied, gt.contacts.median_reply_hours) == (2, 1, 6.0)
    assert (gt.deals.deals, gt.deals.confirmed) == (1, 1)
    assert [(m.currency, m.value) for m in gt.deals.value] == [("EUR", Decimal("5000.00"))]
    assert gt.demand.requests == 0
    assert [step.count for step in gt.funnel] == [0, 0, 2, 1, 0, 1]
    assert gt.repeat_relationships == []

    sawn = await services.summary(world.staff, _filters(category="timber", product_type="sawn_timber"))
    assert [(v.category, v.count, v.quantity) for v in sawn.offered] == [("timber", 1, 120.0)]
    # p3 offers sawn timber (two years ago) and so is reached; only p1 and p2 were active.
    assert (sawn.producers.reached, sawn.producers.active) == (3, 2)
    assert (sawn.contacts.conversations, sawn.deals.deals) == (2, 2)
    assert (sawn.demand.requests, sawn.demand.with_viable_match) == (1, 1)
    assert sawn.unmet_demand == []

    ejido = await services.summary(world.staff, _filters(legal_form="ejido", claim="FSC Mix"))
    assert [(v.category, v.count, v.quantity) for v in ejido.offered] == [("timber", 1, 50.0)]
    assert (ejido.contacts.conversations, ejido.contacts.replied, ejido.deals.deals) == (1, 0, 0)
    # Legal form does not narrow demand; the claim does (requests accepting FSC Mix).
    assert ejido.demand.requests == 2


async def test_program_and_date_filters(world: World) -> None:
    program_id = await programs.create_program(
        world.staff,
        {"name": "Mexico community forests", "regions": "MX-DUR", "organizations": world.b2.organization_ref},
    )
    s = await services.summary(world.staff, _filters(program=program_id))
    assert (s.producers.reached, s.producers.active) == (1, 1)
    # Conversations count when either side is in the program: c1 and c4 (p1), c2 (b2).
    assert (s.contacts.conversations, s.contacts.replied) == (3, 2)
    assert (s.deals.deals, s.deals.confirmed) == (3, 2)
    assert s.demand.requests == 1
    assert [step.count for step in s.funnel] == [2, 0, 3, 2, 1, 2]
    assert [(u.product_type, u.requests) for u in s.unmet_demand] == [("rss", 1)]
    assert s.expiring_certificates == []

    past = await services.summary(
        world.staff,
        _filters(date_from=utc_today() - dt.timedelta(days=4000), date_to=utc_today() - dt.timedelta(days=800)),
    )
    assert (past.producers.reached, past.offered, past.demand.requests) == (0, [], 0)
    assert (past.contacts.conversations, past.deals.deals) == (0, 0)
    assert [step.count for step in past.funnel] == [0, 0, 0, 0, 0, 0]

    # Only the last deal's date is inside this window; the others are left out.
    last = await services.summary(world.staff, _filters(date_from=world.deal_dates[2], date_to=utc_today()))
    assert [(m.currency, m.deals) for m in last.deals.value] == [("EUR", 1)]


async def test_only_staff_get_a_summary(world: World) -> None:
    for user in (world.p1, world.b1):
        with pytest.raises(PermissionDenied):
            await services.summary(user, _filters())


async def test_figures_follow_new_records_at_once(world: World) -> None:
    from app.messaging import services as messaging
    from app.offers.tables import Offer

    f = _filters()
    before = await services.summary(world.staff, f)
    assert before.contacts.conversations == 4
    # Nothing changed: the same figures are served again without recomputing.
    assert await services.summary(world.staff, f) is before
    mix = await Offer.select(Offer.ref).where(Offer.claim == "FSC Mix").first()
    await messaging.start_conversation(world.b1, mix["ref"], message="Hola")
    after = await services.summary(world.staff, f)
    assert (after.contacts.conversations, after.funnel[2].count) == (5, 5)
    program_id = await programs.create_program(world.staff, {"name": "Petén", "regions": "GT-17"})
    petén = await services.summary(world.staff, _filters(program=program_id))
    assert petén.producers.reached == 1
    await programs.update_program(world.staff, program_id, {"name": "Petén", "regions": "GT-17 MX-DUR"})
    assert (await services.summary(world.staff, _filters(program=program_id))).producers.reached == 2
