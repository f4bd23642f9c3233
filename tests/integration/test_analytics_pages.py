"""The dashboard over HTTP: staff-only pages, CSV tables, the JSON summary, programs, filters and their errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from app.analytics.tables import Program, ProgramOrganization, ProgramRegion
from tests.clock import utc_today
from tests.factories import api_token, make_user, post_form, sign_in
from tests.integration.analytics_data import BF, World, fx_world  # noqa: F401

PAGES = ("/staff/analytics", "/staff/analytics/funnel.csv", "/staff/programs", "/staff/programs/new")


async def test_anonymous_producer_and_buyer_are_kept_out(client, world: World) -> None:
    for path in PAGES:
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={path}"
    api = await client.get("/api/v1/analytics/summary")
    assert api.status_code == 401
    for user in (world.p1, world.b1):
        assert (await client.get("/api/v1/analytics/summary", headers=await api_token(user))).status_code == 403
        await sign_in(client, user)
        for path in PAGES:
            response = await client.get(path)
            assert response.status_code == 403, path
            assert "Shared measurement" not in response.text
        client.cookies.clear()
    await sign_in(client, world.staff)
    for path in PAGES:
        assert (await client.get(path)).status_code == 200, path


async def test_page_shows_figures_charts_map_and_tables(client, world: World) -> None:
    await sign_in(client, world.staff)
    page = await client.get("/staff/analytics")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="nav-staff-analytics"' in html
    for testid in (
        "chart-monthly",
        "chart-funnel",
        "chart-products",
        "chart-countries",
        "analytics-map",
        "map-fallback",
    ):
        assert f'data-testid="{testid}"' in html, testid
    assert html.count('<svg class="chart__svg') == 4
    assert 'data-testid="deal-value-USD">$15,800.50<' in html
    assert 'data-testid="deal-value-EUR">€5,000.00<' in html
    assert "vendor/leaflet-1.9.4/leaflet.js" in html
    assert "geo/world-110m.geojson" in html
    # Every table is there with its CSV link carrying the same filters.
    assert f"/staff/analytics/unmet_demand.csv?date_from={page_filters_start()}" in html
    # An htmx filter change gets the results fragment only.
    fragment = await client.get("/staff/analytics?country=GT", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'data-testid="deal-value-EUR">€5,000.00<' in fragment.text
    assert 'data-testid="deal-value-USD"' not in fragment.text
    printable = await client.get("/staff/analytics?print=1")
    assert 'class="analytics analytics--print"' in printable.text
    assert "leaflet.js" not in printable.text
    assert printable.text.count('data-testid="table-toggle-') == printable.text.count(
        'class="chart__table" data-testid'
    )


def page_filters_start() -> str:
    from app.analytics.filters import default_range

    return default_range(utc_today())[0].isoformat()


async def test_bad_filters_are_shown_inline_and_refused_by_the_api(client, world: World) -> None:
    await sign_in(client, world.staff)
    page = await client.get("/staff/analytics?date_from=2026-13-01&country=Mexico&program=999")
    assert page.status_code == 422
    assert 'id="f-date_from-error" aria-live="polite">Enter a date as YYYY-MM-DD.<' in page.text
    assert 'id="f-country-error" aria-live="polite">Choose a country from the list.<' in page.text
    assert 'id="f-program-error" aria-live="polite">Choose a program from the list.<' in page.text
    headers = await api_token(world.staff)
    api = await client.get("/api/v1/analytics/summary?date_from=2026-05-01&date_to=2026-04-01", headers=headers)
    assert api.status_code == 400
    assert api.json()["errors"] == [{"field": "date_to", "message": "The end date must not be before the start date."}]
    csv_bad = await client.get("/staff/analytics/funnel.csv?claim=FSC%2099%25")
    assert csv_bad.status_code == 400
    assert (await client.get("/staff/analytics/nothing.csv")).status_code == 404


async def test_csv_tables_follow_the_filters(client, world: World) -> None:
    await sign_in(client, world.staff)
    response = await client.get("/staff/analytics/deals_by_currency.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(response.text))) == [
        ["Currency", "Deals", "Value", "Of which confirmed"],
        ["EUR", "1", "5000.00", "5000.00"],
        ["USD", "2", "15800.50", "14000.00"],
    ]
    volume = await client.get("/staff/analytics/deal_volume.csv")
    assert list(csv.reader(io.StringIO(volume.text)))[1:] == [
        ["Natural rubber latex", "1", "2000.0", "2000.0", "kg DRC"],
        ["Timber", "2", str(round(40 + 2000 / BF, 3)), "40.0", "m³"],
    ]
    gt = await client.get("/staff/analytics/deals_by_currency.csv?country=GT")
    assert list(csv.reader(io.StringIO(gt.text))) == [
        ["Currency", "Deals", "Value", "Of which confirmed"],
        ["EUR", "1", "5000.00", "5000.00"],
    ]
    funnel = await client.get("/staff/analytics/funnel.csv")
    assert list(csv.reader(io.StringIO(funnel.text)))[1:] == [
        ["Recommended", "2"],
        ["Viewed", "0"],
        ["Contacted", "4"],
        ["Replied", "2"],
        ["Negotiating", "1"],
        ["Deal recorded", "2"],
    ]
    pairs = await client.get("/staff/analytics/repeat_relationships.csv")
    assert list(csv.reader(io.StringIO(pairs.text)))[1:] == [
        [world.b1.organization_name, world.p1.organization_name, "2"]
    ]


async def test_api_summary_json(client, world: World) -> None:
    headers = await api_token(world.staff)
    response = await client.get("/api/v1/analytics/summary?country=MX", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["filters"]["country"] == "MX"
    assert (body["producers"]["reached"], body["producers"]["active"]) == (2, 1)
    assert body["deals"]["value"] == [
        {"currency": "USD", "deals": 2, "value": "15800.50", "confirmed_value": "14000.00"}
    ]
    assert (body["contacts"]["conversations"], body["contacts"]["median_reply_hours"]) == (2, 2.0)
    assert [s["count"] for s in body["funnel"]] == [2, 0, 2, 1, 1, 1]
    schema = (await client.get("/schema/openapi.json")).json()
    assert "get" in schema["paths"]["/api/v1/analytics/summary"]


async def test_staff_create_edit_and_delete_a_program(client, world: World) -> None:
    await sign_in(client, world.staff)
    bad = await post_form(
        client, "/staff/programs", {"name": "", "regions": ["Mexico", "ZZ", "MX-ZZZ"], "organizations": "no-such-org"}
    )
    assert bad.status_code == 422
    assert 'id="f-name-error" aria-live="polite">This field is required.<' in bad.text
    assert "Not a country or region we know: Mexico, ZZ, MX-ZZZ. Choose places from the list." in bad.text
    assert "No organisation with the reference: no-such-org." in bad.text
    assert await Program.count() == 0
    created = await post_form(
        client,
        "/staff/programs",
        {"name": "Maya forest", "regions": "gt-17, MX-ROO", "organizations": world.b1.organization_ref},
    )
    assert created.status_code == 303
    program = await Program.select().first()
    assert program["name"] == "Maya forest"
    regions = await ProgramRegion.select(ProgramRegion.country, ProgramRegion.region).order_by(ProgramRegion.region)
    assert [(r["country"], r["region"]) for r in regions] == [("GT", "GT-17"), ("MX", "MX-ROO")]
    assert await ProgramOrganization.count() == 1
    listing = await client.get("/staff/programs")
    assert "Maya forest" in listing.text and "<td>Petén, Guatemala; Quintana Roo, Mexico</td>" in listing.text
    headers = await api_token(world.staff)
    figures = (await client.get(f"/api/v1/analytics/summary?program={program['id']}", headers=headers)).json()
    # p2 (in Petén) and b1 are members: conversations c1, c3 (b1) and c2 (p2).
    assert (figures["producers"]["reached"], figures["contacts"]["conversations"]) == (1, 3)
    edit = await client.get(f"/staff/programs/{program['id']}/edit")
    assert [(m[0], m[1]) for m in _places(edit.text)] == [
        ("GT-17", "Petén, Guatemala"),
        ("MX-ROO", "Quintana Roo, Mexico"),
    ]
    duplicate = await post_form(client, "/staff/programs", {"name": "Maya forest", "regions": "GT"})
    assert duplicate.status_code == 422
    assert "Another program already has this name." in duplicate.text
    saved = await post_form(client, f"/staff/programs/{program['id']}", {"name": "Durango", "regions": "MX-DUR"})
    assert saved.status_code == 303
    assert [
        (r["country"], r["region"]) for r in await ProgramRegion.select(ProgramRegion.country, ProgramRegion.region)
    ] == [("MX", "MX-DUR")]
    assert await ProgramOrganization.count() == 0
    deleted = await post_form(client, f"/staff/programs/{program['id']}/delete", {})
    assert deleted.status_code == 303
    assert (await Program.count(), await ProgramRegion.count()) == (0, 0)
    # Producers and buyers cannot write programs either.
    client.cookies.clear()
    producer = await make_user("producer")
    await sign_in(client, producer)
    refused = await post_form(client, "/staff/programs", {"name": "Mine", "regions": "MX"})
    assert refused.status_code == 403
    assert await Program.count() == 0


def _places(html: str) -> list[tuple[str, str]]:
    """The places a program form lists: (hidden code, name shown)."""
    return re.findall(
        r'<li data-testid="program-place" data-code="[^"]+">\s*<input type="hidden" name="regions" value="([^"]+)">'
        r"\s*<span>([^<]+)</span>",
        html,
    )


async def test_program_places_are_picked_by_name_without_javascript(client, world: World) -> None:
    """Staff add a country or one of its regions from the pickers and remove them again; nothing is saved until
    "Save program", and a region list drawn for another country is redrawn instead of being used."""
    await sign_in(client, world.staff)
    form = await client.get("/staff/programs/new")
    assert 'data-testid="program-no-places"' in form.text and 'name="place_country"' in form.text
    # A region of Mexico from the list drawn for Mexico.
    step = await post_form(
        client,
        "/staff/programs",
        {
            "name": "Norte",
            "place_country": "MX",
            "place_region": "MX-DUR",
            "place_region_choices_for": "MX",
            "add_place": "1",
        },
    )
    assert step.status_code == 200
    assert _places(step.text) == [("MX-DUR", "Durango, Mexico")]
    # The whole of Guatemala (no region chosen).
    step = await post_form(
        client,
        "/staff/programs",
        {
            "name": "Norte",
            "regions": ["MX-DUR"],
            "place_country": "GT",
            "place_region": "",
            "place_region_choices_for": "GT",
            "add_place": "1",
        },
    )
    assert _places(step.text) == [("MX-DUR", "Durango, Mexico"), ("GT", "Guatemala")]
    # Country changed without JavaScript: the Mexican region list on screen is not used for Peru.
    stale = await post_form(
        client,
        "/staff/programs",
        {
            "name": "Norte",
            "regions": ["MX-DUR", "GT"],
            "place_country": "PE",
            "place_region": "MX-CHH",
            "place_region_choices_for": "MX",
            "add_place": "1",
        },
    )
    assert _places(stale.text) == [("MX-DUR", "Durango, Mexico"), ("GT", "Guatemala")]
    assert "Now choose a region of Peru, or none for the whole country, and add it." in stale.text
    assert '<option value="PE-LOR">Loreto</option>' in stale.text
    # No country chosen.
    empty = await post_form(client, "/staff/programs", {"name": "Norte", "regions": ["GT"], "add_place": "1"})
    assert "Choose a country from the list." in empty.text
    # Remove Guatemala, then save: only Durango is stored.
    step = await post_form(
        client, "/staff/programs", {"name": "Norte", "regions": ["MX-DUR", "GT"], "remove_place": "GT"}
    )
    assert _places(step.text) == [("MX-DUR", "Durango, Mexico")]
    assert await Program.count() == 0
    saved = await post_form(client, "/staff/programs", {"name": "Norte", "regions": ["MX-DUR"]})
    assert saved.status_code == 303
    assert [
        (r["country"], r["region"]) for r in await ProgramRegion.select(ProgramRegion.country, ProgramRegion.region)
    ] == [("MX", "MX-DUR")]
    # Editing an existing program uses the same buttons and saves nothing either.
    program = await Program.select(Program.id).first()
    edit = await post_form(
        client,
        f"/staff/programs/{program['id']}",
        {
            "name": "Norte",
            "regions": ["MX-DUR"],
            "place_country": "MX",
            "place_region": "MX-CHH",
            "place_region_choices_for": "MX",
            "add_place": "1",
        },
    )
    assert _places(edit.text) == [("MX-CHH", "Chihuahua, Mexico"), ("MX-DUR", "Durango, Mexico")]
    assert await ProgramRegion.count() == 1


async def test_empty_database_renders(client, clean_db: str) -> None:
    staff = await make_user("staff")
    await sign_in(client, staff)
    page = await client.get(f"/staff/analytics?date_from={(utc_today() - dt.timedelta(days=30)).isoformat()}")
    assert page.status_code == 200
    assert page.text.count("Nothing recorded for these filters.") >= 10
