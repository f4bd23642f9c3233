"""Latex traceability in the shared measurement: volume offered and traded, the share traceable and EUDR-ready by
producer country and by group, lots with errors, members per group: exact figures on a small world, the filters,
the page, its CSV tables and the JSON, and the refusal of everyone but staff."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import msgspec
import pytest

from app.analytics import trace_services
from app.analytics.filters import parse_filters
from app.imports.services import import_document
from app.messaging import services as messaging
from app.offers.tables import Offer
from app.validation import PermissionDenied
from tests.clock import today
from tests.factories import api_token, make_certificate, make_offer, make_user, sign_in
from tests.integration.test_lot_backed_offers import d, group_user, latex_offer, lots_doc


@dataclass
class TraceWorld:
    staff: object
    group: object
    grower: object
    buyer: object


def _deal(quantity: str, days_ago: int) -> dict[str, str]:
    return {
        "quantity": quantity,
        "unit": "kg_drc",
        "unit_price": "12",
        "currency": "BRL",
        "certified_percent": "70",
        "date": (today() - dt.timedelta(days=days_ago)).isoformat(),
        "accept_price": "1",
    }


async def _deal_on(buyer, seller, offer_ref: str, quantity: str, *, confirm: bool, days_ago: int = 5) -> None:
    conversation = await messaging.start_conversation(buyer, offer_ref, None, message="Olá")
    event = await messaging.record_deal(buyer, conversation, _deal(quantity, days_ago))
    if confirm:
        await messaging.confirm_deal(seller, event)


@pytest.fixture(name="trace_world")
async def fx_trace_world(clean_db: str) -> TraceWorld:
    """The Acre group (BR) with lots lot-1 (FSC Mix, EUDR-ready), lot-2 (draws lot-1, an input without origin: no
    claim, an error) and lot-3 (FSC 100 %, EUDR-ready); a Guatemalan producer without lots.

    Active latex offers: A 400 kg on lot-1, B 200 kg on lot-3 (both EUDR-ready), C 60 kg on lot-1 and lot-2
    (traceable, not EUDR-ready), D 1,000 kg from Guatemala without lots; a paused offer E on lot-3 (left out).
    Confirmed deals: 300 kg on A, 500 kg on D; 100 kg on B awaits confirmation (left out)."""
    doc = lots_doc()
    # A third member who left the scope ten days ago, with a point plot of 6 ha (an error: POINT_OVER_4HA).
    doc["members"].append(
        {"ref": "m-3", "group": "coop-acre", "name": "Ana Dias", "member_code": "A-003", "country": "BR",
         "locality": "Xapuri", "certified_from": d(-400), "certified_to": d(-10)}
    )  # fmt: skip
    doc["plots"].append(
        {"ref": "p-3", "member": "m-3", "geometry": {"type": "Point", "coordinates": [-67.86, -10.02]},
         "area_ha": 6.0, "country": "BR"}
    )  # fmt: skip
    await import_document(doc)
    staff = await make_user("staff")
    group = await group_user()
    grower = await make_user("producer", country="GT")
    buyer = await make_user("buyer", country="DE")
    a = await make_offer(group, "cert-g", **latex_offer(quantity="400", lots=["lot-1"]))
    b = await make_offer(group, "cert-g", **latex_offer(claim="FSC 100%", quantity="200", lots=["lot-3"]))
    c = await make_offer(group, "cert-g", **latex_offer(quantity="60", lots=["lot-1"]))
    await Offer.update({Offer.lots: ["lot-1", "lot-2"]}).where(Offer.ref == c["ref"])
    cert = await make_certificate(grower, product_types=["tsr"])
    gt = await make_offer(grower, cert["ref"], **latex_offer(quantity="1000", lots=[], certificate=cert["ref"]))
    e = await make_offer(group, "cert-g", **latex_offer(claim="FSC 100%", quantity="150", lots=["lot-3"]))
    await Offer.update({Offer.status: "paused"}).where(Offer.ref == e["ref"])
    await _deal_on(buyer, group, a["ref"], "300", confirm=True)
    await _deal_on(buyer, grower, gt["ref"], "500", confirm=True)
    await _deal_on(buyer, group, b["ref"], "100", confirm=False)
    return TraceWorld(staff=staff, group=group, grower=grower, buyer=buyer)


def vol(count, kg, t_count, t_kg, r_count, r_kg) -> dict:
    return {
        "count": count,
        "quantity": kg,
        "traceable_count": t_count,
        "traceable_quantity": t_kg,
        "traceable_share": round(t_kg / kg, 4) if kg else None,
        "eudr_ready_count": r_count,
        "eudr_ready_quantity": r_kg,
        "eudr_ready_share": round(r_kg / kg, 4) if kg else None,
    }


BR_OFFERED = vol(3, 660.0, 3, 660.0, 2, 600.0)
BR_TRADED = vol(1, 300.0, 1, 300.0, 1, 300.0)
GT_OFFERED = vol(1, 1000.0, 0, 0.0, 0, 0.0)
GT_TRADED = vol(1, 500.0, 0, 0.0, 0, 0.0)
LOT_2 = {
    "ref": "lot-2",
    "date": d(-10),
    "holder_ref": "coop-acre",
    "holder_name": "Cooperativa Acre",
    "product_type": "tsr",
    "dry_kg": 380.0,
    "claim": None,
    "errors": 1,
    "codes": {"NO_ORIGIN": 1},
}
ACRE_MEMBERS = {
    "ref": "coop-acre",
    "name": "Cooperativa Acre",
    "country": "BR",
    "members": 3,
    "in_scope": 1,
    "with_plots": 3,
    "with_plot_errors": 1,
}


async def figures(**query: str) -> dict:
    s = await trace_services.compute(parse_filters(query, set(), today=today()))
    return msgspec.to_builtins(s)


async def test_exact_figures_by_country_and_group(trace_world: TraceWorld) -> None:
    s = await figures()
    assert s["offered"] == vol(4, 1660.0, 3, 660.0, 2, 600.0)
    assert s["traded"] == vol(2, 800.0, 1, 300.0, 1, 300.0)
    assert s["by_country"] == [
        {"key": "GT", "name": "Guatemala", "offered": GT_OFFERED, "traded": GT_TRADED},
        {"key": "BR", "name": "Brazil", "offered": BR_OFFERED, "traded": BR_TRADED},
    ]
    assert s["by_group"] == [
        {"key": "coop-acre", "name": "Cooperativa Acre", "offered": BR_OFFERED, "traded": BR_TRADED}
    ]
    assert s["lots"] == 3
    assert s["lots_with_errors"] == [LOT_2]
    assert s["members"] == [ACRE_MEMBERS]
    assert s["unit"] == "kg_drc"


async def test_filters_narrow_offers_deals_lots_and_groups(trace_world: TraceWorld) -> None:
    gt = await figures(country="GT")
    assert (gt["offered"], gt["traded"], gt["by_group"]) == (GT_OFFERED, GT_TRADED, [])
    assert (gt["lots"], gt["lots_with_errors"], gt["members"]) == (0, [], [])
    # The period applies to deals only: offers open today still count.
    before = await figures(date_from=d(-400), date_to=d(-30))
    assert before["offered"] == vol(4, 1660.0, 3, 660.0, 2, 600.0)
    assert before["traded"] == vol(0, 0.0, 0, 0.0, 0, 0.0)
    assert before["lots_with_errors"] == [LOT_2]
    rss = await figures(product_type="rss")
    assert (rss["offered"]["count"], rss["lots"], rss["lots_with_errors"]) == (0, 0, [])
    assert rss["members"] == [ACRE_MEMBERS]
    # A timber category from the dashboard's link does not turn the latex figures off.
    assert (await figures(category="timber"))["offered"] == vol(4, 1660.0, 3, 660.0, 2, 600.0)


async def test_page_csv_and_json_for_staff(client, trace_world: TraceWorld) -> None:
    await sign_in(client, trace_world.staff)
    dashboard = await client.get("/staff/analytics")
    assert 'href="/staff/analytics/traceability?' in dashboard.text
    page = await client.get("/staff/analytics/traceability")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="fig-trace-offered"' in html
    assert "1,660 kg" in html
    assert "40 % traceable" in html
    assert "36 % EUDR-ready" in html
    assert '<a href="/traceability/lots/lot-2" data-testid="lot-link-lot-2">lot-2</a>' in html
    assert html.count('<svg class="chart__svg') == 3
    for name in ("trace_members", "trace_by_country", "trace_by_group", "trace_lots_with_errors"):
        assert f'data-testid="table-{name}"' in html, name
        assert f"/staff/analytics/{name}.csv?date_from=" in html, name
    fragment = await client.get("/staff/analytics/traceability?country=GT", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "lot-link-lot-2" not in fragment.text
    bad = await client.get("/staff/analytics/traceability?country=XX")
    assert bad.status_code == 422
    assert "Choose a country from the list." in bad.text

    members_csv = await client.get("/staff/analytics/trace_members.csv")
    assert members_csv.status_code == 200
    assert list(csv.reader(io.StringIO(members_csv.text))) == [
        ["Group", "Country", "Members", "In the certificate's scope today", "With plots", "With plot errors"],
        ["Cooperativa Acre", "Brazil", "3", "1", "3", "1"],
    ]
    lots_csv = await client.get("/staff/analytics/trace_lots_with_errors.csv")
    assert list(csv.reader(io.StringIO(lots_csv.text)))[1] == [
        "lot-2", "Cooperativa Acre", d(-10), "Technically specified rubber (TSR)", "380.0", "No FSC claim", "1",
        "NO_ORIGIN",
    ]  # fmt: skip
    by_country = list(csv.reader(io.StringIO((await client.get("/staff/analytics/trace_by_country.csv")).text)))
    assert by_country[1:] == [
        ["Guatemala", "1", "1000.0", "0.0", "0.0", "1", "500.0", "0.0", "0.0"],
        ["Brazil", "3", "660.0", "1.0", "0.9091", "1", "300.0", "1.0", "1.0"],
    ]
    assert (await client.get("/staff/analytics/trace_nothing.csv")).status_code == 404

    api = await client.get("/api/v1/analytics/traceability", headers=await api_token(trace_world.staff))
    assert api.status_code == 200
    assert api.json()["by_group"] == [
        {"key": "coop-acre", "name": "Cooperativa Acre", "offered": BR_OFFERED, "traded": BR_TRADED}
    ]
    assert api.json()["lots_with_errors"] == [LOT_2]
    refused = await client.get("/api/v1/analytics/traceability?date_from=x", headers=await api_token(trace_world.staff))
    assert refused.status_code == 400


PATHS = ("/staff/analytics/traceability", "/staff/analytics/trace_members.csv")


async def test_producer_buyer_and_anonymous_are_refused(client, trace_world: TraceWorld) -> None:
    for path in PATHS:
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={path}"
    assert (await client.get("/api/v1/analytics/traceability")).status_code == 401
    for user in (trace_world.group, trace_world.grower, trace_world.buyer):
        api = await client.get("/api/v1/analytics/traceability", headers=await api_token(user))
        assert api.status_code == 403
        await sign_in(client, user)
        for path in PATHS:
            response = await client.get(path)
            assert response.status_code == 403, path
            assert "Cooperativa Acre" not in response.text
        client.cookies.clear()
    with pytest.raises(PermissionDenied):
        await trace_services.summary(trace_world.buyer, parse_filters({}, set(), today=today()))
